/* Coverage: the safe pickle reader, opcode by opcode (the list of CPython's pickletools), with
 * hand-assembled pickles: structured dtypes as NumPy pickles them (BUILD state with names, fields,
 * titles, subarrays, padding, datetime metadata), every allowed reconstructor with good and bad
 * arguments, every refusal and malformation with its code, message and byte offset, limits, and
 * the fault sweeps of ../formats/cov_sweep.h over the valid ones. */
#include "../formats/cov_sweep.h"
#include "formats/numpy/pickle_ops.h"
#include "zerial/numpy.h"

typedef struct pb {
  uint8_t b[16384];
  size_t n;
} pb;

static void op(pb *p, int c) { p->b[p->n++] = (uint8_t)c; }
static void raw(pb *p, const void *d, size_t n) {
  memcpy(p->b + p->n, d, n);
  p->n += n;
}
static void str(pb *p, const char *s) {
  op(p, PK_SHORT_BINUNICODE);
  op(p, (int)strlen(s));
  raw(p, s, strlen(s));
}
static void byts(pb *p, const void *d, size_t n) {
  op(p, PK_SHORT_BINBYTES);
  op(p, (int)n);
  raw(p, d, n);
}
static void i32(pb *p, int32_t v) {
  op(p, PK_BININT);
  uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  raw(p, b, 4);
}
static void glob(pb *p, const char *mod, const char *name) {
  op(p, PK_GLOBAL);
  raw(p, mod, strlen(mod));
  op(p, '\n');
  raw(p, name, strlen(name));
  op(p, '\n');
}
static void start(pb *p) {
  p->n = 0;
  op(p, PK_PROTO);
  op(p, 2);
}
/* numpy.dtype(s) */
static void dt(pb *p, const char *s) {
  glob(p, "numpy", "dtype");
  str(p, s);
  op(p, PK_TUPLE1);
  op(p, PK_REDUCE);
}
/* numpy.dtype(v) with the head of its BUILD state: (3, endian, ... */
static void dtype_state(pb *p, const char *v, const char *endian) {
  dt(p, v);
  op(p, PK_MARK);
  i32(p, 3);
  str(p, endian);
}
/* ... elsize, alignment, flags) BUILD: the tail of a dtype state */
static void dtype_state_end(pb *p, int32_t size) {
  i32(p, size);
  i32(p, 1);
  i32(p, 16);
  op(p, PK_TUPLE);
  op(p, PK_BUILD);
}
/* numpy.dtype('V<size>') with a BUILD state: fields as (name, typestr, offset, title or NULL);
 * typestr "REC" nests a two-field record, "SUB" a subarray of '<i2' with shape sub */
typedef struct fld {
  const char *name, *type;
  int32_t off;
  const char *title;
} fld;
static void rec(pb *p, int32_t size, const fld *f, size_t nf, int sub_shape_kind) {
  char v[16];
  snprintf(v, sizeof v, "V%d", size);
  dtype_state(p, v, "|");
  op(p, PK_NONE);
  op(p, PK_MARK);
  for (size_t i = 0; i < nf; i++) str(p, f[i].name);
  op(p, PK_TUPLE);
  op(p, PK_MARK);
  for (size_t i = 0; i < nf; i++) {
    str(p, f[i].name);
    op(p, PK_MARK);
    if (!strcmp(f[i].type, "REC")) {
      static const fld in[] = {{"x", "<f4", 0, NULL}, {"y", "<i8", 4, NULL}};
      rec(p, 12, in, 2, 0);
    } else if (!strcmp(f[i].type, "SUB")) {
      dtype_state(p, "V12", "|");
      dt(p, "<i2");
      if (sub_shape_kind == 0) { /* (2, 3) */
        i32(p, 2);
        i32(p, 3);
        op(p, PK_TUPLE2);
      } else if (sub_shape_kind == 1) { /* (6,) */
        i32(p, 6);
        op(p, PK_TUPLE1);
      } else if (sub_shape_kind == 2) { /* 6 */
        i32(p, 6);
      } else { /* ('x',) */
        str(p, "x");
        op(p, PK_TUPLE1);
      }
      op(p, PK_TUPLE2);
      op(p, PK_NONE);
      op(p, PK_NONE);
      dtype_state_end(p, 12);
    } else {
      dt(p, f[i].type);
    }
    i32(p, f[i].off);
    if (f[i].title) str(p, f[i].title);
    op(p, PK_TUPLE);
  }
  op(p, PK_DICT);
  dtype_state_end(p, size);
}
/* _reconstruct(ndarray, (0,), b'b') + BUILD (1, shape, <dtype already pushed by fn>, fortran, data) */
static void array_begin(pb *p) {
  glob(p, "numpy.core.multiarray", "_reconstruct");
  glob(p, "numpy", "ndarray");
  i32(p, 0);
  op(p, PK_TUPLE1);
  byts(p, "b", 1);
  op(p, PK_TUPLE3);
  op(p, PK_REDUCE);
  op(p, PK_MARK);
  i32(p, 1);
}
static void array_end(pb *p, size_t n, int fortran) {
  op(p, fortran ? PK_NEWTRUE : PK_NEWFALSE);
  uint8_t d[255];
  for (size_t i = 0; i < n; i++) d[i] = (uint8_t)(i + 1);
  byts(p, d, n);
  op(p, PK_TUPLE);
  op(p, PK_BUILD);
}
/* a new pickle of an array: _reconstruct, then the state's shape (n,) */
static void array1(pb *p, int32_t n) {
  start(p);
  array_begin(p);
  i32(p, n);
  op(p, PK_TUPLE1);
}
/* the state's fortran flag and @p n bytes of data, BUILD, STOP */
static void array_stop(pb *p, size_t n, int fortran) {
  array_end(p, n, fortran);
  op(p, PK_STOP);
}
/* a call: the global, MARK'd arguments from @p args, REDUCE */
static void call_mark(pb *p, const char *mod, const char *name) {
  glob(p, mod, name);
  op(p, PK_MARK);
}
static void call_end(pb *p) {
  op(p, PK_TUPLE);
  op(p, PK_REDUCE);
}

static zr_doc *ok(const pb *p, const zr_decode_opts *o) {
  zr_doc *d = NULL;
  zr_error e;
  zr_status st = zr_pickle_decode(p->b, p->n, NULL, 0, o, &d, &e);
  if (st) fail_msg("decode: %s at %lld", e.message, (long long)e.offset);
  return d;
}

static void bad(const pb *p, const zr_decode_opts *o, zr_status want, const char *msg, int64_t off) {
  zr_doc *d = NULL;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_pickle_decode(p->b, p->n, NULL, 0, o, &d, &e);
  if (st != want || !strstr(e.message, msg) || (off >= 0 && e.offset != off))
    fail_msg("want %d '%s' @%lld, got %d '%s' @%lld", want, msg, (long long)off, st, e.message, (long long)e.offset);
  assert_int_equal(e.code, want);
  assert_null(d);
}

static const char *descr_of(const pb *p) {
  static char out[512];
  zr_doc *d = ok(p, NULL);
  const zr_value *r = zr_doc_root(d);
  assert_int_equal(r->kind, ZR_KIND_TENSOR);
  snprintf(out, sizeof out, "%s", r->u.tensor->descr);
  zr_doc_free(d);
  return out;
}

static void test_structured(void **state) {
  (void)state;
  pb p;
  /* out of offset order, a title, a gap, trailing padding, subarray and nested fields */
  static const fld f[] = {{"b", "<f8", 8, "B title"}, {"a", "<i4", 0, NULL}, {"s", "SUB", 16, NULL},
                          {"n", "REC", 28, NULL}};
  for (int kind = 0; kind < 3; kind++) {
    array1(&p, 2);
    rec(&p, 44, f, 4, kind);
    array_stop(&p, 88, 0);
    static const char *want[] = {
        "[('a', '<i4'), ('', '|V4'), (('B title', 'b'), '<f8'), ('s', '<i2', (2, 3)), ('n', [('x', '<f4'), ('y', '<i8')]), ('', '|V4')]",
        "[('a', '<i4'), ('', '|V4'), (('B title', 'b'), '<f8'), ('s', '<i2', (6,)), ('n', [('x', '<f4'), ('y', '<i8')]), ('', '|V4')]",
        "[('a', '<i4'), ('', '|V4'), (('B title', 'b'), '<f8'), ('s', '<i2', (6,)), ('n', [('x', '<f4'), ('y', '<i8')]), ('', '|V4')]"};
    assert_string_equal(descr_of(&p), want[kind]);
    if (kind == 0) {
      cs_decode_sweep("record", cs_fmt_decode, (void *)zr_format_by_name("pickle"), p.b, p.n, NULL);
      /* a pickle of only a dtype is no value */
      pb q;
      start(&q);
      rec(&q, 44, f, 4, 0);
      op(&q, PK_STOP);
      bad(&q, NULL, ZR_ERR_UNSUPPORTED, "bare dtype or global", -1);
    }
  }
  /* a subarray shape that is not made of ints */
  array1(&p, 1);
  rec(&p, 44, f, 4, 3);
  array_stop(&p, 44, 0);
  bad(&p, NULL, ZR_ERR_MALFORMED, "bad subarray shape", -1);
  /* overlapping fields, a negative offset, a name without a field */
  static const fld over[] = {{"a", "<i4", 0, NULL}, {"b", "<i4", 2, NULL}};
  static const fld neg[] = {{"a", "<i4", -4, NULL}};
  struct { const fld *f; size_t n; zr_status st; const char *msg; } cases[] = {
      {over, 2, ZR_ERR_UNSUPPORTED, "overlapping record fields"},
      {neg, 1, ZR_ERR_MALFORMED, "bad field offset"},
  };
  for (size_t i = 0; i < 2; i++) {
    array1(&p, 1);
    rec(&p, 8, cases[i].f, cases[i].n, 0);
    array_stop(&p, 8, 0);
    bad(&p, NULL, cases[i].st, cases[i].msg, -1);
  }
  /* names naming a field the dict lacks (the dict's key is not a str) */
  start(&p);
  dtype_state(&p, "V4", "|");
  op(&p, PK_NONE);
  str(&p, "a");
  op(&p, PK_TUPLE1);
  op(&p, PK_MARK);
  i32(&p, 5);
  dt(&p, "<i4");
  i32(&p, 0);
  op(&p, PK_TUPLE2);
  op(&p, PK_DICT);
  dtype_state_end(&p, 4);
  pb arr;
  array1(&arr, 1);
  raw(&arr, p.b + 2, p.n - 2);
  array_stop(&arr, 4, 0);
  bad(&arr, NULL, ZR_ERR_MALFORMED, "bad dtype fields", -1);
  /* a subarray dtype at the top level */
  array1(&p, 1);
  dtype_state(&p, "V4", "|");
  dt(&p, "<i2");
  i32(&p, 2);
  op(&p, PK_TUPLE2);
  op(&p, PK_NONE);
  op(&p, PK_NONE);
  dtype_state_end(&p, 4);
  array_stop(&p, 4, 0);
  bad(&p, NULL, ZR_ERR_UNSUPPORTED, "subarray dtype at the top level", -1);
  /* a dtype state that is not an 8-tuple */
  start(&p);
  dt(&p, "<i4");
  i32(&p, 1);
  op(&p, PK_TUPLE1);
  op(&p, PK_BUILD);
  op(&p, PK_STOP);
  bad(&p, NULL, ZR_ERR_UNSUPPORTED, "unexpected dtype state", -1);
}

/* datetime64 dtypes with their metadata: unit, multiplier, generic */
static void test_datetime_meta(void **state) {
  (void)state;
  static const struct { const char *unit; int32_t num; int wrap; const char *want; } cases[] = {
      {"ns", 1, 1, "<M8[ns]"}, {"ms", 10, 1, "<M8[10ms]"}, {"generic", 1, 1, "<M8"}, {"s", 1, 0, "<M8[s]"}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    pb p;
    array1(&p, 1);
    dt(&p, "M8");
    op(&p, PK_MARK);
    i32(&p, 4);
    str(&p, "<");
    op(&p, PK_NONE);
    op(&p, PK_NONE);
    op(&p, PK_NONE);
    i32(&p, -1);
    i32(&p, -1);
    i32(&p, 0);
    if (cases[i].wrap) op(&p, PK_EMPTY_DICT);
    op(&p, PK_MARK);
    byts(&p, cases[i].unit, strlen(cases[i].unit));
    i32(&p, cases[i].num);
    i32(&p, 1);
    i32(&p, 1);
    op(&p, PK_TUPLE);
    if (cases[i].wrap) op(&p, PK_TUPLE2);
    op(&p, PK_TUPLE);
    op(&p, PK_BUILD);
    array_stop(&p, 8, 0);
    assert_string_equal(descr_of(&p), cases[i].want);
  }
}

/* numpy.dtype('<s>') in an array: the descr it gives, or the error */
static void dtype_case(const char *s, zr_status want, const char *what) {
  pb p;
  start(&p);
  call_mark(&p, "numpy.core.multiarray", "_frombuffer");
  byts(&p, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  dt(&p, s);
  i32(&p, 1);
  op(&p, PK_TUPLE1);
  str(&p, "C");
  call_end(&p);
  op(&p, PK_STOP);
  if (want == ZR_OK) assert_string_equal(descr_of(&p), what);
  else bad(&p, NULL, want, what, -1);
}

static void test_dtype_strings(void **state) {
  (void)state;
  dtype_case("=f8", ZR_OK, "<f8");
  dtype_case("a8", ZR_OK, "|S8");
  dtype_case(">m8[us]", ZR_OK, ">m8[us]");
  dtype_case("O", ZR_ERR_REFUSED, "object dtype refused");
  dtype_case("x8", ZR_ERR_UNSUPPORTED, "unsupported dtype 'x8'");
  dtype_case("i8junk", ZR_ERR_UNSUPPORTED, "unsupported dtype 'i8junk'");
  dtype_case("M8[ns", ZR_ERR_UNSUPPORTED, "bad dtype 'M8[ns'");
  dtype_case("M8[nanoseconds]", ZR_ERR_UNSUPPORTED, "bad dtype");
  dtype_case("", ZR_ERR_UNSUPPORTED, "must be a type string");
  dtype_case("i0123456789012345678901234567890123456789", ZR_ERR_UNSUPPORTED, "must be a type string");
  dtype_case("<i4", ZR_ERR_MALFORMED, "array needs 4 bytes, buffer has 8");
}

/* REDUCE of an allowed global with arguments @p args (already assembled by the caller) */
static void test_reconstructors(void **state) {
  (void)state;
  pb p;
  zr_doc *d;
  /* _frombuffer in Fortran order */
  start(&p);
  call_mark(&p, "numpy._core.multiarray", "_frombuffer");
  byts(&p, "\x01\x00\x02\x00\x03\x00\x04\x00", 8);
  dt(&p, "<i2");
  i32(&p, 2);
  i32(&p, 2);
  op(&p, PK_TUPLE2);
  str(&p, "F");
  call_end(&p);
  op(&p, PK_STOP);
  d = ok(&p, NULL);
  assert_int_equal(zr_doc_root(d)->u.tensor->strides[0], 2);
  assert_int_equal(zr_doc_root(d)->u.tensor->strides[1], 4);
  zr_doc_free(d);
  /* scalar(dtype, bytes): a 0-d array */
  start(&p);
  glob(&p, "numpy.core.multiarray", "scalar");
  dt(&p, "<f4");
  byts(&p, "\x00\x00\x80\x3f", 4);
  op(&p, PK_TUPLE2);
  op(&p, PK_REDUCE);
  op(&p, PK_STOP);
  d = ok(&p, NULL);
  double x;
  assert_int_equal(zr_npy_element_f64(zr_doc_root(d)->u.tensor, NULL, &x, NULL), ZR_OK);
  assert_true(x == 1.0);
  zr_doc_free(d);
  /* _codecs.encode(str, 'latin-1'), bytes(), frombuffer with and without the u1 dtype, ndarray of 3 args */
  start(&p);
  op(&p, PK_MARK);
  glob(&p, "_codecs", "encode");
  str(&p, "a\xc3\xa9\xc2\x80");
  str(&p, "latin-1");
  op(&p, PK_TUPLE2);
  op(&p, PK_REDUCE);
  glob(&p, "builtins", "bytes");
  op(&p, PK_EMPTY_TUPLE);
  op(&p, PK_REDUCE);
  glob(&p, "numpy", "ndarray");
  i32(&p, 2);
  op(&p, PK_TUPLE1);
  dt(&p, "<u2");
  glob(&p, "numpy", "frombuffer");
  byts(&p, "\x05\x00\x06\x00", 4);
  op(&p, PK_TUPLE1);
  op(&p, PK_REDUCE);
  op(&p, PK_TUPLE3);
  op(&p, PK_REDUCE);
  call_mark(&p, "numpy", "ndarray");
  i32(&p, 1);
  op(&p, PK_TUPLE1);
  dt(&p, "<u2");
  glob(&p, "numpy", "frombuffer");
  byts(&p, "\x05\x00\x06\x00", 4);
  dt(&p, "|u1");
  op(&p, PK_TUPLE2);
  op(&p, PK_REDUCE);
  i32(&p, 2); /* offset */
  op(&p, PK_NONE);
  str(&p, "C");
  call_end(&p);
  op(&p, PK_LIST);
  op(&p, PK_STOP);
  d = ok(&p, NULL);
  const zr_value *r = zr_doc_root(d);
  assert_int_equal(r->n.len, 4);
  assert_int_equal(r->u.items[0].n.len, 3);
  assert_memory_equal(r->u.items[0].u.bin, "a\xe9\x80", 3);
  assert_int_equal(r->u.items[1].kind, ZR_KIND_BINARY);
  assert_int_equal(r->u.items[1].n.len, 0);
  assert_int_equal(r->u.items[2].u.tensor->shape[0], 2);
  assert_int_equal(*(const uint16_t *)r->u.items[3].u.tensor->data, 6);
  zr_doc_free(d);

  /* the refusals and malformed calls */
#define CALL_CASE(stmts, want, text)          \
  do {                                        \
    start(&p);                                \
    stmts;                                    \
    op(&p, PK_STOP);                          \
    bad(&p, NULL, want, text, -1);            \
  } while (0)
  CALL_CASE((i32(&p, 1), op(&p, PK_EMPTY_TUPLE), op(&p, PK_REDUCE)), ZR_ERR_REFUSED, "REDUCE on something that is not");
  CALL_CASE((glob(&p, "numpy", "dtype"), i32(&p, 1), op(&p, PK_REDUCE)), ZR_ERR_MALFORMED, "arguments are not a tuple");
  CALL_CASE((glob(&p, "numpy", "dtype"), op(&p, PK_EMPTY_TUPLE), op(&p, PK_REDUCE)), ZR_ERR_UNSUPPORTED,
            "unexpected arguments to numpy.dtype");
  CALL_CASE((glob(&p, "numpy", "dtype"), i32(&p, 4), op(&p, PK_TUPLE1), op(&p, PK_REDUCE)), ZR_ERR_UNSUPPORTED,
            "must be a type string");
  CALL_CASE((glob(&p, "_codecs", "encode"), str(&p, "x"), str(&p, "utf8"), op(&p, PK_TUPLE2), op(&p, PK_REDUCE)),
            ZR_ERR_REFUSED, "only allowed as encode(str, 'latin1')");
  CALL_CASE((glob(&p, "_codecs", "encode"), str(&p, "\xe2\x82\xac"), str(&p, "latin1"), op(&p, PK_TUPLE2), op(&p, PK_REDUCE)),
            ZR_ERR_MALFORMED, "above U+00FF");
  CALL_CASE((glob(&p, "__builtin__", "bytes"), i32(&p, 1), op(&p, PK_TUPLE1), op(&p, PK_REDUCE)), ZR_ERR_REFUSED,
            "bytes() is only allowed without arguments");
  CALL_CASE((glob(&p, "numpy.core.multiarray", "_reconstruct"), op(&p, PK_EMPTY_TUPLE), op(&p, PK_REDUCE)),
            ZR_ERR_UNSUPPORTED, "unexpected arguments to _reconstruct");
  CALL_CASE((glob(&p, "numpy.core.multiarray", "_frombuffer"), i32(&p, 1), op(&p, PK_TUPLE1), op(&p, PK_REDUCE)),
            ZR_ERR_UNSUPPORTED, "unexpected arguments to _frombuffer");
  CALL_CASE((glob(&p, "numpy.core.numeric", "scalar"), i32(&p, 1), op(&p, PK_TUPLE1), op(&p, PK_REDUCE)),
            ZR_ERR_UNSUPPORTED, "unexpected arguments to scalar");
  CALL_CASE((glob(&p, "numpy", "frombuffer"), op(&p, PK_EMPTY_TUPLE), op(&p, PK_REDUCE)), ZR_ERR_UNSUPPORTED,
            "unexpected arguments to numpy.frombuffer");
  CALL_CASE((glob(&p, "numpy", "frombuffer"), byts(&p, "ab", 2), dt(&p, "<i2"), op(&p, PK_TUPLE2), op(&p, PK_REDUCE)),
            ZR_ERR_UNSUPPORTED, "only read with a 1-byte dtype");
  CALL_CASE((glob(&p, "numpy", "frombuffer"), byts(&p, "ab", 2), i32(&p, 1), op(&p, PK_TUPLE2), op(&p, PK_REDUCE)),
            ZR_ERR_MALFORMED, "expected a dtype");
  CALL_CASE((glob(&p, "numpy", "ndarray"), i32(&p, 1), op(&p, PK_TUPLE1), op(&p, PK_REDUCE)), ZR_ERR_UNSUPPORTED,
            "unexpected arguments to numpy.ndarray");
  /* ndarray offset and strides */
#define NDARRAY_CASE(stmts, want, text) \
  CALL_CASE((call_mark(&p, "numpy", "ndarray"), op(&p, PK_EMPTY_TUPLE), dt(&p, "|u1"), byts(&p, "ab", 2), stmts, call_end(&p)), \
            want, text)
  NDARRAY_CASE(i32(&p, 3), ZR_ERR_MALFORMED, "bad ndarray offset");
  NDARRAY_CASE((i32(&p, 0), i32(&p, 1)), ZR_ERR_UNSUPPORTED, "explicit strides");
#undef NDARRAY_CASE
#undef CALL_CASE
}

/* shapes: not a tuple, too many dimensions, non-int entry, negative, overflowing; a list is fine */
static void sh_notuple(pb *p) { str(p, "x"); }
static void sh_many(pb *p) {
  op(p, PK_MARK);
  for (int i = 0; i < 33; i++) i32(p, 1);
  op(p, PK_TUPLE);
}
static void sh_nonint(pb *p) { str(p, "x"); op(p, PK_TUPLE1); }
static void sh_neg(pb *p) { i32(p, -1); op(p, PK_TUPLE1); }
static void sh_over(pb *p) {
  op(p, PK_LONG1);
  op(p, 8);
  raw(p, "\xff\xff\xff\xff\xff\xff\xff\x3f", 8);
  op(p, PK_TUPLE1);
}
static void sh_list0(pb *p) { op(p, PK_EMPTY_LIST); i32(p, 0); op(p, PK_APPEND); }

static void test_shapes(void **state) {
  (void)state;
  struct { void (*f)(pb *); zr_status st; const char *msg; } cases[] = {
      {sh_notuple, ZR_ERR_MALFORMED, "array shape is not a tuple"}, {sh_many, ZR_ERR_LIMIT, "too many dimensions"},
      {sh_nonint, ZR_ERR_MALFORMED, "shape entry is not an int"},   {sh_neg, ZR_ERR_MALFORMED, "negative extent"},
      {sh_over, ZR_ERR_OVERFLOW, "overflows"},                      {sh_list0, ZR_OK, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    pb p;
    start(&p);
    call_mark(&p, "numpy.core.multiarray", "_frombuffer");
    byts(&p, "", 0);
    dt(&p, "<f8");
    cases[i].f(&p);
    str(&p, "C");
    call_end(&p);
    op(&p, PK_STOP);
    if (cases[i].st == ZR_OK) zr_doc_free(ok(&p, NULL));
    else bad(&p, NULL, cases[i].st, cases[i].msg, -1);
  }
}

/* the array's state closed (TUPLE, BUILD, STOP): the decode fails with @p want and @p msg */
static void build_bad(pb *p, zr_status want, const char *msg) {
  op(p, PK_TUPLE);
  op(p, PK_BUILD);
  op(p, PK_STOP);
  bad(p, NULL, want, msg, -1);
}

static void test_build(void **state) {
  (void)state;
  pb p;
  /* object arrays: the state's data is a list */
  array1(&p, 1);
  dt(&p, "<i4");
  op(&p, PK_NEWFALSE);
  op(&p, PK_EMPTY_LIST);
  build_bad(&p, ZR_ERR_REFUSED, "object arrays are refused");
  /* the fortran flag is not a bool */
  array1(&p, 1);
  dt(&p, "<i4");
  i32(&p, 0);
  byts(&p, "abcd", 4);
  build_bad(&p, ZR_ERR_MALFORMED, "bad ndarray state");
  /* a state of the wrong size */
  start(&p);
  array_begin(&p);
  build_bad(&p, ZR_ERR_UNSUPPORTED, "unexpected ndarray state");
  /* BUILD on a list; an array that never got its state; Fortran state */
  start(&p);
  op(&p, PK_EMPTY_LIST);
  op(&p, PK_NONE);
  op(&p, PK_BUILD);
  op(&p, PK_STOP);
  bad(&p, NULL, ZR_ERR_REFUSED, "BUILD is only allowed", 5);
  start(&p);
  array_begin(&p);
  op(&p, PK_POP_MARK);
  op(&p, PK_STOP);
  bad(&p, NULL, ZR_ERR_MALFORMED, "never received its state", -1);
  start(&p);
  array_begin(&p);
  i32(&p, 2);
  i32(&p, 2);
  op(&p, PK_TUPLE2);
  dt(&p, "|u1");
  array_stop(&p, 4, 1);
  zr_doc *d = ok(&p, NULL);
  assert_int_equal(zr_doc_root(d)->u.tensor->strides[1], 2);
  zr_doc_free(d);
}

static void test_opcodes(void **state) {
  (void)state;
  pb p;
  zr_doc *d;
  /* a list through every stack and memo opcode the reader has */
  start(&p);
  op(&p, PK_FRAME);
  raw(&p, "\x10\0\0\0\0\0\0\0", 8);
  op(&p, PK_EMPTY_LIST);
  op(&p, PK_MEMOIZE);
  op(&p, PK_BINPUT);
  op(&p, 3);
  op(&p, PK_LONG_BINPUT);
  raw(&p, "\x05\0\0\0", 4);
  op(&p, PK_MARK);
  op(&p, PK_BINFLOAT);
  raw(&p, "\x3f\xf8\0\0\0\0\0\0", 8); /* 1.5 */
  op(&p, PK_DUP);
  op(&p, PK_NONE);
  op(&p, PK_POP);
  op(&p, PK_LONG1);
  op(&p, 9);
  raw(&p, "\0\0\0\0\0\0\0\0\xff", 9); /* -2**64: big and negative */
  op(&p, PK_LONG4);
  raw(&p, "\x02\0\0\0\x00\x80", 6); /* -32768 */
  op(&p, PK_SHORT_BINSTRING);
  op(&p, 2);
  raw(&p, "hi", 2);
  op(&p, PK_BINSTRING);
  raw(&p, "\x01\0\0\0!", 5);
  op(&p, PK_BINUNICODE);
  raw(&p, "\x01\0\0\0u", 5);
  op(&p, PK_BINUNICODE8);
  raw(&p, "\x01\0\0\0\0\0\0\0v", 9);
  op(&p, PK_BINBYTES);
  raw(&p, "\x01\0\0\0w", 5);
  op(&p, PK_BINBYTES8);
  raw(&p, "\x01\0\0\0\0\0\0\0x", 9);
  op(&p, PK_BYTEARRAY8);
  raw(&p, "\x01\0\0\0\0\0\0\0y", 9);
  op(&p, PK_READONLY_BUFFER);
  op(&p, PK_BININT2);
  raw(&p, "\x34\x12", 2);
  op(&p, PK_BININT1);
  op(&p, 7);
  op(&p, PK_EMPTY_DICT);
  op(&p, PK_BININT1);
  op(&p, 1);
  op(&p, PK_NEWTRUE);
  op(&p, PK_SETITEM);
  op(&p, PK_MARK);
  str(&p, "k");
  op(&p, PK_NEWFALSE);
  op(&p, PK_SETITEMS);
  op(&p, PK_MARK);
  str(&p, "a");
  i32(&p, 1);
  op(&p, PK_DICT);
  op(&p, PK_MARK);
  op(&p, PK_NONE);
  op(&p, PK_NONE);
  op(&p, PK_NONE);
  op(&p, PK_NONE);
  op(&p, PK_TUPLE);
  op(&p, PK_APPENDS);
  op(&p, PK_BINGET);
  op(&p, 3);
  op(&p, PK_POP);
  op(&p, PK_LONG_BINGET);
  raw(&p, "\x05\0\0\0", 4);
  op(&p, PK_POP);
  op(&p, PK_STOP);
  d = ok(&p, NULL);
  const zr_value *r = zr_doc_root(d);
  assert_int_equal(r->kind, ZR_KIND_LIST);
  assert_int_equal(r->n.len, 16);
  assert_true(r->u.items[0].u.f == 1.5 && r->u.items[1].u.f == 1.5);
  assert_int_equal(r->u.items[2].kind, ZR_KIND_BIGINT);
  assert_true(r->u.items[2].flags & ZR_VF_NEGATIVE);
  assert_int_equal(r->u.items[3].u.i, -32768);
  assert_int_equal(r->u.items[4].kind, ZR_KIND_BINARY); /* protocol 0-2 str: bytes */
  assert_string_equal(zr_map_get(&r->u.items[13], "k", 1)->kind == ZR_KIND_BOOL ? "k" : "?", "k");
  assert_int_equal(r->u.items[15].kind, ZR_KIND_TUPLE);
  zr_doc_free(d);
  cs_decode_sweep("opcodes", cs_fmt_decode, (void *)zr_format_by_name("pickle"), p.b, p.n, NULL);

  /* malformed and refused opcodes, with the offset of the opcode at fault (-1: not checked) */
  struct { const char *bytes; size_t n; zr_status st; const char *msg; int64_t off; } cases[] = {
      {"\x80\x06", 2, ZR_ERR_VERSION, "protocol 6", 0},
      {"\x80\x02.", 3, ZR_ERR_MALFORMED, "stack underflow", 3},
      {"\x80\x02N\x86.", 5, ZR_ERR_MALFORMED, "stack underflow", 4},
      {"\x80\x02" "2", 3, ZR_ERR_MALFORMED, "stack underflow", 3},
      {"\x80\x02" "1", 3, ZR_ERR_MALFORMED, "no MARK", 3},
      {"\x80\x02\x8b\xff\xff\xff\xff", 7, ZR_ERR_MALFORMED, "negative LONG4 length", 7},
      {"\x80\x02T\xff\xff\xff\xff", 7, ZR_ERR_MALFORMED, "negative length", 3},
      {"\x80\x02\x97", 3, ZR_ERR_MALFORMED, "NEXT_BUFFER without an out-of-band buffer", 3},
      {"\x80\x02NNa", 5, ZR_ERR_MALFORMED, "APPEND to a non-list", 5},
      {"\x80\x02](K\x01u", 7, ZR_ERR_MALFORMED, "SETITEMS on the wrong container", 7},
      {"\x80\x02}(K\x01u", 7, ZR_ERR_MALFORMED, "odd number of dict items", 7},
      {"\x80\x02(K\x01" "d", 6, ZR_ERR_MALFORMED, "odd number of dict items", 6},
      {"\x80\x02(K\x01" "e", 6, ZR_ERR_MALFORMED, "no container below MARK", 6},
      {"\x80\x02](((K\x01" "e", 9, ZR_ERR_MALFORMED, "no container below MARK", 9},
      {"\x80\x02NNNs", 6, ZR_ERR_MALFORMED, "SETITEM on a non-dict", 6},
      {"\x80\x02K\x01K\x02\x93", 7, ZR_ERR_MALFORMED, "STACK_GLOBAL needs two strings", 7},
      {"\x80\x02" "cos", 5, ZR_ERR_TRUNCATED, "truncated GLOBAL", 5},
      {"\x80\x02" "cos\nsys", 9, ZR_ERR_TRUNCATED, "truncated GLOBAL", 9},
      {"\x80\x02" "cos\nsystem\n", 13, ZR_ERR_REFUSED, "global 'os.system' is not allowed", 13},
      {"\x80\x02h\x09", 4, ZR_ERR_MALFORMED, "memo entry 9 missing", 2},
      {"\x80\x02j\x09\0\0\0", 7, ZR_ERR_MALFORMED, "memo entry 9 missing", 2},
      {"\x80\x02Nr\xff\xff\xff\x0f", 8, ZR_ERR_LIMIT, "memo index too large", 8},
      {"\x80\x02Q", 3, ZR_ERR_REFUSED, "persistent ids", 2},
      {"\x80\x02\x82\x01", 4, ZR_ERR_REFUSED, "extension registry", 2},
      {"\x80\x02\x81", 3, ZR_ERR_REFUSED, "object construction", 2},
      {"\x80\x02\xff", 3, ZR_ERR_UNSUPPORTED, "opcode 0xff", 2},
      {"\x80\x02\x8c\x02\xc3(", 6, ZR_ERR_UTF8, "not valid UTF-8", 4},
      {"\x80\x02X\x05\0\0\0ab", 9, ZR_ERR_TRUNCATED, "need 5 more bytes", 9},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    start(&p);
    p.n = 0;
    raw(&p, cases[i].bytes, cases[i].n);
    bad(&p, NULL, cases[i].st, cases[i].msg, cases[i].off);
  }
}

static void test_limits_and_args(void **state) {
  (void)state;
  pb p;
  zr_decode_opts o;
  /* more open MARKs than max_depth allows */
  zr_decode_opts_init(&o);
  o.max_depth = 2;
  start(&p);
  for (int i = 0; i < 100; i++) op(&p, PK_MARK);
  bad(&p, &o, ZR_ERR_LIMIT, "too many open MARKs", -1);
  /* a stack deeper than max_elements allows */
  zr_decode_opts_init(&o);
  o.max_elements = 10;
  start(&p);
  for (int i = 0; i < 200; i++) op(&p, PK_EMPTY_LIST), op(&p, PK_POP), op(&p, PK_MARK), op(&p, PK_POP_MARK);
  for (int i = 0; i < 8; i++) op(&p, PK_NONE);
  bad(&p, &o, ZR_ERR_LIMIT, "max_elements", -1);
  zr_decode_opts_init(&o);
  o.max_elements = 100;
  start(&p);
  op(&p, PK_NONE);
  for (int i = 0; i < 300; i++) op(&p, PK_DUP);
  bad(&p, &o, ZR_ERR_LIMIT, "stack too deep", -1);
  /* result limits: depth and count */
  start(&p);
  op(&p, PK_EMPTY_LIST);
  op(&p, PK_EMPTY_LIST);
  op(&p, PK_APPEND);
  op(&p, PK_STOP);
  zr_decode_opts_init(&o);
  o.max_depth = 0;
  bad(&p, &o, ZR_ERR_LIMIT, "nested deeper than max_depth", -1);
  /* arguments */
  zr_doc *d = NULL;
  zr_pickle_buffer buf = {"x", 1, 0};
  assert_int_equal(zr_pickle_decode(p.b, p.n, NULL, 0, NULL, NULL, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_pickle_decode(NULL, 3, NULL, 0, NULL, &d, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_pickle_decode(p.b, p.n, NULL, 1, NULL, &d, NULL), ZR_ERR_INVALID_ARG);
  /* an out-of-band buffer marked read-only, and a copy */
  start(&p);
  op(&p, PK_NEXT_BUFFER);
  op(&p, PK_READONLY_BUFFER);
  op(&p, PK_STOP);
  zr_decode_opts_init(&o);
  o.copy = 1;
  assert_int_equal(zr_pickle_decode(p.b, p.n, &buf, 1, &o, &d, NULL), ZR_OK);
  assert_int_equal(zr_doc_root(d)->n.len, 1);
  assert_ptr_not_equal(zr_doc_root(d)->u.bin, buf.data);
  zr_doc_free(d);
}

int main(void) {
  cs_trace_crashes();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_structured),  cmocka_unit_test(test_datetime_meta), cmocka_unit_test(test_dtype_strings),
      cmocka_unit_test(test_reconstructors), cmocka_unit_test(test_shapes),     cmocka_unit_test(test_build),
      cmocka_unit_test(test_opcodes),     cmocka_unit_test(test_limits_and_args),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
