/* Docs and values: construction, equality, lookup, deep copy. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

void zr_decode_opts_init(zr_decode_opts *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->max_depth = ZR_DEFAULT_MAX_DEPTH;
  o->max_elements = ZR_DEFAULT_MAX_ELEMENTS;
  o->max_bytes = ZR_DEFAULT_MAX_BYTES;
  o->validate_utf8 = 1;
  o->dup_keys = ZR_DUP_KEEP;
}

zr_doc *zr__doc_new_limited(const zr_allocator *alloc, uint64_t max_bytes) {
  const zr_allocator *a = zr__alloc_or_default(alloc);
  zr_doc *d = zr__malloc(a, sizeof *d);
  if (!d) return NULL;
  memset(d, 0, sizeof *d);
  d->alloc = *a;
  zr__arena_init(&d->arena, &d->alloc);
  d->arena.limit = max_bytes;
  return d;
}

zr_doc *zr_doc_new(const zr_allocator *alloc) { return zr__doc_new_limited(alloc, 0); }


/* Run the release callbacks of zr_doc_keep (their records live in the arena). */
static void release_keeps(zr_doc *d) {
  zr__keep *k = d->keeps;
  while (k) {
    zr__keep *n = k->next;
    k->release(k->owner);
    k = n;
  }
}

void zr_doc_free(zr_doc *d) {
  if (!d) return;
  release_keeps(d);
  zr__arena_free(&d->arena);
  zr_allocator a = d->alloc;
  zr__free(&a, d);
}

void zr_doc_reset(zr_doc *d) {
  if (!d) return;
  release_keeps(d);
  d->keeps = NULL;
  zr__arena_reset(&d->arena, 1);
  memset(&d->root, 0, sizeof d->root);
  d->root.kind = ZR_KIND_NULL;
  d->status = ZR_OK;
}

const zr_value *zr_doc_root(const zr_doc *d) { return d ? &d->root : NULL; }

zr_status zr_doc_set_root(zr_doc *d, zr_value v) {
  if (!d) return ZR_ERR_INVALID_ARG;
  d->root = v;
  return d->status;
}

zr_status zr_doc_status(const zr_doc *d) { return d ? d->status : ZR_ERR_INVALID_ARG; }

void *zr_doc_alloc(zr_doc *d, size_t size, size_t align) {
  if (!d || align == 0 || align > 64 || (align & (align - 1))) return NULL;
  void *p = zr__arena_alloc(&d->arena, size, align);
  if (!p && d->status == ZR_OK) d->status = ZR_ERR_NOMEM;
  return p;
}

zr_status zr_doc_keep(zr_doc *d, void (*release)(void *), void *owner) {
  if (!d || !release) return ZR_ERR_INVALID_ARG;
  zr__keep *k = zr_doc_alloc(d, sizeof *k, 8);
  if (!k) return ZR_ERR_NOMEM;
  k->release = release;
  k->owner = owner;
  k->next = d->keeps;
  d->keeps = k;
  return ZR_OK;
}

uint64_t zr_doc_bytes(const zr_doc *d) { return d ? d->arena.total : 0; }

static zr_value bytes_copy(zr_doc *d, zr_kind k, const void *p, size_t len) {
  if (!d) return zr_null();
  char *m = zr_doc_alloc(d, len + 1, 1);
  if (!m) return zr_null();
  if (len) memcpy(m, p, len);
  m[len] = '\0';
  zr_value v = zr_null();
  v.kind = (uint8_t)k;
  v.u.str = m;
  v.n.len = len;
  return v;
}

zr_value zr_str_copy(zr_doc *d, const char *s, size_t len) { return bytes_copy(d, ZR_KIND_STRING, s, len); }
zr_value zr_bin_copy(zr_doc *d, const void *p, size_t len) { return bytes_copy(d, ZR_KIND_BINARY, p, len); }
zr_value zr_sym_copy(zr_doc *d, const char *s, size_t len) { return bytes_copy(d, ZR_KIND_SYMBOL, s, len); }

zr_value zr_bigint(zr_doc *d, int negative, const uint8_t *mag, size_t len) {
  while (len && mag[len - 1] == 0) len--;
  zr_value v = bytes_copy(d, ZR_KIND_BIGINT, mag, len);
  if (v.kind == ZR_KIND_BIGINT && negative && len) v.flags |= ZR_VF_NEGATIVE;
  return v;
}

zr_value zr_timestamp(zr_doc *d, int64_t value, zr_time_unit unit, const char *tz) {
  zr_value v = zr_null();
  v.kind = ZR_KIND_TIMESTAMP;
  v.u.i = value;
  v.aux16 = (uint16_t)unit;
  if (tz) {
    zr_value s = zr_str_copy(d, tz, strlen(tz));
    if (s.kind != ZR_KIND_STRING) return zr_null();
    v.n.tz = s.u.str;
  }
  return v;
}

static void tensor_release_cb(void *p) {
  zr_tensor *t = p;
  if (t->release) t->release(t->owner);
}

zr_value zr_tensor_value(zr_doc *d, const zr_tensor *t) {
  if (!d || !t) return zr_null();
  zr_tensor *c = zr_doc_alloc(d, sizeof *c, 8);
  if (!c) return zr_null();
  *c = *t;
  if (c->release && zr_doc_keep(d, tensor_release_cb, c) != ZR_OK) {
    d->status = ZR_ERR_NOMEM;
    return zr_null();
  }
  zr_value v = zr_null();
  v.kind = ZR_KIND_TENSOR;
  v.u.tensor = c;
  return v;
}

static void table_release_cb(void *p) { zr_table_release(p); }

zr_value zr_table_value(zr_doc *d, zr_table *t) {
  if (!d || !t) return zr_null();
  zr_table *c = zr_doc_alloc(d, sizeof *c, 8);
  if (!c) return zr_null();
  if (zr_doc_keep(d, table_release_cb, c) != ZR_OK) {
    d->status = ZR_ERR_NOMEM;
    return zr_null();
  }
  *c = *t;
  memset(t, 0, sizeof *t);
  zr_value v = zr_null();
  v.kind = ZR_KIND_TABLE;
  v.u.table = c;
  return v;
}

zr_value zr_ext(zr_doc *d, uint32_t type_id, uint16_t version, const void *p, size_t len) {
  zr_value v = bytes_copy(d, ZR_KIND_EXT, p, len);
  if (v.kind != ZR_KIND_EXT) return v;
  v.aux32 = type_id;
  v.aux16 = version;
  return v;
}

static zr_value container_new(zr_doc *d, zr_kind k, size_t cap, size_t elem) {
  if (!d) return zr_null();
  if (cap > UINT32_MAX) cap = UINT32_MAX;
  zr_value v = zr_null();
  v.kind = (uint8_t)k;
  if (cap) {
    void *m = zr_doc_alloc(d, cap * elem, 8);
    if (!m) return zr_null();
    v.u.items = m;
  }
  v.aux32 = (uint32_t)cap;
  return v;
}

zr_value zr_list_new(zr_doc *d, size_t cap) { return container_new(d, ZR_KIND_LIST, cap, sizeof(zr_value)); }
zr_value zr_tuple_new(zr_doc *d, size_t cap) { return container_new(d, ZR_KIND_TUPLE, cap, sizeof(zr_value)); }
zr_value zr_map_new(zr_doc *d, size_t cap) { return container_new(d, ZR_KIND_MAP, cap, sizeof(zr_member)); }

static zr_status container_grow(zr_doc *d, zr_value *c, size_t elem) {
  uint64_t len = c->n.len;
  if (len >= UINT32_MAX) return d->status = ZR_ERR_LIMIT;
  uint64_t cap = len < 4 ? 8 : len * 2;
  if (cap > UINT32_MAX) cap = UINT32_MAX;
  void *m = zr_doc_alloc(d, (size_t)cap * elem, 8);
  if (!m) return ZR_ERR_NOMEM;
  if (len) memcpy(m, c->u.items, (size_t)len * elem);
  c->u.items = m;
  c->aux32 = (uint32_t)cap;
  return ZR_OK;
}

zr_status zr_list_push(zr_doc *d, zr_value *list, zr_value item) {
  if (!d || !list || (list->kind != ZR_KIND_LIST && list->kind != ZR_KIND_TUPLE)) return ZR_ERR_TYPE;
  if (list->n.len >= list->aux32) ZR_TRY(container_grow(d, list, sizeof(zr_value)));
  list->u.items[list->n.len++] = item;
  return ZR_OK;
}

zr_status zr_map_put(zr_doc *d, zr_value *map, zr_value key, zr_value val) {
  if (!d || !map || map->kind != ZR_KIND_MAP) return ZR_ERR_TYPE;
  if (map->n.len >= map->aux32) ZR_TRY(container_grow(d, map, sizeof(zr_member)));
  zr_member *m = &map->u.members[map->n.len++];
  m->key = key;
  m->val = val;
  return ZR_OK;
}

zr_status zr_map_put_cstr(zr_doc *d, zr_value *map, const char *key, zr_value val) {
  zr_value k = zr_str_copy(d, key, strlen(key));
  if (k.kind != ZR_KIND_STRING) return ZR_ERR_NOMEM;
  return zr_map_put(d, map, k, val);
}

const char *zr_kind_name(zr_kind k) {
  static const char *const names[] = {"null",  "bool",   "int",  "uint",  "bigint",    "float",  "string", "binary",
                                      "symbol", "list",  "tuple", "map",  "timestamp", "tensor", "table",  "ext"};
  return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "invalid";
}

const zr_value *zr_map_get(const zr_value *map, const char *key, size_t len) {
  if (!map || map->kind != ZR_KIND_MAP || !key) return NULL;
  for (uint64_t i = 0; i < map->n.len; i++) {
    const zr_value *k = &map->u.members[i].key;
    if (k->kind == ZR_KIND_STRING && k->n.len == len && (len == 0 || memcmp(k->u.str, key, len) == 0))
      return &map->u.members[i].val;
  }
  return NULL;
}

/* ---- equality ---- */

static int tensor_equal(const zr_tensor *a, const zr_tensor *b) {
  if (a->dtype != b->dtype || a->itemsize != b->itemsize || a->ndim != b->ndim || a->time_unit != b->time_unit)
    return 0;
  if (a->itemsize > 1 && a->byte_order != b->byte_order) return 0;
  for (uint32_t i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return 0;
  if ((a->descr == NULL) != (b->descr == NULL)) return 0;
  if (a->descr && strcmp(a->descr, b->descr) != 0) return 0;
  uint64_t n = zr_tensor_count(a);
  if (n == 0 || a->itemsize == 0) return 1; /* no element bytes to compare (data may be NULL) */
  if (!a->data || !b->data) return a->data == b->data;
  if (zr_tensor_is_c_contiguous(a) && zr_tensor_is_c_contiguous(b))
    return memcmp(a->data, b->data, (size_t)(n * a->itemsize)) == 0;
  /* general strided comparison in C order */
  int64_t idx[ZR_TENSOR_MAX_DIMS] = {0};
  for (uint64_t k = 0; k < n; k++) {
    const uint8_t *pa = a->data, *pb = b->data;
    for (uint32_t d = 0; d < a->ndim; d++) {
      pa += idx[d] * a->strides[d];
      pb += idx[d] * b->strides[d];
    }
    if (memcmp(pa, pb, (size_t)a->itemsize) != 0) return 0;
    for (int d = (int)a->ndim - 1; d >= 0; d--) {
      if (++idx[d] < a->shape[d]) break;
      idx[d] = 0;
    }
  }
  return 1;
}

int zr__table_equal(const zr_table *a, const zr_table *b); /* table.c */

int zr_value_equal(const zr_value *a, const zr_value *b) {
  if (a == b) return 1;
  if (!a || !b || a->kind != b->kind) return 0;
  switch ((zr_kind)a->kind) {
    case ZR_KIND_NULL: return 1;
    case ZR_KIND_BOOL: return a->u.b == b->u.b;
    case ZR_KIND_INT:
    case ZR_KIND_UINT: return a->u.u == b->u.u;
    case ZR_KIND_FLOAT: return a->u.u == b->u.u && (a->flags & ZR_VF_F32) == (b->flags & ZR_VF_F32);
    case ZR_KIND_BIGINT:
      if ((a->flags & ZR_VF_NEGATIVE) != (b->flags & ZR_VF_NEGATIVE)) return 0;
      /* fallthrough */
    case ZR_KIND_STRING:
    case ZR_KIND_BINARY:
    case ZR_KIND_SYMBOL:
      return a->n.len == b->n.len && (a->n.len == 0 || memcmp(a->u.bin, b->u.bin, a->n.len) == 0);
    case ZR_KIND_EXT:
      return a->aux32 == b->aux32 && a->aux16 == b->aux16 && a->n.len == b->n.len &&
             (a->n.len == 0 || memcmp(a->u.bin, b->u.bin, a->n.len) == 0);
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE:
      if (a->n.len != b->n.len) return 0;
      for (uint64_t i = 0; i < a->n.len; i++)
        if (!zr_value_equal(&a->u.items[i], &b->u.items[i])) return 0;
      return 1;
    case ZR_KIND_MAP:
      if (a->n.len != b->n.len) return 0;
      for (uint64_t i = 0; i < a->n.len; i++)
        if (!zr_value_equal(&a->u.members[i].key, &b->u.members[i].key) ||
            !zr_value_equal(&a->u.members[i].val, &b->u.members[i].val))
          return 0;
      return 1;
    case ZR_KIND_TIMESTAMP:
      if (a->u.i != b->u.i || a->aux16 != b->aux16) return 0;
      if ((a->n.tz == NULL) != (b->n.tz == NULL)) return 0;
      return !a->n.tz || strcmp(a->n.tz, b->n.tz) == 0;
    case ZR_KIND_TENSOR: return tensor_equal(a->u.tensor, b->u.tensor);
    case ZR_KIND_TABLE: return zr__table_equal(a->u.table, b->u.table);
  }
  return 0;
}

/* ---- deep copy ---- */

zr_status zr__table_copy(zr_doc *d, const zr_table *src, zr_table *dst, zr_error *err); /* table.c */

zr_status zr_value_copy(zr_doc *d, const zr_value *src, zr_value *dst, zr_error *err) {
  if (!d || !src || !dst) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  *dst = *src;
  switch ((zr_kind)src->kind) {
    case ZR_KIND_STRING:
    case ZR_KIND_BINARY:
    case ZR_KIND_SYMBOL:
    case ZR_KIND_BIGINT:
    case ZR_KIND_EXT: {
      zr_value c = bytes_copy(d, (zr_kind)src->kind, src->u.bin, src->n.len);
      if (c.kind != src->kind) return zr__err_nomem(err);
      dst->u.bin = c.u.bin;
      return ZR_OK;
    }
    case ZR_KIND_TIMESTAMP:
      if (src->n.tz) {
        zr_value c = zr_str_copy(d, src->n.tz, strlen(src->n.tz));
        if (c.kind != ZR_KIND_STRING) return zr__err_nomem(err);
        dst->n.tz = c.u.str;
      }
      return ZR_OK;
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE: {
      zr_value *items = NULL;
      if (src->n.len) {
        if (src->n.len > SIZE_MAX / sizeof(zr_value)) return zr__err_nomem(err);
        items = zr_doc_alloc(d, (size_t)src->n.len * sizeof(zr_value), 8);
        if (!items) return zr__err_nomem(err);
        for (uint64_t i = 0; i < src->n.len; i++) ZR_TRY(zr_value_copy(d, &src->u.items[i], &items[i], err));
      }
      dst->u.items = items;
      dst->aux32 = (uint32_t)(src->n.len > UINT32_MAX ? UINT32_MAX : src->n.len);
      return ZR_OK;
    }
    case ZR_KIND_MAP: {
      zr_member *m = NULL;
      if (src->n.len) {
        if (src->n.len > SIZE_MAX / sizeof(zr_member)) return zr__err_nomem(err);
        m = zr_doc_alloc(d, (size_t)src->n.len * sizeof(zr_member), 8);
        if (!m) return zr__err_nomem(err);
        for (uint64_t i = 0; i < src->n.len; i++) {
          ZR_TRY(zr_value_copy(d, &src->u.members[i].key, &m[i].key, err));
          ZR_TRY(zr_value_copy(d, &src->u.members[i].val, &m[i].val, err));
        }
      }
      dst->u.members = m;
      dst->aux32 = (uint32_t)(src->n.len > UINT32_MAX ? UINT32_MAX : src->n.len);
      return ZR_OK;
    }
    case ZR_KIND_TENSOR: {
      const zr_tensor *t = src->u.tensor;
      zr_tensor *c = zr_doc_alloc(d, sizeof *c, 8);
      if (!c) return zr__err_nomem(err);
      *c = *t;
      c->release = NULL;
      c->owner = NULL;
      uint64_t n = zr_tensor_count(t), bytes;
      if (zr__mul_overflow(n, t->itemsize, &bytes) || bytes > SIZE_MAX) return zr__err(err, ZR_ERR_OVERFLOW, -1, "tensor too large");
      uint8_t *data = zr_doc_alloc(d, bytes ? (size_t)bytes : 1, 64);
      if (!data) return zr__err_nomem(err);
      /* gather into C order */
      if (n && zr_tensor_is_c_contiguous(t)) {
        memcpy(data, t->data, (size_t)bytes);
      } else if (n) {
        int64_t idx[ZR_TENSOR_MAX_DIMS] = {0};
        for (uint64_t k = 0; k < n; k++) {
          const uint8_t *p = t->data;
          for (uint32_t dd = 0; dd < t->ndim; dd++) p += idx[dd] * t->strides[dd];
          memcpy(data + k * t->itemsize, p, (size_t)t->itemsize);
          for (int dd = (int)t->ndim - 1; dd >= 0; dd--) {
            if (++idx[dd] < t->shape[dd]) break;
            idx[dd] = 0;
          }
        }
      }
      int64_t stride = (int64_t)t->itemsize;
      for (int dd = (int)t->ndim - 1; dd >= 0; dd--) {
        c->strides[dd] = stride;
        stride *= t->shape[dd] ? t->shape[dd] : 1;
      }
      c->data = data;
      c->nbytes = bytes;
      if (t->descr) {
        zr_value s = zr_str_copy(d, t->descr, strlen(t->descr));
        if (s.kind != ZR_KIND_STRING) return zr__err_nomem(err);
        c->descr = s.u.str;
      }
      dst->u.tensor = c;
      return ZR_OK;
    }
    case ZR_KIND_TABLE: {
      zr_table tmp;
      ZR_TRY(zr__table_copy(d, src->u.table, &tmp, err));
      zr_value v = zr_table_value(d, &tmp);
      if (v.kind != ZR_KIND_TABLE) {
        zr_table_release(&tmp);
        return zr__err_nomem(err);
      }
      *dst = v;
      return ZR_OK;
    }
    default:
      return ZR_OK;
  }
}
