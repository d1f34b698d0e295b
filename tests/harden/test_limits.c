/* Every decoder's limits (docs/guides/hostile-input.md): depth, element count, decompressed size
 * and header sizes each trip with ZR_ERR_LIMIT (or the documented code) and a message, and the
 * same input decodes once the limit is raised. */
#include <stdio.h>
#include <unistd.h>

#include "harden.h"
#include "zerial/arrow.h"
#include "zerial/codec.h"
#include "zerial/envelope.h"
#include "zerial/schema.h"
#include "zerial/serialize.h"
#include "zerial/shm.h"

static zr_decode_opts opts_with(uint32_t depth, uint64_t elems, uint64_t bytes) {
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  if (depth) o.max_depth = depth;
  if (elems) o.max_elements = elems;
  if (bytes) o.max_bytes = bytes;
  return o;
}

/* decode @p data with @p o and expect @p want; the message must be non-empty */
static void expect(const char *format, const uint8_t *data, size_t len, const zr_decode_opts *o, zr_status want) {
  zr_doc *d = NULL;
  zr_error err;
  zr_error_clear(&err);
  zr_status st = hz_decode(format, data, len, o, &d, &err);
  if (st != want) fprintf(stderr, "%s: got %s (%s), want %s\n", format, zr_strerror(st), err.message, zr_strerror(want));
  assert_int_equal(st, want);
  if (st == ZR_OK) {
    assert_non_null(d);
    zr_doc_free(d);
  } else {
    assert_null(d);
    assert_int_equal(err.code, st);
    assert_true(err.message[0] != 0);
  }
}

/* depth, elements and bytes for the formats carrying nested values */
static void test_value_formats(void **state) {
  (void)state;
  static const char *formats[] = {"binary", "etf", "json", "pickle"};
  zr_doc *d = zr_doc_new(NULL);
  zr_value deep = hz_deep(d, 100), wide = hz_wide(d, 1000);
  char *big = malloc(200000);
  memset(big, 'x', 200000);
  zr_value bigs = zr_str_ref(big, 200000);
  zr_value too_deep = hz_deep(d, ZR_DEFAULT_MAX_DEPTH + 10);
  for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
    const char *f = formats[i];
    uint8_t *b = NULL;
    size_t n = 0;
    zr_decode_opts o;
    /* depth */
    assert_int_equal(hz_encode(f, &deep, &b, &n), ZR_OK);
    o = opts_with(50, 0, 0);
    expect(f, b, n, &o, ZR_ERR_LIMIT);
    o = opts_with(200, 0, 0);
    expect(f, b, n, &o, ZR_OK);
    free(b);
    /* the default depth holds without options */
    if (hz_encode(f, &too_deep, &b, &n) == ZR_OK) {
      zr_decode_opts_init(&o);
      expect(f, b, n, &o, ZR_ERR_LIMIT);
      free(b);
    }
    /* elements */
    assert_int_equal(hz_encode(f, &wide, &b, &n), ZR_OK);
    o = opts_with(0, 100, 0);
    expect(f, b, n, &o, ZR_ERR_LIMIT);
    o = opts_with(0, 2000, 0);
    expect(f, b, n, &o, ZR_OK);
    free(b);
    /* bytes: a copying decode of a 200 kB string under a 64 kB limit */
    assert_int_equal(hz_encode(f, &bigs, &b, &n), ZR_OK);
    o = opts_with(0, 0, 65536);
    o.copy = 1;
    expect(f, b, n, &o, ZR_ERR_LIMIT);
    o = opts_with(0, 0, 1u << 20);
    o.copy = 1;
    expect(f, b, n, &o, ZR_OK);
    free(b);
  }
  free(big);
  zr_doc_free(d);
}

/* ETF compressed terms: the declared inflated size is checked against max_bytes before inflating */
static void test_etf_compressed(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  char *zeros = calloc(1, 100000);
  zr_value v = zr_bin_ref(zeros, 100000);
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_etf_encode(&v, NULL, ZR_ETF_COMPRESS, s, NULL), ZR_OK);
  const uint8_t *b;
  size_t n;
  zr_sink_memory_data(s, &b, &n);
  assert_true(n < 10000);
  zr_decode_opts o = opts_with(0, 0, 50000);
  zr_doc *out = NULL;
  zr_error err;
  assert_int_equal(zr_etf_decode(b, n, &o, 0, &out, &err), ZR_ERR_LIMIT);
  assert_non_null(strstr(err.message, "max_bytes"));
  o = opts_with(0, 0, 1u << 20);
  assert_int_equal(zr_etf_decode(b, n, &o, 0, &out, &err), ZR_OK);
  zr_doc_free(out);
  zr_sink_free(s);
  free(zeros);
  zr_doc_free(d);
}

static void test_npy_npz(void **state) {
  (void)state;
  double data[1000];
  for (int i = 0; i < 1000; i++) data[i] = i;
  zr_tensor t = hz_tensor(data, 1000);
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_npy_encode(&t, s, NULL), ZR_OK);
  const uint8_t *b;
  size_t n;
  zr_sink_memory_data(s, &b, &n);
  zr_doc *out = NULL;
  zr_error err;
  /* header size */
  zr_npy_opts no = {0};
  no.max_header_size = 16;
  assert_int_equal(zr_npy_decode(b, n, NULL, &no, &out, &err), ZR_ERR_LIMIT);
  assert_non_null(strstr(err.message, "max_header_size"));
  no.max_header_size = 0; /* default 10000 */
  assert_int_equal(zr_npy_decode(b, n, NULL, &no, &out, &err), ZR_OK);
  zr_doc_free(out);
  /* bytes: a copy of 8000 data bytes under a 4096-byte limit */
  zr_decode_opts o = opts_with(0, 0, 4096);
  o.copy = 1;
  zr_status st = zr_npy_decode(b, n, &o, NULL, &out, &err);
  if (st != ZR_ERR_LIMIT) fprintf(stderr, "npy copy: %s\n", err.message);
  assert_int_equal(st, ZR_ERR_LIMIT);
  /* a header that claims more than the default limit */
  uint8_t hdr[16] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0};
  uint32_t hl = 1u << 30;
  memcpy(hdr + 8, &hl, 4);
  assert_int_equal(zr_npy_decode(hdr, sizeof hdr, NULL, NULL, &out, &err), ZR_ERR_LIMIT);
  zr_sink_free(s);

  /* npz: members (max_elements) and member size (max_bytes) */
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = zr_map_new(d, 0);
  char key[8];
  for (int i = 0; i < 5; i++) {
    snprintf(key, sizeof key, "a%d", i);
    zr_map_put_cstr(d, &m, key, zr_tensor_value(d, &t));
  }
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_npz_encode(&m, NULL, s, NULL), ZR_OK);
  zr_sink_memory_data(s, &b, &n);
  o = opts_with(0, 3, 0);
  assert_int_equal(zr_npz_decode(b, n, &o, NULL, &out, &err), ZR_ERR_LIMIT);
  o = opts_with(0, 0, 0);
  assert_int_equal(zr_npz_decode(b, n, &o, NULL, &out, &err), ZR_OK);
  zr_doc_free(out);
  zr_sink_free(s);
  /* deflated members are inflated into the doc: max_bytes bounds them */
  no.compress = 1;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_npz_encode(&m, &no, s, NULL), ZR_OK);
  zr_sink_memory_data(s, &b, &n);
  o = opts_with(0, 0, 4096);
  assert_int_equal(zr_npz_decode(b, n, &o, NULL, &out, &err), ZR_ERR_LIMIT);
  o = opts_with(0, 0, 20000);
  assert_int_equal(zr_npz_decode(b, n, &o, NULL, &out, &err), ZR_ERR_LIMIT);
  zr_sink_free(s);
  zr_doc_free(d);
}

static uint8_t *read_corpus(const char *name, size_t *n) {
  char rel[256];
  snprintf(rel, sizeof rel, "fuzz/corpus/%s", name);
  uint8_t *b = zr_test_read_file(zr_test_src_path(rel), n);
  assert_non_null(b);
  return b;
}

static void test_arrow(void **state) {
  (void)state;
  static const char *files[] = {"arrow_stream_decode/1.0.0-littleendian_generated_nested.stream",
                                "arrow_file_decode/1.0.0-littleendian_generated_nested.arrow_file"};
  for (int i = 0; i < 2; i++) {
    size_t n;
    uint8_t *b = read_corpus(files[i], &n);
    zr_arrow_read_opts o;
    zr_arrow_read_opts_init(&o);
    zr_table t;
    memset(&t, 0, sizeof t);
    zr_error err;
    o.max_depth = 1;
    assert_int_equal(zr_arrow_read(b, n, &o, &t, &err), ZR_ERR_LIMIT);
    zr_arrow_read_opts_init(&o);
    assert_int_equal(zr_arrow_read(b, n, &o, &t, &err), ZR_OK);
    zr_table_release(&t);
    /* through the format table: zr_decode_opts.max_depth reaches the Arrow reader */
    zr_decode_opts d = opts_with(1, 0, 0);
    expect(i == 0 ? "arrow-stream" : "arrow-file", b, n, &d, ZR_ERR_LIMIT);
    free(b);
  }
  /* decompressed size of compressed buffers */
  size_t n;
  uint8_t *b = read_corpus("arrow_stream_decode/2.0.0-compression_generated_zstd.stream", &n);
  zr_arrow_read_opts o;
  zr_arrow_read_opts_init(&o);
  o.max_bytes = 64;
  zr_table t;
  memset(&t, 0, sizeof t);
  zr_error err;
  assert_int_equal(zr_arrow_read(b, n, &o, &t, &err), ZR_ERR_LIMIT);
  zr_arrow_read_opts_init(&o);
  assert_int_equal(zr_arrow_read(b, n, &o, &t, &err), ZR_OK);
  zr_table_release(&t);
  free(b);
}

static void test_codec(void **state) {
  (void)state;
  size_t raw = 1u << 20;
  uint8_t *zeros = calloc(1, raw);
  for (int id = ZR_CODEC_LZ4; id < ZR_CODEC_COUNT; id++) {
    size_t cap = zr_codec_bound(id, raw);
    uint8_t *c = malloc(cap);
    size_t clen = 0;
    assert_int_equal(zr_codec_compress(id, 0, zeros, raw, c, cap, &clen, NULL), ZR_OK);
    uint8_t *out = NULL;
    size_t n = 0;
    zr_error err;
    assert_int_equal(zr_codec_decompress_alloc(id, c, clen, 4096, NULL, &out, &n, &err), ZR_ERR_LIMIT);
    assert_null(out);
    assert_int_equal(zr_codec_decompress_alloc(id, c, clen, raw, NULL, &out, &n, &err), ZR_OK);
    assert_int_equal(n, raw);
    zr_free(out);
    /* the streaming decoder stops at its limit too */
    zr_codec_dstream *ds = NULL;
    assert_int_equal(zr_codec_dstream_new(id, 4096, NULL, &ds, NULL), ZR_OK);
    static uint8_t buf[65536];
    size_t pos = 0;
    zr_status st = ZR_OK;
    while (st == ZR_OK) {
      size_t used = 0, made = 0;
      st = zr_codec_dstream_run(ds, c + pos, clen - pos, &used, buf, sizeof buf, &made, &err);
      pos += used;
      if (used == 0 && made == 0) break;
    }
    assert_int_equal(st, ZR_ERR_LIMIT);
    zr_codec_dstream_free(ds);
    free(c);
  }
  free(zeros);
  /* a zstd frame header alone asks for a 52 MiB window: refused under a 16 MiB output limit
   * instead of allocated (fuzz/regressions/ctx_deserialize/zstd_frame_header_asks_52mib_window.zst) */
  static const uint8_t hdr[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x7d, 0x0b, 0x00, 0x00, 0x00, 0x00};
  uint8_t *out = NULL;
  size_t n = 0;
  zr_error err;
  assert_int_equal(zr_codec_decompress_alloc(ZR_CODEC_ZSTD, hdr, sizeof hdr, 16u << 20, NULL, &out, &n, &err), ZR_ERR_LIMIT);
}

/* through the manager: a compressed payload that inflates past limits.max_bytes */
static void test_manager_bomb(void **state) {
  (void)state;
  zr_ctx *ctx = NULL;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  char *zeros = calloc(1, 1u << 20);
  zr_value v = zr_bin_ref(zeros, 1u << 20);
  zr_serialize_opts so;
  zr_serialize_opts_init(&so);
  so.format = "binary";
  so.codec = "zstd";
  so.envelope = 1;
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_serialize(ctx, &v, &so, s, NULL, NULL), ZR_OK);
  const uint8_t *b;
  size_t n;
  zr_sink_memory_data(s, &b, &n);
  assert_true(n < 4096);
  assert_int_equal(zr_ctx_set(ctx, "limits.max_bytes", "65536", NULL), ZR_OK);
  zr_doc *out = NULL;
  zr_error err;
  assert_int_equal(zr_deserialize(ctx, b, n, NULL, &out, NULL, &err), ZR_ERR_LIMIT);
  assert_null(out);
  /* per call options override the configuration */
  zr_decode_opts o = opts_with(0, 0, 4u << 20);
  assert_int_equal(zr_deserialize(ctx, b, n, &o, &out, NULL, &err), ZR_OK);
  zr_doc_free(out);
  /* the configured depth reaches the decoders */
  zr_doc *d = zr_doc_new(NULL);
  zr_value deep = hz_deep(d, 40);
  zr_sink_free(s);
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  so.codec = "none";
  so.envelope = 0;
  assert_int_equal(zr_serialize(ctx, &deep, &so, s, NULL, NULL), ZR_OK);
  zr_sink_memory_data(s, &b, &n);
  assert_int_equal(zr_ctx_set(ctx, "limits.max_depth", "20", NULL), ZR_OK);
  assert_int_equal(zr_deserialize(ctx, b, n, NULL, &out, NULL, &err), ZR_ERR_LIMIT);
  assert_int_equal(zr_ctx_set(ctx, "limits.max_depth", "64", NULL), ZR_OK);
  assert_int_equal(zr_deserialize(ctx, b, n, NULL, &out, NULL, &err), ZR_OK);
  zr_doc_free(out);
  zr_doc_free(d);
  zr_sink_free(s);
  free(zeros);
  zr_ctx_free(ctx);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* envelope: metadata length over ZR_ENVELOPE_MAX_METADATA is refused before anything is read */
static void test_envelope(void **state) {
  (void)state;
  uint8_t h[64];
  memset(h, 0, sizeof h);
  memcpy(h, ZR_ENVELOPE_MAGIC, 8);
  h[8] = 1;  /* version */
  h[10] = 64; /* header size */
  h[12] = 1;  /* binary */
  put32(h + 20, ZR_ENVELOPE_MAX_METADATA + 1);
  put32(h + 40, (uint32_t)((64 + ZR_ENVELOPE_MAX_METADATA + 1 + 63) / 64 * 64));
  put32(h + 60, (uint32_t)zr_xxh3_64(h, 60, 0));
  zr_envelope env;
  zr_error err;
  assert_int_equal(zr_envelope_parse(h, sizeof h, NULL, &env, &err), ZR_ERR_LIMIT);
  assert_int_equal(err.offset, 20);
}

/* shm: the directory size is bounded (ZR_SHM_MAX_OBJECTS) on both sides */
static void test_shm(void **state) {
  (void)state;
  zr_shm_create_opts o;
  memset(&o, 0, sizeof o);
  o.max_objects = ZR_SHM_MAX_OBJECTS + 1;
  zr_shm *r = NULL;
  zr_error err;
  char name[64];
  snprintf(name, sizeof name, "/zr_harden_lim_%d", (int)getpid());
  assert_int_equal(zr_shm_create(name, &o, &r, &err), ZR_ERR_LIMIT);
  assert_null(r);
  /* a header shorter than the fixed part */
  uint8_t small[16] = {0};
  size_t count = 0;
  assert_true(zr_shm_header_check(small, sizeof small, &count, &err) < 0);
}

/* schema JSON: nesting depth and text size */
static void test_schema(void **state) {
  (void)state;
  size_t depth = 200;
  size_t cap = depth * 64 + 256;
  char *js = malloc(cap);
  size_t n = 0;
  n += (size_t)snprintf(js + n, cap - n, "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":");
  for (size_t i = 0; i < depth; i++) n += (size_t)snprintf(js + n, cap - n, "{\"type\":\"list\",\"element\":");
  n += (size_t)snprintf(js + n, cap - n, "\"int64\"");
  for (size_t i = 0; i < depth; i++) js[n++] = '}';
  n += (size_t)snprintf(js + n, cap - n, "}]}");
  zr_schema *s = NULL;
  zr_error err;
  zr_error_clear(&err);
  assert_int_equal(zr_schema_parse(js, n, &s, &err), ZR_ERR_LIMIT);
  assert_null(s);
  free(js);
  const char *ok = "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"list\",\"element\":\"int64\"}}]}";
  zr_status st = zr_schema_parse(ok, strlen(ok), &s, &err);
  if (st) fprintf(stderr, "schema: %s at %s\n", err.message, err.path);
  assert_int_equal(st, ZR_OK);
  zr_schema_free(s);
  /* text larger than ZR_SCHEMA_MAX_TEXT */
  size_t big = ZR_SCHEMA_MAX_TEXT + 1;
  char *t = malloc(big);
  memset(t, ' ', big);
  t[0] = '{';
  t[big - 1] = '}';
  assert_int_equal(zr_schema_parse(t, big, &s, &err), ZR_ERR_LIMIT);
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_value_formats), cmocka_unit_test(test_etf_compressed), cmocka_unit_test(test_npy_npz),
      cmocka_unit_test(test_arrow),         cmocka_unit_test(test_codec),          cmocka_unit_test(test_manager_bomb),
      cmocka_unit_test(test_envelope),      cmocka_unit_test(test_shm),            cmocka_unit_test(test_schema),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
