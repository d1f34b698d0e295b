/* A schema's identity travels in Arrow schema metadata through an IPC round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zerial/envelope.h"
#include "zerial/format.h"
#include "zerial/schema.h"
#include "zr_test.h"

static void test_tag_roundtrip(void **state) {
  (void)state;
  size_t len;
  uint8_t *bytes = zr_test_read_file(
      zr_test_shared_path("testdata/arrow-testing/data/arrow-ipc-stream/integration/1.0.0-littleendian/generated_custom_metadata.stream"),
      &len);
  if (!bytes) skip();
  zr_table t;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(zr_arrow_read(bytes, len, NULL, &t, &e), ZR_OK);
  const char *js = "{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int64\"}]}";
  zr_schema *s;
  assert_int_equal(zr_schema_parse(js, strlen(js), &s, &e), ZR_OK);
  uint64_t fp = 0;
  assert_int_equal(zr_schema_table_tag(&t, &fp, NULL, 0, NULL), ZR_ERR_NOT_FOUND);
  assert_int_equal(zr_schema_tag_table(&t, s, "events", 3, &e), ZR_OK);
  assert_int_equal(zr_schema_tag_table(&t, s, "events", 4, &e), ZR_OK); /* replaces, does not duplicate */
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  assert_int_equal(zr_arrow_write(&t, NULL, sink, &e), ZR_OK);
  const uint8_t *out;
  size_t n;
  zr_sink_memory_data(sink, &out, &n);
  zr_table back;
  assert_int_equal(zr_arrow_read(out, n, NULL, &back, &e), ZR_OK);
  char subject[64];
  int version = 0;
  assert_int_equal(zr_schema_table_tag(&back, &fp, subject, sizeof subject, &version), ZR_OK);
  assert_true(fp == zr_schema_fingerprint64(s));
  assert_string_equal(subject, "events");
  assert_int_equal(version, 4);
  /* the file's own custom metadata is still there */
  assert_non_null(back.schema.metadata);
  int32_t count;
  memcpy(&count, back.schema.metadata, 4);
  assert_true(count > 4);
  zr_table_release(&back);
  zr_table_release(&t);
  zr_sink_free(sink);
  zr_schema_free(s);
  free(bytes);
}

static void test_envelope_tag(void **state) {
  (void)state;
  const char *js = "{\"fields\":[{\"id\":1,\"name\":\"a\",\"type\":\"int64\"}]}";
  zr_schema *s;
  assert_int_equal(zr_schema_parse(js, strlen(js), &s, NULL), ZR_OK);
  zr_envelope_meta meta;
  memset(&meta, 0, sizeof meta);
  zr_envelope_kv kv[3];
  char vbuf[16];
  size_t n = 0;
  assert_int_equal(zr_schema_envelope_tag(s, "events", 7, &meta, kv, vbuf, &n), ZR_OK);
  assert_int_equal(n, 2);
  kv[n].key = (zr_envelope_str){"owner", 5}; /* the caller's own entries stay beside ours */
  kv[n].value = (zr_envelope_str){"team-a", 6};
  meta.kv = kv;
  meta.n_kv = n + 1;
  zr_envelope_params p;
  memset(&p, 0, sizeof p);
  p.format_id = ZR_FORMAT_ID_BINARY;
  p.meta = &meta;
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  assert_int_equal(zr_envelope_write(sink, &p, "payload", 7, NULL), ZR_OK);
  const uint8_t *d;
  size_t len;
  zr_sink_memory_data(sink, &d, &len);
  zr_envelope env;
  zr_error e;
  assert_int_equal(zr_envelope_parse(d, len, NULL, &env, &e), ZR_OK);
  uint64_t fp = 0;
  char subject[32];
  int version = 0;
  assert_int_equal(zr_schema_envelope_read(&env.meta, &fp, subject, sizeof subject, &version), ZR_OK);
  assert_true(fp == zr_schema_fingerprint64(s));
  assert_string_equal(subject, "events");
  assert_int_equal(version, 7);
  zr_envelope_clear(&env);
  zr_sink_free(sink);
  zr_schema_free(s);
}

static void test_infer_from_arrow(void **state) {
  (void)state;
  size_t len;
  uint8_t *bytes = zr_test_read_file(
      zr_test_shared_path("testdata/arrow-testing/data/arrow-ipc-stream/integration/1.0.0-littleendian/generated_datetime.stream"),
      &len);
  if (!bytes) skip();
  zr_table t;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(zr_arrow_read(bytes, len, NULL, &t, &e), ZR_OK);
  zr_doc *d = zr_doc_new(NULL);
  zr_value tv = zr_table_value(d, &t);
  zr_schema *s;
  assert_int_equal(zr_schema_infer(&tv, &s, &e), ZR_OK);
  assert_int_equal(zr_schema_field_count(s), (size_t)tv.u.table->schema.n_children);
  int saw_ts = 0;
  for (size_t i = 0; i < zr_schema_field_count(s); i++) saw_ts |= strncmp(zr_schema_field_type(s, i), "timestamp(", 10) == 0;
  assert_true(saw_ts);
  zr_schema_free(s);
  zr_doc_free(d);
  free(bytes);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_tag_roundtrip), cmocka_unit_test(test_envelope_tag),
                                     cmocka_unit_test(test_infer_from_arrow)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
