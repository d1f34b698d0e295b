/* Mock formats for the serialization-manager tests: they stand in for the real binary, Arrow and
 * npy modules (developed in parallel) so that selection, fallback, custom types and threading are
 * tested on their own. Each writes a 4-byte magic then a simple tagged encoding. */
#ifndef ZR_TEST_MOCK_FORMATS_H
#define ZR_TEST_MOCK_FORMATS_H

#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "zerial/serialize.h"

static zr_status mk_put(zr_sink *s, const void *p, size_t n, zr_error *err) { return zr_sink_write(s, p, n, err); }

static zr_status mk_enc(const zr_value *v, zr_sink *s, int depth, zr_error *err) {
  uint8_t tag = v->kind;
  if (depth > 64) return zr_error_set(err, ZR_ERR_LIMIT, -1, "too deep");
  ZR_TRY(mk_put(s, &tag, 1, err));
  switch (v->kind) {
    case ZR_KIND_NULL: return ZR_OK;
    case ZR_KIND_BOOL: {
      uint8_t b = (uint8_t)v->u.b;
      return mk_put(s, &b, 1, err);
    }
    case ZR_KIND_INT:
    case ZR_KIND_UINT:
    case ZR_KIND_FLOAT: return mk_put(s, &v->u, 8, err);
    case ZR_KIND_STRING:
    case ZR_KIND_BINARY:
    case ZR_KIND_SYMBOL: {
      uint32_t n = (uint32_t)v->n.len;
      ZR_TRY(mk_put(s, &n, 4, err));
      return mk_put(s, v->u.bin, n, err);
    }
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE: {
      uint32_t n = (uint32_t)v->n.len;
      ZR_TRY(mk_put(s, &n, 4, err));
      for (uint32_t i = 0; i < n; i++) ZR_TRY(mk_enc(&v->u.items[i], s, depth + 1, err));
      return ZR_OK;
    }
    case ZR_KIND_MAP: {
      uint32_t n = (uint32_t)v->n.len;
      ZR_TRY(mk_put(s, &n, 4, err));
      for (uint32_t i = 0; i < n; i++) {
        ZR_TRY(mk_enc(&v->u.members[i].key, s, depth + 1, err));
        ZR_TRY(mk_enc(&v->u.members[i].val, s, depth + 1, err));
      }
      return ZR_OK;
    }
    case ZR_KIND_EXT: {
      uint32_t id = v->aux32, n = (uint32_t)v->n.len;
      uint16_t ver = v->aux16;
      ZR_TRY(mk_put(s, &id, 4, err));
      ZR_TRY(mk_put(s, &ver, 2, err));
      ZR_TRY(mk_put(s, &n, 4, err));
      return mk_put(s, v->u.bin, n, err);
    }
    default:
      zr_error_set(err, ZR_ERR_TYPE, -1, "mock cannot encode %s", zr_kind_name((zr_kind)v->kind));
      zr_error_set_path(err, "$"); /* after the message, which empties it */
      return ZR_ERR_TYPE;
  }
}

typedef struct mk_rd {
  const uint8_t *p;
  size_t n, pos;
} mk_rd;

static zr_status mk_dec(mk_rd *r, zr_doc *doc, zr_value *out, int depth, zr_error *err) {
#define NEED(k)                                                                                                        \
  if (r->n - r->pos < (k)) return zr_error_set(err, ZR_ERR_TRUNCATED, (int64_t)r->pos, "truncated")
  if (depth > 64) return zr_error_set(err, ZR_ERR_LIMIT, (int64_t)r->pos, "too deep");
  NEED(1);
  uint8_t tag = r->p[r->pos++];
  uint32_t n;
  switch (tag) {
    case ZR_KIND_NULL: *out = zr_null(); return ZR_OK;
    case ZR_KIND_BOOL: NEED(1); *out = zr_bool(r->p[r->pos++]); return ZR_OK;
    case ZR_KIND_INT:
    case ZR_KIND_UINT:
    case ZR_KIND_FLOAT:
      NEED(8);
      *out = zr_null();
      out->kind = tag;
      memcpy(&out->u, r->p + r->pos, 8);
      r->pos += 8;
      return ZR_OK;
    case ZR_KIND_STRING:
    case ZR_KIND_BINARY:
    case ZR_KIND_SYMBOL:
      NEED(4);
      memcpy(&n, r->p + r->pos, 4);
      r->pos += 4;
      NEED(n);
      *out = tag == ZR_KIND_BINARY ? zr_bin_copy(doc, r->p + r->pos, n) : zr_str_copy(doc, (const char *)r->p + r->pos, n);
      out->kind = tag;
      r->pos += n;
      return zr_doc_status(doc);
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE:
    case ZR_KIND_MAP: {
      NEED(4);
      memcpy(&n, r->p + r->pos, 4);
      r->pos += 4;
      if (n > r->n - r->pos) return zr_error_set(err, ZR_ERR_MALFORMED, (int64_t)r->pos, "bad count");
      zr_value c = tag == ZR_KIND_MAP ? zr_map_new(doc, n) : zr_list_new(doc, n);
      for (uint32_t i = 0; i < n; i++) {
        zr_value a, b;
        ZR_TRY(mk_dec(r, doc, &a, depth + 1, err));
        if (tag == ZR_KIND_MAP) {
          ZR_TRY(mk_dec(r, doc, &b, depth + 1, err));
          ZR_TRY(zr_map_put(doc, &c, a, b));
        } else {
          ZR_TRY(zr_list_push(doc, &c, a));
        }
      }
      if (tag == ZR_KIND_TUPLE) c.kind = ZR_KIND_TUPLE;
      *out = c;
      return ZR_OK;
    }
    case ZR_KIND_EXT: {
      uint32_t id;
      uint16_t ver;
      NEED(10);
      memcpy(&id, r->p + r->pos, 4);
      memcpy(&ver, r->p + r->pos + 4, 2);
      memcpy(&n, r->p + r->pos + 6, 4);
      r->pos += 10;
      NEED(n);
      *out = zr_ext(doc, id, ver, r->p + r->pos, n);
      r->pos += n;
      return zr_doc_status(doc);
    }
    default: return zr_error_set(err, ZR_ERR_MALFORMED, (int64_t)r->pos - 1, "bad tag %u", tag);
  }
#undef NEED
}

static zr_status mk_decode_magic(const char *magic, const uint8_t *data, size_t len, const zr_decode_opts *opts,
                                 zr_doc **out, zr_error *err) {
  if (len < 4 || memcmp(data, magic, 4) != 0) return zr_error_set(err, ZR_ERR_MALFORMED, 0, "bad magic");
  zr_doc *doc = zr_doc_new(opts ? opts->alloc : NULL);
  if (!doc) return ZR_ERR_NOMEM;
  mk_rd r = {data, len, 4};
  zr_value v;
  zr_status st = mk_dec(&r, doc, &v, 0, err);
  if (st == ZR_OK) st = zr_doc_set_root(doc, v);
  if (st != ZR_OK) {
    zr_doc_free(doc);
    return st;
  }
  *out = doc;
  return ZR_OK;
}

/* ---- mock "binary": everything the mock encoding knows ---- */
static int mbin_detect(const uint8_t *d, size_t n) { return n >= 4 && memcmp(d, "MBIN", 4) == 0 ? 100 : 0; }
static zr_status mbin_decode(const uint8_t *d, size_t n, const zr_decode_opts *o, zr_doc **out, zr_error *err) {
  return mk_decode_magic("MBIN", d, n, o, out, err);
}
static zr_status mbin_encode(const zr_value *v, const zr_encode_opts *o, zr_sink *s, zr_error *err) {
  (void)o;
  ZR_TRY(zr_sink_write(s, "MBIN", 4, err));
  return mk_enc(v, s, 0, err);
}
static zr_status mbin_inspect(const uint8_t *d, size_t n, zr_sink *out, zr_error *err) {
  char buf[64];
  int k = snprintf(buf, sizeof buf, "{\"mock\":\"binary\",\"bytes\":%zu,\"root_tag\":%d}", n, n > 4 ? d[4] : -1);
  return zr_sink_write(out, buf, (size_t)k, err);
}
static const zr_format mock_binary = {"binary", ZR_FORMAT_ID_BINARY, "mock binary", mbin_detect, mbin_decode,
                                      mbin_encode, mbin_inspect};

/* ---- mock "arrow-stream": only lists of maps whose columns keep one kind; warns on ints > 2^53 ---- */
static int marr_detect(const uint8_t *d, size_t n) { return n >= 4 && memcmp(d, "MARR", 4) == 0 ? 100 : 0; }
static zr_status marr_decode(const uint8_t *d, size_t n, const zr_decode_opts *o, zr_doc **out, zr_error *err) {
  return mk_decode_magic("MARR", d, n, o, out, err);
}
static zr_status marr_encode(const zr_value *v, const zr_encode_opts *o, zr_sink *s, zr_error *err) {
  if (v->kind != ZR_KIND_LIST || v->n.len == 0 || v->u.items[0].kind != ZR_KIND_MAP) {
    zr_error_set(err, ZR_ERR_TYPE, -1, "not a list of records");
    zr_error_set_path(err, "$"); /* after the message, which empties it */
    return ZR_ERR_TYPE;
  }
  const zr_value *first = &v->u.items[0];
  for (uint64_t r = 0; r < v->n.len; r++) {
    const zr_value *row = &v->u.items[r];
    if (row->kind != ZR_KIND_MAP || row->n.len != first->n.len) {
      char p[64];
      snprintf(p, sizeof p, "$[%llu]", (unsigned long long)r);
      zr_error_set(err, ZR_ERR_TYPE, -1, "row %llu does not match the schema", (unsigned long long)r);
      zr_error_set_path(err, p); /* after the message, which empties it */
      return ZR_ERR_TYPE;
    }
    for (uint64_t c = 0; c < row->n.len; c++) {
      const zr_value *x = &row->u.members[c].val, *f = &first->u.members[c].val;
      char p[96];
      snprintf(p, sizeof p, "$[%llu].%.*s", (unsigned long long)r, (int)row->u.members[c].key.n.len,
               row->u.members[c].key.u.str);
      if (x->kind != f->kind && x->kind != ZR_KIND_NULL && f->kind != ZR_KIND_NULL) {
        zr_error_set(err, ZR_ERR_TYPE, -1, "column of mixed kinds (%s and %s)", zr_kind_name((zr_kind)f->kind),
                     zr_kind_name((zr_kind)x->kind));
        zr_error_set_path(err, p); /* after the message, which empties it */
        return ZR_ERR_TYPE;
      }
      if (x->kind == ZR_KIND_INT && (x->u.i > (INT64_C(1) << 53) || x->u.i < -(INT64_C(1) << 53))) {
        if (o->flags & ZR_ENC_STRICT) {
          zr_error_set(err, ZR_ERR_LOSSY, -1, "integer above 2^53 would become float64");
          zr_error_set_path(err, p); /* after the message, which empties it */
          return ZR_ERR_LOSSY;
        }
        zr_warnings_add(o->warnings, ZR_ERR_LOSSY, p, "integer above 2^53 becomes float64");
      }
    }
  }
  ZR_TRY(zr_sink_write(s, "MARR", 4, err));
  return mk_enc(v, s, 0, err);
}
static const zr_format mock_arrow = {"arrow-stream", ZR_FORMAT_ID_ARROW_STREAM, "mock arrow", marr_detect,
                                     marr_decode, marr_encode, NULL};

/* ---- mock "npy": flat or nested lists of numbers ---- */
static int mnpy_ok(const zr_value *v, int depth) {
  if (depth > 32) return 0;
  if (v->kind == ZR_KIND_INT || v->kind == ZR_KIND_FLOAT || v->kind == ZR_KIND_UINT) return depth > 0;
  if (v->kind != ZR_KIND_LIST) return 0;
  for (uint64_t i = 0; i < v->n.len; i++)
    if (!mnpy_ok(&v->u.items[i], depth + 1)) return 0;
  return 1;
}
static int mnpy_detect(const uint8_t *d, size_t n) { return n >= 4 && memcmp(d, "MNPY", 4) == 0 ? 100 : 0; }
static zr_status mnpy_decode(const uint8_t *d, size_t n, const zr_decode_opts *o, zr_doc **out, zr_error *err) {
  return mk_decode_magic("MNPY", d, n, o, out, err);
}
static zr_status mnpy_encode(const zr_value *v, const zr_encode_opts *o, zr_sink *s, zr_error *err) {
  (void)o;
  if (!mnpy_ok(v, 0)) {
    zr_error_set(err, ZR_ERR_TYPE, -1, "not a numeric array");
    zr_error_set_path(err, "$"); /* after the message, which empties it */
    return ZR_ERR_TYPE;
  }
  ZR_TRY(zr_sink_write(s, "MNPY", 4, err));
  return mk_enc(v, s, 0, err);
}
/* (an id of its own: the manager hands real npy tensors, not lists) */
static const zr_format mock_npy = {"npy", 900, "mock npy", mnpy_detect, mnpy_decode, mnpy_encode, NULL};

/* ---- mock "pickle" ---- */
static int mpkl_detect(const uint8_t *d, size_t n) { return n >= 4 && memcmp(d, "MPKL", 4) == 0 ? 100 : 0; }
static zr_status mpkl_decode(const uint8_t *d, size_t n, const zr_decode_opts *o, zr_doc **out, zr_error *err) {
  return mk_decode_magic("MPKL", d, n, o, out, err);
}
static zr_status mpkl_encode(const zr_value *v, const zr_encode_opts *o, zr_sink *s, zr_error *err) {
  (void)o;
  ZR_TRY(zr_sink_write(s, "MPKL", 4, err));
  return mk_enc(v, s, 0, err);
}
static const zr_format mock_pickle = {"pickle", ZR_FORMAT_ID_PICKLE, "mock pickle", mpkl_detect, mpkl_decode,
                                      mpkl_encode, NULL};

/* Register the mocks (only where the build lacks the real format, unless force). */
static inline void mock_register_all(zr_ctx *ctx, int force) {
  const zr_format *m[] = {&mock_binary, &mock_arrow, &mock_npy, &mock_pickle};
  for (size_t i = 0; i < 4; i++)
    if (force || !zr_format_by_name(m[i]->name)) (void)zr_ctx_register_format(ctx, m[i], NULL);
}

/* A context with defaults only and the mocks registered; learning off, so that decisions depend
 * on the rules and priors only (never on timings). */
static inline zr_ctx *mock_ctx(void) {
  zr_ctx *ctx = NULL;
  if (zr_ctx_new_isolated(NULL, &ctx, NULL) != ZR_OK) return NULL;
  mock_register_all(ctx, 1);
  (void)zr_ctx_set(ctx, "selection.learning", "false", NULL);
  return ctx;
}

#endif
