/* Codec registry, one-shot and streaming round trips, corruption, truncation and bombs. */
#include <stdio.h>
#include <zlib.h>

#include "codec_data.h"
#include "zerial/codec.h"

static const int codecs[] = {ZR_CODEC_NONE, ZR_CODEC_LZ4, ZR_CODEC_ZSTD, ZR_CODEC_GZIP};

static void test_registry(void **state) {
  (void)state;
  for (int i = 0; i < ZR_CODEC_COUNT; i++) {
    const zr_codec_info *ci = zr_codec_info_get(i);
    assert_non_null(ci);
    assert_int_equal(ci->id, i);
    assert_ptr_equal(zr_codec_by_name(ci->name), ci);
  }
  assert_null(zr_codec_info_get(4));
  assert_null(zr_codec_info_get(-1));
  assert_null(zr_codec_by_name("brotli"));
  assert_int_equal(zr_codec_by_name("ZSTD")->id, ZR_CODEC_ZSTD);
  int lv = 0;
  zr_error e;
  assert_int_equal(zr_codec_level(ZR_CODEC_ZSTD, 0, &lv, &e), ZR_OK);
  assert_int_equal(lv, 3);
  assert_int_equal(zr_codec_level(ZR_CODEC_LZ4, 13, &lv, &e), ZR_ERR_RANGE);
  assert_int_equal(zr_codec_level(9, 1, &lv, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_filter_by_name("bit"), ZR_FILTER_BITSHUFFLE);
  assert_int_equal(zr_filter_by_name("byte"), ZR_FILTER_SHUFFLE);
  assert_int_equal(zr_filter_by_name("none"), ZR_FILTER_NONE);
  assert_int_equal(zr_filter_by_name("x"), -1);
}

static void test_detect(void **state) {
  (void)state;
  uint8_t in[100] = {1, 2, 3};
  for (int c = 1; c < 4; c++) {
    uint8_t out[512];
    size_t n = 0;
    assert_int_equal(zr_codec_compress(c, 0, in, sizeof in, out, sizeof out, &n, NULL), ZR_OK);
    assert_int_equal(zr_codec_detect(out, n), c);
  }
  assert_int_equal(zr_codec_detect("PK\3\4", 4), ZR_CODEC_NONE);
  assert_int_equal(zr_codec_detect("\x1f", 1), ZR_CODEC_NONE);
  assert_int_equal(zr_codec_detect(NULL, 0), ZR_CODEC_NONE);
}

/* Every codec × every level × every shape: one-shot, alloc, sink, detect, stream. */
static void test_roundtrip_levels(void **state) {
  (void)state;
  for (int ci = 0; ci < 4; ci++) {
    int c = codecs[ci];
    const zr_codec_info *info = zr_codec_info_get(c);
    for (int lv = info->min_level; lv <= info->max_level; lv++) {
      for (int sh = 0; sh < SHAPE_COUNT; sh++) {
        size_t len;
        uint8_t *in = make_shape(sh, 3000 + (size_t)sh * 1000, &len);
        size_t bound = zr_codec_bound(c, len);
        assert_true(bound >= len);
        uint8_t *z = malloc(bound);
        size_t zn = 0;
        zr_error e;
        if (zr_codec_compress(c, lv, in, len, z, bound, &zn, &e) != ZR_OK) fail_msg("%s", e.message);
        uint8_t *back = malloc(len + 1);
        size_t bn = 0;
        int did = c == ZR_CODEC_NONE ? ZR_CODEC_NONE : ZR_CODEC_DETECT;
        if (c == ZR_CODEC_NONE || len) {
          if (zr_codec_decompress(did, z, zn, back, len + 1, &bn, &e) != ZR_OK)
            fail_msg("%s level %d shape %s: %s", info->name, lv, shape_names[sh], e.message);
          assert_int_equal(bn, len);
          assert_memory_equal(back, in, len);
        }
        uint8_t *al = NULL;
        size_t an = 0;
        assert_int_equal(zr_codec_decompress_alloc(c, z, zn, 0, NULL, &al, &an, &e), ZR_OK);
        assert_int_equal(an, len);
        if (len) assert_memory_equal(al, in, len);
        zr_free(al);
        free(back);
        free(z);
        free(in);
      }
    }
  }
}

static void test_sink_and_stream(void **state) {
  (void)state;
  size_t len;
  uint8_t *in = make_shape(SHAPE_TEXT, 300000, &len);
  for (int c = 1; c < 4; c++) {
    zr_sink *s = NULL;
    zr_error e;
    assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
    assert_int_equal(zr_sink_write(s, "hdr", 3, &e), ZR_OK);
    size_t zn = 0;
    assert_int_equal(zr_codec_compress_sink(c, 0, in, len, s, &zn, &e), ZR_OK);
    const uint8_t *zd;
    size_t total;
    assert_int_equal(zr_sink_memory_data(s, &zd, &total), ZR_OK);
    assert_int_equal(total, zn + 3);
    zd += 3;
    /* streaming with tiny buffers, detecting the codec */
    zr_codec_dstream *ds = NULL;
    assert_int_equal(zr_codec_dstream_new(ZR_CODEC_DETECT, 0, NULL, &ds, &e), ZR_OK);
    uint8_t *out = malloc(len);
    size_t ipos = 0, opos = 0;
    for (int it = 0; it < 10000000; it++) {
      size_t give = zn - ipos < 3 ? zn - ipos : 3;
      size_t room = len - opos < 1000 ? len - opos : 1000;
      size_t u = 0, m = 0;
      assert_int_equal(zr_codec_dstream_run(ds, zd + ipos, give, &u, out + opos, room, &m, &e), ZR_OK);
      ipos += u;
      opos += m;
      if (ipos == zn && u == 0 && m == 0) break;
    }
    assert_int_equal(zr_codec_dstream_codec(ds), c);
    assert_int_equal(zr_codec_dstream_end(ds, &e), ZR_OK);
    assert_int_equal(opos, len);
    assert_memory_equal(out, in, len);
    zr_codec_dstream_free(ds);
    /* source → sink */
    zr_source *src = NULL;
    zr_sink *o = NULL;
    assert_int_equal(zr_source_memory_new(zd, zn, &src, &e), ZR_OK);
    assert_int_equal(zr_sink_memory_new(NULL, &o, &e), ZR_OK);
    assert_int_equal(zr_codec_decompress_stream(ZR_CODEC_DETECT, src, 0, o, &e), ZR_OK);
    const uint8_t *od;
    size_t on;
    assert_int_equal(zr_sink_memory_data(o, &od, &on), ZR_OK);
    assert_int_equal(on, len);
    assert_memory_equal(od, in, len);
    zr_sink_free(o);
    zr_source_free(src);
    /* decompress_sink */
    assert_int_equal(zr_sink_memory_new(NULL, &o, &e), ZR_OK);
    assert_int_equal(zr_codec_decompress_sink(c, zd, zn, 0, o, &e), ZR_OK);
    assert_int_equal(zr_sink_size(o), len);
    zr_sink_free(o);
    free(out);
    zr_sink_free(s);
  }
  free(in);
}

/* Concatenated frames decode as one stream; trailing garbage is an error. */
static void test_concat(void **state) {
  (void)state;
  const char *a = "hello hello hello ", *b = "world world world";
  for (int c = 1; c < 4; c++) {
    uint8_t z[1024];
    size_t n1 = 0, n2 = 0;
    assert_int_equal(zr_codec_compress(c, 0, a, strlen(a), z, 512, &n1, NULL), ZR_OK);
    assert_int_equal(zr_codec_compress(c, 0, b, strlen(b), z + n1, 512, &n2, NULL), ZR_OK);
    uint8_t out[100];
    size_t on = 0;
    zr_error e;
    assert_int_equal(zr_codec_decompress(c, z, n1 + n2, out, sizeof out, &on, &e), ZR_OK);
    assert_int_equal(on, strlen(a) + strlen(b));
    assert_memory_equal(out + strlen(a), b, strlen(b));
    memcpy(z + n1 + n2, "junkjunk", 8);
    assert_int_not_equal(zr_codec_decompress(c, z, n1 + n2 + 8, out, sizeof out, &on, &e), ZR_OK);
    assert_non_null(strstr(e.message, zr_codec_info_get(c)->name));
  }
}

/* Every single-bit flip of small frames is detected (or decodes to the identical bytes, for
 * fields no checksum covers such as gzip's MTIME); truncations all fail. */
static void test_bitflips_truncations(void **state) {
  (void)state;
  size_t len;
  uint8_t *in = make_shape(SHAPE_TEXT, 400, &len);
  for (int c = 1; c < 4; c++) {
    uint8_t z[1024], bad[1024], out[1024];
    size_t zn = 0, on = 0;
    assert_int_equal(zr_codec_compress(c, 0, in, len, z, sizeof z, &zn, NULL), ZR_OK);
    unsigned detected = 0, benign = 0;
    for (size_t bit = 0; bit < zn * 8; bit++) {
      memcpy(bad, z, zn);
      bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      zr_error e;
      zr_error_clear(&e);
      zr_status st = zr_codec_decompress(c, bad, zn, out, sizeof out, &on, &e);
      if (st == ZR_OK) {
        if (on != len || memcmp(out, in, len) != 0)
          fail_msg("%s: flip of bit %zu gave different output without an error", zr_codec_info_get(c)->name, bit);
        benign++;
      } else {
        detected++;
        assert_non_null(strstr(e.message, zr_codec_info_get(c)->name));
        assert_true(e.offset >= -1 && e.offset <= (int64_t)zn);
      }
      /* alloc path too */
      uint8_t *al = NULL;
      size_t an = 0;
      st = zr_codec_decompress_alloc(c, bad, zn, 1 << 20, NULL, &al, &an, &e);
      if (st == ZR_OK) {
        assert_int_equal(an, len);
        assert_memory_equal(al, in, len);
        zr_free(al);
      }
    }
    print_message("%s: %zu-byte frame, %u flips detected, %u benign (header fields)\n", zr_codec_info_get(c)->name,
                  zn, detected, benign);
    assert_true(detected > zn * 8 * 9 / 10);
    for (size_t cut = 0; cut < zn; cut++) {
      zr_error e;
      assert_int_not_equal(zr_codec_decompress(c, z, cut, out, sizeof out, &on, &e), ZR_OK);
      uint8_t *al = NULL;
      size_t an = 0;
      assert_int_not_equal(zr_codec_decompress_alloc(c, z, cut, 0, NULL, &al, &an, &e), ZR_OK);
      assert_null(al);
    }
  }
  free(in);
}

/* A gzip stream written by zlib (no content size) and frames declaring their size: limits hold. */
static void test_bomb(void **state) {
  (void)state;
  size_t big = 16u << 20;
  uint8_t *zeros = calloc(1, big);
  for (int c = 1; c < 4; c++) {
    size_t bound = zr_codec_bound(c, big);
    uint8_t *z = malloc(bound);
    size_t zn = 0;
    assert_int_equal(zr_codec_compress(c, 1, zeros, big, z, bound, &zn, NULL), ZR_OK);
    assert_true(zn < big / 100);
    uint8_t *out = NULL;
    size_t on = 0;
    zr_error e;
    assert_int_equal(zr_codec_decompress_alloc(c, z, zn, 1u << 20, NULL, &out, &on, &e), ZR_ERR_LIMIT);
    assert_null(out);
    /* streaming: stops at the limit */
    zr_codec_dstream *ds = NULL;
    assert_int_equal(zr_codec_dstream_new(c, 1u << 20, NULL, &ds, &e), ZR_OK);
    uint8_t *buf = malloc(1u << 16);
    size_t ipos = 0;
    zr_status st = ZR_OK;
    uint64_t total = 0;
    while (st == ZR_OK) {
      size_t u = 0, m = 0;
      st = zr_codec_dstream_run(ds, z + ipos, zn - ipos, &u, buf, 1u << 16, &m, &e);
      ipos += u;
      total += m;
      if (u == 0 && m == 0) break;
    }
    assert_int_equal(st, ZR_ERR_LIMIT);
    assert_true(total <= (1u << 20) + 1);
    zr_codec_dstream_free(ds);
    free(buf);
    /* caller buffer too small */
    uint8_t small[1000];
    assert_int_equal(zr_codec_decompress(c, z, zn, small, sizeof small, &on, &e), ZR_ERR_LIMIT);
    free(z);
  }
  /* zlib-made gzip: no size field anywhere but the trailer */
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  assert_int_equal(deflateInit2(&zs, 1, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  size_t cap = deflateBound(&zs, big);
  uint8_t *z = malloc(cap);
  zs.next_in = zeros;
  zs.avail_in = (uInt)big;
  zs.next_out = z;
  zs.avail_out = (uInt)cap;
  assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
  size_t zn = zs.total_out;
  deflateEnd(&zs);
  z[zn - 1] ^= 0x10; /* lie in ISIZE */
  uint8_t *out = NULL;
  size_t on = 0;
  zr_error e;
  assert_int_equal(zr_codec_decompress_alloc(ZR_CODEC_GZIP, z, zn, 1u << 20, NULL, &out, &on, &e), ZR_ERR_LIMIT);
  assert_int_not_equal(zr_codec_decompress_alloc(ZR_CODEC_GZIP, z, zn, 0, NULL, &out, &on, &e), ZR_OK);
  assert_int_equal(e.code, ZR_ERR_CHECKSUM);
  free(z);
  free(zeros);
}

static void test_errors(void **state) {
  (void)state;
  zr_error e;
  uint8_t out[16];
  size_t on;
  assert_int_equal(zr_codec_decompress(ZR_CODEC_DETECT, "hello world", 11, out, 16, &on, &e), ZR_ERR_FORMAT);
  assert_int_equal(zr_codec_decompress(ZR_CODEC_ZSTD, "hello world", 11, out, 16, &on, &e), ZR_ERR_MALFORMED);
  assert_non_null(strstr(e.message, "zstd"));
  assert_int_equal(zr_codec_decompress(ZR_CODEC_LZ4, "hello world", 11, out, 16, &on, &e), ZR_ERR_MALFORMED);
  assert_non_null(strstr(e.message, "lz4"));
  assert_int_equal(zr_codec_decompress(ZR_CODEC_GZIP, "hello world", 11, out, 16, &on, &e), ZR_ERR_MALFORMED);
  assert_non_null(strstr(e.message, "gzip"));
  assert_int_equal(zr_codec_compress(7, 0, "x", 1, out, 16, &on, &e), ZR_ERR_INVALID_ARG);
  uint8_t z[64];
  assert_int_equal(zr_codec_compress(ZR_CODEC_ZSTD, 0, "abc", 3, z, 5, &on, &e), ZR_ERR_NOSPACE);
  assert_int_equal(zr_codec_compress(ZR_CODEC_LZ4, 0, "abc", 3, z, 5, &on, &e), ZR_ERR_NOSPACE);
  assert_int_equal(zr_codec_compress(ZR_CODEC_GZIP, 0, "abc", 3, z, 5, &on, &e), ZR_ERR_NOSPACE);
  /* a dstream that never saw a frame */
  zr_codec_dstream *ds = NULL;
  assert_int_equal(zr_codec_dstream_new(ZR_CODEC_DETECT, 0, NULL, &ds, &e), ZR_OK);
  assert_int_equal(zr_codec_dstream_run(ds, "\x28\xb5", 2, NULL, out, 16, NULL, &e), ZR_OK);
  assert_int_equal(zr_codec_dstream_end(ds, &e), ZR_ERR_TRUNCATED);
  zr_codec_dstream_free(ds);
  uint64_t cs = 0;
  assert_int_equal(zr_codec_compress(ZR_CODEC_LZ4, 0, "abcdef", 6, z, sizeof z, &on, &e), ZR_OK);
  assert_int_equal(zr_codec_content_size(ZR_CODEC_DETECT, z, on, &cs, &e), ZR_OK);
  assert_int_equal(cs, 6);
  assert_int_equal(zr_codec_compress(ZR_CODEC_GZIP, 0, "abcdef", 6, z, sizeof z, &on, &e), ZR_OK);
  assert_int_equal(zr_codec_content_size(ZR_CODEC_DETECT, z, on, &cs, &e), ZR_ERR_NOT_FOUND);
}

/* Allocation failures in the alloc path are clean. */
static void test_failalloc(void **state) {
  (void)state;
  size_t len;
  uint8_t *in = make_shape(SHAPE_TEXT, 5000, &len);
  for (int c = 1; c < 4; c++) {
    uint8_t z[8192];
    size_t zn;
    assert_int_equal(zr_codec_compress(c, 0, in, len, z, sizeof z, &zn, NULL), ZR_OK);
    for (uint64_t k = 1; k < 20; k++) {
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, k);
      uint8_t *out = NULL;
      size_t on;
      zr_status st = zr_codec_decompress_alloc(c, z, zn, 0, &fa.a, &out, &on, NULL);
      if (st == ZR_OK) {
        assert_int_equal(on, len);
        fa.a.free_fn(fa.a.ud, out);
      } else {
        assert_int_equal(st, ZR_ERR_NOMEM);
      }
      assert_int_equal(fa.live, 0);
    }
  }
  free(in);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registry),        cmocka_unit_test(test_detect),
      cmocka_unit_test(test_roundtrip_levels), cmocka_unit_test(test_sink_and_stream),
      cmocka_unit_test(test_concat),          cmocka_unit_test(test_bitflips_truncations),
      cmocka_unit_test(test_bomb),            cmocka_unit_test(test_errors),
      cmocka_unit_test(test_failalloc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
