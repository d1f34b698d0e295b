/* JSON fault sweeps (../formats/cov_sweep.h): zr_value_to_json with every flag combination
 * (pretty, extended typed wrappers, sorted keys) over every value kind, and zr_value_from_json
 * reading plain and extended text back, plus the named seed corpus (JSON lines, deep nesting,
 * bad UTF-8), under the failing allocator, short or failing sinks, truncation, corruption, limits. */
#include "../formats/cov_sweep.h"
#include "../formats/cov_values.h"

static zr_status enc_json(void *ud, const zr_value *v, const zr_encode_opts *o, zr_sink *sink, zr_error *err) {
  (void)o;
  return zr_value_to_json(v, *(const unsigned *)ud, sink, err);
}
static zr_status dec_json(void *ud, const uint8_t *data, size_t len, const zr_decode_opts *o, zr_doc **out,
                          zr_error *err) {
  return zr_value_from_json((const char *)data, len, *(const unsigned *)ud, o, out, err);
}

static void test_flags(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  cv_set all;
  cv_all(d, &all, 0);
  for (unsigned flags = 0; flags < 8; flags++) {
    zr_value l = zr_list_new(d, 0), m = zr_map_new(d, 0);
    for (size_t i = 0; i < all.n; i++) {
      zr_sink *s = NULL;
      zr_sink_memory_new(NULL, &s, NULL);
      zr_status st = zr_value_to_json(&all.v[i], flags, s, NULL);
      zr_sink_free(s);
      if (st != ZR_OK) continue;
      zr_list_push(d, &l, all.v[i]);
      zr_map_put(d, &m, cv_key(d, &all, i), all.v[i]);
    }
    char what[64];
    snprintf(what, sizeof what, "json flags %u", flags);
    size_t len;
    uint8_t *b = NULL;
    if (flags == 1 || flags == 4) { /* pretty alone, sorted keys alone: the bytes only */
      assert_int_equal(cs_encode_mem(enc_json, &flags, &m, NULL, &b, &len, NULL), ZR_OK);
      free(b);
      continue;
    }
    free(cs_encode_sweep(what, enc_json, &flags, &m, NULL, &len));
    b = cs_encode_sweep(what, enc_json, &flags, &l, NULL, &len);
    unsigned rf = flags & ZR_JSON_EXTENDED;
    cs_budgets(400, 250);
    cs_decode_sweep(what, dec_json, &rf, b, len, NULL);
    cs_budgets_reset();
    free(b);
  }
  zr_doc_free(d);
}

/* a corpus file read plain and extended, and through the format table */
static void corpus_file(void *ud, const char *what, const char *name, size_t i, const uint8_t *b, size_t len) {
  (void)name;
  (void)i;
  for (unsigned rf = 0; rf <= ZR_JSON_EXTENDED; rf += ZR_JSON_EXTENDED) {
    cs_decode_any(what, dec_json, &rf, b, len);
  }
  cs_decode_hostile(what, cs_fmt_decode, ud, b, len);
}

static void test_corpus(void **state) {
  (void)state;
  cs_corpus_each("fuzz/corpus/json_decode", "json file", 5, 1, corpus_file, (void *)zr_format_by_name("json"));
  cs_report("json");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flags),
      cmocka_unit_test(test_corpus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
