/* Byte order of Arrow buffers: big-endian IPC bodies are converted element by element, per the
 * physical layout of each buffer (the metadata flatbuffers are little-endian in both cases). */
#include "formats/arrow/arrow_int.h"

static void rev(uint8_t *d, const uint8_t *s, size_t w) {
  for (size_t i = 0; i < w; i++) d[i] = s[w - 1 - i];
}

void za_swap(uint8_t *dst, const uint8_t *src, size_t n, int kind, int from_big) {
  size_t i;
  switch (kind) {
    case ZA_SW_NONE:
      memcpy(dst, src, n);
      return;
    case 2:
      for (i = 0; i + 2 <= n; i += 2) zr__st16le(dst + i, __builtin_bswap16(zr__ld16le(src + i)));
      break;
    case 4:
      for (i = 0; i + 4 <= n; i += 4) zr__st32le(dst + i, __builtin_bswap32(zr__ld32le(src + i)));
      break;
    case 8:
      for (i = 0; i + 8 <= n; i += 8) zr__st64le(dst + i, __builtin_bswap64(zr__ld64le(src + i)));
      break;
    case ZA_SW_DAYTIME: /* int32 days, int32 milliseconds */
      for (i = 0; i + 4 <= n; i += 4) zr__st32le(dst + i, __builtin_bswap32(zr__ld32le(src + i)));
      break;
    case ZA_SW_MDN: /* int32 months, int32 days, int64 nanoseconds */
      for (i = 0; i + 16 <= n; i += 16) {
        rev(dst + i, src + i, 4);
        rev(dst + i + 4, src + i + 4, 4);
        rev(dst + i + 8, src + i + 8, 8);
      }
      break;
    case ZA_SW_VIEW: /* int32 length; inline bytes, or prefix + int32 buffer index + int32 offset */
      for (i = 0; i + 16 <= n; i += 16) {
        int32_t len = (int32_t)(from_big ? zr__ld32be(src + i) : zr__ld32le(src + i));
        rev(dst + i, src + i, 4);
        if (len <= 12) {
          memcpy(dst + i + 4, src + i + 4, 12);
        } else {
          memcpy(dst + i + 4, src + i + 4, 4);
          rev(dst + i + 8, src + i + 8, 4);
          rev(dst + i + 12, src + i + 12, 4);
        }
      }
      break;
    default: /* one integer of `kind` bytes (decimal128/256) */
      for (i = 0; i + (size_t)kind <= n; i += (size_t)kind) rev(dst + i, src + i, (size_t)kind);
      break;
  }
  if (i < n) memcpy(dst + i, src + i, n - i); /* a ragged tail is left as it is */
}

int za_swap_kind(const za_type *t) {
  switch (t->layout) {
    case ZA_L_FIXED:
      if (t->fb == ZA_FB_FSB) return ZA_SW_NONE;
      if (t->fb == ZA_FB_INTERVAL) return t->unit == 1 ? ZA_SW_DAYTIME : t->unit == 2 ? ZA_SW_MDN : 4;
      return t->width > 1 ? t->width : ZA_SW_NONE;
    case ZA_L_VIEW:
      return ZA_SW_VIEW;
    default:
      return ZA_SW_NONE;
  }
}
