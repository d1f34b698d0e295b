/* Shared helpers for the tests of the context entry points (zr_serialize and friends): the record
 * lists they serialize, zr_serialize into memory, and the JSON a memory sink holds. */
#ifndef ZR_TEST_SER_H
#define ZR_TEST_SER_H
#include <stdlib.h>

#include "zr_test.h"
#include "zerial/serialize.h"

/* a list of @p n maps {"id": i, @p key: @p text} and, when @p score, "score": i * 0.25 */
static inline zr_value zr_test_records_of(zr_doc *d, int n, const char *key, const char *text, int score) {
  zr_value l = zr_list_new(d, (size_t)n);
  for (int i = 0; i < n; i++) {
    zr_value m = zr_map_new(d, 3);
    zr_map_put_cstr(d, &m, "id", zr_int(i));
    zr_map_put_cstr(d, &m, key, zr_cstr_ref(text));
    if (score) zr_map_put_cstr(d, &m, "score", zr_float(i * 0.25));
    zr_list_push(d, &l, m);
  }
  return l;
}
/* {"id", "name", "score"} records: a table the column formats take */
static inline zr_value zr_test_records(zr_doc *d, int n) {
  return zr_test_records_of(d, n, "name", "a fairly repetitive name", 1);
}

/* zr_serialize into a memory sink: the bytes (malloc'd; NULL when the call fails), their length in
 * @p n and the status in @p st */
static inline uint8_t *zr_test_ser(zr_ctx *ctx, const zr_value *v, const zr_serialize_opts *o, size_t *n,
                                   zr_serialize_result *r, zr_status *st, zr_error *err) {
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  *st = zr_serialize(ctx, v, o, s, r, err);
  uint8_t *data = NULL;
  *n = 0;
  if (*st == ZR_OK) zr_sink_memory_take(s, &data, n, NULL);
  zr_sink_free(s);
  return data;
}

/* zr_serialize that must succeed (its error printed otherwise): the bytes, malloc'd */
static inline uint8_t *zr_test_ser_ok(zr_ctx *ctx, const zr_value *v, const zr_serialize_opts *o, size_t *n,
                                      zr_serialize_result *r) {
  zr_status st;
  zr_error err;
  uint8_t *b = zr_test_ser(ctx, v, o, n, r, &st, &err);
  if (st != ZR_OK) print_error("serialize: %s\n", err.message);
  assert_int_equal(st, ZR_OK);
  return b;
}
/* zr_serialize that must fail with @p want (no bytes); the error in @p err when not NULL */
static inline void zr_test_ser_fail(zr_ctx *ctx, const zr_value *v, const zr_serialize_opts *o, zr_status want,
                                    zr_error *err) {
  size_t n;
  zr_serialize_result r;
  zr_status st;
  uint8_t *b = zr_test_ser(ctx, v, o, &n, &r, &st, err);
  assert_int_equal(st, want);
  assert_null(b);
}

#endif
