/* Metrics: counts per format × operation, errors by code, bytes, latency and ratio histograms,
 * decisions, fallbacks, shared-memory gauges, the exposition text (checked by promtool when it is
 * installed), the HTTP handler, health checks and the fault-injected degradation paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/metrics_internal.h"
#include "zerial/zerial.h"
#include "zr_test_ser.h"

static char *prom_text(void) {
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_metrics_write_prometheus(s, NULL), ZR_OK);
  uint8_t *d;
  size_t n;
  zr_sink_memory_take(s, &d, &n, NULL);
  zr_sink_free(s);
  char *t = malloc(n + 1);
  memcpy(t, d, n);
  t[n] = 0;
  zr_free(d);
  return t;
}

static int setup(void **state) {
  (void)state;
  zr__fault_set(NULL);
  zr_metrics_set_enabled(1);
  zr_metrics_set_sampling(1);
  zr_metrics_reset();
  return 0;
}

static void test_counts(void **state) {
  (void)state;
  zr_ctx *ctx;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_test_records(d, 200);
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = "binary";
  o.codec = "zstd";
  size_t n;
  zr_serialize_result r;
  zr_status st;
  uint8_t *bytes = NULL;
  for (int i = 0; i < 3; i++) {
    zr_free(bytes);
    bytes = zr_test_ser_ok(ctx, &v, &o, &n, &r);
  }
  assert_string_equal(r.codec, "zstd");
  zr_doc *back;
  assert_int_equal(zr_deserialize(ctx, bytes, n, NULL, &back, NULL, NULL), ZR_OK);
  zr_doc_free(back);
  zr_sink *js;
  zr_sink_memory_new(NULL, &js, NULL);
  assert_int_equal(zr_inspect(ctx, bytes, n, js, NULL), ZR_OK);
  zr_sink_free(js);
  /* garbage: no format recognised */
  static const uint8_t junk[] = "\x01\x02\x03 certainly not a format";
  assert_int_equal(zr_deserialize(ctx, junk, sizeof junk, NULL, &back, NULL, NULL), ZR_ERR_FORMAT);

  zr_metrics_stats s;
  assert_int_equal(zr_metrics_get("binary", ZR_METRICS_SERIALIZE, &s), ZR_OK);
  assert_int_equal(s.calls, 3);
  assert_int_equal(s.errors, 0);
  assert_int_equal(s.bytes_in, 3 * r.encoded_bytes);
  assert_int_equal(s.bytes_out, 3 * r.total_bytes);
  assert_true(s.seconds > 0);
  assert_int_equal(s.timed, 3);
  assert_int_equal(zr_metrics_get("binary", ZR_METRICS_DESERIALIZE, &s), ZR_OK);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.bytes_in, n);
  assert_int_equal(s.bytes_out, r.encoded_bytes);
  assert_int_equal(zr_metrics_get("binary", ZR_METRICS_INSPECT, &s), ZR_OK);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.bytes_in, n);
  assert_int_equal(zr_metrics_get("unknown", ZR_METRICS_DESERIALIZE, &s), ZR_OK);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.errors, 1);
  assert_int_equal(zr_metrics_errors("unknown", ZR_METRICS_DESERIALIZE, ZR_ERR_FORMAT), 1);
  assert_int_equal(zr_metrics_get("no-such-format", ZR_METRICS_SERIALIZE, &s), ZR_ERR_NOT_FOUND);

  char *t = prom_text();
  assert_non_null(strstr(t, "# TYPE zerial_operations_total counter\n"));
  assert_non_null(strstr(t, "zerial_operations_total{format=\"binary\",op=\"serialize\"} 3\n"));
  assert_non_null(strstr(t, "zerial_errors_total{format=\"unknown\",op=\"deserialize\",code=\"ERR_FORMAT\"} 1\n"));
  assert_non_null(strstr(t, "zerial_operation_duration_seconds_count{format=\"binary\",op=\"serialize\"} 3\n"));
  assert_non_null(
      strstr(t, "zerial_operation_duration_seconds_bucket{format=\"binary\",op=\"serialize\",le=\"+Inf\"} 3\n"));
  assert_non_null(strstr(t, "zerial_compression_ratio_count{format=\"binary\",codec=\"zstd\"} 3\n"));
  assert_non_null(strstr(t, "zerial_format_decisions_total{format=\"binary\",codec=\"zstd\""));
  assert_non_null(strstr(t, "# TYPE zerial_shm_bytes gauge\n"));
  free(t);

  /* off: nothing counted */
  zr_metrics_set_enabled(0);
  zr_free(bytes);
  bytes = zr_test_ser(ctx, &v, &o, &n, &r, &st, NULL);
  zr_metrics_set_enabled(1);
  assert_int_equal(zr_metrics_get("binary", ZR_METRICS_SERIALIZE, &s), ZR_OK);
  assert_int_equal(s.calls, 3);
  /* reset */
  zr_metrics_reset();
  assert_int_equal(zr_metrics_get("binary", ZR_METRICS_SERIALIZE, &s), ZR_OK);
  assert_int_equal(s.calls, 0);
  zr_free(bytes);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* a format whose name needs escaping in label values */
static zr_status weird_encode(const zr_value *v, const zr_encode_opts *o, zr_sink *sink, zr_error *err) {
  (void)v;
  (void)o;
  return zr_sink_write(sink, "WEIRD", 5, err);
}
static zr_status weird_decode(const uint8_t *data, size_t len, const zr_decode_opts *o, zr_doc **out, zr_error *err) {
  (void)data;
  (void)len;
  (void)o;
  (void)out;
  return zr_error_set(err, ZR_ERR_MALFORMED, 0, "never");
}

static void test_escaping_and_promtool(void **state) {
  (void)state;
  static zr_format weird = {
      .name = "we\"ird\\fmt\nx", .id = 1999, .summary = "test", .encode = weird_encode, .decode = weird_decode};
  zr_ctx *ctx;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  assert_int_equal(zr_ctx_register_format(ctx, &weird, NULL), ZR_OK);
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = weird.name;
  o.codec = "none";
  zr_value v = zr_int(1);
  size_t n;
  zr_status st;
  zr_serialize_result r;
  uint8_t *b = zr_test_ser_ok(ctx, &v, &o, &n, &r);
  zr_free(b);
  /* an error by code on serialize: a format that does not exist (labelled unknown), and a value
   * a format cannot hold (labelled with that format) */
  o.format = "no-such-format";
  b = zr_test_ser(ctx, &v, &o, &n, &r, &st, NULL);
  assert_int_not_equal(st, ZR_OK);
  o.format = "npy";
  zr_value s1 = zr_cstr_ref("not an array");
  zr_test_ser_fail(ctx, &s1, &o, ZR_ERR_TYPE, NULL);
  assert_int_equal(zr_metrics_errors("npy", ZR_METRICS_SERIALIZE, ZR_ERR_TYPE), 1);
  char *t = prom_text();
  assert_non_null(strstr(t, "zerial_operations_total{format=\"we\\\"ird\\\\fmt\\nx\",op=\"serialize\"} 1\n"));
  /* promtool, when installed (scripts/install-deps.sh installs it), must accept the text */
  if (system("command -v promtool >/dev/null 2>&1") == 0) {
    char path[512];
    snprintf(path, sizeof path, "%s/metrics-%ld.prom", zr_test_tmpdir(), (long)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(t, f);
    fclose(f);
    char cmdline[1100];
    snprintf(cmdline, sizeof cmdline, "promtool check metrics < '%s'", path);
    int rc = system(cmdline);
    unlink(path);
    assert_int_equal(rc, 0);
  } else {
    fprintf(stderr, "promtool not installed: exposition not checked by promtool here\n");
  }
  free(t);
  zr_ctx_free(ctx);
}

typedef struct logrec {
  int codec_fallback, shm_fallback;
} logrec;
static void on_log(void *ud, zr_log_level lvl, const char *event, const zr_log_field *f, size_t n) {
  (void)f;
  (void)n;
  logrec *l = ud;
  if (lvl == ZR_LOG_WARN && strcmp(event, "codec.fallback") == 0) l->codec_fallback++;
  if (lvl == ZR_LOG_WARN && strcmp(event, "shm.fallback") == 0) l->shm_fallback++;
}

static void test_codec_degrades(void **state) {
  (void)state;
  zr_ctx *ctx;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  logrec lr = {0, 0};
  zr_ctx_set_log(ctx, on_log, &lr);
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_test_records(d, 100);
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = "binary";
  o.codec = "zstd";
  zr__fault_set("codec");
  size_t n;
  zr_serialize_result r;
  uint8_t *bytes = zr_test_ser_ok(ctx, &v, &o, &n, &r);
  assert_string_equal(r.codec, "none");
  assert_true(r.warnings.count >= 1);
  assert_int_equal(r.warnings.items[0].code, ZR_ERR_CODEC);
  assert_int_equal(lr.codec_fallback, 1);
  zr_metrics_stats s;
  assert_int_equal(zr_metrics_get("binary", ZR_METRICS_SERIALIZE, &s), ZR_OK);
  assert_int_equal(s.fallbacks[ZR_FALLBACK_CODEC], 1);
  /* the degraded output reads back */
  zr_doc *back;
  assert_int_equal(zr_deserialize(ctx, bytes, n, NULL, &back, NULL, NULL), ZR_OK);
  assert_true(zr_value_equal(&v, zr_doc_root(back)));
  zr_doc_free(back);
  zr_free(bytes);
  /* strict: the codec failure is the error */
  o.strict = 1;
  zr_error err;
  zr_test_ser_fail(ctx, &v, &o, ZR_ERR_CODEC, &err);
  char *t = prom_text();
  assert_non_null(strstr(t, "zerial_fallbacks_total{kind=\"codec\",format=\"binary\"} 1\n"));
  assert_non_null(strstr(t, "code=\"ERR_CODEC\"} 1\n"));
  free(t);
  /* health sees the codecs as degraded */
  zr_health_report hr;
  zr_health_opts ho = {NULL, 1};
  assert_int_equal(zr_ctx_health(ctx, &ho, &hr, NULL), ZR_OK);
  assert_int_equal(hr.status, ZR_HEALTH_DEGRADED);
  zr__fault_set(NULL);
  assert_int_equal(zr_ctx_health(ctx, &ho, &hr, NULL), ZR_OK);
  assert_int_equal(hr.status, ZR_HEALTH_OK);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

static void test_share_and_shm_gauges(void **state) {
  (void)state;
  zr_ctx *ctx;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  logrec lr = {0, 0};
  zr_ctx_set_log(ctx, on_log, &lr);
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_test_records(d, 50);
  char region[64];
  snprintf(region, sizeof region, "zerial-test-metrics-%ld", (long)getpid());
  uint64_t r0, b0, r1, b1;
  zr_metrics_shm(&r0, &b0);

  /* shared memory works: the value is in the region */
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = "binary";
  zr_shared sh;
  assert_int_equal(zr_ctx_share(ctx, region, "v", &v, &o, &sh, NULL), ZR_OK);
  assert_false(sh.in_memory);
  zr_shm *rd;
  assert_int_equal(zr_shm_open(region, ZR_SHM_VERIFY, NULL, &rd, NULL), ZR_OK);
  zr_metrics_shm(&r1, &b1);
  assert_int_equal(r1, r0 + 1);
  assert_true(b1 > b0);
  zr_shm_object obj;
  assert_int_equal(zr_shm_find(rd, "v", &obj, NULL), ZR_OK);
  assert_int_equal(obj.length, sh.len);
  zr_doc *back;
  assert_int_equal(zr_deserialize(ctx, obj.data, obj.length, NULL, &back, NULL, NULL), ZR_OK);
  assert_true(zr_value_equal(&v, zr_doc_root(back)));
  zr_doc_free(back);
  zr_shm_close(rd);
  zr_metrics_shm(&r1, &b1);
  assert_int_equal(r1, r0);
  assert_int_equal(b1, b0);
  zr_shared_release(&sh);
  /* the region exists: an error, not a fallback; so is a bad name */
  assert_int_equal(zr_ctx_share(ctx, region, "v", &v, &o, &sh, NULL), ZR_ERR_EXISTS);
  assert_int_equal(zr_ctx_share(ctx, "bad/name", "v", &v, &o, &sh, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(lr.shm_fallback, 0);
  zr_shm_unlink(region, NULL);

  /* shared memory fails: in-memory, warning, metric */
  zr__fault_set("shm");
  assert_int_equal(zr_ctx_share(ctx, region, "v", &v, &o, &sh, NULL), ZR_OK);
  assert_true(sh.in_memory);
  assert_non_null(sh.data);
  assert_int_equal(lr.shm_fallback, 1);
  assert_true(sh.result.warnings.count >= 1);
  assert_int_equal(zr_deserialize(ctx, sh.data, sh.len, NULL, &back, NULL, NULL), ZR_OK);
  assert_true(zr_value_equal(&v, zr_doc_root(back)));
  zr_doc_free(back);
  zr_shared_release(&sh);
  assert_int_equal(zr_shm_open(region, 0, NULL, &rd, NULL) == ZR_OK, 0); /* nothing left behind */
  char *t = prom_text();
  assert_non_null(strstr(t, "zerial_fallbacks_total{kind=\"shm\",format=\"binary\"} 1\n"));
  free(t);
  /* strict: the error */
  o.strict = 1;
  assert_int_equal(zr_ctx_share(ctx, region, "v", &v, &o, &sh, NULL), ZR_ERR_IO);
  zr_shared_release(&sh);
  /* health: shared memory degraded */
  zr_health_report hr;
  assert_int_equal(zr_ctx_health(ctx, NULL, &hr, NULL), ZR_OK);
  assert_int_equal(hr.status, ZR_HEALTH_DEGRADED);
  int found = 0;
  for (unsigned i = 0; i < hr.n_checks; i++)
    if (strcmp(hr.checks[i].name, "shm") == 0) {
      found = 1;
      assert_int_equal(hr.checks[i].status, ZR_HEALTH_DEGRADED);
    }
  assert_true(found);
  zr__fault_set(NULL);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

static void test_health_and_http(void **state) {
  (void)state;
  zr_ctx *ctx;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  zr_health_report hr;
  assert_int_equal(zr_ctx_health(ctx, NULL, &hr, NULL), ZR_OK);
  assert_int_equal(hr.status, ZR_HEALTH_OK);
  assert_true(hr.n_checks >= 5); /* three codecs, binary, shm, registry */
  /* a registry that cannot be opened fails the report */
  zr_health_opts ho = {"/nonexistent-dir/zerial/registry.db", 1};
  assert_int_equal(zr_ctx_health(ctx, &ho, &hr, NULL), ZR_OK);
  assert_int_equal(hr.status, ZR_HEALTH_FAIL);
  /* a working one */
  char reg[512];
  snprintf(reg, sizeof reg, "%s/metrics-registry-%ld.db", zr_test_tmpdir(), (long)getpid());
  ho.registry = reg;
  assert_int_equal(zr_ctx_health(ctx, &ho, &hr, NULL), ZR_OK);
  assert_int_equal(hr.status, ZR_HEALTH_OK);
  unlink(reg);

  zr_http_response resp;
  assert_int_equal(zr_metrics_http_handle(ctx, NULL, "GET", "/metrics", &resp, NULL), ZR_OK);
  assert_int_equal(resp.status, 200);
  assert_string_equal(resp.content_type, ZR_METRICS_CONTENT_TYPE);
  assert_non_null(strstr(resp.body, "# HELP zerial_build_info"));
  assert_int_equal(strlen(resp.body), resp.len);
  zr_http_response_free(&resp);
  assert_int_equal(zr_metrics_http_handle(ctx, NULL, "GET", "/healthz?verbose=1", &resp, NULL), ZR_OK);
  assert_int_equal(resp.status, 200);
  assert_non_null(strstr(resp.body, "\"status\":\"ok\""));
  zr_http_response_free(&resp);
  assert_int_equal(zr_metrics_http_handle(ctx, NULL, "HEAD", "/readyz", &resp, NULL), ZR_OK);
  assert_int_equal(resp.status, 200);
  zr_http_response_free(&resp);
  ho.registry = "/nonexistent-dir/zerial/registry.db";
  assert_int_equal(zr_metrics_http_handle(ctx, &ho, "GET", "/readyz", &resp, NULL), ZR_OK);
  assert_int_equal(resp.status, 503);
  assert_non_null(strstr(resp.body, "\"status\":\"fail\""));
  zr_http_response_free(&resp);
  assert_int_equal(zr_metrics_http_handle(ctx, NULL, "POST", "/metrics", &resp, NULL), ZR_OK);
  assert_int_equal(resp.status, 405);
  zr_http_response_free(&resp);
  assert_int_equal(zr_metrics_http_handle(ctx, NULL, "GET", "/metricsx", &resp, NULL), ZR_OK);
  assert_int_equal(resp.status, 404);
  zr_http_response_free(&resp);
  assert_int_equal(zr_metrics_http_handle(ctx, NULL, NULL, "/", &resp, NULL), ZR_ERR_INVALID_ARG);
  char *t = prom_text();
  assert_non_null(strstr(t, "zerial_health_status 2\n"));
  free(t);
  zr_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_counts, setup),          cmocka_unit_test_setup(test_escaping_and_promtool, setup),
      cmocka_unit_test_setup(test_codec_degrades, setup),  cmocka_unit_test_setup(test_share_and_shm_gauges, setup),
      cmocka_unit_test_setup(test_health_and_http, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
