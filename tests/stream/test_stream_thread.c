/* Threaded chunk compression (run under TSan by make test-tsan): order, round trip, backpressure
 * with workers, freeing a writer with chunks still queued. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_test_util.h"
#include "zerial/codec.h"

static void roundtrip(int codec, unsigned threads, uint64_t n) {
  zr_error err;
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, &err), ZR_OK);
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.codec = codec;
  o.threads = threads;
  o.chunk_bytes = 8192;
  o.max_inflight = 4;
  zr_stream_writer *w;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &err), ZR_OK);
  assert_int_equal(st_write_range(w, 0, n / 2, &err), ZR_OK);
  assert_int_equal(zr_stream_writer_flush(w, &err), ZR_OK);
  assert_int_equal(st_write_range(w, n / 2, n, &err), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &err), ZR_OK);
  zr_stream_stats s;
  zr_stream_writer_stats(w, &s);
  assert_int_equal(s.records, n);
  assert_true(s.peak_inflight <= 4);
  zr_stream_writer_free(w);
  st_expect_sink(sink, n);
  zr_sink_free(sink);
}

static void test_threads(void **state) {
  (void)state;
  roundtrip(ZR_CODEC_LZ4, 1, 3000);
  roundtrip(ZR_CODEC_LZ4, 4, 6000);
  roundtrip(ZR_CODEC_ZSTD, 3, 6000);
  roundtrip(ZR_CODEC_GZIP, 2, 2000);
}

/* same bytes whatever the thread count */
static void test_deterministic(void **state) {
  (void)state;
  uint8_t *first = NULL;
  size_t first_len = 0;
  for (unsigned threads = 0; threads <= 3; threads++) {
    zr_error err;
    zr_sink *sink;
    zr_sink_memory_new(NULL, &sink, &err);
    zr_stream_opts o;
    zr_stream_opts_init(&o);
    o.codec = ZR_CODEC_ZSTD;
    o.threads = threads;
    o.chunk_bytes = 4096;
    zr_stream_writer *w;
    assert_int_equal(zr_stream_writer_new(sink, &o, &w, &err), ZR_OK);
    assert_int_equal(st_write_range(w, 0, 2500, &err), ZR_OK);
    assert_int_equal(zr_stream_writer_finish(w, &err), ZR_OK);
    zr_stream_writer_free(w);
    uint8_t *p;
    size_t len;
    zr_sink_memory_take(sink, &p, &len, &err);
    if (!first) {
      first = p;
      first_len = len;
    } else {
      assert_int_equal(len, first_len);
      assert_memory_equal(p, first, len);
      zr_free(p);
    }
    zr_sink_free(sink);
  }
  zr_free(first);
}

typedef struct {
  zr_sink *mem;
  size_t left;
} gate;

static zr_status gate_write(void *ud, const void *data, size_t len, size_t *written) {
  gate *g = ud;
  size_t n = len < g->left ? len : g->left;
  g->left -= n;
  *written = n;
  if (n) zr_sink_write(g->mem, data, n, NULL);
  return n < len ? ZR_WOULD_BLOCK : ZR_OK;
}

static void test_backpressure_threads(void **state) {
  (void)state;
  zr_error err;
  gate g = {NULL, 0};
  zr_sink_memory_new(NULL, &g.mem, &err);
  zr_sink *sink;
  zr_sink_callback_new(gate_write, &g, &sink, &err);
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.codec = ZR_CODEC_LZ4;
  o.threads = 3;
  o.chunk_bytes = 2048;
  o.max_inflight = 5;
  zr_stream_writer *w;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &err), ZR_OK);
  uint64_t i = 0, blocked = 0;
  while (i < 5000) {
    zr_doc *d = zr_doc_new(NULL);
    zr_value v = st_record(d, i);
    zr_status st = zr_stream_writer_write_value(w, &v, &err);
    zr_doc_free(d);
    if (st == ZR_WOULD_BLOCK) {
      blocked++;
      g.left += 5000;
      continue;
    }
    assert_int_equal(st, ZR_OK);
    i++;
  }
  zr_status st;
  while ((st = zr_stream_writer_finish(w, &err)) == ZR_WOULD_BLOCK) g.left += 5000;
  assert_int_equal(st, ZR_OK);
  assert_true(blocked > 0);
  zr_stream_stats s;
  zr_stream_writer_stats(w, &s);
  assert_true(s.peak_inflight <= 5);
  zr_stream_writer_free(w);
  st_expect_sink(g.mem, 5000);
  zr_sink_free(sink);
  zr_sink_free(g.mem);
}

/* free while chunks are queued and compressing: threads stop, nothing leaks */
static void test_free_busy(void **state) {
  (void)state;
  for (int k = 0; k < 10; k++) {
    zr_error err;
    gate g = {NULL, 0};
    zr_sink_memory_new(NULL, &g.mem, &err);
    zr_sink *sink;
    zr_sink_callback_new(gate_write, &g, &sink, &err);
    zr_stream_opts o;
    zr_stream_opts_init(&o);
    o.codec = ZR_CODEC_ZSTD;
    o.threads = 2;
    o.chunk_bytes = 1024;
    zr_stream_writer *w;
    assert_int_equal(zr_stream_writer_new(sink, &o, &w, &err), ZR_OK);
    zr_status st = ZR_OK;
    for (uint64_t i = 0; i < 400 && st == ZR_OK; i++) {
      zr_doc *d = zr_doc_new(NULL);
      zr_value v = st_record(d, i);
      st = zr_stream_writer_write_value(w, &v, &err);
      zr_doc_free(d);
    }
    zr_stream_writer_free(w);
    zr_sink_free(sink);
    zr_sink_free(g.mem);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_threads),
      cmocka_unit_test(test_deterministic),
      cmocka_unit_test(test_backpressure_threads),
      cmocka_unit_test(test_free_busy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
