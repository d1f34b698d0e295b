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
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

/** @brief Arrow C Data Interface: a type description (see the Arrow specification). */
struct ArrowSchema {
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *);
  void *private_data;
};

/** @brief Arrow C Data Interface: array data (see the Arrow specification). */
struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *);
  void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

/** @brief Arrow C Stream Interface: a pull-based sequence of arrays sharing a schema. */
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
  int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
  const char *(*get_last_error)(struct ArrowArrayStream *);
  void (*release)(struct ArrowArrayStream *);
  void *private_data;
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
