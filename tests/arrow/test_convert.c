/* Values ↔ Arrow conversion, the format-table entries (detect, decode, encode, inspect), mmap
 * open, and allocation failures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/arrow.h"
#include "zerial/format.h"

static zr_value row(zr_doc *d, int64_t i) {
  zr_value m = zr_map_new(d, 6);
  zr_map_put_cstr(d, &m, "id", zr_int(i));
  zr_map_put_cstr(d, &m, "score", i == 2 ? zr_int((INT64_C(1) << 53) + 1) : i == 3 ? zr_int(7) : zr_float(0.5 * (double)i));
  zr_map_put_cstr(d, &m, "name", i == 1 ? zr_null() : zr_cstr_ref(i % 2 ? "odd" : "even"));
  zr_value inner = zr_map_new(d, 2);
  zr_map_put_cstr(d, &inner, "x", zr_bool(i & 1));
  zr_map_put_cstr(d, &inner, "y", zr_bin_ref("ab", 2));
  zr_map_put_cstr(d, &m, "inner", inner);
  zr_value l = zr_list_new(d, 3);
  for (int64_t k = 0; k < i; k++) zr_list_push(d, &l, zr_int(k));
  zr_map_put_cstr(d, &m, "tags", l);
  zr_map_put_cstr(d, &m, "when", zr_timestamp(d, 1000 * i, ZR_TU_MILLI, "UTC"));
  return m;
}

static void test_rows_roundtrip(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value rows = zr_list_new(d, 5);
  for (int i = 0; i < 5; i++) zr_list_push(d, &rows, row(d, i));
  zr_table t;
  zr_warnings w;
  memset(&w, 0, sizeof w);
  zr_error e;
  assert_int_equal(zr_arrow_from_value(&rows, NULL, &t, &w, &e), 0);
  assert_int_equal(w.count, 1);
  assert_string_equal(w.items[0].path, "$[2].score");
  assert_int_equal(t.schema.n_children, 6);
  assert_string_equal(t.schema.children[1]->format, "g");
  assert_string_equal(t.schema.children[3]->format, "+s");
  assert_string_equal(t.schema.children[4]->format, "+l");
  assert_string_equal(t.schema.children[5]->format, "tsm:UTC");
  assert_true(t.schema.children[2]->flags & ARROW_FLAG_NULLABLE);
  assert_false(t.schema.children[0]->flags & ARROW_FLAG_NULLABLE);
  /* through IPC and back to values */
  zr_sink *s;
  zr_sink_memory_new(NULL, &s, NULL);
  assert_int_equal(zr_arrow_write(&t, NULL, s, &e), 0);
  const uint8_t *data;
  size_t len;
  zr_sink_memory_data(s, &data, &len);
  zr_table back;
  assert_int_equal(zr_arrow_read(data, len, NULL, &back, &e), 0);
  assert_true(zr_arrow_table_equal(&t, &back));
  zr_doc *d2 = zr_doc_new(NULL);
  zr_value v;
  assert_int_equal(zr_arrow_to_value(&back, d2, &v, &e), 0);
  assert_int_equal(zr_len(&v), 5);
  const zr_value *r3 = zr_item(&v, 3);
  assert_int_equal(zr_map_get(r3, "score", 5)->kind, ZR_KIND_FLOAT);
  assert_true(zr_map_get(r3, "score", 5)->u.f == 7.0);
  assert_int_equal(zr_map_get(zr_item(&v, 1), "name", 4)->kind, ZR_KIND_NULL);
  const zr_value *tags = zr_map_get(r3, "tags", 4);
  assert_int_equal(zr_len(tags), 3);
  assert_int_equal(zr_item(tags, 2)->u.i, 2);
  const zr_value *when = zr_map_get(r3, "when", 4);
  assert_int_equal(when->kind, ZR_KIND_TIMESTAMP);
  assert_int_equal(when->u.i, 3000);
  assert_string_equal(when->n.tz, "UTC");
  zr_table_release(&back);
  zr_table_release(&t);
  zr_sink_free(s);
  /* strict mode refuses the lossy conversion */
  zr_arrow_convert_opts co;
  memset(&co, 0, sizeof co);
  co.flags = ZR_ENC_STRICT;
  assert_int_equal(zr_arrow_from_value(&rows, &co, &t, NULL, &e), ZR_ERR_LOSSY);
  assert_string_equal(e.path, "$[2].score");
  zr_doc_free(d2);
  zr_doc_free(d);
}

static void test_columns_and_errors(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value cols = zr_map_new(d, 2);
  zr_value a = zr_list_new(d, 40), b = zr_list_new(d, 40);
  for (int i = 0; i < 40; i++) {
    zr_list_push(d, &a, zr_cstr_ref(i % 3 == 0 ? "red" : i % 3 == 1 ? "green" : "blue"));
    zr_list_push(d, &b, zr_uint(UINT64_MAX - (uint64_t)i));
  }
  zr_map_put_cstr(d, &cols, "color", a);
  zr_map_put_cstr(d, &cols, "big", b);
  zr_arrow_convert_opts co;
  memset(&co, 0, sizeof co);
  co.dictionary_strings = 1;
  zr_table t;
  zr_error e;
  assert_int_equal(zr_arrow_from_value(&cols, &co, &t, NULL, &e), 0);
  assert_non_null(t.schema.children[0]->dictionary);
  assert_string_equal(t.schema.children[1]->format, "L");
  assert_int_equal(zr_table_num_rows(&t), 40);
  zr_doc *d2 = zr_doc_new(NULL);
  zr_value v;
  assert_int_equal(zr_arrow_to_value(&t, d2, &v, &e), 0);
  assert_int_equal(zr_map_get(zr_item(&v, 4), "color", 5)->n.len, 5);
  assert_int_equal(zr_map_get(zr_item(&v, 4), "big", 3)->u.u, UINT64_MAX - 4);
  zr_table_release(&t);
  zr_doc_free(d2);
  /* mixed kinds: a type error with the path */
  zr_value rows = zr_list_new(d, 2), r0 = zr_map_new(d, 1), r1 = zr_map_new(d, 1);
  zr_map_put_cstr(d, &r0, "a", zr_int(1));
  zr_map_put_cstr(d, &r1, "a", zr_cstr_ref("x"));
  zr_list_push(d, &rows, r0);
  zr_list_push(d, &rows, r1);
  assert_int_equal(zr_arrow_from_value(&rows, NULL, &t, NULL, &e), ZR_ERR_TYPE);
  assert_string_equal(e.path, "$[1].a");
  zr_value scalar = zr_int(3);
  assert_int_equal(zr_arrow_from_value(&scalar, NULL, &t, NULL, &e), ZR_ERR_TYPE);
  /* unequal columns */
  zr_value bad = zr_map_new(d, 2), c1 = zr_list_new(d, 1), c2 = zr_list_new(d, 2);
  zr_list_push(d, &c1, zr_int(1));
  zr_list_push(d, &c2, zr_int(1));
  zr_list_push(d, &c2, zr_int(2));
  zr_map_put_cstr(d, &bad, "p", c1);
  zr_map_put_cstr(d, &bad, "q", c2);
  assert_int_equal(zr_arrow_from_value(&bad, NULL, &t, NULL, &e), ZR_ERR_TYPE);
  assert_string_equal(e.path, "$.q");
  zr_doc_free(d);
}

static void test_tensors(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  static float data[2][6] = {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}};
  int64_t shape[2] = {2, 3};
  zr_value rows = zr_list_new(d, 2);
  for (int i = 0; i < 2; i++) {
    zr_tensor tn;
    assert_int_equal(zr_tensor_init(&tn, ZR_DT_FLOAT32, 4, 2, shape, data[i], NULL), 0);
    zr_value r = zr_map_new(d, 1);
    zr_map_put_cstr(d, &r, "t", zr_tensor_value(d, &tn));
    zr_list_push(d, &rows, r);
  }
  zr_table t;
  assert_int_equal(zr_arrow_from_value(&rows, NULL, &t, NULL, NULL), 0);
  assert_string_equal(t.schema.children[0]->format, "+w:6");
  zr_doc *d2 = zr_doc_new(NULL);
  zr_value v;
  assert_int_equal(zr_arrow_to_value(&t, d2, &v, NULL), 0);
  const zr_value *tv = zr_map_get(zr_item(&v, 1), "t", 1);
  assert_int_equal(tv->kind, ZR_KIND_TENSOR);
  assert_int_equal(tv->u.tensor->ndim, 2);
  assert_int_equal(tv->u.tensor->shape[1], 3);
  assert_true(((float *)tv->u.tensor->data)[5] == 12.0f);
  zr_table_release(&t);
  zr_doc_free(d2);
  zr_doc_free(d);
}

static void test_format_entries(void **state) {
  (void)state;
  size_t len;
  uint8_t *buf = zr_test_read_file(
      zr_test_shared_path("testdata/arrow-testing/data/arrow-ipc-stream/integration/1.0.0-littleendian/generated_dictionary.stream"), &len);
  if (!buf) return;
  const zr_format *fs = zr_format_by_name("arrow-stream"), *ff = zr_format_by_name("arrow-file");
  assert_non_null(fs);
  assert_non_null(ff);
  assert_int_equal(fs->detect(buf, len), 100);
  assert_int_equal(ff->detect(buf, len), 0);
  assert_ptr_equal(zr_format_detect(buf, len), fs);
  zr_doc *doc;
  zr_error e;
  assert_int_equal(fs->decode(buf, len, NULL, &doc, &e), 0);
  const zr_value *root = zr_doc_root(doc);
  assert_int_equal(root->kind, ZR_KIND_TABLE);
  zr_sink *s;
  zr_sink_memory_new(NULL, &s, NULL);
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.codec = "lz4";
  assert_int_equal(ff->encode(root, &eo, s, &e), 0);
  const uint8_t *out;
  size_t olen;
  zr_sink_memory_data(s, &out, &olen);
  assert_int_equal(ff->detect(out, olen), 100);
  zr_doc *doc2;
  assert_int_equal(ff->decode(out, olen, NULL, &doc2, &e), 0);
  assert_true(zr_value_equal(root, zr_doc_root(doc2)));
  zr_sink *js;
  zr_sink_memory_new(NULL, &js, NULL);
  assert_int_equal(ff->inspect(out, olen, js, &e), 0);
  const uint8_t *jt;
  size_t jl;
  zr_sink_memory_data(js, &jt, &jl);
  char *txt = strndup((const char *)jt, jl);
  assert_non_null(strstr(txt, "\"lz4_frame\""));
  assert_non_null(strstr(txt, "\"dict0\""));
  free(txt);
  zr_sink_free(js);
  zr_sink_memory_new(NULL, &js, NULL);
  assert_int_equal(fs->inspect(buf, len, js, &e), 0);
  zr_sink_free(js);
  zr_doc_free(doc2);
  zr_sink_free(s);
  zr_doc_free(doc);
  /* mmap open keeps the mapping alive until the doc goes */
  zr_doc *md;
  assert_int_equal(zr_arrow_open(zr_test_shared_path("testdata/arrow-testing/data/arrow-ipc-stream/integration/1.0.0-littleendian/generated_dictionary.arrow_file"), NULL, &md, &e), 0);
  assert_int_equal(zr_table_num_rows(zr_doc_root(md)->u.table), 17);
  /* move the table out into a C stream and drain it */
  zr_table moved = *zr_doc_root(md)->u.table;
  memset(zr_doc_root(md)->u.table, 0, sizeof moved);
  struct ArrowArrayStream st;
  assert_int_equal(zr_arrow_table_to_stream(&moved, &st, NULL), 0);
  zr_doc_free(md); /* the stream's arrays keep the mapping */
  zr_table back;
  assert_int_equal(zr_arrow_table_from_stream(&st, &back, NULL), 0);
  assert_int_equal(zr_table_num_rows(&back), 17);
  zr_table_release(&back);
  free(buf);
}

static void test_alloc_failures(void **state) {
  (void)state;
  size_t len;
  uint8_t *buf = zr_test_read_file(
      zr_test_shared_path("testdata/arrow-testing/data/arrow-ipc-stream/integration/1.0.0-littleendian/generated_nested_dictionary.stream"), &len);
  if (!buf) return;
  int ok_seen = 0;
  for (uint64_t n = 1; n < 2000 && !ok_seen; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_arrow_read_opts o;
    zr_arrow_read_opts_init(&o);
    o.alloc = &fa.a;
    zr_table t;
    zr_status st = zr_arrow_read(buf, len, &o, &t, NULL);
    if (st == 0) {
      ok_seen = 1;
      zr_sink *s;
      zr_sink_memory_new(NULL, &s, NULL);
      zr_arrow_write_opts wo;
      memset(&wo, 0, sizeof wo);
      for (uint64_t m = 1; m < 400; m++) {
        zr_test_failalloc fw;
        zr_test_failalloc_init(&fw, m);
        wo.alloc = &fw.a;
        zr_status ws = zr_arrow_write(&t, &wo, s, NULL);
        assert_int_equal(fw.live, 0);
        if (ws == 0) break;
      }
      zr_sink_free(s);
      zr_table_release(&t);
    } else {
      assert_true(st == ZR_ERR_NOMEM || st == ZR_ERR_LIMIT);
    }
    assert_int_equal(fa.live, 0);
  }
  assert_true(ok_seen);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rows_roundtrip),  cmocka_unit_test(test_columns_and_errors),
      cmocka_unit_test(test_tensors),         cmocka_unit_test(test_format_entries),
      cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
