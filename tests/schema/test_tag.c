/* A schema's identity travels in Arrow schema metadata through an IPC round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
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

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_tag_roundtrip)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
