/* Coverage: rarely used Arrow layouts (decimal, half float, views, run-end encoded, unions, list
 * views) from integration JSON, to zerial values, and through an IPC stream round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zr_test.h"

static const char *INT32 = "{\"name\":\"int\",\"isSigned\":true,\"bitWidth\":32}";

static char json[8192];

static void build_json(void) {
  snprintf(json, sizeof json,
    "{\"schema\":{\"fields\":["
    "{\"name\":\"d\",\"nullable\":true,\"type\":{\"name\":\"decimal\",\"precision\":10,\"scale\":2,\"bitWidth\":128},\"children\":[]},"
    "{\"name\":\"h\",\"nullable\":false,\"type\":{\"name\":\"floatingpoint\",\"precision\":\"HALF\"},\"children\":[]},"
    "{\"name\":\"sv\",\"nullable\":false,\"type\":{\"name\":\"utf8view\"},\"children\":[]},"
    "{\"name\":\"bv\",\"nullable\":false,\"type\":{\"name\":\"binaryview\"},\"children\":[]},"
    "{\"name\":\"r\",\"nullable\":false,\"type\":{\"name\":\"runendencoded\"},\"children\":["
    "  {\"name\":\"run_ends\",\"nullable\":false,\"type\":%s,\"children\":[]},"
    "  {\"name\":\"values\",\"nullable\":true,\"type\":{\"name\":\"int\",\"isSigned\":true,\"bitWidth\":64},\"children\":[]}]},"
    "{\"name\":\"u\",\"nullable\":false,\"type\":{\"name\":\"union\",\"mode\":\"SPARSE\",\"typeIds\":[5,7]},\"children\":["
    "  {\"name\":\"a\",\"nullable\":true,\"type\":%s,\"children\":[]},"
    "  {\"name\":\"b\",\"nullable\":true,\"type\":{\"name\":\"utf8\"},\"children\":[]}]},"
    "{\"name\":\"du\",\"nullable\":false,\"type\":{\"name\":\"union\",\"mode\":\"DENSE\",\"typeIds\":[0,1]},\"children\":["
    "  {\"name\":\"a\",\"nullable\":true,\"type\":%s,\"children\":[]},"
    "  {\"name\":\"b\",\"nullable\":true,\"type\":{\"name\":\"utf8\"},\"children\":[]}]},"
    "{\"name\":\"lv\",\"nullable\":false,\"type\":{\"name\":\"listview\"},\"children\":["
    "  {\"name\":\"item\",\"nullable\":true,\"type\":%s,\"children\":[]}]}"
    "]},"
    "\"batches\":[{\"count\":3,\"columns\":["
    "{\"name\":\"d\",\"count\":3,\"VALIDITY\":[1,0,1],\"DATA\":[\"12345\",\"0\",\"-5\"]},"
    "{\"name\":\"h\",\"count\":3,\"VALIDITY\":[1,1,1],\"DATA\":[1.5,-2.0,65504.0]},"
    "{\"name\":\"sv\",\"count\":3,\"VALIDITY\":[1,1,1],\"VIEWS\":[{\"SIZE\":2,\"INLINED\":\"hi\"},"
    "  {\"SIZE\":14,\"PREFIX_HEX\":\"61206C6F\",\"BUFFER_INDEX\":0,\"OFFSET\":0},{\"SIZE\":0,\"INLINED\":\"\"}],"
    "  \"VARIADIC_DATA_BUFFERS\":[\"61206C6F6E6720737472696E6721\"]},"
    "{\"name\":\"bv\",\"count\":3,\"VALIDITY\":[1,1,1],\"VIEWS\":[{\"SIZE\":1,\"INLINED\":\"FF\"},"
    "  {\"SIZE\":2,\"INLINED\":\"0001\"},{\"SIZE\":0,\"INLINED\":\"\"}],\"VARIADIC_DATA_BUFFERS\":[]},"
    "{\"name\":\"r\",\"count\":3,\"children\":["
    "  {\"name\":\"run_ends\",\"count\":2,\"VALIDITY\":[1,1],\"DATA\":[1,3]},"
    "  {\"name\":\"values\",\"count\":2,\"VALIDITY\":[1,1],\"DATA\":[\"7\",\"9\"]}]},"
    "{\"name\":\"u\",\"count\":3,\"TYPE_ID\":[5,7,5],\"children\":["
    "  {\"name\":\"a\",\"count\":3,\"VALIDITY\":[1,1,1],\"DATA\":[1,2,3]},"
    "  {\"name\":\"b\",\"count\":3,\"VALIDITY\":[1,1,1],\"OFFSET\":[0,1,2,3],\"DATA\":[\"x\",\"y\",\"z\"]}]},"
    "{\"name\":\"du\",\"count\":3,\"TYPE_ID\":[1,0,1],\"OFFSET\":[0,0,1],\"children\":["
    "  {\"name\":\"a\",\"count\":1,\"VALIDITY\":[1],\"DATA\":[42]},"
    "  {\"name\":\"b\",\"count\":2,\"VALIDITY\":[1,1],\"OFFSET\":[0,1,3],\"DATA\":[\"p\",\"qr\"]}]},"
    "{\"name\":\"lv\",\"count\":3,\"VALIDITY\":[1,1,1],\"OFFSET\":[0,0,1],\"SIZE\":[1,0,2],\"children\":["
    "  {\"name\":\"item\",\"count\":3,\"VALIDITY\":[1,1,1],\"DATA\":[10,20,30]}]}"
    "]}]}",
    INT32, INT32, INT32, INT32);
}

static const zr_value *col(const zr_value *rows, uint64_t r, const char *name) {
  assert_true(r < rows->n.len);
  const zr_value *v = zr_map_get(&rows->u.items[r], name, strlen(name));
  if (!v) fail_msg("row %llu has no %s", (unsigned long long)r, name);
  return v;
}

static void expect_str(const zr_value *v, const char *s) {
  if (v->kind != ZR_KIND_STRING) fail_msg("kind %s, want string %s", zr_kind_name((zr_kind)v->kind), s);
  assert_int_equal(v->n.len, strlen(s));
  assert_memory_equal(v->u.str, s, strlen(s));
}

static void expect_int(const zr_value *v, int64_t i) {
  if (v->kind == ZR_KIND_INT) assert_int_equal(v->u.i, i);
  else if (v->kind == ZR_KIND_UINT) assert_int_equal(v->u.u, (uint64_t)i);
  else fail_msg("kind %s, want int %lld", zr_kind_name((zr_kind)v->kind), (long long)i);
}

static void check_values(const zr_table *t) {
  zr_doc *d = zr_doc_new(NULL);
  zr_value rows;
  zr_error e;
  zr_error_clear(&e);
  assert_int_equal(zr_arrow_to_value(t, d, &rows, &e), ZR_OK);
  assert_int_equal(rows.kind, ZR_KIND_LIST);
  assert_int_equal(rows.n.len, 3);
  expect_str(col(&rows, 0, "d"), "123.45");
  assert_int_equal(col(&rows, 1, "d")->kind, ZR_KIND_NULL);
  expect_str(col(&rows, 2, "d"), "-0.05");
  assert_true(col(&rows, 0, "h")->u.f == 1.5);
  assert_true(col(&rows, 1, "h")->u.f == -2.0);
  assert_true(col(&rows, 2, "h")->u.f == 65504.0);
  expect_str(col(&rows, 0, "sv"), "hi");
  expect_str(col(&rows, 1, "sv"), "a long string!");
  expect_str(col(&rows, 2, "sv"), "");
  const zr_value *b0 = col(&rows, 0, "bv"), *b1 = col(&rows, 1, "bv");
  assert_int_equal(b0->kind, ZR_KIND_BINARY);
  assert_int_equal(b0->n.len, 1);
  assert_int_equal(b0->u.bin[0], 0xFF);
  assert_int_equal(b1->n.len, 2);
  assert_memory_equal(b1->u.bin, "\x00\x01", 2);
  expect_int(col(&rows, 0, "r"), 7);
  expect_int(col(&rows, 1, "r"), 9);
  expect_int(col(&rows, 2, "r"), 9);
  expect_int(col(&rows, 0, "u"), 1);
  expect_str(col(&rows, 1, "u"), "y");
  expect_int(col(&rows, 2, "u"), 3);
  expect_str(col(&rows, 0, "du"), "p");
  expect_int(col(&rows, 1, "du"), 42);
  expect_str(col(&rows, 2, "du"), "qr");
  const zr_value *l0 = col(&rows, 0, "lv"), *l1 = col(&rows, 1, "lv"), *l2 = col(&rows, 2, "lv");
  assert_int_equal(l0->n.len, 1);
  expect_int(&l0->u.items[0], 10);
  assert_int_equal(l1->n.len, 0);
  assert_int_equal(l2->n.len, 2);
  expect_int(&l2->u.items[0], 20);
  expect_int(&l2->u.items[1], 30);
  zr_doc_free(d);
}

static void test_layouts(void **state) {
  (void)state;
  build_json();
  zr_table t;
  zr_error e;
  zr_error_clear(&e);
  if (zr_arrow_from_integration_json(json, strlen(json), NULL, &t, &e) != ZR_OK) fail_msg("json: %s", e.message);
  check_values(&t);

  /* through an IPC stream and back: the same table, the same values */
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  if (zr_arrow_write(&t, NULL, sink, &e) != ZR_OK) fail_msg("write: %s", e.message);
  const uint8_t *p;
  size_t n;
  assert_int_equal(zr_sink_memory_data(sink, &p, &n), ZR_OK);
  zr_table back;
  if (zr_arrow_read(p, n, NULL, &back, &e) != ZR_OK) fail_msg("read: %s", e.message);
  char why[256];
  if (!zr_arrow_table_equal(&t, &back)) {
    zr_arrow_table_diff(&t, &back, why, sizeof why);
    fail_msg("round trip differs: %s", why);
  }
  check_values(&back);
  /* a copy is equal too */
  zr_table cp;
  assert_int_equal(zr_arrow_table_copy(&back, &cp, &e), ZR_OK);
  assert_true(zr_arrow_table_equal(&t, &cp));
  zr_table_release(&cp);
  zr_table_release(&back);
  zr_sink_free(sink);
  zr_table_release(&t);
}

static void test_json_errors(void **state) {
  (void)state;
  static const struct { const char *json, *msg; } cases[] = {
      {"{\"schema\":{\"fields\":[{\"name\":\"x\",\"type\":{}}]},\"batches\":[]}", "type without a name"},
      {"{\"schema\":{\"fields\":[{\"name\":\"x\",\"type\":{\"name\":\"int\",\"bitWidth\":12}}]},\"batches\":[]}", "int bitWidth 12"},
      {"{\"schema\":{\"fields\":[{\"name\":\"x\",\"type\":{\"name\":\"floatingpoint\"}}]},\"batches\":[]}", "float without precision"},
      {"{\"schema\":{\"fields\":[{\"name\":\"x\",\"type\":{\"name\":\"time\",\"unit\":\"WEEK\"}}]},\"batches\":[]}", "bad unit"},
      {"{\"schema\":{\"fields\":[{\"name\":\"x\",\"type\":{\"name\":\"interval\"}}]},\"batches\":[]}", "interval without unit"},
      {"{\"schema\":{\"fields\":[{\"name\":\"x\",\"type\":{\"name\":\"quantum\"}}]},\"batches\":[]}", "type quantum not supported"},
      {"{\"schema\":{\"fields\":[{\"name\":\"x\",\"type\":{\"name\":\"bool\"},\"metadata\":[{\"key\":1}]}]},\"batches\":[]}", "bad metadata entry"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    zr_table t;
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_arrow_from_integration_json(cases[i].json, strlen(cases[i].json), NULL, &t, &e);
    if (st == ZR_OK) fail_msg("%s: accepted", cases[i].json);
    if (!strstr(e.message, cases[i].msg)) fail_msg("%s: message %s", cases[i].json, e.message);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_layouts), cmocka_unit_test(test_json_errors)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
