#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static void *std_malloc(void *ud, size_t n) { (void)ud; return malloc(n); }
static void *std_realloc(void *ud, void *p, size_t n) { (void)ud; return realloc(p, n); }
static void std_free(void *ud, void *p) { (void)ud; free(p); }

static const zr_allocator zr__default_alloc = {std_malloc, std_realloc, std_free, NULL};

const zr_allocator *zr_allocator_default(void) { return &zr__default_alloc; }
const zr_allocator *zr__alloc_or_default(const zr_allocator *a) { return a ? a : &zr__default_alloc; }
void zr_free(void *ptr) { free(ptr); }

/* ---- arena ---- */
struct zr__arena_chunk {
  zr__arena_chunk *next;
  size_t size;
  /* data follows, 64-byte aligned */
};
#define ZR__CHUNK_HDR 64u
#define ZR__ARENA_FIRST 4096u
#define ZR__ARENA_MAX_CHUNK (1u << 24)

void zr__arena_init(zr__arena *a, const zr_allocator *alloc) {
  memset(a, 0, sizeof *a);
  a->alloc = zr__alloc_or_default(alloc);
  a->next_size = ZR__ARENA_FIRST;
}

/* Take the first spare chunk that holds @p need bytes as the current chunk. */
static void *arena_from_spare(zr__arena *a, size_t need, size_t size, size_t align) {
  zr__arena_chunk **pp = &a->spare;
  for (zr__arena_chunk *c = a->spare; c; pp = &c->next, c = c->next) {
    if (c->size < need) continue;
    uint64_t total = a->total + (uint64_t)c->size + ZR__CHUNK_HDR;
    if (a->limit && total > a->limit) continue; /* a fresh, smaller chunk may still fit */
    *pp = c->next;
    a->spare_bytes -= (uint64_t)c->size + ZR__CHUNK_HDR;
    a->total = total;
    uint8_t *data = (uint8_t *)(((uintptr_t)c + sizeof *c + 63) & ~(uintptr_t)63);
    uintptr_t p = ((uintptr_t)data + (align - 1)) & ~(uintptr_t)(align - 1);
    c->next = a->head;
    a->head = c;
    a->cur = (uint8_t *)(p + size);
    a->end = data + c->size;
    return (void *)p;
  }
  return NULL;
}

void *zr__arena_alloc_slow(zr__arena *a, size_t size, size_t align) {
  if (align > 64 || (align & (align - 1))) return NULL;
  size_t need = size + align; /* room to align inside the chunk */
  if (need < size) return NULL;
  if (a->spare) {
    void *p = arena_from_spare(a, need, size, align);
    if (p) return p;
  }
  size_t csize = a->next_size;
  bool dedicated = need > csize / 4; /* big blocks get their own chunk, not wasting the current one */
  if (dedicated) csize = need;
  uint64_t total;
  if (zr__add_overflow(a->total, (uint64_t)csize + ZR__CHUNK_HDR, &total)) return NULL;
  if (a->limit && total > a->limit && !dedicated && a->limit > a->total + ZR__CHUNK_HDR &&
      a->limit - a->total - ZR__CHUNK_HDR >= need) {
    /* a regular chunk would cross the limit: take only what the limit leaves */
    csize = (size_t)(a->limit - a->total - ZR__CHUNK_HDR);
    total = a->limit;
  }
  if (a->limit && total > a->limit) {
    a->over_limit = 1;
    return NULL;
  }
  if (csize + ZR__CHUNK_HDR < csize) return NULL;
  /* allocate with slack so that data can be 64-byte aligned regardless of malloc alignment */
  uint8_t *raw = zr__malloc(a->alloc, csize + ZR__CHUNK_HDR + 64);
  if (!raw) return NULL;
  zr__arena_chunk *c = (zr__arena_chunk *)raw;
  c->size = csize;
  uint8_t *data = (uint8_t *)(((uintptr_t)raw + sizeof *c + 63) & ~(uintptr_t)63);
  a->total = total;
  uintptr_t p = ((uintptr_t)data + (align - 1)) & ~(uintptr_t)(align - 1);
  if (dedicated && a->head) {
    /* link behind the current chunk so the current free space stays usable */
    c->next = a->head->next;
    a->head->next = c;
    return (void *)p;
  }
  c->next = a->head;
  a->head = c;
  a->cur = (uint8_t *)(p + size);
  a->end = data + csize;
  if (!dedicated && a->next_size < ZR__ARENA_MAX_CHUNK) a->next_size *= 2;
  return (void *)p;
}

static void free_chunks(zr__arena *a, zr__arena_chunk *c) {
  while (c) {
    zr__arena_chunk *n = c->next;
    zr__free(a->alloc, c);
    c = n;
  }
}

void zr__arena_free(zr__arena *a) {
  free_chunks(a, a->head);
  free_chunks(a, a->spare);
  a->head = a->spare = NULL;
  a->cur = a->end = NULL;
  a->total = a->spare_bytes = 0;
}

void zr__arena_reset(zr__arena *a, int keep_current) {
  /* the current chunk stays current (emptied) when asked; the others go to the spare list */
  zr__arena_chunk *keep = keep_current ? a->head : NULL, *c = keep ? keep->next : a->head;
  while (c) {
    zr__arena_chunk *n = c->next;
    c->next = a->spare;
    a->spare = c;
    a->spare_bytes += (uint64_t)c->size + ZR__CHUNK_HDR;
    c = n;
  }
  a->head = keep;
  a->over_limit = 0;
  if (keep) {
    keep->next = NULL;
    a->cur = (uint8_t *)(((uintptr_t)keep + sizeof *keep + 63) & ~(uintptr_t)63);
    a->end = a->cur + keep->size;
    a->total = (uint64_t)keep->size + ZR__CHUNK_HDR;
  } else {
    a->cur = a->end = NULL;
    a->total = 0;
  }
}

/* ---- growable buffer ---- */
void zr__buf_init(zr__buf *b, const zr_allocator *alloc) {
  b->data = NULL;
  b->len = b->cap = 0;
  b->alloc = zr__alloc_or_default(alloc);
}

void zr__buf_free(zr__buf *b) {
  zr__free(b->alloc, b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

zr_status zr__buf_grow(zr__buf *b, size_t extra) {
  size_t need = b->len + extra;
  if (need < b->len) return ZR_ERR_NOMEM;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) {
    size_t nc = cap * 2;
    if (nc < cap) { cap = need; break; }
    cap = nc;
  }
  uint8_t *d = zr__realloc(b->alloc, b->data, cap);
  if (!d) return ZR_ERR_NOMEM;
  b->data = d;
  b->cap = cap;
  return ZR_OK;
}

zr_status zr__buf_printf(zr__buf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return ZR_ERR_INTERNAL;
  if ((size_t)n < sizeof tmp) return zr__buf_append(b, tmp, (size_t)n);
  ZR_TRY(zr__buf_reserve(b, (size_t)n + 1));
  va_start(ap, fmt);
  vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return ZR_OK;
}
