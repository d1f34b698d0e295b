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

#endif
