/* Shared internals of the numpy format module (npy, npz, pickle, sparse). */
#ifndef ZR_FORMATS_NUMPY_INTERNAL_H
#define ZR_FORMATS_NUMPY_INTERNAL_H

#include "core/internal.h"
#include "zerial/format.h"
#include "zerial/numpy.h"

/* Fill dtype, byte_order, time_unit and itemsize of @p t from a parsed descr value (a type string
 * or a structured field list). Object dtypes → ZR_ERR_REFUSED naming the field. */
zr_status zr__npy_descr_apply(const zr_value *descr, zr_tensor *t, int64_t off, zr_error *err);

/* Descr text of @p t appended to @p b as a Python literal (quoted string or field list). */
zr_status zr__npy_descr_literal(const zr_tensor *t, zr__buf *b, zr_error *err);

/* Parse descr text (a bare type string such as "<f8" or a field-list literal) into @p t's dtype
 * fields, with the canonical descr string allocated in @p doc. */
zr_status zr__npy_descr_from_text(const char *text, size_t n, zr_doc *doc, zr_tensor *t, zr_error *err);

/* Write the whole .npy image of @p t (header + data) to @p sink; @p crc, when non-NULL, receives
 * the CRC-32 of those bytes and @p total their count, computed without writing when sink is NULL. */
zr_status zr__npy_write(const zr_allocator *alloc, const zr_tensor *t, zr_sink *sink, uint32_t *crc, uint64_t *total,
                        zr_error *err);

/* Append the JSON string literal of s[0..n) to b. */
zr_status zr__json_str(zr__buf *b, const char *s, size_t n);

/* Alignment an element of @p t needs for direct loads (1 for bytes/records). */
size_t zr__npy_natural_align(const zr_tensor *t);

/* Copy the elements of a strided tensor to @p dst in C order. */
void zr__tensor_gather(const zr_tensor *t, uint8_t *dst);

/* A table value becomes its NumPy form (zr_numpy_from_table) in a new doc *tmp (free it after
 * use) and *use points at it; any other value is used as it is (*tmp NULL). */
zr_status zr__numpy_untable(const zr_value *v, int as_map, const zr_encode_opts *opts, zr_doc **tmp,
                            const zr_value **use, zr_error *err);

/* The pickle format's inspect: opcode counts, protocol, globals, buffers; nothing executed. */
zr_status zr__pickle_inspect(const uint8_t *data, size_t len, zr_sink *json_out, zr_error *err);

/* Large buffers (≥ ZR__NP_BIG) zerial allocates itself for tensor data: 2 MiB aligned and
 * madvise(MADV_HUGEPAGE)'d, as NumPy does for its arrays, so first touches (page faults, and the
 * kernel's first access when the data is written out) cost per 2 MiB instead of per 4 KiB. */
#define ZR__NP_BIG ((uint64_t)4 << 20)
void *zr__np_big_alloc(size_t n);
void zr__np_big_free(void *p);

extern const zr_format zr__format_npy;
extern const zr_format zr__format_npz;
extern const zr_format zr__format_pickle;

#endif
