/* Fault sweeps over realistic Arrow IPC: every arrow-testing stream and file in the fuzz seed
 * corpus (primitive, nested, dictionaries, nested dictionaries, unions, maps, intervals,
 * extensions, big-endian, lz4 and zstd compressed bodies) goes through the failing allocator,
 * truncation, corruption and limits (../formats/cov_sweep.h); each table is written again with
 * each writer option (file, 64-byte alignment, lz4, zstd, big endian) under the failing allocator
 * and short or failing sinks, the compressed and big-endian output is swept as reader input too,
 * and each table goes through values (zr_arrow_to_value, zr_arrow_from_value with and without
 * dictionary strings) and the other formats that take tables. */
#include "../formats/cov_sweep.h"
#include "../formats/cov_values.h"
#include "zerial/arrow.h"

/* zr_arrow_write with the options in @p ud, the table in @p v */
static zr_status enc_write(void *ud, const zr_value *v, const zr_encode_opts *o, zr_sink *sink, zr_error *err) {
  zr_arrow_write_opts wo = *(const zr_arrow_write_opts *)ud;
  wo.alloc = o ? o->alloc : NULL;
  if (v->kind != ZR_KIND_TABLE) return ZR_ERR_TYPE;
  return zr_arrow_write(v->u.table, &wo, sink, err);
}

/* zr_arrow_from_value with the options in @p ud, then the stream writer */
static zr_status enc_convert(void *ud, const zr_value *v, const zr_encode_opts *o, zr_sink *sink, zr_error *err) {
  zr_arrow_convert_opts co = *(const zr_arrow_convert_opts *)ud;
  co.alloc = o ? o->alloc : NULL;
  zr_table t;
  zr_status cst = zr_arrow_from_value(v, &co, &t, o ? o->warnings : NULL, err);
  if (cst != ZR_OK) return cst;
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.alloc = co.alloc;
  zr_status st = zr_arrow_write(&t, &wo, sink, err);
  zr_table_release(&t);
  return st;
}

/* zr_arrow_file_open + every batch, allocations from the decode options */
static zr_status dec_file_batches(void *ud, const uint8_t *data, size_t len, const zr_decode_opts *o, zr_doc **out,
                                  zr_error *err) {
  (void)ud;
  zr_arrow_read_opts ro;
  zr_arrow_read_opts_init(&ro);
  ro.alloc = o->alloc;
  ro.copy = o->copy;
  ro.max_bytes = o->max_bytes;
  zr_arrow_file *f = NULL;
  zr_status ost = zr_arrow_file_open(data, len, &ro, &f, err);
  if (ost != ZR_OK) return ost;
  zr_status st = ZR_OK;
  for (int64_t i = 0; st == ZR_OK && i < zr_arrow_file_num_batches(f); i++) {
    struct ArrowArray a;
    st = zr_arrow_file_batch(f, i, &a, err);
    if (st == ZR_OK && a.release) a.release(&a);
  }
  zr_arrow_file_close(f);
  if (st != ZR_OK) return st;
  *out = zr_doc_new(NULL);
  return ZR_OK;
}

/* read, then zr_arrow_to_value into a doc using the decode allocator */
static zr_status dec_to_value(void *ud, const uint8_t *data, size_t len, const zr_decode_opts *o, zr_doc **out,
                              zr_error *err) {
  (void)ud;
  zr_arrow_read_opts ro;
  zr_arrow_read_opts_init(&ro);
  ro.copy = 1;
  zr_table t;
  zr_status rst = zr_arrow_read(data, len, &ro, &t, err);
  if (rst != ZR_OK) return rst;
  zr_doc *d = zr_doc_new(o->alloc);
  if (!d) {
    zr_table_release(&t);
    return zr_error_set(err, ZR_ERR_NOMEM, -1, "doc");
  }
  zr_value v;
  zr_status st = zr_arrow_to_value(&t, d, &v, err);
  zr_table_release(&t);
  if (st == ZR_OK) st = zr_doc_set_root(d, v);
  if (st != ZR_OK) {
    if (err && err->code != st) zr_error_set(err, st, -1, "to_value");
    zr_doc_free(d);
    return st;
  }
  *out = d;
  return ZR_OK;
}

static void stream_file(void *ud, const char *name_what, const char *name, size_t i, const uint8_t *b, size_t len) {
  (void)ud;
  const zr_format *fs = zr_format_by_name("arrow-stream"), *ff = zr_format_by_name("arrow-file");
  char what[256];
  snprintf(what, sizeof what, "%s", name_what);
  cs_decode_sweep(what, cs_fmt_decode, (void *)fs, b, len, NULL);
  cs_budgets(300, 150);
  cs_decode_sweep(what, dec_to_value, NULL, b, len, NULL);
  /* the table again, with each writer option; the output back through the reader sweeps */
  zr_doc *d = NULL;
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.copy = 1;
  assert_int_equal(fs->decode(b, len, &o, &d, NULL), ZR_OK);
  const zr_value *tv = zr_doc_root(d);
  size_t wlen;
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  free(cs_encode_sweep(what, enc_write, &wo, tv, NULL, &wlen));
  static const struct {
    int file, align, codec, big;
  } variants[] = {{1, 0, 0, 0}, {0, 64, ZR_ARROW_CODEC_LZ4, 0}, {1, 8, ZR_ARROW_CODEC_ZSTD, 0}, {0, 0, 0, 1}};
  for (size_t k = 0; k < sizeof variants / sizeof *variants; k++) {
    memset(&wo, 0, sizeof wo);
    wo.file = variants[k].file;
    wo.alignment = (uint32_t)variants[k].align;
    wo.codec = variants[k].codec;
    wo.big_endian = variants[k].big;
    uint8_t *w = NULL;
    zr_error err;
    zr_status st = cs_encode_mem(enc_write, &wo, tv, NULL, &w, &wlen, &err);
    if (st != ZR_OK) { /* e.g. types the big-endian writer refuses: a clear error */
      assert_int_equal(err.code, st);
      continue;
    }
    if (k == 2) free(cs_encode_sweep(what, enc_write, &wo, tv, NULL, &wlen));
    cs_decode_sweep(what, cs_fmt_decode, (void *)(wo.file ? ff : fs), w, wlen, NULL);
    free(w);
  }
  /* values and back */
  zr_doc *vd = zr_doc_new(NULL);
  zr_value v;
  zr_error err;
  zr_status st = zr_arrow_to_value(tv->u.table, vd, &v, &err);
  if (st == ZR_OK) {
    zr_arrow_convert_opts co;
    memset(&co, 0, sizeof co);
    uint8_t *w = NULL;
    if (cs_encode_mem(enc_convert, &co, &v, NULL, &w, &wlen, &err) == ZR_OK) {
      free(w);
      free(cs_encode_sweep(what, enc_convert, &co, &v, NULL, &wlen));
      co.dictionary_strings = 1;
      free(cs_encode_sweep(what, enc_convert, &co, &v, NULL, &wlen));
      co.flags = ZR_ENC_STRICT;
      if (cs_encode_mem(enc_convert, &co, &v, NULL, &w, &wlen, &err) != ZR_OK) assert_int_equal(err.code, ZR_ERR_LOSSY);
      free(w);
    }
  }
  zr_doc_free(vd);
  /* the table through the other formats that take tables */
  static const char *others[] = {"binary", "pickle", "npz", "json", "etf", "npy"};
  for (size_t k = 0; k < sizeof others / sizeof *others && (CS_SCALE == 1 || i % 3 == 0); k++) {
    const zr_format *of = zr_format_by_name(others[k]);
    uint8_t *w = NULL;
    if (cs_encode_mem(cs_fmt_encode, (void *)of, tv, NULL, &w, &wlen, &err) != ZR_OK) continue;
    free(w);
    snprintf(what, sizeof what, "stream %s as %s", name, others[k]);
    free(cs_encode_sweep(what, cs_fmt_encode, (void *)of, tv, NULL, &wlen));
  }
  zr_doc_free(d);
  cs_budgets_reset();
}

static void test_streams(void **state) {
  (void)state;
  cs_corpus_each("fuzz/corpus/arrow_stream_decode", "stream", 20, 1, stream_file, NULL);
  cs_report("arrow streams");
}

static void file_file(void *ud, const char *what, const char *name, size_t i, const uint8_t *b, size_t len) {
  (void)name;
  (void)i;
  cs_budgets(300, 150); /* the same messages as the streams, in the file layout */
  cs_decode_sweep(what, cs_fmt_decode, ud, b, len, NULL);
  cs_decode_sweep(what, dec_file_batches, NULL, b, len, NULL);
  cs_budgets_reset();
}

static void test_files(void **state) {
  (void)state;
  cs_corpus_each("fuzz/corpus/arrow_file_decode", "file", 10, 1, file_file, (void *)zr_format_by_name("arrow-file"));
  cs_report("arrow files");
}

/* values → Arrow: every column kind, rows and columns, dictionary strings, warnings, strict */
static void test_from_values(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  cv_set all;
  cv_all(d, &all, 0);
  /* one column per value kind that converts: 6 rows each (value, null, value, value, null, value) */
  zr_value cols = zr_map_new(d, 0);
  zr_value rows = zr_list_new(d, 0);
  for (int r = 0; r < 6; r++) zr_list_push(d, &rows, zr_map_new(d, 0));
  zr_arrow_convert_opts co;
  memset(&co, 0, sizeof co);
  for (size_t i = 0; i < all.n; i++) {
    zr_value col = zr_list_new(d, 6);
    for (int r = 0; r < 6; r++) zr_list_push(d, &col, (r == 1 || r == 4) ? zr_null() : all.v[i]);
    zr_value one = zr_map_new(d, 1);
    zr_map_put_cstr(d, &one, "c", col);
    zr_table t;
    if (zr_arrow_from_value(&one, &co, &t, NULL, NULL) != ZR_OK) continue;
    zr_table_release(&t);
    zr_value k = cv_key(d, &all, i);
    zr_map_put(d, &cols, k, col);
    for (int r = 0; r < 6; r++) zr_map_put(d, &rows.u.items[r], k, col.u.items[r]);
  }
  /* low-cardinality strings for the dictionary path */
  zr_value dict = zr_list_new(d, 6);
  for (int r = 0; r < 6; r++) zr_list_push(d, &dict, r == 3 ? zr_null() : zr_cstr_ref(r & 1 ? "aa" : "b"));
  zr_map_put_cstr(d, &cols, "dict", dict);
  for (int r = 0; r < 6; r++) zr_map_put_cstr(d, &rows.u.items[r], "dict", dict.u.items[r]);
  assert_int_equal(zr_doc_status(d), ZR_OK);
  size_t len;
  zr_warnings w;
  memset(&w, 0, sizeof w);
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.warnings = &w;
  free(cs_encode_sweep("columns", enc_convert, &co, &cols, &eo, &len));
  free(cs_encode_sweep("rows", enc_convert, &co, &rows, &eo, &len));
  co.dictionary_strings = 1;
  free(cs_encode_sweep("columns dict", enc_convert, &co, &cols, &eo, &len));
  uint8_t *b = cs_encode_sweep("rows dict", enc_convert, &co, &rows, &eo, &len);
  cs_decode_sweep("rows dict", dec_to_value, NULL, b, len, NULL);
  free(b);
  zr_doc_free(d);
}

int main(void) {
  cs_trace_crashes();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_from_values),
      cmocka_unit_test(test_streams),
      cmocka_unit_test(test_files),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  cs_dump_unfinished();
  return rc;
}
