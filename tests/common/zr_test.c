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
