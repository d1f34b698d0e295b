/* zerial binary format: tags and helpers shared by the encoder, decoder and inspector.
 * The layout is specified in docs/formats/binary.md; keep the two in step. */
#ifndef ZERIAL_FORMATS_BINARY_INTERNAL_H
#define ZERIAL_FORMATS_BINARY_INTERNAL_H

#include "core/internal.h"
#include "zerial/binary.h"
#include "zerial/format.h"

/* ---- tag bytes (version 1) ---- */
enum {
  ZRB_FIXINT_MAX = 0x7F,   /* 0x00..0x7F: int 0..127 */
  ZRB_FIXSTR = 0x80,       /* 0x80..0x9F: string of 0..31 bytes */
  ZRB_FIXLIST = 0xA0,      /* 0xA0..0xAF: list of 0..15 items */
  ZRB_FIXMAP = 0xB0,       /* 0xB0..0xBF: map of 0..15 entries */
  ZRB_NULL = 0xC0,
  ZRB_FALSE = 0xC1,
  ZRB_TRUE = 0xC2,
  ZRB_UINT = 0xC3,         /* uint: LEB128 */
  ZRB_INT_U8 = 0xC4,       /* int 0..255: 1 byte */
  ZRB_INT_U16 = 0xC5,      /* int 0..65535: 2 bytes LE */
  ZRB_INT_U32 = 0xC6,      /* int 0..2^32-1: 4 bytes LE */
  ZRB_INT_I8 = 0xC7,       /* int: 1 byte two's complement */
  ZRB_INT_I16 = 0xC8,      /* int: 2 bytes LE two's complement */
  ZRB_INT_I32 = 0xC9,      /* int: 4 bytes LE two's complement */
  ZRB_INT_I64 = 0xCA,      /* int: 8 bytes LE two's complement */
  ZRB_F32 = 0xCB,          /* float with the f32 hint: 4 bytes binary32 LE */
  ZRB_F64 = 0xCC,          /* float: 8 bytes binary64 LE */
  ZRB_F64_F32HINT = 0xCD,  /* float with the f32 hint not exact in binary32: 8 bytes binary64 LE */
  ZRB_BIGINT = 0xCE,       /* sign byte, LEB128 length, magnitude LE */
  ZRB_STR = 0xCF,          /* LEB128 length, UTF-8 bytes */
  ZRB_BIN = 0xD0,          /* LEB128 length, bytes */
  ZRB_SYM = 0xD1,          /* LEB128 length, UTF-8 bytes */
  ZRB_LIST = 0xD2,         /* LEB128 count, items */
  ZRB_TUPLE = 0xD3,        /* LEB128 count, items */
  ZRB_MAP = 0xD4,          /* LEB128 count, key value … */
  ZRB_TYPED = 0xD5,        /* element code, LEB128 count, pad byte, pad zeros, raw elements */
  ZRB_TIMESTAMP = 0xD6,    /* unit byte, LEB128 (tz length + 1, 0: none), tz bytes, 8 bytes LE */
  ZRB_TENSOR = 0xD7,       /* see the spec */
  ZRB_EXT = 0xD8,          /* LEB128 type id, LEB128 version, LEB128 length, bytes */
  ZRB_INT_U24 = 0xD9,      /* int 65536..2^24-1: 3 bytes LE */
  ZRB_CTYPED = 0xDA,       /* version 2: element code, LEB128 count, LEB128 length, ZRCB block container */
  ZRB_CTENSOR = 0xDB,      /* version 2: tensor header up to nbytes, LEB128 length, ZRCB block container */
  ZRB_RESERVED_FIRST = 0xDC, /* 0xDC..0xDF: reserved (0xDA, 0xDB too in version 1) */
  ZRB_NEGFIX = 0xE0        /* 0xE0..0xFF: int -32..-1 */
};

/* element codes of ZRB_TYPED */
enum {
  ZRB_EL_I8 = 1,
  ZRB_EL_I16 = 2,
  ZRB_EL_I32 = 3,
  ZRB_EL_I64 = 4,
  ZRB_EL_F32 = 5, /* floats with the f32 hint */
  ZRB_EL_F64 = 6, /* floats without it */
  ZRB_EL_U64 = 7, /* uints */
  ZRB_EL_MAX = 7
};

/* Lists (not tuples) of at least this many items, all of one numeric kind, are written typed. */
#define ZRB_TYPED_MIN 8

/* Deepest nesting the encoder accepts (cycles hit it too). */
#define ZRB_ENC_MAX_DEPTH ZR_BINARY_MAX_DEPTH
/* Deepest nesting the decoder accepts whatever opts->max_depth says (bounds its stack): the
 * encoder's limit, so everything zerial writes reads back. (10000 overflowed an 8 MiB stack in
 * an unoptimised build at about 8600 levels.) */
#define ZRB_DEC_MAX_DEPTH ZRB_ENC_MAX_DEPTH

ZR_INLINE size_t zrb_el_size(unsigned code) {
  static const uint8_t sz[8] = {0, 1, 2, 4, 8, 4, 8, 8};
  return code <= ZRB_EL_MAX ? sz[code] : 0;
}

ZR_INLINE unsigned zrb_varint_len(uint64_t v) {
  unsigned n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

ZR_INLINE uint8_t *zrb_put_varint(uint8_t *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

/* Read a LEB128 value of at most 10 bytes; NULL when truncated (*bad = 0) or overlong/overflowing
 * (*bad = 1). */
ZR_INLINE const uint8_t *zrb_get_varint(const uint8_t *p, const uint8_t *end, uint64_t *out, int *bad) {
  if (ZR_LIKELY(p < end && *p < 0x80)) {
    *out = *p;
    return p + 1;
  }
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (p >= end) {
      *bad = 0;
      return NULL;
    }
    uint8_t b = *p++;
    if (shift == 63 && b > 1) {
      *bad = 1;
      return NULL;
    }
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return p;
    }
  }
  *bad = 1;
  return NULL;
}

/* The element code a list would be written with (0: generic). Shared by the size and write
 * passes so they agree. */
unsigned zr__binary_typed_code(const zr_value *list);

/* float with the f32 hint: exactly representable in binary32 (bit-exact round trip)? */
ZR_INLINE int zrb_f32_exact(double d) {
  if (d == d && (d > 3.4028234663852886e38 || d < -3.4028234663852886e38) && d - d == 0) return 0; /* finite, out of range */
  float f = (float)d;
  double back = (double)f;
  uint64_t a, b;
  memcpy(&a, &d, 8);
  memcpy(&b, &back, 8);
  return a == b;
}

/* Check magic and version: ZR_ERR_TRUNCATED / ZR_ERR_FORMAT / ZR_ERR_VERSION with offsets. */
zr_status zr__binary_check_header(const uint8_t *data, size_t len, zr_error *err);

/* Upper bound of the bytes zr_binary_decode() allocates for this input (0: input malformed). */
uint64_t zr__binary_tree_bytes(const uint8_t *data, size_t len, int copy);

extern const zr_format zr__format_binary;

#endif
