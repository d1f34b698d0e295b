/* Coverage: schema JSON parsing errors (message and path), every type's text and JSON form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/schema.h"
#include "zr_test.h"

static void test_parse_errors(void **state) {
  (void)state;
  static const struct { const char *json, *msg, *path; } cases[] = {
      {"{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"nope\"}]}", "unknown type \"nope\"", "$.fields[0].type"},
      {"{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"list\"}]}", "type \"list\" needs its parameters", "$.fields[0].type"},
      {"{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":7}]}", "a type is a string or an object", "$.fields[0].type"},
      {"{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":{\"unit\":\"s\"}}]}", "missing \"type\"", "$.fields[0].type"},
      {"{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"bogus\"}}]}", "unknown type \"bogus\"", "$.fields[0].type"},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"decimal\",\"precision\":77}}]}", "decimal precision must be 1..76", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"decimal\",\"precision\":5,\"scale\":6}}]}", "decimal scale must be 0..precision", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"timestamp\",\"unit\":\"ps\"}}]}", "unit must be s, ms, us or ns", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"time\",\"tz\":\"UTC\"}}]}", "tz is a string on timestamps only", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"timestamp\",\"tz\":5}}]}", "tz is a string on timestamps only", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"struct\"}}]}", "struct needs a \"fields\" array", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"tensor\",\"dtype\":\"utf8\"}}]}", "tensor dtype must be a numeric or bool type", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"tensor\",\"dtype\":\"int8\",\"shape\":3}}]}", "tensor shape must be an array", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"tensor\",\"dtype\":\"int8\",\"shape\":[2,-1]}}]}", "tensor extents are non-negative integers", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"dictionary\",\"value\":\"int8\"}}]}", "dictionaries hold utf8 values", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"dictionary\",\"index\":\"utf8\"}}]}", "dictionary index must be an integer type", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"list\"}}]}", "missing \"element\"", "$.fields[0].type"},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"list\",\"element\":\"x\"}}]}", "unknown type \"x\"", "$.fields[0].type.element"},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"list\",\"element\":\"int8\",\"element-id\":-2}}]}", "\"element-id\" must be a non-negative integer", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"map\",\"key\":\"utf8\"}}]}", "missing \"value\"", NULL},
      {"{\"fields\":[5]}", "a field is an object", "$.fields[0]"},
      {"{\"fields\":[{\"name\":\"\",\"type\":\"int8\"}]}", "field needs a non-empty \"name\"", NULL},
      {"{\"fields\":[{\"name\":\"a\"}]}", "field \"a\" has no type", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":\"int8\",\"id\":\"x\"}]}", "field id must be a non-negative integer", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":\"int8\",\"aliases\":\"b\"}]}", "aliases must be an array of strings", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":\"int8\",\"aliases\":[\"b\",3]}]}", "aliases must be an array of strings", NULL},
      {"{\"fields\":[{\"name\":\"a\",\"type\":\"int8\"},{\"name\":\"a\",\"type\":\"int8\"}]}", "duplicate field name \"a\"", "$.fields[1]"},
      {"{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int8\"},{\"id\":1,\"name\":\"b\",\"type\":\"int8\"}]}", "duplicate field id in \"b\"", NULL},
      {"\"int8\"", "a schema is a struct type", "$"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    zr_schema *s = NULL;
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_schema_parse(cases[i].json, strlen(cases[i].json), &s, &e);
    if (st != ZR_ERR_MALFORMED) fail_msg("%s: status %d", cases[i].json, st);
    if (!strstr(e.message, cases[i].msg)) fail_msg("%s: message %s", cases[i].json, e.message);
    if (cases[i].path && strcmp(e.path, cases[i].path) != 0) fail_msg("%s: path %s", cases[i].json, e.path);
    assert_null(s);
  }
  zr_schema *s = NULL;
  zr_error e;
  assert_int_equal(zr_schema_parse("{", 1, &s, &e), ZR_ERR_MALFORMED);
  assert_non_null(strstr(e.message, "not valid JSON"));
  assert_int_equal(zr_schema_parse(NULL, 0, &s, &e), ZR_ERR_INVALID_ARG);
}

#define ALL                                                                                                         \
  "{\"fields\":["                                                                                                   \
  "{\"id\":3,\"name\":\"m\",\"type\":{\"type\":\"map\",\"key\":\"utf8\",\"key-id\":10,\"value\":\"int32\","        \
  "\"value-id\":11,\"value-nullable\":true}},"                                                                      \
  "{\"id\":1,\"name\":\"t\",\"type\":{\"type\":\"time\",\"unit\":\"ns\"}},"                                        \
  "{\"id\":2,\"name\":\"dur\",\"type\":\"duration\"},"                                                              \
  "{\"name\":\"z\",\"type\":\"time\"},"                                                                             \
  "{\"name\":\"y\",\"type\":{\"type\":\"tensor\",\"dtype\":\"float16\"}},"                                          \
  "{\"id\":4,\"name\":\"ts\",\"type\":{\"type\":\"timestamp\",\"unit\":\"ms\",\"tz\":null}},"                      \
  "{\"id\":5,\"name\":\"dict\",\"type\":{\"type\":\"dictionary\",\"value\":\"utf8\"},"                              \
  "\"aliases\":[\"zz\",\"aa\"],\"doc\":\"d\",\"metadata\":{\"k\":\"v\"}}"                                           \
  "]}"

static void test_forms(void **state) {
  (void)state;
  zr_schema *s = NULL;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(zr_schema_parse(ALL, strlen(ALL), &s, &e), ZR_OK);
  assert_int_equal(zr_schema_field_count(s), 7);
  assert_string_equal(zr_schema_field_type(s, 0), "map<utf8, int32>");
  assert_string_equal(zr_schema_field_type(s, 1), "time(ns)");
  assert_string_equal(zr_schema_field_type(s, 2), "duration(us)");
  assert_string_equal(zr_schema_field_type(s, 3), "time(ms)");
  assert_string_equal(zr_schema_field_type(s, 4), "tensor<float16>[*]");
  assert_string_equal(zr_schema_field_type(s, 5), "timestamp(ms)");
  assert_string_equal(zr_schema_field_type(s, 6), "dictionary<utf8, int32>");
  assert_int_equal(zr_schema_field_id(s, 3), -1);
  assert_int_equal(zr_schema_field_id(s, 7), -1);
  assert_null(zr_schema_field_name(s, 7));
  assert_null(zr_schema_field_type(s, 7));
  assert_int_equal(zr_schema_field_id(NULL, 0), -1);
  assert_int_equal(zr_schema_field_count(NULL), 0);

  /* canonical: fields by id then name (no id sorts first), aliases sorted, doc and metadata gone */
  char *c = NULL;
  assert_int_equal(zr_schema_canonical(s, &c, &e), ZR_OK);
  assert_null(strstr(c, "\"doc\""));
  assert_null(strstr(c, "metadata"));
  const char *py = strstr(c, "\"name\":\"y\""), *pz = strstr(c, "\"name\":\"z\""), *pt = strstr(c, "\"name\":\"t\"");
  assert_true(py && pz && pt && py < pz && pz < pt);
  assert_non_null(strstr(c, "[\"aa\",\"zz\"]"));
  assert_non_null(strstr(c, "\"value-id\":11"));
  assert_non_null(strstr(c, "\"unit\":\"ns\""));
  /* the JSON form parses back to the same canonical form */
  char *j = NULL;
  assert_int_equal(zr_schema_to_json(s, 1, &j, &e), ZR_OK);
  assert_non_null(strstr(j, "\"doc\""));
  zr_schema *back = NULL;
  assert_int_equal(zr_schema_parse(j, strlen(j), &back, &e), ZR_OK);
  char *c2 = NULL;
  assert_int_equal(zr_schema_canonical(back, &c2, &e), ZR_OK);
  assert_string_equal(c, c2);
  assert_true(zr_schema_fingerprint64(s) == zr_schema_fingerprint64(back));
  char h1[65], h2[65];
  zr_schema_fingerprint_sha256(s, h1);
  zr_schema_fingerprint_sha256(back, h2);
  assert_string_equal(h1, h2);
  assert_int_equal(strlen(h1), 64);
  free(c);
  free(c2);
  free(j);
  zr_schema_free(back);
  zr_schema_free(s);
}

static void test_compat_modes(void **state) {
  (void)state;
  zr_compat_mode m;
  assert_int_equal(zr_compat_mode_parse("full_transitive", &m), ZR_OK);
  assert_int_equal(m, ZR_COMPAT_FULL_TRANSITIVE);
  assert_string_equal(zr_compat_mode_name(m), "FULL_TRANSITIVE");
  assert_int_equal(zr_compat_mode_parse("sideways", &m), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_compat_mode_parse(NULL, &m), ZR_ERR_INVALID_ARG);
  assert_string_equal(zr_compat_mode_name((zr_compat_mode)99), "?");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_forms),
                                     cmocka_unit_test(test_compat_modes)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
