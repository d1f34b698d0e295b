/* A zr_error record reused across calls: a new error never keeps the value path of an earlier
 * one (zr_error_set empties it), while errors that have a path still report it. */
#include <string.h>

#include "zr_test.h"
#include "zerial/binary.h"

/* the public helpers: setting an error empties the path; a path set afterwards stays */
static void test_set_clears_path(void **state) {
  (void)state;
  zr_error e;
  zr_error_clear(&e);
  zr_error_set(&e, ZR_ERR_TYPE, -1, "first");
  zr_error_set_path(&e, "$.rows[3].score");
  assert_string_equal(e.path, "$.rows[3].score");
  assert_int_equal(zr_error_set(&e, ZR_ERR_IO, 7, "second"), ZR_ERR_IO);
  assert_int_equal(e.code, ZR_ERR_IO);
  assert_int_equal(e.offset, 7);
  assert_string_equal(e.message, "second");
  assert_string_equal(e.path, "");
  /* the NULL-message form too */
  zr_error_set_path(&e, "$[1]");
  zr_error_set(&e, ZR_ERR_TRUNCATED, 3, NULL);
  assert_string_equal(e.path, "");
  assert_string_equal(e.message, zr_strerror(ZR_ERR_TRUNCATED));
}

/* a document whose $.rows[1].score cannot be encoded in the binary format (a table there) */
static zr_value bad_rows(zr_doc *d, zr_table *tbl) {
  zr_value root = zr_map_new(d, 0);
  zr_value rows = zr_list_new(d, 0);
  for (int i = 0; i < 2; i++) {
    zr_value r = zr_map_new(d, 0);
    zr_map_put_cstr(d, &r, "score", i == 1 ? zr_table_value(d, tbl) : zr_float(1));
    zr_list_push(d, &rows, r);
  }
  zr_map_put_cstr(d, &root, "rows", rows);
  return root;
}

/* an encoder error with a path, then a sink error on the same record: no stale path */
static void test_sink_error_after_encode_error(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  assert_non_null(d);
  zr_table tbl;
  memset(&tbl, 0, sizeof tbl);
  zr_value root = bad_rows(d, &tbl);
  zr_sink *mem = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &mem, NULL), ZR_OK);
  zr_error err;
  zr_error_clear(&err);
  assert_int_equal(zr_binary_encode(&root, NULL, mem, &err), ZR_ERR_TYPE);
  assert_string_equal(err.path, "$.rows[1].score");

  /* the same record: a plain write into a full fixed sink */
  uint8_t small[4];
  zr_sink *fixed = NULL;
  assert_int_equal(zr_sink_fixed_new(small, sizeof small, &fixed, NULL), ZR_OK);
  static const uint8_t ten[10] = {0};
  zr_status st = zr_sink_write(fixed, ten, sizeof ten, &err);
  assert_int_not_equal(st, ZR_OK);
  assert_int_equal(err.code, st);
  assert_string_equal(err.path, "");
  zr_sink_free(fixed);

  /* again, through the encoder: a valid value, a sink too small for it */
  zr_error_clear(&err);
  assert_int_equal(zr_binary_encode(&root, NULL, mem, &err), ZR_ERR_TYPE);
  assert_string_equal(err.path, "$.rows[1].score");
  zr_value ok = zr_str_copy(d, "a string longer than the four bytes of the sink", 47);
  assert_int_equal(zr_sink_fixed_new(small, sizeof small, &fixed, NULL), ZR_OK);
  st = zr_binary_encode(&ok, NULL, fixed, &err);
  assert_int_not_equal(st, ZR_OK);
  assert_int_equal(err.code, st);
  assert_string_equal(err.path, "");
  zr_sink_free(fixed);
  zr_sink_free(mem);
  zr_doc_free(d);
}

/* zr_value_at_path: its failing prefix is in the path; a later error on the record drops it */
static void test_value_at_path_then_other_error(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  assert_non_null(d);
  zr_value root = zr_map_new(d, 0);
  zr_value inner = zr_map_new(d, 0);
  zr_map_put_cstr(d, &inner, "b", zr_int(1));
  zr_map_put_cstr(d, &root, "a", inner);
  const zr_value *out = NULL;
  zr_error err;
  zr_error_clear(&err);
  assert_int_equal(zr_value_at_path(&root, "$.a.c.d", &out, &err), ZR_ERR_NOT_FOUND);
  assert_string_equal(err.path, "$.a.c");
  assert_int_equal(err.code, ZR_ERR_NOT_FOUND);
  /* a malformed path: an error without a value path */
  assert_int_equal(zr_value_at_path(&root, "$.a[x]", &out, &err), ZR_ERR_INVALID_ARG);
  assert_string_equal(err.path, "");
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_set_clears_path),
      cmocka_unit_test(test_sink_error_after_encode_error),
      cmocka_unit_test(test_value_at_path_then_other_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
