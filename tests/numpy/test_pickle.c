/* Pickle protocol 5 writer and safe reader: self round trips, NumPy-written pickles (protocols 2-5,
 * in band and out of band), hostile pickles, and pickle.loads of what zerial writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test_fmt.h"
#include "zerial/format.h"
#include "zerial/numpy.h"

void zr__tensor_gather(const zr_tensor *t, uint8_t *dst);

static uint8_t *pickle_mem(const zr_value *v, const zr_pickle_opts *po, size_t *len, zr_pickle_buffer **bufs, size_t *nb) {
  zr_sink *s;
  zr_error e;
  assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
  zr_status st = zr_pickle_encode(v, po, s, bufs, nb, &e);
  if (st) fprintf(stderr, "pickle: %s at %s\n", e.message, e.path);
  assert_int_equal(st, ZR_OK);
  uint8_t *d;
  zr_sink_memory_take(s, &d, len, &e);
  zr_sink_free(s);
  return d;
}

static void write_file(const char *path, const void *d, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  if (n) assert_int_equal(fwrite(d, 1, n, f), n);
  fclose(f);
}

static zr_value plain_value(zr_doc *d, int32_t *arr) {
  zr_value m = zr_map_new(d, 8);
  zr_map_put_cstr(d, &m, "none", zr_null());
  zr_map_put_cstr(d, &m, "t", zr_bool(1));
  zr_map_put_cstr(d, &m, "f", zr_float(-0.5));
  zr_value ints = zr_list_new(d, 8);
  int64_t iv[] = {0, 255, 65535, 65536, -1, -129, 2147483648LL, -2147483649LL, INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < sizeof iv / sizeof iv[0]; i++) zr_list_push(d, &ints, zr_int(iv[i]));
  zr_list_push(d, &ints, zr_uint(UINT64_MAX));
  zr_map_put_cstr(d, &m, "i", ints);
  uint8_t mag[13] = {0};
  mag[12] = 0x10; /* 2**100 */
  zr_map_put_cstr(d, &m, "big", zr_bigint(d, 0, mag, 13));
  zr_map_put_cstr(d, &m, "nbig", zr_bigint(d, 1, mag, 13));
  zr_map_put_cstr(d, &m, "s", zr_cstr_ref("h\xc3\xa9llo"));
  zr_map_put_cstr(d, &m, "b", zr_bin_ref("\x00\xff", 2));
  zr_value inner = zr_tuple_new(d, 4);
  for (int i = 2; i <= 5; i++) zr_list_push(d, &inner, zr_int(i));
  zr_value tup = zr_tuple_new(d, 2);
  zr_list_push(d, &tup, zr_int(1));
  zr_list_push(d, &tup, inner);
  zr_map_put_cstr(d, &m, "tup", tup);
  zr_map_put(d, &m, zr_int(7), zr_cstr_ref("intkey"));
  zr_tensor t;
  int64_t shape[1] = {3};
  arr[0] = 1; arr[1] = 2; arr[2] = 3;
  zr_tensor_init(&t, ZR_DT_INT32, 4, 1, shape, arr, NULL);
  t.descr = "<i4";
  zr_map_put_cstr(d, &m, "arr", zr_tensor_value(d, &t));
  return m;
}

static void test_self_roundtrip(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  int32_t arr[3];
  zr_value m = plain_value(d, arr);
  size_t len;
  uint8_t *p = pickle_mem(&m, NULL, &len, NULL, NULL);
  zr_doc *out;
  zr_error e;
  zr_status st = zr_pickle_decode(p, len, NULL, 0, NULL, &out, &e);
  if (st) fprintf(stderr, "%s @%lld\n", e.message, (long long)e.offset);
  assert_int_equal(st, ZR_OK);
  const zr_value *r = zr_doc_root(out);
  /* uint64 max comes back as a bigint: compare the rest */
  assert_true(zr_value_equal(zr_map_get(r, "tup", 3), zr_map_get(&m, "tup", 3)));
  assert_true(zr_value_equal(zr_map_get(r, "s", 1), zr_map_get(&m, "s", 1)));
  assert_true(zr_value_equal(zr_map_get(r, "big", 3), zr_map_get(&m, "big", 3)));
  assert_true(zr_value_equal(zr_map_get(r, "nbig", 4), zr_map_get(&m, "nbig", 4)));
  assert_true(zr_value_equal(zr_map_get(r, "arr", 3), zr_map_get(&m, "arr", 3)));
  const zr_value *ints = zr_map_get(r, "i", 1);
  assert_int_equal(ints->n.len, 11);
  assert_int_equal(ints->u.items[9].u.i, INT64_MIN);
  assert_int_equal(ints->u.items[10].kind, ZR_KIND_BIGINT);
  zr_doc_free(out);
  /* out of band: the tensor's memory is handed over, not copied */
  zr_pickle_opts po = {0};
  po.out_of_band = 1;
  zr_pickle_buffer *bufs;
  size_t nb;
  free(p);
  p = pickle_mem(&m, &po, &len, &bufs, &nb);
  assert_int_equal(nb, 1);
  assert_ptr_equal(bufs[0].data, arr);
  assert_int_equal(zr_pickle_decode(p, len, NULL, 0, NULL, &out, &e), ZR_ERR_MALFORMED); /* buffers missing */
  assert_int_equal(zr_pickle_decode(p, len, bufs, nb, NULL, &out, &e), ZR_OK);
  assert_ptr_equal(zr_map_get(zr_doc_root(out), "arr", 3)->u.tensor->data, arr);
  zr_doc_free(out);
  /* every truncation fails cleanly */
  for (size_t k = 0; k < len; k++) {
    zr_doc *o = NULL;
    assert_int_not_equal(zr_pickle_decode(p, k, bufs, nb, NULL, &o, &e), ZR_OK);
  }
  zr_free(bufs);
  free(p);
  /* kinds the writer cannot represent */
  zr_value ts = zr_timestamp(d, 1, ZR_TU_SECOND, NULL);
  zr_value l = zr_list_new(d, 1);
  zr_list_push(d, &l, ts);
  zr_sink *s;
  zr_sink_memory_new(NULL, &s, &e);
  assert_int_equal(zr_pickle_encode(&l, NULL, s, NULL, NULL, &e), ZR_ERR_TYPE);
  assert_string_equal(e.path, "$[0]");
  zr_sink_free(s);
  zr_doc_free(d);
}

static void compare_tensor(const char *dir, const char *name, const zr_tensor *t) {
  char path[1024];
  size_t rl, dl;
  snprintf(path, sizeof path, "%s/%s.raw", dir, name);
  uint8_t *raw = zr_test_read_file(path, &rl);
  snprintf(path, sizeof path, "%s/%s.descr", dir, name);
  uint8_t *descr = zr_test_read_file(path, &dl);
  assert_non_null(raw);
  assert_non_null(descr);
  if (strlen(t->descr) != dl || memcmp(t->descr, descr, dl) != 0) fail_msg("%s: descr %s, numpy %.*s", name, t->descr, (int)dl, descr);
  assert_int_equal(rl, zr_tensor_count(t) * t->itemsize);
  uint8_t *c = malloc(rl + 1);
  zr__tensor_gather(t, c);
  if (memcmp(c, raw, rl) != 0) fail_msg("%s: bytes differ", name);
  free(c);
  free(raw);
  free(descr);
}

static zr_doc *decode_file(const char *dir, const char *file, const zr_pickle_buffer *bufs, size_t nb, uint8_t **keep, zr_status want) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  size_t len;
  uint8_t *d = zr_test_read_file(path, &len);
  assert_non_null(d);
  zr_doc *doc = NULL;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_pickle_decode(d, len, bufs, nb, NULL, &doc, &e);
  if (st != want) fail_msg("%s: status %d (%s), wanted %d", file, st, e.message, want);
  *keep = d;
  return doc;
}

static void test_numpy_interop(void **state) {
  (void)state;
  if (system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) skip();
  const char *dir = zr_test_tmpdir();
  char cmd[2048], path[1024];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s gen %s", zr_test_src_path("tests/numpy/pickle_interop.py"), dir);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  FILE *m = fopen(path, "r");
  assert_non_null(m);
  snprintf(path, sizeof path, "%s/zr_manifest.txt", dir);
  FILE *zm = fopen(path, "w");
  char file[256], name[256];
  int nbuf, count = 0;
  while (fscanf(m, "%255s %255s %d", file, name, &nbuf) == 3) {
    zr_pickle_buffer bufs[4];
    uint8_t *bufmem[4] = {0};
    for (int i = 0; i < nbuf && i < 4; i++) {
      size_t bl;
      snprintf(path, sizeof path, "%s/%s.buf%d", dir, file, i);
      bufmem[i] = zr_test_read_file(path, &bl);
      assert_non_null(bufmem[i]);
      bufs[i].data = bufmem[i];
      bufs[i].len = bl;
      bufs[i].readonly = 0;
    }
    char pk[300];
    snprintf(pk, sizeof pk, "%s.pkl", file);
    uint8_t *keep;
    zr_doc *doc = decode_file(dir, pk, bufs, (size_t)nbuf, &keep, ZR_OK);
    const zr_value *r = zr_doc_root(doc);
    assert_int_equal(r->kind, ZR_KIND_TENSOR);
    compare_tensor(dir, name, r->u.tensor);
    if (nbuf) { /* zero-copy: the tensor views the out-of-band buffer */
      const uint8_t *p = r->u.tensor->data;
      if (r->u.tensor->nbytes) assert_true(p >= bufmem[0] && p < bufmem[0] + bufs[0].len);
    }
    if (strstr(file, "_oob")) { /* write back with zerial: .npy, in-band and out-of-band pickles */
      fprintf(zm, "%s\n", name);
      zr_sink *s;
      zr_error e;
      snprintf(path, sizeof path, "%s/%s.zr.npy", dir, name);
      assert_int_equal(zr_sink_file_new(path, &s, &e), ZR_OK);
      assert_int_equal(zr_npy_encode(r->u.tensor, s, &e), ZR_OK);
      assert_int_equal(zr_sink_finish(s, &e), ZR_OK);
      zr_sink_free(s);
      size_t len;
      uint8_t *p = pickle_mem(r, NULL, &len, NULL, NULL);
      snprintf(path, sizeof path, "%s/%s.zr_in.pkl", dir, name);
      write_file(path, p, len);
      free(p);
      zr_pickle_opts po = {0};
      po.out_of_band = 1;
      zr_pickle_buffer *ob;
      size_t nob;
      p = pickle_mem(r, &po, &len, &ob, &nob);
      snprintf(path, sizeof path, "%s/%s.zr_oob.pkl", dir, name);
      write_file(path, p, len);
      for (size_t i = 0; i < nob; i++) {
        snprintf(path, sizeof path, "%s/%s.zr_oob.buf%zu", dir, name, i);
        write_file(path, ob[i].data, ob[i].len);
      }
      zr_free(ob);
      free(p);
    }
    zr_doc_free(doc);
    free(keep);
    for (int i = 0; i < 4; i++) free(bufmem[i]);
    count++;
  }
  fclose(m);
  fclose(zm);
  assert_true(count >= 60);
  /* a numpy scalar */
  uint8_t *keep;
  zr_doc *doc = decode_file(dir, "scalar.pkl", NULL, 0, &keep, ZR_OK);
  const zr_tensor *t = zr_doc_root(doc)->u.tensor;
  assert_int_equal(t->ndim, 0);
  double sv;
  memcpy(&sv, t->data, 8);
  assert_true(sv == 2.5);
  zr_doc_free(doc);
  free(keep);
  /* plain values at every protocol */
  for (int p = 2; p <= 5; p++) {
    char f[32];
    snprintf(f, sizeof f, "plain_p%d.pkl", p);
    doc = decode_file(dir, f, NULL, 0, &keep, ZR_OK);
    const zr_value *r = zr_doc_root(doc);
    const zr_value *ints = zr_map_get(r, "ints", 4);
    assert_non_null(ints);
    assert_int_equal(ints->n.len, 8);
    assert_int_equal(ints->u.items[2].u.i, 65536);
    assert_int_equal(ints->u.items[5].u.i, INT64_MIN);
    assert_int_equal(ints->u.items[6].kind, ZR_KIND_BIGINT);
    assert_int_equal(ints->u.items[7].kind, ZR_KIND_BIGINT);
    assert_true(ints->u.items[7].flags & ZR_VF_NEGATIVE);
    assert_int_equal(zr_map_get(r, "b", 1)->kind, ZR_KIND_BINARY);
    assert_int_equal(zr_map_get(r, "tup", 3)->kind, ZR_KIND_TUPLE);
    assert_int_equal(zr_map_get(r, "arr", 3)->kind, ZR_KIND_TENSOR);
    zr_doc_free(doc);
    free(keep);
  }
  /* hostile pickles are refused, naming what was refused */
  snprintf(path, sizeof path, "%s/hostile.txt", dir);
  FILE *h = fopen(path, "r");
  assert_non_null(h);
  int nh = 0;
  while (fscanf(h, "%255s", name) == 1) {
    snprintf(path, sizeof path, "%s/hostile_%s.pkl", dir, name);
    size_t len;
    uint8_t *d = zr_test_read_file(path, &len);
    zr_doc *o = NULL;
    zr_error e;
    zr_status st = zr_pickle_decode(d, len, NULL, 0, NULL, &o, &e);
    if (st != ZR_ERR_REFUSED && st != ZR_ERR_UNSUPPORTED) fail_msg("hostile %s: status %d %s", name, st, e.message);
    if (strcmp(name, "os_system") == 0) assert_non_null(strstr(e.message, "os.system"));
    if (strcmp(name, "builtins_eval") == 0) assert_non_null(strstr(e.message, "builtins.eval"));
    if (strncmp(name, "object_array", 12) == 0) assert_non_null(strstr(e.message, "object"));
    free(d);
    nh++;
  }
  fclose(h);
  assert_true(nh >= 10);
  /* plain values written by zerial */
  zr_doc *d = zr_doc_new(NULL);
  int32_t arr[3];
  zr_value pv = plain_value(d, arr);
  size_t len;
  uint8_t *p = pickle_mem(&pv, NULL, &len, NULL, NULL);
  snprintf(path, sizeof path, "%s/plain.zr.pkl", dir);
  write_file(path, p, len);
  free(p);
  zr_doc_free(d);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s check %s", zr_test_src_path("tests/numpy/pickle_interop.py"), dir);
  assert_int_equal(system(cmd), 0);
}

static void test_inband_alignment(void **state) {
  (void)state;
  /* big in-band payloads start 64-byte aligned in the pickle, so a mapped pickle is viewed in place */
  size_t n = 100000;
  double *a = malloc(n * 8);
  for (size_t i = 0; i < n; i++) a[i] = (double)i;
  int64_t shape[1] = {(int64_t)n};
  zr_tensor t;
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 1, shape, a, NULL);
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = zr_list_new(d, 3);
  zr_list_push(d, &l, zr_cstr_ref("some prefix of odd length"));
  zr_list_push(d, &l, zr_tensor_value(d, &t));
  zr_list_push(d, &l, zr_tensor_value(d, &t));
  size_t len;
  uint8_t *p = pickle_mem(&l, NULL, &len, NULL, NULL);
  uint8_t *al = aligned_alloc(64, (len + 63) / 64 * 64);
  memcpy(al, p, len);
  zr_doc *out;
  zr_error e;
  assert_int_equal(zr_pickle_decode(al, len, NULL, 0, NULL, &out, &e), ZR_OK);
  for (int k = 1; k <= 2; k++) {
    const zr_tensor *x = zr_doc_root(out)->u.items[k].u.tensor;
    assert_true((const uint8_t *)x->data > al && (const uint8_t *)x->data < al + len); /* a view */
    assert_int_equal((uintptr_t)x->data % 64, 0);
    assert_memory_equal(x->data, a, n * 8);
  }
  zr_doc_free(out);
  free(al);
  free(p);
  zr_doc_free(d);
  free(a);
}

static zr_status pickle_dec(const uint8_t *d, size_t n, const zr_decode_opts *o, zr_doc **out, zr_error *e) {
  return zr_pickle_decode(d, n, NULL, 0, o, out, e);
}

static void test_alloc_failures(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  int32_t arr[3];
  zr_value m = plain_value(d, arr);
  size_t len;
  uint8_t *p = pickle_mem(&m, NULL, &len, NULL, NULL);
  zr_test_dec c = {pickle_dec, p, len, -1}; /* copying at odd n */
  zr_test_failalloc_sweep("pickle decode", zr_test_dec_run, &c, 2000, ZR_TEST_FA_ANY_ERR);
  free(p);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_self_roundtrip), cmocka_unit_test(test_alloc_failures), cmocka_unit_test(test_inband_alignment), cmocka_unit_test(test_numpy_interop)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
