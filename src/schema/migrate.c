/* Migration on read: values written with one schema, reshaped into another. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "schema/schema_internal.h"
#include "zerial/arrow.h"

typedef struct mig {
  zr_doc *doc;
  zr_error *err;
  zr__path path;
} mig;

static zr_status fail(mig *m, zr_status code, const char *fmt, const char *what) {
  char p[ZR_ERROR_PATH_MAX];
  zr__path_render(&m->path, p, sizeof p);
  return zr__err_path(m->err, code, p, fmt, what, p);
}

static int64_t unit_per_second(int unit) {
  switch (unit) {
    case ZR_TU_SECOND: return 1;
    case ZR_TU_MILLI: return 1000;
    case ZR_TU_MICRO: return 1000000;
    case ZR_TU_NANO: return 1000000000;
    default: return 0;
  }
}

static zr_status convert(mig *m, const zr_value *in, zs_type *wt, zs_type *rt, zr_value *out);

/* A default from the schema (JSON) as a value in the target doc. */
static zr_status default_value(mig *m, json_t *j, zs_type *rt, zr_value *out) {
  char *text = zs_json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
  if (!text) return zr__err_nomem(m->err);
  zr_doc *tmp = NULL;
  zr_status st = zr_value_from_json(text, strlen(text), 0, NULL, &tmp, m->err);
  zs_free(text);
  zr_value v;
  if (st == ZR_OK) st = zr_value_copy(m->doc, zr_doc_root(tmp), &v, m->err);
  zr_doc_free(tmp);
  if (st != ZR_OK) return st;
  return convert(m, &v, NULL, rt, out);
}

static zr_status to_int(mig *m, const zr_value *in, zs_kind k, zr_value *out) {
  int bits = zs_int_bits(k);
  if (in->kind == ZR_KIND_INT) {
    int64_t x = in->u.i;
    if (zs_is_uint(k)) {
      if (x < 0 || (bits < 64 && (uint64_t)x >> bits)) return fail(m, ZR_ERR_RANGE, "value does not fit %s at %s", zs_kind_name(k));
      *out = zr_uint((uint64_t)x);
      return ZR_OK;
    }
    if (bits < 64 && (x < -(INT64_C(1) << (bits - 1)) || x >= (INT64_C(1) << (bits - 1))))
      return fail(m, ZR_ERR_RANGE, "value does not fit %s at %s", zs_kind_name(k));
    *out = zr_int(x);
    return ZR_OK;
  }
  if (in->kind == ZR_KIND_UINT) {
    uint64_t x = in->u.u;
    if (zs_is_uint(k)) {
      if (bits < 64 && x >> bits) return fail(m, ZR_ERR_RANGE, "value does not fit %s at %s", zs_kind_name(k));
      *out = zr_uint(x);
      return ZR_OK;
    }
    if (x >> (bits - 1)) return fail(m, ZR_ERR_RANGE, "value does not fit %s at %s", zs_kind_name(k));
    *out = zr_int((int64_t)x);
    return ZR_OK;
  }
  return fail(m, ZR_ERR_TYPE, "expected an integer for %s at %s", zs_kind_name(k));
}

static zr_status to_float(mig *m, const zr_value *in, zs_kind k, zr_value *out) {
  double d;
  if (in->kind == ZR_KIND_INT) d = (double)in->u.i;
  else if (in->kind == ZR_KIND_UINT) d = (double)in->u.u;
  else if (in->kind == ZR_KIND_FLOAT) d = in->u.f;
  else return fail(m, ZR_ERR_TYPE, "expected a number for %s at %s", zs_kind_name(k));
  if (k == ZS_FLOAT64) {
    *out = zr_float(d);
    return ZR_OK;
  }
  double lim = k == ZS_FLOAT32 ? (double)FLT_MAX : 65504.0;
  if (isfinite(d) && fabs(d) > lim) return fail(m, ZR_ERR_RANGE, "value does not fit %s at %s", zs_kind_name(k));
  *out = zr_float32((float)d);
  return ZR_OK;
}

static zr_status to_timestamp(mig *m, const zr_value *in, zs_type *rt, zr_value *out) {
  if (in->kind == ZR_KIND_INT) { /* a bare count: already in the reader's unit */
    *out = zr_timestamp(m->doc, in->u.i, (zr_time_unit)rt->unit, rt->tz);
    return zr_doc_status(m->doc) == ZR_OK ? ZR_OK : zr__err_nomem(m->err);
  }
  if (in->kind != ZR_KIND_TIMESTAMP) return fail(m, ZR_ERR_TYPE, "expected a %s at %s", "timestamp");
  int64_t v = in->u.i;
  int from = in->aux16, to = rt->unit;
  if (from == ZR_TU_DAY) { /* dates widen to timestamps */
    if (__builtin_mul_overflow(v, (int64_t)86400, &v)) return fail(m, ZR_ERR_RANGE, "%s out of range at %s", "date");
    from = ZR_TU_SECOND;
  }
  int64_t f = unit_per_second(from), t = unit_per_second(to);
  if (!f || !t) return fail(m, ZR_ERR_UNSUPPORTED, "time unit %s not convertible at %s", "of the value");
  if (t >= f) {
    if (__builtin_mul_overflow(v, t / f, &v))
      return fail(m, ZR_ERR_RANGE, "timestamp out of range for unit %s at %s", zs_unit_name(to));
  } else {
    if (v % (f / t)) return fail(m, ZR_ERR_LOSSY, "timestamp loses precision in unit %s at %s", zs_unit_name(to));
    v /= f / t;
  }
  const char *tz = rt->tz ? rt->tz : NULL;
  *out = zr_timestamp(m->doc, v, (zr_time_unit)to, tz);
  return zr_doc_status(m->doc) == ZR_OK ? ZR_OK : zr__err_nomem(m->err);
}

static zr_status record(mig *m, const zr_value *in, zs_type *wt, zs_type *rt, zr_value *out);

static zr_status convert(mig *m, const zr_value *in, zs_type *wt, zs_type *rt, zr_value *out) {
  if (in->kind == ZR_KIND_NULL) {
    *out = zr_null();
    return ZR_OK;
  }
  switch (rt->kind) {
    case ZS_NULL: return fail(m, ZR_ERR_TYPE, "a %s field holds only nulls at %s", "null");
    case ZS_BOOL:
      if (in->kind != ZR_KIND_BOOL) return fail(m, ZR_ERR_TYPE, "expected a %s at %s", "bool");
      *out = *in;
      return ZR_OK;
    case ZS_INT8: case ZS_INT16: case ZS_INT32: case ZS_INT64:
    case ZS_UINT8: case ZS_UINT16: case ZS_UINT32: case ZS_UINT64:
      return to_int(m, in, rt->kind, out);
    case ZS_FLOAT16: case ZS_FLOAT32: case ZS_FLOAT64:
      return to_float(m, in, rt->kind, out);
    case ZS_UTF8:
    case ZS_DICT:
      if (in->kind == ZR_KIND_BINARY) {
        size_t bad;
        if (!zr_utf8_valid(in->u.bin, in->n.len, &bad)) return fail(m, ZR_ERR_UTF8, "binary is not %s at %s", "UTF-8");
        *out = *in;
        out->kind = ZR_KIND_STRING;
        return ZR_OK;
      }
      if (in->kind != ZR_KIND_STRING && in->kind != ZR_KIND_SYMBOL) return fail(m, ZR_ERR_TYPE, "expected a %s at %s", "string");
      *out = *in;
      out->kind = ZR_KIND_STRING;
      return ZR_OK;
    case ZS_BINARY:
      if (in->kind != ZR_KIND_STRING && in->kind != ZR_KIND_BINARY) return fail(m, ZR_ERR_TYPE, "expected %s at %s", "bytes");
      *out = *in;
      out->kind = ZR_KIND_BINARY;
      return ZR_OK;
    case ZS_TIMESTAMP:
      return to_timestamp(m, in, rt, out);
    case ZS_STRUCT:
      return record(m, in, wt && wt->kind == ZS_STRUCT ? wt : NULL, rt, out);
    case ZS_LIST: {
      if (in->kind != ZR_KIND_LIST && in->kind != ZR_KIND_TUPLE) return fail(m, ZR_ERR_TYPE, "expected a %s at %s", "list");
      zr_value l = zr_list_new(m->doc, (size_t)in->n.len);
      if (in->n.len && l.kind != ZR_KIND_LIST) return zr__err_nomem(m->err);
      unsigned d = m->path.depth++;
      for (uint64_t i = 0; i < in->n.len; i++) {
        if (d < 64) m->path.seg[d] = (typeof(m->path.seg[0])){NULL, i};
        zr_value x;
        ZR_TRY(convert(m, &in->u.items[i], wt && wt->kind == ZS_LIST ? wt->elem->type : NULL, rt->elem->type, &x));
        if (x.kind == ZR_KIND_NULL && !rt->elem->nullable) return fail(m, ZR_ERR_TYPE, "null %s at %s", "list element");
        ZR_TRY(zr_list_push(m->doc, &l, x));
      }
      m->path.depth = d;
      *out = l;
      return ZR_OK;
    }
    case ZS_MAP: {
      if (in->kind != ZR_KIND_MAP) return fail(m, ZR_ERR_TYPE, "expected a %s at %s", "map");
      zr_value mp = zr_map_new(m->doc, (size_t)in->n.len);
      if (in->n.len && mp.kind != ZR_KIND_MAP) return zr__err_nomem(m->err);
      unsigned d = m->path.depth++;
      for (uint64_t i = 0; i < in->n.len; i++) {
        if (d < 64) m->path.seg[d] = (typeof(m->path.seg[0])){&in->u.members[i].key, i};
        zr_value v;
        ZR_TRY(convert(m, &in->u.members[i].val, wt && wt->kind == ZS_MAP ? wt->value->type : NULL, rt->value->type, &v));
        ZR_TRY(zr_map_put(m->doc, &mp, in->u.members[i].key, v));
      }
      m->path.depth = d;
      *out = mp;
      return ZR_OK;
    }
    default:
      *out = *in; /* decimal, date, time, duration, tensor: carried as they are */
      return ZR_OK;
  }
}

static zr_status record(mig *m, const zr_value *in, zs_type *wt, zs_type *rt, zr_value *out) {
  if (in->kind != ZR_KIND_MAP) return fail(m, ZR_ERR_TYPE, "expected a %s (map) at %s", "record");
  zr_value rec = zr_map_new(m->doc, rt->nfields);
  if (rt->nfields && rec.kind != ZR_KIND_MAP) return zr__err_nomem(m->err);
  unsigned d = m->path.depth++;
  for (size_t i = 0; i < rt->nfields; i++) {
    zs_field *rf = &rt->fields[i];
    zs_field *wf = wt ? zs_match(rf, wt) : NULL;
    const char *src_name = wf ? wf->name : (wt ? NULL : rf->name);
    const zr_value *v = src_name ? zr_map_get(in, src_name, strlen(src_name)) : NULL;
    zr_value key = zr_str_ref(rf->name, strlen(rf->name));
    if (d < 64) m->path.seg[d] = (typeof(m->path.seg[0])){&key, i};
    zr_value outv;
    if (v && v->kind != ZR_KIND_NULL) {
      ZR_TRY(convert(m, v, wf ? wf->type : NULL, rf->type, &outv));
    } else if (rf->initial_default && !v) {
      ZR_TRY(default_value(m, rf->initial_default, rf->type, &outv));
    } else if (rf->nullable) {
      outv = zr_null();
    } else if (rf->initial_default) {
      ZR_TRY(default_value(m, rf->initial_default, rf->type, &outv));
    } else {
      return fail(m, ZR_ERR_TYPE, "required field %s is missing or null at %s", rf->name);
    }
    zr_value k = zr_str_copy(m->doc, rf->name, strlen(rf->name));
    if (k.kind != ZR_KIND_STRING) return zr__err_nomem(m->err);
    ZR_TRY(zr_map_put(m->doc, &rec, k, outv));
  }
  m->path.depth = d;
  *out = rec;
  return ZR_OK;
}

zr_status zr_schema_migrate(zr_doc *doc, const zr_value *in, const zr_schema *writer, const zr_schema *reader,
                            zr_value *out, zr_error *err) {
  if (!doc || !in || !reader || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  mig m = {doc, err, {.depth = 0}};
  zs_type *wt = writer ? writer->root : NULL;
  if (in->kind == ZR_KIND_LIST) {
    zr_value l = zr_list_new(doc, (size_t)in->n.len);
    if (in->n.len && l.kind != ZR_KIND_LIST) return zr__err_nomem(err);
    m.path.depth = 1;
    for (uint64_t i = 0; i < in->n.len; i++) {
      m.path.seg[0].key = NULL;
      m.path.seg[0].index = i;
      zr_value r;
      ZR_TRY(record(&m, &in->u.items[i], wt, reader->root, &r));
      ZR_TRY(zr_list_push(doc, &l, r));
    }
    *out = l;
    return ZR_OK;
  }
  return record(&m, in, wt, reader->root, out);
}

zr_status zr_schema_migrate_table(const zr_table *in, const zr_schema *writer, const zr_schema *reader, zr_table *out,
                                  zr_error *err) {
  if (!in || !reader || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  zr_doc *doc = zr_doc_new(NULL);
  if (!doc) return zr__err_nomem(err);
  zr_value rows, migrated;
  zr_status st = zr_arrow_to_value(in, doc, &rows, err);
  if (st == ZR_OK) st = zr_schema_migrate(doc, &rows, writer, reader, &migrated, err);
  if (st == ZR_OK) st = zr_arrow_from_value(&migrated, NULL, out, NULL, err);
  zr_doc_free(doc);
  return st;
}
