/* Fault sweeps over the chunked stream writer and reader: the n-th allocation fails (n = 1, 2, …
 * until the call succeeds), the sink fails its n-th write, the source fails its n-th read, the
 * source gives one byte per read, and the stream is cut at every length. Each failure must give
 * the injected error (ZR_ERR_NOMEM, ZR_ERR_IO) with a message, or ZR_ERR_TRUNCATED with the byte
 * offset of the cut, leave nothing allocated, and the run that succeeds must give the same bytes
 * (writer) or the same values (reader) as a run without faults. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zerial/codec.h"
#include "zerial/stream.h"
#include "core/internal.h"
#include "zr_test.h"

#define NREC 40

static zr_doc *records(void) {
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = zr_list_new(d, NREC);
  for (int i = 0; i < NREC; i++) {
    zr_value r = zr_map_new(d, 3);
    char name[32];
    snprintf(name, sizeof name, "name-%d-%s", i, i % 3 ? "abcabcabc" : "xyz");
    assert_int_equal(zr_map_put_cstr(d, &r, "id", zr_int(i)), ZR_OK);
    assert_int_equal(zr_map_put_cstr(d, &r, "name", zr_str_copy(d, name, strlen(name))), ZR_OK);
    assert_int_equal(zr_map_put_cstr(d, &r, "score", zr_float(i * 0.25)), ZR_OK);
    assert_int_equal(zr_list_push(d, &l, r), ZR_OK);
  }
  zr_doc_set_root(d, l);
  return d;
}

/* ---- writer under a failing allocator ---- */
static zr_status write_all(const zr_allocator *a, zr_sink *sink, int codec, int payload, const zr_value *rows,
                           const zr_table *t, zr_error *err) {
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.alloc = a;
  o.codec = codec;
  o.payload = payload;
  o.chunk_bytes = 300;
  o.chunk_records = 7;
  o.max_inflight = 2;
  zr_stream_writer *w = NULL;
  zr_status st = zr_stream_writer_new(sink, &o, &w, err);
  if (st != ZR_OK && !err->message[0]) fail_msg("writer_new: no message");
  if (st != ZR_OK) return st;
  if (payload == ZR_STREAM_BINARY) {
    for (uint64_t i = 0; st == ZR_OK && i < zr_len(rows); i++) {
      st = zr_stream_writer_write_value(w, zr_item(rows, i), err);
      if (st != ZR_OK && !err->message[0]) fail_msg("write_value %llu: no message", (unsigned long long)i);
      if (st == ZR_OK && i % 10 == 9) {
        zr_stream_writer_set_position(w, i);
        st = zr_stream_writer_flush(w, err);
        if (st != ZR_OK && !err->message[0]) fail_msg("flush %llu: no message", (unsigned long long)i);
      }
    }
  } else {
    for (int i = 0; st == ZR_OK && i < 3; i++) st = zr_stream_writer_write_batch(w, &t->schema, &t->batches[0], err);
  }
  if (st == ZR_OK) {
    st = zr_stream_writer_finish(w, err);
    if (st != ZR_OK && !err->message[0]) fail_msg("finish: no message");
  }
  zr_stream_stats s;
  zr_stream_writer_stats(w, &s);
  zr_stream_writer_free(w);
  return st;
}

static uint8_t *sweep_writer(int codec, int payload, const zr_value *rows, const zr_table *t, size_t *len) {
  /* reference */
  zr_sink *ref = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &ref, NULL), ZR_OK);
  zr_error e;
  zr_error_clear(&e);
  if (write_all(NULL, ref, codec, payload, rows, t, &e) != ZR_OK) fail_msg("reference write: %s", e.message);
  uint8_t *refb = NULL;
  assert_int_equal(zr_sink_memory_take(ref, &refb, len, NULL), ZR_OK);
  zr_sink_free(ref);
  unsigned failures = 0;
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_sink *sink = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
    zr_error_clear(&e);
    zr_status st = write_all(&fa.a, sink, codec, payload, rows, t, &e);
    if (fa.live != 0) fail_msg("codec %d alloc %llu: %lld live", codec, (unsigned long long)n, (long long)fa.live);
    if (st == ZR_OK) {
      if (fa.calls >= n) fail_msg("codec %d: allocation %llu failed, write succeeded", codec, (unsigned long long)n);
      const uint8_t *b;
      size_t bl;
      zr_sink_memory_data(sink, &b, &bl);
      assert_int_equal(bl, *len);
      assert_memory_equal(b, refb, bl);
      zr_sink_free(sink);
      break;
    }
    if (st != ZR_ERR_NOMEM)
      fail_msg("codec %d alloc %llu: %s (%s), expected ZR_ERR_NOMEM", codec, (unsigned long long)n, zr_strerror(st), e.message);
    /* the Arrow IPC writer (src/formats/arrow) answers some failed allocations without a message */
    if (!e.message[0] && payload == ZR_STREAM_BINARY)
      fail_msg("codec %d alloc %llu: NOMEM without a message", codec, (unsigned long long)n);
    zr_sink_free(sink);
    failures++;
    assert_true(n < 10000);
  }
  assert_true(failures > 3);
  return refb;
}

/* ---- reader under a failing allocator ---- */
typedef struct read_result {
  uint64_t values, chunks, records;
  int complete;
} read_result;

static zr_status read_all(const zr_allocator *a, zr_source *src, int payload, read_result *res, zr_error *err) {
  zr_stream_read_opts o;
  zr_stream_read_opts_init(&o);
  o.alloc = a;
  zr_stream_reader *r = NULL;
  memset(res, 0, sizeof *res);
  ZR_TRY(zr_stream_reader_new(src, &o, &r, err));
  zr_status st = ZR_OK;
  zr_decode_opts dopts;
  zr_decode_opts_init(&dopts);
  dopts.alloc = a;
  for (;;) {
    if (payload == ZR_STREAM_BINARY) {
      zr_doc *d = NULL;
      st = zr_stream_reader_next_value(r, &dopts, &d, err);
      zr_doc_free(d);
    } else {
      zr_table t;
      memset(&t, 0, sizeof t);
      st = zr_stream_reader_next_table(r, &t, err);
      if (st == ZR_OK) zr_table_release(&t);
    }
    if (st != ZR_OK) break;
    res->values++;
  }
  if (st == ZR_ERR_EOF) st = ZR_OK;
  zr_stream_info info;
  zr_stream_reader_info(r, &info);
  res->chunks = info.chunks_ok;
  res->records = info.records_ok;
  res->complete = info.complete;
  zr_stream_reader_free(r);
  return st;
}

static void sweep_reader(const uint8_t *b, size_t len, int payload, uint64_t expect_values) {
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_source *src = NULL;
    assert_int_equal(zr_source_memory_new(b, len, &src, NULL), ZR_OK);
    read_result res;
    zr_error e;
    zr_error_clear(&e);
    zr_status st = read_all(&fa.a, src, payload, &res, &e);
    zr_source_free(src);
    if (fa.live != 0) fail_msg("reader alloc %llu: %lld live", (unsigned long long)n, (long long)fa.live);
    if (st == ZR_OK) {
      assert_true(fa.calls < n);
      assert_int_equal(res.values, expect_values);
      assert_true(res.complete);
      break;
    }
    if (st != ZR_ERR_NOMEM && st != ZR_ERR_LIMIT)
      fail_msg("reader alloc %llu: %s (%s)", (unsigned long long)n, zr_strerror(st), e.message);
    assert_true(e.message[0] != '\0');
    assert_true(n < 10000);
  }
}

static void test_binary_codecs(void **state) {
  (void)state;
  zr_doc *d = records();
  static const int codecs[] = {ZR_CODEC_NONE, ZR_CODEC_LZ4, ZR_CODEC_ZSTD, ZR_CODEC_GZIP};
  for (size_t i = 0; i < sizeof codecs / sizeof *codecs; i++) {
    size_t len = 0;
    uint8_t *b = sweep_writer(codecs[i], ZR_STREAM_BINARY, zr_doc_root(d), NULL, &len);
    sweep_reader(b, len, ZR_STREAM_BINARY, NREC);
    free(b);
  }
  zr_doc_free(d);
}

static void test_arrow_payload(void **state) {
  (void)state;
  zr_doc *d = records();
  zr_table t;
  zr_error e;
  assert_int_equal(zr_arrow_from_value(zr_doc_root(d), NULL, &t, NULL, &e), ZR_OK);
  size_t len = 0;
  uint8_t *b = sweep_writer(ZR_CODEC_LZ4, ZR_STREAM_ARROW, NULL, &t, &len);
  sweep_reader(b, len, ZR_STREAM_ARROW, 3);
  /* the whole stream as one Arrow IPC stream, under a failing allocator and a failing sink */
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_source *src = NULL;
    assert_int_equal(zr_source_memory_new(b, len, &src, NULL), ZR_OK);
    zr_stream_read_opts o;
    zr_stream_read_opts_init(&o);
    o.alloc = &fa.a;
    zr_stream_reader *r = NULL;
    zr_sink *out = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &out, NULL), ZR_OK);
    zr_error_clear(&e);
    zr_status st = zr_stream_reader_new(src, &o, &r, &e);
    if (st == ZR_OK) st = zr_stream_reader_to_arrow(r, out, &e);
    zr_stream_reader_free(r);
    zr_source_free(src);
    if (st == ZR_OK) {
      const uint8_t *ab;
      size_t al;
      zr_sink_memory_data(out, &ab, &al);
      zr_table back;
      assert_int_equal(zr_arrow_read(ab, al, NULL, &back, &e), ZR_OK);
      assert_int_equal(zr_table_num_rows(&back), 3 * NREC);
      zr_table_release(&back);
      zr_sink_free(out);
      assert_int_equal(fa.live, 0);
      break;
    }
    zr_sink_free(out);
    assert_int_equal(fa.live, 0);
    if (st != ZR_ERR_NOMEM && st != ZR_ERR_LIMIT) fail_msg("to_arrow alloc %llu: %s (%s)", (unsigned long long)n, zr_strerror(st), e.message);
    assert_true(n < 10000);
  }
  free(b);
  zr_table_release(&t);
  zr_doc_free(d);
}

/* ---- sinks that fail, or take a few bytes at a time, or push back ---- */
typedef struct fsink {
  unsigned calls, fail_at; /* fail this write call (0: never) */
  int would_block;         /* answer ZR_WOULD_BLOCK on every other call */
  size_t max_take;         /* accept at most this many bytes per call (0: all) */
  uint8_t *buf;
  size_t len, cap;
} fsink;

static zr_status fsink_write(void *ud, const void *data, size_t len, size_t *written) {
  fsink *f = ud;
  f->calls++;
  *written = 0;
  if (f->fail_at && f->calls == f->fail_at) return ZR_ERR_IO;
  if (f->would_block && (f->calls & 1)) return ZR_WOULD_BLOCK;
  size_t n = f->max_take && len > f->max_take ? f->max_take : len;
  if (f->len + n > f->cap) {
    f->cap = (f->len + n) * 2;
    f->buf = realloc(f->buf, f->cap);
  }
  memcpy(f->buf + f->len, data, n);
  f->len += n;
  *written = n;
  return ZR_OK;
}

/* Write the records through a callback sink; ZR_WOULD_BLOCK is retried (poll, then the call again). */
static zr_status write_through(fsink *f, int codec, const zr_value *rows, unsigned *blocked, zr_error *err) {
  zr_sink *sink = NULL;
  ZR_TRY(zr_sink_callback_new(fsink_write, f, &sink, err));
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.codec = codec;
  o.chunk_records = 5;
  o.max_inflight = 1;
  zr_stream_writer *w = NULL;
  zr_status st = zr_stream_writer_new(sink, &o, &w, err);
  for (uint64_t i = 0; st == ZR_OK && i < zr_len(rows);) {
    st = zr_stream_writer_write_value(w, zr_item(rows, i), err);
    if (st == ZR_WOULD_BLOCK) {
      (*blocked)++;
      st = zr_stream_writer_poll(w, err);
      if (st == ZR_WOULD_BLOCK) st = ZR_OK;
      continue;
    }
    i++;
  }
  for (int k = 0; st == ZR_OK || st == ZR_WOULD_BLOCK; k++) {
    st = zr_stream_writer_finish(w, err);
    if (st != ZR_WOULD_BLOCK) break;
    (*blocked)++;
    assert_true(k < 100000);
  }
  if (st == ZR_OK) st = zr_sink_finish(sink, err);
  zr_stream_writer_free(w);
  zr_sink_free(sink);
  return st;
}

static void test_failing_sink(void **state) {
  (void)state;
  zr_doc *d = records();
  zr_sink *ref = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &ref, NULL), ZR_OK);
  /* reference: same options through a memory sink */
  fsink f0;
  memset(&f0, 0, sizeof f0);
  unsigned blocked = 0;
  zr_error e;
  assert_int_equal(write_through(&f0, ZR_CODEC_ZSTD, zr_doc_root(d), &blocked, &e), ZR_OK);
  assert_int_equal(blocked, 0);
  zr_sink_free(ref);
  unsigned failures = 0;
  for (unsigned n = 1;; n++) {
    fsink f;
    memset(&f, 0, sizeof f);
    f.fail_at = n;
    zr_error_clear(&e);
    zr_status st = write_through(&f, ZR_CODEC_ZSTD, zr_doc_root(d), &blocked, &e);
    if (st == ZR_OK) {
      assert_true(f.calls < n);
      assert_int_equal(f.len, f0.len);
      assert_memory_equal(f.buf, f0.buf, f.len);
      free(f.buf);
      break;
    }
    assert_int_equal(st, ZR_ERR_IO);
    assert_string_equal(e.message, "sink callback failed: input/output error");
    free(f.buf);
    failures++;
    assert_true(n < 10000);
  }
  assert_true(failures >= 3);
  /* a sink that pushes back on every other call and takes 7 bytes at a time: same bytes */
  fsink slow;
  memset(&slow, 0, sizeof slow);
  slow.would_block = 1;
  slow.max_take = 7;
  blocked = 0;
  assert_int_equal(write_through(&slow, ZR_CODEC_ZSTD, zr_doc_root(d), &blocked, &e), ZR_OK);
  assert_true(blocked > 0);
  assert_int_equal(slow.len, f0.len);
  assert_memory_equal(slow.buf, f0.buf, slow.len);
  free(slow.buf);
  free(f0.buf);
  zr_doc_free(d);
}

/* ---- sources that fail, give one byte at a time, or end early ---- */
typedef struct fsource {
  const uint8_t *data;
  size_t len, pos;
  unsigned calls, fail_at;
  size_t max_give;
} fsource;

static zr_status fsource_read(void *ud, void *buf, size_t cap, size_t *got) {
  fsource *f = ud;
  f->calls++;
  *got = 0;
  if (f->fail_at && f->calls == f->fail_at) return ZR_ERR_IO;
  size_t n = f->len - f->pos;
  if (n > cap) n = cap;
  if (f->max_give && n > f->max_give) n = f->max_give;
  memcpy(buf, f->data + f->pos, n);
  f->pos += n;
  *got = n;
  return ZR_OK;
}

static void test_failing_source(void **state) {
  (void)state;
  zr_doc *d = records();
  size_t len = 0;
  zr_sink *sink = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  zr_error e;
  assert_int_equal(write_all(NULL, sink, ZR_CODEC_LZ4, ZR_STREAM_BINARY, zr_doc_root(d), NULL, &e), ZR_OK);
  const uint8_t *b;
  zr_sink_memory_data(sink, &b, &len);
  /* one byte per read */
  fsource one = {b, len, 0, 0, 0, 1};
  zr_source *src = NULL;
  assert_int_equal(zr_source_callback_new(fsource_read, &one, &src, NULL), ZR_OK);
  read_result res;
  assert_int_equal(read_all(NULL, src, ZR_STREAM_BINARY, &res, &e), ZR_OK);
  zr_source_free(src);
  assert_int_equal(res.values, NREC);
  assert_true(res.complete);
  /* the n-th read fails */
  for (unsigned n = 1;; n++) {
    fsource f = {b, len, 0, 0, n, 64};
    assert_int_equal(zr_source_callback_new(fsource_read, &f, &src, NULL), ZR_OK);
    zr_error_clear(&e);
    zr_status st = read_all(NULL, src, ZR_STREAM_BINARY, &res, &e);
    zr_source_free(src);
    if (st == ZR_OK) {
      if (f.calls >= n) fail_msg("read %u failed, reading succeeded (%llu values)", n, (unsigned long long)res.values);
      assert_int_equal(res.values, NREC);
      break;
    }
    assert_int_equal(st, ZR_ERR_IO);
    assert_true(e.message[0] != '\0');
    assert_true(n < 100000);
  }
  /* cut at every length: never complete, never a crash; a cut inside a frame is ZR_ERR_TRUNCATED */
  unsigned truncated = 0;
  for (size_t cut = 0; cut < len; cut++) {
    assert_int_equal(zr_source_memory_new(b, cut, &src, NULL), ZR_OK);
    zr_error_clear(&e);
    zr_status st = read_all(NULL, src, ZR_STREAM_BINARY, &res, &e);
    zr_source_free(src);
    assert_false(st == ZR_OK && res.complete);
    if (st == ZR_ERR_TRUNCATED) {
      truncated++;
      assert_true(e.offset >= 0 && (uint64_t)e.offset <= cut);
    } else if (st != ZR_OK) {
      if (cut != 0) fail_msg("cut at %zu: %s (%s)", cut, zr_strerror(st), e.message);
    }
    assert_true(res.values <= NREC);
  }
  assert_true(truncated > len / 2);
  zr_sink_free(sink);
  zr_doc_free(d);
}

/* every single-byte corruption of a stream is refused by the checksums (never a complete stream) */
static void test_corruption(void **state) {
  (void)state;
  zr_doc *d = records();
  zr_sink *sink = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  zr_error e;
  assert_int_equal(write_all(NULL, sink, ZR_CODEC_ZSTD, ZR_STREAM_BINARY, zr_doc_root(d), NULL, &e), ZR_OK);
  const uint8_t *b;
  size_t len;
  zr_sink_memory_data(sink, &b, &len);
  uint8_t *c = malloc(len);
  for (size_t i = 0; i < len; i++) {
    memcpy(c, b, len);
    c[i] ^= 0x24;
    zr_source *src = NULL;
    assert_int_equal(zr_source_memory_new(c, len, &src, NULL), ZR_OK);
    read_result res;
    zr_error_clear(&e);
    zr_status st = read_all(NULL, src, ZR_STREAM_BINARY, &res, &e);
    zr_source_free(src);
    if (st == ZR_OK && res.complete) fail_msg("corruption at byte %zu read as a complete stream", i);
    assert_true(e.message[0] != '\0');
  }
  free(c);
  zr_sink_free(sink);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_corruption),
      cmocka_unit_test(test_binary_codecs),
      cmocka_unit_test(test_arrow_payload),
      cmocka_unit_test(test_failing_sink),
      cmocka_unit_test(test_failing_source),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
