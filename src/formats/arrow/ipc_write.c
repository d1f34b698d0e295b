/* Arrow IPC writer: stream and file formats, metadata V5, dictionaries (deltas, replacements),
 * LZ4_FRAME / ZSTD body compression. Buffers go straight from the arrays to the sink. */
#include <stdio.h>
#include <stdlib.h>

#include "codec/codec_internal.h"
#include "formats/arrow/arrow_int.h"
#include "formats/arrow/fb.h"

typedef struct seg {
  const void *p;
  uint64_t len;
  uint64_t pad;
} seg;

typedef struct scratch {
  struct scratch *next;
} scratch;

typedef struct wdict {
  int64_t id;
  const struct ArrowSchema *vs;
  int written;
  int64_t len;
  struct ArrowArray last; /* shared view of the last dictionary written (our arrays), or empty */
  const void *last_bufs[4];
} wdict;

typedef struct wfield_id {
  const struct ArrowSchema *s;
  int64_t id;
} wfield_id;

struct zr_arrow_writer {
  const zr_allocator *a;
  zr_sink *sink;
  zr_arrow_write_opts o;
  zr_error *err;
  struct ArrowSchema schema;
  uint64_t pos;
  int finished;
  zr__buf dblocks, bblocks; /* footer blocks, 24 bytes each */
  wdict *dicts;
  int ndicts;
  wfield_id *ids;
  int nids, capids;
  zr__fbb fbb;
  /* per message */
  zr__buf nodes, bufs, variadic, segs;
  uint64_t body_len;
  scratch *scr;
  zr__cctx cz; /* body compression through the codec registry (contexts reused across buffers) */
};

#define WFAIL(w, code, ...) zr__err((w)->err, code, -1, __VA_ARGS__)

static void *scr_alloc(zr_arrow_writer *w, size_t n) {
  scratch *s = zr__malloc(w->a, sizeof(scratch) + 64 + n);
  if (!s) return NULL;
  s->next = w->scr;
  w->scr = s;
  return (void *)(((uintptr_t)(s + 1) + 63) & ~(uintptr_t)63);
}

static void scr_free(zr_arrow_writer *w) {
  while (w->scr) {
    scratch *n = w->scr->next;
    zr__free(w->a, w->scr);
    w->scr = n;
  }
}

static zr_status sink_write(zr_arrow_writer *w, const void *p, size_t n) {
  zr_status st = zr_sink_write(w->sink, p, n, w->err);
  if (st == ZR_OK) w->pos += n;
  return st;
}

static const uint8_t zeros[64];

/* ---------------------------------------------------------------- body */

/* Append a body buffer; @p sw says how its elements are swapped when writing big-endian. */
static zr_status add_buf_sw(zr_arrow_writer *w, const void *p, uint64_t len, int sw) {
  uint64_t align = w->o.alignment;
  if (p == NULL) len = 0;
  if (w->o.big_endian && sw != ZA_SW_NONE && len > 0) {
    uint8_t *d = scr_alloc(w, (size_t)len);
    if (!d) return zr__err_nomem(w->err);
    za_swap(d, p, (size_t)len, sw, 0);
    p = d;
  }
  if (w->o.codec && len > 0) {
    int id = w->o.codec == ZR_ARROW_CODEC_LZ4 ? ZR_CODEC_LZ4 : ZR_CODEC_ZSTD, level = 0;
    size_t cap = zr_codec_bound(id, len);
    if (!cap) return zr__err_nomem(w->err);
    uint8_t *dst = scr_alloc(w, cap + 8);
    if (!dst) return zr__err_nomem(w->err);
    ZR_TRY(zr_codec_level(id, w->o.level ? w->o.level : (id == ZR_CODEC_ZSTD ? 3 : 0), &level, w->err));
    size_t clen = 0;
    ZR_TRY(zr__cctx_compress(&w->cz, id, level, p, len, dst + 8, cap, &clen, w->err));
    if (clen < len) {
      zr__st64le(dst, len);
      p = dst;
      len = clen + 8;
    } else {
      /* does not pay: raw bytes after a -1 length */
      zr__st64le(dst, UINT64_MAX);
      memcpy(dst + 8, p, len);
      p = dst;
      len += 8;
    }
  }
  int64_t b[2] = {(int64_t)w->body_len, (int64_t)len};
  ZR_TRY(zr__buf_append(&w->bufs, b, 16));
  uint64_t padded = (len + align - 1) / align * align;
  seg s = {p, len, padded - len};
  ZR_TRY(zr__buf_append(&w->segs, &s, sizeof s));
  w->body_len += padded;
  return ZR_OK;
}

static zr_status add_buf(zr_arrow_writer *w, const void *p, uint64_t len) { return add_buf_sw(w, p, len, ZA_SW_NONE); }

static zr_status add_node(zr_arrow_writer *w, int64_t len, int64_t nulls) {
  int64_t n[2] = {len, nulls};
  return zr__buf_append(&w->nodes, n, 16);
}

/* Bitmap of len bits starting at bit `off`; a view when byte aligned, else shifted into scratch. */
static zr_status bitmap_slice(zr_arrow_writer *w, const void *bm, int64_t off, int64_t len, const void **out) {
  if (!bm) {
    *out = NULL;
    return ZR_OK;
  }
  if ((off & 7) == 0) {
    *out = (const uint8_t *)bm + off / 8;
    return ZR_OK;
  }
  uint8_t *d = scr_alloc(w, (size_t)(len + 7) / 8 + 1);
  if (!d) return zr__err_nomem(w->err);
  memset(d, 0, (size_t)(len + 7) / 8 + 1);
  for (int64_t i = 0; i < len; i++)
    if (za_bit(bm, off + i)) d[i >> 3] |= (uint8_t)(1u << (i & 7));
  *out = d;
  return ZR_OK;
}

static int64_t count_nulls(const void *bm, int64_t off, int64_t len) {
  if (!bm) return 0;
  int64_t valid = 0, i = 0;
  const uint8_t *b = bm;
  for (; i < len && ((off + i) & 7); i++) valid += za_bit(bm, off + i);
  for (; i + 64 <= len; i += 64) {
    uint64_t x;
    memcpy(&x, b + (off + i) / 8, 8);
    valid += __builtin_popcountll(x);
  }
  for (; i < len; i++) valid += za_bit(bm, off + i);
  return len - valid;
}

static zr_status validity(zr_arrow_writer *w, const struct ArrowArray *a, int64_t start, int64_t len, int64_t *nulls) {
  const void *bm = a->buffers[0]; /* check_array: every layout with a validity bitmap has its slot */
  *nulls = a->null_count == 0 ? 0 : count_nulls(bm, a->offset + start, len);
  ZR_TRY(add_node(w, len, *nulls));
  if (*nulls == 0) return add_buf(w, NULL, 0);
  const void *p;
  ZR_TRY(bitmap_slice(w, bm, a->offset + start, len, &p));
  return add_buf(w, p, (uint64_t)(len + 7) / 8);
}

static int64_t ld_off(const void *b, int big, int64_t i) {
  return big ? (int64_t)zr__ld64le((const uint8_t *)b + 8 * i) : (int32_t)zr__ld32le((const uint8_t *)b + 4 * i);
}

/* Offsets for [start, start+len] rebased to 0; first and last receive the original range. */
static zr_status offsets_slice(zr_arrow_writer *w, const void *offs, int big, int64_t start, int64_t len,
                               int64_t *first, int64_t *last) {
  int wd = big ? 8 : 4;
  if (len == 0) {
    *first = *last = 0;
    static const int64_t z = 0;
    return add_buf_sw(w, &z, (uint64_t)wd, wd);
  }
  *first = ld_off(offs, big, start);
  *last = ld_off(offs, big, start + len);
  if (*first == 0) return add_buf_sw(w, (const uint8_t *)offs + wd * start, (uint64_t)(len + 1) * wd, wd);
  uint8_t *d = scr_alloc(w, (size_t)(len + 1) * wd);
  if (!d) return zr__err_nomem(w->err);
  for (int64_t i = 0; i <= len; i++) {
    int64_t v = ld_off(offs, big, start + i) - *first;
    if (big) zr__st64le(d + 8 * i, (uint64_t)v);
    else zr__st32le(d + 4 * i, (uint32_t)v);
  }
  return add_buf_sw(w, d, (uint64_t)(len + 1) * wd, wd);
}

/* Buffers of an array of each layout in the C Data Interface (views: at least this many). */
static const int64_t layout_buffers[] = {
    [ZA_L_NULL] = 0, [ZA_L_BOOL] = 2, [ZA_L_FIXED] = 2, [ZA_L_BIN] = 3, [ZA_L_LBIN] = 3, [ZA_L_VIEW] = 3,
    [ZA_L_LIST] = 2, [ZA_L_LLIST] = 2, [ZA_L_LISTVIEW] = 3, [ZA_L_LLISTVIEW] = 3, [ZA_L_FSL] = 1,
    [ZA_L_STRUCT] = 1, [ZA_L_SUNION] = 1, [ZA_L_DUNION] = 2, [ZA_L_REE] = 0};

/* The structure of a (possibly foreign) array before its buffers are read: rows [start, start+len)
 * inside it, the buffer count of its layout, and the buffers the rows need present. Values
 * (offsets inside a buffer, type ids) are not checked: the producer vouches for them. */
static zr_status check_array(zr_arrow_writer *w, const struct ArrowSchema *s, const za_type *t,
                             const struct ArrowArray *a, int64_t start, int64_t len) {
  const char *nm = s->name ? s->name : "";
  if (a->length < 0 || a->offset < 0 || start < 0 || len < 0 || start > a->length || len > a->length - start)
    return WFAIL(w, ZR_ERR_MALFORMED, "arrow: field '%s': rows [%lld, +%lld) outside an array of length %lld offset %lld",
                 nm, (long long)start, (long long)len, (long long)a->length, (long long)a->offset);
  int64_t want = layout_buffers[t->layout];
  if (t->layout == ZA_L_VIEW ? a->n_buffers < want : a->n_buffers != want)
    return WFAIL(w, ZR_ERR_MALFORMED, "arrow: field '%s' of type %s has %lld buffers, %lld expected", nm, s->format,
                 (long long)a->n_buffers, (long long)want);
  if (len == 0) return ZR_OK;
  /* which buffers must be there: type ids (unions), then every buffer after the validity bitmap
   * except the data of variable-size binary (NULL when all values are empty) and view data */
  for (int64_t i = 0; i < want; i++) {
    int needed = t->layout == ZA_L_SUNION || t->layout == ZA_L_DUNION ? 1
               : i == 0 ? 0
               : (t->layout == ZA_L_BIN || t->layout == ZA_L_LBIN) && i == 2 ? 0
               : t->layout == ZA_L_VIEW && i == 2 ? 0
               : !(t->layout == ZA_L_FIXED && t->width == 0);
    if (needed && !a->buffers[i])
      return WFAIL(w, ZR_ERR_MALFORMED, "arrow: field '%s' of type %s: buffer %lld is NULL for %lld values", nm, s->format,
                   (long long)i, (long long)len);
  }
  return ZR_OK;
}

static zr_status write_field(zr_arrow_writer *w, const struct ArrowSchema *s, const struct ArrowArray *a,
                             int64_t start, int64_t len, unsigned depth) {
  if (depth > 200) return WFAIL(w, ZR_ERR_LIMIT, "arrow: nested too deeply");
  za_type t;
  ZR_TRY(za_parse_format(s->format, &t, w->err));
  ZR_TRY(check_array(w, s, &t, a, start, len));
  int64_t phys = a->offset + start, nulls;
  switch (t.layout) {
    case ZA_L_NULL:
      return add_node(w, len, len);
    case ZA_L_BOOL: {
      ZR_TRY(validity(w, a, start, len, &nulls));
      const void *p;
      ZR_TRY(bitmap_slice(w, a->buffers[1], phys, len, &p));
      return add_buf(w, p, (uint64_t)(len + 7) / 8);
    }
    case ZA_L_FIXED:
      ZR_TRY(validity(w, a, start, len, &nulls));
      return add_buf_sw(w, (const uint8_t *)a->buffers[1] + (size_t)t.width * phys, (uint64_t)len * t.width,
                        za_swap_kind(&t));
    case ZA_L_BIN:
    case ZA_L_LBIN: {
      int big = t.layout == ZA_L_LBIN;
      int64_t f, l;
      ZR_TRY(validity(w, a, start, len, &nulls));
      ZR_TRY(offsets_slice(w, a->buffers[1], big, phys, len, &f, &l));
      if (f < 0 || l < f || (l > f && !a->buffers[2]))
        return WFAIL(w, ZR_ERR_MALFORMED, "arrow: field '%s': offsets [%lld, %lld] without their data", s->name ? s->name : "",
                     (long long)f, (long long)l);
      return add_buf(w, (const uint8_t *)a->buffers[2] + f, (uint64_t)(l - f));
    }
    case ZA_L_VIEW: {
      int64_t nv = a->n_buffers - 3; /* check_array: at least the views, one data buffer and the sizes */
      ZR_TRY(validity(w, a, start, len, &nulls));
      ZR_TRY(add_buf_sw(w, (const uint8_t *)a->buffers[1] + 16 * phys, (uint64_t)len * 16, ZA_SW_VIEW));
      const int64_t *sizes = a->buffers[a->n_buffers - 1];
      for (int64_t i = 0; i < nv; i++) ZR_TRY(add_buf(w, a->buffers[2 + i], (uint64_t)sizes[i]));
      return zr__buf_append(&w->variadic, &nv, 8);
    }
    case ZA_L_LIST:
    case ZA_L_LLIST: {
      int big = t.layout == ZA_L_LLIST;
      int64_t f, l;
      ZR_TRY(validity(w, a, start, len, &nulls));
      ZR_TRY(offsets_slice(w, a->buffers[1], big, phys, len, &f, &l));
      return write_field(w, s->children[0], a->children[0], f, l - f, depth + 1);
    }
    case ZA_L_LISTVIEW:
    case ZA_L_LLISTVIEW: {
      int wd = t.layout == ZA_L_LLISTVIEW ? 8 : 4;
      ZR_TRY(validity(w, a, start, len, &nulls));
      ZR_TRY(add_buf_sw(w, (const uint8_t *)a->buffers[1] + wd * phys, (uint64_t)len * wd, wd));
      ZR_TRY(add_buf_sw(w, (const uint8_t *)a->buffers[2] + wd * phys, (uint64_t)len * wd, wd));
      return write_field(w, s->children[0], a->children[0], 0, a->children[0]->length, depth + 1);
    }
    case ZA_L_FSL:
      ZR_TRY(validity(w, a, start, len, &nulls));
      return write_field(w, s->children[0], a->children[0], phys * t.list_size, len * t.list_size, depth + 1);
    case ZA_L_STRUCT:
      ZR_TRY(validity(w, a, start, len, &nulls));
      for (int64_t i = 0; i < s->n_children; i++)
        ZR_TRY(write_field(w, s->children[i], a->children[i], phys, len, depth + 1));
      return ZR_OK;
    case ZA_L_SUNION:
      ZR_TRY(add_node(w, len, 0));
      ZR_TRY(add_buf(w, (const uint8_t *)a->buffers[0] + phys, (uint64_t)len));
      for (int64_t i = 0; i < s->n_children; i++)
        ZR_TRY(write_field(w, s->children[i], a->children[i], phys, len, depth + 1));
      return ZR_OK;
    case ZA_L_DUNION:
      ZR_TRY(add_node(w, len, 0));
      ZR_TRY(add_buf(w, (const uint8_t *)a->buffers[0] + phys, (uint64_t)len));
      ZR_TRY(add_buf_sw(w, (const uint8_t *)a->buffers[1] + 4 * phys, (uint64_t)len * 4, 4));
      for (int64_t i = 0; i < s->n_children; i++)
        ZR_TRY(write_field(w, s->children[i], a->children[i], 0, a->children[i]->length, depth + 1));
      return ZR_OK;
    case ZA_L_REE:
      if (phys != 0 || len != a->length)
        return WFAIL(w, ZR_ERR_UNSUPPORTED, "arrow: writing a slice of a run-end encoded array");
      ZR_TRY(add_node(w, len, 0));
      ZR_TRY(write_field(w, s->children[0], a->children[0], 0, a->children[0]->length, depth + 1));
      return write_field(w, s->children[1], a->children[1], 0, a->children[1]->length, depth + 1);
  }
  return WFAIL(w, ZR_ERR_INTERNAL, "arrow: unhandled layout");
}

/* ---------------------------------------------------------------- metadata */

/* Every pair of a metadata blob (the writer's own copy: za_schema_make checked its lengths). Pairs
 * beyond 256 were dropped before: now the vector holds them all. */
static zr__fbref fb_metadata(zr__fbb *b, const char *md) {
  int32_t n = za_md_count(md);
  zr__fbref *refs = zr__malloc(b->alloc, (size_t)(n ? n : 1) * sizeof *refs);
  if (!refs) {
    if (!b->status) b->status = ZR_ERR_NOMEM; /* reported by emit() */
    return 0;
  }
  for (int32_t i = 0; i < n; i++) {
    const char *k = "", *v = "";
    int32_t kl = 0, vl = 0;
    za_md_get(md, i, &k, &kl, &v, &vl);
    zr__fbref kr = zr__fbb_string(b, k, (size_t)kl), vr = zr__fbb_string(b, v, (size_t)vl);
    zr__fbb_start(b);
    zr__fbb_add_ref(b, 0, kr);
    zr__fbb_add_ref(b, 1, vr);
    refs[i] = zr__fbb_end(b);
  }
  zr__fbref out = zr__fbb_vec_refs(b, refs, (size_t)n);
  zr__free(b->alloc, refs);
  return out;
}

static int64_t dict_id_of(zr_arrow_writer *w, const struct ArrowSchema *s) {
  for (int i = 0; i < w->nids; i++)
    if (w->ids[i].s == s) return w->ids[i].id;
  return -1;
}

static zr__fbref fb_type(zr__fbb *b, const za_type *t, int keys_sorted) {
  zr__fbref ids = 0, tz = 0;
  if (t->fb == ZA_FB_UNION) {
    int32_t v[128];
    for (int i = 0; i < t->n_ids; i++) v[i] = t->ids[i];
    ids = zr__fbb_vec_raw(b, v, (size_t)t->n_ids, 4, 4);
  }
  if (t->fb == ZA_FB_TIMESTAMP && t->tz) tz = zr__fbb_string(b, t->tz, t->tzlen);
  zr__fbb_start(b);
  switch (t->fb) {
    case ZA_FB_INT: zr__fbb_add_i32(b, 0, t->bits); zr__fbb_add_u8(b, 1, (uint8_t)t->is_signed); break;
    case ZA_FB_FLOAT: zr__fbb_add_i16(b, 0, (int16_t)t->prec); break;
    case ZA_FB_DECIMAL: zr__fbb_add_i32(b, 0, t->prec); zr__fbb_add_i32(b, 1, t->scale); zr__fbb_add_i32(b, 2, t->bits); break;
    case ZA_FB_DATE: zr__fbb_add_i16(b, 0, (int16_t)t->unit); break;
    case ZA_FB_TIME: zr__fbb_add_i16(b, 0, (int16_t)t->unit); zr__fbb_add_i32(b, 1, t->bits); break;
    case ZA_FB_TIMESTAMP: zr__fbb_add_i16(b, 0, (int16_t)t->unit); if (tz) zr__fbb_add_ref(b, 1, tz); break;
    case ZA_FB_DURATION: zr__fbb_add_i16(b, 0, (int16_t)t->unit); break;
    case ZA_FB_INTERVAL: zr__fbb_add_i16(b, 0, (int16_t)t->unit); break;
    case ZA_FB_FSB: zr__fbb_add_i32(b, 0, t->width); break;
    case ZA_FB_FSL: zr__fbb_add_i32(b, 0, t->list_size); break;
    case ZA_FB_MAP: zr__fbb_add_u8(b, 0, (uint8_t)keys_sorted); break;
    case ZA_FB_UNION: zr__fbb_add_i16(b, 0, (int16_t)(t->layout == ZA_L_DUNION)); zr__fbb_add_ref(b, 1, ids); break;
    default: break;
  }
  return zr__fbb_end(b);
}

static zr_status fb_field(zr_arrow_writer *w, const struct ArrowSchema *s, zr__fbref *out, unsigned depth) {
  zr__fbb *b = &w->fbb;
  if (depth > 200) return WFAIL(w, ZR_ERR_LIMIT, "arrow: schema nested too deeply");
  const struct ArrowSchema *vs = s->dictionary ? s->dictionary : s;
  za_type t, it;
  ZR_TRY(za_parse_format(vs->format, &t, w->err));
  if (s->dictionary) {
    ZR_TRY(za_parse_format(s->format, &it, w->err));
    if (it.fb != ZA_FB_INT) return WFAIL(w, ZR_ERR_TYPE, "arrow: dictionary index type %s is not an integer", s->format);
  }
  if (vs->n_children > 100000) return WFAIL(w, ZR_ERR_LIMIT, "arrow: too many children");
  /* the children a type has (readers and the value walks index them by position) */
  int64_t want = t.layout == ZA_L_LIST || t.layout == ZA_L_LLIST || t.layout == ZA_L_LISTVIEW ||
                         t.layout == ZA_L_LLISTVIEW || t.layout == ZA_L_FSL ? 1
               : t.layout == ZA_L_REE ? 2
               : t.layout == ZA_L_SUNION || t.layout == ZA_L_DUNION ? t.n_ids
               : t.layout == ZA_L_STRUCT ? vs->n_children : 0;
  if (vs->n_children != want)
    return WFAIL(w, ZR_ERR_MALFORMED, "arrow: field '%s' of type %s has %lld children, %lld expected", s->name ? s->name : "",
                 vs->format, (long long)vs->n_children, (long long)want);
  zr__fbref *kids = NULL;
  if (vs->n_children) {
    kids = zr__malloc(w->a, (size_t)vs->n_children * sizeof *kids);
    if (!kids) return zr__err_nomem(w->err);
    for (int64_t i = 0; i < vs->n_children; i++) {
      zr_status st = fb_field(w, vs->children[i], &kids[i], depth + 1);
      if (st) {
        zr__free(w->a, kids);
        return st;
      }
    }
  }
  zr__fbref kv = zr__fbb_vec_refs(b, kids, (size_t)vs->n_children);
  if (kids) zr__free(w->a, kids);
  zr__fbref name = s->name ? zr__fbb_string(b, s->name, strlen(s->name)) : 0;
  zr__fbref md = s->metadata ? fb_metadata(b, s->metadata) : 0;
  zr__fbref ty = fb_type(b, &t, (vs->flags & ARROW_FLAG_MAP_KEYS_SORTED) != 0);
  zr__fbref de = 0;
  if (s->dictionary) {
    zr__fbref ity = fb_type(b, &it, 0);
    zr__fbb_start(b);
    zr__fbb_add_i64(b, 0, dict_id_of(w, s));
    zr__fbb_add_ref(b, 1, ity);
    zr__fbb_add_u8(b, 2, (s->flags & ARROW_FLAG_DICTIONARY_ORDERED) ? 1 : 0);
    de = zr__fbb_end(b);
  }
  zr__fbb_start(b);
  if (name) zr__fbb_add_ref(b, 0, name);
  zr__fbb_add_u8(b, 1, (s->flags & ARROW_FLAG_NULLABLE) ? 1 : 0);
  zr__fbb_add_u8(b, 2, t.fb);
  zr__fbb_add_ref(b, 3, ty);
  if (de) zr__fbb_add_ref(b, 4, de);
  zr__fbb_add_ref(b, 5, kv);
  if (md) zr__fbb_add_ref(b, 6, md);
  *out = zr__fbb_end(b);
  return ZR_OK;
}

static zr_status schema_table(zr_arrow_writer *w, zr__fbref *out) {
  zr__fbb *b = &w->fbb;
  const struct ArrowSchema *s = &w->schema;
  zr__fbref *kids = NULL;
  if (s->n_children) {
    kids = zr__malloc(w->a, (size_t)s->n_children * sizeof *kids);
    if (!kids) return zr__err_nomem(w->err);
  }
  for (int64_t i = 0; i < s->n_children; i++) {
    zr_status st = fb_field(w, s->children[i], &kids[i], 1);
    if (st) {
      zr__free(w->a, kids);
      return st;
    }
  }
  zr__fbref fv = zr__fbb_vec_refs(b, kids, (size_t)s->n_children);
  if (kids) zr__free(w->a, kids);
  zr__fbref md = s->metadata ? fb_metadata(b, s->metadata) : 0;
  zr__fbb_start(b);
  zr__fbb_add_i16(b, 0, w->o.big_endian ? 1 : 0); /* Schema.endianness */
  zr__fbb_add_ref(b, 1, fv);
  if (md) zr__fbb_add_ref(b, 2, md);
  *out = zr__fbb_end(b);
  return ZR_OK;
}

/* Write prefix + flatbuffer (b finished) + body segments; record a footer block if @p blocks. */
static zr_status emit(zr_arrow_writer *w, zr__buf *blocks) {
  if (w->fbb.status) return w->fbb.status == ZR_ERR_NOMEM ? zr__err_nomem(w->err) : WFAIL(w, w->fbb.status, "arrow: metadata too large");
  uint64_t off = w->pos;
  uint32_t flen = (uint32_t)w->fbb.used;
  uint32_t padded = (flen + 7) & ~7u;
  uint8_t pre[8];
  zr__st32le(pre, 0xFFFFFFFFu);
  zr__st32le(pre + 4, padded);
  ZR_TRY(sink_write(w, pre, 8));
  ZR_TRY(sink_write(w, zr__fbb_data(&w->fbb), flen));
  if (padded > flen) ZR_TRY(sink_write(w, zeros, padded - flen));
  seg *sg = (seg *)w->segs.data;
  size_t ns = w->segs.len / sizeof(seg);
  for (size_t i = 0; i < ns; i++) {
    if (sg[i].len) ZR_TRY(sink_write(w, sg[i].p, sg[i].len));
    if (sg[i].pad) ZR_TRY(sink_write(w, zeros, sg[i].pad));
  }
  if (blocks) {
    uint8_t blk[24];
    memset(blk, 0, sizeof blk);
    zr__st64le(blk, off);
    zr__st32le(blk + 8, padded + 8);
    zr__st64le(blk + 16, w->body_len);
    ZR_TRY(zr__buf_append(blocks, blk, 24));
  }
  return ZR_OK;
}

static void msg_reset(zr_arrow_writer *w) {
  w->nodes.len = w->bufs.len = w->variadic.len = w->segs.len = 0;
  w->body_len = 0;
  scr_free(w);
  zr__fbb_reset(&w->fbb);
}

static zr__fbref record_batch_fb(zr_arrow_writer *w, int64_t length) {
  zr__fbb *b = &w->fbb;
  zr__fbref nodes = zr__fbb_vec_raw(b, w->nodes.data, w->nodes.len / 16, 16, 8);
  zr__fbref bufs = zr__fbb_vec_raw(b, w->bufs.data, w->bufs.len / 16, 16, 8);
  zr__fbref var = w->variadic.len ? zr__fbb_vec_raw(b, w->variadic.data, w->variadic.len / 8, 8, 8) : 0;
  zr__fbref comp = 0;
  if (w->o.codec) {
    zr__fbb_start(b);
    zr__fbb_add_u8(b, 0, (uint8_t)(w->o.codec == ZR_ARROW_CODEC_LZ4 ? 0 : 1));
    zr__fbb_add_u8(b, 1, 0);
    comp = zr__fbb_end(b);
  }
  zr__fbb_start(b);
  zr__fbb_add_i64(b, 0, length);
  zr__fbb_add_ref(b, 1, nodes);
  zr__fbb_add_ref(b, 2, bufs);
  if (comp) zr__fbb_add_ref(b, 3, comp);
  if (var) zr__fbb_add_ref(b, 4, var);
  return zr__fbb_end(b);
}

static zr_status finish_message(zr_arrow_writer *w, uint8_t htype, zr__fbref header, zr__buf *blocks) {
  zr__fbb *b = &w->fbb;
  zr__fbb_start(b);
  zr__fbb_add_i16(b, 0, ZA_V5);
  zr__fbb_add_u8(b, 1, htype);
  zr__fbb_add_ref(b, 2, header);
  zr__fbb_add_i64(b, 3, (int64_t)w->body_len);
  zr__fbref m = zr__fbb_end(b);
  if (zr__fbb_finish(b, m)) return zr__err_nomem(w->err);
  return emit(w, blocks);
}

/* ---------------------------------------------------------------- dictionaries */

static zr_status assign_ids(zr_arrow_writer *w, const struct ArrowSchema *s, int64_t *next) {
  if (s->dictionary) {
    int64_t id = za_schema_dict_id(s);
    if (id < 0) id = (*next)++;
    else if (id >= *next) *next = id + 1;
    if (w->nids == w->capids) {
      int nc = w->capids ? w->capids * 2 : 8;
      wfield_id *n = zr__realloc(w->a, w->ids, (size_t)nc * sizeof *n);
      if (!n) return zr__err_nomem(w->err);
      w->ids = n;
      w->capids = nc;
    }
    w->ids[w->nids].s = s;
    w->ids[w->nids++].id = id;
    int found = 0;
    for (int i = 0; i < w->ndicts; i++)
      if (w->dicts[i].id == id) found = 1;
    if (!found) {
      wdict *nd = zr__realloc(w->a, w->dicts, (size_t)(w->ndicts + 1) * sizeof *nd);
      if (!nd) return zr__err_nomem(w->err);
      w->dicts = nd;
      memset(&nd[w->ndicts], 0, sizeof *nd);
      nd[w->ndicts].id = id;
      nd[w->ndicts].vs = s->dictionary;
      w->ndicts++;
    }
    ZR_TRY(assign_ids(w, s->dictionary, next));
  }
  for (int64_t i = 0; i < s->n_children; i++) ZR_TRY(assign_ids(w, s->children[i], next));
  return ZR_OK;
}

static zr_status write_dict_msg(zr_arrow_writer *w, wdict *d, const struct ArrowArray *arr, int64_t start,
                                int delta) {
  msg_reset(w);
  int64_t len = arr->length - start;
  ZR_TRY(write_field(w, d->vs, arr, start, len, 1));
  zr__fbref rb = record_batch_fb(w, len);
  zr__fbb *b = &w->fbb;
  zr__fbb_start(b);
  zr__fbb_add_i64(b, 0, d->id);
  zr__fbb_add_ref(b, 1, rb);
  if (delta) zr__fbb_add_u8(b, 2, 1);
  zr__fbref db = zr__fbb_end(b);
  return finish_message(w, ZA_MSG_DICT, db, w->o.file ? &w->dblocks : NULL);
}

/* The same top-level buffers mean the same dictionary only for flat arrays: nested values
 * (list, struct) may change below an unchanged validity bitmap. */
static int same_bufs(const wdict *d, const struct ArrowArray *a) {
  if (d->len != a->length || a->n_children) return 0;
  for (int64_t i = 0; i < a->n_buffers && i < 4; i++)
    if (d->last_bufs[i] != a->buffers[i]) return 0;
  return 1;
}

static zr_status handle_dict(zr_arrow_writer *w, const struct ArrowSchema *s, const struct ArrowArray *a);

static zr_status walk_dicts(zr_arrow_writer *w, const struct ArrowSchema *s, const struct ArrowArray *a) {
  if (s->dictionary) {
    if (!a->dictionary) return WFAIL(w, ZR_ERR_MALFORMED, "arrow: dictionary-encoded array without its dictionary");
    ZR_TRY(walk_dicts(w, s->dictionary, a->dictionary));
    ZR_TRY(handle_dict(w, s, a->dictionary));
  }
  if (s->n_children != a->n_children) return WFAIL(w, ZR_ERR_MALFORMED, "arrow: array children do not match the schema");
  for (int64_t i = 0; i < s->n_children; i++) ZR_TRY(walk_dicts(w, s->children[i], a->children[i]));
  return ZR_OK;
}

static zr_status handle_dict(zr_arrow_writer *w, const struct ArrowSchema *s, const struct ArrowArray *dict) {
  int64_t id = dict_id_of(w, s);
  wdict *d = NULL;
  for (int i = 0; i < w->ndicts; i++)
    if (w->dicts[i].id == id) d = &w->dicts[i];
  if (!d) return WFAIL(w, ZR_ERR_INTERNAL, "arrow: unknown dictionary");
  if (d->written && same_bufs(d, dict)) return ZR_OK;
  if (d->written && d->last.release) {
    if (za_array_equal(d->vs, &d->last, dict, NULL, 0)) return ZR_OK;
    if (dict->length > d->len) {
      /* delta when the old dictionary is a prefix of the new one */
      struct ArrowArray head = *dict;
      head.length = d->len;
      if (za_array_equal(d->vs, &d->last, &head, NULL, 0)) {
        ZR_TRY(write_dict_msg(w, d, dict, d->len, 1));
        goto remember;
      }
    }
  }
  if (d->written && w->o.file)
    return WFAIL(w, ZR_ERR_UNSUPPORTED, "arrow: the file format cannot replace dictionary %lld", (long long)id);
  ZR_TRY(write_dict_msg(w, d, dict, 0, 0));
remember:
  d->written = 1;
  d->len = dict->length;
  for (int64_t i = 0; i < 4; i++) d->last_bufs[i] = i < dict->n_buffers ? dict->buffers[i] : NULL;
  if (d->last.release) d->last.release(&d->last);
  if (za_array_share(dict, &d->last, w->a) != ZR_OK) memset(&d->last, 0, sizeof d->last);
  return ZR_OK;
}

/* ---------------------------------------------------------------- public */

zr_status zr_arrow_writer_new(zr_sink *sink, const struct ArrowSchema *schema, const zr_arrow_write_opts *opts,
                              zr_arrow_writer **out, zr_error *err) {
  if (!sink || !schema || !out || !schema->format) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL argument");
  za_install_hooks();
  if (strcmp(schema->format, "+s") != 0) return zr__err(err, ZR_ERR_TYPE, -1, "arrow: a table schema must be a struct (+s)");
  zr_arrow_write_opts o;
  if (opts) o = *opts;
  else memset(&o, 0, sizeof o);
  if (o.alignment == 0) o.alignment = 8;
  if (o.alignment != 8 && o.alignment != 64) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: alignment must be 8 or 64");
  if (o.codec < 0 || o.codec > 2) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: unknown codec %d", o.codec);
  const zr_allocator *a = zr__alloc_or_default(o.alloc);
  zr_arrow_writer *w = zr__malloc(a, sizeof *w);
  if (!w) return zr__err_nomem(err);
  memset(w, 0, sizeof *w);
  w->a = a;
  w->sink = sink;
  w->o = o;
  w->err = err;
  zr__buf_init(&w->dblocks, a);
  zr__buf_init(&w->bblocks, a);
  zr__buf_init(&w->nodes, a);
  zr__buf_init(&w->bufs, a);
  zr__buf_init(&w->variadic, a);
  zr__buf_init(&w->segs, a);
  zr__fbb_init(&w->fbb, a);
  zr__cctx_init(&w->cz);
  zr_status st = za_schema_copy(schema, &w->schema, a);
  if (st) {
    zr_arrow_writer_free(w);
    if (st == ZR_ERR_NOMEM) return zr__err_nomem(err);
    return zr__err(err, st, -1, "arrow: malformed schema (a node without a format string, bad metadata or too many children)");
  }
  int64_t next = 0;
  if (!st) st = assign_ids(w, &w->schema, &next);
  if (!st && o.file) st = sink_write(w, "ARROW1\0\0", 8);
  if (!st) {
    msg_reset(w);
    zr__fbref sc;
    st = schema_table(w, &sc);
    if (!st) st = finish_message(w, ZA_MSG_SCHEMA, sc, NULL);
  }
  if (st) {
    zr_arrow_writer_free(w);
    return st;
  }
  w->err = NULL;
  *out = w;
  return ZR_OK;
}

zr_status zr_arrow_writer_write(zr_arrow_writer *w, const struct ArrowArray *batch, zr_error *err) {
  if (!w || !batch || !batch->release) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL or released batch");
  if (w->finished) return zr__err(err, ZR_ERR_STATE, -1, "arrow: writer already finished");
  w->err = err;
  zr_status st = ZR_OK;
  if (batch->n_children != w->schema.n_children)
    st = WFAIL(w, ZR_ERR_MALFORMED, "arrow: batch has %lld columns, schema %lld", (long long)batch->n_children,
               (long long)w->schema.n_children);
  if (!st) st = walk_dicts(w, &w->schema, batch);
  if (!st) {
    msg_reset(w);
    for (int64_t i = 0; i < w->schema.n_children && !st; i++) {
      const struct ArrowArray *c = batch->children[i];
      if (c->length - 0 < batch->length) st = WFAIL(w, ZR_ERR_MALFORMED, "arrow: column %lld shorter than its batch", (long long)i);
      else st = write_field(w, w->schema.children[i], c, batch->offset, batch->length, 1);
    }
    if (!st) {
      zr__fbref rb = record_batch_fb(w, batch->length);
      st = finish_message(w, ZA_MSG_BATCH, rb, w->o.file ? &w->bblocks : NULL);
    }
  }
  msg_reset(w);
  w->err = NULL;
  return st;
}

zr_status zr_arrow_writer_finish(zr_arrow_writer *w, zr_error *err) {
  if (!w) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL writer");
  if (w->finished) return ZR_OK;
  w->err = err;
  uint8_t eos[8];
  zr__st32le(eos, 0xFFFFFFFFu);
  zr__st32le(eos + 4, 0);
  zr_status st = sink_write(w, eos, 8);
  if (!st && w->o.file) {
    msg_reset(w);
    zr__fbb *b = &w->fbb;
    zr__fbref sc;
    st = schema_table(w, &sc);
    if (!st) {
      zr__fbref dv = zr__fbb_vec_raw(b, w->dblocks.data, w->dblocks.len / 24, 24, 8);
      zr__fbref bv = zr__fbb_vec_raw(b, w->bblocks.data, w->bblocks.len / 24, 24, 8);
      zr__fbb_start(b);
      zr__fbb_add_i16(b, 0, ZA_V5);
      zr__fbb_add_ref(b, 1, sc);
      zr__fbb_add_ref(b, 2, dv);
      zr__fbb_add_ref(b, 3, bv);
      zr__fbref f = zr__fbb_end(b);
      st = zr__fbb_finish(b, f);
      if (st) st = zr__err_nomem(err);
    }
    if (!st) st = sink_write(w, zr__fbb_data(b), b->used);
    if (!st) {
      uint8_t tail[10];
      zr__st32le(tail, (uint32_t)b->used);
      memcpy(tail + 4, "ARROW1", 6);
      st = sink_write(w, tail, 10);
    }
  }
  if (!st) st = zr_sink_flush(w->sink, err);
  if (!st) w->finished = 1;
  w->err = NULL;
  return st;
}

void zr_arrow_writer_free(zr_arrow_writer *w) {
  if (!w) return;
  const zr_allocator *a = w->a;
  scr_free(w);
  for (int i = 0; i < w->ndicts; i++)
    if (w->dicts[i].last.release) w->dicts[i].last.release(&w->dicts[i].last);
  if (w->dicts) zr__free(a, w->dicts);
  if (w->ids) zr__free(a, w->ids);
  if (w->schema.release) w->schema.release(&w->schema);
  zr__buf_free(&w->dblocks);
  zr__buf_free(&w->bblocks);
  zr__buf_free(&w->nodes);
  zr__buf_free(&w->bufs);
  zr__buf_free(&w->variadic);
  zr__buf_free(&w->segs);
  zr__fbb_free(&w->fbb);
  zr__cctx_free(&w->cz);
  zr__free(a, w);
}

/* an inner step may return a status without a message (allocation failures deep in the C Data
 * Interface builders): make sure the caller's error record names it */
static zr_status named(zr_error *err, zr_status st) {
  if (st != ZR_OK && err && err->code != st) zr__err(err, st, -1, "arrow: %s", zr_strerror(st));
  return st;
}

zr_status zr_arrow_write(const zr_table *t, const zr_arrow_write_opts *opts, zr_sink *sink, zr_error *err) {
  if (!t) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL table");
  zr_arrow_writer *w;
  zr_error_clear(err);
  ZR_TRY(named(err, zr_arrow_writer_new(sink, &t->schema, opts, &w, err)));
  zr_status st = ZR_OK;
  for (int64_t i = 0; i < t->n_batches && !st; i++) st = zr_arrow_writer_write(w, &t->batches[i], err);
  if (!st) st = zr_arrow_writer_finish(w, err);
  zr_arrow_writer_free(w);
  return named(err, st);
}
