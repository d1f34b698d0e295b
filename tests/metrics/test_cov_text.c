/* Coverage of the exposition text and the health report as JSON: every series kind (counters,
 * errors by code and OTHER, latency and ratio histograms, decisions by shape, fallbacks of each
 * kind, gauges) fed through the internal hooks; the text built into a buffer that cannot grow past
 * N bytes, for every N (ZR_ERR_NOMEM, and what was written is a prefix of the full text); the
 * label table filling up ("other"), names too long, the argument checks of the readers, health
 * under a failing context allocator, and zr_ctx_share's error paths. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics/metrics_internal.h"
#include "zerial/zerial.h"
#include "zr_test.h"

/* ---- a buffer that cannot grow: the n-th byte fails ---- */

static void *ng_malloc(void *ud, size_t n) {
  (void)ud;
  (void)n;
  return NULL;
}
static void *ng_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  (void)p;
  (void)n;
  return NULL;
}
static void ng_free(void *ud, void *p) {
  (void)ud;
  free(p);
}
static const zr_allocator no_grow = {ng_malloc, ng_realloc, ng_free, NULL};

typedef zr_status (*text_fn)(zr__buf *b, const void *ud);

static zr_status t_metrics(zr__buf *b, const void *ud) {
  (void)ud;
  return zr__metrics_text(b);
}
static zr_status t_health(zr__buf *b, const void *ud) { return zr__health_json(ud, b); }

static char *full_text(text_fn fn, const void *ud, size_t *len) {
  zr__buf b;
  zr__buf_init(&b, NULL);
  assert_int_equal(fn(&b, ud), ZR_OK);
  assert_int_equal(zr__buf_push(&b, 0), ZR_OK);
  *len = b.len - 1;
  return (char *)b.data;
}

static zr_status try_cap(text_fn fn, const void *ud, const char *full, size_t len, size_t cap) {
  zr__buf b;
  zr__buf_init(&b, &no_grow);
  b.data = malloc(cap ? cap : 1);
  b.cap = cap;
  zr_status st = fn(&b, ud);
  assert_true(b.len <= cap);
  assert_memory_equal(b.data, full, b.len);
  if (st == ZR_OK) assert_int_equal(b.len, len);
  free(b.data);
  return st;
}

/* Build the text with room for exactly cap bytes: ZR_ERR_NOMEM below the full length, and the
 * bytes written are the start of the full text. Every cap inside the first line of each kind
 * (metric name and the start of its labels; repeated histogram buckets are one kind), so that
 * every write of the builder fails once. */
static void sweep_cap(const char *what, text_fn fn, const void *ud) {
  size_t len = 0;
  char *full = full_text(fn, ud, &len);
  char seen[256][48];
  unsigned nseen = 0;
  for (size_t a = 0; a < len;) {
    const char *nl = memchr(full + a, '\n', len - a);
    size_t b = nl ? (size_t)(nl - full) : len - 1;
    const char *brace = memchr(full + a, '{', b - a);
    size_t klen = brace ? (size_t)(brace - (full + a)) + 13 : b - a;
    char key[48];
    snprintf(key, sizeof key, "%.*s", (int)(klen < b - a ? klen : b - a), full + a);
    unsigned i = 0;
    while (i < nseen && strcmp(seen[i], key) != 0) i++;
    if (i == nseen) {
      assert_true(nseen < 256);
      snprintf(seen[nseen++], sizeof seen[0], "%s", key);
      for (size_t cap = a; cap <= b; cap++) {
        zr_status st = try_cap(fn, ud, full, len, cap);
        if (st != ZR_ERR_NOMEM) fail_msg("%s: room for %zu of %zu bytes: %s", what, cap, len, zr_strerror(st));
      }
    }
    a = b + 1;
  }
  assert_int_equal(try_cap(fn, ud, full, len, len), ZR_OK);
  zr_free(full);
}

static uint64_t timed_start(void) {
  zr_metrics_set_sampling(1);
  uint64_t t = zr__metrics_clock();
  assert_true(t & 1u); /* sampling 1: every call is timed */
  return t;
}

static void result(zr_serialize_result *r, const char *format, const char *codec, double ratio, const char *shape) {
  memset(r, 0, sizeof *r);
  snprintf(r->format, sizeof r->format, "%s", format);
  snprintf(r->codec, sizeof r->codec, "%s", codec);
  r->encoded_bytes = 1000;
  r->payload_bytes = ratio > 0 ? (uint64_t)(1000 / ratio) : 0;
  r->total_bytes = r->payload_bytes + 10;
  r->ratio = ratio;
  snprintf(r->decision.ch.shape, sizeof r->decision.ch.shape, "%s", shape);
}

static char *prom_text(void) {
  size_t n;
  return full_text(t_metrics, NULL, &n);
}

#define WEIRD "we\"ird\\fmt\nx"
#define WEIRD_ESC "we\\\"ird\\\\fmt\\nx"

static void test_exposition_every_kind(void **state) {
  (void)state;
  zr__fault_set(NULL);
  zr_metrics_set_enabled(1);
  zr_metrics_reset();
  zr_serialize_result r;
  /* serialize: each codec slot (lz4, zstd, gzip, unknown → other, none), ratio buckets at both
   * ends, a shape and none (unknown), a format fallback */
  result(&r, "cvbin", "lz4", 200.0, "table");
  zr__metrics_serialize(timed_start(), ZR_OK, &r, NULL);
  result(&r, "cvbin", "zstd", 1.0, "table");
  r.fell_back = 1;
  zr__metrics_serialize(timed_start(), ZR_OK, &r, NULL);
  result(&r, "cvbin", "gzip", 3.5, "");
  zr__metrics_serialize(2, ZR_OK, &r, NULL); /* counted, not timed */
  result(&r, "cvbin", "brotli", 2.0, "tensor");
  zr__metrics_serialize(timed_start(), ZR_OK, &r, NULL);
  result(&r, "cvbin", "", 0, "scalar");
  zr__metrics_serialize(timed_start(), ZR_OK, &r, NULL);
  result(&r, "cvbin", "lz4", 0, "scalar"); /* no payload: no ratio sample */
  zr__metrics_serialize(timed_start(), ZR_OK, &r, NULL);
  /* failed calls: labelled with the asked format (escaped), a code beyond the table (OTHER) */
  result(&r, "", "none", 0, "");
  zr__metrics_serialize(timed_start(), ZR_ERR_TYPE, &r, WEIRD);
  zr__metrics_serialize(timed_start(), (zr_status)-77, &r, WEIRD);
  zr__metrics_serialize(0, ZR_ERR_TYPE, &r, WEIRD); /* metrics were off at the start: nothing */
  /* deserialize and inspect, good and bad */
  zr_deserialize_info inf;
  memset(&inf, 0, sizeof inf);
  snprintf(inf.format, sizeof inf.format, "cvbin");
  inf.input_bytes = 100;
  inf.payload_bytes = 400;
  zr__metrics_deserialize(timed_start(), ZR_OK, &inf);
  zr__metrics_deserialize(timed_start(), ZR_ERR_MALFORMED, &inf);
  zr__metrics_deserialize(0, ZR_OK, &inf);
  zr__metrics_note_format("cvbin", 70);
  zr__metrics_inspect(timed_start(), ZR_OK, 90);
  zr__metrics_note_format("cvbin", 70);
  zr__metrics_inspect(timed_start(), ZR_ERR_TRUNCATED, 5000);
  zr__metrics_note_format("cvbin", 70);
  zr__metrics_inspect(0, ZR_OK, 90);
  /* fallbacks: codec counted, a kind out of range ignored */
  zr__metrics_fallback(ZR_FALLBACK_CODEC, "cvbin");
  zr__metrics_fallback((zr_fallback_kind)7, "cvbin");
  zr__metrics_health(ZR_HEALTH_SKIPPED);

  zr_metrics_stats s;
  assert_int_equal(zr_metrics_get("cvbin", ZR_METRICS_SERIALIZE, &s), ZR_OK);
  assert_int_equal(s.calls, 6);
  assert_int_equal(s.errors, 0);
  assert_int_equal(s.timed, 5);
  assert_int_equal(s.fallbacks[ZR_FALLBACK_FORMAT], 1);
  assert_int_equal(s.fallbacks[ZR_FALLBACK_CODEC], 1);
  assert_int_equal(s.fallbacks[ZR_FALLBACK_SHM], 0);
  assert_int_equal(zr_metrics_get(WEIRD, ZR_METRICS_SERIALIZE, &s), ZR_OK);
  assert_int_equal(s.calls, 2);
  assert_int_equal(s.errors, 2);
  assert_int_equal(zr_metrics_errors(WEIRD, ZR_METRICS_SERIALIZE, ZR_ERR_TYPE), 1);
  assert_int_equal(zr_metrics_errors(WEIRD, ZR_METRICS_SERIALIZE, (zr_status)-77), 1);
  assert_int_equal(zr_metrics_errors(WEIRD, ZR_METRICS_SERIALIZE, (zr_status)-99), 1); /* same OTHER slot */
  assert_int_equal(zr_metrics_get("cvbin", ZR_METRICS_DESERIALIZE, &s), ZR_OK);
  assert_int_equal(s.calls, 2);
  assert_int_equal(s.errors, 1);
  assert_int_equal(s.bytes_in, 200);
  assert_int_equal(s.bytes_out, 400);
  assert_int_equal(zr_metrics_get("cvbin", ZR_METRICS_INSPECT, &s), ZR_OK);
  assert_int_equal(s.calls, 2);
  assert_int_equal(s.bytes_in, 5090);
  assert_int_equal(s.bytes_out, 70); /* the failed inspect has no payload */

  char *t = prom_text();
  char line[256];
  snprintf(line, sizeof line, "zerial_errors_total{format=\"%s\",op=\"serialize\",code=\"%s\"} 1\n", WEIRD_ESC,
           zr_status_name(ZR_ERR_TYPE));
  assert_non_null(strstr(t, line));
  assert_non_null(strstr(t, "zerial_errors_total{format=\"" WEIRD_ESC "\",op=\"serialize\",code=\"OTHER\"} 1\n"));
  assert_non_null(strstr(t, "zerial_operations_total{format=\"cvbin\",op=\"inspect\"} 2\n"));
  assert_non_null(strstr(t, "zerial_bytes_out_total{format=\"cvbin\",op=\"deserialize\"} 400\n"));
  assert_non_null(strstr(t, "zerial_compression_ratio_bucket{format=\"cvbin\",codec=\"lz4\",le=\"128\"} 0\n"));
  assert_non_null(strstr(t, "zerial_compression_ratio_bucket{format=\"cvbin\",codec=\"lz4\",le=\"+Inf\"} 1\n"));
  assert_non_null(strstr(t, "zerial_compression_ratio_bucket{format=\"cvbin\",codec=\"zstd\",le=\"1\"} 1\n"));
  assert_non_null(strstr(t, "zerial_compression_ratio_bucket{format=\"cvbin\",codec=\"other\",le=\"2\"} 1\n"));
  assert_non_null(strstr(t, "zerial_compression_ratio_sum{format=\"cvbin\",codec=\"gzip\"} 3.500\n"));
  assert_non_null(strstr(t, "zerial_compression_ratio_count{format=\"cvbin\",codec=\"gzip\"} 1\n"));
  assert_non_null(strstr(t, "zerial_format_decisions_total{format=\"cvbin\",codec=\"gzip\",shape=\"unknown\"} 1\n"));
  assert_non_null(strstr(t, "zerial_format_decisions_total{format=\"cvbin\",codec=\"none\",shape=\"scalar\"} 1\n"));
  assert_non_null(strstr(t, "zerial_format_decisions_total{format=\"cvbin\",codec=\"other\",shape=\"tensor\"} 1\n"));
  assert_non_null(strstr(t, "zerial_fallbacks_total{kind=\"format\",format=\"cvbin\"} 1\n"));
  assert_non_null(strstr(t, "zerial_fallbacks_total{kind=\"codec\",format=\"cvbin\"} 1\n"));
  assert_non_null(strstr(t, "zerial_fallbacks_total{kind=\"shm\",format=\"none\"} 0\n"));
  assert_non_null(strstr(t, "zerial_operation_duration_seconds_count{format=\"cvbin\",op=\"serialize\"} 5\n"));
  assert_non_null(strstr(t, "zerial_buffer_high_water_bytes{op=\"inspect\"} 5000\n"));
  assert_non_null(strstr(t, "zerial_health_status 0\n")); /* skipped reads as ok */
  free(t);

  sweep_cap("exposition", t_metrics, NULL);
  zr_metrics_set_sampling(8);
}

/* ---- the label tables and the readers' argument checks ---- */

static void *clock_when_off(void *p) {
  (void)p;
  return (void *)(uintptr_t)zr__metrics_clock(); /* a new thread: no shard yet */
}

static void test_tables_and_args(void **state) {
  (void)state;
  zr_metrics_set_enabled(1);
  zr_metrics_reset();
  zr_metrics_stats s;
  /* argument checks */
  assert_int_equal(zr_metrics_get(NULL, ZR_METRICS_SERIALIZE, &s), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_metrics_get("binary", ZR_METRICS_SERIALIZE, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_metrics_get("binary", (zr_metrics_op)3, &s), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_metrics_get("never-seen-format", ZR_METRICS_SERIALIZE, &s), ZR_ERR_NOT_FOUND);
  assert_int_equal(zr_metrics_errors(NULL, ZR_METRICS_SERIALIZE, ZR_ERR_TYPE), 0);
  assert_int_equal(zr_metrics_errors("unknown", (zr_metrics_op)9, ZR_ERR_TYPE), 0);
  assert_int_equal(zr_metrics_errors("unknown", ZR_METRICS_SERIALIZE, ZR_OK), 0);
  assert_int_equal(zr_metrics_errors("never-seen-format", ZR_METRICS_SERIALIZE, ZR_ERR_TYPE), 0);
  zr_metrics_shm(NULL, NULL); /* both optional */
  zr_error e;
  assert_int_equal(zr_metrics_write_prometheus(NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "sink is NULL");
  zr_metrics_set_sampling(0); /* 0 means every call */
  assert_true(zr__metrics_clock() & 1u);
  assert_true(zr__metrics_clock() & 1u);
  zr_metrics_set_sampling(8);

  /* empty and too-long names are "unknown" and "other" */
  zr_serialize_result r;
  result(&r, "", "none", 0, "");
  zr__metrics_serialize(2, ZR_ERR_FORMAT, &r, "");
  assert_int_equal(zr_metrics_errors("unknown", ZR_METRICS_SERIALIZE, ZR_ERR_FORMAT), 1);
  zr__metrics_serialize(2, ZR_ERR_FORMAT, &r, "a-format-name-of-thirty-two-byte");
  assert_int_equal(zr_metrics_errors("other", ZR_METRICS_SERIALIZE, ZR_ERR_FORMAT), 1);
  assert_int_equal(zr_metrics_get("a-format-name-of-thirty-two-byte", ZR_METRICS_SERIALIZE, &s), ZR_ERR_NOT_FOUND);
  /* fill the table: 30 slots after "unknown" (and whatever earlier tests interned); then "other" */
  char name[32];
  for (int i = 0; i < 40; i++) {
    snprintf(name, sizeof name, "cvfmt%02d", i);
    zr__metrics_serialize(2, ZR_ERR_FORMAT, &r, name);
  }
  assert_int_equal(zr_metrics_get("cvfmt00", ZR_METRICS_SERIALIZE, &s), ZR_OK);
  assert_int_equal(zr_metrics_get("cvfmt39", ZR_METRICS_SERIALIZE, &s), ZR_ERR_NOT_FOUND);
  assert_int_equal(zr_metrics_get("other", ZR_METRICS_SERIALIZE, &s), ZR_OK);
  assert_true(s.calls >= 10);
  /* shapes fill up the same way */
  for (int i = 0; i < 20; i++) {
    char shape[24];
    snprintf(shape, sizeof shape, "shape%02d", i);
    result(&r, "cvfmt00", "none", 0, shape);
    zr__metrics_serialize(2, ZR_OK, &r, NULL);
  }
  char *t = prom_text();
  assert_non_null(strstr(t, "zerial_format_decisions_total{format=\"cvfmt00\",codec=\"none\",shape=\"shape00\"} 1\n"));
  assert_non_null(strstr(t, "zerial_format_decisions_total{format=\"cvfmt00\",codec=\"none\",shape=\"other\"} "));
  assert_null(strstr(t, "shape=\"shape19\""));
  assert_non_null(strstr(t, "zerial_operations_total{format=\"other\",op=\"serialize\"} "));
  free(t);

  /* off: the hooks count nothing, from a thread that has no shard yet too */
  zr_metrics_set_enabled(0);
  assert_int_equal(zr__metrics_clock(), 0);
  pthread_t th;
  void *ret = (void *)1;
  assert_int_equal(pthread_create(&th, NULL, clock_when_off, NULL), 0);
  assert_int_equal(pthread_join(th, &ret), 0);
  assert_null(ret);
  zr__metrics_fallback(ZR_FALLBACK_SHM, "cvfmt00");
  zr_metrics_set_enabled(1);
  assert_int_equal(zr_metrics_get("cvfmt00", ZR_METRICS_SERIALIZE, &s), ZR_OK);
  assert_int_equal(s.fallbacks[ZR_FALLBACK_SHM], 0);

  /* fault sites by name */
  zr__fault_set("shm, codec");
  assert_true(zr__fault(ZR__FAULT_SHM));
  assert_true(zr__fault(ZR__FAULT_CODEC));
  zr__fault_set("nothing-known");
  assert_false(zr__fault(ZR__FAULT_SHM) || zr__fault(ZR__FAULT_CODEC));
  zr__fault_set(NULL);
}

/* ---- health ---- */

static void fill_check(zr_health_check *c, const char *name, zr_health_status s, const char *msg) {
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "%s", name);
  c->status = s;
  c->ms = 1.25;
  snprintf(c->message, sizeof c->message, "%s", msg);
}

static void test_health_json(void **state) {
  (void)state;
  zr_health_report rep;
  memset(&rep, 0, sizeof rep);
  rep.status = ZR_HEALTH_FAIL;
  rep.n_checks = 3;
  fill_check(&rep.checks[0], "codec.\"q\"", ZR_HEALTH_OK, "back\\slash");
  fill_check(&rep.checks[1], "shm", ZR_HEALTH_DEGRADED, "tab\there\x01");
  fill_check(&rep.checks[2], "registry", ZR_HEALTH_FAIL, "");
  size_t n;
  char *j = full_text(t_health, &rep, &n);
  assert_string_equal(j, "{\"status\":\"fail\",\"checks\":[{\"name\":\"codec.\\\"q\\\"\",\"status\":\"ok\",\"ms\":1.250,"
                         "\"message\":\"back\\\\slash\"},{\"name\":\"shm\",\"status\":\"degraded\",\"ms\":1.250,"
                         "\"message\":\"tab\\u0009here\\u0001\"},{\"name\":\"registry\",\"status\":\"fail\",\"ms\":1.250,"
                         "\"message\":\"\"}]}\n");
  zr_free(j);
  sweep_cap("health json", t_health, &rep);
  /* a report claiming more checks than it holds writes the ones it holds */
  rep.n_checks = 1000;
  j = full_text(t_health, &rep, &n);
  assert_non_null(strstr(j, "\"status\":\"fail\""));
  zr_free(j);
  zr_error e;
  assert_int_equal(zr_health_write_json(NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "report and sink are required");
  assert_int_equal(zr_health_write_json(&rep, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(zr_health_status_name((zr_health_status)9), "unknown");
  assert_string_equal(zr_health_status_name(ZR_HEALTH_SKIPPED), "skipped");
}

typedef struct logcount {
  int health;
} logcount;
static void on_log(void *ud, zr_log_level lvl, const char *event, const zr_log_field *f, size_t n) {
  logcount *l = ud;
  if (lvl == ZR_LOG_WARN && strcmp(event, "health") == 0) {
    assert_int_equal(n, 3);
    assert_string_equal(f[0].key, "check");
    l->health++;
  }
}

static void test_health_checks(void **state) {
  (void)state;
  zr_error e;
  assert_int_equal(zr_ctx_health(NULL, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "out is NULL");
  /* a registry that fails with a long path: the message is cut to the field, the report fails,
   * and each failing check is logged on the context */
  zr_ctx *ctx = NULL;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  logcount lc = {0};
  zr_ctx_set_log(ctx, on_log, &lc);
  char reg[400];
  memset(reg, 0, sizeof reg);
  strcpy(reg, "/nonexistent-zerial-dir/");
  for (size_t i = strlen(reg); i < 300; i++) reg[i] = 'r';
  zr_health_opts ho = {reg, 1};
  zr_health_report hr;
  assert_int_equal(zr_ctx_health(ctx, &ho, &hr, NULL), ZR_OK);
  assert_int_equal(hr.status, ZR_HEALTH_FAIL);
  const zr_health_check *last = &hr.checks[hr.n_checks - 1];
  assert_string_equal(last->name, "registry");
  assert_int_equal(last->status, ZR_HEALTH_FAIL);
  assert_int_equal(strlen(last->message), sizeof last->message - 1);
  assert_int_equal(lc.health, 1);
  /* without a context the same verdict, nothing to log to */
  assert_int_equal(zr_ctx_health(NULL, &ho, &hr, NULL), ZR_OK);
  assert_int_equal(hr.status, ZR_HEALTH_FAIL);
  assert_int_equal(lc.health, 1);
  /* an empty registry path is "not configured" */
  ho.registry = "";
  assert_int_equal(zr_ctx_health(ctx, &ho, &hr, NULL), ZR_OK);
  assert_int_equal(hr.checks[hr.n_checks - 1].status, ZR_HEALTH_SKIPPED);
  zr_ctx_free(ctx);

  /* every allocation of the context's allocator fails once: the report is still produced, the
   * check that lost memory says so, nothing leaks */
  int saw_binary_fail = 0, saw_codec_degraded = 0;
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, 0);
    assert_int_equal(zr_ctx_new_isolated(&fa.a, &ctx, NULL), ZR_OK);
    int64_t live0 = fa.live;
    fa.fail_at = fa.calls + n;
    ho.registry = NULL;
    memset(&hr, 0xa5, sizeof hr);
    assert_int_equal(zr_ctx_health(ctx, &ho, &hr, &e), ZR_OK);
    int reached = fa.calls >= fa.fail_at;
    assert_int_equal(fa.live, live0);
    for (unsigned i = 0; i < hr.n_checks; i++) {
      const zr_health_check *c = &hr.checks[i];
      if (strncmp(c->name, "codec.", 6) == 0 && c->status == ZR_HEALTH_DEGRADED) {
        saw_codec_degraded = 1;
        assert_non_null(strstr(c->message, "(payloads are stored uncompressed)"));
      }
      if (strcmp(c->name, "format.binary") == 0 && c->status == ZR_HEALTH_FAIL) {
        saw_binary_fail = 1;
        assert_true(c->message[0] != '\0');
      }
    }
    zr_ctx_free(ctx);
    assert_int_equal(fa.live, 0);
    if (!reached) {
      assert_int_equal(hr.status, ZR_HEALTH_OK);
      break;
    }
    assert_int_not_equal(hr.status, ZR_HEALTH_OK);
    assert_true(n < 5000);
  }
  assert_true(saw_binary_fail);
  assert_true(saw_codec_degraded);
}

/* ---- zr_ctx_share's errors ---- */

static void test_share_errors(void **state) {
  (void)state;
  zr__fault_set(NULL);
  zr_ctx *ctx = NULL;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  zr_value v = zr_int(7);
  zr_shared sh;
  zr_error e;
  char region[64];
  snprintf(region, sizeof region, "zr-cov-share-err-%ld", (long)getpid());
  assert_int_equal(zr_ctx_share(NULL, region, "v", &v, NULL, &sh, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "ctx, region, object, value and out are required");
  assert_int_equal(zr_ctx_share(ctx, NULL, "v", &v, NULL, &sh, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_share(ctx, region, NULL, &v, NULL, &sh, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_share(ctx, region, "v", NULL, NULL, &sh, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_share(ctx, region, "v", &v, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_share(ctx, region, "", &v, NULL, &sh, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "object name must be 1 to 63 bytes, not 0");
  char longname[80];
  memset(longname, 'o', 64);
  longname[64] = 0;
  assert_int_equal(zr_ctx_share(ctx, region, longname, &v, NULL, &sh, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "object name must be 1 to 63 bytes, not 64");
  /* a non-printable object name is refused by the region: an error, the region removed */
  assert_int_equal(zr_ctx_share(ctx, region, "a\x01z", &v, NULL, &sh, &e), ZR_ERR_INVALID_ARG);
  assert_non_null(strstr(e.message, "non-printable byte at position 1"));
  zr_shm *rd = NULL;
  assert_int_equal(zr_shm_open(region, 0, NULL, &rd, NULL), ZR_ERR_NOT_FOUND);
  /* a serialize error is returned as is */
  zr_serialize_opts so;
  zr_serialize_opts_init(&so);
  so.format = "no-such-format";
  assert_int_not_equal(zr_ctx_share(ctx, region, "v", &v, &so, &sh, &e), ZR_OK);
  assert_int_equal(zr_shm_open(region, 0, NULL, &rd, NULL), ZR_ERR_NOT_FOUND);
  /* compressed or enveloped bytes are stored raw (format 0); they read back with zr_deserialize */
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = zr_list_new(d, 0);
  for (int i = 0; i < 200; i++) zr_list_push(d, &l, zr_int(i % 3));
  for (int k = 0; k < 2; k++) {
    zr_serialize_opts_init(&so);
    so.format = "binary";
    so.codec = k == 0 ? "zstd" : "none";
    so.envelope = k == 1;
    assert_int_equal(zr_ctx_share(ctx, region, "v", &l, &so, &sh, &e), ZR_OK);
    assert_false(sh.in_memory);
    assert_int_equal(zr_shm_open(region, ZR_SHM_VERIFY, NULL, &rd, NULL), ZR_OK);
    zr_shm_object ob;
    assert_int_equal(zr_shm_find(rd, "v", &ob, NULL), ZR_OK);
    assert_int_equal(ob.format, ZR_SHM_FORMAT_RAW);
    assert_int_equal(ob.length, sh.len);
    zr_doc *back = NULL;
    assert_int_equal(zr_deserialize(ctx, ob.data, ob.length, NULL, &back, NULL, NULL), ZR_OK);
    assert_true(zr_value_equal(zr_doc_root(back), &l));
    zr_doc_free(back);
    zr_shm_close(rd);
    zr_shared_release(&sh);
    assert_int_equal(zr_shm_unlink(region, NULL), ZR_OK);
  }
  /* strict from the options: the injected failure is the error, nothing left behind */
  zr__fault_set("shm");
  zr_serialize_opts_init(&so);
  so.format = "binary";
  so.strict = 1;
  zr_error_clear(&e);
  assert_int_equal(zr_ctx_share(ctx, region, "v", &l, &so, &sh, &e), ZR_ERR_IO);
  assert_non_null(strstr(e.message, "strict mode forbids the in-memory fallback"));
  assert_non_null(strstr(e.message, "injected shared-memory fault"));
  assert_null(sh.data);
  zr_shared_release(&sh);
  zr_shared_release(NULL);
  zr__fault_set(NULL);
  assert_int_equal(zr_shm_open(region, 0, NULL, &rd, NULL), ZR_ERR_NOT_FOUND);
  zr_doc_free(d);
  zr_ctx_free(ctx);

  zr_http_response resp;
  assert_int_equal(zr_metrics_http_handle(NULL, NULL, "GET", NULL, &resp, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_metrics_http_handle(NULL, NULL, "GET", "/metrics", NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "method, path and out are required");
  zr_http_response_free(NULL);
  memset(&resp, 0, sizeof resp);
  zr_http_response_free(&resp); /* no body: nothing to free */
}

int main(void) {
  /* ZERIAL_METRICS=off before the first use turns counting off */
  setenv("ZERIAL_METRICS", "off", 1);
  if (zr_metrics_enabled() != 0) {
    fprintf(stderr, "ZERIAL_METRICS=off did not turn metrics off\n");
    return 1;
  }
  unsetenv("ZERIAL_METRICS");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exposition_every_kind), cmocka_unit_test(test_tables_and_args),
      cmocka_unit_test(test_health_json),           cmocka_unit_test(test_health_checks),
      cmocka_unit_test(test_share_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
