/* Coverage: the Python-literal parser and printer behind .npy headers. */
#include <stdio.h>
#include <string.h>

#include "formats/numpy/pylit.h"
#include "zr_test.h"

static zr_status parse(zr_doc *d, const char *s, zr_value *out, zr_error *e) {
  zr_error_clear(e);
  return zr__pylit_parse(s, strlen(s), d, out, 10, e);
}

/* repr(parse(s)) */
static const char *roundtrip(zr_doc *d, const char *s) {
  static char out[256];
  zr_value v;
  zr_error e;
  if (parse(d, s, &v, &e) != ZR_OK) fail_msg("parse %s: %s", s, e.message);
  zr__buf b;
  zr__buf_init(&b, NULL);
  assert_int_equal(zr__pylit_repr(&b, &v), ZR_OK);
  snprintf(out, sizeof out, "%.*s", (int)b.len, (const char *)b.data);
  zr__buf_free(&b);
  return out;
}

static void test_values(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  assert_string_equal(roundtrip(d, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"),
                      "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}");
  assert_string_equal(roundtrip(d, "[True, None, -5, 7L, (1, 2), ()]"), "[True, None, -5, 7, (1, 2), ()]");
  assert_string_equal(roundtrip(d, "(4)"), "4"); /* parenthesised expression, not a tuple */
  assert_string_equal(roundtrip(d, "u'x' "), "'x'");
  assert_string_equal(roundtrip(d, "b\"y\""), "'y'");
  /* escapes in, escapes out */
  assert_string_equal(roundtrip(d, "'a\\\\b\\'c\\\"d\\n\\t\\r\\0'"), "'a\\\\b\\'c\"d\\n\\t\\r\\x00'"); /* both quotes: single, like repr() */
  assert_string_equal(roundtrip(d, "'\\x41\\u00e9\\u20ac\\U0001F600'"), "'A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80'");
  assert_string_equal(roundtrip(d, "'\\xAf\\x7f'"), "'\xc2\xaf\\x7f'");
  assert_string_equal(roundtrip(d, "\"it's\""), "\"it's\"");
  assert_string_equal(roundtrip(d, "'both \\' and \"'"), "'both \\' and \"'");
  zr_doc_free(d);
}

static void test_repr_other_kinds(void **state) {
  (void)state;
  zr__buf b;
  zr__buf_init(&b, NULL);
  zr_value u = zr_uint(UINT64_MAX);
  assert_int_equal(zr__pylit_repr(&b, &u), ZR_OK);
  assert_int_equal(b.len, 20);
  assert_memory_equal(b.data, "18446744073709551615", 20);
  zr_value f = zr_float(1.0);
  assert_int_equal(zr__pylit_repr(&b, &f), ZR_ERR_TYPE);
  zr__buf_free(&b);
}

static void test_errors(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v;
  zr_error e;
  static const struct { const char *in; zr_status st; const char *what; int64_t off; } cases[] = {
      {"'abc", ZR_ERR_MALFORMED, "unterminated string", 14},
      {"'a\nb'", ZR_ERR_MALFORMED, "newline in string", 13},
      {"'a\\", ZR_ERR_MALFORMED, "unterminated escape", 13},
      {"'\\q'", ZR_ERR_MALFORMED, "unsupported escape in string", 13},
      {"'\\x4'", ZR_ERR_MALFORMED, "bad hex escape", 14},
      {"'\\u12", ZR_ERR_MALFORMED, "bad hex escape", 15},
      {"'\\ud800'", ZR_ERR_MALFORMED, "bad code point escape", 17},
      {"'\\U00110000'", ZR_ERR_MALFORMED, "bad code point escape", 21},
      {"[1, 2", ZR_ERR_MALFORMED, "unterminated container", 15},
      {"[1 2]", ZR_ERR_MALFORMED, "expected ',' between items", 13},
      {"{'a' 1}", ZR_ERR_MALFORMED, "expected ':' in dict", 15},
      {"{'a': }", ZR_ERR_MALFORMED, "unexpected character", 16},
      {"-x", ZR_ERR_MALFORMED, "bad number", 11},
      {"-", ZR_ERR_MALFORMED, "bad number", 11},
      {"99999999999999999999999", ZR_ERR_RANGE, "integer too large", 29},
      {"9223372036854775808", ZR_ERR_RANGE, "integer too large", 29},
      {"", ZR_ERR_MALFORMED, "unexpected end", 10},
      {"Tru", ZR_ERR_MALFORMED, "unexpected character", 10},
      {"None None", ZR_ERR_MALFORMED, "trailing characters after literal", 15},
      {"[(1,), {1: 2}] x", ZR_ERR_MALFORMED, "trailing characters after literal", 25},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    zr_status st = parse(d, cases[i].in, &v, &e);
    if (st != cases[i].st) fail_msg("%s: got %d (%s)", cases[i].in, st, e.message);
    if (!strstr(e.message, cases[i].what)) fail_msg("%s: message %s", cases[i].in, e.message);
    if (e.offset != cases[i].off) fail_msg("%s: offset %lld, want %lld", cases[i].in, (long long)e.offset, (long long)cases[i].off);
  }
  /* nesting limit */
  char deep[200];
  memset(deep, '[', 100);
  deep[100] = '\0';
  assert_int_equal(parse(d, deep, &v, &e), ZR_ERR_LIMIT);
  assert_non_null(strstr(e.message, "nested too deeply"));
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_values), cmocka_unit_test(test_repr_other_kinds),
                                     cmocka_unit_test(test_errors)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
