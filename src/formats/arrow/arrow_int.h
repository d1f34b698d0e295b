/* Internal API of the Arrow module: C Data Interface nodes, type descriptors, IPC reader/writer. */
#ifndef ZERIAL_ARROW_INT_H
#define ZERIAL_ARROW_INT_H

#include "core/internal.h"
#include "zerial/arrow.h"
#include "zerial/table.h"

/* ---- flatbuffer enum values (Schema.fbs / Message.fbs / File.fbs) ---- */
enum {
  ZA_FB_NONE = 0, ZA_FB_NULL = 1, ZA_FB_INT = 2, ZA_FB_FLOAT = 3, ZA_FB_BINARY = 4, ZA_FB_UTF8 = 5,
  ZA_FB_BOOL = 6, ZA_FB_DECIMAL = 7, ZA_FB_DATE = 8, ZA_FB_TIME = 9, ZA_FB_TIMESTAMP = 10,
  ZA_FB_INTERVAL = 11, ZA_FB_LIST = 12, ZA_FB_STRUCT = 13, ZA_FB_UNION = 14, ZA_FB_FSB = 15,
  ZA_FB_FSL = 16, ZA_FB_MAP = 17, ZA_FB_DURATION = 18, ZA_FB_LBINARY = 19, ZA_FB_LUTF8 = 20,
  ZA_FB_LLIST = 21, ZA_FB_REE = 22, ZA_FB_BINVIEW = 23, ZA_FB_UTF8VIEW = 24, ZA_FB_LISTVIEW = 25,
  ZA_FB_LLISTVIEW = 26
};
enum { ZA_MSG_SCHEMA = 1, ZA_MSG_DICT = 2, ZA_MSG_BATCH = 3, ZA_MSG_TENSOR = 4, ZA_MSG_SPARSE_TENSOR = 5 };
enum { ZA_V1 = 0, ZA_V4 = 3, ZA_V5 = 4 };

/* ---- physical layouts ---- */
typedef enum za_layout {
  ZA_L_NULL, ZA_L_BOOL, ZA_L_FIXED, ZA_L_BIN, ZA_L_LBIN, ZA_L_VIEW, ZA_L_LIST, ZA_L_LLIST,
  ZA_L_LISTVIEW, ZA_L_LLISTVIEW, ZA_L_FSL, ZA_L_STRUCT, ZA_L_SUNION, ZA_L_DUNION, ZA_L_REE
} za_layout;

/* A parsed C Data Interface format string. */
typedef struct za_type {
  za_layout layout;
  uint8_t fb;          /* flatbuffer Type union id */
  int width;           /* bytes per value for FIXED and fixed-size binary */
  int is_utf8, is_map, is_float, is_signed, bits;
  int32_t list_size;   /* fixed-size list */
  int prec, scale;     /* decimal precision/scale; float precision 0/1/2 */
  int unit;            /* date/time/timestamp/duration/interval unit (flatbuffer enum value) */
  const char *tz;      /* timestamp zone inside the format string, or NULL */
  size_t tzlen;
  int n_ids;           /* union */
  int8_t ids[128];
} za_type;

zr_status za_parse_format(const char *fmt, za_type *t, zr_error *err);

/* ---- a refcounted store: owns copied/decompressed buffers and keeps the input alive ---- */
typedef struct za_block za_block;
typedef struct za_store {
  int refs;
  const zr_allocator *alloc;
  za_block *blocks;
  uint64_t bytes, limit;
  void (*keep_release)(void *);
  void *keep_owner;
} za_store;

za_store *za_store_new(const zr_allocator *alloc, uint64_t limit);
void za_store_ref(za_store *s);
void za_store_unref(za_store *s);
/* 64-byte aligned memory owned by the store (padding zeroed). NULL on failure/limit. */
void *za_store_alloc(za_store *s, size_t n);

/* ---- node construction ---- */
/* Make @p a an array node with n_buffers buffer slots (zeroed), n_children child structs (zeroed,
 * release NULL) and, if with_dict, an empty dictionary struct. Takes a reference to @p st. */
zr_status za_array_make(struct ArrowArray *a, za_store *st, int64_t n_buffers, int64_t n_children,
                        int with_dict);
/* Make @p s a schema node (strings copied; metadata is the binary C-interface blob or NULL). */
zr_status za_schema_make(struct ArrowSchema *s, const zr_allocator *alloc, const char *format,
                         const char *name, const char *metadata, int64_t flags, int64_t n_children,
                         int with_dict);
/* Dictionary id stored in a schema node made by za_schema_make (-1 if none / foreign). */
int64_t za_schema_dict_id(const struct ArrowSchema *s);
void za_schema_set_dict_id(struct ArrowSchema *s, int64_t id);
/* Shallow clone: new nodes, same buffer pointers; the clone keeps @p src's memory alive by
 * holding a reference to @p src's root (which stays with its owner). */
zr_status za_array_share(const struct ArrowArray *src, struct ArrowArray *dst, const zr_allocator *alloc);
zr_status za_schema_copy(const struct ArrowSchema *src, struct ArrowSchema *dst, const zr_allocator *alloc);
void za_array_release(struct ArrowArray *a);
void za_schema_release(struct ArrowSchema *s);

/* Metadata blob (C interface): count, then key/value length-prefixed. */
int32_t za_md_count(const char *md);
/* i-th pair; returns 0 if malformed. */
int za_md_get(const char *md, int32_t i, const char **k, int32_t *kl, const char **v, int32_t *vl);
size_t za_md_size(const char *md);
/* Build: starts with a count placeholder; za_md_add appends; za_md_end patches the count. */
zr_status za_md_add(zr__buf *b, const char *k, size_t kl, const char *v, size_t vl);
const char *za_md_find(const char *md, const char *key, int32_t *vl);

/* ---- equality ---- */
int za_schema_equal(const struct ArrowSchema *a, const struct ArrowSchema *b, char *why, size_t cap);
int za_array_equal(const struct ArrowSchema *s, const struct ArrowArray *a, const struct ArrowArray *b,
                   char *why, size_t cap);
int za_table_equal(const zr_table *a, const zr_table *b, char *why, size_t cap);

/* ---- bits ---- */
static inline int za_bit(const void *bm, int64_t i) {
  return bm ? ((((const uint8_t *)bm)[i >> 3] >> (i & 7)) & 1) : 1;
}
static inline void za_setbit(uint8_t *bm, int64_t i, int v) {
  if (v) bm[i >> 3] |= (uint8_t)(1u << (i & 7));
  else bm[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

/* Two's complement negation, in place, of a little-endian integer of @p n 32-bit limbs (decimals). */
static inline void za_limbs_negate(uint32_t *limbs, int n) {
  uint64_t carry = 1;
  for (int i = 0; i < n; i++) {
    uint64_t x = (uint64_t)(uint32_t)~limbs[i] + carry;
    limbs[i] = (uint32_t)x;
    carry = x >> 32;
  }
}

/* ---- byte order ---- */
/* Swap kinds: 0 none; 2, 4, 8, 16, 32 one integer of that many bytes; or a composite layout. */
enum { ZA_SW_NONE = 0, ZA_SW_DAYTIME = -1, ZA_SW_MDN = -2, ZA_SW_VIEW = -3 };
/* Copy @p n bytes from @p src to @p dst converting each element's byte order (@p from_big: the
 * source is big-endian, which matters for view headers whose length decides their layout). */
void za_swap(uint8_t *dst, const uint8_t *src, size_t n, int kind, int from_big);
/* How the values buffer of a type is swapped (offsets are 4 or 8 by layout; validity never). */
int za_swap_kind(const za_type *t);

/* ---- IPC ---- */
zr_status za_ipc_read(const uint8_t *data, size_t len, const zr_arrow_read_opts *o, za_store *st,
                      zr_table *out, zr_error *err);
void za_install_hooks(void);
zr_status zr__arrow_inspect(const uint8_t *data, size_t len, zr_sink *out, zr_error *err);
/* Concatenate two arrays of schema @p s (for delta dictionaries) into new memory of @p st. */
zr_status zr__arrow_concat(const struct ArrowSchema *s, const struct ArrowArray *a, const struct ArrowArray *b,
                           za_store *st, struct ArrowArray *out, zr_error *err);

#endif
