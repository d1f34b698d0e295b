/**
 * @file numpy.h
 * @brief NumPy layouts: `.npy` files, `.npz` archives, pickle protocol 5 for arrays (writer and a
 * safe, restricted reader) and scipy.sparse matrices saved with `save_npz`.
 *
 * Arrays are ::zr_tensor values (kind ::ZR_KIND_TENSOR). A tensor read from `.npy` or a stored
 * `.npz` member is a *view* into the input bytes unless zr_decode_opts::copy is set: the input
 * must then outlive the doc. zr_tensor::descr holds NumPy's dtype description: the type string
 * (such as `<f8`, `>M8[ns]`, `|S5`) or, for structured dtypes, the Python literal of the field
 * list (such as `[('x', '<f4'), ('y', '<i8', (2,))]`).
 *
 * Thread safety: every function is reentrant; objects passed in belong to one caller at a time.
 */
#ifndef ZERIAL_NUMPY_H
#define ZERIAL_NUMPY_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "status.h"
#include "tensor.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief NumPy's default limit on the `.npy` header text (bytes). */
#define ZR_NPY_DEFAULT_MAX_HEADER 10000u

/** @brief Options of the NumPy readers and writers. Zero-initialise: zero means the default. */
typedef struct zr_npy_opts {
  size_t max_header_size; /**< readers: largest header text accepted (0: ZR_NPY_DEFAULT_MAX_HEADER) */
  int skip_crc;           /**< npz reader: do not verify member CRC-32 (default: verify) */
  int compress;           /**< npz writer: deflate members (like np.savez_compressed); default stored */
  int force_zip64;        /**< npz writer: zip64 records even for small members (testing) */
} zr_npy_opts;

/** @brief What zr_npy_parse() found in a `.npy` header. */
typedef struct zr_npy_info {
  uint8_t major, minor;  /**< format version (1.0, 2.0 or 3.0) */
  int fortran_order;     /**< data in column-major order */
  uint64_t header_len;   /**< bytes of the header text (after the length field) */
  uint64_t data_offset;  /**< offset of the first data byte */
  uint64_t data_len;     /**< bytes of array data (product of shape × itemsize) */
} zr_npy_info;

/**
 * @brief Parse a `.npy` header and describe the array as a view of @p data.
 *
 * @p t receives dtype, byte order, itemsize, shape, strides (C or Fortran), `data` pointing into
 * @p data (NULL when empty) and `descr` allocated in @p doc (so @p doc must outlive @p t's
 * descr). Fails with ZR_ERR_TRUNCATED when fewer data bytes than the shape needs are present
 * (pass @p len covering at least the header to only inspect: see @p header_only), ZR_ERR_REFUSED
 * for object arrays, ZR_ERR_LIMIT for a header longer than the limit, ZR_ERR_OVERFLOW when
 * shape × itemsize overflows.
 * @param header_only non-zero: do not require the data bytes to be present.
 */
ZR_API zr_status zr_npy_parse(const uint8_t *data, size_t len, const zr_npy_opts *nopts, int header_only,
                              zr_doc *doc, zr_tensor *t, zr_npy_info *info, zr_error *err);

/**
 * @brief Decode a `.npy` file into a new doc whose root is a tensor (free with zr_doc_free()).
 * Zero-copy unless @p opts->copy: the tensor's data then points into @p data.
 */
ZR_API zr_status zr_npy_decode(const uint8_t *data, size_t len, const zr_decode_opts *opts,
                               const zr_npy_opts *nopts, zr_doc **out, zr_error *err);

/**
 * @brief Write @p t as a `.npy` file: version 1.0 unless the header needs 2.0 (longer than 65535
 * bytes) or 3.0 (field names outside latin-1), header padded so the data starts 64-byte aligned,
 * byte for byte what `np.save` writes. C-contiguous tensors are written C order, Fortran-contiguous
 * ones Fortran order, others gathered in C order.
 */
ZR_API zr_status zr_npy_encode(const zr_tensor *t, zr_sink *sink, zr_error *err);

/**
 * @brief NumPy descr text for @p t into @p buf (NUL-terminated): zr_tensor::descr when set,
 * otherwise derived from dtype, byte order, itemsize and time unit.
 */
ZR_API zr_status zr_npy_descr(const zr_tensor *t, char *buf, size_t cap, zr_error *err);

/**
 * @brief Element at @p index (ndim indices) of a numeric tensor as a double. Bool, integers,
 * floats (float16 included), the real part of complex, datetime/timedelta counts. Long double
 * tensors fail with ZR_ERR_UNSUPPORTED: they are carried as raw bytes only.
 */
ZR_API zr_status zr_npy_element_f64(const zr_tensor *t, const int64_t *index, double *out, zr_error *err);

/**
 * @brief Decode a `.npz` archive into a new doc whose root is a map: member name (without the
 * `.npy` suffix, like np.load) → tensor. Stored members are views into @p data (unless
 * @p opts->copy); deflated ones are inflated into the doc. CRC-32 verified unless nopts->skip_crc.
 * Zip64 archives are read.
 */
ZR_API zr_status zr_npz_decode(const uint8_t *data, size_t len, const zr_decode_opts *opts,
                               const zr_npy_opts *nopts, zr_doc **out, zr_error *err);

/**
 * @brief Write a `.npz` archive from @p v: a map of string → tensor (members `<key>.npy`) or one
 * tensor (member `arr_0.npy`). Stored members are padded (extra field) so every array's data
 * starts 64-byte aligned in the archive; nopts->compress deflates instead. Zip64 records are used
 * when sizes or offsets need them (or nopts->force_zip64).
 */
ZR_API zr_status zr_npz_encode(const zr_value *v, const zr_npy_opts *nopts, zr_sink *sink, zr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_NUMPY_H */
