/* ETF codec unit tests: options, tagged tuples, hostile inputs, allocation failures, format table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "zerial/etf.h"
#include "zerial/format.h"
#include "zr_test.h"

#define B(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

static zr_doc *dec_ok(const uint8_t *p, size_t n, unsigned flags) {
  zr_doc *d = NULL;
  zr_error e;
  zr_status st = zr_etf_decode(p, n, NULL, flags, &d, &e);
  if (st) fprintf(stderr, "decode: %s\n", e.message);
  assert_int_equal(st, ZR_OK);
  return d;
}

static void dec_fail(const uint8_t *p, size_t n, unsigned flags, zr_status want, int64_t off) {
  zr_doc *d = NULL;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_etf_decode(p, n, NULL, flags, &d, &e);
  if (st != want) fprintf(stderr, "want %s got %s (%s)\n", zr_status_name(want), zr_status_name(st), e.message);
  assert_int_equal(st, want);
  assert_null(d);
  assert_int_equal(e.code, want);
  if (off >= 0) assert_int_equal(e.offset, off);
}

static uint8_t *enc(const zr_value *v, unsigned eflags, unsigned flags, size_t *n, zr_status want) {
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_encode_opts o;
  memset(&o, 0, sizeof o);
  o.flags = eflags;
  zr_error e;
  zr_status st = zr_etf_encode(v, &o, flags, s, &e);
  assert_int_equal(st, want);
  uint8_t *p = NULL;
  if (st == ZR_OK) assert_int_equal(zr_sink_memory_take(s, &p, n, NULL), ZR_OK);
  zr_sink_free(s);
  return p;
}

static void test_atoms_options(void **state) {
  (void)state;
  zr_doc *d = dec_ok(B(131, 119, 4, 't', 'r', 'u', 'e'), 0);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_BOOL);
  zr_doc_free(d);
  d = dec_ok(B(131, 119, 4, 't', 'r', 'u', 'e'), ZR_ETF_ATOMS_AS_SYMBOLS);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_SYMBOL);
  zr_doc_free(d);
  d = dec_ok(B(131, 100, 0, 3, 'n', 'i', 'l'), 0);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_NULL);
  zr_doc_free(d);
  d = dec_ok(B(131, 115, 9, 'u', 'n', 'd', 'e', 'f', 'i', 'n', 'e', 'd'), 0);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_SYMBOL);
  zr_doc_free(d);
  d = dec_ok(B(131, 115, 9, 'u', 'n', 'd', 'e', 'f', 'i', 'n', 'e', 'd'), ZR_ETF_UNDEFINED_NULL);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_NULL);
  zr_doc_free(d);
  /* latin-1 atom é → UTF-8 */
  d = dec_ok(B(131, 115, 1, 0xE9), 0);
  assert_int_equal(zr_len(zr_doc_root(d)), 2);
  assert_memory_equal(zr_doc_root(d)->u.str, "\xc3\xa9", 2);
  zr_doc_free(d);
  /* invalid UTF-8 in a UTF-8 atom */
  dec_fail(B(131, 119, 1, 0xE9), 0, ZR_ERR_UTF8, 3);
  /* null encodes as nil / undefined */
  zr_value nul = zr_null();
  size_t n;
  uint8_t *p = enc(&nul, 0, 0, &n, ZR_OK);
  assert_int_equal(n, 6);
  assert_memory_equal(p, "\x83\x77\x03nil", 6);
  zr_free(p);
  p = enc(&nul, 0, ZR_ETF_UNDEFINED_NULL, &n, ZR_OK);
  assert_int_equal(n, 12);
  zr_free(p);
}

static void test_charlist_and_improper(void **state) {
  (void)state;
  zr_doc *d = dec_ok(B(131, 107, 0, 3, 'a', 0xE9, 'c'), 0);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_LIST);
  assert_int_equal(zr_item(zr_doc_root(d), 1)->u.i, 0xE9);
  zr_doc_free(d);
  d = dec_ok(B(131, 109, 0, 0, 0, 2, 'h', 'i'), ZR_ETF_BINARY_STRINGS);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_STRING);
  zr_doc_free(d);
  d = dec_ok(B(131, 109, 0, 0, 0, 2, 'h', 0xFF), ZR_ETF_BINARY_STRINGS);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_BINARY);
  zr_doc_free(d);
  d = dec_ok(B(131, 107, 0, 3, 'a', 0xE9, 'c'), ZR_ETF_CHARLIST_STRING);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_STRING);
  assert_int_equal(zr_len(zr_doc_root(d)), 4);
  zr_doc_free(d);
  /* [1|2] */
  static const uint8_t imp[] = {131, 108, 0, 0, 0, 1, 97, 1, 97, 2};
  dec_fail(imp, sizeof imp, 0, ZR_ERR_UNSUPPORTED, 8);
  d = dec_ok(imp, sizeof imp, ZR_ETF_IMPROPER_TAGGED);
  const zr_value *r = zr_doc_root(d);
  assert_int_equal(r->kind, ZR_KIND_TUPLE);
  assert_int_equal(zr_len(r), 3);
  assert_int_equal(zr_item(r, 2)->u.i, 2);
  size_t n;
  uint8_t *p = enc(r, 0, 0, &n, ZR_OK);
  assert_int_equal(n, sizeof imp);
  assert_memory_equal(p, imp, sizeof imp);
  zr_free(p);
  p = enc(r, 0, ZR_ETF_NO_TAGS, &n, ZR_OK);
  assert_int_equal(p[1], 104);
  zr_free(p);
  zr_doc_free(d);
}

static void test_numbers(void **state) {
  (void)state;
  /* SMALL_BIG of 8 bytes = 2^63 → bigint; -2^63 → int */
  zr_doc *d = dec_ok(B(131, 110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0x80), 0);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_BIGINT);
  zr_doc_free(d);
  d = dec_ok(B(131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 0x80), 0);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_INT);
  assert_true(zr_doc_root(d)->u.i == INT64_MIN);
  zr_doc_free(d);
  /* non-canonical big with zero padding → int */
  d = dec_ok(B(131, 111, 0, 0, 0, 3, 0, 7, 0, 0), 0);
  assert_int_equal(zr_doc_root(d)->u.i, 7);
  zr_doc_free(d);
  dec_fail(B(131, 110, 1, 2, 7), 0, ZR_ERR_MALFORMED, 3);
  /* uint beyond int64 → SMALL_BIG */
  zr_value u = zr_uint(UINT64_MAX);
  size_t n;
  uint8_t *p = enc(&u, 0, 0, &n, ZR_OK);
  assert_int_equal(n, 12);
  assert_int_equal(p[1], 110);
  zr_free(p);
  /* old float text */
  uint8_t ft[33] = {131, 99};
  memcpy(ft + 2, "1.5e+00", 7);
  d = dec_ok(ft, sizeof ft, 0);
  assert_true(zr_doc_root(d)->u.f == 1.5);
  zr_doc_free(d);
  memset(ft + 2, 0, 31);
  memcpy(ft + 2, "inf", 3);
  dec_fail(ft, sizeof ft, 0, ZR_ERR_MALFORMED, 2);
  memset(ft + 2, 0, 31);
  memcpy(ft + 2, "1.5", 3);
  ft[10] = 'x';
  dec_fail(ft, sizeof ft, 0, ZR_ERR_MALFORMED, 10);
  zr_value nan = zr_float(NAN);
  enc(&nan, 0, 0, &n, ZR_ERR_TYPE);
}

static void test_unsupported_and_malformed(void **state) {
  (void)state;
  /* a pid made by erl */
  static const uint8_t pid[] = {131, 88,  100, 0, 13, 110, 111, 110, 111, 100, 101, 64, 110, 111, 104,
                                111, 115, 116, 0, 0,  0,   9,   0,   0,   0,   0,   0,  0,   0,   0};
  dec_fail(pid, sizeof pid, 0, ZR_ERR_UNSUPPORTED, 1);
  zr_error e;
  zr_doc *d = NULL;
  zr_etf_decode(pid, sizeof pid, NULL, 0, &d, &e);
  assert_non_null(strstr(e.message, "NEW_PID_EXT"));
  /* inside a tuple: offset of the tag */
  dec_fail(B(131, 104, 2, 97, 1, 113, 100, 0, 1, 'm', 100, 0, 1, 'f', 97, 1), 0, ZR_ERR_UNSUPPORTED, 5);
  dec_fail(B(131, 104, 1, 114, 0, 1), 0, ZR_ERR_UNSUPPORTED, 3);
  dec_fail(B(131, 104, 1, 90, 0, 1), 0, ZR_ERR_UNSUPPORTED, 3);
  dec_fail(B(131, 112, 0, 0, 0, 5), 0, ZR_ERR_UNSUPPORTED, 1);
  dec_fail(B(131, 117, 0, 0, 0, 5), 0, ZR_ERR_UNSUPPORTED, 1);
  dec_fail(B(131, 102, 0), 0, ZR_ERR_UNSUPPORTED, 1);
  dec_fail(B(131, 82, 0), 0, ZR_ERR_MALFORMED, 1);
  dec_fail(B(131, 200), 0, ZR_ERR_MALFORMED, 1);
  dec_fail(B(130, 97, 1), 0, ZR_ERR_VERSION, 0);
  dec_fail(B(131), 0, ZR_ERR_TRUNCATED, 1);
  dec_fail((const uint8_t *)"", 0, 0, ZR_ERR_TRUNCATED, 0);
  dec_fail(B(131, 97), 0, ZR_ERR_TRUNCATED, 2);
  dec_fail(B(131, 97, 1, 0), 0, ZR_ERR_MALFORMED, 3);
  /* lengths beyond the input: no huge allocation */
  dec_fail(B(131, 108, 0xFF, 0xFF, 0xFF, 0xFF, 106), 0, ZR_ERR_TRUNCATED, -1);
  dec_fail(B(131, 116, 0xFF, 0xFF, 0xFF, 0xFF), 0, ZR_ERR_TRUNCATED, -1);
  dec_fail(B(131, 105, 0xFF, 0xFF, 0xFF, 0xFF), 0, ZR_ERR_TRUNCATED, -1);
  dec_fail(B(131, 109, 0xFF, 0xFF, 0xFF, 0xFF, 1), 0, ZR_ERR_TRUNCATED, -1);
  dec_fail(B(131, 111, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1), 0, ZR_ERR_TRUNCATED, -1);
  dec_fail(B(131, 77, 0, 0, 0, 1, 9, 0), 0, ZR_ERR_MALFORMED, -1);
  dec_fail(B(131, 77, 0, 0, 0, 0, 0), 0, ZR_ERR_MALFORMED, -1);
  /* compressed: declared size beyond max_bytes, nested tag 80, garbage, size mismatch */
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.max_bytes = 1000;
  static const uint8_t bomb[] = {131, 80, 0x7F, 0xFF, 0xFF, 0xFF, 0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01};
  assert_int_equal(zr_etf_decode(bomb, sizeof bomb, &o, 0, &d, &e), ZR_ERR_LIMIT);
  dec_fail(B(131, 80, 0, 0, 0, 4, 1, 2, 3, 4, 5), 0, ZR_ERR_CODEC, 6);
  uint8_t z[64];
  uLongf zl = sizeof z - 6;
  static const uint8_t inner[] = {97, 7};
  compress(z + 6, &zl, inner, sizeof inner);
  z[0] = 131;
  z[1] = 80;
  z[2] = z[3] = z[4] = 0;
  z[5] = 2;
  d = dec_ok(z, zl + 6, 0);
  assert_int_equal(zr_doc_root(d)->u.i, 7);
  zr_doc_free(d);
  z[5] = 3; /* declared size larger than the inflated bytes */
  dec_fail(z, zl + 6, 0, ZR_ERR_MALFORMED, -1);
  z[5] = 1; /* smaller */
  dec_fail(z, zl + 6, 0, ZR_ERR_MALFORMED, -1);
  z[5] = 2;
  uint8_t z2[70];
  memcpy(z2, z, zl + 6);
  z2[zl + 6] = 0;
  dec_fail(z2, zl + 7, 0, ZR_ERR_MALFORMED, -1);
  static const uint8_t nested80[] = {131, 104, 1, 80, 0, 0, 0, 1};
  dec_fail(nested80, sizeof nested80, 0, ZR_ERR_MALFORMED, 3);
}

static void test_limits(void **state) {
  (void)state;
  uint8_t deep[2000];
  deep[0] = 131;
  for (int i = 1; i < 1999; i++) deep[i] = i % 2 ? 104 : 1;
  deep[1999] = 106;
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  zr_doc *d = NULL;
  zr_error e;
  /* 999 nested tuples: beyond the default depth 512 */
  assert_int_equal(zr_etf_decode(deep, 2000, &o, 0, &d, &e), ZR_ERR_LIMIT);
  o.max_depth = 2000;
  assert_int_equal(zr_etf_decode(deep, 2000, &o, 0, &d, &e), ZR_OK);
  zr_doc_free(d);
  o.max_elements = 10;
  assert_int_equal(zr_etf_decode(deep, 2000, &o, 0, &d, &e), ZR_ERR_LIMIT);
  /* repeated map keys */
  static const uint8_t dup[] = {131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3};
  zr_decode_opts_init(&o);
  assert_int_equal(zr_etf_decode(dup, sizeof dup, &o, 0, &d, &e), ZR_OK);
  assert_int_equal(zr_len(zr_doc_root(d)), 2);
  zr_doc_free(d);
  o.dup_keys = ZR_DUP_ERROR;
  assert_int_equal(zr_etf_decode(dup, sizeof dup, &o, 0, &d, &e), ZR_ERR_MALFORMED);
  o.dup_keys = ZR_DUP_LAST;
  assert_int_equal(zr_etf_decode(dup, sizeof dup, &o, 0, &d, &e), ZR_OK);
  assert_int_equal(zr_len(zr_doc_root(d)), 1);
  assert_int_equal(zr_member_val(zr_doc_root(d), 0)->u.i, 3);
  zr_doc_free(d);
  o.dup_keys = ZR_DUP_FIRST;
  assert_int_equal(zr_etf_decode(dup, sizeof dup, &o, 0, &d, &e), ZR_OK);
  assert_int_equal(zr_member_val(zr_doc_root(d), 0)->u.i, 2);
  zr_doc_free(d);
}

static void test_tagged_kinds_roundtrip(void **state) {
  (void)state;
  zr_doc *b = zr_doc_new(NULL);
  double data[6] = {1, 2, 3, 4, 5, 6};
  zr_tensor t;
  int64_t shape[2] = {2, 3};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, shape, data, NULL), ZR_OK);
  zr_value root = zr_list_new(b, 4);
  zr_list_push(b, &root, zr_tensor_value(b, &t));
  zr_list_push(b, &root, zr_timestamp(b, 12345, ZR_TU_MICRO, "UTC"));
  zr_list_push(b, &root, zr_ext(b, 77, 2, "abc", 3));
  zr_list_push(b, &root, zr_timestamp(b, -5, ZR_TU_SECOND, NULL));
  size_t n;
  uint8_t *p = enc(&root, 0, 0, &n, ZR_OK);
  zr_doc *d = dec_ok(p, n, 0);
  assert_true(zr_value_equal(zr_doc_root(d), &root));
  zr_doc_free(d);
  d = dec_ok(p, n, ZR_ETF_NO_TAGS);
  assert_int_equal(zr_item(zr_doc_root(d), 0)->kind, ZR_KIND_TUPLE);
  zr_doc_free(d);
  zr_free(p);
  /* strided tensor (transpose) is written in C order */
  zr_tensor tt = t;
  tt.shape[0] = 3;
  tt.shape[1] = 2;
  tt.strides[0] = 8;
  tt.strides[1] = 24;
  zr_value tv = zr_tensor_value(b, &tt);
  p = enc(&tv, 0, 0, &n, ZR_OK);
  d = dec_ok(p, n, 0);
  const zr_tensor *gt = zr_doc_root(d)->u.tensor;
  double got[6];
  memcpy(got, gt->data, sizeof got);
  assert_true(got[0] == 1 && got[1] == 4 && got[2] == 2 && got[5] == 6);
  zr_doc_free(d);
  zr_free(p);
  /* tables are refused with a path */
  zr_value l = zr_list_new(b, 1);
  zr_value tab = zr_null();
  tab.kind = ZR_KIND_TABLE;
  zr_list_push(b, &l, tab);
  zr_sink *s;
  zr_sink_memory_new(NULL, &s, NULL);
  zr_error e;
  assert_int_equal(zr_etf_encode(&l, NULL, 0, s, &e), ZR_ERR_TYPE);
  assert_string_equal(e.path, "$[0]");
  zr_sink_free(s);
  zr_doc_free(b);
}

static void test_deterministic(void **state) {
  (void)state;
  uint64_t seed = 7;
  uint8_t *first = NULL;
  size_t first_n = 0;
  for (int round = 0; round < 5; round++) {
    zr_doc *b = zr_doc_new(NULL);
    zr_value m = zr_map_new(b, 8);
    int order[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int i = 7; i > 0; i--) {
      int j = (int)(zr_test_rand(&seed) % (uint64_t)(i + 1));
      int x = order[i];
      order[i] = order[j];
      order[j] = x;
    }
    for (int i = 0; i < 8; i++) {
      zr_value k;
      switch (order[i]) {
        case 0: k = zr_int(3); break;
        case 1: k = zr_float(2.5); break;
        case 2: k = zr_sym_ref("atom", 4); break;
        case 3: k = zr_bin_ref("bin", 3); break;
        case 4: k = zr_int(-100000000000LL); break;
        case 5: k = zr_bool(1); break;
        case 6: k = zr_tuple_new(b, 0); break;
        default: k = zr_list_new(b, 0); break;
      }
      zr_map_put(b, &m, k, zr_int(order[i]));
    }
    size_t n;
    uint8_t *p = enc(&m, ZR_ENC_DETERMINISTIC, 0, &n, ZR_OK);
    if (!first) {
      first = p;
      first_n = n;
      zr_doc *d = dec_ok(p, n, 0);
      const zr_value *r = zr_doc_root(d);
      assert_int_equal(zr_member_key(r, 0)->u.i, -100000000000LL);
      assert_int_equal(zr_member_key(r, 7)->kind, ZR_KIND_BINARY);
      zr_doc_free(d);
    } else {
      assert_int_equal(n, first_n);
      assert_memory_equal(p, first, n);
      zr_free(p);
    }
    zr_doc_free(b);
  }
  zr_free(first);
}

static void test_fixed_sink(void **state) {
  (void)state;
  zr_doc *b = zr_doc_new(NULL);
  zr_value l = zr_list_new(b, 3);
  zr_list_push(b, &l, zr_int(1));
  zr_list_push(b, &l, zr_bin_ref("abc", 3));
  zr_list_push(b, &l, zr_float(0.5));
  size_t n;
  uint8_t *want = enc(&l, 0, 0, &n, ZR_OK);
  uint8_t mem[64];
  zr_sink *s;
  assert_int_equal(zr_sink_fixed_new(mem, n, &s, NULL), ZR_OK);
  assert_int_equal(zr_etf_encode(&l, NULL, 0, s, NULL), ZR_OK);
  assert_int_equal(zr_sink_size(s), n);
  assert_memory_equal(mem, want, n);
  zr_sink_free(s);
  assert_int_equal(zr_sink_fixed_new(mem, n - 1, &s, NULL), ZR_OK);
  assert_int_equal(zr_etf_encode(&l, NULL, 0, s, NULL), ZR_ERR_NOSPACE);
  zr_sink_free(s);
  zr_free(want);
  zr_doc_free(b);
}

static void test_views_and_copy(void **state) {
  (void)state;
  uint8_t in[] = {131, 109, 0, 0, 0, 3, 'a', 'b', 'c'};
  zr_doc *d = dec_ok(in, sizeof in, 0);
  assert_ptr_equal(zr_doc_root(d)->u.bin, in + 6);
  zr_doc_free(d);
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.copy = 1;
  zr_error e;
  assert_int_equal(zr_etf_decode(in, sizeof in, &o, 0, &d, &e), ZR_OK);
  assert_ptr_not_equal(zr_doc_root(d)->u.bin, in + 6);
  assert_memory_equal(zr_doc_root(d)->u.bin, "abc", 3);
  zr_doc_free(d);
}

static void test_format_table_and_inspect(void **state) {
  (void)state;
  const zr_format *f = zr_format_by_name("etf");
  assert_non_null(f);
  assert_ptr_equal(zr_format_by_id(ZR_FORMAT_ID_ETF), f);
  static const uint8_t t[] = {131, 116, 0, 0,  0,  1,   100, 0, 1, 'k', 108, 0, 0,  0,
                              2,   97,  1, 70, 63, 248, 0,   0, 0, 0,   0,   0, 106};
  assert_ptr_equal(zr_format_detect(t, sizeof t), f);
  assert_int_equal(f->detect((const uint8_t *)"\x83\xff", 2), 0);
  zr_doc *d = NULL;
  assert_int_equal(f->decode(t, sizeof t, NULL, &d, NULL), ZR_OK);
  zr_sink *s;
  zr_sink_memory_new(NULL, &s, NULL);
  assert_int_equal(f->encode(zr_doc_root(d), NULL, s, NULL), ZR_OK);
  zr_doc_free(d);
  zr_sink_free(s);
  zr_sink_memory_new(NULL, &s, NULL);
  assert_int_equal(f->inspect(t, sizeof t, s, NULL), ZR_OK);
  const uint8_t *j;
  size_t jn;
  zr_sink_memory_data(s, &j, &jn);
  char *txt = strndup((const char *)j, jn);
  assert_non_null(strstr(txt, "\"type\":\"map\",\"size\":1"));
  assert_non_null(strstr(txt, "\"value\":1.5"));
  assert_non_null(strstr(txt, "\"values\":5"));
  free(txt);
  zr_sink_free(s);
  zr_sink_memory_new(NULL, &s, NULL);
  zr_error e;
  assert_int_equal(f->inspect((const uint8_t *)"\x83\x68\x01\x67", 4, s, &e), ZR_ERR_UNSUPPORTED);
  zr_sink_free(s);
}

/* Every allocation failure in decode and encode is reported cleanly and leaks nothing. */
static void test_alloc_failures(void **state) {
  (void)state;
  zr_doc *b = zr_doc_new(NULL);
  zr_value m = zr_map_new(b, 4);
  zr_value l = zr_list_new(b, 300);
  for (int i = 0; i < 300; i++) zr_list_push(b, &l, zr_float(i));
  zr_map_put(b, &m, zr_bin_ref("floats", 6), l);
  zr_map_put(b, &m, zr_sym_ref("h\xc3\xa9", 3), zr_int(1));
  zr_map_put(b, &m, zr_int(9), zr_bin_ref("xyz", 3));
  zr_map_put(b, &m, zr_float(0.5), zr_bin_ref("xyz", 3));
  size_t n;
  uint8_t *p = enc(&m, 0, ZR_ETF_COMPRESS, &n, ZR_OK);
  int ok_dec = 0, ok_enc = 0;
  for (uint64_t k = 1; k < 200 && !(ok_dec && ok_enc); k++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, k);
    zr_decode_opts o;
    zr_decode_opts_init(&o);
    o.alloc = &fa.a;
    o.dup_keys = ZR_DUP_ERROR;
    zr_doc *d = NULL;
    zr_error e;
    zr_status st = zr_etf_decode(p, n, &o, 0, &d, &e);
    if (st == ZR_OK) {
      ok_dec = 1;
      zr_doc_free(d);
    } else {
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_null(d);
    }
    assert_int_equal(fa.live, 0);
    zr_test_failalloc_init(&fa, k);
    zr_encode_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.alloc = &fa.a;
    eo.flags = ZR_ENC_DETERMINISTIC;
    zr_sink *s;
    zr_sink_memory_new(NULL, &s, NULL);
    st = zr_etf_encode(&m, &eo, ZR_ETF_COMPRESS, s, &e);
    if (st == ZR_OK)
      ok_enc = 1;
    else
      assert_int_equal(st, ZR_ERR_NOMEM);
    zr_sink_free(s);
    assert_int_equal(fa.live, 0);
  }
  assert_true(ok_dec && ok_enc);
  zr_free(p);
  zr_doc_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_atoms_options),  cmocka_unit_test(test_charlist_and_improper),
      cmocka_unit_test(test_numbers),        cmocka_unit_test(test_unsupported_and_malformed),
      cmocka_unit_test(test_limits),         cmocka_unit_test(test_tagged_kinds_roundtrip),
      cmocka_unit_test(test_deterministic),  cmocka_unit_test(test_views_and_copy),
      cmocka_unit_test(test_fixed_sink),     cmocka_unit_test(test_format_table_and_inspect),
      cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
