/* zerial._zerial: the direct decoder of the binary format (bytes -> Python objects).
 *
 * Included once by _zerial.c (it uses that file's static helpers: raise_zr, tensor_new,
 * tensor_factory, timestamp_to_py). It walks the wire bytes as src/formats/binary/decode.c does
 * and builds Python objects straight away, without the intermediate zr_value tree: the same
 * checks, the same limits (max_depth, max_elements, max_bytes charged as the tree decoder would
 * allocate) and the same error codes and byte offsets (docs/formats/binary.md, "Errors a reader
 * reports"). Repeated short map keys share one interned str (a small cache keyed by their bytes);
 * tensors are zero-copy numpy views of the input when aligned, as with the C decoder. */

/* tags (docs/formats/binary.md, "Values") */
enum {
  BT_NULL = 0xC0, BT_FALSE = 0xC1, BT_TRUE = 0xC2, BT_UINT = 0xC3, BT_INT_U8 = 0xC4, BT_INT_U16 = 0xC5,
  BT_INT_U32 = 0xC6, BT_INT_I8 = 0xC7, BT_INT_I16 = 0xC8, BT_INT_I32 = 0xC9, BT_INT_I64 = 0xCA, BT_F32 = 0xCB,
  BT_F64 = 0xCC, BT_F64_F32HINT = 0xCD, BT_BIGINT = 0xCE, BT_STR = 0xCF, BT_BIN = 0xD0, BT_SYM = 0xD1,
  BT_LIST = 0xD2, BT_TUPLE = 0xD3, BT_MAP = 0xD4, BT_TYPED = 0xD5, BT_TIMESTAMP = 0xD6, BT_TENSOR = 0xD7,
  BT_EXT = 0xD8, BT_INT_U24 = 0xD9
};

#define FK_SLOTS 256
#define FK_MAX 32

/* a cached map key: its bytes as two zero-padded words when ≤ 16 bytes (one compare, no memcmp) */
typedef struct {
  PyObject *s;
  uint64_t w0, w1;
  size_t n;
} fkey;

typedef struct {
  const uint8_t *base, *end;
  uint64_t elems;       /* values still allowed */
  uint64_t budget;      /* bytes the tree decoder would still be allowed to allocate */
  uint32_t max_depth;
  int utf8;
  PyObject *holder;     /* keeps the input alive for tensor views */
  int64_t bias;         /* added to reported offsets (an object's offset inside a region) */
  int readonly;
  fkey keys[FK_SLOTS];
} fdec;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static PyObject *
fd_fail(fdec *d, zr_status code, const uint8_t *at, const char *fmt, ...) {
  zr_error e;
  zr_error_clear(&e);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e.message, sizeof e.message, fmt, ap);
  va_end(ap);
  e.code = code;
  e.offset = at ? (int64_t)(at - d->base) + d->bias : -1;
  return raise_zr(code, &e);
}

static PyObject *fd_trunc(fdec *d, const uint8_t *at, const char *what) {
  return fd_fail(d, ZR_ERR_TRUNCATED, at, "input ends inside %s at byte %lld", what, (long long)(at - d->base));
}

/* LEB128 as the spec defines it (≤ 10 bytes; a 10th byte of 0 or 1). NULL with *bad = 1 when it
 * overflows, *bad = 0 when the input ends. */
static const uint8_t *fd_varint(const uint8_t *p, const uint8_t *end, uint64_t *out, int *bad) {
  uint64_t v = 0;
  for (unsigned i = 0; i < 10; i++) {
    if (p >= end) {
      *bad = 0;
      return NULL;
    }
    uint8_t b = *p++;
    if (i == 9 && b > 1) {
      *bad = 1;
      return NULL;
    }
    v |= (uint64_t)(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) {
      *out = v;
      return p;
    }
  }
  *bad = 1;
  return NULL;
}

static PyObject *fd_bad_varint(fdec *d, const uint8_t *at, int bad, const char *what) {
  if (!bad) return fd_trunc(d, at, what);
  return fd_fail(d, ZR_ERR_MALFORMED, at, "%s at byte %lld is not a valid LEB128 number", what, (long long)(at - d->base));
}

static int fd_charge(fdec *d, uint64_t n, const uint8_t *at) {
  if (n > d->budget) {
    fd_fail(d, ZR_ERR_LIMIT, at, "decoding needs more than max_bytes of memory");
    return -1;
  }
  d->budget -= n;
  return 0;
}

static inline int fd_ascii(const uint8_t *s, size_t n) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    acc |= w;
  }
  for (; i < n; i++) acc |= s[i];
  return !(acc & UINT64_C(0x8080808080808080));
}

/* str from UTF-8 bytes (validated as the C decoder does: ZR_ERR_UTF8 at the first bad byte) */
static PyObject *fd_str(fdec *d, const uint8_t *p, size_t n, const char *what) {
  if (fd_ascii(p, n)) {
    PyObject *o = PyUnicode_New((Py_ssize_t)n, 127);
    if (o) memcpy(PyUnicode_DATA(o), p, n);
    return o;
  }
  size_t bad = 0;
  if (d->utf8 && !zr_utf8_valid(p, n, &bad))
    return fd_fail(d, ZR_ERR_UTF8, p + bad, "invalid UTF-8 in %s at byte %lld", what, (long long)(p + bad - d->base));
  /* unvalidated input may carry surrogates and such: keep them as the tree path did */
  return PyUnicode_DecodeUTF8((const char *)p, (Py_ssize_t)n, d->utf8 ? NULL : "surrogateescape");
}

/* A short string map key: one interned str per distinct key. Keys of ≤ 16 bytes are compared as
 * two words; longer ones (≤ FK_MAX) by their bytes. */
static PyObject *fd_key(fdec *d, const uint8_t *p, size_t n) {
  uint64_t w0 = 0, w1 = 0;
  if (n <= 16) {
    if (n >= 8) {
      memcpy(&w0, p, 8);
      memcpy(&w1, p + n - 8, 8); /* overlapping tail: same bytes, same words for equal keys */
    } else if (n >= 4) {
      uint32_t a, b;
      memcpy(&a, p, 4);
      memcpy(&b, p + n - 4, 4);
      w0 = (uint64_t)a | (uint64_t)b << 32;
    } else if (n) {
      w0 = (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
    }
  } else {
    memcpy(&w0, p, 8);
    memcpy(&w1, p + n - 8, 8);
  }
  uint64_t h = (w0 ^ (w1 * UINT64_C(0x9E3779B97F4A7C15)) ^ n) * UINT64_C(0xFF51AFD7ED558CCD);
  fkey *slot = &d->keys[(h >> 40) & (FK_SLOTS - 1)];
  if (slot->s && slot->n == n && slot->w0 == w0 && slot->w1 == w1 &&
      (n <= 16 || memcmp(PyUnicode_DATA(slot->s), p, n) == 0))
    return Py_NewRef(slot->s);
  PyObject *o = fd_str(d, p, n, "a string");
  if (!o) return NULL;
  PyUnicode_InternInPlace(&o);
  if (PyUnicode_IS_COMPACT_ASCII(o)) {
    Py_XSETREF(slot->s, Py_NewRef(o));
    slot->n = n;
    slot->w0 = w0;
    slot->w1 = w1;
  }
  return o;
}

static const uint8_t *fd_value(fdec *d, const uint8_t *p, PyObject **out, uint32_t depth, int is_key);

static inline uint16_t fd_ld16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t fd_ld32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint64_t fd_ld64(const uint8_t *p) { return (uint64_t)fd_ld32(p) | (uint64_t)fd_ld32(p + 4) << 32; }

static const uint8_t *fd_pad(fdec *d, const uint8_t *p, const char *what) {
  if (p >= d->end) {
    fd_trunc(d, p, what);
    return NULL;
  }
  size_t pad = *p++;
  if (pad > (size_t)(d->end - p)) {
    fd_trunc(d, p, what);
    return NULL;
  }
  for (size_t i = 0; i < pad; i++)
    if (p[i]) {
      fd_fail(d, ZR_ERR_MALFORMED, p + i, "non-zero padding byte in %s", what);
      return NULL;
    }
  return p + pad;
}

static const uint8_t *fd_typed(fdec *d, const uint8_t *at, const uint8_t *p, PyObject **out) {
  static const uint8_t sz[8] = {0, 1, 2, 4, 8, 4, 8, 8};
  if (p >= d->end) return fd_trunc(d, p, "a typed list"), NULL;
  unsigned code = *p;
  size_t w = code <= 7 ? sz[code] : 0;
  if (!w) return fd_fail(d, ZR_ERR_MALFORMED, p, "unknown typed-list element code %u", code), NULL;
  uint64_t n;
  int bad = 0;
  const uint8_t *q = fd_varint(p + 1, d->end, &n, &bad);
  if (!q) return fd_bad_varint(d, p + 1, bad, "a typed-list count"), NULL;
  p = fd_pad(d, q, "a typed list");
  if (!p) return NULL;
  if (n > (uint64_t)(d->end - p) / w) return fd_trunc(d, p, "a typed list"), NULL;
  if (n > d->elems) return fd_fail(d, ZR_ERR_LIMIT, at, "more values than max_elements"), NULL;
  d->elems -= n;
  if (fd_charge(d, n * sizeof(zr_value), at) < 0) return NULL;
  PyObject *l = PyList_New((Py_ssize_t)n);
  if (!l) return NULL;
  for (uint64_t i = 0; i < n; i++) {
    PyObject *o;
    switch (code) {
      case 1: o = PyLong_FromLong((int8_t)p[i]); break;
      case 2: o = PyLong_FromLong((int16_t)fd_ld16(p + 2 * i)); break;
      case 3: o = PyLong_FromLong((int32_t)fd_ld32(p + 4 * i)); break;
      case 4: o = PyLong_FromLongLong((int64_t)fd_ld64(p + 8 * i)); break;
      case 7: o = PyLong_FromUnsignedLongLong(fd_ld64(p + 8 * i)); break;
      case 6: {
        double f;
        memcpy(&f, p + 8 * i, 8);
        o = PyFloat_FromDouble(f);
        break;
      }
      default: {
        float f;
        memcpy(&f, p + 4 * i, 4);
        o = PyFloat_FromDouble((double)f);
        break;
      }
    }
    if (!o) {
      Py_DECREF(l);
      return NULL;
    }
    PyList_SET_ITEM(l, (Py_ssize_t)i, o);
  }
  *out = l;
  return p + n * w;
}

static const uint8_t fd_empty_anchor[64] __attribute__((aligned(64)));

/* a NUL-free UTF-8 text field of the tensor/timestamp headers, copied into @p buf (cap bytes) */
static const uint8_t *fd_cstr(fdec *d, const uint8_t *p, uint64_t n, char *buf, size_t cap, const char *what) {
  if (n > (uint64_t)(d->end - p)) return fd_trunc(d, p, what), NULL;
  if (n && memchr(p, 0, (size_t)n)) return fd_fail(d, ZR_ERR_MALFORMED, p, "%s contains a NUL byte", what), NULL;
  size_t bad = 0;
  if (d->utf8 && !zr_utf8_valid(p, (size_t)n, &bad))
    return fd_fail(d, ZR_ERR_UTF8, p + bad, "invalid UTF-8 in %s at byte %lld", what, (long long)(p + bad - d->base)), NULL;
  if (fd_charge(d, n + 1, p) < 0) return NULL;
  if (n >= cap) return fd_fail(d, ZR_ERR_LIMIT, p, "%s of %llu bytes is too long for Python", what, (unsigned long long)n), NULL;
  memcpy(buf, p, (size_t)n);
  buf[n] = 0;
  return p + n;
}

static __attribute__((noinline)) const uint8_t *fd_tensor(fdec *d, const uint8_t *at, const uint8_t *p, PyObject **out) {
  if ((size_t)(d->end - p) < 4) return fd_trunc(d, p, "a tensor header"), NULL;
  unsigned dt = p[0], order = p[1], unit = p[2], ndim = p[3];
  if (dt < ZR_DT_BOOL || dt > ZR_DT_LONGDOUBLE) return fd_fail(d, ZR_ERR_MALFORMED, p, "unknown tensor dtype %u", dt), NULL;
  if (order > ZR_ORDER_BIG) return fd_fail(d, ZR_ERR_MALFORMED, p + 1, "unknown tensor byte order %u", order), NULL;
  if (unit > ZR_TU_GENERIC) return fd_fail(d, ZR_ERR_MALFORMED, p + 2, "unknown tensor time unit %u", unit), NULL;
  if (ndim > ZR_TENSOR_MAX_DIMS)
    return fd_fail(d, ZR_ERR_MALFORMED, p + 3, "tensor has %u dimensions (at most %d)", ndim, ZR_TENSOR_MAX_DIMS), NULL;
  p += 4;
  if (fd_charge(d, sizeof(zr_tensor), at) < 0) return NULL;
  zr_tensor t;
  memset(&t, 0, sizeof t);
  t.dtype = (zr_dtype)dt;
  t.byte_order = (zr_byte_order)order;
  t.time_unit = (zr_time_unit)unit;
  t.ndim = ndim;
  int bad = 0;
  const uint8_t *q = fd_varint(p, d->end, &t.itemsize, &bad);
  if (!q) return fd_bad_varint(d, p, bad, "a tensor itemsize"), NULL;
  size_t fixed = zr_dtype_size(t.dtype);
  if (fixed && t.itemsize != fixed)
    return fd_fail(d, ZR_ERR_MALFORMED, p, "tensor itemsize %llu does not match %s", (unsigned long long)t.itemsize,
                   zr_dtype_name(t.dtype)), NULL;
  p = q;
  uint64_t count = 1;
  for (unsigned i = 0; i < ndim; i++) {
    uint64_t e;
    q = fd_varint(p, d->end, &e, &bad);
    if (!q) return fd_bad_varint(d, p, bad, "a tensor extent"), NULL;
    if (e > (uint64_t)INT64_MAX || __builtin_mul_overflow(count, e, &count))
      return fd_fail(d, ZR_ERR_MALFORMED, p, "tensor extent too large"), NULL;
    t.shape[i] = (int64_t)e;
    p = q;
  }
  uint64_t bytes;
  if (__builtin_mul_overflow(count, t.itemsize, &bytes) || bytes > (uint64_t)INT64_MAX)
    return fd_fail(d, ZR_ERR_MALFORMED, p, "tensor size overflows"), NULL;
  int64_t stride = (int64_t)t.itemsize;
  for (int i = (int)ndim - 1; i >= 0; i--) {
    t.strides[i] = stride;
    stride *= t.shape[i] ? t.shape[i] : 1;
  }
  uint64_t dl;
  q = fd_varint(p, d->end, &dl, &bad);
  if (!q) return fd_bad_varint(d, p, bad, "a tensor descr length"), NULL;
  p = q;
  char descr[512];
  if (dl) {
    p = fd_cstr(d, p, dl - 1, descr, sizeof descr, "a tensor descr");
    if (!p) return NULL;
    t.descr = descr;
  }
  uint64_t len;
  q = fd_varint(p, d->end, &len, &bad);
  if (!q) return fd_bad_varint(d, p, bad, "a tensor data length"), NULL;
  if (len != bytes)
    return fd_fail(d, ZR_ERR_MALFORMED, p, "tensor data length %llu, shape and itemsize give %llu", (unsigned long long)len,
                   (unsigned long long)bytes), NULL;
  p = fd_pad(d, q, "a tensor");
  if (!p) return NULL;
  if (bytes > (uint64_t)(d->end - p)) return fd_trunc(d, p, "tensor data"), NULL;
  t.nbytes = bytes;
  t.data = (void *)(uintptr_t)fd_empty_anchor;
  size_t na = 1;
  while (na < 16 && t.itemsize && t.itemsize % (na * 2) == 0) na *= 2;
  int unaligned = bytes && ((uintptr_t)p & (na - 1)) != 0;
  if (bytes) t.data = (void *)(uintptr_t)p;
  if (unaligned && fd_charge(d, bytes, p) < 0) return NULL;
  PyObject *tobj = tensor_new(&t, d->holder, d->readonly);
  if (!tobj) return NULL;
  ((TensorObject *)tobj)->t.descr = ((TensorObject *)tobj)->descr; /* ours is on the stack */
  if (!tensor_factory) {
    *out = tobj;
    return p + bytes;
  }
  PyObject *arr = PyObject_CallOneArg(tensor_factory, tobj);
  Py_DECREF(tobj);
  if (arr && unaligned) { /* as the C decoder: an aligned copy */
    PyObject *c = PyObject_CallMethod(arr, "copy", NULL);
    Py_DECREF(arr);
    arr = c;
  }
  if (!arr) return NULL;
  *out = arr;
  return p + bytes;
}

/* kept out of fd_value() so its stack frame stays small (deep nesting recurses through it) */
static __attribute__((noinline)) const uint8_t *fd_timestamp(fdec *d, const uint8_t *p, PyObject **out) {
  if (p >= d->end) return fd_trunc(d, p, "a timestamp"), NULL;
  unsigned unit = *p;
  if (unit > ZR_TU_GENERIC) return fd_fail(d, ZR_ERR_MALFORMED, p, "unknown timestamp unit %u", unit), NULL;
  uint64_t n;
  int bad = 0;
  const uint8_t *q = fd_varint(p + 1, d->end, &n, &bad);
  if (!q) return fd_bad_varint(d, p + 1, bad, "a time zone length"), NULL;
  p = q;
  char tz[256];
  if (n) {
    p = fd_cstr(d, p, n - 1, tz, sizeof tz, "a time zone");
    if (!p) return NULL;
  }
  if (d->end - p < 8) return fd_trunc(d, p, "a timestamp"), NULL;
  PyObject *o = timestamp_to_py((int64_t)fd_ld64(p), unit, n ? tz : NULL);
  if (!o) return NULL;
  *out = o;
  return p + 8;
}

static const uint8_t *fd_items(fdec *d, const uint8_t *at, const uint8_t *p, PyObject **out, int tuple, uint64_t n,
                               uint32_t depth) {
  if (depth >= d->max_depth) return fd_fail(d, ZR_ERR_LIMIT, at, "nesting deeper than max_depth (%u)", d->max_depth), NULL;
  if (n > (uint64_t)(d->end - p)) return fd_trunc(d, p, "a list"), NULL;
  if (n > d->elems) return fd_fail(d, ZR_ERR_LIMIT, at, "more values than max_elements"), NULL;
  if (fd_charge(d, n * sizeof(zr_value), at) < 0) return NULL;
  PyObject *seq = tuple ? PyTuple_New((Py_ssize_t)n) : PyList_New((Py_ssize_t)n);
  if (!seq) return NULL;
  for (uint64_t i = 0; i < n; i++) {
    PyObject *it;
    p = fd_value(d, p, &it, depth + 1, 0);
    if (!p) {
      Py_DECREF(seq);
      return NULL;
    }
    if (tuple) PyTuple_SET_ITEM(seq, (Py_ssize_t)i, it);
    else PyList_SET_ITEM(seq, (Py_ssize_t)i, it);
  }
  *out = seq;
  return p;
}

static const uint8_t *fd_map(fdec *d, const uint8_t *at, const uint8_t *p, PyObject **out, uint64_t n, uint32_t depth) {
  if (depth >= d->max_depth) return fd_fail(d, ZR_ERR_LIMIT, at, "nesting deeper than max_depth (%u)", d->max_depth), NULL;
  if (n > (uint64_t)(d->end - p) / 2) return fd_trunc(d, p, "a map"), NULL;
  if (n > d->elems) return fd_fail(d, ZR_ERR_LIMIT, at, "more values than max_elements"), NULL;
  if (fd_charge(d, n * sizeof(zr_member), at) < 0) return NULL;
  PyObject *m = n > 5 ? _PyDict_NewPresized((Py_ssize_t)n) : PyDict_New();
  if (!m) return NULL;
  for (uint64_t i = 0; i < n; i++) {
    PyObject *k, *v;
    p = fd_value(d, p, &k, depth + 1, 1);
    if (!p) break;
    p = fd_value(d, p, &v, depth + 1, 0);
    if (!p) {
      Py_DECREF(k);
      break;
    }
    int r = PyDict_SetItem(m, k, v);
    Py_DECREF(k);
    Py_DECREF(v);
    if (r < 0) {
      p = NULL;
      break;
    }
  }
  if (!p) {
    Py_DECREF(m);
    return NULL;
  }
  *out = m;
  return p;
}

static const uint8_t *fd_value(fdec *d, const uint8_t *p, PyObject **out, uint32_t depth, int is_key) {
  const uint8_t *at = p;
  if (p >= d->end) return fd_trunc(d, p, "a value"), NULL;
  if (d->elems == 0) return fd_fail(d, ZR_ERR_LIMIT, p, "more values than max_elements"), NULL;
  d->elems--;
  uint8_t tag = *p++;
  uint64_t n;
  int bad = 0;
  const uint8_t *q;
  PyObject *o;
  /* the common record values first */
  if (tag < 0x80) {
    *out = PyLong_FromLong(tag); /* small-int cache: never fails */
    return p;
  }
  if (tag < 0xA0) {
    n = tag & 0x1F;
    if (n > (uint64_t)(d->end - p)) return fd_trunc(d, p, "a string"), NULL;
    o = is_key ? fd_key(d, p, (size_t)n) : fd_str(d, p, (size_t)n, "a string");
    if (!o) return NULL;
    *out = o;
    return p + n;
  }
  if (tag >= 0xE0) {
    *out = PyLong_FromLong((int8_t)tag);
    return p;
  }
  switch (tag) {
    case BT_TRUE: *out = Py_NewRef(Py_True); return p;
    case BT_FALSE: *out = Py_NewRef(Py_False); return p;
    case BT_NULL: *out = Py_NewRef(Py_None); return p;
    case BT_F64:
    case BT_F64_F32HINT: {
      if (d->end - p < 8) return fd_trunc(d, p, "a float"), NULL;
      double f;
      memcpy(&f, p, 8);
      o = PyFloat_FromDouble(f);
      if (!o) return NULL;
      *out = o;
      return p + 8;
    }
    case BT_F32: {
      if (d->end - p < 4) return fd_trunc(d, p, "a float"), NULL;
      float f;
      memcpy(&f, p, 4);
      o = PyFloat_FromDouble((double)f);
      if (!o) return NULL;
      *out = o;
      return p + 4;
    }
    case BT_INT_U8:
    case BT_INT_U16:
    case BT_INT_U24:
    case BT_INT_U32:
    case BT_INT_I8:
    case BT_INT_I16:
    case BT_INT_I32:
    case BT_INT_I64: {
      static const uint8_t w_of[] = {1, 2, 4, 1, 2, 4, 8};
      size_t w = tag == BT_INT_U24 ? 3 : w_of[tag - BT_INT_U8];
      if ((size_t)(d->end - p) < w) return fd_trunc(d, p, "an int"), NULL;
      int64_t x;
      switch (tag) {
        case BT_INT_U8: x = p[0]; break;
        case BT_INT_U16: x = fd_ld16(p); break;
        case BT_INT_U24: x = (int64_t)(p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16); break;
        case BT_INT_U32: x = fd_ld32(p); break;
        case BT_INT_I8: x = (int8_t)p[0]; break;
        case BT_INT_I16: x = (int16_t)fd_ld16(p); break;
        case BT_INT_I32: x = (int32_t)fd_ld32(p); break;
        default: x = (int64_t)fd_ld64(p); break;
      }
      o = PyLong_FromLongLong(x);
      if (!o) return NULL;
      *out = o;
      return p + w;
    }
    case 0xA0 ... 0xAF: return fd_items(d, at, p, out, 0, tag & 0x0F, depth);
    case 0xB0 ... 0xBF: return fd_map(d, at, p, out, tag & 0x0F, depth);
    case BT_UINT:
      q = fd_varint(p, d->end, &n, &bad);
      if (!q) return fd_bad_varint(d, p, bad, "a uint"), NULL;
      o = PyLong_FromUnsignedLongLong(n);
      if (!o) return NULL;
      *out = o;
      return q;
    case BT_BIGINT: {
      if (p >= d->end) return fd_trunc(d, p, "a bigint"), NULL;
      if (*p > 1) return fd_fail(d, ZR_ERR_MALFORMED, p, "bigint sign byte %u is not 0 or 1", *p), NULL;
      int neg = *p;
      q = fd_varint(p + 1, d->end, &n, &bad);
      if (!q) return fd_bad_varint(d, p + 1, bad, "a bigint length"), NULL;
      if (n > (uint64_t)(d->end - q)) return fd_trunc(d, q, "a bigint"), NULL;
      PyObject *mag = _PyLong_FromByteArray(q, (size_t)n, 1, 0);
      if (mag && neg) Py_SETREF(mag, PyNumber_Negative(mag));
      if (!mag) return NULL;
      *out = mag;
      return q + n;
    }
    case BT_STR:
    case BT_SYM:
    case BT_BIN: {
      const char *what = tag == BT_STR ? "a string" : tag == BT_SYM ? "a symbol" : "a binary";
      q = fd_varint(p, d->end, &n, &bad);
      if (!q) return fd_bad_varint(d, p, bad, "a length"), NULL;
      if (n > (uint64_t)(d->end - q)) return fd_trunc(d, q, what), NULL;
      o = tag == BT_BIN ? PyBytes_FromStringAndSize((const char *)q, (Py_ssize_t)n)
          : (is_key && n <= FK_MAX) ? fd_key(d, q, (size_t)n) : fd_str(d, q, (size_t)n, what);
      if (!o) return NULL;
      *out = o;
      return q + n;
    }
    case BT_LIST:
    case BT_TUPLE:
      q = fd_varint(p, d->end, &n, &bad);
      if (!q) return fd_bad_varint(d, p, bad, "a count"), NULL;
      return fd_items(d, at, q, out, tag == BT_TUPLE, n, depth);
    case BT_MAP:
      q = fd_varint(p, d->end, &n, &bad);
      if (!q) return fd_bad_varint(d, p, bad, "a count"), NULL;
      return fd_map(d, at, q, out, n, depth);
    case BT_TYPED: return fd_typed(d, at, p, out);
    case BT_TIMESTAMP: return fd_timestamp(d, p, out);
    case BT_TENSOR: return fd_tensor(d, at, p, out);
    case BT_EXT: {
      uint64_t id, ver;
      q = fd_varint(p, d->end, &id, &bad);
      if (!q) return fd_bad_varint(d, p, bad, "an ext type id"), NULL;
      if (id > UINT32_MAX) return fd_fail(d, ZR_ERR_MALFORMED, p, "ext type id %llu exceeds 32 bits", (unsigned long long)id), NULL;
      p = q;
      q = fd_varint(p, d->end, &ver, &bad);
      if (!q) return fd_bad_varint(d, p, bad, "an ext version"), NULL;
      if (ver > UINT16_MAX) return fd_fail(d, ZR_ERR_MALFORMED, p, "ext version %llu exceeds 16 bits", (unsigned long long)ver), NULL;
      p = q;
      q = fd_varint(p, d->end, &n, &bad);
      if (!q) return fd_bad_varint(d, p, bad, "an ext length"), NULL;
      if (n > (uint64_t)(d->end - q)) return fd_trunc(d, q, "an ext"), NULL;
      o = PyBytes_FromStringAndSize((const char *)q, (Py_ssize_t)n);
      if (!o) return NULL;
      *out = o;
      return q + n;
    }
    default:
      return fd_fail(d, ZR_ERR_MALFORMED, at, "unknown tag 0x%02X at byte %lld", tag, (long long)(at - d->base)), NULL;
  }
}

/* Decode a whole binary encoding (header checked by the caller) into a Python object. */
static PyObject *fast_binary_loads(const uint8_t *data, size_t len, const zr_decode_opts *o, PyObject *holder, int readonly,
                                   int64_t bias) {
  fdec *d = PyMem_Malloc(sizeof *d);
  if (!d) return PyErr_NoMemory();
  d->base = data;
  d->end = data + len;
  d->elems = o->max_elements ? o->max_elements : ZR_DEFAULT_MAX_ELEMENTS;
  d->budget = o->max_bytes ? o->max_bytes : ZR_DEFAULT_MAX_BYTES;
  d->max_depth = o->max_depth ? o->max_depth : ZR_DEFAULT_MAX_DEPTH;
  if (d->max_depth > ZR_BINARY_MAX_DEPTH) d->max_depth = ZR_BINARY_MAX_DEPTH; /* as the C decoder */
  d->utf8 = o->validate_utf8 != 0;
  d->holder = holder;
  d->readonly = readonly;
  d->bias = bias;
  memset(d->keys, 0, sizeof d->keys);
  PyObject *root = NULL;
  const uint8_t *p = NULL;
  if (Py_EnterRecursiveCall(" while decoding zerial binary") == 0) {
    ha_begin(len); /* hugearena.h: large decodes fault their objects' memory in 2 MiB at a time */
    p = fd_value(d, data + 4, &root, 0, 0);
    ha_end();
    Py_LeaveRecursiveCall();
  }
  if (p && p != d->end) {
    Py_CLEAR(root);
    fd_fail(d, ZR_ERR_MALFORMED, p, "%lld trailing bytes after the root value", (long long)(d->end - p));
  }
  for (int i = 0; i < FK_SLOTS; i++) Py_XDECREF(d->keys[i].s);
  PyMem_Free(d);
  return p ? root : NULL;
}
