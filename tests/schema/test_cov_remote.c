/* Coverage: the HTTP registry client against a scripted local server: every call's success path,
 * each error status mapped to its code, answers without JSON, and a server that is not there. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zerial/schema.h"
#include "zr_test.h"

/* The script: the answers to the next requests, in order; the request lines seen. */
typedef struct answer {
  int status;
  const char *body;
} answer;
static answer script[8];
static int n_script, next_answer;
static char seen[8][512];
static int n_seen;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int port;

static void play(int n, const answer *a) {
  pthread_mutex_lock(&mu);
  memcpy(script, a, (size_t)n * sizeof *a);
  n_script = n;
  next_answer = 0;
  n_seen = 0;
  pthread_mutex_unlock(&mu);
}

#include "loopback_server.h"

static void serve_one(int c) {
  char req[8192];
  if (read_request(c, req, sizeof req) < 0) return;
  pthread_mutex_lock(&mu);
  if (n_seen < 8) {
    size_t l = (size_t)(strstr(req, "\r\n") - req);
    snprintf(seen[n_seen++], sizeof seen[0], "%.*s", (int)l, req);
  }
  answer a = next_answer < n_script ? script[next_answer++] : (answer){500, "{\"message\":\"unscripted\"}"};
  pthread_mutex_unlock(&mu);
  char resp[8192];
  int n = snprintf(resp, sizeof resp,
                   "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                   a.status, strlen(a.body), a.body);
  ssize_t w = send(c, resp, (size_t)n, MSG_NOSIGNAL);
  (void)w;
}


#define SCHEMA_JSON "{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}]}"
#define SCHEMA_STR "\"{\\\"fields\\\":[{\\\"id\\\":1,\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"int32\\\"}]}\""

static zr_registry *open_remote(void) {
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
  play(1, (answer[]){{200, "{\"compatibilityLevel\":\"BACKWARD\"}"}});
  zr_registry *r = NULL;
  zr_error e;
  zr_error_clear(&e);
  if (zr_registry_open(url, 0, &r, &e) != ZR_OK) fail_msg("open: %s", e.message);
  assert_string_equal(seen[0], "GET /config HTTP/1.1");
  return r;
}

static zr_schema *schema(void) {
  zr_schema *s = NULL;
  assert_int_equal(zr_schema_parse(SCHEMA_JSON, strlen(SCHEMA_JSON), &s, NULL), ZR_OK);
  return s;
}

static void test_open_errors(void **state) {
  (void)state;
  char url[64];
  zr_registry *r = NULL;
  zr_error e;
  /* the registry refuses /config */
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  play(1, (answer[]){{503, "{\"error_code\":50301,\"message\":\"down for maintenance\"}"}});
  assert_int_equal(zr_registry_open(url, 0, &r, &e), ZR_ERR_DATABASE);
  assert_string_equal(e.message, "registry error 50301: down for maintenance");
  assert_null(r);
  /* an answer that is not JSON */
  play(1, (answer[]){{200, "<html>hi</html>"}});
  assert_int_equal(zr_registry_open(url, 0, &r, &e), ZR_ERR_NETWORK);
  assert_non_null(strstr(e.message, "without JSON"));
  /* nobody listening */
  assert_int_equal(zr_registry_open("http://127.0.0.1:1", 0, &r, &e), ZR_ERR_NETWORK);
  assert_non_null(strstr(e.message, "registry http://127.0.0.1:1/config"));
}

static void test_calls(void **state) {
  (void)state;
  zr_registry *r = open_remote();
  zr_schema *s = schema();
  zr_error e;
  zr_error_clear(&e);
  zr_register_result res;
  zr_compat_report *rep = NULL;

  /* register: already there */
  play(1, (answer[]){{200, "{\"id\":7,\"version\":3,\"schema\":" SCHEMA_STR "}"}});
  assert_int_equal(zr_registry_register(r, "my subject", s, &res, &rep, &e), ZR_OK);
  assert_true(res.existing && res.id == 7 && res.version == 3);
  assert_string_equal(seen[0], "POST /subjects/my%20subject HTTP/1.1");
  /* register: new */
  play(3, (answer[]){{404, "{\"error_code\":40403,\"message\":\"not found\"}"}, {200, "{\"id\":8}"}, {200, "{\"version\":4}"}});
  assert_int_equal(zr_registry_register(r, "s", s, &res, &rep, &e), ZR_OK);
  assert_true(!res.existing && res.id == 8 && res.version == 4);
  assert_string_equal(seen[1], "POST /subjects/s/versions HTTP/1.1");
  /* register: incompatible, with the violations fetched */
  play(3, (answer[]){{404, "{}"}, {409, "{\"error_code\":409,\"message\":\"incompatible\"}"},
                     {200, "{\"is_compatible\":false,\"violations\":[{\"subject\":\"s\",\"version\":2,\"direction\":\"FORWARD\","
                           "\"path\":\"a\",\"field_id\":1,\"rule\":\"TYPE_NARROWED\",\"writer_type\":\"int64\","
                           "\"reader_type\":\"int32\",\"fix\":\"widen\"}]}"}});
  assert_int_equal(zr_registry_register(r, "s", s, &res, &rep, &e), ZR_ERR_INCOMPATIBLE);
  assert_string_equal(e.message, "schema is incompatible with subject s");
  assert_non_null(rep);
  assert_int_equal(zr_compat_report_count(rep), 1);
  const zr_compat_violation *v = zr_compat_report_at(rep, 0);
  assert_int_equal(v->direction, ZR_DIR_FORWARD);
  assert_string_equal(v->rule, "TYPE_NARROWED");
  assert_int_equal(v->version, 2);
  zr_compat_report_free(rep);
  rep = NULL;
  /* register: a bad schema (42201) */
  play(2, (answer[]){{404, "{}"}, {422, "{\"error_code\":42201,\"message\":\"invalid schema\"}"}});
  assert_int_equal(zr_registry_register(r, "s", s, &res, NULL, &e), ZR_ERR_MALFORMED);
  /* check: no versions yet, compatible, and a violation */
  play(1, (answer[]){{404, "{\"error_code\":40401}"}});
  assert_int_equal(zr_registry_check(r, "s", s, &rep, &e), ZR_OK);
  assert_int_equal(zr_compat_report_count(rep), 0);
  zr_compat_report_free(rep);
  play(1, (answer[]){{200, "{\"violations\":[{\"direction\":\"BACKWARD\"}]}"}});
  assert_int_equal(zr_registry_check(r, "s", s, &rep, &e), ZR_OK);
  assert_int_equal(zr_compat_report_count(rep), 1);
  assert_string_equal(zr_compat_report_at(rep, 0)->rule, "?");
  zr_compat_report_free(rep);
  play(1, (answer[]){{422, "{\"message\":\"bad\"}"}});
  assert_int_equal(zr_registry_check(r, "s", s, &rep, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "registry error 422: bad");

  /* get: latest and a version; not found; no schema in the answer */
  zr_schema *got = NULL;
  int64_t id = 0;
  int ver = 0;
  play(1, (answer[]){{200, "{\"id\":7,\"version\":3,\"schema\":" SCHEMA_STR "}"}});
  assert_int_equal(zr_registry_get(r, "s", -1, &got, &id, &ver, &e), ZR_OK);
  assert_true(id == 7 && ver == 3);
  assert_string_equal(seen[0], "GET /subjects/s/versions/latest HTTP/1.1");
  assert_string_equal(zr_schema_field_type(got, 0), "int32");
  zr_schema_free(got);
  play(1, (answer[]){{404, "{\"error_code\":40402,\"message\":\"Version not found\"}"}});
  assert_int_equal(zr_registry_get(r, "s", 9, &got, &id, &ver, &e), ZR_ERR_NOT_FOUND);
  assert_string_equal(seen[0], "GET /subjects/s/versions/9 HTTP/1.1");
  play(1, (answer[]){{200, "{\"id\":7}"}});
  assert_int_equal(zr_registry_get(r, "s", 1, &got, NULL, NULL, &e), ZR_ERR_MALFORMED);
  assert_string_equal(e.message, "registry answer has no schema");
  /* get by id */
  play(1, (answer[]){{200, "{\"schema\":" SCHEMA_STR "}"}});
  assert_int_equal(zr_registry_get_by_id(r, 7, &got, &e), ZR_OK);
  assert_string_equal(seen[0], "GET /schemas/ids/7 HTTP/1.1");
  zr_schema_free(got);
  play(1, (answer[]){{404, "{}"}});
  assert_int_equal(zr_registry_get_by_id(r, 99, &got, &e), ZR_ERR_NOT_FOUND);

  /* lists */
  char *js = NULL;
  play(1, (answer[]){{200, "[\"a\",\"b\"]"}});
  assert_int_equal(zr_registry_subjects(r, 0, &js, &e), ZR_OK);
  assert_string_equal(js, "[\"a\",\"b\"]");
  free(js);
  play(1, (answer[]){{404, "{}"}});
  assert_int_equal(zr_registry_versions(r, "gone", 0, &js, &e), ZR_OK);
  assert_string_equal(js, "[]");
  free(js);
  play(1, (answer[]){{500, "{\"message\":\"db locked\"}"}});
  assert_int_equal(zr_registry_subjects(r, 0, &js, &e), ZR_ERR_DATABASE);

  /* delete, permanent or not, a version or the subject */
  play(1, (answer[]){{200, "[1,2]"}});
  assert_int_equal(zr_registry_delete(r, "s", -1, 0, &e), ZR_OK);
  assert_string_equal(seen[0], "DELETE /subjects/s HTTP/1.1");
  play(1, (answer[]){{200, "2"}});
  assert_int_equal(zr_registry_delete(r, "s", 2, 1, &e), ZR_OK);
  assert_string_equal(seen[0], "DELETE /subjects/s/versions/2?permanent=true HTTP/1.1");
  play(1, (answer[]){{404, "{}"}});
  assert_int_equal(zr_registry_delete(r, "s", 5, 0, &e), ZR_ERR_NOT_FOUND);
  play(1, (answer[]){{200, "[]"}});
  assert_int_equal(zr_registry_delete(r, "s", -1, 1, &e), ZR_OK);
  assert_string_equal(seen[0], "DELETE /subjects/s?permanent=true HTTP/1.1");

  /* modes */
  zr_compat_mode m;
  play(1, (answer[]){{200, "{\"compatibilityLevel\":\"FULL\"}"}});
  assert_int_equal(zr_registry_get_mode(r, "s", &m, &e), ZR_OK);
  assert_int_equal(m, ZR_COMPAT_FULL);
  assert_string_equal(seen[0], "GET /config/s HTTP/1.1");
  play(1, (answer[]){{200, "{\"compatibilityLevel\":\"SIDEWAYS\"}"}});
  assert_int_equal(zr_registry_get_mode(r, NULL, &m, &e), ZR_ERR_MALFORMED);
  play(1, (answer[]){{404, "{}"}});
  assert_int_equal(zr_registry_get_mode(r, "s", &m, &e), ZR_ERR_NOT_FOUND);
  play(1, (answer[]){{200, "{\"compatibility\":\"NONE\"}"}});
  assert_int_equal(zr_registry_set_mode(r, "s", ZR_COMPAT_NONE, &e), ZR_OK);
  assert_string_equal(seen[0], "PUT /config/s HTTP/1.1");
  play(1, (answer[]){{422, "{\"error_code\":42203,\"message\":\"bad level\"}"}});
  assert_int_equal(zr_registry_set_mode(r, NULL, ZR_COMPAT_NONE, &e), ZR_ERR_INVALID_ARG);

  zr_schema_free(s);
  zr_registry_close(r);
}

int main(void) {
  if (start_server() != 0) {
    fprintf(stderr, "cannot start the local server\n");
    return 77;
  }
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_open_errors), cmocka_unit_test(test_calls)};
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  stop_server();
  return rc;
}
