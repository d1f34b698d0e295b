/* Binary format version 2: typed lists and tensors compressed per block (tags DA, DB) when asked
 * and when it pays; uncompressed encodings stay version 1 and tensors not compressed stay views. */
#define _GNU_SOURCE 1 /* memmem */
#include <stdio.h>
#include <string.h>

#include "codec_data.h"
#include "zerial/binary.h"
#include "zerial/codec.h"
#include "zerial/zerial.h"

/* {"walk": typed f64 list, "times": int64 tensor [n], "noise": uint8 tensor (incompressible),
 *  "small": [1..9]} */
static zr_value build(zr_doc *d, size_t n) {
  zr_value m = zr_map_new(d, 4);
  zr_value walk = zr_list_new(d, n);
  uint64_t seed = 9;
  double x = 1000;
  for (size_t i = 0; i < n; i++) {
    x += (double)(zr_test_rand(&seed) % 2001) / 1000.0 - 1.0;
    assert_int_equal(zr_list_push(d, &walk, zr_float(round(x * 100) / 100)), ZR_OK);
  }
  zr_map_put_cstr(d, &m, "walk", walk);
  int64_t *ts = zr_doc_alloc(d, n * 8, 64);
  int64_t t = 1700000000000;
  for (size_t i = 0; i < n; i++) ts[i] = t += 1000 + (int64_t)(zr_test_rand(&seed) % 7);
  zr_tensor tt;
  int64_t shape = (int64_t)n;
  assert_int_equal(zr_tensor_init(&tt, ZR_DT_INT64, 8, 1, &shape, ts, NULL), ZR_OK);
  zr_map_put_cstr(d, &m, "times", zr_tensor_value(d, &tt));
  uint8_t *noise = zr_doc_alloc(d, n, 64);
  for (size_t i = 0; i < n; i++) noise[i] = (uint8_t)zr_test_rand(&seed);
  int64_t nshape = (int64_t)n;
  assert_int_equal(zr_tensor_init(&tt, ZR_DT_UINT8, 1, 1, &nshape, noise, NULL), ZR_OK);
  zr_map_put_cstr(d, &m, "noise", zr_tensor_value(d, &tt));
  zr_value small = zr_list_new(d, 9);
  for (int i = 1; i <= 9; i++) zr_list_push(d, &small, zr_int(i));
  zr_map_put_cstr(d, &m, "small", small);
  return m;
}

static uint8_t *encode(const zr_value *v, const char *codec, const char *filter, size_t *len) {
  zr_encode_opts o;
  memset(&o, 0, sizeof o);
  o.codec = codec;
  o.filter = filter;
  zr_sink *s = NULL;
  zr_error e;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  if (zr_binary_encode(v, &o, s, &e) != ZR_OK) fail_msg("encode %s: %s", codec ? codec : "-", e.message);
  uint8_t *out = NULL;
  assert_int_equal(zr_sink_memory_take(s, &out, len, NULL), ZR_OK);
  zr_sink_free(s);
  return out;
}

static const zr_value *member(const zr_value *m, const char *key) {
  for (uint64_t i = 0; i < m->n.len; i++)
    if (m->u.members[i].key.n.len == strlen(key) && memcmp(m->u.members[i].key.u.str, key, strlen(key)) == 0)
      return &m->u.members[i].val;
  return NULL;
}

static void test_roundtrip(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = build(d, 6000);
  size_t plain_len = 0;
  uint8_t *plain = encode(&v, NULL, NULL, &plain_len);
  assert_int_equal(plain[3], 1);
  static const char *const combos[][2] = {{"lz4", NULL},  {"lz4", "none"}, {"lz4", "byte"},  {"lz4", "bit"},
                                           {"zstd", "byte"}, {"gzip", NULL},  {"auto", NULL},   {"auto", "auto"}};
  for (size_t k = 0; k < sizeof combos / sizeof *combos; k++) {
    const char *codec = combos[k][0], *filter = combos[k][1];
    {
      size_t n = 0;
      uint8_t *b = encode(&v, codec, filter, &n);
      assert_int_equal(b[3], 2);
      assert_true(n < plain_len);
      zr_doc *back = NULL;
      zr_error e;
      if (zr_binary_decode(b, n, NULL, &back, &e) != ZR_OK) fail_msg("%s/%s: %s", codec, filter ? filter : "-", e.message);
      assert_true(zr_value_equal(zr_doc_root(back), &v));
      /* the incompressible tensor stays raw: a view into the input */
      const zr_value *noise = member(zr_doc_root(back), "noise");
      assert_non_null(noise);
      const uint8_t *nd = noise->u.tensor->data;
      assert_true(nd >= b && nd < b + n);
      /* inspect walks the compressed tags */
      zr_sink *js = NULL;
      assert_int_equal(zr_sink_memory_new(NULL, &js, NULL), ZR_OK);
      assert_int_equal(zr_binary_inspect(b, n, js, &e), ZR_OK);
      const uint8_t *jt;
      size_t jn;
      zr_sink_memory_data(js, &jt, &jn);
      assert_non_null(memmem(jt, jn, "\"compressed\":true", 17));
      zr_sink_free(js);
      zr_doc_free(back);
      zr_free(b);
    }
  }
  /* codec none: byte-identical to no options, version 1 */
  size_t nn = 0;
  uint8_t *none = encode(&v, "none", "byte", &nn);
  assert_int_equal(nn, plain_len);
  assert_memory_equal(none, plain, nn);
  zr_free(none);
  zr_free(plain);
  zr_doc_free(d);
}

static void test_corrupt(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = build(d, 3000);
  size_t n = 0;
  uint8_t *b = encode(&v, "lz4", "byte", &n);
  uint8_t *bad = malloc(n);
  unsigned caught = 0, ok = 0;
  for (size_t i = 4; i < n; i += 7) {
    memcpy(bad, b, n);
    bad[i] ^= 0x10;
    zr_doc *back = NULL;
    if (zr_binary_decode(bad, n, NULL, &back, NULL) == ZR_OK) {
      ok++; /* a flip in a raw payload (noise) changes data the format does not check */
      zr_doc_free(back);
    } else {
      caught++;
    }
  }
  assert_true(caught > 0);
  for (size_t cut = 0; cut < n; cut += 13) {
    zr_doc *back = NULL;
    assert_int_not_equal(zr_binary_decode(b, cut, NULL, &back, NULL), ZR_OK);
  }
  /* the compressed tags are errors in a version-1 encoding */
  memcpy(bad, b, n);
  bad[3] = 1;
  zr_doc *back = NULL;
  zr_error e;
  assert_int_equal(zr_binary_decode(bad, n, NULL, &back, &e), ZR_ERR_MALFORMED);
  free(bad);
  zr_free(b);
  zr_doc_free(d);
}

/* A version-2 encoding checked in (tests/codec/golden/v2_lz4.zrb, regenerated only by hand with
 * ZR_WRITE_GOLDEN=1): every later reader decodes it to the same value. */
static void test_golden(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = build(d, 2000);
  const char *path = zr_test_src_path("tests/codec/golden/v2_lz4.zrb");
  if (getenv("ZR_WRITE_GOLDEN")) {
    size_t n = 0;
    uint8_t *b = encode(&v, "lz4", "byte", &n);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(b, 1, n, f);
    fclose(f);
    zr_free(b);
  }
  size_t gn = 0;
  uint8_t *g = zr_test_read_file(path, &gn);
  assert_non_null(g);
  assert_int_equal(g[3], 2);
  zr_doc *back = NULL;
  zr_error e;
  if (zr_binary_decode(g, gn, NULL, &back, &e) != ZR_OK) fail_msg("%s", e.message);
  assert_true(zr_value_equal(zr_doc_root(back), &v));
  zr_doc_free(back);
  free(g);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_corrupt),
                                     cmocka_unit_test(test_golden)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
