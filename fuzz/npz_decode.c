/* Fuzz target: .npz decoding (zip, zip64, deflate, CRC), inspect, and the sparse view on top. */
#include <stdint.h>
#include <stdlib.h>

#include "zerial/format.h"
#include "zerial/numpy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.max_bytes = 1u << 24;
  zr_npy_opts no = {0};
  no.skip_crc = size & 1; /* reach the npy parser even when the CRC is wrong */
  zr_doc *doc = NULL;
  if (zr_npz_decode(data, size, &o, &no, &doc, NULL) == ZR_OK) {
    zr_sparse s;
    if (zr_sparse_from_npz(zr_doc_root(doc), &s, NULL) == ZR_OK && s.shape[0] <= 1024 && s.shape[1] <= 1024) {
      zr_doc *w = zr_doc_new(NULL);
      zr_tensor d;
      zr_sparse_to_dense(&s, w, &d, NULL);
      zr_doc_free(w);
    }
  }
  zr_doc_free(doc);
  const zr_format *f = zr_format_by_name("npz");
  zr_sink *js;
  if (f && zr_sink_memory_new(NULL, &js, NULL) == ZR_OK) {
    f->inspect(data, size, js, NULL);
    zr_sink_free(js);
  }
  return 0;
}
