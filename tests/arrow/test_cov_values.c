/* Coverage: values <-> tables (zr_arrow_from_value / zr_arrow_to_value) — every refusal with its
 * value path, lossy mappings (warning or strict error), timestamps and tensors that cannot share a
 * column, fixed-shape tensor metadata variants, undeclared union ids, and a doc that runs out of
 * memory while values are built. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zr_test.h"

#include "cdata_nodes.h"

static zr_doc *js(const char *text) {
  zr_doc *d;
  zr_error e;
  if (zr_value_from_json(text, strlen(text), 0, NULL, &d, &e) != ZR_OK) fail_msg("json: %s", e.message);
  return d;
}

static void expect_refused(const zr_value *v, unsigned flags, zr_status code, const char *msg, const char *path) {
  zr_arrow_convert_opts o;
  memset(&o, 0, sizeof o);
  o.flags = flags;
  zr_table t;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_arrow_from_value(v, &o, &t, NULL, &e);
  if (st != code || strcmp(e.message, msg) != 0 || strcmp(e.path, path) != 0)
    fail_msg("%d '%s' at '%s', want %d '%s' at '%s'", st, e.message, e.path, code, msg, path);
  assert_null(t.schema.release);
}

static void test_refusals(void **state) {
  (void)state;
  static const struct {
    const char *json;
    const char *msg, *path;
  } c[] = {
      {"[1]", "arrow: rows must be maps", "$[0]"},
      {"5", "arrow: a int is not a table (need a list of maps or a map of columns)", "$"},
      {"{\"a\":[1],\"b\":[1,2]}", "arrow: columns must have equal lengths", "$.b"},
      {"{\"a\":1}", "arrow: columns must be lists", "$.a"},
      {"[{\"a\":1},{\"a\":\"x\"},{\"a\":true}]", "arrow: a column mixes value kinds", "$[1].a"},
      {"{\"a\":[true,1.5]}", "arrow: a column mixes value kinds", "$.a[1]"},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    zr_doc *d = js(c[i].json);
    expect_refused(zr_doc_root(d), 0, ZR_ERR_TYPE, c[i].msg, c[i].path);
    zr_doc_free(d);
  }
  /* lists nested 70 deep */
  char deep[400];
  size_t k = (size_t)snprintf(deep, sizeof deep, "[{\"a\":");
  for (int i = 0; i < 70; i++) deep[k++] = '[';
  for (int i = 0; i < 70; i++) deep[k++] = ']';
  snprintf(deep + k, sizeof deep - k, "}]");
  zr_doc *d = js(deep);
  zr_arrow_convert_opts o;
  memset(&o, 0, sizeof o);
  zr_table t;
  zr_error e;
  assert_int_equal(zr_arrow_from_value(zr_doc_root(d), &o, &t, NULL, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "arrow: nested too deeply");
  zr_doc_free(d);
  /* maps built by hand: an integer key (a column name, a struct field), invalid UTF-8 keys */
  d = zr_doc_new(NULL);
  zr_value cols = zr_map_new(d, 1), l = zr_list_new(d, 0);
  assert_int_equal(zr_map_put(d, &cols, zr_int(1), l), ZR_OK);
  expect_refused(&cols, 0, ZR_ERR_TYPE, "arrow: column names must be strings", "$");
  zr_value cols2 = zr_map_new(d, 1);
  assert_int_equal(zr_map_put(d, &cols2, zr_str_copy(d, "\xff", 1), zr_list_new(d, 0)), ZR_OK);
  expect_refused(&cols2, 0, ZR_ERR_UTF8, "arrow: a column name with invalid UTF-8", "$");
  zr_value inner = zr_map_new(d, 1), row = zr_map_new(d, 1), rows = zr_list_new(d, 1);
  assert_int_equal(zr_map_put(d, &inner, zr_int(7), zr_int(1)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &row, "m", inner), ZR_OK);
  assert_int_equal(zr_list_push(d, &rows, row), ZR_OK);
  expect_refused(&rows, 0, ZR_ERR_TYPE, "arrow: map keys must be strings to become struct fields", "$[0].m");
  zr_value inner2 = zr_map_new(d, 1), row2 = zr_map_new(d, 1), rows2 = zr_list_new(d, 1);
  assert_int_equal(zr_map_put(d, &inner2, zr_str_copy(d, "ok", 2), zr_int(1)), ZR_OK);
  assert_int_equal(zr_map_put(d, &inner2, zr_str_copy(d, "\xc3", 1), zr_int(1)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &row2, "m", inner2), ZR_OK);
  assert_int_equal(zr_list_push(d, &rows2, row2), ZR_OK);
  expect_refused(&rows2, 0, ZR_ERR_UTF8, "arrow: a map key with invalid UTF-8 cannot be a field name", "$[0].m");
  /* rows as a tuple; an empty map of columns */
  zr_value tup = zr_tuple_new(d, 1), r1 = zr_map_new(d, 1);
  assert_int_equal(zr_map_put_cstr(d, &r1, "x", zr_int(3)), ZR_OK);
  assert_int_equal(zr_list_push(d, &tup, r1), ZR_OK);
  assert_int_equal(zr_arrow_from_value(&tup, NULL, &t, NULL, &e), ZR_OK);
  assert_int_equal(zr_table_num_rows(&t), 1);
  /* a table value is copied */
  zr_value tv = zr_table_value(d, &t);
  zr_table t2;
  assert_int_equal(zr_arrow_from_value(&tv, NULL, &t2, NULL, &e), ZR_OK);
  assert_true(zr_arrow_table_equal(tv.u.table, &t2));
  zr_table_release(&t2);
  zr_value em = zr_map_new(d, 0);
  assert_int_equal(zr_arrow_from_value(&em, NULL, &t2, NULL, &e), ZR_OK);
  assert_int_equal(t2.schema.n_children, 0);
  assert_int_equal(t2.n_batches, 1);
  assert_int_equal(t2.batches[0].length, 0);
  zr_table_release(&t2);
  zr_doc_free(d);
}

static void test_lossy(void **state) {
  (void)state;
  /* integers beyond 2^53 in a float column: a warning with the path, or an error in strict mode */
  static const struct {
    const char *json, *path;
  } c[] = {
      {"[{\"a\":1.5},{\"a\":-9007199254740993}]", "$[1].a"},
      {"[{\"a\":1.5},{\"a\":18446744073709551615}]", "$[1].a"},
      {"{\"a\":[0.5,9007199254740993]}", "$.a[1]"},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    zr_doc *d = js(c[i].json);
    zr_warnings w;
    memset(&w, 0, sizeof w);
    zr_table t;
    zr_error e;
    assert_int_equal(zr_arrow_from_value(zr_doc_root(d), NULL, &t, &w, &e), ZR_OK);
    assert_int_equal(w.count, 1);
    assert_string_equal(w.items[0].path, c[i].path);
    assert_int_equal(w.items[0].code, ZR_ERR_LOSSY);
    zr_table_release(&t);
    expect_refused(zr_doc_root(d), ZR_ENC_STRICT, ZR_ERR_LOSSY, "arrow: integer beyond 2^53 in a float64 column", c[i].path);
    zr_doc_free(d);
  }
  /* symbols: a warning; strict: refused */
  zr_doc *d = zr_doc_new(NULL);
  zr_value rows = zr_list_new(d, 1), r = zr_map_new(d, 1);
  assert_int_equal(zr_map_put_cstr(d, &r, "s", zr_sym_copy(d, "ok", 2)), ZR_OK);
  assert_int_equal(zr_list_push(d, &rows, r), ZR_OK);
  expect_refused(&rows, ZR_ENC_STRICT, ZR_ERR_LOSSY, "arrow: symbol stored as a utf8 string (reads back as a string)", "$[0].s");
  zr_doc_free(d);
}

static void test_timestamps_and_tensors(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  static const struct {
    zr_time_unit u1, u2;
    const char *tz1, *tz2;
  } c[] = {
      {ZR_TU_SECOND, ZR_TU_MILLI, NULL, NULL},
      {ZR_TU_SECOND, ZR_TU_SECOND, "UTC", NULL},
      {ZR_TU_SECOND, ZR_TU_SECOND, NULL, "UTC"},
      {ZR_TU_SECOND, ZR_TU_SECOND, "UTC", "Europe/Paris"},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    zr_value rows = zr_list_new(d, 3), r0 = zr_map_new(d, 1), r1 = zr_map_new(d, 1), r2 = zr_map_new(d, 1);
    assert_int_equal(zr_map_put_cstr(d, &r0, "t", zr_timestamp(d, 1, c[i].u1, c[i].tz1)), ZR_OK);
    assert_int_equal(zr_map_put_cstr(d, &r1, "t", zr_null()), ZR_OK);
    assert_int_equal(zr_map_put_cstr(d, &r2, "t", zr_timestamp(d, 2, c[i].u2, c[i].tz2)), ZR_OK);
    assert_int_equal(zr_list_push(d, &rows, r0), ZR_OK);
    assert_int_equal(zr_list_push(d, &rows, r1), ZR_OK);
    assert_int_equal(zr_list_push(d, &rows, r2), ZR_OK);
    expect_refused(&rows, 0, ZR_ERR_TYPE, "arrow: timestamps of one column must share unit and time zone", "$[2].t");
  }
  /* tensors: a null first; then dtype, rank, shape, byte order that differ */
  static int32_t a6[6] = {1, 2, 3, 4, 5, 6};
  static int64_t l6[6];
  int64_t s23[2] = {2, 3}, s32[2] = {3, 2}, s6[1] = {6};
  zr_tensor ta, tb, tc, td, te;
  assert_int_equal(zr_tensor_init(&ta, ZR_DT_INT32, 4, 2, s23, a6, NULL), ZR_OK);
  assert_int_equal(zr_tensor_init(&tb, ZR_DT_INT64, 8, 2, s23, l6, NULL), ZR_OK);
  assert_int_equal(zr_tensor_init(&tc, ZR_DT_INT32, 4, 1, s6, a6, NULL), ZR_OK);
  assert_int_equal(zr_tensor_init(&td, ZR_DT_INT32, 4, 2, s32, a6, NULL), ZR_OK);
  assert_int_equal(zr_tensor_init(&te, ZR_DT_INT32, 4, 2, s23, a6, NULL), ZR_OK);
  te.byte_order = ZR_ORDER_BIG;
  const zr_tensor *other[4] = {&tb, &tc, &td, &te};
  for (int i = 0; i < 4; i++) {
    zr_value rows = zr_list_new(d, 3), r0 = zr_map_new(d, 1), r1 = zr_map_new(d, 1), r2 = zr_map_new(d, 1);
    assert_int_equal(zr_map_put_cstr(d, &r0, "x", zr_null()), ZR_OK);
    assert_int_equal(zr_map_put_cstr(d, &r1, "x", zr_tensor_value(d, &ta)), ZR_OK);
    assert_int_equal(zr_map_put_cstr(d, &r2, "x", zr_tensor_value(d, other[i])), ZR_OK);
    assert_int_equal(zr_list_push(d, &rows, r0), ZR_OK);
    assert_int_equal(zr_list_push(d, &rows, r1), ZR_OK);
    assert_int_equal(zr_list_push(d, &rows, r2), ZR_OK);
    expect_refused(&rows, 0, ZR_ERR_TYPE, "arrow: tensors of one column must share dtype and shape", "$[2].x");
  }
  /* a big-endian tensor first: no Arrow form */
  zr_value rows = zr_list_new(d, 1), r0 = zr_map_new(d, 1);
  assert_int_equal(zr_map_put_cstr(d, &r0, "x", zr_tensor_value(d, &te)), ZR_OK);
  assert_int_equal(zr_list_push(d, &rows, r0), ZR_OK);
  expect_refused(&rows, 0, ZR_ERR_TYPE, "arrow: tensors of int32 have no Arrow form", "$[0].x");
  /* null then tensor: converted, and read back as a tensor */
  rows = zr_list_new(d, 2);
  r0 = zr_map_new(d, 1);
  zr_value r1 = zr_map_new(d, 1);
  assert_int_equal(zr_map_put_cstr(d, &r0, "x", zr_null()), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r1, "x", zr_tensor_value(d, &ta)), ZR_OK);
  assert_int_equal(zr_list_push(d, &rows, r0), ZR_OK);
  assert_int_equal(zr_list_push(d, &rows, r1), ZR_OK);
  zr_table t;
  zr_error e;
  assert_int_equal(zr_arrow_from_value(&rows, NULL, &t, NULL, &e), ZR_OK);
  zr_value back;
  assert_int_equal(zr_arrow_to_value(&t, d, &back, &e), ZR_OK);
  const zr_value *x1 = zr_map_get(&back.u.items[1], "x", 1);
  assert_int_equal(x1->kind, ZR_KIND_TENSOR);
  assert_int_equal(x1->u.tensor->ndim, 2);
  assert_int_equal(x1->u.tensor->shape[1], 3);
  assert_int_equal(zr_map_get(&back.u.items[0], "x", 1)->kind, ZR_KIND_NULL);
  zr_table_release(&t);
  zr_doc_free(d);
}

/* a fixed-size list with the tensor extension name: its metadata decides whether rows are tensors */
static void test_tensor_metadata(void **state) {
  (void)state;
  static const struct {
    const char *child, *md;
    int tensor;
  } c[] = {
      {"i", "{\"shape\":[2,2]}", 1},
      {"e", "{\"shape\":[4]}", 1},
      {"f", "{\"shape\":[1,4]}", 1},
      {"C", "{\"shape\":[4]}", 1},
      {"b", "{\"shape\":[4]}", 0},        /* no tensor dtype: a list */
      {"i", "{\"shape\":[]}", 0},         /* no dimensions */
      {"i", "{\"shape\":3}", 0},          /* no list */
      {"i", "{\"shape\":[3,1]}", 0},      /* 3 elements, not 4 */
      {"i", "{\"shape\":[x]}", 0},        /* not a number */
      {"i", NULL, 0},                      /* no metadata value */
  };
  static const int32_t I4[4] = {1, 2, 3, 4};
  static const uint16_t H4[4] = {0x3c00, 0x4000, 0x4200, 0x4400};
  static const float F4[4] = {1, 2, 3, 4};
  static const uint8_t B4[4] = {1, 2, 3, 4};
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    char md[400];
    size_t k = 0;
    int32_t n = c[i].md ? 2 : 1;
    memcpy(md + k, &n, 4), k += 4;
    int32_t l = 20;
    memcpy(md + k, &l, 4), k += 4;
    memcpy(md + k, "ARROW:extension:name", 20), k += 20;
    l = 24;
    memcpy(md + k, &l, 4), k += 4;
    memcpy(md + k, "arrow.fixed_shape_tensor", 24), k += 24;
    if (c[i].md) {
      l = 24;
      memcpy(md + k, &l, 4), k += 4;
      memcpy(md + k, "ARROW:extension:metadata", 24), k += 24;
      l = (int32_t)strlen(c[i].md);
      memcpy(md + k, &l, 4), k += 4;
      memcpy(md + k, c[i].md, (size_t)l), k += (size_t)l;
    }
    reset();
    struct ArrowSchema *f = S("+w:4", "x", 0, 1, S(c[i].child, "", 0, 0));
    f->metadata = md;
    const void *data = c[i].child[0] == 'e' ? (const void *)H4 : c[i].child[0] == 'f' ? (const void *)F4
                       : c[i].child[0] == 'i' ? (const void *)I4 : (const void *)B4;
    struct ArrowArray *col = A(1, 0, 1, NULL, NULL, NULL, 1, A(4, 0, 2, NULL, data, NULL, 0));
    zr_table t;
    memset(&t, 0, sizeof t);
    t.schema = *S("+s", "", 0, 1, f);
    t.n_batches = 1;
    t.batches = A(1, 0, 1, NULL, NULL, NULL, 1, col);
    zr_doc *d = zr_doc_new(NULL);
    zr_value rows;
    zr_error e;
    assert_int_equal(zr_arrow_to_value(&t, d, &rows, &e), ZR_OK);
    const zr_value *x = zr_map_get(&rows.u.items[0], "x", 1);
    if (c[i].tensor) {
      assert_int_equal(x->kind, ZR_KIND_TENSOR);
      assert_int_equal(zr_tensor_count(x->u.tensor), 4);
    } else {
      assert_int_equal(x->kind, ZR_KIND_LIST);
      assert_int_equal(x->n.len, 4);
    }
    zr_doc_free(d);
  }
}

static void test_to_value_edges(void **state) {
  (void)state;
  /* an undeclared union type id */
  static const int8_t T[1] = {5};
  static const int32_t I1[1] = {1};
  reset();
  zr_table t;
  memset(&t, 0, sizeof t);
  t.schema = *S("+s", "", 0, 1, S("+us:1", "u", 0, 1, S("i", "a", 0, 0)));
  t.n_batches = 1;
  t.batches = A(1, 0, 1, NULL, NULL, NULL, 1, A(1, 0, 1, T, NULL, NULL, 1, A(1, 0, 2, NULL, I1, NULL, 0)));
  zr_doc *d = zr_doc_new(NULL);
  zr_value rows;
  zr_error e;
  assert_int_equal(zr_arrow_to_value(&t, d, &rows, &e), ZR_ERR_MALFORMED);
  assert_string_equal(e.message, "arrow: union type id 5 undeclared");
  zr_doc_free(d);
  /* a doc that fails its n-th allocation: out of memory, named; then enough */
  zr_doc *src = js("[{\"a\":1,\"b\":\"xy\",\"c\":[1,2],\"d\":{\"e\":true}},{\"a\":2,\"b\":\"z\",\"c\":[],\"d\":{\"e\":false}}]");
  zr_table tt;
  assert_int_equal(zr_arrow_from_value(zr_doc_root(src), NULL, &tt, NULL, &e), ZR_OK);
  int ok = 0;
  for (uint64_t n = 1; n < 200 && !ok; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_doc *dd = zr_doc_new(&fa.a);
    if (!dd) continue;
    zr_error_clear(&e);
    zr_status st = zr_arrow_to_value(&tt, dd, &rows, &e);
    if (st == ZR_OK) {
      ok = 1;
      assert_true(zr_value_equal(&rows, zr_doc_root(src)));
    } else {
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_int_equal(e.code, ZR_ERR_NOMEM);
      assert_string_equal(e.message, "arrow: out of memory while building values");
    }
    zr_doc_free(dd);
    assert_int_equal(fa.live, 0);
  }
  assert_true(ok);
  zr_table_release(&tt);
  zr_doc_free(src);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_lossy),
      cmocka_unit_test(test_timestamps_and_tensors),
      cmocka_unit_test(test_tensor_metadata),
      cmocka_unit_test(test_to_value_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
