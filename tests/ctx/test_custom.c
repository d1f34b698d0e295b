/* Custom serializers: registration, dispatch of ext values, the version handed to decode, probe +
 * score in automatic selection, failure falling back to the binary ext encoding. */
#include <stdio.h>
#include <stdlib.h>

#include "zr_test_ser.h"
#include "mock_formats.h"

#define POINT_ID 42u

typedef struct point_ud {
  int fail;
  int encodes, decodes;
  int last_version;
} point_ud;

/* wire v1: "x y"; wire v2: "x=<x>;y=<y>" */
static int parse_point(const uint8_t *p, size_t n, int version, long *x, long *y) {
  char buf[64];
  if (n >= sizeof buf) return 0;
  memcpy(buf, p, n);
  buf[n] = 0;
  if (version == 1) return sscanf(buf, "%ld %ld", x, y) == 2;
  return sscanf(buf, "x=%ld;y=%ld", x, y) == 2;
}

static int point_probe(void *ud, const zr_value *v) {
  (void)ud;
  return v->kind == ZR_KIND_MAP && v->n.len == 2 && zr_map_get(v, "x", 1) && zr_map_get(v, "y", 1) &&
         zr_map_get(v, "x", 1)->kind == ZR_KIND_INT && zr_map_get(v, "y", 1)->kind == ZR_KIND_INT;
}
static double point_score(void *ud, const zr_value *v) {
  (void)ud;
  return v->kind == ZR_KIND_EXT ? 1.0 : 0.95;
}

static zr_status point_encode(void *vud, const zr_value *v, zr_sink *sink, zr_error *err) {
  point_ud *ud = vud;
  ud->encodes++;
  if (ud->fail) return zr_error_set(err, ZR_ERR_RANGE, -1, "point encoder is broken today");
  long x, y;
  if (v->kind == ZR_KIND_EXT) {
    if (!parse_point(v->u.bin, (size_t)v->n.len, v->aux16, &x, &y))
      return zr_error_set(err, ZR_ERR_MALFORMED, -1, "bad point bytes");
  } else if (point_probe(NULL, v)) {
    x = (long)zr_map_get(v, "x", 1)->u.i;
    y = (long)zr_map_get(v, "y", 1)->u.i;
  } else {
    return zr_error_set(err, ZR_ERR_TYPE, -1, "not a point");
  }
  char buf[64];
  int k = snprintf(buf, sizeof buf, "x=%ld;y=%ld", x, y);
  return zr_sink_write(sink, buf, (size_t)k, err);
}

static zr_status point_decode(void *vud, const uint8_t *data, size_t len, uint16_t version, zr_doc *doc, zr_value *out,
                              zr_error *err) {
  point_ud *ud = vud;
  ud->decodes++;
  ud->last_version = version;
  long x, y;
  if (!parse_point(data, len, version, &x, &y)) return zr_error_set(err, ZR_ERR_MALFORMED, 0, "bad point (v%u)", version);
  zr_value m = zr_map_new(doc, 2);
  zr_map_put_cstr(doc, &m, "x", zr_int(x));
  zr_map_put_cstr(doc, &m, "y", zr_int(y));
  *out = m;
  return zr_doc_status(doc);
}

static zr_custom_type point_type(point_ud *ud, uint16_t version) {
  zr_custom_type t;
  memset(&t, 0, sizeof t);
  t.name = "geo.point";
  t.id = POINT_ID;
  t.version = version;
  t.probe = point_probe;
  t.score = point_score;
  t.encode = point_encode;
  t.decode = point_decode;
  t.ud = ud;
  return t;
}

static void check_point(const zr_value *root, long x, long y) {
  assert_int_equal(root->kind, ZR_KIND_MAP);
  assert_int_equal(zr_map_get(root, "x", 1)->u.i, x);
  assert_int_equal(zr_map_get(root, "y", 1)->u.i, y);
}

static void test_register(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  point_ud ud = {0};
  zr_custom_type t = point_type(&ud, 2);
  assert_int_equal(zr_ctx_register_type(ctx, &t, NULL), ZR_OK);
  zr_error err;
  assert_int_equal(zr_ctx_register_type(ctx, &t, &err), ZR_ERR_EXISTS);
  assert_non_null(strstr(err.message, "42"));
  zr_custom_type t2 = t;
  t2.id = 43;
  assert_int_equal(zr_ctx_register_type(ctx, &t2, &err), ZR_ERR_EXISTS); /* same name */
  t2.name = "other";
  t2.encode = NULL;
  assert_int_equal(zr_ctx_register_type(ctx, &t2, &err), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_unregister_type(ctx, POINT_ID, NULL), ZR_OK);
  assert_int_equal(zr_ctx_unregister_type(ctx, POINT_ID, &err), ZR_ERR_NOT_FOUND);
  zr_ctx_free(ctx);
}

/* Ext values of the id go to the type; decode gets the written version. Real and mock binary. */
static void test_dispatch_and_version(void **state) {
  (void)state;
  for (int real = 0; real < 2; real++) {
    zr_ctx *ctx;
    if (real) {
      if (!zr_format_by_name("binary")) continue;
      assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
    } else {
      ctx = mock_ctx();
    }
    point_ud ud = {0};
    zr_custom_type t = point_type(&ud, 2);
    assert_int_equal(zr_ctx_register_type(ctx, &t, NULL), ZR_OK);
    zr_doc *d = zr_doc_new(NULL);
    zr_value v = zr_ext(d, POINT_ID, 1, "3 4", 3); /* application data in the v1 layout */
    size_t n;
    zr_serialize_result r;
    zr_error err;
    uint8_t *b = zr_test_ser_ok(ctx, &v, NULL, &n, &r);
    assert_string_equal(r.format, "custom:geo.point");
    assert_int_equal(ud.encodes, 1);
    assert_int_equal(r.warnings.count, 0);
    zr_doc *out;
    zr_deserialize_info info;
    assert_int_equal(zr_deserialize(ctx, b, n, NULL, &out, &info, &err), ZR_OK);
    assert_true(info.custom);
    assert_int_equal(info.custom_version, 2);
    assert_int_equal(ud.last_version, 2);
    check_point(zr_doc_root(out), 3, 4);
    zr_doc_free(out);
    /* the type moves on to version 3: old data still decodes with the version it was written with */
    assert_int_equal(zr_ctx_unregister_type(ctx, POINT_ID, NULL), ZR_OK);
    t.version = 3;
    assert_int_equal(zr_ctx_register_type(ctx, &t, NULL), ZR_OK);
    assert_int_equal(zr_deserialize(ctx, b, n, NULL, &out, &info, NULL), ZR_OK);
    assert_int_equal(ud.last_version, 2);
    zr_doc_free(out);
    free(b);
    /* without the type registered, the reader gets the ext value itself */
    assert_int_equal(zr_ctx_unregister_type(ctx, POINT_ID, NULL), ZR_OK);
    b = zr_test_ser_ok(ctx, &v, NULL, &n, &r);
    assert_string_equal(r.format, "binary");
    assert_int_equal(zr_deserialize(ctx, b, n, NULL, &out, &info, NULL), ZR_OK);
    assert_false(info.custom);
    assert_true(zr_value_equal(zr_doc_root(out), &v));
    /* nested ext values: decoded on request */
    zr_ctx_register_type(ctx, &t, NULL);
    zr_value dec;
    zr_doc *tmp = zr_doc_new(NULL);
    assert_int_equal(zr_ctx_decode_ext(ctx, zr_doc_root(out), tmp, &dec, NULL), ZR_OK);
    assert_int_equal(ud.last_version, 1);
    check_point(&dec, 3, 4);
    zr_doc_free(tmp);
    zr_doc_free(out);
    free(b);
    zr_doc_free(d);
    zr_ctx_free(ctx);
  }
}

/* A failing serializer: the ext value is written with the binary ext encoding and a warning. */
static void test_failure_fallback(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  point_ud ud = {0};
  zr_custom_type t = point_type(&ud, 2);
  zr_ctx_register_type(ctx, &t, NULL);
  ud.fail = 1;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_ext(d, POINT_ID, 1, "5 6", 3);
  size_t n;
  zr_serialize_result r;
  uint8_t *b = zr_test_ser_ok(ctx, &v, NULL, &n, &r);
  assert_string_equal(r.format, "binary");
  assert_int_equal(r.warnings.count, 1);
  assert_int_equal(r.warnings.items[0].code, ZR_ERR_RANGE);
  assert_non_null(strstr(r.warnings.items[0].message, "custom type 'geo.point' failed"));
  assert_non_null(strstr(r.warnings.items[0].message, "broken today"));
  ud.fail = 0;
  zr_doc *out;
  zr_deserialize_info info;
  assert_int_equal(zr_deserialize(ctx, b, n, NULL, &out, &info, NULL), ZR_OK);
  assert_int_equal(info.custom_version, 1); /* the raw bytes kept the application's version */
  check_point(zr_doc_root(out), 5, 6);
  zr_doc_free(out);
  free(b);
  /* strict: an error */
  ud.fail = 1;
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.strict = 1;
  zr_error err;
  zr_test_ser_fail(ctx, &v, &o, ZR_ERR_RANGE, &err);
  assert_non_null(strstr(err.message, "strict"));
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* probe + score: a map shaped like a point is claimed by the type in automatic selection. */
static void test_probe_selection(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  point_ud ud = {0};
  zr_custom_type t = point_type(&ud, 2);
  zr_ctx_register_type(ctx, &t, NULL);
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = zr_map_new(d, 2);
  zr_map_put_cstr(d, &m, "x", zr_int(7));
  zr_map_put_cstr(d, &m, "y", zr_int(-8));
  zr_decision dec;
  assert_int_equal(zr_explain(ctx, &m, NULL, &dec, NULL), ZR_OK);
  assert_string_equal(dec.format, "custom:geo.point");
  assert_non_null(strstr(dec.cand[0].reasons, "custom type"));
  size_t n;
  zr_serialize_result r;
  uint8_t *b = zr_test_ser_ok(ctx, &m, NULL, &n, &r);
  assert_string_equal(r.format, "custom:geo.point");
  zr_doc *out;
  assert_int_equal(zr_deserialize(ctx, b, n, NULL, &out, NULL, NULL), ZR_OK);
  check_point(zr_doc_root(out), 7, -8);
  zr_doc_free(out);
  free(b);
  /* a probed value whose serializer fails falls back to the next format with a warning */
  ud.fail = 1;
  b = zr_test_ser_ok(ctx, &m, NULL, &n, &r);
  assert_true(r.fell_back);
  assert_string_equal(r.format, "binary");
  free(b);
  /* other maps are not claimed */
  zr_value other = zr_map_new(d, 1);
  zr_map_put_cstr(d, &other, "z", zr_int(1));
  assert_int_equal(zr_explain(ctx, &other, NULL, &dec, NULL), ZR_OK);
  assert_string_equal(dec.format, "binary");
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_register),
      cmocka_unit_test(test_dispatch_and_version),
      cmocka_unit_test(test_failure_fallback),
      cmocka_unit_test(test_probe_selection),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
