/* Erlang external term format: encoder (zr_value → bytes). See docs/guides/beam.md. */
#include <math.h>
#include <stdlib.h>
#include <zlib.h>

#include "formats/etf/etf_internal.h"

#define ENC_MAX_DEPTH 4096u
#define ENC_STAGE (64u * 1024u)

typedef struct enc {
  zr__buf b;  /* staging buffer (stream mode) or the whole term (compress mode) */
  int stream; /* flush b to the sink when full */
  int direct; /* b is a window reserved in the sink's own memory (committed when full) */
  zr_sink *sink;
  unsigned flags; /* zr_etf_flags */
  int sorted;     /* ZR_ENC_DETERMINISTIC */
  zr_warnings *warn; /* lossy mappings, or NULL */
  int strict;        /* ZR_ENC_STRICT: lossy mappings fail */
  zr_error *err;
  zr__path path;
} enc;

static zr_status fail_path(enc *e, zr_status code, const char *fmt, const char *what) {
  zr__err(e->err, code, -1, fmt, what);
  if (e->err) zr__path_render(&e->path, e->err->path, sizeof e->err->path);
  return code;
}

static zr_status window(enc *e, size_t n) {
  void *p = NULL;
  size_t want = n > ENC_STAGE ? n : ENC_STAGE;
  /* a fixed sink may hold less than a full window: then ask for exactly what is needed */
  if (zr_sink_reserve(e->sink, want, &p, NULL) != ZR_OK) {
    want = n;
    ZR_TRY(zr_sink_reserve(e->sink, want, &p, e->err));
  }
  e->b.data = p;
  e->b.len = 0;
  e->b.cap = want;
  return ZR_OK;
}

static zr_status flush(enc *e) {
  if (e->direct) {
    size_t n = e->b.len;
    e->b.data = NULL;
    e->b.len = e->b.cap = 0;
    return zr_sink_commit(e->sink, n, e->err);
  }
  if (!e->stream || !e->b.len) return ZR_OK;
  zr_status st = zr_sink_write(e->sink, e->b.data, e->b.len, e->err);
  e->b.len = 0;
  return st;
}

static zr_status reserve_slow(enc *e, size_t n) {
  if (e->direct) {
    ZR_TRY(flush(e));
    return window(e, n);
  }
  if (e->stream) {
    ZR_TRY(flush(e));
    if (e->b.cap >= n) return ZR_OK;
  }
  zr_status st = zr__buf_grow(&e->b, n);
  if (st != ZR_OK) return zr__err_nomem(e->err);
  return ZR_OK;
}

ZR_INLINE zr_status reserve(enc *e, size_t n) {
  if (ZR_LIKELY(e->b.cap - e->b.len >= n)) return ZR_OK;
  return reserve_slow(e, n);
}

static zr_status put_bytes(enc *e, const void *p, size_t n) {
  if (e->stream && n >= ENC_STAGE / 4) {
    ZR_TRY(flush(e));
    return zr_sink_write(e->sink, p, n, e->err);
  }
  ZR_TRY(reserve(e, n));
  if (n) memcpy(e->b.data + e->b.len, p, n);
  e->b.len += n;
  return ZR_OK;
}

ZR_INLINE void w8(enc *e, uint8_t v) { e->b.data[e->b.len++] = v; }
ZR_INLINE void w32(enc *e, uint32_t v) {
  zr__st32be(e->b.data + e->b.len, v);
  e->b.len += 4;
}

static zr_status put_atom(enc *e, const char *s, size_t n) {
  if (n <= 255) {
    ZR_TRY(reserve(e, 2 + n));
    w8(e, ETF_SMALL_ATOM_UTF8);
    w8(e, (uint8_t)n);
  } else {
    ZR_TRY(reserve(e, 3 + n));
    w8(e, ETF_ATOM_UTF8);
    zr__st16be(e->b.data + e->b.len, (uint16_t)n);
    e->b.len += 2;
  }
  memcpy(e->b.data + e->b.len, s, n);
  e->b.len += n;
  return ZR_OK;
}

static zr_status put_sym(enc *e, const zr_value *v) {
  size_t n = (size_t)v->n.len, chars = 0, bad;
  if (!zr__utf8_valid((const uint8_t *)v->u.str, n, &bad))
    return fail_path(e, ZR_ERR_UTF8, "ETF: symbol is not valid UTF-8%s", "");
  for (size_t i = 0; i < n; i++) chars += ((uint8_t)v->u.str[i] & 0xC0) != 0x80;
  if (chars > 255) return fail_path(e, ZR_ERR_RANGE, "ETF: atoms hold at most 255 characters%s", "");
  return put_atom(e, v->u.str, n);
}

static zr_status put_mag(enc *e, int neg, uint64_t m) {
  uint8_t n = 0;
  for (uint64_t t = m; t; t >>= 8) n++;
  ZR_TRY(reserve(e, 3 + 8));
  w8(e, ETF_SMALL_BIG);
  w8(e, n);
  w8(e, neg ? 1 : 0);
  for (uint8_t i = 0; i < n; i++) w8(e, (uint8_t)(m >> (8 * i)));
  return ZR_OK;
}

static zr_status put_int(enc *e, int64_t i) {
  if (i >= 0 && i <= 255) {
    ZR_TRY(reserve(e, 2));
    w8(e, ETF_SMALL_INTEGER);
    w8(e, (uint8_t)i);
    return ZR_OK;
  }
  if (i >= INT32_MIN && i <= INT32_MAX) {
    ZR_TRY(reserve(e, 5));
    w8(e, ETF_INTEGER);
    w32(e, (uint32_t)(int32_t)i);
    return ZR_OK;
  }
  return i < 0 ? put_mag(e, 1, (uint64_t)0 - (uint64_t)i) : put_mag(e, 0, (uint64_t)i);
}

static zr_status put_binary(enc *e, const void *p, uint64_t n) {
  if (n > UINT32_MAX) return fail_path(e, ZR_ERR_RANGE, "ETF: binaries hold at most 4 GiB%s", "");
  ZR_TRY(reserve(e, 5));
  w8(e, ETF_BINARY);
  w32(e, (uint32_t)n);
  return put_bytes(e, p, (size_t)n);
}

static zr_status put_tuple_head(enc *e, uint64_t n) {
  if (n > UINT32_MAX) return fail_path(e, ZR_ERR_RANGE, "ETF: too many tuple elements%s", "");
  ZR_TRY(reserve(e, 5));
  if (n <= 255) {
    w8(e, ETF_SMALL_TUPLE);
    w8(e, (uint8_t)n);
  } else {
    w8(e, ETF_LARGE_TUPLE);
    w32(e, (uint32_t)n);
  }
  return ZR_OK;
}

/* ---- Erlang term order (for ZR_ENC_DETERMINISTIC map keys) ---- */
/* number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring */
static int order_class(const zr_value *v) {
  switch ((zr_kind)v->kind) {
    case ZR_KIND_INT:
    case ZR_KIND_UINT:
    case ZR_KIND_BIGINT:
    case ZR_KIND_FLOAT: return 0;
    case ZR_KIND_NULL:
    case ZR_KIND_BOOL:
    case ZR_KIND_SYMBOL: return 1;
    case ZR_KIND_TUPLE:
    case ZR_KIND_TIMESTAMP:
    case ZR_KIND_EXT:
    case ZR_KIND_TENSOR:
    case ZR_KIND_TABLE: return 6;
    case ZR_KIND_MAP: return 7;
    case ZR_KIND_LIST: return v->n.len ? 9 : 8;
    case ZR_KIND_STRING:
    case ZR_KIND_BINARY: return 10;
  }
  return 11;
}

static const char *atom_text(const zr_value *v, size_t *n, unsigned flags) {
  if (v->kind == ZR_KIND_NULL) {
    const char *s = (flags & ZR_ETF_UNDEFINED_NULL) ? "undefined" : "nil";
    *n = strlen(s);
    return s;
  }
  if (v->kind == ZR_KIND_BOOL) {
    *n = v->u.b ? 4 : 5;
    return v->u.b ? "true" : "false";
  }
  *n = (size_t)v->n.len;
  return v->u.str;
}

static int cmp_bytes(const void *a, size_t na, const void *b, size_t nb) {
  int c = memcmp(a, b, na < nb ? na : nb);
  if (c) return c < 0 ? -1 : 1;
  return na < nb ? -1 : na > nb;
}

/* Exact comparisons of numbers of every kind (no long double: its precision differs between
 * platforms and under valgrind). An integer is a sign and a little-endian magnitude. */
typedef struct {
  int neg;
  const uint8_t *mag;
  size_t len; /* without high zero bytes */
  uint8_t buf[8];
} num_int;

static void int_of(const zr_value *v, num_int *n) {
  if (v->kind == ZR_KIND_BIGINT) {
    n->neg = (v->flags & ZR_VF_NEGATIVE) != 0;
    n->mag = v->u.bin;
    n->len = (size_t)v->n.len;
  } else {
    uint64_t m = v->kind == ZR_KIND_UINT ? v->u.u : v->u.i < 0 ? 0 - (uint64_t)v->u.i : (uint64_t)v->u.i;
    n->neg = v->kind == ZR_KIND_INT && v->u.i < 0;
    zr__st64le(n->buf, m);
    n->mag = n->buf;
    n->len = 8;
  }
  while (n->len && n->mag[n->len - 1] == 0) n->len--;
  if (n->len == 0) n->neg = 0; /* -0 is 0 */
}

/* |integer| against g ≥ 0 (finite): -1, 0, 1. */
static int cmp_mag_float(const num_int *n, double g) {
  if (n->len == 0) return g > 0 ? -1 : 0;
  int e;
  double fr = frexp(g, &e); /* g = fr * 2^e, fr in [0.5, 1) */
  if (g == 0 || e <= 0) return 1; /* g < 1 ≤ |integer| */
  unsigned top = n->mag[n->len - 1];
  long bits = (long)(n->len - 1) * 8;
  while (top) { bits++; top >>= 1; }
  if (bits != e) return bits < e ? -1 : 1;
  /* same bit length: compare bit by bit from the top; doubling fr and taking off 1 is exact */
  for (long k = bits - 1; k >= 0; k--) {
    fr *= 2;
    int gb = fr >= 1;
    if (gb) fr -= 1;
    int ib = (n->mag[k / 8] >> (k % 8)) & 1;
    if (ib != gb) return ib < gb ? -1 : 1;
  }
  return fr > 0 ? -1 : 0; /* a fraction left: the float is larger */
}

static int cmp_int_int(const num_int *x, const num_int *y) {
  if (x->neg != y->neg) return x->neg ? -1 : 1;
  int c = x->len < y->len ? -1 : x->len > y->len;
  for (size_t i = x->len; !c && i-- > 0;) c = x->mag[i] < y->mag[i] ? -1 : x->mag[i] > y->mag[i];
  return x->neg ? -c : c;
}

/* integer against float f (finite) */
static int cmp_int_float(const num_int *x, double f) {
  int si = x->len == 0 ? 0 : x->neg ? -1 : 1, sf = f < 0 ? -1 : f > 0;
  if (si != sf) return si < sf ? -1 : 1;
  if (si == 0) return 0;
  int c = cmp_mag_float(x, fabs(f));
  return si < 0 ? -c : c;
}

static int term_cmp(const zr_value *a, const zr_value *b, unsigned flags);

static int cmp_num(const zr_value *a, const zr_value *b) {
  if (a->kind == ZR_KIND_INT && b->kind == ZR_KIND_INT) return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
  int fa = a->kind == ZR_KIND_FLOAT, fb = b->kind == ZR_KIND_FLOAT;
  int c;
  num_int x, y;
  if (fa && fb) {
    c = a->u.f < b->u.f ? -1 : a->u.f > b->u.f;
  } else if (fa) {
    int_of(b, &y);
    c = -cmp_int_float(&y, a->u.f);
  } else if (fb) {
    int_of(a, &x);
    c = cmp_int_float(&x, b->u.f);
  } else {
    int_of(a, &x);
    int_of(b, &y);
    c = cmp_int_int(&x, &y);
  }
  if (c) return c;
  /* equal numerically: integers before floats so the order is total */
  return fa - fb;
}

static int cmp_items(const zr_value *a, uint64_t na, const zr_value *b, uint64_t nb, unsigned flags) {
  uint64_t n = na < nb ? na : nb;
  for (uint64_t i = 0; i < n; i++) {
    int c = term_cmp(&a[i], &b[i], flags);
    if (c) return c;
  }
  return na < nb ? -1 : na > nb;
}

static int term_cmp(const zr_value *a, const zr_value *b, unsigned flags) {
  int ca = order_class(a), cb = order_class(b);
  if (ca != cb) return ca < cb ? -1 : 1;
  switch (ca) {
    case 0: return cmp_num(a, b);
    case 1: {
      size_t na, nb;
      const char *sa = atom_text(a, &na, flags), *sb = atom_text(b, &nb, flags);
      return cmp_bytes(sa, na, sb, nb);
    }
    case 6:
      if (a->kind != b->kind || a->kind != ZR_KIND_TUPLE) return a->kind < b->kind ? -1 : a->kind > b->kind;
      if (a->n.len != b->n.len) return a->n.len < b->n.len ? -1 : 1;
      return cmp_items(a->u.items, a->n.len, b->u.items, b->n.len, flags);
    case 7:
      if (a->n.len != b->n.len) return a->n.len < b->n.len ? -1 : 1;
      return cmp_items(a->u.items, 2 * a->n.len, b->u.items, 2 * b->n.len, flags);
    case 9: return cmp_items(a->u.items, a->n.len, b->u.items, b->n.len, flags);
    case 10: return cmp_bytes(a->u.bin, (size_t)a->n.len, b->u.bin, (size_t)b->n.len);
    default: return 0;
  }
}

/* qsort has no context argument: the flags travel in a thread-local (set just before sorting). */
static _Thread_local unsigned tl_sort_flags;

static int member_cmp(const void *x, const void *y) {
  const zr_member *a = *(const zr_member *const *)x, *b = *(const zr_member *const *)y;
  return term_cmp(&a->key, &b->key, tl_sort_flags);
}

static zr_status enc_value(enc *e, const zr_value *v);

static zr_status enc_items(enc *e, const zr_value *items, uint64_t n) {
  unsigned d = e->path.depth++;
  zr_status st = ZR_OK;
  for (uint64_t i = 0; i < n && st == ZR_OK; i++) {
    if (d < 64) {
      e->path.seg[d].key = NULL;
      e->path.seg[d].index = i;
    }
    st = enc_value(e, &items[i]);
  }
  e->path.depth--;
  return st;
}

static zr_status enc_map(enc *e, const zr_value *v) {
  uint64_t n = v->n.len;
  if (n > UINT32_MAX) return fail_path(e, ZR_ERR_RANGE, "ETF: too many map entries%s", "");
  ZR_TRY(reserve(e, 5));
  w8(e, ETF_MAP);
  w32(e, (uint32_t)n);
  const zr_member *m = v->u.members;
  const zr_member **order = NULL;
  if (e->sorted && n > 1) {
    order = zr__malloc(e->b.alloc, (size_t)n * sizeof *order);
    if (!order) return zr__err_nomem(e->err);
    for (uint64_t i = 0; i < n; i++) order[i] = &m[i];
    tl_sort_flags = e->flags;
    qsort(order, (size_t)n, sizeof *order, member_cmp);
  }
  unsigned d = e->path.depth++;
  zr_status st = ZR_OK;
  for (uint64_t i = 0; i < n && st == ZR_OK; i++) {
    const zr_member *mm = order ? order[i] : &m[i];
    if (d < 64) {
      e->path.seg[d].key = &mm->key;
      e->path.seg[d].index = i;
    }
    st = enc_value(e, &mm->key);
    if (st == ZR_OK) st = enc_value(e, &mm->val);
  }
  e->path.depth--;
  if (order) zr__free(e->b.alloc, order);
  return st;
}

static const char *const unit_atoms[] = {"second", "millisecond", "microsecond", "nanosecond"};

static zr_status enc_tensor(enc *e, const zr_tensor *t) {
  if (t->dtype < ZR_DT_BOOL || t->dtype > ZR_DT_COMPLEX128 || zr_dtype_size(t->dtype) != t->itemsize ||
      (t->byte_order == ZR_ORDER_BIG && t->itemsize > 1))
    return fail_path(e, ZR_ERR_TYPE,
                     "ETF: only little-endian numeric tensors are written (as '$zerial_tensor' tuples)%s", "");
  ZR_TRY(put_tuple_head(e, 4));
  ZR_TRY(put_atom(e, ETF_TAG_TENSOR, sizeof ETF_TAG_TENSOR - 1));
  const char *dn = zr_dtype_name(t->dtype);
  ZR_TRY(put_atom(e, dn, strlen(dn)));
  ZR_TRY(put_tuple_head(e, t->ndim));
  for (uint32_t i = 0; i < t->ndim; i++) ZR_TRY(put_int(e, t->shape[i]));
  uint64_t count = zr_tensor_count(t), nbytes;
  if (zr__mul_overflow(count, t->itemsize, &nbytes) || nbytes > UINT32_MAX)
    return fail_path(e, ZR_ERR_RANGE, "ETF: tensor larger than 4 GiB%s", "");
  if (zr_tensor_is_c_contiguous(t) || count == 0) return put_binary(e, t->data, nbytes);
  /* strided: walk elements in C order */
  ZR_TRY(reserve(e, 5));
  w8(e, ETF_BINARY);
  w32(e, (uint32_t)nbytes);
  int64_t idx[ZR_TENSOR_MAX_DIMS] = {0};
  const uint8_t *base = t->data;
  for (uint64_t k = 0; k < count; k++) {
    int64_t off = 0;
    for (uint32_t dd = 0; dd < t->ndim; dd++) off += idx[dd] * t->strides[dd];
    ZR_TRY(put_bytes(e, base + off, (size_t)t->itemsize));
    for (uint32_t dd = t->ndim; dd-- > 0;) {
      if (++idx[dd] < t->shape[dd]) break;
      idx[dd] = 0;
    }
  }
  return ZR_OK;
}

static int is_tag_tuple(const zr_value *v, const char *tag, uint64_t arity) {
  if (v->kind != ZR_KIND_TUPLE || v->n.len != arity) return 0;
  const zr_value *t = &v->u.items[0];
  size_t n = strlen(tag);
  return t->kind == ZR_KIND_SYMBOL && t->n.len == n && memcmp(t->u.str, tag, n) == 0;
}

static zr_status enc_value(enc *e, const zr_value *v) {
  if (ZR_UNLIKELY(e->path.depth > ENC_MAX_DEPTH))
    return fail_path(e, ZR_ERR_LIMIT, "ETF: value nested deeper than %s levels", "4096");
  switch ((zr_kind)v->kind) {
    case ZR_KIND_NULL: return (e->flags & ZR_ETF_UNDEFINED_NULL) ? put_atom(e, "undefined", 9) : put_atom(e, "nil", 3);
    case ZR_KIND_BOOL: return v->u.b ? put_atom(e, "true", 4) : put_atom(e, "false", 5);
    case ZR_KIND_INT: return put_int(e, v->u.i);
    case ZR_KIND_UINT: return v->u.u <= (uint64_t)INT64_MAX ? put_int(e, (int64_t)v->u.u) : put_mag(e, 0, v->u.u);
    case ZR_KIND_BIGINT: {
      uint64_t n = v->n.len;
      while (n && v->u.bin[n - 1] == 0) n--;
      if (n == 0) return put_int(e, 0);
      if (n > UINT32_MAX) return fail_path(e, ZR_ERR_RANGE, "ETF: bigint too large%s", "");
      ZR_TRY(reserve(e, 6));
      if (n <= 255) {
        w8(e, ETF_SMALL_BIG);
        w8(e, (uint8_t)n);
      } else {
        w8(e, ETF_LARGE_BIG);
        w32(e, (uint32_t)n);
      }
      w8(e, (v->flags & ZR_VF_NEGATIVE) ? 1 : 0);
      return put_bytes(e, v->u.bin, (size_t)n);
    }
    case ZR_KIND_FLOAT: {
      if (!isfinite(v->u.f))
        return fail_path(e, ZR_ERR_TYPE, "ETF: Erlang floats are finite (NaN/infinity cannot be written)%s", "");
      uint64_t bits;
      memcpy(&bits, &v->u.f, 8);
      ZR_TRY(reserve(e, 9));
      w8(e, ETF_NEW_FLOAT);
      zr__st64be(e->b.data + e->b.len, bits);
      e->b.len += 8;
      return ZR_OK;
    }
    case ZR_KIND_STRING:
    case ZR_KIND_BINARY: return put_binary(e, v->u.bin, v->n.len);
    case ZR_KIND_SYMBOL: return put_sym(e, v);
    case ZR_KIND_LIST: {
      if (v->n.len == 0) {
        ZR_TRY(reserve(e, 1));
        w8(e, ETF_NIL);
        return ZR_OK;
      }
      if (v->n.len > UINT32_MAX) return fail_path(e, ZR_ERR_RANGE, "ETF: too many list elements%s", "");
      ZR_TRY(reserve(e, 5));
      w8(e, ETF_LIST);
      w32(e, (uint32_t)v->n.len);
      ZR_TRY(enc_items(e, v->u.items, v->n.len));
      ZR_TRY(reserve(e, 1));
      w8(e, ETF_NIL);
      return ZR_OK;
    }
    case ZR_KIND_TUPLE: {
      if (!(e->flags & ZR_ETF_NO_TAGS)) {
        const zr_value *it = v->u.items;
        /* a user tuple carrying one of the tags zerial uses for its own kinds reads back as that kind */
        static const char *const tags[] = {ETF_TAG_TIMESTAMP, ETF_TAG_EXT, ETF_TAG_TENSOR};
        for (int i = 0; i < 3 && v->n.len; i++)
          if (it[0].kind == ZR_KIND_SYMBOL && it[0].n.len == strlen(tags[i]) && !memcmp(it[0].u.str, tags[i], it[0].n.len)) {
            if (e->strict)
              return fail_path(e, ZR_ERR_LOSSY, "ETF: a tuple tagged '%s' would read back as the value that tag names", tags[i]);
            char p[ZR_ERROR_PATH_MAX];
            zr__path_render(&e->path, p, sizeof p);
            zr_warnings_add(e->warn, ZR_ERR_LOSSY, p, "tuple tagged '%s' reads back as the zerial value that tag names", tags[i]);
          }
        if (is_tag_tuple(v, ETF_TAG_IMPROPER, 3) && it[1].kind == ZR_KIND_LIST && it[1].n.len > 0 &&
            it[1].n.len <= UINT32_MAX && it[2].kind != ZR_KIND_LIST) {
          ZR_TRY(reserve(e, 5));
          w8(e, ETF_LIST);
          w32(e, (uint32_t)it[1].n.len);
          ZR_TRY(enc_items(e, it[1].u.items, it[1].n.len));
          return enc_items(e, &it[2], 1);
        }
        if (is_tag_tuple(v, ETF_TAG_BITSTRING, 3) && it[1].kind == ZR_KIND_BINARY && it[1].n.len > 0 &&
            it[1].n.len <= UINT32_MAX && it[2].kind == ZR_KIND_INT && it[2].u.i >= 1 && it[2].u.i <= 8) {
          ZR_TRY(reserve(e, 6));
          w8(e, ETF_BIT_BINARY);
          w32(e, (uint32_t)it[1].n.len);
          w8(e, (uint8_t)it[2].u.i);
          return put_bytes(e, it[1].u.bin, (size_t)it[1].n.len);
        }
      }
      ZR_TRY(put_tuple_head(e, v->n.len));
      return enc_items(e, v->u.items, v->n.len);
    }
    case ZR_KIND_MAP: return enc_map(e, v);
    case ZR_KIND_TIMESTAMP:
      if (v->aux16 > ZR_TU_NANO)
        return fail_path(e, ZR_ERR_TYPE, "ETF: timestamps in units other than second..nanosecond are not written%s",
                         "");
      ZR_TRY(put_tuple_head(e, 4));
      ZR_TRY(put_atom(e, ETF_TAG_TIMESTAMP, sizeof ETF_TAG_TIMESTAMP - 1));
      ZR_TRY(put_int(e, v->u.i));
      ZR_TRY(put_atom(e, unit_atoms[v->aux16], strlen(unit_atoms[v->aux16])));
      if (v->n.tz) return put_binary(e, v->n.tz, strlen(v->n.tz));
      return put_atom(e, "nil", 3);
    case ZR_KIND_EXT:
      ZR_TRY(put_tuple_head(e, 4));
      ZR_TRY(put_atom(e, ETF_TAG_EXT, sizeof ETF_TAG_EXT - 1));
      ZR_TRY(put_int(e, (int64_t)v->aux32));
      ZR_TRY(put_int(e, (int64_t)v->aux16));
      return put_binary(e, v->u.bin, v->n.len);
    case ZR_KIND_TENSOR: return enc_tensor(e, v->u.tensor);
    case ZR_KIND_TABLE: return fail_path(e, ZR_ERR_TYPE, "ETF: tables have no term form; use arrow_stream%s", "");
  }
  return fail_path(e, ZR_ERR_TYPE, "ETF: unknown value kind%s", "");
}

/* ---- exact size of the encoding (so reservable sinks get one exact reservation) ----
 * Returns 0 when the value holds anything the encoder would refuse or that is not worth sizing;
 * the caller then falls back to windowed writing, which reports the error. */
static int int_size(int64_t i, uint64_t *n) {
  if (i >= 0 && i <= 255)
    *n += 2;
  else if (i >= INT32_MIN && i <= INT32_MAX)
    *n += 5;
  else {
    uint64_t m = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    unsigned b = 0;
    for (; m; m >>= 8) b++;
    *n += 3 + b;
  }
  return 1;
}

static int size_of(const zr_value *v, unsigned flags, unsigned depth, uint64_t *n) {
  if (depth > ENC_MAX_DEPTH) return 0;
  switch ((zr_kind)v->kind) {
    case ZR_KIND_NULL: *n += (flags & ZR_ETF_UNDEFINED_NULL) ? 11 : 5; return 1;
    case ZR_KIND_BOOL: *n += v->u.b ? 6 : 7; return 1;
    case ZR_KIND_INT: return int_size(v->u.i, n);
    case ZR_KIND_UINT:
      if (v->u.u <= (uint64_t)INT64_MAX) return int_size((int64_t)v->u.u, n);
      *n += 11;
      return 1;
    case ZR_KIND_FLOAT: *n += 9; return isfinite(v->u.f);
    case ZR_KIND_STRING:
    case ZR_KIND_BINARY:
      if (v->n.len > UINT32_MAX) return 0;
      *n += 5 + v->n.len;
      return 1;
    case ZR_KIND_SYMBOL:
      if (v->n.len > 255) return 0; /* long atoms: let the encoder check the character count */
      *n += 2 + v->n.len;
      return 1;
    case ZR_KIND_LIST:
      if (v->n.len == 0) {
        *n += 1;
        return 1;
      }
      if (v->n.len > UINT32_MAX) return 0;
      *n += 6;
      for (uint64_t i = 0; i < v->n.len; i++)
        if (!size_of(&v->u.items[i], flags, depth + 1, n)) return 0;
      return 1;
    case ZR_KIND_TUPLE:
      if (v->n.len > UINT32_MAX) return 0;
      if (v->n.len == 3 && !(flags & ZR_ETF_NO_TAGS) && v->u.items[0].kind == ZR_KIND_SYMBOL &&
          v->u.items[0].n.len > 8 && memcmp(v->u.items[0].u.str, "$zerial_", 8) == 0)
        return 0; /* improper-list / bitstring forms: not sized */
      *n += v->n.len <= 255 ? 2 : 5;
      for (uint64_t i = 0; i < v->n.len; i++)
        if (!size_of(&v->u.items[i], flags, depth + 1, n)) return 0;
      return 1;
    case ZR_KIND_MAP:
      if (v->n.len > UINT32_MAX) return 0;
      *n += 5;
      for (uint64_t i = 0; i < v->n.len; i++)
        if (!size_of(&v->u.members[i].key, flags, depth + 1, n) || !size_of(&v->u.members[i].val, flags, depth + 1, n))
          return 0;
      return 1;
    default: return 0; /* bigints, timestamps, ext, tensors, tables: windowed path */
  }
}

static zr_status write_compressed(enc *e, const zr_encode_opts *opts) {
  /* e->b holds 131 + term; write 131 80 Size zlib(term) */
  size_t tlen = e->b.len - 1;
  if (tlen > UINT32_MAX) return zr__err(e->err, ZR_ERR_RANGE, -1, "ETF: compressed terms hold at most 4 GiB");
  uLong bound = compressBound((uLong)tlen);
  uint8_t *z = zr__malloc(e->b.alloc, (size_t)bound + 6);
  if (!z) return zr__err_nomem(e->err);
  z[0] = ETF_VERSION;
  z[1] = ETF_COMPRESSED;
  zr__st32be(z + 2, (uint32_t)tlen);
  uLongf zl = bound;
  int level = opts && opts->level ? opts->level : Z_DEFAULT_COMPRESSION;
  if (level < -1 || level > 9) level = Z_DEFAULT_COMPRESSION;
  int zs = compress2(z + 6, &zl, e->b.data + 1, (uLong)tlen, level);
  zr_status st;
  if (zs != Z_OK)
    st = zr__err(e->err, zs == Z_MEM_ERROR ? ZR_ERR_NOMEM : ZR_ERR_CODEC, -1, "ETF: zlib compress failed (%d)", zs);
  else
    st = zr_sink_write(e->sink, z, (size_t)zl + 6, e->err);
  zr__free(e->b.alloc, z);
  return st;
}

zr_status zr_etf_encode(const zr_value *v, const zr_encode_opts *opts, unsigned flags, zr_sink *sink, zr_error *err) {
  if (!v || !sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "zr_etf_encode: NULL argument");
  if (opts && opts->codec && (strcmp(opts->codec, "gzip") == 0 || strcmp(opts->codec, "zlib") == 0))
    flags |= ZR_ETF_COMPRESS;
  enc e;
  memset(&e, 0, sizeof e);
  zr__buf_init(&e.b, zr__alloc_or_default(opts ? opts->alloc : NULL));
  e.stream = !(flags & ZR_ETF_COMPRESS);
  e.direct = e.stream && zr_sink_can_reserve(sink);
  e.sink = sink;
  e.flags = flags;
  e.sorted = opts && (opts->flags & ZR_ENC_DETERMINISTIC);
  e.warn = opts ? opts->warnings : NULL;
  e.strict = opts && (opts->flags & ZR_ENC_STRICT);
  e.err = err;
  zr_status st = ZR_OK;
  uint64_t exact = 1;
  if (e.direct && size_of(v, flags, 0, &exact) && exact <= SIZE_MAX) {
    /* one exact reservation: no window commits, no buffer growth */
    void *p = NULL;
    if (zr_sink_reserve(sink, (size_t)exact, &p, NULL) == ZR_OK) {
      e.b.data = p;
      e.b.cap = (size_t)exact;
    }
  }
  if (!e.b.cap) st = reserve(&e, e.direct ? 1 : e.stream ? ENC_STAGE : 256);
  if (st == ZR_OK) {
    w8(&e, ETF_VERSION);
    st = enc_value(&e, v);
  }
  if (st == ZR_OK) st = e.stream ? flush(&e) : write_compressed(&e, opts);
  if (e.direct) {
    /* a failed encode leaves the uncommitted window unused: commit nothing */
    e.b.data = NULL;
  }
  zr__buf_free(&e.b);
  return st;
}
