/* Compression for the serialization manager, through the codec module (include/zerial/codec.h):
 * whole-buffer compress, bounded decompress, frame detection. */
#include <stdio.h>

#include "ctx/ctx_internal.h"
#include "zerial/codec.h"

int zr__cg_available(const char *codec) { return codec && zr_codec_by_name(codec) != NULL; }

const char *zr__cg_detect(const uint8_t *d, size_t n) {
  zr_codec_id id = zr_codec_detect(d, n);
  if (id == ZR_CODEC_NONE) return NULL;
  const zr_codec_info *info = zr_codec_info_get(id);
  return info ? info->name : NULL;
}

zr_status zr__cg_compress(const char *codec, int level, const uint8_t *in, size_t n, zr__buf *out, zr_error *err) {
  const zr_codec_info *info = zr_codec_by_name(codec);
  if (!info) return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "unknown codec '%s'", codec);
  size_t bound = zr_codec_bound(info->id, n);
  if (!bound) return zr__err(err, ZR_ERR_LIMIT, -1, "%s: input too large", codec);
  if (zr__buf_reserve(out, bound) != ZR_OK) return zr__err_nomem(err);
  size_t produced = 0;
  ZR_TRY(zr_codec_compress(info->id, level, in, n, out->data + out->len, bound, &produced, err));
  out->len += produced;
  return ZR_OK;
}

zr_status zr__cg_decompress(const char *codec, const uint8_t *in, size_t n, uint64_t max_out, zr__buf *out,
                            zr_error *err) {
  const zr_codec_info *info = zr_codec_by_name(codec);
  if (!info) return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "unknown codec '%s'", codec);
  uint8_t *p = NULL;
  size_t plen = 0;
  ZR_TRY(zr_codec_decompress_alloc(info->id, in, n, max_out ? max_out : 1, out->alloc, &p, &plen, err));
  zr__buf_free(out);
  out->data = p;
  out->len = out->cap = plen;
  return ZR_OK;
}
