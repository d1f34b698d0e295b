#include "internal.h"

size_t zr_dtype_size(zr_dtype dt) {
  switch (dt) {
    case ZR_DT_BOOL: case ZR_DT_INT8: case ZR_DT_UINT8: return 1;
    case ZR_DT_INT16: case ZR_DT_UINT16: case ZR_DT_FLOAT16: return 2;
    case ZR_DT_INT32: case ZR_DT_UINT32: case ZR_DT_FLOAT32: return 4;
    case ZR_DT_INT64: case ZR_DT_UINT64: case ZR_DT_FLOAT64: case ZR_DT_COMPLEX64:
    case ZR_DT_DATETIME64: case ZR_DT_TIMEDELTA64: return 8;
    case ZR_DT_COMPLEX128: return 16;
    default: return 0;
  }
}

const char *zr_dtype_name(zr_dtype dt) {
  switch (dt) {
    case ZR_DT_BOOL: return "bool";
    case ZR_DT_INT8: return "int8";
    case ZR_DT_INT16: return "int16";
    case ZR_DT_INT32: return "int32";
    case ZR_DT_INT64: return "int64";
    case ZR_DT_UINT8: return "uint8";
    case ZR_DT_UINT16: return "uint16";
    case ZR_DT_UINT32: return "uint32";
    case ZR_DT_UINT64: return "uint64";
    case ZR_DT_FLOAT16: return "float16";
    case ZR_DT_FLOAT32: return "float32";
    case ZR_DT_FLOAT64: return "float64";
    case ZR_DT_COMPLEX64: return "complex64";
    case ZR_DT_COMPLEX128: return "complex128";
    case ZR_DT_DATETIME64: return "datetime64";
    case ZR_DT_TIMEDELTA64: return "timedelta64";
    case ZR_DT_BYTES: return "bytes";
    case ZR_DT_UNICODE: return "unicode";
    case ZR_DT_VOID: return "void";
    case ZR_DT_LONGDOUBLE: return "longdouble";
  }
  return "invalid";
}

uint64_t zr_tensor_count(const zr_tensor *t) {
  uint64_t n = 1;
  for (uint32_t i = 0; i < t->ndim && i < ZR_TENSOR_MAX_DIMS; i++) {
    if (t->shape[i] < 0) return 0;
    if (zr__mul_overflow(n, (uint64_t)t->shape[i], &n)) return UINT64_MAX;
  }
  return n;
}

static int contiguous(const zr_tensor *t, int fortran) {
  int64_t expect = (int64_t)t->itemsize;
  for (uint32_t k = 0; k < t->ndim; k++)
    if (t->shape[k] == 0) return 1;
  for (uint32_t k = 0; k < t->ndim; k++) {
    uint32_t d = fortran ? k : t->ndim - 1 - k;
    if (t->shape[d] != 1 && t->strides[d] != expect) return 0;
    expect *= t->shape[d];
  }
  return 1;
}

int zr_tensor_is_c_contiguous(const zr_tensor *t) { return t && contiguous(t, 0); }
int zr_tensor_is_f_contiguous(const zr_tensor *t) { return t && contiguous(t, 1); }

zr_status zr_tensor_init(zr_tensor *t, zr_dtype dtype, uint64_t itemsize, uint32_t ndim, const int64_t *shape,
                         void *data, zr_error *err) {
  if (!t || (ndim && !shape)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (ndim > ZR_TENSOR_MAX_DIMS) return zr__err(err, ZR_ERR_LIMIT, -1, "%u dimensions exceed the maximum of %d", ndim, ZR_TENSOR_MAX_DIMS);
  size_t fixed = zr_dtype_size(dtype);
  if (fixed && itemsize != fixed) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "itemsize %llu does not match %s", (unsigned long long)itemsize, zr_dtype_name(dtype));
  if (!itemsize && dtype != ZR_DT_VOID && dtype != ZR_DT_BYTES && dtype != ZR_DT_UNICODE) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "itemsize is 0");
  memset(t, 0, sizeof *t);
  t->dtype = dtype;
  t->itemsize = itemsize;
  t->ndim = ndim;
  uint64_t n = itemsize;
  for (uint32_t i = 0; i < ndim; i++) {
    if (shape[i] < 0) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "negative extent in dimension %u", i);
    t->shape[i] = shape[i];
    if (zr__mul_overflow(n, (uint64_t)shape[i], &n) || n > (uint64_t)INT64_MAX)
      return zr__err(err, ZR_ERR_OVERFLOW, -1, "tensor size overflows");
  }
  uint64_t stride = itemsize; /* with a zero extent the size is 0 but strides may still overflow */
  for (int i = (int)ndim - 1; i >= 0; i--) {
    if (stride > (uint64_t)INT64_MAX) return zr__err(err, ZR_ERR_OVERFLOW, -1, "tensor strides overflow");
    t->strides[i] = (int64_t)stride;
    if (i > 0 && zr__mul_overflow(stride, shape[i] ? (uint64_t)shape[i] : 1, &stride))
      return zr__err(err, ZR_ERR_OVERFLOW, -1, "tensor strides overflow");
  }
  t->data = data;
  t->nbytes = n;
  return ZR_OK;
}
