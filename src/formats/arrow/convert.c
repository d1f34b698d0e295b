/* Values ↔ Arrow tables (rules in docs/guides/arrow.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/arrow/arrow_int.h"

typedef struct cv {
  const zr_arrow_convert_opts *o;
  const zr_allocator *a;
  za_store *st;
  zr_warnings *w;
  zr_error *err;
} cv;

static zr_status type_err(cv *c, const char *path, int64_t idx, const char *fmt, const char *what) {
  char p[ZR_ERROR_PATH_MAX];
  if (idx >= 0) {
    /* put the row index in place of the first [*] */
    const char *star = strstr(path, "[*]");
    if (star) snprintf(p, sizeof p, "%.*s[%lld]%s", (int)(star - path), path, (long long)idx, star + 3);
    else snprintf(p, sizeof p, "%s[%lld]", path, (long long)idx);
  } else {
    snprintf(p, sizeof p, "%s", path);
  }
  return zr__err_path(c->err, ZR_ERR_TYPE, p, fmt, what);
}

/* A NUL-terminated copy of the field name @p k (NULL when out of memory); free with zr__free. */
static char *field_name(cv *c, const zr_value *k) {
  char *nm = zr__malloc(c->a, (size_t)k->n.len + 1);
  if (!nm) return NULL;
  if (k->n.len) memcpy(nm, k->u.str, (size_t)k->n.len);
  nm[k->n.len] = 0;
  return nm;
}

/* Refuse text with invalid UTF-8 (Arrow utf8 values and field names must be valid: readers
 * validate) with ZR_ERR_UTF8 and the value path; ZR_OK for valid text. */
static zr_status utf8_check(cv *c, const char *path, int64_t idx, const zr_value *v, const char *what) {
  if (!v->n.len || zr__utf8_valid((const uint8_t *)v->u.str, (size_t)v->n.len, NULL)) return ZR_OK;
  (void)type_err(c, path, idx, "arrow: %s", what);
  if (c->err) c->err->code = ZR_ERR_UTF8;
  return ZR_ERR_UTF8;
}

/* A lossy mapping at row @p idx of the column at @p path: a warning, or ZR_ERR_LOSSY in strict mode. */
static zr_status lossy_at(cv *c, const char *path, int64_t idx, const char *what) {
  char p[ZR_ERROR_PATH_MAX];
  const char *star = strstr(path, "[*]");
  if (star) snprintf(p, sizeof p, "%.*s[%lld]%s", (int)(star - path), path, (long long)idx, star + 3);
  else snprintf(p, sizeof p, "%s[%lld]", path, (long long)idx);
  if (c->o && (c->o->flags & ZR_ENC_STRICT)) {
    return zr__err_path(c->err, ZR_ERR_LOSSY, p, "arrow: %s", what);
  }
  zr_warnings_add(c->w, ZR_ERR_LOSSY, p, "%s", what);
  return ZR_OK;
}

static void *balloc(cv *c, size_t n) {
  void *p = za_store_alloc(c->st, n ? n : 1);
  if (p) memset(p, 0, n ? n : 1);
  return p;
}

#define K_NULL 0
static int is_nullish(const zr_value *v) { return !v || v->kind == ZR_KIND_NULL; }

static zr_status build(cv *c, const char *name, const zr_value **items, int64_t n, const char *path, int top,
                       struct ArrowSchema *s, struct ArrowArray *a, unsigned depth);

static zr_status validity(cv *c, const zr_value **items, int64_t n, struct ArrowArray *a, int64_t *nulls) {
  *nulls = 0;
  for (int64_t i = 0; i < n; i++) *nulls += is_nullish(items[i]);
  a->null_count = *nulls;
  if (*nulls == 0) return ZR_OK;
  uint8_t *bm = balloc(c, (size_t)(n + 7) / 8);
  if (!bm) return zr__err_nomem(c->err);
  for (int64_t i = 0; i < n; i++)
    if (!is_nullish(items[i])) za_setbit(bm, i, 1);
  a->buffers[0] = bm;
  return ZR_OK;
}

static const char *dtype_fmt(zr_dtype d) {
  switch (d) {
    case ZR_DT_INT8: return "c";
    case ZR_DT_INT16: return "s";
    case ZR_DT_INT32: return "i";
    case ZR_DT_INT64: return "l";
    case ZR_DT_UINT8: return "C";
    case ZR_DT_UINT16: return "S";
    case ZR_DT_UINT32: return "I";
    case ZR_DT_UINT64: return "L";
    case ZR_DT_FLOAT16: return "e";
    case ZR_DT_FLOAT32: return "f";
    case ZR_DT_FLOAT64: return "g";
    default: return NULL;
  }
}

static uint64_t hash_str(const char *s, size_t n) { return zr_xxh3_64(s, n, 0); }

static zr_status build_strings(cv *c, const char *name, const zr_value **items, int64_t n, int64_t flags,
                               const char *md, int binary, struct ArrowSchema *s, struct ArrowArray *a) {
  uint64_t total = 0;
  for (int64_t i = 0; i < n; i++)
    if (!is_nullish(items[i])) total += items[i]->n.len;
  int big = total > INT32_MAX;
  /* dictionary encoding of low-cardinality strings */
  if (!binary && c->o && c->o->dictionary_strings && n >= 16) {
    size_t cap = 64;
    while (cap < (size_t)n * 2) cap *= 2;
    int64_t *slots = zr__malloc(c->a, cap * sizeof *slots);
    if (!slots) return zr__err_nomem(c->err);
    for (size_t i = 0; i < cap; i++) slots[i] = -1;
    int32_t *idx = balloc(c, (size_t)n * 4);
    int64_t *first = zr__malloc(c->a, (size_t)n * sizeof *first);
    int64_t distinct = 0;
    if (!idx || !first) {
      zr__free(c->a, slots);
      if (first) zr__free(c->a, first);
      return zr__err_nomem(c->err);
    }
    for (int64_t i = 0; i < n && distinct * 2 <= n; i++) {
      if (is_nullish(items[i])) continue;
      const zr_value *v = items[i];
      size_t h = (size_t)hash_str(v->u.str, v->n.len) & (cap - 1);
      for (;;) {
        if (slots[h] < 0) {
          slots[h] = distinct;
          first[distinct] = i;
          idx[i] = (int32_t)distinct++;
          break;
        }
        const zr_value *o = items[first[slots[h]]];
        if (o->n.len == v->n.len && memcmp(o->u.str, v->u.str, v->n.len) == 0) {
          idx[i] = (int32_t)slots[h];
          break;
        }
        h = (h + 1) & (cap - 1);
      }
    }
    zr__free(c->a, slots);
    if (distinct * 2 <= n) {
      zr_status st = za_schema_make(s, c->a, "i", name, md, flags, 0, 1);
      if (!st) st = za_schema_make(s->dictionary, c->a, "u", NULL, NULL, ARROW_FLAG_NULLABLE, 0, 0);
      if (!st) st = za_array_make(a, c->st, 2, 0, 1);
      int64_t nulls;
      if (!st) st = validity(c, items, n, a, &nulls);
      if (!st) {
        a->length = n;
        a->buffers[1] = idx;
        const zr_value **dv = zr__malloc(c->a, (size_t)(distinct ? distinct : 1) * sizeof *dv);
        if (!dv) st = zr__err_nomem(c->err);
        for (int64_t k = 0; !st && k < distinct; k++) dv[k] = items[first[k]];
        struct ArrowSchema tmp;
        memset(&tmp, 0, sizeof tmp);
        if (!st) st = build_strings(c, NULL, dv, distinct, ARROW_FLAG_NULLABLE, NULL, 0, &tmp, a->dictionary);
        if (tmp.release) tmp.release(&tmp); /* made even when a later step failed */
        if (dv) zr__free(c->a, dv);
      }
      zr__free(c->a, first);
      return st == ZR_ERR_NOMEM ? zr__err_nomem(c->err) : st;
    }
    zr__free(c->a, first);
  }
  const char *fmt = binary ? (big ? "Z" : "z") : (big ? "U" : "u");
  ZR_TRY(za_schema_make(s, c->a, fmt, name, md, flags, 0, 0));
  ZR_TRY(za_array_make(a, c->st, 3, 0, 0));
  a->length = n;
  int64_t nulls;
  ZR_TRY(validity(c, items, n, a, &nulls));
  uint8_t *o = balloc(c, (size_t)(n + 1) * (big ? 8 : 4)), *d = balloc(c, (size_t)total);
  if (!o || !d) return zr__err_nomem(c->err);
  uint64_t pos = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!is_nullish(items[i])) {
      memcpy(d + pos, items[i]->u.str, items[i]->n.len);
      pos += items[i]->n.len;
    }
    if (big) zr__st64le(o + 8 * (i + 1), pos);
    else zr__st32le(o + 4 * (i + 1), (uint32_t)pos);
  }
  a->buffers[1] = o;
  a->buffers[2] = d;
  return ZR_OK;
}

static zr_status build_tensors(cv *c, const char *name, const zr_value **items, int64_t n, int64_t flags,
                               const char *path, struct ArrowSchema *s, struct ArrowArray *a) {
  const zr_tensor *t0 = NULL;
  int64_t i0 = -1; /* the first tensor's row: where a refusal points */
  for (int64_t i = 0; i < n && !t0; i++)
    if (!is_nullish(items[i])) t0 = items[i]->u.tensor, i0 = i;
  const char *ef = dtype_fmt(t0->dtype);
  if (!ef || t0->byte_order != ZR_ORDER_LITTLE) return type_err(c, path, i0, "arrow: tensors of %s have no Arrow form", zr_dtype_name(t0->dtype));
  uint64_t count = zr_tensor_count(t0);
  if (count > INT32_MAX) return type_err(c, path, i0, "arrow: %s", "tensor too large for a fixed-size list");
  for (int64_t i = 0; i < n; i++) {
    if (is_nullish(items[i])) continue;
    const zr_tensor *t = items[i]->u.tensor;
    if (t->dtype != t0->dtype || t->ndim != t0->ndim || t->byte_order != t0->byte_order ||
        memcmp(t->shape, t0->shape, sizeof(int64_t) * t0->ndim) != 0)
      return type_err(c, path, i, "arrow: %s", "tensors of one column must share dtype and shape");
  }
  char fmt[32], mdjson[600];
  snprintf(fmt, sizeof fmt, "+w:%llu", (unsigned long long)count);
  size_t k = (size_t)snprintf(mdjson, sizeof mdjson, "{\"shape\":[");
  for (uint32_t d = 0; d < t0->ndim && k < sizeof mdjson; d++)
    k += (size_t)snprintf(mdjson + k, sizeof mdjson - k, d ? ",%lld" : "%lld", (long long)t0->shape[d]);
  if (k < sizeof mdjson) snprintf(mdjson + k, sizeof mdjson - k, "]}");
  zr__buf md;
  zr__buf_init(&md, c->a);
  zr_status st = za_md_add(&md, "ARROW:extension:name", 20, "arrow.fixed_shape_tensor", 24);
  if (!st) st = za_md_add(&md, "ARROW:extension:metadata", 24, mdjson, strlen(mdjson));
  if (!st) st = za_schema_make(s, c->a, fmt, name, (const char *)md.data, flags, 1, 0);
  zr__buf_free(&md);
  if (st) return zr__err_nomem(c->err);
  ZR_TRY(za_schema_make(s->children[0], c->a, ef, "", NULL, 0, 0, 0));
  ZR_TRY(za_array_make(a, c->st, 1, 1, 0));
  a->length = n;
  int64_t nulls;
  ZR_TRY(validity(c, items, n, a, &nulls));
  size_t isz = (size_t)t0->itemsize;
  uint8_t *d = balloc(c, (size_t)n * count * isz);
  if (!d) return zr__err_nomem(c->err);
  for (int64_t i = 0; i < n; i++) {
    if (is_nullish(items[i]) || count == 0) continue;
    const zr_tensor *t = items[i]->u.tensor;
    uint8_t *dst = d + (size_t)i * count * isz;
    int64_t idx[ZR_TENSOR_MAX_DIMS] = {0};
    for (uint64_t e = 0; e < count; e++) {
      const uint8_t *p = t->data;
      for (uint32_t q = 0; q < t->ndim; q++) p += idx[q] * t->strides[q];
      memcpy(dst + e * isz, p, isz);
      for (int q = (int)t->ndim - 1; q >= 0; q--) {
        if (++idx[q] < t->shape[q]) break;
        idx[q] = 0;
      }
    }
  }
  ZR_TRY(za_array_make(a->children[0], c->st, 2, 0, 0));
  a->children[0]->length = n * (int64_t)count;
  a->children[0]->buffers[1] = d;
  return ZR_OK;
}

/* Struct of string-keyed maps: fields in first-seen key order. */
static zr_status build_struct(cv *c, const char *name, const zr_value **items, int64_t n, int64_t flags,
                              const char *path, int top, struct ArrowSchema *s, struct ArrowArray *a, unsigned depth) {
  const zr_value **keys = NULL;
  int64_t nk = 0, capk = 0;
  for (int64_t i = 0; i < n; i++) {
    if (is_nullish(items[i])) continue;
    const zr_value *m = items[i];
    for (uint64_t j = 0; j < m->n.len; j++) {
      const zr_value *k = &m->u.members[j].key;
      if (k->kind != ZR_KIND_STRING && k->kind != ZR_KIND_SYMBOL) {
        if (keys) zr__free(c->a, keys);
        return type_err(c, path, top ? i : -1, "arrow: %s", "map keys must be strings to become struct fields");
      }
      int found = 0;
      if ((int64_t)j < nk && keys[j]->n.len == k->n.len && memcmp(keys[j]->u.str, k->u.str, k->n.len) == 0) found = 1;
      for (int64_t q = 0; q < nk && !found; q++)
        if (keys[q]->n.len == k->n.len && memcmp(keys[q]->u.str, k->u.str, k->n.len) == 0) found = 1;
      if (!found && utf8_check(c, path, top ? i : -1, k, "a map key with invalid UTF-8 cannot be a field name") != ZR_OK) {
        if (keys) zr__free(c->a, keys);
        return ZR_ERR_UTF8;
      }
      if (!found) {
        if (nk == capk) {
          capk = capk ? capk * 2 : 16;
          const zr_value **nkeys = zr__realloc(c->a, keys, (size_t)capk * sizeof *nkeys);
          if (!nkeys) {
            if (keys) zr__free(c->a, keys);
            return zr__err_nomem(c->err);
          }
          keys = nkeys;
        }
        keys[nk++] = k;
      }
    }
  }
  zr_status st = za_schema_make(s, c->a, "+s", name, NULL, flags, nk, 0);
  if (!st) st = za_array_make(a, c->st, 1, nk, 0);
  int64_t nulls;
  if (!st) {
    a->length = n;
    st = validity(c, items, n, a, &nulls);
  }
  const zr_value **sub = st ? NULL : zr__malloc(c->a, (size_t)(n ? n : 1) * sizeof *sub);
  if (!st && !sub) st = zr__err_nomem(c->err);
  for (int64_t f = 0; !st && f < nk; f++) {
    const zr_value *k = keys[f];
    for (int64_t i = 0; i < n; i++) {
      sub[i] = NULL;
      if (is_nullish(items[i])) continue;
      const zr_value *m = items[i];
      if ((uint64_t)f < m->n.len && m->u.members[f].key.n.len == k->n.len &&
          memcmp(m->u.members[f].key.u.str, k->u.str, k->n.len) == 0)
        sub[i] = &m->u.members[f].val;
      else
        sub[i] = zr_map_get(m, k->u.str, k->n.len);
    }
    char *kname = field_name(c, k), cpath[ZR_ERROR_PATH_MAX + 300];
    if (!kname) {
      st = zr__err_nomem(c->err);
      break;
    }
    snprintf(cpath, sizeof cpath, "%s%s%.*s", path, top ? "[*]." : ".", (int)(k->n.len > 255 ? 255 : k->n.len), kname);
    st = build(c, kname, sub, n, cpath, top, s->children[f], a->children[f], depth + 1);
    zr__free(c->a, kname);
  }
  if (sub) zr__free(c->a, sub);
  if (keys) zr__free(c->a, keys);
  return st;
}

static zr_status build(cv *c, const char *name, const zr_value **items, int64_t n, const char *path, int top,
                       struct ArrowSchema *s, struct ArrowArray *a, unsigned depth) {
  if (depth > 64) return type_err(c, path, -1, "arrow: %s", "nested too deeply");
  int64_t cnt[16] = {0};
  int64_t first[16];
  for (int k = 0; k < 16; k++) first[k] = -1;
  int any_neg = 0, big_uint = 0, all_f32 = 1;
  int64_t first_sym = -1, first_tuple = -1;
  for (int64_t i = 0; i < n; i++) {
    int k = is_nullish(items[i]) ? 0 : items[i]->kind;
    if (k == ZR_KIND_TUPLE) {
      k = ZR_KIND_LIST;
      if (first_tuple < 0) first_tuple = i;
    }
    if (k == ZR_KIND_SYMBOL) {
      k = ZR_KIND_STRING;
      if (first_sym < 0) first_sym = i;
    }
    if (cnt[k]++ == 0) first[k] = i;
    if (k == ZR_KIND_STRING)
      ZR_TRY(utf8_check(c, path, i, items[i], "a string with invalid UTF-8 cannot go in a utf8 column"));
    if (k == ZR_KIND_INT && items[i]->u.i < 0) any_neg = 1;
    if (k == ZR_KIND_UINT && items[i]->u.u > (uint64_t)INT64_MAX) big_uint = 1;
    if (k == ZR_KIND_FLOAT && !(items[i]->flags & ZR_VF_F32)) all_f32 = 0;
  }
  /* one warning per column for kinds Arrow folds into others */
  if (first_sym >= 0) ZR_TRY(lossy_at(c, path, first_sym, "symbol stored as a utf8 string (reads back as a string)"));
  if (first_tuple >= 0) ZR_TRY(lossy_at(c, path, first_tuple, "tuple stored as a list (reads back as a list)"));
  int64_t flags = cnt[0] ? ARROW_FLAG_NULLABLE : 0;
  int kinds = 0, kind = 0;
  for (int k = 1; k < 16; k++)
    if (cnt[k]) {
      kinds++;
      kind = k;
    }
  int numeric = cnt[ZR_KIND_INT] + cnt[ZR_KIND_UINT] + cnt[ZR_KIND_FLOAT] > 0 &&
                cnt[ZR_KIND_INT] + cnt[ZR_KIND_UINT] + cnt[ZR_KIND_FLOAT] == n - cnt[0];
  int64_t nulls;
  if (kinds == 0) {
    ZR_TRY(za_schema_make(s, c->a, "n", name, NULL, ARROW_FLAG_NULLABLE, 0, 0));
    ZR_TRY(za_array_make(a, c->st, 0, 0, 0));
    a->length = n;
    a->null_count = n;
    return ZR_OK;
  }
  if (numeric) {
    int as_float = cnt[ZR_KIND_FLOAT] > 0 || (big_uint && any_neg);
    int as_uint = !as_float && big_uint;
    const char *fmt = as_float ? (cnt[ZR_KIND_INT] + cnt[ZR_KIND_UINT] == 0 && all_f32 ? "f" : "g") : as_uint ? "L" : "l";
    ZR_TRY(za_schema_make(s, c->a, fmt, name, NULL, flags, 0, 0));
    ZR_TRY(za_array_make(a, c->st, 2, 0, 0));
    a->length = n;
    ZR_TRY(validity(c, items, n, a, &nulls));
    uint8_t *d = balloc(c, (size_t)n * 8);
    if (!d) return zr__err_nomem(c->err);
    for (int64_t i = 0; i < n; i++) {
      if (is_nullish(items[i])) continue;
      const zr_value *v = items[i];
      if (fmt[0] == 'f') {
        float x = (float)v->u.f;
        memcpy(d + 4 * i, &x, 4);
      } else if (as_float) {
        double x = v->kind == ZR_KIND_FLOAT ? v->u.f : v->kind == ZR_KIND_INT ? (double)v->u.i : (double)v->u.u;
        int lossy = (v->kind == ZR_KIND_INT && (v->u.i > (INT64_C(1) << 53) || v->u.i < -(INT64_C(1) << 53))) ||
                    (v->kind == ZR_KIND_UINT && v->u.u > (UINT64_C(1) << 53));
        if (lossy) {
          char p[ZR_ERROR_PATH_MAX];
          const char *star = strstr(path, "[*]");
          if (star) snprintf(p, sizeof p, "%.*s[%lld]%s", (int)(star - path), path, (long long)i, star + 3);
          else snprintf(p, sizeof p, "%s[%lld]", path, (long long)i);
          if (c->o && (c->o->flags & ZR_ENC_STRICT)) {
            return zr__err_path(c->err, ZR_ERR_LOSSY, p, "arrow: integer beyond 2^53 in a float64 column");
          }
          zr_warnings_add(c->w, ZR_ERR_LOSSY, p, "integer beyond 2^53 stored as float64 (mixed int/float column)");
        }
        memcpy(d + 8 * i, &x, 8);
      } else {
        uint64_t x = v->kind == ZR_KIND_INT ? (uint64_t)v->u.i : v->u.u;
        memcpy(d + 8 * i, &x, 8);
      }
    }
    a->buffers[1] = d;
    return ZR_OK;
  }
  if (kinds > 1) {
    int64_t f0 = INT64_MAX, bad = INT64_MAX;
    int k0 = 0;
    for (int k = 1; k < 16; k++)
      if (cnt[k] && first[k] < f0) {
        f0 = first[k];
        k0 = k;
      }
    for (int k = 1; k < 16; k++)
      if (cnt[k] && k != k0 && first[k] < bad) bad = first[k];
    return type_err(c, path, bad, "arrow: %s", "a column mixes value kinds");
  }
  switch (kind) {
    case ZR_KIND_BOOL: {
      ZR_TRY(za_schema_make(s, c->a, "b", name, NULL, flags, 0, 0));
      ZR_TRY(za_array_make(a, c->st, 2, 0, 0));
      a->length = n;
      ZR_TRY(validity(c, items, n, a, &nulls));
      uint8_t *d = balloc(c, (size_t)(n + 7) / 8);
      if (!d) return zr__err_nomem(c->err);
      for (int64_t i = 0; i < n; i++)
        if (!is_nullish(items[i]) && items[i]->u.b) za_setbit(d, i, 1);
      a->buffers[1] = d;
      return ZR_OK;
    }
    case ZR_KIND_STRING: return build_strings(c, name, items, n, flags, NULL, 0, s, a);
    case ZR_KIND_BINARY: return build_strings(c, name, items, n, flags, NULL, 1, s, a);
    case ZR_KIND_TIMESTAMP: {
      const zr_value *v0 = items[first[kind]];
      if (v0->aux16 > ZR_TU_NANO) return type_err(c, path, first[kind], "arrow: %s", "timestamp unit has no Arrow form");
      const char *tz = v0->n.tz;
      for (int64_t i = 0; i < n; i++) {
        if (is_nullish(items[i])) continue;
        const char *tz2 = items[i]->n.tz;
        if (items[i]->aux16 != v0->aux16 || ((tz == NULL) != (tz2 == NULL)) || (tz && strcmp(tz, tz2) != 0))
          return type_err(c, path, i, "arrow: %s", "timestamps of one column must share unit and time zone");
      }
      char fmt[256];
      snprintf(fmt, sizeof fmt, "ts%c:%s", "smun"[v0->aux16], tz ? tz : "");
      ZR_TRY(za_schema_make(s, c->a, fmt, name, NULL, flags, 0, 0));
      ZR_TRY(za_array_make(a, c->st, 2, 0, 0));
      a->length = n;
      ZR_TRY(validity(c, items, n, a, &nulls));
      int64_t *d = balloc(c, (size_t)n * 8);
      if (!d) return zr__err_nomem(c->err);
      for (int64_t i = 0; i < n; i++)
        if (!is_nullish(items[i])) d[i] = items[i]->u.i;
      a->buffers[1] = d;
      return ZR_OK;
    }
    case ZR_KIND_LIST: {
      uint64_t total = 0;
      for (int64_t i = 0; i < n; i++)
        if (!is_nullish(items[i])) total += items[i]->n.len;
      int big = total > INT32_MAX;
      ZR_TRY(za_schema_make(s, c->a, big ? "+L" : "+l", name, NULL, flags, 1, 0));
      ZR_TRY(za_array_make(a, c->st, 2, 1, 0));
      a->length = n;
      ZR_TRY(validity(c, items, n, a, &nulls));
      uint8_t *o = balloc(c, (size_t)(n + 1) * (big ? 8 : 4));
      const zr_value **sub = zr__malloc(c->a, (size_t)(total ? total : 1) * sizeof *sub);
      if (!o || !sub) {
        if (sub) zr__free(c->a, sub);
        return zr__err_nomem(c->err);
      }
      uint64_t pos = 0;
      for (int64_t i = 0; i < n; i++) {
        if (!is_nullish(items[i]))
          for (uint64_t j = 0; j < items[i]->n.len; j++) sub[pos++] = &items[i]->u.items[j];
        if (big) zr__st64le(o + 8 * (i + 1), pos);
        else zr__st32le(o + 4 * (i + 1), (uint32_t)pos);
      }
      a->buffers[1] = o;
      char cpath[ZR_ERROR_PATH_MAX];
      snprintf(cpath, sizeof cpath, "%s%s[*]", path, top ? "[*]" : "");
      zr_status st = build(c, "item", sub, (int64_t)total, cpath, 0, s->children[0], a->children[0], depth + 1);
      zr__free(c->a, sub);
      return st;
    }
    case ZR_KIND_MAP: return build_struct(c, name, items, n, flags, path, top, s, a, depth);
    case ZR_KIND_TENSOR: return build_tensors(c, name, items, n, flags, path, s, a);
    default:
      return type_err(c, path, first[kind], "arrow: values of kind %s have no Arrow form", zr_kind_name((zr_kind)kind));
  }
}

zr_status zr_arrow_from_value(const zr_value *v, const zr_arrow_convert_opts *opts, zr_table *out,
                              zr_warnings *warnings, zr_error *err) {
  if (!v || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL argument");
  za_install_hooks();
  memset(out, 0, sizeof *out);
  if (v->kind == ZR_KIND_TABLE) return zr_arrow_table_copy(v->u.table, out, err);
  cv c;
  memset(&c, 0, sizeof c);
  c.o = opts;
  c.a = zr__alloc_or_default(opts ? opts->alloc : NULL);
  c.w = warnings;
  c.err = err;
  out->alloc_ctx = (void *)(opts ? opts->alloc : NULL);
  zr_status st = ZR_OK;
  if (v->kind == ZR_KIND_LIST || v->kind == ZR_KIND_TUPLE) {
    for (uint64_t i = 0; i < v->n.len; i++)
      if (v->u.items[i].kind != ZR_KIND_MAP) return type_err(&c, "$", (int64_t)i, "arrow: %s", "rows must be maps");
    c.st = za_store_new(c.a, 0);
    if (!c.st) return zr__err_nomem(err);
    const zr_value **items = zr__malloc(c.a, (size_t)(v->n.len ? v->n.len : 1) * sizeof *items);
    if (!items) st = zr__err_nomem(err);
    for (uint64_t i = 0; !st && i < v->n.len; i++) items[i] = &v->u.items[i];
    struct ArrowArray batch;
    memset(&batch, 0, sizeof batch);
    if (!st) st = build_struct(&c, "", items, (int64_t)v->n.len, 0, "$", 1, &out->schema, &batch, 0);
    if (items) zr__free(c.a, items);
    if (!st) {
      batch.buffers[0] = NULL;
      batch.null_count = 0;
      out->batches = zr__malloc(c.a, sizeof *out->batches);
      if (!out->batches) st = zr__err_nomem(err);
      else {
        out->batches[0] = batch;
        out->n_batches = 1;
        batch.release = NULL;
      }
    }
    if (batch.release) batch.release(&batch);
  } else if (v->kind == ZR_KIND_MAP) {
    int64_t rows = -1;
    for (uint64_t i = 0; i < v->n.len; i++) {
      const zr_value *k = &v->u.members[i].key, *col = &v->u.members[i].val;
      if (k->kind != ZR_KIND_STRING && k->kind != ZR_KIND_SYMBOL) return type_err(&c, "$", -1, "arrow: %s", "column names must be strings");
      ZR_TRY(utf8_check(&c, "$", -1, k, "a column name with invalid UTF-8"));
      char p[ZR_ERROR_PATH_MAX];
      snprintf(p, sizeof p, "$.%.*s", (int)(k->n.len > 200 ? 200 : k->n.len), k->u.str);
      if (col->kind != ZR_KIND_LIST && col->kind != ZR_KIND_TUPLE) return type_err(&c, p, -1, "arrow: %s", "columns must be lists");
      if (rows >= 0 && (int64_t)col->n.len != rows) return type_err(&c, p, -1, "arrow: %s", "columns must have equal lengths");
      rows = (int64_t)col->n.len;
    }
    if (rows < 0) rows = 0;
    c.st = za_store_new(c.a, 0);
    if (!c.st) return zr__err_nomem(err);
    st = za_schema_make(&out->schema, c.a, "+s", "", NULL, 0, (int64_t)v->n.len, 0);
    out->batches = st ? NULL : zr__malloc(c.a, sizeof *out->batches);
    if (!st && !out->batches) st = zr__err_nomem(err);
    if (!st) st = za_array_make(&out->batches[0], c.st, 1, (int64_t)v->n.len, 0);
    if (!st) {
      out->n_batches = 1;
      out->batches[0].length = rows;
    }
    const zr_value **items = st ? NULL : zr__malloc(c.a, (size_t)(rows ? rows : 1) * sizeof *items);
    if (!st && !items) st = zr__err_nomem(err);
    for (uint64_t f = 0; !st && f < v->n.len; f++) {
      const zr_value *k = &v->u.members[f].key, *col = &v->u.members[f].val;
      for (int64_t i = 0; i < rows; i++) items[i] = &col->u.items[i];
      char *name = field_name(&c, k), p[ZR_ERROR_PATH_MAX + 300];
      if (!name) {
        st = zr__err_nomem(err);
        break;
      }
      snprintf(p, sizeof p, "$.%.*s", (int)(k->n.len > 255 ? 255 : k->n.len), name);
      st = build(&c, name, items, rows, p, 1, out->schema.children[f], out->batches[0].children[f], 1);
      zr__free(c.a, name);
    }
    if (items) zr__free(c.a, items);
  } else {
    return type_err(&c, "$", -1, "arrow: a %s is not a table (need a list of maps or a map of columns)",
                    zr_kind_name((zr_kind)v->kind));
  }
  za_store_unref(c.st);
  if (st) zr_table_release(out);
  /* the Arrow node builders report ZR_ERR_NOMEM without the error record */
  if (st == ZR_ERR_NOMEM) zr__err_nomem(err);
  return st;
}

/* ---------------------------------------------------------------- table → values */

typedef struct tv {
  zr_doc *d;
  zr_error *err;
} tv;

static zr_value dec_string(tv *t, const uint8_t *p, int width, int scale) {
  uint32_t limbs[8];
  int nl = width / 4, neg = (p[width - 1] & 0x80) != 0;
  for (int i = 0; i < nl; i++) limbs[i] = zr__ld32le(p + 4 * i);
  if (neg) za_limbs_negate(limbs, nl);
  char digits[100];
  int nd = 0;
  for (;;) {
    int zero = 1;
    for (int i = 0; i < nl; i++) zero &= limbs[i] == 0;
    if (zero) break;
    uint64_t rem = 0;
    for (int i = nl - 1; i >= 0; i--) {
      uint64_t cur = (rem << 32) | limbs[i];
      limbs[i] = (uint32_t)(cur / 10);
      rem = cur % 10;
    }
    digits[nd++] = (char)('0' + rem);
  }
  while (nd <= scale) digits[nd++] = '0';
  char out[110];
  int k = 0;
  if (neg) out[k++] = '-';
  for (int i = nd - 1; i >= 0; i--) {
    out[k++] = digits[i];
    if (i == scale && scale > 0) out[k++] = '.';
  }
  return zr_str_copy(t->d, out, (size_t)k);
}

static double f16_to_double(uint16_t h) {
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m | 0x400, e - 25);
  return (h & 0x8000) ? -v : v;
}

static zr_status elem(tv *t, const struct ArrowSchema *s, const struct ArrowArray *a, int64_t i, zr_value *out,
                      unsigned depth);

static zr_status elems(tv *t, const struct ArrowSchema *s, const struct ArrowArray *a, int64_t start, int64_t n,
                       zr_value *list, unsigned depth) {
  *list = zr_list_new(t->d, (size_t)n);
  for (int64_t k = 0; k < n; k++) {
    zr_value v;
    ZR_TRY(elem(t, s, a, start + k, &v, depth + 1));
    ZR_TRY(zr_list_push(t->d, list, v));
  }
  return zr_doc_status(t->d);
}

static zr_status elem(tv *t, const struct ArrowSchema *s, const struct ArrowArray *a, int64_t i, zr_value *out,
                      unsigned depth) {
  if (depth > 100) return zr__err(t->err, ZR_ERR_LIMIT, -1, "arrow: nested too deeply");
  za_type ty;
  ZR_TRY(za_parse_format(s->format, &ty, t->err));
  int64_t j = a->offset + i;
  *out = zr_null();
  if (ty.layout != ZA_L_NULL && ty.layout != ZA_L_SUNION && ty.layout != ZA_L_DUNION && ty.layout != ZA_L_REE &&
      a->null_count != 0 && a->n_buffers > 0 && !za_bit(a->buffers[0], j))
    return ZR_OK;
  if (s->dictionary) {
    const uint8_t *b = a->buffers[1];
    int64_t x = ty.width == 1 ? (ty.is_signed ? (int8_t)b[j] : b[j])
                : ty.width == 2 ? (ty.is_signed ? (int16_t)zr__ld16le(b + 2 * j) : zr__ld16le(b + 2 * j))
                : ty.width == 4 ? (ty.is_signed ? (int64_t)(int32_t)zr__ld32le(b + 4 * j) : (int64_t)zr__ld32le(b + 4 * j))
                                : (int64_t)zr__ld64le(b + 8 * j);
    return elem(t, s->dictionary, a->dictionary, x, out, depth + 1);
  }
  const uint8_t *b1 = a->n_buffers > 1 ? a->buffers[1] : NULL;
  switch (ty.layout) {
    case ZA_L_NULL: return ZR_OK;
    case ZA_L_BOOL: *out = zr_bool(za_bit(b1, j)); return ZR_OK;
    case ZA_L_FIXED: {
      const uint8_t *p = b1 + (size_t)ty.width * j;
      switch (ty.fb) {
        case ZA_FB_INT:
        case ZA_FB_TIME:
        case ZA_FB_DURATION: {
          int64_t x = ty.width == 1 ? (ty.is_signed ? (int8_t)p[0] : p[0])
                      : ty.width == 2 ? (ty.is_signed ? (int16_t)zr__ld16le(p) : zr__ld16le(p))
                      : ty.width == 4 ? (ty.is_signed ? (int64_t)(int32_t)zr__ld32le(p) : (int64_t)zr__ld32le(p))
                                      : (int64_t)zr__ld64le(p);
          *out = (!ty.is_signed && ty.width == 8 && x < 0) ? zr_uint((uint64_t)x) : zr_int(x);
          return ZR_OK;
        }
        case ZA_FB_FLOAT:
          if (ty.width == 8) {
            double x;
            memcpy(&x, p, 8);
            *out = zr_float(x);
          } else if (ty.width == 4) {
            float x;
            memcpy(&x, p, 4);
            *out = zr_float32(x);
          } else {
            *out = zr_float32((float)f16_to_double(zr__ld16le(p)));
          }
          return ZR_OK;
        case ZA_FB_DATE:
          *out = ty.unit == 0 ? zr_timestamp(t->d, (int64_t)(int32_t)zr__ld32le(p) * 86400, ZR_TU_SECOND, NULL)
                              : zr_timestamp(t->d, (int64_t)zr__ld64le(p), ZR_TU_MILLI, NULL);
          return zr_doc_status(t->d);
        case ZA_FB_TIMESTAMP: {
          char tz[256];
          snprintf(tz, sizeof tz, "%.*s", (int)ty.tzlen, ty.tz ? ty.tz : "");
          *out = zr_timestamp(t->d, (int64_t)zr__ld64le(p), (zr_time_unit)ty.unit, ty.tz ? tz : NULL);
          return zr_doc_status(t->d);
        }
        case ZA_FB_DECIMAL: *out = dec_string(t, p, ty.width, ty.scale); return zr_doc_status(t->d);
        case ZA_FB_INTERVAL: {
          zr_value m = zr_map_new(t->d, 3);
          if (ty.unit == 0) ZR_TRY(zr_map_put_cstr(t->d, &m, "months", zr_int((int32_t)zr__ld32le(p))));
          if (ty.unit == 1) {
            ZR_TRY(zr_map_put_cstr(t->d, &m, "days", zr_int((int32_t)zr__ld32le(p))));
            ZR_TRY(zr_map_put_cstr(t->d, &m, "milliseconds", zr_int((int32_t)zr__ld32le(p + 4))));
          }
          if (ty.unit == 2) {
            ZR_TRY(zr_map_put_cstr(t->d, &m, "months", zr_int((int32_t)zr__ld32le(p))));
            ZR_TRY(zr_map_put_cstr(t->d, &m, "days", zr_int((int32_t)zr__ld32le(p + 4))));
            ZR_TRY(zr_map_put_cstr(t->d, &m, "nanoseconds", zr_int((int64_t)zr__ld64le(p + 8))));
          }
          *out = m;
          return zr_doc_status(t->d);
        }
        default: *out = zr_bin_copy(t->d, p, (size_t)ty.width); return zr_doc_status(t->d);
      }
    }
    case ZA_L_BIN:
    case ZA_L_LBIN: {
      int big = ty.layout == ZA_L_LBIN;
      int64_t s0 = big ? (int64_t)zr__ld64le(b1 + 8 * j) : (int32_t)zr__ld32le(b1 + 4 * j);
      int64_t e0 = big ? (int64_t)zr__ld64le(b1 + 8 * (j + 1)) : (int32_t)zr__ld32le(b1 + 4 * (j + 1));
      const char *p = (const char *)a->buffers[2] + s0;
      *out = ty.is_utf8 ? zr_str_copy(t->d, p, (size_t)(e0 - s0)) : zr_bin_copy(t->d, p, (size_t)(e0 - s0));
      return zr_doc_status(t->d);
    }
    case ZA_L_VIEW: {
      const uint8_t *v = b1 + 16 * j;
      int32_t l = (int32_t)zr__ld32le(v);
      const char *p = l <= 12 ? (const char *)v + 4
                              : (const char *)a->buffers[2 + zr__ld32le(v + 8)] + zr__ld32le(v + 12);
      *out = ty.is_utf8 ? zr_str_copy(t->d, p, (size_t)l) : zr_bin_copy(t->d, p, (size_t)l);
      return zr_doc_status(t->d);
    }
    case ZA_L_LIST:
    case ZA_L_LLIST: {
      int big = ty.layout == ZA_L_LLIST;
      int64_t s0 = big ? (int64_t)zr__ld64le(b1 + 8 * j) : (int32_t)zr__ld32le(b1 + 4 * j);
      int64_t e0 = big ? (int64_t)zr__ld64le(b1 + 8 * (j + 1)) : (int32_t)zr__ld32le(b1 + 4 * (j + 1));
      if (ty.is_map) {
        const struct ArrowSchema *es = s->children[0];
        const struct ArrowArray *ea = a->children[0];
        zr_value m = zr_map_new(t->d, (size_t)(e0 - s0));
        for (int64_t k = s0; k < e0; k++) {
          zr_value kv, vv;
          ZR_TRY(elem(t, es->children[0], ea->children[0], ea->offset + k, &kv, depth + 1));
          ZR_TRY(elem(t, es->children[1], ea->children[1], ea->offset + k, &vv, depth + 1));
          ZR_TRY(zr_map_put(t->d, &m, kv, vv));
        }
        *out = m;
        return zr_doc_status(t->d);
      }
      return elems(t, s->children[0], a->children[0], s0, e0 - s0, out, depth);
    }
    case ZA_L_LISTVIEW:
    case ZA_L_LLISTVIEW: {
      int big = ty.layout == ZA_L_LLISTVIEW;
      const uint8_t *b2 = a->buffers[2];
      int64_t s0 = big ? (int64_t)zr__ld64le(b1 + 8 * j) : (int32_t)zr__ld32le(b1 + 4 * j);
      int64_t l0 = big ? (int64_t)zr__ld64le(b2 + 8 * j) : (int32_t)zr__ld32le(b2 + 4 * j);
      return elems(t, s->children[0], a->children[0], s0, l0, out, depth);
    }
    case ZA_L_FSL: {
      int32_t vl;
      const char *ext = za_md_find(s->metadata, "ARROW:extension:name", &vl);
      if (ext && vl == 24 && memcmp(ext, "arrow.fixed_shape_tensor", 24) == 0) {
        /* tensor value: shape from the extension metadata */
        int32_t ml;
        const char *md = za_md_find(s->metadata, "ARROW:extension:metadata", &ml);
        int64_t shape[ZR_TENSOR_MAX_DIMS];
        uint32_t nd = 0;
        const char *p = md ? memchr(md, '[', (size_t)ml) : NULL;
        while (p && p < md + ml && *p != ']' && nd < ZR_TENSOR_MAX_DIMS) {
          p++;
          char *e;
          long long x = strtoll(p, &e, 10);
          if (e == p) break;
          shape[nd++] = x;
          p = e;
        }
        za_type et;
        ZR_TRY(za_parse_format(s->children[0]->format, &et, t->err));
        zr_dtype dt = 0;
        static const zr_dtype ints[2][4] = {{ZR_DT_UINT8, ZR_DT_UINT16, ZR_DT_UINT32, ZR_DT_UINT64},
                                            {ZR_DT_INT8, ZR_DT_INT16, ZR_DT_INT32, ZR_DT_INT64}};
        if (et.fb == ZA_FB_INT) dt = ints[et.is_signed][et.width == 1 ? 0 : et.width == 2 ? 1 : et.width == 4 ? 2 : 3];
        else if (et.fb == ZA_FB_FLOAT) dt = et.width == 2 ? ZR_DT_FLOAT16 : et.width == 4 ? ZR_DT_FLOAT32 : ZR_DT_FLOAT64;
        if (dt && nd > 0) {
          const struct ArrowArray *ch = s == NULL ? NULL : a->children[0];
          uint8_t *copy = zr_doc_alloc(t->d, (size_t)ty.list_size * (size_t)et.width + 1, 64);
          if (!copy) return zr__err_nomem(t->err);
          memcpy(copy, (const uint8_t *)ch->buffers[1] + (size_t)et.width * (size_t)((ch->offset + j * ty.list_size)),
                 (size_t)ty.list_size * (size_t)et.width);
          zr_tensor tn;
          if (zr_tensor_init(&tn, dt, (uint64_t)et.width, nd, shape, copy, NULL) == ZR_OK &&
              zr_tensor_count(&tn) == (uint64_t)ty.list_size) {
            *out = zr_tensor_value(t->d, &tn);
            return zr_doc_status(t->d);
          }
        }
      }
      return elems(t, s->children[0], a->children[0], j * ty.list_size, ty.list_size, out, depth);
    }
    case ZA_L_STRUCT: {
      zr_value m = zr_map_new(t->d, (size_t)s->n_children);
      for (int64_t c = 0; c < s->n_children; c++) {
        zr_value v;
        ZR_TRY(elem(t, s->children[c], a->children[c], j, &v, depth + 1));
        ZR_TRY(zr_map_put_cstr(t->d, &m, s->children[c]->name ? s->children[c]->name : "", v));
      }
      *out = m;
      return zr_doc_status(t->d);
    }
    case ZA_L_SUNION:
    case ZA_L_DUNION: {
      int8_t id = ((const int8_t *)a->buffers[0])[j];
      for (int c = 0; c < ty.n_ids; c++)
        if (ty.ids[c] == id) {
          int64_t ci = ty.layout == ZA_L_DUNION ? (int32_t)zr__ld32le((const uint8_t *)a->buffers[1] + 4 * j) : j;
          return elem(t, s->children[c], a->children[c], ci, out, depth + 1);
        }
      return zr__err(t->err, ZR_ERR_MALFORMED, -1, "arrow: union type id %d undeclared", id);
    }
    case ZA_L_REE: {
      const struct ArrowArray *re = a->children[0];
      za_type rt;
      ZR_TRY(za_parse_format(s->children[0]->format, &rt, t->err));
      const uint8_t *b = re->buffers[1];
      int64_t lo = 0, hi = re->length - 1;
      while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2, q = re->offset + mid;
        int64_t e = rt.width == 2 ? (int16_t)zr__ld16le(b + 2 * q) : rt.width == 4 ? (int32_t)zr__ld32le(b + 4 * q) : (int64_t)zr__ld64le(b + 8 * q);
        if (e > j) hi = mid;
        else lo = mid + 1;
      }
      return elem(t, s->children[1], a->children[1], lo, out, depth + 1);
    }
  }
  return ZR_OK;
}

static zr_status to_value(const zr_table *tb, zr_doc *doc, zr_value *out, zr_error *err);

zr_status zr_arrow_to_value(const zr_table *tb, zr_doc *doc, zr_value *out, zr_error *err) {
  if (!tb || !doc || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL argument");
  zr_status st = to_value(tb, doc, out, err);
  /* the doc ran out of memory (or hit its limit): containers it could not make then refuse items
   * with ZR_ERR_TYPE; report the doc's status instead */
  zr_status ds = zr_doc_status(doc);
  if (st != ZR_OK && ds != ZR_OK && (st != ds || !err || err->code != st))
    st = zr__err(err, ds, -1, "arrow: %s while building values", ds == ZR_ERR_NOMEM ? "out of memory" : "doc limit reached");
  return st;
}

static zr_status to_value(const zr_table *tb, zr_doc *doc, zr_value *out, zr_error *err) {
  tv t = {doc, err};
  *out = zr_list_new(doc, (size_t)zr_table_num_rows(tb));
  for (int64_t b = 0; b < tb->n_batches; b++) {
    const struct ArrowArray *ba = &tb->batches[b];
    for (int64_t r = 0; r < ba->length; r++) {
      zr_value row;
      struct ArrowSchema *s = (struct ArrowSchema *)&tb->schema;
      zr_value m = zr_map_new(doc, (size_t)s->n_children);
      for (int64_t c = 0; c < s->n_children; c++) {
        zr_value v;
        ZR_TRY(elem(&t, s->children[c], ba->children[c], ba->offset + r, &v, 1));
        ZR_TRY(zr_map_put_cstr(doc, &m, s->children[c]->name ? s->children[c]->name : "", v));
      }
      row = m;
      ZR_TRY(zr_list_push(doc, out, row));
    }
  }
  return zr_doc_status(doc);
}
