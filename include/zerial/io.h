/**
 * @file io.h
 * @brief Sinks (where encoders write) and sources (where decoders read).
 *
 * A sink is an opaque handle over memory, a file descriptor, a file or a user callback. Sinks
 * that own memory (growable memory, fixed caller memory) offer reserve/commit so that encoders
 * write large payloads once, in place. A callback sink may answer ::ZR_WOULD_BLOCK; the bytes
 * it accepted are reported and the caller retries the rest later.
 *
 * A source exposes its bytes either as one contiguous block (memory, read-only mmap) — decoders
 * then return views into it — or through reads (fd, file, callback).
 *
 * Thread safety: a sink or source is used by one thread at a time; distinct handles are
 * independent.
 */
#ifndef ZERIAL_IO_H
#define ZERIAL_IO_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Opaque output handle. */
typedef struct zr_sink zr_sink;
/** @brief Opaque input handle. */
typedef struct zr_source zr_source;

/**
 * @brief User write callback for zr_sink_callback_new().
 *
 * Write up to @p len bytes from @p data, store the count accepted in @p *written and return
 * ZR_OK, ::ZR_WOULD_BLOCK (some or none accepted; try again later) or an error code.
 */
typedef zr_status (*zr_sink_write_fn)(void *ud, const void *data, size_t len, size_t *written);

/** @brief User read callback for zr_source_callback_new(): store up to @p cap bytes, count in @p *got (0 = end). */
typedef zr_status (*zr_source_read_fn)(void *ud, void *buf, size_t cap, size_t *got);

/**
 * @brief A growable memory sink. Its bytes stay owned by the sink until zr_sink_memory_take().
 * @param alloc allocator (NULL: default); must outlive the sink.
 * @param out receives the new sink; free with zr_sink_free().
 * @param err NULL or filled on failure. A sink is used by one thread at a time.
 */
ZR_API zr_status zr_sink_memory_new(const zr_allocator *alloc, zr_sink **out, zr_error *err);

/**
 * @brief A sink over caller memory of fixed capacity; writing past @p cap fails with ZR_ERR_NOSPACE.
 * The memory must outlive the sink. Offers reserve/commit.
 */
ZR_API zr_status zr_sink_fixed_new(void *mem, size_t cap, zr_sink **out, zr_error *err);

/** @brief A sink over an open file descriptor (not closed by zr_sink_free). Handles short writes and EINTR. */
ZR_API zr_status zr_sink_fd_new(int fd, zr_sink **out, zr_error *err);

/**
 * @brief A sink writing the file @p path atomically: bytes go to a temporary file beside it that
 * is renamed over @p path by zr_sink_finish(); zr_sink_free() without a successful finish removes
 * the temporary file, so a failed run leaves nothing behind. When @p path names an existing
 * device, FIFO or socket (`/dev/null`, a named pipe) the bytes are written to it directly: it is
 * never replaced.
 * @param path the output file (copied).
 * @param out receives the sink; free with zr_sink_free(). One thread at a time per sink.
 * @param err NULL-safe error record (an I/O error names the file).
 */
ZR_API zr_status zr_sink_file_new(const char *path, zr_sink **out, zr_error *err);

/** @brief A sink calling @p fn for every write; @p ud is passed through. The callback may answer ZR_WOULD_BLOCK. */
ZR_API zr_status zr_sink_callback_new(zr_sink_write_fn fn, void *ud, zr_sink **out, zr_error *err);

/**
 * @brief Write all of @p data. Buffered sinks may hold bytes until zr_sink_flush().
 *
 * On ::ZR_WOULD_BLOCK from a callback sink, the unaccepted rest stays buffered inside the sink
 * (bounded by what the caller wrote) and zr_sink_flush() retries it.
 */
ZR_API zr_status zr_sink_write(zr_sink *sink, const void *data, size_t len, zr_error *err);

/**
 * @brief Reserve @p len writable bytes owned by the sink; @p *ptr stays valid until the next call
 * on the sink. Returns ZR_ERR_UNSUPPORTED for sinks without owned memory (fd, file, callback).
 */
ZR_API zr_status zr_sink_reserve(zr_sink *sink, size_t len, void **ptr, zr_error *err);

/** @brief Mark @p len bytes (≤ the last reservation) of the reserved memory as written. */
ZR_API zr_status zr_sink_commit(zr_sink *sink, size_t len, zr_error *err);

/** @brief Non-zero when the sink offers zr_sink_reserve(). */
ZR_API int zr_sink_can_reserve(const zr_sink *sink);

/** @brief Push buffered bytes down (may return ZR_WOULD_BLOCK for callback sinks). */
ZR_API zr_status zr_sink_flush(zr_sink *sink, zr_error *err);

/** @brief Flush and, for file sinks, fsync and rename the temporary file into place. */
ZR_API zr_status zr_sink_finish(zr_sink *sink, zr_error *err);

/** @brief Total bytes accepted by the sink so far (including bytes still buffered). */
ZR_API uint64_t zr_sink_size(const zr_sink *sink);

/**
 * @brief Bytes of a memory or fixed sink; the pointer stays valid until the next write or free.
 * Returns ZR_ERR_UNSUPPORTED for other sinks.
 */
ZR_API zr_status zr_sink_memory_data(const zr_sink *sink, const uint8_t **data, size_t *len);

/**
 * @brief Take ownership of a memory sink's bytes (release with the sink's allocator, or with
 * zr_free() when it is the default). The sink is left empty.
 */
ZR_API zr_status zr_sink_memory_take(zr_sink *sink, uint8_t **data, size_t *len, zr_error *err);

/** @brief Release a sink (NULL-safe). A file sink not finished removes its temporary file. */
ZR_API void zr_sink_free(zr_sink *sink);

/** @brief Free memory handed out by zerial with the default allocator (NULL-safe). */
ZR_API void zr_free(void *ptr);

/** @brief A source over caller memory (borrowed: it must outlive the source and any views). */
ZR_API zr_status zr_source_memory_new(const void *data, size_t len, zr_source **out, zr_error *err);

/** @brief A source over an open descriptor (not closed by zr_source_free). */
ZR_API zr_status zr_source_fd_new(int fd, zr_source **out, zr_error *err);

/** @brief A source reading the file @p path with read(2). */
ZR_API zr_status zr_source_file_new(const char *path, zr_source **out, zr_error *err);

/**
 * @brief A source mapping the file @p path read-only. Contiguous: decoders return views into the
 * mapping, which lives until zr_source_free(); free the source only after the views' docs.
 */
ZR_API zr_status zr_source_mmap_new(const char *path, zr_source **out, zr_error *err);

/** @brief A source calling @p fn for bytes. */
ZR_API zr_status zr_source_callback_new(zr_source_read_fn fn, void *ud, zr_source **out, zr_error *err);

/** @brief Read up to @p cap bytes; @p *got is 0 only at the end of input. Handles EINTR. */
ZR_API zr_status zr_source_read(zr_source *src, void *buf, size_t cap, size_t *got, zr_error *err);

/**
 * @brief The whole input as one block when the source is contiguous (memory, mmap).
 * Returns ZR_ERR_UNSUPPORTED otherwise. The block lives as long as the source.
 */
ZR_API zr_status zr_source_contiguous(zr_source *src, const uint8_t **data, size_t *len);

/**
 * @brief The remaining input as one block: the contiguous block, or all bytes read into memory
 * owned by the source (at most @p max_bytes, else ZR_ERR_LIMIT). Lives as long as the source.
 */
ZR_API zr_status zr_source_read_all(zr_source *src, uint64_t max_bytes, const uint8_t **data,
                                    size_t *len, zr_error *err);

/** @brief Release a source (NULL-safe); unmaps an mmap source. */
ZR_API void zr_source_free(zr_source *src);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_IO_H */
