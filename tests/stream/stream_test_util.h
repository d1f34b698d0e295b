/* Helpers shared by the stream tests: records with a known id, writing and counting streams. */
#ifndef ZR_STREAM_TEST_UTIL_H
#define ZR_STREAM_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/stream.h"

/* {"id": i, "name": "record-<i>", "pad": <i % 97 bytes of 'x'>} built in @p d */
static inline zr_value st_record(zr_doc *d, uint64_t i) {
  char name[32];
  static char pad[200];
  if (!pad[0]) memset(pad, 'x', sizeof pad - 1);
  int n = snprintf(name, sizeof name, "record-%llu", (unsigned long long)i);
  zr_value m = zr_map_new(d, 3);
  zr_map_put_cstr(d, &m, "id", zr_int((int64_t)i));
  zr_map_put_cstr(d, &m, "name", zr_str_copy(d, name, (size_t)n));
  zr_map_put_cstr(d, &m, "pad", zr_str_ref(pad, (size_t)(i % 97)));
  return m;
}

/* id of a decoded record, or -1 */
static inline int64_t st_record_id(const zr_doc *doc) {
  const zr_value *v = zr_map_get(zr_doc_root(doc), "id", 2);
  return v && v->kind == ZR_KIND_INT ? v->u.i : -1;
}

/* Write records [from, to) to @p w; returns the first non-OK status. */
static inline zr_status st_write_range(zr_stream_writer *w, uint64_t from, uint64_t to, zr_error *err) {
  for (uint64_t i = from; i < to; i++) {
    zr_doc *d = zr_doc_new(NULL);
    zr_value v = st_record(d, i);
    zr_status st = zr_stream_writer_write_value(w, &v, err);
    zr_doc_free(d);
    if (st != ZR_OK) return st;
  }
  return ZR_OK;
}

/* Read every record of a memory stream; check ids are 0..n-1 in order. Returns the status that
 * ended the read (ZR_ERR_EOF for a complete stream) and the count in *n. */
static inline zr_status st_read_all(const uint8_t *data, size_t len, const zr_stream_read_opts *o, uint64_t *n,
                                    uint64_t first_id, int *in_order, zr_error *err) {
  zr_source *src;
  zr_status st = zr_source_memory_new(data, len, &src, err);
  if (st != ZR_OK) return st;
  zr_stream_reader *r;
  st = zr_stream_reader_new(src, o, &r, err);
  *n = 0;
  *in_order = 1;
  while (st == ZR_OK) {
    zr_doc *doc = NULL;
    st = zr_stream_reader_next_value(r, NULL, &doc, err);
    if (st != ZR_OK) break;
    if (st_record_id(doc) != (int64_t)(first_id + *n)) *in_order = 0;
    (*n)++;
    zr_doc_free(doc);
  }
  zr_stream_reader_free(r);
  zr_source_free(src);
  return st;
}

/* @p data is a complete stream (read to ZR_ERR_EOF) of the records 0 .. n-1 in order */
static inline void st_expect_all(const uint8_t *data, size_t len, uint64_t n) {
  uint64_t got;
  int ok;
  zr_error err;
  zr_status st = st_read_all(data, len, NULL, &got, 0, &ok, &err);
  if (st != ZR_ERR_EOF) fail_msg("stream read: %s (%s)", zr_status_name(st), err.message);
  assert_int_equal(got, n);
  assert_true(ok);
}
/* the same for what a memory sink holds */
static inline void st_expect_sink(zr_sink *mem, uint64_t n) {
  const uint8_t *p;
  size_t len;
  zr_sink_memory_data(mem, &p, &len);
  st_expect_all(p, len, n);
}

#endif
