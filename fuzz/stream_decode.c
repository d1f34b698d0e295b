/* Fuzz target: the stream reader. The first byte picks a mode: bit 0 repairs every checksum of
 * the input first (header, frames, the trailer's chain) so that the fuzzer reaches the payload
 * decoders behind them; bit 1 reads through a callback source in small pieces (not contiguous);
 * bits 2-4 give the chunk to start at. Whatever the input: no crash, no hang, and a reader that
 * reports a complete stream has delivered exactly the records its trailer counts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream_internal.h"
#include "zerial/zerial.h"

static void check(int cond) {
  if (!cond) abort(); /* a finding: libFuzzer records the input */
}

/* recompute checksums in place so that structure, not hashes, is what the fuzzer explores */
static void repair(uint8_t *d, size_t n) {
  if (n < ZR_STREAM_HEADER_SIZE) return;
  zr__st64le(d + 24, zr_xxh3_64(d, 24, 0));
  uint64_t running = zr__ld64le(d + 24), pos = ZR_STREAM_HEADER_SIZE, seq = 0, records = 0;
  while (n - pos >= ZR_STREAM_FRAME_HEADER_SIZE) {
    uint8_t *h = d + pos;
    uint32_t stored = zr__ld32le(h + 16);
    if (n - pos - ZR_STREAM_FRAME_HEADER_SIZE < stored) break;
    uint64_t seed = zr_xxh3_64(h, 32, 0);
    if (h[4] == 2 && stored == 32) { /* trailer: fix its counts' chain too */
      zr__st64le(h + ZR_STREAM_FRAME_HEADER_SIZE + 24, running);
      (void)seq;
      (void)records;
    }
    uint64_t sum = zr_xxh3_64(h + ZR_STREAM_FRAME_HEADER_SIZE, stored, seed);
    zr__st64le(h + 32, sum);
    if (h[4] == 2) break;
    running = zr__st_chain(running, sum);
    seq++;
    records += zr__ld64le(h + 24);
    pos += ZR_STREAM_FRAME_HEADER_SIZE + stored;
  }
}

typedef struct {
  const uint8_t *p;
  size_t len, pos;
} piece;

static zr_status piece_read(void *ud, void *buf, size_t cap, size_t *got) {
  piece *s = ud;
  size_t n = s->len - s->pos;
  if (n > cap) n = cap;
  if (n > 7) n = 7;
  memcpy(buf, s->p + s->pos, n);
  s->pos += n;
  *got = n;
  return ZR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  size_t n = size - 1;
  uint8_t *copy = malloc(n ? n : 1);
  if (!copy) return 0;
  memcpy(copy, data + 1, n);
  if (mode & 1) repair(copy, n);
  zr_source *src = NULL;
  piece pc = {copy, n, 0};
  zr_status st = (mode & 2) ? zr_source_callback_new(piece_read, &pc, &src, NULL)
                            : zr_source_memory_new(copy, n, &src, NULL);
  check(st == ZR_OK);
  zr_stream_read_opts ro;
  zr_stream_read_opts_init(&ro);
  ro.start_chunk = (mode >> 2) & 7;
  ro.max_chunk_bytes = 1 << 20;
  zr_stream_reader *r = NULL;
  zr_error err;
  st = zr_stream_reader_new(src, &ro, &r, &err);
  uint64_t delivered = 0;
  if (st == ZR_OK) {
    zr_stream_info info;
    zr_stream_reader_info(r, &info);
    for (int guard = 0; guard < 100000; guard++) {
      if (info.payload == ZR_STREAM_BINARY) {
        zr_decode_opts dopts;
        zr_decode_opts_init(&dopts);
        dopts.max_bytes = 1 << 22;
        zr_doc *doc = NULL;
        st = zr_stream_reader_next_value(r, &dopts, &doc, &err);
        zr_doc_free(doc);
      } else {
        zr_table t;
        st = zr_stream_reader_next_table(r, &t, &err);
        if (st == ZR_OK) {
          delivered += (uint64_t)zr_table_num_rows(&t) - 1; /* +1 below */
          zr_table_release(&t);
        }
      }
      if (st != ZR_OK) break;
      delivered++;
    }
    zr_stream_reader_info(r, &info);
    if (st == ZR_OK) {
      /* guard reached: nothing to check */
    } else if (info.complete) {
      check(st == ZR_ERR_EOF);
      if (ro.start_chunk == 0) check(delivered == info.records_ok);
    } else {
      check(st != ZR_OK && st != ZR_ERR_EOF);
      check(err.code == st);
    }
    zr_stream_reader_free(r);
  }
  zr_source_free(src);
  free(copy);
  return 0;
}
