/* Benchmark: a large float64 tensor through .npy and pickle protocol 5 on /dev/shm.
 * Usage: bench_numpy [MiB] [reps] [dir]   (defaults 1024 MiB, 5 reps, /dev/shm)
 * Prints one JSON object of median seconds; bench/numpy_bench.py runs it beside NumPy. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "zerial/numpy.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const zr_error *e) {
  fprintf(stderr, "%s: %s\n", what, e ? e->message : "");
  exit(1);
}

/* write to a file with an fd sink; returns seconds */
static double write_npy(const zr_tensor *t, const char *path) {
  double t0 = now();
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  zr_sink *s;
  zr_error e;
  if (fd < 0 || zr_sink_fd_new(fd, &s, &e) != ZR_OK) die("open", NULL);
  if (zr_npy_encode(t, s, &e) != ZR_OK || zr_sink_finish(s, &e) != ZR_OK) die("npy encode", &e);
  zr_sink_free(s);
  close(fd);
  return now() - t0;
}

static double write_pickle(const zr_value *v, const char *path) {
  double t0 = now();
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  zr_sink *s;
  zr_error e;
  if (fd < 0 || zr_sink_fd_new(fd, &s, &e) != ZR_OK) die("open", NULL);
  if (zr_pickle_encode(v, NULL, s, NULL, NULL, &e) != ZR_OK || zr_sink_finish(s, &e) != ZR_OK) die("pickle encode", &e);
  zr_sink_free(s);
  close(fd);
  return now() - t0;
}

/* open: mmap + zero-copy decode, touching nothing of the data */
static double open_npy(const char *path, int copy, double *checksum) {
  double t0 = now();
  int fd = open(path, O_RDONLY);
  struct stat st;
  fstat(fd, &st);
  void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (m == MAP_FAILED) die("mmap", NULL);
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.copy = copy;
  o.max_bytes = UINT64_MAX;
  zr_doc *doc;
  zr_error e;
  if (zr_npy_decode(m, (size_t)st.st_size, &o, NULL, &doc, &e) != ZR_OK) die("npy decode", &e);
  const zr_tensor *t = zr_doc_root(doc)->u.tensor;
  double x;
  memcpy(&x, (const uint8_t *)t->data + t->nbytes - 8, 8);
  double dt = now() - t0;
  *checksum += x;
  zr_doc_free(doc);
  munmap(m, (size_t)st.st_size);
  return dt;
}

static double open_pickle(const char *path, double *checksum) {
  double t0 = now();
  int fd = open(path, O_RDONLY);
  struct stat st;
  fstat(fd, &st);
  void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.max_bytes = UINT64_MAX;
  zr_doc *doc;
  zr_error e;
  if (zr_pickle_decode(m, (size_t)st.st_size, NULL, 0, &o, &doc, &e) != ZR_OK) die("pickle decode", &e);
  const zr_tensor *t = zr_doc_root(doc)->u.tensor;
  double x;
  memcpy(&x, (const uint8_t *)t->data + t->nbytes - 8, 8);
  double dt = now() - t0;
  *checksum += x;
  zr_doc_free(doc);
  munmap(m, (size_t)st.st_size);
  return dt;
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 1024;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  const char *dir = argc > 3 ? argv[3] : "/dev/shm";
  if (reps < 1 || reps > 50) reps = 5;
  size_t n = mib * 1024 * 1024 / 8;
  /* the array gets the memory treatment NumPy gives its own (numpy >= 1.22 on Linux: large
   * allocations madvise(MADV_HUGEPAGE)), so both sides write from the same kind of pages */
  size_t huge = (size_t)2 << 20, alen = (n * 8 + huge - 1) / huge * huge;
  double *a = NULL;
  if (posix_memalign((void **)&a, huge, alen) != 0) die("alloc", NULL);
  madvise(a, alen, MADV_HUGEPAGE);
  for (size_t i = 0; i < n; i++) a[i] = (double)i * 0.5;
  zr_tensor t;
  int64_t shape[1] = {(int64_t)n};
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 1, shape, a, NULL);
  char npy[512], pk[512];
  snprintf(npy, sizeof npy, "%s/zr_bench_numpy.npy", dir);
  snprintf(pk, sizeof pk, "%s/zr_bench_numpy.pkl", dir);
  zr_doc *vd = zr_doc_new(NULL);
  zr_value v = zr_tensor_value(vd, &t);
  double w[50], o[50], oc[50], pw_[50], po[50], oob[50], sum = 0;
  for (int r = 0; r < reps; r++) {
    w[r] = write_npy(&t, npy);
    o[r] = open_npy(npy, 0, &sum);
    oc[r] = open_npy(npy, 1, &sum);
    pw_[r] = write_pickle(&v, pk);
    po[r] = open_pickle(pk, &sum);
    /* out of band: the pickle stream alone (the buffer is the tensor's own memory) */
    double t0 = now();
    zr_sink *s;
    zr_sink_memory_new(NULL, &s, NULL);
    zr_pickle_opts popt = {.out_of_band = 1};
    zr_pickle_buffer *bufs;
    size_t nb;
    zr_error e;
    if (zr_pickle_encode(&v, &popt, s, &bufs, &nb, &e) != ZR_OK) die("oob", &e);
    oob[r] = now() - t0;
    zr_free(bufs);
    zr_sink_free(s);
  }
  printf("{\"bytes\": %zu, \"reps\": %d, \"dir\": \"%s\", \"zerial_npy_write_s\": %.6f, \"zerial_npy_open_zero_copy_s\": %.9f, "
         "\"zerial_npy_open_copy_s\": %.6f, \"zerial_pickle5_inband_write_s\": %.6f, \"zerial_pickle5_inband_open_zero_copy_s\": %.9f, "
         "\"zerial_pickle5_oob_encode_s\": %.9f, \"checksum\": %.1f}\n",
         n * 8, reps, dir, bench_median(w, reps), bench_median(o, reps), bench_median(oc, reps), bench_median(pw_, reps), bench_median(po, reps), bench_median(oob, reps), sum);
  unlink(npy);
  unlink(pk);
  zr_doc_free(vd);
  free(a);
  return 0;
}
