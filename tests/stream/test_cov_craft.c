/* The stream reader on hand-built streams: every header, frame, trailer and payload check gives
 * its own code, message and byte offset (docs/formats/stream.md), errors are sticky, a reader
 * over a callback source behaves like one over memory (skipping chunks, bytes after the trailer,
 * a read that fails after the trailer), and Arrow chunks that are not what their frames say are
 * refused by next_table and to_arrow. The checkpoint file reader refuses every damaged file. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zerial/arrow.h"
#include "zerial/binary.h"
#include "zerial/codec.h"
#include "stream/stream_internal.h"
#include "zr_test.h"

/* ---- a stream builder ---- */
typedef struct sb {
  uint8_t *d;
  size_t len, cap;
  uint64_t running, chunks, records;
} sb;

static void sb_put(sb *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 64;
    b->d = realloc(b->d, b->cap);
    assert_non_null(b->d);
  }
  if (n) memcpy(b->d + b->len, p, n);
  b->len += n;
}

static void sb_header(sb *b, int payload, int codec, uint64_t fp) {
  memset(b, 0, sizeof *b);
  uint8_t h[ZR_STREAM_HEADER_SIZE];
  zr__st_header_put(h, payload, codec, fp);
  b->running = zr__ld64le(h + 24);
  sb_put(b, h, sizeof h);
}

/* one frame with a correct checksum; chunk frames advance the chain */
static void sb_frame(sb *b, int type, int codec, uint64_t seq, const void *stored, uint32_t stored_len, uint32_t raw_len,
                     uint64_t records) {
  uint8_t h[ZR_STREAM_FRAME_HEADER_SIZE];
  zr__st_frame f = {(uint8_t)type, (uint8_t)codec, seq, stored_len, raw_len, records, 0};
  uint64_t seed = zr__st_frame_put(h, &f);
  uint64_t sum = zr_xxh3_64(stored, stored_len, seed);
  zr__st64le(h + 32, sum);
  sb_put(b, h, sizeof h);
  sb_put(b, stored, stored_len);
  if (type == ZR__ST_TYPE_CHUNK) {
    b->running = zr__st_chain(b->running, sum);
    b->chunks++;
    b->records += records;
  }
}

static void sb_chunk(sb *b, int codec, const void *stored, uint32_t stored_len, uint32_t raw_len, uint64_t records) {
  sb_frame(b, ZR__ST_TYPE_CHUNK, codec, b->chunks, stored, stored_len, raw_len, records);
}

/* a trailer; the fields can be overridden to make it lie */
typedef struct tr {
  int64_t chunks, records, bytes, seq, frecords;
  int bad_sum;
} tr;

static void sb_trailer_x(sb *b, tr x) {
  uint8_t t[ZR__ST_TRAILER_PAYLOAD];
  zr__st64le(t, x.chunks >= 0 ? (uint64_t)x.chunks : b->chunks);
  zr__st64le(t + 8, x.records >= 0 ? (uint64_t)x.records : b->records);
  zr__st64le(t + 16, x.bytes >= 0 ? (uint64_t)x.bytes : b->len);
  zr__st64le(t + 24, b->running ^ (x.bad_sum ? 1u : 0u));
  sb_frame(b, ZR__ST_TYPE_TRAILER, 0, x.seq >= 0 ? (uint64_t)x.seq : b->chunks, t, sizeof t, sizeof t,
           x.frecords >= 0 ? (uint64_t)x.frecords : b->records);
}

static void sb_trailer(sb *b) { sb_trailer_x(b, (tr){-1, -1, -1, -1, -1, 0}); }

/* records payload: u32 length + binary encoding of each value */
static void rec_append(sb *p, const zr_value *v) {
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(v, NULL, s, NULL), ZR_OK);
  const uint8_t *e;
  size_t n;
  zr_sink_memory_data(s, &e, &n);
  uint8_t l[4];
  zr__st32le(l, (uint32_t)n);
  sb_put(p, l, 4);
  sb_put(p, e, n);
  zr_sink_free(s);
}

/* ---- reading helpers ---- */
static zr_stream_reader *open_mem(const sb *b, const zr_stream_read_opts *o, zr_source **src) {
  assert_int_equal(zr_source_memory_new(b->d, b->len, src, NULL), ZR_OK);
  zr_stream_reader *r = NULL;
  zr_error e;
  zr_status st = zr_stream_reader_new(*src, o, &r, &e);
  if (st != ZR_OK) fail_msg("reader_new: %s", e.message);
  return r;
}

/* first error of next_chunk over the whole stream; checks it is sticky */
static zr_status chunks_until_error(const sb *b, const zr_stream_read_opts *o, uint64_t *good, zr_error *e) {
  zr_source *src;
  zr_stream_reader *r = open_mem(b, o, &src);
  zr_stream_chunk c;
  zr_status st;
  *good = 0;
  while ((st = zr_stream_reader_next_chunk(r, &c, e)) == ZR_OK) (*good)++;
  zr_error again;
  assert_int_equal(zr_stream_reader_next_chunk(r, &c, &again), st);
  assert_int_equal(again.offset, e->offset);
  assert_string_equal(again.message, e->message);
  assert_int_equal(zr_stream_reader_next_chunk(r, &c, NULL), st);
  zr_stream_reader_free(r);
  zr_source_free(src);
  return st;
}

static void expect_chunk_err(const sb *b, zr_status code, int64_t offset, const char *msg) {
  uint64_t good;
  zr_error e;
  zr_status st = chunks_until_error(b, NULL, &good, &e);
  if (st != code) fail_msg("expected %s, got %s (%s)", zr_status_name(code), zr_status_name(st), e.message);
  assert_int_equal(e.offset, offset);
  if (!strstr(e.message, msg)) fail_msg("message '%s' lacks '%s'", e.message, msg);
}

/* ---- tests ---- */

static void test_header_checks(void **state) {
  (void)state;
  zr_error e;
  zr_stream_reader *r = NULL;
  zr_source *src = NULL;
  assert_int_equal(zr_stream_reader_new(NULL, NULL, &r, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_memory_new("x", 1, &src, NULL), ZR_OK);
  assert_int_equal(zr_stream_reader_new(src, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_source_free(src);
  assert_int_equal(zr_stream_reader_open_file(NULL, NULL, &r, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_reader_open_file("/nonexistent-dir/x.zrs", NULL, &r, &e), ZR_ERR_NOT_FOUND);

  static const struct {
    const char *bytes;
    size_t len;
    zr_status code;
    int64_t offset;
    const char *msg;
  } cut[] = {
      {"ZRS", 3, ZR_ERR_TRUNCATED, 3, "stream truncated in its header (3 of 32 bytes)"},
      {"ZRST\x01\x01", 6, ZR_ERR_TRUNCATED, 6, "stream truncated in its header (6 of 32 bytes)"},
      {"PK\x03\x04zipzip", 10, ZR_ERR_FORMAT, 0, "not a zerial stream (magic)"},
      {"", 0, ZR_ERR_TRUNCATED, 0, "stream truncated in its header (0 of 32 bytes)"},
  };
  for (size_t i = 0; i < sizeof cut / sizeof *cut; i++) {
    assert_int_equal(zr_source_memory_new(cut[i].bytes, cut[i].len, &src, NULL), ZR_OK);
    zr_error_clear(&e);
    assert_int_equal(zr_stream_reader_new(src, NULL, &r, &e), cut[i].code);
    assert_null(r);
    assert_int_equal(e.offset, cut[i].offset);
    assert_string_equal(e.message, cut[i].msg);
    zr_source_free(src);
  }

  /* whole headers, each with one field wrong (checksum recomputed unless that is the fault) */
  for (int k = 0; k < 6; k++) {
    uint8_t h[ZR_STREAM_HEADER_SIZE];
    zr__st_header_put(h, ZR_STREAM_BINARY, 0, 77);
    zr_status want;
    int64_t off;
    switch (k) {
      case 0: h[0] = 'X'; want = ZR_ERR_FORMAT; off = 0; break;
      case 1: h[4] = 2; want = ZR_ERR_VERSION; off = 4; break;
      case 2: h[9] ^= 1; want = ZR_ERR_CHECKSUM; off = 24; break;
      case 3: h[5] = 3; want = ZR_ERR_MALFORMED; off = 5; break;
      case 4: h[5] = 0; want = ZR_ERR_MALFORMED; off = 5; break;
      default: h[6] = 4; want = ZR_ERR_MALFORMED; off = 6; break;
    }
    if (k != 2) zr__st64le(h + 24, zr_xxh3_64(h, 24, 0));
    assert_int_equal(zr_source_memory_new(h, sizeof h, &src, NULL), ZR_OK);
    zr_error_clear(&e);
    assert_int_equal(zr_stream_reader_new(src, NULL, &r, &e), want);
    assert_int_equal(e.offset, off);
    assert_true(e.message[0] != 0);
    zr_source_free(src);
    if (k == 1) assert_string_equal(e.message, "stream version 2 is not supported (this library reads 1)");
    if (k == 5) assert_string_equal(e.message, "unknown codec id 4");
  }
  /* a header alone: truncated before the first frame, at byte 32 */
  sb b;
  sb_header(&b, ZR_STREAM_BINARY, 0, 5);
  expect_chunk_err(&b, ZR_ERR_TRUNCATED, 32, "stream truncated at byte 32: 0 good chunks (0 records), no trailer");
  free(b.d);
}

static void test_frame_checks(void **state) {
  (void)state;
  uint8_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (int k = 0; k < 8; k++) {
    sb b;
    sb_header(&b, ZR_STREAM_BINARY, 0, 0);
    sb_chunk(&b, 0, payload, 8, 8, 1);
    size_t f = b.len; /* the second frame */
    sb_chunk(&b, 0, payload, 8, 8, 1);
    sb_trailer(&b);
    uint8_t *h = b.d + f;
    zr_status want = ZR_ERR_MALFORMED;
    int64_t off = (int64_t)f;
    const char *msg;
    switch (k) {
      case 0: h[0] = 'Y'; msg = "no frame magic at byte 80"; break;
      case 1: h[4] = 9; off += 4; msg = "unknown frame type 9"; break;
      case 2: h[5] = 4; off += 5; msg = "unknown codec id 4"; break;
      case 3: h[7] = 1; off += 6; msg = "reserved frame bytes are not zero"; break;
      case 4: zr__st32le(h + 20, 9); off += 16; msg = "uncompressed chunk with stored 8 != raw 9 bytes"; break;
      case 5: zr__st32le(h + 16, (1u << 30) + 1); zr__st32le(h + 20, (1u << 30) + 1); want = ZR_ERR_LIMIT; off += 16;
        msg = "chunk larger than 1 GiB"; break;
      case 6: zr__st64le(h + 8, 5); off += 8; msg = "chunk at byte 80 has sequence number 5, expected 1"; break;
      default: h[ZR_STREAM_FRAME_HEADER_SIZE] ^= 0x40; want = ZR_ERR_CHECKSUM; msg = "checksum mismatch in chunk 1 at byte 80"; break;
    }
    if (k == 6) { /* keep the frame checksum right so only the sequence is wrong */
      zr__st_frame fr;
      uint64_t seed;
      assert_int_equal(zr__st_frame_get(h, f, &fr, &seed, NULL), ZR_OK);
      zr__st64le(h + 32, zr_xxh3_64(h + ZR_STREAM_FRAME_HEADER_SIZE, 8, seed));
    }
    expect_chunk_err(&b, want, off, msg);
    free(b.d);
  }
  /* a trailer frame with a codec or the wrong length */
  for (int k = 0; k < 2; k++) {
    sb b;
    sb_header(&b, ZR_STREAM_BINARY, 0, 0);
    size_t f = b.len;
    sb_trailer(&b);
    if (k == 0) b.d[f + 5] = 1;
    else {
      zr__st32le(b.d + f + 16, 31);
      zr__st32le(b.d + f + 20, 31);
    }
    expect_chunk_err(&b, ZR_ERR_MALFORMED, (int64_t)f + 16, "malformed trailer frame");
    free(b.d);
  }
  /* a chunk above the reader's limit (stored or raw) */
  for (int k = 0; k < 2; k++) {
    sb b;
    sb_header(&b, ZR_STREAM_BINARY, 0, 0);
    uint8_t big[64] = {0};
    if (k == 0) sb_chunk(&b, 0, big, 64, 64, 1);
    else sb_chunk(&b, ZR_CODEC_LZ4, big, 10, 64, 1);
    sb_trailer(&b);
    zr_stream_read_opts o;
    zr_stream_read_opts_init(&o);
    o.max_chunk_bytes = 32;
    uint64_t good;
    zr_error e;
    assert_int_equal(chunks_until_error(&b, &o, &good, &e), ZR_ERR_LIMIT);
    assert_int_equal(e.offset, 48);
    assert_string_equal(e.message, k == 0 ? "chunk 0 of 64 stored / 64 raw bytes exceeds the limit"
                                          : "chunk 0 of 10 stored / 64 raw bytes exceeds the limit");
    /* a limit of 64 takes it (both lengths at the limit), unless the payload is bad */
    o.max_chunk_bytes = 64;
    zr_status st = chunks_until_error(&b, &o, &good, &e);
    if (k == 0) assert_int_equal(st, ZR_ERR_EOF);
    else assert_non_null(strstr(e.message, "chunk 0 at byte 32 does not decompress to its 64 bytes"));
    /* no limit asked (0), or one above 1 GiB: the defaults */
    o.max_chunk_bytes = k ? 0 : UINT64_MAX;
    assert_int_equal(chunks_until_error(&b, &o, &good, &e), st);
    free(b.d);
  }
}

static void test_trailer_checks(void **state) {
  (void)state;
  uint8_t payload[5] = {9, 9, 9, 9, 9};
  static const struct {
    tr x;
    zr_status code;
    const char *msg;
  } cases[] = {
      {{3, -1, -1, -1, -1, 0}, ZR_ERR_MALFORMED, "counts 3 chunks / 2 records / 122 bytes; the stream has 2 / 2 / 122"},
      {{-1, 7, -1, -1, -1, 0}, ZR_ERR_MALFORMED, "counts 2 chunks / 7 records"},
      {{-1, -1, 10, -1, -1, 0}, ZR_ERR_MALFORMED, "/ 10 bytes;"},
      {{-1, -1, -1, -1, 6, 0}, ZR_ERR_MALFORMED, "trailer at byte 122"},
      {{-1, -1, -1, -1, -1, 1}, ZR_ERR_CHECKSUM, "whole-stream checksum mismatch at the trailer (byte 122)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    sb b;
    sb_header(&b, ZR_STREAM_BINARY, 0, 0);
    sb_chunk(&b, 0, payload, 5, 5, 1);
    sb_chunk(&b, 0, payload, 5, 5, 1);
    assert_int_equal(b.len, 122);
    sb_trailer_x(&b, cases[i].x);
    expect_chunk_err(&b, cases[i].code, 122, cases[i].msg);
    free(b.d);
  }
  /* a trailer whose sequence number is not the next one */
  sb b;
  sb_header(&b, ZR_STREAM_BINARY, 0, 0);
  sb_chunk(&b, 0, payload, 5, 5, 1);
  sb_trailer_x(&b, (tr){-1, -1, -1, 4, -1, 0});
  expect_chunk_err(&b, ZR_ERR_MALFORMED, 77, "counts 1 chunks / 1 records / 77 bytes");
  free(b.d);
  /* trailer payload damaged: its checksum */
  sb_header(&b, ZR_STREAM_BINARY, 0, 0);
  sb_chunk(&b, 0, payload, 5, 5, 1);
  sb_trailer(&b);
  b.d[b.len - 3] ^= 1;
  expect_chunk_err(&b, ZR_ERR_CHECKSUM, 77, "trailer checksum mismatch at byte 77");
  b.d[b.len - 3] ^= 1;
  /* cut inside the trailer's payload: truncated at the trailer's frame */
  size_t full = b.len;
  b.len = full - 1;
  expect_chunk_err(&b, ZR_ERR_TRUNCATED, 77, "1 good chunks (1 records), no trailer");
  /* bytes after the trailer */
  b.len = full;
  sb_put(&b, "zz", 2);
  expect_chunk_err(&b, ZR_ERR_MALFORMED, (int64_t)full, "2 bytes after the trailer");
  free(b.d);
}

/* ---- callback sources ---- */
typedef struct csrc {
  const uint8_t *d;
  size_t len, pos, max_give;
  unsigned calls, fail_at;
} csrc;

static zr_status csrc_read(void *ud, void *buf, size_t cap, size_t *got) {
  csrc *c = ud;
  c->calls++;
  *got = 0;
  if (c->fail_at && c->calls >= c->fail_at) return ZR_ERR_IO;
  size_t n = c->len - c->pos;
  if (n > cap) n = cap;
  if (c->max_give && n > c->max_give) n = c->max_give;
  memcpy(buf, c->d + c->pos, n);
  c->pos += n;
  *got = n;
  return ZR_OK;
}

/* read every chunk through a callback source; returns the final status */
static zr_status cb_read(csrc *c, uint64_t start, uint64_t *seen, uint64_t *first_seq, zr_error *e) {
  zr_source *src;
  assert_int_equal(zr_source_callback_new(csrc_read, c, &src, NULL), ZR_OK);
  zr_stream_read_opts o;
  zr_stream_read_opts_init(&o);
  o.start_chunk = start;
  zr_stream_reader *r = NULL;
  zr_status st = zr_stream_reader_new(src, &o, &r, e);
  *seen = 0;
  *first_seq = UINT64_MAX;
  zr_stream_chunk ch;
  while (st == ZR_OK && (st = zr_stream_reader_next_chunk(r, &ch, e)) == ZR_OK) {
    if (*first_seq == UINT64_MAX) *first_seq = ch.seq;
    assert_int_equal(ch.len, 1000);
    assert_int_equal(ch.data[999], (uint8_t)ch.seq);
    (*seen)++;
  }
  zr_stream_info info;
  zr_stream_reader_info(r, &info);
  if (st == ZR_ERR_EOF) assert_true(info.complete);
  zr_stream_reader_free(r);
  zr_source_free(src);
  return st;
}

static void test_callback_source(void **state) {
  (void)state;
  sb b;
  sb_header(&b, ZR_STREAM_BINARY, 0, 0);
  uint8_t p[1000];
  for (int i = 0; i < 4; i++) {
    memset(p, i, sizeof p);
    sb_chunk(&b, 0, p, sizeof p, sizeof p, 10);
  }
  size_t body = b.len;
  sb_trailer(&b);
  uint64_t seen, first;
  zr_error e;
  /* skipping two chunks, 7 bytes per read (skip_bytes loops) */
  csrc c = {b.d, b.len, 0, 7, 0, 0};
  assert_int_equal(cb_read(&c, 2, &seen, &first, &e), ZR_ERR_EOF);
  assert_int_equal(seen, 2);
  assert_int_equal(first, 2);
  /* every cut: truncated (skipping or not), with the offset of the last good frame end */
  for (size_t cut = 33; cut < b.len; cut += 97) {
    for (uint64_t start = 0; start < 5; start += 4) {
      csrc t = {b.d, cut, 0, 300, 0, 0};
      assert_int_equal(cb_read(&t, start, &seen, &first, &e), ZR_ERR_TRUNCATED);
      assert_true(e.offset <= (int64_t)cut);
      assert_int_equal((e.offset - 32) % 1040, 0);
    }
  }
  /* a read failing anywhere, also while skipping and after the trailer */
  for (unsigned n = 1;; n++) {
    csrc f = {b.d, b.len, 0, 512, 0, n};
    zr_status st = cb_read(&f, 3, &seen, &first, &e);
    if (st == ZR_ERR_EOF) {
      assert_true(f.calls < n);
      break;
    }
    assert_int_equal(st, ZR_ERR_IO);
    assert_string_equal(e.message, "source callback failed: input/output error");
    assert_true(n < 100);
  }
  /* bytes after the trailer, seen through a callback source */
  sb_put(&b, "!", 1);
  csrc x = {b.d, b.len, 0, 0, 0, 0};
  assert_int_equal(cb_read(&x, 0, &seen, &first, &e), ZR_ERR_MALFORMED);
  assert_string_equal(e.message, "bytes after the trailer");
  assert_int_equal(e.offset, (int64_t)(body + 72));
  /* skipping a chunk cut short in a memory source */
  zr_stream_read_opts o;
  zr_stream_read_opts_init(&o);
  o.start_chunk = 9;
  sb cutb = b;
  cutb.len = 32 + 1040 + 500;
  uint64_t good;
  assert_int_equal(chunks_until_error(&cutb, &o, &good, &e), ZR_ERR_TRUNCATED);
  assert_int_equal(e.offset, 32 + 1040);
  assert_string_equal(e.message, "stream truncated at byte 1072: 1 good chunks (10 records), no trailer");
  free(b.d);
}

static void ipc_of(const char *field, int64_t rows, sb *out);

/* a callback source and a failing allocator: every buffer of the reader fails in turn */
static void test_callback_nomem(void **state) {
  (void)state;
  sb b;
  sb_header(&b, ZR_STREAM_ARROW, 0, 0);
  sb a;
  ipc_of("x", 4, &a);
  uint8_t c[2048];
  size_t cl = 0;
  assert_int_equal(zr_codec_compress(ZR_CODEC_ZSTD, 0, a.d, a.len, c, sizeof c, &cl, NULL), ZR_OK);
  sb_chunk(&b, ZR_CODEC_ZSTD, c, (uint32_t)cl, (uint32_t)a.len, 4);
  sb_chunk(&b, 0, a.d, (uint32_t)a.len, (uint32_t)a.len, 4);
  sb_trailer(&b);
  for (int mode = 0; mode < 2; mode++) {
    unsigned failures = 0;
    for (uint64_t n = 1;; n++) {
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, n);
      csrc cs = {b.d, b.len, 0, 100, 0, 0};
      zr_source *src;
      assert_int_equal(zr_source_callback_new(csrc_read, &cs, &src, NULL), ZR_OK);
      zr_stream_read_opts o;
      zr_stream_read_opts_init(&o);
      o.alloc = &fa.a;
      zr_stream_reader *r = NULL;
      zr_error e;
      zr_error_clear(&e);
      zr_status st = zr_stream_reader_new(src, &o, &r, &e);
      zr_sink *sink = NULL;
      uint64_t rows = 0;
      if (st == ZR_OK && mode == 0) {
        zr_table t;
        while ((st = zr_stream_reader_next_table(r, &t, &e)) == ZR_OK) {
          rows += (uint64_t)zr_table_num_rows(&t);
          zr_table_release(&t);
        }
        if (st == ZR_ERR_EOF) st = ZR_OK;
      } else if (st == ZR_OK) {
        assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
        st = zr_stream_reader_to_arrow(r, sink, &e);
        rows = 8;
      }
      zr_stream_reader_free(r);
      zr_source_free(src);
      zr_sink_free(sink);
      assert_int_equal(fa.live, 0);
      if (st == ZR_OK) {
        assert_int_equal(rows, 8);
        break;
      }
      if (st != ZR_ERR_NOMEM && st != ZR_ERR_LIMIT) fail_msg("mode %d alloc %llu: %s (%s)", mode, (unsigned long long)n, zr_status_name(st), e.message);
      failures++;
      assert_true(n < 500);
    }
    assert_true(failures >= 3);
  }
  free(a.d);
  free(b.d);
}

/* records inside a chunk that do not add up */
static void test_record_checks(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value one = zr_str_copy(d, "one", 3);
  zr_value two = zr_int(-2);
  for (int k = 0; k < 7; k++) {
    sb p = {0};
    rec_append(&p, &one);
    uint64_t nrec = 1;
    zr_status want = ZR_ERR_MALFORMED;
    int64_t off = 0;
    const char *msg = NULL;
    int codec = 0, decode_err = 0;
    switch (k) {
      case 0: nrec = 2; off = 72 + (int64_t)p.len; msg = "chunk 0 ends before record 1"; break;
      case 1: rec_append(&p, &two); msg = "chunk 0 has"; off = 32; break;
      case 2: zr__st32le(p.d, 100); off = 72; msg = "record 0 of 100 bytes overruns chunk 0"; break;
      case 3: p.len--; zr__st32le(p.d, (uint32_t)p.len - 4); decode_err = 1; break; /* the record cut short */
      case 4: codec = ZR_CODEC_LZ4; nrec = 2; off = 32; msg = "chunk 0 ends before record 1"; break;
      case 5: codec = ZR_CODEC_ZSTD; zr__st32le(p.d, 100); off = 32; msg = "overruns chunk 0"; break;
      default: codec = ZR_CODEC_GZIP; p.len--; zr__st32le(p.d, (uint32_t)p.len - 4); decode_err = 1; off = 32; break;
    }
    sb b;
    sb_header(&b, ZR_STREAM_BINARY, 0, 0);
    if (codec) {
      uint8_t c[512];
      size_t cl = 0;
      assert_int_equal(zr_codec_compress(codec, 0, p.d, p.len, c, sizeof c, &cl, NULL), ZR_OK);
      sb_chunk(&b, codec, c, (uint32_t)cl, (uint32_t)p.len, nrec);
    } else {
      sb_chunk(&b, 0, p.d, (uint32_t)p.len, (uint32_t)p.len, nrec);
    }
    sb_trailer(&b);
    zr_source *src;
    zr_stream_reader *r = open_mem(&b, NULL, &src);
    zr_doc *out = NULL;
    zr_error e;
    zr_status st = ZR_OK;
    uint64_t got = 0;
    while ((st = zr_stream_reader_next_value(r, NULL, &out, &e)) == ZR_OK) {
      got++;
      zr_doc_free(out);
    }
    assert_null(out);
    if (decode_err) { /* the binary decoder's error; the offset inside the record, or the frame's */
      assert_int_not_equal(st, ZR_ERR_EOF);
      assert_int_not_equal(st, ZR_OK);
      assert_true(e.message[0] != 0);
      if (codec) assert_int_equal(e.offset, off);
      else assert_true(e.offset >= 72 + 4 && e.offset < 72 + (int64_t)p.len);
    } else {
      if (st != want) fail_msg("case %d: %s (%s)", k, zr_status_name(st), e.message);
      assert_int_equal(e.offset, off);
      if (!strstr(e.message, msg)) fail_msg("case %d: '%s' lacks '%s'", k, e.message, msg);
    }
    /* sticky */
    zr_error e2;
    assert_int_equal(zr_stream_reader_next_value(r, NULL, &out, &e2), st);
    assert_int_equal(got, k == 0 || k == 1 || k == 4 ? 1 : 0);
    zr_stream_reader_free(r);
    zr_source_free(src);
    free(b.d);
    free(p.d);
  }
  zr_doc_free(d);
}

/* compressed chunks whose payload does not decompress to their raw length */
static void test_decompress_checks(void **state) {
  (void)state;
  uint8_t raw[300];
  for (size_t i = 0; i < sizeof raw; i++) raw[i] = (uint8_t)(i % 7);
  for (int k = 0; k < 4; k++) {
    int codec = k == 3 ? ZR_CODEC_GZIP : ZR_CODEC_ZSTD;
    uint8_t c[512];
    size_t cl = 0;
    assert_int_equal(zr_codec_compress(codec, 0, raw, sizeof raw, c, sizeof c, &cl, NULL), ZR_OK);
    uint32_t claim = sizeof raw;
    if (k == 0) claim = sizeof raw + 10; /* decompresses to fewer bytes */
    if (k == 1) claim = sizeof raw - 10; /* to more */
    if (k == 2) c[cl / 2] ^= 0x55;        /* garbage (the frame checksum is computed over it) */
    if (k == 3) cl -= 4;                   /* gzip without its trailer */
    sb b;
    sb_header(&b, ZR_STREAM_BINARY, codec, 0);
    sb_chunk(&b, codec, c, (uint32_t)cl, claim, 1);
    sb_trailer(&b);
    uint64_t good;
    zr_error e;
    zr_status st = chunks_until_error(&b, NULL, &good, &e);
    assert_int_equal(good, 0);
    assert_true(st == ZR_ERR_MALFORMED || st == ZR_ERR_CODEC || st == ZR_ERR_CHECKSUM || st == ZR_ERR_TRUNCATED);
    if (k <= 1) assert_int_equal(st, ZR_ERR_MALFORMED);
    assert_int_equal(e.offset, 32);
    char want[80];
    snprintf(want, sizeof want, "chunk 0 at byte 32 does not decompress to its %u bytes: ", claim);
    if (strncmp(e.message, want, strlen(want)) != 0) fail_msg("case %d: %s", k, e.message);
    if (k == 0) assert_string_equal(e.message + strlen(want), "size mismatch");
    free(b.d);
  }
}

/* ---- Arrow chunks ---- */
static void ipc_of(const char *field, int64_t rows, sb *out) {
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = zr_list_new(d, 0);
  for (int64_t i = 0; i < rows; i++) {
    zr_value m = zr_map_new(d, 1);
    zr_map_put_cstr(d, &m, field, zr_int(i));
    zr_list_push(d, &l, m);
  }
  zr_table t;
  zr_error e;
  assert_int_equal(zr_arrow_from_value(&l, NULL, &t, NULL, &e), ZR_OK);
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_arrow_write(&t, NULL, s, &e), ZR_OK);
  const uint8_t *p;
  size_t n;
  zr_sink_memory_data(s, &p, &n);
  memset(out, 0, sizeof *out);
  sb_put(out, p, n);
  zr_sink_free(s);
  zr_table_release(&t);
  zr_doc_free(d);
}

static zr_status to_arrow(const sb *b, zr_sink *sink, zr_error *e) {
  zr_source *src;
  zr_stream_reader *r = open_mem(b, NULL, &src);
  zr_status st = zr_stream_reader_to_arrow(r, sink, e);
  zr_stream_reader_free(r);
  zr_source_free(src);
  return st;
}

static zr_status fail_write(void *ud, const void *data, size_t len, size_t *written) {
  (void)data;
  (void)len;
  unsigned *left = ud;
  *written = 0;
  if (*left == 0) return ZR_ERR_IO;
  (*left)--;
  *written = len;
  return ZR_OK;
}

static void test_arrow_chunks(void **state) {
  (void)state;
  sb a, a2, c;
  ipc_of("x", 3, &a);
  ipc_of("x", 2, &a2);
  ipc_of("y", 3, &c);
  zr_error e;
  zr_sink *sink;
  /* a chunk claiming 5 rows holds 3 */
  sb b;
  sb_header(&b, ZR_STREAM_ARROW, 0, 0);
  sb_chunk(&b, 0, a.d, (uint32_t)a.len, (uint32_t)a.len, 5);
  sb_trailer(&b);
  zr_source *src;
  zr_stream_reader *r = open_mem(&b, NULL, &src);
  zr_table t;
  zr_doc *doc;
  assert_int_equal(zr_stream_reader_next_value(r, NULL, &doc, &e), ZR_ERR_STATE);
  assert_string_equal(e.message, "the stream holds Arrow batches");
  assert_int_equal(zr_stream_reader_next_table(r, &t, &e), ZR_ERR_MALFORMED);
  assert_string_equal(e.message, "chunk 0 holds 3 rows, its header says 5");
  assert_int_equal(e.offset, 32);
  assert_null(t.batches);
  zr_stream_reader_free(r);
  zr_source_free(src);
  free(b.d);
  /* a chunk that is not Arrow IPC: next_table and to_arrow both refuse it at the frame */
  sb_header(&b, ZR_STREAM_ARROW, 0, 0);
  sb_chunk(&b, 0, "not arrow ipc at all", 20, 20, 1);
  sb_trailer(&b);
  r = open_mem(&b, NULL, &src);
  assert_int_not_equal(zr_stream_reader_next_table(r, &t, &e), ZR_OK);
  assert_int_equal(e.offset, 32);
  zr_stream_reader_free(r);
  zr_source_free(src);
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  assert_int_equal(to_arrow(&b, sink, &e), ZR_ERR_MALFORMED);
  assert_string_equal(e.message, "chunk 0 is not a complete Arrow IPC stream");
  assert_int_equal(e.offset, 32);
  assert_int_equal(zr_sink_size(sink), 0);
  zr_sink_free(sink);
  free(b.d);
  /* an IPC stream without its end marker */
  sb_header(&b, ZR_STREAM_ARROW, 0, 0);
  sb_chunk(&b, 0, a.d, (uint32_t)a.len - 8, (uint32_t)a.len - 8, 3);
  sb_trailer(&b);
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  assert_int_equal(to_arrow(&b, sink, &e), ZR_ERR_MALFORMED);
  zr_sink_free(sink);
  free(b.d);
  /* a second chunk with another schema */
  sb_header(&b, ZR_STREAM_ARROW, 0, 0);
  sb_chunk(&b, 0, a.d, (uint32_t)a.len, (uint32_t)a.len, 3);
  sb_chunk(&b, 0, c.d, (uint32_t)c.len, (uint32_t)c.len, 3);
  sb_trailer(&b);
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  assert_int_equal(to_arrow(&b, sink, &e), ZR_ERR_INCOMPATIBLE);
  assert_string_equal(e.message, "chunk 1 has another schema than the first chunk");
  assert_int_equal(e.offset, (int64_t)(32 + 40 + a.len));
  zr_sink_free(sink);
  free(b.d);
  /* same schema, other batch: one IPC stream of 5 rows; a sink failing at each write */
  sb_header(&b, ZR_STREAM_ARROW, ZR_CODEC_NONE, 0);
  sb_chunk(&b, 0, a.d, (uint32_t)a.len, (uint32_t)a.len, 3);
  sb_chunk(&b, 0, a2.d, (uint32_t)a2.len, (uint32_t)a2.len, 2);
  sb_trailer(&b);
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  assert_int_equal(to_arrow(&b, sink, &e), ZR_OK);
  const uint8_t *ip;
  size_t il;
  zr_sink_memory_data(sink, &ip, &il);
  assert_int_equal(zr_arrow_read(ip, il, NULL, &t, &e), ZR_OK);
  assert_int_equal(zr_table_num_rows(&t), 5);
  zr_table_release(&t);
  zr_sink_free(sink);
  for (unsigned ok_writes = 0; ok_writes < 3; ok_writes++) {
    unsigned left = ok_writes;
    assert_int_equal(zr_sink_callback_new(fail_write, &left, &sink, NULL), ZR_OK);
    assert_int_equal(to_arrow(&b, sink, &e), ZR_ERR_IO);
    zr_sink_free(sink);
  }
  /* binary streams refuse the Arrow calls */
  sb bin;
  sb_header(&bin, ZR_STREAM_BINARY, 0, 0);
  sb_trailer(&bin);
  r = open_mem(&bin, NULL, &src);
  assert_int_equal(zr_stream_reader_next_table(r, &t, &e), ZR_ERR_STATE);
  assert_string_equal(e.message, "the stream holds binary records");
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  assert_int_equal(zr_stream_reader_to_arrow(r, sink, &e), ZR_ERR_STATE);
  assert_int_equal(zr_stream_reader_to_arrow(r, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_reader_to_arrow(NULL, sink, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_reader_next_table(NULL, &t, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_reader_next_table(r, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_reader_next_value(NULL, NULL, &doc, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_reader_next_value(r, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_stream_chunk ch;
  assert_int_equal(zr_stream_reader_next_chunk(NULL, &ch, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_reader_next_chunk(r, NULL, &e), ZR_ERR_INVALID_ARG);
  /* the empty stream ends at once; EOF is sticky even without an error struct */
  assert_int_equal(zr_stream_reader_next_value(r, NULL, &doc, NULL), ZR_ERR_EOF);
  assert_int_equal(zr_stream_reader_next_value(r, NULL, &doc, &e), ZR_ERR_EOF);
  assert_string_equal(e.message, "end of stream");
  zr_stream_info info;
  zr_stream_reader_info(r, &info);
  assert_true(info.complete);
  assert_int_equal(info.offset, bin.len);
  zr_stream_reader_info(NULL, &info);
  assert_int_equal(info.payload, 0);
  zr_stream_reader_info(r, NULL);
  zr_sink_free(sink);
  zr_stream_reader_free(r);
  zr_stream_reader_free(NULL);
  zr_source_free(src);
  free(bin.d);
  free(b.d);
  free(a.d);
  free(a2.d);
  free(c.d);
}

/* ---- checkpoint files ---- */
static void put_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  if (n) assert_int_equal(fwrite(p, 1, n, f), n);
  fclose(f);
}

static void test_checkpoint_files(void **state) {
  (void)state;
  char path[512], tmp[600];
  snprintf(path, sizeof path, "%s/cov_craft.ckpt", zr_test_tmpdir());
  zr_stream_checkpoint cp, back;
  zr_error e;
  assert_int_equal(zr_stream_checkpoint_read(NULL, &cp, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_checkpoint_read(path, NULL, &e), ZR_ERR_INVALID_ARG);
  unlink(path);
  assert_int_equal(zr_stream_checkpoint_read(path, &cp, &e), ZR_ERR_NOT_FOUND);
  /* a path through a regular file: not ENOENT, an I/O error naming the file */
  snprintf(tmp, sizeof tmp, "%s/cov_craft.ckpt/x", zr_test_tmpdir());
  put_file(path, "x", 1);
  assert_int_equal(zr_stream_checkpoint_read(tmp, &cp, &e), ZR_ERR_IO);
  assert_non_null(strstr(e.message, "checkpoint open"));
  assert_non_null(strstr(e.message, "Not a directory"));
  /* written and read back, with and without fsync */
  memset(&cp, 0, sizeof cp);
  cp.chunks = 3;
  cp.records = 40;
  cp.offset = 1234;
  cp.position = 99;
  cp.checksum = 0xabcdef;
  cp.fingerprint = 42;
  for (int sync = 0; sync < 2; sync++) {
    assert_int_equal(zr__st_ckpt_write(path, &cp, sync, &e), ZR_OK);
    assert_int_equal(zr_stream_checkpoint_read(path, &back, &e), ZR_OK);
    assert_int_equal(back.chunks, 3);
    assert_int_equal(back.records, 40);
    assert_int_equal(back.offset, 1234);
    assert_int_equal(back.position, 99);
    assert_int_equal(back.checksum, 0xabcdef);
    assert_int_equal(back.fingerprint, 42);
    assert_int_equal(back.from_checkpoint, 1);
    assert_int_equal(back.resumed, 0);
  }
  /* a checkpoint beside a file in the current directory (no slash in the path) */
  assert_int_equal(zr__st_ckpt_write("cov_craft_rel.ckpt", &cp, 1, &e), ZR_OK);
  assert_int_equal(zr_stream_checkpoint_read("cov_craft_rel.ckpt", &back, &e), ZR_OK);
  assert_int_equal(back.offset, 1234);
  unlink("cov_craft_rel.ckpt");
  /* the temporary file cannot be created (a directory is in the way): nothing is left behind */
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  assert_int_equal(mkdir(tmp, 0755), 0);
  assert_int_equal(zr__st_ckpt_write(path, &cp, 1, &e), ZR_ERR_IO);
  assert_non_null(strstr(e.message, "checkpoint create"));
  assert_non_null(strstr(e.message, ".ckpt.tmp"));
  assert_int_equal(zr_stream_checkpoint_read(path, &back, &e), ZR_OK); /* the old one is intact */
  rmdir(tmp);
  /* the rename fails (the checkpoint path is a non-empty directory): the temporary file is removed */
  unlink(path);
  assert_int_equal(mkdir(path, 0755), 0);
  snprintf(tmp, sizeof tmp, "%s/keep", path);
  put_file(tmp, "k", 1);
  assert_int_equal(zr__st_ckpt_write(path, &cp, 0, &e), ZR_ERR_IO);
  assert_non_null(strstr(e.message, "checkpoint rename"));
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  assert_int_not_equal(access(tmp, F_OK), 0);
  snprintf(tmp, sizeof tmp, "%s/keep", path);
  unlink(tmp);
  rmdir(path);
  /* damaged files */
  assert_int_equal(zr__st_ckpt_write(path, &cp, 0, &e), ZR_OK);
  size_t len;
  uint8_t *good = zr_test_read_file(path, &len);
  assert_int_equal(len, ZR__ST_CKPT_SIZE);
  uint8_t b[ZR__ST_CKPT_SIZE + 1];
  for (int k = 0; k < 6; k++) {
    memcpy(b, good, len);
    memset(b + len, 0, 1);
    size_t n = len;
    zr_status want;
    int64_t off;
    switch (k) {
      case 0: n = 10; want = ZR_ERR_MALFORMED; off = 10; break;
      case 1: n = len + 1; want = ZR_ERR_MALFORMED; off = 73; break;
      case 2: n = 0; want = ZR_ERR_MALFORMED; off = 0; break;
      case 3: b[1] = 'X'; want = ZR_ERR_MALFORMED; off = 0; break;
      case 4: b[4] = 2; want = ZR_ERR_VERSION; off = 4; break;
      default: b[20] ^= 1; want = ZR_ERR_CHECKSUM; off = 64; break;
    }
    put_file(path, b, n);
    zr_error_clear(&e);
    assert_int_equal(zr_stream_checkpoint_read(path, &back, &e), want);
    assert_int_equal(e.offset, off);
    assert_non_null(strstr(e.message, path));
  }
  free(good);
  unlink(path);
}

/* the resume scan: the last whole chunk before any cut or damage; complete only with a trailer
 * that matches */
static void test_scan(void **state) {
  (void)state;
  sb b;
  sb_header(&b, ZR_STREAM_BINARY, 0, 31);
  uint8_t p[50];
  size_t ends[4];
  for (int i = 0; i < 3; i++) {
    memset(p, 'a' + i, sizeof p);
    sb_chunk(&b, 0, p, sizeof p, sizeof p, 2);
    ends[i] = b.len;
  }
  uint64_t running = b.running;
  sb_trailer(&b);
  zr_stream_checkpoint cp;
  int complete, payload;
  zr_error e;
  for (size_t cut = 0; cut <= b.len; cut++) {
    zr_error_clear(&e);
    assert_int_equal(zr__st_scan(b.d, cut, &cp, &complete, &payload, &e), ZR_OK);
    uint64_t whole = 0;
    while (whole < 3 && ends[whole] <= cut) whole++;
    assert_int_equal(cp.chunks, whole);
    assert_int_equal(cp.records, 2 * whole);
    assert_int_equal(cp.offset, cut < ZR_STREAM_HEADER_SIZE ? 0 : whole ? ends[whole - 1] : ZR_STREAM_HEADER_SIZE);
    assert_int_equal(cp.position, ZR_STREAM_POSITION_UNKNOWN);
    assert_int_equal(complete, cut == b.len);
    if (cut >= ZR_STREAM_HEADER_SIZE) assert_int_equal(cp.fingerprint, 31);
  }
  assert_int_equal(cp.checksum, running);
  assert_int_equal(payload, ZR_STREAM_BINARY);
  /* damage in the second chunk: its header, its sequence number, its payload */
  for (int k = 0; k < 3; k++) {
    sb c = b;
    c.d = malloc(b.len);
    memcpy(c.d, b.d, b.len);
    uint8_t *h = c.d + ends[0];
    if (k == 0) h[4] = 7;
    if (k == 1) {
      zr__st64le(h + 8, 9);
      zr__st_frame fr;
      uint64_t seed;
      assert_int_equal(zr__st_frame_get(h, 0, &fr, &seed, NULL), ZR_OK);
      zr__st64le(h + 32, zr_xxh3_64(h + ZR_STREAM_FRAME_HEADER_SIZE, fr.stored, seed));
    }
    if (k == 2) h[ZR_STREAM_FRAME_HEADER_SIZE + 3] ^= 1;
    assert_int_equal(zr__st_scan(c.d, c.len, &cp, &complete, &payload, &e), ZR_OK);
    assert_int_equal(cp.chunks, 1);
    assert_int_equal(cp.offset, ends[0]);
    assert_false(complete);
    free(c.d);
  }
  /* a stored length past the end of the data */
  sb c = b;
  c.d = malloc(b.len);
  memcpy(c.d, b.d, b.len);
  zr__st32le(c.d + ends[1] + 16, 5000);
  zr__st32le(c.d + ends[1] + 20, 5000);
  assert_int_equal(zr__st_scan(c.d, c.len, &cp, &complete, &payload, &e), ZR_OK);
  assert_int_equal(cp.chunks, 2);
  free(c.d);
  /* trailers that do not match the chunks: not complete, every chunk kept */
  static const tr lies[] = {{5, -1, -1, -1, -1, 0}, {-1, 9, -1, -1, -1, 0}, {-1, -1, 3, -1, -1, 0}, {-1, -1, -1, -1, -1, 1}};
  for (size_t i = 0; i < sizeof lies / sizeof *lies; i++) {
    sb t;
    sb_header(&t, ZR_STREAM_ARROW, 0, 0);
    sb_chunk(&t, 0, p, sizeof p, sizeof p, 4);
    sb_trailer_x(&t, lies[i]);
    assert_int_equal(zr__st_scan(t.d, t.len, &cp, &complete, &payload, &e), ZR_OK);
    assert_false(complete);
    assert_int_equal(cp.chunks, 1);
    assert_int_equal(payload, ZR_STREAM_ARROW);
    free(t.d);
  }
  /* a damaged header is the caller's error, with or without an error struct */
  b.d[4] = 9;
  assert_int_equal(zr__st_scan(b.d, b.len, &cp, &complete, &payload, &e), ZR_ERR_VERSION);
  assert_int_equal(e.offset, 4);
  assert_int_equal(zr__st_scan(b.d, b.len, &cp, &complete, &payload, NULL), ZR_ERR_VERSION);
  /* the header check fills only what is asked for */
  uint8_t h[ZR_STREAM_HEADER_SIZE];
  zr__st_header_put(h, ZR_STREAM_ARROW, ZR_CODEC_LZ4, 5);
  assert_int_equal(zr__st_header_get(h, NULL, NULL, NULL, NULL), ZR_OK);
  free(b.d);
}

/* errors met without an error struct are still sticky, and a later call with one gets a message */
static void test_errors_without_err(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value one = zr_str_copy(d, "one", 3);
  sb p = {0};
  rec_append(&p, &one);
  p.len--;
  zr__st32le(p.d, (uint32_t)p.len - 4); /* the record cut short: a decode error */
  for (int codec = 0; codec <= ZR_CODEC_LZ4; codec += ZR_CODEC_LZ4) {
    sb b;
    sb_header(&b, ZR_STREAM_BINARY, codec, 0);
    if (codec) {
      uint8_t c[256];
      size_t cl = 0;
      assert_int_equal(zr_codec_compress(codec, 0, p.d, p.len, c, sizeof c, &cl, NULL), ZR_OK);
      sb_chunk(&b, codec, c, (uint32_t)cl, (uint32_t)p.len, 1);
    } else {
      sb_chunk(&b, 0, p.d, (uint32_t)p.len, (uint32_t)p.len, 1);
    }
    sb_trailer(&b);
    zr_source *src;
    zr_stream_reader *r = open_mem(&b, NULL, &src);
    zr_doc *out = NULL;
    zr_status st = zr_stream_reader_next_value(r, NULL, &out, NULL);
    assert_int_not_equal(st, ZR_OK);
    zr_error e;
    assert_int_equal(zr_stream_reader_next_value(r, NULL, &out, &e), st);
    assert_true(e.message[0] != 0);
    zr_stream_reader_free(r);
    zr_source_free(src);
    free(b.d);
  }
  /* a truncated stream and a bad chunk, first seen without an error struct */
  sb b;
  sb_header(&b, ZR_STREAM_BINARY, 0, 0);
  sb_chunk(&b, 0, "abcd", 4, 4, 1);
  size_t full = b.len;
  b.len = full - 1;
  zr_source *src;
  zr_stream_reader *r = open_mem(&b, NULL, &src);
  zr_stream_chunk ch;
  assert_int_equal(zr_stream_reader_next_chunk(r, &ch, NULL), ZR_ERR_TRUNCATED);
  zr_error e;
  assert_int_equal(zr_stream_reader_next_chunk(r, &ch, &e), ZR_ERR_TRUNCATED);
  assert_int_equal(e.offset, 32); /* the full error, as if the first call had asked for it */
  assert_string_equal(e.message, "stream truncated at byte 32: 0 good chunks (0 records), no trailer");
  zr_stream_reader_free(r);
  zr_source_free(src);
  free(b.d);
  /* an Arrow chunk that is not IPC, seen by next_table without an error struct */
  sb_header(&b, ZR_STREAM_ARROW, 0, 0);
  sb_chunk(&b, 0, "nope", 4, 4, 1);
  sb_trailer(&b);
  r = open_mem(&b, NULL, &src);
  zr_table t;
  zr_status st = zr_stream_reader_next_table(r, &t, NULL);
  assert_int_not_equal(st, ZR_OK);
  assert_int_equal(zr_stream_reader_next_table(r, &t, &e), st);
  zr_stream_reader_free(r);
  zr_source_free(src);
  free(b.d);
  free(p.d);
  zr_doc_free(d);
}

/* chunks that are almost an Arrow IPC stream */
static void test_ipc_shapes(void **state) {
  (void)state;
  sb a, longer;
  ipc_of("x", 3, &a);
  ipc_of("a_much_longer_field_name", 3, &longer);
  uint32_t sl = zr__ld32le(a.d + 4) + 8; /* the schema message */
  uint8_t huge[16] = {0xFF, 0xFF, 0xFF, 0xFF, 0xF0, 0xFF, 0xFF, 0x00};
  struct {
    const uint8_t *p;
    uint32_t n;
  } bad[] = {
      {(const uint8_t *)"\xFF\xFF", 2},   /* shorter than a message prefix */
      {huge, sizeof huge},                 /* a message longer than the chunk */
      {a.d, sl},                           /* the schema alone, no end marker */
      {a.d, sl + 4},                       /* … and half a marker */
  };
  zr_error e;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    sb b;
    sb_header(&b, ZR_STREAM_ARROW, 0, 0);
    sb_chunk(&b, 0, bad[i].p, bad[i].n, bad[i].n, 1);
    sb_trailer(&b);
    zr_sink *sink;
    assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
    assert_int_equal(to_arrow(&b, sink, &e), ZR_ERR_MALFORMED);
    assert_string_equal(e.message, "chunk 0 is not a complete Arrow IPC stream");
    zr_sink_free(sink);
    free(b.d);
  }
  /* a second schema of another length */
  sb b;
  sb_header(&b, ZR_STREAM_ARROW, 0, 0);
  sb_chunk(&b, 0, a.d, (uint32_t)a.len, (uint32_t)a.len, 3);
  sb_chunk(&b, 0, longer.d, (uint32_t)longer.len, (uint32_t)longer.len, 3);
  sb_trailer(&b);
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  assert_int_equal(to_arrow(&b, sink, &e), ZR_ERR_INCOMPATIBLE);
  zr_sink_free(sink);
  free(b.d);
  free(a.d);
  free(longer.d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header_checks),     cmocka_unit_test(test_frame_checks),
      cmocka_unit_test(test_trailer_checks),    cmocka_unit_test(test_callback_source),
      cmocka_unit_test(test_record_checks),     cmocka_unit_test(test_decompress_checks),
      cmocka_unit_test(test_arrow_chunks),      cmocka_unit_test(test_checkpoint_files),
      cmocka_unit_test(test_scan),              cmocka_unit_test(test_errors_without_err),
      cmocka_unit_test(test_ipc_shapes),        cmocka_unit_test(test_callback_nomem),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
