/* Shared body of the Arrow fuzz targets: read (views and copies), and on success write back,
 * read again, convert to values and inspect. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zerial/format.h"

static void zr_fuzz_arrow(const uint8_t *data, size_t size) {
  for (int copy = 0; copy < 2; copy++) {
    zr_arrow_read_opts o;
    zr_arrow_read_opts_init(&o);
    o.copy = copy;
    o.validate_utf8 = 1;
    o.max_bytes = 64u << 20;
    zr_table t;
    zr_error e;
    if (zr_arrow_read(data, size, &o, &t, &e) != ZR_OK) continue;
    zr_sink *s;
    if (zr_sink_memory_new(NULL, &s, NULL) == ZR_OK) {
      zr_arrow_write_opts wo;
      memset(&wo, 0, sizeof wo);
      wo.file = copy;
      if (zr_arrow_write(&t, &wo, s, NULL) == ZR_OK) {
        const uint8_t *d;
        size_t n;
        zr_sink_memory_data(s, &d, &n);
        zr_table b;
        if (zr_arrow_read(d, n, NULL, &b, NULL) == ZR_OK) zr_table_release(&b);
      }
      zr_sink_free(s);
    }
    if (zr_table_num_rows(&t) < 10000) {
      zr_doc *doc = zr_doc_new(NULL);
      zr_value v;
      zr_arrow_to_value(&t, doc, &v, NULL);
      zr_doc_free(doc);
    }
    zr_table_release(&t);
  }
  zr_sink *js;
  if (zr_sink_memory_new(NULL, &js, NULL) == ZR_OK) {
    const zr_format *f = zr_format_by_name("arrow-stream");
    if (f) f->inspect(data, size, js, NULL);
    zr_sink_free(js);
  }
}
