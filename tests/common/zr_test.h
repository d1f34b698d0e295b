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

/* One run of a fault sweep: do the work with every allocation from @p a (the failing allocator),
 * free what it made, and return its status (ZR_OK when it got through; check its result then). */
typedef zr_status (*zr_test_alloc_fn)(void *ud, zr_allocator *a, zr_error *err);
enum {
  ZR_TEST_FA_LIMIT = 1, /* ZR_ERR_LIMIT is a failure as good as ZR_ERR_NOMEM (an arena refused) */
  ZR_TEST_FA_NO_ERR = 2,   /* @p fn gets no error record (err NULL): the code alone is checked */
  ZR_TEST_FA_ANY_ERR = 4   /* @p fn gets an error record, but what it holds is not checked */
};
/* @p fn with its n-th allocation failing, n = 1, 2, … until it succeeds (before @p max_n): every
 * failure is ZR_ERR_NOMEM (or LIMIT with ZR_TEST_FA_LIMIT) with the error record's code and message
 * filled, and no run leaves a block live. Returns the n of the run that succeeded. */
uint64_t zr_test_failalloc_sweep(const char *what, zr_test_alloc_fn fn, void *ud, uint64_t max_n, unsigned flags);

/* A callback sink (zr_sink_callback_new(zr_test_sink_write, &ts, ...)) that counts its writes, can
 * fail one of them (or every one from then on), can take short writes, and can keep the bytes. */
typedef struct zr_test_sink {
  unsigned long calls;   /* writes attempted */
  unsigned long fail_at; /* this write (counting from 1) fails; 0: none */
  int fail_from;         /* nonzero: every write from fail_at on fails */
  zr_status code;        /* what a failing write returns (0: ZR_ERR_IO) */
  size_t chunk;          /* at most this many bytes a write, then ZR_WOULD_BLOCK (0: all) */
  int keep;              /* keep the bytes in buf (malloc'd; free it) */
  uint8_t *buf;
  size_t len, cap;       /* bytes taken (kept or not) */
} zr_test_sink;
zr_status zr_test_sink_write(void *ud, const void *data, size_t len, size_t *written);

/* Something that writes to a sink (for zr_test_sink_sweep). */
typedef zr_status (*zr_test_write_fn)(void *ud, zr_sink *s, zr_error *err);
/* @p fn (then a flush) into a callback sink whose n-th write fails with @p code, n = 1, 2, … until a
 * call succeeds without reaching its failing write: each failure must be @p code with the error
 * message @p msg, and n stays below @p max_n. Returns how many calls failed. */
unsigned zr_test_sink_sweep(const char *what, zr_test_write_fn fn, void *ud, zr_status code, const char *msg,
                            unsigned max_n);

/* Deterministic PRNG (splitmix64). */
static inline uint64_t zr_test_rand(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

#endif
