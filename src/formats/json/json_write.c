/* zr_value → JSON text (plain and extended mapping: docs/guides/json.md).
 *
 * The writer is our own streaming emitter rather than a jansson tree: jansson's json_int_t is
 * int64, so it cannot print uint64 above INT64_MAX or bigints, and building a tree would double
 * the memory of large values. Output is RFC 8259 JSON, UTF-8, with \uXXXX escapes for control
 * characters only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/json/json_internal.h"
#include "zerial/arrow.h"

/* ---- base64 ---- */
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t zr__b64_encoded_len(size_t n) { return (n + 2) / 3 * 4; }

void zr__b64_encode(const uint8_t *in, size_t n, char *out) {
  size_t i = 0, o = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63];
    out[o++] = B64[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = '=';
    out[o++] = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63];
    out[o++] = '=';
  }
}

static int b64v(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool zr__b64_decode(const char *in, size_t n, uint8_t *out, size_t *out_len) {
  while (n && in[n - 1] == '=') n--;
  if (n % 4 == 1) return false;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64v(in[i]);
    if (v < 0) return false;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (uint8_t)(acc >> bits);
    }
  }
  if (bits && (acc & ((1u << bits) - 1))) return false; /* non-canonical trailing bits */
  *out_len = o;
  return true;
}

static const char *const UNITS[] = {"s", "ms", "us", "ns", "Y", "M", "W", "D", "h", "m", "ps", "fs", "as", "generic"};

const char *zr__json_unit_name(unsigned unit) { return unit < sizeof UNITS / sizeof UNITS[0] ? UNITS[unit] : "?"; }

int zr__json_unit_parse(const char *s) {
  for (unsigned i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
    if (strcmp(s, UNITS[i]) == 0) return (int)i;
  return -1;
}

/* ---- writer ---- */
typedef struct jw {
  zr__buf b;
  zr_sink *sink;
  zr_error *err;
  unsigned flags;
  int ext, pretty, strict;
  zr_warnings *warnings;
  zr__path path;
  unsigned depth;
} jw;

#define FLUSH_AT (1u << 16)

static zr_status jw_flush(jw *w) {
  if (!w->b.len) return ZR_OK;
  zr_status st = zr_sink_write(w->sink, w->b.data, w->b.len, w->err);
  w->b.len = 0;
  return st;
}

static zr_status jw_put(jw *w, const void *p, size_t n) {
  if (zr__buf_append(&w->b, p, n) != ZR_OK) return zr__err_nomem(w->err);
  if (w->b.len >= FLUSH_AT) return jw_flush(w);
  return ZR_OK;
}
#define PUTS(w, lit) jw_put((w), (lit), sizeof(lit) - 1)

static zr_status jw_printf(jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static zr_status jw_printf(jw *w, const char *fmt, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  return jw_put(w, tmp, (size_t)n);
}

static zr_status jw_u64(jw *w, uint64_t u, int neg) {
  char t[24];
  int i = 24;
  do {
    t[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (neg) t[--i] = '-';
  return jw_put(w, t + i, (size_t)(24 - i));
}

static zr_status jw_i64(jw *w, int64_t v) {
  return v < 0 ? jw_u64(w, (uint64_t)0 - (uint64_t)v, 1) : jw_u64(w, (uint64_t)v, 0);
}

static zr_status jw_newline(jw *w) {
  if (!w->pretty) return ZR_OK;
  ZR_TRY(PUTS(w, "\n"));
  for (unsigned i = 0; i < w->depth; i++) ZR_TRY(PUTS(w, "  "));
  return ZR_OK;
}

static zr_status fail_path(jw *w, zr_status code, const char *fmt, const char *what) {
  char p[ZR_ERROR_PATH_MAX];
  zr__path_render(&w->path, p, sizeof p);
  return zr__err_path(w->err, code, p, fmt, what, p);
}

/* a lossy mapping in plain mode: a warning, or an error in strict mode */
static zr_status lossy(jw *w, const char *what) {
  if (w->strict) return fail_path(w, ZR_ERR_LOSSY, "JSON cannot represent %s exactly (at %s)", what);
  if (w->warnings) {
    char p[ZR_ERROR_PATH_MAX];
    zr__path_render(&w->path, p, sizeof p);
    zr_warnings_add(w->warnings, ZR_ERR_LOSSY, p, "%s written in a lossy JSON form", what);
  }
  return ZR_OK;
}

/* JSON numbers beyond ±2^53 are exact in the text but not in the many parsers that read numbers
 * as doubles (JavaScript, jq, …): a lossy mapping like any other. */
#define JW_EXACT (INT64_C(1) << 53)
#define BEYOND_2_53 "an integer beyond 2^53 (rounded by parsers that read JSON numbers as doubles)"

static int mag_beyond_2_53(const uint8_t *mag, size_t len) {
  while (len && mag[len - 1] == 0) len--;
  if (len > 7) return 1;
  uint64_t x = 0;
  for (size_t i = len; i-- > 0;) x = (x << 8) | mag[i];
  return x > (uint64_t)JW_EXACT;
}

static zr_status jw_string(jw *w, const char *s, size_t n) {
  ZR_TRY(PUTS(w, "\""));
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    ZR_TRY(jw_put(w, s + start, i - start));
    start = i + 1;
    switch (c) {
      case '"': ZR_TRY(PUTS(w, "\\\"")); break;
      case '\\': ZR_TRY(PUTS(w, "\\\\")); break;
      case '\n': ZR_TRY(PUTS(w, "\\n")); break;
      case '\r': ZR_TRY(PUTS(w, "\\r")); break;
      case '\t': ZR_TRY(PUTS(w, "\\t")); break;
      case '\b': ZR_TRY(PUTS(w, "\\b")); break;
      case '\f': ZR_TRY(PUTS(w, "\\f")); break;
      default: ZR_TRY(jw_printf(w, "\\u%04x", c)); break;
    }
  }
  ZR_TRY(jw_put(w, s + start, n - start));
  return PUTS(w, "\"");
}

static zr_status jw_text(jw *w, const char *s, size_t n, const char *what) {
  size_t bad = 0;
  if (n && !zr__utf8_valid((const uint8_t *)s, n, &bad)) {
    char m[64];
    snprintf(m, sizeof m, "a %s with invalid UTF-8 (byte %zu)", what, bad);
    return fail_path(w, ZR_ERR_UTF8, "%s at %s", m);
  }
  return jw_string(w, s, n);
}

static zr_status jw_b64(jw *w, const uint8_t *p, size_t n) {
  ZR_TRY(PUTS(w, "\""));
  /* in blocks so the staging buffer stays bounded */
  char out[4096];
  for (size_t i = 0; i < n; i += 3072) {
    size_t k = n - i < 3072 ? n - i : 3072;
    zr__b64_encode(p + i, k, out);
    ZR_TRY(jw_put(w, out, zr__b64_encoded_len(k)));
  }
  return PUTS(w, "\"");
}

/* shortest %.Ng that reads back to the same double; always looks like a float */
static int fmt_double(char *out, size_t cap, double d) {
  int n = 0;
  for (int prec = 15; prec <= 17; prec++) {
    n = snprintf(out, cap, "%.*g", prec, d);
    if (strtod(out, NULL) == d) break;
  }
  if (!strpbrk(out, ".eEn")) {
    memcpy(out + n, ".0", 3);
    n += 2;
  }
  return n;
}

static zr_status jw_double(jw *w, double d) {
  char t[40];
  int n = fmt_double(t, sizeof t, d);
  return jw_put(w, t, (size_t)n);
}

/* decimal digits of a little-endian magnitude */
static zr_status jw_bigint(jw *w, int negative, const uint8_t *mag, size_t len) {
  while (len && mag[len - 1] == 0) len--;
  if (!len) return PUTS(w, "0");
  size_t nw = (len + 3) / 4;
  uint32_t *words = malloc(nw * sizeof *words);
  char *dig = malloc(len * 3 + 2);
  if (!words || !dig) {
    free(words);
    free(dig);
    return zr__err_nomem(w->err);
  }
  memset(words, 0, nw * sizeof *words);
  for (size_t i = 0; i < len; i++) words[i / 4] |= (uint32_t)mag[i] << (8 * (i % 4));
  size_t nd = 0, top = nw;
  while (top) {
    uint64_t rem = 0;
    for (size_t i = top; i-- > 0;) {
      uint64_t cur = (rem << 32) | words[i];
      words[i] = (uint32_t)(cur / 1000000000u);
      rem = cur % 1000000000u;
    }
    while (top && words[top - 1] == 0) top--;
    for (int k = 0; k < 9 && (top || rem); k++) {
      dig[nd++] = (char)('0' + rem % 10);
      rem /= 10;
    }
  }
  zr_status st = negative ? PUTS(w, "-") : ZR_OK;
  for (size_t i = 0; st == ZR_OK && i < nd / 2; i++) {
    char c = dig[i];
    dig[i] = dig[nd - 1 - i];
    dig[nd - 1 - i] = c;
  }
  if (st == ZR_OK) st = jw_put(w, dig, nd);
  free(words);
  free(dig);
  return st;
}

static zr_status jw_value(jw *w, const zr_value *v);

static zr_status push_index(jw *w, uint64_t i) {
  if (w->path.depth < 64) {
    w->path.seg[w->path.depth].key = NULL;
    w->path.seg[w->path.depth].index = i;
  }
  w->path.depth++;
  return ZR_OK;
}
static void push_key(jw *w, const zr_value *k) {
  if (w->path.depth < 64) w->path.seg[w->path.depth].key = k;
  w->path.depth++;
}
static void pop(jw *w) { w->path.depth--; }

static zr_status jw_items(jw *w, const zr_value *v) {
  ZR_TRY(PUTS(w, "["));
  w->depth++;
  for (uint64_t i = 0; i < v->n.len; i++) {
    if (i) ZR_TRY(PUTS(w, ","));
    ZR_TRY(jw_newline(w));
    push_index(w, i);
    ZR_TRY(jw_value(w, &v->u.items[i]));
    pop(w);
  }
  w->depth--;
  if (v->n.len) ZR_TRY(jw_newline(w));
  return PUTS(w, "]");
}

/* thread-safe sort of member indices by string key (insertion sort for small maps, else merge sort) */
static void sort_idx(const zr_member *m, uint64_t *idx, uint64_t *tmp, uint64_t n) {
  if (n < 16) {
    for (uint64_t i = 1; i < n; i++) {
      uint64_t x = idx[i], j = i;
      while (j > 0) {
        const zr_value *a = &m[idx[j - 1]].key, *b = &m[x].key;
        size_t k = a->n.len < b->n.len ? (size_t)a->n.len : (size_t)b->n.len;
        int c = k ? memcmp(a->u.str, b->u.str, k) : 0;
        if (c < 0 || (c == 0 && a->n.len <= b->n.len)) break;
        idx[j] = idx[j - 1];
        j--;
      }
      idx[j] = x;
    }
    return;
  }
  uint64_t h = n / 2;
  sort_idx(m, idx, tmp, h);
  sort_idx(m, idx + h, tmp, n - h);
  uint64_t i = 0, j = h, o = 0;
  while (i < h && j < n) {
    const zr_value *a = &m[idx[i]].key, *b = &m[idx[j]].key;
    size_t k = a->n.len < b->n.len ? (size_t)a->n.len : (size_t)b->n.len;
    int c = k ? memcmp(a->u.str, b->u.str, k) : 0;
    if (c < 0 || (c == 0 && a->n.len <= b->n.len))
      tmp[o++] = idx[i++];
    else
      tmp[o++] = idx[j++];
  }
  while (i < h) tmp[o++] = idx[i++];
  while (j < n) tmp[o++] = idx[j++];
  memcpy(idx, tmp, n * sizeof *idx);
}

static int key_is_text(const zr_value *k) { return k->kind == ZR_KIND_STRING; }

/* Extended mode writes a map as a plain object only when every key is a string, none starts with
 * '$' and none repeats; otherwise as {"$map": [[k, v], ...]}. */
static int map_needs_pairs(const zr_value *v, uint64_t *idx, uint64_t *tmp) {
  const zr_member *m = v->u.members;
  for (uint64_t i = 0; i < v->n.len; i++) {
    if (!key_is_text(&m[i].key)) return 1;
    if (m[i].key.n.len && m[i].key.u.str[0] == '$') return 1;
  }
  for (uint64_t i = 0; i < v->n.len; i++) idx[i] = i;
  sort_idx(m, idx, tmp, v->n.len);
  for (uint64_t i = 1; i < v->n.len; i++) {
    const zr_value *a = &m[idx[i - 1]].key, *b = &m[idx[i]].key;
    if (a->n.len == b->n.len && (a->n.len == 0 || memcmp(a->u.str, b->u.str, (size_t)a->n.len) == 0)) return 1;
  }
  return 0;
}

/* a non-string key in plain mode: its compact JSON text */
static zr_status jw_key_as_text(jw *w, const zr_value *k) {
  jw sub;
  memset(&sub, 0, sizeof sub);
  zr__buf_init(&sub.b, w->b.alloc);
  zr_sink *mem = NULL;
  zr_status st = zr_sink_memory_new(NULL, &mem, w->err);
  if (st) return st;
  sub.sink = mem;
  sub.err = w->err;
  sub.warnings = NULL;
  sub.path = w->path;
  st = jw_value(&sub, k);
  if (st == ZR_OK) st = jw_flush(&sub);
  if (st == ZR_OK) {
    const uint8_t *d;
    size_t n;
    zr_sink_memory_data(mem, &d, &n);
    /* a key whose plain form is already a JSON string (binary, ext, timestamp) is used as is:
       binary key 'a' becomes "YQ==", not "\"YQ==\"" */
    if (n >= 2 && d[0] == '"' && d[n - 1] == '"')
      st = jw_put(w, d, n);
    else
      st = jw_string(w, (const char *)d, n);
  }
  zr__buf_free(&sub.b);
  zr_sink_free(mem);
  return st;
}

static zr_status jw_map(jw *w, const zr_value *v) {
  uint64_t n = v->n.len;
  uint64_t *idx = NULL, *tmp = NULL;
  if (n) {
    idx = malloc(n * sizeof *idx);
    tmp = malloc(n * sizeof *tmp);
    if (!idx || !tmp) {
      free(idx);
      free(tmp);
      return zr__err_nomem(w->err);
    }
  }
  zr_status st = ZR_OK;
  const zr_member *m = v->u.members;
  int pairs = w->ext && map_needs_pairs(v, idx, tmp);
  if (pairs) {
    st = PUTS(w, "{\"$map\":");
    if (!st) st = PUTS(w, "[");
    w->depth++;
    for (uint64_t i = 0; !st && i < n; i++) {
      if (i) st = PUTS(w, ",");
      if (!st) st = jw_newline(w);
      if (!st) st = PUTS(w, "[");
      push_index(w, i);
      if (!st) st = jw_value(w, &m[i].key);
      if (!st) st = PUTS(w, ",");
      pop(w);
      push_key(w, &m[i].key);
      if (!st) st = jw_value(w, &m[i].val);
      pop(w);
      if (!st) st = PUTS(w, "]");
    }
    w->depth--;
    if (!st && n) st = jw_newline(w);
    if (!st) st = PUTS(w, "]}");
  } else {
    int sorted = 0;
    if ((w->flags & ZR_JSON_SORT_KEYS) && n > 1) {
      int all_text = 1;
      for (uint64_t i = 0; i < n && all_text; i++) all_text = key_is_text(&m[i].key);
      if (all_text) {
        for (uint64_t i = 0; i < n; i++) idx[i] = i;
        sort_idx(m, idx, tmp, n);
        sorted = 1;
      }
    }
    st = PUTS(w, "{");
    w->depth++;
    for (uint64_t j = 0; !st && j < n; j++) {
      uint64_t i = sorted ? idx[j] : j;
      const zr_value *k = &m[i].key;
      if (j) st = PUTS(w, ",");
      if (!st) st = jw_newline(w);
      push_key(w, k);
      if (!st) {
        if (k->kind == ZR_KIND_STRING)
          st = jw_text(w, k->u.str, (size_t)k->n.len, "key");
        else if (k->kind == ZR_KIND_SYMBOL) {
          st = lossy(w, "a symbol key");
          if (!st) st = jw_text(w, k->u.str, (size_t)k->n.len, "key");
        } else {
          st = lossy(w, "a non-string key");
          if (!st) st = jw_key_as_text(w, k);
        }
      }
      if (!st) st = w->pretty ? PUTS(w, ": ") : PUTS(w, ":");
      if (!st) st = jw_value(w, &m[i].val);
      pop(w);
    }
    w->depth--;
    if (!st && n) st = jw_newline(w);
    if (!st) st = PUTS(w, "}");
  }
  free(idx);
  free(tmp);
  return st;
}

static uint64_t float_bits(double d) {
  uint64_t b;
  memcpy(&b, &d, 8);
  return b;
}

/* special float spelling for extended mode, or NULL when the float is an ordinary number */
static const char *float_special(double d, char *buf, size_t cap) {
  uint64_t b = float_bits(d);
  if (isnan(d)) {
    if (b == UINT64_C(0x7ff8000000000000)) return "nan";
    snprintf(buf, cap, "bits:%016llx", (unsigned long long)b);
    return buf;
  }
  if (isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0 && signbit(d)) return "-0";
  return NULL;
}

static zr_status jw_float(jw *w, const zr_value *v) {
  double d = v->u.f;
  if (!w->ext) {
    if (!isfinite(d)) {
      ZR_TRY(lossy(w, "a non-finite float"));
      return PUTS(w, "null");
    }
    return jw_double(w, d);
  }
  char buf[40];
  const char *sp = float_special(d, buf, sizeof buf);
  int f32 = (v->flags & ZR_VF_F32) != 0;
  if (f32)
    ZR_TRY(PUTS(w, "{\"$f32\":"));
  else if (sp)
    ZR_TRY(PUTS(w, "{\"$float\":"));
  if (sp)
    ZR_TRY(jw_string(w, sp, strlen(sp)));
  else
    ZR_TRY(jw_double(w, d));
  if (f32 || sp) ZR_TRY(PUTS(w, "}"));
  return ZR_OK;
}

/* days since epoch → civil date (proleptic Gregorian) */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

static zr_status jw_timestamp(jw *w, const zr_value *v) {
  unsigned unit = v->aux16;
  if (w->ext) {
    ZR_TRY(jw_printf(w, "{\"$ts\":%lld,\"unit\":", (long long)v->u.i));
    const char *un = zr__json_unit_name(unit);
    ZR_TRY(jw_string(w, un, strlen(un)));
    if (v->n.tz) {
      ZR_TRY(PUTS(w, ",\"tz\":"));
      ZR_TRY(jw_text(w, v->n.tz, strlen(v->n.tz), "time zone"));
    }
    return PUTS(w, "}");
  }
  static const int64_t per_sec[] = {1, 1000, 1000000, 1000000000};
  if (unit > ZR_TU_NANO) {
    ZR_TRY(lossy(w, "a timestamp in a calendar unit"));
    return jw_printf(w, "%lld", (long long)v->u.i);
  }
  int64_t q = per_sec[unit];
  int64_t secs = v->u.i / q, frac = v->u.i % q;
  if (frac < 0) {
    frac += q;
    secs--;
  }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  int64_t y;
  unsigned mo, d;
  civil(days, &y, &mo, &d);
  char t[80];
  int n = snprintf(t, sizeof t, "\"%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, mo, d, (unsigned)(rem / 3600),
                   (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
  if (unit > 0) n += snprintf(t + n, sizeof t - (size_t)n, ".%0*lld", (int)(unit * 3), (long long)frac);
  n += snprintf(t + n, sizeof t - (size_t)n, "Z\"");
  if (v->n.tz) ZR_TRY(lossy(w, "a timestamp's time zone"));
  return jw_put(w, t, (size_t)n);
}

/* IEEE half → double */
static double half_to_double(uint16_t h) {
  int e = (h >> 10) & 31, m = h & 1023;
  double r;
  if (e == 0)
    r = ldexp(m, -24);
  else if (e == 31)
    r = m ? NAN : INFINITY;
  else
    r = ldexp(m | 1024, e - 25);
  return (h & 0x8000) ? -r : r;
}

static int numeric_dtype(zr_dtype dt) { return dt >= ZR_DT_BOOL && dt <= ZR_DT_FLOAT64; }

static zr_status jw_elem(jw *w, const zr_tensor *t, const uint8_t *p) {
  uint8_t tmp[8];
  size_t sz = zr_dtype_size(t->dtype);
  if (t->byte_order == ZR_ORDER_BIG && sz > 1) {
    for (size_t i = 0; i < sz; i++) tmp[i] = p[sz - 1 - i];
    p = tmp;
  }
  switch (t->dtype) {
    case ZR_DT_BOOL: return p[0] ? PUTS(w, "true") : PUTS(w, "false");
    case ZR_DT_INT8: return jw_i64(w, (int8_t)p[0]);
    case ZR_DT_INT16: return jw_i64(w, (int16_t)zr__ld16le(p));
    case ZR_DT_INT32: return jw_i64(w, (int32_t)zr__ld32le(p));
    case ZR_DT_INT64: return jw_i64(w, (int64_t)zr__ld64le(p));
    case ZR_DT_UINT8: return jw_u64(w, p[0], 0);
    case ZR_DT_UINT16: return jw_u64(w, zr__ld16le(p), 0);
    case ZR_DT_UINT32: return jw_u64(w, zr__ld32le(p), 0);
    case ZR_DT_UINT64: return jw_u64(w, zr__ld64le(p), 0);
    default: break;
  }
  double d;
  if (t->dtype == ZR_DT_FLOAT16)
    d = half_to_double(zr__ld16le(p));
  else if (t->dtype == ZR_DT_FLOAT32) {
    /* float32 elements print in their own shortest form (0.1, not 0.10000000149011612) */
    float f;
    memcpy(&f, p, 4);
    if (!isfinite(f)) return PUTS(w, "null");
    char b[40];
    int n = 0;
    for (int prec = 6; prec <= 9; prec++) {
      n = snprintf(b, sizeof b, "%.*g", prec, (double)f);
      if (strtof(b, NULL) == f) break;
    }
    if (!strpbrk(b, ".eEn")) {
      memcpy(b + n, ".0", 3);
      n += 2;
    }
    return jw_put(w, b, (size_t)n);
  } else
    memcpy(&d, p, 8);
  if (!isfinite(d)) return PUTS(w, "null");
  return jw_double(w, d);
}

static zr_status jw_tensor_lists(jw *w, const zr_tensor *t, uint32_t dim, const uint8_t *p) {
  if (dim == t->ndim) return jw_elem(w, t, p);
  ZR_TRY(PUTS(w, "["));
  for (int64_t i = 0; i < t->shape[dim]; i++) {
    if (i) ZR_TRY(PUTS(w, ","));
    ZR_TRY(jw_tensor_lists(w, t, dim + 1, p + i * t->strides[dim]));
  }
  return PUTS(w, "]");
}

static zr_status jw_shape(jw *w, const zr_tensor *t) {
  ZR_TRY(PUTS(w, "["));
  for (uint32_t i = 0; i < t->ndim; i++) ZR_TRY(jw_printf(w, i ? ",%lld" : "%lld", (long long)t->shape[i]));
  return PUTS(w, "]");
}

/* gather the elements in C order (any strides) and write them as base64 */
static zr_status jw_tensor_data(jw *w, const zr_tensor *t) {
  uint64_t count = zr_tensor_count(t), total;
  if (zr__mul_overflow(count, t->itemsize, &total) || total > SIZE_MAX / 2)
    return fail_path(w, ZR_ERR_RANGE, "%s at %s", "tensor too large");
  if (zr_tensor_is_c_contiguous(t) || total == 0) return jw_b64(w, t->data, (size_t)total);
  uint8_t *buf = malloc((size_t)total);
  if (!buf) return zr__err_nomem(w->err);
  int64_t idx[ZR_TENSOR_MAX_DIMS] = {0};
  for (uint64_t e = 0; e < count; e++) {
    const uint8_t *p = t->data;
    for (uint32_t d = 0; d < t->ndim; d++) p += idx[d] * t->strides[d];
    memcpy(buf + e * t->itemsize, p, (size_t)t->itemsize);
    for (uint32_t d = t->ndim; d-- > 0;) {
      if (++idx[d] < t->shape[d]) break;
      idx[d] = 0;
    }
  }
  zr_status st = jw_b64(w, buf, (size_t)total);
  free(buf);
  return st;
}

static zr_status jw_tensor(jw *w, const zr_tensor *t) {
  const char *dn = zr_dtype_name(t->dtype);
  if (!w->ext) {
    if (numeric_dtype(t->dtype) && t->itemsize == zr_dtype_size(t->dtype) && (t->data || zr_tensor_count(t) == 0)) {
      ZR_TRY(lossy(w, "a tensor (as nested lists)"));
      return jw_tensor_lists(w, t, 0, t->data);
    }
    ZR_TRY(lossy(w, "a tensor of this dtype (as a summary)"));
    ZR_TRY(PUTS(w, "{\"dtype\":"));
    ZR_TRY(jw_string(w, dn, strlen(dn)));
    ZR_TRY(PUTS(w, ",\"shape\":"));
    ZR_TRY(jw_shape(w, t));
    return PUTS(w, "}");
  }
  ZR_TRY(PUTS(w, "{\"$tensor\":{\"dtype\":"));
  ZR_TRY(jw_string(w, dn, strlen(dn)));
  ZR_TRY(jw_printf(w, ",\"order\":\"%s\",\"itemsize\":%llu", t->byte_order == ZR_ORDER_BIG ? "big" : "little",
                   (unsigned long long)t->itemsize));
  if (t->dtype == ZR_DT_DATETIME64 || t->dtype == ZR_DT_TIMEDELTA64) {
    const char *un = zr__json_unit_name(t->time_unit);
    ZR_TRY(PUTS(w, ",\"unit\":"));
    ZR_TRY(jw_string(w, un, strlen(un)));
  }
  if (t->descr) {
    ZR_TRY(PUTS(w, ",\"descr\":"));
    ZR_TRY(jw_text(w, t->descr, strlen(t->descr), "tensor descr"));
  }
  ZR_TRY(PUTS(w, ",\"shape\":"));
  ZR_TRY(jw_shape(w, t));
  ZR_TRY(PUTS(w, ",\"data\":"));
  ZR_TRY(jw_tensor_data(w, t));
  return PUTS(w, "}}");
}

static zr_status jw_value(jw *w, const zr_value *v) {
  if (w->path.depth > 100000) return fail_path(w, ZR_ERR_LIMIT, "%s at %s", "nesting too deep");
  switch ((zr_kind)v->kind) {
    case ZR_KIND_NULL: return PUTS(w, "null");
    case ZR_KIND_BOOL: return v->u.b ? PUTS(w, "true") : PUTS(w, "false");
    case ZR_KIND_INT:
      if (v->u.i > JW_EXACT || v->u.i < -JW_EXACT) ZR_TRY(lossy(w, BEYOND_2_53));
      return jw_i64(w, v->u.i);
    case ZR_KIND_UINT:
      if (v->u.u > (uint64_t)JW_EXACT) ZR_TRY(lossy(w, BEYOND_2_53));
      if (w->ext && v->u.u <= INT64_MAX) return jw_printf(w, "{\"$uint\":%llu}", (unsigned long long)v->u.u);
      return jw_u64(w, v->u.u, 0);
    case ZR_KIND_BIGINT:
      if (!w->ext && mag_beyond_2_53(v->u.bin, (size_t)v->n.len)) ZR_TRY(lossy(w, BEYOND_2_53));
      if (w->ext) {
        ZR_TRY(PUTS(w, "{\"$bigint\":\""));
        ZR_TRY(jw_bigint(w, (v->flags & ZR_VF_NEGATIVE) != 0, v->u.bin, (size_t)v->n.len));
        return PUTS(w, "\"}");
      }
      return jw_bigint(w, (v->flags & ZR_VF_NEGATIVE) != 0, v->u.bin, (size_t)v->n.len);
    case ZR_KIND_FLOAT: return jw_float(w, v);
    case ZR_KIND_STRING: return jw_text(w, v->u.str, (size_t)v->n.len, "string");
    case ZR_KIND_BINARY:
      if (w->ext) {
        ZR_TRY(PUTS(w, "{\"$bin\":"));
        ZR_TRY(jw_b64(w, v->u.bin, (size_t)v->n.len));
        return PUTS(w, "}");
      }
      ZR_TRY(lossy(w, "a binary (as base64 text)"));
      return jw_b64(w, v->u.bin, (size_t)v->n.len);
    case ZR_KIND_SYMBOL:
      if (w->ext) {
        ZR_TRY(PUTS(w, "{\"$sym\":"));
        ZR_TRY(jw_text(w, v->u.str, (size_t)v->n.len, "symbol"));
        return PUTS(w, "}");
      }
      ZR_TRY(lossy(w, "a symbol (as a string)"));
      return jw_text(w, v->u.str, (size_t)v->n.len, "symbol");
    case ZR_KIND_LIST: return jw_items(w, v);
    case ZR_KIND_TUPLE:
      if (w->ext) {
        ZR_TRY(PUTS(w, "{\"$tuple\":"));
        ZR_TRY(jw_items(w, v));
        return PUTS(w, "}");
      }
      ZR_TRY(lossy(w, "a tuple (as an array)"));
      return jw_items(w, v);
    case ZR_KIND_MAP: return jw_map(w, v);
    case ZR_KIND_TIMESTAMP: return jw_timestamp(w, v);
    case ZR_KIND_TENSOR: return jw_tensor(w, v->u.tensor);
    case ZR_KIND_TABLE: {
      if (w->ext) {
        ZR_TRY(lossy(w, "a table (as a summary)"));
        return jw_printf(w, "{\"$table\":{\"rows\":%lld,\"columns\":%lld}}", (long long)zr_table_num_rows(v->u.table),
                         (long long)v->u.table->schema.n_children);
      }
      /* plain JSON: the rows, one object per row (the Arrow module's table → values rules) */
      zr_doc *rows_doc = zr_doc_new(NULL);
      if (!rows_doc) return zr__err_nomem(w->err);
      zr_value rows;
      zr_status st = zr_arrow_to_value(v->u.table, rows_doc, &rows, w->err);
      if (st == ZR_OK) st = jw_value(w, &rows);
      zr_doc_free(rows_doc);
      return st;
    }
    case ZR_KIND_EXT:
      if (w->ext) {
        ZR_TRY(PUTS(w, "{\"$ext\":"));
        ZR_TRY(jw_b64(w, v->u.bin, (size_t)v->n.len));
        return jw_printf(w, ",\"type\":%u,\"version\":%u}", (unsigned)v->aux32, (unsigned)v->aux16);
      }
      ZR_TRY(lossy(w, "an ext value (as base64 text)"));
      return jw_b64(w, v->u.bin, (size_t)v->n.len);
  }
  return fail_path(w, ZR_ERR_TYPE, "%s at %s", "unknown value kind");
}

zr_status zr__json_write(const zr_value *v, unsigned flags, zr_warnings *warnings, int strict, zr_sink *sink,
                         zr_error *err) {
  if (!v || !sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "value or sink is NULL");
  jw w;
  memset(&w, 0, sizeof w);
  zr__buf_init(&w.b, zr__alloc_or_default(NULL));
  w.sink = sink;
  w.err = err;
  w.flags = flags;
  w.ext = (flags & ZR_JSON_EXTENDED) != 0;
  w.pretty = (flags & ZR_JSON_PRETTY) != 0;
  w.strict = strict;
  w.warnings = warnings;
  zr_status st = jw_value(&w, v);
  if (st == ZR_OK && w.pretty) st = PUTS(&w, "\n");
  if (st == ZR_OK) st = jw_flush(&w);
  zr__buf_free(&w.b);
  return st;
}

zr_status zr_value_to_json(const zr_value *v, unsigned flags, zr_sink *sink, zr_error *err) {
  return zr__json_write(v, flags, NULL, 0, sink, err);
}
