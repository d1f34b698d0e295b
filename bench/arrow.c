/* Benchmark: Arrow IPC write/read of ROWS rows × (int64, float64, 16-byte utf8, bool), beside
 * memcpy of the same bytes in the same run. Medians of REPS runs, process CPU time.
 *   bench_arrow [rows=10000000] [reps=5] [out.json]
 * Measures: write into a reused buffer (fixed sink) and into fresh memory (growable sink);
 * zero-copy open (bounds validation) of a ~1 MB and a ~1 GB stream; read with full validation
 * (views); read with copies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "formats/arrow/arrow_int.h"
#include "zerial/arrow.h"
#include "zerial/zerial.h"

/* Process CPU time: on a shared, overloaded machine wall-clock mostly measures the queue. */
static double now_ms(void) { return bench_ms(CLOCK_PROCESS_CPUTIME_ID); }
/* A table of `batches` batches, each `rows` rows (all batches share one set of buffers). */
static void make_table(int64_t rows, int batches, zr_table *t) {
  memset(t, 0, sizeof *t);
  za_store *st = za_store_new(NULL, 0);
  za_schema_make(&t->schema, NULL, "+s", "", NULL, 0, 4, 0);
  const char *fmts[4] = {"l", "g", "u", "b"}, *names[4] = {"id", "x", "s", "flag"};
  for (int i = 0; i < 4; i++) za_schema_make(t->schema.children[i], NULL, fmts[i], names[i], NULL, 0, 0, 0);
  int64_t *ids = za_store_alloc(st, (size_t)rows * 8);
  double *xs = za_store_alloc(st, (size_t)rows * 8);
  int32_t *offs = za_store_alloc(st, (size_t)(rows + 1) * 4);
  char *chars = za_store_alloc(st, (size_t)rows * 16);
  uint8_t *bits = za_store_alloc(st, (size_t)(rows + 7) / 8);
  memset(bits, 0, (size_t)(rows + 7) / 8);
  offs[0] = 0;
  for (int64_t i = 0; i < rows; i++) {
    ids[i] = i * 7;
    xs[i] = (double)i * 0.5;
    {
      char *c = chars + 16 * i;
      memcpy(c, "row-", 4);
      int64_t v = i;
      for (int k = 15; k >= 4; k--) {
        c[k] = (char)('0' + v % 10);
        v /= 10;
      }
    }
    offs[i + 1] = (int32_t)(16 * (i + 1));
    if (i % 3 == 0) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
  }
  t->batches = calloc((size_t)batches, sizeof *t->batches);
  t->n_batches = batches;
  for (int b = 0; b < batches; b++) {
    struct ArrowArray *a = &t->batches[b];
    za_array_make(a, st, 1, 4, 0);
    a->length = rows;
    for (int c = 0; c < 4; c++) za_array_make(a->children[c], st, c == 2 ? 3 : 2, 0, 0);
    for (int c = 0; c < 4; c++) a->children[c]->length = rows;
    a->children[0]->buffers[1] = ids;
    a->children[1]->buffers[1] = xs;
    a->children[2]->buffers[1] = offs;
    a->children[2]->buffers[2] = chars;
    a->children[3]->buffers[1] = bits;
  }
  za_store_unref(st);
}

static uint8_t *write_mem(const zr_table *t, size_t *len) {
  zr_sink *s;
  zr_sink_memory_new(NULL, &s, NULL);
  if (zr_arrow_write(t, NULL, s, NULL)) abort();
  uint8_t *d;
  zr_sink_memory_take(s, &d, len, NULL);
  zr_sink_free(s);
  return d;
}

static double open_us(const uint8_t *d, size_t n, int reps) {
  double v[64];
  zr_arrow_read_opts o;
  zr_arrow_read_opts_init(&o);
  o.validate = ZR_ARROW_VALIDATE_BOUNDS;
  for (int r = 0; r < reps; r++) {
    double t0 = now_ms();
    zr_table t;
    if (zr_arrow_read(d, n, &o, &t, NULL)) abort();
    v[r] = (now_ms() - t0) * 1e3;
    zr_table_release(&t);
  }
  return bench_median(v, reps);
}

int main(int argc, char **argv) {
  int64_t rows = argc > 1 ? atoll(argv[1]) : 10000000;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  const char *out = argc > 3 ? argv[3] : NULL;
  if (reps < 1 || reps > 63) reps = 5;
  zr_table t;
  make_table(rows, 1, &t);
  size_t len;
  uint8_t *ipc = write_mem(&t, &len);
  uint8_t *dst = malloc(len + 4096);
  memset(dst, 1, len + 4096);
  double m[64], wr[64], wf[64], rv[64], rc[64];
  for (int r = 0; r < reps; r++) {
    double t0 = now_ms();
    memcpy(dst, ipc, len);
    m[r] = now_ms() - t0;
    zr_sink *s;
    zr_sink_fixed_new(dst, len + 4096, &s, NULL);
    t0 = now_ms();
    if (zr_arrow_write(&t, NULL, s, NULL)) abort();
    wr[r] = now_ms() - t0;
    zr_sink_free(s);
    zr_sink_memory_new(NULL, &s, NULL);
    t0 = now_ms();
    if (zr_arrow_write(&t, NULL, s, NULL)) abort();
    wf[r] = now_ms() - t0;
    zr_sink_free(s);
    zr_arrow_read_opts o;
    zr_arrow_read_opts_init(&o);
    zr_table b;
    t0 = now_ms();
    if (zr_arrow_read(ipc, len, &o, &b, NULL)) abort();
    rv[r] = now_ms() - t0;
    zr_table_release(&b);
    o.copy = 1;
    t0 = now_ms();
    if (zr_arrow_read(ipc, len, &o, &b, NULL)) abort();
    rc[r] = now_ms() - t0;
    zr_table_release(&b);
  }
  double mm = bench_median(m, reps), mwr = bench_median(wr, reps), mwf = bench_median(wf, reps), mrv = bench_median(rv, reps),
         mrc = bench_median(rc, reps);
  /* zero-copy open at ~1 MB and ~1 GB */
  zr_table small, big;
  make_table(30000, 1, &small);
  size_t slen, blen;
  uint8_t *sipc = write_mem(&small, &slen);
  int nb = (int)((1ull << 30) / (len ? len : 1)) + 1;
  make_table(rows, nb, &big);
  uint8_t *bipc = write_mem(&big, &blen);
  double o1 = open_us(sipc, slen, reps), o2 = open_us(bipc, blen, reps);
  char json[2048];
  double gb = (double)len / 1e9;
  snprintf(json, sizeof json,
           "{\n  \"benchmark\": \"arrow\",\n  \"unit\": \"CPU milliseconds (median of %d), open in microseconds\",\n"
           "  \"rows\": %lld,\n  \"columns\": \"int64, float64, utf8 (16 bytes), bool\",\n  \"ipc_bytes\": %zu,\n"
           "  \"memcpy_ms\": %.2f,\n  \"write_reused_ms\": %.2f,\n  \"write_fresh_ms\": %.2f,\n"
           "  \"read_validate_full_ms\": %.2f,\n  \"read_copy_ms\": %.2f,\n"
           "  \"memcpy_gbps\": %.2f,\n  \"write_reused_gbps\": %.2f,\n  \"write_fresh_gbps\": %.2f,\n"
           "  \"read_validate_full_gbps\": %.2f,\n  \"read_copy_gbps\": %.2f,\n"
           "  \"write_reused_vs_memcpy\": %.2f,\n  \"validate_vs_memcpy\": %.2f,\n"
           "  \"open_zero_copy_us\": {\"bytes_small\": %zu, \"small_us\": %.1f, \"bytes_large\": %zu, \"large_us\": %.1f}\n}\n",
           reps, (long long)rows, len, mm, mwr, mwf, mrv, mrc, gb / (mm / 1e3), gb / (mwr / 1e3), gb / (mwf / 1e3),
           gb / (mrv / 1e3), gb / (mrc / 1e3), mm / mwr, mm / mrv, slen, o1, blen, o2);
  fputs(json, stdout);
  if (out) {
    FILE *f = fopen(out, "w");
    if (f) {
      fputs(json, f);
      fclose(f);
    }
  }
  free(sipc);
  free(bipc);
  free(ipc);
  free(dst);
  zr_table_release(&small);
  zr_table_release(&big);
  zr_table_release(&t);
  return 0;
}
