/* Coverage: the value model, tensors, paths, tables and the arena/buffer helpers at their edges:
 * every NULL argument and wrong kind, allocation failing at one chosen site of a deep copy or a
 * build (the doc's status and the call's answer), container limits, equality of values that
 * differ in one property, tensor geometry overflows, path syntax errors with their offsets, the
 * arena's refusals (alignment, size and total overflows, limits) and long formatted appends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "zr_test.h"

static int released;
static void count_release(void *owner) {
  (void)owner;
  released++;
}

static void test_doc_and_builders(void **state) {
  (void)state;
  zr_decode_opts_init(NULL);
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  assert_int_equal(o.dup_keys, ZR_DUP_KEEP);
  zr_doc *d = zr_doc_new(NULL);
  /* zr_doc_alloc refuses bad alignments without touching the status */
  assert_null(zr_doc_alloc(NULL, 8, 8));
  assert_null(zr_doc_alloc(d, 8, 0));
  assert_null(zr_doc_alloc(d, 8, 128));
  assert_null(zr_doc_alloc(d, 8, 24));
  assert_int_equal(zr_doc_status(d), ZR_OK);
  assert_int_equal(zr_doc_status(NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_doc_set_root(NULL, zr_null()), ZR_ERR_INVALID_ARG);
  assert_null(zr_doc_root(NULL));
  assert_int_equal(zr_doc_bytes(NULL), 0);
  assert_int_equal(zr_doc_keep(NULL, count_release, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_doc_keep(d, NULL, NULL), ZR_ERR_INVALID_ARG);
  zr_doc_reset(NULL);
  zr_doc_free(NULL);
  /* NULL docs and tensors give null values */
  zr_tensor t;
  int64_t sh[1] = {3};
  static int16_t td[3] = {1, 2, 3};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT16, 2, 1, sh, td, NULL), ZR_OK);
  assert_int_equal(zr_tensor_value(NULL, &t).kind, ZR_KIND_NULL);
  assert_int_equal(zr_tensor_value(d, NULL).kind, ZR_KIND_NULL);
  zr_table tb;
  memset(&tb, 0, sizeof tb);
  assert_int_equal(zr_table_value(NULL, &tb).kind, ZR_KIND_NULL);
  assert_int_equal(zr_table_value(d, NULL).kind, ZR_KIND_NULL);
  assert_int_equal(zr_list_new(NULL, 3).kind, ZR_KIND_NULL);
  assert_int_equal(zr_str_copy(NULL, "x", 1).kind, ZR_KIND_NULL);
  /* pushes and puts into the wrong kinds */
  zr_value l = zr_list_new(d, 0), m = zr_map_new(d, 0), i1 = zr_int(1);
  assert_int_equal(zr_list_push(NULL, &l, i1), ZR_ERR_TYPE);
  assert_int_equal(zr_list_push(d, NULL, i1), ZR_ERR_TYPE);
  assert_int_equal(zr_list_push(d, &m, i1), ZR_ERR_TYPE);
  assert_int_equal(zr_map_put(NULL, &m, i1, i1), ZR_ERR_TYPE);
  assert_int_equal(zr_map_put(d, NULL, i1, i1), ZR_ERR_TYPE);
  assert_int_equal(zr_map_put(d, &l, i1, i1), ZR_ERR_TYPE);
  /* a container at its element limit: ZR_ERR_LIMIT, also as the doc's status */
  zr_value full = zr_list_new(d, 0);
  full.n.len = UINT32_MAX;
  full.aux32 = UINT32_MAX;
  assert_int_equal(zr_list_push(d, &full, i1), ZR_ERR_LIMIT);
  assert_int_equal(zr_doc_status(d), ZR_ERR_LIMIT);
  zr_doc_free(d);
  /* kind names, map lookups */
  assert_string_equal(zr_kind_name((zr_kind)99), "invalid");
  assert_string_equal(zr_kind_name(ZR_KIND_EXT), "ext");
  d = zr_doc_new(NULL);
  m = zr_map_new(d, 4);
  zr_map_put(d, &m, zr_int(5), zr_int(50));
  zr_map_put_cstr(d, &m, "", zr_int(0));
  zr_map_put_cstr(d, &m, "ab", zr_int(2));
  zr_map_put_cstr(d, &m, "ac", zr_int(3));
  assert_null(zr_map_get(NULL, "ab", 2));
  assert_null(zr_map_get(&i1, "ab", 2));
  assert_null(zr_map_get(&m, NULL, 0));
  assert_int_equal(zr_map_get(&m, "", 0)->u.i, 0);
  assert_int_equal(zr_map_get(&m, "ac", 2)->u.i, 3);
  assert_null(zr_map_get(&m, "ad", 2));
  assert_null(zr_map_get(&m, "abc", 3));
  zr_doc_free(d);
}

/* a doc whose allocator fails its @p n-th allocation */
static zr_doc *failing_doc(zr_test_failalloc *fa, uint64_t n) {
  zr_test_failalloc_init(fa, 0);
  zr_doc *d = zr_doc_new(&fa->a); /* the doc itself: allocation 1 */
  assert_non_null(d);
  fa->fail_at = fa->calls + n;
  return d;
}

static void test_build_failures(void **state) {
  (void)state;
  zr_test_failalloc fa;
  /* the first chunk fails: every builder gives null and the doc says NOMEM */
  zr_doc *d = failing_doc(&fa, 1);
  assert_null(zr_doc_alloc(d, 16, 8));
  assert_int_equal(zr_doc_status(d), ZR_ERR_NOMEM);
  fa.fail_at = fa.calls + 1;
  assert_null(zr_doc_alloc(d, 16, 8)); /* a second failure keeps the first status */
  assert_int_equal(zr_doc_status(d), ZR_ERR_NOMEM);
  zr_doc_free(d);
  assert_int_equal(fa.live, 0);
  struct {
    int what;
  } sites[] = {{0}, {1}, {2}, {3}, {4}, {5}, {6}};
  for (size_t i = 0; i < sizeof sites / sizeof sites[0]; i++) {
    d = failing_doc(&fa, 1);
    zr_value v = zr_int(0);
    zr_status st = ZR_OK;
    released = 0;
    static int16_t td[3] = {1, 2, 3};
    int64_t sh[1] = {3};
    zr_tensor t;
    zr_tensor_init(&t, ZR_DT_INT16, 2, 1, sh, td, NULL);
    switch (sites[i].what) {
      case 0: v = zr_timestamp(d, 5, ZR_TU_SECOND, "UTC"); break;
      case 1: v = zr_ext(d, 1, 1, "abc", 3); break;
      case 2: {
        zr_value m = zr_map_new(d, 0);
        st = zr_map_put_cstr(d, &m, "key", zr_int(1));
        break;
      }
      case 3: {
        zr_value m = zr_map_new(d, 0);
        st = zr_map_put(d, &m, zr_int(1), zr_int(1));
        break;
      }
      case 4:
        v = zr_list_new(d, (size_t)UINT32_MAX + 10); /* capped to 2^32-1 items, then refused */
        break;
      case 5:
        t.release = count_release;
        v = zr_tensor_value(d, &t);
        break;
      case 6: {
        zr_table tb;
        memset(&tb, 0, sizeof tb);
        tb.n_batches = 0;
        v = zr_table_value(d, &tb);
        break;
      }
    }
    if (sites[i].what == 2 || sites[i].what == 3) assert_int_equal(st, ZR_ERR_NOMEM);
    else assert_int_equal(v.kind, ZR_KIND_NULL);
    assert_int_equal(zr_doc_status(d), ZR_ERR_NOMEM);
    zr_doc_free(d);
    assert_int_equal(released, 0); /* a tensor not taken is not released */
    assert_int_equal(fa.live, 0);
  }
  /* the tensor fits but its release record does not: null, NOMEM, the owner not released */
  d = failing_doc(&fa, 2);
  assert_non_null(zr_doc_alloc(d, 8, 8)); /* the first chunk */
  size_t room = (size_t)(d->arena.end - d->arena.cur);
  assert_non_null(zr_doc_alloc(d, room - sizeof(zr_tensor) - 8, 8)); /* leave the tensor, not its record */
  static int16_t td2[3] = {1, 2, 3};
  int64_t sh2[1] = {3};
  zr_tensor t2;
  zr_tensor_init(&t2, ZR_DT_INT16, 2, 1, sh2, td2, NULL);
  t2.release = count_release;
  released = 0;
  zr_value tv = zr_tensor_value(d, &t2);
  assert_int_equal(tv.kind, ZR_KIND_NULL);
  assert_int_equal(zr_doc_status(d), ZR_ERR_NOMEM);
  zr_doc_free(d);
  assert_int_equal(released, 0); /* still the caller's */
  assert_int_equal(fa.live, 0);
  /* the same for a table: the caller keeps it */
  d = failing_doc(&fa, 2);
  assert_non_null(zr_doc_alloc(d, 8, 8));
  room = (size_t)(d->arena.end - d->arena.cur);
  assert_non_null(zr_doc_alloc(d, room - sizeof(zr_table) - 8, 8));
  zr_table tb2;
  memset(&tb2, 0, sizeof tb2);
  tb2.n_batches = 5;
  assert_int_equal(zr_table_value(d, &tb2).kind, ZR_KIND_NULL);
  assert_int_equal(tb2.n_batches, 5); /* not taken */
  zr_doc_free(d);
  assert_int_equal(fa.live, 0);
  /* a kept tensor is released once with its doc */
  d = zr_doc_new(NULL);
  released = 0;
  tv = zr_tensor_value(d, &t2);
  assert_int_equal(tv.kind, ZR_KIND_TENSOR);
  zr_doc_reset(d);
  assert_int_equal(released, 1);
  tv = zr_tensor_value(d, &t2);
  zr_doc_free(d);
  assert_int_equal(released, 2);
}

static void test_equality(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value a = zr_int(1);
  assert_false(zr_value_equal(NULL, &a));
  assert_false(zr_value_equal(&a, NULL));
  assert_true(zr_value_equal(&a, &a));
  zr_value u = zr_uint(1);
  assert_false(zr_value_equal(&a, &u));
  zr_value x = {.kind = 99}, y = {.kind = 99};
  assert_false(zr_value_equal(&x, &y)); /* unknown kinds are never equal */
  /* timestamps: value, unit, zone presence, zone text */
  zr_value t1 = zr_timestamp(d, 5, ZR_TU_SECOND, "UTC"), t2 = zr_timestamp(d, 5, ZR_TU_SECOND, "UTC");
  assert_true(zr_value_equal(&t1, &t2));
  zr_value t3 = zr_timestamp(d, 6, ZR_TU_SECOND, "UTC"), t4 = zr_timestamp(d, 5, ZR_TU_MILLI, "UTC");
  zr_value t5 = zr_timestamp(d, 5, ZR_TU_SECOND, NULL), t6 = zr_timestamp(d, 5, ZR_TU_SECOND, "CET");
  assert_false(zr_value_equal(&t1, &t3));
  assert_false(zr_value_equal(&t1, &t4));
  assert_false(zr_value_equal(&t1, &t5));
  assert_false(zr_value_equal(&t5, &t1));
  assert_false(zr_value_equal(&t1, &t6));
  zr_value t7 = zr_timestamp(d, 5, ZR_TU_SECOND, NULL);
  assert_true(zr_value_equal(&t5, &t7));
  /* tensors differing in one property */
  static int32_t da[6] = {1, 2, 3, 4, 5, 6}, db[6] = {1, 2, 3, 4, 5, 7};
  int64_t sh[2] = {2, 3};
  zr_tensor A, B;
  zr_tensor_init(&A, ZR_DT_INT32, 4, 2, sh, da, NULL);
  zr_value va = zr_tensor_value(d, &A);
  for (int k = 0; k < 8; k++) {
    zr_tensor_init(&B, ZR_DT_INT32, 4, 2, sh, da, NULL);
    switch (k) {
      case 0: B.dtype = ZR_DT_UINT32; break;
      case 1: B.itemsize = 8; break;
      case 2: B.ndim = 1; break;
      case 3: B.time_unit = ZR_TU_MILLI; break;
      case 4: B.data = NULL; break;
      case 5: B.data = db; break;
      case 6: /* strided (Fortran) view of the same elements in another order */
        B.strides[0] = 4;
        B.strides[1] = 8;
        break;
      case 7: B.descr = "<i4"; break;
    }
    zr_value vb = zr_tensor_value(d, &B);
    assert_false(zr_value_equal(&va, &vb));
    assert_false(zr_value_equal(&vb, &va));
  }
  /* the same elements through a strided view compare equal to a C-ordered copy */
  static int32_t fo[6] = {1, 4, 2, 5, 3, 6}; /* Fortran order of da */
  zr_tensor_init(&B, ZR_DT_INT32, 4, 2, sh, fo, NULL);
  B.strides[0] = 4;
  B.strides[1] = 8;
  zr_value vf = zr_tensor_value(d, &B);
  assert_true(zr_value_equal(&va, &vf));
  assert_true(zr_tensor_is_f_contiguous(&B));
  assert_false(zr_tensor_is_c_contiguous(&B));
  /* both without data: equal */
  zr_tensor_init(&A, ZR_DT_INT32, 4, 2, sh, NULL, NULL);
  zr_tensor_init(&B, ZR_DT_INT32, 4, 2, sh, NULL, NULL);
  zr_value n1 = zr_tensor_value(d, &A), n2 = zr_tensor_value(d, &B);
  assert_true(zr_value_equal(&n1, &n2));
  zr_doc_free(d);
}

static void test_copy_failures(void **state) {
  (void)state;
  zr_error e;
  zr_doc *src = zr_doc_new(NULL);
  zr_value dst;
  assert_int_equal(zr_value_copy(NULL, &dst, &dst, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_value_copy(src, NULL, &dst, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_value_copy(src, &dst, NULL, &e), ZR_ERR_INVALID_ARG);
  char long_text[5000];
  memset(long_text, 'x', sizeof long_text);
  static double tdat[600];
  int64_t sh[1] = {600};
  zr_tensor t;
  zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 1, sh, tdat, NULL);
  char descr[4500];
  memset(descr, 'd', sizeof descr - 1);
  descr[sizeof descr - 1] = '\0';
  t.descr = descr;
  zr_value lst = zr_list_new(src, 1);
  zr_list_push(src, &lst, zr_str_copy(src, long_text, sizeof long_text));
  zr_value mp = zr_map_new(src, 1);
  zr_map_put(src, &mp, zr_str_copy(src, long_text, sizeof long_text), zr_int(1));
  zr_value mpv = zr_map_new(src, 1);
  zr_map_put_cstr(src, &mpv, "k", zr_str_copy(src, long_text, sizeof long_text));
  /* (value, which allocation of the copy fails) */
  struct {
    zr_value v;
    uint64_t n;
  } cases[] = {
      {zr_str_copy(src, "abc", 3), 1},
      {zr_timestamp(src, 1, ZR_TU_SECOND, "Europe/Berlin"), 1},
      {lst, 1},   /* the items */
      {lst, 2},   /* the long string inside (a chunk of its own) */
      {mp, 1},
      {mp, 2},    /* a key */
      {mpv, 2},   /* a value */
      {zr_tensor_value(src, &t), 1}, /* the tensor struct */
      {zr_tensor_value(src, &t), 2}, /* its data (4800 bytes: a chunk of its own) */
      {zr_tensor_value(src, &t), 3}, /* its descr */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    zr_test_failalloc fa;
    zr_doc *d = failing_doc(&fa, cases[i].n);
    zr_error_clear(&e);
    zr_status st = zr_value_copy(d, &cases[i].v, &dst, &e);
    if (st != ZR_ERR_NOMEM) fail_msg("case %zu: %d (calls %llu)", i, st, (unsigned long long)fa.calls);
    assert_string_equal(e.message, "out of memory");
    zr_doc_free(d);
    assert_int_equal(fa.live, 0);
    /* and without a failure the copy is equal */
    d = zr_doc_new(NULL);
    assert_int_equal(zr_value_copy(d, &cases[i].v, &dst, &e), ZR_OK);
    assert_true(zr_value_equal(&dst, &cases[i].v));
    zr_doc_free(d);
  }
  /* empty containers, a zero-size tensor, a tensor whose byte size overflows */
  zr_doc *d = zr_doc_new(NULL);
  zr_value el = zr_list_new(src, 0), em = zr_map_new(src, 0);
  assert_int_equal(zr_value_copy(d, &el, &dst, &e), ZR_OK);
  assert_int_equal(dst.n.len, 0);
  assert_int_equal(zr_value_copy(d, &em, &dst, &e), ZR_OK);
  int64_t zs[2] = {0, 5};
  zr_tensor tz;
  zr_tensor_init(&tz, ZR_DT_INT8, 1, 2, zs, NULL, NULL);
  zr_value vz = zr_tensor_value(src, &tz);
  assert_int_equal(zr_value_copy(d, &vz, &dst, &e), ZR_OK);
  assert_int_equal(dst.u.tensor->nbytes, 0);
  assert_int_equal(dst.u.tensor->strides[0], 5);
  assert_true(zr_value_equal(&dst, &vz));
  zr_tensor to = tz;
  to.shape[0] = INT64_MAX / 2;
  to.shape[1] = 1;
  to.itemsize = 8;
  to.dtype = ZR_DT_INT64;
  zr_value vo = zr_tensor_value(src, &to);
  assert_int_equal(zr_value_copy(d, &vo, &dst, &e), ZR_ERR_OVERFLOW);
  assert_string_equal(e.message, "tensor too large");
  zr_doc_free(d);
  zr_doc_free(src);
}

static void test_tensor_geometry(void **state) {
  (void)state;
  zr_tensor t;
  zr_error e;
  int64_t sh[3] = {2, 3, 4};
  assert_int_equal(zr_tensor_init(NULL, ZR_DT_INT8, 1, 1, sh, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT8, 1, 1, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT8, 1, 0, NULL, NULL, &e), ZR_OK); /* a scalar */
  assert_int_equal(zr_tensor_count(&t), 1);
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT8, 1, ZR_TENSOR_MAX_DIMS + 1, sh, NULL, &e), ZR_ERR_LIMIT);
  assert_non_null(strstr(e.message, "dimensions exceed the maximum"));
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT8, 2, 1, sh, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "itemsize 2 does not match int8");
  assert_int_equal(zr_tensor_init(&t, ZR_DT_LONGDOUBLE, 0, 1, sh, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "itemsize is 0");
  assert_int_equal(zr_tensor_init(&t, ZR_DT_BYTES, 0, 1, sh, NULL, &e), ZR_OK);
  assert_int_equal(zr_tensor_init(&t, ZR_DT_UNICODE, 0, 1, sh, NULL, &e), ZR_OK);
  assert_int_equal(zr_tensor_init(&t, ZR_DT_VOID, 0, 1, sh, NULL, &e), ZR_OK);
  int64_t neg[2] = {2, -1};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT8, 1, 2, neg, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "negative extent in dimension 1");
  int64_t huge[2] = {INT64_MAX, 2};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT8, 1, 2, huge, NULL, &e), ZR_ERR_OVERFLOW);
  int64_t half[1] = {(int64_t)1 << 62};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT32, 4, 1, half, NULL, &e), ZR_ERR_OVERFLOW); /* 2^64 bytes */
  /* a zero extent makes the size 0, but the strides still overflow */
  int64_t zs1[2] = {0, (int64_t)1 << 62};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT16, 2, 2, zs1, NULL, &e), ZR_ERR_OVERFLOW);
  assert_string_equal(e.message, "tensor strides overflow");
  int64_t zs2[3] = {0, (int64_t)1 << 62, (int64_t)1 << 62};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT8, 1, 3, zs2, NULL, &e), ZR_ERR_OVERFLOW);
  assert_string_equal(e.message, "tensor strides overflow");
  int64_t zs3[2] = {(int64_t)1 << 40, 0};
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT8, 1, 2, zs3, NULL, &e), ZR_OK);
  assert_int_equal(t.strides[0], 1); /* a zero extent counts as 1 for the strides */
  assert_int_equal(t.nbytes, 0);
  /* counts: negative extents give 0, overflowing ones UINT64_MAX, dims past the maximum ignored */
  zr_tensor c;
  memset(&c, 0, sizeof c);
  c.ndim = 2;
  c.shape[0] = 3;
  c.shape[1] = -2;
  assert_int_equal(zr_tensor_count(&c), 0);
  c.shape[0] = INT64_MAX;
  c.shape[1] = 4;
  assert_true(zr_tensor_count(&c) == UINT64_MAX);
  c.ndim = ZR_TENSOR_MAX_DIMS + 5;
  for (int i = 0; i < ZR_TENSOR_MAX_DIMS; i++) c.shape[i] = 1;
  assert_int_equal(zr_tensor_count(&c), 1);
  assert_int_equal(zr_tensor_is_c_contiguous(NULL), 0);
  assert_int_equal(zr_tensor_is_f_contiguous(NULL), 0);
  assert_string_equal(zr_dtype_name((zr_dtype)250), "invalid");
  assert_int_equal(zr_dtype_size(ZR_DT_UNICODE), 0);
}

static void test_paths(void **state) {
  (void)state;
  zr_doc *d = zr_doc_new(NULL);
  zr_value root = zr_map_new(d, 3);
  zr_value l = zr_list_new(d, 2);
  zr_list_push(d, &l, zr_int(10));
  zr_list_push(d, &l, zr_int(11));
  zr_map_put_cstr(d, &root, "Az_9-", l);
  zr_map_put_cstr(d, &root, "a\"b\\", zr_int(2));
  zr_map_put_cstr(d, &root, "m", zr_map_new(d, 0));
  const zr_value *out = NULL;
  zr_error e;
  assert_int_equal(zr_value_at_path(NULL, "$", &out, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_value_at_path(&root, NULL, &out, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_value_at_path(&root, "$", NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_value_at_path(&root, "$.Az_9-[1]", &out, &e), ZR_OK);
  assert_int_equal(out->u.i, 11);
  assert_int_equal(zr_value_at_path(&root, "Az_9-", &out, &e), ZR_ERR_INVALID_ARG); /* no leading '.' */
  assert_int_equal(zr_value_at_path(&root, "$[\"a\\\"b\\\\\"]", &out, &e), ZR_OK);
  assert_int_equal(out->u.i, 2);
  assert_int_equal(zr_value_at_path(&root, "$[\"a\\", &out, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "unterminated key in path");
  assert_int_equal(zr_value_at_path(&root, "$[\"m\"x", &out, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(e.offset, 4);
  assert_int_equal(zr_value_at_path(&root, "$.m[0]", &out, &e), ZR_ERR_NOT_FOUND); /* a map is not indexed */
  assert_string_equal(e.path, "$.m[0]");
  assert_int_equal(e.offset, 3);
  assert_int_equal(zr_value_at_path(&root, "$.Az_9-[2]", NULL, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_value_at_path(&root, "$.Az_9-[2]", &out, NULL), ZR_ERR_NOT_FOUND);
  /* keys too long, quoted and plain; a long missing path is cut to the record's size */
  char p[3000];
  strcpy(p, "$[\"");
  memset(p + 3, 'k', 1100);
  strcpy(p + 1103, "\"]");
  assert_int_equal(zr_value_at_path(&root, p, &out, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "path key too long");
  memset(p, 0, sizeof p);
  for (int i = 0; i < 400; i++) memcpy(p + 3 * i, ".m.", 3);
  p[0] = '$';
  memset(p, 0, sizeof p);
  p[0] = '$';
  for (int i = 0; i < 300; i++) strcat(p, ".nope");
  assert_int_equal(zr_value_at_path(&root, p, &out, &e), ZR_ERR_NOT_FOUND);
  assert_int_equal(strlen(e.path), 6);
  assert_string_equal(e.path, "$.nope");
  zr_doc_free(d);
}

static void test_tables(void **state) {
  (void)state;
  assert_int_equal(zr_table_num_rows(NULL), 0);
  zr_table_release(NULL);
  zr_table t;
  memset(&t, 0, sizeof t);
  zr_table_release(&t); /* nothing to release */
  struct ArrowArray b[2];
  memset(b, 0, sizeof b);
  b[0].length = 3;
  b[1].length = 4;
  t.batches = malloc(sizeof b);
  memcpy(t.batches, b, sizeof b);
  t.n_batches = 2;
  assert_int_equal(zr_table_num_rows(&t), 7);
  zr_table_release(&t); /* batches without release callbacks: only the array is freed */
  assert_int_equal(t.n_batches, 0);
  assert_null(t.batches);
}

static void test_arena_and_buffers(void **state) {
  (void)state;
  zr__arena a;
  zr__arena_init(&a, NULL);
  assert_null(zr__arena_alloc_slow(&a, 8, 128));
  assert_null(zr__arena_alloc_slow(&a, 8, 12));
  assert_null(zr__arena_alloc_slow(&a, SIZE_MAX - 3, 8)); /* size + align overflows */
  assert_null(zr__arena_alloc_slow(&a, SIZE_MAX - 40, 8)); /* chunk + header overflows */
  a.total = UINT64_MAX - 100;
  assert_null(zr__arena_alloc_slow(&a, 10, 8)); /* the total overflows */
  a.total = 0;
  /* a limit: a regular chunk is cut to what the limit leaves; past it, refused and flagged */
  a.limit = 3000;
  void *p = zr__arena_alloc(&a, 100, 8);
  assert_non_null(p);
  assert_true(a.total <= 3000);
  assert_null(zr__arena_alloc(&a, 5000, 8));
  assert_int_equal(a.over_limit, 1);
  zr__arena_reset(&a, 0);
  assert_int_equal(a.over_limit, 0);
  assert_non_null(zr__arena_alloc(&a, 100, 8)); /* from the spare chunk */
  zr__arena_free(&a);
  /* buffers: growth overflow, doubling overflow, long formatted appends (and their failure) */
  zr_test_failalloc fa;
  zr_test_failalloc_init(&fa, 0);
  zr__buf b;
  zr__buf_init(&b, &fa.a);
  assert_int_equal(zr__buf_append(&b, "abc", 3), ZR_OK);
  b.len = SIZE_MAX - 1; /* pretend: the request overflows before any allocation */
  assert_int_equal(zr__buf_grow(&b, 10), ZR_ERR_NOMEM);
  b.len = 3;
  size_t cap = b.cap;
  b.cap = (SIZE_MAX / 2) + 2; /* doubling would overflow: the exact need is asked, and refused */
  fa.fail_at = fa.calls + 1;
  assert_int_equal(zr__buf_grow(&b, SIZE_MAX / 2 + 10), ZR_ERR_NOMEM);
  b.cap = cap;
  char longs[600];
  memset(longs, 'z', sizeof longs - 1);
  longs[sizeof longs - 1] = '\0';
  assert_int_equal(zr__buf_printf(&b, "[%s]", longs), ZR_OK);
  assert_int_equal(b.len, 3 + 601);
  assert_int_equal(b.data[3], '[');
  assert_int_equal(b.data[b.len - 1], ']');
  assert_int_equal(zr__buf_printf(&b, "%d", 42), ZR_OK);
  assert_memory_equal(b.data + b.len - 2, "42", 2);
  fa.fail_at = fa.calls + 1; /* the next growth fails */
  size_t before = b.len;
  zr_status st = ZR_OK;
  for (int i = 0; i < 10 && st == ZR_OK; i++) st = zr__buf_printf(&b, "%s", longs);
  assert_int_equal(st, ZR_ERR_NOMEM);
  assert_true(b.len >= before);
  assert_int_equal((b.len - before) % 599, 0); /* whole appends only */
  zr__buf_free(&b);
  assert_int_equal(fa.live, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_doc_and_builders), cmocka_unit_test(test_build_failures),
      cmocka_unit_test(test_equality),         cmocka_unit_test(test_copy_failures),
      cmocka_unit_test(test_tensor_geometry),  cmocka_unit_test(test_paths),
      cmocka_unit_test(test_tables),           cmocka_unit_test(test_arena_and_buffers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
