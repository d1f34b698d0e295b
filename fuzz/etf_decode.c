/* Fuzz target: the ETF decoder (with and without options), then re-encode and re-decode what it
 * accepted, and the inspector. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/etf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.max_bytes = 1u << 24;
  o.max_depth = 256;
  unsigned flags = size ? (data[size - 1] & 0x5F) : 0; /* every decode flag; not COMPRESS */
  o.dup_keys = (zr_dup_policy)(size > 1 ? data[size - 2] % 4 : 0);
  zr_doc *d = NULL;
  zr_error e;
  if (zr_etf_decode(data, size, &o, flags, &d, &e) == ZR_OK) {
    zr_sink *s = NULL;
    if (zr_sink_memory_new(NULL, &s, NULL) == ZR_OK) {
      zr_encode_opts eo;
      memset(&eo, 0, sizeof eo);
      eo.flags = (flags & 1) ? ZR_ENC_DETERMINISTIC : 0;
      if (zr_etf_encode(zr_doc_root(d), &eo, flags & ZR_ETF_NO_TAGS, s, &e) == ZR_OK) {
        const uint8_t *p;
        size_t n;
        zr_doc *d2 = NULL;
        if (zr_sink_memory_data(s, &p, &n) == ZR_OK && zr_etf_decode(p, n, &o, flags, &d2, &e) == ZR_OK)
          zr_doc_free(d2);
      }
      zr_sink_free(s);
    }
    zr_doc_free(d);
  }
  zr_sink *j = NULL;
  if (zr_sink_memory_new(NULL, &j, NULL) == ZR_OK) {
    zr_etf_inspect(data, size, j, &e);
    zr_sink_free(j);
  }
  return 0;
}
