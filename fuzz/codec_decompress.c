/* Fuzz target: every codec decoder (detected by magic), the streaming decoder in small pieces,
 * and the block container reader, with a 1 MiB output limit. Must never crash, hang or allocate
 * without bound; failures are fine. */
#include <stdlib.h>
#include <string.h>

#include "zerial/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint64_t limit = 1u << 20;
  uint8_t *out = NULL;
  size_t n = 0;
  if (zr_codec_decompress_alloc(ZR_CODEC_DETECT, data, size, limit, NULL, &out, &n, NULL) == ZR_OK) zr_free(out);
  for (int id = 1; id < ZR_CODEC_COUNT; id++) {
    static uint8_t small[4096];
    (void)zr_codec_decompress(id, data, size, small, sizeof small, &n, NULL);
  }
  zr_codec_dstream *ds = NULL;
  if (zr_codec_dstream_new(ZR_CODEC_DETECT, limit, NULL, &ds, NULL) == ZR_OK) {
    uint8_t buf[777];
    size_t pos = 0;
    for (int guard = 0; guard < 100000; guard++) {
      size_t give = size - pos < 13 ? size - pos : 13, used = 0, made = 0;
      if (zr_codec_dstream_run(ds, data + pos, give, &used, buf, sizeof buf, &made, NULL) != ZR_OK) break;
      pos += used;
      if (used == 0 && made == 0) break;
    }
    (void)zr_codec_dstream_end(ds, NULL);
    zr_codec_dstream_free(ds);
  }
  zr_blocks_info info;
  if (zr_codec_blocks_info(data, size, &info, NULL) == ZR_OK && info.raw_len <= limit) {
    uint8_t *dst = malloc(info.raw_len ? (size_t)info.raw_len : 1);
    if (dst) (void)zr_codec_blocks_decompress(data, size, 1, NULL, dst, (size_t)info.raw_len, &n, NULL);
    free(dst);
  }
  return 0;
}
