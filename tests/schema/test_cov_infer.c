/* Coverage: schema inference from every value kind, record unification and Arrow format strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/schema.h"
#include "zr_test.h"

static zr_schema *infer_ok(const zr_value *v) {
  zr_schema *s = NULL;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_schema_infer(v, &s, &e);
  if (st != ZR_OK) fail_msg("infer failed: %s", e.message);
  return s;
}

static const char *type_of_field(const zr_schema *s, const char *name) {
  for (size_t i = 0; i < zr_schema_field_count(s); i++)
    if (strcmp(zr_schema_field_name(s, i), name) == 0) return zr_schema_field_type(s, i);
  fail_msg("no field %s", name);
  return NULL;
}

static void test_every_value_kind(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value r = zr_map_new(d, 0);
  static const uint8_t mag[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  assert_int_equal(zr_map_put_cstr(d, &r, "b", zr_bool(1)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "u", zr_uint(7)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "f32", zr_float32(1.5f)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "big", zr_bigint(d, 1, mag, sizeof mag)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "ts", zr_timestamp(d, 5, ZR_TU_NANO, "UTC")), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "day", zr_timestamp(d, 5, ZR_TU_DAY, NULL)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "hour", zr_timestamp(d, 5, ZR_TU_HOUR, NULL)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "sym", zr_sym_ref("atom", 4)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "bin", zr_bin_ref("xy", 2)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "ext", zr_ext(d, 9, 1, "e", 1)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "nul", zr_null()), ZR_OK);
  zr_value tup = zr_tuple_new(d, 0);
  assert_int_equal(zr_list_push(d, &tup, zr_int(1)), ZR_OK);
  assert_int_equal(zr_list_push(d, &tup, zr_null()), ZR_OK);
  assert_int_equal(zr_list_push(d, &tup, zr_float(2.5)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "tup", tup), ZR_OK);
  zr_value inner = zr_map_new(d, 0);
  assert_int_equal(zr_map_put(d, &inner, zr_sym_ref("k", 1), zr_int(1)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "inner", inner), ZR_OK);
  static float data[6];
  int64_t shape[2] = {2, 3};
  zr_tensor t;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT32, 4, 2, shape, data, NULL), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &r, "ten", zr_tensor_value(d, &t)), ZR_OK);

  zr_schema *s = infer_ok(&r);
  assert_string_equal(type_of_field(s, "b"), "bool");
  assert_string_equal(type_of_field(s, "u"), "uint64");
  assert_string_equal(type_of_field(s, "f32"), "float32");
  assert_string_equal(type_of_field(s, "big"), "decimal(76,0)");
  assert_string_equal(type_of_field(s, "ts"), "timestamp(ns, UTC)");
  assert_string_equal(type_of_field(s, "day"), "date");
  assert_string_equal(type_of_field(s, "hour"), "timestamp(us)"); /* units beyond ns fall back to us */
  assert_string_equal(type_of_field(s, "sym"), "utf8");
  assert_string_equal(type_of_field(s, "bin"), "binary");
  assert_string_equal(type_of_field(s, "ext"), "binary");
  assert_string_equal(type_of_field(s, "nul"), "null");
  assert_string_equal(type_of_field(s, "tup"), "list<float64>"); /* int + float unify to float64 */
  assert_string_equal(type_of_field(s, "inner"), "struct<k: int64>");
  assert_string_equal(type_of_field(s, "ten"), "tensor<float32>[2,3]");
  zr_schema_free(s);
  zr_doc_free(d);
}

static void test_tensor_dtypes(void **state) {
  (void)state;
  static const struct { zr_dtype dt; uint64_t size; const char *name; } cases[] = {
      {ZR_DT_BOOL, 1, "bool"},      {ZR_DT_INT8, 1, "int8"},       {ZR_DT_INT16, 2, "int16"},
      {ZR_DT_INT32, 4, "int32"},    {ZR_DT_INT64, 8, "int64"},     {ZR_DT_UINT8, 1, "uint8"},
      {ZR_DT_UINT16, 2, "uint16"},  {ZR_DT_UINT32, 4, "uint32"},   {ZR_DT_UINT64, 8, "uint64"},
      {ZR_DT_FLOAT16, 2, "float16"}, {ZR_DT_FLOAT64, 8, "float64"},
  };
  static uint64_t data[4];
  int64_t shape[1] = {2};
  char want[64];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    zr_doc *d = zr_doc_new(NULL);
    zr_tensor t;
    assert_int_equal(zr_tensor_init(&t, cases[i].dt, cases[i].size, 1, shape, data, NULL), ZR_OK);
    zr_value r = zr_map_new(d, 0);
    assert_int_equal(zr_map_put_cstr(d, &r, "t", zr_tensor_value(d, &t)), ZR_OK);
    zr_schema *s = infer_ok(&r);
    snprintf(want, sizeof want, "tensor<%s>[2]", cases[i].name);
    assert_string_equal(zr_schema_field_type(s, 0), want);
    zr_schema_free(s);
    zr_doc_free(d);
  }
  /* a complex tensor has no schema type */
  zr_doc *d = zr_doc_new(NULL);
  zr_tensor t;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_COMPLEX64, 8, 1, shape, data, NULL), ZR_OK);
  zr_value r = zr_map_new(d, 0);
  assert_int_equal(zr_map_put_cstr(d, &r, "t", zr_tensor_value(d, &t)), ZR_OK);
  zr_schema *s = NULL;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(zr_schema_infer(&r, &s, &e), ZR_ERR_UNSUPPORTED);
  assert_null(s);
  assert_non_null(strstr(e.message, "complex64"));
  zr_doc_free(d);
}

static void test_errors(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_schema *s = NULL;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(zr_schema_infer(NULL, &s, &e), ZR_ERR_INVALID_ARG);
  zr_value i = zr_int(1);
  assert_int_equal(zr_schema_infer(&i, NULL, &e), ZR_ERR_INVALID_ARG);
  /* a scalar root */
  assert_int_equal(zr_schema_infer(&i, &s, &e), ZR_ERR_TYPE);
  assert_non_null(strstr(e.message, "int"));
  /* non-string keys */
  zr_value m = zr_map_new(d, 0);
  assert_int_equal(zr_map_put(d, &m, zr_int(1), zr_int(2)), ZR_OK);
  assert_int_equal(zr_schema_infer(&m, &s, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "record keys must be strings");
  /* an empty list of records */
  zr_value empty = zr_list_new(d, 0);
  assert_int_equal(zr_schema_infer(&empty, &s, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "no records to infer a schema from");
  /* a list with a non-record */
  zr_value l = zr_list_new(d, 0);
  zr_value r0 = zr_map_new(d, 0);
  assert_int_equal(zr_map_put_cstr(d, &r0, "a", zr_int(1)), ZR_OK);
  assert_int_equal(zr_list_push(d, &l, r0), ZR_OK);
  assert_int_equal(zr_list_push(d, &l, zr_int(3)), ZR_OK);
  assert_int_equal(zr_schema_infer(&l, &s, &e), ZR_ERR_TYPE);
  assert_non_null(strstr(e.message, "record 1"));
  /* a field holding a string then an int */
  zr_value l2 = zr_list_new(d, 0);
  zr_value ra = zr_map_new(d, 0), rb = zr_map_new(d, 0);
  assert_int_equal(zr_map_put_cstr(d, &ra, "x", zr_cstr_ref("s")), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &rb, "x", zr_int(1)), ZR_OK);
  assert_int_equal(zr_list_push(d, &l2, ra), ZR_OK);
  assert_int_equal(zr_list_push(d, &l2, rb), ZR_OK);
  assert_int_equal(zr_schema_infer(&l2, &s, &e), ZR_ERR_TYPE);
  assert_non_null(strstr(e.message, "field x holds both utf8 and int64"));
  /* a conflict inside a list inside a nested struct */
  zr_value l3 = zr_list_new(d, 0);
  zr_value la = zr_list_new(d, 0);
  assert_int_equal(zr_list_push(d, &la, zr_bool(1)), ZR_OK);
  assert_int_equal(zr_list_push(d, &la, zr_cstr_ref("no")), ZR_OK);
  zr_value rc = zr_map_new(d, 0);
  assert_int_equal(zr_map_put_cstr(d, &rc, "xs", la), ZR_OK);
  assert_int_equal(zr_list_push(d, &l3, rc), ZR_OK);
  assert_int_equal(zr_schema_infer(&l3, &s, &e), ZR_ERR_TYPE);
  assert_non_null(strstr(e.message, "element"));
  /* a field holding a nested record that conflicts across records */
  zr_value l4 = zr_list_new(d, 0);
  zr_value n1 = zr_map_new(d, 0), n2 = zr_map_new(d, 0), w1 = zr_map_new(d, 0), w2 = zr_map_new(d, 0);
  assert_int_equal(zr_map_put_cstr(d, &n1, "v", zr_bool(0)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &n2, "v", zr_cstr_ref("s")), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &w1, "n", n1), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &w2, "n", n2), ZR_OK);
  assert_int_equal(zr_list_push(d, &l4, w1), ZR_OK);
  assert_int_equal(zr_list_push(d, &l4, w2), ZR_OK);
  assert_int_equal(zr_schema_infer(&l4, &s, &e), ZR_ERR_TYPE);
  assert_non_null(strstr(e.message, "field v"));
  /* an error deep inside a record */
  zr_value deep = zr_map_new(d, 0);
  assert_int_equal(zr_map_put_cstr(d, &deep, "m", m), ZR_OK);
  assert_int_equal(zr_schema_infer(&deep, &s, &e), ZR_ERR_TYPE);
  assert_null(s);
  zr_doc_free(d);
}

static void test_unify_records(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = zr_list_new(d, 0);
  zr_value a = zr_map_new(d, 0), b = zr_map_new(d, 0), c = zr_map_new(d, 0);
  zr_value la = zr_list_new(d, 0), lb = zr_list_new(d, 0);
  assert_int_equal(zr_list_push(d, &la, zr_int(1)), ZR_OK);
  assert_int_equal(zr_list_push(d, &lb, zr_null()), ZR_OK);
  assert_int_equal(zr_list_push(d, &lb, zr_uint(2)), ZR_OK);
  zr_value na = zr_map_new(d, 0), nb = zr_map_new(d, 0);
  assert_int_equal(zr_map_put_cstr(d, &na, "p", zr_int(1)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &nb, "q", zr_cstr_ref("x")), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &a, "id", zr_int(1)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &a, "xs", la), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &a, "n", na), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &a, "gone", zr_bool(1)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &b, "id", zr_null()), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &b, "xs", lb), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &b, "n", nb), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &b, "late", zr_float(1.0)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &c, "id", zr_float32(2.0f)), ZR_OK);
  assert_int_equal(zr_list_push(d, &l, a), ZR_OK);
  assert_int_equal(zr_list_push(d, &l, b), ZR_OK);
  assert_int_equal(zr_list_push(d, &l, c), ZR_OK);
  zr_schema *s = infer_ok(&l);
  assert_int_equal(zr_schema_field_count(s), 5);
  assert_string_equal(type_of_field(s, "id"), "float64");
  assert_string_equal(type_of_field(s, "xs"), "list<float64>"); /* int64 and uint64 elements mix to float64 */
  assert_string_equal(type_of_field(s, "n"), "struct<p: int64, q: utf8>");
  assert_string_equal(type_of_field(s, "gone"), "bool");
  assert_string_equal(type_of_field(s, "late"), "float64");
  /* ids: top level first, then nested */
  for (size_t i = 0; i < 5; i++) assert_int_equal(zr_schema_field_id(s, i), (int32_t)i + 1);
  char *json = NULL;
  assert_int_equal(zr_schema_to_json(s, 0, &json, NULL), ZR_OK);
  assert_non_null(strstr(json, "\"gone\""));
  free(json);
  zr_schema_free(s);
  zr_doc_free(d);
}

/* ---- Arrow schemas made by hand ---- */
typedef struct node {
  struct ArrowSchema s;
  struct ArrowSchema *kids[2];
} node;

static void leaf(node *n, const char *fmt, const char *name, int64_t flags) {
  memset(n, 0, sizeof *n);
  n->s.format = fmt;
  n->s.name = name;
  n->s.flags = flags;
}

static zr_status infer_arrow(struct ArrowSchema *root, zr_schema **s, zr_error *e) {
  zr_doc *d = zr_doc_new(NULL);
  zr_table *t = zr_doc_alloc(d, sizeof *t, 8);
  memset(t, 0, sizeof *t);
  t->schema = *root;
  zr_value v = zr_table_value(d, t);
  zr_status st = zr_schema_infer(&v, s, e);
  zr_doc_free(d);
  return st;
}

/* Type text of a one-field struct schema whose field has Arrow format @p fmt; NULL on error (code in *st). */
static const char *one_field(const char *fmt, struct ArrowSchema *dict, zr_status *st, zr_error *e) {
  static char out[128];
  node f, r;
  leaf(&f, fmt, "f", ARROW_FLAG_NULLABLE);
  f.s.dictionary = dict;
  leaf(&r, "+s", "", 0);
  r.kids[0] = &f.s;
  r.s.n_children = 1;
  r.s.children = r.kids;
  zr_schema *s = NULL;
  zr_error_clear(e);
  *st = infer_arrow(&r.s, &s, e);
  if (*st != ZR_OK) return NULL;
  snprintf(out, sizeof out, "%s", zr_schema_field_type(s, 0));
  zr_schema_free(s);
  return out;
}

static void test_arrow_formats(void **state) {
  (void)state;
  static const struct { const char *fmt, *want; } cases[] = {
      {"n", "null"},        {"b", "bool"},          {"c", "int8"},          {"C", "uint8"},
      {"s", "int16"},       {"S", "uint16"},        {"i", "int32"},         {"I", "uint32"},
      {"l", "int64"},       {"L", "uint64"},        {"e", "float16"},       {"f", "float32"},
      {"g", "float64"},     {"u", "utf8"},          {"U", "utf8"},          {"vu", "utf8"},
      {"z", "binary"},      {"Z", "binary"},        {"w:4", "binary"},      {"vz", "binary"},
      {"d:10,2", "decimal(10,2)"}, {"d:7", "decimal(7,0)"}, {"tdD", "date"},  {"tDs", "duration(s)"},
      {"tts", "time(s)"},   {"ttm", "time(ms)"},    {"tsu:", "timestamp(us)"}, {"tsn:Europe/Paris", "timestamp(ns, Europe/Paris)"},
      {"tDx", "duration(us)"}, {"tiM", "duration(us)"},
  };
  zr_error e;
  zr_status st;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = one_field(cases[i].fmt, NULL, &st, &e);
    if (!got) fail_msg("%s: %s", cases[i].fmt, e.message);
    assert_string_equal(got, cases[i].want);
  }
  /* dictionary-encoded utf8 with each index width */
  node dv;
  leaf(&dv, "u", NULL, 0);
  static const struct { const char *fmt, *want; } dicts[] = {
      {"c", "dictionary<utf8, int8>"},   {"C", "dictionary<utf8, uint8>"},  {"s", "dictionary<utf8, int16>"},
      {"S", "dictionary<utf8, uint16>"}, {"i", "dictionary<utf8, int32>"},  {"I", "dictionary<utf8, uint32>"},
      {"l", "dictionary<utf8, int64>"},  {"L", "dictionary<utf8, uint64>"},
  };
  for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++) {
    const char *got = one_field(dicts[i].fmt, &dv.s, &st, &e);
    assert_non_null(got);
    assert_string_equal(got, dicts[i].want);
  }
  /* errors */
  assert_null(one_field("d", NULL, &st, &e));
  assert_int_equal(st, ZR_ERR_MALFORMED);
  assert_non_null(strstr(e.message, "bad decimal format"));
  assert_null(one_field("x", NULL, &st, &e));
  assert_int_equal(st, ZR_ERR_UNSUPPORTED);
  assert_non_null(strstr(e.message, "Arrow type x"));
  assert_null(one_field("+ud:0,1", NULL, &st, &e)); /* union */
  assert_int_equal(st, ZR_ERR_UNSUPPORTED);
  assert_null(one_field("+l", NULL, &st, &e)); /* a list without its child */
  assert_int_equal(st, ZR_ERR_UNSUPPORTED);
}

static void test_arrow_nested(void **state) {
  (void)state;
  /* struct<xs: list<int32>, m: map<utf8, float64>, s: struct<a: bool>, big: list<large>> */
  node item, xs, k, v, ent, m, a, st_, root, lg_item, lg;
  leaf(&item, "i", "item", ARROW_FLAG_NULLABLE);
  leaf(&xs, "+l", "xs", ARROW_FLAG_NULLABLE);
  xs.kids[0] = &item.s;
  xs.s.n_children = 1;
  xs.s.children = xs.kids;
  leaf(&k, "u", "key", 0);
  leaf(&v, "g", "value", ARROW_FLAG_NULLABLE);
  leaf(&ent, "+s", "entries", 0);
  ent.kids[0] = &k.s;
  ent.kids[1] = &v.s;
  ent.s.n_children = 2;
  ent.s.children = ent.kids;
  leaf(&m, "+m", "m", 0);
  m.kids[0] = &ent.s;
  m.s.n_children = 1;
  m.s.children = m.kids;
  leaf(&a, "b", NULL, 0); /* a field without a name */
  leaf(&st_, "+s", "s", 0);
  st_.kids[0] = &a.s;
  st_.s.n_children = 1;
  st_.s.children = st_.kids;
  leaf(&lg_item, "l", "item", 0);
  leaf(&lg, "+L", "big", 0);
  lg.kids[0] = &lg_item.s;
  lg.s.n_children = 1;
  lg.s.children = lg.kids;
  struct ArrowSchema *kids[4] = {&xs.s, &m.s, &st_.s, &lg.s};
  leaf(&root, "+s", NULL, 0);
  root.s.n_children = 4;
  root.s.children = kids;
  zr_schema *s = NULL;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(infer_arrow(&root.s, &s, &e), ZR_OK);
  assert_int_equal(zr_schema_field_count(s), 4);
  assert_string_equal(zr_schema_field_type(s, 0), "list<int32>");
  assert_string_equal(zr_schema_field_type(s, 1), "map<utf8, float64>");
  assert_string_equal(zr_schema_field_type(s, 2), "struct<: bool>");
  assert_string_equal(zr_schema_field_type(s, 3), "list<int64>");
  for (size_t i = 0; i < 4; i++) assert_int_equal(zr_schema_field_id(s, i), (int32_t)i + 1);
  zr_schema_free(s);

  /* an unsupported type inside a list, a map and a struct fails the whole inference */
  leaf(&item, "x", "item", 0);
  assert_int_equal(infer_arrow(&root.s, &s, &e), ZR_ERR_UNSUPPORTED);
  leaf(&item, "i", "item", 0);
  leaf(&v, "x", "value", 0);
  assert_int_equal(infer_arrow(&root.s, &s, &e), ZR_ERR_UNSUPPORTED);
  leaf(&v, "g", "value", 0);
  leaf(&a, "x", "a", 0);
  assert_int_equal(infer_arrow(&root.s, &s, &e), ZR_ERR_UNSUPPORTED);

  /* a table whose schema is not a struct */
  node flat;
  leaf(&flat, "l", "x", 0);
  assert_int_equal(infer_arrow(&flat.s, &s, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "a table schema is a struct");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_value_kind), cmocka_unit_test(test_tensor_dtypes),
      cmocka_unit_test(test_errors),           cmocka_unit_test(test_unify_records),
      cmocka_unit_test(test_arrow_formats),    cmocka_unit_test(test_arrow_nested),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
