/* Block container: codec × level × filter × shape round trips, corruption, automatic selection,
 * Arrow and npz helpers. */
#include <zlib.h>

#include "codec_data.h"
#include "zerial/codec.h"

static uint64_t ld64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static uint8_t *container(const uint8_t *in, size_t len, const zr_codec_opts *o, size_t *zn, zr_codec_decision *d) {
  zr_sink *s = NULL;
  zr_error e;
  assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
  if (zr_codec_blocks_compress(in, len, o, NULL, s, zn, d, &e) != ZR_OK) fail_msg("%s", e.message);
  uint8_t *out = NULL;
  size_t n = 0;
  assert_int_equal(zr_sink_memory_take(s, &out, &n, &e), ZR_OK);
  assert_int_equal(n, *zn);
  zr_sink_free(s);
  return out;
}

static void test_roundtrip(void **state) {
  (void)state;
  /* every filter × typesize × shape at the default level; the extreme levels on typed data */
  static const unsigned types[] = {1, 8, 3, 4};
  for (int c = 0; c < ZR_CODEC_COUNT; c++) {
    const zr_codec_info *ci = zr_codec_info_get(c);
    int levels[3] = {ci->default_level, ci->min_level, c == ZR_CODEC_ZSTD ? 12 : ci->max_level};
    for (int li = 0; li < 3; li++) {
      for (int f = 0; f < 3; f++) {
        for (size_t ti = 0; ti < sizeof types / sizeof *types; ti++) {
          if (li > 0 && ti != 1) continue;
          for (int sh = 0; sh < SHAPE_COUNT; sh++) {
            if (li > 0 && sh != SHAPE_WALK && sh != SHAPE_ODD) continue;
            size_t len;
            uint8_t *in = make_shape(sh, 20000, &len);
            zr_codec_opts o;
            memset(&o, 0, sizeof o);
            o.codec = c;
            o.level = levels[li];
            o.filter = f;
            o.typesize = types[ti];
            o.block_size = 4096;
            o.threads = sh == SHAPE_WALK ? 2 : 1;
            size_t zn = 0;
            uint8_t *z = container(in, len, &o, &zn, NULL);
            zr_blocks_info info;
            zr_error e;
            assert_int_equal(zr_codec_blocks_info(z, zn, &info, &e), ZR_OK);
            assert_int_equal(info.raw_len, len);
            assert_int_equal(info.stored_len, zn);
            assert_int_equal(info.codec, c);
            uint8_t *back = malloc(len + 1);
            size_t bn = 0;
            if (zr_codec_blocks_decompress(z, zn, sh == SHAPE_TEXT ? 2 : 1, NULL, back, len, &bn, &e) != ZR_OK)
              fail_msg("%s level %d filter %d type %u shape %s: %s", ci->name, levels[li], f, types[ti],
                       shape_names[sh], e.message);
            assert_int_equal(bn, len);
            if (len) assert_memory_equal(back, in, len);
            if (len) assert_int_equal(zr_codec_blocks_decompress(z, zn, 1, NULL, back, len - 1, &bn, &e), ZR_ERR_LIMIT);
            free(back);
            free(z);
            free(in);
          }
        }
      }
    }
  }
}

/* Shuffle helps typed data: the container with the filter is smaller than without. */
static void test_filter_gain(void **state) {
  (void)state;
  size_t len;
  uint8_t *in = make_shape(SHAPE_TIMES, 1 << 18, &len);
  zr_codec_opts o;
  memset(&o, 0, sizeof o);
  o.codec = ZR_CODEC_LZ4;
  o.typesize = 8;
  size_t plain = 0, shuf = 0, bit = 0;
  free(container(in, len, &o, &plain, NULL));
  o.filter = ZR_FILTER_SHUFFLE;
  free(container(in, len, &o, &shuf, NULL));
  o.filter = ZR_FILTER_BITSHUFFLE;
  free(container(in, len, &o, &bit, NULL));
  print_message("timestamps lz4: plain %zu, byte shuffle %zu, bit shuffle %zu of %zu\n", plain, shuf, bit, len);
  assert_true(shuf < plain);
  assert_true(bit < plain);
  free(in);
}

/* Every bit flip of a small container is detected; every truncation too. */
static void test_corruption(void **state) {
  (void)state;
  size_t len;
  uint8_t *in = make_shape(SHAPE_TIMES, 3000, &len);
  uint64_t seed = 3;
  for (size_t i = 2048; i < len; i++) in[i] = (uint8_t)zr_test_rand(&seed); /* a raw block at the end */
  for (int c = 1; c < ZR_CODEC_COUNT; c++) {
    zr_codec_opts o;
    memset(&o, 0, sizeof o);
    o.codec = c;
    o.filter = ZR_FILTER_SHUFFLE;
    o.typesize = 8;
    o.block_size = 1024;
    size_t zn = 0;
    uint8_t *z = container(in, len, &o, &zn, NULL);
    zr_blocks_info info;
    assert_int_equal(zr_codec_blocks_info(z, zn, &info, NULL), ZR_OK);
    assert_true(info.raw_blocks >= 1);
    uint8_t *bad = malloc(zn), *out = malloc(len);
    unsigned benign = 0;
    for (size_t bit = 0; bit < zn * 8; bit++) {
      memcpy(bad, z, zn);
      bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      size_t on = 0;
      zr_error e;
      zr_status st = zr_codec_blocks_decompress(bad, zn, 1, NULL, out, len, &on, &e);
      if (st == ZR_OK) {
        if (memcmp(out, in, len) != 0) fail_msg("%s: bit %zu flipped undetected", zr_codec_info_get(c)->name, bit);
        benign++;
      }
    }
    print_message("%s container: %zu bytes, %u benign flips (codec header fields)\n", zr_codec_info_get(c)->name, zn,
                  benign);
    for (size_t cut = 0; cut < zn; cut++) {
      size_t on = 0;
      assert_int_not_equal(zr_codec_blocks_decompress(z, cut, 1, NULL, out, len, &on, NULL), ZR_OK);
    }
    free(bad);
    free(out);
    free(z);
  }
  free(in);
}

/* Version 2 (LZ4 block format, split streams) for LZ4; version 1 for the other codecs; a version-1
 * LZ4 container (one LZ4 frame per block, as written before version 2) still reads. */
static void test_versions(void **state) {
  (void)state;
  size_t len;
  uint8_t *in = make_shape(SHAPE_TIMES, 4000, &len);
  for (int c = 1; c < ZR_CODEC_COUNT; c++) {
    zr_codec_opts o;
    memset(&o, 0, sizeof o);
    o.codec = c;
    o.filter = ZR_FILTER_SHUFFLE;
    o.typesize = 8;
    size_t zn = 0;
    uint8_t *z = container(in, len, &o, &zn, NULL);
    zr_blocks_info info;
    assert_int_equal(zr_codec_blocks_info(z, zn, &info, NULL), ZR_OK);
    assert_int_equal(info.version, c == ZR_CODEC_LZ4 ? 2 : 1);
    assert_int_equal(info.flags, c == ZR_CODEC_LZ4 ? 1 : 0);
    assert_int_equal(z[4], info.version);
    free(z);
  }
  /* hand-built version 1: header, one entry, one LZ4 frame of the shuffled bytes */
  uint8_t *sh = malloc(len);
  zr_shuffle(ZR_SIMD_AUTO, 8, in, sh, len);
  size_t cap = zr_codec_bound(ZR_CODEC_LZ4, len);
  uint8_t *v1 = calloc(1, ZR_BLOCKS_HEADER_SIZE + 8 + cap);
  size_t fn = 0;
  assert_int_equal(zr_codec_compress(ZR_CODEC_LZ4, 1, sh, len, v1 + ZR_BLOCKS_HEADER_SIZE + 8, cap, &fn, NULL), ZR_OK);
  memcpy(v1, "ZRCB", 4);
  v1[4] = 1;
  v1[5] = ZR_CODEC_LZ4;
  v1[6] = ZR_FILTER_SHUFFLE;
  v1[7] = 8;
  uint32_t bs = 1u << 20, nb = 1, fn32 = (uint32_t)fn, zero = 0;
  uint64_t raw = len;
  memcpy(v1 + 8, &bs, 4);
  memcpy(v1 + 12, &nb, 4);
  memcpy(v1 + 16, &raw, 8);
  v1[24] = 1;
  memcpy(v1 + ZR_BLOCKS_HEADER_SIZE, &fn32, 4);
  memcpy(v1 + ZR_BLOCKS_HEADER_SIZE + 4, &zero, 4);
  uint32_t hc = (uint32_t)zr_xxh3_64(v1 + ZR_BLOCKS_HEADER_SIZE, 8, zr_xxh3_64(v1, 28, 0));
  memcpy(v1 + 28, &hc, 4);
  size_t vn = ZR_BLOCKS_HEADER_SIZE + 8 + fn, bn = 0;
  uint8_t *back = malloc(len);
  zr_error e;
  if (zr_codec_blocks_decompress(v1, vn, 1, NULL, back, len, &bn, &e) != ZR_OK) fail_msg("%s", e.message);
  assert_int_equal(bn, len);
  assert_memory_equal(back, in, len);
  /* version 1 must not carry the version-2 flag */
  v1[25] = 1;
  assert_int_not_equal(zr_codec_blocks_decompress(v1, vn, 1, NULL, back, len, &bn, NULL), ZR_OK);
  free(back);
  free(v1);
  free(sh);
  free(in);
}

/* LZ4 streams of at least 16 KiB are probed before compression: a byte row of random bits is stored
 * as is, a nearly random one and compressible ones are compressed; the stored payload's check is the
 * low 32 bits of XXH3-64 of the payload however it was hashed while writing; repeats farther apart
 * than the probes' slices are still found. */
static void test_lz4_probe(void **state) {
  (void)state;
  const size_t n = 32768, len = n * 8; /* one 256 KiB block: 8 rows of 32 KiB */
  uint8_t *in = malloc(len);
  uint64_t seed = 11, t = 1000;
  for (size_t i = 0; i < n; i++) {
    uint64_t r = zr_test_rand(&seed);
    t += 1000 + r % 1000; /* rows 1-2: nearly random; rows 3-7: slow */
    uint64_t v = (t << 8) | (r >> 56); /* row 0: random */
    memcpy(in + 8 * i, &v, 8);
  }
  for (unsigned threads = 1; threads <= 2; threads++) {
    zr_codec_opts o;
    memset(&o, 0, sizeof o);
    o.codec = ZR_CODEC_LZ4;
    o.filter = ZR_FILTER_SHUFFLE;
    o.typesize = 8;
    o.threads = threads;
    size_t zn = 0;
    uint8_t *z = container(in, len, &o, &zn, NULL);
    zr_blocks_info info;
    assert_int_equal(zr_codec_blocks_info(z, zn, &info, NULL), ZR_OK);
    assert_int_equal(info.nblocks, 1);
    assert_int_equal(info.raw_blocks, 0);
    const uint8_t *blk = z + ZR_BLOCKS_HEADER_SIZE + 8;
    uint32_t stored, check;
    memcpy(&stored, z + ZR_BLOCKS_HEADER_SIZE, 4);
    memcpy(&check, z + ZR_BLOCKS_HEADER_SIZE + 4, 4);
    assert_int_equal(check, (uint32_t)zr_xxh3_64(blk, stored, 0));
    size_t pos = 0, sizes[8];
    for (int k = 0; k < 8; k++) {
      uint32_t s;
      memcpy(&s, blk + pos, 4);
      sizes[k] = s;
      pos += 4 + s;
    }
    assert_int_equal(pos, stored);
    print_message("lz4 streams:");
    for (int k = 0; k < 8; k++) print_message(" %zu", sizes[k]);
    print_message(" of %zu\n", n);
    assert_int_equal(sizes[0], n);  /* random: stored as is */
    for (int k = 1; k < 4; k++) assert_true(sizes[k] <= n); /* nearly random: compressed when that helps */
    for (int k = 4; k < 8; k++) assert_true(sizes[k] < n / 8);
    uint8_t *back = malloc(len);
    size_t bn = 0;
    zr_error e;
    if (zr_codec_blocks_decompress(z, zn, threads, NULL, back, len, &bn, &e) != ZR_OK) fail_msg("%s", e.message);
    assert_memory_equal(back, in, len);
    free(back);
    free(z);
  }
  /* repeats farther apart than the probes' slices: an 8 KiB random pattern repeated still compresses */
  for (size_t i = 0; i < len; i++) in[i] = i < 8192 ? (uint8_t)zr_test_rand(&seed) : in[i - 8192];
  zr_codec_opts o;
  memset(&o, 0, sizeof o);
  o.codec = ZR_CODEC_LZ4;
  size_t zn = 0;
  uint8_t *z = container(in, len, &o, &zn, NULL);
  print_message("8 KiB pattern repeated: %zu of %zu bytes\n", zn, len);
  assert_true(zn < len / 16);
  uint8_t *back = malloc(len);
  size_t bn = 0;
  assert_int_equal(zr_codec_blocks_decompress(z, zn, 1, NULL, back, len, &bn, NULL), ZR_OK);
  assert_memory_equal(back, in, len);
  free(back);
  free(z);
  free(in);
}

static void test_auto(void **state) {
  (void)state;
  zr_codec_opts o;
  memset(&o, 0, sizeof o);
  o.codec = ZR_CODEC_AUTO;
  o.filter = -1;
  o.typesize = 8;
  zr_codec_decision d;
  zr_error e;
  size_t len;
  /* small: raw */
  uint8_t *in = make_shape(SHAPE_TIMES, 1000, &len);
  assert_int_equal(zr_codec_choose(in, len, &o, &d, &e), ZR_OK);
  assert_int_equal(d.codec, ZR_CODEC_NONE);
  assert_non_null(strstr(d.reason, "minimum size"));
  free(in);
  /* random: raw */
  in = make_shape(SHAPE_RANDOM, 1 << 20, &len);
  assert_int_equal(zr_codec_choose(in, len, &o, &d, &e), ZR_OK);
  assert_int_equal(d.codec, ZR_CODEC_NONE);
  assert_true(d.sampled_bytes <= 512 * 1024);
  print_message("random: %s\n", d.reason);
  free(in);
  /* timestamps: compressed, with the shuffle; policy decides the codec */
  in = make_shape(SHAPE_TIMES, 1 << 20, &len);
  assert_int_equal(zr_codec_choose(in, len, &o, &d, &e), ZR_OK);
  print_message("timestamps: %s (%llu ns)\n", d.reason, (unsigned long long)d.elapsed_ns);
  assert_int_equal(d.codec, ZR_CODEC_ZSTD);
  assert_int_equal(d.filter, ZR_FILTER_SHUFFLE);
  assert_true(d.est_ratio > d.est_ratio_plain);
  o.policy = ZR_POLICY_SPEED;
  assert_int_equal(zr_codec_choose(in, len, &o, &d, &e), ZR_OK);
  assert_int_equal(d.codec, ZR_CODEC_LZ4);
  o.policy = ZR_POLICY_SIZE;
  assert_int_equal(zr_codec_choose(in, len, &o, &d, &e), ZR_OK);
  assert_int_equal(d.codec, ZR_CODEC_ZSTD);
  assert_true(d.level > 3);
  /* through the container */
  size_t zn = 0;
  uint8_t *z = container(in, len, &o, &zn, &d);
  assert_int_equal(d.codec, ZR_CODEC_ZSTD);
  zr_blocks_info info;
  assert_int_equal(zr_codec_blocks_info(z, zn, &info, &e), ZR_OK);
  assert_int_equal(info.codec, ZR_CODEC_ZSTD);
  assert_int_equal(info.filter, ZR_FILTER_SHUFFLE);
  free(z);
  /* minimum gain so high that nothing qualifies */
  o.auto_min_gain = 0.99;
  assert_int_equal(zr_codec_choose(in, len, &o, &d, &e), ZR_OK);
  assert_int_equal(d.codec, ZR_CODEC_NONE);
  free(in);
  assert_int_equal(zr_codec_policy_by_name("speed"), ZR_POLICY_SPEED);
  assert_int_equal(zr_codec_policy_by_name("fast"), -1);
}

static void test_arrow(void **state) {
  (void)state;
  size_t len;
  uint8_t *in = make_shape(SHAPE_TIMES, 10000, &len);
  for (int c = 1; c <= 2; c++) {
    zr_sink *s = NULL;
    zr_error e;
    assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
    size_t n = 0;
    assert_int_equal(zr_codec_arrow_compress(c, 0, in, len, s, &n, &e), ZR_OK);
    const uint8_t *d;
    size_t dn;
    assert_int_equal(zr_sink_memory_data(s, &d, &dn), ZR_OK);
    assert_int_equal((int64_t)ld64(d), (int64_t)len);
    const uint8_t *out;
    size_t on;
    int owned;
    assert_int_equal(zr_codec_arrow_decompress(c, d, dn, 0, NULL, &out, &on, &owned, &e), ZR_OK);
    assert_int_equal(owned, 1);
    assert_int_equal(on, len);
    assert_memory_equal(out, in, len);
    zr_free((void *)out);
    /* corrupt */
    uint8_t *bad = malloc(dn);
    memcpy(bad, d, dn);
    bad[dn - 2] ^= 1;
    assert_int_not_equal(zr_codec_arrow_decompress(c, bad, dn, 0, NULL, &out, &on, &owned, &e), ZR_OK);
    memcpy(bad, d, dn);
    bad[0] ^= 1; /* wrong declared length */
    assert_int_not_equal(zr_codec_arrow_decompress(c, bad, dn, 0, NULL, &out, &on, &owned, &e), ZR_OK);
    free(bad);
    zr_sink_free(s);
    /* incompressible → -1 and raw, returned as a view */
    uint8_t rnd[64];
    uint64_t seed = 9;
    for (int i = 0; i < 64; i++) rnd[i] = (uint8_t)zr_test_rand(&seed);
    assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
    assert_int_equal(zr_codec_arrow_compress(c, 0, rnd, 64, s, &n, &e), ZR_OK);
    assert_int_equal(n, 72);
    assert_int_equal(zr_sink_memory_data(s, &d, &dn), ZR_OK);
    assert_int_equal(zr_codec_arrow_decompress(c, d, dn, 0, NULL, &out, &on, &owned, &e), ZR_OK);
    assert_int_equal(owned, 0);
    assert_ptr_equal(out, d + 8);
    assert_int_equal(on, 64);
    zr_sink_free(s);
  }
  zr_sink *s = NULL;
  size_t n;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_codec_arrow_compress(ZR_CODEC_GZIP, 0, in, len, s, &n, NULL), ZR_ERR_UNSUPPORTED);
  zr_sink_free(s);
  free(in);
}

static void test_deflate(void **state) {
  (void)state;
  size_t len;
  uint8_t *in = make_shape(SHAPE_TEXT, 50000, &len);
  zr_sink *s = NULL;
  zr_error e;
  assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
  size_t n = 0;
  uint32_t crc = 0;
  assert_int_equal(zr_codec_deflate_compress(0, in, len, s, &n, &crc, &e), ZR_OK);
  assert_int_equal(crc, (uint32_t)crc32(0, in, (uInt)len));
  const uint8_t *d;
  size_t dn;
  assert_int_equal(zr_sink_memory_data(s, &d, &dn), ZR_OK);
  /* zlib agrees it is raw deflate */
  uint8_t *out = malloc(len);
  z_stream z;
  memset(&z, 0, sizeof z);
  assert_int_equal(inflateInit2(&z, -15), Z_OK);
  z.next_in = (Bytef *)(uintptr_t)d;
  z.avail_in = (uInt)dn;
  z.next_out = out;
  z.avail_out = (uInt)len;
  assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
  inflateEnd(&z);
  assert_memory_equal(out, in, len);
  memset(out, 0, len);
  assert_int_equal(zr_codec_deflate_decompress(d, dn, out, len, crc, &e), ZR_OK);
  assert_memory_equal(out, in, len);
  assert_int_equal(zr_codec_deflate_decompress(d, dn, out, len, crc ^ 1, &e), ZR_ERR_CHECKSUM);
  assert_int_not_equal(zr_codec_deflate_decompress(d, dn / 2, out, len, crc, &e), ZR_OK);
  assert_int_not_equal(zr_codec_deflate_decompress(d, dn, out, len - 1, crc, &e), ZR_OK);
  free(out);
  zr_sink_free(s);
  free(in);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_filter_gain), cmocka_unit_test(test_corruption),
      cmocka_unit_test(test_versions),  cmocka_unit_test(test_auto),      cmocka_unit_test(test_arrow),       cmocka_unit_test(test_deflate),
      cmocka_unit_test(test_lz4_probe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
