/* Fuzz target: compress -> decompress gives the input back, for every codec, filter and typesize
 * the first bytes select (one frame, the block container, the Arrow body helper), and the shuffle
 * kernels (scalar, SSE2, AVX2) invert each other. Any mismatch aborts (a finding). */
#include <stdlib.h>
#include <string.h>

#include "zerial/codec.h"
#include "zerial/zerial.h"

static void expect(int ok) {
  if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  int codec = data[0] % ZR_CODEC_COUNT;
  int filter = (data[1] & 3) % 3;
  unsigned typesize = 1u + (data[1] >> 2) % 20;
  uint32_t block_size = 64u << (data[2] % 12); /* 64 B .. 128 KiB */
  int level_pick = data[3] & 3;
  unsigned accel = 1u + (data[3] >> 2) % 8;
  const uint8_t *in = data + 4;
  size_t len = size - 4;
  const zr_codec_info *ci = zr_codec_info_get(codec);
  int level = level_pick == 0 ? 0 : level_pick == 1 ? ci->min_level : ci->default_level;
  if (codec == ZR_CODEC_GZIP || level_pick == 3) level = ci->min_level; /* keep each run fast */
  uint8_t *back = malloc(len + 1);
  size_t bn = 0;

  /* one frame */
  size_t cap = zr_codec_bound(codec, len);
  uint8_t *z = malloc(cap + 1);
  size_t zn = 0;
  expect(zr_codec_compress(codec, level, in, len, z, cap, &zn, NULL) == ZR_OK);
  if (codec != ZR_CODEC_NONE) {
    expect(zr_codec_decompress(codec, z, zn, back, len, &bn, NULL) == ZR_OK);
    expect(bn == len && memcmp(back, in, len) == 0);
  }
  free(z);

  /* block container */
  zr_codec_opts o;
  memset(&o, 0, sizeof o);
  o.codec = codec;
  o.level = level;
  o.filter = filter;
  o.typesize = typesize;
  o.block_size = block_size;
  o.acceleration = accel;
  zr_sink *s = NULL;
  expect(zr_sink_memory_new(NULL, &s, NULL) == ZR_OK);
  expect(zr_codec_blocks_compress(in, len, &o, NULL, s, &zn, NULL, NULL) == ZR_OK);
  uint8_t *c = NULL;
  size_t cn = 0;
  expect(zr_sink_memory_take(s, &c, &cn, NULL) == ZR_OK);
  zr_sink_free(s);
  zr_blocks_info info;
  expect(zr_codec_blocks_info(c, cn, &info, NULL) == ZR_OK && info.raw_len == len && info.stored_len == cn);
  expect(zr_codec_blocks_decompress(c, cn, 1, NULL, back, len, &bn, NULL) == ZR_OK);
  expect(bn == len && memcmp(back, in, len) == 0);
  zr_free(c);

  /* Arrow body buffer */
  if (codec == ZR_CODEC_LZ4 || codec == ZR_CODEC_ZSTD) {
    expect(zr_sink_memory_new(NULL, &s, NULL) == ZR_OK);
    expect(zr_codec_arrow_compress(codec, level, in, len, s, &zn, NULL) == ZR_OK);
    expect(zr_sink_memory_take(s, &c, &cn, NULL) == ZR_OK);
    zr_sink_free(s);
    const uint8_t *out = NULL;
    size_t on = 0;
    int owned = 0;
    expect(zr_codec_arrow_decompress(codec, c, cn, 0, NULL, &out, &on, &owned, NULL) == ZR_OK);
    expect(on == len && (len == 0 || memcmp(out, in, len) == 0));
    if (owned) zr_free((void *)out);
    zr_free(c);
  }

  /* shuffle kernels */
  uint8_t *sh = malloc(len + 1);
  for (int simd = ZR_SIMD_SCALAR; simd <= ZR_SIMD_AVX2; simd++) {
    zr_shuffle((zr_simd)simd, typesize, in, sh, len);
    zr_unshuffle((zr_simd)(ZR_SIMD_AVX2 - simd), typesize, sh, back, len);
    expect(len == 0 || memcmp(back, in, len) == 0);
    zr_bitshuffle((zr_simd)simd, typesize, in, sh, len);
    zr_bitunshuffle((zr_simd)(ZR_SIMD_AVX2 - simd), typesize, sh, back, len);
    expect(len == 0 || memcmp(back, in, len) == 0);
  }
  free(sh);
  free(back);
  return 0;
}
