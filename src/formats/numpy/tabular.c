/* Tensors ↔ tables: the mapping `zerial convert` and the format encoders use between NumPy
 * layouts (npy, npz, pickle, binary tensors) and Arrow tables.
 *
 *   1-D tensor                ↔ one column named "values"
 *   2-D tensor (n × k)        → k columns "0" … "k-1" (back: a structured tensor)
 *   1-D structured tensor     ↔ one column per named field (padding skipped)
 *   map of equal-length 1-D tensors (npz) ↔ one column per member
 *
 * Column types: bool ↔ b (bit-packed), int/uint 8–64, float16/32/64, datetime64[D] ↔ date32,
 * datetime64[s|ms|us|ns] ↔ timestamp (NaT ↔ null), timedelta64[s|ms|us|ns] ↔ duration,
 * S<n> ↔ fixed_size_binary(n), U<n> ↔ utf8. Big-endian tensors are swapped. What cannot map
 * (complex, nested or subarray fields, other time units, nulls in integer columns, …) fails with
 * ZR_ERR_TYPE and the value path. */
#include <stdio.h>
#include <stdlib.h>

#include "formats/numpy/numpy_internal.h"
#include "formats/numpy/pylit.h"

#define NT_NAT INT64_MIN

/* ------------------------------------------------------------------------------------------
 * C Data Interface nodes owned by this module: one allocation per node (private block holding
 * the buffer and child pointer arrays) plus owned data buffers. */

typedef struct nt_priv {
  const zr_allocator *a;
  void *owned[2];
  struct ArrowArray **kids;
  int64_t nkids;
} nt_priv;

static void nt_array_release(struct ArrowArray *x) {
  if (!x || !x->release) return;
  nt_priv *p = x->private_data;
  for (int64_t i = 0; i < p->nkids; i++) {
    if (p->kids[i]->release) p->kids[i]->release(p->kids[i]);
    zr__free(p->a, p->kids[i]);
  }
  for (int i = 0; i < 2; i++)
    if (p->owned[i]) zr__free(p->a, p->owned[i]);
  if (p->kids) zr__free(p->a, p->kids);
  zr__free(p->a, (void *)x->buffers);
  zr__free(p->a, p);
  x->release = NULL;
}

static zr_status nt_array_make(const zr_allocator *a, struct ArrowArray *x, int64_t nbuf, int64_t nkids) {
  memset(x, 0, sizeof *x);
  nt_priv *p = zr__malloc(a, sizeof *p);
  const void **bufs = zr__malloc(a, (size_t)(nbuf ? nbuf : 1) * sizeof *bufs);
  struct ArrowArray **kids = nkids ? zr__malloc(a, (size_t)nkids * sizeof *kids) : NULL;
  if (!p || !bufs || (nkids && !kids)) {
    zr__free(a, p);
    zr__free(a, (void *)bufs);
    zr__free(a, kids);
    return ZR_ERR_NOMEM;
  }
  memset(p, 0, sizeof *p);
  memset(bufs, 0, (size_t)(nbuf ? nbuf : 1) * sizeof *bufs);
  p->a = a;
  p->kids = kids;
  for (int64_t i = 0; i < nkids; i++) {
    kids[i] = zr__malloc(a, sizeof **kids);
    if (!kids[i]) {
      p->nkids = i;
      x->buffers = bufs;
      x->private_data = p;
      x->release = nt_array_release;
      nt_array_release(x);
      return ZR_ERR_NOMEM;
    }
    memset(kids[i], 0, sizeof **kids);
  }
  p->nkids = nkids;
  x->n_buffers = nbuf;
  x->n_children = nkids;
  x->buffers = bufs;
  x->children = kids;
  x->private_data = p;
  x->release = nt_array_release;
  return ZR_OK;
}

typedef struct nt_spriv {
  const zr_allocator *a;
  char *format, *name;
  struct ArrowSchema **kids;
  int64_t nkids;
} nt_spriv;

static void nt_schema_release(struct ArrowSchema *s) {
  if (!s || !s->release) return;
  nt_spriv *p = s->private_data;
  for (int64_t i = 0; i < p->nkids; i++) {
    if (p->kids[i]->release) p->kids[i]->release(p->kids[i]);
    zr__free(p->a, p->kids[i]);
  }
  zr__free(p->a, p->kids);
  zr__free(p->a, p->format);
  zr__free(p->a, p->name);
  zr__free(p->a, p);
  s->release = NULL;
}

static char *nt_strdup(const zr_allocator *a, const char *s) {
  size_t n = strlen(s);
  char *d = zr__malloc(a, n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

static zr_status nt_schema_make(const zr_allocator *a, struct ArrowSchema *s, const char *fmt, const char *name,
                                int64_t flags, int64_t nkids) {
  memset(s, 0, sizeof *s);
  nt_spriv *p = zr__malloc(a, sizeof *p);
  if (!p) return ZR_ERR_NOMEM;
  memset(p, 0, sizeof *p);
  p->a = a;
  s->private_data = p;
  s->release = nt_schema_release;
  p->format = nt_strdup(a, fmt);
  p->name = nt_strdup(a, name ? name : "");
  if (nkids) p->kids = zr__malloc(a, (size_t)nkids * sizeof *p->kids);
  if (!p->format || !p->name || (nkids && !p->kids)) {
    nt_schema_release(s);
    return ZR_ERR_NOMEM;
  }
  for (int64_t i = 0; i < nkids; i++) {
    p->kids[i] = zr__malloc(a, sizeof **p->kids);
    if (!p->kids[i]) {
      nt_schema_release(s);
      return ZR_ERR_NOMEM;
    }
    memset(p->kids[i], 0, sizeof **p->kids);
    p->nkids = i + 1;
  }
  s->format = p->format;
  s->name = p->name;
  s->flags = flags;
  s->n_children = nkids;
  s->children = p->kids;
  return ZR_OK;
}

/* ------------------------------------------------------------------------------------------
 * tensor columns → Arrow */

/* One column to build: @p n values of @p size bytes at @p base, @p stride apart. */
typedef struct ncol {
  char name[256];
  zr_dtype dt;
  zr_byte_order order;
  zr_time_unit tu;
  uint64_t size;
  const uint8_t *base;
  int64_t stride, n;
} ncol;

static zr_status type_err(zr_error *err, const char *path, const char *fmt, const char *what) {
  return zr__err_path(err, ZR_ERR_TYPE, path, fmt, what);
}

static const char *ts_unit(zr_time_unit tu) {
  switch (tu) {
    case ZR_TU_SECOND: return "s";
    case ZR_TU_MILLI: return "m";
    case ZR_TU_MICRO: return "u";
    case ZR_TU_NANO: return "n";
    default: return NULL;
  }
}

static zr_status col_format(const ncol *c, char *fmt, size_t cap, const char *path, zr_error *err) {
  static const char *num[] = {[ZR_DT_BOOL] = "b", [ZR_DT_INT8] = "c", [ZR_DT_INT16] = "s", [ZR_DT_INT32] = "i",
                              [ZR_DT_INT64] = "l", [ZR_DT_UINT8] = "C", [ZR_DT_UINT16] = "S", [ZR_DT_UINT32] = "I",
                              [ZR_DT_UINT64] = "L", [ZR_DT_FLOAT16] = "e", [ZR_DT_FLOAT32] = "f", [ZR_DT_FLOAT64] = "g"};
  if (c->dt >= ZR_DT_BOOL && c->dt <= ZR_DT_FLOAT64) {
    snprintf(fmt, cap, "%s", num[c->dt]);
    return ZR_OK;
  }
  if (c->dt == ZR_DT_DATETIME64 && c->tu == ZR_TU_DAY) {
    snprintf(fmt, cap, "tdD");
    return ZR_OK;
  }
  if ((c->dt == ZR_DT_DATETIME64 || c->dt == ZR_DT_TIMEDELTA64) && ts_unit(c->tu)) {
    snprintf(fmt, cap, c->dt == ZR_DT_DATETIME64 ? "ts%s:" : "tD%s", ts_unit(c->tu));
    return ZR_OK;
  }
  if (c->dt == ZR_DT_DATETIME64 || c->dt == ZR_DT_TIMEDELTA64)
    return type_err(err, path, "%s with this time unit has no Arrow type (use D, s, ms, us or ns)", zr_dtype_name(c->dt));
  if (c->dt == ZR_DT_BYTES) {
    if (c->size == 0) return type_err(err, path, "%s: zero-width bytes have no Arrow column", "S0");
    snprintf(fmt, cap, "w:%llu", (unsigned long long)c->size);
    return ZR_OK;
  }
  if (c->dt == ZR_DT_UNICODE) {
    snprintf(fmt, cap, "u");
    return ZR_OK;
  }
  return type_err(err, path, "a %s column cannot become an Arrow column (numeric, bool, datetime, bytes and unicode can)",
                  zr_dtype_name(c->dt));
}

static uint64_t ld_elem(const uint8_t *p, uint64_t size, int big) {
  uint64_t v = 0;
  for (uint64_t i = 0; i < size; i++) v |= (uint64_t)p[big ? size - 1 - i : i] << (8 * i);
  return v;
}

static void st_elem(uint8_t *p, uint64_t v, uint64_t size) {
  for (uint64_t i = 0; i < size; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* UCS-4 code points (trailing NULs dropped) to UTF-8. */
static size_t ucs4_to_utf8(const uint8_t *p, uint64_t nchars, int big, uint8_t *out) {
  while (nchars && ld_elem(p + 4 * (nchars - 1), 4, big) == 0) nchars--;
  size_t k = 0;
  for (uint64_t i = 0; i < nchars; i++) {
    uint32_t c = (uint32_t)ld_elem(p + 4 * i, 4, big);
    if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
    if (c < 0x80) out[k++] = (uint8_t)c;
    else if (c < 0x800) {
      out[k++] = (uint8_t)(0xC0 | (c >> 6));
      out[k++] = (uint8_t)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out[k++] = (uint8_t)(0xE0 | (c >> 12));
      out[k++] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
      out[k++] = (uint8_t)(0x80 | (c & 0x3F));
    } else {
      out[k++] = (uint8_t)(0xF0 | (c >> 18));
      out[k++] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
      out[k++] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
      out[k++] = (uint8_t)(0x80 | (c & 0x3F));
    }
  }
  return k;
}

static zr_status build_col(const zr_allocator *a, const ncol *c, struct ArrowSchema *s, struct ArrowArray *x,
                           const char *path, zr_error *err) {
  char fmt[40];
  ZR_TRY(col_format(c, fmt, sizeof fmt, path, err));
  if (nt_schema_make(a, s, fmt, c->name, ARROW_FLAG_NULLABLE, 0)) return zr__err_nomem(err);
  int utf8 = c->dt == ZR_DT_UNICODE;
  if (nt_array_make(a, x, utf8 ? 3 : 2, 0)) return zr__err_nomem(err);
  nt_priv *p = x->private_data;
  int64_t n = c->n;
  int big = c->order == ZR_ORDER_BIG && c->size > 1;
  x->length = n;
  if (c->dt == ZR_DT_BOOL) {
    uint8_t *bits = zr__malloc(a, (size_t)(n + 7) / 8 + 1);
    if (!bits) return zr__err_nomem(err);
    memset(bits, 0, (size_t)(n + 7) / 8 + 1);
    for (int64_t i = 0; i < n; i++)
      if (c->base[i * c->stride]) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
    p->owned[0] = bits;
    x->buffers[1] = bits;
    return ZR_OK;
  }
  if (utf8) {
    uint64_t chars = c->size / 4, cap;
    if (__builtin_mul_overflow(chars * 4, (uint64_t)n, &cap) || cap > INT32_MAX)
      return type_err(err, path, "%s column too large for utf8 (2 GiB of text)", "unicode");
    int32_t *offs = zr__malloc(a, (size_t)(n + 1) * 4);
    uint8_t *text = zr__malloc(a, (size_t)cap + 1);
    p->owned[0] = offs;
    p->owned[1] = text;
    if (!offs || !text) return zr__err_nomem(err);
    offs[0] = 0;
    size_t k = 0;
    for (int64_t i = 0; i < n; i++) {
      k += ucs4_to_utf8(c->base + i * c->stride, chars, c->order == ZR_ORDER_BIG, text + k);
      offs[i + 1] = (int32_t)k;
    }
    x->buffers[1] = offs;
    x->buffers[2] = text;
    return ZR_OK;
  }
  int temporal = c->dt == ZR_DT_DATETIME64 || c->dt == ZR_DT_TIMEDELTA64;
  int days = c->dt == ZR_DT_DATETIME64 && c->tu == ZR_TU_DAY;
  uint64_t osize = days ? 4 : c->size;
  int view = !big && !temporal && c->stride == (int64_t)c->size && ((uintptr_t)c->base % (c->size > 8 ? 8 : c->size)) == 0;
  if (view) { /* borrowed: the table lives no longer than the tensor it came from */
    x->buffers[1] = c->base;
    return ZR_OK;
  }
  uint8_t *d = zr__malloc(a, (size_t)(osize * (uint64_t)n) + 1);
  if (!d) return zr__err_nomem(err);
  p->owned[0] = d;
  x->buffers[1] = d;
  uint8_t *valid = NULL;
  for (int64_t i = 0; i < n; i++) {
    const uint8_t *src = c->base + i * c->stride;
    if (c->size > 8) { /* fixed bytes */
      memcpy(d + i * (int64_t)osize, src, (size_t)c->size);
      continue;
    }
    uint64_t v = ld_elem(src, c->size, big);
    if (temporal && (int64_t)v == NT_NAT) {
      if (!valid) {
        valid = zr__malloc(a, (size_t)(n + 7) / 8 + 1);
        if (!valid) return zr__err_nomem(err);
        memset(valid, 0xFF, (size_t)(n + 7) / 8 + 1);
        p->owned[1] = valid;
      }
      valid[i >> 3] &= (uint8_t) ~(1u << (i & 7));
      x->null_count++;
      v = 0;
    }
    if (days) {
      int64_t dv = (int64_t)v;
      if (dv < INT32_MIN || dv > INT32_MAX) {
        char where[ZR_ERROR_PATH_MAX];
        snprintf(where, sizeof where, "%s[%lld]", path, (long long)i);
        return type_err(err, where, "%s: a date beyond the int32 days of Arrow's date32", "datetime64[D]");
      }
    }
    st_elem(d + i * (int64_t)osize, v, osize);
  }
  x->buffers[0] = valid;
  return ZR_OK;
}

static int tensor_col(const zr_tensor *t, ncol *c, const char *name) {
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "%s", name);
  c->dt = t->dtype;
  c->order = t->byte_order;
  c->tu = t->time_unit;
  c->size = t->itemsize;
  c->base = t->data;
  c->n = t->ndim ? t->shape[0] : 1;
  c->stride = t->ndim ? t->strides[0] : (int64_t)t->itemsize;
  return 0;
}

/* Fields of a structured tensor's descr as columns, with their value paths ("$.<field>");
 * ZR_ERR_TYPE for what cannot map. */
static zr_status struct_cols(const zr_tensor *t, zr_doc *tmp, ncol **cols, const char ***paths, int64_t *ncols,
                             zr_error *err) {
  zr_value d;
  if (!t->descr || t->descr[0] != '[') return type_err(err, "$", "%s: raw void data has no columns", "tensor");
  ZR_TRY(zr__pylit_parse(t->descr, strlen(t->descr), tmp, &d, -1, err)); /* text starting with '[': a list */
  *cols = zr_doc_alloc(tmp, (size_t)(d.n.len ? d.n.len : 1) * sizeof **cols, 8);
  *paths = zr_doc_alloc(tmp, (size_t)(d.n.len ? d.n.len : 1) * sizeof **paths, 8);
  if (!*cols || !*paths) return zr__err_nomem(err);
  uint64_t off = 0;
  int64_t k = 0;
  for (uint64_t i = 0; i < d.n.len; i++) {
    const zr_value *f = &d.u.items[i];
    if (f->kind != ZR_KIND_TUPLE || f->n.len < 2) return type_err(err, "$", "%s: malformed field in descr", "tensor");
    const zr_value *nm = &f->u.items[0], *ty = &f->u.items[1];
    if (nm->kind == ZR_KIND_TUPLE && nm->n.len == 2) nm = &nm->u.items[1]; /* (title, name) */
    if (nm->kind != ZR_KIND_STRING) return type_err(err, "$", "%s: field name is not a string", "tensor");
    char path[ZR_ERROR_PATH_MAX];
    snprintf(path, sizeof path, "$.%.*s", (int)(nm->n.len > 200 ? 200 : nm->n.len), nm->u.str);
    zr_tensor ft;
    memset(&ft, 0, sizeof ft);
    ZR_TRY(zr__npy_descr_apply(ty, &ft, -1, err));
    if (nm->n.len == 0) { /* padding */
      off += ft.itemsize;
      continue;
    }
    if (f->n.len > 2) return type_err(err, path, "%s: subarray fields have no column mapping", "field");
    if (ty->kind != ZR_KIND_STRING) return type_err(err, path, "%s: nested structured fields have no column mapping", "field");
    char *cp = zr_doc_alloc(tmp, strlen(path) + 1, 1);
    if (!cp) return zr__err_nomem(err);
    memcpy(cp, path, strlen(path) + 1);
    (*paths)[k] = cp;
    ncol *c = &(*cols)[k++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%.*s", (int)(nm->n.len > 255 ? 255 : nm->n.len), nm->u.str);
    c->dt = ft.dtype;
    c->order = ft.byte_order;
    c->tu = ft.time_unit;
    c->size = ft.itemsize;
    c->base = (const uint8_t *)t->data + off;
    c->n = t->shape[0];
    c->stride = t->strides[0];
    off += ft.itemsize;
  }
  if (off != t->itemsize) return type_err(err, "$", "%s: descr does not add up to the item size", "tensor");
  *ncols = k;
  return ZR_OK;
}

static zr_status cols_to_table(const zr_allocator *a, ncol *cols, int64_t ncols, const char *const *paths,
                               zr_table *out, zr_error *err) {
  memset(out, 0, sizeof *out);
  int64_t rows = ncols ? cols[0].n : 0;
  if (nt_schema_make(a, &out->schema, "+s", "", 0, ncols)) return zr__err_nomem(err);
  out->batches = zr__malloc(a, sizeof *out->batches);
  out->alloc_ctx = (void *)a;
  if (!out->batches || nt_array_make(a, &out->batches[0], 1, ncols)) {
    zr_table_release(out);
    return zr__err_nomem(err);
  }
  out->n_batches = 1;
  out->batches[0].length = rows;
  for (int64_t i = 0; i < ncols; i++) {
    zr_status st = build_col(a, &cols[i], out->schema.children[i], out->batches[0].children[i], paths ? paths[i] : "$", err);
    if (st) {
      zr_table_release(out);
      return st;
    }
  }
  return ZR_OK;
}

zr_status zr_numpy_to_table(const zr_value *v, zr_table *out, zr_error *err) {
  if (!v || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  memset(out, 0, sizeof *out);
  const zr_allocator *a = zr_allocator_default();
  zr_doc *tmp = zr_doc_new(NULL);
  if (!tmp) return zr__err_nomem(err);
  ncol *cols = NULL;
  int64_t ncols = 0;
  const char **paths = NULL;
  zr_status st = ZR_OK;
  if (v->kind == ZR_KIND_TENSOR) {
    const zr_tensor *t = v->u.tensor;
    if (t->ndim == 0 || t->ndim > 2) {
      st = type_err(err, "$", "a %s tensor has no table mapping (1-D and 2-D tensors do)", t->ndim ? "3-D or higher" : "0-D");
    } else if (t->dtype == ZR_DT_VOID) {
      if (t->ndim != 1) st = type_err(err, "$", "%s: only 1-D structured tensors map to tables", "tensor");
      else st = struct_cols(t, tmp, &cols, &paths, &ncols, err);
    } else if (t->ndim == 1) {
      cols = zr_doc_alloc(tmp, sizeof *cols, 8);
      if (!cols) st = zr__err_nomem(err);
      else {
        tensor_col(t, &cols[0], "values");
        ncols = 1;
      }
    } else {
      int64_t k = t->shape[1];
      cols = zr_doc_alloc(tmp, (size_t)(k ? k : 1) * sizeof *cols, 8);
      if (!cols) st = zr__err_nomem(err);
      for (int64_t j = 0; !st && j < k; j++) {
        char nm[32];
        snprintf(nm, sizeof nm, "%lld", (long long)j);
        tensor_col(t, &cols[j], nm);
        cols[j].base = (const uint8_t *)t->data + j * t->strides[1];
      }
      ncols = k;
    }
  } else if (v->kind == ZR_KIND_MAP) {
    cols = zr_doc_alloc(tmp, (size_t)(v->n.len ? v->n.len : 1) * sizeof *cols, 8);
    paths = zr_doc_alloc(tmp, (size_t)(v->n.len ? v->n.len : 1) * sizeof *paths, 8);
    if (!cols || !paths) st = zr__err_nomem(err);
    for (uint64_t i = 0; !st && i < v->n.len; i++) {
      const zr_value *k = &v->u.members[i].key, *x = &v->u.members[i].val;
      char *path = zr_doc_alloc(tmp, ZR_ERROR_PATH_MAX, 1);
      if (!path) {
        st = zr__err_nomem(err);
        break;
      }
      snprintf(path, ZR_ERROR_PATH_MAX, "$.%.*s", (int)(k->kind == ZR_KIND_STRING && k->n.len < 200 ? k->n.len : 0),
               k->kind == ZR_KIND_STRING ? k->u.str : "");
      paths[i] = path;
      if (k->kind != ZR_KIND_STRING) st = type_err(err, "$", "%s: member names must be strings", "map");
      else if (x->kind != ZR_KIND_TENSOR || x->u.tensor->ndim != 1)
        st = type_err(err, path, "%s: every member must be a 1-D tensor to become a column", "map");
      else if (i && x->u.tensor->shape[0] != cols[0].n)
        st = type_err(err, path, "%s: members must have equal lengths to become columns", "map");
      else {
        char nm[256];
        snprintf(nm, sizeof nm, "%.*s", (int)(k->n.len > 255 ? 255 : k->n.len), k->u.str);
        tensor_col(x->u.tensor, &cols[i], nm);
      }
    }
    ncols = (int64_t)v->n.len;
  } else {
    st = type_err(err, "$", "a %s is neither a tensor nor a map of tensors", zr_kind_name(zr_kind_of(v)));
  }
  if (!st) st = cols_to_table(a, cols, ncols, paths, out, err);
  zr_doc_free(tmp);
  return st;
}

int zr_numpy_is_tensor_table(const zr_value *v) {
  if (!v) return 0;
  if (v->kind == ZR_KIND_TENSOR) return 1;
  if (v->kind != ZR_KIND_MAP || v->n.len == 0) return 0;
  for (uint64_t i = 0; i < v->n.len; i++)
    if (v->u.members[i].val.kind != ZR_KIND_TENSOR) return 0;
  return 1;
}

/* ------------------------------------------------------------------------------------------
 * Arrow → tensor columns */

/* One batch's part of a column: rows [off, off + len) of the child array's buffers. */
typedef struct cslice {
  const struct ArrowArray *a;
  int64_t off, len;
} cslice;

typedef struct tcol {
  zr_dtype dt;
  zr_time_unit tu;
  uint64_t size;        /* bytes per element in the tensor */
  int kind;             /* 0 fixed copy, 1 bool bits, 2 date32 → int64, 3 utf8 → UCS-4, 4 large utf8, 5 date64 */
  char descr[24];
} tcol;

/* A lossy mapping at @p path: a warning, or ZR_ERR_LOSSY when strict. */
static zr_status np_lossy(zr_warnings *w, int strict, const char *path, const char *what, zr_error *err) {
  if (strict) return zr__err_path(err, ZR_ERR_LOSSY, path, "%s", what);
  zr_warnings_add(w, ZR_ERR_LOSSY, path, "%s", what);
  return ZR_OK;
}

static zr_status col_from_format(const struct ArrowSchema *s, const cslice *arrs, int64_t nb,
                                 tcol *c, const char *path, zr_warnings *w, int strict, zr_error *err) {
  const char *f = s->format;
  memset(c, 0, sizeof *c);
  if (s->dictionary) return type_err(err, path, "%s: dictionary-encoded columns have no NumPy dtype", "column");
  static const struct { const char *f; zr_dtype dt; uint64_t size; const char *descr; } prim[] = {
      {"c", ZR_DT_INT8, 1, "|i1"},  {"s", ZR_DT_INT16, 2, "<i2"},  {"i", ZR_DT_INT32, 4, "<i4"},  {"l", ZR_DT_INT64, 8, "<i8"},
      {"C", ZR_DT_UINT8, 1, "|u1"}, {"S", ZR_DT_UINT16, 2, "<u2"}, {"I", ZR_DT_UINT32, 4, "<u4"}, {"L", ZR_DT_UINT64, 8, "<u8"},
      {"e", ZR_DT_FLOAT16, 2, "<f2"}, {"f", ZR_DT_FLOAT32, 4, "<f4"}, {"g", ZR_DT_FLOAT64, 8, "<f8"}};
  for (size_t i = 0; i < sizeof prim / sizeof prim[0]; i++)
    if (!strcmp(f, prim[i].f)) {
      c->dt = prim[i].dt;
      c->size = prim[i].size;
      snprintf(c->descr, sizeof c->descr, "%s", prim[i].descr);
      return ZR_OK;
    }
  if (!strcmp(f, "b")) {
    c->dt = ZR_DT_BOOL;
    c->size = 1;
    c->kind = 1;
    snprintf(c->descr, sizeof c->descr, "|b1");
    return ZR_OK;
  }
  if (!strcmp(f, "tdD") || !strcmp(f, "tdm")) {
    c->dt = ZR_DT_DATETIME64;
    c->tu = f[2] == 'D' ? ZR_TU_DAY : ZR_TU_MILLI;
    c->size = 8;
    c->kind = f[2] == 'D' ? 2 : 5;
    snprintf(c->descr, sizeof c->descr, "<M8[%s]", f[2] == 'D' ? "D" : "ms");
    return ZR_OK;
  }
  if ((!strncmp(f, "ts", 2) && f[2] && f[3] == ':') || (!strncmp(f, "tD", 2) && f[2] && !f[3])) {
    static const char units[] = "smun";
    const char *u = strchr(units, f[2]);
    if (!u) return type_err(err, path, "%s: unknown time unit", "column");
    static const char *un[] = {"s", "ms", "us", "ns"};
    static const zr_time_unit tus[] = {ZR_TU_SECOND, ZR_TU_MILLI, ZR_TU_MICRO, ZR_TU_NANO};
    if (f[1] == 's' && f[4])
      ZR_TRY(np_lossy(w, strict, path, "timestamp time zone dropped (datetime64 has none; the values stay UTC)", err));
    c->dt = f[1] == 's' ? ZR_DT_DATETIME64 : ZR_DT_TIMEDELTA64;
    c->tu = tus[u - units];
    c->size = 8;
    snprintf(c->descr, sizeof c->descr, "<%c8[%s]", f[1] == 's' ? 'M' : 'm', un[u - units]);
    return ZR_OK;
  }
  if (!strncmp(f, "w:", 2)) {
    long w = strtol(f + 2, NULL, 10);
    if (w <= 0) return type_err(err, path, "%s: zero-width binary has no NumPy dtype", "column");
    c->dt = ZR_DT_BYTES;
    c->size = (uint64_t)w;
    snprintf(c->descr, sizeof c->descr, "|S%ld", w);
    return ZR_OK;
  }
  if (!strcmp(f, "u") || !strcmp(f, "U")) {
    int large = f[0] == 'U';
    uint64_t maxc = 1;
    for (int64_t b = 0; b < nb; b++) { /* widest value in code points */
      const struct ArrowArray *x = arrs[b].a;
      const uint8_t *o = x->buffers[1], *d = x->buffers[2];
      for (int64_t i = 0; i < arrs[b].len; i++) {
        int64_t j = arrs[b].off + i;
        int64_t s0 = large ? (int64_t)zr__ld64le(o + 8 * j) : (int32_t)zr__ld32le(o + 4 * j);
        int64_t s1 = large ? (int64_t)zr__ld64le(o + 8 * (j + 1)) : (int32_t)zr__ld32le(o + 4 * (j + 1));
        uint64_t k = 0;
        for (int64_t q = s0; q < s1; q++) k += (d[q] & 0xC0) != 0x80;
        if (k > maxc) maxc = k;
      }
    }
    c->dt = ZR_DT_UNICODE;
    c->size = 4 * maxc;
    c->kind = large ? 4 : 3;
    snprintf(c->descr, sizeof c->descr, "<U%llu", (unsigned long long)maxc);
    return ZR_OK;
  }
  return type_err(err, path, "an Arrow column of type '%s' has no NumPy dtype", f);
}

/* UTF-8 (valid, as the reader checked or the producer promised) to UCS-4, zero-padded. */
static void utf8_to_ucs4(const uint8_t *s, size_t n, uint8_t *out, uint64_t chars) {
  uint64_t k = 0;
  for (size_t i = 0; i < n && k < chars;) {
    uint32_t c = s[i];
    int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (len > 1) c &= (uint32_t)(0xFF >> (len + 1));
    for (int j = 1; j < len && i + (size_t)j < n; j++) c = (c << 6) | (s[i + j] & 0x3F);
    zr__st32le(out + 4 * k++, c);
    i += (size_t)len;
  }
  for (; k < chars; k++) zr__st32le(out + 4 * k, 0);
}

/* Write the values of column arrays into @p dst (@p stride bytes apart). */
static zr_status fill_col(const tcol *c, const cslice *arrs, int64_t nb, uint8_t *dst, int64_t stride,
                          const char *path, zr_warnings *w, int strict, zr_error *err) {
  int64_t row = 0;
  int warned = 0;
  for (int64_t b = 0; b < nb; b++) {
    const struct ArrowArray *x = arrs[b].a;
    const uint8_t *vb = x->null_count ? x->buffers[0] : NULL;
    for (int64_t i = 0; i < arrs[b].len; i++, row++) {
      int64_t j = arrs[b].off + i;
      uint8_t *o = dst + row * stride;
      if (vb && !((vb[j >> 3] >> (j & 7)) & 1)) {
        if ((c->dt == ZR_DT_FLOAT16 || c->dt == ZR_DT_FLOAT32 || c->dt == ZR_DT_FLOAT64) && !warned) {
          char where[ZR_ERROR_PATH_MAX];
          snprintf(where, sizeof where, "%s[%lld]", path, (long long)row);
          ZR_TRY(np_lossy(w, strict, where, "null stored as NaN (reads back as NaN, not null)", err));
          warned = 1;
        }
        if (c->dt == ZR_DT_DATETIME64 || c->dt == ZR_DT_TIMEDELTA64) {
          zr__st64le(o, (uint64_t)NT_NAT);
        } else if (c->dt == ZR_DT_FLOAT32) {
          float nan = __builtin_nanf("");
          memcpy(o, &nan, 4);
        } else if (c->dt == ZR_DT_FLOAT64) {
          double nan = __builtin_nan("");
          memcpy(o, &nan, 8);
        } else if (c->dt == ZR_DT_FLOAT16) {
          zr__st16le(o, 0x7E00);
        } else {
          char where[ZR_ERROR_PATH_MAX];
          snprintf(where, sizeof where, "%s[%lld]", path, (long long)row);
          return type_err(err, where, "a null in a %s column has no NumPy value (floats become NaN, times NaT)",
                          zr_dtype_name(c->dt));
        }
        continue;
      }
      switch (c->kind) {
        case 0: memcpy(o, (const uint8_t *)x->buffers[1] + (uint64_t)j * c->size, (size_t)c->size); break;
        case 1: *o = ((const uint8_t *)x->buffers[1])[j >> 3] >> (j & 7) & 1; break;
        case 2: zr__st64le(o, (uint64_t)(int64_t)(int32_t)zr__ld32le((const uint8_t *)x->buffers[1] + 4 * j)); break;
        case 5: memcpy(o, (const uint8_t *)x->buffers[1] + 8 * j, 8); break;
        default: {
          int large = c->kind == 4;
          const uint8_t *ob = x->buffers[1];
          int64_t s0 = large ? (int64_t)zr__ld64le(ob + 8 * j) : (int32_t)zr__ld32le(ob + 4 * j);
          int64_t s1 = large ? (int64_t)zr__ld64le(ob + 8 * (j + 1)) : (int32_t)zr__ld32le(ob + 4 * (j + 1));
          utf8_to_ucs4((const uint8_t *)x->buffers[2] + s0, (size_t)(s1 - s0), o, c->size / 4);
        }
      }
    }
  }
  return ZR_OK;
}

static void tensor_free_data(void *p) { zr__free(zr_allocator_default(), p); }

zr_status zr_numpy_from_table(const zr_table *t, zr_doc *doc, int as_map, zr_warnings *warnings, int strict,
                              zr_value *out, zr_error *err) {
  if (!t || !doc || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  int64_t ncols = t->schema.n_children, rows = zr_table_num_rows(t), nb = t->n_batches;
  if (ncols == 0) return type_err(err, "$", "%s: a table without columns has no NumPy form", "table");
  const zr_allocator *a = zr_allocator_default();
  tcol *cols = zr__malloc(a, (size_t)ncols * sizeof *cols);
  cslice *arrs = zr__malloc(a, (size_t)(nb ? nb : 1) * sizeof *arrs);
  zr_status st = cols && arrs ? ZR_OK : zr__err_nomem(err);
  char (*paths)[ZR_ERROR_PATH_MAX] = st ? NULL : zr__malloc(a, (size_t)ncols * ZR_ERROR_PATH_MAX);
  if (!st && !paths) st = zr__err_nomem(err);
  uint64_t itemsize = 0;
  for (int64_t i = 0; !st && i < ncols; i++) {
    const struct ArrowSchema *cs = t->schema.children[i];
    snprintf(paths[i], ZR_ERROR_PATH_MAX, "$.%.200s", cs->name ? cs->name : "");
    for (int64_t b = 0; b < nb && !st; b++) {
      const struct ArrowArray *bt = &t->batches[b], *x = bt->children[i];
      arrs[b] = (cslice){x, x->offset + bt->offset, bt->length};
      if (x->length < bt->offset + bt->length)
        st = type_err(err, paths[i], "%s: a column shorter than its batch", "table");
    }
    if (!st) st = col_from_format(cs, arrs, nb, &cols[i], paths[i], warnings, strict, err);
    itemsize += cols[i].size;
  }
  zr_value res = zr_null();
  if (!st && as_map) res = zr_map_new(doc, (size_t)ncols);
  zr__buf descr;
  zr__buf_init(&descr, a);
  if (!st && !as_map && ncols > 1) st = zr__buf_push(&descr, '[') ? zr__err_nomem(err) : ZR_OK;
  uint8_t *rec = NULL;
  if (!st && !as_map && ncols > 1) {
    rec = zr__malloc(a, (size_t)(itemsize * (uint64_t)rows) + 1);
    if (!rec) st = zr__err_nomem(err);
  }
  uint64_t off = 0;
  for (int64_t i = 0; !st && i < ncols; i++) {
    for (int64_t b = 0; b < nb; b++) {
      const struct ArrowArray *bt = &t->batches[b], *cx = bt->children[i];
      arrs[b] = (cslice){cx, cx->offset + bt->offset, bt->length};
    }
    zr_tensor x;
    memset(&x, 0, sizeof x);
    x.dtype = cols[i].dt;
    x.time_unit = cols[i].tu;
    x.itemsize = cols[i].size;
    if (rec) { /* one field of a structured record */
      st = fill_col(&cols[i], arrs, nb, rec + off, (int64_t)itemsize, paths[i], warnings, strict, err);
      const char *nm = t->schema.children[i]->name ? t->schema.children[i]->name : "";
      zr_value nv = zr_str_ref(nm, strlen(nm));
      if (!st && ((i && zr__buf_append(&descr, ", ", 2)) || zr__buf_push(&descr, '(') || zr__pylit_repr(&descr, &nv) ||
                  zr__buf_printf(&descr, ", '%s')", cols[i].descr)))
        st = zr__err_nomem(err);
      off += cols[i].size;
      continue;
    }
    uint8_t *data = zr__malloc(a, (size_t)(x.itemsize * (uint64_t)rows) + 1);
    if (!data) {
      st = zr__err_nomem(err);
      break;
    }
    st = fill_col(&cols[i], arrs, nb, data, (int64_t)x.itemsize, paths[i], warnings, strict, err);
    if (!st) st = zr_tensor_init(&x, x.dtype, x.itemsize, 1, &rows, data, err);
    if (st) {
      zr__free(a, data);
      break;
    }
    x.time_unit = cols[i].tu;
    x.release = tensor_free_data;
    x.owner = data;
    char *ds = zr_doc_alloc(doc, strlen(cols[i].descr) + 1, 1);
    if (ds) strcpy(ds, cols[i].descr);
    x.descr = ds;
    zr_value tv = zr_tensor_value(doc, &x);
    if (tv.kind != ZR_KIND_TENSOR) {
      tensor_free_data(data);
      st = zr__err_nomem(err);
      break;
    }
    if (!as_map) {
      res = tv;
      break;
    }
    const char *nm = t->schema.children[i]->name ? t->schema.children[i]->name : "";
    if (zr_map_put(doc, &res, zr_str_copy(doc, nm, strlen(nm)), tv)) st = zr__err_nomem(err);
  }
  if (!st && rec) {
    zr_tensor x;
    memset(&x, 0, sizeof x);
    if (zr__buf_push(&descr, ']') || zr__buf_push(&descr, 0)) st = zr__err_nomem(err);
    if (!st) st = zr_tensor_init(&x, ZR_DT_VOID, itemsize, 1, &rows, rec, err);
    if (!st) {
      x.release = tensor_free_data;
      x.owner = rec;
      char *ds = zr_doc_alloc(doc, descr.len, 1);
      if (ds) memcpy(ds, descr.data, descr.len);
      x.descr = ds;
      res = zr_tensor_value(doc, &x);
      if (res.kind != ZR_KIND_TENSOR) st = zr__err_nomem(err);
      else rec = NULL; /* the doc owns it now */
    }
  }
  if (rec) zr__free(a, rec);
  zr__buf_free(&descr);
  zr__free(a, cols);
  zr__free(a, arrs);
  zr__free(a, paths);
  if (!st) *out = res;
  return st;
}

zr_status zr__numpy_untable(const zr_value *v, int as_map, const zr_encode_opts *opts, zr_doc **tmp,
                            const zr_value **use, zr_error *err) {
  *tmp = NULL;
  *use = v;
  if (!v || v->kind != ZR_KIND_TABLE) return ZR_OK;
  zr_doc *d = zr_doc_new(NULL);
  if (!d) return zr__err_nomem(err);
  zr_value r;
  zr_status st = zr_numpy_from_table(v->u.table, d, as_map, opts ? opts->warnings : NULL,
                                     opts && (opts->flags & ZR_ENC_STRICT), &r, err);
  if (st) {
    zr_doc_free(d);
    return st;
  }
  zr_doc_set_root(d, r);
  *tmp = d;
  *use = zr_doc_root(d);
  return ZR_OK;
}

#include <sys/mman.h>

void *zr__np_big_alloc(size_t n) {
  size_t huge = (size_t)2 << 20, len = (n + huge - 1) / huge * huge;
  void *p = NULL;
  if (len < n || posix_memalign(&p, huge, len) != 0) return NULL;
#ifdef MADV_HUGEPAGE
  madvise(p, len, MADV_HUGEPAGE); /* advisory: fine when the kernel says no */
#endif
  return p;
}

void zr__np_big_free(void *p) { free(p); }
