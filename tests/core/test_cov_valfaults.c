/* Fault sweeps over the value model: building a document of every kind, deep copies into a doc
 * and JSON text in and out, with the doc's allocator failing its n-th allocation. A failure is
 * reported (the doc's status, or ZR_ERR_NOMEM from the call), nothing leaks, and the run that
 * succeeds gives the same value as a run without faults. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"

static double tdata[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static int released;
static void tensor_owner_release(void *owner) {
  (void)owner;
  released++;
}

/* every kind, containers grown past their first capacity */
static zr_status build(zr_doc *d, zr_value *out) {
  zr_value root = zr_map_new(d, 1);
  static const uint8_t mag[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0};
  zr_map_put_cstr(d, &root, "big", zr_bigint(d, 1, mag, sizeof mag));
  zr_map_put_cstr(d, &root, "ts", zr_timestamp(d, 1234, ZR_TU_MICRO, "Europe/Paris"));
  zr_map_put_cstr(d, &root, "sym", zr_sym_copy(d, "atom", 4));
  zr_map_put_cstr(d, &root, "bin", zr_bin_copy(d, "\x00\x01\x02", 3));
  zr_map_put_cstr(d, &root, "ext", zr_ext(d, 77, 2, "payload", 7));
  zr_value l = zr_list_new(d, 1);
  for (int i = 0; i < 100; i++) zr_list_push(d, &l, i % 2 ? zr_int(-i) : zr_str_copy(d, "element", 7));
  zr_map_put_cstr(d, &root, "list", l);
  zr_value t = zr_tuple_new(d, 1);
  zr_list_push(d, &t, zr_bool(1));
  zr_list_push(d, &t, zr_float32(1.5f));
  zr_map_put_cstr(d, &root, "tuple", t);
  int64_t shape[2] = {3, 4};
  zr_tensor tn;
  zr_tensor_init(&tn, ZR_DT_FLOAT64, 8, 2, shape, tdata, NULL);
  tn.release = tensor_owner_release;
  zr_map_put_cstr(d, &root, "tensor", zr_tensor_value(d, &tn));
  zr_value m = zr_map_new(d, 0);
  for (int i = 0; i < 40; i++) {
    char k[16];
    snprintf(k, sizeof k, "key%d", i);
    zr_map_put(d, &m, zr_str_copy(d, k, strlen(k)), zr_uint((uint64_t)i << 40));
  }
  zr_map_put_cstr(d, &root, "map", m);
  *out = root;
  return zr_doc_status(d);
}

static void test_build_copy_sweep(void **state) {
  (void)state;
  zr_doc *ref = zr_doc_new(NULL);
  zr_value rv;
  assert_int_equal(build(ref, &rv), ZR_OK);
  assert_int_equal(zr_doc_set_root(ref, rv), ZR_OK);
  unsigned failures = 0;
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_doc *d = zr_doc_new(&fa.a);
    zr_status st = d ? ZR_OK : ZR_ERR_NOMEM;
    zr_value v;
    if (st == ZR_OK) st = build(d, &v);
    zr_value c;
    zr_doc *d2 = NULL;
    zr_error e;
    zr_error_clear(&e);
    if (st == ZR_OK) {
      d2 = zr_doc_new(&fa.a);
      st = d2 ? zr_value_copy(d2, &v, &c, &e) : ZR_ERR_NOMEM;
      if (st == ZR_OK) {
        assert_true(zr_value_equal(&c, zr_doc_root(ref)));
        assert_true(zr_value_equal(&v, zr_doc_root(ref)));
      }
    }
    zr_doc_free(d2);
    zr_doc_free(d);
    assert_int_equal(fa.live, 0);
    if (st == ZR_OK) {
      assert_true(fa.calls < n);
      break;
    }
    assert_int_equal(st, ZR_ERR_NOMEM);
    failures++;
    assert_true(n < 10000);
  }
  assert_true(failures > 3);
  zr_doc_free(ref);
  assert_true(released > 0);
}

static void test_json_sweep(void **state) {
  (void)state;
  static const char js[] = "{\"a\":[1,2.5,\"x\",null,true,{\"b\":[[],{}]}],\"c\":\"\\u00e9\\n\",\"d\":-12345678901234}";
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_decode_opts o;
    zr_decode_opts_init(&o);
    o.alloc = &fa.a;
    zr_doc *d = NULL;
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_value_from_json(js, strlen(js), 0, &o, &d, &e);
    zr_sink *s = NULL;
    if (st == ZR_OK) st = zr_sink_memory_new(&fa.a, &s, &e);
    if (st == ZR_OK) st = zr_value_to_json(zr_doc_root(d), 0, s, &e);
    if (st == ZR_OK) {
      const uint8_t *b;
      size_t len;
      zr_sink_memory_data(s, &b, &len);
      assert_true(len > 20);
    }
    zr_sink_free(s);
    zr_doc_free(d);
    assert_int_equal(fa.live, 0);
    if (st == ZR_OK) {
      if (fa.calls >= n) continue;
      break;
    }
    if (st != ZR_ERR_NOMEM && st != ZR_ERR_LIMIT) fail_msg("json alloc %llu: %s (%s)", (unsigned long long)n, zr_strerror(st), e.message);
    assert_true(n < 10000);
  }
}

static void test_doc_edges(void **state) {
  (void)state;
  assert_null(zr_doc_root(NULL));
  assert_int_equal(zr_doc_set_root(NULL, zr_null()), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_doc_status(NULL), ZR_ERR_INVALID_ARG);
  zr_doc *d = zr_doc_new(NULL);
  assert_null(zr_doc_alloc(d, 8, 3));
  assert_null(zr_doc_alloc(d, 8, 128));
  assert_null(zr_doc_alloc(NULL, 8, 8));
  assert_int_equal(zr_doc_keep(d, NULL, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_str_copy(NULL, "x", 1).kind, ZR_KIND_NULL);
  assert_int_equal(zr_tensor_value(d, NULL).kind, ZR_KIND_NULL);
  assert_int_equal(zr_table_value(d, NULL).kind, ZR_KIND_NULL);
  zr_value v;
  assert_int_equal(build(d, &v), ZR_OK);
  zr_doc_set_root(d, v);
  released = 0;
  zr_doc_reset(d); /* releases the tensor owner, keeps the memory */
  assert_int_equal(released, 1);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_NULL);
  assert_int_equal(build(d, &v), ZR_OK);
  zr_doc_free(d);
  assert_int_equal(released, 2);
  zr_doc_free(NULL);
  zr_doc_reset(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_build_copy_sweep),
      cmocka_unit_test(test_json_sweep),
      cmocka_unit_test(test_doc_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
