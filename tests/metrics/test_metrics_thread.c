/* Metrics under threads: per-thread shards merged on read give exact totals, shards of exited
 * threads are adopted by new ones without losing counts, and scrapes run while threads count. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/zerial.h"
#include "zr_test.h"

#define THREADS 4
#define CALLS 150

static zr_ctx *ctx;
static zr_value value;

static void *worker(void *arg) {
  (void)arg;
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = "binary";
  o.codec = "none";
  for (int i = 0; i < CALLS; i++) {
    zr_sink *s;
    if (zr_sink_memory_new(NULL, &s, NULL) != ZR_OK) return (void *)1;
    zr_status st = zr_serialize(ctx, &value, &o, s, NULL, NULL);
    const uint8_t *d;
    size_t n;
    zr_doc *back = NULL;
    if (st == ZR_OK) zr_sink_memory_data(s, &d, &n);
    if (st == ZR_OK) st = zr_deserialize(ctx, d, n, NULL, &back, NULL, NULL);
    zr_doc_free(back);
    zr_sink_free(s);
    if (st != ZR_OK) return (void *)1;
  }
  return NULL;
}

static void *scraper(void *arg) {
  atomic_int *stop = arg;
  while (!atomic_load(stop)) {
    zr_sink *s;
    if (zr_sink_memory_new(NULL, &s, NULL) != ZR_OK) return (void *)1;
    zr_status st = zr_metrics_write_prometheus(s, NULL);
    zr_sink_free(s);
    if (st != ZR_OK) return (void *)1;
  }
  return NULL;
}

static void run_round(void) {
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, worker, NULL), 0);
  for (int i = 0; i < THREADS; i++) {
    void *rv;
    pthread_join(t[i], &rv);
    assert_null(rv);
  }
}

static void test_threads(void **state) {
  (void)state;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  zr_doc *d = zr_doc_new(NULL);
  value = zr_map_new(d, 2);
  zr_map_put_cstr(d, &value, "id", zr_int(7));
  zr_map_put_cstr(d, &value, "name", zr_cstr_ref("thread"));
  zr_metrics_set_enabled(1);
  zr_metrics_reset();
  atomic_int stop = 0;
  pthread_t sc;
  assert_int_equal(pthread_create(&sc, NULL, scraper, &stop), 0);
  run_round();
  run_round(); /* new threads adopt the shards of the exited ones */
  atomic_store(&stop, 1);
  void *rv;
  pthread_join(sc, &rv);
  assert_null(rv);
  zr_metrics_stats s;
  assert_int_equal(zr_metrics_get("binary", ZR_METRICS_SERIALIZE, &s), ZR_OK);
  assert_int_equal(s.calls, 2 * THREADS * CALLS);
  assert_int_equal(s.errors, 0);
  /* sampled 1 in 8 per thread over serialize and deserialize together (which of the two a timed
   * call falls on shifts when a slow call is timed at once): at least 1 in 8 of all calls */
  uint64_t timed = s.timed;
  assert_true(s.timed <= s.calls);
  assert_int_equal(zr_metrics_get("binary", ZR_METRICS_DESERIALIZE, &s), ZR_OK);
  assert_int_equal(s.calls, 2 * THREADS * CALLS);
  assert_true(s.timed <= s.calls);
  assert_true(timed + s.timed >= 2 * 2 * THREADS * CALLS / 8);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_threads)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
