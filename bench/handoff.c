/* C half of bench/handoff.py: publish a float32 tensor in a new shared-memory region.
 *   bench_handoff NAME MIB [--no-checksum]
 * Fills the tensor in place (reserve/commit: the producer computes straight into the region),
 * publishes, and prints one JSON line with the timings; the region is left for the reader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zerial/alloc.h"
#include "zerial/io.h"
#include "zerial/status.h"
#include "zerial/tensor.h"
#include "zerial/value.h"
#include "zerial/format.h"
#include "zerial/shm.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench_handoff NAME MIB [--no-checksum]\n");
    return 2;
  }
  int64_t n = atoll(argv[2]) * (1 << 20) / 4;
  unsigned flags = (argc > 3 && strcmp(argv[3], "--no-checksum") == 0) ? ZR_SHM_NO_CHECKSUM : 0;
  zr_error err;
  zr_shm *r;
  zr_shm_create_opts o = {.size = (uint64_t)n * 4 + (1 << 16)};
  double t0 = now();
  if (zr_shm_create(argv[1], &o, &r, &err)) {
    fprintf(stderr, "bench_handoff: %s\n", err.message);
    return 1;
  }
  double t_create = now() - t0;
  zr_tensor t;
  int64_t shape[2] = {n / 1024, 1024};
  t0 = now();
  if (zr_shm_reserve_tensor(r, "t", ZR_DT_FLOAT32, 0, 2, shape, &t, &err)) return 1;
  float *f = t.data;
  for (int64_t i = 0; i < n; i++) f[i] = (float)(i % 1000) * 0.001f;
  if (zr_shm_commit(r, ZR_SHM_FORMAT_RAW, t.nbytes, flags, &err)) return 1;
  double t_fill = now() - t0;
  t0 = now();
  if (zr_shm_publish(r, &err)) return 1;
  double t_publish = now() - t0;
  printf("{\"create_ms\": %.6f, \"fill_ms\": %.6f, \"publish_ms\": %.6f, \"bytes\": %llu, \"checksum\": %s}\n",
         t_create * 1e3, t_fill * 1e3, t_publish * 1e3, (unsigned long long)t.nbytes, flags ? "false" : "true");
  zr_shm_close(r);
  return 0;
}
