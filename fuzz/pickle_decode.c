/* Fuzz target: the safe pickle reader (first byte picks how many out-of-band buffers to offer),
 * re-encoding what decodes with the pickle writer, and the opcode inspector on every input. */
#include <stdint.h>
#include <stdlib.h>

#include "zerial/format.h"
#include "zerial/numpy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t mem[64] = {1, 2, 3, 4, 5, 6, 7, 8};
  zr_pickle_buffer bufs[2] = {{mem, 64, 0}, {mem, 8, 1}};
  size_t nb = size ? data[0] % 3 : 0;
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.max_bytes = 1u << 24;
  o.max_elements = 1u << 16;
  o.max_depth = 64;
  zr_doc *doc = NULL;
  if (zr_pickle_decode(data, size, bufs, nb, &o, &doc, NULL) == ZR_OK) {
    zr_sink *s;
    if (zr_sink_memory_new(NULL, &s, NULL) == ZR_OK) {
      zr_pickle_encode(zr_doc_root(doc), NULL, s, NULL, NULL, NULL);
      zr_sink_free(s);
    }
  }
  zr_doc_free(doc);
  const zr_format *f = zr_format_by_name("pickle");
  zr_sink *js;
  if (f && f->inspect && zr_sink_memory_new(NULL, &js, NULL) == ZR_OK) {
    f->inspect(data, size, js, NULL);
    zr_sink_free(js);
  }
  return 0;
}
