/* JSON conversion: plain and extended mappings, big integers, errors with offsets, limits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/format.h"
#include "zr_test.h"

static char *to_json(const zr_value *v, unsigned flags) {
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error e;
  zr_status st = zr_value_to_json(v, flags, s, &e);
  if (st) fprintf(stderr, "to_json: %s\n", e.message);
  assert_int_equal(st, ZR_OK);
  assert_int_equal(zr_sink_write(s, "", 1, NULL), ZR_OK);
  uint8_t *d;
  size_t n;
  assert_int_equal(zr_sink_memory_take(s, &d, &n, NULL), ZR_OK);
  zr_sink_free(s);
  return (char *)d;
}

static zr_doc *parse(const char *text, unsigned flags) {
  zr_doc *d = NULL;
  zr_error e;
  zr_status st = zr_value_from_json(text, strlen(text), flags, NULL, &d, &e);
  if (st) fprintf(stderr, "from_json(%s): %s\n", text, e.message);
  assert_int_equal(st, ZR_OK);
  return d;
}

static void test_plain_parse(void **state) {
  (void)state;
  zr_doc *d = parse(" {\"a\": [1, -2, 3.5, true, null, \"x\\u00e9\\n\"], \"b\": {}} ", 0);
  const zr_value *r = zr_doc_root(d);
  assert_int_equal(r->kind, ZR_KIND_MAP);
  const zr_value *a = zr_map_get(r, "a", 1);
  assert_non_null(a);
  assert_int_equal(zr_len(a), 6);
  assert_int_equal(zr_item(a, 0)->kind, ZR_KIND_INT);
  assert_int_equal(zr_item(a, 1)->u.i, -2);
  assert_int_equal(zr_item(a, 2)->kind, ZR_KIND_FLOAT);
  assert_true(zr_item(a, 2)->u.f == 3.5);
  assert_int_equal(zr_item(a, 3)->kind, ZR_KIND_BOOL);
  assert_int_equal(zr_item(a, 4)->kind, ZR_KIND_NULL);
  assert_int_equal(zr_item(a, 5)->n.len, 4);
  assert_memory_equal(zr_item(a, 5)->u.str, "x\xc3\xa9\n", 4);
  zr_doc_free(d);
}

static void test_big_integers(void **state) {
  (void)state;
  zr_doc *d = parse(
      "[9223372036854775807, 9223372036854775808, 18446744073709551615, 18446744073709551616,"
      " -9223372036854775808, -9223372036854775809, 123456789012345678901234567890, {\"k\": 10000000000000000000}]",
      0);
  const zr_value *r = zr_doc_root(d);
  assert_int_equal(zr_item(r, 0)->kind, ZR_KIND_INT);
  assert_true(zr_item(r, 0)->u.i == INT64_MAX);
  assert_int_equal(zr_item(r, 1)->kind, ZR_KIND_UINT);
  assert_true(zr_item(r, 1)->u.u == (uint64_t)INT64_MAX + 1);
  assert_int_equal(zr_item(r, 2)->kind, ZR_KIND_UINT);
  assert_true(zr_item(r, 2)->u.u == UINT64_MAX);
  assert_int_equal(zr_item(r, 3)->kind, ZR_KIND_BIGINT);
  assert_int_equal(zr_item(r, 3)->n.len, 9); /* 2^64 = 01 00..00 (9 bytes LE) */
  assert_int_equal(zr_item(r, 3)->u.bin[8], 1);
  assert_int_equal(zr_item(r, 4)->kind, ZR_KIND_INT);
  assert_true(zr_item(r, 4)->u.i == INT64_MIN);
  assert_int_equal(zr_item(r, 5)->kind, ZR_KIND_BIGINT);
  assert_true(zr_item(r, 5)->flags & ZR_VF_NEGATIVE);
  const zr_value *m = zr_item(r, 7);
  assert_int_equal(zr_map_get(m, "k", 1)->kind, ZR_KIND_UINT);
  /* and they print back exactly */
  char *txt = to_json(r, 0);
  assert_string_equal(
      txt,
      "[9223372036854775807,9223372036854775808,18446744073709551615,18446744073709551616,"
      "-9223372036854775808,-9223372036854775809,123456789012345678901234567890,{\"k\":10000000000000000000}]");
  free(txt);
  zr_doc_free(d);
  /* error offsets still point into the caller's text after placeholder substitution */
  zr_doc *x = NULL;
  zr_error e;
  const char *bad = "[18446744073709551616, x]";
  assert_int_equal(zr_value_from_json(bad, strlen(bad), 0, NULL, &x, &e), ZR_ERR_MALFORMED);
  assert_int_equal(e.offset, 23);
  /* a string that could pass for a placeholder, next to a big literal: refused, not guessed */
  const char *amb = "[\"\\u0000zr0\", 18446744073709551616]";
  assert_int_equal(zr_value_from_json(amb, strlen(amb), 0, NULL, &x, &e), ZR_ERR_UNSUPPORTED);
  /* a big literal with a leading zero is still invalid JSON */
  const char *lz = "[018446744073709551616]";
  assert_int_equal(zr_value_from_json(lz, strlen(lz), 0, NULL, &x, &e), ZR_ERR_MALFORMED);
  /* without big literals the same string is fine */
  zr_doc_free(parse("[\"\\u0000zr0\", 1]", 0));
}

static void test_errors(void **state) {
  (void)state;
  struct {
    const char *text;
    zr_status code;
    int64_t offset;
  } cases[] = {
      {"{\"a\": ", ZR_ERR_TRUNCATED, 6}, {"[1,,2]", ZR_ERR_MALFORMED, 3}, {"", ZR_ERR_TRUNCATED, 0},
      {"[1] [2]", ZR_ERR_MALFORMED, 4},  {"\"\xff\"", ZR_ERR_UTF8, -2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    zr_doc *d = NULL;
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_value_from_json(cases[i].text, strlen(cases[i].text), 0, NULL, &d, &e);
    if (st != cases[i].code) fprintf(stderr, "case %zu: %d %s\n", i, st, e.message);
    assert_int_equal(st, cases[i].code);
    assert_null(d);
    if (cases[i].offset >= 0)
      assert_int_equal(e.offset, cases[i].offset);
    else
      assert_true(e.offset >= 0);
  }
  /* depth limit with the offset of the bracket that crossed it */
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.max_depth = 3;
  zr_doc *d = NULL;
  zr_error e;
  assert_int_equal(zr_value_from_json("[[[[1]]]]", 9, 0, &o, &d, &e), ZR_ERR_LIMIT);
  assert_int_equal(e.offset, 3);
  assert_int_equal(zr_value_from_json("[[[1]]]", 7, 0, &o, &d, &e), ZR_OK);
  zr_doc_free(d);
  o.max_elements = 3;
  assert_int_equal(zr_value_from_json("[1,2,3,4]", 9, 0, &o, &d, &e), ZR_ERR_LIMIT);
  /* duplicate keys */
  zr_decode_opts_init(&o);
  o.dup_keys = ZR_DUP_ERROR;
  assert_int_equal(zr_value_from_json("{\"a\":1,\"a\":2}", 13, 0, &o, &d, &e), ZR_ERR_MALFORMED);
  o.dup_keys = ZR_DUP_LAST;
  assert_int_equal(zr_value_from_json("{\"a\":1,\"a\":2}", 13, 0, &o, &d, &e), ZR_OK);
  assert_int_equal(zr_map_get(zr_doc_root(d), "a", 1)->u.i, 2);
  zr_doc_free(d);
}

static void test_plain_write(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = zr_map_new(d, 0);
  zr_map_put_cstr(d, &m, "bin", zr_bin_ref("\x00\x01\x02", 3));
  zr_map_put_cstr(d, &m, "sym", zr_sym_ref("ok", 2));
  zr_value t = zr_tuple_new(d, 2);
  zr_list_push(d, &t, zr_int(1));
  zr_list_push(d, &t, zr_float(0.1));
  zr_map_put_cstr(d, &m, "tup", t);
  zr_map_put_cstr(d, &m, "nan", zr_float(NAN));
  zr_map_put_cstr(d, &m, "f", zr_float(1.0));
  zr_map_put_cstr(d, &m, "ts", zr_timestamp(d, 1700000000123ll, ZR_TU_MILLI, NULL));
  zr_map_put_cstr(d, &m, "s", zr_cstr_ref("q\"\\\x01"));
  zr_map_put(d, &m, zr_int(7), zr_bool(1));
  zr_map_put(d, &m, zr_bin_ref("a", 1), zr_null());
  float data[4] = {1, 2.5f, -3, 0.1f};
  int64_t shape[2] = {2, 2};
  zr_tensor ten;
  assert_int_equal(zr_tensor_init(&ten, ZR_DT_FLOAT32, 4, 2, shape, data, NULL), ZR_OK);
  zr_map_put_cstr(d, &m, "ten", zr_tensor_value(d, &ten));
  char *txt = to_json(&m, 0);
  assert_string_equal(txt,
                      "{\"bin\":\"AAEC\",\"sym\":\"ok\",\"tup\":[1,0.1],\"nan\":null,\"f\":1.0,"
                      "\"ts\":\"2023-11-14T22:13:20.123Z\",\"s\":\"q\\\"\\\\\\u0001\",\"7\":true,\"YQ==\":null,"
                      "\"ten\":[[1.0,2.5],[-3.0,0.1]]}");
  free(txt);
  txt = to_json(&m, ZR_JSON_SORT_KEYS);
  assert_true(strncmp(txt, "{\"7\":true,\"bin\":", 16) != 0); /* a non-string key: map kept in order */
  free(txt);
  zr_value small = zr_map_new(d, 0);
  zr_map_put_cstr(d, &small, "b", zr_int(1));
  zr_map_put_cstr(d, &small, "a", zr_list_new(d, 0));
  txt = to_json(&small, ZR_JSON_SORT_KEYS | ZR_JSON_PRETTY);
  assert_string_equal(txt, "{\n  \"a\": [],\n  \"b\": 1\n}\n");
  free(txt);
  /* lossy writes: warnings through the format table, errors in strict mode */
  const zr_format *f = zr_format_by_name("json");
  assert_non_null(f);
  zr_warnings w;
  memset(&w, 0, sizeof w);
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.warnings = &w;
  zr_sink *s = NULL;
  zr_sink_memory_new(NULL, &s, NULL);
  assert_int_equal(f->encode(&m, &eo, s, NULL), ZR_OK);
  assert_true(w.count >= 5);
  assert_string_equal(w.items[0].path, "$.bin");
  eo.flags = ZR_ENC_STRICT;
  zr_error e;
  assert_int_equal(f->encode(&m, &eo, s, &e), ZR_ERR_LOSSY);
  assert_string_equal(e.path, "$.bin");
  zr_sink_free(s);
  zr_doc_free(d);
}

static zr_value make_everything(zr_doc *d, float *tdata, double *strided) {
  zr_value root = zr_map_new(d, 0);
  zr_map_put_cstr(d, &root, "null", zr_null());
  zr_map_put_cstr(d, &root, "bool", zr_bool(0));
  zr_map_put_cstr(d, &root, "int", zr_int(INT64_MIN));
  zr_map_put_cstr(d, &root, "uint_small", zr_uint(5));
  zr_map_put_cstr(d, &root, "uint_big", zr_uint(UINT64_MAX));
  uint8_t mag[3] = {1, 2, 3};
  zr_map_put_cstr(d, &root, "bigint", zr_bigint(d, 1, mag, 3));
  zr_map_put_cstr(d, &root, "bigint_small", zr_bigint(d, 0, mag, 1));
  zr_map_put_cstr(d, &root, "f", zr_float(0.1));
  zr_map_put_cstr(d, &root, "f_int", zr_float(3.0));
  zr_map_put_cstr(d, &root, "f_big", zr_float(1e300));
  zr_map_put_cstr(d, &root, "nan", zr_float(NAN));
  uint64_t bits = UINT64_C(0xfff0000000000abc);
  double odd_nan;
  memcpy(&odd_nan, &bits, 8);
  zr_map_put_cstr(d, &root, "nan_payload", zr_float(odd_nan));
  zr_map_put_cstr(d, &root, "inf", zr_float(INFINITY));
  zr_map_put_cstr(d, &root, "-inf", zr_float(-INFINITY));
  zr_map_put_cstr(d, &root, "-0", zr_float(-0.0));
  zr_map_put_cstr(d, &root, "f32", zr_float32(0.1f));
  zr_map_put_cstr(d, &root, "f32_nan", zr_float32(NAN));
  zr_map_put_cstr(d, &root, "str", zr_cstr_ref("h\xc3\xa9llo \"w\"\n\t\x01 \xf0\x9f\x98\x80"));
  zr_map_put_cstr(d, &root, "str_nul", zr_str_ref("a\0b", 3));
  zr_map_put_cstr(d, &root, "bin", zr_bin_ref("\x00\xff\x10", 3));
  zr_map_put_cstr(d, &root, "bin_empty", zr_bin_ref("", 0));
  zr_map_put_cstr(d, &root, "sym", zr_sym_ref("ok", 2));
  zr_value tup = zr_tuple_new(d, 0);
  zr_list_push(d, &tup, zr_sym_ref("error", 5));
  zr_list_push(d, &tup, zr_tuple_new(d, 0));
  zr_map_put_cstr(d, &root, "tuple", tup);
  zr_value im = zr_map_new(d, 0);
  zr_map_put(d, &im, zr_int(1), zr_cstr_ref("one"));
  zr_map_put(d, &im, zr_tuple_new(d, 0), zr_null());
  zr_map_put_cstr(d, &root, "int_keys", im);
  zr_value dup = zr_map_new(d, 0);
  zr_map_put_cstr(d, &dup, "a", zr_int(1));
  zr_map_put_cstr(d, &dup, "a", zr_int(2));
  zr_map_put_cstr(d, &root, "dup_keys", dup);
  zr_value dollar = zr_map_new(d, 0);
  zr_map_put_cstr(d, &dollar, "$bin", zr_cstr_ref("not base64!"));
  zr_map_put_cstr(d, &root, "dollar_key", dollar);
  zr_map_put_cstr(d, &root, "empty_map", zr_map_new(d, 0));
  zr_map_put_cstr(d, &root, "ts", zr_timestamp(d, -1234567, ZR_TU_NANO, "Europe/Paris"));
  zr_map_put_cstr(d, &root, "ts_day", zr_timestamp(d, 19000, ZR_TU_DAY, NULL));
  zr_map_put_cstr(d, &root, "ext", zr_ext(d, 77, 3, "\x01\x02", 2));
  int64_t shape[2] = {2, 3};
  zr_tensor t;
  zr_tensor_init(&t, ZR_DT_FLOAT32, 4, 2, shape, tdata, NULL);
  zr_map_put_cstr(d, &root, "tensor", zr_tensor_value(d, &t));
  /* a transposed (non-contiguous) float64 view */
  int64_t shape2[2] = {3, 2};
  zr_tensor t2;
  zr_tensor_init(&t2, ZR_DT_FLOAT64, 8, 2, shape2, strided, NULL);
  t2.strides[0] = 8;
  t2.strides[1] = 24;
  zr_map_put_cstr(d, &root, "tensor_t", zr_tensor_value(d, &t2));
  zr_tensor t3;
  int64_t shape3[1] = {2};
  zr_tensor_init(&t3, ZR_DT_DATETIME64, 8, 1, shape3, strided, NULL);
  t3.time_unit = ZR_TU_MICRO;
  t3.byte_order = ZR_ORDER_BIG;
  zr_map_put_cstr(d, &root, "tensor_dt", zr_tensor_value(d, &t3));
  zr_map_put_cstr(d, &root, "deep", zr_list_new(d, 0));
  return root;
}

static void test_extended_roundtrip(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  float tdata[6] = {1, 2, 3, 4, 5, 6.5f};
  double strided[6] = {1, 2, 3, 4, 5, 6};
  zr_value root = make_everything(d, tdata, strided);
  assert_int_equal(zr_doc_status(d), ZR_OK);
  for (unsigned pretty = 0; pretty <= ZR_JSON_PRETTY; pretty += ZR_JSON_PRETTY) {
    char *txt = to_json(&root, ZR_JSON_EXTENDED | pretty);
    zr_doc *back = parse(txt, ZR_JSON_EXTENDED);
    if (!zr_value_equal(&root, zr_doc_root(back))) fprintf(stderr, "mismatch:\n%s\n", txt);
    assert_true(zr_value_equal(&root, zr_doc_root(back)));
    /* and writing again gives the same text */
    char *again = to_json(zr_doc_root(back), ZR_JSON_EXTENDED | pretty);
    assert_string_equal(txt, again);
    free(again);
    free(txt);
    zr_doc_free(back);
  }
  /* plain mode loses kinds but stays valid JSON that reads back */
  char *plain = to_json(&root, 0);
  zr_doc *back = parse(plain, 0);
  assert_int_equal(zr_doc_root(back)->kind, ZR_KIND_MAP);
  free(plain);
  zr_doc_free(back);
  zr_doc_free(d);
}

static void test_extended_bad_wrappers(void **state) {
  (void)state;
  const char *bad[] = {"{\"$bin\": 5}",
                       "{\"$bin\": \"%%%\"}",
                       "{\"$float\": \"huge\"}",
                       "{\"$ts\": 1, \"unit\": \"fortnight\"}",
                       "{\"$tensor\": {\"dtype\": \"float32\", \"itemsize\": 4, \"shape\": [3], \"data\": \"AAAA\"}}",
                       "{\"$map\": [[1]]}",
                       "{\"$uint\": -1}",
                       "{\"$table\": {}}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    zr_doc *d = NULL;
    zr_error e;
    zr_status st = zr_value_from_json(bad[i], strlen(bad[i]), ZR_JSON_EXTENDED, NULL, &d, &e);
    assert_true(st == ZR_ERR_MALFORMED || st == ZR_ERR_RANGE || st == ZR_ERR_UNSUPPORTED || st == ZR_ERR_LIMIT);
    assert_string_equal(e.path, "$");
    assert_null(d);
  }
  /* unknown $-keys are ordinary maps; without the flag wrappers are ordinary maps */
  zr_doc *d = parse("{\"$ref\": \"#/x\"}", ZR_JSON_EXTENDED);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_MAP);
  zr_doc_free(d);
  d = parse("{\"$bin\": \"AAEC\"}", 0);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_MAP);
  zr_doc_free(d);
}

static void test_format_entry(void **state) {
  (void)state;
  const zr_format *f = zr_format_by_name("json");
  assert_non_null(f);
  assert_ptr_equal(zr_format_by_id(ZR_FORMAT_ID_JSON), f);
  const char *lines = "{\"a\":1}\n{\"a\":2}\n\n{\"a\":3}\n";
  assert_true(f->detect((const uint8_t *)lines, strlen(lines)) > 50);
  assert_ptr_equal(zr_format_detect((const uint8_t *)lines, strlen(lines)), f);
  assert_int_equal(f->detect((const uint8_t *)"\x89ZRL", 4), 0);
  assert_int_equal(f->detect((const uint8_t *)"hello", 5), 0);
  zr_doc *d = NULL;
  assert_int_equal(f->decode((const uint8_t *)lines, strlen(lines), NULL, &d, NULL), ZR_OK);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_LIST);
  assert_int_equal(zr_len(zr_doc_root(d)), 3);
  zr_doc_free(d);
  const char *one = "\xef\xbb\xbf [1, 2]";
  assert_int_equal(f->decode((const uint8_t *)one, strlen(one), NULL, &d, NULL), ZR_OK);
  assert_int_equal(zr_len(zr_doc_root(d)), 2);
  zr_doc_free(d);
  zr_error e;
  zr_error_clear(&e);
  const char *badl = "{\"a\":1}\n{\"a\":}\n";
  assert_int_equal(f->decode((const uint8_t *)badl, strlen(badl), NULL, &d, &e), ZR_ERR_MALFORMED);
  assert_int_equal(e.offset, 13);
  assert_string_equal(e.path, "");
}

static void test_alloc_failures(void **state) {
  (void)state;
  const char *text = "{\"a\": [1, 2, {\"b\": \"str\"}], \"big\": 18446744073709551616, \"c\": \"xyz\"}";
  int ok = 0;
  for (uint64_t k = 1; k < 500 && !ok; k++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, k);
    zr_decode_opts o;
    zr_decode_opts_init(&o);
    o.alloc = &fa.a;
    zr_doc *d = NULL;
    zr_status st = zr_value_from_json(text, strlen(text), ZR_JSON_EXTENDED, &o, &d, NULL);
    if (st == ZR_OK) {
      ok = 1;
      zr_doc_free(d);
    } else {
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_null(d);
    }
    assert_int_equal(fa.live, 0);
  }
  assert_true(ok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_parse),
      cmocka_unit_test(test_big_integers),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_plain_write),
      cmocka_unit_test(test_extended_roundtrip),
      cmocka_unit_test(test_extended_bad_wrappers),
      cmocka_unit_test(test_format_entry),
      cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
