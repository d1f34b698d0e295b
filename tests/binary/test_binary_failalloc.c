/* Allocation failure: fail the n-th allocation, for every n, in the encoder (memory sink growing
 * through the failing allocator; staging buffer) and the decoder (both modes, with repeated-key
 * policies that allocate a hash table): a clean ZR_ERR_NOMEM, no leak, no crash. */
#include <stdio.h>
#include <stdlib.h>

#include "gen.h"
#include "zerial/binary.h"

static zr_value build(zr_doc *d) {
  zr_value root = zr_map_new(d, 0);
  zr_value rows = zr_list_new(d, 0);
  for (int i = 0; i < 300; i++) {
    zr_value r = zr_map_new(d, 0);
    zr_map_put_cstr(d, &r, "id", zr_int(i));
    zr_map_put_cstr(d, &r, "name", zr_cstr_ref("someone-or-other"));
    zr_list_push(d, &rows, r);
  }
  zr_map_put_cstr(d, &root, "rows", rows);
  zr_value wide = zr_map_new(d, 0); /* > 16 keys: the repeated-key check uses a hash table */
  for (int i = 0; i < 40; i++) zr_map_put(d, &wide, zr_int(i % 30), zr_int(i));
  zr_map_put_cstr(d, &root, "wide", wide);
  for (uint32_t k = 0; k < 8; k++) zr_map_put(d, &root, zr_int(k), gen_value(d, k, 30));
  return root;
}

static zr_status nop_write(void *ud, const void *data, size_t len, size_t *written) {
  (void)ud;
  (void)data;
  *written = len;
  return ZR_OK;
}

/* the encoder into a memory sink growing through @p a */
static zr_status enc_memory(void *ud, zr_allocator *a, zr_error *err) {
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(a, &s, NULL), ZR_OK);
  zr_status st = zr_binary_encode(ud, NULL, s, err);
  assert_int_equal(err->code, st);
  zr_sink_free(s);
  return st;
}

/* the staging path: the staging buffer comes from opts->alloc */
static zr_status enc_staging(void *ud, zr_allocator *a, zr_error *err) {
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.alloc = a;
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_callback_new(nop_write, NULL, &s, NULL), ZR_OK);
  zr_status st = zr_binary_encode(ud, &eo, s, err);
  zr_sink_free(s);
  return st;
}

static void test_encode_failalloc(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = build(d);
  assert_int_equal(zr_doc_status(d), ZR_OK);
  zr_test_failalloc_sweep("encode", enc_memory, &v, 1000, 0);
  zr_test_failalloc_sweep("encode staging", enc_staging, &v, 100, ZR_TEST_FA_NO_ERR);
  zr_doc_free(d);
}

typedef struct dec_case {
  const uint8_t *bytes;
  size_t len;
  int copy;
  zr_dup_policy dup;
  const zr_value *v;
} dec_case;

static zr_status dec_run(void *ud, zr_allocator *a, zr_error *err) {
  const dec_case *c = ud;
  zr_decode_opts opts;
  zr_decode_opts_init(&opts);
  opts.alloc = a;
  opts.copy = c->copy;
  opts.dup_keys = c->dup;
  zr_doc *out = NULL;
  zr_status st = zr_binary_decode(c->bytes, c->len, &opts, &out, err);
  if (st == ZR_OK) {
    if (c->dup == ZR_DUP_KEEP) assert_true(zr_value_equal(c->v, zr_doc_root(out)));
    zr_doc_free(out);
  } else {
    assert_null(out);
  }
  return st;
}

static void test_decode_failalloc(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = build(d);
  zr_sink *s = NULL;
  zr_sink_memory_new(NULL, &s, NULL);
  assert_int_equal(zr_binary_encode(&v, NULL, s, NULL), ZR_OK);
  const uint8_t *bytes;
  size_t len;
  zr_sink_memory_data(s, &bytes, &len);
  for (int mode = 0; mode < 2; mode++) {
    for (int dup = ZR_DUP_KEEP; dup <= ZR_DUP_LAST; dup++) {
      if (dup == ZR_DUP_ERROR) continue;
      dec_case c = {bytes, len, mode, (zr_dup_policy)dup, &v};
      uint64_t n = zr_test_failalloc_sweep("decode", dec_run, &c, 10000, 0);
      assert_true(n >= 2); /* at least the doc and one arena chunk were refused once */
    }
  }
  zr_sink_free(s);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_encode_failalloc), cmocka_unit_test(test_decode_failalloc)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
