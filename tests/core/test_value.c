#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "zr_test.h"

static void test_status_strings(void **state) {
  (void)state;
  assert_string_equal(zr_strerror(ZR_OK), "success");
  assert_string_equal(zr_status_name(ZR_ERR_TRUNCATED), "ERR_TRUNCATED");
  assert_null(zr_status_name(-9999));
  assert_string_equal(zr_strerror(-9999), "unknown status");
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(e.offset, -1);
  assert_int_equal(zr_error_set(&e, ZR_ERR_RANGE, 7, "bad %d", 42), ZR_ERR_RANGE);
  assert_string_equal(e.message, "bad 42");
  assert_int_equal(e.offset, 7);
  assert_int_equal(zr_error_set(NULL, ZR_ERR_IO, 1, "x"), ZR_ERR_IO); /* NULL-safe */
}

static void test_build_and_equal(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  assert_non_null(d);
  zr_value root = zr_map_new(d, 0);
  zr_value rows = zr_list_new(d, 0);
  for (int i = 0; i < 100; i++) {
    zr_value r = zr_map_new(d, 2);
    assert_int_equal(zr_map_put_cstr(d, &r, "id", zr_int(i)), ZR_OK);
    assert_int_equal(zr_map_put_cstr(d, &r, "score", zr_float(i * 0.5)), ZR_OK);
    assert_int_equal(zr_list_push(d, &rows, r), ZR_OK);
  }
  assert_int_equal(zr_map_put_cstr(d, &root, "rows", rows), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &root, "odd key", zr_str_copy(d, "v", 1)), ZR_OK);
  assert_int_equal(zr_doc_set_root(d, root), ZR_OK);

  const zr_value *v = NULL;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(zr_value_at_path(zr_doc_root(d), "$.rows[3].score", &v, &e), ZR_OK);
  assert_true(v->kind == ZR_KIND_FLOAT && v->u.f == 1.5);
  assert_int_equal(zr_value_at_path(zr_doc_root(d), "$[\"odd key\"]", &v, &e), ZR_OK);
  assert_int_equal(v->kind, ZR_KIND_STRING);
  assert_int_equal(zr_value_at_path(zr_doc_root(d), "$.rows[100]", &v, &e), ZR_ERR_NOT_FOUND);
  assert_string_equal(e.path, "$.rows[100]");
  assert_int_equal(zr_value_at_path(zr_doc_root(d), "$.rows[x]", &v, &e), ZR_ERR_INVALID_ARG);

  /* deep copy is equal, and a change makes it unequal */
  zr_doc *d2 = zr_doc_new(NULL);
  zr_value c;
  assert_int_equal(zr_value_copy(d2, zr_doc_root(d), &c, &e), ZR_OK);
  assert_true(zr_value_equal(&c, zr_doc_root(d)));
  c.u.members[0].val.u.items[5].u.members[0].val.u.i = 999;
  assert_false(zr_value_equal(&c, zr_doc_root(d)));
  zr_doc_free(d2);
  zr_doc_free(d);
}

static void test_float_bits(void **state) {
  (void)state;
  zr_value a = zr_float(0.0), b = zr_float(-0.0);
  assert_false(zr_value_equal(&a, &b));
  zr_value n1 = zr_float(NAN), n2 = zr_float(NAN);
  assert_true(zr_value_equal(&n1, &n2));
  zr_value f32 = zr_float32(1.5f), f64 = zr_float(1.5);
  assert_false(zr_value_equal(&f32, &f64));
}

static void test_kinds(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  uint8_t mag[] = {1, 2, 0, 0};
  zr_value bi = zr_bigint(d, 1, mag, sizeof mag);
  assert_int_equal(bi.kind, ZR_KIND_BIGINT);
  assert_int_equal(zr_len(&bi), 2); /* zero bytes trimmed */
  assert_true(bi.flags & ZR_VF_NEGATIVE);
  zr_value ts = zr_timestamp(d, 1700000000000, ZR_TU_MILLI, "Europe/Paris");
  assert_string_equal(ts.n.tz, "Europe/Paris");
  zr_value ex = zr_ext(d, 77, 3, "abc", 3);
  assert_int_equal(ex.aux32, 77);
  assert_int_equal(ex.aux16, 3);
  double data[6] = {1, 2, 3, 4, 5, 6};
  int64_t shape[2] = {2, 3};
  zr_tensor t;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, shape, data, NULL), ZR_OK);
  assert_true(zr_tensor_is_c_contiguous(&t));
  assert_false(zr_tensor_is_f_contiguous(&t));
  assert_int_equal(zr_tensor_count(&t), 6);
  zr_value tv = zr_tensor_value(d, &t);
  zr_doc *d2 = zr_doc_new(NULL);
  zr_value tc;
  assert_int_equal(zr_value_copy(d2, &tv, &tc, NULL), ZR_OK);
  assert_ptr_not_equal(tc.u.tensor->data, data);
  assert_true(zr_value_equal(&tv, &tc));
  int64_t big[2] = {INT64_MAX, 4};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, big, data, NULL), ZR_ERR_OVERFLOW);
  assert_string_equal(zr_kind_name(ZR_KIND_TUPLE), "tuple");
  zr_doc_free(d2);
  zr_doc_free(d);
}

static void test_alloc_failure(void **state) {
  (void)state;
  /* fail every allocation in turn while building; the doc records it and nothing leaks */
  for (uint64_t n = 1; n < 40; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_doc *d = zr_doc_new(&fa.a);
    if (!d) {
      assert_int_equal(fa.live, 0);
      continue;
    }
    zr_value l = zr_list_new(d, 0);
    for (int i = 0; i < 2000; i++) zr_list_push(d, &l, zr_str_copy(d, "hello world", 11));
    zr_doc_set_root(d, l);
    if (fa.calls >= n) assert_int_not_equal(zr_doc_status(d), ZR_OK);
    zr_doc_free(d);
    assert_int_equal(fa.live, 0);
  }
}

static void test_utf8(void **state) {
  (void)state;
  size_t bad = 0;
  assert_true(zr_utf8_valid("h\xc3\xa9llo \xf0\x9f\x98\x80", 11, &bad));
  assert_false(zr_utf8_valid("\xc0\xaf", 2, &bad)); /* overlong */
  assert_int_equal(bad, 0);
  assert_false(zr_utf8_valid("abcdefgh\xed\xa0\x80", 11, &bad)); /* surrogate */
  assert_int_equal(bad, 8);
  assert_false(zr_utf8_valid("\xf4\x90\x80\x80", 4, &bad)); /* > U+10FFFF */
  assert_false(zr_utf8_valid("\xe2\x82", 2, &bad));         /* truncated */
  assert_int_not_equal(zr_xxh3_64("abc", 3, 0), zr_xxh3_64("abd", 3, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_strings), cmocka_unit_test(test_build_and_equal),
      cmocka_unit_test(test_float_bits),     cmocka_unit_test(test_kinds),
      cmocka_unit_test(test_alloc_failure),  cmocka_unit_test(test_utf8),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
