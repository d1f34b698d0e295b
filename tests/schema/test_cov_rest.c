/* Coverage: REST handler paths the main flow does not take: schemas given as objects, checks
 * against one named version, bad bodies, deleting "latest", deleting an unknown subject. */
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

/* schemas as JSON objects, not strings */
#define OBJ1 "{\"schema\":{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}]}}"
#define OBJ_NARROW "{\"schema\":{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int8\"}]}}"
#define OBJ_WIDE "{\"schema\":{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int64\"}]}}"

static void test_rest_paths(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/cov_rest.db", zr_test_tmpdir());
  unlink(path);
  assert_int_equal(zr_registry_open(path, 0, &reg, NULL), ZR_OK);
  char *b;
  b = call("POST", "/subjects/s/versions", OBJ1, 200);
  assert_string_equal(b, "{\"id\":1}");
  zr_free(b);
  /* bodies that are not JSON, or carry no schema, or a bad schema */
  b = call("POST", "/subjects/s/versions", "not json", 422);
  assert_non_null(strstr(b, "42201"));
  assert_non_null(strstr(b, "request body is not JSON"));
  zr_free(b);
  b = call("POST", "/subjects/s/versions", "{\"schemaType\":\"ZERIAL\"}", 422);
  assert_non_null(strstr(b, "request body needs a \\\"schema\\\""));
  zr_free(b);
  b = call("POST", "/subjects/s/versions", NULL, 422);
  zr_free(b);
  /* a check against version 1 (TRANSITIVE modes become their plain direction) */
  b = call("PUT", "/config/s", "{\"compatibility\":\"BACKWARD_TRANSITIVE\"}", 200);
  zr_free(b);
  b = call("POST", "/compatibility/subjects/s/versions/1?verbose=true", OBJ_NARROW, 200);
  assert_non_null(strstr(b, "\"is_compatible\":false"));
  assert_non_null(strstr(b, "\"version\":1"));
  zr_free(b);
  b = call("PUT", "/config/s", "{\"compatibility\":\"FORWARD_TRANSITIVE\"}", 200);
  zr_free(b);
  b = call("POST", "/compatibility/subjects/s/versions/1", OBJ_WIDE, 200);
  assert_non_null(strstr(b, "\"is_compatible\":false"));
  zr_free(b);
  b = call("PUT", "/config/s", "{\"compatibility\":\"FULL_TRANSITIVE\"}", 200);
  zr_free(b);
  b = call("POST", "/compatibility/subjects/s/versions/1", OBJ1, 200);
  assert_non_null(strstr(b, "\"is_compatible\":true"));
  zr_free(b);
  b = call("POST", "/compatibility/subjects/s/versions/7", OBJ1, 404);
  assert_non_null(strstr(b, "40402"));
  zr_free(b);
  b = call("POST", "/compatibility/subjects/s/versions/x", OBJ1, 422);
  assert_non_null(strstr(b, "42202"));
  zr_free(b);
  /* delete "latest", then the subject is gone: deleting it again is a 404 */
  b = call("DELETE", "/subjects/s/versions/latest", NULL, 200);
  assert_string_equal(b, "1");
  zr_free(b);
  b = call("DELETE", "/subjects/s/versions/latest", NULL, 404);
  assert_non_null(strstr(b, "40401"));
  zr_free(b);
  b = call("DELETE", "/subjects/never", NULL, 404);
  assert_non_null(strstr(b, "40401"));
  zr_free(b);
  zr_registry_close(reg);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_rest_paths)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
