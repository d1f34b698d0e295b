/* Coverage: migration on read, one reader type at a time: range checks, unit conversion, errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/schema.h"
#include "zr_test.h"

static zr_schema *field_schema(const char *type_json, const char *extra) {
  char buf[512];
  snprintf(buf, sizeof buf, "{\"fields\":[{\"id\":1,\"name\":\"f\",\"type\":%s%s}]}", type_json, extra ? extra : "");
  zr_schema *s = NULL;
  zr_error e;
  if (zr_schema_parse(buf, strlen(buf), &s, &e) != ZR_OK) fail_msg("parse %s: %s", buf, e.message);
  return s;
}

/* Migrate {"f": v} into a reader whose field f has type @p type_json. */
static zr_status mig1(zr_doc *d, const char *type_json, zr_value v, zr_value *out, zr_error *e) {
  zr_schema *s = field_schema(type_json, NULL);
  zr_value r = zr_map_new(d, 1);
  assert_int_equal(zr_map_put_cstr(d, &r, "f", v), ZR_OK);
  zr_value res;
  zr_error_clear(e);
  zr_status st = zr_schema_migrate(d, &r, NULL, s, &res, e);
  if (st == ZR_OK) {
    const zr_value *f = zr_map_get(&res, "f", 1);
    assert_non_null(f);
    *out = *f;
  }
  zr_schema_free(s);
  return st;
}

static void test_integers(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value o;
  zr_error e;
  assert_int_equal(mig1(d, "\"int8\"", zr_int(127), &o, &e), ZR_OK);
  assert_int_equal(o.kind, ZR_KIND_INT);
  assert_int_equal(o.u.i, 127);
  assert_int_equal(mig1(d, "\"int8\"", zr_int(128), &o, &e), ZR_ERR_RANGE);
  assert_string_equal(e.message, "value does not fit int8 at $.f");
  assert_string_equal(e.path, "$.f");
  assert_int_equal(mig1(d, "\"int16\"", zr_int(-32769), &o, &e), ZR_ERR_RANGE);
  assert_int_equal(mig1(d, "\"uint8\"", zr_int(-1), &o, &e), ZR_ERR_RANGE);
  assert_int_equal(mig1(d, "\"uint8\"", zr_int(256), &o, &e), ZR_ERR_RANGE);
  assert_int_equal(mig1(d, "\"uint64\"", zr_int(5), &o, &e), ZR_OK);
  assert_int_equal(o.kind, ZR_KIND_UINT);
  assert_int_equal(o.u.u, 5);
  assert_int_equal(mig1(d, "\"uint16\"", zr_uint(65535), &o, &e), ZR_OK);
  assert_int_equal(o.u.u, 65535);
  assert_int_equal(mig1(d, "\"uint16\"", zr_uint(65536), &o, &e), ZR_ERR_RANGE);
  assert_int_equal(mig1(d, "\"int64\"", zr_uint(UINT64_C(1) << 63), &o, &e), ZR_ERR_RANGE);
  assert_int_equal(mig1(d, "\"int32\"", zr_uint(42), &o, &e), ZR_OK);
  assert_int_equal(o.kind, ZR_KIND_INT);
  assert_int_equal(o.u.i, 42);
  assert_int_equal(mig1(d, "\"int32\"", zr_cstr_ref("7"), &o, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "expected an integer for int32 at $.f");
  zr_doc_free(d);
}

static void test_floats(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value o;
  zr_error e;
  assert_int_equal(mig1(d, "\"float64\"", zr_int(-3), &o, &e), ZR_OK);
  assert_true(o.kind == ZR_KIND_FLOAT && o.u.f == -3.0);
  assert_int_equal(mig1(d, "\"float32\"", zr_uint(8), &o, &e), ZR_OK);
  assert_true(o.kind == ZR_KIND_FLOAT && o.u.f == 8.0 && (o.flags & ZR_VF_F32));
  assert_int_equal(mig1(d, "\"float32\"", zr_float(1e39), &o, &e), ZR_ERR_RANGE);
  assert_string_equal(e.message, "value does not fit float32 at $.f");
  assert_int_equal(mig1(d, "\"float16\"", zr_float(70000.0), &o, &e), ZR_ERR_RANGE);
  assert_int_equal(mig1(d, "\"float16\"", zr_float(1.5), &o, &e), ZR_OK);
  assert_true(o.u.f == 1.5);
  assert_int_equal(mig1(d, "\"float32\"", zr_float(INFINITY), &o, &e), ZR_OK); /* infinities fit */
  assert_int_equal(mig1(d, "\"float64\"", zr_bool(1), &o, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "expected a number for float64 at $.f");
  zr_doc_free(d);
}

static void test_timestamps(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value o;
  zr_error e;
  const char *ts_s = "{\"type\":\"timestamp\",\"unit\":\"s\"}";
  const char *ts_ns_utc = "{\"type\":\"timestamp\",\"unit\":\"ns\",\"tz\":\"UTC\"}";
  /* a bare count is taken in the reader's unit */
  assert_int_equal(mig1(d, ts_ns_utc, zr_int(12), &o, &e), ZR_OK);
  assert_int_equal(o.kind, ZR_KIND_TIMESTAMP);
  assert_int_equal(o.u.i, 12);
  assert_int_equal(o.aux16, ZR_TU_NANO);
  assert_string_equal(o.n.tz, "UTC");
  /* ms → s exact and lossy */
  assert_int_equal(mig1(d, ts_s, zr_timestamp(d, 2000, ZR_TU_MILLI, NULL), &o, &e), ZR_OK);
  assert_int_equal(o.u.i, 2);
  assert_int_equal(o.aux16, ZR_TU_SECOND);
  assert_int_equal(mig1(d, ts_s, zr_timestamp(d, 1500, ZR_TU_MILLI, NULL), &o, &e), ZR_ERR_LOSSY);
  assert_string_equal(e.message, "timestamp loses precision in unit s at $.f");
  /* s → ns widens, and overflows */
  assert_int_equal(mig1(d, ts_ns_utc, zr_timestamp(d, 3, ZR_TU_SECOND, NULL), &o, &e), ZR_OK);
  assert_int_equal(o.u.i, 3000000000LL);
  assert_int_equal(mig1(d, ts_ns_utc, zr_timestamp(d, INT64_MAX / 10, ZR_TU_SECOND, NULL), &o, &e), ZR_ERR_RANGE);
  assert_string_equal(e.message, "timestamp out of range for unit ns at $.f");
  /* dates widen to timestamps, and can overflow */
  assert_int_equal(mig1(d, ts_s, zr_timestamp(d, 2, ZR_TU_DAY, NULL), &o, &e), ZR_OK);
  assert_int_equal(o.u.i, 2 * 86400);
  assert_int_equal(mig1(d, ts_s, zr_timestamp(d, INT64_MAX / 2, ZR_TU_DAY, NULL), &o, &e), ZR_ERR_RANGE);
  assert_string_equal(e.message, "date out of range at $.f");
  /* units without a fixed length in seconds */
  assert_int_equal(mig1(d, ts_s, zr_timestamp(d, 1, ZR_TU_HOUR, NULL), &o, &e), ZR_ERR_UNSUPPORTED);
  assert_int_equal(mig1(d, ts_s, zr_cstr_ref("2020-01-01"), &o, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "expected a timestamp at $.f");
  zr_doc_free(d);
}

static void test_scalars(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value o;
  zr_error e;
  assert_int_equal(mig1(d, "\"null\"", zr_int(1), &o, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "a null field holds only nulls at $.f");
  assert_int_equal(mig1(d, "\"bool\"", zr_int(1), &o, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "expected a bool at $.f");
  assert_int_equal(mig1(d, "\"bool\"", zr_bool(1), &o, &e), ZR_OK);
  assert_true(o.kind == ZR_KIND_BOOL && o.u.b);
  /* utf8 from valid and invalid binary, from a symbol, not from an int */
  assert_int_equal(mig1(d, "\"utf8\"", zr_bin_ref("ok", 2), &o, &e), ZR_OK);
  assert_int_equal(o.kind, ZR_KIND_STRING);
  assert_memory_equal(o.u.str, "ok", 2);
  assert_int_equal(mig1(d, "\"utf8\"", zr_bin_ref("\xff\xfe", 2), &o, &e), ZR_ERR_UTF8);
  assert_string_equal(e.message, "binary is not UTF-8 at $.f");
  assert_int_equal(mig1(d, "\"utf8\"", zr_sym_ref("atom", 4), &o, &e), ZR_OK);
  assert_int_equal(o.kind, ZR_KIND_STRING);
  assert_int_equal(mig1(d, "{\"type\":\"dictionary\",\"value\":\"utf8\",\"index\":\"int8\"}", zr_cstr_ref("x"), &o, &e), ZR_OK);
  assert_int_equal(o.kind, ZR_KIND_STRING);
  assert_int_equal(mig1(d, "\"utf8\"", zr_int(1), &o, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "expected a string at $.f");
  /* binary from a string, not from a float */
  assert_int_equal(mig1(d, "\"binary\"", zr_cstr_ref("ab"), &o, &e), ZR_OK);
  assert_int_equal(o.kind, ZR_KIND_BINARY);
  assert_int_equal(mig1(d, "\"binary\"", zr_float(1), &o, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "expected bytes at $.f");
  /* decimal and date values are carried as they are */
  assert_int_equal(mig1(d, "{\"type\":\"decimal\",\"precision\":10,\"scale\":2}", zr_int(1234), &o, &e), ZR_OK);
  assert_true(o.kind == ZR_KIND_INT && o.u.i == 1234);
  assert_int_equal(mig1(d, "\"date\"", zr_timestamp(d, 3, ZR_TU_DAY, NULL), &o, &e), ZR_OK);
  assert_int_equal(o.kind, ZR_KIND_TIMESTAMP);
  zr_doc_free(d);
}

static void test_lists_and_maps(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value o;
  zr_error e;
  const char *lst = "{\"type\":\"list\",\"element-id\":2,\"element\":\"int16\"}";
  const char *lst_n = "{\"type\":\"list\",\"element-id\":2,\"element\":\"int16\",\"element-nullable\":true}";
  zr_value t = zr_tuple_new(d, 0);
  assert_int_equal(zr_list_push(d, &t, zr_int(1)), ZR_OK);
  assert_int_equal(zr_list_push(d, &t, zr_uint(2)), ZR_OK);
  assert_int_equal(mig1(d, lst, t, &o, &e), ZR_OK);
  assert_int_equal(o.kind, ZR_KIND_LIST);
  assert_int_equal(o.n.len, 2);
  assert_int_equal(o.u.items[1].kind, ZR_KIND_INT);
  assert_int_equal(mig1(d, lst, zr_int(1), &o, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "expected a list at $.f");
  zr_value withnull = zr_list_new(d, 0);
  assert_int_equal(zr_list_push(d, &withnull, zr_int(1)), ZR_OK);
  assert_int_equal(zr_list_push(d, &withnull, zr_null()), ZR_OK);
  assert_int_equal(mig1(d, lst, withnull, &o, &e), ZR_ERR_TYPE);
  assert_string_equal(e.path, "$.f[1]");
  assert_int_equal(mig1(d, lst_n, withnull, &o, &e), ZR_OK);
  assert_int_equal(o.u.items[1].kind, ZR_KIND_NULL);
  zr_value big = zr_list_new(d, 0);
  assert_int_equal(zr_list_push(d, &big, zr_int(70000)), ZR_OK);
  assert_int_equal(mig1(d, lst, big, &o, &e), ZR_ERR_RANGE);
  assert_string_equal(e.path, "$.f[0]");

  const char *mp = "{\"type\":\"map\",\"key\":\"utf8\",\"key-id\":2,\"value\":\"float32\",\"value-id\":3}";
  zr_value m = zr_map_new(d, 0);
  assert_int_equal(zr_map_put_cstr(d, &m, "a", zr_int(1)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &m, "b", zr_float(2.5)), ZR_OK);
  assert_int_equal(mig1(d, mp, m, &o, &e), ZR_OK);
  assert_int_equal(o.kind, ZR_KIND_MAP);
  assert_int_equal(o.n.len, 2);
  assert_true(o.u.members[0].val.kind == ZR_KIND_FLOAT && o.u.members[0].val.u.f == 1.0);
  assert_int_equal(mig1(d, mp, withnull, &o, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "expected a map at $.f");
  zr_value bad = zr_map_new(d, 0);
  assert_int_equal(zr_map_put_cstr(d, &bad, "k", zr_cstr_ref("x")), ZR_OK);
  assert_int_equal(mig1(d, mp, bad, &o, &e), ZR_ERR_TYPE);
  assert_non_null(strstr(e.path, "k"));
  zr_doc_free(d);
}

static void test_records(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_error e;
  zr_error_clear(&e);
  zr_value out;
  /* a nested struct whose record is not a map */
  zr_value o;
  const char *st = "{\"type\":\"struct\",\"fields\":[{\"id\":2,\"name\":\"a\",\"type\":\"int8\"}]}";
  assert_int_equal(mig1(d, st, zr_int(1), &o, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "expected a record (map) at $.f");
  /* a required field that is null takes its initial default; without one it fails */
  zr_schema *def = field_schema("\"int32\"", ",\"initial-default\":9");
  zr_value r = zr_map_new(d, 0);
  assert_int_equal(zr_map_put_cstr(d, &r, "f", zr_null()), ZR_OK);
  assert_int_equal(zr_schema_migrate(d, &r, NULL, def, &out, &e), ZR_OK);
  const zr_value *f = zr_map_get(&out, "f", 1);
  assert_true(f && f->kind == ZR_KIND_INT && f->u.i == 9);
  zr_schema_free(def);
  zr_schema *req = field_schema("\"int32\"", NULL);
  assert_int_equal(zr_schema_migrate(d, &r, NULL, req, &out, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "required field f is missing or null at $.f");
  /* a nullable field keeps the null */
  zr_schema *nul = field_schema("\"int32\"", ",\"nullable\":true");
  assert_int_equal(zr_schema_migrate(d, &r, NULL, nul, &out, &e), ZR_OK);
  assert_int_equal(zr_map_get(&out, "f", 1)->kind, ZR_KIND_NULL);
  zr_schema_free(nul);
  /* a default that does not fit the reader's type */
  zr_schema *baddef = field_schema("\"int8\"", ",\"initial-default\":1000");
  zr_value empty = zr_map_new(d, 0);
  assert_int_equal(zr_schema_migrate(d, &empty, NULL, baddef, &out, &e), ZR_ERR_RANGE);
  zr_schema_free(baddef);
  /* a list of records: the error names the record */
  zr_value l = zr_list_new(d, 0);
  zr_value good = zr_map_new(d, 0), wrong = zr_map_new(d, 0);
  assert_int_equal(zr_map_put_cstr(d, &good, "f", zr_int(1)), ZR_OK);
  assert_int_equal(zr_map_put_cstr(d, &wrong, "f", zr_cstr_ref("x")), ZR_OK);
  assert_int_equal(zr_list_push(d, &l, good), ZR_OK);
  assert_int_equal(zr_schema_migrate(d, &l, NULL, req, &out, &e), ZR_OK);
  assert_int_equal(out.kind, ZR_KIND_LIST);
  assert_int_equal(out.n.len, 1);
  assert_int_equal(zr_list_push(d, &l, wrong), ZR_OK);
  assert_int_equal(zr_schema_migrate(d, &l, NULL, req, &out, &e), ZR_ERR_TYPE);
  assert_string_equal(e.path, "$[1].f");
  zr_value notrec = zr_list_new(d, 0);
  assert_int_equal(zr_list_push(d, &notrec, zr_int(3)), ZR_OK);
  assert_int_equal(zr_schema_migrate(d, &notrec, NULL, req, &out, &e), ZR_ERR_TYPE);
  /* NULL arguments */
  assert_int_equal(zr_schema_migrate(NULL, &r, NULL, req, &out, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_schema_migrate(d, &r, NULL, NULL, &out, &e), ZR_ERR_INVALID_ARG);
  zr_table tout;
  assert_int_equal(zr_schema_migrate_table(NULL, NULL, req, &tout, &e), ZR_ERR_INVALID_ARG);
  zr_schema_free(req);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_integers), cmocka_unit_test(test_floats),         cmocka_unit_test(test_timestamps),
      cmocka_unit_test(test_scalars),  cmocka_unit_test(test_lists_and_maps), cmocka_unit_test(test_records),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
