/* Coverage: tensors <-> tables (zr_numpy_to_table / zr_numpy_from_table). Every column dtype each
 * way, NaT and nulls, big-endian, strided and broadcast columns, structured tensors (padding,
 * titles, refused subarray and nested fields, descr errors), 2-D tensors and maps of tensors,
 * hand-built Arrow tables of every accepted and refused format, several batches with offsets,
 * lossy mappings as warnings and strict errors, all with their value paths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/numpy.h"

static zr_value mk(zr_doc *d, zr_dtype dt, uint64_t itemsize, int64_t n, const void *src, zr_byte_order bo,
                   zr_time_unit tu, const char *descr) {
  zr_tensor t;
  uint8_t *p = zr_doc_alloc(d, (size_t)(n * (int64_t)itemsize + 8), 64);
  if (src) memcpy(p, src, (size_t)(n * (int64_t)itemsize));
  assert_int_equal(zr_tensor_init(&t, dt, itemsize, 1, &n, p, NULL), ZR_OK);
  t.byte_order = bo;
  t.time_unit = tu;
  t.descr = descr;
  return zr_tensor_value(d, &t);
}

static void to_table_ok(const zr_value *v, zr_table *t) {
  zr_error e;
  zr_status st = zr_numpy_to_table(v, t, &e);
  if (st) fail_msg("to_table: %s at %s", e.message, e.path);
}

static void to_table_bad(const zr_value *v, zr_status want, const char *msg, const char *path) {
  zr_table t;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_numpy_to_table(v, &t, &e);
  if (st != want || !strstr(e.message, msg) || (path && strcmp(e.path, path)))
    fail_msg("want %d '%s' at %s, got %d '%s' at %s", want, msg, path ? path : "-", st, e.message, e.path);
  assert_int_equal(e.code, want);
}

static const char *col_fmt(const zr_table *t, int i) { return t->schema.children[i]->format; }
static const struct ArrowArray *col(const zr_table *t, int i) { return t->batches[0].children[i]; }

static void test_columns_each_dtype(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  static const struct { zr_dtype dt; uint64_t size; const char *fmt; } num[] = {
      {ZR_DT_BOOL, 1, "b"},   {ZR_DT_INT8, 1, "c"},   {ZR_DT_INT16, 2, "s"},   {ZR_DT_INT32, 4, "i"},
      {ZR_DT_INT64, 8, "l"},  {ZR_DT_UINT8, 1, "C"},  {ZR_DT_UINT16, 2, "S"},  {ZR_DT_UINT32, 4, "I"},
      {ZR_DT_UINT64, 8, "L"}, {ZR_DT_FLOAT16, 2, "e"}, {ZR_DT_FLOAT32, 4, "f"}, {ZR_DT_FLOAT64, 8, "g"}};
  uint8_t src[64];
  for (int i = 0; i < 64; i++) src[i] = (uint8_t)(i % 2);
  for (size_t k = 0; k < sizeof num / sizeof *num; k++) {
    zr_value v = mk(d, num[k].dt, num[k].size, 5, src, ZR_ORDER_LITTLE, 0, NULL);
    zr_table t;
    to_table_ok(&v, &t);
    assert_string_equal(col_fmt(&t, 0), num[k].fmt);
    assert_string_equal(t.schema.children[0]->name, "values");
    assert_int_equal(col(&t, 0)->length, 5);
    /* and back: one column gives a 1-D tensor of the same bytes */
    zr_value back;
    zr_error e;
    assert_int_equal(zr_numpy_from_table(&t, d, 0, NULL, 1, &back, &e), ZR_OK);
    assert_int_equal(back.kind, ZR_KIND_TENSOR);
    assert_int_equal(back.u.tensor->dtype, num[k].dt);
    assert_memory_equal(back.u.tensor->data, v.u.tensor->data, 5 * num[k].size);
    zr_table_release(&t);
  }
  /* big endian: swapped copies */
  int32_t be[3] = {0x01000000, 0x02000000, (int32_t)0xffffffffu};
  zr_value v = mk(d, ZR_DT_INT32, 4, 3, be, ZR_ORDER_BIG, 0, NULL);
  zr_table t;
  to_table_ok(&v, &t);
  const int32_t *got = col(&t, 0)->buffers[1];
  assert_int_equal(got[0], 1);
  assert_int_equal(got[1], 2);
  assert_int_equal(got[2], -1);
  zr_table_release(&t);
  /* strided: every other int16, copied */
  int16_t s[6] = {1, 100, 2, 100, 3, 100};
  v = mk(d, ZR_DT_INT16, 2, 6, s, ZR_ORDER_LITTLE, 0, NULL);
  v.u.tensor->shape[0] = 3;
  v.u.tensor->strides[0] = 4;
  to_table_ok(&v, &t);
  const int16_t *g16 = col(&t, 0)->buffers[1];
  assert_true(g16[0] == 1 && g16[1] == 2 && g16[2] == 3);
  zr_table_release(&t);
  /* fixed bytes, including a width over 8 */
  v = mk(d, ZR_DT_BYTES, 12, 2, "abcdefghijklABCDEFGHIJKL", ZR_ORDER_LITTLE, 0, NULL);
  to_table_ok(&v, &t);
  assert_string_equal(col_fmt(&t, 0), "w:12");
  assert_memory_equal(col(&t, 0)->buffers[1], "abcdefghijklABCDEFGHIJKL", 24);
  zr_table_release(&t);
  v.u.tensor->shape[0] = 1;
  v.u.tensor->strides[0] = 24; /* strided: copied */
  to_table_ok(&v, &t);
  assert_memory_equal(col(&t, 0)->buffers[1], "abcdefghijkl", 12);
  zr_table_release(&t);
  zr_doc_free(d);
}

static void test_unicode_and_time(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  /* UCS-4: ASCII, 2-, 3- and 4-byte UTF-8, a surrogate and an out-of-range value become U+FFFD */
  uint32_t u[8] = {'a', 0xE9, 0x20AC, 0x1F600, 0xD800, 0x110000, 0, 0};
  zr_value v = mk(d, ZR_DT_UNICODE, 16, 2, u, ZR_ORDER_LITTLE, 0, NULL);
  zr_table t;
  to_table_ok(&v, &t);
  assert_string_equal(col_fmt(&t, 0), "u");
  const int32_t *off = col(&t, 0)->buffers[1];
  const char *txt = col(&t, 0)->buffers[2];
  assert_int_equal(off[1], 1 + 2 + 3 + 4);
  assert_memory_equal(txt, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10);
  assert_int_equal(off[2] - off[1], 6);
  assert_memory_equal(txt + off[1], "\xef\xbf\xbd\xef\xbf\xbd", 6);
  /* back: U4 with the widest value's code points */
  zr_value back;
  zr_error e;
  assert_int_equal(zr_numpy_from_table(&t, d, 0, NULL, 0, &back, &e), ZR_OK);
  assert_string_equal(back.u.tensor->descr, "<U4");
  assert_memory_equal(back.u.tensor->data, u, 16);
  zr_table_release(&t);
  /* big-endian UCS-4 */
  uint8_t ube[8] = {0, 0, 0, 'h', 0, 0, 0, 'i'};
  v = mk(d, ZR_DT_UNICODE, 8, 1, ube, ZR_ORDER_BIG, 0, NULL);
  to_table_ok(&v, &t);
  assert_memory_equal(col(&t, 0)->buffers[2], "hi", 2);
  zr_table_release(&t);
  /* a broadcast column too large for 32-bit offsets */
  v = mk(d, ZR_DT_UNICODE, 8, 1, ube, ZR_ORDER_LITTLE, 0, NULL);
  v.u.tensor->shape[0] = (int64_t)1 << 30;
  v.u.tensor->strides[0] = 0;
  to_table_bad(&v, ZR_ERR_TYPE, "too large for utf8", "$");
  /* datetimes: NaT becomes null */
  int64_t ts[3] = {86400, INT64_MIN, -5};
  static const struct { zr_dtype dt; zr_time_unit tu; const char *fmt; } tm[] = {
      {ZR_DT_DATETIME64, ZR_TU_DAY, "tdD"},   {ZR_DT_DATETIME64, ZR_TU_SECOND, "tss:"}, {ZR_DT_DATETIME64, ZR_TU_MILLI, "tsm:"},
      {ZR_DT_DATETIME64, ZR_TU_MICRO, "tsu:"}, {ZR_DT_DATETIME64, ZR_TU_NANO, "tsn:"},   {ZR_DT_TIMEDELTA64, ZR_TU_SECOND, "tDs"},
      {ZR_DT_TIMEDELTA64, ZR_TU_NANO, "tDn"}};
  for (size_t k = 0; k < sizeof tm / sizeof *tm; k++) {
    v = mk(d, tm[k].dt, 8, 3, ts, ZR_ORDER_LITTLE, tm[k].tu, NULL);
    to_table_ok(&v, &t);
    assert_string_equal(col_fmt(&t, 0), tm[k].fmt);
    assert_int_equal(col(&t, 0)->null_count, 1);
    const uint8_t *valid = col(&t, 0)->buffers[0];
    assert_int_equal(valid[0] & 7, 5);
    assert_int_equal(zr_numpy_from_table(&t, d, 1, NULL, 0, &back, &e), ZR_OK);
    const zr_tensor *bt = zr_map_get(&back, "values", 6)->u.tensor;
    assert_int_equal(bt->dtype, tm[k].dt);
    assert_int_equal(((const int64_t *)bt->data)[1], INT64_MIN); /* null: NaT again */
    assert_int_equal(((const int64_t *)bt->data)[2], -5);
    zr_table_release(&t);
  }
  /* big-endian datetime */
  int64_t tsbe = (int64_t)0x0100000000000000ll; /* 1 once swapped */
  v = mk(d, ZR_DT_DATETIME64, 8, 1, &tsbe, ZR_ORDER_BIG, ZR_TU_SECOND, NULL);
  to_table_ok(&v, &t);
  assert_int_equal(((const int64_t *)col(&t, 0)->buffers[1])[0], 1);
  zr_table_release(&t);
  /* units Arrow has no type for; days beyond date32 */
  v = mk(d, ZR_DT_DATETIME64, 8, 3, ts, ZR_ORDER_LITTLE, ZR_TU_YEAR, NULL);
  to_table_bad(&v, ZR_ERR_TYPE, "datetime64 with this time unit", "$");
  v = mk(d, ZR_DT_TIMEDELTA64, 8, 3, ts, ZR_ORDER_LITTLE, ZR_TU_HOUR, NULL);
  to_table_bad(&v, ZR_ERR_TYPE, "timedelta64 with this time unit", "$");
  int64_t far[2] = {1, (int64_t)1 << 40};
  v = mk(d, ZR_DT_DATETIME64, 8, 2, far, ZR_ORDER_LITTLE, ZR_TU_DAY, NULL);
  to_table_bad(&v, ZR_ERR_TYPE, "beyond the int32 days", "$[1]");
  far[1] = -((int64_t)1 << 40);
  to_table_bad(&v, ZR_ERR_TYPE, "beyond the int32 days", "$[1]");
  /* types with no column */
  v = mk(d, ZR_DT_BYTES, 0, 2, NULL, ZR_ORDER_LITTLE, 0, NULL);
  to_table_bad(&v, ZR_ERR_TYPE, "zero-width bytes", "$");
  v = mk(d, ZR_DT_COMPLEX64, 8, 2, NULL, ZR_ORDER_LITTLE, 0, NULL);
  to_table_bad(&v, ZR_ERR_TYPE, "a complex64 column cannot become an Arrow column", "$");
  zr_doc_free(d);
}

static void test_shapes_and_structs(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_table t;
  /* 0-D, 3-D, a 2-D structured tensor, raw void, non-tensor values, NULL */
  int64_t sh3[3] = {1, 1, 1};
  zr_tensor x;
  static double one = 1;
  zr_tensor_init(&x, ZR_DT_FLOAT64, 8, 0, NULL, &one, NULL);
  zr_value v = zr_tensor_value(d, &x);
  to_table_bad(&v, ZR_ERR_TYPE, "a 0-D tensor has no table mapping", "$");
  zr_tensor_init(&x, ZR_DT_FLOAT64, 8, 3, sh3, &one, NULL);
  v = zr_tensor_value(d, &x);
  to_table_bad(&v, ZR_ERR_TYPE, "3-D or higher", "$");
  int64_t sh2[2] = {1, 1};
  zr_tensor_init(&x, ZR_DT_VOID, 8, 2, sh2, &one, NULL);
  x.descr = "[('a', '<f8')]";
  v = zr_tensor_value(d, &x);
  to_table_bad(&v, ZR_ERR_TYPE, "only 1-D structured tensors", "$");
  v = mk(d, ZR_DT_VOID, 8, 2, NULL, ZR_ORDER_LITTLE, 0, NULL);
  to_table_bad(&v, ZR_ERR_TYPE, "raw void data has no columns", "$");
  v.u.tensor->descr = "|V8";
  to_table_bad(&v, ZR_ERR_TYPE, "raw void data has no columns", "$");
  zr_value s = zr_cstr_ref("x");
  to_table_bad(&s, ZR_ERR_TYPE, "a string is neither a tensor nor a map of tensors", "$");
  zr_error e;
  assert_int_equal(zr_numpy_to_table(NULL, &t, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_numpy_to_table(&s, NULL, &e), ZR_ERR_INVALID_ARG);
  /* 2-D: one column per column */
  int32_t m[6] = {1, 2, 3, 4, 5, 6};
  int64_t sh23[2] = {2, 3};
  zr_tensor_init(&x, ZR_DT_INT32, 4, 2, sh23, m, NULL);
  v = zr_tensor_value(d, &x);
  to_table_ok(&v, &t);
  assert_int_equal(t.schema.n_children, 3);
  assert_string_equal(t.schema.children[2]->name, "2");
  assert_int_equal(((const int32_t *)col(&t, 2)->buffers[1])[1], 6);
  /* back as one structured tensor with a field per column */
  zr_value back;
  assert_int_equal(zr_numpy_from_table(&t, d, 0, NULL, 0, &back, &e), ZR_OK);
  assert_int_equal(back.u.tensor->dtype, ZR_DT_VOID);
  assert_string_equal(back.u.tensor->descr, "[('0', '<i4'), ('1', '<i4'), ('2', '<i4')]");
  assert_memory_equal(back.u.tensor->data, m, 24);
  zr_table_release(&t);
  /* structured: padding skipped, a title, big-endian, bytes and unicode fields */
  uint8_t recs[2 * 28];
  memset(recs, 0, sizeof recs);
  for (int r = 0; r < 2; r++) {
    uint8_t *p = recs + r * 28;
    int32_t a = 10 + r;
    memcpy(p, &a, 4);
    p[8 + 7] = (uint8_t)(r + 1); /* >i8 at 8: value r + 1 */
    memcpy(p + 16, r ? "xyz" : "ab\0", 3);
    p[20] = (uint8_t)('A' + r); /* <U2 at 20 */
  }
  v = mk(d, ZR_DT_VOID, 28, 2, recs, ZR_ORDER_LITTLE, 0,
         "[('a', '<i4'), ('', '|V4'), (('the b', 'b'), '>i8'), ('s', '|S3'), ('', '|V1'), ('u', '<U2')]");
  to_table_ok(&v, &t);
  assert_int_equal(t.schema.n_children, 4);
  assert_string_equal(t.schema.children[1]->name, "b");
  assert_string_equal(col_fmt(&t, 1), "l");
  assert_int_equal(((const int64_t *)col(&t, 1)->buffers[1])[1], 2);
  assert_string_equal(col_fmt(&t, 2), "w:3");
  assert_memory_equal((const uint8_t *)col(&t, 2)->buffers[1] + 3, "xyz", 3);
  assert_memory_equal((const uint8_t *)col(&t, 3)->buffers[2], "AB", 2);
  zr_table_release(&t);
  /* structured refusals */
  static const struct { const char *descr; uint64_t size; zr_status st; const char *msg; const char *path; } bad[] = {
      {"[('a', '<i4', (2,))]", 8, ZR_ERR_TYPE, "subarray fields have no column mapping", "$.a"},
      {"[('n', [('x', '<i4')])]", 4, ZR_ERR_TYPE, "nested structured fields", "$.n"},
      {"[('a', '<i4')]", 8, ZR_ERR_TYPE, "does not add up to the item size", "$"},
      {"[('a', '<c8')]", 8, ZR_ERR_TYPE, "a complex64 column", "$.a"},
      {"[('a', 'x9')]", 8, ZR_ERR_UNSUPPORTED, "unsupported dtype", NULL},
      {"[('a', '<i4'", 4, ZR_ERR_MALFORMED, "unterminated", NULL},
      {"['a']", 4, ZR_ERR_TYPE, "malformed field in descr", "$"},
      {"[(1, '<i4')]", 4, ZR_ERR_TYPE, "field name is not a string", "$"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    v = mk(d, ZR_DT_VOID, bad[i].size, 1, NULL, ZR_ORDER_LITTLE, 0, bad[i].descr);
    to_table_bad(&v, bad[i].st, bad[i].msg, bad[i].path);
  }
  /* a field's value error names the field and the row (it used to say "$") */
  int64_t far[2] = {3, (int64_t)1 << 40};
  v = mk(d, ZR_DT_VOID, 8, 2, far, ZR_ORDER_LITTLE, 0, "[('day', '<M8[D]')]");
  to_table_bad(&v, ZR_ERR_TYPE, "beyond the int32 days", "$.day[1]");
  zr_doc_free(d);
}

static void test_maps(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  int32_t a[3] = {1, 2, 3};
  double b[3] = {0.5, 1.5, 2.5};
  char longname[300];
  memset(longname, 'n', sizeof longname);
  zr_value m = zr_map_new(d, 3);
  zr_map_put_cstr(d, &m, "a", mk(d, ZR_DT_INT32, 4, 3, a, ZR_ORDER_LITTLE, 0, NULL));
  zr_map_put(d, &m, zr_str_ref(longname, 300), mk(d, ZR_DT_FLOAT64, 8, 3, b, ZR_ORDER_LITTLE, 0, NULL));
  zr_table t;
  to_table_ok(&m, &t);
  assert_int_equal(t.schema.n_children, 2);
  assert_int_equal(strlen(t.schema.children[1]->name), 255); /* names are cut at 255 bytes */
  zr_value back;
  zr_error e;
  assert_int_equal(zr_numpy_from_table(&t, d, 1, NULL, 0, &back, &e), ZR_OK);
  assert_int_equal(back.n.len, 2);
  assert_memory_equal(zr_map_get(&back, "a", 1)->u.tensor->data, a, 12);
  zr_table_release(&t);
  /* refusals, with the member's path */
  zr_value m2 = zr_map_new(d, 2);
  zr_map_put_cstr(d, &m2, "a", mk(d, ZR_DT_INT32, 4, 3, a, ZR_ORDER_LITTLE, 0, NULL));
  zr_map_put_cstr(d, &m2, "short", mk(d, ZR_DT_INT32, 4, 2, a, ZR_ORDER_LITTLE, 0, NULL));
  to_table_bad(&m2, ZR_ERR_TYPE, "equal lengths", "$.short");
  zr_value m3 = zr_map_new(d, 1);
  zr_map_put_cstr(d, &m3, "x", zr_int(1));
  to_table_bad(&m3, ZR_ERR_TYPE, "every member must be a 1-D tensor", "$.x");
  zr_value m4 = zr_map_new(d, 1);
  zr_map_put(d, &m4, zr_int(3), mk(d, ZR_DT_INT32, 4, 3, a, ZR_ORDER_LITTLE, 0, NULL));
  to_table_bad(&m4, ZR_ERR_TYPE, "member names must be strings", "$");
  zr_value m5 = zr_map_new(d, 1);
  zr_map_put_cstr(d, &m5, "c", mk(d, ZR_DT_COMPLEX128, 16, 1, NULL, ZR_ORDER_LITTLE, 0, NULL));
  to_table_bad(&m5, ZR_ERR_TYPE, "complex128", "$.c");
  /* zr_numpy_is_tensor_table */
  assert_false(zr_numpy_is_tensor_table(NULL));
  assert_true(zr_numpy_is_tensor_table(zr_map_get(&m, "a", 1)));
  assert_true(zr_numpy_is_tensor_table(&m));
  assert_false(zr_numpy_is_tensor_table(&m3));
  zr_value empty = zr_map_new(d, 0);
  assert_false(zr_numpy_is_tensor_table(&empty));
  zr_value s = zr_cstr_ref("x");
  assert_false(zr_numpy_is_tensor_table(&s));
  zr_doc_free(d);
}

/* ---- hand-built Arrow tables ---- */

typedef struct tb {
  zr_table t;
  struct ArrowSchema cs[4], *csp[4];
  struct ArrowArray ca[2][4], *cap[2][4];
  const void *bufs[2][4][3];
} tb;

static void tb_init(tb *b, int ncols, int nbatch) {
  memset(b, 0, sizeof *b);
  b->t.schema.format = "+s";
  b->t.schema.n_children = ncols;
  b->t.schema.children = b->csp;
  b->t.n_batches = nbatch;
  static struct ArrowArray batches[2];
  memset(batches, 0, sizeof batches);
  b->t.batches = batches;
  for (int i = 0; i < ncols; i++) b->csp[i] = &b->cs[i];
  for (int k = 0; k < nbatch; k++) {
    batches[k].n_children = ncols;
    batches[k].children = b->cap[k];
    for (int i = 0; i < ncols; i++) {
      b->cap[k][i] = &b->ca[k][i];
      b->ca[k][i].buffers = b->bufs[k][i];
      b->ca[k][i].n_buffers = 3;
    }
  }
}
static void tb_col(tb *b, int i, const char *fmt, const char *name) {
  b->cs[i].format = fmt;
  b->cs[i].name = name;
}
static void tb_arr(tb *b, int k, int i, int64_t len, int64_t nulls, const void *valid, const void *b1, const void *b2) {
  b->t.batches[k].length = len;
  b->ca[k][i].length = len;
  b->ca[k][i].null_count = nulls;
  b->bufs[k][i][0] = valid;
  b->bufs[k][i][1] = b1;
  b->bufs[k][i][2] = b2;
}

/* one column of a hand-built table: Arrow format, name, null count and buffers */
typedef struct tb_spec {
  const char *fmt, *name;
  int64_t nulls;
  const void *valid, *b1, *b2;
} tb_spec;
/* a table of @p ncols columns and @p nbatch batches, every batch of @p len rows over the same buffers */
static void tb_build(tb *b, int nbatch, int64_t len, const tb_spec *c, int ncols) {
  tb_init(b, ncols, nbatch);
  for (int i = 0; i < ncols; i++) {
    tb_col(b, i, c[i].fmt, c[i].name);
    for (int k = 0; k < nbatch; k++) tb_arr(b, k, i, len, c[i].nulls, c[i].valid, c[i].b1, c[i].b2);
  }
}
/* a one-column table of two rows of @p data */
static void tb_one(tb *b, const char *fmt, const char *name, const void *data) {
  const tb_spec c = {fmt, name, 0, NULL, data, NULL};
  tb_build(b, 1, 2, &c, 1);
}

static void from_bad(const tb *b, int as_map, int strict, zr_status want, const char *msg, const char *path) {
  zr_doc *d = zr_doc_new(NULL);
  zr_value out;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_numpy_from_table(&b->t, d, as_map, NULL, strict, &out, &e);
  if (st != want || !strstr(e.message, msg) || (path && strcmp(e.path, path)))
    fail_msg("want %d '%s' at %s, got %d '%s' at %s", want, msg, path ? path : "-", st, e.message, e.path);
  zr_doc_free(d);
}

static void test_from_arrow_formats(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  tb b;
  zr_value out;
  zr_error e;
  zr_warnings w;
  /* date64, timestamp with a zone (lossy), duration, large utf8, three columns */
  int64_t ms[2] = {1000, 2000};
  int64_t dur[2] = {7, 8};
  int64_t loff[3] = {0, 1, 4};
  const tb_spec cols[] = {{"tdm", "d64", 0, NULL, ms, NULL},
                          {"tsu:UTC", "tz", 0, NULL, ms, NULL},
                          {"tDm", "dur", 0, NULL, dur, NULL},
                          {"U", "big", 0, NULL, loff, "a\xc3\xa9z"}};
  tb_build(&b, 1, 2, cols, 4);
  memset(&w, 0, sizeof w);
  assert_int_equal(zr_numpy_from_table(&b.t, d, 1, &w, 0, &out, &e), ZR_OK);
  assert_int_equal(w.count, 1);
  assert_string_equal(w.items[0].path, "$.tz");
  assert_string_equal(zr_map_get(&out, "d64", 3)->u.tensor->descr, "<M8[ms]");
  assert_int_equal(((const int64_t *)zr_map_get(&out, "d64", 3)->u.tensor->data)[1], 2000);
  assert_string_equal(zr_map_get(&out, "tz", 2)->u.tensor->descr, "<M8[us]");
  assert_string_equal(zr_map_get(&out, "dur", 3)->u.tensor->descr, "<m8[ms]");
  const zr_tensor *ut = zr_map_get(&out, "big", 3)->u.tensor;
  assert_string_equal(ut->descr, "<U2");
  static const uint32_t want_u[4] = {'a', 0, 0xE9, 'z'};
  assert_memory_equal(ut->data, want_u, 16);
  /* the same as one structured tensor */
  assert_int_equal(zr_numpy_from_table(&b.t, d, 0, NULL, 0, &out, &e), ZR_OK);
  assert_string_equal(out.u.tensor->descr,
                      "[('d64', '<M8[ms]'), ('tz', '<M8[us]'), ('dur', '<m8[ms]'), ('big', '<U2')]");
  assert_int_equal(out.u.tensor->itemsize, 32);
  from_bad(&b, 1, 1, ZR_ERR_LOSSY, "time zone dropped", "$.tz");
  /* formats with no dtype */
  static const struct { const char *fmt; const char *msg; } nod[] = {
      {"tsx:", "unknown time unit"}, {"w:0", "zero-width binary"}, {"+l", "type '+l' has no NumPy dtype"},
      {"tDx", "unknown time unit"}, {"z", "type 'z' has no NumPy dtype"}};
  for (size_t i = 0; i < sizeof nod / sizeof *nod; i++) {
    tb_one(&b, nod[i].fmt, "c", ms);
    from_bad(&b, 1, 0, ZR_ERR_TYPE, nod[i].msg, "$.c");
  }
  struct ArrowSchema dict = {0};
  dict.format = "u";
  tb_one(&b, "i", "dictcol", ms);
  b.cs[0].dictionary = &dict;
  from_bad(&b, 1, 0, ZR_ERR_TYPE, "dictionary-encoded", "$.dictcol");
  /* no columns; NULL arguments; a column shorter than its batch */
  tb_init(&b, 0, 1);
  from_bad(&b, 1, 0, ZR_ERR_TYPE, "without columns", "$");
  assert_int_equal(zr_numpy_from_table(NULL, d, 1, NULL, 0, &out, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_numpy_from_table(&b.t, NULL, 1, NULL, 0, &out, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_numpy_from_table(&b.t, d, 1, NULL, 0, NULL, &e), ZR_ERR_INVALID_ARG);
  tb_one(&b, "l", "short", ms);
  b.ca[0][0].length = 1;
  from_bad(&b, 1, 0, ZR_ERR_TYPE, "shorter than its batch", "$.short");
  zr_doc_free(d);
}

static void test_from_arrow_nulls_batches(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  tb b;
  zr_value out;
  zr_error e;
  zr_warnings w;
  static const uint8_t valid[1] = {0x05}; /* rows 0 and 2 valid, row 1 null */
  float f4[3] = {1, 2, 3};
  double f8[3] = {1, 2, 3};
  uint16_t f2[3] = {0x3c00, 0x3c00, 0x3c00};
  int64_t i8[3] = {1, 2, 3};
  const tb_spec floats[] = {{"f", "f4", 1, valid, f4, NULL},
                            {"g", "f8", 1, valid, f8, NULL},
                            {"e", "f2", 1, valid, f2, NULL},
                            {"tsn:", "ts", 1, valid, i8, NULL}};
  tb_build(&b, 1, 3, floats, 4);
  memset(&w, 0, sizeof w);
  assert_int_equal(zr_numpy_from_table(&b.t, d, 1, &w, 0, &out, &e), ZR_OK);
  assert_int_equal(w.count, 3); /* one per float column */
  assert_string_equal(w.items[0].path, "$.f4[1]");
  assert_true(isnan(((const float *)zr_map_get(&out, "f4", 2)->u.tensor->data)[1]));
  assert_true(isnan(((const double *)zr_map_get(&out, "f8", 2)->u.tensor->data)[1]));
  assert_int_equal(((const uint16_t *)zr_map_get(&out, "f2", 2)->u.tensor->data)[1], 0x7E00);
  assert_int_equal(((const int64_t *)zr_map_get(&out, "ts", 2)->u.tensor->data)[1], INT64_MIN);
  from_bad(&b, 1, 1, ZR_ERR_LOSSY, "null stored as NaN", "$.f4[1]");
  from_bad(&b, 0, 1, ZR_ERR_LOSSY, "null stored as NaN", "$.f4[1]");
  /* a null in an integer column has no value */
  const tb_spec ints[] = {{"g", "ok", 0, NULL, f8, NULL}, {"l", "ints", 1, valid, i8, NULL}};
  tb_build(&b, 1, 3, ints, 2);
  from_bad(&b, 1, 0, ZR_ERR_TYPE, "a null in a int64 column", "$.ints[1]");
  from_bad(&b, 0, 0, ZR_ERR_TYPE, "a null in a int64 column", "$.ints[1]");
  /* two batches, the second with an offset, bool bits and date32 */
  static const uint8_t bits[1] = {0x0a}; /* 0 1 0 1 */
  int32_t days[4] = {0, -1, 19000, 5};
  int32_t i4[4] = {10, 20, 30, 40};
  const tb_spec two[] = {{"b", "flag", 0, NULL, bits, NULL}, {"tdD", "day", 0, NULL, days, NULL}, {"i", "n", 0, NULL, i4, NULL}};
  tb_build(&b, 2, 2, two, 3);
  for (int i = 0; i < 3; i++) { /* second batch: rows 2..3 of the buffers */
    b.ca[1][i].offset = 2;
    b.ca[1][i].length = 4;
  }
  assert_int_equal(zr_numpy_from_table(&b.t, d, 1, NULL, 1, &out, &e), ZR_OK);
  const zr_tensor *fl = zr_map_get(&out, "flag", 4)->u.tensor;
  assert_int_equal(fl->shape[0], 4);
  static const uint8_t want_fl[4] = {0, 1, 0, 1};
  assert_memory_equal(fl->data, want_fl, 4);
  const int64_t *dd = zr_map_get(&out, "day", 3)->u.tensor->data;
  assert_true(dd[0] == 0 && dd[1] == -1 && dd[2] == 19000 && dd[3] == 5);
  const int32_t *nn = zr_map_get(&out, "n", 1)->u.tensor->data;
  assert_true(nn[0] == 10 && nn[1] == 20 && nn[2] == 30 && nn[3] == 40);
  /* structured form of the same */
  assert_int_equal(zr_numpy_from_table(&b.t, d, 0, NULL, 1, &out, &e), ZR_OK);
  assert_string_equal(out.u.tensor->descr, "[('flag', '|b1'), ('day', '<M8[D]'), ('n', '<i4')]");
  assert_int_equal(out.u.tensor->itemsize, 13);
  /* a nameless column */
  const tb_spec nameless[] = {{"i", NULL, 0, NULL, i4, NULL}, {"i", NULL, 0, NULL, i4, NULL}};
  tb_build(&b, 1, 2, nameless, 2);
  assert_int_equal(zr_numpy_from_table(&b.t, d, 0, NULL, 1, &out, &e), ZR_OK);
  assert_string_equal(out.u.tensor->descr, "[('', '<i4'), ('', '<i4')]");
  assert_int_equal(zr_numpy_from_table(&b.t, d, 1, NULL, 1, &out, &e), ZR_OK);
  assert_non_null(zr_map_get(&out, "", 0));
  zr_doc_free(d);
}

/* Tables reach the npy, npz and pickle encoders through zr__numpy_untable. */
static void test_encoders_take_tables(void **state) {
  (void)state;
  tb b;
  int32_t i4[2] = {1, 2};
  double f8[2] = {0.5, 1.5};
  const tb_spec cols[] = {{"i", "a", 0, NULL, i4, NULL}, {"g", "b", 0, NULL, f8, NULL}};
  tb_build(&b, 1, 2, cols, 2);
  zr_doc *d = zr_doc_new(NULL);
  zr_value tv;
  memset(&tv, 0, sizeof tv);
  tv.kind = ZR_KIND_TABLE;
  tv.u.table = &b.t;
  static const char *fmts[] = {"npy", "npz", "pickle"};
  for (int i = 0; i < 3; i++) {
    const zr_format *f = zr_format_by_name(fmts[i]);
    zr_sink *s;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    zr_error e;
    zr_status st = f->encode(&tv, NULL, s, &e);
    if (st) fail_msg("%s: %s", fmts[i], e.message);
    const uint8_t *p;
    size_t n;
    zr_sink_memory_data(s, &p, &n);
    zr_doc *o;
    assert_int_equal(f->decode(p, n, NULL, &o, &e), ZR_OK);
    const zr_value *r = zr_doc_root(o);
    if (i == 0) {
      assert_string_equal(r->u.tensor->descr, "[('a', '<i4'), ('b', '<f8')]");
    } else {
      assert_int_equal(r->kind, ZR_KIND_MAP);
      assert_memory_equal(zr_map_get(r, "b", 1)->u.tensor->data, f8, 16);
    }
    zr_doc_free(o);
    zr_sink_free(s);
    /* a table that has no NumPy form fails the encode with the column's path */
    b.cs[1].format = "+l";
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(f->encode(&tv, NULL, s, &e), ZR_ERR_TYPE);
    assert_string_equal(e.path, "$.b");
    zr_sink_free(s);
    b.cs[1].format = "g";
    /* strict encode options: a time zone dropped is an error, a warning otherwise */
    b.cs[1].format = "tss:Europe/Paris";
    zr_encode_opts eo;
    memset(&eo, 0, sizeof eo);
    zr_warnings w;
    memset(&w, 0, sizeof w);
    eo.warnings = &w;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(f->encode(&tv, &eo, s, &e), ZR_OK);
    assert_int_equal(w.count, 1);
    assert_string_equal(w.items[0].path, "$.b");
    zr_sink_free(s);
    eo.flags = ZR_ENC_STRICT;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(f->encode(&tv, &eo, s, &e), ZR_ERR_LOSSY);
    assert_string_equal(e.path, "$.b");
    zr_sink_free(s);
    b.cs[1].format = "g";
  }
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_columns_each_dtype),  cmocka_unit_test(test_unicode_and_time),
      cmocka_unit_test(test_shapes_and_structs),  cmocka_unit_test(test_maps),
      cmocka_unit_test(test_from_arrow_formats),  cmocka_unit_test(test_from_arrow_nulls_batches),
      cmocka_unit_test(test_encoders_take_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
