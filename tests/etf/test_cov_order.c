/* Coverage: deterministic ETF encoding sorts map keys in Erlang term order across every key kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/etf.h"
#include "zerial/format.h"
#include "zr_test.h"

#define NKEYS 17

/* The keys in Erlang term order: numbers < atoms < tuples < maps < nil < lists < binaries. */
static void keys_in_order(zr_doc *d, zr_value *k) {
  static const uint8_t big[9] = {0, 0, 0, 0, 0, 0, 0, 0, 1}; /* 2^64 */
  static const uint8_t big2[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1}; /* 2^72 */
  int i = 0;
  k[i++] = zr_bigint(d, 1, big2, sizeof big2);
  k[i++] = zr_bigint(d, 1, big, sizeof big);
  k[i++] = zr_int(-1);
  k[i++] = zr_int(5);
  k[i++] = zr_float(5.0); /* equal to 5: integers first */
  k[i++] = zr_uint(UINT64_MAX);
  k[i++] = zr_bigint(d, 0, big2, sizeof big2);
  k[i++] = zr_sym_ref("b", 1);
  k[i++] = zr_null(); /* the atom nil */
  k[i++] = zr_bool(1);
  zr_value t1 = zr_tuple_new(d, 1), t2 = zr_tuple_new(d, 2);
  assert_int_equal(zr_list_push(d, &t1, zr_int(9)), ZR_OK);
  assert_int_equal(zr_list_push(d, &t2, zr_int(1)), ZR_OK);
  assert_int_equal(zr_list_push(d, &t2, zr_int(2)), ZR_OK);
  k[i++] = t1;
  k[i++] = t2;
  zr_value m = zr_map_new(d, 1);
  assert_int_equal(zr_map_put(d, &m, zr_int(1), zr_int(2)), ZR_OK);
  k[i++] = m;
  k[i++] = zr_list_new(d, 0); /* nil */
  zr_value l = zr_list_new(d, 1);
  assert_int_equal(zr_list_push(d, &l, zr_int(1)), ZR_OK);
  k[i++] = l;
  k[i++] = zr_bin_ref("a", 1);
  k[i++] = zr_bin_ref("ab", 2);
  assert_int_equal(i, NKEYS);
}

static uint8_t *encode(const zr_value *v, unsigned enc_flags, size_t *n) {
  zr_encode_opts o;
  memset(&o, 0, sizeof o);
  o.flags = enc_flags;
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error e;
  zr_error_clear(&e);
  if (zr_etf_encode(v, &o, 0, s, &e) != ZR_OK) fail_msg("encode: %s", e.message);
  uint8_t *p;
  assert_int_equal(zr_sink_memory_take(s, &p, n, NULL), ZR_OK);
  zr_sink_free(s);
  return p;
}

static void test_term_order(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value k[NKEYS];
  keys_in_order(d, k);
  /* the sorted map, built in order, and the same keys shuffled */
  zr_value sorted = zr_map_new(d, NKEYS), shuffled = zr_map_new(d, NKEYS);
  for (int i = 0; i < NKEYS; i++) assert_int_equal(zr_map_put(d, &sorted, k[i], zr_int(i)), ZR_OK);
  static const int perm[NKEYS] = {16, 3, 9, 0, 12, 5, 14, 1, 10, 7, 15, 2, 11, 4, 13, 6, 8};
  for (int i = 0; i < NKEYS; i++) assert_int_equal(zr_map_put(d, &shuffled, k[perm[i]], zr_int(perm[i])), ZR_OK);
  size_t n1, n2, n3;
  uint8_t *plain = encode(&sorted, 0, &n1);
  uint8_t *det_sorted = encode(&sorted, ZR_ENC_DETERMINISTIC, &n2);
  uint8_t *det_shuffled = encode(&shuffled, ZR_ENC_DETERMINISTIC, &n3);
  assert_int_equal(n1, n2);
  assert_int_equal(n1, n3);
  assert_memory_equal(plain, det_sorted, n1);   /* already in term order: unchanged */
  assert_memory_equal(plain, det_shuffled, n1); /* shuffled: sorted into term order */
  uint8_t *plain_shuffled = encode(&shuffled, 0, &n3);
  assert_true(memcmp(plain, plain_shuffled, n1) != 0); /* without the flag, insertion order */
  zr_free(plain);
  zr_free(det_sorted);
  zr_free(det_shuffled);
  zr_free(plain_shuffled);

  /* nested maps are sorted too, and the result decodes back to the same map */
  zr_value outer = zr_map_new(d, 2);
  assert_int_equal(zr_map_put(d, &outer, zr_sym_ref("z", 1), shuffled), ZR_OK);
  assert_int_equal(zr_map_put(d, &outer, zr_sym_ref("a", 1), zr_int(0)), ZR_OK);
  size_t n;
  uint8_t *p = encode(&outer, ZR_ENC_DETERMINISTIC, &n);
  zr_doc *back = NULL;
  zr_error e;
  zr_error_clear(&e);
  if (zr_etf_decode(p, n, NULL, 0, &back, &e) != ZR_OK) fail_msg("decode: %s", e.message);
  const zr_value *r = zr_doc_root(back);
  assert_int_equal(r->kind, ZR_KIND_MAP);
  assert_int_equal(r->n.len, 2);
  assert_memory_equal(r->u.members[0].key.u.str, "a", 1);
  const zr_value *inner = &r->u.members[1].val;
  assert_int_equal(inner->n.len, NKEYS);
  for (uint64_t i = 0; i < NKEYS; i++) {
    const zr_value *val = &inner->u.members[i].val;
    assert_int_equal(val->kind, ZR_KIND_INT);
    assert_int_equal(val->u.i, (int64_t)i);
  }
  zr_doc_free(back);
  zr_free(p);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_term_order)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
