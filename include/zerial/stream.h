/**
 * @file stream.h
 * @brief Chunked streams: a writer and a reader with bounded memory, backpressure, checkpoints
 * and resume (wire format in docs/formats/stream.md, guide in docs/guides/streaming.md).
 *
 * A stream is a 32-byte header, a sequence of chunk frames and a trailer. Each chunk frame
 * carries a sequence number, a record count, its lengths and an XXH3 checksum; its payload is
 * either records in the binary format (::ZR_STREAM_BINARY) or one Arrow IPC record batch
 * (::ZR_STREAM_ARROW), optionally compressed with a codec of codec.h. The trailer holds the
 * counts and a checksum chained over every chunk, so a reader knows when a stream is complete.
 *
 * The writer holds at most zr_stream_opts::max_inflight sealed chunks and about
 * zr_stream_opts::mem_budget bytes. When its sink answers ::ZR_WOULD_BLOCK and those limits are
 * reached, writer calls return ::ZR_WOULD_BLOCK without taking the record: call
 * zr_stream_writer_poll() (or retry the write) once the sink can take bytes again.
 *
 * Thread safety: a writer or reader is used by one thread at a time. A writer with
 * zr_stream_opts::threads > 0 runs that many compression threads of its own (they never touch
 * the sink) and joins them in zr_stream_writer_free(). The allocator must then be thread-safe.
 */
#ifndef ZERIAL_STREAM_H
#define ZERIAL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "io.h"
#include "status.h"
#include "table.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Version of the stream wire format this library writes and reads. */
#define ZR_STREAM_VERSION 1
/** @brief The four bytes that open every stream. */
#define ZR_STREAM_MAGIC "ZRST"
/** @brief Bytes of the stream header. */
#define ZR_STREAM_HEADER_SIZE 32
/** @brief Bytes of a frame header (chunk or trailer). */
#define ZR_STREAM_FRAME_HEADER_SIZE 40
/** @brief Largest raw or stored payload of one chunk (1 GiB). */
#define ZR_STREAM_MAX_CHUNK (UINT64_C(1) << 30)
/** @brief zr_stream_checkpoint::position when the input position is not known. */
#define ZR_STREAM_POSITION_UNKNOWN UINT64_MAX

/** @brief What the chunks of a stream hold. Stable numbers (stored in the header). */
typedef enum zr_stream_payload {
  ZR_STREAM_BINARY = 1, /**< records, each a binary-format encoding (binary.h) */
  ZR_STREAM_ARROW = 2   /**< one Arrow IPC record batch per chunk (a complete IPC stream) */
} zr_stream_payload;

/**
 * @brief Writer options. Initialise with zr_stream_opts_init(); zero in a field means its default.
 */
typedef struct zr_stream_opts {
  const zr_allocator *alloc;   /**< all buffers (NULL: default); thread-safe when threads > 0 */
  int payload;                 /**< ::zr_stream_payload (default ZR_STREAM_BINARY) */
  int codec;                   /**< ZR_CODEC_NONE (default), LZ4, ZSTD or GZIP, per chunk */
  int level;                   /**< codec level (0: the codec's default) */
  unsigned threads;            /**< compression threads (0: compress on the caller's thread; max 64) */
  size_t chunk_bytes;          /**< seal a binary chunk once its raw payload reaches this (default 1 MiB) */
  uint64_t chunk_records;      /**< … or once it holds this many records (0: no count limit) */
  unsigned max_inflight;       /**< sealed chunks held, compressing or waiting for the sink (default 8, max 1024) */
  size_t mem_budget;           /**< bytes the writer may hold in its buffers (default 64 MiB; at least 4 chunks) */
  uint64_t schema_fingerprint; /**< stored in the header (0 with ZR_STREAM_ARROW: the first batch's schema hash) */
  unsigned checkpoint_every;   /**< file writers: write the checkpoint after every N chunks (default 8) */
  int no_sync;                 /**< file writers: 1 skips every fsync (data before checkpoints, the checkpoint,
                                    its directory, the end): a crash of the process stays safe, power loss may not */
} zr_stream_opts;

/** @brief Fill @p o with the defaults (binary payload, no codec, 1 MiB chunks, 8 in flight, 64 MiB). */
ZR_API void zr_stream_opts_init(zr_stream_opts *o);

/** @brief Counters of a writer (plain data). */
typedef struct zr_stream_stats {
  uint64_t chunks;          /**< chunk frames handed to the sink */
  uint64_t records;         /**< records in those chunks */
  uint64_t bytes;           /**< stream bytes handed to the sink (header and frames) */
  uint64_t raw_bytes;       /**< uncompressed payload bytes of those chunks */
  uint64_t buffered;        /**< bytes the writer holds now (buffers' capacity, bytes parked in the sink) */
  uint64_t peak_buffered;   /**< highest value of `buffered` */
  unsigned inflight;        /**< sealed chunks not yet handed to the sink */
  unsigned peak_inflight;   /**< highest value of `inflight` */
  uint64_t would_block;     /**< times a call returned ::ZR_WOULD_BLOCK */
  uint64_t checkpoints;     /**< checkpoints written */
} zr_stream_stats;

/**
 * @brief A checkpoint: where a stream file can be continued. Written atomically beside the
 * output as `<path>.ckpt` (docs/formats/stream.md); plain data.
 */
typedef struct zr_stream_checkpoint {
  uint64_t chunks;      /**< chunks before the cut */
  uint64_t records;     /**< records in those chunks */
  uint64_t offset;      /**< byte offset of the cut (the end of the last good chunk) */
  uint64_t position;    /**< caller's input position for that cut (zr_stream_writer_set_position()), or
                             ::ZR_STREAM_POSITION_UNKNOWN */
  uint64_t checksum;    /**< running stream checksum at the cut */
  uint64_t fingerprint; /**< schema fingerprint of the stream header */
  int resumed;          /**< 1: an existing file was continued; 0: a new stream was started */
  int from_checkpoint;  /**< 1: the cut came from the checkpoint file; 0: from scanning the file */
} zr_stream_checkpoint;

/** @brief A chunked stream writer. */
typedef struct zr_stream_writer zr_stream_writer;

/**
 * @brief A writer over @p sink (borrowed: it must outlive the writer). The header is written
 * with the first chunk. No checkpoints (see zr_stream_writer_open_file()).
 * @param sink where chunks go (borrowed; it may answer ::ZR_WOULD_BLOCK for backpressure).
 * @param opts options (copied) or NULL for defaults.
 * @param out receives the writer; free with zr_stream_writer_free().
 * @param err NULL or filled on failure.
 * @return ZR_OK, ::ZR_ERR_CONFIG for inconsistent options, ::ZR_ERR_NOMEM.
 */
ZR_API zr_status zr_stream_writer_new(zr_sink *sink, const zr_stream_opts *opts, zr_stream_writer **out,
                                      zr_error *err);

/**
 * @brief A writer of the file @p path with a checkpoint file `<path>.ckpt` beside it.
 *
 * With @p append == 0 the file is created or truncated (and a stale checkpoint removed). With
 * @p append == 1 an existing file is continued: the cut point comes from the checkpoint when it
 * is present and consistent with the file, otherwise from scanning the file for its last good
 * chunk; everything after the cut (a torn chunk, chunks not yet checkpointed) is truncated away and
 * writing continues with the next sequence number. @p resume tells where (resume->position is
 * the input position to continue from, so that no record is lost or duplicated). A file that
 * already ends with a valid trailer fails with ::ZR_ERR_EXISTS (nothing to do). A missing file is
 * created. zr_stream_writer_finish() removes the checkpoint.
 * @param path the output file (the checkpoint is `<path>.ckpt`).
 * @param opts options (copied) or NULL for defaults.
 * @param append 0: start a new stream; 1: continue an existing one.
 * @param out receives the writer, which owns the file; free with zr_stream_writer_free().
 * @param resume receives the cut point (may be NULL).
 * @param err NULL or filled on failure (an I/O error names the file).
 */
ZR_API zr_status zr_stream_writer_open_file(const char *path, const zr_stream_opts *opts, int append,
                                            zr_stream_writer **out, zr_stream_checkpoint *resume, zr_error *err);

/**
 * @brief Append one record (ZR_STREAM_BINARY). The value is encoded at once; it is not retained.
 * @return ZR_OK; ::ZR_WOULD_BLOCK when the sink is blocked and the writer is full (the record was
 * not taken: retry later); ::ZR_ERR_TYPE (value path in err) when the binary format cannot hold
 * it; ::ZR_ERR_STATE with an Arrow writer. Other errors are sticky.
 */
ZR_API zr_status zr_stream_writer_write_value(zr_stream_writer *w, const zr_value *v, zr_error *err);

/**
 * @brief Append one record batch as one chunk (ZR_STREAM_ARROW). Neither @p schema nor @p batch is
 * consumed. Returns ::ZR_WOULD_BLOCK like zr_stream_writer_write_value().
 */
ZR_API zr_status zr_stream_writer_write_batch(zr_stream_writer *w, const struct ArrowSchema *schema,
                                              const struct ArrowArray *batch, zr_error *err);

/**
 * @brief Record the caller's input position reached after the records written so far; it is
 * stored with the chunk that holds them and saved in checkpoints (e.g. the input byte offset).
 */
ZR_API void zr_stream_writer_set_position(zr_stream_writer *w, uint64_t position);

/**
 * @brief Hand finished chunks to the sink without sealing the current one. ::ZR_WOULD_BLOCK
 * while the sink still holds bytes back; ZR_OK when everything sealed has gone out.
 */
ZR_API zr_status zr_stream_writer_poll(zr_stream_writer *w, zr_error *err);

/** @brief Seal the current chunk (if it has records) and push every chunk to the sink (waits for compression). */
ZR_API zr_status zr_stream_writer_flush(zr_stream_writer *w, zr_error *err);

/**
 * @brief Flush, write the trailer, flush the sink; file writers fsync and remove the checkpoint.
 * May return ::ZR_WOULD_BLOCK: call again until ZR_OK. The sink is not finished.
 */
ZR_API zr_status zr_stream_writer_finish(zr_stream_writer *w, zr_error *err);

/** @brief Counters so far. */
ZR_API void zr_stream_writer_stats(const zr_stream_writer *w, zr_stream_stats *out);

/** @brief Stop the threads and free the writer (NULL-safe). Does not finish the stream. */
ZR_API void zr_stream_writer_free(zr_stream_writer *w);

/** @brief Reader options. Initialise with zr_stream_read_opts_init(). */
typedef struct zr_stream_read_opts {
  const zr_allocator *alloc; /**< buffers (NULL: default) */
  uint64_t start_chunk;      /**< skip chunks before this sequence number (their payloads are not read) */
  uint64_t max_chunk_bytes;  /**< refuse chunks whose stored or raw payload is larger (default 256 MiB) */
} zr_stream_read_opts;

/** @brief Fill @p o with the defaults (start at chunk 0, 256 MiB per chunk). */
ZR_API void zr_stream_read_opts_init(zr_stream_read_opts *o);

/** @brief One chunk as the reader returns it. Pointers valid until the next call on the reader. */
typedef struct zr_stream_chunk {
  uint64_t seq;          /**< sequence number */
  uint64_t records;      /**< records in the chunk */
  uint64_t first_record; /**< index of its first record in the stream */
  uint64_t offset;       /**< byte offset of its frame in the stream */
  int codec;             /**< codec of the stored payload */
  const uint8_t *data;   /**< the payload, decompressed */
  size_t len;            /**< its length */
} zr_stream_chunk;

/** @brief What a reader knows of its stream (plain data). */
typedef struct zr_stream_info {
  int payload;            /**< ::zr_stream_payload */
  uint64_t fingerprint;   /**< schema fingerprint from the header */
  uint64_t chunks_ok;     /**< chunks read and verified so far (skipped ones included) */
  uint64_t records_ok;    /**< records in those chunks */
  uint64_t offset;        /**< bytes consumed so far */
  int complete;           /**< 1 once the trailer was read and matched */
} zr_stream_info;

/** @brief A chunked stream reader. */
typedef struct zr_stream_reader zr_stream_reader;

/**
 * @brief A reader over @p src (borrowed: it must outlive the reader). Reads and checks the header.
 * @return ZR_OK, ::ZR_ERR_FORMAT (not a stream), ::ZR_ERR_VERSION, ::ZR_ERR_CHECKSUM,
 * ::ZR_ERR_TRUNCATED; err->offset is the byte offset of the problem.
 */
ZR_API zr_status zr_stream_reader_new(zr_source *src, const zr_stream_read_opts *opts, zr_stream_reader **out,
                                      zr_error *err);

/** @brief A reader of the file @p path (read with read(2); the reader owns the source). */
ZR_API zr_status zr_stream_reader_open_file(const char *path, const zr_stream_read_opts *opts,
                                            zr_stream_reader **out, zr_error *err);

/**
 * @brief The next chunk, verified (sequence number, lengths, checksum, decompression).
 * @return ZR_OK with @p out filled; ::ZR_ERR_EOF after the trailer was read and matched every
 * count and the stream checksum; ::ZR_ERR_TRUNCATED when the input ends before the trailer
 * (the message gives the count of good chunks, err->offset the end of the last good one);
 * ::ZR_ERR_CHECKSUM or ::ZR_ERR_MALFORMED with the frame's byte offset. Errors are sticky.
 */
ZR_API zr_status zr_stream_reader_next_chunk(zr_stream_reader *r, zr_stream_chunk *out, zr_error *err);

/**
 * @brief The next record of a ZR_STREAM_BINARY stream as a new doc (free with zr_doc_free()).
 * Unless opts->copy, the doc's strings and binaries borrow from the reader's chunk buffer and
 * stay valid only until the next call on the reader. Returns ::ZR_ERR_EOF at the end, and the
 * errors of zr_stream_reader_next_chunk() and zr_binary_decode().
 */
ZR_API zr_status zr_stream_reader_next_value(zr_stream_reader *r, const zr_decode_opts *opts, zr_doc **out,
                                             zr_error *err);

/**
 * @brief The next chunk of a ZR_STREAM_ARROW stream as a table (independent memory, release with
 * zr_table_release()). Returns ::ZR_ERR_EOF at the end.
 */
ZR_API zr_status zr_stream_reader_next_table(zr_stream_reader *r, zr_table *out, zr_error *err);

/** @brief What the reader has seen so far. */
ZR_API void zr_stream_reader_info(const zr_stream_reader *r, zr_stream_info *out);

/** @brief Free the reader (NULL-safe) and the source it owns. */
ZR_API void zr_stream_reader_free(zr_stream_reader *r);

/**
 * @brief Write the remaining chunks of a ZR_STREAM_ARROW stream to @p sink as one plain Arrow IPC
 * stream (schema once, every batch, end-of-stream marker), verifying every chunk as it goes.
 * On an error the sink may hold a partial stream.
 */
ZR_API zr_status zr_stream_reader_to_arrow(zr_stream_reader *r, zr_sink *sink, zr_error *err);

/**
 * @brief Read the checkpoint file @p path (the `<output>.ckpt` of a file writer).
 * @return ZR_OK, ::ZR_ERR_NOT_FOUND, ::ZR_ERR_CHECKSUM / ::ZR_ERR_MALFORMED for a damaged file.
 */
ZR_API zr_status zr_stream_checkpoint_read(const char *path, zr_stream_checkpoint *out, zr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_STREAM_H */
