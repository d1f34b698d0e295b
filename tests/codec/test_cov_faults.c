/* Fault sweeps over the codec layer: block containers (every codec, filters, automatic choice,
 * a worker pool), compression into sinks and Arrow/DEFLATE helpers, decompression into sinks and
 * streaming decompression from sources — with the n-th allocation failing, sinks failing their
 * n-th write and sources failing their n-th read. Each failure is the injected status with a
 * message and leaves no block live; the run that succeeds gives the original bytes back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/codec.h"
#include "core/internal.h"
#include "zr_test.h"

#define RAW (96 * 1024)
static uint8_t raw[RAW];

static void fill(void) {
  uint64_t s = 7;
  for (size_t i = 0; i < RAW / 4; i++) {
    uint32_t v = (uint32_t)(i / 3) + (uint32_t)(zr_test_rand(&s) & 3); /* compressible, shuffle helps */
    memcpy(raw + 4 * i, &v, 4);
  }
}

typedef struct fsink {
  unsigned calls, fail_at;
  uint8_t *buf;
  size_t len, cap;
} fsink;

static zr_status fsink_write(void *ud, const void *data, size_t len, size_t *written) {
  fsink *f = ud;
  f->calls++;
  *written = 0;
  if (f->fail_at && f->calls == f->fail_at) return ZR_ERR_IO;
  if (f->len + len > f->cap) {
    f->cap = (f->len + len) * 2;
    f->buf = realloc(f->buf, f->cap);
  }
  memcpy(f->buf + f->len, data, len);
  f->len += len;
  *written = len;
  return ZR_OK;
}

static zr_status blocks_roundtrip(const zr_codec_opts *o, zr_codec_pool *pool, zr_sink *sink, zr_error *err) {
  size_t clen = 0;
  zr_codec_decision dec;
  ZR_TRY(zr_codec_blocks_compress(raw, RAW, o, pool, sink, &clen, &dec, err));
  return ZR_OK;
}

static void check_blocks(const uint8_t *c, size_t n) {
  zr_blocks_info info;
  assert_int_equal(zr_codec_blocks_info(c, n, &info, NULL), ZR_OK);
  uint8_t *back = malloc(RAW);
  size_t got = 0;
  assert_int_equal(zr_codec_blocks_decompress(c, n, 2, NULL, back, RAW, &got, NULL), ZR_OK);
  assert_int_equal(got, RAW);
  assert_memory_equal(back, raw, RAW);
  free(back);
}

static void test_blocks_failalloc(void **state) {
  (void)state;
  static const struct { int codec, filter, threads; } cases[] = {
      {ZR_CODEC_LZ4, ZR_FILTER_SHUFFLE, 0}, {ZR_CODEC_ZSTD, ZR_FILTER_BITSHUFFLE, 0}, {ZR_CODEC_GZIP, 0, 0},
      {ZR_CODEC_AUTO, -1, 0},               {ZR_CODEC_NONE, ZR_FILTER_SHUFFLE, 0},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    for (uint64_t n = 1;; n++) {
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, n);
      zr_codec_opts o;
      memset(&o, 0, sizeof o);
      o.codec = cases[k].codec;
      o.filter = cases[k].filter;
      o.typesize = 4;
      o.block_size = 16 * 1024;
      o.alloc = &fa.a;
      o.threads = cases[k].threads;
      zr_sink *sink = NULL;
      zr_error e;
      zr_error_clear(&e);
      zr_status st = zr_sink_memory_new(&fa.a, &sink, &e);
      if (st == ZR_OK) st = blocks_roundtrip(&o, NULL, sink, &e);
      if (st == ZR_OK) {
        const uint8_t *c;
        size_t cn;
        zr_sink_memory_data(sink, &c, &cn);
        check_blocks(c, cn);
      }
      zr_sink_free(sink);
      assert_int_equal(fa.live, 0);
      if (st == ZR_OK) {
        if (fa.calls >= n) continue; /* survived (a buffer not shrunk) */
        break;
      }
      if (st != ZR_ERR_NOMEM) fail_msg("blocks case %zu alloc %llu: %s (%s)", k, (unsigned long long)n, zr_strerror(st), e.message);
      assert_true(e.message[0] != '\0');
      assert_true(n < 10000);
    }
  }
  /* a pool created under a failing allocator */
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_codec_pool *pool = NULL;
    zr_error e;
    zr_status st = zr_codec_pool_new(2, &fa.a, &pool, &e);
    if (st == ZR_OK) {
      zr_sink *sink = NULL;
      assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
      zr_codec_opts o;
      memset(&o, 0, sizeof o);
      o.codec = ZR_CODEC_ZSTD;
      o.block_size = 16 * 1024;
      assert_int_equal(blocks_roundtrip(&o, pool, sink, &e), ZR_OK);
      zr_sink_free(sink);
      zr_codec_pool_free(pool);
      assert_int_equal(fa.live, 0);
      break;
    }
    assert_int_equal(st, ZR_ERR_NOMEM);
    assert_int_equal(fa.live, 0);
    assert_true(n < 100);
  }
}

static void test_sinks_fail(void **state) {
  (void)state;
  for (int id = ZR_CODEC_NONE; id < ZR_CODEC_COUNT; id++) {
    /* compression into a sink failing its n-th write */
    for (unsigned n = 1;; n++) {
      fsink f;
      memset(&f, 0, sizeof f);
      f.fail_at = n;
      zr_sink *s = NULL;
      assert_int_equal(zr_sink_callback_new(fsink_write, &f, &s, NULL), ZR_OK);
      zr_error e;
      zr_error_clear(&e);
      size_t clen = 0;
      zr_codec_opts o;
      memset(&o, 0, sizeof o);
      o.codec = id;
      o.block_size = 8192;
      zr_status st = zr_codec_compress_sink(id, 0, raw, RAW, s, &clen, &e);
      if (st == ZR_OK) st = zr_codec_blocks_compress(raw, RAW, &o, NULL, s, &clen, NULL, &e);
      if (st == ZR_OK) st = zr_sink_flush(s, &e);
      zr_sink_free(s);
      free(f.buf);
      if (st == ZR_OK) {
        assert_true(f.calls < n);
        break;
      }
      assert_int_equal(st, ZR_ERR_IO);
      assert_string_equal(e.message, "sink callback failed: input/output error");
      assert_true(n < 100000);
    }
    if (id == ZR_CODEC_NONE) continue;
    /* decompression into a failing sink and from a failing source */
    size_t cap = zr_codec_bound(id, RAW), clen = 0;
    uint8_t *c = malloc(cap);
    assert_int_equal(zr_codec_compress(id, 0, raw, RAW, c, cap, &clen, NULL), ZR_OK);
    for (unsigned n = 1;; n++) {
      fsink f;
      memset(&f, 0, sizeof f);
      f.fail_at = n;
      zr_sink *s = NULL;
      assert_int_equal(zr_sink_callback_new(fsink_write, &f, &s, NULL), ZR_OK);
      zr_error e;
      zr_error_clear(&e);
      zr_source *src = NULL;
      assert_int_equal(zr_source_memory_new(c, clen, &src, NULL), ZR_OK);
      zr_status st = zr_codec_decompress_stream(id, src, 0, s, &e);
      if (st == ZR_OK) st = zr_codec_decompress_sink(id, c, clen, 0, s, &e);
      if (st == ZR_OK) st = zr_sink_flush(s, &e);
      zr_source_free(src);
      zr_sink_free(s);
      if (st == ZR_OK) {
        assert_int_equal(f.len, 2 * RAW);
        assert_memory_equal(f.buf, raw, RAW);
        free(f.buf);
        break;
      }
      free(f.buf);
      assert_int_equal(st, ZR_ERR_IO);
      assert_true(n < 100000);
    }
    free(c);
  }
}

typedef struct fsource {
  const uint8_t *data;
  size_t len, pos;
  unsigned calls, fail_at;
} fsource;

static zr_status fsource_read(void *ud, void *buf, size_t cap, size_t *got) {
  fsource *f = ud;
  f->calls++;
  *got = 0;
  if (f->fail_at && f->calls == f->fail_at) return ZR_ERR_IO;
  size_t n = f->len - f->pos;
  if (n > cap) n = cap;
  if (n > 1000) n = 1000;
  memcpy(buf, f->data + f->pos, n);
  f->pos += n;
  *got = n;
  return ZR_OK;
}

static void test_sources_fail(void **state) {
  (void)state;
  for (int id = ZR_CODEC_LZ4; id < ZR_CODEC_COUNT; id++) {
    size_t cap = zr_codec_bound(id, RAW), clen = 0;
    uint8_t *c = malloc(cap);
    assert_int_equal(zr_codec_compress(id, 0, raw, RAW, c, cap, &clen, NULL), ZR_OK);
    for (unsigned n = 1;; n++) {
      fsource fs = {c, clen, 0, 0, n};
      zr_source *src = NULL;
      assert_int_equal(zr_source_callback_new(fsource_read, &fs, &src, NULL), ZR_OK);
      zr_sink *s = NULL;
      assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
      zr_error e;
      zr_error_clear(&e);
      zr_status st = zr_codec_decompress_stream(id, src, 0, s, &e);
      const uint8_t *b;
      size_t bl = 0;
      zr_sink_memory_data(s, &b, &bl);
      if (st == ZR_OK) {
        assert_true(fs.calls < n);
        assert_int_equal(bl, RAW);
        assert_memory_equal(b, raw, RAW);
      }
      zr_sink_free(s);
      zr_source_free(src);
      if (st == ZR_OK) break;
      assert_int_equal(st, ZR_ERR_IO);
      assert_true(e.message[0] != '\0');
      assert_true(n < 100000);
    }
    /* every truncation is an error, never a short success */
    for (size_t cut = 0; cut < clen; cut += clen / 37 + 1) {
      uint8_t *out = NULL;
      size_t on = 0;
      zr_error e;
      zr_status st = zr_codec_decompress_alloc(id, c, cut, 0, NULL, &out, &on, &e);
      assert_int_not_equal(st, ZR_OK);
      assert_true(st == ZR_ERR_TRUNCATED || st == ZR_ERR_MALFORMED || st == ZR_ERR_CODEC || st == ZR_ERR_FORMAT ||
                  st == ZR_ERR_CHECKSUM);
      assert_true(e.message[0] != '\0');
    }
    free(c);
  }
}

static void test_arrow_deflate_failalloc(void **state) {
  (void)state;
  for (int id = ZR_CODEC_LZ4; id <= ZR_CODEC_ZSTD; id++) {
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    size_t clen = 0;
    assert_int_equal(zr_codec_arrow_compress(id, 0, raw, RAW, s, &clen, NULL), ZR_OK);
    const uint8_t *c;
    size_t cn;
    zr_sink_memory_data(s, &c, &cn);
    for (uint64_t n = 1;; n++) {
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, n);
      const uint8_t *out = NULL;
      size_t on = 0;
      int owned = 0;
      zr_error e;
      zr_error_clear(&e);
      zr_status st = zr_codec_arrow_decompress(id, c, cn, 0, &fa.a, &out, &on, &owned, &e);
      if (st == ZR_OK) {
        assert_int_equal(on, RAW);
        assert_memory_equal(out, raw, RAW);
        if (owned) fa.a.free_fn(fa.a.ud, (void *)out);
        assert_int_equal(fa.live, 0);
        break;
      }
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_int_equal(fa.live, 0);
      assert_true(n < 1000);
    }
    zr_sink_free(s);
  }
  /* DEFLATE helpers into a failing sink */
  for (unsigned n = 1;; n++) {
    fsink f;
    memset(&f, 0, sizeof f);
    f.fail_at = n;
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_callback_new(fsink_write, &f, &s, NULL), ZR_OK);
    size_t clen = 0;
    uint32_t crc = 0;
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_codec_deflate_compress(6, raw, RAW, s, &clen, &crc, &e);
    if (st == ZR_OK) st = zr_sink_flush(s, &e);
    zr_sink_free(s);
    if (st == ZR_OK) {
      uint8_t *back = malloc(RAW);
      assert_int_equal(zr_codec_deflate_decompress(f.buf, f.len, back, RAW, crc, NULL), ZR_OK);
      assert_memory_equal(back, raw, RAW);
      assert_int_equal(zr_codec_deflate_decompress(f.buf, f.len, back, RAW, crc ^ 1, &e), ZR_ERR_CHECKSUM);
      free(back);
      free(f.buf);
      break;
    }
    free(f.buf);
    assert_int_equal(st, ZR_ERR_IO);
    assert_true(n < 10000);
  }
}

int main(void) {
  fill();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_blocks_failalloc),
      cmocka_unit_test(test_sinks_fail),
      cmocka_unit_test(test_sources_fail),
      cmocka_unit_test(test_arrow_deflate_failalloc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
