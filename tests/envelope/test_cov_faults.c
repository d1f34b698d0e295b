/* Fault sweeps over the envelope: frames with every metadata part written through sinks failing
 * their n-th write and allocators failing their n-th allocation, parsed and read (metadata only)
 * under failing allocators, in-place frames (begin/end) under failing sink memory, and every
 * single-byte corruption and every truncation of a frame refused with an error and an offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/envelope.h"
#include "zerial/format.h"
#include "zr_test.h"

static const char payload[] = "the payload of the frame, long enough to be worth a checksum ......";
static const zr_envelope_kv kv[3] = {{{"k1", 2}, {"v1", 2}}, {{"key2", 4}, {"value2", 6}}, {{"é", 2}, {"ü", 2}}};
static const uint64_t ins[2] = {11, 22};
static zr_envelope_lineage lin[2];
static zr_envelope_meta meta;

static void make_meta(void) {
  lin[0] = (zr_envelope_lineage){{"convert", 7}, {"cov", 3}, 1000, ins, 2};
  lin[1] = (zr_envelope_lineage){{"serialize", 9}, {"cov", 3}, 2000, NULL, 0};
  memset(&meta, 0, sizeof meta);
  meta.has_schema_fingerprint = 1;
  meta.schema_fingerprint = 0x1234;
  meta.has_created_at = 1;
  meta.created_at_ns = 42;
  meta.producer = (zr_envelope_str){"cov-test", 8};
  meta.kv = kv;
  meta.n_kv = 3;
  meta.lineage = lin;
  meta.n_lineage = 2;
}

/* the frame of the test payload and metadata into @p s */
static zr_status write_frame(void *ud, zr_sink *s, zr_error *err) {
  (void)ud;
  zr_envelope_params p;
  memset(&p, 0, sizeof p);
  p.format_id = ZR_FORMAT_ID_BINARY;
  p.meta = &meta;
  return zr_envelope_write(s, &p, payload, sizeof payload, err);
}

static uint8_t *frame(size_t *len) {
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(write_frame(NULL, s, NULL), ZR_OK);
  uint8_t *b = NULL;
  assert_int_equal(zr_sink_memory_take(s, &b, len, NULL), ZR_OK);
  zr_sink_free(s);
  return b;
}

static void test_write_faults(void **state) {
  (void)state;
  make_meta();
  zr_test_sink_sweep("envelope write", write_frame, NULL, ZR_ERR_NOSPACE,
                     "sink callback failed: no space left on device", 1000);
  /* write and in-place begin/end with the scratch and sink memory failing */
  size_t ref_len;
  uint8_t *ref = frame(&ref_len);
  for (int inplace = 0; inplace < 2; inplace++) {
    for (uint64_t n = 1;; n++) {
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, n);
      zr_sink *s = NULL;
      zr_error e;
      zr_error_clear(&e);
      zr_status st = zr_sink_memory_new(&fa.a, &s, &e);
      zr_envelope_params p;
      memset(&p, 0, sizeof p);
      p.format_id = ZR_FORMAT_ID_BINARY;
      p.meta = &meta;
      p.alloc = &fa.a;
      if (st == ZR_OK && !inplace) st = zr_envelope_write(s, &p, payload, sizeof payload, &e);
      if (st == ZR_OK && inplace) {
        zr_envelope_writer w;
        st = zr_envelope_begin(s, &p, &w, &e);
        if (st == ZR_OK) st = zr_sink_write(s, payload, sizeof payload, &e);
        if (st == ZR_OK) st = zr_envelope_end(&w, &e);
      }
      if (st == ZR_OK) {
        const uint8_t *b;
        size_t bl;
        zr_sink_memory_data(s, &b, &bl);
        zr_envelope env;
        assert_int_equal(zr_envelope_parse(b, bl, NULL, &env, NULL), ZR_OK);
        assert_int_equal(env.payload_len, sizeof payload);
        assert_int_equal(env.meta.n_kv, 3);
        assert_int_equal(env.meta.n_lineage, 2);
        zr_envelope_clear(&env);
        if (!inplace) {
          assert_int_equal(bl, ref_len);
        }
      }
      zr_sink_free(s);
      assert_int_equal(fa.live, 0);
      if (st == ZR_OK) {
        assert_true(fa.calls < n);
        break;
      }
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_true(e.message[0] != '\0');
      assert_true(n < 1000);
    }
  }
  free(ref);
}

static void test_parse_faults(void **state) {
  (void)state;
  make_meta();
  size_t len;
  uint8_t *b = frame(&len);
  for (int meta_only = 0; meta_only < 2; meta_only++) {
    for (uint64_t n = 1;; n++) {
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, n);
      zr_envelope env;
      zr_error e;
      zr_error_clear(&e);
      zr_status st = meta_only ? zr_envelope_read_meta(b, len, &fa.a, &env, &e) : zr_envelope_parse(b, len, &fa.a, &env, &e);
      if (st == ZR_OK) {
        assert_int_equal(env.meta.n_kv, 3);
        assert_int_equal(env.meta.lineage[0].n_inputs, 2);
        assert_int_equal(env.meta.lineage[0].inputs[1], 22);
        assert_memory_equal(env.meta.producer.ptr, "cov-test", 8);
        zr_envelope_clear(&env);
      }
      assert_int_equal(fa.live, 0);
      if (st == ZR_OK) {
        assert_true(fa.calls < n);
        break;
      }
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_true(n < 1000);
    }
  }
  /* every single-byte corruption and every truncation is refused, with an offset inside the frame */
  uint8_t *c = malloc(len);
  for (size_t i = 0; i < len; i++) {
    memcpy(c, b, len);
    c[i] ^= 0x5a;
    zr_envelope env;
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_envelope_parse(c, len, NULL, &env, &e);
    if (st == ZR_OK) fail_msg("corruption at byte %zu accepted", i);
    assert_true(e.message[0] != '\0');
    assert_true(e.offset >= -1 && e.offset <= (int64_t)len);
  }
  for (size_t cut = 0; cut < len; cut++) {
    zr_envelope env;
    zr_error e;
    zr_status st = zr_envelope_parse(b, cut, NULL, &env, &e);
    assert_int_not_equal(st, ZR_OK);
    assert_true(e.message[0] != '\0');
  }
  free(c);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_write_faults), cmocka_unit_test(test_parse_faults)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
