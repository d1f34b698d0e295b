/* Envelope: round trips, every bit flip and truncation, in-place writing, alloc failures, goldens.
 * Set ZR_REGEN_GOLDEN=1 to rewrite tests/envelope/golden/ from this writer (then review the diff). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "zerial/envelope.h"
#include "zerial/format.h"
#include "zr_test.h"

#define S(lit) ((zr_envelope_str){lit, sizeof(lit) - 1})

static const uint64_t inputs_a[] = {0x1122334455667788ull, 42};
static const zr_envelope_kv kvs[] = {{S("run"), S("2026-11-27")}, {S("émoji"), S("✓")}, {S("empty"), S("")}};
static const zr_envelope_lineage lins[] = {
    {S("convert json->binary"), S("zerial-cli 0.1.0"), 1795000000123456789ll, inputs_a, 2},
    {S("noop"), S(""), -5, NULL, 0},
};

static zr_envelope_meta full_meta(void) {
  zr_envelope_meta m;
  memset(&m, 0, sizeof m);
  m.has_schema_fingerprint = 1;
  m.schema_fingerprint = 0xDEADBEEFCAFEF00Dull;
  m.has_created_at = 1;
  m.created_at_ns = 1795000000000000000ll;
  m.producer = S("zerial-test");
  m.kv = kvs;
  m.n_kv = 3;
  m.lineage = lins;
  m.n_lineage = 2;
  return m;
}

static uint8_t *write_frame(const zr_envelope_params *p, const void *payload, size_t len, size_t *out_len) {
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error e;
  zr_status st = zr_envelope_write(s, p, payload, len, &e);
  if (st) fprintf(stderr, "write: %s\n", e.message);
  assert_int_equal(st, ZR_OK);
  uint8_t *d = NULL;
  assert_int_equal(zr_sink_memory_take(s, &d, out_len, NULL), ZR_OK);
  zr_sink_free(s);
  return d;
}

static int str_eq(zr_envelope_str a, zr_envelope_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void assert_meta_equal(const zr_envelope_meta *a, const zr_envelope_meta *b) {
  assert_int_equal(a->has_schema_fingerprint, b->has_schema_fingerprint);
  if (a->has_schema_fingerprint) assert_true(a->schema_fingerprint == b->schema_fingerprint);
  assert_int_equal(a->has_created_at, b->has_created_at);
  if (a->has_created_at) assert_true(a->created_at_ns == b->created_at_ns);
  assert_int_equal(a->producer.ptr != NULL, b->producer.ptr != NULL);
  assert_true(str_eq(a->producer, b->producer));
  assert_int_equal(a->n_kv, b->n_kv);
  for (size_t i = 0; i < a->n_kv; i++) {
    assert_true(str_eq(a->kv[i].key, b->kv[i].key));
    assert_true(str_eq(a->kv[i].value, b->kv[i].value));
  }
  assert_int_equal(a->n_lineage, b->n_lineage);
  for (size_t i = 0; i < a->n_lineage; i++) {
    assert_true(str_eq(a->lineage[i].operation, b->lineage[i].operation));
    assert_true(str_eq(a->lineage[i].producer, b->lineage[i].producer));
    assert_true(a->lineage[i].time_ns == b->lineage[i].time_ns);
    assert_int_equal(a->lineage[i].n_inputs, b->lineage[i].n_inputs);
    for (size_t k = 0; k < a->lineage[i].n_inputs; k++) assert_true(a->lineage[i].inputs[k] == b->lineage[i].inputs[k]);
  }
}

static void test_roundtrip(void **state) {
  (void)state;
  zr_envelope_meta m = full_meta();
  zr_envelope_params p = {.format_id = ZR_FORMAT_ID_JSON, .meta = &m};
  const char payload[] = "{\"a\":[1,2,3]}";
  size_t n = 0;
  uint8_t *f = write_frame(&p, payload, sizeof payload - 1, &n);
  assert_true(zr_envelope_detect(f, n));
  zr_envelope env;
  zr_error e;
  assert_int_equal(zr_envelope_parse(f, n, NULL, &env, &e), ZR_OK);
  assert_int_equal(env.header.format_id, ZR_FORMAT_ID_JSON);
  assert_int_equal(env.header.codec, ZR_CODEC_NONE);
  assert_int_equal(env.header.payload_offset % 64, 0);
  assert_int_equal(env.header.frame_len, n);
  assert_int_equal(env.payload_len, sizeof payload - 1);
  assert_memory_equal(env.payload, payload, sizeof payload - 1);
  assert_int_equal(env.verified, 1);
  assert_meta_equal(&env.meta, &m);
  assert_int_equal(env.meta.producer.ptr[env.meta.producer.len], 0); /* NUL-terminated copies */
  size_t prefix = 64 + env.header.metadata_len;
  zr_envelope_clear(&env);
  zr_envelope_clear(&env); /* idempotent */

  /* metadata only: works on the header + metadata prefix alone */
  assert_int_equal(zr_envelope_read_meta(f, prefix, NULL, &env, &e), ZR_OK);
  assert_null(env.payload);
  assert_meta_equal(&env.meta, &m);
  zr_envelope_clear(&env);
  assert_int_equal(zr_envelope_read_meta(f, prefix - 1, NULL, &env, &e), ZR_ERR_TRUNCATED);

  /* no metadata, empty payload */
  zr_envelope_params p0 = {.format_id = ZR_FORMAT_ID_BINARY};
  size_t n0 = 0;
  uint8_t *f0 = write_frame(&p0, NULL, 0, &n0);
  assert_int_equal(n0, 64);
  assert_int_equal(zr_envelope_parse(f0, n0, NULL, &env, &e), ZR_OK);
  assert_int_equal(env.payload_len, 0);
  assert_int_equal(env.meta.n_kv, 0);
  assert_null(env.meta.producer.ptr);
  zr_envelope_clear(&env);
  free(f0);
  free(f);
}

static void test_bad_params(void **state) {
  (void)state;
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_envelope_params p = {.format_id = 1, .codec = 9};
  zr_error e;
  assert_int_equal(zr_envelope_write(s, &p, "x", 1, &e), ZR_ERR_INVALID_ARG);
  p.codec = 0;
  p.flags = 1;
  assert_int_equal(zr_envelope_write(s, &p, "x", 1, &e), ZR_ERR_INVALID_ARG);
  p.flags = 0;
  zr_envelope_meta m;
  memset(&m, 0, sizeof m);
  m.producer = (zr_envelope_str){"\xff", 1};
  p.meta = &m;
  assert_int_equal(zr_envelope_write(s, &p, "x", 1, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_sink_size(s), 0); /* nothing written */
  zr_sink_free(s);
  zr_envelope env;
  assert_int_equal(zr_envelope_parse((const uint8_t *)"hello, world", 12, NULL, &env, &e), ZR_ERR_MALFORMED);
  assert_int_equal(e.offset, 0);
}

static void test_every_bit_flip(void **state) {
  (void)state;
  zr_envelope_meta m = full_meta();
  m.n_kv = 1;
  m.n_lineage = 1;
  zr_envelope_params p = {.format_id = ZR_FORMAT_ID_BINARY, .meta = &m};
  const uint8_t payload[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  size_t n = 0;
  uint8_t *f = write_frame(&p, payload, sizeof payload, &n);
  zr_envelope env;
  for (size_t bit = 0; bit < n * 8; bit++) {
    f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_envelope_parse(f, n, NULL, &env, &e);
    if (st == ZR_OK) fprintf(stderr, "bit %zu not detected\n", bit);
    assert_int_not_equal(st, ZR_OK);
    assert_true(st == ZR_ERR_CHECKSUM || st == ZR_ERR_MALFORMED || st == ZR_ERR_TRUNCATED);
    assert_true(e.offset >= 0);
    assert_null(env.payload);
    assert_null(env.priv_);
    f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  assert_int_equal(zr_envelope_parse(f, n, NULL, &env, NULL), ZR_OK);
  zr_envelope_clear(&env);
  free(f);
}

static void test_every_truncation(void **state) {
  (void)state;
  zr_envelope_meta m = full_meta();
  zr_envelope_params p = {.format_id = ZR_FORMAT_ID_BINARY, .meta = &m};
  const uint8_t payload[] = "truncate me";
  size_t n = 0;
  uint8_t *f = write_frame(&p, payload, sizeof payload, &n);
  zr_envelope env;
  for (size_t k = 0; k < n; k++) {
    uint8_t *c = malloc(k ? k : 1); /* exact-size copy so ASan sees over-reads */
    memcpy(c, f, k);
    zr_error e;
    zr_status st = zr_envelope_parse(c, k, NULL, &env, &e);
    assert_int_equal(st, ZR_ERR_TRUNCATED);
    assert_true(e.offset >= 0 && (size_t)e.offset <= k);
    free(c);
  }
  free(f);
}

static void test_in_place(void **state) {
  (void)state;
  zr_envelope_meta m = full_meta();
  zr_envelope_params p = {.format_id = ZR_FORMAT_ID_JSON, .meta = &m};
  const char payload[] = "[1,2,3,\"in place\"]";
  size_t n = 0;
  uint8_t *want = write_frame(&p, payload, sizeof payload - 1, &n);

  zr_sink *s = NULL;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_sink_write(s, "lead", 4, NULL), ZR_OK); /* frames may start anywhere in the sink */
  zr_envelope_writer w;
  assert_int_equal(zr_envelope_begin(s, &p, &w, NULL), ZR_OK);
  void *ptr = NULL;
  assert_int_equal(zr_sink_reserve(s, 5, &ptr, NULL), ZR_OK);
  memcpy(ptr, payload, 5);
  assert_int_equal(zr_sink_commit(s, 5, NULL), ZR_OK);
  assert_int_equal(zr_sink_write(s, payload + 5, sizeof payload - 1 - 5, NULL), ZR_OK);
  assert_int_equal(zr_envelope_end(&w, NULL), ZR_OK);
  const uint8_t *d;
  size_t dn;
  assert_int_equal(zr_sink_memory_data(s, &d, &dn), ZR_OK);
  assert_int_equal(dn, n + 4);
  assert_memory_equal(d + 4, want, n);
  zr_sink_free(s);

  /* fixed sink */
  uint8_t mem[1024];
  assert_int_equal(zr_sink_fixed_new(mem, sizeof mem, &s, NULL), ZR_OK);
  assert_int_equal(zr_envelope_begin(s, &p, &w, NULL), ZR_OK);
  assert_int_equal(zr_sink_write(s, payload, sizeof payload - 1, NULL), ZR_OK);
  assert_int_equal(zr_envelope_end(&w, NULL), ZR_OK);
  assert_memory_equal(mem, want, n);
  zr_sink_free(s);

  /* fd sinks cannot be patched */
  assert_int_equal(zr_sink_fd_new(1, &s, NULL), ZR_OK);
  assert_int_equal(zr_envelope_begin(s, &p, &w, NULL), ZR_ERR_UNSUPPORTED);
  zr_sink_free(s);
  free(want);
}

static void test_alloc_failures(void **state) {
  (void)state;
  zr_envelope_meta m = full_meta();
  const char payload[] = "payload";
  int ok = 0;
  for (uint64_t k = 1; k < 200 && !ok; k++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, k);
    zr_envelope_params p = {.format_id = 1, .meta = &m, .alloc = &fa.a};
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_memory_new(&fa.a, &s, NULL), ZR_OK);
    zr_status st = zr_envelope_write(s, &p, payload, sizeof payload, NULL);
    if (st == ZR_OK) {
      const uint8_t *d;
      size_t n;
      assert_int_equal(zr_sink_memory_data(s, &d, &n), ZR_OK);
      zr_envelope env;
      st = zr_envelope_parse(d, n, &fa.a, &env, NULL);
      if (st == ZR_OK) {
        ok = 1;
        zr_envelope_clear(&env);
      } else {
        assert_int_equal(st, ZR_ERR_NOMEM);
        assert_null(env.priv_);
      }
    } else {
      assert_int_equal(st, ZR_ERR_NOMEM);
    }
    zr_sink_free(s);
    assert_int_equal(fa.live, 0);
  }
  assert_true(ok);
}

/* Golden files: exact bytes of the writer, and what a reader must see. */
typedef struct golden {
  const char *name;
  uint16_t format_id;
  int full_meta;
  const char *payload;
} golden;

static const golden goldens[] = {
    {"empty.zrl", ZR_FORMAT_ID_BINARY, 0, ""},
    {"json_meta.zrl", ZR_FORMAT_ID_JSON, 1, "{\"id\":1,\"name\":\"zerial\",\"tags\":[\"a\",\"b\"]}"},
    {"json_plain.zrl", ZR_FORMAT_ID_JSON, 0,
     "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,"
     "40]"},
};

static void test_golden(void **state) {
  (void)state;
  int regen = getenv("ZR_REGEN_GOLDEN") != NULL;
  for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++) {
    const golden *g = &goldens[i];
    zr_envelope_meta m = full_meta();
    zr_envelope_params p = {.format_id = g->format_id, .meta = g->full_meta ? &m : NULL};
    size_t n = 0;
    uint8_t *f = write_frame(&p, g->payload, strlen(g->payload), &n);
    char rel[256];
    snprintf(rel, sizeof rel, "tests/envelope/golden/%s", g->name);
    const char *path = zr_test_src_path(rel);
    if (regen) {
      FILE *o = fopen(path, "wb");
      assert_non_null(o);
      fwrite(f, 1, n, o);
      fclose(o);
    }
    size_t gn = 0;
    uint8_t *gd = zr_test_read_file(path, &gn);
    if (!gd) fprintf(stderr, "missing golden %s\n", path);
    assert_non_null(gd);
    assert_int_equal(gn, n);
    assert_memory_equal(gd, f, n);
    zr_envelope env;
    assert_int_equal(zr_envelope_parse(gd, gn, NULL, &env, NULL), ZR_OK);
    assert_int_equal(env.header.format_id, g->format_id);
    assert_int_equal(env.payload_len, strlen(g->payload));
    if (g->full_meta) assert_meta_equal(&env.meta, &m);
    zr_envelope_clear(&env);
    free(gd);
    free(f);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip),        cmocka_unit_test(test_bad_params), cmocka_unit_test(test_every_bit_flip),
      cmocka_unit_test(test_every_truncation), cmocka_unit_test(test_in_place),   cmocka_unit_test(test_alloc_failures),
      cmocka_unit_test(test_golden),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
