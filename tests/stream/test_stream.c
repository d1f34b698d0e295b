/* Stream writer and reader: round trips, chunk boundaries, compression, corruption and truncation
 * (code + offset), sequence checks, start at chunk N, Arrow batches, backpressure with a slow
 * callback sink, allocation failures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream_test_util.h"
#include "zerial/arrow.h"
#include "zerial/codec.h"

typedef struct {
  uint8_t *data;
  size_t len;
} mem;

/* Write n records with opts to memory; returns the bytes (caller frees with zr_free). */
static mem write_stream(const zr_stream_opts *o, uint64_t n) {
  zr_error err;
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, &err), ZR_OK);
  zr_stream_writer *w;
  assert_int_equal(zr_stream_writer_new(sink, o, &w, &err), ZR_OK);
  assert_int_equal(st_write_range(w, 0, n, &err), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &err), ZR_OK);
  zr_stream_stats s;
  zr_stream_writer_stats(w, &s);
  assert_int_equal(s.records, n);
  zr_stream_writer_free(w);
  mem m;
  assert_int_equal(zr_sink_memory_take(sink, &m.data, &m.len, &err), ZR_OK);
  zr_sink_free(sink);
  return m;
}

static void check_roundtrip(const zr_stream_opts *o, uint64_t n) {
  mem m = write_stream(o, n);
  st_expect_all(m.data, m.len, n);
  zr_free(m.data);
}

static void test_roundtrip_sizes(void **state) {
  (void)state;
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.chunk_bytes = 4096;
  uint64_t sizes[] = {0, 1, 2, 37, 1000, 5000};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) check_roundtrip(&o, sizes[i]);
}

/* chunk_records makes chunks end exactly at record counts: n = k * chunk, k * chunk ± 1 */
static void test_chunk_boundaries(void **state) {
  (void)state;
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.chunk_records = 10;
  uint64_t sizes[] = {9, 10, 11, 20, 21, 99, 100, 101};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    mem m = write_stream(&o, sizes[i]);
    zr_source *src;
    zr_stream_reader *r;
    zr_error err;
    assert_int_equal(zr_source_memory_new(m.data, m.len, &src, &err), ZR_OK);
    assert_int_equal(zr_stream_reader_new(src, NULL, &r, &err), ZR_OK);
    zr_stream_chunk c;
    uint64_t chunks = 0, recs = 0;
    zr_status st;
    while ((st = zr_stream_reader_next_chunk(r, &c, &err)) == ZR_OK) {
      assert_int_equal(c.seq, chunks);
      assert_int_equal(c.first_record, recs);
      assert_true(c.records <= 10);
      chunks++;
      recs += c.records;
    }
    assert_int_equal(st, ZR_ERR_EOF);
    assert_int_equal(recs, sizes[i]);
    assert_int_equal(chunks, (sizes[i] + 9) / 10);
    zr_stream_info info;
    zr_stream_reader_info(r, &info);
    assert_true(info.complete);
    assert_int_equal(info.offset, m.len);
    zr_stream_reader_free(r);
    zr_source_free(src);
    zr_free(m.data);
  }
  /* a record larger than the chunk size makes a chunk of its own */
  zr_stream_opts_init(&o);
  o.chunk_bytes = 64;
  check_roundtrip(&o, 300);
}

static void test_compression(void **state) {
  (void)state;
  int codecs[] = {ZR_CODEC_LZ4, ZR_CODEC_ZSTD, ZR_CODEC_GZIP};
  for (size_t i = 0; i < 3; i++) {
    zr_stream_opts o;
    zr_stream_opts_init(&o);
    o.codec = codecs[i];
    o.chunk_bytes = 8192;
    mem plain, comp;
    zr_stream_opts p;
    zr_stream_opts_init(&p);
    p.chunk_bytes = 8192;
    plain = write_stream(&p, 3000);
    comp = write_stream(&o, 3000);
    assert_true(comp.len < plain.len);
    st_expect_all(comp.data, comp.len, 3000);
    zr_free(plain.data);
    zr_free(comp.data);
  }
}

/* Flip one byte anywhere: the reader must never report a complete stream with wrong data. */
static void test_corruption(void **state) {
  (void)state;
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.chunk_records = 7;
  mem m = write_stream(&o, 50);
  uint64_t seed = 7;
  for (int k = 0; k < 300; k++) {
    size_t at = (size_t)(zr_test_rand(&seed) % m.len);
    uint8_t *c = malloc(m.len);
    memcpy(c, m.data, m.len);
    c[at] ^= (uint8_t)(1 + zr_test_rand(&seed) % 255);
    uint64_t got;
    int ok;
    zr_error err;
    zr_error_clear(&err);
    zr_status st = st_read_all(c, m.len, NULL, &got, 0, &ok, &err);
    assert_int_not_equal(st, ZR_ERR_EOF);
    assert_int_not_equal(st, ZR_OK);
    assert_true(ok); /* what was delivered before the error is right */
    assert_true(err.offset >= 0 && (size_t)err.offset <= at);
    free(c);
  }
  /* a payload byte: ZR_ERR_CHECKSUM at the frame's offset */
  uint8_t *c = malloc(m.len);
  memcpy(c, m.data, m.len);
  c[ZR_STREAM_HEADER_SIZE + ZR_STREAM_FRAME_HEADER_SIZE + 5] ^= 1;
  uint64_t got;
  int ok;
  zr_error err;
  assert_int_equal(st_read_all(c, m.len, NULL, &got, 0, &ok, &err), ZR_ERR_CHECKSUM);
  assert_int_equal(err.offset, ZR_STREAM_HEADER_SIZE);
  assert_int_equal(got, 0);
  free(c);
  zr_free(m.data);
}

static void test_truncation(void **state) {
  (void)state;
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.chunk_records = 10;
  mem m = write_stream(&o, 95);
  /* find the chunk boundaries by reading */
  uint64_t ends[16];
  size_t nb = 0;
  {
    zr_source *src;
    zr_stream_reader *r;
    zr_error err;
    zr_source_memory_new(m.data, m.len, &src, &err);
    zr_stream_reader_new(src, NULL, &r, &err);
    zr_stream_chunk c;
    while (zr_stream_reader_next_chunk(r, &c, &err) == ZR_OK) ends[nb++] = c.offset + ZR_STREAM_FRAME_HEADER_SIZE + c.len;
    zr_stream_reader_free(r);
    zr_source_free(src);
  }
  assert_int_equal(nb, 10);
  for (size_t cut = 0; cut < m.len; cut += 1 + cut / 50) {
    uint64_t got;
    int ok;
    zr_error err;
    zr_error_clear(&err);
    zr_status st = st_read_all(m.data, cut, NULL, &got, 0, &ok, &err);
    assert_true(ok);
    if (cut < ZR_STREAM_HEADER_SIZE) {
      assert_true(st == ZR_ERR_TRUNCATED || st == ZR_ERR_FORMAT);
      continue;
    }
    assert_int_equal(st, ZR_ERR_TRUNCATED);
    /* the good chunks are those ending at or before the cut */
    size_t good = 0;
    while (good < nb && ends[good] <= cut) good++;
    assert_int_equal(got, good * 10 > 95 ? 95 : good * 10);
    uint64_t good_end = good ? ends[good - 1] : ZR_STREAM_HEADER_SIZE;
    assert_int_equal(err.offset, (int64_t)good_end);
    char want[64];
    snprintf(want, sizeof want, "%zu good chunks", good);
    assert_non_null(strstr(err.message, want));
  }
  zr_free(m.data);
}

/* swapping two chunk frames is caught by the sequence numbers */
static void test_sequence(void **state) {
  (void)state;
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.chunk_records = 1;
  zr_doc *d = zr_doc_new(NULL);
  zr_error err;
  zr_sink *sink;
  zr_sink_memory_new(NULL, &sink, &err);
  zr_stream_writer *w;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &err), ZR_OK);
  zr_value a = zr_int(1), b = zr_int(2); /* equal-size frames */
  assert_int_equal(zr_stream_writer_write_value(w, &a, &err), ZR_OK);
  assert_int_equal(zr_stream_writer_write_value(w, &b, &err), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &err), ZR_OK);
  zr_stream_writer_free(w);
  const uint8_t *p;
  size_t n;
  zr_sink_memory_data(sink, &p, &n);
  uint8_t *c = malloc(n);
  memcpy(c, p, n);
  uint32_t stored;
  memcpy(&stored, c + ZR_STREAM_HEADER_SIZE + 16, 4);
  size_t f0 = ZR_STREAM_HEADER_SIZE, flen = ZR_STREAM_FRAME_HEADER_SIZE + stored;
  uint8_t tmp[256];
  assert_true(flen <= sizeof tmp);
  memcpy(tmp, c + f0, flen);
  memcpy(c + f0, c + f0 + flen, flen);
  memcpy(c + f0 + flen, tmp, flen);
  zr_source *src;
  zr_stream_reader *r;
  zr_source_memory_new(c, n, &src, &err);
  assert_int_equal(zr_stream_reader_new(src, NULL, &r, &err), ZR_OK);
  zr_stream_chunk ch;
  assert_int_equal(zr_stream_reader_next_chunk(r, &ch, &err), ZR_ERR_MALFORMED);
  assert_int_equal(err.offset, (int64_t)f0 + 8);
  assert_non_null(strstr(err.message, "sequence number 1, expected 0"));
  zr_stream_reader_free(r);
  zr_source_free(src);
  free(c);
  zr_sink_free(sink);
  zr_doc_free(d);
}

static void test_start_at(void **state) {
  (void)state;
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.chunk_records = 10;
  mem m = write_stream(&o, 95);
  for (uint64_t start = 0; start <= 11; start++) {
    zr_stream_read_opts ro;
    zr_stream_read_opts_init(&ro);
    ro.start_chunk = start;
    uint64_t got;
    int ok;
    zr_error err;
    uint64_t first = start * 10 > 95 ? 95 : start * 10;
    assert_int_equal(st_read_all(m.data, m.len, &ro, &got, first, &ok, &err), ZR_ERR_EOF);
    assert_true(ok);
    assert_int_equal(got, 95 - first);
  }
  /* the same through a non-contiguous (callback) source */
  zr_free(m.data);
}

typedef struct {
  const uint8_t *p;
  size_t len, pos;
} cbsrc;

static zr_status cb_read(void *ud, void *buf, size_t cap, size_t *got) {
  cbsrc *s = ud;
  size_t n = s->len - s->pos;
  if (n > cap) n = cap;
  if (n > 13) n = 13; /* tiny reads */
  memcpy(buf, s->p + s->pos, n);
  s->pos += n;
  *got = n;
  return ZR_OK;
}

static void test_callback_source(void **state) {
  (void)state;
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.chunk_records = 9;
  o.codec = ZR_CODEC_LZ4;
  mem m = write_stream(&o, 100);
  for (uint64_t start = 0; start < 13; start += 4) {
    cbsrc cs = {m.data, m.len, 0};
    zr_source *src;
    zr_error err;
    zr_source_callback_new(cb_read, &cs, &src, &err);
    zr_stream_read_opts ro;
    zr_stream_read_opts_init(&ro);
    ro.start_chunk = start;
    zr_stream_reader *r;
    assert_int_equal(zr_stream_reader_new(src, &ro, &r, &err), ZR_OK);
    uint64_t n = 0, first = start * 9 > 100 ? 100 : start * 9;
    zr_doc *doc;
    zr_status st;
    while ((st = zr_stream_reader_next_value(r, NULL, &doc, &err)) == ZR_OK) {
      assert_int_equal(st_record_id(doc), (int64_t)(first + n));
      n++;
      zr_doc_free(doc);
    }
    assert_int_equal(st, ZR_ERR_EOF);
    assert_int_equal(n, 100 - first);
    zr_stream_reader_free(r);
    zr_source_free(src);
  }
  /* truncated through a callback source */
  cbsrc cs = {m.data, m.len - 3, 0};
  zr_source *src;
  zr_error err;
  zr_source_callback_new(cb_read, &cs, &src, &err);
  zr_stream_reader *r;
  assert_int_equal(zr_stream_reader_new(src, NULL, &r, &err), ZR_OK);
  zr_stream_chunk c;
  zr_status st;
  while ((st = zr_stream_reader_next_chunk(r, &c, &err)) == ZR_OK) {
  }
  assert_int_equal(st, ZR_ERR_TRUNCATED);
  zr_stream_info info;
  zr_stream_reader_info(r, &info);
  assert_int_equal(info.chunks_ok, 12);
  assert_false(info.complete);
  zr_stream_reader_free(r);
  zr_source_free(src);
  zr_free(m.data);
}

static void test_not_a_stream(void **state) {
  (void)state;
  const char junk[] = "this is not a stream at all, definitely";
  zr_source *src;
  zr_stream_reader *r;
  zr_error err;
  zr_source_memory_new(junk, sizeof junk, &src, &err);
  assert_int_equal(zr_stream_reader_new(src, NULL, &r, &err), ZR_ERR_FORMAT);
  zr_source_free(src);
  zr_source_memory_new("ZRST", 4, &src, &err);
  assert_int_equal(zr_stream_reader_new(src, NULL, &r, &err), ZR_ERR_TRUNCATED);
  zr_source_free(src);
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.mem_budget = 100;
  zr_sink *sink;
  zr_sink_memory_new(NULL, &sink, &err);
  zr_stream_writer *w;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &err), ZR_ERR_CONFIG);
  zr_stream_opts_init(&o);
  o.codec = 9;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &err), ZR_ERR_CONFIG);
  /* tables do not go into binary streams; the writer stays usable */
  zr_stream_opts_init(&o);
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &err), ZR_OK);
  zr_table t;
  memset(&t, 0, sizeof t);
  zr_doc *d = zr_doc_new(NULL);
  zr_value tv = zr_table_value(d, &t);
  assert_int_equal(zr_stream_writer_write_value(w, &tv, &err), ZR_ERR_TYPE);
  zr_value one = zr_int(1);
  assert_int_equal(zr_stream_writer_write_value(w, &one, &err), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &err), ZR_OK);
  assert_int_equal(zr_stream_writer_write_value(w, &one, &err), ZR_ERR_STATE);
  zr_stream_writer_free(w);
  zr_doc_free(d);
  zr_sink_free(sink);
}

/* ---- Arrow batches ---- */

static void make_table(uint64_t from, uint64_t n, zr_table *t) {
  zr_doc *d = zr_doc_new(NULL);
  zr_value rows = zr_list_new(d, n);
  for (uint64_t i = from; i < from + n; i++) {
    zr_value m = zr_map_new(d, 2);
    zr_map_put_cstr(d, &m, "id", zr_int((int64_t)i));
    zr_map_put_cstr(d, &m, "score", zr_float((double)i / 4));
    zr_list_push(d, &rows, m);
  }
  zr_error err;
  assert_int_equal(zr_arrow_from_value(&rows, NULL, t, NULL, &err), ZR_OK);
  zr_doc_free(d);
}

static void test_arrow(void **state) {
  (void)state;
  zr_error err;
  zr_sink *sink;
  zr_sink_memory_new(NULL, &sink, &err);
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.payload = ZR_STREAM_ARROW;
  o.codec = ZR_CODEC_ZSTD;
  zr_stream_writer *w;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &err), ZR_OK);
  zr_value one = zr_int(1);
  assert_int_equal(zr_stream_writer_write_value(w, &one, &err), ZR_ERR_STATE);
  uint64_t sizes[] = {5, 100, 1, 7};
  uint64_t total = 0;
  for (size_t i = 0; i < 4; i++) {
    zr_table t;
    make_table(total, sizes[i], &t);
    for (int64_t b = 0; b < t.n_batches; b++)
      assert_int_equal(zr_stream_writer_write_batch(w, &t.schema, &t.batches[b], &err), ZR_OK);
    total += sizes[i];
    zr_table_release(&t);
  }
  assert_int_equal(zr_stream_writer_finish(w, &err), ZR_OK);
  zr_stream_writer_free(w);
  const uint8_t *p;
  size_t n;
  zr_sink_memory_data(sink, &p, &n);
  zr_source *src;
  zr_stream_reader *r;
  zr_source_memory_new(p, n, &src, &err);
  assert_int_equal(zr_stream_reader_new(src, NULL, &r, &err), ZR_OK);
  zr_stream_info info;
  zr_stream_reader_info(r, &info);
  assert_int_equal(info.payload, ZR_STREAM_ARROW);
  assert_true(info.fingerprint != 0);
  zr_doc *doc;
  assert_int_equal(zr_stream_reader_next_value(r, NULL, &doc, &err), ZR_ERR_STATE);
  uint64_t seen = 0;
  zr_table t;
  zr_status st;
  while ((st = zr_stream_reader_next_table(r, &t, &err)) == ZR_OK) {
    zr_table ref;
    make_table(seen, (uint64_t)zr_table_num_rows(&t), &ref);
    char why[256];
    assert_true(zr_arrow_table_diff(&t, &ref, why, sizeof why));
    seen += (uint64_t)zr_table_num_rows(&t);
    zr_table_release(&t);
    zr_table_release(&ref);
  }
  assert_int_equal(st, ZR_ERR_EOF);
  assert_int_equal(seen, total);
  zr_stream_reader_free(r);
  zr_source_free(src);
  /* export as one plain Arrow IPC stream */
  zr_source_memory_new(p, n, &src, &err);
  assert_int_equal(zr_stream_reader_new(src, NULL, &r, &err), ZR_OK);
  zr_sink *as;
  zr_sink_memory_new(NULL, &as, &err);
  assert_int_equal(zr_stream_reader_to_arrow(r, as, &err), ZR_OK);
  const uint8_t *ap;
  size_t an;
  zr_sink_memory_data(as, &ap, &an);
  zr_arrow_read_opts ro;
  zr_arrow_read_opts_init(&ro);
  ro.copy = 1;
  zr_table all;
  assert_int_equal(zr_arrow_read(ap, an, &ro, &all, &err), ZR_OK);
  assert_int_equal(zr_table_num_rows(&all), (int64_t)total);
  assert_int_equal(all.n_batches, 4);
  zr_table_release(&all);
  zr_sink_free(as);
  zr_stream_reader_free(r);
  zr_source_free(src);
  zr_sink_free(sink);
}

/* ---- backpressure ---- */

typedef struct {
  zr_sink *mem;
  unsigned calls;
  unsigned budget; /* bytes accepted per "tick" */
  unsigned left;
} slow_sink;

static zr_status slow_write(void *ud, const void *data, size_t len, size_t *written) {
  slow_sink *s = ud;
  s->calls++;
  size_t n = len < s->left ? len : s->left;
  s->left -= (unsigned)n;
  *written = n;
  if (n) zr_sink_write(s->mem, data, n, NULL);
  return n < len ? ZR_WOULD_BLOCK : ZR_OK;
}

static void test_backpressure(void **state) {
  (void)state;
  int codecs[] = {ZR_CODEC_NONE, ZR_CODEC_LZ4};
  unsigned threads[] = {0, 2};
  for (int k = 0; k < 2; k++) {
    zr_error err;
    slow_sink ss = {NULL, 0, 3000, 3000};
    zr_sink_memory_new(NULL, &ss.mem, &err);
    zr_sink *sink;
    zr_sink_callback_new(slow_write, &ss, &sink, &err);
    zr_stream_opts o;
    zr_stream_opts_init(&o);
    o.chunk_bytes = 4096;
    o.max_inflight = 3;
    o.mem_budget = 1 << 20;
    o.codec = codecs[k];
    o.threads = threads[k];
    zr_stream_writer *w;
    assert_int_equal(zr_stream_writer_new(sink, &o, &w, &err), ZR_OK);
    uint64_t i = 0, blocked = 0;
    const uint64_t n = 4000;
    while (i < n) {
      zr_doc *d = zr_doc_new(NULL);
      zr_value v = st_record(d, i);
      zr_status st = zr_stream_writer_write_value(w, &v, &err);
      zr_doc_free(d);
      if (st == ZR_WOULD_BLOCK) {
        blocked++;
        zr_stream_stats s;
        zr_stream_writer_stats(w, &s);
        assert_true(s.inflight <= 3);
        ss.left = ss.budget; /* the consumer catches up a little */
        continue;            /* retry the same record */
      }
      assert_int_equal(st, ZR_OK);
      i++;
    }
    zr_status st;
    while ((st = zr_stream_writer_finish(w, &err)) == ZR_WOULD_BLOCK) ss.left = ss.budget;
    assert_int_equal(st, ZR_OK);
    zr_stream_stats s;
    zr_stream_writer_stats(w, &s);
    assert_true(blocked > 0);
    assert_true(s.peak_inflight <= 3);
    assert_true(s.would_block >= blocked);
    assert_true(s.peak_buffered <= o.mem_budget);
    zr_stream_writer_free(w);
    st_expect_sink(ss.mem, n);
    zr_sink_free(sink);
    zr_sink_free(ss.mem);
  }
}

/* every allocation of a write + read may fail: clean errors, no leaks */
static void test_failing_alloc(void **state) {
  (void)state;
  for (uint64_t fail = 1; fail < 400; fail += 3) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, fail);
    zr_error err;
    zr_sink *sink;
    assert_int_equal(zr_sink_memory_new(NULL, &sink, &err), ZR_OK);
    zr_stream_opts o;
    zr_stream_opts_init(&o);
    o.alloc = &fa.a;
    o.chunk_records = 5;
    o.codec = ZR_CODEC_LZ4;
    zr_stream_writer *w = NULL;
    zr_status st = zr_stream_writer_new(sink, &o, &w, &err);
    if (st == ZR_OK) st = st_write_range(w, 0, 40, &err);
    if (st == ZR_OK) st = zr_stream_writer_finish(w, &err);
    zr_stream_writer_free(w);
    if (st == ZR_OK) {
      const uint8_t *p;
      size_t n;
      zr_sink_memory_data(sink, &p, &n);
      zr_source *src;
      zr_source_memory_new(p, n, &src, &err);
      zr_stream_read_opts ro;
      zr_stream_read_opts_init(&ro);
      ro.alloc = &fa.a;
      zr_stream_reader *r = NULL;
      st = zr_stream_reader_new(src, &ro, &r, &err);
      zr_stream_chunk c;
      while (st == ZR_OK) st = zr_stream_reader_next_chunk(r, &c, &err);
      assert_true(st == ZR_ERR_EOF || st == ZR_ERR_NOMEM);
      zr_stream_reader_free(r);
      zr_source_free(src);
    } else {
      assert_int_equal(st, ZR_ERR_NOMEM);
    }
    assert_int_equal(fa.live, 0);
    zr_sink_free(sink);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip_sizes), cmocka_unit_test(test_chunk_boundaries),
      cmocka_unit_test(test_compression),     cmocka_unit_test(test_corruption),
      cmocka_unit_test(test_truncation),      cmocka_unit_test(test_sequence),
      cmocka_unit_test(test_start_at),        cmocka_unit_test(test_callback_source),
      cmocka_unit_test(test_not_a_stream),    cmocka_unit_test(test_arrow),
      cmocka_unit_test(test_backpressure),    cmocka_unit_test(test_failing_alloc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
