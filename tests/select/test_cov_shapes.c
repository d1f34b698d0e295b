/* Coverage of the selection rules: every reason a list is not records or a numeric array, a map
 * not columns; tensors and tables without data, strided or large; walks cut short by max_nodes;
 * the byte sample filling up; shape keys in tiny buffers; and the ranking with unavailable formats
 * and codecs, learned statistics, custom types, odd weights and targets, a configured codec. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "select/select.h"
#include "zr_test.h"

static zr_doc *d;

static const char *shape_of(const zr_value *v) {
  static zr_characteristics ch;
  zr__select_analyze(v, 0, 0, &ch);
  return ch.shape;
}

static zr_value map2(const char *k1, zr_value v1, const char *k2, zr_value v2) {
  zr_value m = zr_map_new(d, 2);
  zr_map_put_cstr(d, &m, k1, v1);
  if (k2) zr_map_put_cstr(d, &m, k2, v2);
  return m;
}

static zr_value list_of(int n, zr_value (*item)(int)) {
  zr_value l = zr_list_new(d, (size_t)n);
  for (int i = 0; i < n; i++) zr_list_push(d, &l, item(i));
  return l;
}
static zr_value row_ok(int i) { return map2("a", zr_int(i), "b", i % 2 ? zr_float(0.5) : zr_uint((uint64_t)i)); }

static void test_records_rules(void **state) {
  (void)state;
  d = zr_doc_new(NULL);
  zr_value l = list_of(10, row_ok);
  assert_string_equal(shape_of(&l), "records"); /* ints, uints and floats share a column */
  /* a null value is fine in any column */
  zr_list_push(d, &l, map2("a", zr_null(), "b", zr_int(1)));
  assert_string_equal(shape_of(&l), "records");
  /* each way of not being records: the value is then a document */
  zr_value cases[9];
  cases[0] = zr_list_new(d, 1);
  zr_list_push(d, &cases[0], zr_map_new(d, 0)); /* first map empty */
  cases[1] = zr_list_new(d, 1);
  {
    zr_value m = zr_map_new(d, 1);
    zr_map_put(d, &m, zr_int(1), zr_int(2)); /* a key that is not a string */
    zr_list_push(d, &cases[1], m);
  }
  cases[2] = list_of(3, row_ok);
  zr_list_push(d, &cases[2], zr_int(4)); /* a row that is not a map */
  cases[3] = list_of(3, row_ok);
  zr_list_push(d, &cases[3], map2("a", zr_int(1), NULL, zr_null())); /* fewer keys */
  cases[4] = list_of(3, row_ok);
  zr_list_push(d, &cases[4], map2("a", zr_int(1), "c", zr_int(2))); /* another key name */
  cases[5] = list_of(3, row_ok);
  zr_list_push(d, &cases[5], map2("a", zr_int(1), "bb", zr_int(2))); /* another key length */
  cases[6] = list_of(3, row_ok);
  zr_list_push(d, &cases[6], map2("a", zr_int(1), "b", zr_list_new(d, 0))); /* a nested value */
  cases[7] = list_of(3, row_ok);
  zr_list_push(d, &cases[7], map2("a", zr_cstr_ref("text"), "b", zr_int(1))); /* mixed column */
  cases[8] = list_of(3, row_ok);
  {
    zr_value m = zr_map_new(d, 2);
    zr_map_put_cstr(d, &m, "a", zr_int(1));
    zr_map_put(d, &m, zr_int(7), zr_int(2)); /* a later row's key is not a string */
    zr_list_push(d, &cases[8], m);
  }
  for (int i = 0; i < 9; i++)
    if (strcmp(shape_of(&cases[i]), "document") != 0) fail_msg("case %d: %s", i, shape_of(&cases[i]));
  /* wide rows: the comparison budget ends the check (still records); too many keys: not */
  zr_value wide = zr_list_new(d, 64);
  for (int r = 0; r < 64; r++) {
    zr_value m = zr_map_new(d, 100);
    for (int c = 0; c < 100; c++) {
      char k[8];
      snprintf(k, sizeof k, "k%d", c);
      zr_map_put_cstr(d, &m, k, zr_int(c));
    }
    zr_list_push(d, &wide, m);
  }
  zr_characteristics ch;
  zr__select_analyze(&wide, 0, 0, &ch);
  assert_string_equal(ch.shape, "records");
  assert_int_equal(ch.cols, 100);
  zr_value huge = zr_list_new(d, 1);
  zr_value m = zr_map_new(d, 4097);
  for (int c = 0; c < 4097; c++) {
    char k[8];
    snprintf(k, sizeof k, "k%d", c);
    zr_map_put_cstr(d, &m, k, zr_int(c));
  }
  zr_list_push(d, &huge, m);
  assert_string_equal(shape_of(&huge), "document");
  zr_doc_free(d);
}

static zr_value num(int i) { return i % 3 ? zr_int(i) : zr_float(i * 0.5); }
static zr_value row3(int i) {
  zr_value r = zr_list_new(d, 3);
  for (int k = 0; k < 3; k++) zr_list_push(d, &r, zr_uint((uint64_t)(i + k)));
  return r;
}

static void test_numeric_and_columns(void **state) {
  (void)state;
  d = zr_doc_new(NULL);
  zr_characteristics ch;
  zr_value l = list_of(20, num);
  zr__select_analyze(&l, 0, 0, &ch);
  assert_string_equal(ch.shape, "numeric-list");
  assert_int_equal(ch.rows, 20);
  zr_list_push(d, &l, zr_cstr_ref("x"));
  assert_string_equal(shape_of(&l), "document");
  zr_value bools = zr_list_new(d, 2);
  zr_list_push(d, &bools, zr_bool(1));
  zr_list_push(d, &bools, zr_bool(0));
  assert_string_equal(shape_of(&bools), "document");
  zr_value grid = list_of(5, row3);
  zr__select_analyze(&grid, 0, 0, &ch);
  assert_string_equal(ch.shape, "numeric-list");
  assert_int_equal(ch.cols, 3);
  zr_value g2 = list_of(5, row3);
  zr_list_push(d, &g2, zr_int(1)); /* a row that is not a list */
  assert_string_equal(shape_of(&g2), "document");
  zr_value g3 = list_of(5, row3);
  zr_list_push(d, &g3, zr_list_new(d, 0)); /* a shorter row */
  assert_string_equal(shape_of(&g3), "document");
  zr_value g4 = list_of(2, row3);
  zr_value bad = zr_list_new(d, 3);
  zr_list_push(d, &bad, zr_int(1));
  zr_list_push(d, &bad, zr_null());
  zr_list_push(d, &bad, zr_int(3));
  zr_list_push(d, &g4, bad); /* a null in a row */
  assert_string_equal(shape_of(&g4), "document");
  zr_value g5 = list_of(2, row3);
  zr_value deep = zr_list_new(d, 3);
  for (int k = 0; k < 3; k++) zr_list_push(d, &deep, row3(k));
  zr_list_push(d, &g5, deep); /* deeper nesting is accepted here */
  assert_string_equal(shape_of(&g5), "numeric-list");
  zr_value e0 = zr_list_new(d, 1);
  zr_list_push(d, &e0, zr_list_new(d, 0)); /* the first row is empty */
  assert_string_equal(shape_of(&e0), "document");

  /* columns */
  zr_value cols = map2("x", list_of(4, num), "y", list_of(4, num));
  zr__select_analyze(&cols, 0, 0, &ch);
  assert_string_equal(ch.shape, "columns");
  assert_int_equal(ch.rows, 4);
  assert_int_equal(ch.cols, 2);
  zr_value c1 = map2("x", list_of(4, num), "y", list_of(5, num)); /* unequal lengths */
  assert_string_equal(shape_of(&c1), "document");
  zr_value c2 = map2("x", list_of(4, num), "y", zr_int(1)); /* not a list */
  assert_string_equal(shape_of(&c2), "document");
  zr_value c3 = map2("x", list_of(3, row3), NULL, zr_null()); /* not scalars */
  assert_string_equal(shape_of(&c3), "document");
  zr_value c4 = zr_map_new(d, 1);
  zr_map_put(d, &c4, zr_int(1), list_of(2, num)); /* a key that is not a string */
  assert_string_equal(shape_of(&c4), "document");
  zr_value c5 = zr_map_new(d, 4097);
  for (int c = 0; c < 4097; c++) {
    char k[8];
    snprintf(k, sizeof k, "c%d", c);
    zr_map_put_cstr(d, &c5, k, zr_list_new(d, 0));
  }
  zr__select_analyze(&c5, 0, 100000, &ch);
  assert_string_equal(ch.shape, "document");
  zr_value empty = zr_map_new(d, 0);
  assert_string_equal(shape_of(&empty), "document");
  zr_doc_free(d);
}

static void test_walk_edges(void **state) {
  (void)state;
  d = zr_doc_new(NULL);
  zr_characteristics ch;
  zr__select_analyze(NULL, 0, 0, &ch);
  assert_string_equal(ch.shape, "scalar");
  /* tensors and tables without their object */
  zr_value t0;
  memset(&t0, 0, sizeof t0);
  t0.kind = ZR_KIND_TENSOR;
  zr__select_analyze(&t0, 0, 0, &ch);
  assert_string_equal(ch.shape, "tensor");
  assert_int_equal(ch.size_estimate, 16);
  assert_int_equal(ch.rows, 0);
  t0.kind = ZR_KIND_TABLE;
  zr__select_analyze(&t0, 0, 0, &ch);
  assert_string_equal(ch.shape, "table");
  assert_int_equal(ch.size_estimate, 16);
  /* a 0-d tensor (one row), an empty one, one without data (huge, size L), a strided one (not
   * sampled), a large one (three windows), fixed-size strings (not numeric) */
  static double one = 3.0;
  zr_tensor t;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 0, NULL, &one, NULL), ZR_OK);
  zr_value x = zr_tensor_value(d, &t);
  zr__select_analyze(&x, 0, 0, &ch);
  assert_int_equal(ch.rows, 1);
  assert_int_equal(ch.cols, 0);
  int64_t z = 0;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 1, &z, NULL, NULL), ZR_OK);
  x = zr_tensor_value(d, &t);
  zr__select_analyze(&x, 0, 0, &ch);
  assert_int_equal(ch.elements, 1);
  assert_true(ch.entropy < 0); /* no bytes seen */
  int64_t big[2] = {1 << 20, 8};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, big, NULL, NULL), ZR_OK);
  x = zr_tensor_value(d, &t);
  zr__select_analyze(&x, 0, 0, &ch);
  char key[48];
  zr__select_shape_key(&ch, key, sizeof key);
  assert_string_equal(key, "tensor/L");
  assert_int_equal(ch.cols, 8);
  static int32_t grid[64 * 64];
  for (int i = 0; i < 64 * 64; i++) grid[i] = i & 7;
  int64_t sq[2] = {32, 32};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT32, 4, 2, sq, grid, NULL), ZR_OK);
  t.strides[0] = 4 * 64 * 2; /* every other row of a 64 × 64 grid */
  t.strides[1] = 8;
  x = zr_tensor_value(d, &t);
  zr__select_analyze(&x, 0, 0, &ch);
  assert_true(ch.entropy < 0);
  int64_t all = 64 * 64;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT32, 4, 1, &all, grid, NULL), ZR_OK);
  x = zr_tensor_value(d, &t);
  zr__select_analyze(&x, 0, 0, &ch);
  assert_true(ch.entropy >= 0 && ch.entropy <= 3.2); /* 3 bits of values in 32-bit cells */
  zr__select_shape_key(&ch, key, sizeof key);
  assert_string_equal(key, "tensor/S");
  static char strs[4][5] = {"abcd", "efgh", "ijkl", "mnop"};
  int64_t four = 4;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_BYTES, 5, 1, &four, strs, NULL), ZR_OK);
  x = zr_tensor_value(d, &t);
  zr__select_analyze(&x, 0, 0, &ch);
  assert_true(ch.numeric_share < 0.01);
  /* the byte sample stops at 16 KiB; zeros compress to the cap */
  static uint8_t zero[2048];
  zr_value blobs = zr_list_new(d, 40);
  for (int i = 0; i < 40; i++) zr_list_push(d, &blobs, zr_bin_ref(zero, sizeof zero));
  zr__select_analyze(&blobs, 0, 0, &ch);
  assert_true(ch.compressibility > 0.979 && ch.compressibility < 0.981);
  zr_value nul = zr_bin_ref(NULL, 0);
  zr__select_analyze(&nul, 0, 0, &ch);
  assert_string_equal(ch.shape, "binary");
  assert_true(ch.entropy < 0);
  /* every scalar kind in one list */
  zr_value mix = zr_list_new(d, 8);
  zr_list_push(d, &mix, zr_timestamp(d, 5, ZR_TU_SECOND, NULL));
  uint8_t mag[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  zr_list_push(d, &mix, zr_bigint(d, 1, mag, sizeof mag));
  zr_list_push(d, &mix, zr_sym_ref("atom", 4));
  zr_list_push(d, &mix, zr_bin_ref("b", 1));
  zr_list_push(d, &mix, zr_ext(d, 1, 1, "e", 1));
  zr__select_analyze(&mix, 0, 0, &ch);
  assert_string_equal(ch.shape, "document");
  assert_true(ch.homogeneity < 0.5);
  /* max_nodes reached before the first item of an inner list: the count is extrapolated */
  zr_value outer = list_of(3, row3);
  zr__select_analyze(&outer, 0, 2, &ch);
  assert_true(ch.sampled_partially);
  assert_int_equal(ch.sampled, 2);
  assert_true(ch.elements >= 4);
  /* shape keys in small buffers are cut like snprintf */
  zr__select_analyze(&outer, 0, 0, &ch);
  char tiny[5] = "zzzz";
  zr__select_shape_key(&ch, tiny, 0);
  assert_string_equal(tiny, "zzzz");
  zr__select_shape_key(&ch, tiny, sizeof tiny);
  assert_string_equal(tiny, "nume");
  zr_characteristics mid = ch;
  mid.size_estimate = 100000;
  zr__select_shape_key(&mid, key, sizeof key);
  assert_string_equal(key, "numeric-list/M");
  zr_doc_free(d);
}

/* ---- ranking ---- */

typedef struct env {
  int no_npy, no_zstd, none, lookups;
  zr__sel_stats st;
} env;
static int fmt_avail(void *ud, const char *name) {
  env *e = ud;
  return !e->none && !(e->no_npy && strcmp(name, "npy") == 0);
}
static env *cur_env;
static int codec_avail(const char *name) { return !(cur_env->no_zstd && strcmp(name, "zstd") == 0); }
static int lookup(void *ud, const char *key, const char *format, const char *codec, zr__sel_stats *out) {
  env *e = ud;
  (void)key;
  e->lookups++;
  if (strcmp(format, "npy") != 0 || strcmp(codec, "none") != 0) return 0;
  *out = e->st;
  return 1;
}

static void base_params(zr__sel_params *p, env *e) {
  memset(p, 0, sizeof *p);
  p->w_perf = 0.5;
  p->w_compat = 0.5;
  p->target = "any";
  p->codec = "auto";
  p->compress_min = 1024;
  p->transfer_ns_per_byte = 1.0;
  p->format_available = fmt_avail;
  p->codec_available = codec_avail;
  p->lookup = lookup;
  p->ud = e;
  cur_env = e;
}

static const zr_candidate *cand(const zr_decision *dc, const char *name) {
  for (unsigned i = 0; i < dc->n_candidates; i++)
    if (strcmp(dc->cand[i].format, name) == 0) return &dc->cand[i];
  fail_msg("no candidate %s", name);
  return NULL;
}

static void test_rank(void **state) {
  (void)state;
  env e;
  memset(&e, 0, sizeof e);
  zr__sel_params p;
  base_params(&p, &e);
  zr_decision dc;
  memset(&dc, 0, sizeof dc);
  snprintf(dc.ch.shape, sizeof dc.ch.shape, "tensor");
  dc.ch.size_estimate = 1 << 20;
  dc.ch.entropy = 2.0;
  dc.ch.compressibility = 0.6;
  /* npy not available; zstd not available; weights out of range; no target */
  e.no_npy = 1;
  e.no_zstd = 1;
  p.w_perf = -1;
  p.w_compat = -2;
  p.target = NULL;
  zr__select_rank(&p, &dc);
  assert_true(fabs(dc.weight_performance - 0.5) < 1e-9);
  assert_string_equal(dc.target, "any");
  const zr_candidate *c = cand(&dc, "npy");
  assert_false(c->viable);
  assert_non_null(strstr(c->reasons, "not available in this build"));
  for (unsigned i = 0; i < dc.n_candidates; i++) assert_string_not_equal(dc.cand[i].codec, "zstd");
  assert_non_null(strstr(cand(&dc, "etf")->reasons, "represents it generically"));
  /* learned statistics: calibration from them, measured reasons; a python object graph target */
  e.no_npy = 0;
  e.no_zstd = 0;
  p.w_perf = 1;
  p.w_compat = 0;
  p.learning = 1;
  p.calib = 0;
  e.st.ns_per_byte = 0.05;
  e.st.codec_ns = 0;
  e.st.ratio = 1.0;
  e.st.n = 2;
  p.target = "python-objects";
  zr__select_rank(&p, &dc);
  assert_true(p.calib > 0);
  c = cand(&dc, "npy");
  assert_int_equal(c->measurements, 2);
  assert_non_null(strstr(c->reasons, "measured 0.05 ns/B, ratio 1.00 over 2 runs"));
  assert_true(fabs(cand(&dc, "pickle")->fit - 1.0) < 1e-9);
  assert_non_null(strstr(cand(&dc, "pickle")->reasons, "target wants a Python object graph"));
  /* useless statistics give the neutral calibration */
  e.st.ns_per_byte = 0;
  p.calib = 0;
  zr__select_calibrate(&p, &dc.ch);
  assert_true(p.calib == 1.0);
  p.learning = 0;
  zr__select_calibrate(&p, &dc.ch);
  assert_true(p.calib == 1.0);
  /* custom candidates: one that claims the value, one that does not */
  zr__sel_custom cu[2];
  memset(cu, 0, sizeof cu);
  snprintf(cu[0].name, sizeof cu[0].name, "mine");
  cu[0].score = 1.0;
  snprintf(cu[1].name, sizeof cu[1].name, "notmine");
  p.custom = cu;
  p.n_custom = 2;
  p.target = "numpy";
  zr__select_rank(&p, &dc);
  c = cand(&dc, "custom:mine");
  assert_true(c->viable);
  assert_non_null(strstr(c->reasons, "registered custom type claims the value (fit 1.00)"));
  for (unsigned i = 0; i < dc.n_candidates; i++) assert_string_not_equal(dc.cand[i].format, "custom:notmine");
  /* a configured codec is used as is; an ext value only binary can hold, binary unavailable */
  p.custom = NULL;
  p.n_custom = 0;
  p.codec = "lz4";
  char why[128] = "";
  assert_string_equal(zr__select_codec(&p, &dc.ch, "npy", why, sizeof why), "lz4");
  assert_string_equal(why, "codec lz4 as configured");
  p.codec = "auto";
  why[0] = 0;
  assert_string_equal(zr__select_codec(&p, &dc.ch, "no-priors-format", why, sizeof why), "none");
  assert_non_null(strstr(why, "no compression: predicted gain (compressibility 0.60) does not pay for its time"));
  p.transfer_ns_per_byte = 10; /* moving bytes is dear: lz4 pays */
  why[0] = 0;
  assert_string_equal(zr__select_codec(&p, &dc.ch, "no-priors-format", why, sizeof why), "lz4");
  assert_non_null(strstr(why, "lz4: compressibility 0.60 (entropy 2.00 bits/byte) pays at 10.00 ns"));
  snprintf(dc.ch.shape, sizeof dc.ch.shape, "ext");
  e.no_npy = 0;
  zr__sel_params q = p;
  q.format_available = NULL;
  zr__select_rank(&q, &dc);
  assert_string_equal(dc.format, "binary");
  assert_non_null(strstr(cand(&dc, "json")->reasons, "cannot represent a custom-type ext value"));
  /* a configured gzip is predicted too; incompressible samples and small values get no codec */
  p.codec = "gzip";
  snprintf(dc.ch.shape, sizeof dc.ch.shape, "tensor");
  zr__select_rank(&p, &dc);
  assert_string_equal(dc.codec, "gzip");
  p.codec = NULL;
  zr_characteristics inc = dc.ch;
  inc.entropy = 7.9;
  inc.compressibility = 0.01;
  why[0] = 0;
  assert_string_equal(zr__select_codec(&p, &inc, "npy", why, sizeof why), "none");
  assert_string_equal(why, "no compression: sampled bytes look incompressible (entropy 7.90 bits/byte)");
  inc.size_estimate = 100;
  why[0] = 0;
  assert_string_equal(zr__select_codec(&p, &inc, "npy", why, sizeof why), "none");
  assert_string_equal(why, "no compression: about 100 B is under compression.min_size 1024 B");
  /* nothing available: no format, the reason says so */
  e.none = 1;
  zr__select_rank(&p, &dc);
  assert_string_equal(dc.format, "");
  assert_string_equal(dc.codec, "none");
  assert_string_equal(dc.reason, "no available format can represent a tensor");
  e.none = 0;
  /* calibration: measurements that make no finite factor, or no lookup at all, give 1 */
  p.learning = 1;
  e.st.ns_per_byte = INFINITY;
  e.st.n = 3;
  zr__select_calibrate(&p, &dc.ch);
  assert_true(p.calib == 1.0);
  p.lookup = NULL;
  p.calib = 0.5;
  zr__select_calibrate(&p, &dc.ch);
  assert_true(p.calib == 1.0);
  p.lookup = lookup;
  /* small reason buffers are cut like snprintf, never written past */
  char small[3] = "";
  p.codec = "zstd";
  zr__select_codec(&p, &dc.ch, "binary", small, sizeof small);
  assert_string_equal(small, "co");
  char full[3] = "ab";
  zr__select_codec(&p, &dc.ch, "binary", full, sizeof full);
  assert_string_equal(full, "ab");
  char four[4] = "ab";
  zr__select_codec(&p, &dc.ch, "binary", four, sizeof four);
  assert_string_equal(four, "ab");
  char six[6] = "ab";
  zr__select_codec(&p, &dc.ch, "binary", six, sizeof six);
  assert_string_equal(six, "ab; c");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_records_rules),
      cmocka_unit_test(test_numeric_and_columns),
      cmocka_unit_test(test_walk_edges),
      cmocka_unit_test(test_rank),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
