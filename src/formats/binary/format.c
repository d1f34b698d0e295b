/* zerial binary format: detection, inspection (a JSON summary without building the value) and
 * the format vtable registered in src/ctx/format_table.c. */
#include <stdio.h>

#include "formats/binary/binary_internal.h"
#include "zerial/numpy.h"
#include "zerial/codec.h"

/* ",\"codec\":…,\"filter\":…" of a block container at c (clen bytes), for inspect trees. */
static zr_status czinfo(zr__buf *b, const uint8_t *c, uint64_t clen) {
  if (clen < 8 || memcmp(c, ZR_BLOCKS_MAGIC, 4) != 0) return ZR_OK;
  const char *cn = zr_codec_info_get(c[5]) ? zr_codec_info_get(c[5])->name : "unknown";
  const char *fn = zr_filter_name(c[6]) ? zr_filter_name(c[6]) : "unknown";
  return zr__buf_printf(b, ",\"codec\":\"%s\",\"filter\":\"%s\",\"stored\":%llu", cn, fn, (unsigned long long)clen);
}

int zr_binary_detect(const void *data, size_t len) {
  const uint8_t *p = data;
  if (!p || len < ZR_BINARY_HEADER_SIZE || memcmp(p, ZR_BINARY_MAGIC, 3) != 0) return 0;
  return (p[3] >= 1 && p[3] <= ZR_BINARY_VERSION) ? 100 : 50;
}

/* ---------------------------------------------------------------------------------------------
 * Inspection: a bounds-checked walk that counts kinds and skips payloads. */
#define TREE_DEPTH 2   /* levels of the root shown */
#define TREE_ITEMS 8   /* entries shown per container */
#define MAX_TENSORS 16 /* tensors listed */

typedef struct scan {
  const uint8_t *base, *end;
  uint64_t kinds[16];
  uint64_t values, max_depth, text_bytes, binary_bytes, typed_bytes, tensor_bytes;
  uint64_t tree;   /* upper bound of the bytes a decoder allocates for this input */
  int copy;        /* ... in copying mode */
  unsigned ntensors;
  zr__buf tensors; /* JSON array body */
  uint64_t compressed_bytes; /* stored bytes of compressed typed lists and tensors (version 2) */
  int version;
  zr_error *err;
  zr_status st;
} scan;

static const uint8_t *sfail(scan *s, zr_status code, const uint8_t *at, const char *what) {
  s->st = zr__err(s->err, code, (int64_t)(at - s->base), "%s %s at byte %lld",
                  code == ZR_ERR_TRUNCATED ? "input ends inside" : "malformed", what, (long long)(at - s->base));
  return NULL;
}

static const uint8_t *svarint(scan *s, const uint8_t *p, uint64_t *v, const char *what) {
  int bad = 0;
  const uint8_t *q = zrb_get_varint(p, s->end, v, &bad);
  if (!q) return sfail(s, bad ? ZR_ERR_MALFORMED : ZR_ERR_TRUNCATED, p, what);
  return q;
}

static const uint8_t *sskip(scan *s, const uint8_t *p, uint64_t n, const char *what) {
  if (n > (uint64_t)(s->end - p)) return sfail(s, ZR_ERR_TRUNCATED, p, what);
  return p + n;
}

static zr_status json_str(zr__buf *b, const uint8_t *s, size_t n) {
  ZR_TRY(zr__buf_push(b, '"'));
  for (size_t i = 0; i < n && i < 200; i++) {
    uint8_t c = s[i];
    if (c == '"' || c == '\\') {
      ZR_TRY(zr__buf_push(b, '\\'));
      ZR_TRY(zr__buf_push(b, c));
    } else if (c < 0x20 || c >= 0x7F) {
      ZR_TRY(zr__buf_printf(b, "\\u%04x", c)); /* bytes, not code points: a summary only */
    } else {
      ZR_TRY(zr__buf_push(b, c));
    }
  }
  return zr__buf_push(b, '"');
}

/* The kind and length/count of the value at p without moving past it (for tree lines). */
static const uint8_t *sval(scan *s, const uint8_t *p, uint64_t depth, zr__buf *tree);

static const uint8_t *scontainer(scan *s, const uint8_t *p, uint64_t n, int map, uint64_t depth, zr__buf *tree) {
  if (depth + 1 > ZR_DEFAULT_MAX_DEPTH) return sfail(s, ZR_ERR_LIMIT, p, "nesting deeper than 512");
  if (depth + 1 > s->max_depth) s->max_depth = depth + 1;
  zr__buf *sub = tree && depth + 1 < TREE_DEPTH ? tree : NULL;
  s->tree += n * (map ? sizeof(zr_member) : sizeof(zr_value)) + 8;
  if (tree && zr__buf_printf(tree, ",\"count\":%llu,\"%s\":[", (unsigned long long)n, map ? "members" : "items") != ZR_OK) goto nomem;
  for (uint64_t i = 0; i < n; i++) {
    zr__buf *t = sub && i < TREE_ITEMS ? sub : NULL;
    if (t && zr__buf_printf(t, "%s{", i ? "," : "") != ZR_OK) goto nomem;
    if (map) {
      if (t && p < s->end && ((*p & 0xE0) == ZRB_FIXSTR)) {
        size_t kl = *p & 0x1F;
        if (kl <= (size_t)(s->end - p - 1)) {
          if (zr__buf_printf(t, "\"key\":") != ZR_OK || json_str(t, p + 1, kl) != ZR_OK || zr__buf_push(t, ',') != ZR_OK) goto nomem;
        }
      }
      p = sval(s, p, depth + 1, NULL);
      if (!p) return NULL;
    }
    p = sval(s, p, depth + 1, t);
    if (!p) return NULL;
    if (t && zr__buf_push(t, '}') != ZR_OK) goto nomem;
  }
  if (tree && zr__buf_push(tree, ']') != ZR_OK) goto nomem;
  return p;
nomem:
  s->st = zr__err_nomem(s->err);
  return NULL;
}

static const uint8_t *stensor(scan *s, const uint8_t *p, zr__buf *tree, int compressed) {
  const uint8_t *at = p - 1;
  if (s->end - p < 4) return sfail(s, ZR_ERR_TRUNCATED, p, "a tensor header");
  unsigned dt = p[0], ndim = p[3];
  if (dt < ZR_DT_BOOL || dt > ZR_DT_LONGDOUBLE || p[1] > 1 || p[2] > ZR_TU_GENERIC || ndim > ZR_TENSOR_MAX_DIMS)
    return sfail(s, ZR_ERR_MALFORMED, p, "a tensor header");
  p += 4;
  uint64_t itemsize, shape[ZR_TENSOR_MAX_DIMS], dl, len, count = 1;
  if (!(p = svarint(s, p, &itemsize, "a tensor itemsize"))) return NULL;
  for (unsigned i = 0; i < ndim; i++) {
    if (!(p = svarint(s, p, &shape[i], "a tensor extent"))) return NULL;
    if (zr__mul_overflow(count, shape[i], &count)) return sfail(s, ZR_ERR_MALFORMED, p, "a tensor shape");
  }
  if (!(p = svarint(s, p, &dl, "a tensor descr length"))) return NULL;
  const uint8_t *descr = p;
  if (dl && !(p = sskip(s, p, dl - 1, "a tensor descr"))) return NULL;
  if (!(p = svarint(s, p, &len, "a tensor data length"))) return NULL;
  uint64_t off, clen = 0;
  const uint8_t *cz = NULL;
  if (compressed) {
    if (!(p = svarint(s, p, &clen, "a compressed length"))) return NULL;
    cz = p;
    off = (uint64_t)(p - s->base);
    if (!(p = sskip(s, p, clen, "a compressed tensor"))) return NULL;
    s->compressed_bytes += clen;
  } else {
    if (p >= s->end) return sfail(s, ZR_ERR_TRUNCATED, p, "a tensor");
    uint64_t pad = *p++;
    if (!(p = sskip(s, p, pad, "tensor padding"))) return NULL;
    off = (uint64_t)(p - s->base);
    if (!(p = sskip(s, p, len, "tensor data"))) return NULL;
  }
  s->tensor_bytes += len;
  s->tree += sizeof(zr_tensor) + 8 + dl + (s->copy || compressed ? len + 64 : 0);
  zr__buf *bufs[2] = {s->ntensors < MAX_TENSORS ? &s->tensors : NULL, tree};
  for (int k = 0; k < 2; k++) {
    zr__buf *b = bufs[k];
    if (!b) continue;
    zr_status st = k == 0 ? zr__buf_printf(b, "%s{\"offset\":%lld,", s->ntensors ? "," : "", (long long)(at - s->base))
                          : zr__buf_push(b, ',');
    if (st == ZR_OK) st = zr__buf_printf(b, "\"dtype\":\"%s\",\"itemsize\":%llu,\"shape\":[", zr_dtype_name((zr_dtype)dt), (unsigned long long)itemsize);
    for (unsigned i = 0; i < ndim && st == ZR_OK; i++) st = zr__buf_printf(b, "%s%llu", i ? "," : "", (unsigned long long)shape[i]);
    if (st == ZR_OK) st = zr__buf_printf(b, "],\"nbytes\":%llu,\"%s\":%llu", (unsigned long long)len, compressed ? "compressed_offset" : "data_offset", (unsigned long long)off);
    if (st == ZR_OK && dl) {
      st = zr__buf_printf(b, ",\"descr\":");
      if (st == ZR_OK) st = json_str(b, descr, (size_t)(dl - 1));
    }
    if (st == ZR_OK && cz) st = czinfo(b, cz, clen);
    if (st == ZR_OK && k == 0) st = zr__buf_push(b, '}');
    if (st != ZR_OK) {
      s->st = zr__err_nomem(s->err);
      return NULL;
    }
  }
  s->ntensors++;
  return p;
}

static const uint8_t *sval(scan *s, const uint8_t *p, uint64_t depth, zr__buf *tree) {
  if (p >= s->end) return sfail(s, ZR_ERR_TRUNCATED, p, "a value");
  const uint8_t *at = p;
  uint8_t tag = *p++;
  zr_kind kind;
  uint64_t n = 0;
  int has_len = 0;
  switch (tag) {
    case 0x00 ... 0x7F:
    case 0xE0 ... 0xFF: kind = ZR_KIND_INT; break;
    case 0x80 ... 0x9F:
      kind = ZR_KIND_STRING;
      n = tag & 0x1F;
      has_len = 1;
      s->text_bytes += n;
      if (!(p = sskip(s, p, n, "a string"))) return NULL;
      break;
    case 0xA0 ... 0xAF:
    case 0xB0 ... 0xBF:
    case ZRB_LIST:
    case ZRB_TUPLE:
    case ZRB_MAP: {
      int map = (tag >= 0xB0 && tag <= 0xBF) || tag == ZRB_MAP;
      kind = map ? ZR_KIND_MAP : tag == ZRB_TUPLE ? ZR_KIND_TUPLE : ZR_KIND_LIST;
      if (tag >= 0xA0 && tag <= 0xBF) {
        n = tag & 0x0F;
      } else if (!(p = svarint(s, p, &n, "a count"))) {
        return NULL;
      }
      s->kinds[kind]++;
      s->values++;
      if (tree && zr__buf_printf(tree, "\"kind\":\"%s\"", zr_kind_name(kind)) != ZR_OK) {
        s->st = zr__err_nomem(s->err);
        return NULL;
      }
      return scontainer(s, p, n, map, depth, tree);
    }
    case ZRB_NULL: kind = ZR_KIND_NULL; break;
    case ZRB_FALSE:
    case ZRB_TRUE: kind = ZR_KIND_BOOL; break;
    case ZRB_UINT:
      kind = ZR_KIND_UINT;
      if (!(p = svarint(s, p, &n, "a uint"))) return NULL;
      break;
    case ZRB_INT_U8:
    case ZRB_INT_I8: kind = ZR_KIND_INT; if (!(p = sskip(s, p, 1, "an int"))) return NULL; break;
    case ZRB_INT_U16:
    case ZRB_INT_I16: kind = ZR_KIND_INT; if (!(p = sskip(s, p, 2, "an int"))) return NULL; break;
    case ZRB_INT_U24: kind = ZR_KIND_INT; if (!(p = sskip(s, p, 3, "an int"))) return NULL; break;
    case ZRB_INT_U32:
    case ZRB_INT_I32: kind = ZR_KIND_INT; if (!(p = sskip(s, p, 4, "an int"))) return NULL; break;
    case ZRB_INT_I64: kind = ZR_KIND_INT; if (!(p = sskip(s, p, 8, "an int"))) return NULL; break;
    case ZRB_F32: kind = ZR_KIND_FLOAT; if (!(p = sskip(s, p, 4, "a float"))) return NULL; break;
    case ZRB_F64:
    case ZRB_F64_F32HINT: kind = ZR_KIND_FLOAT; if (!(p = sskip(s, p, 8, "a float"))) return NULL; break;
    case ZRB_BIGINT:
      kind = ZR_KIND_BIGINT;
      if (!(p = sskip(s, p, 1, "a bigint"))) return NULL;
      if (p[-1] > 1) return sfail(s, ZR_ERR_MALFORMED, p - 1, "a bigint sign");
      if (!(p = svarint(s, p, &n, "a bigint length")) || !(p = sskip(s, p, n, "a bigint"))) return NULL;
      s->binary_bytes += n;
      has_len = 1;
      break;
    case ZRB_STR:
    case ZRB_SYM:
    case ZRB_BIN:
      kind = tag == ZRB_STR ? ZR_KIND_STRING : tag == ZRB_SYM ? ZR_KIND_SYMBOL : ZR_KIND_BINARY;
      if (!(p = svarint(s, p, &n, "a length")) || !(p = sskip(s, p, n, "a byte string"))) return NULL;
      if (tag == ZRB_BIN) s->binary_bytes += n;
      else s->text_bytes += n;
      has_len = 1;
      break;
    case ZRB_CTYPED:
    case ZRB_TYPED: {
      if (tag == ZRB_CTYPED && s->version < 2) return sfail(s, ZR_ERR_MALFORMED, at, "tag (unknown)");
      if (p >= s->end) return sfail(s, ZR_ERR_TRUNCATED, p, "a typed list");
      unsigned code = *p++;
      size_t w = zrb_el_size(code);
      if (!w) return sfail(s, ZR_ERR_MALFORMED, p - 1, "a typed-list element code");
      if (!(p = svarint(s, p, &n, "a typed-list count"))) return NULL;
      const uint8_t *cz = NULL;
      uint64_t clen = 0;
      if (tag == ZRB_CTYPED) {
        if (!(p = svarint(s, p, &clen, "a compressed length"))) return NULL;
        cz = p;
        if (!(p = sskip(s, p, clen, "a compressed typed list"))) return NULL;
        if (n > UINT64_MAX / 16) return sfail(s, ZR_ERR_MALFORMED, at, "a typed-list count");
        s->compressed_bytes += clen;
      } else {
        if (!(p = sskip(s, p, 1, "a typed list")) || !(p = sskip(s, p, p[-1], "typed-list padding"))) return NULL;
        if (n > (uint64_t)(s->end - p) / w) return sfail(s, ZR_ERR_TRUNCATED, p, "a typed list");
        p += n * w;
      }
      s->typed_bytes += n * w;
      kind = ZR_KIND_LIST;
      zr_kind ek = code == ZRB_EL_U64 ? ZR_KIND_UINT : (code == ZRB_EL_F32 || code == ZRB_EL_F64) ? ZR_KIND_FLOAT : ZR_KIND_INT;
      s->kinds[ek] += n;
      s->tree += n * sizeof(zr_value) + 8;
      s->values += n;
      if (depth + 1 > s->max_depth) s->max_depth = depth + 1;
      if (tree && zr__buf_printf(tree, "\"kind\":\"list\",\"count\":%llu,\"typed\":\"%s\"", (unsigned long long)n,
                                 code == ZRB_EL_U64 ? "uint64" : code == ZRB_EL_F32 ? "float32" : code == ZRB_EL_F64 ? "float64" :
                                 code == ZRB_EL_I8 ? "int8" : code == ZRB_EL_I16 ? "int16" : code == ZRB_EL_I32 ? "int32" : "int64") != ZR_OK) {
        s->st = zr__err_nomem(s->err);
        return NULL;
      }
      if (tree && tag == ZRB_CTYPED && (zr__buf_printf(tree, ",\"compressed\":true") != ZR_OK || czinfo(tree, cz, clen) != ZR_OK)) {
        s->st = zr__err_nomem(s->err);
        return NULL;
      }
      s->kinds[kind]++;
      s->values++;
      return p;
    }
    case ZRB_TIMESTAMP:
      kind = ZR_KIND_TIMESTAMP;
      if (!(p = sskip(s, p, 1, "a timestamp"))) return NULL;
      if (p[-1] > ZR_TU_GENERIC) return sfail(s, ZR_ERR_MALFORMED, p - 1, "a timestamp unit");
      if (!(p = svarint(s, p, &n, "a time zone length"))) return NULL;
      if (n && !(p = sskip(s, p, n - 1, "a time zone"))) return NULL;
      s->tree += n;
      if (!(p = sskip(s, p, 8, "a timestamp"))) return NULL;
      n = 0;
      break;
    case ZRB_TENSOR:
      kind = ZR_KIND_TENSOR;
      s->kinds[kind]++;
      s->values++;
      if (tree && zr__buf_printf(tree, "\"kind\":\"tensor\"") != ZR_OK) {
        s->st = zr__err_nomem(s->err);
        return NULL;
      }
      return stensor(s, p, tree, 0);
    case ZRB_CTENSOR:
      if (s->version < 2) return sfail(s, ZR_ERR_MALFORMED, at, "tag (unknown)");
      kind = ZR_KIND_TENSOR;
      s->kinds[kind]++;
      s->values++;
      if (tree && zr__buf_printf(tree, "\"kind\":\"tensor\",\"compressed\":true") != ZR_OK) {
        s->st = zr__err_nomem(s->err);
        return NULL;
      }
      return stensor(s, p, tree, 1);
    case ZRB_EXT: {
      uint64_t id, ver;
      kind = ZR_KIND_EXT;
      if (!(p = svarint(s, p, &id, "an ext type id")) || !(p = svarint(s, p, &ver, "an ext version")) ||
          !(p = svarint(s, p, &n, "an ext length")) || !(p = sskip(s, p, n, "an ext"))) return NULL;
      s->binary_bytes += n;
      has_len = 1;
      break;
    }
    default: return sfail(s, ZR_ERR_MALFORMED, at, "tag (unknown)");
  }
  s->kinds[kind]++;
  s->values++;
  if (has_len && s->copy) s->tree += n + 1;
  if (tree) {
    zr_status st = zr__buf_printf(tree, "\"kind\":\"%s\"", zr_kind_name(kind));
    if (st == ZR_OK && has_len) st = zr__buf_printf(tree, ",\"len\":%llu", (unsigned long long)n);
    if (st != ZR_OK) {
      s->st = zr__err_nomem(s->err);
      return NULL;
    }
  }
  return p;
}

uint64_t zr__binary_tree_bytes(const uint8_t *data, size_t len, int copy) {
  if (zr__binary_check_header(data, len, NULL) != ZR_OK) return 0;
  scan s;
  memset(&s, 0, sizeof s);
  s.base = data;
  s.end = s.base + len;
  s.copy = copy;
  s.version = data[3];
  s.ntensors = MAX_TENSORS; /* no tensor listing */
  const uint8_t *p = sval(&s, s.base + ZR_BINARY_HEADER_SIZE, 0, NULL);
  return p ? s.tree : 0;
}

zr_status zr_binary_inspect(const void *data, size_t len, zr_sink *json_out, zr_error *err) {
  if ((!data && len) || !json_out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  ZR_TRY(zr__binary_check_header(data, len, err));
  scan s;
  memset(&s, 0, sizeof s);
  s.base = data;
  s.end = s.base + len;
  s.err = err;
  s.version = ((const uint8_t *)data)[3];
  zr__buf_init(&s.tensors, NULL);
  zr__buf tree, out;
  zr__buf_init(&tree, NULL);
  zr__buf_init(&out, NULL);
  zr_status st = zr__buf_push(&tree, '{');
  const uint8_t *p = st == ZR_OK ? sval(&s, s.base + ZR_BINARY_HEADER_SIZE, 0, &tree) : NULL;
  if (st != ZR_OK) st = zr__err_nomem(err);
  else if (!p) st = s.st;
  else if (p != s.end) st = zr__err(err, ZR_ERR_MALFORMED, p - s.base, "%lld trailing bytes after the root value", (long long)(s.end - p));
  if (st == ZR_OK) st = zr__buf_push(&tree, '}');
  if (st == ZR_OK)
    st = zr__buf_printf(&out,
                        "{\"format\":\"binary\",\"version\":%u,\"bytes\":%zu,\"header_bytes\":%d,\"values\":%llu,"
                        "\"max_depth\":%llu,\"payload_bytes\":{\"text\":%llu,\"binary\":%llu,\"typed_lists\":%llu,\"tensors\":%llu,\"compressed\":%llu},\"kinds\":{",
                        ((const uint8_t *)data)[3], len, ZR_BINARY_HEADER_SIZE, (unsigned long long)s.values,
                        (unsigned long long)s.max_depth, (unsigned long long)s.text_bytes, (unsigned long long)s.binary_bytes,
                        (unsigned long long)s.typed_bytes, (unsigned long long)s.tensor_bytes,
                        (unsigned long long)s.compressed_bytes);
  int first = 1;
  for (int k = 0; k < 16 && st == ZR_OK; k++) {
    if (!s.kinds[k]) continue;
    st = zr__buf_printf(&out, "%s\"%s\":%llu", first ? "" : ",", zr_kind_name((zr_kind)k), (unsigned long long)s.kinds[k]);
    first = 0;
  }
  if (st == ZR_OK) st = zr__buf_printf(&out, "},\"tensor_count\":%u,\"tensors\":[", s.ntensors);
  if (st == ZR_OK) st = zr__buf_append(&out, s.tensors.data, s.tensors.len);
  if (st == ZR_OK) st = zr__buf_printf(&out, "],\"root\":");
  if (st == ZR_OK) st = zr__buf_append(&out, tree.data, tree.len);
  if (st == ZR_OK) st = zr__buf_printf(&out, "}\n");
  if (st == ZR_OK) st = zr_sink_write(json_out, out.data, out.len, err);
  else if (st == ZR_ERR_NOMEM) st = zr__err_nomem(err);
  zr__buf_free(&s.tensors);
  zr__buf_free(&tree);
  zr__buf_free(&out);
  return st;
}

/* ---------------------------------------------------------------------------------------------
 * The vtable */
static int fmt_detect(const uint8_t *data, size_t len) { return zr_binary_detect(data, len); }
static zr_status fmt_decode(const uint8_t *data, size_t len, const zr_decode_opts *opts, zr_doc **out, zr_error *err) {
  return zr_binary_decode(data, len, opts, out, err);
}
static zr_status fmt_inspect(const uint8_t *data, size_t len, zr_sink *json_out, zr_error *err) {
  return zr_binary_inspect(data, len, json_out, err);
}
/* A table at the root travels as a map of column name -> 1-D tensor (zr_numpy_from_table). */
static zr_status fmt_encode(const zr_value *v, const zr_encode_opts *opts, zr_sink *sink, zr_error *err) {
  if (!v || v->kind != ZR_KIND_TABLE) return zr_binary_encode(v, opts, sink, err);
  zr_doc *d = zr_doc_new(NULL);
  if (!d) return zr__err_nomem(err);
  zr_value m;
  zr_status st = zr_numpy_from_table(v->u.table, d, 1, opts ? opts->warnings : NULL,
                                     opts && (opts->flags & ZR_ENC_STRICT), &m, err);
  if (!st) st = zr_binary_encode(&m, opts, sink, err);
  zr_doc_free(d);
  return st;
}

const zr_format zr__format_binary = {
    "binary",
    ZR_FORMAT_ID_BINARY,
    "zerial compact binary: every value kind, typed arrays, 64-byte aligned tensors",
    fmt_detect,
    fmt_decode,
    fmt_encode,
    fmt_inspect,
};
