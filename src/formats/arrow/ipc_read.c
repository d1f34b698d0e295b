/* Arrow IPC reader: encapsulated messages, stream and file formats, zero-copy or copying,
 * with validation of every buffer before it is exposed. */
#include <stdio.h>
#include <stdlib.h>

#include "zerial/codec.h"

#include "formats/arrow/arrow_int.h"
#include "formats/arrow/fb.h"

static const int64_t zero_offsets[2] = {0, 0};

typedef struct rd_dict {
  int64_t id;
  const struct ArrowSchema *vs; /* value schema (inside rd.schema) */
  struct ArrowArray arr;        /* current dictionary (release NULL until loaded) */
} rd_dict;

typedef struct rd {
  const uint8_t *data;
  size_t len;
  zr_arrow_read_opts o;
  za_store *st;
  zr_error *err;
  struct ArrowSchema schema;
  int have_schema;
  int version;
  rd_dict *dicts;
  int ndicts, capdicts;
  /* state of the batch being loaded */
  zr__fb *fb;
  zr__fbv nodes, bufs, variadic;
  uint32_t inode, ibuf, ivar;
  const uint8_t *body;
  uint64_t body_len;
  int64_t body_off;
  int codec; /* -1 none, 0 lz4 frame, 1 zstd */
  int big;   /* Schema.endianness = Big: fixed-width buffers are swapped to native */
} rd;

#define FAIL(r, code, off, ...) zr__err((r)->err, code, (int64_t)(off), __VA_ARGS__)

/* ---------------------------------------------------------------- schema */

static zr_status md_from_fb(rd *r, zr__fb *fb, const zr__fbt *t, unsigned id, zr__buf *md) {
  zr__fbv v;
  if (!zr__fb_vec(fb, t, id, 4, 4, &v)) return ZR_OK;
  for (uint32_t i = 0; i < v.n; i++) {
    zr__fbt kv;
    if (!zr__fb_vec_table(fb, &v, i, &kv)) break;
    uint32_t kl = 0, vl = 0;
    const char *k = zr__fb_str(fb, &kv, 0, &kl), *val = zr__fb_str(fb, &kv, 1, &vl);
    if (fb->status) break;
    if (za_md_add(md, k ? k : "", kl, val ? val : "", vl)) return zr__err_nomem(r->err);
  }
  return ZR_OK;
}

/* Format string of a flatbuffer Type; children count expectations checked by the caller. */
static zr_status type_format(rd *r, zr__fb *fb, uint8_t tt, const zr__fbt *ty, char *out, size_t cap,
                             uint32_t nkids, uint32_t at) {
  static const char units[] = "smun";
  switch (tt) {
    case ZA_FB_NULL: snprintf(out, cap, "n"); break;
    case ZA_FB_INT: {
      int32_t bw = zr__fb_i32(fb, ty, 0, 0);
      int sg = zr__fb_u8(fb, ty, 1, 0);
      const char *f = bw == 8 ? "c" : bw == 16 ? "s" : bw == 32 ? "i" : bw == 64 ? "l" : NULL;
      if (!f) return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: integer bit width %d", (int)bw);
      snprintf(out, cap, "%c", sg ? f[0] : f[0] - 32);
      break;
    }
    case ZA_FB_FLOAT: {
      int16_t p = zr__fb_i16(fb, ty, 0, 0);
      if (p < 0 || p > 2) return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: float precision %d", p);
      snprintf(out, cap, "%c", "efg"[p]);
      break;
    }
    case ZA_FB_BINARY: snprintf(out, cap, "z"); break;
    case ZA_FB_UTF8: snprintf(out, cap, "u"); break;
    case ZA_FB_LBINARY: snprintf(out, cap, "Z"); break;
    case ZA_FB_LUTF8: snprintf(out, cap, "U"); break;
    case ZA_FB_BINVIEW: snprintf(out, cap, "vz"); break;
    case ZA_FB_UTF8VIEW: snprintf(out, cap, "vu"); break;
    case ZA_FB_BOOL: snprintf(out, cap, "b"); break;
    case ZA_FB_DECIMAL: {
      int32_t p = zr__fb_i32(fb, ty, 0, 0), s = zr__fb_i32(fb, ty, 1, 0), bw = zr__fb_i32(fb, ty, 2, 128);
      if (bw != 32 && bw != 64 && bw != 128 && bw != 256)
        return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: decimal bit width %d", (int)bw);
      if (bw == 128) snprintf(out, cap, "d:%d,%d", (int)p, (int)s);
      else snprintf(out, cap, "d:%d,%d,%d", (int)p, (int)s, (int)bw);
      break;
    }
    case ZA_FB_DATE: {
      int16_t u = zr__fb_i16(fb, ty, 0, 1);
      if (u != 0 && u != 1) return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: date unit %d", u);
      snprintf(out, cap, "td%c", u == 0 ? 'D' : 'm');
      break;
    }
    case ZA_FB_TIME: {
      int16_t u = zr__fb_i16(fb, ty, 0, 1);
      int32_t bw = zr__fb_i32(fb, ty, 1, 32);
      if (u < 0 || u > 3 || bw != (u <= 1 ? 32 : 64))
        return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: time unit %d with %d bits", u, (int)bw);
      snprintf(out, cap, "tt%c", units[u]);
      break;
    }
    case ZA_FB_TIMESTAMP: {
      int16_t u = zr__fb_i16(fb, ty, 0, 0);
      uint32_t tzl = 0;
      const char *tz = zr__fb_str(fb, ty, 1, &tzl);
      if (u < 0 || u > 3) return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: timestamp unit %d", u);
      if (tzl > 200) return FAIL(r, ZR_ERR_LIMIT, fb->base + at, "arrow: time zone name too long");
      snprintf(out, cap, "ts%c:%.*s", units[u], (int)tzl, tz ? tz : "");
      break;
    }
    case ZA_FB_DURATION: {
      int16_t u = zr__fb_i16(fb, ty, 0, 1);
      if (u < 0 || u > 3) return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: duration unit %d", u);
      snprintf(out, cap, "tD%c", units[u]);
      break;
    }
    case ZA_FB_INTERVAL: {
      int16_t u = zr__fb_i16(fb, ty, 0, 0);
      if (u < 0 || u > 2) return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: interval unit %d", u);
      snprintf(out, cap, "ti%c", "MDn"[u]);
      break;
    }
    case ZA_FB_LIST: snprintf(out, cap, "+l"); break;
    case ZA_FB_LLIST: snprintf(out, cap, "+L"); break;
    case ZA_FB_LISTVIEW: snprintf(out, cap, "+vl"); break;
    case ZA_FB_LLISTVIEW: snprintf(out, cap, "+vL"); break;
    case ZA_FB_STRUCT: snprintf(out, cap, "+s"); break;
    case ZA_FB_MAP: snprintf(out, cap, "+m"); break;
    case ZA_FB_REE: snprintf(out, cap, "+r"); break;
    case ZA_FB_FSB: {
      int32_t w = zr__fb_i32(fb, ty, 0, 0);
      if (w < 0) return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: negative byte width");
      snprintf(out, cap, "w:%d", (int)w);
      break;
    }
    case ZA_FB_FSL: {
      int32_t n = zr__fb_i32(fb, ty, 0, 0);
      if (n < 0) return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: negative list size");
      snprintf(out, cap, "+w:%d", (int)n);
      break;
    }
    case ZA_FB_UNION: {
      int16_t mode = zr__fb_i16(fb, ty, 0, 0);
      zr__fbv ids;
      zr__fb_vec(fb, ty, 1, 4, 4, &ids);
      if (mode != 0 && mode != 1) return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: union mode %d", mode);
      if (nkids > 127) return FAIL(r, ZR_ERR_LIMIT, fb->base + at, "arrow: union with more than 127 children");
      if (ids.pos && ids.n != nkids)
        return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: union type ids do not match its children");
      size_t n = (size_t)snprintf(out, cap, "+u%c:", mode ? 'd' : 's');
      for (uint32_t i = 0; i < nkids && n < cap; i++) {
        int32_t id = ids.pos ? (int32_t)zr__ld32le(fb->buf + ids.pos + 4 * i) : (int32_t)i;
        if (id < 0 || id > 127) return FAIL(r, ZR_ERR_MALFORMED, fb->base + at, "arrow: union type id %d", (int)id);
        n += (size_t)snprintf(out + n, cap - n, i ? ",%d" : "%d", (int)id);
      }
      if (n >= cap) return FAIL(r, ZR_ERR_LIMIT, fb->base + at, "arrow: union type too long");
      break;
    }
    default:
      return FAIL(r, ZR_ERR_UNSUPPORTED, fb->base + at, "arrow: unsupported type id %u", (unsigned)tt);
  }
  return ZR_OK;
}

static zr_status parse_field(rd *r, zr__fb *fb, const zr__fbt *f, struct ArrowSchema *out, unsigned depth);

static zr_status parse_children(rd *r, zr__fb *fb, const zr__fbv *kids, struct ArrowSchema *s, unsigned depth) {
  for (uint32_t i = 0; i < kids->n; i++) {
    zr__fbt c;
    if (!zr__fb_vec_table(fb, kids, i, &c)) break;
    ZR_TRY(parse_field(r, fb, &c, s->children[i], depth + 1));
  }
  if (fb->status) return FAIL(r, fb->status, fb->bad_at, "arrow: %s", fb->why);
  return ZR_OK;
}

static zr_status parse_field(rd *r, zr__fb *fb, const zr__fbt *f, struct ArrowSchema *out, unsigned depth) {
  if (depth > r->o.max_depth) return FAIL(r, ZR_ERR_LIMIT, fb->base + f->pos, "arrow: schema nested too deeply");
  uint32_t nl = 0;
  const char *name = zr__fb_str(fb, f, 0, &nl);
  int nullable = zr__fb_u8(fb, f, 1, 0);
  uint8_t tt = zr__fb_u8(fb, f, 2, 0);
  zr__fbt ty, de;
  int has_ty = zr__fb_table(fb, f, 3, &ty);
  int has_dict = zr__fb_table(fb, f, 4, &de);
  zr__fbv kids;
  zr__fb_vec(fb, f, 5, 4, 4, &kids);
  if (fb->status) return FAIL(r, fb->status, fb->bad_at, "arrow: %s", fb->why);
  if (!has_ty && tt != ZA_FB_NONE) memset(&ty, 0, sizeof ty);
  if (tt == ZA_FB_NONE) return FAIL(r, ZR_ERR_MALFORMED, fb->base + f->pos, "arrow: field without a type");
  if (kids.n > 100000) return FAIL(r, ZR_ERR_LIMIT, fb->base + f->pos, "arrow: too many children");
  char fmt[1200];
  ZR_TRY(type_format(r, fb, tt, &ty, fmt, sizeof fmt, kids.n, f->pos));
  if (fb->status) return FAIL(r, fb->status, fb->bad_at, "arrow: %s", fb->why);
  /* children count by type */
  uint32_t want = 0;
  int any = 0;
  switch (tt) {
    case ZA_FB_LIST: case ZA_FB_LLIST: case ZA_FB_LISTVIEW: case ZA_FB_LLISTVIEW: case ZA_FB_FSL: case ZA_FB_MAP: want = 1; break;
    case ZA_FB_REE: want = 2; break;
    case ZA_FB_STRUCT: case ZA_FB_UNION: any = 1; break;
    default: want = 0;
  }
  if (!any && kids.n != want)
    return FAIL(r, ZR_ERR_MALFORMED, fb->base + f->pos, "arrow: field '%.*s' of type %s has %u children",
                (int)(nl > 64 ? 64 : nl), name ? name : "", fmt, kids.n);
  zr__buf md;
  zr__buf_init(&md, r->o.alloc);
  zr_status st = md_from_fb(r, fb, f, 6, &md);
  if (st == ZR_OK && fb->status) st = FAIL(r, fb->status, fb->bad_at, "arrow: %s", fb->why);
  if (st == ZR_OK && md.len == 0 && zr__fb_has(fb, f, 6)) {
    int32_t z = 0;
    if (zr__buf_append(&md, &z, 4)) st = zr__err_nomem(r->err);
  }
  if (st) {
    zr__buf_free(&md);
    return st;
  }
  /* names are NUL-terminated by the flatbuffer but may hold NULs: keep the C string part */
  char *nm = NULL;
  char nbuf[256];
  if (name) {
    if (nl < sizeof nbuf) {
      memcpy(nbuf, name, nl);
      nbuf[nl] = 0;
      nm = nbuf;
    } else {
      nm = zr__malloc(zr__alloc_or_default(r->o.alloc), nl + 1);
      if (!nm) {
        zr__buf_free(&md);
        return zr__err_nomem(r->err);
      }
      memcpy(nm, name, nl);
      nm[nl] = 0;
    }
  }
  int64_t flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  if (tt == ZA_FB_MAP && zr__fb_u8(fb, &ty, 0, 0)) flags |= ARROW_FLAG_MAP_KEYS_SORTED;
  struct ArrowSchema *vs = out;
  if (has_dict) {
    zr__fbt it;
    char ifmt[4] = "i";
    if (zr__fb_table(fb, &de, 1, &it)) st = type_format(r, fb, ZA_FB_INT, &it, ifmt, sizeof ifmt, 0, de.pos);
    if (zr__fb_u8(fb, &de, 2, 0)) flags |= ARROW_FLAG_DICTIONARY_ORDERED;
    int64_t id = zr__fb_i64(fb, &de, 0, 0);
    if (!st && fb->status) st = FAIL(r, fb->status, fb->bad_at, "arrow: %s", fb->why);
    if (!st) st = za_schema_make(out, r->o.alloc, ifmt, nm, md.len ? (const char *)md.data : NULL, flags, 0, 1);
    if (!st) {
      za_schema_set_dict_id(out, id);
      vs = out->dictionary;
      st = za_schema_make(vs, r->o.alloc, fmt, NULL, NULL, ARROW_FLAG_NULLABLE, kids.n, 0);
    }
  } else {
    st = za_schema_make(out, r->o.alloc, fmt, nm, md.len ? (const char *)md.data : NULL, flags, kids.n, 0);
  }
  if (nm && nm != nbuf) zr__free(zr__alloc_or_default(r->o.alloc), nm);
  zr__buf_free(&md);
  if (st) return st == ZR_ERR_NOMEM ? zr__err_nomem(r->err) : st;
  ZR_TRY(parse_children(r, fb, &kids, vs, depth));
  /* a map's entries are a struct of exactly two fields (key, value) */
  if (tt == ZA_FB_MAP && (vs->n_children != 1 || !vs->children[0]->format || strcmp(vs->children[0]->format, "+s") != 0 ||
                          vs->children[0]->n_children != 2))
    return FAIL(r, ZR_ERR_MALFORMED, fb->base + f->pos, "arrow: map field '%.*s' whose entries are not a struct of key and value",
                (int)(nl > 64 ? 64 : nl), name ? name : "");
  return ZR_OK;
}

static zr_status register_dicts(rd *r, const struct ArrowSchema *s) {
  if (s->dictionary) {
    int64_t id = za_schema_dict_id(s);
    int found = 0;
    for (int i = 0; i < r->ndicts; i++)
      if (r->dicts[i].id == id) {
        found = 1;
        if (!za_schema_equal(r->dicts[i].vs, s->dictionary, NULL, 0))
          return FAIL(r, ZR_ERR_MALFORMED, -1, "arrow: dictionary id %lld used with two types", (long long)id);
      }
    if (!found) {
      if (r->ndicts == r->capdicts) {
        int nc = r->capdicts ? r->capdicts * 2 : 8;
        rd_dict *nd = zr__realloc(zr__alloc_or_default(r->o.alloc), r->dicts, (size_t)nc * sizeof *nd);
        if (!nd) return zr__err_nomem(r->err);
        r->dicts = nd;
        r->capdicts = nc;
      }
      rd_dict *d = &r->dicts[r->ndicts++];
      memset(d, 0, sizeof *d);
      d->id = id;
      d->vs = s->dictionary;
    }
    ZR_TRY(register_dicts(r, s->dictionary));
  }
  for (int64_t i = 0; i < s->n_children; i++) ZR_TRY(register_dicts(r, s->children[i]));
  return ZR_OK;
}

static zr_status parse_schema(rd *r, zr__fb *fb, const zr__fbt *sc) {
  int16_t endian = zr__fb_i16(fb, sc, 0, 0);
  zr__fbv fields;
  zr__fb_vec(fb, sc, 1, 4, 4, &fields);
  if (fb->status) return FAIL(r, fb->status, fb->bad_at, "arrow: %s", fb->why);
  if (endian != 0 && endian != 1)
    return FAIL(r, ZR_ERR_MALFORMED, fb->base + sc->pos, "arrow: endianness %d", endian);
  r->big = endian == 1;
  if (fields.n > 100000) return FAIL(r, ZR_ERR_LIMIT, fb->base + sc->pos, "arrow: too many fields");
  zr__buf md;
  zr__buf_init(&md, r->o.alloc);
  zr_status st = md_from_fb(r, fb, sc, 2, &md);
  if (!st && fb->status) st = FAIL(r, fb->status, fb->bad_at, "arrow: %s", fb->why);
  if (!st) st = za_schema_make(&r->schema, r->o.alloc, "+s", "", md.len ? (const char *)md.data : NULL, 0, fields.n, 0);
  zr__buf_free(&md);
  if (st) return st == ZR_ERR_NOMEM ? zr__err_nomem(r->err) : st;
  r->have_schema = 1;
  ZR_TRY(parse_children(r, fb, &fields, &r->schema, 1));
  return register_dicts(r, &r->schema);
}

/* largest expansion of a compressed buffer (see take_buf) */
#define ZA_MAX_RATIO 32768u

/* ---------------------------------------------------------------- messages */

typedef struct msg {
  int64_t off;      /* start of the message (prefix) */
  int64_t meta_off; /* start of the flatbuffer */
  uint32_t meta_len;
  int version;
  uint8_t htype;
  zr__fb fb;
  zr__fbt root, header;
  const uint8_t *body;
  int64_t body_off;
  uint64_t body_len;
  int64_t end;      /* offset after the body */
  int eos;
} msg;

static zr_status read_msg(rd *r, int64_t pos, int64_t limit, msg *m) {
  memset(m, 0, sizeof *m);
  m->off = pos;
  if (limit - pos < 4) {
    if (limit == pos) {
      m->eos = 1;
      m->end = pos;
      return ZR_OK;
    }
    return FAIL(r, ZR_ERR_TRUNCATED, pos, "arrow: truncated message prefix");
  }
  uint32_t w = zr__ld32le(r->data + pos);
  int64_t p = pos + 4;
  if (w == 0xFFFFFFFFu) {
    if (limit - p < 4) return FAIL(r, ZR_ERR_TRUNCATED, pos, "arrow: truncated message length");
    w = zr__ld32le(r->data + p);
    p += 4;
  }
  if (w == 0) {
    m->eos = 1;
    m->end = p;
    return ZR_OK;
  }
  if (w > 0x7fffffffu || (uint64_t)w > (uint64_t)(limit - p))
    return FAIL(r, ZR_ERR_TRUNCATED, pos, "arrow: message metadata of %u bytes past the end", w);
  m->meta_off = p;
  m->meta_len = w;
  zr__fb_init(&m->fb, r->data + p, w, p);
  m->fb.budget = 200000;
  if (((uintptr_t)(r->data + p)) % 4 != 0 && ((uintptr_t)r->data % 8) == 0)
    return FAIL(r, ZR_ERR_ALIGNMENT, p, "arrow: message metadata not aligned to 4 bytes");
  m->root = zr__fb_root(&m->fb);
  int16_t ver = zr__fb_i16(&m->fb, &m->root, 0, 0);
  m->htype = zr__fb_u8(&m->fb, &m->root, 1, 0);
  zr__fb_table(&m->fb, &m->root, 2, &m->header);
  int64_t blen = zr__fb_i64(&m->fb, &m->root, 3, 0);
  if (m->fb.status) return FAIL(r, m->fb.status, m->fb.bad_at, "arrow: %s", m->fb.why);
  if (ver > ZA_V5) return FAIL(r, ZR_ERR_VERSION, p, "arrow: metadata version V%d is newer than V5", ver + 1);
  if (ver < ZA_V4) return FAIL(r, ZR_ERR_VERSION, p, "arrow: metadata version V%d is older than V4", ver + 1);
  m->version = ver;
  if (m->header.pos == 0) return FAIL(r, ZR_ERR_MALFORMED, p, "arrow: message without a header");
  int64_t bstart = p + (int64_t)w;
  if (blen < 0 || (uint64_t)blen > (uint64_t)(limit - bstart))
    return FAIL(r, ZR_ERR_TRUNCATED, bstart, "arrow: message body of %lld bytes past the end", (long long)blen);
  m->body = r->data + bstart;
  m->body_off = bstart;
  m->body_len = (uint64_t)blen;
  m->end = bstart + blen;
  return ZR_OK;
}

/* ---------------------------------------------------------------- buffers */

static zr_status take_node(rd *r, int64_t *length, int64_t *nulls) {
  if (r->inode >= r->nodes.n)
    return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: record batch has fewer field nodes than the schema");
  const uint8_t *p = r->fb->buf + r->nodes.pos + 16 * r->inode++;
  *length = (int64_t)zr__ld64le(p);
  *nulls = (int64_t)zr__ld64le(p + 8);
  if (*length < 0 || *length > (INT64_C(1) << 40) || *nulls < 0 || *nulls > *length)
    return FAIL(r, ZR_ERR_MALFORMED, r->fb->base + r->nodes.pos + 16 * (r->inode - 1),
                "arrow: field node with length %lld and null count %lld", (long long)*length, (long long)*nulls);
  return ZR_OK;
}

static zr_status take_buf(rd *r, const uint8_t **ptr, uint64_t *size) {
  if (r->ibuf >= r->bufs.n)
    return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: record batch has fewer buffers than its fields need");
  int64_t at = r->fb->base + r->bufs.pos + 16 * r->ibuf;
  const uint8_t *p = r->fb->buf + r->bufs.pos + 16 * r->ibuf++;
  int64_t off = (int64_t)zr__ld64le(p), len = (int64_t)zr__ld64le(p + 8);
  if (off < 0 || len < 0 || (uint64_t)off > r->body_len || (uint64_t)len > r->body_len - (uint64_t)off)
    return FAIL(r, ZR_ERR_MALFORMED, at, "arrow: buffer [%lld, +%lld) outside the body of %llu bytes",
                (long long)off, (long long)len, (unsigned long long)r->body_len);
  const uint8_t *src = r->body + off;
  uint64_t n = (uint64_t)len;
  if (r->codec >= 0 && n > 0) {
    if (n < 8) return FAIL(r, ZR_ERR_MALFORMED, r->body_off + off, "arrow: compressed buffer without its length");
    int64_t ulen = (int64_t)zr__ld64le(src);
    src += 8;
    n -= 8;
    if (ulen != -1) {
      if (ulen < 0 || (r->o.max_bytes && (uint64_t)ulen > r->o.max_bytes))
        return FAIL(r, ZR_ERR_LIMIT, r->body_off + off, "arrow: decompressed size %lld over the limit", (long long)ulen);
      /* neither codec expands more than ZA_MAX_RATIO times (zstd's densest form, RLE blocks, turns
       * 4 bytes into 128 KiB; LZ4 about 255): refuse a declared size the bytes cannot hold before
       * allocating it, so a small input cannot make the reader allocate max_bytes */
      if ((uint64_t)ulen / ZA_MAX_RATIO > n + 64)
        return FAIL(r, ZR_ERR_MALFORMED, r->body_off + off, "arrow: %llu compressed bytes cannot hold %lld bytes",
                    (unsigned long long)n, (long long)ulen);
      uint8_t *dst = za_store_alloc(r->st, (size_t)ulen);
      if (!dst) return FAIL(r, ZR_ERR_LIMIT, r->body_off + off, "arrow: cannot allocate %lld bytes", (long long)ulen);
      /* through the codec registry: frame checksums verified, output bounded by the declared size */
      size_t got = 0;
      zr_error ce;
      zr_status cst = zr_codec_decompress(r->codec == 1 ? ZR_CODEC_ZSTD : ZR_CODEC_LZ4, src, (size_t)n, dst, (size_t)ulen,
                                          &got, &ce);
      if (cst != ZR_OK || got != (size_t)ulen)
        return FAIL(r, cst == ZR_ERR_CHECKSUM ? ZR_ERR_CHECKSUM : ZR_ERR_CODEC, r->body_off + off + 8 + (cst != ZR_OK && ce.offset > 0 ? ce.offset : 0),
                    "arrow: %s buffer does not decompress to %lld bytes%s%s", r->codec == 1 ? "zstd" : "lz4",
                    (long long)ulen, cst != ZR_OK ? ": " : "", cst != ZR_OK ? ce.message : "");
      *ptr = dst;
      *size = (uint64_t)ulen;
      return ZR_OK;
    }
  }
  if (n == 0) {
    *ptr = NULL;
    *size = 0;
    return ZR_OK;
  }
  if (r->o.copy || ((uintptr_t)src & 7)) {
    uint8_t *dst = za_store_alloc(r->st, (size_t)n);
    if (!dst) return FAIL(r, ZR_ERR_LIMIT, r->body_off + off, "arrow: cannot allocate %llu bytes", (unsigned long long)n);
    memcpy(dst, src, (size_t)n);
    src = dst;
  }
  *ptr = src;
  *size = n;
  return ZR_OK;
}

static int mul_ok(uint64_t a, uint64_t b, uint64_t *o) { return !__builtin_mul_overflow(a, b, o); }

/* A buffer of fixed-width elements: from a big-endian body it is converted into native order in
 * memory of the store (so big-endian input is never zero-copy), before any validation reads it. */
static zr_status take_buf_sw(rd *r, const uint8_t **ptr, uint64_t *size, int kind) {
  ZR_TRY(take_buf(r, ptr, size));
  if (!r->big || kind == ZA_SW_NONE || *size == 0) return ZR_OK;
  uint8_t *dst = za_store_alloc(r->st, (size_t)*size);
  if (!dst) return FAIL(r, ZR_ERR_LIMIT, r->body_off, "arrow: cannot allocate %llu bytes", (unsigned long long)*size);
  za_swap(dst, *ptr, (size_t)*size, kind, 1);
  *ptr = dst;
  return ZR_OK;
}

/* Validity buffer: required big enough when there are nulls. */
static zr_status take_validity(rd *r, struct ArrowArray *a, int64_t len, int64_t nulls) {
  const uint8_t *p;
  uint64_t n;
  ZR_TRY(take_buf(r, &p, &n));
  if (nulls > 0) {
    if (n < (uint64_t)(len + 7) / 8)
      return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: validity bitmap of %llu bytes for %lld values",
                  (unsigned long long)n, (long long)len);
    a->buffers[0] = p;
  } else {
    a->buffers[0] = NULL;
  }
  return ZR_OK;
}

static zr_status check_offsets(rd *r, const uint8_t *p, uint64_t n, int64_t len, int big, int64_t limit,
                               const char *what) {
  int w = big ? 8 : 4;
  if (len == 0 && n == 0) return ZR_OK;
  uint64_t need;
  if (!mul_ok((uint64_t)len + 1, (uint64_t)w, &need) || n < need)
    return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: %s offsets buffer of %llu bytes for %lld values", what,
                (unsigned long long)n, (long long)len);
  int64_t first = big ? (int64_t)zr__ld64le(p) : (int32_t)zr__ld32le(p);
  int64_t last = big ? (int64_t)zr__ld64le(p + 8 * len) : (int32_t)zr__ld32le(p + 4 * len);
  if (first < 0 || last < first || last > limit)
    return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: %s offsets [%lld, %lld] outside [0, %lld]", what,
                (long long)first, (long long)last, (long long)limit);
  if (r->o.validate == ZR_ARROW_VALIDATE_FULL) {
    int64_t prev = first;
    for (int64_t i = 1; i <= len; i++) {
      int64_t v = big ? (int64_t)zr__ld64le(p + 8 * i) : (int32_t)zr__ld32le(p + 4 * i);
      if (v < prev)
        return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: %s offsets decrease at index %lld", what, (long long)i);
      prev = v;
    }
  }
  return ZR_OK;
}

static zr_status load_field(rd *r, const struct ArrowSchema *s, struct ArrowArray *a, unsigned depth);

static zr_status check_utf8(rd *r, const uint8_t *offs, int big, const uint8_t *data, int64_t len, const struct ArrowArray *a) {
  for (int64_t i = 0; i < len; i++) {
    if (!za_bit(a->buffers[0], i)) continue;
    int64_t s = big ? (int64_t)zr__ld64le(offs + 8 * i) : (int32_t)zr__ld32le(offs + 4 * i);
    int64_t e = big ? (int64_t)zr__ld64le(offs + 8 * (i + 1)) : (int32_t)zr__ld32le(offs + 4 * (i + 1));
    size_t bad;
    if (!zr__utf8_valid(data + s, (size_t)(e - s), &bad))
      return FAIL(r, ZR_ERR_UTF8, r->body_off, "arrow: invalid UTF-8 in value %lld", (long long)i);
  }
  return ZR_OK;
}

/* @p a as a new array of @p nbuf buffers, @p nchild children (and a dictionary slot when @p dict)
 * with @p len values, @p nulls of them null, and its validity bitmap taken from the body. */
static zr_status open_array(rd *r, struct ArrowArray *a, int64_t nbuf, int64_t nchild, int dict, int64_t len,
                            int64_t nulls) {
  ZR_TRY(za_array_make(a, r->st, nbuf, nchild, dict));
  a->length = len;
  a->null_count = nulls;
  return take_validity(r, a, len, nulls);
}

static zr_status load_field(rd *r, const struct ArrowSchema *s, struct ArrowArray *a, unsigned depth) {
  if (depth > r->o.max_depth) return FAIL(r, ZR_ERR_LIMIT, r->body_off, "arrow: nested too deeply");
  za_type t;
  ZR_TRY(za_parse_format(s->format, &t, r->err));
  int64_t len = 0, nulls = 0;
  ZR_TRY(take_node(r, &len, &nulls));
  int full = r->o.validate == ZR_ARROW_VALIDATE_FULL;
  const uint8_t *p, *q;
  uint64_t n, m;
  switch (t.layout) {
    case ZA_L_NULL:
      ZR_TRY(za_array_make(a, r->st, 0, 0, 0));
      a->length = len;
      a->null_count = len;
      return ZR_OK;
    case ZA_L_BOOL:
    case ZA_L_FIXED: {
      ZR_TRY(open_array(r, a, 2, 0, s->dictionary != NULL, len, nulls));
      ZR_TRY(take_buf_sw(r, &p, &n, za_swap_kind(&t)));
      uint64_t need;
      if (t.layout == ZA_L_BOOL) need = ((uint64_t)len + 7) / 8;
      else if (!mul_ok((uint64_t)len, (uint64_t)t.width, &need)) need = UINT64_MAX;
      if (n < need)
        return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: data buffer of %llu bytes for %lld values of %s",
                    (unsigned long long)n, (long long)len, s->format);
      a->buffers[1] = p ? p : (const void *)zero_offsets;
      if (s->dictionary) {
        int64_t id = za_schema_dict_id(s);
        rd_dict *d = NULL;
        for (int i = 0; i < r->ndicts; i++)
          if (r->dicts[i].id == id) d = &r->dicts[i];
        if (!d || !d->arr.release)
          return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: dictionary %lld used before it was sent", (long long)id);
        if (full) {
          int64_t dl = d->arr.length;
          for (int64_t i = 0; i < len; i++) {
            if (!za_bit(a->buffers[0], i)) continue;
            int64_t x;
            switch (t.width) {
              case 1: x = t.is_signed ? (int8_t)p[i] : p[i]; break;
              case 2: x = t.is_signed ? (int16_t)zr__ld16le(p + 2 * i) : zr__ld16le(p + 2 * i); break;
              case 4: x = t.is_signed ? (int32_t)zr__ld32le(p + 4 * i) : (int64_t)zr__ld32le(p + 4 * i); break;
              default: x = (int64_t)zr__ld64le(p + 8 * i); break;
            }
            if (x < 0 || x >= dl)
              return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: dictionary index %lld out of range [0, %lld) at %lld",
                          (long long)x, (long long)dl, (long long)i);
          }
        }
        zr_status st = za_array_share(&d->arr, a->dictionary, r->o.alloc);
        if (st) return st == ZR_ERR_NOMEM ? zr__err_nomem(r->err) : FAIL(r, st, -1, "arrow: cannot share dictionary");
      }
      return ZR_OK;
    }
    case ZA_L_BIN:
    case ZA_L_LBIN: {
      int big = t.layout == ZA_L_LBIN;
      ZR_TRY(open_array(r, a, 3, 0, 0, len, nulls));
      ZR_TRY(take_buf_sw(r, &p, &n, big ? 8 : 4));
      ZR_TRY(take_buf(r, &q, &m));
      ZR_TRY(check_offsets(r, p, n, len, big, (int64_t)m, "binary"));
      a->buffers[1] = p ? p : (const void *)zero_offsets;
      a->buffers[2] = q ? q : (const void *)zero_offsets;
      if (t.is_utf8 && r->o.validate_utf8 && len) ZR_TRY(check_utf8(r, p, big, q, len, a));
      return ZR_OK;
    }
    case ZA_L_VIEW: {
      if (r->ivar >= r->variadic.n)
        return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: view column without its variadic buffer count");
      int64_t nv = (int64_t)zr__ld64le(r->fb->buf + r->variadic.pos + 8 * r->ivar++);
      if (nv < 0 || nv > (int64_t)r->bufs.n)
        return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: %lld variadic buffers", (long long)nv);
      ZR_TRY(open_array(r, a, 3 + nv, 0, 0, len, nulls));
      ZR_TRY(take_buf_sw(r, &p, &n, ZA_SW_VIEW));
      uint64_t need;
      if (!mul_ok((uint64_t)len, 16, &need) || n < need)
        return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: views buffer too short");
      a->buffers[1] = p ? p : (const void *)zero_offsets;
      int64_t *sizes = za_store_alloc(r->st, (size_t)(nv ? nv : 1) * 8);
      if (!sizes) return zr__err_nomem(r->err);
      for (int64_t i = 0; i < nv; i++) {
        ZR_TRY(take_buf(r, &q, &m));
        a->buffers[2 + i] = q ? q : (const void *)zero_offsets;
        sizes[i] = (int64_t)m;
      }
      a->buffers[2 + nv] = sizes;
      if (full) {
        for (int64_t i = 0; i < len; i++) {
          if (!za_bit(a->buffers[0], i)) continue;
          const uint8_t *v = p + 16 * i;
          int32_t l = (int32_t)zr__ld32le(v);
          if (l < 0) return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: negative view length at %lld", (long long)i);
          if (l <= 12) continue;
          int32_t bi = (int32_t)zr__ld32le(v + 8), off = (int32_t)zr__ld32le(v + 12);
          if (bi < 0 || bi >= nv || off < 0 || (int64_t)off + l > sizes[bi])
            return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: view %lld outside its data buffer", (long long)i);
          if (t.is_utf8 && r->o.validate_utf8) {
            size_t bad;
            if (!zr__utf8_valid((const uint8_t *)a->buffers[2 + bi] + off, (size_t)l, &bad))
              return FAIL(r, ZR_ERR_UTF8, r->body_off, "arrow: invalid UTF-8 in value %lld", (long long)i);
          }
        }
      }
      return ZR_OK;
    }
    case ZA_L_LIST:
    case ZA_L_LLIST: {
      int big = t.layout == ZA_L_LLIST;
      ZR_TRY(open_array(r, a, 2, 1, 0, len, nulls));
      ZR_TRY(take_buf_sw(r, &p, &n, big ? 8 : 4));
      a->buffers[1] = p ? p : (const void *)zero_offsets;
      ZR_TRY(load_field(r, s->children[0], a->children[0], depth + 1));
      return check_offsets(r, p, n, len, big, a->children[0]->length, "list");
    }
    case ZA_L_LISTVIEW:
    case ZA_L_LLISTVIEW: {
      int big = t.layout == ZA_L_LLISTVIEW;
      int w = big ? 8 : 4;
      ZR_TRY(open_array(r, a, 3, 1, 0, len, nulls));
      ZR_TRY(take_buf_sw(r, &p, &n, w));
      ZR_TRY(take_buf_sw(r, &q, &m, w));
      uint64_t need;
      if (!mul_ok((uint64_t)len, (uint64_t)w, &need) || n < need || m < need)
        return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: list view buffers too short");
      a->buffers[1] = p ? p : (const void *)zero_offsets;
      a->buffers[2] = q ? q : (const void *)zero_offsets;
      ZR_TRY(load_field(r, s->children[0], a->children[0], depth + 1));
      int64_t cl = a->children[0]->length;
      for (int64_t i = 0; i < len; i++) {
        if (!za_bit(a->buffers[0], i)) continue;
        int64_t o = big ? (int64_t)zr__ld64le(p + 8 * i) : (int32_t)zr__ld32le(p + 4 * i);
        int64_t z = big ? (int64_t)zr__ld64le(q + 8 * i) : (int32_t)zr__ld32le(q + 4 * i);
        if (o < 0 || z < 0 || o > cl || z > cl - o)
          return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: list view %lld outside its child", (long long)i);
      }
      return ZR_OK;
    }
    case ZA_L_FSL: {
      ZR_TRY(open_array(r, a, 1, 1, 0, len, nulls));
      ZR_TRY(load_field(r, s->children[0], a->children[0], depth + 1));
      uint64_t need;
      if (!mul_ok((uint64_t)len, (uint64_t)t.list_size, &need) || (uint64_t)a->children[0]->length < need)
        return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: fixed-size list child too short");
      return ZR_OK;
    }
    case ZA_L_STRUCT: {
      ZR_TRY(open_array(r, a, 1, s->n_children, 0, len, nulls));
      for (int64_t i = 0; i < s->n_children; i++) {
        ZR_TRY(load_field(r, s->children[i], a->children[i], depth + 1));
        if (a->children[i]->length < len)
          return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: struct child %lld shorter than its parent", (long long)i);
      }
      return ZR_OK;
    }
    case ZA_L_SUNION:
    case ZA_L_DUNION: {
      int dense = t.layout == ZA_L_DUNION;
      ZR_TRY(za_array_make(a, r->st, dense ? 2 : 1, s->n_children, 0));
      a->length = len;
      a->null_count = 0;
      if (r->version < ZA_V5) ZR_TRY(take_buf(r, &p, &n)); /* V4 unions carry a validity bitmap */
      ZR_TRY(take_buf(r, &p, &n));
      if (n < (uint64_t)len) return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: union type ids too short");
      a->buffers[0] = p ? p : (const void *)zero_offsets;
      if (dense) {
        ZR_TRY(take_buf_sw(r, &q, &m, 4));
        if (m / 4 < (uint64_t)len) return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: union offsets too short");
        a->buffers[1] = q ? q : (const void *)zero_offsets;
      }
      for (int64_t i = 0; i < s->n_children; i++) ZR_TRY(load_field(r, s->children[i], a->children[i], depth + 1));
      int8_t map[128];
      memset(map, -1, sizeof map);
      for (int i = 0; i < t.n_ids; i++) map[t.ids[i]] = (int8_t)i;
      for (int64_t i = 0; i < len; i++) {
        int8_t id = (int8_t)p[i];
        if (id < 0 || map[id] < 0)
          return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: union type id %d at %lld is not declared", id, (long long)i);
        int c = map[id];
        int64_t ci = dense ? (int32_t)zr__ld32le(q + 4 * i) : i;
        if (ci < 0 || ci >= a->children[c]->length)
          return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: union value %lld outside child %d", (long long)i, c);
      }
      return ZR_OK;
    }
    case ZA_L_REE: {
      ZR_TRY(za_array_make(a, r->st, 0, 2, 0));
      a->length = len;
      a->null_count = 0;
      ZR_TRY(load_field(r, s->children[0], a->children[0], depth + 1));
      ZR_TRY(load_field(r, s->children[1], a->children[1], depth + 1));
      za_type rt;
      ZR_TRY(za_parse_format(s->children[0]->format, &rt, r->err));
      const struct ArrowArray *re = a->children[0];
      if (rt.fb != ZA_FB_INT || !rt.is_signed || rt.width < 2 || re->null_count != 0 ||
          a->children[1]->length < re->length || (len > 0 && re->length == 0))
        return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: bad run-end encoded array");
      const uint8_t *b = re->buffers[1];
      int64_t prev = 0;
      for (int64_t i = 0; i < re->length; i++) {
        int64_t e = rt.width == 2 ? (int16_t)zr__ld16le(b + 2 * i) : rt.width == 4 ? (int32_t)zr__ld32le(b + 4 * i) : (int64_t)zr__ld64le(b + 8 * i);
        if (e <= prev) return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: run ends not increasing at %lld", (long long)i);
        prev = e;
      }
      if (len > 0 && prev < len) return FAIL(r, ZR_ERR_MALFORMED, r->body_off, "arrow: run ends stop before the length");
      return ZR_OK;
    }
  }
  return FAIL(r, ZR_ERR_INTERNAL, -1, "arrow: unhandled layout");
}

/* Prepare the batch state from a RecordBatch table. */
static zr_status begin_batch(rd *r, msg *m, const zr__fbt *rb, int64_t *length) {
  zr__fb *fb = &m->fb;
  r->fb = fb;
  *length = zr__fb_i64(fb, rb, 0, 0);
  zr__fb_vec(fb, rb, 1, 16, 8, &r->nodes);
  zr__fb_vec(fb, rb, 2, 16, 8, &r->bufs);
  zr__fbt comp;
  r->codec = -1;
  if (zr__fb_table(fb, rb, 3, &comp)) {
    int c = zr__fb_u8(fb, &comp, 0, 0), method = zr__fb_u8(fb, &comp, 1, 0);
    if (c > 1 || method != 0) return FAIL(r, ZR_ERR_UNSUPPORTED, fb->base + comp.pos, "arrow: unknown body compression %d", c);
    r->codec = c;
  }
  zr__fb_vec(fb, rb, 4, 8, 8, &r->variadic);
  if (fb->status) return FAIL(r, fb->status, fb->bad_at, "arrow: %s", fb->why);
  if (*length < 0) return FAIL(r, ZR_ERR_MALFORMED, fb->base + rb->pos, "arrow: negative batch length");
  r->inode = r->ibuf = r->ivar = 0;
  r->body = m->body;
  r->body_len = m->body_len;
  r->body_off = m->body_off;
  r->version = m->version;
  return ZR_OK;
}

static zr_status load_batch(rd *r, msg *m, struct ArrowArray *out) {
  if (m->htype != ZA_MSG_BATCH) return FAIL(r, ZR_ERR_MALFORMED, m->off, "arrow: expected a record batch message");
  int64_t length;
  ZR_TRY(begin_batch(r, m, &m->header, &length));
  zr_status st = za_array_make(out, r->st, 1, r->schema.n_children, 0);
  if (st) return zr__err_nomem(r->err);
  out->length = length;
  for (int64_t i = 0; i < r->schema.n_children && !st; i++) {
    st = load_field(r, r->schema.children[i], out->children[i], 1);
    if (!st && out->children[i]->length < length)
      st = FAIL(r, ZR_ERR_MALFORMED, m->off, "arrow: column %lld shorter than its batch", (long long)i);
  }
  if (st) za_array_release(out);
  return st;
}

static zr_status load_dict(rd *r, msg *m) {
  zr__fb *fb = &m->fb;
  int64_t id = zr__fb_i64(fb, &m->header, 0, 0);
  zr__fbt rb;
  zr__fb_table(fb, &m->header, 1, &rb);
  int delta = zr__fb_u8(fb, &m->header, 2, 0);
  if (fb->status) return FAIL(r, fb->status, fb->bad_at, "arrow: %s", fb->why);
  if (!rb.pos) return FAIL(r, ZR_ERR_MALFORMED, m->off, "arrow: dictionary batch without data");
  rd_dict *d = NULL;
  for (int i = 0; i < r->ndicts; i++)
    if (r->dicts[i].id == id) d = &r->dicts[i];
  if (!d) return FAIL(r, ZR_ERR_MALFORMED, m->off, "arrow: dictionary batch for unknown id %lld", (long long)id);
  int64_t length;
  ZR_TRY(begin_batch(r, m, &rb, &length));
  struct ArrowArray a;
  memset(&a, 0, sizeof a);
  zr_status st = load_field(r, d->vs, &a, 1);
  if (st) {
    if (a.release) a.release(&a);
    return st;
  }
  if (delta && d->arr.release) {
    struct ArrowArray c;
    st = zr__arrow_concat(d->vs, &d->arr, &a, r->st, &c, r->err);
    a.release(&a);
    if (st) return st;
    d->arr.release(&d->arr);
    d->arr = c;
    return ZR_OK;
  }
  if (d->arr.release) d->arr.release(&d->arr);
  d->arr = a;
  return ZR_OK;
}

/* ---------------------------------------------------------------- entry points */

static void rd_init(rd *r, const uint8_t *data, size_t len, const zr_arrow_read_opts *o, zr_error *err) {
  memset(r, 0, sizeof *r);
  r->data = data;
  r->len = len;
  if (o) r->o = *o;
  else zr_arrow_read_opts_init(&r->o);
  if (!r->o.max_depth) r->o.max_depth = 64;
  if (!r->o.max_bytes) r->o.max_bytes = ZR_DEFAULT_MAX_BYTES;
  r->err = err;
}

static void rd_free(rd *r) {
  for (int i = 0; i < r->ndicts; i++)
    if (r->dicts[i].arr.release) r->dicts[i].arr.release(&r->dicts[i].arr);
  if (r->dicts) zr__free(zr__alloc_or_default(r->o.alloc), r->dicts);
  r->dicts = NULL;
  r->ndicts = 0;
  if (r->schema.release) r->schema.release(&r->schema);
}

static zr_status push_batch(rd *r, zr_table *t, int64_t *cap, struct ArrowArray *b) {
  if (t->n_batches == *cap) {
    int64_t nc = *cap ? *cap * 2 : 4;
    struct ArrowArray *nb = zr__realloc(zr__alloc_or_default(r->o.alloc), t->batches, (size_t)nc * sizeof *nb);
    if (!nb) {
      b->release(b);
      return zr__err_nomem(r->err);
    }
    t->batches = nb;
    *cap = nc;
  }
  t->batches[t->n_batches++] = *b;
  return ZR_OK;
}

static zr_status read_stream(rd *r, int64_t pos, int64_t limit, zr_table *t) {
  int64_t cap = 0;
  msg m;
  ZR_TRY(read_msg(r, pos, limit, &m));
  if (m.eos) return FAIL(r, ZR_ERR_TRUNCATED, pos, "arrow: stream without a schema");
  if (m.htype != ZA_MSG_SCHEMA) return FAIL(r, ZR_ERR_MALFORMED, pos, "arrow: stream does not start with a schema");
  ZR_TRY(parse_schema(r, &m.fb, &m.header));
  pos = m.end;
  for (;;) {
    ZR_TRY(read_msg(r, pos, limit, &m));
    if (m.eos) break;
    if (m.htype == ZA_MSG_DICT) {
      ZR_TRY(load_dict(r, &m));
    } else if (m.htype == ZA_MSG_BATCH) {
      struct ArrowArray b;
      ZR_TRY(load_batch(r, &m, &b));
      ZR_TRY(push_batch(r, t, &cap, &b));
    } else if (m.htype == ZA_MSG_SCHEMA) {
      return FAIL(r, ZR_ERR_MALFORMED, pos, "arrow: second schema in a stream");
    } else {
      return FAIL(r, ZR_ERR_UNSUPPORTED, pos, "arrow: message type %u not supported in a stream", m.htype);
    }
    pos = m.end;
  }
  return ZR_OK;
}

typedef struct footer {
  zr__fb fb;
  zr__fbt root;
  zr__fbv dicts, batches;
  int64_t start; /* offset of the footer flatbuffer */
} footer;

static zr_status read_footer(rd *r, footer *f) {
  const uint8_t *d = r->data;
  size_t n = r->len;
  if (n < 6 + 2 + 4 + 6 || memcmp(d, "ARROW1", 6) != 0 || memcmp(d + n - 6, "ARROW1", 6) != 0)
    return FAIL(r, ZR_ERR_FORMAT, 0, "arrow: not an Arrow file (ARROW1 magic missing)");
  int32_t fl = (int32_t)zr__ld32le(d + n - 10);
  if (fl <= 0 || (uint64_t)fl > n - 10 - 8)
    return FAIL(r, ZR_ERR_MALFORMED, (int64_t)n - 10, "arrow: footer length %d out of range", (int)fl);
  f->start = (int64_t)n - 10 - fl;
  if (((uintptr_t)(d + f->start)) % 4 != 0 && ((uintptr_t)d % 8) == 0)
    return FAIL(r, ZR_ERR_ALIGNMENT, f->start, "arrow: footer not aligned to 4 bytes");
  zr__fb_init(&f->fb, d + f->start, (size_t)fl, f->start);
  f->fb.budget = 200000;
  f->root = zr__fb_root(&f->fb);
  int16_t ver = zr__fb_i16(&f->fb, &f->root, 0, 0);
  zr__fbt sc;
  zr__fb_table(&f->fb, &f->root, 1, &sc);
  zr__fb_vec(&f->fb, &f->root, 2, 24, 8, &f->dicts);
  zr__fb_vec(&f->fb, &f->root, 3, 24, 8, &f->batches);
  if (f->fb.status) return FAIL(r, f->fb.status, f->fb.bad_at, "arrow: %s", f->fb.why);
  if (ver > ZA_V5) return FAIL(r, ZR_ERR_VERSION, f->start, "arrow: metadata version V%d is newer than V5", ver + 1);
  if (ver < ZA_V4) return FAIL(r, ZR_ERR_VERSION, f->start, "arrow: metadata version V%d is older than V4", ver + 1);
  if (!sc.pos) return FAIL(r, ZR_ERR_MALFORMED, f->start, "arrow: footer without a schema");
  return parse_schema(r, &f->fb, &sc);
}

static zr_status block_msg(rd *r, const footer *f, const zr__fbv *v, uint32_t i, msg *m) {
  const uint8_t *b = f->fb.buf + v->pos + 24 * i;
  int64_t off = (int64_t)zr__ld64le(b);
  int32_t ml = (int32_t)zr__ld32le(b + 8);
  int64_t bl = (int64_t)zr__ld64le(b + 16);
  int64_t at = f->start + v->pos + 24 * i;
  if (off < 8 || off >= f->start || ml <= 0 || bl < 0 || (off & 7))
    return FAIL(r, ZR_ERR_MALFORMED, at, "arrow: footer block %u out of range", i);
  ZR_TRY(read_msg(r, off, f->start, m));
  if (m->eos) return FAIL(r, ZR_ERR_MALFORMED, at, "arrow: footer block %u points at an end marker", i);
  return ZR_OK;
}

static zr_status read_file_dicts(rd *r, footer *f) {
  for (uint32_t i = 0; i < f->dicts.n; i++) {
    msg m;
    ZR_TRY(block_msg(r, f, &f->dicts, i, &m));
    if (m.htype != ZA_MSG_DICT) return FAIL(r, ZR_ERR_MALFORMED, m.off, "arrow: dictionary block is not a dictionary");
    ZR_TRY(load_dict(r, &m));
  }
  return ZR_OK;
}

static zr_status read_file(rd *r, zr_table *t) {
  footer f;
  ZR_TRY(read_footer(r, &f));
  ZR_TRY(read_file_dicts(r, &f));
  int64_t cap = 0;
  for (uint32_t i = 0; i < f.batches.n; i++) {
    msg m;
    ZR_TRY(block_msg(r, &f, &f.batches, i, &m));
    struct ArrowArray b;
    ZR_TRY(load_batch(r, &m, &b));
    ZR_TRY(push_batch(r, t, &cap, &b));
  }
  return ZR_OK;
}

/* an inner step may return a status without a message (allocation failures deep in the C Data
 * Interface builders): make sure the caller's error record names it */
static zr_status named(zr_error *err, zr_status st) {
  if (st != ZR_OK && err && err->code != st) zr__err(err, st, -1, "arrow: %s", zr_strerror(st));
  return st;
}

void zr_arrow_read_opts_init(zr_arrow_read_opts *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->validate = ZR_ARROW_VALIDATE_FULL;
  o->max_bytes = ZR_DEFAULT_MAX_BYTES;
  o->max_depth = 64;
}

zr_status zr_arrow_read(const uint8_t *data, size_t len, const zr_arrow_read_opts *opts, zr_table *out,
                        zr_error *err) {
  if (!out || (!data && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL argument");
  memset(out, 0, sizeof *out);
  zr_error_clear(err);
  za_install_hooks();
  rd r;
  rd_init(&r, data, len, opts, err);
  r.st = za_store_new(r.o.alloc, r.o.max_bytes);
  if (!r.st) return zr__err_nomem(err);
  out->alloc_ctx = (void *)r.o.alloc;
  zr_status st;
  if (len >= 8 && memcmp(data, "ARROW1", 6) == 0) st = read_file(&r, out);
  else st = read_stream(&r, 0, (int64_t)len, out);
  if (st == ZR_OK) {
    out->schema = r.schema;
    r.schema.release = NULL;
  }
  rd_free(&r);
  if (st == ZR_OK && !r.o.copy) {
    r.st->keep_release = r.o.keep_release;
    r.st->keep_owner = r.o.keep_owner;
  }
  za_store_unref(r.st);
  if (st) {
    zr_table_release(out);
    if (opts && opts->keep_release && !r.o.copy) opts->keep_release(opts->keep_owner);
  } else if (r.o.copy && opts && opts->keep_release) {
    opts->keep_release(opts->keep_owner);
  }
  return named(err, st);
}

/* ---------------------------------------------------------------- random access */

struct zr_arrow_file {
  rd r;
  footer f;
};

zr_status zr_arrow_file_open(const uint8_t *data, size_t len, const zr_arrow_read_opts *opts, zr_arrow_file **out,
                             zr_error *err) {
  if (!out || !data) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL argument");
  zr_error_clear(err);
  za_install_hooks();
  const zr_allocator *a = zr__alloc_or_default(opts ? opts->alloc : NULL);
  zr_arrow_file *f = zr__malloc(a, sizeof *f);
  if (!f) return zr__err_nomem(err);
  rd_init(&f->r, data, len, opts, err);
  f->r.o.keep_release = NULL; /* the caller keeps the input alive for the reader's arrays */
  f->r.st = za_store_new(f->r.o.alloc, f->r.o.max_bytes);
  zr_status st = f->r.st ? ZR_OK : zr__err_nomem(err);
  if (!st) st = read_footer(&f->r, &f->f);
  if (!st) st = read_file_dicts(&f->r, &f->f);
  if (st) {
    zr_arrow_file_close(f);
    return named(err, st);
  }
  f->r.err = NULL;
  *out = f;
  return ZR_OK;
}

int64_t zr_arrow_file_num_batches(const zr_arrow_file *f) { return f ? f->f.batches.n : 0; }
const struct ArrowSchema *zr_arrow_file_schema(const zr_arrow_file *f) { return f ? &f->r.schema : NULL; }

zr_status zr_arrow_file_batch(zr_arrow_file *f, int64_t i, struct ArrowArray *out, zr_error *err) {
  if (!f || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL argument");
  memset(out, 0, sizeof *out);
  if (i < 0 || i >= (int64_t)f->f.batches.n) return zr__err(err, ZR_ERR_RANGE, -1, "arrow: batch %lld of %u", (long long)i, f->f.batches.n);
  zr_error_clear(err);
  f->r.err = err;
  msg m;
  zr_status st = block_msg(&f->r, &f->f, &f->f.batches, (uint32_t)i, &m);
  if (!st) st = load_batch(&f->r, &m, out);
  f->r.err = NULL;
  return named(err, st);
}

void zr_arrow_file_close(zr_arrow_file *f) {
  if (!f) return;
  const zr_allocator *a = zr__alloc_or_default(f->r.o.alloc);
  rd_free(&f->r);
  za_store_unref(f->r.st);
  zr__free(a, f);
}

/* ---------------------------------------------------------------- inspect */

#include <jansson.h>

static json_t *md_json(const char *md) {
  json_t *o = json_object();
  int32_t n = za_md_count(md);
  for (int32_t i = 0; i < n; i++) {
    const char *k, *v;
    int32_t kl, vl;
    if (!za_md_get(md, i, &k, &kl, &v, &vl)) break;
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(kl > 255 ? 255 : kl), k);
    json_object_set_new(o, key, json_stringn(v, (size_t)vl));
  }
  return o;
}

static json_t *field_json(const struct ArrowSchema *s) {
  json_t *o = json_object();
  json_object_set_new(o, "name", json_string(s->name ? s->name : ""));
  const struct ArrowSchema *vs = s->dictionary ? s->dictionary : s;
  json_object_set_new(o, "type", json_string(vs->format));
  json_object_set_new(o, "nullable", json_boolean(s->flags & ARROW_FLAG_NULLABLE));
  if (za_md_count(s->metadata)) json_object_set_new(o, "metadata", md_json(s->metadata));
  if (s->dictionary) {
    json_t *d = json_object();
    json_object_set_new(d, "id", json_integer(za_schema_dict_id(s)));
    json_object_set_new(d, "index_type", json_string(s->format));
    json_object_set_new(d, "ordered", json_boolean(s->flags & ARROW_FLAG_DICTIONARY_ORDERED));
    json_object_set_new(o, "dictionary", d);
  }
  if (vs->n_children) {
    json_t *c = json_array();
    for (int64_t i = 0; i < vs->n_children; i++) json_array_append_new(c, field_json(vs->children[i]));
    json_object_set_new(o, "children", c);
  }
  return o;
}

static json_t *msg_json(rd *r, msg *m) {
  json_t *o = json_object();
  zr__fb *fb = &m->fb;
  json_object_set_new(o, "offset", json_integer(m->off));
  json_object_set_new(o, "metadata_bytes", json_integer(m->meta_len));
  json_object_set_new(o, "body_bytes", json_integer((json_int_t)m->body_len));
  zr__fbt rb = m->header;
  if (m->htype == ZA_MSG_DICT) {
    json_object_set_new(o, "dictionary_id", json_integer(zr__fb_i64(fb, &m->header, 0, 0)));
    json_object_set_new(o, "delta", json_boolean(zr__fb_u8(fb, &m->header, 2, 0)));
    zr__fb_table(fb, &m->header, 1, &rb);
  }
  if (m->htype == ZA_MSG_DICT || m->htype == ZA_MSG_BATCH) {
    int64_t len;
    if (rb.pos && begin_batch(r, m, &rb, &len) == ZR_OK) {
      json_object_set_new(o, "rows", json_integer(len));
      json_object_set_new(o, "buffers", json_integer(r->bufs.n));
      json_object_set_new(o, "compression", r->codec < 0 ? json_null() : json_string(r->codec == 0 ? "lz4_frame" : "zstd"));
    }
  }
  return o;
}

/* add a batch's declared row count to the running total of an inspection (counts come from the
 * input: the sum may not overflow) */
static zr_status add_rows(rd *r, int64_t *rows, json_t *batch) {
  json_int_t n = json_integer_value(json_object_get(batch, "rows"));
  if (__builtin_add_overflow(*rows, (int64_t)n, rows)) return FAIL(r, ZR_ERR_MALFORMED, 0, "arrow: the batches' row counts add up to more than 2^63");
  return ZR_OK;
}

zr_status zr__arrow_inspect(const uint8_t *data, size_t len, zr_sink *out, zr_error *err) {
  rd r;
  rd_init(&r, data, len, NULL, err);
  r.st = za_store_new(NULL, 0);
  if (!r.st) return zr__err_nomem(err);
  json_t *root = json_object(), *batches = json_array(), *dicts = json_array();
  zr_status st = ZR_OK;
  int64_t rows = 0;
  int file = len >= 8 && memcmp(data, "ARROW1", 6) == 0;
  json_object_set_new(root, "format", json_string(file ? "arrow-file" : "arrow-stream"));
  if (file) {
    footer f;
    st = read_footer(&r, &f);
    for (int pass = 0; !st && pass < 2; pass++) {
      const zr__fbv *v = pass ? &f.batches : &f.dicts;
      for (uint32_t i = 0; !st && i < v->n; i++) {
        msg m;
        st = block_msg(&r, &f, v, i, &m);
        if (st) break;
        json_t *j = msg_json(&r, &m);
        if (pass) st = add_rows(&r, &rows, j);
        json_array_append_new(pass ? batches : dicts, j);
      }
    }
  } else {
    int64_t pos = 0;
    msg m;
    st = read_msg(&r, pos, (int64_t)len, &m);
    if (!st && (m.eos || m.htype != ZA_MSG_SCHEMA)) st = FAIL(&r, ZR_ERR_MALFORMED, 0, "arrow: stream does not start with a schema");
    if (!st) st = parse_schema(&r, &m.fb, &m.header);
    if (!st) pos = m.end;
    while (!st) {
      st = read_msg(&r, pos, (int64_t)len, &m);
      if (st || m.eos) break;
      json_t *j = msg_json(&r, &m);
      if (m.htype == ZA_MSG_BATCH) {
        st = add_rows(&r, &rows, j);
        json_array_append_new(batches, j);
      } else {
        json_array_append_new(dicts, j);
      }
      pos = m.end;
    }
  }
  if (!st) {
    json_t *fields = json_array();
    for (int64_t i = 0; i < r.schema.n_children; i++) json_array_append_new(fields, field_json(r.schema.children[i]));
    json_t *sc = json_object();
    json_object_set_new(sc, "fields", fields);
    if (za_md_count(r.schema.metadata)) json_object_set_new(sc, "metadata", md_json(r.schema.metadata));
    json_object_set_new(root, "schema", sc);
    json_object_set_new(root, "endianness", json_string(r.big ? "big" : "little"));
    json_object_set_new(root, "bytes", json_integer((json_int_t)len));
    json_object_set_new(root, "rows", json_integer(rows));
    json_object_set_new(root, "num_batches", json_integer((json_int_t)json_array_size(batches)));
    json_object_set_new(root, "batches", batches);
    json_object_set_new(root, "dictionaries", dicts);
    batches = dicts = NULL;
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!s) st = zr__err_nomem(err);
    else {
      st = zr_sink_write(out, s, strlen(s), err);
      if (!st) st = zr_sink_write(out, "\n", 1, err);
      free(s);
    }
  }
  json_decref(batches);
  json_decref(dicts);
  json_decref(root);
  rd_free(&r);
  za_store_unref(r.st);
  return st;
}
