/* Process-wide metrics: per-thread shards of counters merged on read, interned label values,
 * Prometheus text exposition. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"
#include "metrics/metrics_internal.h"
#include "zerial/zerial.h"

/* ---- dimensions ---- */
#define MF 32     /* format slots (0 "unknown", MF-1 "other") */
#define MS 16     /* shape slots (MS-1 "other") */
#define MC 5      /* codecs: none lz4 zstd gzip other */
#define NCODE 34  /* error codes: index -code for 1..32, 33 other */
#define NB_LAT 26 /* latency buckets: le = 1 µs × 2^k for k < NB_LAT-1, then +Inf */
#define NB_R 13   /* ratio buckets (see ratio_le) then +Inf */

static const double ratio_le[NB_R - 1] = {1, 1.5, 2, 3, 4, 6, 8, 12, 16, 32, 64, 128};
static const char *const codec_names[MC] = {"none", "lz4", "zstd", "gzip", "other"};
static const char *const op_names[ZR_METRICS_OPS] = {"serialize", "deserialize", "inspect"};
static const char *const fallback_names[3] = {"format", "codec", "shm"};

typedef _Atomic uint64_t ctr;

typedef struct fop {
  ctr calls, bytes_in, bytes_out, lat_ns, timed;
  ctr lat[NB_LAT];
  ctr err[NCODE];
} fop;

typedef struct shard {
  struct shard *next;
  atomic_int in_use;
  fop f[MF][ZR_METRICS_OPS];
  ctr ratio[MF][MC][NB_R];
  ctr ratio_milli[MF][MC]; /* sum of ratios × 1000 */
  ctr dec[MF][MC][MS];
  ctr fb[3][MF];
} shard;

/* Only the owning thread writes a shard: a relaxed load and store, no locked instruction. */
#define BUMP(c, n) \
  atomic_store_explicit(&(c), atomic_load_explicit(&(c), memory_order_relaxed) + (n), memory_order_relaxed)
#define GET(c) atomic_load_explicit(&(c), memory_order_relaxed)

static atomic_int enabled = 1;
static _Atomic(shard *) shards;
static pthread_key_t shard_key;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* latency sampling: a call is timed when the countdown reaches 0, or always while this thread's
 * last timed call took longer than SLOW_NS (then two clock reads cost well under 0.5%) */
#define SLOW_NS 20000u
static atomic_uint sample_every = 8;

/* All per-thread state in one place: one TLS address computation per hook. */
typedef struct tls_state {
  shard *shard;
  unsigned countdown;      /* calls left before the next timed one */
  uint64_t last_ns;        /* latency of the last timed call */
  const char *note_format; /* zr_inspect's detected format */
  uint64_t note_payload;
} tls_state;
static _Thread_local tls_state tl;

/* interned label values */
static pthread_mutex_t intern_mu = PTHREAD_MUTEX_INITIALIZER;
static char fnames[MF][32] = {[0] = "unknown", [MF - 1] = "other"};
static atomic_uint n_fnames = 1;
/* slot 0 is the empty shape (a serialize that did not analyze), as slot 0 of the formats */
static char snames[MS][24] = {[0] = "unknown", [MS - 1] = "other"};
static atomic_uint n_snames = 1;

/* gauges */
static _Atomic int64_t shm_regions, shm_bytes;
static ctr high_water[ZR_METRICS_OPS];
static atomic_int health_last = -1;

static void release_shard(void *p) {
  shard *s = p;
  atomic_store_explicit(&s->in_use, 0, memory_order_release);
}

static void init(void) {
  pthread_key_create(&shard_key, release_shard);
  const char *e = getenv("ZERIAL_METRICS");
  if (e && (strcmp(e, "0") == 0 || strcmp(e, "off") == 0 || strcmp(e, "false") == 0)) atomic_store(&enabled, 0);
}

static shard *claim_shard(void) {
  pthread_once(&init_once, init);
  shard *s;
  for (s = atomic_load_explicit(&shards, memory_order_acquire); s; s = s->next) {
    int expect = 0;
    if (atomic_compare_exchange_strong_explicit(&s->in_use, &expect, 1, memory_order_acquire, memory_order_relaxed))
      break;
  }
  if (!s) {
    s = calloc(1, sizeof *s); /* process-wide, never freed: not tied to any context's allocator */
    if (!s) return NULL;
    atomic_init(&s->in_use, 1);
    shard *head = atomic_load_explicit(&shards, memory_order_relaxed);
    do s->next = head;
    while (!atomic_compare_exchange_weak_explicit(&shards, &head, s, memory_order_release, memory_order_relaxed));
  }
  pthread_setspecific(shard_key, s);
  tl.shard = s;
  return s;
}

static inline shard *get_shard(void) {
  shard *s = tl.shard;
  return ZR_LIKELY(s != NULL) ? s : claim_shard();
}

void zr_metrics_set_enabled(int on) {
  pthread_once(&init_once, init);
  atomic_store(&enabled, on ? 1 : 0);
}

int zr_metrics_enabled(void) {
  pthread_once(&init_once, init);
  return atomic_load(&enabled);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void zr_metrics_set_sampling(unsigned every) { atomic_store(&sample_every, every ? every : 1); }

uint64_t zr__metrics_clock(void) {
  tls_state *t = &tl;
  if (ZR_LIKELY(t->shard != NULL)) {
    if (!atomic_load_explicit(&enabled, memory_order_relaxed)) return 0;
  } else if (!zr_metrics_enabled()) {
    return 0;
  }
  if (t->countdown == 0 || t->last_ns >= SLOW_NS) {
    t->countdown = atomic_load_explicit(&sample_every, memory_order_relaxed) - 1;
    return now_ns() | 1u; /* odd: timed */
  }
  t->countdown--;
  return 2; /* even, non-zero: counted, not timed */
}

/* ---- interning ---- */

static unsigned intern(char (*tab)[32], size_t width, atomic_uint *n, unsigned max, const char *name) {
  if (!name || !*name) return 0;
  unsigned k = atomic_load_explicit(n, memory_order_acquire);
  for (unsigned i = 0; i < k; i++) {
    const char *t = (const char *)tab + i * width;
    if (t[0] == name[0] && strcmp(t, name) == 0) return i;
  }
  if (strlen(name) >= width) return max - 1;
  pthread_mutex_lock(&intern_mu);
  k = atomic_load_explicit(n, memory_order_relaxed);
  unsigned idx = max - 1;
  for (unsigned i = 0; i < k; i++)
    if (strcmp((const char *)tab + i * width, name) == 0) idx = i;
  if (idx == max - 1 && k < max - 1) {
    memcpy((char *)tab + k * width, name, strlen(name) + 1);
    atomic_store_explicit(n, k + 1, memory_order_release);
    idx = k;
  }
  pthread_mutex_unlock(&intern_mu);
  return idx;
}

static unsigned fmt_idx(const char *name) { return intern(fnames, sizeof fnames[0], &n_fnames, MF, name); }
static unsigned shape_idx(const char *name) {
  return intern((char(*)[32])(void *)snames, sizeof snames[0], &n_snames, MS, name);
}
/* lookup without inserting: MF when unknown */
static unsigned fmt_find(const char *name) {
  unsigned k = atomic_load_explicit(&n_fnames, memory_order_acquire);
  for (unsigned i = 0; i < k; i++)
    if (strcmp(fnames[i], name) == 0) return i;
  if (strcmp(name, "other") == 0) return MF - 1;
  return MF;
}

static unsigned codec_idx(const char *c) {
  if (!c || !*c || strcmp(c, "none") == 0) return 0;
  for (unsigned i = 1; i < MC - 1; i++)
    if (strcmp(c, codec_names[i]) == 0) return i;
  return MC - 1;
}

static unsigned code_idx(zr_status st) {
  int c = -(int)st;
  return c >= 1 && c < NCODE - 1 ? (unsigned)c : NCODE - 1;
}

static unsigned lat_bucket(uint64_t ns) {
  uint64_t us = (ns + 999) / 1000;
  if (us <= 1) return 0;
  unsigned k = 64u - (unsigned)__builtin_clzll(us - 1); /* ceil(log2(us)) */
  return k < NB_LAT - 1 ? k : NB_LAT - 1;
}

static void high_water_note(zr_metrics_op op, uint64_t n) {
  uint64_t cur = atomic_load_explicit(&high_water[op], memory_order_relaxed);
  while (n > cur &&
         !atomic_compare_exchange_weak_explicit(&high_water[op], &cur, n, memory_order_relaxed, memory_order_relaxed)) {
  }
}

/* ---- recording ---- */

static fop *record(shard *s, unsigned fi, zr_metrics_op op, uint64_t t0, zr_status st) {
  fop *f = &s->f[fi][op];
  BUMP(f->calls, 1);
  if (t0 & 1) {
    uint64_t ns = now_ns() - (t0 & ~(uint64_t)1);
    tl.last_ns = ns;
    BUMP(f->timed, 1);
    BUMP(f->lat_ns, ns);
    BUMP(f->lat[lat_bucket(ns)], 1);
  }
  if (st != ZR_OK) BUMP(f->err[code_idx(st)], 1);
  return f;
}

void zr__metrics_serialize(uint64_t t0, zr_status st, const zr_serialize_result *r, const char *asked) {
  if (!t0) return;
  shard *s = get_shard();
  if (!s) return;
  const char *name = r->format[0] ? r->format : asked ? asked : r->decision.format;
  unsigned fi = fmt_idx(name);
  fop *f = record(s, fi, ZR_METRICS_SERIALIZE, t0, st);
  if (st != ZR_OK) return;
  BUMP(f->bytes_in, r->encoded_bytes);
  BUMP(f->bytes_out, r->total_bytes);
  unsigned ci = codec_idx(r->codec);
  if (ci != 0 && r->payload_bytes) {
    unsigned b = 0;
    while (b < NB_R - 1 && r->ratio > ratio_le[b]) b++;
    BUMP(s->ratio[fi][ci][b], 1);
    BUMP(s->ratio_milli[fi][ci], (uint64_t)(r->ratio * 1000.0 + 0.5));
  }
  BUMP(s->dec[fi][ci][shape_idx(r->decision.ch.shape)], 1);
  if (r->fell_back) BUMP(s->fb[ZR_FALLBACK_FORMAT][fi], 1);
  high_water_note(ZR_METRICS_SERIALIZE, r->total_bytes);
}

void zr__metrics_deserialize(uint64_t t0, zr_status st, const zr_deserialize_info *inf) {
  if (!t0) return;
  shard *s = get_shard();
  if (!s) return;
  fop *f = record(s, fmt_idx(inf->format), ZR_METRICS_DESERIALIZE, t0, st);
  BUMP(f->bytes_in, inf->input_bytes);
  if (st != ZR_OK) return;
  BUMP(f->bytes_out, inf->payload_bytes);
  high_water_note(ZR_METRICS_DESERIALIZE,
                  inf->payload_bytes > inf->input_bytes ? inf->payload_bytes : inf->input_bytes);
}

void zr__metrics_note_format(const char *name, size_t payload_len) {
  tls_state *t = &tl;
  t->note_format = name;
  t->note_payload = payload_len;
}

void zr__metrics_inspect(uint64_t t0, zr_status st, size_t in_len) {
  tls_state *t = &tl;
  const char *name = t->note_format;
  uint64_t payload = t->note_payload;
  t->note_format = NULL;
  if (!t0) return;
  shard *s = get_shard();
  if (!s) return;
  fop *f = record(s, fmt_idx(name), ZR_METRICS_INSPECT, t0, st);
  BUMP(f->bytes_in, in_len);
  if (st == ZR_OK) BUMP(f->bytes_out, payload);
  high_water_note(ZR_METRICS_INSPECT, payload > in_len ? payload : in_len);
}

void zr__metrics_fallback(zr_fallback_kind kind, const char *format) {
  if ((unsigned)kind > ZR_FALLBACK_SHM || !zr_metrics_enabled()) return;
  shard *s = get_shard();
  if (s) BUMP(s->fb[kind][fmt_idx(format)], 1);
}

void zr__metrics_shm(int regions, int64_t bytes) {
  atomic_fetch_add_explicit(&shm_regions, regions, memory_order_relaxed);
  atomic_fetch_add_explicit(&shm_bytes, bytes, memory_order_relaxed);
}

void zr__metrics_health(zr_health_status s) { atomic_store(&health_last, (int)s); }

/* ---- reading ---- */

void zr_metrics_reset(void) {
  for (shard *s = atomic_load_explicit(&shards, memory_order_acquire); s; s = s->next) {
    /* every field after in_use is a counter */
    ctr *c = (ctr *)(void *)&s->f[0][0];
    size_t n = (sizeof *s - offsetof(shard, f)) / sizeof(ctr);
    for (size_t i = 0; i < n; i++) atomic_store_explicit(&c[i], 0, memory_order_relaxed);
  }
  for (int i = 0; i < ZR_METRICS_OPS; i++) atomic_store(&high_water[i], 0);
}

static uint64_t sum_fop(unsigned fi, int op, size_t off) {
  uint64_t t = 0;
  for (shard *s = atomic_load_explicit(&shards, memory_order_acquire); s; s = s->next)
    t += GET(*(ctr *)(void *)((char *)&s->f[fi][op] + off));
  return t;
}

zr_status zr_metrics_get(const char *format, zr_metrics_op op, zr_metrics_stats *out) {
  if (!format || !out || (unsigned)op >= ZR_METRICS_OPS) return ZR_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  unsigned fi = fmt_find(format);
  if (fi >= MF) return ZR_ERR_NOT_FOUND;
  out->calls = sum_fop(fi, op, offsetof(fop, calls));
  out->bytes_in = sum_fop(fi, op, offsetof(fop, bytes_in));
  out->bytes_out = sum_fop(fi, op, offsetof(fop, bytes_out));
  out->seconds = (double)sum_fop(fi, op, offsetof(fop, lat_ns)) / 1e9;
  out->timed = sum_fop(fi, op, offsetof(fop, timed));
  for (unsigned c = 0; c < NCODE; c++) out->errors += sum_fop(fi, op, offsetof(fop, err) + c * sizeof(ctr));
  if (op == ZR_METRICS_SERIALIZE)
    for (shard *s = atomic_load_explicit(&shards, memory_order_acquire); s; s = s->next)
      for (int k = 0; k < 3; k++) out->fallbacks[k] += GET(s->fb[k][fi]);
  return ZR_OK;
}

uint64_t zr_metrics_errors(const char *format, zr_metrics_op op, zr_status code) {
  if (!format || (unsigned)op >= ZR_METRICS_OPS || code == ZR_OK) return 0;
  unsigned fi = fmt_find(format);
  if (fi >= MF) return 0;
  return sum_fop(fi, op, offsetof(fop, err) + code_idx(code) * sizeof(ctr));
}

void zr_metrics_shm(uint64_t *regions, uint64_t *bytes) {
  int64_t r = atomic_load(&shm_regions), b = atomic_load(&shm_bytes);
  if (regions) *regions = r > 0 ? (uint64_t)r : 0;
  if (bytes) *bytes = b > 0 ? (uint64_t)b : 0;
}

/* ---- exposition ---- */

/* A merged copy of all shards (heap: it is large). */
typedef struct merged {
  uint64_t calls[MF][ZR_METRICS_OPS], bin[MF][ZR_METRICS_OPS], bout[MF][ZR_METRICS_OPS], lat_ns[MF][ZR_METRICS_OPS];
  uint64_t timed[MF][ZR_METRICS_OPS];
  uint64_t lat[MF][ZR_METRICS_OPS][NB_LAT];
  uint64_t err[MF][ZR_METRICS_OPS][NCODE];
  uint64_t ratio[MF][MC][NB_R], ratio_milli[MF][MC];
  uint64_t dec[MF][MC][MS];
  uint64_t fb[3][MF];
} merged;

static void merge(merged *m) {
  memset(m, 0, sizeof *m);
  for (shard *s = atomic_load_explicit(&shards, memory_order_acquire); s; s = s->next) {
    for (unsigned f = 0; f < MF; f++) {
      for (int o = 0; o < ZR_METRICS_OPS; o++) {
        const fop *p = &s->f[f][o];
        m->calls[f][o] += GET(p->calls);
        m->bin[f][o] += GET(p->bytes_in);
        m->bout[f][o] += GET(p->bytes_out);
        m->lat_ns[f][o] += GET(p->lat_ns);
        m->timed[f][o] += GET(p->timed);
        for (int b = 0; b < NB_LAT; b++) m->lat[f][o][b] += GET(p->lat[b]);
        for (int c = 0; c < NCODE; c++) m->err[f][o][c] += GET(p->err[c]);
      }
      for (int c = 0; c < MC; c++) {
        for (int b = 0; b < NB_R; b++) m->ratio[f][c][b] += GET(s->ratio[f][c][b]);
        m->ratio_milli[f][c] += GET(s->ratio_milli[f][c]);
        for (int k = 0; k < MS; k++) m->dec[f][c][k] += GET(s->dec[f][c][k]);
      }
      for (int k = 0; k < 3; k++) m->fb[k][f] += GET(s->fb[k][f]);
    }
  }
}

/* Label value escaping of the text format: backslash, double quote and line feed. */
static zr_status put_label(zr__buf *b, const char *name, const char *v, int first) {
  ZR_TRY(zr__buf_printf(b, "%s%s=\"", first ? "" : ",", name));
  for (const char *p = v; *p; p++) {
    if (*p == '\\')
      ZR_TRY(zr__buf_append(b, "\\\\", 2));
    else if (*p == '"')
      ZR_TRY(zr__buf_append(b, "\\\"", 2));
    else if (*p == '\n')
      ZR_TRY(zr__buf_append(b, "\\n", 2));
    else
      ZR_TRY(zr__buf_push(b, (uint8_t)*p));
  }
  return zr__buf_push(b, '"');
}

/* The start of a sample line, "NAME{K1="V1",K2="V2"[,K3="V3"]} " (label values escaped; no third
 * label when @p k3 is NULL); the caller prints the value and the newline. */
static zr_status put_series(zr__buf *b, const char *name, const char *k1, const char *v1, const char *k2, const char *v2,
                            const char *k3, const char *v3) {
  ZR_TRY(zr__buf_printf(b, "%s{", name));
  ZR_TRY(put_label(b, k1, v1, 1));
  ZR_TRY(put_label(b, k2, v2, 0));
  if (k3) ZR_TRY(put_label(b, k3, v3, 0));
  return zr__buf_printf(b, "} ");
}

/* HELP and TYPE lines. The help texts are constants of this file without backslash or line feed,
 * the two characters the text format would need escaped there. */
static zr_status family(zr__buf *b, const char *name, const char *type, const char *help) {
  return zr__buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int fmt_used(unsigned f, unsigned nf) { return f < nf || f == MF - 1; }

static zr_status write_all(zr__buf *b, const merged *m) {
  unsigned nf = atomic_load_explicit(&n_fnames, memory_order_acquire);
  unsigned ns = atomic_load_explicit(&n_snames, memory_order_acquire);
  ZR_TRY(family(b, "zerial_build_info", "gauge", "zerial library version (always 1)."));
  ZR_TRY(zr__buf_printf(b, "zerial_build_info{version=\"%s\"} 1\n", zr_version_string()));
  ZR_TRY(family(b, "zerial_metrics_enabled", "gauge", "1 when zerial counts operations, 0 when metrics are off."));
  ZR_TRY(zr__buf_printf(b, "zerial_metrics_enabled %d\n", zr_metrics_enabled()));

  static const struct {
    const char *name, *help;
    size_t off;
  } simple[] = {
      {"zerial_operations_total",
       "Calls of zr_serialize/zr_deserialize/zr_inspect per format and operation, failed ones included.",
       offsetof(merged, calls)},
      {"zerial_bytes_in_total",
       "Bytes into the operation: encoded bytes before compression (serialize), input bytes (deserialize, inspect).",
       offsetof(merged, bin)},
      {"zerial_bytes_out_total",
       "Bytes out of the operation: bytes written (serialize), payload bytes decoded (deserialize, inspect).",
       offsetof(merged, bout)},
  };
  for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++) {
    ZR_TRY(family(b, simple[k].name, "counter", simple[k].help));
    const uint64_t(*arr)[ZR_METRICS_OPS] = (const void *)((const char *)m + simple[k].off);
    for (unsigned f = 0; f < MF; f++)
      for (int o = 0; o < ZR_METRICS_OPS; o++) {
        if (!fmt_used(f, nf) || !m->calls[f][o]) continue;
        ZR_TRY(put_series(b, simple[k].name, "format", fnames[f], "op", op_names[o], NULL, NULL));
        ZR_TRY(zr__buf_printf(b, "%llu\n", (unsigned long long)arr[f][o]));
      }
  }

  ZR_TRY(family(b, "zerial_errors_total", "counter",
                "Failed calls per format, operation and status code (ERR_TYPE, ERR_MALFORMED, ...)."));
  for (unsigned f = 0; f < MF; f++)
    for (int o = 0; o < ZR_METRICS_OPS; o++)
      for (int c = 0; c < NCODE; c++) {
        if (!fmt_used(f, nf) || !m->err[f][o][c]) continue;
        const char *cn = c < NCODE - 1 ? zr_status_name(-c) : NULL;
        ZR_TRY(put_series(b, "zerial_errors_total", "format", fnames[f], "op", op_names[o], "code", cn ? cn : "OTHER"));
        ZR_TRY(zr__buf_printf(b, "%llu\n", (unsigned long long)m->err[f][o][c]));
      }

  ZR_TRY(family(b, "zerial_operation_duration_seconds", "histogram",
                "Latency of timed calls per format and operation (log2 buckets from 1 microsecond; fast calls are "
                "sampled, see docs/guides/metrics.md)."));
  for (unsigned f = 0; f < MF; f++)
    for (int o = 0; o < ZR_METRICS_OPS; o++) {
      if (!fmt_used(f, nf) || !m->timed[f][o]) continue;
      uint64_t cum = 0;
      for (int k = 0; k < NB_LAT; k++) {
        cum += m->lat[f][o][k];
        char le[32];
        if (k < NB_LAT - 1)
          snprintf(le, sizeof le, "%.9g", 1e-6 * (double)(1u << k));
        else
          snprintf(le, sizeof le, "+Inf");
        ZR_TRY(put_series(b, "zerial_operation_duration_seconds_bucket", "format", fnames[f], "op", op_names[o], "le", le));
        ZR_TRY(zr__buf_printf(b, "%llu\n", (unsigned long long)cum));
      }
      for (int k = 0; k < 2; k++) {
        ZR_TRY(put_series(b, k ? "zerial_operation_duration_seconds_count" : "zerial_operation_duration_seconds_sum",
                          "format", fnames[f], "op", op_names[o], NULL, NULL));
        if (k)
          ZR_TRY(zr__buf_printf(b, "%llu\n", (unsigned long long)cum));
        else
          ZR_TRY(zr__buf_printf(b, "%.9f\n", (double)m->lat_ns[f][o] / 1e9));
      }
    }

  ZR_TRY(family(b, "zerial_compression_ratio", "histogram",
                "Compression ratio of serialized payloads (encoded bytes / compressed bytes) per format and codec."));
  for (unsigned f = 0; f < MF; f++)
    for (int c = 1; c < MC; c++) {
      uint64_t cum = 0;
      for (int k = 0; k < NB_R; k++) cum += m->ratio[f][c][k];
      if (!fmt_used(f, nf) || !cum) continue;
      cum = 0;
      for (int k = 0; k < NB_R; k++) {
        cum += m->ratio[f][c][k];
        char le[32];
        if (k < NB_R - 1)
          snprintf(le, sizeof le, "%g", ratio_le[k]);
        else
          snprintf(le, sizeof le, "+Inf");
        ZR_TRY(put_series(b, "zerial_compression_ratio_bucket", "format", fnames[f], "codec", codec_names[c], "le", le));
        ZR_TRY(zr__buf_printf(b, "%llu\n", (unsigned long long)cum));
      }
      ZR_TRY(put_series(b, "zerial_compression_ratio_sum", "format", fnames[f], "codec", codec_names[c], NULL, NULL));
      ZR_TRY(zr__buf_printf(b, "%.3f\n", (double)m->ratio_milli[f][c] / 1000.0));
      ZR_TRY(put_series(b, "zerial_compression_ratio_count", "format", fnames[f], "codec", codec_names[c], NULL, NULL));
      ZR_TRY(zr__buf_printf(b, "%llu\n", (unsigned long long)cum));
    }

  ZR_TRY(family(b, "zerial_format_decisions_total", "counter",
                "Successful serializations per format and codec finally used and the shape of the value."));
  for (unsigned f = 0; f < MF; f++)
    for (int c = 0; c < MC; c++)
      for (unsigned k = 0; k < MS; k++) {
        if (!fmt_used(f, nf) || !m->dec[f][c][k] || !(k < ns || k == MS - 1)) continue;
        ZR_TRY(put_series(b, "zerial_format_decisions_total", "format", fnames[f], "codec", codec_names[c], "shape", snames[k]));
        ZR_TRY(zr__buf_printf(b, "%llu\n", (unsigned long long)m->dec[f][c][k]));
      }

  ZR_TRY(
      family(b, "zerial_fallbacks_total", "counter",
             "Fallbacks: kind=format (next format used), codec (stored uncompressed), shm (kept in process memory)."));
  for (int k = 0; k < 3; k++) {
    /* always expose the three kinds so that rate() and alerts see a zero before the first one */
    uint64_t any = 0;
    for (unsigned f = 0; f < MF; f++) any += m->fb[k][f];
    if (!any) {
      ZR_TRY(zr__buf_printf(b, "zerial_fallbacks_total{kind=\"%s\",format=\"none\"} 0\n", fallback_names[k]));
      continue;
    }
    for (unsigned f = 0; f < MF; f++) {
      if (!fmt_used(f, nf) || !m->fb[k][f]) continue;
      ZR_TRY(put_series(b, "zerial_fallbacks_total", "kind", fallback_names[k], "format", fnames[f], NULL, NULL));
      ZR_TRY(zr__buf_printf(b, "%llu\n", (unsigned long long)m->fb[k][f]));
    }
  }

  uint64_t regions, bytes;
  zr_metrics_shm(&regions, &bytes);
  ZR_TRY(family(b, "zerial_shm_regions", "gauge", "Shared-memory regions mapped by this process."));
  ZR_TRY(zr__buf_printf(b, "zerial_shm_regions %llu\n", (unsigned long long)regions));
  ZR_TRY(family(b, "zerial_shm_bytes", "gauge", "Bytes of shared-memory regions mapped by this process."));
  ZR_TRY(zr__buf_printf(b, "zerial_shm_bytes %llu\n", (unsigned long long)bytes));
  ZR_TRY(family(b, "zerial_buffer_high_water_bytes", "gauge",
                "Largest buffer one call produced or read, per operation, since start (or reset)."));
  for (int o = 0; o < ZR_METRICS_OPS; o++)
    ZR_TRY(zr__buf_printf(b, "zerial_buffer_high_water_bytes{op=\"%s\"} %llu\n", op_names[o],
                          (unsigned long long)atomic_load(&high_water[o])));
  int h = atomic_load(&health_last);
  ZR_TRY(family(b, "zerial_health_status", "gauge",
                "Verdict of the last health check (zr_ctx_health, /healthz): 0 ok, 1 degraded, 2 failing; absent "
                "before the first."));
  if (h >= 0) ZR_TRY(zr__buf_printf(b, "zerial_health_status %d\n", h == ZR_HEALTH_SKIPPED ? 0 : h));
  return ZR_OK;
}

zr_status zr__metrics_text(zr__buf *b) {
  pthread_once(&init_once, init);
  merged *m = malloc(sizeof *m);
  if (!m) return ZR_ERR_NOMEM;
  merge(m);
  zr_status st = write_all(b, m);
  free(m);
  return st;
}

zr_status zr_metrics_write_prometheus(zr_sink *sink, zr_error *err) {
  if (!sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "sink is NULL");
  zr__buf b;
  zr__buf_init(&b, NULL);
  zr_status st = zr__metrics_text(&b);
  if (st != ZR_OK) zr__err(err, st, -1, "cannot build the metrics text");
  if (st == ZR_OK) st = zr_sink_write(sink, b.data, b.len, err);
  if (st == ZR_OK) st = zr_sink_flush(sink, err);
  zr__buf_free(&b);
  return st;
}

/* ---- fault injection ---- */

static atomic_uint fault_mask;
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

static unsigned parse_faults(const char *s) {
  unsigned m = 0;
  if (!s) return 0;
  char tmp[128];
  snprintf(tmp, sizeof tmp, "%s", s);
  for (char *save = NULL, *t = strtok_r(tmp, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
    if (strcmp(t, "codec") == 0)
      m |= ZR__FAULT_CODEC;
    else if (strcmp(t, "shm") == 0)
      m |= ZR__FAULT_SHM;
  }
  return m;
}

static void fault_init(void) { atomic_store(&fault_mask, parse_faults(getenv("ZERIAL_FAULT"))); }

int zr__fault(unsigned site) {
  pthread_once(&fault_once, fault_init);
  return (atomic_load_explicit(&fault_mask, memory_order_relaxed) & site) != 0;
}

void zr__fault_set(const char *sites) {
  pthread_once(&fault_once, fault_init);
  atomic_store(&fault_mask, parse_faults(sites));
}
