/* The stream writer's options, misuse and state errors, sticky sink errors, chunks that do not
 * compress, records larger than a chunk, the memory budget under backpressure, compression
 * threads with a one-slot ring, and file writers: every way an existing file is continued (from
 * the checkpoint, by scanning, refused without touching the file), checkpoints that cannot be
 * written, finishing against a sink that pushes back. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stream_test_util.h"
#include "zerial/arrow.h"
#include "zerial/codec.h"
#include "stream/stream_internal.h"

static zr_status new_writer(zr_sink *sink, void (*tweak)(zr_stream_opts *), zr_stream_writer **w, zr_error *e) {
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  if (tweak) tweak(&o);
  return zr_stream_writer_new(sink, &o, w, e);
}

static void o_payload(zr_stream_opts *o) { o->payload = 7; }
static void o_codec_neg(zr_stream_opts *o) { o->codec = -1; }
static void o_codec_big(zr_stream_opts *o) { o->codec = 4; }
static void o_level(zr_stream_opts *o) { o->codec = ZR_CODEC_ZSTD; o->level = 1000; }
static void o_threads(zr_stream_opts *o) { o->threads = 65; }
static void o_inflight(zr_stream_opts *o) { o->max_inflight = 1025; }
static void o_chunk(zr_stream_opts *o) { o->chunk_bytes = ((size_t)1 << 29) + 1; o->mem_budget = (size_t)4 << 30; }
static void o_budget(zr_stream_opts *o) { o->chunk_bytes = 1000; o->mem_budget = 3999; }

static void test_options(void **state) {
  (void)state;
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  static const struct {
    void (*tweak)(zr_stream_opts *);
    const char *msg;
  } bad[] = {
      {o_payload, "unknown stream payload 7"},
      {o_codec_neg, "unknown codec id -1"},
      {o_codec_big, "unknown codec id 4"},
      {o_level, NULL},
      {o_threads, "at most 64 compression threads"},
      {o_inflight, "max_inflight above 1024"},
      {o_chunk, "chunk_bytes above 512 MiB"},
      {o_budget, "mem_budget 3999 is below four chunks (1000 bytes each)"},
  };
  zr_error e;
  zr_stream_writer *w = (zr_stream_writer *)&e;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    zr_error_clear(&e);
    zr_status st = new_writer(sink, bad[i].tweak, &w, &e);
    if (bad[i].msg) {
      assert_int_equal(st, ZR_ERR_CONFIG);
      assert_string_equal(e.message, bad[i].msg);
    } else {
      assert_int_not_equal(st, ZR_OK);
      assert_true(e.message[0] != 0);
    }
    assert_null(w);
  }
  /* the budget at exactly four chunks is fine; zero fields take their defaults */
  assert_int_equal(new_writer(sink, NULL, &w, &e), ZR_OK);
  zr_stream_writer_free(w);
  zr_stream_opts o;
  memset(&o, 0, sizeof o);
  o.chunk_bytes = 1000;
  o.mem_budget = 4000;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &e), ZR_OK);
  zr_stream_writer_free(w);
  memset(&o, 0, sizeof o); /* every field zero: every default */
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &e), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK);
  zr_stream_writer_free(w);
  assert_int_equal(zr_stream_writer_new(NULL, NULL, &w, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "sink or out is NULL");
  assert_int_equal(zr_stream_writer_new(sink, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_sink_free(sink);
  zr_stream_opts_init(NULL);
  zr_stream_read_opts_init(NULL);
}

static void test_misuse(void **state) {
  (void)state;
  zr_error e;
  zr_value one = zr_int(1);
  assert_int_equal(zr_stream_writer_write_value(NULL, &one, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "writer is NULL");
  assert_int_equal(zr_stream_writer_write_batch(NULL, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_writer_poll(NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_writer_flush(NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_writer_finish(NULL, &e), ZR_ERR_INVALID_ARG);
  zr_stream_writer_set_position(NULL, 5);
  zr_stream_stats s;
  memset(&s, 0xff, sizeof s);
  zr_stream_writer_stats(NULL, &s);
  assert_int_equal(s.chunks, 0);
  zr_stream_writer_free(NULL);

  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  zr_stream_writer *w;
  assert_int_equal(new_writer(sink, NULL, &w, &e), ZR_OK);
  zr_stream_writer_stats(w, NULL);
  assert_int_equal(zr_stream_writer_write_value(w, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "value is NULL");
  /* a value the binary format refuses is not taken, and the writer goes on */
  zr_value bad = zr_null();
  bad.kind = ZR_KIND_TENSOR;
  bad.u.tensor = NULL;
  assert_int_equal(zr_stream_writer_write_value(w, &bad, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "tensor value without a tensor");
  struct ArrowSchema sch;
  struct ArrowArray arr;
  memset(&sch, 0, sizeof sch);
  memset(&arr, 0, sizeof arr);
  assert_int_equal(zr_stream_writer_write_batch(w, &sch, &arr, &e), ZR_ERR_STATE);
  assert_string_equal(e.message, "this writer holds binary chunks");
  assert_int_equal(zr_stream_writer_write_value(w, &one, &e), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK); /* again: nothing to do */
  assert_int_equal(zr_stream_writer_write_value(w, &one, &e), ZR_ERR_STATE);
  assert_string_equal(e.message, "the stream is finished");
  zr_stream_writer_stats(w, &s);
  assert_int_equal(s.records, 1);
  assert_int_equal(s.chunks, 1);
  zr_stream_writer_free(w);
  zr_sink_free(sink);
  const uint8_t *b;
  size_t n;

  /* an Arrow writer refuses values and released or missing batches */
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.payload = ZR_STREAM_ARROW;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &e), ZR_OK);
  assert_int_equal(zr_stream_writer_write_value(w, &one, &e), ZR_ERR_STATE);
  assert_string_equal(e.message, "this writer holds Arrow chunks");
  assert_int_equal(zr_stream_writer_write_batch(w, NULL, &arr, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_writer_write_batch(w, &sch, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_writer_write_batch(w, &sch, &arr, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "schema or batch is NULL or released");
  sch.release = (void (*)(struct ArrowSchema *))1; /* never called: the batch is refused first */
  assert_int_equal(zr_stream_writer_write_batch(w, &sch, &arr, &e), ZR_ERR_INVALID_ARG);
  sch.release = NULL;
  /* an empty Arrow stream: header and trailer only */
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK);
  zr_stream_writer_free(w);
  zr_sink_memory_data(sink, &b, &n);
  assert_int_equal(n, ZR_STREAM_HEADER_SIZE + ZR_STREAM_FRAME_HEADER_SIZE + ZR__ST_TRAILER_PAYLOAD);
  zr_sink_free(sink);
}

/* ---- sinks ---- */
typedef struct ctl {
  int block;          /* answer ZR_WOULD_BLOCK */
  unsigned fail_at;   /* fail this call (0: never) */
  unsigned calls;
  uint8_t *buf;
  size_t len, cap;
} ctl;

static zr_status ctl_write(void *ud, const void *data, size_t len, size_t *written) {
  ctl *c = ud;
  c->calls++;
  *written = 0;
  if (c->fail_at && c->calls == c->fail_at) return ZR_ERR_NOSPACE;
  if (c->block) return ZR_WOULD_BLOCK;
  if (c->len + len > c->cap) {
    c->cap = (c->len + len) * 2;
    c->buf = realloc(c->buf, c->cap);
  }
  memcpy(c->buf + c->len, data, len);
  c->len += len;
  *written = len;
  return ZR_OK;
}

static void test_sticky_sink_error(void **state) {
  (void)state;
  ctl c = {0, 2, 0, NULL, 0, 0};
  zr_sink *sink;
  assert_int_equal(zr_sink_callback_new(ctl_write, &c, &sink, NULL), ZR_OK);
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.chunk_records = 2;
  zr_stream_writer *w;
  zr_error e;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &e), ZR_OK);
  zr_status st = st_write_range(w, 0, 5, &e); /* the header goes out, the first chunk fails */
  assert_int_equal(st, ZR_ERR_NOSPACE);
  assert_string_equal(e.message, "sink callback failed: no space left on device");
  zr_error e2;
  zr_value one = zr_int(1);
  assert_int_equal(zr_stream_writer_write_value(w, &one, &e2), ZR_ERR_NOSPACE);
  assert_string_equal(e2.message, e.message);
  assert_int_equal(zr_stream_writer_flush(w, &e2), ZR_ERR_NOSPACE);
  assert_int_equal(zr_stream_writer_poll(w, &e2), ZR_ERR_NOSPACE);
  assert_int_equal(zr_stream_writer_finish(w, &e2), ZR_ERR_NOSPACE);
  assert_int_equal(zr_stream_writer_finish(w, NULL), ZR_ERR_NOSPACE);
  assert_int_equal(zr_stream_writer_write_value(w, &one, NULL), ZR_ERR_NOSPACE);
  zr_stream_writer_free(w);
  zr_sink_free(sink);
  assert_int_equal(c.len, ZR_STREAM_HEADER_SIZE);
  free(c.buf);
}

/* chunks that do not get smaller are stored raw; a record larger than a chunk gets its own */
static void test_raw_chunks(void **state) {
  (void)state;
  uint64_t seed = 99;
  zr_doc *d = zr_doc_new(NULL);
  uint8_t noise[3000];
  for (size_t i = 0; i < sizeof noise; i++) noise[i] = (uint8_t)zr_test_rand(&seed);
  zr_value big = zr_bin_ref(noise, sizeof noise);
  zr_value small = zr_bin_ref(noise, 100);
  static const int codecs[] = {ZR_CODEC_LZ4, ZR_CODEC_ZSTD, ZR_CODEC_GZIP};
  for (size_t k = 0; k < 3; k++) {
    zr_sink *sink;
    assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
    zr_stream_opts o;
    zr_stream_opts_init(&o);
    o.codec = codecs[k];
    o.chunk_bytes = 1024;
    zr_stream_writer *w;
    zr_error e;
    assert_int_equal(zr_stream_writer_new(sink, &o, &w, &e), ZR_OK);
    assert_int_equal(zr_stream_writer_write_value(w, &small, &e), ZR_OK);
    assert_int_equal(zr_stream_writer_write_value(w, &big, &e), ZR_OK);  /* seals the small one */
    assert_int_equal(zr_stream_writer_write_value(w, &small, &e), ZR_OK); /* seals the big one */
    assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK);
    zr_stream_stats s;
    zr_stream_writer_stats(w, &s);
    assert_int_equal(s.chunks, 3);
    assert_int_equal(s.records, 3);
    zr_stream_writer_free(w);
    const uint8_t *b;
    size_t n;
    zr_sink_memory_data(sink, &b, &n);
    zr_source *src;
    assert_int_equal(zr_source_memory_new(b, n, &src, NULL), ZR_OK);
    zr_stream_reader *r;
    assert_int_equal(zr_stream_reader_new(src, NULL, &r, &e), ZR_OK);
    zr_stream_chunk c;
    size_t lens[3] = {0};
    for (int i = 0; i < 3; i++) {
      assert_int_equal(zr_stream_reader_next_chunk(r, &c, &e), ZR_OK);
      assert_int_equal(c.codec, ZR_CODEC_NONE); /* random bytes: no gain, stored raw */
      assert_int_equal(c.records, 1);
      lens[i] = c.len;
    }
    assert_true(lens[1] > 3000 && lens[0] < 200 && lens[2] == lens[0]);
    assert_int_equal(zr_stream_reader_next_chunk(r, &c, &e), ZR_ERR_EOF);
    zr_stream_reader_free(r);
    zr_source_free(src);
    zr_sink_free(sink);
  }
  zr_doc_free(d);
}

/* a sink that pushes back: writes are refused once the ring or the budget is full, nothing is
 * lost, and finish keeps answering ZR_WOULD_BLOCK until the sink takes everything */
static void test_budget_backpressure(void **state) {
  (void)state;
  for (int variant = 0; variant < 3; variant++) {
    ctl c = {1, 0, 0, NULL, 0, 0};
    zr_sink *sink;
    assert_int_equal(zr_sink_callback_new(ctl_write, &c, &sink, NULL), ZR_OK);
    zr_stream_opts o;
    zr_stream_opts_init(&o);
    o.chunk_bytes = 512;
    o.mem_budget = 4 * 512 + (variant == 1 ? 1500 : 0);
    o.max_inflight = variant == 2 ? 2 : 64;
    o.codec = variant == 1 ? ZR_CODEC_LZ4 : ZR_CODEC_NONE;
    o.threads = variant == 2 ? 1 : 0;
    zr_stream_writer *w;
    zr_error e;
    assert_int_equal(zr_stream_writer_new(sink, &o, &w, &e), ZR_OK);
    uint64_t taken = 0, refused = 0;
    zr_status st = ZR_OK;
    for (uint64_t i = 0; i < 400 && refused == 0; i++) {
      zr_doc *d = zr_doc_new(NULL);
      zr_value v = st_record(d, i);
      st = zr_stream_writer_write_value(w, &v, &e);
      zr_doc_free(d);
      if (st == ZR_WOULD_BLOCK) refused++;
      else assert_int_equal(st, ZR_OK), taken++;
    }
    assert_int_equal(refused, 1);
    zr_stream_stats s;
    zr_stream_writer_stats(w, &s);
    assert_true(s.would_block >= 1);
    assert_true(s.peak_buffered >= s.buffered && s.buffered > 0);
    assert_int_equal(zr_stream_writer_poll(w, &e), ZR_WOULD_BLOCK);
    assert_int_equal(zr_stream_writer_finish(w, &e), ZR_WOULD_BLOCK);
    assert_int_equal(zr_stream_writer_finish(w, &e), ZR_WOULD_BLOCK);
    c.block = 0;
    int rounds = 0;
    while ((st = zr_stream_writer_finish(w, &e)) == ZR_WOULD_BLOCK) assert_true(++rounds < 1000);
    assert_int_equal(st, ZR_OK);
    assert_int_equal(zr_sink_flush(sink, &e), ZR_OK);
    zr_stream_writer_free(w);
    zr_sink_free(sink);
    st_expect_all(c.buf, c.len, taken);
    free(c.buf);
  }
}

/* compression threads with a one-slot ring: each seal waits for the previous chunk's worker */
static void test_threads_small_ring(void **state) {
  (void)state;
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.threads = 2;
  o.max_inflight = 1;
  o.chunk_records = 3;
  o.codec = ZR_CODEC_ZSTD;
  zr_stream_writer *w;
  zr_error e;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &e), ZR_OK);
  assert_int_equal(st_write_range(w, 0, 100, &e), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK);
  zr_stream_stats s;
  zr_stream_writer_stats(w, &s);
  assert_int_equal(s.chunks, 34);
  assert_int_equal(s.peak_inflight, 1);
  zr_stream_writer_free(w);
  st_expect_sink(sink, 100);
  zr_sink_free(sink);
}

/* a sink that blocks, then fails: the parked bytes cannot go out, the error is sticky; a sink
 * failing the header or the trailer of an empty stream */
typedef struct bf {
  int mode; /* 0: take, 1: would block, 2: fail, 3: take the first call only, then would block */
  unsigned calls, fail_at;
} bf;

static zr_status bf_write(void *ud, const void *data, size_t len, size_t *written) {
  (void)data;
  bf *b = ud;
  b->calls++;
  *written = 0;
  if (b->fail_at && b->calls == b->fail_at) return ZR_ERR_IO;
  if (b->mode == 1 || (b->mode == 3 && b->calls > 1)) return ZR_WOULD_BLOCK;
  if (b->mode == 2) return ZR_ERR_IO;
  *written = len;
  return ZR_OK;
}

static void test_sink_faults(void **state) {
  (void)state;
  bf b = {1, 0, 0};
  zr_sink *sink;
  assert_int_equal(zr_sink_callback_new(bf_write, &b, &sink, NULL), ZR_OK);
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.chunk_records = 1;
  zr_stream_writer *w;
  zr_error e;
  assert_int_equal(zr_stream_writer_new(sink, &o, &w, &e), ZR_OK);
  assert_int_equal(st_write_range(w, 0, 3, &e), ZR_OK);
  assert_int_equal(zr_stream_writer_poll(w, &e), ZR_WOULD_BLOCK);
  b.mode = 2;
  assert_int_equal(zr_stream_writer_poll(w, &e), ZR_ERR_IO);
  assert_string_equal(e.message, "sink callback failed: input/output error");
  assert_int_equal(zr_stream_writer_poll(w, NULL), ZR_ERR_IO);
  zr_error e2;
  assert_int_equal(zr_stream_writer_flush(w, &e2), ZR_ERR_IO);
  assert_string_equal(e2.message, e.message);
  zr_stream_writer_free(w);
  zr_sink_free(sink);
  /* the trailer is parked by a blocked sink, which then fails: finish reports it, for good */
  bf pk = {0, 0, 0};
  assert_int_equal(zr_sink_callback_new(bf_write, &pk, &sink, NULL), ZR_OK);
  assert_int_equal(zr_stream_writer_new(sink, NULL, &w, &e), ZR_OK);
  pk.mode = 3; /* the header goes out at finish (call 1); the trailer is parked */
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_WOULD_BLOCK);
  pk.mode = 2;
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_ERR_IO);
  assert_string_equal(e.message, "sink callback failed: input/output error");
  assert_int_equal(zr_stream_writer_finish(w, &e2), ZR_ERR_IO);
  zr_stream_writer_free(w);
  zr_sink_free(sink);
  /* an empty stream: the header (call 1) or the trailer (call 2) fails at finish */
  for (unsigned at = 1; at <= 2; at++) {
    bf f = {0, 0, at};
    assert_int_equal(zr_sink_callback_new(bf_write, &f, &sink, NULL), ZR_OK);
    assert_int_equal(zr_stream_writer_new(sink, NULL, &w, &e), ZR_OK);
    assert_int_equal(zr_stream_writer_finish(w, &e), ZR_ERR_IO);
    /* a second finish does not claim success for a stream without its trailer */
    assert_int_equal(zr_stream_writer_finish(w, &e2), ZR_ERR_IO);
    assert_string_equal(e2.message, e.message);
    assert_int_equal(f.calls, at);
    zr_stream_writer_free(w);
    zr_sink_free(sink);
  }
}

/* the writer's own allocations fail one by one, also with compression threads and without an
 * error struct: ZR_ERR_NOMEM, nothing left allocated, no thread left running */
static void test_writer_nomem(void **state) {
  (void)state;
  for (unsigned threads = 0; threads <= 2; threads += 2) {
    for (uint64_t n = 1;; n++) {
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, n);
      zr_sink *sink;
      assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
      zr_stream_opts o;
      zr_stream_opts_init(&o);
      o.alloc = &fa.a;
      o.threads = threads;
      o.chunk_records = 4;
      o.codec = threads ? ZR_CODEC_LZ4 : ZR_CODEC_NONE;
      zr_stream_writer *w = NULL;
      zr_error e;
      zr_error_clear(&e);
      zr_status st = zr_stream_writer_new(sink, &o, &w, &e);
      if (st == ZR_OK) {
        st = st_write_range(w, 0, 10, NULL); /* no error struct */
        if (st == ZR_OK) st = zr_stream_writer_finish(w, NULL);
        if (st != ZR_OK) {
          /* a sticky error still has a message for a caller asking later (a record that could
           * not be encoded was only not taken) */
          zr_status st2 = zr_stream_writer_flush(w, &e);
          assert_true(st2 == ZR_OK || st2 == st);
          if (st2 != ZR_OK) assert_string_equal(e.message, "out of memory");
        }
      } else {
        assert_null(w);
        assert_string_equal(e.message, "out of memory");
      }
      zr_stream_writer_free(w);
      zr_sink_free(sink);
      assert_int_equal(fa.live, 0);
      if (st == ZR_OK) {
        assert_true(fa.calls < n);
        break;
      }
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_true(n < 1000);
    }
  }
}

/* ---- file writers ---- */
static char g_path[512], g_ckpt[600];

static void set_path(const char *name) {
  snprintf(g_path, sizeof g_path, "%s/%s", zr_test_tmpdir(), name);
  snprintf(g_ckpt, sizeof g_ckpt, "%s.ckpt", g_path);
  unlink(g_path);
  unlink(g_ckpt);
}

static void file_opts(zr_stream_opts *o) {
  zr_stream_opts_init(o);
  o->chunk_records = 10;
  o->checkpoint_every = 2;
  o->no_sync = 1;
}

/* write records [0, n) with positions, flush, and drop the writer without finishing (a crash) */
static void write_unfinished(uint64_t n, int no_sync, unsigned every) {
  zr_stream_opts o;
  file_opts(&o);
  o.no_sync = no_sync;
  o.checkpoint_every = every;
  zr_stream_writer *w;
  zr_error e;
  zr_stream_checkpoint cp;
  assert_int_equal(zr_stream_writer_open_file(g_path, &o, 0, &w, &cp, &e), ZR_OK);
  assert_int_equal(cp.resumed, 0);
  for (uint64_t i = 0; i < n; i++) {
    assert_int_equal(st_write_range(w, i, i + 1, &e), ZR_OK);
    zr_stream_writer_set_position(w, i + 1);
  }
  assert_int_equal(zr_stream_writer_flush(w, &e), ZR_OK);
  zr_stream_writer_free(w);
}

static uint64_t file_size(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0 ? (uint64_t)sb.st_size : UINT64_MAX;
}

/* continue the file from its cut and check the whole: records 0..n-1 in order */
static void resume_and_check(uint64_t n, zr_stream_checkpoint *cp_out) {
  zr_stream_opts o;
  file_opts(&o);
  zr_stream_writer *w;
  zr_error e;
  zr_stream_checkpoint cp;
  assert_int_equal(zr_stream_writer_open_file(g_path, &o, 1, &w, &cp, &e), ZR_OK);
  uint64_t from = cp.resumed ? (cp.position != ZR_STREAM_POSITION_UNKNOWN ? cp.position : cp.records) : 0;
  assert_int_equal(file_size(g_path), cp.resumed ? cp.offset : 0);
  assert_int_equal(st_write_range(w, from, n, &e), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK);
  zr_stream_writer_free(w);
  assert_int_not_equal(access(g_ckpt, F_OK), 0);
  size_t len;
  uint8_t *data = zr_test_read_file(g_path, &len);
  st_expect_all(data, len, n);
  free(data);
  if (cp_out) *cp_out = cp;
}

static void put_bytes(const char *p, const void *b, size_t n) {
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  if (n) assert_int_equal(fwrite(b, 1, n, f), n);
  fclose(f);
}

/* open_file(append) must fail with @p code, leaving the file as it was */
static void refuse_append(const zr_stream_opts *o, zr_status code, const char *msg) {
  size_t before_len;
  uint8_t *before = zr_test_read_file(g_path, &before_len);
  zr_stream_writer *w = NULL;
  zr_error e;
  zr_stream_checkpoint cp;
  zr_status st = zr_stream_writer_open_file(g_path, o, 1, &w, &cp, &e);
  if (st != code) fail_msg("expected %s, got %s (%s)", zr_status_name(code), zr_status_name(st), e.message);
  assert_null(w);
  if (msg && !strstr(e.message, msg)) fail_msg("'%s' lacks '%s'", e.message, msg);
  size_t after_len;
  uint8_t *after = zr_test_read_file(g_path, &after_len);
  assert_int_equal(after_len, before_len);
  if (before_len) assert_memory_equal(after, before, before_len);
  free(before);
  free(after);
}

static void test_file_resume(void **state) {
  (void)state;
  zr_stream_checkpoint cp;
  zr_stream_opts o;
  zr_stream_writer *w;
  zr_error e;
  assert_int_equal(zr_stream_writer_open_file(NULL, NULL, 0, &w, &cp, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_stream_writer_open_file("x", NULL, 0, NULL, &cp, &e), ZR_ERR_INVALID_ARG);
  char nodir[600];
  snprintf(nodir, sizeof nodir, "%s/no-such-dir/out.zrs", zr_test_tmpdir());
  assert_int_equal(zr_stream_writer_open_file(nodir, NULL, 1, &w, &cp, &e), ZR_ERR_NOT_FOUND);
  assert_non_null(strstr(e.message, "open "));
  assert_non_null(strstr(e.message, "no-such-dir/out.zrs"));

  /* from the checkpoint: 47 records in 5 chunks, checkpoint after chunk 4 */
  set_path("cov_resume.zrs");
  write_unfinished(47, 1, 2);
  zr_stream_checkpoint ck;
  assert_int_equal(zr_stream_checkpoint_read(g_ckpt, &ck, &e), ZR_OK);
  assert_int_equal(ck.chunks, 4);
  assert_int_equal(ck.records, 40);
  assert_int_equal(ck.position, 40);
  resume_and_check(60, &cp);
  assert_int_equal(cp.resumed, 1);
  assert_int_equal(cp.from_checkpoint, 1);
  assert_int_equal(cp.chunks, 4);
  assert_int_equal(cp.offset, ck.offset);

  /* a checkpoint that does not sit on a frame boundary, of another schema, or past the end: scan */
  for (int k = 0; k < 3; k++) {
    set_path("cov_resume.zrs");
    write_unfinished(47, 1, 2);
    assert_int_equal(zr_stream_checkpoint_read(g_ckpt, &ck, &e), ZR_OK);
    if (k == 0) ck.offset += 1;
    if (k == 1) ck.fingerprint ^= 1;
    if (k == 2) ck.offset = file_size(g_path) + 40;
    assert_int_equal(zr__st_ckpt_write(g_ckpt, &ck, 0, &e), ZR_OK);
    resume_and_check(50, &cp);
    assert_int_equal(cp.resumed, 1);
    assert_int_equal(cp.from_checkpoint, 0);
    assert_int_equal(cp.chunks, 5); /* the scan finds every whole chunk */
    assert_int_equal(cp.records, 47);
    assert_int_equal(cp.position, ZR_STREAM_POSITION_UNKNOWN);
  }

  /* everything checkpointed (the cut is the end of the file), with fsync on */
  set_path("cov_resume.zrs");
  write_unfinished(30, 0, 1);
  resume_and_check(35, &cp);
  assert_int_equal(cp.from_checkpoint, 1);
  assert_int_equal(cp.chunks, 3);

  /* a complete stream: refused from the scan and from a checkpoint at the trailer */
  set_path("cov_done.zrs");
  file_opts(&o);
  o.checkpoint_every = 1;
  assert_int_equal(zr_stream_writer_open_file(g_path, &o, 0, &w, &cp, &e), ZR_OK);
  assert_int_equal(st_write_range(w, 0, 20, &e), ZR_OK);
  assert_int_equal(zr_stream_writer_flush(w, &e), ZR_OK);
  size_t cklen;
  uint8_t *ckbytes = zr_test_read_file(g_ckpt, &cklen);
  assert_non_null(ckbytes);
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK);
  zr_stream_writer_free(w);
  refuse_append(&o, ZR_ERR_EXISTS, "is already a complete stream");
  put_bytes(g_ckpt, ckbytes, cklen);
  refuse_append(&o, ZR_ERR_EXISTS, "is already a complete stream");
  free(ckbytes);
  /* … but a checkpoint at the trailer of another stream's checksum is not trusted: the scan decides */
  assert_int_equal(zr_stream_checkpoint_read(g_ckpt, &ck, &e), ZR_OK);
  ck.checksum ^= 1;
  assert_int_equal(zr__st_ckpt_write(g_ckpt, &ck, 0, &e), ZR_OK);
  refuse_append(&o, ZR_ERR_EXISTS, "is already a complete stream");

  /* another payload, another fingerprint */
  set_path("cov_other.zrs");
  write_unfinished(15, 1, 2);
  file_opts(&o);
  o.payload = ZR_STREAM_ARROW;
  refuse_append(&o, ZR_ERR_INCOMPATIBLE, "holds binary chunks; cannot append arrow chunks");
  file_opts(&o);
  o.schema_fingerprint = 7;
  refuse_append(&o, ZR_ERR_INCOMPATIBLE, "schema fingerprint 0000000000000000 of ");
  /* bad options: refused before the file is opened, with or without append */
  file_opts(&o);
  o.codec = 9;
  refuse_append(&o, ZR_ERR_CONFIG, "unknown codec id 9");
  size_t keep_len;
  uint8_t *keep = zr_test_read_file(g_path, &keep_len);
  assert_int_equal(zr_stream_writer_open_file(g_path, &o, 0, &w, &cp, &e), ZR_ERR_CONFIG);
  assert_int_equal(file_size(g_path), keep_len);
  free(keep);
  /* NULL options continue a binary stream */
  assert_int_equal(zr_stream_writer_open_file(g_path, NULL, 1, &w, NULL, &e), ZR_OK);
  zr_stream_writer_free(w);

  /* files that are not streams, or whose header is damaged or of another version: untouched */
  set_path("cov_foreign.zrs");
  file_opts(&o);
  put_bytes(g_path, "hello", 5);
  refuse_append(&o, ZR_ERR_FORMAT, "not a zerial stream; refusing to append");
  uint8_t h[ZR_STREAM_HEADER_SIZE + 10];
  memset(h, 0, sizeof h);
  zr__st_header_put(h, ZR_STREAM_BINARY, 0, 0);
  h[4] = 2; /* a newer version */
  zr__st64le(h + 24, zr_xxh3_64(h, 24, 0));
  put_bytes(g_path, h, sizeof h);
  refuse_append(&o, ZR_ERR_VERSION, "the existing output's stream header: stream version 2 is not supported");
  zr__st_header_put(h, ZR_STREAM_BINARY, 0, 0);
  h[12] ^= 1;
  put_bytes(g_path, h, sizeof h);
  refuse_append(&o, ZR_ERR_CHECKSUM, "stream header checksum mismatch; refusing to append");
  memset(h, 0, sizeof h);
  put_bytes(g_path, h, sizeof h);
  refuse_append(&o, ZR_ERR_FORMAT, "not a zerial stream");
  /* torn headers (a prefix of a header) and empty files start over */
  static const size_t torn[] = {0, 2, 4, 31};
  for (size_t i = 0; i < sizeof torn / sizeof *torn; i++) {
    set_path("cov_torn.zrs");
    zr__st_header_put(h, ZR_STREAM_BINARY, 0, 0);
    put_bytes(g_path, h, torn[i]);
    resume_and_check(12, &cp);
    assert_int_equal(cp.resumed, 0);
    assert_int_equal(cp.offset, 0);
  }
  /* a header and nothing else: resumed at byte 32 */
  set_path("cov_torn.zrs");
  zr__st_header_put(h, ZR_STREAM_BINARY, 0, 0);
  put_bytes(g_path, h, ZR_STREAM_HEADER_SIZE);
  resume_and_check(12, &cp);
  assert_int_equal(cp.resumed, 1);
  assert_int_equal(cp.chunks, 0);
  assert_int_equal(cp.offset, ZR_STREAM_HEADER_SIZE);
  unlink(g_path);
}

/* checkpoints that cannot be written: the writer's error is sticky and names the file */
static void test_checkpoint_failure(void **state) {
  (void)state;
  set_path("cov_ckfail.zrs");
  char tmp[700];
  snprintf(tmp, sizeof tmp, "%s.tmp", g_ckpt);
  rmdir(tmp);
  assert_int_equal(mkdir(tmp, 0755), 0);
  zr_stream_opts o;
  file_opts(&o);
  o.checkpoint_every = 1;
  o.no_sync = 0;
  zr_stream_writer *w;
  zr_error e;
  assert_int_equal(zr_stream_writer_open_file(g_path, &o, 0, &w, NULL, &e), ZR_OK);
  zr_status st = st_write_range(w, 0, 25, &e);
  assert_int_equal(st, ZR_ERR_IO);
  assert_non_null(strstr(e.message, "checkpoint create"));
  assert_non_null(strstr(e.message, "Is a directory"));
  zr_error e2;
  assert_int_equal(zr_stream_writer_finish(w, &e2), ZR_ERR_IO);
  assert_string_equal(e2.message, e.message);
  zr_stream_stats s;
  zr_stream_writer_stats(w, &s);
  assert_int_equal(s.checkpoints, 0);
  zr_stream_writer_free(w);
  rmdir(tmp);
  unlink(g_path);
  unlink(g_ckpt);
}

/* a device that refuses every byte (ENOSPC): flush, checkpoints and finish report it; a device
 * cannot be truncated for append; a directory cannot be opened */
static void test_devices(void **state) {
  (void)state;
  zr_error e;
  zr_stream_writer *w;
  zr_stream_opts o;
  char dir[600];
  snprintf(dir, sizeof dir, "%s", zr_test_tmpdir());
  assert_int_equal(zr_stream_writer_open_file(dir, NULL, 0, &w, NULL, &e), ZR_ERR_IO);
  assert_non_null(strstr(e.message, "Is a directory"));
  struct stat sb;
  if (stat("/dev/full", &sb) != 0 || !S_ISCHR(sb.st_mode)) {
    print_message("no /dev/full: skipped\n");
    return;
  }
  for (int k = 0; k < 2; k++) {
    file_opts(&o);
    o.checkpoint_every = k ? 1 : 1000;
    assert_int_equal(zr_stream_writer_open_file("/dev/full", &o, 0, &w, NULL, &e), ZR_OK);
    zr_status st = st_write_range(w, 0, k ? 12 : 5, &e);
    if (st == ZR_OK) st = zr_stream_writer_flush(w, &e);
    assert_int_equal(st, ZR_ERR_NOSPACE);
    assert_non_null(strstr(e.message, "No space left on device"));
    assert_int_equal(zr_stream_writer_finish(w, &e), ZR_ERR_NOSPACE);
    zr_stream_writer_free(w);
  }
  file_opts(&o);
  assert_int_equal(zr_stream_writer_open_file("/dev/full", &o, 1, &w, NULL, &e), ZR_ERR_IO);
  assert_non_null(strstr(e.message, "truncate /dev/full"));
  /* an empty stream: header and trailer fail when finish flushes them */
  assert_int_equal(zr_stream_writer_open_file("/dev/full", &o, 0, &w, NULL, &e), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_ERR_NOSPACE);
  zr_stream_writer_free(w);
  /* a device that takes every byte and cannot be synced (EINVAL): finish succeeds */
  if (stat("/dev/zero", &sb) == 0 && S_ISCHR(sb.st_mode)) {
    file_opts(&o);
    o.no_sync = 0;
    o.checkpoint_every = 1000; /* no checkpoint file beside a device */
    assert_int_equal(zr_stream_writer_open_file("/dev/zero", &o, 0, &w, NULL, &e), ZR_OK);
    assert_int_equal(st_write_range(w, 0, 30, &e), ZR_OK);
    assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK);
    zr_stream_stats s;
    zr_stream_writer_stats(w, &s);
    assert_int_equal(s.records, 30);
    zr_stream_writer_free(w);
  }
}

/* checkpoints that cannot be used (before the header, past the end), a damaged trailer at the
 * checkpoint's cut, Arrow files continued (their schema hash kept) and refused for binary */
static void test_resume_edges(void **state) {
  (void)state;
  zr_stream_checkpoint ck, cp;
  zr_error e;
  for (int k = 0; k < 2; k++) {
    set_path("cov_edges.zrs");
    write_unfinished(25, 1, 1);
    assert_int_equal(zr_stream_checkpoint_read(g_ckpt, &ck, &e), ZR_OK);
    ck.offset = k ? file_size(g_path) - 2 : 10;
    assert_int_equal(zr__st_ckpt_write(g_ckpt, &ck, 0, &e), ZR_OK);
    resume_and_check(30, &cp);
    assert_int_equal(cp.from_checkpoint, 0);
    assert_int_equal(cp.chunks, 3);
  }
  /* a finished stream whose trailer is damaged (payload, or the frame type) at the checkpoint's cut:
   * the trailer is cut away and the stream continued */
  for (int k = 0; k < 2; k++) {
    set_path("cov_edges.zrs");
    zr_stream_opts o;
    file_opts(&o);
    o.checkpoint_every = 1;
    zr_stream_writer *w;
    assert_int_equal(zr_stream_writer_open_file(g_path, &o, 0, &w, NULL, &e), ZR_OK);
    for (uint64_t i = 0; i < 20; i++) {
      assert_int_equal(st_write_range(w, i, i + 1, &e), ZR_OK);
      zr_stream_writer_set_position(w, i + 1);
    }
    assert_int_equal(zr_stream_writer_flush(w, &e), ZR_OK);
    size_t cklen;
    uint8_t *ckb = zr_test_read_file(g_ckpt, &cklen);
    assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK);
    zr_stream_writer_free(w);
    put_bytes(g_ckpt, ckb, cklen);
    free(ckb);
    size_t len;
    uint8_t *data = zr_test_read_file(g_path, &len);
    if (k == 0) data[len - 1] ^= 1;
    else data[len - ZR_STREAM_FRAME_HEADER_SIZE - ZR__ST_TRAILER_PAYLOAD + 4] = ZR__ST_TYPE_CHUNK;
    put_bytes(g_path, data, len);
    free(data);
    resume_and_check(26, &cp);
    assert_int_equal(cp.from_checkpoint, 1);
    assert_int_equal(cp.position, 20);
  }
  /* Arrow: a file writer continued keeps the first schema's hash; binary cannot be appended */
  set_path("cov_arrow.zrs");
  zr_doc *d = zr_doc_new(NULL);
  zr_value rows = zr_list_new(d, 0);
  for (int i = 0; i < 5; i++) {
    zr_value m = zr_map_new(d, 1);
    zr_map_put_cstr(d, &m, "v", zr_int(i));
    zr_list_push(d, &rows, m);
  }
  zr_table t;
  assert_int_equal(zr_arrow_from_value(&rows, NULL, &t, NULL, &e), ZR_OK);
  zr_stream_opts o;
  file_opts(&o);
  o.payload = ZR_STREAM_ARROW;
  o.checkpoint_every = 1;
  zr_stream_writer *w;
  assert_int_equal(zr_stream_writer_open_file(g_path, &o, 0, &w, NULL, &e), ZR_OK);
  assert_int_equal(zr_stream_writer_write_batch(w, &t.schema, &t.batches[0], &e), ZR_OK);
  assert_int_equal(zr_stream_writer_write_batch(w, &t.schema, &t.batches[0], &e), ZR_OK);
  assert_int_equal(zr_stream_writer_flush(w, &e), ZR_OK);
  zr_stream_writer_free(w);
  zr_stream_reader *r;
  zr_stream_info info;
  assert_int_equal(zr_stream_reader_open_file(g_path, NULL, &r, &e), ZR_OK);
  zr_stream_reader_info(r, &info);
  uint64_t fp = info.fingerprint;
  assert_int_not_equal(fp, 0);
  zr_stream_reader_free(r);
  file_opts(&o);
  refuse_append(&o, ZR_ERR_INCOMPATIBLE, "holds arrow chunks; cannot append binary chunks");
  o.payload = ZR_STREAM_ARROW;
  o.schema_fingerprint = fp; /* the same fingerprint: fine */
  assert_int_equal(zr_stream_writer_open_file(g_path, &o, 1, &w, &cp, &e), ZR_OK);
  assert_int_equal(cp.chunks, 2);
  assert_int_equal(zr_stream_writer_write_batch(w, &t.schema, &t.batches[0], &e), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK);
  zr_stream_writer_free(w);
  assert_int_equal(zr_stream_reader_open_file(g_path, NULL, &r, &e), ZR_OK);
  zr_table back;
  int batches = 0;
  while (zr_stream_reader_next_table(r, &back, &e) == ZR_OK) {
    assert_int_equal(zr_table_num_rows(&back), 5);
    zr_table_release(&back);
    batches++;
  }
  assert_int_equal(e.code, ZR_ERR_EOF);
  zr_stream_reader_info(r, &info);
  assert_int_equal(info.fingerprint, fp);
  assert_true(info.complete);
  zr_stream_reader_free(r);
  assert_int_equal(batches, 3);
  /* options with every field zero continue a binary stream */
  set_path("cov_zero_opts.zrs");
  write_unfinished(12, 1, 1);
  memset(&o, 0, sizeof o);
  assert_int_equal(zr_stream_writer_open_file(g_path, &o, 1, &w, &cp, &e), ZR_OK);
  assert_int_equal(cp.chunks, 2);
  zr_stream_writer_free(w);
  /* an Arrow writer given a fingerprint keeps it (no schema hash) */
  zr_sink *ms;
  assert_int_equal(zr_sink_memory_new(NULL, &ms, NULL), ZR_OK);
  zr_stream_opts_init(&o);
  o.payload = ZR_STREAM_ARROW;
  o.schema_fingerprint = 0xabc;
  assert_int_equal(zr_stream_writer_new(ms, &o, &w, &e), ZR_OK);
  assert_int_equal(zr_stream_writer_write_batch(w, &t.schema, &t.batches[0], &e), ZR_OK);
  assert_int_equal(zr_stream_writer_finish(w, &e), ZR_OK);
  zr_stream_writer_free(w);
  const uint8_t *mb;
  size_t mn;
  zr_sink_memory_data(ms, &mb, &mn);
  zr_source *msrc;
  assert_int_equal(zr_source_memory_new(mb, mn, &msrc, NULL), ZR_OK);
  assert_int_equal(zr_stream_reader_new(msrc, NULL, &r, &e), ZR_OK);
  zr_stream_reader_info(r, &info);
  assert_int_equal(info.fingerprint, 0xabc);
  /* the whole stream as Arrow IPC, without an error struct */
  zr_sink *ipc;
  assert_int_equal(zr_sink_memory_new(NULL, &ipc, NULL), ZR_OK);
  assert_int_equal(zr_stream_reader_to_arrow(r, ipc, NULL), ZR_OK);
  assert_true(zr_sink_size(ipc) > 0);
  zr_sink_free(ipc);
  zr_stream_reader_free(r);
  zr_source_free(msrc);
  zr_sink_free(ms);
  set_path("cov_arrow.zrs");
  /* a reader over a file that is not a stream */
  put_bytes(g_path, "not a stream at all, not at all", 31);
  r = (zr_stream_reader *)&e;
  assert_int_equal(zr_stream_reader_open_file(g_path, NULL, &r, &e), ZR_ERR_FORMAT);
  assert_null(r);
  assert_int_equal(zr_stream_reader_open_file(g_path, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  unlink(g_path);
  zr_table_release(&t);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_options),          cmocka_unit_test(test_misuse),
      cmocka_unit_test(test_sticky_sink_error), cmocka_unit_test(test_raw_chunks),
      cmocka_unit_test(test_budget_backpressure), cmocka_unit_test(test_threads_small_ring),
      cmocka_unit_test(test_file_resume),      cmocka_unit_test(test_checkpoint_failure),
      cmocka_unit_test(test_sink_faults),      cmocka_unit_test(test_writer_nomem),
      cmocka_unit_test(test_devices),          cmocka_unit_test(test_resume_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
