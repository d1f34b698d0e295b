/* Unit tests of the .npy reader/writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test_fmt.h"
#include "zerial/format.h"
#include "zerial/numpy.h"

static uint8_t *encode(const zr_tensor *t, size_t *len) {
  zr_sink *s;
  zr_error e;
  assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
  assert_int_equal(zr_npy_encode(t, s, &e), ZR_OK);
  uint8_t *d;
  assert_int_equal(zr_sink_memory_take(s, &d, len, &e), ZR_OK);
  zr_sink_free(s);
  return d;
}

static void test_header_matches_numpy(void **state) {
  (void)state;
  double v[3] = {0, 1, 2};
  int64_t shape[1] = {3};
  zr_tensor t;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 1, shape, v, NULL), ZR_OK);
  size_t len;
  uint8_t *d = encode(&t, &len);
  assert_int_equal(len, 152);
  assert_memory_equal(d, "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 67);
  assert_int_equal(d[127], '\n');
  assert_int_equal(d[126], ' ');
  zr_doc *doc;
  zr_error e;
  assert_int_equal(zr_npy_decode(d, len, NULL, NULL, &doc, &e), ZR_OK);
  const zr_value *r = zr_doc_root(doc);
  assert_int_equal(r->kind, ZR_KIND_TENSOR);
  assert_int_equal(r->u.tensor->dtype, ZR_DT_FLOAT64);
  assert_ptr_equal(r->u.tensor->data, d + 128); /* zero-copy */
  assert_string_equal(r->u.tensor->descr, "<f8");
  double x;
  int64_t idx = 2;
  assert_int_equal(zr_npy_element_f64(r->u.tensor, &idx, &x, &e), ZR_OK);
  assert_true(x == 2.0);
  zr_doc_free(doc);
  free(d);
}

static void test_roundtrip_kinds(void **state) {
  (void)state;
  static const char *descrs[] = {"|b1", "|i1", "<i2", ">i4", "<i8", "|u1", ">u2", "<u4", "<u8", "<f2", ">f4", "<f8",
                                 "<c8", ">c16", "<M8[ns]", ">m8[D]", "<M8", "|S5", "<U3", ">U2", "|V7",
                                 "[('a', '<i4'), ('b', [('c', '|S3')], (2,))]",
                                 "[(('title', 'x'), '>f8'), ('', '|V4'), ('y', '<u2', (2, 3))]"};
  uint8_t buf[4096];
  for (size_t i = 0; i < 4096; i++) buf[i] = (uint8_t)(i * 31 + 7);
  for (size_t k = 0; k < sizeof descrs / sizeof descrs[0]; k++) {
    zr_doc *tmp = zr_doc_new(NULL);
    zr_tensor t;
    memset(&t, 0, sizeof t);
    zr_error e;
    extern zr_status zr__npy_descr_from_text(const char *, size_t, zr_doc *, zr_tensor *, zr_error *);
    assert_int_equal(zr__npy_descr_from_text(descrs[k], strlen(descrs[k]), tmp, &t, &e), ZR_OK);
    assert_string_equal(t.descr, descrs[k]);
    int64_t shapes[3][2] = {{2, 3}, {0, 4}, {1, 1}};
    for (int s = 0; s < 3; s++) {
      for (int fortran = 0; fortran < 2; fortran++) {
        zr_tensor u = t;
        u.ndim = 2;
        u.shape[0] = shapes[s][0];
        u.shape[1] = shapes[s][1];
        if (fortran) { u.strides[0] = (int64_t)u.itemsize; u.strides[1] = (int64_t)u.itemsize * u.shape[0]; }
        else { u.strides[1] = (int64_t)u.itemsize; u.strides[0] = (int64_t)u.itemsize * u.shape[1]; }
        u.data = buf;
        u.nbytes = u.itemsize * (uint64_t)(u.shape[0] * u.shape[1]);
        size_t len;
        uint8_t *d = encode(&u, &len);
        assert_int_equal((len - u.nbytes) % 64, 0);
        zr_doc *doc;
        assert_int_equal(zr_npy_decode(d, len, NULL, NULL, &doc, &e), ZR_OK);
        zr_value a = zr_tensor_value(tmp, &u);
        assert_true(zr_value_equal(&a, zr_doc_root(doc)));
        zr_doc_free(doc);
        free(d);
      }
    }
    zr_doc_free(tmp);
  }
}

static void test_zero_d_and_noncontiguous(void **state) {
  (void)state;
  int32_t v = 42;
  zr_tensor t;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT32, 4, 0, NULL, &v, NULL), ZR_OK);
  size_t len;
  uint8_t *d = encode(&t, &len);
  assert_int_equal(len, 132);
  zr_doc *doc;
  zr_error e;
  assert_int_equal(zr_npy_decode(d, len, NULL, NULL, &doc, &e), ZR_OK);
  assert_int_equal(zr_doc_root(doc)->u.tensor->ndim, 0);
  assert_int_equal(*(int32_t *)zr_doc_root(doc)->u.tensor->data, 42);
  zr_doc_free(doc);
  free(d);
  /* a transposed-with-step view: gathered in C order */
  int16_t m[12];
  for (int i = 0; i < 12; i++) m[i] = (int16_t)i;
  int64_t shape[2] = {2, 3};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT16, 2, 2, shape, m, NULL), ZR_OK);
  t.strides[0] = 2;  /* column step */
  t.strides[1] = 8;  /* every other row of a 6×... buffer */
  d = encode(&t, &len);
  assert_int_equal(zr_npy_decode(d, len, NULL, NULL, &doc, &e), ZR_OK);
  const int16_t *r = zr_doc_root(doc)->u.tensor->data;
  int16_t expect[6] = {0, 4, 8, 1, 5, 9};
  assert_memory_equal(r, expect, sizeof expect);
  zr_doc_free(doc);
  free(d);
}

static uint8_t *make_raw(const char *header, size_t extra_data, size_t *len) {
  size_t hl = strlen(header);
  *len = 10 + hl + extra_data;
  uint8_t *d = calloc(1, *len);
  memcpy(d, "\x93NUMPY\x01\x00", 8);
  d[8] = (uint8_t)(hl & 0xFF);
  d[9] = (uint8_t)(hl >> 8);
  memcpy(d + 10, header, hl);
  return d;
}

static void test_errors(void **state) {
  (void)state;
  struct { const char *h; size_t data; zr_status st; } cases[] = {
      {"{'descr': '|O', 'fortran_order': False, 'shape': (3,), }\n", 24, ZR_ERR_REFUSED},
      {"{'descr': [('a', '<i4'), ('o', '|O')], 'fortran_order': False, 'shape': (1,), }\n", 24, ZR_ERR_REFUSED},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n", 23, ZR_ERR_TRUNCATED},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }\n", 0, ZR_ERR_OVERFLOW},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }\n", 0, ZR_ERR_MALFORMED},
      {"{'descr': '<f8', 'fortran_order': False}\n", 0, ZR_ERR_MALFORMED},
      {"{'descr': '<f8', 'fortran_order': 0, 'shape': (), }\n", 8, ZR_ERR_MALFORMED},
      {"{'descr': '<x8', 'fortran_order': False, 'shape': (), }\n", 8, ZR_ERR_UNSUPPORTED},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (), 'x': 1}\n", 8, ZR_ERR_MALFORMED},
      {"{'descr': '<f8' 'fortran_order': False, 'shape': (), }\n", 8, ZR_ERR_MALFORMED},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (), }\n", 8, ZR_OK},
      {"{'descr': '<f16', 'fortran_order': False, 'shape': (1,), }\n", 16, ZR_OK},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len;
    uint8_t *d = make_raw(cases[i].h, cases[i].data, &len);
    zr_doc *doc = NULL;
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_npy_decode(d, len, NULL, NULL, &doc, &e);
    if (st != cases[i].st) fprintf(stderr, "case %zu: %d %s\n", i, st, e.message);
    assert_int_equal(st, cases[i].st);
    if (st == ZR_ERR_REFUSED) assert_non_null(strstr(e.message, "object"));
    if (st == ZR_OK && zr_doc_root(doc)->u.tensor->dtype == ZR_DT_LONGDOUBLE) {
      double x;
      int64_t idx = 0;
      assert_int_equal(zr_npy_element_f64(zr_doc_root(doc)->u.tensor, &idx, &x, &e), ZR_ERR_UNSUPPORTED);
      assert_non_null(strstr(e.message, "long double"));
    }
    zr_doc_free(doc);
    free(d);
  }
  /* header limit */
  char big[12000];
  memset(big, ' ', sizeof big);
  const char *h = "{'descr': '<f8', 'fortran_order': False, 'shape': (), }";
  memcpy(big, h, strlen(h));
  big[sizeof big - 2] = '\n';
  big[sizeof big - 1] = 0;
  size_t len;
  uint8_t *d = make_raw(big, 8, &len);
  zr_doc *doc = NULL;
  zr_error e;
  assert_int_equal(zr_npy_decode(d, len, NULL, NULL, &doc, &e), ZR_ERR_LIMIT);
  zr_npy_opts no = {0};
  no.max_header_size = 20000;
  assert_int_equal(zr_npy_decode(d, len, NULL, &no, &doc, &e), ZR_OK);
  zr_doc_free(doc);
  free(d);
}

static void test_versions(void **state) {
  (void)state;
  /* a structured dtype with a non-latin-1 name → 3.0; a huge header → 2.0 */
  zr_doc *tmp = zr_doc_new(NULL);
  zr_tensor t;
  memset(&t, 0, sizeof t);
  zr_error e;
  const char *descr = "[('\xce\xb1', '<i4'), ('\xc3\xa9', '<f4')]";
  extern zr_status zr__npy_descr_from_text(const char *, size_t, zr_doc *, zr_tensor *, zr_error *);
  assert_int_equal(zr__npy_descr_from_text(descr, strlen(descr), tmp, &t, &e), ZR_OK);
  uint8_t data[16] = {0};
  t.ndim = 1; t.shape[0] = 2; t.strides[0] = 8; t.data = data; t.nbytes = 16;
  size_t len;
  uint8_t *d = encode(&t, &len);
  assert_int_equal(d[6], 3);
  zr_doc *doc;
  assert_int_equal(zr_npy_decode(d, len, NULL, NULL, &doc, &e), ZR_OK);
  assert_string_equal(zr_doc_root(doc)->u.tensor->descr, descr);
  zr_doc_free(doc);
  free(d);
  /* latin-1 only name → 1.0 with the byte 0xE9 */
  const char *d2 = "[('\xc3\xa9', '<i8')]";
  memset(&t, 0, sizeof t);
  assert_int_equal(zr__npy_descr_from_text(d2, strlen(d2), tmp, &t, &e), ZR_OK);
  t.ndim = 1; t.shape[0] = 2; t.strides[0] = 8; t.data = data; t.nbytes = 16;
  d = encode(&t, &len);
  assert_int_equal(d[6], 1);
  assert_non_null(memchr(d, 0xE9, len));
  assert_int_equal(zr_npy_decode(d, len, NULL, NULL, &doc, &e), ZR_OK);
  assert_string_equal(zr_doc_root(doc)->u.tensor->descr, d2);
  zr_doc_free(doc);
  free(d);
  zr_doc_free(tmp);
}

static void test_format_table(void **state) {
  (void)state;
  const zr_format *f = zr_format_by_name("npy");
  assert_non_null(f);
  double v[2] = {1, 2};
  int64_t shape[1] = {2};
  zr_tensor t;
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 1, shape, v, NULL);
  size_t len;
  uint8_t *d = encode(&t, &len);
  assert_ptr_equal(zr_format_detect(d, len), f);
  char *js = zr_test_inspect_text(f, d, 128); /* header only: no data needed */
  assert_non_null(strstr(js, "\"descr\":\"<f8\""));
  assert_non_null(strstr(js, "\"shape\":[2]"));
  assert_non_null(strstr(js, "\"order\":\"C\""));
  assert_non_null(strstr(js, "\"size\":16"));
  free(js);
  zr_value notensor = zr_int(3);
  zr_test_encode_fails(f, &notensor, ZR_ERR_TYPE);
  free(d);
}

static zr_status npy_dec(const uint8_t *d, size_t n, const zr_decode_opts *o, zr_doc **out, zr_error *e) {
  return zr_npy_decode(d, n, o, NULL, out, e);
}

static void test_alloc_failures(void **state) {
  (void)state;
  double v[2] = {1, 2};
  int64_t shape[1] = {2};
  zr_tensor t;
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 1, shape, v, NULL);
  size_t len;
  uint8_t *d = encode(&t, &len);
  zr_test_dec c = {npy_dec, d, len, 1};
  zr_test_failalloc_sweep("npy decode", zr_test_dec_run, &c, 200, ZR_TEST_FA_ANY_ERR);
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header_matches_numpy), cmocka_unit_test(test_roundtrip_kinds),
      cmocka_unit_test(test_zero_d_and_noncontiguous), cmocka_unit_test(test_errors),
      cmocka_unit_test(test_versions), cmocka_unit_test(test_format_table), cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
