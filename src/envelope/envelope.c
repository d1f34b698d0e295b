/* The envelope frame: writer (whole and in place), parser/verifier, metadata reader.
 * Layout: docs/formats/envelope.md. */
#define XXH_STATIC_LINKING_ONLY
#include "zerial/envelope.h"

#include <xxhash.h>

#include "core/internal.h"

/* fixed header offsets */
#define OFF_VERSION 8
#define OFF_HDRSIZE 10
#define OFF_FORMAT 12
#define OFF_CODEC 14
#define OFF_RSV1 15
#define OFF_FLAGS 16
#define OFF_METALEN 20
#define OFF_PAYLEN 24
#define OFF_RAWLEN 32
#define OFF_PAYOFF 40
#define OFF_RSV2 44
#define OFF_CHECKSUM 48
#define OFF_RSV3 56
#define OFF_HDRCHECK 60

/* metadata tags */
#define TAG_SCHEMA_FP 1
#define TAG_CREATED_AT 2
#define TAG_PRODUCER 3
#define TAG_KV 4
#define TAG_LINEAGE 5
#define TAG_OPTIONAL 0x8000u
#define ENTRY_HDR 6

static const uint8_t MAGIC[8] = {0x89, 'Z', 'R', 'L', 0x0D, 0x0A, 0x1A, 0x0A};
static const uint8_t ZEROS[64];

const char *zr_codec_id_name(unsigned codec) {
  switch (codec) {
    case ZR_CODEC_NONE: return "none";
    case ZR_CODEC_LZ4: return "lz4";
    case ZR_CODEC_ZSTD: return "zstd";
    case ZR_CODEC_GZIP: return "gzip";
    default: return "unknown";
  }
}

int zr_envelope_detect(const uint8_t *data, size_t len) { return data && len >= 8 && memcmp(data, MAGIC, 8) == 0; }

/* ---------------------------------------------------------------------------------------- */
/* writing */

static zr_status put_u16(zr__buf *b, uint16_t v) {
  uint8_t t[2];
  zr__st16le(t, v);
  return zr__buf_append(b, t, 2);
}
static zr_status put_u32(zr__buf *b, uint32_t v) {
  uint8_t t[4];
  zr__st32le(t, v);
  return zr__buf_append(b, t, 4);
}
static zr_status put_u64(zr__buf *b, uint64_t v) {
  uint8_t t[8];
  zr__st64le(t, v);
  return zr__buf_append(b, t, 8);
}

static zr_status check_str(const zr_envelope_str *s, const char *what, zr_error *err) {
  if (s->len && !s->ptr) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "envelope %s: NULL pointer with length", what);
  if (s->len > UINT32_MAX) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "envelope %s longer than 4 GiB", what);
  size_t bad = 0;
  if (s->len && !zr__utf8_valid((const uint8_t *)s->ptr, s->len, &bad))
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "envelope %s is not valid UTF-8 (byte %zu)", what, bad);
  return ZR_OK;
}

static zr_status put_str(zr__buf *b, const zr_envelope_str *s) {
  ZR_TRY(put_u32(b, (uint32_t)s->len));
  return zr__buf_append(b, s->ptr, s->len);
}

static zr_status put_entry_hdr(zr__buf *b, uint16_t tag, uint64_t len) {
  ZR_TRY(put_u16(b, tag));
  return put_u32(b, (uint32_t)len);
}

/* Append header (zeroed sums/lengths), metadata and padding to b. */
static zr_status build_prefix(const zr_envelope_params *p, zr__buf *b, zr_error *err) {
  if (p->codec > ZR_CODEC_GZIP) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unknown codec id %u", p->codec);
  if (p->flags)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "envelope flags 0x%x are not defined in version 1", (unsigned)p->flags);
  const zr_envelope_meta *m = p->meta;
  if (m) {
    if (m->producer.ptr) ZR_TRY(check_str(&m->producer, "producer", err));
    if (m->n_kv && !m->kv) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "envelope key/values: NULL array");
    for (size_t i = 0; i < m->n_kv; i++) {
      ZR_TRY(check_str(&m->kv[i].key, "key", err));
      ZR_TRY(check_str(&m->kv[i].value, "value", err));
    }
    if (m->n_lineage && !m->lineage) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "envelope lineage: NULL array");
    for (size_t i = 0; i < m->n_lineage; i++) {
      ZR_TRY(check_str(&m->lineage[i].operation, "lineage operation", err));
      ZR_TRY(check_str(&m->lineage[i].producer, "lineage producer", err));
      if (m->lineage[i].n_inputs && !m->lineage[i].inputs)
        return zr__err(err, ZR_ERR_INVALID_ARG, -1, "envelope lineage inputs: NULL array");
      if (m->lineage[i].n_inputs > (ZR_ENVELOPE_MAX_METADATA / 8))
        return zr__err(err, ZR_ERR_INVALID_ARG, -1, "envelope lineage: too many inputs");
    }
  }
  zr_status st = zr__buf_append(b, ZEROS, ZR_ENVELOPE_HEADER_SIZE);
  if (st) return zr__err_nomem(err);
  if (m) {
    if (m->has_schema_fingerprint) {
      st = put_entry_hdr(b, TAG_SCHEMA_FP, 8);
      if (!st) st = put_u64(b, m->schema_fingerprint);
    }
    if (!st && m->has_created_at) {
      st = put_entry_hdr(b, TAG_CREATED_AT, 8);
      if (!st) st = put_u64(b, (uint64_t)m->created_at_ns);
    }
    if (!st && m->producer.ptr) {
      st = put_entry_hdr(b, TAG_PRODUCER, m->producer.len);
      if (!st) st = zr__buf_append(b, m->producer.ptr, m->producer.len);
    }
    for (size_t i = 0; !st && i < m->n_kv; i++) {
      const zr_envelope_kv *kv = &m->kv[i];
      st = put_entry_hdr(b, TAG_KV, 8 + (uint64_t)kv->key.len + kv->value.len);
      if (!st) st = put_str(b, &kv->key);
      if (!st) st = put_str(b, &kv->value);
    }
    for (size_t i = 0; !st && i < m->n_lineage; i++) {
      const zr_envelope_lineage *l = &m->lineage[i];
      st = put_entry_hdr(b, TAG_LINEAGE,
                         8 + (uint64_t)l->operation.len + l->producer.len + 12 + 8 * (uint64_t)l->n_inputs);
      if (!st) st = put_str(b, &l->operation);
      if (!st) st = put_str(b, &l->producer);
      if (!st) st = put_u64(b, (uint64_t)l->time_ns);
      if (!st) st = put_u32(b, (uint32_t)l->n_inputs);
      for (size_t k = 0; !st && k < l->n_inputs; k++) st = put_u64(b, l->inputs[k]);
    }
    if (st) return zr__err_nomem(err);
    if (b->len - ZR_ENVELOPE_HEADER_SIZE > ZR_ENVELOPE_MAX_METADATA)
      return zr__err(err, ZR_ERR_INVALID_ARG, -1, "envelope metadata exceeds %u bytes",
                     (unsigned)ZR_ENVELOPE_MAX_METADATA);
  }
  size_t meta_len = b->len - ZR_ENVELOPE_HEADER_SIZE;
  size_t pad = zr__align_up(b->len, ZR_ENVELOPE_ALIGN) - b->len;
  if (zr__buf_append(b, ZEROS, pad) != ZR_OK) return zr__err_nomem(err);
  uint8_t *h = b->data;
  memcpy(h, MAGIC, 8);
  zr__st16le(h + OFF_VERSION, ZR_ENVELOPE_VERSION);
  zr__st16le(h + OFF_HDRSIZE, ZR_ENVELOPE_HEADER_SIZE);
  zr__st16le(h + OFF_FORMAT, p->format_id);
  h[OFF_CODEC] = p->codec;
  zr__st32le(h + OFF_FLAGS, p->flags);
  zr__st32le(h + OFF_METALEN, (uint32_t)meta_len);
  zr__st32le(h + OFF_PAYOFF, (uint32_t)b->len);
  return ZR_OK;
}

/* Fill the lengths of a prefix whose header is at h; the caller then hashes. */
static void set_lengths(uint8_t *h, uint8_t codec, uint64_t payload_len, uint64_t raw_len) {
  zr__st64le(h + OFF_PAYLEN, payload_len);
  zr__st64le(h + OFF_RAWLEN, codec == ZR_CODEC_NONE ? payload_len : raw_len);
}

static void seal_header(uint8_t *h, uint64_t checksum) {
  zr__st64le(h + OFF_CHECKSUM, checksum);
  zr__st32le(h + OFF_HDRCHECK, (uint32_t)XXH3_64bits(h, OFF_HDRCHECK));
}

/* Frame checksum: XXH3-64 (seed 0) of the frame with bytes 48..63 taken as zero. */
static uint64_t frame_checksum(const uint8_t *prefix, size_t prefix_len, const uint8_t *payload, size_t len) {
  XXH3_state_t st;
  XXH3_INITSTATE(&st);
  XXH3_64bits_reset(&st);
  XXH3_64bits_update(&st, prefix, OFF_CHECKSUM);
  XXH3_64bits_update(&st, ZEROS, ZR_ENVELOPE_HEADER_SIZE - OFF_CHECKSUM);
  XXH3_64bits_update(&st, prefix + ZR_ENVELOPE_HEADER_SIZE, prefix_len - ZR_ENVELOPE_HEADER_SIZE);
  if (len) XXH3_64bits_update(&st, payload, len);
  return XXH3_64bits_digest(&st);
}

zr_status zr_envelope_write(zr_sink *sink, const zr_envelope_params *params, const void *payload, size_t len,
                            zr_error *err) {
  if (!sink || !params) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "sink or params is NULL");
  if (len && !payload) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "payload is NULL");
  zr__buf b;
  zr__buf_init(&b, zr__alloc_or_default(params->alloc));
  zr_status st = build_prefix(params, &b, err);
  if (st == ZR_OK) {
    set_lengths(b.data, params->codec, len, params->raw_len);
    seal_header(b.data, frame_checksum(b.data, b.len, payload, len));
    st = zr_sink_write(sink, b.data, b.len, err);
    if (st == ZR_OK && len) st = zr_sink_write(sink, payload, len, err);
  }
  zr__buf_free(&b);
  return st;
}

zr_status zr_envelope_begin(zr_sink *sink, const zr_envelope_params *params, zr_envelope_writer *w, zr_error *err) {
  if (!sink || !params || !w) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "sink, params or writer is NULL");
  const uint8_t *d;
  size_t n;
  if (zr_sink_memory_data(sink, &d, &n) != ZR_OK)
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "in-place envelope needs a memory or fixed sink");
  memset(w, 0, sizeof *w);
  zr__buf b;
  zr__buf_init(&b, zr__alloc_or_default(params->alloc));
  zr_status st = build_prefix(params, &b, err);
  if (st == ZR_OK) {
    w->sink = sink;
    w->start = n;
    w->prefix_len = (uint32_t)b.len;
    w->format_id = params->format_id;
    w->codec = params->codec;
    w->raw_len = params->raw_len;
    st = zr_sink_write(sink, b.data, b.len, err);
  }
  zr__buf_free(&b);
  return st;
}

zr_status zr_envelope_end(zr_envelope_writer *w, zr_error *err) {
  if (!w || !w->sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "writer not started");
  const uint8_t *d;
  size_t n;
  if (zr_sink_memory_data(w->sink, &d, &n) != ZR_OK || n < w->start + w->prefix_len)
    return zr__err(err, ZR_ERR_STATE, -1, "the sink no longer holds the frame started in place");
  uint8_t *h = (uint8_t *)d + w->start; /* memory and fixed sinks hand out their own writable bytes */
  if (memcmp(h, MAGIC, 8) != 0) return zr__err(err, ZR_ERR_STATE, -1, "frame start was overwritten");
  size_t payload_len = n - w->start - w->prefix_len;
  set_lengths(h, w->codec, payload_len, w->raw_len);
  seal_header(h, frame_checksum(h, w->prefix_len, h + w->prefix_len, payload_len));
  w->sink = NULL;
  return ZR_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* reading */

typedef struct env_priv {
  zr__arena arena;
} env_priv;

void zr_envelope_clear(zr_envelope *env) {
  if (!env) return;
  env_priv *p = env->priv_;
  if (p) {
    zr__arena a = p->arena; /* p lives inside its own arena */
    zr__arena_free(&a);
  }
  memset(env, 0, sizeof *env);
}

static zr_status check_header(const uint8_t *data, size_t len, zr_envelope_header *h, zr_error *err) {
  size_t m = len < 8 ? len : 8;
  if (!data && len) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "data is NULL");
  for (size_t i = 0; i < m; i++) {
    if (data[i] != MAGIC[i]) {
      const char *hint = "";
      if (i == 0)
        hint = " (first byte is not 0x89: not an envelope, or the high bit was stripped)";
      else if (i >= 4)
        hint = " (CR/LF/^Z bytes differ: the file was probably transferred in text mode)";
      return zr__err(err, ZR_ERR_MALFORMED, (int64_t)i, "bad envelope magic at byte %zu%s", i, hint);
    }
  }
  if (len < ZR_ENVELOPE_HEADER_SIZE)
    return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "envelope truncated: %zu bytes, the header alone needs %u", len,
                   (unsigned)ZR_ENVELOPE_HEADER_SIZE);
  uint32_t hc = (uint32_t)XXH3_64bits(data, OFF_HDRCHECK);
  if (hc != zr__ld32le(data + OFF_HDRCHECK))
    return zr__err(err, ZR_ERR_CHECKSUM, 0, "envelope header check mismatch (header bytes 0-63 are damaged)");
  memset(h, 0, sizeof *h);
  h->version = zr__ld16le(data + OFF_VERSION);
  if (h->version != ZR_ENVELOPE_VERSION)
    return zr__err(err, ZR_ERR_VERSION, OFF_VERSION, "envelope version %u is not supported (this reader knows 1)",
                   h->version);
  if (zr__ld16le(data + OFF_HDRSIZE) != ZR_ENVELOPE_HEADER_SIZE)
    return zr__err(err, ZR_ERR_MALFORMED, OFF_HDRSIZE, "envelope header size %u, expected 64",
                   zr__ld16le(data + OFF_HDRSIZE));
  h->format_id = zr__ld16le(data + OFF_FORMAT);
  h->codec = data[OFF_CODEC];
  h->flags = zr__ld32le(data + OFF_FLAGS);
  h->metadata_len = zr__ld32le(data + OFF_METALEN);
  h->payload_len = zr__ld64le(data + OFF_PAYLEN);
  h->raw_len = zr__ld64le(data + OFF_RAWLEN);
  h->payload_offset = zr__ld32le(data + OFF_PAYOFF);
  h->checksum = zr__ld64le(data + OFF_CHECKSUM);
  if (data[OFF_RSV1] || zr__ld32le(data + OFF_RSV2) || zr__ld32le(data + OFF_RSV3))
    return zr__err(err, ZR_ERR_MALFORMED, OFF_RSV1, "envelope reserved header bytes are not zero");
  if (h->codec > ZR_CODEC_GZIP)
    return zr__err(err, ZR_ERR_UNSUPPORTED, OFF_CODEC, "unknown envelope codec id %u", h->codec);
  if (h->flags) return zr__err(err, ZR_ERR_UNSUPPORTED, OFF_FLAGS, "unknown envelope flags 0x%x", (unsigned)h->flags);
  if (h->metadata_len > ZR_ENVELOPE_MAX_METADATA)
    return zr__err(err, ZR_ERR_LIMIT, OFF_METALEN, "envelope metadata of %u bytes exceeds the limit",
                   (unsigned)h->metadata_len);
  uint64_t want_off = zr__align_up(ZR_ENVELOPE_HEADER_SIZE + (uint64_t)h->metadata_len, ZR_ENVELOPE_ALIGN);
  if (h->payload_offset != want_off)
    return zr__err(err, ZR_ERR_MALFORMED, OFF_PAYOFF, "envelope payload offset %u, expected %llu",
                   (unsigned)h->payload_offset, (unsigned long long)want_off);
  if (h->codec == ZR_CODEC_NONE && h->raw_len != h->payload_len)
    return zr__err(err, ZR_ERR_MALFORMED, OFF_RAWLEN,
                   "envelope raw length differs from payload length without a codec");
  if (zr__add_overflow(h->payload_offset, h->payload_len, &h->frame_len))
    return zr__err(err, ZR_ERR_MALFORMED, OFF_PAYLEN, "envelope payload length overflows");
  return ZR_OK;
}

typedef struct rd {
  const uint8_t *p, *end, *base;
} rd;

static zr_status meta_err(zr_error *err, zr_status code, const rd *r, const uint8_t *at, const char *what) {
  (void)r;
  return zr__err(err, code, (int64_t)(at - r->base), "envelope metadata: %s", what);
}

static char *dup_str(zr__arena *a, const uint8_t *s, size_t n) {
  char *c = zr__arena_alloc(a, n + 1, 1);
  if (!c) return NULL;
  if (n) memcpy(c, s, n);
  c[n] = 0;
  return c;
}

/* read a u32-length-prefixed UTF-8 string inside [p, end) */
static zr_status rd_str(rd *r, zr__arena *a, zr_envelope_str *out, zr_error *err) {
  if (r->end - r->p < 4) return meta_err(err, ZR_ERR_MALFORMED, r, r->p, "string length runs past its entry");
  uint32_t n = zr__ld32le(r->p);
  if ((uint64_t)(r->end - r->p - 4) < n) return meta_err(err, ZR_ERR_MALFORMED, r, r->p, "string runs past its entry");
  size_t bad = 0;
  if (!zr__utf8_valid(r->p + 4, n, &bad))
    return meta_err(err, ZR_ERR_UTF8, r, r->p + 4 + bad, "string is not valid UTF-8");
  out->ptr = dup_str(a, r->p + 4, n);
  if (!out->ptr) return zr__err_nomem(err);
  out->len = n;
  r->p += 4 + (size_t)n;
  return ZR_OK;
}

static zr_status parse_meta(const uint8_t *base, const uint8_t *m, uint32_t mlen, zr__arena *a, zr_envelope_meta *out,
                            zr_error *err) {
  memset(out, 0, sizeof *out);
  const uint8_t *p = m, *end = m + mlen;
  size_t n_kv = 0, n_lin = 0;
  int seen_fp = 0, seen_ca = 0, seen_pr = 0;
  rd r = {p, end, base};
  /* pass 1: structure and counts */
  while (p < end) {
    if (end - p < ENTRY_HDR) return meta_err(err, ZR_ERR_MALFORMED, &r, p, "entry header runs past the block");
    uint16_t tag = zr__ld16le(p);
    uint32_t n = zr__ld32le(p + 2);
    if ((uint64_t)(end - p - ENTRY_HDR) < n) return meta_err(err, ZR_ERR_MALFORMED, &r, p, "entry runs past the block");
    switch (tag) {
      case TAG_SCHEMA_FP:
      case TAG_CREATED_AT:
        if (n != 8) return meta_err(err, ZR_ERR_MALFORMED, &r, p, "fixed-size entry with a length other than 8");
        if ((tag == TAG_SCHEMA_FP ? &seen_fp : &seen_ca)[0]++)
          return meta_err(err, ZR_ERR_MALFORMED, &r, p, "repeated entry");
        break;
      case TAG_PRODUCER:
        if (seen_pr++) return meta_err(err, ZR_ERR_MALFORMED, &r, p, "repeated producer entry");
        break;
      case TAG_KV: n_kv++; break;
      case TAG_LINEAGE: n_lin++; break;
      default:
        if (!(tag & TAG_OPTIONAL)) return meta_err(err, ZR_ERR_UNSUPPORTED, &r, p, "unknown required entry tag");
        break;
    }
    p += ENTRY_HDR + (size_t)n;
  }
  zr_envelope_kv *kv = n_kv ? zr__arena_alloc(a, n_kv * sizeof *kv, 8) : NULL;
  zr_envelope_lineage *lin = n_lin ? zr__arena_alloc(a, n_lin * sizeof *lin, 8) : NULL;
  if ((n_kv && !kv) || (n_lin && !lin)) return zr__err_nomem(err);
  /* pass 2: content */
  size_t ik = 0, il = 0;
  for (p = m; p < end;) {
    uint16_t tag = zr__ld16le(p);
    uint32_t n = zr__ld32le(p + 2);
    const uint8_t *v = p + ENTRY_HDR;
    rd e = {v, v + n, base};
    switch (tag) {
      case TAG_SCHEMA_FP:
        out->has_schema_fingerprint = 1;
        out->schema_fingerprint = zr__ld64le(v);
        break;
      case TAG_CREATED_AT:
        out->has_created_at = 1;
        out->created_at_ns = (int64_t)zr__ld64le(v);
        break;
      case TAG_PRODUCER: {
        size_t bad = 0;
        if (!zr__utf8_valid(v, n, &bad)) return meta_err(err, ZR_ERR_UTF8, &r, v + bad, "producer is not valid UTF-8");
        out->producer.ptr = dup_str(a, v, n);
        if (!out->producer.ptr) return zr__err_nomem(err);
        out->producer.len = n;
        break;
      }
      case TAG_KV:
        ZR_TRY(rd_str(&e, a, &kv[ik].key, err));
        ZR_TRY(rd_str(&e, a, &kv[ik].value, err));
        if (e.p != e.end) return meta_err(err, ZR_ERR_MALFORMED, &r, e.p, "key/value entry has trailing bytes");
        ik++;
        break;
      case TAG_LINEAGE: {
        zr_envelope_lineage *l = &lin[il++];
        memset(l, 0, sizeof *l);
        ZR_TRY(rd_str(&e, a, &l->operation, err));
        ZR_TRY(rd_str(&e, a, &l->producer, err));
        if (e.end - e.p < 12) return meta_err(err, ZR_ERR_MALFORMED, &r, e.p, "lineage entry too short");
        l->time_ns = (int64_t)zr__ld64le(e.p);
        uint32_t ni = zr__ld32le(e.p + 8);
        e.p += 12;
        if ((uint64_t)(e.end - e.p) != (uint64_t)ni * 8)
          return meta_err(err, ZR_ERR_MALFORMED, &r, e.p, "lineage input count does not match the entry length");
        if (ni) {
          uint64_t *in = zr__arena_alloc(a, (size_t)ni * 8, 8);
          if (!in) return zr__err_nomem(err);
          for (uint32_t k = 0; k < ni; k++) in[k] = zr__ld64le(e.p + 8 * (size_t)k);
          l->inputs = in;
          l->n_inputs = ni;
        }
        break;
      }
      default: break;
    }
    p += ENTRY_HDR + (size_t)n;
  }
  out->kv = kv;
  out->n_kv = n_kv;
  out->lineage = lin;
  out->n_lineage = n_lin;
  return ZR_OK;
}

static zr_status read_common(const uint8_t *data, size_t len, const zr_allocator *alloc, zr_envelope *out, int verify,
                             zr_error *err) {
  if (!out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "out is NULL");
  memset(out, 0, sizeof *out);
  zr_envelope_header h;
  ZR_TRY(check_header(data, len, &h, err));
  if (verify) {
    if (len < h.frame_len)
      return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "envelope truncated: %zu of %llu bytes present", len,
                     (unsigned long long)h.frame_len);
    uint64_t sum = frame_checksum(data, h.payload_offset, data + h.payload_offset, (size_t)h.payload_len);
    if (sum != h.checksum)
      return zr__err(err, ZR_ERR_CHECKSUM, OFF_CHECKSUM,
                     "envelope checksum mismatch (stored %016llx, computed %016llx): the frame is damaged",
                     (unsigned long long)h.checksum, (unsigned long long)sum);
    for (size_t i = ZR_ENVELOPE_HEADER_SIZE + h.metadata_len; i < h.payload_offset; i++)
      if (data[i]) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)i, "envelope padding byte is not zero");
  } else if (len < ZR_ENVELOPE_HEADER_SIZE + (uint64_t)h.metadata_len) {
    return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "envelope truncated inside its metadata (%zu of %llu bytes)",
                   len, (unsigned long long)(ZR_ENVELOPE_HEADER_SIZE + (uint64_t)h.metadata_len));
  }
  zr__arena a;
  zr__arena_init(&a, alloc);
  env_priv *p = zr__arena_alloc(&a, sizeof *p, 8);
  if (!p) {
    zr__arena_free(&a);
    return zr__err_nomem(err);
  }
  zr_status st = parse_meta(data, data + ZR_ENVELOPE_HEADER_SIZE, h.metadata_len, &a, &out->meta, err);
  if (st != ZR_OK) {
    zr__arena_free(&a);
    memset(out, 0, sizeof *out);
    return st;
  }
  p->arena = a;
  out->priv_ = p;
  out->header = h;
  if (verify) {
    out->payload = data + h.payload_offset;
    out->payload_len = (size_t)h.payload_len;
    out->verified = 1;
  }
  return ZR_OK;
}

zr_status zr_envelope_parse(const uint8_t *data, size_t len, const zr_allocator *alloc, zr_envelope *out,
                            zr_error *err) {
  return read_common(data, len, alloc, out, 1, err);
}

zr_status zr_envelope_read_meta(const uint8_t *data, size_t len, const zr_allocator *alloc, zr_envelope *out,
                                zr_error *err) {
  return read_common(data, len, alloc, out, 0, err);
}
