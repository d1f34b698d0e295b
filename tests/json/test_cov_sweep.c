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
  memset(&all, 0, sizeof all);
  cv_plain(d, &all, 0);
  cv_tensors(d, &all);
  for (unsigned flags = 0; flags < 8; flags++) {
    zr_value l = zr_list_new(d, 0), m = zr_map_new(d, 0);
    for (size_t i = 0; i < all.n; i++) {
      zr_sink *s = NULL;
      zr_sink_memory_new(NULL, &s, NULL);
      zr_status st = zr_value_to_json(&all.v[i], flags, s, NULL);
      zr_sink_free(s);
      if (st != ZR_OK) continue;
      zr_list_push(d, &l, all.v[i]);
      char *k = zr_doc_alloc(d, 48, 1);
      int kl = snprintf(k, 48, "%s_%zu", all.name[i], i);
      zr_map_put(d, &m, zr_str_ref(k, (size_t)kl), all.v[i]);
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
    cs_budget_trunc = 400;
    cs_budget_corrupt = 250;
    cs_decode_sweep(what, dec_json, &rf, b, len, NULL);
    cs_budget_trunc = 1500;
    cs_budget_corrupt = 1000;
    free(b);
  }
  zr_doc_free(d);
}

static void test_corpus(void **state) {
  (void)state;
  char *names[64];
  size_t n = cs_list_named("fuzz/corpus/json_decode", names, 64);
  assert_true(n >= 5);
  const zr_format *f = zr_format_by_name("json");
  for (size_t i = 0; i < n; i++) {
    size_t len;
    uint8_t *b = cs_load("fuzz/corpus/json_decode", names[i], &len);
    char what[96];
    snprintf(what, sizeof what, "json file %s", names[i]);
    for (unsigned rf = 0; rf <= ZR_JSON_EXTENDED; rf += ZR_JSON_EXTENDED) {
      cs_decode_any(what, dec_json, &rf, b, len);
    }
    cs_decode_hostile(what, cs_fmt_decode, (void *)f, b, len);
    free(b);
    free(names[i]);
  }
  cs_report("json");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flags),
      cmocka_unit_test(test_corpus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
