#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zerial/schema.h"
#include "zr_test.h"

static zr_schema *P(const char *json) {
  zr_schema *s = NULL;
  zr_error e;
  zr_error_clear(&e);
  if (zr_schema_parse(json, strlen(json), &s, &e) != ZR_OK) fail_msg("parse failed: %s at %s", e.message, e.path);
  return s;
}

static void test_parse_canonical_fingerprint(void **state) {
  (void)state;
  zr_schema *a = P("{\"type\":\"struct\",\"doc\":\"people\",\"fields\":["
                   "{\"id\":2,\"name\":\"name\",\"type\":\"utf8\",\"doc\":\"full name\"},"
                   "{\"id\":1,\"name\":\"id\",\"type\":\"int64\"},"
                   "{\"id\":3,\"name\":\"tags\",\"type\":{\"type\":\"list\",\"element-id\":4,\"element\":\"utf8\"},\"nullable\":true},"
                   "{\"id\":5,\"name\":\"at\",\"type\":{\"type\":\"timestamp\",\"unit\":\"ms\",\"tz\":\"UTC\"}},"
                   "{\"id\":6,\"name\":\"price\",\"type\":{\"type\":\"decimal\",\"precision\":10,\"scale\":2}},"
                   "{\"id\":7,\"name\":\"m\",\"type\":{\"type\":\"map\",\"key-id\":8,\"key\":\"utf8\",\"value-id\":9,\"value\":\"float64\"}},"
                   "{\"id\":10,\"name\":\"img\",\"type\":{\"type\":\"tensor\",\"dtype\":\"float32\",\"shape\":[3,4]}},"
                   "{\"id\":11,\"name\":\"cat\",\"type\":{\"type\":\"dictionary\",\"value\":\"utf8\",\"index\":\"int16\"}}]}");
  /* same schema, other field order, no docs: same canonical form and fingerprints */
  zr_schema *b = P("{\"fields\":["
                   "{\"id\":1,\"name\":\"id\",\"type\":\"int64\"},"
                   "{\"id\":2,\"name\":\"name\",\"type\":\"utf8\"},"
                   "{\"id\":3,\"name\":\"tags\",\"type\":{\"type\":\"list\",\"element-id\":4,\"element\":\"utf8\"},\"nullable\":true},"
                   "{\"id\":5,\"name\":\"at\",\"type\":{\"type\":\"timestamp\",\"unit\":\"ms\",\"tz\":\"UTC\"}},"
                   "{\"id\":6,\"name\":\"price\",\"type\":{\"type\":\"decimal\",\"precision\":10,\"scale\":2}},"
                   "{\"id\":7,\"name\":\"m\",\"type\":{\"type\":\"map\",\"key-id\":8,\"key\":\"utf8\",\"value-id\":9,\"value\":\"float64\"}},"
                   "{\"id\":10,\"name\":\"img\",\"type\":{\"type\":\"tensor\",\"dtype\":\"float32\",\"shape\":[3,4]}},"
                   "{\"id\":11,\"name\":\"cat\",\"type\":{\"type\":\"dictionary\",\"index\":\"int16\"}}]}");
  char *ca, *cb;
  assert_int_equal(zr_schema_canonical(a, &ca, NULL), ZR_OK);
  assert_int_equal(zr_schema_canonical(b, &cb, NULL), ZR_OK);
  assert_string_equal(ca, cb);
  assert_null(strstr(ca, "doc"));
  assert_int_equal(zr_schema_fingerprint64(a), zr_schema_fingerprint64(b));
  char ha[65], hb[65];
  zr_schema_fingerprint_sha256(a, ha);
  zr_schema_fingerprint_sha256(b, hb);
  assert_string_equal(ha, hb);
  assert_int_equal(strlen(ha), 64);
  /* the full JSON form keeps docs and parses back to the same canonical form */
  char *full;
  assert_int_equal(zr_schema_to_json(a, 1, &full, NULL), ZR_OK);
  assert_non_null(strstr(full, "full name"));
  zr_schema *c = P(full);
  assert_int_equal(zr_schema_fingerprint64(c), zr_schema_fingerprint64(a));
  assert_int_equal(zr_schema_field_count(a), 8);
  assert_string_equal(zr_schema_field_type(a, 2), "list<utf8>");
  assert_string_equal(zr_schema_field_type(a, 3), "timestamp(ms, UTC)");
  assert_string_equal(zr_schema_field_type(a, 6), "tensor<float32>[3,4]");
  /* a change of type changes the fingerprint */
  zr_schema *d = P("{\"fields\":[{\"id\":1,\"name\":\"id\",\"type\":\"int32\"}]}");
  assert_int_not_equal(zr_schema_fingerprint64(d), zr_schema_fingerprint64(a));
  zr_free(ca);
  zr_free(cb);
  zr_free(full);
  zr_schema_free(a);
  zr_schema_free(b);
  zr_schema_free(c);
  zr_schema_free(d);
  /* CRC-64-AVRO of the empty input is the EMPTY constant of the Avro specification */
  assert_true(zr_crc64_avro("", 0) == UINT64_C(0xc15d213aa4d7a795));
}

static void test_parse_errors(void **state) {
  (void)state;
  struct {
    const char *json, *path;
  } cases[] = {
      {"{\"fields\":[{\"name\":\"a\",\"type\":\"int33\"}]}", "$.fields[0].type"},
      {"{\"fields\":[{\"name\":\"a\"}]}", "$.fields[0]"},
      {"{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int8\"},{\"id\":1,\"name\":\"b\",\"type\":\"int8\"}]}", "$.fields[1]"},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"decimal\",\"precision\":0}}]}", "$.fields[0].type"},
      {"{\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"list\"}}]}", "$.fields[0].type"},
      {"\"int8\"", "$"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    zr_schema *s = NULL;
    zr_error e;
    zr_error_clear(&e);
    assert_int_equal(zr_schema_parse(cases[i].json, strlen(cases[i].json), &s, &e), ZR_ERR_MALFORMED);
    assert_string_equal(e.path, cases[i].path);
    assert_null(s);
  }
  zr_schema *s = NULL;
  zr_error e;
  assert_int_equal(zr_schema_parse("{not json", 9, &s, &e), ZR_ERR_MALFORMED);
}

/* The rule table of docs/formats/schema.md, row by row: old → new, is BACKWARD ok, is FORWARD ok,
 * and the rule code expected where one fails. */
typedef struct rule_case {
  const char *what;
  const char *old_fields, *new_fields;
  int back_ok, fwd_ok;
  const char *rule;
} rule_case;

#define F(x) "{\"fields\":[" x "]}"
static const rule_case rules[] = {
    {"add nullable", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"},{\"id\":2,\"name\":\"b\",\"type\":\"utf8\",\"nullable\":true}"), 1, 1, NULL},
    {"add with default", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"},{\"id\":2,\"name\":\"b\",\"type\":\"utf8\",\"initial-default\":\"x\"}"), 1, 1, NULL},
    {"add required no default", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"},{\"id\":2,\"name\":\"b\",\"type\":\"utf8\"}"), 0, 1, "READER_FIELD_MISSING_DEFAULT"},
    {"remove nullable", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"},{\"id\":2,\"name\":\"b\",\"type\":\"utf8\",\"nullable\":true}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"), 1, 1, NULL},
    {"remove required", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"},{\"id\":2,\"name\":\"b\",\"type\":\"utf8\"}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"), 1, 0, "READER_FIELD_MISSING_DEFAULT"},
    {"rename same id", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"), F("{\"id\":1,\"name\":\"alpha\",\"type\":\"int32\"}"), 1, 1, NULL},
    {"rename via alias", F("{\"name\":\"a\",\"type\":\"int32\"}"), F("{\"name\":\"alpha\",\"aliases\":[\"a\"],\"type\":\"int32\"}"), 1, 1, NULL},
    {"reorder", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"},{\"id\":2,\"name\":\"b\",\"type\":\"utf8\"}"),
     F("{\"id\":2,\"name\":\"b\",\"type\":\"utf8\"},{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"), 1, 1, NULL},
    {"required to nullable", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\",\"nullable\":true}"),
     1, 0, "READER_REQUIRED_WRITER_NULLABLE"},
    {"nullable to required", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\",\"nullable\":true}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"),
     0, 1, "READER_REQUIRED_WRITER_NULLABLE"},
    {"change write default", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\",\"write-default\":1}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\",\"write-default\":2}"), 1, 1, NULL},
    {"change initial default", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\",\"initial-default\":1}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\",\"initial-default\":2}"), 0, 0, "INITIAL_DEFAULT_CHANGED"},
    {"change doc", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\",\"doc\":\"x\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\",\"doc\":\"y\"}"), 1, 1, NULL},
    {"struct to primitive", F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"struct\",\"fields\":[{\"id\":2,\"name\":\"x\",\"type\":\"int8\"}]}}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":\"int8\"}"), 0, 0, "TYPE_STRUCTURE_CHANGED"},
    {"list to scalar", F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"list\",\"element\":\"int8\"}}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"int8\"}"),
     0, 0, "TYPE_STRUCTURE_CHANGED"},
    {"move into struct",
     F("{\"id\":1,\"name\":\"a\",\"type\":\"int8\"},{\"id\":2,\"name\":\"s\",\"type\":{\"type\":\"struct\",\"fields\":[{\"id\":3,\"name\":\"x\",\"type\":\"int8\"}]}}"),
     F("{\"id\":2,\"name\":\"s\",\"type\":{\"type\":\"struct\",\"fields\":[{\"id\":3,\"name\":\"x\",\"type\":\"int8\"},{\"id\":1,\"name\":\"a\",\"type\":\"int8\"}]}}"),
     0, 0, "FIELD_MOVED"},
    {"null to int", F("{\"id\":1,\"name\":\"a\",\"type\":\"null\",\"nullable\":true}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\",\"nullable\":true}"),
     1, 0, "TYPE_MISMATCH"},
    {"int32 to int64", F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"int64\"}"), 1, 0, "TYPE_NARROWING"},
    {"int64 to int32", F("{\"id\":1,\"name\":\"a\",\"type\":\"int64\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"), 0, 1, "TYPE_NARROWING"},
    {"uint16 to int32", F("{\"id\":1,\"name\":\"a\",\"type\":\"uint16\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"), 1, 0, "TYPE_NARROWING"},
    {"uint32 to int32", F("{\"id\":1,\"name\":\"a\",\"type\":\"uint32\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"), 0, 0, "TYPE_NARROWING"},
    {"int16 to float32", F("{\"id\":1,\"name\":\"a\",\"type\":\"int16\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"float32\"}"), 1, 0, "TYPE_NARROWING"},
    {"int64 to float64", F("{\"id\":1,\"name\":\"a\",\"type\":\"int64\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"float64\"}"), 1, 0, "TYPE_NARROWING"},
    {"float16 to float64", F("{\"id\":1,\"name\":\"a\",\"type\":\"float16\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"float64\"}"), 1, 0, "TYPE_NARROWING"},
    {"bool to int", F("{\"id\":1,\"name\":\"a\",\"type\":\"bool\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"int8\"}"), 0, 0, "TYPE_MISMATCH"},
    {"utf8 to binary", F("{\"id\":1,\"name\":\"a\",\"type\":\"utf8\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":\"binary\"}"), 1, 0, "TYPE_NARROWING"},
    {"date to timestamp", F("{\"id\":1,\"name\":\"a\",\"type\":\"date\"}"), F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"timestamp\",\"unit\":\"us\"}}"),
     1, 0, "TYPE_NARROWING"},
    {"date to tz timestamp", F("{\"id\":1,\"name\":\"a\",\"type\":\"date\"}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"timestamp\",\"unit\":\"us\",\"tz\":\"UTC\"}}"), 0, 0, "TYPE_MISMATCH"},
    {"timestamp finer", F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"timestamp\",\"unit\":\"ms\"}}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"timestamp\",\"unit\":\"ns\"}}"), 1, 0, "TYPE_NARROWING"},
    {"timestamp tz change", F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"timestamp\",\"tz\":\"UTC\"}}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"timestamp\",\"tz\":\"Europe/Paris\"}}"), 1, 1, NULL},
    {"timestamp tz added", F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"timestamp\"}}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"timestamp\",\"tz\":\"UTC\"}}"), 0, 0, "TIMESTAMP_TZ_CHANGED"},
    {"decimal precision up", F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"decimal\",\"precision\":9,\"scale\":2}}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"decimal\",\"precision\":18,\"scale\":2}}"), 1, 0, "TYPE_NARROWING"},
    {"utf8 to dictionary", F("{\"id\":1,\"name\":\"a\",\"type\":\"utf8\"}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"dictionary\",\"index\":\"int8\"}}"), 1, 1, NULL},
    {"dictionary index width", F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"dictionary\",\"index\":\"int8\"}}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"dictionary\",\"index\":\"int32\"}}"), 1, 1, NULL},
    {"list element widening", F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"list\",\"element-id\":2,\"element\":\"int32\"}}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"list\",\"element-id\":2,\"element\":\"int64\"}}"), 1, 0, "TYPE_NARROWING"},
    {"map key change", F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"map\",\"key\":\"utf8\",\"value\":\"int8\"}}"),
     F("{\"id\":1,\"name\":\"a\",\"type\":{\"type\":\"map\",\"key\":\"int32\",\"value\":\"int8\"}}"), 0, 0, "MAP_KEY_CHANGED"},
    {"nested struct add required",
     F("{\"id\":1,\"name\":\"s\",\"type\":{\"type\":\"struct\",\"fields\":[{\"id\":2,\"name\":\"x\",\"type\":\"int8\"}]}}"),
     F("{\"id\":1,\"name\":\"s\",\"type\":{\"type\":\"struct\",\"fields\":[{\"id\":2,\"name\":\"x\",\"type\":\"int8\"},{\"id\":3,\"name\":\"y\",\"type\":\"int8\"}]}}"),
     0, 1, "READER_FIELD_MISSING_DEFAULT"},
    {"tensor shape change", F("{\"id\":1,\"name\":\"t\",\"type\":{\"type\":\"tensor\",\"dtype\":\"float32\",\"shape\":[3]}}"),
     F("{\"id\":1,\"name\":\"t\",\"type\":{\"type\":\"tensor\",\"dtype\":\"float32\",\"shape\":[4]}}"), 0, 0, "TENSOR_SHAPE_CHANGED"},
    {"tensor fixed to variable", F("{\"id\":1,\"name\":\"t\",\"type\":{\"type\":\"tensor\",\"dtype\":\"float32\",\"shape\":[3]}}"),
     F("{\"id\":1,\"name\":\"t\",\"type\":{\"type\":\"tensor\",\"dtype\":\"float32\"}}"), 1, 0, "TENSOR_SHAPE_CHANGED"},
    {"tensor dtype widening", F("{\"id\":1,\"name\":\"t\",\"type\":{\"type\":\"tensor\",\"dtype\":\"float32\"}}"),
     F("{\"id\":1,\"name\":\"t\",\"type\":{\"type\":\"tensor\",\"dtype\":\"float64\"}}"), 1, 0, "TYPE_NARROWING"},
};

static int has_rule(zr_compat_report *r, const char *rule) {
  for (size_t i = 0; i < zr_compat_report_count(r); i++)
    if (strcmp(zr_compat_report_at(r, i)->rule, rule) == 0) return 1;
  return 0;
}

static void test_rule_table(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
    const rule_case *c = &rules[i];
    zr_schema *o = P(c->old_fields), *n = P(c->new_fields);
    for (int dir = 0; dir < 2; dir++) {
      zr_compat_report *r = NULL;
      zr_compat_mode mode = dir == 0 ? ZR_COMPAT_BACKWARD : ZR_COMPAT_FORWARD;
      const zr_schema *hist[1] = {o};
      assert_int_equal(zr_schema_check(n, hist, 1, mode, "s", &r, NULL), ZR_OK);
      int ok = zr_compat_report_count(r) == 0;
      int expect = dir == 0 ? c->back_ok : c->fwd_ok;
      if (ok != expect) {
        char *t = zr_compat_report_text(r);
        fail_msg("%s (%s): expected %s, got:\n%s", c->what, dir == 0 ? "BACKWARD" : "FORWARD",
                 expect ? "compatible" : "incompatible", t);
      }
      if (!ok && c->rule && !has_rule(r, c->rule)) {
        char *t = zr_compat_report_text(r);
        fail_msg("%s: expected rule %s, got:\n%s", c->what, c->rule, t);
      }
      if (!ok) {
        const zr_compat_violation *v = zr_compat_report_at(r, 0);
        assert_string_equal(v->subject, "s");
        assert_int_equal(v->version, 1);
        assert_int_equal(v->direction, dir == 0 ? ZR_DIR_BACKWARD : ZR_DIR_FORWARD);
        assert_true(strlen(v->path) > 0);
        assert_true(strlen(v->fix) > 1);
      }
      zr_compat_report_free(r);
    }
    zr_schema_free(o);
    zr_schema_free(n);
  }
}

static void test_transitive_chain(void **state) {
  (void)state;
  /* v1 {a}; v2 adds b with a default; v3 drops b's default: fine against v2, not against v1 */
  zr_schema *v1 = P(F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"));
  zr_schema *v2 = P(F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"},{\"id\":2,\"name\":\"b\",\"type\":\"int32\",\"initial-default\":0}"));
  zr_schema *v3 = P(F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"},{\"id\":2,\"name\":\"b\",\"type\":\"int32\"}"));
  const zr_schema *hist[2] = {v1, v2};
  zr_compat_report *r = NULL;
  assert_int_equal(zr_schema_check(v3, hist, 2, ZR_COMPAT_BACKWARD, "s", &r, NULL), ZR_OK);
  assert_int_equal(zr_compat_report_count(r), 0);
  zr_compat_report_free(r);
  assert_int_equal(zr_schema_check(v3, hist, 2, ZR_COMPAT_BACKWARD_TRANSITIVE, "s", &r, NULL), ZR_OK);
  assert_int_equal(zr_compat_report_count(r), 1);
  assert_int_equal(zr_compat_report_at(r, 0)->version, 1);
  assert_string_equal(zr_compat_report_at(r, 0)->rule, "READER_FIELD_MISSING_DEFAULT");
  assert_int_equal(zr_compat_report_at(r, 0)->field_id, 2);
  char *js = zr_compat_report_json(r);
  assert_non_null(strstr(js, "\"rule\":\"READER_FIELD_MISSING_DEFAULT\""));
  zr_free(js);
  zr_compat_report_free(r);
  /* NONE checks nothing */
  assert_int_equal(zr_schema_check(v3, hist, 2, ZR_COMPAT_NONE, "s", &r, NULL), ZR_OK);
  assert_int_equal(zr_compat_report_count(r), 0);
  zr_compat_report_free(r);
  /* id reuse: v4 drops b (id 2), v5 brings id 2 back as another field */
  zr_schema *v4 = P(F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"));
  zr_schema *v5 = P(F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"},{\"id\":2,\"name\":\"c\",\"type\":\"utf8\",\"nullable\":true}"));
  const zr_schema *hist2[3] = {v1, v2, v4};
  assert_int_equal(zr_schema_check(v5, hist2, 3, ZR_COMPAT_BACKWARD, "s", &r, NULL), ZR_OK);
  assert_true(has_rule(r, "FIELD_ID_REUSED"));
  zr_compat_report_free(r);
  zr_schema_free(v1);
  zr_schema_free(v2);
  zr_schema_free(v3);
  zr_schema_free(v4);
  zr_schema_free(v5);
}

static const char *db_path(const char *name) {
  static char p[512];
  snprintf(p, sizeof p, "%s/%s", zr_test_tmpdir(), name);
  unlink(p);
  return p;
}

static void test_registry(void **state) {
  (void)state;
  zr_registry *r;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(zr_registry_open(db_path("reg.db"), 0, &r, &e), ZR_OK);
  zr_schema *v1 = P(F("{\"id\":1,\"name\":\"a\",\"type\":\"int32\"}"));
  zr_schema *v2 = P(F("{\"id\":1,\"name\":\"a\",\"type\":\"int64\"},{\"id\":2,\"name\":\"b\",\"type\":\"utf8\",\"nullable\":true}"));
  zr_schema *bad = P(F("{\"id\":1,\"name\":\"a\",\"type\":\"int64\"},{\"id\":3,\"name\":\"c\",\"type\":\"utf8\"}"));
  zr_register_result res;
  assert_int_equal(zr_registry_register(r, "users", v1, &res, NULL, &e), ZR_OK);
  assert_int_equal(res.version, 1);
  assert_false(res.existing);
  int64_t id1 = res.id;
  assert_int_equal(zr_registry_register(r, "users", v1, &res, NULL, &e), ZR_OK); /* dedup */
  assert_true(res.existing);
  assert_int_equal(res.version, 1);
  assert_int_equal(res.id, id1);
  assert_int_equal(zr_registry_register(r, "users", v2, &res, NULL, &e), ZR_OK);
  assert_int_equal(res.version, 2);
  /* the same schema under another subject shares the global id */
  assert_int_equal(zr_registry_register(r, "other", v2, &res, NULL, &e), ZR_OK);
  assert_int_equal(res.version, 1);
  int64_t id2 = res.id;
  zr_compat_report *rep = NULL;
  assert_int_equal(zr_registry_register(r, "users", bad, &res, &rep, &e), ZR_ERR_INCOMPATIBLE);
  assert_non_null(rep);
  assert_string_equal(zr_compat_report_at(rep, 0)->rule, "READER_FIELD_MISSING_DEFAULT");
  assert_string_equal(zr_compat_report_at(rep, 0)->subject, "users");
  assert_int_equal(zr_compat_report_at(rep, 0)->version, 2);
  assert_non_null(strstr(e.message, "READER_FIELD_MISSING_DEFAULT"));
  zr_compat_report_free(rep);
  /* NONE lets it in */
  assert_int_equal(zr_registry_set_mode(r, "users", ZR_COMPAT_NONE, &e), ZR_OK);
  zr_compat_mode m;
  assert_int_equal(zr_registry_get_mode(r, "users", &m, &e), ZR_OK);
  assert_int_equal(m, ZR_COMPAT_NONE);
  assert_int_equal(zr_registry_get_mode(r, "other", &m, &e), ZR_OK);
  assert_int_equal(m, ZR_COMPAT_BACKWARD);
  assert_int_equal(zr_registry_set_mode(r, NULL, ZR_COMPAT_FULL, &e), ZR_OK);
  assert_int_equal(zr_registry_get_mode(r, "other", &m, &e), ZR_OK);
  assert_int_equal(m, ZR_COMPAT_FULL);
  assert_int_equal(zr_registry_register(r, "users", bad, &res, NULL, &e), ZR_OK);
  assert_int_equal(res.version, 3);
  /* reads */
  zr_schema *got;
  int64_t gid;
  int gv;
  assert_int_equal(zr_registry_get(r, "users", -1, &got, &gid, &gv, &e), ZR_OK);
  assert_int_equal(gv, 3);
  assert_int_equal(zr_schema_fingerprint64(got), zr_schema_fingerprint64(bad));
  zr_schema_free(got);
  assert_int_equal(zr_registry_get_by_id(r, id2, &got, &e), ZR_OK);
  assert_int_equal(zr_schema_fingerprint64(got), zr_schema_fingerprint64(v2));
  zr_schema_free(got);
  assert_int_equal(zr_registry_get(r, "users", 9, &got, NULL, NULL, &e), ZR_ERR_NOT_FOUND);
  char *js;
  assert_int_equal(zr_registry_subjects(r, 0, &js, &e), ZR_OK);
  assert_string_equal(js, "[\"other\",\"users\"]");
  zr_free(js);
  /* soft delete hides; permanent needs soft first; versions are not reused */
  assert_int_equal(zr_registry_delete(r, "users", 3, 1, &e), ZR_ERR_NOT_FOUND);
  assert_int_equal(zr_registry_delete(r, "users", 3, 0, &e), ZR_OK);
  assert_int_equal(zr_registry_versions(r, "users", 0, &js, &e), ZR_OK);
  assert_string_equal(js, "[1,2]");
  zr_free(js);
  assert_int_equal(zr_registry_versions(r, "users", 1, &js, &e), ZR_OK);
  assert_string_equal(js, "[1,2,3]");
  zr_free(js);
  assert_int_equal(zr_registry_delete(r, "users", 3, 1, &e), ZR_OK);
  assert_int_equal(zr_registry_versions(r, "users", 1, &js, &e), ZR_OK);
  assert_string_equal(js, "[1,2]");
  zr_free(js);
  zr_schema *v4 = P(F("{\"id\":1,\"name\":\"a\",\"type\":\"int64\"},{\"id\":2,\"name\":\"b\",\"type\":\"utf8\",\"nullable\":true},"
                      "{\"id\":4,\"name\":\"d\",\"type\":\"bool\",\"nullable\":true}"));
  assert_int_equal(zr_registry_register(r, "users", v4, &res, NULL, &e), ZR_OK);
  assert_int_equal(res.version, 4);
  zr_registry_close(r);
  zr_schema_free(v1);
  zr_schema_free(v2);
  zr_schema_free(bad);
  zr_schema_free(v4);
}

static void test_registry_corrupt(void **state) {
  (void)state;
  const char *p = db_path("corrupt.db");
  FILE *f = fopen(p, "wb");
  for (int i = 0; i < 4096; i++) fputc((i * 37) & 0xff, f);
  fclose(f);
  zr_registry *r = NULL;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(zr_registry_open(p, 100, &r, &e), ZR_ERR_DATABASE);
  assert_null(r);
  assert_non_null(strstr(e.message, "corrupt"));
}

static void test_registry_processes(void **state) {
  (void)state;
  const char *p = db_path("multi.db");
  zr_registry *r;
  assert_int_equal(zr_registry_open(p, 0, &r, NULL), ZR_OK);
  zr_registry_close(r);
  enum { PROCS = 4, EACH = 8 };
  pid_t kids[PROCS];
  for (int k = 0; k < PROCS; k++) {
    kids[k] = fork();
    if (kids[k] == 0) {
      zr_registry *cr;
      int fails = 0;
      if (zr_registry_open(p, 20000, &cr, NULL) != ZR_OK) _exit(2);
      for (int i = 0; i < EACH; i++) {
        char js[256];
        snprintf(js, sizeof js, F("{\"id\":%d,\"name\":\"f%d_%d\",\"type\":\"int32\",\"nullable\":true}"), 100 + k * EACH + i, k, i);
        zr_schema *s;
        if (zr_schema_parse(js, strlen(js), &s, NULL) != ZR_OK) _exit(3);
        zr_register_result res;
        zr_error e;
        /* every schema is a different single nullable field: compatible both ways */
        if (zr_registry_register(cr, "shared", s, &res, NULL, &e) != ZR_OK) fails++;
        zr_schema_free(s);
      }
      zr_registry_close(cr);
      _exit(fails ? 1 : 0);
    }
  }
  for (int k = 0; k < PROCS; k++) {
    int st;
    waitpid(kids[k], &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
  }
  assert_int_equal(zr_registry_open(p, 0, &r, NULL), ZR_OK);
  char *js;
  assert_int_equal(zr_registry_versions(r, "shared", 0, &js, NULL), ZR_OK);
  /* versions 1..32, no gaps, no duplicates */
  char expect[256] = "[";
  for (int i = 1; i <= PROCS * EACH; i++) snprintf(expect + strlen(expect), sizeof expect - strlen(expect), i == 1 ? "%d" : ",%d", i);
  strcat(expect, "]");
  assert_string_equal(js, expect);
  zr_free(js);
  zr_registry_close(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_canonical_fingerprint),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_rule_table),
      cmocka_unit_test(test_transitive_chain),
      cmocka_unit_test(test_registry),
      cmocka_unit_test(test_registry_corrupt),
      cmocka_unit_test(test_registry_processes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
