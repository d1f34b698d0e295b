#include <xxhash.h>

#include "internal.h"

/* UTF-8 validation per RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool zr__utf8_valid(const uint8_t *s, size_t n, size_t *bad) {
  size_t i = 0;
  while (i < n) {
    /* ASCII fast path, 8 bytes at a time */
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (w & UINT64_C(0x8080808080808080)) break;
      i += 8;
    }
    if (i >= n) break;
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c == 0xE0) { need = 2; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) need = 2;
    else if (c == 0xED) { need = 2; hi = 0x9F; }
    else if (c >= 0xEE && c <= 0xEF) need = 2;
    else if (c == 0xF0) { need = 3; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) need = 3;
    else if (c == 0xF4) { need = 3; hi = 0x8F; }
    else goto fail;
    if (n - i - 1 < need) goto fail;
    if (s[i + 1] < lo || s[i + 1] > hi) goto fail;
    for (size_t k = 2; k <= need; k++)
      if ((s[i + k] & 0xC0) != 0x80) goto fail;
    i += need + 1;
  }
  return true;
fail:
  if (bad) *bad = i;
  return false;
}

int zr_utf8_valid(const void *s, size_t len, size_t *bad) {
  if (!s && len) return 0;
  return zr__utf8_valid(s, len, bad) ? 1 : 0;
}

uint64_t zr_xxh3_64(const void *data, size_t len, uint64_t seed) { return XXH3_64bits_withSeed(data, len, seed); }
