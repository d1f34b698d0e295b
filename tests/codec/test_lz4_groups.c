/* LZ4 block container, byte-shuffled: probe decisions shared by a group of blocks.
 *
 * Full blocks are taken in groups of 8; the first block of a group is probed row by row and its
 * decisions are reused for the rest of the group, except that a row the first block found
 * incompressible is probed again in every block. Asserted here: a row that is random in a group's
 * first block and compressible in the next blocks still compresses there; a row that turns random
 * is stored raw; the output does not depend on the thread count (a worker that starts inside a
 * group recomputes the first block's decisions from its unfiltered bytes); everything round-trips. */
#include "codec_data.h"
#include "zerial/codec.h"

#define T 8u
#define BS (128u << 10) /* 8 rows of 16 KiB: the smallest rows that are probed */
#define ROW (BS / T)
#define NBLOCKS 24u

static uint8_t *compress_threads(const uint8_t *in, size_t len, unsigned threads, size_t *zn) {
  zr_codec_opts o;
  memset(&o, 0, sizeof o);
  o.codec = ZR_CODEC_LZ4;
  o.filter = ZR_FILTER_SHUFFLE;
  o.typesize = T;
  o.block_size = BS;
  o.threads = threads;
  zr_sink *s = NULL;
  zr_error e;
  assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
  if (zr_codec_blocks_compress(in, len, &o, NULL, s, zn, NULL, &e) != ZR_OK) fail_msg("%s", e.message);
  uint8_t *out = NULL;
  size_t n = 0;
  assert_int_equal(zr_sink_memory_take(s, &out, &n, &e), ZR_OK);
  assert_int_equal(n, *zn);
  zr_sink_free(s);
  return out;
}

static uint32_t ld32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* Stored size of stream k of every block (blocks must be compressed, not stored raw). */
static void stream_sizes(const uint8_t *z, size_t zn, uint32_t sizes[NBLOCKS][T]) {
  zr_blocks_info info;
  assert_int_equal(zr_codec_blocks_info(z, zn, &info, NULL), ZR_OK);
  assert_int_equal(info.nblocks, NBLOCKS);
  assert_int_equal(info.raw_blocks, 0);
  size_t off = ZR_BLOCKS_HEADER_SIZE + 8 * (size_t)NBLOCKS;
  for (unsigned b = 0; b < NBLOCKS; b++) {
    uint32_t stored = ld32(z + ZR_BLOCKS_HEADER_SIZE + 8 * (size_t)b);
    size_t pos = 0;
    for (unsigned k = 0; k < T; k++) {
      sizes[b][k] = ld32(z + off + pos);
      pos += 4 + sizes[b][k];
    }
    assert_int_equal(pos, stored);
    off += stored;
  }
}

static void test_groups(void **state) {
  (void)state;
  const size_t n = (size_t)NBLOCKS * ROW, len = n * T;
  uint8_t *in = malloc(len);
  uint64_t seed = 7;
  static const char *words[] = {"alpha ", "beta ", "gamma ", "delta ", "epsilon ", "zeta ", "eta ", "theta "};
  const char *w = "";
  for (size_t i = 0; i < n; i++) {
    unsigned b = (unsigned)(i / ROW);
    uint64_t r = zr_test_rand(&seed);
    uint8_t *e = in + T * i;
    /* row 0: random in block 0 only (first of group 0), then words (LZ4 at acceleration 512 finds
     * next to nothing in them: a row scanned on the first block's word would stay uncompressed) */
    if (!*w) w = words[r >> 61];
    e[0] = b == 0 ? (uint8_t)r : (uint8_t)*w++;
    /* row 1: a slow counter, random in blocks 9..15 (group 1 after its first block) */
    e[1] = b >= 9 && b < 16 ? (uint8_t)(r >> 8) : (uint8_t)(i >> 12);
    /* row 2: nearly random (a counter's low byte with jitter) */
    e[2] = (uint8_t)(i * 67 + (r >> 62));
    for (unsigned k = 3; k < T; k++) e[k] = (uint8_t)(k * 3 + b);
  }
  size_t zn1 = 0;
  uint8_t *z1 = compress_threads(in, len, 1, &zn1);
  uint32_t sizes[NBLOCKS][T];
  stream_sizes(z1, zn1, sizes);
  assert_int_equal(sizes[0][0], ROW); /* random: stored as is */
  for (unsigned b = 1; b < NBLOCKS; b++) assert_true(sizes[b][0] < ROW / 2); /* probed again, compressed */
  for (unsigned b = 0; b < NBLOCKS; b++) {
    if (b >= 9 && b < 16) assert_int_equal(sizes[b][1], ROW); /* turned random: stored as is */
    else assert_true(sizes[b][1] < ROW / 16);
    assert_true(sizes[b][2] <= ROW);
    for (unsigned k = 3; k < T; k++) assert_true(sizes[b][k] < ROW / 64);
  }
  uint8_t *back = malloc(len);
  for (unsigned threads = 1; threads <= 4; threads++) {
    size_t zn = 0;
    uint8_t *z = threads == 1 ? z1 : compress_threads(in, len, threads, &zn);
    if (threads > 1) {
      assert_int_equal(zn, zn1); /* same decisions whichever worker probes a group's first block */
      assert_memory_equal(z, z1, zn1);
    }
    size_t bn = 0;
    zr_error e;
    memset(back, 0, len);
    if (zr_codec_blocks_decompress(z, zn1, threads, NULL, back, len, &bn, &e) != ZR_OK) fail_msg("%s", e.message);
    assert_int_equal(bn, len);
    assert_memory_equal(back, in, len);
    if (z != z1) free(z);
  }
  /* a short last block (probed on its own) and a stream count other than 8 still round-trip */
  for (unsigned ts = 2; ts <= 16; ts *= 2) {
    zr_codec_opts o;
    memset(&o, 0, sizeof o);
    o.codec = ZR_CODEC_LZ4;
    o.filter = ZR_FILTER_SHUFFLE;
    o.typesize = ts;
    o.block_size = 16u * ts * 1024u;
    o.threads = ts == 4 ? 3 : 1;
    size_t part = len - 4096 * ts - 8 * ts; /* last block shorter than the others */
    zr_sink *s = NULL;
    zr_error e;
    size_t zn = 0, bn = 0;
    assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
    if (zr_codec_blocks_compress(in, part, &o, NULL, s, &zn, NULL, &e) != ZR_OK) fail_msg("%s", e.message);
    const uint8_t *z = NULL;
    assert_int_equal(zr_sink_memory_data(s, &z, &zn), ZR_OK);
    memset(back, 0, len);
    if (zr_codec_blocks_decompress(z, zn, 1, NULL, back, part, &bn, &e) != ZR_OK) fail_msg("%s", e.message);
    assert_memory_equal(back, in, part);
    zr_sink_free(s);
  }
  /* blocks too small for a probe are still compressed */
  {
    zr_codec_opts o;
    memset(&o, 0, sizeof o);
    o.codec = ZR_CODEC_LZ4;
    o.filter = ZR_FILTER_SHUFFLE;
    o.typesize = T;
    o.block_size = 256;
    size_t zn = 0, bn = 0;
    uint8_t *z = NULL;
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(zr_codec_blocks_compress(in + ROW * T, 16384, &o, NULL, s, &zn, NULL, NULL), ZR_OK);
    assert_int_equal(zr_sink_memory_take(s, &z, &zn, NULL), ZR_OK);
    zr_sink_free(s);
    zr_blocks_info info;
    assert_int_equal(zr_codec_blocks_info(z, zn, &info, NULL), ZR_OK);
    assert_int_equal(info.nblocks, 64);
    assert_int_equal(info.raw_blocks, 0);
    assert_int_equal(zr_codec_blocks_decompress(z, zn, 1, NULL, back, 16384, &bn, NULL), ZR_OK);
    assert_memory_equal(back, in + ROW * T, 16384);
    free(z);
  }
  free(back);
  free(z1);
  free(in);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_groups)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
