/* Coverage: foreign C Data Interface input to the IPC writer — every format string (valid ones
 * round trip through an IPC stream, malformed ones are refused with their text), malformed
 * schemas (no format, negative metadata lengths, wrong children) and malformed arrays (rows
 * outside the array, wrong buffer counts, NULL buffers, missing dictionaries), and the writer's
 * argument and state errors. Nodes are built by hand, as another producer would. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/arrow.h"
#include "zr_test.h"

#include "cdata_nodes.h"

/* write schema + batch (NULL: none) as a stream; returns the status, the bytes in *sink */
static zr_status write1(const struct ArrowSchema *s, const struct ArrowArray *batch, zr_sink **sink, zr_error *e) {
  assert_int_equal(zr_sink_memory_new(NULL, sink, NULL), ZR_OK);
  zr_arrow_writer *w;
  zr_error_clear(e);
  zr_status st = zr_arrow_writer_new(*sink, s, NULL, &w, e);
  if (st) return st;
  if (batch) st = zr_arrow_writer_write(w, batch, e);
  if (!st) st = zr_arrow_writer_finish(w, e);
  zr_arrow_writer_free(w);
  return st;
}

static void expect_write_fails(const struct ArrowSchema *s, const struct ArrowArray *b, zr_status code, const char *msg) {
  zr_sink *sink;
  zr_error e;
  zr_status st = write1(s, b, &sink, &e);
  zr_sink_free(sink);
  if (st != code) fail_msg("status %d (%s), want %d '%s'", st, e.message, code, msg);
  if (strcmp(e.message, msg) != 0) fail_msg("message '%s', want '%s'", e.message, msg);
  assert_int_equal(e.code, code);
}

static void test_format_strings(void **state) {
  (void)state;
  static const char *good[] = {
      "n", "b", "c", "C", "s", "S", "i", "I", "l", "L", "e", "f", "g", "z", "Z", "u", "U", "vz", "vu",
      "d:10,2", "d:38,0,128", "d:5,1,32", "d:12,3,64", "d:60,-2,256", "w:0", "w:16", "tdD", "tdm", "tts", "ttm", "ttu",
      "ttn", "tss:", "tsm:UTC", "tsu:Europe/Paris", "tsn:+01:00", "tDs", "tDm", "tDu", "tDn", "tiM", "tiD", "tin",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    reset();
    struct ArrowSchema *f = S(good[i], "x", ARROW_FLAG_NULLABLE, 0);
    struct ArrowSchema *root = S("+s", "", 0, 1, f);
    zr_sink *sink;
    zr_error e;
    if (write1(root, NULL, &sink, &e) != ZR_OK) fail_msg("%s: %s", good[i], e.message);
    const uint8_t *p;
    size_t n;
    assert_int_equal(zr_sink_memory_data(sink, &p, &n), ZR_OK);
    zr_table t;
    if (zr_arrow_read(p, n, NULL, &t, &e) != ZR_OK) fail_msg("%s: read %s", good[i], e.message);
    /* the decimal bit width 128 is the default: written without it */
    const char *want = !strcmp(good[i], "d:38,0,128") ? "d:38,0" : good[i];
    if (strcmp(t.schema.children[0]->format, want) != 0) fail_msg("%s read back as %s", good[i], t.schema.children[0]->format);
    assert_string_equal(t.schema.children[0]->name, "x");
    assert_int_equal(t.schema.children[0]->flags, ARROW_FLAG_NULLABLE);
    zr_table_release(&t);
    zr_sink_free(sink);
  }
  static const char *bad[] = {
      "x", "vx", "v", "d", "d:", "d:x", "d:10", "d:10;2", "d:10,", "d:10,2,", "d:10,2,48", "d:0,2", "d:77,2", "d:10,2x",
      "d:10,2,128x", "w", "w:", "w:x", "w:-1", "w:3x", "w:3000000000", "t", "tx", "td", "tdx", "tdDx", "tt", "ttx", "ttsx",
      "ts", "tss", "tsx:", "tD", "tDx", "tDsx", "ti", "tix", "tiMx", "ta", "tam", "+", "+x", "+w", "+w:", "+w:x",
      "+w:-2", "+w:2x", "+w:3000000000", "+u", "+ux:", "+ud", "+ud:a", "+ud:-1", "+ud:128", "+ud:1;2", "+us:1,x", "+vx",
      "+l2", "+ss",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reset();
    /* exactly sized, so a read past the NUL is caught by AddressSanitizer */
    char *fmt = malloc(strlen(bad[i]) + 1);
    memcpy(fmt, bad[i], strlen(bad[i]) + 1);
    struct ArrowSchema *root = S("+s", "", 0, 1, S(fmt, "x", 0, 0));
    char msg[200];
    snprintf(msg, sizeof msg, "arrow: unsupported format string '%s'", bad[i]);
    expect_write_fails(root, NULL, ZR_ERR_UNSUPPORTED, msg);
    free(fmt);
  }
  /* 129 union type ids */
  char many[1000];
  size_t k = (size_t)snprintf(many, sizeof many, "+us:");
  for (int i = 0; i < 129; i++) k += (size_t)snprintf(many + k, sizeof many - k, i ? ",%d" : "%d", i % 100);
  reset();
  expect_write_fails(S("+s", "", 0, 1, S(many, "u", 0, 0)), NULL, ZR_ERR_UNSUPPORTED, "arrow: unsupported format string '+us:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,1'");
  reset();
  expect_write_fails(S("+s", "", 0, 1, S("", "x", 0, 0)), NULL, ZR_ERR_MALFORMED, "arrow: empty format string");
}

static void test_malformed_schemas(void **state) {
  (void)state;
  /* a child without a format string */
  reset();
  expect_write_fails(S("+s", "", 0, 1, S(NULL, "x", 0, 0)), NULL, ZR_ERR_MALFORMED,
                     "arrow: malformed schema (a node without a format string, bad metadata or too many children)");
  /* metadata with a negative key length, then a negative value length */
  static const int32_t md1[] = {1, -1, 0};
  static const int32_t md2[] = {1, 0, -5};
  const void *mds[2] = {md1, md2};
  for (int i = 0; i < 2; i++) {
    reset();
    struct ArrowSchema *f = S("i", "x", 0, 0);
    f->metadata = mds[i];
    expect_write_fails(S("+s", "", 0, 1, f), NULL, ZR_ERR_MALFORMED,
                       "arrow: malformed schema (a node without a format string, bad metadata or too many children)");
  }
  /* children that do not fit the type */
  static const struct {
    const char *fmt;
    int nk;
    const char *msg;
  } kc[] = {
      {"+l", 0, "arrow: field 'x' of type +l has 0 children, 1 expected"},
      {"+L", 2, "arrow: field 'x' of type +L has 2 children, 1 expected"},
      {"+vl", 0, "arrow: field 'x' of type +vl has 0 children, 1 expected"},
      {"+w:2", 0, "arrow: field 'x' of type +w:2 has 0 children, 1 expected"},
      {"+r", 1, "arrow: field 'x' of type +r has 1 children, 2 expected"},
      {"+ud:0,1", 1, "arrow: field 'x' of type +ud:0,1 has 1 children, 2 expected"},
      {"+us:5", 2, "arrow: field 'x' of type +us:5 has 2 children, 1 expected"},
      {"i", 1, "arrow: field 'x' of type i has 1 children, 0 expected"},
  };
  for (size_t i = 0; i < sizeof kc / sizeof kc[0]; i++) {
    reset();
    struct ArrowSchema *c0 = S("i", "a", 0, 0), *c1 = S("i", "b", 0, 0);
    struct ArrowSchema *f = S(kc[i].fmt, "x", 0, kc[i].nk, c0, c1);
    expect_write_fails(S("+s", "", 0, 1, f), NULL, ZR_ERR_MALFORMED, kc[i].msg);
  }
  /* a dictionary whose index type is not an integer */
  reset();
  struct ArrowSchema *f = S("g", "x", 0, 0);
  f->dictionary = S("u", NULL, 0, 0);
  expect_write_fails(S("+s", "", 0, 1, f), NULL, ZR_ERR_TYPE, "arrow: dictionary index type g is not an integer");
  /* a dictionary value type that is not supported */
  reset();
  f = S("i", "x", 0, 0);
  f->dictionary = S("q", NULL, 0, 0);
  expect_write_fails(S("+s", "", 0, 1, f), NULL, ZR_ERR_UNSUPPORTED, "arrow: unsupported format string 'q'");
  /* a table schema that is not a struct, NULL arguments, bad options */
  reset();
  zr_sink *sink;
  assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
  zr_arrow_writer *w;
  zr_error e;
  struct ArrowSchema *root = S("+s", "", 0, 0);
  assert_int_equal(zr_arrow_writer_new(sink, S("+l", "", 0, 0), NULL, &w, &e), ZR_ERR_TYPE);
  assert_string_equal(e.message, "arrow: a table schema must be a struct (+s)");
  assert_int_equal(zr_arrow_writer_new(NULL, root, NULL, &w, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_writer_new(sink, NULL, NULL, &w, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_writer_new(sink, root, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_writer_new(sink, S(NULL, "", 0, 0), NULL, &w, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "arrow: NULL argument");
  zr_arrow_write_opts o;
  memset(&o, 0, sizeof o);
  o.alignment = 16;
  assert_int_equal(zr_arrow_writer_new(sink, root, &o, &w, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "arrow: alignment must be 8 or 64");
  o.alignment = 64;
  o.codec = 3;
  assert_int_equal(zr_arrow_writer_new(sink, root, &o, &w, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "arrow: unknown codec 3");
  o.codec = -1;
  assert_int_equal(zr_arrow_writer_new(sink, root, &o, &w, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "arrow: unknown codec -1");
  assert_int_equal(zr_arrow_write(NULL, NULL, sink, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "arrow: NULL table");
  /* the writer's state */
  o.codec = 0;
  assert_int_equal(zr_arrow_writer_new(sink, root, &o, &w, &e), ZR_OK);
  struct ArrowArray *b = A(0, 0, 1, NULL, NULL, NULL, 0);
  assert_int_equal(zr_arrow_writer_write(NULL, b, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_writer_write(w, NULL, &e), ZR_ERR_INVALID_ARG);
  b->release = NULL;
  assert_int_equal(zr_arrow_writer_write(w, b, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "arrow: NULL or released batch");
  b->release = a_release;
  assert_int_equal(zr_arrow_writer_write(w, b, &e), ZR_OK);
  assert_int_equal(zr_arrow_writer_finish(NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "arrow: NULL writer");
  assert_int_equal(zr_arrow_writer_finish(w, &e), ZR_OK);
  assert_int_equal(zr_arrow_writer_finish(w, &e), ZR_OK); /* again: nothing more */
  assert_int_equal(zr_arrow_writer_write(w, b, &e), ZR_ERR_STATE);
  assert_string_equal(e.message, "arrow: writer already finished");
  zr_arrow_writer_free(w);
  zr_arrow_writer_free(NULL);
  /* schema, one empty batch, end of stream: 64-byte aligned bodies read back */
  const uint8_t *p;
  size_t n;
  assert_int_equal(zr_sink_memory_data(sink, &p, &n), ZR_OK);
  zr_table t;
  assert_int_equal(zr_arrow_read(p, n, NULL, &t, &e), ZR_OK);
  assert_int_equal(t.n_batches, 1);
  assert_int_equal(t.batches[0].length, 0);
  zr_table_release(&t);
  zr_sink_free(sink);
}

static const int32_t I3[3] = {1, 2, 3};
static const int32_t OFF3[4] = {0, 1, 2, 3};
static const uint8_t ALLV[1] = {0xff};
static const uint8_t ABC[3] = {'a', 'b', 'c'};

static void test_malformed_arrays(void **state) {
  (void)state;
  struct ArrowSchema *root;
  struct ArrowArray *b;
  /* rows outside the column: the batch at offset 1 over a column of 3 with 3 rows */
  reset();
  root = S("+s", "", 0, 1, S("i", "x", 0, 0));
  b = A(3, 0, 1, NULL, NULL, NULL, 1, A(3, 0, 2, NULL, I3, NULL, 0));
  b->offset = 1;
  expect_write_fails(root, b, ZR_ERR_MALFORMED, "arrow: field 'x': rows [1, +3) outside an array of length 3 offset 0");
  /* a negative offset */
  reset();
  root = S("+s", "", 0, 1, S("i", "x", 0, 0));
  b = A(3, 0, 1, NULL, NULL, NULL, 1, A(3, 0, 2, NULL, I3, NULL, 0));
  b->children[0]->offset = -1;
  expect_write_fails(root, b, ZR_ERR_MALFORMED, "arrow: field 'x': rows [0, +3) outside an array of length 3 offset -1");
  /* a shorter column */
  reset();
  root = S("+s", "", 0, 1, S("i", "x", 0, 0));
  b = A(3, 0, 1, NULL, NULL, NULL, 1, A(2, 0, 2, NULL, I3, NULL, 0));
  expect_write_fails(root, b, ZR_ERR_MALFORMED, "arrow: column 0 shorter than its batch");
  /* more columns than the schema */
  reset();
  root = S("+s", "", 0, 1, S("i", "x", 0, 0));
  b = A(3, 0, 1, NULL, NULL, NULL, 2, A(3, 0, 2, NULL, I3, NULL, 0), A(3, 0, 2, NULL, I3, NULL, 0));
  expect_write_fails(root, b, ZR_ERR_MALFORMED, "arrow: batch has 2 columns, schema 1");
  /* buffer counts by layout */
  static const struct {
    const char *fmt;
    int nb;
    const char *msg;
  } bc[] = {
      {"i", 1, "arrow: field 'x' of type i has 1 buffers, 2 expected"},
      {"b", 3, "arrow: field 'x' of type b has 3 buffers, 2 expected"},
      {"u", 2, "arrow: field 'x' of type u has 2 buffers, 3 expected"},
      {"vu", 2, "arrow: field 'x' of type vu has 2 buffers, 3 expected"},
      {"n", 1, "arrow: field 'x' of type n has 1 buffers, 0 expected"},
  };
  for (size_t i = 0; i < sizeof bc / sizeof bc[0]; i++) {
    reset();
    root = S("+s", "", 0, 1, S(bc[i].fmt, "x", 0, 0));
    b = A(3, 0, 1, NULL, NULL, NULL, 1, A(3, 0, bc[i].nb, NULL, OFF3, ABC, 0));
    expect_write_fails(root, b, ZR_ERR_MALFORMED, bc[i].msg);
  }
  /* NULL buffers the rows need */
  static const struct {
    const char *fmt;
    int nb;
    const void *b0, *b1, *b2;
    const char *msg;
  } nc[] = {
      {"i", 2, NULL, NULL, NULL, "arrow: field 'x' of type i: buffer 1 is NULL for 3 values"},
      {"+us:0", 1, NULL, NULL, NULL, "arrow: field 'x' of type +us:0: buffer 0 is NULL for 3 values"},
      {"u", 3, NULL, OFF3, NULL, "arrow: field 'x': offsets [0, 3] without their data"},
  };
  for (size_t i = 0; i < sizeof nc / sizeof nc[0]; i++) {
    reset();
    int union_ = nc[i].fmt[0] == '+';
    struct ArrowSchema *f = union_ ? S(nc[i].fmt, "x", 0, 1, S("i", "k", 0, 0)) : S(nc[i].fmt, "x", 0, 0);
    root = S("+s", "", 0, 1, f);
    struct ArrowArray *c = union_ ? A(3, 0, nc[i].nb, nc[i].b0, nc[i].b1, nc[i].b2, 1, A(3, 0, 2, NULL, I3, NULL, 0))
                                  : A(3, 0, nc[i].nb, nc[i].b0, nc[i].b1, nc[i].b2, 0);
    b = A(3, 0, 1, NULL, NULL, NULL, 1, c);
    expect_write_fails(root, b, ZR_ERR_MALFORMED, nc[i].msg);
  }
  /* a list whose offsets go past its child */
  reset();
  root = S("+s", "", 0, 1, S("+l", "x", 0, 1, S("i", "item", 0, 0)));
  static const int32_t LOFF[3] = {0, 2, 5};
  b = A(2, 0, 1, NULL, NULL, NULL, 1, A(2, 0, 2, NULL, LOFF, NULL, 1, A(3, 0, 2, NULL, I3, NULL, 0)));
  expect_write_fails(root, b, ZR_ERR_MALFORMED, "arrow: field 'item': rows [0, +5) outside an array of length 3 offset 0");
  /* a struct child array missing */
  reset();
  root = S("+s", "", 0, 1, S("+s", "x", 0, 1, S("i", "a", 0, 0)));
  b = A(3, 0, 1, NULL, NULL, NULL, 1, A(3, 0, 1, NULL, NULL, NULL, 0));
  expect_write_fails(root, b, ZR_ERR_MALFORMED, "arrow: array children do not match the schema");
  /* a dictionary-encoded column without its dictionary */
  reset();
  struct ArrowSchema *f = S("i", "x", 0, 0);
  f->dictionary = S("u", NULL, 0, 0);
  root = S("+s", "", 0, 1, f);
  static const int32_t IDX[3] = {0, 0, 0};
  b = A(3, 0, 1, NULL, NULL, NULL, 1, A(3, 0, 2, NULL, IDX, NULL, 0));
  expect_write_fails(root, b, ZR_ERR_MALFORMED, "arrow: dictionary-encoded array without its dictionary");
  /* with it, written; a second batch with another dictionary replaces it in a stream, and the file
   * format refuses */
  reset();
  f = S("i", "x", 0, 0);
  f->dictionary = S("u", NULL, 0, 0);
  root = S("+s", "", 0, 1, f);
  static const int32_t DOFF1[3] = {0, 1, 2}, DOFF2[3] = {0, 1, 3};
  static const uint8_t D1[2] = {'p', 'q'}, D2[3] = {'r', 's', 's'};
  struct ArrowArray *c = A(3, 0, 2, NULL, IDX, NULL, 0);
  c->dictionary = A(2, 0, 3, NULL, DOFF1, D1, 0);
  struct ArrowArray *b1 = A(3, 0, 1, NULL, NULL, NULL, 1, c);
  struct ArrowArray *c2 = A(3, 0, 2, NULL, IDX, NULL, 0);
  c2->dictionary = A(2, 0, 3, NULL, DOFF2, D2, 0);
  struct ArrowArray *b2 = A(3, 0, 1, NULL, NULL, NULL, 1, c2);
  for (int file = 0; file < 2; file++) {
    zr_sink *sink;
    assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
    zr_arrow_write_opts o;
    memset(&o, 0, sizeof o);
    o.file = file;
    zr_arrow_writer *w;
    zr_error e;
    assert_int_equal(zr_arrow_writer_new(sink, root, &o, &w, &e), ZR_OK);
    assert_int_equal(zr_arrow_writer_write(w, b1, &e), ZR_OK);
    assert_int_equal(zr_arrow_writer_write(w, b1, &e), ZR_OK); /* same buffers: not sent again */
    zr_status st = zr_arrow_writer_write(w, b2, &e);
    if (file) {
      assert_int_equal(st, ZR_ERR_UNSUPPORTED);
      assert_string_equal(e.message, "arrow: the file format cannot replace dictionary 0");
    } else {
      assert_int_equal(st, ZR_OK);
      assert_int_equal(zr_arrow_writer_finish(w, &e), ZR_OK);
      const uint8_t *p;
      size_t n;
      assert_int_equal(zr_sink_memory_data(sink, &p, &n), ZR_OK);
      zr_table t;
      assert_int_equal(zr_arrow_read(p, n, NULL, &t, &e), ZR_OK);
      assert_int_equal(t.n_batches, 3);
      zr_doc *d = zr_doc_new(NULL);
      zr_value rows;
      assert_int_equal(zr_arrow_to_value(&t, d, &rows, &e), ZR_OK);
      assert_int_equal(rows.n.len, 9);
      const zr_value *v0 = zr_map_get(&rows.u.items[0], "x", 1), *v8 = zr_map_get(&rows.u.items[8], "x", 1);
      assert_int_equal(v0->n.len, 1);
      assert_memory_equal(v0->u.str, "p", 1);
      assert_int_equal(v8->n.len, 1);
      assert_memory_equal(v8->u.str, "r", 1);
      zr_doc_free(d);
      zr_table_release(&t);
    }
    zr_arrow_writer_free(w);
    zr_sink_free(sink);
  }
  /* a run-end encoded column cannot be written from a slice */
  reset();
  static const int32_t RE[1] = {3};
  root = S("+s", "", 0, 1, S("+r", "x", 0, 2, S("i", "run_ends", 0, 0), S("i", "values", ARROW_FLAG_NULLABLE, 0)));
  b = A(2, 0, 1, NULL, NULL, NULL, 1, A(3, 0, 0, NULL, NULL, NULL, 2, A(1, 0, 2, NULL, RE, NULL, 0), A(1, 0, 2, NULL, I3, NULL, 0)));
  b->offset = 1;
  expect_write_fails(root, b, ZR_ERR_UNSUPPORTED, "arrow: writing a slice of a run-end encoded array");
  /* a validity bitmap with null_count -1 (unknown): counted by the writer */
  reset();
  static const uint8_t V101[1] = {0x5};
  root = S("+s", "", 0, 1, S("i", "x", ARROW_FLAG_NULLABLE, 0));
  b = A(3, 0, 1, NULL, NULL, NULL, 1, A(3, -1, 2, V101, I3, NULL, 0));
  zr_sink *sink;
  zr_error e;
  assert_int_equal(write1(root, b, &sink, &e), ZR_OK);
  const uint8_t *p;
  size_t n;
  assert_int_equal(zr_sink_memory_data(sink, &p, &n), ZR_OK);
  zr_table t;
  assert_int_equal(zr_arrow_read(p, n, NULL, &t, &e), ZR_OK);
  assert_int_equal(t.batches[0].children[0]->null_count, 1);
  zr_table_release(&t);
  zr_sink_free(sink);
  (void)ALLV;
}


/* read back what write1 wrote */
static zr_status read_back(zr_sink *sink, zr_table *t, zr_error *e) {
  const uint8_t *p;
  size_t n;
  assert_int_equal(zr_sink_memory_data(sink, &p, &n), ZR_OK);
  return zr_arrow_read(p, n, NULL, t, e);
}

static struct ArrowSchema chain[210];
static struct ArrowSchema *chain_kid[210];

static void test_round_trips(void **state) {
  (void)state;
  zr_sink *sink;
  zr_error e;
  zr_table t;
  /* a batch at offset 1: large strings and lists rebased, a bitmap shifted, a bool column */
  static const int64_t LOFF[4] = {0, 1, 3, 6};
  static const uint8_t LDATA[6] = {'a', 'b', 'c', 'd', 'e', 'f'};
  static const int64_t LLOFF[4] = {0, 0, 2, 3};
  static const int32_t I3[3] = {7, 8, 9};
  static const uint8_t V110[1] = {0x3}, B011[1] = {0x6};
  reset();
  struct ArrowSchema *root = S("+s", "", 0, 4, S("U", "s", ARROW_FLAG_NULLABLE, 0), S("+L", "l", 0, 1, S("i", "item", 0, 0)),
                               S("i", "v", ARROW_FLAG_NULLABLE, 0), S("b", "b", 0, 0));
  struct ArrowArray *b = A(2, 0, 1, NULL, NULL, NULL, 4, A(3, 0, 3, NULL, LOFF, LDATA, 0),
                           A(3, 0, 2, NULL, LLOFF, NULL, 1, A(3, 0, 2, NULL, I3, NULL, 0)), A(3, 1, 2, V110, I3, NULL, 0),
                           A(3, 0, 2, NULL, B011, NULL, 0));
  b->offset = 1;
  assert_int_equal(write1(root, b, &sink, &e), ZR_OK);
  assert_int_equal(read_back(sink, &t, &e), ZR_OK);
  zr_doc *d = zr_doc_new(NULL);
  zr_value rows;
  assert_int_equal(zr_arrow_to_value(&t, d, &rows, &e), ZR_OK);
  assert_int_equal(rows.n.len, 2);
  const zr_value *s0 = zr_map_get(&rows.u.items[0], "s", 1), *s1 = zr_map_get(&rows.u.items[1], "s", 1);
  assert_int_equal(s0->n.len, 2);
  assert_memory_equal(s0->u.str, "bc", 2);
  assert_int_equal(s1->n.len, 3);
  assert_memory_equal(s1->u.str, "def", 3);
  const zr_value *l0 = zr_map_get(&rows.u.items[0], "l", 1);
  assert_int_equal(l0->n.len, 2);
  assert_int_equal(l0->u.items[1].u.i, 8);
  assert_int_equal(zr_map_get(&rows.u.items[0], "v", 1)->u.i, 8);
  assert_int_equal(zr_map_get(&rows.u.items[1], "v", 1)->kind, ZR_KIND_NULL);
  assert_true(zr_map_get(&rows.u.items[0], "b", 1)->u.b);
  assert_true(zr_map_get(&rows.u.items[1], "b", 1)->u.b);
  zr_doc_free(d);
  zr_table_release(&t);
  zr_sink_free(sink);
  /* a 300-byte field name and 300 metadata pairs (all kept) */
  static char longname[301];
  memset(longname, 'n', 300);
  static char md[300 * 20 + 4];
  size_t k = 0;
  int32_t cnt = 300;
  memcpy(md, &cnt, 4), k = 4;
  for (int i = 0; i < 300; i++) {
    char key[8];
    int32_t kl = snprintf(key, sizeof key, "k%d", i), vl = 1;
    memcpy(md + k, &kl, 4), k += 4;
    memcpy(md + k, key, (size_t)kl), k += (size_t)kl;
    memcpy(md + k, &vl, 4), k += 4;
    md[k++] = 'v';
  }
  reset();
  struct ArrowSchema *f = S("i", longname, 0, 0);
  f->metadata = md;
  root = S("+s", "", 0, 1, f);
  assert_int_equal(write1(root, NULL, &sink, &e), ZR_OK);
  assert_int_equal(read_back(sink, &t, &e), ZR_OK);
  assert_string_equal(t.schema.children[0]->name, longname);
  int32_t got;
  memcpy(&got, t.schema.children[0]->metadata, 4);
  assert_int_equal(got, 300);
  zr_table_release(&t);
  zr_sink_free(sink);
  /* nine dictionary-encoded fields (the reader's table of dictionaries grows) */
  reset();
  struct ArrowSchema *nine[9];
  for (int i = 0; i < 9; i++) {
    nine[i] = S("i", "d", 0, 0);
    nine[i]->dictionary = S("u", NULL, 0, 0);
  }
  root = S("+s", "", 0, 4, nine[0], nine[1], nine[2], nine[3]);
  root->n_children = 9;
  struct ArrowSchema *kids9[9];
  memcpy(kids9, nine, sizeof kids9);
  root->children = kids9;
  assert_int_equal(write1(root, NULL, &sink, &e), ZR_OK);
  assert_int_equal(read_back(sink, &t, &e), ZR_OK);
  assert_int_equal(t.schema.n_children, 9);
  assert_non_null(t.schema.children[8]->dictionary);
  zr_table_release(&t);
  zr_sink_free(sink);
  /* a map whose entries are not a struct of two fields: written, refused by the reader */
  static const char *entries[] = {"i", "+s"};
  for (int i = 0; i < 2; i++) {
    reset();
    root = S("+s", "", 0, 1, S("+m", "m", 0, 1, S(entries[i], "entries", 0, 0)));
    assert_int_equal(write1(root, NULL, &sink, &e), ZR_OK);
    assert_int_equal(read_back(sink, &t, &e), ZR_ERR_MALFORMED);
    assert_string_equal(e.message, "arrow: map field 'm' whose entries are not a struct of key and value");
    zr_sink_free(sink);
  }
  /* a schema nested deeper than the writer goes */
  for (int i = 0; i < 210; i++) {
    chain[i].format = i == 209 ? "i" : "+l";
    chain[i].name = "c";
    chain[i].n_children = i == 209 ? 0 : 1;
    chain_kid[i] = &chain[i + 1 < 210 ? i + 1 : i];
    chain[i].children = i == 209 ? NULL : &chain_kid[i];
    chain[i].release = s_release;
  }
  reset();
  expect_write_fails(S("+s", "", 0, 1, &chain[0]), NULL, ZR_ERR_LIMIT, "arrow: schema nested too deeply");
  /* codec levels */
  for (int codec = 1; codec <= 2; codec++) {
    reset();
    root = S("+s", "", 0, 1, S("i", "x", 0, 0));
    b = A(3, 0, 1, NULL, NULL, NULL, 1, A(3, 0, 2, NULL, I3, NULL, 0));
    assert_int_equal(zr_sink_memory_new(NULL, &sink, NULL), ZR_OK);
    zr_arrow_write_opts o;
    memset(&o, 0, sizeof o);
    o.codec = codec;
    o.level = codec == 1 ? 1 : 5;
    zr_arrow_writer *w;
    assert_int_equal(zr_arrow_writer_new(sink, root, &o, &w, &e), ZR_OK);
    assert_int_equal(zr_arrow_writer_write(w, b, &e), ZR_OK);
    assert_int_equal(zr_arrow_writer_finish(w, &e), ZR_OK);
    zr_arrow_writer_free(w);
    assert_int_equal(read_back(sink, &t, &e), ZR_OK);
    assert_int_equal(((const int32_t *)t.batches[0].children[0]->buffers[1])[2], 9);
    zr_table_release(&t);
    zr_sink_free(sink);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format_strings),
      cmocka_unit_test(test_malformed_schemas),
      cmocka_unit_test(test_malformed_arrays),
      cmocka_unit_test(test_round_trips),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
