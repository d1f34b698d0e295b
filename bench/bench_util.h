/* Helpers shared by the benchmark programs in bench/: clocks and medians. */
#ifndef ZR_BENCH_UTIL_H
#define ZR_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

/* Milliseconds on @p clock: CLOCK_PROCESS_CPUTIME_ID (CPU time of this process, page faults
 * included: far less disturbed by other tenants of a shared machine) or CLOCK_MONOTONIC (wall). */
static inline double bench_ms(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The median of v[0..n) (sorts v in place; the mean of the two middle values when n is even). */
static inline double bench_median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
