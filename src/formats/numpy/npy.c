/* .npy: NumPy's array file format, versions 1.0, 2.0 and 3.0 (see docs/guides/numpy.md). */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "formats/numpy/numpy_internal.h"
#include "formats/numpy/pylit.h"

static const uint8_t NPY_MAGIC[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21

/* ---------------------------------------------------------------------------------------------
 * dtype descriptions */

static const struct { const char *code; zr_time_unit unit; } TIME_UNITS[] = {
    {"Y", ZR_TU_YEAR}, {"M", ZR_TU_MONTH}, {"W", ZR_TU_WEEK},   {"D", ZR_TU_DAY},    {"h", ZR_TU_HOUR},
    {"m", ZR_TU_MINUTE}, {"s", ZR_TU_SECOND}, {"ms", ZR_TU_MILLI}, {"us", ZR_TU_MICRO}, {"ns", ZR_TU_NANO},
    {"ps", ZR_TU_PICO}, {"fs", ZR_TU_FEMTO}, {"as", ZR_TU_ATTO},
};

static const char *unit_code(zr_time_unit u) {
  for (size_t i = 0; i < sizeof TIME_UNITS / sizeof TIME_UNITS[0]; i++)
    if (TIME_UNITS[i].unit == u) return TIME_UNITS[i].code;
  return NULL;
}

/* Parse a type string such as "<f8", "|S5", ">M8[ns]", "b1", "?" into t. */
/* a doc allocation failed: the doc's max_bytes, or memory */
static zr_status doc_nomem(const zr_doc *doc, zr_error *err) {
  if (doc->arena.over_limit)
    return zr__err(err, ZR_ERR_LIMIT, -1, "npy: decoding needs more than max_bytes (%llu) of memory",
                   (unsigned long long)doc->arena.limit);
  return zr__err_nomem(err);
}

static zr_status typestr_apply(const char *s, size_t n, zr_tensor *t, int64_t off, zr_error *err) {
  size_t i = 0;
  char order = '=';
  if (i < n && (s[i] == '<' || s[i] == '>' || s[i] == '|' || s[i] == '=')) order = s[i++];
  if (i >= n) return zr__err(err, ZR_ERR_MALFORMED, off, "empty dtype string");
  char kind = s[i++];
  uint64_t size = 0;
  int have_size = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9') {
    if (size > 1000000000u) return zr__err(err, ZR_ERR_RANGE, off, "dtype size too large in '%.*s'", (int)n, s);
    size = size * 10 + (uint64_t)(s[i++] - '0');
    have_size = 1;
  }
  zr_time_unit unit = ZR_TU_GENERIC;
  if (i < n && s[i] == '[' && (kind == 'M' || kind == 'm')) {
    size_t j = i + 1;
    while (j < n && s[j] >= '0' && s[j] <= '9') j++; /* optional multiplier: kept in descr */
    size_t k = j;
    while (k < n && s[k] != ']') k++;
    if (k >= n || k + 1 != n) return zr__err(err, ZR_ERR_MALFORMED, off, "bad datetime unit in '%.*s'", (int)n, s);
    int found = 0;
    for (size_t u = 0; u < sizeof TIME_UNITS / sizeof TIME_UNITS[0]; u++)
      if (strlen(TIME_UNITS[u].code) == k - j && memcmp(TIME_UNITS[u].code, s + j, k - j) == 0) {
        unit = TIME_UNITS[u].unit;
        found = 1;
      }
    if (!found && k != j) return zr__err(err, ZR_ERR_UNSUPPORTED, off, "unknown datetime unit in '%.*s'", (int)n, s);
    i = n;
  }
  if (i != n) return zr__err(err, ZR_ERR_UNSUPPORTED, off, "unsupported dtype '%.*s'", (int)n, s);
  t->byte_order = order == '>' ? ZR_ORDER_BIG : ZR_ORDER_LITTLE;
  t->time_unit = ZR_TU_SECOND; /* 0, as zr_tensor_init leaves it, for non-time types */
  zr_dtype dt;
  switch (kind) {
    case '?': size = 1; have_size = 1; /* fallthrough */
    case 'b':
      if (size != 1) goto bad;
      dt = ZR_DT_BOOL;
      break;
    case 'i':
      dt = size == 1 ? ZR_DT_INT8 : size == 2 ? ZR_DT_INT16 : size == 4 ? ZR_DT_INT32 : size == 8 ? ZR_DT_INT64 : 0;
      break;
    case 'u':
      dt = size == 1 ? ZR_DT_UINT8 : size == 2 ? ZR_DT_UINT16 : size == 4 ? ZR_DT_UINT32 : size == 8 ? ZR_DT_UINT64 : 0;
      break;
    case 'f':
      dt = size == 2 ? ZR_DT_FLOAT16 : size == 4 ? ZR_DT_FLOAT32 : size == 8 ? ZR_DT_FLOAT64
         : (size == 10 || size == 12 || size == 16) ? ZR_DT_LONGDOUBLE : 0;
      break;
    case 'c':
      dt = size == 8 ? ZR_DT_COMPLEX64 : size == 16 ? ZR_DT_COMPLEX128
         : (size == 20 || size == 24 || size == 32) ? ZR_DT_LONGDOUBLE : 0;
      break;
    case 'M': case 'm':
      if (size != 8) goto bad;
      dt = kind == 'M' ? ZR_DT_DATETIME64 : ZR_DT_TIMEDELTA64;
      t->time_unit = unit;
      break;
    case 'S': case 'a': dt = ZR_DT_BYTES; break;
    case 'U':
      if (size > UINT64_MAX / 4) goto bad;
      size *= 4;
      dt = ZR_DT_UNICODE;
      break;
    case 'V': dt = ZR_DT_VOID; break;
    case 'O':
      return zr__err(err, ZR_ERR_REFUSED, off, "object arrays (dtype '%.*s') are refused: they would need unpickling", (int)n, s);
    default: goto bad;
  }
  if (!dt || (!have_size && dt != ZR_DT_BYTES && dt != ZR_DT_UNICODE && dt != ZR_DT_VOID)) goto bad;
  if (dt == ZR_DT_BOOL || dt == ZR_DT_INT8 || dt == ZR_DT_UINT8 || dt == ZR_DT_BYTES || dt == ZR_DT_VOID) t->byte_order = ZR_ORDER_LITTLE;
  t->dtype = dt;
  t->itemsize = size;
  return ZR_OK;
bad:
  return zr__err(err, ZR_ERR_UNSUPPORTED, off, "unsupported dtype '%.*s'", (int)n, s);
}

static zr_status shape_count(const zr_value *shp, uint64_t *count, int64_t off, zr_error *err) {
  *count = 1;
  if (shp->kind == ZR_KIND_INT) {
    if (shp->u.i < 0) return zr__err(err, ZR_ERR_MALFORMED, off, "negative subarray extent");
    *count = (uint64_t)shp->u.i;
    return ZR_OK;
  }
  if (shp->kind != ZR_KIND_TUPLE) return zr__err(err, ZR_ERR_MALFORMED, off, "subarray shape must be a tuple");
  for (uint64_t i = 0; i < shp->n.len; i++) {
    const zr_value *e = &shp->u.items[i];
    if (e->kind != ZR_KIND_INT || e->u.i < 0) return zr__err(err, ZR_ERR_MALFORMED, off, "bad subarray extent");
    if (zr__mul_overflow(*count, (uint64_t)e->u.i, count)) return zr__err(err, ZR_ERR_OVERFLOW, off, "subarray size overflows");
  }
  return ZR_OK;
}

static zr_status descr_apply_depth(const zr_value *d, zr_tensor *t, int64_t off, unsigned depth, zr_error *err) {
  if (depth > 32) return zr__err(err, ZR_ERR_LIMIT, off, "structured dtype nested too deeply");
  if (d->kind == ZR_KIND_STRING) return typestr_apply(d->u.str, (size_t)d->n.len, t, off, err);
  if (d->kind != ZR_KIND_LIST) return zr__err(err, ZR_ERR_MALFORMED, off, "descr must be a string or a list of fields");
  uint64_t total = 0;
  for (uint64_t i = 0; i < d->n.len; i++) {
    const zr_value *f = &d->u.items[i];
    if (f->kind != ZR_KIND_TUPLE || f->n.len < 2 || f->n.len > 3)
      return zr__err(err, ZR_ERR_MALFORMED, off, "structured field %llu is not (name, type[, shape])", (unsigned long long)i);
    const zr_value *name = &f->u.items[0];
    if (name->kind == ZR_KIND_TUPLE && name->n.len == 2 && name->u.items[1].kind == ZR_KIND_STRING)
      name = &name->u.items[1]; /* (title, name) */
    if (name->kind != ZR_KIND_STRING) return zr__err(err, ZR_ERR_MALFORMED, off, "structured field %llu has no name", (unsigned long long)i);
    zr_tensor sub;
    memset(&sub, 0, sizeof sub);
    zr_status st = descr_apply_depth(&f->u.items[1], &sub, off, depth + 1, err);
    if (st != ZR_OK) {
      if (st == ZR_ERR_REFUSED)
        zr__err(err, st, off, "field '%.*s' has an object dtype: refused (it would need unpickling)", (int)(name->n.len > 100 ? 100 : name->n.len), name->u.str);
      return st;
    }
    uint64_t count = 1, fsize;
    if (f->n.len == 3) ZR_TRY(shape_count(&f->u.items[2], &count, off, err));
    if (zr__mul_overflow(sub.itemsize, count, &fsize) || zr__add_overflow(total, fsize, &total) || total > (uint64_t)INT64_MAX)
      return zr__err(err, ZR_ERR_OVERFLOW, off, "structured itemsize overflows");
  }
  t->dtype = ZR_DT_VOID;
  t->byte_order = ZR_ORDER_LITTLE;
  t->time_unit = ZR_TU_SECOND;
  t->itemsize = total;
  return ZR_OK;
}

zr_status zr__npy_descr_apply(const zr_value *descr, zr_tensor *t, int64_t off, zr_error *err) {
  return descr_apply_depth(descr, t, off, 0, err);
}

static zr_status descr_derive(const zr_tensor *t, char *buf, size_t cap, zr_error *err) {
  char kind;
  char order = t->byte_order == ZR_ORDER_BIG ? '>' : '<';
  uint64_t size = t->itemsize;
  switch (t->dtype) {
    case ZR_DT_BOOL: kind = 'b'; break;
    case ZR_DT_INT8: case ZR_DT_INT16: case ZR_DT_INT32: case ZR_DT_INT64: kind = 'i'; break;
    case ZR_DT_UINT8: case ZR_DT_UINT16: case ZR_DT_UINT32: case ZR_DT_UINT64: kind = 'u'; break;
    case ZR_DT_FLOAT16: case ZR_DT_FLOAT32: case ZR_DT_FLOAT64: case ZR_DT_LONGDOUBLE: kind = 'f'; break;
    case ZR_DT_COMPLEX64: case ZR_DT_COMPLEX128: kind = 'c'; break;
    case ZR_DT_DATETIME64: kind = 'M'; break;
    case ZR_DT_TIMEDELTA64: kind = 'm'; break;
    case ZR_DT_BYTES: kind = 'S'; break;
    case ZR_DT_UNICODE:
      if (size % 4) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unicode itemsize %llu is not a multiple of 4", (unsigned long long)size);
      kind = 'U';
      size /= 4;
      break;
    case ZR_DT_VOID: kind = 'V'; break;
    default: return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor has an invalid dtype %d", (int)t->dtype);
  }
  if (size <= 1 && kind != 'U') order = '|';
  if (kind == 'S' || kind == 'V') order = '|';
  int n;
  if (kind == 'M' || kind == 'm') {
    const char *u = unit_code(t->time_unit);
    n = u ? snprintf(buf, cap, "%c%c8[%s]", order, kind, u) : snprintf(buf, cap, "%c%c8", order, kind);
  } else {
    n = snprintf(buf, cap, "%c%c%llu", order, kind, (unsigned long long)size);
  }
  if (n < 0 || (size_t)n >= cap) return zr__err(err, ZR_ERR_RANGE, -1, "descr buffer too small");
  return ZR_OK;
}

zr_status zr_npy_descr(const zr_tensor *t, char *buf, size_t cap, zr_error *err) {
  if (!t || !buf || !cap) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (t->descr) {
    size_t n = strlen(t->descr);
    if (n >= cap) return zr__err(err, ZR_ERR_RANGE, -1, "descr buffer too small");
    memcpy(buf, t->descr, n + 1);
    return ZR_OK;
  }
  return descr_derive(t, buf, cap, err);
}

zr_status zr__npy_descr_from_text(const char *text, size_t n, zr_doc *doc, zr_tensor *t, zr_error *err) {
  zr_value d;
  if (n && (text[0] == '[' || text[0] == '\'' || text[0] == '"')) {
    ZR_TRY(zr__pylit_parse(text, n, doc, &d, -1, err));
  } else {
    d = zr_str_ref(text, n);
  }
  ZR_TRY(zr__npy_descr_apply(&d, t, -1, err));
  zr__buf b;
  zr__buf_init(&b, &doc->alloc);
  zr_status st = d.kind == ZR_KIND_STRING ? zr__buf_append(&b, d.u.str, (size_t)d.n.len) : zr__pylit_repr(&b, &d);
  if (st == ZR_OK) st = zr__buf_push(&b, 0);
  char *s = st == ZR_OK ? zr_doc_alloc(doc, b.len, 1) : NULL;
  if (s) memcpy(s, b.data, b.len);
  zr__buf_free(&b);
  if (!s) return doc_nomem(doc, err);
  t->descr = s;
  return ZR_OK;
}

zr_status zr__npy_descr_literal(const zr_tensor *t, zr__buf *b, zr_error *err) {
  if (t->descr && t->descr[0] == '[') {
    /* validate: it must parse and describe the tensor's itemsize */
    zr_doc *tmp = zr_doc_new(b->alloc);
    if (!tmp) return zr__err_nomem(err);
    zr_value d;
    zr_tensor chk;
    memset(&chk, 0, sizeof chk);
    zr_status st = zr__pylit_parse(t->descr, strlen(t->descr), tmp, &d, -1, err);
    if (st == ZR_OK) st = zr__npy_descr_apply(&d, &chk, -1, err);
    if (st == ZR_OK && chk.itemsize != t->itemsize)
      st = zr__err(err, ZR_ERR_INVALID_ARG, -1, "descr describes %llu-byte items, tensor has %llu", (unsigned long long)chk.itemsize, (unsigned long long)t->itemsize);
    if (st == ZR_OK) st = zr__pylit_repr(b, &d);
    zr_doc_free(tmp);
    return st;
  }
  char buf[64];
  const char *s = t->descr;
  if (!s) {
    ZR_TRY(descr_derive(t, buf, sizeof buf, err));
    s = buf;
  } else {
    zr_tensor chk;
    memset(&chk, 0, sizeof chk);
    ZR_TRY(typestr_apply(s, strlen(s), &chk, -1, err));
    if (chk.itemsize != t->itemsize && !(chk.dtype == t->dtype && chk.itemsize == 0))
      return zr__err(err, ZR_ERR_INVALID_ARG, -1, "descr '%s' does not match itemsize %llu", s, (unsigned long long)t->itemsize);
  }
  zr_value v = zr_cstr_ref(s);
  return zr__pylit_repr(b, &v);
}

/* ---------------------------------------------------------------------------------------------
 * reading */

/* 0, or -1 when the strides overflow int64 (possible with a zero extent: the byte count is 0
 * while the other extents' product is not bounded by it) */
static int set_strides(zr_tensor *t, int fortran) {
  uint64_t stride = t->itemsize;
  for (uint32_t k = 0; k < t->ndim; k++) {
    uint32_t d = fortran ? k : t->ndim - 1 - k;
    if (stride > (uint64_t)INT64_MAX) return -1;
    t->strides[d] = (int64_t)stride;
    if (k + 1 < t->ndim && zr__mul_overflow(stride, t->shape[d] ? (uint64_t)t->shape[d] : 1, &stride)) return -1;
  }
  return 0;
}

zr_status zr_npy_parse(const uint8_t *data, size_t len, const zr_npy_opts *nopts, int header_only, zr_doc *doc,
                       zr_tensor *t, zr_npy_info *info, zr_error *err) {
  if (!data || !doc || !t) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  size_t max_header = nopts && nopts->max_header_size ? nopts->max_header_size : ZR_NPY_DEFAULT_MAX_HEADER;
  if (len < 10) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "npy: input shorter than the preamble");
  if (memcmp(data, NPY_MAGIC, 6) != 0) return zr__err(err, ZR_ERR_MALFORMED, 0, "npy: bad magic (not a .npy file)");
  uint8_t major = data[6], minor = data[7];
  if (major < 1 || major > 3 || minor != 0) return zr__err(err, ZR_ERR_VERSION, 6, "npy: unsupported version %u.%u", major, minor);
  uint64_t hlen, pre;
  if (major == 1) {
    hlen = zr__ld16le(data + 8);
    pre = 10;
  } else {
    if (len < 12) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "npy: input shorter than the preamble");
    hlen = zr__ld32le(data + 8);
    pre = 12;
  }
  if (hlen > max_header)
    return zr__err(err, ZR_ERR_LIMIT, 8, "npy: header of %llu bytes exceeds the limit of %zu (max_header_size)", (unsigned long long)hlen, max_header);
  if (hlen > len - pre) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "npy: header truncated");
  const uint8_t *h = data + pre;
  /* header text as UTF-8: latin-1 for 1.0/2.0, UTF-8 for 3.0 */
  zr__buf txt;
  zr__buf_init(&txt, &doc->alloc);
  zr_status st = ZR_OK;
  if (major == 3) {
    size_t bad;
    if (!zr__utf8_valid(h, (size_t)hlen, &bad)) {
      zr__buf_free(&txt);
      return zr__err(err, ZR_ERR_UTF8, (int64_t)(pre + bad), "npy: header is not valid UTF-8");
    }
    st = zr__buf_append(&txt, h, (size_t)hlen);
  } else {
    for (uint64_t i = 0; i < hlen && st == ZR_OK; i++) {
      if (h[i] < 0x80) st = zr__buf_push(&txt, h[i]);
      else if ((st = zr__buf_push(&txt, (uint8_t)(0xC0 | (h[i] >> 6)))) == ZR_OK) st = zr__buf_push(&txt, (uint8_t)(0x80 | (h[i] & 0x3F)));
    }
  }
  zr_value dict;
  if (st != ZR_OK) {
    zr__buf_free(&txt);
    return zr__err_nomem(err);
  }
  st = zr__pylit_parse(txt.len ? (const char *)txt.data : "", txt.len, doc, &dict, (int64_t)pre, err);
  zr__buf_free(&txt);
  if (st != ZR_OK && err && major != 3 && err->offset > (int64_t)pre) {
    /* the parser counts bytes of the UTF-8 text; bytes >= 0x80 of a latin-1 header took two */
    uint64_t want = (uint64_t)(err->offset - (int64_t)pre), at = 0, i = 0;
    while (i < hlen && at + (h[i] < 0x80 ? 1u : 2u) <= want) at += h[i++] < 0x80 ? 1u : 2u;
    err->offset = (int64_t)(pre + i);
  }
  ZR_TRY(st);
  if (dict.kind != ZR_KIND_MAP) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)pre, "npy: header is not a dict");
  const zr_value *descr = zr_map_get(&dict, "descr", 5), *fo = zr_map_get(&dict, "fortran_order", 13),
                 *shape = zr_map_get(&dict, "shape", 5);
  if (!descr || !fo || !shape || dict.n.len != 3)
    return zr__err(err, ZR_ERR_MALFORMED, (int64_t)pre, "npy: header must have exactly the keys 'descr', 'fortran_order', 'shape'");
  if (fo->kind != ZR_KIND_BOOL) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)pre, "npy: fortran_order is not a bool");
  if (shape->kind != ZR_KIND_TUPLE) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)pre, "npy: shape is not a tuple");
  if (shape->n.len > ZR_TENSOR_MAX_DIMS)
    return zr__err(err, ZR_ERR_LIMIT, (int64_t)pre, "npy: %llu dimensions exceed %d", (unsigned long long)shape->n.len, ZR_TENSOR_MAX_DIMS);
  memset(t, 0, sizeof *t);
  ZR_TRY(zr__npy_descr_apply(descr, t, (int64_t)pre, err));
  t->ndim = (uint32_t)shape->n.len;
  uint64_t nbytes = t->itemsize;
  for (uint32_t i = 0; i < t->ndim; i++) {
    const zr_value *e = &shape->u.items[i];
    if (e->kind != ZR_KIND_INT || e->u.i < 0) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)pre, "npy: shape entry %u is not a non-negative int", i);
    t->shape[i] = e->u.i;
    if (zr__mul_overflow(nbytes, (uint64_t)e->u.i, &nbytes) || nbytes > (uint64_t)INT64_MAX)
      return zr__err(err, ZR_ERR_OVERFLOW, (int64_t)pre, "npy: shape × itemsize overflows");
  }
  /* element count alone must not overflow either (zero itemsize) */
  if (zr_tensor_count(t) == UINT64_MAX) return zr__err(err, ZR_ERR_OVERFLOW, (int64_t)pre, "npy: element count overflows");
  if (set_strides(t, fo->u.b) != 0) return zr__err(err, ZR_ERR_OVERFLOW, (int64_t)pre, "npy: strides overflow");
  /* canonical descr string in the doc */
  zr__buf b;
  zr__buf_init(&b, &doc->alloc);
  st = descr->kind == ZR_KIND_STRING ? zr__buf_append(&b, descr->u.str, (size_t)descr->n.len) : zr__pylit_repr(&b, descr);
  if (st == ZR_OK) st = zr__buf_push(&b, 0);
  char *ds = st == ZR_OK ? zr_doc_alloc(doc, b.len, 1) : NULL;
  if (ds) memcpy(ds, b.data, b.len);
  zr__buf_free(&b);
  if (!ds) return doc_nomem(doc, err);
  t->descr = ds;
  uint64_t off = pre + hlen;
  t->nbytes = nbytes;
  if (!header_only && nbytes > len - off)
    return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "npy: %llu data bytes expected, %llu present", (unsigned long long)nbytes, (unsigned long long)(len - off));
  t->data = nbytes && off < len ? (void *)(data + off) : NULL;
  if (info) {
    info->major = major;
    info->minor = minor;
    info->fortran_order = fo->u.b;
    info->header_len = hlen;
    info->data_offset = off;
    info->data_len = nbytes;
  }
  return ZR_OK;
}

zr_status zr_npy_decode(const uint8_t *data, size_t len, const zr_decode_opts *opts, const zr_npy_opts *nopts,
                        zr_doc **out, zr_error *err) {
  if (!out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  *out = NULL;
  zr_decode_opts dflt;
  if (!opts) {
    zr_decode_opts_init(&dflt);
    opts = &dflt;
  }
  zr_doc *doc = zr__doc_new_limited(opts->alloc, opts->max_bytes);
  if (!doc) return zr__err_nomem(err);
  zr_tensor t;
  zr_status st = zr_npy_parse(data, len, nopts, 0, doc, &t, NULL, err);
  if (st == ZR_OK && opts->copy && t.nbytes >= ZR__NP_BIG && zr__alloc_or_default(opts->alloc) == zr_allocator_default() &&
      (!opts->max_bytes || t.nbytes <= opts->max_bytes)) {
    /* large copies in their own huge-page-friendly block, released with the tensor */
    void *p = zr__np_big_alloc((size_t)t.nbytes);
    if (!p) st = zr__err(err, ZR_ERR_NOMEM, -1, "npy: cannot copy %llu data bytes", (unsigned long long)t.nbytes);
    else {
      memcpy(p, t.data, (size_t)t.nbytes);
      t.data = p;
      t.release = zr__np_big_free;
      t.owner = p;
    }
  } else if (st == ZR_OK && opts->copy && t.nbytes) {
    void *p = zr_doc_alloc(doc, (size_t)t.nbytes, 64);
    if (!p) st = zr__err(err, (doc->arena.limit && t.nbytes > doc->arena.limit) || doc->arena.over_limit ? ZR_ERR_LIMIT : ZR_ERR_NOMEM, -1, "npy: cannot copy %llu data bytes", (unsigned long long)t.nbytes);
    else {
      memcpy(p, t.data, (size_t)t.nbytes);
      t.data = p;
    }
  }
  if (st == ZR_OK) {
    zr_value v = zr_tensor_value(doc, &t);
    if (v.kind != ZR_KIND_TENSOR) {
      if (t.release) t.release(t.owner);
      st = zr__err_nomem(err);
    } else {
      st = zr_doc_set_root(doc, v);
    }
  }
  if (st != ZR_OK) {
    zr_doc_free(doc);
    return st;
  }
  *out = doc;
  return ZR_OK;
}

/* ---------------------------------------------------------------------------------------------
 * numeric access */

static double half_to_double(uint16_t h) {
  int e = (h >> 10) & 0x1F;
  double m = h & 0x3FF;
  double v;
  if (e == 0) v = m * (1.0 / 16777216.0); /* 2^-24 */
  else if (e == 31) v = m ? (0.0 / 0.0) : (1.0 / 0.0);
  else {
    v = (1.0 + m / 1024.0);
    int x = e - 15;
    while (x > 0) { v *= 2; x--; }
    while (x < 0) { v /= 2; x++; }
  }
  return (h & 0x8000) ? -v : v;
}

zr_status zr_npy_element_f64(const zr_tensor *t, const int64_t *index, double *out, zr_error *err) {
  if (!t || !out || (t->ndim && !index)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (t->dtype == ZR_DT_LONGDOUBLE)
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "long double (descr '%s') is carried as raw bytes only; convert it to float64 in NumPy first", t->descr ? t->descr : "?");
  int64_t off = 0;
  for (uint32_t d = 0; d < t->ndim; d++) {
    if (index[d] < 0 || index[d] >= t->shape[d]) return zr__err(err, ZR_ERR_RANGE, -1, "index %lld out of range in dimension %u", (long long)index[d], d);
    off += index[d] * t->strides[d];
  }
  /* no arithmetic on a NULL data pointer (a zero-size element type has none) */
  const uint8_t *p = t->data ? (const uint8_t *)t->data + off : NULL;
  uint8_t raw[8];
  size_t sz = zr_dtype_size(t->dtype);
  if (!sz || !p) return zr__err(err, ZR_ERR_TYPE, -1, "%s elements are not numeric", zr_dtype_name(t->dtype));
  size_t rd = sz > 8 ? 8 : sz; /* complex: real part */
  if (t->dtype == ZR_DT_COMPLEX64) rd = 4;
  memcpy(raw, p, rd);
  if (t->byte_order == ZR_ORDER_BIG && rd > 1)
    for (size_t i = 0; i < rd / 2; i++) { uint8_t c = raw[i]; raw[i] = raw[rd - 1 - i]; raw[rd - 1 - i] = c; }
  union { uint8_t b[8]; int8_t i8; int16_t i16; int32_t i32; int64_t i64; uint16_t u16; uint32_t u32; uint64_t u64; float f; double d; } u;
  memcpy(u.b, raw, 8);
  switch (t->dtype) {
    case ZR_DT_BOOL: *out = u.b[0] != 0; break;
    case ZR_DT_INT8: *out = u.i8; break;
    case ZR_DT_INT16: *out = u.i16; break;
    case ZR_DT_INT32: *out = u.i32; break;
    case ZR_DT_INT64: case ZR_DT_DATETIME64: case ZR_DT_TIMEDELTA64: *out = (double)u.i64; break;
    case ZR_DT_UINT8: *out = u.b[0]; break;
    case ZR_DT_UINT16: *out = u.u16; break;
    case ZR_DT_UINT32: *out = u.u32; break;
    case ZR_DT_UINT64: *out = (double)u.u64; break;
    case ZR_DT_FLOAT16: *out = half_to_double(u.u16); break;
    case ZR_DT_FLOAT32: case ZR_DT_COMPLEX64: *out = u.f; break;
    case ZR_DT_FLOAT64: case ZR_DT_COMPLEX128: *out = u.d; break;
    default: return zr__err(err, ZR_ERR_TYPE, -1, "%s elements are not numeric", zr_dtype_name(t->dtype));
  }
  return ZR_OK;
}

/* ---------------------------------------------------------------------------------------------
 * writing */

size_t zr__npy_natural_align(const zr_tensor *t) {
  size_t nat = zr_dtype_size(t->dtype);
  if (t->dtype == ZR_DT_COMPLEX64 || t->dtype == ZR_DT_COMPLEX128) nat /= 2;
  if (t->dtype == ZR_DT_UNICODE) nat = 4;
  return nat ? (nat > 8 ? 8 : nat) : 1;
}

void zr__tensor_gather(const zr_tensor *t, uint8_t *dst) {
  uint64_t n = zr_tensor_count(t);
  int64_t idx[ZR_TENSOR_MAX_DIMS] = {0};
  const uint8_t *p = t->data;
  for (uint64_t k = 0; k < n; k++) {
    memcpy(dst, p, (size_t)t->itemsize);
    dst += t->itemsize;
    for (int d = (int)t->ndim - 1; d >= 0; d--) {
      p += t->strides[d];
      if (++idx[d] < t->shape[d]) break;
      p -= t->strides[d] * t->shape[d];
      idx[d] = 0;
    }
  }
}

/* Build the whole preamble + header for t; *fortran receives the order used. */
static zr_status build_header(const zr_tensor *t, zr__buf *out, int *fortran, zr_error *err) {
  if (t->ndim > ZR_TENSOR_MAX_DIMS) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "too many dimensions");
  int f = !zr_tensor_is_c_contiguous(t) && zr_tensor_is_f_contiguous(t) && t->ndim > 1;
  *fortran = f;
  zr__buf h;
  zr__buf_init(&h, out->alloc);
  zr_status st = zr__buf_append(&h, "{'descr': ", 10);
  if (st == ZR_OK) st = zr__npy_descr_literal(t, &h, err);
  if (st == ZR_OK) st = zr__buf_printf(&h, ", 'fortran_order': %s, 'shape': (", f ? "True" : "False");
  for (uint32_t i = 0; i < t->ndim && st == ZR_OK; i++) st = zr__buf_printf(&h, i ? ", %lld" : "%lld", (long long)t->shape[i]);
  if (st == ZR_OK) st = zr__buf_append(&h, t->ndim == 1 ? ",), }" : "), }", t->ndim == 1 ? 5 : 4);
  if (st == ZR_OK && t->ndim) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)t->shape[f ? t->ndim - 1 : 0]);
    for (int i = n; i < NPY_GROWTH_DIGITS && st == ZR_OK; i++) st = zr__buf_push(&h, ' ');
  }
  if (st != ZR_OK) {
    zr__buf_free(&h);
    return st == ZR_ERR_NOMEM ? zr__err_nomem(err) : st;
  }
  /* latin-1 unless a code point above U+00FF appears */
  int latin1 = 1;
  for (size_t i = 0; i < h.len; i++) {
    if (h.data[i] >= 0xC4) latin1 = 0; /* lead bytes of code points ≥ U+0100 */
  }
  zr__buf enc;
  zr__buf_init(&enc, out->alloc);
  if (latin1) {
    for (size_t i = 0; i < h.len && st == ZR_OK; i++) {
      if (h.data[i] >= 0xC2 && i + 1 < h.len) {
        st = zr__buf_push(&enc, (uint8_t)(((h.data[i] & 0x03) << 6) | (h.data[i + 1] & 0x3F)));
        i++;
      } else {
        st = zr__buf_push(&enc, h.data[i]);
      }
    }
  } else {
    st = zr__buf_append(&enc, h.data, h.len);
  }
  zr__buf_free(&h);
  if (st != ZR_OK) {
    zr__buf_free(&enc);
    return zr__err_nomem(err);
  }
  uint8_t major = latin1 ? 1 : 3;
  size_t hl = enc.len + 1, pre = 10;
  size_t pad = NPY_ALIGN - ((pre + hl) % NPY_ALIGN);
  if (latin1 && hl + pad > 65535) major = 2;
  if (major != 1) {
    pre = 12;
    pad = NPY_ALIGN - ((pre + hl) % NPY_ALIGN);
  }
  uint64_t total = hl + pad;
  if (total > UINT32_MAX) {
    zr__buf_free(&enc);
    return zr__err(err, ZR_ERR_LIMIT, -1, "npy header too large");
  }
  uint8_t preamble[12];
  memcpy(preamble, NPY_MAGIC, 6);
  preamble[6] = major;
  preamble[7] = 0;
  if (major == 1) zr__st16le(preamble + 8, (uint16_t)total);
  else zr__st32le(preamble + 8, (uint32_t)total);
  st = zr__buf_reserve(out, pre + (size_t)total);
  if (st == ZR_OK) {
    zr__buf_append(out, preamble, pre);
    zr__buf_append(out, enc.data, enc.len);
    for (size_t i = 0; i < pad; i++) zr__buf_push(out, ' ');
    zr__buf_push(out, '\n');
  }
  zr__buf_free(&enc);
  return st == ZR_OK ? ZR_OK : zr__err_nomem(err);
}

zr_status zr__npy_write(const zr_allocator *alloc, const zr_tensor *t, zr_sink *sink, uint32_t *crc, uint64_t *total,
                        zr_error *err) {
  alloc = zr__alloc_or_default(alloc);
  if (!t) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL tensor");
  if (t->dtype < ZR_DT_BOOL || t->dtype > ZR_DT_LONGDOUBLE) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "invalid dtype");
  uint64_t n = zr_tensor_count(t), nbytes;
  if (n == UINT64_MAX || zr__mul_overflow(n, t->itemsize, &nbytes) || nbytes > SIZE_MAX)
    return zr__err(err, ZR_ERR_OVERFLOW, -1, "tensor size overflows");
  if (nbytes && !t->data) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor has no data");
  zr__buf h;
  zr__buf_init(&h, alloc);
  int fortran = 0;
  zr_status st = build_header(t, &h, &fortran, err);
  if (st != ZR_OK) {
    zr__buf_free(&h);
    return st;
  }
  int contiguous = fortran || zr_tensor_is_c_contiguous(t);
  uint8_t *gathered = NULL;
  const uint8_t *payload = t->data;
  if (!contiguous && nbytes) {
    gathered = zr__malloc(alloc, (size_t)nbytes);
    if (!gathered) {
      zr__buf_free(&h);
      return zr__err_nomem(err);
    }
    zr__tensor_gather(t, gathered);
    payload = gathered;
  }
  if (crc) {
    uLong c = crc32(0L, Z_NULL, 0);
    c = crc32_z(c, h.data, h.len);
    if (nbytes) c = crc32_z(c, payload, (z_size_t)nbytes);
    *crc = (uint32_t)c;
  }
  if (total) *total = h.len + nbytes;
  if (sink) {
    st = zr_sink_write(sink, h.data, h.len, err);
    if (st == ZR_OK && nbytes) st = zr_sink_write(sink, payload, (size_t)nbytes, err);
  }
  if (gathered) zr__free(alloc, gathered);
  zr__buf_free(&h);
  return st;
}

zr_status zr_npy_encode(const zr_tensor *t, zr_sink *sink, zr_error *err) {
  if (!sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL sink");
  return zr__npy_write(NULL, t, sink, NULL, NULL, err);
}

zr_status zr_npy_encode_alloc(const zr_tensor *t, const zr_allocator *alloc, zr_sink *sink, zr_error *err) {
  if (!sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL sink");
  return zr__npy_write(alloc, t, sink, NULL, NULL, err);
}

/* ---------------------------------------------------------------------------------------------
 * format vtable */

zr_status zr__json_str(zr__buf *b, const char *s, size_t n) {
  ZR_TRY(zr__buf_push(b, '"'));
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      ZR_TRY(zr__buf_push(b, '\\'));
      ZR_TRY(zr__buf_push(b, c));
    } else if (c < 0x20) {
      ZR_TRY(zr__buf_printf(b, "\\u%04x", c));
    } else {
      ZR_TRY(zr__buf_push(b, c));
    }
  }
  return zr__buf_push(b, '"');
}

static int npy_detect(const uint8_t *data, size_t len) {
  return len >= 8 && memcmp(data, NPY_MAGIC, 6) == 0 ? 100 : 0;
}

static zr_status npy_decode_fmt(const uint8_t *data, size_t len, const zr_decode_opts *opts, zr_doc **out, zr_error *err) {
  return zr_npy_decode(data, len, opts, NULL, out, err);
}

static zr_status npy_encode_fmt(const zr_value *v, const zr_encode_opts *opts, zr_sink *sink, zr_error *err) {
  zr_doc *tmp;
  ZR_TRY(zr__numpy_untable(v, 0, opts, &tmp, &v, err)); /* a table: its columns as one (structured) tensor */
  zr_status st;
  if (!v || v->kind != ZR_KIND_TENSOR) {
    st = zr__err_path(err, ZR_ERR_TYPE, "$", "npy holds one tensor, not a %s", zr_kind_name(zr_kind_of(v)));
  } else {
    st = zr_npy_encode_alloc(v->u.tensor, opts ? opts->alloc : NULL, sink, err);
  }
  zr_doc_free(tmp);
  return st;
}

static zr_status npy_inspect(const uint8_t *data, size_t len, zr_sink *json_out, zr_error *err) {
  zr_doc *doc = zr_doc_new(NULL);
  if (!doc) return zr__err_nomem(err);
  zr_tensor t;
  zr_npy_info info;
  zr_status st = zr_npy_parse(data, len, NULL, 1, doc, &t, &info, err);
  zr__buf b;
  zr__buf_init(&b, zr_allocator_default());
  if (st == ZR_OK) {
    st = zr__buf_printf(&b, "{\"format\":\"npy\",\"version\":\"%u.%u\",\"descr\":", info.major, info.minor);
    if (st == ZR_OK) st = zr__json_str(&b, t.descr, strlen(t.descr));
    if (st == ZR_OK) st = zr__buf_printf(&b, ",\"dtype\":\"%s\",\"shape\":[", zr_dtype_name(t.dtype));
    for (uint32_t i = 0; i < t.ndim && st == ZR_OK; i++) st = zr__buf_printf(&b, i ? ",%lld" : "%lld", (long long)t.shape[i]);
    if (st == ZR_OK)
      st = zr__buf_printf(&b, "],\"order\":\"%s\",\"itemsize\":%llu,\"size\":%llu,\"data_offset\":%llu,\"complete\":%s}",
                          info.fortran_order ? "F" : "C", (unsigned long long)t.itemsize, (unsigned long long)info.data_len,
                          (unsigned long long)info.data_offset, info.data_len <= len - info.data_offset ? "true" : "false");
    if (st == ZR_OK) st = zr_sink_write(json_out, b.data, b.len, err);
    else st = zr__err_nomem(err);
  }
  zr__buf_free(&b);
  zr_doc_free(doc);
  return st;
}

const zr_format zr__format_npy = {
    "npy", ZR_FORMAT_ID_NPY, "NumPy .npy array file (versions 1.0-3.0), zero-copy views",
    npy_detect, npy_decode_fmt, npy_encode_fmt, npy_inspect,
};
