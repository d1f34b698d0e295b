/* JSON module internals: base64 and the names shared by the writer and the reader. */
#ifndef ZERIAL_FORMATS_JSON_INTERNAL_H
#define ZERIAL_FORMATS_JSON_INTERNAL_H

#include "core/internal.h"
#include "zerial/format.h"

/* base64 (RFC 4648, standard alphabet, padded) */
size_t zr__b64_encoded_len(size_t n);
void zr__b64_encode(const uint8_t *in, size_t n, char *out); /* writes zr__b64_encoded_len(n) bytes */
/* decode into out (capacity ≥ n / 4 * 3); false on bad input; accepts missing padding */
bool zr__b64_decode(const char *in, size_t n, uint8_t *out, size_t *out_len);

/* time unit names used by the JSON mapping ("s", "ms", "us", "ns", "Y", "M", "W", "D", "h", "m", "ps", "fs", "as",
 * "generic") */
const char *zr__json_unit_name(unsigned unit);
int zr__json_unit_parse(const char *s); /* -1 if unknown */

zr_status zr__json_write(const zr_value *v, unsigned flags, zr_warnings *warnings, int strict, zr_sink *sink,
                         zr_error *err);

extern const zr_format zr__format_json;

#endif
