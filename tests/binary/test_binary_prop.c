/* Property: for 100,000 seeded random values of every kind and nesting, encode → decode gives an
 * equal value (zr_value_equal), in zero-copy and copying mode, and the size pass is exact; every
 * 16th case is also written through a non-reserving sink and must give the same bytes. */
#include <stdio.h>
#include <stdlib.h>

#include "gen.h"

#define CASES 100000u

static void test_roundtrip_property(void **state) {
  (void)state;
  zr_decode_opts zc, cp;
  zr_decode_opts_init(&zc);
  zr_decode_opts_init(&cp);
  cp.copy = 1;
  zr_test_sink col = {.keep = 1};
  zr_sink *cb = NULL;
  assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &col, &cb, NULL), ZR_OK);
  uint64_t total_bytes = 0;
  for (uint32_t i = 0; i < CASES; i++) {
    zr_doc *doc = zr_doc_new(NULL);
    assert_non_null(doc);
    zr_value v = gen_value(doc, i, 24);
    assert_int_equal(zr_doc_status(doc), ZR_OK);
    zr_sink *sink = NULL;
    zr_error err;
    zr_error_clear(&err);
    assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
    zr_status st = zr_binary_encode(&v, NULL, sink, &err);
    if (st != ZR_OK) fail_msg("case %u: encode failed: %s at %s", i, err.message, err.path);
    const uint8_t *bytes;
    size_t len;
    assert_int_equal(zr_sink_memory_data(sink, &bytes, &len), ZR_OK);
    uint64_t size = 0;
    assert_int_equal(zr_binary_encoded_size(&v, NULL, &size, NULL), ZR_OK);
    assert_int_equal(size, len);
    total_bytes += len;
    if (i % 16 == 0) {
      col.len = 0;
      assert_int_equal(zr_binary_encode(&v, NULL, cb, NULL), ZR_OK);
      assert_int_equal(col.len, len);
      assert_memory_equal(col.buf, bytes, len);
    }
    for (int mode = 0; mode < 2; mode++) {
      zr_doc *out = NULL;
      st = zr_binary_decode(bytes, len, mode ? &cp : &zc, &out, &err);
      if (st != ZR_OK) fail_msg("case %u mode %d: decode failed: %s (offset %lld)", i, mode, err.message, (long long)err.offset);
      if (!zr_value_equal(&v, zr_doc_root(out))) fail_msg("case %u mode %d: round trip differs", i, mode);
      zr_doc_free(out);
    }
    zr_sink_free(sink);
    zr_doc_free(doc);
  }
  zr_sink_free(cb);
  free(col.buf);
  print_message("%u cases, %llu bytes encoded\n", CASES, (unsigned long long)total_bytes);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip_property)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
