/* JSON text → zr_doc, with jansson as the parser.
 *
 * jansson keeps integers in int64 (json_int_t) and fails on larger literals, so a lexical
 * pre-scan runs first: it finds integer literals outside int64, enforces the depth and element
 * limits with exact byte offsets, and (only when such literals exist) hands jansson a copy in
 * which each one is replaced by a same-length placeholder string `"\u0000zr<k>"` plus spaces.
 * Byte offsets in jansson's errors therefore still point into the caller's text. A real string
 * starting with U+0000 "zr" would be ambiguous: the pre-scan detects that case and refuses it
 * (ERR_UNSUPPORTED) rather than guess. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/json/json_internal.h"

#define PH_PREFIX "\"\\u0000zr"
#define PH_PREFIX_LEN 9

typedef struct big_lit {
  size_t off, len;
} big_lit;

typedef struct jr {
  zr_doc *doc;
  const char *text; /* the caller's text (big literals are read from here) */
  size_t len;
  big_lit *bigs;
  size_t n_bigs;
  unsigned flags;
  const zr_decode_opts *opts;
  zr_error *err;
  zr__path path;
  uint64_t elements;
} jr;

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* does the integer literal s[0..n) fit in int64? */
static int fits_int64(const char *s, size_t n) {
  int neg = s[0] == '-';
  size_t i = neg;
  uint64_t v = 0;
  uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 1; /* malformed: let jansson report it */
    uint64_t d = (uint64_t)(s[i] - '0');
    if (v > (lim - d) / 10) return 0;
    v = v * 10 + d;
  }
  return 1;
}

/* Pre-scan: limits, big integer literals, placeholder collisions. */
static zr_status prescan(jr *r, int *collision) {
  const char *s = r->text;
  size_t n = r->len, cap = 0;
  uint32_t depth = 0;
  uint64_t elements = 0;
  *collision = 0;
  for (size_t i = 0; i < n;) {
    char c = s[i];
    if (c == '"') {
      if (n - i >= PH_PREFIX_LEN + 1 && memcmp(s + i, PH_PREFIX, PH_PREFIX_LEN) == 0) *collision = 1;
      i++;
      while (i < n && s[i] != '"') i += (s[i] == '\\') ? 2 : 1;
      i++;
      elements++;
    } else if (c == '[' || c == '{') {
      if (++depth > r->opts->max_depth)
        return zr__err(r->err, ZR_ERR_LIMIT, (int64_t)i, "JSON nesting deeper than %u", (unsigned)r->opts->max_depth);
      elements++;
      i++;
    } else if (c == ']' || c == '}') {
      if (depth) depth--;
      i++;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t st = i;
      int isint = 1;
      while (i < n && (s[i] == '-' || s[i] == '+' || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
                       (s[i] >= '0' && s[i] <= '9'))) {
        if (s[i] == '.' || s[i] == 'e' || s[i] == 'E') isint = 0;
        i++;
      }
      elements++;
      size_t d0 = st + (s[st] == '-'); /* a leading zero is invalid JSON: leave it for jansson to reject */
      if (isint && i - st >= 19 && d0 < i && s[d0] != '0' && !fits_int64(s + st, i - st)) {
        if (r->n_bigs == cap) {
          cap = cap ? cap * 2 : 8;
          big_lit *nb = realloc(r->bigs, cap * sizeof *nb);
          if (!nb) return zr__err_nomem(r->err);
          r->bigs = nb;
        }
        r->bigs[r->n_bigs].off = st;
        r->bigs[r->n_bigs].len = i - st;
        r->n_bigs++;
      }
    } else {
      i++;
    }
    if (elements > r->opts->max_elements)
      return zr__err(r->err, ZR_ERR_LIMIT, (int64_t)i, "JSON has more than %llu values",
                     (unsigned long long)r->opts->max_elements);
  }
  if (r->n_bigs > 999999999u) return zr__err(r->err, ZR_ERR_LIMIT, -1, "too many big integer literals");
  return ZR_OK;
}

static zr_status conv_err(jr *r, zr_status code, const char *what) {
  char p[ZR_ERROR_PATH_MAX];
  zr__path_render(&r->path, p, sizeof p);
  return zr__err_path(r->err, code, p, "JSON %s at %s", what, p);
}

static zr_status nomem(jr *r) { return zr__err_nomem(r->err); }

/* decimal text (optional '-') → value: int, uint, or bigint (force_big keeps bigint kind) */
static zr_status decimal_value(jr *r, const char *s, size_t n, int force_big, zr_value *out) {
  int neg = n && s[0] == '-';
  size_t i = neg;
  if (i == n) return conv_err(r, ZR_ERR_MALFORMED, "empty integer");
  size_t cap = n / 2 + 2; /* bytes: log256(10^n) < n/2 + 1 */
  uint8_t stackbuf[64];
  uint8_t *mag = cap <= sizeof stackbuf ? stackbuf : malloc(cap);
  if (!mag) return nomem(r);
  memset(mag, 0, cap);
  size_t used = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') {
      if (mag != stackbuf) free(mag);
      return conv_err(r, ZR_ERR_MALFORMED, "bad digit in an integer");
    }
    unsigned carry = (unsigned)(s[i] - '0');
    for (size_t k = 0; k < used || carry; k++) {
      unsigned x = mag[k] * 10u + carry;
      mag[k] = (uint8_t)x;
      carry = x >> 8;
      if (k + 1 > used) used = k + 1;
    }
  }
  while (used && mag[used - 1] == 0) used--;
  zr_status st = ZR_OK;
  if (!force_big && used <= 8) {
    uint64_t u = 0;
    for (size_t k = used; k-- > 0;) u = (u << 8) | mag[k];
    if (!neg)
      *out = u <= INT64_MAX ? zr_int((int64_t)u) : zr_uint(u);
    else if (u <= (uint64_t)INT64_MAX + 1)
      *out = zr_int(u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u);
    else
      *out = zr_bigint(r->doc, 1, mag, used);
  } else {
    *out = zr_bigint(r->doc, neg && used > 0, mag, used);
  }
  if (out->kind == ZR_KIND_NULL) st = nomem(r);
  if (mag != stackbuf) free(mag);
  return st;
}

/* is this jansson string a big-literal placeholder? */
static int placeholder_index(jr *r, const char *s, size_t n, size_t *k) {
  if (!r->n_bigs || n < 3 || s[0] != 0 || s[1] != 'z' || s[2] != 'r') return 0;
  size_t v = 0;
  for (size_t i = 3; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    v = v * 10 + (size_t)(s[i] - '0');
  }
  if (v >= r->n_bigs) return 0;
  *k = v;
  return 1;
}

static zr_status conv(jr *r, json_t *j, zr_value *out, uint32_t depth);

static zr_status conv_float_special(jr *r, const char *s, double *d) {
  if (strcmp(s, "nan") == 0)
    *d = NAN;
  else if (strcmp(s, "inf") == 0)
    *d = INFINITY;
  else if (strcmp(s, "-inf") == 0)
    *d = -INFINITY;
  else if (strcmp(s, "-0") == 0)
    *d = -0.0;
  else if (strncmp(s, "bits:", 5) == 0 && strlen(s) == 21) {
    char *end;
    errno = 0;
    uint64_t b = strtoull(s + 5, &end, 16);
    if (*end || errno) return conv_err(r, ZR_ERR_MALFORMED, "bad float bits");
    memcpy(d, &b, 8);
  } else {
    return conv_err(r, ZR_ERR_MALFORMED, "unknown float spelling");
  }
  return ZR_OK;
}

static zr_status conv_float(jr *r, json_t *x, double *d) {
  if (json_is_real(x))
    *d = json_real_value(x);
  else if (json_is_integer(x))
    *d = (double)json_integer_value(x);
  else if (json_is_string(x))
    return conv_float_special(r, json_string_value(x), d);
  else
    return conv_err(r, ZR_ERR_MALFORMED, "float wrapper needs a number or a string");
  return ZR_OK;
}

static zr_status conv_b64(jr *r, json_t *x, uint8_t **data, size_t *n, size_t align) {
  if (!json_is_string(x)) return conv_err(r, ZR_ERR_MALFORMED, "base64 wrapper needs a string");
  size_t sl = json_string_length(x);
  uint8_t *buf = zr_doc_alloc(r->doc, sl / 4 * 3 + 3, align);
  if (!buf) return nomem(r);
  if (!zr__b64_decode(json_string_value(x), sl, buf, n)) return conv_err(r, ZR_ERR_MALFORMED, "invalid base64");
  *data = buf;
  return ZR_OK;
}

static zr_dtype dtype_by_name(const char *s) {
  for (int d = ZR_DT_BOOL; d <= ZR_DT_LONGDOUBLE; d++)
    if (strcmp(zr_dtype_name((zr_dtype)d), s) == 0) return (zr_dtype)d;
  return (zr_dtype)0;
}

static zr_status conv_tensor(jr *r, json_t *o, zr_value *out) {
  if (!json_is_object(o)) return conv_err(r, ZR_ERR_MALFORMED, "$tensor needs an object");
  json_t *jd = json_object_get(o, "dtype"), *jo = json_object_get(o, "order"), *js = json_object_get(o, "shape");
  json_t *ji = json_object_get(o, "itemsize"), *jdata = json_object_get(o, "data"), *ju = json_object_get(o, "unit");
  json_t *jdescr = json_object_get(o, "descr");
  if (!json_is_string(jd) || !json_is_array(js) || !json_is_integer(ji) || !jdata)
    return conv_err(r, ZR_ERR_MALFORMED, "$tensor needs dtype, itemsize, shape and data");
  zr_dtype dt = dtype_by_name(json_string_value(jd));
  if (!dt) return conv_err(r, ZR_ERR_MALFORMED, "$tensor has an unknown dtype");
  size_t nd = json_array_size(js);
  if (nd > ZR_TENSOR_MAX_DIMS) return conv_err(r, ZR_ERR_LIMIT, "$tensor has too many dimensions");
  int64_t shape[ZR_TENSOR_MAX_DIMS];
  for (size_t i = 0; i < nd; i++) {
    json_t *e = json_array_get(js, i);
    if (!json_is_integer(e) || json_integer_value(e) < 0)
      return conv_err(r, ZR_ERR_MALFORMED, "$tensor shape must be integers ≥ 0");
    shape[i] = json_integer_value(e);
  }
  json_int_t itemsize = json_integer_value(ji);
  size_t fixed = zr_dtype_size(dt);
  if (itemsize <= 0 || (fixed && (size_t)itemsize != fixed))
    return conv_err(r, ZR_ERR_MALFORMED, "$tensor itemsize does not fit its dtype");
  uint8_t *data = NULL;
  size_t n = 0;
  ZR_TRY(conv_b64(r, jdata, &data, &n, 64));
  zr_tensor t;
  zr_error e2;
  if (zr_tensor_init(&t, dt, (uint64_t)itemsize, (uint32_t)nd, shape, data, &e2) != ZR_OK)
    return conv_err(r, ZR_ERR_MALFORMED, "$tensor shape is invalid");
  if (t.nbytes != n) return conv_err(r, ZR_ERR_MALFORMED, "$tensor data length does not match its shape");
  if (jo) {
    if (!json_is_string(jo)) return conv_err(r, ZR_ERR_MALFORMED, "$tensor order must be \"little\" or \"big\"");
    if (strcmp(json_string_value(jo), "big") == 0)
      t.byte_order = ZR_ORDER_BIG;
    else if (strcmp(json_string_value(jo), "little") != 0)
      return conv_err(r, ZR_ERR_MALFORMED, "$tensor order must be \"little\" or \"big\"");
  }
  if (ju) {
    int u = json_is_string(ju) ? zr__json_unit_parse(json_string_value(ju)) : -1;
    if (u < 0) return conv_err(r, ZR_ERR_MALFORMED, "$tensor has an unknown time unit");
    t.time_unit = (zr_time_unit)u;
  }
  if (jdescr) {
    if (!json_is_string(jdescr)) return conv_err(r, ZR_ERR_MALFORMED, "$tensor descr must be a string");
    zr_value d = zr_str_copy(r->doc, json_string_value(jdescr), json_string_length(jdescr) + 1);
    if (d.kind != ZR_KIND_STRING) return nomem(r);
    t.descr = d.u.str;
  }
  *out = zr_tensor_value(r->doc, &t);
  return out->kind == ZR_KIND_TENSOR ? ZR_OK : nomem(r);
}

/* Extended wrappers; *done = 0 when the object is an ordinary map. */
static zr_status conv_wrapper(jr *r, json_t *o, zr_value *out, uint32_t depth, int *done) {
  *done = 0;
  void *it = json_object_iter(o);
  if (!it) return ZR_OK;
  const char *k = json_object_iter_key(it);
  if (k[0] != '$') return ZR_OK;
  json_t *x = json_object_iter_value(it);
  size_t n = json_object_size(o);
  *done = 1;
  if (n == 1 && strcmp(k, "$bin") == 0) {
    uint8_t *d = NULL;
    size_t len = 0;
    ZR_TRY(conv_b64(r, x, &d, &len, 1));
    *out = zr_bin_ref(d, len);
    return ZR_OK;
  }
  if (n == 1 && strcmp(k, "$sym") == 0) {
    if (!json_is_string(x)) return conv_err(r, ZR_ERR_MALFORMED, "$sym needs a string");
    *out = zr_sym_copy(r->doc, json_string_value(x), json_string_length(x));
    return out->kind == ZR_KIND_SYMBOL ? ZR_OK : nomem(r);
  }
  if (n == 1 && strcmp(k, "$tuple") == 0) {
    if (!json_is_array(x)) return conv_err(r, ZR_ERR_MALFORMED, "$tuple needs an array");
    ZR_TRY(conv(r, x, out, depth));
    out->kind = ZR_KIND_TUPLE;
    return ZR_OK;
  }
  if (n == 1 && strcmp(k, "$map") == 0) {
    if (!json_is_array(x)) return conv_err(r, ZR_ERR_MALFORMED, "$map needs an array of [key, value] pairs");
    size_t m = json_array_size(x);
    zr_value map = zr_map_new(r->doc, m);
    if (map.kind != ZR_KIND_MAP) return nomem(r);
    for (size_t i = 0; i < m; i++) {
      json_t *pr = json_array_get(x, i);
      if (!json_is_array(pr) || json_array_size(pr) != 2)
        return conv_err(r, ZR_ERR_MALFORMED, "$map entries must be [key, value]");
      zr_value kv, vv;
      ZR_TRY(conv(r, json_array_get(pr, 0), &kv, depth + 1));
      if (r->path.depth < 64) r->path.seg[r->path.depth].key = &kv;
      r->path.depth++;
      zr_status st = conv(r, json_array_get(pr, 1), &vv, depth + 1);
      r->path.depth--;
      if (st) return st;
      if (zr_map_put(r->doc, &map, kv, vv) != ZR_OK) return nomem(r);
    }
    *out = map;
    return ZR_OK;
  }
  if (n == 1 && strcmp(k, "$bigint") == 0) {
    if (!json_is_string(x)) return conv_err(r, ZR_ERR_MALFORMED, "$bigint needs a decimal string");
    return decimal_value(r, json_string_value(x), json_string_length(x), 1, out);
  }
  if (n == 1 && strcmp(k, "$uint") == 0) {
    size_t bi;
    if (json_is_integer(x) && json_integer_value(x) >= 0) {
      *out = zr_uint((uint64_t)json_integer_value(x));
      return ZR_OK;
    }
    if (json_is_string(x) && placeholder_index(r, json_string_value(x), json_string_length(x), &bi)) {
      ZR_TRY(decimal_value(r, r->text + r->bigs[bi].off, r->bigs[bi].len, 0, out));
      if (out->kind == ZR_KIND_UINT) return ZR_OK;
    }
    return conv_err(r, ZR_ERR_RANGE, "$uint needs an integer in 0..2^64-1");
  }
  if (n == 1 && (strcmp(k, "$float") == 0 || strcmp(k, "$f32") == 0)) {
    double d;
    ZR_TRY(conv_float(r, x, &d));
    *out = zr_float(d);
    if (k[1] == 'f' && k[2] == '3') out->flags |= ZR_VF_F32;
    return ZR_OK;
  }
  if (strcmp(k, "$ts") == 0 && (n == 2 || n == 3)) {
    json_t *ju = json_object_get(o, "unit"), *jt = json_object_get(o, "tz");
    if (!json_is_integer(x) || !json_is_string(ju) || (n == 3 && !json_is_string(jt)))
      return conv_err(r, ZR_ERR_MALFORMED, "$ts needs an integer count, a unit and an optional tz string");
    int u = zr__json_unit_parse(json_string_value(ju));
    if (u < 0) return conv_err(r, ZR_ERR_MALFORMED, "$ts has an unknown unit");
    const char *tz = NULL;
    if (jt) {
      if (strlen(json_string_value(jt)) != json_string_length(jt))
        return conv_err(r, ZR_ERR_MALFORMED, "$ts tz contains NUL");
      tz = json_string_value(jt);
    }
    *out = zr_timestamp(r->doc, json_integer_value(x), (zr_time_unit)u, tz);
    return out->kind == ZR_KIND_TIMESTAMP ? ZR_OK : nomem(r);
  }
  if (strcmp(k, "$ext") == 0 && n == 3) {
    json_t *jt = json_object_get(o, "type"), *jv = json_object_get(o, "version");
    if (!json_is_integer(jt) || !json_is_integer(jv) || json_integer_value(jt) < 0 ||
        json_integer_value(jt) > UINT32_MAX || json_integer_value(jv) < 0 || json_integer_value(jv) > UINT16_MAX)
      return conv_err(r, ZR_ERR_MALFORMED, "$ext needs type (u32) and version (u16)");
    uint8_t *d = NULL;
    size_t len = 0;
    ZR_TRY(conv_b64(r, x, &d, &len, 1));
    *out = zr_ext(r->doc, (uint32_t)json_integer_value(jt), (uint16_t)json_integer_value(jv), d, len);
    return out->kind == ZR_KIND_EXT ? ZR_OK : nomem(r);
  }
  if (n == 1 && strcmp(k, "$tensor") == 0) return conv_tensor(r, x, out);
  if (n == 1 && strcmp(k, "$table") == 0)
    return conv_err(r, ZR_ERR_UNSUPPORTED, "$table is a summary and cannot be read back");
  *done = 0;
  return ZR_OK;
}

static zr_status conv(jr *r, json_t *j, zr_value *out, uint32_t depth) {
  if (++r->elements > r->opts->max_elements) return conv_err(r, ZR_ERR_LIMIT, "has too many values");
  switch (json_typeof(j)) {
    case JSON_NULL: *out = zr_null(); return ZR_OK;
    case JSON_TRUE: *out = zr_bool(1); return ZR_OK;
    case JSON_FALSE: *out = zr_bool(0); return ZR_OK;
    case JSON_INTEGER: *out = zr_int(json_integer_value(j)); return ZR_OK;
    case JSON_REAL: *out = zr_float(json_real_value(j)); return ZR_OK;
    case JSON_STRING: {
      size_t k;
      const char *s = json_string_value(j);
      size_t n = json_string_length(j);
      if (placeholder_index(r, s, n, &k)) return decimal_value(r, r->text + r->bigs[k].off, r->bigs[k].len, 0, out);
      *out = zr_str_copy(r->doc, s, n);
      return out->kind == ZR_KIND_STRING ? ZR_OK : nomem(r);
    }
    case JSON_ARRAY: {
      if (depth >= r->opts->max_depth) return conv_err(r, ZR_ERR_LIMIT, "nesting too deep");
      size_t n = json_array_size(j);
      zr_value list = zr_list_new(r->doc, n);
      if (list.kind != ZR_KIND_LIST) return nomem(r);
      for (size_t i = 0; i < n; i++) {
        zr_value item;
        if (r->path.depth < 64) {
          r->path.seg[r->path.depth].key = NULL;
          r->path.seg[r->path.depth].index = i;
        }
        r->path.depth++;
        zr_status st = conv(r, json_array_get(j, i), &item, depth + 1);
        r->path.depth--;
        if (st) return st;
        if (zr_list_push(r->doc, &list, item) != ZR_OK) return nomem(r);
      }
      *out = list;
      return ZR_OK;
    }
    case JSON_OBJECT: {
      if (depth >= r->opts->max_depth) return conv_err(r, ZR_ERR_LIMIT, "nesting too deep");
      if (r->flags & ZR_JSON_EXTENDED) {
        int done = 0;
        ZR_TRY(conv_wrapper(r, j, out, depth + 1, &done));
        if (done) return ZR_OK;
      }
      zr_value map = zr_map_new(r->doc, json_object_size(j));
      if (map.kind != ZR_KIND_MAP) return nomem(r);
      for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
        zr_value key = zr_str_copy(r->doc, json_object_iter_key(it), json_object_iter_key_len(it));
        if (key.kind != ZR_KIND_STRING) return nomem(r);
        zr_value val;
        if (r->path.depth < 64) r->path.seg[r->path.depth].key = &key;
        r->path.depth++;
        zr_status st = conv(r, json_object_iter_value(it), &val, depth + 1);
        r->path.depth--;
        if (st) return st;
        if (zr_map_put(r->doc, &map, key, val) != ZR_OK) return nomem(r);
      }
      *out = map;
      return ZR_OK;
    }
  }
  return conv_err(r, ZR_ERR_INTERNAL, "unexpected jansson type");
}

static zr_status jansson_err(jr *r, const json_error_t *je, size_t base) {
  enum json_error_code c = json_error_code(je);
  zr_status code = ZR_ERR_MALFORMED;
  if (c == json_error_premature_end_of_input)
    code = ZR_ERR_TRUNCATED;
  else if (c == json_error_invalid_utf8)
    code = ZR_ERR_UTF8;
  else if (c == json_error_duplicate_key)
    code = ZR_ERR_MALFORMED;
  else if (c == json_error_out_of_memory || !je->text[0]) /* no text: it failed to allocate before parsing */
    return nomem(r);
  /* jansson's position counts the offending byte as read: point at it instead */
  int pos = je->position > 0 ? je->position : 0;
  if (code != ZR_ERR_TRUNCATED && pos > 0) pos--;
  int64_t off = (int64_t)(base + (size_t)pos);
  if ((size_t)off > r->len) off = (int64_t)r->len;
  return zr__err(r->err, code, off, "invalid JSON at byte %lld (line %d, column %d): %s", (long long)off, je->line,
                 je->column, je->text);
}

/* Parse one JSON text, or (lines) a sequence of whitespace-separated values into a list. */
zr_status zr__json_read(const char *text, size_t len, unsigned flags, const zr_decode_opts *opts_in, int lines,
                        zr_doc **out, zr_error *err);
zr_status zr__json_read(const char *text, size_t len, unsigned flags, const zr_decode_opts *opts_in, int lines,
                        zr_doc **out, zr_error *err) {
  if (!out || (!text && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "text or out is NULL");
  *out = NULL;
  zr_decode_opts defaults;
  zr_decode_opts_init(&defaults);
  const zr_decode_opts *opts = opts_in ? opts_in : &defaults;
  if (len > opts->max_bytes) return zr__err(err, ZR_ERR_LIMIT, -1, "JSON text of %zu bytes exceeds max_bytes", len);
  if (opts->dup_keys == ZR_DUP_FIRST)
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1,
                   "the JSON reader keeps the last of repeated keys; ZR_DUP_FIRST is not available");
  jr r;
  memset(&r, 0, sizeof r);
  r.text = text ? text : "";
  r.len = len;
  r.flags = flags;
  r.opts = opts;
  r.err = err;
  int collision = 0;
  zr_status st = prescan(&r, &collision);
  char *copy = NULL;
  const char *parse_text = r.text;
  if (st == ZR_OK && r.n_bigs) {
    if (collision)
      st = zr__err(
          err, ZR_ERR_UNSUPPORTED, -1,
          "JSON with integers beyond 64 bits and a string starting with \\u0000zr cannot be read unambiguously");
    else if (!(copy = malloc(len ? len : 1)))
      st = zr__err_nomem(err);
    else {
      memcpy(copy, text, len);
      for (size_t k = 0; k < r.n_bigs; k++) {
        char ph[32];
        int n = snprintf(ph, sizeof ph, PH_PREFIX "%zu\"", k);
        memset(copy + r.bigs[k].off, ' ', r.bigs[k].len);
        memcpy(copy + r.bigs[k].off, ph, (size_t)n); /* n ≤ 19 ≤ literal length */
      }
      parse_text = copy;
    }
  }
  if (st == ZR_OK) {
    r.doc = zr__doc_new_limited(opts->alloc, opts->max_bytes);
    if (!r.doc) st = zr__err_nomem(err);
  }
  size_t jflags = JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DISABLE_EOF_CHECK;
  if (opts->dup_keys == ZR_DUP_ERROR) jflags |= JSON_REJECT_DUPLICATES;
  zr_value root = zr_null(), list = zr_null();
  size_t pos = 0;
  int count = 0;
  while (st == ZR_OK) {
    while (pos < len && is_ws(parse_text[pos])) pos++;
    if (pos == len) {
      if (count == 0) st = zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "empty JSON text");
      break;
    }
    if (count == 1 && !lines) {
      st = zr__err(err, ZR_ERR_MALFORMED, (int64_t)pos, "unexpected text after the JSON value at byte %zu", pos);
      break;
    }
    json_error_t je;
    memset(&je, 0, sizeof je); /* jansson leaves it unset when its first allocation fails */
    json_t *j = json_loadb(parse_text + pos, len - pos, jflags, &je);
    if (!j) {
      st = jansson_err(&r, &je, pos);
      break;
    }
    size_t used = (size_t)je.position;
    zr_value v;
    if (count == 1) {
      /* second value: the input is JSON lines */
      list = zr_list_new(r.doc, 16);
      if (list.kind != ZR_KIND_LIST || zr_list_push(r.doc, &list, root) != ZR_OK) st = zr__err_nomem(err);
    }
    if (count >= 1 && r.path.depth < 64) {
      r.path.seg[0].key = NULL;
      r.path.seg[0].index = (uint64_t)count;
      r.path.depth = 1;
    }
    if (st == ZR_OK) st = conv(&r, j, &v, 0);
    r.path.depth = 0;
    json_decref(j);
    if (st) break;
    if (count == 0)
      root = v;
    else if (zr_list_push(r.doc, &list, v) != ZR_OK)
      st = zr__err_nomem(err);
    count++;
    if (used == 0) used = 1;
    pos += used;
  }
  if (st == ZR_OK) st = zr_doc_set_root(r.doc, count > 1 ? list : root);
  if (st == ZR_OK && zr_doc_status(r.doc) != ZR_OK) st = zr__err_nomem(err);
  free(copy);
  free(r.bigs);
  if (st != ZR_OK) {
    zr_doc_free(r.doc);
    return st;
  }
  *out = r.doc;
  return ZR_OK;
}

zr_status zr_value_from_json(const char *text, size_t len, unsigned flags, const zr_decode_opts *opts, zr_doc **out,
                             zr_error *err) {
  return zr__json_read(text, len, flags, opts, 0, out, err);
}
