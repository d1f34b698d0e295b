/* zerial binary format: encoder.
 *
 * Sinks that own memory (memory, fixed): one pass. The value is validated and written in place
 * into a reservation of the sink that grows as the encoding does (nothing in the format needs a
 * length before its contents: containers carry counts, and alignment padding depends only on the
 * offset so far); the bytes are committed once, at the end, so nothing is committed on failure.
 * Other sinks (fd, file, callback) and compression: an exact size pass first (which validates,
 * so a bad value writes nothing), then the write pass through a staging buffer flushed in large
 * writes. */
#include <stddef.h>
#include <stdio.h>

#include "formats/binary/binary_internal.h"
#include "zerial/codec.h"

#define ZRB_STAGE_SIZE (64u * 1024u)
#define ZRB_SLACK 256u /* staging: bytes beyond the exact size, so need() always finds room after a flush */

/* ---------------------------------------------------------------------------------------------
 * Error paths: built while unwinding, so the happy path pays nothing. */
typedef struct enc_path {
  struct {
    const zr_value *key;
    uint64_t index;
  } seg[64];
  unsigned n; /* segments recorded, deepest first (a ring: only the 64 outermost are kept) */
} enc_path;

static void path_add(enc_path *p, const zr_value *key, uint64_t index) {
  /* a ring keeping the 64 outermost segments seen so far (they arrive deepest first) */
  p->seg[p->n % 64].key = key;
  p->seg[p->n % 64].index = index;
  p->n++;
}

static void path_emit(const enc_path *p, zr_error *err) {
  if (!err) return;
  zr__path zp;
  memset(&zp, 0, sizeof zp);
  unsigned n = p->n < 64 ? p->n : 64;
  /* root first: the last segment recorded is the outermost; deeper ones beyond 64 are elided */
  for (unsigned i = 0; i < n; i++) {
    unsigned k = (p->n - 1 - i) % 64;
    zp.seg[i].key = p->seg[k].key;
    zp.seg[i].index = p->seg[k].index;
  }
  zp.depth = p->n;
  char buf[ZR_ERROR_PATH_MAX];
  zr__path_render(&zp, buf, sizeof buf);
  zr_error_set_path(err, buf);
}

/* ---------------------------------------------------------------------------------------------
 * Typed lists */
unsigned zr__binary_typed_code(const zr_value *v) {
  uint64_t n = v->n.len;
  if (v->kind != ZR_KIND_LIST || n < ZRB_TYPED_MIN) return 0;
  const zr_value *it = v->u.items;
  switch (it[0].kind) {
    case ZR_KIND_INT: {
      int64_t lo = it[0].u.i, hi = lo;
      for (uint64_t i = 1; i < n; i++) {
        if (it[i].kind != ZR_KIND_INT) return 0;
        int64_t x = it[i].u.i;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
      }
      if (lo >= INT8_MIN && hi <= INT8_MAX) return ZRB_EL_I8;
      if (lo >= INT16_MIN && hi <= INT16_MAX) return ZRB_EL_I16;
      if (lo >= INT32_MIN && hi <= INT32_MAX) return ZRB_EL_I32;
      return ZRB_EL_I64;
    }
    case ZR_KIND_UINT:
      for (uint64_t i = 1; i < n; i++)
        if (it[i].kind != ZR_KIND_UINT) return 0;
      return ZRB_EL_U64;
    case ZR_KIND_FLOAT:
      if (it[0].flags & ZR_VF_F32) {
        for (uint64_t i = 0; i < n; i++)
          if (it[i].kind != ZR_KIND_FLOAT || !(it[i].flags & ZR_VF_F32) || !zrb_f32_exact(it[i].u.f)) return 0;
        return ZRB_EL_F32;
      }
      for (uint64_t i = 1; i < n; i++)
        if (it[i].kind != ZR_KIND_FLOAT || (it[i].flags & ZR_VF_F32)) return 0;
      return ZRB_EL_F64;
    default:
      return 0;
  }
}

/* ---------------------------------------------------------------------------------------------
 * Size pass */
typedef struct sizer {
  uint64_t pos;   /* bytes so far = offset of the next byte */
  uint32_t align; /* tensor alignment */
  enc_path path;
  zr_error *err;
} sizer;

ZR_INLINE unsigned int_size(int64_t i) {
  if (i >= -32 && i <= 127) return 1;
  if (i >= 0) return i <= 0xFF ? 2 : i <= 0xFFFF ? 3 : i <= 0xFFFFFF ? 4 : i <= (int64_t)UINT32_MAX ? 5 : 9;
  return i >= INT8_MIN ? 2 : i >= INT16_MIN ? 3 : i >= INT32_MIN ? 5 : 9;
}

static zr_status tensor_check(const zr_tensor *t, zr_error *err, uint64_t *count_out, uint64_t *bytes_out) {
  if (!t) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor value without a tensor");
  if (t->dtype < ZR_DT_BOOL || t->dtype > ZR_DT_LONGDOUBLE)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor has an unknown dtype %d", (int)t->dtype);
  if ((unsigned)t->byte_order > ZR_ORDER_BIG)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor has an unknown byte order %d", (int)t->byte_order);
  if ((unsigned)t->time_unit > ZR_TU_GENERIC)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor has an unknown time unit %d", (int)t->time_unit);
  if (t->ndim > ZR_TENSOR_MAX_DIMS)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor has %u dimensions (at most %d)", t->ndim, ZR_TENSOR_MAX_DIMS);
  size_t fixed = zr_dtype_size(t->dtype);
  if (fixed && t->itemsize != fixed)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor itemsize %llu does not match %s",
                   (unsigned long long)t->itemsize, zr_dtype_name(t->dtype));
  uint64_t n = 1;
  for (uint32_t i = 0; i < t->ndim; i++) {
    if (t->shape[i] < 0) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor has a negative extent");
    if (zr__mul_overflow(n, (uint64_t)t->shape[i], &n)) return zr__err(err, ZR_ERR_OVERFLOW, -1, "tensor size overflows");
  }
  uint64_t bytes;
  if (zr__mul_overflow(n, t->itemsize, &bytes) || bytes > (uint64_t)INT64_MAX)
    return zr__err(err, ZR_ERR_OVERFLOW, -1, "tensor size overflows");
  if (bytes && !t->data) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor of %llu bytes has no data", (unsigned long long)bytes);
  *count_out = n;
  *bytes_out = bytes;
  return ZR_OK;
}

static size_t descr_len(const zr_tensor *t) { return t->descr ? strlen(t->descr) : 0; }

static zr_status sz_value(sizer *s, const zr_value *v, unsigned depth);

/* Size of the common scalars without a call; 0 when the value needs sz_value(). */
ZR_INLINE uint64_t sz_fast(const zr_value *v) {
  switch (v->kind) {
    case ZR_KIND_NULL:
    case ZR_KIND_BOOL: return 1;
    case ZR_KIND_INT: return int_size(v->u.i);
    case ZR_KIND_FLOAT: return (v->flags & ZR_VF_F32) ? 0 : 9;
    case ZR_KIND_STRING: return v->n.len < 32 && v->u.str ? 1 + v->n.len : 0;
    default: return 0;
  }
}

static zr_status sz_items(sizer *s, const zr_value *items, uint64_t n, unsigned depth) {
  for (uint64_t i = 0; i < n; i++) {
    uint64_t k = sz_fast(&items[i]);
    if (ZR_LIKELY(k)) {
      s->pos += k;
      continue;
    }
    zr_status st = sz_value(s, &items[i], depth);
    if (ZR_UNLIKELY(st != ZR_OK)) {
      path_add(&s->path, NULL, i);
      return st;
    }
  }
  return ZR_OK;
}

static zr_status sz_value(sizer *s, const zr_value *v, unsigned depth) {
  uint64_t n = v->n.len;
  switch ((zr_kind)v->kind) {
    case ZR_KIND_NULL:
    case ZR_KIND_BOOL: s->pos += 1; return ZR_OK;
    case ZR_KIND_INT: s->pos += int_size(v->u.i); return ZR_OK;
    case ZR_KIND_UINT: s->pos += 1 + zrb_varint_len(v->u.u); return ZR_OK;
    case ZR_KIND_FLOAT:
      s->pos += (v->flags & ZR_VF_F32) && zrb_f32_exact(v->u.f) ? 5 : 9;
      return ZR_OK;
    case ZR_KIND_STRING:
      if (n && !v->u.str) return zr__err(s->err, ZR_ERR_INVALID_ARG, -1, "string without bytes");
      s->pos += (n < 32 ? 1 : 1 + zrb_varint_len(n)) + n;
      return ZR_OK;
    case ZR_KIND_BIGINT:
      if (n && !v->u.bin) return zr__err(s->err, ZR_ERR_INVALID_ARG, -1, "bigint without bytes");
      s->pos += 2 + zrb_varint_len(n) + n;
      return ZR_OK;
    case ZR_KIND_BINARY:
    case ZR_KIND_SYMBOL:
      if (n && !v->u.bin) return zr__err(s->err, ZR_ERR_INVALID_ARG, -1, "%s without bytes", zr_kind_name((zr_kind)v->kind));
      s->pos += 1 + zrb_varint_len(n) + n;
      return ZR_OK;
    case ZR_KIND_EXT:
      if (n && !v->u.bin) return zr__err(s->err, ZR_ERR_INVALID_ARG, -1, "ext without bytes");
      s->pos += 1 + zrb_varint_len(v->aux32) + zrb_varint_len(v->aux16) + zrb_varint_len(n) + n;
      return ZR_OK;
    case ZR_KIND_TIMESTAMP: {
      if (v->aux16 > ZR_TU_GENERIC) return zr__err(s->err, ZR_ERR_INVALID_ARG, -1, "timestamp has an unknown unit %u", v->aux16);
      uint64_t tz = v->n.tz ? strlen(v->n.tz) + 1 : 0;
      s->pos += 2 + zrb_varint_len(tz) + (tz ? tz - 1 : 0) + 8;
      return ZR_OK;
    }
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE: {
      if (n && !v->u.items) return zr__err(s->err, ZR_ERR_INVALID_ARG, -1, "container without items");
      if (depth >= ZRB_ENC_MAX_DEPTH)
        return zr__err(s->err, ZR_ERR_LIMIT, -1, "nesting deeper than %u (or a cycle)", ZRB_ENC_MAX_DEPTH);
      unsigned code = zr__binary_typed_code(v);
      if (code) {
        size_t w = zrb_el_size(code);
        s->pos += 2 + zrb_varint_len(n) + 1; /* tag, code, count, pad byte */
        s->pos += (w - (s->pos & (w - 1))) & (w - 1);
        s->pos += n * w;
        return ZR_OK;
      }
      s->pos += (v->kind == ZR_KIND_LIST && n < 16) ? 1 : 1 + zrb_varint_len(n);
      return sz_items(s, v->u.items, n, depth + 1);
    }
    case ZR_KIND_MAP: {
      if (n && !v->u.members) return zr__err(s->err, ZR_ERR_INVALID_ARG, -1, "map without members");
      if (depth >= ZRB_ENC_MAX_DEPTH)
        return zr__err(s->err, ZR_ERR_LIMIT, -1, "nesting deeper than %u (or a cycle)", ZRB_ENC_MAX_DEPTH);
      s->pos += n < 16 ? 1 : 1 + zrb_varint_len(n);
      const zr_member *m = v->u.members;
      for (uint64_t i = 0; i < n; i++) {
        uint64_t k = sz_fast(&m[i].key);
        zr_status st = ZR_OK;
        if (ZR_LIKELY(k)) s->pos += k;
        else st = sz_value(s, &m[i].key, depth + 1);
        if (ZR_UNLIKELY(st != ZR_OK)) {
          path_add(&s->path, NULL, i); /* a key failed: index the entry */
          return st;
        }
        k = sz_fast(&m[i].val);
        if (ZR_LIKELY(k)) {
          s->pos += k;
          continue;
        }
        st = sz_value(s, &m[i].val, depth + 1);
        if (ZR_UNLIKELY(st != ZR_OK)) {
          path_add(&s->path, &m[i].key, i);
          return st;
        }
      }
      return ZR_OK;
    }
    case ZR_KIND_TENSOR: {
      const zr_tensor *t = v->u.tensor;
      uint64_t count, bytes;
      ZR_TRY(tensor_check(t, s->err, &count, &bytes));
      size_t dl = descr_len(t);
      s->pos += 5 + zrb_varint_len(t->itemsize);
      for (uint32_t i = 0; i < t->ndim; i++) s->pos += zrb_varint_len((uint64_t)t->shape[i]);
      s->pos += zrb_varint_len(t->descr ? dl + 1 : 0) + dl;
      s->pos += zrb_varint_len(bytes) + 1; /* length, pad byte */
      s->pos += (s->align - (s->pos & (s->align - 1))) & (s->align - 1);
      s->pos += bytes;
      return ZR_OK;
    }
    case ZR_KIND_TABLE:
      return zr__err(s->err, ZR_ERR_TYPE, -1, "tables cannot be written in the binary format (tables travel as Arrow)");
  }
  return zr__err(s->err, ZR_ERR_INVALID_ARG, -1, "unknown value kind %u", v->kind);
}

static zr_status opts_align(const zr_encode_opts *opts, uint32_t *align, zr_error *err) {
  uint32_t a = opts && opts->alignment ? opts->alignment : ZR_BINARY_TENSOR_ALIGN;
  if (a > 128 || (a & (a - 1))) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "alignment %u is not a power of two ≤ 128", a);
  *align = a;
  return ZR_OK;
}

static zr_status size_pass(const zr_value *v, uint32_t align, uint64_t *size, zr_error *err) {
  sizer s;
  s.pos = ZR_BINARY_HEADER_SIZE;
  s.align = align;
  s.path.n = 0;
  s.err = err;
  zr_status st = sz_value(&s, v, 0);
  if (st != ZR_OK) {
    path_emit(&s.path, err);
    return st;
  }
  *size = s.pos;
  return ZR_OK;
}

zr_status zr_binary_encoded_size(const zr_value *v, const zr_encode_opts *opts, uint64_t *size, zr_error *err) {
  if (!v || !size) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  uint32_t align;
  ZR_TRY(opts_align(opts, &align, err));
  return size_pass(v, align, size, err);
}

/* ---------------------------------------------------------------------------------------------
 * Write pass */
/* How the write window is backed. */
enum {
  ENC_WINDOW,  /* caller memory of the exact size: running out is an internal error */
  ENC_STAGE,   /* staging buffer flushed to a sink without reserve/commit */
  ENC_RESERVE, /* a reservation of the sink, grown as needed, committed at the end */
  ENC_TAIL     /* the sink's memory ran out of room for a need(): the last bytes go to e->tail */
};

/* The most any need() asks for at once; a reservation at its limit with less room than that
 * continues in e->tail, which therefore holds twice as much. */
#define ZRB_NEED_MAX 96u
/* First reservation of a one-pass encoding (it doubles from there). */
#define ZRB_RESERVE_FIRST 4096u

typedef struct enc {
  uint8_t *p, *end; /* write window: p .. end */
  uint8_t *start;   /* window start */
  uint64_t base;    /* encoding offset of start */
  int mode;         /* ENC_* */
  int bad;          /* a value error (not a sink error): the path is reported */
  zr_sink *sink;    /* staging: flushed to it; reserve: reserved from it */
  uint8_t *win;     /* reserve/tail: the reservation (encoding offset 0) */
  size_t resv;      /* reserve/tail: its size */
  int maxed;        /* reserve: the sink granted all it has (a fixed sink) */
  uint32_t align;
  zr_error *err;
  /* compression of typed lists and tensors (version 2), when opts->codec asks for it */
  int cz;                  /* on */
  zr_codec_opts czo;       /* codec (or ZR_CODEC_AUTO), level, filter (-1: auto) */
  const zr_allocator *alloc;
  const uint8_t *czhdr;    /* tag and header fields written before a compressed payload */
  size_t czhdr_len;
  enc_path path;           /* filled while unwinding from a value error */
  uint8_t tail[2 * ZRB_NEED_MAX];
} enc;

/* A value error: recorded so that the path is reported with it. */
#define ENC_BAD(e, ...) ((e)->bad = 1, zr__err((e)->err, __VA_ARGS__))

/* Payloads below this size are never compressed (too little to gain). */
#define ZRB_CZ_MIN 4096u

ZR_INLINE uint64_t enc_pos(const enc *e) { return e->base + (uint64_t)(e->p - e->start); }

static zr_status enc_flush(enc *e) {
  size_t n = (size_t)(e->p - e->start);
  if (e->mode != ENC_STAGE) return zr__err(e->err, ZR_ERR_INTERNAL, -1, "binary encoder overran its reservation");
  if (n) {
    zr_status st = zr_sink_write(e->sink, e->start, n, e->err);
    if (st != ZR_OK && st != ZR_WOULD_BLOCK) return st;
  }
  e->base += n;
  e->p = e->start;
  return ZR_OK;
}

static zr_status enc_full(enc *e) {
  return zr__err(e->err, ZR_ERR_NOSPACE, -1, "sink full: the encoding needs more than the %zu bytes it has room for", e->resv);
}

/* Reserve mode: make room for n more bytes after e->p by asking the sink for a reservation twice
 * as large. The bytes written so far stay: a fixed sink's reservation starts where it did, and a
 * memory sink's grows by realloc, which keeps its whole capacity (uncommitted bytes included;
 * tests/binary covers encodings of many reservations). A sink that refuses (ZR_ERR_NOSPACE: fixed
 * memory) is asked for the largest reservation it grants; once at that limit, a need() without
 * room continues in e->tail, copied into place at the end when it fits. */
static zr_status enc_grow(enc *e, size_t n) {
  if (e->mode == ENC_TAIL) return enc_full(e);
  size_t used = (size_t)(e->p - e->start);
  if (!e->maxed) {
    size_t want = e->resv <= SIZE_MAX / 2 ? e->resv * 2 : SIZE_MAX;
    if (n > SIZE_MAX - used - ZRB_NEED_MAX) return zr__err_nomem(e->err);
    if (want < used + n + ZRB_NEED_MAX) want = used + n + ZRB_NEED_MAX;
    if (want < ZRB_RESERVE_FIRST) want = ZRB_RESERVE_FIRST;
    void *mem = NULL;
    zr_error tmp;
    zr_status st = zr_sink_reserve(e->sink, want, &mem, &tmp);
    if (st == ZR_ERR_NOSPACE) {
      size_t lo = e->resv, hi = want; /* lo is granted (it was before), hi is not */
      while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (zr_sink_reserve(e->sink, mid, &mem, NULL) == ZR_OK) lo = mid;
        else hi = mid;
      }
      st = zr_sink_reserve(e->sink, lo, &mem, &tmp);
      want = lo;
      e->maxed = 1;
    }
    if (st != ZR_OK) {
      if (e->err) *e->err = tmp;
      return st;
    }
    e->win = e->start = mem;
    e->p = e->start + used;
    e->end = e->start + want;
    e->resv = want;
    if ((size_t)(e->end - e->p) >= n) return ZR_OK;
  }
  /* at the sink's limit: what is left is less than n, so a write of n bytes does not fit; a
   * need() of up to ZRB_NEED_MAX may still be satisfied by fewer bytes than it asks room for */
  if (n > ZRB_NEED_MAX) return enc_full(e);
  e->mode = ENC_TAIL;
  e->base = used;
  e->start = e->p = e->tail;
  e->end = e->tail + sizeof e->tail;
  return ZR_OK;
}

/* Reserve mode: commit the encoding (tail bytes copied into place first). */
static zr_status enc_commit(enc *e) {
  size_t total = (size_t)enc_pos(e);
  if (total > e->resv) return enc_full(e);
  if (e->mode == ENC_TAIL) memcpy(e->win + e->base, e->tail, (size_t)(e->p - e->start));
  return zr_sink_commit(e->sink, total, e->err);
}

/* make room for n bytes (slow path of need() and put_bytes()) */
static zr_status enc_room(enc *e, size_t n) {
  if (e->mode == ENC_RESERVE || e->mode == ENC_TAIL) return enc_grow(e, n);
  return enc_flush(e);
}

/* make room for n ≤ ZRB_NEED_MAX bytes */
ZR_INLINE zr_status need(enc *e, size_t n) {
  if (ZR_LIKELY((size_t)(e->end - e->p) >= n)) return ZR_OK;
  return enc_room(e, n);
}

static zr_status put_bytes_slow(enc *e, const void *src, size_t n) {
  if (e->mode != ENC_STAGE) {
    ZR_TRY(enc_room(e, n));
    memcpy(e->p, src, n);
    e->p += n;
    return ZR_OK;
  }
  ZR_TRY(enc_flush(e));
  if (n >= (size_t)(e->end - e->start) / 2) {
    zr_status st = zr_sink_write(e->sink, src, n, e->err);
    if (st != ZR_OK && st != ZR_WOULD_BLOCK) return st;
    e->base += n;
    return ZR_OK;
  }
  memcpy(e->p, src, n);
  e->p += n;
  return ZR_OK;
}

ZR_INLINE zr_status put_bytes(enc *e, const void *src, size_t n) {
  if (ZR_LIKELY((size_t)(e->end - e->p) >= n)) {
    if (n) memcpy(e->p, src, n);
    e->p += n;
    return ZR_OK;
  }
  return put_bytes_slow(e, src, n);
}

static zr_status put_zeros(enc *e, size_t n) {
  while (n) {
    ZR_TRY(need(e, 1));
    size_t k = (size_t)(e->end - e->p);
    if (k > n) k = n;
    memset(e->p, 0, k);
    e->p += k;
    n -= k;
  }
  return ZR_OK;
}

ZR_INLINE uint8_t *put_int(uint8_t *p, int64_t i) {
  if (i >= -32 && i <= 127) {
    *p++ = (uint8_t)i;
    return p;
  }
  if (i >= 0) {
    if (i <= 0xFF) {
      p[0] = ZRB_INT_U8;
      p[1] = (uint8_t)i;
      return p + 2;
    }
    if (i <= 0xFFFF) {
      *p = ZRB_INT_U16;
      zr__st16le(p + 1, (uint16_t)i);
      return p + 3;
    }
    if (i <= 0xFFFFFF) {
      *p = ZRB_INT_U24;
      zr__st32le(p + 1, (uint32_t)i); /* the 4th byte is overwritten by the next value (or is slack) */
      return p + 4;
    }
    if (i <= (int64_t)UINT32_MAX) {
      *p = ZRB_INT_U32;
      zr__st32le(p + 1, (uint32_t)i);
      return p + 5;
    }
  } else {
    if (i >= INT8_MIN) {
      p[0] = ZRB_INT_I8;
      p[1] = (uint8_t)(int8_t)i;
      return p + 2;
    }
    if (i >= INT16_MIN) {
      *p = ZRB_INT_I16;
      zr__st16le(p + 1, (uint16_t)(int16_t)i);
      return p + 3;
    }
    if (i >= INT32_MIN) {
      *p = ZRB_INT_I32;
      zr__st32le(p + 1, (uint32_t)(int32_t)i);
      return p + 5;
    }
  }
  *p = ZRB_INT_I64;
  zr__st64le(p + 1, (uint64_t)i);
  return p + 9;
}

static zr_status wr_pad(enc *e, uint64_t after_padbyte_align) {
  size_t a = (size_t)after_padbyte_align;
  ZR_TRY(need(e, 1));
  uint64_t pos = enc_pos(e) + 1;
  size_t pad = (size_t)((a - (pos & (a - 1))) & (a - 1));
  *e->p++ = (uint8_t)pad;
  return put_zeros(e, pad);
}

static void typed_elems(unsigned code, const zr_value *it, uint64_t i, uint64_t stop, uint8_t *p);
static zr_status wr_compressed(enc *e, const void *raw, size_t n, unsigned typesize, int *done);

static zr_status wr_typed(enc *e, const zr_value *v, unsigned code) {
  uint64_t n = v->n.len;
  size_t w = zrb_el_size(code);
  if (e->cz && n * w >= ZRB_CZ_MIN && n <= SIZE_MAX / w) {
    /* the raw elements, then a block container when the choice says it pays */
    uint8_t *raw = zr__malloc(e->alloc, (size_t)(n * w));
    if (!raw) return zr__err_nomem(e->err);
    typed_elems(code, v->u.items, 0, n, raw);
    int done = 0;
    uint8_t hdr[12];
    hdr[0] = ZRB_CTYPED;
    hdr[1] = (uint8_t)code;
    size_t hn = (size_t)(zrb_put_varint(hdr + 2, n) - hdr);
    e->czhdr = hdr;
    e->czhdr_len = hn;
    zr_status st = wr_compressed(e, raw, (size_t)(n * w), (unsigned)w, &done);
    zr__free(e->alloc, raw);
    if (st != ZR_OK || done) return st;
  }
  ZR_TRY(need(e, 12));
  e->p[0] = ZRB_TYPED;
  e->p[1] = (uint8_t)code;
  e->p = zrb_put_varint(e->p + 2, n);
  ZR_TRY(wr_pad(e, w));
  const zr_value *it = v->u.items;
  uint64_t i = 0;
  while (i < n) {
    ZR_TRY(need(e, 8));
    /* as many elements as fit in the window */
    uint64_t room = (uint64_t)(e->end - e->p) / w;
    uint64_t stop = i + room < n ? i + room : n;
    typed_elems(code, it, i, stop, e->p);
    e->p += (stop - i) * w;
    i = stop;
  }
  return ZR_OK;
}

/* Elements [i, stop) of a typed list as raw little-endian bytes at p. */
static void typed_elems(unsigned code, const zr_value *it, uint64_t i, uint64_t stop, uint8_t *p) {
  {
    switch (code) {
      case ZRB_EL_I8: for (; i < stop; i++) *p++ = (uint8_t)(int8_t)it[i].u.i; break;
      case ZRB_EL_I16: for (; i < stop; i++, p += 2) zr__st16le(p, (uint16_t)(int16_t)it[i].u.i); break;
      case ZRB_EL_I32: for (; i < stop; i++, p += 4) zr__st32le(p, (uint32_t)(int32_t)it[i].u.i); break;
      case ZRB_EL_I64:
      case ZRB_EL_U64:
      case ZRB_EL_F64: for (; i < stop; i++, p += 8) zr__st64le(p, it[i].u.u); break;
      case ZRB_EL_F32:
        for (; i < stop; i++, p += 4) {
          float f = (float)it[i].u.f;
          memcpy(p, &f, 4);
        }
        break;
      default: break; /* codes come from zr__binary_typed_code() */
    }
  }
}

/* Write e->czhdr, the container's length and a block container of raw (n bytes of elements of
 * typesize bytes) when compression pays; *done = 0 (nothing written) otherwise. */
static zr_status wr_compressed(enc *e, const void *raw, size_t n, unsigned typesize, int *done) {
  *done = 0;
  zr_codec_opts o = e->czo;
  o.typesize = typesize;
  if (o.codec == ZR_CODEC_AUTO) {
    zr_codec_decision d;
    ZR_TRY(zr_codec_choose(raw, n, &o, &d, e->err));
    if (d.codec == ZR_CODEC_NONE) return ZR_OK; /* raw: stays zero-copy for tensors */
    o.codec = d.codec;
    o.level = d.level;
    o.filter = d.filter;
  } else if (o.filter < 0) {
    o.filter = typesize > 1 ? ZR_FILTER_SHUFFLE : ZR_FILTER_NONE;
  }
  zr_sink *ms = NULL;
  ZR_TRY(zr_sink_memory_new(e->alloc, &ms, e->err));
  size_t cn = 0;
  zr_status st = zr_codec_blocks_compress(raw, n, &o, NULL, ms, &cn, NULL, e->err);
  if (st == ZR_OK && cn + 16 < n) { /* pays: smaller by more than the header it costs */
    const uint8_t *c = NULL;
    size_t clen = 0;
    zr_sink_memory_data(ms, &c, &clen);
    st = put_bytes(e, e->czhdr, e->czhdr_len);
    if (st == ZR_OK) st = need(e, 10);
    if (st == ZR_OK) {
      e->p = zrb_put_varint(e->p, clen);
      st = put_bytes(e, c, clen);
    }
    if (st == ZR_OK) *done = 1;
  }
  zr_sink_free(ms);
  return st;
}

static zr_status gather_tensor(enc *e, const zr_tensor *t, uint64_t count);

/* A tensor compressed (version 2) when it is large enough and the choice says it pays; *done = 0
 * when nothing was written. */
static zr_status wr_tensor_cz(enc *e, const zr_tensor *t, uint64_t count, uint64_t bytes, int *done) {
  *done = 0;
  uint8_t hdr[16 + 10 * ZR_TENSOR_MAX_DIMS + 20];
  size_t dl = descr_len(t);
  uint8_t *p = hdr;
  p[0] = ZRB_CTENSOR;
  p[1] = (uint8_t)t->dtype;
  p[2] = (uint8_t)t->byte_order;
  p[3] = (uint8_t)t->time_unit;
  p[4] = (uint8_t)t->ndim;
  p = zrb_put_varint(p + 5, t->itemsize);
  for (uint32_t i = 0; i < t->ndim; i++) p = zrb_put_varint(p, (uint64_t)t->shape[i]);
  p = zrb_put_varint(p, t->descr ? dl + 1 : 0);
  size_t head = (size_t)(p - hdr);
  /* header, descr, nbytes: assembled in one buffer */
  uint8_t *full = zr__malloc(e->alloc, head + dl + 10);
  if (!full) return zr__err_nomem(e->err);
  memcpy(full, hdr, head);
  if (dl) memcpy(full + head, t->descr, dl);
  size_t hn = (size_t)(zrb_put_varint(full + head + dl, bytes) - full);
  const uint8_t *raw = t->data;
  uint8_t *tmp = NULL;
  zr_status st = ZR_OK;
  if (!zr_tensor_is_c_contiguous(t)) {
    /* gather into C order through a temporary staging window */
    tmp = zr__malloc(e->alloc, (size_t)bytes);
    if (!tmp) st = zr__err_nomem(e->err);
    else {
      enc g = *e;
      g.start = g.p = tmp;
      g.end = tmp + bytes;
      g.sink = NULL;
      g.mode = ENC_WINDOW;
      g.base = 0;
      st = gather_tensor(&g, t, count);
      raw = tmp;
    }
  }
  if (st == ZR_OK) {
    unsigned ts = t->itemsize <= 255 ? (unsigned)t->itemsize : 1;
    if (t->dtype == ZR_DT_COMPLEX64 || t->dtype == ZR_DT_COMPLEX128) ts /= 2; /* shuffle the parts */
    e->czhdr = full;
    e->czhdr_len = hn;
    st = wr_compressed(e, raw, (size_t)bytes, ts ? ts : 1, done);
  }
  zr__free(e->alloc, tmp);
  zr__free(e->alloc, full);
  return st;
}

static zr_status wr_tensor(enc *e, const zr_tensor *t) {
  uint64_t count, bytes;
  zr_status cst = tensor_check(t, e->err, &count, &bytes);
  if (cst != ZR_OK) {
    e->bad = 1;
    return cst;
  }
  if (e->cz && bytes >= ZRB_CZ_MIN && bytes < SIZE_MAX / 2) {
    int done = 0;
    ZR_TRY(wr_tensor_cz(e, t, count, bytes, &done));
    if (done) return ZR_OK;
  }
  ZR_TRY(need(e, 16));
  uint8_t *p = e->p;
  p[0] = ZRB_TENSOR;
  p[1] = (uint8_t)t->dtype;
  p[2] = (uint8_t)t->byte_order;
  p[3] = (uint8_t)t->time_unit;
  p[4] = (uint8_t)t->ndim;
  e->p = zrb_put_varint(p + 5, t->itemsize);
  for (uint32_t i = 0; i < t->ndim; i++) {
    ZR_TRY(need(e, 10));
    e->p = zrb_put_varint(e->p, (uint64_t)t->shape[i]);
  }
  size_t dl = descr_len(t);
  ZR_TRY(need(e, 10));
  e->p = zrb_put_varint(e->p, t->descr ? dl + 1 : 0);
  if (dl) ZR_TRY(put_bytes(e, t->descr, dl));
  ZR_TRY(need(e, 10));
  e->p = zrb_put_varint(e->p, bytes);
  ZR_TRY(wr_pad(e, e->align));
  if (!bytes) return ZR_OK;
  if (zr_tensor_is_c_contiguous(t)) return put_bytes(e, t->data, (size_t)bytes);
  return gather_tensor(e, t, count);
}

/* Write the elements of a strided tensor in C order, element by element. */
static zr_status gather_tensor(enc *e, const zr_tensor *t, uint64_t count) {
  int64_t idx[ZR_TENSOR_MAX_DIMS] = {0};
  size_t isz = (size_t)t->itemsize;
  for (uint64_t k = 0; k < count; k++) {
    const uint8_t *src = t->data;
    for (uint32_t d = 0; d < t->ndim; d++) src += idx[d] * t->strides[d];
    ZR_TRY(put_bytes(e, src, isz));
    for (int d = (int)t->ndim - 1; d >= 0; d--) {
      if (++idx[d] < t->shape[d]) break;
      idx[d] = 0;
    }
  }
  return ZR_OK;
}

/* Copy n < 32 bytes with a few fixed-size moves instead of a call to memcpy: two overlapping
 * loads of 16, 8 or 4 bytes (or three single bytes), never reading outside src[0..n). */
ZR_INLINE void copy_short(uint8_t *dst, const void *src, size_t n) {
  const uint8_t *s = src;
  if (n >= 8) {
    if (n >= 16) {
      uint8_t a[16], b[16];
      memcpy(a, s, 16);
      memcpy(b, s + n - 16, 16);
      memcpy(dst, a, 16);
      memcpy(dst + n - 16, b, 16);
    } else {
      uint64_t a, b;
      memcpy(&a, s, 8);
      memcpy(&b, s + n - 8, 8);
      memcpy(dst, &a, 8);
      memcpy(dst + n - 8, &b, 8);
    }
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4);
    memcpy(&b, s + n - 4, 4);
    memcpy(dst, &a, 4);
    memcpy(dst + n - 4, &b, 4);
  } else if (n) {
    uint8_t a = s[0], b = s[n / 2], c = s[n - 1];
    dst[0] = a;
    dst[n / 2] = b;
    dst[n - 1] = c;
  }
}

/* Room wr_fast() needs: a tag and 31 bytes of string, or a tag and 8 bytes. */
#define ZRB_FAST_MAX 40u

/* Write the common scalars at p without a call (room for ZRB_FAST_MAX bytes checked by the
 * caller) and return the end of what was written; NULL when the value needs wr_value(). The
 * callers keep the write position in a register across a container's items and store it back
 * to the encoder only around slower calls. */
ZR_INLINE uint8_t *wr_fast(const zr_value *v, uint8_t *p) {
  if (ZR_LIKELY(v->kind == ZR_KIND_STRING)) { /* keys: the most common kind by far */
    uint64_t n = v->n.len;
    if (n >= 32 || (n && !v->u.str)) return NULL;
    *p = (uint8_t)(ZRB_FIXSTR | n);
    copy_short(p + 1, v->u.str, (size_t)n);
    return p + 1 + n;
  }
  switch (v->kind) {
    case ZR_KIND_NULL: *p = ZRB_NULL; return p + 1;
    case ZR_KIND_BOOL: *p = v->u.b ? ZRB_TRUE : ZRB_FALSE; return p + 1;
    case ZR_KIND_INT: return put_int(p, v->u.i);
    case ZR_KIND_FLOAT:
      if (v->flags & ZR_VF_F32) return NULL;
      *p = ZRB_F64;
      zr__st64le(p + 1, v->u.u);
      return p + 9;
    default: return NULL;
  }
}

static zr_status wr_value(enc *e, const zr_value *v, unsigned depth);

/* Items of a list or tuple (path segments recorded on a value error). */
static zr_status wr_items(enc *e, const zr_value *it, uint64_t n, unsigned depth) {
  uint8_t *p = e->p, *end = e->end;
  for (uint64_t i = 0; i < n; i++) {
    if (ZR_UNLIKELY((size_t)(end - p) < ZRB_FAST_MAX)) {
      e->p = p;
      ZR_TRY(enc_room(e, ZRB_FAST_MAX));
      p = e->p;
      end = e->end;
    }
    uint8_t *q = wr_fast(&it[i], p);
    if (ZR_LIKELY(q != NULL)) {
      p = q;
      continue;
    }
    e->p = p;
    zr_status st = wr_value(e, &it[i], depth);
    if (ZR_UNLIKELY(st != ZR_OK)) {
      path_add(&e->path, NULL, i);
      return st;
    }
    p = e->p;
    end = e->end;
  }
  e->p = p;
  return ZR_OK;
}

static zr_status wr_members(enc *e, const zr_member *m, uint64_t n, unsigned depth) {
  uint8_t *p = e->p, *end = e->end;
  for (uint64_t i = 0; i < n; i++) {
    /* room for a fast key and a fast value at once */
    if (ZR_UNLIKELY((size_t)(end - p) < 2 * ZRB_FAST_MAX)) {
      e->p = p;
      ZR_TRY(enc_room(e, 2 * ZRB_FAST_MAX));
      p = e->p;
      end = e->end;
    }
    zr_status st;
    uint8_t *q = wr_fast(&m[i].key, p);
    if (ZR_LIKELY(q != NULL)) {
      p = q;
    } else {
      e->p = p;
      st = wr_value(e, &m[i].key, depth);
      if (ZR_UNLIKELY(st != ZR_OK)) {
        path_add(&e->path, NULL, i); /* a key failed: index the entry */
        return st;
      }
      ZR_TRY(need(e, ZRB_FAST_MAX));
      p = e->p;
      end = e->end;
    }
    q = wr_fast(&m[i].val, p);
    if (ZR_LIKELY(q != NULL)) {
      p = q;
      continue;
    }
    e->p = p;
    st = wr_value(e, &m[i].val, depth);
    if (ZR_UNLIKELY(st != ZR_OK)) {
      path_add(&e->path, &m[i].key, i);
      return st;
    }
    p = e->p;
    end = e->end;
  }
  e->p = p;
  return ZR_OK;
}

static zr_status wr_value(enc *e, const zr_value *v, unsigned depth) {
  uint64_t n = v->n.len;
  ZR_TRY(need(e, 24));
  uint8_t *p = e->p;
  switch ((zr_kind)v->kind) {
    case ZR_KIND_NULL: *p = ZRB_NULL; e->p = p + 1; return ZR_OK;
    case ZR_KIND_BOOL: *p = v->u.b ? ZRB_TRUE : ZRB_FALSE; e->p = p + 1; return ZR_OK;
    case ZR_KIND_INT: e->p = put_int(p, v->u.i); return ZR_OK;
    case ZR_KIND_UINT: *p = ZRB_UINT; e->p = zrb_put_varint(p + 1, v->u.u); return ZR_OK;
    case ZR_KIND_FLOAT:
      if (v->flags & ZR_VF_F32) {
        if (zrb_f32_exact(v->u.f)) {
          float f = (float)v->u.f;
          *p = ZRB_F32;
          memcpy(p + 1, &f, 4);
          e->p = p + 5;
          return ZR_OK;
        }
        *p = ZRB_F64_F32HINT;
      } else {
        *p = ZRB_F64;
      }
      zr__st64le(p + 1, v->u.u);
      e->p = p + 9;
      return ZR_OK;
    case ZR_KIND_STRING:
      if (n && !v->u.str) return ENC_BAD(e, ZR_ERR_INVALID_ARG, -1, "string without bytes");
      if (n < 32) {
        *p = (uint8_t)(ZRB_FIXSTR | n);
        e->p = p + 1;
      } else {
        *p = ZRB_STR;
        e->p = zrb_put_varint(p + 1, n);
      }
      return put_bytes(e, v->u.str, (size_t)n);
    case ZR_KIND_BIGINT:
      if (n && !v->u.bin) return ENC_BAD(e, ZR_ERR_INVALID_ARG, -1, "bigint without bytes");
      p[0] = ZRB_BIGINT;
      p[1] = (v->flags & ZR_VF_NEGATIVE) ? 1 : 0;
      e->p = zrb_put_varint(p + 2, n);
      return put_bytes(e, v->u.bin, (size_t)n);
    case ZR_KIND_BINARY:
    case ZR_KIND_SYMBOL:
      if (n && !v->u.bin) return ENC_BAD(e, ZR_ERR_INVALID_ARG, -1, "%s without bytes", zr_kind_name((zr_kind)v->kind));
      *p = v->kind == ZR_KIND_BINARY ? ZRB_BIN : ZRB_SYM;
      e->p = zrb_put_varint(p + 1, n);
      return put_bytes(e, v->u.bin, (size_t)n);
    case ZR_KIND_EXT:
      if (n && !v->u.bin) return ENC_BAD(e, ZR_ERR_INVALID_ARG, -1, "ext without bytes");
      *p = ZRB_EXT;
      p = zrb_put_varint(p + 1, v->aux32);
      p = zrb_put_varint(p, v->aux16);
      e->p = zrb_put_varint(p, n);
      return put_bytes(e, v->u.bin, (size_t)n);
    case ZR_KIND_TIMESTAMP: {
      if (v->aux16 > ZR_TU_GENERIC) return ENC_BAD(e, ZR_ERR_INVALID_ARG, -1, "timestamp has an unknown unit %u", v->aux16);
      size_t tz = v->n.tz ? strlen(v->n.tz) : 0;
      p[0] = ZRB_TIMESTAMP;
      p[1] = (uint8_t)v->aux16;
      e->p = zrb_put_varint(p + 2, v->n.tz ? (uint64_t)tz + 1 : 0);
      if (tz) ZR_TRY(put_bytes(e, v->n.tz, tz));
      ZR_TRY(need(e, 8));
      zr__st64le(e->p, (uint64_t)v->u.i);
      e->p += 8;
      return ZR_OK;
    }
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE: {
      if (n && !v->u.items) return ENC_BAD(e, ZR_ERR_INVALID_ARG, -1, "container without items");
      if (depth >= ZRB_ENC_MAX_DEPTH)
        return ENC_BAD(e, ZR_ERR_LIMIT, -1, "nesting deeper than %u (or a cycle)", ZRB_ENC_MAX_DEPTH);
      if (v->kind == ZR_KIND_LIST && n >= ZRB_TYPED_MIN) {
        unsigned code = zr__binary_typed_code(v);
        if (code) return wr_typed(e, v, code);
      }
      if (v->kind == ZR_KIND_LIST && n < 16) {
        *p = (uint8_t)(ZRB_FIXLIST | n);
        e->p = p + 1;
      } else {
        *p = v->kind == ZR_KIND_LIST ? ZRB_LIST : ZRB_TUPLE;
        e->p = zrb_put_varint(p + 1, n);
      }
      return wr_items(e, v->u.items, n, depth + 1);
    }
    case ZR_KIND_MAP: {
      if (n && !v->u.members) return ENC_BAD(e, ZR_ERR_INVALID_ARG, -1, "map without members");
      if (depth >= ZRB_ENC_MAX_DEPTH)
        return ENC_BAD(e, ZR_ERR_LIMIT, -1, "nesting deeper than %u (or a cycle)", ZRB_ENC_MAX_DEPTH);
      if (n < 16) {
        *p = (uint8_t)(ZRB_FIXMAP | n);
        e->p = p + 1;
      } else {
        *p = ZRB_MAP;
        e->p = zrb_put_varint(p + 1, n);
      }
      return wr_members(e, v->u.members, n, depth + 1);
    }
    case ZR_KIND_TENSOR: return wr_tensor(e, v->u.tensor);
    case ZR_KIND_TABLE:
      return ENC_BAD(e, ZR_ERR_TYPE, -1, "tables cannot be written in the binary format (tables travel as Arrow)");
  }
  return ENC_BAD(e, ZR_ERR_INVALID_ARG, -1, "unknown value kind %u", v->kind);
}

static void wr_header(uint8_t *p, int version) {
  memcpy(p, ZR_BINARY_MAGIC, 3);
  p[3] = (uint8_t)version;
}

/* opts->codec / level / filter → compression of typed lists and tensors (version 2). */
static zr_status opts_codec(const zr_encode_opts *opts, enc *e, zr_error *err) {
  if (!opts || !opts->codec || !*opts->codec || strcmp(opts->codec, "none") == 0) return ZR_OK;
  memset(&e->czo, 0, sizeof e->czo);
  if (strcmp(opts->codec, "auto") == 0) {
    e->czo.codec = ZR_CODEC_AUTO;
  } else {
    const zr_codec_info *ci = zr_codec_by_name(opts->codec);
    if (!ci) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "binary: unknown codec '%s' (auto, none, lz4, zstd, gzip)", opts->codec);
    if (ci->id == ZR_CODEC_NONE) return ZR_OK;
    e->czo.codec = ci->id;
    int lv = 0;
    ZR_TRY(zr_codec_level(ci->id, opts->level, &lv, err));
    e->czo.level = lv;
  }
  e->czo.filter = -1;
  if (opts->filter && *opts->filter && strcmp(opts->filter, "auto") != 0) {
    int f = zr_filter_by_name(opts->filter);
    if (f < 0) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "binary: unknown filter '%s' (byte, bit, none, auto)", opts->filter);
    e->czo.filter = f;
  }
  e->czo.alloc = opts->alloc;
  e->cz = 1;
  return ZR_OK;
}

/* The write pass from the root; the path of a value error goes to err. */
static zr_status wr_root(enc *e, const zr_value *v) {
  zr_status st = wr_value(e, v, 0);
  if (st != ZR_OK && e->bad) path_emit(&e->path, e->err);
  return st;
}

zr_status zr_binary_encode(const zr_value *v, const zr_encode_opts *opts, zr_sink *sink, zr_error *err) {
  if (!v || !sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  uint32_t align;
  ZR_TRY(opts_align(opts, &align, err));
  enc e;
  memset(&e, 0, offsetof(enc, path)); /* the path and the tail are filled before they are read */
  e.path.n = 0;
  e.align = align;
  e.err = err;
  e.alloc = zr__alloc_or_default(opts ? opts->alloc : NULL);
  ZR_TRY(opts_codec(opts, &e, err));

  /* one pass, in place, into a growing reservation (compression: staging only, version 2) */
  if (!e.cz && zr_sink_can_reserve(sink)) {
    e.mode = ENC_RESERVE;
    e.sink = sink;
    e.start = e.p = e.end = e.tail; /* nothing reserved yet */
    ZR_TRY(enc_grow(&e, ZR_BINARY_HEADER_SIZE));
    wr_header(e.p, 1);
    e.p += ZR_BINARY_HEADER_SIZE;
    ZR_TRY(wr_root(&e, v));
    return enc_commit(&e);
  }

  /* size pass (validates before anything is written), then staging */
  uint64_t size;
  ZR_TRY(size_pass(v, align, &size, err));
  if (size > SIZE_MAX - ZRB_SLACK) return zr__err(err, ZR_ERR_NOMEM, -1, "encoding of %llu bytes does not fit in memory", (unsigned long long)size);
  const zr_allocator *a = e.alloc;
  size_t cap = size + ZRB_SLACK < ZRB_STAGE_SIZE ? (size_t)size + ZRB_SLACK : ZRB_STAGE_SIZE;
  uint8_t *stage = zr__malloc(a, cap);
  if (!stage) return zr__err_nomem(err);
  e.mode = ENC_STAGE;
  e.start = e.p = stage;
  e.end = stage + cap;
  e.sink = sink;
  wr_header(e.p, e.cz ? 2 : 1);
  e.p += ZR_BINARY_HEADER_SIZE;
  zr_status st = wr_root(&e, v);
  if (st == ZR_OK) st = enc_flush(&e);
  if (st == ZR_OK && !e.cz && e.base != size)
    st = zr__err(err, ZR_ERR_INTERNAL, -1, "binary encoder wrote %llu bytes, expected %llu", (unsigned long long)e.base, (unsigned long long)size);
  zr__free(a, stage);
  return st;
}
