/* .npz: a zip archive of .npy members (PKWARE APPNOTE: local headers, central directory, zip64). */
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "zerial/codec.h"

#include "formats/numpy/numpy_internal.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define EXTRA_ZIP64 0x0001u
#define EXTRA_ALIGN 0xD935u /* padding record (ignored by readers), used to align member data */
#define U32_MAX_FIELD 0xFFFFFFFFu
#define DOS_DATE 0x0021u /* 1980-01-01: archives are reproducible */

/* ---------------------------------------------------------------------------------------------
 * reading */

typedef struct npz_entry {
  const uint8_t *name;
  size_t name_len;
  uint16_t flags, method;
  uint32_t crc;
  uint64_t csize, usize, local_off;
  uint64_t data_off; /* filled after reading the local header */
} npz_entry;

static zr_status zip64_extra(const uint8_t *ex, size_t n, npz_entry *e, int need_u, int need_c, int need_o, int64_t off, zr_error *err) {
  size_t i = 0;
  while (i + 4 <= n) {
    uint16_t id = zr__ld16le(ex + i), sz = zr__ld16le(ex + i + 2);
    if (sz > n - i - 4) return zr__err(err, ZR_ERR_MALFORMED, off, "npz: extra field overruns its record");
    if (id == EXTRA_ZIP64) {
      const uint8_t *p = ex + i + 4;
      size_t left = sz;
      if (need_u) { if (left < 8) goto short_; e->usize = zr__ld64le(p); p += 8; left -= 8; }
      if (need_c) { if (left < 8) goto short_; e->csize = zr__ld64le(p); p += 8; left -= 8; }
      if (need_o) { if (left < 8) goto short_; e->local_off = zr__ld64le(p); }
      return ZR_OK;
    }
    i += 4 + (size_t)sz;
  }
  if (need_u || need_c || need_o) return zr__err(err, ZR_ERR_MALFORMED, off, "npz: zip64 sizes announced but no zip64 extra field");
  return ZR_OK;
short_:
  return zr__err(err, ZR_ERR_MALFORMED, off, "npz: zip64 extra field too short");
}

/* Locate the central directory: *cd_off, *cd_size, *count. */
static zr_status find_cd(const uint8_t *d, size_t len, uint64_t *cd_off, uint64_t *cd_size, uint64_t *count, zr_error *err) {
  if (len < 22) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "npz: too short for a zip archive");
  size_t lo = len - 22 > 65535 ? len - 22 - 65535 : 0;
  size_t eocd = SIZE_MAX;
  for (size_t i = len - 22 + 1; i-- > lo;) {
    if (zr__ld32le(d + i) == SIG_EOCD && i + 22 + zr__ld16le(d + i + 20) <= len) {
      eocd = i;
      break;
    }
  }
  if (eocd == SIZE_MAX) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)len, "npz: no end-of-central-directory record (not a zip archive)");
  const uint8_t *e = d + eocd;
  if (zr__ld16le(e + 4) != 0 || zr__ld16le(e + 6) != 0) return zr__err(err, ZR_ERR_UNSUPPORTED, (int64_t)eocd, "npz: multi-disk archives are not supported");
  *count = zr__ld16le(e + 10);
  *cd_size = zr__ld32le(e + 12);
  *cd_off = zr__ld32le(e + 16);
  if (eocd >= 20 && zr__ld32le(d + eocd - 20) == SIG_LOC64) {
    uint64_t z = zr__ld64le(d + eocd - 20 + 8);
    if (z > len || len - z < 56 || zr__ld32le(d + z) != SIG_EOCD64)
      return zr__err(err, ZR_ERR_MALFORMED, (int64_t)(eocd - 20), "npz: bad zip64 end-of-central-directory locator");
    const uint8_t *r = d + z;
    if (zr__ld32le(r + 16) != 0 || zr__ld32le(r + 20) != 0) return zr__err(err, ZR_ERR_UNSUPPORTED, (int64_t)z, "npz: multi-disk archives are not supported");
    *count = zr__ld64le(r + 32);
    *cd_size = zr__ld64le(r + 40);
    *cd_off = zr__ld64le(r + 48);
  } else if (*count == 0xFFFF || *cd_size == U32_MAX_FIELD || *cd_off == U32_MAX_FIELD) {
    return zr__err(err, ZR_ERR_MALFORMED, (int64_t)eocd, "npz: zip64 values without a zip64 locator");
  }
  if (*cd_off > len || *cd_size > len - *cd_off) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)eocd, "npz: central directory outside the input");
  if (*count > *cd_size / 46) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)eocd, "npz: entry count larger than the central directory");
  return ZR_OK;
}

static zr_status read_entry(const uint8_t *d, size_t len, size_t *pos, size_t cd_end, npz_entry *e, zr_error *err) {
  size_t p = *pos;
  if (cd_end - p < 46 || zr__ld32le(d + p) != SIG_CENTRAL) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)p, "npz: bad central directory entry");
  const uint8_t *c = d + p;
  memset(e, 0, sizeof *e);
  e->flags = zr__ld16le(c + 8);
  e->method = zr__ld16le(c + 10);
  e->crc = zr__ld32le(c + 16);
  e->csize = zr__ld32le(c + 20);
  e->usize = zr__ld32le(c + 24);
  size_t nl = zr__ld16le(c + 28), xl = zr__ld16le(c + 30), cl = zr__ld16le(c + 32);
  e->local_off = zr__ld32le(c + 42);
  if (cd_end - p - 46 < nl + xl + cl) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)p, "npz: central directory entry truncated");
  e->name = c + 46;
  e->name_len = nl;
  ZR_TRY(zip64_extra(c + 46 + nl, xl, e, e->usize == U32_MAX_FIELD, e->csize == U32_MAX_FIELD, e->local_off == U32_MAX_FIELD, (int64_t)p, err));
  *pos = p + 46 + nl + xl + cl;
  if (e->flags & 1) return zr__err(err, ZR_ERR_UNSUPPORTED, (int64_t)p, "npz: encrypted member '%.*s'", (int)(nl > 80 ? 80 : nl), e->name);
  if (e->method != 0 && e->method != 8)
    return zr__err(err, ZR_ERR_UNSUPPORTED, (int64_t)p, "npz: member '%.*s' uses compression method %u (only stored and deflate)", (int)(nl > 80 ? 80 : nl), e->name, e->method);
  uint64_t lo = e->local_off;
  if (lo > len || len - lo < 30 || zr__ld32le(d + lo) != SIG_LOCAL) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)(lo > len ? p : lo), "npz: bad local header");
  uint64_t start = lo + 30 + zr__ld16le(d + lo + 26) + zr__ld16le(d + lo + 28);
  if (start > len || e->csize > len - start) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)lo, "npz: member data outside the input");
  if (e->method == 0 && e->csize != e->usize) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)p, "npz: stored member sizes disagree");
  e->data_off = start;
  return ZR_OK;
}

/* The first bytes (up to @p cap) a deflated member inflates to, for inspect: as many as the data
 * gives before it ends or turns out corrupt. Returns the count. (Decoding goes through the codec
 * registry, which checks sizes and CRC.) */
static uint64_t inflate_head(const uint8_t *src, uint64_t n, uint8_t *dst, uint64_t cap) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, -15) != Z_OK) return 0;
  uint64_t in_done = 0, out_done = 0;
  int rc = Z_OK;
  while (rc == Z_OK && out_done < cap) {
    uint64_t in_left = n - in_done, out_left = cap - out_done;
    zs.next_in = (Bytef *)(uintptr_t)(src + in_done);
    zs.avail_in = (uInt)(in_left > UINT32_MAX ? UINT32_MAX : in_left);
    zs.next_out = dst + out_done;
    zs.avail_out = (uInt)(out_left > UINT32_MAX ? UINT32_MAX : out_left);
    uInt ai = zs.avail_in, ao = zs.avail_out;
    rc = inflate(&zs, Z_NO_FLUSH);
    in_done += ai - zs.avail_in;
    out_done += ao - zs.avail_out;
    if (ai == zs.avail_in && ao == zs.avail_out) break; /* no progress: input exhausted */
  }
  inflateEnd(&zs);
  return out_done;
}

static uint32_t crc_of(const uint8_t *p, uint64_t n) { return zr_crc32(0, p, (size_t)n); }

zr_status zr_npz_decode(const uint8_t *data, size_t len, const zr_decode_opts *opts, const zr_npy_opts *nopts,
                        zr_doc **out, zr_error *err) {
  if (!out || (!data && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  *out = NULL;
  zr_decode_opts dflt;
  if (!opts) {
    zr_decode_opts_init(&dflt);
    opts = &dflt;
  }
  uint64_t cd_off, cd_size, count;
  ZR_TRY(find_cd(data, len, &cd_off, &cd_size, &count, err));
  if (count > opts->max_elements) return zr__err(err, ZR_ERR_LIMIT, -1, "npz: %llu members exceed max_elements", (unsigned long long)count);
  zr_doc *doc = zr__doc_new_limited(opts->alloc, opts->max_bytes);
  if (!doc) return zr__err_nomem(err);
  zr_value map = zr_map_new(doc, (size_t)count);
  zr_status st = map.kind == ZR_KIND_MAP ? ZR_OK : zr__err_nomem(err);
  size_t pos = (size_t)cd_off, cd_end = (size_t)(cd_off + cd_size);
  for (uint64_t i = 0; i < count && st == ZR_OK; i++) {
    npz_entry e;
    st = read_entry(data, len, &pos, cd_end, &e, err);
    if (st) break;
    const uint8_t *mem = data + e.data_off;
    uint64_t mlen = e.usize;
    int owned = 0;
    if (e.method == 8) {
      if (e.usize > opts->max_bytes) {
        st = zr__err(err, ZR_ERR_LIMIT, (int64_t)e.data_off, "npz: member of %llu bytes exceeds max_bytes", (unsigned long long)e.usize);
        break;
      }
      uint8_t *buf = zr_doc_alloc(doc, (size_t)(e.usize ? e.usize : 1), 64);
      if (!buf) {
        st = zr__err(err, doc->arena.over_limit ? ZR_ERR_LIMIT : ZR_ERR_NOMEM, (int64_t)e.data_off, "npz: cannot allocate %llu bytes to inflate a member (max_bytes)", (unsigned long long)e.usize);
        break;
      }
      /* through the codec registry: exact size and the ZIP CRC-32 checked */
      zr_error ce;
      st = zr_codec_deflate_decompress(mem, (size_t)e.csize, buf, (size_t)e.usize, e.crc, &ce);
      if (st == ZR_ERR_CHECKSUM && nopts && nopts->skip_crc) st = ZR_OK;
      if (st) {
        if (st == ZR_ERR_CHECKSUM)
          st = zr__err(err, ZR_ERR_CHECKSUM, (int64_t)e.data_off, "npz: CRC-32 mismatch in member '%.*s'", (int)(e.name_len > 80 ? 80 : e.name_len), e.name);
        else
          st = zr__err(err, st, (int64_t)e.data_off + (ce.offset > 0 ? ce.offset : 0), "npz: member '%.*s': %s", (int)(e.name_len > 80 ? 80 : e.name_len), e.name, ce.message);
        break;
      }
      mem = buf;
      owned = 1;
    }
    if (e.method != 8 && !(nopts && nopts->skip_crc) && crc_of(mem, mlen) != e.crc) {
      st = zr__err(err, ZR_ERR_CHECKSUM, (int64_t)e.data_off, "npz: CRC-32 mismatch in member '%.*s'", (int)(e.name_len > 80 ? 80 : e.name_len), e.name);
      break;
    }
    size_t klen = e.name_len;
    if (klen >= 4 && memcmp(e.name + klen - 4, ".npy", 4) == 0) klen -= 4;
    size_t bad;
    if (opts->validate_utf8 && !zr__utf8_valid(e.name, e.name_len, &bad)) {
      st = zr__err(err, ZR_ERR_UTF8, (int64_t)(e.local_off), "npz: member name is not UTF-8");
      break;
    }
    zr_value key = opts->copy ? zr_str_copy(doc, (const char *)e.name, klen) : zr_str_ref((const char *)e.name, klen);
    zr_value val;
    if (mlen >= 6 && memcmp(mem, "\x93NUMPY", 6) == 0) {
      zr_tensor t;
      st = zr_npy_parse(mem, (size_t)mlen, nopts, 0, doc, &t, NULL, err);
      if (st) {
        if (err) err->offset = err->offset >= 0 && !owned ? err->offset + (int64_t)e.data_off : (int64_t)e.data_off;
        break;
      }
      /* views must be aligned for their element type; misaligned stored members (np.savez
       * does not align) are copied into 64-byte aligned doc memory instead */
      size_t nat = zr__npy_natural_align(&t);
      int misaligned = t.nbytes && ((uintptr_t)t.data % nat) != 0;
      if ((opts->copy || misaligned) && !owned && t.nbytes) {
        void *p = zr_doc_alloc(doc, (size_t)t.nbytes, 64);
        if (!p) {
          st = zr__err_nomem(err);
          break;
        }
        memcpy(p, t.data, (size_t)t.nbytes);
        t.data = p;
      }
      val = zr_tensor_value(doc, &t);
    } else {
      val = opts->copy && !owned ? zr_bin_copy(doc, mem, (size_t)mlen) : zr_bin_ref(mem, (size_t)mlen);
    }
    if (zr_map_put(doc, &map, key, val) != ZR_OK || zr_doc_status(doc) != ZR_OK) st = zr__err_nomem(err);
  }
  if (st == ZR_OK) st = zr_doc_set_root(doc, map);
  if (st != ZR_OK) {
    zr_doc_free(doc);
    return st;
  }
  *out = doc;
  return ZR_OK;
}

/* ---------------------------------------------------------------------------------------------
 * writing */

typedef struct npz_written {
  char *name;
  size_t name_len;
  uint32_t crc;
  uint64_t csize, usize, local_off;
  uint16_t method;
} npz_written;

typedef struct npz_writer {
  zr_sink *sink;
  uint64_t pos;
  int force64;
  const zr_allocator *a;
  npz_written *items;
  size_t n, cap;
  zr__buf scratch;
} npz_writer;

static zr_status wr(npz_writer *w, const void *p, size_t n, zr_error *err) {
  ZR_TRY(zr_sink_write(w->sink, p, n, err));
  w->pos += n;
  return ZR_OK;
}

static int name_ascii(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80) return 0;
  return 1;
}

/* The fields a ZIP local header (at its byte 4) and a central directory entry (at its byte 6)
 * share: version needed (4.5 with ZIP64), flags (bit 11: a UTF-8 name), method, DOS time and date,
 * CRC-32, compressed and uncompressed sizes (0xFFFFFFFF when @p csize64 / @p usize64: they are in
 * the ZIP64 extra field) and the name length: 24 bytes at @p h. */
static void zip_common(uint8_t *h, int z64, const char *name, size_t nlen, const npz_written *m, int csize64, int usize64) {
  zr__st16le(h, z64 ? 45 : 20);
  zr__st16le(h + 2, name_ascii(name, nlen) ? 0 : 0x800);
  zr__st16le(h + 4, m->method);
  zr__st16le(h + 6, 0);
  zr__st16le(h + 8, DOS_DATE);
  zr__st32le(h + 10, m->crc);
  zr__st32le(h + 14, csize64 ? U32_MAX_FIELD : (uint32_t)m->csize);
  zr__st32le(h + 18, usize64 ? U32_MAX_FIELD : (uint32_t)m->usize);
  zr__st16le(h + 22, (uint16_t)nlen);
}

static zr_status sink_to_buf_fn(void *ud, const void *data, size_t len, size_t *written) {
  zr__buf *b = ud;
  *written = len;
  return zr__buf_append(b, data, len);
}

static zr_status write_member(npz_writer *w, const char *name, size_t nlen, const zr_tensor *t, const zr_npy_opts *no, zr_error *err) {
  if (nlen > 65535) return zr__err(err, ZR_ERR_RANGE, -1, "npz: member name too long");
  if (w->n == w->cap) {
    size_t nc = w->cap ? w->cap * 2 : 8;
    npz_written *ni = zr__realloc(w->a, w->items, nc * sizeof *ni);
    if (!ni) return zr__err_nomem(err);
    w->items = ni;
    w->cap = nc;
  }
  npz_written *m = &w->items[w->n];
  memset(m, 0, sizeof *m);
  m->name = zr__malloc(w->a, nlen + 1);
  if (!m->name) return zr__err_nomem(err);
  memcpy(m->name, name, nlen);
  m->name_len = nlen;
  w->n++;
  m->local_off = w->pos;
  zr__buf packed, comp;
  zr__buf_init(&packed, w->a);
  zr__buf_init(&comp, w->a);
  zr_status st;
  int compress = no && no->compress;
  if (compress) {
    zr_sink *bs;
    st = zr_sink_callback_new(sink_to_buf_fn, &packed, &bs, err);
    if (st == ZR_OK) {
      st = zr__npy_write(w->a, t, bs, &m->crc, &m->usize, err);
      if (st == ZR_OK) st = zr_sink_flush(bs, err);
      zr_sink_free(bs);
    }
    if (st == ZR_OK) { /* raw DEFLATE through the codec registry (libdeflate) */
      zr_sink *cs;
      st = zr_sink_callback_new(sink_to_buf_fn, &comp, &cs, err);
      if (st == ZR_OK) {
        st = zr_codec_deflate_compress(6, packed.data, packed.len, cs, NULL, NULL, err);
        if (st == ZR_OK) st = zr_sink_flush(cs, err);
        zr_sink_free(cs);
      }
    }
    m->csize = comp.len;
    m->method = 8;
  } else {
    st = zr__npy_write(w->a, t, NULL, &m->crc, &m->usize, err);
    m->csize = m->usize;
  }
  if (st == ZR_OK) {
    int z64 = w->force64 || m->usize >= U32_MAX_FIELD || m->csize >= U32_MAX_FIELD;
    uint8_t h[30];
    zr__st32le(h, SIG_LOCAL);
    zip_common(h + 4, z64, name, nlen, m, z64, z64);
    uint8_t extra[20 + 4 + 128];
    size_t xl = 0;
    if (z64) {
      zr__st16le(extra, EXTRA_ZIP64);
      zr__st16le(extra + 2, 16);
      zr__st64le(extra + 4, m->usize);
      zr__st64le(extra + 12, m->csize);
      xl = 20;
    }
    if (!compress) { /* pad so the member (and so the array data) starts 64-byte aligned */
      uint64_t start = w->pos + 30 + nlen + xl;
      size_t pad = (size_t)((64 - (start + 4) % 64) % 64);
      zr__st16le(extra + xl, EXTRA_ALIGN);
      zr__st16le(extra + xl + 2, (uint16_t)pad);
      memset(extra + xl + 4, 0, pad);
      xl += 4 + pad;
    }
    zr__st16le(h + 28, (uint16_t)xl);
    st = wr(w, h, 30, err);
    if (st == ZR_OK) st = wr(w, name, nlen, err);
    if (st == ZR_OK) st = wr(w, extra, xl, err);
    if (st == ZR_OK) {
      if (compress) st = wr(w, comp.data, comp.len, err);
      else {
        st = zr__npy_write(w->a, t, w->sink, NULL, NULL, err);
        w->pos += m->usize;
      }
    }
  }
  zr__buf_free(&packed);
  zr__buf_free(&comp);
  return st;
}

static zr_status write_central(npz_writer *w, zr_error *err) {
  uint64_t cd_start = w->pos;
  for (size_t i = 0; i < w->n && true; i++) {
    npz_written *m = &w->items[i];
    int nu = w->force64 || m->usize >= U32_MAX_FIELD, nc = w->force64 || m->csize >= U32_MAX_FIELD,
        no = w->force64 || m->local_off >= U32_MAX_FIELD;
    uint8_t h[46], extra[28];
    size_t xl = 0;
    if (nu || nc || no) {
      zr__st16le(extra, EXTRA_ZIP64);
      xl = 4;
      if (nu) { zr__st64le(extra + xl, m->usize); xl += 8; }
      if (nc) { zr__st64le(extra + xl, m->csize); xl += 8; }
      if (no) { zr__st64le(extra + xl, m->local_off); xl += 8; }
      zr__st16le(extra + 2, (uint16_t)(xl - 4));
    }
    int z64 = xl != 0;
    zr__st32le(h, SIG_CENTRAL);
    zr__st16le(h + 4, (3u << 8) | 45u);
    zip_common(h + 6, z64, m->name, m->name_len, m, nc, nu);
    zr__st16le(h + 30, (uint16_t)xl);
    zr__st16le(h + 32, 0);
    zr__st16le(h + 34, 0);
    zr__st16le(h + 36, 0);
    zr__st32le(h + 38, 0100644u << 16);
    zr__st32le(h + 42, no ? U32_MAX_FIELD : (uint32_t)m->local_off);
    ZR_TRY(wr(w, h, 46, err));
    ZR_TRY(wr(w, m->name, m->name_len, err));
    ZR_TRY(wr(w, extra, xl, err));
  }
  uint64_t cd_size = w->pos - cd_start;
  int z64 = w->force64 || w->n >= 0xFFFF || cd_start >= U32_MAX_FIELD || cd_size >= U32_MAX_FIELD;
  if (z64) {
    uint64_t rec = w->pos;
    uint8_t r[56], l[20];
    zr__st32le(r, SIG_EOCD64);
    zr__st64le(r + 4, 44);
    zr__st16le(r + 12, (3u << 8) | 45u);
    zr__st16le(r + 14, 45);
    zr__st32le(r + 16, 0);
    zr__st32le(r + 20, 0);
    zr__st64le(r + 24, w->n);
    zr__st64le(r + 32, w->n);
    zr__st64le(r + 40, cd_size);
    zr__st64le(r + 48, cd_start);
    ZR_TRY(wr(w, r, 56, err));
    zr__st32le(l, SIG_LOC64);
    zr__st32le(l + 4, 0);
    zr__st64le(l + 8, rec);
    zr__st32le(l + 16, 1);
    ZR_TRY(wr(w, l, 20, err));
  }
  uint8_t e[22];
  zr__st32le(e, SIG_EOCD);
  zr__st16le(e + 4, 0);
  zr__st16le(e + 6, 0);
  uint16_t cnt = z64 && w->n >= 0xFFFF ? 0xFFFF : (uint16_t)w->n;
  zr__st16le(e + 8, cnt);
  zr__st16le(e + 10, cnt);
  zr__st32le(e + 12, z64 && cd_size >= U32_MAX_FIELD ? U32_MAX_FIELD : (uint32_t)cd_size);
  zr__st32le(e + 16, z64 && cd_start >= U32_MAX_FIELD ? U32_MAX_FIELD : (uint32_t)cd_start);
  zr__st16le(e + 20, 0);
  return wr(w, e, 22, err);
}

zr_status zr_npz_encode(const zr_value *v, const zr_npy_opts *nopts, zr_sink *sink, zr_error *err) {
  if (!v || !sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  npz_writer w;
  memset(&w, 0, sizeof w);
  w.sink = sink;
  w.force64 = nopts && nopts->force_zip64;
  w.a = zr__alloc_or_default(nopts ? nopts->alloc : NULL);
  zr_status st = ZR_OK;
  if (v->kind == ZR_KIND_TENSOR) {
    st = write_member(&w, "arr_0.npy", 9, v->u.tensor, nopts, err);
  } else if (v->kind == ZR_KIND_MAP) {
    for (uint64_t i = 0; i < v->n.len && st == ZR_OK; i++) {
      const zr_value *k = &v->u.members[i].key, *x = &v->u.members[i].val;
      char path[ZR_ERROR_PATH_MAX];
      if (k->kind != ZR_KIND_STRING || x->kind != ZR_KIND_TENSOR) {
        snprintf(path, sizeof path, "$[%llu]", (unsigned long long)i);
        st = zr__err_path(err, ZR_ERR_TYPE, path, "npz members are string keys mapping to tensors (got %s → %s)",
                          zr_kind_name(zr_kind_of(k)), zr_kind_name(zr_kind_of(x)));
        break;
      }
      char *nm = zr__malloc(w.a, (size_t)k->n.len + 5);
      if (!nm) {
        st = zr__err_nomem(err);
        break;
      }
      memcpy(nm, k->u.str, (size_t)k->n.len);
      memcpy(nm + k->n.len, ".npy", 4);
      zr_error_set_path(err, ""); /* a path left by an earlier error must not hide this member's */
      st = write_member(&w, nm, (size_t)k->n.len + 4, x->u.tensor, nopts, err);
      zr__free(w.a, nm);
      if (st && err && !err->path[0]) {
        snprintf(path, sizeof path, "$[\"%.*s\"]", (int)(k->n.len > 200 ? 200 : k->n.len), k->u.str);
        zr_error_set_path(err, path);
      }
    }
  } else {
    st = zr__err_path(err, ZR_ERR_TYPE, "$", "npz holds a map of tensors or one tensor, not a %s",
                      zr_kind_name(zr_kind_of(v)));
  }
  if (st == ZR_OK) st = write_central(&w, err);
  for (size_t i = 0; i < w.n; i++) zr__free(w.a, w.items[i].name);
  if (w.items) zr__free(w.a, w.items);
  return st;
}

/* ---------------------------------------------------------------------------------------------
 * format vtable */

static int npz_detect(const uint8_t *data, size_t len) {
  if (len < 30 || zr__ld32le(data) != SIG_LOCAL) return 0;
  size_t nl = zr__ld16le(data + 26);
  if (nl >= 4 && 30 + nl <= len && memcmp(data + 30 + nl - 4, ".npy", 4) == 0) return 90;
  return 20; /* some zip archive */
}

static zr_status npz_decode_fmt(const uint8_t *data, size_t len, const zr_decode_opts *opts, zr_doc **out, zr_error *err) {
  return zr_npz_decode(data, len, opts, NULL, out, err);
}

static zr_status npz_encode_fmt(const zr_value *v, const zr_encode_opts *opts, zr_sink *sink, zr_error *err) {
  zr_npy_opts no;
  memset(&no, 0, sizeof no);
  no.alloc = opts ? opts->alloc : NULL;
  if (opts && opts->codec && (strcmp(opts->codec, "gzip") == 0 || strcmp(opts->codec, "deflate") == 0 || strcmp(opts->codec, "auto") == 0)) no.compress = 1;
  if (opts && opts->member && v && v->kind == ZR_KIND_TENSOR) {
    /* a single tensor under a chosen name */
    zr_doc *d = zr_doc_new(opts->alloc);
    if (!d) return zr__err_nomem(err);
    zr_value m = zr_map_new(d, 1);
    zr_status st = zr_map_put_cstr(d, &m, opts->member, *v);
    st = st == ZR_OK ? zr_npz_encode(&m, &no, sink, err) : zr__err_nomem(err);
    zr_doc_free(d);
    return st;
  }
  zr_doc *tmp;
  ZR_TRY(zr__numpy_untable(v, 1, opts, &tmp, &v, err)); /* a table: one member per column */
  zr_status rc = zr_npz_encode(v, &no, sink, err);
  zr_doc_free(tmp);
  return rc;
}

static zr_status npz_inspect(const uint8_t *data, size_t len, zr_sink *json_out, zr_error *err) {
  uint64_t cd_off, cd_size, count;
  ZR_TRY(find_cd(data, len, &cd_off, &cd_size, &count, err));
  zr__buf b;
  zr__buf_init(&b, zr_allocator_default());
  zr_doc *doc = zr_doc_new(NULL);
  zr_status st = doc ? zr__buf_printf(&b, "{\"format\":\"npz\",\"members\":[") : zr__err_nomem(err);
  size_t pos = (size_t)cd_off, cd_end = (size_t)(cd_off + cd_size);
  uint8_t *head = NULL;
  for (uint64_t i = 0; i < count && st == ZR_OK; i++) {
    npz_entry e;
    st = read_entry(data, len, &pos, cd_end, &e, err);
    if (st) break;
    st = zr__buf_printf(&b, "%s{\"name\":", i ? "," : "");
    if (st == ZR_OK) st = zr__json_str(&b, (const char *)e.name, e.name_len);
    if (st == ZR_OK)
      st = zr__buf_printf(&b, ",\"method\":\"%s\",\"compressed_size\":%llu,\"size\":%llu,\"offset\":%llu", e.method ? "deflate" : "stored",
                          (unsigned long long)e.csize, (unsigned long long)e.usize, (unsigned long long)e.data_off);
    const uint8_t *mem = data + e.data_off;
    uint64_t mlen = e.usize;
    if (st == ZR_OK && e.method == 8) {
      uint64_t cap = e.usize < 131072 ? e.usize : 131072;
      free(head);
      head = malloc(cap ? cap : 1);
      if (!head) { st = zr__err_nomem(err); break; }
      mlen = inflate_head(mem, e.csize, head, cap);
      mem = head;
    }
    zr_tensor t;
    zr_npy_info info;
    zr_error ig;
    if (st == ZR_OK && zr_npy_parse(mem, (size_t)mlen, NULL, 1, doc, &t, &info, &ig) == ZR_OK) {
      st = zr__buf_printf(&b, ",\"descr\":");
      if (st == ZR_OK) st = zr__json_str(&b, t.descr, strlen(t.descr));
      if (st == ZR_OK) st = zr__buf_printf(&b, ",\"dtype\":\"%s\",\"shape\":[", zr_dtype_name(t.dtype));
      for (uint32_t k = 0; k < t.ndim && st == ZR_OK; k++) st = zr__buf_printf(&b, k ? ",%lld" : "%lld", (long long)t.shape[k]);
      if (st == ZR_OK) st = zr__buf_printf(&b, "],\"order\":\"%s\",\"data_bytes\":%llu,\"aligned\":%s", info.fortran_order ? "F" : "C",
                                           (unsigned long long)info.data_len,
                                           (e.method == 0 && (e.data_off + info.data_offset) % 64 == 0) ? "true" : "false");
    }
    if (st == ZR_OK) st = zr__buf_push(&b, '}');
  }
  if (st == ZR_OK) st = zr__buf_append(&b, "]}", 2);
  if (st == ZR_OK) st = zr_sink_write(json_out, b.data, b.len, err);
  free(head);
  zr__buf_free(&b);
  zr_doc_free(doc);
  return st;
}

const zr_format zr__format_npz = {
    "npz", ZR_FORMAT_ID_NPZ, "NumPy .npz archive (zip of .npy members; stored members aligned and zero-copy)",
    npz_detect, npz_decode_fmt, npz_encode_fmt, npz_inspect,
};
