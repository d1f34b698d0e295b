/* Coverage: the binary decoder and inspector at every LEB128 field (a 10-byte number that
 * overflows 64 bits, a number cut short, the largest valid number), each with its code, message
 * and byte offset; decode options at their defaults and bounds (max_depth 0 and past the hard
 * limit, max_elements 0, an unknown dup_keys policy); NULL arguments of the three entry points;
 * a tensor whose itemsize no stride can hold; the pre-sized block of large inputs under a failing
 * allocator; compressed typed lists and tensors under a failing allocator (both copy modes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/binary/binary_internal.h"
#include "zr_test.h"
#include "zerial/binary.h"

/* a field template: bytes before the number (after the 4-byte header), the field's name in the
 * decoder's message, and bytes after it */
typedef struct site {
  int version;
  uint8_t pre[16];
  size_t npre;
  const char *what; /* substring of the decoder's message */
} site;

static const site sites[] = {
    {1, {0xC3}, 1, "a uint"},
    {1, {0xCE, 0x00}, 2, "a bigint length"},
    {1, {0xCF}, 1, "a length"},
    {1, {0xD0}, 1, "a length"},
    {1, {0xD1}, 1, "a length"},
    {1, {0xD2}, 1, "a count"},
    {1, {0xD3}, 1, "a count"},
    {1, {0xD4}, 1, "a count"},
    {1, {0xD5, 0x02}, 2, "a typed-list count"},
    {1, {0xD6, 0x01}, 2, "a time zone length"},
    {1, {0xD7, 0x04, 0x00, 0x00, 0x01}, 5, "a tensor itemsize"},
    {1, {0xD7, 0x04, 0x00, 0x00, 0x01, 0x04}, 6, "a tensor extent"},
    {1, {0xD7, 0x04, 0x00, 0x00, 0x01, 0x04, 0x00}, 7, "a tensor descr length"},
    {1, {0xD7, 0x04, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00}, 8, "a tensor data length"},
    {1, {0xD8}, 1, "an ext type id"},
    {1, {0xD8, 0x05}, 2, "an ext version"},
    {1, {0xD8, 0x05, 0x01}, 3, "an ext length"},
    {2, {0xDA, 0x02}, 2, "a typed-list count"},
    {2, {0xDA, 0x02, 0x08}, 3, "a compressed length"},
    {2, {0xDB, 0x04, 0x00, 0x00, 0x01, 0x04, 0x02, 0x00, 0x08}, 9, "a compressed length"},
};

static size_t build(uint8_t *out, const site *s, const uint8_t *num, size_t nnum) {
  memcpy(out, "ZRB", 3);
  out[3] = (uint8_t)s->version;
  memcpy(out + 4, s->pre, s->npre);
  memcpy(out + 4 + s->npre, num, nnum);
  return 4 + s->npre + nnum;
}

static zr_status inspect(const uint8_t *b, size_t n, zr_error *e) {
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_status st = zr_binary_inspect(b, n, s, e);
  if (st != ZR_OK) assert_int_equal(zr_sink_size(s), 0);
  zr_sink_free(s);
  return st;
}

static void test_varint_fields(void **state) {
  (void)state;
  static const uint8_t overflow[10] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02};
  static const uint8_t cut[3] = {0x80, 0x80, 0x80};
  static const uint8_t biggest[10] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  for (size_t i = 0; i < sizeof sites / sizeof sites[0]; i++) {
    uint8_t b[64];
    zr_error e;
    zr_doc *d = NULL;
    /* 2^64 and more: malformed at the number's first byte */
    size_t n = build(b, &sites[i], overflow, sizeof overflow);
    zr_error_clear(&e);
    assert_int_equal(zr_binary_decode(b, n, NULL, &d, &e), ZR_ERR_MALFORMED);
    assert_null(d);
    if (e.offset != (int64_t)(4 + sites[i].npre) || !strstr(e.message, "is not a valid LEB128 number") ||
        !strstr(e.message, sites[i].what))
      fail_msg("site %zu: offset %lld, '%s'", i, (long long)e.offset, e.message);
    zr_error_clear(&e);
    assert_int_equal(inspect(b, n, &e), ZR_ERR_MALFORMED);
    assert_true(e.message[0] != '\0');
    /* cut short inside the number: truncated */
    n = build(b, &sites[i], cut, sizeof cut);
    zr_error_clear(&e);
    assert_int_equal(zr_binary_decode(b, n, NULL, &d, &e), ZR_ERR_TRUNCATED);
    assert_true(e.offset >= (int64_t)(4 + sites[i].npre) && e.offset <= (int64_t)n);
    assert_int_equal(inspect(b, n, &e), ZR_ERR_TRUNCATED);
    /* 2^64 - 1: a valid number, refused for what it says (too large, a limit, or truncated) */
    n = build(b, &sites[i], biggest, sizeof biggest);
    zr_error_clear(&e);
    zr_status st = zr_binary_decode(b, n, NULL, &d, &e);
    if (i == 0) { /* a uint: the whole value */
      assert_int_equal(st, ZR_OK);
      assert_true(zr_doc_root(d)->u.u == UINT64_MAX);
      zr_doc_free(d);
    } else {
      assert_true(st < 0);
      assert_true(e.offset >= 4 && e.offset <= (int64_t)n);
      assert_true(inspect(b, n, &e) < 0);
    }
  }
}

static void test_options_and_arguments(void **state) {
  (void)state;
  /* 11000 nested lists */
  size_t n = 4 + 11000 + 1;
  uint8_t *b = malloc(n);
  memcpy(b, "ZRB\x01", 4);
  memset(b + 4, 0xA1, 11000);
  b[n - 1] = 0x01;
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  zr_doc *d = NULL;
  zr_error e;
  o.max_depth = 0; /* the default (well below 11000) */
  assert_int_equal(zr_binary_decode(b, n, &o, &d, &e), ZR_ERR_LIMIT);
  o.max_depth = 1u << 30; /* clamped to the decoder's hard limit of 10000 */
  o.max_bytes = 64u << 20;
  assert_int_equal(zr_binary_decode(b, n, &o, &d, &e), ZR_ERR_LIMIT);
  assert_non_null(strstr(e.message, "10000"));
  assert_int_equal(zr_binary_decode(b, 4 + 9000, &o, &d, &e), ZR_ERR_TRUNCATED); /* 9000 levels pass the clamp */
  free(b);
  static const uint8_t small[] = {'Z', 'R', 'B', 1, 0xA3, 1, 2, 3};
  zr_decode_opts_init(&o);
  o.max_elements = 0; /* the default */
  assert_int_equal(zr_binary_decode(small, sizeof small, &o, &d, &e), ZR_OK);
  zr_doc_free(d);
  o.dup_keys = (zr_dup_policy)99;
  assert_int_equal(zr_binary_decode(small, sizeof small, &o, &d, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "unknown dup_keys policy 99");
  assert_null(d);
  /* NULL arguments */
  assert_int_equal(zr_binary_decode(small, sizeof small, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_binary_decode(NULL, 5, NULL, &d, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_binary_decode_into(small, sizeof small, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  d = zr_doc_new(NULL);
  assert_int_equal(zr_binary_decode_into(NULL, 5, NULL, d, &e), ZR_ERR_INVALID_ARG);
  size_t used = 7;
  assert_int_equal(zr_binary_decode_next(small, sizeof small, NULL, NULL, &used, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(used, 0);
  assert_int_equal(zr_binary_decode_next(small, sizeof small, NULL, d, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_binary_decode_next(NULL, 5, NULL, d, &used, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_binary_decode_next(small, sizeof small, NULL, d, &used, &e), ZR_OK);
  assert_int_equal(used, sizeof small);
  zr_doc_free(d);
  /* a void tensor of itemsize 2^63 and no elements: no stride can hold it */
  static const uint8_t huge_item[] = {'Z', 'R', 'B', 1, 0xD7, 19, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                      0x80, 0x80, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00};
  assert_int_equal(zr_binary_decode(huge_item, sizeof huge_item, NULL, &d, &e), ZR_ERR_MALFORMED);
  assert_string_equal(e.message, "tensor itemsize too large");
}

/* a large list of records: its pre-sized block is the first allocation after the doc */
static void test_block_failalloc(void **state) {
  (void)state;
  zr_doc *src = zr_doc_new(NULL);
  zr_value l = zr_list_new(src, 40000);
  for (int i = 0; i < 40000; i++) {
    zr_value m = zr_map_new(src, 3);
    zr_map_put_cstr(src, &m, "id", zr_int(i));
    zr_map_put_cstr(src, &m, "name", zr_str_copy(src, "a record name", 13));
    zr_map_put_cstr(src, &m, "x", zr_float(i * 0.25));
    zr_list_push(src, &l, m);
  }
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(&l, NULL, s, NULL), ZR_OK);
  const uint8_t *b;
  size_t n;
  zr_sink_memory_data(s, &b, &n);
  assert_true(n >= (UINT64_C(4) << 20) / 8);
  for (uint64_t k = 2; k <= 4; k++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, k);
    zr_decode_opts o;
    zr_decode_opts_init(&o);
    o.alloc = &fa.a;
    zr_doc *d = NULL;
    zr_error e;
    zr_status st = zr_binary_decode(b, n, &o, &d, &e);
    if (k == 2) {
      /* the block cannot be had: the ordinary path decodes it all the same */
      assert_int_equal(st, ZR_OK);
      assert_true(zr_value_equal(zr_doc_root(d), &l));
      zr_doc_free(d);
    } else if (st != ZR_OK) {
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_string_equal(e.message, "out of memory");
    } else {
      zr_doc_free(d);
    }
    assert_int_equal(fa.live, 0);
  }
  zr_sink_free(s);
  zr_doc_free(src);
}

/* compressed typed lists and tensors (version 2) under a failing allocator */
static void test_compressed_failalloc(void **state) {
  (void)state;
  zr_doc *src = zr_doc_new(NULL);
  zr_value l = zr_list_new(src, 3);
  zr_value typed = zr_list_new(src, 5000);
  for (int i = 0; i < 5000; i++) zr_list_push(src, &typed, zr_int(i % 11));
  zr_list_push(src, &l, typed);
  static int32_t grid[4096];
  for (int i = 0; i < 4096; i++) grid[i] = i % 5;
  int64_t sh[2] = {64, 64};
  zr_tensor t;
  zr_tensor_init(&t, ZR_DT_INT32, 4, 2, sh, grid, NULL);
  t.descr = "<i4";
  zr_list_push(src, &l, zr_tensor_value(src, &t));
  zr_list_push(src, &l, zr_list_new(src, 0));
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.codec = "lz4";
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(&l, &eo, s, NULL), ZR_OK);
  const uint8_t *b;
  size_t n;
  zr_sink_memory_data(s, &b, &n);
  assert_int_equal(b[3], 2);
  for (int copy = 0; copy < 2; copy++) {
    for (uint64_t k = 1;; k++) {
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, k);
      zr_decode_opts o;
      zr_decode_opts_init(&o);
      o.alloc = &fa.a;
      o.copy = copy;
      zr_doc *d = NULL;
      zr_error e;
      zr_error_clear(&e);
      zr_status st = zr_binary_decode(b, n, &o, &d, &e);
      if (st == ZR_OK) {
        assert_true(zr_value_equal(zr_doc_root(d), &l));
        zr_doc_free(d);
        assert_int_equal(fa.live, 0);
        break;
      }
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_string_equal(e.message, "out of memory");
      assert_true(e.offset >= -1 && e.offset <= (int64_t)n);
      assert_int_equal(fa.live, 0);
      assert_true(k < 100);
    }
  }
  /* a corrupted compressed block: the codec's error with an offset inside the input */
  uint8_t *bad = malloc(n);
  memcpy(bad, b, n);
  for (size_t i = n / 2; i < n / 2 + 8; i++) bad[i] ^= 0x5A;
  zr_doc *d = NULL;
  zr_error e;
  zr_status st = zr_binary_decode(bad, n, NULL, &d, &e);
  assert_true(st < 0);
  assert_true(e.offset >= 0 && e.offset <= (int64_t)n);
  free(bad);
  zr_sink_free(s);
  zr_doc_free(src);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_varint_fields),
      cmocka_unit_test(test_options_and_arguments),
      cmocka_unit_test(test_block_failalloc),
      cmocka_unit_test(test_compressed_failalloc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
