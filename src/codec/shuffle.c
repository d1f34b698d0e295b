/* Byte-shuffle and bit-shuffle filters: scalar, SSE2 and AVX2 kernels chosen at run time.
 *
 * Byte shuffle of n elements of T bytes: output row k (n bytes) holds byte k of every element.
 * The SIMD kernels transpose 16 (SSE2) or 32 (AVX2) elements at a time with a network of
 * byte unpacks: four rounds of (v[i], v[i+T/2]) → (lo, hi) turn T vectors of whole elements into
 * T rows, for T = 2, 4, 8, 16; log2(T) rounds of the same network undo it. Other sizes use the
 * scalar kernel.
 *
 * Bit shuffle: byte-shuffle a chunk into a stack buffer, then split every row into its 8 bit
 * planes (movemask on SIMD, an 8×8 bit-matrix transpose in scalar code). */
#include <strings.h>

#include "codec/codec_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#define ZR_X86 1
/* shuffles at least this large write their rows with non-temporal stores (out of cache anyway) */
#define ZR_NT_MIN ((size_t)8 << 20)
#include <immintrin.h>
#else
#define ZR_X86 0
#endif

zr_simd zr_simd_detect(void) {
#if ZR_X86
  if (__builtin_cpu_supports("avx2")) return ZR_SIMD_AVX2;
  if (__builtin_cpu_supports("sse2")) return ZR_SIMD_SSE2;
#endif
  return ZR_SIMD_SCALAR;
}

static zr_simd pick(zr_simd want) {
  zr_simd have = zr_simd_detect();
  if (want == ZR_SIMD_AUTO || want > have) return have;
  return want;
}

int zr_filter_by_name(const char *name) {
  if (!name || !*name || strcasecmp(name, "none") == 0) return ZR_FILTER_NONE;
  if (strcasecmp(name, "byte") == 0 || strcasecmp(name, "shuffle") == 0) return ZR_FILTER_SHUFFLE;
  if (strcasecmp(name, "bit") == 0 || strcasecmp(name, "bitshuffle") == 0) return ZR_FILTER_BITSHUFFLE;
  return -1;
}

const char *zr_filter_name(int filter) {
  switch (filter) {
    case ZR_FILTER_NONE: return "none";
    case ZR_FILTER_SHUFFLE: return "byte";
    case ZR_FILTER_BITSHUFFLE: return "bit";
    default: return NULL;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Scalar kernels over elements [e0, e1) of n; rows have stride n. */

/* Element-major order: the input is read once, sequentially; each element's bytes go to T rows. */
#define ZR_SCALAR_LOOP(TT, S, D)                                                                     \
  for (size_t i = e0; i < e1; i++)                                                                 \
    for (size_t k = 0; k < (TT); k++) S;

static void shuf_scalar(size_t T, const uint8_t *s, uint8_t *d, size_t n, size_t e0, size_t e1) {
  switch (T) {
    case 2: ZR_SCALAR_LOOP(2, d[k * n + i] = s[i * 2 + k], ) return;
    case 4: ZR_SCALAR_LOOP(4, d[k * n + i] = s[i * 4 + k], ) return;
    case 8: ZR_SCALAR_LOOP(8, d[k * n + i] = s[i * 8 + k], ) return;
    case 16: ZR_SCALAR_LOOP(16, d[k * n + i] = s[i * 16 + k], ) return;
    default: ZR_SCALAR_LOOP(T, d[k * n + i] = s[i * T + k], ) return;
  }
}

static void unshuf_scalar(size_t T, const uint8_t *s, uint8_t *d, size_t n, size_t e0, size_t e1) {
  switch (T) {
    case 2: ZR_SCALAR_LOOP(2, d[i * 2 + k] = s[k * n + i], ) return;
    case 4: ZR_SCALAR_LOOP(4, d[i * 4 + k] = s[k * n + i], ) return;
    case 8: ZR_SCALAR_LOOP(8, d[i * 8 + k] = s[k * n + i], ) return;
    case 16: ZR_SCALAR_LOOP(16, d[i * 16 + k] = s[k * n + i], ) return;
    default: ZR_SCALAR_LOOP(T, d[i * T + k] = s[k * n + i], ) return;
  }
}

#if ZR_X86
/* ---- SSE2 ---- */
__attribute__((target("sse2"))) static inline void net_sse2(__m128i *v, size_t T, int rounds) {
  __m128i w[16];
  size_t h = T / 2;
  for (int r = 0; r < rounds; r++) {
    for (size_t i = 0; i < h; i++) {
      w[2 * i] = _mm_unpacklo_epi8(v[i], v[i + h]);
      w[2 * i + 1] = _mm_unpackhi_epi8(v[i], v[i + h]);
    }
    for (size_t i = 0; i < T; i++) v[i] = w[i];
  }
}

#define ZR_SSE2_SHUF(TT)                                                                              \
  __attribute__((target("sse2"))) static void shuf_sse2_##TT(const uint8_t *s, uint8_t *d, size_t n, size_t st, size_t *done) { \
    size_t e = 0;                                                                                   \
    for (; e + 16 <= n; e += 16) {                                                                  \
      __m128i v[TT];                                                                                \
      for (size_t i = 0; i < TT; i++) v[i] = _mm_loadu_si128((const __m128i *)(s + e * TT + 16 * i)); \
      net_sse2(v, TT, 4);                                                                           \
      for (size_t k = 0; k < TT; k++) _mm_storeu_si128((__m128i *)(d + k * st + e), v[k]);           \
    }                                                                                               \
    *done = e;                                                                                      \
  }                                                                                                 \
  __attribute__((target("sse2"))) static void unshuf_sse2_##TT(const uint8_t *s, uint8_t *d, size_t n, size_t st, size_t *done) { \
    size_t e = 0;                                                                                   \
    int rounds = __builtin_ctz(TT);                                                                 \
    for (; e + 16 <= n; e += 16) {                                                                  \
      __m128i v[TT];                                                                                \
      for (size_t k = 0; k < TT; k++) v[k] = _mm_loadu_si128((const __m128i *)(s + k * st + e));     \
      net_sse2(v, TT, rounds);                                                                      \
      for (size_t i = 0; i < TT; i++) _mm_storeu_si128((__m128i *)(d + e * TT + 16 * i), v[i]);     \
    }                                                                                               \
    *done = e;                                                                                      \
  }
ZR_SSE2_SHUF(2)
ZR_SSE2_SHUF(4)
ZR_SSE2_SHUF(8)
ZR_SSE2_SHUF(16)

/* ---- AVX2: lane 0 carries elements e..e+15, lane 1 elements e+16..e+31 ---- */
__attribute__((target("avx2"))) static inline void net_avx2(__m256i *v, size_t T, int rounds) {
  __m256i w[16];
  size_t h = T / 2;
  for (int r = 0; r < rounds; r++) {
    for (size_t i = 0; i < h; i++) {
      w[2 * i] = _mm256_unpacklo_epi8(v[i], v[i + h]);
      w[2 * i + 1] = _mm256_unpackhi_epi8(v[i], v[i + h]);
    }
    for (size_t i = 0; i < T; i++) v[i] = w[i];
  }
}

/* Load 32 elements at a: lane 0 gets elements 0..15, lane 1 elements 16..31. */
#define ZR_AVX2_LOAD32(TT, v, a)                                                                      \
  for (size_t i = 0; i < TT; i += 2) {                                                              \
    __m256i x = _mm256_loadu_si256((const __m256i *)((a) + 16 * i));                               \
    __m256i y = _mm256_loadu_si256((const __m256i *)((a) + 16 * TT + 16 * i));                     \
    v[i] = _mm256_permute2x128_si256(x, y, 0x20);                                                   \
    v[i + 1] = _mm256_permute2x128_si256(x, y, 0x31);                                               \
  }

#define ZR_AVX2_SHUF(TT)                                                                              \
  __attribute__((target("avx2"))) static void shuf_avx2_##TT(const uint8_t *s, uint8_t *d, size_t n, size_t st, size_t *done) { \
    size_t e = 0;                                                                                   \
    /* rows far out of cache: non-temporal stores of whole 64-byte lines (aligned rows only) */    \
    if (n * TT >= ZR_NT_MIN && (((uintptr_t)d | st) & 63) == 0) {                                  \
      for (; e + 64 <= n; e += 64) {                                                                \
        __m256i v[TT], u[TT];                                                                       \
        ZR_AVX2_LOAD32(TT, v, s + e * TT)                                                           \
        ZR_AVX2_LOAD32(TT, u, s + (e + 32) * TT)                                                    \
        net_avx2(v, TT, 4);                                                                         \
        net_avx2(u, TT, 4);                                                                         \
        for (size_t k = 0; k < TT; k++) {                                                           \
          _mm256_stream_si256((__m256i *)(d + k * st + e), v[k]);                                   \
          _mm256_stream_si256((__m256i *)(d + k * st + e + 32), u[k]);                              \
        }                                                                                           \
      }                                                                                             \
      _mm_sfence();                                                                                 \
    }                                                                                               \
    for (; e + 32 <= n; e += 32) {                                                                  \
      __m256i v[TT];                                                                                \
      ZR_AVX2_LOAD32(TT, v, s + e * TT)                                                             \
      net_avx2(v, TT, 4);                                                                           \
      for (size_t k = 0; k < TT; k++) _mm256_storeu_si256((__m256i *)(d + k * st + e), v[k]);       \
    }                                                                                               \
    *done = e;                                                                                      \
  }                                                                                                 \
  __attribute__((target("avx2"))) static void unshuf_avx2_##TT(const uint8_t *s, uint8_t *d, size_t n, size_t st, size_t *done) { \
    size_t e = 0;                                                                                   \
    int rounds = __builtin_ctz(TT);                                                                 \
    for (; e + 32 <= n; e += 32) {                                                                  \
      __m256i v[TT];                                                                                \
      for (size_t k = 0; k < TT; k++) v[k] = _mm256_loadu_si256((const __m256i *)(s + k * st + e));  \
      net_avx2(v, TT, rounds);                                                                      \
      uint8_t *a = d + e * TT, *b = a + 16 * TT;                                                    \
      for (size_t i = 0; i < TT; i += 2) {                                                          \
        _mm256_storeu_si256((__m256i *)(a + 16 * i), _mm256_permute2x128_si256(v[i], v[i + 1], 0x20)); \
        _mm256_storeu_si256((__m256i *)(b + 16 * i), _mm256_permute2x128_si256(v[i], v[i + 1], 0x31)); \
      }                                                                                             \
    }                                                                                               \
    *done = e;                                                                                      \
  }
ZR_AVX2_SHUF(2)
ZR_AVX2_SHUF(4)
ZR_AVX2_SHUF(8)
ZR_AVX2_SHUF(16)
#endif

typedef void (*kern_fn)(const uint8_t *s, uint8_t *d, size_t n, size_t st, size_t *done);

static kern_fn shuf_kernel(zr_simd simd, size_t T, int inverse) {
#if ZR_X86
  if (simd == ZR_SIMD_AVX2) {
    switch (T) {
      case 2: return inverse ? unshuf_avx2_2 : shuf_avx2_2;
      case 4: return inverse ? unshuf_avx2_4 : shuf_avx2_4;
      case 8: return inverse ? unshuf_avx2_8 : shuf_avx2_8;
      case 16: return inverse ? unshuf_avx2_16 : shuf_avx2_16;
      default: break;
    }
  }
  if (simd >= ZR_SIMD_SSE2) {
    switch (T) {
      case 2: return inverse ? unshuf_sse2_2 : shuf_sse2_2;
      case 4: return inverse ? unshuf_sse2_4 : shuf_sse2_4;
      case 8: return inverse ? unshuf_sse2_8 : shuf_sse2_8;
      case 16: return inverse ? unshuf_sse2_16 : shuf_sse2_16;
      default: break;
    }
  }
#else
  (void)simd;
  (void)T;
  (void)inverse;
#endif
  return NULL;
}

/* Shuffle n elements (rows of stride n); no trailing bytes. */
static void shuffle_elems(zr_simd simd, size_t T, const uint8_t *s, uint8_t *d, size_t n) {
  size_t done = 0;
  kern_fn k = shuf_kernel(simd, T, 0);
#if ZR_X86
  /* large shuffles: align the rows to cache lines (a few scalar elements first) so the kernel can
   * write them with non-temporal stores; rows share an alignment when n is a multiple of 64 */
  if (k && simd == ZR_SIMD_AVX2 && n * T >= ZR_NT_MIN && n % 64 == 0) {
    done = (64 - ((uintptr_t)d & 63)) & 63;
    shuf_scalar(T, s, d, n, 0, done);
  }
#endif
  if (k) {
    size_t got = 0;
    k(s + done * T, d + done, n - done, n, &got);
    done += got;
  }
  shuf_scalar(T, s, d, n, done, n);
}

static void unshuffle_elems(zr_simd simd, size_t T, const uint8_t *s, uint8_t *d, size_t n) {
  size_t done = 0;
  kern_fn k = shuf_kernel(simd, T, 1);
  if (k) {
    size_t got = 0;
    k(s + done, d + done * T, n - done, n, &got);
    done += got;
  }
  unshuf_scalar(T, s, d, n, done, n);
}

void zr_shuffle(zr_simd simd, size_t typesize, const void *src, void *dst, size_t len) {
  const uint8_t *s = src;
  uint8_t *d = dst;
  if (typesize <= 1 || len < typesize) {
    if (len) memmove(d, s, len);
    return;
  }
  size_t n = len / typesize;
  shuffle_elems(pick(simd), typesize, s, d, n);
  size_t tail = len - n * typesize;
  if (tail) memcpy(d + n * typesize, s + n * typesize, tail);
}

void zr_unshuffle(zr_simd simd, size_t typesize, const void *src, void *dst, size_t len) {
  const uint8_t *s = src;
  uint8_t *d = dst;
  if (typesize <= 1 || len < typesize) {
    if (len) memmove(d, s, len);
    return;
  }
  size_t n = len / typesize;
  unshuffle_elems(pick(simd), typesize, s, d, n);
  size_t tail = len - n * typesize;
  if (tail) memcpy(d + n * typesize, s + n * typesize, tail);
}

/* ------------------------------------------------------------------------------------------ */
/* Bit shuffle */

/* Transpose an 8×8 bit matrix: bit c of byte r ↔ bit r of byte c. */
ZR_INLINE uint64_t transpose8(uint64_t x) {
  uint64_t t;
  t = (x ^ (x >> 7)) & UINT64_C(0x00AA00AA00AA00AA);
  x = x ^ t ^ (t << 7);
  t = (x ^ (x >> 14)) & UINT64_C(0x0000CCCC0000CCCC);
  x = x ^ t ^ (t << 14);
  t = (x ^ (x >> 28)) & UINT64_C(0x00000000F0F0F0F0);
  x = x ^ t ^ (t << 28);
  return x;
}

/* Split row (m bytes, m % 8 == 0) into 8 planes: plane b at out + b*P. */
static void row_to_planes_scalar(const uint8_t *row, size_t m, uint8_t *out, size_t P, size_t j0) {
  for (size_t j = j0; j < m; j += 8) {
    uint64_t y = transpose8(zr__ld64le(row + j));
    for (int b = 0; b < 8; b++) out[(size_t)b * P + j / 8] = (uint8_t)(y >> (8 * b));
  }
}

#if ZR_X86
__attribute__((target("sse2"))) static size_t row_to_planes_sse2(const uint8_t *row, size_t m, uint8_t *out, size_t P) {
  size_t j = 0;
  for (; j + 16 <= m; j += 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(row + j));
    for (int b = 7; b >= 0; b--) {
      uint16_t mask = (uint16_t)_mm_movemask_epi8(x);
      zr__st16le(out + (size_t)b * P + j / 8, mask);
      x = _mm_add_epi8(x, x);
    }
  }
  return j;
}
__attribute__((target("avx2"))) static size_t row_to_planes_avx2(const uint8_t *row, size_t m, uint8_t *out, size_t P) {
  size_t j = 0;
  for (; j + 32 <= m; j += 32) {
    __m256i x = _mm256_loadu_si256((const __m256i *)(row + j));
    for (int b = 7; b >= 0; b--) {
      uint32_t mask = (uint32_t)_mm256_movemask_epi8(x);
      zr__st32le(out + (size_t)b * P + j / 8, mask);
      x = _mm256_add_epi8(x, x);
    }
  }
  return j;
}
#endif

static void row_to_planes(zr_simd simd, const uint8_t *row, size_t m, uint8_t *out, size_t P) {
  size_t j = 0;
#if ZR_X86
  if (simd == ZR_SIMD_AVX2) j = row_to_planes_avx2(row, m, out, P);
  else if (simd == ZR_SIMD_SSE2) j = row_to_planes_sse2(row, m, out, P);
#else
  (void)simd;
#endif
  row_to_planes_scalar(row, m, out, P, j);
}

static void planes_to_row(const uint8_t *in, size_t P, uint8_t *row, size_t m) {
  for (size_t j = 0; j < m; j += 8) {
    uint64_t y = 0;
    for (int b = 0; b < 8; b++) y |= (uint64_t)in[(size_t)b * P + j / 8] << (8 * b);
    zr__st64le(row + j, transpose8(y));
  }
}

#define BIT_SCRATCH 32768

void zr_bitshuffle(zr_simd simd, size_t typesize, const void *src, void *dst, size_t len) {
  const uint8_t *s = src;
  uint8_t *d = dst;
  size_t T = typesize ? typesize : 1;
  size_t n8 = (T <= BIT_SCRATCH / 8) ? (len / T) & ~(size_t)7 : 0;
  if (n8 == 0) {
    if (len) memmove(d, s, len);
    return;
  }
  simd = pick(simd);
  uint8_t tmp[BIT_SCRATCH] __attribute__((aligned(32)));
  size_t E = (BIT_SCRATCH / T) & ~(size_t)31;
  if (E == 0) E = (BIT_SCRATCH / T) & ~(size_t)7;
  size_t P = n8 / 8;
  for (size_t e0 = 0; e0 < n8; e0 += E) {
    size_t m = n8 - e0 < E ? n8 - e0 : E;
    shuffle_elems(simd, T, s + e0 * T, tmp, m);
    for (size_t k = 0; k < T; k++) row_to_planes(simd, tmp + k * m, m, d + k * 8 * P + e0 / 8, P);
  }
  size_t done = n8 * T;
  if (len > done) memcpy(d + done, s + done, len - done);
}

void zr_bitunshuffle(zr_simd simd, size_t typesize, const void *src, void *dst, size_t len) {
  const uint8_t *s = src;
  uint8_t *d = dst;
  size_t T = typesize ? typesize : 1;
  size_t n8 = (T <= BIT_SCRATCH / 8) ? (len / T) & ~(size_t)7 : 0;
  if (n8 == 0) {
    if (len) memmove(d, s, len);
    return;
  }
  simd = pick(simd);
  uint8_t tmp[BIT_SCRATCH] __attribute__((aligned(32)));
  size_t E = (BIT_SCRATCH / T) & ~(size_t)31;
  if (E == 0) E = (BIT_SCRATCH / T) & ~(size_t)7;
  size_t P = n8 / 8;
  for (size_t e0 = 0; e0 < n8; e0 += E) {
    size_t m = n8 - e0 < E ? n8 - e0 : E;
    for (size_t k = 0; k < T; k++) planes_to_row(s + k * 8 * P + e0 / 8, P, tmp + k * m, m);
    unshuffle_elems(simd, T, tmp, d + e0 * T, m);
  }
  size_t done = n8 * T;
  if (len > done) memcpy(d + done, s + done, len - done);
}

void zr__filter_apply(int filter, size_t typesize, const void *src, void *dst, size_t len) {
  if (filter == ZR_FILTER_SHUFFLE) zr_shuffle(ZR_SIMD_AUTO, typesize, src, dst, len);
  else if (filter == ZR_FILTER_BITSHUFFLE) zr_bitshuffle(ZR_SIMD_AUTO, typesize, src, dst, len);
  else if (len) memcpy(dst, src, len);
}

void zr__filter_undo(int filter, size_t typesize, const void *src, void *dst, size_t len) {
  if (filter == ZR_FILTER_SHUFFLE) zr_unshuffle(ZR_SIMD_AUTO, typesize, src, dst, len);
  else if (filter == ZR_FILTER_BITSHUFFLE) zr_bitunshuffle(ZR_SIMD_AUTO, typesize, src, dst, len);
  else if (len) memcpy(dst, src, len);
}
