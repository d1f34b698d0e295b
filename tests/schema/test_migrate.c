#include <stdio.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zerial/binary.h"
#include "zerial/schema.h"
#include "zr_test.h"

static zr_schema *P(const char *json) {
  zr_schema *s = NULL;
  zr_error e;
  if (zr_schema_parse(json, strlen(json), &s, &e) != ZR_OK) fail_msg("parse: %s at %s", e.message, e.path);
  return s;
}

static zr_doc *J(const char *json) {
  zr_doc *d = NULL;
  zr_error e;
  if (zr_value_from_json(json, strlen(json), 0, NULL, &d, &e) != ZR_OK) fail_msg("json: %s", e.message);
  return d;
}

#define V1 "{\"fields\":[{\"id\":1,\"name\":\"id\",\"type\":\"int32\"},{\"id\":2,\"name\":\"name\",\"type\":\"utf8\"}]}"
/* v2: id widened, name renamed to full_name (same id), score added with a default */
#define V2                                                                                                             \
  "{\"fields\":[{\"id\":1,\"name\":\"id\",\"type\":\"int64\"},{\"id\":2,\"name\":\"full_name\",\"type\":\"utf8\"},"   \
  "{\"id\":3,\"name\":\"score\",\"type\":\"float64\",\"initial-default\":0.5}]}"
/* v3: score widened? (already f64), email added nullable, full_name renamed again via alias only */
#define V3                                                                                                             \
  "{\"fields\":[{\"id\":1,\"name\":\"id\",\"type\":\"int64\"},{\"id\":2,\"name\":\"display\",\"aliases\":[\"full_name\"],"  \
  "\"type\":\"utf8\"},{\"id\":3,\"name\":\"score\",\"type\":\"float64\",\"initial-default\":0.5},"                          \
  "{\"id\":4,\"name\":\"email\",\"type\":\"utf8\",\"nullable\":true},"                                                    \
  "{\"id\":5,\"name\":\"tags\",\"type\":{\"type\":\"list\",\"element-id\":6,\"element\":\"utf8\"},\"initial-default\":[\"new\"]}]}"

static void expect_json(const zr_value *v, const char *json) {
  zr_doc *d = J(json);
  if (!zr_value_equal(v, zr_doc_root(d))) {
    zr_sink *s;
    zr_sink_memory_new(NULL, &s, NULL);
    zr_value_to_json(v, 0, s, NULL);
    zr_sink_write(s, "", 1, NULL);
    const uint8_t *p;
    size_t n;
    zr_sink_memory_data(s, &p, &n);
    fail_msg("got %s\nwant %s", (const char *)p, json);
  }
  zr_doc_free(d);
}

static void test_chain(void **state) {
  (void)state;
  zr_schema *v1 = P(V1), *v2 = P(V2), *v3 = P(V3);
  /* the chain is backward compatible step by step and transitively */
  const zr_schema *h[2] = {v1, v2};
  zr_compat_report *r = NULL;
  assert_int_equal(zr_schema_check(v3, h, 2, ZR_COMPAT_BACKWARD_TRANSITIVE, "users", &r, NULL), ZR_OK);
  if (zr_compat_report_count(r)) fail_msg("%s", zr_compat_report_text(r));
  zr_compat_report_free(r);

  zr_doc *out = zr_doc_new(NULL);
  zr_value m;
  zr_error e;
  zr_error_clear(&e);
  /* v1 data read as v3 */
  zr_doc *d1 = J("[{\"id\":7,\"name\":\"Ann\"},{\"id\":8,\"name\":\"Bob\"}]");
  assert_int_equal(zr_schema_migrate(out, zr_doc_root(d1), v1, v3, &m, &e), ZR_OK);
  expect_json(&m, "[{\"id\":7,\"display\":\"Ann\",\"score\":0.5,\"email\":null,\"tags\":[\"new\"]},"
                  "{\"id\":8,\"display\":\"Bob\",\"score\":0.5,\"email\":null,\"tags\":[\"new\"]}]");
  /* the same v1 data after a trip through the binary format */
  {
    zr_sink *sink;
    assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
    assert_int_equal(zr_binary_encode(zr_doc_root(d1), NULL, sink, &e), ZR_OK);
    const uint8_t *bytes;
    size_t blen;
    zr_sink_memory_data(sink, &bytes, &blen);
    zr_doc *bd = NULL;
    assert_int_equal(zr_binary_decode(bytes, blen, NULL, &bd, &e), ZR_OK);
    zr_value mb;
    assert_int_equal(zr_schema_migrate(out, zr_doc_root(bd), v1, v3, &mb, &e), ZR_OK);
    assert_true(zr_value_equal(&mb, &m));
    zr_doc_free(bd);
    zr_sink_free(sink);
  }
  /* v2 data read as v3 */
  zr_doc *d2 = J("{\"id\":9,\"full_name\":\"Cy\",\"score\":2}");
  assert_int_equal(zr_schema_migrate(out, zr_doc_root(d2), v2, v3, &m, &e), ZR_OK);
  expect_json(&m, "{\"id\":9,\"display\":\"Cy\",\"score\":2.0,\"email\":null,\"tags\":[\"new\"]}");
  /* v3 data read as v1 (forward, narrowing id): range-checked */
  zr_doc *d3 = J("{\"id\":9000000000,\"display\":\"Dee\",\"score\":1.5,\"tags\":[]}");
  assert_int_equal(zr_schema_migrate(out, zr_doc_root(d3), v3, v1, &m, &e), ZR_ERR_RANGE);
  assert_string_equal(e.path, "$.id");
  zr_doc *d4 = J("{\"id\":12,\"display\":\"Dee\",\"score\":1.5,\"tags\":[]}");
  assert_int_equal(zr_schema_migrate(out, zr_doc_root(d4), v3, v1, &m, &e), ZR_OK);
  expect_json(&m, "{\"id\":12,\"name\":\"Dee\"}");
  /* a required field missing in the data */
  zr_doc *d5 = J("{\"name\":\"x\"}");
  assert_int_equal(zr_schema_migrate(out, zr_doc_root(d5), v1, v3, &m, &e), ZR_ERR_TYPE);
  assert_string_equal(e.path, "$.id");
  zr_doc_free(d1);
  zr_doc_free(d2);
  zr_doc_free(d3);
  zr_doc_free(d4);
  zr_doc_free(d5);
  zr_doc_free(out);
  zr_schema_free(v1);
  zr_schema_free(v2);
  zr_schema_free(v3);
}

static void test_infer(void **state) {
  (void)state;
  zr_doc *d = J("[{\"id\":1,\"name\":\"a\",\"score\":1,\"tags\":[\"x\"],\"geo\":{\"lat\":1.5}},"
                "{\"id\":2,\"name\":null,\"score\":2.5,\"tags\":[],\"geo\":{\"lat\":2.5,\"lon\":3.5},\"extra\":true}]");
  zr_schema *s;
  zr_error e;
  assert_int_equal(zr_schema_infer(zr_doc_root(d), &s, &e), ZR_OK);
  char *js;
  assert_int_equal(zr_schema_canonical(s, &js, NULL), ZR_OK);
  assert_int_equal(zr_schema_field_count(s), 6);
  assert_string_equal(zr_schema_field_name(s, 0), "id");
  assert_string_equal(zr_schema_field_type(s, 0), "int64");
  assert_string_equal(zr_schema_field_type(s, 1), "utf8");
  assert_string_equal(zr_schema_field_type(s, 2), "float64"); /* mixed int/float */
  assert_string_equal(zr_schema_field_type(s, 3), "list<utf8>");
  assert_string_equal(zr_schema_field_type(s, 4), "struct<lat: float64, lon: float64>");
  assert_non_null(strstr(js, "\"name\":\"name\",\"nullable\":true"));
  assert_non_null(strstr(js, "\"name\":\"extra\",\"nullable\":true"));
  /* the data migrates into its own inferred schema unchanged in meaning */
  zr_doc *out = zr_doc_new(NULL);
  zr_value m;
  assert_int_equal(zr_schema_migrate(out, zr_doc_root(d), s, s, &m, &e), ZR_OK);
  assert_int_equal(zr_len(&m), 2);
  zr_free(js);
  zr_schema_free(s);
  zr_doc_free(out);
  zr_doc_free(d);
  zr_doc *bad = J("[1,2]");
  assert_int_equal(zr_schema_infer(zr_doc_root(bad), &s, &e), ZR_ERR_TYPE);
  zr_doc_free(bad);
}

static void test_table(void **state) {
  (void)state;
  zr_schema *v1 = P(V1), *v3 = P(V3);
  zr_doc *d1 = J("[{\"id\":7,\"name\":\"Ann\"},{\"id\":8,\"name\":\"Bob\"}]");
  zr_table t, m;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(zr_arrow_from_value(zr_doc_root(d1), NULL, &t, NULL, &e), ZR_OK);
  assert_int_equal(zr_schema_migrate_table(&t, v1, v3, &m, &e), ZR_OK);
  assert_int_equal(zr_table_num_rows(&m), 2);
  zr_doc *back = zr_doc_new(NULL);
  zr_value rows;
  assert_int_equal(zr_arrow_to_value(&m, back, &rows, &e), ZR_OK);
  assert_int_equal(zr_len(&rows), 2);
  const zr_value *disp = zr_map_get(zr_item(&rows, 1), "display", 7);
  assert_non_null(disp);
  assert_int_equal(disp->n.len, 3);
  assert_memory_equal(disp->u.str, "Bob", 3);
  const zr_value *score = zr_map_get(zr_item(&rows, 0), "score", 5);
  assert_non_null(score);
  assert_true(score->kind == ZR_KIND_FLOAT && score->u.f == 0.5);
  zr_table_release(&t);
  zr_table_release(&m);
  zr_doc_free(back);
  zr_doc_free(d1);
  zr_schema_free(v1);
  zr_schema_free(v3);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_chain), cmocka_unit_test(test_infer), cmocka_unit_test(test_table)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
