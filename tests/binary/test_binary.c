/* Binary format: exact bytes of small values, every kind and edge value, golden files, the
 * malformed corpus, truncation at every byte, alignment, limits, repeated keys, encoder errors
 * with paths, every kind of sink, detect, inspect and the format table. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"
#include "zerial/binary.h"
#include "zerial/format.h"

/* ---- helpers ---- */

typedef struct enc_out {
  uint8_t *data;
  size_t len;
} enc_out;

static enc_out encode_ok(const zr_value *v) {
  zr_sink *s = NULL;
  zr_error err;
  zr_error_clear(&err);
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_status st = zr_binary_encode(v, NULL, s, &err);
  if (st != ZR_OK) fail_msg("encode: %s at %s", err.message, err.path);
  enc_out o;
  assert_int_equal(zr_sink_memory_take(s, &o.data, &o.len, NULL), ZR_OK);
  zr_sink_free(s);
  return o;
}

/* zr_binary_decode with default options, copying or zero-copy */
static zr_status decode_mode(const uint8_t *data, size_t len, int copy, zr_doc **out, zr_error *err) {
  zr_decode_opts opts;
  zr_decode_opts_init(&opts);
  opts.copy = copy;
  return zr_binary_decode(data, len, &opts, out, err);
}

static void roundtrip(const zr_value *v) {
  enc_out o = encode_ok(v);
  uint64_t size = 0;
  assert_int_equal(zr_binary_encoded_size(v, NULL, &size, NULL), ZR_OK);
  assert_int_equal(size, o.len);
  for (int mode = 0; mode < 2; mode++) {
    zr_doc *d = NULL;
    zr_error err;
    zr_status st = decode_mode(o.data, o.len, mode, &d, &err);
    if (st != ZR_OK) fail_msg("decode: %s at %lld", err.message, (long long)err.offset);
    assert_true(zr_value_equal(v, zr_doc_root(d)));
    zr_doc_free(d);
  }
  zr_free(o.data);
}

static void expect_bytes(const zr_value *v, const char *hex_body) {
  enc_out o = encode_ok(v);
  char hex[512] = {0};
  for (size_t i = 4; i < o.len && (i - 4) * 2 + 2 < sizeof hex; i++) snprintf(hex + (i - 4) * 2, 3, "%02x", o.data[i]);
  assert_memory_equal(o.data, "ZRB\x01", 4);
  assert_string_equal(hex, hex_body);
  zr_free(o.data);
  roundtrip(v);
}

static zr_value f64_bits(uint64_t b) {
  double d;
  memcpy(&d, &b, 8);
  return zr_float(d);
}

/* ---- exact bytes of small values (the examples of docs/formats/binary.md) ---- */

static void test_exact_bytes(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v;
  expect_bytes(&(zr_value){0}, "c0");
  v = zr_bool(1), expect_bytes(&v, "c2");
  v = zr_bool(0), expect_bytes(&v, "c1");
  v = zr_int(5), expect_bytes(&v, "05");
  v = zr_int(127), expect_bytes(&v, "7f");
  v = zr_int(128), expect_bytes(&v, "c480");
  v = zr_int(300), expect_bytes(&v, "c52c01");
  v = zr_int(70000), expect_bytes(&v, "d97011" "01");
  v = zr_int(16777216), expect_bytes(&v, "c600000001");
  v = zr_int(-1), expect_bytes(&v, "ff");
  v = zr_int(-32), expect_bytes(&v, "e0");
  v = zr_int(-33), expect_bytes(&v, "c7df");
  v = zr_int(-200), expect_bytes(&v, "c838ff");
  v = zr_int(-40000), expect_bytes(&v, "c9c063ffff");
  v = zr_int(INT64_MIN), expect_bytes(&v, "ca0000000000000080");
  v = zr_uint(300), expect_bytes(&v, "c3ac02");
  v = zr_uint(UINT64_MAX), expect_bytes(&v, "c3ffffffffffffffffff01");
  v = zr_float(1.0), expect_bytes(&v, "cc000000000000f03f");
  v = zr_float32(1.0f), expect_bytes(&v, "cb0000803f");
  v = zr_float(0.1), v.flags = ZR_VF_F32, expect_bytes(&v, "cd9a9999999999b93f");
  v = zr_cstr_ref("hi"), expect_bytes(&v, "826869");
  v = zr_sym_ref("ok", 2), expect_bytes(&v, "d1026f6b");
  v = zr_bin_ref("\x00\x01", 2), expect_bytes(&v, "d0020001");
  v = zr_bigint(d, 1, (const uint8_t *)"\x01\x02", 2), expect_bytes(&v, "ce01020102");
  v = zr_list_new(d, 2);
  zr_list_push(d, &v, zr_int(1));
  zr_list_push(d, &v, zr_null());
  expect_bytes(&v, "a201c0");
  v = zr_tuple_new(d, 1);
  zr_list_push(d, &v, zr_int(1));
  expect_bytes(&v, "d30101");
  v = zr_map_new(d, 1);
  zr_map_put_cstr(d, &v, "a", zr_int(1));
  expect_bytes(&v, "b1816101");
  v = zr_timestamp(d, 1, ZR_TU_NANO, "UTC"), expect_bytes(&v, "d60304555443" "0100000000000000");
  v = zr_timestamp(d, -1, ZR_TU_SECOND, NULL), expect_bytes(&v, "d60000" "ffffffffffffffff");
  v = zr_ext(d, 300, 2, "x", 1), expect_bytes(&v, "d8ac02020178");
  /* typed list of 8 small ints: tag, code, count, pad byte, pad to 1 (none), 8 bytes */
  v = zr_list_new(d, 8);
  for (int i = 0; i < 8; i++) zr_list_push(d, &v, zr_int(i - 4));
  expect_bytes(&v, "d5010800" "fcfdfeff00010203");
  /* typed list of 8 float64: header at 4..7, pad byte says 0, data at 8 (8-aligned) */
  v = zr_list_new(d, 8);
  for (int i = 0; i < 8; i++) zr_list_push(d, &v, zr_float(0.0));
  expect_bytes(&v, "d5060800" "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000");
  /* 7 items stay generic */
  v = zr_list_new(d, 7);
  for (int i = 0; i < 7; i++) zr_list_push(d, &v, zr_int(1));
  expect_bytes(&v, "a701010101010101");
  /* a 1-D float64 tensor of 1 element: header then pad to 64 */
  double one = 1.0;
  int64_t shape1 = 1;
  zr_tensor t;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 1, &shape1, &one, NULL), ZR_OK);
  v = zr_tensor_value(d, &t);
  enc_out o = encode_ok(&v);
  /* tag at 4, dtype 12, order 0, unit 0, ndim 1, itemsize 8, shape 1, descr none, len 8, pad byte */
  assert_memory_equal(o.data + 4, "\xd7\x0c\x00\x00\x01\x08\x01\x00\x08", 9);
  assert_int_equal(o.data[13], 64 - 14);
  assert_int_equal(o.len, 64 + 8);
  assert_memory_equal(o.data + 64, &one, 8);
  zr_free(o.data);
  zr_doc_free(d);
}

/* ---- every kind and edge value ---- */

static zr_value build_scalars(zr_doc *d) {
  static const int64_t ints[] = {0, 127, 128, 255, 256, 65535, 65536, 16777215, 16777216, (int64_t)UINT32_MAX, (int64_t)UINT32_MAX + 1,
                                 -1, -32, -33, -128, -129, -32768, -32769, INT32_MIN, (int64_t)INT32_MIN - 1,
                                 INT64_MIN, INT64_MAX};
  zr_value l = zr_list_new(d, 0);
  zr_list_push(d, &l, zr_null());
  zr_list_push(d, &l, zr_bool(1));
  zr_list_push(d, &l, zr_bool(0));
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) zr_list_push(d, &l, zr_int(ints[i]));
  zr_list_push(d, &l, zr_uint(0));
  zr_list_push(d, &l, zr_uint(127));
  zr_list_push(d, &l, zr_uint(UINT64_MAX));
  zr_list_push(d, &l, zr_float(1.5));
  zr_list_push(d, &l, f64_bits(0x8000000000000000ull));       /* -0.0 */
  zr_list_push(d, &l, f64_bits(0x7FF8000000000123ull));       /* NaN with payload */
  zr_list_push(d, &l, f64_bits(0xFFF0000000000001ull));       /* signalling NaN */
  zr_list_push(d, &l, f64_bits(0x7FF0000000000000ull));       /* inf */
  zr_list_push(d, &l, f64_bits(0x0000000000000001ull));       /* smallest subnormal */
  zr_list_push(d, &l, zr_float32(0.25f));
  zr_list_push(d, &l, zr_float32(-0.0f));
  zr_list_push(d, &l, zr_float32(NAN));
  zr_value hint = zr_float(0.1);
  hint.flags = ZR_VF_F32; /* not exact in float32: 8 bytes with the hint */
  zr_list_push(d, &l, hint);
  hint = zr_float(1e300);
  hint.flags = ZR_VF_F32; /* out of float32 range */
  zr_list_push(d, &l, hint);
  static const uint8_t big[] = {1, 0, 0, 0, 0, 0, 0, 0, 1};
  zr_list_push(d, &l, zr_bigint(d, 1, big, sizeof big));
  zr_list_push(d, &l, zr_bigint(d, 0, big, sizeof big));
  zr_list_push(d, &l, zr_bigint(d, 0, NULL, 0));
  return l;
}

static zr_value build_strings(zr_doc *d) {
  char s200[200];
  for (int i = 0; i < 200; i++) s200[i] = (char)('a' + i % 26);
  uint8_t all[256];
  for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
  zr_value t = zr_tuple_new(d, 0);
  zr_list_push(d, &t, zr_str_copy(d, "", 0));
  zr_list_push(d, &t, zr_str_copy(d, "hi", 2));
  zr_list_push(d, &t, zr_str_copy(d, s200, 31));
  zr_list_push(d, &t, zr_str_copy(d, s200, 32));
  zr_list_push(d, &t, zr_str_copy(d, s200, 200));
  zr_list_push(d, &t, zr_str_copy(d, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9));
  zr_list_push(d, &t, zr_str_copy(d, "a\0b", 3));
  zr_list_push(d, &t, zr_bin_copy(d, all, 256));
  zr_list_push(d, &t, zr_bin_copy(d, "", 0));
  zr_list_push(d, &t, zr_sym_copy(d, "ok", 2));
  zr_list_push(d, &t, zr_sym_copy(d, "", 0));
  return t;
}

static zr_value build_containers(zr_doc *d) {
  zr_value m = zr_map_new(d, 0);
  zr_map_put_cstr(d, &m, "a", zr_list_new(d, 0));
  zr_map_put_cstr(d, &m, "b", zr_map_new(d, 0));
  zr_map_put(d, &m, zr_int(1), zr_cstr_ref("int key"));
  zr_value lk = zr_list_new(d, 2);
  zr_list_push(d, &lk, zr_int(1));
  zr_list_push(d, &lk, zr_int(2));
  zr_map_put(d, &m, lk, zr_cstr_ref("list key"));
  zr_map_put(d, &m, zr_null(), zr_null());
  zr_map_put(d, &m, zr_float(-0.0), zr_tuple_new(d, 0));
  zr_value inner = zr_tuple_new(d, 2);
  zr_list_push(d, &inner, zr_int(1));
  zr_list_push(d, &inner, zr_int(2));
  zr_value outer = zr_tuple_new(d, 1);
  zr_list_push(d, &outer, inner);
  zr_value nested = zr_map_new(d, 1);
  zr_map_put_cstr(d, &nested, "x", outer);
  zr_map_put_cstr(d, &m, "nested", nested);
  zr_map_put_cstr(d, &m, "a", zr_int(2)); /* repeated key: kept in order by default */
  zr_value big = zr_list_new(d, 0);        /* > 15 items and mixed: generic list with a count */
  for (int i = 0; i < 20; i++) zr_list_push(d, &big, i % 2 ? zr_int(i) : zr_null());
  zr_map_put_cstr(d, &m, "big", big);
  zr_value bigmap = zr_map_new(d, 0);
  for (int i = 0; i < 17; i++) zr_map_put(d, &bigmap, zr_int(i), zr_bool(i & 1));
  zr_map_put_cstr(d, &m, "bigmap", bigmap);
  return m;
}

static zr_value build_typed(zr_doc *d) {
  zr_value m = zr_map_new(d, 0);
  static const int64_t spans[4][2] = {{-128, 127}, {-32768, 32767}, {INT32_MIN, INT32_MAX}, {INT64_MIN, INT64_MAX}};
  static const char *const names[] = {"i8", "i16", "i32", "i64"};
  for (int k = 0; k < 4; k++) {
    zr_value l = zr_list_new(d, 0);
    for (int i = 0; i < 9; i++) zr_list_push(d, &l, zr_int(i % 2 ? spans[k][0] : spans[k][1] - i));
    zr_map_put_cstr(d, &m, names[k], l);
  }
  zr_value u = zr_list_new(d, 0), f = zr_list_new(d, 0), g = zr_list_new(d, 0);
  for (int i = 0; i < 10; i++) {
    zr_list_push(d, &u, zr_uint(UINT64_MAX - (uint64_t)i));
    zr_list_push(d, &f, zr_float32((float)i / 4.0f));
    zr_list_push(d, &g, i == 3 ? f64_bits(0x7FF8000000000abcull) : zr_float(i * 1.5));
  }
  zr_map_put_cstr(d, &m, "u64", u);
  zr_map_put_cstr(d, &m, "f32", f);
  zr_map_put_cstr(d, &m, "f64", g);
  return m;
}

static const double tdata[6] = {1, 2, 3, 4, 5, 6};
static const int16_t tbe[3] = {0x0100, 0x0200, 0x0300};
static const int64_t tdt[2] = {1700000000000000000ll, -1};
static const uint8_t tuni[16] = {'a', 0, 0, 0, 'b', 0, 0, 0, 'c', 0, 0, 0, 0, 0, 0, 0};
static const uint8_t tvoid[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
static const int32_t t0d = -7;

static zr_value build_tensors(zr_doc *d) {
  zr_value l = zr_list_new(d, 0);
  zr_tensor t;
  int64_t s23[2] = {2, 3}, s3 = 3, s2 = 2, s04[2] = {0, 4}, s5 = 5;
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, s23, (void *)tdata, NULL);
  zr_list_push(d, &l, zr_tensor_value(d, &t));
  zr_tensor_init(&t, ZR_DT_INT32, 4, 0, NULL, (void *)&t0d, NULL);
  zr_list_push(d, &l, zr_tensor_value(d, &t));
  zr_tensor_init(&t, ZR_DT_UINT8, 1, 2, s04, NULL, NULL);
  zr_list_push(d, &l, zr_tensor_value(d, &t));
  zr_tensor_init(&t, ZR_DT_INT16, 2, 1, &s3, (void *)tbe, NULL);
  t.byte_order = ZR_ORDER_BIG;
  t.descr = ">i2";
  zr_list_push(d, &l, zr_tensor_value(d, &t));
  zr_tensor_init(&t, ZR_DT_DATETIME64, 8, 1, &s2, (void *)tdt, NULL);
  t.time_unit = ZR_TU_NANO;
  t.descr = "<M8[ns]";
  zr_list_push(d, &l, zr_tensor_value(d, &t));
  zr_tensor_init(&t, ZR_DT_UNICODE, 8, 1, &s2, (void *)tuni, NULL);
  zr_list_push(d, &l, zr_tensor_value(d, &t));
  zr_tensor_init(&t, ZR_DT_VOID, 2, 1, &s5, (void *)tvoid, NULL);
  t.descr = "[('a', 'u1'), ('b', 'u1')]";
  zr_list_push(d, &l, zr_tensor_value(d, &t));
  /* a transposed (Fortran-order) view: written in C order */
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, s23, (void *)tdata, NULL);
  t.shape[0] = 3;
  t.shape[1] = 2;
  t.strides[0] = 8;
  t.strides[1] = 24;
  zr_list_push(d, &l, zr_tensor_value(d, &t));
  return l;
}

static zr_value build_time_ext(zr_doc *d) {
  zr_value l = zr_list_new(d, 0);
  zr_list_push(d, &l, zr_timestamp(d, 1700000000123456789ll, ZR_TU_NANO, "UTC"));
  zr_list_push(d, &l, zr_timestamp(d, INT64_MIN, ZR_TU_SECOND, NULL));
  zr_list_push(d, &l, zr_timestamp(d, 19000, ZR_TU_DAY, ""));
  zr_list_push(d, &l, zr_timestamp(d, 5, ZR_TU_GENERIC, "Europe/Paris"));
  zr_list_push(d, &l, zr_ext(d, 7, 2, "abc", 3));
  zr_list_push(d, &l, zr_ext(d, UINT32_MAX, UINT16_MAX, NULL, 0));
  return l;
}

static zr_value build_records(zr_doc *d, int n) {
  zr_value rows = zr_list_new(d, (size_t)n);
  for (int i = 0; i < n; i++) {
    zr_value r = zr_map_new(d, 5);
    char name[16];
    snprintf(name, sizeof name, "user-%07d", i * 7919);
    zr_map_put_cstr(d, &r, "id", zr_int(i * 1000));
    zr_map_put_cstr(d, &r, "name", zr_str_copy(d, name, strlen(name)));
    zr_map_put_cstr(d, &r, "score", zr_float(i * 0.25 - 1));
    zr_value tags = zr_list_new(d, 3);
    zr_list_push(d, &tags, zr_cstr_ref("red"));
    zr_list_push(d, &tags, zr_cstr_ref("green"));
    zr_list_push(d, &tags, zr_cstr_ref("blue"));
    zr_map_put_cstr(d, &r, "tags", tags);
    zr_map_put_cstr(d, &r, "active", zr_bool(i & 1));
    zr_list_push(d, &rows, r);
  }
  return rows;
}

static void test_every_kind(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value vs[] = {build_scalars(d), build_strings(d), build_containers(d), build_typed(d),
                   build_tensors(d), build_time_ext(d), build_records(d, 10)};
  assert_int_equal(zr_doc_status(d), ZR_OK);
  for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) roundtrip(&vs[i]);
  /* each scalar alone too */
  const zr_value *l = &vs[0];
  for (uint64_t i = 0; i < l->n.len; i++) roundtrip(&l->u.items[i]);
  zr_doc_free(d);
}

static void test_decoded_kinds(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = build_typed(d);
  enc_out o = encode_ok(&v);
  zr_doc *out = NULL;
  assert_int_equal(zr_binary_decode(o.data, o.len, NULL, &out, NULL), ZR_OK);
  const zr_value *f32 = zr_map_get(zr_doc_root(out), "f32", 3);
  assert_non_null(f32);
  assert_int_equal(f32->kind, ZR_KIND_LIST); /* typed lists come back as lists of values */
  assert_int_equal(f32->u.items[4].kind, ZR_KIND_FLOAT);
  assert_true(f32->u.items[4].flags & ZR_VF_F32);
  assert_true(f32->u.items[4].u.f == 1.0);
  const zr_value *u = zr_map_get(zr_doc_root(out), "u64", 3);
  assert_int_equal(u->u.items[0].kind, ZR_KIND_UINT);
  assert_true(u->u.items[0].u.u == UINT64_MAX);
  zr_doc_free(out);
  zr_free(o.data);

  /* zero-copy: strings point into the input; copy mode: they do not, and are NUL-terminated */
  v = build_strings(d);
  o = encode_ok(&v);
  for (int mode = 0; mode < 2; mode++) {
    assert_int_equal(decode_mode(o.data, o.len, mode, &out, NULL), ZR_OK);
    const zr_value *s = &zr_doc_root(out)->u.items[1];
    int inside = (const uint8_t *)s->u.str >= o.data && (const uint8_t *)s->u.str < o.data + o.len;
    assert_int_equal(inside, !mode);
    if (mode) assert_int_equal(s->u.str[2], '\0');
    zr_doc_free(out);
  }
  zr_free(o.data);
  zr_doc_free(d);
}

/* ---- golden files ---- */

typedef struct golden {
  const char *name;
  zr_value (*build)(zr_doc *);
} golden;

static zr_value build_records3(zr_doc *d) { return build_records(d, 3); }

static const golden goldens[] = {
    {"scalars", build_scalars},   {"strings", build_strings}, {"containers", build_containers},
    {"typed", build_typed},       {"tensors", build_tensors}, {"time_ext", build_time_ext},
    {"records", build_records3},
};

static void test_golden_v1(void **state) {
  (void)state;
  int write = getenv("ZR_WRITE_GOLDEN") != NULL;
  for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++) {
    char rel[256];
    snprintf(rel, sizeof rel, "tests/binary/golden/v1/%s.zrb", goldens[i].name);
    zr_doc *d = zr_doc_new(NULL);
    zr_value expect = goldens[i].build(d);
    if (write) {
      enc_out o = encode_ok(&expect);
      FILE *f = fopen(zr_test_src_path(rel), "wb");
      assert_non_null(f);
      fwrite(o.data, 1, o.len, f);
      fclose(f);
      zr_free(o.data);
    }
    size_t len = 0;
    uint8_t *file = zr_test_read_file(zr_test_src_path(rel), &len);
    if (!file) fail_msg("missing golden file %s", rel);
    /* align the bytes like a reader with an mmap would: tensors must be views */
    uint8_t *buf = aligned_alloc(64, (len + 63) / 64 * 64);
    memcpy(buf, file, len);
    for (int mode = 0; mode < 2; mode++) {
      zr_doc *out = NULL;
      zr_error err;
      if (decode_mode(buf, len, mode, &out, &err) != ZR_OK) fail_msg("%s: %s", rel, err.message);
      if (!zr_value_equal(&expect, zr_doc_root(out))) fail_msg("%s decodes to a different value", rel);
      zr_doc_free(out);
    }
#if ZR_BINARY_VERSION == 1
    /* the version-1 writer still produces exactly these bytes (later writers need only read them) */
    enc_out o = encode_ok(&expect);
    assert_int_equal(o.len, len);
    assert_memory_equal(o.data, file, len);
    zr_free(o.data);
#endif
    free(buf);
    free(file);
    zr_doc_free(d);
  }
}

/* ---- malformed corpus ---- */

static const struct {
  const char *name;
  zr_status code;
  int64_t offset;
} malformed[] = {
    {"empty", ZR_ERR_TRUNCATED, 0},
    {"short_header", ZR_ERR_TRUNCATED, 2},
    {"bad_magic", ZR_ERR_FORMAT, 0},
    {"version_0", ZR_ERR_VERSION, 3},
    {"version_future", ZR_ERR_VERSION, 3},
    {"no_root", ZR_ERR_TRUNCATED, 4},
    {"reserved_tag", ZR_ERR_MALFORMED, 4},
    {"trailing", ZR_ERR_MALFORMED, 5},
    {"str_truncated", ZR_ERR_TRUNCATED, 5},
    {"str_len_truncated", ZR_ERR_TRUNCATED, 5},
    {"varint_overlong", ZR_ERR_MALFORMED, 5},
    {"varint_overflow", ZR_ERR_MALFORMED, 5},
    {"bad_utf8", ZR_ERR_UTF8, 6},
    {"utf8_surrogate", ZR_ERR_UTF8, 5},
    {"list_count_huge", ZR_ERR_TRUNCATED, 10},
    {"map_truncated", ZR_ERR_TRUNCATED, 5},
    {"int_truncated", ZR_ERR_TRUNCATED, 5},
    {"int24_truncated", ZR_ERR_TRUNCATED, 5},
    {"bigint_bad_sign", ZR_ERR_MALFORMED, 5},
    {"typed_bad_code", ZR_ERR_MALFORMED, 5},
    {"typed_nonzero_pad", ZR_ERR_MALFORMED, 8},
    {"typed_truncated", ZR_ERR_TRUNCATED, 8},
    {"tensor_bad_dtype", ZR_ERR_MALFORMED, 5},
    {"tensor_itemsize_mismatch", ZR_ERR_MALFORMED, 9},
    {"tensor_len_mismatch", ZR_ERR_MALFORMED, 12},
    {"tensor_ndim", ZR_ERR_MALFORMED, 8},
    {"tensor_data_truncated", ZR_ERR_TRUNCATED, 14},
    {"timestamp_bad_unit", ZR_ERR_MALFORMED, 5},
    {"timestamp_tz_nul", ZR_ERR_MALFORMED, 7},
    {"ext_id_overflow", ZR_ERR_MALFORMED, 5},
    {"depth_bomb", ZR_ERR_LIMIT, 516},
};

/* A compressed typed list (tag DA) or tensor (DB) whose header declares a huge element count
 * before a bogus block container: the container is checked before anything is allocated for it
 * (fuzz/regressions/binary_decode/ctyped-alloc-before-container-check-3gb.zrb asked for 3.3 GB). */
static size_t big_requests;
static void *small_malloc(void *ud, size_t n) {
  (void)ud;
  if (n > (1u << 20)) {
    big_requests++;
    return NULL;
  }
  return malloc(n);
}
static void *small_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  if (n > (1u << 20)) {
    big_requests++;
    return NULL;
  }
  return realloc(p, n);
}
static void small_free(void *ud, void *p) {
  (void)ud;
  free(p);
}

static void test_compressed_count_before_container(void **state) {
  (void)state;
  /* "ZRB" v2, DA, element code 4 (int64), count 0xFFD7 | 0xCB.. (varint), container length ... */
  const uint8_t fuzz_input[] = {0x5a, 0x52, 0x42, 0x02, 0xda, 0x04, 0xd7, 0xff, 0xcb, 0xc1, 0x00, 0x00, 0x00, 0x00};
  /* the same with a container length that fits the input but bytes that are no container */
  const uint8_t bogus[] = {0x5a, 0x52, 0x42, 0x02, 0xda, 0x04, 0xff, 0xff, 0xff, 0x3f, 0x04, 'J', 'U', 'N', 'K'};
  const zr_allocator small = {small_malloc, small_realloc, small_free, NULL};
  const struct {
    const uint8_t *p;
    size_t n;
  } cases[] = {{fuzz_input, sizeof fuzz_input}, {bogus, sizeof bogus}};
  for (size_t i = 0; i < 2; i++) {
    for (int copy = 0; copy < 2; copy++) {
      zr_decode_opts o;
      zr_decode_opts_init(&o);
      o.alloc = &small;
      o.copy = copy;
      zr_doc *doc = NULL;
      zr_error err;
      zr_error_clear(&err);
      big_requests = 0;
      zr_status st = zr_binary_decode(cases[i].p, cases[i].n, &o, &doc, &err);
      assert_true(st == ZR_ERR_TRUNCATED || st == ZR_ERR_MALFORMED || st == ZR_ERR_FORMAT);
      assert_null(doc);
      assert_int_equal(big_requests, 0);
      assert_true(err.offset >= 6 && err.offset < (int64_t)cases[i].n);
      assert_non_null(strstr(err.message, "a compressed typed list"));
    }
  }
}

static void test_malformed_corpus(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
    char rel[256];
    snprintf(rel, sizeof rel, "tests/binary/malformed/%s.zrb", malformed[i].name);
    size_t len = 0;
    uint8_t *data = zr_test_read_file(zr_test_src_path(rel), &len);
    if (!data) fail_msg("missing %s", rel);
    for (int mode = 0; mode < 2; mode++) {
      zr_doc *out = (zr_doc *)1;
      zr_error err;
      zr_error_clear(&err);
      zr_status st = decode_mode(data, len, mode, &out, &err);
      if (st != malformed[i].code || err.offset != malformed[i].offset)
        fail_msg("%s: got %s at %lld (%s), expected %s at %lld", malformed[i].name, zr_status_name(st),
                 (long long)err.offset, err.message, zr_status_name(malformed[i].code), (long long)malformed[i].offset);
      assert_null(out);
      assert_int_equal(err.code, st);
    }
    /* inspect refuses it too (it does not check UTF-8 or some field values, so only: not OK or same) */
    zr_sink *s = NULL;
    zr_sink_memory_new(NULL, &s, NULL);
    zr_status ist = zr_binary_inspect(data, len, s, NULL);
    if (malformed[i].code != ZR_ERR_UTF8 && strncmp(malformed[i].name, "tensor_", 7) && strcmp(malformed[i].name, "timestamp_tz_nul") &&
        strcmp(malformed[i].name, "ext_id_overflow") && strcmp(malformed[i].name, "typed_nonzero_pad"))
      assert_int_not_equal(ist, ZR_OK);
    zr_sink_free(s);
    free(data);
  }
}

/* ---- truncation at every byte ---- */

static void test_truncation(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value vs[] = {build_scalars(d), build_containers(d), build_typed(d), build_tensors(d), build_time_ext(d)};
  for (size_t k = 0; k < sizeof vs / sizeof vs[0]; k++) {
    enc_out o = encode_ok(&vs[k]);
    for (size_t n = 0; n < o.len; n++) {
      uint8_t *cut = malloc(n ? n : 1); /* exact size: ASan catches any read past it */
      memcpy(cut, o.data, n);
      for (int mode = 0; mode < 2; mode++) {
        zr_doc *out = NULL;
        zr_error err;
        zr_status st = decode_mode(cut, n, mode, &out, &err);
        assert_int_not_equal(st, ZR_OK);
        assert_null(out);
        assert_true(err.offset >= 0 && (size_t)err.offset <= n);
      }
      zr_sink *s = NULL;
      zr_sink_memory_new(NULL, &s, NULL);
      assert_int_not_equal(zr_binary_inspect(cut, n, s, NULL), ZR_OK);
      zr_sink_free(s);
      free(cut);
    }
    zr_free(o.data);
  }
  zr_doc_free(d);
}

/* ---- alignment ---- */

static void test_alignment(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = zr_list_new(d, 0);
  zr_list_push(d, &l, zr_cstr_ref("odd"));
  zr_list_push(d, &l, build_tensors(d));
  zr_list_push(d, &l, zr_cstr_ref("x"));
  zr_list_push(d, &l, build_tensors(d));
  enc_out o = encode_ok(&l);
  uint8_t *buf = aligned_alloc(128, (o.len + 128 + 127) / 128 * 128);
  for (int shift = 0; shift < 2; shift++) {
    uint8_t *at = buf + shift;
    memcpy(at, o.data, o.len);
    zr_doc *out = NULL;
    assert_int_equal(zr_binary_decode(at, o.len, NULL, &out, NULL), ZR_OK);
    const zr_value *root = zr_doc_root(out);
    int tensors = 0;
    for (int k = 1; k <= 3; k += 2) {
      const zr_value *tl = &root->u.items[k];
      for (uint64_t i = 0; i < tl->n.len; i++) {
        const zr_tensor *t = tl->u.items[i].u.tensor;
        assert_non_null(t->data);
        if (!t->nbytes) continue;
        tensors++;
        int inside = (const uint8_t *)t->data >= at && (const uint8_t *)t->data < at + o.len;
        if (shift == 0) {
          assert_true(inside); /* zero-copy view */
          assert_int_equal((uintptr_t)t->data % 64, 0);
        } else {
          size_t itemsize = (size_t)t->itemsize;
          size_t na = 1;
          while (na < 16 && itemsize % (na * 2) == 0) na *= 2;
          assert_int_equal((uintptr_t)t->data % na, 0); /* copied when the view would be misaligned */
          if (na == 1) assert_true(inside);
        }
        assert_true(zr_tensor_is_c_contiguous(t));
      }
    }
    assert_true(tensors >= 10);
    assert_true(zr_value_equal(&l, root));
    zr_doc_free(out);
  }
  /* a custom alignment */
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.alignment = 128;
  zr_sink *s = NULL;
  zr_sink_memory_new(NULL, &s, NULL);
  assert_int_equal(zr_binary_encode(&l, &eo, s, NULL), ZR_OK);
  const uint8_t *bytes;
  size_t len;
  zr_sink_memory_data(s, &bytes, &len);
  uint8_t *buf2 = aligned_alloc(128, (len + 127) / 128 * 128);
  memcpy(buf2, bytes, len);
  zr_doc *out = NULL;
  assert_int_equal(zr_binary_decode(buf2, len, NULL, &out, NULL), ZR_OK);
  assert_true(zr_value_equal(&l, zr_doc_root(out)));
  const zr_value *tl = &zr_doc_root(out)->u.items[1];
  assert_int_equal((uintptr_t)tl->u.items[0].u.tensor->data % 128, 0);
  assert_true((const uint8_t *)tl->u.items[0].u.tensor->data > buf2 && (const uint8_t *)tl->u.items[0].u.tensor->data < buf2 + len);
  zr_doc_free(out);
  free(buf2);
  eo.alignment = 3;
  zr_error err;
  assert_int_equal(zr_binary_encode(&l, &eo, s, &err), ZR_ERR_INVALID_ARG);
  zr_sink_free(s);
  free(buf);
  zr_free(o.data);
  zr_doc_free(d);
}

/* ---- limits ---- */

static void test_limits(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  /* depth: [[[1]]] needs 3 */
  zr_value a = zr_list_new(d, 1), b = zr_list_new(d, 1), c = zr_list_new(d, 1);
  zr_list_push(d, &c, zr_int(1));
  zr_list_push(d, &b, c);
  zr_list_push(d, &a, b);
  enc_out o = encode_ok(&a);
  zr_decode_opts opts;
  zr_decode_opts_init(&opts);
  zr_doc *out = NULL;
  zr_error err;
  opts.max_depth = 3;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_OK);
  zr_doc_free(out);
  opts.max_depth = 2;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_ERR_LIMIT);
  assert_int_equal(err.offset, 6);
  zr_free(o.data);

  /* elements: 10 records of 5 entries = 1 + 10 × (1 + 5 × 2 + 3) values */
  zr_value recs = build_records(d, 10);
  o = encode_ok(&recs);
  zr_decode_opts_init(&opts);
  opts.max_elements = 141;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_OK);
  zr_doc_free(out);
  opts.max_elements = 140;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_ERR_LIMIT);
  zr_free(o.data);
  /* a typed list counts its elements */
  zr_value tl = zr_list_new(d, 0);
  for (int i = 0; i < 100; i++) zr_list_push(d, &tl, zr_int(i));
  o = encode_ok(&tl);
  opts.max_elements = 100;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_ERR_LIMIT);
  assert_int_equal(err.offset, 4);
  opts.max_elements = 101;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_OK);
  zr_doc_free(out);
  zr_free(o.data);

  /* bytes: a 100 KB string copies into the doc only when allowed */
  char *big = calloc(1, 100000);
  memset(big, 'x', 100000);
  zr_value s = zr_str_ref(big, 100000);
  o = encode_ok(&s);
  zr_decode_opts_init(&opts);
  opts.copy = 1;
  opts.max_bytes = 50000;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_ERR_LIMIT);
  opts.copy = 0; /* a view allocates nothing */
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_OK);
  zr_doc_free(out);
  zr_free(o.data);
  free(big);
  /* bytes: many small containers exceed a small budget in zero-copy mode too */
  recs = build_records(d, 200);
  o = encode_ok(&recs);
  opts.max_bytes = 8192;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_ERR_LIMIT);
  opts.max_bytes = 0; /* 0 means the default */
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_OK);
  zr_doc_free(out);
  zr_free(o.data);
  zr_doc_free(d);
}

/* ---- large trees: one pre-sized block (huge-page advised) instead of arena chunks ---- */

static void test_large_tree_block(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_list_new(d, 0);
  zr_list_push(d, &v, build_records(d, 40000)); /* ~2.8 MB encoded, ~13 MB decoded */
  zr_list_push(d, &v, build_tensors(d));
  zr_list_push(d, &v, build_time_ext(d));
  zr_list_push(d, &v, build_typed(d));
  zr_list_push(d, &v, build_strings(d));
  enc_out o = encode_ok(&v);
  assert_true(o.len > 512 * 1024);
  for (int mode = 0; mode < 2; mode++) {
    for (int dup = ZR_DUP_KEEP; dup <= ZR_DUP_LAST; dup += 2) {
      zr_decode_opts opts;
      zr_decode_opts_init(&opts);
      opts.copy = mode;
      opts.dup_keys = (zr_dup_policy)dup;
      zr_doc *out = NULL;
      zr_error err;
      assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_OK);
      assert_true(zr_value_equal(&v, zr_doc_root(out)));
      zr_doc_free(out);
      /* a byte limit below the block still decodes or fails cleanly with LIMIT */
      opts.max_bytes = 8u << 20;
      zr_status st = zr_binary_decode(o.data, o.len, &opts, &out, &err);
      assert_true(st == ZR_ERR_LIMIT || st == ZR_OK);
      if (st == ZR_OK) zr_doc_free(out);
      else assert_null(out);
    }
  }
  zr_free(o.data);
  zr_doc_free(d);
}

/* ---- repeated keys ---- */

static void dup_case(int n_keys) {
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = zr_map_new(d, 0);
  for (int i = 0; i < n_keys; i++) zr_map_put(d, &m, zr_int(i), zr_int(i));
  zr_map_put(d, &m, zr_int(1), zr_int(100)); /* repeat of key 1 */
  zr_map_put(d, &m, zr_int(1), zr_int(200));
  enc_out o = encode_ok(&m);
  zr_decode_opts opts;
  zr_decode_opts_init(&opts);
  zr_doc *out = NULL;
  zr_error err;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_OK);
  assert_int_equal(zr_doc_root(out)->n.len, n_keys + 2);
  zr_doc_free(out);
  opts.dup_keys = ZR_DUP_ERROR;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_ERR_MALFORMED);
  assert_null(out);
  /* offset of the first repeated key: header + map header + n_keys × 2 bytes */
  assert_int_equal(err.offset, 4 + (n_keys + 2 < 16 ? 1 : 2) + 2 * n_keys);
  opts.dup_keys = ZR_DUP_FIRST;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_OK);
  assert_int_equal(zr_doc_root(out)->n.len, n_keys);
  assert_int_equal(zr_doc_root(out)->u.members[1].val.u.i, 1);
  zr_doc_free(out);
  opts.dup_keys = ZR_DUP_LAST;
  assert_int_equal(zr_binary_decode(o.data, o.len, &opts, &out, &err), ZR_OK);
  assert_int_equal(zr_doc_root(out)->n.len, n_keys);
  assert_int_equal(zr_doc_root(out)->u.members[1].val.u.i, 200);
  zr_doc_free(out);
  zr_free(o.data);
  zr_doc_free(d);
}

static void test_dup_keys(void **state) {
  (void)state;
  dup_case(4);  /* linear scan */
  dup_case(40); /* hash table */
}

/* ---- encoder errors and paths ---- */

static void test_encode_errors(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value root = zr_map_new(d, 0);
  zr_value rows = zr_list_new(d, 0);
  for (int i = 0; i < 5; i++) {
    zr_value r = zr_map_new(d, 0);
    zr_map_put_cstr(d, &r, "id", zr_int(i));
    zr_table tbl;
    memset(&tbl, 0, sizeof tbl);
    zr_map_put_cstr(d, &r, "score", i == 3 ? zr_table_value(d, &tbl) : zr_float(1));
    zr_list_push(d, &rows, r);
  }
  zr_map_put_cstr(d, &root, "rows", rows);
  zr_sink *s = NULL;
  zr_sink_memory_new(NULL, &s, NULL);
  zr_error err;
  zr_error_clear(&err);
  assert_int_equal(zr_binary_encode(&root, NULL, s, &err), ZR_ERR_TYPE);
  assert_string_equal(err.path, "$.rows[3].score");
  assert_non_null(strstr(err.message, "Arrow"));
  assert_int_equal(zr_sink_size(s), 0); /* nothing committed */
  uint64_t size;
  assert_int_equal(zr_binary_encoded_size(&root, NULL, &size, &err), ZR_ERR_TYPE);

  /* an invalid tensor inside a tuple */
  zr_tensor t;
  int64_t shape = 4;
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 1, &shape, NULL, NULL);
  zr_value tup = zr_tuple_new(d, 0);
  zr_list_push(d, &tup, zr_int(1));
  zr_list_push(d, &tup, zr_tensor_value(d, &t));
  zr_error_clear(&err);
  assert_int_equal(zr_binary_encode(&tup, NULL, s, &err), ZR_ERR_INVALID_ARG);
  assert_string_equal(err.path, "$[1]");
  /* a non-string key path */
  zr_value m = zr_map_new(d, 0);
  zr_value bad = zr_null();
  bad.kind = 99;
  zr_map_put(d, &m, zr_int(7), bad);
  zr_error_clear(&err);
  assert_int_equal(zr_binary_encode(&m, NULL, s, &err), ZR_ERR_INVALID_ARG);
  assert_string_equal(err.path, "${7}");
  /* a cycle */
  zr_value cyc = zr_list_new(d, 1);
  zr_list_push(d, &cyc, zr_int(0));
  cyc.u.items[0] = cyc;
  zr_error_clear(&err);
  assert_int_equal(zr_binary_encode(&cyc, NULL, s, &err), ZR_ERR_LIMIT);
  assert_true(strncmp(err.path, "$[0][0][0]", 10) == 0);
  assert_int_equal(zr_sink_size(s), 0);
  zr_sink_free(s);
  assert_int_equal(zr_binary_encode(NULL, NULL, NULL, &err), ZR_ERR_INVALID_ARG);
  zr_doc_free(d);
}

/* ---- sinks ---- */

typedef struct slow {
  uint8_t buf[1 << 20];
  size_t len;
  int calls;
} slow;

static zr_status slow_write(void *ud, const void *data, size_t len, size_t *written) {
  slow *s = ud;
  s->calls++;
  if (s->calls % 3 == 0) { /* sometimes blocked, sometimes partial */
    *written = 0;
    return ZR_WOULD_BLOCK;
  }
  size_t n = len > 1000 ? len / 2 : len;
  memcpy(s->buf + s->len, data, n);
  s->len += n;
  *written = n;
  return ZR_OK;
}

static void test_sinks(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_list_new(d, 0);
  zr_list_push(d, &v, build_records(d, 2000));
  zr_list_push(d, &v, build_tensors(d));
  char *big = malloc(300000);
  memset(big, 'q', 300000);
  zr_list_push(d, &v, zr_str_ref(big, 300000)); /* larger than the staging buffer */
  enc_out ref = encode_ok(&v);

  /* a file descriptor */
  char path[512];
  snprintf(path, sizeof path, "%s/bin.zrb", zr_test_tmpdir());
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  assert_true(fd >= 0);
  zr_sink *s = NULL;
  assert_int_equal(zr_sink_fd_new(fd, &s, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(&v, NULL, s, NULL), ZR_OK);
  assert_int_equal(zr_sink_finish(s, NULL), ZR_OK);
  zr_sink_free(s);
  close(fd);
  size_t len = 0;
  uint8_t *file = zr_test_read_file(path, &len);
  assert_int_equal(len, ref.len);
  assert_memory_equal(file, ref.data, len);
  free(file);

  /* a callback that blocks and accepts partial writes */
  slow *sl = calloc(1, sizeof *sl);
  assert_int_equal(zr_sink_callback_new(slow_write, sl, &s, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(&v, NULL, s, NULL), ZR_OK);
  for (int i = 0; i < 100000 && zr_sink_flush(s, NULL) == ZR_WOULD_BLOCK; i++) {
  }
  assert_int_equal(zr_sink_flush(s, NULL), ZR_OK);
  assert_int_equal(sl->len, ref.len);
  assert_memory_equal(sl->buf, ref.data, ref.len);
  zr_sink_free(s);
  free(sl);

  /* fixed memory: exact size (no room for slack: staged), too small (NOSPACE), roomy (in place) */
  uint8_t *mem = malloc(ref.len + 64);
  assert_int_equal(zr_sink_fixed_new(mem, ref.len, &s, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(&v, NULL, s, NULL), ZR_OK);
  assert_memory_equal(mem, ref.data, ref.len);
  zr_sink_free(s);
  assert_int_equal(zr_sink_fixed_new(mem, ref.len - 1, &s, NULL), ZR_OK);
  zr_error err;
  assert_int_equal(zr_binary_encode(&v, NULL, s, &err), ZR_ERR_NOSPACE);
  zr_sink_free(s);
  memset(mem, 0, ref.len);
  assert_int_equal(zr_sink_fixed_new(mem, ref.len + 64, &s, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(&v, NULL, s, NULL), ZR_OK);
  assert_int_equal(zr_sink_size(s), ref.len);
  assert_memory_equal(mem, ref.data, ref.len);
  zr_sink_free(s);
  free(mem);

  /* a memory sink that already holds bytes: the encoding is appended */
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_sink_write(s, "abc", 3, NULL), ZR_OK);
  assert_int_equal(zr_binary_encode(&v, NULL, s, NULL), ZR_OK);
  const uint8_t *bytes;
  assert_int_equal(zr_sink_memory_data(s, &bytes, &len), ZR_OK);
  assert_int_equal(len, ref.len + 3);
  assert_memory_equal(bytes + 3, ref.data, ref.len);
  zr_sink_free(s);
  free(big);
  zr_free(ref.data);
  zr_doc_free(d);
}

/* The one-pass encoder (memory and fixed sinks, reservations grown as needed, the last bytes of a
 * fixed sink through the tail buffer) writes exactly the bytes of the staging path; a fixed sink
 * one byte too small fails with NOSPACE and commits nothing, at every capacity near the end. */
static void test_fixed_sink_every_capacity(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value vs[8] = {build_scalars(d), build_strings(d), build_containers(d), build_typed(d),
                    build_tensors(d), build_time_ext(d), build_records(d, 60), zr_list_new(d, 0)};
  for (int i = 0; i < 7; i++) zr_list_push(d, &vs[7], vs[i]);
  assert_int_equal(zr_doc_status(d), ZR_OK);
  for (size_t i = 0; i < 8; i++) {
    /* a callback sink keeping the bytes: the staging path (size pass first) */
    zr_test_sink c = {.keep = 1};
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &c, &s, NULL), ZR_OK);
    assert_int_equal(zr_binary_encode(&vs[i], NULL, s, NULL), ZR_OK);
    assert_int_equal(zr_sink_flush(s, NULL), ZR_OK);
    zr_sink_free(s);
    enc_out m = encode_ok(&vs[i]);
    assert_int_equal(m.len, c.len);
    assert_memory_equal(m.data, c.buf, c.len);
    zr_free(m.data);
    uint8_t *mem = malloc(c.len + 300);
    for (size_t pre = 0; pre < 4; pre += 3) { /* an empty fixed sink and one holding 3 bytes */
      size_t lo = c.len > 200 ? c.len - 200 : 0;
      for (size_t cap = lo; cap <= c.len + 200; cap++) {
        memset(mem, 0xEE, c.len + 300);
        assert_int_equal(zr_sink_fixed_new(mem, cap + pre, &s, NULL), ZR_OK);
        if (pre) assert_int_equal(zr_sink_write(s, "abc", 3, NULL), ZR_OK);
        zr_error err;
        zr_status st = zr_binary_encode(&vs[i], NULL, s, &err);
        if (cap < c.len) {
          assert_int_equal(st, ZR_ERR_NOSPACE);
          assert_int_equal(zr_sink_size(s), pre);
        } else {
          assert_int_equal(st, ZR_OK);
          assert_int_equal(zr_sink_size(s), pre + c.len);
          assert_memory_equal(mem + pre, c.buf, c.len);
          assert_int_equal(mem[pre + cap], 0xEE); /* nothing written past the sink */
        }
        zr_sink_free(s);
      }
    }
    free(mem);
    free(c.buf);
  }
  /* a value error into a fixed sink: the path, nothing committed */
  zr_value rows = zr_list_new(d, 0);
  zr_table tbl;
  memset(&tbl, 0, sizeof tbl);
  for (int i = 0; i < 3000; i++) zr_list_push(d, &rows, i == 2500 ? zr_table_value(d, &tbl) : vs[6]);
  uint8_t *mem = malloc(1 << 20);
  zr_sink *s = NULL;
  for (size_t cap = 100; cap <= (1u << 20); cap <<= 4) { /* the error before or after NOSPACE */
    assert_int_equal(zr_sink_fixed_new(mem, cap, &s, NULL), ZR_OK);
    zr_error err;
    zr_error_clear(&err);
    zr_status st = zr_binary_encode(&rows, NULL, s, &err);
    if (st == ZR_ERR_TYPE) assert_string_equal(err.path, "$[2500]");
    else assert_int_equal(st, ZR_ERR_NOSPACE);
    assert_int_equal(zr_sink_size(s), 0);
    zr_sink_free(s);
  }
  free(mem);
  zr_doc_free(d);
}

/* ---- detect, inspect, the format table ---- */

static void test_detect_inspect_table(void **state) {
  (void)state;
  assert_int_equal(zr_binary_detect("ZRB\x01", 4), 100);
  assert_int_equal(zr_binary_detect("ZRB\x07", 4), 50);
  assert_int_equal(zr_binary_detect("ZRB", 3), 0);
  assert_int_equal(zr_binary_detect("{\"a\":1}", 7), 0);
  assert_int_equal(zr_binary_detect(NULL, 0), 0);

  const zr_format *f = zr_format_by_name("binary");
  assert_non_null(f);
  assert_ptr_equal(zr_format_by_id(ZR_FORMAT_ID_BINARY), f);
  assert_ptr_equal(zr_format_detect((const uint8_t *)"ZRB\x01\xc0", 5), f);

  zr_doc *d = zr_doc_new(NULL);
  zr_value root = zr_map_new(d, 0);
  zr_map_put_cstr(d, &root, "rows", build_records(d, 50));
  zr_map_put_cstr(d, &root, "tensors", build_tensors(d));
  zr_map_put_cstr(d, &root, "typed", build_typed(d));
  zr_map_put_cstr(d, &root, "we\"ird", zr_int(1));
  zr_sink *s = NULL;
  zr_sink_memory_new(NULL, &s, NULL);
  assert_int_equal(f->encode(&root, NULL, s, NULL), ZR_OK);
  const uint8_t *bytes;
  size_t len;
  zr_sink_memory_data(s, &bytes, &len);
  zr_doc *out = NULL;
  assert_int_equal(f->decode(bytes, len, NULL, &out, NULL), ZR_OK);
  assert_true(zr_value_equal(&root, zr_doc_root(out)));
  zr_doc_free(out);

  zr_sink *js = NULL;
  zr_sink_memory_new(NULL, &js, NULL);
  assert_int_equal(f->inspect(bytes, len, js, NULL), ZR_OK);
  const uint8_t *jtext;
  size_t jlen;
  zr_sink_memory_data(js, &jtext, &jlen);
  json_error_t je;
  json_t *j = json_loadb((const char *)jtext, jlen, 0, &je);
  if (!j) fail_msg("inspect JSON does not parse: %s: %.*s", je.text, (int)jlen, (const char *)jtext);
  assert_string_equal(json_string_value(json_object_get(j, "format")), "binary");
  assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
  assert_int_equal(json_integer_value(json_object_get(j, "bytes")), (json_int_t)len);
  json_t *kinds = json_object_get(j, "kinds");
  assert_int_equal(json_integer_value(json_object_get(kinds, "tensor")), 8);
  assert_int_equal(json_integer_value(json_object_get(kinds, "map")), 52);
  assert_int_equal(json_integer_value(json_object_get(j, "tensor_count")), 8);
  json_t *r = json_object_get(j, "root");
  assert_string_equal(json_string_value(json_object_get(r, "kind")), "map");
  assert_int_equal(json_integer_value(json_object_get(r, "count")), 4);
  json_t *m0 = json_array_get(json_object_get(r, "members"), 0);
  assert_string_equal(json_string_value(json_object_get(m0, "key")), "rows");
  assert_int_equal(json_integer_value(json_object_get(m0, "count")), 50);
  json_t *t0 = json_array_get(json_object_get(j, "tensors"), 0);
  assert_string_equal(json_string_value(json_object_get(t0, "dtype")), "float64");
  assert_int_equal(json_integer_value(json_object_get(t0, "data_offset")) % 64, 0);
  json_decref(j);
  zr_sink_free(js);
  zr_sink_free(s);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exact_bytes),      cmocka_unit_test(test_every_kind),
      cmocka_unit_test(test_decoded_kinds),    cmocka_unit_test(test_golden_v1),
      cmocka_unit_test(test_malformed_corpus), cmocka_unit_test(test_compressed_count_before_container), cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_alignment),        cmocka_unit_test(test_limits),
      cmocka_unit_test(test_dup_keys),         cmocka_unit_test(test_encode_errors),
      cmocka_unit_test(test_large_tree_block),
      cmocka_unit_test(test_sinks),            cmocka_unit_test(test_fixed_sink_every_capacity),            cmocka_unit_test(test_detect_inspect_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
