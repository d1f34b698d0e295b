/* Coverage: the Python-literal printer with its output buffer running out at every byte, the
 * parser under a failing allocator, and the pickle inspector's globals table overflowing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/numpy/pylit.h"
#include "zr_test.h"

static zr_value sample(zr_doc *d) {
  zr_value m = zr_map_new(d, 2);
  zr_value l = zr_list_new(d, 8);
  zr_list_push(d, &l, zr_null());
  zr_list_push(d, &l, zr_bool(1));
  zr_list_push(d, &l, zr_bool(0));
  zr_list_push(d, &l, zr_int(-42));
  zr_list_push(d, &l, zr_uint(UINT64_MAX));
  zr_list_push(d, &l, zr_cstr_ref("q'\\\n\r\t\x01\x7f\"z"));
  zr_list_push(d, &l, zr_cstr_ref("it's"));
  zr_value t1 = zr_tuple_new(d, 1);
  zr_list_push(d, &t1, zr_int(1));
  zr_list_push(d, &l, t1);
  zr_list_push(d, &l, zr_tuple_new(d, 0));
  zr_value t2 = zr_tuple_new(d, 2);
  zr_list_push(d, &t2, zr_cstr_ref("a"));
  zr_list_push(d, &t2, zr_cstr_ref("b"));
  zr_list_push(d, &l, t2);
  zr_map_put_cstr(d, &m, "descr", l);
  zr_map_put_cstr(d, &m, "k2", zr_map_new(d, 0));
  return m;
}

static void test_repr_out_of_room(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = sample(d);
  zr__buf ref;
  zr__buf_init(&ref, NULL);
  assert_int_equal(zr__pylit_repr(&ref, &v), ZR_OK);
  assert_true(ref.len < 256);
  assert_memory_equal(ref.data, "{'descr': [None, True, False, -42, 18446744073709551615, ", 55);
  static const char filler[256] = {0};
  /* room for exactly j more bytes after the filler: every byte of the output is the one that fails */
  for (size_t j = 0; j <= ref.len; j++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, 2);
    zr__buf b;
    zr__buf_init(&b, &fa.a);
    assert_int_equal(zr__buf_reserve(&b, 256), ZR_OK);
    assert_int_equal(zr__buf_append(&b, filler, 256 - j), ZR_OK);
    zr_status st = zr__pylit_repr(&b, &v);
    if (j < ref.len) {
      assert_int_equal(st, ZR_ERR_NOMEM);
    } else {
      assert_int_equal(st, ZR_OK);
      assert_memory_equal(b.data + 256 - j, ref.data, ref.len);
    }
    zr__buf_free(&b);
    assert_int_equal(fa.live, 0);
  }
  zr__buf_free(&ref);
  zr_doc_free(d);
}

static void test_parse_failalloc(void **state) {
  (void)state;
  char lit[2048];
  char longs[600];
  memset(longs, 'x', sizeof longs - 1);
  longs[sizeof longs - 1] = 0;
  snprintf(lit, sizeof lit,
           "{'descr': [('a\\u20ac\\U0001F600\\xe9', '<i4'), ('%s', '<f8', (2, 3)), ('c', '|S3'), ('d', '<u2'), "
           "('e', '<i8'), ('f', '<i1')], 'fortran_order': False, 'shape': (1, 2, 3, 4, 5, 6), 'x': None, 'y': True}",
           longs);
  zr_value ref;
  zr_doc *rd = zr_doc_new(NULL);
  zr_error e;
  assert_int_equal(zr__pylit_parse(lit, strlen(lit), rd, &ref, 0, &e), ZR_OK);
  int ok = 0;
  unsigned long fails = 0;
  for (uint64_t n = 1; n < 1000 && !ok; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_doc *d = zr_doc_new(&fa.a);
    if (!d) {
      assert_int_equal(fa.live, 0);
      continue;
    }
    zr_value v;
    zr_error_clear(&e);
    zr_status st = zr__pylit_parse(lit, strlen(lit), d, &v, 0, &e);
    if (st == ZR_OK) {
      ok = 1;
      assert_true(zr_value_equal(&v, &ref));
    } else {
      fails++;
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_int_equal(e.code, ZR_ERR_NOMEM);
    }
    zr_doc_free(d);
    assert_int_equal(fa.live, 0);
  }
  assert_true(ok);
  assert_true(fails >= 2);
  zr_doc_free(rd);
}

/* more distinct globals than the inspector lists: the rest are counted */
static void test_inspect_many_globals(void **state) {
  (void)state;
  uint8_t p[8192];
  size_t n = 0;
  p[n++] = 0x80;
  p[n++] = 2;
  for (int i = 0; i < 70; i++) {
    n += (size_t)sprintf((char *)p + n, "cmod%d\nname\n0", i);
  }
  p[n++] = 'N';
  p[n++] = '.';
  const zr_format *f = zr_format_by_name("pickle");
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error e;
  assert_int_equal(f->inspect(p, n, s, &e), ZR_OK);
  const uint8_t *j;
  size_t jl;
  zr_sink_memory_data(s, &j, &jl);
  char *txt = malloc(jl + 1);
  memcpy(txt, j, jl);
  txt[jl] = 0;
  assert_non_null(strstr(txt, "\"globals_not_listed\":6"));
  assert_non_null(strstr(txt, "\"safe_reader_accepts_globals\":false"));
  free(txt);
  assert_int_equal(f->inspect(NULL, 3, s, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(f->inspect(p, n, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_sink_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_repr_out_of_room), cmocka_unit_test(test_parse_failalloc),
                                     cmocka_unit_test(test_inspect_many_globals)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
