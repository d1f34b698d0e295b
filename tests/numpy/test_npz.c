/* .npz reader/writer: unit tests and interop with np.savez / np.savez_compressed / np.load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test_fmt.h"
#include "zerial/format.h"
#include "zerial/numpy.h"

void zr__tensor_gather(const zr_tensor *t, uint8_t *dst);

static double f8[12];
static int32_t i4[6];
static uint8_t big[3 * 1000];

static zr_value sample(zr_doc *d) {
  for (int i = 0; i < 12; i++) f8[i] = i * 1.5;
  for (int i = 0; i < 6; i++) i4[i] = -i;
  for (int i = 0; i < 3000; i++) big[i] = (uint8_t)(i % 7);
  zr_value m = zr_map_new(d, 4);
  zr_tensor t;
  int64_t s1[2] = {3, 4}, s2[1] = {6}, s3[2] = {3, 1000}, s0[1] = {0};
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, s1, f8, NULL);
  t.descr = "<f8";
  zr_map_put_cstr(d, &m, "a", zr_tensor_value(d, &t));
  zr_tensor_init(&t, ZR_DT_INT32, 4, 1, s2, i4, NULL);
  t.descr = "<i4";
  zr_map_put_cstr(d, &m, "b", zr_tensor_value(d, &t));
  zr_tensor_init(&t, ZR_DT_UINT8, 1, 2, s3, big, NULL);
  t.descr = "|u1";
  zr_map_put_cstr(d, &m, "big", zr_tensor_value(d, &t));
  zr_tensor_init(&t, ZR_DT_FLOAT32, 4, 1, s0, NULL, NULL);
  t.descr = "<f4";
  zr_map_put_cstr(d, &m, "empty", zr_tensor_value(d, &t));
  return m;
}

static uint8_t *enc(const zr_value *v, const zr_npy_opts *no, size_t *len) {
  zr_sink *s;
  zr_error e;
  assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
  zr_status st = zr_npz_encode(v, no, s, &e);
  if (st) fprintf(stderr, "%s\n", e.message);
  assert_int_equal(st, ZR_OK);
  uint8_t *d;
  zr_sink_memory_take(s, &d, len, &e);
  zr_sink_free(s);
  return d;
}

/* a copy of the bytes at a 64-aligned address, so alignment checks are about the archive */
static uint8_t *aligned_copy(const uint8_t *d, size_t len) {
  uint8_t *p = aligned_alloc(64, (len + 63) / 64 * 64);
  memcpy(p, d, len);
  return p;
}

static void check_roundtrip(const zr_npy_opts *no, int expect_zero_copy) {
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = sample(d);
  size_t len;
  uint8_t *raw = enc(&m, no, &len);
  uint8_t *buf = aligned_copy(raw, len);
  free(raw);
  zr_doc *out;
  zr_error e;
  assert_int_equal(zr_npz_decode(buf, len, NULL, NULL, &out, &e), ZR_OK);
  assert_true(zr_value_equal(&m, zr_doc_root(out)));
  const zr_value *r = zr_doc_root(out);
  for (uint64_t i = 0; i < r->n.len; i++) {
    const zr_tensor *t = r->u.members[i].val.u.tensor;
    if (!t->data) continue;
    int inside = (const uint8_t *)t->data >= buf && (const uint8_t *)t->data < buf + len;
    assert_int_equal(inside, expect_zero_copy);
    assert_int_equal(((uintptr_t)t->data) % 64, 0);
  }
  zr_doc_free(out);
  /* every truncation fails cleanly */
  for (size_t k = 0; k < len; k += (len / 300) + 1) {
    zr_doc *o = NULL;
    assert_int_not_equal(zr_npz_decode(buf, k, NULL, NULL, &o, &e), ZR_OK);
  }
  free(buf);
  zr_doc_free(d);
}

static void test_stored(void **s) { (void)s; check_roundtrip(NULL, 1); }
static void test_deflate(void **s) { (void)s; zr_npy_opts no = {0}; no.compress = 1; check_roundtrip(&no, 0); }

static void test_zip64(void **s) {
  (void)s;
  zr_npy_opts no = {0};
  no.force_zip64 = 1;
  check_roundtrip(&no, 1);
  no.compress = 1;
  check_roundtrip(&no, 0);
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = sample(d);
  size_t len;
  no.compress = 0;
  uint8_t *raw = enc(&m, &no, &len);
  /* zip64 end record and locator are present */
  int found64 = 0;
  for (size_t i = 0; i + 4 <= len; i++)
    if (memcmp(raw + i, "PK\x06\x06", 4) == 0) found64 = 1;
  assert_true(found64);
  assert_memory_equal(raw + len - 22 - 20, "PK\x06\x07", 4);
  free(raw);
  zr_doc_free(d);
}

static void test_crc(void **s) {
  (void)s;
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = sample(d);
  size_t len;
  uint8_t *raw = enc(&m, NULL, &len);
  /* flip a byte of the first member's array data (the first 'a' value byte) */
  size_t off = 0;
  for (size_t i = 0; i + 8 < len; i++)
    if (memcmp(raw + i, "\x93NUMPY", 6) == 0) { off = i + 128; break; }
  assert_true(off > 0);
  raw[off + 9] ^= 0x40;
  zr_doc *out = NULL;
  zr_error e;
  assert_int_equal(zr_npz_decode(raw, len, NULL, NULL, &out, &e), ZR_ERR_CHECKSUM);
  assert_non_null(strstr(e.message, "a.npy"));
  zr_npy_opts no = {0};
  no.skip_crc = 1;
  assert_int_equal(zr_npz_decode(raw, len, NULL, &no, &out, &e), ZR_OK);
  zr_doc_free(out);
  free(raw);
  zr_doc_free(d);
}

static void test_format(void **s) {
  (void)s;
  const zr_format *f = zr_format_by_name("npz");
  assert_non_null(f);
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = sample(d);
  size_t len;
  uint8_t *raw = enc(&m, NULL, &len);
  assert_ptr_equal(zr_format_detect(raw, len), f);
  char *js = zr_test_inspect_text(f, raw, len);
  assert_non_null(strstr(js, "\"name\":\"big.npy\""));
  assert_non_null(strstr(js, "\"shape\":[3,1000]"));
  assert_non_null(strstr(js, "\"aligned\":true"));
  free(js);
  zr_value bad = zr_int(1);
  zr_test_encode_fails(f, &bad, ZR_ERR_TYPE);
  free(raw);
  zr_doc_free(d);
}

/* ---- interop ---- */

static void compare_raw(const char *dir, const zr_value *key, const zr_tensor *t) {
  char hex[512] = "", path[1024];
  for (uint64_t i = 0; i < key->n.len && i < 200; i++) sprintf(hex + 2 * i, "%02x", (unsigned char)key->u.str[i]);
  snprintf(path, sizeof path, "%s/npz_%s.raw", dir, hex);
  size_t rl;
  uint8_t *raw = zr_test_read_file(path, &rl);
  assert_non_null(raw);
  assert_int_equal(rl, zr_tensor_count(t) * t->itemsize);
  uint8_t *c = malloc(rl + 1);
  zr__tensor_gather(t, c);
  assert_memory_equal(c, raw, rl);
  free(c);
  free(raw);
}

static void write_file(const char *path, const uint8_t *d, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(d, 1, n, f), n);
  fclose(f);
}

static void test_interop(void **s) {
  (void)s;
  if (system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) skip();
  const char *dir = zr_test_tmpdir();
  char cmd[2048], path[1024];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s npzgen %s", zr_test_src_path("tests/numpy/npy_interop.py"), dir);
  assert_int_equal(system(cmd), 0);
  zr_doc *plain = NULL;
  uint8_t *plain_bytes = NULL;
  const char *files[] = {"plain.npz", "compressed.npz", "positional.npz"};
  for (int f = 0; f < 3; f++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[f]);
    size_t len;
    uint8_t *d = zr_test_read_file(path, &len);
    assert_non_null(d);
    zr_doc *doc;
    zr_error e;
    zr_status st = zr_npz_decode(d, len, NULL, NULL, &doc, &e);
    if (st) fprintf(stderr, "%s: %s\n", files[f], e.message);
    assert_int_equal(st, ZR_OK);
    const zr_value *r = zr_doc_root(doc);
    assert_int_equal(r->kind, ZR_KIND_MAP);
    if (f < 2) {
      assert_int_equal(r->n.len, 7);
      for (uint64_t i = 0; i < r->n.len; i++) {
        const zr_tensor *t = r->u.members[i].val.u.tensor;
        compare_raw(dir, &r->u.members[i].key, t);
        if (t->data && t->dtype == ZR_DT_FLOAT64) assert_int_equal((uintptr_t)t->data % 8, 0);
      }
    } else {
      assert_non_null(zr_map_get(r, "arr_0", 5));
      assert_non_null(zr_map_get(r, "arr_1", 5));
    }
    if (f == 0) {
      plain = doc;
      plain_bytes = d;
    } else {
      zr_doc_free(doc);
      free(d);
    }
  }
  const char *outs[] = {"zr_stored.npz", "zr_deflate.npz", "zr_zip64.npz"};
  for (int k = 0; k < 3; k++) {
    zr_npy_opts no = {0};
    no.compress = k == 1;
    no.force_zip64 = k == 2;
    size_t len;
    uint8_t *d = enc(zr_doc_root(plain), &no, &len);
    snprintf(path, sizeof path, "%s/%s", dir, outs[k]);
    write_file(path, d, len);
    free(d);
  }
  zr_doc_free(plain);
  free(plain_bytes);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s npzcheck %s", zr_test_src_path("tests/numpy/npy_interop.py"), dir);
  assert_int_equal(system(cmd), 0);
}

static zr_status npz_dec(const uint8_t *d, size_t n, const zr_decode_opts *o, zr_doc **out, zr_error *e) {
  return zr_npz_decode(d, n, o, NULL, out, e);
}

static void test_alloc_failures(void **s) {
  (void)s;
  for (int comp = 0; comp < 2; comp++) {
    zr_doc *d = zr_doc_new(NULL);
    zr_value m = sample(d);
    zr_npy_opts no = {0};
    no.compress = comp;
    size_t len;
    uint8_t *raw = enc(&m, &no, &len);
    zr_test_dec c = {npz_dec, raw, len, 1};
    zr_test_failalloc_sweep("npz decode", zr_test_dec_run, &c, 2000, ZR_TEST_FA_ANY_ERR);
    free(raw);
    zr_doc_free(d);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stored), cmocka_unit_test(test_deflate), cmocka_unit_test(test_zip64),
      cmocka_unit_test(test_crc),    cmocka_unit_test(test_format),  cmocka_unit_test(test_interop),
      cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
