/* Fuzz target: the binary decoder in zero-copy and copying mode; when a decode succeeds the value
 * is encoded again and must decode to an equal value; inspect must agree on success. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/binary.h"
#include "zerial/zerial.h"

static void check(int cond) {
  if (!cond) abort(); /* a finding: libFuzzer records the input */
}

static void roundtrip(const zr_value *v) {
  zr_sink *s = NULL;
  check(zr_sink_memory_new(NULL, &s, NULL) == ZR_OK);
  zr_error err;
  check(zr_binary_encode(v, NULL, s, &err) == ZR_OK);
  const uint8_t *bytes;
  size_t len;
  check(zr_sink_memory_data(s, &bytes, &len) == ZR_OK);
  uint64_t size = 0;
  check(zr_binary_encoded_size(v, NULL, &size, NULL) == ZR_OK && size == len);
  zr_doc *again = NULL;
  check(zr_binary_decode(bytes, len, NULL, &again, &err) == ZR_OK);
  check(zr_value_equal(v, zr_doc_root(again)));
  zr_doc_free(again);
  zr_sink_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  zr_decode_opts opts[2];
  zr_decode_opts_init(&opts[0]);
  zr_decode_opts_init(&opts[1]);
  opts[1].copy = 1;
  opts[1].dup_keys = ZR_DUP_LAST;
  opts[1].max_elements = 1u << 20;
  opts[1].max_bytes = 1u << 26;
  int ok0 = 0;
  for (int m = 0; m < 2; m++) {
    zr_doc *doc = NULL;
    zr_error err;
    zr_status st = zr_binary_decode(data, size, &opts[m], &doc, &err);
    if (st == ZR_OK) {
      check(doc != NULL);
      if (m == 0) ok0 = 1;
      roundtrip(zr_doc_root(doc));
      zr_doc_free(doc);
    } else {
      check(doc == NULL && err.code == st && err.offset >= -1 && err.offset <= (int64_t)size);
    }
  }
  zr_sink *js = NULL;
  if (zr_sink_memory_new(NULL, &js, NULL) == ZR_OK) {
    zr_status ist = zr_binary_inspect(data, size, js, NULL);
    if (ok0) check(ist == ZR_OK);
    zr_sink_free(js);
  }
  return 0;
}
