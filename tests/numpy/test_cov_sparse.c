/* Coverage: scipy.sparse layouts. Dense conversion of every element type (duplicates summed,
 * big-endian data and indices), BSR and DIA, every structural check of zr_sparse_from_npz and of
 * the writers with its message, and zr_sparse_from_dense edge cases (wide indices, items wider
 * than the zero block). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/numpy.h"

static zr_tensor t1(zr_doc *d, zr_dtype dt, uint64_t isz, int64_t n, const void *src) {
  zr_tensor t;
  void *p = zr_doc_alloc(d, (size_t)(n * (int64_t)isz + 1), 16);
  if (src) memcpy(p, src, (size_t)(n * (int64_t)isz));
  assert_int_equal(zr_tensor_init(&t, dt, isz, 1, &n, p, NULL), ZR_OK);
  return t;
}

static void expect(zr_status got, zr_status want, const zr_error *e, const char *msg) {
  if (got != want || (msg && !strstr(e->message, msg))) fail_msg("want %d '%s', got %d '%s'", want, msg ? msg : "", got, e->message);
}

/* a 2x3 matrix of format @p f: data, and the int32 index arrays (3 entries each) */
static zr_sparse sparse_2x3(zr_doc *d, zr_sparse_format f, zr_tensor data, const int32_t *ind, const int32_t *ptr) {
  zr_sparse s;
  memset(&s, 0, sizeof s);
  s.format = f;
  s.shape[0] = 2;
  s.shape[1] = 3;
  s.data = data;
  s.indices = t1(d, ZR_DT_INT32, 4, 3, ind);
  s.indptr = t1(d, ZR_DT_INT32, 4, 3, ptr);
  return s;
}

/* s = @p base, changed by @p stmt: the dense conversion fails as malformed with @p msg */
#define DENSE_BAD(base, stmt, msg)                                               \
  do {                                                                           \
    s = (base);                                                                  \
    stmt;                                                                        \
    expect(zr_sparse_to_dense(&s, d, &dense, &e), ZR_ERR_MALFORMED, &e, msg);    \
  } while (0)

/* a 2x3 COO with a duplicate at (0, 1): dense element (0, 1) is the sum */
static void test_dense_every_dtype(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  static const zr_dtype dts[] = {ZR_DT_BOOL,   ZR_DT_INT8,    ZR_DT_INT16,   ZR_DT_INT32,     ZR_DT_INT64,
                                 ZR_DT_UINT8,  ZR_DT_UINT16,  ZR_DT_UINT32,  ZR_DT_UINT64,    ZR_DT_FLOAT32,
                                 ZR_DT_FLOAT64, ZR_DT_COMPLEX64, ZR_DT_COMPLEX128};
  int32_t row[3] = {0, 0, 1}, colv[3] = {1, 1, 2};
  for (size_t i = 0; i < sizeof dts / sizeof *dts; i++) {
    for (int big = 0; big < 2; big++) {
      size_t sz = zr_dtype_size(dts[i]);
      uint8_t vals[3 * 16];
      memset(vals, 0, sizeof vals);
      for (int k = 0; k < 3; k++) { /* the value 1 (real part 1 for complex), in the wanted byte order */
        uint8_t *v = vals + k * sz;
        size_t part = (dts[i] == ZR_DT_COMPLEX64 || dts[i] == ZR_DT_COMPLEX128) ? sz / 2 : sz;
        if (dts[i] == ZR_DT_FLOAT32 || dts[i] == ZR_DT_COMPLEX64) { float f = 1; memcpy(v, &f, 4); }
        else if (dts[i] == ZR_DT_FLOAT64 || dts[i] == ZR_DT_COMPLEX128) { double f = 1; memcpy(v, &f, 8); }
        else v[0] = 1;
        if (big)
          for (size_t o = 0; o < sz; o += part)
            for (size_t q = 0; q < part / 2; q++) { uint8_t c = v[o + q]; v[o + q] = v[o + part - 1 - q]; v[o + part - 1 - q] = c; }
      }
      zr_sparse s = sparse_2x3(d, ZR_SPARSE_COO, t1(d, dts[i], sz, 3, vals), row, colv);
      s.data.byte_order = big ? ZR_ORDER_BIG : ZR_ORDER_LITTLE;
      zr_tensor dense;
      zr_error e;
      assert_int_equal(zr_sparse_to_dense(&s, d, &dense, &e), ZR_OK);
      assert_int_equal(dense.byte_order, ZR_ORDER_LITTLE);
      double x;
      int64_t at[2] = {0, 1};
      assert_int_equal(zr_npy_element_f64(&dense, at, &x, &e), ZR_OK);
      assert_true(x == (dts[i] == ZR_DT_BOOL ? 1.0 : 2.0));
      at[0] = 1;
      at[1] = 2;
      assert_int_equal(zr_npy_element_f64(&dense, at, &x, &e), ZR_OK);
      assert_true(x == 1.0);
      at[1] = 0;
      assert_int_equal(zr_npy_element_f64(&dense, at, &x, &e), ZR_OK);
      assert_true(x == 0.0);
    }
  }
  /* float16 data has no dense conversion */
  zr_sparse s = sparse_2x3(d, ZR_SPARSE_COO, t1(d, ZR_DT_FLOAT16, 2, 3, NULL), row, colv);
  zr_tensor dense;
  zr_error e;
  expect(zr_sparse_to_dense(&s, d, &dense, &e), ZR_ERR_UNSUPPORTED, &e, "dense conversion of float16");
  expect(zr_sparse_to_dense(NULL, d, &dense, &e), ZR_ERR_INVALID_ARG, &e, "NULL");
  expect(zr_sparse_to_dense(&s, NULL, &dense, &e), ZR_ERR_INVALID_ARG, &e, "NULL");
  expect(zr_sparse_to_dense(&s, d, NULL, &e), ZR_ERR_INVALID_ARG, &e, "NULL");
  zr_doc_free(d);
}

static void test_bsr_dia(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  /* BSR 4x4 with 2x2 blocks: block (0, 1) and block (1, 0) */
  double blocks[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  int64_t bshape[3] = {2, 2, 2};
  zr_sparse s;
  memset(&s, 0, sizeof s);
  s.format = ZR_SPARSE_BSR;
  s.shape[0] = 4;
  s.shape[1] = 4;
  assert_int_equal(zr_tensor_init(&s.data, ZR_DT_FLOAT64, 8, 3, bshape, blocks, NULL), ZR_OK);
  int64_t bind[2] = {1, 0}, bptr[3] = {0, 1, 2};
  s.indices = t1(d, ZR_DT_INT64, 8, 2, bind);
  s.indptr = t1(d, ZR_DT_INT64, 8, 3, bptr);
  zr_tensor dense;
  zr_error e;
  assert_int_equal(zr_sparse_to_dense(&s, d, &dense, &e), ZR_OK);
  const double *m = dense.data;
  assert_true(m[0 * 4 + 2] == 1 && m[0 * 4 + 3] == 2 && m[1 * 4 + 2] == 3 && m[1 * 4 + 3] == 4);
  assert_true(m[2 * 4 + 0] == 5 && m[3 * 4 + 1] == 8 && m[0] == 0);
  assert_string_equal(dense.descr, "<f8");
  /* BSR checks */
  s.shape[1] = 5;
  expect(zr_sparse_to_dense(&s, d, &dense, &e), ZR_ERR_MALFORMED, &e, "not a multiple of the block size");
  s.shape[1] = 4;
  s.data.ndim = 1;
  expect(zr_sparse_to_dense(&s, d, &dense, &e), ZR_ERR_MALFORMED, &e, "BSR data must be 3-D blocks");
  s.data.ndim = 3;
  /* BSR is read only */
  zr_value mv;
  expect(zr_sparse_to_npz(d, &s, &mv, &e), ZR_ERR_UNSUPPORTED, &e, "only CSR, CSC and COO are written");
  /* DIA 3x3: main diagonal and the one above */
  float diag[6] = {1, 2, 3, 10, 20, 30};
  int64_t dshape[2] = {2, 3};
  int32_t offs[2] = {0, 1};
  memset(&s, 0, sizeof s);
  s.format = ZR_SPARSE_DIA;
  s.shape[0] = 3;
  s.shape[1] = 3;
  assert_int_equal(zr_tensor_init(&s.data, ZR_DT_FLOAT32, 4, 2, dshape, diag, NULL), ZR_OK);
  s.indptr = t1(d, ZR_DT_INT32, 4, 2, offs);
  assert_int_equal(zr_sparse_to_dense(&s, d, &dense, &e), ZR_OK);
  const float *f = dense.data;
  assert_true(f[0] == 1 && f[4] == 2 && f[8] == 3 && f[1] == 20 && f[5] == 30 && f[3] == 0);
  s.data.ndim = 1;
  expect(zr_sparse_to_dense(&s, d, &dense, &e), ZR_ERR_MALFORMED, &e, "DIA data must be (offsets, length)");
  s.data.ndim = 2;
  s.indptr.dtype = ZR_DT_FLOAT32;
  expect(zr_sparse_to_dense(&s, d, &dense, &e), ZR_ERR_MALFORMED, &e, "'offsets' must be a 1-D integer array");
  s.format = (zr_sparse_format)9;
  expect(zr_sparse_to_dense(&s, d, &dense, &e), ZR_ERR_INVALID_ARG, &e, "unknown format 9");
  zr_doc_free(d);
}

static void test_structure_checks(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  double vals[3] = {1, 2, 3};
  int32_t ind[3] = {0, 2, 1}, ptr[3] = {0, 2, 3};
  zr_sparse good = sparse_2x3(d, ZR_SPARSE_CSR, t1(d, ZR_DT_FLOAT64, 8, 3, vals), ind, ptr);
  zr_tensor dense;
  zr_error e;
  assert_int_equal(zr_sparse_to_dense(&good, d, &dense, &e), ZR_OK);
  zr_sparse s;
  DENSE_BAD(good, s.shape[0] = -1, "negative shape");
  DENSE_BAD(good, s.data.ndim = 2, "data must be 1-D");
  DENSE_BAD(good, s.indices.dtype = ZR_DT_FLOAT32, "'indices' must be a 1-D integer array");
  DENSE_BAD(good, s.indptr.data = NULL, "'indptr' has no data");
  DENSE_BAD(good, s.indptr.shape[0] = 2, "indptr has 2 entries, 3 expected");
  DENSE_BAD(good, s.data.shape[0] = 2, "fewer data entries than indices");
  int32_t badptr[3][3] = {{1, 2, 3}, {0, 3, 2}, {0, 2, 4}};
  for (int i = 0; i < 3; i++) DENSE_BAD(good, s.indptr = t1(d, ZR_DT_INT32, 4, 3, badptr[i]), "out of order or range");
  int32_t badind[3] = {0, 3, 1};
  DENSE_BAD(good, s.indices = t1(d, ZR_DT_INT32, 4, 3, badind), "index 3 out of range [0, 3)");
  /* CSC checks the other way round */
  DENSE_BAD(good, s.format = ZR_SPARSE_CSC, "indptr has 3 entries, 4 expected");
  /* big-endian and unsigned indices; an int8 -1 index; a uint64 index beyond int64 */
  uint8_t be[12] = {0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1};
  s = good;
  s.indices = t1(d, ZR_DT_INT32, 4, 3, be);
  s.indices.byte_order = ZR_ORDER_BIG;
  assert_int_equal(zr_sparse_to_dense(&s, d, &dense, &e), ZR_OK);
  assert_true(((const double *)dense.data)[2] == 2);
  int8_t neg[3] = {0, -1, 1};
  DENSE_BAD(good, s.indices = t1(d, ZR_DT_INT8, 1, 3, neg), "index -1 out of range");
  uint64_t huge[3] = {0, UINT64_MAX, 1};
  DENSE_BAD(good, s.indices = t1(d, ZR_DT_UINT64, 8, 3, huge), "index -1 out of range");
  uint16_t u16[3] = {0, 2, 1};
  s = good;
  s.indices = t1(d, ZR_DT_UINT16, 2, 3, u16);
  assert_int_equal(zr_sparse_to_dense(&s, d, &dense, &e), ZR_OK);
  /* COO checks */
  int32_t r[3] = {0, 1, 1}, c[3] = {0, 1, 2};
  zr_sparse coo = sparse_2x3(d, ZR_SPARSE_COO, t1(d, ZR_DT_FLOAT64, 8, 3, vals), r, c);
  DENSE_BAD(coo, s.indices.ndim = 2, "'row' must be");
  DENSE_BAD(coo, s.indptr.dtype = ZR_DT_BOOL, "'col' must be");
  DENSE_BAD(coo, s.indptr.shape[0] = 2, "lengths differ");
  DENSE_BAD(coo, s.shape[1] = 2, "coordinate (1, 2) out of range");
  /* the writer checks too */
  zr_value mv;
  s = good;
  s.indices = t1(d, ZR_DT_INT32, 4, 3, badind);
  expect(zr_sparse_to_npz(d, &s, &mv, &e), ZR_ERR_MALFORMED, &e, "out of range");
  expect(zr_sparse_to_npz(NULL, &good, &mv, &e), ZR_ERR_INVALID_ARG, &e, "NULL");
  expect(zr_sparse_to_npz(d, NULL, &mv, &e), ZR_ERR_INVALID_ARG, &e, "NULL");
  expect(zr_sparse_to_npz(d, &good, NULL, &e), ZR_ERR_INVALID_ARG, &e, "NULL");
  zr_doc_free(d);
}

static zr_value npz_map(zr_doc *d, const char *fmt, zr_dtype fdt, uint64_t fsize, zr_byte_order fbo) {
  zr_value m = zr_map_new(d, 5);
  zr_tensor f;
  uint8_t *p = zr_doc_alloc(d, 16, 4);
  memset(p, 0, 16);
  for (size_t i = 0; i < strlen(fmt); i++) {
    if (fdt == ZR_DT_UNICODE) p[4 * i + (fbo == ZR_ORDER_BIG ? 3 : 0)] = (uint8_t)fmt[i];
    else p[i] = (uint8_t)fmt[i];
  }
  zr_tensor_init(&f, fdt, fsize, 0, NULL, p, NULL);
  f.byte_order = fbo;
  zr_map_put_cstr(d, &m, "format", zr_tensor_value(d, &f));
  int64_t shp[2] = {2, 3};
  zr_tensor s = t1(d, ZR_DT_INT64, 8, 2, shp);
  zr_map_put_cstr(d, &m, "shape", zr_tensor_value(d, &s));
  double vals[3] = {1, 2, 3};
  zr_tensor dt = t1(d, ZR_DT_FLOAT64, 8, 3, vals);
  zr_map_put_cstr(d, &m, "data", zr_tensor_value(d, &dt));
  int32_t a[3] = {0, 1, 1}, b[3] = {0, 1, 2};
  zr_tensor ta = t1(d, ZR_DT_INT32, 4, 3, a), tb = t1(d, ZR_DT_INT32, 4, 3, b);
  zr_map_put_cstr(d, &m, "row", zr_tensor_value(d, &ta));
  zr_map_put_cstr(d, &m, "col", zr_tensor_value(d, &tb));
  return m;
}

static void test_from_npz(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_sparse s;
  zr_error e;
  /* the format as bytes, as little- and big-endian unicode */
  zr_value m = npz_map(d, "coo", ZR_DT_BYTES, 3, ZR_ORDER_LITTLE);
  assert_int_equal(zr_sparse_from_npz(&m, &s, &e), ZR_OK);
  assert_int_equal(s.format, ZR_SPARSE_COO);
  m = npz_map(d, "coo", ZR_DT_UNICODE, 12, ZR_ORDER_LITTLE);
  assert_int_equal(zr_sparse_from_npz(&m, &s, &e), ZR_OK);
  m = npz_map(d, "coo", ZR_DT_UNICODE, 12, ZR_ORDER_BIG);
  assert_int_equal(zr_sparse_from_npz(&m, &s, &e), ZR_OK);
  assert_int_equal(s.shape[1], 3);
/* an npz map of format @p fmt (as bytes), changed by @p stmt (on m): reading it fails with @p want, @p msg */
#define NPZ_BAD(fmt, stmt, want, msg)                                   \
  do {                                                                  \
    m = npz_map(d, fmt, ZR_DT_BYTES, 3, ZR_ORDER_LITTLE);               \
    stmt;                                                               \
    expect(zr_sparse_from_npz(&m, &s, &e), want, &e, msg);              \
  } while (0)
  NPZ_BAD("xyz", (void)0, ZR_ERR_UNSUPPORTED, "unknown matrix format 'xyz'");
  NPZ_BAD("csr", (void)0, ZR_ERR_NOT_FOUND, "csr arrays missing");
  NPZ_BAD("dia", (void)0, ZR_ERR_NOT_FOUND, "dia arrays missing");
  /* 'format' not a string scalar: 1-D, numeric, without data */
  m = npz_map(d, "coo", ZR_DT_INT8, 1, ZR_ORDER_LITTLE);
  expect(zr_sparse_from_npz(&m, &s, &e), ZR_ERR_MALFORMED, &e, "'format' is not a string scalar");
  NPZ_BAD("coo", zr_map_get(&m, "format", 6)->u.tensor->ndim = 1, ZR_ERR_MALFORMED, "'format' is not a string scalar");
  NPZ_BAD("coo", zr_map_get(&m, "format", 6)->u.tensor->data = NULL, ZR_ERR_MALFORMED, "'format' is not a string scalar");
  /* 'shape' not two integers */
  NPZ_BAD("coo", zr_map_get(&m, "shape", 5)->u.tensor->shape[0] = 3, ZR_ERR_MALFORMED, "'shape' must hold two integers");
  NPZ_BAD("coo", zr_map_get(&m, "shape", 5)->u.tensor->dtype = ZR_DT_FLOAT64, ZR_ERR_MALFORMED,
          "'shape' must hold two integers");
  NPZ_BAD("coo", zr_map_get(&m, "shape", 5)->u.tensor->ndim = 0, ZR_ERR_MALFORMED, "'shape' must hold two integers");
#undef NPZ_BAD
  /* members missing or of the wrong kind; arguments */
  zr_value m2 = zr_map_new(d, 1);
  zr_map_put_cstr(d, &m2, "format", zr_int(1));
  expect(zr_sparse_from_npz(&m2, &s, &e), ZR_ERR_NOT_FOUND, &e, "not a scipy.sparse npz");
  zr_value str = zr_cstr_ref("x");
  expect(zr_sparse_from_npz(&str, &s, &e), ZR_ERR_TYPE, &e, "expected the npz map");
  expect(zr_sparse_from_npz(NULL, &s, &e), ZR_ERR_INVALID_ARG, &e, "NULL");
  expect(zr_sparse_from_npz(&m, NULL, &e), ZR_ERR_INVALID_ARG, &e, "NULL");
  zr_doc_free(d);
}

static void test_from_dense(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_sparse s;
  zr_error e;
  zr_tensor t;
  /* items wider than the 64-byte zero block: nonzero only past byte 64 */
  int64_t shp[2] = {2, 2};
  uint8_t *p = zr_doc_alloc(d, 4 * 100, 8);
  memset(p, 0, 400);
  p[100 + 80] = 1; /* element (0, 1) */
  assert_int_equal(zr_tensor_init(&t, ZR_DT_VOID, 100, 2, shp, p, NULL), ZR_OK);
  for (int f = ZR_SPARSE_CSR; f <= ZR_SPARSE_COO; f++) {
    assert_int_equal(zr_sparse_from_dense(&t, (zr_sparse_format)f, d, &s, &e), ZR_OK);
    assert_int_equal(s.data.shape[0], 1);
    assert_int_equal(((const uint8_t *)s.data.data)[80], 1);
  }
  /* more columns than int32 holds (no rows, so nothing stored): int64 indices */
  int64_t tall[2] = {0, (int64_t)INT32_MAX + 1};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, tall, NULL, NULL), ZR_OK);
  assert_int_equal(zr_sparse_from_dense(&t, ZR_SPARSE_COO, d, &s, &e), ZR_OK);
  assert_int_equal(s.indices.dtype, ZR_DT_INT64);
  assert_string_equal(s.indptr.descr, "<i8");
  /* wide indices with values: a 2x2 through the int64 path */
  double v4[4] = {0, 5, 6, 0};
  int64_t wide2[2] = {2, 2};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, wide2, v4, NULL), ZR_OK);
  assert_int_equal(zr_sparse_from_dense(&t, ZR_SPARSE_CSR, d, &s, &e), ZR_OK);
  assert_int_equal(s.indices.dtype, ZR_DT_INT32);
  /* refusals */
  expect(zr_sparse_from_dense(&t, ZR_SPARSE_BSR, d, &s, &e), ZR_ERR_UNSUPPORTED, &e, "only CSR, CSC and COO");
  t.ndim = 1;
  expect(zr_sparse_from_dense(&t, ZR_SPARSE_CSR, d, &s, &e), ZR_ERR_INVALID_ARG, &e, "a 2-D tensor is needed");
  expect(zr_sparse_from_dense(NULL, ZR_SPARSE_CSR, d, &s, &e), ZR_ERR_INVALID_ARG, &e, "NULL");
  expect(zr_sparse_from_dense(&t, ZR_SPARSE_CSR, NULL, &s, &e), ZR_ERR_INVALID_ARG, &e, "NULL");
  expect(zr_sparse_from_dense(&t, ZR_SPARSE_CSR, d, NULL, &e), ZR_ERR_INVALID_ARG, &e, "NULL");
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dense_every_dtype), cmocka_unit_test(test_bsr_dia), cmocka_unit_test(test_structure_checks),
      cmocka_unit_test(test_from_npz),          cmocka_unit_test(test_from_dense),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
