/* Fuzz target: the JSON reader (plain, extended, JSON lines through the format table) must never
 * crash, leak or over-read; a value it accepts must survive extended write + read unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/format.h"
#include "zerial/value.h"

static void roundtrip(const zr_value *v) {
  zr_sink *s = NULL;
  if (zr_sink_memory_new(NULL, &s, NULL) != ZR_OK) return;
  if (zr_value_to_json(v, ZR_JSON_EXTENDED, s, NULL) == ZR_OK) {
    const uint8_t *d;
    size_t n;
    zr_sink_memory_data(s, &d, &n);
    zr_doc *back = NULL;
    zr_status st = zr_value_from_json((const char *)d, n, ZR_JSON_EXTENDED, NULL, &back, NULL);
    /* the one refusal allowed: big integers next to a string that looks like a placeholder */
    if (st != ZR_OK && st != ZR_ERR_UNSUPPORTED) abort();
    if (st == ZR_OK && !zr_value_equal(v, zr_doc_root(back))) abort();
    zr_doc_free(back);
  }
  zr_sink_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.max_depth = 64;
  o.max_bytes = 1u << 24;
  for (unsigned flags = 0; flags <= ZR_JSON_EXTENDED; flags += ZR_JSON_EXTENDED) {
    zr_doc *d = NULL;
    if (zr_value_from_json((const char *)data, size, flags, &o, &d, NULL) == ZR_OK) {
      roundtrip(zr_doc_root(d));
      zr_doc_free(d);
    }
  }
  const zr_format *f = zr_format_by_name("json");
  zr_doc *d = NULL;
  if (f && f->decode(data, size, &o, &d, NULL) == ZR_OK) zr_doc_free(d);
  if (f) (void)f->detect(data, size);
  return 0;
}
