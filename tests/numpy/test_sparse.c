/* scipy.sparse save_npz layout: read CSR/CSC/COO/BSR/DIA, dense conversion, write CSR/CSC/COO. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/numpy.h"

void zr__tensor_gather(const zr_tensor *t, uint8_t *dst);

static zr_doc *load(const char *path, uint8_t **keep, int npz) {
  size_t len;
  uint8_t *d = zr_test_read_file(path, &len);
  assert_non_null(d);
  zr_doc *doc;
  zr_error e;
  zr_status st = npz ? zr_npz_decode(d, len, NULL, NULL, &doc, &e) : zr_npy_decode(d, len, NULL, NULL, &doc, &e);
  if (st) fail_msg("%s: %s", path, e.message);
  *keep = d;
  return doc;
}

static void assert_dense_equal(const zr_tensor *a, const zr_tensor *b, const char *what) {
  assert_int_equal(a->ndim, 2);
  assert_int_equal(a->shape[0], b->shape[0]);
  assert_int_equal(a->shape[1], b->shape[1]);
  assert_int_equal(a->itemsize, b->itemsize);
  size_t n = (size_t)(zr_tensor_count(a) * a->itemsize);
  uint8_t *x = malloc(n + 1), *y = malloc(n + 1);
  zr__tensor_gather(a, x);
  zr__tensor_gather(b, y);
  if (memcmp(x, y, n) != 0) fail_msg("%s: dense values differ", what);
  free(x);
  free(y);
}

static void test_interop(void **state) {
  (void)state;
  if (system("/usr/bin/python3 -c 'import scipy.sparse' 2>/dev/null") != 0) skip();
  const char *dir = zr_test_tmpdir();
  char cmd[2048], path[1024], name[128];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s gen %s", zr_test_src_path("tests/numpy/sparse_interop.py"), dir);
  assert_int_equal(system(cmd), 0);
  snprintf(path, sizeof path, "%s/sparse.txt", dir);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  int n = 0;
  while (fscanf(f, "%127s", name) == 1) {
    uint8_t *k1, *k2;
    snprintf(path, sizeof path, "%s/%s.npz", dir, name);
    zr_doc *sd = load(path, &k1, 1);
    snprintf(path, sizeof path, "%s/%s.dense.npy", dir, name);
    zr_doc *dd = load(path, &k2, 0);
    zr_sparse s;
    zr_error e;
    zr_status st = zr_sparse_from_npz(zr_doc_root(sd), &s, &e);
    if (st) fail_msg("%s: %s", name, e.message);
    zr_doc *work = zr_doc_new(NULL);
    zr_tensor dense;
    assert_int_equal(zr_sparse_to_dense(&s, work, &dense, &e), ZR_OK);
    const zr_tensor *ref = zr_doc_root(dd)->u.tensor;
    assert_dense_equal(&dense, ref, name);
    /* write back as CSR, CSC and COO built from the dense form */
    static const struct { zr_sparse_format f; const char *n; } outs[] = {{ZR_SPARSE_CSR, "csr"}, {ZR_SPARSE_CSC, "csc"}, {ZR_SPARSE_COO, "coo"}};
    for (int i = 0; i < 3; i++) {
      zr_sparse o;
      assert_int_equal(zr_sparse_from_dense(ref, outs[i].f, work, &o, &e), ZR_OK);
      zr_tensor back;
      assert_int_equal(zr_sparse_to_dense(&o, work, &back, &e), ZR_OK);
      assert_dense_equal(&back, ref, name);
      zr_value m;
      assert_int_equal(zr_sparse_to_npz(work, &o, &m, &e), ZR_OK);
      zr_sink *sk;
      snprintf(path, sizeof path, "%s/%s.%s.zr.npz", dir, name, outs[i].n);
      assert_int_equal(zr_sink_file_new(path, &sk, &e), ZR_OK);
      assert_int_equal(zr_npz_encode(&m, NULL, sk, &e), ZR_OK);
      assert_int_equal(zr_sink_finish(sk, &e), ZR_OK);
      zr_sink_free(sk);
    }
    zr_doc_free(work);
    zr_doc_free(sd);
    zr_doc_free(dd);
    free(k1);
    free(k2);
    n++;
  }
  fclose(f);
  assert_int_equal(n, 8);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s check %s", zr_test_src_path("tests/numpy/sparse_interop.py"), dir);
  assert_int_equal(system(cmd), 0);
}

static void test_malformed(void **state) {
  (void)state;
  /* CSR 2×3 with indptr out of order, then an index out of range */
  int32_t indptr[3] = {0, 2, 1}, indices[2] = {0, 5};
  double data[2] = {1, 2};
  zr_sparse s;
  memset(&s, 0, sizeof s);
  s.format = ZR_SPARSE_CSR;
  s.shape[0] = 2;
  s.shape[1] = 3;
  int64_t n3 = 3, n2 = 2;
  zr_tensor_init(&s.indptr, ZR_DT_INT32, 4, 1, &n3, indptr, NULL);
  zr_tensor_init(&s.indices, ZR_DT_INT32, 4, 1, &n2, indices, NULL);
  zr_tensor_init(&s.data, ZR_DT_FLOAT64, 8, 1, &n2, data, NULL);
  zr_doc *d = zr_doc_new(NULL);
  zr_tensor out;
  zr_error e;
  assert_int_equal(zr_sparse_to_dense(&s, d, &out, &e), ZR_ERR_MALFORMED);
  indptr[2] = 2;
  assert_int_equal(zr_sparse_to_dense(&s, d, &out, &e), ZR_ERR_MALFORMED);
  assert_non_null(strstr(e.message, "out of range"));
  indices[1] = 2;
  assert_int_equal(zr_sparse_to_dense(&s, d, &out, &e), ZR_OK);
  double got;
  memcpy(&got, (uint8_t *)out.data + 2 * 8, 8);
  assert_true(got == 2.0);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_malformed), cmocka_unit_test(test_interop)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
