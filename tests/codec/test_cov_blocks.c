/* Coverage of the block container's API edges (src/codec/blocks.c is not changed here): pool
 * arguments, every option check of zr_codec_blocks_compress with its message, no options at all,
 * thread counts without a pool (a transient pool, capped), and the decoder's argument checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/codec.h"
#include "zr_test.h"

#define LEN (300 * 1024)
static uint8_t data[LEN];

static void says(const zr_error *e, const char *msg) {
  if (msg && !strstr(e->message, msg)) fail_msg("message \"%s\" lacks \"%s\"", e->message, msg);
}
#define EXPECT(call, code, msg)       \
  do {                                \
    zr_error_clear(&e);               \
    assert_int_equal((call), (code)); \
    says(&e, msg);                    \
  } while (0)

static void round_trip(const zr_codec_opts *o, unsigned threads, zr_blocks_info *info) {
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  size_t n = 0;
  zr_codec_decision d;
  zr_error e;
  assert_int_equal(zr_codec_blocks_compress(data, LEN, o, NULL, s, &n, &d, &e), ZR_OK);
  const uint8_t *b;
  size_t bl;
  zr_sink_memory_data(s, &b, &bl);
  assert_int_equal(n, bl);
  assert_int_equal(zr_codec_blocks_info(b, bl, info, &e), ZR_OK);
  assert_int_equal(info->codec, d.codec);
  uint8_t *back = malloc(LEN);
  assert_int_equal(zr_codec_blocks_decompress(b, bl, threads, NULL, back, LEN, NULL, &e), ZR_OK);
  assert_memory_equal(back, data, LEN);
  EXPECT(zr_codec_blocks_decompress(b, bl, 1, NULL, back, LEN - 1, NULL, &e), ZR_ERR_LIMIT, "do not fit in");
  free(back);
  zr_sink_free(s);
}

static void test_blocks_api(void **state) {
  (void)state;
  for (size_t i = 0; i < LEN; i++) data[i] = (uint8_t)((i / 8) % 13);
  zr_error e;
  zr_codec_pool *pool = NULL;
  EXPECT(zr_codec_pool_new(2, NULL, NULL, &e), ZR_ERR_INVALID_ARG, "NULL output");
  EXPECT(zr_codec_pool_new(0, NULL, &pool, &e), ZR_ERR_RANGE, "thread count 0 is outside 1..64");
  EXPECT(zr_codec_pool_new(65, NULL, &pool, &e), ZR_ERR_RANGE, "thread count 65 is outside 1..64");
  zr_codec_pool_free(NULL);

  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_codec_opts o;
  memset(&o, 0, sizeof o);
  EXPECT(zr_codec_blocks_compress(data, LEN, &o, NULL, NULL, NULL, NULL, &e), ZR_ERR_INVALID_ARG, "NULL input or sink");
  EXPECT(zr_codec_blocks_compress(NULL, LEN, &o, NULL, s, NULL, NULL, &e), ZR_ERR_INVALID_ARG, "NULL input or sink");
  o.codec = ZR_CODEC_AUTO;
  o.policy = (zr_codec_policy)9;
  EXPECT(zr_codec_blocks_compress(data, LEN, &o, NULL, s, NULL, NULL, &e), ZR_ERR_INVALID_ARG, "unknown policy 9");
  memset(&o, 0, sizeof o);
  o.codec = ZR_CODEC_ZSTD;
  o.level = 99;
  EXPECT(zr_codec_blocks_compress(data, LEN, &o, NULL, s, NULL, NULL, &e), ZR_ERR_RANGE, "zstd level 99");
  o.level = 0;
  o.filter = 5;
  EXPECT(zr_codec_blocks_compress(data, LEN, &o, NULL, s, NULL, NULL, &e), ZR_ERR_INVALID_ARG, "unknown filter 5");
  o.filter = ZR_FILTER_SHUFFLE;
  o.typesize = 300;
  EXPECT(zr_codec_blocks_compress(data, LEN, &o, NULL, s, NULL, NULL, &e), ZR_ERR_RANGE, "typesize 300 is over 255");
  o.typesize = 4;
  o.block_size = (1u << 30) + 1;
  EXPECT(zr_codec_blocks_compress(data, LEN, &o, NULL, s, NULL, NULL, &e), ZR_ERR_RANGE, "is over 1 GiB");
  o.block_size = 1;
  o.filter = ZR_FILTER_NONE;
  o.typesize = 1;
  /* three billion one-byte blocks are refused before the input is read */
  EXPECT(zr_codec_blocks_compress(data, (size_t)3000000000u, &o, NULL, s, NULL, NULL, &e), ZR_ERR_RANGE, "too many blocks");
  assert_int_equal(zr_sink_size(s), 0);
  zr_sink_free(s);

  /* no options: stored (codec 0) */
  zr_blocks_info info;
  round_trip(NULL, 1, &info);
  assert_int_equal(info.codec, ZR_CODEC_NONE);
  /* a codec given with the automatic filter value: no filter */
  memset(&o, 0, sizeof o);
  o.codec = ZR_CODEC_LZ4;
  o.filter = -1;
  o.typesize = 8;
  round_trip(&o, 1, &info);
  assert_int_equal(info.filter, ZR_FILTER_NONE);
  /* threads without a pool: a transient pool (the count capped to the blocks and to 64) */
  o.filter = ZR_FILTER_SHUFFLE;
  o.block_size = 64 * 1024;
  o.threads = 3;
  round_trip(&o, 4, &info);
  assert_int_equal(info.nblocks, 5);
  assert_int_equal(info.filter, ZR_FILTER_SHUFFLE);
  o.threads = 100;
  o.block_size = 200 * 1024;
  round_trip(&o, 100, &info);
  assert_int_equal(info.nblocks, 2);

  /* decoder arguments */
  uint8_t out[16];
  EXPECT(zr_codec_blocks_info(NULL, 10, &info, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_codec_blocks_info(data, 10, NULL, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_codec_blocks_decompress(NULL, 10, 1, NULL, out, sizeof out, NULL, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_codec_blocks_decompress(data, 10, 1, NULL, NULL, sizeof out, NULL, &e), ZR_ERR_INVALID_ARG, "NULL argument");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_blocks_api)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
