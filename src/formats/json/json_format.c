/* The "json" entry of the format table: detect JSON text / JSON lines, decode, encode. */
#include "formats/json/json_internal.h"

zr_status zr__json_read(const char *text, size_t len, unsigned flags, const zr_decode_opts *opts, int lines,
                        zr_doc **out, zr_error *err);

static size_t skip_bom(const uint8_t *d, size_t n) {
  return (n >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF) ? 3 : 0;
}

/* Confidence from the first bytes: structural start and clean UTF-8 text. */
static int json_detect(const uint8_t *d, size_t n) {
  if (!d) return 0;
  size_t i = skip_bom(d, n);
  size_t scan = n < 4096 ? n : 4096;
  for (size_t k = i; k < scan; k++) {
    uint8_t c = d[k];
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return 0; /* control bytes: not text */
  }
  size_t bad = 0;
  if (!zr__utf8_valid(d + i, scan - i, &bad) && bad + 4 < scan - i) return 0; /* allow a cut sequence at the end */
  while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r')) i++;
  if (i == n) return 0;
  uint8_t c = d[i];
  size_t j = i + 1;
  while (j < n && (d[j] == ' ' || d[j] == '\t' || d[j] == '\n' || d[j] == '\r')) j++;
  uint8_t next = j < n ? d[j] : 0;
  if (c == '{') return (next == '"' || next == '}') ? 70 : 20;
  if (c == '[')
    return (next == ']' || next == '{' || next == '[' || next == '"' || next == '-' || (next >= '0' && next <= '9') ||
            next == 't' || next == 'f' || next == 'n')
               ? 60
               : 15;
  if (c == '"') return 30;
  if (c == '-' || (c >= '0' && c <= '9')) return 10;
  if ((n - i >= 4 && (memcmp(d + i, "true", 4) == 0 || memcmp(d + i, "null", 4) == 0)) ||
      (n - i >= 5 && memcmp(d + i, "false", 5) == 0))
    return 20;
  return 0;
}

static zr_status json_decode(const uint8_t *data, size_t len, const zr_decode_opts *opts, zr_doc **out, zr_error *err) {
  size_t b = skip_bom(data, len);
  zr_status st = zr__json_read((const char *)data + b, len - b, 0, opts, 1, out, err);
  if (st != ZR_OK && b && err && err->offset >= 0) err->offset += (int64_t)b;
  return st;
}

static zr_status json_encode(const zr_value *v, const zr_encode_opts *opts, zr_sink *sink, zr_error *err) {
  unsigned flags = 0;
  int strict = 0;
  zr_warnings *w = NULL;
  if (opts) {
    if (opts->flags & ZR_ENC_DETERMINISTIC) flags |= ZR_JSON_SORT_KEYS;
    strict = (opts->flags & ZR_ENC_STRICT) != 0;
    w = opts->warnings;
  }
  return zr__json_write(v, flags, w, strict, sink, err);
}

const zr_format zr__format_json = {
    .name = "json",
    .id = ZR_FORMAT_ID_JSON,
    .summary = "JSON text (RFC 8259) or JSON lines; lossy for binary, tensors and non-string keys",
    .detect = json_detect,
    .decode = json_decode,
    .encode = json_encode,
    .inspect = NULL,
};
