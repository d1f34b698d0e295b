/* Coverage: the pickle writer. Every value kind and length class, structured dtypes (padding,
 * titles, subarrays, nested records), Fortran, strided, large and out-of-band tensors, every
 * refusal with its value path, and an allocation-failure sweep in which the value sits behind a
 * prefix of every length, so the output buffer runs out at every opcode the writer appends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/cov_sweep.h" /* CS_SCALE: sanitizer builds sample the shifts */
#include "zerial/numpy.h"

static zr_status enc(const zr_value *v, const zr_pickle_opts *po, uint8_t **out, size_t *len, zr_pickle_buffer **bufs,
                     size_t *nb, zr_error *e) {
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  zr_error_clear(e);
  zr_status st = zr_pickle_encode(v, po, s, bufs, nb, e);
  *out = NULL;
  *len = 0;
  if (st == ZR_OK) assert_int_equal(zr_sink_memory_take(s, out, len, NULL), ZR_OK);
  zr_sink_free(s);
  return st;
}

/* a doc-owned tensor */
static zr_value tensor(zr_doc *d, zr_dtype dt, uint64_t itemsize, uint32_t ndim, const int64_t *shape, const char *descr) {
  zr_tensor t;
  uint64_t n = 1;
  for (uint32_t i = 0; i < ndim; i++) n *= (uint64_t)shape[i];
  uint8_t *p = zr_doc_alloc(d, (size_t)(n * itemsize + 1), 64);
  for (uint64_t i = 0; i < n * itemsize; i++) p[i] = (uint8_t)(i * 13 + 1);
  assert_int_equal(zr_tensor_init(&t, dt, itemsize, ndim, shape, p, NULL), ZR_OK);
  t.descr = descr;
  return zr_tensor_value(d, &t);
}

static const char *REC = "[('a', '<i4'), (('the title', 'b'), '<f8'), ('', '|V4'), ('c', '<i2', (2, 3)), ('d', '|u1', 4), "
                         "('n', [('x', '<f4'), ('y', '<i8')])]";

/* Every value kind the writer has: returned as one list. */
static zr_value all_kinds(zr_doc *d, int with_big) {
  zr_value l = zr_list_new(d, 32);
  zr_list_push(d, &l, zr_null());
  zr_list_push(d, &l, zr_bool(1));
  zr_list_push(d, &l, zr_bool(0));
  static const int64_t ints[] = {0, 255, 256, 65535, 65536, -1, -300, INT32_MIN, INT32_MAX, (int64_t)1 << 40,
                                 -((int64_t)1 << 40), INT64_MIN, INT64_MAX, 0x80LL << 32, -(0x80LL << 32)};
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) zr_list_push(d, &l, zr_int(ints[i]));
  zr_list_push(d, &l, zr_uint(UINT64_MAX));
  zr_list_push(d, &l, zr_uint(5));
  static const uint8_t zeros[4] = {0};
  zr_list_push(d, &l, zr_bigint(d, 0, zeros, 4)); /* zero magnitude: BININT1 0 */
  static const uint8_t lead[6] = {1, 2, 3, 0, 0, 0}; /* leading zero bytes trimmed */
  zr_list_push(d, &l, zr_bigint(d, 1, lead, 6));
  size_t nb = with_big ? 300 : 30;
  uint8_t *big = zr_doc_alloc(d, 300, 1);
  for (int i = 0; i < 300; i++) big[i] = (uint8_t)(i * 7 + 5);
  zr_list_push(d, &l, zr_bigint(d, 0, big, nb)); /* LONG4 when big */
  zr_list_push(d, &l, zr_bigint(d, 1, big, nb));
  zr_list_push(d, &l, zr_float(2.5));
  char *s300 = zr_doc_alloc(d, 300, 1);
  memset(s300, 'q', 300);
  zr_list_push(d, &l, zr_str_ref(s300, nb)); /* BINUNICODE when big */
  zr_list_push(d, &l, zr_bin_ref(big, nb)); /* BINBYTES when big */
  zr_list_push(d, &l, zr_bin_ref(big, 3));
  for (size_t n = 0; n <= 4; n++) {
    zr_value t = zr_tuple_new(d, n);
    for (size_t i = 0; i < n; i++) zr_list_push(d, &t, zr_int((int64_t)i));
    zr_list_push(d, &l, t);
  }
  zr_value m = zr_map_new(d, 2);
  zr_value tk = zr_tuple_new(d, 2);
  zr_list_push(d, &tk, zr_int(1));
  zr_list_push(d, &tk, zr_cstr_ref("k"));
  zr_map_put(d, &m, tk, zr_cstr_ref("tuple key"));
  zr_map_put_cstr(d, &m, "x", zr_list_new(d, 0));
  zr_list_push(d, &l, m);
  int64_t sh[2] = {2, 3};
  zr_list_push(d, &l, tensor(d, ZR_DT_VOID, 44, 1, sh, REC));
  zr_list_push(d, &l, zr_cstr_ref(""));
  zr_value f = tensor(d, ZR_DT_FLOAT64, 8, 2, sh, "<f8");
  f.u.tensor->strides[0] = 8;
  f.u.tensor->strides[1] = 16; /* Fortran order */
  zr_list_push(d, &l, f);
  int64_t four = 4;
  zr_value g = tensor(d, ZR_DT_INT16, 2, 1, &four, NULL);
  g.u.tensor->shape[0] = 2;
  g.u.tensor->strides[0] = 4; /* every other element: gathered */
  zr_list_push(d, &l, g);
  return l;
}

static void test_values_roundtrip(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = all_kinds(d, 1);
  uint8_t *p;
  size_t len;
  zr_error e;
  assert_int_equal(enc(&l, NULL, &p, &len, NULL, NULL, &e), ZR_OK);
  assert_int_equal(p[0], 0x80);
  assert_int_equal(p[1], 5);
  assert_int_equal(p[len - 1], '.');
  /* the structured dtype is written as numpy.dtype({'names', 'formats', 'offsets', 'itemsize', 'titles'}) */
  static const char *needles[] = {"names", "formats", "offsets", "itemsize", "titles", "the title", "frombuffer", "ndarray"};
  for (size_t i = 0; i < sizeof needles / sizeof *needles; i++) {
    int found = 0;
    size_t nl = strlen(needles[i]);
    for (size_t k = 0; k + nl <= len && !found; k++) found = memcmp(p + k, needles[i], nl) == 0;
    if (!found) fail_msg("%s missing", needles[i]);
  }
  /* Python reads it back: structured fields, titles, padding, Fortran order, gathered data */
  if (system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") == 0) {
    char path[1024], cmd[4096];
    snprintf(path, sizeof path, "%s/cov_pickle_kinds.pkl", zr_test_tmpdir());
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, len, fp), len);
    fclose(fp);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"\n"
             "import pickle, numpy as np\n"
             "v = pickle.load(open('%s', 'rb'))\n"
             "assert v[:3] == [None, True, False], v[:3]\n"
             "assert v[3:18] == [0, 255, 256, 65535, 65536, -1, -300, -2**31, 2**31-1, 2**40, -2**40, -2**63, 2**63-1, 2**39, -2**39], v[3:18]\n"
             "assert v[18] == 2**64-1 and v[19] == 5 and v[20] == 0\n"
             "assert v[21] == -(1 + 2*256 + 3*65536), v[21]\n"
             "assert v[22] == -v[23] and v[22] > 2**2000\n"
             "assert v[24] == 2.5 and v[25] == 'q'*300 and len(v[26]) == 300 and len(v[27]) == 3\n"
             "assert v[28:33] == [(), (0,), (0, 1), (0, 1, 2), (0, 1, 2, 3)]\n"
             "assert v[33] == {(1, 'k'): 'tuple key', 'x': []}\n"
             "r = v[34]\n"
             "assert r.dtype.itemsize == 44 and r.dtype.names == ('a', 'b', 'c', 'd', 'n'), r.dtype\n"
             "assert r.dtype.fields['b'][2] == 'the title' and r.dtype.fields['c'][1] == 16 and r.dtype.fields['n'][1] == 32\n"
             "assert r.dtype['c'].shape == (2, 3) and r.dtype['n'].names == ('x', 'y') and r.shape == (2,)\n"
             "assert bytes(r.tobytes()) == bytes((i * 13 + 1) %% 256 for i in range(88))\n"
             "assert v[35] == ''\n"
             "f = v[36]\n"
             "assert f.flags['F_CONTIGUOUS'] and f.shape == (2, 3)\n"
             "g = v[37]\n"
             "raw = bytes((i * 13 + 1) %% 256 for i in range(12))\n"
             "assert g.tolist() == [int.from_bytes(raw[0:2], 'little', signed=True), int.from_bytes(raw[4:6], 'little', signed=True)], g\n"
             "\"",
             path);
    assert_int_equal(system(cmd), 0);
  }
  zr_free(p);
  zr_doc_free(d);
}


static void test_large_tensors(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = zr_list_new(d, 4);
  int64_t n1 = 1024, n2 = 20000;
  zr_list_push(d, &l, zr_cstr_ref("pad"));
  zr_list_push(d, &l, tensor(d, ZR_DT_INT32, 4, 1, &n1, "<i4"));  /* 4096 bytes: aligned payload */
  zr_list_push(d, &l, tensor(d, ZR_DT_FLOAT64, 8, 1, &n2, NULL)); /* 160000: straight to the sink */
  uint8_t *big = zr_doc_alloc(d, 70000, 1);
  memset(big, 7, 70000);
  zr_list_push(d, &l, zr_bin_ref(big, 70000)); /* large bytes: straight to the sink too */
  zr_value many = zr_list_new(d, 20);
  for (int i = 0; i < 20; i++) zr_list_push(d, &many, zr_bin_ref(big, 60000)); /* buffered: flushed at 1 MiB */
  zr_list_push(d, &l, many);
  uint8_t *p;
  size_t len;
  zr_error e;
  assert_int_equal(enc(&l, NULL, &p, &len, NULL, NULL, &e), ZR_OK);
  zr_doc *out;
  assert_int_equal(zr_pickle_decode(p, len, NULL, 0, NULL, &out, &e), ZR_OK);
  const zr_value *r = zr_doc_root(out);
  assert_int_equal(r->n.len, 5);
  assert_int_equal(r->u.items[4].n.len, 20);
  assert_int_equal(r->u.items[4].u.items[19].n.len, 60000);
  const zr_tensor *t = r->u.items[1].u.tensor;
  assert_int_equal(t->shape[0], 1024);
  assert_int_equal(((uintptr_t)t->data - (uintptr_t)p) % 64, 0); /* the padding aligned it in the pickle */
  assert_memory_equal(t->data, l.u.items[1].u.tensor->data, 4096);
  assert_memory_equal(r->u.items[2].u.tensor->data, l.u.items[2].u.tensor->data, 160000);
  assert_int_equal(r->u.items[3].n.len, 70000);
  zr_doc_free(out);
  /* allocation failures around the aligned and the direct payloads */
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_pickle_opts po;
    memset(&po, 0, sizeof po);
    po.alloc = &fa.a;
    uint8_t *q;
    size_t qlen;
    zr_status st = enc(&l, &po, &q, &qlen, NULL, NULL, &e);
    assert_int_equal(fa.live, 0);
    if (st == ZR_OK) {
      assert_int_equal(qlen, len);
      assert_memory_equal(q, p, len);
      zr_free(q);
      break;
    }
    assert_int_equal(st, ZR_ERR_NOMEM);
  }
  /* every write of the sink failing in turn (the large payloads are writes of their own) */
  zr_free(p);
  for (unsigned long fail = 1;; fail++) {
    zr_test_sink c = {.fail_at = fail};
    zr_sink *s;
    assert_int_equal(zr_sink_callback_new(zr_test_sink_write, &c, &s, NULL), ZR_OK);
    zr_status st = zr_pickle_encode(&l, NULL, s, NULL, NULL, &e);
    if (st == ZR_OK) st = zr_sink_finish(s, &e);
    zr_sink_free(s);
    if (st == ZR_OK) {
      assert_true(fail > 3);
      break;
    }
    assert_int_equal(st, ZR_ERR_IO);
    assert_int_equal(e.code, ZR_ERR_IO);
  }
  zr_doc_free(d);
}

static void test_out_of_band(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value l = zr_list_new(d, 16);
  int64_t sh[2] = {3, 4};
  for (int i = 0; i < 6; i++) zr_list_push(d, &l, tensor(d, ZR_DT_INT32, 4, 2, sh, "<i4")); /* the buffer list grows */
  zr_value g = tensor(d, ZR_DT_INT32, 4, 2, sh, "<i4");
  g.u.tensor->shape[1] = 2;
  g.u.tensor->strides[1] = 8; /* not contiguous: in band */
  zr_list_push(d, &l, g);
  int64_t one = 1;
  zr_list_push(d, &l, tensor(d, ZR_DT_INT8, 1, 1, &one, "|i1")); /* below oob_min_bytes: in band */
  zr_pickle_opts po;
  memset(&po, 0, sizeof po);
  po.out_of_band = 1;
  po.oob_min_bytes = 8;
  uint8_t *p;
  size_t len, nb;
  zr_pickle_buffer *bufs;
  zr_error e;
  assert_int_equal(enc(&l, &po, &p, &len, &bufs, &nb, &e), ZR_OK);
  assert_int_equal(nb, 6);
  for (size_t i = 0; i < nb; i++) {
    assert_ptr_equal(bufs[i].data, l.u.items[i].u.tensor->data);
    assert_int_equal(bufs[i].len, 48);
  }
  zr_doc *out;
  assert_int_equal(zr_pickle_decode(p, len, bufs, nb, NULL, &out, &e), ZR_OK);
  const zr_value *r = zr_doc_root(out);
  assert_ptr_equal(r->u.items[5].u.tensor->data, l.u.items[5].u.tensor->data); /* shares the buffer */
  assert_int_equal(r->u.items[6].u.tensor->shape[1], 2);
  zr_doc_free(out);
  zr_free(bufs);
  zr_free(p);
  /* allocation failures: the buffer list, the opcodes; no error record (err NULL) on the last one */
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    po.alloc = &fa.a;
    zr_status st = enc(&l, &po, &p, &len, &bufs, &nb, &e);
    if (st == ZR_OK) {
      assert_int_equal(nb, 6);
      fa.a.free_fn(fa.a.ud, bufs);
      zr_free(p);
      assert_int_equal(fa.live, 0);
      break;
    }
    assert_int_equal(st, ZR_ERR_NOMEM);
    assert_int_equal(e.code, ZR_ERR_NOMEM);
    assert_null(bufs);
    assert_int_equal(nb, 0);
    assert_int_equal(fa.live, 0);
    zr_test_failalloc_init(&fa, n);
    zr_sink *ns;
    assert_int_equal(zr_sink_memory_new(NULL, &ns, NULL), ZR_OK);
    assert_int_equal(zr_pickle_encode(&l, &po, ns, &bufs, &nb, NULL), ZR_ERR_NOMEM);
    zr_sink_free(ns);
    assert_int_equal(fa.live, 0);
  }
  po.alloc = NULL;
  /* out_of_band needs both out-parameters */
  zr_sink *s;
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(zr_pickle_encode(&l, &po, s, NULL, &nb, &e), ZR_ERR_INVALID_ARG);
  assert_non_null(strstr(e.message, "out_of_band"));
  assert_int_equal(zr_pickle_encode(&l, &po, s, &bufs, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_pickle_encode(NULL, &po, s, &bufs, &nb, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_pickle_encode(&l, &po, NULL, &bufs, &nb, &e), ZR_ERR_INVALID_ARG);
  zr_sink_free(s);
  zr_doc_free(d);
}

static void expect_fail(const zr_value *v, const zr_pickle_opts *po, zr_status want, const char *msg, const char *path) {
  uint8_t *p;
  size_t len;
  zr_error e;
  zr_status st = enc(v, po, &p, &len, NULL, NULL, &e);
  if (st != want) fail_msg("%s: want %d got %d (%s)", msg, want, st, e.message);
  assert_int_equal(e.code, want);
  if (!strstr(e.message, msg)) fail_msg("message '%s' lacks '%s'", e.message, msg);
  if (path && strcmp(e.path, path) != 0) fail_msg("path '%s', want '%s'", e.path, path);
}

static void test_refusals(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = zr_map_new(d, 4);
  zr_value l = zr_list_new(d, 2);
  zr_list_push(d, &l, zr_int(1));
  zr_list_push(d, &l, zr_timestamp(d, 5, ZR_TU_SECOND, NULL));
  zr_map_put_cstr(d, &m, "ts", l);
  expect_fail(&m, NULL, ZR_ERR_TYPE, "cannot represent a timestamp", "$.ts[1]");
  zr_value e1 = zr_ext(d, 7, 1, "ab", 2);
  expect_fail(&e1, NULL, ZR_ERR_TYPE, "cannot represent", "$");
  zr_value m2 = zr_map_new(d, 1);
  zr_map_put(d, &m2, zr_list_new(d, 0), zr_int(1));
  expect_fail(&m2, NULL, ZR_ERR_TYPE, "cannot be a Python dict key", NULL);
  zr_value m3 = zr_map_new(d, 1);
  zr_value tk = zr_tuple_new(d, 1);
  zr_list_push(d, &tk, zr_map_new(d, 0));
  zr_map_put(d, &m3, tk, zr_int(1)); /* a tuple holding a dict is unhashable too */
  expect_fail(&m3, NULL, ZR_ERR_TYPE, "cannot be a Python dict key", NULL);
  zr_value bad = zr_str_ref("a\xff", 2);
  zr_value l2 = zr_list_new(d, 1);
  zr_list_push(d, &l2, bad);
  expect_fail(&l2, NULL, ZR_ERR_UTF8, "invalid UTF-8 (byte 1)", "$[0]");
  /* nesting deeper than the default limit */
  zr_value deep = zr_list_new(d, 1);
  for (int i = 0; i < 1100; i++) {
    zr_value o = zr_list_new(d, 1);
    zr_list_push(d, &o, deep);
    deep = o;
  }
  expect_fail(&deep, NULL, ZR_ERR_TYPE, "nested too deeply", NULL);
  /* tensors the writer cannot describe */
  int64_t sh = 4;
  zr_value t = tensor(d, ZR_DT_INT32, 4, 1, &sh, "<i4");
  t.u.tensor->ndim = ZR_TENSOR_MAX_DIMS + 1;
  expect_fail(&t, NULL, ZR_ERR_TYPE, "too many dimensions", "$");
  t.u.tensor->ndim = 1;
  void *keep = t.u.tensor->data;
  t.u.tensor->data = NULL;
  expect_fail(&t, NULL, ZR_ERR_TYPE, "no data", "$");
  t.u.tensor->data = keep;
  t.u.tensor->shape[0] = INT64_MAX;
  expect_fail(&t, NULL, ZR_ERR_OVERFLOW, "overflows", NULL);
  t.u.tensor->ndim = 2;
  t.u.tensor->shape[1] = INT64_MAX; /* the element count saturates */
  expect_fail(&t, NULL, ZR_ERR_OVERFLOW, "overflows", NULL);
  t.u.tensor->ndim = 1;
  t.u.tensor->shape[0] = 4;
  t.u.tensor->descr = "[('a', '<i8')]";
  expect_fail(&t, NULL, ZR_ERR_INVALID_ARG, "describes 8-byte items", NULL);
  t.u.tensor->descr = "<i4";
  /* a path deeper than the path record keeps */
  zr_value dm = zr_timestamp(d, 1, ZR_TU_SECOND, NULL);
  for (int i = 0; i < 70; i++) {
    zr_value o = zr_map_new(d, 1);
    zr_map_put_cstr(d, &o, "k", dm);
    dm = o;
  }
  expect_fail(&dm, NULL, ZR_ERR_TYPE, "cannot represent a timestamp", NULL);
  /* an empty tensor needs no data */
  {
    zr_tensor et;
    int64_t zero = 0;
    zr_tensor_init(&et, ZR_DT_FLOAT32, 4, 1, &zero, NULL, NULL);
    zr_value ev = zr_tensor_value(d, &et);
    uint8_t *ep;
    size_t elen;
    zr_error ee;
    assert_int_equal(enc(&ev, NULL, &ep, &elen, NULL, NULL, &ee), ZR_OK);
    zr_doc *eo;
    assert_int_equal(zr_pickle_decode(ep, elen, NULL, 0, NULL, &eo, &ee), ZR_OK);
    assert_int_equal(zr_doc_root(eo)->u.tensor->shape[0], 0);
    zr_doc_free(eo);
    zr_free(ep);
  }
  /* symbols: silent, a warning, or refused when strict */
  {
    zr_value sy = zr_sym_ref("atom", 4);
    uint8_t *sp;
    size_t slen;
    zr_error se;
    assert_int_equal(enc(&sy, NULL, &sp, &slen, NULL, NULL, &se), ZR_OK);
    zr_free(sp);
  }
  zr_value sym = zr_sym_ref("atom", 4);
  zr_pickle_opts po;
  memset(&po, 0, sizeof po);
  zr_warnings w;
  memset(&w, 0, sizeof w);
  po.warnings = &w;
  uint8_t *p;
  size_t len;
  zr_error e;
  assert_int_equal(enc(&sym, &po, &p, &len, NULL, NULL, &e), ZR_OK);
  zr_free(p);
  assert_int_equal(w.count, 1);
  assert_string_equal(w.items[0].path, "$");
  po.warnings = NULL;
  assert_int_equal(enc(&sym, &po, &p, &len, NULL, NULL, &e), ZR_OK); /* neither warnings nor strict */
  zr_free(p);
  po.strict = 1;
  expect_fail(&sym, &po, ZR_ERR_LOSSY, "symbol written as a Python str", "$");
  zr_doc_free(d);
}

/* Allocation failures with the value behind a prefix of every length: the opcode buffer grows at
 * a different opcode of the value each time. Each run fails with NOMEM (error record filled,
 * nothing leaked) until the one that succeeds, whose bytes end like the reference's. */
static void test_shifted_failalloc(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = all_kinds(d, 0);
  uint8_t *pad = zr_doc_alloc(d, 1200, 1);
  memset(pad, 'p', 1200);
  uint8_t *ref;
  size_t rlen;
  zr_error e;
  assert_int_equal(enc(&v, NULL, &ref, &rlen, NULL, NULL, &e), ZR_OK);
  unsigned long fails = 0;
  assert_true(rlen < 1900); /* with k < 1100, the growths at 1024 and 2048 bytes reach every opcode */
  for (size_t k = 0; k < 1100; k += CS_SCALE > 1 ? 7 : 1) {
    zr_value l = zr_list_new(d, 2);
    zr_list_push(d, &l, zr_bin_ref(pad, k));
    zr_list_push(d, &l, v);
    int ok = 0;
    for (uint64_t n = 1; n < 200 && !ok; n++) {
      zr_test_failalloc fa;
      zr_test_failalloc_init(&fa, n);
      zr_pickle_opts po;
      memset(&po, 0, sizeof po);
      po.alloc = &fa.a;
      uint8_t *p;
      size_t len;
      zr_status st = enc(&l, &po, &p, &len, NULL, NULL, &e);
      if (st == ZR_OK) {
        ok = 1;
        assert_true(len > rlen);
        assert_memory_equal(p + len - 2 - (rlen - 3), ref + 2, rlen - 3); /* the value's opcodes, up to the final APPENDS + STOP */
        zr_free(p);
      } else {
        fails++;
        assert_int_equal(st, ZR_ERR_NOMEM);
        assert_int_equal(e.code, ZR_ERR_NOMEM);
      }
      assert_int_equal(fa.live, 0);
    }
    assert_true(ok);
  }
  assert_true(fails > 500 / CS_SCALE);
  zr_free(ref);
  zr_doc_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_values_roundtrip), cmocka_unit_test(test_large_tensors), cmocka_unit_test(test_out_of_band),
      cmocka_unit_test(test_refusals),         cmocka_unit_test(test_shifted_failalloc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
