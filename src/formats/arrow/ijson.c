/* Arrow integration-test JSON (docs/source/format/Integration.rst) → zr_table, with jansson. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/arrow/arrow_int.h"

typedef struct jdict {
  int64_t id;
  struct ArrowSchema *vs;
  json_t *col;   /* the dictionary's column */
  struct ArrowArray arr;
  int state;     /* 0 not built, 1 building, 2 built */
} jdict;

typedef struct jr {
  const zr_allocator *a;
  za_store *st;
  zr_error *err;
  jdict *d;
  int nd;
} jr;

#define JFAIL(r, ...) zr__err((r)->err, ZR_ERR_MALFORMED, -1, __VA_ARGS__)

static int unit_of(const char *u) {
  if (!u) return -1;
  if (!strcmp(u, "SECOND")) return 0;
  if (!strcmp(u, "MILLISECOND")) return 1;
  if (!strcmp(u, "MICROSECOND")) return 2;
  if (!strcmp(u, "NANOSECOND")) return 3;
  return -1;
}

static zr_status type_fmt(jr *r, json_t *ty, size_t nkids, json_t *kids, char *out, size_t cap) {
  const char *n = json_string_value(json_object_get(ty, "name"));
  if (!n) return JFAIL(r, "arrow json: type without a name");
  static const char units[] = "smun";
  if (!strcmp(n, "null")) snprintf(out, cap, "n");
  else if (!strcmp(n, "bool")) snprintf(out, cap, "b");
  else if (!strcmp(n, "int")) {
    json_int_t bw = json_integer_value(json_object_get(ty, "bitWidth"));
    int sg = json_is_true(json_object_get(ty, "isSigned"));
    char c = bw == 8 ? 'c' : bw == 16 ? 's' : bw == 32 ? 'i' : bw == 64 ? 'l' : 0;
    if (!c) return JFAIL(r, "arrow json: int bitWidth %lld", (long long)bw);
    snprintf(out, cap, "%c", sg ? c : c - 32);
  } else if (!strcmp(n, "floatingpoint")) {
    const char *p = json_string_value(json_object_get(ty, "precision"));
    if (!p) return JFAIL(r, "arrow json: float without precision");
    snprintf(out, cap, "%s", !strcmp(p, "HALF") ? "e" : !strcmp(p, "SINGLE") ? "f" : "g");
  } else if (!strcmp(n, "binary")) snprintf(out, cap, "z");
  else if (!strcmp(n, "largebinary")) snprintf(out, cap, "Z");
  else if (!strcmp(n, "utf8")) snprintf(out, cap, "u");
  else if (!strcmp(n, "largeutf8")) snprintf(out, cap, "U");
  else if (!strcmp(n, "binaryview")) snprintf(out, cap, "vz");
  else if (!strcmp(n, "utf8view")) snprintf(out, cap, "vu");
  else if (!strcmp(n, "fixedsizebinary")) snprintf(out, cap, "w:%lld", (long long)json_integer_value(json_object_get(ty, "byteWidth")));
  else if (!strcmp(n, "decimal")) {
    json_t *bw = json_object_get(ty, "bitWidth");
    long long p = json_integer_value(json_object_get(ty, "precision")), s = json_integer_value(json_object_get(ty, "scale"));
    if (bw && json_integer_value(bw) != 128) snprintf(out, cap, "d:%lld,%lld,%lld", p, s, (long long)json_integer_value(bw));
    else snprintf(out, cap, "d:%lld,%lld", p, s);
  } else if (!strcmp(n, "date")) {
    const char *u = json_string_value(json_object_get(ty, "unit"));
    snprintf(out, cap, "td%c", u && !strcmp(u, "DAY") ? 'D' : 'm');
  } else if (!strcmp(n, "time") || !strcmp(n, "timestamp") || !strcmp(n, "duration")) {
    int u = unit_of(json_string_value(json_object_get(ty, "unit")));
    if (u < 0) return JFAIL(r, "arrow json: bad unit");
    if (n[1] == 'i' && n[4] == 0) snprintf(out, cap, "tt%c", units[u]);
    else if (n[0] == 'd') snprintf(out, cap, "tD%c", units[u]);
    else {
      const char *tz = json_string_value(json_object_get(ty, "timezone"));
      snprintf(out, cap, "ts%c:%s", units[u], tz ? tz : "");
    }
  } else if (!strcmp(n, "interval")) {
    const char *u = json_string_value(json_object_get(ty, "unit"));
    if (!u) return JFAIL(r, "arrow json: interval without unit");
    snprintf(out, cap, "ti%c", !strcmp(u, "YEAR_MONTH") ? 'M' : !strcmp(u, "DAY_TIME") ? 'D' : 'n');
  } else if (!strcmp(n, "list")) snprintf(out, cap, "+l");
  else if (!strcmp(n, "largelist")) snprintf(out, cap, "+L");
  else if (!strcmp(n, "listview")) snprintf(out, cap, "+vl");
  else if (!strcmp(n, "largelistview")) snprintf(out, cap, "+vL");
  else if (!strcmp(n, "fixedsizelist")) snprintf(out, cap, "+w:%lld", (long long)json_integer_value(json_object_get(ty, "listSize")));
  else if (!strcmp(n, "struct")) snprintf(out, cap, "+s");
  else if (!strcmp(n, "map")) snprintf(out, cap, "+m");
  else if (!strcmp(n, "runendencoded")) snprintf(out, cap, "+r");
  else if (!strcmp(n, "union")) {
    const char *m = json_string_value(json_object_get(ty, "mode"));
    json_t *ids = json_object_get(ty, "typeIds");
    size_t k = (size_t)snprintf(out, cap, "+u%c:", m && !strcmp(m, "DENSE") ? 'd' : 's');
    for (size_t i = 0; i < nkids && k < cap; i++) {
      long long id = ids ? json_integer_value(json_array_get(ids, i)) : (long long)i;
      k += (size_t)snprintf(out + k, cap - k, i ? ",%lld" : "%lld", id);
    }
  } else
    return zr__err(r->err, ZR_ERR_UNSUPPORTED, -1, "arrow json: type %s not supported", n);
  (void)kids;
  return ZR_OK;
}

static zr_status md_json(jr *r, json_t *md, zr__buf *b) {
  if (!json_is_array(md)) return ZR_OK;
  size_t i;
  json_t *kv;
  json_array_foreach(md, i, kv) {
    const char *k = json_string_value(json_object_get(kv, "key")), *v = json_string_value(json_object_get(kv, "value"));
    if (!k || !v) return JFAIL(r, "arrow json: bad metadata entry");
    if (za_md_add(b, k, strlen(k), v, strlen(v))) return zr__err_nomem(r->err);
  }
  if (b->len == 0 && json_array_size(md) == 0) {
    int32_t z = 0;
    if (zr__buf_append(b, &z, 4)) return zr__err_nomem(r->err);
  }
  return ZR_OK;
}

static zr_status field_json(jr *r, json_t *f, struct ArrowSchema *out, unsigned depth) {
  if (depth > 64) return JFAIL(r, "arrow json: nested too deeply");
  json_t *kids = json_object_get(f, "children");
  size_t nk = json_is_array(kids) ? json_array_size(kids) : 0;
  char fmt[1200];
  ZR_TRY(type_fmt(r, json_object_get(f, "type"), nk, kids, fmt, sizeof fmt));
  /* a number out of range (byte width, list size, precision) gives a format string no reader takes:
   * refused here, not only when a batch is built (a table without batches kept it) */
  za_type tt;
  ZR_TRY(za_parse_format(fmt, &tt, r->err));
  const char *name = json_string_value(json_object_get(f, "name"));
  int64_t flags = json_is_true(json_object_get(f, "nullable")) ? ARROW_FLAG_NULLABLE : 0;
  json_t *ty = json_object_get(f, "type");
  if (!strcmp(fmt, "+m") && json_is_true(json_object_get(ty, "keysSorted"))) flags |= ARROW_FLAG_MAP_KEYS_SORTED;
  zr__buf md;
  zr__buf_init(&md, r->a);
  zr_status st = md_json(r, json_object_get(f, "metadata"), &md);
  json_t *de = json_object_get(f, "dictionary");
  struct ArrowSchema *vs = out;
  if (!st && de) {
    char ifmt[8] = "i";
    json_t *it = json_object_get(de, "indexType");
    if (it) st = type_fmt(r, it, 0, NULL, ifmt, sizeof ifmt);
    if (json_is_true(json_object_get(de, "isOrdered"))) flags |= ARROW_FLAG_DICTIONARY_ORDERED;
    if (!st) st = za_schema_make(out, r->a, ifmt, name ? name : "", md.len ? (char *)md.data : NULL, flags, 0, 1);
    if (!st) {
      za_schema_set_dict_id(out, json_integer_value(json_object_get(de, "id")));
      vs = out->dictionary;
      st = za_schema_make(vs, r->a, fmt, NULL, NULL, ARROW_FLAG_NULLABLE, (int64_t)nk, 0);
    }
  } else if (!st) {
    st = za_schema_make(out, r->a, fmt, name ? name : "", md.len ? (char *)md.data : NULL, flags, (int64_t)nk, 0);
  }
  zr__buf_free(&md);
  if (st) return st;
  for (size_t i = 0; i < nk; i++) ZR_TRY(field_json(r, json_array_get(kids, i), vs->children[i], depth + 1));
  return ZR_OK;
}

/* ---------------------------------------------------------------- values */

static int64_t jint(json_t *v) {
  if (json_is_integer(v)) return (int64_t)json_integer_value(v);
  if (json_is_string(v)) return (int64_t)strtoll(json_string_value(v), NULL, 10);
  if (json_is_real(v)) return (int64_t)json_real_value(v);
  if (json_is_true(v)) return 1;
  return 0;
}

static uint64_t juint(json_t *v) {
  if (json_is_string(v)) return (uint64_t)strtoull(json_string_value(v), NULL, 10);
  return (uint64_t)jint(v);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* decimal string → two's complement little-endian of w bytes */
static zr_status dec_parse(jr *r, const char *s, uint8_t *out, int w) {
  uint32_t limbs[8] = {0};
  int nl = w / 4, neg = 0;
  if (*s == '-') {
    neg = 1;
    s++;
  } else if (*s == '+') {
    s++;
  }
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return JFAIL(r, "arrow json: bad decimal digit");
    uint64_t carry = (uint64_t)(*s - '0');
    for (int i = 0; i < nl; i++) {
      uint64_t x = (uint64_t)limbs[i] * 10 + carry;
      limbs[i] = (uint32_t)x;
      carry = x >> 32;
    }
  }
  if (neg) za_limbs_negate(limbs, nl);
  for (int i = 0; i < nl; i++) zr__st32le(out + 4 * i, limbs[i]);
  return ZR_OK;
}

static uint16_t f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, e = (x >> 23) & 0xff, m = x & 0x7fffff;
  if (e == 0xff) return (uint16_t)(sign | 0x7c00 | (m ? 0x200 : 0));
  int ne = (int)e - 127 + 15;
  if (ne >= 31) return (uint16_t)(sign | 0x7c00);
  if (ne <= 0) {
    if (ne < -10) return (uint16_t)sign;
    m |= 0x800000;
    uint32_t shift = (uint32_t)(14 - ne);
    uint32_t hm = m >> shift;
    if ((m >> (shift - 1)) & 1) hm++;
    return (uint16_t)(sign | hm);
  }
  uint32_t hm = m >> 13;
  uint16_t h = (uint16_t)(sign | ((uint32_t)ne << 10) | hm);
  if (m & 0x1000) h++;
  return h;
}

static zr_status build_col(jr *r, const struct ArrowSchema *s, json_t *c, struct ArrowArray *a, unsigned depth);

static zr_status get_dict(jr *r, int64_t id, jdict **out) {
  for (int i = 0; i < r->nd; i++) {
    if (r->d[i].id != id) continue;
    jdict *d = &r->d[i];
    if (d->state == 1) return JFAIL(r, "arrow json: dictionary %lld refers to itself", (long long)id);
    if (d->state == 0) {
      if (!d->col) return JFAIL(r, "arrow json: dictionary %lld has no data", (long long)id);
      d->state = 1;
      ZR_TRY(build_col(r, d->vs, d->col, &d->arr, 0));
      d->state = 2;
    }
    *out = d;
    return ZR_OK;
  }
  return JFAIL(r, "arrow json: unknown dictionary %lld", (long long)id);
}

static void *balloc(jr *r, size_t n) {
  void *p = za_store_alloc(r->st, n ? n : 1);
  if (p) memset(p, 0, n ? n : 1);
  return p;
}

static zr_status build_col(jr *r, const struct ArrowSchema *s, json_t *c, struct ArrowArray *a, unsigned depth) {
  if (depth > 64) return JFAIL(r, "arrow json: nested too deeply");
  za_type t;
  ZR_TRY(za_parse_format(s->format, &t, r->err));
  int64_t n = jint(json_object_get(c, "count"));
  if (n < 0 || n > (INT64_C(1) << 32)) return JFAIL(r, "arrow json: bad count");
  json_t *val = json_object_get(c, "VALIDITY"), *data = json_object_get(c, "DATA");
  json_t *kids = json_object_get(c, "children");
  uint8_t *bm = NULL;
  int64_t nulls = 0;
  int has_validity = t.layout != ZA_L_NULL && t.layout != ZA_L_SUNION && t.layout != ZA_L_DUNION && t.layout != ZA_L_REE;
  if (has_validity) {
    bm = balloc(r, (size_t)(n + 7) / 8);
    if (!bm) return zr__err_nomem(r->err);
    for (int64_t i = 0; i < n; i++) {
      int v = val ? (int)jint(json_array_get(val, (size_t)i)) : 1;
      if (v) za_setbit(bm, i, 1);
      else nulls++;
    }
  }
  int64_t nbuf = 2, nkids = 0;
  switch (t.layout) {
    case ZA_L_NULL: nbuf = 0; break;
    case ZA_L_BIN: case ZA_L_LBIN: case ZA_L_LISTVIEW: case ZA_L_LLISTVIEW: nbuf = 3; break;
    case ZA_L_FSL: case ZA_L_STRUCT: case ZA_L_SUNION: nbuf = 1; break;
    case ZA_L_REE: nbuf = 0; break;
    case ZA_L_VIEW: nbuf = 3 + (int64_t)json_array_size(json_object_get(c, "VARIADIC_DATA_BUFFERS")); break;
    default: break;
  }
  if (t.layout >= ZA_L_LIST) nkids = s->n_children;
  if ((size_t)nkids > json_array_size(kids)) return JFAIL(r, "arrow json: column '%s' lacks children", s->name ? s->name : "");
  ZR_TRY(za_array_make(a, r->st, nbuf, nkids, s->dictionary != NULL));
  a->length = n;
  a->null_count = t.layout == ZA_L_NULL ? n : nulls;
  if (has_validity) a->buffers[0] = bm;
  for (int64_t i = 0; i < nkids; i++) ZR_TRY(build_col(r, s->children[i], json_array_get(kids, (size_t)i), a->children[i], depth + 1));
  switch (t.layout) {
    case ZA_L_NULL: case ZA_L_STRUCT: case ZA_L_REE: break;
    case ZA_L_BOOL: {
      uint8_t *d = balloc(r, (size_t)(n + 7) / 8);
      if (!d) return zr__err_nomem(r->err);
      for (int64_t i = 0; i < n; i++) za_setbit(d, i, json_is_true(json_array_get(data, (size_t)i)));
      a->buffers[1] = d;
      break;
    }
    case ZA_L_FIXED: {
      uint8_t *d = balloc(r, (size_t)n * (size_t)t.width);
      if (!d) return zr__err_nomem(r->err);
      for (int64_t i = 0; i < n; i++) {
        json_t *v = json_array_get(data, (size_t)i);
        uint8_t *p = d + (size_t)t.width * i;
        if (!v) return JFAIL(r, "arrow json: DATA shorter than count in '%s'", s->name ? s->name : "");
        if (t.fb == ZA_FB_DECIMAL) {
          if (!json_is_string(v)) return JFAIL(r, "arrow json: decimal not a string");
          ZR_TRY(dec_parse(r, json_string_value(v), p, t.width));
        } else if (t.fb == ZA_FB_FSB) {
          const char *h = json_string_value(v);
          if (!h || strlen(h) != 2 * (size_t)t.width) return JFAIL(r, "arrow json: fixed-size binary of wrong length");
          for (int k = 0; k < t.width; k++) {
            int x = hexval(h[2 * k]), y = hexval(h[2 * k + 1]);
            if (x < 0 || y < 0) return JFAIL(r, "arrow json: bad hex");
            p[k] = (uint8_t)(x * 16 + y);
          }
        } else if (t.is_float) {
          double f = json_is_number(v) ? json_number_value(v) : json_is_string(v) ? strtod(json_string_value(v), NULL) : 0;
          if (t.width == 8) memcpy(p, &f, 8);
          else if (t.width == 4) {
            float x = (float)f;
            memcpy(p, &x, 4);
          } else {
            uint16_t h = f32_to_f16((float)f);
            memcpy(p, &h, 2);
          }
        } else if (t.fb == ZA_FB_INTERVAL && t.unit == 1) {
          zr__st32le(p, (uint32_t)jint(json_object_get(v, "days")));
          zr__st32le(p + 4, (uint32_t)jint(json_object_get(v, "milliseconds")));
        } else if (t.fb == ZA_FB_INTERVAL && t.unit == 2) {
          zr__st32le(p, (uint32_t)jint(json_object_get(v, "months")));
          zr__st32le(p + 4, (uint32_t)jint(json_object_get(v, "days")));
          zr__st64le(p + 8, (uint64_t)jint(json_object_get(v, "nanoseconds")));
        } else {
          uint64_t x = t.is_signed ? (uint64_t)jint(v) : juint(v);
          memcpy(p, &x, (size_t)t.width);
        }
      }
      a->buffers[1] = d;
      if (s->dictionary) {
        jdict *d2 = NULL;
        ZR_TRY(get_dict(r, za_schema_dict_id(s), &d2));
        ZR_TRY(za_array_share(&d2->arr, a->dictionary, r->a));
      }
      break;
    }
    case ZA_L_BIN:
    case ZA_L_LBIN: {
      int big = t.layout == ZA_L_LBIN;
      size_t total = 0;
      for (int64_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_array_get(data, (size_t)i));
        if (!v) return JFAIL(r, "arrow json: binary value not a string");
        total += t.is_utf8 ? strlen(v) : strlen(v) / 2;
      }
      uint8_t *o = balloc(r, (size_t)(n + 1) * (big ? 8 : 4)), *d = balloc(r, total);
      if (!o || !d) return zr__err_nomem(r->err);
      size_t pos = 0;
      for (int64_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_array_get(data, (size_t)i));
        size_t l = strlen(v);
        if (t.is_utf8) {
          memcpy(d + pos, v, l);
          pos += l;
        } else {
          for (size_t k = 0; k + 1 < l; k += 2) {
            int x = hexval(v[k]), y = hexval(v[k + 1]);
            if (x < 0 || y < 0) return JFAIL(r, "arrow json: bad hex");
            d[pos++] = (uint8_t)(x * 16 + y);
          }
        }
        if (big) zr__st64le(o + 8 * (i + 1), pos);
        else zr__st32le(o + 4 * (i + 1), (uint32_t)pos);
      }
      a->buffers[1] = o;
      a->buffers[2] = d;
      break;
    }
    case ZA_L_VIEW: {
      json_t *views = json_object_get(c, "VIEWS"), *vb = json_object_get(c, "VARIADIC_DATA_BUFFERS");
      int64_t nv = (int64_t)json_array_size(vb);
      uint8_t *v16 = balloc(r, (size_t)n * 16);
      int64_t *sizes = balloc(r, (size_t)(nv + 1) * 8);
      if (!v16 || !sizes) return zr__err_nomem(r->err);
      for (int64_t i = 0; i < nv; i++) {
        const char *h = json_string_value(json_array_get(vb, (size_t)i));
        size_t l = h ? strlen(h) / 2 : 0;
        uint8_t *d = balloc(r, l);
        if (!d) return zr__err_nomem(r->err);
        for (size_t k = 0; k < l; k++) d[k] = (uint8_t)(hexval(h[2 * k]) * 16 + hexval(h[2 * k + 1]));
        a->buffers[2 + i] = d;
        sizes[i] = (int64_t)l;
      }
      a->buffers[2 + nv] = sizes;
      for (int64_t i = 0; i < n; i++) {
        json_t *v = json_array_get(views, (size_t)i);
        uint8_t *p = v16 + 16 * i;
        int64_t size = jint(json_object_get(v, "SIZE"));
        zr__st32le(p, (uint32_t)size);
        json_t *inl = json_object_get(v, "INLINED");
        if (inl) {
          const char *h = json_string_value(inl);
          size_t l = h ? strlen(h) : 0;
          if (t.is_utf8) memcpy(p + 4, h, l > 12 ? 12 : l);
          else
            for (size_t k = 0; k + 1 < l && k / 2 < 12; k += 2) p[4 + k / 2] = (uint8_t)(hexval(h[k]) * 16 + hexval(h[k + 1]));
        } else {
          const char *h = json_string_value(json_object_get(v, "PREFIX_HEX"));
          for (size_t k = 0; h && k < 4 && h[2 * k]; k++) p[4 + k] = (uint8_t)(hexval(h[2 * k]) * 16 + hexval(h[2 * k + 1]));
          zr__st32le(p + 8, (uint32_t)jint(json_object_get(v, "BUFFER_INDEX")));
          zr__st32le(p + 12, (uint32_t)jint(json_object_get(v, "OFFSET")));
        }
      }
      a->buffers[1] = v16;
      break;
    }
    case ZA_L_LIST:
    case ZA_L_LLIST:
    case ZA_L_LISTVIEW:
    case ZA_L_LLISTVIEW: {
      int big = t.layout == ZA_L_LLIST || t.layout == ZA_L_LLISTVIEW;
      int view = t.layout == ZA_L_LISTVIEW || t.layout == ZA_L_LLISTVIEW;
      json_t *off = json_object_get(c, "OFFSET"), *sz = json_object_get(c, "SIZE");
      int64_t cnt = view ? n : n + 1;
      uint8_t *o = balloc(r, (size_t)(cnt ? cnt : 1) * (big ? 8 : 4));
      if (!o) return zr__err_nomem(r->err);
      for (int64_t i = 0; i < cnt && off; i++) {
        int64_t v = jint(json_array_get(off, (size_t)i));
        if (big) zr__st64le(o + 8 * i, (uint64_t)v);
        else zr__st32le(o + 4 * i, (uint32_t)v);
      }
      a->buffers[1] = o;
      if (view) {
        uint8_t *z = balloc(r, (size_t)(n ? n : 1) * (big ? 8 : 4));
        if (!z) return zr__err_nomem(r->err);
        for (int64_t i = 0; i < n && sz; i++) {
          int64_t v = jint(json_array_get(sz, (size_t)i));
          if (big) zr__st64le(z + 8 * i, (uint64_t)v);
          else zr__st32le(z + 4 * i, (uint32_t)v);
        }
        a->buffers[2] = z;
      }
      break;
    }
    case ZA_L_FSL: break;
    case ZA_L_SUNION:
    case ZA_L_DUNION: {
      json_t *ti = json_object_get(c, "TYPE_ID"), *off = json_object_get(c, "OFFSET");
      uint8_t *d = balloc(r, (size_t)n);
      if (!d) return zr__err_nomem(r->err);
      for (int64_t i = 0; i < n; i++) d[i] = (uint8_t)jint(json_array_get(ti, (size_t)i));
      a->buffers[0] = d;
      if (t.layout == ZA_L_DUNION) {
        uint8_t *o = balloc(r, (size_t)n * 4);
        if (!o) return zr__err_nomem(r->err);
        for (int64_t i = 0; i < n; i++) zr__st32le(o + 4 * i, (uint32_t)jint(json_array_get(off, (size_t)i)));
        a->buffers[1] = o;
      }
      break;
    }
  }
  return ZR_OK;
}

static void collect_dicts(jr *r, struct ArrowSchema *s, int *cap) {
  if (s->dictionary) {
    int64_t id = za_schema_dict_id(s);
    int found = 0;
    for (int i = 0; i < r->nd; i++) found |= r->d[i].id == id;
    if (!found && r->nd < *cap) {
      memset(&r->d[r->nd], 0, sizeof r->d[0]);
      r->d[r->nd].id = id;
      r->d[r->nd].vs = s->dictionary;
      r->nd++;
    }
    collect_dicts(r, s->dictionary, cap);
  }
  for (int64_t i = 0; i < s->n_children; i++) collect_dicts(r, s->children[i], cap);
}

static int count_dicts(const struct ArrowSchema *s) {
  int n = s->dictionary ? 1 + count_dicts(s->dictionary) : 0;
  for (int64_t i = 0; i < s->n_children; i++) n += count_dicts(s->children[i]);
  return n;
}

zr_status zr_arrow_from_integration_json(const char *text, size_t len, const zr_allocator *alloc, zr_table *out,
                                         zr_error *err) {
  if (!text || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow json: NULL argument");
  za_install_hooks();
  memset(out, 0, sizeof *out);
  json_error_t je;
  json_t *root = json_loadb(text, len, 0, &je);
  if (!root) return zr__err(err, ZR_ERR_MALFORMED, je.position, "arrow json: %s", je.text);
  jr r;
  memset(&r, 0, sizeof r);
  r.a = zr__alloc_or_default(alloc);
  r.err = err;
  r.st = za_store_new(r.a, 0);
  zr_status st = r.st ? ZR_OK : zr__err_nomem(err);
  out->alloc_ctx = (void *)alloc;
  json_t *schema = json_object_get(root, "schema");
  json_t *fields = json_object_get(schema, "fields");
  if (!st && !json_is_array(fields)) st = zr__err(err, ZR_ERR_MALFORMED, -1, "arrow json: no schema fields");
  zr__buf md;
  zr__buf_init(&md, r.a);
  if (!st) st = md_json(&r, json_object_get(schema, "metadata"), &md);
  if (!st) st = za_schema_make(&out->schema, r.a, "+s", "", md.len ? (char *)md.data : NULL, 0, (int64_t)json_array_size(fields), 0);
  zr__buf_free(&md);
  for (size_t i = 0; !st && i < json_array_size(fields); i++)
    st = field_json(&r, json_array_get(fields, i), out->schema.children[i], 1);
  int cap = 0;
  if (!st) {
    cap = count_dicts(&out->schema);
    r.d = zr__malloc(r.a, (size_t)(cap ? cap : 1) * sizeof *r.d);
    if (!r.d) st = zr__err_nomem(err);
    else collect_dicts(&r, &out->schema, &cap);
  }
  json_t *dicts = json_object_get(root, "dictionaries");
  for (size_t i = 0; !st && i < json_array_size(dicts); i++) {
    json_t *d = json_array_get(dicts, i);
    int64_t id = jint(json_object_get(d, "id"));
    for (int k = 0; k < r.nd; k++)
      if (r.d[k].id == id) r.d[k].col = json_array_get(json_object_get(json_object_get(d, "data"), "columns"), 0);
  }
  json_t *batches = json_object_get(root, "batches");
  size_t nb = json_array_size(batches);
  if (!st && nb) {
    out->batches = zr__malloc(r.a, nb * sizeof *out->batches);
    if (!out->batches) st = zr__err_nomem(err);
  }
  for (size_t b = 0; !st && b < nb; b++) {
    json_t *jb = json_array_get(batches, b);
    json_t *cols = json_object_get(jb, "columns");
    struct ArrowArray *a = &out->batches[b];
    st = za_array_make(a, r.st, 1, out->schema.n_children, 0);
    if (st) break;
    out->n_batches++;
    a->length = jint(json_object_get(jb, "count"));
    if ((int64_t)json_array_size(cols) != out->schema.n_children) {
      st = zr__err(err, ZR_ERR_MALFORMED, -1, "arrow json: batch %zu has %zu columns", b, json_array_size(cols));
      break;
    }
    for (int64_t c = 0; !st && c < out->schema.n_children; c++)
      st = build_col(&r, out->schema.children[c], json_array_get(cols, (size_t)c), a->children[c], 1);
  }
  for (int k = 0; k < r.nd; k++)
    if (r.d[k].arr.release) r.d[k].arr.release(&r.d[k].arr);
  if (r.d) zr__free(r.a, r.d);
  za_store_unref(r.st);
  json_decref(root);
  if (st) zr_table_release(out);
  /* the node builders (za_schema_make, za_array_make) return ZR_ERR_NOMEM without the error record */
  if (st == ZR_ERR_NOMEM && (!err || err->code != ZR_ERR_NOMEM)) zr__err_nomem(err);
  return st;
}

int zr_arrow_table_diff(const zr_table *a, const zr_table *b, char *why, size_t cap) {
  if (!a || !b) return 0;
  return za_table_equal(a, b, why, cap);
}
