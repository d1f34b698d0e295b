#include "zr_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *join(const char *env, const char *fallback, const char *rel) {
  static char buf[4096];
  const char *base = getenv(env);
  snprintf(buf, sizeof buf, "%s/%s", base ? base : fallback, rel);
  return buf;
}

const char *zr_test_src_path(const char *rel) { return join("ZR_SOURCE_DIR", ".", rel); }
const char *zr_test_shared_path(const char *rel) { return join("ZR_SHARED_DIR", "../shared", rel); }

uint8_t *zr_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
  size_t got = b ? fread(b, 1, (size_t)(n > 0 ? n : 0), f) : 0;
  fclose(f);
  if (len) *len = got;
  return b;
}

const char *zr_test_tmpdir(void) {
  static char dir[256];
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/zr_test_XXXXXX");
    if (!mkdtemp(dir)) snprintf(dir, sizeof dir, "/tmp");
  }
  return dir;
}

/* The counters are updated atomically: tests share one failing allocator with worker threads. */
static void *fa_malloc(void *ud, size_t n) {
  zr_test_failalloc *f = ud;
  uint64_t call = __atomic_add_fetch(&f->calls, 1, __ATOMIC_RELAXED);
  if (f->fail_at && call == f->fail_at) return NULL;
  void *p = malloc(n);
  if (p) __atomic_add_fetch(&f->live, 1, __ATOMIC_RELAXED);
  return p;
}
static void *fa_realloc(void *ud, void *p, size_t n) {
  zr_test_failalloc *f = ud;
  uint64_t call = __atomic_add_fetch(&f->calls, 1, __ATOMIC_RELAXED);
  if (f->fail_at && call == f->fail_at) return NULL;
  void *q = realloc(p, n);
  if (q && !p) __atomic_add_fetch(&f->live, 1, __ATOMIC_RELAXED);
  return q;
}
static void fa_free(void *ud, void *p) {
  zr_test_failalloc *f = ud;
  if (p) __atomic_sub_fetch(&f->live, 1, __ATOMIC_RELAXED);
  free(p);
}

void zr_test_failalloc_init(zr_test_failalloc *f, uint64_t fail_at) {
  memset(f, 0, sizeof *f);
  f->a.malloc_fn = fa_malloc;
  f->a.realloc_fn = fa_realloc;
  f->a.free_fn = fa_free;
  f->a.ud = f;
  f->fail_at = fail_at;
}

zr_status zr_test_sink_write(void *ud, const void *data, size_t len, size_t *written) {
  zr_test_sink *t = ud;
  t->calls++;
  *written = 0;
  if (t->fail_at && (t->calls == t->fail_at || (t->fail_from && t->calls > t->fail_at)))
    return t->code ? t->code : ZR_ERR_IO;
  size_t n = t->chunk && len > t->chunk ? t->chunk : len;
  if (t->keep && n) {
    if (t->len + n > t->cap) {
      size_t cap = (t->len + n) * 2;
      uint8_t *b = realloc(t->buf, cap);
      if (!b) return ZR_ERR_NOMEM;
      t->buf = b;
      t->cap = cap;
    }
    memcpy(t->buf + t->len, data, n);
  }
  t->len += n;
  *written = n;
  return n < len ? ZR_WOULD_BLOCK : ZR_OK;
}

unsigned zr_test_sink_sweep(const char *what, zr_test_write_fn fn, void *ud, zr_status code, const char *msg,
                            unsigned max_n) {
  unsigned failures = 0;
  for (unsigned n = 1;; n++) {
    zr_test_sink f;
    memset(&f, 0, sizeof f);
    f.fail_at = n;
    f.code = code;
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &f, &s, NULL), ZR_OK);
    zr_error e;
    zr_error_clear(&e);
    zr_status st = fn(ud, s, &e);
    if (st == ZR_OK) st = zr_sink_flush(s, &e);
    zr_sink_free(s);
    if (st == ZR_OK) {
      if (f.calls >= n) fail_msg("%s: write %u failed, the call succeeded", what, n);
      return failures;
    }
    if (st != code) fail_msg("%s: write %u fails: %s (%s)", what, n, zr_strerror(st), e.message);
    assert_string_equal(e.message, msg);
    failures++;
    assert_true(n < max_n);
  }
}

uint64_t zr_test_failalloc_sweep(const char *what, zr_test_alloc_fn fn, void *ud, uint64_t max_n, unsigned flags) {
  for (uint64_t n = 1; n < max_n; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_error err;
    zr_error_clear(&err);
    zr_status st = fn(ud, &fa.a, (flags & ZR_TEST_FA_NO_ERR) ? NULL : &err);
    if (fa.live != 0) fail_msg("%s: fail_at %llu leaks %lld blocks", what, (unsigned long long)n, (long long)fa.live);
    if (st == ZR_OK) return n;
    if (st != ZR_ERR_NOMEM && !(st == ZR_ERR_LIMIT && (flags & ZR_TEST_FA_LIMIT)))
      fail_msg("%s: fail_at %llu: %s (%s)", what, (unsigned long long)n, zr_strerror(st), err.message);
    if (!(flags & (ZR_TEST_FA_NO_ERR | ZR_TEST_FA_ANY_ERR))) {
      if (err.code != st) fail_msg("%s: fail_at %llu: error record not filled", what, (unsigned long long)n);
      assert_true(err.message[0] != 0);
    }
  }
  fail_msg("%s: no success below fail_at %llu", what, (unsigned long long)max_n);
  return max_n;
}
