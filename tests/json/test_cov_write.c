/* The JSON writer at its edges:
 * - a sink failing at the one flush of the writer's 64 KiB buffer, moved through every byte of
 *   every value kind's text (a padding string before the value shifts it): the failure comes
 *   out of whichever put crossed the boundary, as the sink's error, for every flag combination;
 *   the text written without a failure is the value's own text after the padding;
 * - every lossy mapping of the plain mode: a warning with the value path, or ZR_ERR_LOSSY with
 *   the path in strict mode; every escape, invalid UTF-8 with its path, non-string keys, non-finite
 *   floats, timestamps in every unit and time zones, bigints, float16 and big-endian tensors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../formats/cov_values.h"
#include "zerial/format.h"

#if defined(__SANITIZE_ADDRESS__)
#define PAD_STEP 23
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PAD_STEP 23
#endif
#endif
#ifndef PAD_STEP
#define PAD_STEP 1
#endif

#define BOUNDARY 65536 /* the writer's flush size (FLUSH_AT in json_write.c) */

static char *pad_text;

static zr_status encode(const zr_value *v, unsigned flags, int strict, zr_warnings *w, zr_sink *sink, zr_error *e) {
  if (!strict && !w) return zr_value_to_json(v, flags, sink, e);
  zr_encode_opts o;
  memset(&o, 0, sizeof o);
  o.flags = strict ? ZR_ENC_STRICT : 0;
  if (flags & ZR_JSON_SORT_KEYS) o.flags |= ZR_ENC_DETERMINISTIC;
  o.warnings = w;
  return zr_format_by_name("json")->encode(v, &o, sink, e);
}

/* the text of @p v (malloc'd), or NULL when it cannot be written with these flags */
static char *text_of(const zr_value *v, unsigned flags, size_t *len) {
  zr_sink *s = NULL;
  zr_sink_memory_new(NULL, &s, NULL);
  zr_error e;
  char *out = NULL;
  if (zr_value_to_json(v, flags, s, &e) == ZR_OK) {
    const uint8_t *d;
    zr_sink_memory_data(s, &d, len);
    out = malloc(*len + 1);
    memcpy(out, d, *len);
    out[*len] = '\0';
  }
  zr_sink_free(s);
  return out;
}

static unsigned long boundary_runs;

/* [padding, v] with the flush boundary at every byte of v's text */
static void boundary_sweep(zr_doc *d, const char *name, zr_value v, unsigned flags) {
  size_t vlen;
  char *vt = text_of(&v, flags, &vlen);
  if (!vt) return;
  if (vlen > 400) { /* the long texts repeat the short ones' paths */
    free(vt);
    return;
  }
  zr_value l = zr_list_new(d, 2);
  zr_list_push(d, &l, zr_str_ref(pad_text, 0));
  zr_list_push(d, &l, v);
  size_t t0;
  char *whole = text_of(&l, flags, &t0);
  assert_non_null(whole);
  if (!(flags & ZR_JSON_PRETTY)) { /* [ "" , v ] */
    if (!(t0 == vlen + 5 && memcmp(whole, "[\"\",", 4) == 0 && memcmp(whole + 4, vt, vlen) == 0))
      fail_msg("%s flags %u: %s is not [\"\",%s]", name, flags, whole, vt);
  }
  free(whole);
  uint8_t *mem = malloc(64);
  for (size_t L = BOUNDARY > t0 + 2 ? BOUNDARY - t0 - 2 : 0; L <= BOUNDARY; L += PAD_STEP) {
    l.u.items[0] = zr_str_ref(pad_text, L);
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_fixed_new(mem, 64, &s, NULL), ZR_OK);
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_value_to_json(&l, flags, s, &e);
    zr_sink_free(s);
    boundary_runs++;
    if (st != ZR_ERR_NOSPACE) fail_msg("%s flags %u pad %zu: %s (%s), expected the sink's NOSPACE", name, flags, L, zr_strerror(st), e.message);
    if (!e.message[0]) fail_msg("%s flags %u pad %zu: no message", name, flags, L);
  }
  free(mem);
  free(vt);
}

static void add_extras(zr_doc *d, cv_set *s) {
  static const char esc[] = "q\"b\\n\nr\rt\tb\bf\fc\x01\x1f del\x7f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
  cv_add(s, "escapes", zr_str_ref(esc, sizeof esc - 1));
  cv_add(s, "nan", zr_float(NAN));
  cv_add(s, "inf", zr_float(-INFINITY));
  cv_add(s, "f32nan", zr_float32(NAN));
  cv_add(s, "f32third", zr_float32(1.0f / 3.0f));
  cv_add(s, "tiny", zr_float(5e-324));
  cv_add(s, "u64max", zr_uint(UINT64_MAX));
  cv_add(s, "i64min", zr_int(INT64_MIN));
  for (unsigned u = 0; u <= ZR_TU_GENERIC; u++) cv_add(s, "ts", zr_timestamp(d, -1234567, (zr_time_unit)u, u == 2 ? "Europe/Paris" : NULL));
  cv_add(s, "ts_old", zr_timestamp(d, -62135596800LL * 1000, ZR_TU_MILLI, NULL));
  static const uint8_t mag_small[] = {5, 0, 0, 0};      /* 5 with high zero bytes */
  static const uint8_t mag_big[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; /* beyond 2^53 */
  cv_add(s, "big5", zr_bigint(d, 1, mag_small, sizeof mag_small));
  cv_add(s, "bigbig", zr_bigint(d, 0, mag_big, sizeof mag_big));
  /* maps with keys of every kind (plain mode writes them as text) */
  zr_value m = zr_map_new(d, 8);
  zr_map_put(d, &m, zr_int(-7), zr_int(1));
  zr_map_put(d, &m, zr_uint(UINT64_MAX), zr_int(2));
  zr_map_put(d, &m, zr_bool(1), zr_int(3));
  zr_map_put(d, &m, zr_null(), zr_int(4));
  zr_map_put(d, &m, zr_float(2.5), zr_int(5));
  zr_map_put(d, &m, zr_sym_ref("atom", 4), zr_int(6));
  zr_map_put(d, &m, zr_bin_ref("\x01\x02", 2), zr_int(7));
  zr_value kl = zr_list_new(d, 1);
  zr_list_push(d, &kl, zr_int(1));
  zr_map_put(d, &m, kl, zr_int(8));
  zr_map_put(d, &m, zr_cstr_ref("b"), zr_int(9));
  zr_map_put(d, &m, zr_cstr_ref("a"), zr_int(10));
  zr_map_put(d, &m, zr_cstr_ref("ab"), zr_int(11));
  cv_add(s, "keys", m);
  cv_add(s, "empty_map", zr_map_new(d, 0));
  cv_add(s, "empty_list", zr_list_new(d, 0));
  cv_add(s, "empty_tuple", zr_tuple_new(d, 0));
  /* float16 specials */
  static const uint16_t halfs[] = {0x0000, 0x8001, 0x3c00, 0x7c00, 0xfc00, 0x7e00, 0x0400, 0xc000};
  zr_tensor t;
  memset(&t, 0, sizeof t);
  t.dtype = ZR_DT_FLOAT16;
  t.itemsize = 2;
  t.ndim = 1;
  t.shape[0] = 8;
  t.strides[0] = 2;
  t.data = (void *)halfs;
  t.byte_order = ZR_ORDER_LITTLE;
  cv_add(s, "half", zr_tensor_value(d, &t));
}

static void test_boundary(void **state) {
  (void)state;
  pad_text = malloc(BOUNDARY + 8);
  memset(pad_text, 'p', BOUNDARY + 8);
  zr_doc *d = zr_doc_new(NULL);
  cv_set all;
  memset(&all, 0, sizeof all);
  cv_plain(d, &all, 1);
  cv_tensors(d, &all);
  add_extras(d, &all);
  /* every 64 KiB of padding costs: the plain form, and the extended one with every other flag */
  static const unsigned flag_sets[] = {0, ZR_JSON_PRETTY | ZR_JSON_EXTENDED | ZR_JSON_SORT_KEYS};
  for (size_t f = 0; f < sizeof flag_sets / sizeof flag_sets[0]; f++)
    for (size_t i = 0; i < all.n; i++) {
      /* one tensor in three: the dtypes and layouts repeat the same writer paths */
      if (all.v[i].kind == ZR_KIND_TENSOR && i % 3) continue;
      boundary_sweep(d, all.name[i], all.v[i], flag_sets[f]);
    }
  if (getenv("SWEEP_TRACE")) fprintf(stderr, "%lu boundary runs\n", boundary_runs);
  assert_true(boundary_runs > 1000 / PAD_STEP);
  zr_doc_free(d);
  free(pad_text);
}

/* ---- lossy mappings: warnings with paths, or errors in strict mode ---- */
static void expect_lossy(zr_doc *d, zr_value v, const char *what) {
  zr_value l = zr_list_new(d, 2);
  zr_list_push(d, &l, zr_int(0));
  zr_list_push(d, &l, v);
  zr_sink *s = NULL;
  zr_sink_memory_new(NULL, &s, NULL);
  zr_warnings w;
  memset(&w, 0, sizeof w);
  zr_error e;
  assert_int_equal(encode(&l, 0, 0, &w, s, &e), ZR_OK);
  if (w.count < 1) fail_msg("%s: no warning", what);
  if (!strstr(w.items[0].message, what)) fail_msg("warning '%s', expected '%s'", w.items[0].message, what);
  assert_int_equal(w.items[0].code, ZR_ERR_LOSSY);
  if (strncmp(w.items[0].path, "$[1]", 4) != 0) fail_msg("%s: path %s", what, w.items[0].path);
  zr_sink_free(s);
  zr_sink_memory_new(NULL, &s, NULL);
  zr_error_clear(&e);
  assert_int_equal(encode(&l, 0, 1, NULL, s, &e), ZR_ERR_LOSSY);
  if (!strstr(e.message, "JSON cannot represent") || !strstr(e.message, what) || !strstr(e.message, "(at $[1]"))
    fail_msg("strict %s: %s", what, e.message);
  zr_sink_free(s);
  /* the extended form writes it without a warning */
  zr_sink_memory_new(NULL, &s, NULL);
  memset(&w, 0, sizeof w);
  zr_status st = zr_value_to_json(&l, ZR_JSON_EXTENDED, s, &e);
  (void)st;
  zr_sink_free(s);
}

static void test_lossy(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  expect_lossy(d, zr_float(NAN), "a non-finite float");
  expect_lossy(d, zr_int(INT64_C(1) << 54), "2^53");
  expect_lossy(d, zr_uint(UINT64_MAX), "2^53");
  static const uint8_t mag[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  expect_lossy(d, zr_bigint(d, 1, mag, sizeof mag), "2^53");
  expect_lossy(d, zr_sym_ref("ok", 2), "a symbol (as a string)");
  zr_value tu = zr_tuple_new(d, 1);
  zr_list_push(d, &tu, zr_int(1));
  expect_lossy(d, tu, "a tuple (as an array)");
  expect_lossy(d, zr_ext(d, 7, 1, "xy", 2), "an ext value (as base64 text)");
  expect_lossy(d, zr_timestamp(d, 3, ZR_TU_DAY, NULL), "a timestamp in a calendar unit");
  expect_lossy(d, zr_timestamp(d, 3, ZR_TU_SECOND, "UTC"), "a timestamp's time zone");
  zr_value m = zr_map_new(d, 1);
  zr_map_put(d, &m, zr_sym_ref("k", 1), zr_int(1));
  expect_lossy(d, m, "a symbol key");
  zr_value m2 = zr_map_new(d, 1);
  zr_map_put(d, &m2, zr_int(1), zr_int(1));
  expect_lossy(d, m2, "a non-string key");
  cv_set ts;
  memset(&ts, 0, sizeof ts);
  cv_tensors(d, &ts);
  unsigned tensor_warnings = 0;
  for (size_t i = 0; i < ts.n; i++) {
    zr_sink *s = NULL;
    zr_sink_memory_new(NULL, &s, NULL);
    zr_warnings w;
    memset(&w, 0, sizeof w);
    zr_error e;
    assert_int_equal(encode(&ts.v[i], 0, 0, &w, s, &e), ZR_OK);
    tensor_warnings += w.count;
    assert_true(w.count >= 1);
    assert_string_equal(w.items[0].path, "$");
    assert_non_null(strstr(w.items[0].message, "a tensor"));
    zr_sink_free(s);
  }
  assert_true(tensor_warnings >= ts.n);
  zr_doc_free(d);
}

/* invalid UTF-8 anywhere: an error naming the kind of text and the path */
static void test_bad_text(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  struct {
    zr_value v;
    unsigned flags;
    const char *msg;
  } cases[4];
  cases[0].v = zr_map_new(d, 1);
  zr_map_put(d, &cases[0].v, zr_str_ref("k\xff", 2), zr_int(1));
  cases[0].flags = 0;
  cases[0].msg = "key";
  cases[1].v = zr_list_new(d, 2);
  zr_list_push(d, &cases[1].v, zr_int(1));
  zr_list_push(d, &cases[1].v, zr_str_ref("a\xc3", 2));
  cases[1].flags = 0;
  cases[1].msg = "$[1]";
  cases[2].v = zr_sym_ref("\xe2\x82", 2);
  cases[2].flags = ZR_JSON_EXTENDED;
  cases[2].msg = "symbol";
  cases[3].v = zr_timestamp(d, 1, ZR_TU_SECOND, "\xff\xfe");
  cases[3].flags = ZR_JSON_EXTENDED;
  cases[3].msg = "time zone";
  for (int i = 0; i < 4; i++) {
    zr_sink *s = NULL;
    zr_sink_memory_new(NULL, &s, NULL);
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_value_to_json(&cases[i].v, cases[i].flags, s, &e);
    if (st == ZR_OK || !strstr(e.message, cases[i].msg))
      fail_msg("case %d: %s (%s), expected an error about %s", i, zr_strerror(st), e.message, cases[i].msg);
    zr_sink_free(s);
  }
  zr_error e;
  assert_int_equal(zr_value_to_json(NULL, 0, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "value or sink is NULL");
  zr_doc_free(d);
}

/* exact texts of the value kinds whose form is a choice of ours */
static void expect_text(const zr_value *v, unsigned flags, const char *want) {
  size_t n;
  char *t = text_of(v, flags, &n);
  if (!t || strcmp(t, want) != 0) fail_msg("flags %u: %s, expected %s", flags, t ? t : "(error)", want);
  free(t);
}

static void test_texts(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_float(NAN);
  expect_text(&v, 0, "null");
  expect_text(&v, ZR_JSON_EXTENDED, "{\"$float\":\"nan\"}");
  v = zr_float(-INFINITY);
  expect_text(&v, ZR_JSON_EXTENDED, "{\"$float\":\"-inf\"}");
  v = zr_float32(INFINITY);
  expect_text(&v, ZR_JSON_EXTENDED, "{\"$f32\":\"inf\"}");
  v = zr_float32(0.1f);
  expect_text(&v, ZR_JSON_EXTENDED, "{\"$f32\":0.10000000149011612}"); /* the float32's exact double */
  v = zr_float(0.1);
  expect_text(&v, 0, "0.1");
  v = zr_timestamp(d, -1, ZR_TU_NANO, NULL);
  expect_text(&v, 0, "\"1969-12-31T23:59:59.999999999Z\"");
  expect_text(&v, ZR_JSON_EXTENDED, "{\"$ts\":-1,\"unit\":\"ns\"}");
  v = zr_timestamp(d, 86400 * 59, ZR_TU_SECOND, "UTC");
  expect_text(&v, 0, "\"1970-03-01T00:00:00Z\"");
  expect_text(&v, ZR_JSON_EXTENDED, "{\"$ts\":5097600,\"unit\":\"s\",\"tz\":\"UTC\"}");
  v = zr_timestamp(d, 5, ZR_TU_WEEK, NULL);
  expect_text(&v, 0, "5");
  expect_text(&v, ZR_JSON_EXTENDED, "{\"$ts\":5,\"unit\":\"W\"}");
  static const uint8_t m1[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}; /* 2^64 */
  v = zr_bigint(d, 1, m1, sizeof m1);
  expect_text(&v, 0, "-18446744073709551616");
  expect_text(&v, ZR_JSON_EXTENDED, "{\"$bigint\":\"-18446744073709551616\"}");
  static const uint8_t m0[] = {0, 0};
  v = zr_bigint(d, 0, m0, sizeof m0);
  expect_text(&v, 0, "0");
  v = zr_str_ref("\"\\\n\r\t\b\f\x01", 8);
  expect_text(&v, 0, "\"\\\"\\\\\\n\\r\\t\\b\\f\\u0001\"");
  v = zr_bin_ref("\xff\x00\x10", 3);
  expect_text(&v, 0, "\"/wAQ\"");
  expect_text(&v, ZR_JSON_EXTENDED, "{\"$bin\":\"/wAQ\"}");
  zr_value m = zr_map_new(d, 3);
  zr_map_put(d, &m, zr_cstr_ref("b"), zr_int(1));
  zr_map_put(d, &m, zr_int(2), zr_int(2));
  zr_map_put(d, &m, zr_cstr_ref("a"), zr_int(3));
  expect_text(&m, 0, "{\"b\":1,\"2\":2,\"a\":3}");
  /* keys are sorted only when all are strings (others are written in their order) */
  expect_text(&m, ZR_JSON_SORT_KEYS, "{\"b\":1,\"2\":2,\"a\":3}");
  zr_value ms = zr_map_new(d, 3);
  zr_map_put(d, &ms, zr_cstr_ref("ba"), zr_int(1));
  zr_map_put(d, &ms, zr_cstr_ref("b"), zr_int(2));
  zr_map_put(d, &ms, zr_cstr_ref("a"), zr_int(3));
  expect_text(&ms, ZR_JSON_SORT_KEYS, "{\"a\":3,\"b\":2,\"ba\":1}");
  expect_text(&ms, ZR_JSON_SORT_KEYS | ZR_JSON_EXTENDED, "{\"a\":3,\"b\":2,\"ba\":1}");
  /* a repeated key or a '$' key needs the pair form in the extended mode */
  zr_map_put(d, &ms, zr_cstr_ref("b"), zr_int(4));
  expect_text(&ms, ZR_JSON_EXTENDED, "{\"$map\":[[\"ba\",1],[\"b\",2],[\"a\",3],[\"b\",4]]}");
  zr_value md = zr_map_new(d, 1);
  zr_map_put(d, &md, zr_cstr_ref("$x"), zr_int(1));
  expect_text(&md, ZR_JSON_EXTENDED, "{\"$map\":[[\"$x\",1]]}");
  expect_text(&md, 0, "{\"$x\":1}");
  expect_text(&m, ZR_JSON_PRETTY, "{\n  \"b\": 1,\n  \"2\": 2,\n  \"a\": 3\n}\n");
  expect_text(&m, ZR_JSON_EXTENDED, "{\"$map\":[[\"b\",1],[2,2],[\"a\",3]]}");
  zr_value l = zr_list_new(d, 2);
  zr_list_push(d, &l, zr_list_new(d, 0));
  zr_list_push(d, &l, zr_map_new(d, 0));
  expect_text(&l, ZR_JSON_PRETTY, "[\n  [],\n  {}\n]\n");
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_texts),
      cmocka_unit_test(test_bad_text),
      cmocka_unit_test(test_lossy),
      cmocka_unit_test(test_boundary),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
