#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zerial/schema.h"
#include "zr_test.h"

static zr_registry *reg;

static char *call(const char *method, const char *path, const char *body, int expect_status) {
  int status = 0;
  char *out = NULL;
  assert_int_equal(zr_registry_http(reg, method, path, body, body ? strlen(body) : 0, &status, &out), ZR_OK);
  if (status != expect_status) fail_msg("%s %s: status %d, body %s", method, path, status, out);
  return out;
}

#define SCHEMA1 "{\"schema\":\"{\\\"fields\\\":[{\\\"id\\\":1,\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"int32\\\"}]}\"}"
#define SCHEMA2                                                                                                        \
  "{\"schema\":\"{\\\"fields\\\":[{\\\"id\\\":1,\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"int64\\\"},{\\\"id\\\":2,\\\"name\\\":" \
  "\\\"b\\\",\\\"type\\\":\\\"utf8\\\",\\\"nullable\\\":true}]}\"}"
#define SCHEMA_BAD "{\"schema\":\"{\\\"fields\\\":[{\\\"id\\\":1,\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"int8\\\"}]}\"}"

static void test_rest_flow(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/rest.db", zr_test_tmpdir());
  unlink(path);
  assert_int_equal(zr_registry_open(path, 0, &reg, NULL), ZR_OK);
  char *b;
  b = call("GET", "/subjects", NULL, 200);
  assert_string_equal(b, "[]");
  free(b);
  b = call("GET", "/subjects/users/versions", NULL, 404);
  assert_non_null(strstr(b, "40401"));
  free(b);
  b = call("POST", "/subjects/users/versions", SCHEMA1, 200);
  assert_string_equal(b, "{\"id\":1}");
  free(b);
  b = call("POST", "/subjects/users/versions", SCHEMA2, 200);
  assert_string_equal(b, "{\"id\":2}");
  free(b);
  b = call("POST", "/subjects/users/versions", SCHEMA1, 200); /* already registered as version 1 */
  assert_string_equal(b, "{\"id\":1}");
  free(b);
  b = call("GET", "/subjects/users/versions", NULL, 200);
  assert_string_equal(b, "[1,2]");
  free(b);
  b = call("GET", "/subjects/users/versions/latest", NULL, 200);
  assert_non_null(strstr(b, "\"version\":2"));
  assert_non_null(strstr(b, "\"id\":2"));
  free(b);
  b = call("GET", "/subjects/users/versions/7", NULL, 404);
  assert_non_null(strstr(b, "40402"));
  free(b);
  b = call("GET", "/subjects/users/versions/x", NULL, 422);
  assert_non_null(strstr(b, "42202"));
  free(b);
  b = call("POST", "/subjects/users", SCHEMA1, 200);
  assert_non_null(strstr(b, "\"version\":1"));
  free(b);
  b = call("POST", "/subjects/users", SCHEMA_BAD, 404);
  assert_non_null(strstr(b, "40403"));
  free(b);
  b = call("GET", "/schemas/ids/2", NULL, 200);
  assert_non_null(strstr(b, "\"schema\""));
  free(b);
  b = call("GET", "/schemas/ids/99", NULL, 404);
  assert_non_null(strstr(b, "40403"));
  free(b);
  b = call("POST", "/compatibility/subjects/users/versions/latest", SCHEMA_BAD, 200);
  assert_non_null(strstr(b, "\"is_compatible\":false"));
  assert_non_null(strstr(b, "TYPE_NARROWING"));
  free(b);
  b = call("POST", "/compatibility/subjects/users/versions/latest", SCHEMA2, 200);
  assert_non_null(strstr(b, "\"is_compatible\":true"));
  free(b);
  b = call("POST", "/subjects/users/versions", SCHEMA_BAD, 409);
  assert_non_null(strstr(b, "TYPE_NARROWING"));
  free(b);
  b = call("POST", "/subjects/users/versions", "{\"schema\":\"{nope\"}", 422);
  assert_non_null(strstr(b, "42201"));
  free(b);
  b = call("GET", "/config", NULL, 200);
  assert_string_equal(b, "{\"compatibilityLevel\":\"BACKWARD\"}");
  free(b);
  b = call("PUT", "/config/users", "{\"compatibility\":\"NONE\"}", 200);
  free(b);
  b = call("PUT", "/config/users", "{\"compatibility\":\"SIDEWAYS\"}", 422);
  assert_non_null(strstr(b, "42203"));
  free(b);
  b = call("GET", "/config/users", NULL, 200);
  assert_string_equal(b, "{\"compatibilityLevel\":\"NONE\"}");
  free(b);
  b = call("POST", "/subjects/users/versions", SCHEMA_BAD, 200);
  free(b);
  b = call("DELETE", "/subjects/users/versions/3?permanent=true", NULL, 404); /* soft delete first */
  free(b);
  b = call("DELETE", "/subjects/users/versions/3", NULL, 200);
  assert_string_equal(b, "3");
  free(b);
  b = call("DELETE", "/subjects/users", NULL, 200);
  assert_string_equal(b, "[1,2]");
  free(b);
  b = call("GET", "/subjects", NULL, 200);
  assert_string_equal(b, "[]");
  free(b);
  b = call("GET", "/nope", NULL, 404);
  free(b);
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
