/* A small FlatBuffers layer for the Arrow metadata: a verifying reader (every offset, vtable,
 * vector length and alignment is checked before it is read) and a back-to-front builder.
 * Written from the FlatBuffers binary layout description; see docs/formats/arrow.md. */
#ifndef ZERIAL_ARROW_FB_H
#define ZERIAL_ARROW_FB_H

#include "core/internal.h"

/* ---- reader ---- */

/* A flatbuffer in memory. Errors are sticky: the first problem is recorded (status + absolute byte
 * offset in the outer input) and every later accessor returns its default, so callers check once. */
typedef struct zr__fb {
  const uint8_t *buf;
  size_t len;
  int64_t base;       /* offset of buf[0] in the outer input (for error messages) */
  zr_status status;   /* first failure, or ZR_OK */
  int64_t bad_at;     /* absolute offset of the first failure */
  const char *why;    /* static description of the first failure */
  uint64_t budget;    /* table visits left (guards against DAG blow-up) */
} zr__fb;

typedef struct zr__fbt {
  uint32_t pos;     /* table start (0 = absent) */
  uint32_t vt;      /* vtable start */
  uint16_t vtlen;   /* vtable size in bytes */
  uint16_t tlen;    /* table inline size */
} zr__fbt;

typedef struct zr__fbv {
  uint32_t pos;  /* first element */
  uint32_t n;    /* element count */
} zr__fbv;

void zr__fb_init(zr__fb *fb, const uint8_t *buf, size_t len, int64_t base);
/* Root table; pos 0 on failure. */
zr__fbt zr__fb_root(zr__fb *fb);
int zr__fb_has(zr__fb *fb, const zr__fbt *t, unsigned id);
uint8_t zr__fb_u8(zr__fb *fb, const zr__fbt *t, unsigned id, uint8_t def);
int16_t zr__fb_i16(zr__fb *fb, const zr__fbt *t, unsigned id, int16_t def);
int32_t zr__fb_i32(zr__fb *fb, const zr__fbt *t, unsigned id, int32_t def);
int64_t zr__fb_i64(zr__fb *fb, const zr__fbt *t, unsigned id, int64_t def);
/* Sub-table; returns 0 when absent or bad (t->pos == 0). */
int zr__fb_table(zr__fb *fb, const zr__fbt *t, unsigned id, zr__fbt *out);
/* String: pointer and length into the buffer (NUL-terminated by the format); NULL when absent. */
const char *zr__fb_str(zr__fb *fb, const zr__fbt *t, unsigned id, uint32_t *len);
/* Vector of inline elements of elem_size bytes aligned to align; n = 0 when absent. */
int zr__fb_vec(zr__fb *fb, const zr__fbt *t, unsigned id, uint32_t elem_size, uint32_t align, zr__fbv *out);
/* Element i of a vector of tables. */
int zr__fb_vec_table(zr__fb *fb, const zr__fbv *v, uint32_t i, zr__fbt *out);
/* Record a semantic failure at the given table (keeps the first). */
void zr__fb_fail(zr__fb *fb, uint32_t pos, zr_status code, const char *why);

/* ---- builder ---- */

#define ZR__FBB_MAX_FIELDS 16

typedef struct zr__fbb {
  const zr_allocator *alloc;
  uint8_t *buf;   /* data lives at buf[cap - used .. cap) */
  size_t cap, used;
  zr_status status;
  int in_table;
  size_t slot[ZR__FBB_MAX_FIELDS]; /* from-end position of each field, 0 = absent */
  unsigned nslots;
  size_t table_end;
} zr__fbb;

typedef uint32_t zr__fbref; /* from-end position of an object */

void zr__fbb_init(zr__fbb *b, const zr_allocator *alloc);
void zr__fbb_free(zr__fbb *b);
void zr__fbb_reset(zr__fbb *b);
zr__fbref zr__fbb_string(zr__fbb *b, const char *s, size_t len);
zr__fbref zr__fbb_vec_refs(zr__fbb *b, const zr__fbref *refs, size_t n);
/* Vector of inline structs/scalars: n elements of elem_size bytes (already little-endian). */
zr__fbref zr__fbb_vec_raw(zr__fbb *b, const void *data, size_t n, size_t elem_size, size_t align);
void zr__fbb_start(zr__fbb *b);
void zr__fbb_add_u8(zr__fbb *b, unsigned id, uint8_t v);
void zr__fbb_add_i16(zr__fbb *b, unsigned id, int16_t v);
void zr__fbb_add_i32(zr__fbb *b, unsigned id, int32_t v);
void zr__fbb_add_i64(zr__fbb *b, unsigned id, int64_t v);
void zr__fbb_add_ref(zr__fbb *b, unsigned id, zr__fbref r);
zr__fbref zr__fbb_end(zr__fbb *b);
/* Finish with @p root; the bytes are b->buf + b->cap - b->used, b->used long (a multiple of 8). */
zr_status zr__fbb_finish(zr__fbb *b, zr__fbref root);
static inline const uint8_t *zr__fbb_data(const zr__fbb *b) { return b->buf + b->cap - b->used; }

#endif
