/* Round-trip fuzz target: the input is a small program that builds a value (every kind the
 * formats share: null, bool, int, uint, float, string, binary, symbol, list, tuple, map, bigint,
 * timestamp). Per format, decode(encode(x)) == x whenever the encoder accepts x (binary and
 * extended JSON must accept every value built here). Across formats, plain values (null, bool,
 * int64, finite float, string, list, string-keyed map) decode to the same plain JSON text through
 * binary, ETF, pickle and JSON. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/binary.h"
#include "zerial/etf.h"
#include "zerial/format.h"
#include "zerial/numpy.h"
#include "zerial/value.h"

/* a finding: say which property broke (libFuzzer records the input) */
#define check(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                               \
    }                                                                        \
  } while (0)

typedef struct rd {
  const uint8_t *p;
  size_t n, i;
  int plain; /* only kinds every format holds the same way */
  unsigned budget;
} rd;

static uint8_t next(rd *r) { return r->i < r->n ? r->p[r->i++] : 0; }
static uint64_t next64(rd *r) {
  uint64_t v = 0;
  for (int k = 0; k < 8; k++) v = (v << 8) | next(r);
  return v;
}

static zr_value gen(rd *r, zr_doc *d, int depth) {
  if (r->budget == 0 || r->i >= r->n) return zr_null();
  r->budget--;
  uint8_t op = next(r);
  unsigned kinds = r->plain ? 9 : 15;
  switch (op % kinds) {
    case 0: return zr_null();
    case 1: return zr_bool(op & 0x10);
    case 2: return zr_int((int64_t)next64(r));
    case 3: return zr_int((int8_t)next(r));
    case 4: {
      double f;
      uint64_t b = next64(r);
      memcpy(&f, &b, 8);
      if (!isfinite(f)) f = (double)(int64_t)b;
      return zr_float(f);
    }
    case 5: case 6: { /* a UTF-8 string of ASCII and a few multi-byte characters */
      size_t len = next(r) % 24;
      char buf[24 * 3];
      size_t o = 0;
      for (size_t k = 0; k < len; k++) {
        uint8_t c = next(r);
        if (c >= 0xf0) {
          buf[o++] = (char)0xc3;
          buf[o++] = (char)(0xa0 + (c & 0x1f));
        } else {
          buf[o++] = (char)(0x20 + c % 95);
        }
      }
      return zr_str_copy(d, buf, o);
    }
    case 7: case 8: { /* containers */
      if (depth > 12) return zr_int(depth);
      size_t len = next(r) % 6;
      int map = op & 0x20;
      zr_value c = map ? zr_map_new(d, len) : zr_list_new(d, len);
      for (size_t k = 0; k < len; k++) {
        if (map) {
          char key[8] = {'k', (char)('a' + k), (char)('a' + next(r) % 26), 0};
          zr_map_put_cstr(d, &c, key, gen(r, d, depth + 1));
        } else {
          zr_list_push(d, &c, gen(r, d, depth + 1));
        }
      }
      return c;
    }
    case 9: return zr_uint(next64(r) | (UINT64_C(1) << 63));
    case 10: {
      size_t len = next(r) % 16;
      uint8_t buf[16];
      for (size_t k = 0; k < len; k++) buf[k] = next(r);
      return zr_bin_copy(d, buf, len);
    }
    case 11: {
      size_t len = 1 + next(r) % 10;
      char buf[12];
      for (size_t k = 0; k < len; k++) buf[k] = (char)('a' + next(r) % 26);
      return zr_sym_copy(d, buf, len);
    }
    case 12: {
      if (depth > 12) return zr_null();
      size_t len = next(r) % 5;
      zr_value t = zr_tuple_new(d, len);
      for (size_t k = 0; k < len; k++) zr_list_push(d, &t, gen(r, d, depth + 1));
      return t;
    }
    case 13: { /* bigint: a magnitude over 64 bits without leading zero bytes */
      uint8_t mag[12];
      for (int k = 0; k < 12; k++) mag[k] = next(r);
      mag[11] |= 1;
      return zr_bigint(d, op & 0x40, mag, 12);
    }
    default: {
      if (depth > 12) return zr_null();
      size_t len = next(r) % 4;
      zr_value m = zr_map_new(d, len); /* a map with non-string keys */
      for (size_t k = 0; k < len; k++) zr_map_put(d, &m, zr_int((int64_t)k * 7 - (int8_t)next(r)), gen(r, d, depth + 1));
      return m;
    }
  }
}

/* encode with @p f and decode again; returns the new doc (NULL when the encoder refused x).
 * ETF is read with ZR_ETF_BINARY_STRINGS (Erlang has no string type: text travels as binaries,
 * the flag is how a reader that tells text from bytes gets its strings back). */
static zr_doc *rt(const char *format, const zr_value *v) {
  const zr_format *f = zr_format_by_name(format);
  zr_sink *s = NULL;
  check(zr_sink_memory_new(NULL, &s, NULL) == ZR_OK);
  zr_doc *back = NULL;
  zr_status st = f->encode(v, NULL, s, NULL);
  if (st == ZR_OK) {
    const uint8_t *b;
    size_t n;
    check(zr_sink_memory_data(s, &b, &n) == ZR_OK);
    zr_decode_opts o;
    zr_decode_opts_init(&o);
    o.copy = 1;
    zr_error err;
    if (strcmp(format, "etf") == 0) st = zr_etf_decode(b, n, &o, ZR_ETF_BINARY_STRINGS, &back, &err);
    else st = f->decode(b, n, &o, &back, &err);
    if (st != ZR_OK) fprintf(stderr, "%s decode: %s\n", format, err.message);
    check(st == ZR_OK);
  } else {
    check(st == ZR_ERR_TYPE || st == ZR_ERR_RANGE || st == ZR_ERR_UNSUPPORTED || st == ZR_ERR_LOSSY);
  }
  zr_sink_free(s);
  return back;
}

/* plain JSON text of @p v (malloc'd, NUL-terminated) */
static char *plain_json(const zr_value *v) {
  zr_sink *s = NULL;
  check(zr_sink_memory_new(NULL, &s, NULL) == ZR_OK);
  check(zr_value_to_json(v, ZR_JSON_SORT_KEYS, s, NULL) == ZR_OK);
  const uint8_t *b;
  size_t n;
  zr_sink_memory_data(s, &b, &n);
  char *out = malloc(n + 1);
  memcpy(out, b, n);
  out[n] = 0;
  zr_sink_free(s);
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  rd r = {data + 1, size - 1, 0, data[0] & 1, 400};
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = gen(&r, d, 0);
  if (zr_doc_status(d) != ZR_OK) {
    zr_doc_free(d);
    return 0;
  }
  /* per format: what the encoder accepts comes back equal (binary holds everything) */
  zr_doc *b = rt("binary", &v);
  check(b && zr_value_equal(&v, zr_doc_root(b)));
  zr_doc_free(b);
  if (r.plain) {
    char *want = plain_json(&v);
    static const char *formats[] = {"etf", "json", "pickle"};
    for (int k = 0; k < 3; k++) {
      zr_doc *x = rt(formats[k], &v);
      check(x != NULL);
      char *got = plain_json(zr_doc_root(x));
      if (strcmp(want, got) != 0) fprintf(stderr, "%s:\n want %s\n got  %s\n", formats[k], want, got);
      check(strcmp(want, got) == 0);
      free(got);
      /* and on into binary again: cross-format chain */
      zr_doc *y = rt("binary", zr_doc_root(x));
      check(y && zr_value_equal(zr_doc_root(x), zr_doc_root(y)));
      zr_doc_free(y);
      zr_doc_free(x);
    }
    free(want);
  }
  /* extended JSON keeps every kind */
  zr_sink *s = NULL;
  check(zr_sink_memory_new(NULL, &s, NULL) == ZR_OK);
  check(zr_value_to_json(&v, ZR_JSON_EXTENDED, s, NULL) == ZR_OK);
  const uint8_t *jb;
  size_t jn;
  zr_sink_memory_data(s, &jb, &jn);
  zr_doc *j = NULL;
  check(zr_value_from_json((const char *)jb, jn, ZR_JSON_EXTENDED, NULL, &j, NULL) == ZR_OK);
  check(zr_value_equal(&v, zr_doc_root(j)));
  zr_doc_free(j);
  zr_sink_free(s);
  zr_doc_free(d);
  return 0;
}
