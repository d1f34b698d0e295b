/* Coverage: deep copies of timestamps, strided and described tensors, tables; tensor equality rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zr_test.h"

static void test_copy_timestamp_tz(void **state) {
  (void)state;
  zr_doc *a = zr_doc_new(NULL), *b = zr_doc_new(NULL);
  char tz[16];
  strcpy(tz, "Europe/Paris");
  zr_value ts = zr_timestamp(a, 1234, ZR_TU_MILLI, tz);
  zr_value c;
  assert_int_equal(zr_value_copy(b, &ts, &c, NULL), ZR_OK);
  assert_true(zr_value_equal(&ts, &c));
  assert_true(c.n.tz != ts.n.tz); /* the zone name is copied into the target doc */
  zr_doc_free(a);
  assert_string_equal(c.n.tz, "Europe/Paris");
  assert_int_equal(c.u.i, 1234);
  zr_doc_free(b);
}

static void test_copy_strided_tensor(void **state) {
  (void)state;
  /* a 2×3 int16 matrix seen transposed (3×2, Fortran strides) with a NumPy descr */
  int16_t m[6] = {1, 2, 3, 4, 5, 6};
  zr_tensor t;
  memset(&t, 0, sizeof t);
  t.dtype = ZR_DT_INT16;
  t.itemsize = 2;
  t.ndim = 2;
  t.shape[0] = 3;
  t.shape[1] = 2;
  t.strides[0] = 2;
  t.strides[1] = 6;
  t.data = m;
  t.nbytes = sizeof m;
  t.descr = "<i2";
  assert_false(zr_tensor_is_c_contiguous(&t));
  assert_true(zr_tensor_is_f_contiguous(&t));
  zr_doc *a = zr_doc_new(NULL), *b = zr_doc_new(NULL);
  zr_value v = zr_tensor_value(a, &t);
  zr_value c;
  assert_int_equal(zr_value_copy(b, &v, &c, NULL), ZR_OK);
  const zr_tensor *ct = c.u.tensor;
  assert_true(zr_tensor_is_c_contiguous(ct));
  assert_int_equal(ct->strides[0], 4);
  assert_int_equal(ct->strides[1], 2);
  const int16_t *cd = ct->data;
  static const int16_t want[6] = {1, 4, 2, 5, 3, 6}; /* the transposed matrix in C order */
  assert_memory_equal(cd, want, sizeof want);
  assert_string_equal(ct->descr, "<i2");
  assert_true(zr_value_equal(&v, &c)); /* strided against contiguous, element by element */

  /* equality: each differing property makes tensors unequal */
  zr_tensor u = *ct;
  zr_value uv;
  uv.kind = ZR_KIND_TENSOR;
  uv.u.tensor = &u;
  u.descr = NULL;
  assert_false(zr_value_equal(&c, &uv));
  u.descr = "<u2";
  assert_false(zr_value_equal(&c, &uv));
  u.descr = "<i2";
  u.byte_order = ZR_ORDER_BIG;
  assert_false(zr_value_equal(&c, &uv));
  u.byte_order = ZR_ORDER_LITTLE;
  u.shape[0] = 2;
  assert_false(zr_value_equal(&c, &uv));
  u.shape[0] = 3;
  u.dtype = ZR_DT_UINT16;
  assert_false(zr_value_equal(&c, &uv));
  u.dtype = ZR_DT_INT16;
  assert_true(zr_value_equal(&c, &uv));
  int16_t other[6] = {1, 4, 2, 5, 3, 7};
  u.data = other;
  assert_false(zr_value_equal(&c, &uv));
  u.data = NULL;
  assert_false(zr_value_equal(&c, &uv));
  zr_doc_free(a);
  zr_doc_free(b);
}

static void test_copy_table(void **state) {
  (void)state;
  const char *json = "{\"schema\":{\"fields\":[{\"name\":\"s\",\"nullable\":true,\"type\":{\"name\":\"utf8\"},\"children\":[]}]},"
                     "\"batches\":[{\"count\":2,\"columns\":[{\"name\":\"s\",\"count\":2,\"VALIDITY\":[1,0],"
                     "\"OFFSET\":[0,3,3],\"DATA\":[\"abc\",\"\"]}]}]}";
  zr_table t;
  zr_error e;
  zr_error_clear(&e);
  if (zr_arrow_from_integration_json(json, strlen(json), NULL, &t, &e) != ZR_OK) fail_msg("%s", e.message);
  zr_doc *a = zr_doc_new(NULL), *b = zr_doc_new(NULL);
  zr_value tv = zr_table_value(a, &t);
  assert_int_equal(tv.kind, ZR_KIND_TABLE);
  zr_value c;
  assert_int_equal(zr_value_copy(b, &tv, &c, &e), ZR_OK);
  assert_int_equal(c.kind, ZR_KIND_TABLE);
  assert_true(c.u.table != tv.u.table);
  assert_true(zr_value_equal(&tv, &c));
  zr_doc_free(a); /* the copy does not depend on the source */
  assert_int_equal(zr_table_num_rows(c.u.table), 2);
  zr_doc_free(b);
  assert_int_equal(zr_doc_bytes(NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_copy_timestamp_tz), cmocka_unit_test(test_copy_strided_tensor),
                                     cmocka_unit_test(test_copy_table)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
