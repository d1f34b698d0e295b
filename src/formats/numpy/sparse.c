/* scipy.sparse matrices in the layout of save_npz: views, validation, dense conversion. */
#include <stdio.h>

#include "formats/numpy/numpy_internal.h"

static int is_int_dtype(zr_dtype d) { return d >= ZR_DT_INT8 && d <= ZR_DT_UINT64; }

static int64_t idx_at(const zr_tensor *t, uint64_t i) {
  const uint8_t *p = (const uint8_t *)t->data + (int64_t)i * t->strides[0];
  uint8_t b[8] = {0};
  size_t n = (size_t)t->itemsize;
  memcpy(b, p, n);
  if (t->byte_order == ZR_ORDER_BIG)
    for (size_t k = 0; k < n / 2; k++) { uint8_t c = b[k]; b[k] = b[n - 1 - k]; b[n - 1 - k] = c; }
  uint64_t u = zr__ld64le(b);
  int sign = t->dtype <= ZR_DT_INT64 && (b[n - 1] & 0x80);
  if (sign && n < 8) u |= ~UINT64_C(0) << (8 * n);
  if (!sign && t->dtype == ZR_DT_UINT64 && u > (uint64_t)INT64_MAX) return -1;
  return (int64_t)u;
}

static zr_status want_index(const zr_tensor *t, const char *name, zr_error *err) {
  if (!is_int_dtype(t->dtype) || t->ndim != 1) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: '%s' must be a 1-D integer array", name);
  if (t->shape[0] && !t->data) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: '%s' has no data", name);
  return ZR_OK;
}

static const zr_tensor *member(const zr_value *map, const char *name) {
  const zr_value *v = zr_map_get(map, name, strlen(name));
  return v && v->kind == ZR_KIND_TENSOR ? v->u.tensor : NULL;
}

static zr_status check_compressed(const zr_sparse *s, int64_t major, int64_t minor, uint64_t block, zr_error *err) {
  ZR_TRY(want_index(&s->indices, "indices", err));
  ZR_TRY(want_index(&s->indptr, "indptr", err));
  if (s->indptr.shape[0] != major + 1) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: indptr has %lld entries, %lld expected", (long long)s->indptr.shape[0], (long long)(major + 1));
  uint64_t nnz = (uint64_t)s->indices.shape[0];
  if (s->data.ndim < 1 || (uint64_t)s->data.shape[0] < nnz) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: fewer data entries than indices");
  int64_t prev = 0;
  for (int64_t i = 0; i <= major; i++) {
    int64_t p = idx_at(&s->indptr, (uint64_t)i);
    if (p < prev || (i == 0 && p != 0) || (uint64_t)p > nnz) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: indptr[%lld] = %lld is out of order or range", (long long)i, (long long)p);
    prev = p;
  }
  for (uint64_t k = 0; k < (uint64_t)prev; k++) {
    int64_t j = idx_at(&s->indices, k);
    if (j < 0 || j >= minor) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: index %lld out of range [0, %lld)", (long long)j, (long long)minor);
  }
  (void)block;
  return ZR_OK;
}

static zr_status validate(const zr_sparse *s, zr_error *err) {
  if (s->shape[0] < 0 || s->shape[1] < 0) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: negative shape");
  switch (s->format) {
    case ZR_SPARSE_CSR:
    case ZR_SPARSE_CSC:
      if (s->data.ndim != 1) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: data must be 1-D");
      return s->format == ZR_SPARSE_CSR ? check_compressed(s, s->shape[0], s->shape[1], 1, err) : check_compressed(s, s->shape[1], s->shape[0], 1, err);
    case ZR_SPARSE_BSR: {
      if (s->data.ndim != 3 || s->data.shape[1] <= 0 || s->data.shape[2] <= 0) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: BSR data must be 3-D blocks");
      int64_t R = s->data.shape[1], C = s->data.shape[2];
      if (s->shape[0] % R || s->shape[1] % C) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: shape is not a multiple of the block size");
      return check_compressed(s, s->shape[0] / R, s->shape[1] / C, 1, err);
    }
    case ZR_SPARSE_COO: {
      ZR_TRY(want_index(&s->indices, "row", err));
      ZR_TRY(want_index(&s->indptr, "col", err));
      if (s->data.ndim != 1 || s->indices.shape[0] != s->data.shape[0] || s->indptr.shape[0] != s->data.shape[0])
        return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: row, col and data lengths differ");
      for (int64_t k = 0; k < s->data.shape[0]; k++) {
        int64_t i = idx_at(&s->indices, (uint64_t)k), j = idx_at(&s->indptr, (uint64_t)k);
        if (i < 0 || i >= s->shape[0] || j < 0 || j >= s->shape[1]) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: coordinate (%lld, %lld) out of range", (long long)i, (long long)j);
      }
      return ZR_OK;
    }
    case ZR_SPARSE_DIA:
      ZR_TRY(want_index(&s->indptr, "offsets", err));
      if (s->data.ndim != 2 || s->data.shape[0] != s->indptr.shape[0]) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: DIA data must be (offsets, length)");
      return ZR_OK;
  }
  return zr__err(err, ZR_ERR_INVALID_ARG, -1, "sparse: unknown format %d", (int)s->format);
}

zr_status zr_sparse_from_npz(const zr_value *map, zr_sparse *s, zr_error *err) {
  if (!map || !s) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (map->kind != ZR_KIND_MAP) return zr__err(err, ZR_ERR_TYPE, -1, "sparse: expected the npz map");
  const zr_tensor *fmt = member(map, "format"), *shape = member(map, "shape"), *data = member(map, "data");
  if (!fmt || !shape || !data) return zr__err(err, ZR_ERR_NOT_FOUND, -1, "sparse: not a scipy.sparse npz (format, shape or data missing)");
  char name[4] = {0};
  if (fmt->ndim != 0 || !fmt->data || (fmt->dtype != ZR_DT_BYTES && fmt->dtype != ZR_DT_UNICODE))
    return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: 'format' is not a string scalar");
  for (size_t i = 0, k = 0; k < 3 && i < fmt->itemsize; i += fmt->dtype == ZR_DT_UNICODE ? 4 : 1, k++) {
    const uint8_t *p = (const uint8_t *)fmt->data + i;
    name[k] = (char)(fmt->dtype == ZR_DT_UNICODE && fmt->byte_order == ZR_ORDER_BIG ? p[3] : p[0]);
  }
  memset(s, 0, sizeof *s);
  static const struct { const char *n; zr_sparse_format f; const char *a; const char *b; } kinds[] = {
      {"csr", ZR_SPARSE_CSR, "indices", "indptr"}, {"csc", ZR_SPARSE_CSC, "indices", "indptr"},
      {"bsr", ZR_SPARSE_BSR, "indices", "indptr"}, {"coo", ZR_SPARSE_COO, "row", "col"}, {"dia", ZR_SPARSE_DIA, NULL, "offsets"}};
  size_t k;
  for (k = 0; k < 5; k++)
    if (strcmp(kinds[k].n, name) == 0) break;
  if (k == 5) return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "sparse: unknown matrix format '%s'", name);
  s->format = kinds[k].f;
  if (shape->ndim != 1 || shape->shape[0] != 2 || !is_int_dtype(shape->dtype)) return zr__err(err, ZR_ERR_MALFORMED, -1, "sparse: 'shape' must hold two integers");
  s->shape[0] = idx_at(shape, 0);
  s->shape[1] = idx_at(shape, 1);
  s->data = *data;
  s->data.release = NULL;
  const zr_tensor *a = kinds[k].a ? member(map, kinds[k].a) : NULL, *b = member(map, kinds[k].b);
  if ((kinds[k].a && !a) || !b) return zr__err(err, ZR_ERR_NOT_FOUND, -1, "sparse: %s arrays missing", name);
  if (a) { s->indices = *a; s->indices.release = NULL; }
  s->indptr = *b;
  s->indptr.release = NULL;
  return validate(s, err);
}

static zr_status put_tensor(zr_doc *doc, zr_value *map, const char *key, const zr_tensor *t) {
  zr_tensor c = *t;
  c.release = NULL;
  zr_value v = zr_tensor_value(doc, &c);
  if (v.kind != ZR_KIND_TENSOR) return ZR_ERR_NOMEM;
  return zr_map_put_cstr(doc, map, key, v);
}

zr_status zr_sparse_to_npz(zr_doc *doc, const zr_sparse *s, zr_value *out, zr_error *err) {
  if (!doc || !s || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (s->format != ZR_SPARSE_CSR && s->format != ZR_SPARSE_CSC && s->format != ZR_SPARSE_COO)
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "sparse: only CSR, CSC and COO are written");
  ZR_TRY(validate(s, err));
  zr_value m = zr_map_new(doc, 5);
  zr_status st = m.kind == ZR_KIND_MAP ? ZR_OK : ZR_ERR_NOMEM;
  int coo = s->format == ZR_SPARSE_COO;
  if (st == ZR_OK) st = put_tensor(doc, &m, coo ? "row" : "indices", &s->indices);
  if (st == ZR_OK) st = put_tensor(doc, &m, coo ? "col" : "indptr", &s->indptr);
  /* format: a 0-d |S3 array; shape: int64 (2,) */
  char *fmt = zr_doc_alloc(doc, 3, 1);
  int64_t *shp = zr_doc_alloc(doc, 16, 8);
  if (!fmt || !shp) st = ZR_ERR_NOMEM;
  if (st == ZR_OK) {
    memcpy(fmt, s->format == ZR_SPARSE_CSR ? "csr" : s->format == ZR_SPARSE_CSC ? "csc" : "coo", 3);
    zr_tensor t;
    zr_tensor_init(&t, ZR_DT_BYTES, 3, 0, NULL, fmt, NULL);
    t.descr = "|S3";
    st = put_tensor(doc, &m, "format", &t);
    shp[0] = s->shape[0];
    shp[1] = s->shape[1];
    int64_t two = 2;
    zr_tensor_init(&t, ZR_DT_INT64, 8, 1, &two, shp, NULL);
    t.descr = "<i8";
    if (st == ZR_OK) st = put_tensor(doc, &m, "shape", &t);
  }
  if (st == ZR_OK) st = put_tensor(doc, &m, "data", &s->data);
  if (st != ZR_OK) return zr__err_nomem(err);
  *out = m;
  return ZR_OK;
}

/* ---- dense conversion ---- */

static void swap_bytes(uint8_t *p, size_t n) {
  for (size_t k = 0; k < n / 2; k++) { uint8_t c = p[k]; p[k] = p[n - 1 - k]; p[n - 1 - k] = c; }
}

/* dst (native order) += src (the tensor's byte order) */
static void add_elem(zr_dtype dt, zr_byte_order bo, uint8_t *dst, const uint8_t *src, size_t sz) {
  uint8_t v[16];
  memcpy(v, src, sz);
  size_t part = (dt == ZR_DT_COMPLEX64 || dt == ZR_DT_COMPLEX128) ? sz / 2 : sz;
  if (bo == ZR_ORDER_BIG)
    for (size_t o = 0; o < sz; o += part) swap_bytes(v + o, part);
  switch (dt) {
#define ADD(T) { T a, b; memcpy(&a, dst, sizeof a); memcpy(&b, v, sizeof b); a = (T)(a + b); memcpy(dst, &a, sizeof a); } break
    case ZR_DT_BOOL: dst[0] = (uint8_t)(dst[0] | (v[0] != 0)); break;
    case ZR_DT_INT8: ADD(int8_t);
    case ZR_DT_INT16: ADD(int16_t);
    case ZR_DT_INT32: ADD(int32_t);
    case ZR_DT_INT64: ADD(int64_t);
    case ZR_DT_UINT8: ADD(uint8_t);
    case ZR_DT_UINT16: ADD(uint16_t);
    case ZR_DT_UINT32: ADD(uint32_t);
    case ZR_DT_UINT64: ADD(uint64_t);
    case ZR_DT_FLOAT32: ADD(float);
    case ZR_DT_FLOAT64: ADD(double);
    case ZR_DT_COMPLEX64: { float a[2], b[2]; memcpy(a, dst, 8); memcpy(b, v, 8); a[0] += b[0]; a[1] += b[1]; memcpy(dst, a, 8); } break;
    case ZR_DT_COMPLEX128: { double a[2], b[2]; memcpy(a, dst, 16); memcpy(b, v, 16); a[0] += b[0]; a[1] += b[1]; memcpy(dst, a, 16); } break;
#undef ADD
    default: break;
  }
}

zr_status zr_sparse_to_dense(const zr_sparse *s, zr_doc *doc, zr_tensor *out, zr_error *err) {
  if (!s || !doc || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  ZR_TRY(validate(s, err));
  zr_dtype dt = s->data.dtype;
  if (!(dt == ZR_DT_BOOL || is_int_dtype(dt) || dt == ZR_DT_FLOAT32 || dt == ZR_DT_FLOAT64 || dt == ZR_DT_COMPLEX64 || dt == ZR_DT_COMPLEX128))
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "sparse: dense conversion of %s data is not supported", zr_dtype_name(dt));
  int64_t shape[2] = {s->shape[0], s->shape[1]};
  zr_tensor d;
  ZR_TRY(zr_tensor_init(&d, dt, s->data.itemsize, 2, shape, NULL, err));
  uint8_t *mem = zr_doc_alloc(doc, (size_t)(d.nbytes ? d.nbytes : 1), 64);
  if (!mem) return zr__err(err, ZR_ERR_NOMEM, -1, "sparse: cannot allocate %llu bytes", (unsigned long long)d.nbytes);
  memset(mem, 0, (size_t)d.nbytes);
  d.data = mem;
  size_t sz = (size_t)d.itemsize;
  int64_t ncols = shape[1];
  const zr_tensor *v = &s->data;
#define AT(i, j) (mem + ((size_t)(i) * (size_t)ncols + (size_t)(j)) * sz)
  if (s->format == ZR_SPARSE_CSR || s->format == ZR_SPARSE_CSC) {
    int64_t major = s->format == ZR_SPARSE_CSR ? shape[0] : shape[1];
    for (int64_t i = 0; i < major; i++)
      for (int64_t k = idx_at(&s->indptr, (uint64_t)i); k < idx_at(&s->indptr, (uint64_t)i + 1); k++) {
        int64_t j = idx_at(&s->indices, (uint64_t)k);
        const uint8_t *src = (const uint8_t *)v->data + k * v->strides[0];
        add_elem(dt, v->byte_order, s->format == ZR_SPARSE_CSR ? AT(i, j) : AT(j, i), src, sz);
      }
  } else if (s->format == ZR_SPARSE_COO) {
    for (int64_t k = 0; k < v->shape[0]; k++)
      add_elem(dt, v->byte_order, AT(idx_at(&s->indices, (uint64_t)k), idx_at(&s->indptr, (uint64_t)k)), (const uint8_t *)v->data + k * v->strides[0], sz);
  } else if (s->format == ZR_SPARSE_BSR) {
    int64_t R = v->shape[1], C = v->shape[2];
    for (int64_t bi = 0; bi < shape[0] / R; bi++)
      for (int64_t k = idx_at(&s->indptr, (uint64_t)bi); k < idx_at(&s->indptr, (uint64_t)bi + 1); k++) {
        int64_t bj = idx_at(&s->indices, (uint64_t)k);
        for (int64_t r = 0; r < R; r++)
          for (int64_t c = 0; c < C; c++)
            add_elem(dt, v->byte_order, AT(bi * R + r, bj * C + c),
                     (const uint8_t *)v->data + k * v->strides[0] + r * v->strides[1] + c * v->strides[2], sz);
      }
  } else { /* DIA: A[i, i + off] = data[k, i + off] */
    int64_t L = v->shape[1];
    for (int64_t k = 0; k < v->shape[0]; k++) {
      int64_t off = idx_at(&s->indptr, (uint64_t)k);
      for (int64_t j = 0; j < L && j < shape[1]; j++) {
        int64_t i = j - off;
        if (i < 0 || i >= shape[0]) continue;
        add_elem(dt, v->byte_order, AT(i, j), (const uint8_t *)v->data + k * v->strides[0] + j * v->strides[1], sz);
      }
    }
  }
#undef AT
  char descr[32];
  snprintf(descr, sizeof descr, "%s", "");
  d.byte_order = ZR_ORDER_LITTLE;
  zr_tensor tmp = d;
  tmp.descr = NULL;
  if (zr_npy_descr(&tmp, descr, sizeof descr, NULL) == ZR_OK) {
    char *ds = zr_doc_alloc(doc, strlen(descr) + 1, 1);
    if (!ds) return zr__err_nomem(err);
    memcpy(ds, descr, strlen(descr) + 1);
    d.descr = ds;
  }
  *out = d;
  return ZR_OK;
}

zr_status zr_sparse_from_dense(const zr_tensor *dense, zr_sparse_format format, zr_doc *doc, zr_sparse *s, zr_error *err) {
  if (!dense || !doc || !s) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (dense->ndim != 2) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "sparse: a 2-D tensor is needed");
  if (format != ZR_SPARSE_CSR && format != ZR_SPARSE_CSC && format != ZR_SPARSE_COO)
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "sparse: only CSR, CSC and COO are built from dense");
  int64_t rows = dense->shape[0], cols = dense->shape[1];
  size_t sz = (size_t)dense->itemsize;
  uint64_t nnz = 0;
  int major_rows = format != ZR_SPARSE_CSC;
  int64_t nmaj = major_rows ? rows : cols, nmin = major_rows ? cols : rows;
#define ELEM(i, j) ((const uint8_t *)dense->data + (i) * dense->strides[0] + (j) * dense->strides[1])
  static const uint8_t zero[64] = {0};
  for (int64_t a = 0; a < nmaj; a++)
    for (int64_t b = 0; b < nmin; b++) {
      const uint8_t *p = major_rows ? ELEM(a, b) : ELEM(b, a);
      int nz = 0;
      for (size_t k = 0; k < sz && !nz; k += sizeof zero) nz = memcmp(p + k, zero, sz - k < sizeof zero ? sz - k : sizeof zero) != 0;
      nnz += (uint64_t)nz;
    }
  int wide = nnz > INT32_MAX || rows > INT32_MAX || cols > INT32_MAX;
  size_t isz = wide ? 8 : 4;
  memset(s, 0, sizeof *s);
  s->format = format;
  s->shape[0] = rows;
  s->shape[1] = cols;
  uint64_t nptr = format == ZR_SPARSE_COO ? nnz : (uint64_t)nmaj + 1;
  uint8_t *vals = zr_doc_alloc(doc, (size_t)(nnz * sz + 1), 64);
  uint8_t *idx = zr_doc_alloc(doc, (size_t)(nnz * isz + 1), 64);
  uint8_t *ptr = zr_doc_alloc(doc, (size_t)(nptr * isz + 1), 64);
  if (!vals || !idx || !ptr) return zr__err_nomem(err);
  uint64_t k = 0;
  if (format != ZR_SPARSE_COO) memset(ptr, 0, isz);
  for (int64_t a = 0; a < nmaj; a++) {
    for (int64_t b = 0; b < nmin; b++) {
      const uint8_t *p = major_rows ? ELEM(a, b) : ELEM(b, a);
      int nz = 0;
      for (size_t q = 0; q < sz && !nz; q += sizeof zero) nz = memcmp(p + q, zero, sz - q < sizeof zero ? sz - q : sizeof zero) != 0;
      if (!nz) continue;
      memcpy(vals + k * sz, p, sz);
      int64_t i1 = format == ZR_SPARSE_COO ? a : b, i2 = b;
      if (wide) { memcpy(idx + k * 8, &i1, 8); if (format == ZR_SPARSE_COO) memcpy(ptr + k * 8, &i2, 8); }
      else { int32_t x = (int32_t)i1, y = (int32_t)i2; memcpy(idx + k * 4, &x, 4); if (format == ZR_SPARSE_COO) memcpy(ptr + k * 4, &y, 4); }
      k++;
    }
    if (format != ZR_SPARSE_COO) {
      if (wide) { int64_t x = (int64_t)k; memcpy(ptr + (size_t)(a + 1) * 8, &x, 8); }
      else { int32_t x = (int32_t)k; memcpy(ptr + (size_t)(a + 1) * 4, &x, 4); }
    }
  }
#undef ELEM
  int64_t n1 = (int64_t)nnz, n2 = (int64_t)nptr;
  zr_dtype it = wide ? ZR_DT_INT64 : ZR_DT_INT32;
  ZR_TRY(zr_tensor_init(&s->data, dense->dtype, dense->itemsize, 1, &n1, vals, err));
  s->data.byte_order = dense->byte_order;
  s->data.time_unit = dense->time_unit;
  s->data.descr = dense->descr;
  ZR_TRY(zr_tensor_init(&s->indices, it, isz, 1, &n1, idx, err));
  ZR_TRY(zr_tensor_init(&s->indptr, it, isz, 1, &n2, ptr, err));
  s->indices.descr = s->indptr.descr = wide ? "<i8" : "<i4";
  return ZR_OK;
}
