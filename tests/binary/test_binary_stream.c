/* Reusing a doc: zr_doc_reset, zr_binary_decode_into and zr_binary_decode_next over a stream of
 * concatenated encodings (random values of every kind, both decoder modes), truncation at every
 * cut point reported as ZR_ERR_TRUNCATED, memory kept across resets, limits and failures. */
#include <stdio.h>
#include <stdlib.h>

#include "gen.h"

#define VALUES 400u

static int released;
static void on_release(void *p) { released += *(int *)p; }

static void test_doc_reset(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  assert_non_null(d);
  zr_doc_reset(NULL); /* NULL-safe */
  int one = 1;
  released = 0;
  assert_int_equal(zr_doc_keep(d, on_release, &one), ZR_OK);
  zr_value l = zr_list_new(d, 1000);
  for (int i = 0; i < 1000; i++) assert_int_equal(zr_list_push(d, &l, zr_str_copy(d, "some text", 9)), ZR_OK);
  assert_int_equal(zr_doc_set_root(d, l), ZR_OK);
  uint64_t held = zr_doc_bytes(d);
  assert_true(held > 1000 * 24);
  zr_doc_reset(d);
  assert_int_equal(released, 1); /* keeps run on reset, once */
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_NULL);
  assert_int_equal(zr_doc_status(d), ZR_OK);
  assert_true(zr_doc_bytes(d) <= held);
  /* building again reuses the kept memory: the same tree needs no more than before */
  l = zr_list_new(d, 1000);
  for (int i = 0; i < 1000; i++) assert_int_equal(zr_list_push(d, &l, zr_str_copy(d, "some text", 9)), ZR_OK);
  assert_int_equal(zr_doc_set_root(d, l), ZR_OK);
  assert_int_equal(zr_doc_root(d)->n.len, 1000);
  assert_memory_equal(zr_doc_root(d)->u.items[999].u.str, "some text", 9);
  zr_doc_free(d);
  assert_int_equal(released, 1);
}

typedef struct stream {
  uint8_t *data;
  size_t len;
  size_t *ends; /* end offset of each encoding */
} stream;

static stream make_stream(zr_doc *src, zr_value *vals, unsigned n) {
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  stream st;
  st.ends = calloc(n, sizeof *st.ends);
  for (unsigned i = 0; i < n; i++) {
    vals[i] = gen_value(src, 9000 + i, 6);
    assert_int_equal(zr_binary_encode(&vals[i], NULL, s, NULL), ZR_OK);
    st.ends[i] = (size_t)zr_sink_size(s);
  }
  assert_int_equal(zr_sink_memory_take(s, &st.data, &st.len, NULL), ZR_OK);
  zr_sink_free(s);
  return st;
}

static void test_decode_next_stream(void **state) {
  (void)state;
  zr_doc *src = zr_doc_new(NULL);
  zr_value *vals = calloc(VALUES, sizeof *vals);
  stream st = make_stream(src, vals, VALUES);
  for (int mode = 0; mode < 2; mode++) {
    zr_decode_opts o;
    zr_decode_opts_init(&o);
    o.copy = mode;
    zr_doc *d = zr_doc_new(NULL);
    size_t pos = 0;
    for (unsigned i = 0; i < VALUES; i++) {
      size_t used = 99;
      zr_error err;
      zr_error_clear(&err);
      zr_status s = zr_binary_decode_next(st.data + pos, st.len - pos, &o, d, &used, &err);
      if (s != ZR_OK) fail_msg("value %u mode %d: %s", i, mode, err.message);
      assert_int_equal(pos + used, st.ends[i]);
      if (!zr_value_equal(&vals[i], zr_doc_root(d))) fail_msg("value %u mode %d differs", i, mode);
      pos += used;
    }
    assert_int_equal(pos, st.len);
    size_t used = 7;
    assert_int_equal(zr_binary_decode_next(st.data + pos, 0, &o, d, &used, NULL), ZR_ERR_TRUNCATED);
    assert_int_equal(used, 0);
    zr_doc_free(d);
  }
  free(st.data);
  free(st.ends);
  free(vals);
  zr_doc_free(src);
}

/* Every cut inside an encoding is "need more bytes", never another error or a success. */
static void test_decode_next_truncated(void **state) {
  (void)state;
  zr_doc *src = zr_doc_new(NULL);
  zr_value vals[24];
  stream st = make_stream(src, vals, 24);
  zr_doc *d = zr_doc_new(NULL);
  size_t start = 0;
  for (unsigned i = 0; i < 24; i++) {
    size_t end = st.ends[i];
    for (size_t cut = start; cut < end; cut++) {
      size_t used = 1;
      zr_status s = zr_binary_decode_next(st.data + start, cut - start, NULL, d, &used, NULL);
      if (s != ZR_ERR_TRUNCATED) fail_msg("value %u cut at %zu of %zu: status %d", i, cut - start, end - start, (int)s);
      assert_int_equal(used, 0);
      assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_NULL); /* left reset */
    }
    /* and with the rest of the stream behind it, it decodes */
    size_t used = 0;
    assert_int_equal(zr_binary_decode_next(st.data + start, st.len - start, NULL, d, &used, NULL), ZR_OK);
    assert_int_equal(used, end - start);
    assert_true(zr_value_equal(&vals[i], zr_doc_root(d)));
    start = end;
  }
  zr_doc_free(d);
  free(st.data);
  free(st.ends);
  zr_doc_free(src);
}

static void test_decode_into(void **state) {
  (void)state;
  zr_doc *src = zr_doc_new(NULL);
  zr_doc *d = zr_doc_new(NULL);
  /* a big tree (past the pre-sized block threshold) twice, then small values, then big again */
  zr_value big = zr_list_new(src, 300000);
  for (int i = 0; i < 300000; i++) {
    zr_value m = zr_map_new(src, 2);
    zr_map_put_cstr(src, &m, "id", zr_int(i));
    zr_map_put_cstr(src, &m, "name", zr_cstr_ref("abc"));
    zr_list_push(src, &big, m);
  }
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(&big, NULL, s, NULL), ZR_OK);
  const uint8_t *bytes;
  size_t len;
  assert_int_equal(zr_sink_memory_data(s, &bytes, &len), ZR_OK);
  uint64_t first = 0;
  for (int r = 0; r < 3; r++) {
    assert_int_equal(zr_binary_decode_into(bytes, len, NULL, d, NULL), ZR_OK);
    assert_true(zr_value_equal(&big, zr_doc_root(d)));
    if (r == 0) first = zr_doc_bytes(d);
    else assert_true(zr_doc_bytes(d) <= first + (first >> 2)); /* no growth from reuse */
  }
  for (unsigned i = 0; i < 50; i++) {
    zr_value v = gen_value(src, 77 + i, 5);
    zr_sink *t = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &t, NULL), ZR_OK);
    assert_int_equal(zr_binary_encode(&v, NULL, t, NULL), ZR_OK);
    const uint8_t *b;
    size_t n;
    assert_int_equal(zr_sink_memory_data(t, &b, &n), ZR_OK);
    assert_int_equal(zr_binary_decode_into(b, n, NULL, d, NULL), ZR_OK);
    assert_true(zr_value_equal(&v, zr_doc_root(d)));
    /* trailing bytes are an error for decode_into (as for zr_binary_decode); the doc is left reset */
    uint8_t *longer = malloc(n + 1);
    memcpy(longer, b, n);
    longer[n] = 0;
    assert_int_equal(zr_binary_decode_into(longer, n + 1, NULL, d, NULL), ZR_ERR_MALFORMED);
    assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_NULL);
    free(longer);
    zr_sink_free(t);
  }
  assert_int_equal(zr_binary_decode_into(bytes, len, NULL, d, NULL), ZR_OK);
  assert_true(zr_value_equal(&big, zr_doc_root(d)));
  /* the byte limit applies to the reused doc */
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.max_bytes = 4096;
  zr_error err;
  zr_error_clear(&err);
  assert_int_equal(zr_binary_decode_into(bytes, len, &o, d, &err), ZR_ERR_LIMIT);
  /* arguments */
  size_t used;
  assert_int_equal(zr_binary_decode_into(bytes, len, NULL, NULL, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_binary_decode_next(bytes, len, NULL, d, NULL, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_binary_decode_next(NULL, 3, NULL, d, &used, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_binary_decode_next((const uint8_t *)"JSON", 4, NULL, d, &used, NULL), ZR_ERR_FORMAT);
  zr_sink_free(s);
  zr_doc_free(d);
  zr_doc_free(src);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_doc_reset),
      cmocka_unit_test(test_decode_next_stream),
      cmocka_unit_test(test_decode_next_truncated),
      cmocka_unit_test(test_decode_into),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
