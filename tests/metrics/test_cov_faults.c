/* Fault sweeps over the metrics and health outputs: the exposition, the health report as JSON and
 * the HTTP handler written through sinks that fail their n-th write (the error comes back as
 * given, with the sink's message) or whose allocator fails its n-th allocation (ZR_ERR_NOMEM),
 * and zr_ctx_share() under a failing context allocator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zerial/metrics.h"
#include "zerial/serialize.h"
#include "zerial/shm.h"
#include "zr_test.h"

static zr_status w_prom(void *ud, zr_sink *s, zr_error *err) {
  (void)ud;
  return zr_metrics_write_prometheus(s, err);
}
static zr_status w_health(void *ud, zr_sink *s, zr_error *err) { return zr_health_write_json(ud, s, err); }
static zr_status w_decision(void *ud, zr_sink *s, zr_error *err) {
  zr_status st = zr_decision_write(ud, 1, s, err);
  if (st == ZR_OK) st = zr_decision_write(ud, 0, s, err);
  return st;
}

/* every write position fails once (callback sink), every allocation fails once (memory sink) */
static void sweep_writer(const char *name, zr_test_write_fn fn, void *ud) {
  zr_test_sink ref;
  memset(&ref, 0, sizeof ref);
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &ref, &s, NULL), ZR_OK);
  zr_error e;
  assert_int_equal(fn(ud, s, &e), ZR_OK);
  assert_int_equal(zr_sink_flush(s, &e), ZR_OK);
  zr_sink_free(s);
  assert_true(ref.len > 0);
  zr_test_sink_sweep(name, fn, ud, ZR_ERR_IO, "sink callback failed: input/output error", 100000);
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    assert_int_equal(zr_sink_memory_new(&fa.a, &s, NULL), ZR_OK);
    zr_error_clear(&e);
    zr_status st = fn(ud, s, &e);
    const uint8_t *b;
    size_t len = 0;
    if (st == ZR_OK) zr_sink_memory_data(s, &b, &len);
    zr_sink_free(s);
    assert_int_equal(fa.live, 0);
    if (st == ZR_OK) {
      if (fa.calls >= n) fail_msg("%s: allocation %llu failed, the call succeeded", name, (unsigned long long)n);
      assert_int_equal(len, ref.len);
      break;
    }
    assert_int_equal(st, ZR_ERR_NOMEM);
    assert_true(e.message[0] != '\0');
    assert_true(n < 10000);
  }
}

static void test_outputs(void **state) {
  (void)state;
  zr_metrics_set_enabled(1);
  zr_metrics_reset();
  zr_ctx *ctx = NULL;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_list_new(d, 0);
  for (int i = 0; i < 20; i++) zr_list_push(d, &v, zr_int(i));
  /* some traffic of several formats, codecs and an error, so that every family has series */
  static const char *const fmts[] = {"binary", "json", "etf", "npy"};
  for (int i = 0; i < 4; i++) {
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    zr_serialize_opts o;
    zr_serialize_opts_init(&o);
    o.format = fmts[i];
    o.codec = i & 1 ? "zstd" : "none";
    o.envelope = i & 1;
    zr_status st = zr_serialize(ctx, &v, &o, s, NULL, NULL);
    if (st == ZR_OK) {
      const uint8_t *b;
      size_t n;
      zr_sink_memory_data(s, &b, &n);
      zr_doc *back = NULL;
      assert_int_equal(zr_deserialize(ctx, b, n, NULL, &back, NULL, NULL), ZR_OK);
      zr_doc_free(back);
    }
    zr_sink_free(s);
  }
  zr_doc *bad = NULL;
  assert_int_not_equal(zr_deserialize(ctx, (const uint8_t *)"\x01\x02garbage", 9, NULL, &bad, NULL, NULL), ZR_OK);
  sweep_writer("prometheus", w_prom, NULL);
  zr_health_report rep;
  memset(&rep, 0, sizeof rep);
  rep.status = ZR_HEALTH_DEGRADED;
  rep.n_checks = 3;
  snprintf(rep.checks[0].name, sizeof rep.checks[0].name, "codec.zstd");
  snprintf(rep.checks[0].message, sizeof rep.checks[0].message, "round trip of 4096 bytes");
  snprintf(rep.checks[1].name, sizeof rep.checks[1].name, "shm");
  rep.checks[1].status = ZR_HEALTH_DEGRADED;
  snprintf(rep.checks[1].message, sizeof rep.checks[1].message, "no \"shm\"\n\there");
  snprintf(rep.checks[2].name, sizeof rep.checks[2].name, "registry");
  rep.checks[2].status = ZR_HEALTH_SKIPPED;
  sweep_writer("health", w_health, &rep);
  zr_decision dec;
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  assert_int_equal(zr_explain(ctx, &v, &o, &dec, NULL), ZR_OK);
  sweep_writer("decision", w_decision, &dec);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* zr_ctx_share() with every allocation of the context failing once */
static void test_share_sweep(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_list_new(d, 0);
  for (int i = 0; i < 50; i++) zr_list_push(d, &v, i % 2 ? zr_int(i * 1000) : zr_cstr_ref("shared"));
  char region[64];
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_ctx *ctx = NULL;
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_ctx_new_isolated(&fa.a, &ctx, &e);
    snprintf(region, sizeof region, "/zr-cov-share-%d-%llu", (int)getpid(), (unsigned long long)n);
    zr_shared sh;
    memset(&sh, 0, sizeof sh);
    zr_serialize_opts so;
    zr_serialize_opts_init(&so);
    so.format = "binary";
    so.codec = "none";
    if (st == ZR_OK) st = zr_ctx_share(ctx, region, "v", &v, &so, &sh, &e);
    int ok = st == ZR_OK;
    if (ok) {
      assert_false(sh.in_memory);
      zr_shm *r = NULL;
      assert_int_equal(zr_shm_open(region, 0, NULL, &r, NULL), ZR_OK);
      zr_shm_object ob;
      assert_int_equal(zr_shm_find(r, "v", &ob, NULL), ZR_OK);
      zr_ctx *plain = NULL;
      assert_int_equal(zr_ctx_new_isolated(NULL, &plain, NULL), ZR_OK);
      zr_doc *back = NULL;
      assert_int_equal(zr_deserialize(plain, ob.data, ob.length, NULL, &back, NULL, NULL), ZR_OK);
      assert_true(zr_value_equal(zr_doc_root(back), &v));
      zr_ctx_free(plain);
      zr_doc_free(back);
      zr_shm_close(r);
      zr_shared_release(&sh);
    }
    zr_shm_unlink(region, NULL);
    zr_ctx_free(ctx);
    assert_int_equal(fa.live, 0);
    if (ok) {
      if (fa.calls >= n) continue; /* survived (e.g. a buffer not shrunk) */
      break;
    }
    if (st != ZR_ERR_NOMEM && st != ZR_ERR_LIMIT) fail_msg("share alloc %llu: %s (%s)", (unsigned long long)n, zr_strerror(st), e.message);
    assert_true(n < 10000);
  }
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_outputs), cmocka_unit_test(test_share_sweep)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
