/* Python literal subset used by .npy headers: parse into zr_value, print like repr(). */
#include "formats/numpy/pylit.h"

#include <stdio.h>

#define PYLIT_MAX_DEPTH 64

typedef struct plp {
  const char *s;
  size_t n, i;
  zr_doc *doc;
  int64_t base;
  zr_error *err;
} plp;

static zr_status perr(plp *p, zr_status code, const char *what) {
  return zr__err(p->err, code, p->base + (int64_t)p->i, "npy header: %s at header byte %zu", what, p->i);
}

static void skip_ws(plp *p) {
  while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) p->i++;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static zr_status put_utf8(zr__buf *b, uint32_t cp) {
  uint8_t t[4];
  size_t k;
  if (cp < 0x80) { t[0] = (uint8_t)cp; k = 1; }
  else if (cp < 0x800) { t[0] = (uint8_t)(0xC0 | (cp >> 6)); t[1] = (uint8_t)(0x80 | (cp & 0x3F)); k = 2; }
  else if (cp < 0x10000) { t[0] = (uint8_t)(0xE0 | (cp >> 12)); t[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); t[2] = (uint8_t)(0x80 | (cp & 0x3F)); k = 3; }
  else { t[0] = (uint8_t)(0xF0 | (cp >> 18)); t[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F)); t[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); t[3] = (uint8_t)(0x80 | (cp & 0x3F)); k = 4; }
  return zr__buf_append(b, t, k);
}

static zr_status parse_string(plp *p, zr_value *out) {
  char q = p->s[p->i++];
  zr__buf b;
  zr__buf_init(&b, &p->doc->alloc);
  zr_status st = ZR_OK;
  for (;;) {
    if (p->i >= p->n) { st = perr(p, ZR_ERR_MALFORMED, "unterminated string"); break; }
    char c = p->s[p->i++];
    if (c == q) break;
    if (c == '\n') { st = perr(p, ZR_ERR_MALFORMED, "newline in string"); break; }
    if (c != '\\') { st = zr__buf_push(&b, (uint8_t)c); if (st) break; continue; }
    if (p->i >= p->n) { st = perr(p, ZR_ERR_MALFORMED, "unterminated escape"); break; }
    char e = p->s[p->i++];
    uint32_t cp;
    int digits = 0;
    switch (e) {
      case '\\': cp = '\\'; break;
      case '\'': cp = '\''; break;
      case '"': cp = '"'; break;
      case 'n': cp = '\n'; break;
      case 't': cp = '\t'; break;
      case 'r': cp = '\r'; break;
      case '0': cp = 0; break;
      case 'x': digits = 2; cp = 0; break;
      case 'u': digits = 4; cp = 0; break;
      case 'U': digits = 8; cp = 0; break;
      default: st = perr(p, ZR_ERR_MALFORMED, "unsupported escape in string"); goto done;
    }
    for (int k = 0; k < digits; k++) {
      int h = p->i < p->n ? hexval(p->s[p->i]) : -1;
      if (h < 0) { st = perr(p, ZR_ERR_MALFORMED, "bad hex escape"); goto done; }
      cp = cp * 16 + (uint32_t)h;
      p->i++;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { st = perr(p, ZR_ERR_MALFORMED, "bad code point escape"); break; }
    st = put_utf8(&b, cp);
    if (st) break;
  }
done:
  if (st == ZR_OK) {
    *out = zr_str_copy(p->doc, b.len ? (const char *)b.data : "", b.len);
    if (out->kind != ZR_KIND_STRING) st = zr__err_nomem(p->err);
  } else if (st == ZR_ERR_NOMEM) {
    zr__err_nomem(p->err);
  }
  zr__buf_free(&b);
  return st;
}

static zr_status parse_value(plp *p, zr_value *out, unsigned depth);

static zr_status parse_seq(plp *p, char close, zr_kind kind, zr_value *out, unsigned depth) {
  zr_value seq = kind == ZR_KIND_MAP ? zr_map_new(p->doc, 4) : zr_list_new(p->doc, 4);
  if (seq.kind == ZR_KIND_NULL) return zr__err_nomem(p->err);
  int count = 0, trailing_comma = 0;
  p->i++; /* opening bracket */
  for (;;) {
    skip_ws(p);
    if (p->i >= p->n) return perr(p, ZR_ERR_MALFORMED, "unterminated container");
    if (p->s[p->i] == close) { p->i++; break; }
    if (count && !trailing_comma) return perr(p, ZR_ERR_MALFORMED, "expected ',' between items");
    zr_value item;
    ZR_TRY(parse_value(p, &item, depth + 1));
    if (kind == ZR_KIND_MAP) {
      skip_ws(p);
      if (p->i >= p->n || p->s[p->i] != ':') return perr(p, ZR_ERR_MALFORMED, "expected ':' in dict");
      p->i++;
      zr_value val;
      ZR_TRY(parse_value(p, &val, depth + 1));
      if (zr_map_put(p->doc, &seq, item, val) != ZR_OK) return zr__err_nomem(p->err);
    } else if (zr_list_push(p->doc, &seq, item) != ZR_OK) {
      return zr__err_nomem(p->err);
    }
    count++;
    skip_ws(p);
    trailing_comma = 0;
    if (p->i < p->n && p->s[p->i] == ',') { p->i++; trailing_comma = 1; }
  }
  if (kind == ZR_KIND_TUPLE && count == 1 && !trailing_comma) {
    *out = seq.u.items[0]; /* parenthesised expression, not a tuple */
    return ZR_OK;
  }
  if (kind == ZR_KIND_TUPLE) seq.kind = ZR_KIND_TUPLE;
  *out = seq;
  return ZR_OK;
}

static zr_status parse_value(plp *p, zr_value *out, unsigned depth) {
  if (depth > PYLIT_MAX_DEPTH) return perr(p, ZR_ERR_LIMIT, "literal nested too deeply");
  skip_ws(p);
  if (p->i >= p->n) return perr(p, ZR_ERR_MALFORMED, "unexpected end");
  char c = p->s[p->i];
  if ((c == 'u' || c == 'b') && p->i + 1 < p->n && (p->s[p->i + 1] == '\'' || p->s[p->i + 1] == '"')) {
    p->i++;
    c = p->s[p->i];
  }
  if (c == '\'' || c == '"') return parse_string(p, out);
  if (c == '(') return parse_seq(p, ')', ZR_KIND_TUPLE, out, depth);
  if (c == '[') return parse_seq(p, ']', ZR_KIND_LIST, out, depth);
  if (c == '{') return parse_seq(p, '}', ZR_KIND_MAP, out, depth);
  if (c == '-' || (c >= '0' && c <= '9')) {
    int neg = c == '-';
    if (neg) p->i++;
    if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return perr(p, ZR_ERR_MALFORMED, "bad number");
    uint64_t v = 0;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
      if (v > (UINT64_MAX - 9) / 10) return perr(p, ZR_ERR_RANGE, "integer too large");
      v = v * 10 + (uint64_t)(p->s[p->i++] - '0');
    }
    if (p->i < p->n && (p->s[p->i] == 'L' || p->s[p->i] == 'l')) p->i++; /* Python 2 long */
    if (v > (uint64_t)INT64_MAX) return perr(p, ZR_ERR_RANGE, "integer too large");
    *out = zr_int(neg ? -(int64_t)v : (int64_t)v);
    return ZR_OK;
  }
  static const struct { const char *w; int kind; } words[] = {{"True", 1}, {"False", 0}, {"None", 2}};
  for (size_t k = 0; k < 3; k++) {
    size_t wl = strlen(words[k].w);
    if (p->n - p->i >= wl && memcmp(p->s + p->i, words[k].w, wl) == 0) {
      p->i += wl;
      *out = words[k].kind == 2 ? zr_null() : zr_bool(words[k].kind);
      return ZR_OK;
    }
  }
  return perr(p, ZR_ERR_MALFORMED, "unexpected character");
}

zr_status zr__pylit_parse(const char *s, size_t n, zr_doc *doc, zr_value *out, int64_t base, zr_error *err) {
  plp p = {s, n, 0, doc, base, err};
  ZR_TRY(parse_value(&p, out, 0));
  skip_ws(&p);
  if (p.i != p.n) return perr(&p, ZR_ERR_MALFORMED, "trailing characters after literal");
  return ZR_OK;
}

static zr_status repr_str(zr__buf *b, const char *s, size_t n) {
  int has_sq = memchr(s, '\'', n) != NULL, has_dq = memchr(s, '"', n) != NULL;
  char q = (has_sq && !has_dq) ? '"' : '\'';
  ZR_TRY(zr__buf_push(b, (uint8_t)q));
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == (unsigned char)q || c == '\\') {
      ZR_TRY(zr__buf_push(b, '\\'));
      ZR_TRY(zr__buf_push(b, c));
    } else if (c == '\n') {
      ZR_TRY(zr__buf_append(b, "\\n", 2));
    } else if (c == '\r') {
      ZR_TRY(zr__buf_append(b, "\\r", 2));
    } else if (c == '\t') {
      ZR_TRY(zr__buf_append(b, "\\t", 2));
    } else if (c < 0x20 || c == 0x7f) {
      ZR_TRY(zr__buf_printf(b, "\\x%02x", c));
    } else {
      ZR_TRY(zr__buf_push(b, c));
    }
  }
  return zr__buf_push(b, (uint8_t)q);
}

zr_status zr__pylit_repr(zr__buf *b, const zr_value *v) {
  switch (v->kind) {
    case ZR_KIND_NULL: return zr__buf_append(b, "None", 4);
    case ZR_KIND_BOOL: return v->u.b ? zr__buf_append(b, "True", 4) : zr__buf_append(b, "False", 5);
    case ZR_KIND_INT: return zr__buf_printf(b, "%lld", (long long)v->u.i);
    case ZR_KIND_UINT: return zr__buf_printf(b, "%llu", (unsigned long long)v->u.u);
    case ZR_KIND_STRING: return repr_str(b, v->u.str, (size_t)v->n.len);
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE: {
      int tup = v->kind == ZR_KIND_TUPLE;
      ZR_TRY(zr__buf_push(b, tup ? '(' : '['));
      for (uint64_t i = 0; i < v->n.len; i++) {
        if (i) ZR_TRY(zr__buf_append(b, ", ", 2));
        ZR_TRY(zr__pylit_repr(b, &v->u.items[i]));
      }
      if (tup && v->n.len == 1) ZR_TRY(zr__buf_push(b, ','));
      return zr__buf_push(b, tup ? ')' : ']');
    }
    case ZR_KIND_MAP: {
      ZR_TRY(zr__buf_push(b, '{'));
      for (uint64_t i = 0; i < v->n.len; i++) {
        if (i) ZR_TRY(zr__buf_append(b, ", ", 2));
        ZR_TRY(zr__pylit_repr(b, &v->u.members[i].key));
        ZR_TRY(zr__buf_append(b, ": ", 2));
        ZR_TRY(zr__pylit_repr(b, &v->u.members[i].val));
      }
      return zr__buf_push(b, '}');
    }
    default: return ZR_ERR_TYPE;
  }
}
