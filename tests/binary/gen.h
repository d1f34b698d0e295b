/* Seeded generator of random values of every kind (except tables) for binary-format tests. */
#ifndef ZR_TEST_BINARY_GEN_H
#define ZR_TEST_BINARY_GEN_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "zerial/zerial.h"
#include "zr_test.h"

typedef struct gen {
  uint64_t seed;
  zr_doc *doc;
  unsigned budget; /* values still allowed in this tree */
} gen;

static inline uint64_t g_rand(gen *g) { return zr_test_rand(&g->seed); }
static inline uint64_t g_below(gen *g, uint64_t n) { return n ? g_rand(g) % n : 0; }

static inline int64_t g_int(gen *g) {
  static const int64_t edges[] = {0, 1, -1, 127, 128, -32, -33, 255, 256, -128, -129, 65535, 65536, 16777215, 16777216, -32768, -32769,
                                  INT32_MAX, (int64_t)INT32_MAX + 1, INT32_MIN, (int64_t)INT32_MIN - 1,
                                  (int64_t)UINT32_MAX, (int64_t)UINT32_MAX + 1, INT64_MAX, INT64_MIN};
  switch (g_below(g, 4)) {
    case 0: return edges[g_below(g, sizeof edges / sizeof edges[0])];
    case 1: return (int64_t)g_below(g, 300) - 150;
    case 2: return (int64_t)(g_rand(g) >> g_below(g, 64));
    default: return -(int64_t)(g_rand(g) >> (1 + g_below(g, 63)));
  }
}

static inline double g_double(gen *g) {
  static const uint64_t bits[] = {
      0x0000000000000000ull, 0x8000000000000000ull, /* +0, -0 */
      0x7FF0000000000000ull, 0xFFF0000000000000ull, /* ±inf */
      0x7FF8000000000000ull, 0x7FF8000000000001ull, /* quiet NaN, with payload */
      0x7FF0000000000001ull, 0xFFF4000000000abcull, /* signalling NaN payloads */
      0x0000000000000001ull, 0x000FFFFFFFFFFFFFull, /* subnormals */
      0x7FEFFFFFFFFFFFFFull, 0x3FF0000000000000ull};
  double d;
  switch (g_below(g, 4)) {
    case 0: {
      uint64_t b = bits[g_below(g, sizeof bits / sizeof bits[0])];
      memcpy(&d, &b, 8);
      return d;
    }
    case 1: return (double)((int64_t)g_below(g, 2000) - 1000) / 8.0;
    default: {
      uint64_t b = g_rand(g);
      memcpy(&d, &b, 8);
      return d;
    }
  }
}

static inline zr_value g_float(gen *g) {
  switch (g_below(g, 5)) {
    case 0: { /* float32 hint with an exact float32 value */
      uint32_t b = (uint32_t)g_rand(g);
      float f;
      if (g_below(g, 4) == 0) b = 0x7FC00000u | (uint32_t)g_below(g, 1u << 22); /* quiet NaN with payload */
      memcpy(&f, &b, 4);
      return zr_float32(f);
    }
    case 1: { /* float32 hint on a double that float32 cannot hold */
      zr_value v = zr_float(g_double(g));
      v.flags = ZR_VF_F32;
      return v;
    }
    default: return zr_float(g_double(g));
  }
}

static inline void g_bytes(gen *g, uint8_t *p, size_t n, int utf8) {
  static const char *const pieces[] = {"a", "Z", " ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\"", "\\", "\x7F", "0"};
  if (!utf8) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)g_rand(g);
    return;
  }
  size_t i = 0;
  while (i < n) {
    const char *s = pieces[g_below(g, 10)];
    size_t k = strlen(s);
    if (k > n - i) s = "x", k = 1;
    memcpy(p + i, s, k);
    i += k;
  }
}

static inline size_t g_len(gen *g) {
  switch (g_below(g, 8)) {
    case 0: return 0;
    case 1: return 31 + g_below(g, 3);   /* fixstr boundary */
    case 2: return 120 + g_below(g, 20); /* one-byte varint boundary */
    default: return g_below(g, 12);
  }
}

static inline zr_value g_tensor(gen *g) {
  static const zr_dtype dts[] = {ZR_DT_BOOL, ZR_DT_INT8, ZR_DT_INT16, ZR_DT_INT32, ZR_DT_INT64, ZR_DT_UINT8,
                                 ZR_DT_UINT16, ZR_DT_UINT32, ZR_DT_UINT64, ZR_DT_FLOAT16, ZR_DT_FLOAT32, ZR_DT_FLOAT64,
                                 ZR_DT_COMPLEX64, ZR_DT_COMPLEX128, ZR_DT_DATETIME64, ZR_DT_TIMEDELTA64, ZR_DT_BYTES,
                                 ZR_DT_UNICODE, ZR_DT_VOID, ZR_DT_LONGDOUBLE};
  zr_dtype dt = dts[g_below(g, sizeof dts / sizeof dts[0])];
  uint64_t isz = zr_dtype_size(dt);
  if (!isz) isz = dt == ZR_DT_UNICODE ? 4 * (1 + g_below(g, 3)) : dt == ZR_DT_LONGDOUBLE ? 16 : g_below(g, 6);
  uint32_t ndim = (uint32_t)g_below(g, 4);
  int64_t shape[4];
  for (uint32_t i = 0; i < ndim; i++) shape[i] = (int64_t)g_below(g, 4);
  zr_tensor t;
  if (zr_tensor_init(&t, dt, isz, ndim, shape, NULL, NULL) != ZR_OK) return zr_null();
  t.byte_order = isz > 1 && g_below(g, 3) == 0 ? ZR_ORDER_BIG : ZR_ORDER_LITTLE;
  if (dt == ZR_DT_DATETIME64 || dt == ZR_DT_TIMEDELTA64) t.time_unit = (zr_time_unit)g_below(g, 14);
  uint64_t n = zr_tensor_count(&t);
  int strided = ndim >= 1 && n > 1 && g_below(g, 3) == 0;
  size_t bytes = (size_t)(n * isz) * (strided ? 2 : 1);
  uint8_t *data = zr_doc_alloc(g->doc, bytes ? bytes : 1, 8);
  if (!data) return zr_null();
  g_bytes(g, data, bytes, 0);
  t.data = data;
  if (strided) { /* every other element along the last axis */
    t.strides[ndim - 1] *= 2;
    for (int i = (int)ndim - 2; i >= 0; i--) t.strides[i] = t.strides[i + 1] * (shape[i + 1] ? shape[i + 1] : 1);
    t.nbytes = bytes;
  }
  if (g_below(g, 2)) {
    static const char *const descrs[] = {"<f8", "|b1", "", "[('a', '<i4'), ('b', '|S3')]"};
    t.descr = descrs[g_below(g, 4)];
  }
  return zr_tensor_value(g->doc, &t);
}

static inline zr_value g_value(gen *g, unsigned depth);

static inline zr_value g_numeric_list(gen *g) {
  size_t n = 8 + g_below(g, 12);
  zr_value l = zr_list_new(g->doc, n);
  int mode = (int)g_below(g, 6);
  unsigned bits = 7 * (1 + (unsigned)g_below(g, 9));
  int64_t span = (int64_t)1 << (bits > 62 ? 62 : bits);
  for (size_t i = 0; i < n; i++) {
    zr_value x;
    switch (mode) {
      case 0: x = zr_int((int64_t)(g_rand(g) % (uint64_t)span) - span / 2); break;
      case 1: x = zr_int(g_int(g)); break;
      case 2: x = zr_uint(g_rand(g) >> g_below(g, 64)); break;
      case 3: x = zr_float(g_double(g)); break;
      case 4: {
        float f = (float)((int64_t)g_below(g, 1000) - 500) / 4.0f;
        x = zr_float32(f);
        break;
      }
      default: /* almost homogeneous: the last one breaks it */
        x = i + 1 == n ? zr_null() : zr_int((int64_t)g_below(g, 100));
        break;
    }
    zr_list_push(g->doc, &l, x);
  }
  if (g->budget > n) g->budget -= (unsigned)n;
  else g->budget = 0;
  return l;
}

static inline zr_value g_value(gen *g, unsigned depth) {
  if (g->budget) g->budget--;
  unsigned pick = (unsigned)g_below(g, depth < 4 && g->budget ? 20 : 14);
  switch (pick) {
    case 0: return zr_null();
    case 1: return zr_bool((int)g_below(g, 2));
    case 2:
    case 3: return zr_int(g_int(g));
    case 4: return zr_uint((uint64_t)g_int(g));
    case 5: return g_float(g);
    case 6:
    case 7: {
      size_t n = g_len(g);
      char *s = zr_doc_alloc(g->doc, n + 1, 1);
      if (!s) return zr_null();
      g_bytes(g, (uint8_t *)s, n, 1);
      return pick == 6 ? zr_str_ref(s, n) : zr_sym_ref(s, n);
    }
    case 8: {
      size_t n = g_len(g);
      uint8_t *b = zr_doc_alloc(g->doc, n + 1, 1);
      if (!b) return zr_null();
      g_bytes(g, b, n, 0);
      return zr_bin_ref(b, n);
    }
    case 9: {
      uint8_t mag[24];
      size_t n = g_below(g, sizeof mag);
      g_bytes(g, mag, n, 0);
      return zr_bigint(g->doc, (int)g_below(g, 2), mag, n);
    }
    case 10: {
      static const char *const tzs[] = {NULL, "UTC", "Europe/Paris", "", "+05:30"};
      return zr_timestamp(g->doc, g_int(g), (zr_time_unit)g_below(g, 14), tzs[g_below(g, 5)]);
    }
    case 11: {
      uint8_t b[40];
      size_t n = g_below(g, sizeof b);
      g_bytes(g, b, n, 0);
      return zr_ext(g->doc, (uint32_t)g_rand(g), (uint16_t)g_rand(g), b, n);
    }
    case 12: return g_below(g, 4) ? zr_int((int64_t)g_below(g, 128)) : g_tensor(g);
    case 13: return zr_str_ref("k", 1);
    case 14:
    case 15:
    case 16: {
      size_t n = g_below(g, 6) == 0 ? 14 + g_below(g, 4) : g_below(g, 5);
      zr_value l = pick == 16 ? zr_tuple_new(g->doc, n) : zr_list_new(g->doc, n);
      for (size_t i = 0; i < n; i++) zr_list_push(g->doc, &l, g_value(g, depth + 1));
      return l;
    }
    case 17: return g_numeric_list(g);
    default: {
      size_t n = g_below(g, 6) == 0 ? 14 + g_below(g, 4) : g_below(g, 5);
      zr_value m = zr_map_new(g->doc, n);
      for (size_t i = 0; i < n; i++) {
        zr_value k = g_below(g, 3) ? zr_str_copy(g->doc, "key", 1 + g_below(g, 3)) : g_value(g, depth + 1);
        zr_map_put(g->doc, &m, k, g_value(g, depth + 1));
      }
      return m;
    }
  }
}

/* A random value in @p doc (which owns everything it references). */
static inline zr_value gen_value(zr_doc *doc, uint64_t seed, unsigned budget) {
  gen g = {seed * 0x100000001B3ull + 7, doc, budget};
  return g_value(&g, 0);
}

#endif
