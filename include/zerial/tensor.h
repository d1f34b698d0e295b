/**
 * @file tensor.h
 * @brief ::zr_tensor: an n-dimensional array described like NumPy's (dtype, byte order, shape,
 * strides) over memory held by an owner with a release callback.
 *
 * Thread safety: a tensor is plain data; reading it from several threads is safe.
 */
#ifndef ZERIAL_TENSOR_H
#define ZERIAL_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Largest number of dimensions (NumPy's limit). */
#define ZR_TENSOR_MAX_DIMS 32

/** @brief Element types. Numbers are part of the binary format: append only. */
typedef enum zr_dtype {
  ZR_DT_BOOL = 1,        /**< 1 byte, 0 or 1. */
  ZR_DT_INT8 = 2,        /**< signed 8-bit */
  ZR_DT_INT16 = 3,       /**< signed 16-bit */
  ZR_DT_INT32 = 4,       /**< signed 32-bit */
  ZR_DT_INT64 = 5,       /**< signed 64-bit */
  ZR_DT_UINT8 = 6,       /**< unsigned 8-bit */
  ZR_DT_UINT16 = 7,      /**< unsigned 16-bit */
  ZR_DT_UINT32 = 8,      /**< unsigned 32-bit */
  ZR_DT_UINT64 = 9,      /**< unsigned 64-bit */
  ZR_DT_FLOAT16 = 10,    /**< IEEE binary16 */
  ZR_DT_FLOAT32 = 11,    /**< IEEE binary32 */
  ZR_DT_FLOAT64 = 12,    /**< IEEE binary64 */
  ZR_DT_COMPLEX64 = 13,  /**< two float32 */
  ZR_DT_COMPLEX128 = 14, /**< two float64 */
  ZR_DT_DATETIME64 = 15, /**< int64 count of zr_tensor::time_unit since the epoch */
  ZR_DT_TIMEDELTA64 = 16,/**< int64 count of zr_tensor::time_unit */
  ZR_DT_BYTES = 17,      /**< fixed-size bytes (NumPy 'S'), itemsize bytes */
  ZR_DT_UNICODE = 18,    /**< fixed-size UCS-4 (NumPy 'U'), itemsize = 4 × chars */
  ZR_DT_VOID = 19,       /**< raw or structured records (NumPy 'V'); see zr_tensor::descr */
  ZR_DT_LONGDOUBLE = 20  /**< platform long double: carried as raw bytes only */
} zr_dtype;

/** @brief Byte order of the elements. */
typedef enum zr_byte_order {
  ZR_ORDER_LITTLE = 0, /**< little endian (or not applicable: 1-byte types) */
  ZR_ORDER_BIG = 1     /**< big endian */
} zr_byte_order;

/** @brief Time units for datetime64/timedelta64 tensors and timestamp values. */
typedef enum zr_time_unit {
  ZR_TU_SECOND = 0,
  ZR_TU_MILLI = 1,
  ZR_TU_MICRO = 2,
  ZR_TU_NANO = 3,
  ZR_TU_YEAR = 4,
  ZR_TU_MONTH = 5,
  ZR_TU_WEEK = 6,
  ZR_TU_DAY = 7,
  ZR_TU_HOUR = 8,
  ZR_TU_MINUTE = 9,
  ZR_TU_PICO = 10,
  ZR_TU_FEMTO = 11,
  ZR_TU_ATTO = 12,
  ZR_TU_GENERIC = 13
} zr_time_unit;

/**
 * @brief An n-dimensional array view.
 *
 * `data` points to the element at index (0, …, 0); element (i0, i1, …) lives at
 * `data + Σ ik × strides[k]` (strides in bytes, may be negative or zero). `nbytes` is the size of
 * the memory block the view needs (for C or Fortran contiguous tensors: product(shape) ×
 * itemsize). When `release` is set, it is called once with `owner` when the tensor is dropped by
 * whoever owns the tensor (a doc releases the tensors it holds when freed). `descr`, when set, is
 * the NumPy dtype description (e.g. "<f8" or a structured list) and lives as long as the tensor.
 */
typedef struct zr_tensor {
  zr_dtype dtype;                         /**< element type */
  zr_byte_order byte_order;               /**< byte order of elements */
  zr_time_unit time_unit;                 /**< unit for DATETIME64/TIMEDELTA64 */
  uint32_t ndim;                          /**< 0 … ZR_TENSOR_MAX_DIMS */
  uint64_t itemsize;                      /**< bytes per element */
  int64_t shape[ZR_TENSOR_MAX_DIMS];      /**< extent per dimension */
  int64_t strides[ZR_TENSOR_MAX_DIMS];    /**< byte step per dimension */
  void *data;                             /**< first element (may be NULL when empty) */
  uint64_t nbytes;                        /**< size of the memory block */
  const char *descr;                      /**< NumPy descr string, or NULL */
  void (*release)(void *owner);           /**< called once when dropped, or NULL */
  void *owner;                            /**< passed to release */
} zr_tensor;

/** @brief Bytes of one element of @p dt, 0 for variable-size types (BYTES, UNICODE, VOID). */
ZR_API size_t zr_dtype_size(zr_dtype dt);

/** @brief Short name of @p dt ("float64", "int8", …), "invalid" otherwise. Static storage. */
ZR_API const char *zr_dtype_name(zr_dtype dt);

/** @brief Number of elements (product of the shape; 1 for 0-d). Saturates at UINT64_MAX on overflow. */
ZR_API uint64_t zr_tensor_count(const zr_tensor *t);

/** @brief Non-zero when the strides describe a C-contiguous (row-major) layout. */
ZR_API int zr_tensor_is_c_contiguous(const zr_tensor *t);

/** @brief Non-zero when the strides describe a Fortran-contiguous (column-major) layout. */
ZR_API int zr_tensor_is_f_contiguous(const zr_tensor *t);

/**
 * @brief Initialise @p t as a C-contiguous view of @p data (not owned; release NULL).
 * Checks ndim and that product(shape) × itemsize does not overflow.
 */
ZR_API zr_status zr_tensor_init(zr_tensor *t, zr_dtype dtype, uint64_t itemsize, uint32_t ndim,
                                const int64_t *shape, void *data, zr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_TENSOR_H */
