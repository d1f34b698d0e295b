/* The memory bound on a 1 GiB stream (label `large`, not in make test): a writer over a file
 * and, separately, over a slow callback sink holds at most its budget, and a reader of the 1 GiB
 * file holds one chunk; every record comes back. Behaviour is asserted, never time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stream_test_util.h"
#include "zerial/codec.h"

#define RECORD_PAD 1000
#define TOTAL (UINT64_C(1) << 30)

static char pad[RECORD_PAD];

static zr_value big_record(zr_doc *d, uint64_t i) {
  zr_value m = zr_map_new(d, 2);
  zr_map_put_cstr(d, &m, "id", zr_int((int64_t)i));
  /* vary the bytes a little so compression has work */
  pad[i % RECORD_PAD] = (char)('a' + i % 26);
  zr_map_put_cstr(d, &m, "pad", zr_str_ref(pad, RECORD_PAD));
  return m;
}

static void test_file_1gib(void **state) {
  (void)state;
  memset(pad, 'x', sizeof pad);
  char path[512];
  snprintf(path, sizeof path, "%s/large.zrs", zr_test_tmpdir());
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.codec = ZR_CODEC_LZ4;
  o.threads = 2;
  o.mem_budget = (size_t)16 << 20;
  o.chunk_bytes = (size_t)1 << 20;
  o.no_sync = 1;
  zr_error err;
  zr_stream_writer *w;
  assert_int_equal(zr_stream_writer_open_file(path, &o, 0, &w, NULL, &err), ZR_OK);
  uint64_t n = 0;
  zr_doc *d = zr_doc_new(NULL);
  for (;;) {
    if (n % 1024 == 0) {
      zr_stream_stats now;
      zr_stream_writer_stats(w, &now);
      if (now.raw_bytes >= TOTAL) break;
      zr_doc_free(d);
      d = zr_doc_new(NULL);
    }
    zr_value v = big_record(d, n);
    assert_int_equal(zr_stream_writer_write_value(w, &v, &err), ZR_OK);
    zr_stream_writer_set_position(w, ++n);
  }
  zr_doc_free(d);
  assert_int_equal(zr_stream_writer_finish(w, &err), ZR_OK);
  zr_stream_stats s;
  zr_stream_writer_stats(w, &s);
  zr_stream_writer_free(w);
  printf("# wrote %llu records, %llu raw bytes, %llu chunks; writer held at most %llu bytes (budget %zu), %u in flight\n",
         (unsigned long long)s.records, (unsigned long long)s.raw_bytes, (unsigned long long)s.chunks,
         (unsigned long long)s.peak_buffered, o.mem_budget, s.peak_inflight);
  assert_int_equal(s.records, n);
  assert_true(s.raw_bytes >= TOTAL);
  assert_true(s.peak_buffered <= o.mem_budget);
  assert_true(s.peak_inflight <= o.max_inflight);

  zr_stream_reader *r;
  assert_int_equal(zr_stream_reader_open_file(path, NULL, &r, &err), ZR_OK);
  zr_stream_chunk c;
  uint64_t recs = 0, chunks = 0, max_len = 0;
  zr_status st;
  while ((st = zr_stream_reader_next_chunk(r, &c, &err)) == ZR_OK) {
    assert_int_equal(c.first_record, recs);
    recs += c.records;
    chunks++;
    if (c.len > max_len) max_len = c.len;
  }
  assert_int_equal(st, ZR_ERR_EOF);
  assert_int_equal(recs, n);
  assert_int_equal(chunks, s.chunks);
  assert_true(max_len <= o.chunk_bytes + RECORD_PAD + 64);
  zr_stream_reader_free(r);
  unlink(path);
}

/* a sink that takes 64 KiB per call and blocks every other call */
typedef struct {
  uint64_t bytes;
  unsigned calls;
} slow;

static zr_status slow_write(void *ud, const void *data, size_t len, size_t *written) {
  (void)data;
  slow *s = ud;
  if (++s->calls % 2 == 0) {
    *written = 0;
    return ZR_WOULD_BLOCK;
  }
  size_t n = len < 65536 ? len : 65536;
  s->bytes += n;
  *written = n;
  return n < len ? ZR_WOULD_BLOCK : ZR_OK;
}

static void test_slow_sink_1gib(void **state) {
  (void)state;
  memset(pad, 'y', sizeof pad);
  slow sl = {0, 0};
  zr_error err;
  zr_sink *sink;
  assert_int_equal(zr_sink_callback_new(slow_write, &sl, &sink, &err), ZR_OK);
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.mem_budget = (size_t)8 << 20;
  o.max_inflight = 4;
  zr_stream_writer *w;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &err), ZR_OK);
  uint64_t n = 0, raw = 0, blocked = 0;
  zr_doc *d = zr_doc_new(NULL);
  while (raw < TOTAL) {
    if (n % 1024 == 0) {
      zr_doc_free(d);
      d = zr_doc_new(NULL);
    }
    zr_value v = big_record(d, n);
    zr_status st = zr_stream_writer_write_value(w, &v, &err);
    if (st == ZR_WOULD_BLOCK) {
      blocked++;
      while (zr_stream_writer_poll(w, &err) == ZR_WOULD_BLOCK) {
      }
      continue;
    }
    assert_int_equal(st, ZR_OK);
    n++;
    raw += RECORD_PAD + 40;
  }
  zr_doc_free(d);
  zr_status st;
  while ((st = zr_stream_writer_finish(w, &err)) == ZR_WOULD_BLOCK) {
  }
  assert_int_equal(st, ZR_OK);
  zr_stream_stats s;
  zr_stream_writer_stats(w, &s);
  printf("# slow sink: %llu records, %llu bytes out, blocked %llu times; writer held at most %llu bytes (budget %zu)\n",
         (unsigned long long)s.records, (unsigned long long)sl.bytes, (unsigned long long)blocked,
         (unsigned long long)s.peak_buffered, o.mem_budget);
  assert_int_equal(s.records, n);
  assert_int_equal(sl.bytes, s.bytes);
  assert_true(blocked > 0);
  assert_true(s.peak_buffered <= o.mem_budget);
  assert_true(s.peak_inflight <= 4);
  zr_stream_writer_free(w);
  zr_sink_free(sink);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_file_1gib),
      cmocka_unit_test(test_slow_sink_1gib),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
