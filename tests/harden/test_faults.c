/* Fault injection across the library:
 * - allocation failure at every site (fail the n-th allocation for n = 1, 2, … until the call
 *   succeeds) for every format's decoder and encoder, the envelope, the codecs and the manager:
 *   each failure is ZR_ERR_NOMEM (or ZR_ERR_LIMIT where the arena reports its limit) with a
 *   message, nothing leaks (the allocator counts live blocks; ASan checks the rest);
 * - short reads and writes: callback sinks taking 1 byte per call, sources giving 1 byte;
 * - EINTR from read(2)/write(2) and ENOSPC from write(2) (both injected by interposing the
 *   libc functions in this executable), a real /dev/full, and the atomic file sink leaving no
 *   file behind;
 * - ftruncate(2) failing with ENOSPC under a shared-memory region: nothing published, no region
 *   left. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "harden.h"
#include "zerial/arrow.h"
#include "zerial/codec.h"
#include "zerial/envelope.h"
#include "zerial/serialize.h"
#include "zerial/shm.h"

/* ------------------------------------------------------------------ libc interposition */

static int inj_read_eintr;      /* read(): every other call fails with EINTR */
static int inj_write_eintr;     /* write(): every other call fails with EINTR */
static int inj_write_errno;     /* write() to fds > 2 fails with this errno (0: off) */
static int inj_ftruncate_errno; /* ftruncate() fails with this errno (0: off) */
static unsigned long inj_count, inj_fired;

ssize_t read(int fd, void *buf, size_t n) {
  static ssize_t (*real)(int, void *, size_t);
  if (!real) real = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
  if (inj_read_eintr && fd > 2 && (inj_count++ & 1) == 0) {
    inj_fired++;
    errno = EINTR;
    return -1;
  }
  return real(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n) {
  static ssize_t (*real)(int, const void *, size_t);
  if (!real) real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  if (fd > 2 && inj_write_errno) {
    inj_fired++;
    errno = inj_write_errno;
    return -1;
  }
  if (inj_write_eintr && fd > 2 && (inj_count++ & 1) == 0) {
    inj_fired++;
    errno = EINTR;
    return -1;
  }
  return real(fd, buf, n);
}

int ftruncate(int fd, off_t len) {
  static int (*real)(int, off_t);
  if (!real) real = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
  if (inj_ftruncate_errno) {
    inj_fired++;
    errno = inj_ftruncate_errno;
    return -1;
  }
  return real(fd, len);
}

/* ------------------------------------------------------------------ sample inputs */

typedef struct sample {
  const char *format;
  zr_doc *doc; /* holds the value */
  zr_value v;
  uint8_t *bytes; /* the value encoded (malloc) */
  size_t len;
  zr_doc *ref; /* the bytes decoded without faults (formats map some kinds: compare with this) */
} sample;

static double g_tensor_data[64];

static void make_samples(sample *s, size_t *n) {
  static const char *formats[] = {"binary", "etf", "json", "pickle", "npy", "npz", "arrow-stream", "arrow-file"};
  *n = 0;
  for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
    sample *x = &s[(*n)++];
    memset(x, 0, sizeof *x);
    x->format = formats[i];
    x->doc = zr_doc_new(NULL);
    for (int k = 0; k < 64; k++) g_tensor_data[k] = k * 1.5;
    zr_tensor t = hz_tensor(g_tensor_data, 64);
    if (strcmp(x->format, "npy") == 0) {
      x->v = zr_tensor_value(x->doc, &t);
    } else if (strcmp(x->format, "npz") == 0) {
      x->v = zr_map_new(x->doc, 0);
      zr_map_put_cstr(x->doc, &x->v, "a", zr_tensor_value(x->doc, &t));
      zr_map_put_cstr(x->doc, &x->v, "b", zr_tensor_value(x->doc, &t));
    } else if (strncmp(x->format, "arrow", 5) == 0) {
      size_t len = 0;
      uint8_t *b = zr_test_read_file(
          zr_test_src_path("fuzz/corpus/arrow_stream_decode/1.0.0-littleendian_generated_nested.stream"), &len);
      assert_non_null(b);
      zr_table tab;
      zr_arrow_read_opts o;
      zr_arrow_read_opts_init(&o);
      o.copy = 1;
      assert_int_equal(zr_arrow_read(b, len, &o, &tab, NULL), ZR_OK);
      free(b);
      x->v = zr_table_value(x->doc, &tab);
    } else {
      x->v = hz_mixed(x->doc, 20);
      if (strcmp(x->format, "json") != 0 && strcmp(x->format, "etf") != 0) {
        zr_map_put_cstr(x->doc, &x->v, "t", zr_tensor_value(x->doc, &t));
      }
    }
    assert_int_equal(zr_doc_status(x->doc), ZR_OK);
    zr_status st = hz_encode(x->format, &x->v, &x->bytes, &x->len);
    if (st != ZR_OK) fprintf(stderr, "encode %s: %s\n", x->format, zr_strerror(st));
    assert_int_equal(st, ZR_OK);
    zr_decode_opts o;
    zr_decode_opts_init(&o);
    o.copy = 1;
    assert_int_equal(hz_decode(x->format, x->bytes, x->len, &o, &x->ref, NULL), ZR_OK);
  }
}

static void free_samples(sample *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    zr_doc_free(s[i].doc);
    zr_doc_free(s[i].ref);
    free(s[i].bytes);
  }
}

/* ------------------------------------------------------------------ failing allocator */

#define MAX_N 20000

/* a sample decoded with the allocator failing: equal to the reference when it gets through */
typedef struct dec_run {
  const sample *s;
  int copy;
} dec_run;
static zr_status run_decode(void *ud, zr_allocator *a, zr_error *err) {
  const dec_run *r = ud;
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.alloc = a;
  o.copy = r->copy;
  zr_doc *d = NULL;
  zr_status st = hz_decode(r->s->format, r->s->bytes, r->s->len, &o, &d, err);
  if (st == ZR_OK) {
    assert_true(zr_value_equal(zr_doc_root(d), zr_doc_root(r->s->ref)));
    zr_doc_free(d);
  } else {
    assert_null(d);
  }
  return st;
}

/* a sample encoded with the scratch and sink memory failing: the reference bytes when it gets through */
static zr_status run_encode(void *ud, zr_allocator *a, zr_error *err) {
  const sample *x = ud;
  zr_sink *sink = NULL;
  assert_int_equal(zr_sink_memory_new(a, &sink, NULL), ZR_OK);
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.alloc = a;
  zr_status st = zr_format_by_name(x->format)->encode(&x->v, &eo, sink, err);
  if (st == ZR_OK) {
    const uint8_t *b;
    size_t len;
    zr_sink_memory_data(sink, &b, &len);
    assert_int_equal(len, x->len);
    assert_memory_equal(b, x->bytes, len);
  }
  zr_sink_free(sink);
  return st;
}

/* every sample through the failing allocator: decoded in each copy mode, or encoded */
static void sweep_samples(int decode) {
  sample s[16];
  size_t n;
  make_samples(s, &n);
  for (size_t i = 0; i < n; i++) {
    char what[64];
    if (!decode) {
      snprintf(what, sizeof what, "%s encode", s[i].format);
      zr_test_failalloc_sweep(what, run_encode, &s[i], MAX_N, 0);
      continue;
    }
    for (int copy = 0; copy < 2; copy++) {
      snprintf(what, sizeof what, "%s decode (copy %d)", s[i].format, copy);
      dec_run r = {&s[i], copy};
      uint64_t k = zr_test_failalloc_sweep(what, run_decode, &r, MAX_N, ZR_TEST_FA_LIMIT);
      assert_true(k >= 2); /* the allocator was used at all */
    }
  }
  free_samples(s, n);
}

static void test_failalloc_decoders(void **state) {
  (void)state;
  sweep_samples(1);
}

static void test_failalloc_encoders(void **state) {
  (void)state;
  sweep_samples(0);
}

/* envelope write/parse, codecs (one-shot and streaming) with a failing allocator */
static const char env_payload[] = "0123456789abcdef0123456789abcdef0123456789abcdef";
static zr_envelope_meta env_meta;
static uint8_t *env_frame;
static size_t env_frame_len;

static zr_status run_envelope_write(void *ud, zr_allocator *a, zr_error *err) {
  (void)ud;
  zr_sink *sink = NULL;
  assert_int_equal(zr_sink_memory_new(a, &sink, NULL), ZR_OK);
  zr_envelope_params p;
  memset(&p, 0, sizeof p);
  p.format_id = ZR_FORMAT_ID_BINARY;
  p.meta = &env_meta;
  p.alloc = a;
  zr_status st = zr_envelope_write(sink, &p, env_payload, sizeof env_payload, err);
  if (st == ZR_OK) {
    const uint8_t *b;
    zr_sink_memory_data(sink, &b, &env_frame_len);
    env_frame = malloc(env_frame_len);
    memcpy(env_frame, b, env_frame_len);
  }
  zr_sink_free(sink);
  return st;
}

static zr_status run_envelope_parse(void *ud, zr_allocator *a, zr_error *err) {
  (void)ud;
  zr_envelope env;
  zr_status st = zr_envelope_parse(env_frame, env_frame_len, a, &env, err);
  if (st == ZR_OK) {
    assert_int_equal(env.meta.n_kv, 2);
    zr_envelope_clear(&env);
  }
  return st;
}

typedef struct codec_run {
  int id;
  const uint8_t *src, *c;
  size_t raw, clen;
} codec_run;

static zr_status run_decompress(void *ud, zr_allocator *a, zr_error *err) {
  const codec_run *r = ud;
  uint8_t *out = NULL;
  size_t n = 0;
  zr_status st = zr_codec_decompress_alloc(r->id, r->c, r->clen, 0, a, &out, &n, err);
  if (st == ZR_OK) {
    assert_int_equal(n, r->raw);
    assert_memory_equal(out, r->src, r->raw);
    a->free_fn(a->ud, out);
  }
  return st;
}

static zr_status run_dstream(void *ud, zr_allocator *a, zr_error *err) {
  const codec_run *r = ud;
  zr_codec_dstream *ds = NULL;
  zr_status st = zr_codec_dstream_new(ZR_CODEC_DETECT, 0, a, &ds, err);
  size_t pos = 0, total = 0;
  uint8_t buf[4096];
  while (st == ZR_OK) {
    size_t used = 0, made = 0;
    st = zr_codec_dstream_run(ds, r->c + pos, r->clen - pos, &used, buf, sizeof buf, &made, err);
    pos += used;
    total += made;
    if (used == 0 && made == 0) break;
  }
  if (st == ZR_OK) st = zr_codec_dstream_end(ds, err);
  zr_codec_dstream_free(ds);
  if (st == ZR_OK) assert_int_equal(total, r->raw);
  return st;
}

static void test_failalloc_envelope_codec(void **state) {
  (void)state;
  zr_envelope_kv kv[2] = {{{"k1", 2}, {"v1", 2}}, {{"key2", 4}, {"value2", 6}}};
  memset(&env_meta, 0, sizeof env_meta);
  env_meta.producer.ptr = "harden";
  env_meta.producer.len = 6;
  env_meta.kv = kv;
  env_meta.n_kv = 2;
  env_frame = NULL;
  zr_test_failalloc_sweep("envelope write", run_envelope_write, NULL, 1000, ZR_TEST_FA_NO_ERR);
  zr_test_failalloc_sweep("envelope parse", run_envelope_parse, NULL, 1000, ZR_TEST_FA_NO_ERR);
  free(env_frame);

  /* codecs */
  size_t raw = 100000;
  uint8_t *src = malloc(raw);
  for (size_t i = 0; i < raw; i++) src[i] = (uint8_t)(i % 251 < 100 ? 'a' : i);
  for (int id = ZR_CODEC_LZ4; id < ZR_CODEC_COUNT; id++) {
    size_t cap = zr_codec_bound(id, raw), clen = 0;
    uint8_t *c = malloc(cap);
    assert_int_equal(zr_codec_compress(id, 0, src, raw, c, cap, &clen, NULL), ZR_OK);
    codec_run r = {id, src, c, raw, clen};
    zr_test_failalloc_sweep("decompress", run_decompress, &r, 1000, ZR_TEST_FA_NO_ERR);
    zr_test_failalloc_sweep("decompress stream", run_dstream, &r, 1000, ZR_TEST_FA_NO_ERR);
    free(c);
  }
  free(src);
}

/* the manager: context creation, serialize (auto format, codec, envelope) and deserialize */
static zr_status run_manager(void *ud, zr_allocator *a, zr_error *err) {
  const zr_value *v = ud;
  zr_ctx *ctx = NULL;
  zr_status st = zr_ctx_new_isolated(a, &ctx, err);
  zr_sink *sink = NULL;
  if (st == ZR_OK) st = zr_sink_memory_new(a, &sink, err);
  if (st == ZR_OK) {
    zr_serialize_opts so;
    zr_serialize_opts_init(&so);
    so.codec = "zstd";
    so.envelope = 1;
    st = zr_serialize(ctx, v, &so, sink, NULL, err);
  }
  if (st == ZR_OK) {
    const uint8_t *b;
    size_t n;
    zr_sink_memory_data(sink, &b, &n);
    zr_doc *out = NULL;
    st = zr_deserialize(ctx, b, n, NULL, &out, NULL, err);
    if (st == ZR_OK) {
      assert_true(zr_value_equal(zr_doc_root(out), v));
      zr_doc_free(out);
    } else {
      assert_null(out);
    }
  }
  zr_sink_free(sink);
  zr_ctx_free(ctx);
  return st;
}

static void test_failalloc_manager(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = hz_mixed(d, 50);
  uint64_t k = zr_test_failalloc_sweep("manager", run_manager, &v, MAX_N, ZR_TEST_FA_LIMIT | ZR_TEST_FA_ANY_ERR);
  assert_true(k >= 3);
  zr_doc_free(d);
}

/* ------------------------------------------------------------------ short reads and writes */

typedef struct trickle {
  uint8_t *buf;
  size_t len, cap, calls;
  const uint8_t *src;
  size_t src_len, pos;
} trickle;

static zr_status one_byte_write(void *ud, const void *data, size_t len, size_t *written) {
  trickle *t = ud;
  t->calls++;
  *written = 0;
  if (!len) return ZR_OK;
  if (t->len == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 256;
    t->buf = realloc(t->buf, t->cap);
  }
  t->buf[t->len++] = *(const uint8_t *)data;
  *written = 1;
  return ZR_OK;
}

static zr_status one_byte_read(void *ud, void *buf, size_t cap, size_t *got) {
  trickle *t = ud;
  t->calls++;
  *got = 0;
  if (cap && t->pos < t->src_len) {
    *(uint8_t *)buf = t->src[t->pos++];
    *got = 1;
  }
  return ZR_OK;
}

static void test_short_io(void **state) {
  (void)state;
  sample s[16];
  size_t n;
  make_samples(s, &n);
  zr_ctx *ctx = NULL;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  for (size_t i = 0; i < n; i++) {
    /* writes of 1 byte: the same bytes as the memory sink */
    trickle t;
    memset(&t, 0, sizeof t);
    zr_sink *sink = NULL;
    assert_int_equal(zr_sink_callback_new(one_byte_write, &t, &sink, NULL), ZR_OK);
    const zr_format *f = zr_format_by_name(s[i].format);
    assert_int_equal(f->encode(&s[i].v, NULL, sink, NULL), ZR_OK);
    assert_int_equal(zr_sink_finish(sink, NULL), ZR_OK);
    zr_sink_free(sink);
    assert_int_equal(t.len, s[i].len);
    assert_memory_equal(t.buf, s[i].bytes, t.len);
    assert_true(t.calls >= t.len);
    free(t.buf);
    /* reads of 1 byte through the manager */
    memset(&t, 0, sizeof t);
    t.src = s[i].bytes;
    t.src_len = s[i].len;
    zr_source *src = NULL;
    assert_int_equal(zr_source_callback_new(one_byte_read, &t, &src, NULL), ZR_OK);
    zr_doc *d = NULL;
    zr_deserialize_info info;
    zr_error err;
    zr_status st = zr_deserialize_source(ctx, src, NULL, &d, &info, &err);
    if (st != ZR_OK) fprintf(stderr, "%s: %s\n", s[i].format, err.message);
    assert_int_equal(st, ZR_OK);
    assert_true(zr_value_equal(zr_doc_root(d), zr_doc_root(s[i].ref)));
    zr_doc_free(d);
    zr_source_free(src);
  }
  /* streaming decompression from a 1-byte source into a 1-byte sink */
  size_t raw = 20000;
  uint8_t *data = malloc(raw);
  for (size_t i = 0; i < raw; i++) data[i] = (uint8_t)(i / 7);
  for (int id = ZR_CODEC_LZ4; id < ZR_CODEC_COUNT; id++) {
    size_t cap = zr_codec_bound(id, raw), clen = 0;
    uint8_t *c = malloc(cap);
    assert_int_equal(zr_codec_compress(id, 0, data, raw, c, cap, &clen, NULL), ZR_OK);
    trickle in, out;
    memset(&in, 0, sizeof in);
    memset(&out, 0, sizeof out);
    in.src = c;
    in.src_len = clen;
    zr_source *src = NULL;
    zr_sink *sink = NULL;
    assert_int_equal(zr_source_callback_new(one_byte_read, &in, &src, NULL), ZR_OK);
    assert_int_equal(zr_sink_callback_new(one_byte_write, &out, &sink, NULL), ZR_OK);
    assert_int_equal(zr_codec_decompress_stream(ZR_CODEC_DETECT, src, 0, sink, NULL), ZR_OK);
    assert_int_equal(zr_sink_finish(sink, NULL), ZR_OK);
    assert_int_equal(out.len, raw);
    assert_memory_equal(out.buf, data, raw);
    free(out.buf);
    zr_sink_free(sink);
    zr_source_free(src);
    free(c);
  }
  free(data);
  zr_ctx_free(ctx);
  free_samples(s, n);
}

/* ------------------------------------------------------------------ EINTR, ENOSPC */

static void test_eintr(void **state) {
  (void)state;
  sample s[16];
  size_t n;
  make_samples(s, &n);
  zr_ctx *ctx = NULL;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  char path[512];
  snprintf(path, sizeof path, "%s/eintr.bin", zr_test_tmpdir());
  for (size_t i = 0; i < n; i++) {
    /* write through an fd sink with every other write(2) interrupted */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    zr_sink *sink = NULL;
    assert_int_equal(zr_sink_fd_new(fd, &sink, NULL), ZR_OK);
    inj_count = inj_fired = 0;
    inj_write_eintr = 1;
    const zr_format *f = zr_format_by_name(s[i].format);
    zr_status st = f->encode(&s[i].v, NULL, sink, NULL);
    if (st == ZR_OK) st = zr_sink_finish(sink, NULL);
    inj_write_eintr = 0;
    assert_int_equal(st, ZR_OK);
    assert_true(inj_fired > 0);
    zr_sink_free(sink);
    close(fd);
    /* read it back through an fd source with every other read(2) interrupted */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    zr_source *src = NULL;
    assert_int_equal(zr_source_fd_new(fd, &src, NULL), ZR_OK);
    inj_count = inj_fired = 0;
    inj_read_eintr = 1;
    zr_doc *d = NULL;
    st = zr_deserialize_source(ctx, src, NULL, &d, NULL, NULL);
    inj_read_eintr = 0;
    assert_int_equal(st, ZR_OK);
    assert_true(inj_fired > 0);
    assert_true(zr_value_equal(zr_doc_root(d), zr_doc_root(s[i].ref)));
    zr_doc_free(d);
    zr_source_free(src);
    close(fd);
  }
  unlink(path);
  zr_ctx_free(ctx);
  free_samples(s, n);
}

/* files in @p dir whose name starts with @p prefix */
static int count_prefixed(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
  closedir(d);
  return n;
}

static void test_enospc(void **state) {
  (void)state;
  zr_doc *doc = zr_doc_new(NULL);
  zr_value v = hz_mixed(doc, 2000); /* > the sinks' staging buffers */
  /* a real full device */
  int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    zr_sink *sink = NULL;
    assert_int_equal(zr_sink_fd_new(fd, &sink, NULL), ZR_OK);
    zr_error err;
    zr_status st = zr_binary_encode(&v, NULL, sink, &err);
    if (st == ZR_OK) st = zr_sink_finish(sink, &err);
    assert_int_equal(st, ZR_ERR_NOSPACE);
    assert_non_null(strstr(err.message, "No space"));
    zr_sink_free(sink);
    close(fd);
  }
  /* the atomic file sink: ENOSPC mid-way (injected) leaves neither the file nor its temporary */
  const char *dir = zr_test_tmpdir();
  char path[512];
  snprintf(path, sizeof path, "%s/nospace.bin", dir);
  for (int late = 0; late < 2; late++) {
    zr_sink *sink = NULL;
    assert_int_equal(zr_sink_file_new(path, &sink, NULL), ZR_OK);
    assert_int_equal(count_prefixed(dir, "nospace.bin.tmp"), 1);
    zr_error err;
    zr_status st;
    if (late) { /* everything staged, the failure comes at finish */
      zr_value small = zr_int(1);
      assert_int_equal(zr_binary_encode(&small, NULL, sink, NULL), ZR_OK);
      inj_write_errno = ENOSPC;
      st = zr_sink_finish(sink, &err);
    } else {
      inj_write_errno = ENOSPC;
      st = zr_binary_encode(&v, NULL, sink, &err);
      if (st == ZR_OK) st = zr_sink_finish(sink, &err);
    }
    inj_write_errno = 0;
    assert_int_equal(st, ZR_ERR_NOSPACE);
    zr_sink_free(sink);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(count_prefixed(dir, "nospace.bin"), 0);
  }
  /* through the manager: zr_serialize reports it and the file sink leaves nothing */
  zr_ctx *ctx = NULL;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  zr_sink *sink = NULL;
  assert_int_equal(zr_sink_file_new(path, &sink, NULL), ZR_OK);
  inj_write_errno = ENOSPC;
  zr_status st = zr_serialize(ctx, &v, NULL, sink, NULL, NULL);
  if (st == ZR_OK) st = zr_sink_finish(sink, NULL);
  inj_write_errno = 0;
  assert_int_equal(st, ZR_ERR_NOSPACE);
  zr_sink_free(sink);
  assert_int_equal(count_prefixed(dir, "nospace.bin"), 0);
  zr_ctx_free(ctx);
  zr_doc_free(doc);
}

/* ------------------------------------------------------------------ shared memory */

static void test_shm_ftruncate(void **state) {
  (void)state;
  char name[64];
  snprintf(name, sizeof name, "/zr_harden_ft_%d", (int)getpid());
  zr_error err;
  zr_shm *r = NULL;
  /* creation: the region is sized with ftruncate; failing, nothing is left */
  inj_ftruncate_errno = ENOSPC;
  zr_status st = zr_shm_create(name, NULL, &r, &err);
  inj_ftruncate_errno = 0;
  assert_int_equal(st, ZR_ERR_NOSPACE);
  assert_null(r);
  assert_non_null(strstr(err.message, "cannot size"));
  assert_int_equal(zr_shm_open(name, 0, NULL, &r, &err), ZR_ERR_NOT_FOUND);
  /* growth: the object that needed it is not recorded, the region stays unpublished until asked */
  assert_int_equal(zr_shm_create(name, NULL, &r, &err), ZR_OK);
  void *p;
  assert_int_equal(zr_shm_reserve(r, "a", 100, &p, &err), ZR_OK);
  memset(p, 1, 100);
  assert_int_equal(zr_shm_commit(r, ZR_SHM_FORMAT_RAW, 100, 0, &err), ZR_OK);
  inj_ftruncate_errno = ENOSPC;
  st = zr_shm_reserve(r, "big", 16u << 20, &p, &err);
  inj_ftruncate_errno = 0;
  assert_int_equal(st, ZR_ERR_NOSPACE);
  assert_int_equal(zr_shm_count(r), 1);
  /* a reader sees an unpublished region */
  zr_shm *rd = NULL;
  st = zr_shm_open(name, 0, NULL, &rd, &err);
  assert_true(st != ZR_OK);
  assert_null(rd);
  /* a value that needs growth, through the format encoder */
  zr_doc *doc = zr_doc_new(NULL);
  zr_value v = hz_mixed(doc, 20000);
  inj_ftruncate_errno = ENOSPC;
  st = zr_shm_put_value(r, "v", ZR_FORMAT_ID_BINARY, &v, NULL, 0, &err);
  inj_ftruncate_errno = 0;
  assert_true(st == ZR_ERR_NOSPACE);
  assert_int_equal(zr_shm_count(r), 1);
  assert_int_equal(zr_shm_publish(r, &err), ZR_OK);
  zr_shm_close(r);
  assert_int_equal(zr_shm_open(name, ZR_SHM_VERIFY, NULL, &r, &err), ZR_OK);
  assert_int_equal(zr_shm_count(r), 1);
  zr_shm_object o;
  assert_int_equal(zr_shm_find(r, "v", &o, &err), ZR_ERR_NOT_FOUND);
  zr_shm_close(r);
  zr_shm_unlink(name, NULL);
  zr_doc_free(doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_failalloc_decoders),
      cmocka_unit_test(test_failalloc_encoders),
      cmocka_unit_test(test_failalloc_envelope_codec),
      cmocka_unit_test(test_failalloc_manager),
      cmocka_unit_test(test_short_io),
      cmocka_unit_test(test_eintr),
      cmocka_unit_test(test_enospc),
      cmocka_unit_test(test_shm_ftruncate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
