/* Fuzz target: .npy decoding (zero-copy and copy), inspect, and re-encoding what decodes. */
#include <stdint.h>
#include <stdlib.h>

#include "zerial/format.h"
#include "zerial/numpy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.max_bytes = 1u << 24;
  o.copy = size & 1;
  zr_doc *doc = NULL;
  if (zr_npy_decode(data, size, &o, NULL, &doc, NULL) == ZR_OK) {
    zr_sink *s;
    if (zr_sink_memory_new(NULL, &s, NULL) == ZR_OK) {
      zr_npy_encode(zr_doc_root(doc)->u.tensor, s, NULL);
      zr_sink_free(s);
    }
    double x;
    int64_t idx[ZR_TENSOR_MAX_DIMS] = {0};
    const zr_tensor *t = zr_doc_root(doc)->u.tensor;
    if (zr_tensor_count(t) > 0) zr_npy_element_f64(t, idx, &x, NULL);
  }
  zr_doc_free(doc);
  const zr_format *f = zr_format_by_name("npy");
  zr_sink *js;
  if (f && zr_sink_memory_new(NULL, &js, NULL) == ZR_OK) {
    f->inspect(data, size, js, NULL);
    zr_sink_free(js);
  }
  return 0;
}
