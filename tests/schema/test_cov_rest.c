/* Coverage: REST handler paths the main flow does not take: schemas given as objects, checks
 * against one named version, bad bodies, deleting "latest", deleting an unknown subject. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rest_cases.h"

/* schemas as JSON objects, not strings */
#define OBJ1 "{\"schema\":{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}]}}"
#define OBJ_NARROW "{\"schema\":{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int8\"}]}}"
#define OBJ_WIDE "{\"schema\":{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int64\"}]}}"

static void test_rest_paths(void **state) {
  (void)state;
  zr_registry *reg = rest_open("cov_rest.db");
  static const rest_case cases[] = {
      {"POST", "/subjects/s/versions", OBJ1, 200, "{\"id\":1}", {NULL}},
      /* bodies that are not JSON, or carry no schema, or a bad schema */
      {"POST", "/subjects/s/versions", "not json", 422, NULL, {"42201", "request body is not JSON"}},
      {"POST", "/subjects/s/versions", "{\"schemaType\":\"ZERIAL\"}", 422, NULL, {"request body needs a \\\"schema\\\""}},
      {"POST", "/subjects/s/versions", NULL, 422, NULL, {NULL}},
      /* a check against version 1 (TRANSITIVE modes become their plain direction) */
      {"PUT", "/config/s", "{\"compatibility\":\"BACKWARD_TRANSITIVE\"}", 200, NULL, {NULL}},
      {"POST", "/compatibility/subjects/s/versions/1?verbose=true", OBJ_NARROW, 200, NULL, {"\"is_compatible\":false", "\"version\":1"}},
      {"PUT", "/config/s", "{\"compatibility\":\"FORWARD_TRANSITIVE\"}", 200, NULL, {NULL}},
      {"POST", "/compatibility/subjects/s/versions/1", OBJ_WIDE, 200, NULL, {"\"is_compatible\":false"}},
      {"PUT", "/config/s", "{\"compatibility\":\"FULL_TRANSITIVE\"}", 200, NULL, {NULL}},
      {"POST", "/compatibility/subjects/s/versions/1", OBJ1, 200, NULL, {"\"is_compatible\":true"}},
      {"POST", "/compatibility/subjects/s/versions/7", OBJ1, 404, NULL, {"40402"}},
      {"POST", "/compatibility/subjects/s/versions/x", OBJ1, 422, NULL, {"42202"}},
      /* delete "latest", then the subject is gone: deleting it again is a 404 */
      {"DELETE", "/subjects/s/versions/latest", NULL, 200, "1", {NULL}},
      {"DELETE", "/subjects/s/versions/latest", NULL, 404, NULL, {"40401"}},
      {"DELETE", "/subjects/never", NULL, 404, NULL, {"40401"}},
  };
  rest_run(reg, cases, sizeof cases / sizeof *cases);
  zr_registry_close(reg);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_rest_paths)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
