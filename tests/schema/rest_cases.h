/* REST calls against a schema registry as a table (tests/schema/test_rest.c, test_cov_rest.c): each
 * call's HTTP status, and its body equal to a text or containing up to two texts. */
#ifndef ZR_TEST_REST_CASES_H
#define ZR_TEST_REST_CASES_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zerial/schema.h"
#include "zr_test.h"

typedef struct rest_case {
  const char *method, *path, *body;
  int status;
  const char *equals; /* the whole body (NULL: not checked) */
  const char *has[2]; /* texts the body contains (NULL: none) */
} rest_case;

/* a registry in a new database file @p name under the test folder */
static inline zr_registry *rest_open(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", zr_test_tmpdir(), name);
  unlink(path);
  zr_registry *reg = NULL;
  assert_int_equal(zr_registry_open(path, 0, &reg, NULL), ZR_OK);
  return reg;
}

static inline void rest_run(zr_registry *reg, const rest_case *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int status = 0;
    char *out = NULL;
    const char *body = c[i].body;
    assert_int_equal(zr_registry_http(reg, c[i].method, c[i].path, body, body ? strlen(body) : 0, &status, &out),
                     ZR_OK);
    if (status != c[i].status) fail_msg("%s %s: status %d, body %s", c[i].method, c[i].path, status, out);
    if (c[i].equals) assert_string_equal(out, c[i].equals);
    for (int k = 0; k < 2; k++)
      if (c[i].has[k] && !strstr(out, c[i].has[k]))
        fail_msg("%s %s: body %s lacks %s", c[i].method, c[i].path, out, c[i].has[k]);
    zr_free(out);
  }
}

#endif
