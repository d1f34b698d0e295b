/* Test data shapes shared by the codec tests. */
#ifndef ZR_CODEC_TEST_DATA_H
#define ZR_CODEC_TEST_DATA_H
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"

enum { SHAPE_EMPTY, SHAPE_ONE, SHAPE_ZEROS, SHAPE_RANDOM, SHAPE_WALK, SHAPE_TIMES, SHAPE_TEXT, SHAPE_ODD, SHAPE_COUNT };
static const char *const shape_names[SHAPE_COUNT] = {"empty", "one", "zeros", "random", "walk", "times", "text", "odd"};

/* Fill a malloc'd buffer of the shape; *len receives its size (about n bytes). */
static inline uint8_t *make_shape(int shape, size_t n, size_t *len) {
  uint64_t seed = 42 + (uint64_t)shape;
  size_t sz = shape == SHAPE_EMPTY ? 0 : shape == SHAPE_ONE ? 1 : shape == SHAPE_ODD ? n + 5 : n;
  uint8_t *b = malloc(sz ? sz : 1);
  switch (shape) {
    case SHAPE_ONE: b[0] = 0x5a; break;
    case SHAPE_ZEROS: memset(b, 0, sz); break;
    case SHAPE_RANDOM:
      for (size_t i = 0; i < sz; i++) b[i] = (uint8_t)zr_test_rand(&seed);
      break;
    case SHAPE_WALK: {
      double x = 100.0;
      for (size_t i = 0; i + 8 <= sz; i += 8) {
        x += ((double)(zr_test_rand(&seed) % 2001) - 1000.0) / 1000.0;
        memcpy(b + i, &x, 8);
      }
      for (size_t i = sz & ~(size_t)7; i < sz; i++) b[i] = 1;
      break;
    }
    case SHAPE_TIMES:
    case SHAPE_ODD: {
      int64_t t = 1700000000000000000;
      size_t i = 0;
      for (; i + 8 <= sz; i += 8) {
        t += 1000 + (int64_t)(zr_test_rand(&seed) % 50);
        memcpy(b + i, &t, 8);
      }
      for (; i < sz; i++) b[i] = (uint8_t)i;
      break;
    }
    case SHAPE_TEXT: {
      static const char *words[] = {"alpha ", "beta ", "gamma ", "delta ", "{\"id\": ", "\"name\": ", "42, ", "\n"};
      size_t i = 0;
      while (i < sz) {
        const char *w = words[zr_test_rand(&seed) % 8];
        size_t l = strlen(w);
        if (l > sz - i) l = sz - i;
        memcpy(b + i, w, l);
        i += l;
      }
      break;
    }
    default: break;
  }
  *len = sz;
  return b;
}
#endif
