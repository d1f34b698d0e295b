/* Benchmark: zerial's ETF codec on the data sets bench/etf_erl.escript wrote with erl's own
 * term_to_binary (100k small maps; a list of 1M floats). Times zr_etf_decode of those exact bytes
 * and zr_etf_encode of the decoded value back to bytes; prints medians (microseconds) as JSON.
 * Run through bench/etf.sh, which also times erl on the same data and writes bench/results/etf.json.
 *   bench_etf DIR [reps] */
#include "bench_util.h"
#include "zerial/etf.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zerial/zerial.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double cpu_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static uint8_t *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc((size_t)sz);
  *n = fread(p, 1, (size_t)sz, f);
  fclose(f);
  return p;
}

static int run_case(const char *dir, const char *name, const char *suffix, int reps) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.etf", dir, name);
  size_t n;
  uint8_t *data = slurp(path, &n);
  if (!data) {
    fprintf(stderr, "missing %s\n", path);
    return 1;
  }
  double *dt = calloc((size_t)reps, sizeof *dt), *et = calloc((size_t)reps, sizeof *et);
  double *dc = calloc((size_t)reps, sizeof *dc), *ec = calloc((size_t)reps, sizeof *ec);
  zr_doc *doc = NULL;
  zr_error err;
  size_t out_len = 0;
  for (int r = -1; r < reps; r++) { /* r = -1: warm-up */
    zr_doc_free(doc);
    doc = NULL;
    double c0 = cpu_us(), t0 = now_us();
    if (zr_etf_decode(data, n, NULL, 0, &doc, &err) != ZR_OK) {
      fprintf(stderr, "decode: %s\n", err.message);
      return 1;
    }
    double t1 = now_us(), c1 = cpu_us();
    if (r >= 0) {
      dt[r] = t1 - t0;
      dc[r] = c1 - c0;
    }
  }
  zr_sink *s = NULL;
  for (int r = -1; r < reps; r++) {
    zr_sink_free(s);
    zr_sink_memory_new(NULL, &s, NULL);
    double c0 = cpu_us(), t0 = now_us();
    if (zr_etf_encode(zr_doc_root(doc), NULL, 0, s, &err) != ZR_OK) {
      fprintf(stderr, "encode: %s\n", err.message);
      return 1;
    }
    double t1 = now_us(), c1 = cpu_us();
    if (r >= 0) {
      et[r] = t1 - t0;
      ec[r] = c1 - c0;
    }
  }
  out_len = (size_t)zr_sink_size(s);
  zr_sink_free(s);
  zr_doc_free(doc);
  printf(
      ",\"%s%s\":{\"bytes\":%zu,\"zerial_decode_us\":%.0f,\"zerial_encode_us\":%.0f,"
      "\"zerial_decode_cpu_us\":%.0f,\"zerial_encode_cpu_us\":%.0f,\"zerial_encoded_bytes\":%zu}",
      name, suffix, n, bench_median(dt, reps), bench_median(et, reps), bench_median(dc, reps), bench_median(ec, reps), out_len);
  free(dc);
  free(ec);
  free(dt);
  free(et);
  free(data);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_etf DIR [reps]\n");
    return 2;
  }
  int reps = argc > 2 ? atoi(argv[2]) : 9;
  if (reps < 1 || reps > 1000) reps = 9;
  const char *names[] = {"maps_100k", "floats_1m"};
  printf("{\"reps\":%d", reps);
  /* cold: default glibc malloc, which returns big freed blocks to the kernel, so every decode
   * pays first-touch page faults on fresh memory */
  for (int k = 0; k < 2; k++)
    if (run_case(argv[1], names[k], "_cold", reps)) return 1;
  /* warm: keep freed memory in the process, as a long-lived service (and erl's own allocators) do */
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  for (int k = 0; k < 2; k++)
    if (run_case(argv[1], names[k], "", reps)) return 1;
  printf("}\n");
  return 0;
}
