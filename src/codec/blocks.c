/* Block container (docs/formats/compressed-blocks.md) and the worker pool that fills it.
 *
 * Each block is filtered into a per-worker scratch buffer small enough to stay in cache, then
 * compressed into its own frame. With one thread blocks are written back to back; with several,
 * each block goes to a slot of the worst-case size and the slots are compacted afterwards. */
#include <lz4.h>
#include <lz4hc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>
#if defined(__x86_64__)
/* libxxhash's run-time dispatch (AVX2 when the CPU has it); same hash values as XXH3_64bits_update */
#include <xxh_x86dispatch.h>
#define ZR_XXH3_UPDATE XXH3_64bits_update_dispatch
#else
#define ZR_XXH3_UPDATE XXH3_64bits_update
#endif

#include "codec/codec_internal.h"

#define RAW_FLAG 0x80000000u
#define MAX_THREADS 64u
#define MAX_BLOCK_SIZE (1u << 30)
/* header flag (byte 25, version 2): LZ4 blocks in the LZ4 block format, split into streams */
#define FLAG_LZ4_STREAMS 0x01u
/* a byte-shuffled block is split into one stream per byte row when rows are at least this long */
#define SPLIT_MIN_ROW 128u
#define SPLIT_MAX_T 16u

/* ------------------------------------------------------------------------------------------ */
/* Pool */

typedef struct pool_worker {
  struct zr_codec_pool *pool;
  unsigned idx;
} pool_worker;

struct zr_codec_pool {
  const zr_allocator *alloc;
  unsigned nthreads; /* workers including the calling thread */
  unsigned started;  /* threads started (nthreads - 1 when all went well) */
  pthread_t *tids;
  pool_worker *workers;
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  void (*fn)(void *arg, unsigned worker);
  void *arg;
  uint64_t gen;
  unsigned pending;
  int stop;
};

static void *pool_main(void *p) {
  pool_worker *w = p;
  struct zr_codec_pool *pool = w->pool;
  uint64_t seen = 0;
  pthread_mutex_lock(&pool->mu);
  for (;;) {
    while (!pool->stop && pool->gen == seen) pthread_cond_wait(&pool->go, &pool->mu);
    if (pool->stop) break;
    seen = pool->gen;
    void (*fn)(void *, unsigned) = pool->fn;
    void *arg = pool->arg;
    pthread_mutex_unlock(&pool->mu);
    fn(arg, w->idx);
    pthread_mutex_lock(&pool->mu);
    if (--pool->pending == 0) pthread_cond_signal(&pool->done);
  }
  pthread_mutex_unlock(&pool->mu);
  return NULL;
}

zr_status zr_codec_pool_new(unsigned threads, const zr_allocator *alloc, zr_codec_pool **out, zr_error *err) {
  if (!out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL output");
  *out = NULL;
  if (threads < 1 || threads > MAX_THREADS)
    return zr__err(err, ZR_ERR_RANGE, -1, "thread count %u is outside 1..%u", threads, MAX_THREADS);
  alloc = zr__alloc_or_default(alloc);
  zr_codec_pool *p = zr__malloc(alloc, sizeof *p);
  if (!p) return zr__err_nomem(err);
  memset(p, 0, sizeof *p);
  p->alloc = alloc;
  p->nthreads = threads;
  p->tids = zr__malloc(alloc, sizeof(pthread_t) * threads);
  p->workers = zr__malloc(alloc, sizeof(pool_worker) * threads);
  if (!p->tids || !p->workers) {
    zr__free(alloc, p->tids);
    zr__free(alloc, p->workers);
    zr__free(alloc, p);
    return zr__err_nomem(err);
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->done, NULL);
  for (unsigned i = 1; i < threads; i++) {
    p->workers[i].pool = p;
    p->workers[i].idx = i;
    if (pthread_create(&p->tids[p->started], NULL, pool_main, &p->workers[i]) != 0) break;
    p->started++;
  }
  if (p->started + 1 < threads) {
    zr_codec_pool_free(p);
    return zr__err(err, ZR_ERR_NOMEM, -1, "could not start %u threads", threads - 1);
  }
  *out = p;
  return ZR_OK;
}

void zr_codec_pool_free(zr_codec_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  for (unsigned i = 0; i < p->started; i++) pthread_join(p->tids[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->go);
  pthread_cond_destroy(&p->done);
  const zr_allocator *a = p->alloc;
  zr__free(a, p->tids);
  zr__free(a, p->workers);
  zr__free(a, p);
}

/* Run fn(arg, w) on every worker (w = 0 is the calling thread) and wait for all. */
static void pool_run(zr_codec_pool *p, void (*fn)(void *, unsigned), void *arg) {
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->arg = arg;
  p->pending = p->started;
  p->gen++;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  fn(arg, 0);
  pthread_mutex_lock(&p->mu);
  while (p->pending) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

/* ------------------------------------------------------------------------------------------ */
/* Shared job state */

/* Probe decisions of the first block of a group of blocks (see lz4_accels()). */
typedef struct lz4_memo {
  uint32_t leader;           /* the block they come from (UINT32_MAX: none yet) */
  int accel[SPLIT_MAX_T];    /* acceleration per row */
  int scan[SPLIT_MAX_T];     /* the row looked incompressible */
  uint8_t *gather;           /* PROBE elements of a block, shuffled (PROBE * SPLIT_MAX_T bytes) */
} lz4_memo;

typedef struct job {
  /* input / output */
  const uint8_t *src;
  uint8_t *dst;
  size_t len;         /* raw length */
  size_t bs;          /* block size */
  uint32_t nblocks;
  int codec, level, filter;
  unsigned T;
  unsigned flags;     /* FLAG_* of the container */
  int accel;          /* LZ4 acceleration (fast levels) */
  /* compression: slots (parallel) or running offset (sequential) */
  uint8_t *out;       /* first block byte */
  size_t slot;        /* bytes per slot (parallel), 0 for sequential */
  size_t seq_pos;     /* sequential: next free offset */
  size_t out_cap;
  uint32_t *entries;  /* 2 per block: stored length | flag, check */
  /* decompression */
  const uint8_t *in;
  const uint64_t *offsets; /* stored offset of each block (relative to in) */
  int64_t base;            /* container offset of the first block, for errors */
  /* per worker */
  unsigned nworkers;
  zr__cctx *cctx;
  zr__dctx *dctx;
  uint8_t **scratch;
  void **lz4state;    /* per worker: LZ4 fast or HC state (FLAG_LZ4_STREAMS compression) */
  XXH3_state_t **xxh; /* per worker: hash of the stored payload (FLAG_LZ4_STREAMS compression) */
  struct lz4_memo *memo; /* per worker: probe decisions of a block group (byte-shuffled LZ4 compression) */
  /* work distribution and errors */
  uint32_t next;
  int failed;
  pthread_mutex_t mu;
  zr_status st;
  zr_error err;
} job;

static void job_fail(job *j, zr_status st, const zr_error *e) {
  pthread_mutex_lock(&j->mu);
  if (j->st == ZR_OK) {
    j->st = st;
    if (e) j->err = *e;
  }
  pthread_mutex_unlock(&j->mu);
  __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
}

static uint32_t raw_check(const uint8_t *p, size_t n) { return (uint32_t)XXH3_64bits_withSeed(p, n, 0); }

/* Streams of a block of n bytes in a FLAG_LZ4_STREAMS container: one per byte row of a byte-shuffled
 * block (the last also takes the trailing bytes), else one. */
static unsigned block_streams(int filter, unsigned T, size_t n) {
  if (filter == ZR_FILTER_SHUFFLE && T >= 2 && T <= SPLIT_MAX_T && n / T >= SPLIT_MIN_ROW) return T;
  return 1;
}

/* LZ4 level → compression: levels below LZ4HC_CLEVEL_MIN are the fast compressor. */
static size_t lz4_stream(job *j, unsigned w, const uint8_t *in, size_t n, uint8_t *out, size_t cap, int accel) {
  if (n == 0 || cap == 0 || n > (size_t)LZ4_MAX_INPUT_SIZE) return 0;
  int r;
  if (j->level >= LZ4HC_CLEVEL_MIN)
    r = LZ4_compress_HC_extStateHC(j->lz4state[w], (const char *)in, (char *)out, (int)n, (int)cap, j->level);
  else
    r = LZ4_compress_fast_extState(j->lz4state[w], (const char *)in, (char *)out, (int)n, (int)cap, accel);
  return r > 0 ? (size_t)r : 0;
}

/* Probing a stream before the fast compressor runs over it (fast levels only, streams of at least
 * PROBE_MIN_STREAM bytes): PROBES slices of PROBE bytes, spread through the stream, are compressed
 * first. When they shrink by less than 1/PROBE_LOW_GAIN (a byte row of nearly random bits: the low
 * bytes of counters, of float mantissas) the stream is compressed with PROBE_ACCEL times the
 * acceleration, which costs a fraction of such a stream's small gain and skips most of LZ4's slow
 * search on it. When no slice shrinks at all, LZ4 scans the stream at acceleration PROBE_SCAN_ACCEL:
 * on random bytes it gives up after touching a few hundred positions (~1 µs for 128 KiB), yet it
 * still finds repeats farther apart than the slices (a pattern of 4-32 KiB repeated compresses as
 * well as at acceleration 1), so no stream is stored raw on the probes' word alone.
 * Writers are free to choose; readers see ordinary streams. */
#define PROBE 4096u
#define PROBES 2u
#define PROBE_MIN_STREAM (16u << 10)
#define PROBE_LOW_GAIN 10u /* gain below 10% */
#define PROBE_ACCEL 8
#define PROBE_SCAN_ACCEL 512

#define PROBE_GROUP 8u /* full blocks that share the probes of their group's first block */

/* Acceleration from the total compressed size of a stream's PROBES slices; *scan: no slice shrank. */
static int probe_accel(const job *j, size_t zsum, int *scan) {
  long a = j->accel;
  *scan = zsum >= (size_t)PROBES * PROBE;
  if (*scan) a = a > PROBE_SCAN_ACCEL ? a : PROBE_SCAN_ACCEL;
  else if (zsum * PROBE_LOW_GAIN > (size_t)PROBES * PROBE * (PROBE_LOW_GAIN - 1)) a *= PROBE_ACCEL;
  return a > 65537 ? 65537 : (int)a;
}

/* Offset of probe slice p in a stream of sn >= PROBE bytes: the centres of PROBES equal parts. */
static size_t probe_off(size_t sn, unsigned p) { return (sn - PROBE) / (2 * PROBES) * (2 * p + 1); }

/* Acceleration for stream sp[0..sn) (o: scratch of at least PROBE bytes). */
static int lz4_probe(job *j, unsigned w, const uint8_t *sp, size_t sn, uint8_t *o, int *scan) {
  *scan = 0;
  if (sn < PROBE_MIN_STREAM) return j->accel;
  size_t zsum = 0;
  for (unsigned p = 0; p < PROBES; p++) {
    size_t z = lz4_stream(j, w, sp + probe_off(sn, p), PROBE, o, PROBE - 1, j->accel);
    zsum += z ? z : PROBE;
  }
  return probe_accel(j, zsum, scan);
}

/* Probe decisions for the S = T rows of full block L, from its unfiltered bytes: the slice at row
 * offset off of every row is the shuffle of elements [off, off + PROBE), so shuffling those PROBE
 * elements into the worker's gather buffer yields exactly the slices lz4_probe() reads from the
 * shuffled block (same bytes, same decisions whichever worker computes them). */
static void probe_leader(job *j, unsigned w, uint32_t L, unsigned S, size_t m, uint8_t *o) {
  lz4_memo *mm = &j->memo[w];
  const uint8_t *blk = j->src + (size_t)L * j->bs;
  size_t zsum[SPLIT_MAX_T] = {0};
  for (unsigned p = 0; p < PROBES; p++) {
    zr__filter_apply(ZR_FILTER_SHUFFLE, S, blk + probe_off(m, p) * S, mm->gather, (size_t)PROBE * S);
    for (unsigned k = 0; k < S; k++) {
      size_t z = lz4_stream(j, w, mm->gather + (size_t)k * PROBE, PROBE, o, PROBE - 1, j->accel);
      zsum[k] += z ? z : PROBE;
    }
  }
  for (unsigned k = 0; k < S; k++) mm->accel[k] = probe_accel(j, zsum[k], &mm->scan[k]);
  mm->leader = L;
}

/* Acceleration of each of the S streams of block i (in: the filtered block, n bytes; o: scratch of at
 * least PROBE bytes, NULL: no probes). Full byte-shuffled blocks are taken in groups of PROBE_GROUP: the group's first
 * block is probed row by row and its decisions are reused for the rest of the group (rows of a typed
 * array keep their character from one block to the next; the probes cost ~6 % of LZ4's time on a
 * compressible row), except that a row the first block found incompressible is probed again in every
 * block (cheap on random bytes; and a row that turned compressible must not be scanned at
 * acceleration 512). The decisions depend only on the data, never on which worker runs which block. */
static void lz4_accels(job *j, unsigned w, uint32_t i, const uint8_t *in, size_t n, unsigned S, uint8_t *o, int *acc) {
  size_t m = n / S;
  int scan;
  if (j->level >= LZ4HC_CLEVEL_MIN || !o) { /* o: NULL when the output has no room for a probe */
    for (unsigned k = 0; k < S; k++) acc[k] = j->accel;
    return;
  }
  if (S > 1 && n == j->bs && m >= PROBE_MIN_STREAM && j->memo) {
    lz4_memo *mm = &j->memo[w];
    uint32_t L = i - i % PROBE_GROUP;
    if (mm->leader != L) {
      if (L == i) {
        for (unsigned k = 0; k < S; k++) mm->accel[k] = lz4_probe(j, w, in + (size_t)k * m, m, o, &mm->scan[k]);
        mm->leader = L;
      } else {
        probe_leader(j, w, L, S, m, o);
      }
    }
    for (unsigned k = 0; k < S; k++)
      acc[k] = mm->scan[k] && L != i ? lz4_probe(j, w, in + (size_t)k * m, m, o, &scan) : mm->accel[k];
    return;
  }
  for (unsigned k = 0; k < S; k++) acc[k] = lz4_probe(j, w, in + (size_t)k * m, k + 1 < S ? m : n - (size_t)k * m, o, &scan);
}

/* Compress one block as streams: [u32le stored size][bytes] per stream, a stream stored raw when
 * LZ4 does not shrink it (stored size == raw size). The stored payload is hashed stream by stream
 * while it is still in cache (*check: low 32 bits of XXH3-64 of the payload, seed 0). Returns the
 * payload size, or 0 when the block does not shrink as a whole (the caller stores it raw). */
static size_t lz4_block(job *j, unsigned w, uint32_t i, const uint8_t *in, size_t n, uint8_t *o, size_t cap,
                        uint32_t *check) {
  unsigned S = block_streams(j->filter, j->T, n);
  size_t m = n / S, pos = 0;
  int acc[SPLIT_MAX_T];
  lz4_accels(j, w, i, in, n, S, cap >= PROBE ? o : NULL, acc);
  XXH3_state_t *h = j->xxh[w];
  XXH3_64bits_reset(h);
  for (unsigned k = 0; k < S; k++) {
    const uint8_t *sp = in + (size_t)k * m;
    size_t sn = k + 1 < S ? m : n - (size_t)k * m;
    if (pos + 4 > cap || pos + 4 >= n) return 0;
    size_t room = cap - pos - 4;
    if (room > sn - 1) room = sn ? sn - 1 : 0; /* LZ4 gives up as soon as the stream would not shrink */
    size_t zn = lz4_stream(j, w, sp, sn, o + pos + 4, room, acc[k]);
    if (zn == 0) {
      if (pos + 4 + sn > cap) return 0;
      memcpy(o + pos + 4, sp, sn);
      zn = sn;
    }
    zr__st32le(o + pos, (uint32_t)zn);
    ZR_XXH3_UPDATE(h, o + pos, 4 + zn);
    pos += 4 + zn;
    if (pos >= n) return 0;
  }
  *check = (uint32_t)XXH3_64bits_digest(h);
  return pos;
}

static void compress_worker(void *arg, unsigned w) {
  job *j = arg;
  for (;;) {
    if (__atomic_load_n(&j->failed, __ATOMIC_RELAXED)) return;
    uint32_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
    if (i >= j->nblocks) return;
    size_t off = (size_t)i * j->bs;
    size_t n = j->len - off < j->bs ? j->len - off : j->bs;
    const uint8_t *blk = j->src + off;
    uint8_t *o = j->slot ? j->out + (size_t)i * j->slot : j->out + j->seq_pos;
    size_t cap = j->slot ? j->slot : j->out_cap - j->seq_pos;
    size_t zn = 0;
    uint32_t check = 0;
    int raw = j->codec == ZR_CODEC_NONE;
    if (!raw) {
      const uint8_t *in = blk;
      if (j->filter != ZR_FILTER_NONE && j->T > 1) {
        zr__filter_apply(j->filter, j->T, blk, j->scratch[w], n);
        in = j->scratch[w];
      }
      if (j->flags & FLAG_LZ4_STREAMS) {
        zn = lz4_block(j, w, i, in, n, o, cap, &check); /* check: of the stored payload */
        if (zn == 0) raw = 1;
      } else {
        zr_error e;
        zr_status st = zr__cctx_compress(&j->cctx[w], j->codec, j->level, in, n, o, cap, &zn, &e);
        if (st == ZR_ERR_NOSPACE) raw = 1; /* cannot happen with bound-sized slots; stay safe */
        else if (st != ZR_OK) {
          job_fail(j, st, &e);
          return;
        }
        if (zn >= n) raw = 1;
      }
    }
    if (raw) {
      memcpy(o, blk, n);
      zn = n;
      j->entries[2 * i] = (uint32_t)n | RAW_FLAG;
      j->entries[2 * i + 1] = raw_check(blk, n);
    } else {
      j->entries[2 * i] = (uint32_t)zn;
      j->entries[2 * i + 1] = check;
    }
    if (!j->slot) j->seq_pos += zn;
  }
}

static zr_status job_init(job *j, unsigned nworkers, size_t scratch, int compress, zr_error *err) {
  j->nworkers = nworkers;
  if (compress && (j->flags & FLAG_LZ4_STREAMS)) {
    j->lz4state = calloc(nworkers, sizeof *j->lz4state);
    j->xxh = calloc(nworkers, sizeof *j->xxh);
    if (!j->lz4state || !j->xxh) return zr__err_nomem(err);
    size_t ss = j->level >= LZ4HC_CLEVEL_MIN ? (size_t)LZ4_sizeofStateHC() : (size_t)LZ4_sizeofState();
    for (unsigned w = 0; w < nworkers; w++) {
      j->lz4state[w] = malloc(ss);
      j->xxh[w] = XXH3_createState();
      if (!j->lz4state[w] || !j->xxh[w]) return zr__err_nomem(err);
    }
    if (j->filter == ZR_FILTER_SHUFFLE && j->T >= 2 && j->T <= SPLIT_MAX_T && j->level < LZ4HC_CLEVEL_MIN) {
      j->memo = calloc(nworkers, sizeof *j->memo);
      if (!j->memo) return zr__err_nomem(err);
      for (unsigned w = 0; w < nworkers; w++) {
        j->memo[w].leader = UINT32_MAX;
        j->memo[w].gather = malloc((size_t)PROBE * SPLIT_MAX_T);
        if (!j->memo[w].gather) return zr__err_nomem(err);
      }
    }
  }
  pthread_mutex_init(&j->mu, NULL);
  j->st = ZR_OK;
  zr_error_clear(&j->err);
  j->scratch = calloc(nworkers, sizeof *j->scratch);
  if (compress) j->cctx = calloc(nworkers, sizeof *j->cctx);
  else j->dctx = calloc(nworkers, sizeof *j->dctx);
  if (!j->scratch || (compress ? !j->cctx : !j->dctx)) return zr__err_nomem(err);
  for (unsigned w = 0; w < nworkers; w++) {
    if (compress) zr__cctx_init(&j->cctx[w]);
    else zr__dctx_init(&j->dctx[w]);
    if (scratch) {
      j->scratch[w] = malloc(scratch);
      if (!j->scratch[w]) return zr__err_nomem(err);
    }
  }
  return ZR_OK;
}

static void job_free(job *j) {
  for (unsigned w = 0; w < j->nworkers; w++) {
    if (j->cctx) zr__cctx_free(&j->cctx[w]);
    if (j->dctx) zr__dctx_free(&j->dctx[w]);
    if (j->scratch) free(j->scratch[w]);
    if (j->lz4state) free(j->lz4state[w]);
    if (j->xxh) XXH3_freeState(j->xxh[w]);
    if (j->memo) free(j->memo[w].gather);
  }
  free(j->memo);
  free(j->lz4state);
  free(j->xxh);
  free(j->scratch);
  free(j->cctx);
  free(j->dctx);
  pthread_mutex_destroy(&j->mu);
}

/* Run the job on the pool, a transient pool, or the calling thread alone. */
static zr_status job_run(job *j, void (*fn)(void *, unsigned), zr_codec_pool *pool, unsigned threads, zr_error *err) {
  if (pool && pool->nthreads > 1) {
    pool_run(pool, fn, j);
  } else if (!pool && threads > 1) {
    zr_codec_pool *tp = NULL;
    ZR_TRY(zr_codec_pool_new(threads, NULL, &tp, err));
    pool_run(tp, fn, j);
    zr_codec_pool_free(tp);
  } else {
    fn(j, 0);
  }
  if (j->st != ZR_OK && err) *err = j->err;
  return j->st;
}

static unsigned workers_for(zr_codec_pool *pool, unsigned threads, uint32_t nblocks) {
  if (pool) return pool->nthreads; /* every pool worker runs the job and needs its own state */
  unsigned n = threads ? threads : 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  if (n > nblocks) n = nblocks ? nblocks : 1;
  return n;
}

/* LZ4 blocks of byte-shuffled float64 are cut into 8 rows of 128 KiB: the ratio of 1 MiB blocks beats
 * smaller ones on the benchmark's series (bench/compress.c). */
static size_t default_block_size(int codec) { (void)codec; return 1u << 20; }

/* ------------------------------------------------------------------------------------------ */
/* Compression */

static void write_header(uint8_t *h, const job *j, size_t raw_len) {
  memcpy(h, ZR_BLOCKS_MAGIC, 4);
  h[4] = j->flags ? 2 : 1; /* containers without flags stay readable by version-1 readers */
  h[5] = (uint8_t)j->codec;
  h[6] = (uint8_t)j->filter;
  h[7] = (uint8_t)j->T;
  zr__st32le(h + 8, (uint32_t)j->bs);
  zr__st32le(h + 12, j->nblocks);
  zr__st64le(h + 16, raw_len);
  h[24] = (uint8_t)(int8_t)j->level;
  h[25] = (uint8_t)j->flags;
  h[26] = h[27] = 0;
}

static uint32_t header_check(const uint8_t *h, const uint8_t *table, size_t nblocks) {
  uint64_t seed = zr_xxh3_64(h, 28, 0);
  return (uint32_t)zr_xxh3_64(table, nblocks * 8, seed);
}

zr_status zr_codec_blocks_compress(const void *src, size_t len, const zr_codec_opts *opts, zr_codec_pool *pool,
                                   zr_sink *sink, size_t *out_len, zr_codec_decision *decision, zr_error *err) {
  zr_codec_opts o;
  if (opts) o = *opts;
  else memset(&o, 0, sizeof o);
  if (!sink || (!src && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL input or sink");
  zr_codec_decision d;
  memset(&d, 0, sizeof d);
  if (o.codec == ZR_CODEC_AUTO) {
    ZR_TRY(zr_codec_choose(src, len, &o, &d, err));
    o.codec = d.codec;
    o.level = d.level;
    o.filter = d.filter;
  } else {
    d.codec = (zr_codec_id)o.codec;
    d.filter = (zr_filter)(o.filter < 0 ? 0 : o.filter);
    d.typesize = o.typesize;
    d.est_ratio = 0;
    snprintf(d.reason, sizeof d.reason, "codec given by the caller");
  }
  if (o.filter < 0) o.filter = ZR_FILTER_NONE;
  int level = 0;
  ZR_TRY(zr_codec_level(o.codec, o.level, &level, err));
  if (!zr_filter_name(o.filter)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unknown filter %d", o.filter);
  unsigned T = o.typesize ? o.typesize : 1;
  if (T > 255) return zr__err(err, ZR_ERR_RANGE, -1, "typesize %u is over 255", T);
  if (T == 1) o.filter = ZR_FILTER_NONE;
  size_t bs = o.block_size ? o.block_size : default_block_size(o.codec);
  if (bs > MAX_BLOCK_SIZE) return zr__err(err, ZR_ERR_RANGE, -1, "block size %zu is over 1 GiB", bs);
  size_t unit = o.filter != ZR_FILTER_NONE ? (size_t)T * 8 : 1;
  bs = bs / unit * unit;
  if (bs < unit) bs = unit;
  d.level = level;
  d.codec = (zr_codec_id)o.codec;
  d.filter = (zr_filter)o.filter;
  d.typesize = T;
  if (decision) *decision = d;

  uint64_t nb64 = len ? (len + bs - 1) / bs : 0;
  if (nb64 > UINT32_MAX / 2) return zr__err(err, ZR_ERR_RANGE, -1, "too many blocks");
  job j;
  memset(&j, 0, sizeof j);
  j.src = src;
  j.len = len;
  j.bs = bs;
  j.nblocks = (uint32_t)nb64;
  j.codec = o.codec;
  j.level = level;
  j.filter = o.filter;
  j.T = T;
  if (o.codec == ZR_CODEC_LZ4) {
    j.flags = FLAG_LZ4_STREAMS;
    j.accel = o.acceleration ? (int)(o.acceleration > 65537 ? 65537 : o.acceleration) : 1;
  }
  unsigned nw = workers_for(pool, o.threads, j.nblocks);
  size_t slot = o.codec == ZR_CODEC_NONE ? bs
                : j.flags               ? bs + 4u * SPLIT_MAX_T /* a block that does not shrink is stored raw */
                                        : zr_codec_bound(o.codec, bs);
  if (slot < bs) slot = bs;
  size_t table = (size_t)j.nblocks * 8;
  uint64_t total64 = ZR_BLOCKS_HEADER_SIZE + (uint64_t)table + (uint64_t)j.nblocks * slot;
  if (total64 > SIZE_MAX / 2) return zr__err(err, ZR_ERR_OVERFLOW, -1, "input too large");
  size_t total = (size_t)total64;

  zr_status st = job_init(&j, nw, o.filter != ZR_FILTER_NONE ? bs : 0, 1, err);
  uint8_t *buf = NULL, *tmp = NULL;
  int reserved = 0;
  if (st == ZR_OK) {
    if (zr_sink_can_reserve(sink)) {
      void *p = NULL;
      st = zr_sink_reserve(sink, total, &p, err);
      buf = p;
      reserved = st == ZR_OK;
    } else {
      tmp = buf = malloc(total);
      if (!buf) st = zr__err_nomem(err);
    }
  }
  uint32_t *entries = NULL;
  if (st == ZR_OK) {
    entries = malloc(table ? table : 1);
    if (!entries) st = zr__err_nomem(err);
  }
  size_t used = 0;
  if (st == ZR_OK) {
    j.entries = entries;
    j.out = buf + ZR_BLOCKS_HEADER_SIZE + table;
    j.out_cap = total - ZR_BLOCKS_HEADER_SIZE - table;
    j.slot = nw > 1 ? slot : 0;
    st = job_run(&j, compress_worker, nw > 1 ? pool : NULL, nw, err);
  }
  if (st == ZR_OK) {
    size_t pos = 0;
    for (uint32_t i = 0; i < j.nblocks; i++) {
      size_t n = entries[2 * i] & ~RAW_FLAG;
      if (j.slot && pos != (size_t)i * slot) memmove(j.out + pos, j.out + (size_t)i * slot, n);
      pos += n;
      zr__st32le(buf + ZR_BLOCKS_HEADER_SIZE + 8 * (size_t)i, entries[2 * i]);
      zr__st32le(buf + ZR_BLOCKS_HEADER_SIZE + 8 * (size_t)i + 4, entries[2 * i + 1]);
    }
    write_header(buf, &j, len);
    zr__st32le(buf + 28, header_check(buf, buf + ZR_BLOCKS_HEADER_SIZE, j.nblocks));
    used = ZR_BLOCKS_HEADER_SIZE + table + pos;
    if (reserved) st = zr_sink_commit(sink, used, err);
    else st = zr_sink_write(sink, buf, used, err);
    reserved = 0;
  }
  if (reserved) (void)zr_sink_commit(sink, 0, NULL);
  free(tmp);
  free(entries);
  job_free(&j);
  if (st == ZR_OK && out_len) *out_len = used;
  return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading */

static zr_status parse(const uint8_t *p, size_t len, zr_blocks_info *info, zr_error *err) {
  if (len < 4 || memcmp(p, ZR_BLOCKS_MAGIC, 4) != 0) {
    if (len < 4 && memcmp(p, ZR_BLOCKS_MAGIC, len) == 0)
      return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "blocks: header truncated");
    return zr__err(err, ZR_ERR_FORMAT, 0, "blocks: not a zerial block container (magic ZRCB)");
  }
  if (len < ZR_BLOCKS_HEADER_SIZE) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "blocks: header truncated");
  if (p[4] != 1 && p[4] != 2) return zr__err(err, ZR_ERR_VERSION, 4, "blocks: unsupported version %u", p[4]);
  unsigned flags = p[25];
  if ((p[4] == 1 && flags) || (flags & ~FLAG_LZ4_STREAMS) || ((flags & FLAG_LZ4_STREAMS) && p[5] != ZR_CODEC_LZ4))
    return zr__err(err, ZR_ERR_MALFORMED, 25, "blocks: invalid flags 0x%02x for version %u, codec %u", flags, p[4], p[5]);
  memset(info, 0, sizeof *info);
  info->codec = (zr_codec_id)p[5];
  info->filter = (zr_filter)p[6];
  info->typesize = p[7];
  info->block_size = zr__ld32le(p + 8);
  info->nblocks = zr__ld32le(p + 12);
  info->raw_len = zr__ld64le(p + 16);
  info->version = p[4];
  info->flags = flags;
  if (!zr_codec_info_get(p[5])) return zr__err(err, ZR_ERR_MALFORMED, 5, "blocks: unknown codec %u", p[5]);
  if (!zr_filter_name(p[6])) return zr__err(err, ZR_ERR_MALFORMED, 6, "blocks: unknown filter %u", p[6]);
  if (info->typesize == 0) return zr__err(err, ZR_ERR_MALFORMED, 7, "blocks: typesize 0");
  if (info->block_size == 0 || info->block_size > MAX_BLOCK_SIZE)
    return zr__err(err, ZR_ERR_MALFORMED, 8, "blocks: block size %u outside 1..2^30", info->block_size);
  uint64_t want = (info->raw_len + info->block_size - 1) / info->block_size;
  if (want != info->nblocks)
    return zr__err(err, ZR_ERR_MALFORMED, 12, "blocks: %u blocks for %llu bytes of %u (expected %llu)", info->nblocks,
                   (unsigned long long)info->raw_len, info->block_size, (unsigned long long)want);
  uint64_t table_end = ZR_BLOCKS_HEADER_SIZE + (uint64_t)info->nblocks * 8;
  if (table_end > len)
    return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "blocks: block table truncated (%llu bytes needed)",
                   (unsigned long long)table_end);
  if (header_check(p, p + ZR_BLOCKS_HEADER_SIZE, info->nblocks) != zr__ld32le(p + 28))
    return zr__err(err, ZR_ERR_CHECKSUM, 28, "blocks: header checksum mismatch");
  uint64_t pos = table_end;
  for (uint32_t i = 0; i < info->nblocks; i++) {
    uint32_t e = zr__ld32le(p + ZR_BLOCKS_HEADER_SIZE + 8 * (size_t)i);
    uint32_t n = e & ~RAW_FLAG;
    uint64_t raw = info->raw_len - (uint64_t)i * info->block_size;
    if (raw > info->block_size) raw = info->block_size;
    if (e & RAW_FLAG) {
      info->raw_blocks++;
      if (n != raw)
        return zr__err(err, ZR_ERR_MALFORMED, ZR_BLOCKS_HEADER_SIZE + 8 * (int64_t)i,
                       "blocks: raw block %u holds %u bytes, %llu expected", i, n, (unsigned long long)raw);
    } else if (info->codec == ZR_CODEC_NONE) {
      return zr__err(err, ZR_ERR_MALFORMED, ZR_BLOCKS_HEADER_SIZE + 8 * (int64_t)i,
                     "blocks: block %u is compressed but the codec is none", i);
    }
    pos += n;
  }
  if (pos > len)
    return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "blocks: container truncated (%llu bytes needed)",
                   (unsigned long long)pos);
  info->stored_len = pos;
  return ZR_OK;
}

zr_status zr_codec_blocks_info(const void *src, size_t len, zr_blocks_info *info, zr_error *err) {
  if (!src || !info) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  return parse(src, len, info, err);
}

/* Verify the check of block i (payload blk of sn bytes, checked as stored) and decode its streams into o (n bytes). */
static zr_status lz4_unblock(job *j, uint32_t i, const uint8_t *blk, size_t sn, uint8_t *o, size_t n, zr_error *er) {
  unsigned S = block_streams(j->filter, j->T, n);
  size_t m = n / S, pos = 0;
  int64_t base = (int64_t)j->offsets[i];
  if (raw_check(blk, sn) != zr__ld32le(j->in + ZR_BLOCKS_HEADER_SIZE + 8 * (size_t)i + 4))
    return zr__err(er, ZR_ERR_CHECKSUM, base, "lz4: block %u at byte %lld: checksum mismatch", i, (long long)base);
  for (unsigned k = 0; k < S; k++) {
    size_t rn = k + 1 < S ? m : n - (size_t)k * m;
    if (pos + 4 > sn)
      return zr__err(er, ZR_ERR_MALFORMED, base + (int64_t)pos, "lz4: block %u: stream %u header out of bounds", i, k);
    size_t zn = zr__ld32le(blk + pos);
    pos += 4;
    if (zn > sn - pos || zn > rn)
      return zr__err(er, ZR_ERR_MALFORMED, base + (int64_t)pos - 4, "lz4: block %u: stream %u size %zu out of bounds", i, k,
                     zn);
    uint8_t *d = o + (size_t)k * m;
    if (zn == rn) {
      memcpy(d, blk + pos, rn);
    } else {
      int r = LZ4_decompress_safe((const char *)blk + pos, (char *)d, (int)zn, (int)rn);
      if (r < 0 || (size_t)r != rn)
        return zr__err(er, ZR_ERR_MALFORMED, base + (int64_t)pos, "lz4: block %u: corrupt stream %u at byte %lld", i, k,
                       (long long)(base + (int64_t)pos));
    }
    pos += zn;
  }
  if (pos != sn)
    return zr__err(er, ZR_ERR_MALFORMED, base + (int64_t)pos, "lz4: block %u: %zu bytes after the last stream", i,
                   sn - pos);
  return ZR_OK;
}

static void decompress_worker(void *arg, unsigned w) {
  job *j = arg;
  for (;;) {
    if (__atomic_load_n(&j->failed, __ATOMIC_RELAXED)) return;
    uint32_t i = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
    if (i >= j->nblocks) return;
    size_t off = (size_t)i * j->bs;
    size_t n = j->len - off < j->bs ? j->len - off : j->bs;
    uint32_t e = zr__ld32le(j->in + ZR_BLOCKS_HEADER_SIZE + 8 * (size_t)i);
    const uint8_t *blk = j->in + j->offsets[i];
    size_t sn = e & ~RAW_FLAG;
    zr_error er;
    if (e & RAW_FLAG) {
      if (raw_check(blk, sn) != zr__ld32le(j->in + ZR_BLOCKS_HEADER_SIZE + 8 * (size_t)i + 4)) {
        zr__err(&er, ZR_ERR_CHECKSUM, (int64_t)j->offsets[i], "blocks: raw block %u at byte %llu: checksum mismatch", i,
                (unsigned long long)j->offsets[i]);
        job_fail(j, ZR_ERR_CHECKSUM, &er);
        return;
      }
      memcpy(j->dst + off, blk, n);
      continue;
    }
    int filtered = j->filter != ZR_FILTER_NONE && j->T > 1;
    uint8_t *o = filtered ? j->scratch[w] : j->dst + off;
    zr_status st;
    if (j->flags & FLAG_LZ4_STREAMS) {
      st = lz4_unblock(j, i, blk, sn, o, n, &er);
    } else {
      st = zr__dctx_decompress_exact(&j->dctx[w], j->codec, blk, sn, o, n, (int64_t)j->offsets[i], &er);
    }
    if (st != ZR_OK) {
      job_fail(j, st, &er);
      return;
    }
    if (filtered) zr__filter_undo(j->filter, j->T, o, j->dst + off, n);
  }
}

zr_status zr_codec_blocks_decompress(const void *src, size_t len, unsigned threads, zr_codec_pool *pool, void *dst,
                                     size_t cap, size_t *out_len, zr_error *err) {
  if (!src || (!dst && cap)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  zr_blocks_info info;
  ZR_TRY(parse(src, len, &info, err));
  if (info.raw_len > cap)
    return zr__err(err, ZR_ERR_LIMIT, 16, "blocks: %llu bytes do not fit in %zu", (unsigned long long)info.raw_len, cap);
  const uint8_t *p = src;
  job j;
  memset(&j, 0, sizeof j);
  j.in = p;
  j.dst = dst;
  j.len = (size_t)info.raw_len;
  j.bs = info.block_size;
  j.nblocks = info.nblocks;
  j.codec = info.codec;
  j.filter = info.filter;
  j.T = info.typesize;
  j.flags = info.flags;
  uint64_t *offs = malloc(sizeof(uint64_t) * (info.nblocks ? info.nblocks : 1));
  if (!offs) return zr__err_nomem(err);
  uint64_t pos = ZR_BLOCKS_HEADER_SIZE + (uint64_t)info.nblocks * 8;
  for (uint32_t i = 0; i < info.nblocks; i++) {
    offs[i] = pos;
    pos += zr__ld32le(p + ZR_BLOCKS_HEADER_SIZE + 8 * (size_t)i) & ~RAW_FLAG;
  }
  j.offsets = offs;
  unsigned nw = workers_for(pool, threads, j.nblocks);
  int filtered = info.filter != ZR_FILTER_NONE && info.typesize > 1;
  zr_status st = job_init(&j, nw, filtered ? j.bs : 0, 0, err);
  if (st == ZR_OK) st = job_run(&j, decompress_worker, nw > 1 ? pool : NULL, nw, err);
  job_free(&j);
  free(offs);
  if (st == ZR_OK && out_len) *out_len = (size_t)info.raw_len;
  return st;
}
