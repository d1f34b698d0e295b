/* FlatBuffers verifying reader and builder (see fb.h). */
#include "formats/arrow/fb.h"

/* ---------------------------------------------------------------- reader */

void zr__fb_init(zr__fb *fb, const uint8_t *buf, size_t len, int64_t base) {
  fb->buf = buf;
  fb->len = len;
  fb->base = base;
  fb->status = ZR_OK;
  fb->bad_at = -1;
  fb->why = NULL;
  fb->budget = 1u << 20;
}

void zr__fb_fail(zr__fb *fb, uint32_t pos, zr_status code, const char *why) {
  if (fb->status != ZR_OK) return;
  fb->status = code;
  fb->bad_at = fb->base + (int64_t)pos;
  fb->why = why;
}

static int bad(zr__fb *fb, uint64_t pos, const char *why) {
  if (pos > fb->len) pos = fb->len; /* a position pointed to outside: report the end of the buffer */
  zr__fb_fail(fb, (uint32_t)(pos > UINT32_MAX ? UINT32_MAX : pos), ZR_ERR_MALFORMED, why);
  return 0;
}

/* Can [pos, pos+n) be read, with pos aligned to align? */
static int span_ok(zr__fb *fb, uint64_t pos, uint64_t n, uint32_t align, const char *why) {
  if (fb->status != ZR_OK) return 0;
  if (pos > fb->len || n > fb->len - pos) return bad(fb, pos, why);
  if (align > 1 && (pos % align) != 0) return bad(fb, pos, "flatbuffer: misaligned data");
  return 1;
}

static int table_at(zr__fb *fb, uint64_t pos, zr__fbt *t) {
  memset(t, 0, sizeof *t);
  if (fb->budget == 0) {
    zr__fb_fail(fb, (uint32_t)pos, ZR_ERR_LIMIT, "flatbuffer: too many tables");
    return 0;
  }
  fb->budget--;
  if (pos == 0 || !span_ok(fb, pos, 4, 4, "flatbuffer: table out of bounds")) return pos == 0 ? bad(fb, 0, "flatbuffer: null table") : 0;
  int32_t so = (int32_t)zr__ld32le(fb->buf + pos);
  int64_t vt = (int64_t)pos - (int64_t)so;
  if (vt < 0 || !span_ok(fb, (uint64_t)vt, 4, 2, "flatbuffer: vtable out of bounds")) return vt < 0 ? bad(fb, pos, "flatbuffer: vtable out of bounds") : 0;
  uint16_t vtlen = zr__ld16le(fb->buf + vt), tlen = zr__ld16le(fb->buf + vt + 2);
  if (vtlen < 4 || (vtlen & 1)) return bad(fb, (uint64_t)vt, "flatbuffer: bad vtable size");
  if (!span_ok(fb, (uint64_t)vt, vtlen, 2, "flatbuffer: vtable out of bounds")) return 0;
  if (tlen < 4 || !span_ok(fb, pos, tlen, 4, "flatbuffer: table out of bounds")) return tlen < 4 ? bad(fb, pos, "flatbuffer: bad table size") : 0;
  t->pos = (uint32_t)pos;
  t->vt = (uint32_t)vt;
  t->vtlen = vtlen;
  t->tlen = tlen;
  return 1;
}

zr__fbt zr__fb_root(zr__fb *fb) {
  zr__fbt t;
  memset(&t, 0, sizeof t);
  if (!span_ok(fb, 0, 4, 1, "flatbuffer: too short for a root offset")) return t;
  uint32_t r = zr__ld32le(fb->buf);
  table_at(fb, r, &t);
  return t;
}

/* Offset of field id inside the table, checked to hold size bytes aligned to size; 0 if absent. */
static uint32_t field(zr__fb *fb, const zr__fbt *t, unsigned id, uint32_t size) {
  if (fb->status != ZR_OK || t->pos == 0) return 0;
  uint32_t slot = 4 + 2 * id;
  if (slot + 2 > t->vtlen) return 0;
  uint16_t fo = zr__ld16le(fb->buf + t->vt + slot);
  if (fo == 0) return 0;
  if (fo < 4 || (uint32_t)fo + size > t->tlen) return (uint32_t)bad(fb, t->pos, "flatbuffer: field outside its table");
  uint32_t p = t->pos + fo;
  if (p % size) return (uint32_t)bad(fb, p, "flatbuffer: misaligned field");
  return p;
}

int zr__fb_has(zr__fb *fb, const zr__fbt *t, unsigned id) {
  if (fb->status != ZR_OK || t->pos == 0) return 0;
  uint32_t slot = 4 + 2 * id;
  if (slot + 2 > t->vtlen) return 0;
  return zr__ld16le(fb->buf + t->vt + slot) != 0;
}

uint8_t zr__fb_u8(zr__fb *fb, const zr__fbt *t, unsigned id, uint8_t def) {
  uint32_t p = field(fb, t, id, 1);
  return p ? fb->buf[p] : def;
}
int16_t zr__fb_i16(zr__fb *fb, const zr__fbt *t, unsigned id, int16_t def) {
  uint32_t p = field(fb, t, id, 2);
  return p ? (int16_t)zr__ld16le(fb->buf + p) : def;
}
int32_t zr__fb_i32(zr__fb *fb, const zr__fbt *t, unsigned id, int32_t def) {
  uint32_t p = field(fb, t, id, 4);
  return p ? (int32_t)zr__ld32le(fb->buf + p) : def;
}
int64_t zr__fb_i64(zr__fb *fb, const zr__fbt *t, unsigned id, int64_t def) {
  uint32_t p = field(fb, t, id, 8);
  return p ? (int64_t)zr__ld64le(fb->buf + p) : def;
}

/* Follow the uoffset stored at p; 0 on failure. */
static uint32_t deref(zr__fb *fb, uint32_t p) {
  if (!span_ok(fb, p, 4, 4, "flatbuffer: offset out of bounds")) return 0;
  uint64_t target = (uint64_t)p + zr__ld32le(fb->buf + p);
  if (target >= fb->len) return (uint32_t)bad(fb, p, "flatbuffer: offset points outside the buffer");
  return (uint32_t)target;
}

int zr__fb_table(zr__fb *fb, const zr__fbt *t, unsigned id, zr__fbt *out) {
  memset(out, 0, sizeof *out);
  uint32_t p = field(fb, t, id, 4);
  if (!p) return 0;
  uint32_t target = deref(fb, p);
  if (!target) return 0;
  return table_at(fb, target, out);
}

static int vec_at(zr__fb *fb, uint32_t target, uint32_t elem_size, uint32_t align, zr__fbv *out) {
  if (!span_ok(fb, target, 4, 4, "flatbuffer: vector out of bounds")) return 0;
  uint32_t n = zr__ld32le(fb->buf + target);
  uint64_t bytes = (uint64_t)n * elem_size;
  if (!span_ok(fb, (uint64_t)target + 4, bytes, align, "flatbuffer: vector longer than the buffer")) return 0;
  out->pos = target + 4;
  out->n = n;
  return 1;
}

int zr__fb_vec(zr__fb *fb, const zr__fbt *t, unsigned id, uint32_t elem_size, uint32_t align, zr__fbv *out) {
  out->pos = 0;
  out->n = 0;
  uint32_t p = field(fb, t, id, 4);
  if (!p) return 0;
  uint32_t target = deref(fb, p);
  if (!target) return 0;
  return vec_at(fb, target, elem_size, align, out);
}

static const char *str_at(zr__fb *fb, uint32_t target, uint32_t *len) {
  zr__fbv v;
  if (!vec_at(fb, target, 1, 1, &v)) return NULL;
  if ((uint64_t)v.pos + v.n >= fb->len || fb->buf[v.pos + v.n] != 0) {
    bad(fb, target, "flatbuffer: string without its NUL terminator");
    return NULL;
  }
  if (len) *len = v.n;
  return (const char *)fb->buf + v.pos;
}

const char *zr__fb_str(zr__fb *fb, const zr__fbt *t, unsigned id, uint32_t *len) {
  if (len) *len = 0;
  uint32_t p = field(fb, t, id, 4);
  if (!p) return NULL;
  uint32_t target = deref(fb, p);
  if (!target) return NULL;
  return str_at(fb, target, len);
}

int zr__fb_vec_table(zr__fb *fb, const zr__fbv *v, uint32_t i, zr__fbt *out) {
  memset(out, 0, sizeof *out);
  if (i >= v->n) return bad(fb, v->pos, "flatbuffer: vector index out of range");
  uint32_t target = deref(fb, v->pos + 4 * i);
  if (!target) return 0;
  return table_at(fb, target, out);
}

/* ---------------------------------------------------------------- builder */

void zr__fbb_init(zr__fbb *b, const zr_allocator *alloc) {
  memset(b, 0, sizeof *b);
  b->alloc = zr__alloc_or_default(alloc);
}

void zr__fbb_free(zr__fbb *b) {
  if (b->buf) zr__free(b->alloc, b->buf);
  b->buf = NULL;
  b->cap = b->used = 0;
}

void zr__fbb_reset(zr__fbb *b) {
  b->used = 0;
  b->status = ZR_OK;
  b->in_table = 0;
}

static int reserve(zr__fbb *b, size_t n) {
  if (b->status != ZR_OK) return 0;
  if (b->buf && b->cap - b->used >= n) return 1; /* (no buffer yet: allocate even for n = 0, never NULL + 0) */
  size_t nc = b->cap ? b->cap * 2 : 1024;
  while (nc - b->used < n) nc *= 2;
  uint8_t *nb = zr__malloc(b->alloc, nc);
  if (!nb) {
    b->status = ZR_ERR_NOMEM;
    return 0;
  }
  if (b->used) memcpy(nb + nc - b->used, b->buf + b->cap - b->used, b->used);
  if (b->buf) zr__free(b->alloc, b->buf);
  b->buf = nb;
  b->cap = nc;
  return 1;
}

static uint8_t *prepend(zr__fbb *b, size_t n) {
  if (!reserve(b, n)) return NULL;
  b->used += n;
  return b->buf + b->cap - b->used;
}

/* Pad so that after writing n more bytes, used is a multiple of align. */
static void pre_align(zr__fbb *b, size_t n, size_t align) {
  size_t pad = (align - ((b->used + n) % align)) % align;
  uint8_t *p = prepend(b, pad);
  if (p && pad) memset(p, 0, pad);
}

zr__fbref zr__fbb_string(zr__fbb *b, const char *s, size_t len) {
  pre_align(b, len + 1 + 4, 4);
  uint8_t *p = prepend(b, len + 1);
  if (!p) return 0;
  if (len) memcpy(p, s, len);
  p[len] = 0;
  p = prepend(b, 4);
  if (!p) return 0;
  zr__st32le(p, (uint32_t)len);
  return (zr__fbref)b->used;
}

zr__fbref zr__fbb_vec_refs(zr__fbb *b, const zr__fbref *refs, size_t n) {
  pre_align(b, 4 * n + 4, 4);
  for (size_t i = n; i-- > 0;) {
    uint8_t *p = prepend(b, 4);
    if (!p) return 0;
    zr__st32le(p, (uint32_t)(b->used - refs[i]));
  }
  uint8_t *p = prepend(b, 4);
  if (!p) return 0;
  zr__st32le(p, (uint32_t)n);
  return (zr__fbref)b->used;
}

zr__fbref zr__fbb_vec_raw(zr__fbb *b, const void *data, size_t n, size_t elem_size, size_t align) {
  if (align < 4) align = 4;
  pre_align(b, n * elem_size, align);
  uint8_t *p = prepend(b, n * elem_size);
  if (!p) return 0;
  if (n) memcpy(p, data, n * elem_size);
  p = prepend(b, 4);
  if (!p) return 0;
  zr__st32le(p, (uint32_t)n);
  return (zr__fbref)b->used;
}

void zr__fbb_start(zr__fbb *b) {
  b->in_table = 1;
  b->nslots = 0;
  memset(b->slot, 0, sizeof b->slot);
  b->table_end = b->used;
}

static void note(zr__fbb *b, unsigned id) {
  if (id >= ZR__FBB_MAX_FIELDS) {
    b->status = ZR_ERR_INTERNAL;
    return;
  }
  b->slot[id] = b->used;
  if (id + 1 > b->nslots) b->nslots = id + 1;
}

static void add_scalar(zr__fbb *b, unsigned id, const void *v, size_t n) {
  pre_align(b, n, n);
  uint8_t *p = prepend(b, n);
  if (!p) return;
  memcpy(p, v, n);
  note(b, id);
}

void zr__fbb_add_u8(zr__fbb *b, unsigned id, uint8_t v) { add_scalar(b, id, &v, 1); }
void zr__fbb_add_i16(zr__fbb *b, unsigned id, int16_t v) { add_scalar(b, id, &v, 2); }
void zr__fbb_add_i32(zr__fbb *b, unsigned id, int32_t v) { add_scalar(b, id, &v, 4); }
void zr__fbb_add_i64(zr__fbb *b, unsigned id, int64_t v) { add_scalar(b, id, &v, 8); }

void zr__fbb_add_ref(zr__fbb *b, unsigned id, zr__fbref r) {
  pre_align(b, 4, 4);
  uint8_t *p = prepend(b, 4);
  if (!p) return;
  zr__st32le(p, (uint32_t)(b->used - r));
  note(b, id);
}

zr__fbref zr__fbb_end(zr__fbb *b) {
  pre_align(b, 4, 4);
  uint8_t *p = prepend(b, 4);
  if (!p) return 0;
  size_t table_pos = b->used;
  size_t tsize = table_pos - b->table_end;
  size_t vtsize = 4 + 2 * (size_t)b->nslots;
  uint8_t *vt = prepend(b, vtsize);
  if (!vt) return 0;
  if (tsize > 0xffff) {
    b->status = ZR_ERR_LIMIT;
    return 0;
  }
  zr__st16le(vt, (uint16_t)vtsize);
  zr__st16le(vt + 2, (uint16_t)tsize);
  for (unsigned i = 0; i < b->nslots; i++)
    zr__st16le(vt + 4 + 2 * i, (uint16_t)(b->slot[i] ? table_pos - b->slot[i] : 0));
  size_t vt_pos = b->used;
  /* the table's soffset: table - vtable (the vtable sits just before the table) */
  zr__st32le(b->buf + b->cap - table_pos, (uint32_t)(int32_t)(vt_pos - table_pos));
  b->in_table = 0;
  return (zr__fbref)table_pos;
}

zr_status zr__fbb_finish(zr__fbb *b, zr__fbref root) {
  pre_align(b, 4, 8);
  uint8_t *p = prepend(b, 4);
  if (p) zr__st32le(p, (uint32_t)(b->used - root));
  return b->status;
}
