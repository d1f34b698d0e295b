/* Coverage: .npy and .npz edge cases. Type strings of every kind (units with multipliers, long
 * double, refusals), structured descr errors, header limits (dimensions, element count, strides),
 * latin-1 and UTF-8 headers, large copies, zr_npy_element_f64 of every dtype and float16 class,
 * descr derivation errors, writer refusals and version 2/3 headers, inspect JSON of npy and npz
 * (escaped names, deflated members, incomplete data), npz member and archive errors with paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/numpy.h"

/* a .npy image of header text @p hdr (padded like np.save) followed by @p dlen data bytes */
static size_t npy_make(uint8_t *out, int major, const char *hdr, size_t dlen) {
  size_t pre = major == 1 ? 10 : 12, hl = strlen(hdr);
  size_t total = hl + 1;
  while ((pre + total) % 64) total++;
  memcpy(out, "\x93NUMPY", 6);
  out[6] = (uint8_t)major;
  out[7] = 0;
  if (major == 1) {
    out[8] = (uint8_t)total;
    out[9] = (uint8_t)(total >> 8);
  } else {
    out[8] = (uint8_t)total;
    out[9] = (uint8_t)(total >> 8);
    out[10] = (uint8_t)(total >> 16);
    out[11] = 0;
  }
  memcpy(out + pre, hdr, hl);
  memset(out + pre + hl, ' ', total - hl - 1);
  out[pre + total - 1] = '\n';
  for (size_t i = 0; i < dlen; i++) out[pre + total + i] = (uint8_t)(i + 1);
  return pre + total + dlen;
}

static uint8_t buf[1 << 16];

static zr_status parse_descr(const char *descr, const char *shape, zr_tensor *t, zr_error *e, zr_doc *d) {
  char hdr[4096];
  snprintf(hdr, sizeof hdr, "{'descr': %s, 'fortran_order': False, 'shape': %s, }", descr, shape);
  size_t n = npy_make(buf, 1, hdr, 0);
  zr_error_clear(e);
  return zr_npy_parse(buf, n, NULL, 1, d, t, NULL, e);
}

static void test_type_strings(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_tensor t;
  zr_error e;
  static const struct { const char *descr; zr_status st; zr_dtype dt; uint64_t size; const char *msg; } cases[] = {
      {"'<M8[10ns]'", ZR_OK, ZR_DT_DATETIME64, 8, NULL},
      {"'<m8[]'", ZR_OK, ZR_DT_TIMEDELTA64, 8, NULL},
      {"'<M8'", ZR_OK, ZR_DT_DATETIME64, 8, NULL},
      {"'<f16'", ZR_OK, ZR_DT_LONGDOUBLE, 16, NULL},
      {"'<f10'", ZR_OK, ZR_DT_LONGDOUBLE, 10, NULL},
      {"'<c32'", ZR_OK, ZR_DT_LONGDOUBLE, 32, NULL},
      {"'<c20'", ZR_OK, ZR_DT_LONGDOUBLE, 20, NULL},
      {"'|a4'", ZR_OK, ZR_DT_BYTES, 4, NULL},
      {"'<U'", ZR_OK, ZR_DT_UNICODE, 0, NULL},
      {"'|V'", ZR_OK, ZR_DT_VOID, 0, NULL},
      {"'?'", ZR_OK, ZR_DT_BOOL, 1, NULL},
      {"'<M8[fortnights]'", ZR_ERR_UNSUPPORTED, 0, 0, "unknown datetime unit"},
      {"'<M8[ns'", ZR_ERR_MALFORMED, 0, 0, "bad datetime unit"},
      {"'<M8[ns]x'", ZR_ERR_MALFORMED, 0, 0, "bad datetime unit"},
      {"'<M4'", ZR_ERR_UNSUPPORTED, 0, 0, "unsupported dtype"},
      {"'<f3'", ZR_ERR_UNSUPPORTED, 0, 0, "unsupported dtype"},
      {"'<c4'", ZR_ERR_UNSUPPORTED, 0, 0, "unsupported dtype"},
      {"'<i'", ZR_ERR_UNSUPPORTED, 0, 0, "unsupported dtype"},
      {"'|b2'", ZR_ERR_UNSUPPORTED, 0, 0, "unsupported dtype"},
      {"'<q8'", ZR_ERR_UNSUPPORTED, 0, 0, "unsupported dtype"},
      {"'<i8x'", ZR_ERR_UNSUPPORTED, 0, 0, "unsupported dtype"},
      {"'<'", ZR_ERR_MALFORMED, 0, 0, "empty dtype string"},
      {"'<U99999999999999'", ZR_ERR_RANGE, 0, 0, "dtype size too large"},
      {"'|O'", ZR_ERR_REFUSED, 0, 0, "object arrays"},
      {"[('a', '<i4'), ('b', '|O')]", ZR_ERR_REFUSED, 0, 0, "field 'b' has an object dtype"},
      {"[('a', '<i4', -1)]", ZR_ERR_MALFORMED, 0, 0, "negative subarray extent"},
      {"[('a', '<i4', (2, 'x'))]", ZR_ERR_MALFORMED, 0, 0, "bad subarray extent"},
      {"[('a', '<i4', (2, -2))]", ZR_ERR_MALFORMED, 0, 0, "bad subarray extent"},
      {"[('a', '<i4', 'x')]", ZR_ERR_MALFORMED, 0, 0, "subarray shape must be a tuple"},
      {"[('a', '<i4', (4294967296, 4294967296))]", ZR_ERR_OVERFLOW, 0, 0, "subarray size overflows"},
      {"[('a', '<i8', (4294967296, 1073741824))]", ZR_ERR_OVERFLOW, 0, 0, "structured itemsize overflows"},
      {"[('a', '<i4', (1073741824, 1073741824)), ('b', '<i4', (1073741824, 1073741824))]", ZR_ERR_OVERFLOW, 0, 0,
       "structured itemsize overflows"},
      {"[('a', '<i4', 3), (('t', 'b'), '<u2', (2,))]", ZR_OK, ZR_DT_VOID, 16, NULL},
      {"[('a',)]", ZR_ERR_MALFORMED, 0, 0, "is not (name, type[, shape])"},
      {"[(1, '<i4')]", ZR_ERR_MALFORMED, 0, 0, "has no name"},
      {"7", ZR_ERR_MALFORMED, 0, 0, "descr must be a string or a list"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    zr_status st = parse_descr(cases[i].descr, "(2,)", &t, &e, d);
    if (st != cases[i].st || (cases[i].msg && !strstr(e.message, cases[i].msg)))
      fail_msg("%s: got %d '%s'", cases[i].descr, st, e.message);
    if (st == ZR_OK) {
      assert_int_equal(t.dtype, cases[i].dt);
      assert_int_equal(t.itemsize, cases[i].size);
    } else {
      assert_int_equal(e.code, st);
      assert_int_equal(e.offset, 10); /* header errors point at the header text */
    }
  }
  zr_doc_free(d);
}

static void test_header_limits(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_tensor t;
  zr_error e;
  char shape[512] = "(";
  for (int i = 0; i < 33; i++) strcat(shape, "1, ");
  strcat(shape, ")");
  assert_int_equal(parse_descr("'<i4'", shape, &t, &e, d), ZR_ERR_LIMIT);
  assert_non_null(strstr(e.message, "33 dimensions exceed 32"));
  /* zero-size items: no bytes, but the element count overflows */
  assert_int_equal(parse_descr("'|V0'", "(4294967296, 4294967296, 4294967296)", &t, &e, d), ZR_ERR_OVERFLOW);
  assert_non_null(strstr(e.message, "element count overflows"));
  /* a zero extent keeps the byte count at 0 while the strides overflow */
  assert_int_equal(parse_descr("'<i8'", "(0, 4611686018427387904, 4)", &t, &e, d), ZR_ERR_OVERFLOW);
  assert_non_null(strstr(e.message, "strides overflow"));
  assert_int_equal(parse_descr("'<i8'", "(4, 4611686018427387904, 0)", &t, &e, d), ZR_ERR_OVERFLOW);
  /* latin-1 header with a field name above 0x7f; an error after it is reported at its byte */
  uint8_t raw[256];
  size_t n = npy_make(raw, 1, "{'descr': [('\xe9t\xe9', '<i2')], 'fortran_order': False, 'shape': (1,), }", 2);
  zr_doc *out;
  assert_int_equal(zr_npy_decode(raw, n, NULL, NULL, &out, &e), ZR_OK);
  assert_string_equal(zr_doc_root(out)->u.tensor->descr, "[('\xc3\xa9t\xc3\xa9', '<i2')]");
  zr_doc_free(out);
  n = npy_make(raw, 1, "{'descr': [('\xe9\xe9', '<i2')], 'fortran_order': Fals, 'shape': (1,), }", 2);
  assert_int_equal(zr_npy_decode(raw, n, NULL, NULL, &out, &e), ZR_ERR_MALFORMED);
  assert_int_equal(e.offset, 10 + 44); /* the F of Fals, counted in header bytes (46 in the UTF-8 text) */
  /* version 2 and 3 preambles */
  n = npy_make(raw, 3, "{'descr': [('\xe2\x82\xac', '<i2')], 'fortran_order': False, 'shape': (1,), }", 2);
  assert_int_equal(zr_npy_decode(raw, n, NULL, NULL, &out, &e), ZR_OK);
  assert_string_equal(zr_doc_root(out)->u.tensor->descr, "[('\xe2\x82\xac', '<i2')]");
  zr_doc_free(out);
  n = npy_make(raw, 3, "{'descr': [('\xff', '<i2')], 'fortran_order': False, 'shape': (1,), }", 2);
  assert_int_equal(zr_npy_decode(raw, n, NULL, NULL, &out, &e), ZR_ERR_UTF8);
  assert_int_equal(e.offset, 12 + 13);
  assert_int_equal(zr_npy_decode(raw, 11, NULL, NULL, &out, &e), ZR_ERR_TRUNCATED);
  /* arguments */
  assert_int_equal(zr_npy_parse(NULL, 10, NULL, 0, d, &t, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_npy_parse(raw, n, NULL, 0, NULL, &t, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_npy_parse(raw, n, NULL, 0, d, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_npy_decode(raw, n, NULL, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_doc_free(d);
}

static void test_large_copy(void **state) {
  (void)state;
  size_t dlen = (size_t)5 << 20; /* over ZR__NP_BIG: its own huge-page-friendly block */
  uint8_t *raw = malloc(dlen + 256);
  size_t n = npy_make(raw, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (5242880,), }", 0);
  for (size_t i = 0; i < dlen; i++) raw[n + i] = (uint8_t)(i * 31);
  n += dlen;
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.copy = 1;
  zr_doc *out;
  zr_error e;
  assert_int_equal(zr_npy_decode(raw, n, &o, NULL, &out, &e), ZR_OK);
  const zr_tensor *t = zr_doc_root(out)->u.tensor;
  assert_true((const uint8_t *)t->data < raw || (const uint8_t *)t->data >= raw + n);
  assert_int_equal(((uintptr_t)t->data) % (2u << 20), 0);
  assert_memory_equal(t->data, raw + n - dlen, dlen);
  zr_doc_free(out);
  /* over max_bytes: the copy is refused as a limit */
  o.max_bytes = 1 << 20;
  assert_int_equal(zr_npy_decode(raw, n, &o, NULL, &out, &e), ZR_ERR_LIMIT);
  assert_non_null(strstr(e.message, "cannot copy 5242880 data bytes"));
  free(raw);
}

static void test_element_f64(void **state) {
  (void)state;
  zr_tensor t;
  zr_error e;
  double x;
  int64_t one = 1, idx = 0;
  /* float16 classes: subnormal, normal, negative, inf, nan */
  static const struct { uint16_t h; double v; } halves[] = {
      {0x0001, 5.960464477539063e-08}, {0x3c00, 1.0}, {0xc000, -2.0}, {0x7c00, INFINITY}, {0x0400, 6.103515625e-05}};
  for (size_t i = 0; i < sizeof halves / sizeof *halves; i++) {
    zr_tensor_init(&t, ZR_DT_FLOAT16, 2, 1, &one, (void *)&halves[i].h, NULL);
    assert_int_equal(zr_npy_element_f64(&t, &idx, &x, &e), ZR_OK);
    assert_true(x == halves[i].v);
  }
  uint16_t nanh = 0x7e00;
  zr_tensor_init(&t, ZR_DT_FLOAT16, 2, 1, &one, &nanh, NULL);
  assert_int_equal(zr_npy_element_f64(&t, &idx, &x, &e), ZR_OK);
  assert_true(isnan(x));
  /* every integer width, both orders */
  static const struct { zr_dtype dt; uint8_t le[8]; double v; } ints[] = {
      {ZR_DT_BOOL, {2}, 1},           {ZR_DT_INT8, {0xff}, -1},           {ZR_DT_INT16, {0xfe, 0xff}, -2},
      {ZR_DT_INT32, {0xfd, 0xff, 0xff, 0xff}, -3}, {ZR_DT_UINT8, {200}, 200}, {ZR_DT_UINT16, {0, 1}, 256},
      {ZR_DT_UINT32, {0, 0, 1, 0}, 65536},         {ZR_DT_UINT64, {0, 0, 0, 0, 1}, 4294967296.0},
      {ZR_DT_TIMEDELTA64, {5}, 5}};
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
    size_t sz = zr_dtype_size(ints[i].dt);
    uint8_t be[8];
    for (size_t k = 0; k < sz; k++) be[k] = ints[i].le[sz - 1 - k];
    zr_tensor_init(&t, ints[i].dt, sz, 1, &one, (void *)ints[i].le, NULL);
    assert_int_equal(zr_npy_element_f64(&t, &idx, &x, &e), ZR_OK);
    assert_true(x == ints[i].v);
    zr_tensor_init(&t, ints[i].dt, sz, 1, &one, be, NULL);
    t.byte_order = ZR_ORDER_BIG;
    assert_int_equal(zr_npy_element_f64(&t, &idx, &x, &e), ZR_OK);
    assert_true(x == ints[i].v);
  }
  float c8[2] = {1.5f, 9};
  zr_tensor_init(&t, ZR_DT_COMPLEX64, 8, 1, &one, c8, NULL);
  assert_int_equal(zr_npy_element_f64(&t, &idx, &x, &e), ZR_OK);
  assert_true(x == 1.5);
  /* refusals */
  idx = 1;
  assert_int_equal(zr_npy_element_f64(&t, &idx, &x, &e), ZR_ERR_RANGE);
  idx = -1;
  assert_int_equal(zr_npy_element_f64(&t, &idx, &x, &e), ZR_ERR_RANGE);
  assert_non_null(strstr(e.message, "index -1 out of range in dimension 0"));
  idx = 0;
  assert_int_equal(zr_npy_element_f64(&t, NULL, &x, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_npy_element_f64(NULL, &idx, &x, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_npy_element_f64(&t, &idx, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_tensor_init(&t, ZR_DT_LONGDOUBLE, 16, 1, &one, c8, NULL);
  assert_int_equal(zr_npy_element_f64(&t, &idx, &x, &e), ZR_ERR_UNSUPPORTED);
  assert_non_null(strstr(e.message, "descr '?'"));
  zr_tensor_init(&t, ZR_DT_BYTES, 4, 1, &one, c8, NULL);
  assert_int_equal(zr_npy_element_f64(&t, &idx, &x, &e), ZR_ERR_TYPE);
  zr_tensor_init(&t, ZR_DT_INT32, 4, 1, &one, NULL, NULL);
  assert_int_equal(zr_npy_element_f64(&t, &idx, &x, &e), ZR_ERR_TYPE);
}

static void test_descr_and_writer(void **state) {
  (void)state;
  zr_tensor t;
  zr_error e;
  char b[64];
  int64_t two = 2;
  static uint8_t data[256];
  zr_tensor_init(&t, ZR_DT_UNICODE, 6, 1, &two, data, NULL);
  assert_int_equal(zr_npy_descr(&t, b, sizeof b, &e), ZR_ERR_INVALID_ARG);
  assert_non_null(strstr(e.message, "not a multiple of 4"));
  zr_tensor_init(&t, ZR_DT_DATETIME64, 8, 1, &two, data, NULL);
  t.time_unit = ZR_TU_GENERIC;
  assert_int_equal(zr_npy_descr(&t, b, sizeof b, &e), ZR_OK);
  assert_string_equal(b, "<M8");
  assert_int_equal(zr_npy_descr(&t, b, 3, &e), ZR_ERR_RANGE);
  t.descr = "<M8[ns]";
  assert_int_equal(zr_npy_descr(&t, b, 4, &e), ZR_ERR_RANGE);
  assert_int_equal(zr_npy_descr(&t, NULL, 4, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_npy_descr(&t, b, 0, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_npy_descr(NULL, b, 4, &e), ZR_ERR_INVALID_ARG);
  t.dtype = (zr_dtype)99;
  t.descr = NULL;
  assert_int_equal(zr_npy_descr(&t, b, sizeof b, &e), ZR_ERR_INVALID_ARG);
  /* the writer refuses what it cannot describe */
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_npy_encode(&t, s, &e), ZR_ERR_INVALID_ARG);
  assert_non_null(strstr(e.message, "invalid dtype"));
  t.dtype = (zr_dtype)0;
  assert_int_equal(zr_npy_encode(&t, s, &e), ZR_ERR_INVALID_ARG);
  zr_tensor_init(&t, ZR_DT_INT32, 4, 1, &two, data, NULL);
  t.descr = "<i8";
  assert_int_equal(zr_npy_encode(&t, s, &e), ZR_ERR_INVALID_ARG);
  assert_non_null(strstr(e.message, "does not match itemsize 4"));
  t.descr = "<x4";
  assert_int_equal(zr_npy_encode(&t, s, &e), ZR_ERR_UNSUPPORTED);
  t.descr = NULL;
  t.ndim = 33;
  assert_int_equal(zr_npy_encode(&t, s, &e), ZR_ERR_INVALID_ARG);
  t.ndim = 2;
  t.shape[1] = INT64_MAX;
  t.shape[0] = INT64_MAX;
  assert_int_equal(zr_npy_encode(&t, s, &e), ZR_ERR_OVERFLOW);
  zr_tensor_init(&t, ZR_DT_INT32, 4, 1, &two, NULL, NULL);
  assert_int_equal(zr_npy_encode(&t, s, &e), ZR_ERR_INVALID_ARG);
  assert_non_null(strstr(e.message, "no data"));
  assert_int_equal(zr_npy_encode(&t, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_npy_encode_alloc(&t, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_npy_encode(NULL, s, &e), ZR_ERR_INVALID_ARG);
  /* S0 with a matching descr: accepted */
  zr_tensor_init(&t, ZR_DT_BYTES, 0, 1, &two, data, NULL);
  t.descr = "|S";
  assert_int_equal(zr_npy_encode(&t, s, &e), ZR_OK);
  zr_sink_free(s);
  /* the npy format refuses non-tensors, with the path */
  const zr_format *f = zr_format_by_name("npy");
  zr_value v = zr_int(3);
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(f->encode(&v, NULL, s, &e), ZR_ERR_TYPE);
  assert_string_equal(e.path, "$");
  zr_sink_free(s);
}

/* headers beyond 64 KiB (version 2.0) and with names beyond latin-1 (3.0), read back */
static void test_header_versions(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);

  char *descr = malloc(200000);
  size_t k = 0;
  k += (size_t)sprintf(descr + k, "[");
  for (int i = 0; i < 3000; i++) k += (size_t)sprintf(descr + k, "%s('field_%05d', '<i1')", i ? ", " : "", i);
  sprintf(descr + k, "]");
  int64_t two = 2;
  uint8_t *data = zr_doc_alloc(d, 6000, 8);
  memset(data, 7, 6000);
  zr_tensor t;
  zr_tensor_init(&t, ZR_DT_VOID, 3000, 1, &two, data, NULL);
  t.descr = descr;
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error e;
  assert_int_equal(zr_npy_encode(&t, s, &e), ZR_OK);
  const uint8_t *p;
  size_t n;
  zr_sink_memory_data(s, &p, &n);
  assert_int_equal(p[6], 2);
  zr_npy_opts no;
  memset(&no, 0, sizeof no);
  no.max_header_size = 200000;
  zr_doc *out;
  assert_int_equal(zr_npy_decode(p, n, NULL, &no, &out, &e), ZR_OK);
  assert_int_equal(zr_doc_root(out)->u.tensor->itemsize, 3000);
  zr_doc_free(out);
  assert_int_equal(zr_npy_decode(p, n, NULL, NULL, &out, &e), ZR_ERR_LIMIT);
  zr_sink_free(s);
  t.descr = "[('\xe2\x82\xac', '<i2'), ('\xc3\xa9', '<i2')]";
  t.itemsize = 4;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_npy_encode(&t, s, &e), ZR_OK);
  zr_sink_memory_data(s, &p, &n);
  assert_int_equal(p[6], 3);
  assert_int_equal(zr_npy_decode(p, n, NULL, NULL, &out, &e), ZR_OK);
  assert_string_equal(zr_doc_root(out)->u.tensor->descr, t.descr);
  zr_doc_free(out);
  zr_sink_free(s);
  free(descr);
  zr_doc_free(d);
}

static char *inspect(const char *fmt, const uint8_t *p, size_t n, zr_status *st) {
  const zr_format *f = zr_format_by_name(fmt);
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error e;
  *st = f->inspect(p, n, s, &e);
  const uint8_t *j;
  size_t jl;
  zr_sink_memory_data(s, &j, &jl);
  char *out = malloc(jl + 1);
  if (jl) memcpy(out, j, jl);
  out[jl] = 0;
  zr_sink_free(s);
  return out;
}

static void test_inspect(void **state) {
  (void)state;
  uint8_t raw[512];
  size_t n = npy_make(raw, 1, "{'descr': [('q\"b\\\\s\\n\\x01', '<i2')], 'fortran_order': True, 'shape': (2, 1), }", 2);
  zr_status st;
  char *j = inspect("npy", raw, n, &st);
  assert_int_equal(st, ZR_OK);
  assert_non_null(strstr(j, "\"descr\":\"[('q\\\"b\\\\\\\\s\\\\n\\\\x01', '<i2')]\""));
  assert_non_null(strstr(j, "\"shape\":[2,1],\"order\":\"F\""));
  assert_non_null(strstr(j, "\"complete\":false"));
  free(j);
  j = inspect("npy", raw, 5, &st);
  assert_int_equal(st, ZR_ERR_TRUNCATED);
  free(j);
  /* npz: a stored and a deflated member, a member that is not .npy, a name needing escapes */
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = zr_map_new(d, 2);
  int64_t sh[2] = {2, 3};
  zr_tensor t;
  int32_t vals[6] = {1, 2, 3, 4, 5, 6};
  zr_tensor_init(&t, ZR_DT_INT32, 4, 2, sh, vals, NULL);
  zr_map_put_cstr(d, &m, "a\"b", zr_tensor_value(d, &t));
  for (int compress = 0; compress < 2; compress++) {
    zr_npy_opts no;
    memset(&no, 0, sizeof no);
    no.compress = compress;
    zr_sink *s;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    zr_error e;
    assert_int_equal(zr_npz_encode(&m, &no, s, &e), ZR_OK);
    const uint8_t *p;
    size_t pn;
    zr_sink_memory_data(s, &p, &pn);
    j = inspect("npz", p, pn, &st);
    assert_int_equal(st, ZR_OK);
    assert_non_null(strstr(j, "\"name\":\"a\\\"b.npy\""));
    assert_non_null(strstr(j, compress ? "\"method\":\"deflate\"" : "\"method\":\"stored\""));
    assert_non_null(strstr(j, "\"shape\":[2,3]"));
    assert_non_null(strstr(j, compress ? "\"aligned\":false" : "\"aligned\":true"));
    free(j);
    if (compress) { /* corrupt deflate data: inspect still lists the member, without its header details */
      uint8_t *c = malloc(pn);
      memcpy(c, p, pn);
      size_t at = 30 + (size_t)(c[26] | c[27] << 8) + (size_t)(c[28] | c[29] << 8);
      memset(c + at, 0xff, 8);
      j = inspect("npz", c, pn, &st);
      assert_int_equal(st, ZR_OK);
      assert_non_null(strstr(j, "\"method\":\"deflate\""));
      assert_null(strstr(j, "\"shape\""));
      free(j);
      free(c);
    }
    zr_sink_free(s);
  }
  zr_doc_free(d);
}

static void test_npz_errors(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_error e;
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_value m = zr_map_new(d, 2);
  zr_map_put_cstr(d, &m, "x", zr_int(1));
  assert_int_equal(zr_npz_encode(&m, NULL, s, &e), ZR_ERR_TYPE);
  assert_string_equal(e.path, "$[0]");
  assert_non_null(strstr(e.message, "got string"));
  zr_value m2 = zr_map_new(d, 1);
  zr_tensor t;
  int64_t one = 1;
  zr_tensor_init(&t, ZR_DT_INT32, 4, 1, &one, NULL, NULL); /* no data */
  zr_map_put_cstr(d, &m2, "bad", zr_tensor_value(d, &t));
  /* e still holds the path of the error above: the member's path replaces it (it used to stay "$[0]") */
  assert_int_equal(zr_npz_encode(&m2, NULL, s, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.path, "$[\"bad\"]");
  zr_value str = zr_cstr_ref("s");
  assert_int_equal(zr_npz_encode(&str, NULL, s, &e), ZR_ERR_TYPE);
  assert_string_equal(e.path, "$");
  assert_int_equal(zr_npz_encode(NULL, NULL, s, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_npz_encode(&m, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  /* a member name longer than ZIP allows */
  char *longk = zr_doc_alloc(d, 70000, 1);
  memset(longk, 'k', 70000);
  int32_t v = 5;
  zr_tensor_init(&t, ZR_DT_INT32, 4, 1, &one, &v, NULL);
  zr_value m3 = zr_map_new(d, 1);
  zr_map_put(d, &m3, zr_str_ref(longk, 70000), zr_tensor_value(d, &t));
  assert_int_equal(zr_npz_encode(&m3, NULL, s, &e), ZR_ERR_RANGE);
  assert_non_null(strstr(e.message, "member name too long"));
  zr_sink_free(s);
  /* the npz format: codecs choose deflate, a member name for one tensor */
  const zr_format *f = zr_format_by_name("npz");
  zr_value tv = zr_tensor_value(d, &t);
  static const char *codecs[] = {"deflate", "auto", "zstd"};
  for (int i = 0; i < 3; i++) {
    zr_encode_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.codec = codecs[i];
    eo.member = i == 0 ? "named" : NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(f->encode(&tv, &eo, s, &e), ZR_OK);
    const uint8_t *p;
    size_t n;
    zr_sink_memory_data(s, &p, &n);
    assert_int_equal(p[8], i == 2 ? 0 : 8); /* method in the first local header */
    zr_doc *out;
    zr_decode_opts o;
    zr_decode_opts_init(&o);
    o.copy = 1;
    assert_int_equal(zr_npz_decode(p, n, &o, NULL, &out, &e), ZR_OK);
    assert_non_null(zr_map_get(zr_doc_root(out), i == 0 ? "named" : "arr_0", i == 0 ? 5 : 5));
    zr_doc_free(out);
    zr_sink_free(s);
  }
  assert_int_equal(zr_npz_decode(NULL, 5, NULL, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_doc *out;
  assert_int_equal(zr_npz_decode(NULL, 5, NULL, NULL, &out, &e), ZR_ERR_INVALID_ARG);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_type_strings),     cmocka_unit_test(test_header_limits), cmocka_unit_test(test_large_copy),
      cmocka_unit_test(test_element_f64),      cmocka_unit_test(test_descr_and_writer),
      cmocka_unit_test(test_header_versions),  cmocka_unit_test(test_inspect),       cmocka_unit_test(test_npz_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
