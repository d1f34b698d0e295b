#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rest_cases.h"

#define SCHEMA1 "{\"schema\":\"{\\\"fields\\\":[{\\\"id\\\":1,\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"int32\\\"}]}\"}"
#define SCHEMA2                                                                                                        \
  "{\"schema\":\"{\\\"fields\\\":[{\\\"id\\\":1,\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"int64\\\"},{\\\"id\\\":2,\\\"name\\\":" \
  "\\\"b\\\",\\\"type\\\":\\\"utf8\\\",\\\"nullable\\\":true}]}\"}"
#define SCHEMA_BAD "{\"schema\":\"{\\\"fields\\\":[{\\\"id\\\":1,\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"int8\\\"}]}\"}"

static void test_rest_flow(void **state) {
  (void)state;
  zr_registry *reg = rest_open("rest.db");
  static const rest_case cases[] = {
      {"GET", "/subjects", NULL, 200, "[]", {NULL}},
      {"GET", "/subjects/users/versions", NULL, 404, NULL, {"40401"}},
      {"POST", "/subjects/users/versions", SCHEMA1, 200, "{\"id\":1}", {NULL}},
      {"POST", "/subjects/users/versions", SCHEMA2, 200, "{\"id\":2}", {NULL}},
      {"POST", "/subjects/users/versions", SCHEMA1, 200, "{\"id\":1}", {NULL}}, /* already registered as version 1 */
      {"GET", "/subjects/users/versions", NULL, 200, "[1,2]", {NULL}},
      {"GET", "/subjects/users/versions/latest", NULL, 200, NULL, {"\"version\":2", "\"id\":2"}},
      {"GET", "/subjects/users/versions/7", NULL, 404, NULL, {"40402"}},
      {"GET", "/subjects/users/versions/x", NULL, 422, NULL, {"42202"}},
      {"POST", "/subjects/users", SCHEMA1, 200, NULL, {"\"version\":1"}},
      {"POST", "/subjects/users", SCHEMA_BAD, 404, NULL, {"40403"}},
      {"GET", "/schemas/ids/2", NULL, 200, NULL, {"\"schema\""}},
      {"GET", "/schemas/ids/99", NULL, 404, NULL, {"40403"}},
      {"POST", "/compatibility/subjects/users/versions/latest", SCHEMA_BAD, 200, NULL, {"\"is_compatible\":false", "TYPE_NARROWING"}},
      {"POST", "/compatibility/subjects/users/versions/latest", SCHEMA2, 200, NULL, {"\"is_compatible\":true"}},
      {"POST", "/subjects/users/versions", SCHEMA_BAD, 409, NULL, {"TYPE_NARROWING"}},
      {"POST", "/subjects/users/versions", "{\"schema\":\"{nope\"}", 422, NULL, {"42201"}},
      {"GET", "/config", NULL, 200, "{\"compatibilityLevel\":\"BACKWARD\"}", {NULL}},
      {"PUT", "/config/users", "{\"compatibility\":\"NONE\"}", 200, NULL, {NULL}},
      {"PUT", "/config/users", "{\"compatibility\":\"SIDEWAYS\"}", 422, NULL, {"42203"}},
      {"GET", "/config/users", NULL, 200, "{\"compatibilityLevel\":\"NONE\"}", {NULL}},
      {"POST", "/subjects/users/versions", SCHEMA_BAD, 200, NULL, {NULL}},
      {"DELETE", "/subjects/users/versions/3?permanent=true", NULL, 404, NULL, {NULL}}, /* soft delete first */
      {"DELETE", "/subjects/users/versions/3", NULL, 200, "3", {NULL}},
      {"DELETE", "/subjects/users", NULL, 200, "[1,2]", {NULL}},
      {"GET", "/subjects", NULL, 200, "[]", {NULL}},
      {"GET", "/nope", NULL, 404, NULL, {NULL}},
  };
  rest_run(reg, cases, sizeof cases / sizeof *cases);
  zr_registry_close(reg);
}

static void test_confluent_frame(void **state) {
  (void)state;
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_confluent_frame(0x01020304, "abc", 3, s, NULL), ZR_OK);
  const uint8_t *d;
  size_t n;
  zr_sink_memory_data(s, &d, &n);
  assert_int_equal(n, 8);
  assert_memory_equal(d, "\x00\x01\x02\x03\x04" "abc", 8);
  uint32_t id;
  const uint8_t *p;
  size_t pl;
  assert_int_equal(zr_confluent_unframe(d, n, &id, &p, &pl, NULL), ZR_OK);
  assert_int_equal(id, 0x01020304);
  assert_int_equal(pl, 3);
  zr_error e;
  assert_int_equal(zr_confluent_unframe(d, 4, &id, &p, &pl, &e), ZR_ERR_TRUNCATED);
  assert_int_equal(zr_confluent_unframe("\x01" "abcd", 5, &id, &p, &pl, &e), ZR_ERR_MALFORMED);
  zr_sink_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_rest_flow), cmocka_unit_test(test_confluent_frame)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
