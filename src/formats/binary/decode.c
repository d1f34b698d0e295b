/* zerial binary format: decoder. One recursive descent over the input with a switch on the tag;
 * containers know their counts up front, so each list/map array is allocated once in the doc's
 * arena; strings, binaries and tensor data are views into the input unless opts->copy. Every read
 * is bounds-checked against the end of the input. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "formats/binary/binary_internal.h"
#include "zerial/codec.h"

/* Trees at least this large are allocated as one block, sized by a pre-scan of the input and
 * advised for transparent huge pages: first-touch page faults otherwise dominate big decodes. */
#define ZRB_BLOCK_MIN (UINT64_C(4) << 20)
#define ZRB_HUGE (UINT64_C(2) << 20)

typedef struct dec {
  const uint8_t *base, *end;
  zr_doc *doc;
  zr__arena *arena;
  uint8_t *blk, *blk_end; /* the pre-sized block, when used */
  uint64_t elems; /* values still allowed */
  uint32_t max_depth;
  int copy, utf8;
  zr_dup_policy dup;
  int version;    /* format version of the input (2 allows the compressed tags) */
  zr_error *err;
  zr_status st;
} dec;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static const uint8_t *
fail(dec *d, zr_status code, const uint8_t *at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  d->st = zr__errv(d->err, code, at ? (int64_t)(at - d->base) : -1, fmt, ap);
  va_end(ap);
  return NULL;
}

static const uint8_t *truncated(dec *d, const uint8_t *at, const char *what) {
  return fail(d, ZR_ERR_TRUNCATED, at, "input ends inside %s at byte %lld", what, (long long)(at - d->base));
}

static const uint8_t *bad_varint(dec *d, const uint8_t *at, int bad, const char *what) {
  if (!bad) return truncated(d, at, what);
  return fail(d, ZR_ERR_MALFORMED, at, "%s at byte %lld is not a valid LEB128 number", what, (long long)(at - d->base));
}

static void *alloc_fail(dec *d, size_t n, const uint8_t *at) {
  const zr__arena *a = d->arena;
  size_t chunk = a->next_size > n + 64 ? a->next_size : n + 64;
  if (a->limit && (a->total + chunk + 64 > a->limit || chunk > a->limit))
    fail(d, ZR_ERR_LIMIT, at, "decoding needs more than max_bytes (%llu) of memory", (unsigned long long)a->limit);
  else
    fail(d, ZR_ERR_NOMEM, at, "out of memory");
  return NULL;
}

ZR_INLINE void *dalloc(dec *d, size_t n, size_t align, const uint8_t *at) {
  if (d->blk) {
    uintptr_t q = ((uintptr_t)d->blk + (align - 1)) & ~(uintptr_t)(align - 1);
    if (ZR_LIKELY(q <= (uintptr_t)d->blk_end && n <= (uintptr_t)d->blk_end - q)) {
      d->blk = (uint8_t *)(q + n);
      return (void *)q;
    }
  }
  void *m = zr__arena_alloc(d->arena, n, align);
  if (ZR_UNLIKELY(!m)) return alloc_fail(d, n, at);
  return m;
}

/* UTF-8 check with an ASCII fast path for the short strings that dominate records */
ZR_INLINE int utf8_ok(const uint8_t *s, size_t n, size_t *bad) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    acc |= w;
  }
  for (; i < n; i++) acc |= s[i];
  if (ZR_LIKELY(!(acc & UINT64_C(0x8080808080808080)))) return 1;
  return zr__utf8_valid(s, n, bad);
}

/* bytes of a string/binary-like value: view or copy (NUL-terminated) */
static const uint8_t *take_bytes(dec *d, const uint8_t *p, uint64_t n, int text, const uint8_t **outp, const char *what) {
  if (ZR_UNLIKELY(n > (uint64_t)(d->end - p))) return truncated(d, p, what);
  if (text && d->utf8) {
    size_t bad = 0;
    if (ZR_UNLIKELY(!utf8_ok(p, (size_t)n, &bad)))
      return fail(d, ZR_ERR_UTF8, p + bad, "invalid UTF-8 in %s at byte %lld", what, (long long)(p + bad - d->base));
  }
  if (d->copy) {
    uint8_t *m = dalloc(d, (size_t)n + 1, 1, p);
    if (!m) return NULL;
    if (n) memcpy(m, p, (size_t)n);
    m[n] = 0;
    *outp = m;
  } else {
    *outp = p;
  }
  return p + n;
}

/* a NUL-terminated copy of a short text field (time zone, tensor descr) */
static const uint8_t *take_cstr(dec *d, const uint8_t *p, uint64_t n, const char **outp, const char *what) {
  if (ZR_UNLIKELY(n > (uint64_t)(d->end - p))) return truncated(d, p, what);
  if (n && memchr(p, 0, (size_t)n)) return fail(d, ZR_ERR_MALFORMED, p, "%s contains a NUL byte", what);
  if (d->utf8) {
    size_t bad = 0;
    if (!utf8_ok(p, (size_t)n, &bad))
      return fail(d, ZR_ERR_UTF8, p + bad, "invalid UTF-8 in %s at byte %lld", what, (long long)(p + bad - d->base));
  }
  char *m = dalloc(d, (size_t)n + 1, 1, p);
  if (!m) return NULL;
  if (n) memcpy(m, p, (size_t)n);
  m[n] = 0;
  *outp = m;
  return p + n;
}

static const uint8_t *read_pad(dec *d, const uint8_t *p, const char *what) {
  if (p >= d->end) return truncated(d, p, what);
  size_t pad = *p++;
  if (pad > (size_t)(d->end - p)) return truncated(d, p, what);
  for (size_t i = 0; i < pad; i++)
    if (p[i]) return fail(d, ZR_ERR_MALFORMED, p + i, "non-zero padding byte in %s", what);
  return p + pad;
}

/* ---- repeated map keys ---- */

static uint64_t mix(uint64_t h, uint64_t x) {
  h ^= x + UINT64_C(0x9E3779B97F4A7C15) + (h << 6) + (h >> 2);
  return h;
}

static uint64_t vhash(const zr_value *v) {
  uint64_t h = mix(0, v->kind);
  switch ((zr_kind)v->kind) {
    case ZR_KIND_BOOL: return mix(h, (uint64_t)v->u.b);
    case ZR_KIND_INT:
    case ZR_KIND_UINT: return mix(h, v->u.u);
    case ZR_KIND_FLOAT: return mix(mix(h, v->u.u), v->flags & ZR_VF_F32);
    case ZR_KIND_BIGINT:
    case ZR_KIND_STRING:
    case ZR_KIND_BINARY:
    case ZR_KIND_SYMBOL:
      return mix(mix(h, v->flags), zr_xxh3_64(v->u.bin, (size_t)v->n.len, 0));
    case ZR_KIND_EXT: return mix(mix(h, v->aux32), zr_xxh3_64(v->u.bin, (size_t)v->n.len, v->aux16));
    case ZR_KIND_TIMESTAMP: return mix(mix(h, (uint64_t)v->u.i), v->aux16);
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE:
      h = mix(h, v->n.len);
      for (uint64_t i = 0; i < v->n.len; i++) h = mix(h, vhash(&v->u.items[i]));
      return h;
    case ZR_KIND_MAP:
      h = mix(h, v->n.len);
      for (uint64_t i = 0; i < v->n.len; i++) h = mix(mix(h, vhash(&v->u.members[i].key)), vhash(&v->u.members[i].val));
      return h;
    case ZR_KIND_TENSOR: return mix(mix(h, (uint64_t)v->u.tensor->dtype), v->u.tensor->ndim);
    default: return h;
  }
}

static const uint8_t *dec_value(dec *d, const uint8_t *p, zr_value *out, uint32_t depth);

static const uint8_t *dec_map_dups(dec *d, const uint8_t *p, zr_member *m, uint64_t n, uint32_t depth, uint64_t *kept_out) {
  size_t cap = 0, *slots = NULL;
  const zr_allocator *a = &d->doc->alloc;
  if (n > 16) {
    cap = 32;
    while (cap < n * 2) cap *= 2;
    slots = zr__malloc(a, cap * sizeof *slots);
    if (!slots) return fail(d, ZR_ERR_NOMEM, p, "out of memory");
    memset(slots, 0xFF, cap * sizeof *slots);
  }
  uint64_t kept = 0;
  for (uint64_t i = 0; i < n && p; i++) {
    const uint8_t *kat = p;
    zr_value key;
    p = dec_value(d, p, &key, depth);
    if (!p) break;
    size_t found = SIZE_MAX, slot = 0;
    if (slots) {
      slot = (size_t)vhash(&key) & (cap - 1);
      while (slots[slot] != SIZE_MAX) {
        if (zr_value_equal(&m[slots[slot]].key, &key)) {
          found = slots[slot];
          break;
        }
        slot = (slot + 1) & (cap - 1);
      }
    } else {
      for (uint64_t j = 0; j < kept; j++)
        if (zr_value_equal(&m[j].key, &key)) {
          found = (size_t)j;
          break;
        }
    }
    if (found == SIZE_MAX) {
      m[kept].key = key;
      p = dec_value(d, p, &m[kept].val, depth);
      if (slots) slots[slot] = (size_t)kept;
      kept++;
    } else if (d->dup == ZR_DUP_ERROR) {
      p = fail(d, ZR_ERR_MALFORMED, kat, "repeated map key at byte %lld", (long long)(kat - d->base));
    } else if (d->dup == ZR_DUP_FIRST) {
      zr_value junk;
      p = dec_value(d, p, &junk, depth);
    } else {
      p = dec_value(d, p, &m[found].val, depth);
    }
  }
  if (slots) zr__free(a, slots);
  *kept_out = kept;
  return p;
}

/* ---- typed lists ---- */

static int typed_items(dec *d, const uint8_t *at, unsigned code, const uint8_t *p, uint64_t n, zr_value *out);

/* Check the header and block table of a block container of `clen` bytes at p against the `raw`
 * bytes it must hold, before anything is allocated for it: a few bytes cannot make the decoder
 * allocate what the container does not describe (what: for messages). */
static const uint8_t *check_container(dec *d, const uint8_t *p, uint64_t clen, uint64_t raw, const char *what) {
  if (clen > (uint64_t)(d->end - p)) return truncated(d, p, what);
  zr_blocks_info info;
  zr_error e;
  zr_status st = zr_codec_blocks_info(p, (size_t)clen, &info, &e);
  if (st != ZR_OK)
    return fail(d, st, p + (e.offset > 0 && (uint64_t)e.offset < clen ? e.offset : 0), "%s: %s", what, e.message);
  if (info.raw_len != raw || info.stored_len != clen)
    return fail(d, ZR_ERR_MALFORMED, p, "%s: the container holds %llu bytes in %llu, expected %llu in %llu", what,
                (unsigned long long)info.raw_len, (unsigned long long)info.stored_len, (unsigned long long)raw,
                (unsigned long long)clen);
  return p;
}

/* Decompress a block container already checked by check_container() into dst; error offsets are
 * made absolute. */
static const uint8_t *dec_container(dec *d, const uint8_t *p, uint64_t clen, uint64_t raw, void *dst, const char *what) {
  zr_error e;
  size_t got = 0;
  zr_status st = zr_codec_blocks_decompress(p, (size_t)clen, 1, NULL, dst, (size_t)raw, &got, &e);
  if (st != ZR_OK)
    return fail(d, st, p + (e.offset > 0 && (uint64_t)e.offset < clen ? e.offset : 0), "%s: %s", what, e.message);
  return p + clen;
}

/* DA: element code, count, container length, container of the raw elements. */
static const uint8_t *dec_ctyped(dec *d, const uint8_t *at, const uint8_t *p, zr_value *out) {
  if (p >= d->end) return truncated(d, p, "a compressed typed list");
  unsigned code = *p;
  size_t w = zrb_el_size(code);
  if (!w) return fail(d, ZR_ERR_MALFORMED, p, "unknown typed-list element code %u", code);
  uint64_t n, clen;
  int bad = 0;
  const uint8_t *q = zrb_get_varint(p + 1, d->end, &n, &bad);
  if (!q) return bad_varint(d, p + 1, bad, "a typed-list count");
  p = q;
  q = zrb_get_varint(p, d->end, &clen, &bad);
  if (!q) return bad_varint(d, p, bad, "a compressed length");
  if (n > d->elems) return fail(d, ZR_ERR_LIMIT, at, "more values than max_elements");
  if (n > (SIZE_MAX / 2) / sizeof(zr_value)) return fail(d, ZR_ERR_LIMIT, at, "typed list too large");
  if (!check_container(d, q, clen, n * w, "a compressed typed list")) return NULL;
  /* the items are allocated first (bounded by max_bytes), the raw elements are smaller */
  zr_value *items = n ? dalloc(d, (size_t)n * sizeof(zr_value), 8, at) : NULL;
  if (n && !items) return NULL;
  /* scratch for the raw elements through the caller's allocator (not charged: freed below) */
  uint8_t *raw = zr__malloc(d->arena->alloc, n ? (size_t)(n * w) : 1);
  if (!raw) return fail(d, ZR_ERR_NOMEM, at, "out of memory");
  const uint8_t *end = dec_container(d, q, clen, n * w, raw, "a compressed typed list");
  if (end) {
    d->elems -= n;
    typed_items(d, at, code, raw, n, items);
    out->kind = ZR_KIND_LIST;
    out->u.items = items;
    out->n.len = n;
    out->aux32 = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
  }
  zr__free(d->arena->alloc, raw);
  return end;
}

static const uint8_t *dec_typed(dec *d, const uint8_t *at, const uint8_t *p, zr_value *out) {
  if (p >= d->end) return truncated(d, p, "a typed list");
  unsigned code = *p;
  size_t w = zrb_el_size(code);
  if (!w) return fail(d, ZR_ERR_MALFORMED, p, "unknown typed-list element code %u", code);
  uint64_t n;
  int bad = 0;
  const uint8_t *q = zrb_get_varint(p + 1, d->end, &n, &bad);
  if (!q) return bad_varint(d, p + 1, bad, "a typed-list count");
  p = read_pad(d, q, "a typed list");
  if (!p) return NULL;
  if (n > (uint64_t)(d->end - p) / w) return truncated(d, p, "a typed list");
  if (n > d->elems) return fail(d, ZR_ERR_LIMIT, at, "more values than max_elements");
  d->elems -= n;
  zr_value *items = NULL;
  if (n) {
    items = dalloc(d, (size_t)n * sizeof(zr_value), 8, at);
    if (!items) return NULL;
  }
  typed_items(d, at, code, p, n, items);
  out->kind = ZR_KIND_LIST;
  out->u.items = items;
  out->n.len = n;
  out->aux32 = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
  return p + n * w;
}

/* n raw elements of `code` at p → values. */
static int typed_items(dec *d, const uint8_t *at, unsigned code, const uint8_t *p, uint64_t n, zr_value *items) {
  (void)d;
  (void)at;
  for (uint64_t i = 0; i < n; i++) {
    zr_value *v = &items[i];
    v->flags = 0;
    v->aux16 = 0;
    v->aux32 = 0;
    v->n.len = 0;
    switch (code) {
      case ZRB_EL_I8: v->kind = ZR_KIND_INT; v->u.i = (int8_t)p[i]; break;
      case ZRB_EL_I16: v->kind = ZR_KIND_INT; v->u.i = (int16_t)zr__ld16le(p + 2 * i); break;
      case ZRB_EL_I32: v->kind = ZR_KIND_INT; v->u.i = (int32_t)zr__ld32le(p + 4 * i); break;
      case ZRB_EL_I64: v->kind = ZR_KIND_INT; v->u.u = zr__ld64le(p + 8 * i); break;
      case ZRB_EL_U64: v->kind = ZR_KIND_UINT; v->u.u = zr__ld64le(p + 8 * i); break;
      case ZRB_EL_F64: v->kind = ZR_KIND_FLOAT; v->u.u = zr__ld64le(p + 8 * i); break;
      default: {
        float f;
        memcpy(&f, p + 4 * i, 4);
        v->kind = ZR_KIND_FLOAT;
        v->flags = ZR_VF_F32;
        v->u.f = (double)f;
        break;
      }
    }
  }
  return 1;
}

/* ---- tensors ---- */

static const uint8_t empty_anchor[64] __attribute__((aligned(64)));

static size_t natural_align(uint64_t itemsize) {
  size_t a = 1;
  while (a < 16 && itemsize % (a * 2) == 0 && itemsize) a *= 2;
  return a;
}

static const uint8_t *dec_tensor(dec *d, const uint8_t *at, const uint8_t *p, zr_value *out, int compressed) {
  if ((size_t)(d->end - p) < 4) return truncated(d, p, "a tensor header");
  unsigned dt = p[0], order = p[1], unit = p[2], ndim = p[3];
  if (dt < ZR_DT_BOOL || dt > ZR_DT_LONGDOUBLE) return fail(d, ZR_ERR_MALFORMED, p, "unknown tensor dtype %u", dt);
  if (order > ZR_ORDER_BIG) return fail(d, ZR_ERR_MALFORMED, p + 1, "unknown tensor byte order %u", order);
  if (unit > ZR_TU_GENERIC) return fail(d, ZR_ERR_MALFORMED, p + 2, "unknown tensor time unit %u", unit);
  if (ndim > ZR_TENSOR_MAX_DIMS) return fail(d, ZR_ERR_MALFORMED, p + 3, "tensor has %u dimensions (at most %d)", ndim, ZR_TENSOR_MAX_DIMS);
  p += 4;
  zr_tensor *t = dalloc(d, sizeof *t, 8, at);
  if (!t) return NULL;
  memset(t, 0, sizeof *t);
  t->dtype = (zr_dtype)dt;
  t->byte_order = (zr_byte_order)order;
  t->time_unit = (zr_time_unit)unit;
  t->ndim = ndim;
  int bad = 0;
  const uint8_t *q = zrb_get_varint(p, d->end, &t->itemsize, &bad);
  if (!q) return bad_varint(d, p, bad, "a tensor itemsize");
  size_t fixed = zr_dtype_size(t->dtype);
  if (fixed && t->itemsize != fixed) return fail(d, ZR_ERR_MALFORMED, p, "tensor itemsize %llu does not match %s", (unsigned long long)t->itemsize, zr_dtype_name(t->dtype));
  p = q;
  uint64_t count = 1;
  for (unsigned i = 0; i < ndim; i++) {
    uint64_t e;
    q = zrb_get_varint(p, d->end, &e, &bad);
    if (!q) return bad_varint(d, p, bad, "a tensor extent");
    if (e > (uint64_t)INT64_MAX || zr__mul_overflow(count, e, &count)) return fail(d, ZR_ERR_MALFORMED, p, "tensor extent too large");
    t->shape[i] = (int64_t)e;
    p = q;
  }
  uint64_t bytes;
  if (zr__mul_overflow(count, t->itemsize, &bytes) || bytes > (uint64_t)INT64_MAX) return fail(d, ZR_ERR_MALFORMED, p, "tensor size overflows");
  /* strides: with a zero extent the byte count is 0 while the other extents' product may still
   * overflow (fuzz: shape (0, 2^59, 632)); refuse what int64 strides cannot describe */
  uint64_t stride = t->itemsize;
  if (stride > (uint64_t)INT64_MAX) return fail(d, ZR_ERR_MALFORMED, p, "tensor itemsize too large");
  for (int i = (int)ndim - 1; i >= 0; i--) {
    t->strides[i] = (int64_t)stride;
    uint64_t ext = t->shape[i] ? (uint64_t)t->shape[i] : 1;
    if (i > 0 && (zr__mul_overflow(stride, ext, &stride) || stride > (uint64_t)INT64_MAX))
      return fail(d, ZR_ERR_MALFORMED, p, "tensor strides overflow");
  }
  uint64_t dl;
  q = zrb_get_varint(p, d->end, &dl, &bad);
  if (!q) return bad_varint(d, p, bad, "a tensor descr length");
  p = q;
  if (dl) {
    p = take_cstr(d, p, dl - 1, &t->descr, "a tensor descr");
    if (!p) return NULL;
  }
  uint64_t len;
  q = zrb_get_varint(p, d->end, &len, &bad);
  if (!q) return bad_varint(d, p, bad, "a tensor data length");
  if (len != bytes) return fail(d, ZR_ERR_MALFORMED, p, "tensor data length %llu, shape and itemsize give %llu", (unsigned long long)len, (unsigned long long)bytes);
  if (compressed) {
    /* DB: container length and a block container of the C-order data, decoded into the doc */
    uint64_t clen;
    p = q;
    q = zrb_get_varint(p, d->end, &clen, &bad);
    if (!q) return bad_varint(d, p, bad, "a compressed length");
    if (bytes > SIZE_MAX / 2) return fail(d, ZR_ERR_LIMIT, at, "tensor too large");
    if (!check_container(d, q, clen, bytes, "a compressed tensor")) return NULL;
    t->nbytes = bytes;
    t->data = (void *)(uintptr_t)empty_anchor;
    if (bytes) {
      void *m = dalloc(d, (size_t)bytes, 64, at);
      if (!m) return NULL;
      t->data = m;
    }
    p = dec_container(d, q, clen, bytes, t->data, "a compressed tensor");
    if (!p) return NULL;
    out->kind = ZR_KIND_TENSOR;
    out->u.tensor = t;
    return p;
  }
  p = read_pad(d, q, "a tensor");
  if (!p) return NULL;
  if (bytes > (uint64_t)(d->end - p)) return truncated(d, p, "tensor data");
  t->nbytes = bytes;
  t->data = (void *)(uintptr_t)empty_anchor; /* empty tensors point at static storage, never NULL */
  if (bytes) {
    size_t na = natural_align(t->itemsize);
    if (!d->copy && ((uintptr_t)p & (na - 1)) == 0) {
      t->data = (void *)(uintptr_t)p;
    } else {
      void *m = dalloc(d, (size_t)bytes, 64, p);
      if (!m) return NULL;
      memcpy(m, p, (size_t)bytes);
      t->data = m;
    }
  }
  out->kind = ZR_KIND_TENSOR;
  out->u.tensor = t;
  return p + bytes;
}

/* ---- the value switch ---- */

/* The common small values decoded inline (no call); 0 when dec_value() must handle it (including
 * every error, which dec_value() reports). */
_Static_assert(sizeof(zr_value) == 24 && offsetof(zr_value, n) == 8 && offsetof(zr_value, u) == 16,
               "dec_fast stores a zr_value as three 64-bit words");

ZR_INLINE int dec_fast(dec *d, const uint8_t **pp, zr_value *out) {
  /* The value is assembled in three 64-bit words and stored word by word: building a zr_value on
   * the stack with byte-sized stores and copying it as a whole made every value pay a
   * store-forwarding stall (most of the decode time of small records). */
  const uint8_t *p = *pp;
  if (ZR_UNLIKELY(p >= d->end || d->elems == 0)) return 0;
  uint8_t tag = *p;
  uint64_t kind, len = 0, val;
  if (tag < 0x80) {
    kind = ZR_KIND_INT;
    val = tag;
    p += 1;
  } else if (tag < 0xA0) {
    size_t n = tag & 0x1F;
    if (ZR_UNLIKELY(n > (size_t)(d->end - p - 1) || d->copy)) return 0;
    if (d->utf8) {
      uint64_t acc = 0;
      size_t i = 0;
      for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + 1 + i, 8);
        acc |= w;
      }
      for (; i < n; i++) acc |= p[1 + i];
      if (acc & UINT64_C(0x8080808080808080)) return 0;
    }
    kind = ZR_KIND_STRING;
    len = n;
    val = (uint64_t)(uintptr_t)(p + 1);
    p += 1 + n;
  } else if (tag >= 0xE0) {
    kind = ZR_KIND_INT;
    val = (uint64_t)(int64_t)(int8_t)tag;
    p += 1;
  } else if (tag == ZRB_F64) {
    if (ZR_UNLIKELY(d->end - p < 9)) return 0;
    kind = ZR_KIND_FLOAT;
    val = zr__ld64le(p + 1);
    p += 9;
  } else if (tag == ZRB_TRUE || tag == ZRB_FALSE || tag == ZRB_NULL) {
    kind = tag == ZRB_NULL ? ZR_KIND_NULL : ZR_KIND_BOOL;
    val = tag == ZRB_TRUE; /* u.b = 1 in the low bytes, the rest zero */
    p += 1;
  } else if (tag == ZRB_INT_U24 || tag == ZRB_INT_U32 || tag == ZRB_INT_U16) {
    size_t w = tag == ZRB_INT_U32 ? 4 : tag == ZRB_INT_U24 ? 3 : 2;
    if (ZR_UNLIKELY((size_t)(d->end - p) < w + 1)) return 0;
    kind = ZR_KIND_INT;
    val = w == 4 ? (uint64_t)zr__ld32le(p + 1) : w == 3 ? (uint64_t)(p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16) : (uint64_t)zr__ld16le(p + 1);
    p += 1 + w;
  } else {
    return 0;
  }
  d->elems--;
  /* kind in byte 0; flags, aux16, aux32 zero (little-endian host, checked in internal.h) */
  uint8_t *o = (uint8_t *)out;
  memcpy(o, &kind, 8);
  memcpy(o + offsetof(zr_value, n), &len, 8);
  memcpy(o + offsetof(zr_value, u), &val, 8);
  *pp = p;
  return 1;
}

static const uint8_t *dec_items(dec *d, const uint8_t *at, const uint8_t *p, zr_value *out, uint8_t kind, uint64_t n, uint32_t depth) {
  if (ZR_UNLIKELY(depth >= d->max_depth)) return fail(d, ZR_ERR_LIMIT, at, "nesting deeper than max_depth (%u)", d->max_depth);
  if (ZR_UNLIKELY(n > (uint64_t)(d->end - p))) return truncated(d, p, "a list");
  if (ZR_UNLIKELY(n > d->elems)) return fail(d, ZR_ERR_LIMIT, at, "more values than max_elements");
  zr_value *items = NULL;
  if (n) {
    items = dalloc(d, (size_t)n * sizeof(zr_value), 8, at);
    if (!items) return NULL;
    for (uint64_t i = 0; i < n; i++) {
      if (ZR_LIKELY(dec_fast(d, &p, &items[i]))) continue;
      p = dec_value(d, p, &items[i], depth + 1);
      if (ZR_UNLIKELY(!p)) return NULL;
    }
  }
  out->kind = kind;
  out->u.items = items;
  out->n.len = n;
  out->aux32 = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
  return p;
}

static const uint8_t *dec_map(dec *d, const uint8_t *at, const uint8_t *p, zr_value *out, uint64_t n, uint32_t depth) {
  if (ZR_UNLIKELY(depth >= d->max_depth)) return fail(d, ZR_ERR_LIMIT, at, "nesting deeper than max_depth (%u)", d->max_depth);
  if (ZR_UNLIKELY(n > (uint64_t)(d->end - p) / 2)) return truncated(d, p, "a map");
  if (ZR_UNLIKELY(n > d->elems)) return fail(d, ZR_ERR_LIMIT, at, "more values than max_elements");
  zr_member *m = NULL;
  if (n) {
    m = dalloc(d, (size_t)n * sizeof(zr_member), 8, at);
    if (!m) return NULL;
    if (ZR_LIKELY(d->dup == ZR_DUP_KEEP)) {
      for (uint64_t i = 0; i < n; i++) {
        if (ZR_UNLIKELY(!dec_fast(d, &p, &m[i].key))) {
          p = dec_value(d, p, &m[i].key, depth + 1);
          if (ZR_UNLIKELY(!p)) return NULL;
        }
        if (ZR_LIKELY(dec_fast(d, &p, &m[i].val))) continue;
        p = dec_value(d, p, &m[i].val, depth + 1);
        if (ZR_UNLIKELY(!p)) return NULL;
      }
    } else {
      p = dec_map_dups(d, p, m, n, depth + 1, &n);
      if (!p) return NULL;
    }
  }
  out->kind = ZR_KIND_MAP;
  out->u.members = m;
  out->n.len = n;
  out->aux32 = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
  return p;
}

static const uint8_t *dec_value(dec *d, const uint8_t *p, zr_value *out, uint32_t depth) {
  const uint8_t *at = p;
  if (ZR_UNLIKELY(p >= d->end)) return truncated(d, p, "a value");
  if (ZR_UNLIKELY(d->elems == 0)) return fail(d, ZR_ERR_LIMIT, p, "more values than max_elements");
  d->elems--;
  uint8_t tag = *p++;
  uint64_t n;
  int bad = 0;
  const uint8_t *q;
  out->flags = 0;
  out->aux16 = 0;
  out->aux32 = 0;
  out->n.len = 0;
  switch (tag) {
    case 0x00 ... 0x7F:
      out->kind = ZR_KIND_INT;
      out->u.i = tag;
      return p;
    case 0xE0 ... 0xFF:
      out->kind = ZR_KIND_INT;
      out->u.i = (int8_t)tag;
      return p;
    case 0x80 ... 0x9F:
      n = tag & 0x1F;
      out->kind = ZR_KIND_STRING;
      out->n.len = n;
      return take_bytes(d, p, n, 1, &out->u.bin, "a string");
    case 0xA0 ... 0xAF: return dec_items(d, at, p, out, ZR_KIND_LIST, tag & 0x0F, depth);
    case 0xB0 ... 0xBF: return dec_map(d, at, p, out, tag & 0x0F, depth);
    case ZRB_NULL: out->kind = ZR_KIND_NULL; out->u.u = 0; return p;
    case ZRB_FALSE:
    case ZRB_TRUE:
      out->kind = ZR_KIND_BOOL;
      out->u.u = 0;
      out->u.b = tag == ZRB_TRUE;
      return p;
    case ZRB_UINT:
      q = zrb_get_varint(p, d->end, &out->u.u, &bad);
      if (!q) return bad_varint(d, p, bad, "a uint");
      out->kind = ZR_KIND_UINT;
      return q;
    case ZRB_INT_U8:
      if (d->end - p < 1) return truncated(d, p, "an int");
      out->kind = ZR_KIND_INT;
      out->u.i = p[0];
      return p + 1;
    case ZRB_INT_U16:
      if (d->end - p < 2) return truncated(d, p, "an int");
      out->kind = ZR_KIND_INT;
      out->u.i = zr__ld16le(p);
      return p + 2;
    case ZRB_INT_U24:
      if (d->end - p < 3) return truncated(d, p, "an int");
      out->kind = ZR_KIND_INT;
      out->u.i = (int64_t)(p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16);
      return p + 3;
    case ZRB_INT_U32:
      if (d->end - p < 4) return truncated(d, p, "an int");
      out->kind = ZR_KIND_INT;
      out->u.i = zr__ld32le(p);
      return p + 4;
    case ZRB_INT_I8:
      if (d->end - p < 1) return truncated(d, p, "an int");
      out->kind = ZR_KIND_INT;
      out->u.i = (int8_t)p[0];
      return p + 1;
    case ZRB_INT_I16:
      if (d->end - p < 2) return truncated(d, p, "an int");
      out->kind = ZR_KIND_INT;
      out->u.i = (int16_t)zr__ld16le(p);
      return p + 2;
    case ZRB_INT_I32:
      if (d->end - p < 4) return truncated(d, p, "an int");
      out->kind = ZR_KIND_INT;
      out->u.i = (int32_t)zr__ld32le(p);
      return p + 4;
    case ZRB_INT_I64:
      if (d->end - p < 8) return truncated(d, p, "an int");
      out->kind = ZR_KIND_INT;
      out->u.u = zr__ld64le(p);
      return p + 8;
    case ZRB_F32: {
      if (d->end - p < 4) return truncated(d, p, "a float");
      float f;
      memcpy(&f, p, 4);
      out->kind = ZR_KIND_FLOAT;
      out->flags = ZR_VF_F32;
      out->u.f = (double)f;
      return p + 4;
    }
    case ZRB_F64:
    case ZRB_F64_F32HINT:
      if (d->end - p < 8) return truncated(d, p, "a float");
      out->kind = ZR_KIND_FLOAT;
      out->flags = tag == ZRB_F64_F32HINT ? ZR_VF_F32 : 0;
      out->u.u = zr__ld64le(p);
      return p + 8;
    case ZRB_BIGINT:
      if (p >= d->end) return truncated(d, p, "a bigint");
      if (*p > 1) return fail(d, ZR_ERR_MALFORMED, p, "bigint sign byte %u is not 0 or 1", *p);
      out->kind = ZR_KIND_BIGINT;
      out->flags = *p ? ZR_VF_NEGATIVE : 0;
      q = zrb_get_varint(p + 1, d->end, &n, &bad);
      if (!q) return bad_varint(d, p + 1, bad, "a bigint length");
      out->n.len = n;
      return take_bytes(d, q, n, 0, &out->u.bin, "a bigint");
    case ZRB_STR:
    case ZRB_SYM:
    case ZRB_BIN:
      q = zrb_get_varint(p, d->end, &n, &bad);
      if (!q) return bad_varint(d, p, bad, "a length");
      out->kind = tag == ZRB_STR ? ZR_KIND_STRING : tag == ZRB_SYM ? ZR_KIND_SYMBOL : ZR_KIND_BINARY;
      out->n.len = n;
      return take_bytes(d, q, n, tag != ZRB_BIN, &out->u.bin, tag == ZRB_STR ? "a string" : tag == ZRB_SYM ? "a symbol" : "a binary");
    case ZRB_LIST:
    case ZRB_TUPLE:
      q = zrb_get_varint(p, d->end, &n, &bad);
      if (!q) return bad_varint(d, p, bad, "a count");
      return dec_items(d, at, q, out, tag == ZRB_LIST ? ZR_KIND_LIST : ZR_KIND_TUPLE, n, depth);
    case ZRB_MAP:
      q = zrb_get_varint(p, d->end, &n, &bad);
      if (!q) return bad_varint(d, p, bad, "a count");
      return dec_map(d, at, q, out, n, depth);
    case ZRB_TYPED: return dec_typed(d, at, p, out);
    case ZRB_TIMESTAMP: {
      if (p >= d->end) return truncated(d, p, "a timestamp");
      if (*p > ZR_TU_GENERIC) return fail(d, ZR_ERR_MALFORMED, p, "unknown timestamp unit %u", *p);
      out->kind = ZR_KIND_TIMESTAMP;
      out->aux16 = *p;
      q = zrb_get_varint(p + 1, d->end, &n, &bad);
      if (!q) return bad_varint(d, p + 1, bad, "a time zone length");
      p = q;
      out->n.tz = NULL;
      if (n) {
        p = take_cstr(d, p, n - 1, &out->n.tz, "a time zone");
        if (!p) return NULL;
      }
      if (d->end - p < 8) return truncated(d, p, "a timestamp");
      out->u.u = zr__ld64le(p);
      return p + 8;
    }
    case ZRB_TENSOR: return dec_tensor(d, at, p, out, 0);
    case ZRB_CTYPED:
      if (d->version < 2) break;
      return dec_ctyped(d, at, p, out);
    case ZRB_CTENSOR:
      if (d->version < 2) break;
      return dec_tensor(d, at, p, out, 1);
    case ZRB_EXT: {
      uint64_t id, ver;
      q = zrb_get_varint(p, d->end, &id, &bad);
      if (!q) return bad_varint(d, p, bad, "an ext type id");
      if (id > UINT32_MAX) return fail(d, ZR_ERR_MALFORMED, p, "ext type id %llu exceeds 32 bits", (unsigned long long)id);
      p = q;
      q = zrb_get_varint(p, d->end, &ver, &bad);
      if (!q) return bad_varint(d, p, bad, "an ext version");
      if (ver > UINT16_MAX) return fail(d, ZR_ERR_MALFORMED, p, "ext version %llu exceeds 16 bits", (unsigned long long)ver);
      p = q;
      q = zrb_get_varint(p, d->end, &n, &bad);
      if (!q) return bad_varint(d, p, bad, "an ext length");
      out->kind = ZR_KIND_EXT;
      out->aux32 = (uint32_t)id;
      out->aux16 = (uint16_t)ver;
      out->n.len = n;
      return take_bytes(d, q, n, 0, &out->u.bin, "an ext");
    }
    default: break;
  }
  return fail(d, ZR_ERR_MALFORMED, at, "unknown tag 0x%02X at byte %lld", tag, (long long)(at - d->base));
}

zr_status zr__binary_check_header(const uint8_t *data, size_t len, zr_error *err) {
  if (len < ZR_BINARY_HEADER_SIZE) {
    if (len && memcmp(data, ZR_BINARY_MAGIC, len < 3 ? len : 3) != 0)
      return zr__err(err, ZR_ERR_FORMAT, 0, "not a zerial binary encoding (bad magic)");
    return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "input of %zu bytes is shorter than the 4-byte header", len);
  }
  if (memcmp(data, ZR_BINARY_MAGIC, 3) != 0) return zr__err(err, ZR_ERR_FORMAT, 0, "not a zerial binary encoding (bad magic)");
  if (data[3] == 0 || data[3] > ZR_BINARY_VERSION)
    return zr__err(err, ZR_ERR_VERSION, 3, "binary format version %u is not supported (this reader knows 1 … %d)", data[3], ZR_BINARY_VERSION);
  return ZR_OK;
}

/* One encoding at the start of [data, data + len) into @p doc (a new doc when NULL): @p used
 * non-NULL accepts trailing bytes and receives the size of the encoding. */
static zr_status decode_common(const void *data, size_t len, const zr_decode_opts *opts, zr_doc *into, zr_doc **out,
                               size_t *used, zr_error *err) {
  zr_decode_opts defaults;
  if (!opts) {
    zr_decode_opts_init(&defaults);
    opts = &defaults;
  }
  uint64_t max_bytes = opts->max_bytes ? opts->max_bytes : ZR_DEFAULT_MAX_BYTES;
  if (into) {
    zr_doc_reset(into); /* also when failing below: the doc is left empty */
    into->arena.limit = max_bytes;
    if (into->arena.total > max_bytes) zr__arena_reset(&into->arena, 0); /* kept memory counts again */
  }
  ZR_TRY(zr__binary_check_header(data, len, err));
  dec d;
  d.base = data;
  d.end = d.base + len;
  d.max_depth = opts->max_depth ? opts->max_depth : ZR_DEFAULT_MAX_DEPTH;
  if (d.max_depth > ZRB_DEC_MAX_DEPTH) d.max_depth = ZRB_DEC_MAX_DEPTH;
  d.elems = opts->max_elements ? opts->max_elements : ZR_DEFAULT_MAX_ELEMENTS;
  d.copy = opts->copy != 0;
  d.utf8 = opts->validate_utf8 != 0;
  d.dup = opts->dup_keys;
  d.version = ((const uint8_t *)data)[3];
  if ((unsigned)d.dup > ZR_DUP_LAST) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unknown dup_keys policy %d", (int)d.dup);
  d.err = err;
  d.st = ZR_OK;
  if (into) {
    d.doc = into;
  } else {
    d.doc = zr__doc_new_limited(opts->alloc, max_bytes);
    if (!d.doc) return zr__err_nomem(err);
  }
  d.arena = &d.doc->arena;
  d.blk = d.blk_end = NULL;
  /* The pre-sized block spares first-touch faults of fresh memory. A reused doc that kept memory
   * (any, when decoding a stream; a big tree's worth otherwise) has paid those already: it skips
   * the pre-scan, and its arena grows normally if the kept memory runs out. */
  int reuse = into && d.arena->total + d.arena->spare_bytes >= (used ? 1 : ZRB_BLOCK_MIN);
  if (len >= ZRB_BLOCK_MIN / 8 && !reuse) {
    uint64_t est = zr__binary_tree_bytes(d.base, len, d.copy);
    if (est >= ZRB_BLOCK_MIN && est < SIZE_MAX / 2) {
      /* from the arena (limits and allocator hooks apply); on failure the ordinary path runs */
      uint8_t *b = zr__arena_alloc(d.arena, (size_t)est, 64);
      if (b) {
        d.blk = b;
        d.blk_end = b + est;
#if defined(MADV_HUGEPAGE)
        uintptr_t lo = ((uintptr_t)b + ZRB_HUGE - 1) & ~(uintptr_t)(ZRB_HUGE - 1);
        uintptr_t hi = ((uintptr_t)b + (uintptr_t)est) & ~(uintptr_t)(ZRB_HUGE - 1);
        if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* advice only */
#endif
      }
    }
  }
  zr_value root;
  const uint8_t *p = dec_value(&d, d.base + ZR_BINARY_HEADER_SIZE, &root, 0);
  if (p && !used && p != d.end) p = fail(&d, ZR_ERR_MALFORMED, p, "%lld trailing bytes after the root value", (long long)(d.end - p));
  if (!p) {
    if (into) zr_doc_reset(into);
    else zr_doc_free(d.doc);
    return d.st != ZR_OK ? d.st : ZR_ERR_INTERNAL;
  }
  d.doc->root = root;
  if (used) *used = (size_t)(p - d.base);
  if (out) *out = d.doc;
  return ZR_OK;
}

zr_status zr_binary_decode(const void *data, size_t len, const zr_decode_opts *opts, zr_doc **out, zr_error *err) {
  if (out) *out = NULL;
  if (!out || (!data && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  return decode_common(data, len, opts, NULL, out, NULL, err);
}

zr_status zr_binary_decode_into(const void *data, size_t len, const zr_decode_opts *opts, zr_doc *doc, zr_error *err) {
  if (!doc || (!data && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  return decode_common(data, len, opts, doc, NULL, NULL, err);
}

zr_status zr_binary_decode_next(const void *data, size_t len, const zr_decode_opts *opts, zr_doc *doc, size_t *used,
                                zr_error *err) {
  if (used) *used = 0;
  if (!doc || !used || (!data && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  return decode_common(data, len, opts, doc, NULL, used, err);
}
