/* zerial._zerial: the CPython extension behind the `zerial` package.
 *
 * Converts Python objects to zr_value trees and back, runs the library's formats, and maps
 * shared-memory regions. Arrays never pass through copies on the way out: a decoded tensor
 * becomes a `zerial.Tensor` (buffer protocol + DLPack) that keeps its memory's owner alive (the
 * decoded doc and the caller's input buffer, or a reference on the shared-memory region), and
 * the package turns it into a numpy array viewing that memory. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "zerial/alloc.h"
#include "zerial/binary.h"
#include "zerial/io.h"
#include "zerial/status.h"
#include "zerial/tensor.h"
#include "zerial/value.h"
#include "zerial/numpy.h"

/* from zerial.h (the umbrella is not needed here) */
ZR_API const char *zr_version_string(void);
#include "zerial/format.h"
#include "zerial/shm.h"
#include "zerial/arrow.h"
#include "zerial/serialize.h"

/* ------------------------------------------------------------------------------------------ */
/* errors */

static PyObject *Error, *DecodeError, *EncodeError, *StateError, *NotFoundError, *LimitError;
static PyObject *tensor_factory; /* callable(Tensor) -> numpy.ndarray, set by the package */
static PyObject *timestamp_factory; /* callable(value, unit, tz) -> datetime / numpy.datetime64 */
static PyObject *datetime_converter; /* callable(obj) -> (value, unit, tz) or None */
static PyTypeObject RegionType;
static PyTypeObject *region_class; /* the package's subclass of Region (Python-level helpers) */

static PyObject *error_class(zr_status st) {
  switch (st) {
    case ZR_ERR_TRUNCATED: case ZR_ERR_MALFORMED: case ZR_ERR_CHECKSUM: case ZR_ERR_UTF8:
    case ZR_ERR_FORMAT: case ZR_ERR_VERSION: case ZR_ERR_ALIGNMENT: case ZR_ERR_EOF:
      return DecodeError;
    case ZR_ERR_TYPE: case ZR_ERR_LOSSY: return EncodeError;
    case ZR_ERR_STATE: case ZR_ERR_BUSY: case ZR_ERR_EXISTS: return StateError;
    case ZR_ERR_NOT_FOUND: return NotFoundError;
    case ZR_ERR_LIMIT: case ZR_ERR_NOSPACE: case ZR_ERR_OVERFLOW: case ZR_ERR_NOMEM: return LimitError;
    default: return Error;
  }
}

/* Raise the zerial.Error subclass for @p st with the C message, offset and path. Returns NULL. */
static PyObject *raise_zr(zr_status st, const zr_error *err) {
  PyObject *cls = error_class(st);
  const char *msg = (err && err->message[0]) ? err->message : zr_strerror(st);
  PyObject *exc = PyObject_CallFunction(cls, "s", msg);
  if (!exc) return NULL;
  PyObject *code = PyLong_FromLong(st);
  const char *sname = zr_status_name(st);
  PyObject *name = PyUnicode_FromString(sname ? sname : "UNKNOWN");
  PyObject *off = (err && err->offset >= 0) ? PyLong_FromLongLong(err->offset) : Py_NewRef(Py_None);
  PyObject *path = (err && err->path[0]) ? PyUnicode_FromString(err->path) : Py_NewRef(Py_None);
  PyObject *m = PyUnicode_FromString(msg);
  if (code && name && off && path && m) {
    PyObject_SetAttrString(exc, "code", code);
    PyObject_SetAttrString(exc, "status", name);
    PyObject_SetAttrString(exc, "offset", off);
    PyObject_SetAttrString(exc, "path", path);
    PyObject_SetAttrString(exc, "message", m);
  }
  Py_XDECREF(code);
  Py_XDECREF(name);
  Py_XDECREF(off);
  Py_XDECREF(path);
  Py_XDECREF(m);
  PyErr_SetObject(cls, exc);
  Py_DECREF(exc);
  return NULL;
}

static PyObject *raise_msg(zr_status st, const char *msg) {
  zr_error e;
  zr_error_clear(&e);
  snprintf(e.message, sizeof e.message, "%s", msg);
  return raise_zr(st, &e);
}

/* ------------------------------------------------------------------------------------------ */
/* _Doc: owns a decoded doc and the input buffer it borrows from */

typedef struct {
  PyObject_HEAD
  zr_doc *doc;
  Py_buffer input;
  int has_input;
} DocObject;

static void Doc_dealloc(DocObject *self) {
  zr_doc_free(self->doc);
  if (self->has_input) PyBuffer_Release(&self->input);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject DocType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "zerial._zerial._Doc",
    .tp_basicsize = sizeof(DocObject),
    .tp_dealloc = (destructor)Doc_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Keeps a decoded document and its input alive while views exist.",
};

/* ------------------------------------------------------------------------------------------ */
/* Tensor: a view of n-dimensional memory owned by someone else */

typedef struct {
  PyObject_HEAD
  PyObject *owner;               /* keeps the memory alive (a _Doc), or NULL */
  void (*release)(void *);       /* or this C release (region reference) */
  void *release_owner;
  zr_tensor t;
  int readonly;
  char descr[512];
  Py_ssize_t lo, hi;             /* byte range [data+lo, data+hi) covering every element */
  Py_ssize_t shape1[1], strides1[1];
  Py_ssize_t exports;
} TensorObject;

static PyTypeObject TensorType;

static void Tensor_dealloc(TensorObject *self) {
  Py_XDECREF(self->owner);
  if (self->release) self->release(self->release_owner);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Wrap @p t (memory kept alive by @p owner or by @p t->release). Steals the release duty. */
static PyObject *tensor_new(const zr_tensor *t, PyObject *owner, int readonly) {
  TensorObject *o = PyObject_New(TensorObject, &TensorType);
  if (!o) {
    if (t->release) t->release(t->owner);
    return NULL;
  }
  o->owner = owner;
  Py_XINCREF(owner);
  o->t = *t;
  o->release = t->release;
  o->release_owner = t->owner;
  o->t.release = NULL;
  o->readonly = readonly;
  o->exports = 0;
  zr_error err;
  zr_status st = zr_npy_descr(t, o->descr, sizeof o->descr, &err);
  if (st != ZR_OK) {
    Py_DECREF(o);
    return raise_zr(st, &err);
  }
  /* the byte range the view spans */
  int64_t lo = 0, hi = (int64_t)t->itemsize;
  int empty = 0;
  for (uint32_t i = 0; i < t->ndim; i++) {
    if (t->shape[i] == 0) empty = 1;
    int64_t span = (t->shape[i] - 1) * t->strides[i];
    if (span < 0) lo += span;
    else hi += span;
  }
  if (empty) lo = hi = 0;
  o->lo = (Py_ssize_t)lo;
  o->hi = (Py_ssize_t)hi;
  return (PyObject *)o;
}

static int Tensor_getbuffer(TensorObject *self, Py_buffer *view, int flags) {
  if ((flags & PyBUF_WRITABLE) && self->readonly) {
    PyErr_SetString(PyExc_BufferError, "zerial.Tensor: the memory is read-only");
    return -1;
  }
  static char fmt_b[] = "B";
  view->obj = Py_NewRef((PyObject *)self);
  view->buf = (char *)self->t.data + self->lo;
  view->len = self->hi - self->lo;
  view->readonly = self->readonly;
  view->itemsize = 1;
  view->format = (flags & PyBUF_FORMAT) ? fmt_b : NULL;
  view->ndim = 1;
  self->shape1[0] = view->len;
  self->strides1[0] = 1;
  view->shape = (flags & PyBUF_ND) ? self->shape1 : NULL;
  view->strides = (flags & PyBUF_STRIDES) ? self->strides1 : NULL;
  view->suboffsets = NULL;
  view->internal = NULL;
  if (!view->buf) view->buf = (void *)"";
  self->exports++;
  return 0;
}

static void Tensor_releasebuffer(TensorObject *self, Py_buffer *view) {
  (void)view;
  self->exports--;
}

static PyBufferProcs Tensor_as_buffer = {(getbufferproc)Tensor_getbuffer, (releasebufferproc)Tensor_releasebuffer};

static PyObject *Tensor_get_dtype(TensorObject *self, void *c) {
  (void)c;
  return PyUnicode_FromString(self->descr);
}
static PyObject *Tensor_get_shape(TensorObject *self, void *c) {
  (void)c;
  PyObject *tup = PyTuple_New(self->t.ndim);
  for (uint32_t i = 0; tup && i < self->t.ndim; i++) PyTuple_SET_ITEM(tup, i, PyLong_FromLongLong(self->t.shape[i]));
  return tup;
}
static PyObject *Tensor_get_strides(TensorObject *self, void *c) {
  (void)c;
  PyObject *tup = PyTuple_New(self->t.ndim);
  for (uint32_t i = 0; tup && i < self->t.ndim; i++) PyTuple_SET_ITEM(tup, i, PyLong_FromLongLong(self->t.strides[i]));
  return tup;
}
static PyObject *Tensor_get_offset(TensorObject *self, void *c) {
  (void)c;
  return PyLong_FromSsize_t(-self->lo);
}
static PyObject *Tensor_get_address(TensorObject *self, void *c) {
  (void)c;
  return PyLong_FromVoidPtr(self->t.data);
}
static PyObject *Tensor_get_nbytes(TensorObject *self, void *c) {
  (void)c;
  return PyLong_FromUnsignedLongLong(zr_tensor_count(&self->t) * self->t.itemsize);
}
static PyObject *Tensor_get_readonly(TensorObject *self, void *c) {
  (void)c;
  return PyBool_FromLong(self->readonly);
}

/* ---- DLPack (structures as the DLPack specification defines them, version 0.x ABI) ---- */
typedef struct { int32_t device_type; int32_t device_id; } DLDevice;
typedef struct { uint8_t code; uint8_t bits; uint16_t lanes; } DLDataType;
typedef struct {
  void *data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t *shape;
  int64_t *strides;
  uint64_t byte_offset;
} DLTensor;
typedef struct DLManagedTensor {
  DLTensor dl_tensor;
  void *manager_ctx;
  void (*deleter)(struct DLManagedTensor *self);
} DLManagedTensor;
enum { DL_CPU = 1, DL_INT = 0, DL_UINT = 1, DL_FLOAT = 2, DL_COMPLEX = 5, DL_BOOL = 6 };

typedef struct {
  DLManagedTensor m;
  int64_t shape[ZR_TENSOR_MAX_DIMS], strides[ZR_TENSOR_MAX_DIMS];
  PyObject *tensor;
} DLHolder;

static void dl_deleter(DLManagedTensor *m) {
  DLHolder *h = (DLHolder *)m;
  PyGILState_STATE g = PyGILState_Ensure();
  Py_XDECREF(h->tensor);
  PyMem_RawFree(h);
  PyGILState_Release(g);
}

static void dl_capsule_destructor(PyObject *cap) {
  if (PyCapsule_IsValid(cap, "dltensor")) { /* never consumed */
    DLManagedTensor *m = PyCapsule_GetPointer(cap, "dltensor");
    if (m && m->deleter) m->deleter(m);
  } else {
    PyErr_Clear();
  }
}

static PyObject *Tensor_dlpack(TensorObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"stream", NULL};
  PyObject *stream = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "|O", kwlist, &stream)) return NULL;
  if (stream != Py_None) {
    PyErr_SetString(PyExc_RuntimeError, "zerial.Tensor lives on the CPU: stream must be None");
    return NULL;
  }
  if (self->readonly) {
    PyErr_SetString(PyExc_BufferError, "cannot export a read-only zerial.Tensor through DLPack (it cannot signal "
                                       "read-only memory); open the region with write=True or use numpy()");
    return NULL;
  }
  DLDataType dt = {0, (uint8_t)(self->t.itemsize * 8), 1};
  switch (self->t.dtype) {
    case ZR_DT_BOOL: dt.code = DL_BOOL; break;
    case ZR_DT_INT8: case ZR_DT_INT16: case ZR_DT_INT32: case ZR_DT_INT64: dt.code = DL_INT; break;
    case ZR_DT_UINT8: case ZR_DT_UINT16: case ZR_DT_UINT32: case ZR_DT_UINT64: dt.code = DL_UINT; break;
    case ZR_DT_FLOAT16: case ZR_DT_FLOAT32: case ZR_DT_FLOAT64: dt.code = DL_FLOAT; break;
    case ZR_DT_COMPLEX64: case ZR_DT_COMPLEX128: dt.code = DL_COMPLEX; break;
    default:
      PyErr_Format(PyExc_BufferError, "DLPack cannot describe dtype %s", zr_dtype_name(self->t.dtype));
      return NULL;
  }
  if (self->t.byte_order == ZR_ORDER_BIG && self->t.itemsize > 1) {
    PyErr_SetString(PyExc_BufferError, "DLPack needs native byte order");
    return NULL;
  }
  DLHolder *h = PyMem_RawCalloc(1, sizeof *h);
  if (!h) return PyErr_NoMemory();
  for (uint32_t i = 0; i < self->t.ndim; i++) {
    if (self->t.strides[i] % (int64_t)self->t.itemsize) {
      PyMem_RawFree(h);
      PyErr_SetString(PyExc_BufferError, "strides are not a multiple of the item size");
      return NULL;
    }
    h->shape[i] = self->t.shape[i];
    h->strides[i] = self->t.strides[i] / (int64_t)self->t.itemsize;
  }
  h->m.dl_tensor.data = self->t.data;
  h->m.dl_tensor.device.device_type = DL_CPU;
  h->m.dl_tensor.ndim = (int32_t)self->t.ndim;
  h->m.dl_tensor.dtype = dt;
  h->m.dl_tensor.shape = h->shape;
  h->m.dl_tensor.strides = h->strides;
  h->m.manager_ctx = h;
  h->m.deleter = dl_deleter;
  h->tensor = Py_NewRef((PyObject *)self);
  PyObject *cap = PyCapsule_New(&h->m, "dltensor", dl_capsule_destructor);
  if (!cap) dl_deleter(&h->m);
  return cap;
}

static PyObject *Tensor_dlpack_device(TensorObject *self, PyObject *unused) {
  (void)self;
  (void)unused;
  return Py_BuildValue("(ii)", DL_CPU, 0);
}

static PyObject *Tensor_numpy(TensorObject *self, PyObject *unused) {
  (void)unused;
  if (!tensor_factory) return raise_msg(ZR_ERR_STATE, "no tensor factory registered");
  return PyObject_CallOneArg(tensor_factory, (PyObject *)self);
}

static PyObject *Tensor_repr(TensorObject *self) {
  PyObject *shape = Tensor_get_shape(self, NULL);
  if (!shape) return NULL;
  PyObject *r = PyUnicode_FromFormat("zerial.Tensor(dtype='%s', shape=%R, readonly=%s)", self->descr, shape,
                                     self->readonly ? "True" : "False");
  Py_DECREF(shape);
  return r;
}

static PyGetSetDef Tensor_getset[] = {
    {"dtype", (getter)Tensor_get_dtype, NULL, "NumPy dtype description (str, e.g. '<f4')", NULL},
    {"shape", (getter)Tensor_get_shape, NULL, "extents", NULL},
    {"strides", (getter)Tensor_get_strides, NULL, "byte strides", NULL},
    {"offset", (getter)Tensor_get_offset, NULL, "offset of element 0 inside the exported buffer", NULL},
    {"address", (getter)Tensor_get_address, NULL, "address of element 0", NULL},
    {"nbytes", (getter)Tensor_get_nbytes, NULL, "bytes of the elements", NULL},
    {"readonly", (getter)Tensor_get_readonly, NULL, "whether the memory is read-only", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef Tensor_methods[] = {
    {"__dlpack__", (PyCFunction)(void (*)(void))Tensor_dlpack, METH_VARARGS | METH_KEYWORDS,
     "DLPack capsule viewing the memory (CPU); numpy.from_dlpack takes it without a copy."},
    {"__dlpack_device__", (PyCFunction)Tensor_dlpack_device, METH_NOARGS, "(device type, id): (1, 0), the CPU."},
    {"numpy", (PyCFunction)Tensor_numpy, METH_NOARGS, "A numpy array viewing the same memory (no copy)."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject TensorType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "zerial.Tensor",
    .tp_basicsize = sizeof(TensorObject),
    .tp_dealloc = (destructor)Tensor_dealloc,
    .tp_repr = (reprfunc)Tensor_repr,
    .tp_as_buffer = &Tensor_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An n-dimensional array viewing memory zerial decoded or mapped (no copy). Buffer protocol "
              "(flat bytes), DLPack, numpy().",
    .tp_methods = Tensor_methods,
    .tp_getset = Tensor_getset,
};

/* ------------------------------------------------------------------------------------------ */
/* zr_value -> Python */

typedef struct py_ctx py_ctx;
static PyObject *table_to_py(const zr_table *t, py_ctx *c);

/* State of one conversion: who keeps the memory alive, and a cache of short map keys (records
 * repeat their keys: one str object per distinct key, as pickle's memo gives). */
#define KEY_CACHE 512
#define KEY_MAX 48
struct py_ctx {
  PyObject *holder;
  int readonly;
  PyObject *keys[KEY_CACHE];
};

static void py_ctx_init(py_ctx *c, PyObject *holder, int readonly) {
  c->holder = holder;
  c->readonly = readonly;
  memset(c->keys, 0, sizeof c->keys);
}

static void py_ctx_free(py_ctx *c) {
  for (int i = 0; i < KEY_CACHE; i++) Py_XDECREF(c->keys[i]);
}

static PyObject *to_py(const zr_value *v, py_ctx *c, unsigned depth);

/* A timestamp (value units since the epoch, unit a zr_time_unit, tz NULL or a zone name) as the
 * package's factory makes it: numpy.datetime64 with the unit, or an aware datetime with a zone. */
static PyObject *timestamp_to_py(int64_t value, unsigned unit, const char *tz) {
  if (!timestamp_factory) return PyLong_FromLongLong(value);
  return PyObject_CallFunction(timestamp_factory, "LIs", (long long)value, unit, tz);
}

static PyObject *tensor_to_py(const zr_tensor *t, py_ctx *c) {
  zr_tensor copy = *t;
  copy.release = NULL; /* the doc releases its tensors */
  PyObject *tobj = tensor_new(&copy, c->holder, c->readonly);
  if (!tobj) return NULL;
  if (!tensor_factory) return tobj;
  PyObject *arr = PyObject_CallOneArg(tensor_factory, tobj);
  Py_DECREF(tobj);
  return arr;
}

static PyObject *key_to_py(const zr_value *k, py_ctx *c, unsigned depth) {
  if (k->kind != ZR_KIND_STRING || k->n.len > KEY_MAX) return to_py(k, c, depth);
  const unsigned char *p = (const unsigned char *)k->u.str;
  size_t n = (size_t)k->n.len;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  PyObject **slot = &c->keys[h % KEY_CACHE];
  if (*slot) {
    Py_ssize_t sn;
    const char *sp = PyUnicode_AsUTF8AndSize(*slot, &sn);
    if (sp && (size_t)sn == n && memcmp(sp, p, n) == 0) return Py_NewRef(*slot);
  }
  PyObject *o = PyUnicode_DecodeUTF8((const char *)p, (Py_ssize_t)n, "surrogatepass");
  if (o) {
    PyUnicode_InternInPlace(&o);
    Py_XSETREF(*slot, Py_NewRef(o));
  }
  return o;
}

static PyObject *to_py(const zr_value *v, py_ctx *c, unsigned depth) {
  if (depth > 1000) return raise_msg(ZR_ERR_LIMIT, "value nested too deeply for Python");
  switch ((zr_kind)v->kind) {
    case ZR_KIND_NULL: Py_RETURN_NONE;
    case ZR_KIND_BOOL: return PyBool_FromLong(v->u.b);
    case ZR_KIND_INT: return PyLong_FromLongLong(v->u.i);
    case ZR_KIND_UINT: return PyLong_FromUnsignedLongLong(v->u.u);
    case ZR_KIND_BIGINT: {
      PyObject *mag = _PyLong_FromByteArray(v->u.bin, (size_t)v->n.len, 1, 0);
      if (!mag || !(v->flags & ZR_VF_NEGATIVE)) return mag;
      PyObject *neg = PyNumber_Negative(mag);
      Py_DECREF(mag);
      return neg;
    }
    case ZR_KIND_FLOAT: return PyFloat_FromDouble(v->u.f);
    case ZR_KIND_STRING:
    case ZR_KIND_SYMBOL: return PyUnicode_DecodeUTF8(v->u.str, (Py_ssize_t)v->n.len, "surrogatepass");
    case ZR_KIND_BINARY:
    case ZR_KIND_EXT: return PyBytes_FromStringAndSize((const char *)v->u.bin, (Py_ssize_t)v->n.len);
    case ZR_KIND_TIMESTAMP: return timestamp_to_py(v->u.i, v->aux16, v->n.tz);
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE: {
      Py_ssize_t n = (Py_ssize_t)v->n.len;
      PyObject *seq = v->kind == ZR_KIND_LIST ? PyList_New(n) : PyTuple_New(n);
      if (!seq) return NULL;
      for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = to_py(&v->u.items[i], c, depth + 1);
        if (!it) {
          Py_DECREF(seq);
          return NULL;
        }
        if (v->kind == ZR_KIND_LIST) PyList_SET_ITEM(seq, i, it);
        else PyTuple_SET_ITEM(seq, i, it);
      }
      return seq;
    }
    case ZR_KIND_MAP: {
      PyObject *d = _PyDict_NewPresized((Py_ssize_t)v->n.len);
      if (!d) return NULL;
      for (uint64_t i = 0; i < v->n.len; i++) {
        PyObject *k = key_to_py(&v->u.members[i].key, c, depth + 1);
        PyObject *val = k ? to_py(&v->u.members[i].val, c, depth + 1) : NULL;
        if (!k || !val || PyDict_SetItem(d, k, val) < 0) {
          Py_XDECREF(k);
          Py_XDECREF(val);
          Py_DECREF(d);
          return NULL;
        }
        Py_DECREF(k);
        Py_DECREF(val);
      }
      return d;
    }
    case ZR_KIND_TENSOR: return tensor_to_py(v->u.tensor, c);
    case ZR_KIND_TABLE: return table_to_py(v->u.table, c);
  }
  return raise_msg(ZR_ERR_MALFORMED, "unknown value kind");
}

/* Convert a whole doc's root. */
static PyObject *doc_to_py(const zr_value *root, PyObject *holder, int readonly) {
  py_ctx *c = PyMem_Malloc(sizeof *c);
  if (!c) return PyErr_NoMemory();
  py_ctx_init(c, holder, readonly);
  PyObject *r = to_py(root, c, 0);
  py_ctx_free(c);
  PyMem_Free(c);
  return r;
}

#include "hugearena.h"
#include "binload.h"

/* ------------------------------------------------------------------------------------------ */
/* Table: an Arrow table decoded by zerial (the doc keeps its buffers alive) */

typedef struct {
  PyObject_HEAD
  PyObject *holder; /* the _Doc owning the table */
  const zr_table *t;
  int readonly;
} TableObject;

static PyTypeObject TableType;

static void Table_dealloc(TableObject *self) {
  Py_XDECREF(self->holder);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Table_get_num_rows(TableObject *self, void *c) {
  (void)c;
  return PyLong_FromLongLong(zr_table_num_rows(self->t));
}
static PyObject *Table_get_num_batches(TableObject *self, void *c) {
  (void)c;
  return PyLong_FromLongLong(self->t->n_batches);
}
static PyObject *Table_get_column_names(TableObject *self, void *c) {
  (void)c;
  const struct ArrowSchema *s = &self->t->schema;
  PyObject *l = PyList_New(s->n_children);
  for (int64_t i = 0; l && i < s->n_children; i++) {
    const char *n = s->children[i]->name;
    PyList_SET_ITEM(l, i, PyUnicode_FromString(n ? n : ""));
  }
  return l;
}
static PyObject *Table_get_column_formats(TableObject *self, void *c) {
  (void)c;
  const struct ArrowSchema *s = &self->t->schema;
  PyObject *l = PyList_New(s->n_children);
  for (int64_t i = 0; l && i < s->n_children; i++) PyList_SET_ITEM(l, i, PyUnicode_FromString(s->children[i]->format));
  return l;
}

/* The (kind, values, validity, bit_offset, length) tuple of Table_column; NULL (validity released)
 * when @p values is NULL. Steals both references. */
static PyObject *column_result(const char *kind, PyObject *values, PyObject *validity, int64_t off, int64_t len) {
  if (!values) {
    Py_DECREF(validity);
    return NULL;
  }
  return Py_BuildValue("(sNNLL)", kind, values, validity, (long long)(off % 8), (long long)len);
}

/* A numpy array viewing @p len elements of @p dt (@p isz bytes each, time unit @p tu for
 * datetime64) of the column's value buffer from element @p off; NULL on failure. */
static PyObject *column_array(TableObject *self, const struct ArrowArray *col, zr_dtype dt, size_t isz, zr_time_unit tu,
                              int64_t off, int64_t len) {
  zr_tensor tt;
  int64_t n = len;
  const uint8_t *data = col->buffers[1] ? (const uint8_t *)col->buffers[1] + off * (int64_t)isz : NULL;
  zr_tensor_init(&tt, dt, isz, 1, &n, (void *)(uintptr_t)data, NULL);
  if (dt == ZR_DT_DATETIME64) tt.time_unit = tu;
  PyObject *to = tensor_new(&tt, self->holder, self->readonly);
  PyObject *arr = to && tensor_factory ? PyObject_CallOneArg(tensor_factory, to) : NULL;
  Py_XDECREF(to);
  return arr;
}

/* Column @p i of batch @p b as (kind, values, validity, bit_offset, length): kind "array" (values a
 * numpy array viewing the Arrow buffer), "bool" (values the bit-packed bytes), "str" (a list). */
static PyObject *Table_column(TableObject *self, PyObject *args) {
  long long b, i;
  if (!PyArg_ParseTuple(args, "LL", &b, &i)) return NULL;
  const zr_table *t = self->t;
  if (b < 0 || b >= t->n_batches || i < 0 || i >= t->schema.n_children) {
    PyErr_SetString(PyExc_IndexError, "batch or column out of range");
    return NULL;
  }
  const struct ArrowArray *batch = &t->batches[b];
  const struct ArrowArray *col = batch->children[i];
  const char *fmt = t->schema.children[i]->format;
  int64_t len = batch->length, off = batch->offset + col->offset;
  PyObject *validity = Py_None;
  Py_INCREF(validity);
  if (col->null_count != 0 && col->n_buffers > 0 && col->buffers[0]) {
    Py_DECREF(validity);
    validity = PyBytes_FromStringAndSize((const char *)col->buffers[0] + off / 8, (Py_ssize_t)((off % 8 + len + 7) / 8));
    if (!validity) return NULL;
  }
  static const struct { const char *f; zr_dtype dt; } prim[] = {
      {"c", ZR_DT_INT8}, {"C", ZR_DT_UINT8}, {"s", ZR_DT_INT16}, {"S", ZR_DT_UINT16}, {"i", ZR_DT_INT32},
      {"I", ZR_DT_UINT32}, {"l", ZR_DT_INT64}, {"L", ZR_DT_UINT64}, {"e", ZR_DT_FLOAT16}, {"f", ZR_DT_FLOAT32},
      {"g", ZR_DT_FLOAT64}};
  for (size_t k = 0; k < sizeof prim / sizeof prim[0]; k++) {
    if (strcmp(fmt, prim[k].f) != 0) continue;
    PyObject *arr = column_array(self, col, prim[k].dt, zr_dtype_size(prim[k].dt), ZR_TU_MILLI, off, len);
    return column_result("array", arr, validity, off, len);
  }
  /* timestamps (tss:/tsm:/tsu:/tsn:, any zone) and date64 (tdm): datetime64 views of the int64s */
  if ((strncmp(fmt, "ts", 2) == 0 && fmt[2] && fmt[3] == ':') || strcmp(fmt, "tdm") == 0) {
    zr_time_unit u = ZR_TU_MILLI;
    if (fmt[1] == 's') u = fmt[2] == 's' ? ZR_TU_SECOND : fmt[2] == 'm' ? ZR_TU_MILLI : fmt[2] == 'u' ? ZR_TU_MICRO : ZR_TU_NANO;
    return column_result("array", column_array(self, col, ZR_DT_DATETIME64, 8, u, off, len), validity, off, len);
  }
  if (strcmp(fmt, "b") == 0) {
    PyObject *bits = PyBytes_FromStringAndSize((const char *)col->buffers[1] + off / 8, (Py_ssize_t)((off % 8 + len + 7) / 8));
    return column_result("bool", bits, validity, off, len);
  }
  if (strcmp(fmt, "u") == 0 || strcmp(fmt, "U") == 0 || strcmp(fmt, "z") == 0 || strcmp(fmt, "Z") == 0) {
    int large = fmt[0] == 'U' || fmt[0] == 'Z', text = fmt[0] == 'u' || fmt[0] == 'U';
    PyObject *l = PyList_New((Py_ssize_t)len);
    for (int64_t r = 0; l && r < len; r++) {
      int64_t a, e;
      if (large) {
        a = ((const int64_t *)col->buffers[1])[off + r];
        e = ((const int64_t *)col->buffers[1])[off + r + 1];
      } else {
        a = ((const int32_t *)col->buffers[1])[off + r];
        e = ((const int32_t *)col->buffers[1])[off + r + 1];
      }
      const char *p = (const char *)col->buffers[2] + a;
      PyObject *o = text ? PyUnicode_DecodeUTF8(p, (Py_ssize_t)(e - a), "surrogatepass")
                         : PyBytes_FromStringAndSize(p, (Py_ssize_t)(e - a));
      if (!o) {
        Py_CLEAR(l);
        break;
      }
      PyList_SET_ITEM(l, (Py_ssize_t)r, o);
    }
    return column_result("str", l, validity, off, len);
  }
  Py_DECREF(validity);
  PyErr_Format(PyExc_NotImplementedError, "zerial: column type '%s' has no numpy conversion yet; use __arrow_c_stream__", fmt);
  return NULL;
}

/* The pointer a capsule destructor releases (NULL, with the lookup error cleared, when absent). */
static void *capsule_payload(PyObject *cap, const char *name) {
  void *p = PyCapsule_GetPointer(cap, name);
  if (!p) PyErr_Clear();
  return p;
}

static void schema_capsule_destructor(PyObject *cap) {
  struct ArrowSchema *s = capsule_payload(cap, "arrow_schema");
  if (s && s->release) s->release(s);
  PyMem_RawFree(s);
}

static void stream_capsule_destructor(PyObject *cap) {
  struct ArrowArrayStream *s = capsule_payload(cap, "arrow_array_stream");
  if (s && s->release) s->release(s);
  PyMem_RawFree(s);
}

/* Deep copy of the table (Arrow C consumers take ownership and release on their own schedule). */
static int table_copy(const zr_table *src, zr_table *dst, int schema_only) {
  zr_table tmp = *src;
  if (schema_only) tmp.n_batches = 0;
  zr_error err;
  zr_error_clear(&err);
  zr_status st = zr_arrow_table_copy(&tmp, dst, &err);
  if (st != ZR_OK) {
    raise_zr(st, &err);
    return -1;
  }
  return 0;
}

static PyObject *Table_arrow_c_schema(TableObject *self, PyObject *unused) {
  (void)unused;
  zr_table c;
  if (table_copy(self->t, &c, 1) < 0) return NULL;
  struct ArrowSchema *s = PyMem_RawMalloc(sizeof *s);
  if (!s) {
    zr_table_release(&c);
    return PyErr_NoMemory();
  }
  *s = c.schema; /* moved out */
  c.schema.release = NULL;
  zr_table_release(&c);
  PyObject *cap = PyCapsule_New(s, "arrow_schema", schema_capsule_destructor);
  if (!cap) {
    s->release(s);
    PyMem_RawFree(s);
  }
  return cap;
}

/* ---- zero-copy export: ArrowArrays whose buffers are the table's own (in the input or the
 * doc), kept alive by a reference on the holder that the last release callback drops ---- */

typedef struct {
  int64_t refs;      /* exported arrays (any level) + the stream, atomically counted */
  PyObject *holder;  /* the _Doc owning the table's memory */
} export_share;

static void share_unref(export_share *sh) {
  if (__atomic_sub_fetch(&sh->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  PyGILState_STATE g = PyGILState_Ensure(); /* consumers may release from any thread */
  Py_XDECREF(sh->holder);
  PyGILState_Release(g);
  PyMem_RawFree(sh);
}

typedef struct {
  export_share *share;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
} export_node;

static void export_release(struct ArrowArray *a) {
  export_node *n = a->private_data;
  for (int64_t i = 0; i < a->n_children; i++) {
    struct ArrowArray *c = n->children[i];
    if (c->release) c->release(c); /* children not moved out by the consumer */
    PyMem_RawFree(c);
  }
  if (n->dictionary) {
    if (n->dictionary->release) n->dictionary->release(n->dictionary);
    PyMem_RawFree(n->dictionary);
  }
  PyMem_RawFree(n->children);
  PyMem_RawFree((void *)n->buffers);
  export_share *sh = n->share;
  PyMem_RawFree(n);
  a->release = NULL;
  share_unref(sh);
}

/* Fill @p dst as a view of @p src (same buffer pointers). 0, or -1 out of memory (dst released). */
static int export_array(const struct ArrowArray *src, struct ArrowArray *dst, export_share *sh) {
  memset(dst, 0, sizeof *dst);
  export_node *n = PyMem_RawCalloc(1, sizeof *n);
  if (!n) return -1;
  n->share = sh;
  __atomic_add_fetch(&sh->refs, 1, __ATOMIC_ACQ_REL);
  dst->length = src->length;
  dst->null_count = src->null_count;
  dst->offset = src->offset;
  dst->n_buffers = src->n_buffers;
  dst->private_data = n;
  dst->release = export_release;
  int ok = 1;
  if (src->n_buffers > 0) {
    n->buffers = PyMem_RawCalloc((size_t)src->n_buffers, sizeof(void *));
    if (n->buffers) memcpy((void *)n->buffers, src->buffers, (size_t)src->n_buffers * sizeof(void *));
    else ok = 0;
  }
  dst->buffers = n->buffers;
  if (ok && src->n_children > 0) {
    n->children = PyMem_RawCalloc((size_t)src->n_children, sizeof(struct ArrowArray *));
    if (!n->children) ok = 0;
    for (int64_t i = 0; ok && i < src->n_children; i++) {
      n->children[i] = PyMem_RawMalloc(sizeof(struct ArrowArray));
      if (!n->children[i] || export_array(src->children[i], n->children[i], sh) < 0) {
        PyMem_RawFree(n->children[i]);
        n->children[i] = NULL;
        ok = 0;
        break;
      }
      dst->n_children = i + 1;
    }
  }
  dst->children = n->children;
  if (ok && src->dictionary) {
    n->dictionary = PyMem_RawMalloc(sizeof(struct ArrowArray));
    if (!n->dictionary || export_array(src->dictionary, n->dictionary, sh) < 0) {
      PyMem_RawFree(n->dictionary);
      n->dictionary = NULL;
      ok = 0;
    }
  }
  dst->dictionary = n->dictionary;
  if (!ok) {
    export_release(dst);
    return -1;
  }
  return 0;
}

typedef struct {
  export_share *share;
  const zr_table *t;
  int64_t next;
  char error[sizeof(((zr_error *)0)->message)];
} export_stream;

static int xs_get_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  export_stream *x = s->private_data;
  zr_table tmp = *x->t, c;
  tmp.n_batches = 0;
  zr_error err;
  zr_error_clear(&err);
  if (zr_arrow_table_copy(&tmp, &c, &err) != ZR_OK) { /* the schema only: small metadata */
    snprintf(x->error, sizeof x->error, "%s", err.message);
    return 12; /* ENOMEM */
  }
  *out = c.schema;
  c.schema.release = NULL;
  zr_table_release(&c);
  return 0;
}

static int xs_get_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  export_stream *x = s->private_data;
  if (x->next >= x->t->n_batches) {
    memset(out, 0, sizeof *out); /* end of stream: a released array */
    return 0;
  }
  if (export_array(&x->t->batches[x->next], out, x->share) < 0) {
    snprintf(x->error, sizeof x->error, "out of memory");
    return 12;
  }
  x->next++;
  return 0;
}

static const char *xs_last_error(struct ArrowArrayStream *s) {
  export_stream *x = s->private_data;
  return x->error[0] ? x->error : NULL;
}

static void xs_release(struct ArrowArrayStream *s) {
  export_stream *x = s->private_data;
  export_share *sh = x->share;
  PyMem_RawFree(x);
  s->release = NULL;
  share_unref(sh);
}

static PyObject *Table_arrow_c_stream(TableObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"requested_schema", NULL};
  PyObject *req = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "|O", kwlist, &req)) return NULL;
  struct ArrowArrayStream *s = PyMem_RawCalloc(1, sizeof *s);
  export_stream *x = PyMem_RawCalloc(1, sizeof *x);
  export_share *sh = PyMem_RawCalloc(1, sizeof *sh);
  if (!s || !x || !sh) {
    PyMem_RawFree(s);
    PyMem_RawFree(x);
    PyMem_RawFree(sh);
    return PyErr_NoMemory();
  }
  sh->refs = 1; /* the stream's own */
  sh->holder = Py_NewRef(self->holder);
  x->share = sh;
  x->t = self->t; /* lives as long as the holder */
  s->get_schema = xs_get_schema;
  s->get_next = xs_get_next;
  s->get_last_error = xs_last_error;
  s->release = xs_release;
  s->private_data = x;
  PyObject *cap = PyCapsule_New(s, "arrow_array_stream", stream_capsule_destructor);
  if (!cap) {
    s->release(s);
    PyMem_RawFree(s);
  }
  return cap;
}

static PyGetSetDef Table_getset[] = {
    {"num_rows", (getter)Table_get_num_rows, NULL, "rows over all batches", NULL},
    {"num_batches", (getter)Table_get_num_batches, NULL, "record batches", NULL},
    {"column_names", (getter)Table_get_column_names, NULL, "column names", NULL},
    {"column_formats", (getter)Table_get_column_formats, NULL, "Arrow format strings of the columns", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef Table_methods[] = {
    {"_column", (PyCFunction)Table_column, METH_VARARGS, NULL},
    {"__arrow_c_schema__", (PyCFunction)Table_arrow_c_schema, METH_NOARGS, "Arrow PyCapsule protocol: the schema."},
    {"__arrow_c_stream__", (PyCFunction)(void (*)(void))Table_arrow_c_stream, METH_VARARGS | METH_KEYWORDS,
     "Arrow PyCapsule protocol: an ArrowArrayStream whose arrays view the table's buffers (no copy; "
     "the input stays alive until the consumer releases the last array)."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject TableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "zerial._zerial.Table",
    .tp_basicsize = sizeof(TableObject),
    .tp_dealloc = (destructor)Table_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "An Arrow table decoded by zerial: columns as numpy arrays (views where the layout allows), "
              "Arrow PyCapsule protocol.",
    .tp_methods = Table_methods,
    .tp_getset = Table_getset,
};

static PyTypeObject *table_class; /* the package's subclass (to_dict, to_pandas) */

static PyObject *table_to_py(const zr_table *t, py_ctx *c) {
  PyTypeObject *tp = table_class ? table_class : &TableType;
  TableObject *o = (TableObject *)tp->tp_alloc(tp, 0);
  if (!o) return NULL;
  o->holder = Py_NewRef(c->holder ? c->holder : Py_None);
  o->t = t;
  o->readonly = c->readonly;
  return (PyObject *)o;
}

/* *@p slot = @p cls (a new reference) when it is a subclass of @p base; else a TypeError naming @p what. */
static PyObject *set_subclass(PyTypeObject **slot, PyObject *cls, PyTypeObject *base, const char *what) {
  if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, base)) {
    PyErr_Format(PyExc_TypeError, "expected a subclass of zerial._zerial.%s", what);
    return NULL;
  }
  Py_XSETREF(*slot, (PyTypeObject *)Py_NewRef(cls));
  Py_RETURN_NONE;
}

static PyObject *py_set_table_class(PyObject *self, PyObject *cls) {
  (void)self;
  return set_subclass(&table_class, cls, &TableType, "Table");
}

/* ------------------------------------------------------------------------------------------ */
/* Python -> zr_value */

typedef struct {
  zr_doc *doc;
  PyObject *keep;    /* list of objects to keep alive until the encode ends */
  Py_buffer *bufs;   /* buffers to release */
  size_t nbufs, capbufs;
} conv_ctx;

static void ctx_free(conv_ctx *c) {
  for (size_t i = 0; i < c->nbufs; i++) PyBuffer_Release(&c->bufs[i]);
  PyMem_Free(c->bufs);
  Py_XDECREF(c->keep);
  zr_doc_free(c->doc);
}

static Py_buffer *ctx_buf(conv_ctx *c) {
  if (c->nbufs == c->capbufs) {
    size_t nc = c->capbufs ? c->capbufs * 2 : 8;
    Py_buffer *nb = PyMem_Realloc(c->bufs, nc * sizeof *nb);
    if (!nb) return NULL;
    c->bufs = nb;
    c->capbufs = nc;
  }
  return &c->bufs[c->nbufs];
}

/* Parse a numpy type string ('<f4', '|b1', '<M8[ns]', '|S5', '<U3', '|V12') into @p t. */
static int parse_typestr(const char *s, zr_tensor *t) {
  if (strlen(s) < 3) return -1;
  char order = s[0], kind = s[1];
  long size = strtol(s + 2, NULL, 10);
  if (size <= 0) return -1;
  t->byte_order = order == '>' ? ZR_ORDER_BIG : ZR_ORDER_LITTLE;
  t->itemsize = (uint64_t)size;
  switch (kind) {
    case 'b': t->dtype = ZR_DT_BOOL; return size == 1 ? 0 : -1;
    case 'i': t->dtype = size == 1 ? ZR_DT_INT8 : size == 2 ? ZR_DT_INT16 : size == 4 ? ZR_DT_INT32 : size == 8 ? ZR_DT_INT64 : 0; break;
    case 'u': t->dtype = size == 1 ? ZR_DT_UINT8 : size == 2 ? ZR_DT_UINT16 : size == 4 ? ZR_DT_UINT32 : size == 8 ? ZR_DT_UINT64 : 0; break;
    case 'f': t->dtype = size == 2 ? ZR_DT_FLOAT16 : size == 4 ? ZR_DT_FLOAT32 : size == 8 ? ZR_DT_FLOAT64 : (size == 16 ? ZR_DT_LONGDOUBLE : 0); break;
    case 'c': t->dtype = size == 8 ? ZR_DT_COMPLEX64 : size == 16 ? ZR_DT_COMPLEX128 : 0; break;
    case 'S': t->dtype = ZR_DT_BYTES; return 0;
    case 'U': t->dtype = ZR_DT_UNICODE; t->itemsize = (uint64_t)size * 4; return 0;
    case 'V': t->dtype = ZR_DT_VOID; return 0;
    case 'M':
    case 'm': {
      t->dtype = kind == 'M' ? ZR_DT_DATETIME64 : ZR_DT_TIMEDELTA64;
      const char *u = strchr(s, '[');
      t->time_unit = ZR_TU_GENERIC;
      if (u) {
        static const struct { const char *n; zr_time_unit u; } units[] = {
            {"[s]", ZR_TU_SECOND}, {"[ms]", ZR_TU_MILLI}, {"[us]", ZR_TU_MICRO}, {"[ns]", ZR_TU_NANO},
            {"[Y]", ZR_TU_YEAR},   {"[M]", ZR_TU_MONTH},  {"[W]", ZR_TU_WEEK},   {"[D]", ZR_TU_DAY},
            {"[h]", ZR_TU_HOUR},   {"[m]", ZR_TU_MINUTE}, {"[ps]", ZR_TU_PICO},  {"[fs]", ZR_TU_FEMTO},
            {"[as]", ZR_TU_ATTO}};
        size_t k;
        for (k = 0; k < sizeof units / sizeof units[0]; k++)
          if (strcmp(u, units[k].n) == 0) break;
        if (k == sizeof units / sizeof units[0]) return -1;
        t->time_unit = units[k].u;
      }
      return size == 8 ? 0 : -1;
    }
    default: return -1;
  }
  return t->dtype ? 0 : -1;
}

/* Fill @p t from an object with __array_interface__ (numpy arrays and friends). 1: done, 0: not an
 * array, -1: error set. The object must stay alive while @p t is used. */
static int array_to_tensor(PyObject *obj, zr_tensor *t, PyObject **descr_keep) {
  if (PyBytes_Check(obj) || PyByteArray_Check(obj) || PyMemoryView_Check(obj) || PyUnicode_Check(obj)) return 0;
  PyObject *ai = PyObject_GetAttrString(obj, "__array_interface__");
  if (!ai) {
    PyErr_Clear();
    return 0;
  }
  int rc = -1;
  memset(t, 0, sizeof *t);
  PyObject *typestr = PyDict_GetItemString(ai, "typestr");
  PyObject *shape = PyDict_GetItemString(ai, "shape");
  PyObject *strides = PyDict_GetItemString(ai, "strides");
  PyObject *data = PyDict_GetItemString(ai, "data");
  PyObject *descr = PyDict_GetItemString(ai, "descr");
  if (!typestr || !PyUnicode_Check(typestr) || !shape || !PyTuple_Check(shape) || !data || !PyTuple_Check(data) ||
      PyTuple_GET_SIZE(data) < 1) {
    PyErr_SetString(PyExc_TypeError, "unsupported __array_interface__");
    goto out;
  }
  const char *ts = PyUnicode_AsUTF8(typestr);
  if (!ts || parse_typestr(ts, t) != 0) {
    PyErr_Format(PyExc_TypeError, "zerial cannot carry arrays of dtype %s", ts ? ts : "?");
    goto out;
  }
  if (ts[1] == 'O') {
    PyErr_SetString(PyExc_TypeError, "object arrays cannot be serialized by zerial");
    goto out;
  }
  Py_ssize_t nd = PyTuple_GET_SIZE(shape);
  if (nd > ZR_TENSOR_MAX_DIMS) {
    PyErr_SetString(PyExc_ValueError, "too many dimensions");
    goto out;
  }
  t->ndim = (uint32_t)nd;
  for (Py_ssize_t i = 0; i < nd; i++) t->shape[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(shape, i));
  if (PyErr_Occurred()) goto out;
  int64_t s = (int64_t)t->itemsize;
  for (Py_ssize_t i = nd - 1; i >= 0; i--) {
    t->strides[i] = s;
    s *= t->shape[i] ? t->shape[i] : 1;
  }
  if (strides && strides != Py_None) {
    if (!PyTuple_Check(strides) || PyTuple_GET_SIZE(strides) != nd) {
      PyErr_SetString(PyExc_TypeError, "bad strides in __array_interface__");
      goto out;
    }
    for (Py_ssize_t i = 0; i < nd; i++) t->strides[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(strides, i));
    if (PyErr_Occurred()) goto out;
  }
  t->data = PyLong_AsVoidPtr(PyTuple_GET_ITEM(data, 0));
  if (PyErr_Occurred()) goto out;
  uint64_t n = zr_tensor_count(t);
  t->nbytes = n * t->itemsize;
  if (t->dtype == ZR_DT_VOID && descr && PyList_Check(descr) &&
      !(PyList_GET_SIZE(descr) == 1 && PyTuple_Check(PyList_GET_ITEM(descr, 0)) &&
        PyUnicode_Check(PyTuple_GET_ITEM(PyList_GET_ITEM(descr, 0), 0)) &&
        PyUnicode_GetLength(PyTuple_GET_ITEM(PyList_GET_ITEM(descr, 0), 0)) == 0)) {
    /* structured dtype: carry NumPy's field list as its Python literal */
    PyObject *r = PyObject_Repr(descr);
    if (!r) goto out;
    t->descr = PyUnicode_AsUTF8(r);
    *descr_keep = r;
  }
  rc = 1;
out:
  Py_DECREF(ai);
  return rc;
}

static int from_py(conv_ctx *c, PyObject *o, zr_value *out, unsigned depth);

static int from_py(conv_ctx *c, PyObject *o, zr_value *out, unsigned depth) {
  if (depth > 500) {
    PyErr_SetString(PyExc_RecursionError, "value nested too deeply for zerial");
    return -1;
  }
  if (o == Py_None) {
    *out = zr_null();
  } else if (PyBool_Check(o)) {
    *out = zr_bool(o == Py_True);
  } else if (PyLong_Check(o)) {
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (!overflow) {
      if (x == -1 && PyErr_Occurred()) return -1;
      *out = zr_int(x);
    } else {
      if (overflow > 0) {
        unsigned long long u = PyLong_AsUnsignedLongLong(o);
        if (!PyErr_Occurred()) {
          *out = zr_uint(u);
          return 0;
        }
        PyErr_Clear();
      }
      PyObject *mag = PyNumber_Absolute(o);
      if (!mag) return -1;
      size_t bits = _PyLong_NumBits(mag);
      size_t nbytes = (bits + 7) / 8;
      uint8_t *buf = PyMem_Malloc(nbytes ? nbytes : 1);
      if (!buf) {
        Py_DECREF(mag);
        PyErr_NoMemory();
        return -1;
      }
      int r = _PyLong_AsByteArray((PyLongObject *)mag, buf, nbytes, 1, 0);
      Py_DECREF(mag);
      if (r < 0) {
        PyMem_Free(buf);
        return -1;
      }
      *out = zr_bigint(c->doc, overflow < 0, buf, nbytes);
      PyMem_Free(buf);
    }
  } else if (PyFloat_Check(o)) {
    *out = zr_float(PyFloat_AS_DOUBLE(o));
  } else if (PyUnicode_Check(o)) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(o, &n);
    if (!s) return -1;
    *out = zr_str_ref(s, (size_t)n); /* the str caches its UTF-8; alive while the caller holds it */
  } else if (PyBytes_Check(o)) {
    *out = zr_bin_ref(PyBytes_AS_STRING(o), (size_t)PyBytes_GET_SIZE(o));
  } else if (PyByteArray_Check(o) || PyMemoryView_Check(o)) {
    Py_buffer *b = ctx_buf(c);
    if (!b) {
      PyErr_NoMemory();
      return -1;
    }
    if (PyObject_GetBuffer(o, b, PyBUF_C_CONTIGUOUS) < 0) return -1;
    c->nbufs++;
    *out = zr_bin_ref(b->buf, (size_t)b->len);
  } else if (PyList_Check(o) || PyTuple_Check(o)) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
    zr_value seq = PyList_Check(o) ? zr_list_new(c->doc, (size_t)n) : zr_tuple_new(c->doc, (size_t)n);
    for (Py_ssize_t i = 0; i < n; i++) {
      zr_value it;
      if (from_py(c, PySequence_Fast_GET_ITEM(o, i), &it, depth + 1) < 0) return -1;
      if (zr_list_push(c->doc, &seq, it) != ZR_OK) {
        PyErr_NoMemory();
        return -1;
      }
    }
    *out = seq;
  } else if (PyDict_Check(o)) {
    zr_value m = zr_map_new(c->doc, (size_t)PyDict_GET_SIZE(o));
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(o, &pos, &k, &v)) {
      zr_value kv, vv;
      if (from_py(c, k, &kv, depth + 1) < 0 || from_py(c, v, &vv, depth + 1) < 0) return -1;
      if (zr_map_put(c->doc, &m, kv, vv) != ZR_OK) {
        PyErr_NoMemory();
        return -1;
      }
    }
    *out = m;
  } else {
    if (datetime_converter) {
      /* datetime.datetime / date / numpy.datetime64 scalars -> timestamps */
      PyObject *r = PyObject_CallOneArg(datetime_converter, o);
      if (!r) return -1;
      if (r != Py_None) {
        long long value;
        unsigned int unit;
        const char *tz = NULL;
        if (!PyArg_ParseTuple(r, "LIz", &value, &unit, &tz)) {
          Py_DECREF(r);
          return -1;
        }
        *out = zr_timestamp(c->doc, value, (zr_time_unit)unit, tz); /* tz copied */
        Py_DECREF(r);
        if (zr_doc_status(c->doc) != ZR_OK) {
          PyErr_NoMemory();
          return -1;
        }
        return 0;
      }
      Py_DECREF(r);
    }
    zr_tensor t;
    PyObject *dk = NULL;
    int r = array_to_tensor(o, &t, &dk);
    if (r < 0) return -1;
    if (r == 0) {
      PyErr_Format(PyExc_TypeError, "zerial cannot serialize objects of type %.200s", Py_TYPE(o)->tp_name);
      return -1;
    }
    if (dk) {
      PyList_Append(c->keep, dk);
      Py_DECREF(dk);
    }
    *out = zr_tensor_value(c->doc, &t);
  }
  if (zr_doc_status(c->doc) != ZR_OK) {
    PyErr_NoMemory();
    return -1;
  }
  return 0;
}

/* A fresh conversion context holding @p obj converted to *@p v; -1 (context freed, Python
 * exception set) on failure. On success the caller frees @p c with ctx_free when done with *@p v. */
static int ctx_from_py(conv_ctx *c, PyObject *obj, zr_value *v) {
  memset(c, 0, sizeof *c);
  c->doc = zr_doc_new(NULL);
  c->keep = PyList_New(0);
  if (!c->doc || !c->keep) {
    ctx_free(c);
    PyErr_NoMemory();
    return -1;
  }
  if (from_py(c, obj, v, 0) < 0) {
    ctx_free(c);
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Decode allocator: keeps large blocks for the next decode. A doc's arena takes big chunks;
 * fresh ones cost a page fault per 4 KiB every time (and munmap gives them back), so repeated
 * loads() of large inputs reuse a bounded set of blocks instead. Thread-safe (decodes run
 * without the GIL). */
#include <pthread.h>

#define BLOCK_CACHE_MIN ((size_t)1 << 20)
#define BLOCK_CACHE_LIMIT ((size_t)512 << 20)
typedef struct cblk {
  size_t size;        /* bytes including this header */
  struct cblk *next;
} cblk;
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static cblk *cache_head;
static size_t cache_bytes;

static void *cache_malloc(void *ud, size_t n) {
  (void)ud;
  size_t total = n + sizeof(cblk);
  if (total < n) return NULL;
  if (total >= BLOCK_CACHE_MIN) {
    pthread_mutex_lock(&cache_mu);
    for (cblk **pp = &cache_head; *pp; pp = &(*pp)->next) {
      cblk *b = *pp;
      if (b->size >= total && b->size / 2 <= total) {
        *pp = b->next;
        cache_bytes -= b->size;
        pthread_mutex_unlock(&cache_mu);
        return b + 1;
      }
    }
    pthread_mutex_unlock(&cache_mu);
  }
  cblk *b = malloc(total);
  if (!b) return NULL;
  b->size = total;
  return b + 1;
}

static void cache_free(void *ud, void *p) {
  (void)ud;
  if (!p) return;
  cblk *b = (cblk *)p - 1;
  if (b->size >= BLOCK_CACHE_MIN) {
    pthread_mutex_lock(&cache_mu);
    if (cache_bytes + b->size <= BLOCK_CACHE_LIMIT) {
      b->next = cache_head;
      cache_head = b;
      cache_bytes += b->size;
      pthread_mutex_unlock(&cache_mu);
      return;
    }
    pthread_mutex_unlock(&cache_mu);
  }
  free(b);
}

static void *cache_realloc(void *ud, void *p, size_t n) {
  if (!p) return cache_malloc(ud, n);
  cblk *b = (cblk *)p - 1;
  if (b->size - sizeof(cblk) >= n) return p;
  void *q = cache_malloc(ud, n);
  if (!q) return NULL;
  memcpy(q, p, b->size - sizeof(cblk));
  cache_free(ud, p);
  return q;
}

static const zr_allocator decode_alloc = {cache_malloc, cache_realloc, cache_free, NULL};

static PyObject *py_release_cache(PyObject *self, PyObject *unused) {
  (void)self;
  (void)unused;
  pthread_mutex_lock(&cache_mu);
  cblk *b = cache_head;
  size_t n = cache_bytes;
  cache_head = NULL;
  cache_bytes = 0;
  pthread_mutex_unlock(&cache_mu);
  while (b) {
    cblk *next = b->next;
    free(b);
    b = next;
  }
  return PyLong_FromSize_t(n);
}

/* ------------------------------------------------------------------------------------------ */
/* dumps / loads / inspect */

/* One isolated manager context (no environment configuration) for compressed and enveloped
 * payloads; created on first use, thread-safe afterwards. */
static zr_ctx *g_ctx;
static zr_ctx *shared_ctx(void) {
  if (g_ctx) return g_ctx;
  zr_error err;
  zr_error_clear(&err);
  zr_status st = zr_ctx_new_isolated(NULL, &g_ctx, &err);
  if (st != ZR_OK) {
    g_ctx = NULL;
    raise_zr(st, &err);
  }
  return g_ctx;
}

static const zr_format *pick_format(const char *name, const zr_value *v) {
  if (strcmp(name, "auto") != 0) return zr_format_by_name(name);
  if (v->kind == ZR_KIND_TENSOR) {
    const zr_format *npy = zr_format_by_name("npy");
    if (npy) return npy;
  }
  return zr_format_by_name("binary");
}

static PyObject *py_dumps(PyObject *self, PyObject *args, PyObject *kw) {
  (void)self;
  static char *kwlist[] = {"obj", "format", "compression", "level", "deterministic", "envelope", NULL};
  PyObject *obj;
  const char *fname = "auto";
  PyObject *compression = Py_None, *envelope = Py_None;
  int level = 0, deterministic = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$sOipO", kwlist, &obj, &fname, &compression, &level, &deterministic,
                                   &envelope))
    return NULL;
  const char *cname = NULL;
  if (compression != Py_None) {
    cname = PyUnicode_Check(compression) ? PyUnicode_AsUTF8(compression) : NULL;
    if (!cname) return raise_msg(ZR_ERR_INVALID_ARG, "compression must be a codec name or None");
    if (strcmp(cname, "none") == 0) cname = NULL;
  }
  int env = -1; /* None: an envelope when compressed */
  if (envelope != Py_None) {
    env = PyObject_IsTrue(envelope);
    if (env < 0) return NULL;
  }
  conv_ctx c;
  zr_value v;
  if (ctx_from_py(&c, obj, &v) < 0) return NULL;
  const zr_format *f = pick_format(fname, &v);
  if (!f || !f->encode) {
    ctx_free(&c);
    char msg[200];
    snprintf(msg, sizeof msg, "format '%s' is not available in this build", strcmp(fname, "auto") ? fname : "binary");
    return raise_msg(ZR_ERR_FORMAT, msg);
  }
  zr_error err;
  zr_error_clear(&err);
  zr_sink *sink = NULL;
  zr_status st = zr_sink_memory_new(NULL, &sink, &err);
  /* formats that compress inside themselves keep doing so (their own readers understand it):
   * Arrow IPC buffers (lz4, zstd), npz members (gzip), ETF (zlib) */
  int native = cname && env != 1 &&
               (((strcmp(f->name, "arrow-stream") == 0 || strcmp(f->name, "arrow-file") == 0) &&
                 (strcmp(cname, "lz4") == 0 || strcmp(cname, "zstd") == 0)) ||
                (strcmp(f->name, "npz") == 0 && (strcmp(cname, "gzip") == 0 || strcmp(cname, "deflate") == 0)) ||
                (strcmp(f->name, "etf") == 0 && (strcmp(cname, "gzip") == 0 || strcmp(cname, "zlib") == 0)));
  if (st == ZR_OK && !native && (cname || env == 1)) {
    /* compressed or framed: through the serialization manager (codec API, envelope) */
    zr_ctx *ctx = shared_ctx();
    if (!ctx) {
      zr_sink_free(sink);
      ctx_free(&c);
      return NULL;
    }
    zr_serialize_opts so;
    zr_serialize_opts_init(&so);
    so.format = f->name;
    so.codec = cname ? cname : "none";
    so.level = level;
    so.envelope = env == -1 ? 1 : env; /* compressed payloads travel in an envelope unless asked */
    so.strict = 1;
    so.deterministic = deterministic;
    Py_BEGIN_ALLOW_THREADS st = zr_serialize(ctx, &v, &so, sink, NULL, &err);
    Py_END_ALLOW_THREADS
  } else if (st == ZR_OK) {
    zr_encode_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.level = level;
    eo.flags = deterministic ? ZR_ENC_DETERMINISTIC : 0;
    eo.codec = native ? cname : NULL;
    Py_BEGIN_ALLOW_THREADS st = f->encode(&v, &eo, sink, &err);
    Py_END_ALLOW_THREADS
  }
  PyObject *res = NULL;
  if (st == ZR_OK) {
    const uint8_t *d;
    size_t n;
    zr_sink_memory_data(sink, &d, &n);
    res = PyBytes_FromStringAndSize((const char *)d, (Py_ssize_t)n);
  } else {
    raise_zr(st, &err);
  }
  zr_sink_free(sink);
  ctx_free(&c);
  return res;
}

/* Decode @p data (a buffer object) and convert; tensors view the buffer (kept alive). */
static PyObject *py_loads(PyObject *self, PyObject *args, PyObject *kw) {
  (void)self;
  static char *kwlist[] = {"data", "format", "copy", "_tree", NULL};
  PyObject *data;
  const char *fname = NULL;
  int copy = 0, tree = 0; /* _tree: through the C decoder's value tree (tests compare both paths) */
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$zpp", kwlist, &data, &fname, &copy, &tree)) return NULL;
  DocObject *h = PyObject_New(DocObject, &DocType);
  if (!h) return NULL;
  h->doc = NULL;
  h->has_input = 0;
  if (PyObject_GetBuffer(data, &h->input, PyBUF_C_CONTIGUOUS) < 0) {
    Py_DECREF(h);
    return NULL;
  }
  h->has_input = 1;
  const uint8_t *p = h->input.buf;
  size_t n = (size_t)h->input.len;
  int readonly = copy ? 0 : h->input.readonly;
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  o.copy = copy;
  o.alloc = &decode_alloc;
  /* the binary format straight to Python objects (no intermediate value tree) */
  if (!tree && (!fname || strcmp(fname, "binary") == 0) && n >= 4 && memcmp(p, "ZRB", 3) == 0 && p[3] == 1) {
    PyObject *res = fast_binary_loads(p, n, &o, (PyObject *)h, readonly, 0);
    /* an unhashable key (TypeError) may hide a wire error later in the input:
     * the tree path checks the whole input first and reports what the C decoder would */
    if (res || !PyErr_ExceptionMatches(PyExc_TypeError)) {
      Py_DECREF(h);
      return res;
    }
    PyErr_Clear();
  }
  const zr_format *f = fname ? zr_format_by_name(fname) : zr_format_detect(p, n);
  zr_error err;
  zr_error_clear(&err);
  zr_status st;
  if (!f && !fname) {
    /* an envelope or a compression frame around a payload: the manager peels the layers (the
     * decompressed bytes belong to the doc) */
    zr_ctx *ctx = shared_ctx();
    if (!ctx) {
      Py_DECREF(h);
      return NULL;
    }
    Py_BEGIN_ALLOW_THREADS st = zr_deserialize(ctx, p, n, &o, &h->doc, NULL, &err);
    Py_END_ALLOW_THREADS
  } else if (!f || !f->decode) {
    Py_DECREF(h);
    return raise_msg(ZR_ERR_FORMAT, "format not available in this build");
  } else {
    Py_BEGIN_ALLOW_THREADS st = f->decode(p, n, &o, &h->doc, &err);
    Py_END_ALLOW_THREADS
  }
  if (st != ZR_OK) {
    Py_DECREF(h);
    return raise_zr(st, &err);
  }
  ha_begin(n); /* hugearena.h */
  PyObject *res = doc_to_py(zr_doc_root(h->doc), (PyObject *)h, readonly);
  ha_end();
  Py_DECREF(h);
  return res;
}

static PyObject *py_inspect(PyObject *self, PyObject *arg) {
  (void)self;
  Py_buffer b;
  if (PyObject_GetBuffer(arg, &b, PyBUF_C_CONTIGUOUS) < 0) return NULL;
  const zr_format *f = zr_format_detect(b.buf, (size_t)b.len);
  PyObject *res = NULL;
  if (!f) { /* an envelope or compression frame: the manager describes its layers */
    zr_ctx *ctx = shared_ctx();
    zr_sink *s = NULL;
    zr_error err;
    zr_error_clear(&err);
    zr_status st = ctx ? zr_sink_memory_new(NULL, &s, &err) : ZR_ERR_STATE;
    if (!ctx) {
      PyBuffer_Release(&b);
      return NULL;
    }
    if (st == ZR_OK) st = zr_inspect(ctx, b.buf, (size_t)b.len, s, &err);
    if (st != ZR_OK) {
      zr_sink_free(s);
      PyBuffer_Release(&b);
      return raise_zr(st, &err);
    }
    const uint8_t *d;
    size_t n;
    zr_sink_memory_data(s, &d, &n);
    PyObject *json = PyUnicode_FromStringAndSize((const char *)d, (Py_ssize_t)n);
    zr_sink_free(s);
    if (json) res = Py_BuildValue("{s:O,s:i,s:n,s:N}", "format", Py_None, "format_id", 0, "size", b.len, "detail", json);
    PyBuffer_Release(&b);
    return res;
  }
  PyObject *json = Py_NewRef(Py_None);
  if (f->inspect) {
    zr_sink *s = NULL;
    zr_error err;
    zr_error_clear(&err);
    zr_status st = zr_sink_memory_new(NULL, &s, &err);
    if (st == ZR_OK) st = f->inspect(b.buf, (size_t)b.len, s, &err);
    if (st != ZR_OK) {
      zr_sink_free(s);
      PyBuffer_Release(&b);
      Py_DECREF(json);
      return raise_zr(st, &err);
    }
    const uint8_t *d;
    size_t n;
    zr_sink_memory_data(s, &d, &n);
    Py_DECREF(json);
    json = PyUnicode_FromStringAndSize((const char *)d, (Py_ssize_t)n);
    zr_sink_free(s);
  }
  if (json) res = Py_BuildValue("{s:s,s:i,s:n,s:N}", "format", f->name, "format_id", f->id, "size", b.len, "detail", json);
  PyBuffer_Release(&b);
  return res;
}

static PyObject *py_formats(PyObject *self, PyObject *unused) {
  (void)self;
  (void)unused;
  PyObject *l = PyList_New(0);
  for (size_t i = 0; l && i < zr_format_count(); i++) {
    const zr_format *f = zr_format_at(i);
    PyObject *t = Py_BuildValue("(sis)", f->name, f->id, f->summary ? f->summary : "");
    if (!t || PyList_Append(l, t) < 0) {
      Py_XDECREF(t);
      Py_DECREF(l);
      return NULL;
    }
    Py_DECREF(t);
  }
  return l;
}

static PyObject *py_set_region_class(PyObject *self, PyObject *cls) {
  (void)self;
  return set_subclass(&region_class, cls, &RegionType, "Region");
}

static PyObject *py_set_timestamp_factory(PyObject *self, PyObject *f) {
  (void)self;
  Py_XSETREF(timestamp_factory, Py_NewRef(f));
  Py_RETURN_NONE;
}

static PyObject *py_set_datetime_converter(PyObject *self, PyObject *f) {
  (void)self;
  Py_XSETREF(datetime_converter, Py_NewRef(f));
  Py_RETURN_NONE;
}

static PyObject *py_set_tensor_factory(PyObject *self, PyObject *f) {
  (void)self;
  Py_XSETREF(tensor_factory, Py_NewRef(f));
  Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------------------------ */
/* Region */

typedef struct {
  PyObject_HEAD
  zr_shm *r;
  int writer;
} RegionObject;

static void shm_unref(void *p) { zr_shm_close(p); }

static int region_live(RegionObject *self) {
  if (!self->r) {
    raise_msg(ZR_ERR_STATE, "the region is closed");
    return 0;
  }
  return 1;
}

static void Region_dealloc(RegionObject *self) {
  zr_shm_close(self->r); /* views hold their own references: the mapping stays while they live */
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *region_wrap(zr_shm *r, int writer);
static PyObject *region_wrap(zr_shm *r, int writer) {
  PyTypeObject *tp = region_class ? region_class : &RegionType;
  RegionObject *o = (RegionObject *)tp->tp_alloc(tp, 0);
  if (!o) {
    zr_shm_close(r);
    return NULL;
  }
  o->r = r;
  o->writer = writer;
  return (PyObject *)o;
}

static PyObject *py_shm_create(PyObject *self, PyObject *args, PyObject *kw) {
  (void)self;
  static char *kwlist[] = {"name", "size", "max_objects", "mode", "prealloc", NULL};
  const char *name;
  unsigned long long size = 0;
  unsigned int max_objects = 0, mode = 0600;
  int prealloc = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "s|$KIIp", kwlist, &name, &size, &max_objects, &mode, &prealloc)) return NULL;
  zr_shm_create_opts o;
  memset(&o, 0, sizeof o);
  o.size = size;
  o.max_objects = max_objects;
  o.mode = mode;
  o.flags = prealloc ? 0 : ZR_SHM_NO_PREALLOCATE;
  zr_error err;
  zr_error_clear(&err);
  zr_shm *r = NULL;
  zr_status st;
  Py_BEGIN_ALLOW_THREADS st = zr_shm_create(name, &o, &r, &err);
  Py_END_ALLOW_THREADS
  if (st != ZR_OK) return raise_zr(st, &err);
  return region_wrap(r, 1);
}

static PyObject *py_shm_open(PyObject *self, PyObject *args, PyObject *kw) {
  (void)self;
  static char *kwlist[] = {"name", "write", "verify", NULL};
  const char *name;
  int write = 0, verify = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "s|$pp", kwlist, &name, &write, &verify)) return NULL;
  zr_error err;
  zr_error_clear(&err);
  zr_shm *r = NULL;
  zr_status st;
  unsigned flags = (write ? ZR_SHM_WRITE : 0) | (verify ? ZR_SHM_VERIFY : 0);
  Py_BEGIN_ALLOW_THREADS st = zr_shm_open(name, flags, NULL, &r, &err);
  Py_END_ALLOW_THREADS
  if (st != ZR_OK) return raise_zr(st, &err);
  return region_wrap(r, 0);
}

static PyObject *py_shm_unlink(PyObject *self, PyObject *arg) {
  (void)self;
  const char *name = PyUnicode_AsUTF8(arg);
  if (!name) return NULL;
  zr_error err;
  zr_error_clear(&err);
  zr_status st = zr_shm_unlink(name, &err);
  if (st != ZR_OK) return raise_zr(st, &err);
  Py_RETURN_NONE;
}

static PyObject *Region_keys(RegionObject *self, PyObject *unused) {
  (void)unused;
  if (!region_live(self)) return NULL;
  size_t n = zr_shm_count(self->r);
  PyObject *l = PyList_New((Py_ssize_t)n);
  for (size_t i = 0; l && i < n; i++) {
    zr_shm_object o;
    zr_shm_object_at(self->r, i, &o, NULL);
    PyList_SET_ITEM(l, (Py_ssize_t)i, PyUnicode_FromString(o.name));
  }
  return l;
}

/* The object name @p key of a live region (UTF-8 owned by @p key); NULL with a Python exception. */
static const char *region_key(RegionObject *self, PyObject *key) {
  return region_live(self) ? PyUnicode_AsUTF8(key) : NULL;
}

/* The directory entry named @p key of a live region: 0, or -1 with a Python exception (a
 * KeyError for a missing name when @p keyerror, else the zerial error). */
static int region_entry(RegionObject *self, PyObject *key, int keyerror, zr_shm_object *o) {
  const char *name = region_key(self, key);
  if (!name) return -1;
  zr_error err;
  zr_error_clear(&err);
  zr_status st = zr_shm_find(self->r, name, o, &err);
  if (st == ZR_OK) return 0;
  if (keyerror && st == ZR_ERR_NOT_FOUND) PyErr_SetObject(PyExc_KeyError, key);
  else raise_zr(st, &err);
  return -1;
}

/* A byte tensor viewing @p length bytes at @p data inside the region; it holds a region reference
 * that keeps the mapping alive. NULL with a Python exception. */
static PyObject *region_bytes(RegionObject *self, const void *data, uint64_t length, int ro) {
  zr_tensor t;
  int64_t len = (int64_t)length;
  zr_tensor_init(&t, ZR_DT_UINT8, 1, 1, &len, (void *)(uintptr_t)data, NULL);
  zr_shm_ref(self->r);
  t.release = shm_unref;
  t.owner = self->r;
  return tensor_new(&t, NULL, ro);
}

static PyObject *Region_info(RegionObject *self, PyObject *arg) {
  zr_shm_object o;
  if (region_entry(self, arg, 0, &o) < 0) return NULL;
  const zr_format *f = zr_format_by_id(o.format);
  PyObject *shape = PyTuple_New(o.ndim);
  for (uint32_t i = 0; shape && i < o.ndim; i++) PyTuple_SET_ITEM(shape, i, PyLong_FromLongLong(o.shape[i]));
  if (!shape) return NULL;
  return Py_BuildValue("{s:s,s:s,s:i,s:K,s:K,s:K,s:O,s:s,s:N,s:K}", "name", o.name, "format",
                       o.format == ZR_SHM_FORMAT_RAW ? (o.dtype ? "raw-tensor" : "raw") : (f ? f->name : "unknown"),
                       "format_id", (int)o.format, "offset", (unsigned long long)o.offset, "length",
                       (unsigned long long)o.length, "checksum", (unsigned long long)o.checksum, "has_checksum",
                       o.has_checksum ? Py_True : Py_False, "dtype", o.dtype ? zr_dtype_name(o.dtype) : "",
                       "shape", shape, "address", (unsigned long long)(uintptr_t)o.data);
}

static PyObject *Region_tensor(RegionObject *self, PyObject *arg) {
  const char *name = region_key(self, arg);
  if (!name) return NULL;
  zr_tensor t;
  zr_error err;
  zr_error_clear(&err);
  zr_status st = zr_shm_get_tensor(self->r, name, &t, &err);
  if (st != ZR_OK) return raise_zr(st, &err);
  return tensor_new(&t, NULL, !zr_shm_writable(self->r)); /* the tensor releases its reference */
}

static PyObject *Region_getitem(RegionObject *self, PyObject *key) {
  zr_shm_object o;
  if (region_entry(self, key, 1, &o) < 0) return NULL;
  const char *name = PyUnicode_AsUTF8(key); /* cached by region_entry: cannot fail now */
  int ro = !zr_shm_writable(self->r);
  if (o.format == ZR_SHM_FORMAT_RAW && o.dtype) {
    PyObject *t = Region_tensor(self, key);
    if (!t || !tensor_factory) return t;
    PyObject *arr = PyObject_CallOneArg(tensor_factory, t);
    Py_DECREF(t);
    return arr;
  }
  if (o.format == ZR_SHM_FORMAT_RAW) { /* plain bytes: a memoryview of the mapping */
    PyObject *to = region_bytes(self, o.data, o.length, ro);
    if (!to) return NULL;
    PyObject *mv = PyMemoryView_FromObject(to);
    Py_DECREF(to);
    return mv;
  }
  if (o.format == ZR_FORMAT_ID_BINARY && o.length >= 4 && memcmp(o.data, "ZRB\1", 4) == 0) {
    /* the direct decoder over the mapping; a byte view holding a region reference keeps the
     * mapping alive for the tensors that view it */
    PyObject *holder = region_bytes(self, o.data, o.length, ro);
    if (!holder) return NULL;
    zr_decode_opts fo;
    zr_decode_opts_init(&fo);
    PyObject *res = fast_binary_loads(o.data, (size_t)o.length, &fo, holder, ro, (int64_t)o.offset);
    Py_DECREF(holder);
    if (res || !PyErr_ExceptionMatches(PyExc_TypeError)) return res;
    PyErr_Clear(); /* as in loads(): the tree path reports what the C decoder would */
  }
  DocObject *h = PyObject_New(DocObject, &DocType);
  if (!h) return NULL;
  h->has_input = 0;
  h->doc = NULL;
  zr_decode_opts dopts;
  zr_decode_opts_init(&dopts);
  dopts.alloc = &decode_alloc;
  zr_error err;
  zr_error_clear(&err);
  zr_status st;
  Py_BEGIN_ALLOW_THREADS st = zr_shm_get_value(self->r, name, &dopts, &h->doc, &err);
  Py_END_ALLOW_THREADS
  if (st != ZR_OK) {
    Py_DECREF(h);
    return raise_zr(st, &err);
  }
  PyObject *res = doc_to_py(zr_doc_root(h->doc), (PyObject *)h, ro);
  Py_DECREF(h);
  return res;
}

static Py_ssize_t Region_len(RegionObject *self) { return self->r ? (Py_ssize_t)zr_shm_count(self->r) : 0; }

static int Region_contains(RegionObject *self, PyObject *key) {
  if (!self->r) return 0;
  const char *name = PyUnicode_AsUTF8(key);
  if (!name) return -1;
  zr_shm_object o;
  return zr_shm_find(self->r, name, &o, NULL) == ZR_OK;
}

static PyObject *Region_put(RegionObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"name", "obj", "format", "checksum", NULL};
  const char *name, *fname = "auto";
  PyObject *obj;
  int checksum = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "sO|$sp", kwlist, &name, &obj, &fname, &checksum)) return NULL;
  if (!region_live(self)) return NULL;
  unsigned flags = checksum ? 0 : ZR_SHM_NO_CHECKSUM;
  zr_error err;
  zr_error_clear(&err);
  zr_status st;
  /* arrays go in raw (copied once, from the array's memory into the mapping) */
  if (strcmp(fname, "auto") == 0 || strcmp(fname, "raw") == 0) {
    zr_tensor t;
    PyObject *dk = NULL;
    int r = array_to_tensor(obj, &t, &dk);
    if (r < 0) return NULL;
    if (r == 1 && t.ndim <= ZR_SHM_MAX_DIMS && t.dtype != ZR_DT_VOID && t.dtype != ZR_DT_LONGDOUBLE &&
        (t.byte_order == ZR_ORDER_LITTLE || t.itemsize == 1)) {
      Py_XDECREF(dk);
      Py_BEGIN_ALLOW_THREADS st = zr_shm_put_tensor(self->r, name, &t, flags, &err);
      Py_END_ALLOW_THREADS
      if (st != ZR_OK) return raise_zr(st, &err);
      Py_RETURN_NONE;
    }
    Py_XDECREF(dk);
    if (r == 1 && strcmp(fname, "auto") == 0) fname = "npy";
    else if (PyBytes_Check(obj) || PyByteArray_Check(obj) || PyMemoryView_Check(obj)) {
      Py_buffer b;
      if (PyObject_GetBuffer(obj, &b, PyBUF_C_CONTIGUOUS) < 0) return NULL;
      void *p;
      st = zr_shm_reserve(self->r, name, (uint64_t)b.len, &p, &err);
      if (st == ZR_OK) {
        memcpy(p, b.buf, (size_t)b.len);
        st = zr_shm_commit(self->r, ZR_SHM_FORMAT_RAW, (uint64_t)b.len, flags, &err);
      }
      PyBuffer_Release(&b);
      if (st != ZR_OK) return raise_zr(st, &err);
      Py_RETURN_NONE;
    } else if (strcmp(fname, "raw") == 0) {
      return raise_msg(ZR_ERR_TYPE, "format 'raw' takes a numpy array or a bytes-like object");
    } else {
      fname = "binary";
    }
  }
  const zr_format *f = zr_format_by_name(fname);
  if (!f) {
    char msg[160];
    snprintf(msg, sizeof msg, "format '%s' is not available in this build", fname);
    return raise_msg(ZR_ERR_FORMAT, msg);
  }
  conv_ctx c;
  zr_value v;
  if (ctx_from_py(&c, obj, &v) < 0) return NULL;
  Py_BEGIN_ALLOW_THREADS st = zr_shm_put_value(self->r, name, f->id, &v, NULL, flags, &err);
  Py_END_ALLOW_THREADS
  ctx_free(&c);
  if (st != ZR_OK) return raise_zr(st, &err);
  Py_RETURN_NONE;
}

static PyObject *Region_new_tensor(RegionObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"name", "shape", "typestr", "checksum", NULL};
  const char *name, *typestr;
  PyObject *shape;
  int checksum = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "sOs|$p", kwlist, &name, &shape, &typestr, &checksum)) return NULL;
  if (!region_live(self)) return NULL;
  zr_tensor spec;
  memset(&spec, 0, sizeof spec);
  if (parse_typestr(typestr, &spec) != 0 || (spec.byte_order == ZR_ORDER_BIG && spec.itemsize > 1))
    return raise_msg(ZR_ERR_UNSUPPORTED, "dtype not supported for raw region tensors");
  PyObject *seq = PySequence_Fast(shape, "shape must be a sequence");
  if (!seq) return NULL;
  Py_ssize_t nd = PySequence_Fast_GET_SIZE(seq);
  int64_t dims[ZR_SHM_MAX_DIMS];
  if (nd > (Py_ssize_t)ZR_SHM_MAX_DIMS) {
    Py_DECREF(seq);
    return raise_msg(ZR_ERR_LIMIT, "raw region tensors have at most 8 dimensions");
  }
  for (Py_ssize_t i = 0; i < nd; i++) dims[i] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
  Py_DECREF(seq);
  if (PyErr_Occurred()) return NULL;
  zr_tensor t;
  zr_error err;
  zr_error_clear(&err);
  zr_status st = zr_shm_reserve_tensor(self->r, name, spec.dtype, spec.itemsize, (uint32_t)nd, dims, &t, &err);
  if (st == ZR_OK) st = zr_shm_commit(self->r, ZR_SHM_FORMAT_RAW, t.nbytes, checksum ? 0 : ZR_SHM_NO_CHECKSUM, &err);
  if (st != ZR_OK) return raise_zr(st, &err);
  return Region_tensor(self, PyTuple_GET_ITEM(args, 0));
}

static PyObject *Region_publish(RegionObject *self, PyObject *unused) {
  (void)unused;
  if (!region_live(self)) return NULL;
  zr_error err;
  zr_error_clear(&err);
  zr_status st;
  Py_BEGIN_ALLOW_THREADS st = zr_shm_publish(self->r, &err);
  Py_END_ALLOW_THREADS
  if (st != ZR_OK) return raise_zr(st, &err);
  Py_RETURN_NONE;
}

static PyObject *Region_verify(RegionObject *self, PyObject *args) {
  const char *name = NULL;
  if (!PyArg_ParseTuple(args, "|z", &name)) return NULL;
  if (!region_live(self)) return NULL;
  zr_error err;
  zr_error_clear(&err);
  zr_status st;
  Py_BEGIN_ALLOW_THREADS st = zr_shm_verify(self->r, name, &err);
  Py_END_ALLOW_THREADS
  if (st != ZR_OK) return raise_zr(st, &err);
  Py_RETURN_NONE;
}

static PyObject *Region_check(RegionObject *self, PyObject *unused) {
  (void)unused;
  if (!region_live(self)) return NULL;
  zr_error err;
  zr_error_clear(&err);
  zr_status st = zr_shm_check(self->r, &err);
  if (st != ZR_OK) return raise_zr(st, &err);
  Py_RETURN_NONE;
}

static PyObject *Region_close(RegionObject *self, PyObject *unused) {
  (void)unused;
  if (!self->r) Py_RETURN_NONE;
  unsigned refs = zr_shm_refs(self->r);
  if (refs > 1) {
    char msg[200];
    snprintf(msg, sizeof msg, "cannot close region %s: %u view(s) of it are still alive; drop them first",
             zr_shm_name(self->r), refs - 1);
    return raise_msg(ZR_ERR_BUSY, msg);
  }
  zr_shm_close(self->r);
  self->r = NULL;
  Py_RETURN_NONE;
}

static PyObject *Region_unlink(RegionObject *self, PyObject *unused) {
  (void)unused;
  if (!region_live(self)) return NULL;
  zr_error err;
  zr_error_clear(&err);
  zr_status st = zr_shm_unlink(zr_shm_name(self->r), &err);
  if (st != ZR_OK) return raise_zr(st, &err);
  Py_RETURN_NONE;
}

static PyObject *Region_enter(RegionObject *self, PyObject *unused) {
  (void)unused;
  return Py_NewRef((PyObject *)self);
}

static PyObject *Region_exit(RegionObject *self, PyObject *args) {
  /* leaving on an exception: never mask it; drop our reference (live views keep the mapping) */
  if (PyTuple_GET_SIZE(args) > 0 && PyTuple_GET_ITEM(args, 0) != Py_None) {
    zr_shm_close(self->r);
    self->r = NULL;
    Py_RETURN_NONE;
  }
  return Region_close(self, NULL);
}

static PyObject *Region_get_address(RegionObject *self, void *c) {
  (void)c;
  if (!region_live(self)) return NULL;
  const uint8_t *b;
  zr_shm_mapping(self->r, &b, NULL);
  return PyLong_FromVoidPtr((void *)(uintptr_t)b);
}
static PyObject *Region_get_size(RegionObject *self, void *c) {
  (void)c;
  if (!region_live(self)) return NULL;
  uint64_t n;
  zr_shm_mapping(self->r, NULL, &n);
  return PyLong_FromUnsignedLongLong(n);
}
static PyObject *Region_get_name(RegionObject *self, void *c) {
  (void)c;
  if (!region_live(self)) return NULL;
  return PyUnicode_FromString(zr_shm_name(self->r));
}
static PyObject *Region_get_generation(RegionObject *self, void *c) {
  (void)c;
  if (!region_live(self)) return NULL;
  return PyLong_FromUnsignedLongLong(zr_shm_generation(self->r));
}
static PyObject *Region_get_writable(RegionObject *self, void *c) {
  (void)c;
  return PyBool_FromLong(self->r && zr_shm_writable(self->r));
}
static PyObject *Region_get_closed(RegionObject *self, void *c) {
  (void)c;
  return PyBool_FromLong(self->r == NULL);
}
static PyObject *Region_get_views(RegionObject *self, void *c) {
  (void)c;
  return PyLong_FromUnsignedLong(self->r ? zr_shm_refs(self->r) - 1 : 0);
}

static PyGetSetDef Region_getset[] = {
    {"address", (getter)Region_get_address, NULL, "base address of the mapping", NULL},
    {"size", (getter)Region_get_size, NULL, "bytes mapped", NULL},
    {"name", (getter)Region_get_name, NULL, "region name (with its leading '/')", NULL},
    {"generation", (getter)Region_get_generation, NULL, "publication generation (0 while writing)", NULL},
    {"writable", (getter)Region_get_writable, NULL, "mapped read-write", NULL},
    {"closed", (getter)Region_get_closed, NULL, "whether close() ran", NULL},
    {"views", (getter)Region_get_views, NULL, "number of live views holding the mapping", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef Region_methods[] = {
    {"keys", (PyCFunction)Region_keys, METH_NOARGS, "Object names, in directory order."},
    {"info", (PyCFunction)Region_info, METH_O, "Directory entry of an object as a dict."},
    {"tensor", (PyCFunction)Region_tensor, METH_O, "A zerial.Tensor viewing a raw tensor object."},
    {"put", (PyCFunction)(void (*)(void))Region_put, METH_VARARGS | METH_KEYWORDS,
     "put(name, obj, *, format='auto', checksum=True): add an object (writer, before publish())."},
    {"_new_tensor", (PyCFunction)(void (*)(void))Region_new_tensor, METH_VARARGS | METH_KEYWORDS,
     "Reserve a raw tensor object and return a zerial.Tensor over it (fill it in place)."},
    {"publish", (PyCFunction)Region_publish, METH_NOARGS, "Publish the region atomically."},
    {"verify", (PyCFunction)Region_verify, METH_VARARGS, "verify(name=None): recompute checksums."},
    {"check", (PyCFunction)Region_check, METH_NOARGS, "Raise unless the region is still the generation opened."},
    {"close", (PyCFunction)Region_close, METH_NOARGS, "Unmap; raises zerial.StateError while views are alive."},
    {"unlink", (PyCFunction)Region_unlink, METH_NOARGS, "Remove the region's name from the system."},
    {"__enter__", (PyCFunction)Region_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)Region_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyMappingMethods Region_as_mapping = {(lenfunc)Region_len, (binaryfunc)Region_getitem, NULL};
static PySequenceMethods Region_as_sequence = {.sq_contains = (objobjproc)Region_contains};

static PyTypeObject RegionType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "zerial._zerial.Region",
    .tp_basicsize = sizeof(RegionObject),
    .tp_dealloc = (destructor)Region_dealloc,
    .tp_as_mapping = &Region_as_mapping,
    .tp_as_sequence = &Region_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_new = NULL,
    .tp_doc = "A mapped zerial shared-memory region: a mapping of object names to values and arrays.",
    .tp_methods = Region_methods,
    .tp_getset = Region_getset,
};

/* ------------------------------------------------------------------------------------------ */
/* module */

static PyMethodDef module_methods[] = {
    {"dumps", (PyCFunction)(void (*)(void))py_dumps, METH_VARARGS | METH_KEYWORDS, "Serialize a value to bytes."},
    {"loads", (PyCFunction)(void (*)(void))py_loads, METH_VARARGS | METH_KEYWORDS, "Deserialize bytes-like input."},
    {"set_hugepages", py_set_hugepages, METH_O,
     "Large decodes take Python's object arenas from huge-page regions (True, the default unless "
     "ZERIAL_HUGEPAGES=0) or not; returns the previous setting."},
    {"_hugepage_stats", py_hugepage_stats, METH_NOARGS, "(installed, huge pages held, arenas live in them)"},
    {"inspect", (PyCFunction)py_inspect, METH_O, "Describe serialized input without decoding payloads."},
    {"formats", (PyCFunction)py_formats, METH_NOARGS, "Built-in formats: (name, id, summary) tuples."},
    {"release_cache", (PyCFunction)py_release_cache, METH_NOARGS,
     "Free the large blocks kept for reuse by decodes (at most 512 MiB); returns the bytes freed."},
    {"_set_tensor_factory", (PyCFunction)py_set_tensor_factory, METH_O, NULL},
    {"_set_timestamp_factory", (PyCFunction)py_set_timestamp_factory, METH_O, NULL},
    {"_set_datetime_converter", (PyCFunction)py_set_datetime_converter, METH_O, NULL},
    {"_set_region_class", (PyCFunction)py_set_region_class, METH_O, NULL},
    {"_set_table_class", (PyCFunction)py_set_table_class, METH_O, NULL},
    {"shm_create", (PyCFunction)(void (*)(void))py_shm_create, METH_VARARGS | METH_KEYWORDS, "Create a region."},
    {"shm_open", (PyCFunction)(void (*)(void))py_shm_open, METH_VARARGS | METH_KEYWORDS, "Open a published region."},
    {"shm_unlink", (PyCFunction)py_shm_unlink, METH_O, "Remove a region by name."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {PyModuleDef_HEAD_INIT, "zerial._zerial", "zerial C extension", -1,
                                       module_methods, NULL, NULL, NULL, NULL};

static int add_exc(PyObject *m, PyObject **slot, const char *name, PyObject *base, const char *doc) {
  *slot = PyErr_NewExceptionWithDoc(name, doc, base, NULL);
  if (!*slot) return -1;
  return PyModule_AddObjectRef(m, strrchr(name, '.') + 1, *slot);
}

PyMODINIT_FUNC PyInit__zerial(void) {
  ha_init_from_env();
  if (PyType_Ready(&DocType) < 0 || PyType_Ready(&TensorType) < 0 || PyType_Ready(&RegionType) < 0 ||
      PyType_Ready(&TableType) < 0)
    return NULL;
  PyObject *m = PyModule_Create(&moduledef);
  if (!m) return NULL;
  if (add_exc(m, &Error, "zerial.Error", PyExc_Exception,
              "A zerial failure: .code, .status, .message, .offset (decoders) and .path (encoders).") < 0 ||
      add_exc(m, &DecodeError, "zerial.DecodeError", Error, "Input is truncated, malformed or fails a checksum.") < 0 ||
      add_exc(m, &EncodeError, "zerial.EncodeError", Error, "A value cannot be represented in the format.") < 0 ||
      add_exc(m, &StateError, "zerial.StateError", Error, "Operation not valid now (not published, views alive, exists).") < 0 ||
      add_exc(m, &NotFoundError, "zerial.NotFoundError", Error, "No such region or object.") < 0 ||
      add_exc(m, &LimitError, "zerial.LimitError", Error, "A limit, size or space was exceeded.") < 0 ||
      PyModule_AddObjectRef(m, "Tensor", (PyObject *)&TensorType) < 0 ||
      PyModule_AddObjectRef(m, "Region", (PyObject *)&RegionType) < 0 ||
      PyModule_AddObjectRef(m, "Table", (PyObject *)&TableType) < 0 ||
      PyModule_AddStringConstant(m, "version", zr_version_string()) < 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
