/* The chunked stream writer: records or batches → chunks → (compression pool) → frames → sink,
 * with bounded memory, backpressure from the sink, checkpoints and resume. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stream/stream_internal.h"
#include "zerial/arrow.h"
#include "zerial/binary.h"
#include "zerial/codec.h"

#define FH ZR_STREAM_FRAME_HEADER_SIZE

enum slot_state { SLOT_FREE = 0, SLOT_QUEUED, SLOT_BUSY, SLOT_DONE };

typedef struct slot {
  zr__buf raw;     /* FH bytes of room, then the raw payload */
  zr__buf out;     /* compressed frame (header + stored payload) */
  zr__buf *frame;  /* &raw or &out once done */
  uint64_t seq, records, position;
  int state;
  zr_status st;
  zr_error err;
  uint64_t frame_sum;
  uint64_t held; /* capacity of raw + out, updated under the lock */
} slot;

struct zr_stream_writer {
  zr_stream_opts o;
  const zr_allocator *alloc;
  zr_sink *sink;
  int own_sink;
  int fd;           /* file writers: the output descriptor (owned), else -1 */
  char *ckpt_path;  /* file writers: <path>.ckpt */

  /* current chunk */
  zr__buf cur;
  uint64_t cur_records;
  zr_sink *scratch; /* memory sink for encoding one record / batch */
  uint64_t position;

  /* sealed chunks: a ring indexed by seq % cap; [head, head + count) are in flight */
  slot *slots;
  unsigned cap;
  uint64_t head, next_seq;
  unsigned count;

  /* threads */
  pthread_t *threads;
  unsigned nthreads;
  pthread_mutex_t mu;
  pthread_cond_t work_cv, done_cv;
  int stop;

  /* stream state (caller thread only) */
  int header_written;
  uint64_t fingerprint;
  uint64_t running;     /* stream checksum chain */
  uint64_t sink_bytes;  /* bytes handed to the sink */
  uint64_t chunks_out, records_out, raw_out;
  uint64_t last_position; /* position of the last chunk handed out */
  int sink_blocked;
  uint64_t sink_held;     /* bytes parked in the sink while blocked (upper bound) */
  int trailer_written, finished;
  zr_status sticky;
  zr_error sticky_err;
  zr_stream_stats stats;
  uint64_t since_ckpt;
};

void zr_stream_opts_init(zr_stream_opts *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->payload = ZR_STREAM_BINARY;
  o->chunk_bytes = (size_t)1 << 20;
  o->max_inflight = 8;
  o->mem_budget = (size_t)64 << 20;
  o->checkpoint_every = 8;
}

/* ---- buffers of exact sizes (zr__buf doubles; chunks are sized once) ---- */

static zr_status buf_exact(zr__buf *b, size_t cap) {
  if (b->cap >= cap) return ZR_OK;
  uint8_t *d = zr__realloc(b->alloc, b->data, cap);
  if (!d) return ZR_ERR_NOMEM;
  b->data = d;
  b->cap = cap;
  return ZR_OK;
}

/* ---- accounting ---- */

static uint64_t held_bytes(zr_stream_writer *w) {
  /* caller holds mu or no threads run; capacities only change in slots a worker owns, so count
   * the ring under the lock */
  uint64_t n = w->cur.cap + w->sink_held;
  for (unsigned i = 0; i < w->cap; i++) n += w->slots[i].held;
  return n;
}

/* what one more sealed chunk may add: a new current chunk, and its compressed copy */
static uint64_t headroom(const zr_stream_writer *w) {
  uint64_t c = w->o.chunk_bytes + FH;
  return w->o.codec ? 2 * c + c / 64 + 4096 : c;
}

static void note_held(zr_stream_writer *w) {
  if (w->nthreads) pthread_mutex_lock(&w->mu);
  uint64_t n = held_bytes(w);
  unsigned inflight = w->count;
  if (w->nthreads) pthread_mutex_unlock(&w->mu);
  w->stats.buffered = n;
  if (n > w->stats.peak_buffered) w->stats.peak_buffered = n;
  w->stats.inflight = inflight;
  if (inflight > w->stats.peak_inflight) w->stats.peak_inflight = inflight;
}

static zr_status fail(zr_stream_writer *w, zr_status st, const zr_error *e, zr_error *err) {
  if (st == ZR_OK || st == ZR_WOULD_BLOCK) return st;
  if (w->sticky == ZR_OK) {
    w->sticky = st;
    if (e) w->sticky_err = *e;
    else zr_error_set(&w->sticky_err, st, -1, "%s", zr_strerror(st));
  }
  if (err && e && e != err) *err = *e;
  return st;
}

/* ---- compression of one sealed chunk (any thread) ---- */

static void build_frame(zr_stream_writer *w, slot *s) {
  size_t plen = s->raw.len - FH;
  zr__st_frame f = {ZR__ST_TYPE_CHUNK, 0, s->seq, (uint32_t)plen, (uint32_t)plen, s->records, 0};
  s->st = ZR_OK;
  if (w->o.codec != ZR_CODEC_NONE && plen > 0) {
    size_t bound = zr_codec_bound(w->o.codec, plen);
    if (bound == 0 || bound > ZR_STREAM_MAX_CHUNK) bound = ZR_STREAM_MAX_CHUNK;
    s->out.len = 0;
    if (buf_exact(&s->out, FH + bound) != ZR_OK) {
      s->st = zr__err_nomem(&s->err);
      return;
    }
    size_t clen = 0;
    zr_status st = zr_codec_compress(w->o.codec, w->o.level, s->raw.data + FH, plen, s->out.data + FH, bound, &clen,
                                     &s->err);
    if (st == ZR_OK && clen < plen) {
      f.codec = (uint8_t)w->o.codec;
      f.stored = (uint32_t)clen;
      s->out.len = FH + clen;
      s->frame = &s->out;
    } else if (st != ZR_OK && st != ZR_ERR_NOSPACE) {
      s->st = st;
      return;
    } else {
      s->frame = &s->raw; /* no gain: store raw */
    }
  } else {
    s->frame = &s->raw;
  }
  uint8_t *h = s->frame->data;
  uint64_t seed = zr__st_frame_put(h, &f);
  s->frame_sum = zr_xxh3_64(h + FH, f.stored, seed);
  zr__st64le(h + 32, s->frame_sum);
}

static int has_queued(zr_stream_writer *w, slot **out) {
  for (uint64_t q = w->head; q < w->head + w->count; q++) {
    slot *s = &w->slots[q % w->cap];
    if (s->state == SLOT_QUEUED) {
      *out = s;
      return 1;
    }
  }
  return 0;
}

static void *worker_main(void *arg) {
  zr_stream_writer *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    slot *s = NULL;
    while (!w->stop && !has_queued(w, &s)) pthread_cond_wait(&w->work_cv, &w->mu);
    if (!s) break; /* stopping with nothing queued */
    s->state = SLOT_BUSY;
    pthread_mutex_unlock(&w->mu);
    build_frame(w, s);
    pthread_mutex_lock(&w->mu);
    s->state = SLOT_DONE;
    s->held = s->raw.cap + s->out.cap;
    pthread_cond_broadcast(&w->done_cv);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* ---- handing frames to the sink (caller thread) ---- */

static zr_status sink_write(zr_stream_writer *w, const void *p, size_t n, zr_error *err) {
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_sink_write(w->sink, p, n, &e);
  w->sink_bytes += n;
  w->stats.bytes += n;
  if (st == ZR_WOULD_BLOCK) {
    w->sink_blocked = 1;
    w->sink_held += n;
    return ZR_OK; /* the sink keeps the bytes; we stop handing it more */
  }
  if (st != ZR_OK) return fail(w, st, &e, err);
  return ZR_OK;
}

/* Retry bytes the sink parked. ZR_OK when it took them all. */
static zr_status unblock(zr_stream_writer *w, zr_error *err) {
  if (!w->sink_blocked) return ZR_OK;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_sink_flush(w->sink, &e);
  if (st == ZR_WOULD_BLOCK) return ZR_WOULD_BLOCK;
  if (st != ZR_OK) return fail(w, st, &e, err);
  w->sink_blocked = 0;
  w->sink_held = 0;
  return ZR_OK;
}

static zr_status write_header(zr_stream_writer *w, zr_error *err) {
  if (w->header_written) return ZR_OK;
  uint8_t h[ZR_STREAM_HEADER_SIZE];
  zr__st_header_put(h, w->o.payload, w->o.codec, w->fingerprint);
  w->running = zr__ld64le(h + 24);
  w->header_written = 1;
  return sink_write(w, h, sizeof h, err);
}

static zr_status checkpoint(zr_stream_writer *w, zr_error *err) {
  if (!w->ckpt_path || w->sink_blocked) return ZR_OK;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_sink_flush(w->sink, &e);
  if (st != ZR_OK) return fail(w, st, &e, err);
  if (!w->o.no_sync && fdatasync(w->fd) != 0 && errno != EINVAL)
    return fail(w, zr__err(&e, ZR_ERR_IO, -1, "fdatasync: %s", strerror(errno)), &e, err);
  zr_stream_checkpoint cp = {w->chunks_out, w->records_out, w->sink_bytes, w->last_position, w->running,
                             w->fingerprint, 0, 0};
  st = zr__st_ckpt_write(w->ckpt_path, &cp, !w->o.no_sync, &e);
  if (st != ZR_OK) return fail(w, st, &e, err);
  w->stats.checkpoints++;
  w->since_ckpt = 0;
  return ZR_OK;
}

/* Hand every finished chunk at the head of the ring to the sink, in order. With @p wait, wait
 * for the workers until the ring is empty (or the sink blocks). */
static zr_status drain(zr_stream_writer *w, int wait, zr_error *err) {
  if (w->sticky) {
    if (err) *err = w->sticky_err;
    return w->sticky;
  }
  zr_status st = unblock(w, err);
  if (st != ZR_OK) return st;
  for (;;) {
    if (w->nthreads) pthread_mutex_lock(&w->mu);
    if (w->count == 0) {
      if (w->nthreads) pthread_mutex_unlock(&w->mu);
      break;
    }
    slot *s = &w->slots[w->head % w->cap];
    if (w->nthreads) {
      while (s->state != SLOT_DONE && wait) pthread_cond_wait(&w->done_cv, &w->mu);
      int done = s->state == SLOT_DONE;
      pthread_mutex_unlock(&w->mu);
      if (!done) break;
    }
    if (s->st != ZR_OK) return fail(w, s->st, &s->err, err);
    if (!w->header_written) {
      st = write_header(w, err);
      if (st != ZR_OK) return st;
    }
    st = sink_write(w, s->frame->data, s->frame->len, err);
    if (st != ZR_OK) return st;
    w->running = zr__st_chain(w->running, s->frame_sum);
    w->chunks_out++;
    w->records_out += s->records;
    w->raw_out += s->raw.len - FH;
    w->last_position = s->position;
    w->stats.chunks = w->chunks_out;
    w->stats.records = w->records_out;
    w->stats.raw_bytes = w->raw_out;
    if (w->nthreads) pthread_mutex_lock(&w->mu);
    s->state = SLOT_FREE;
    s->raw.len = 0;
    s->out.len = 0;
    w->head++;
    w->count--;
    if (held_bytes(w) + headroom(w) > w->o.mem_budget / 2) { /* give idle buffers back */
      zr__buf_free(&s->raw);
      zr__buf_free(&s->out);
      zr__buf_init(&s->raw, w->alloc);
      zr__buf_init(&s->out, w->alloc);
    }
    s->held = s->raw.cap + s->out.cap;
    if (w->nthreads) pthread_mutex_unlock(&w->mu);
    if (++w->since_ckpt >= w->o.checkpoint_every) {
      st = checkpoint(w, err);
      if (st != ZR_OK) return st;
    }
    if (w->sink_blocked) break;
  }
  note_held(w);
  return w->sink_blocked ? ZR_WOULD_BLOCK : ZR_OK;
}

/* Move the current chunk into the ring. ZR_WOULD_BLOCK (nothing changed) when the ring or the
 * memory budget is full and the sink is blocked. */
static zr_status seal(zr_stream_writer *w, zr_error *err) {
  if (w->cur.len == 0) return ZR_OK;
  for (;;) {
    zr_status st = drain(w, 0, err);
    if (st != ZR_OK && st != ZR_WOULD_BLOCK) return st;
    if (w->nthreads) pthread_mutex_lock(&w->mu);
    int full = w->count >= w->cap || (w->count > 0 && held_bytes(w) + headroom(w) > w->o.mem_budget);
    if (!full) {
      if (w->nthreads) pthread_mutex_unlock(&w->mu);
      break;
    }
    if (w->sink_blocked) {
      if (w->nthreads) pthread_mutex_unlock(&w->mu);
      w->stats.would_block++;
      return ZR_WOULD_BLOCK;
    }
    if (!w->nthreads) return zr__err(err, ZR_ERR_INTERNAL, -1, "stream writer ring full without threads");
    /* the sink is free: wait for the oldest chunk's compression */
    slot *h = &w->slots[w->head % w->cap];
    while (h->state != SLOT_DONE) pthread_cond_wait(&w->done_cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
  }
  if (w->nthreads) pthread_mutex_lock(&w->mu);
  slot *s = &w->slots[w->next_seq % w->cap];
  zr__buf tmp = s->raw;
  s->raw = w->cur;
  w->cur = tmp;
  w->cur.len = 0;
  s->seq = w->next_seq++;
  s->records = w->cur_records;
  s->position = w->position;
  s->st = ZR_OK;
  w->cur_records = 0;
  s->held = s->raw.cap + s->out.cap;
  w->count++;
  if (w->nthreads) {
    s->state = SLOT_QUEUED;
    pthread_cond_signal(&w->work_cv);
    pthread_mutex_unlock(&w->mu);
  } else {
    build_frame(w, s);
    s->state = SLOT_DONE;
    s->held = s->raw.cap + s->out.cap;
  }
  note_held(w);
  zr_status st = drain(w, 0, err);
  return st == ZR_WOULD_BLOCK ? ZR_OK : st; /* the chunk was taken */
}

/* make room for @p more payload bytes in the current chunk (sized to one chunk at first) */
static zr_status cur_room(zr_stream_writer *w, size_t more) {
  size_t want = (w->cur.len ? w->cur.len : FH) + more;
  if (want < FH + w->o.chunk_bytes && w->cur.len == 0) want = FH + w->o.chunk_bytes;
  if (want > w->cur.cap) {
    /* grow to the chunk size first, then exactly (records larger than a chunk) */
    size_t cap = w->cur.cap < FH + w->o.chunk_bytes ? FH + w->o.chunk_bytes : w->cur.cap;
    if (cap < want) cap = want;
    if (buf_exact(&w->cur, cap) != ZR_OK) return ZR_ERR_NOMEM;
  }
  if (w->cur.len == 0) {
    memset(w->cur.data, 0, FH);
    w->cur.len = FH;
  }
  return ZR_OK;
}

/* ---- construction ---- */

/* Options with their defaults filled in, checked (ZR_ERR_CONFIG names the first bad one). */
static zr_status resolve_opts(const zr_stream_opts *opts, zr_stream_opts *out, zr_error *err) {
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  if (opts) {
    o = *opts;
    zr_stream_opts d;
    zr_stream_opts_init(&d);
    if (!o.payload) o.payload = d.payload;
    if (!o.chunk_bytes) o.chunk_bytes = d.chunk_bytes;
    if (!o.max_inflight) o.max_inflight = d.max_inflight;
    if (!o.mem_budget) o.mem_budget = d.mem_budget;
    if (!o.checkpoint_every) o.checkpoint_every = d.checkpoint_every;
  }
  if (o.payload != ZR_STREAM_BINARY && o.payload != ZR_STREAM_ARROW)
    return zr__err(err, ZR_ERR_CONFIG, -1, "unknown stream payload %d", o.payload);
  if (o.codec < 0 || o.codec > 3) return zr__err(err, ZR_ERR_CONFIG, -1, "unknown codec id %d", o.codec);
  if (o.codec) {
    int lvl;
    ZR_TRY(zr_codec_level(o.codec, o.level, &lvl, err));
    o.level = lvl;
  }
  if (o.threads > 64) return zr__err(err, ZR_ERR_CONFIG, -1, "at most 64 compression threads");
  if (o.max_inflight > 1024) return zr__err(err, ZR_ERR_CONFIG, -1, "max_inflight above 1024");
  if (o.chunk_bytes > ZR_STREAM_MAX_CHUNK / 2) return zr__err(err, ZR_ERR_CONFIG, -1, "chunk_bytes above 512 MiB");
  if (o.mem_budget < 4 * o.chunk_bytes)
    return zr__err(err, ZR_ERR_CONFIG, -1, "mem_budget %zu is below four chunks (%zu bytes each)", o.mem_budget,
                   o.chunk_bytes);
  *out = o;
  return ZR_OK;
}

static zr_status writer_create(zr_sink *sink, const zr_stream_opts *opts, zr_stream_writer **out, zr_error *err) {
  zr_stream_opts o;
  ZR_TRY(resolve_opts(opts, &o, err));
  const zr_allocator *a = zr__alloc_or_default(o.alloc);
  zr_stream_writer *w = zr__malloc(a, sizeof *w);
  if (!w) return zr__err_nomem(err);
  memset(w, 0, sizeof *w);
  w->o = o;
  w->alloc = a;
  w->sink = sink;
  w->fd = -1;
  w->fingerprint = o.schema_fingerprint;
  w->last_position = ZR_STREAM_POSITION_UNKNOWN;
  w->position = ZR_STREAM_POSITION_UNKNOWN;
  zr__buf_init(&w->cur, a);
  w->cap = o.max_inflight;
  w->slots = zr__malloc(a, sizeof(slot) * w->cap);
  if (!w->slots) {
    zr__free(a, w);
    return zr__err_nomem(err);
  }
  memset(w->slots, 0, sizeof(slot) * w->cap);
  for (unsigned i = 0; i < w->cap; i++) {
    zr__buf_init(&w->slots[i].raw, a);
    zr__buf_init(&w->slots[i].out, a);
  }
  *out = w;
  zr_status st = zr_sink_memory_new(a, &w->scratch, err);
  if (st != ZR_OK) goto fail;
  if (o.threads) {
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work_cv, NULL);
    pthread_cond_init(&w->done_cv, NULL);
    w->threads = zr__malloc(a, sizeof(pthread_t) * o.threads);
    if (!w->threads) {
      st = zr__err_nomem(err);
      pthread_mutex_destroy(&w->mu);
      pthread_cond_destroy(&w->work_cv);
      pthread_cond_destroy(&w->done_cv);
      goto fail;
    }
    for (unsigned i = 0; i < o.threads; i++) {
      if (pthread_create(&w->threads[i], NULL, worker_main, w) != 0) {
        st = zr__err(err, ZR_ERR_INTERNAL, -1, "pthread_create failed");
        break;
      }
      w->nthreads++;
    }
    if (w->nthreads == 0) {
      zr__free(a, w->threads);
      w->threads = NULL;
      pthread_mutex_destroy(&w->mu);
      pthread_cond_destroy(&w->work_cv);
      pthread_cond_destroy(&w->done_cv);
      goto fail;
    }
    if (st != ZR_OK) goto fail;
  }
  return ZR_OK;
fail:
  zr_stream_writer_free(w);
  *out = NULL;
  return st;
}

zr_status zr_stream_writer_new(zr_sink *sink, const zr_stream_opts *opts, zr_stream_writer **out, zr_error *err) {
  if (!sink || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "sink or out is NULL");
  *out = NULL;
  return writer_create(sink, opts, out, err);
}

static zr_status io_fail(zr_error *err, const char *what, const char *path) {
  int e = errno;
  zr_status code = e == ENOENT ? ZR_ERR_NOT_FOUND
                   : e == ENOSPC ? ZR_ERR_NOSPACE
                   : (e == EACCES || e == EPERM) ? ZR_ERR_PERMISSION
                                                 : ZR_ERR_IO;
  return zr__err(err, code, -1, "%s %s: %s", what, path, strerror(e));
}

/* Decide where an existing file is cut: checkpoint first, else scan. */
static zr_status find_cut(int fd, const char *ckpt, zr_stream_checkpoint *cp, int *payload, int *complete,
                          zr_error *err) {
  struct stat sb;
  if (fstat(fd, &sb) != 0) return io_fail(err, "stat", "stream output");
  uint64_t size = (uint64_t)sb.st_size;
  *complete = 0;
  zr_stream_checkpoint c;
  uint8_t h[ZR_STREAM_HEADER_SIZE];
  memset(cp, 0, sizeof *cp);
  cp->position = ZR_STREAM_POSITION_UNKNOWN;
  if (size < sizeof h) {
    /* empty, or a torn header (our header goes out in one write): start over; anything that does
     * not begin like a stream header is someone else's file */
    size_t n = (size_t)size < 4 ? (size_t)size : 4;
    if (n && (pread(fd, h, n, 0) != (ssize_t)n || memcmp(h, ZR_STREAM_MAGIC, n) != 0))
      return zr__err(err, ZR_ERR_FORMAT, 0, "the existing output is not a zerial stream; refusing to append");
    return ZR_OK;
  }
  if (pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h) return io_fail(err, "read", "stream output");
  uint64_t fp = 0, hsum = 0;
  int pl = 0;
  zr_error he;
  zr_status hst = zr__st_header_get(h, &pl, &fp, &hsum, &he);
  /* a whole header that is not ours, damaged or of another version: never truncate it away */
  if (hst == ZR_ERR_FORMAT)
    return zr__err(err, hst, 0, "the existing output is not a zerial stream; refusing to append");
  if (hst != ZR_OK)
    return zr__err(err, hst, he.offset, "the existing output's stream header: %s; refusing to append", he.message);
  if (zr_stream_checkpoint_read(ckpt, &c, NULL) == ZR_OK && c.offset <= size &&
      c.offset >= ZR_STREAM_HEADER_SIZE && c.fingerprint == fp) {
    /* the checkpoint must sit on a frame boundary: either the end of data or a frame magic */
    uint8_t m[4];
    if (c.offset == size || (pread(fd, m, 4, (off_t)c.offset) == 4 && memcmp(m, ZR__ST_FRAME_MAGIC, 4) == 0)) {
      int trusted = 1;
      /* a valid trailer right at the cut means the stream is complete; one whose stream checksum
       * is not the checkpoint's says the checkpoint belongs to another stream: scan instead */
      if (size - c.offset == FH + ZR__ST_TRAILER_PAYLOAD) {
        uint8_t t[FH + ZR__ST_TRAILER_PAYLOAD];
        zr__st_frame f = {0};
        uint64_t seed = 0;
        if (pread(fd, t, sizeof t, (off_t)c.offset) == (ssize_t)sizeof t &&
            zr__st_frame_get(t, c.offset, &f, &seed, NULL) == ZR_OK && f.type == ZR__ST_TYPE_TRAILER &&
            zr_xxh3_64(t + FH, ZR__ST_TRAILER_PAYLOAD, seed) == f.checksum) {
          if (zr__ld64le(t + FH + 24) == c.checksum) *complete = 1;
          else trusted = 0;
        }
      }
      if (trusted) {
        *cp = c;
        *payload = pl;
        return ZR_OK;
      }
    }
  }
  void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (m == MAP_FAILED) return io_fail(err, "mmap", "stream output");
  zr_status st = zr__st_scan(m, (size_t)size, cp, complete, payload, err);
  munmap(m, (size_t)size);
  return st;
}

zr_status zr_stream_writer_open_file(const char *path, const zr_stream_opts *opts, int append, zr_stream_writer **out,
                                     zr_stream_checkpoint *resume, zr_error *err) {
  if (!path || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "path or out is NULL");
  *out = NULL;
  /* bad options must not cost an existing file its contents (open truncates without append) */
  zr_stream_opts checked;
  ZR_TRY(resolve_opts(opts, &checked, err));
  size_t n = strlen(path);
  char *ckpt = malloc(n + 6);
  if (!ckpt) return zr__err_nomem(err);
  memcpy(ckpt, path, n);
  memcpy(ckpt + n, ".ckpt", 6);
  zr_stream_checkpoint cp;
  memset(&cp, 0, sizeof cp);
  cp.position = ZR_STREAM_POSITION_UNKNOWN;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (append ? 0 : O_TRUNC), 0644);
  zr_status st = ZR_OK;
  if (fd < 0) {
    st = io_fail(err, "open", path);
    free(ckpt);
    return st;
  }
  if (append) {
    int payload = 0, complete = 0;
    st = find_cut(fd, ckpt, &cp, &payload, &complete, err);
    if (st == ZR_OK && complete) st = zr__err(err, ZR_ERR_EXISTS, -1, "%s is already a complete stream", path);
    int want = opts && opts->payload ? opts->payload : ZR_STREAM_BINARY;
    if (st == ZR_OK && cp.offset > 0 && payload != want)
      st = zr__err(err, ZR_ERR_INCOMPATIBLE, 5, "%s holds %s chunks; cannot append %s chunks", path,
                   payload == ZR_STREAM_ARROW ? "arrow" : "binary", want == ZR_STREAM_ARROW ? "arrow" : "binary");
    if (st == ZR_OK && cp.offset > 0 && opts && opts->schema_fingerprint && opts->schema_fingerprint != cp.fingerprint)
      st = zr__err(err, ZR_ERR_INCOMPATIBLE, 8, "schema fingerprint %016llx of %s differs from %016llx",
                   (unsigned long long)cp.fingerprint, path, (unsigned long long)opts->schema_fingerprint);
    if (st == ZR_OK && ftruncate(fd, (off_t)cp.offset) != 0) st = io_fail(err, "truncate", path);
    cp.resumed = cp.offset > 0;
  } else {
    unlink(ckpt);
  }
  if (st == ZR_OK && lseek(fd, (off_t)cp.offset, SEEK_SET) < 0) st = io_fail(err, "seek", path);
  zr_sink *sink = NULL;
  if (st == ZR_OK) st = zr_sink_fd_new(fd, &sink, err);
  zr_stream_writer *w = NULL;
  if (st == ZR_OK) st = writer_create(sink, opts, &w, err);
  if (st != ZR_OK) {
    zr_sink_free(sink);
    close(fd);
    free(ckpt);
    return st;
  }
  w->own_sink = 1;
  w->fd = fd;
  w->ckpt_path = ckpt;
  if (cp.resumed) {
    w->header_written = 1;
    w->fingerprint = cp.fingerprint;
    w->running = cp.checksum;
    w->sink_bytes = cp.offset;
    w->chunks_out = cp.chunks;
    w->records_out = cp.records;
    w->head = w->next_seq = cp.chunks;
    w->last_position = cp.position;
    w->position = cp.position;
  }
  if (resume) *resume = cp;
  *out = w;
  return ZR_OK;
}

/* ---- writing ---- */

static zr_status precheck(zr_stream_writer *w, int payload, zr_error *err) {
  if (!w) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "writer is NULL");
  if (w->sticky) {
    if (err) *err = w->sticky_err;
    return w->sticky;
  }
  if (w->trailer_written) return zr__err(err, ZR_ERR_STATE, -1, "the stream is finished");
  if (w->o.payload != payload)
    return zr__err(err, ZR_ERR_STATE, -1, "this writer holds %s chunks",
                   w->o.payload == ZR_STREAM_ARROW ? "Arrow" : "binary");
  return ZR_OK;
}

/* empty the scratch sink and give its memory back (taking an empty sink would allocate) */
static void scratch_reset(zr_stream_writer *w) {
  const uint8_t *held;
  size_t len;
  uint8_t *taken = NULL;
  if (zr_sink_memory_data(w->scratch, &held, &len) == ZR_OK && held &&
      zr_sink_memory_take(w->scratch, &taken, &len, NULL) == ZR_OK)
    zr__free(w->alloc, taken);
}

zr_status zr_stream_writer_write_value(zr_stream_writer *w, const zr_value *v, zr_error *err) {
  ZR_TRY(precheck(w, ZR_STREAM_BINARY, err));
  if (!v) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "value is NULL");
  /* encode into the scratch sink first (value errors are not sticky) */
  const uint8_t *enc;
  size_t elen;
  scratch_reset(w);
  ZR_TRY(zr_binary_encode(v, NULL, w->scratch, err));
  zr_sink_memory_data(w->scratch, &enc, &elen);
  if ((uint64_t)elen + 4 > ZR_STREAM_MAX_CHUNK)
    return zr__err(err, ZR_ERR_LIMIT, -1, "record of %zu bytes does not fit in a chunk", elen);
  /* seal the current chunk when this record does not fit: the caller has set the input position
   * reached after its last record by now */
  if (w->cur_records > 0 && (w->cur.len - FH + 4 + elen > w->o.chunk_bytes ||
                             (w->o.chunk_records && w->cur_records >= w->o.chunk_records)))
    ZR_TRY(seal(w, err)); /* WOULD_BLOCK: the record is not taken */
  size_t cap_before = w->cur.cap;
  if (cur_room(w, 4 + elen) != ZR_OK) return fail(w, zr__err_nomem(err), err, err);
  zr__st32le(w->cur.data + w->cur.len, (uint32_t)elen);
  memcpy(w->cur.data + w->cur.len + 4, enc, elen);
  w->cur.len += 4 + elen;
  w->cur_records++;
  if (w->cur.cap != cap_before) note_held(w);
  return ZR_OK;
}

/* hash of the schema message at the start of an Arrow IPC stream */
static uint64_t arrow_schema_hash(const uint8_t *p, size_t n) {
  if (n < 8 || zr__ld32le(p) != 0xFFFFFFFFu) return 0;
  uint32_t len = zr__ld32le(p + 4);
  if ((uint64_t)len + 8 > n) return 0;
  return zr_xxh3_64(p, 8 + (size_t)len, 0);
}

zr_status zr_stream_writer_write_batch(zr_stream_writer *w, const struct ArrowSchema *schema,
                                       const struct ArrowArray *batch, zr_error *err) {
  ZR_TRY(precheck(w, ZR_STREAM_ARROW, err));
  if (!schema || !batch || !schema->release || !batch->release)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "schema or batch is NULL or released");
  if (w->cur.len) ZR_TRY(seal(w, err)); /* WOULD_BLOCK: the batch is not taken */
  scratch_reset(w);
  zr_arrow_write_opts ao;
  memset(&ao, 0, sizeof ao);
  ao.alloc = w->o.alloc;
  zr_arrow_writer *aw = NULL;
  zr_status st = zr_arrow_writer_new(w->scratch, schema, &ao, &aw, err);
  if (st == ZR_OK) st = zr_arrow_writer_write(aw, batch, err);
  if (st == ZR_OK) st = zr_arrow_writer_finish(aw, err);
  zr_arrow_writer_free(aw);
  if (st != ZR_OK) return st;
  const uint8_t *enc;
  size_t elen;
  zr_sink_memory_data(w->scratch, &enc, &elen);
  if ((uint64_t)elen > ZR_STREAM_MAX_CHUNK) return zr__err(err, ZR_ERR_LIMIT, -1, "batch of %zu bytes exceeds 1 GiB", elen);
  if (!w->header_written && w->next_seq == 0 && w->fingerprint == 0) w->fingerprint = arrow_schema_hash(enc, elen);
  if (cur_room(w, elen) != ZR_OK) return fail(w, zr__err_nomem(err), err, err);
  memcpy(w->cur.data + w->cur.len, enc, elen);
  w->cur.len += elen;
  w->cur_records = batch->length > 0 ? (uint64_t)batch->length : 0;
  note_held(w);
  return ZR_OK; /* sealed by the next write, flush or finish */
}

void zr_stream_writer_set_position(zr_stream_writer *w, uint64_t position) {
  if (w) w->position = position;
}

zr_status zr_stream_writer_poll(zr_stream_writer *w, zr_error *err) {
  if (!w) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "writer is NULL");
  zr_status st = drain(w, 0, err);
  if (st == ZR_WOULD_BLOCK) w->stats.would_block++;
  return st;
}

zr_status zr_stream_writer_flush(zr_stream_writer *w, zr_error *err) {
  if (!w) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "writer is NULL");
  zr_status st = seal(w, err);
  if (st == ZR_OK) st = drain(w, 1, err);
  if (st == ZR_OK && w->own_sink) {
    /* a file writer's sink is its own: flushed chunks reach the file (a process crash keeps them) */
    zr_error e;
    zr_error_clear(&e);
    st = zr_sink_flush(w->sink, &e);
    if (st != ZR_OK) return fail(w, st, &e, err);
  }
  if (st == ZR_WOULD_BLOCK) w->stats.would_block++;
  return st;
}

zr_status zr_stream_writer_finish(zr_stream_writer *w, zr_error *err) {
  if (!w) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "writer is NULL");
  if (w->finished) return ZR_OK;
  /* a failure (also of the trailer itself) is final: never report a later finish as done */
  if (w->sticky) {
    if (err) *err = w->sticky_err;
    return w->sticky;
  }
  if (!w->trailer_written) {
    zr_status st = zr_stream_writer_flush(w, err);
    if (st != ZR_OK) return st;
    st = write_header(w, err);
    if (st != ZR_OK) return st;
    uint8_t t[FH + ZR__ST_TRAILER_PAYLOAD];
    zr__st_frame f = {ZR__ST_TYPE_TRAILER, 0, w->chunks_out, ZR__ST_TRAILER_PAYLOAD, ZR__ST_TRAILER_PAYLOAD,
                      w->records_out, 0};
    uint64_t seed = zr__st_frame_put(t, &f);
    zr__st64le(t + FH, w->chunks_out);
    zr__st64le(t + FH + 8, w->records_out);
    zr__st64le(t + FH + 16, w->sink_bytes);
    zr__st64le(t + FH + 24, w->running);
    zr__st64le(t + 32, zr_xxh3_64(t + FH, ZR__ST_TRAILER_PAYLOAD, seed));
    w->trailer_written = 1;
    st = sink_write(w, t, sizeof t, err);
    if (st != ZR_OK) return st;
  }
  zr_status st = unblock(w, err);
  if (st == ZR_WOULD_BLOCK) {
    w->stats.would_block++;
    return st;
  }
  if (st != ZR_OK) return st;
  zr_error e;
  zr_error_clear(&e);
  st = zr_sink_flush(w->sink, &e);
  if (st != ZR_OK) return st == ZR_WOULD_BLOCK ? st : fail(w, st, &e, err);
  if (w->fd >= 0) {
    if (!w->o.no_sync && fsync(w->fd) != 0 && errno != EINVAL)
      return fail(w, zr__err(&e, ZR_ERR_IO, -1, "fsync: %s", strerror(errno)), &e, err);
    if (w->ckpt_path) unlink(w->ckpt_path);
  }
  w->finished = 1;
  note_held(w);
  return ZR_OK;
}

void zr_stream_writer_stats(const zr_stream_writer *w, zr_stream_stats *out) {
  if (!out) return;
  if (!w) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = w->stats;
}

void zr_stream_writer_free(zr_stream_writer *w) {
  if (!w) return;
  if (w->nthreads) {
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    /* queued chunks are dropped */
    for (unsigned i = 0; i < w->cap; i++)
      if (w->slots[i].state == SLOT_QUEUED) w->slots[i].state = SLOT_FREE;
    pthread_cond_broadcast(&w->work_cv);
    pthread_mutex_unlock(&w->mu);
    for (unsigned i = 0; i < w->nthreads; i++) pthread_join(w->threads[i], NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->work_cv);
    pthread_cond_destroy(&w->done_cv);
  }
  const zr_allocator *a = w->alloc;
  if (w->threads) zr__free(a, w->threads);
  for (unsigned i = 0; i < w->cap; i++) {
    zr__buf_free(&w->slots[i].raw);
    zr__buf_free(&w->slots[i].out);
  }
  zr__free(a, w->slots);
  zr__buf_free(&w->cur);
  zr_sink_free(w->scratch);
  if (w->own_sink) zr_sink_free(w->sink);
  if (w->fd >= 0) close(w->fd);
  free(w->ckpt_path);
  zr__free(a, w);
}
