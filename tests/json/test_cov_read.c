/* The JSON reader at its edges: every malformed extended wrapper (status, message, value path),
 * what every accepted wrapper and integer literal at the 64-bit boundaries becomes (its extended
 * text), limits at the boundary and one past, JSON lines through the format table with byte
 * offsets on later lines, and jansson itself running out of memory (json_set_alloc_funcs with a
 * failing allocator in this process): NOMEM, or the syntax error jansson's lexer reports for a
 * failed allocation, never a crash, a leak or a different value. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/format.h"
#include "zr_test.h"

static uint64_t j_calls, j_fail_at;
static int64_t j_live;
static int j_failed;
static void *j_malloc(size_t n) {
  j_calls++;
  if (j_fail_at && j_calls == j_fail_at) {
    j_failed = 1;
    return NULL;
  }
  void *p = malloc(n);
  if (p) j_live++;
  return p;
}
static void j_free(void *p) {
  if (p) j_live--;
  free(p);
}

/* the value's extended text, or "<status>: <message> @<path>" */
static char *read_as_text(const char *in, unsigned flags, const zr_decode_opts *o) {
  zr_doc *d = NULL;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_value_from_json(in, strlen(in), flags, o, &d, &e);
  char *out;
  if (st != ZR_OK) {
    out = malloc(strlen(e.message) + strlen(e.path) + 32);
    sprintf(out, "%d: %s @%s", (int)st, e.message, e.path);
    return out;
  }
  zr_sink *s = NULL;
  zr_sink_memory_new(NULL, &s, NULL);
  assert_int_equal(zr_value_to_json(zr_doc_root(d), ZR_JSON_EXTENDED, s, &e), ZR_OK);
  const uint8_t *b;
  size_t n;
  zr_sink_memory_data(s, &b, &n);
  out = malloc(n + 1);
  memcpy(out, b, n);
  out[n] = '\0';
  zr_sink_free(s);
  zr_doc_free(d);
  return out;
}

static void expect(const char *in, const char *want) {
  char *got = read_as_text(in, ZR_JSON_EXTENDED, NULL);
  if (strcmp(got, want) != 0) fail_msg("%s: got %s, expected %s", in, got, want);
  free(got);
}

static void test_wrapper_errors(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"{\"$float\":true}", "-6: JSON float wrapper needs a number or a string at $ @$"},
      {"{\"$float\":\"bits:zzzzzzzzzzzzzzzz\"}", "-6: JSON bad float bits at $ @$"},
      {"{\"$float\":\"x\"}", "-6: JSON unknown float spelling at $ @$"},
      {"{\"$bin\":1}", "-6: JSON base64 wrapper needs a string at $ @$"},
      {"{\"$bin\":\"!!\"}", "-6: JSON invalid base64 at $ @$"},
      {"{\"$tensor\":1}", "-6: JSON $tensor needs an object at $ @$"},
      {"{\"$tensor\":{\"dtype\":\"int8\"}}", "-6: JSON $tensor needs dtype, itemsize, shape and data at $ @$"},
      {"{\"$tensor\":{\"dtype\":\"int8\",\"itemsize\":1,\"shape\":[-1],\"data\":\"AA==\"}}",
       "-6: JSON $tensor shape must be integers \xe2\x89\xa5 0 at $ @$"},
      {"{\"$tensor\":{\"dtype\":\"int8\",\"itemsize\":1,\"shape\":[\"1\"],\"data\":\"AA==\"}}",
       "-6: JSON $tensor shape must be integers \xe2\x89\xa5 0 at $ @$"},
      {"{\"$tensor\":{\"dtype\":\"int8\",\"itemsize\":1,\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
       "1,1,1,1,1,1,1],\"data\":\"AA==\"}}",
       "-8: JSON $tensor has too many dimensions at $ @$"},
      {"{\"$tensor\":{\"dtype\":\"int8\",\"itemsize\":1,\"shape\":[1],\"data\":\"AA==\",\"order\":\"middle\"}}",
       "-6: JSON $tensor order must be \"little\" or \"big\" at $ @$"},
      {"{\"$tensor\":{\"dtype\":\"int8\",\"itemsize\":1,\"shape\":[1],\"data\":\"AA==\",\"order\":1}}",
       "-6: JSON $tensor order must be \"little\" or \"big\" at $ @$"},
      {"{\"$tensor\":{\"dtype\":\"int8\",\"itemsize\":1,\"shape\":[1],\"data\":\"AA==\",\"descr\":1}}",
       "-6: JSON $tensor descr must be a string at $ @$"},
      {"{\"$tensor\":{\"dtype\":\"datetime64\",\"itemsize\":8,\"shape\":[1],\"data\":\"AAAAAAAAAAA=\",\"unit\":\"zz\"}}",
       "-6: JSON $tensor has an unknown time unit at $ @$"},
      {"{\"$tensor\":{\"dtype\":\"int8\",\"itemsize\":1,\"shape\":[3],\"data\":\"AA==\"}}",
       "-6: JSON $tensor data length does not match its shape at $ @$"},
      {"{\"$sym\":1}", "-6: JSON $sym needs a string at $ @$"},
      {"{\"$tuple\":1}", "-6: JSON $tuple needs an array at $ @$"},
      {"{\"$map\":1}", "-6: JSON $map needs an array of [key, value] pairs at $ @$"},
      {"{\"$map\":[[1]]}", "-6: JSON $map entries must be [key, value] at $ @$"},
      {"{\"$map\":[1]}", "-6: JSON $map entries must be [key, value] at $ @$"},
      {"{\"$map\":[[1,2],[\"a\",{\"$sym\":2}]]}", "-6: JSON $sym needs a string at $.a @$.a"},
      {"{\"$map\":[[{\"$sym\":2},1]]}", "-6: JSON $sym needs a string at $ @$"}, /* keys have no path segment */
      {"{\"$bigint\":1}", "-6: JSON $bigint needs a decimal string at $ @$"},
      {"{\"$bigint\":\"12x\"}", "-6: JSON bad digit in an integer at $ @$"},
      {"{\"$ts\":\"x\",\"unit\":\"s\"}", "-6: JSON $ts needs an integer count, a unit and an optional tz string at $ @$"},
      {"{\"$ts\":1,\"unit\":\"s\",\"tz\":2}", "-6: JSON $ts needs an integer count, a unit and an optional tz string at $ @$"},
      {"{\"$ts\":1,\"unit\":\"s\",\"tz\":\"a\\u0000b\"}", "-6: JSON $ts tz contains NUL at $ @$"},
      {"{\"$ts\":1,\"unit\":\"zz\"}", "-6: JSON $ts has an unknown unit at $ @$"},
      {"{\"$ext\":\"AA==\",\"type\":-1,\"version\":0}", "-6: JSON $ext needs type (u32) and version (u16) at $ @$"},
      {"{\"$ext\":\"AA==\",\"type\":4294967296,\"version\":0}", "-6: JSON $ext needs type (u32) and version (u16) at $ @$"},
      {"{\"$ext\":\"AA==\",\"type\":1,\"version\":70000}", "-6: JSON $ext needs type (u32) and version (u16) at $ @$"},
      {"{\"$ext\":\"AA==\",\"type\":1,\"version\":-1}", "-6: JSON $ext needs type (u32) and version (u16) at $ @$"},
      {"[1,{\"a\":[2,{\"$tuple\":[3,{\"$sym\":4}]}]}]", "-6: JSON $sym needs a string at $[1].a[1][1] @$[1].a[1][1]"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect(cases[i][0], cases[i][1]);
}

static void test_accepted(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"{\"$float\":\"bits:3ff0000000000000\"}", "1.0"},
      {"{\"$float\":1}", "1.0"},
      {"{\"$float\":\"-inf\"}", "{\"$float\":\"-inf\"}"},
      {"{\"$f32\":\"nan\"}", "{\"$f32\":\"nan\"}"},
      {"{\"$f32\":0.5}", "{\"$f32\":0.5}"},
      /* a wrapper key with other keys beside it is a plain object */
      {"{\"$ext\":\"AA==\",\"type\":1}", "{\"$map\":[[\"$ext\",\"AA==\"],[\"type\",1]]}"},
      {"{\"$unknown\":1}", "{\"$map\":[[\"$unknown\",1]]}"},
      {"{\"$ext\":\"AQI=\",\"type\":4294967295,\"version\":65535}", "{\"$ext\":\"AQI=\",\"type\":4294967295,\"version\":65535}"},
      {"123456789012345678901234567890", "{\"$bigint\":\"123456789012345678901234567890\"}"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"-9223372036854775809", "{\"$bigint\":\"-9223372036854775809\"}"},
      {"9223372036854775807", "9223372036854775807"},
      {"9223372036854775808", "9223372036854775808"},
      {"18446744073709551615", "18446744073709551615"},
      {"18446744073709551616", "{\"$bigint\":\"18446744073709551616\"}"},
      {"[00000000000000000000001]", "-6: invalid JSON at byte 1 (line 1, column 2): invalid token near '0' @"},
      {"-0", "0"},
      {"{\"$bigint\":\"-0\"}", "{\"$bigint\":\"0\"}"},
      {"{\"$bigint\":\"000123\"}", "{\"$bigint\":\"123\"}"},
      {"{\"$bigint\":\"-18446744073709551616\"}", "{\"$bigint\":\"-18446744073709551616\"}"},
      {"{\"$tensor\":{\"dtype\":\"int8\",\"itemsize\":1,\"shape\":[1],\"data\":\"AA==\",\"descr\":\"|i1\"}}",
       "{\"$tensor\":{\"dtype\":\"int8\",\"order\":\"little\",\"itemsize\":1,\"descr\":\"|i1\",\"shape\":[1],\"data\":\"AA==\"}}"},
      {"{\"$tensor\":{\"dtype\":\"int16\",\"itemsize\":2,\"shape\":[2],\"data\":\"AAEAAg==\",\"order\":\"big\"}}",
       "{\"$tensor\":{\"dtype\":\"int16\",\"order\":\"big\",\"itemsize\":2,\"shape\":[2],\"data\":\"AAEAAg==\"}}"},
      {"{\"$ts\":5,\"unit\":\"W\"}", "{\"$ts\":5,\"unit\":\"W\"}"},
      {"{\"$ts\":-5,\"unit\":\"ns\",\"tz\":\"UTC\"}", "{\"$ts\":-5,\"unit\":\"ns\",\"tz\":\"UTC\"}"},
      {"{\"$map\":[]}", "{}"},
      {"{\"$tuple\":[]}", "{\"$tuple\":[]}"},
      {"[1.5e300, -0.0, 1E2]", "[1.5e+300,{\"$float\":\"-0\"},100.0]"},
      {"1e400", "-6: invalid JSON at byte 4 (line 1, column 5): real number overflow near '1e400' @"},
      {"[1,2", "-5: invalid JSON at byte 4 (line 1, column 4): ']' expected near end of file @"},
      {"[1] 2", "-6: unexpected text after the JSON value at byte 4 @"},
      {"  ", "-5: empty JSON text @"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect(cases[i][0], cases[i][1]);
  /* without the extended flag, wrappers are plain objects */
  char *t = read_as_text("{\"$sym\":\"a\"}", 0, NULL);
  assert_string_equal(t, "{\"$map\":[[\"$sym\",\"a\"]]}");
  free(t);
  zr_doc *d = NULL;
  zr_error e;
  assert_int_equal(zr_value_from_json(NULL, 1, 0, NULL, &d, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "text or out is NULL");
  assert_int_equal(zr_value_from_json("1", 1, 0, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_value_from_json(NULL, 0, 0, NULL, &d, &e), ZR_ERR_TRUNCATED);
}

static void test_limits(void **state) {
  (void)state;
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.max_depth = 3;
  char *t = read_as_text("[[[1]]]", 0, &o);
  assert_string_equal(t, "[[[1]]]");
  free(t);
  zr_doc *d = NULL;
  zr_error e;
  assert_int_equal(zr_value_from_json("[[[[1]]]]", 9, 0, &o, &d, &e), ZR_ERR_LIMIT);
  assert_string_equal(e.message, "JSON nesting deeper than 3");
  assert_int_equal(e.offset, 3); /* the bracket that goes one level too deep */
  assert_int_equal(zr_value_from_json("{\"a\":{\"b\":{\"c\":{}}}}", 21, 0, &o, &d, &e), ZR_ERR_LIMIT);
  assert_int_equal(e.offset, 15);
  zr_decode_opts_init(&o);
  o.max_elements = 4;
  t = read_as_text("[1,2,3]", 0, &o);
  assert_string_equal(t, "[1,2,3]");
  free(t);
  t = read_as_text("[1,2,3,4]", 0, &o);
  assert_string_equal(t, "-8: JSON has more than 4 values @");
  free(t);
  zr_decode_opts_init(&o);
  o.max_bytes = 5; /* bounds the text and the document's memory */
  t = read_as_text("[1,22]", 0, &o);
  assert_string_equal(t, "-8: JSON text of 6 bytes exceeds max_bytes @");
  free(t);
  zr_decode_opts_init(&o);
  o.dup_keys = ZR_DUP_FIRST;
  t = read_as_text("{}", 0, &o);
  assert_non_null(strstr(t, "ZR_DUP_FIRST is not available"));
  free(t);
  zr_decode_opts_init(&o);
  o.dup_keys = ZR_DUP_ERROR;
  t = read_as_text("{\"a\":1,\"a\":2}", 0, &o);
  assert_string_equal(t, "-6: invalid JSON at byte 9 (line 1, column 10): duplicate object key near '\"a\"' @");
  free(t);
  t = read_as_text("{\"a\":1,\"a\":2}", 0, NULL);
  assert_string_equal(t, "{\"a\":2}");
  free(t);
  /* a string starting with \u0000zr beside a big integer cannot be told from the placeholder */
  t = read_as_text("[\"\\u0000zr\",123456789012345678901234567890]", 0, NULL);
  assert_non_null(strstr(t, "cannot be read unambiguously"));
  free(t);
}

/* JSON lines through the format table: a list of the values, errors with the absolute offset */
static void test_lines(void **state) {
  (void)state;
  const zr_format *f = zr_format_by_name("json");
  zr_doc *d = NULL;
  zr_error e;
  const char *ok = "\xef\xbb\xbf{\"a\":1}\n{\"a\":2}\n[3]\n";
  assert_int_equal(f->decode((const uint8_t *)ok, strlen(ok), NULL, &d, &e), ZR_OK);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_LIST);
  assert_int_equal(zr_doc_root(d)->n.len, 3);
  zr_doc_free(d);
  const char *bad = "\xef\xbb\xbf{\"a\":1}\n{\"a\":{\"$x\":[1,}}\n";
  assert_int_equal(f->decode((const uint8_t *)bad, strlen(bad), NULL, &d, &e), ZR_ERR_MALFORMED);
  assert_int_equal(e.offset, 3 + 8 + 14); /* the '}' after the comma, counted with the BOM */
  const char *bad2 = "1\n2\n{\"$x\":\"\xff\"}";
  assert_int_equal(f->decode((const uint8_t *)bad2, strlen(bad2), NULL, &d, &e), ZR_ERR_UTF8);
  assert_true(e.offset >= 10 && e.offset <= 11);
  assert_int_equal(f->detect((const uint8_t *)"  [1]", 5), 60);
  assert_int_equal(f->detect((const uint8_t *)"{\"a\"", 4), 70);
  assert_int_equal(f->detect((const uint8_t *)"[x", 2), 15);
  assert_int_equal(f->detect((const uint8_t *)"{x", 2), 20);
  assert_int_equal(f->detect((const uint8_t *)"\"s\"", 3), 30);
  assert_int_equal(f->detect((const uint8_t *)"-1", 2), 10);
  assert_int_equal(f->detect((const uint8_t *)"false", 5), 20);
  assert_int_equal(f->detect((const uint8_t *)"nul", 3), 0);
  assert_int_equal(f->detect((const uint8_t *)"a\x01", 2), 0);
  assert_int_equal(f->detect((const uint8_t *)"   ", 3), 0);
  assert_int_equal(f->detect(NULL, 0), 0);
}

/* jansson out of memory at every allocation of a decode */
static void test_jansson_oom(void **state) {
  (void)state;
  static const char *const inputs[] = {
      "{\"id\":1,\"name\":\"ann\",\"tags\":[\"a\",\"b\"],\"m\":{\"k\":[1,2.5,true,null]}}",
      "[{\"$bin\":\"AAEC\"},{\"$tuple\":[1,{\"$sym\":\"x\"}]},{\"$map\":[[1,2]]},{\"$ts\":1,\"unit\":\"ms\",\"tz\":\"UTC\"},"
      "{\"$bigint\":\"-123456789012345678901234567890\"},123456789012345678901234567890,"
      "{\"$tensor\":{\"dtype\":\"int16\",\"itemsize\":2,\"shape\":[2],\"data\":\"AAEAAg==\"}}]",
      "[true,false,null,-1,2.5e-3,\"caf\xc3\xa9\",{}]",
  };
  unsigned nomem = 0, syntax = 0, lost = 0;
  for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
    const zr_format *f = zr_format_by_name("json");
    (void)f;
    j_fail_at = 0;
    char *ref = read_as_text(inputs[k], ZR_JSON_EXTENDED, NULL);
    assert_true(ref[0] != '-');
    for (uint64_t n = 1;; n++) {
      j_calls = 0;
      j_failed = 0;
      j_fail_at = n;
      int64_t live = j_live;
      char *got = read_as_text(inputs[k], ZR_JSON_EXTENDED, NULL);
      j_fail_at = 0;
      assert_int_equal(j_live, live);
      if (!j_failed) {
        assert_string_equal(got, ref);
        free(got);
        break;
      }
      if (strncmp(got, "-1: out of memory", 17) == 0) nomem++;
      else if (strncmp(got, "-6: invalid JSON", 16) == 0) syntax++; /* jansson's lexer: failed allocation as a bad token */
      /* jansson's lexer drops a character of the text it keeps when growing that buffer fails
       * (lex_save ignores strbuffer_append_byte's answer): a string or big literal can come out
       * one character short. Upstream behaviour, counted and kept rare. */
      else if (strcmp(got, ref) != 0 && strlen(got) + 1 == strlen(ref)) lost++;
      else if (strcmp(got, ref) != 0) fail_msg("input %zu, allocation %llu: %s", k, (unsigned long long)n, got);
      free(got);
    }
    free(ref);
  }
  if (getenv("SWEEP_TRACE")) fprintf(stderr, "jansson: %u NOMEM, %u as syntax errors, %u lost a character\n", nomem, syntax, lost);
  assert_true(nomem >= 1 && nomem + syntax > 20);
  assert_true(lost * 10 < nomem + syntax);
}

int main(void) {
  json_set_alloc_funcs(j_malloc, j_free);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wrapper_errors), cmocka_unit_test(test_accepted), cmocka_unit_test(test_limits),
      cmocka_unit_test(test_lines),          cmocka_unit_test(test_jansson_oom),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
