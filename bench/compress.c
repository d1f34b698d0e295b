/* Compression benchmark: zerial's codec layer against the raw libraries (liblz4, libzstd,
 * libdeflate, zlib) and c-blosc, in the same run, on 64 MiB of
 *   walk    float64 random walk
 *   times   int64 timestamps with small deltas
 *   records a record-like byte stream (JSON-ish rows with ids, names, scores, tags)
 * plus shuffle throughput against memcpy of the same buffer.
 *
 * Usage: bench_compress [--mib N] [--runs N] [--json PATH] [--only lz4|zstd|gzip] [--ab] [--lz4-bound]
 * --ab: interleaved A/B runs instead of the table: zerial against the raw library without the
 * shuffle, and zerial against c-blosc with it and without it (see bench_ab()).
 * --lz4-bound: how fast liblz4 alone can compress the byte-shuffled rows at c-blosc's ratio, the
 * ceiling of any writer built on it (see bench_lz4_bound()).
 * Speeds are given by wall clock and by CPU time of the process (the machine may be loaded).
 * Every figure is the median of --runs runs (default 5). Speeds are MB/s of uncompressed data. */
#include <libdeflate.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lz4hc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#include "bench_util.h"
#include "zerial/codec.h"
#include "zerial/zerial.h"
#ifdef ZR_HAVE_BLOSC
#include <blosc.h>
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x1234567;
static uint64_t rnd(void) {
  uint64_t z = (rng += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static void gen_walk(uint8_t *b, size_t n) {
  double x = 1000.0;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    x += ((double)(rnd() % 20001) - 10000.0) * 1e-4;
    x = round(x * 1e4) / 1e4; /* prices with 4 decimals */
    memcpy(b + i, &x, 8);
  }
}
static void gen_times(uint8_t *b, size_t n) {
  int64_t t = 1700000000000000000;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    t += 1000000 + (int64_t)(rnd() % 1000);
    memcpy(b + i, &t, 8);
  }
}
static void gen_records(uint8_t *b, size_t n) {
  static const char *names[] = {"alice", "bob", "carol", "dave", "eve", "mallory", "trent", "peggy"};
  static const char *tags[] = {"red", "green", "blue", "prod", "staging", "eu-west", "us-east", "batch"};
  size_t pos = 0;
  uint64_t id = 100000;
  while (pos < n) {
    char row[256];
    int l = snprintf(row, sizeof row, "{\"id\":%llu,\"name\":\"%s\",\"score\":%.3f,\"active\":%s,\"tags\":[\"%s\",\"%s\"]}\n",
                     (unsigned long long)id++, names[rnd() % 8], (double)(rnd() % 100000) / 1000.0,
                     rnd() % 2 ? "true" : "false", tags[rnd() % 8], tags[rnd() % 8]);
    size_t c = (size_t)l < n - pos ? (size_t)l : n - pos;
    memcpy(b + pos, row, c);
    pos += c;
  }
}

typedef struct result {
  char dataset[16], name[48];
  double ratio, c_mbs, d_mbs;    /* wall clock */
  double c_cpu, d_cpu;           /* CPU time of the process (all threads) */
} result;
static result results[256];
static int nresults;
static int RUNS = 5;
static const char *ONLY;
static unsigned ACCEL;      /* --accel N: LZ4 acceleration (0: default) */
static uint32_t BLOCK_SIZE; /* --block KiB: zerial block size (0: the codec's default) */ /* --only CODEC: benchmark one codec */
/* CPU seconds of the last TIME()s, per run, for the compress (ct) and decompress (dt) arrays */
static double cct[16], cdt[16];

static void record(const char *ds, const char *name, size_t raw, size_t z, double *ct, double *dt, int runs) {
  result *r = &results[nresults++];
  snprintf(r->dataset, sizeof r->dataset, "%s", ds);
  snprintf(r->name, sizeof r->name, "%s", name);
  r->ratio = (double)raw / (double)z;
  r->c_mbs = (double)raw / 1e6 / bench_median(ct, runs);
  r->d_mbs = dt ? (double)raw / 1e6 / bench_median(dt, runs) : 0;
  r->c_cpu = (double)raw / 1e6 / bench_median(cct, runs);
  r->d_cpu = dt ? (double)raw / 1e6 / bench_median(cdt, runs) : 0;
  printf("%-8s %-34s ratio %7.3f  compress %6.0f MB/s (cpu %6.0f)  decompress %6.0f MB/s (cpu %6.0f)\n", ds, name,
         r->ratio, r->c_mbs, r->c_cpu, r->d_mbs, r->d_cpu);
  fflush(stdout);
}

/* Wall seconds of expr; the CPU seconds go to *cpu_slot_. */
#define TIMEC(cpu_slot_, expr)                                                                     \
  ({                                                                                              \
    double c0_ = cpu_now(), t0_ = now();                                                          \
    expr;                                                                                         \
    double t1_ = now();                                                                           \
    *(cpu_slot_) = cpu_now() - c0_;                                                               \
    t1_ - t0_;                                                                                    \
  })
static double cpu_sink_ __attribute__((unused));
#define TIME(expr) TIMEC(&cpu_sink_, expr)

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "bench: %s failed\n", what);
    exit(1);
  }
}

/* ---- raw libraries ---- */
static size_t raw_lz4(const uint8_t *in, size_t n, uint8_t *out, size_t cap, int level) {
  LZ4F_preferences_t p;
  memset(&p, 0, sizeof p);
  p.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  p.frameInfo.blockSizeID = LZ4F_max4MB;
  p.frameInfo.contentSize = n;
  p.compressionLevel = level;
  size_t r = LZ4F_compressFrame(out, cap, in, n, &p);
  check(!LZ4F_isError(r), "LZ4F_compressFrame");
  return r;
}
static void raw_unlz4(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  LZ4F_dctx *d;
  LZ4F_createDecompressionContext(&d, LZ4F_VERSION);
  size_t dn = cap, sn = n;
  size_t r = LZ4F_decompress(d, out, &dn, in, &sn, NULL);
  check(r == 0 && dn == cap, "LZ4F_decompress");
  LZ4F_freeDecompressionContext(d);
}
static size_t raw_zstd(const uint8_t *in, size_t n, uint8_t *out, size_t cap, int level) {
  ZSTD_CCtx *c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
  size_t r = ZSTD_compress2(c, out, cap, in, n);
  check(!ZSTD_isError(r), "ZSTD_compress2");
  ZSTD_freeCCtx(c);
  return r;
}
static void raw_unzstd(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  size_t r = ZSTD_decompress(out, cap, in, n);
  check(r == cap, "ZSTD_decompress");
}
static size_t raw_libdeflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap, int level) {
  struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
  size_t r = libdeflate_gzip_compress(c, in, n, out, cap);
  libdeflate_free_compressor(c);
  check(r > 0, "libdeflate_gzip_compress");
  return r;
}
static void raw_unlibdeflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
  size_t got = 0;
  check(libdeflate_gzip_decompress(d, in, n, out, cap, &got) == LIBDEFLATE_SUCCESS && got == cap, "libdeflate");
  libdeflate_free_decompressor(d);
}
static size_t raw_zlib(const uint8_t *in, size_t n, uint8_t *out, size_t cap, int level) {
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (Bytef *)(uintptr_t)in;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  check(deflate(&z, Z_FINISH) == Z_STREAM_END, "zlib deflate");
  size_t r = z.total_out;
  deflateEnd(&z);
  return r;
}
static void raw_unzlib(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  z_stream z;
  memset(&z, 0, sizeof z);
  inflateInit2(&z, 16 + 15);
  z.next_in = (Bytef *)(uintptr_t)in;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  check(inflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out == cap, "zlib inflate");
  inflateEnd(&z);
}

/* ---- zerial ---- */
static size_t zr_blocks(const uint8_t *in, size_t n, uint8_t *out, size_t cap, int codec, int level, int filter,
                        unsigned threads, zr_codec_pool *pool) {
  zr_codec_opts o;
  memset(&o, 0, sizeof o);
  o.codec = codec;
  o.level = level;
  o.filter = filter;
  o.typesize = 8;
  o.threads = threads;
  o.block_size = BLOCK_SIZE;
  o.acceleration = ACCEL;
  zr_sink *s = NULL;
  zr_sink_fixed_new(out, cap, &s, NULL);
  size_t zn = 0;
  zr_error e;
  if (zr_codec_blocks_compress(in, n, &o, pool, s, &zn, NULL, &e) != ZR_OK) {
    fprintf(stderr, "zr_codec_blocks_compress: %s\n", e.message);
    exit(1);
  }
  zr_sink_free(s);
  return zn;
}

static void bench_dataset(const char *ds, const uint8_t *in, size_t n, uint8_t *z, size_t zcap, uint8_t *back,
                          zr_codec_pool *pool) {
  double ct[16], dt[16];
  size_t zn = 0;
  int runs = RUNS;
  struct {
    int codec, level;
    const char *blosc_name;
    int blosc_clevel;
  } cfg[] = {{ZR_CODEC_LZ4, 1, "lz4", 5}, {ZR_CODEC_ZSTD, 1, "zstd", 1}, {ZR_CODEC_GZIP, 6, "zlib", 5}};
  for (size_t ci = 0; ci < sizeof cfg / sizeof *cfg; ci++) {
    int c = cfg[ci].codec, lv = cfg[ci].level;
    const char *cn = zr_codec_info_get(c)->name;
    if (ONLY && strcmp(ONLY, cn) != 0) continue;
    char name[64];
    runs = c == ZR_CODEC_GZIP ? (RUNS < 3 ? RUNS : 3) : RUNS;
    /* raw library, one frame */
    for (int r = 0; r < runs; r++) {
      if (c == ZR_CODEC_LZ4) {
        ct[r] = TIMEC(&cct[r], zn = raw_lz4(in, n, z, zcap, lv));
        dt[r] = TIMEC(&cdt[r], raw_unlz4(z, zn, back, n));
      } else if (c == ZR_CODEC_ZSTD) {
        ct[r] = TIMEC(&cct[r], zn = raw_zstd(in, n, z, zcap, lv));
        dt[r] = TIMEC(&cdt[r], raw_unzstd(z, zn, back, n));
      } else {
        ct[r] = TIMEC(&cct[r], zn = raw_libdeflate(in, n, z, zcap, lv));
        dt[r] = TIMEC(&cdt[r], raw_unlibdeflate(z, zn, back, n));
      }
    }
    snprintf(name, sizeof name, "raw %s %d", c == ZR_CODEC_GZIP ? "libdeflate-gzip" : cn, lv);
    record(ds, name, n, zn, ct, dt, runs);
    if (c == ZR_CODEC_GZIP) {
      for (int r = 0; r < runs; r++) {
        ct[r] = TIMEC(&cct[r], zn = raw_zlib(in, n, z, zcap, lv));
        dt[r] = TIMEC(&cdt[r], raw_unzlib(z, zn, back, n));
      }
      snprintf(name, sizeof name, "raw zlib-gzip %d", lv);
      record(ds, name, n, zn, ct, dt, runs);
    }
    /* zerial one frame, no filter */
    for (int r = 0; r < runs; r++) {
      ct[r] = TIMEC(&cct[r], check(zr_codec_compress(c, lv, in, n, z, zcap, &zn, NULL) == ZR_OK, "zr_codec_compress"));
      size_t bn = 0;
      dt[r] = TIMEC(&cdt[r], check(zr_codec_decompress(c, z, zn, back, n, &bn, NULL) == ZR_OK && bn == n, "zr_codec_decompress"));
    }
    check(memcmp(back, in, n) == 0, "round trip");
    snprintf(name, sizeof name, "zerial %s %d frame", cn, lv);
    record(ds, name, n, zn, ct, dt, runs);
    /* zerial blocks: none / byte / bit shuffle, 1 thread; byte shuffle with the pool */
    for (int f = 0; f < 4; f++) {
      int filter = f == 3 ? ZR_FILTER_SHUFFLE : f;
      for (int r = 0; r < runs; r++) {
        ct[r] = TIMEC(&cct[r], zn = zr_blocks(in, n, z, zcap, c, lv, filter, 1, f == 3 ? pool : NULL));
        size_t bn = 0;
        dt[r] = TIMEC(&cdt[r], check(zr_codec_blocks_decompress(z, zn, 1, f == 3 ? pool : NULL, back, n, &bn, NULL) == ZR_OK,
                           "blocks decompress"));
      }
      check(memcmp(back, in, n) == 0, "round trip");
      snprintf(name, sizeof name, "zerial %s %d blocks %s%s", cn, lv, zr_filter_name(filter), f == 3 ? " 2 threads" : "");
      record(ds, name, n, zn, ct, dt, runs);
    }
#ifdef ZR_HAVE_BLOSC
    for (int f = 1; f <= 2; f++) {
      int bz = 0;
      for (int r = 0; r < runs; r++) {
        ct[r] = TIMEC(&cct[r], bz = blosc_compress_ctx(cfg[ci].blosc_clevel, f, 8, n, in, z, zcap, cfg[ci].blosc_name, 0, 1));
        check(bz > 0, "blosc_compress_ctx");
        dt[r] = TIMEC(&cdt[r], check(blosc_decompress_ctx(z, back, n, 1) == (int)n, "blosc_decompress_ctx"));
      }
      check(memcmp(back, in, n) == 0, "blosc round trip");
      {
        size_t nb_ = 0, cb_ = 0, bs_ = 0;
        blosc_cbuffer_sizes(z, &nb_, &cb_, &bs_);
        printf("         (blosc block size %zu KiB)\n", bs_ >> 10);
      }
      snprintf(name, sizeof name, "blosc %s clevel %d %s", cfg[ci].blosc_name, cfg[ci].blosc_clevel, f == 1 ? "byte" : "bit");
      record(ds, name, n, (size_t)bz, ct, dt, runs);
    }
#endif
  }
}

/* ---- --ab: interleaved A/B runs ----
 * Every run times each variant once (CPU time of the process, compression then decompression), in
 * an order rotated from run to run, after one warm-up run that is not counted. For each pair the
 * per-run ratio of CPU times is taken and the median of those ratios is reported with its spread
 * (min … max and the interquartile range), so that load changes between runs hit both sides. */
enum { AB_RAW, AB_FRAME, AB_NONE, AB_BYTE, AB_BLOSC, AB_BLOSC_NONE, AB_N };
static const char *ab_names[AB_N] = {"raw",        "zerial frame", "zerial blocks none", "zerial blocks byte",
                                     "blosc byte", "blosc none"};

typedef struct ab_row {
  char dataset[16], codec[8], what[48];
  double c_med, c_lo, c_q1, c_q3, c_hi; /* per-run CPU-time ratio B/A (compression): > 1 means A is faster */
  double d_med, d_lo, d_q1, d_q3, d_hi; /* same for decompression */
  double ratio_a, ratio_b;
} ab_row;
static ab_row ab_rows[64];
static int ab_nrows;

static void ab_stats(double *v, int n, double *med, double *lo, double *q1, double *q3, double *hi) {
  qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
  *lo = v[0];
  *hi = v[n - 1];
  *q1 = v[(n - 1) / 4];
  *q3 = v[n - 1 - (n - 1) / 4];
  *med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Statistics of the per-run ratios num[r] / den[r] over RUNS runs (see ab_stats()). */
static void ratio_stats(const double *num, const double *den, double *med, double *lo, double *q1, double *q3,
                        double *hi) {
  double q[16];
  for (int r = 0; r < RUNS; r++) q[r] = num[r] / den[r];
  ab_stats(q, RUNS, med, lo, q1, q3, hi);
}

static void bench_ab(const char *ds, const uint8_t *in, size_t n, uint8_t *z, size_t zcap, uint8_t *back) {
  struct {
    int codec, level, blosc_clevel;
    const char *blosc_name;
  } cfg[] = {{ZR_CODEC_LZ4, 1, 5, "lz4"}, {ZR_CODEC_ZSTD, 1, 1, "zstd"}, {ZR_CODEC_GZIP, 6, 5, "zlib"}};
  for (size_t ci = 0; ci < sizeof cfg / sizeof *cfg; ci++) {
    int c = cfg[ci].codec, lv = cfg[ci].level;
    const char *cn = zr_codec_info_get(c)->name;
    if (ONLY && strcmp(ONLY, cn) != 0) continue;
    int nv = AB_N;
#ifndef ZR_HAVE_BLOSC
    nv = AB_BLOSC;
#endif
    double ct[AB_N][16], dt[AB_N][16];
    size_t zn[AB_N] = {0};
    for (int r = -1; r < RUNS; r++) {
      for (int k = 0; k < nv; k++) {
        int v = (k + (r < 0 ? 0 : r)) % nv;
        double c0 = cpu_now();
        size_t m = 0;
        switch (v) {
          case AB_RAW:
            m = c == ZR_CODEC_LZ4 ? raw_lz4(in, n, z, zcap, lv) : c == ZR_CODEC_ZSTD ? raw_zstd(in, n, z, zcap, lv)
                                                                : raw_libdeflate(in, n, z, zcap, lv);
            break;
          case AB_FRAME: check(zr_codec_compress(c, lv, in, n, z, zcap, &m, NULL) == ZR_OK, "zr_codec_compress"); break;
          case AB_NONE: m = zr_blocks(in, n, z, zcap, c, lv, ZR_FILTER_NONE, 1, NULL); break;
          case AB_BYTE: m = zr_blocks(in, n, z, zcap, c, lv, ZR_FILTER_SHUFFLE, 1, NULL); break;
#ifdef ZR_HAVE_BLOSC
          case AB_BLOSC:
          case AB_BLOSC_NONE: {
            int bz = blosc_compress_ctx(cfg[ci].blosc_clevel, v == AB_BLOSC, 8, n, in, z, zcap, cfg[ci].blosc_name, 0, 1);
            check(bz > 0, "blosc_compress_ctx");
            m = (size_t)bz;
            break;
          }
#endif
        }
        double c1 = cpu_now();
        size_t bn = 0;
        switch (v) {
          case AB_RAW:
            if (c == ZR_CODEC_LZ4) raw_unlz4(z, m, back, n);
            else if (c == ZR_CODEC_ZSTD) raw_unzstd(z, m, back, n);
            else raw_unlibdeflate(z, m, back, n);
            break;
          case AB_FRAME:
            check(zr_codec_decompress(c, z, m, back, n, &bn, NULL) == ZR_OK && bn == n, "zr_codec_decompress");
            break;
          case AB_NONE:
          case AB_BYTE:
            check(zr_codec_blocks_decompress(z, m, 1, NULL, back, n, &bn, NULL) == ZR_OK && bn == n, "blocks decompress");
            break;
#ifdef ZR_HAVE_BLOSC
          case AB_BLOSC:
          case AB_BLOSC_NONE: check(blosc_decompress_ctx(z, back, n, 1) == (int)n, "blosc_decompress_ctx"); break;
#endif
        }
        double c2 = cpu_now();
        if (r < 0) check(memcmp(back, in, n) == 0, "round trip");
        else {
          ct[v][r] = c1 - c0;
          dt[v][r] = c2 - c1;
        }
        zn[v] = m;
      }
    }
    static const int pairs[][2] = {{AB_FRAME, AB_RAW}, {AB_NONE, AB_RAW}, {AB_BYTE, AB_BLOSC}, {AB_NONE, AB_BLOSC_NONE}};
    for (size_t p = 0; p < sizeof pairs / sizeof *pairs; p++) {
      int a = pairs[p][0], b = pairs[p][1];
      if (b >= nv) continue;
      ab_row *row = &ab_rows[ab_nrows++];
      snprintf(row->dataset, sizeof row->dataset, "%s", ds);
      snprintf(row->codec, sizeof row->codec, "%s", cn);
      snprintf(row->what, sizeof row->what, "%s / %s", ab_names[a], ab_names[b]);
      ratio_stats(ct[b], ct[a], &row->c_med, &row->c_lo, &row->c_q1, &row->c_q3, &row->c_hi);
      ratio_stats(dt[b], dt[a], &row->d_med, &row->d_lo, &row->d_q1, &row->d_q3, &row->d_hi);
      row->ratio_a = (double)n / (double)zn[a];
      row->ratio_b = (double)n / (double)zn[b];
      double mc_a = bench_median(ct[a], RUNS), mc_b = bench_median(ct[b], RUNS);
      printf("%-8s %-5s %-40s ratio %7.3f vs %7.3f  compress speed x%.3f [%.3f..%.3f, IQR %.3f..%.3f] (cpu %5.0f vs %5.0f MB/s)"
             "  decompress x%.3f [%.3f..%.3f]\n",
             ds, cn, row->what, row->ratio_a, row->ratio_b, row->c_med, row->c_lo, row->c_hi, row->c_q1, row->c_q3,
             (double)n / 1e6 / mc_a, (double)n / 1e6 / mc_b, row->d_med, row->d_lo, row->d_hi);
      fflush(stdout);
    }
  }
}

/* ---- --lz4-bound: the ceiling of liblz4 on byte-shuffled rows ----
 * Whatever a writer does around it, the byte-shuffled LZ4 container spends its time in liblz4's
 * compressor on the rows of the shuffled blocks. This mode shuffles every 1 MiB block once (not
 * timed) and then times liblz4 alone on the rows, cut into streams of 32 KiB … 1 MiB (streams under
 * 64 KiB take liblz4's 16-bit table and 4-byte hash, longer ones its 32-bit table and 5-byte hash)
 * at accelerations 1 … 16, plus the HC compressor at its lowest level, interleaved with c-blosc
 * (byte shuffle + LZ4, clevel 5) on the unshuffled data. It reports each configuration's ratio and
 * its speed relative to blosc (median of per-run CPU-time ratios), then the ceiling: the fastest
 * configuration, or mix of two configurations over parts of the data (a linear programme with one
 * size constraint has an optimum on at most two), whose ratio is still at least blosc's. Our
 * writer's shuffle, container and checksums come on top of that time, so its speed is below it. */
#ifdef ZR_HAVE_BLOSC
typedef struct lz4b_cfg {
  size_t stream; /* bytes per stream */
  int accel;     /* acceleration; 0: HC at LZ4HC_CLEVEL_MIN */
} lz4b_cfg;

static const char *lz4b_name(const lz4b_cfg *c, char *buf, size_t cap) {
  if (c->accel) snprintf(buf, cap, "lz4 accel %d", c->accel);
  else snprintf(buf, cap, "lz4hc level %d", LZ4HC_CLEVEL_MIN);
  return buf;
}

static size_t lz4b_run(const lz4b_cfg *c, void *state, const uint8_t *sh, size_t n, uint8_t *out) {
  size_t total = 0;
  for (size_t o = 0; o < n; o += c->stream) {
    int sn = (int)(n - o < c->stream ? n - o : c->stream);
    int z = c->accel ? LZ4_compress_fast_extState(state, (const char *)sh + o, (char *)out, sn, sn - 1, c->accel)
                     : LZ4_compress_HC_extStateHC(state, (const char *)sh + o, (char *)out, sn, sn - 1, LZ4HC_CLEVEL_MIN);
    total += z > 0 ? (size_t)z : (size_t)sn; /* a stream that does not shrink is stored */
  }
  return total;
}

static void bench_lz4_bound(const char *ds, const uint8_t *in, size_t n, uint8_t *sh, uint8_t *out, size_t cap) {
  enum { NCFG = 4 * 8 + 1 };
  static const size_t streams[4] = {32u << 10, 64u << 10, 128u << 10, 1u << 20};
  static const int accels[8] = {1, 2, 3, 4, 5, 6, 8, 16};
  lz4b_cfg cfg[NCFG];
  int nc = 0;
  for (int s = 0; s < 4; s++)
    for (int a = 0; a < 8; a++) cfg[nc++] = (lz4b_cfg){streams[s], accels[a]};
  cfg[nc++] = (lz4b_cfg){128u << 10, 0};
  size_t bs = 1u << 20;
  for (size_t o = 0; o < n; o += bs) zr_shuffle(ZR_SIMD_AUTO, 8, in + o, sh + o, n - o < bs ? n - o : bs);
  int ssz = LZ4_sizeofState() > LZ4_sizeofStateHC() ? LZ4_sizeofState() : LZ4_sizeofStateHC();
  void *state = malloc((size_t)ssz);
  check(state != NULL, "malloc");
  double t[NCFG + 2][16]; /* [nc]: blosc, [nc + 1]: our writer (zr_codec_blocks_compress, byte shuffle, level 1) */
  size_t zn[NCFG + 2];
  for (int r = -1; r < RUNS; r++) {
    for (int k = 0; k <= nc + 1; k++) {
      int v = (k + (r < 0 ? 0 : r)) % (nc + 2);
      double c0 = cpu_now();
      if (v == nc + 1) {
        zn[v] = zr_blocks(in, n, out, cap, ZR_CODEC_LZ4, 1, ZR_FILTER_SHUFFLE, 1, NULL);
      } else if (v == nc) {
        int bz = blosc_compress_ctx(5, 1, 8, n, in, out, cap, "lz4", 0, 1);
        check(bz > 0, "blosc_compress_ctx");
        zn[v] = (size_t)bz;
      } else {
        zn[v] = lz4b_run(&cfg[v], state, sh, n, out);
      }
      if (r >= 0) t[v][r] = cpu_now() - c0;
    }
  }
  free(state);
  double rb = (double)n / (double)zn[nc], tb = bench_median(t[nc], RUNS);
  double ratio[NCFG], tm[NCFG]; /* ratio; median CPU time relative to blosc's */
  printf("%-8s blosc byte lz4 clevel 5: ratio %.3f, %.0f MB/s (cpu)\n", ds, rb, (double)n / 1e6 / tb);
  double lo, q1, q3, hi, med;
  char name[32], name2[32];
  for (int k = 0; k < nc; k++) {
    ratio_stats(t[nc], t[k], &med, &lo, &q1, &q3, &hi);
    ratio[k] = (double)n / (double)zn[k];
    tm[k] = 1.0 / med;
    printf("%-8s   %-16s streams %4zu KiB: ratio %.3f  speed x%.3f blosc [IQR %.3f..%.3f]%s\n", ds,
           lz4b_name(&cfg[k], name, sizeof name), cfg[k].stream >> 10, ratio[k], med, q1, q3,
           ratio[k] >= rb ? "" : "  (ratio below blosc's)");
  }
  ratio_stats(t[nc], t[nc + 1], &med, &lo, &q1, &q3, &hi);
  printf("%-8s   zerial blocks byte (shuffle, container, checks): ratio %.3f  speed x%.3f blosc [IQR %.3f..%.3f]\n", ds,
         (double)n / (double)zn[nc + 1], med, q1, q3);
  /* the ceiling: min time per byte subject to compressed size <= blosc's, over pairs mixed by fraction */
  double best = 0;
  int bi = -1, bj = -1;
  double bf = 1;
  for (int i = 0; i < nc; i++) {
    for (int j = 0; j < nc; j++) {
      double si = 1 / ratio[i], sj = 1 / ratio[j], sb = 1 / rb, f;
      if (si > sb) continue;           /* i carries the ratio */
      if (sj <= sb) f = 0;             /* j alone is enough: take it whole */
      else f = (sj - sb) / (sj - si);  /* smallest share of i that keeps the size */
      double speed = 1 / (f * tm[i] + (1 - f) * tm[j]);
      if (speed > best) best = speed, bi = i, bj = j, bf = f;
    }
  }
  if (bi < 0) {
    printf("%-8s ceiling: no configuration reaches blosc's ratio\n", ds);
  } else {
    printf("%-8s ceiling at ratio >= %.3f: liblz4 alone reaches x%.3f blosc's speed (%.0f%% of bytes as streams of %zu KiB"
           " by %s, %.0f%% as streams of %zu KiB by %s)\n",
           ds, rb, best, 100 * bf, cfg[bi].stream >> 10, lz4b_name(&cfg[bi], name, sizeof name), 100 * (1 - bf),
           cfg[bj].stream >> 10, lz4b_name(&cfg[bj], name2, sizeof name2));
  }
  fflush(stdout);
}
#endif

static void naive_shuffle(size_t T, const uint8_t *s, uint8_t *d, size_t len) {
  size_t n = len / T;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < T; k++) d[k * n + i] = s[i * T + k];
}

static double shuffle_figs[8], shuffle_cpu[8];

static void bench_shuffle(const uint8_t *in, size_t n, uint8_t *out) {
  double t[16], ct_[16];
  const char *names[] = {"memcpy", "naive loop", "zr_shuffle scalar", "zr_shuffle sse2", "zr_shuffle avx2",
                         "zr_unshuffle auto", "zr_bitshuffle auto", "zr_bitunshuffle auto"};
  for (int k = 0; k < 8; k++) {
    for (int r = 0; r < RUNS; r++) {
      switch (k) {
        case 0: t[r] = TIMEC(&ct_[r], memcpy(out, in, n)); break;
        case 1: t[r] = TIMEC(&ct_[r], naive_shuffle(8, in, out, n)); break;
        case 2: t[r] = TIMEC(&ct_[r], zr_shuffle(ZR_SIMD_SCALAR, 8, in, out, n)); break;
        case 3: t[r] = TIMEC(&ct_[r], zr_shuffle(ZR_SIMD_SSE2, 8, in, out, n)); break;
        case 4: t[r] = TIMEC(&ct_[r], zr_shuffle(ZR_SIMD_AVX2, 8, in, out, n)); break;
        case 5: t[r] = TIMEC(&ct_[r], zr_unshuffle(ZR_SIMD_AUTO, 8, in, out, n)); break;
        case 6: t[r] = TIMEC(&ct_[r], zr_bitshuffle(ZR_SIMD_AUTO, 8, in, out, n)); break;
        case 7: t[r] = TIMEC(&ct_[r], zr_bitunshuffle(ZR_SIMD_AUTO, 8, in, out, n)); break;
      }
      __asm__ volatile("" ::"r"(out) : "memory");
    }
    shuffle_figs[k] = (double)n / 1e6 / bench_median(t, RUNS);
    shuffle_cpu[k] = (double)n / 1e6 / bench_median(ct_, RUNS);
    printf("shuffle  %-22s %8.0f MB/s  (%.2fx memcpy)   cpu %8.0f MB/s  (%.2fx memcpy)\n", names[k], shuffle_figs[k],
           shuffle_figs[k] / shuffle_figs[0], shuffle_cpu[k], shuffle_cpu[k] / shuffle_cpu[0]);
  }
}

static void write_ab_json(const char *json, size_t mib) {
  FILE *f = fopen(json, "w");
  check(f != NULL, "open json");
  fprintf(f, "{\n  \"benchmark\": \"compress --ab\",\n  \"mib_per_dataset\": %zu,\n  \"runs\": %d,\n  \"clock\": \"cpu\",\n"
             "  \"note\": \"speed_x = median over runs of cpu(b)/cpu(a); > 1 means a is faster\",\n  \"pairs\": [\n", mib, RUNS);
  for (int i = 0; i < ab_nrows; i++) {
    ab_row *r = &ab_rows[i];
    fprintf(f, "    {\"dataset\": \"%s\", \"codec\": \"%s\", \"pair\": \"%s\", \"ratio_a\": %.3f, \"ratio_b\": %.3f, "
               "\"compress_speed_x\": %.3f, \"compress_min\": %.3f, \"compress_q1\": %.3f, \"compress_q3\": %.3f, \"compress_max\": %.3f, "
               "\"decompress_speed_x\": %.3f, \"decompress_min\": %.3f, \"decompress_max\": %.3f}%s\n",
            r->dataset, r->codec, r->what, r->ratio_a, r->ratio_b, r->c_med, r->c_lo, r->c_q1, r->c_q3, r->c_hi, r->d_med,
            r->d_lo, r->d_hi, i + 1 < ab_nrows ? "," : "");
  }
  fprintf(f, "  ]\n}\n");
  fclose(f);
}

static void write_table_json(const char *json, size_t mib) {
  FILE *f = fopen(json, "w");
  check(f != NULL, "open json");
  fprintf(f, "{\n  \"benchmark\": \"compress\",\n  \"mib_per_dataset\": %zu,\n  \"runs\": %d,\n  \"simd\": %d,\n", mib, RUNS,
          (int)zr_simd_detect());
  fprintf(f, "  \"shuffle_mbs\": {\"memcpy\": %.0f, \"naive\": %.0f, \"scalar\": %.0f, \"sse2\": %.0f, \"avx2\": %.0f, "
             "\"unshuffle\": %.0f, \"bitshuffle\": %.0f, \"bitunshuffle\": %.0f},\n",
          shuffle_figs[0], shuffle_figs[1], shuffle_figs[2], shuffle_figs[3], shuffle_figs[4], shuffle_figs[5],
          shuffle_figs[6], shuffle_figs[7]);
  fprintf(f, "  \"shuffle_cpu_mbs\": {\"memcpy\": %.0f, \"avx2\": %.0f, \"unshuffle\": %.0f},\n", shuffle_cpu[0],
          shuffle_cpu[4], shuffle_cpu[5]);
  fprintf(f, "  \"results\": [\n");
  for (int i = 0; i < nresults; i++)
    fprintf(f, "    {\"dataset\": \"%s\", \"name\": \"%s\", \"ratio\": %.3f, \"compress_mbs\": %.0f, \"decompress_mbs\": %.0f, \"compress_cpu_mbs\": %.0f, \"decompress_cpu_mbs\": %.0f}%s\n",
            results[i].dataset, results[i].name, results[i].ratio, results[i].c_mbs, results[i].d_mbs, results[i].c_cpu, results[i].d_cpu,
            i + 1 < nresults ? "," : "");
  fprintf(f, "  ]\n}\n");
  fclose(f);
}

int main(int argc, char **argv) {
  size_t mib = 64;
  const char *json = NULL;
  enum { TABLE, AB, BOUND } mode = TABLE;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--mib") && i + 1 < argc) mib = (size_t)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--runs") && i + 1 < argc) RUNS = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--json") && i + 1 < argc) json = argv[++i];
    else if (!strcmp(argv[i], "--only") && i + 1 < argc) ONLY = argv[++i];
    else if (!strcmp(argv[i], "--accel") && i + 1 < argc) ACCEL = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--block") && i + 1 < argc) BLOCK_SIZE = (uint32_t)atoi(argv[++i]) << 10;
    else if (!strcmp(argv[i], "--small")) mib = 4, RUNS = 1;
    else if (!strcmp(argv[i], "--ab")) mode = AB;
    else if (!strcmp(argv[i], "--lz4-bound")) mode = BOUND;
  }
  if (RUNS < 1) RUNS = 1;
  if (RUNS > 15) RUNS = 15;
  size_t n = mib << 20;
  size_t zcap = n + n / 8 + (1 << 20);
  uint8_t *in = malloc(n), *z = malloc(zcap), *back = malloc(n);
  check(in && z && back, "malloc");
  memset(z, 0, zcap);
  memset(back, 0, n);
#ifdef ZR_HAVE_BLOSC
  blosc_init();
#endif
  zr_codec_pool *pool = NULL;
  check(zr_codec_pool_new(2, NULL, &pool, NULL) == ZR_OK, "pool");
  if (mode != TABLE)
    printf("zerial %s, %zu MiB per dataset, %d runs (all codecs), SIMD level %d\n", zr_version_string(), mib, RUNS,
           (int)zr_simd_detect());
  else
    printf("zerial %s, %zu MiB per dataset, median of %d runs (gzip: %d), SIMD level %d\n", zr_version_string(), mib,
              RUNS, RUNS < 3 ? RUNS : 3, (int)zr_simd_detect());
  static void (*const gens[3])(uint8_t *, size_t) = {gen_walk, gen_times, gen_records};
  static const char *const names[3] = {"walk", "times", "records"};
  if (mode == BOUND) {
#ifdef ZR_HAVE_BLOSC
    printf("liblz4 alone on 8-byte-shuffled rows vs c-blosc (shuffle + LZ4), CPU time, %d runs after a warm-up\n", RUNS);
    for (int g = 0; g < 3; g++) {
      gens[g](in, n);
      bench_lz4_bound(names[g], in, n, back, z, zcap);
    }
#else
    printf("--lz4-bound needs c-blosc (libblosc-dev)\n");
#endif
  } else if (mode == AB) {
    printf("interleaved A/B: per-run CPU-time ratios, median [min..max, IQR] of %d runs after a warm-up run;\n"
           "x > 1: the first variant is faster (for the overhead pairs, overhead = 1/x - 1)\n", RUNS);
    for (int g = 0; g < 3; g++) {
      gens[g](in, n);
      bench_ab(names[g], in, n, z, zcap, back);
    }
    if (json) write_ab_json(json, mib);
  } else {
    for (int g = 0; g < 3; g++) {
      gens[g](in, n);
      if (g == 0) bench_shuffle(in, n, back); /* on the walk: float64 */
      bench_dataset(names[g], in, n, z, zcap, back, pool);
    }
    if (json) write_table_json(json, mib);
  }
  zr_codec_pool_free(pool);
#ifdef ZR_HAVE_BLOSC
  blosc_destroy();
#endif
  free(in);
  free(z);
  free(back);
  return 0;
}
