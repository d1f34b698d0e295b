/* Binary format fault sweeps (../formats/cov_sweep.h) with every encoder option: compression of
 * typed lists and tensors (lz4, zstd, gzip, auto) with byte and bit shuffle, 64-byte tensor
 * alignment; the golden files and the named malformed inputs of the seed corpus; decode_next over
 * a sequence, decode_into, encoded_size and inspect, each under the failing allocator, short or
 * failing sinks, truncation, corruption and limits. */
#include "../formats/cov_sweep.h"
#include "../formats/cov_values.h"
#include "zerial/binary.h"

static zr_status enc_bin(void *ud, const zr_value *v, const zr_encode_opts *o, zr_sink *sink, zr_error *err) {
  (void)ud;
  return zr_binary_encode(v, o, sink, err);
}

/* every value of a concatenation, one after the other, into one doc */
static zr_status dec_seq(void *ud, const uint8_t *data, size_t len, const zr_decode_opts *o, zr_doc **out,
                         zr_error *err) {
  (void)ud;
  zr_doc *d = zr_doc_new(o->alloc);
  if (!d) return zr_error_set(err, ZR_ERR_NOMEM, -1, "doc");
  size_t pos = 0;
  zr_status st = ZR_OK;
  while (st == ZR_OK && pos < len) {
    size_t used = 0;
    st = zr_binary_decode_next(data + pos, len - pos, o, d, &used, err);
    if (st == ZR_OK && used == 0) st = zr_error_set(err, ZR_ERR_INTERNAL, (int64_t)pos, "no progress");
    if (st == ZR_OK) pos += used;
    else if (err && err->offset >= 0) err->offset += (int64_t)pos;
  }
  if (st != ZR_OK) {
    zr_doc_free(d);
    return st;
  }
  *out = d;
  return ZR_OK;
}

static zr_status dec_into(void *ud, const uint8_t *data, size_t len, const zr_decode_opts *o, zr_doc **out,
                          zr_error *err) {
  (void)ud;
  zr_doc *d = zr_doc_new(o->alloc);
  if (!d) return zr_error_set(err, ZR_ERR_NOMEM, -1, "doc");
  zr_status st = zr_binary_decode_into(data, len, o, d, err);
  if (st != ZR_OK) {
    zr_doc_free(d);
    return st;
  }
  *out = d;
  return ZR_OK;
}

static void test_options(void **state) {
  (void)state;
  const zr_format *f = zr_format_by_name("binary");
  zr_doc *d = zr_doc_new(NULL);
  cv_set all;
  cv_all(d, &all, 0);
  zr_value m;
  zr_value l = cv_supported(d, f, &all, NULL, &m);
  /* larger typed lists and tensors so that compression pays */
  zr_value fl = zr_list_new(d, 0), il = zr_list_new(d, 0);
  for (int i = 0; i < 600; i++) {
    zr_list_push(d, &fl, zr_float((i % 10) * 0.5));
    zr_list_push(d, &il, zr_int(i % 7));
  }
  zr_list_push(d, &l, fl);
  zr_list_push(d, &l, il);
  zr_list_push(d, &l, cv_tensor(d, ZR_DT_FLOAT64, 0, 512, 0, 0, ZR_ORDER_LITTLE));
  zr_list_push(d, &l, cv_tensor(d, ZR_DT_INT32, 0, 512, 16, 0, ZR_ORDER_LITTLE));
  static const struct {
    const char *codec, *filter;
    uint32_t align;
  } opts[] = {{"lz4", "byte", 0}, {"zstd", "bit", 64}, {"gzip", "none", 0}, {"auto", "auto", 0}, {"none", NULL, 16}};
  for (size_t i = 0; i < sizeof opts / sizeof *opts; i++) {
    zr_encode_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.codec = opts[i].codec;
    eo.filter = opts[i].filter;
    eo.alignment = opts[i].align;
    char what[64];
    snprintf(what, sizeof what, "binary %s/%s", opts[i].codec, opts[i].filter ? opts[i].filter : "-");
    size_t len;
    uint8_t *b = cs_encode_sweep(what, enc_bin, NULL, &l, &eo, &len);
    uint64_t sz = 0;
    zr_error err;
    zr_status st = zr_binary_encoded_size(&l, &eo, &sz, &err);
    assert_int_equal(st, ZR_OK);
    if (strcmp(opts[i].codec, "none") == 0) assert_int_equal(sz, len); /* compression is not predicted */
    cs_decode_sweep(what, cs_fmt_decode, (void *)f, b, len, NULL);
    cs_decode_hostile(what, dec_into, NULL, b, len);
    free(b);
  }
  /* bad options */
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.codec = "nope";
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error err;
  assert_int_equal(zr_binary_encode(&l, &eo, s, &err), ZR_ERR_INVALID_ARG);
  eo.codec = "zstd";
  eo.filter = "nope";
  assert_int_equal(zr_binary_encode(&l, &eo, s, &err), ZR_ERR_INVALID_ARG);
  zr_sink_free(s);
  /* a sequence of values for decode_next, each value kind at the top */
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  for (size_t i = 0; i < zr_len(&l); i++) assert_int_equal(zr_binary_encode(zr_item(&l, i), NULL, s, NULL), ZR_OK);
  const uint8_t *seq;
  size_t seq_len;
  zr_sink_memory_data(s, &seq, &seq_len);
  cs_decode_sweep("binary sequence", dec_seq, NULL, seq, seq_len, NULL);
  zr_sink_free(s);
  for (size_t i = 0; i < all.n; i++) {
    uint64_t sz = 0;
    zr_binary_encoded_size(&all.v[i], NULL, &sz, NULL);
  }
  zr_doc_free(d);
}

/* a corpus file: the whole sweep or the hostile part, and inspect */
static void corpus_file(void *ud, const char *what, const char *name, size_t i, const uint8_t *b, size_t len) {
  (void)name;
  (void)i;
  cs_decode_any(what, cs_fmt_decode, ud, b, len);
  cs_inspect_any(ud, b, len);
}

static void test_corpus(void **state) {
  (void)state;
  cs_corpus_each("fuzz/corpus/binary_decode", "binary file", 10, 1, corpus_file, (void *)zr_format_by_name("binary"));
  cs_report("binary");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_corpus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
