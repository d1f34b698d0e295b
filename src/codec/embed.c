/* Helpers for formats that embed compressed buffers: Arrow IPC body buffers, npz (raw DEFLATE). */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "codec/codec_internal.h"

uint32_t zr_crc32(uint32_t crc, const void *data, size_t len) { return libdeflate_crc32(crc, data, len); }

zr_status zr_codec_arrow_compress(int id, int level, const void *src, size_t len, zr_sink *sink, size_t *out_len,
                                  zr_error *err) {
  if (id != ZR_CODEC_LZ4 && id != ZR_CODEC_ZSTD)
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "Arrow IPC compresses buffers with lz4 or zstd only, not %s",
                   zr__codec_name(id));
  if (!sink || (!src && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL input or sink");
  int lv;
  ZR_TRY(zr_codec_level(id, level, &lv, err));
  size_t bound = zr_codec_bound(id, len);
  uint8_t *buf = malloc(8 + bound);
  if (!buf) return zr__err_nomem(err);
  zr__cctx c;
  zr__cctx_init(&c);
  size_t n = 0;
  zr_status st = zr__cctx_compress(&c, id, lv, src, len, buf + 8, bound, &n, err);
  zr__cctx_free(&c);
  size_t total = 0;
  if (st == ZR_OK) {
    if (n < len) {
      zr__st64le(buf, (uint64_t)len);
      total = 8 + n;
      st = zr_sink_write(sink, buf, total, err);
    } else { /* not worth it: length -1, raw bytes */
      zr__st64le(buf, UINT64_MAX);
      st = zr_sink_write(sink, buf, 8, err);
      if (st == ZR_OK) st = zr_sink_write(sink, src, len, err);
      total = 8 + len;
    }
  }
  free(buf);
  if (st == ZR_OK && out_len) *out_len = total;
  return st;
}

zr_status zr_codec_arrow_decompress(int id, const void *src, size_t len, uint64_t max_output, const zr_allocator *alloc,
                                    const uint8_t **out, size_t *out_len, int *owned, zr_error *err) {
  if (!out || !out_len || !owned || (!src && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  *out = NULL;
  *out_len = 0;
  *owned = 0;
  if (id != ZR_CODEC_LZ4 && id != ZR_CODEC_ZSTD)
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "Arrow IPC buffer codec must be lz4 or zstd");
  const uint8_t *p = src;
  if (len == 0) {
    *out = p;
    return ZR_OK;
  }
  if (len < 8) return zr__err(err, ZR_ERR_TRUNCATED, 0, "%s: Arrow buffer of %zu bytes lacks its length prefix", zr__codec_name(id), len);
  int64_t ulen = (int64_t)zr__ld64le(p);
  if (ulen == -1) {
    *out = p + 8;
    *out_len = len - 8;
    return ZR_OK;
  }
  uint64_t limit = max_output ? max_output : ZR_DEFAULT_MAX_BYTES;
  if (ulen < 0) return zr__err(err, ZR_ERR_MALFORMED, 0, "%s: Arrow buffer length %lld is negative", zr__codec_name(id), (long long)ulen);
  if ((uint64_t)ulen > limit)
    return zr__err(err, ZR_ERR_LIMIT, 0, "%s: Arrow buffer declares %lld bytes, over the limit of %llu", zr__codec_name(id),
                   (long long)ulen, (unsigned long long)limit);
  /* a hostile length cannot make us allocate much more than the frame could produce */
  if ((uint64_t)ulen > (uint64_t)len * 40000 + 65536)
    return zr__err(err, ZR_ERR_MALFORMED, 0, "%s: Arrow buffer declares %lld bytes from %zu compressed", zr__codec_name(id),
                   (long long)ulen, len);
  alloc = zr__alloc_or_default(alloc);
  uint8_t *buf = zr__malloc(alloc, (size_t)ulen);
  if (!buf) return zr__err_nomem(err);
  zr__dctx d;
  zr__dctx_init(&d);
  zr_status st = zr__dctx_decompress_exact(&d, id, p + 8, len - 8, buf, (size_t)ulen, 8, err);
  zr__dctx_free(&d);
  if (st != ZR_OK) {
    zr__free(alloc, buf);
    return st;
  }
  *out = buf;
  *out_len = (size_t)ulen;
  *owned = 1;
  return ZR_OK;
}

zr_status zr_codec_deflate_compress(int level, const void *src, size_t len, zr_sink *sink, size_t *out_len,
                                    uint32_t *crc32, zr_error *err) {
  if (!sink || (!src && len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL input or sink");
  if (level == 0) level = 6;
  if (level < 1 || level > 12) return zr__err(err, ZR_ERR_RANGE, -1, "deflate level %d is outside 1..12", level);
  struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
  if (!c) return zr__err_nomem(err);
  size_t bound = libdeflate_deflate_compress_bound(c, len);
  uint8_t *buf = malloc(bound ? bound : 1);
  zr_status st = ZR_OK;
  size_t n = 0;
  if (!buf) st = zr__err_nomem(err);
  else {
    n = libdeflate_deflate_compress(c, src, len, buf, bound);
    if (n == 0) st = zr__err(err, ZR_ERR_INTERNAL, -1, "deflate: bound too small");
    else st = zr_sink_write(sink, buf, n, err);
  }
  libdeflate_free_compressor(c);
  free(buf);
  if (st == ZR_OK) {
    if (out_len) *out_len = n;
    if (crc32) *crc32 = zr_crc32(0, src, len);
  }
  return st;
}

zr_status zr_codec_deflate_decompress(const void *src, size_t len, void *dst, size_t raw_len, uint32_t expect_crc32,
                                      zr_error *err) {
  if ((!src && len) || (!dst && raw_len)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
  if (!d) return zr__err_nomem(err);
  size_t in_used = 0, got = 0;
  enum libdeflate_result r = libdeflate_deflate_decompress_ex(d, src, len, dst, raw_len, &in_used, &got);
  libdeflate_free_decompressor(d);
  if (r == LIBDEFLATE_INSUFFICIENT_SPACE)
    return zr__err(err, ZR_ERR_MALFORMED, (int64_t)len, "deflate: data inflates past the declared %zu bytes", raw_len);
  if (r == LIBDEFLATE_SHORT_OUTPUT || (r == LIBDEFLATE_SUCCESS && got != raw_len))
    return zr__err(err, ZR_ERR_MALFORMED, (int64_t)in_used, "deflate: %zu bytes inflated, %zu declared", got, raw_len);
  if (r != LIBDEFLATE_SUCCESS) {
    /* libdeflate does not say where: ask zlib, which also tells truncation from corruption */
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) return zr__err_nomem(err);
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
    z.next_out = dst;
    z.avail_out = (uInt)(raw_len > UINT32_MAX ? UINT32_MAX : raw_len);
    int zr = inflate(&z, Z_FINISH);
    int64_t off = (int64_t)z.total_in;
    char msg[96];
    snprintf(msg, sizeof msg, "%s", z.msg ? z.msg : "unexpected end of data");
    inflateEnd(&z);
    if (zr == Z_DATA_ERROR) return zr__err(err, ZR_ERR_MALFORMED, off, "deflate: corrupt data at byte %lld (%s)", (long long)off, msg);
    return zr__err(err, ZR_ERR_TRUNCATED, off, "deflate: data truncated at byte %lld", (long long)off);
  }
  if (zr_crc32(0, dst, raw_len) != expect_crc32)
    return zr__err(err, ZR_ERR_CHECKSUM, -1, "deflate: CRC-32 mismatch");
  return ZR_OK;
}
