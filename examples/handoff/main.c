/* handoff: a C producer hands a table and a tensor to a Python worker through shared memory.
 *
 *   example_handoff [--small] [--rows N] [--tensor-mib M] [--worker "COMMAND"]
 *
 * Builds a table of N rows (columns id int64, price float64, qty int32, score float32) and a
 * float32 tensor of M MiB, serializes both straight into a zerial shared-memory region (the
 * table as a zerial binary document whose columns are 64-byte aligned raw arrays, written by
 * the encoder in place; the tensor as a raw region tensor), publishes the region, and runs the
 * worker (`COMMAND REGION_NAME`, e.g. `python3 worker.py`). The worker opens the region, proves
 * its numpy arrays view the mapping, computes the column means and the tensor norm, measures
 * what pickle (protocol 5, in-band) costs for the same data, and reports `key=value` lines that
 * this program checks against its own figures and prints beside its own timings. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static int die(const char *what, const zr_error *err) {
  fprintf(stderr, "handoff: %s: %s\n", what, err ? err->message : "");
  return 1;
}

typedef struct {
  char key[64];
  double val;
} kv;

static double lookup(const kv *r, int n, const char *key) {
  for (int i = 0; i < n; i++)
    if (strcmp(r[i].key, key) == 0) return r[i].val;
  return NAN;
}

static int close_to(double a, double b) { return fabs(a - b) <= 1e-6 * fmax(1.0, fabs(b)); }

int main(int argc, char **argv) {
  int64_t rows = 1000000, tensor_mib = 256;
  const char *worker = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--small") == 0) {
      rows = 10000;
      tensor_mib = 4;
    } else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
      rows = atoll(argv[++i]);
    } else if (strcmp(argv[i], "--tensor-mib") == 0 && i + 1 < argc) {
      tensor_mib = atoll(argv[++i]);
    } else if (strcmp(argv[i], "--worker") == 0 && i + 1 < argc) {
      worker = argv[++i];
    } else {
      fprintf(stderr, "usage: %s [--small] [--rows N] [--tensor-mib M] [--worker \"COMMAND\"]\n", argv[0]);
      return 2;
    }
  }
  if (rows <= 0 || tensor_mib <= 0) return die("sizes must be positive", NULL);
  zr_error err;
  char name[64];
  snprintf(name, sizeof name, "/zr_handoff_%ld", (long)getpid());

  /* ---- the producer's data, in its own memory (as an application would have it) ---- */
  double t0 = now();
  int64_t *id = malloc((size_t)rows * 8);
  double *price = malloc((size_t)rows * 8);
  int32_t *qty = malloc((size_t)rows * 4);
  float *score = malloc((size_t)rows * 4);
  int64_t tn = tensor_mib * (1 << 20) / 4;
  float *tensor = malloc((size_t)tn * 4);
  if (!id || !price || !qty || !score || !tensor) return die("out of memory", NULL);
  double sum_id = 0, sum_price = 0, sum_qty = 0, sum_score = 0, sq = 0;
  for (int64_t i = 0; i < rows; i++) {
    id[i] = i;
    price[i] = (double)(i % 1000) * 0.5 + 1.0;
    qty[i] = (int32_t)(i % 7);
    score[i] = (float)((i * 37) % 101) / 10.0f;
    sum_id += (double)id[i];
    sum_price += price[i];
    sum_qty += qty[i];
    sum_score += score[i];
  }
  for (int64_t i = 0; i < tn; i++) {
    tensor[i] = (float)(i % 1000) * 0.001f;
    sq += (double)tensor[i] * tensor[i];
  }
  double t_build = now() - t0;
  printf("producer: built a table of %lld rows (4 columns, %.1f MiB) and a float32 tensor of %lld MiB in %.1f ms\n",
         (long long)rows, (double)rows * 24 / (1 << 20), (long long)tensor_mib, t_build * 1e3);

  /* ---- the table as a binary document: a map of column name -> tensor ---- */
  zr_doc *doc = zr_doc_new(NULL);
  zr_value table = zr_map_new(doc, 4);
  struct { const char *n; zr_dtype dt; void *p; } cols[] = {
      {"id", ZR_DT_INT64, id}, {"price", ZR_DT_FLOAT64, price}, {"qty", ZR_DT_INT32, qty}, {"score", ZR_DT_FLOAT32, score}};
  for (int c = 0; c < 4; c++) {
    zr_tensor t;
    if (zr_tensor_init(&t, cols[c].dt, zr_dtype_size(cols[c].dt), 1, &rows, cols[c].p, &err)) return die("tensor", &err);
    zr_map_put_cstr(doc, &table, cols[c].n, zr_tensor_value(doc, &t));
  }
  if (zr_doc_status(doc) != ZR_OK) return die("out of memory", NULL);

  /* ---- region: sized up front so it never grows ---- */
  zr_shm_create_opts o = {.size = (uint64_t)rows * 24 + (uint64_t)tn * 4 + (1 << 20)};
  zr_shm *r = NULL;
  t0 = now();
  if (zr_shm_create(name, &o, &r, &err)) return die("create region", &err);
  double t_create = now() - t0;

  t0 = now();
  if (zr_shm_put_value(r, "table", ZR_FORMAT_ID_BINARY, &table, NULL, 0, &err)) return die("serialize table", &err);
  double t_table = now() - t0;

  t0 = now();
  zr_tensor tt;
  int64_t shape[2] = {tn / 1024, 1024};
  if (zr_tensor_init(&tt, ZR_DT_FLOAT32, 4, 2, shape, tensor, &err)) return die("tensor", &err);
  if (zr_shm_put_tensor(r, "tensor", &tt, 0, &err)) return die("serialize tensor", &err);
  double t_tensor = now() - t0;

  t0 = now();
  if (zr_shm_publish(r, &err)) return die("publish", &err);
  double t_publish = now() - t0;
  const uint8_t *base;
  uint64_t size;
  zr_shm_mapping(r, &base, &size);
  printf("producer: region %s published: %zu objects, %.1f MiB\n", name, zr_shm_count(r), (double)size / (1 << 20));

  /* ---- the worker ---- */
  int rc = 0;
  kv res[64];
  int nres = 0;
  if (worker) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s", worker, name);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) return die("cannot start the worker", NULL);
    char line[1024];
    while (fgets(line, sizeof line, p)) {
      char k[64];
      double v;
      if (sscanf(line, "ZR_RESULT %63[^=]=%lf", k, &v) == 2 && nres < 64) {
        snprintf(res[nres].key, sizeof res[nres].key, "%s", k);
        res[nres++].val = v;
      } else {
        fputs(line, stdout);
      }
    }
    int st = pclose(p);
    if (st != 0) {
      fprintf(stderr, "handoff: the worker failed (status %d)\n", st);
      rc = 1;
    }
  }

  /* ---- report ---- */
  printf("\n%-44s %12s   %s\n", "step", "zerial", "pickle protocol 5 (in-band), same data");
  printf("%-44s %9.2f ms\n", "create region (ftruncate + fallocate)", t_create * 1e3);
  printf("%-44s %9.2f ms   dumps %9.2f ms\n", "table: serialize into the region", t_table * 1e3,
         lookup(res, nres, "pickle_dumps_table_ms"));
  printf("%-44s %9.2f ms   dumps %9.2f ms\n", "tensor: serialize into the region", t_tensor * 1e3,
         lookup(res, nres, "pickle_dumps_tensor_ms"));
  printf("%-44s %9.2f ms\n", "publish (XXH3 checksums + atomic header)", t_publish * 1e3);
  printf("%-44s %9.3f ms   loads %9.2f ms\n", "worker: open region + numpy views",
         lookup(res, nres, "open_ms"), lookup(res, nres, "pickle_loads_ms"));
  printf("%-44s %9.2f ms\n", "worker: column means + tensor norm", lookup(res, nres, "compute_ms"));
  double zr_total = (t_table + t_tensor + t_publish) * 1e3 + lookup(res, nres, "open_ms");
  double pk_total = lookup(res, nres, "pickle_dumps_table_ms") + lookup(res, nres, "pickle_dumps_tensor_ms") +
                    lookup(res, nres, "pickle_loads_ms");
  printf("%-44s %9.2f ms   %9.2f ms (dumps + loads, before any transfer)\n", "hand-off total (serialize .. views)",
         zr_total, pk_total);

  if (worker) {
    double expect[5] = {sum_id / (double)rows, sum_price / (double)rows, sum_qty / (double)rows,
                        sum_score / (double)rows, sqrt(sq)};
    const char *keys[5] = {"mean_id", "mean_price", "mean_qty", "mean_score", "tensor_norm"};
    for (int k = 0; k < 5; k++) {
      double got = lookup(res, nres, keys[k]);
      int ok = close_to(got, expect[k]) || (k == 4 && fabs(got - expect[k]) <= 1e-4 * expect[k]);
      printf("check %-12s worker %.6f, producer %.6f %s\n", keys[k], got, expect[k], ok ? "ok" : "MISMATCH");
      if (!ok) rc = 1;
    }
    if (lookup(res, nres, "zero_copy") != 1.0) {
      printf("check zero_copy: the worker's arrays do not view the mapping\n");
      rc = 1;
    } else {
      printf("check zero_copy    every worker array lies inside the mapping ok\n");
    }
  }
  zr_shm_close(r);
  zr_shm_unlink(name, NULL);
  zr_doc_free(doc);
  free(id);
  free(price);
  free(qty);
  free(score);
  free(tensor);
  return rc;
}
