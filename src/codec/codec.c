/* Codec registry, one-shot compression/decompression and streaming decompression over liblz4
 * (frame format), libzstd and zlib/libdeflate. */
#include <stdlib.h>
#include <libdeflate.h>
#include <lz4frame.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "codec/codec_internal.h"

/* ------------------------------------------------------------------------------------------ */
/* Registry */

#define CAPS_ALL (ZR_CODEC_CAP_ONESHOT | ZR_CODEC_CAP_STREAM | ZR_CODEC_CAP_CHECKSUM | ZR_CODEC_CAP_DETECT)

static const zr_codec_info k_codecs[ZR_CODEC_COUNT] = {
    {ZR_CODEC_NONE, "none", 0, 0, 0, ZR_CODEC_CAP_ONESHOT, "stored"},
    {ZR_CODEC_LZ4, "lz4", 1, 12, 1, CAPS_ALL | ZR_CODEC_CAP_CONTENT_SIZE,
     "liblz4 frame format (levels 1-2 fast, 3-12 HC), content checksum on"},
    {ZR_CODEC_ZSTD, "zstd", -7, 22, 3, CAPS_ALL | ZR_CODEC_CAP_CONTENT_SIZE,
     "libzstd frame (negative levels: fast), checksum on"},
    {ZR_CODEC_GZIP, "gzip", 1, 12, 6, CAPS_ALL,
     "gzip member: libdeflate one-shot (levels 10-12 libdeflate only), zlib streaming; CRC-32"},
};

const zr_codec_info *zr_codec_info_get(int id) {
  if (id < 0 || id >= ZR_CODEC_COUNT) return NULL;
  return &k_codecs[id];
}

const zr_codec_info *zr_codec_by_name(const char *name) {
  if (!name) return NULL;
  for (int i = 0; i < ZR_CODEC_COUNT; i++)
    if (strcasecmp(name, k_codecs[i].name) == 0) return &k_codecs[i];
  return NULL;
}

const char *zr__codec_name(int id) {
  const zr_codec_info *ci = zr_codec_info_get(id);
  return ci ? ci->name : "unknown codec";
}

zr_codec_id zr_codec_detect(const void *data, size_t len) {
  const uint8_t *p = data;
  if (!p || len < 3) return ZR_CODEC_NONE;
  if (p[0] == 0x1f && p[1] == 0x8b && p[2] == 0x08) return ZR_CODEC_GZIP;
  if (len < 4) return ZR_CODEC_NONE;
  uint32_t m = zr__ld32le(p);
  if (m == 0xFD2FB528u) return ZR_CODEC_ZSTD;
  if (m == 0x184D2204u) return ZR_CODEC_LZ4;
  return ZR_CODEC_NONE;
}

zr_status zr_codec_level(int id, int level, int *resolved, zr_error *err) {
  const zr_codec_info *ci = zr_codec_info_get(id);
  if (!ci) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unknown codec id %d", id);
  if (level == 0) level = ci->default_level;
  if (id != ZR_CODEC_NONE && (level < ci->min_level || level > ci->max_level))
    return zr__err(err, ZR_ERR_RANGE, -1, "%s level %d is outside %d..%d", ci->name, level, ci->min_level,
                   ci->max_level);
  if (resolved) *resolved = level;
  return ZR_OK;
}

uint64_t zr__codec_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------------------------------ */
/* Compression */

static void lz4_prefs(LZ4F_preferences_t *p, int level, size_t len) {
  memset(p, 0, sizeof *p);
  p->frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  /* The smallest block size that holds the input: decoders allocate buffers of the declared
   * block size, so small frames must not declare 4 MiB blocks. */
  p->frameInfo.blockSizeID = len <= (64u << 10)    ? LZ4F_max64KB
                             : len <= (256u << 10) ? LZ4F_max256KB
                             : len <= (1u << 20)   ? LZ4F_max1MB
                                                   : LZ4F_max4MB;
  p->frameInfo.contentSize = len;
  p->autoFlush = 1; /* one update call: no internal staging buffer */
  p->compressionLevel = level;
}

size_t zr_codec_bound(int id, size_t len) {
  size_t b = 0;
  switch (id) {
    case ZR_CODEC_NONE:
      return len;
    case ZR_CODEC_LZ4: {
      LZ4F_preferences_t p;
      lz4_prefs(&p, 1, len);
      b = LZ4F_compressFrameBound(len, &p);
      break;
    }
    case ZR_CODEC_ZSTD:
      b = ZSTD_compressBound(len);
      if (ZSTD_isError(b)) return 0;
      break;
    case ZR_CODEC_GZIP:
      b = libdeflate_gzip_compress_bound(NULL, len);
      break;
    default:
      return 0;
  }
  return b < len ? 0 : b;
}

void zr__cctx_init(zr__cctx *c) {
  memset(c, 0, sizeof *c);
  c->zstd_level = INT32_MIN;
  c->deflate_level = -1;
}

void zr__cctx_free(zr__cctx *c) {
  if (c->zstd) ZSTD_freeCCtx(c->zstd);
  if (c->deflate) libdeflate_free_compressor(c->deflate);
  if (c->lz4) LZ4F_freeCompressionContext(c->lz4);
  zr__cctx_init(c);
}

static zr_status lz4_compress(zr__cctx *c, int level, const void *src, size_t len, void *dst, size_t cap,
                              size_t *out_len, zr_error *err) {
  LZ4F_preferences_t p;
  lz4_prefs(&p, level, len);
  if (!c->lz4) {
    LZ4F_cctx *cc = NULL;
    if (LZ4F_isError(LZ4F_createCompressionContext(&cc, LZ4F_VERSION)) || !cc) return zr__err_nomem(err);
    c->lz4 = cc;
  }
  size_t bound = LZ4F_compressFrameBound(len, &p);
  if (cap < bound) return zr__err(err, ZR_ERR_NOSPACE, -1, "lz4: output buffer too small");
  /* One frame through the reusable context: header, blocks, end mark + content checksum. */
  uint8_t *o = dst;
  size_t r = LZ4F_compressBegin(c->lz4, o, cap, &p);
  if (LZ4F_isError(r)) return zr__err(err, ZR_ERR_CODEC, -1, "lz4: %s", LZ4F_getErrorName(r));
  size_t pos = r;
  r = LZ4F_compressUpdate(c->lz4, o + pos, cap - pos, src, len, NULL);
  if (LZ4F_isError(r)) return zr__err(err, ZR_ERR_CODEC, -1, "lz4: %s", LZ4F_getErrorName(r));
  pos += r;
  r = LZ4F_compressEnd(c->lz4, o + pos, cap - pos, NULL);
  if (LZ4F_isError(r)) return zr__err(err, ZR_ERR_CODEC, -1, "lz4: %s", LZ4F_getErrorName(r));
  *out_len = pos + r;
  return ZR_OK;
}

static zr_status zstd_compress(zr__cctx *c, int level, const void *src, size_t len, void *dst, size_t cap,
                               size_t *out_len, zr_error *err) {
  if (!c->zstd) {
    c->zstd = ZSTD_createCCtx();
    if (!c->zstd) return zr__err_nomem(err);
    c->zstd_level = INT32_MIN;
  }
  if (c->zstd_level != level) {
    ZSTD_CCtx_reset(c->zstd, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(c->zstd, ZSTD_c_contentSizeFlag, 1);
    c->zstd_level = level;
  }
  size_t r = ZSTD_compress2(c->zstd, dst, cap, src, len);
  if (ZSTD_isError(r)) {
    ZSTD_CCtx_reset(c->zstd, ZSTD_reset_session_only);
    if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
      return zr__err(err, ZR_ERR_NOSPACE, -1, "zstd: output buffer too small");
    if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) return zr__err_nomem(err);
    return zr__err(err, ZR_ERR_CODEC, -1, "zstd: %s", ZSTD_getErrorName(r));
  }
  *out_len = r;
  return ZR_OK;
}

static zr_status gzip_compress(zr__cctx *c, int level, const void *src, size_t len, void *dst, size_t cap,
                               size_t *out_len, zr_error *err) {
  if (!c->deflate || c->deflate_level != level) {
    if (c->deflate) libdeflate_free_compressor(c->deflate);
    c->deflate = libdeflate_alloc_compressor(level);
    c->deflate_level = level;
    if (!c->deflate) return zr__err_nomem(err);
  }
  size_t r = libdeflate_gzip_compress(c->deflate, src, len, dst, cap);
  if (r == 0) return zr__err(err, ZR_ERR_NOSPACE, -1, "gzip: output buffer too small");
  *out_len = r;
  return ZR_OK;
}

zr_status zr__cctx_compress(zr__cctx *c, int id, int level, const void *src, size_t len, void *dst, size_t cap,
                            size_t *out_len, zr_error *err) {
  switch (id) {
    case ZR_CODEC_NONE:
      if (cap < len) return zr__err(err, ZR_ERR_NOSPACE, -1, "none: output buffer too small");
      if (len) memcpy(dst, src, len);
      *out_len = len;
      return ZR_OK;
    case ZR_CODEC_LZ4:
      return lz4_compress(c, level, src, len, dst, cap, out_len, err);
    case ZR_CODEC_ZSTD:
      return zstd_compress(c, level, src, len, dst, cap, out_len, err);
    case ZR_CODEC_GZIP:
      return gzip_compress(c, level, src, len, dst, cap, out_len, err);
    default:
      return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unknown codec id %d", id);
  }
}

static zr_status check_args(int id, int level, int *resolved, const void *src, size_t len, zr_error *err) {
  ZR_TRY(zr_codec_level(id, level, resolved, err));
  if (!src && len) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL input");
  return ZR_OK;
}

zr_status zr_codec_compress(int id, int level, const void *src, size_t len, void *dst, size_t cap, size_t *out_len,
                            zr_error *err) {
  int lv;
  ZR_TRY(check_args(id, level, &lv, src, len, err));
  if (!dst || !out_len) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL output");
  zr__cctx c;
  zr__cctx_init(&c);
  zr_status st;
  size_t bound = zr_codec_bound(id, len);
  if (id == ZR_CODEC_LZ4 && cap < bound) {
    /* liblz4 wants the whole bound: go through a temporary buffer. */
    uint8_t *tmp = malloc(bound ? bound : 1);
    if (!tmp) return zr__err_nomem(err);
    size_t n = 0;
    st = zr__cctx_compress(&c, id, lv, src, len, tmp, bound, &n, err);
    if (st == ZR_OK) {
      if (n > cap)
        st = zr__err(err, ZR_ERR_NOSPACE, -1, "lz4: output buffer too small (%zu bytes needed)", n);
      else {
        memcpy(dst, tmp, n);
        *out_len = n;
      }
    }
    free(tmp);
  } else {
    st = zr__cctx_compress(&c, id, lv, src, len, dst, cap, out_len, err);
  }
  zr__cctx_free(&c);
  return st;
}

zr_status zr_codec_compress_sink(int id, int level, const void *src, size_t len, zr_sink *sink, size_t *out_len,
                                 zr_error *err) {
  int lv;
  ZR_TRY(check_args(id, level, &lv, src, len, err));
  if (!sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL sink");
  size_t bound = zr_codec_bound(id, len);
  if (!bound && len) return zr__err(err, ZR_ERR_OVERFLOW, -1, "input too large");
  zr__cctx c;
  zr__cctx_init(&c);
  zr_status st;
  size_t n = 0;
  if (zr_sink_can_reserve(sink)) {
    void *p = NULL;
    st = zr_sink_reserve(sink, bound, &p, err);
    if (st == ZR_OK) st = zr__cctx_compress(&c, id, lv, src, len, p, bound, &n, err);
    if (st == ZR_OK) st = zr_sink_commit(sink, n, err);
    else (void)zr_sink_commit(sink, 0, NULL);
  } else {
    uint8_t *tmp = malloc(bound ? bound : 1);
    if (!tmp) {
      zr__cctx_free(&c);
      return zr__err_nomem(err);
    }
    st = zr__cctx_compress(&c, id, lv, src, len, tmp, bound, &n, err);
    if (st == ZR_OK) st = zr_sink_write(sink, tmp, n, err);
    free(tmp);
  }
  zr__cctx_free(&c);
  if (st == ZR_OK && out_len) *out_len = n;
  return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Streaming decompression engine */

struct zr_codec_dstream {
  int id;                /* codec; ZR_CODEC_DETECT while detecting */
  uint64_t max_out;
  uint64_t total_in, total_out;
  zr_status sticky;
  zr_error sticky_err;
  int in_frame;          /* inside a frame (not on a boundary) */
  uint64_t frames;       /* frames completed */
  LZ4F_dctx *lz4;
  ZSTD_DCtx *zstd;
  z_stream z;
  int z_init;
  uint8_t stash[4];      /* first bytes while detecting */
  size_t stash_len, stash_pos;
  const zr_allocator *alloc;
};

static zr_status ds_fail(zr_codec_dstream *ds, zr_error *err, zr_status code, int64_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static zr_status ds_fail(zr_codec_dstream *ds, zr_error *err, zr_status code, int64_t off, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  zr__errv(&ds->sticky_err, code, off, fmt, ap);
  va_end(ap);
  ds->sticky = code;
  if (err) *err = ds->sticky_err;
  return code;
}

static zr_status ds_setup(zr_codec_dstream *ds, zr_error *err) {
  switch (ds->id) {
    case ZR_CODEC_LZ4:
      if (LZ4F_isError(LZ4F_createDecompressionContext(&ds->lz4, LZ4F_VERSION)) || !ds->lz4)
        return ds_fail(ds, err, ZR_ERR_NOMEM, -1, "lz4: out of memory");
      return ZR_OK;
    case ZR_CODEC_ZSTD:
      ds->zstd = ZSTD_createDCtx();
      if (!ds->zstd) return ds_fail(ds, err, ZR_ERR_NOMEM, -1, "zstd: out of memory");
      /* the window is allocated from the frame header alone (11 bytes can ask for 128 MiB): allow
       * what the output limit needs, at least 8 MiB (every level up to 19 fits) and at most
       * 128 MiB (the zstd default); larger windows are refused (ZR_ERR_LIMIT), not allocated */
      {
        int wlog = 23;
        while (wlog < 27 && (UINT64_C(1) << wlog) < ds->max_out) wlog++;
        ZSTD_DCtx_setParameter(ds->zstd, ZSTD_d_windowLogMax, wlog);
      }
      return ZR_OK;
    case ZR_CODEC_GZIP:
      memset(&ds->z, 0, sizeof ds->z);
      if (inflateInit2(&ds->z, 16 + 15) != Z_OK) return ds_fail(ds, err, ZR_ERR_NOMEM, -1, "gzip: out of memory");
      ds->z_init = 1;
      return ZR_OK;
    case ZR_CODEC_NONE:
      return ZR_OK;
    default:
      return ds_fail(ds, err, ZR_ERR_INVALID_ARG, -1, "unknown codec id %d", ds->id);
  }
}

zr_status zr_codec_dstream_new(int id, uint64_t max_output, const zr_allocator *alloc, zr_codec_dstream **out,
                               zr_error *err) {
  if (!out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL output");
  *out = NULL;
  if (id != ZR_CODEC_DETECT && !zr_codec_info_get(id)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unknown codec id %d", id);
  alloc = zr__alloc_or_default(alloc);
  zr_codec_dstream *ds = zr__malloc(alloc, sizeof *ds);
  if (!ds) return zr__err_nomem(err);
  memset(ds, 0, sizeof *ds);
  ds->alloc = alloc;
  ds->id = id;
  ds->max_out = max_output ? max_output : ZR_DEFAULT_MAX_BYTES;
  zr_error_clear(&ds->sticky_err);
  if (id != ZR_CODEC_DETECT) {
    zr_status st = ds_setup(ds, err);
    if (st != ZR_OK) {
      zr_codec_dstream_free(ds);
      return st;
    }
  }
  *out = ds;
  return ZR_OK;
}

void zr_codec_dstream_free(zr_codec_dstream *ds) {
  if (!ds) return;
  if (ds->lz4) LZ4F_freeDecompressionContext(ds->lz4);
  if (ds->zstd) ZSTD_freeDCtx(ds->zstd);
  if (ds->z_init) inflateEnd(&ds->z);
  zr__free(ds->alloc, ds);
}

zr_codec_id zr_codec_dstream_codec(const zr_codec_dstream *ds) {
  return (ds && ds->id >= 0) ? (zr_codec_id)ds->id : ZR_CODEC_NONE;
}
uint64_t zr_codec_dstream_total_out(const zr_codec_dstream *ds) { return ds ? ds->total_out : 0; }

static zr_status lz4_error(zr_codec_dstream *ds, zr_error *err, size_t code, int64_t off) {
  const char *name = LZ4F_getErrorName(code);
  zr_status st = ZR_ERR_MALFORMED;
  if (strstr(name, "hecksum")) st = ZR_ERR_CHECKSUM;
  else if (strstr(name, "allocation")) st = ZR_ERR_NOMEM;
  else if (strstr(name, "frameType_unknown")) return ds_fail(ds, err, st, off, "lz4: not an LZ4 frame at byte %lld", (long long)off);
  return ds_fail(ds, err, st, off, "lz4: corrupt frame at byte %lld (%s)", (long long)off, name);
}

static zr_status zstd_error(zr_codec_dstream *ds, zr_error *err, size_t code, int64_t off) {
  zr_status st = ZR_ERR_MALFORMED;
  switch (ZSTD_getErrorCode(code)) {
    case ZSTD_error_checksum_wrong: st = ZR_ERR_CHECKSUM; break;
    case ZSTD_error_memory_allocation: st = ZR_ERR_NOMEM; break;
    case ZSTD_error_frameParameter_windowTooLarge: st = ZR_ERR_LIMIT; break;
    case ZSTD_error_prefix_unknown:
      return ds_fail(ds, err, st, off, "zstd: not a Zstandard frame at byte %lld", (long long)off);
    default: break;
  }
  return ds_fail(ds, err, st, off, "zstd: corrupt frame at byte %lld (%s)", (long long)off, ZSTD_getErrorName(code));
}

/* One decoding step: consume from in, produce into out. Sets *used, *made; maintains in_frame. */
static zr_status ds_step(zr_codec_dstream *ds, const uint8_t *in, size_t in_len, size_t *used, uint8_t *out,
                         size_t out_cap, size_t *made, zr_error *err) {
  *used = *made = 0;
  switch (ds->id) {
    case ZR_CODEC_NONE: {
      size_t n = in_len < out_cap ? in_len : out_cap;
      if (n) memcpy(out, in, n);
      *used = *made = n;
      return ZR_OK;
    }
    case ZR_CODEC_LZ4: {
      size_t dn = out_cap, sn = in_len;
      size_t r = LZ4F_decompress(ds->lz4, out, &dn, in, &sn, NULL);
      if (LZ4F_isError(r)) return lz4_error(ds, err, r, (int64_t)(ds->total_in + sn));
      *used = sn;
      *made = dn;
      if (sn || dn) ds->in_frame = 1;
      if (r == 0 && ds->in_frame) {
        ds->in_frame = 0;
        ds->frames++;
      }
      return ZR_OK;
    }
    case ZR_CODEC_ZSTD: {
      ZSTD_inBuffer ib = {in, in_len, 0};
      ZSTD_outBuffer ob = {out, out_cap, 0};
      size_t r = ZSTD_decompressStream(ds->zstd, &ob, &ib);
      if (ZSTD_isError(r)) {
        ZSTD_DCtx_reset(ds->zstd, ZSTD_reset_session_only);
        return zstd_error(ds, err, r, (int64_t)(ds->total_in + ib.pos));
      }
      *used = ib.pos;
      *made = ob.pos;
      if (ib.pos || ob.pos) ds->in_frame = 1;
      if (r == 0 && ds->in_frame) {
        ds->in_frame = 0;
        ds->frames++;
      }
      return ZR_OK;
    }
    case ZR_CODEC_GZIP: {
      if (!ds->in_frame && in_len == 0) return ZR_OK;
      ds->z.next_in = (Bytef *)(uintptr_t)in;
      ds->z.avail_in = (uInt)(in_len > UINT32_MAX ? UINT32_MAX : in_len);
      ds->z.next_out = out;
      ds->z.avail_out = (uInt)(out_cap > UINT32_MAX ? UINT32_MAX : out_cap);
      uInt ai = ds->z.avail_in, ao = ds->z.avail_out;
      int r = inflate(&ds->z, Z_NO_FLUSH);
      *used = ai - ds->z.avail_in;
      *made = ao - ds->z.avail_out;
      if (*used || *made) ds->in_frame = 1;
      if (r == Z_STREAM_END) {
        ds->in_frame = 0;
        ds->frames++;
        inflateReset(&ds->z);
        return ZR_OK;
      }
      if (r == Z_OK || r == Z_BUF_ERROR) return ZR_OK;
      int64_t off = (int64_t)(ds->total_in + *used);
      if (r == Z_MEM_ERROR) return ds_fail(ds, err, ZR_ERR_NOMEM, off, "gzip: out of memory");
      const char *msg = ds->z.msg ? ds->z.msg : "invalid data";
      zr_status st = strstr(msg, "check") ? ZR_ERR_CHECKSUM : ZR_ERR_MALFORMED;
      if (strstr(msg, "header")) return ds_fail(ds, err, ZR_ERR_MALFORMED, off, "gzip: not a gzip member at byte %lld (%s)", (long long)off, msg);
      return ds_fail(ds, err, st, off, "gzip: corrupt data at byte %lld (%s)", (long long)off, msg);
    }
    default:
      return ds_fail(ds, err, ZR_ERR_INVALID_ARG, -1, "unknown codec id %d", ds->id);
  }
}

zr_status zr_codec_dstream_run(zr_codec_dstream *ds, const void *in, size_t in_len, size_t *in_used, void *out,
                               size_t out_cap, size_t *out_len, zr_error *err) {
  size_t used_dummy, len_dummy;
  if (!in_used) in_used = &used_dummy;
  if (!out_len) out_len = &len_dummy;
  *in_used = *out_len = 0;
  if (!ds) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL stream");
  if (ds->sticky) {
    if (err) *err = ds->sticky_err;
    return ds->sticky;
  }
  const uint8_t *ip = in;
  uint8_t *op = out;
  size_t ipos = 0, opos = 0;
  if (ds->id == ZR_CODEC_DETECT) {
    while (ds->stash_len < 4 && ipos < in_len) ds->stash[ds->stash_len++] = ip[ipos++];
    *in_used = ipos;
    if (ds->stash_len < 4) return ZR_OK;
    int id = zr_codec_detect(ds->stash, 4);
    if (id == ZR_CODEC_NONE)
      return ds_fail(ds, err, ZR_ERR_FORMAT, 0, "no compressed frame recognised (no zstd, LZ4 or gzip magic)");
    ds->id = id;
    ZR_TRY(ds_setup(ds, err));
  }
  for (;;) {
    /* feed stashed detection bytes first */
    int from_stash = ds->stash_pos < ds->stash_len;
    const uint8_t *src = from_stash ? ds->stash + ds->stash_pos : ip + ipos;
    size_t src_len = from_stash ? ds->stash_len - ds->stash_pos : in_len - ipos;
    /* enforce the output limit: allow one byte past it so that overflow is seen */
    uint64_t room = ds->max_out - ds->total_out + 1;
    size_t cap = out_cap - opos;
    if ((uint64_t)cap > room) cap = (size_t)room;
    size_t u = 0, m = 0;
    zr_status st = ds_step(ds, src, src_len, &u, op ? op + opos : NULL, cap, &m, err);
    if (st != ZR_OK) return st;
    if (from_stash) ds->stash_pos += u;
    else ipos += u;
    opos += m;
    ds->total_in += u;
    ds->total_out += m;
    *in_used = ipos;
    *out_len = opos;
    if (ds->total_out > ds->max_out)
      return ds_fail(ds, err, ZR_ERR_LIMIT, (int64_t)ds->total_in,
                     "%s: output exceeds the limit of %llu bytes (decompression bomb?)", zr__codec_name(ds->id),
                     (unsigned long long)ds->max_out);
    if (u == 0 && m == 0) break;
    if (opos == out_cap) break;
  }
  return ZR_OK;
}

zr_status zr_codec_dstream_end(zr_codec_dstream *ds, zr_error *err) {
  if (!ds) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL stream");
  if (ds->sticky) {
    if (err) *err = ds->sticky_err;
    return ds->sticky;
  }
  if (ds->id == ZR_CODEC_NONE) return ZR_OK;
  if (ds->id == ZR_CODEC_DETECT)
    return ds_fail(ds, err, ZR_ERR_TRUNCATED, (int64_t)ds->stash_len, "compressed input ends before its magic number");
  if (ds->in_frame || ds->frames == 0)
    return ds_fail(ds, err, ZR_ERR_TRUNCATED, (int64_t)ds->total_in, "%s: input truncated at byte %llu (frame incomplete)",
                   zr__codec_name(ds->id), (unsigned long long)ds->total_in);
  return ZR_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* One-shot decompression */

static zr_status resolve_id(int id, const void *src, size_t len, int *out, zr_error *err) {
  if (!src && len) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL input");
  if (id == ZR_CODEC_DETECT) {
    id = zr_codec_detect(src, len);
    if (id == ZR_CODEC_NONE) {
      if (len < 4) return zr__err(err, ZR_ERR_TRUNCATED, 0, "compressed input of %zu bytes is too short", len);
      return zr__err(err, ZR_ERR_FORMAT, 0, "no compressed frame recognised (no zstd, LZ4 or gzip magic)");
    }
  } else if (!zr_codec_info_get(id)) {
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unknown codec id %d", id);
  }
  *out = id;
  return ZR_OK;
}

/* Decompress everything with the streaming engine into dst (cap); LIMIT when it does not fit. */
static zr_status stream_into(int id, const uint8_t *src, size_t len, uint8_t *dst, size_t cap, uint64_t limit,
                             size_t *out_len, zr_error *err) {
  zr_codec_dstream *ds = NULL;
  ZR_TRY(zr_codec_dstream_new(id, limit, NULL, &ds, err));
  size_t used = 0, made = 0;
  zr_status st = zr_codec_dstream_run(ds, src, len, &used, dst, cap, &made, err);
  if (st == ZR_OK && made == cap && (used < len || ds->in_frame)) {
    /* output full with work left: does the data produce more? probe with one byte of scratch */
    uint8_t probe[1];
    size_t u2 = 0, m2 = 0;
    st = zr_codec_dstream_run(ds, src + used, len - used, &u2, probe, 1, &m2, err);
    if (st == ZR_OK && m2)
      st = zr__err(err, ZR_ERR_LIMIT, (int64_t)(used + u2), "%s: output exceeds the buffer of %zu bytes",
                   zr__codec_name(id), cap);
    used += u2;
  }
  if (st == ZR_OK && used < len)
    st = zr__err(err, ZR_ERR_MALFORMED, (int64_t)used, "%s: decoder stopped at byte %zu of %zu", zr__codec_name(id),
                 used, len);
  if (st == ZR_OK) st = zr_codec_dstream_end(ds, err);
  zr_codec_dstream_free(ds);
  if (st == ZR_OK) *out_len = made;
  return st;
}

/* gzip through libdeflate (fast path); on any failure the caller falls back to zlib for a precise
 * diagnostic. Handles concatenated members. */
static int gzip_libdeflate(struct libdeflate_decompressor *d, const uint8_t *src, size_t len, uint8_t *dst, size_t cap,
                           size_t *out_len) {
  size_t ipos = 0, opos = 0;
  do {
    size_t in_used = 0, got = 0;
    enum libdeflate_result r =
        libdeflate_gzip_decompress_ex(d, src + ipos, len - ipos, dst + opos, cap - opos, &in_used, &got);
    if (r != LIBDEFLATE_SUCCESS) return -1;
    ipos += in_used;
    opos += got;
  } while (ipos < len);
  *out_len = opos;
  return 0;
}

zr_status zr_codec_decompress(int id, const void *src, size_t len, void *dst, size_t cap, size_t *out_len,
                              zr_error *err) {
  ZR_TRY(resolve_id(id, src, len, &id, err));
  if (!out_len || (!dst && cap)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL output");
  if (id == ZR_CODEC_NONE) {
    if (len > cap) return zr__err(err, ZR_ERR_LIMIT, (int64_t)cap, "none: %zu bytes exceed the buffer of %zu", len, cap);
    if (len) memcpy(dst, src, len);
    *out_len = len;
    return ZR_OK;
  }
  if (id == ZR_CODEC_GZIP && cap) {
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (!d) return zr__err_nomem(err);
    int r = gzip_libdeflate(d, src, len, dst, cap, out_len);
    libdeflate_free_decompressor(d);
    if (r == 0) return ZR_OK;
  }
  uint8_t dummy;
  return stream_into(id, src, len, dst ? dst : &dummy, cap, (uint64_t)cap, out_len, err);
}

zr_status zr_codec_content_size(int id, const void *src, size_t len, uint64_t *size, zr_error *err) {
  ZR_TRY(resolve_id(id, src, len, &id, err));
  const uint8_t *p = src;
  switch (id) {
    case ZR_CODEC_ZSTD: {
      unsigned long long s = ZSTD_getFrameContentSize(src, len);
      if (s == ZSTD_CONTENTSIZE_UNKNOWN) return zr__err(err, ZR_ERR_NOT_FOUND, 0, "zstd: frame has no content size");
      if (s == ZSTD_CONTENTSIZE_ERROR) {
        if (len < 18) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "zstd: frame header truncated");
        return zr__err(err, ZR_ERR_MALFORMED, 0, "zstd: bad frame header");
      }
      *size = s;
      return ZR_OK;
    }
    case ZR_CODEC_LZ4: {
      if (len < 7) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "lz4: frame header truncated");
      if (zr__ld32le(p) != 0x184D2204u) return zr__err(err, ZR_ERR_MALFORMED, 0, "lz4: not an LZ4 frame");
      uint8_t flg = p[4];
      if ((flg >> 6) != 1) return zr__err(err, ZR_ERR_MALFORMED, 4, "lz4: unsupported frame version");
      if (!(flg & 0x08)) return zr__err(err, ZR_ERR_NOT_FOUND, 4, "lz4: frame has no content size");
      if (len < 14) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "lz4: frame header truncated");
      *size = zr__ld64le(p + 6);
      return ZR_OK;
    }
    default:
      return zr__err(err, ZR_ERR_NOT_FOUND, 0, "%s: no content size in the header", zr__codec_name(id));
  }
}

zr_status zr_codec_decompress_alloc(int id, const void *src, size_t len, uint64_t max_output, const zr_allocator *alloc,
                                    uint8_t **out, size_t *out_len, zr_error *err) {
  if (!out || !out_len) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL output");
  *out = NULL;
  *out_len = 0;
  ZR_TRY(resolve_id(id, src, len, &id, err));
  alloc = zr__alloc_or_default(alloc);
  uint64_t limit = max_output ? max_output : ZR_DEFAULT_MAX_BYTES;
  if (limit > SIZE_MAX / 2) limit = SIZE_MAX / 2;
  const uint8_t *s = src;

  /* Size hint: the frame's content size, gzip's ISIZE, or a multiple of the input. */
  uint64_t hint = 0;
  int exact = 0;
  if (id == ZR_CODEC_NONE) {
    hint = len;
    exact = 1;
  } else if (id == ZR_CODEC_GZIP) {
    if (len >= 18) hint = zr__ld32le(s + len - 4);
  } else {
    zr_error e2;
    uint64_t cs;
    if (zr_codec_content_size(id, src, len, &cs, &e2) == ZR_OK) {
      hint = cs;
      exact = 1;
    }
  }
  if (exact && hint > limit)
    return zr__err(err, ZR_ERR_LIMIT, 0, "%s: frame declares %llu bytes, over the limit of %llu", zr__codec_name(id),
                   (unsigned long long)hint, (unsigned long long)limit);
  if (hint > limit) hint = limit;
  if (!exact && hint < 65536) hint = len < 16384 ? 65536 : (uint64_t)len * 4;
  /* Header fields are only hints from possibly hostile input: the first allocation never exceeds
   * what DEFLATE's maximal ratio (about 1032:1) could produce from len bytes; beyond, the buffer
   * grows as real output arrives. */
  uint64_t plausible = (uint64_t)len * 1100 + (1u << 20);
  if (hint > plausible) hint = plausible;
  if (hint > limit) hint = limit;

  size_t cap = (size_t)hint;
  uint8_t *buf = zr__malloc(alloc, cap);
  if (!buf) return zr__err_nomem(err);

  zr_status st = ZR_OK;
  size_t total = 0;
  if (id == ZR_CODEC_NONE) {
    if (len) memcpy(buf, src, len);
    total = len;
  } else {
    if (id == ZR_CODEC_GZIP && hint) {
      struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
      if (!d) {
        zr__free(alloc, buf);
        return zr__err_nomem(err);
      }
      int r = gzip_libdeflate(d, src, len, buf, cap, &total);
      libdeflate_free_decompressor(d);
      if (r == 0) goto done;
      total = 0;
    }
    zr_codec_dstream *ds = NULL;
    st = zr_codec_dstream_new(id, limit, NULL, &ds, err);
    size_t ipos = 0;
    while (st == ZR_OK) {
      size_t u = 0, m = 0;
      st = zr_codec_dstream_run(ds, s + ipos, len - ipos, &u, buf + total, cap - total, &m, err);
      if (st != ZR_OK) break;
      ipos += u;
      total += m;
      if (total == cap) {
        /* grow (the stream itself enforces the limit) */
        size_t ncap = cap < ((size_t)1 << 20) ? ((size_t)1 << 20) : cap * 2;
        if (ncap > (size_t)limit + 1) ncap = (size_t)limit + 1;
        if (ncap <= cap) ncap = cap + 1;
        uint8_t *nb = zr__realloc(alloc, buf, ncap);
        if (!nb) {
          st = zr__err_nomem(err);
          break;
        }
        buf = nb;
        cap = ncap;
        continue;
      }
      if (u == 0 && m == 0) break;
      if (ipos == len && m == 0) break;
    }
    if (st == ZR_OK && ipos < len)
      st = zr__err(err, ZR_ERR_MALFORMED, (int64_t)ipos, "%s: decoder stopped at byte %zu of %zu", zr__codec_name(id), ipos, len);
    if (st == ZR_OK) st = zr_codec_dstream_end(ds, err);
    zr_codec_dstream_free(ds);
  }
done:
  if (st != ZR_OK) {
    zr__free(alloc, buf);
    return st;
  }
  if (total < cap && cap - total > 4096) {
    uint8_t *nb = zr__realloc(alloc, buf, total);
    if (nb) buf = nb;
  }
  *out = buf;
  *out_len = total;
  return ZR_OK;
}

zr_status zr_codec_decompress_sink(int id, const void *src, size_t len, uint64_t max_output, zr_sink *sink,
                                   zr_error *err) {
  if (!sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL sink");
  uint8_t *buf = NULL;
  size_t n = 0;
  ZR_TRY(zr_codec_decompress_alloc(id, src, len, max_output, NULL, &buf, &n, err));
  zr_status st = zr_sink_write(sink, buf, n, err);
  free(buf);
  return st;
}

zr_status zr_codec_decompress_stream(int id, zr_source *src, uint64_t max_output, zr_sink *sink, zr_error *err) {
  if (!src || !sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL source or sink");
  zr_codec_dstream *ds = NULL;
  ZR_TRY(zr_codec_dstream_new(id, max_output, NULL, &ds, err));
  enum { IN = 1 << 16, OUT = 1 << 18 };
  uint8_t *ib = malloc(IN), *ob = malloc(OUT);
  zr_status st = (ib && ob) ? ZR_OK : zr__err_nomem(err);
  while (st == ZR_OK) {
    size_t got = 0;
    st = zr_source_read(src, ib, IN, &got, err);
    if (st != ZR_OK) break;
    size_t pos = 0;
    int eof = got == 0;
    do {
      size_t u = 0, m = 0;
      st = zr_codec_dstream_run(ds, ib + pos, got - pos, &u, ob, OUT, &m, err);
      if (st != ZR_OK) break;
      pos += u;
      if (m) st = zr_sink_write(sink, ob, m, err);
      if (st != ZR_OK) break;
      if (u == 0 && m == 0) {
        if (pos < got)
          st = zr__err(err, ZR_ERR_MALFORMED, (int64_t)zr_codec_dstream_total_out(ds), "%s: decoder made no progress",
                       zr__codec_name(zr_codec_dstream_codec(ds)));
        break;
      }
    } while (pos < got || eof);
    if (eof || st != ZR_OK) break;
  }
  if (st == ZR_OK) st = zr_codec_dstream_end(ds, err);
  free(ib);
  free(ob);
  zr_codec_dstream_free(ds);
  return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Reusable decompression contexts (block container) */

void zr__dctx_init(zr__dctx *d) { memset(d, 0, sizeof *d); }
void zr__dctx_free(zr__dctx *d) {
  if (d->zstd) ZSTD_freeDCtx(d->zstd);
  if (d->lz4) LZ4F_freeDecompressionContext(d->lz4);
  if (d->deflate) libdeflate_free_decompressor(d->deflate);
  zr__dctx_init(d);
}

zr_status zr__dctx_decompress_exact(zr__dctx *d, int id, const void *src, size_t len, void *dst, size_t expect,
                                    int64_t base, zr_error *err) {
  const uint8_t *s = src;
  switch (id) {
    case ZR_CODEC_NONE:
      if (len != expect) return zr__err(err, ZR_ERR_MALFORMED, base, "none: %zu bytes stored, %zu expected", len, expect);
      if (len) memcpy(dst, src, len);
      return ZR_OK;
    case ZR_CODEC_ZSTD: {
      if (!d->zstd && !(d->zstd = ZSTD_createDCtx())) return zr__err_nomem(err);
      unsigned long long cs = ZSTD_getFrameContentSize(src, len);
      if (cs != ZSTD_CONTENTSIZE_UNKNOWN && cs != ZSTD_CONTENTSIZE_ERROR && cs != expect)
        return zr__err(err, ZR_ERR_MALFORMED, base, "zstd: frame declares %llu bytes, %zu expected", cs, expect);
      size_t r = ZSTD_decompressDCtx(d->zstd, dst, expect, src, len);
      if (ZSTD_isError(r)) {
        zr_status st = ZSTD_getErrorCode(r) == ZSTD_error_checksum_wrong ? ZR_ERR_CHECKSUM : ZR_ERR_MALFORMED;
        return zr__err(err, st, base, "zstd: corrupt frame at byte %lld (%s)", (long long)base, ZSTD_getErrorName(r));
      }
      if (r != expect) return zr__err(err, ZR_ERR_MALFORMED, base, "zstd: %zu bytes decoded, %zu expected", r, expect);
      return ZR_OK;
    }
    case ZR_CODEC_LZ4: {
      if (!d->lz4 && LZ4F_isError(LZ4F_createDecompressionContext((LZ4F_dctx **)&d->lz4, LZ4F_VERSION)))
        return zr__err_nomem(err);
      LZ4F_resetDecompressionContext(d->lz4);
      size_t ipos = 0, opos = 0;
      size_t r = 1;
      while (ipos < len) {
        size_t dn = expect - opos, sn = len - ipos;
        r = LZ4F_decompress(d->lz4, (uint8_t *)dst + opos, &dn, s + ipos, &sn, NULL);
        if (LZ4F_isError(r)) {
          const char *nm = LZ4F_getErrorName(r);
          LZ4F_resetDecompressionContext(d->lz4);
          return zr__err(err, strstr(nm, "hecksum") ? ZR_ERR_CHECKSUM : ZR_ERR_MALFORMED, base + (int64_t)(ipos + sn),
                         "lz4: corrupt frame at byte %lld (%s)", (long long)(base + (int64_t)(ipos + sn)), nm);
        }
        ipos += sn;
        opos += dn;
        if (r == 0) break;
        if (sn == 0 && dn == 0) break;
      }
      if (r != 0) {
        LZ4F_resetDecompressionContext(d->lz4);
        return zr__err(err, opos >= expect ? ZR_ERR_MALFORMED : ZR_ERR_TRUNCATED, base + (int64_t)ipos,
                       "lz4: frame incomplete at byte %lld", (long long)(base + (int64_t)ipos));
      }
      if (ipos != len || opos != expect)
        return zr__err(err, ZR_ERR_MALFORMED, base + (int64_t)ipos, "lz4: %zu bytes decoded, %zu expected", opos, expect);
      return ZR_OK;
    }
    case ZR_CODEC_GZIP: {
      if (!d->deflate && !(d->deflate = libdeflate_alloc_decompressor())) return zr__err_nomem(err);
      size_t in_used = 0, got = 0;
      enum libdeflate_result r = libdeflate_gzip_decompress_ex(d->deflate, src, len, dst, expect, &in_used, &got);
      if (r == LIBDEFLATE_SUCCESS && in_used == len && got == expect) return ZR_OK;
      /* precise diagnostic through zlib */
      size_t n = 0;
      zr_status st = stream_into(ZR_CODEC_GZIP, s, len, dst, expect, expect, &n, err);
      /* offsets relative to the frame here, shifted by base below (once) */
      if (st == ZR_OK && n != expect)
        st = zr__err(err, ZR_ERR_MALFORMED, 0, "gzip: %zu bytes decoded, %zu expected", n, expect);
      if (st != ZR_OK && err && err->offset >= 0) err->offset += base;
      return st == ZR_OK ? zr__err(err, ZR_ERR_MALFORMED, base, "gzip: corrupt member") : st;
    }
    default:
      return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unknown codec id %d", id);
  }
}
