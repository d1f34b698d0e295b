/* zerial convert --stream IN OUT: bounded-memory conversion in chunks.
 *
 *   JSON lines  -> zerial stream (binary records, or Arrow batches with --to arrow), checkpointed
 *                  beside OUT so that `--resume` continues after a crash without losing or
 *                  duplicating a record;
 *   zerial stream -> JSON lines (--to json, the default), or a plain Arrow IPC stream
 *                  (--to arrow-stream, for streams of Arrow batches).
 *
 * The input is read with read(2) in 1 MiB blocks (never mapped), so memory stays bounded
 * whatever its size. A progress bar (bytes, rate, ETA) goes to stderr when it is a terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "convert_stream.h"
#include "zerial/arrow.h"
#include "zerial/stream.h"

#define CS_NAME "convert --stream"
#define CS_BLOCK ((size_t)1 << 20)
#define CS_MAX_LINE ((size_t)1 << 30)

/* ---- progress ---- */

typedef struct progress {
  int on;
  uint64_t total; /* 0: unknown */
  double t0, last;
  int drawn;
} progress;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(double b, char *out, size_t cap) {
  const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (b >= 1024 && i < 4) b /= 1024, i++;
  snprintf(out, cap, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

static void progress_draw(progress *p, uint64_t done, int final) {
  if (!p->on) return;
  double t = now_s();
  if (!final && t - p->last < 0.2) return;
  p->last = t;
  double el = t - p->t0 > 1e-6 ? t - p->t0 : 1e-6;
  double rate = (double)done / el;
  char d[32], tot[32], r[32], eta[32] = "";
  human((double)done, d, sizeof d);
  human(rate, r, sizeof r);
  if (p->total) {
    human((double)p->total, tot, sizeof tot);
    double frac = done >= p->total ? 1.0 : (double)done / (double)p->total;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '-';
    bar[30] = 0;
    if (rate > 0 && done < p->total) {
      unsigned long s = (unsigned long)((double)(p->total - done) / rate);
      snprintf(eta, sizeof eta, " ETA %lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    }
    fprintf(stderr, "\r[%s] %5.1f%% %s / %s  %s/s%s   ", bar, frac * 100, d, tot, r, eta);
  } else {
    fprintf(stderr, "\r%s  %s/s   ", d, r);
  }
  if (final) fputc('\n', stderr);
  fflush(stderr);
  p->drawn = 1;
}

/* ---- JSON lines ---- */

typedef struct lines {
  int fd;
  uint8_t *buf;
  size_t cap, start, end;
  uint64_t base; /* input offset of buf[0] */
  int eof;
  uint64_t lineno;
} lines;

/* Next non-blank line (without its newline); *end_pos is the input offset after its newline.
 * Returns 1 with a line, 0 at the end, -1 on a read error or an over-long line (errno set). */
static int lines_next(lines *l, const char **line, size_t *len, uint64_t *end_pos) {
  for (;;) {
    uint8_t *nl = l->end > l->start ? memchr(l->buf + l->start, '\n', l->end - l->start) : NULL;
    if (nl || (l->eof && l->end > l->start)) {
      size_t s = l->start, e = nl ? (size_t)(nl - l->buf) : l->end;
      l->start = nl ? e + 1 : e;
      l->lineno++;
      *end_pos = l->base + l->start;
      size_t a = s, b = e;
      while (a < b && (l->buf[a] == ' ' || l->buf[a] == '\t' || l->buf[a] == '\r')) a++;
      while (b > a && (l->buf[b - 1] == ' ' || l->buf[b - 1] == '\t' || l->buf[b - 1] == '\r')) b--;
      if (a == b) continue; /* blank line: not a record */
      *line = (const char *)l->buf + a;
      *len = b - a;
      return 1;
    }
    if (l->eof) return 0;
    /* refill: move the partial line to the front, grow when it fills the buffer */
    if (l->start > 0) {
      memmove(l->buf, l->buf + l->start, l->end - l->start);
      l->base += l->start;
      l->end -= l->start;
      l->start = 0;
    }
    if (l->end == l->cap) {
      if (l->cap >= CS_MAX_LINE) {
        errno = EFBIG;
        return -1;
      }
      uint8_t *nb = realloc(l->buf, l->cap * 2);
      if (!nb) return -1;
      l->buf = nb;
      l->cap *= 2;
    }
    ssize_t r = read(l->fd, l->buf + l->end, l->cap - l->end);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) l->eof = 1;
    l->end += (size_t)r;
  }
}

/* ---- options ---- */

typedef struct cs_opts {
  const char *in, *out, *to;
  int codec, level, threads, resume, extended, progress; /* progress: -1 auto, 0 off, 1 on */
  uint64_t chunk_size, chunk_rows;
} cs_opts;

static int usage(const char *fmt, const char *arg) {
  fprintf(stderr, "zerial " CS_NAME ": ");
  fprintf(stderr, fmt, arg ? arg : "");
  fprintf(stderr, "\n(see zerial convert --help and docs/guides/streaming.md)\n");
  return ZR_CLI_USAGE;
}

static int parse_size(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s) return 0;
  if (*end == 'K' || *end == 'k') v <<= 10, end++;
  else if (*end == 'M' || *end == 'm') v <<= 20, end++;
  else if (*end == 'G' || *end == 'g') v <<= 30, end++;
  if (*end == 'i' && end[1] == 'B') end += 2;
  if (*end || v == 0) return 0;
  *out = v;
  return 1;
}

static int parse(int argc, char **argv, cs_opts *o) {
  memset(o, 0, sizeof *o);
  o->progress = -1;
  int only_pos = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    if (!only_pos && a[0] == '-' && a[1]) {
      if (strcmp(a, "--") == 0) only_pos = 1;
      else if (strcmp(a, "--stream") == 0) continue;
      else if (strcmp(a, "--resume") == 0) o->resume = 1;
      else if (strcmp(a, "--progress") == 0) o->progress = 1;
      else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) o->progress = 0;
      else if (strcmp(a, "--extended") == 0) o->extended = 1;
      else if (zr_cli_opt_value(argc, argv, &i, "--to", &v)) {
        if (!v) return usage("--to needs binary, arrow, json or arrow-stream", NULL);
        o->to = v;
      } else if (zr_cli_opt_value(argc, argv, &i, "--from", &v)) {
        if (!v || (strcmp(v, "json") && strcmp(v, "stream"))) return usage("--from takes json or stream with --stream", NULL);
      } else if (zr_cli_opt_value(argc, argv, &i, "--compression", &v)) {
        const zr_codec_info *ci = v ? zr_codec_by_name(v) : NULL;
        if (!ci) return usage("unknown compression '%s' (none, lz4, zstd, gzip)", v);
        o->codec = (int)ci->id;
      } else if (zr_cli_opt_value(argc, argv, &i, "--level", &v)) {
        if (!v || atoi(v) < 1) return usage("--level needs a positive number", NULL);
        o->level = atoi(v);
      } else if (zr_cli_opt_value(argc, argv, &i, "--threads", &v)) {
        if (!v || atoi(v) < 0 || atoi(v) > 64) return usage("--threads needs a number from 0 to 64", NULL);
        o->threads = atoi(v);
      } else if (zr_cli_opt_value(argc, argv, &i, "--chunk-size", &v)) {
        if (!v || !parse_size(v, &o->chunk_size) || o->chunk_size > ((uint64_t)256 << 20))
          return usage("--chunk-size needs a size from 1 byte to 256M", NULL);
      } else if (zr_cli_opt_value(argc, argv, &i, "--chunk-rows", &v)) {
        if (!v || !parse_size(v, &o->chunk_rows)) return usage("--chunk-rows needs a positive number", NULL);
      } else if (strcmp(a, "--envelope") == 0 || strcmp(a, "--no-envelope") == 0 || strcmp(a, "--pretty") == 0) {
        return usage("%s does not apply to --stream", a);
      } else {
        return usage("unknown option '%s'", a);
      }
      continue;
    }
    if (!o->in) o->in = a;
    else if (!o->out) o->out = a;
    else return usage("unexpected argument '%s'", a);
  }
  if (!o->in || !o->out) return usage("needs IN and OUT", NULL);
  if (o->progress < 0) o->progress = isatty(2) ? 1 : 0;
  return -1;
}

static int fail(const char *what, const zr_error *err) { return zr_cli_fail(CS_NAME, what, err); }

/* fail() with WHAT "IN WHERE LINENO", such as "in.jsonl line 7" or "in.jsonl rows up to line 9". */
static int fail_line(const char *in, const char *where, uint64_t lineno, const zr_error *err) {
  char what[160];
  snprintf(what, sizeof what, "%s %s %llu", in, where, (unsigned long long)lineno);
  return fail(what, err);
}

/* The JSON line just read (@p line, @p len, ending at input offset @p end_pos) as a document
 * *@p d. ZR_CLI_OK, or the report (the byte offset counted in the whole input) and
 * ZR_CLI_BAD_INPUT with *@p d NULL. */
static int line_doc(const char *in, const lines *l, const char *line, size_t len, uint64_t end_pos, unsigned jflags,
                    zr_doc **d, zr_error *err) {
  *d = NULL;
  if (zr_value_from_json(line, len, jflags, NULL, d, err) == ZR_OK) return ZR_CLI_OK;
  if (err->offset >= 0) err->offset += (int64_t)(end_pos - len - 1);
  zr_doc_free(*d);
  *d = NULL;
  return fail_line(in, "line", l->lineno, err);
}

/* The report of a failed lines_next (errno set), at the input offset reached; ZR_CLI_BAD_INPUT. */
static int lines_failed(const char *in, const lines *l, zr_error *err) {
  zr_error_set(err, ZR_ERR_IO, (int64_t)(l->base + l->end), "reading: %s", strerror(errno));
  return fail(in, err);
}

/* Open a chunk of rows (a document and an empty list in it) unless one is open. */
static zr_status chunk_open(zr_doc **chunk_doc, zr_value *rows, zr_error *err) {
  if (*chunk_doc) return ZR_OK;
  *chunk_doc = zr_doc_new(NULL);
  if (!*chunk_doc) return zr_error_set(err, ZR_ERR_NOMEM, -1, "out of memory");
  *rows = zr_list_new(*chunk_doc, 1024);
  return ZR_OK;
}

/* @p v as one JSON line on @p out. */
static zr_status value_jsonl(const zr_value *v, unsigned jflags, zr_sink *out, zr_error *err) {
  zr_status st = zr_value_to_json(v, jflags, out, err);
  return st == ZR_OK ? zr_sink_write(out, "\n", 1, err) : st;
}

/* The rows of table @p t (released here) as JSON lines on @p out. */
static zr_status table_jsonl(zr_table *t, unsigned jflags, zr_sink *out, zr_error *err) {
  zr_doc *doc = zr_doc_new(NULL);
  zr_value rows;
  zr_status st = doc ? zr_arrow_to_value(t, doc, &rows, err) : ZR_ERR_NOMEM;
  zr_table_release(t);
  for (uint64_t i = 0; st == ZR_OK && i < zr_len(&rows); i++) st = value_jsonl(zr_item(&rows, i), jflags, out, err);
  zr_doc_free(doc);
  return st;
}

/* Convert the gathered rows to one table and write its batches; frees the rows' doc. */
static zr_status flush_rows(zr_stream_writer *w, zr_doc **chunk_doc, zr_value *rows, uint64_t end_pos, zr_error *err) {
  zr_table t;
  zr_arrow_convert_opts co;
  memset(&co, 0, sizeof co);
  zr_status st = zr_arrow_from_value(rows, &co, &t, NULL, err);
  zr_doc_free(*chunk_doc);
  *chunk_doc = NULL;
  if (st != ZR_OK) return st;
  for (int64_t b = 0; b < t.n_batches && st == ZR_OK; b++) {
    /* a chunk sealed before the last batch is written does not end at a known input position */
    if (b + 1 < t.n_batches) zr_stream_writer_set_position(w, ZR_STREAM_POSITION_UNKNOWN);
    st = zr_stream_writer_write_batch(w, &t.schema, &t.batches[b], err);
  }
  zr_table_release(&t);
  if (st == ZR_OK) zr_stream_writer_set_position(w, end_pos);
  return st;
}

/* ---- JSON lines -> stream ---- */

static int to_stream(const cs_opts *o, int in_fd, const uint8_t *prefix, size_t prefix_len, uint64_t total) {
  int arrow = o->to && strcmp(o->to, "arrow") == 0;
  if (o->to && !arrow && strcmp(o->to, "binary") != 0)
    return usage("JSON lines convert to --to binary or --to arrow (got '%s')", o->to);
  zr_stream_opts so;
  zr_stream_opts_init(&so);
  so.payload = arrow ? ZR_STREAM_ARROW : ZR_STREAM_BINARY;
  so.codec = o->codec;
  so.level = o->level;
  so.threads = (unsigned)o->threads;
  if (o->chunk_size) so.chunk_bytes = (size_t)o->chunk_size;
  so.chunk_records = o->chunk_rows;
  if (so.mem_budget < 4 * so.chunk_bytes) so.mem_budget = 4 * so.chunk_bytes;
  uint64_t arrow_rows = o->chunk_rows ? o->chunk_rows : 65536;

  zr_error err;
  zr_error_clear(&err);
  zr_stream_writer *w = NULL;
  zr_sink *stdout_sink = NULL;
  zr_stream_checkpoint cp;
  memset(&cp, 0, sizeof cp);
  int stdout_out = strcmp(o->out, "-") == 0;
  if (stdout_out) {
    if (o->resume) return usage("--resume needs OUT to be a file", NULL);
    if (zr_sink_fd_new(1, &stdout_sink, &err) != ZR_OK || zr_stream_writer_new(stdout_sink, &so, &w, &err) != ZR_OK) {
      zr_sink_free(stdout_sink);
      return fail("stdout", &err);
    }
  } else {
    zr_status st = zr_stream_writer_open_file(o->out, &so, o->resume, &w, &cp, &err);
    if (st == ZR_ERR_EXISTS && o->resume) {
      if (o->progress) fprintf(stderr, "zerial " CS_NAME ": %s is already complete\n", o->out);
      return ZR_CLI_OK;
    }
    if (st != ZR_OK) return fail(o->out, &err);
  }

  lines l = {in_fd, malloc(CS_BLOCK), CS_BLOCK, 0, 0, 0, 0, 0};
  if (!l.buf) {
    zr_stream_writer_free(w);
    zr_sink_free(stdout_sink);
    zr_error_set(&err, ZR_ERR_NOMEM, -1, "out of memory");
    return fail("input", &err);
  }
  memcpy(l.buf, prefix, prefix_len);
  l.end = prefix_len;
  uint64_t skip_records = 0;
  if (cp.resumed) {
    if (cp.position != ZR_STREAM_POSITION_UNKNOWN && lseek(in_fd, (off_t)cp.position, SEEK_SET) == (off_t)cp.position) {
      l.start = l.end = 0;
      l.base = cp.position;
    } else {
      skip_records = cp.records; /* one record per non-blank line (pipes, scanned cuts) */
    }
    if (o->progress)
      fprintf(stderr, "zerial " CS_NAME ": resuming %s at chunk %llu (%llu records, byte %llu of the output%s)\n",
              o->out, (unsigned long long)cp.chunks, (unsigned long long)cp.records, (unsigned long long)cp.offset,
              cp.from_checkpoint ? ", from the checkpoint" : ", found by scanning");
  }
  progress pg = {o->progress, total, now_s(), 0, 0};
  int rc = ZR_CLI_BAD_INPUT;
  zr_doc *chunk_doc = NULL;
  zr_value rows = zr_null();
  uint64_t rows_n = 0, rows_bytes = 0, records = 0;
  unsigned jflags = o->extended ? ZR_JSON_EXTENDED : 0u;
  const char *line;
  size_t len;
  uint64_t end_pos = 0;
  int got;
  while ((got = lines_next(&l, &line, &len, &end_pos)) == 1) {
    if (skip_records) {
      skip_records--;
      continue;
    }
    zr_doc *d;
    if (line_doc(o->in, &l, line, len, end_pos, jflags, &d, &err) != ZR_CLI_OK) goto done; /* rc: bad input */
    zr_status st;
    if (!arrow) {
      st = zr_stream_writer_write_value(w, zr_doc_root(d), &err);
      zr_doc_free(d);
      if (st != ZR_OK) {
        rc = fail_line(o->in, "line", l.lineno, &err);
        goto done;
      }
      zr_stream_writer_set_position(w, end_pos);
    } else {
      if (chunk_open(&chunk_doc, &rows, &err) != ZR_OK) {
        zr_doc_free(d);
        rc = fail("rows", &err);
        goto done;
      }
      zr_value copy;
      st = zr_value_copy(chunk_doc, zr_doc_root(d), &copy, &err);
      zr_doc_free(d);
      if (st == ZR_OK) st = zr_list_push(chunk_doc, &rows, copy);
      if (st != ZR_OK) {
        rc = fail("rows", &err);
        goto done;
      }
      rows_n++;
      rows_bytes += len;
    }
    records++;
    if (arrow && (rows_n >= arrow_rows || rows_bytes >= so.chunk_bytes)) {
      rows_n = rows_bytes = 0;
      if (flush_rows(w, &chunk_doc, &rows, end_pos, &err) != ZR_OK) {
        rc = fail_line(o->in, "rows up to line", l.lineno, &err);
        goto done;
      }
    }
    progress_draw(&pg, end_pos, 0);
  }
  if (got < 0) {
    rc = lines_failed(o->in, &l, &err);
    goto done;
  }
  if (arrow && rows_n && flush_rows(w, &chunk_doc, &rows, end_pos, &err) != ZR_OK) {
    rc = fail_line(o->in, "rows up to line", l.lineno, &err);
    goto done;
  }
  if (skip_records) {
    zr_error_set(&err, ZR_ERR_INCOMPATIBLE, -1, "the input has fewer records than %s already holds", o->out);
    rc = fail(o->in, &err);
    goto done;
  }
  if (zr_stream_writer_finish(w, &err) != ZR_OK) {
    rc = fail(o->out, &err);
    goto done;
  }
  progress_draw(&pg, end_pos > total ? end_pos : (total ? total : end_pos), 1);
  if (stdout_sink && zr_sink_finish(stdout_sink, &err) != ZR_OK) {
    rc = fail("stdout", &err);
    goto done;
  }
  if (!stdout_out) zr_cli_output_mode(o->out);
  rc = ZR_CLI_OK;
  if (o->progress) {
    zr_stream_stats s;
    zr_stream_writer_stats(w, &s);
    fprintf(stderr, "zerial " CS_NAME ": %llu records in %llu chunks, %llu bytes (%llu raw)%s\n",
            (unsigned long long)(cp.records + records), (unsigned long long)(cp.chunks + s.chunks),
            (unsigned long long)(cp.offset + s.bytes), (unsigned long long)s.raw_bytes,
            cp.resumed ? " including the resumed part" : "");
  }
done:
  if (pg.drawn && rc != ZR_CLI_OK) fputc('\n', stderr);
  zr_doc_free(chunk_doc);
  free(l.buf);
  zr_stream_writer_free(w);
  zr_sink_free(stdout_sink);
  return rc;
}

/* ---- stream -> JSON lines / Arrow IPC ---- */

typedef struct prefixed {
  int fd;
  const uint8_t *prefix;
  size_t len, pos;
} prefixed;

static zr_status prefixed_read(void *ud, void *buf, size_t cap, size_t *got) {
  prefixed *p = ud;
  if (p->pos < p->len) {
    size_t n = p->len - p->pos < cap ? p->len - p->pos : cap;
    memcpy(buf, p->prefix + p->pos, n);
    p->pos += n;
    *got = n;
    return ZR_OK;
  }
  for (;;) {
    ssize_t r = read(p->fd, buf, cap);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ZR_ERR_IO;
    *got = (size_t)r;
    return ZR_OK;
  }
}

static int from_stream(const cs_opts *o, int in_fd, const uint8_t *prefix, size_t prefix_len, uint64_t total) {
  int to_arrow = o->to && strcmp(o->to, "arrow-stream") == 0;
  if (o->to && !to_arrow && strcmp(o->to, "json") != 0)
    return usage("a zerial stream converts to --to json or --to arrow-stream (got '%s')", o->to);
  if (o->resume) return usage("--resume applies when writing a stream", NULL);
  zr_error err;
  zr_error_clear(&err);
  prefixed pf = {in_fd, prefix, prefix_len, 0};
  zr_source *src = NULL;
  zr_stream_reader *r = NULL;
  zr_sink *out = NULL;
  zr_doc *doc = NULL;
  int rc = ZR_CLI_BAD_INPUT;
  if (zr_source_callback_new(prefixed_read, &pf, &src, &err) != ZR_OK) return fail(o->in, &err);
  if (zr_stream_reader_new(src, NULL, &r, &err) != ZR_OK) {
    rc = fail(o->in, &err);
    goto done;
  }
  zr_stream_info info;
  zr_stream_reader_info(r, &info);
  if (to_arrow && info.payload != ZR_STREAM_ARROW) {
    zr_error_set(&err, ZR_ERR_STATE, 5, "the stream holds binary records, not Arrow batches (use --to json)");
    rc = fail(o->in, &err);
    goto done;
  }
  if (zr_cli_output_open(o->out, &out, &err) != ZR_OK) {
    rc = fail(o->out, &err);
    goto done;
  }
  progress pg = {o->progress, total, now_s(), 0, 0};
  unsigned jflags = o->extended ? ZR_JSON_EXTENDED : 0u;
  zr_status st = ZR_OK;
  if (to_arrow) {
    st = zr_stream_reader_to_arrow(r, out, &err);
  } else {
    int binary = info.payload == ZR_STREAM_BINARY; /* else Arrow batches */
    for (;;) {
      zr_table t;
      st = binary ? zr_stream_reader_next_value(r, NULL, &doc, &err) : zr_stream_reader_next_table(r, &t, &err);
      if (st != ZR_OK) break;
      if (binary) {
        st = value_jsonl(zr_doc_root(doc), jflags, out, &err);
        zr_doc_free(doc);
        doc = NULL;
      } else {
        st = table_jsonl(&t, jflags, out, &err);
      }
      if (st != ZR_OK) break;
      zr_stream_reader_info(r, &info);
      progress_draw(&pg, info.offset, 0);
    }
  }
  if (st == ZR_ERR_EOF) st = ZR_OK;
  if (st != ZR_OK) {
    if (pg.drawn) fputc('\n', stderr);
    rc = fail(o->in, &err);
    goto done;
  }
  if (zr_sink_finish(out, &err) != ZR_OK) {
    rc = fail(o->out, &err);
    goto done;
  }
  zr_stream_reader_info(r, &info);
  progress_draw(&pg, info.offset, 1);
  if (strcmp(o->out, "-") != 0) zr_cli_output_mode(o->out);
  rc = ZR_CLI_OK;
done:
  zr_doc_free(doc);
  zr_sink_free(out);
  zr_stream_reader_free(r);
  zr_source_free(src);
  return rc;
}

/* ---- JSON lines <-> plain Arrow IPC stream ---- */

/* The rows of one batch, reshaped against the schema fixed by the first batch: fields in schema
 * order, a missing field null, an int where the schema has float64 widened. Fails (with the line
 * number) on a row that is not an object, an unknown field, or a value whose kind the schema's
 * column cannot hold. */
static const char *kind_ok(char fmt, const zr_value *v) {
  zr_kind k = zr_kind_of(v);
  if (k == ZR_KIND_NULL) return NULL;
  switch (fmt) {
  case 'l': return k == ZR_KIND_INT ? NULL : "int64";
  case 'g': return k == ZR_KIND_INT || k == ZR_KIND_FLOAT ? NULL : "float64";
  case 'u': return k == ZR_KIND_STRING ? NULL : "utf8";
  case 'b': return k == ZR_KIND_BOOL ? NULL : "bool";
  case 'n': return "null (the field was null in every row of the first batch)";
  default: return NULL; /* nested and other types: checked when the batch is built */
  }
}

static zr_status conform_row(const struct ArrowSchema *s, zr_doc *doc, const zr_value *row, uint64_t lineno,
                             zr_value *out, zr_error *err) {
  if (zr_kind_of(row) != ZR_KIND_MAP) {
    zr_error_set(err, ZR_ERR_TYPE, -1, "line %llu: a row must be a JSON object", (unsigned long long)lineno);
    return ZR_ERR_TYPE;
  }
  for (uint64_t i = 0; i < zr_len(row); i++) {
    const zr_value *k = zr_member_key(row, i);
    int found = 0;
    for (int64_t f = 0; f < s->n_children && !found; f++) {
      const char *nm = s->children[f]->name ? s->children[f]->name : "";
      found = zr_kind_of(k) == ZR_KIND_STRING && strlen(nm) == zr_len(k) && memcmp(nm, k->u.str, zr_len(k)) == 0;
    }
    if (!found) {
      zr_error_set(err, ZR_ERR_INCOMPATIBLE, -1, "line %llu: unknown field '%.*s' (not in the schema inferred from the first batch)",
                   (unsigned long long)lineno, zr_kind_of(k) == ZR_KIND_STRING ? (int)zr_len(k) : 0,
                   zr_kind_of(k) == ZR_KIND_STRING ? k->u.str : "");
      return ZR_ERR_INCOMPATIBLE;
    }
  }
  zr_value m = zr_map_new(doc, (size_t)s->n_children);
  for (int64_t f = 0; f < s->n_children; f++) {
    const struct ArrowSchema *c = s->children[f];
    const char *nm = c->name ? c->name : "";
    const zr_value *v = zr_map_get(row, nm, strlen(nm));
    zr_value val = v ? *v : zr_null();
    const char *want = kind_ok(c->format[1] ? 0 : c->format[0], &val);
    if (want) {
      zr_error_set(err, ZR_ERR_INCOMPATIBLE, -1, "line %llu: field '%s' holds a %s but the schema (from the first batch) has %s",
                   (unsigned long long)lineno, nm, zr_kind_name(zr_kind_of(&val)), want);
      return ZR_ERR_INCOMPATIBLE;
    }
    if (zr_kind_of(&val) == ZR_KIND_INT && strcmp(c->format, "g") == 0) val = zr_float((double)val.u.i);
    zr_status st = zr_map_put_cstr(doc, &m, nm, val);
    if (st != ZR_OK) {
      zr_error_set(err, st, -1, "out of memory");
      return st;
    }
  }
  *out = m;
  return ZR_OK;
}

static int same_type(const struct ArrowSchema *a, const struct ArrowSchema *b) {
  if (strcmp(a->format, b->format) != 0 || a->n_children != b->n_children) return 0;
  if ((a->dictionary == NULL) != (b->dictionary == NULL)) return 0;
  if (a->dictionary && !same_type(a->dictionary, b->dictionary)) return 0;
  for (int64_t i = 0; i < a->n_children; i++) {
    const char *an = a->children[i]->name ? a->children[i]->name : "", *bn = b->children[i]->name ? b->children[i]->name : "";
    if (strcmp(an, bn) != 0 || !same_type(a->children[i], b->children[i])) return 0;
  }
  return 1;
}

/* An all-null column of a flat type (the batch had only nulls in a column the schema types). */
static void null_col_release(struct ArrowArray *a) {
  free(a->private_data);
  a->release = NULL;
}

static int null_column(const char *fmt, int64_t n, struct ArrowArray *out) {
  int nb;
  size_t data;
  if (strcmp(fmt, "l") == 0 || strcmp(fmt, "g") == 0) nb = 2, data = (size_t)n * 8;
  else if (strcmp(fmt, "b") == 0) nb = 2, data = ((size_t)n + 7) / 8;
  else if (strcmp(fmt, "u") == 0) nb = 3, data = ((size_t)n + 1) * 4;
  else return 0;
  size_t bits = ((size_t)n + 7) / 8 + 8;
  uint8_t *p = calloc(1, sizeof(const void *) * 3 + bits + data + 16);
  if (!p) return 0;
  const void **bufs = (const void **)p;
  uint8_t *valid = p + sizeof(const void *) * 3;
  bufs[0] = valid;
  bufs[1] = valid + bits;
  bufs[2] = valid + bits + data; /* empty string data */
  memset(out, 0, sizeof *out);
  out->length = n;
  out->null_count = n;
  out->n_buffers = nb;
  out->buffers = bufs;
  out->release = null_col_release;
  out->private_data = p;
  return 1;
}

/* Make batch @p b (built from conformed rows, schema @p bs) fit the writer's schema @p s. */
static zr_status fit_batch(const struct ArrowSchema *s, const struct ArrowSchema *bs, struct ArrowArray *b,
                           uint64_t lineno, zr_error *err) {
  if (bs->n_children != s->n_children || b->n_children != s->n_children) {
    zr_error_set(err, ZR_ERR_INCOMPATIBLE, -1, "rows up to line %llu do not have the schema's %lld fields",
                 (unsigned long long)lineno, (long long)s->n_children);
    return ZR_ERR_INCOMPATIBLE;
  }
  for (int64_t f = 0; f < s->n_children; f++) {
    if (same_type(s->children[f], bs->children[f])) continue;
    struct ArrowArray *c = b->children[f];
    if (strcmp(bs->children[f]->format, "n") == 0 && c->offset == 0) {
      struct ArrowArray nc;
      if (null_column(s->children[f]->format, c->length, &nc)) {
        if (c->release) c->release(c);
        *c = nc;
        continue;
      }
    }
    zr_error_set(err, ZR_ERR_INCOMPATIBLE, -1,
                 "rows up to line %llu: field '%s' has Arrow type '%s' there but '%s' in the schema inferred from the first batch",
                 (unsigned long long)lineno, s->children[f]->name ? s->children[f]->name : "", bs->children[f]->format,
                 s->children[f]->format);
    return ZR_ERR_INCOMPATIBLE;
  }
  return ZR_OK;
}

static void schema_nullable(struct ArrowSchema *s) {
  for (int64_t i = 0; i < s->n_children; i++) {
    s->children[i]->flags |= ARROW_FLAG_NULLABLE;
    schema_nullable(s->children[i]);
  }
}

typedef struct ipc_out {
  zr_sink *sink;
  zr_arrow_writer *w;
  zr_arrow_write_opts wo;
  struct ArrowSchema *schema; /* the writer's schema, kept for conforming later rows */
  zr_table first;             /* owns `schema` */
  uint64_t batches, rows;
} ipc_out;

static zr_status ipc_flush(ipc_out *io, zr_doc **chunk_doc, zr_value *rows, uint64_t lineno, zr_error *err) {
  zr_table t;
  memset(&t, 0, sizeof t);
  zr_arrow_convert_opts co;
  memset(&co, 0, sizeof co);
  zr_status st = zr_arrow_from_value(rows, &co, &t, NULL, err);
  zr_doc_free(*chunk_doc);
  *chunk_doc = NULL;
  if (st != ZR_OK) return st;
  if (!io->w) {
    schema_nullable(&t.schema);
    st = zr_arrow_writer_new(io->sink, &t.schema, &io->wo, &io->w, err);
    for (int64_t b = 0; b < t.n_batches && st == ZR_OK; b++) st = zr_arrow_writer_write(io->w, &t.batches[b], err);
    /* keep the schema; drop the batches */
    for (int64_t b = 0; b < t.n_batches; b++)
      if (t.batches[b].release) t.batches[b].release(&t.batches[b]);
    io->first = t;
    io->schema = &io->first.schema;
  } else {
    for (int64_t b = 0; b < t.n_batches && st == ZR_OK; b++) {
      st = fit_batch(io->schema, &t.schema, &t.batches[b], lineno, err);
      if (st == ZR_OK) st = zr_arrow_writer_write(io->w, &t.batches[b], err);
    }
    zr_table_release(&t);
  }
  if (st == ZR_OK) io->batches++;
  return st;
}

static int to_arrow_ipc(const cs_opts *o, int in_fd, const uint8_t *prefix, size_t prefix_len, uint64_t total) {
  if (o->resume) return usage("--resume applies to zerial streams, not to a plain Arrow IPC stream", NULL);
  if (o->codec && o->codec != ZR_CODEC_LZ4 && o->codec != ZR_CODEC_ZSTD)
    return usage("an Arrow IPC stream compresses with lz4 or zstd only", NULL);
  uint64_t batch_rows = o->chunk_rows ? o->chunk_rows : 65536;
  uint64_t batch_bytes = o->chunk_size ? o->chunk_size : ((uint64_t)16 << 20);
  zr_error err;
  zr_error_clear(&err);
  ipc_out io;
  memset(&io, 0, sizeof io);
  io.wo.codec = o->codec == ZR_CODEC_LZ4 ? ZR_ARROW_CODEC_LZ4 : o->codec == ZR_CODEC_ZSTD ? ZR_ARROW_CODEC_ZSTD : ZR_ARROW_CODEC_NONE;
  io.wo.level = o->level;
  if (zr_cli_output_open(o->out, &io.sink, &err) != ZR_OK) return fail(o->out, &err);
  lines l = {in_fd, malloc(CS_BLOCK), CS_BLOCK, 0, 0, 0, 0, 0};
  int rc = ZR_CLI_BAD_INPUT;
  zr_doc *chunk_doc = NULL;
  zr_value rows = zr_null();
  uint64_t rows_n = 0, rows_bytes = 0;
  unsigned jflags = o->extended ? ZR_JSON_EXTENDED : 0u;
  const char *line;
  size_t len;
  uint64_t end_pos = 0;
  int got;
  progress pg = {o->progress, total, now_s(), 0, 0};
  if (!l.buf) {
    zr_error_set(&err, ZR_ERR_NOMEM, -1, "out of memory");
    rc = fail("input", &err);
    goto done;
  }
  memcpy(l.buf, prefix, prefix_len);
  l.end = prefix_len;
  while ((got = lines_next(&l, &line, &len, &end_pos)) == 1) {
    zr_doc *d;
    if (line_doc(o->in, &l, line, len, end_pos, jflags, &d, &err) != ZR_CLI_OK) goto done; /* rc: bad input */
    if (chunk_open(&chunk_doc, &rows, &err) != ZR_OK) {
      zr_doc_free(d);
      rc = fail("rows", &err);
      goto done;
    }
    zr_status st;
    zr_value copy;
    if (zr_kind_of(zr_doc_root(d)) != ZR_KIND_MAP) {
      zr_error_set(&err, ZR_ERR_TYPE, -1, "line %llu: a row must be a JSON object", (unsigned long long)l.lineno);
      st = ZR_ERR_TYPE;
    } else {
      st = zr_value_copy(chunk_doc, zr_doc_root(d), &copy, &err);
      /* the conformed row refers to the copy's strings, which live in chunk_doc */
      if (st == ZR_OK && io.schema) st = conform_row(io.schema, chunk_doc, &copy, l.lineno, &copy, &err);
    }
    zr_doc_free(d);
    if (st == ZR_OK) st = zr_list_push(chunk_doc, &rows, copy);
    if (st != ZR_OK) {
      rc = fail(o->in, &err);
      goto done;
    }
    rows_n++;
    rows_bytes += len;
    io.rows++;
    if (rows_n >= batch_rows || rows_bytes >= batch_bytes) {
      rows_n = rows_bytes = 0;
      if (ipc_flush(&io, &chunk_doc, &rows, l.lineno, &err) != ZR_OK) {
        rc = fail(o->in, &err);
        goto done;
      }
    }
    progress_draw(&pg, end_pos, 0);
  }
  if (got < 0) {
    rc = lines_failed(o->in, &l, &err);
    goto done;
  }
  if (rows_n && ipc_flush(&io, &chunk_doc, &rows, l.lineno, &err) != ZR_OK) {
    rc = fail(o->in, &err);
    goto done;
  }
  if (!io.w) {
    zr_error_set(&err, ZR_ERR_EOF, -1, "no rows: an Arrow stream needs at least one row to infer its schema");
    rc = fail(o->in, &err);
    goto done;
  }
  if (zr_arrow_writer_finish(io.w, &err) != ZR_OK || zr_sink_finish(io.sink, &err) != ZR_OK) {
    rc = fail(o->out, &err);
    goto done;
  }
  progress_draw(&pg, end_pos, 1);
  if (strcmp(o->out, "-") != 0) zr_cli_output_mode(o->out);
  if (o->progress)
    fprintf(stderr, "zerial " CS_NAME ": %llu rows in %llu record batches\n", (unsigned long long)io.rows,
            (unsigned long long)io.batches);
  rc = ZR_CLI_OK;
done:
  if (pg.drawn && rc != ZR_CLI_OK) fputc('\n', stderr);
  zr_doc_free(chunk_doc);
  free(l.buf);
  zr_arrow_writer_free(io.w);
  zr_table_release(&io.first);
  zr_sink_free(io.sink);
  return rc;
}

/* Reading an Arrow IPC stream (or the stream part of an Arrow file) message by message from the
 * fd: the schema and dictionary messages are kept; each record batch is decoded on its own as
 * "schema + dictionaries + batch + end marker", converted to JSON lines and dropped, so memory
 * holds one batch at a time whatever the input size. */

static int read_full(prefixed *p, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t g = 0;
    if (prefixed_read(p, (uint8_t *)buf + got, n - got, &g) != ZR_OK) return -1;
    if (g == 0) return 0;
    got += g;
  }
  return 1;
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Message header type (1 schema, 2 dictionary, 3 record batch) and body length from the
 * flatbuffer of a Message (fields: version 0, header_type 1, header 2, bodyLength 3). */
static int msg_info(const uint8_t *m, size_t len, int *type, uint64_t *body) {
  if (len < 8) return 0;
  uint32_t root = rd32(m);
  if (root > len - 4) return 0;
  int32_t vt_off = (int32_t)rd32(m + root);
  int64_t vt = (int64_t)root - vt_off;
  if (vt < 0 || (uint64_t)vt + 4 > len) return 0;
  uint16_t vt_size = (uint16_t)(m[vt] | m[vt + 1] << 8);
  if ((uint64_t)vt + vt_size > len) return 0;
  uint16_t f1 = vt_size > 6 ? (uint16_t)(m[vt + 6] | m[vt + 7] << 8) : 0;
  uint16_t f3 = vt_size > 10 ? (uint16_t)(m[vt + 10] | m[vt + 11] << 8) : 0;
  *type = f1 && (uint64_t)root + f1 < len ? m[root + f1] : 0;
  *body = 0;
  if (f3) {
    if ((uint64_t)root + f3 + 8 > len) return 0;
    uint64_t b = 0;
    for (int i = 7; i >= 0; i--) b = b << 8 | m[root + f3 + i];
    *body = b;
  }
  return 1;
}

static int from_arrow_ipc(const cs_opts *o, int in_fd, const uint8_t *prefix, size_t prefix_len, uint64_t total) {
  if (o->to && strcmp(o->to, "json") != 0)
    return usage("an Arrow stream converts to --to json with --stream (got '%s')", o->to);
  if (o->resume) return usage("--resume applies when writing a stream", NULL);
  zr_error err;
  zr_error_clear(&err);
  prefixed pf = {in_fd, prefix, prefix_len, 0};
  int file = prefix_len == 4 && memcmp(prefix, "ARRO", 4) == 0;
  uint64_t off = 0;
  uint8_t head[8];
  if (file) {
    if (read_full(&pf, head, 8) != 1 || memcmp(head, "ARROW1", 6) != 0) {
      zr_error_set(&err, ZR_ERR_FORMAT, 0, "not an Arrow file (bad magic)");
      return fail(o->in, &err);
    }
    off = 8;
  }
  zr_sink *out = NULL;
  uint8_t *keep = NULL, *buf = NULL; /* keep: schema + dictionary messages */
  size_t keep_len = 0, buf_cap = 0;
  zr_doc *doc = NULL;
  int rc = ZR_CLI_BAD_INPUT;
  uint64_t batches = 0;
  unsigned jflags = o->extended ? ZR_JSON_EXTENDED : 0u;
  progress pg = {o->progress, total, now_s(), 0, 0};
  if (zr_cli_output_open(o->out, &out, &err) != ZR_OK) return fail(o->out, &err);
  for (;;) {
    uint64_t at = off;
    int r = read_full(&pf, head, 4);
    if (r == 0 && !file && keep_len) break; /* a stream without its end marker: accepted */
    if (r != 1) {
      zr_error_set(&err, r < 0 ? ZR_ERR_IO : ZR_ERR_TRUNCATED, (int64_t)at, "Arrow stream ends inside a message header");
      goto failed;
    }
    uint32_t mlen = rd32(head);
    size_t hdr = 4;
    if (mlen == 0xFFFFFFFFu) {
      if (read_full(&pf, head, 4) != 1) {
        zr_error_set(&err, ZR_ERR_TRUNCATED, (int64_t)at, "Arrow stream ends inside a message header");
        goto failed;
      }
      mlen = rd32(head);
      hdr = 8;
    } else if (file) {
      break; /* the footer follows the messages */
    }
    if (mlen == 0) break; /* end-of-stream marker */
    if (mlen > ((uint32_t)1 << 28)) {
      zr_error_set(&err, ZR_ERR_LIMIT, (int64_t)at, "Arrow message metadata of %u bytes is too large", mlen);
      goto failed;
    }
    if (total && at + hdr + mlen > total) {
      zr_error_set(&err, ZR_ERR_TRUNCATED, (int64_t)at, "Arrow message metadata runs past the end of the input");
      goto failed;
    }
    uint8_t *meta = malloc(mlen);
    int type = 0;
    uint64_t body = 0;
    if (meta && read_full(&pf, meta, mlen) != 1) {
      free(meta);
      zr_error_set(&err, ZR_ERR_TRUNCATED, (int64_t)at, "Arrow stream ends inside a message");
      goto failed;
    }
    if (!meta || !msg_info(meta, mlen, &type, &body) || body > ((uint64_t)1 << 34) || (type != 1 && !keep_len)) {
      free(meta);
      zr_error_set(&err, ZR_ERR_FORMAT, (int64_t)at, "bad or truncated Arrow message");
      goto failed;
    }
    if (total && at + hdr + mlen + body > total) { /* a regular file: check before allocating */
      zr_error_set(&err, ZR_ERR_TRUNCATED, (int64_t)at, "Arrow message of %llu body bytes runs past the end of the input",
                   (unsigned long long)body);
      free(meta);
      goto failed;
    }
    size_t msg_len = 8 + mlen + (size_t)body;
    size_t need = (type == 3 ? keep_len : 0) + msg_len + 8;
    if (need > buf_cap) {
      uint8_t *nb = realloc(buf, need);
      if (!nb) {
        free(meta);
        zr_error_set(&err, ZR_ERR_NOMEM, (int64_t)at, "out of memory for a batch of %llu bytes", (unsigned long long)body);
        goto failed;
      }
      buf = nb;
      buf_cap = need;
    }
    size_t p0 = type == 3 ? keep_len : 0;
    if (type == 3) memcpy(buf, keep, keep_len);
    memset(buf + p0, 0xFF, 4);
    memcpy(buf + p0 + 4, &mlen, 4); /* little-endian hosts (as the rest of zerial assumes) */
    memcpy(buf + p0 + 8, meta, mlen);
    free(meta);
    if (read_full(&pf, buf + p0 + 8 + mlen, (size_t)body) != 1) {
      zr_error_set(&err, ZR_ERR_TRUNCATED, (int64_t)at, "Arrow message body is truncated");
      goto failed;
    }
    off += hdr + mlen + body;
    if (type != 3) { /* schema or dictionary: kept for every later batch */
      uint8_t *nk = realloc(keep, keep_len + msg_len);
      if (!nk) {
        zr_error_set(&err, ZR_ERR_NOMEM, (int64_t)at, "out of memory");
        goto failed;
      }
      keep = nk;
      memcpy(keep + keep_len, buf, msg_len);
      keep_len += msg_len;
      continue;
    }
    memset(buf + p0 + msg_len, 0xFF, 4);
    memset(buf + p0 + msg_len + 4, 0, 4);
    zr_arrow_read_opts ro;
    zr_arrow_read_opts_init(&ro);
    zr_table t;
    zr_status st = zr_arrow_read(buf, p0 + msg_len + 8, &ro, &t, &err);
    if (st != ZR_OK) {
      err.offset = (int64_t)at; /* the batch message's offset in the input */
      goto failed;
    }
    if (table_jsonl(&t, jflags, out, &err) != ZR_OK) goto failed;
    batches++;
    progress_draw(&pg, off, 0);
  }
  if (!keep_len) {
    zr_error_set(&err, ZR_ERR_FORMAT, 0, "Arrow stream without a schema");
    goto failed;
  }
  if (zr_sink_finish(out, &err) != ZR_OK) {
    rc = fail(o->out, &err);
    goto done;
  }
  progress_draw(&pg, off, 1);
  if (strcmp(o->out, "-") != 0) zr_cli_output_mode(o->out);
  rc = ZR_CLI_OK;
  goto done;
failed:
  if (pg.drawn) fputc('\n', stderr);
  rc = fail(o->in, &err);
done:
  zr_doc_free(doc);
  free(keep);
  free(buf);
  zr_sink_free(out);
  return rc;
}

int zr_cli_convert_stream(int argc, char **argv) {
  cs_opts o;
  int prc = parse(argc, argv, &o);
  if (prc >= 0) return prc;
  int fd = 0;
  if (strcmp(o.in, "-") != 0) {
    fd = open(o.in, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      zr_error err;
      zr_error_set(&err, errno == ENOENT ? ZR_ERR_NOT_FOUND : ZR_ERR_IO, -1, "cannot open: %s", strerror(errno));
      return fail(o.in, &err);
    }
  }
  struct stat sb;
  uint64_t total = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
#ifdef POSIX_FADV_SEQUENTIAL
  if (total) (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  /* peek at the magic */
  uint8_t prefix[4];
  size_t n = 0;
  while (n < sizeof prefix) {
    ssize_t r = read(fd, prefix + n, sizeof prefix - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  int rc;
  size_t ol = strlen(o.out);
  int out_arrows = ol > 7 && strcmp(o.out + ol - 7, ".arrows") == 0;
  if (n == 4 && memcmp(prefix, ZR_STREAM_MAGIC, 4) == 0)
    rc = from_stream(&o, fd, prefix, n, total);
  else if (n == 4 && (memcmp(prefix, "\xFF\xFF\xFF\xFF", 4) == 0 || memcmp(prefix, "ARRO", 4) == 0))
    rc = from_arrow_ipc(&o, fd, prefix, n, total);
  else if (o.to ? strcmp(o.to, "arrow-stream") == 0 : out_arrows)
    rc = to_arrow_ipc(&o, fd, prefix, n, total);
  else
    rc = to_stream(&o, fd, prefix, n, total);
  if (fd != 0) close(fd);
  return rc;
}
