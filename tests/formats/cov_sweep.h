/* Fault sweeps shared by the format coverage tests (tests/<format>/test_cov_*.c include this file
 * as "../formats/cov_sweep.h"):
 *
 * - cs_decode_sweep: a decoder under a failing allocator (every allocation, both copy modes),
 *   every truncation, single-byte corruption at every position, and tight limits. A decode
 *   either succeeds (the doc is freed) or fails with a negative code, the error record filled,
 *   the byte offset within the input, and nothing leaked.
 * - cs_encode_sweep: an encoder under a failing allocator (scratch and memory sink), into a fixed
 *   sink too small at every length, and into a callback sink whose n-th write fails: each failure
 *   is the expected code, and the bytes of the one that succeeds equal the reference encoding.
 *
 * The sweeps are generic over a decode or encode callback, so every format and every option set
 * goes through the same checks. */
#ifndef ZR_COV_SWEEP_H
#define ZR_COV_SWEEP_H
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/format.h"

typedef zr_status (*cs_dec_fn)(void *ud, const uint8_t *data, size_t len, const zr_decode_opts *o, zr_doc **out,
                               zr_error *err);
typedef zr_status (*cs_enc_fn)(void *ud, const zr_value *v, const zr_encode_opts *o, zr_sink *sink, zr_error *err);

/* decode through a zr_format vtable (ud = the format) */
static inline zr_status cs_fmt_decode(void *ud, const uint8_t *data, size_t len, const zr_decode_opts *o,
                                      zr_doc **out, zr_error *err) {
  const zr_format *f = ud;
  return f->decode(data, len, o, out, err);
}
static inline zr_status cs_fmt_encode(void *ud, const zr_value *v, const zr_encode_opts *o, zr_sink *sink,
                                      zr_error *err) {
  const zr_format *f = ud;
  return f->encode(v, o, sink, err);
}

typedef struct cs_stats {
  unsigned long decodes, ok, failed, no_offset;
} cs_stats;
static cs_stats cs_total;
/* Offsets may go up to this instead of the input length (0: the input length). Compressed ETF
 * terms report offsets inside the inflated term (documented in etf_decode.c). */
static int64_t cs_offset_limit;
/* how many truncations and corrupted positions a sweep tries at most (long inputs are sampled) */
static size_t cs_budget_trunc = 1500, cs_budget_corrupt = 1000;
/* Under AddressSanitizer or ThreadSanitizer every decode costs far more (shadow memory, arena
 * poisoning, quarantine): the sweeps sample CS_SCALE times fewer positions there, so the suites
 * stay fast; the coverage build runs them in full. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CS_SCALE 30
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CS_SCALE 30
#endif
#endif
#ifndef CS_SCALE
#define CS_SCALE 1
#endif

/* With COV_SWEEP_TRACE=file, a crash (SIGSEGV, SIGBUS, SIGABRT from a sanitizer) writes the input
 * of the decode in progress to that file. */
static const uint8_t *volatile cs_cur;
static volatile size_t cs_cur_len;
static inline void cs_crash(int sig) {
  const char *p = getenv("COV_SWEEP_TRACE");
  if (p && cs_cur) {
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t w = write(fd, (const void *)cs_cur, cs_cur_len);
      (void)w;
      close(fd);
    }
  }
  signal(sig, SIG_DFL);
  raise(sig);
}
/* after a test failed inside a decode (cmocka catches the signal and jumps out): keep its input */
static inline void cs_dump_unfinished(void) {
  const char *p = getenv("COV_SWEEP_TRACE");
  if (!p || !cs_cur) return;
  FILE *f = fopen(p, "wb");
  if (f) {
    fwrite((const void *)cs_cur, 1, cs_cur_len, f);
    fclose(f);
  }
  fprintf(stderr, "input of the unfinished decode (%zu bytes) written to %s\n", (size_t)cs_cur_len, p);
}
static inline void cs_trace_crashes(void) {
  if (!getenv("COV_SWEEP_TRACE")) return;
  signal(SIGSEGV, cs_crash);
  signal(SIGBUS, cs_crash);
  signal(SIGABRT, cs_crash);
}

/* one decode of possibly hostile bytes: OK, or a filled error with an offset inside the input */
static inline zr_status cs_decode_once(const char *what, cs_dec_fn fn, void *ud, const uint8_t *data, size_t len,
                                       const zr_decode_opts *o) {
  zr_doc *d = NULL;
  zr_error err;
  zr_error_clear(&err);
  /* a private copy, so reads past @p len are caught by ASan */
  uint8_t *copy = malloc(len ? len : 1);
  if (len) memcpy(copy, data, len);
  cs_cur = copy;
  cs_cur_len = len;
  zr_status st = fn(ud, copy, len, o, &d, &err);
  cs_cur = NULL;
  cs_total.decodes++;
  if (st == ZR_OK) {
    cs_total.ok++;
    assert_non_null(d);
    zr_doc_free(d);
  } else {
    cs_total.failed++;
    int64_t lim = cs_offset_limit ? cs_offset_limit : (int64_t)len;
    if (st >= 0 || err.code != st || err.message[0] == 0 || err.offset < -1 || err.offset > lim) {
      fprintf(stderr, "%s (len %zu): status %d (%s), error record code %d offset %lld: %s\n", what, len, st,
              zr_strerror(st), err.code, (long long)err.offset, err.message);
    }
    assert_true(st < 0);
    assert_int_equal(err.code, st);
    assert_true(err.message[0] != 0);
    assert_true(err.offset >= -1 && err.offset <= lim);
    if (err.offset < 0) cs_total.no_offset++;
    assert_null(d);
  }
  free(copy);
  return st;
}

static inline size_t cs_step(size_t len, size_t budget) {
  budget = budget / CS_SCALE ? budget / CS_SCALE : 1;
  return len <= budget ? 1 : (len + budget - 1) / budget;
}

/* Failing allocator at every n for a valid input; then truncations, corruptions and limits. */
static inline void cs_decode_sweep(const char *what, cs_dec_fn fn, void *ud, const uint8_t *data, size_t len,
                                   const zr_decode_opts *base) {
  zr_decode_opts o;
  if (base) o = *base;
  else zr_decode_opts_init(&o);
  /* reference */
  zr_doc *ref = NULL;
  zr_error err;
  zr_status st = fn(ud, data, len, &o, &ref, &err);
  if (st != ZR_OK) fprintf(stderr, "%s: reference decode: %s\n", what, err.message);
  assert_int_equal(st, ZR_OK);
  /* failing allocator (under ASan: the copying mode only, which allocates the most) */
  for (int copy = CS_SCALE > 1 ? 1 : 0; copy < 2; copy++) {
    int ok = 0;
    for (uint64_t k = 1; k < 100000 && !ok; k++) {
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, k);
      zr_decode_opts fo = o;
      fo.alloc = &fa.a;
      fo.copy = copy;
      zr_doc *d = NULL;
      zr_error_clear(&err);
      st = fn(ud, data, len, &fo, &d, &err);
      if (st == ZR_OK) {
        ok = 1;
        assert_true(zr_value_equal(zr_doc_root(d), zr_doc_root(ref)));
        zr_doc_free(d);
      } else {
        if (st != ZR_ERR_NOMEM && st != ZR_ERR_LIMIT)
          fprintf(stderr, "%s: fail_at %llu copy %d: %s (%s)\n", what, (unsigned long long)k, copy, zr_strerror(st),
                  err.message);
        assert_true(st == ZR_ERR_NOMEM || st == ZR_ERR_LIMIT);
        assert_int_equal(err.code, st);
        assert_null(d);
      }
      if (fa.live != 0) fprintf(stderr, "%s: fail_at %llu copy %d leaks %lld\n", what, (unsigned long long)k, copy, (long long)fa.live);
      assert_int_equal(fa.live, 0);
    }
    assert_true(ok);
  }
  zr_doc_free(ref);
  /* truncation at every length */
  size_t step = cs_step(len, cs_budget_trunc);
  for (size_t n = 0; n < len; n += (n < 64 / CS_SCALE ? 1 : step)) cs_decode_once(what, fn, ud, data, n, &o);
  /* single-byte corruption at every position */
  uint8_t *buf = malloc(len ? len : 1);
  memcpy(buf, data, len);
  static const uint8_t xors[] = {0xff, 0x01, 0x80, 0x10};
  step = cs_step(len, cs_budget_corrupt);
  for (size_t i = 0; i < len; i += step) {
    uint8_t orig = buf[i];
    for (size_t x = 0; x < sizeof xors; x++) {
      buf[i] = (uint8_t)(orig ^ xors[x]);
      cs_decode_once(what, fn, ud, buf, len, &o);
    }
    buf[i] = 0;
    if (orig != 0) cs_decode_once(what, fn, ud, buf, len, &o);
    buf[i] = orig;
  }
  free(buf);
  /* limits */
  for (uint32_t depth = 1; depth <= 4; depth++) {
    zr_decode_opts lo = o;
    lo.max_depth = depth;
    cs_decode_once(what, fn, ud, data, len, &lo);
  }
  for (uint64_t el = 1; el <= 64; el *= 4) {
    zr_decode_opts lo = o;
    lo.max_elements = el;
    cs_decode_once(what, fn, ud, data, len, &lo);
  }
  for (uint64_t by = 16; by <= 65536; by *= 4) {
    zr_decode_opts lo = o;
    lo.max_bytes = by;
    cs_decode_once(what, fn, ud, data, len, &lo);
    lo.copy = 1;
    cs_decode_once(what, fn, ud, data, len, &lo);
  }
  for (int pol = ZR_DUP_ERROR; pol <= ZR_DUP_LAST; pol++) {
    zr_decode_opts lo = o;
    lo.dup_keys = (zr_dup_policy)pol;
    lo.validate_utf8 = 0;
    cs_decode_once(what, fn, ud, data, len, &lo);
  }
}

/* Truncations and corruptions only (inputs a decoder may refuse). */
static inline void cs_decode_hostile(const char *what, cs_dec_fn fn, void *ud, const uint8_t *data, size_t len) {
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  cs_decode_once(what, fn, ud, data, len, &o);
  size_t step = cs_step(len, cs_budget_trunc);
  for (size_t n = 0; n < len; n += (n < 64 / CS_SCALE ? 1 : step)) cs_decode_once(what, fn, ud, data, n, &o);
  uint8_t *buf = malloc(len ? len : 1);
  memcpy(buf, data, len);
  step = cs_step(len, cs_budget_corrupt);
  for (size_t i = 0; i < len; i += step) {
    uint8_t orig = buf[i];
    buf[i] = (uint8_t)(orig ^ 0xff);
    cs_decode_once(what, fn, ud, buf, len, &o);
    buf[i] = (uint8_t)(orig ^ 0x01);
    cs_decode_once(what, fn, ud, buf, len, &o);
    buf[i] = orig;
  }
  free(buf);
}

/* The whole sweep when @p data decodes with default options, the hostile part otherwise. */
static inline void cs_decode_any(const char *what, cs_dec_fn fn, void *ud, const uint8_t *data, size_t len) {
  zr_doc *out = NULL;
  if (fn(ud, data, len, NULL, &out, NULL) == ZR_OK) {
    zr_doc_free(out);
    cs_decode_sweep(what, fn, ud, data, len, NULL);
  } else {
    cs_decode_hostile(what, fn, ud, data, len);
  }
}

/* ------------------------------------------------------------------ encoders */

/* Encode @p v to memory; returns malloc'd bytes (NULL + status on failure). */
static inline zr_status cs_encode_mem(cs_enc_fn fn, void *ud, const zr_value *v, const zr_encode_opts *eo,
                                      uint8_t **out, size_t *len, zr_error *err) {
  zr_sink *s = NULL;
  zr_status st = zr_sink_memory_new(NULL, &s, err);
  if (st != ZR_OK) return st;
  st = fn(ud, v, eo, s, err);
  if (st == ZR_OK) st = zr_sink_finish(s, err);
  *out = NULL;
  *len = 0;
  if (st == ZR_OK) {
    const uint8_t *b;
    zr_sink_memory_data(s, &b, len);
    *out = malloc(*len ? *len : 1);
    memcpy(*out, b, *len);
  }
  zr_sink_free(s);
  return st;
}

/* The encoder's failure paths for one value and option set. Returns the reference bytes
 * (malloc'd; the caller frees) and their length. */
static inline uint8_t *cs_encode_sweep(const char *what, cs_enc_fn fn, void *ud, const zr_value *v,
                                       const zr_encode_opts *base, size_t *out_len) {
  zr_encode_opts eo;
  if (base) eo = *base;
  else memset(&eo, 0, sizeof eo);
  uint8_t *ref = NULL;
  size_t len = 0;
  zr_error err;
  zr_error_clear(&err);
  zr_status st = cs_encode_mem(fn, ud, v, &eo, &ref, &len, &err);
  if (st != ZR_OK) fprintf(stderr, "%s: reference encode: %s (%s at %s)\n", what, zr_strerror(st), err.message, err.path);
  assert_int_equal(st, ZR_OK);
  /* failing allocator: scratch memory and the memory sink */
  int ok = 0;
  for (uint64_t k = 1; k < 100000 && !ok; k++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, k);
    zr_sink *s = NULL;
    if (zr_sink_memory_new(&fa.a, &s, NULL) != ZR_OK) continue;
    zr_encode_opts fo = eo;
    fo.alloc = &fa.a;
    zr_error_clear(&err);
    st = fn(ud, v, &fo, s, &err);
    if (st == ZR_OK) st = zr_sink_finish(s, &err);
    if (st == ZR_OK) {
      ok = 1;
      const uint8_t *b;
      size_t n;
      zr_sink_memory_data(s, &b, &n);
      assert_int_equal(n, len);
      assert_memory_equal(b, ref, len);
    } else {
      if (st != ZR_ERR_NOMEM) fprintf(stderr, "%s: encode fail_at %llu: %s (%s)\n", what, (unsigned long long)k, zr_strerror(st), err.message);
      assert_int_equal(st, ZR_ERR_NOMEM);
      if (err.code != st) fprintf(stderr, "%s: encode fail_at %llu: error record not filled\n", what, (unsigned long long)k);
      assert_int_equal(err.code, st);
    }
    zr_sink_free(s);
    if (fa.live != 0) fprintf(stderr, "%s: encode fail_at %llu leaks %lld\n", what, (unsigned long long)k, (long long)fa.live);
    assert_int_equal(fa.live, 0);
  }
  assert_true(ok);
  /* a fixed sink too small at every length */
  uint8_t *mem = malloc(len ? len : 1);
  size_t step = cs_step(len, 800);
  for (size_t cap = 0; cap < len; cap += (cap < 64 / CS_SCALE ? 1 : step)) {
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_fixed_new(mem, cap, &s, NULL), ZR_OK);
    zr_error_clear(&err);
    st = fn(ud, v, &eo, s, &err);
    if (st == ZR_OK) st = zr_sink_finish(s, &err);
    if (st != ZR_ERR_NOSPACE) fprintf(stderr, "%s: fixed sink of %zu/%zu: %s (%s)\n", what, cap, len, zr_strerror(st), err.message);
    assert_int_equal(st, ZR_ERR_NOSPACE);
    assert_int_equal(err.code, st);
    zr_sink_free(s);
  }
  {
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_fixed_new(mem, len, &s, NULL), ZR_OK);
    st = fn(ud, v, &eo, s, NULL);
    if (st == ZR_OK) st = zr_sink_finish(s, NULL);
    assert_int_equal(st, ZR_OK);
    const uint8_t *b;
    size_t n;
    zr_sink_memory_data(s, &b, &n);
    assert_int_equal(n, len);
    assert_memory_equal(b, ref, len);
    zr_sink_free(s);
  }
  free(mem);
  /* a callback sink failing its n-th write */
  zr_test_sink cb;
  memset(&cb, 0, sizeof cb);
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &cb, &s, NULL), ZR_OK);
  st = fn(ud, v, &eo, s, NULL);
  if (st == ZR_OK) st = zr_sink_finish(s, NULL);
  assert_int_equal(st, ZR_OK);
  assert_int_equal(cb.len, len);
  zr_sink_free(s);
  unsigned long calls = cb.calls;
  step = cs_step(calls, 400);
  for (unsigned long n = 1; n <= calls; n += step) {
    memset(&cb, 0, sizeof cb);
    cb.fail_at = n;
    assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &cb, &s, NULL), ZR_OK);
    zr_error_clear(&err);
    st = fn(ud, v, &eo, s, &err);
    if (st == ZR_OK) st = zr_sink_finish(s, &err);
    if (st != ZR_ERR_IO) fprintf(stderr, "%s: write %lu/%lu fails: %s (%s)\n", what, n, calls, zr_strerror(st), err.message);
    assert_int_equal(st, ZR_ERR_IO);
    zr_sink_free(s);
  }
  if (out_len) *out_len = len;
  return ref;
}

/* encode, then the decode sweep over the bytes */
static inline void cs_roundtrip_sweep(const char *what, const zr_format *f, const zr_value *v, const zr_encode_opts *eo) {
  size_t len = 0;
  uint8_t *b = cs_encode_sweep(what, cs_fmt_encode, (void *)f, v, eo, &len);
  cs_decode_sweep(what, cs_fmt_decode, (void *)f, b, len, NULL);
  if (f->inspect) {
    /* inspect: valid, truncated */
    size_t step = cs_step(len, 300);
    for (size_t n = 0; n <= len; n += step) {
      zr_sink *s = NULL;
      assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
      zr_error err;
      zr_error_clear(&err);
      zr_status st = f->inspect(b, n, s, &err);
      if (n == len && st != ZR_OK) fprintf(stderr, "%s: inspect: %s\n", what, err.message);
      if (n == len) assert_int_equal(st, ZR_OK);
      else if (st != ZR_OK) assert_int_equal(err.code, st);
      zr_sink_free(s);
    }
  }
  free(b);
}

static inline void cs_report(const char *what) {
  fprintf(stderr, "%s: %lu decodes, %lu ok, %lu failed (%lu without a byte offset)\n", what, cs_total.decodes,
          cs_total.ok, cs_total.failed, cs_total.no_offset);
}

/* ------------------------------------------------------------------ corpus files */

static inline int cs_is_named(const char *n) {
  size_t l = strlen(n);
  if (l != 40) return 1;
  for (size_t i = 0; i < l; i++)
    if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f'))) return 1;
  return 0;
}

static inline int cs_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* the named (not fuzzer-generated) files of a corpus folder, sorted */
static inline size_t cs_list_named(const char *dir, char **names, size_t cap) {
  DIR *d = opendir(zr_test_src_path(dir));
  assert_non_null(d);
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < cap)
    if (e->d_name[0] != '.' && cs_is_named(e->d_name)) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, cs_cmp_str);
  return n;
}

static inline uint8_t *cs_load(const char *dir, const char *name, size_t *len) {
  char rel[512];
  snprintf(rel, sizeof rel, "%s/%s", dir, name);
  uint8_t *b = zr_test_read_file(zr_test_src_path(rel), len);
  assert_non_null(b);
  return b;
}

/* Each named file of a corpus folder (there must be at least @p min), every @p step-th one, handed
 * to @p fn with its bytes, its name, its index and "<prefix> <name>" for messages. */
typedef void (*cs_file_fn)(void *ud, const char *what, const char *name, size_t i, const uint8_t *data, size_t len);
static inline void cs_corpus_each(const char *dir, const char *prefix, size_t min, size_t step, cs_file_fn fn,
                                  void *ud) {
  enum { CS_CORPUS_CAP = 1024 };
  char **names = calloc(CS_CORPUS_CAP, sizeof *names);
  assert_non_null(names);
  size_t n = cs_list_named(dir, names, CS_CORPUS_CAP);
  assert_true(n >= min);
  for (size_t i = 0; i < n; i += step) {
    size_t len;
    uint8_t *b = cs_load(dir, names[i], &len);
    char what[256];
    snprintf(what, sizeof what, "%s %s", prefix, names[i]);
    fn(ud, what, names[i], i, b, len);
    free(b);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* inspect of possibly hostile bytes (when the format has it): OK, or a filled error record */
static inline void cs_inspect_any(const zr_format *f, const uint8_t *data, size_t len) {
  if (!f->inspect) return;
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error err;
  zr_status st = f->inspect(data, len, s, &err);
  if (st != ZR_OK) assert_int_equal(err.code, st);
  zr_sink_free(s);
}

/* how many truncations and corruptions the sweeps try (cs_budgets_reset: the defaults) */
static inline void cs_budgets(size_t trunc, size_t corrupt) {
  cs_budget_trunc = trunc;
  cs_budget_corrupt = corrupt;
}
static inline void cs_budgets_reset(void) { cs_budgets(1500, 1000); }

#endif
