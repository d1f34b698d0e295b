/* Arrow's integration protocol over every golden case of 1.0.0-littleendian and 2.0.0-compression:
 * VALIDATE both golden formats, then JSON_TO_ARROW, STREAM_TO_FILE, FILE_TO_STREAM and VALIDATE
 * what zerial wrote. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/arrow.h"

static int g_big; /* write big-endian in the writing modes */

static int step(const char *what, const char *mode, const char *json, const char *arrow, const char *stream) {
  zr_error e;
  zr_error_clear(&e);
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.big_endian = g_big;
  zr_status st = zr_arrow_integration_opts(mode, json, arrow, stream, &wo, &e);
  if (st) fprintf(stderr, "  FAIL %s %s: %s\n", what, mode, e.message);
  return st == 0;
}

static int run_dir(const char *sub, int *ncase) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s", zr_test_shared_path(sub));
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "skip %s\n", dir);
    return 0;
  }
  int failed = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 8 || strcmp(e->d_name + l - 8, ".json.gz") != 0) continue;
    char base[256], json[2048], file[2048], stream[2048], out[2048];
    snprintf(base, sizeof base, "%.*s", (int)(l - 8), e->d_name);
    snprintf(json, sizeof json, "%s/%s.json.gz", dir, base);
    snprintf(file, sizeof file, "%s/%s.arrow_file", dir, base);
    snprintf(stream, sizeof stream, "%s/%s.stream", dir, base);
    int ok = 1;
    ok &= step(base, "VALIDATE", json, stream, NULL);
    ok &= step(base, "VALIDATE", json, file, NULL);
    snprintf(out, sizeof out, "%s/%s.j2a.arrow_file", zr_test_tmpdir(), base);
    ok &= step(base, "JSON_TO_ARROW", json, out, NULL) && step("json_to_arrow", "VALIDATE", json, out, NULL) ? 1 : 0;
    snprintf(out, sizeof out, "%s/%s.s2f.arrow_file", zr_test_tmpdir(), base);
    ok &= step(base, "STREAM_TO_FILE", NULL, out, stream) && step("stream_to_file", "VALIDATE", json, out, NULL) ? 1 : 0;
    snprintf(out, sizeof out, "%s/%s.f2s.stream", zr_test_tmpdir(), base);
    ok &= step(base, "FILE_TO_STREAM", NULL, file, out) && step("file_to_stream", "VALIDATE", json, out, NULL) ? 1 : 0;
    /* the same JSON written big-endian (file, then that file to a big-endian stream), read back equal */
    g_big = 1;
    snprintf(out, sizeof out, "%s/%s.be.arrow_file", zr_test_tmpdir(), base);
    ok &= step(base, "JSON_TO_ARROW", json, out, NULL) && step("json_to_arrow_be", "VALIDATE", json, out, NULL) ? 1 : 0;
    snprintf(stream, sizeof stream, "%s/%s.be.stream", zr_test_tmpdir(), base);
    ok &= step(base, "FILE_TO_STREAM", NULL, out, stream) && step("file_to_stream_be", "VALIDATE", json, stream, NULL) ? 1 : 0;
    g_big = 0;
    fprintf(stderr, "%s %s/%s\n", ok ? "pass" : "FAIL", sub, base);
    failed += !ok;
    (*ncase)++;
  }
  closedir(d);
  return failed;
}

static void test_integration(void **state) {
  (void)state;
  int n = 0, failed = 0;
  failed += run_dir("testdata/arrow-testing/data/arrow-ipc-stream/integration/1.0.0-littleendian", &n);
  failed += run_dir("testdata/arrow-testing/data/arrow-ipc-stream/integration/2.0.0-compression", &n);
  fprintf(stderr, "%d cases, %d failed\n", n, failed);
  assert_int_equal(failed, 0);
}

static void test_bad_modes(void **state) {
  (void)state;
  zr_error e;
  assert_int_equal(zr_arrow_integration("NOPE", "a", "b", NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_integration("VALIDATE", NULL, "b", NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_integration("VALIDATE", "/nonexistent.json", "/nonexistent", NULL, &e), ZR_ERR_IO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_integration),
      cmocka_unit_test(test_bad_modes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
