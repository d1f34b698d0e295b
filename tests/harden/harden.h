/* Helpers shared by the hardening tests: values that stress limits, and encoding to memory. */
#ifndef ZR_HARDEN_H
#define ZR_HARDEN_H
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/binary.h"
#include "zerial/etf.h"
#include "zerial/format.h"
#include "zerial/numpy.h"

/* [[[...[1]...]]] nested @p depth lists deep */
static inline zr_value hz_deep(zr_doc *d, int depth) {
  zr_value v = zr_int(1);
  for (int i = 0; i < depth; i++) {
    zr_value l = zr_list_new(d, 1);
    zr_list_push(d, &l, v);
    v = l;
  }
  return v;
}

/* a list of @p n small ints */
static inline zr_value hz_wide(zr_doc *d, int n) {
  zr_value l = zr_list_new(d, (size_t)n);
  for (int i = 0; i < n; i++) zr_list_push(d, &l, zr_int(i));
  return l;
}

/* a record-like map with strings, floats, binaries, nested lists (every plain kind) */
static inline zr_value hz_mixed(zr_doc *d, int rows) {
  zr_value root = zr_map_new(d, 0);
  zr_value list = zr_list_new(d, 0);
  for (int i = 0; i < rows; i++) {
    zr_value r = zr_map_new(d, 0);
    zr_map_put_cstr(d, &r, "id", zr_int(i));
    zr_map_put_cstr(d, &r, "name", zr_cstr_ref("someone-or-other"));
    zr_map_put_cstr(d, &r, "score", zr_float(i * 0.5));
    zr_map_put_cstr(d, &r, "ok", zr_bool(i & 1));
    zr_map_put_cstr(d, &r, "blob", zr_bin_ref("\x00\x01\x02\x03", 4));
    zr_value tags = zr_list_new(d, 0);
    zr_list_push(d, &tags, zr_cstr_ref("a"));
    zr_list_push(d, &tags, zr_null());
    zr_map_put_cstr(d, &r, "tags", tags);
    zr_list_push(d, &list, r);
  }
  zr_map_put_cstr(d, &root, "rows", list);
  zr_map_put_cstr(d, &root, "big", zr_uint(UINT64_C(18446744073709551615)));
  return root;
}

/* encode with a format of the table to malloc'd memory (free()); ZR_OK or the encoder's status */
static inline zr_status hz_encode(const char *format, const zr_value *v, uint8_t **out, size_t *len) {
  const zr_format *f = zr_format_by_name(format);
  if (!f) return ZR_ERR_NOT_FOUND;
  zr_sink *s = NULL;
  zr_status st = zr_sink_memory_new(NULL, &s, NULL);
  if (st != ZR_OK) return st;
  st = f->encode(v, NULL, s, NULL);
  if (st == ZR_OK) {
    uint8_t *p = NULL;
    st = zr_sink_memory_take(s, &p, len, NULL);
    if (st == ZR_OK) {
      *out = malloc(*len ? *len : 1);
      if (*len) memcpy(*out, p, *len);
      zr_free(p);
    }
  }
  zr_sink_free(s);
  return st;
}

static inline zr_status hz_decode(const char *format, const uint8_t *data, size_t len, const zr_decode_opts *o,
                                  zr_doc **out, zr_error *err) {
  const zr_format *f = zr_format_by_name(format);
  if (!f) return ZR_ERR_NOT_FOUND;
  return f->decode(data, len, o, out, err);
}

/* a 1-d float64 tensor of n elements (data owned by the caller) */
static inline zr_tensor hz_tensor(double *data, int64_t n) {
  zr_tensor t;
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 1, &n, data, NULL);
  return t;
}

#endif
