/* Coverage: the IPC reader's validation of values (views, list views, run-end encoded arrays,
 * unions, dictionary indices of every width), its options (copy, keep_release, bounds-only
 * validation, defaults for zero limits) and the random-access file API's argument errors. The
 * invalid values come from hand-made C Data Interface arrays, which the writer passes through. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zr_test.h"

#include "cdata_nodes.h"

static zr_sink *g_sink;

/* write schema + one batch as a stream (file: as a file); the bytes stay in g_sink */
static void write_one(const struct ArrowSchema *root, const struct ArrowArray *b, int file, const uint8_t **p, size_t *n) {
  zr_sink_free(g_sink);
  assert_int_equal(zr_sink_memory_new(NULL, &g_sink, NULL), ZR_OK);
  zr_arrow_write_opts o;
  memset(&o, 0, sizeof o);
  o.file = file;
  zr_arrow_writer *w;
  zr_error e;
  if (zr_arrow_writer_new(g_sink, root, &o, &w, &e) != ZR_OK) fail_msg("writer: %s", e.message);
  if (zr_arrow_writer_write(w, b, &e) != ZR_OK) fail_msg("write: %s", e.message);
  if (zr_arrow_writer_finish(w, &e) != ZR_OK) fail_msg("finish: %s", e.message);
  zr_arrow_writer_free(w);
  assert_int_equal(zr_sink_memory_data(g_sink, p, n), ZR_OK);
}

/* read: want NULL means success (the table is released), else code and message; the offset of a
 * failure is inside the input */
static void expect_read(const struct ArrowSchema *root, const struct ArrowArray *b, const zr_arrow_read_opts *o,
                        zr_status code, const char *want) {
  const uint8_t *p;
  size_t n;
  write_one(root, b, 0, &p, &n);
  zr_table t;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_arrow_read(p, n, o, &t, &e);
  if (!want) {
    if (st) fail_msg("read: %s", e.message);
    zr_table_release(&t);
    return;
  }
  if (st != code || strcmp(e.message, want) != 0) fail_msg("%d '%s', want %d '%s'", st, e.message, code, want);
  assert_true(e.offset > 0 && (size_t)e.offset < n);
  assert_int_equal(t.n_batches, 0);
}

static struct ArrowArray *batch1(int64_t len, struct ArrowArray *col) { return A(len, 0, 1, NULL, NULL, NULL, 1, col); }

static void test_views(void **state) {
  (void)state;
  static const uint8_t DATA[20] = {0xff, 0xfe, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r'};
  static int64_t sizes[1] = {20};
  static uint8_t views[2][16];
  static const uint8_t V01[1] = {0x2};
  static const struct {
    int32_t len, bi, off;
    int utf8, nullfirst;
    zr_status code;
    const char *msg;
  } c[] = {
      {-1, 0, 0, 0, 0, ZR_ERR_MALFORMED, "arrow: negative view length at 0"},
      {14, 1, 0, 0, 0, ZR_ERR_MALFORMED, "arrow: view 0 outside its data buffer"},
      {14, -1, 0, 0, 0, ZR_ERR_MALFORMED, "arrow: view 0 outside its data buffer"},
      {14, 0, -2, 0, 0, ZR_ERR_MALFORMED, "arrow: view 0 outside its data buffer"},
      {14, 0, 7, 0, 0, ZR_ERR_MALFORMED, "arrow: view 0 outside its data buffer"},
      {14, 0, 0, 1, 0, ZR_ERR_UTF8, "arrow: invalid UTF-8 in value 0"},
      {14, 0, 2, 1, 0, ZR_OK, NULL},
      {14, 0, 0, 0, 0, ZR_OK, NULL},
      {-5, 9, 0, 0, 1, ZR_OK, NULL}, /* a null row is not looked at */
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    reset();
    memset(views, 0, sizeof views);
    int32_t hdr[4] = {c[i].len, 0, c[i].bi, c[i].off};
    memcpy(views[0], hdr, 16);
    int32_t h2[4] = {3, 0x00636261, 0, 0};
    memcpy(views[1], h2, 16);
    struct ArrowSchema *root = S("+s", "", 0, 1, S("vu", "v", ARROW_FLAG_NULLABLE, 0));
    struct ArrowArray *col = A(2, c[i].nullfirst, 4, c[i].nullfirst ? V01 : NULL, views, DATA, 0);
    col->buffers[3] = sizes;
    zr_arrow_read_opts o;
    zr_arrow_read_opts_init(&o);
    o.validate_utf8 = c[i].utf8;
    expect_read(root, batch1(2, col), &o, c[i].code, c[i].msg);
    /* bounds-only validation does not look at the views */
    if (c[i].msg && c[i].code != ZR_ERR_UTF8) {
      o.validate = ZR_ARROW_VALIDATE_BOUNDS;
      reset();
      root = S("+s", "", 0, 1, S("vu", "v", ARROW_FLAG_NULLABLE, 0));
      col = A(2, 0, 4, NULL, views, DATA, 0);
      col->buffers[3] = sizes;
      expect_read(root, batch1(2, col), &o, ZR_OK, NULL);
    }
  }
}

static void test_list_views(void **state) {
  (void)state;
  static const int32_t I4[4] = {1, 2, 3, 4};
  static const struct {
    const char *fmt;
    int64_t o0, s0, o1, s1;
    const char *msg;
  } c[] = {
      {"+vl", 0, 1, 3, 2, "arrow: list view 1 outside its child"},
      {"+vl", -1, 1, 0, 1, "arrow: list view 0 outside its child"},
      {"+vl", 0, -1, 0, 1, "arrow: list view 0 outside its child"},
      {"+vl", 5, 0, 0, 1, "arrow: list view 0 outside its child"},
      {"+vL", 1, 3, 0, 0, NULL},
      {"+vL", 0, 2, 3, 2, "arrow: list view 1 outside its child"},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    reset();
    static int32_t o32[2], s32[2];
    static int64_t o64[2], s64[2];
    int big = c[i].fmt[2] == 'L';
    o32[0] = (int32_t)c[i].o0, o32[1] = (int32_t)c[i].o1, s32[0] = (int32_t)c[i].s0, s32[1] = (int32_t)c[i].s1;
    o64[0] = c[i].o0, o64[1] = c[i].o1, s64[0] = c[i].s0, s64[1] = c[i].s1;
    struct ArrowSchema *root = S("+s", "", 0, 1, S(c[i].fmt, "l", ARROW_FLAG_NULLABLE, 1, S("i", "item", 0, 0)));
    struct ArrowArray *col = A(2, 0, 3, NULL, big ? (const void *)o64 : o32, big ? (const void *)s64 : s32, 1, A(4, 0, 2, NULL, I4, NULL, 0));
    expect_read(root, batch1(2, col), NULL, ZR_ERR_MALFORMED, c[i].msg);
    /* the bad row null: accepted */
    if (c[i].msg) {
      static const uint8_t V0[1] = {0};
      reset();
      root = S("+s", "", 0, 1, S(c[i].fmt, "l", ARROW_FLAG_NULLABLE, 1, S("i", "item", 0, 0)));
      col = A(2, 2, 3, V0, big ? (const void *)o64 : o32, big ? (const void *)s64 : s32, 1, A(4, 0, 2, NULL, I4, NULL, 0));
      expect_read(root, batch1(2, col), NULL, ZR_OK, NULL);
    }
  }
}

static void test_run_end_encoded(void **state) {
  (void)state;
  static const int16_t R16_BAD[2] = {2, 1}, R16[2] = {1, 3};
  static const int32_t R32[2] = {1, 3};
  static const int64_t R64_SHORT[2] = {1, 2}, R64[2] = {1, 3};
  static const uint32_t RU[2] = {1, 3};
  static const int8_t R8[2] = {1, 3};
  static const int32_t VALS[2] = {10, 20};
  static const uint8_t V01[1] = {0x1};
  static const struct {
    const char *rfmt;
    const void *ends;
    int64_t rlen, rnulls, vlen;
    const char *msg;
  } c[] = {
      {"s", R16_BAD, 2, 0, 2, "arrow: run ends not increasing at 1"},
      {"l", R64_SHORT, 2, 0, 2, "arrow: run ends stop before the length"},
      {"I", RU, 2, 0, 2, "arrow: bad run-end encoded array"},
      {"c", R8, 2, 0, 2, "arrow: bad run-end encoded array"},
      {"g", R64, 2, 0, 2, "arrow: bad run-end encoded array"},
      {"i", R32, 2, 1, 2, "arrow: bad run-end encoded array"},
      {"i", R32, 2, 0, 1, "arrow: bad run-end encoded array"},
      {"i", R32, 0, 0, 0, "arrow: bad run-end encoded array"},
      {"s", R16, 2, 0, 2, NULL},
      {"i", R32, 2, 0, 2, NULL},
      {"l", R64, 2, 0, 2, NULL},
  };
  for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
    reset();
    struct ArrowSchema *root =
        S("+s", "", 0, 1, S("+r", "r", 0, 2, S(c[i].rfmt, "run_ends", 0, 0), S("i", "values", ARROW_FLAG_NULLABLE, 0)));
    struct ArrowArray *col = A(3, 0, 0, NULL, NULL, NULL, 2, A(c[i].rlen, c[i].rnulls, 2, c[i].rnulls ? V01 : NULL, c[i].ends, NULL, 0),
                               A(c[i].vlen, 0, 2, NULL, VALS, NULL, 0));
    expect_read(root, batch1(3, col), NULL, ZR_ERR_MALFORMED, c[i].msg);
    if (!c[i].msg) {
      /* the values by row: 10, 20, 20 */
      const uint8_t *p;
      size_t n;
      write_one(root, batch1(3, col), 1, &p, &n);
      zr_table t;
      zr_error e;
      assert_int_equal(zr_arrow_read(p, n, NULL, &t, &e), ZR_OK);
      zr_doc *d = zr_doc_new(NULL);
      zr_value rows;
      assert_int_equal(zr_arrow_to_value(&t, d, &rows, &e), ZR_OK);
      assert_int_equal(rows.n.len, 3);
      assert_int_equal(zr_map_get(&rows.u.items[0], "r", 1)->u.i, 10);
      assert_int_equal(zr_map_get(&rows.u.items[1], "r", 1)->u.i, 20);
      assert_int_equal(zr_map_get(&rows.u.items[2], "r", 1)->u.i, 20);
      zr_doc_free(d);
      zr_table_release(&t);
    }
  }
}

static void test_unions_and_dictionaries(void **state) {
  (void)state;
  static const int32_t I2[2] = {1, 2};
  static const int8_t T_BAD[2] = {3, 9}, T_NEG[2] = {-1, 3}, T_OK[2] = {3, 3};
  static const int32_t DOFF[2] = {0, 5};
  reset();
  struct ArrowSchema *root = S("+s", "", 0, 1, S("+us:3", "u", 0, 1, S("i", "a", 0, 0)));
  expect_read(root, batch1(2, A(2, 0, 1, T_BAD, NULL, NULL, 1, A(2, 0, 2, NULL, I2, NULL, 0))), NULL, ZR_ERR_MALFORMED,
              "arrow: union type id 9 at 1 is not declared");
  reset();
  root = S("+s", "", 0, 1, S("+us:3", "u", 0, 1, S("i", "a", 0, 0)));
  expect_read(root, batch1(2, A(2, 0, 1, T_NEG, NULL, NULL, 1, A(2, 0, 2, NULL, I2, NULL, 0))), NULL, ZR_ERR_MALFORMED,
              "arrow: union type id -1 at 0 is not declared");
  reset();
  root = S("+s", "", 0, 1, S("+ud:3", "u", 0, 1, S("i", "a", 0, 0)));
  expect_read(root, batch1(2, A(2, 0, 2, T_OK, DOFF, NULL, 1, A(2, 0, 2, NULL, I2, NULL, 0))), NULL, ZR_ERR_MALFORMED,
              "arrow: union value 1 outside child 0");
  /* dictionary indices of every integer type, one past the end of a 2-entry dictionary */
  static const int8_t c8[2] = {0, -1};
  static const uint8_t C8[2] = {0, 2};
  static const int16_t s16[2] = {0, 2};
  static const uint16_t S16[2] = {0, 300};
  static const int32_t i32[2] = {0, -7};
  static const uint32_t I32[2] = {0, 2};
  static const int64_t l64[2] = {0, 2};
  static const uint64_t L64[2] = {0, 5};
  static const struct {
    const char *fmt;
    const void *idx;
    long long bad;
  } d[] = {{"c", c8, -1}, {"C", C8, 2}, {"s", s16, 2}, {"S", S16, 300}, {"i", i32, -7}, {"I", I32, 2}, {"l", l64, 2}, {"L", L64, 5}};
  static const int32_t DO[3] = {0, 1, 2};
  static const uint8_t DD[2] = {'x', 'y'};
  static const uint8_t V1[1] = {0x1};
  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
    reset();
    struct ArrowSchema *f = S(d[i].fmt, "k", ARROW_FLAG_NULLABLE, 0);
    f->dictionary = S("u", NULL, ARROW_FLAG_NULLABLE, 0);
    root = S("+s", "", 0, 1, f);
    struct ArrowArray *col = A(2, 0, 2, NULL, d[i].idx, NULL, 0);
    col->dictionary = A(2, 0, 3, NULL, DO, DD, 0);
    char msg[120];
    snprintf(msg, sizeof msg, "arrow: dictionary index %lld out of range [0, 2) at 1", d[i].bad);
    expect_read(root, batch1(2, col), NULL, ZR_ERR_MALFORMED, msg);
    /* null there, or bounds-only validation: accepted */
    reset();
    f = S(d[i].fmt, "k", ARROW_FLAG_NULLABLE, 0);
    f->dictionary = S("u", NULL, ARROW_FLAG_NULLABLE, 0);
    root = S("+s", "", 0, 1, f);
    col = A(2, 1, 2, V1, d[i].idx, NULL, 0);
    col->dictionary = A(2, 0, 3, NULL, DO, DD, 0);
    expect_read(root, batch1(2, col), NULL, ZR_OK, NULL);
    zr_arrow_read_opts o;
    zr_arrow_read_opts_init(&o);
    o.validate = ZR_ARROW_VALIDATE_BOUNDS;
    col->null_count = 0;
    col->buffers[0] = NULL;
    expect_read(root, batch1(2, col), &o, ZR_OK, NULL);
  }
}

static int released;
static void on_release(void *owner) { released += *(int *)owner; }

static void test_options_and_file_api(void **state) {
  (void)state;
  static const int32_t I2[2] = {1, 2};
  reset();
  struct ArrowSchema *root = S("+s", "", 0, 1, S("i", "a", 0, 0));
  struct ArrowArray *b = batch1(2, A(2, 0, 2, NULL, I2, NULL, 0));
  const uint8_t *p;
  size_t n;
  write_one(root, b, 1, &p, &n);
  int one = 1;
  zr_arrow_read_opts o;
  zr_arrow_read_opts_init(&o);
  zr_arrow_read_opts_init(NULL);
  /* copy mode: the input is released at once; zero limits mean the defaults */
  o.copy = 1;
  o.max_depth = 0;
  o.max_bytes = 0;
  o.keep_release = on_release;
  o.keep_owner = &one;
  zr_table t;
  zr_error e;
  released = 0;
  assert_int_equal(zr_arrow_read(p, n, &o, &t, &e), ZR_OK);
  assert_int_equal(released, 1);
  zr_table_release(&t);
  assert_int_equal(released, 1);
  /* view mode: released with the table; on failure at once */
  o.copy = 0;
  released = 0;
  assert_int_equal(zr_arrow_read(p, n, &o, &t, &e), ZR_OK);
  assert_int_equal(released, 0);
  zr_table_release(&t);
  assert_int_equal(released, 1);
  released = 0;
  assert_int_equal(zr_arrow_read(p, n - 1, &o, &t, &e), ZR_ERR_FORMAT);
  assert_int_equal(released, 1);
  /* arguments */
  assert_int_equal(zr_arrow_read(p, n, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_read(NULL, 5, NULL, &t, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "arrow: NULL argument");
  assert_int_equal(zr_arrow_read(NULL, 0, NULL, &t, &e), ZR_ERR_TRUNCATED);
  assert_string_equal(e.message, "arrow: stream without a schema");
  /* the random-access reader */
  zr_arrow_file *f;
  assert_int_equal(zr_arrow_file_open(NULL, n, NULL, &f, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_file_open(p, n, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_file_num_batches(NULL), 0);
  assert_null(zr_arrow_file_schema(NULL));
  zr_arrow_file_close(NULL);
  assert_int_equal(zr_arrow_file_open(p, n, NULL, &f, &e), ZR_OK);
  assert_int_equal(zr_arrow_file_num_batches(f), 1);
  assert_string_equal(zr_arrow_file_schema(f)->children[0]->name, "a");
  struct ArrowArray a;
  assert_int_equal(zr_arrow_file_batch(f, 1, &a, &e), ZR_ERR_RANGE);
  assert_string_equal(e.message, "arrow: batch 1 of 1");
  assert_int_equal(zr_arrow_file_batch(f, -1, &a, &e), ZR_ERR_RANGE);
  assert_int_equal(zr_arrow_file_batch(NULL, 0, &a, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_file_batch(f, 0, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_file_batch(f, 0, &a, &e), ZR_OK);
  assert_int_equal(a.length, 2);
  zr_arrow_file_close(f);
  a.release(&a); /* outlives the reader */
  /* a stream is not a file */
  write_one(root, b, 0, &p, &n);
  assert_int_equal(zr_arrow_file_open(p, n, NULL, &f, &e), ZR_ERR_FORMAT);
  assert_string_equal(e.message, "arrow: not an Arrow file (ARROW1 magic missing)");
  zr_sink_free(g_sink);
  g_sink = NULL;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_views),
      cmocka_unit_test(test_list_views),
      cmocka_unit_test(test_run_end_encoded),
      cmocka_unit_test(test_unions_and_dictionaries),
      cmocka_unit_test(test_options_and_file_api),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
