/* Format selection rules, table-driven: shape → expected format, plus sampling bounds, weights
 * and learning. Mock formats stand in for the real modules (tests/ctx/mock_formats.h). */
#include "zr_test.h"
#include "../ctx/mock_formats.h"
#include "ctx/ctx_internal.h"

typedef zr_value (*builder)(zr_doc *d);

static zr_value b_records(zr_doc *d) {
  zr_value l = zr_list_new(d, 100);
  for (int i = 0; i < 100; i++) {
    zr_value m = zr_map_new(d, 3);
    zr_map_put_cstr(d, &m, "id", zr_int(i));
    zr_map_put_cstr(d, &m, "name", zr_cstr_ref("row"));
    zr_map_put_cstr(d, &m, "score", zr_float(i * 0.5));
    zr_list_push(d, &l, m);
  }
  return l;
}
static zr_value b_records_mixed(zr_doc *d) {
  zr_value l = b_records(d);
  l.u.items[10].u.members[2].val = zr_cstr_ref("oops"); /* sampled row 10: a column of mixed kinds */
  return l;
}
static zr_value b_records_keys(zr_doc *d) {
  zr_value l = b_records(d);
  l.u.items[3].u.members[1].key = zr_cstr_ref("other");
  return l;
}
static zr_value b_columns(zr_doc *d) {
  zr_value m = zr_map_new(d, 2);
  zr_value a = zr_list_new(d, 50), b = zr_list_new(d, 50);
  for (int i = 0; i < 50; i++) {
    zr_list_push(d, &a, zr_int(i));
    zr_list_push(d, &b, zr_float(i));
  }
  zr_map_put_cstr(d, &m, "a", a);
  zr_map_put_cstr(d, &m, "b", b);
  return m;
}
static zr_value b_columns_ragged(zr_doc *d) {
  zr_value m = b_columns(d);
  m.u.members[1].val.n.len = 49;
  return m;
}
static zr_value b_matrix(zr_doc *d) {
  zr_value l = zr_list_new(d, 20);
  for (int i = 0; i < 20; i++) {
    zr_value r = zr_list_new(d, 8);
    for (int j = 0; j < 8; j++) zr_list_push(d, &r, zr_float(i * j));
    zr_list_push(d, &l, r);
  }
  return l;
}
static zr_value b_vector(zr_doc *d) {
  zr_value l = zr_list_new(d, 100);
  for (int i = 0; i < 100; i++) zr_list_push(d, &l, zr_int(i * 7));
  return l;
}
static double tensor_data[64];
static zr_value b_tensor(zr_doc *d) {
  zr_tensor t;
  int64_t shape[2] = {8, 8};
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, shape, tensor_data, NULL);
  return zr_tensor_value(d, &t);
}
static uint8_t blob[1000];
static zr_value b_blob(zr_doc *d) {
  (void)d;
  return zr_bin_ref(blob, sizeof blob);
}
static zr_value b_int(zr_doc *d) {
  (void)d;
  return zr_int(42);
}
static zr_value b_string(zr_doc *d) {
  (void)d;
  return zr_cstr_ref("hello");
}
static zr_value b_hetero(zr_doc *d) {
  zr_value l = zr_list_new(d, 4);
  zr_list_push(d, &l, zr_int(1));
  zr_list_push(d, &l, zr_cstr_ref("two"));
  zr_value m = zr_map_new(d, 1);
  zr_map_put_cstr(d, &m, "k", zr_bool(1));
  zr_list_push(d, &l, m);
  zr_list_push(d, &l, zr_null());
  return l;
}
static zr_value b_ext(zr_doc *d) { return zr_ext(d, 77, 1, "abc", 3); }

typedef struct rule_case {
  const char *name;
  builder build;
  const char *target;
  const char *shape;
  const char *format;
} rule_case;

static const rule_case cases[] = {
    {"records", b_records, NULL, "records", "arrow-stream"},
    {"records, mixed column", b_records_mixed, NULL, "document", "binary"},
    {"records, different keys", b_records_keys, NULL, "document", "binary"},
    {"columns", b_columns, NULL, "columns", "arrow-stream"},
    {"ragged columns", b_columns_ragged, NULL, "document", "binary"},
    {"nested numeric list", b_matrix, NULL, "numeric-list", "npy"},
    {"numeric vector", b_vector, NULL, "numeric-list", "npy"},
    {"tensor", b_tensor, NULL, "tensor", "npy"},
    {"tensor for a Python object graph", b_tensor, "python-objects", "tensor", "pickle"},
    {"numeric list for a Python object graph", b_matrix, "python-objects", "numeric-list", "pickle"},
    {"blob", b_blob, NULL, "binary", "binary"},
    {"scalar", b_int, NULL, "scalar", "binary"},
    {"string", b_string, NULL, "string", "binary"},
    {"heterogeneous", b_hetero, NULL, "document", "binary"},
    {"ext", b_ext, NULL, "ext", "binary"},
    {"records for python", b_records, "python", "records", "arrow-stream"},
    {"tensor for numpy", b_tensor, "numpy", "tensor", "npy"},
};

static void test_rules(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  assert_non_null(ctx);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    zr_doc *d = zr_doc_new(NULL);
    zr_value v = cases[i].build(d);
    assert_int_equal(zr_doc_status(d), ZR_OK);
    zr_serialize_opts o;
    zr_serialize_opts_init(&o);
    o.target = cases[i].target;
    zr_decision dec;
    assert_int_equal(zr_explain(ctx, &v, &o, &dec, NULL), ZR_OK);
    if (strcmp(dec.ch.shape, cases[i].shape) != 0 || strcmp(dec.format, cases[i].format) != 0) {
      print_error("case '%s': shape %s format %s (expected %s → %s); reason: %s\n", cases[i].name, dec.ch.shape,
                  dec.format, cases[i].shape, cases[i].format, dec.reason);
      fail();
    }
    assert_true(dec.reason[0] != 0);
    assert_true(dec.n_candidates >= 4);
    /* ranking is sorted: viable first, scores descending */
    for (unsigned k = 1; k < dec.n_candidates; k++)
      if (dec.cand[k].viable) assert_true(dec.cand[k - 1].score >= dec.cand[k].score);
    zr_doc_free(d);
  }
  zr_ctx_free(ctx);
}

/* Analysis of a big value stays within the node budget and extrapolates the counts. */
static void test_sampling_bounded(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = zr_list_new(d, 200000);
  for (int i = 0; i < 200000; i++) zr_list_push(d, &l, zr_int(i));
  zr_characteristics ch;
  zr__select_analyze(&l, 64, 4096, &ch);
  assert_true(ch.sampled <= 4096);
  assert_true(ch.sampled_partially);
  assert_true(ch.elements > 150000 && ch.elements < 250000);
  assert_true(ch.size_estimate > 1000000);
  assert_string_equal(ch.shape, "numeric-list");
  /* deep nesting: depth measured, bounded by the node budget */
  zr_value root = zr_list_new(d, 1), *cur = &root;
  for (int i = 0; i < 100; i++) {
    zr_value inner = zr_list_new(d, 1);
    zr_list_push(d, cur, inner);
    cur = &cur->u.items[0];
  }
  zr__select_analyze(&root, 64, 50, &ch);
  assert_true(ch.sampled <= 50);
  zr__select_analyze(&root, 64, 4096, &ch);
  assert_int_equal(ch.depth, 100);
  zr_doc_free(d);
}

static void test_compressibility(void **state) {
  (void)state;
  static uint8_t zeros[100000], rnd[100000];
  uint64_t s = 1;
  for (size_t i = 0; i < sizeof rnd; i++) rnd[i] = (uint8_t)zr_test_rand(&s);
  zr_value a = zr_bin_ref(zeros, sizeof zeros), b = zr_bin_ref(rnd, sizeof rnd);
  zr_characteristics ca, cb;
  zr__select_analyze(&a, 64, 4096, &ca);
  zr__select_analyze(&b, 64, 4096, &cb);
  assert_true(ca.compressibility > 0.8);
  assert_true(cb.compressibility < 0.1);
  zr_ctx *ctx = mock_ctx();
  zr_decision d;
  assert_int_equal(zr_explain(ctx, &a, NULL, &d, NULL), ZR_OK);
  assert_string_not_equal(d.codec, "none");
  assert_int_equal(zr_explain(ctx, &b, NULL, &d, NULL), ZR_OK);
  assert_string_equal(d.codec, "none");
  assert_non_null(strstr(d.reason, "incompressible"));
  zr_value small = zr_cstr_ref("tiny");
  assert_int_equal(zr_explain(ctx, &small, NULL, &d, NULL), ZR_OK);
  assert_string_equal(d.codec, "none");
  assert_non_null(strstr(d.reason, "min_size"));
  zr_ctx_free(ctx);
}

/* Weights from the configuration change the ranking. */
static void test_weights(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = b_matrix(d);
  zr_decision dec;
  assert_int_equal(zr_explain(ctx, &v, NULL, &dec, NULL), ZR_OK);
  assert_string_equal(dec.format, "npy");
  assert_int_equal(zr_ctx_set(ctx, "selection.performance", "0", NULL), ZR_OK);
  assert_int_equal(zr_ctx_set(ctx, "selection.compatibility", "1", NULL), ZR_OK);
  assert_int_equal(zr_ctx_set(ctx, "target", "beam", NULL), ZR_OK);
  assert_int_equal(zr_explain(ctx, &v, NULL, &dec, NULL), ZR_OK);
  assert_string_equal(dec.format, "binary");
  assert_true(dec.weight_compatibility > 0.99);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

/* Measured costs feed the next decisions and show in explain. */
static void test_learning(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  assert_int_equal(zr_ctx_set(ctx, "selection.learning", "true", NULL), ZR_OK);
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = b_hetero(d);
  for (int i = 0; i < 5; i++) {
    zr_sink *s;
    zr_sink_memory_new(NULL, &s, NULL);
    assert_int_equal(zr_serialize(ctx, &v, NULL, s, NULL, NULL), ZR_OK);
    zr_sink_free(s);
  }
  zr_decision dec;
  assert_int_equal(zr_explain(ctx, &v, NULL, &dec, NULL), ZR_OK);
  assert_string_equal(dec.cand[0].format, "binary");
  assert_int_equal(dec.cand[0].measurements, 5);
  assert_true(dec.cand[0].measured_ns_per_byte >= 0);
  assert_non_null(strstr(dec.cand[0].reasons, "measured"));
  /* a (pretend) much cheaper measured cost for pickle moves it up */
  for (int i = 0; i < 8; i++) zr__ctx_learn(ctx, 0.5, "document/S", "pickle", "none", 0.0001, 0, 0.1);
  assert_int_equal(zr_explain(ctx, &v, NULL, &dec, NULL), ZR_OK);
  unsigned pk = 99, bi = 99;
  for (unsigned i = 0; i < dec.n_candidates; i++) {
    if (!strcmp(dec.cand[i].format, "pickle")) pk = i;
    if (!strcmp(dec.cand[i].format, "binary")) bi = i;
  }
  assert_true(dec.cand[pk].performance > 0.99);
  assert_true(dec.cand[bi].performance < 0.5);
  /* learning off: measurements ignored */
  assert_int_equal(zr_ctx_set(ctx, "selection.learning", "false", NULL), ZR_OK);
  assert_int_equal(zr_explain(ctx, &v, NULL, &dec, NULL), ZR_OK);
  assert_int_equal(dec.cand[0].measurements, 0);
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

static void test_unavailable(void **state) {
  (void)state;
  zr_ctx *ctx = NULL;
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  zr_ctx_register_format(ctx, &mock_binary, NULL);
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = b_records(d);
  zr_decision dec;
  assert_int_equal(zr_explain(ctx, &v, NULL, &dec, NULL), ZR_OK);
  if (!zr_format_by_name("arrow-stream")) {
    assert_string_equal(dec.format, "binary");
    int seen = 0;
    for (unsigned i = 0; i < dec.n_candidates; i++)
      if (!strcmp(dec.cand[i].format, "arrow-stream")) {
        seen = 1;
        assert_false(dec.cand[i].viable);
        assert_non_null(strstr(dec.cand[i].reasons, "not available"));
      }
    assert_true(seen);
  }
  zr_doc_free(d);
  zr_ctx_free(ctx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rules),         cmocka_unit_test(test_sampling_bounded),
      cmocka_unit_test(test_compressibility), cmocka_unit_test(test_weights),
      cmocka_unit_test(test_learning),      cmocka_unit_test(test_unavailable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
