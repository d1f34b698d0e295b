/* zr_serialize / zr_deserialize / zr_inspect: round trips, fallback, strict mode, warnings,
 * compression, result fields, decisions, log hook. */
#include <jansson.h>
#include <stdlib.h>

#include "zr_test_ser.h"
#include "mock_formats.h"

static void roundtrip(zr_ctx *ctx, const zr_value *v, const zr_serialize_opts *o, const char *want_format,
                      const char *want_codec) {
  size_t n;
  zr_serialize_result r;
  zr_status st;
  zr_error err;
  uint8_t *bytes = zr_test_ser_ok(ctx, v, o, &n, &r);
  if (want_format) assert_string_equal(r.format, want_format);
  if (want_codec) assert_string_equal(r.codec, want_codec);
  assert_int_equal(r.total_bytes, n);
  assert_true(r.encoded_bytes > 0);
  assert_true(r.ratio > 0);
  assert_true(r.total_ms >= 0 && r.encode_ms >= 0);
  assert_true(r.decision.reason[0]);
  assert_int_equal(r.fingerprint, zr_xxh3_64(bytes, n, 0));
  zr_doc *doc = NULL;
  zr_deserialize_info info;
  st = zr_deserialize(ctx, bytes, n, NULL, &doc, &info, &err);
  if (st != ZR_OK) print_error("deserialize: %s\n", err.message);
  assert_int_equal(st, ZR_OK);
  assert_true(zr_value_equal(zr_doc_root(doc), v));
  if (strcmp(r.codec, "none") != 0) {
    assert_true(info.n_layers >= 1);
    assert_string_equal(info.layers[info.n_layers - 1], r.codec);
  }
  zr_doc_free(doc);
  free(bytes);
}

static void test_roundtrip_auto(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  zr_doc *d = zr_doc_new(NULL);
  zr_value rec = zr_test_records(d, 50);
  roundtrip(ctx, &rec, NULL, "arrow-stream", NULL);
  zr_value num = zr_list_new(d, 30);
  for (int i = 0; i < 30; i++) zr_list_push(d, &num, zr_float(i));
  roundtrip(ctx, &num, NULL, "npy", "none");
  zr_value s = zr_cstr_ref("x");
  roundtrip(ctx, &s, NULL, "binary", "none");
  /* from a source (a file written by a file sink) */
  {
    char path[512];
    snprintf(path, sizeof path, "%s/rec.zrl", zr_test_tmpdir());
    zr_sink *fs;
    assert_int_equal(zr_sink_file_new(path, &fs, NULL), ZR_OK);
    assert_int_equal(zr_serialize(ctx, &rec, NULL, fs, NULL, NULL), ZR_OK);
    assert_int_equal(zr_sink_finish(fs, NULL), ZR_OK);
    zr_sink_free(fs);
    zr_source *src;
    assert_int_equal(zr_source_mmap_new(path, &src, NULL), ZR_OK);
    zr_doc *doc;
    zr_deserialize_info info;
    assert_int_equal(zr_deserialize_source(ctx, src, NULL, &doc, &info, NULL), ZR_OK);
    assert_true(zr_value_equal(zr_doc_root(doc), &rec));
    assert_string_equal(info.layers[0], "envelope");
    zr_doc_free(doc);
    zr_source_free(src);
  }
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = "pickle";
  roundtrip(ctx, &rec, &o, "pickle", NULL);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

static void test_compression(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  zr_doc *d = zr_doc_new(NULL);
  zr_value big = zr_test_records(d, 3000); /* compressible, ~100 KB */
  roundtrip(ctx, &big, NULL, "arrow-stream", NULL);
  const char *codecs[] = {"zstd", "lz4", "gzip", "none"};
  /* in the envelope, then bare codec frames (no envelope, no "none"): both are detected */
  for (int bare = 0; bare < 2; bare++) {
    for (int i = 0; i < (bare ? 3 : 4); i++) {
      zr_serialize_opts o;
      zr_serialize_opts_init(&o);
      o.codec = codecs[i];
      if (bare) o.envelope = 0;
      roundtrip(ctx, &big, &o, "arrow-stream", codecs[i]);
    }
  }
  /* auto picks a codec for big compressible data (learning off: decisions from priors only, no timing) */
  assert_int_equal(zr_ctx_set(ctx, "selection.learning", "false", NULL), ZR_OK);
  size_t n;
  zr_serialize_result r;
  uint8_t *b = zr_test_ser_ok(ctx, &big, NULL, &n, &r);
  assert_string_not_equal(r.codec, "none");
  assert_true(r.ratio > 2);
  assert_true(r.payload_bytes < r.encoded_bytes);
  free(b);
  /* incompressible: auto stores it as is */
  static uint8_t rnd[200000];
  uint64_t seed = 7;
  for (size_t i = 0; i < sizeof rnd; i++) rnd[i] = (uint8_t)zr_test_rand(&seed);
  zr_value blob = zr_bin_ref(rnd, sizeof rnd);
  roundtrip(ctx, &blob, NULL, "binary", "none");
  /* unknown codec */
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.codec = "brotli";
  zr_error err;
  zr_test_ser_fail(ctx, &big, &o, ZR_ERR_UNSUPPORTED, &err);
  assert_non_null(strstr(err.message, "brotli"));
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* A column of mixed kinds the sample did not see: Arrow refuses, binary takes it with a warning. */
static void test_fallback(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  zr_doc *d = zr_doc_new(NULL);
  zr_value rec = zr_test_records(d, 1000);
  rec.u.items[501].u.members[2].val = zr_cstr_ref("not a number");
  zr_decision dec;
  assert_int_equal(zr_explain(ctx, &rec, NULL, &dec, NULL), ZR_OK);
  assert_string_equal(dec.format, "arrow-stream"); /* the sample missed row 501 */
  size_t n;
  zr_serialize_result r;
  zr_error err;
  uint8_t *b = zr_test_ser_ok(ctx, &rec, NULL, &n, &r);
  assert_true(r.fell_back);
  assert_string_not_equal(r.format, "arrow-stream");
  assert_true(r.warnings.count >= 1);
  assert_int_equal(r.warnings.items[0].code, ZR_ERR_TYPE);
  assert_string_equal(r.warnings.items[0].path, "$[501].score");
  assert_non_null(strstr(r.warnings.items[0].message, "arrow-stream"));
  assert_non_null(strstr(r.warnings.items[0].message, "mixed kinds"));
  assert_non_null(strstr(r.decision.reason, "fell back"));
  zr_doc *doc;
  assert_int_equal(zr_deserialize(ctx, b, n, NULL, &doc, NULL, NULL), ZR_OK);
  assert_true(zr_value_equal(zr_doc_root(doc), &rec));
  zr_doc_free(doc);
  free(b);
  /* strict: an error naming both formats and the path */
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.strict = 1;
  zr_test_ser_fail(ctx, &rec, &o, ZR_ERR_TYPE, &err);
  assert_non_null(strstr(err.message, "strict"));
  assert_string_equal(err.path, "$[501].score");
  /* strict through the configuration */
  assert_int_equal(zr_ctx_set(ctx, "strict", "true", NULL), ZR_OK);
  zr_test_ser_fail(ctx, &rec, NULL, ZR_ERR_TYPE, &err);
  assert_int_equal(zr_ctx_set(ctx, "strict", "false", NULL), ZR_OK);
  /* a named format does not fall back */
  o.strict = -1;
  o.format = "npy";
  zr_test_ser_fail(ctx, &rec, &o, ZR_ERR_TYPE, &err);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* Lossy conversions reported by the format reach the result with their path; strict fails. */
static void test_lossy_warnings(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  zr_doc *d = zr_doc_new(NULL);
  zr_value rec = zr_test_records(d, 10);
  rec.u.items[4].u.members[0].val = zr_int(INT64_C(1) << 60);
  size_t n;
  zr_serialize_result r;
  zr_error err;
  uint8_t *b = zr_test_ser_ok(ctx, &rec, NULL, &n, &r);
  assert_string_equal(r.format, "arrow-stream");
  assert_int_equal(r.warnings.count, 1);
  assert_int_equal(r.warnings.items[0].code, ZR_ERR_LOSSY);
  assert_string_equal(r.warnings.items[0].path, "$[4].id");
  free(b);
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.strict = 1;
  zr_test_ser_fail(ctx, &rec, &o, ZR_ERR_LOSSY, &err);
  assert_string_equal(err.path, "$[4].id");
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

static void test_detect_errors(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  zr_doc *doc = NULL;
  zr_error err;
  const uint8_t junk[] = "definitely not a known format";
  assert_int_equal(zr_deserialize(ctx, junk, sizeof junk, NULL, &doc, NULL, &err), ZR_ERR_FORMAT);
  assert_null(doc);
  assert_int_equal(zr_deserialize(ctx, junk, 0, NULL, &doc, NULL, &err), ZR_ERR_FORMAT);
  /* truncated and corrupt compressed frames fail cleanly */
  zr_doc *d = zr_doc_new(NULL);
  zr_value big = zr_test_records(d, 2000);
  const char *codecs[] = {"zstd", "lz4", "gzip"};
  for (int c = 0; c < 3; c++) {
    zr_serialize_opts o;
    zr_serialize_opts_init(&o);
    o.codec = codecs[c];
    size_t n;
    zr_status st;
    uint8_t *b = zr_test_ser_ok(ctx, &big, &o, &n, NULL);
    for (size_t cut = 0; cut < n; cut += n / 7 + 1) {
      st = zr_deserialize(ctx, b, cut, NULL, &doc, NULL, &err);
      assert_int_not_equal(st, ZR_OK);
    }
    b[n / 2] ^= 0x5a;
    st = zr_deserialize(ctx, b, n, NULL, &doc, NULL, &err);
    if (st == ZR_OK) zr_doc_free(doc);
    /* decompression bounded by the limit */
    zr_decode_opts dopts;
    zr_decode_opts_init(&dopts);
    dopts.max_bytes = 1024;
    b[n / 2] ^= 0x5a;
    st = zr_deserialize(ctx, b, n, &dopts, &doc, NULL, &err);
    assert_int_equal(st, ZR_ERR_LIMIT);
    free(b);
  }
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* the JSON a memory sink holds (the sink is freed) */
static json_t *sink_json(zr_sink *s) {
  const uint8_t *j;
  size_t jn;
  zr_sink_memory_data(s, &j, &jn);
  json_t *root = json_loadb((const char *)j, jn, 0, NULL);
  zr_sink_free(s);
  assert_non_null(root);
  return root;
}

static json_t *inspect_json(zr_ctx *ctx, const uint8_t *b, size_t n) {
  zr_sink *s;
  zr_sink_memory_new(NULL, &s, NULL);
  assert_int_equal(zr_inspect(ctx, b, n, s, NULL), ZR_OK);
  return sink_json(s);
}

static void test_inspect(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_list_new(d, 3);
  zr_list_push(d, &v, zr_int(1));
  zr_list_push(d, &v, zr_cstr_ref("x"));
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.codec = "zstd";
  size_t n;
  uint8_t *b = zr_test_ser_ok(ctx, &v, &o, &n, NULL);
  json_t *root = inspect_json(ctx, b, n);
  assert_string_equal(json_string_value(json_object_get(root, "format")), "binary");
  json_t *layers = json_object_get(root, "layers");
  assert_int_equal(json_array_size(layers), 2); /* envelope (on by default), then zstd */
  assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 0), "kind")), "envelope");
  assert_string_equal(json_string_value(json_object_get(json_array_get(layers, 1), "codec")), "zstd");
  assert_non_null(json_object_get(root, "format_info"));
  json_decref(root);
  free(b);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

typedef struct logrec {
  int serialize, fallback, select;
} logrec;
static void log_cb(void *ud, zr_log_level lvl, const char *event, const zr_log_field *f, size_t n) {
  logrec *l = ud;
  (void)lvl;
  if (!strcmp(event, "serialize")) {
    l->serialize++;
    assert_true(n >= 2);
    assert_string_equal(f[0].key, "format");
  }
  if (!strcmp(event, "fallback")) l->fallback++;
  if (!strcmp(event, "select")) l->select++;
}

static void test_log_and_decisions(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  logrec l = {0, 0, 0};
  zr_ctx_set_log(ctx, log_cb, &l);
  zr_doc *d = zr_doc_new(NULL);
  zr_value rec = zr_test_records(d, 200);
  rec.u.items[199].u.members[1].val = zr_int(3); /* last row not sampled? sampled: index 196 … make sure fallback */
  rec.u.items[101].u.members[1].val = zr_int(3);
  size_t n;
  zr_status st;
  zr_serialize_result r;
  uint8_t *b = zr_test_ser_ok(ctx, &rec, NULL, &n, &r);
  free(b);
  assert_int_equal(l.serialize, 1);
  assert_int_equal(l.select, 0); /* debug level filtered by log.level=info */
  if (r.fell_back) assert_true(l.fallback >= 1); /* one per refusing candidate */
  else assert_int_equal(l.fallback, 0);
  assert_int_equal(zr_ctx_set(ctx, "log.level", "debug", NULL), ZR_OK);
  b = zr_test_ser(ctx, &rec, NULL, &n, &r, &st, NULL);
  free(b);
  assert_int_equal(l.select, 1);
  zr_decision ds[4];
  size_t k;
  assert_int_equal(zr_ctx_decisions(ctx, ds, 4, &k), ZR_OK);
  assert_int_equal(k, 2);
  assert_string_equal(ds[0].format, r.format);
  /* decision as JSON parses and lists candidates; as text it names the winner */
  zr_sink *s;
  zr_sink_memory_new(NULL, &s, NULL);
  assert_int_equal(zr_decision_write(&ds[0], 1, s, NULL), ZR_OK);
  json_t *root = sink_json(s);
  assert_true(json_array_size(json_object_get(root, "candidates")) >= 4);
  json_decref(root);
  zr_sink_memory_new(NULL, &s, NULL);
  assert_int_equal(zr_decision_write(&ds[0], 0, s, NULL), ZR_OK);
  const uint8_t *j;
  size_t jn;
  zr_sink_memory_data(s, &j, &jn);
  assert_non_null(memmem(j, jn, "chosen:", 7));
  zr_sink_free(s);
  zr_ctx_set_log(ctx, NULL, NULL);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

static void test_envelope_request(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  zr_value v = zr_int(5);
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.envelope = 0;
  size_t n;
  zr_serialize_result r;
  uint8_t *b = zr_test_ser_ok(ctx, &v, &o, &n, &r);
  assert_int_equal(r.envelope, 0);
  assert_memory_equal(b, "MBIN", 4); /* native bytes */
  free(b);
  zr_ctx_free(ctx);
}

/* Envelope metadata (producer, user key/values) and lineage carried through a second step. */
static void test_envelope_meta_lineage(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  zr_value v = zr_cstr_ref("payload");
  zr_meta_kv kv[2] = {{"owner", "team-a"}, {"run", "42"}};
  uint64_t src_fp = 0x1234abcdULL;
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.producer = "ingest 1.0";
  o.meta = kv;
  o.n_meta = 2;
  o.lineage = 1;
  o.operation = "ingest";
  o.inputs = &src_fp;
  o.n_inputs = 1;
  size_t n1;
  zr_serialize_result r1;
  uint8_t *b1 = zr_test_ser_ok(ctx, &v, &o, &n1, &r1);
  assert_true(r1.envelope);
  assert_int_equal(r1.fingerprint, zr_xxh3_64(b1, n1, 0));
  json_t *root = inspect_json(ctx, b1, n1);
  json_t *env = json_object_get(json_array_get(json_object_get(root, "layers"), 0), "envelope");
  assert_string_equal(json_string_value(json_object_get(env, "producer")), "ingest 1.0");
  assert_string_equal(json_string_value(json_object_get(json_object_get(env, "metadata"), "owner")), "team-a");
  json_t *lin = json_object_get(env, "lineage");
  assert_int_equal(json_array_size(lin), 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(lin, 0), "operation")), "ingest");
  assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(lin, 0), "inputs"), 0)),
                      "000000001234abcd");
  json_decref(root);
  /* a second step reads b1 and writes again: the history grows, b1's fingerprint is its input */
  zr_serialize_opts o2;
  zr_serialize_opts_init(&o2);
  o2.lineage = 1;
  o2.operation = "convert";
  o2.parent = b1;
  o2.parent_len = n1;
  o2.codec = "lz4";
  size_t n2;
  uint8_t *b2 = zr_test_ser_ok(ctx, &v, &o2, &n2, NULL);
  root = inspect_json(ctx, b2, n2);
  env = json_object_get(json_array_get(json_object_get(root, "layers"), 0), "envelope");
  lin = json_object_get(env, "lineage");
  assert_int_equal(json_array_size(lin), 2);
  assert_string_equal(json_string_value(json_object_get(json_array_get(lin, 1), "operation")), "convert");
  char fp[24];
  snprintf(fp, sizeof fp, "%016llx", (unsigned long long)r1.fingerprint);
  assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(lin, 1), "inputs"), 0)), fp);
  json_decref(root);
  /* corrupt envelope: a clean error */
  b2[n2 - 1] ^= 1;
  zr_doc *doc = NULL;
  assert_int_equal(zr_deserialize(ctx, b2, n2, NULL, &doc, NULL, NULL), ZR_ERR_CHECKSUM);
  free(b1);
  free(b2);
  zr_ctx_free(ctx);
}

/* Nested numeric lists become one tensor for the real npy format; lossy ints warn with their path. */
static void test_numeric_list_to_npy(void **state) {
  (void)state;
  if (!zr_format_by_name("npy")) return;
  zr_ctx *ctx;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = zr_list_new(d, 2);
  for (int r = 0; r < 2; r++) {
    zr_value row = zr_list_new(d, 3);
    zr_list_push(d, &row, r == 1 ? zr_int((INT64_C(1) << 60) + 1) : zr_int(r));
    zr_list_push(d, &row, zr_float(2.5));
    zr_list_push(d, &row, zr_int(-3));
    zr_list_push(d, &m, row);
  }
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = "npy";
  size_t n;
  zr_serialize_result r;
  zr_error err;
  uint8_t *b = zr_test_ser_ok(ctx, &m, &o, &n, &r);
  assert_int_equal(r.warnings.count, 1);
  assert_int_equal(r.warnings.items[0].code, ZR_ERR_LOSSY);
  assert_string_equal(r.warnings.items[0].path, "$[1][0]");
  zr_doc *out;
  zr_deserialize_info info;
  assert_int_equal(zr_deserialize(ctx, b, n, NULL, &out, &info, NULL), ZR_OK);
  assert_string_equal(info.format, "npy");
  const zr_value *root = zr_doc_root(out);
  assert_int_equal(root->kind, ZR_KIND_TENSOR);
  assert_int_equal(root->u.tensor->dtype, ZR_DT_FLOAT64);
  assert_int_equal(root->u.tensor->ndim, 2);
  assert_int_equal(root->u.tensor->shape[0], 2);
  assert_int_equal(root->u.tensor->shape[1], 3);
  zr_doc_free(out);
  free(b);
  o.strict = 1;
  zr_test_ser_fail(ctx, &m, &o, ZR_ERR_LOSSY, &err);
  assert_string_equal(err.path, "$[1][0]");
  /* a ragged list is not an array: npy refuses, auto falls back */
  m.u.items[1].n.len = 2;
  o.strict = 0;
  zr_test_ser_fail(ctx, &m, &o, ZR_ERR_TYPE, &err);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

static void test_failing_allocator(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value rec = zr_test_records(d, 100);
  for (uint64_t k = 1; k < 200; k++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, k);
    zr_ctx *ctx = NULL;
    zr_status st = zr_ctx_new_isolated(&fa.a, &ctx, NULL);
    if (st != ZR_OK) {
      assert_int_equal(st, ZR_ERR_NOMEM);
      continue;
    }
    mock_register_all(ctx, 1);
    zr_sink *s;
    zr_sink_memory_new(NULL, &s, NULL);
    zr_serialize_opts o;
    zr_serialize_opts_init(&o);
    o.codec = "zstd";
    st = zr_serialize(ctx, &rec, &o, s, NULL, NULL);
    assert_true(st == ZR_OK || st == ZR_ERR_NOMEM);
    zr_sink_free(s);
    zr_ctx_free(ctx);
    assert_int_equal(fa.live, 0);
  }
  zr_doc_free(d);
}

/* @p m as bare JSON with the deterministic option @p det: the text starts with @p want */
static void json_starts(zr_ctx *ctx, const zr_value *m, int det, const char *want) {
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  assert_int_equal(o.deterministic, -1);
  o.format = "json";
  o.codec = "none";
  o.envelope = 0;
  o.deterministic = det;
  size_t n;
  zr_serialize_result r;
  uint8_t *b = zr_test_ser_ok(ctx, m, &o, &n, &r);
  assert_true(n >= strlen(want));
  assert_memory_equal(b, want, strlen(want));
  free(b);
}

/* zr_serialize_opts.deterministic overrides the configuration: JSON map keys come out sorted */
static void test_deterministic_option(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = zr_map_new(d, 3);
  zr_map_put_cstr(d, &m, "zeta", zr_int(1));
  zr_map_put_cstr(d, &m, "alpha", zr_int(2));
  zr_map_put_cstr(d, &m, "mid", zr_int(3));
  const char *want[] = {"{\"zeta\":1,\"alpha\":2,\"mid\":3}", "{\"alpha\":2,\"mid\":3,\"zeta\":1}"};
  for (int det = -1; det <= 1; det++) json_starts(ctx, &m, det, want[det == 1]);
  /* -1 follows the configuration */
  assert_int_equal(zr_ctx_set(ctx, "deterministic", "true", NULL), ZR_OK);
  json_starts(ctx, &m, -1, want[1]);
  json_starts(ctx, &m, 0, want[0]); /* the call wins over the configuration */
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_auto),   cmocka_unit_test(test_compression), cmocka_unit_test(test_deterministic_option),
      cmocka_unit_test(test_fallback),         cmocka_unit_test(test_lossy_warnings),
      cmocka_unit_test(test_detect_errors),    cmocka_unit_test(test_inspect),
      cmocka_unit_test(test_log_and_decisions), cmocka_unit_test(test_envelope_request),
      cmocka_unit_test(test_failing_allocator), cmocka_unit_test(test_envelope_meta_lineage),
      cmocka_unit_test(test_numeric_list_to_npy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
