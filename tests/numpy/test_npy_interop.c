/* Interop with real NumPy: /usr/bin/python3 writes .npy files (at test time), zerial reads them
 * and checks every element against NumPy's C-order bytes, writes them back, and NumPy checks
 * equality (and byte identity with np.save). Skipped when /usr/bin/python3 has no numpy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/numpy.h"

void zr__tensor_gather(const zr_tensor *t, uint8_t *dst);

static int run(const char *cmd) {
  int rc = system(cmd);
  return rc;
}

static void write_file(const char *path, const uint8_t *d, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(d, 1, n, f), n);
  fclose(f);
}

static void roundtrip_one(const char *dir, const char *base) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s.npy", dir, base);
  size_t len, rawlen = 0;
  uint8_t *d = zr_test_read_file(path, &len);
  assert_non_null(d);
  zr_doc *doc;
  zr_error e;
  zr_npy_opts no = {0};
  no.max_header_size = 200000;
  zr_status st = zr_npy_decode(d, len, NULL, &no, &doc, &e);
  if (st) fprintf(stderr, "%s: %s\n", base, e.message);
  assert_int_equal(st, ZR_OK);
  const zr_tensor *t = zr_doc_root(doc)->u.tensor;
  snprintf(path, sizeof path, "%s/%s.raw", dir, base);
  uint8_t *raw = zr_test_read_file(path, &rawlen);
  if (raw) {
    assert_int_equal(rawlen, zr_tensor_count(t) * t->itemsize);
    uint8_t *c = malloc(rawlen + 1);
    zr__tensor_gather(t, c);
    if (memcmp(c, raw, rawlen) != 0) fail_msg("%s: element bytes differ", base);
    free(c);
    free(raw);
  }
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
  assert_int_equal(zr_npy_encode(t, s, &e), ZR_OK);
  const uint8_t *o;
  size_t ol;
  zr_sink_memory_data(s, &o, &ol);
  snprintf(path, sizeof path, "%s/%s.out.npy", dir, base);
  write_file(path, o, ol);
  zr_sink_free(s);
  zr_doc_free(doc);
  free(d);
}

static void test_npy_interop(void **state) {
  (void)state;
  if (run("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) skip();
  const char *dir = zr_test_tmpdir();
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s gen %s", zr_test_src_path("tests/numpy/npy_interop.py"), dir);
  assert_int_equal(run(cmd), 0);
  char path[1024];
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  FILE *m = fopen(path, "r");
  assert_non_null(m);
  char line[256];
  int n = 0;
  while (fgets(line, sizeof line, m)) {
    line[strcspn(line, "\n")] = 0;
    if (!line[0]) continue;
    roundtrip_one(dir, line);
    n++;
  }
  fclose(m);
  assert_true(n > 100);
  roundtrip_one(dir, "v2");
  /* object arrays are refused */
  snprintf(path, sizeof path, "%s/object.npy", dir);
  size_t len;
  uint8_t *d = zr_test_read_file(path, &len);
  zr_doc *doc = NULL;
  zr_error e;
  assert_int_equal(zr_npy_decode(d, len, NULL, NULL, &doc, &e), ZR_ERR_REFUSED);
  free(d);
  snprintf(path, sizeof path, "%s/v2.npy", dir);
  d = zr_test_read_file(path, &len);
  assert_int_equal(d[6], 2);
  free(d);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s check %s", zr_test_src_path("tests/numpy/npy_interop.py"), dir);
  assert_int_equal(run(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_npy_interop)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
