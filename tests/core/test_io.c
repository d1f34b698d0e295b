#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zr_test.h"

static void test_memory_sink(void **state) {
  (void)state;
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_true(zr_sink_can_reserve(s));
  assert_int_equal(zr_sink_write(s, "abc", 3, NULL), ZR_OK);
  void *p = NULL;
  assert_int_equal(zr_sink_reserve(s, 100000, &p, NULL), ZR_OK);
  memset(p, 'x', 5);
  zr_error e;
  assert_int_equal(zr_sink_commit(s, 100001, &e), ZR_ERR_STATE);
  assert_int_equal(zr_sink_commit(s, 5, NULL), ZR_OK);
  const uint8_t *d;
  size_t n;
  assert_int_equal(zr_sink_memory_data(s, &d, &n), ZR_OK);
  assert_int_equal(n, 8);
  assert_memory_equal(d, "abcxxxxx", 8);
  assert_int_equal(zr_sink_size(s), 8);
  uint8_t *taken;
  assert_int_equal(zr_sink_memory_take(s, &taken, &n, NULL), ZR_OK);
  assert_int_equal(n, 8);
  zr_free(taken);
  zr_sink_free(s);
}

static void test_fixed_sink(void **state) {
  (void)state;
  uint8_t mem[8];
  zr_sink *s;
  assert_int_equal(zr_sink_fixed_new(mem, sizeof mem, &s, NULL), ZR_OK);
  assert_int_equal(zr_sink_write(s, "12345", 5, NULL), ZR_OK);
  zr_error e;
  assert_int_equal(zr_sink_write(s, "6789", 4, &e), ZR_ERR_NOSPACE);
  assert_int_equal(e.offset, 5);
  void *p;
  assert_int_equal(zr_sink_reserve(s, 4, &p, NULL), ZR_ERR_NOSPACE);
  assert_int_equal(zr_sink_reserve(s, 3, &p, NULL), ZR_OK);
  assert_ptr_equal(p, mem + 5);
  zr_sink_free(s);
}

static void test_file_sink_atomic(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/out.bin", zr_test_tmpdir());
  unlink(path);
  zr_sink *s;
  assert_int_equal(zr_sink_file_new(path, &s, NULL), ZR_OK);
  assert_int_equal(zr_sink_write(s, "hello", 5, NULL), ZR_OK);
  assert_false(zr_sink_can_reserve(s));
  zr_sink_free(s); /* not finished: nothing left behind */
  assert_int_not_equal(access(path, F_OK), 0);
  DIR *dir = opendir(zr_test_tmpdir());
  struct dirent *de;
  while ((de = readdir(dir)) != NULL) assert_null(strstr(de->d_name, "out.bin.tmp"));
  closedir(dir);

  assert_int_equal(zr_sink_file_new(path, &s, NULL), ZR_OK);
  static uint8_t big[200000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)i;
  assert_int_equal(zr_sink_write(s, "x", 1, NULL), ZR_OK);
  assert_int_equal(zr_sink_write(s, big, sizeof big, NULL), ZR_OK);
  assert_int_equal(zr_sink_finish(s, NULL), ZR_OK);
  zr_sink_free(s);

  /* read back through each kind of source */
  zr_source *src;
  const uint8_t *d;
  size_t n;
  assert_int_equal(zr_source_mmap_new(path, &src, NULL), ZR_OK);
  assert_int_equal(zr_source_contiguous(src, &d, &n), ZR_OK);
  assert_int_equal(n, 1 + sizeof big);
  assert_memory_equal(d + 1, big, sizeof big);
  zr_source_free(src);
  assert_int_equal(zr_source_file_new(path, &src, NULL), ZR_OK);
  assert_int_equal(zr_source_contiguous(src, &d, &n), ZR_ERR_UNSUPPORTED);
  zr_error e;
  assert_int_equal(zr_source_read_all(src, 1000, &d, &n, &e), ZR_ERR_LIMIT);
  zr_source_free(src);
  assert_int_equal(zr_source_file_new(path, &src, NULL), ZR_OK);
  assert_int_equal(zr_source_read_all(src, 0, &d, &n, NULL), ZR_OK);
  assert_int_equal(n, 1 + sizeof big);
  assert_memory_equal(d + 1, big, sizeof big);
  zr_source_free(src);
  assert_int_equal(zr_source_file_new("/nonexistent/x", &src, &e), ZR_ERR_NOT_FOUND);
  assert_non_null(strstr(e.message, "/nonexistent/x"));
  unlink(path);
}

typedef struct {
  uint8_t got[64];
  size_t len;
  int budget; /* bytes accepted before blocking */
} slow_sink;

static zr_status slow_write(void *ud, const void *data, size_t len, size_t *written) {
  slow_sink *s = ud;
  size_t n = len < (size_t)s->budget ? len : (size_t)s->budget;
  memcpy(s->got + s->len, data, n);
  s->len += n;
  s->budget -= (int)n;
  *written = n;
  return n < len ? ZR_WOULD_BLOCK : ZR_OK;
}

static void test_callback_sink_would_block(void **state) {
  (void)state;
  slow_sink ss = {.len = 0, .budget = 3};
  zr_sink *s;
  assert_int_equal(zr_sink_callback_new(slow_write, &ss, &s, NULL), ZR_OK);
  assert_int_equal(zr_sink_write(s, "abcdef", 6, NULL), ZR_WOULD_BLOCK);
  assert_int_equal(ss.len, 3);
  assert_int_equal(zr_sink_flush(s, NULL), ZR_WOULD_BLOCK);
  ss.budget = 100;
  assert_int_equal(zr_sink_flush(s, NULL), ZR_OK);
  assert_int_equal(zr_sink_write(s, "gh", 2, NULL), ZR_OK);
  assert_int_equal(ss.len, 8);
  assert_memory_equal(ss.got, "abcdefgh", 8);
  assert_int_equal(zr_sink_size(s), 8);
  zr_sink_free(s);
}

static void test_fd_pipe(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  zr_sink *s;
  assert_int_equal(zr_sink_fd_new(fds[1], &s, NULL), ZR_OK);
  assert_int_equal(zr_sink_write(s, "pipe!", 5, NULL), ZR_OK);
  assert_int_equal(zr_sink_flush(s, NULL), ZR_OK);
  zr_sink_free(s);
  close(fds[1]);
  zr_source *src;
  assert_int_equal(zr_source_fd_new(fds[0], &src, NULL), ZR_OK);
  char buf[16];
  size_t got;
  assert_int_equal(zr_source_read(src, buf, sizeof buf, &got, NULL), ZR_OK);
  assert_int_equal(got, 5);
  assert_memory_equal(buf, "pipe!", 5);
  zr_source_free(src);
  close(fds[0]);
}

static zr_status cb_read(void *ud, void *buf, size_t cap, size_t *got) {
  int *left = ud;
  size_t n = cap < (size_t)*left ? cap : (size_t)*left;
  if (n > 3) n = 3; /* short reads */
  memset(buf, 'z', n);
  *left -= (int)n;
  *got = n;
  return ZR_OK;
}

static void test_callback_source(void **state) {
  (void)state;
  int left = 10;
  zr_source *src;
  assert_int_equal(zr_source_callback_new(cb_read, &left, &src, NULL), ZR_OK);
  const uint8_t *d;
  size_t n;
  assert_int_equal(zr_source_read_all(src, 0, &d, &n, NULL), ZR_OK);
  assert_int_equal(n, 10);
  zr_source_free(src);
  assert_int_equal(zr_source_memory_new(NULL, 5, &src, NULL), ZR_ERR_INVALID_ARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_memory_sink),         cmocka_unit_test(test_fixed_sink),
      cmocka_unit_test(test_file_sink_atomic),    cmocka_unit_test(test_callback_sink_would_block),
      cmocka_unit_test(test_fd_pipe),             cmocka_unit_test(test_callback_source),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
