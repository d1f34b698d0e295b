/* Block-parallel compression and decompression on thread pools (run under TSan by make test-tsan):
 * results are byte-identical whatever the thread count, pools are reused, and several pools work
 * at once from different threads. */
#include <pthread.h>

#include "codec_data.h"
#include "zerial/codec.h"

static uint8_t *compress_with(const uint8_t *in, size_t len, int codec, unsigned threads, zr_codec_pool *pool,
                              size_t *zn) {
  zr_codec_opts o;
  memset(&o, 0, sizeof o);
  o.codec = codec;
  o.filter = ZR_FILTER_SHUFFLE;
  o.typesize = 8;
  o.block_size = 16384;
  o.threads = threads;
  zr_sink *s = NULL;
  zr_error e;
  assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
  if (zr_codec_blocks_compress(in, len, &o, pool, s, zn, NULL, &e) != ZR_OK) fail_msg("%s", e.message);
  uint8_t *out = NULL;
  size_t n;
  assert_int_equal(zr_sink_memory_take(s, &out, &n, &e), ZR_OK);
  zr_sink_free(s);
  return out;
}

static void test_deterministic(void **state) {
  (void)state;
  size_t len;
  uint8_t *in = make_shape(SHAPE_WALK, 300000, &len);
  for (int c = 1; c < ZR_CODEC_COUNT; c++) {
    size_t n1 = 0;
    uint8_t *one = compress_with(in, len, c, 1, NULL, &n1);
    for (unsigned t = 2; t <= 4; t++) {
      size_t nt = 0;
      uint8_t *many = compress_with(in, len, c, t, NULL, &nt);
      assert_int_equal(nt, n1);
      assert_memory_equal(many, one, n1);
      uint8_t *back = malloc(len);
      size_t bn = 0;
      assert_int_equal(zr_codec_blocks_decompress(many, nt, t, NULL, back, len, &bn, NULL), ZR_OK);
      assert_memory_equal(back, in, len);
      free(back);
      free(many);
    }
    free(one);
  }
  free(in);
}

static void test_pool_reuse(void **state) {
  (void)state;
  zr_codec_pool *pool = NULL;
  zr_error e;
  assert_int_equal(zr_codec_pool_new(3, NULL, &pool, &e), ZR_OK);
  assert_int_equal(zr_codec_pool_new(0, NULL, &(zr_codec_pool *){NULL}, &e), ZR_ERR_RANGE);
  for (int round = 0; round < 6; round++) {
    size_t len;
    uint8_t *in = make_shape(round % 2 ? SHAPE_TIMES : SHAPE_TEXT, 100000 + (size_t)round * 7777, &len);
    size_t zn = 0;
    uint8_t *z = compress_with(in, len, 1 + round % 3, 0, pool, &zn);
    uint8_t *back = malloc(len);
    size_t bn = 0;
    assert_int_equal(zr_codec_blocks_decompress(z, zn, 0, pool, back, len, &bn, &e), ZR_OK);
    assert_memory_equal(back, in, len);
    /* a corrupt block stops all workers with one error */
    z[zn - 3] ^= 0x40;
    assert_int_not_equal(zr_codec_blocks_decompress(z, zn, 0, pool, back, len, &bn, &e), ZR_OK);
    free(back);
    free(z);
    free(in);
  }
  /* a tiny input on a big pool: more workers than blocks */
  size_t zn = 0;
  uint8_t *z = compress_with((const uint8_t *)"abcdefgh", 8, ZR_CODEC_LZ4, 0, pool, &zn);
  uint8_t back[8];
  size_t bn;
  assert_int_equal(zr_codec_blocks_decompress(z, zn, 0, pool, back, 8, &bn, &e), ZR_OK);
  assert_memory_equal(back, "abcdefgh", 8);
  free(z);
  zr_codec_pool_free(pool);
}

typedef struct {
  int codec;
  int ok;
} thr_arg;

static void *thr_main(void *p) {
  thr_arg *a = p;
  zr_codec_pool *pool = NULL;
  if (zr_codec_pool_new(2, NULL, &pool, NULL) != ZR_OK) return NULL;
  size_t len;
  uint8_t *in = make_shape(SHAPE_TIMES, 200000, &len);
  zr_codec_opts o;
  memset(&o, 0, sizeof o);
  o.codec = a->codec;
  o.filter = ZR_FILTER_BITSHUFFLE;
  o.typesize = 8;
  o.block_size = 32768;
  zr_sink *s = NULL;
  size_t zn = 0;
  a->ok = zr_sink_memory_new(NULL, &s, NULL) == ZR_OK && zr_codec_blocks_compress(in, len, &o, pool, s, &zn, NULL, NULL) == ZR_OK;
  const uint8_t *z = NULL;
  size_t n = 0;
  uint8_t *back = malloc(len);
  size_t bn = 0;
  a->ok = a->ok && zr_sink_memory_data(s, &z, &n) == ZR_OK &&
          zr_codec_blocks_decompress(z, n, 0, pool, back, len, &bn, NULL) == ZR_OK && memcmp(back, in, len) == 0;
  free(back);
  zr_sink_free(s);
  free(in);
  zr_codec_pool_free(pool);
  return NULL;
}

static void test_concurrent_pools(void **state) {
  (void)state;
  pthread_t t[3];
  thr_arg a[3] = {{ZR_CODEC_LZ4, 0}, {ZR_CODEC_ZSTD, 0}, {ZR_CODEC_GZIP, 0}};
  for (int i = 0; i < 3; i++) assert_int_equal(pthread_create(&t[i], NULL, thr_main, &a[i]), 0);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 3; i++) assert_true(a[i].ok);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_deterministic), cmocka_unit_test(test_pool_reuse),
                                     cmocka_unit_test(test_concurrent_pools)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
