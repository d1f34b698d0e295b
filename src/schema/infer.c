/* Schema inference from values and from Arrow schemas (C Data Interface format strings). */
#include <stdio.h>
#include <stdlib.h>

#include "schema/schema_internal.h"

typedef struct inf {
  int32_t next_id;
  zr_error *err;
} inf;

static zr_status type_of(inf *I, const zr_value *v, zs_type **out, int *nullable);

/* Merge field type b into a (same field seen in another record). */
static zr_status unify(inf *I, zs_type **a, zs_type *b, const char *name) {
  zs_type *x = *a;
  if (x->kind == ZS_NULL) {
    zs_type_free(x);
    *a = b;
    return ZR_OK;
  }
  if (b->kind == ZS_NULL || (x->kind == b->kind && x->kind != ZS_STRUCT && x->kind != ZS_LIST)) {
    zs_type_free(b);
    return ZR_OK;
  }
  if ((x->kind == ZS_INT64 || x->kind == ZS_UINT64 || x->kind == ZS_FLOAT64 || x->kind == ZS_FLOAT32) &&
      (b->kind == ZS_INT64 || b->kind == ZS_UINT64 || b->kind == ZS_FLOAT64 || b->kind == ZS_FLOAT32)) {
    x->kind = ZS_FLOAT64; /* mixed int/float: float64 */
    zs_type_free(b);
    return ZR_OK;
  }
  if (x->kind == ZS_STRUCT && b->kind == ZS_STRUCT) {
    /* fields of b missing in x are added nullable; fields of x missing in b become nullable */
    for (size_t i = 0; i < x->nfields; i++) {
      int found = 0;
      for (size_t j = 0; j < b->nfields; j++) found |= strcmp(x->fields[i].name, b->fields[j].name) == 0;
      if (!found) x->fields[i].nullable = 1;
    }
    for (size_t j = 0; j < b->nfields; j++) {
      size_t i;
      for (i = 0; i < x->nfields; i++)
        if (strcmp(x->fields[i].name, b->fields[j].name) == 0) break;
      if (i < x->nfields) {
        x->fields[i].nullable |= b->fields[j].nullable;
        zr_status st = unify(I, &x->fields[i].type, b->fields[j].type, b->fields[j].name);
        b->fields[j].type = NULL;
        if (st != ZR_OK) {
          zs_type_free(b);
          return st;
        }
      } else {
        zs_field *nf = zs_realloc(x->fields, (x->nfields + 1) * sizeof *nf);
        if (!nf) {
          zs_type_free(b);
          return zr__err_nomem(I->err);
        }
        x->fields = nf;
        x->fields[x->nfields] = b->fields[j];
        x->fields[x->nfields].nullable = 1;
        memset(&b->fields[j], 0, sizeof b->fields[j]);
        x->nfields++;
      }
    }
    zs_free(x->text);
    x->text = NULL;
    zs_type_free(b);
    return ZR_OK;
  }
  if (x->kind == ZS_LIST && b->kind == ZS_LIST) {
    x->elem->nullable |= b->elem->nullable;
    zr_status st = unify(I, &x->elem->type, b->elem->type, name);
    b->elem->type = NULL;
    zs_type_free(b);
    return st;
  }
  zr_error_set(I->err, ZR_ERR_TYPE, -1, "field %s holds both %s and %s", name, zs_kind_name(x->kind), zs_kind_name(b->kind));
  zs_type_free(b);
  return ZR_ERR_TYPE;
}

static char *dupn(const char *s, size_t n) {
  char *d = zs_malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

static zr_status struct_of(inf *I, const zr_value *map, zs_type **out) {
  zs_type *t = zs_type_new(ZS_STRUCT);
  if (!t) return zr__err_nomem(I->err);
  t->fields = zs_calloc(map->n.len ? (size_t)map->n.len : 1, sizeof *t->fields);
  if (!t->fields) {
    zs_type_free(t);
    return zr__err_nomem(I->err);
  }
  for (uint64_t i = 0; i < map->n.len; i++) {
    const zr_member *m = &map->u.members[i];
    if (m->key.kind != ZR_KIND_STRING && m->key.kind != ZR_KIND_SYMBOL) {
      zs_type_free(t);
      return zr__err(I->err, ZR_ERR_TYPE, -1, "record keys must be strings");
    }
    zs_field *f = &t->fields[t->nfields];
    f->id = I->next_id++;
    f->name = dupn(m->key.u.str, (size_t)m->key.n.len);
    if (!f->name) {
      zs_type_free(t);
      return zr__err_nomem(I->err);
    }
    t->nfields++;
    zr_status st = type_of(I, &m->val, &f->type, &f->nullable);
    if (st != ZR_OK) {
      zs_type_free(t);
      return st;
    }
  }
  *out = t;
  return ZR_OK;
}

static zs_kind dtype_kind(zr_dtype d) {
  switch (d) {
    case ZR_DT_BOOL: return ZS_BOOL;
    case ZR_DT_INT8: return ZS_INT8;
    case ZR_DT_INT16: return ZS_INT16;
    case ZR_DT_INT32: return ZS_INT32;
    case ZR_DT_INT64: return ZS_INT64;
    case ZR_DT_UINT8: return ZS_UINT8;
    case ZR_DT_UINT16: return ZS_UINT16;
    case ZR_DT_UINT32: return ZS_UINT32;
    case ZR_DT_UINT64: return ZS_UINT64;
    case ZR_DT_FLOAT16: return ZS_FLOAT16;
    case ZR_DT_FLOAT32: return ZS_FLOAT32;
    case ZR_DT_FLOAT64: return ZS_FLOAT64;
    default: return ZS_NULL;
  }
}

static zr_status type_of(inf *I, const zr_value *v, zs_type **out, int *nullable) {
  zs_kind k;
  *nullable = 0;
  switch ((zr_kind)v->kind) {
    case ZR_KIND_NULL: k = ZS_NULL; *nullable = 1; break;
    case ZR_KIND_BOOL: k = ZS_BOOL; break;
    case ZR_KIND_INT: k = ZS_INT64; break;
    case ZR_KIND_UINT: k = ZS_UINT64; break;
    case ZR_KIND_FLOAT: k = (v->flags & ZR_VF_F32) ? ZS_FLOAT32 : ZS_FLOAT64; break;
    case ZR_KIND_STRING: case ZR_KIND_SYMBOL: k = ZS_UTF8; break;
    case ZR_KIND_BINARY: case ZR_KIND_EXT: k = ZS_BINARY; break;
    case ZR_KIND_BIGINT: {
      zs_type *t = zs_type_new(ZS_DECIMAL);
      if (!t) return zr__err_nomem(I->err);
      t->precision = 76;
      *out = t;
      return ZR_OK;
    }
    case ZR_KIND_TIMESTAMP: {
      zs_type *t = zs_type_new(v->aux16 == ZR_TU_DAY ? ZS_DATE : ZS_TIMESTAMP);
      if (!t) return zr__err_nomem(I->err);
      t->unit = v->aux16 <= ZR_TU_NANO ? v->aux16 : ZR_TU_MICRO;
      if (v->n.tz && !(t->tz = dupn(v->n.tz, strlen(v->n.tz)))) {
        zs_type_free(t);
        return zr__err_nomem(I->err);
      }
      *out = t;
      return ZR_OK;
    }
    case ZR_KIND_MAP: return struct_of(I, v, out);
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE: {
      zs_type *t = zs_type_new(ZS_LIST);
      if (!t || !(t->elem = zs_calloc(1, sizeof *t->elem)) || !(t->elem->name = dupn("element", 7))) {
        zs_type_free(t);
        return zr__err_nomem(I->err);
      }
      t->elem->id = I->next_id++;
      t->elem->type = zs_type_new(ZS_NULL);
      if (!t->elem->type) {
        zs_type_free(t);
        return zr__err_nomem(I->err);
      }
      for (uint64_t i = 0; i < v->n.len; i++) {
        zs_type *et;
        int n;
        zr_status st = type_of(I, &v->u.items[i], &et, &n);
        if (st == ZR_OK) st = unify(I, &t->elem->type, et, "element");
        if (st != ZR_OK) {
          zs_type_free(t);
          return st;
        }
        t->elem->nullable |= n;
      }
      *out = t;
      return ZR_OK;
    }
    case ZR_KIND_TENSOR: {
      const zr_tensor *x = v->u.tensor;
      zs_type *t = zs_type_new(ZS_TENSOR);
      if (!t) return zr__err_nomem(I->err);
      t->dtype = dtype_kind(x->dtype);
      if (t->dtype == ZS_NULL) {
        zs_type_free(t);
        return zr__err(I->err, ZR_ERR_UNSUPPORTED, -1, "tensor dtype %s has no schema type", zr_dtype_name(x->dtype));
      }
      t->ndim = (int)x->ndim;
      t->shape = zs_calloc((size_t)t->ndim + 1, sizeof *t->shape);
      if (!t->shape) {
        zs_type_free(t);
        return zr__err_nomem(I->err);
      }
      for (uint32_t i = 0; i < x->ndim; i++) t->shape[i] = x->shape[i];
      *out = t;
      return ZR_OK;
    }
    case ZR_KIND_TABLE:
    default:
      return zr__err(I->err, ZR_ERR_UNSUPPORTED, -1, "cannot infer a field type from a %s", zr_kind_name((zr_kind)v->kind));
  }
  *out = zs_type_new(k);
  return *out ? ZR_OK : zr__err_nomem(I->err);
}

/* ---- from Arrow C Data Interface schemas ---- */
static zr_status arrow_type(inf *I, const struct ArrowSchema *s, zs_type **out);

static zr_status arrow_field(inf *I, const struct ArrowSchema *s, zs_field *f) {
  f->id = I->next_id++;
  f->name = dupn(s->name ? s->name : "", s->name ? strlen(s->name) : 0);
  if (!f->name) return zr__err_nomem(I->err);
  f->nullable = (s->flags & ARROW_FLAG_NULLABLE) != 0;
  return arrow_type(I, s, &f->type);
}

static zr_status arrow_type(inf *I, const struct ArrowSchema *s, zs_type **out) {
  const char *fmt = s->format ? s->format : "";
  if (s->dictionary) {
    zs_type *t = zs_type_new(ZS_DICT);
    if (!t) return zr__err_nomem(I->err);
    static const struct { char c; zs_kind k; } ix[] = {{'c', ZS_INT8}, {'C', ZS_UINT8}, {'s', ZS_INT16}, {'S', ZS_UINT16},
                                                        {'i', ZS_INT32}, {'I', ZS_UINT32}, {'l', ZS_INT64}, {'L', ZS_UINT64}};
    for (size_t i = 0; i < 8; i++)
      if (fmt[0] == ix[i].c) t->index = ix[i].k;
    *out = t;
    return ZR_OK;
  }
  zs_kind k = ZS_NULL;
  zs_type *t = NULL;
  switch (fmt[0]) {
    case 'n': k = ZS_NULL; break;
    case 'b': k = ZS_BOOL; break;
    case 'c': k = ZS_INT8; break;
    case 'C': k = ZS_UINT8; break;
    case 's': k = ZS_INT16; break;
    case 'S': k = ZS_UINT16; break;
    case 'i': k = ZS_INT32; break;
    case 'I': k = ZS_UINT32; break;
    case 'l': k = ZS_INT64; break;
    case 'L': k = ZS_UINT64; break;
    case 'e': k = ZS_FLOAT16; break;
    case 'f': k = ZS_FLOAT32; break;
    case 'g': k = ZS_FLOAT64; break;
    case 'u': case 'U': k = ZS_UTF8; break;
    case 'z': case 'Z': case 'w': k = ZS_BINARY; break;
    case 'v': k = fmt[1] == 'u' ? ZS_UTF8 : ZS_BINARY; break;
    case 'd': {
      int p = 0, sc = 0;
      if (sscanf(fmt, "d:%d,%d", &p, &sc) < 1) return zr__err(I->err, ZR_ERR_MALFORMED, -1, "bad decimal format %s", fmt);
      t = zs_type_new(ZS_DECIMAL);
      if (!t) return zr__err_nomem(I->err);
      t->precision = p;
      t->scale = sc;
      *out = t;
      return ZR_OK;
    }
    case 't': {
      static const char units[] = "smun";
      if (fmt[1] == 'd') k = ZS_DATE;
      else if (fmt[1] == 't' || fmt[1] == 's' || fmt[1] == 'D') {
        t = zs_type_new(fmt[1] == 't' ? ZS_TIME : fmt[1] == 's' ? ZS_TIMESTAMP : ZS_DURATION);
        if (!t) return zr__err_nomem(I->err);
        const char *u = fmt[2] ? strchr(units, fmt[2]) : NULL;
        t->unit = u ? (int)(u - units) : ZR_TU_MICRO;
        if (fmt[1] == 's' && fmt[3] == ':' && fmt[4] && !(t->tz = dupn(fmt + 4, strlen(fmt + 4)))) {
          zs_type_free(t);
          return zr__err_nomem(I->err);
        }
        *out = t;
        return ZR_OK;
      } else {
        k = ZS_DURATION;
      }
      break;
    }
    case '+': {
      char c = fmt[1];
      if (c == 's') {
        t = zs_type_new(ZS_STRUCT);
        if (!t || !(t->fields = zs_calloc(s->n_children ? (size_t)s->n_children : 1, sizeof *t->fields))) {
          zs_type_free(t);
          return zr__err_nomem(I->err);
        }
        for (int64_t i = 0; i < s->n_children; i++) {
          zr_status st = arrow_field(I, s->children[i], &t->fields[i]);
          t->nfields++;
          if (st != ZR_OK) {
            zs_type_free(t);
            return st;
          }
        }
        *out = t;
        return ZR_OK;
      }
      if ((c == 'l' || c == 'L' || c == 'w' || c == 'v') && s->n_children == 1) {
        t = zs_type_new(ZS_LIST);
        if (!t || !(t->elem = zs_calloc(1, sizeof *t->elem))) {
          zs_type_free(t);
          return zr__err_nomem(I->err);
        }
        zr_status st = arrow_field(I, s->children[0], t->elem);
        if (st != ZR_OK) {
          zs_type_free(t);
          return st;
        }
        *out = t;
        return ZR_OK;
      }
      if (c == 'm' && s->n_children == 1 && s->children[0]->n_children == 2) {
        t = zs_type_new(ZS_MAP);
        if (!t || !(t->key = zs_calloc(1, sizeof *t->key)) || !(t->value = zs_calloc(1, sizeof *t->value))) {
          zs_type_free(t);
          return zr__err_nomem(I->err);
        }
        zr_status st = arrow_field(I, s->children[0]->children[0], t->key);
        if (st == ZR_OK) st = arrow_field(I, s->children[0]->children[1], t->value);
        if (st != ZR_OK) {
          zs_type_free(t);
          return st;
        }
        *out = t;
        return ZR_OK;
      }
      return zr__err(I->err, ZR_ERR_UNSUPPORTED, -1, "Arrow type %s has no schema type", fmt);
    }
    default:
      return zr__err(I->err, ZR_ERR_UNSUPPORTED, -1, "Arrow type %s has no schema type", fmt);
  }
  *out = zs_type_new(k);
  return *out ? ZR_OK : zr__err_nomem(I->err);
}

static void renumber(zs_type *t, int32_t *id) {
  if (!t) return;
  if (t->kind == ZS_STRUCT) {
    for (size_t i = 0; i < t->nfields; i++) t->fields[i].id = (*id)++;
    for (size_t i = 0; i < t->nfields; i++) renumber(t->fields[i].type, id);
  } else if (t->kind == ZS_LIST) {
    t->elem->id = (*id)++;
    renumber(t->elem->type, id);
  } else if (t->kind == ZS_MAP) {
    t->key->id = (*id)++;
    t->value->id = (*id)++;
    renumber(t->key->type, id);
    renumber(t->value->type, id);
  }
}

zr_status zr_schema_infer(const zr_value *v, zr_schema **out, zr_error *err) {
  if (!v || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  inf I = {1, err};
  zs_type *root = NULL;
  zr_status st;
  if (v->kind == ZR_KIND_MAP) {
    st = struct_of(&I, v, &root);
  } else if (v->kind == ZR_KIND_LIST) {
    st = ZR_OK;
    for (uint64_t i = 0; i < v->n.len && st == ZR_OK; i++) {
      if (v->u.items[i].kind != ZR_KIND_MAP) {
        st = zr__err(err, ZR_ERR_TYPE, -1, "record %llu is a %s, not a map", (unsigned long long)i,
                     zr_kind_name((zr_kind)v->u.items[i].kind));
        break;
      }
      zs_type *t;
      I.next_id = 1;
      st = struct_of(&I, &v->u.items[i], &t);
      if (st == ZR_OK) st = root ? unify(&I, &root, t, "$") : (root = t, ZR_OK);
    }
    if (st == ZR_OK && !root) st = zr__err(err, ZR_ERR_TYPE, -1, "no records to infer a schema from");
  } else if (v->kind == ZR_KIND_TABLE) {
    st = arrow_type(&I, &v->u.table->schema, &root);
    if (st == ZR_OK && root->kind != ZS_STRUCT) st = zr__err(err, ZR_ERR_TYPE, -1, "a table schema is a struct");
  } else {
    return zr__err(err, ZR_ERR_TYPE, -1, "infer needs a record, a list of records or a table, not a %s",
                   zr_kind_name((zr_kind)v->kind));
  }
  if (st != ZR_OK) {
    zs_type_free(root);
    return st;
  }
  /* ids in order of first appearance across the whole schema: top level first, then nested */
  int32_t id = 1;
  for (size_t i = 0; i < root->nfields; i++) root->fields[i].id = id++;
  for (size_t i = 0; i < root->nfields; i++) renumber(root->fields[i].type, &id);
  zr_schema *s = zs_calloc(1, sizeof *s);
  if (!s) {
    zs_type_free(root);
    return zr__err_nomem(err);
  }
  s->root = root;
  *out = s;
  return ZR_OK;
}
