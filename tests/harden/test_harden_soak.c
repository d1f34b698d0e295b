/* Soak (ctest label "soak", not in `make test`): 8 threads of mixed workloads for 60 seconds
 * (ZR_SOAK_SECONDS overrides): serialize/deserialize through one shared context across formats
 * and codecs, direct format round trips, codec one-shot and streaming, and shared-memory regions
 * (create, put, publish, open, read, unlink). Every operation must succeed and give back what
 * went in; the resident set size (from /proc/self/statm), sampled every 250 ms, must stay bounded:
 * after the first quarter of the run it may not grow by more than 64 MiB (more under sanitizers,
 * whose quarantine holds freed blocks). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "harden.h"
#include "zerial/codec.h"
#include "zerial/serialize.h"
#include "zerial/shm.h"

#define THREADS 8

/* the sanitizers hold freed memory in quarantine (ASan: 256 MiB by default): allow for it */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GROWTH_KIB (384L * 1024)
#else
#define GROWTH_KIB (64L * 1024)
#endif

static zr_ctx *g_ctx;
static atomic_int g_stop;
static atomic_ulong g_ops, g_errors;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, rss = 0;
  if (fscanf(f, "%ld %ld", &size, &rss) != 2) rss = -1;
  fclose(f);
  return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void soak_fail(const char *what, zr_status st, const zr_error *err) {
  fprintf(stderr, "soak: %s: %s (%s)\n", what, zr_strerror(st), err ? err->message : "");
  atomic_fetch_add(&g_errors, 1);
}

/* what a format gives back for a value (formats map some kinds, e.g. pickle keys, JSON tuples):
 * decoded once per thread from an uncompressed, unframed encoding, then every compressed or
 * enveloped round trip through the shared context must equal it */
typedef struct refs {
  char names[12][32];
  zr_doc *doc[12][2];
  int n;
} refs;

static const zr_value *ref_for(refs *r, const char *format, int which, const zr_value *v) {
  int i;
  for (i = 0; i < r->n; i++)
    if (strcmp(r->names[i], format) == 0) break;
  if (i == r->n) {
    if (r->n == 12) return NULL;
    snprintf(r->names[r->n++], 32, "%s", format);
  }
  if (!r->doc[i][which]) {
    zr_serialize_opts so;
    zr_serialize_opts_init(&so);
    so.format = format;
    so.codec = "none";
    so.envelope = 0;
    zr_sink *s = NULL;
    zr_error err;
    zr_status st = zr_sink_memory_new(NULL, &s, &err);
    if (st == ZR_OK) st = zr_serialize(g_ctx, v, &so, s, NULL, &err);
    if (st == ZR_OK) {
      const uint8_t *b;
      size_t n;
      zr_sink_memory_data(s, &b, &n);
      zr_decode_opts o;
      zr_decode_opts_init(&o);
      o.copy = 1;
      st = zr_deserialize(g_ctx, b, n, &o, &r->doc[i][which], NULL, &err);
    }
    zr_sink_free(s);
    if (st != ZR_OK) {
      soak_fail("reference", st, &err);
      return NULL;
    }
  }
  return zr_doc_root(r->doc[i][which]);
}

static void op_manager(uint64_t *rng, refs *r, const zr_value *mixed, const zr_value *tensor) {
  static const char *formats[] = {"auto", "binary", "etf", "json", "pickle", "npy"};
  static const char *codecs[] = {"none", "lz4", "zstd", "gzip", "auto"};
  const char *f = formats[zr_test_rand(rng) % 6];
  int which = strcmp(f, "npy") == 0 ? 1 : (int)(zr_test_rand(rng) & 1);
  if (strcmp(f, "etf") == 0 || strcmp(f, "json") == 0) which = 0;
  const zr_value *v = which ? tensor : mixed;
  zr_serialize_opts so;
  zr_serialize_opts_init(&so);
  so.format = f;
  so.codec = codecs[zr_test_rand(rng) % 5];
  so.envelope = (int)(zr_test_rand(rng) & 1);
  zr_sink *s = NULL;
  zr_error err;
  zr_serialize_result res;
  zr_status st = zr_sink_memory_new(NULL, &s, &err);
  if (st == ZR_OK) st = zr_serialize(g_ctx, v, &so, s, &res, &err);
  if (st != ZR_OK) {
    soak_fail("serialize", st, &err);
  } else {
    const uint8_t *b;
    size_t n;
    zr_sink_memory_data(s, &b, &n);
    zr_doc *out = NULL;
    st = zr_deserialize(g_ctx, b, n, NULL, &out, NULL, &err);
    const zr_value *want = ref_for(r, res.format, which, v);
    if (st != ZR_OK) soak_fail("deserialize", st, &err);
    else if (want && !zr_value_equal(zr_doc_root(out), want)) soak_fail(res.format, ZR_ERR_INTERNAL, NULL);
    zr_doc_free(out);
  }
  zr_sink_free(s);
}

static void op_codec(uint64_t *rng, const uint8_t *raw, size_t n) {
  int id = 1 + (int)(zr_test_rand(rng) % 3);
  size_t cap = zr_codec_bound(id, n), clen = 0;
  uint8_t *c = malloc(cap);
  zr_error err;
  zr_status st = zr_codec_compress(id, 0, raw, n, c, cap, &clen, &err);
  if (st != ZR_OK) {
    soak_fail("compress", st, &err);
  } else {
    uint8_t *out = NULL;
    size_t m = 0;
    st = zr_codec_decompress_alloc(ZR_CODEC_DETECT, c, clen, n, NULL, &out, &m, &err);
    if (st != ZR_OK) soak_fail("decompress", st, &err);
    else if (m != n || memcmp(out, raw, n) != 0) soak_fail("decompress: bytes differ", ZR_ERR_INTERNAL, NULL);
    zr_free(out);
  }
  free(c);
}

static void op_shm(int tid, unsigned long iter, const zr_value *mixed, const zr_value *tensor) {
  char name[64];
  snprintf(name, sizeof name, "/zr_soak_%d_%d_%lu", (int)getpid(), tid, iter);
  zr_error err;
  zr_shm *w = NULL;
  zr_status st = zr_shm_create(name, NULL, &w, &err);
  if (st != ZR_OK) {
    soak_fail("shm create", st, &err);
    return;
  }
  st = zr_shm_put_value(w, "v", ZR_FORMAT_ID_BINARY, mixed, NULL, 0, &err);
  if (st == ZR_OK) st = zr_shm_put_tensor(w, "t", tensor->u.tensor, 0, &err);
  if (st == ZR_OK) st = zr_shm_publish(w, &err);
  zr_shm_close(w);
  if (st != ZR_OK) {
    soak_fail("shm write", st, &err);
  } else {
    zr_shm *r = NULL;
    st = zr_shm_open(name, ZR_SHM_VERIFY, NULL, &r, &err);
    if (st != ZR_OK) {
      soak_fail("shm open", st, &err);
    } else {
      zr_doc *d = NULL;
      st = zr_shm_get_value(r, "v", NULL, &d, &err);
      if (st != ZR_OK) soak_fail("shm get", st, &err);
      else if (!zr_value_equal(zr_doc_root(d), mixed)) soak_fail("shm: value differs", ZR_ERR_INTERNAL, NULL);
      zr_doc_free(d);
      zr_shm_close(r);
    }
  }
  zr_shm_unlink(name, NULL);
}

static void *worker(void *arg) {
  int tid = (int)(intptr_t)arg;
  uint64_t rng = 0x1234 + (uint64_t)tid;
  zr_doc *d = zr_doc_new(NULL);
  zr_value mixed = hz_mixed(d, 40 + tid * 10);
  double *td = malloc(sizeof(double) * 4096);
  for (int i = 0; i < 4096; i++) td[i] = (i % 17) * 0.25;
  zr_tensor t = hz_tensor(td, 4096);
  zr_value tensor = zr_tensor_value(d, &t);
  uint8_t *raw = malloc(1u << 16);
  for (size_t i = 0; i < (1u << 16); i++) raw[i] = (uint8_t)((i * 31) >> 5);
  refs r;
  memset(&r, 0, sizeof r);
  unsigned long iter = 0;
  while (!atomic_load(&g_stop)) {
    switch (zr_test_rand(&rng) % 8) {
      case 0: op_codec(&rng, raw, 1u << 16); break;
      case 1: op_shm(tid, iter, &mixed, &tensor); break;
      default: op_manager(&rng, &r, &mixed, &tensor); break;
    }
    iter++;
    atomic_fetch_add(&g_ops, 1);
  }
  for (int i = 0; i < r.n; i++) {
    zr_doc_free(r.doc[i][0]);
    zr_doc_free(r.doc[i][1]);
  }
  free(raw);
  free(td);
  zr_doc_free(d);
  return NULL;
}

static void test_soak(void **state) {
  (void)state;
  double secs = 60;
  const char *e = getenv("ZR_SOAK_SECONDS");
  if (e && atof(e) > 0) secs = atof(e);
  assert_int_equal(zr_ctx_new(NULL, &g_ctx, NULL), ZR_OK);
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i), 0);
  double t0 = now_s();
  long base = -1, peak = 0, first = rss_kib();
  while (now_s() - t0 < secs) {
    usleep(250000);
    long r = rss_kib();
    if (r > peak) peak = r;
    if (base < 0 && now_s() - t0 >= secs / 4) base = r;
  }
  atomic_store(&g_stop, 1);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  long last = rss_kib();
  printf("soak: %.1f s, %lu operations, %lu errors; RSS KiB: start %ld, after warm-up %ld, peak %ld, end %ld\n",
         now_s() - t0, atomic_load(&g_ops), atomic_load(&g_errors), first, base, peak, last);
  zr_ctx_free(g_ctx);
  assert_int_equal(atomic_load(&g_errors), 0);
  assert_true(atomic_load(&g_ops) > THREADS);
  assert_true(base > 0);
  assert_true(peak - base < GROWTH_KIB);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_soak)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
