/* Coverage: every status code has a distinct name and description; error helpers are NULL-safe
 * and truncate; memory sinks and sources under a failing allocator; the file, fd, fixed and
 * mmap sinks and sources on their error paths (missing files, full buffers, limits). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zr_test.h"

static void test_status_names(void **state) {
  (void)state;
  int seen = 0;
#define CHECK(name, value, text)                                                                   \
  assert_string_equal(zr_strerror(value), text);                                                   \
  assert_string_equal(zr_status_name(value), "ZR_" #name + 3);                                      \
  seen++;
  ZR_STATUS_LIST(CHECK)
#undef CHECK
  assert_true(seen > 30);
  assert_string_equal(zr_strerror(-9999), "unknown status");
  assert_null(zr_status_name(-9999));
  assert_string_equal(zr_strerror(12345), "unknown status");
}

static void test_error_helpers(void **state) {
  (void)state;
  zr_error_clear(NULL);
  zr_error_set_path(NULL, "$.x");
  assert_int_equal(zr_error_set(NULL, ZR_ERR_RANGE, 3, "x %d", 1), ZR_ERR_RANGE);
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(e.offset, -1);
  assert_int_equal(zr_error_set(&e, ZR_ERR_TRUNCATED, 42, NULL), ZR_ERR_TRUNCATED);
  assert_string_equal(e.message, zr_strerror(ZR_ERR_TRUNCATED));
  assert_int_equal(e.offset, 42);
  char longmsg[2000];
  memset(longmsg, 'a', sizeof longmsg - 1);
  longmsg[sizeof longmsg - 1] = '\0';
  zr_error_set(&e, ZR_ERR_MALFORMED, 0, "%s", longmsg);
  assert_int_equal(strlen(e.message), sizeof e.message - 1);
  zr_error_set_path(&e, NULL);
  assert_string_equal(e.path, "");
  zr_error_set_path(&e, longmsg);
  assert_int_equal(strlen(e.path), sizeof e.path - 1);
}

static void test_memory_io_failalloc(void **state) {
  (void)state;
  static uint8_t data[10000];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 31);
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_sink *s = NULL;
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_sink_memory_new(&fa.a, &s, &e);
    for (size_t off = 0; st == ZR_OK && off < sizeof data; off += 1000) st = zr_sink_write(s, data + off, 1000, &e);
    void *p = NULL;
    if (st == ZR_OK) st = zr_sink_reserve(s, 5000, &p, &e);
    if (st == ZR_OK) {
      memset(p, 7, 5000);
      st = zr_sink_commit(s, 5000, &e);
    }
    uint8_t *taken = NULL;
    size_t len = 0;
    if (st == ZR_OK) st = zr_sink_memory_take(s, &taken, &len, &e);
    zr_sink_free(s);
    if (st == ZR_OK) {
      assert_int_equal(len, sizeof data + 5000);
      assert_memory_equal(taken, data, sizeof data);
      fa.a.free_fn(fa.a.ud, taken);
      assert_int_equal(fa.live, 0);
      break;
    }
    assert_int_equal(st, ZR_ERR_NOMEM);
    assert_true(e.message[0] != '\0');
    assert_int_equal(fa.live, 0);
    assert_true(n < 1000);
  }
}

static void test_file_paths(void **state) {
  (void)state;
  zr_error e;
  zr_sink *s = NULL;
  zr_source *src = NULL;
  assert_int_equal(zr_sink_file_new("/nonexistent-dir/x/y", &s, &e), ZR_ERR_NOT_FOUND);
  assert_non_null(strstr(e.message, "/nonexistent-dir/x/y"));
  assert_int_equal(zr_source_file_new("/nonexistent-file-zr", &src, &e), ZR_ERR_NOT_FOUND);
  assert_int_equal(zr_source_mmap_new("/nonexistent-file-zr", &src, &e), ZR_ERR_NOT_FOUND);
  /* fixed sink: a write past its capacity fails, nothing partial */
  uint8_t mem[16];
  assert_int_equal(zr_sink_fixed_new(mem, sizeof mem, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, "0123456789", 10, &e), ZR_OK);
  assert_int_not_equal(zr_sink_write(s, "0123456789", 10, &e), ZR_OK);
  assert_int_equal(zr_sink_size(s), 10);
  const uint8_t *d;
  size_t n;
  assert_int_equal(zr_sink_memory_data(s, &d, &n), ZR_OK);
  assert_int_equal(n, 10);
  uint8_t *t;
  assert_int_equal(zr_sink_memory_take(s, &t, &n, &e), ZR_ERR_UNSUPPORTED);
  zr_sink_free(s);
  /* file sink + file, fd and mmap sources; read_all over its limit */
  char path[512];
  snprintf(path, sizeof path, "%s/cov_io.bin", zr_test_tmpdir());
  assert_int_equal(zr_sink_file_new(path, &s, &e), ZR_OK);
  static uint8_t big[70000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)i;
  assert_int_equal(zr_sink_write(s, big, sizeof big, &e), ZR_OK);
  assert_int_equal(zr_sink_finish(s, &e), ZR_OK);
  zr_sink_free(s);
  const uint8_t *all;
  size_t alen;
  assert_int_equal(zr_source_file_new(path, &src, &e), ZR_OK);
  assert_int_equal(zr_source_read_all(src, 1000, &all, &alen, &e), ZR_ERR_LIMIT);
  zr_source_free(src);
  assert_int_equal(zr_source_file_new(path, &src, &e), ZR_OK);
  assert_int_equal(zr_source_read_all(src, 0, &all, &alen, &e), ZR_OK);
  assert_int_equal(alen, sizeof big);
  assert_memory_equal(all, big, sizeof big);
  zr_source_free(src);
  assert_int_equal(zr_source_mmap_new(path, &src, &e), ZR_OK);
  assert_int_equal(zr_source_contiguous(src, &all, &alen), ZR_OK);
  assert_int_equal(alen, sizeof big);
  uint8_t buf[100];
  size_t got = 0;
  assert_int_equal(zr_source_read(src, buf, sizeof buf, &got, &e), ZR_OK);
  assert_int_equal(got, 100);
  assert_memory_equal(buf, big, 100);
  zr_source_free(src);
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(zr_source_fd_new(fd, &src, &e), ZR_OK);
  assert_int_equal(zr_source_contiguous(src, &all, &alen), ZR_ERR_UNSUPPORTED);
  assert_int_equal(zr_source_read_all(src, 0, &all, &alen, &e), ZR_OK);
  assert_int_equal(alen, sizeof big);
  zr_source_free(src);
  close(fd);
  /* an fd sink on a read-only descriptor fails with ZR_ERR_IO */
  fd = open(path, O_RDONLY);
  assert_int_equal(zr_sink_fd_new(fd, &s, &e), ZR_OK);
  zr_status st = zr_sink_write(s, big, 10, &e);
  if (st == ZR_OK) st = zr_sink_flush(s, &e);
  assert_int_equal(st, ZR_ERR_IO);
  assert_true(e.message[0] != '\0');
  zr_sink_free(s);
  close(fd);
  /* an empty mmap source */
  snprintf(path, sizeof path, "%s/cov_empty.bin", zr_test_tmpdir());
  FILE *f = fopen(path, "wb");
  fclose(f);
  assert_int_equal(zr_source_mmap_new(path, &src, &e), ZR_OK);
  assert_int_equal(zr_source_read_all(src, 0, &all, &alen, &e), ZR_OK);
  assert_int_equal(alen, 0);
  zr_source_free(src);
  /* NULL arguments */
  assert_int_equal(zr_sink_write(NULL, "x", 1, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_read(NULL, buf, 1, &got, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_sink_memory_new(NULL, NULL, &e), ZR_ERR_INVALID_ARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_names),
      cmocka_unit_test(test_error_helpers),
      cmocka_unit_test(test_memory_io_failalloc),
      cmocka_unit_test(test_file_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
