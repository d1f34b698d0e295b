/**
 * @file table.h
 * @brief Tables as the Arrow C Data Interface: ArrowSchema, ArrowArray, ArrowArrayStream.
 *
 * The structs are defined as the Arrow specification (CDataInterface.rst) gives them, under the
 * same include guards, so any Arrow consumer takes them without a copy. A ::zr_table holds one
 * schema and a sequence of record batches (struct arrays).
 *
 * Thread safety: plain data; release callbacks follow the Arrow rules (called once, by the owner).
 */
#ifndef ZERIAL_TABLE_H
#define ZERIAL_TABLE_H

#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ARROW_C_DATA_INTERFACE
/** @brief Guard shared with other definitions of the Arrow C Data Interface. */
#define ARROW_C_DATA_INTERFACE

/** @brief ArrowSchema flag: dictionary indices are ordered. */
#define ARROW_FLAG_DICTIONARY_ORDERED 1
/** @brief ArrowSchema flag: the field may hold nulls. */
#define ARROW_FLAG_NULLABLE 2
/** @brief ArrowSchema flag: map keys are sorted. */
#define ARROW_FLAG_MAP_KEYS_SORTED 4

/** @brief Arrow C Data Interface: a type description (see the Arrow specification). */
struct ArrowSchema {
  const char *format;                 /**< type format string (e.g. "l" int64, "+s" struct) */
  const char *name;                   /**< field name, or NULL */
  const char *metadata;               /**< binary key/value metadata, or NULL */
  int64_t flags;                      /**< ARROW_FLAG_* */
  int64_t n_children;                 /**< entries in children */
  struct ArrowSchema **children;      /**< child types */
  struct ArrowSchema *dictionary;     /**< value type of a dictionary, or NULL */
  void (*release)(struct ArrowSchema *); /**< called once by the owner; NULL when released */
  void *private_data;                 /**< producer's data */
};

/** @brief Arrow C Data Interface: array data (see the Arrow specification). */
struct ArrowArray {
  int64_t length;                     /**< logical length */
  int64_t null_count;                 /**< nulls, or -1 when unknown */
  int64_t offset;                     /**< logical offset into the buffers */
  int64_t n_buffers;                  /**< entries in buffers */
  int64_t n_children;                 /**< entries in children */
  const void **buffers;               /**< validity, offsets, data… by type */
  struct ArrowArray **children;       /**< child arrays */
  struct ArrowArray *dictionary;      /**< dictionary values, or NULL */
  void (*release)(struct ArrowArray *); /**< called once by the owner; NULL when released */
  void *private_data;                 /**< producer's data */
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
/** @brief Guard shared with other definitions of the Arrow C Stream Interface. */
#define ARROW_C_STREAM_INTERFACE

/** @brief Arrow C Stream Interface: a pull-based sequence of arrays sharing a schema. */
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out); /**< the stream's schema (0 or errno) */
  int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out); /**< next batch; released out at the end */
  const char *(*get_last_error)(struct ArrowArrayStream *); /**< message of the last error, or NULL */
  void (*release)(struct ArrowArrayStream *); /**< called once by the owner */
  void *private_data;                 /**< producer's data */
};

#endif /* ARROW_C_STREAM_INTERFACE */

/**
 * @brief A table: a schema (a struct type) and its record batches (struct arrays).
 *
 * Owns what it holds: zr_table_release() calls the release callbacks of the schema and every
 * batch (those not already moved out, i.e. with non-NULL release) and frees `batches` with the
 * allocator that made it.
 */
typedef struct zr_table {
  struct ArrowSchema schema;   /**< struct schema of the batches */
  int64_t n_batches;           /**< number of entries in batches */
  struct ArrowArray *batches;  /**< array of record batches */
  void *alloc_ctx;             /**< internal: allocator used for `batches` */
} zr_table;

/** @brief Total rows over all batches. */
ZR_API int64_t zr_table_num_rows(const zr_table *t);

/** @brief Release everything the table holds (NULL-safe); leaves it zeroed. */
ZR_API void zr_table_release(zr_table *t);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_TABLE_H */
