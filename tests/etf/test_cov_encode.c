/* Coverage: the ETF encoder beyond the round trips: Erlang term order of deterministic map keys
 * for every pair of number kinds, atoms, tuples, maps, lists and bitstrings (checked against the
 * same map written in the expected order); the improper-list and bitstring tuple forms and the
 * tuples that only look like them; tagged tuples in strict mode and with warnings; atoms of
 * multi-byte characters; bigints (trailing zeros, large); refusals (tensors, units, floats,
 * depth) with their messages and value paths; the windowed writer over fixed sinks of every size
 * and callback sinks failing their n-th write; the compressed form (levels, codec names, failing
 * allocator and sink); the inspector's compressed-term errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/etf.h"
#include "zerial/format.h"
#include "zr_test.h"

static uint8_t *enc(const zr_value *v, const zr_encode_opts *o, unsigned flags, size_t *len) {
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error e;
  zr_status st = zr_etf_encode(v, o, flags, s, &e);
  if (st != ZR_OK) fail_msg("encode: %s at %s", e.message, e.path);
  uint8_t *d = NULL;
  assert_int_equal(zr_sink_memory_take(s, &d, len, NULL), ZR_OK);
  zr_sink_free(s);
  return d;
}

static zr_status enc_err(const zr_value *v, const zr_encode_opts *o, unsigned flags, zr_error *e) {
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error_clear(e);
  zr_status st = zr_etf_encode(v, o, flags, s, e);
  zr_sink_free(s);
  return st;
}

static zr_value big(zr_doc *d, int neg, int bytes, uint8_t low) {
  uint8_t m[40] = {0};
  m[0] = low;
  m[bytes - 1] = 1;
  return zr_bigint(d, neg, m, (size_t)bytes);
}

static zr_value tup(zr_doc *d, int n, int64_t first, int64_t second) {
  zr_value t = zr_tuple_new(d, (size_t)n);
  zr_list_push(d, &t, zr_int(first));
  if (n > 1) zr_list_push(d, &t, zr_int(second));
  return t;
}

static void test_term_order(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  /* keys in Erlang term order: numbers < atoms < tuples < maps < nil < lists < bitstrings */
  zr_value keys[40];
  int n = 0;
  keys[n++] = big(d, 1, 11, 0);            /* -(2^80) */
  keys[n++] = big(d, 1, 9, 5);             /* -(2^64 + 5) */
  keys[n++] = big(d, 1, 9, 2);             /* -(2^64 + 2) */
  keys[n++] = zr_int(-5);
  keys[n++] = zr_float(-1.5);
  keys[n++] = zr_int(2);
  keys[n++] = zr_float(2.0);               /* equal to 2: the integer first */
  keys[n++] = zr_uint(7);
  keys[n++] = zr_int(9);
  keys[n++] = zr_uint(UINT64_MAX - 1);
  keys[n++] = big(d, 0, 9, 2);             /* 2^64 + 2 */
  keys[n++] = big(d, 0, 9, 5);
  keys[n++] = big(d, 0, 11, 0);            /* 2^80 */
  keys[n++] = zr_float(1e30);
  keys[n++] = zr_sym_copy(d, "apple", 5);
  keys[n++] = zr_bool(0);                  /* false */
  keys[n++] = zr_null();                   /* nil */
  keys[n++] = zr_bool(1);                  /* true */
  keys[n++] = zr_sym_copy(d, "zebra", 5);
  keys[n++] = tup(d, 1, 5, 0);
  keys[n++] = tup(d, 2, 1, 2);
  keys[n++] = tup(d, 2, 1, 3);
  keys[n++] = zr_timestamp(d, 5, ZR_TU_SECOND, NULL);
  keys[n++] = zr_ext(d, 7, 1, "x", 1);
  zr_value m1 = zr_map_new(d, 1), m2 = zr_map_new(d, 1), m3 = zr_map_new(d, 2);
  zr_map_put(d, &m1, zr_int(1), zr_int(1));
  zr_map_put(d, &m2, zr_int(1), zr_int(2));
  zr_map_put(d, &m3, zr_int(0), zr_int(0));
  zr_map_put(d, &m3, zr_int(1), zr_int(0));
  keys[n++] = m1;
  keys[n++] = m2;
  keys[n++] = m3;
  keys[n++] = zr_list_new(d, 0);           /* nil */
  zr_value l1 = zr_list_new(d, 1), l2 = zr_list_new(d, 2), l3 = zr_list_new(d, 1);
  zr_list_push(d, &l1, zr_int(1));
  zr_list_push(d, &l2, zr_int(1));
  zr_list_push(d, &l2, zr_int(0));
  zr_list_push(d, &l3, zr_int(2));
  keys[n++] = l1;
  keys[n++] = l2;
  keys[n++] = l3;
  keys[n++] = zr_bin_copy(d, "a", 1);
  keys[n++] = zr_str_copy(d, "ab", 2);
  keys[n++] = zr_bin_copy(d, "b", 1);
  /* the map in expected order, and shuffled (several permutations) */
  zr_value sorted = zr_map_new(d, (size_t)n);
  for (int i = 0; i < n; i++) zr_map_put(d, &sorted, keys[i], zr_int(i));
  size_t rn = 0;
  uint8_t *ref = enc(&sorted, NULL, 0, &rn);
  zr_encode_opts o;
  memset(&o, 0, sizeof o);
  o.flags = ZR_ENC_DETERMINISTIC;
  uint64_t seed = 7;
  for (int round = 0; round < 8; round++) {
    int idx[40];
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = (int)(zr_test_rand(&seed) % (uint64_t)(i + 1));
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    if (round == 0)
      for (int i = 0; i < n; i++) idx[i] = n - 1 - i; /* reversed */
    zr_value m = zr_map_new(d, (size_t)n);
    for (int i = 0; i < n; i++) zr_map_put(d, &m, keys[idx[i]], zr_int(idx[i]));
    size_t len = 0;
    uint8_t *b = enc(&m, &o, 0, &len);
    assert_int_equal(len, rn);
    assert_memory_equal(b, ref, rn);
    free(b);
  }
  free(ref);
  /* with ZR_ETF_UNDEFINED_NULL null is the atom 'undefined': after 'true' */
  zr_value a = zr_map_new(d, 2), bm = zr_map_new(d, 2);
  zr_map_put(d, &a, zr_null(), zr_int(1));
  zr_map_put(d, &a, zr_bool(1), zr_int(2));
  zr_map_put(d, &bm, zr_bool(1), zr_int(2));
  zr_map_put(d, &bm, zr_null(), zr_int(1));
  size_t la, lb;
  uint8_t *ea = enc(&a, &o, ZR_ETF_UNDEFINED_NULL, &la);
  uint8_t *eb = enc(&bm, NULL, ZR_ETF_UNDEFINED_NULL, &lb);
  assert_int_equal(la, lb);
  assert_memory_equal(ea, eb, la);
  free(ea);
  free(eb);
  zr_doc_free(d);
}

static zr_value tagged(zr_doc *d, const char *tag, zr_value a, zr_value b) {
  zr_value t = zr_tuple_new(d, 3);
  zr_list_push(d, &t, zr_sym_copy(d, tag, strlen(tag)));
  zr_list_push(d, &t, a);
  zr_list_push(d, &t, b);
  return t;
}

static void test_tagged_tuples(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = zr_list_new(d, 2);
  zr_list_push(d, &l, zr_int(1));
  zr_list_push(d, &l, zr_int(2));
  /* [1, 2 | tail]: ETF list with a non-nil tail */
  zr_value imp = tagged(d, "$zerial_improper_list", l, zr_sym_copy(d, "tail", 4));
  size_t n = 0;
  uint8_t *b = enc(&imp, NULL, 0, &n);
  static const uint8_t want_imp[] = {131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 119, 4, 't', 'a', 'i', 'l'};
  assert_int_equal(n, sizeof want_imp);
  assert_memory_equal(b, want_imp, n);
  zr_doc *back = NULL;
  assert_int_equal(zr_etf_decode(b, n, NULL, ZR_ETF_IMPROPER_TAGGED, &back, NULL), ZR_OK);
  assert_true(zr_value_equal(zr_doc_root(back), &imp));
  zr_doc_free(back);
  free(b);
  /* <<bits>>: a bit binary with 3 bits in the last byte */
  zr_value bits = tagged(d, "$zerial_bitstring", zr_bin_copy(d, "\xAB\xE0", 2), zr_int(3));
  b = enc(&bits, NULL, 0, &n);
  static const uint8_t want_bits[] = {131, 77, 0, 0, 0, 2, 3, 0xAB, 0xE0};
  assert_int_equal(n, sizeof want_bits);
  assert_memory_equal(b, want_bits, n);
  free(b);
  /* look-alikes are plain 3-tuples: empty list, list tail, bits 0 / 9, bits not an integer,
   * an empty binary; and every tag form with ZR_ETF_NO_TAGS */
  zr_value alike[] = {
      tagged(d, "$zerial_improper_list", zr_list_new(d, 0), zr_int(1)),
      tagged(d, "$zerial_improper_list", l, l),
      tagged(d, "$zerial_improper_list", zr_int(1), zr_int(1)),
      tagged(d, "$zerial_bitstring", zr_bin_copy(d, "\x01", 1), zr_int(0)),
      tagged(d, "$zerial_bitstring", zr_bin_copy(d, "\x01", 1), zr_int(9)),
      tagged(d, "$zerial_bitstring", zr_bin_copy(d, "\x01", 1), zr_float(3)),
      tagged(d, "$zerial_bitstring", zr_bin_copy(d, "", 0), zr_int(3)),
      tagged(d, "$zerial_bitstring", zr_int(1), zr_int(3)),
      tagged(d, "$zerial_other", zr_int(1), zr_int(3)),
      tagged(d, "$zeria", zr_int(1), zr_int(3)),
  };
  for (size_t i = 0; i < sizeof alike / sizeof alike[0]; i++) {
    b = enc(&alike[i], NULL, 0, &n);
    assert_int_equal(b[1], 104); /* SMALL_TUPLE_EXT */
    assert_int_equal(b[2], 3);
    free(b);
  }
  b = enc(&imp, NULL, ZR_ETF_NO_TAGS, &n);
  assert_int_equal(b[1], 104);
  free(b);
  b = enc(&bits, NULL, ZR_ETF_NO_TAGS, &n);
  assert_int_equal(b[1], 104);
  free(b);
  /* a user tuple carrying a tag of zerial's own kinds: a warning, or a refusal in strict mode */
  zr_value ts = zr_tuple_new(d, 2);
  zr_list_push(d, &ts, zr_sym_copy(d, "$zerial_timestamp", 17));
  zr_list_push(d, &ts, zr_int(1));
  zr_value m = zr_map_new(d, 1);
  zr_map_put_cstr(d, &m, "when", ts);
  zr_warnings w;
  memset(&w, 0, sizeof w);
  zr_encode_opts o;
  memset(&o, 0, sizeof o);
  o.warnings = &w;
  b = enc(&m, &o, 0, &n);
  free(b);
  assert_int_equal(w.count, 1);
  assert_int_equal(w.items[0].code, ZR_ERR_LOSSY);
  assert_string_equal(w.items[0].path, "$.when");
  assert_non_null(strstr(w.items[0].message, "'$zerial_timestamp'"));
  o.flags = ZR_ENC_STRICT;
  zr_error e;
  assert_int_equal(enc_err(&m, &o, 0, &e), ZR_ERR_LOSSY);
  assert_string_equal(e.path, "$.when");
  assert_non_null(strstr(e.message, "a tuple tagged '$zerial_timestamp' would read back"));
  b = enc(&m, &o, ZR_ETF_NO_TAGS, &n); /* no tags: nothing to confuse */
  free(b);
  zr_doc_free(d);
}

static void test_scalars_and_refusals(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  size_t n = 0;
  uint8_t *b;
  /* bigints: trailing zero bytes dropped, all-zero is 0, over 255 bytes LARGE_BIG */
  uint8_t mag[300];
  memset(mag, 0, sizeof mag);
  zr_value z = {.kind = ZR_KIND_BIGINT, .n.len = 4, .u.bin = mag};
  b = enc(&z, NULL, 0, &n);
  static const uint8_t zero[] = {131, 97, 0};
  assert_int_equal(n, 3);
  assert_memory_equal(b, zero, 3);
  free(b);
  mag[0] = 1;
  mag[5] = 2;
  z.n.len = 9; /* trailing zeros: 6 bytes of magnitude */
  b = enc(&z, NULL, 0, &n);
  assert_int_equal(n, 3 + 6 + 1);
  assert_int_equal(b[1], 110);
  assert_int_equal(b[2], 6);
  free(b);
  mag[299] = 1;
  zr_value lb = zr_bigint(d, 1, mag, 300);
  b = enc(&lb, NULL, 0, &n);
  assert_int_equal(b[1], 111); /* LARGE_BIG_EXT */
  assert_int_equal(n, 1 + 1 + 4 + 1 + 300);
  assert_int_equal(b[6], 1);   /* negative */
  free(b);
  zr_value uv = zr_uint(UINT64_MAX);
  b = enc(&uv, NULL, 0, &n);
  static const uint8_t umax[] = {131, 110, 8, 0, 255, 255, 255, 255, 255, 255, 255, 255};
  assert_int_equal(n, sizeof umax);
  assert_memory_equal(b, umax, n);
  free(b);
  /* atoms: 200 two-byte characters (400 bytes) need ATOM_UTF8_EXT; 256 characters are refused */
  char sym[600];
  for (int i = 0; i < 200; i++) memcpy(sym + 2 * i, "\xC3\xA9", 2);
  zr_value s = zr_sym_copy(d, sym, 400);
  b = enc(&s, NULL, 0, &n);
  assert_int_equal(b[1], 118);
  assert_int_equal(n, 1 + 3 + 400);
  free(b);
  memset(sym, 'a', 256);
  zr_value m = zr_map_new(d, 1);
  zr_map_put_cstr(d, &m, "s", zr_sym_copy(d, sym, 256));
  zr_error e;
  assert_int_equal(enc_err(&m, NULL, 0, &e), ZR_ERR_RANGE);
  assert_string_equal(e.message, "ETF: atoms hold at most 255 characters");
  assert_string_equal(e.path, "$.s");
  zr_map_put_cstr(d, &m, "s", zr_sym_copy(d, "\xFF", 1));
  m.u.members[0].val = zr_sym_copy(d, "\xFF", 1);
  assert_int_equal(enc_err(&m, NULL, 0, &e), ZR_ERR_UTF8);
  /* refusals with their paths; err NULL gives only the code */
  static int32_t data[6] = {1, 2, 3, 4, 5, 6};
  int64_t sh[2] = {2, 3};
  zr_tensor t;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT32, 4, 2, sh, data, NULL), ZR_OK);
  zr_tensor bad[5];
  for (int i = 0; i < 5; i++) bad[i] = t;
  bad[0].dtype = (zr_dtype)0;
  bad[1].dtype = ZR_DT_DATETIME64;
  bad[1].itemsize = 8;
  bad[2].itemsize = 2;
  bad[3].byte_order = ZR_ORDER_BIG;
  bad[4].shape[0] = (int64_t)1 << 31; /* 8 GiB: more than a binary holds */
  for (int i = 0; i < 5; i++) {
    zr_value l = zr_list_new(d, 2);
    zr_list_push(d, &l, zr_int(0));
    zr_list_push(d, &l, zr_tensor_value(d, &bad[i]));
    zr_status want = i == 4 ? ZR_ERR_RANGE : ZR_ERR_TYPE;
    assert_int_equal(enc_err(&l, NULL, 0, &e), want);
    assert_string_equal(e.path, "$[1]");
    assert_non_null(strstr(e.message, i == 4 ? "tensor larger than 4 GiB" : "only little-endian numeric tensors"));
    zr_sink *sk = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &sk, NULL), ZR_OK);
    assert_int_equal(zr_etf_encode(&l, NULL, 0, sk, NULL), want);
    zr_sink_free(sk);
  }
  /* a big-endian uint8 tensor is fine (one byte per element); a strided one is gathered */
  zr_tensor t8 = t;
  static uint8_t bytes[6] = {1, 2, 3, 4, 5, 6};
  assert_int_equal(zr_tensor_init(&t8, ZR_DT_UINT8, 1, 2, sh, bytes, NULL), ZR_OK);
  t8.byte_order = ZR_ORDER_BIG;
  zr_value tv = zr_tensor_value(d, &t8);
  b = enc(&tv, NULL, 0, &n);
  assert_memory_equal(b + n - 6, bytes, 6);
  free(b);
  zr_tensor ts = t;
  ts.strides[0] = 4;
  ts.strides[1] = 8; /* Fortran order */
  tv = zr_tensor_value(d, &ts);
  b = enc(&tv, NULL, 0, &n);
  static const int32_t corder[6] = {1, 3, 5, 2, 4, 6};
  for (int i = 0; i < 6; i++) {
    uint32_t be;
    memcpy(&be, b + n - 24 + 4 * i, 4);
    assert_int_equal(be, (uint32_t)corder[i]); /* raw element bytes, native order */
  }
  free(b);
  zr_value tsv = zr_timestamp(d, 1, ZR_TU_DAY, NULL);
  assert_int_equal(enc_err(&tsv, NULL, 0, &e), ZR_ERR_TYPE);
  assert_non_null(strstr(e.message, "units other than second..nanosecond"));
  zr_value tz = zr_timestamp(d, -1, ZR_TU_NANO, "UTC");
  b = enc(&tz, NULL, 0, &n);
  assert_int_equal(memcmp(b + n - 8, "\x6d\0\0\0\x03UTC", 8), 0);
  free(b);
  zr_value nan = zr_float(NAN);
  assert_int_equal(enc_err(&nan, NULL, 0, &e), ZR_ERR_TYPE);
  zr_value tab = {.kind = ZR_KIND_TABLE};
  assert_int_equal(enc_err(&tab, NULL, 0, &e), ZR_ERR_TYPE);
  assert_non_null(strstr(e.message, "tables have no term form"));
  zr_value unk = {.kind = 77};
  assert_int_equal(enc_err(&unk, NULL, 0, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "ETF: unknown value kind");
  /* depth: 5000 nested lists, through the sizer (memory sink) and the stream writer */
  zr_value deep = zr_int(1);
  for (int i = 0; i < 5000; i++) {
    zr_value c = zr_list_new(d, 1);
    zr_list_push(d, &c, deep);
    deep = c;
  }
  assert_int_equal(enc_err(&deep, NULL, 0, &e), ZR_ERR_LIMIT);
  assert_string_equal(e.message, "ETF: value nested deeper than 4096 levels");
  assert_int_equal(strlen(e.path) > 100, 1);
  /* NULL arguments */
  zr_sink *sk = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &sk, NULL), ZR_OK);
  assert_int_equal(zr_etf_encode(NULL, NULL, 0, sk, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_etf_encode(&uv, NULL, 0, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "zr_etf_encode: NULL argument");
  zr_sink_free(sk);
  zr_doc_free(d);
}

/* ------------------------------------------------------------------ writers */

/* a callback sink keeping what it takes (tests/common/zr_test.h); from its fail_at-th write on,
 * every write fails with ZR_ERR_NOSPACE */
typedef zr_test_sink cb;
#define CB_INIT .keep = 1, .fail_from = 1, .code = ZR_ERR_NOSPACE

/* not sized in advance (bigints, timestamps): the windowed path; big binaries go straight out */
static zr_value window_value(zr_doc *d) {
  static uint8_t blob[40000];
  for (size_t i = 0; i < sizeof blob; i++) blob[i] = (uint8_t)(i * 3);
  zr_value l = zr_list_new(d, 4000);
  for (int i = 0; i < 3000; i++) {
    zr_value x;
    switch (i % 5) {
      case 0: x = big(d, i & 1, 12, (uint8_t)i); break;
      case 1: x = zr_timestamp(d, i, ZR_TU_MILLI, i % 2 ? "Asia/Tokyo" : NULL); break;
      case 2: x = zr_ext(d, (uint32_t)i, 3, blob, 20); break;
      case 3: x = zr_sym_copy(d, "atom", 4); break;
      default: x = zr_float(i * 0.5); break;
    }
    zr_list_push(d, &l, x);
    if (i == 1500) zr_list_push(d, &l, zr_bin_copy(d, blob, sizeof blob));
  }
  return l;
}

static void test_windowed_writers(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = window_value(d);
  size_t rn = 0;
  uint8_t *ref = enc(&v, NULL, 0, &rn);
  zr_doc *back = NULL;
  assert_int_equal(zr_etf_decode(ref, rn, NULL, 0, &back, NULL), ZR_OK);
  zr_doc_free(back);
  /* fixed sinks of sizes around the encoding: exact or larger succeed with the same bytes,
   * smaller fail with ZR_ERR_NOSPACE */
  uint8_t *mem = malloc(rn + 70000);
  static const size_t cut[] = {0, 1, 2, 100, 5000, 65536, 65537, 70000, 100000};
  for (size_t i = 0; i < sizeof cut / sizeof cut[0] + 4; i++) {
    size_t cap = i < sizeof cut / sizeof cut[0] ? cut[i] : rn - 2 + (i - sizeof cut / sizeof cut[0]) + (i > 11 ? 70000 : 0);
    if (cap > rn + 70000) cap = rn + 70000;
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_fixed_new(mem, cap, &s, NULL), ZR_OK);
    zr_error e;
    zr_status st = zr_etf_encode(&v, NULL, 0, s, &e);
    if (cap >= rn) {
      assert_int_equal(st, ZR_OK);
      assert_int_equal(zr_sink_size(s), rn);
      assert_memory_equal(mem, ref, rn);
    } else {
      assert_int_equal(st, ZR_ERR_NOSPACE);
      assert_non_null(strstr(e.message, "fixed sink full"));
      assert_true(zr_sink_size(s) <= cap);
    }
    zr_sink_free(s);
  }
  free(mem);
  /* a callback sink failing its n-th write: the sink's error; what got through is a prefix */
  for (int k = 1;; k++) {
    cb c = {CB_INIT, .fail_at = k};
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &c, &s, NULL), ZR_OK);
    zr_error e;
    zr_status st = zr_etf_encode(&v, NULL, 0, s, &e);
    zr_sink_free(s);
    if (st == ZR_OK) {
      assert_int_equal(c.len, rn);
      assert_memory_equal(c.buf, ref, rn);
      free(c.buf);
      break;
    }
    assert_int_equal(st, ZR_ERR_NOSPACE);
    assert_string_equal(e.message, "sink callback failed: no space left on device");
    if (c.len) assert_memory_equal(c.buf, ref, c.len);
    free(c.buf);
    assert_true(k < 20);
  }
  /* the scratch allocator failing (stream staging buffer): NOMEM, nothing live */
  for (uint64_t k = 1;; k++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, k);
    zr_encode_opts o;
    memset(&o, 0, sizeof o);
    o.alloc = &fa.a;
    o.flags = ZR_ENC_DETERMINISTIC;
    cb c = {CB_INIT};
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &c, &s, NULL), ZR_OK);
    zr_value m = zr_map_new(d, 3);
    zr_map_put_cstr(d, &m, "b", v);
    zr_map_put_cstr(d, &m, "a", zr_int(1));
    zr_error e;
    zr_status st = zr_etf_encode(&m, &o, 0, s, &e);
    zr_sink_free(s);
    free(c.buf);
    assert_int_equal(fa.live, 0);
    if (st == ZR_OK) break;
    assert_int_equal(st, ZR_ERR_NOMEM);
    assert_string_equal(e.message, "out of memory");
    assert_true(k < 50);
  }
  free(ref);
  zr_doc_free(d);
}

static void test_compressed(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = window_value(d);
  size_t rn = 0;
  uint8_t *plain = enc(&v, NULL, 0, &rn);
  static const struct {
    const char *codec;
    int level;
    unsigned flags;
  } cases[] = {{NULL, 0, ZR_ETF_COMPRESS}, {"gzip", 1, 0}, {"zlib", 9, 0}, {NULL, 42, ZR_ETF_COMPRESS},
               {NULL, -7, ZR_ETF_COMPRESS}, {"lz4", 0, ZR_ETF_COMPRESS}};
  size_t sizes[6];
  for (int i = 0; i < 6; i++) {
    zr_encode_opts o;
    memset(&o, 0, sizeof o);
    o.codec = cases[i].codec;
    o.level = cases[i].level;
    size_t n = 0;
    uint8_t *b = enc(&v, &o, cases[i].flags, &n);
    assert_int_equal(b[1], 80); /* compressed */
    assert_int_equal((size_t)b[2] << 24 | (size_t)b[3] << 16 | (size_t)b[4] << 8 | b[5], rn - 1);
    assert_true(n < rn);
    sizes[i] = n;
    zr_doc *back = NULL;
    assert_int_equal(zr_etf_decode(b, n, NULL, 0, &back, NULL), ZR_OK);
    zr_doc *ref = NULL;
    assert_int_equal(zr_etf_decode(plain, rn, NULL, 0, &ref, NULL), ZR_OK);
    assert_true(zr_value_equal(zr_doc_root(back), zr_doc_root(ref)));
    zr_doc_free(back);
    zr_doc_free(ref);
    free(b);
  }
  /* out-of-range levels fall back to the default level (same bytes as level 0) */
  assert_int_equal(sizes[3], sizes[0]);
  assert_int_equal(sizes[4], sizes[0]);
  /* failing allocator and failing sink in compressed mode */
  for (uint64_t k = 1;; k++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, k);
    zr_encode_opts o;
    memset(&o, 0, sizeof o);
    o.alloc = &fa.a;
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    zr_error e;
    zr_status st = zr_etf_encode(&v, &o, ZR_ETF_COMPRESS, s, &e);
    zr_sink_free(s);
    assert_int_equal(fa.live, 0);
    if (st == ZR_OK) break;
    assert_int_equal(st, ZR_ERR_NOMEM);
    assert_true(k < 60);
  }
  cb c = {CB_INIT, .fail_at = 1};
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &c, &s, NULL), ZR_OK);
  zr_error e;
  assert_int_equal(zr_etf_encode(&v, NULL, ZR_ETF_COMPRESS, s, &e), ZR_ERR_NOSPACE);
  assert_int_equal(c.len, 0);
  zr_sink_free(s);
  free(plain);
  zr_doc_free(d);
}

static void test_inspect_and_detect(void **state) {
  (void)state;
  const zr_format *f = zr_format_by_name("etf");
  assert_non_null(f);
  static const uint8_t one[] = {131};
  static const uint8_t other[] = {130, 97, 1};
  static const uint8_t cshort[] = {131, 80, 0, 0, 0};
  static const uint8_t cfull[] = {131, 80, 0, 0, 0, 3, 0x78};
  static const uint8_t plain[] = {131, 97, 1};
  assert_int_equal(f->detect(one, 1), 0);
  assert_int_equal(f->detect(other, 3), 0);
  assert_int_equal(f->detect(cshort, sizeof cshort), 40);
  assert_int_equal(f->detect(cfull, sizeof cfull), 95);
  assert_int_equal(f->detect(plain, sizeof plain), 80);
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error e;
  assert_int_equal(zr_etf_inspect(NULL, 3, s, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_etf_inspect(plain, 3, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "zr_etf_inspect: NULL argument");
  assert_int_equal(zr_etf_inspect(cshort, sizeof cshort, s, &e), ZR_ERR_TRUNCATED);
  assert_int_equal(e.offset, 2);
  static const uint8_t czero[] = {131, 80, 0, 0, 0, 0, 1, 2};
  assert_int_equal(zr_etf_inspect(czero, sizeof czero, s, &e), ZR_ERR_LIMIT);
  static const uint8_t chuge[] = {131, 80, 0xFF, 0, 0, 0, 1, 2};
  assert_int_equal(zr_etf_inspect(chuge, sizeof chuge, s, &e), ZR_ERR_LIMIT);
  assert_non_null(strstr(e.message, "inspect inflates at most"));
  static const uint8_t cbad[] = {131, 80, 0, 0, 0, 9, 1, 2, 3, 4};
  assert_int_equal(zr_etf_inspect(cbad, sizeof cbad, s, &e), ZR_ERR_CODEC);
  assert_int_equal(e.offset, 6);
  assert_string_equal(e.message, "ETF: compressed term does not inflate to its size");
  assert_int_equal(zr_sink_size(s), 0); /* nothing written on failure */
  /* a good compressed term inspects; a term with bytes after it does not */
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = zr_list_new(d, 100);
  for (int i = 0; i < 100; i++) zr_list_push(d, &l, zr_int(i % 3));
  size_t n = 0;
  uint8_t *b = enc(&l, NULL, ZR_ETF_COMPRESS, &n);
  assert_int_equal(zr_etf_inspect(b, n, s, &e), ZR_OK);
  const uint8_t *j;
  size_t jl;
  zr_sink_memory_data(s, &j, &jl);
  char *text = strndup((const char *)j, jl);
  assert_non_null(strstr(text, "\"compressed\":true"));
  free(text);
  free(b);
  zr_sink_free(s);
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  static const uint8_t trail[] = {131, 97, 1, 97};
  assert_int_equal(zr_etf_inspect(trail, sizeof trail, s, &e), ZR_ERR_MALFORMED);
  assert_string_equal(e.message, "ETF: bytes after the term");
  assert_int_equal(e.offset, 3);
  zr_sink_free(s);
  /* decode: NULL arguments */
  zr_doc *out = NULL;
  assert_int_equal(zr_etf_decode(NULL, 3, NULL, 0, &out, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_etf_decode(plain, 3, NULL, 0, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_doc_free(d);
}

/* a term nested far deeper than any limit, decoded with max_depth at its maximum: refused at the
 * decoder's ceiling of 1024 levels (was: a stack overflow); a term at the ceiling reads back */
static void test_deep_terms(void **state) {
  (void)state;
  size_t depth = 100000, n = 1 + 5 * depth + 1 + depth;
  uint8_t *b = malloc(n);
  size_t p = 0;
  b[p++] = 131;
  for (size_t i = 0; i < depth; i++) {
    static const uint8_t one[5] = {108, 0, 0, 0, 1}; /* LIST_EXT of one element */
    memcpy(b + p, one, 5);
    p += 5;
  }
  b[p++] = 106;
  for (size_t i = 0; i < depth; i++) b[p++] = 106; /* the tails */
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.max_depth = UINT32_MAX;
  o.max_bytes = UINT64_C(1) << 34;
  zr_doc *d = NULL;
  zr_error e;
  assert_int_equal(zr_etf_decode(b, p, &o, 0, &d, &e), ZR_ERR_LIMIT);
  assert_string_equal(e.message, "ETF: nesting deeper than max_depth (1024)");
  assert_null(d);
  free(b);
  zr_doc *src = zr_doc_new(NULL);
  zr_value v = zr_int(1);
  for (int i = 0; i < 1024; i++) {
    zr_value c = zr_list_new(src, 1);
    zr_list_push(src, &c, v);
    v = c;
  }
  size_t en = 0;
  uint8_t *eb = enc(&v, NULL, 0, &en);
  assert_int_equal(zr_etf_decode(eb, en, &o, 0, &d, &e), ZR_OK);
  assert_true(zr_value_equal(zr_doc_root(d), &v));
  zr_doc_free(d);
  free(eb);
  zr_doc_free(src);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_term_order),          cmocka_unit_test(test_tagged_tuples),
      cmocka_unit_test(test_scalars_and_refusals), cmocka_unit_test(test_windowed_writers),
      cmocka_unit_test(test_compressed),          cmocka_unit_test(test_inspect_and_detect),
      cmocka_unit_test(test_deep_terms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
