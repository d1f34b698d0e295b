/* Fault sweeps through the format table for the value formats (binary, etf, json, pickle):
 * every value kind the format accepts, as one list and as one map, with each encoder option set
 * (default, deterministic, strict, compression); each encoding goes through the failing
 * allocator, short sinks, failing writes, truncation, corruption and limits (cov_sweep.h). */
#include "cov_sweep.h"
#include "cov_values.h"

static void sweep_format(const char *name) {
  const zr_format *f = zr_format_by_name(name);
  assert_non_null(f);
  zr_doc *d = zr_doc_new(NULL);
  cv_set all;
  cv_all(d, &all, 0);
  zr_value m;
  zr_value l = cv_supported(d, f, &all, NULL, &m);
  assert_int_equal(zr_doc_status(d), ZR_OK);
  assert_true(zr_len(&l) > 10);
  char what[64];
  snprintf(what, sizeof what, "%s list", name);
  cs_roundtrip_sweep(what, f, &l, NULL);
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.flags = ZR_ENC_DETERMINISTIC;
  snprintf(what, sizeof what, "%s map deterministic", name);
  cs_roundtrip_sweep(what, f, &m, &eo);
  zr_warnings w;
  memset(&w, 0, sizeof w);
  eo.flags = 0;
  eo.warnings = &w;
  snprintf(what, sizeof what, "%s map warnings", name);
  size_t len;
  free(cs_encode_sweep(what, cs_fmt_encode, (void *)f, &m, &eo, &len));
  zr_doc_free(d);
}

/* every value alone at the top level (decoders special-case some roots) */
static void sweep_each(const char *name) {
  const zr_format *f = zr_format_by_name(name);
  zr_doc *d = zr_doc_new(NULL);
  cv_set all;
  cv_all(d, &all, 1);
  for (size_t i = 0; i < all.n; i++) {
    uint8_t *b = NULL;
    size_t len = 0;
    if (cs_encode_mem(cs_fmt_encode, (void *)f, &all.v[i], NULL, &b, &len, NULL) != ZR_OK) continue;
    char what[96];
    snprintf(what, sizeof what, "%s %s", name, all.name[i]);
    if (len < 4096) cs_decode_hostile(what, cs_fmt_decode, (void *)f, b, len);
    zr_doc *out = NULL;
    zr_decode_opts o;
    zr_decode_opts_init(&o);
    o.copy = 1;
    assert_int_equal(f->decode(b, len, &o, &out, NULL), ZR_OK);
    zr_doc_free(out);
    free(b);
  }
  zr_doc_free(d);
}

static void test_binary(void **state) {
  (void)state;
  sweep_format("binary");
  sweep_each("binary");
}
static void test_etf(void **state) {
  (void)state;
  sweep_format("etf");
  sweep_each("etf");
}
static void test_json(void **state) {
  (void)state;
  sweep_format("json");
  sweep_each("json");
}
static void test_pickle(void **state) {
  (void)state;
  sweep_format("pickle");
  sweep_each("pickle");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_binary),
      cmocka_unit_test(test_etf),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_pickle),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  cs_report("formats sweep");
  return rc;
}
