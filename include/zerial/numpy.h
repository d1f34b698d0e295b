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
#include "format.h"
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
  const zr_allocator *alloc; /**< writers: scratch memory (NULL: default) */
} zr_npy_opts;

/** @brief What zr_npy_parse() found in a `.npy` header. */
typedef struct zr_npy_info {
  uint8_t major;         /**< format major version (1, 2 or 3) */
  uint8_t minor;         /**< format minor version (0) */
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
 * @param data,len the `.npy` bytes (only read; @p t's data points into them).
 * @param nopts NULL for the defaults (header size limit).
 * @param doc where the descr string is allocated.
 * @param t receives the tensor view.
 * @param info NULL, or receives the header details.
 * @param err NULL or filled on failure (with the byte offset). Reentrant.
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

/** @brief zr_npy_encode() with scratch memory (header, gathered copies) from @p alloc (NULL: default). */
ZR_API zr_status zr_npy_encode_alloc(const zr_tensor *t, const zr_allocator *alloc, zr_sink *sink, zr_error *err);

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
 * `.npy` suffix, like np.load) → tensor. Stored members whose array data is aligned for the
 * element type (as zr_npz_encode() writes them) are views into @p data (unless @p opts->copy);
 * misaligned ones are copied into 64-byte aligned doc memory; deflated ones are inflated into
 * the doc. CRC-32 verified unless nopts->skip_crc.
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

/* ---- tensors <-> tables ---- */

/**
 * @brief A table from NumPy-shaped data: a 1-D tensor becomes one column named "values"; a 2-D
 * tensor (n × k) k columns "0" … "k-1"; a 1-D structured tensor one column per named field; a
 * map of equal-length 1-D tensors (what zr_npz_decode() gives) one column per member. Column
 * types: bool, int/uint 8–64, float16/32/64, datetime64[D] (date32), datetime64 and timedelta64
 * in s/ms/us/ns (timestamp/duration, NaT as null), S<n> (fixed_size_binary), U<n> (utf8);
 * big-endian data is swapped. Anything else fails with ZR_ERR_TYPE and the value path.
 * Contiguous little-endian numeric columns are views: @p v must outlive @p out. Release @p out
 * with zr_table_release(). Thread-safe (no shared state).
 */
ZR_API zr_status zr_numpy_to_table(const zr_value *v, zr_table *out, zr_error *err);

/**
 * @brief The NumPy form of a table (all batches concatenated, data copied into memory the doc
 * releases): with @p as_map a map column name → 1-D tensor; otherwise one column gives a 1-D
 * tensor and several a 1-D structured tensor with one field per column (packed). Nulls become
 * NaN in float columns and NaT in datetime/timedelta columns; elsewhere, like unmappable column
 * types (nested, dictionary, decimal, …), they fail with ZR_ERR_TYPE and the value path.
 * Lossy mappings (a null stored as NaN, a timestamp's time zone dropped) are reported to
 * @p warnings (may be NULL) with the value path, or fail with ZR_ERR_LOSSY when @p strict.
 */
ZR_API zr_status zr_numpy_from_table(const zr_table *t, zr_doc *doc, int as_map, zr_warnings *warnings, int strict,
                                     zr_value *out, zr_error *err);

/** @brief Non-zero when @p v is a tensor or a non-empty map whose values are all tensors. */
ZR_API int zr_numpy_is_tensor_table(const zr_value *v);

/* ---- pickle ---- */

/** @brief A buffer travelling out of band beside a pickle (PEP 574). Plain data. */
typedef struct zr_pickle_buffer {
  const void *data; /**< bytes (borrowed from the tensor that was encoded, or from the caller) */
  size_t len;       /**< byte count */
  int readonly;     /**< non-zero: Python sees a read-only buffer */
} zr_pickle_buffer;

/** @brief Options of the pickle writer. Zero-initialise. */
typedef struct zr_pickle_opts {
  int out_of_band;      /**< non-zero: contiguous tensors' data leave as NEXT_BUFFER out-of-band buffers */
  size_t oob_min_bytes; /**< with out_of_band: tensors smaller than this stay in band (0: all out of band) */
  const zr_allocator *alloc; /**< scratch memory and the returned buffer list (NULL: default) */
  zr_warnings *warnings;     /**< lossy mappings (symbol → str) are reported here, or NULL */
  int strict;                /**< non-zero: a lossy mapping fails with ZR_ERR_LOSSY instead */
} zr_pickle_opts;

/**
 * @brief Write @p v as a pickle (protocol 5) that `pickle.loads` turns into Python objects:
 * None, bool, int (any size), float, str, bytes, list, tuple, dict, and tensors as
 * `numpy.ndarray(shape, numpy.dtype(descr), numpy.frombuffer(buf, numpy.dtype('u1')), 0, None, order)`
 * (public NumPy names only: it loads on NumPy 1.x and 2.x).
 *
 * In band, tensor bytes are BYTEARRAY8 payloads (writable arrays). With po->out_of_band, the
 * data of C- or Fortran-contiguous tensors is not copied: NEXT_BUFFER opcodes stand in for it and
 * @p *buffers (allocated with po->alloc; by default release it with zr_free()) lists the tensors'
 * memory in order; pass them to `pickle.loads(data, buffers=...)`, which shares that memory.
 * The buffers borrow from @p v's tensors: keep them alive while the buffers are used.
 * Timestamps, tables, ext values, symbols as keys of unhashable kinds fail with ZR_ERR_TYPE and
 * the value path.
 */
ZR_API zr_status zr_pickle_encode(const zr_value *v, const zr_pickle_opts *po, zr_sink *sink,
                                  zr_pickle_buffer **buffers, size_t *nbuffers, zr_error *err);

/**
 * @brief Safely read a pickle: a restricted interpreter of the data opcodes (no code runs, ever).
 *
 * Accepted globals: `numpy.ndarray`, `numpy.dtype`, `numpy.frombuffer`, `_reconstruct`,
 * `_frombuffer` and `scalar` from `numpy.core.multiarray` / `numpy.core.numeric` (and the same in
 * `numpy._core`), plus `_codecs.encode` with the 'latin1' codec and `bytes()` without arguments (how protocol 2
 * stores bytes).
 * Anything else (`os.system`, `builtins.eval`, …), object dtypes, persistent ids and extension
 * codes fail with ZR_ERR_REFUSED naming what was refused. Reads what NumPy writes at protocols
 * 2–5, in band and out of band (@p buffers, @p nbuffers: the buffers `pickle.dumps` handed to
 * its buffer_callback, in order). Arrays become tensors viewing the pickle bytes or the
 * buffers (zero-copy unless opts->copy, or when the bytes are misaligned for the element type:
 * those are copied into aligned doc memory); views require the input to outlive the doc.
 */
ZR_API zr_status zr_pickle_decode(const uint8_t *data, size_t len, const zr_pickle_buffer *buffers, size_t nbuffers,
                                  const zr_decode_opts *opts, zr_doc **out, zr_error *err);

/* ---- scipy.sparse (the layout of scipy.sparse.save_npz) ---- */

/** @brief Sparse matrix layouts. */
typedef enum zr_sparse_format {
  ZR_SPARSE_CSR = 1, /**< compressed sparse rows (read, write) */
  ZR_SPARSE_CSC = 2, /**< compressed sparse columns (read, write) */
  ZR_SPARSE_COO = 3, /**< coordinates (read, write) */
  ZR_SPARSE_BSR = 4, /**< block sparse rows (read) */
  ZR_SPARSE_DIA = 5  /**< diagonals (read) */
} zr_sparse_format;

/**
 * @brief A sparse matrix as the arrays `save_npz` stores. Plain data: the tensors are views (of a
 * decoded npz doc, or of caller memory) and are not released by any zr_sparse function.
 */
typedef struct zr_sparse {
  zr_sparse_format format; /**< layout */
  int64_t shape[2];        /**< rows, columns */
  zr_tensor data;          /**< values: 1-D (CSR, CSC, COO), 3-D blocks (BSR), 2-D (DIA) */
  zr_tensor indices;       /**< CSR/CSC/BSR: column (row) indices; COO: row indices */
  zr_tensor indptr;        /**< CSR/CSC/BSR: pointers; COO: column indices; DIA: offsets */
} zr_sparse;

/**
 * @brief View the sparse matrix held by a decoded npz map (the root of zr_npz_decode() of a file
 * written by `scipy.sparse.save_npz`). Checks the structure: pointer monotonicity, index ranges,
 * lengths. @p s borrows the map's tensors: it lives as long as that doc.
 */
ZR_API zr_status zr_sparse_from_npz(const zr_value *map, zr_sparse *s, zr_error *err);

/**
 * @brief Build the npz map `save_npz` writes for @p s (keys indices/indptr or row/col, format,
 * shape, data) in @p doc; encode it with zr_npz_encode(). CSR, CSC and COO only.
 * @p s's tensors are referenced, not copied: they must outlive the encode.
 */
ZR_API zr_status zr_sparse_to_npz(zr_doc *doc, const zr_sparse *s, zr_value *map, zr_error *err);

/**
 * @brief Dense C-order tensor of @p s allocated in @p doc (duplicates summed, like scipy's
 * toarray()). Numeric little-endian or big-endian data of bool, integer, float32/64 and complex
 * types.
 */
ZR_API zr_status zr_sparse_to_dense(const zr_sparse *s, zr_doc *doc, zr_tensor *dense, zr_error *err);

/**
 * @brief Sparse form (CSR, CSC or COO) of a 2-D tensor in @p doc: elements whose bytes are not
 * all zero are stored; indices are int32 (int64 when a dimension or the count needs it).
 */
ZR_API zr_status zr_sparse_from_dense(const zr_tensor *dense, zr_sparse_format format, zr_doc *doc, zr_sparse *s,
                                      zr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* ZERIAL_NUMPY_H */
