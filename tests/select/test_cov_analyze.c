/* Coverage: data characteristics of tables, tensors and the scalar-ish shapes. */
#include <stdio.h>
#include <string.h>

#include "select/select.h"
#include "zerial/arrow.h"
#include "zr_test.h"

static void analyze(const zr_value *v, zr_characteristics *ch) {
  memset(ch, 0, sizeof *ch);
  zr__select_analyze(v, 0, 0, ch);
}

static void test_table(void **state) {
  (void)state;
  const char *json = "{\"schema\":{\"fields\":["
                     "{\"name\":\"a\",\"nullable\":false,\"type\":{\"name\":\"int\",\"isSigned\":true,\"bitWidth\":32},\"children\":[]},"
                     "{\"name\":\"b\",\"nullable\":false,\"type\":{\"name\":\"int\",\"isSigned\":true,\"bitWidth\":32},\"children\":[]}]},"
                     "\"batches\":[{\"count\":3,\"columns\":["
                     "{\"name\":\"a\",\"count\":3,\"VALIDITY\":[1,1,1],\"DATA\":[1,2,3]},"
                     "{\"name\":\"b\",\"count\":3,\"VALIDITY\":[1,1,1],\"DATA\":[4,5,6]}]}]}";
  zr_table t;
  zr_error e;
  zr_error_clear(&e);
  if (zr_arrow_from_integration_json(json, strlen(json), NULL, &t, &e) != ZR_OK) fail_msg("%s", e.message);
  zr_doc *d = zr_doc_new(NULL);
  zr_value tv = zr_table_value(d, &t);
  zr_characteristics ch;
  analyze(&tv, &ch);
  assert_string_equal(ch.shape, "table");
  assert_int_equal(ch.rows, 3);
  assert_int_equal(ch.cols, 2);
  assert_int_equal(ch.root_kind, ZR_KIND_TABLE);
  assert_true(ch.numeric_share > 0.99);
  assert_true(ch.entropy >= 0); /* column bytes were sampled */
  assert_true(ch.size_estimate >= 256);
  zr_doc_free(d);
}

static void test_other_shapes(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_characteristics ch;
  zr_value x = zr_ext(d, 3, 1, "abc", 3);
  analyze(&x, &ch);
  assert_string_equal(ch.shape, "ext");
  x = zr_sym_ref("atom", 4);
  analyze(&x, &ch);
  assert_string_equal(ch.shape, "string");
  x = zr_tuple_new(d, 2);
  assert_int_equal(zr_list_push(d, &x, zr_int(1)), ZR_OK);
  analyze(&x, &ch);
  assert_string_equal(ch.shape, "document");
  x = zr_float(2.5);
  analyze(&x, &ch);
  assert_string_equal(ch.shape, "scalar");
  /* a 1-d tensor: rows, no columns */
  static double data[7];
  int64_t shape[1] = {7};
  zr_tensor t;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 1, shape, data, NULL), ZR_OK);
  x = zr_tensor_value(d, &t);
  analyze(&x, &ch);
  assert_string_equal(ch.shape, "tensor");
  assert_int_equal(ch.rows, 7);
  assert_int_equal(ch.cols, 0);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_table), cmocka_unit_test(test_other_shapes)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
