/**
 * @file shm.h
 * @brief POSIX shared-memory regions: a producer serializes straight into a region and publishes
 * it atomically; readers in other processes open it and take zero-copy views of its objects.
 *
 * A region is one POSIX shared-memory object (`shm_open`) laid out as a header, a small directory
 * of named objects and a payload area (layout: docs/formats/shm-region.md). Each object has a
 * name, an offset and length inside the region (payloads 64-byte aligned), a format id
 * (`ZR_FORMAT_ID_*`, or ::ZR_SHM_FORMAT_RAW for raw bytes or a raw tensor) and an XXH3-64
 * checksum.
 *
 * Life cycle of a writer: zr_shm_create() → for each object zr_shm_put_value(), zr_shm_put_tensor(),
 * or zr_shm_reserve() (+ fill in place) and zr_shm_commit() → zr_shm_publish() → zr_shm_close().
 * The region grows as objects are added (only before publishing). Publication writes the
 * directory, then the header, then stores the state with release ordering: a reader that sees
 * "published" sees every byte written before.
 *
 * Readers: zr_shm_open() checks magic, version, state, generation, bounds and the directory
 * checksum, then zr_shm_get_value() / zr_shm_get_tensor() return views into the mapping. The
 * mapping stays alive as long as the handle or any view holds a reference (views release theirs
 * when their doc or tensor is released), so zr_shm_close() never invalidates live views.
 *
 * Thread safety: a handle is used by one thread at a time, except the reference count, which is
 * atomic (views may be released from any thread). Distinct handles are independent.
 */
#ifndef ZERIAL_SHM_H
#define ZERIAL_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "status.h"
#include "tensor.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Region layout version written by this library. */
#define ZR_SHM_VERSION 1u
/** @brief Longest object name in bytes (not counting the NUL). */
#define ZR_SHM_NAME_MAX 63u
/** @brief Longest region name in bytes, including the leading '/'. */
#define ZR_SHM_REGION_NAME_MAX 200u
/** @brief Most dimensions a raw tensor object records in the directory (use npy beyond). */
#define ZR_SHM_MAX_DIMS 8u
/** @brief Alignment of every payload, in bytes. */
#define ZR_SHM_ALIGN 64u
/** @brief Default number of directory slots of a new region. */
#define ZR_SHM_DEFAULT_OBJECTS 16u
/** @brief Largest number of directory slots a region may declare. */
#define ZR_SHM_MAX_OBJECTS 4096u
/** @brief Format id of raw objects: plain bytes, or a raw C-contiguous tensor when ndim/dtype are set. */
#define ZR_SHM_FORMAT_RAW 0u

/** @brief Open flag: map read-only (the default). */
#define ZR_SHM_READ 0x0u
/** @brief Open flag: map read-write (writes through views are seen by every process). */
#define ZR_SHM_WRITE 0x1u
/** @brief Open flag: verify every object's checksum while opening (reads every payload byte). */
#define ZR_SHM_VERIFY 0x2u

/** @brief Create flag: fail if a region of that name exists (always on; kept for clarity). */
#define ZR_SHM_EXCLUSIVE 0x1u
/** @brief Create flag: do not allocate the pages up front (faster; a full /dev/shm then faults on write). */
#define ZR_SHM_NO_PREALLOCATE 0x2u
/** @brief Commit flag: skip the payload checksum (the entry records none). */
#define ZR_SHM_NO_CHECKSUM 0x4u

/** @brief Opaque handle on a mapped region (writer or reader). */
typedef struct zr_shm zr_shm;

/** @brief Options of zr_shm_create(). Zero-initialise; zero fields mean the defaults. */
typedef struct zr_shm_create_opts {
  uint32_t mode;          /**< permission bits (0: 0600) */
  uint64_t size;          /**< initial size in bytes (0: header and directory only; grows as needed) */
  uint32_t max_objects;   /**< directory slots (0: ::ZR_SHM_DEFAULT_OBJECTS; ≤ ::ZR_SHM_MAX_OBJECTS) */
  unsigned flags;         /**< ZR_SHM_EXCLUSIVE, ZR_SHM_NO_PREALLOCATE */
  const zr_allocator *alloc; /**< for the handle (NULL: default) */
} zr_shm_create_opts;

/** @brief One directory entry, as a reader sees it. Pointers are into the mapping. */
typedef struct zr_shm_object {
  char name[ZR_SHM_NAME_MAX + 1];  /**< NUL-terminated */
  uint16_t format;                 /**< ZR_FORMAT_ID_* or ::ZR_SHM_FORMAT_RAW */
  uint64_t offset;                 /**< from the start of the region; multiple of ::ZR_SHM_ALIGN */
  uint64_t length;                 /**< payload bytes */
  uint64_t checksum;               /**< XXH3-64 (seed 0) of the payload; valid when has_checksum */
  int has_checksum;                /**< non-zero when the writer recorded a checksum */
  zr_dtype dtype;                  /**< raw tensors: element type (0 otherwise) */
  zr_byte_order byte_order;        /**< raw tensors: byte order */
  zr_time_unit time_unit;          /**< raw datetime64/timedelta64 tensors: unit */
  uint32_t ndim;                   /**< raw tensors: dimensions (0 for a scalar or plain bytes) */
  uint64_t itemsize;               /**< raw tensors: bytes per element (0 for plain bytes) */
  int64_t shape[ZR_SHM_MAX_DIMS];  /**< raw tensors: extents */
  const uint8_t *data;             /**< payload in the mapping; valid while the handle or a view lives */
} zr_shm_object;

/**
 * @brief Check a region name: an optional leading '/', then 1 … 199 characters of
 * `[A-Za-z0-9._-]`, not "." or "..".
 * @return ZR_OK or ZR_ERR_INVALID_ARG with a message. Thread-safe.
 */
ZR_API zr_status zr_shm_name_valid(const char *name, zr_error *err);

/**
 * @brief Create a new region @p name (exclusive: ZR_ERR_EXISTS if it exists), mode 0600 by
 * default, sized for the header and directory (or @p opts->size), mapped read-write, state
 * "writing". Pages are allocated up front (posix_fallocate) so a full /dev/shm is a clean
 * ZR_ERR_NOSPACE now instead of a fault later; on any failure the object is unlinked again and
 * nothing is left behind.
 * @param name region name (see zr_shm_name_valid()).
 * @param opts NULL for the defaults.
 * @param out receives the handle; release with zr_shm_close(). The region stays in the system
 *        until zr_shm_unlink().
 * @param err NULL or filled on failure. A handle is used by one thread at a time.
 */
ZR_API zr_status zr_shm_create(const char *name, const zr_shm_create_opts *opts, zr_shm **out, zr_error *err);

/**
 * @brief Open a published region for reading (flags ZR_SHM_READ, default) or reading and writing
 * in place (ZR_SHM_WRITE); ZR_SHM_VERIFY also checks every payload checksum.
 *
 * Fails with ZR_ERR_STATE when the region is not published (yet), ZR_ERR_MALFORMED /
 * ZR_ERR_TRUNCATED for bad bounds, ZR_ERR_CHECKSUM for a bad directory or payload checksum,
 * ZR_ERR_VERSION for a newer layout, ZR_ERR_NOT_FOUND when no region has that name.
 * @param name region name (see zr_shm_name_valid()).
 * @param flags ZR_SHM_READ (0), ZR_SHM_WRITE, ZR_SHM_VERIFY.
 * @param alloc for the handle (NULL: default).
 * @param out receives the handle; release with zr_shm_close().
 * @param err NULL or filled on failure. A handle is used by one thread at a time; several
 *        processes may map one region.
 */
ZR_API zr_status zr_shm_open(const char *name, unsigned flags, const zr_allocator *alloc, zr_shm **out,
                             zr_error *err);

/**
 * @brief Make the region at least @p size bytes (writer, before publishing). May move the
 * mapping: pointers from an earlier zr_shm_reserve() become invalid (offsets stay).
 */
ZR_API zr_status zr_shm_grow(zr_shm *r, uint64_t size, zr_error *err);

/**
 * @brief Reserve @p len bytes (64-byte aligned) for a new object @p name and return where to
 * write them. The region grows when needed. Valid until the next call that may grow the region.
 * One reservation at a time: finish it with zr_shm_commit() (or zr_shm_abort()).
 */
ZR_API zr_status zr_shm_reserve(zr_shm *r, const char *name, uint64_t len, void **ptr, zr_error *err);

/**
 * @brief Finish the pending reservation: @p len bytes (≤ reserved) were written, in format
 * @p format. Computes the XXH3 checksum unless @p flags has ZR_SHM_NO_CHECKSUM.
 */
ZR_API zr_status zr_shm_commit(zr_shm *r, uint16_t format, uint64_t len, unsigned flags, zr_error *err);

/** @brief Drop the pending reservation (nothing is recorded). NULL-safe, no-op without one. */
ZR_API void zr_shm_abort(zr_shm *r);

/**
 * @brief Reserve a raw C-contiguous tensor object @p name and describe it in @p out (data points
 * into the region, release NULL) so the producer fills it in place; then zr_shm_commit() with
 * ::ZR_SHM_FORMAT_RAW and `out->nbytes`. At most ::ZR_SHM_MAX_DIMS dimensions, fixed-size dtypes
 * or bytes/unicode with @p itemsize.
 */
ZR_API zr_status zr_shm_reserve_tensor(zr_shm *r, const char *name, zr_dtype dtype, uint64_t itemsize,
                                       uint32_t ndim, const int64_t *shape, zr_tensor *out, zr_error *err);

/** @brief Copy tensor @p t (any strides) into a new raw tensor object @p name, C-contiguous. */
ZR_API zr_status zr_shm_put_tensor(zr_shm *r, const char *name, const zr_tensor *t, unsigned flags,
                                   zr_error *err);

/**
 * @brief Serialize @p v with the built-in format @p format_id straight into a new object
 * @p name: a size pass (counting sink), a reservation of exactly that size, then the encoder
 * writes in place through a fixed sink over the mapping — no intermediate buffer.
 * @param opts encoder options or NULL.
 * @param r a region being written.
 * @param name object name (unique in the region).
 * @param format_id a built-in format id (format.h).
 * @param v the value (only read).
 * @param flags object flags (0).
 * @param err NULL or filled on failure.
 */
ZR_API zr_status zr_shm_put_value(zr_shm *r, const char *name, uint16_t format_id, const zr_value *v,
                                  const zr_encode_opts *opts, unsigned flags, zr_error *err);

/**
 * @brief Publish: store the directory checksum, bump the generation and store the state
 * "published" with release ordering. Afterwards the region is read-only for the writer's
 * directory (payloads stay writable through a ZR_SHM_WRITE mapping).
 */
ZR_API zr_status zr_shm_publish(zr_shm *r, zr_error *err);

/** @brief Number of objects (committed ones, for a writer). */
ZR_API size_t zr_shm_count(const zr_shm *r);

/** @brief Entry @p i (0 ≤ i < zr_shm_count()). */
ZR_API zr_status zr_shm_object_at(const zr_shm *r, size_t i, zr_shm_object *out, zr_error *err);

/** @brief Entry named @p name, or ZR_ERR_NOT_FOUND. */
ZR_API zr_status zr_shm_find(const zr_shm *r, const char *name, zr_shm_object *out, zr_error *err);

/** @brief Recompute the checksum of object @p name (NULL: every object); ZR_ERR_CHECKSUM on mismatch. */
ZR_API zr_status zr_shm_verify(const zr_shm *r, const char *name, zr_error *err);

/**
 * @brief Decode object @p name as a zero-copy doc: raw tensors become a tensor value over the
 * mapping; other objects are decoded by their format's decoder on the mapped bytes (views into
 * the mapping). The doc holds a reference on the region: the mapping lives until zr_doc_free().
 * @param r the region.
 * @param name the object.
 * @param opts decode options or NULL (defaults).
 * @param out receives the doc; free with zr_doc_free() (it keeps the mapping alive).
 * @param err NULL or filled on failure.
 */
ZR_API zr_status zr_shm_get_value(zr_shm *r, const char *name, const zr_decode_opts *opts, zr_doc **out,
                                  zr_error *err);

/**
 * @brief A view of raw tensor object @p name. `out->release(out->owner)` drops the reference it
 * holds on the region (call it exactly once); until then the data stays mapped.
 */
ZR_API zr_status zr_shm_get_tensor(zr_shm *r, const char *name, zr_tensor *out, zr_error *err);

/** @brief The mapping: base address and size in bytes (valid while the region lives). */
ZR_API void zr_shm_mapping(const zr_shm *r, const uint8_t **base, uint64_t *size);

/** @brief Generation seen by this handle (0 while writing; ≥ 1 once published). */
ZR_API uint64_t zr_shm_generation(const zr_shm *r);

/**
 * @brief Re-read the shared header: ZR_OK while it is still published with the generation this
 * handle opened, ZR_ERR_STATE otherwise (the writer started over, or the header was damaged).
 */
ZR_API zr_status zr_shm_check(const zr_shm *r, zr_error *err);

/** @brief Name of the region (with its leading '/'); valid as long as the handle. */
ZR_API const char *zr_shm_name(const zr_shm *r);

/** @brief Non-zero when the handle maps the region writable. */
ZR_API int zr_shm_writable(const zr_shm *r);

/** @brief Take one more reference (the mapping lives until every reference is released). */
ZR_API void zr_shm_ref(zr_shm *r);

/** @brief Current number of references: 1 for the handle alone, more while views live. */
ZR_API unsigned zr_shm_refs(const zr_shm *r);

/**
 * @brief Release the caller's reference. The mapping is unmapped once no view holds one either.
 * Does not unlink. NULL-safe. A writer closing before publishing leaves the region unpublished
 * (readers refuse it); unlink it to remove it.
 */
ZR_API void zr_shm_close(zr_shm *r);

/** @brief Remove region @p name from the system (mappings stay valid until unmapped). */
ZR_API zr_status zr_shm_unlink(const char *name, zr_error *err);

/**
 * @brief Parse and check a region header and directory held in @p data (@p len bytes) exactly as
 * zr_shm_open() does, without opening anything. For tools and fuzzing. Returns the number of
 * objects in @p count.
 */
ZR_API zr_status zr_shm_header_check(const uint8_t *data, size_t len, size_t *count, zr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_SHM_H */
