/* Fault sweeps over the context entry points: with the context's allocator failing its n-th
 * allocation (n = 1, 2, … until the call succeeds), each of serialize (every format and codec,
 * envelope with metadata and lineage), deserialize, inspect, explain, decision output and the
 * configuration calls must fail with ZR_ERR_NOMEM (or ZR_ERR_LIMIT when an arena refuses) and a
 * message, leave no block live, and the run that succeeds must round-trip the value. Sinks that
 * fail their n-th write give ZR_ERR_IO with the callback's message and nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/serialize.h"
#include "core/internal.h"
#include "zr_test.h"

typedef struct ser_case {
  const char *format, *codec;
  int envelope, lineage, value;
} ser_case;

static zr_value make_value(zr_doc *d, int which) {
  if (which == 0) { /* records */
    zr_value l = zr_list_new(d, 0);
    for (int i = 0; i < 30; i++) {
      zr_value r = zr_map_new(d, 0);
      zr_map_put_cstr(d, &r, "id", zr_int(i));
      zr_map_put_cstr(d, &r, "name", zr_cstr_ref("someone-or-other"));
      zr_map_put_cstr(d, &r, "score", zr_float(i * 0.5));
      zr_list_push(d, &l, r);
    }
    return l;
  }
  if (which == 1) { /* a tensor */
    static double data[64];
    for (int i = 0; i < 64; i++) data[i] = i * 0.25;
    int64_t shape[2] = {8, 8};
    zr_tensor t;
    assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, shape, data, NULL), ZR_OK);
    return zr_tensor_value(d, &t);
  }
  /* a document with every plain kind */
  zr_value m = zr_map_new(d, 0);
  zr_map_put_cstr(d, &m, "s", zr_cstr_ref("text"));
  zr_map_put_cstr(d, &m, "b", zr_bin_ref("\x00\x01", 2));
  zr_map_put_cstr(d, &m, "t", zr_bool(1));
  zr_map_put_cstr(d, &m, "n", zr_null());
  zr_value l = zr_list_new(d, 0);
  zr_list_push(d, &l, zr_uint(UINT64_C(18446744073709551615)));
  zr_list_push(d, &l, zr_float(-2.5));
  zr_map_put_cstr(d, &m, "l", l);
  return m;
}


static const zr_meta_kv meta[2] = {{"owner", "tests"}, {"run", "7"}};
static const uint64_t inputs[2] = {1, 2};

/* serialize, deserialize, inspect, explain, decisions: everything with allocator @p a */
static zr_status run_case(const zr_allocator *a, const ser_case *c, const zr_value *v, const uint8_t *parent,
                          size_t parent_len, zr_error *err) {
  zr_ctx *ctx = NULL;
  ZR_TRY(zr_ctx_new_isolated(a, &ctx, err));
  zr_sink *sink = NULL, *js = NULL;
  zr_doc *back = NULL;
  zr_status st = zr_sink_memory_new(a, &sink, err);
  if (st == ZR_OK) st = zr_sink_memory_new(a, &js, err);
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = c->format;
  o.codec = c->codec;
  o.envelope = c->envelope;
  o.lineage = c->lineage;
  if (c->envelope) {
    o.meta = meta;
    o.n_meta = 2;
    o.producer = "cov";
  }
  if (c->lineage) {
    o.inputs = inputs;
    o.n_inputs = 2;
    o.parent = parent;
    o.parent_len = parent_len;
    o.operation = "convert";
  }
  zr_serialize_result res;
  memset(&res, 0, sizeof res);
  if (st == ZR_OK) st = zr_serialize(ctx, v, &o, sink, &res, err);
  const uint8_t *b = NULL;
  size_t n = 0;
  if (st == ZR_OK) zr_sink_memory_data(sink, &b, &n);
  zr_deserialize_info info;
  if (st == ZR_OK) st = zr_deserialize(ctx, b, n, NULL, &back, &info, err);
  /* binary keeps every kind; other formats map some (records become a table in Arrow) */
  if (st == ZR_OK && strcmp(res.format, "binary") == 0 && !zr_value_equal(zr_doc_root(back), v))
    fail_msg("%s/%s: value changed in the round trip", c->format, c->codec);
  if (st == ZR_OK) st = zr_inspect(ctx, b, n, js, err);
  zr_decision dec;
  if (st == ZR_OK) st = zr_explain(ctx, v, &o, &dec, err);
  if (st == ZR_OK) st = zr_decision_write(&dec, 1, js, err);
  if (st == ZR_OK) st = zr_decision_write(&res.decision, 0, js, err);
  size_t nd = 0;
  zr_decision last[2];
  if (st == ZR_OK) st = zr_ctx_decisions(ctx, last, 2, &nd);
  zr_doc_free(back);
  zr_sink_free(sink);
  zr_sink_free(js);
  zr_ctx_free(ctx);
  return st;
}

static void sweep_case(const ser_case *c) {
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = make_value(d, c->value);
  /* a parent input with lineage of its own */
  uint8_t *parent = NULL;
  size_t parent_len = 0;
  if (c->lineage) {
    zr_ctx *ctx = NULL;
    assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    zr_serialize_opts o;
    zr_serialize_opts_init(&o);
    o.format = "binary";
    o.envelope = 1;
    o.lineage = 1;
    assert_int_equal(zr_serialize(ctx, &v, &o, s, NULL, NULL), ZR_OK);
    assert_int_equal(zr_sink_memory_take(s, &parent, &parent_len, NULL), ZR_OK);
    zr_sink_free(s);
    zr_ctx_free(ctx);
  }
  zr_error e;
  zr_error_clear(&e);
  if (run_case(NULL, c, &v, parent, parent_len, &e) != ZR_OK)
    fail_msg("%s/%s: reference run failed: %s", c->format, c->codec, e.message);
  unsigned failures = 0;
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_error_clear(&e);
    zr_status st = run_case(&fa.a, c, &v, parent, parent_len, &e);
    if (fa.live != 0) fail_msg("%s/%s alloc %llu: %lld blocks live", c->format, c->codec, (unsigned long long)n, (long long)fa.live);
    if (st == ZR_OK) {
      /* a failure the library may survive: compression falling back to a raw payload (with a
       * warning), a buffer that could not be shrunk; the result was checked above */
      if (fa.calls >= n) continue;
      break;
    }
    if (st != ZR_ERR_NOMEM && st != ZR_ERR_LIMIT)
      fail_msg("%s/%s alloc %llu: %s (%s)", c->format, c->codec, (unsigned long long)n, zr_strerror(st), e.message);
    if (!e.message[0] && st != ZR_OK) {
      /* zr_ctx_decisions has no error out-parameter */
    }
    failures++;
    assert_true(n < 20000);
  }
  assert_true(failures > 5);
  zr_free(parent);
  zr_doc_free(d);
}

static void test_serialize_sweeps(void **state) {
  (void)state;
  static const ser_case cases[] = {
      {"auto", "auto", 1, 1, 0},     {"binary", "zstd", 1, 0, 2},  {"binary", "lz4", 0, 0, 0},
      {"arrow-stream", "gzip", 1, 0, 0}, {"npy", "zstd", 1, 1, 1}, {"auto", "none", 0, 0, 1},
      {"etf", "lz4", 1, 0, 2},       {"json", "none", 1, 0, 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) sweep_case(&cases[i]);
}

/* ---- configuration under a failing allocator ---- */
static zr_status config_calls(const zr_allocator *a, zr_error *err) {
  zr_ctx *ctx = NULL;
  ZR_TRY(zr_ctx_new_isolated(a, &ctx, err));
  static const char json[] = "{\"compression\":{\"codec\":\"zstd\",\"level\":5},\"selection\":{\"performance\":0.7},"
                             "\"producer\":\"cfg\"}";
  zr_status st = zr_ctx_load_json(ctx, json, strlen(json), err);
  if (st == ZR_OK) st = zr_ctx_set(ctx, "compression.codec", "lz4", err);
  if (st == ZR_OK) st = zr_ctx_set(ctx, "selection.performance", "0.25", err);
  char buf[64];
  if (st == ZR_OK) st = zr_ctx_get(ctx, "compression.codec", buf, sizeof buf, err);
  if (st == ZR_OK) assert_string_equal(buf, "lz4");
  if (st == ZR_OK) st = zr_ctx_reload(ctx, NULL, err);
  if (st == ZR_OK) st = zr_ctx_get(ctx, "selection.performance", buf, sizeof buf, err);
  if (st == ZR_OK) assert_string_equal(buf, "0.25");
  zr_ctx_free(ctx);
  return st;
}

static void test_config_sweep(void **state) {
  (void)state;
  zr_error e;
  assert_int_equal(config_calls(NULL, &e), ZR_OK);
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_error_clear(&e);
    zr_status st = config_calls(&fa.a, &e);
    assert_int_equal(fa.live, 0);
    if (st == ZR_OK) {
      assert_true(fa.calls < n);
      break;
    }
    if (st != ZR_ERR_NOMEM) fail_msg("config alloc %llu: %s (%s)", (unsigned long long)n, zr_strerror(st), e.message);
    assert_true(e.message[0] != '\0');
    assert_true(n < 10000);
  }
}

/* ---- sinks failing the n-th write ---- */
typedef struct sink_call {
  zr_ctx *ctx;
  const zr_value *v;
  const char *format;
  int env;
} sink_call;

/* zr_serialize of the value in @p format, zstd in an envelope or bare without a codec */
static zr_status serialize_to(void *ud, zr_sink *s, zr_error *err) {
  const sink_call *c = ud;
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = c->format;
  o.codec = c->env ? "zstd" : "none";
  o.envelope = c->env;
  return zr_serialize(c->ctx, c->v, &o, s, NULL, err);
}

static void test_failing_sink(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = make_value(d, 0);
  zr_ctx *ctx = NULL;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  static const char *const formats[] = {"binary", "arrow-stream", "json", "etf"};
  for (size_t k = 0; k < 4; k++) {
    for (int env = 0; env < 2; env++) {
      sink_call c = {ctx, &v, formats[k], env};
      unsigned failures = zr_test_sink_sweep(formats[k], serialize_to, &c, ZR_ERR_NOSPACE,
                                             "sink callback failed: no space left on device", 1000);
      assert_true(failures >= 1);
    }
  }
  zr_ctx_free(ctx);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_serialize_sweeps),
      cmocka_unit_test(test_config_sweep),
      cmocka_unit_test(test_failing_sink),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
