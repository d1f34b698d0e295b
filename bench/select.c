/* Format selection cost against encode cost, for values of 1 MiB and more.
 *
 * For each value: the median time of zr_explain() (analysis + ranking + codec choice, i.e. what
 * format "auto" adds to a serialize call) and the median time of encoding the same value with the
 * chosen format (no codec, no envelope). Prints one line per value and the selection/encode share.
 * Usage: bench_select [--runs N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "zerial/zerial.h"
#include "zerial/serialize.h"

static double now_ms(void) { return bench_ms(CLOCK_MONOTONIC); }

typedef struct bench_value {
  const char *name;
  zr_value v;
} bench_value;

static uint64_t rng = 88172645463325252ULL;
static uint64_t xr(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

int main(int argc, char **argv) {
  int runs = 9;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
  if (runs < 1 || runs > 1000) runs = 9;
  zr_ctx *ctx;
  zr_error err;
  if (zr_ctx_new_isolated(NULL, &ctx, &err) != ZR_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  zr_ctx_set(ctx, "selection.learning", "false", NULL); /* same decision every run */
  zr_doc *d = zr_doc_new(NULL);
  bench_value vals[6];
  int nv = 0;

  /* records: 40 000 rows × 4 columns (~2 MiB) */
  zr_value rec = zr_list_new(d, 40000);
  for (int i = 0; i < 40000; i++) {
    zr_value m = zr_map_new(d, 4);
    zr_map_put_cstr(d, &m, "id", zr_int(i));
    zr_map_put_cstr(d, &m, "name", zr_cstr_ref("customer name"));
    zr_map_put_cstr(d, &m, "score", zr_float((double)(xr() % 1000) / 7.0));
    zr_map_put_cstr(d, &m, "active", zr_bool(i & 1));
    zr_list_push(d, &rec, m);
  }
  vals[nv++] = (bench_value){"records 40k x 4", rec};

  /* nested numeric list: 1000 × 256 floats (~2 MiB) */
  zr_value mat = zr_list_new(d, 1000);
  for (int i = 0; i < 1000; i++) {
    zr_value row = zr_list_new(d, 256);
    for (int j = 0; j < 256; j++) zr_list_push(d, &row, zr_float((double)(xr() % 100000) / 3.0));
    zr_list_push(d, &mat, row);
  }
  vals[nv++] = (bench_value){"numeric list 1000x256", mat};

  /* tensor: 1024 × 1024 float64 (8 MiB) */
  static double tdata[1024 * 1024];
  for (size_t i = 0; i < 1024 * 1024; i++) tdata[i] = (double)(xr() % 1000000) / 11.0;
  zr_tensor t;
  int64_t shape[2] = {1024, 1024};
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, shape, tdata, NULL);
  vals[nv++] = (bench_value){"tensor 1024x1024 f64", zr_tensor_value(d, &t)};

  /* blob: 4 MiB */
  static uint8_t blob[4 << 20];
  for (size_t i = 0; i < sizeof blob; i++) blob[i] = (uint8_t)(xr() % 16);
  vals[nv++] = (bench_value){"binary blob 4 MiB", zr_bin_ref(blob, sizeof blob)};

  /* heterogeneous document: 40 000 small maps of mixed shape (~1.5 MiB) */
  zr_value doc = zr_list_new(d, 40000);
  for (int i = 0; i < 40000; i++) {
    zr_value m = zr_map_new(d, 3);
    zr_map_put_cstr(d, &m, "k", zr_int(i));
    if (i % 3 == 0) zr_map_put_cstr(d, &m, "text", zr_cstr_ref("some words in a document"));
    else zr_map_put_cstr(d, &m, "list", zr_list_new(d, 0));
    zr_value inner = zr_list_new(d, 3);
    zr_list_push(d, &inner, zr_float(i * 0.1));
    zr_list_push(d, &inner, zr_cstr_ref("x"));
    zr_list_push(d, &inner, zr_null());
    zr_map_put_cstr(d, &m, "inner", inner);
    zr_list_push(d, &doc, m);
  }
  vals[nv++] = (bench_value){"document 40k maps", doc};

  printf("%-24s %-14s %10s %10s %12s %12s %8s\n", "value", "format", "size(MiB)", "values", "select(ms)",
         "encode(ms)", "share");
  double *ts = calloc((size_t)runs, sizeof *ts), *te = calloc((size_t)runs, sizeof *te);
  for (int i = 0; i < nv; i++) {
    zr_decision dec;
    for (int r = 0; r < runs; r++) {
      double t0 = now_ms();
      zr_explain(ctx, &vals[i].v, NULL, &dec, NULL);
      ts[r] = now_ms() - t0;
    }
    zr_serialize_opts o;
    zr_serialize_opts_init(&o);
    o.format = dec.format;
    o.codec = "none";
    o.envelope = 0;
    uint64_t size = 0;
    for (int r = 0; r < runs; r++) {
      zr_sink *s;
      zr_sink_memory_new(NULL, &s, NULL);
      zr_serialize_result res;
      if (zr_serialize(ctx, &vals[i].v, &o, s, &res, &err) != ZR_OK) {
        fprintf(stderr, "%s: %s\n", vals[i].name, err.message);
        return 1;
      }
      te[r] = res.encode_ms;
      size = res.encoded_bytes;
      zr_sink_free(s);
    }
    double ms = bench_median(ts, runs), me = bench_median(te, runs);
    printf("%-24s %-14s %10.2f %10llu %12.3f %12.3f %7.2f%%\n", vals[i].name, dec.format, (double)size / 1048576.0,
           (unsigned long long)dec.ch.elements, ms, me, 100.0 * ms / me);
  }
  free(ts);
  free(te);
  zr_doc_free(d);
  zr_ctx_free(ctx);
  return 0;
}
