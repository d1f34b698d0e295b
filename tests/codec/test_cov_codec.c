/* Coverage of the codec layer's edges: the registry and levels of every codec, bounds of inputs
 * too large, output buffers too small for each codec, reusable contexts switching levels, the
 * streaming decoder's argument checks and sticky errors, content sizes of hand-made frame
 * headers, windows larger than the limit, exact-size decoding of the block container's frames,
 * the Arrow and DEFLATE helpers (prefixes, hostile lengths, truncation, corruption, CRC), codec
 * selection by policy, filter and level, and the filters' names and odd type sizes. Each case
 * checks the code, the message and, for decoders, the byte offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec_internal.h"
#include "zerial/codec.h"
#include "zr_test.h"

#define N 20000
static uint8_t zeros[N], noise[N], mixed[N];

static void fill(void) {
  uint64_t s = 99;
  for (size_t i = 0; i < N; i++) {
    noise[i] = (uint8_t)zr_test_rand(&s);
    mixed[i] = (uint8_t)(i % 4 == 0 ? i / 64 : 0);
  }
}

static void says(const zr_error *e, const char *msg) {
  if (msg && !strstr(e->message, msg)) fail_msg("message \"%s\" lacks \"%s\"", e->message, msg);
}
#define EXPECT(call, code, msg)       \
  do {                                \
    zr_error_clear(&e);               \
    assert_int_equal((call), (code)); \
    says(&e, msg);                    \
  } while (0)

/* compress into a fresh malloc'd buffer of the bound */
static uint8_t *frame(int id, const void *src, size_t len, size_t *n) {
  size_t cap = zr_codec_bound(id, len);
  uint8_t *b = malloc(cap ? cap : 1);
  assert_int_equal(zr_codec_compress(id, 0, src, len, b, cap, n, NULL), ZR_OK);
  return b;
}

static void test_registry_levels_bounds(void **state) {
  (void)state;
  zr_error e;
  assert_null(zr_codec_by_name(NULL));
  assert_null(zr_codec_by_name("brotli"));
  assert_int_equal(zr_codec_by_name("ZStd")->id, ZR_CODEC_ZSTD);
  assert_null(zr_codec_info_get(ZR_CODEC_COUNT));
  assert_null(zr_codec_info_get(-1));
  int lv = 0;
  for (int id = ZR_CODEC_LZ4; id < ZR_CODEC_COUNT; id++) {
    const zr_codec_info *ci = zr_codec_info_get(id);
    assert_int_equal(zr_codec_level(id, 0, &lv, &e), ZR_OK);
    assert_int_equal(lv, ci->default_level);
    assert_int_equal(zr_codec_level(id, ci->max_level, NULL, &e), ZR_OK);
    char msg[96];
    snprintf(msg, sizeof msg, "%s level %d is outside %d..%d", ci->name, ci->max_level + 1, ci->min_level,
             ci->max_level);
    EXPECT(zr_codec_level(id, ci->max_level + 1, &lv, &e), ZR_ERR_RANGE, msg);
    int lo = ci->min_level - 1 == 0 ? -1 : ci->min_level - 1; /* 0 means the default */
    snprintf(msg, sizeof msg, "%s level %d is outside", ci->name, lo);
    EXPECT(zr_codec_level(id, lo, &lv, &e), ZR_ERR_RANGE, msg);
  }
  assert_int_equal(zr_codec_level(ZR_CODEC_NONE, 42, &lv, &e), ZR_OK); /* no levels: any is fine */
  EXPECT(zr_codec_level(9, 0, &lv, &e), ZR_ERR_INVALID_ARG, "unknown codec id 9");
  /* bounds: unknown codec and inputs whose bound does not fit a size_t are 0 */
  assert_int_equal(zr_codec_bound(9, 10), 0);
  assert_int_equal(zr_codec_bound(ZR_CODEC_NONE, 10), 10);
  for (int id = ZR_CODEC_LZ4; id < ZR_CODEC_COUNT; id++) {
    assert_int_equal(zr_codec_bound(id, SIZE_MAX - 8), 0);
    assert_true(zr_codec_bound(id, 1000) >= 1000);
  }
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  EXPECT(zr_codec_compress_sink(ZR_CODEC_ZSTD, 0, noise, SIZE_MAX - 8, s, NULL, &e), ZR_ERR_OVERFLOW, "input too large");
  EXPECT(zr_codec_compress_sink(ZR_CODEC_ZSTD, 0, noise, 10, NULL, NULL, &e), ZR_ERR_INVALID_ARG, "NULL sink");
  EXPECT(zr_codec_compress_sink(ZR_CODEC_ZSTD, 99, noise, 10, s, NULL, &e), ZR_ERR_RANGE, "zstd level 99");
  EXPECT(zr_codec_compress_sink(ZR_CODEC_ZSTD, 0, NULL, 10, s, NULL, &e), ZR_ERR_INVALID_ARG, "NULL input");
  assert_int_equal(zr_codec_compress_sink(ZR_CODEC_GZIP, 0, NULL, 0, s, NULL, &e), ZR_OK); /* empty input */
  assert_true(zr_sink_size(s) > 0);
  zr_sink_free(s);
  uint8_t out[64];
  size_t n = 0;
  EXPECT(zr_codec_compress(ZR_CODEC_LZ4, 0, noise, 10, NULL, 10, &n, &e), ZR_ERR_INVALID_ARG, "NULL output");
  EXPECT(zr_codec_compress(ZR_CODEC_LZ4, 0, noise, 10, out, 10, NULL, &e), ZR_ERR_INVALID_ARG, "NULL output");
  EXPECT(zr_codec_compress(ZR_CODEC_LZ4, 0, NULL, 10, out, 10, &n, &e), ZR_ERR_INVALID_ARG, "NULL input");
}

static void test_small_outputs(void **state) {
  (void)state;
  zr_error e;
  uint8_t out[256];
  size_t n = 0;
  /* lz4 below its bound: a compressible input still fits through the temporary buffer */
  assert_int_equal(zr_codec_compress(ZR_CODEC_LZ4, 0, zeros, N, out, sizeof out, &n, &e), ZR_OK);
  assert_true(n < sizeof out);
  uint8_t back[N];
  size_t got = 0;
  assert_int_equal(zr_codec_decompress(ZR_CODEC_LZ4, out, n, back, N, &got, &e), ZR_OK);
  assert_int_equal(got, N);
  assert_memory_equal(back, zeros, N);
  EXPECT(zr_codec_compress(ZR_CODEC_LZ4, 0, noise, N, out, sizeof out, &n, &e), ZR_ERR_NOSPACE,
         "lz4: output buffer too small (");
  EXPECT(zr_codec_compress(ZR_CODEC_ZSTD, 0, noise, N, out, sizeof out, &n, &e), ZR_ERR_NOSPACE,
         "zstd: output buffer too small");
  EXPECT(zr_codec_compress(ZR_CODEC_GZIP, 0, noise, N, out, sizeof out, &n, &e), ZR_ERR_NOSPACE,
         "gzip: output buffer too small");
  EXPECT(zr_codec_compress(ZR_CODEC_NONE, 0, noise, N, out, sizeof out, &n, &e), ZR_ERR_NOSPACE,
         "none: output buffer too small");
  /* a reusable context: lz4 below its bound, levels switching for zstd and gzip, unknown ids */
  zr__cctx c;
  zr__cctx_init(&c);
  EXPECT(zr__cctx_compress(&c, ZR_CODEC_LZ4, 1, noise, 1000, out, sizeof out, &n, &e), ZR_ERR_NOSPACE,
         "lz4: output buffer too small");
  uint8_t *big = malloc(zr_codec_bound(ZR_CODEC_GZIP, N));
  size_t sizes[2][2];
  for (int round = 0; round < 2; round++)
    for (int k = 0; k < 2; k++) {
      int id = k ? ZR_CODEC_GZIP : ZR_CODEC_ZSTD;
      int level = round ? (k ? 12 : 19) : 1;
      assert_int_equal(
          zr__cctx_compress(&c, id, level, mixed, N, big, zr_codec_bound(ZR_CODEC_GZIP, N), &sizes[round][k], &e),
          ZR_OK);
      assert_int_equal(zr_codec_decompress(id, big, sizes[round][k], back, N, &got, &e), ZR_OK);
      assert_memory_equal(back, mixed, N);
    }
  assert_int_equal(c.zstd_level, 19); /* the contexts were set up again for the new levels */
  assert_int_equal(c.deflate_level, 12);
  EXPECT(zr__cctx_compress(&c, 9, 1, mixed, 10, big, 100, &n, &e), ZR_ERR_INVALID_ARG, "unknown codec id 9");
  zr__cctx_free(&c);
  free(big);
}

static void test_dstream_edges(void **state) {
  (void)state;
  zr_error e;
  zr_codec_dstream *ds = NULL;
  EXPECT(zr_codec_dstream_new(ZR_CODEC_ZSTD, 0, NULL, NULL, &e), ZR_ERR_INVALID_ARG, "NULL output");
  EXPECT(zr_codec_dstream_new(7, 0, NULL, &ds, &e), ZR_ERR_INVALID_ARG, "unknown codec id 7");
  assert_null(ds);
  EXPECT(zr_codec_dstream_run(NULL, "x", 1, NULL, NULL, 0, NULL, &e), ZR_ERR_INVALID_ARG, "NULL stream");
  EXPECT(zr_codec_dstream_end(NULL, &e), ZR_ERR_INVALID_ARG, "NULL stream");
  assert_int_equal(zr_codec_dstream_codec(NULL), ZR_CODEC_NONE);
  assert_int_equal(zr_codec_dstream_total_out(NULL), 0);
  zr_codec_dstream_free(NULL);

  /* the stored codec copies, ends anywhere */
  uint8_t out[64];
  size_t used = 0, made = 0;
  assert_int_equal(zr_codec_dstream_new(ZR_CODEC_NONE, 0, NULL, &ds, &e), ZR_OK);
  assert_int_equal(zr_codec_dstream_run(ds, "abcdef", 6, &used, out, 4, &made, &e), ZR_OK);
  assert_int_equal(used, 4);
  assert_int_equal(made, 4);
  assert_int_equal(zr_codec_dstream_run(ds, "ef", 2, NULL, out, 64, NULL, &e), ZR_OK);
  assert_int_equal(zr_codec_dstream_total_out(ds), 6);
  assert_int_equal(zr_codec_dstream_end(ds, &e), ZR_OK);
  zr_codec_dstream_free(ds);

  /* detection: too short at the end; no magic; the error sticks */
  assert_int_equal(zr_codec_dstream_new(ZR_CODEC_DETECT, 0, NULL, &ds, &e), ZR_OK);
  assert_int_equal(zr_codec_dstream_run(ds, "\x28\xb5", 2, &used, out, 64, &made, &e), ZR_OK);
  assert_int_equal(zr_codec_dstream_codec(ds), ZR_CODEC_NONE); /* not known yet */
  EXPECT(zr_codec_dstream_end(ds, &e), ZR_ERR_TRUNCATED, "compressed input ends before its magic number");
  assert_int_equal(e.offset, 2);
  EXPECT(zr_codec_dstream_end(ds, &e), ZR_ERR_TRUNCATED, "ends before its magic number"); /* sticky */
  zr_codec_dstream_free(ds);
  assert_int_equal(zr_codec_dstream_new(ZR_CODEC_DETECT, 0, NULL, &ds, &e), ZR_OK);
  EXPECT(zr_codec_dstream_run(ds, "PK\x03\x04zip", 7, &used, out, 64, &made, &e), ZR_ERR_FORMAT,
         "no compressed frame recognised");
  assert_int_equal(zr_codec_dstream_run(ds, "more", 4, &used, out, 64, &made, NULL), ZR_ERR_FORMAT);
  EXPECT(zr_codec_dstream_run(ds, "more", 4, &used, out, 64, &made, &e), ZR_ERR_FORMAT, "no compressed frame");
  EXPECT(zr_codec_dstream_end(ds, &e), ZR_ERR_FORMAT, "no compressed frame");
  zr_codec_dstream_free(ds);

  /* zstd: a window larger than the limit allows is refused before any allocation; a damaged
   * checksum is a checksum error */
  static const uint8_t big_window[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa0, 0x01, 0x00, 0x00, 0x78};
  assert_int_equal(zr_codec_dstream_new(ZR_CODEC_ZSTD, 1000, NULL, &ds, &e), ZR_OK);
  EXPECT(zr_codec_dstream_run(ds, big_window, sizeof big_window, &used, out, 64, &made, &e), ZR_ERR_LIMIT,
         "zstd: corrupt frame at byte");
  zr_codec_dstream_free(ds);
  uint8_t *back = malloc(N);
  /* a damaged content checksum (zstd, lz4) or CRC (gzip: 6 bytes from the end) */
  static const struct {
    int codec;
    size_t from_end;
    const char *msg;
  } damaged[] = {{ZR_CODEC_ZSTD, 1, "zstd: corrupt frame at byte"},
                 {ZR_CODEC_LZ4, 1, "lz4: corrupt frame at byte"},
                 {ZR_CODEC_GZIP, 6, "gzip: corrupt data at byte"}};
  for (size_t k = 0; k < sizeof damaged / sizeof *damaged; k++) {
    size_t zn = 0;
    uint8_t *z = frame(damaged[k].codec, mixed, 1000, &zn);
    z[zn - damaged[k].from_end] ^= 0x5a;
    assert_int_equal(zr_codec_dstream_new(damaged[k].codec, 0, NULL, &ds, &e), ZR_OK);
    EXPECT(zr_codec_dstream_run(ds, z, zn, &used, back, N, &made, &e), ZR_ERR_CHECKSUM, damaged[k].msg);
    zr_codec_dstream_free(ds);
    free(z);
  }
  /* gzip: a stream of no frame at all */
  assert_int_equal(zr_codec_dstream_new(ZR_CODEC_GZIP, 0, NULL, &ds, &e), ZR_OK);
  assert_int_equal(zr_codec_dstream_run(ds, "", 0, &used, back, N, &made, &e), ZR_OK);
  EXPECT(zr_codec_dstream_end(ds, &e), ZR_ERR_TRUNCATED, "gzip: input truncated at byte 0");
  zr_codec_dstream_free(ds);
  free(back);
}

static void test_content_size_and_oneshot(void **state) {
  (void)state;
  zr_error e;
  uint64_t cs = 0;
  EXPECT(zr_codec_content_size(9, "abcd", 4, &cs, &e), ZR_ERR_INVALID_ARG, "unknown codec id 9");
  EXPECT(zr_codec_content_size(ZR_CODEC_DETECT, "ab", 2, &cs, &e), ZR_ERR_TRUNCATED, "too short");
  EXPECT(zr_codec_content_size(ZR_CODEC_DETECT, "abcdef", 6, &cs, &e), ZR_ERR_FORMAT, "no compressed frame");
  EXPECT(zr_codec_content_size(ZR_CODEC_DETECT, NULL, 6, &cs, &e), ZR_ERR_INVALID_ARG, "NULL input");
  /* zstd: no content size in the header; a header cut short; a bad descriptor */
  static const uint8_t zs_nosize[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50, 0x01, 0x00, 0x00};
  EXPECT(zr_codec_content_size(ZR_CODEC_ZSTD, zs_nosize, sizeof zs_nosize, &cs, &e), ZR_ERR_NOT_FOUND,
         "zstd: frame has no content size");
  static const uint8_t zs_cut[] = {0x28, 0xb5, 0x2f, 0xfd, 0xc0};
  EXPECT(zr_codec_content_size(ZR_CODEC_ZSTD, zs_cut, sizeof zs_cut, &cs, &e), ZR_ERR_TRUNCATED,
         "zstd: frame header truncated");
  uint8_t zs_bad[20] = {0x28, 0xb5, 0x2f, 0xfd, 0x08}; /* reserved descriptor bit set */
  EXPECT(zr_codec_content_size(ZR_CODEC_ZSTD, zs_bad, sizeof zs_bad, &cs, &e), ZR_ERR_MALFORMED,
         "zstd: bad frame header");
  /* lz4 */
  static const uint8_t lz_magic[] = {0x04, 0x22, 0x4d, 0x18};
  uint8_t lz[16];
  memcpy(lz, lz_magic, 4);
  EXPECT(zr_codec_content_size(ZR_CODEC_LZ4, lz, 6, &cs, &e), ZR_ERR_TRUNCATED, "lz4: frame header truncated");
  EXPECT(zr_codec_content_size(ZR_CODEC_LZ4, "abcdefgh", 8, &cs, &e), ZR_ERR_MALFORMED, "lz4: not an LZ4 frame");
  lz[4] = 0x00, lz[5] = 0x40, lz[6] = 0;
  EXPECT(zr_codec_content_size(ZR_CODEC_LZ4, lz, 7, &cs, &e), ZR_ERR_MALFORMED, "lz4: unsupported frame version");
  assert_int_equal(e.offset, 4);
  lz[4] = 0x40;
  EXPECT(zr_codec_content_size(ZR_CODEC_LZ4, lz, 7, &cs, &e), ZR_ERR_NOT_FOUND, "lz4: frame has no content size");
  lz[4] = 0x48;
  EXPECT(zr_codec_content_size(ZR_CODEC_LZ4, lz, 10, &cs, &e), ZR_ERR_TRUNCATED, "lz4: frame header truncated");
  size_t gn = 0;
  uint8_t *g = frame(ZR_CODEC_GZIP, mixed, 100, &gn);
  EXPECT(zr_codec_content_size(ZR_CODEC_DETECT, g, gn, &cs, &e), ZR_ERR_NOT_FOUND, "gzip: no content size");

  /* one-shot decompression */
  uint8_t out[128];
  size_t got = 0;
  EXPECT(zr_codec_decompress(ZR_CODEC_GZIP, g, gn, out, 100, NULL, &e), ZR_ERR_INVALID_ARG, "NULL output");
  EXPECT(zr_codec_decompress(ZR_CODEC_GZIP, g, gn, NULL, 100, &got, &e), ZR_ERR_INVALID_ARG, "NULL output");
  EXPECT(zr_codec_decompress(8, g, gn, out, 100, &got, &e), ZR_ERR_INVALID_ARG, "unknown codec id 8");
  EXPECT(zr_codec_decompress(ZR_CODEC_NONE, "abcdef", 6, out, 5, &got, &e), ZR_ERR_LIMIT,
         "none: 6 bytes exceed the buffer of 5");
  assert_int_equal(zr_codec_decompress(ZR_CODEC_NONE, "abcdef", 6, out, 6, &got, &e), ZR_OK);
  assert_int_equal(got, 6);
  /* no output buffer at all: fine for an empty frame, a limit otherwise */
  size_t zn = 0;
  uint8_t *z0 = frame(ZR_CODEC_ZSTD, mixed, 0, &zn);
  assert_int_equal(zr_codec_decompress(ZR_CODEC_DETECT, z0, zn, NULL, 0, &got, &e), ZR_OK);
  assert_int_equal(got, 0);
  free(z0);
  EXPECT(zr_codec_decompress(ZR_CODEC_GZIP, g, gn, NULL, 0, &got, &e), ZR_ERR_LIMIT, "gzip: output exceeds");
  assert_int_equal(zr_codec_decompress(ZR_CODEC_GZIP, g, gn, out, 100, &got, &e), ZR_OK);
  assert_memory_equal(out, mixed, 100);

  /* decompress_alloc: arguments, declared sizes over the limit, a limit beyond size_t */
  uint8_t *buf = NULL;
  EXPECT(zr_codec_decompress_alloc(ZR_CODEC_GZIP, g, gn, 0, NULL, NULL, &got, &e), ZR_ERR_INVALID_ARG, "NULL output");
  EXPECT(zr_codec_decompress_alloc(ZR_CODEC_GZIP, g, gn, 0, NULL, &buf, NULL, &e), ZR_ERR_INVALID_ARG, "NULL output");
  EXPECT(zr_codec_decompress_alloc(ZR_CODEC_DETECT, "xyzw", 4, 0, NULL, &buf, &got, &e), ZR_ERR_FORMAT, NULL);
  size_t ln = 0;
  uint8_t *l = frame(ZR_CODEC_LZ4, mixed, 5000, &ln);
  EXPECT(zr_codec_decompress_alloc(ZR_CODEC_LZ4, l, ln, 4999, NULL, &buf, &got, &e), ZR_ERR_LIMIT,
         "lz4: frame declares 5000 bytes, over the limit of 4999");
  assert_int_equal(zr_codec_decompress_alloc(ZR_CODEC_LZ4, l, ln, UINT64_MAX, NULL, &buf, &got, &e), ZR_OK);
  assert_int_equal(got, 5000);
  assert_memory_equal(buf, mixed, 5000);
  free(buf);
  free(l);
  /* a gzip member of more than 16 KiB whose size field is small: the first buffer is 4× the input */
  size_t nn = 0;
  uint8_t *gnoise = frame(ZR_CODEC_GZIP, noise, N, &nn);
  assert_true(nn > 16384);
  assert_int_equal(zr_codec_decompress_alloc(ZR_CODEC_GZIP, gnoise, nn, 0, NULL, &buf, &got, &e), ZR_OK);
  assert_int_equal(got, N);
  assert_memory_equal(buf, noise, N);
  free(buf);
  /* into a sink */
  EXPECT(zr_codec_decompress_sink(ZR_CODEC_GZIP, gnoise, nn, 0, NULL, &e), ZR_ERR_INVALID_ARG, "NULL sink");
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  EXPECT(zr_codec_decompress_sink(ZR_CODEC_GZIP, gnoise, nn, 100, s, &e), ZR_ERR_LIMIT, NULL);
  assert_int_equal(zr_sink_size(s), 0);
  zr_sink_free(s);
  /* streaming from a source */
  zr_source *src = NULL;
  assert_int_equal(zr_source_memory_new(gnoise, nn, &src, NULL), ZR_OK);
  EXPECT(zr_codec_decompress_stream(ZR_CODEC_GZIP, NULL, 0, s, &e), ZR_ERR_INVALID_ARG, "NULL source or sink");
  EXPECT(zr_codec_decompress_stream(ZR_CODEC_GZIP, src, 0, NULL, &e), ZR_ERR_INVALID_ARG, "NULL source or sink");
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  EXPECT(zr_codec_decompress_stream(11, src, 0, s, &e), ZR_ERR_INVALID_ARG, "unknown codec id 11");
  zr_sink_free(s);
  zr_source_free(src);
  free(gnoise);
  free(g);
}

typedef struct bsrc {
  const uint8_t *p;
  size_t len, pos;
  int fail_after; /* reads that succeed before an I/O error (-1: never) */
} bsrc;
static zr_status bsrc_read(void *ud, void *buf, size_t cap, size_t *got) {
  bsrc *b = ud;
  *got = 0;
  if (b->fail_after == 0) return ZR_ERR_IO;
  if (b->fail_after > 0) b->fail_after--;
  size_t n = b->len - b->pos < cap ? b->len - b->pos : cap;
  if (n > 7) n = 7; /* a few bytes at a time */
  memcpy(buf, b->p + b->pos, n);
  b->pos += n;
  *got = n;
  return ZR_OK;
}

/* Bytes after a frame are a second frame to the decoders: refused with the offset where it starts;
 * an empty input is a truncated frame; a failing source's error comes back. */
static void test_trailing_and_sources(void **state) {
  (void)state;
  zr_error e;
  uint8_t out[1100];
  size_t got = 0;
  static const int ids[] = {ZR_CODEC_ZSTD, ZR_CODEC_LZ4};
  for (int k = 0; k < 2; k++) {
    size_t fn = 0;
    uint8_t *f = frame(ids[k], mixed, 1000, &fn);
    uint8_t *t = malloc(fn + 8);
    memcpy(t, f, fn);
    memcpy(t + fn, "GARBAGE!", 8);
    EXPECT(zr_codec_decompress(ids[k], t, fn + 8, out, sizeof out, &got, &e), ZR_ERR_MALFORMED, "not a");
    assert_int_equal(e.offset, (int64_t)fn); /* where the second "frame" starts */
    uint8_t *buf = NULL;
    EXPECT(zr_codec_decompress_alloc(ids[k], t, fn + 8, 0, NULL, &buf, &got, &e), ZR_ERR_MALFORMED, "not a");
    assert_null(buf);
    /* streamed from a source a few bytes at a time: the same bytes come out */
    bsrc b = {f, fn, 0, -1};
    zr_source *src = NULL;
    assert_int_equal(zr_source_callback_new(bsrc_read, &b, &src, NULL), ZR_OK);
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(zr_codec_decompress_stream(ZR_CODEC_DETECT, src, 0, s, &e), ZR_OK);
    const uint8_t *o;
    size_t ol;
    zr_sink_memory_data(s, &o, &ol);
    assert_int_equal(ol, 1000);
    assert_memory_equal(o, mixed, 1000);
    zr_sink_free(s);
    zr_source_free(src);
    b.pos = 0;
    b.fail_after = 3;
    assert_int_equal(zr_source_callback_new(bsrc_read, &b, &src, NULL), ZR_OK);
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(zr_codec_decompress_stream(ids[k], src, 0, s, &e), ZR_ERR_IO);
    zr_sink_free(s);
    zr_source_free(src);
    free(t);
    free(f);
    EXPECT(zr_codec_decompress(ids[k], NULL, 0, out, sizeof out, &got, &e), ZR_ERR_TRUNCATED, "input truncated at byte 0");
  }
}

static void test_exact_frames(void **state) {
  (void)state;
  zr_error e;
  zr__dctx d;
  zr__dctx_init(&d);
  uint8_t out[2048];
  EXPECT(zr__dctx_decompress_exact(&d, ZR_CODEC_NONE, "abc", 3, out, 4, 100, &e), ZR_ERR_MALFORMED,
         "none: 3 bytes stored, 4 expected");
  assert_int_equal(e.offset, 100);
  assert_int_equal(zr__dctx_decompress_exact(&d, ZR_CODEC_NONE, "abcd", 4, out, 4, 100, &e), ZR_OK);
  assert_memory_equal(out, "abcd", 4);
  assert_int_equal(zr__dctx_decompress_exact(&d, ZR_CODEC_NONE, NULL, 0, out, 0, 100, &e), ZR_OK);
  EXPECT(zr__dctx_decompress_exact(&d, 6, "abc", 3, out, 3, 0, &e), ZR_ERR_INVALID_ARG, "unknown codec id 6");
  size_t zn = 0;
  uint8_t *z = frame(ZR_CODEC_ZSTD, mixed, 1000, &zn);
  EXPECT(zr__dctx_decompress_exact(&d, ZR_CODEC_ZSTD, z, zn, out, 999, 40, &e), ZR_ERR_MALFORMED,
         "zstd: frame declares 1000 bytes, 999 expected");
  assert_int_equal(zr__dctx_decompress_exact(&d, ZR_CODEC_ZSTD, z, zn, out, 1000, 40, &e), ZR_OK);
  assert_memory_equal(out, mixed, 1000);
  free(z);
  /* lz4: bytes after the frame; a frame cut short */
  size_t ln = 0;
  uint8_t *l = frame(ZR_CODEC_LZ4, mixed, 1000, &ln);
  uint8_t *l2 = malloc(ln + 7);
  memcpy(l2, l, ln);
  memcpy(l2 + ln, "TRAILER", 7);
  EXPECT(zr__dctx_decompress_exact(&d, ZR_CODEC_LZ4, l2, ln + 7, out, 1000, 8, &e), ZR_ERR_MALFORMED,
         "lz4: 1000 bytes decoded, 1000 expected");
  assert_int_equal(e.offset, 8 + (int64_t)ln);
  /* cut in the checksum: every byte was decoded, the stored frame is short (malformed); cut in
   * the middle: truncated */
  EXPECT(zr__dctx_decompress_exact(&d, ZR_CODEC_LZ4, l, ln - 3, out, 1000, 8, &e), ZR_ERR_MALFORMED,
         "lz4: frame incomplete at byte");
  EXPECT(zr__dctx_decompress_exact(&d, ZR_CODEC_LZ4, l, ln / 2, out, 1000, 8, &e), ZR_ERR_TRUNCATED,
         "lz4: frame incomplete at byte");
  assert_int_equal(e.offset, 8 + (int64_t)(ln / 2));
  assert_int_equal(zr__dctx_decompress_exact(&d, ZR_CODEC_LZ4, l, ln, out, 1000, 8, &e), ZR_OK);
  free(l);
  free(l2);
  /* gzip: fewer bytes than expected, a damaged member (offsets shifted by the base) */
  size_t gn = 0;
  uint8_t *g = frame(ZR_CODEC_GZIP, mixed, 1000, &gn);
  EXPECT(zr__dctx_decompress_exact(&d, ZR_CODEC_GZIP, g, gn, out, 1001, 8, &e), ZR_ERR_MALFORMED,
         "gzip: 1000 bytes decoded, 1001 expected");
  assert_int_equal(e.offset, 8);
  g[12] ^= 0xff;
  zr_error_clear(&e);
  zr_status st = zr__dctx_decompress_exact(&d, ZR_CODEC_GZIP, g, gn, out, 1000, 8, &e);
  assert_int_not_equal(st, ZR_OK);
  assert_true(e.offset >= 8);
  assert_int_not_equal(zr__dctx_decompress_exact(&d, ZR_CODEC_GZIP, g, gn, out, 1000, 8, NULL), ZR_OK);
  free(g);
  zr__dctx_free(&d);
}

typedef struct wsink {
  int fail;
  size_t len;
} wsink;
static zr_status wsink_write(void *ud, const void *data, size_t len, size_t *written) {
  (void)data;
  wsink *w = ud;
  *written = 0;
  if (w->fail) return ZR_ERR_IO;
  w->len += len;
  *written = len;
  return ZR_OK;
}

static void test_arrow_and_deflate(void **state) {
  (void)state;
  zr_error e;
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  size_t n = 0;
  EXPECT(zr_codec_arrow_compress(ZR_CODEC_GZIP, 0, mixed, 10, s, &n, &e), ZR_ERR_UNSUPPORTED,
         "with lz4 or zstd only, not gzip");
  EXPECT(zr_codec_arrow_compress(7, 0, mixed, 10, s, &n, &e), ZR_ERR_UNSUPPORTED, "not unknown codec");
  EXPECT(zr_codec_arrow_compress(ZR_CODEC_ZSTD, 0, mixed, 10, NULL, &n, &e), ZR_ERR_INVALID_ARG, "NULL input or sink");
  EXPECT(zr_codec_arrow_compress(ZR_CODEC_ZSTD, 0, NULL, 10, s, &n, &e), ZR_ERR_INVALID_ARG, "NULL input or sink");
  EXPECT(zr_codec_arrow_compress(ZR_CODEC_ZSTD, 40, mixed, 10, s, &n, &e), ZR_ERR_RANGE, "zstd level 40");
  /* compressible: length prefix then the frame; incompressible: -1 then the raw bytes */
  assert_int_equal(zr_codec_arrow_compress(ZR_CODEC_LZ4, 0, mixed, N, s, &n, &e), ZR_OK);
  assert_int_equal(n, zr_sink_size(s));
  assert_int_equal(zr_codec_arrow_compress(ZR_CODEC_ZSTD, 0, noise, 100, s, NULL, &e), ZR_OK);
  const uint8_t *b;
  size_t bl;
  zr_sink_memory_data(s, &b, &bl);
  assert_int_equal(bl, n + 108);
  uint64_t pfx;
  memcpy(&pfx, b, 8);
  assert_int_equal(pfx, N);
  memcpy(&pfx, b + n, 8);
  assert_int_equal(pfx, UINT64_MAX);
  assert_memory_equal(b + n + 8, noise, 100);
  /* and back */
  const uint8_t *out = NULL;
  size_t ol = 0;
  int owned = -1;
  assert_int_equal(zr_codec_arrow_decompress(ZR_CODEC_LZ4, b, n, 0, NULL, &out, &ol, &owned, &e), ZR_OK);
  assert_int_equal(owned, 1);
  assert_int_equal(ol, N);
  assert_memory_equal(out, mixed, N);
  free((void *)out);
  assert_int_equal(zr_codec_arrow_decompress(ZR_CODEC_ZSTD, b + n, 108, 0, NULL, &out, &ol, &owned, &e), ZR_OK);
  assert_int_equal(owned, 0);
  assert_ptr_equal(out, b + n + 8);
  assert_int_equal(ol, 100);
  assert_int_equal(zr_codec_arrow_decompress(ZR_CODEC_ZSTD, b, 0, 0, NULL, &out, &ol, &owned, &e), ZR_OK);
  assert_int_equal(ol, 0);
  assert_int_equal(owned, 0);
  EXPECT(zr_codec_arrow_decompress(ZR_CODEC_ZSTD, b, 7, 0, NULL, &out, &ol, &owned, &e), ZR_ERR_TRUNCATED,
         "zstd: Arrow buffer of 7 bytes lacks its length prefix");
  EXPECT(zr_codec_arrow_decompress(ZR_CODEC_GZIP, b, n, 0, NULL, &out, &ol, &owned, &e), ZR_ERR_UNSUPPORTED,
         "must be lz4 or zstd");
  EXPECT(zr_codec_arrow_decompress(ZR_CODEC_LZ4, b, n, 0, NULL, NULL, &ol, &owned, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_codec_arrow_decompress(ZR_CODEC_LZ4, b, n, 0, NULL, &out, NULL, &owned, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_codec_arrow_decompress(ZR_CODEC_LZ4, b, n, 0, NULL, &out, &ol, NULL, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_codec_arrow_decompress(ZR_CODEC_LZ4, NULL, n, 0, NULL, &out, &ol, &owned, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  uint8_t *h = malloc(n);
  memcpy(h, b, n);
  int64_t neg = -5;
  memcpy(h, &neg, 8);
  EXPECT(zr_codec_arrow_decompress(ZR_CODEC_LZ4, h, n, 0, NULL, &out, &ol, &owned, &e), ZR_ERR_MALFORMED,
         "lz4: Arrow buffer length -5 is negative");
  EXPECT(zr_codec_arrow_decompress(ZR_CODEC_LZ4, b, n, N - 1, NULL, &out, &ol, &owned, &e), ZR_ERR_LIMIT,
         "lz4: Arrow buffer declares 20000 bytes, over the limit of 19999");
  uint64_t huge = (uint64_t)n * 40000 + 65537;
  memcpy(h, &huge, 8);
  EXPECT(zr_codec_arrow_decompress(ZR_CODEC_LZ4, h, n, UINT64_MAX, NULL, &out, &ol, &owned, &e), ZR_ERR_MALFORMED,
         "lz4: Arrow buffer declares");
  memcpy(h, b, 8);
  h[n / 2] ^= 0xff;
  h[n - 1] ^= 0xff;
  zr_error_clear(&e);
  assert_int_not_equal(zr_codec_arrow_decompress(ZR_CODEC_LZ4, h, n, 0, NULL, &out, &ol, &owned, &e), ZR_OK);
  assert_true(e.offset >= 8);
  assert_null(out);
  free(h);
  zr_test_failalloc fa;
  zr_test_failalloc_init(&fa, 1);
  EXPECT(zr_codec_arrow_decompress(ZR_CODEC_LZ4, b, n, 0, &fa.a, &out, &ol, &owned, &e), ZR_ERR_NOMEM, NULL);
  assert_int_equal(fa.live, 0);
  zr_sink_free(s);
  /* a sink that fails: the error comes back */
  wsink ws = {1, 0};
  assert_int_equal(zr_sink_callback_new(wsink_write, &ws, &s, NULL), ZR_OK);
  assert_int_equal(zr_codec_arrow_compress(ZR_CODEC_LZ4, 0, mixed, N, s, &n, &e), ZR_ERR_IO);
  assert_int_equal(zr_codec_arrow_compress(ZR_CODEC_LZ4, 0, noise, 100, s, &n, &e), ZR_ERR_IO);
  assert_int_equal(zr_codec_compress_sink(ZR_CODEC_LZ4, 0, mixed, N, s, &n, &e), ZR_ERR_IO);
  assert_int_equal(zr_codec_deflate_compress(0, mixed, N, s, &n, NULL, &e), ZR_ERR_IO);
  zr_sink_free(s);

  /* raw DEFLATE */
  ws.fail = 0;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  EXPECT(zr_codec_deflate_compress(0, mixed, 10, NULL, &n, NULL, &e), ZR_ERR_INVALID_ARG, "NULL input or sink");
  EXPECT(zr_codec_deflate_compress(0, NULL, 10, s, &n, NULL, &e), ZR_ERR_INVALID_ARG, "NULL input or sink");
  EXPECT(zr_codec_deflate_compress(13, mixed, 10, s, &n, NULL, &e), ZR_ERR_RANGE, "deflate level 13 is outside 1..12");
  EXPECT(zr_codec_deflate_compress(-1, mixed, 10, s, &n, NULL, &e), ZR_ERR_RANGE, "deflate level -1");
  uint32_t crc = 0;
  assert_int_equal(zr_codec_deflate_compress(0, mixed, N, s, NULL, &crc, &e), ZR_OK);
  assert_int_equal(crc, zr_crc32(0, mixed, N));
  zr_sink_memory_data(s, &b, &bl);
  uint8_t *raw = malloc(N + 10);
  assert_int_equal(zr_codec_deflate_decompress(b, bl, raw, N, crc, &e), ZR_OK);
  assert_memory_equal(raw, mixed, N);
  EXPECT(zr_codec_deflate_decompress(NULL, bl, raw, N, crc, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_codec_deflate_decompress(b, bl, NULL, N, crc, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_codec_deflate_decompress(b, bl, raw, N - 1, crc, &e), ZR_ERR_MALFORMED,
         "deflate: data inflates past the declared 19999 bytes");
  EXPECT(zr_codec_deflate_decompress(b, bl, raw, N + 10, crc, &e), ZR_ERR_MALFORMED,
         "deflate: 20000 bytes inflated, 20010 declared");
  EXPECT(zr_codec_deflate_decompress(b, bl, raw, N, crc ^ 1, &e), ZR_ERR_CHECKSUM, "deflate: CRC-32 mismatch");
  EXPECT(zr_codec_deflate_decompress(b, bl / 2, raw, N, crc, &e), ZR_ERR_TRUNCATED, "deflate: data truncated at byte");
  assert_true(e.offset > 0 && e.offset <= (int64_t)bl / 2);
  static const uint8_t bad_block[] = {0x07, 0x00}; /* final block of the reserved type 3 */
  EXPECT(zr_codec_deflate_decompress(bad_block, sizeof bad_block, raw, N, crc, &e), ZR_ERR_MALFORMED,
         "deflate: corrupt data at byte");
  free(raw);
  zr_sink_free(s);
}

static void test_choose(void **state) {
  (void)state;
  zr_error e;
  assert_int_equal(zr_codec_policy_by_name(NULL), -1);
  assert_int_equal(zr_codec_policy_by_name("BALANCED"), ZR_POLICY_BALANCED);
  assert_int_equal(zr_codec_policy_by_name("speed"), ZR_POLICY_SPEED);
  assert_int_equal(zr_codec_policy_by_name("Size"), ZR_POLICY_SIZE);
  assert_int_equal(zr_codec_policy_by_name("smallest"), -1);
  zr_codec_decision d;
  zr_codec_opts o;
  memset(&o, 0, sizeof o);
  EXPECT(zr_codec_choose(mixed, N, &o, NULL, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_codec_choose(NULL, N, &o, &d, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  o.policy = (zr_codec_policy)5;
  EXPECT(zr_codec_choose(mixed, N, &o, &d, &e), ZR_ERR_INVALID_ARG, "unknown policy 5");
  o.policy = ZR_POLICY_BALANCED;
  o.filter = 4;
  EXPECT(zr_codec_choose(mixed, N, &o, &d, &e), ZR_ERR_INVALID_ARG, "unknown filter 4");
  /* a codec named by the caller: its level, the filter kept only for multi-byte elements */
  o.codec = ZR_CODEC_ZSTD;
  o.filter = ZR_FILTER_SHUFFLE;
  o.typesize = 4;
  assert_int_equal(zr_codec_choose(mixed, N, &o, &d, &e), ZR_OK);
  assert_int_equal(d.codec, ZR_CODEC_ZSTD);
  assert_int_equal(d.level, 3);
  assert_int_equal(d.filter, ZR_FILTER_SHUFFLE);
  assert_string_equal(d.reason, "zstd chosen by the caller");
  o.typesize = 1;
  assert_int_equal(zr_codec_choose(mixed, N, &o, &d, &e), ZR_OK);
  assert_int_equal(d.filter, ZR_FILTER_NONE);
  o.filter = -1;
  o.typesize = 4;
  assert_int_equal(zr_codec_choose(mixed, N, &o, &d, &e), ZR_OK);
  assert_int_equal(d.filter, ZR_FILTER_NONE);
  o.level = 30;
  EXPECT(zr_codec_choose(mixed, N, &o, &d, &e), ZR_ERR_RANGE, "zstd level 30");
  /* no options: codec 0, none */
  assert_int_equal(zr_codec_choose(mixed, 100, NULL, &d, &e), ZR_OK);
  assert_int_equal(d.codec, ZR_CODEC_NONE);
  assert_string_equal(d.reason, "none chosen by the caller");
  assert_int_equal(d.typesize, 1);
  /* automatic: small input stored raw */
  memset(&o, 0, sizeof o);
  o.codec = ZR_CODEC_AUTO;
  assert_int_equal(zr_codec_choose(mixed, 100, &o, &d, &e), ZR_OK);
  assert_int_equal(d.codec, ZR_CODEC_NONE);
  assert_non_null(strstr(d.reason, "below the minimum size of 4096"));
  /* a minimum size of our own */
  memset(&o, 0, sizeof o);
  o.codec = ZR_CODEC_AUTO;
  o.filter = -1;
  o.auto_min_size = 50;
  assert_int_equal(zr_codec_choose(zeros, 100, &o, &d, &e), ZR_OK);
  assert_int_not_equal(d.codec, ZR_CODEC_NONE);
  /* policies: speed is lz4 1, size zstd 9, a valid level of the caller wins, an invalid one not */
  o.auto_min_size = 0;
  o.policy = ZR_POLICY_SPEED;
  assert_int_equal(zr_codec_choose(zeros, N, &o, &d, &e), ZR_OK);
  assert_int_equal(d.codec, ZR_CODEC_LZ4);
  assert_int_equal(d.level, 1);
  assert_non_null(strstr(d.reason, "policy speed -> lz4 1"));
  o.policy = ZR_POLICY_SIZE;
  assert_int_equal(zr_codec_choose(zeros, N, &o, &d, &e), ZR_OK);
  assert_int_equal(d.codec, ZR_CODEC_ZSTD);
  assert_int_equal(d.level, 9);
  o.level = 15;
  assert_int_equal(zr_codec_choose(zeros, N, &o, &d, &e), ZR_OK);
  assert_int_equal(d.level, 15);
  o.level = 40;
  assert_int_equal(zr_codec_choose(zeros, N, &o, &d, &e), ZR_OK);
  assert_int_equal(d.level, 9);
  o.level = 0;
  /* noise is stored raw with the reason */
  o.policy = ZR_POLICY_BALANCED;
  assert_int_equal(zr_codec_choose(noise, N, &o, &d, &e), ZR_OK);
  assert_int_equal(d.codec, ZR_CODEC_NONE);
  assert_non_null(strstr(d.reason, "stored raw: lz4 sample saves"));
  /* typed data: the shuffle is tried; a filter named by the caller is kept whatever it gains */
  o.typesize = 4;
  assert_int_equal(zr_codec_choose(mixed, N, &o, &d, &e), ZR_OK);
  assert_non_null(strstr(d.reason, "byte shuffle"));
  assert_true(d.sampled_bytes == 2 * N);
  o.filter = ZR_FILTER_BITSHUFFLE;
  assert_int_equal(zr_codec_choose(mixed, N, &o, &d, &e), ZR_OK);
  assert_int_equal(d.filter, ZR_FILTER_BITSHUFFLE);
  assert_non_null(strstr(d.reason, "bit shuffle kept"));
  o.filter = ZR_FILTER_NONE;
  assert_int_equal(zr_codec_choose(mixed, N, &o, &d, &e), ZR_OK);
  assert_int_equal(d.filter, ZR_FILTER_NONE);
  assert_int_equal(d.sampled_bytes, N);
  /* a large input is sampled in four blocks */
  uint8_t *large = calloc(1, 300000);
  o.typesize = 8;
  o.filter = -1;
  assert_int_equal(zr_codec_choose(large, 300000, &o, &d, &e), ZR_OK);
  assert_int_equal(d.sampled_bytes, 2 * 4 * 65536);
  free(large);
}

static void test_filters(void **state) {
  (void)state;
  assert_int_equal(zr_filter_by_name(NULL), ZR_FILTER_NONE);
  assert_int_equal(zr_filter_by_name(""), ZR_FILTER_NONE);
  assert_int_equal(zr_filter_by_name("None"), ZR_FILTER_NONE);
  assert_int_equal(zr_filter_by_name("byte"), ZR_FILTER_SHUFFLE);
  assert_int_equal(zr_filter_by_name("SHUFFLE"), ZR_FILTER_SHUFFLE);
  assert_int_equal(zr_filter_by_name("bit"), ZR_FILTER_BITSHUFFLE);
  assert_int_equal(zr_filter_by_name("BitShuffle"), ZR_FILTER_BITSHUFFLE);
  assert_int_equal(zr_filter_by_name("delta"), -1);
  assert_null(zr_filter_name(3));
  assert_string_equal(zr_filter_name(ZR_FILTER_BITSHUFFLE), "bit");
  /* element sizes: 0 (bytes), over a kilobyte (few elements per scratch block), over 4 KiB (copied) */
  size_t sizes[] = {0, 2048, 5000};
  size_t lens[] = {N, 16 * 2048 + 100, N};
  uint8_t *a = malloc(N * 2), *b = malloc(N * 2);
  for (size_t k = 0; k < 3; k++) {
    for (int f = ZR_FILTER_NONE; f <= ZR_FILTER_BITSHUFFLE; f++) {
      memset(a, 0, N * 2);
      zr__filter_apply(f, sizes[k], mixed, a, lens[k] < N ? lens[k] : N);
      zr__filter_undo(f, sizes[k], a, b, lens[k] < N ? lens[k] : N);
      assert_memory_equal(b, mixed, lens[k] < N ? lens[k] : N);
    }
  }
  /* 2048-byte elements, 16 of them plus a tail, through the bit shuffle */
  size_t L = 16 * 2048 + 100;
  uint8_t *src = malloc(L), *t1 = malloc(L), *t2 = malloc(L);
  uint64_t s = 5;
  for (size_t i = 0; i < L; i++) src[i] = (uint8_t)(zr_test_rand(&s) & 0x0f);
  for (int simd = ZR_SIMD_SCALAR; simd <= ZR_SIMD_AVX2; simd++) {
    zr_bitshuffle((zr_simd)simd, 2048, src, t1, L);
    zr_bitunshuffle((zr_simd)simd, 2048, t1, t2, L);
    assert_memory_equal(t2, src, L);
  }
  zr__filter_apply(ZR_FILTER_NONE, 4, src, t1, 0); /* nothing to copy */
  free(src);
  free(t1);
  free(t2);
  free(a);
  free(b);
}

int main(void) {
  fill();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry_levels_bounds), cmocka_unit_test(test_small_outputs),
      cmocka_unit_test(test_dstream_edges),          cmocka_unit_test(test_content_size_and_oneshot),
      cmocka_unit_test(test_exact_frames),           cmocka_unit_test(test_arrow_and_deflate),
      cmocka_unit_test(test_choose),                 cmocka_unit_test(test_filters),
      cmocka_unit_test(test_trailing_and_sources),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
