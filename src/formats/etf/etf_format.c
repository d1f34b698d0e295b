/* Erlang external term format: the format plug-in (detect, decode, encode, inspect). */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "formats/etf/etf_internal.h"

#define INSPECT_MAX_DEPTH 512u
#define INSPECT_SHOW_DEPTH 12u
#define INSPECT_SHOW_ITEMS 16u
#define INSPECT_MAX_INFLATE (UINT64_C(256) << 20)

static int etf_detect(const uint8_t *data, size_t len) {
  if (len < 2 || data[0] != ETF_VERSION) return 0;
  if (data[1] == ETF_COMPRESSED) return len >= 7 ? 95 : 40;
  if (zr__etf_tag_supported(data[1])) return 80;
  return zr__etf_tag_name(data[1]) ? 40 : 0;
}

static zr_status etf_decode_fmt(const uint8_t *data, size_t len, const zr_decode_opts *opts, zr_doc **out,
                                zr_error *err) {
  return zr_etf_decode(data, len, opts, 0, out, err);
}

static zr_status etf_encode_fmt(const zr_value *v, const zr_encode_opts *opts, zr_sink *sink, zr_error *err) {
  return zr_etf_encode(v, opts, 0, sink, err);
}

/* ---- inspect: walk the term without building values ---- */
typedef struct insp {
  const uint8_t *base, *p, *end;
  zr__buf *j;
  zr_error *err;
  uint64_t values;
} insp;

static zr_status j_str(zr__buf *j, const uint8_t *s, size_t n, int latin1) {
  ZR_TRY(zr__buf_push(j, '"'));
  for (size_t i = 0; i < n; i++) {
    uint8_t c = s[i];
    if (c == '"' || c == '\\') {
      ZR_TRY(zr__buf_push(j, '\\'));
      ZR_TRY(zr__buf_push(j, c));
    } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && latin1)) {
      ZR_TRY(zr__buf_printf(j, "\\u%04x", c));
    } else {
      ZR_TRY(zr__buf_push(j, c));
    }
  }
  return zr__buf_push(j, '"');
}

#define INEED(s, n, what)                                                                                           \
  do {                                                                                                              \
    if ((size_t)((s)->end - (s)->p) < (size_t)(n))                                                                  \
      return zr__err((s)->err, ZR_ERR_TRUNCATED, (int64_t)((s)->p - (s)->base), "ETF: input ends inside %s", what); \
  } while (0)

static zr_status walk(insp *s, unsigned depth, int show);

static zr_status walk_items(insp *s, uint64_t n, unsigned depth, int show, const char *key) {
  if (show) ZR_TRY(zr__buf_printf(s->j, ",\"%s\":[", key));
  for (uint64_t i = 0; i < n; i++) {
    int sh = show && i < INSPECT_SHOW_ITEMS && depth < INSPECT_SHOW_DEPTH;
    if (sh && i) ZR_TRY(zr__buf_push(s->j, ','));
    ZR_TRY(walk(s, depth + 1, sh));
  }
  if (show) {
    ZR_TRY(zr__buf_push(s->j, ']'));
    if (n > INSPECT_SHOW_ITEMS || (n && depth >= INSPECT_SHOW_DEPTH)) ZR_TRY(zr__buf_printf(s->j, ",\"elided\":true"));
  }
  return ZR_OK;
}

static zr_status walk(insp *s, unsigned depth, int show) {
  if (depth > INSPECT_MAX_DEPTH)
    return zr__err(s->err, ZR_ERR_LIMIT, (int64_t)(s->p - s->base), "ETF: nesting deeper than %u", INSPECT_MAX_DEPTH);
  INEED(s, 1, "a term");
  uint64_t off = (uint64_t)(s->p - s->base);
  unsigned tag = *s->p++;
  zr__buf *j = s->j;
  s->values++;
  const char *name = zr__etf_tag_name(tag);
  if (!zr__etf_tag_supported(tag))
    return zr__err(s->err,
                   name && tag != ETF_COMPRESSED && tag != ETF_ATOM_CACHE_REF ? ZR_ERR_UNSUPPORTED : ZR_ERR_MALFORMED,
                   (int64_t)off, "ETF: tag %u (%s) at offset %llu is not supported", tag, name ? name : "unknown",
                   (unsigned long long)off);
  if (show) ZR_TRY(zr__buf_printf(j, "{\"tag\":\"%s\",\"offset\":%llu", name, (unsigned long long)off));
  switch (tag) {
    case ETF_SMALL_INTEGER:
      INEED(s, 1, "SMALL_INTEGER_EXT");
      if (show) ZR_TRY(zr__buf_printf(j, ",\"type\":\"int\",\"value\":%u", *s->p));
      s->p += 1;
      break;
    case ETF_INTEGER:
      INEED(s, 4, "INTEGER_EXT");
      if (show) ZR_TRY(zr__buf_printf(j, ",\"type\":\"int\",\"value\":%d", (int32_t)zr__ld32be(s->p)));
      s->p += 4;
      break;
    case ETF_NEW_FLOAT: {
      INEED(s, 8, "NEW_FLOAT_EXT");
      uint64_t b = zr__ld64be(s->p);
      double f;
      memcpy(&f, &b, 8);
      if (show)
        ZR_TRY(
            zr__buf_printf(j, f == f && f - f == 0 ? ",\"type\":\"float\",\"value\":%.17g" : ",\"type\":\"float\"", f));
      s->p += 8;
      break;
    }
    case ETF_FLOAT:
      INEED(s, 31, "FLOAT_EXT");
      if (show) {
        ZR_TRY(zr__buf_printf(j, ",\"type\":\"float\",\"text\":"));
        ZR_TRY(j_str(j, s->p, strnlen((const char *)s->p, 31), 1));
      }
      s->p += 31;
      break;
    case ETF_ATOM:
    case ETF_ATOM_UTF8:
    case ETF_SMALL_ATOM:
    case ETF_SMALL_ATOM_UTF8: {
      int small = tag == ETF_SMALL_ATOM || tag == ETF_SMALL_ATOM_UTF8;
      INEED(s, small ? 1 : 2, "an atom");
      size_t n = small ? *s->p : zr__ld16be(s->p);
      s->p += small ? 1 : 2;
      INEED(s, n, "an atom");
      int latin1 = tag == ETF_ATOM || tag == ETF_SMALL_ATOM || !zr__utf8_valid(s->p, n, &(size_t){0});
      if (show) {
        ZR_TRY(zr__buf_printf(j, ",\"type\":\"atom\",\"value\":"));
        ZR_TRY(j_str(j, s->p, n, latin1));
      }
      s->p += n;
      break;
    }
    case ETF_SMALL_TUPLE:
    case ETF_LARGE_TUPLE: {
      uint64_t n;
      INEED(s, tag == ETF_SMALL_TUPLE ? 1 : 4, "a tuple");
      n = tag == ETF_SMALL_TUPLE ? *s->p : zr__ld32be(s->p);
      s->p += tag == ETF_SMALL_TUPLE ? 1 : 4;
      INEED(s, n, "a tuple");
      if (show) ZR_TRY(zr__buf_printf(j, ",\"type\":\"tuple\",\"size\":%llu", (unsigned long long)n));
      ZR_TRY(walk_items(s, n, depth, show, "items"));
      break;
    }
    case ETF_NIL:
      if (show) ZR_TRY(zr__buf_printf(j, ",\"type\":\"list\",\"size\":0"));
      break;
    case ETF_STRING: {
      INEED(s, 2, "STRING_EXT");
      size_t n = zr__ld16be(s->p);
      s->p += 2;
      INEED(s, n, "STRING_EXT");
      if (show) {
        ZR_TRY(zr__buf_printf(j, ",\"type\":\"charlist\",\"size\":%zu,\"value\":", n));
        ZR_TRY(j_str(j, s->p, n < 64 ? n : 64, 1));
      }
      s->p += n;
      break;
    }
    case ETF_LIST: {
      INEED(s, 4, "LIST_EXT");
      uint64_t n = zr__ld32be(s->p);
      s->p += 4;
      INEED(s, n + 1, "a list");
      if (show) ZR_TRY(zr__buf_printf(j, ",\"type\":\"list\",\"size\":%llu", (unsigned long long)n));
      ZR_TRY(walk_items(s, n, depth, show, "items"));
      INEED(s, 1, "a list tail");
      if (*s->p == ETF_NIL) {
        s->p++;
      } else {
        if (show) ZR_TRY(zr__buf_printf(j, ",\"improper\":true,\"tail\":"));
        ZR_TRY(walk(s, depth + 1, show));
      }
      break;
    }
    case ETF_BINARY:
    case ETF_BIT_BINARY: {
      INEED(s, tag == ETF_BINARY ? 4 : 5, "a binary");
      size_t n = zr__ld32be(s->p);
      unsigned bits = tag == ETF_BINARY ? 8 : s->p[4];
      s->p += tag == ETF_BINARY ? 4 : 5;
      INEED(s, n, "a binary");
      if (show)
        ZR_TRY(zr__buf_printf(j, ",\"type\":\"%s\",\"size\":%zu", tag == ETF_BINARY ? "binary" : "bitstring", n));
      if (show && tag == ETF_BIT_BINARY) ZR_TRY(zr__buf_printf(j, ",\"last_bits\":%u", bits));
      s->p += n;
      break;
    }
    case ETF_SMALL_BIG:
    case ETF_LARGE_BIG: {
      INEED(s, tag == ETF_SMALL_BIG ? 2 : 5, "a bignum");
      size_t n = tag == ETF_SMALL_BIG ? *s->p : zr__ld32be(s->p);
      s->p += tag == ETF_SMALL_BIG ? 1 : 4;
      unsigned sign = *s->p++;
      INEED(s, n, "a bignum");
      if (show)
        ZR_TRY(zr__buf_printf(j, ",\"type\":\"bigint\",\"bytes\":%zu,\"negative\":%s", n, sign ? "true" : "false"));
      s->p += n;
      break;
    }
    case ETF_MAP: {
      INEED(s, 4, "MAP_EXT");
      uint64_t n = zr__ld32be(s->p);
      s->p += 4;
      INEED(s, 2 * n, "a map");
      if (show) ZR_TRY(zr__buf_printf(j, ",\"type\":\"map\",\"size\":%llu", (unsigned long long)n));
      ZR_TRY(walk_items(s, 2 * n, depth, show, "keys_and_values"));
      break;
    }
    default: break;
  }
  if (show) ZR_TRY(zr__buf_push(j, '}'));
  return ZR_OK;
}

zr_status zr_etf_inspect(const void *data, size_t len, zr_sink *json_out, zr_error *err) {
  if ((!data && len) || !json_out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "zr_etf_inspect: NULL argument");
  const uint8_t *p = data;
  if (len < 1) return zr__err(err, ZR_ERR_TRUNCATED, 0, "ETF: empty input");
  if (p[0] != ETF_VERSION) return zr__err(err, ZR_ERR_VERSION, 0, "ETF: version byte is %u, not 131", p[0]);
  zr__buf j;
  zr__buf_init(&j, zr__alloc_or_default(NULL));
  uint8_t *inflated = NULL;
  insp s = {.base = p, .p = p + 1, .end = p + len, .j = &j, .err = err};
  zr_status st = zr__buf_printf(&j, "{\"format\":\"etf\",\"version\":131,\"bytes\":%zu", len);
  if (st == ZR_OK && len >= 2 && p[1] == ETF_COMPRESSED) {
    if (len < 6) {
      st = zr__err(err, ZR_ERR_TRUNCATED, 2, "ETF: input ends inside the compressed term header");
    } else {
      uint64_t size = zr__ld32be(p + 2);
      st = zr__buf_printf(&j, ",\"compressed\":true,\"uncompressed_bytes\":%llu", (unsigned long long)size);
      if (st == ZR_OK && (size == 0 || size > INSPECT_MAX_INFLATE))
        st = zr__err(err, ZR_ERR_LIMIT, 2, "ETF: inspect inflates at most %llu bytes",
                     (unsigned long long)INSPECT_MAX_INFLATE);
      if (st == ZR_OK) {
        inflated = zr__malloc(zr__alloc_or_default(NULL), (size_t)size);
        uLongf dl = (uLongf)size;
        uLong sl = (uLong)(len - 6);
        int zs = inflated ? uncompress2(inflated, &dl, p + 6, &sl) : Z_MEM_ERROR;
        if (zs != Z_OK || dl != size)
          st = zr__err(err, zs == Z_MEM_ERROR ? ZR_ERR_NOMEM : ZR_ERR_CODEC, 6,
                       "ETF: compressed term does not inflate to its size");
        s.base = s.p = inflated;
        s.end = inflated ? inflated + size : NULL;
      }
    }
  } else if (st == ZR_OK) {
    st = zr__buf_printf(&j, ",\"compressed\":false");
  }
  if (st == ZR_OK) st = zr__buf_printf(&j, ",\"term\":");
  if (st == ZR_OK) st = walk(&s, 0, 1);
  if (st == ZR_OK && s.p != s.end)
    st = zr__err(err, ZR_ERR_MALFORMED, (int64_t)(s.p - s.base), "ETF: bytes after the term");
  if (st == ZR_OK) st = zr__buf_printf(&j, ",\"values\":%llu}\n", (unsigned long long)s.values);
  if (st == ZR_OK) st = zr_sink_write(json_out, j.data, j.len, err);
  if (st == ZR_ERR_NOMEM && err && err->code != ZR_ERR_NOMEM) zr__err_nomem(err);
  if (inflated) zr__free(zr__alloc_or_default(NULL), inflated);
  zr__buf_free(&j);
  return st;
}

static zr_status etf_inspect_fmt(const uint8_t *data, size_t len, zr_sink *json_out, zr_error *err) {
  return zr_etf_inspect(data, len, json_out, err);
}

const zr_format zr__format_etf = {
    .name = "etf",
    .id = ZR_FORMAT_ID_ETF,
    .summary = "Erlang external term format (term_to_binary), version 131, optionally zlib-compressed",
    .detect = etf_detect,
    .decode = etf_decode_fmt,
    .encode = etf_encode_fmt,
    .inspect = etf_inspect_fmt,
};
