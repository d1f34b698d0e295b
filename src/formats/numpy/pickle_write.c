/* Pickle protocol 5 writer: plain values and tensors (as public numpy.ndarray(...) calls). */
#include <stdio.h>
#include <stdlib.h>

#include "formats/numpy/numpy_internal.h"
#include "formats/numpy/pickle_ops.h"
#include "formats/numpy/pylit.h"

typedef struct pw {
  const zr_allocator *a;
  zr__buf out;          /* opcodes (tensor payloads go straight to the sink when large) */
  zr_sink *sink;
  const zr_pickle_opts *po;
  zr_pickle_buffer *bufs;
  size_t nbufs, capbufs;
  zr__path path;
  uint64_t flushed; /* bytes already handed to the sink */
  zr_error *err;
} pw;

#define OP(c) ZR_TRY(zr__buf_push(&w->out, (uint8_t)(c)))

static zr_status fail_type(pw *w, const char *fmt, const char *what) {
  char p[ZR_ERROR_PATH_MAX];
  zr__path_render(&w->path, p, sizeof p);
  return zr__err_path(w->err, ZR_ERR_TYPE, p, fmt, what);
}

static zr_status flush_out(pw *w) {
  if (!w->out.len) return ZR_OK;
  ZR_TRY(zr_sink_write(w->sink, w->out.data, w->out.len, w->err));
  w->flushed += w->out.len;
  w->out.len = 0;
  return ZR_OK;
}

static zr_status put_str(pw *w, const char *s, size_t n) {
  size_t bad = 0;
  if (n && !zr__utf8_valid((const uint8_t *)s, n, &bad)) {
    /* a Python str must be valid UTF-8 (pickle.loads would fail): refuse, with the value path */
    char p[ZR_ERROR_PATH_MAX];
    zr__path_render(&w->path, p, sizeof p);
    zr__err_path(w->err, ZR_ERR_UTF8, p, "pickle: a string with invalid UTF-8 (byte %zu) cannot be a Python str", bad);
    return ZR_ERR_UTF8;
  }
  if (n < 256) {
    OP(PK_SHORT_BINUNICODE);
    OP(n);
  } else if (n <= UINT32_MAX) {
    uint8_t l[4];
    zr__st32le(l, (uint32_t)n);
    OP(PK_BINUNICODE);
    ZR_TRY(zr__buf_append(&w->out, l, 4));
  } else {
    uint8_t l[8];
    zr__st64le(l, n);
    OP(PK_BINUNICODE8);
    ZR_TRY(zr__buf_append(&w->out, l, 8));
  }
  return zr__buf_append(&w->out, s, n);
}

static zr_status put_cstr(pw *w, const char *s) { return put_str(w, s, strlen(s)); }

static zr_status put_global(pw *w, const char *mod, const char *name) {
  ZR_TRY(put_cstr(w, mod));
  ZR_TRY(put_cstr(w, name));
  OP(PK_STACK_GLOBAL);
  return ZR_OK;
}

/* two's complement little-endian of a signed 64-bit value, minimal length (Python's LONG1) */
static zr_status put_long_i64(pw *w, int64_t v) {
  if (v >= 0 && v < 256) { OP(PK_BININT1); OP(v); return ZR_OK; }
  if (v >= 0 && v < 65536) { OP(PK_BININT2); uint8_t b[2]; zr__st16le(b, (uint16_t)v); return zr__buf_append(&w->out, b, 2); }
  if (v >= INT32_MIN && v <= INT32_MAX) { OP(PK_BININT); uint8_t b[4]; zr__st32le(b, (uint32_t)(int32_t)v); return zr__buf_append(&w->out, b, 4); }
  uint8_t b[8];
  zr__st64le(b, (uint64_t)v);
  size_t n = 8;
  while (n > 1 && ((b[n - 1] == 0 && !(b[n - 2] & 0x80)) || (b[n - 1] == 0xFF && (b[n - 2] & 0x80)))) n--;
  OP(PK_LONG1);
  OP(n);
  return zr__buf_append(&w->out, b, n);
}

/* sign + magnitude (little endian) → LONG1 / LONG4 two's complement */
static zr_status put_long_mag(pw *w, int negative, const uint8_t *mag, size_t n) {
  while (n && mag[n - 1] == 0) n--;
  if (n == 0) return put_long_i64(w, 0);
  size_t len = n + 1; /* room for the sign bit */
  uint8_t *b = zr__malloc(w->a, len);
  if (!b) return zr__err_nomem(w->err);
  memcpy(b, mag, n);
  b[n] = 0;
  if (negative) { /* two's complement: invert and add one */
    unsigned carry = 1;
    for (size_t i = 0; i < len; i++) {
      unsigned x = (uint8_t)~b[i] + carry;
      b[i] = (uint8_t)x;
      carry = x >> 8;
    }
  }
  while (len > 1 && ((b[len - 1] == 0 && !(b[len - 2] & 0x80)) || (b[len - 1] == 0xFF && (b[len - 2] & 0x80)))) len--;
  zr_status st;
  if (len < 256) {
    st = zr__buf_push(&w->out, PK_LONG1);
    if (st == ZR_OK) st = zr__buf_push(&w->out, (uint8_t)len);
  } else {
    uint8_t l[4];
    zr__st32le(l, (uint32_t)len);
    st = zr__buf_push(&w->out, PK_LONG4);
    if (st == ZR_OK) st = zr__buf_append(&w->out, l, 4);
  }
  if (st == ZR_OK) st = zr__buf_append(&w->out, b, len);
  zr__free(w->a, b);
  return st;
}

/* ---- dtype objects: numpy.dtype('<f8') or, for records,
 * numpy.dtype({'names': [...], 'formats': [...], 'offsets': [...], 'itemsize': n[, 'titles': [...]]})
 * so padding and titles survive on NumPy 1.x and 2.x alike ---- */

static zr_status put_value(pw *w, const zr_value *v, unsigned depth);

/* A lossy mapping at the current path: a warning, or ZR_ERR_LOSSY in strict mode. */
static zr_status lossy(pw *w, const char *what) {
  if (!w->po || (!w->po->warnings && !w->po->strict)) return ZR_OK;
  char p[ZR_ERROR_PATH_MAX];
  zr__path_render(&w->path, p, sizeof p);
  if (w->po->strict) {
    return zr__err_path(w->err, ZR_ERR_LOSSY, p, "pickle: %s", what);
  }
  zr_warnings_add(w->po->warnings, ZR_ERR_LOSSY, p, "%s", what);
  return ZR_OK;
}

static zr_status put_dtype_obj(pw *w, const zr_value *d, unsigned depth);

typedef enum { PART_NAMES, PART_FORMATS, PART_OFFSETS, PART_TITLES } part_t;

static zr_status put_field_part(pw *w, const zr_value *list, part_t part, unsigned depth) {
  OP(PK_EMPTY_LIST);
  OP(PK_MARK);
  uint64_t off = 0;
  for (uint64_t i = 0; i < list->n.len; i++) {
    const zr_value *f = &list->u.items[i];
    const zr_value *nm = &f->u.items[0], *title = NULL;
    if (nm->kind == ZR_KIND_TUPLE) {
      title = &nm->u.items[0];
      nm = &nm->u.items[1];
    }
    zr_tensor sub;
    memset(&sub, 0, sizeof sub);
    ZR_TRY(zr__npy_descr_apply(&f->u.items[1], &sub, -1, w->err));
    uint64_t count = 1;
    if (f->n.len == 3) {
      const zr_value *sh = &f->u.items[2];
      if (sh->kind == ZR_KIND_INT) count = (uint64_t)sh->u.i;
      else
        for (uint64_t k = 0; k < sh->n.len; k++) count *= (uint64_t)sh->u.items[k].u.i;
    }
    if (nm->n.len) { /* unnamed fields are padding: they only move the offsets */
      switch (part) {
        case PART_NAMES: ZR_TRY(put_str(w, nm->u.str, (size_t)nm->n.len)); break;
        case PART_FORMATS:
          ZR_TRY(put_dtype_obj(w, &f->u.items[1], depth + 1));
          if (f->n.len == 3) {
            ZR_TRY(put_value(w, &f->u.items[2], depth + 1));
            OP(PK_TUPLE2);
          }
          break;
        case PART_OFFSETS: ZR_TRY(put_long_i64(w, (int64_t)off)); break;
        case PART_TITLES:
          if (title && title->kind == ZR_KIND_STRING) ZR_TRY(put_str(w, title->u.str, (size_t)title->n.len));
          else OP(PK_NONE);
          break;
      }
    }
    off += sub.itemsize * count;
  }
  OP(PK_APPENDS);
  return ZR_OK;
}

static zr_status put_dtype_obj(pw *w, const zr_value *d, unsigned depth) {
  if (depth > 32) return zr__err(w->err, ZR_ERR_LIMIT, -1, "structured dtype nested too deeply");
  ZR_TRY(put_global(w, "numpy", "dtype"));
  if (d->kind == ZR_KIND_STRING) {
    ZR_TRY(put_str(w, d->u.str, (size_t)d->n.len));
  } else {
    zr_tensor all;
    memset(&all, 0, sizeof all);
    ZR_TRY(zr__npy_descr_apply(d, &all, -1, w->err));
    int titles = 0;
    for (uint64_t i = 0; i < d->n.len; i++)
      if (d->u.items[i].u.items[0].kind == ZR_KIND_TUPLE) titles = 1;
    OP(PK_EMPTY_DICT);
    OP(PK_MARK);
    ZR_TRY(put_cstr(w, "names"));
    ZR_TRY(put_field_part(w, d, PART_NAMES, depth));
    ZR_TRY(put_cstr(w, "formats"));
    ZR_TRY(put_field_part(w, d, PART_FORMATS, depth));
    ZR_TRY(put_cstr(w, "offsets"));
    ZR_TRY(put_field_part(w, d, PART_OFFSETS, depth));
    ZR_TRY(put_cstr(w, "itemsize"));
    ZR_TRY(put_long_i64(w, (int64_t)all.itemsize));
    if (titles) {
      ZR_TRY(put_cstr(w, "titles"));
      ZR_TRY(put_field_part(w, d, PART_TITLES, depth));
    }
    OP(PK_SETITEMS);
  }
  OP(PK_TUPLE1);
  OP(PK_REDUCE);
  return ZR_OK;
}

/* ---- tensors ---- */

static zr_status put_tensor(pw *w, const zr_tensor *t) {
  if (t->ndim > ZR_TENSOR_MAX_DIMS) return fail_type(w, "%s", "tensor has too many dimensions");
  uint64_t n = zr_tensor_count(t), nbytes;
  if (n == UINT64_MAX || zr__mul_overflow(n, t->itemsize, &nbytes) || nbytes > SIZE_MAX)
    return zr__err(w->err, ZR_ERR_OVERFLOW, -1, "tensor size overflows");
  if (nbytes && !t->data) return fail_type(w, "%s", "tensor has no data");
  /* descr as a Python literal value */
  zr__buf lit;
  zr__buf_init(&lit, w->a);
  zr_status st = zr__npy_descr_literal(t, &lit, w->err);
  zr_doc *tmp = st == ZR_OK ? zr_doc_new(w->a) : NULL;
  zr_value descr;
  if (st == ZR_OK && !tmp) st = zr__err_nomem(w->err);
  if (st == ZR_OK) st = zr__pylit_parse((const char *)lit.data, lit.len, tmp, &descr, -1, w->err);
  zr__buf_free(&lit);
  int c_order = zr_tensor_is_c_contiguous(t), f_order = !c_order && zr_tensor_is_f_contiguous(t);
  if (st == ZR_OK) st = put_global(w, "numpy", "ndarray");
  if (st == ZR_OK) st = zr__buf_push(&w->out, PK_MARK);
  /* shape */
  if (st == ZR_OK) st = zr__buf_push(&w->out, PK_MARK);
  for (uint32_t i = 0; i < t->ndim && st == ZR_OK; i++) st = put_long_i64(w, t->shape[i]);
  if (st == ZR_OK) st = zr__buf_push(&w->out, PK_TUPLE);
  if (st == ZR_OK) st = put_dtype_obj(w, &descr, 0);
  zr_doc_free(tmp);
  ZR_TRY(st);
  /* buffer: numpy.frombuffer(<bytes>, numpy.dtype('u1')) */
  ZR_TRY(put_global(w, "numpy", "frombuffer"));
  int oob = w->po && w->po->out_of_band && (c_order || f_order) && nbytes >= w->po->oob_min_bytes;
  if (oob) {
    if (w->nbufs == w->capbufs) {
      size_t nc = w->capbufs ? w->capbufs * 2 : 4;
      zr_pickle_buffer *nb = zr__realloc(w->a, w->bufs, nc * sizeof *nb);
      if (!nb) return zr__err_nomem(w->err);
      w->bufs = nb;
      w->capbufs = nc;
    }
    w->bufs[w->nbufs].data = t->data;
    w->bufs[w->nbufs].len = (size_t)nbytes;
    w->bufs[w->nbufs].readonly = 0;
    w->nbufs++;
    OP(PK_NEXT_BUFFER);
  } else {
    if (nbytes >= 4096) {
      /* pad with a throw-away SHORT_BINBYTES + POP so the payload starts 64-byte aligned (relative
       * to the start of the pickle): readers that map the pickle can then view it in place */
      uint64_t off = w->flushed + w->out.len;
      size_t n = (size_t)((64 - (off + 3 + 9) % 64) % 64);
      static const uint8_t zeros[64] = {0};
      OP(PK_SHORT_BINBYTES);
      OP(n);
      ZR_TRY(zr__buf_append(&w->out, zeros, n));
      OP(PK_POP);
    }
    uint8_t l[8];
    zr__st64le(l, nbytes);
    OP(PK_BYTEARRAY8);
    ZR_TRY(zr__buf_append(&w->out, l, 8));
    if (c_order || f_order) {
      if (nbytes >= 65536) { /* big payloads go straight to the sink */
        ZR_TRY(flush_out(w));
        ZR_TRY(zr_sink_write(w->sink, t->data, (size_t)nbytes, w->err));
        w->flushed += nbytes;
      } else {
        ZR_TRY(zr__buf_append(&w->out, t->data, (size_t)nbytes));
      }
    } else {
      ZR_TRY(zr__buf_reserve(&w->out, (size_t)nbytes));
      zr__tensor_gather(t, w->out.data + w->out.len);
      w->out.len += (size_t)nbytes;
    }
  }
  ZR_TRY(put_global(w, "numpy", "dtype"));
  ZR_TRY(put_cstr(w, "u1"));
  OP(PK_TUPLE1);
  OP(PK_REDUCE);
  OP(PK_TUPLE2);
  OP(PK_REDUCE);
  /* offset, strides, order */
  OP(PK_BININT1);
  OP(0);
  OP(PK_NONE);
  ZR_TRY(put_cstr(w, f_order ? "F" : "C"));
  OP(PK_TUPLE);
  OP(PK_REDUCE);
  return ZR_OK;
}

/* ---- plain values ---- */

static int hashable(const zr_value *k) {
  switch (k->kind) {
    case ZR_KIND_LIST: case ZR_KIND_MAP: case ZR_KIND_TENSOR: case ZR_KIND_TABLE: return 0;
    case ZR_KIND_TUPLE:
      for (uint64_t i = 0; i < k->n.len; i++)
        if (!hashable(&k->u.items[i])) return 0;
      return 1;
    default: return 1;
  }
}

static zr_status put_value(pw *w, const zr_value *v, unsigned depth) {
  if (depth > ZR_DEFAULT_MAX_DEPTH) return fail_type(w, "%s", "value nested too deeply for pickle");
  if (w->out.len >= (1u << 20)) ZR_TRY(flush_out(w));
  switch ((zr_kind)v->kind) {
    case ZR_KIND_NULL: OP(PK_NONE); return ZR_OK;
    case ZR_KIND_BOOL: OP(v->u.b ? PK_NEWTRUE : PK_NEWFALSE); return ZR_OK;
    case ZR_KIND_INT: return put_long_i64(w, v->u.i);
    case ZR_KIND_UINT: {
      if (v->u.u <= (uint64_t)INT64_MAX) return put_long_i64(w, (int64_t)v->u.u);
      uint8_t b[8];
      zr__st64le(b, v->u.u);
      return put_long_mag(w, 0, b, 8);
    }
    case ZR_KIND_BIGINT: return put_long_mag(w, (v->flags & ZR_VF_NEGATIVE) != 0, v->u.bin, (size_t)v->n.len);
    case ZR_KIND_FLOAT: {
      uint64_t bits;
      memcpy(&bits, &v->u.f, 8);
      uint8_t b[8];
      zr__st64be(b, bits);
      OP(PK_BINFLOAT);
      return zr__buf_append(&w->out, b, 8);
    }
    case ZR_KIND_SYMBOL:
      ZR_TRY(lossy(w, "symbol written as a Python str (reads back as a string)"));
      return put_str(w, v->u.str, (size_t)v->n.len);
    case ZR_KIND_STRING: return put_str(w, v->u.str, (size_t)v->n.len);
    case ZR_KIND_BINARY: {
      uint64_t n = v->n.len;
      if (n < 256) { OP(PK_SHORT_BINBYTES); OP(n); }
      else if (n <= UINT32_MAX) { uint8_t l[4]; zr__st32le(l, (uint32_t)n); OP(PK_BINBYTES); ZR_TRY(zr__buf_append(&w->out, l, 4)); }
      else { uint8_t l[8]; zr__st64le(l, n); OP(PK_BINBYTES8); ZR_TRY(zr__buf_append(&w->out, l, 8)); }
      if (n >= 65536) {
        ZR_TRY(flush_out(w));
        w->flushed += n;
        return zr_sink_write(w->sink, v->u.bin, (size_t)n, w->err);
      }
      return zr__buf_append(&w->out, v->u.bin, (size_t)n);
    }
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE: {
      int tup = v->kind == ZR_KIND_TUPLE;
      uint64_t n = v->n.len;
      if (tup && n == 0) { OP(PK_EMPTY_TUPLE); return ZR_OK; }
      if (!tup) OP(PK_EMPTY_LIST);
      if (!tup || n > 3) OP(PK_MARK);
      for (uint64_t i = 0; i < n; i++) {
        unsigned d = w->path.depth;
        if (d < 64) { w->path.seg[d].key = NULL; w->path.seg[d].index = i; }
        w->path.depth++;
        zr_status st = put_value(w, &v->u.items[i], depth + 1);
        w->path.depth--;
        ZR_TRY(st);
      }
      if (!tup) OP(PK_APPENDS);
      else OP(n == 1 ? PK_TUPLE1 : n == 2 ? PK_TUPLE2 : n == 3 ? PK_TUPLE3 : PK_TUPLE);
      return ZR_OK;
    }
    case ZR_KIND_MAP: {
      OP(PK_EMPTY_DICT);
      OP(PK_MARK);
      for (uint64_t i = 0; i < v->n.len; i++) {
        const zr_member *m = &v->u.members[i];
        unsigned d = w->path.depth;
        if (d < 64) { w->path.seg[d].key = &m->key; w->path.seg[d].index = i; }
        w->path.depth++;
        zr_status st = hashable(&m->key) ? ZR_OK : fail_type(w, "a %s cannot be a Python dict key", zr_kind_name((zr_kind)m->key.kind));
        if (st == ZR_OK) st = put_value(w, &m->key, depth + 1);
        if (st == ZR_OK) st = put_value(w, &m->val, depth + 1);
        w->path.depth--;
        ZR_TRY(st);
      }
      OP(PK_SETITEMS);
      return ZR_OK;
    }
    case ZR_KIND_TENSOR: return put_tensor(w, v->u.tensor);
    case ZR_KIND_TIMESTAMP:
    case ZR_KIND_TABLE:
    case ZR_KIND_EXT: break;
  }
  return fail_type(w, "pickle writer cannot represent a %s", zr_kind_name((zr_kind)v->kind));
}

zr_status zr_pickle_encode(const zr_value *v, const zr_pickle_opts *po, zr_sink *sink, zr_pickle_buffer **buffers,
                           size_t *nbuffers, zr_error *err) {
  if (!v || !sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (po && po->out_of_band && (!buffers || !nbuffers))
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "out_of_band needs somewhere to hand the buffers");
  if (buffers) *buffers = NULL;
  if (nbuffers) *nbuffers = 0;
  pw w;
  memset(&w, 0, sizeof w);
  w.a = zr__alloc_or_default(po ? po->alloc : NULL);
  zr__buf_init(&w.out, w.a);
  w.sink = sink;
  w.po = po;
  w.err = err;
  zr_status st = zr__buf_push(&w.out, PK_PROTO);
  if (st == ZR_OK) st = zr__buf_push(&w.out, 5);
  if (st == ZR_OK) st = put_value(&w, v, 0);
  if (st == ZR_OK) st = zr__buf_push(&w.out, PK_STOP);
  if (st == ZR_OK) st = flush_out(&w);
  zr__buf_free(&w.out);
  if (st != ZR_OK) {
    if (st == ZR_ERR_NOMEM && err && !err->message[0]) zr__err_nomem(err);
    if (w.bufs) zr__free(w.a, w.bufs);
    return st;
  }
  /* buffers are only collected with out_of_band, which requires both out-parameters */
  if (buffers) *buffers = w.bufs;
  if (nbuffers) *nbuffers = w.nbufs;
  return ZR_OK;
}

/* ---- format vtable ---- */

static int pickle_detect(const uint8_t *data, size_t len) {
  if (len >= 3 && data[0] == PK_PROTO && data[1] >= 2 && data[1] <= 5) return 60;
  return 0;
}

zr_status zr__pickle_decode_fmt(const uint8_t *data, size_t len, const zr_decode_opts *opts, zr_doc **out, zr_error *err);

static zr_status pickle_encode_fmt(const zr_value *v, const zr_encode_opts *opts, zr_sink *sink, zr_error *err) {
  zr_doc *tmp;
  ZR_TRY(zr__numpy_untable(v, 1, opts, &tmp, &v, err)); /* a table: a dict of column name -> ndarray */
  zr_pickle_opts po;
  memset(&po, 0, sizeof po);
  po.alloc = opts ? opts->alloc : NULL;
  po.warnings = opts ? opts->warnings : NULL;
  po.strict = opts && (opts->flags & ZR_ENC_STRICT);
  zr_status st = zr_pickle_encode(v, &po, sink, NULL, NULL, err);
  zr_doc_free(tmp);
  return st;
}

const zr_format zr__format_pickle = {
    "pickle", ZR_FORMAT_ID_PICKLE, "Python pickle protocol 5 (writer; safe allow-listed reader for NumPy arrays)",
    pickle_detect, zr__pickle_decode_fmt, pickle_encode_fmt, zr__pickle_inspect,
};
