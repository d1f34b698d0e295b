/* 8 threads serialize and deserialize through one context while the main thread reloads the
 * configuration (file and settings) in the middle; every round trip must succeed and match.
 * Runs under ThreadSanitizer with `make test-tsan` (label thread). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "zr_test.h"
#include "mock_formats.h"

#define THREADS 8
#define ITERS 60

static zr_ctx *g_ctx;
static atomic_int g_failures, g_done, g_started, g_logs;

static zr_value make_value(zr_doc *d, int kind, int i) {
  switch (kind % 4) {
    case 0: {
      zr_value l = zr_list_new(d, 40);
      for (int r = 0; r < 40; r++) {
        zr_value m = zr_map_new(d, 2);
        zr_map_put_cstr(d, &m, "id", zr_int(r + i));
        zr_map_put_cstr(d, &m, "name", zr_cstr_ref("some repeated text to compress"));
        zr_list_push(d, &l, m);
      }
      return l;
    }
    case 1: {
      zr_value l = zr_list_new(d, 500);
      for (int r = 0; r < 500; r++) zr_list_push(d, &l, zr_float(r * 0.5 + i));
      return l;
    }
    case 2: return zr_cstr_ref("a string");
    default: {
      zr_value l = zr_list_new(d, 3);
      zr_list_push(d, &l, zr_int(i));
      zr_list_push(d, &l, zr_cstr_ref("x"));
      zr_list_push(d, &l, zr_null());
      return l;
    }
  }
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  atomic_fetch_add(&g_started, 1);
  for (int i = 0; i < ITERS; i++) {
    zr_doc *d = zr_doc_new(NULL);
    zr_value v = make_value(d, id + i, i);
    zr_sink *s;
    zr_sink_memory_new(NULL, &s, NULL);
    zr_serialize_result r;
    zr_error err;
    zr_status st = zr_serialize(g_ctx, &v, NULL, s, &r, &err);
    if (st == ZR_OK) {
      const uint8_t *b;
      size_t n;
      zr_sink_memory_data(s, &b, &n);
      zr_doc *out;
      st = zr_deserialize(g_ctx, b, n, NULL, &out, NULL, &err);
      if (st == ZR_OK) {
        /* exact equality for the mock formats; built-in ones (json, etf, npz) may map kinds */
        int mock = !strcmp(r.format, "binary") || !strcmp(r.format, "arrow-stream") || !strcmp(r.format, "npy") ||
                   !strcmp(r.format, "pickle");
        if (mock && !zr_value_equal(zr_doc_root(out), &v)) {
          st = ZR_ERR_INTERNAL;
          snprintf(err.message, sizeof err.message, "round trip through %s differs", r.format);
        }
        zr_doc_free(out);
      }
    }
    if (st != ZR_OK) {
      fprintf(stderr, "thread %d iteration %d: %s\n", id, i, err.message);
      atomic_fetch_add(&g_failures, 1);
    }
    if (i % 10 == 0) {
      zr_decision dec;
      if (zr_explain(g_ctx, &v, NULL, &dec, NULL) != ZR_OK) atomic_fetch_add(&g_failures, 1);
    }
    zr_sink_free(s);
    zr_doc_free(d);
  }
  atomic_fetch_add(&g_done, 1);
  return NULL;
}

static void log_cb(void *ud, zr_log_level lvl, const char *event, const zr_log_field *f, size_t n) {
  (void)ud;
  (void)lvl;
  (void)event;
  (void)f;
  (void)n;
  atomic_fetch_add(&g_logs, 1);
}

static void test_reload_while_serializing(void **state) {
  (void)state;
  g_ctx = mock_ctx();
  assert_non_null(g_ctx);
  assert_int_equal(zr_ctx_set(g_ctx, "selection.learning", "true", NULL), ZR_OK); /* exercise the shared statistics */
  zr_ctx_set_log(g_ctx, log_cb, NULL);
  char paths[4][512];
  const char *bodies[4] = {
      "{\"compression\": {\"codec\": \"lz4\", \"min_size\": 0}}",
      "{\"compression\": {\"codec\": \"zstd\"}, \"selection\": {\"performance\": 0.2}}",
      "{\"compression\": {\"codec\": \"none\"}, \"envelope\": false}",
      "{\"compression\": {\"codec\": \"gzip\", \"level\": 1}, \"target\": \"python\"}",
  };
  for (int i = 0; i < 4; i++) {
    snprintf(paths[i], sizeof paths[i], "%s/reload%d.json", zr_test_tmpdir(), i);
    FILE *f = fopen(paths[i], "w");
    assert_non_null(f);
    fputs(bodies[i], f);
    fclose(f);
  }
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i), 0);
  while (atomic_load(&g_started) < THREADS) sched_yield();
  int reloads = 0;
  /* reload in the middle of the run, repeatedly, and change settings too */
  while (atomic_load(&g_done) < THREADS) {
    zr_error err;
    assert_int_equal(zr_ctx_reload(g_ctx, paths[reloads % 4], &err), ZR_OK);
    if (reloads % 3 == 0) assert_int_equal(zr_ctx_set(g_ctx, "selection.alpha", reloads % 2 ? "0.5" : "0.1", NULL), ZR_OK);
    if (reloads % 5 == 0) assert_int_equal(zr_ctx_reload(g_ctx, "/nonexistent.json", NULL), ZR_ERR_CONFIG);
    reloads++;
    zr_decision ds[4];
    size_t k;
    zr_ctx_decisions(g_ctx, ds, 4, &k);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  assert_int_equal(atomic_load(&g_failures), 0);
  assert_true(reloads >= 1);
  assert_true(atomic_load(&g_logs) > 0);
  zr_ctx_free(g_ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_reload_while_serializing)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
