/* The chunked stream reader: one verified chunk at a time from any source. */
#include <stdio.h>
#include <stdlib.h>

#include "stream/stream_internal.h"
#include "zerial/arrow.h"
#include "zerial/binary.h"
#include "zerial/codec.h"

#define FH ZR_STREAM_FRAME_HEADER_SIZE

struct zr_stream_reader {
  zr_stream_read_opts o;
  const zr_allocator *alloc;
  zr_source *src;
  int own_src;
  const uint8_t *mem; /* contiguous source, or NULL */
  size_t mem_len;
  uint64_t pos;       /* bytes consumed */
  zr__buf in;         /* frame bytes read from a non-contiguous source */
  zr__buf raw;        /* decompressed payload */
  int payload;
  uint64_t fingerprint;
  uint64_t running;
  uint64_t next_seq, records;
  uint64_t chunks_ok;
  int complete;
  zr_status sticky;
  zr_error sticky_err;
  /* the current chunk, for next_value */
  zr_stream_chunk cur;
  int have_cur;
  size_t cur_pos;
  uint64_t cur_idx;
  /* Arrow export: the schema message of the first chunk written */
  zr__buf schema_msg;
};

void zr_stream_read_opts_init(zr_stream_read_opts *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->max_chunk_bytes = UINT64_C(256) << 20;
}

/* Record the first error (err is never NULL here: the entry points give a local one, so that
 * a caller passing NULL first still gets the full message and offset from a later call). */
static zr_status stick(zr_stream_reader *r, zr_status st, zr_error *err) {
  if (r->sticky == ZR_OK) {
    r->sticky = st;
    r->sticky_err = *err;
  }
  return st;
}

/* Read exactly n bytes at the current position; *p points at them until the next read.
 * Returns ZR_ERR_TRUNCATED (without touching err) when fewer bytes remain; *got says how many. */
static zr_status read_exact(zr_stream_reader *r, size_t n, const uint8_t **p, size_t *got, zr_error *err) {
  *got = 0;
  if (r->mem) {
    size_t left = r->mem_len - (size_t)r->pos;
    if (left < n) {
      *got = left;
      *p = r->mem + r->pos;
      return ZR_ERR_TRUNCATED;
    }
    *p = r->mem + r->pos;
    r->pos += n;
    *got = n;
    return ZR_OK;
  }
  r->in.len = 0;
  if (zr__buf_reserve(&r->in, n) != ZR_OK) return zr__err_nomem(err);
  while (r->in.len < n) {
    size_t g = 0;
    ZR_TRY(zr_source_read(r->src, r->in.data + r->in.len, n - r->in.len, &g, err));
    if (g == 0) break;
    r->in.len += g;
  }
  *got = r->in.len;
  *p = r->in.data;
  r->pos += r->in.len;
  return r->in.len == n ? ZR_OK : ZR_ERR_TRUNCATED;
}

/* skip n payload bytes without keeping them */
static zr_status skip_bytes(zr_stream_reader *r, uint64_t n, size_t *got_total, zr_error *err) {
  *got_total = 0;
  if (r->mem) {
    size_t left = r->mem_len - (size_t)r->pos;
    if (left < n) {
      r->pos += left;
      *got_total = left;
      return ZR_ERR_TRUNCATED;
    }
    r->pos += n;
    *got_total = (size_t)n;
    return ZR_OK;
  }
  uint8_t tmp[16384];
  while (*got_total < n) {
    size_t want = n - *got_total < sizeof tmp ? (size_t)(n - *got_total) : sizeof tmp, g = 0;
    ZR_TRY(zr_source_read(r->src, tmp, want, &g, err));
    if (g == 0) return ZR_ERR_TRUNCATED;
    *got_total += g;
    r->pos += g;
  }
  return ZR_OK;
}

static zr_status truncated(zr_stream_reader *r, uint64_t good_end, zr_error *err) {
  zr_error_set(err, ZR_ERR_TRUNCATED, (int64_t)good_end,
               "stream truncated at byte %llu: %llu good chunks (%llu records), no trailer",
               (unsigned long long)good_end, (unsigned long long)r->chunks_ok, (unsigned long long)r->records);
  return stick(r, ZR_ERR_TRUNCATED, err);
}

zr_status zr_stream_reader_new(zr_source *src, const zr_stream_read_opts *opts, zr_stream_reader **out,
                               zr_error *err) {
  if (!src || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "src or out is NULL");
  *out = NULL;
  zr_stream_read_opts o;
  zr_stream_read_opts_init(&o);
  if (opts) {
    o = *opts;
    if (!o.max_chunk_bytes) o.max_chunk_bytes = UINT64_C(256) << 20;
  }
  if (o.max_chunk_bytes > ZR_STREAM_MAX_CHUNK) o.max_chunk_bytes = ZR_STREAM_MAX_CHUNK;
  const zr_allocator *a = zr__alloc_or_default(o.alloc);
  zr_stream_reader *r = zr__malloc(a, sizeof *r);
  if (!r) return zr__err_nomem(err);
  memset(r, 0, sizeof *r);
  r->o = o;
  r->alloc = a;
  r->src = src;
  zr__buf_init(&r->in, a);
  zr__buf_init(&r->raw, a);
  zr__buf_init(&r->schema_msg, a);
  const uint8_t *data;
  size_t len;
  if (zr_source_contiguous(src, &data, &len) == ZR_OK) {
    r->mem = data;
    r->mem_len = len;
  }
  const uint8_t *h = NULL;
  size_t got = 0;
  zr_status st = read_exact(r, ZR_STREAM_HEADER_SIZE, &h, &got, err);
  if (st == ZR_ERR_TRUNCATED) {
    if (got >= 4 && memcmp(h, ZR_STREAM_MAGIC, 4) != 0)
      st = zr__err(err, ZR_ERR_FORMAT, 0, "not a zerial stream (magic)");
    else
      st = zr__err(err, ZR_ERR_TRUNCATED, (int64_t)got, "stream truncated in its header (%zu of 32 bytes)", got);
  }
  if (st == ZR_OK) st = zr__st_header_get(h, &r->payload, &r->fingerprint, &r->running, err);
  if (st != ZR_OK) {
    zr_stream_reader_free(r);
    return st;
  }
  *out = r;
  return ZR_OK;
}

zr_status zr_stream_reader_open_file(const char *path, const zr_stream_read_opts *opts, zr_stream_reader **out,
                                     zr_error *err) {
  if (!path || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "path or out is NULL");
  zr_source *src;
  ZR_TRY(zr_source_file_new(path, &src, err));
  zr_status st = zr_stream_reader_new(src, opts, out, err);
  if (st != ZR_OK || !*out) {
    zr_source_free(src);
    return st != ZR_OK ? st : ZR_ERR_INTERNAL;
  }
  (*out)->own_src = 1;
  return ZR_OK;
}

/* Read the trailer whose header was parsed; ZR_ERR_EOF when it matches. */
static zr_status read_trailer(zr_stream_reader *r, const zr__st_frame *f, uint64_t seed, uint64_t foff,
                              zr_error *err) {
  const uint8_t *p = NULL;
  size_t got = 0;
  zr_status st = read_exact(r, ZR__ST_TRAILER_PAYLOAD, &p, &got, err);
  if (st == ZR_ERR_TRUNCATED) return truncated(r, foff, err);
  if (st != ZR_OK) return stick(r, st, err);
  if (zr_xxh3_64(p, ZR__ST_TRAILER_PAYLOAD, seed) != f->checksum) {
    zr_error_set(err, ZR_ERR_CHECKSUM, (int64_t)foff, "trailer checksum mismatch at byte %llu", (unsigned long long)foff);
    return stick(r, ZR_ERR_CHECKSUM, err);
  }
  uint64_t chunks = zr__ld64le(p), records = zr__ld64le(p + 8), bytes = zr__ld64le(p + 16), sum = zr__ld64le(p + 24);
  if (f->seq != r->next_seq || chunks != r->next_seq || records != r->records || f->records != records ||
      bytes != foff) {
    zr_error_set(err, ZR_ERR_MALFORMED, (int64_t)foff,
                 "trailer at byte %llu counts %llu chunks / %llu records / %llu bytes; the stream has %llu / %llu / %llu",
                 (unsigned long long)foff, (unsigned long long)chunks, (unsigned long long)records,
                 (unsigned long long)bytes, (unsigned long long)r->next_seq, (unsigned long long)r->records,
                 (unsigned long long)foff);
    return stick(r, ZR_ERR_MALFORMED, err);
  }
  if (sum != r->running) {
    zr_error_set(err, ZR_ERR_CHECKSUM, (int64_t)foff, "whole-stream checksum mismatch at the trailer (byte %llu)",
                 (unsigned long long)foff);
    return stick(r, ZR_ERR_CHECKSUM, err);
  }
  /* nothing may follow the trailer */
  if (r->mem ? r->pos != r->mem_len : 0) {
    zr_error_set(err, ZR_ERR_MALFORMED, (int64_t)r->pos, "%llu bytes after the trailer",
                 (unsigned long long)(r->mem_len - r->pos));
    return stick(r, ZR_ERR_MALFORMED, err);
  }
  if (!r->mem) {
    uint8_t extra;
    size_t g = 0;
    zr_status rst = zr_source_read(r->src, &extra, 1, &g, err);
    if (rst != ZR_OK) return stick(r, rst, err); /* whether more follows is not known */
    if (g) {
      zr_error_set(err, ZR_ERR_MALFORMED, (int64_t)r->pos, "bytes after the trailer");
      return stick(r, ZR_ERR_MALFORMED, err);
    }
  }
  r->complete = 1;
  zr_error_set(err, ZR_ERR_EOF, (int64_t)r->pos, "end of stream");
  return stick(r, ZR_ERR_EOF, err);
}

zr_status zr_stream_reader_next_chunk(zr_stream_reader *r, zr_stream_chunk *out, zr_error *err) {
  if (!r || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "reader or out is NULL");
  zr_error local;
  if (!err) {
    zr_error_clear(&local);
    err = &local;
  }
  r->have_cur = 0;
  for (;;) {
    if (r->sticky) {
      *err = r->sticky_err;
      return r->sticky;
    }
    uint64_t foff = r->pos;
    const uint8_t *h = NULL;
    size_t got = 0;
    zr_status st = read_exact(r, FH, &h, &got, err);
    if (st == ZR_ERR_TRUNCATED) return truncated(r, foff, err);
    if (st != ZR_OK) return stick(r, st, err);
    zr__st_frame f = {0};
    uint64_t seed = 0;
    st = zr__st_frame_get(h, foff, &f, &seed, err);
    if (st != ZR_OK) return stick(r, st, err);
    if (f.type == ZR__ST_TYPE_TRAILER) return read_trailer(r, &f, seed, foff, err);
    if (f.seq != r->next_seq) {
      zr_error_set(err, ZR_ERR_MALFORMED, (int64_t)foff + 8, "chunk at byte %llu has sequence number %llu, expected %llu",
                   (unsigned long long)foff, (unsigned long long)f.seq, (unsigned long long)r->next_seq);
      return stick(r, ZR_ERR_MALFORMED, err);
    }
    if (f.stored > r->o.max_chunk_bytes || f.raw > r->o.max_chunk_bytes) {
      zr_error_set(err, ZR_ERR_LIMIT, (int64_t)foff + 16, "chunk %llu of %u stored / %u raw bytes exceeds the limit",
                   (unsigned long long)f.seq, f.stored, f.raw);
      return stick(r, ZR_ERR_LIMIT, err);
    }
    uint64_t first = r->records;
    if (f.seq < r->o.start_chunk) {
      /* skip: trust the header's checksum for the chain, do not read the payload */
      size_t skipped;
      st = skip_bytes(r, f.stored, &skipped, err);
      if (st == ZR_ERR_TRUNCATED) return truncated(r, foff, err);
      if (st != ZR_OK) return stick(r, st, err);
      r->running = zr__st_chain(r->running, f.checksum);
      r->next_seq++;
      r->records += f.records;
      r->chunks_ok++;
      continue;
    }
    const uint8_t *p = NULL;
    st = read_exact(r, f.stored, &p, &got, err);
    if (st == ZR_ERR_TRUNCATED) return truncated(r, foff, err);
    if (st != ZR_OK) return stick(r, st, err);
    if (zr_xxh3_64(p, f.stored, seed) != f.checksum) {
      zr_error_set(err, ZR_ERR_CHECKSUM, (int64_t)foff, "checksum mismatch in chunk %llu at byte %llu",
                   (unsigned long long)f.seq, (unsigned long long)foff);
      return stick(r, ZR_ERR_CHECKSUM, err);
    }
    const uint8_t *data = p;
    if (f.codec != ZR_CODEC_NONE) {
      r->raw.len = 0;
      if (zr__buf_reserve(&r->raw, f.raw) != ZR_OK) return stick(r, zr__err_nomem(err), err);
      size_t olen = 0;
      zr_error e;
      zr_error_clear(&e);
      st = zr_codec_decompress(f.codec, p, f.stored, r->raw.data, f.raw, &olen, &e);
      if (st == ZR_OK && olen != f.raw) st = ZR_ERR_MALFORMED;
      if (st != ZR_OK) {
        /* a payload larger than its raw length is malformed input, not an output limit */
        zr_status code = st == ZR_ERR_LIMIT || st == ZR_ERR_NOSPACE ? ZR_ERR_MALFORMED : st;
        zr_error_set(err, code, (int64_t)foff, "chunk %llu at byte %llu does not decompress to its %u bytes: %s",
                     (unsigned long long)f.seq, (unsigned long long)foff, f.raw,
                     e.message[0] ? e.message : "size mismatch");
        return stick(r, code, err);
      }
      r->raw.len = olen;
      data = r->raw.data;
    }
    r->running = zr__st_chain(r->running, f.checksum);
    r->next_seq++;
    r->records += f.records;
    r->chunks_ok++;
    out->seq = f.seq;
    out->records = f.records;
    out->first_record = first;
    out->offset = foff;
    out->codec = f.codec;
    out->data = data;
    out->len = f.raw;
    r->cur = *out;
    r->have_cur = 1;
    r->cur_pos = 0;
    r->cur_idx = 0;
    return ZR_OK;
  }
}

zr_status zr_stream_reader_next_value(zr_stream_reader *r, const zr_decode_opts *opts, zr_doc **out, zr_error *err) {
  if (!r || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "reader or out is NULL");
  *out = NULL;
  zr_error local;
  if (!err) {
    zr_error_clear(&local);
    err = &local;
  }
  if (r->payload != ZR_STREAM_BINARY) return zr__err(err, ZR_ERR_STATE, -1, "the stream holds Arrow batches");
  while (!r->have_cur || r->cur_idx == r->cur.records) {
    if (r->have_cur && r->cur_pos != r->cur.len) {
      zr_error_set(err, ZR_ERR_MALFORMED, (int64_t)r->cur.offset, "chunk %llu has %zu bytes after its %llu records",
                   (unsigned long long)r->cur.seq, r->cur.len - r->cur_pos, (unsigned long long)r->cur.records);
      r->have_cur = 0;
      return stick(r, ZR_ERR_MALFORMED, err);
    }
    zr_stream_chunk c;
    ZR_TRY(zr_stream_reader_next_chunk(r, &c, err));
  }
  /* offsets inside an uncompressed payload are exact; inside a compressed one, the frame's */
  int64_t base = r->cur.codec ? (int64_t)r->cur.offset : (int64_t)(r->cur.offset + FH);
  if (r->cur.len - r->cur_pos < 4) {
    zr_error_set(err, ZR_ERR_MALFORMED, base + (r->cur.codec ? 0 : (int64_t)r->cur_pos),
                 "chunk %llu ends before record %llu", (unsigned long long)r->cur.seq,
                 (unsigned long long)(r->cur.first_record + r->cur_idx));
    return stick(r, ZR_ERR_MALFORMED, err);
  }
  uint32_t n = zr__ld32le(r->cur.data + r->cur_pos);
  if (n > r->cur.len - r->cur_pos - 4) {
    zr_error_set(err, ZR_ERR_MALFORMED, base + (r->cur.codec ? 0 : (int64_t)r->cur_pos),
                 "record %llu of %u bytes overruns chunk %llu", (unsigned long long)(r->cur.first_record + r->cur_idx),
                 n, (unsigned long long)r->cur.seq);
    return stick(r, ZR_ERR_MALFORMED, err);
  }
  const uint8_t *p = r->cur.data + r->cur_pos + 4;
  zr_status st = zr_binary_decode(p, n, opts, out, err);
  if (st != ZR_OK) {
    if (!r->cur.codec && err->offset >= 0) err->offset += base + (int64_t)r->cur_pos + 4;
    else err->offset = base;
    return stick(r, st, err);
  }
  r->cur_pos += 4 + (size_t)n;
  r->cur_idx++;
  return ZR_OK;
}

zr_status zr_stream_reader_next_table(zr_stream_reader *r, zr_table *out, zr_error *err) {
  if (!r || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "reader or out is NULL");
  memset(out, 0, sizeof *out);
  zr_error local;
  if (!err) {
    zr_error_clear(&local);
    err = &local;
  }
  if (r->payload != ZR_STREAM_ARROW) return zr__err(err, ZR_ERR_STATE, -1, "the stream holds binary records");
  zr_stream_chunk c;
  ZR_TRY(zr_stream_reader_next_chunk(r, &c, err));
  zr_arrow_read_opts ao;
  zr_arrow_read_opts_init(&ao);
  ao.alloc = r->o.alloc;
  ao.copy = 1;
  zr_status st = zr_arrow_read(c.data, c.len, &ao, out, err);
  if (st != ZR_OK) {
    err->offset = (int64_t)c.offset;
    return stick(r, st, err);
  }
  int64_t rows = zr_table_num_rows(out);
  if ((uint64_t)rows != c.records) {
    zr_table_release(out);
    zr_error_set(err, ZR_ERR_MALFORMED, (int64_t)c.offset, "chunk %llu holds %lld rows, its header says %llu",
                 (unsigned long long)c.seq, (long long)rows, (unsigned long long)c.records);
    return stick(r, ZR_ERR_MALFORMED, err);
  }
  return ZR_OK;
}

/* length of the first IPC message (continuation, length, metadata; schema messages have no body) */
static size_t first_message_len(const uint8_t *p, size_t n) {
  if (n < 8 || zr__ld32le(p) != 0xFFFFFFFFu) return 0;
  uint32_t len = zr__ld32le(p + 4);
  if ((uint64_t)len + 8 > n) return 0;
  return 8 + (size_t)len;
}

zr_status zr_stream_reader_to_arrow(zr_stream_reader *r, zr_sink *sink, zr_error *err) {
  if (!r || !sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "reader or sink is NULL");
  zr_error local;
  if (!err) {
    zr_error_clear(&local);
    err = &local;
  }
  if (r->payload != ZR_STREAM_ARROW) return zr__err(err, ZR_ERR_STATE, -1, "the stream holds binary records");
  static const uint8_t eos[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0};
  for (;;) {
    zr_stream_chunk c;
    zr_status st = zr_stream_reader_next_chunk(r, &c, err);
    if (st == ZR_ERR_EOF) break;
    if (st != ZR_OK) return st;
    size_t sl = first_message_len(c.data, c.len);
    if (sl == 0 || c.len < sl + 8 || memcmp(c.data + c.len - 8, eos, 8) != 0) {
      zr_error_set(err, ZR_ERR_MALFORMED, (int64_t)c.offset, "chunk %llu is not a complete Arrow IPC stream",
                   (unsigned long long)c.seq);
      return stick(r, ZR_ERR_MALFORMED, err);
    }
    if (r->schema_msg.len == 0) {
      if (zr__buf_append(&r->schema_msg, c.data, sl) != ZR_OK) return zr__err_nomem(err);
      ZR_TRY(zr_sink_write(sink, c.data, c.len - 8, err));
    } else {
      if (sl != r->schema_msg.len || memcmp(c.data, r->schema_msg.data, sl) != 0) {
        zr_error_set(err, ZR_ERR_INCOMPATIBLE, (int64_t)c.offset, "chunk %llu has another schema than the first chunk",
                     (unsigned long long)c.seq);
        return ZR_ERR_INCOMPATIBLE;
      }
      ZR_TRY(zr_sink_write(sink, c.data + sl, c.len - sl - 8, err));
    }
  }
  zr_error_clear(err);
  return zr_sink_write(sink, eos, sizeof eos, err);
}

void zr_stream_reader_info(const zr_stream_reader *r, zr_stream_info *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (!r) return;
  out->payload = r->payload;
  out->fingerprint = r->fingerprint;
  out->chunks_ok = r->chunks_ok;
  out->records_ok = r->records;
  out->offset = r->pos;
  out->complete = r->complete;
}

void zr_stream_reader_free(zr_stream_reader *r) {
  if (!r) return;
  zr__buf_free(&r->in);
  zr__buf_free(&r->raw);
  zr__buf_free(&r->schema_msg);
  if (r->own_src) zr_source_free(r->src);
  zr__free(r->alloc, r);
}
