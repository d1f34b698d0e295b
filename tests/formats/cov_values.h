/* Values of every kind for the format coverage tests: scalars at each encoding boundary, strings
 * and binaries short and long, bigints, timestamps in each unit, tensors of every dtype and
 * layout, nested lists, tuples and maps with keys of several kinds, ext values. */
#ifndef ZR_COV_VALUES_H
#define ZR_COV_VALUES_H
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "zr_test.h"

#define CV_MAX 160

typedef struct cv_set {
  zr_value v[CV_MAX];
  const char *name[CV_MAX];
  size_t n;
} cv_set;

static inline void cv_add(cv_set *s, const char *name, zr_value v) {
  if (s->n < CV_MAX) {
    s->name[s->n] = name;
    s->v[s->n++] = v;
  }
}

/* a tensor of @p dt with @p n elements (shape n, or rows × cols when @p cols > 0), data in the doc */
static inline zr_value cv_tensor(zr_doc *d, zr_dtype dt, uint64_t itemsize, int64_t n, int64_t cols, int fortran,
                                 zr_byte_order order) {
  zr_tensor t;
  int64_t shape[2] = {cols > 0 ? n / cols : n, cols};
  uint32_t ndim = cols > 0 ? 2 : 1;
  if (!itemsize) itemsize = zr_dtype_size(dt);
  size_t bytes = (size_t)(n * (int64_t)itemsize);
  uint8_t *data = zr_doc_alloc(d, bytes ? bytes : 1, 16);
  for (size_t i = 0; i < bytes; i++) data[i] = (uint8_t)(i * 7 + 3);
  if (dt == ZR_DT_BOOL)
    for (size_t i = 0; i < bytes; i++) data[i] &= 1;
  if (dt == ZR_DT_FLOAT64 || dt == ZR_DT_COMPLEX128)
    for (size_t i = 0; i < bytes / 8; i++) ((double *)data)[i] = (double)i * 0.25 - 3;
  if (dt == ZR_DT_FLOAT32 || dt == ZR_DT_COMPLEX64)
    for (size_t i = 0; i < bytes / 4; i++) ((float *)data)[i] = (float)i * 0.5f;
  if (dt == ZR_DT_UNICODE)
    for (size_t i = 0; i < bytes / 4; i++) ((uint32_t *)data)[i] = (i % 3) ? 0x41 + (uint32_t)(i % 26) : 0;
  zr_tensor_init(&t, dt, itemsize, ndim, shape, data, NULL);
  t.byte_order = order;
  if (dt == ZR_DT_DATETIME64 || dt == ZR_DT_TIMEDELTA64) t.time_unit = ZR_TU_MILLI;
  if (fortran && ndim == 2) {
    t.strides[0] = (int64_t)itemsize;
    t.strides[1] = (int64_t)itemsize * shape[0];
  }
  return zr_tensor_value(d, &t);
}

/* every tensor dtype, 1-d and 2-d, C and Fortran order, big endian, 0-d and empty */
static inline void cv_tensors(zr_doc *d, cv_set *s) {
  static const zr_dtype dts[] = {ZR_DT_BOOL,    ZR_DT_INT8,      ZR_DT_INT16,      ZR_DT_INT32,     ZR_DT_INT64,
                                 ZR_DT_UINT8,   ZR_DT_UINT16,    ZR_DT_UINT32,     ZR_DT_UINT64,    ZR_DT_FLOAT16,
                                 ZR_DT_FLOAT32, ZR_DT_FLOAT64,   ZR_DT_COMPLEX64,  ZR_DT_COMPLEX128, ZR_DT_DATETIME64,
                                 ZR_DT_TIMEDELTA64};
  for (size_t i = 0; i < sizeof dts / sizeof *dts; i++) cv_add(s, zr_dtype_name(dts[i]), cv_tensor(d, dts[i], 0, 6, 0, 0, ZR_ORDER_LITTLE));
  cv_add(s, "bytes", cv_tensor(d, ZR_DT_BYTES, 5, 4, 0, 0, ZR_ORDER_LITTLE));
  cv_add(s, "unicode", cv_tensor(d, ZR_DT_UNICODE, 12, 4, 0, 0, ZR_ORDER_LITTLE));
  cv_add(s, "void", cv_tensor(d, ZR_DT_VOID, 6, 4, 0, 0, ZR_ORDER_LITTLE));
  cv_add(s, "i4 2d", cv_tensor(d, ZR_DT_INT32, 0, 12, 4, 0, ZR_ORDER_LITTLE));
  cv_add(s, "f8 fortran", cv_tensor(d, ZR_DT_FLOAT64, 0, 12, 3, 1, ZR_ORDER_LITTLE));
  cv_add(s, "i8 big", cv_tensor(d, ZR_DT_INT64, 0, 5, 0, 0, ZR_ORDER_BIG));
  cv_add(s, "f4 big 2d", cv_tensor(d, ZR_DT_FLOAT32, 0, 6, 2, 0, ZR_ORDER_BIG));
  cv_add(s, "u2 empty", cv_tensor(d, ZR_DT_UINT16, 0, 0, 0, 0, ZR_ORDER_LITTLE));
  {
    zr_tensor t;
    double *x = zr_doc_alloc(d, 8, 8);
    *x = 42.5;
    zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 0, NULL, x, NULL);
    cv_add(s, "f8 0-d", zr_tensor_value(d, &t));
  }
}

static inline zr_value cv_long_str(zr_doc *d, size_t n, char c) {
  char *p = zr_doc_alloc(d, n, 1);
  for (size_t i = 0; i < n; i++) p[i] = (char)(c + (char)(i % 20));
  return zr_str_ref(p, n);
}

/* scalars and containers (no tensors, tables) */
static inline void cv_plain(zr_doc *d, cv_set *s, int with_big) {
  cv_add(s, "null", zr_null());
  cv_add(s, "true", zr_bool(1));
  cv_add(s, "false", zr_bool(0));
  static const int64_t ints[] = {0,         1,          -1,         23,          24,         -24,       -25,
                                 127,       128,        -128,       -129,        255,        256,       32767,
                                 -32768,    65535,      65536,      -65537,      2147483647, -2147483648LL,
                                 2147483648LL, 4294967295LL, 4294967296LL, -4294967297LL, 134217727, -134217728,
                                 134217728, INT64_MAX,  INT64_MIN};
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) cv_add(s, "int", zr_int(ints[i]));
  cv_add(s, "uint small", zr_uint(7));
  cv_add(s, "uint max", zr_uint(UINT64_MAX));
  cv_add(s, "uint 2^63", zr_uint(UINT64_C(9223372036854775808)));
  static const uint8_t mag[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  cv_add(s, "bigint+", zr_bigint(d, 0, mag, sizeof mag));
  cv_add(s, "bigint-", zr_bigint(d, 1, mag, sizeof mag));
  uint8_t *big = zr_doc_alloc(d, 300, 1);
  for (int i = 0; i < 300; i++) big[i] = (uint8_t)(i + 1);
  cv_add(s, "bigint 300", zr_bigint(d, 0, big, 300));
  cv_add(s, "bigint 300-", zr_bigint(d, 1, big, 300));
  static const uint8_t mag9[] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
  cv_add(s, "bigint 2^64", zr_bigint(d, 0, mag9, sizeof mag9));
  cv_add(s, "float", zr_float(1.5));
  cv_add(s, "float neg", zr_float(-1e300));
  cv_add(s, "float tiny", zr_float(5e-324));
  cv_add(s, "float 0.1", zr_float(0.1));
  cv_add(s, "float -0", zr_float(-0.0));
  cv_add(s, "float nan", zr_float(NAN));
  cv_add(s, "float inf", zr_float(INFINITY));
  cv_add(s, "float -inf", zr_float(-INFINITY));
  cv_add(s, "float int", zr_float(3.0));
  cv_add(s, "f32", zr_float32(2.5f));
  cv_add(s, "f32 frac", zr_float32(0.1f));
  cv_add(s, "str empty", zr_cstr_ref(""));
  cv_add(s, "str", zr_cstr_ref("abc"));
  cv_add(s, "str utf8", zr_cstr_ref("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  cv_add(s, "str ctl", zr_cstr_ref("a\"b\\c\n\t\r\b\f\x01/\x7f"));
  cv_add(s, "str 31", cv_long_str(d, 31, 'a'));
  cv_add(s, "str 300", cv_long_str(d, 300, 'a'));
  if (with_big) cv_add(s, "str 70000", cv_long_str(d, 70000, 'A'));
  cv_add(s, "bin empty", zr_bin_ref("", 0));
  cv_add(s, "bin", zr_bin_ref("\x00\x01\xff", 3));
  zr_value lb = cv_long_str(d, 300, 'b');
  cv_add(s, "bin 300", zr_bin_ref(lb.u.str, 300));
  if (with_big) {
    zr_value hb = cv_long_str(d, 70000, 'c');
    cv_add(s, "bin 70000", zr_bin_ref(hb.u.str, 70000));
  }
  cv_add(s, "sym", zr_sym_ref("ok", 2));
  cv_add(s, "sym utf8", zr_sym_ref("\xc3\xa9t\xc3\xa9", 6));
  cv_add(s, "sym 255", zr_sym_ref(cv_long_str(d, 255, 'a').u.str, 255));
  cv_add(s, "sym 300", zr_sym_ref(cv_long_str(d, 300, 'a').u.str, 300));
  cv_add(s, "sym true", zr_sym_ref("true", 4));
  cv_add(s, "sym nil", zr_sym_ref("nil", 3));
  static const zr_time_unit units[] = {ZR_TU_SECOND, ZR_TU_MILLI, ZR_TU_MICRO, ZR_TU_NANO, ZR_TU_DAY};
  for (size_t i = 0; i < sizeof units / sizeof *units; i++) cv_add(s, "ts", zr_timestamp(d, 1700000000123LL, units[i], NULL));
  cv_add(s, "ts utc", zr_timestamp(d, 1700000000, ZR_TU_SECOND, "UTC"));
  cv_add(s, "ts zone", zr_timestamp(d, -1700000000123456LL, ZR_TU_MICRO, "Europe/Paris"));
  cv_add(s, "ext", zr_ext(d, 7, 1, "\x01\x02\x03", 3));
  cv_add(s, "ext big", zr_ext(d, 70000, 300, cv_long_str(d, 300, 'e').u.str, 300));
  /* containers */
  cv_add(s, "list empty", zr_list_new(d, 0));
  cv_add(s, "tuple empty", zr_tuple_new(d, 0));
  cv_add(s, "map empty", zr_map_new(d, 0));
  zr_value l = zr_list_new(d, 0);
  for (int i = 0; i < 20; i++) zr_list_push(d, &l, zr_int(i * 1000));
  cv_add(s, "list ints", l);
  zr_value lm = zr_list_new(d, 0);
  zr_list_push(d, &lm, zr_int(1));
  zr_list_push(d, &lm, zr_cstr_ref("two"));
  zr_list_push(d, &lm, zr_float(3.5));
  zr_list_push(d, &lm, zr_null());
  zr_list_push(d, &lm, zr_bool(1));
  cv_add(s, "list mixed", lm);
  zr_value lf = zr_list_new(d, 0);
  for (int i = 0; i < 10; i++) zr_list_push(d, &lf, zr_float(i * 0.5));
  cv_add(s, "list floats", lf);
  zr_value lb8 = zr_list_new(d, 0);
  for (int i = 0; i < 10; i++) zr_list_push(d, &lb8, zr_int(i));
  cv_add(s, "list bytes", lb8);
  zr_value ls = zr_list_new(d, 0);
  for (int i = 0; i < 10; i++) zr_list_push(d, &ls, zr_cstr_ref(i & 1 ? "x" : "yy"));
  cv_add(s, "list strs", ls);
  zr_value big_l = zr_list_new(d, 0);
  for (int i = 0; i < 300; i++) zr_list_push(d, &big_l, zr_int(i));
  cv_add(s, "list 300", big_l);
  zr_value t = zr_tuple_new(d, 0);
  zr_list_push(d, &t, zr_sym_ref("ok", 2));
  zr_list_push(d, &t, zr_int(5));
  cv_add(s, "tuple", t);
  zr_value bt = zr_tuple_new(d, 0);
  for (int i = 0; i < 300; i++) zr_list_push(d, &bt, zr_int(i));
  cv_add(s, "tuple 300", bt);
  zr_value m = zr_map_new(d, 0);
  zr_map_put_cstr(d, &m, "b", zr_int(2));
  zr_map_put_cstr(d, &m, "a", zr_int(1));
  zr_map_put_cstr(d, &m, "c", zr_cstr_ref("x"));
  zr_map_put_cstr(d, &m, "aa", zr_list_new(d, 0));
  cv_add(s, "map str", m);
  zr_value mi = zr_map_new(d, 0);
  zr_map_put(d, &mi, zr_int(3), zr_cstr_ref("three"));
  zr_map_put(d, &mi, zr_int(-1), zr_cstr_ref("minus"));
  zr_map_put(d, &mi, zr_float(2.5), zr_null());
  zr_map_put(d, &mi, zr_bool(1), zr_null());
  cv_add(s, "map int keys", mi);
  zr_value mk = zr_map_new(d, 0);
  zr_map_put(d, &mk, t, zr_int(1));
  zr_map_put(d, &mk, zr_sym_ref("atom", 4), zr_int(2));
  zr_map_put(d, &mk, zr_bin_ref("k", 1), zr_int(3));
  zr_map_put(d, &mk, l, zr_int(4));
  zr_map_put(d, &mk, zr_null(), zr_int(5));
  cv_add(s, "map odd keys", mk);
  zr_value mbig = zr_map_new(d, 0);
  for (int i = 0; i < 40; i++) {
    char *k = zr_doc_alloc(d, 8, 1);
    int n = snprintf(k, 8, "k%02d", (i * 17) % 40);
    zr_map_put(d, &mbig, zr_str_ref(k, (size_t)n), zr_int(i));
  }
  cv_add(s, "map 40", mbig);
  zr_value deep = zr_int(1);
  for (int i = 0; i < 20; i++) {
    zr_value x = (i % 3 == 0) ? zr_list_new(d, 1) : (i % 3 == 1) ? zr_tuple_new(d, 1) : zr_map_new(d, 1);
    if (i % 3 == 2) zr_map_put_cstr(d, &x, "k", deep);
    else zr_list_push(d, &x, deep);
    deep = x;
  }
  cv_add(s, "deep", deep);
  /* rows: a list of same-keyed maps (tabular shape) */
  zr_value rows = zr_list_new(d, 0);
  for (int i = 0; i < 8; i++) {
    zr_value r = zr_map_new(d, 0);
    zr_map_put_cstr(d, &r, "id", zr_int(i));
    zr_map_put_cstr(d, &r, "name", zr_cstr_ref(i & 1 ? "odd" : "even"));
    zr_map_put_cstr(d, &r, "score", zr_float(i * 0.5));
    zr_map_put_cstr(d, &r, "ok", zr_bool(i & 1));
    zr_list_push(d, &rows, r);
  }
  cv_add(s, "rows", rows);
}

/* every value kind: plain values (with the big ones when @p with_big) and tensors */
static inline void cv_all(zr_doc *d, cv_set *s, int with_big) {
  memset(s, 0, sizeof *s);
  cv_plain(d, s, with_big);
  cv_tensors(d, s);
}

/* the map key of value @p i of @p all: "<name>_<i>", in the doc */
static inline zr_value cv_key(zr_doc *d, const cv_set *all, size_t i) {
  char *k = zr_doc_alloc(d, 48, 1);
  int n = snprintf(k, 48, "%s_%zu", all->name[i], i);
  return zr_str_ref(k, (size_t)n);
}

/* values of @p all that @p f encodes alone (with @p eo), as one list, and the same keyed as a map */
static inline zr_value cv_supported(zr_doc *d, const zr_format *f, const cv_set *all, const zr_encode_opts *eo,
                                    zr_value *as_map) {
  zr_value l = zr_list_new(d, 0);
  zr_value m = zr_map_new(d, 0);
  for (size_t i = 0; i < all->n; i++) {
    zr_sink *s = NULL;
    zr_sink_memory_new(NULL, &s, NULL);
    zr_status st = f->encode(&all->v[i], eo, s, NULL);
    zr_sink_free(s);
    if (st != ZR_OK) continue;
    zr_list_push(d, &l, all->v[i]);
    zr_map_put(d, &m, cv_key(d, all, i), all->v[i]);
  }
  if (as_map) *as_map = m;
  return l;
}

#endif
