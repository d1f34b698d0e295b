/* Coverage: dtype sizes and names for every dtype; value paths rendered for every key kind
 * (identifiers, quoted keys with escapes, integer keys, other keys, elided depth, tiny buffers);
 * zr_value_at_path over lists, maps and quoted keys, and each of its syntax errors with offset. */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "zr_test.h"

static void test_dtypes(void **state) {
  (void)state;
  static const struct { zr_dtype dt; size_t size; const char *name; } t[] = {
      {ZR_DT_BOOL, 1, "bool"},          {ZR_DT_INT8, 1, "int8"},        {ZR_DT_INT16, 2, "int16"},
      {ZR_DT_INT32, 4, "int32"},        {ZR_DT_INT64, 8, "int64"},      {ZR_DT_UINT8, 1, "uint8"},
      {ZR_DT_UINT16, 2, "uint16"},      {ZR_DT_UINT32, 4, "uint32"},    {ZR_DT_UINT64, 8, "uint64"},
      {ZR_DT_FLOAT16, 2, "float16"},    {ZR_DT_FLOAT32, 4, "float32"},  {ZR_DT_FLOAT64, 8, "float64"},
      {ZR_DT_COMPLEX64, 8, "complex64"}, {ZR_DT_COMPLEX128, 16, "complex128"},
      {ZR_DT_DATETIME64, 8, "datetime64"}, {ZR_DT_TIMEDELTA64, 8, "timedelta64"},
      {ZR_DT_BYTES, 0, "bytes"},        {ZR_DT_UNICODE, 0, "unicode"},  {ZR_DT_VOID, 0, "void"},
      {ZR_DT_LONGDOUBLE, 0, "longdouble"},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    assert_int_equal(zr_dtype_size(t[i].dt), t[i].size);
    assert_string_equal(zr_dtype_name(t[i].dt), t[i].name);
  }
  assert_int_equal(zr_dtype_size((zr_dtype)99), 0);
  assert_string_equal(zr_dtype_name((zr_dtype)99), "invalid");
}

static void test_path_render(void **state) {
  (void)state;
  zr__path p;
  memset(&p, 0, sizeof p);
  zr_value k1 = zr_cstr_ref("rows"), k2 = zr_cstr_ref("odd \"key\"\\"), k3 = zr_int(-7), k4 = zr_uint(9),
           k5 = zr_bool(1), k6 = zr_sym_ref("", 0);
  p.seg[0].key = &k1;
  p.seg[1].index = 3;
  p.seg[2].key = &k2;
  p.seg[3].key = &k3;
  p.seg[4].key = &k4;
  p.seg[5].key = &k5;
  p.seg[5].index = 2;
  p.seg[6].key = &k6;
  p.depth = 7;
  char out[256];
  zr__path_render(&p, out, sizeof out);
  assert_string_equal(out, "$.rows[3][\"odd \\\"key\\\"\\\\\"]{-7}{9}{key#2}[\"\"]");
  char tiny[6];
  zr__path_render(&p, tiny, sizeof tiny);
  assert_string_equal(tiny, "$.row");
  zr__path_render(&p, tiny, 0); /* nothing written */
  p.depth = 70;
  for (int i = 0; i < 64; i++) {
    p.seg[i].key = NULL;
    p.seg[i].index = 0;
  }
  char big[1024];
  zr__path_render(&p, big, sizeof big);
  assert_int_equal(strlen(big), 1 + 64 * 3 + 3);
  assert_string_equal(big + strlen(big) - 3, "...");
}

static void test_value_at_path(void **state) {
  (void)state;
  zr_doc *d = NULL;
  static const char js[] = "{\"rows\":[{\"score\":1},{\"score\":2,\"odd key\":[5,6]}],\"q\\\"k\":3}";
  assert_int_equal(zr_value_from_json(js, strlen(js), 0, NULL, &d, NULL), ZR_OK);
  const zr_value *v = NULL;
  zr_error e;
  assert_int_equal(zr_value_at_path(zr_doc_root(d), "$.rows[1].score", &v, &e), ZR_OK);
  assert_int_equal(v->u.i, 2);
  assert_int_equal(zr_value_at_path(zr_doc_root(d), "$.rows[1][\"odd key\"][1]", &v, &e), ZR_OK);
  assert_int_equal(v->u.i, 6);
  assert_int_equal(zr_value_at_path(zr_doc_root(d), "[\"q\\\"k\"]", &v, &e), ZR_OK);
  assert_int_equal(v->u.i, 3);
  static const struct { const char *path; zr_status st; int64_t off; const char *msg; } bad[] = {
      {"$.rows[9]", ZR_ERR_NOT_FOUND, 6, "nothing at $.rows[9]"},
      {"$.", ZR_ERR_INVALID_ARG, 2, "empty key in path"},
      {"$[\"open", ZR_ERR_INVALID_ARG, 7, "unterminated key in path"},
      {"$[x]", ZR_ERR_INVALID_ARG, 2, "expected an index in path"},
      {"$[12", ZR_ERR_INVALID_ARG, 4, "expected ']' in path"},
      {"$[99999999999999999999]", ZR_ERR_INVALID_ARG, 21, "index too large"},
      {"$x", ZR_ERR_INVALID_ARG, 1, "unexpected 'x' in path"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    zr_error_clear(&e);
    assert_int_equal(zr_value_at_path(zr_doc_root(d), bad[i].path, &v, &e), bad[i].st);
    assert_string_equal(e.message, bad[i].msg);
    assert_int_equal(e.offset, bad[i].off);
  }
  char longkey[1100] = "$.";
  memset(longkey + 2, 'k', 1050);
  longkey[1052] = '\0';
  assert_int_equal(zr_value_at_path(zr_doc_root(d), longkey, &v, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "path key too long");
  assert_int_equal(zr_value_at_path(NULL, "$", &v, &e), ZR_ERR_INVALID_ARG);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dtypes),
      cmocka_unit_test(test_path_render),
      cmocka_unit_test(test_value_at_path),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
