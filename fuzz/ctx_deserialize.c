/* Fuzz target: zr_deserialize (envelope and codec layers peeled in any nesting, then format
 * detection and decoding) and zr_inspect, with small limits. Must never crash, hang or allocate
 * beyond the limits. */
#include <stdint.h>
#include <stdlib.h>

#include "zerial/serialize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static zr_ctx *ctx;
  if (!ctx) {
    if (zr_ctx_new_isolated(NULL, &ctx, NULL) != ZR_OK) return 0;
    zr_ctx_set(ctx, "limits.max_bytes", "16777216", NULL);
    zr_ctx_set(ctx, "limits.max_depth", "64", NULL);
  }
  zr_doc *doc = NULL;
  zr_deserialize_info info;
  if (zr_deserialize(ctx, data, size, NULL, &doc, &info, NULL) == ZR_OK) zr_doc_free(doc);
  zr_sink *s;
  if (zr_sink_memory_new(NULL, &s, NULL) == ZR_OK) {
    (void)zr_inspect(ctx, data, size, s, NULL);
    zr_sink_free(s);
  }
  return 0;
}
