/* Envelope frames built by hand with correct checksums, so that every field check behind the
 * header check and the frame checksum is reached: each gives its own code, byte offset and
 * message (docs/formats/envelope.md); metadata entries that are short, repeated, unknown, not
 * UTF-8 or with trailing bytes are refused by both the parser and the metadata reader; optional
 * unknown entries are skipped. The writer refuses every bad parameter before writing a byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/envelope.h"
#include "core/internal.h"
#include "zr_test.h"

#define HS ZR_ENVELOPE_HEADER_SIZE

typedef struct fr {
  uint8_t d[4096];
  size_t len;
  uint32_t mlen;
} fr;

/* frame checksum (bytes 48..63 taken as zero) and header check over the frame as it is now */
static void reseal(fr *f) {
  uint8_t rsv[4];
  memcpy(rsv, f->d + 56, 4);
  memset(f->d + 48, 0, 16);
  uint64_t sum = zr_xxh3_64(f->d, f->len, 0);
  memcpy(f->d + 56, rsv, 4);
  zr__st64le(f->d + 48, sum);
  zr__st32le(f->d + 60, (uint32_t)zr_xxh3_64(f->d, 60, 0));
}

static void build(fr *f, const void *meta, uint32_t mlen, const void *payload, size_t plen, uint8_t codec, uint64_t raw) {
  memset(f, 0, sizeof *f);
  memcpy(f->d, ZR_ENVELOPE_MAGIC, 8);
  zr__st16le(f->d + 8, 1);
  zr__st16le(f->d + 10, HS);
  zr__st16le(f->d + 12, 0x0102);
  f->d[14] = codec;
  zr__st32le(f->d + 20, mlen);
  zr__st64le(f->d + 24, plen);
  zr__st64le(f->d + 32, codec ? raw : plen);
  uint32_t off = (uint32_t)((HS + mlen + 63) / 64 * 64);
  zr__st32le(f->d + 40, off);
  if (mlen) memcpy(f->d + HS, meta, mlen);
  if (plen) memcpy(f->d + off, payload, plen);
  f->len = off + plen;
  f->mlen = mlen;
  reseal(f);
}

/* only the header check: for fields the frame checksum never gets to see */
static void recheck(fr *f) { zr__st32le(f->d + 60, (uint32_t)zr_xxh3_64(f->d, 60, 0)); }

static void expect(const fr *f, size_t len, int meta_only, zr_status code, int64_t off, const char *msg) {
  zr_envelope env;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = meta_only ? zr_envelope_read_meta(f->d, len, NULL, &env, &e) : zr_envelope_parse(f->d, len, NULL, &env, &e);
  if (st != code) fail_msg("expected %s, got %s (%s)", zr_status_name(code), zr_status_name(st), e.message);
  if (code == ZR_OK) {
    zr_envelope_clear(&env);
    return;
  }
  assert_int_equal(e.offset, off);
  if (!strstr(e.message, msg)) fail_msg("'%s' lacks '%s'", e.message, msg);
  assert_null(env.priv_);
}

static void test_header_fields(void **state) {
  (void)state;
  fr f;
  build(&f, NULL, 0, "abc", 3, 0, 0);
  expect(&f, f.len, 0, ZR_OK, 0, NULL);
  zr_envelope env;
  zr_error e;
  assert_int_equal(zr_envelope_parse(NULL, 5, NULL, &env, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_envelope_parse(f.d, f.len, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "out is NULL");
  /* magic: which byte, and what it suggests */
  for (int i = 0; i < 8; i++) {
    fr g = f;
    g.d[i] ^= 0x80;
    const char *hint = i == 0 ? "(first byte is not 0x89" : i >= 4 ? "(CR/LF/^Z bytes differ" : "";
    char want[64];
    snprintf(want, sizeof want, "bad envelope magic at byte %d", i);
    expect(&g, g.len, 0, ZR_ERR_MALFORMED, i, want);
    expect(&g, g.len, 0, ZR_ERR_MALFORMED, i, hint);
    if (i > 0 && i < 4) {
      zr_error_clear(&e);
      assert_int_equal(zr_envelope_parse(g.d, g.len, NULL, &env, &e), ZR_ERR_MALFORMED);
      assert_null(strstr(e.message, "("));
    }
  }
  /* a prefix of the magic is truncated, not malformed */
  expect(&f, 5, 0, ZR_ERR_TRUNCATED, 5, "envelope truncated: 5 bytes, the header alone needs 64");
  expect(&f, 63, 1, ZR_ERR_TRUNCATED, 63, "the header alone needs 64");
  /* each field wrong, with only the header check made right again */
  static const struct {
    int at, width;
    uint64_t value;
    zr_status code;
    int64_t off;
    const char *msg;
  } fields[] = {
      {8, 2, 2, ZR_ERR_VERSION, 8, "envelope version 2 is not supported (this reader knows 1)"},
      {10, 2, 65, ZR_ERR_MALFORMED, 10, "envelope header size 65, expected 64"},
      {15, 1, 1, ZR_ERR_MALFORMED, 15, "reserved header bytes are not zero"},
      {44, 4, 1, ZR_ERR_MALFORMED, 15, "reserved header bytes are not zero"},
      {56, 4, 1, ZR_ERR_MALFORMED, 15, "reserved header bytes are not zero"},
      {14, 1, 4, ZR_ERR_UNSUPPORTED, 14, "unknown envelope codec id 4"},
      {16, 4, 2, ZR_ERR_UNSUPPORTED, 16, "unknown envelope flags 0x2"},
      {20, 4, (1u << 24) + 1, ZR_ERR_LIMIT, 20, "envelope metadata of 16777217 bytes exceeds the limit"},
      {40, 4, 128, ZR_ERR_MALFORMED, 40, "envelope payload offset 128, expected 64"},
      {32, 8, 4, ZR_ERR_MALFORMED, 32, "envelope raw length differs from payload length without a codec"},
  };
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    fr g = f;
    if (fields[i].width == 1) g.d[fields[i].at] = (uint8_t)fields[i].value;
    else if (fields[i].width == 2) zr__st16le(g.d + fields[i].at, (uint16_t)fields[i].value);
    else if (fields[i].width == 4) zr__st32le(g.d + fields[i].at, (uint32_t)fields[i].value);
    else zr__st64le(g.d + fields[i].at, fields[i].value);
    recheck(&g);
    expect(&g, g.len, 0, fields[i].code, fields[i].off, fields[i].msg);
    expect(&g, g.len, 1, fields[i].code, fields[i].off, fields[i].msg);
  }
  /* a payload length that overflows the frame length (a codec, so raw may differ) */
  fr g = f;
  g.d[14] = ZR_CODEC_ZSTD;
  zr__st64le(g.d + 24, UINT64_MAX - 10);
  recheck(&g);
  expect(&g, g.len, 0, ZR_ERR_MALFORMED, 24, "envelope payload length overflows");
  /* header check */
  g = f;
  g.d[30] ^= 1;
  expect(&g, g.len, 0, ZR_ERR_CHECKSUM, 0, "envelope header check mismatch (header bytes 0-63 are damaged)");
  /* a valid header over a short frame: parse needs it all, read_meta only the metadata */
  expect(&f, f.len - 1, 0, ZR_ERR_TRUNCATED, (int64_t)f.len - 1, "envelope truncated: 66 of 67 bytes present");
  expect(&f, HS, 1, ZR_OK, 0, NULL);
  assert_int_equal(zr_envelope_read_meta(f.d, HS, NULL, &env, &e), ZR_OK);
  assert_int_equal(env.verified, 0);
  assert_null(env.payload);
  assert_int_equal(env.header.payload_len, 3);
  assert_int_equal(env.header.format_id, 0x0102);
  zr_envelope_clear(&env);
  zr_envelope_clear(NULL);
  /* the frame checksum covers the payload */
  g = f;
  g.d[f.len - 1] ^= 1;
  expect(&g, g.len, 0, ZR_ERR_CHECKSUM, 48, "envelope checksum mismatch (stored ");
  expect(&g, g.len, 1, ZR_OK, 0, NULL);
}

/* metadata bytes for entry (tag, value) appended to m */
typedef struct mb {
  uint8_t d[1024];
  uint32_t len;
} mb;

static void ent(mb *m, uint16_t tag, const void *v, uint32_t n) {
  zr__st16le(m->d + m->len, tag);
  zr__st32le(m->d + m->len + 2, n);
  if (n) memcpy(m->d + m->len + 6, v, n);
  m->len += 6 + n;
}

static uint32_t str(uint8_t *out, const char *s, uint32_t n) {
  zr__st32le(out, n);
  memcpy(out + 4, s, n);
  return 4 + n;
}

static void test_metadata_entries(void **state) {
  (void)state;
  uint8_t v[256];
  uint8_t eight[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (int k = 0; k < 17; k++) {
    mb m;
    memset(&m, 0, sizeof m);
    zr_status code = ZR_ERR_MALFORMED;
    int64_t off = HS;
    const char *msg = NULL;
    uint32_t n;
    switch (k) {
      case 0: m.len = 3; msg = "envelope metadata: entry header runs past the block"; break;
      case 1: ent(&m, 4, "abcd", 4); zr__st32le(m.d + 2, 10); msg = "entry runs past the block"; break;
      case 2: ent(&m, 1, "abcd", 4); msg = "fixed-size entry with a length other than 8"; break;
      case 3: ent(&m, 2, eight, 8); ent(&m, 2, eight, 8); off += 14; msg = "repeated entry"; break;
      case 4: ent(&m, 1, eight, 8); ent(&m, 2, eight, 8); ent(&m, 1, eight, 8); off += 28; msg = "repeated entry"; break;
      case 5: ent(&m, 3, "p", 1); ent(&m, 3, "q", 1); off += 7; msg = "repeated producer entry"; break;
      case 6: ent(&m, 9, "x", 1); code = ZR_ERR_UNSUPPORTED; msg = "unknown required entry tag"; break;
      case 7: ent(&m, 3, "ok\xff", 3); code = ZR_ERR_UTF8; off += 6 + 2; msg = "producer is not valid UTF-8"; break;
      case 8: ent(&m, 4, "ab", 2); off += 6; msg = "string length runs past its entry"; break;
      case 9: n = str(v, "key", 3); zr__st32le(v, 50); ent(&m, 4, v, n); off += 6; msg = "string runs past its entry"; break;
      case 10: n = str(v, "k\xc3", 2); n += str(v + n, "v", 1); ent(&m, 4, v, n); code = ZR_ERR_UTF8; off += 6 + 4 + 1;
        msg = "string is not valid UTF-8"; break;
      case 11: n = str(v, "k", 1); n += str(v + n, "v", 1); v[n++] = 0; ent(&m, 4, v, n); off += 6 + n - 1;
        msg = "key/value entry has trailing bytes"; break;
      case 12: n = str(v, "k", 1); ent(&m, 4, v, n); off += 6 + n; msg = "string length runs past its entry"; break;
      case 13: n = str(v, "op", 2); n += str(v + n, "pr", 2); memset(v + n, 0, 11); n += 11; ent(&m, 5, v, n);
        off += 6 + 12; msg = "lineage entry too short"; break;
      case 14: n = str(v, "op", 2); n += str(v + n, "pr", 2); memset(v + n, 0, 20); zr__st32le(v + n + 8, 2); n += 20;
        ent(&m, 5, v, n); off += 6 + 12 + 12; msg = "lineage input count does not match the entry length"; break;
      case 15: n = str(v, "op", 2); ent(&m, 5, v, n); off += 6 + n; msg = "string length runs past its entry"; break;
      default: /* everything valid, with an optional unknown entry and an empty lineage input list */
        ent(&m, 0x8123, "whatever", 8);
        ent(&m, 3, "", 0);
        n = str(v, "", 0);
        n += str(v + n, "", 0);
        ent(&m, 4, v, n);
        n = str(v, "op", 2);
        n += str(v + n, "", 0);
        memset(v + n, 0, 12);
        n += 12;
        ent(&m, 5, v, n);
        n = str(v, "op2", 3);
        n += str(v + n, "pr", 2);
        memset(v + n, 0, 28);
        zr__st32le(v + n + 8, 2);
        v[n + 12] = 7;
        v[n + 20] = 9;
        n += 28;
        ent(&m, 5, v, n);
        code = ZR_OK;
        break;
    }
    fr f;
    build(&f, m.d, m.len, "pay", 3, 0, 0);
    for (int meta_only = 0; meta_only < 2; meta_only++) {
      zr_envelope env;
      zr_error e;
      zr_error_clear(&e);
      zr_status st = meta_only ? zr_envelope_read_meta(f.d, f.len, NULL, &env, &e)
                               : zr_envelope_parse(f.d, f.len, NULL, &env, &e);
      if (st != code) fail_msg("case %d: %s (%s)", k, zr_status_name(st), e.message);
      if (code != ZR_OK) {
        if (e.offset != off) fail_msg("case %d: offset %lld, expected %lld", k, (long long)e.offset, (long long)off);
        if (!strstr(e.message, msg)) fail_msg("case %d: '%s' lacks '%s'", k, e.message, msg);
        assert_null(env.priv_);
        continue;
      }
      assert_int_equal(env.meta.n_kv, 1);
      assert_int_equal(env.meta.kv[0].key.len, 0);
      assert_string_equal(env.meta.kv[0].key.ptr, "");
      assert_non_null(env.meta.producer.ptr);
      assert_int_equal(env.meta.producer.len, 0);
      assert_int_equal(env.meta.n_lineage, 2);
      assert_int_equal(env.meta.lineage[0].n_inputs, 0);
      assert_null(env.meta.lineage[0].inputs);
      assert_int_equal(env.meta.lineage[1].n_inputs, 2);
      assert_int_equal(env.meta.lineage[1].inputs[0], 7);
      assert_int_equal(env.meta.lineage[1].inputs[1], 9);
      assert_string_equal(env.meta.lineage[1].operation.ptr, "op2");
      assert_false(env.meta.has_created_at);
      zr_envelope_clear(&env);
    }
  }
  /* padding between metadata and payload must be zero */
  mb m;
  memset(&m, 0, sizeof m);
  ent(&m, 3, "p", 1);
  fr f;
  build(&f, m.d, m.len, "x", 1, 0, 0);
  f.d[HS + m.len + 2] = 1;
  reseal(&f);
  expect(&f, f.len, 0, ZR_ERR_MALFORMED, HS + m.len + 2, "envelope padding byte is not zero");
  expect(&f, f.len, 1, ZR_OK, 0, NULL);
  /* read_meta needs the metadata, not the payload */
  expect(&f, HS + m.len - 1, 1, ZR_ERR_TRUNCATED, HS + m.len - 1, "envelope truncated inside its metadata (70 of 71 bytes)");
}

static zr_status cb_write(void *ud, const void *d, size_t n, size_t *w) {
  (void)ud, (void)d;
  *w = n;
  return ZR_OK;
}

static void test_writer_params(void **state) {
  (void)state;
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_envelope_params p;
  memset(&p, 0, sizeof p);
  zr_error e;
  assert_int_equal(zr_envelope_write(NULL, &p, "", 0, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_envelope_write(s, NULL, "", 0, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_envelope_write(s, &p, NULL, 3, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "payload is NULL");
  zr_envelope_meta meta;
  zr_envelope_kv kv[2];
  zr_envelope_lineage lin[1];
  uint64_t ins[2] = {1, 2};
  for (int k = 0; k < 12; k++) {
    memset(&p, 0, sizeof p);
    memset(&meta, 0, sizeof meta);
    memset(kv, 0, sizeof kv);
    memset(lin, 0, sizeof lin);
    p.meta = &meta;
    const char *msg;
    switch (k) {
      case 0: p.codec = 4; msg = "unknown codec id 4"; break;
      case 1: p.flags = 0x10; msg = "envelope flags 0x10 are not defined in version 1"; break;
      case 2: meta.producer.ptr = "a\xff"; meta.producer.len = 2; msg = "envelope producer is not valid UTF-8 (byte 1)"; break;
      case 3: meta.n_kv = 1; msg = "envelope key/values: NULL array"; break;
      case 4: meta.kv = kv; meta.n_kv = 2; kv[0].key.ptr = "k"; kv[0].key.len = 1; kv[1].key.len = 3;
        msg = "envelope key: NULL pointer with length"; break;
      case 5: meta.kv = kv; meta.n_kv = 1; kv[0].value.ptr = "\xc0\x80"; kv[0].value.len = 2;
        msg = "envelope value is not valid UTF-8 (byte 0)"; break;
      case 6: meta.n_lineage = 1; msg = "envelope lineage: NULL array"; break;
      case 7: meta.lineage = lin; meta.n_lineage = 1; lin[0].operation.len = 1; msg = "envelope lineage operation: NULL pointer"; break;
      case 8: meta.lineage = lin; meta.n_lineage = 1; lin[0].producer.ptr = "\xff"; lin[0].producer.len = 1;
        msg = "envelope lineage producer is not valid UTF-8"; break;
      case 9: meta.lineage = lin; meta.n_lineage = 1; lin[0].n_inputs = 2; msg = "envelope lineage inputs: NULL array"; break;
      case 10: meta.lineage = lin; meta.n_lineage = 1; lin[0].inputs = ins; lin[0].n_inputs = ZR_ENVELOPE_MAX_METADATA / 8 + 1;
        msg = "envelope lineage: too many inputs"; break;
      default: { /* metadata above 16 MiB */
        static char big[(1u << 24) + 1];
        memset(big, 'a', sizeof big);
        meta.kv = kv;
        meta.n_kv = 1;
        kv[0].value.ptr = big;
        kv[0].value.len = sizeof big;
        msg = "envelope metadata exceeds 16777216 bytes";
        break;
      }
    }
    zr_error_clear(&e);
    assert_int_equal(zr_envelope_write(s, &p, "x", 1, &e), ZR_ERR_INVALID_ARG);
    if (!strstr(e.message, msg)) fail_msg("case %d: '%s' lacks '%s'", k, e.message, msg);
    zr_envelope_writer w;
    assert_int_equal(zr_envelope_begin(s, &p, &w, &e), ZR_ERR_INVALID_ARG);
    assert_int_equal(zr_sink_size(s), 0);
  }
  /* in place: arguments, a sink emptied under the writer, a frame start overwritten */
  zr_envelope_writer w;
  memset(&p, 0, sizeof p);
  assert_int_equal(zr_envelope_begin(NULL, &p, &w, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_envelope_begin(s, NULL, &w, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_envelope_begin(s, &p, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_envelope_end(NULL, &e), ZR_ERR_INVALID_ARG);
  memset(&w, 0, sizeof w);
  assert_int_equal(zr_envelope_end(&w, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "writer not started");
  assert_int_equal(zr_envelope_begin(s, &p, &w, &e), ZR_OK);
  uint8_t *taken;
  size_t tn;
  assert_int_equal(zr_sink_memory_take(s, &taken, &tn, NULL), ZR_OK);
  zr_free(taken);
  assert_int_equal(zr_envelope_end(&w, &e), ZR_ERR_STATE);
  assert_string_equal(e.message, "the sink no longer holds the frame started in place");
  assert_int_equal(zr_envelope_begin(s, &p, &w, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, "payload", 7, NULL), ZR_OK);
  const uint8_t *d;
  size_t dn;
  zr_sink_memory_data(s, &d, &dn);
  ((uint8_t *)d)[0] = 0;
  assert_int_equal(zr_envelope_end(&w, &e), ZR_ERR_STATE);
  assert_string_equal(e.message, "frame start was overwritten");
  ((uint8_t *)d)[0] = 0x89;
  assert_int_equal(zr_envelope_end(&w, &e), ZR_OK);
  assert_int_equal(zr_envelope_end(&w, &e), ZR_ERR_INVALID_ARG); /* ended */
  zr_envelope env;
  zr_sink_memory_data(s, &d, &dn);
  assert_int_equal(zr_envelope_parse(d, dn, NULL, &env, &e), ZR_OK);
  assert_int_equal(env.payload_len, 7);
  assert_memory_equal(env.payload, "payload", 7);
  zr_envelope_clear(&env);
  zr_sink_free(s);
  /* a fixed sink too small for the prefix; a callback sink cannot be written in place */
  uint8_t small[32];
  assert_int_equal(zr_sink_fixed_new(small, sizeof small, &s, NULL), ZR_OK);
  assert_int_equal(zr_envelope_begin(s, &p, &w, &e), ZR_ERR_NOSPACE);
  assert_int_equal(zr_envelope_write(s, &p, "x", 1, &e), ZR_ERR_NOSPACE);
  zr_sink_free(s);
  assert_int_equal(zr_sink_callback_new(cb_write, NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_envelope_begin(s, &p, &w, &e), ZR_ERR_UNSUPPORTED);
  assert_string_equal(e.message, "in-place envelope needs a memory or fixed sink");
  zr_sink_free(s);
  /* codec names */
  assert_string_equal(zr_codec_id_name(ZR_CODEC_NONE), "none");
  assert_string_equal(zr_codec_id_name(ZR_CODEC_LZ4), "lz4");
  assert_string_equal(zr_codec_id_name(ZR_CODEC_ZSTD), "zstd");
  assert_string_equal(zr_codec_id_name(ZR_CODEC_GZIP), "gzip");
  assert_string_equal(zr_codec_id_name(77), "unknown");
  assert_false(zr_envelope_detect(NULL, 8));
  assert_false(zr_envelope_detect((const uint8_t *)ZR_ENVELOPE_MAGIC, 7));
  assert_true(zr_envelope_detect((const uint8_t *)ZR_ENVELOPE_MAGIC, 8));
}

/* The writer's buffer growing at every kind of metadata entry, with the allocator failing each
 * growth in turn: ZR_ERR_NOMEM, nothing written, nothing left allocated. */
static void test_write_nomem(void **state) {
  (void)state;
  static char text[6000];
  memset(text, 'p', sizeof text);
  static const size_t plens[] = {0, 50, 200, 1000, 5000};
  static const size_t nkvs[] = {0, 1, 3, 20};
  zr_envelope_kv kv[20];
  for (int i = 0; i < 20; i++) {
    kv[i].key = (zr_envelope_str){text, (size_t)(1 + i * 7)};
    kv[i].value = (zr_envelope_str){text, (size_t)(i * 13)};
  }
  uint64_t ins[3] = {1, 2, 3};
  zr_envelope_lineage lin[2] = {{{"op", 2}, {text, 300}, 5, ins, 3}, {{text, 40}, {"me", 2}, 6, ins, 1}};
  unsigned failures = 0;
  for (size_t a = 0; a < 5; a++)
    for (size_t b = 0; b < 4; b++)
      for (size_t c = 0; c < 3; c++) {
        zr_envelope_meta meta;
        memset(&meta, 0, sizeof meta);
        meta.has_schema_fingerprint = (a + b) % 2;
        meta.has_created_at = (b + c) % 2;
        meta.producer = (zr_envelope_str){plens[a] ? text : NULL, plens[a]};
        meta.kv = kv;
        meta.n_kv = nkvs[b];
        meta.lineage = lin;
        meta.n_lineage = c;
        for (uint64_t n = 1;; n++) {
          zr_test_failalloc fa;
          zr_test_failalloc_init(&fa, n);
          zr_envelope_params p;
          memset(&p, 0, sizeof p);
          p.alloc = &fa.a;
          p.meta = &meta;
          zr_sink *s;
          assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
          zr_error e;
          zr_error_clear(&e);
          zr_status st = zr_envelope_write(s, &p, "payload", 7, &e);
          size_t written = zr_sink_size(s);
          zr_sink_free(s);
          assert_int_equal(fa.live, 0);
          if (st == ZR_OK) break;
          assert_int_equal(st, ZR_ERR_NOMEM);
          assert_string_equal(e.message, "out of memory");
          assert_int_equal(written, 0);
          failures++;
          assert_true(n < 100);
        }
      }
  assert_true(failures > 60);
}

/* The metadata reader with big strings and many entries (each its own arena block), the
 * allocator failing each block in turn */
static void test_parse_nomem(void **state) {
  (void)state;
  static char big[9000];
  memset(big, 'b', sizeof big);
  static zr_envelope_kv kv[700];
  for (int i = 0; i < 700; i++) {
    kv[i].key = (zr_envelope_str){"k", 1};
    kv[i].value = (zr_envelope_str){"v", 1};
  }
  kv[0].key = (zr_envelope_str){big, sizeof big};
  kv[1].value = (zr_envelope_str){big, sizeof big};
  static uint64_t ins[2000];
  static zr_envelope_lineage lin[700];
  for (int i = 0; i < 700; i++) lin[i] = (zr_envelope_lineage){{"op", 2}, {"pr", 2}, i, NULL, 0};
  lin[0].operation = (zr_envelope_str){big, sizeof big};
  lin[1].producer = (zr_envelope_str){big, sizeof big};
  lin[2].inputs = ins;
  lin[2].n_inputs = 2000;
  for (int shape = 0; shape < 3; shape++) {
    zr_envelope_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.producer = (zr_envelope_str){big, shape == 0 ? sizeof big : 5};
    meta.kv = kv;
    meta.n_kv = shape == 1 ? 700 : 2;
    meta.lineage = lin;
    meta.n_lineage = shape == 2 ? 700 : 3;
    zr_envelope_params p;
    memset(&p, 0, sizeof p);
    p.meta = &meta;
    zr_sink *s;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(zr_envelope_write(s, &p, "x", 1, NULL), ZR_OK);
    const uint8_t *b;
    size_t n;
    zr_sink_memory_data(s, &b, &n);
    unsigned failures = 0;
    for (uint64_t k = 1;; k++) {
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, k);
      zr_envelope env;
      zr_error e;
      zr_error_clear(&e);
      zr_status st = zr_envelope_parse(b, n, &fa.a, &env, &e);
      if (st == ZR_OK) {
        assert_int_equal(env.meta.n_kv, meta.n_kv);
        assert_int_equal(env.meta.lineage[2].n_inputs, 2000);
        assert_int_equal(env.meta.kv[1].value.len, sizeof big);
        zr_envelope_clear(&env);
        assert_int_equal(fa.live, 0);
        break;
      }
      assert_int_equal(fa.live, 0);
      assert_true(st == ZR_ERR_NOMEM || st == ZR_ERR_LIMIT);
      assert_null(env.priv_);
      failures++;
      assert_true(k < 200);
    }
    assert_true(failures >= 4);
    zr_sink_free(s);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header_fields),
      cmocka_unit_test(test_metadata_entries),
      cmocka_unit_test(test_writer_params),
      cmocka_unit_test(test_write_nomem),
      cmocka_unit_test(test_parse_nomem),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
