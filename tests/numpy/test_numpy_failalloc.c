/* Allocation failure in the NumPy writers: fail the n-th allocation, for every n, in the npy,
 * npz (stored and deflated) and pickle encoders reached through the format table with
 * opts.alloc: a clean ZR_ERR_NOMEM, nothing leaked, and the output equals the unfailed one. */
#include <stdio.h>
#include <stdlib.h>

#include "zr_test.h"
#include "zerial/format.h"
#include "zerial/numpy.h"

static int64_t data_i64[6 * 4];
static uint8_t recs[5 * 12];

/* a map: a strided (non-contiguous) int64 view, a structured tensor, a big integer, a list */
static zr_value build(zr_doc *d, int tensors_only) {
  for (int i = 0; i < 24; i++) data_i64[i] = i * 1000003;
  for (int i = 0; i < 60; i++) recs[i] = (uint8_t)(i * 7);
  zr_tensor t;
  int64_t shape[2] = {6, 2};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT64, 8, 2, shape, data_i64, NULL), 0);
  t.strides[1] = 16; /* every other column: gathered on write */
  zr_tensor s;
  int64_t n = 5;
  assert_int_equal(zr_tensor_init(&s, ZR_DT_VOID, 12, 1, &n, recs, NULL), 0);
  s.descr = "[('a', '<i4'), ('b', '>f8')]";
  zr_value root = zr_map_new(d, 0);
  zr_map_put_cstr(d, &root, "strided", zr_tensor_value(d, &t));
  zr_map_put_cstr(d, &root, "records", zr_tensor_value(d, &s));
  if (!tensors_only) {
    uint8_t mag[20];
    for (int i = 0; i < 20; i++) mag[i] = (uint8_t)(i * 13 + 1);
    zr_map_put_cstr(d, &root, "big", zr_bigint(d, 1, mag, sizeof mag));
    zr_value l = zr_list_new(d, 0);
    for (int i = 0; i < 50; i++) zr_list_push(d, &l, zr_str_copy(d, "text", 4));
    zr_map_put_cstr(d, &root, "list", l);
  }
  return root;
}

static void run(const char *fmt, const zr_value *v, const char *codec) {
  const zr_format *f = zr_format_by_name(fmt);
  assert_non_null(f);
  /* reference output */
  zr_sink *ref;
  assert_int_equal(zr_sink_memory_new(NULL, &ref, NULL), 0);
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.codec = codec;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = f->encode(v, &eo, ref, &e);
  if (st) fprintf(stderr, "%s: %s\n", fmt, e.message);
  assert_int_equal(st, 0);
  const uint8_t *rd;
  size_t rl;
  zr_sink_memory_data(ref, &rd, &rl);
  int ok = 0;
  uint64_t n;
  for (n = 1; n < 2000 && !ok; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    eo.alloc = &fa.a;
    zr_sink *s;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), 0);
    zr_error_clear(&e);
    st = f->encode(v, &eo, s, &e);
    if (st == ZR_OK) {
      ok = 1;
      const uint8_t *d;
      size_t l;
      zr_sink_memory_data(s, &d, &l);
      assert_int_equal(l, rl);
      assert_memory_equal(d, rd, l);
    } else {
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_int_equal(e.code, ZR_ERR_NOMEM);
    }
    zr_sink_free(s);
    assert_int_equal(fa.live, 0);
  }
  fprintf(stderr, "%s%s%s: %llu allocations, each failed once\n", fmt, codec ? " " : "", codec ? codec : "",
          (unsigned long long)(n - 2));
  assert_true(ok);
  assert_true(n > 2); /* the writer does allocate through the hook */
  zr_sink_free(ref);
}

static void test_npy(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = build(d, 1);
  run("npy", zr_map_get(&v, "strided", 7), NULL);
  run("npy", zr_map_get(&v, "records", 7), NULL);
  zr_doc_free(d);
}

static void test_npz(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = build(d, 1);
  run("npz", &v, NULL);
  run("npz", &v, "gzip");
  zr_doc_free(d);
}

static void test_pickle(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = build(d, 0);
  run("pickle", &v, NULL);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_npy),
      cmocka_unit_test(test_npz),
      cmocka_unit_test(test_pickle),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
