/* Benchmark: the cost of metrics on the record workload of bench/records.c, through the manager.
 *
 * The records {"id": int, "name": 12-char string, "score": double, "tags": [3 short strings],
 * "active": bool} are serialized with zr_serialize (format binary, codec none) and read back with
 * zr_deserialize, in two shapes:
 *   - per record: one call per record (the worst case for a per-call cost),
 *   - batch: one call per 1000 records.
 * Runs alternate metrics on / off (zr_metrics_set_enabled) so that drift of a shared machine hits
 * both alike; each figure is the median of RUNS runs of CPU time (CLOCK_PROCESS_CPUTIME_ID).
 *
 * Usage: bench_metrics_overhead [--records N] [--runs N] [--wall] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "metrics/metrics_internal.h"
#include "zerial/zerial.h"

static clockid_t bench_clock = CLOCK_PROCESS_CPUTIME_ID;
static double now_ms(void) { return bench_ms(bench_clock); }
static void die(const char *what) {
  fprintf(stderr, "bench_metrics_overhead: %s\n", what);
  exit(1);
}

static const char *const TAGS[] = {"red", "green", "blue", "alpha", "beta", "gamma", "delta", "x"};
static char names[1024][16];

static zr_value record(zr_doc *d, size_t i) {
  zr_value m = zr_map_new(d, 5);
  zr_map_put_cstr(d, &m, "id", zr_int((int64_t)i * 7919));
  zr_map_put_cstr(d, &m, "name", zr_cstr_ref(names[i % 1024]));
  zr_map_put_cstr(d, &m, "score", zr_float((double)(i % 1000) * 0.125));
  zr_value tags = zr_list_new(d, 3);
  for (int k = 0; k < 3; k++) zr_list_push(d, &tags, zr_cstr_ref(TAGS[(i + (size_t)k * 3) % 8]));
  zr_map_put_cstr(d, &m, "tags", tags);
  zr_map_put_cstr(d, &m, "active", zr_bool(i % 3 == 0));
  return m;
}

/* serialize then deserialize every value of vals (n of them); returns CPU ms */
static double run_once(zr_ctx *ctx, const zr_value *vals, size_t n, zr_sink *sink) {
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = "binary";
  o.codec = "none";
  o.envelope = 0;
  double t0 = now_ms();
  for (size_t i = 0; i < n; i++) {
    uint64_t before = zr_sink_size(sink);
    if (zr_serialize(ctx, &vals[i], &o, sink, NULL, NULL) != ZR_OK) die("serialize failed");
    const uint8_t *all;
    size_t alln;
    zr_sink_memory_data(sink, &all, &alln);
    zr_doc *back;
    if (zr_deserialize(ctx, all + before, alln - (size_t)before, NULL, &back, NULL, NULL) != ZR_OK)
      die("deserialize failed");
    zr_doc_free(back);
  }
  return now_ms() - t0;
}

static void measure(zr_ctx *ctx, const char *label, const zr_value *vals, size_t n, int runs, size_t records) {
  double *on = malloc(sizeof(double) * (size_t)runs), *off = malloc(sizeof(double) * (size_t)runs);
  if (!on || !off) die("out of memory");
  for (int r = -1; r < runs; r++) { /* r = -1: warm-up of both */
    for (int k = 0; k < 2; k++) {
      int enabled = (r + k) % 2 == 0; /* alternate which goes first */
      zr_metrics_set_enabled(enabled);
      zr_sink *sink;
      if (zr_sink_memory_new(NULL, &sink, NULL) != ZR_OK) die("sink");
      /* per-record runs: fresh sink every 4096 values keeps it small */
      double ms = 0;
      for (size_t i = 0; i < n; i += 4096) {
        size_t m = n - i < 4096 ? n - i : 4096;
        ms += run_once(ctx, vals + i, m, sink);
        zr_sink_free(sink);
        if (zr_sink_memory_new(NULL, &sink, NULL) != ZR_OK) die("sink");
      }
      zr_sink_free(sink);
      if (r >= 0) (enabled ? on : off)[r] = ms;
    }
  }
  /* paired estimate: each round ran on and off back to back, so their ratio cancels most drift */
  double *ratio = malloc(sizeof(double) * (size_t)runs);
  if (!ratio) die("out of memory");
  for (int r = 0; r < runs; r++) ratio[r] = (on[r] - off[r]) / off[r] * 100.0;
  double pr = bench_median(ratio, runs);
  double lo = ratio[runs / 4], hi = ratio[runs - 1 - runs / 4]; /* sorted by bench_median() */
  double mon = bench_median(on, runs), moff = bench_median(off, runs);
  printf(
      "%-11s %8zu calls %9zu records  off %9.2f ms  on %9.2f ms  overhead: paired median %+6.2f%% "
      "(quartiles %+.2f%% .. %+.2f%%), medians %+6.2f%%  (%.0f ns/call)\n",
      label, n, records, moff, mon, pr, lo, hi, (mon - moff) / moff * 100.0, moff * 1e6 / (double)n / 2);
  free(ratio);
  free(on);
  free(off);
}

/* The hooks alone: what one serialize + one deserialize record costs, timed directly (median of
 * runs of 1M pairs), with the default sampling and with every call timed. */
static void hook_cost(int runs) {
  zr_serialize_result r;
  memset(&r, 0, sizeof r);
  snprintf(r.format, sizeof r.format, "binary");
  snprintf(r.codec, sizeof r.codec, "none");
  snprintf(r.decision.ch.shape, sizeof r.decision.ch.shape, "document");
  r.encoded_bytes = r.total_bytes = r.payload_bytes = 60;
  zr_deserialize_info inf;
  memset(&inf, 0, sizeof inf);
  snprintf(inf.format, sizeof inf.format, "binary");
  inf.input_bytes = inf.payload_bytes = 60;
  static const unsigned every[2] = {8, 1};
  zr_metrics_set_enabled(1);
  for (int e = 0; e < 2; e++) {
    zr_metrics_set_sampling(every[e]);
    double *t = malloc(sizeof(double) * (size_t)runs);
    if (!t) die("out of memory");
    const int M = 1000000;
    for (int k = 0; k < runs; k++) {
      double t0 = now_ms();
      for (int i = 0; i < M; i++) {
        zr__metrics_serialize(zr__metrics_clock(), ZR_OK, &r, NULL);
        zr__metrics_deserialize(zr__metrics_clock(), ZR_OK, &inf);
      }
      t[k] = now_ms() - t0;
    }
    printf("hooks alone (sampling 1 in %u): %.1f ns per serialize+deserialize pair\n", every[e],
           bench_median(t, runs) * 1e6 / M);
    free(t);
  }
  zr_metrics_set_sampling(8);
  zr_metrics_reset();
}

int main(int argc, char **argv) {
  size_t N = 200000;
  int runs = 7;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--records") && i + 1 < argc)
      N = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--wall"))
      bench_clock = CLOCK_MONOTONIC;
    else
      die("usage: bench_metrics_overhead [--records N] [--runs N] [--wall]");
  }
  if (runs < 1 || N < 1000) die("need --runs >= 1 and --records >= 1000");
  for (int i = 0; i < 1024; i++) snprintf(names[i], sizeof names[i], "name-%07d", i * 31);
  zr_ctx *ctx;
  if (zr_ctx_new_isolated(NULL, &ctx, NULL) != ZR_OK) die("ctx");
  zr_ctx_set(ctx, "selection.learning", "false", NULL);
  zr_doc *d = zr_doc_new(NULL);
  zr_value *per = malloc(sizeof(zr_value) * N);
  size_t nb = N / 1000;
  zr_value *batch = malloc(sizeof(zr_value) * nb);
  if (!d || !per || !batch) die("out of memory");
  for (size_t i = 0; i < N; i++) per[i] = record(d, i);
  for (size_t b = 0; b < nb; b++) {
    batch[b] = zr_list_new(d, 1000);
    for (size_t i = 0; i < 1000; i++) zr_list_push(d, &batch[b], per[b * 1000 + i]);
  }
  if (zr_doc_status(d) != ZR_OK) die("building the records failed");
  printf("metrics overhead: %zu records, %d runs (medians, ms of %s time; each call = serialize + deserialize)\n", N,
         runs, bench_clock == CLOCK_MONOTONIC ? "wall" : "CPU");
  hook_cost(runs);
  measure(ctx, "per-record", per, N, runs, N);
  measure(ctx, "batch-1000", batch, nb, runs, nb * 1000);
  zr_metrics_set_enabled(1);
  free(per);
  free(batch);
  zr_doc_free(d);
  zr_ctx_free(ctx);
  return 0;
}
