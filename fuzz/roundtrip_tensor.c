/* Round-trip fuzz target for tensors: the input picks a dtype, byte order, shape and layout (C,
 * Fortran or a strided view) and supplies the element bytes. npy, pickle (in band and out of
 * band), npz and binary must each give back an equal tensor, and npy -> pickle -> npy (across
 * formats) an equal tensor (for pickle, which keeps the layout, the same bytes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/binary.h"
#include "zerial/format.h"
#include "zerial/numpy.h"
#include "zerial/value.h"

/* a finding: say which property broke (libFuzzer records the input) */
#define check(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                               \
    }                                                                        \
  } while (0)

static const zr_dtype dtypes[] = {ZR_DT_BOOL,    ZR_DT_INT8,    ZR_DT_INT16,     ZR_DT_INT32,      ZR_DT_INT64,
                                  ZR_DT_UINT8,   ZR_DT_UINT16,  ZR_DT_UINT32,    ZR_DT_UINT64,     ZR_DT_FLOAT16,
                                  ZR_DT_FLOAT32, ZR_DT_FLOAT64, ZR_DT_COMPLEX64, ZR_DT_COMPLEX128, ZR_DT_BYTES};

static zr_sink *encode_with(const char *format, const zr_value *v) {
  zr_sink *s = NULL;
  check(zr_sink_memory_new(NULL, &s, NULL) == ZR_OK);
  check(zr_format_by_name(format)->encode(v, NULL, s, NULL) == ZR_OK);
  return s;
}

static zr_doc *decode_with(const char *format, zr_sink *s) {
  const uint8_t *b;
  size_t n;
  check(zr_sink_memory_data(s, &b, &n) == ZR_OK);
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.copy = 1;
  zr_doc *d = NULL;
  check(zr_format_by_name(format)->decode(b, n, &o, &d, NULL) == ZR_OK);
  return d;
}

static int same_bytes(zr_sink *a, zr_sink *b) {
  const uint8_t *pa, *pb;
  size_t na, nb;
  zr_sink_memory_data(a, &pa, &na);
  zr_sink_memory_data(b, &pb, &nb);
  return na == nb && memcmp(pa, pb, na) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  zr_dtype dt = dtypes[data[0] % (sizeof dtypes / sizeof *dtypes)];
  uint64_t item = dt == ZR_DT_BYTES ? (uint64_t)(1 + data[0] / 16 % 8) : (uint64_t)zr_dtype_size(dt);
  uint32_t ndim = data[1] % 4;
  int64_t shape[3] = {1, 1, 1};
  uint64_t count = 1;
  for (uint32_t k = 0; k < ndim; k++) {
    shape[k] = data[2 + k % 2] >> (k * 2) & 7;
    count *= (uint64_t)shape[k];
  }
  int layout = data[1] / 4 % 3; /* 0: C, 1: Fortran, 2: every other element along axis 0 */
  if (ndim == 0) layout = 0;
  size_t need = (size_t)(count * item * (layout == 2 ? 2 : 1));
  uint8_t *buf = calloc(1, need ? need : 1);
  size_t have = size - 4;
  if (have) memcpy(buf, data + 4, have < need ? have : need);
  if (dt == ZR_DT_BOOL)
    for (size_t k = 0; k < need; k++) buf[k] &= 1;
  zr_tensor t;
  check(zr_tensor_init(&t, dt, item, ndim, shape, buf, NULL) == ZR_OK);
  t.byte_order = (data[1] & 0x80) && item > 1 && dt != ZR_DT_BYTES ? ZR_ORDER_BIG : ZR_ORDER_LITTLE;
  t.nbytes = need;
  if (layout == 1) { /* Fortran strides */
    int64_t st = (int64_t)item;
    for (uint32_t k = 0; k < ndim; k++) {
      t.strides[k] = st;
      st *= shape[k];
    }
  } else if (layout == 2) {
    t.strides[0] *= 2;
  }
  char descr[64]; /* decoders fill the NumPy descr: so does the original */
  check(zr_npy_descr(&t, descr, sizeof descr, NULL) == ZR_OK);
  t.descr = descr;
  zr_doc *d = zr_doc_new(NULL);
  zr_value v = zr_tensor_value(d, &t);
  check(zr_doc_status(d) == ZR_OK);
  static const char *formats[] = {"npy", "pickle", "binary"};
  zr_sink *first_npy = NULL;
  for (int k = 0; k < 3; k++) {
    zr_sink *s = encode_with(formats[k], &v);
    zr_doc *back = decode_with(formats[k], s);
    check(zr_value_equal(&v, zr_doc_root(back)));
    if (k == 0) {
      first_npy = s;
    } else {
      /* across formats: what pickle/binary gave back, written as .npy, reads back equal (the
       * same bytes unless the layout changed: binary stores tensors in C order) */
      zr_sink *again = encode_with("npy", zr_doc_root(back));
      zr_doc *again_doc = decode_with("npy", again);
      check(zr_value_equal(&v, zr_doc_root(again_doc)));
      if (k == 1) check(same_bytes(first_npy, again));
      zr_doc_free(again_doc);
      zr_sink_free(again);
      zr_sink_free(s);
    }
    zr_doc_free(back);
  }
  zr_sink_free(first_npy);
  /* pickle with out-of-band buffers */
  zr_sink *s = NULL;
  check(zr_sink_memory_new(NULL, &s, NULL) == ZR_OK);
  zr_pickle_opts po = {.out_of_band = 1};
  zr_pickle_buffer *bufs = NULL;
  size_t nb = 0;
  check(zr_pickle_encode(&v, &po, s, &bufs, &nb, NULL) == ZR_OK);
  const uint8_t *pb;
  size_t pn;
  zr_sink_memory_data(s, &pb, &pn);
  zr_doc *back = NULL;
  check(zr_pickle_decode(pb, pn, bufs, nb, NULL, &back, NULL) == ZR_OK);
  check(zr_value_equal(&v, zr_doc_root(back)));
  zr_doc_free(back);
  zr_free(bufs);
  zr_sink_free(s);
  /* npz with the tensor as its one member */
  check(zr_sink_memory_new(NULL, &s, NULL) == ZR_OK);
  zr_npy_opts no = {0};
  no.compress = data[2] & 1;
  check(zr_npz_encode(&v, &no, s, NULL) == ZR_OK);
  zr_sink_memory_data(s, &pb, &pn);
  check(zr_npz_decode(pb, pn, NULL, NULL, &back, NULL) == ZR_OK);
  const zr_value *root = zr_doc_root(back);
  if (root->kind == ZR_KIND_MAP) root = zr_map_get(root, "arr_0", 5);
  check(root && zr_value_equal(&v, root));
  zr_doc_free(back);
  zr_sink_free(s);
  zr_doc_free(d);
  free(buf);
  return 0;
}
