/* Internal helpers shared by every module of libzerial (not installed). */
#ifndef ZERIAL_CORE_INTERNAL_H
#define ZERIAL_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "zerial/alloc.h"
#include "zerial/io.h"
#include "zerial/status.h"
#include "zerial/value.h"

#if defined(__GNUC__)
#define ZR_LIKELY(x) __builtin_expect(!!(x), 1)
#define ZR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ZR_INLINE static inline __attribute__((always_inline))
#else
#define ZR_LIKELY(x) (x)
#define ZR_UNLIKELY(x) (x)
#define ZR_INLINE static inline
#endif

/** Return early on failure. */
#define ZR_TRY(expr)                                                                               \
  do {                                                                                             \
    zr_status zr__st = (expr);                                                                     \
    if (ZR_UNLIKELY(zr__st != ZR_OK)) return zr__st;                                               \
  } while (0)

/* ---- allocation ---- */
const zr_allocator *zr__alloc_or_default(const zr_allocator *a);
/* A request of 0 bytes asks for 1 (allocators never see 0); `n + (n == 0)` says so without a branch
 * at every call site. */
ZR_INLINE void *zr__malloc(const zr_allocator *a, size_t n) { return a->malloc_fn(a->ud, n + (n == 0)); }
ZR_INLINE void *zr__realloc(const zr_allocator *a, void *p, size_t n) { return a->realloc_fn(a->ud, p, n + (n == 0)); }
ZR_INLINE void zr__free(const zr_allocator *a, void *p) { a->free_fn(a->ud, p); }

/* ---- errors ---- */
zr_status zr__errv(zr_error *err, zr_status code, int64_t offset, const char *fmt, va_list ap);
/* zr_error_set() is the public entry; these read better inside the library. */
#define zr__err zr_error_set
zr_status zr__err_nomem(zr_error *err);
/* An encoder's error: code, message (offset -1), then the value path @p path (the order
 * zr_error_set requires: it empties the path). Returns @p code. */
zr_status zr__err_path(zr_error *err, zr_status code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- overflow-checked arithmetic ---- */
ZR_INLINE bool zr__mul_overflow(uint64_t a, uint64_t b, uint64_t *out) { return __builtin_mul_overflow(a, b, out); }
ZR_INLINE bool zr__add_overflow(uint64_t a, uint64_t b, uint64_t *out) { return __builtin_add_overflow(a, b, out); }

/* ---- little/big endian loads and stores (unaligned-safe) ---- */
ZR_INLINE uint16_t zr__ld16le(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
ZR_INLINE uint32_t zr__ld32le(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }
ZR_INLINE uint64_t zr__ld64le(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }
ZR_INLINE void zr__st16le(void *p, uint16_t v) { memcpy(p, &v, 2); }
ZR_INLINE void zr__st32le(void *p, uint32_t v) { memcpy(p, &v, 4); }
ZR_INLINE void zr__st64le(void *p, uint64_t v) { memcpy(p, &v, 8); }
ZR_INLINE uint16_t zr__ld16be(const void *p) { return __builtin_bswap16(zr__ld16le(p)); }
ZR_INLINE uint32_t zr__ld32be(const void *p) { return __builtin_bswap32(zr__ld32le(p)); }
ZR_INLINE uint64_t zr__ld64be(const void *p) { return __builtin_bswap64(zr__ld64le(p)); }
ZR_INLINE void zr__st16be(void *p, uint16_t v) { zr__st16le(p, __builtin_bswap16(v)); }
ZR_INLINE void zr__st32be(void *p, uint32_t v) { zr__st32le(p, __builtin_bswap32(v)); }
ZR_INLINE void zr__st64be(void *p, uint64_t v) { zr__st64le(p, __builtin_bswap64(v)); }
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "zerial currently targets little-endian hosts"
#endif

ZR_INLINE size_t zr__align_up(size_t n, size_t a) { return (n + (a - 1)) & ~(a - 1); }

/* ---- arena: bump allocator in chunks; freed all at once ---- */
typedef struct zr__arena_chunk zr__arena_chunk;
typedef struct zr__arena {
  const zr_allocator *alloc;
  zr__arena_chunk *head; /* current chunk (newest first) */
  uint8_t *cur, *end;    /* free space in the current chunk */
  uint64_t total;        /* bytes of all chunks */
  uint64_t limit;        /* refuse to grow beyond (0: no limit) */
  size_t next_size;      /* size of the next regular chunk */
  zr__arena_chunk *spare; /* chunks kept by zr__arena_reset for reuse */
  uint64_t spare_bytes;   /* bytes of the spare chunks */
  int over_limit;        /* set when a request was refused because of limit (not out of memory) */
} zr__arena;

void zr__arena_init(zr__arena *a, const zr_allocator *alloc);
void *zr__arena_alloc_slow(zr__arena *a, size_t size, size_t align);
void zr__arena_free(zr__arena *a);
/* Forget every allocation but keep the chunks: later allocations reuse them before asking the
 * allocator again (a decode loop over one doc then touches no fresh memory). With keep_current
 * the current chunk stays current (no limit check on it); otherwise every chunk goes to the
 * spare list, and taking one back is checked against the limit. */
void zr__arena_reset(zr__arena *a, int keep_current);
/* align must be a power of two ≤ 64 */
ZR_INLINE void *zr__arena_alloc(zr__arena *a, size_t size, size_t align) {
  uintptr_t p = ((uintptr_t)a->cur + (align - 1)) & ~(uintptr_t)(align - 1);
  if (ZR_LIKELY(a->cur != NULL && p <= (uintptr_t)a->end && size <= (size_t)((uintptr_t)a->end - p))) {
    a->cur = (uint8_t *)(p + size);
    return (void *)p;
  }
  return zr__arena_alloc_slow(a, size, align);
}

/* ---- growable byte buffer ---- */
typedef struct zr__buf {
  uint8_t *data;
  size_t len, cap;
  const zr_allocator *alloc;
} zr__buf;

void zr__buf_init(zr__buf *b, const zr_allocator *alloc);
void zr__buf_free(zr__buf *b);
zr_status zr__buf_grow(zr__buf *b, size_t extra); /* ensure cap ≥ len + extra */
ZR_INLINE zr_status zr__buf_reserve(zr__buf *b, size_t extra) {
  if (ZR_LIKELY(b->cap - b->len >= extra)) return ZR_OK;
  return zr__buf_grow(b, extra);
}
ZR_INLINE zr_status zr__buf_append(zr__buf *b, const void *p, size_t n) {
  ZR_TRY(zr__buf_reserve(b, n));
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  return ZR_OK;
}
ZR_INLINE zr_status zr__buf_push(zr__buf *b, uint8_t c) {
  ZR_TRY(zr__buf_reserve(b, 1));
  b->data[b->len++] = c;
  return ZR_OK;
}
zr_status zr__buf_printf(zr__buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- doc internals (formats build docs directly) ---- */
typedef struct zr__keep {
  void (*release)(void *);
  void *owner;
  struct zr__keep *next;
} zr__keep;

struct zr_doc {
  zr__arena arena;
  zr_value root;
  zr_status status;
  zr__keep *keeps;
  zr_allocator alloc;
};

zr_doc *zr__doc_new_limited(const zr_allocator *alloc, uint64_t max_bytes);


/* ---- utf-8 ---- */
bool zr__utf8_valid(const uint8_t *s, size_t n, size_t *bad);

/* ---- value path building for encoder errors ---- */
typedef struct zr__path {
  /* a stack of segments: either an index or a key; rendered on error only */
  struct {
    const zr_value *key; /* NULL for index segments */
    uint64_t index;
  } seg[64];
  unsigned depth;      /* number of segments pushed (may exceed 64: deeper ones are elided) */
} zr__path;
void zr__path_render(const zr__path *p, char *out, size_t cap);

#endif
