/* ETF fault sweeps (../formats/cov_sweep.h) with every decoder and encoder flag: every value kind
 * (atoms, small and large tuples, bigints, maps, improper lists via the seed corpus, compressed
 * terms), under the failing allocator, short and failing sinks, truncation, corruption, limits. */
#include "../formats/cov_sweep.h"
#include "../formats/cov_values.h"
#include "zerial/etf.h"

static zr_status enc_etf(void *ud, const zr_value *v, const zr_encode_opts *o, zr_sink *sink, zr_error *err) {
  return zr_etf_encode(v, o, *(const unsigned *)ud, sink, err);
}
static zr_status dec_etf(void *ud, const uint8_t *data, size_t len, const zr_decode_opts *o, zr_doc **out,
                         zr_error *err) {
  return zr_etf_decode(data, len, o, *(const unsigned *)ud, out, err);
}

static const unsigned dec_flags[] = {0,
                                     ZR_ETF_ATOMS_AS_SYMBOLS | ZR_ETF_CHARLIST_STRING,
                                     ZR_ETF_UNDEFINED_NULL | ZR_ETF_IMPROPER_TAGGED,
                                     ZR_ETF_NO_TAGS | ZR_ETF_BINARY_STRINGS};

static void test_values(void **state) {
  (void)state;
  const zr_format *f = zr_format_by_name("etf");
  zr_doc *d = zr_doc_new(NULL);
  cv_set all;
  cv_all(d, &all, 0);
  zr_value m;
  zr_value l = cv_supported(d, f, &all, NULL, &m);
  static const unsigned enc_flags[] = {ZR_ETF_COMPRESS, ZR_ETF_NO_TAGS, ZR_ETF_BINARY_STRINGS,
                                       ZR_ETF_UNDEFINED_NULL | ZR_ETF_ATOMS_AS_SYMBOLS};
  for (size_t i = 0; i < sizeof enc_flags / sizeof *enc_flags; i++) {
    char what[64];
    snprintf(what, sizeof what, "etf enc flags %#x", enc_flags[i]);
    size_t len;
    zr_encode_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.flags = ZR_ENC_DETERMINISTIC;
    eo.level = (int)i;
    uint8_t *b = NULL;
    zr_error err;
    if (cs_encode_mem(enc_etf, (void *)&enc_flags[i], &l, &eo, &b, &len, &err) != ZR_OK) {
      assert_int_equal(err.code, ZR_ERR_TYPE);
      continue;
    }
    free(b);
    cs_offset_limit = (enc_flags[i] & ZR_ETF_COMPRESS) ? (int64_t)1 << 30 : 0;
    b = cs_encode_sweep(what, enc_etf, (void *)&enc_flags[i], &l, &eo, &len);
    for (size_t k = 0; k < sizeof dec_flags / sizeof *dec_flags; k++)
      cs_decode_sweep(what, dec_etf, (void *)&dec_flags[k], b, len, NULL);
    free(b);
    b = cs_encode_sweep(what, enc_etf, (void *)&enc_flags[i], &m, NULL, &len);
    cs_decode_hostile(what, dec_etf, (void *)&dec_flags[1], b, len);
    free(b);
    cs_offset_limit = 0;
  }
  zr_doc_free(d);
}

/* a corpus file with each decoder flag set: the whole sweep (every 8th file and the short ones) or
 * the hostile part; and inspect */
static void corpus_file(void *ud, const char *what, const char *name, size_t i, const uint8_t *b, size_t len) {
  (void)name;
  cs_offset_limit = len > 1 && b[1] == 80 ? (int64_t)1 << 30 : 0; /* compressed */
  for (size_t k = 0; k < sizeof dec_flags / sizeof *dec_flags; k++) {
    zr_doc *out = NULL;
    if (zr_etf_decode(b, len, NULL, dec_flags[k], &out, NULL) == ZR_OK) {
      zr_doc_free(out);
      if (i % 8 == 0 || len < 200) cs_decode_sweep(what, dec_etf, (void *)&dec_flags[k], b, len, NULL);
      else cs_decode_hostile(what, dec_etf, (void *)&dec_flags[k], b, len);
    } else {
      cs_decode_hostile(what, dec_etf, (void *)&dec_flags[k], b, len);
    }
  }
  cs_inspect_any(ud, b, len);
}

static void test_corpus(void **state) {
  (void)state;
  cs_corpus_each("fuzz/corpus/etf_decode", "etf file", 20, CS_SCALE > 1 ? 7 : 1, corpus_file,
                 (void *)zr_format_by_name("etf"));
  cs_report("etf");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_values),
      cmocka_unit_test(test_corpus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
