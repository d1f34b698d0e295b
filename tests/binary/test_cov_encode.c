/* Coverage: the binary encoder's refusals and fault paths, in each of its three ways of writing
 * (one pass into a memory sink's reservation; size pass + staging into a callback sink;
 * zr_binary_encoded_size): every tensor defect, payload pointers missing, unknown kinds and units,
 * nesting limits and cycles (each with its message and value path, and nothing written), options
 * (alignment, codec, filter, level), compression that does not pay, compressed strided, complex
 * and described tensors, and sink/allocator failures at every point where the write window runs
 * out (a boundary sweep shifting the value by one byte at a time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/binary.h"
#include "zr_test.h"

/* ------------------------------------------------------------------ sinks */

/* a callback sink keeping what it takes (tests/common/zr_test.h); from its fail_at-th write on,
 * every write fails with ZR_ERR_IO */
typedef zr_test_sink cb;
#define CB_INIT .keep = 1, .fail_from = 1

/* the reference encoding through a memory sink */
static uint8_t *ref_encode(const zr_value *v, const zr_encode_opts *o, size_t *len) {
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error e;
  zr_status st = zr_binary_encode(v, o, s, &e);
  if (st != ZR_OK) fail_msg("reference encode: %s (%s)", e.message, e.path);
  uint8_t *d = NULL;
  assert_int_equal(zr_sink_memory_take(s, &d, len, NULL), ZR_OK);
  zr_sink_free(s);
  return d;
}

/* Encode @p v with each writer: memory sink (mode 0), callback sink (1), encoded_size (2); each
 * must fail with @p code, @p msg (substring) and @p path, writing nothing. */
static void expect_refusal(const zr_value *v, const zr_encode_opts *o, zr_status code, const char *msg, const char *path) {
  for (int mode = 0; mode < 3; mode++) {
    zr_error e;
    zr_error_clear(&e);
    zr_status st;
    if (mode == 0) {
      zr_sink *s = NULL;
      assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
      st = zr_binary_encode(v, o, s, &e);
      assert_int_equal(zr_sink_size(s), 0);
      zr_sink_free(s);
    } else if (mode == 1) {
      cb c = {CB_INIT};
      zr_sink *s = NULL;
      assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &c, &s, NULL), ZR_OK);
      st = zr_binary_encode(v, o, s, &e);
      assert_int_equal(c.calls, 0); /* validated before anything was written */
      zr_sink_free(s);
      free(c.buf);
    } else {
      uint64_t size = 0;
      st = zr_binary_encoded_size(v, o, &size, &e);
    }
    if (st != code || !strstr(e.message, msg) || (path && strcmp(e.path, path) != 0))
      fail_msg("mode %d: got %d '%s' at '%s', want %d '%s' at '%s'", mode, st, e.message, e.path, code, msg,
               path ? path : "(any)");
  }
}

/* {"k": [1, v]} */
static zr_value wrap(zr_doc *d, zr_value v) {
  zr_value l = zr_list_new(d, 2);
  zr_list_push(d, &l, zr_int(1));
  zr_list_push(d, &l, v);
  zr_value m = zr_map_new(d, 1);
  zr_map_put_cstr(d, &m, "k", l);
  return m;
}

static zr_value tensor_val(zr_doc *d, zr_tensor *t) {
  zr_value v = zr_null();
  v.kind = ZR_KIND_TENSOR;
  v.u.tensor = t;
  (void)d;
  return v;
}

static void test_tensor_defects(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  static int32_t data[64];
  int64_t shape[2] = {4, 16};
  zr_tensor good;
  assert_int_equal(zr_tensor_init(&good, ZR_DT_INT32, 4, 2, shape, data, NULL), ZR_OK);
  zr_tensor t;
  /* a tensor value without a tensor */
  expect_refusal(&(zr_value){.kind = ZR_KIND_TENSOR}, NULL, ZR_ERR_INVALID_ARG, "tensor value without a tensor", "$");
  t = good;
  t.dtype = (zr_dtype)0;
  zr_value w = wrap(d, tensor_val(d, &t));
  expect_refusal(&w, NULL, ZR_ERR_INVALID_ARG, "tensor has an unknown dtype 0", "$.k[1]");
  t.dtype = (zr_dtype)200;
  expect_refusal(&w, NULL, ZR_ERR_INVALID_ARG, "tensor has an unknown dtype 200", "$.k[1]");
  t = good;
  t.byte_order = (zr_byte_order)9;
  expect_refusal(&w, NULL, ZR_ERR_INVALID_ARG, "tensor has an unknown byte order 9", "$.k[1]");
  t = good;
  t.time_unit = (zr_time_unit)77;
  expect_refusal(&w, NULL, ZR_ERR_INVALID_ARG, "tensor has an unknown time unit 77", "$.k[1]");
  t = good;
  t.ndim = ZR_TENSOR_MAX_DIMS + 1;
  expect_refusal(&w, NULL, ZR_ERR_INVALID_ARG, "dimensions (at most", "$.k[1]");
  t = good;
  t.itemsize = 3;
  expect_refusal(&w, NULL, ZR_ERR_INVALID_ARG, "tensor itemsize 3 does not match int32", "$.k[1]");
  t = good;
  t.shape[1] = -1;
  expect_refusal(&w, NULL, ZR_ERR_INVALID_ARG, "tensor has a negative extent", "$.k[1]");
  t = good;
  t.shape[0] = INT64_MAX;
  t.shape[1] = 4; /* the element count overflows */
  expect_refusal(&w, NULL, ZR_ERR_OVERFLOW, "tensor size overflows", "$.k[1]");
  t = good;
  t.shape[0] = INT64_MAX / 2;
  t.shape[1] = 1; /* count fits, bytes overflow */
  expect_refusal(&w, NULL, ZR_ERR_OVERFLOW, "tensor size overflows", "$.k[1]");
  t = good;
  t.shape[0] = (int64_t)1 << 60;
  t.shape[1] = 2; /* bytes fit in 64 bits but exceed INT64_MAX */
  expect_refusal(&w, NULL, ZR_ERR_OVERFLOW, "tensor size overflows", "$.k[1]");
  t = good;
  t.data = NULL;
  expect_refusal(&w, NULL, ZR_ERR_INVALID_ARG, "tensor of 256 bytes has no data", "$.k[1]");
  /* an empty tensor without data is fine */
  t = good;
  t.shape[0] = 0;
  t.data = NULL;
  size_t n = 0;
  uint8_t *b = ref_encode(&w, NULL, &n);
  zr_doc *back = NULL;
  assert_int_equal(zr_binary_decode(b, n, NULL, &back, NULL), ZR_OK);
  const zr_value *bt = NULL;
  assert_int_equal(zr_value_at_path(zr_doc_root(back), "$.k[1]", &bt, NULL), ZR_OK);
  assert_int_equal(bt->kind, ZR_KIND_TENSOR);
  assert_int_equal(bt->u.tensor->shape[0], 0);
  zr_doc_free(back);
  free(b);
  zr_doc_free(d);
}

static void test_payload_defects(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  struct {
    zr_value v;
    zr_status code;
    const char *msg;
  } cases[] = {
      {{.kind = ZR_KIND_STRING, .n.len = 5}, ZR_ERR_INVALID_ARG, "string without bytes"},
      {{.kind = ZR_KIND_STRING, .n.len = 50}, ZR_ERR_INVALID_ARG, "string without bytes"},
      {{.kind = ZR_KIND_BIGINT, .n.len = 3}, ZR_ERR_INVALID_ARG, "bigint without bytes"},
      {{.kind = ZR_KIND_BINARY, .n.len = 3}, ZR_ERR_INVALID_ARG, "binary without bytes"},
      {{.kind = ZR_KIND_SYMBOL, .n.len = 3}, ZR_ERR_INVALID_ARG, "symbol without bytes"},
      {{.kind = ZR_KIND_EXT, .n.len = 3}, ZR_ERR_INVALID_ARG, "ext without bytes"},
      {{.kind = ZR_KIND_TIMESTAMP, .aux16 = 99}, ZR_ERR_INVALID_ARG, "timestamp has an unknown unit 99"},
      {{.kind = ZR_KIND_LIST, .n.len = 2}, ZR_ERR_INVALID_ARG, "container without items"},
      {{.kind = ZR_KIND_TUPLE, .n.len = 2}, ZR_ERR_INVALID_ARG, "container without items"},
      {{.kind = ZR_KIND_MAP, .n.len = 2}, ZR_ERR_INVALID_ARG, "map without members"},
      {{.kind = ZR_KIND_TABLE}, ZR_ERR_TYPE, "tables cannot be written in the binary format"},
      {{.kind = 99}, ZR_ERR_INVALID_ARG, "unknown value kind 99"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    /* as a list item, as a map value (path names the key), as a map key (path indexes the entry) */
    zr_value w = wrap(d, cases[i].v);
    expect_refusal(&w, NULL, cases[i].code, cases[i].msg, "$.k[1]");
    zr_value m = zr_map_new(d, 3);
    zr_map_put_cstr(d, &m, "a", zr_int(1));
    zr_map_put_cstr(d, &m, "odd key", cases[i].v);
    expect_refusal(&m, NULL, cases[i].code, cases[i].msg, "$[\"odd key\"]");
    zr_value k = zr_map_new(d, 3);
    zr_map_put_cstr(d, &k, "a", zr_int(1));
    zr_map_put(d, &k, zr_int(7), zr_int(2));
    zr_map_put(d, &k, cases[i].v, zr_int(3));
    expect_refusal(&k, NULL, cases[i].code, cases[i].msg, "$[2]");
    /* with err NULL: only the code */
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(zr_binary_encode(&w, NULL, s, NULL), cases[i].code);
    zr_sink_free(s);
  }
  zr_doc_free(d);
}

static void test_nesting_limits(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  for (int kind = 0; kind < 3; kind++) {
    /* 5000 levels of lists, tuples or maps */
    zr_value v = zr_int(1);
    for (int i = 0; i < 5000; i++) {
      zr_value c = kind == 2 ? zr_map_new(d, 1) : kind == 1 ? zr_tuple_new(d, 1) : zr_list_new(d, 1);
      if (kind == 2) zr_map_put_cstr(d, &c, "x", v);
      else zr_list_push(d, &c, v);
      v = c;
    }
    zr_error e;
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(zr_binary_encode(&v, NULL, s, &e), ZR_ERR_LIMIT);
    assert_non_null(strstr(e.message, "nesting deeper than"));
    assert_non_null(strstr(e.path, "...")); /* deeper segments elided */
    assert_int_equal(zr_sink_size(s), 0);
    zr_sink_free(s);
    expect_refusal(&v, NULL, ZR_ERR_LIMIT, "(or a cycle)", NULL);
  }
  /* a cycle: a list holding itself */
  zr_value *cyc = zr_doc_alloc(d, sizeof *cyc, 8);
  *cyc = zr_list_new(d, 2);
  zr_list_push(d, cyc, zr_int(1));
  zr_list_push(d, cyc, zr_null());
  cyc->u.items[1] = *cyc;
  cyc->u.items[1].n.len = 2;
  expect_refusal(cyc, NULL, ZR_ERR_LIMIT, "(or a cycle)", NULL);
  zr_doc_free(d);
}

static void test_options(void **state) {
  (void)state;
  zr_value v = zr_int(5);
  zr_sink *s = NULL;
  zr_error e;
  uint64_t size;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(NULL, NULL, s, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_binary_encode(&v, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_binary_encoded_size(NULL, NULL, &size, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_binary_encoded_size(&v, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_encode_opts o;
  memset(&o, 0, sizeof o);
  o.alignment = 3;
  assert_int_equal(zr_binary_encode(&v, &o, s, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "alignment 3 is not a power of two ≤ 128");
  o.alignment = 256;
  assert_int_equal(zr_binary_encoded_size(&v, &o, &size, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "alignment 256 is not a power of two ≤ 128");
  o.alignment = 128;
  assert_int_equal(zr_binary_encoded_size(&v, &o, &size, &e), ZR_OK);
  assert_int_equal(size, 5);
  o.alignment = 0;
  o.codec = "snappy";
  assert_int_equal(zr_binary_encode(&v, &o, s, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "binary: unknown codec 'snappy' (auto, none, lz4, zstd, gzip)");
  o.codec = "lz4";
  o.filter = "zigzag";
  assert_int_equal(zr_binary_encode(&v, &o, s, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "binary: unknown filter 'zigzag' (byte, bit, none, auto)");
  o.codec = "zstd";
  o.filter = NULL;
  o.level = 1000;
  assert_int_equal(zr_binary_encode(&v, &o, s, &e), ZR_ERR_RANGE);
  assert_int_equal(zr_sink_size(s), 0);
  /* "", "none" and the codec named none are all "no compression": version 1, the same bytes */
  static const char *const none[] = {"", "none", NULL};
  for (int i = 0; i < 3; i++) {
    o.codec = none[i];
    o.level = 0;
    o.filter = "auto";
    size_t n = 0;
    uint8_t *b = ref_encode(&v, &o, &n);
    assert_int_equal(n, 5);
    assert_int_equal(b[3], 1);
    free(b);
  }
  o.codec = "lz4";
  o.filter = "";
  size_t n = 0;
  uint8_t *b = ref_encode(&v, &o, &n);
  assert_int_equal(b[3], 2); /* compression on: version 2 even when nothing is compressed */
  free(b);
  zr_sink_free(s);
}

/* ------------------------------------------------------------------ compression */

static void roundtrip(const zr_value *v, const zr_encode_opts *o, int want_compressed) {
  size_t n = 0;
  uint8_t *b = ref_encode(v, o, &n);
  zr_doc *back = NULL;
  zr_error e;
  if (zr_binary_decode(b, n, NULL, &back, &e) != ZR_OK) fail_msg("decode: %s", e.message);
  assert_true(zr_value_equal(zr_doc_root(back), v));
  zr_doc_free(back);
  /* the inspector says whether a payload was compressed */
  zr_sink *js = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &js, NULL), ZR_OK);
  assert_int_equal(zr_binary_inspect(b, n, js, NULL), ZR_OK);
  const uint8_t *j;
  size_t jl;
  zr_sink_memory_data(js, &j, &jl);
  char *text = strndup((const char *)j, jl);
  assert_int_equal(strstr(text, "\"compressed\":true") != NULL, want_compressed);
  free(text);
  zr_sink_free(js);
  /* the staging writer gives the same bytes */
  cb c = {CB_INIT};
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &c, &s, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(v, o, s, NULL), ZR_OK);
  assert_int_equal(zr_sink_flush(s, NULL), ZR_OK);
  assert_int_equal(c.len, n);
  assert_memory_equal(c.buf, b, n);
  zr_sink_free(s);
  free(c.buf);
  free(b);
}

static void test_compression_paths(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  uint64_t seed = 42;
  /* incompressible typed lists and tensors: written raw under every codec, and under auto */
  zr_value rl = zr_list_new(d, 2000);
  for (int i = 0; i < 2000; i++) zr_list_push(d, &rl, zr_uint(zr_test_rand(&seed)));
  static uint64_t noise[1024];
  for (int i = 0; i < 1024; i++) noise[i] = zr_test_rand(&seed);
  int64_t sh1[1] = {1024};
  zr_tensor tn;
  assert_int_equal(zr_tensor_init(&tn, ZR_DT_UINT64, 8, 1, sh1, noise, NULL), ZR_OK);
  static const char *const codecs[] = {"lz4", "zstd", "gzip", "auto"};
  zr_encode_opts o;
  for (int c = 0; c < 4; c++) {
    memset(&o, 0, sizeof o);
    o.codec = codecs[c];
    roundtrip(&rl, &o, 0);
    zr_value tv = zr_tensor_value(d, &tn);
    roundtrip(&tv, &o, 0);
  }
  /* compressible complex, described, strided and explicitly filtered tensors */
  static float cplx[2 * 4096];
  for (int i = 0; i < 2 * 4096; i++) cplx[i] = (float)(i % 16);
  int64_t shc[1] = {4096};
  zr_tensor tc;
  assert_int_equal(zr_tensor_init(&tc, ZR_DT_COMPLEX64, 8, 1, shc, cplx, NULL), ZR_OK);
  tc.descr = "<c8";
  static int32_t grid[128 * 128];
  for (int i = 0; i < 128 * 128; i++) grid[i] = i % 100;
  int64_t shg[2] = {128, 64};
  zr_tensor tg;
  assert_int_equal(zr_tensor_init(&tg, ZR_DT_INT32, 4, 2, shg, grid, NULL), ZR_OK);
  tg.strides[0] = 128 * 4; /* every other column: not contiguous */
  tg.strides[1] = 8;
  static const char *const filters[] = {"byte", "bit", "none", NULL};
  for (int c = 0; c < 4; c++) {
    memset(&o, 0, sizeof o);
    o.codec = codecs[c];
    o.filter = filters[c];
    zr_value l = zr_list_new(d, 2);
    zr_list_push(d, &l, zr_tensor_value(d, &tc));
    zr_list_push(d, &l, zr_tensor_value(d, &tg));
    roundtrip(&l, &o, 1);
  }
  zr_doc_free(d);
}

/* compressing under a failing allocator: NOMEM with a message, nothing live, then success */
static void test_compression_failalloc(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  static int32_t grid[128 * 128];
  for (int i = 0; i < 128 * 128; i++) grid[i] = i % 100;
  int64_t shg[2] = {128, 64};
  zr_tensor tg;
  assert_int_equal(zr_tensor_init(&tg, ZR_DT_INT32, 4, 2, shg, grid, NULL), ZR_OK);
  tg.strides[0] = 128 * 4;
  tg.strides[1] = 8;
  tg.descr = "<i4";
  zr_value l = zr_list_new(d, 3);
  zr_value typed = zr_list_new(d, 3000);
  for (int i = 0; i < 3000; i++) zr_list_push(d, &typed, zr_int(i % 7));
  zr_list_push(d, &l, typed);
  zr_list_push(d, &l, zr_tensor_value(d, &tg));
  zr_encode_opts o;
  memset(&o, 0, sizeof o);
  o.codec = "zstd";
  size_t rn = 0;
  uint8_t *ref = ref_encode(&l, &o, &rn);
  for (uint64_t k = 1;; k++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, k);
    o.alloc = &fa.a;
    cb c = {CB_INIT};
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &c, &s, NULL), ZR_OK);
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_binary_encode(&l, &o, s, &e);
    zr_sink_free(s);
    assert_int_equal(fa.live, 0);
    if (st == ZR_OK) {
      assert_int_equal(c.len, rn);
      assert_memory_equal(c.buf, ref, rn);
      free(c.buf);
      break;
    }
    free(c.buf);
    assert_int_equal(st, ZR_ERR_NOMEM);
    assert_true(e.message[0] != '\0');
    assert_true(k < 500);
  }
  free(ref);
  zr_doc_free(d);
}

/* ------------------------------------------------------------------ sink behaviour */

static void test_would_block_and_large_writes(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  /* a value with a payload larger than half the staging window: written straight to the sink */
  static uint8_t big[150000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 13);
  zr_value l = zr_list_new(d, 3);
  zr_list_push(d, &l, zr_str_copy(d, "head", 4));
  zr_list_push(d, &l, zr_bin_copy(d, big, sizeof big));
  zr_list_push(d, &l, zr_bin_copy(d, big, 40000));
  size_t rn = 0;
  uint8_t *ref = ref_encode(&l, NULL, &rn);
  /* a sink taking 1000 bytes per call and saying would-block keeps the rest: the encode succeeds,
   * flushing until done gives the same bytes */
  cb c = {CB_INIT, .chunk = 1000};
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &c, &s, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(&l, NULL, s, NULL), ZR_OK);
  assert_int_equal(zr_sink_size(s), rn);
  int rounds = 0;
  while (zr_sink_flush(s, NULL) == ZR_WOULD_BLOCK) rounds++;
  assert_true(rounds > 10);
  assert_int_equal(c.len, rn);
  assert_memory_equal(c.buf, ref, rn);
  zr_sink_free(s);
  free(c.buf);
  /* failing the n-th write: ZR_ERR_IO with the callback's message, for every n until success */
  for (int k = 1;; k++) {
    cb f = {CB_INIT, .fail_at = k};
    assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &f, &s, NULL), ZR_OK);
    zr_error e;
    zr_status st = zr_binary_encode(&l, NULL, s, &e);
    zr_sink_free(s);
    if (st == ZR_OK) {
      assert_int_equal(f.len, rn);
      free(f.buf);
      break;
    }
    assert_int_equal(st, ZR_ERR_IO);
    assert_string_equal(e.message, "sink callback failed: input/output error");
    assert_memory_equal(f.buf ? f.buf : ref, ref, f.len); /* what got through is a prefix */
    free(f.buf);
    assert_true(k < 10);
  }
  free(ref);
  zr_doc_free(d);
}

/* Where the write window runs out is shifted one byte at a time by a leading string, so that
 * every place the encoder asks for room (tensor headers, typed lists, timestamps, padding, big
 * payloads, map keys) meets the end of the window: the staging writer then flushes into a sink
 * failing its first write (ZR_ERR_IO), the one-pass writer grows a memory sink whose allocator
 * fails (ZR_ERR_NOMEM, nothing committed, nothing live). Both succeed when nothing fails. */
static zr_value boundary_value(zr_doc *d, size_t shift, int kind, int count) {
  static char pad[200];
  memset(pad, 'p', sizeof pad);
  static int16_t small[6] = {1, 2, 3, 4, 5, 6};
  static zr_tensor tt, tw;
  int64_t sh[2] = {2, 3};
  zr_tensor_init(&tt, ZR_DT_INT16, 2, 2, sh, small, NULL);
  tt.descr = "<i2";
  /* a long header: 20 dimensions, a long descr; no elements */
  int64_t wide[20];
  for (int k = 0; k < 20; k++) wide[k] = k == 0 ? 0 : 5;
  static char longdescr[120];
  memset(longdescr, 'D', sizeof longdescr - 1);
  assert_int_equal(zr_tensor_init(&tw, ZR_DT_UINT8, 1, 20, wide, NULL, NULL), ZR_OK);
  tw.descr = longdescr;
  zr_value l = zr_list_new(d, (size_t)count + 1);
  zr_list_push(d, &l, zr_str_copy(d, pad, shift));
  for (int i = 0; i < count; i++) {
    zr_value x;
    switch (kind) {
      case 0: x = zr_timestamp(d, 1000 + i, ZR_TU_MICRO, "Europe/Paris"); break;
      case 1: x = zr_tensor_value(d, &tt); break;
      case 2: {
        x = zr_list_new(d, 12);
        for (int k = 0; k < 12; k++) zr_list_push(d, &x, zr_int(k * 1000));
        break;
      }
      case 3: {
        x = zr_map_new(d, 2);
        zr_map_put(d, &x, zr_str_copy(d, "a key longer than thirty-two bytes!", 35), zr_float32(1.5f));
        zr_map_put(d, &x, zr_uint(UINT64_MAX), zr_bigint(d, 1, (const uint8_t *)"\1\2\3\4\5\6\7\10\11", 9));
        break;
      }
      case 4: x = zr_ext(d, 300, 2, pad, 50); break;
      case 6: x = zr_tensor_value(d, &tw); break;
      case 7: x = zr_timestamp(d, -5, ZR_TU_NANO, "America/Argentina/ComodRivadavia/and/a/long/zone/name/of/more/than/ninety/six/bytes!!"); break;
      default: x = zr_sym_copy(d, pad, 40 + (size_t)(i % 7)); break;
    }
    zr_list_push(d, &l, x);
  }
  return l;
}

/* Under sanitizers the shifts are sampled (every 4th); the coverage build runs them all. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BOUNDARY_STEP 4
#else
#define BOUNDARY_STEP 1
#endif

static void test_boundary_sweep(void **state) {
  (void)state;
  static char pad[100];
  memset(pad, 'p', sizeof pad);
  for (int kind = 0; kind < 8; kind++) {
    zr_doc *d = zr_doc_new(NULL);
    /* staging: > 64 KiB so that the window is flushed mid-way, into a failing sink; one pass:
     * > 4 KiB so that the reservation grows. The leading string's length is the shift. */
    zr_value v = boundary_value(d, 0, kind, 2600);
    zr_value w = boundary_value(d, 0, kind, 300);
    for (size_t shift = 0; shift < sizeof pad; shift += BOUNDARY_STEP) {
      v.u.items[0] = zr_str_ref(pad, shift);
      w.u.items[0] = zr_str_ref(pad, shift);
      cb f = {CB_INIT, .fail_at = 1};
      zr_sink *s = NULL;
      assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &f, &s, NULL), ZR_OK);
      zr_error e;
      zr_error_clear(&e);
      assert_int_equal(zr_binary_encode(&v, NULL, s, &e), ZR_ERR_IO);
      assert_string_equal(e.message, "sink callback failed: input/output error");
      assert_string_equal(e.path, ""); /* a sink error is not a value error */
      zr_sink_free(s);
      free(f.buf);
      /* one pass: the first growth of the reservation fails */
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, 2);
      assert_int_equal(zr_sink_memory_new(&fa.a, &s, NULL), ZR_OK);
      zr_error_clear(&e);
      assert_int_equal(zr_binary_encode(&w, NULL, s, &e), ZR_ERR_NOMEM);
      assert_int_equal(zr_sink_size(s), 0);
      zr_sink_free(s);
      assert_int_equal(fa.live, 0);
      if (shift % 25 == 0) { /* and without faults, both round-trip */
        size_t n = 0;
        uint8_t *b = ref_encode(&v, NULL, &n);
        zr_doc *back = NULL;
        assert_int_equal(zr_binary_decode(b, n, NULL, &back, NULL), ZR_OK);
        assert_true(zr_value_equal(zr_doc_root(back), &v));
        zr_doc_free(back);
        free(b);
      }
    }
    zr_doc_free(d);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tensor_defects),        cmocka_unit_test(test_payload_defects),
      cmocka_unit_test(test_nesting_limits),        cmocka_unit_test(test_options),
      cmocka_unit_test(test_compression_paths),     cmocka_unit_test(test_compression_failalloc),
      cmocka_unit_test(test_would_block_and_large_writes), cmocka_unit_test(test_boundary_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
