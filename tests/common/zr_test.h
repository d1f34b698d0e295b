/* Shared helpers for cmocka tests. */
#ifndef ZR_TEST_H
#define ZR_TEST_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "zerial/zerial.h"

/* Path under the source tree (ZR_SOURCE_DIR) or the shared folder (ZR_SHARED_DIR); static buffer. */
const char *zr_test_src_path(const char *rel);
const char *zr_test_shared_path(const char *rel);
/* Read a whole file into malloc'd memory; NULL when missing. */
uint8_t *zr_test_read_file(const char *path, size_t *len);
/* A temporary directory for this test process (created on first use, not removed). */
const char *zr_test_tmpdir(void);

/* An allocator that fails the n-th allocation (counting from 1; 0 = never) and counts live blocks. */
typedef struct zr_test_failalloc {
  zr_allocator a;
  uint64_t calls;     /* allocations attempted */
  uint64_t fail_at;   /* fail this call number (0: never) */
  int64_t live;       /* blocks currently allocated */
} zr_test_failalloc;
void zr_test_failalloc_init(zr_test_failalloc *f, uint64_t fail_at);

/* Deterministic PRNG (splitmix64). */
static inline uint64_t zr_test_rand(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

#endif
