/* Coverage: the Arrow C stream bridge (failing producers, many batches) and zr_arrow_open errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zr_test.h"

/* A producer that fails at the schema (mode 0) or at the first batch (mode 1). */
typedef struct bad {
  int mode;
  const char *msg;
  int released;
} bad;

static int bad_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  bad *b = s->private_data;
  memset(out, 0, sizeof *out);
  if (b->mode == 0) return EIO;
  static const char *fmt = "+s";
  out->format = fmt;
  out->release = NULL; /* nothing to free: a static schema */
  return 0;
}
static int bad_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  (void)s;
  memset(out, 0, sizeof *out);
  return EIO;
}
static const char *bad_err(struct ArrowArrayStream *s) { return ((bad *)s->private_data)->msg; }
static void bad_release(struct ArrowArrayStream *s) {
  ((bad *)s->private_data)->released = 1;
  s->release = NULL;
}

static void test_failing_producer(void **state) {
  (void)state;
  static const struct { int mode; const char *msg, *want; } cases[] = {
      {0, "boom", "arrow: stream schema: boom"},
      {0, NULL, "arrow: stream schema: error"},
      {1, "disk gone", "arrow: stream batch: disk gone"},
      {1, NULL, "arrow: stream batch: error"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bad b = {cases[i].mode, cases[i].msg, 0};
    struct ArrowArrayStream s = {bad_schema, bad_next, bad_err, bad_release, &b};
    zr_table t;
    zr_error e;
    zr_error_clear(&e);
    assert_int_equal(zr_arrow_table_from_stream(&s, &t, &e), ZR_ERR_IO);
    assert_string_equal(e.message, cases[i].want);
    assert_true(b.released); /* the stream is consumed either way */
  }
  /* a released stream is refused */
  struct ArrowArrayStream gone;
  memset(&gone, 0, sizeof gone);
  zr_table t;
  assert_int_equal(zr_arrow_table_from_stream(&gone, &t, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_table_to_stream(NULL, &gone, NULL), ZR_ERR_INVALID_ARG);
}

static void test_many_batches(void **state) {
  (void)state;
  /* six one-row batches: more than the first capacity of the receiving table */
  char json[4096];
  size_t k = (size_t)snprintf(json, sizeof json,
                              "{\"schema\":{\"fields\":[{\"name\":\"x\",\"nullable\":false,\"type\":{\"name\":\"int\","
                              "\"isSigned\":true,\"bitWidth\":16},\"children\":[]}]},\"batches\":[");
  for (int i = 0; i < 6; i++)
    k += (size_t)snprintf(json + k, sizeof json - k, "%s{\"count\":1,\"columns\":[{\"name\":\"x\",\"count\":1,\"VALIDITY\":[1],\"DATA\":[%d]}]}",
                          i ? "," : "", i * 11);
  snprintf(json + k, sizeof json - k, "]}");
  zr_table t, copy, back;
  zr_error e;
  zr_error_clear(&e);
  if (zr_arrow_from_integration_json(json, strlen(json), NULL, &t, &e) != ZR_OK) fail_msg("%s", e.message);
  assert_int_equal(t.n_batches, 6);
  assert_int_equal(zr_arrow_table_copy(&t, &copy, &e), ZR_OK);
  struct ArrowArrayStream s;
  assert_int_equal(zr_arrow_table_to_stream(&t, &s, &e), ZR_OK);
  assert_null(s.get_last_error(&s));
  assert_int_equal(zr_arrow_table_from_stream(&s, &back, &e), ZR_OK);
  assert_null(s.release); /* consumed */
  assert_int_equal(back.n_batches, 6);
  assert_int_equal(zr_table_num_rows(&back), 6);
  assert_true(zr_arrow_table_equal(&copy, &back));
  zr_table_release(&back);
  zr_table_release(&copy);
}

static void test_open_errors(void **state) {
  (void)state;
  zr_doc *d = NULL;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(zr_arrow_open(NULL, NULL, &d, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_open("/nonexistent/zerial.arrow", NULL, &d, &e), ZR_ERR_IO);
  assert_non_null(strstr(e.message, "cannot open /nonexistent/zerial.arrow"));
  assert_null(d);
  /* an empty file and a file of garbage are errors, not crashes */
  char path[512];
  snprintf(path, sizeof path, "%s/empty.arrow", zr_test_tmpdir());
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fclose(f);
  assert_true(zr_arrow_open(path, NULL, &d, &e) < 0);
  assert_null(d);
  snprintf(path, sizeof path, "%s/junk.arrow", zr_test_tmpdir());
  f = fopen(path, "wb");
  assert_non_null(f);
  fputs("this is not an arrow stream at all", f);
  fclose(f);
  assert_true(zr_arrow_open(path, NULL, &d, &e) < 0);
  assert_true(e.offset >= 0);
  assert_null(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_failing_producer), cmocka_unit_test(test_many_batches),
                                     cmocka_unit_test(test_open_errors)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
