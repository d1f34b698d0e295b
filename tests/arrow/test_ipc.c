/* Arrow IPC: golden files read in both formats agree, round trips through our writer, fuzz
 * regression files rejected or read cleanly, FlatBuffers layer basics. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/arrow.h"
#include "formats/arrow/arrow_int.h"
#include <sys/stat.h>

static int teq(const zr_table *a, const zr_table *b) {
  char why[300];
  if (za_table_equal(a, b, why, sizeof why)) return 1;
  fprintf(stderr, "tables differ: %s\n", why);
  return 0;
}

static const char *cases_1[] = {"custom_metadata", "datetime", "decimal", "decimal256", "dictionary",
                                "dictionary_unsigned", "duplicate_fieldnames", "extension", "interval", "map",
                                "map_non_canonical", "nested", "nested_dictionary", "nested_large_offsets", "null",
                                "null_trivial", "primitive", "primitive_large_offsets", "primitive_no_batches",
                                "primitive_zerolength", "recursive_nested", "union", NULL};
static const char *cases_2[] = {"lz4", "uncompressible_lz4", "uncompressible_zstd", "zstd", NULL};

static int read_path(const char *path, int copy, zr_table *t, uint8_t **buf) {
  size_t len;
  *buf = zr_test_read_file(path, &len);
  if (!*buf) return -1;
  zr_arrow_read_opts o;
  zr_arrow_read_opts_init(&o);
  o.copy = copy;
  o.validate_utf8 = 1;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_arrow_read(*buf, len, &o, t, &e);
  if (st) fprintf(stderr, "%s: %s (at %lld)\n", path, e.message, (long long)e.offset);
  return st;
}

static void roundtrip(const zr_table *t, int file, int codec, uint32_t align) {
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), 0);
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.file = file;
  wo.codec = codec;
  wo.alignment = align;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_arrow_write(t, &wo, sink, &e);
  if (st) fprintf(stderr, "write: %s\n", e.message);
  assert_int_equal(st, 0);
  const uint8_t *data;
  size_t len;
  assert_int_equal(zr_sink_memory_data(sink, &data, &len), 0);
  zr_table back;
  zr_arrow_read_opts o;
  zr_arrow_read_opts_init(&o);
  st = zr_arrow_read(data, len, &o, &back, &e);
  if (st) fprintf(stderr, "reread: %s at %lld\n", e.message, (long long)e.offset);
  assert_int_equal(st, 0);
  assert_true(teq(t, &back));
  if (file) {
    zr_arrow_file *f;
    assert_int_equal(zr_arrow_file_open(data, len, NULL, &f, NULL), 0);
    assert_int_equal(zr_arrow_file_num_batches(f), t->n_batches);
    for (int64_t i = t->n_batches; i-- > 0;) {
      struct ArrowArray b;
      assert_int_equal(zr_arrow_file_batch(f, i, &b, NULL), 0);
      assert_int_equal(b.length, t->batches[i].length);
      b.release(&b);
    }
    zr_arrow_file_close(f);
  }
  zr_table_release(&back);
  zr_sink_free(sink);
}

static void run_case(const char *dir, const char *name) {
  char rel[512];
  zr_table ts, tf, tc;
  uint8_t *b1, *b2, *b3;
  snprintf(rel, sizeof rel, "testdata/arrow-testing/data/arrow-ipc-stream/integration/%s/generated_%s.stream", dir, name);
  fprintf(stderr, "case %s/%s\n", dir, name);
  int st = read_path(zr_test_shared_path(rel), 0, &ts, &b1);
  if (st == -1) {
    fprintf(stderr, "skip %s (no golden files)\n", rel);
    return;
  }
  assert_int_equal(st, 0);
  snprintf(rel, sizeof rel, "testdata/arrow-testing/data/arrow-ipc-stream/integration/%s/generated_%s.arrow_file", dir, name);
  assert_int_equal(read_path(zr_test_shared_path(rel), 0, &tf, &b2), 0);
  assert_int_equal(read_path(zr_test_shared_path(rel), 1, &tc, &b3), 0);
  free(b3); /* copies must not depend on the input */
  assert_true(teq(&ts, &tf));
  assert_true(teq(&tc, &tf));
  roundtrip(&ts, 0, 0, 8);
  roundtrip(&ts, 1, 0, 64);
  roundtrip(&ts, 0, ZR_ARROW_CODEC_LZ4, 8);
  roundtrip(&ts, 1, ZR_ARROW_CODEC_ZSTD, 8);
  /* value copy and equality through the core hooks */
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_table_value(d, &tc), c;
  assert_int_equal(zr_value_copy(d, &v, &c, NULL), 0);
  assert_true(zr_value_equal(&v, &c));
  zr_doc_free(d);
  zr_table_release(&ts);
  zr_table_release(&tf);
  free(b1);
  free(b2);
}

static void test_golden(void **state) {
  (void)state;
  for (int i = 0; cases_1[i]; i++) run_case("1.0.0-littleendian", cases_1[i]);
  for (int i = 0; cases_2[i]; i++) run_case("2.0.0-compression", cases_2[i]);
}

static void fuzz_dir(const char *rel) {
  const char *dir = zr_test_shared_path(rel);
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
    size_t len;
    uint8_t *buf = zr_test_read_file(path, &len);
    if (!buf) continue;
    for (int copy = 0; copy < 2; copy++) {
      zr_arrow_read_opts o;
      zr_arrow_read_opts_init(&o);
      o.copy = copy;
      o.validate_utf8 = 1;
      o.max_bytes = 1u << 28;
      zr_table t;
      zr_error err;
      zr_error_clear(&err);
      zr_status st = zr_arrow_read(buf, len, &o, &t, &err);
      if (st == 0) {
        /* whatever we accept we can write and compare */
        zr_sink *sink;
        assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), 0);
        if (zr_arrow_write(&t, NULL, sink, NULL) == 0) {
          const uint8_t *data;
          size_t l2;
          zr_sink_memory_data(sink, &data, &l2);
          zr_table b;
          if (zr_arrow_read(data, l2, NULL, &b, NULL) == 0) zr_table_release(&b);
        }
        zr_sink_free(sink);
        zr_table_release(&t);
      } else {
        assert_true(err.message[0] != 0);
      }
    }
    free(buf);
    n++;
  }
  closedir(d);
  fprintf(stderr, "%s: %d files\n", rel, n);
}

static void test_fuzz_regressions(void **state) {
  (void)state;
  fuzz_dir("testdata/arrow-testing/data/arrow-ipc-stream");
  fuzz_dir("testdata/arrow-testing/data/arrow-ipc-file");
}

static void test_truncations(void **state) {
  (void)state;
  size_t len;
  uint8_t *buf = zr_test_read_file(
      zr_test_shared_path("testdata/arrow-testing/data/arrow-ipc-stream/integration/1.0.0-littleendian/generated_nested.stream"), &len);
  if (!buf) return;
  for (size_t cut = 0; cut < len; cut += (cut < 600 ? 1 : 37)) {
    uint8_t *c = malloc(cut ? cut : 1);
    memcpy(c, buf, cut);
    zr_table t;
    zr_error e;
    if (zr_arrow_read(c, cut, NULL, &t, &e) == 0) zr_table_release(&t);
    free(c);
  }
  /* bit flips */
  uint64_t seed = 7;
  for (int i = 0; i < 3000; i++) {
    uint8_t *c = malloc(len);
    memcpy(c, buf, len);
    size_t at = zr_test_rand(&seed) % len;
    c[at] ^= (uint8_t)(1u << (zr_test_rand(&seed) % 8));
    zr_table t;
    zr_error e;
    if (zr_arrow_read(c, len, NULL, &t, &e) == 0) zr_table_release(&t);
    free(c);
  }
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden),
      cmocka_unit_test(test_fuzz_regressions),
      cmocka_unit_test(test_truncations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
