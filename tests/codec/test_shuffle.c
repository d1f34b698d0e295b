/* Shuffle filters: scalar, SSE2 and AVX2 kernels give identical bytes; inverses restore the input. */
#include "codec_data.h"
#include "zerial/codec.h"

/* Reference byte shuffle and bit shuffle straight from the definitions in codec.h. */
static void ref_shuffle(size_t T, const uint8_t *s, uint8_t *d, size_t len) {
  size_t n = len / T;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < T; k++) d[k * n + i] = s[i * T + k];
  memcpy(d + n * T, s + n * T, len - n * T);
}

static void ref_bitshuffle(size_t T, const uint8_t *s, uint8_t *d, size_t len) {
  size_t n8 = (len / T) & ~(size_t)7;
  memset(d, 0, n8 * T);
  for (size_t i = 0; i < n8; i++)
    for (size_t k = 0; k < T; k++)
      for (size_t b = 0; b < 8; b++)
        if (s[i * T + k] >> b & 1) d[(k * 8 + b) * (n8 / 8) + i / 8] |= (uint8_t)(1u << (i % 8));
  memcpy(d + n8 * T, s + n8 * T, len - n8 * T);
}

static void test_kernels_equal(void **state) {
  (void)state;
  static const size_t types[] = {1, 2, 3, 4, 5, 8, 12, 16, 24};
  static const size_t lens[] = {0, 1, 7, 15, 16, 31, 33, 64, 100, 255, 256, 1000, 4099, 40000, 100003};
  uint64_t seed = 7;
  zr_simd top = zr_simd_detect();
  print_message("best SIMD level on this CPU: %d\n", (int)top);
  for (size_t ti = 0; ti < sizeof types / sizeof *types; ti++) {
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
      size_t T = types[ti], len = lens[li];
      uint8_t *in = malloc(len + 1), *ref = malloc(len + 1), *out = malloc(len + 1), *back = malloc(len + 1);
      for (size_t i = 0; i < len; i++) in[i] = (uint8_t)zr_test_rand(&seed);
      ref_shuffle(T, in, ref, len);
      for (int simd = ZR_SIMD_SCALAR; simd <= ZR_SIMD_AVX2; simd++) {
        memset(out, 0xEE, len + 1);
        zr_shuffle((zr_simd)simd, T, in, out, len);
        if (len) assert_memory_equal(out, ref, len);
        assert_int_equal(out[len], 0xEE);
        zr_unshuffle((zr_simd)simd, T, out, back, len);
        if (len) assert_memory_equal(back, in, len);
      }
      ref_bitshuffle(T, in, ref, len);
      for (int simd = ZR_SIMD_SCALAR; simd <= ZR_SIMD_AVX2; simd++) {
        memset(out, 0xEE, len + 1);
        zr_bitshuffle((zr_simd)simd, T, in, out, len);
        if (len) assert_memory_equal(out, ref, len);
        assert_int_equal(out[len], 0xEE);
        zr_bitunshuffle((zr_simd)simd, T, out, back, len);
        if (len) assert_memory_equal(back, in, len);
      }
      free(in);
      free(ref);
      free(out);
      free(back);
    }
  }
}

/* Large buffers cross the bit-shuffle chunking (32 KiB scratch). */
static void test_large(void **state) {
  (void)state;
  size_t len;
  uint8_t *in = make_shape(SHAPE_WALK, 1 << 20, &len);
  uint8_t *a = malloc(len), *b = malloc(len), *back = malloc(len);
  for (size_t T = 2; T <= 16; T *= 2) {
    zr_bitshuffle(ZR_SIMD_SCALAR, T, in, a, len);
    zr_bitshuffle(ZR_SIMD_AUTO, T, in, b, len);
    assert_memory_equal(a, b, len);
    zr_bitunshuffle(ZR_SIMD_AUTO, T, b, back, len);
    assert_memory_equal(back, in, len);
    zr_shuffle(ZR_SIMD_SCALAR, T, in, a, len);
    zr_shuffle(ZR_SIMD_AUTO, T, in, b, len);
    assert_memory_equal(a, b, len);
    zr_unshuffle(ZR_SIMD_AUTO, T, b, back, len);
    assert_memory_equal(back, in, len);
  }
  free(in);
  free(a);
  free(b);
  free(back);
}

/* Past 8 MiB the AVX2 shuffle writes cache-line-aligned rows with non-temporal stores (after a few
 * scalar elements that align a misaligned destination when the rows share an alignment). */
static void test_nontemporal(void **state) {
  (void)state;
  size_t cap = (9u << 20) + 8 * 32 * 3 + 64;
  uint8_t *in = aligned_alloc(64, cap), *a = aligned_alloc(64, cap), *b = aligned_alloc(64, cap);
  uint64_t seed = 11;
  for (size_t i = 0; i + 8 <= cap; i += 8) {
    uint64_t r = zr_test_rand(&seed);
    memcpy(in + i, &r, 8);
  }
  static const struct {
    size_t T, len, doff;
  } cases[] = {{8, (9u << 20) + 8 * 32 * 3, 0}, {8, 9u << 20, 0}, {8, 9u << 20, 16}, {4, 9u << 20, 40},
               {16, 9u << 20, 8},             {2, 9u << 20, 1}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    size_t T = cases[c].T, len = cases[c].len, off = cases[c].doff;
    zr_shuffle(ZR_SIMD_SCALAR, T, in, a, len);
    zr_shuffle(ZR_SIMD_AUTO, T, in, b + off, len);
    assert_memory_equal(a, b + off, len);
    zr_unshuffle(ZR_SIMD_AUTO, T, b + off, a, len);
    assert_memory_equal(a, in, len);
  }
  free(in);
  free(a);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_kernels_equal), cmocka_unit_test(test_large),
                                     cmocka_unit_test(test_nontemporal)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
