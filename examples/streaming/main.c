/* streaming: write a large generated dataset to a stream file chunk by chunk (zstd on two
 * threads, checkpointed), then read it back one record at a time and check every record. Memory
 * stays bounded by the writer's budget however many records go through. This program backs the
 * "streaming a large file" tutorial in docs/guides/streaming.md.
 *
 *   example_streaming [--small] [--records N] [--out PATH]     (default PATH: streaming.zrs)
 *
 * Exit status 0 when the stream read back is complete and holds exactly the records written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "zerial/codec.h"
#include "zerial/stream.h"
#include "zerial/zerial.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int check(zr_status st, const char *what, const zr_error *e) {
  if (st == ZR_OK) return 0;
  fprintf(stderr, "streaming: %s failed: %s (%s, byte %lld)\n", what, e->message, zr_status_name(st),
          (long long)e->offset);
  return 1;
}

static const char *const CITIES[] = {"Lisbon", "Nairobi", "Osaka", "Montréal", "Zürich", "São Paulo", "Pune", "Oslo"};

/* one event: {"seq": i, "city": ..., "temp": ..., "ok": ..., "reading": [3 floats]} */
static zr_value event(zr_doc *d, uint64_t i) {
  zr_value m = zr_map_new(d, 5);
  zr_map_put_cstr(d, &m, "seq", zr_int((int64_t)i));
  zr_map_put_cstr(d, &m, "city", zr_cstr_ref(CITIES[i % 8]));
  zr_map_put_cstr(d, &m, "temp", zr_float((double)(i % 400) / 10.0 - 5.0));
  zr_map_put_cstr(d, &m, "ok", zr_bool(i % 7 != 0));
  zr_value r = zr_list_new(d, 3);
  for (int k = 0; k < 3; k++) zr_list_push(d, &r, zr_float((double)((i * 31 + (uint64_t)k) % 1000) / 8.0));
  zr_map_put_cstr(d, &m, "reading", r);
  return m;
}

int main(int argc, char **argv) {
  uint64_t n = 2000000;
  const char *path = "streaming.zrs";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--small") == 0)
      n = 50000;
    else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
      n = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
      path = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--small] [--records N] [--out PATH]\n", argv[0]);
      return 2;
    }
  }
  zr_error err;
  zr_error_clear(&err);

  /* 1. write: records go into 1 MiB chunks, compressed by two threads, checkpointed every 8 chunks */
  zr_stream_opts o;
  zr_stream_opts_init(&o);
  o.codec = ZR_CODEC_ZSTD;
  o.threads = 2;
  zr_stream_writer *w = NULL;
  zr_stream_checkpoint cp;
  if (check(zr_stream_writer_open_file(path, &o, 0, &w, &cp, &err), "open", &err)) return 1;
  double t0 = now_s();
  zr_doc *d = zr_doc_new(NULL);
  for (uint64_t i = 0; i < n; i++) {
    if (i % 4096 == 0) { /* reuse one doc per batch of records to keep memory flat */
      zr_doc_free(d);
      d = zr_doc_new(NULL);
    }
    zr_value v = event(d, i);
    if (check(zr_stream_writer_write_value(w, &v, &err), "write", &err)) return 1;
    zr_stream_writer_set_position(w, i + 1); /* what a resumed run would continue from */
  }
  zr_doc_free(d);
  if (check(zr_stream_writer_finish(w, &err), "finish", &err)) return 1;
  zr_stream_stats s;
  zr_stream_writer_stats(w, &s);
  zr_stream_writer_free(w);
  double t1 = now_s();
  printf("wrote %llu records in %llu chunks: %.1f MiB raw -> %.1f MiB on disk in %.2f s; writer held at most %.1f MiB\n",
         (unsigned long long)s.records, (unsigned long long)s.chunks, s.raw_bytes / 1048576.0, s.bytes / 1048576.0,
         t1 - t0, s.peak_buffered / 1048576.0);

  /* 2. read back, one record at a time; every chunk's checksum and sequence number is checked,
   *    and the trailer proves nothing is missing */
  zr_stream_reader *r = NULL;
  if (check(zr_stream_reader_open_file(path, NULL, &r, &err), "open for reading", &err)) return 1;
  uint64_t got = 0;
  double sum = 0;
  zr_status st;
  zr_doc *doc = NULL;
  while ((st = zr_stream_reader_next_value(r, NULL, &doc, &err)) == ZR_OK) {
    const zr_value *seq = zr_map_get(zr_doc_root(doc), "seq", 3);
    const zr_value *temp = zr_map_get(zr_doc_root(doc), "temp", 4);
    if (!seq || seq->u.i != (int64_t)got) {
      fprintf(stderr, "streaming: record %llu out of order\n", (unsigned long long)got);
      return 1;
    }
    sum += temp->u.f;
    got++;
    zr_doc_free(doc);
  }
  if (st != ZR_ERR_EOF) return check(st, "read", &err);
  zr_stream_info info;
  zr_stream_reader_info(r, &info);
  zr_stream_reader_free(r);
  double t2 = now_s();
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("read %llu records back in %.2f s (complete: %s, mean temp %.3f); peak RSS %.1f MiB\n",
         (unsigned long long)got, t2 - t1, info.complete ? "yes" : "no", got ? sum / (double)got : 0.0,
         ru.ru_maxrss / 1024.0);
  if (got != n || !info.complete) {
    fprintf(stderr, "streaming: expected %llu records\n", (unsigned long long)n);
    return 1;
  }
  remove(path);
  return 0;
}
