/* Oracle tests against the real Erlang runtime (skipped when `escript` is missing):
 *  - terms written by term_to_binary (minor versions 0, 1, 2; compressed) decode to the expected
 *    values;
 *  - the same values encoded by zerial (plain, deterministic, compressed) read back in erl with
 *    binary_to_term(B, [safe]) as the original terms.
 * The case list mirrors tests/etf/oracle.escript. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zerial/etf.h"
#include "zr_test.h"

typedef zr_value (*build_fn)(zr_doc *d);

static zr_value mag_pow2(zr_doc *d, int neg, unsigned bit) {
  size_t n = bit / 8 + 1;
  uint8_t *m = calloc(n, 1);
  m[bit / 8] = (uint8_t)(1u << (bit % 8));
  zr_value v = zr_bigint(d, neg, m, n);
  free(m);
  return v;
}

static zr_value b_int_small(zr_doc *d) {
  (void)d;
  return zr_int(5);
}
static zr_value b_int_zero(zr_doc *d) {
  (void)d;
  return zr_int(0);
}
static zr_value b_int_neg(zr_doc *d) {
  (void)d;
  return zr_int(-1);
}
static zr_value b_int_255(zr_doc *d) {
  (void)d;
  return zr_int(255);
}
static zr_value b_int_256(zr_doc *d) {
  (void)d;
  return zr_int(256);
}
static zr_value b_int_32(zr_doc *d) {
  (void)d;
  return zr_int(100000);
}
static zr_value b_int_min32(zr_doc *d) {
  (void)d;
  return zr_int(INT32_MIN);
}
static zr_value b_int_max32p1(zr_doc *d) {
  (void)d;
  return zr_int((int64_t)INT32_MAX + 1);
}
static zr_value b_int_max64(zr_doc *d) {
  (void)d;
  return zr_int(INT64_MAX);
}
static zr_value b_int_min64(zr_doc *d) {
  (void)d;
  return zr_int(INT64_MIN);
}
static zr_value b_big_2_64(zr_doc *d) { return mag_pow2(d, 0, 64); }
static zr_value b_big_neg_2_100(zr_doc *d) { return mag_pow2(d, 1, 100); }
static zr_value b_big_huge(zr_doc *d) { return mag_pow2(d, 0, 2100); }
static zr_value b_float_pi(zr_doc *d) {
  (void)d;
  return zr_float(3.14159);
}
static zr_value b_float_big(zr_doc *d) {
  (void)d;
  return zr_float(1.5e300);
}
static zr_value b_float_neg(zr_doc *d) {
  (void)d;
  return zr_float(-2.5);
}
static zr_value b_float_tiny(zr_doc *d) {
  (void)d;
  return zr_float(5.0e-324);
}
static zr_value b_atom_foo(zr_doc *d) {
  (void)d;
  return zr_sym_ref("foo", 3);
}
static zr_value b_atom_latin1(zr_doc *d) {
  (void)d;
  return zr_sym_ref("h\xc3\xa9llo", 6);
}
static zr_value b_atom_utf8(zr_doc *d) {
  (void)d;
  return zr_sym_ref("\xe6\x97\xa5\xe6\x9c\xac", 6);
}
static zr_value b_atom_true(zr_doc *d) {
  (void)d;
  return zr_bool(1);
}
static zr_value b_atom_false(zr_doc *d) {
  (void)d;
  return zr_bool(0);
}
static zr_value b_atom_nil(zr_doc *d) {
  (void)d;
  return zr_null();
}
static zr_value b_atom_undefined(zr_doc *d) {
  (void)d;
  return zr_sym_ref("undefined", 9);
}
static zr_value b_tuple_small(zr_doc *d) {
  zr_value t = zr_tuple_new(d, 3);
  zr_list_push(d, &t, zr_int(1));
  zr_list_push(d, &t, zr_sym_ref("foo", 3));
  zr_list_push(d, &t, zr_bin_ref("x", 1));
  return t;
}
static zr_value b_tuple_empty(zr_doc *d) { return zr_tuple_new(d, 0); }
static zr_value b_tuple_large(zr_doc *d) {
  zr_value t = zr_tuple_new(d, 300);
  for (int i = 1; i <= 300; i++) zr_list_push(d, &t, zr_int(i));
  return t;
}
static zr_value b_list_ints(zr_doc *d) {
  zr_value t = zr_list_new(d, 3);
  for (int i = 1; i <= 3; i++) zr_list_push(d, &t, zr_int(i));
  return t;
}
static zr_value b_list_mixed(zr_doc *d) {
  zr_value t = zr_list_new(d, 6);
  zr_list_push(d, &t, zr_int(1));
  zr_list_push(d, &t, zr_bin_ref("a", 1));
  zr_list_push(d, &t, zr_list_new(d, 0));
  zr_list_push(d, &t, zr_tuple_new(d, 0));
  zr_list_push(d, &t, zr_int(-7));
  zr_list_push(d, &t, zr_float(2.5));
  return t;
}
static zr_value b_list_nil(zr_doc *d) { return zr_list_new(d, 0); }
static zr_value b_list_nested(zr_doc *d) {
  zr_value v = zr_list_new(d, 0);
  for (int i = 0; i < 100; i++) {
    zr_value o = zr_list_new(d, 1);
    zr_list_push(d, &o, v);
    v = o;
  }
  return v;
}
static zr_value b_list_long_charlist(zr_doc *d) {
  zr_value t = zr_list_new(d, 70000);
  for (int i = 0; i < 70000; i++) zr_list_push(d, &t, zr_int(97));
  return t;
}
static zr_value b_map_small(zr_doc *d) {
  zr_value m = zr_map_new(d, 3);
  zr_value l = zr_list_new(d, 1);
  zr_list_push(d, &l, zr_float(1.5));
  zr_value x = zr_tuple_new(d, 1);
  zr_list_push(d, &x, zr_sym_ref("x", 1));
  zr_map_put(d, &m, zr_bin_ref("b", 1), l);
  zr_map_put(d, &m, zr_int(3), x);
  zr_map_put(d, &m, zr_sym_ref("a", 1), zr_int(1));
  return m;
}
static zr_value b_map_empty(zr_doc *d) { return zr_map_new(d, 0); }
static zr_value b_map_large(zr_doc *d) {
  zr_value m = zr_map_new(d, 100);
  for (int i = 100; i >= 1; i--) {
    char buf[8];
    int n = snprintf(buf, sizeof buf, "%d", i);
    zr_value s = zr_bin_copy(d, buf, (size_t)n);
    zr_map_put(d, &m, zr_int(i), s);
  }
  return m;
}
static zr_value b_map_nested(zr_doc *d) {
  zr_value rows = zr_list_new(d, 20);
  for (int i = 1; i <= 20; i++) {
    zr_value r = zr_map_new(d, 2);
    zr_map_put(d, &r, zr_bin_ref("score", 5), zr_float(i / 4.0));
    zr_map_put(d, &r, zr_bin_ref("id", 2), zr_int(i));
    zr_list_push(d, &rows, r);
  }
  zr_value m = zr_map_new(d, 1);
  zr_map_put(d, &m, zr_bin_ref("rows", 4), rows);
  return m;
}
static zr_value b_bin_empty(zr_doc *d) {
  (void)d;
  return zr_bin_ref("", 0);
}
static zr_value b_bin_small(zr_doc *d) {
  (void)d;
  return zr_bin_ref("\1\2\3", 3);
}
static zr_value b_bin_large(zr_doc *d) {
  char *p = zr_doc_alloc(d, 7 * 20000, 1);
  for (int i = 0; i < 20000; i++) memcpy(p + 7 * i, "zerial!", 7);
  return zr_bin_ref(p, 7 * 20000);
}
static zr_value bits(zr_doc *d, const char *b, size_t n, int last) {
  zr_value t = zr_tuple_new(d, 3);
  zr_list_push(d, &t, zr_sym_ref("$zerial_bitstring", 17));
  zr_list_push(d, &t, zr_bin_ref(b, n));
  zr_list_push(d, &t, zr_int(last));
  return t;
}
static zr_value b_bitstring(zr_doc *d) { return bits(d, "\x20", 1, 3); }
static zr_value b_bitstring_long(zr_doc *d) { return bits(d, "\xff\x38", 2, 5); }
static zr_value b_float_list(zr_doc *d) {
  zr_value t = zr_list_new(d, 1000);
  for (int i = 1; i <= 1000; i++) zr_list_push(d, &t, zr_float(i * 0.5));
  return t;
}
static zr_value b_timestamp_tagged(zr_doc *d) { return zr_timestamp(d, 1700000000123LL, ZR_TU_MILLI, NULL); }

#define C(x) \
  { #x, b_##x }
static const struct {
  const char *name;
  build_fn build;
} cases[] = {
    C(int_small),        C(int_zero),           C(int_neg),     C(int_255),    C(int_256),        C(int_32),
    C(int_min32),        C(int_max32p1),        C(int_max64),   C(int_min64),  C(big_2_64),       C(big_neg_2_100),
    C(big_huge),         C(float_pi),           C(float_big),   C(float_neg),  C(float_tiny),     C(atom_foo),
    C(atom_latin1),      C(atom_utf8),          C(atom_true),   C(atom_false), C(atom_nil),       C(atom_undefined),
    C(tuple_small),      C(tuple_empty),        C(tuple_large), C(list_ints),  C(list_mixed),     C(list_nil),
    C(list_nested),      C(list_long_charlist), C(map_small),   C(map_empty),  C(map_large),      C(map_nested),
    C(bin_empty),        C(bin_small),          C(bin_large),   C(bitstring),  C(bitstring_long), C(float_list),
    C(timestamp_tagged),
};
static const char *const variants[] = {"m0", "m1", "m2", "z", "z9m0"};
#define NCASES (sizeof cases / sizeof cases[0])

static int have_escript(void) { return system("command -v escript >/dev/null 2>&1") == 0; }

/* Value equality where map order does not matter: compare the deterministic encodings. */
static uint8_t *canon(const zr_value *v, size_t *n) {
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_encode_opts o;
  memset(&o, 0, sizeof o);
  o.flags = ZR_ENC_DETERMINISTIC;
  zr_error e;
  zr_status st = zr_etf_encode(v, &o, 0, s, &e);
  if (st) fprintf(stderr, "canon: %s at %s\n", e.message, e.path);
  assert_int_equal(st, ZR_OK);
  uint8_t *p;
  assert_int_equal(zr_sink_memory_take(s, &p, n, NULL), ZR_OK);
  zr_sink_free(s);
  return p;
}

static void test_decode_erl_terms(void **state) {
  (void)state;
  if (!have_escript()) skip();
  char dir[512], cmd[2048];
  snprintf(dir, sizeof dir, "%s/erl", zr_test_tmpdir());
  snprintf(cmd, sizeof cmd, "escript '%s' gen '%s' >/dev/null", zr_test_src_path("tests/etf/oracle.escript"), dir);
  assert_int_equal(system(cmd), 0);
  for (size_t i = 0; i < NCASES; i++) {
    zr_doc *want = zr_doc_new(NULL);
    zr_value w = cases[i].build(want);
    assert_int_equal(zr_doc_status(want), ZR_OK);
    size_t wn;
    uint8_t *wb = canon(&w, &wn);
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
      char path[1024];
      snprintf(path, sizeof path, "%s/%s.%s.etf", dir, cases[i].name, variants[v]);
      size_t len;
      uint8_t *data = zr_test_read_file(path, &len);
      assert_non_null(data);
      zr_doc *got = NULL;
      zr_error err;
      zr_status st = zr_etf_decode(data, len, NULL, 0, &got, &err);
      if (st)
        fprintf(stderr, "%s.%s: %s (offset %lld)\n", cases[i].name, variants[v], err.message, (long long)err.offset);
      assert_int_equal(st, ZR_OK);
      const zr_value *r = zr_doc_root(got);
      assert_int_equal(r->kind, w.kind);
      size_t gn;
      uint8_t *gb = canon(r, &gn);
      if (gn != wn || memcmp(gb, wb, wn) != 0)
        fail_msg("%s.%s decodes to a different value", cases[i].name, variants[v]);
      /* Maps of at most 32 keys come sorted from erl: plain equality holds for scalars too. */
      if (w.kind != ZR_KIND_MAP && w.kind != ZR_KIND_LIST) assert_true(zr_value_equal(r, &w));
      free(gb);
      zr_doc_free(got);
      free(data);
    }
    free(wb);
    zr_doc_free(want);
  }
}

static void write_enc(const char *dir, unsigned eflags, unsigned flags, const char *codec) {
  mkdir(dir, 0700);
  for (size_t i = 0; i < NCASES; i++) {
    zr_doc *d = zr_doc_new(NULL);
    zr_value v = cases[i].build(d);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.etf", dir, cases[i].name);
    zr_sink *s;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    zr_encode_opts o;
    memset(&o, 0, sizeof o);
    o.flags = eflags;
    o.codec = codec;
    zr_error err;
    zr_status st = zr_etf_encode(&v, &o, flags, s, &err);
    if (st) fprintf(stderr, "%s: %s at %s\n", cases[i].name, err.message, err.path);
    assert_int_equal(st, ZR_OK);
    const uint8_t *p;
    size_t n;
    assert_int_equal(zr_sink_memory_data(s, &p, &n), ZR_OK);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
    zr_sink_free(s);
    zr_doc_free(d);
  }
}

static void run_check(const char *dirs) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "escript '%s' check %s 2>&1", zr_test_src_path("tests/etf/oracle.escript"), dirs);
  FILE *f = popen(cmd, "r");
  assert_non_null(f);
  char line[4096];
  int done = 0, fails = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "FAIL", 4) == 0) fprintf(stderr, "%s", line);
    if (sscanf(line, "DONE %d", &fails) == 1) done = 1;
  }
  pclose(f);
  assert_true(done);
  assert_int_equal(fails, 0);
}

static void test_erl_reads_zerial_terms(void **state) {
  (void)state;
  if (!have_escript()) skip();
  const char *t = zr_test_tmpdir();
  char dir[512], dirs[3000];
  snprintf(dir, sizeof dir, "%s/enc_plain", t);
  write_enc(dir, 0, 0, NULL);
  snprintf(dir, sizeof dir, "%s/enc_det", t);
  write_enc(dir, ZR_ENC_DETERMINISTIC, 0, NULL);
  snprintf(dir, sizeof dir, "%s/enc_z", t);
  write_enc(dir, 0, ZR_ETF_COMPRESS, NULL);
  snprintf(dir, sizeof dir, "%s/enc_gzip", t);
  write_enc(dir, ZR_ENC_DETERMINISTIC, 0, "gzip");
  snprintf(dirs, sizeof dirs, "'%s/enc_plain' '%s/enc_det' '%s/enc_z' '%s/enc_gzip'", t, t, t, t);
  run_check(dirs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decode_erl_terms),
      cmocka_unit_test(test_erl_reads_zerial_terms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
