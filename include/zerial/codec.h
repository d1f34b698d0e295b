/**
 * @file codec.h
 * @brief Compression: a codec registry over liblz4, libzstd and zlib/libdeflate, byte- and
 * bit-shuffle filters, a block-parallel container, automatic codec selection, and helpers for
 * the containers that embed compressed buffers (envelope, binary typed arrays, Arrow IPC, npz).
 *
 * Codecs write their standard frames — LZ4 frame (content checksum and content size on), Zstandard
 * frame (checksum and content size on), gzip member (CRC-32 and ISIZE) — so `lz4 -d`, `zstd -d`
 * and `gunzip` read what zerial writes, and zerial reads theirs (concatenated frames included).
 *
 * Decompression never reports success for corrupt input: an error names the codec and the byte
 * offset where the library stopped (::ZR_ERR_MALFORMED, ::ZR_ERR_CHECKSUM, ::ZR_ERR_TRUNCATED) and
 * output beyond a maximum size fails with ::ZR_ERR_LIMIT (decompression bombs). A `max_output`
 * of 0 means ::ZR_DEFAULT_MAX_BYTES (the default of zr_decode_opts::max_bytes).
 *
 * Thread safety: every function is reentrant; handles (::zr_codec_dstream, ::zr_codec_pool) are
 * used by one caller thread at a time. Library contexts are allocated with the C library's malloc
 * (liblz4/libzstd/libdeflate do not take our allocator through their stable API); buffers handed
 * to the caller use the ::zr_allocator given.
 */
#ifndef ZERIAL_CODEC_H
#define ZERIAL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "io.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Registry                                                                                   */

/* The codec ids (::zr_codec_id: ZR_CODEC_NONE 0, ZR_CODEC_LZ4 1, ZR_CODEC_ZSTD 2, ZR_CODEC_GZIP 3)
 * are the envelope's codec ids, defined once in envelope.h; the block container uses them too. */
#include "envelope.h"

/** @brief Pass as a codec id to decoders to recognise the codec by its magic number. */
#define ZR_CODEC_DETECT (-1)
/** @brief Number of codec ids (0 … ZR_CODEC_COUNT - 1). */
#define ZR_CODEC_COUNT 4

/** @brief Capability: one-shot compression into a buffer or sink. */
#define ZR_CODEC_CAP_ONESHOT 0x1u
/** @brief Capability: streaming decompression (zr_codec_dstream). */
#define ZR_CODEC_CAP_STREAM 0x2u
/** @brief Capability: the frame carries a checksum of the content that decoders verify. */
#define ZR_CODEC_CAP_CHECKSUM 0x4u
/** @brief Capability: the frame records the uncompressed size (used to size outputs up front). */
#define ZR_CODEC_CAP_CONTENT_SIZE 0x8u
/** @brief Capability: recognised by its magic number (zr_codec_detect). */
#define ZR_CODEC_CAP_DETECT 0x10u

/** @brief Static description of a codec. */
typedef struct zr_codec_info {
  zr_codec_id id;         /**< stable id */
  const char *name;       /**< "none", "lz4", "zstd", "gzip" */
  int min_level;          /**< lowest accepted level */
  int max_level;          /**< highest accepted level */
  int default_level;      /**< level used when 0 is given */
  unsigned caps;          /**< ZR_CODEC_CAP_* */
  const char *library;    /**< underlying library and frame, for help texts */
} zr_codec_info;

/** @brief Description of codec @p id, or NULL for an unknown id. Static storage; thread-safe. */
ZR_API const zr_codec_info *zr_codec_info_get(int id);

/** @brief Codec by name ("none", "lz4", "zstd", "gzip"; case-insensitive), or NULL. Static storage. */
ZR_API const zr_codec_info *zr_codec_by_name(const char *name);

/**
 * @brief Recognise compressed input by its magic: Zstandard (28 B5 2F FD), LZ4 frame
 * (04 22 4D 18) or gzip (1F 8B 08).
 * @return the codec id, or ::ZR_CODEC_NONE when the bytes start with no known magic (or
 * @p len is too short to tell). Reads at most 4 bytes; thread-safe.
 */
ZR_API zr_codec_id zr_codec_detect(const void *data, size_t len);

/**
 * @brief Check @p level for codec @p id and resolve 0 to the codec's default level.
 * @return ZR_OK with @p *resolved set, ::ZR_ERR_RANGE (level outside the codec's range) or
 * ::ZR_ERR_INVALID_ARG (unknown codec).
 */
ZR_API zr_status zr_codec_level(int id, int level, int *resolved, zr_error *err);

/* ------------------------------------------------------------------------------------------ */
/* One-shot compression and decompression of one frame                                        */

/** @brief Largest output zr_codec_compress() may produce for @p len input bytes (0 on overflow). */
ZR_API size_t zr_codec_bound(int id, size_t len);

/**
 * @brief Compress @p src into one frame of codec @p id in caller memory.
 * @param id codec (::zr_codec_id).
 * @param src,len input bytes (only read).
 * @param level codec level, 0 for the default.
 * @param dst,cap output buffer; zr_codec_bound() bytes always suffice, otherwise ::ZR_ERR_NOSPACE.
 * @param out_len receives the frame size.
 * @param err NULL or filled on failure.
 * ::ZR_CODEC_NONE copies the bytes. Reentrant.
 */
ZR_API zr_status zr_codec_compress(int id, int level, const void *src, size_t len, void *dst, size_t cap,
                                   size_t *out_len, zr_error *err);

/**
 * @brief Compress @p src into one frame appended to @p sink (compressed in place when the sink
 * offers reserve/commit, through a temporary buffer otherwise).
 * @param id codec (::zr_codec_id).
 * @param level codec level, 0 for the default.
 * @param src,len input bytes (only read).
 * @param sink where the frame is appended (the caller's).
 * @param out_len receives the frame size (may be NULL).
 * @param err NULL or filled on failure. Reentrant.
 */
ZR_API zr_status zr_codec_compress_sink(int id, int level, const void *src, size_t len, zr_sink *sink,
                                        size_t *out_len, zr_error *err);

/**
 * @brief Decompress the whole of @p src (one or more concatenated frames of codec @p id, or
 * ::ZR_CODEC_DETECT) into caller memory.
 *
 * Succeeds only when every frame is complete and its checksum matches. When the output does not
 * fit in @p cap the call fails with ::ZR_ERR_LIMIT. On failure the content of @p dst is
 * unspecified and must not be used.
 * @param id codec (::zr_codec_id) or ::ZR_CODEC_DETECT.
 * @param src,len the compressed bytes.
 * @param dst,cap output buffer of the caller.
 * @param out_len receives the decompressed size.
 * @param err NULL or filled on failure (with the byte offset). Reentrant.
 */
ZR_API zr_status zr_codec_decompress(int id, const void *src, size_t len, void *dst, size_t cap, size_t *out_len,
                                     zr_error *err);

/**
 * @brief Decompress @p src into a new buffer of at most @p max_output bytes (0: default limit).
 * @param id codec (::zr_codec_id) or ::ZR_CODEC_DETECT.
 * @param src,len the compressed bytes.
 * @param max_output largest output accepted (0: the default limit), else ::ZR_ERR_LIMIT.
 * @param alloc allocator of the returned buffer (NULL: default; then release with zr_free()).
 * @param out,out_len receive the buffer (owned by the caller) and its size; left NULL/0 on failure.
 * @param err NULL or filled on failure. Reentrant.
 */
ZR_API zr_status zr_codec_decompress_alloc(int id, const void *src, size_t len, uint64_t max_output,
                                           const zr_allocator *alloc, uint8_t **out, size_t *out_len, zr_error *err);

/**
 * @brief Decompress @p src and append the output to @p sink, at most @p max_output bytes (0: default).
 *
 * Output is verified before it is written: a failed call writes nothing to the sink.
 */
ZR_API zr_status zr_codec_decompress_sink(int id, const void *src, size_t len, uint64_t max_output, zr_sink *sink,
                                          zr_error *err);

/**
 * @brief Size recorded in the first frame's header, when the codec records it.
 * @return ZR_OK with @p *size, ::ZR_ERR_NOT_FOUND when the frame does not say (gzip, streams
 * written without a size), ::ZR_ERR_MALFORMED / ::ZR_ERR_TRUNCATED for a bad header.
 */
ZR_API zr_status zr_codec_content_size(int id, const void *src, size_t len, uint64_t *size, zr_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Streaming decompression                                                                    */

/** @brief Opaque streaming decompressor. */
typedef struct zr_codec_dstream zr_codec_dstream;

/**
 * @brief A streaming decompressor for codec @p id (or ::ZR_CODEC_DETECT: recognised from the
 * first bytes fed) that stops after @p max_output bytes of output (0: default limit).
 * @param id codec (::zr_codec_id) or ::ZR_CODEC_DETECT.
 * @param max_output output limit (0: the default limit).
 * @param alloc allocator of the stream's buffers (NULL: default); must outlive the stream.
 * @param out receives the handle; release with zr_codec_dstream_free().
 * @param err NULL or filled on failure. A stream is used by one thread at a time.
 */
ZR_API zr_status zr_codec_dstream_new(int id, uint64_t max_output, const zr_allocator *alloc, zr_codec_dstream **out,
                                      zr_error *err);

/**
 * @brief Feed input and collect output.
 *
 * Consumes up to @p in_len bytes (count in @p *in_used) and writes up to @p out_cap bytes (count
 * in @p *out_len). Call again with the unconsumed input when the output was full. Frames may be
 * concatenated. Errors are sticky. Output is final only when zr_codec_dstream_end() succeeds:
 * the frame checksum is checked at the frame's end, so a caller that already used the output
 * must discard it when a later call fails.
 */
ZR_API zr_status zr_codec_dstream_run(zr_codec_dstream *ds, const void *in, size_t in_len, size_t *in_used,
                                      void *out, size_t out_cap, size_t *out_len, zr_error *err);

/**
 * @brief Declare the end of the input: ZR_OK when it ended on a frame boundary (every checksum
 * verified), ::ZR_ERR_TRUNCATED when a frame is incomplete or no frame was seen.
 */
ZR_API zr_status zr_codec_dstream_end(zr_codec_dstream *ds, zr_error *err);

/** @brief Codec being decoded (::ZR_CODEC_NONE while still detecting). */
ZR_API zr_codec_id zr_codec_dstream_codec(const zr_codec_dstream *ds);

/** @brief Total output bytes produced so far. */
ZR_API uint64_t zr_codec_dstream_total_out(const zr_codec_dstream *ds);

/** @brief Release the decompressor (NULL-safe). */
ZR_API void zr_codec_dstream_free(zr_codec_dstream *ds);

/**
 * @brief Read @p src to its end, decompress (codec @p id or ::ZR_CODEC_DETECT) and write the
 * output to @p sink in pieces, at most @p max_output bytes (0: default). Streaming: bytes already
 * written to the sink stay there when a later checksum fails (the call then fails).
 */
ZR_API zr_status zr_codec_decompress_stream(int id, zr_source *src, uint64_t max_output, zr_sink *sink,
                                            zr_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Shuffle filters                                                                            */

/** @brief Filters applied to typed data before compression. Stable ids (stored in containers). */
typedef enum zr_filter {
  ZR_FILTER_NONE = 0,    /**< bytes as they are */
  ZR_FILTER_SHUFFLE = 1, /**< byte shuffle: byte k of every element, then byte k+1, … */
  ZR_FILTER_BITSHUFFLE = 2 /**< bit shuffle: bit planes of the byte-shuffled rows */
} zr_filter;

/** @brief Filter by name ("none", "byte"/"shuffle", "bit"/"bitshuffle"); -1 when unknown. */
ZR_API int zr_filter_by_name(const char *name);
/** @brief Name of a filter ("none", "byte", "bit"), or NULL. Static storage. */
ZR_API const char *zr_filter_name(int filter);

/** @brief Instruction set used by the shuffle kernels. */
typedef enum zr_simd {
  ZR_SIMD_AUTO = -1,  /**< best the CPU supports (default) */
  ZR_SIMD_SCALAR = 0, /**< portable C */
  ZR_SIMD_SSE2 = 1,   /**< x86-64 SSE2 */
  ZR_SIMD_AVX2 = 2    /**< x86-64 AVX2 */
} zr_simd;

/** @brief Best instruction set of this CPU (detected once with __builtin_cpu_supports). Thread-safe. */
ZR_API zr_simd zr_simd_detect(void);

/**
 * @brief Byte-shuffle @p len bytes of elements of @p typesize bytes from @p src to @p dst
 * (distinct buffers). Trailing bytes that do not form a whole element are copied unchanged.
 * @param typesize element size in bytes (1 copies).
 * @param src,dst input and output of @p len bytes each, not overlapping.
 * @param len bytes to shuffle. Reentrant.
 * @param simd kernel to use (::ZR_SIMD_AUTO normally; lower levels for tests/benchmarks; a level
 * the CPU lacks falls back to the best available).
 */
ZR_API void zr_shuffle(zr_simd simd, size_t typesize, const void *src, void *dst, size_t len);
/** @brief Inverse of zr_shuffle(). */
ZR_API void zr_unshuffle(zr_simd simd, size_t typesize, const void *src, void *dst, size_t len);
/**
 * @brief Bit-shuffle: the element count is rounded down to a multiple of 8 and the rest of the
 * bytes copied unchanged. Bit b (0 = least significant) of byte k of element i lands in bit
 * (i mod 8) of byte (k·8 + b)·(n/8) + i/8 of the output. @p src and @p dst are distinct.
 */
ZR_API void zr_bitshuffle(zr_simd simd, size_t typesize, const void *src, void *dst, size_t len);
/** @brief Inverse of zr_bitshuffle(). */
ZR_API void zr_bitunshuffle(zr_simd simd, size_t typesize, const void *src, void *dst, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* Options, automatic selection                                                                */

/** @brief What automatic selection optimises for. */
typedef enum zr_codec_policy {
  ZR_POLICY_BALANCED = 0, /**< zstd at a low level when the data pays for it (default) */
  ZR_POLICY_SPEED = 1,    /**< lz4: cheapest to compress and decompress */
  ZR_POLICY_SIZE = 2      /**< zstd at a high level: smallest output */
} zr_codec_policy;

/** @brief Policy by name ("speed", "balanced", "size"); -1 when unknown. */
ZR_API int zr_codec_policy_by_name(const char *name);

/** @brief Pass as zr_codec_opts::codec to let zr_codec_choose() pick. */
#define ZR_CODEC_AUTO (-2)

/**
 * @brief Options for block compression and automatic selection. Zero-initialise, then set what
 * you need: zero means the default in every field (no codec, level default, no filter, 1 thread,
 * default block size, default thresholds).
 */
typedef struct zr_codec_opts {
  int codec;                 /**< ZR_CODEC_* or ZR_CODEC_AUTO */
  int level;                 /**< codec level, 0 = default */
  int filter;                /**< ZR_FILTER_*; with ZR_CODEC_AUTO, -1 lets selection try the shuffle */
  unsigned typesize;         /**< element size for the filters (0/1: bytes, filters do nothing) */
  unsigned threads;          /**< worker threads for block compression (0/1: the calling thread only) */
  uint32_t block_size;       /**< raw bytes per block (0: per codec; rounded to a multiple of typesize) */
  zr_codec_policy policy;    /**< automatic selection policy */
  uint64_t auto_min_size;    /**< below this size auto stores raw (0: 4096) */
  double auto_min_gain;      /**< minimum fraction saved, 0…1 (0: policy default: speed .25, balanced .10, size .03) */
  uint64_t max_output;       /**< decompression limit (0: ZR_DEFAULT_MAX_BYTES) */
  const zr_allocator *alloc; /**< scratch and output buffers (NULL: default) */
} zr_codec_opts;

/**
 * @brief The outcome of zr_codec_choose(): what to use and why. Plain data (for `explain` and
 * metrics).
 */
typedef struct zr_codec_decision {
  zr_codec_id codec;       /**< chosen codec (ZR_CODEC_NONE: store raw) */
  int level;               /**< chosen level (resolved) */
  zr_filter filter;        /**< chosen filter */
  unsigned typesize;       /**< element size the filter uses */
  double est_ratio;        /**< estimated raw/compressed ratio from the sample (1 when not sampled) */
  double est_ratio_plain;  /**< the sample's ratio without the filter (0 when not measured) */
  uint64_t sampled_bytes;  /**< bytes compressed for the estimate */
  uint64_t elapsed_ns;     /**< time spent deciding */
  char reason[160];        /**< one sentence: why this choice */
} zr_codec_decision;

/**
 * @brief Decide how to compress @p data: raw below the minimum size, otherwise compress up to
 * four 64 KiB samples from spread-out offsets with LZ4 (with and without the shuffle when
 * opts->typesize > 1 and opts->filter is -1) and keep compression only if the estimated gain
 * reaches the minimum; the codec and level follow the policy. Bounded time: at most 512 KiB are
 * compressed whatever @p len. When opts->codec is a concrete codec, that choice is returned as
 * is, without sampling (est_ratio 1). Reentrant.
 */
ZR_API zr_status zr_codec_choose(const void *data, size_t len, const zr_codec_opts *opts, zr_codec_decision *out,
                                 zr_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Block container (docs/formats/compressed-blocks.md)                                         */

/** @brief Opaque pool of worker threads for block compression. */
typedef struct zr_codec_pool zr_codec_pool;

/**
 * @brief Start a pool of @p threads workers (1 … 64). Reuse it across calls to avoid thread
 * start-up; one call at a time may use a pool.
 */
ZR_API zr_status zr_codec_pool_new(unsigned threads, const zr_allocator *alloc, zr_codec_pool **out, zr_error *err);
/** @brief Stop the workers and release the pool (NULL-safe; no call may be using it). */
ZR_API void zr_codec_pool_free(zr_codec_pool *pool);

/** @brief Magic of the block container: "ZRCB". */
#define ZR_BLOCKS_MAGIC "ZRCB"
/** @brief Version of the block container written by this library. */
#define ZR_BLOCKS_VERSION 1
/** @brief Size of the fixed header of the block container. */
#define ZR_BLOCKS_HEADER_SIZE 32

/**
 * @brief Compress @p src into a block container appended to @p sink: the input is cut into
 * blocks, each filtered and compressed independently (in parallel with opts->threads > 1 or
 * @p pool), blocks that do not shrink are stored raw. opts->codec ZR_CODEC_AUTO runs
 * zr_codec_choose() first (its decision is copied to @p decision when not NULL).
 * @param src,len input bytes (only read).
 * @param opts codec, level, filter, block size and threads (NULL: defaults).
 * @param sink where the container is appended (the caller's).
 * @param decision NULL, or receives the automatic choice.
 * @param pool optional worker pool (NULL: threads started for this call when opts->threads > 1).
 * @param out_len receives the container size (may be NULL).
 * @param err NULL or filled on failure. Thread-safe with distinct sinks.
 */
ZR_API zr_status zr_codec_blocks_compress(const void *src, size_t len, const zr_codec_opts *opts, zr_codec_pool *pool,
                                          zr_sink *sink, size_t *out_len, zr_codec_decision *decision, zr_error *err);

/** @brief Parsed header of a block container. */
typedef struct zr_blocks_info {
  zr_codec_id codec;     /**< codec of the compressed blocks */
  zr_filter filter;      /**< filter applied before compression */
  unsigned typesize;     /**< element size of the filter */
  uint32_t block_size;   /**< raw bytes per block */
  uint32_t nblocks;      /**< number of blocks */
  uint32_t raw_blocks;   /**< blocks stored uncompressed */
  uint64_t raw_len;      /**< total decompressed size */
  uint64_t stored_len;   /**< size of the whole container */
} zr_blocks_info;

/**
 * @brief Validate the header and block table of a container at @p src and describe it.
 * @return ::ZR_ERR_FORMAT (not a container), ::ZR_ERR_VERSION, ::ZR_ERR_TRUNCATED, ::ZR_ERR_CHECKSUM
 * or ::ZR_ERR_MALFORMED with the byte offset; ZR_OK otherwise.
 */
ZR_API zr_status zr_codec_blocks_info(const void *src, size_t len, zr_blocks_info *info, zr_error *err);

/**
 * @brief Decompress a block container into caller memory of @p cap bytes (at least raw_len from
 * zr_codec_blocks_info(), else ::ZR_ERR_LIMIT). Blocks are decoded in parallel with
 * @p threads > 1 or @p pool. Every block is verified (codec checksum, or the table's check for raw
 * blocks). @p out_len receives raw_len.
 */
ZR_API zr_status zr_codec_blocks_decompress(const void *src, size_t len, unsigned threads, zr_codec_pool *pool,
                                            void *dst, size_t cap, size_t *out_len, zr_error *err);

/* ------------------------------------------------------------------------------------------ */
/* Helpers for the formats that embed compressed buffers                                      */

/**
 * @brief Arrow IPC body buffer compression (Arrow BodyCompression, method BUFFER): append to
 * @p sink an int64 little-endian uncompressed length followed by an LZ4 frame (@p id
 * ::ZR_CODEC_LZ4, Arrow's LZ4_FRAME) or a Zstandard frame (::ZR_CODEC_ZSTD); when compression
 * does not shrink the buffer, the length is -1 and the raw bytes follow. Padding is the caller's.
 * @param id ::ZR_CODEC_LZ4 or ::ZR_CODEC_ZSTD.
 * @param level codec level, 0 for the default.
 * @param src,len the buffer (only read).
 * @param sink where the bytes are appended (the caller's).
 * @param out_len receives the bytes appended (may be NULL).
 * @param err NULL or filled on failure. Reentrant.
 */
ZR_API zr_status zr_codec_arrow_compress(int id, int level, const void *src, size_t len, zr_sink *sink,
                                         size_t *out_len, zr_error *err);

/**
 * @brief Decode an Arrow IPC compressed body buffer of @p len bytes (length prefix + frame, or -1 +
 * raw bytes; an empty buffer stays empty).
 *
 * For a raw buffer, @p *out points into @p src (zero copy) and @p *owned is 0. Otherwise a buffer
 * of exactly the declared length is allocated with @p alloc (the caller frees it; @p *owned is 1).
 * Output larger than @p max_output (0: default) fails with ::ZR_ERR_LIMIT.
 */
ZR_API zr_status zr_codec_arrow_decompress(int id, const void *src, size_t len, uint64_t max_output,
                                           const zr_allocator *alloc, const uint8_t **out, size_t *out_len,
                                           int *owned, zr_error *err);

/**
 * @brief Raw DEFLATE (RFC 1951, ZIP method 8, as npz members use) of @p src appended to @p sink
 * (libdeflate). @p crc32 receives the CRC-32 of @p src the ZIP headers need (may be NULL).
 */
ZR_API zr_status zr_codec_deflate_compress(int level, const void *src, size_t len, zr_sink *sink, size_t *out_len,
                                           uint32_t *crc32, zr_error *err);

/**
 * @brief Inflate raw DEFLATE data whose uncompressed size is known (ZIP local header) into
 * @p dst of exactly @p raw_len bytes, and check it against @p expect_crc32 (the ZIP CRC-32).
 * Fails with ::ZR_ERR_MALFORMED (with offset), ::ZR_ERR_TRUNCATED, or ::ZR_ERR_CHECKSUM.
 */
ZR_API zr_status zr_codec_deflate_decompress(const void *src, size_t len, void *dst, size_t raw_len,
                                             uint32_t expect_crc32, zr_error *err);

/** @brief CRC-32 (ISO-HDLC, as gzip and ZIP use) of @p len bytes, continuing from @p crc (0 to start). */
ZR_API uint32_t zr_crc32(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_CODEC_H */
