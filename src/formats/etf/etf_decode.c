/* Erlang external term format: decoder (bytes → zr_doc). See docs/guides/beam.md. */
#include <math.h>
#include <stdlib.h>
#include <zlib.h>

#include "formats/etf/etf_internal.h"

/* Deepest nesting decoded whatever opts->max_depth says (a term of 100000 nested lists with
 * max_depth UINT32_MAX overflowed the stack). A level of the dec_term recursion takes about 300
 * bytes of stack optimised, 700 unoptimised and 3.5 KiB under AddressSanitizer, so 1024 levels
 * stay within a few MiB everywhere. (The encoder writes up to 4096 levels; terms deeper than
 * 1024 are refused here.) */
#define ETF_DEC_MAX_DEPTH 1024u

#if defined(__GNUC__)
#define ETF_NOINLINE __attribute__((noinline))
#else
#define ETF_NOINLINE
#endif

typedef struct dec {
  const uint8_t *base; /* start of the buffer being decoded (offsets are relative to it) */
  const uint8_t *p, *end;
  int64_t base_off; /* offset of base in the caller's input */
  zr_doc *doc;
  const zr_decode_opts *o;
  unsigned flags;
  uint64_t elements;
  uint32_t depth;
  int copy;
  zr_error *err;
} dec;

static const char *const tag_names[256] = {
    [ETF_NEW_FLOAT] = "NEW_FLOAT_EXT",
    [ETF_BIT_BINARY] = "BIT_BINARY_EXT",
    [ETF_COMPRESSED] = "COMPRESSED",
    [ETF_ATOM_CACHE_REF] = "ATOM_CACHE_REF",
    [ETF_NEW_PID] = "NEW_PID_EXT",
    [ETF_NEW_PORT] = "NEW_PORT_EXT",
    [ETF_NEWER_REFERENCE] = "NEWER_REFERENCE_EXT",
    [ETF_SMALL_INTEGER] = "SMALL_INTEGER_EXT",
    [ETF_INTEGER] = "INTEGER_EXT",
    [ETF_FLOAT] = "FLOAT_EXT",
    [ETF_ATOM] = "ATOM_EXT",
    [ETF_REFERENCE] = "REFERENCE_EXT",
    [ETF_PORT] = "PORT_EXT",
    [ETF_PID] = "PID_EXT",
    [ETF_SMALL_TUPLE] = "SMALL_TUPLE_EXT",
    [ETF_LARGE_TUPLE] = "LARGE_TUPLE_EXT",
    [ETF_NIL] = "NIL_EXT",
    [ETF_STRING] = "STRING_EXT",
    [ETF_LIST] = "LIST_EXT",
    [ETF_BINARY] = "BINARY_EXT",
    [ETF_SMALL_BIG] = "SMALL_BIG_EXT",
    [ETF_LARGE_BIG] = "LARGE_BIG_EXT",
    [ETF_NEW_FUN] = "NEW_FUN_EXT",
    [ETF_EXPORT] = "EXPORT_EXT",
    [ETF_NEW_REFERENCE] = "NEW_REFERENCE_EXT",
    [ETF_SMALL_ATOM] = "SMALL_ATOM_EXT",
    [ETF_MAP] = "MAP_EXT",
    [ETF_FUN] = "FUN_EXT",
    [ETF_ATOM_UTF8] = "ATOM_UTF8_EXT",
    [ETF_SMALL_ATOM_UTF8] = "SMALL_ATOM_UTF8_EXT",
    [ETF_V4_PORT] = "V4_PORT_EXT",
    [ETF_LOCAL] = "LOCAL_EXT",
};

const char *zr__etf_tag_name(unsigned tag) { return tag < 256 ? tag_names[tag] : NULL; }

int zr__etf_tag_supported(unsigned tag) {
  switch (tag) {
    case ETF_NEW_FLOAT:
    case ETF_BIT_BINARY:
    case ETF_SMALL_INTEGER:
    case ETF_INTEGER:
    case ETF_FLOAT:
    case ETF_ATOM:
    case ETF_SMALL_TUPLE:
    case ETF_LARGE_TUPLE:
    case ETF_NIL:
    case ETF_STRING:
    case ETF_LIST:
    case ETF_BINARY:
    case ETF_SMALL_BIG:
    case ETF_LARGE_BIG:
    case ETF_SMALL_ATOM:
    case ETF_MAP:
    case ETF_ATOM_UTF8:
    case ETF_SMALL_ATOM_UTF8: return 1;
    default: return 0;
  }
}

static inline int64_t off_of(const dec *d, const uint8_t *p) { return d->base_off + (int64_t)(p - d->base); }

static zr_status truncated(dec *d, const char *what) {
  return zr__err(d->err, ZR_ERR_TRUNCATED, off_of(d, d->p), "ETF: input ends inside %s", what);
}

#define NEED(d, n, what)                                                                       \
  do {                                                                                         \
    if (ZR_UNLIKELY((size_t)((d)->end - (d)->p) < (size_t)(n))) return truncated((d), (what)); \
  } while (0)

static zr_status nomem(dec *d) {
  if (d->doc->arena.over_limit)
    return zr__err(d->err, ZR_ERR_LIMIT, off_of(d, d->p), "ETF: decoding needs more than max_bytes (%llu) of memory",
                   (unsigned long long)d->doc->arena.limit);
  return zr__err(d->err, ZR_ERR_NOMEM, off_of(d, d->p), "ETF: out of memory");
}

static zr_status count_elements(dec *d, uint64_t n) {
  d->elements += n;
  if (ZR_UNLIKELY(d->elements > d->o->max_elements))
    return zr__err(d->err, ZR_ERR_LIMIT, off_of(d, d->p), "ETF: more than max_elements (%llu) values",
                   (unsigned long long)d->o->max_elements);
  return ZR_OK;
}

/* Bytes as a value of @p kind: a view into the input, or a copy in copy mode. */
static zr_status bytes_value(dec *d, uint8_t kind, const uint8_t *p, size_t n, zr_value *out) {
  zr_value v = zr_null();
  v.kind = kind;
  v.n.len = n;
  if (d->copy && n) {
    uint8_t *c = zr_doc_alloc(d->doc, n, 1);
    if (!c) return nomem(d);
    memcpy(c, p, n);
    v.u.bin = c;
  } else {
    v.u.bin = p;
  }
  *out = v;
  return ZR_OK;
}

/* Latin-1 bytes as UTF-8 (a view when all ASCII and not copying). */
static ETF_NOINLINE zr_status latin1_value(dec *d, uint8_t kind, const uint8_t *p, size_t n, zr_value *out) {
  size_t high = 0;
  for (size_t i = 0; i < n; i++) high += p[i] >> 7;
  if (!high) return bytes_value(d, kind, p, n, out);
  uint8_t *c = zr_doc_alloc(d->doc, n + high, 1);
  if (!c) return nomem(d);
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t b = p[i];
    if (b < 0x80) {
      c[j++] = b;
    } else {
      c[j++] = (uint8_t)(0xC0 | (b >> 6));
      c[j++] = (uint8_t)(0x80 | (b & 0x3F));
    }
  }
  zr_value v = zr_null();
  v.kind = kind;
  v.n.len = j;
  v.u.bin = c;
  *out = v;
  return ZR_OK;
}

static zr_status atom_value(dec *d, const uint8_t *p, size_t n, int latin1, zr_value *out) {
  if (!(d->flags & ZR_ETF_ATOMS_AS_SYMBOLS)) {
    if (n == 4 && memcmp(p, "true", 4) == 0) {
      *out = zr_bool(1);
      return ZR_OK;
    }
    if (n == 5 && memcmp(p, "false", 5) == 0) {
      *out = zr_bool(0);
      return ZR_OK;
    }
    if (n == 3 && memcmp(p, "nil", 3) == 0) {
      *out = zr_null();
      return ZR_OK;
    }
    if ((d->flags & ZR_ETF_UNDEFINED_NULL) && n == 9 && memcmp(p, "undefined", 9) == 0) {
      *out = zr_null();
      return ZR_OK;
    }
  }
  if (latin1) return latin1_value(d, ZR_KIND_SYMBOL, p, n, out);
  if (d->o->validate_utf8) {
    size_t bad = 0;
    if (!zr__utf8_valid(p, n, &bad))
      return zr__err(d->err, ZR_ERR_UTF8, off_of(d, p + bad), "ETF: UTF-8 atom holds invalid UTF-8");
  }
  return bytes_value(d, ZR_KIND_SYMBOL, p, n, out);
}

/* Sign + little-endian magnitude → int when it fits int64, else bigint. */
static ETF_NOINLINE zr_status big_value(dec *d, int neg, const uint8_t *mag, size_t n, zr_value *out) {
  while (n && mag[n - 1] == 0) n--;
  if (n <= 8) {
    uint64_t m = 0;
    for (size_t i = n; i-- > 0;) m = (m << 8) | mag[i];
    if (!neg && m <= (uint64_t)INT64_MAX) {
      *out = zr_int((int64_t)m);
      return ZR_OK;
    }
    if (neg && m <= (uint64_t)INT64_MAX + 1) {
      *out = zr_int(m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m);
      return ZR_OK;
    }
  }
  ZR_TRY(bytes_value(d, ZR_KIND_BIGINT, mag, n, out));
  if (neg) out->flags |= ZR_VF_NEGATIVE;
  return ZR_OK;
}

static ETF_NOINLINE zr_status parse_old_float(dec *d, const uint8_t *p, double *out) {
  char buf[32];
  size_t n = 0;
  while (n < 31 && p[n]) {
    uint8_t c = p[n];
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
      return zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, p + n), "ETF: FLOAT_EXT text holds '%c'",
                     c >= 0x20 && c < 0x7F ? (char)c : '?');
    buf[n] = (char)c;
    n++;
  }
  for (size_t i = n; i < 31; i++)
    if (p[i]) return zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, p + i), "ETF: FLOAT_EXT text is not NUL-padded");
  buf[n] = 0;
  char *endp = NULL;
  double f = n ? strtod(buf, &endp) : 0.0;
  if (!n || endp != buf + n || !isfinite(f))
    return zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, p), "ETF: FLOAT_EXT text is not a finite number");
  *out = f;
  return ZR_OK;
}

static zr_status dec_term(dec *d, zr_value *out);

static zr_status dec_items(dec *d, uint64_t n, zr_value **items_out) {
  ZR_TRY(count_elements(d, n));
  zr_value *items = NULL;
  if (n) {
    items = zr_doc_alloc(d->doc, (size_t)n * sizeof(zr_value), 8);
    if (!items) return nomem(d);
    for (uint64_t i = 0; i < n; i++) ZR_TRY(dec_term(d, &items[i]));
  }
  *items_out = items;
  return ZR_OK;
}

static zr_value container(uint8_t kind, void *items, uint64_t n) {
  zr_value v = zr_null();
  v.kind = kind;
  v.n.len = n;
  v.aux32 = (uint32_t)n;
  v.u.items = items;
  return v;
}

static int is_sym(const zr_value *v, const char *s) {
  size_t n = strlen(s);
  return v->kind == ZR_KIND_SYMBOL && v->n.len == n && memcmp(v->u.str, s, n) == 0;
}

static int is_int(const zr_value *v) { return v->kind == ZR_KIND_INT; }

/* Rare paths out of line: their locals (a tensor, an error record, a float text) would otherwise
 * sit in every frame of the dec_term recursion. */
static ETF_NOINLINE zr_status tagged_tuple(dec *d, zr_value *t, const uint8_t *at);

static ETF_NOINLINE zr_status dup_check(dec *d, zr_value *m, const uint8_t *at);

static zr_status dec_term(dec *d, zr_value *out) {
  NEED(d, 1, "a term");
  const uint8_t *at = d->p;
  unsigned tag = *d->p++;
  switch (tag) {
    case ETF_SMALL_INTEGER:
      NEED(d, 1, "SMALL_INTEGER_EXT");
      *out = zr_int(*d->p++);
      return ZR_OK;
    case ETF_INTEGER:
      NEED(d, 4, "INTEGER_EXT");
      *out = zr_int((int32_t)zr__ld32be(d->p));
      d->p += 4;
      return ZR_OK;
    case ETF_NEW_FLOAT: {
      NEED(d, 8, "NEW_FLOAT_EXT");
      uint64_t bits = zr__ld64be(d->p);
      double f;
      memcpy(&f, &bits, 8);
      d->p += 8;
      *out = zr_float(f);
      return ZR_OK;
    }
    case ETF_FLOAT: {
      NEED(d, 31, "FLOAT_EXT");
      double f = 0.0;
      ZR_TRY(parse_old_float(d, d->p, &f));
      d->p += 31;
      *out = zr_float(f);
      return ZR_OK;
    }
    case ETF_ATOM:
    case ETF_ATOM_UTF8:
    case ETF_SMALL_ATOM:
    case ETF_SMALL_ATOM_UTF8: {
      int small = tag == ETF_SMALL_ATOM || tag == ETF_SMALL_ATOM_UTF8;
      NEED(d, small ? 1 : 2, "an atom length");
      size_t n = small ? *d->p : zr__ld16be(d->p);
      d->p += small ? 1 : 2;
      NEED(d, n, "an atom");
      const uint8_t *s = d->p;
      d->p += n;
      return atom_value(d, s, n, tag == ETF_ATOM || tag == ETF_SMALL_ATOM, out);
    }
    case ETF_SMALL_TUPLE:
    case ETF_LARGE_TUPLE: {
      uint64_t n;
      if (tag == ETF_SMALL_TUPLE) {
        NEED(d, 1, "SMALL_TUPLE_EXT");
        n = *d->p++;
      } else {
        NEED(d, 4, "LARGE_TUPLE_EXT");
        n = zr__ld32be(d->p);
        d->p += 4;
      }
      NEED(d, n, "a tuple");
      if (ZR_UNLIKELY(++d->depth > d->o->max_depth))
        return zr__err(d->err, ZR_ERR_LIMIT, off_of(d, at), "ETF: nesting deeper than max_depth (%u)", d->o->max_depth);
      zr_value *items = NULL;
      ZR_TRY(dec_items(d, n, &items));
      d->depth--;
      *out = container(ZR_KIND_TUPLE, items, n);
      if (n == 4 && !(d->flags & ZR_ETF_NO_TAGS) && items[0].kind == ZR_KIND_SYMBOL && items[0].n.len > 8 &&
          memcmp(items[0].u.str, "$zerial_", 8) == 0)
        return tagged_tuple(d, out, at);
      return ZR_OK;
    }
    case ETF_NIL: *out = container(ZR_KIND_LIST, NULL, 0); return ZR_OK;
    case ETF_STRING: {
      NEED(d, 2, "STRING_EXT");
      size_t n = zr__ld16be(d->p);
      d->p += 2;
      NEED(d, n, "STRING_EXT");
      const uint8_t *s = d->p;
      d->p += n;
      if (d->flags & ZR_ETF_CHARLIST_STRING) return latin1_value(d, ZR_KIND_STRING, s, n, out);
      ZR_TRY(count_elements(d, n));
      zr_value *items = NULL;
      if (n) {
        items = zr_doc_alloc(d->doc, n * sizeof(zr_value), 8);
        if (!items) return nomem(d);
        for (size_t i = 0; i < n; i++) items[i] = zr_int(s[i]);
      }
      *out = container(ZR_KIND_LIST, items, n);
      return ZR_OK;
    }
    case ETF_LIST: {
      NEED(d, 4, "LIST_EXT");
      uint64_t n = zr__ld32be(d->p);
      d->p += 4;
      NEED(d, n + 1, "a list");
      if (ZR_UNLIKELY(++d->depth > d->o->max_depth))
        return zr__err(d->err, ZR_ERR_LIMIT, off_of(d, at), "ETF: nesting deeper than max_depth (%u)", d->o->max_depth);
      zr_value *items = NULL;
      ZR_TRY(dec_items(d, n, &items));
      zr_value list = container(ZR_KIND_LIST, items, n);
      NEED(d, 1, "a list tail");
      if (*d->p == ETF_NIL) {
        d->p++;
        d->depth--;
        *out = list;
        return ZR_OK;
      }
      const uint8_t *tail_at = d->p;
      if (!(d->flags & ZR_ETF_IMPROPER_TAGGED))
        return zr__err(d->err, ZR_ERR_UNSUPPORTED, off_of(d, tail_at),
                       "ETF: improper list (tail is not []); decode with ZR_ETF_IMPROPER_TAGGED to keep it");
      zr_value *t = zr_doc_alloc(d->doc, 3 * sizeof(zr_value), 8);
      if (!t) return nomem(d);
      ZR_TRY(count_elements(d, 2));
      t[0] = zr_sym_ref(ETF_TAG_IMPROPER, sizeof ETF_TAG_IMPROPER - 1);
      t[1] = list;
      ZR_TRY(dec_term(d, &t[2]));
      d->depth--;
      *out = container(ZR_KIND_TUPLE, t, 3);
      return ZR_OK;
    }
    case ETF_BINARY: {
      NEED(d, 4, "BINARY_EXT");
      size_t n = zr__ld32be(d->p);
      d->p += 4;
      NEED(d, n, "BINARY_EXT");
      const uint8_t *s = d->p;
      d->p += n;
      if ((d->flags & ZR_ETF_BINARY_STRINGS) && zr__utf8_valid(s, n, &(size_t){0}))
        return bytes_value(d, ZR_KIND_STRING, s, n, out);
      return bytes_value(d, ZR_KIND_BINARY, s, n, out);
    }
    case ETF_BIT_BINARY: {
      NEED(d, 5, "BIT_BINARY_EXT");
      size_t n = zr__ld32be(d->p);
      unsigned bits = d->p[4];
      d->p += 5;
      if (bits < 1 || bits > 8 || n == 0)
        return zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, d->p - 1),
                       "ETF: BIT_BINARY_EXT with %u bits in its last byte of %zu bytes", bits, n);
      NEED(d, n, "BIT_BINARY_EXT");
      const uint8_t *s = d->p;
      d->p += n;
      zr_value *t = zr_doc_alloc(d->doc, 3 * sizeof(zr_value), 8);
      if (!t) return nomem(d);
      ZR_TRY(count_elements(d, 3));
      t[0] = zr_sym_ref(ETF_TAG_BITSTRING, sizeof ETF_TAG_BITSTRING - 1);
      ZR_TRY(bytes_value(d, ZR_KIND_BINARY, s, n, &t[1]));
      t[2] = zr_int(bits);
      *out = container(ZR_KIND_TUPLE, t, 3);
      return ZR_OK;
    }
    case ETF_SMALL_BIG:
    case ETF_LARGE_BIG: {
      size_t n;
      if (tag == ETF_SMALL_BIG) {
        NEED(d, 2, "SMALL_BIG_EXT");
        n = *d->p++;
      } else {
        NEED(d, 5, "LARGE_BIG_EXT");
        n = zr__ld32be(d->p);
        d->p += 4;
      }
      unsigned sign = *d->p++;
      if (sign > 1)
        return zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, d->p - 1), "ETF: bignum sign byte %u is not 0 or 1", sign);
      NEED(d, n, "a bignum");
      const uint8_t *mag = d->p;
      d->p += n;
      return big_value(d, (int)sign, mag, n, out);
    }
    case ETF_MAP: {
      NEED(d, 4, "MAP_EXT");
      uint64_t n = zr__ld32be(d->p);
      d->p += 4;
      NEED(d, 2 * n, "a map");
      if (ZR_UNLIKELY(++d->depth > d->o->max_depth))
        return zr__err(d->err, ZR_ERR_LIMIT, off_of(d, at), "ETF: nesting deeper than max_depth (%u)", d->o->max_depth);
      zr_value *items = NULL;
      ZR_TRY(dec_items(d, 2 * n, &items));
      d->depth--;
      *out = container(ZR_KIND_MAP, items, n);
      if (n > 1 && d->o->dup_keys != ZR_DUP_KEEP) return dup_check(d, out, at);
      return ZR_OK;
    }
    case ETF_COMPRESSED:
      return zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, at), "ETF: compressed term (tag 80) inside a term");
    case ETF_PID:
    case ETF_NEW_PID:
    case ETF_PORT:
    case ETF_NEW_PORT:
    case ETF_V4_PORT:
    case ETF_REFERENCE:
    case ETF_NEW_REFERENCE:
    case ETF_NEWER_REFERENCE:
    case ETF_FUN:
    case ETF_NEW_FUN:
    case ETF_EXPORT:
    case ETF_LOCAL:
      return zr__err(
          d->err, ZR_ERR_UNSUPPORTED, off_of(d, at),
          "ETF: tag %u (%s) at offset %lld is not supported: pids, ports, references and funs have no zerial value",
          tag, tag_names[tag], (long long)off_of(d, at));
    default:
      return zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, at), "ETF: unknown or invalid tag %u%s%s", tag,
                     tag_names[tag] ? " " : "", tag_names[tag] ? tag_names[tag] : "");
  }
}

static const char *const unit_names[] = {"second", "millisecond", "microsecond", "nanosecond"};

/* {'$zerial_timestamp', N, Unit, Tz} / {'$zerial_ext', Id, Ver, Bin} / {'$zerial_tensor', Dtype, Shape, Bin}. */
static ETF_NOINLINE zr_status tagged_tuple(dec *d, zr_value *t, const uint8_t *at) {
  zr_value *it = t->u.items;
  if (is_sym(&it[0], ETF_TAG_TIMESTAMP)) {
    if (!is_int(&it[1]) || it[2].kind != ZR_KIND_SYMBOL ||
        !(it[3].kind == ZR_KIND_NULL || it[3].kind == ZR_KIND_BINARY || is_sym(&it[3], "nil")))
      return ZR_OK; /* not ours: keep the tuple */
    int unit = -1;
    for (int u = 0; u < 4; u++)
      if (is_sym(&it[2], unit_names[u])) unit = u;
    if (unit < 0) return ZR_OK;
    char *tz = NULL;
    if (it[3].kind == ZR_KIND_BINARY) {
      tz = zr_doc_alloc(d->doc, it[3].n.len + 1, 1);
      if (!tz) return nomem(d);
      memcpy(tz, it[3].u.bin, it[3].n.len);
      tz[it[3].n.len] = 0;
      if (memchr(tz, 0, it[3].n.len)) return ZR_OK;
    }
    zr_value v = zr_null();
    v.kind = ZR_KIND_TIMESTAMP;
    v.u.i = it[1].u.i;
    v.aux16 = (uint16_t)unit;
    v.n.tz = tz;
    *t = v;
    return ZR_OK;
  }
  if (is_sym(&it[0], ETF_TAG_EXT)) {
    if (!is_int(&it[1]) || !is_int(&it[2]) || it[3].kind != ZR_KIND_BINARY || it[1].u.i < 0 || it[1].u.i > UINT32_MAX ||
        it[2].u.i < 0 || it[2].u.i > UINT16_MAX)
      return ZR_OK;
    zr_value v = it[3];
    v.kind = ZR_KIND_EXT;
    v.aux32 = (uint32_t)it[1].u.i;
    v.aux16 = (uint16_t)it[2].u.i;
    *t = v;
    return ZR_OK;
  }
  if (is_sym(&it[0], ETF_TAG_TENSOR)) {
    static const zr_dtype dts[] = {ZR_DT_BOOL,    ZR_DT_INT8,    ZR_DT_INT16,     ZR_DT_INT32,     ZR_DT_INT64,
                                   ZR_DT_UINT8,   ZR_DT_UINT16,  ZR_DT_UINT32,    ZR_DT_UINT64,    ZR_DT_FLOAT16,
                                   ZR_DT_FLOAT32, ZR_DT_FLOAT64, ZR_DT_COMPLEX64, ZR_DT_COMPLEX128};
    if (it[1].kind != ZR_KIND_SYMBOL || it[2].kind != ZR_KIND_TUPLE || it[3].kind != ZR_KIND_BINARY) return ZR_OK;
    int dt = -1;
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++)
      if (is_sym(&it[1], zr_dtype_name(dts[i]))) dt = (int)dts[i];
    if (dt < 0 || it[2].n.len > ZR_TENSOR_MAX_DIMS) return ZR_OK;
    int64_t shape[ZR_TENSOR_MAX_DIMS];
    uint64_t count = 1;
    for (uint64_t i = 0; i < it[2].n.len; i++) {
      const zr_value *s = &it[2].u.items[i];
      if (!is_int(s) || s->u.i < 0 || zr__mul_overflow(count, (uint64_t)s->u.i, &count)) return ZR_OK;
      shape[i] = s->u.i;
    }
    uint64_t isz = zr_dtype_size((zr_dtype)dt), nbytes;
    if (zr__mul_overflow(count, isz, &nbytes) || nbytes != it[3].n.len)
      return zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, at),
                     "ETF: '$zerial_tensor' of %llu bytes does not match its shape and dtype",
                     (unsigned long long)it[3].n.len);
    zr_tensor tn;
    zr_error e2;
    if (zr_tensor_init(&tn, (zr_dtype)dt, isz, (uint32_t)it[2].n.len, shape, (void *)(uintptr_t)it[3].u.bin, &e2) !=
        ZR_OK)
      return zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, at), "ETF: '$zerial_tensor': %s", e2.message);
    zr_value v = zr_tensor_value(d->doc, &tn);
    if (v.kind != ZR_KIND_TENSOR) return nomem(d);
    *t = v;
    return ZR_OK;
  }
  return ZR_OK;
}

/* ---- repeated map keys (only when opts->dup_keys asks): hash set over key values ---- */
static uint64_t value_hash(const zr_value *v) {
  uint64_t h = (uint64_t)v->kind * UINT64_C(0x9E3779B97F4A7C15);
  switch (v->kind) {
    case ZR_KIND_BOOL: return h ^ (uint64_t)v->u.b;
    case ZR_KIND_INT:
    case ZR_KIND_UINT:
    case ZR_KIND_TIMESTAMP: return h ^ (v->u.u * UINT64_C(0xBF58476D1CE4E5B9));
    case ZR_KIND_FLOAT: {
      uint64_t b;
      memcpy(&b, &v->u.f, 8);
      return h ^ b;
    }
    case ZR_KIND_STRING:
    case ZR_KIND_BINARY:
    case ZR_KIND_SYMBOL:
    case ZR_KIND_BIGINT:
    case ZR_KIND_EXT: return zr_xxh3_64(v->u.bin, (size_t)v->n.len, h);
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE: {
      uint64_t n = v->n.len < 16 ? v->n.len : 16;
      for (uint64_t i = 0; i < n; i++) h = (h ^ value_hash(&v->u.items[i])) * UINT64_C(0x94D049BB133111EB);
      return h ^ v->n.len;
    }
    default: return h ^ v->n.len;
  }
}

static ETF_NOINLINE zr_status dup_check(dec *d, zr_value *m, const uint8_t *at) {
  uint64_t n = m->n.len;
  size_t cap = 16;
  while (cap < 2 * n) cap <<= 1;
  const zr_allocator *a = &d->doc->alloc;
  uint32_t *slots = zr__malloc(a, cap * sizeof(uint32_t));
  if (!slots) return nomem(d);
  memset(slots, 0xFF, cap * sizeof(uint32_t));
  zr_member *mem = m->u.members;
  uint64_t kept = 0;
  zr_status st = ZR_OK;
  for (uint64_t i = 0; i < n; i++) {
    size_t s = (size_t)value_hash(&mem[i].key) & (cap - 1);
    int found = 0;
    while (slots[s] != UINT32_MAX) {
      if (zr_value_equal(&mem[slots[s]].key, &mem[i].key)) {
        found = 1;
        break;
      }
      s = (s + 1) & (cap - 1);
    }
    if (!found) {
      mem[kept] = mem[i];
      slots[s] = (uint32_t)kept++;
    } else if (d->o->dup_keys == ZR_DUP_ERROR) {
      st = zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, at), "ETF: map has a repeated key (entry %llu)",
                   (unsigned long long)i);
      break;
    } else if (d->o->dup_keys == ZR_DUP_LAST) {
      mem[slots[s]].val = mem[i].val;
    }
  }
  zr__free(a, slots);
  m->n.len = kept;
  return st;
}

static zr_status decode_compressed(dec *d, zr_value *out) {
  NEED(d, 4, "the compressed term header");
  uint64_t size = zr__ld32be(d->p);
  d->p += 4;
  if (size > d->o->max_bytes)
    return zr__err(d->err, ZR_ERR_LIMIT, off_of(d, d->p - 4),
                   "ETF: compressed term declares %llu bytes, more than max_bytes (%llu)", (unsigned long long)size,
                   (unsigned long long)d->o->max_bytes);
  if (size == 0) return zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, d->p - 4), "ETF: compressed term of 0 bytes");
  uint8_t *buf = zr_doc_alloc(d->doc, (size_t)size, 8);
  if (!buf) return nomem(d);
  uLongf dlen = (uLongf)size;
  uLong slen = (uLong)(d->end - d->p);
  int zs = uncompress2(buf, &dlen, d->p, &slen);
  if (zs == Z_MEM_ERROR) return nomem(d);
  if (zs != Z_OK || dlen != size)
    return zr__err(d->err, zs == Z_OK || zs == Z_BUF_ERROR ? ZR_ERR_MALFORMED : ZR_ERR_CODEC, off_of(d, d->p),
                   "ETF: compressed term does not inflate to its declared %llu bytes (zlib: %s)",
                   (unsigned long long)size,
                   zs == Z_OK          ? "size differs"
                   : zs == Z_BUF_ERROR ? "truncated or longer"
                                       : "data error");
  if (slen != (uLong)(d->end - d->p))
    return zr__err(d->err, ZR_ERR_MALFORMED, off_of(d, d->p + slen), "ETF: bytes after the compressed term");
  /* Offsets inside the inflated term are reported relative to the inflated bytes. */
  d->base = buf;
  d->p = buf;
  d->end = buf + size;
  d->base_off = 0;
  if (!d->o->copy) d->copy = 0;
  return dec_term(d, out);
}

zr_status zr_etf_decode(const void *data, size_t len, const zr_decode_opts *opts, unsigned flags, zr_doc **out,
                        zr_error *err) {
  if (!out || (!data && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "zr_etf_decode: NULL argument");
  zr_decode_opts def;
  if (!opts) {
    zr_decode_opts_init(&def);
    opts = &def;
  }
  zr_decode_opts capped;
  if (opts->max_depth > ETF_DEC_MAX_DEPTH) { /* the recursion's stack stays bounded whatever the option says */
    capped = *opts;
    capped.max_depth = ETF_DEC_MAX_DEPTH;
    opts = &capped;
  }
  const uint8_t *p = data;
  if (len < 1) return zr__err(err, ZR_ERR_TRUNCATED, 0, "ETF: empty input");
  if (p[0] != ETF_VERSION) return zr__err(err, ZR_ERR_VERSION, 0, "ETF: version byte is %u, not 131", p[0]);
  zr_doc *doc = zr__doc_new_limited(opts->alloc, opts->max_bytes);
  if (!doc) return zr__err_nomem(err);
  dec d = {
      .base = p, .p = p + 1, .end = p + len, .doc = doc, .o = opts, .flags = flags, .copy = opts->copy, .err = err};
  zr_value root = zr_null();
  zr_status st;
  if (len >= 2 && p[1] == ETF_COMPRESSED) {
    d.p++;
    st = decode_compressed(&d, &root);
  } else {
    st = dec_term(&d, &root);
  }
  if (st == ZR_OK && d.p != d.end)
    st = zr__err(err, ZR_ERR_MALFORMED, off_of(&d, d.p), "ETF: %zu bytes after the term", (size_t)(d.end - d.p));
  if (st == ZR_OK) st = zr_doc_set_root(doc, root);
  if (st != ZR_OK) {
    if (st == ZR_ERR_NOMEM && err && err->code != ZR_ERR_NOMEM) zr__err_nomem(err);
    zr_doc_free(doc);
    return st;
  }
  *out = doc;
  return ZR_OK;
}
