/* Fault sweeps over the NumPy formats (../formats/cov_sweep.h): .npy of every dtype and layout,
 * .npz with many members (stored, deflated, zip64), the named NumPy, SciPy and CPython pickle
 * files of the fuzz seed corpus, pickle with out-of-band buffers, and scipy.sparse conversions,
 * each through the failing allocator, short or failing sinks, truncation, corruption and limits. */
#include "../formats/cov_sweep.h"
#include "../formats/cov_values.h"
#include "zerial/numpy.h"

static zr_status enc_npz(void *ud, const zr_value *v, const zr_encode_opts *o, zr_sink *sink, zr_error *err) {
  zr_npy_opts no = *(const zr_npy_opts *)ud;
  no.alloc = o ? o->alloc : NULL;
  return zr_npz_encode(v, &no, sink, err);
}

static zr_status dec_npz_nocrc(void *ud, const uint8_t *data, size_t len, const zr_decode_opts *o, zr_doc **out,
                               zr_error *err) {
  (void)ud;
  zr_npy_opts no;
  memset(&no, 0, sizeof no);
  no.skip_crc = 1;
  no.max_header_size = 256;
  return zr_npz_decode(data, len, o, &no, out, err);
}

static zr_status dec_npy_small_header(void *ud, const uint8_t *data, size_t len, const zr_decode_opts *o,
                                      zr_doc **out, zr_error *err) {
  (void)ud;
  zr_npy_opts no;
  memset(&no, 0, sizeof no);
  no.max_header_size = 64;
  return zr_npy_decode(data, len, o, &no, out, err);
}

typedef struct pk {
  zr_pickle_opts po;
  size_t nbuf;
} pk;

static zr_status enc_pickle(void *ud, const zr_value *v, const zr_encode_opts *o, zr_sink *sink, zr_error *err) {
  pk *p = ud;
  zr_pickle_opts po = p->po;
  po.alloc = o ? o->alloc : NULL;
  po.warnings = o ? o->warnings : NULL;
  zr_pickle_buffer *bufs = NULL;
  size_t n = 0;
  zr_status st = zr_pickle_encode(v, &po, sink, &bufs, &n, err);
  if (st == ZR_OK) p->nbuf = n;
  if (bufs) {
    if (po.alloc) po.alloc->free_fn(po.alloc->ud, bufs);
    else zr_free(bufs);
  }
  return st;
}

/* the out-of-band buffers of the last encode, handed to the decoder */
static zr_pickle_buffer *g_bufs;
static size_t g_nbufs;
static zr_status dec_pickle_oob(void *ud, const uint8_t *data, size_t len, const zr_decode_opts *o, zr_doc **out,
                                zr_error *err) {
  (void)ud;
  return zr_pickle_decode(data, len, g_bufs, g_nbufs, o, out, err);
}

static void npy_file(void *ud, const char *what, const char *name, size_t i, const uint8_t *b, size_t len) {
  (void)name;
  (void)i;
  cs_decode_any(what, cs_fmt_decode, ud, b, len);
  cs_decode_hostile(what, dec_npy_small_header, NULL, b, len);
}

static void test_npy(void **state) {
  (void)state;
  const zr_format *f = zr_format_by_name("npy");
  zr_doc *d = zr_doc_new(NULL);
  cv_set all;
  memset(&all, 0, sizeof all);
  cv_tensors(d, &all);
  for (size_t i = 0; i < all.n; i++) {
    char what[96];
    snprintf(what, sizeof what, "npy %s", all.name[i]);
    cs_roundtrip_sweep(what, f, &all.v[i], NULL);
  }
  cs_corpus_each("fuzz/corpus/npy_decode", "npy file", 0, 1, npy_file, (void *)f);
  zr_doc_free(d);
  cs_report("npy");
}

/* a named npz file: the sweep when it decodes, sparse matrices through the failing allocator */
static void npz_file(void *ud, const char *what, const char *name, size_t i, const uint8_t *fb, size_t flen) {
  (void)name;
  (void)i;
  const zr_format *f = ud;
  zr_doc *out = NULL;
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.copy = 1;
  if (f->decode(fb, flen, &o, &out, NULL) == ZR_OK) {
    cs_decode_sweep(what, cs_fmt_decode, (void *)f, fb, flen, NULL);
    /* sparse matrices: to dense and back in each writable layout */
    zr_sparse sp;
    if (zr_sparse_from_npz(zr_doc_root(out), &sp, NULL) == ZR_OK) {
      for (uint64_t k = 1; k < 1000; k++) {
        zr_test_failalloc fa;
        zr_test_failalloc_init(&fa, k);
        zr_doc *sd = zr_doc_new(&fa.a);
        zr_status st = sd ? ZR_OK : ZR_ERR_NOMEM;
        zr_tensor dense;
        zr_error err;
        if (st == ZR_OK) st = zr_sparse_to_dense(&sp, sd, &dense, &err);
        for (int fmt = ZR_SPARSE_CSR; st == ZR_OK && fmt <= ZR_SPARSE_COO; fmt++) {
          zr_sparse s2;
          st = zr_sparse_from_dense(&dense, (zr_sparse_format)fmt, sd, &s2, &err);
          zr_value mv;
          if (st == ZR_OK) st = zr_sparse_to_npz(sd, &s2, &mv, &err);
          zr_sparse s3;
          if (st == ZR_OK) st = zr_sparse_from_npz(&mv, &s3, &err);
        }
        zr_doc_free(sd);
        assert_int_equal(fa.live, 0);
        if (st == ZR_OK) break;
        assert_true(st == ZR_ERR_NOMEM || st == ZR_ERR_LIMIT);
      }
    }
    zr_doc_free(out);
  } else {
    cs_decode_hostile(what, cs_fmt_decode, (void *)f, fb, flen);
  }
  cs_decode_hostile(what, dec_npz_nocrc, NULL, fb, flen);
}

static void test_npz(void **state) {
  (void)state;
  const zr_format *f = zr_format_by_name("npz");
  zr_doc *d = zr_doc_new(NULL);
  cv_set all;
  memset(&all, 0, sizeof all);
  cv_tensors(d, &all);
  zr_value m = zr_map_new(d, 0);
  for (size_t i = 0; i < all.n; i++) {
    char *k = zr_doc_alloc(d, 32, 1);
    int kl = snprintf(k, 32, "m%zu", i);
    zr_map_put(d, &m, zr_str_ref(k, (size_t)kl), all.v[i]);
  }
  cs_roundtrip_sweep("npz", f, &m, NULL);
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.codec = "gzip";
  cs_roundtrip_sweep("npz gzip", f, &m, &eo);
  eo.codec = NULL;
  eo.member = "only";
  size_t len;
  free(cs_encode_sweep("npz member", cs_fmt_encode, (void *)f, &all.v[3], &eo, &len));
  zr_npy_opts no;
  memset(&no, 0, sizeof no);
  no.force_zip64 = 1;
  uint8_t *b = cs_encode_sweep("npz zip64", enc_npz, &no, &m, NULL, &len);
  cs_decode_sweep("npz zip64", cs_fmt_decode, (void *)f, b, len, NULL);
  cs_decode_hostile("npz zip64 nocrc", dec_npz_nocrc, NULL, b, len);
  free(b);
  no.compress = 1;
  b = cs_encode_sweep("npz zip64 deflate", enc_npz, &no, &m, NULL, &len);
  cs_decode_hostile("npz zip64 deflate nocrc", dec_npz_nocrc, NULL, b, len);
  free(b);
  /* the named files: NumPy savez / savez_compressed, scipy.sparse save_npz */
  cs_corpus_each("fuzz/corpus/npz_decode", "npz file", 5, 1, npz_file, (void *)f);
  zr_doc_free(d);
  cs_report("npz");
}

static void pickle_file(void *ud, const char *what, const char *name, size_t i, const uint8_t *b, size_t len) {
  (void)name;
  (void)i;
  cs_decode_any(what, cs_fmt_decode, ud, b, len);
  cs_inspect_any(ud, b, len);
}

static void test_pickle(void **state) {
  (void)state;
  const zr_format *f = zr_format_by_name("pickle");
  zr_doc *d = zr_doc_new(NULL);
  cv_set all;
  cv_all(d, &all, 0);
  zr_value m;
  zr_value l = cv_supported(d, f, &all, NULL, &m);
  /* out-of-band buffers */
  pk p;
  memset(&p, 0, sizeof p);
  p.po.out_of_band = 1;
  p.po.oob_min_bytes = 16;
  size_t len;
  uint8_t *b = cs_encode_sweep("pickle oob", enc_pickle, &p, &l, NULL, &len);
  {
    zr_sink *s = NULL;
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(zr_pickle_encode(&l, &p.po, s, &g_bufs, &g_nbufs, NULL), ZR_OK);
    assert_true(g_nbufs > 0);
    cs_decode_sweep("pickle oob", dec_pickle_oob, NULL, b, len, NULL);
    size_t keep = g_nbufs;
    g_nbufs = keep - 1; /* one buffer missing */
    cs_decode_hostile("pickle oob missing", dec_pickle_oob, NULL, b, len);
    g_nbufs = keep;
    zr_free(g_bufs);
    g_bufs = NULL;
    g_nbufs = 0;
    zr_sink_free(s);
  }
  free(b);
  /* strict: symbols have no pickle form without loss */
  memset(&p, 0, sizeof p);
  p.po.strict = 1;
  zr_value sym = zr_sym_ref("ok", 2);
  uint8_t *w = NULL;
  zr_error err;
  assert_int_equal(cs_encode_mem(enc_pickle, &p, &sym, NULL, &w, &len, &err), ZR_ERR_LOSSY);
  /* the named files: CPython protocols 2-5, NumPy arrays, records, scalars */
  cs_corpus_each("fuzz/corpus/pickle_decode", "pickle file", 10, 1, pickle_file, (void *)f);
  zr_doc_free(d);
  cs_report("pickle");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_npy),
      cmocka_unit_test(test_npz),
      cmocka_unit_test(test_pickle),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
