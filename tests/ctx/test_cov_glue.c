/* The glue of the serialization manager: codec and envelope glue called directly (unknown codec
 * names, output limits, appending to a buffer, every optional field absent), envelope metadata
 * from serialize (empty producer, NULL keys and values, parents that are not envelopes or are
 * damaged), the learned-cost table when full, registered formats shadowing built-in ones,
 * formats whose own inspection fails, layer lists longer than the info can hold, and allocation
 * failures while peeling and inspecting layered inputs (ZR_ERR_NOMEM, nothing left allocated). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx/ctx_internal.h"
#include "zerial/codec.h"
#include "zerial/envelope.h"
#include "zr_test_ser.h"

static zr_ctx *new_ctx(const zr_allocator *a) {
  zr_ctx *ctx = NULL;
  zr_error e;
  if (zr_ctx_new_isolated(a, &ctx, &e) != ZR_OK) fail_msg("ctx: %s", e.message);
  return ctx;
}

static void test_codec_glue(void **state) {
  (void)state;
  zr__buf b;
  zr__buf_init(&b, NULL);
  zr_error e;
  assert_false(zr__cg_available(NULL));
  assert_false(zr__cg_available("brotli"));
  assert_true(zr__cg_available("lz4"));
  assert_null(zr__cg_detect((const uint8_t *)"plain", 5));
  assert_int_equal(zr__cg_compress("brotli", 0, (const uint8_t *)"x", 1, &b, &e), ZR_ERR_UNSUPPORTED);
  assert_string_equal(e.message, "unknown codec 'brotli'");
  assert_int_equal(zr__cg_decompress("brotli", (const uint8_t *)"x", 1, 100, &b, &e), ZR_ERR_UNSUPPORTED);
  /* two frames decompressed into one buffer: the second is appended */
  static const char text[] = "abcabcabcabcabcabcabcabcabcabcabcabc";
  zr__buf c1, c2;
  zr__buf_init(&c1, NULL);
  zr__buf_init(&c2, NULL);
  assert_int_equal(zr__cg_compress("zstd", 99, (const uint8_t *)text, sizeof text, &c1, &e), ZR_OK);
  assert_int_equal(zr__cg_compress("gzip", -99, (const uint8_t *)text, sizeof text, &c2, &e), ZR_OK);
  assert_int_equal(zr__cg_decompress("zstd", c1.data, c1.len, 1000, &b, &e), ZR_OK);
  assert_int_equal(b.len, sizeof text);
  assert_int_equal(zr__cg_decompress("gzip", c2.data, c2.len, 1000, &b, &e), ZR_OK);
  assert_int_equal(b.len, 2 * sizeof text);
  assert_memory_equal(b.data + sizeof text, text, sizeof text);
  /* an empty buffer that already has memory is appended to, not replaced */
  zr__buf pre;
  zr__buf_init(&pre, NULL);
  assert_int_equal(zr__buf_reserve(&pre, 8), ZR_OK);
  assert_int_equal(zr__cg_decompress("zstd", c1.data, c1.len, 1000, &pre, &e), ZR_OK);
  assert_int_equal(pre.len, sizeof text);
  assert_memory_equal(pre.data, text, sizeof text);
  zr__buf_free(&pre);
  /* the limit counts what the buffer holds already */
  assert_int_equal(zr__cg_decompress("zstd", c1.data, c1.len, b.len, &b, &e), ZR_ERR_LIMIT);
  assert_string_equal(e.message, "decompressed size exceeds the limit of 74 bytes");
  assert_int_not_equal(zr__cg_decompress("zstd", c1.data, c1.len, b.len + 5, &b, &e), ZR_OK);
  assert_int_equal(b.len, 2 * sizeof text);
  zr__buf_free(&b);
  zr__buf_free(&c1);
  zr__buf_free(&c2);
}

static void test_envelope_glue(void **state) {
  (void)state;
  zr_error e;
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr__env_in in;
  memset(&in, 0, sizeof in);
  in.codec = "brotli";
  assert_int_equal(zr__eg_write(&in, (const uint8_t *)"p", 1, s, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "codec 'brotli' has no envelope id");
  /* everything optional absent: no codec name, producer, operation; lineage without a parent */
  in.codec = NULL;
  in.lineage = 1;
  assert_int_equal(zr__eg_write(&in, (const uint8_t *)"p", 1, s, &e), ZR_OK);
  const uint8_t *b;
  size_t n;
  zr_sink_memory_data(s, &b, &n);
  zr_envelope env;
  assert_int_equal(zr_envelope_parse(b, n, NULL, &env, &e), ZR_OK);
  assert_null(env.meta.producer.ptr);
  assert_int_equal(env.meta.n_lineage, 1);
  assert_string_equal(env.meta.lineage[0].operation.ptr, "serialize");
  assert_string_equal(env.meta.lineage[0].producer.ptr, "zerial");
  assert_int_equal(env.meta.lineage[0].n_inputs, 0);
  assert_int_equal(env.header.codec, ZR_CODEC_NONE);
  zr_envelope_clear(&env);
  /* unwrap: bytes after the frame */
  uint8_t *two = malloc(n + 3);
  memcpy(two, b, n);
  memcpy(two + n, "xyz", 3);
  const uint8_t *pl;
  size_t pn;
  uint16_t fid;
  char codec[16];
  uint64_t raw;
  assert_int_equal(zr__eg_unwrap(two, n + 3, &pl, &pn, &fid, codec, sizeof codec, &raw, &e), ZR_ERR_MALFORMED);
  assert_string_equal(e.message, "3 bytes after the envelope frame");
  assert_int_equal(e.offset, (int64_t)n);
  free(two);
  zr_sink_free(s);
  /* inspect shows a schema fingerprint and metadata */
  zr_envelope_params p;
  memset(&p, 0, sizeof p);
  zr_envelope_meta meta;
  memset(&meta, 0, sizeof meta);
  meta.has_schema_fingerprint = 1;
  meta.schema_fingerprint = 0xfeed;
  zr_envelope_kv kv = {{"k", 1}, {"v", 1}};
  meta.kv = &kv;
  meta.n_kv = 1;
  p.meta = &meta;
  p.format_id = ZR_FORMAT_ID_JSON;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_envelope_write(s, &p, "[1]", 3, &e), ZR_OK);
  zr_sink_memory_data(s, &b, &n);
  zr__buf j;
  zr__buf_init(&j, NULL);
  assert_int_equal(zr__eg_inspect(b, n, &j, &e), ZR_OK);
  assert_non_null(memmem(j.data, j.len, "\"schema_fingerprint\":\"000000000000feed\"", 39));
  assert_non_null(memmem(j.data, j.len, "\"metadata\":{\"k\":\"v\"}", 20));
  zr__buf_free(&j);
  zr_sink_free(s);
}

/* serialize with envelope metadata that has holes, and parents of every kind */
static void test_envelope_metadata(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx(NULL);
  assert_int_equal(zr_ctx_set(ctx, "producer", "", NULL), ZR_OK);
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_test_records_of(d, 3, "tag", "repeated repeated repeated", 0);
  static const zr_meta_kv holes[2] = {{NULL, "v"}, {"k", NULL}};
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.envelope = 1;
  o.meta = holes;
  o.n_meta = 2;
  o.lineage = 1;
  o.codec = "gzip";
  o.format = "binary";
  zr_error e;
  assert_int_equal(zr_serialize(ctx, &v, &o, s, NULL, &e), ZR_OK);
  const uint8_t *b;
  size_t n;
  zr_sink_memory_data(s, &b, &n);
  zr_envelope env;
  assert_int_equal(zr_envelope_parse(b, n, NULL, &env, &e), ZR_OK);
  assert_null(env.meta.producer.ptr); /* an empty producer is left out */
  assert_int_equal(env.meta.n_kv, 2);
  assert_int_equal(env.meta.kv[0].key.len, 0);
  assert_int_equal(env.meta.kv[1].value.len, 0);
  assert_int_equal(env.header.codec, ZR_CODEC_GZIP);
  assert_int_equal(env.meta.n_lineage, 1);
  assert_int_equal(env.meta.lineage[0].producer.len, 0);
  zr_envelope_clear(&env);
  uint8_t *first;
  size_t first_n;
  assert_int_equal(zr_sink_memory_take(s, &first, &first_n, NULL), ZR_OK);
  /* parents: raw bytes (one input, no history), a damaged envelope (the same), an envelope (history) */
  for (int k = 0; k < 3; k++) {
    uint8_t *parent = malloc(first_n);
    memcpy(parent, first, first_n);
    size_t pn = first_n;
    if (k == 0) pn = 10, memcpy(parent, "not-an-env", 10);
    if (k == 1) parent[20] ^= 0xff; /* the header check fails */
    o.parent = parent;
    o.parent_len = pn;
    o.meta = NULL;
    o.n_meta = 0;
    assert_int_equal(zr_serialize(ctx, &v, &o, s, NULL, &e), ZR_OK);
    zr_sink_memory_data(s, &b, &n);
    assert_int_equal(zr_envelope_parse(b, n, NULL, &env, &e), ZR_OK);
    assert_int_equal(env.meta.n_lineage, k == 2 ? 2 : 1);
    const zr_envelope_lineage *last = &env.meta.lineage[env.meta.n_lineage - 1];
    assert_int_equal(last->n_inputs, 1);
    assert_int_equal(last->inputs[0], zr_xxh3_64(parent, pn, 0));
    zr_envelope_clear(&env);
    uint8_t *tmp;
    size_t tn;
    assert_int_equal(zr_sink_memory_take(s, &tmp, &tn, NULL), ZR_OK);
    zr_free(tmp);
    free(parent);
  }
  /* the same with the context's allocator failing: every allocation of the envelope glue is
   * counted, NOMEM comes back, nothing stays allocated */
  o.parent = first;
  o.parent_len = first_n;
  o.meta = holes;
  o.n_meta = 2;
  for (uint64_t k = 1;; k++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, 0);
    zr_ctx *fctx = new_ctx(&fa.a);
    zr_sink *fs;
    assert_int_equal(zr_sink_memory_new(NULL, &fs, NULL), ZR_OK);
    fa.fail_at = fa.calls + k;
    zr_error_clear(&e);
    zr_status st = zr_serialize(fctx, &v, &o, fs, NULL, &e);
    zr_sink_free(fs);
    zr_ctx_free(fctx);
    assert_int_equal(fa.live, 0);
    if (st == ZR_OK) break;
    assert_int_equal(st, ZR_ERR_NOMEM);
    assert_true(e.message[0] != 0);
    assert_true(k < 500);
  }
  zr_free(first);
  zr_sink_free(s);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* the learned-cost table: 256 entries, then the least measured one is replaced */
static void test_learn_table(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx(NULL);
  char shape[32];
  for (int i = 0; i < 300; i++) {
    snprintf(shape, sizeof shape, "shape-%d", i);
    int reps = i < 256 ? 2 + i % 3 : 1;
    for (int k = 0; k < reps; k++) zr__ctx_learn(ctx, 0.5, shape, "binary", "none", 10.0 + k, 1.0, 0.5);
  }
  zr__sel_stats st;
  /* the first entries with the fewest measurements (2) made room, one after another */
  assert_false(zr__ctx_lookup(ctx, "shape-0", "binary", "none", &st));
  assert_true(zr__ctx_lookup(ctx, "shape-1", "binary", "none", &st));
  assert_int_equal(st.n, 3);
  assert_true(st.ns_per_byte > 10.0 && st.ns_per_byte < 12.0);
  assert_true(zr__ctx_lookup(ctx, "shape-299", "binary", "none", &st));
  assert_int_equal(st.n, 1);
  assert_true(zr__ctx_lookup(ctx, "shape-255", "binary", "none", &st));
  zr_ctx_free(ctx);
}

/* a registered format named like a built-in one replaces it, also for detection */
static zr_status j_enc(const zr_value *v, const zr_encode_opts *o, zr_sink *s, zr_error *e) {
  (void)v, (void)o;
  return zr_sink_write(s, "{}", 2, e);
}
static zr_status j_dec(const uint8_t *d, size_t n, const zr_decode_opts *o, zr_doc **out, zr_error *e) {
  (void)d, (void)n, (void)o;
  *out = zr_doc_new(NULL);
  zr_doc_set_root(*out, zr_cstr_ref("mine"));
  (void)e;
  return ZR_OK;
}
static int j_weak(const uint8_t *d, size_t n) { return n && d[0] == '{' ? 1 : 0; }
static zr_status insp_fail(const uint8_t *d, size_t n, zr_sink *s, zr_error *e) {
  (void)d, (void)n, (void)s;
  return zr_error_set(e, ZR_ERR_MALFORMED, 3, "the \"thing\" is broken");
}
static zr_status insp_nomem(const uint8_t *d, size_t n, zr_sink *s, zr_error *e) {
  (void)d, (void)n, (void)s;
  return zr_error_set(e, ZR_ERR_NOMEM, -1, "out of memory");
}
static zr_status insp_empty(const uint8_t *d, size_t n, zr_sink *s, zr_error *e) {
  (void)d, (void)n, (void)s, (void)e;
  return ZR_OK;
}
static int q_detect(const uint8_t *d, size_t n) { return n >= 2 && d[0] == 'Q' ? 100 : 0; }

static void test_shadow_and_inspect(void **state) {
  (void)state;
  zr_error e;
  zr_doc *doc = NULL;
  zr_deserialize_info info;
  static const uint8_t js[] = "{\"a\": 1}";
  for (int k = 0; k < 2; k++) {
    zr_ctx *ctx = new_ctx(NULL);
    zr_format f;
    memset(&f, 0, sizeof f);
    f.name = "json";
    f.id = 0x7e01;
    f.encode = j_enc;
    f.decode = j_dec;
    f.detect = k ? j_weak : NULL;
    assert_int_equal(zr_ctx_register_format(ctx, &f, &e), ZR_OK);
    zr_status st = zr_deserialize(ctx, js, sizeof js - 1, NULL, &doc, &info, &e);
    if (k) {
      assert_int_equal(st, ZR_OK); /* the registered "json" claims it, weakly but alone */
      assert_string_equal(zr_doc_root(doc)->u.str, "mine");
      zr_doc_free(doc);
    } else {
      assert_int_equal(st, ZR_ERR_FORMAT); /* the built-in json is replaced by one that detects nothing */
    }
    zr_ctx_free(ctx);
  }
  /* formats whose inspection fails, runs out of memory, or says nothing */
  zr_format q;
  memset(&q, 0, sizeof q);
  q.name = "qfmt";
  q.id = 0x7e02;
  q.encode = j_enc;
  q.decode = j_dec;
  q.detect = q_detect;
  zr_status (*insp[3])(const uint8_t *, size_t, zr_sink *, zr_error *) = {insp_fail, insp_nomem, insp_empty};
  for (int k = 0; k < 3; k++) {
    zr_ctx *ctx = new_ctx(NULL);
    q.inspect = insp[k];
    assert_int_equal(zr_ctx_register_format(ctx, &q, &e), ZR_OK);
    zr_sink *s;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    zr_status st = zr_inspect(ctx, (const uint8_t *)"Qdata", 5, s, &e);
    const uint8_t *b;
    size_t n;
    zr_sink_memory_data(s, &b, &n);
    if (k == 1) {
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_int_equal(n, 0);
    } else {
      assert_int_equal(st, ZR_OK);
      assert_non_null(memmem(b, n, "\"format\":\"qfmt\"", 15));
      if (k == 0) assert_non_null(memmem(b, n, "\"format_error\":\"the \\\"thing\\\" is broken\"", 40));
      else assert_null(memmem(b, n, "format_info", 11));
    }
    zr_sink_free(s);
    zr_ctx_free(ctx);
  }
  /* NULL data of length 0: nothing recognised */
  zr_ctx *ctx = new_ctx(NULL);
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_inspect(ctx, NULL, 0, s, &e), ZR_ERR_FORMAT);
  assert_int_equal(zr_deserialize(ctx, NULL, 0, NULL, &doc, NULL, &e), ZR_ERR_FORMAT);
  zr_sink_free(s);
  zr_ctx_free(ctx);
}

/* envelope(zstd) three deep: the info lists the first four layers; peeling and inspecting under
 * a failing allocator */
static uint8_t *wrap_zstd(const uint8_t *in, size_t n, int envelope, size_t *out_n) {
  size_t cap = zr_codec_bound(ZR_CODEC_ZSTD, n);
  uint8_t *c = malloc(cap);
  size_t cl = 0;
  assert_int_equal(zr_codec_compress(ZR_CODEC_ZSTD, 0, in, n, c, cap, &cl, NULL), ZR_OK);
  if (!envelope) {
    *out_n = cl;
    return c;
  }
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_envelope_params p;
  memset(&p, 0, sizeof p);
  p.codec = ZR_CODEC_ZSTD;
  p.raw_len = n;
  assert_int_equal(zr_envelope_write(s, &p, c, cl, NULL), ZR_OK);
  free(c);
  uint8_t *out;
  assert_int_equal(zr_sink_memory_take(s, &out, out_n, NULL), ZR_OK);
  zr_sink_free(s);
  uint8_t *copy = malloc(*out_n);
  memcpy(copy, out, *out_n);
  zr_free(out);
  return copy;
}

static void test_deep_layers(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx(NULL);
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_test_records_of(d, 40, "tag", "repeated repeated repeated", 0);
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = "binary";
  o.envelope = 0;
  o.codec = "none";
  zr_error e;
  assert_int_equal(zr_serialize(ctx, &v, &o, s, NULL, &e), ZR_OK);
  const uint8_t *b;
  size_t bn;
  zr_sink_memory_data(s, &b, &bn);
  for (int shape = 0; shape < 2; shape++) {
    /* 0: env(zstd(env(zstd(env(zstd(binary)))))); 1: env(zstd(env(zstd(zstd(binary))))) */
    size_t n1, n2, n3;
    uint8_t *l1 = wrap_zstd(b, bn, shape == 0, &n1);
    uint8_t *l2 = wrap_zstd(l1, n1, 1, &n2);
    uint8_t *l3 = wrap_zstd(l2, n2, 1, &n3);
    zr_doc *back = NULL;
    zr_deserialize_info info;
    assert_int_equal(zr_deserialize(ctx, l3, n3, NULL, &back, &info, &e), ZR_OK);
    assert_true(zr_value_equal(zr_doc_root(back), &v));
    assert_int_equal(info.n_layers, 4);
    assert_string_equal(info.layers[0], "envelope");
    assert_string_equal(info.layers[3], "zstd");
    zr_doc_free(back);
    /* every allocation failing in turn, for deserialize and for inspect */
    for (int what = 0; what < 2; what++) {
      for (uint64_t k = 1;; k++) {
        zr_test_failalloc fa;
        zr_test_failalloc_init(&fa, 0);
        zr_ctx *fctx = new_ctx(&fa.a);
        fa.fail_at = fa.calls + k;
        zr_error_clear(&e);
        zr_status st;
        zr_sink *js = NULL;
        if (what == 0) {
          zr_decode_opts dopts;
          zr_decode_opts_init(&dopts);
          dopts.alloc = &fa.a;
          st = zr_deserialize(fctx, l3, n3, &dopts, &back, NULL, &e);
          if (st == ZR_OK) zr_doc_free(back);
        } else {
          assert_int_equal(zr_sink_memory_new(NULL, &js, NULL), ZR_OK);
          st = zr_inspect(fctx, l3, n3, js, &e);
          zr_sink_free(js);
        }
        zr_ctx_free(fctx);
        assert_int_equal(fa.live, 0);
        if (st == ZR_OK) break;
        if (st != ZR_ERR_NOMEM && st != ZR_ERR_LIMIT) fail_msg("%d/%d alloc %llu: %s (%s)", shape, what, (unsigned long long)k, zr_status_name(st), e.message);
        assert_true(k < 2000);
      }
    }
    free(l1);
    free(l2);
    free(l3);
  }
  zr_sink_free(s);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_codec_glue),      cmocka_unit_test(test_envelope_glue),
      cmocka_unit_test(test_envelope_metadata), cmocka_unit_test(test_learn_table),
      cmocka_unit_test(test_shadow_and_inspect), cmocka_unit_test(test_deep_layers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
