/* Compression for the serialization manager: whole-buffer compress, bounded decompress, frame
 * detection. Forwards to the codec module (include/zerial/codec.h): LZ4 frames with content
 * checksums, Zstandard frames with checksums, gzip through libdeflate/zlib, output limits. */
#include <stdio.h>
#include <stdlib.h>

#include "ctx/ctx_internal.h"
#include "zerial/codec.h"

int zr__cg_available(const char *codec) {
  return codec && zr_codec_by_name(codec) != NULL;
}

const char *zr__cg_detect(const uint8_t *d, size_t n) {
  zr_codec_id id = zr_codec_detect(d, n);
  return id == ZR_CODEC_NONE ? NULL : zr_codec_info_get(id)->name;
}

/* The configuration accepts one level range for every codec: clamp into the codec's own. */
static int clamp_level(const zr_codec_info *ci, int level) {
  if (level == 0) return 0;
  if (level < ci->min_level) return ci->min_level;
  if (level > ci->max_level) return ci->max_level;
  return level;
}

zr_status zr__cg_compress(const char *codec, int level, const uint8_t *in, size_t n, zr__buf *out, zr_error *err) {
  const zr_codec_info *ci = zr_codec_by_name(codec);
  if (!ci) return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "unknown codec '%s'", codec);
  size_t bound = zr_codec_bound(ci->id, n);
  if (!bound && n) return zr__err(err, ZR_ERR_OVERFLOW, -1, "%s: input too large", ci->name);
  if (zr__buf_reserve(out, bound) != ZR_OK) return zr__err_nomem(err);
  size_t r = 0;
  ZR_TRY(zr_codec_compress(ci->id, clamp_level(ci, level), in, n, out->data + out->len, bound, &r, err));
  out->len += r;
  return ZR_OK;
}

zr_status zr__cg_decompress(const char *codec, const uint8_t *in, size_t n, uint64_t max_out, zr__buf *out,
                            zr_error *err) {
  const zr_codec_info *ci = zr_codec_by_name(codec);
  if (!ci) return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "unknown codec '%s'", codec);
  uint64_t room = max_out > out->len ? max_out - out->len : 0;
  if (room == 0) return zr__err(err, ZR_ERR_LIMIT, -1, "decompressed size exceeds the limit of %llu bytes", (unsigned long long)max_out);
  uint8_t *p = NULL;
  size_t len = 0;
  ZR_TRY(zr_codec_decompress_alloc(ci->id, in, n, room, out->alloc, &p, &len, err));
  zr_status st = ZR_OK;
  if (out->len == 0 && out->data == NULL) { /* adopt the buffer: same allocator */
    out->data = p;
    out->len = out->cap = len;
    return ZR_OK;
  }
  st = zr__buf_append(out, p, len);
  zr__free(zr__alloc_or_default(out->alloc), p);
  return st == ZR_OK ? ZR_OK : zr__err_nomem(err);
}
