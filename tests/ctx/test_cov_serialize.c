/* The serialization manager's less travelled paths: registries at their limits and with bad
 * arguments, nested numeric lists into npy (ragged, too deep, mixed, big unsigned, lossy in strict
 * and lenient mode, with value paths), custom types whose score, encoder or decoder misbehave,
 * unknown codecs and formats, injected codec faults, compression that does not pay, envelopes
 * nested too deep or lying about their payload, trailing bytes, inspect of a damaged payload,
 * decision output with measurements, and every entry point's argument checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/codec.h"
#include "zerial/envelope.h"
#include "zerial/serialize.h"
#include "core/internal.h"
#include "metrics/metrics_internal.h"
#include "zr_test_ser.h"

static zr_ctx *new_ctx(void) {
  zr_ctx *ctx = NULL;
  zr_error e;
  if (zr_ctx_new_isolated(NULL, &ctx, &e) != ZR_OK) fail_msg("ctx: %s", e.message);
  return ctx;
}

/* serialize into a memory sink; the bytes stay in *sink */
static zr_status ser(zr_ctx *ctx, const zr_value *v, const zr_serialize_opts *o, zr_sink **sink, zr_serialize_result *r,
                     zr_error *e) {
  assert_int_equal(zr_sink_memory_new(NULL, sink, NULL), ZR_OK);
  zr_error_clear(e);
  return zr_serialize(ctx, v, o, *sink, r, e);
}

/* ---- registries ---- */
static zr_status nop_enc(const zr_value *v, const zr_encode_opts *o, zr_sink *s, zr_error *e) {
  (void)v, (void)o;
  return zr_sink_write(s, "NOP!", 4, e);
}
static zr_status nop_dec(const uint8_t *d, size_t n, const zr_decode_opts *o, zr_doc **out, zr_error *e) {
  (void)d, (void)n, (void)o;
  *out = zr_doc_new(NULL);
  zr_doc_set_root(*out, zr_int(7));
  (void)e;
  return ZR_OK;
}
static int nop_detect(const uint8_t *d, size_t n) { return n >= 4 && memcmp(d, "NOP!", 4) == 0 ? 100 : 0; }
/* claims JSON-looking input weakly */
static int weak_detect(const uint8_t *d, size_t n) { return n && d[0] == '{' ? 1 : 0; }

static zr_status t_enc(void *ud, const zr_value *v, zr_sink *s, zr_error *e) {
  (void)ud, (void)v;
  return zr_sink_write(s, "T", 1, e);
}
static zr_status t_dec(void *ud, const uint8_t *d, size_t n, uint16_t ver, zr_doc *doc, zr_value *out, zr_error *e) {
  (void)ud, (void)d, (void)n, (void)ver, (void)doc, (void)e;
  *out = zr_int(42);
  return ZR_OK;
}

static void test_registries(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx();
  zr_error e;
  zr_format f;
  memset(&f, 0, sizeof f);
  assert_int_equal(zr_ctx_register_format(NULL, &f, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_register_format(ctx, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_register_format(ctx, &f, &e), ZR_ERR_INVALID_ARG);
  f.name = "nop0";
  assert_int_equal(zr_ctx_register_format(ctx, &f, &e), ZR_ERR_INVALID_ARG);
  f.encode = nop_enc;
  assert_int_equal(zr_ctx_register_format(ctx, &f, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "a format needs a name, encode and decode");
  f.decode = nop_dec;
  /* 32 formats fit, the 33rd does not; a name twice is refused */
  static char names[40][16];
  static zr_format fs[40];
  for (int i = 0; i < 33; i++) {
    snprintf(names[i], sizeof names[i], "nop%d", i);
    fs[i] = f;
    fs[i].name = names[i];
    fs[i].id = (uint16_t)(0x7000 + i);
    fs[i].detect = i == 0 ? nop_detect : i == 1 ? weak_detect : NULL;
    zr_status st = zr_ctx_register_format(ctx, &fs[i], &e);
    if (i < 32) assert_int_equal(st, ZR_OK);
    else {
      assert_int_equal(st, ZR_ERR_LIMIT);
      assert_string_equal(e.message, "at most 32 formats can be registered");
    }
  }
  assert_int_equal(zr_ctx_register_format(ctx, &fs[3], &e), ZR_ERR_EXISTS);
  assert_string_equal(e.message, "format 'nop3' is already registered");
  assert_ptr_equal(zr_ctx_format(ctx, "nop31"), &fs[31]);
  assert_null(zr_ctx_format(ctx, NULL));
  assert_non_null(zr_ctx_format(NULL, "binary"));
  assert_null(zr_ctx_format(NULL, "nop1"));
  /* detection: a registered format with a strong claim wins; a weak claim loses to a built-in one */
  zr_doc *doc = NULL;
  zr_deserialize_info info;
  assert_int_equal(zr_deserialize(ctx, (const uint8_t *)"NOP!", 4, NULL, &doc, &info, &e), ZR_OK);
  assert_string_equal(info.format, "nop0");
  zr_doc_free(doc);
  assert_int_equal(zr_deserialize(ctx, (const uint8_t *)"{\"a\": 1}", 8, NULL, &doc, &info, &e), ZR_OK);
  assert_string_equal(info.format, "json");
  zr_doc_free(doc);
  /* an envelope naming a registered format id */
  zr_sink *s;
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = "nop5";
  o.envelope = 1;
  o.codec = "none";
  zr_value one = zr_int(1);
  zr_serialize_result r;
  assert_int_equal(ser(ctx, &one, &o, &s, &r, &e), ZR_OK);
  const uint8_t *b;
  size_t n;
  zr_sink_memory_data(s, &b, &n);
  assert_int_equal(zr_deserialize(ctx, b, n, NULL, &doc, &info, &e), ZR_OK);
  assert_string_equal(info.format, "nop5");
  assert_int_equal(zr_doc_root(doc)->u.i, 7);
  zr_doc_free(doc);
  zr_sink_free(s);
  zr_ctx_free(ctx);

  /* custom types: arguments, names, ids, the limit, unregistering from the middle */
  ctx = new_ctx();
  zr_custom_type t;
  memset(&t, 0, sizeof t);
  assert_int_equal(zr_ctx_register_type(NULL, &t, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_register_type(ctx, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_register_type(ctx, &t, &e), ZR_ERR_INVALID_ARG);
  t.name = "";
  assert_int_equal(zr_ctx_register_type(ctx, &t, &e), ZR_ERR_INVALID_ARG);
  t.name = "x";
  assert_int_equal(zr_ctx_register_type(ctx, &t, &e), ZR_ERR_INVALID_ARG);
  t.encode = t_enc;
  assert_int_equal(zr_ctx_register_type(ctx, &t, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "a custom type needs a name, encode and decode");
  t.decode = t_dec;
  t.name = "a-name-of-twenty-four-ch";
  assert_int_equal(zr_ctx_register_type(ctx, &t, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "custom type name 'a-name-of-twenty-four-ch' is too long (23 bytes at most)");
  static char tn[70][24];
  for (int i = 0; i < 65; i++) {
    snprintf(tn[i], sizeof tn[i], "type-%d", i);
    t.name = tn[i];
    t.id = 100 + (uint32_t)i;
    zr_status st = zr_ctx_register_type(ctx, &t, &e);
    assert_int_equal(st, i < 64 ? ZR_OK : ZR_ERR_LIMIT);
  }
  assert_string_equal(e.message, "at most 64 custom types can be registered");
  t.name = "type-3";
  t.id = 5000;
  assert_int_equal(zr_ctx_register_type(ctx, &t, &e), ZR_ERR_EXISTS);
  assert_string_equal(e.message, "custom type name 'type-3' is taken");
  t.name = "fresh";
  t.id = 103;
  assert_int_equal(zr_ctx_register_type(ctx, &t, &e), ZR_ERR_EXISTS);
  assert_string_equal(e.message, "custom type id 103 is taken by 'type-3'");
  assert_int_equal(zr_ctx_unregister_type(NULL, 1, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_unregister_type(ctx, 99, &e), ZR_ERR_NOT_FOUND);
  assert_string_equal(e.message, "no custom type with id 99");
  assert_int_equal(zr_ctx_unregister_type(ctx, 110, &e), ZR_OK);
  assert_int_equal(zr_ctx_register_type(ctx, &(zr_custom_type){"type-10b", 9000, 1, NULL, NULL, t_enc, t_dec, NULL}, &e),
                   ZR_OK);
  /* the types after the removed one keep their names */
  zr_doc *d = zr_doc_new(NULL);
  zr_value ext = zr_null();
  ext.kind = ZR_KIND_EXT;
  ext.aux32 = 163;
  ext.u.bin = (const uint8_t *)"T";
  ext.n.len = 1;
  zr_value out;
  assert_int_equal(zr_ctx_decode_ext(ctx, &ext, d, &out, &e), ZR_OK);
  assert_int_equal(out.u.i, 42);
  zr_serialize_opts_init(&o);
  o.envelope = 0;
  o.codec = "none";
  assert_int_equal(ser(ctx, &ext, &o, &s, &r, &e), ZR_OK);
  assert_string_equal(r.format, "custom:type-63");
  zr_sink_free(s);
  ext.aux32 = 110;
  assert_int_equal(zr_ctx_decode_ext(ctx, &ext, d, &out, &e), ZR_ERR_NOT_FOUND);
  assert_string_equal(e.message, "no custom type registered with id 110");
  assert_int_equal(zr_ctx_decode_ext(ctx, &one, d, &out, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "not an ext value (int)");
  assert_int_equal(zr_ctx_decode_ext(NULL, &ext, d, &out, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_decode_ext(ctx, NULL, d, &out, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_decode_ext(ctx, &ext, NULL, &out, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_decode_ext(ctx, &ext, d, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_doc_free(d);
  /* decisions and the log hook: argument checks */
  size_t nd = 9;
  zr_decision dec;
  assert_int_equal(zr_ctx_decisions(NULL, &dec, 1, &nd), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_decisions(ctx, NULL, 1, &nd), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_decisions(ctx, &dec, 1, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_decisions(ctx, NULL, 0, &nd), ZR_OK);
  assert_int_equal(nd, 0);
  zr_ctx_set_log(NULL, NULL, NULL);
  zr_ctx_free(ctx);
  zr_ctx_free(NULL);
}

/* ---- nested numeric lists into npy ---- */
static zr_value nums(zr_doc *d, const char *spec);

/* a tiny parser: "[1,[2,3]]", ints, -ints, "u<digits>" unsigned, floats with '.', "s" a string */
static zr_value parse_at(zr_doc *d, const char **p) {
  while (**p == ' ' || **p == ',') (*p)++;
  if (**p == '[') {
    (*p)++;
    zr_value l = zr_list_new(d, 0);
    for (;;) {
      while (**p == ' ' || **p == ',') (*p)++;
      if (**p == ']') {
        (*p)++;
        return l;
      }
      zr_list_push(d, &l, parse_at(d, p));
    }
  }
  if (**p == 's') {
    (*p)++;
    return zr_cstr_ref("s");
  }
  if (**p == 'u') {
    (*p)++;
    char *end;
    unsigned long long u = strtoull(*p, &end, 10);
    *p = end;
    return zr_uint(u);
  }
  char *end;
  const char *start = *p;
  long long i = strtoll(start, &end, 10);
  if (*end == '.' || *end == 'e') {
    double x = strtod(start, &end);
    *p = end;
    return zr_float(x);
  }
  *p = end;
  return zr_int(i);
}

static zr_value nums(zr_doc *d, const char *spec) { return parse_at(d, &spec); }

static void test_numeric_lists(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx();
  static const struct {
    const char *spec;
    int strict;
    zr_status code;
    int dtype;         /* for ZR_OK */
    const char *path;  /* warning or error path */
  } cases[] = {
      {"[1, 2, 3]", 0, ZR_OK, ZR_DT_INT64, NULL},
      {"[[1, 2], [3, 4]]", 0, ZR_OK, ZR_DT_INT64, NULL},
      {"[1, 2.5]", 0, ZR_OK, ZR_DT_FLOAT64, NULL},
      {"[u18446744073709551615, 1]", 0, ZR_OK, ZR_DT_UINT64, NULL},
      {"[u18446744073709551615, -1]", 0, ZR_OK, ZR_DT_FLOAT64, "$[0]"},
      {"[[0.5, 9007199254740993]]", 0, ZR_OK, ZR_DT_FLOAT64, "$[0][1]"},
      {"[0.5, -9007199254740993]", 0, ZR_OK, ZR_DT_FLOAT64, "$[1]"},
      {"[[0.5], [u9007199254740993]]", 1, ZR_ERR_LOSSY, 0, "$[1][0]"},
      {"[[], []]", 0, ZR_OK, ZR_DT_INT64, NULL},
      {"[]", 0, ZR_OK, ZR_DT_INT64, NULL},
      /* not tensors: handed to npy unchanged, which cannot hold them */
      {"[[1, 2], [3]]", 0, ZR_ERR_TYPE, 0, NULL},
      {"[[1, 2], 3]", 0, ZR_ERR_TYPE, 0, NULL},
      {"[1, [2]]", 0, ZR_ERR_TYPE, 0, NULL},
      {"[1, s]", 0, ZR_ERR_TYPE, 0, NULL},
      {"[[], [1]]", 0, ZR_ERR_TYPE, 0, NULL},
      {"[[[1]], [2]]", 0, ZR_ERR_TYPE, 0, NULL},
      {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 0, ZR_ERR_TYPE, 0, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    zr_doc *d = zr_doc_new(NULL);
    zr_value v = nums(d, cases[i].spec);
    zr_serialize_opts o;
    zr_serialize_opts_init(&o);
    o.format = "npy";
    o.strict = cases[i].strict;
    o.envelope = 0;
    zr_sink *s;
    zr_serialize_result r;
    zr_error e;
    zr_status st = ser(ctx, &v, &o, &s, &r, &e);
    if (st != cases[i].code) fail_msg("%s: %s (%s)", cases[i].spec, zr_status_name(st), e.message);
    if (st == ZR_OK) {
      const uint8_t *b;
      size_t n;
      zr_sink_memory_data(s, &b, &n);
      zr_doc *back = NULL;
      assert_int_equal(zr_deserialize(ctx, b, n, NULL, &back, NULL, &e), ZR_OK);
      const zr_value *root = zr_doc_root(back);
      assert_int_equal(root->kind, ZR_KIND_TENSOR);
      assert_int_equal(root->u.tensor->dtype, cases[i].dtype);
      zr_doc_free(back);
      if (cases[i].path) {
        assert_true(r.warnings.count >= 1);
        assert_string_equal(r.warnings.items[0].path, cases[i].path);
        assert_int_equal(r.warnings.items[0].code, ZR_ERR_LOSSY);
      } else {
        assert_int_equal(r.warnings.count, 0);
      }
    } else if (cases[i].path) {
      assert_string_equal(e.path, cases[i].path);
      assert_string_equal(e.message, "integer beyond 2^53 would become float64 (strict mode)");
    }
    zr_sink_free(s);
    zr_doc_free(d);
  }
  /* more lossy values than the result keeps: the count goes on */
  zr_doc *d = zr_doc_new(NULL);
  zr_value many = zr_list_new(d, 0);
  zr_list_push(d, &many, zr_float(0.5));
  for (int i = 0; i < 40; i++) zr_list_push(d, &many, zr_int((INT64_C(1) << 53) + 1 + i));
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = "npy";
  zr_sink *s;
  zr_serialize_result r;
  zr_error e;
  assert_int_equal(ser(ctx, &many, &o, &s, &r, &e), ZR_OK);
  assert_int_equal(r.warnings.count, 40);
  assert_string_equal(r.warnings.items[ZR_MAX_WARNINGS - 1].path, "$[16]");
  zr_sink_free(s);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* ---- custom types that misbehave ---- */
typedef struct cbeh {
  double score;
  int fail_encode, fail_decode, probe;
} cbeh;

static int c_probe(void *ud, const zr_value *v) {
  (void)v;
  return ((cbeh *)ud)->probe;
}
static double c_score(void *ud, const zr_value *v) {
  (void)v;
  return ((cbeh *)ud)->score;
}
static zr_status c_enc(void *ud, const zr_value *v, zr_sink *s, zr_error *e) {
  (void)v;
  if (((cbeh *)ud)->fail_encode) return zr_error_set(e, ZR_ERR_RANGE, -1, "point out of range");
  return zr_sink_write(s, "PT", 2, e);
}
static zr_status c_dec(void *ud, const uint8_t *d, size_t n, uint16_t ver, zr_doc *doc, zr_value *out, zr_error *e) {
  (void)d, (void)n, (void)doc;
  if (((cbeh *)ud)->fail_decode) return zr_error_set(e, ZR_ERR_MALFORMED, 1, "bad point v%u", (unsigned)ver);
  *out = zr_cstr_ref("point");
  return ZR_OK;
}

static int g_warn_logs;
static void count_logs(void *ud, zr_log_level lvl, const char *event, const zr_log_field *f, size_t n) {
  (void)ud, (void)f, (void)n;
  if (lvl == ZR_LOG_WARN && strcmp(event, "custom.fallback") == 0) g_warn_logs++;
}

static void test_custom_misbehaving(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx();
  zr_ctx_set_log(ctx, count_logs, NULL);
  cbeh beh = {NAN, 0, 0, 1};
  zr_custom_type t = {"geo.point", 77, 3, c_probe, c_score, c_enc, c_dec, &beh};
  assert_int_equal(zr_ctx_register_type(ctx, &t, NULL), ZR_OK);
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = zr_map_new(d, 0);
  zr_map_put_cstr(d, &m, "lat", zr_float(1.5));
  zr_error e;
  zr_decision dec;
  /* scores outside [0, 1] or not finite are clamped or ignored */
  static const double scores[] = {NAN, -3, 7, 0.5};
  static const double want[] = {0.6, 0, 1, 0.5};
  for (int i = 0; i < 4; i++) {
    beh.score = scores[i];
    assert_int_equal(zr_explain(ctx, &m, NULL, &dec, &e), ZR_OK);
    int found = 0;
    for (unsigned k = 0; k < dec.n_candidates; k++)
      if (strcmp(dec.cand[k].format, "custom:geo.point") == 0) found = 1;
    assert_int_equal(found, want[i] > 0);
  }
  /* the probed map goes to the custom type; a failing encoder of a non-ext value is a type error */
  beh.score = 1;
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.envelope = 0;
  o.codec = "none";
  zr_sink *s;
  zr_serialize_result r;
  assert_int_equal(ser(ctx, &m, &o, &s, &r, &e), ZR_OK);
  assert_string_equal(r.format, "custom:geo.point");
  zr_sink_free(s);
  beh.fail_encode = 1;
  assert_int_equal(ser(ctx, &m, &o, &s, &r, &e), ZR_OK); /* auto: falls back to the next candidate */
  assert_true(r.fell_back);
  assert_string_not_equal(r.format, "custom:geo.point");
  assert_non_null(strstr(r.decision.reason, "; fell back to '"));
  zr_sink_free(s);
  o.strict = 1; /* … which strict mode forbids, with or without an error struct */
  assert_int_equal(ser(ctx, &m, &o, &s, &r, &e), ZR_ERR_TYPE);
  assert_non_null(strstr(e.message, "format 'custom:geo.point' cannot represent the value (strict mode forbids falling back to '"));
  assert_non_null(strstr(e.message, "custom type 'geo.point' failed: point out of range"));
  zr_sink_free(s);
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_serialize(ctx, &m, &o, s, NULL, NULL), ZR_ERR_TYPE);
  assert_int_equal(zr_sink_size(s), 0);
  zr_sink_free(s);
  o.strict = 0;
  beh.fail_encode = 0;
  /* an ext value of the type: strict refuses, lenient writes the plain ext with a warning and a log */
  zr_value ext = zr_null();
  ext.kind = ZR_KIND_EXT;
  ext.aux32 = 77;
  ext.u.bin = (const uint8_t *)"raw";
  ext.n.len = 3;
  /* named "binary", an ext of a registered type still goes to its serializer; "json" does not */
  o.format = "binary";
  assert_int_equal(ser(ctx, &ext, &o, &s, &r, &e), ZR_OK);
  assert_string_equal(r.format, "custom:geo.point");
  zr_sink_free(s);
  o.format = NULL;
  beh.fail_encode = 1;
  o.strict = 1;
  assert_int_equal(ser(ctx, &ext, &o, &s, &r, &e), ZR_ERR_RANGE);
  assert_string_equal(e.message, "custom type 'geo.point' failed (strict mode): point out of range");
  zr_sink_free(s);
  o.strict = 0;
  g_warn_logs = 0;
  assert_int_equal(ser(ctx, &ext, &o, &s, &r, &e), ZR_OK);
  assert_string_equal(r.format, "binary");
  assert_int_equal(r.warnings.count, 1);
  assert_string_equal(r.warnings.items[0].path, "$");
  assert_non_null(strstr(r.warnings.items[0].message, "point out of range"));
  assert_int_equal(g_warn_logs, 1);
  /* read back: the root ext goes to the type's decoder, which fails, then succeeds */
  const uint8_t *b;
  size_t n;
  zr_sink_memory_data(s, &b, &n);
  zr_doc *back = NULL;
  zr_deserialize_info info;
  beh.fail_decode = 1;
  assert_int_equal(zr_deserialize(ctx, b, n, NULL, &back, &info, &e), ZR_ERR_MALFORMED);
  assert_string_equal(e.message, "bad point v0");
  assert_null(back);
  beh.fail_decode = 0;
  assert_int_equal(zr_deserialize(ctx, b, n, NULL, &back, &info, &e), ZR_OK);
  assert_true(info.custom);
  assert_string_equal(zr_doc_root(back)->u.str, "point");
  zr_doc_free(back);
  zr_sink_free(s);
  /* a name given as the format */
  o.format = "custom:no.such";
  assert_int_equal(ser(ctx, &m, &o, &s, &r, &e), ZR_ERR_NOT_FOUND);
  assert_string_equal(e.message, "custom type 'no.such' is not registered");
  zr_sink_free(s);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* ---- options, codecs, fallbacks ---- */

typedef struct cap_sink {
  uint8_t buf[4096];
  size_t len;
} cap_sink;

static zr_status cap_write(void *ud, const void *d, size_t n, size_t *w) {
  cap_sink *c = ud;
  if (c->len + n > sizeof c->buf) return ZR_ERR_NOSPACE;
  memcpy(c->buf + c->len, d, n);
  c->len += n;
  *w = n;
  return ZR_OK;
}

static void test_options_and_codecs(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx();
  zr_doc *d = zr_doc_new(NULL);
  zr_value rec = zr_test_records_of(d, 200, "name", "a rather repetitive name", 0);
  zr_serialize_opts o;
  zr_sink *s;
  zr_serialize_result r;
  zr_error e;
  zr_serialize_opts_init(NULL);
  /* unknown codec, unknown format */
  zr_serialize_opts_init(&o);
  o.codec = "brotli";
  assert_int_equal(ser(ctx, &rec, &o, &s, &r, &e), ZR_ERR_UNSUPPORTED);
  assert_string_equal(e.message, "unknown codec 'brotli' (auto, none, lz4, zstd, gzip)");
  assert_int_equal(zr_sink_size(s), 0);
  zr_sink_free(s);
  zr_serialize_opts_init(&o);
  o.format = "no-such-format";
  assert_int_equal(ser(ctx, &rec, &o, &s, &r, &e), ZR_ERR_FORMAT);
  assert_string_equal(e.message, "format 'no-such-format' is not available");
  zr_sink_free(s);
  /* levels outside a codec's range are clamped; target, level and allocator from the call */
  static const char *const codecs[] = {"lz4", "zstd", "gzip"};
  static const int levels[] = {-7, 22, 1};
  for (int c = 0; c < 3; c++) {
    for (int l = 0; l < 3; l++) {
      zr_serialize_opts_init(&o);
      o.codec = codecs[c];
      o.level = levels[l];
      o.target = "python";
      o.format = "binary";
      o.alloc = zr_allocator_default();
      o.envelope = l == 2;
      assert_int_equal(ser(ctx, &rec, &o, &s, &r, &e), ZR_OK);
      assert_string_equal(r.codec, codecs[c]);
      const uint8_t *b;
      size_t n;
      zr_sink_memory_data(s, &b, &n);
      zr_doc *back = NULL;
      zr_deserialize_info info;
      assert_int_equal(zr_deserialize(ctx, b, n, NULL, &back, &info, &e), ZR_OK);
      assert_true(zr_value_equal(zr_doc_root(back), &rec));
      assert_string_equal(info.layers[info.n_layers - 1], codecs[c]);
      zr_doc_free(back);
      zr_sink_free(s);
    }
  }
  /* without an envelope, an automatic codec from the configuration means none */
  assert_int_equal(zr_ctx_set(ctx, "envelope", "false", NULL), ZR_OK);
  assert_int_equal(zr_ctx_set(ctx, "compression.min_size", "0", NULL), ZR_OK);
  assert_int_equal(ser(ctx, &rec, NULL, &s, &r, &e), ZR_OK);
  assert_string_equal(r.codec, "none");
  assert_false(r.envelope);
  zr_sink_free(s);
  assert_int_equal(zr_ctx_set(ctx, "envelope", "true", NULL), ZR_OK);
  /* an automatic codec that does not pay on random bytes is dropped, with the reason */
  uint8_t noise[300];
  uint64_t seed = 5;
  for (size_t i = 0; i < sizeof noise; i++) noise[i] = (uint8_t)zr_test_rand(&seed);
  zr_value bin = zr_bin_ref(noise, sizeof noise);
  zr_serialize_opts_init(&o);
  o.format = "binary";
  o.codec = "auto";
  assert_int_equal(zr_ctx_set(ctx, "compression.min_size", "0", NULL), ZR_OK);
  assert_int_equal(ser(ctx, &bin, &o, &s, &r, &e), ZR_OK);
  assert_string_equal(r.codec, "none");
  zr_sink_free(s);
  o.codec = "lz4"; /* named: kept even when it does not pay */
  assert_int_equal(ser(ctx, &bin, &o, &s, &r, &e), ZR_OK);
  assert_string_equal(r.codec, "lz4");
  assert_true(r.ratio < 1.0);
  zr_sink_free(s);
  /* a sink that is not memory: the fingerprint is of what went out */
  cap_sink cs = {{0}, 0};
  assert_int_equal(zr_sink_callback_new(cap_write, &cs, &s, NULL), ZR_OK);
  o.codec = "none";
  o.envelope = 0;
  assert_int_equal(zr_serialize(ctx, &bin, &o, s, &r, &e), ZR_OK);
  assert_int_equal(r.total_bytes, cs.len);
  assert_int_equal(r.fingerprint, zr_xxh3_64(cs.buf, cs.len, 0));
  zr_sink_free(s);
  zr_decision pdec;
  zr_serialize_opts_init(&o);
  o.target = "python-objects";
  assert_int_equal(zr_explain(ctx, &rec, &o, &pdec, &e), ZR_OK);
  assert_true(pdec.ch.python_objects);
  assert_string_equal(pdec.target, "python-objects");
  /* an injected codec fault: strict fails, lenient stores the payload raw with a warning */
  zr__fault_set("codec");
  zr_serialize_opts_init(&o);
  o.format = "binary";
  o.codec = "zstd";
  o.strict = 1;
  assert_int_equal(ser(ctx, &rec, &o, &s, &r, &e), ZR_ERR_CODEC);
  assert_string_equal(e.message, "injected codec fault");
  zr_sink_free(s);
  o.strict = 0;
  assert_int_equal(ser(ctx, &rec, &o, &s, &r, &e), ZR_OK);
  assert_string_equal(r.codec, "none");
  assert_true(r.warnings.count >= 1);
  zr_sink_free(s);
  zr__fault_set("");
  /* no learning: the same result */
  assert_int_equal(zr_ctx_set(ctx, "selection.learning", "false", NULL), ZR_OK);
  assert_int_equal(ser(ctx, &rec, NULL, &s, NULL, &e), ZR_OK);
  assert_true(zr_sink_size(s) > 0);
  zr_sink_free(s);
  /* strict mode forbids an automatic fallback; a named format that cannot hold the value */
  assert_int_equal(zr_ctx_set(ctx, "selection.learning", "true", NULL), ZR_OK);
  zr_value mixed = zr_list_new(d, 0);
  zr_list_push(d, &mixed, zr_int(1));
  zr_list_push(d, &mixed, zr_cstr_ref("two"));
  zr_serialize_opts_init(&o);
  o.format = "npy";
  assert_int_equal(ser(ctx, &mixed, &o, &s, &r, &e), ZR_ERR_TYPE);
  zr_sink_free(s);
  zr_serialize_opts_init(&o);
  o.target = "numpy";
  o.strict = 1;
  zr_value grid = nums(d, "[[1.5, 2], [3, 4]]");
  zr_status st = ser(ctx, &grid, &o, &s, &r, &e);
  assert_int_equal(st, ZR_OK);
  zr_sink_free(s);
  /* arguments */
  assert_int_equal(zr_serialize(NULL, &rec, NULL, s, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_serialize(ctx, NULL, NULL, s, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_serialize(ctx, &rec, NULL, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "ctx, value and sink are required");
  zr_decision dec;
  assert_int_equal(zr_explain(NULL, &rec, NULL, &dec, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_explain(ctx, NULL, NULL, &dec, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_explain(ctx, &rec, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* ---- deserialize and inspect on layered and lying inputs ---- */
static size_t wrap(zr_sink *s, uint16_t format_id, uint8_t codec, uint64_t raw, const uint8_t *payload, size_t n) {
  zr_envelope_params p;
  memset(&p, 0, sizeof p);
  p.format_id = format_id;
  p.codec = codec;
  p.raw_len = raw;
  assert_int_equal(zr_envelope_write(s, &p, payload, n, NULL), ZR_OK);
  return zr_sink_size(s);
}

static void test_layers(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx();
  zr_doc *d = zr_doc_new(NULL);
  zr_value rec = zr_test_records_of(d, 20, "name", "a rather repetitive name", 0);
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = "binary";
  o.codec = "none";
  o.envelope = 0;
  zr_sink *s;
  zr_serialize_result r;
  zr_error e;
  assert_int_equal(ser(ctx, &rec, &o, &s, &r, &e), ZR_OK);
  uint8_t *bin;
  size_t bn;
  assert_int_equal(zr_sink_memory_take(s, &bin, &bn, NULL), ZR_OK);
  zr_sink_free(s);
  /* envelopes in envelopes: four layers are read, a fifth is refused */
  uint8_t *cur = malloc(bn);
  memcpy(cur, bin, bn);
  size_t cn = bn;
  for (int layer = 1; layer <= 5; layer++) {
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    wrap(s, layer == 1 ? ZR_FORMAT_ID_BINARY : 0, 0, 0, cur, cn);
    free(cur);
    assert_int_equal(zr_sink_memory_take(s, &cur, &cn, NULL), ZR_OK);
    zr_sink_free(s);
    zr_doc *back = NULL;
    zr_deserialize_info info;
    zr_status st = zr_deserialize(ctx, cur, cn, NULL, &back, &info, &e);
    if (layer <= 4) {
      assert_int_equal(st, ZR_OK);
      assert_int_equal(info.n_layers, layer);
      assert_true(zr_value_equal(zr_doc_root(back), &rec));
    } else {
      assert_int_equal(st, ZR_ERR_LIMIT);
      assert_string_equal(e.message, "more than 4 layers");
    }
    zr_doc_free(back);
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    st = zr_inspect(ctx, cur, cn, s, &e);
    assert_int_equal(st, layer <= 4 ? ZR_OK : ZR_ERR_LIMIT);
    zr_sink_free(s);
  }
  free(cur);
  /* compressed frames inside compressed frames (no envelope): zstd(lz4(gzip(zstd(binary)))) + one more */
  static const int chain[] = {ZR_CODEC_ZSTD, ZR_CODEC_GZIP, ZR_CODEC_LZ4, ZR_CODEC_ZSTD, ZR_CODEC_LZ4};
  cur = malloc(bn);
  memcpy(cur, bin, bn);
  cn = bn;
  for (int k = 0; k < 5; k++) {
    size_t cap = zr_codec_bound(chain[k], cn);
    uint8_t *c = malloc(cap);
    size_t cl = 0;
    assert_int_equal(zr_codec_compress(chain[k], 0, cur, cn, c, cap, &cl, NULL), ZR_OK);
    free(cur);
    cur = c;
    cn = cl;
    zr_doc *back = NULL;
    zr_deserialize_info info;
    zr_status st = zr_deserialize(ctx, cur, cn, NULL, &back, &info, &e);
    if (k < 4) {
      assert_int_equal(st, ZR_OK);
      assert_int_equal(info.n_layers, k + 1);
      assert_string_equal(info.layers[0], zr_codec_id_name(chain[k]));
    } else {
      assert_int_equal(st, ZR_ERR_LIMIT);
    }
    zr_doc_free(back);
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    st = zr_inspect(ctx, cur, cn, s, &e);
    if (k < 4) {
      const uint8_t *j;
      size_t jn;
      zr_sink_memory_data(s, &j, &jn);
      assert_non_null(memmem(j, jn, "\"kind\":\"codec\"", 14));
    }
    zr_sink_free(s);
  }
  free(cur);
  /* an envelope whose compressed payload lies about its raw length, or exceeds the limit */
  size_t zcap = zr_codec_bound(ZR_CODEC_ZSTD, bn);
  uint8_t *z = malloc(zcap);
  size_t zl = 0;
  assert_int_equal(zr_codec_compress(ZR_CODEC_ZSTD, 0, bin, bn, z, zcap, &zl, NULL), ZR_OK);
  for (int k = 0; k < 4; k++) {
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    uint64_t raw = k == 0 ? bn - 1 : k == 1 ? bn + 1 : bn;
    if (k == 3) wrap(s, 0x7777, 0, 0, (const uint8_t *)"\x01\x02\x03", 3); /* an id and bytes nobody knows */
    else wrap(s, ZR_FORMAT_ID_BINARY, ZR_CODEC_ZSTD, raw, z, zl);
    if (k == 2) assert_int_equal(zr_sink_write(s, "!", 1, NULL), ZR_OK);
    const uint8_t *b;
    size_t n;
    zr_sink_memory_data(s, &b, &n);
    zr_doc *back = NULL;
    zr_error_clear(&e);
    zr_status st = zr_deserialize(ctx, b, n, NULL, &back, NULL, &e);
    if (back) fail_msg("case %d: %s accepted", k, zr_status_name(st));
    switch (k) {
      case 0: assert_int_not_equal(st, ZR_OK); break; /* the codec stops at the promised length */
      case 1:
        assert_int_equal(st, ZR_ERR_MALFORMED);
        assert_int_equal(e.offset, 32);
        break;
      case 2:
        assert_int_equal(st, ZR_ERR_MALFORMED);
        assert_non_null(strstr(e.message, "1 bytes after the envelope frame"));
        break;
      default:
        assert_int_equal(st, ZR_ERR_FORMAT);
        assert_string_equal(e.message, "format id 30583 is not available in this build");
        break;
    }
    if (k == 1) {
      zr_decode_opts dopts;
      zr_decode_opts_init(&dopts);
      dopts.max_bytes = bn / 2;
      assert_int_equal(zr_deserialize(ctx, b, n, &dopts, &back, NULL, &e), ZR_ERR_LIMIT);
      assert_non_null(strstr(e.message, "exceeds the limit of"));
    }
    zr_sink_free(s);
  }
  free(z);
  /* unknown bytes; arguments; a source */
  zr_doc *back = NULL;
  assert_int_equal(zr_deserialize(ctx, (const uint8_t *)"\x01\x02\x03", 3, NULL, &back, NULL, &e), ZR_ERR_FORMAT);
  assert_string_equal(e.message, "unknown input: no format, codec or envelope recognised");
  assert_int_equal(zr_deserialize(NULL, bin, bn, NULL, &back, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_deserialize(ctx, NULL, 3, NULL, &back, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_deserialize(ctx, bin, bn, NULL, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_source *src;
  assert_int_equal(zr_source_memory_new(bin, bn, &src, NULL), ZR_OK);
  assert_int_equal(zr_deserialize_source(ctx, src, NULL, &back, NULL, &e), ZR_OK);
  assert_true(zr_value_equal(zr_doc_root(back), &rec));
  zr_doc_free(back);
  zr_source_free(src);
  assert_int_equal(zr_source_memory_new(bin, bn, &src, NULL), ZR_OK);
  zr_decode_opts dopts;
  zr_decode_opts_init(&dopts);
  dopts.max_bytes = 10;
  assert_int_equal(zr_deserialize_source(ctx, src, &dopts, &back, NULL, &e), ZR_ERR_LIMIT);
  zr_source_free(src);
  assert_int_equal(zr_deserialize_source(NULL, src, NULL, &back, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_deserialize_source(ctx, NULL, NULL, &back, NULL, &e), ZR_ERR_INVALID_ARG);
  /* inspect: arguments, unknown bytes, a format whose own inspection fails */
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_inspect(NULL, bin, bn, s, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_inspect(ctx, NULL, 5, s, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_inspect(ctx, bin, bn, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_inspect(ctx, (const uint8_t *)"\x01\x02", 2, s, &e), ZR_ERR_FORMAT);
  zr_sink_free(s);
  free(bin);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* ---- decision output ---- */
static zr_status fail_cb(void *ud, const void *d, size_t n, size_t *w) {
  (void)ud, (void)d, (void)n;
  *w = 0;
  return ZR_ERR_IO;
}

static void test_decisions(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx();
  zr_doc *d = zr_doc_new(NULL);
  zr_value rec = zr_test_records_of(d, 50, "name", "a rather repetitive name", 0);
  zr_sink *s;
  zr_serialize_result r;
  zr_error e;
  /* twice: the second decision has measurements */
  for (int i = 0; i < 2; i++) {
    assert_int_equal(ser(ctx, &rec, NULL, &s, &r, &e), ZR_OK);
    zr_sink_free(s);
  }
  zr_decision dec;
  assert_int_equal(zr_explain(ctx, &rec, NULL, &dec, &e), ZR_OK);
  int measured = 0, not_viable = 0;
  for (unsigned k = 0; k < dec.n_candidates; k++) {
    if (dec.cand[k].measurements) measured++;
    if (!dec.cand[k].viable) not_viable++;
  }
  assert_true(measured >= 1);
  for (int json = 0; json < 2; json++) {
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(zr_decision_write(&dec, json, s, &e), ZR_OK);
    const uint8_t *b;
    size_t n;
    zr_sink_memory_data(s, &b, &n);
    if (json) {
      assert_non_null(memmem(b, n, "\"measurements\": ", 16));
    } else {
      assert_non_null(memmem(b, n, " ns/B \xc3\x97", 7));
      if (not_viable) assert_non_null(memmem(b, n, "[not viable]", 12));
    }
    zr_sink_free(s);
    /* a sink that refuses */
    assert_int_equal(zr_sink_callback_new(fail_cb, NULL, &s, NULL), ZR_OK);
    assert_int_equal(zr_decision_write(&dec, json, s, &e), ZR_ERR_IO);
    zr_sink_free(s);
  }
  /* a decision without a format and with values that are not numbers */
  zr_decision empty;
  memset(&empty, 0, sizeof empty);
  empty.ch.entropy = -1;
  empty.select_ms = NAN;
  empty.n_candidates = 1;
  empty.cand[0].score = INFINITY;
  for (int json = 0; json < 2; json++) {
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(zr_decision_write(&empty, json, s, &e), ZR_OK);
    const uint8_t *b;
    size_t n;
    zr_sink_memory_data(s, &b, &n);
    if (json) {
      assert_non_null(memmem(b, n, "\"entropy\": null", 15));
      assert_non_null(memmem(b, n, "\"select_ms\": null", 17));
    } else {
      assert_non_null(memmem(b, n, "chosen: (none)", 14));
    }
    zr_sink_free(s);
  }
  assert_int_equal(zr_decision_write(NULL, 0, s, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_decision_write(&dec, 0, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registries),  cmocka_unit_test(test_numeric_lists), cmocka_unit_test(test_custom_misbehaving),
      cmocka_unit_test(test_options_and_codecs), cmocka_unit_test(test_layers), cmocka_unit_test(test_decisions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
