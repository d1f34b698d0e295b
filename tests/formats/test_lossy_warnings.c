/* Issue 6: every format encoder reports its own lossy conversions as warnings with the value
 * path, and they surface in zr_serialize's result; strict mode turns each into an error.
 * Table-driven: one row per (format, lossy mapping). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/arrow.h"
#include "zerial/serialize.h"

typedef zr_value (*builder)(zr_doc *d);

/* @p v serialized as bare @p format (no codec, no envelope) into a new memory sink @p s (the caller
 * frees it), the result in @p r, the error (when not NULL) cleared first */
static zr_status ser_bare(zr_ctx *ctx, const zr_value *v, const char *format, int strict, zr_sink **s,
                          zr_serialize_result *r, zr_error *e) {
  assert_int_equal(zr_sink_memory_new(NULL, s, NULL), 0);
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = format;
  o.codec = "none";
  o.envelope = 0;
  o.strict = strict;
  memset(r, 0, sizeof *r);
  if (e) zr_error_clear(e);
  return zr_serialize(ctx, v, &o, *s, r, e);
}

static zr_value one(zr_doc *d, const char *k, zr_value x) {
  zr_value m = zr_map_new(d, 1);
  zr_map_put_cstr(d, &m, k, x);
  return m;
}

static zr_value b_json_int(zr_doc *d) { return one(d, "big", zr_int(INT64_C(1) << 60)); }
static zr_value b_json_uint(zr_doc *d) { return one(d, "u", zr_uint(UINT64_C(1) << 63 | 5)); }
static zr_value b_json_bigint(zr_doc *d) {
  uint8_t mag[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  zr_value l = zr_list_new(d, 2);
  zr_list_push(d, &l, zr_int(1));
  zr_list_push(d, &l, zr_bigint(d, 1, mag, sizeof mag));
  return one(d, "n", l);
}
static zr_value b_json_symbol(zr_doc *d) { return one(d, "s", zr_sym_copy(d, "ok", 2)); }
static zr_value b_json_key(zr_doc *d) {
  zr_value m = zr_map_new(d, 1);
  zr_map_put(d, &m, zr_int(7), zr_str_copy(d, "x", 1));
  return one(d, "m", m);
}

/* rows for Arrow: [{"a": 1}, {"a": 2.5}, {"a": 2^60}] */
static zr_value b_arrow_mixed(zr_doc *d) {
  zr_value rows = zr_list_new(d, 3);
  zr_list_push(d, &rows, one(d, "a", zr_int(1)));
  zr_list_push(d, &rows, one(d, "a", zr_float(2.5)));
  zr_list_push(d, &rows, one(d, "a", zr_int(INT64_C(1) << 60)));
  return rows;
}
static zr_value b_arrow_symbol(zr_doc *d) {
  zr_value rows = zr_list_new(d, 2);
  zr_list_push(d, &rows, one(d, "s", zr_str_copy(d, "text", 4)));
  zr_list_push(d, &rows, one(d, "s", zr_sym_copy(d, "atom", 4)));
  return rows;
}
static zr_value b_arrow_tuple(zr_doc *d) {
  zr_value t = zr_tuple_new(d, 2);
  zr_list_push(d, &t, zr_int(1));
  zr_list_push(d, &t, zr_int(2));
  zr_value rows = zr_list_new(d, 1);
  zr_list_push(d, &rows, one(d, "t", t));
  return rows;
}

static zr_value b_pickle_symbol(zr_doc *d) { return one(d, "s", zr_sym_copy(d, "ok", 2)); }

/* a table (through Arrow's value conversion) with a float null and a zoned timestamp column */
static zr_value table_of(zr_doc *d, zr_value rows) {
  zr_table t;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_arrow_from_value(&rows, NULL, &t, NULL, &e);
  if (st) fprintf(stderr, "from_value: %s\n", e.message);
  assert_int_equal(st, 0);
  return zr_table_value(d, &t);
}
static zr_value b_table_nan(zr_doc *d) {
  zr_value rows = zr_list_new(d, 2);
  zr_list_push(d, &rows, one(d, "x", zr_float(1.5)));
  zr_list_push(d, &rows, one(d, "x", zr_null()));
  return table_of(d, rows);
}
static zr_value b_table_tz(zr_doc *d) {
  zr_value rows = zr_list_new(d, 2);
  zr_list_push(d, &rows, one(d, "t", zr_timestamp(d, 1700000000, ZR_TU_SECOND, "Europe/Paris")));
  zr_list_push(d, &rows, one(d, "t", zr_timestamp(d, 1700000001, ZR_TU_SECOND, "Europe/Paris")));
  return table_of(d, rows);
}

static zr_value b_etf_tag(zr_doc *d) {
  zr_value t = zr_tuple_new(d, 4);
  zr_list_push(d, &t, zr_sym_copy(d, "$zerial_timestamp", 17));
  zr_list_push(d, &t, zr_int(5));
  zr_list_push(d, &t, zr_sym_copy(d, "second", 6));
  zr_list_push(d, &t, zr_sym_copy(d, "nil", 3));
  return one(d, "t", t);
}

/* list [2.5, 2^60]: npy makes one float64 array */
static zr_value b_npy_mixed(zr_doc *d) {
  zr_value l = zr_list_new(d, 2);
  zr_list_push(d, &l, zr_float(2.5));
  zr_list_push(d, &l, zr_int(INT64_C(1) << 60));
  return l;
}
/* list [-1, 2^63+5]: neither int64 nor uint64 holds both, so float64 */
static zr_value b_npy_uint_neg(zr_doc *d) {
  zr_value l = zr_list_new(d, 2);
  zr_list_push(d, &l, zr_int(-1));
  zr_list_push(d, &l, zr_uint(UINT64_C(1) << 63 | 5));
  return l;
}
/* rows [{"a": -1}, {"a": 2^63+5}] */
static zr_value b_arrow_uint_neg(zr_doc *d) {
  zr_value rows = zr_list_new(d, 2);
  zr_list_push(d, &rows, one(d, "a", zr_int(-1)));
  zr_list_push(d, &rows, one(d, "a", zr_uint(UINT64_C(1) << 63 | 5)));
  return rows;
}
static zr_value b_json_zoned_ts(zr_doc *d) { return one(d, "t", zr_timestamp(d, 1700000000, ZR_TU_SECOND, "Europe/Paris")); }
static zr_value b_json_calendar_ts(zr_doc *d) { return one(d, "t", zr_timestamp(d, 3, ZR_TU_MONTH, NULL)); }

static const struct lcase {
  const char *format;
  builder build;
  const char *message; /* substring of the warning */
  const char *path;    /* the warning's value path */
} cases[] = {
    {"json", b_json_int, "beyond 2^53", "$.big"},
    {"json", b_json_uint, "beyond 2^53", "$.u"},
    {"json", b_json_bigint, "beyond 2^53", "$.n[1]"},
    {"json", b_json_symbol, "symbol", "$.s"},
    {"json", b_json_key, "non-string key", "$.m{7}"},
    {"arrow-stream", b_arrow_mixed, "beyond 2^53", "$[2].a"},
    {"arrow-file", b_arrow_symbol, "symbol stored as a utf8 string", "$[1].s"},
    {"arrow-stream", b_arrow_tuple, "tuple stored as a list", "$[0].t"},
    {"pickle", b_pickle_symbol, "symbol written as a Python str", "$.s"},
    {"npy", b_table_nan, "null stored as NaN", "$.x[1]"},
    {"npz", b_table_tz, "time zone dropped", "$.t"},
    {"pickle", b_table_nan, "null stored as NaN", "$.x[1]"},
    {"binary", b_table_nan, "null stored as NaN", "$.x[1]"},
    {"etf", b_etf_tag, "$zerial_timestamp", "$.t"},
    /* the conversion x format matrix of docs/guides/type-mapping.md */
    {"npy", b_npy_mixed, "beyond 2^53", "$[1]"},
    {"npy", b_npy_uint_neg, "beyond 2^53", "$[1]"},
    {"arrow-stream", b_arrow_uint_neg, "beyond 2^53", "$[1].a"},
    {"json", b_json_calendar_ts, "calendar unit", "$.t"},
    {"json", b_json_zoned_ts, "time zone", "$.t"},
};

/* Invalid UTF-8 in a string value: formats whose text type requires UTF-8 refuse it with the
 * value path (ZR_ERR_UTF8, plain and strict mode alike); formats that hold bytes keep it exactly. */
static zr_value b_bad_utf8_rows(zr_doc *d) {
  zr_value rows = zr_list_new(d, 2);
  zr_list_push(d, &rows, one(d, "s", zr_str_copy(d, "ok", 2)));
  zr_list_push(d, &rows, one(d, "s", zr_str_copy(d, "a\xff", 2)));
  return rows;
}
static zr_value b_bad_utf8_sym(zr_doc *d) { return one(d, "a", zr_sym_copy(d, "x\xfe", 2)); }
/* a map key with invalid UTF-8 cannot become an Arrow field name (rows) or column name */
static zr_value b_bad_utf8_key_rows(zr_doc *d) {
  zr_value rows = zr_list_new(d, 2);
  zr_list_push(d, &rows, one(d, "s", zr_int(1)));
  zr_value m = zr_map_new(d, 1);
  zr_map_put(d, &m, zr_str_copy(d, "k\xc3", 2), zr_int(2));
  zr_list_push(d, &rows, m);
  return rows;
}
static zr_value b_bad_utf8_key_columns(zr_doc *d) {
  zr_value m = zr_map_new(d, 1);
  zr_value col = zr_list_new(d, 1);
  zr_list_push(d, &col, zr_int(1));
  zr_map_put(d, &m, zr_str_copy(d, "c\x80", 2), col);
  return m;
}
static const struct ucase {
  const char *format;
  builder build;
  const char *path;
} utf8_cases[] = {
    {"json", b_bad_utf8_rows, "$[1].s"},
    {"pickle", b_bad_utf8_rows, "$[1].s"},
    {"arrow-stream", b_bad_utf8_rows, "$[1].s"},
    {"arrow-file", b_bad_utf8_rows, "$[1].s"},
    {"etf", b_bad_utf8_sym, "$.a"}, /* an atom must be UTF-8; ETF strings are binaries (exact) */
    {"arrow-stream", b_bad_utf8_key_rows, "$[1]"},
    {"arrow-file", b_bad_utf8_key_columns, "$"},
};

static void test_invalid_utf8(void **state) {
  (void)state;
  zr_ctx *ctx;
  assert_int_equal(zr_ctx_new(NULL, &ctx, NULL), 0);
  for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
    for (int strict = 0; strict < 2; strict++) {
      zr_doc *d = zr_doc_new(NULL);
      zr_value v = utf8_cases[i].build(d);
      zr_sink *s;
      zr_serialize_result r;
      zr_error e;
      zr_status st = ser_bare(ctx, &v, utf8_cases[i].format, strict, &s, &r, &e);
      if (st != ZR_ERR_UTF8 || strcmp(e.path, utf8_cases[i].path))
        fprintf(stderr, "utf8 %s: %d %s (at %s)\n", utf8_cases[i].format, st, e.message, e.path);
      assert_int_equal(st, ZR_ERR_UTF8);
      assert_string_equal(e.path, utf8_cases[i].path);
      zr_sink_free(s);
      zr_doc_free(d);
    }
  }
  zr_ctx_free(ctx);
}

static void test_lossy_warnings(void **state) {
  (void)state;
  zr_ctx *ctx;
  assert_int_equal(zr_ctx_new(NULL, &ctx, NULL), 0);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct lcase *c = &cases[i];
    for (int strict = 0; strict < 2; strict++) {
      zr_doc *d = zr_doc_new(NULL);
      zr_value v = c->build(d);
      zr_sink *s;
      zr_serialize_result r;
      zr_error e;
      zr_status st = ser_bare(ctx, &v, c->format, strict, &s, &r, &e);
      if (!strict) {
        if (st) fprintf(stderr, "case %zu (%s): %s\n", i, c->format, e.message);
        assert_int_equal(st, 0);
        assert_string_equal(r.format, c->format);
        int found = 0;
        for (unsigned k = 0; k < r.warnings.count && k < ZR_MAX_WARNINGS; k++) {
          const zr_warning *w = &r.warnings.items[k];
          if (strstr(w->message, c->message) && !strcmp(w->path, c->path) && w->code == ZR_ERR_LOSSY) found = 1;
        }
        if (!found) {
          fprintf(stderr, "case %zu (%s): no warning '%s' at %s; got %u:\n", i, c->format, c->message, c->path,
                  r.warnings.count);
          for (unsigned k = 0; k < r.warnings.count && k < ZR_MAX_WARNINGS; k++)
            fprintf(stderr, "  %s (at %s)\n", r.warnings.items[k].message, r.warnings.items[k].path);
        }
        assert_true(found);
      } else {
        if (st != ZR_ERR_LOSSY) fprintf(stderr, "case %zu (%s) strict: %d %s\n", i, c->format, st, e.message);
        assert_int_equal(st, ZR_ERR_LOSSY);
        assert_string_equal(e.path, c->path);
      }
      zr_sink_free(s);
      zr_doc_free(d);
    }
  }
  zr_ctx_free(ctx);
}

/* Values every format holds exactly give no warning, and strict mode accepts them. */
static void test_lossless_no_warning(void **state) {
  (void)state;
  static const char *const formats[] = {"json", "binary", "pickle", "etf", "arrow-stream", "arrow-file"};
  zr_ctx *ctx;
  assert_int_equal(zr_ctx_new(NULL, &ctx, NULL), 0);
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
    zr_doc *d = zr_doc_new(NULL);
    int bytes_ok = !strcmp(formats[i], "binary") || !strcmp(formats[i], "etf");
    int bigs_ok = bytes_ok || !strcmp(formats[i], "pickle");
    zr_value rows = zr_list_new(d, 2);
    for (int r = 0; r < 2; r++) {
      zr_value m = zr_map_new(d, 8);
      assert_int_equal(zr_map_put_cstr(d, &m, "name", zr_str_copy(d, "plain text", 10)), 0);
      assert_int_equal(zr_map_put_cstr(d, &m, "n", zr_int(r + 1)), 0);
      assert_int_equal(zr_map_put_cstr(d, &m, "x", zr_float(0.5 * r)), 0);
      /* the matrix's exact cells: formats with 64-bit integers hold 2^60 and uint64 above
       * INT64_MAX in an integer column; ETF keeps atoms; binary/ETF keep arbitrary bytes; binary,
       * pickle and ETF keep bigints; ns timestamps are exact in JSON (tsn:), Arrow, ETF, binary */
      if (strcmp(formats[i], "json")) {
        assert_int_equal(zr_map_put_cstr(d, &m, "big", zr_int((INT64_C(1) << 60) + r)), 0);
        assert_int_equal(zr_map_put_cstr(d, &m, "u", zr_uint((UINT64_C(1) << 63 | 5) + (uint64_t)r)), 0);
      }
      if (bytes_ok) {
        assert_int_equal(zr_map_put_cstr(d, &m, "sym", zr_sym_copy(d, "atom", 4)), 0);
        assert_int_equal(zr_map_put_cstr(d, &m, "raw", zr_str_copy(d, "a\xff", 2)), 0);
      }
      if (bigs_ok) {
        uint8_t mag[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        assert_int_equal(zr_map_put_cstr(d, &m, "bn", zr_bigint(d, r, mag, sizeof mag)), 0);
      }
      if (strcmp(formats[i], "pickle"))
        assert_int_equal(zr_map_put_cstr(d, &m, "t", zr_timestamp(d, INT64_C(1700000000123456789) + r, ZR_TU_NANO, NULL)), 0);
      assert_int_equal(zr_list_push(d, &rows, m), 0);
    }
    zr_sink *s;
    zr_serialize_result r;
    zr_error e;
    zr_status st = ser_bare(ctx, &rows, formats[i], 1, &s, &r, &e);
    if (st || r.warnings.count)
      fprintf(stderr, "%s: status %d %s, %u warnings\n", formats[i], st, e.message, r.warnings.count);
    assert_int_equal(st, 0);
    assert_int_equal(r.warnings.count, 0);
    zr_sink_free(s);
    zr_doc_free(d);
  }
  zr_ctx_free(ctx);
}

/* Field names are kept whole (they used to be cut at 255 bytes): a 300-byte column name and a
 * 300-byte key of row maps survive Arrow write and read. */
static void test_long_field_names(void **state) {
  (void)state;
  char name[301];
  for (int i = 0; i < 300; i++) name[i] = (char)('a' + i % 26);
  name[300] = 0;
  zr_ctx *ctx;
  assert_int_equal(zr_ctx_new(NULL, &ctx, NULL), 0);
  for (int rows_form = 0; rows_form < 2; rows_form++) {
    zr_doc *d = zr_doc_new(NULL);
    zr_value v;
    if (rows_form) {
      v = zr_list_new(d, 1);
      zr_list_push(d, &v, one(d, name, zr_int(7)));
    } else {
      v = zr_map_new(d, 1);
      zr_value col = zr_list_new(d, 1);
      zr_list_push(d, &col, zr_int(7));
      zr_map_put_cstr(d, &v, name, col);
    }
    zr_sink *s;
    zr_serialize_result r;
    assert_int_equal(ser_bare(ctx, &v, "arrow-stream", 1, &s, &r, NULL), 0);
    const uint8_t *bytes;
    size_t len;
    assert_int_equal(zr_sink_memory_data(s, &bytes, &len), 0);
    zr_doc *back = NULL;
    assert_int_equal(zr_deserialize(ctx, bytes, len, NULL, &back, NULL, NULL), 0);
    const zr_value *root = zr_doc_root(back);
    assert_int_equal(root->kind, ZR_KIND_TABLE);
    const zr_table *t = root->u.table;
    assert_int_equal(t->schema.n_children, 1);
    assert_string_equal(t->schema.children[0]->name, name);
    zr_doc_free(back);
    zr_sink_free(s);
    zr_doc_free(d);
  }
  zr_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_lossy_warnings), cmocka_unit_test(test_lossless_no_warning),
                                     cmocka_unit_test(test_invalid_utf8),
                                     cmocka_unit_test(test_long_field_names)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
