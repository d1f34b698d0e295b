/* Compression for the serialization manager: whole-buffer compress, bounded decompress, frame
 * detection. Thin calls into libzstd, liblz4 (frame format) and zlib (gzip). When the codec module
 * (include/zerial/codec.h) is merged, these forward to it. */
#include <lz4frame.h>
#include <stdio.h>
#include <zlib.h>
#include <zstd.h>

#include "ctx/ctx_internal.h"

int zr__cg_available(const char *codec) {
  return codec && (!strcmp(codec, "none") || !strcmp(codec, "zstd") || !strcmp(codec, "lz4") || !strcmp(codec, "gzip"));
}

const char *zr__cg_detect(const uint8_t *d, size_t n) {
  if (n >= 4 && d[0] == 0x28 && d[1] == 0xB5 && d[2] == 0x2F && d[3] == 0xFD) return "zstd";
  if (n >= 4 && d[0] == 0x04 && d[1] == 0x22 && d[2] == 0x4D && d[3] == 0x18) return "lz4";
  if (n >= 3 && d[0] == 0x1F && d[1] == 0x8B && d[2] == 0x08) return "gzip";
  return NULL;
}

zr_status zr__cg_compress(const char *codec, int level, const uint8_t *in, size_t n, zr__buf *out, zr_error *err) {
  if (!strcmp(codec, "zstd")) {
    size_t bound = ZSTD_compressBound(n);
    ZR_TRY(zr__buf_reserve(out, bound) == ZR_OK ? ZR_OK : zr__err_nomem(err));
    size_t r = ZSTD_compress(out->data + out->len, bound, in, n, level ? level : 3);
    if (ZSTD_isError(r)) return zr__err(err, ZR_ERR_CODEC, -1, "zstd: %s", ZSTD_getErrorName(r));
    out->len += r;
    return ZR_OK;
  }
  if (!strcmp(codec, "lz4")) {
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.compressionLevel = level;
    prefs.frameInfo.contentSize = n;
    size_t bound = LZ4F_compressFrameBound(n, &prefs);
    ZR_TRY(zr__buf_reserve(out, bound) == ZR_OK ? ZR_OK : zr__err_nomem(err));
    size_t r = LZ4F_compressFrame(out->data + out->len, bound, in, n, &prefs);
    if (LZ4F_isError(r)) return zr__err(err, ZR_ERR_CODEC, -1, "lz4: %s", LZ4F_getErrorName(r));
    out->len += r;
    return ZR_OK;
  }
  if (!strcmp(codec, "gzip")) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level > 0 && level <= 9 ? level : 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return zr__err(err, ZR_ERR_CODEC, -1, "gzip: init failed");
    size_t bound = deflateBound(&zs, (uLong)n) + 32;
    if (zr__buf_reserve(out, bound) != ZR_OK) {
      deflateEnd(&zs);
      return zr__err_nomem(err);
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)bound;
    int r = deflate(&zs, Z_FINISH);
    size_t produced = bound - zs.avail_out;
    deflateEnd(&zs);
    if (r != Z_STREAM_END) return zr__err(err, ZR_ERR_CODEC, -1, "gzip: deflate failed (%d)", r);
    out->len += produced;
    return ZR_OK;
  }
  return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "unknown codec '%s'", codec);
}

static zr_status grow_out(zr__buf *out, uint64_t max_out, zr_error *err) {
  if (out->len >= max_out) return zr__err(err, ZR_ERR_LIMIT, -1, "decompressed size exceeds the limit of %llu bytes", (unsigned long long)max_out);
  size_t want = out->cap - out->len < 65536 ? (out->cap ? out->cap : 65536) : 0;
  if (want && out->len + want > max_out) want = (size_t)(max_out - out->len);
  if (want && zr__buf_grow(out, want) != ZR_OK) return zr__err_nomem(err);
  return ZR_OK;
}

zr_status zr__cg_decompress(const char *codec, const uint8_t *in, size_t n, uint64_t max_out, zr__buf *out,
                            zr_error *err) {
  if (!strcmp(codec, "zstd")) {
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds) return zr__err_nomem(err);
    ZSTD_initDStream(ds);
    ZSTD_inBuffer ib = {in, n, 0};
    zr_status st = ZR_OK;
    size_t r = 1;
    while (r != 0) {
      if ((st = grow_out(out, max_out, err)) != ZR_OK) break;
      size_t room = out->cap - out->len;
      if (out->len + room > max_out) room = (size_t)(max_out - out->len);
      ZSTD_outBuffer ob = {out->data + out->len, room, 0};
      size_t before = ib.pos;
      r = ZSTD_decompressStream(ds, &ob, &ib);
      if (ZSTD_isError(r)) {
        st = zr__err(err, ZR_ERR_CODEC, (int64_t)ib.pos, "zstd: %s", ZSTD_getErrorName(r));
        break;
      }
      out->len += ob.pos;
      if (r != 0 && ib.pos == ib.size && ob.pos == 0 && before == ib.pos) {
        st = zr__err(err, ZR_ERR_TRUNCATED, (int64_t)n, "zstd: frame is truncated");
        break;
      }
    }
    ZSTD_freeDStream(ds);
    return st;
  }
  if (!strcmp(codec, "lz4")) {
    LZ4F_dctx *dc;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dc, LZ4F_VERSION))) return zr__err_nomem(err);
    size_t pos = 0, r = 1;
    zr_status st = ZR_OK;
    while (r != 0) {
      if ((st = grow_out(out, max_out, err)) != ZR_OK) break;
      size_t room = out->cap - out->len;
      if (out->len + room > max_out) room = (size_t)(max_out - out->len);
      size_t src = n - pos, dst = room;
      r = LZ4F_decompress(dc, out->data + out->len, &dst, in + pos, &src, NULL);
      if (LZ4F_isError(r)) {
        st = zr__err(err, ZR_ERR_CODEC, (int64_t)pos, "lz4: %s", LZ4F_getErrorName(r));
        break;
      }
      pos += src;
      out->len += dst;
      if (r != 0 && pos == n && dst == 0 && src == 0) {
        st = zr__err(err, ZR_ERR_TRUNCATED, (int64_t)n, "lz4: frame is truncated");
        break;
      }
    }
    LZ4F_freeDecompressionContext(dc);
    return st;
  }
  if (!strcmp(codec, "gzip")) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return zr__err(err, ZR_ERR_CODEC, -1, "gzip: init failed");
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zr_status st = ZR_OK;
    for (;;) {
      if ((st = grow_out(out, max_out, err)) != ZR_OK) break;
      size_t room = out->cap - out->len;
      if (out->len + room > max_out) room = (size_t)(max_out - out->len);
      zs.next_out = out->data + out->len;
      zs.avail_out = (uInt)room;
      int r = inflate(&zs, Z_NO_FLUSH);
      out->len += room - zs.avail_out;
      if (r == Z_STREAM_END) break;
      if (r == Z_BUF_ERROR && zs.avail_in == 0) {
        st = zr__err(err, ZR_ERR_TRUNCATED, (int64_t)n, "gzip: stream is truncated");
        break;
      }
      if (r != Z_OK && r != Z_BUF_ERROR) {
        st = zr__err(err, ZR_ERR_CODEC, (int64_t)zs.total_in, "gzip: %s", zs.msg ? zs.msg : "inflate failed");
        break;
      }
    }
    inflateEnd(&zs);
    return st;
  }
  return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "unknown codec '%s'", codec);
}
