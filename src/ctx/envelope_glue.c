/* The envelope frame for the serialization manager. The envelope module (include/zerial/envelope.h,
 * branch cli) owns the bytes; until it is merged, envelopes are reported as unavailable and
 * zr_serialize() writes native bytes (an explicit request for an envelope fails). */
#include "ctx/ctx_internal.h"

int zr__eg_available(void) { return 0; }
int zr__eg_detect(const uint8_t *data, size_t len) {
  (void)data;
  (void)len;
  return 0;
}
zr_status zr__eg_wrap(const zr__env_in *in, const uint8_t *payload, size_t n, zr__buf *out, zr_error *err) {
  (void)in;
  (void)payload;
  (void)n;
  (void)out;
  return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "envelope support is not built in");
}
zr_status zr__eg_unwrap(const uint8_t *data, size_t len, const uint8_t **payload, size_t *plen, uint16_t *format_id,
                        char *codec, size_t codec_cap, zr_error *err) {
  (void)data;
  (void)len;
  (void)payload;
  (void)plen;
  (void)format_id;
  (void)codec;
  (void)codec_cap;
  return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "envelope support is not built in");
}
zr_status zr__eg_inspect(const uint8_t *data, size_t len, zr__buf *json, zr_error *err) {
  (void)data;
  (void)len;
  (void)json;
  return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "envelope support is not built in");
}
