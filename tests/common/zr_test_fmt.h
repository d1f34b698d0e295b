/* Shared helpers for tests that go through a zr_format vtable: inspect output as text, and an
 * encode that must be refused. */
#ifndef ZR_TEST_FMT_H
#define ZR_TEST_FMT_H
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/format.h"

/* f->inspect of @p len bytes, which must succeed: its JSON text (malloc'd, NUL-terminated) */
static inline char *zr_test_inspect_text(const zr_format *f, const uint8_t *data, size_t len) {
  zr_sink *s;
  zr_error e;
  assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
  zr_status st = f->inspect(data, len, s, &e);
  if (st != ZR_OK) fail_msg("%s inspect: %s", f->name, e.message);
  const uint8_t *j;
  size_t jl;
  zr_sink_memory_data(s, &j, &jl);
  char *js = strndup((const char *)j, jl);
  zr_sink_free(s);
  return js;
}

/* f->encode of @p v (default options) fails with @p want */
static inline void zr_test_encode_fails(const zr_format *f, const zr_value *v, zr_status want) {
  zr_sink *s;
  zr_error e;
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
  assert_int_equal(f->encode(v, &eo, s, &e), want);
  zr_sink_free(s);
}

/* A decoder under a failing allocator (for zr_test_failalloc_sweep): ud is a zr_test_dec. */
typedef zr_status (*zr_test_dec_fn)(const uint8_t *data, size_t len, const zr_decode_opts *o, zr_doc **out,
                                    zr_error *err);
typedef struct zr_test_dec {
  zr_test_dec_fn fn;
  const uint8_t *data;
  size_t len;
  int copy; /* the copy option; -1: copying when the failing allocation's number is odd */
} zr_test_dec;
static inline zr_status zr_test_dec_run(void *ud, zr_allocator *a, zr_error *err) {
  const zr_test_dec *c = ud;
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.alloc = a;
  o.copy = c->copy >= 0 ? c->copy : (int)(((const zr_test_failalloc *)a->ud)->fail_at & 1);
  zr_doc *out = NULL;
  zr_status st = c->fn(c->data, c->len, &o, &out, err);
  zr_doc_free(out);
  return st;
}

#endif
