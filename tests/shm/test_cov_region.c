/* Coverage of shared-memory regions: every argument and state check of the writer and reader
 * calls (with its code and message), names at the edges of the allowed characters, raw tensors
 * (big-endian, empty, without data), decode errors with region-relative offsets, views under
 * tight limits or a failing allocator, and directory entries damaged field by field behind a
 * recomputed checksum (the parser reads an unaligned copy too). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "zerial/format.h"
#include "zerial/shm.h"
#include "zr_test.h"

static const char *rname(const char *tag) {
  static char buf[96];
  static unsigned n;
  snprintf(buf, sizeof buf, "zr-cov-region-%s-%ld-%u", tag, (long)getpid(), n++);
  return buf;
}

static void says(const zr_error *e, const char *msg) {
  if (msg && !strstr(e->message, msg)) fail_msg("message \"%s\" lacks \"%s\"", e->message, msg);
}

#define EXPECT(call, code, msg)       \
  do {                                \
    zr_error_clear(&e);               \
    assert_int_equal((call), (code)); \
    says(&e, msg);                    \
  } while (0)

static void test_names_and_args(void **state) {
  (void)state;
  zr_error e;
  zr_shm *r = NULL;
  /* names: reserved, and one byte of each class just outside the allowed ranges */
  EXPECT(zr_shm_name_valid(".", &e), ZR_ERR_INVALID_ARG, "region name '.' is reserved");
  EXPECT(zr_shm_name_valid("/..", &e), ZR_ERR_INVALID_ARG, "region name '..' is reserved");
  EXPECT(zr_shm_name_valid("/", &e), ZR_ERR_INVALID_ARG, "region name is empty");
  static const char *const bad[] = {"ab{", "ab`", "ab@", "ab[", "ab:", "ab/", "ab ", "ab\x80"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    EXPECT(zr_shm_name_valid(bad[i], &e), ZR_ERR_INVALID_ARG, "forbidden character at position 2");
  EXPECT(zr_shm_name_valid("/ab~", &e), ZR_ERR_INVALID_ARG, "forbidden character at position 3");
  assert_int_equal(zr_shm_name_valid("Az09._-zA", &e), ZR_OK);

  /* create */
  EXPECT(zr_shm_create(rname("a"), NULL, NULL, &e), ZR_ERR_INVALID_ARG, "out is NULL");
  zr_shm_create_opts co;
  memset(&co, 0, sizeof co);
  co.mode = 01600;
  EXPECT(zr_shm_create(rname("a"), &co, &r, &e), ZR_ERR_INVALID_ARG, "mode 1600 has bits beyond 0777");
  assert_null(r);
  co.mode = 0;
  co.max_objects = ZR_SHM_MAX_OBJECTS + 1;
  EXPECT(zr_shm_create(rname("a"), &co, &r, &e), ZR_ERR_LIMIT, "max_objects 4097 exceeds 4096");
  EXPECT(zr_shm_create("bad/name", NULL, &r, &e), ZR_ERR_INVALID_ARG, "forbidden character");

  /* open and unlink */
  EXPECT(zr_shm_open(rname("a"), 0, NULL, NULL, &e), ZR_ERR_INVALID_ARG, "out is NULL");
  EXPECT(zr_shm_open(rname("a"), 0x10, NULL, &r, &e), ZR_ERR_INVALID_ARG, "unknown open flags 0x10");
  EXPECT(zr_shm_open("..", 0, NULL, &r, &e), ZR_ERR_INVALID_ARG, "reserved");
  EXPECT(zr_shm_open(rname("missing"), 0, NULL, &r, &e), ZR_ERR_NOT_FOUND, "cannot open shared-memory region");
  EXPECT(zr_shm_unlink("bad name", &e), ZR_ERR_INVALID_ARG, "forbidden character at position 3");
  EXPECT(zr_shm_unlink(rname("missing"), &e), ZR_ERR_NOT_FOUND, "cannot unlink shared-memory region");

  /* NULL handles */
  EXPECT(zr_shm_grow(NULL, 100, &e), ZR_ERR_INVALID_ARG, "region is NULL");
  void *p = NULL;
  EXPECT(zr_shm_reserve(NULL, "x", 1, &p, &e), ZR_ERR_INVALID_ARG, "region is NULL");
  EXPECT(zr_shm_commit(NULL, 0, 0, 0, &e), ZR_ERR_INVALID_ARG, "region is NULL");
  EXPECT(zr_shm_publish(NULL, &e), ZR_ERR_INVALID_ARG, "region is NULL");
  EXPECT(zr_shm_verify(NULL, NULL, &e), ZR_ERR_INVALID_ARG, "region is NULL");
  EXPECT(zr_shm_check(NULL, &e), ZR_ERR_INVALID_ARG, "region is NULL");
  zr_tensor t;
  int64_t shape[2] = {2, 2};
  EXPECT(zr_shm_reserve_tensor(NULL, "t", ZR_DT_INT32, 0, 2, shape, NULL, &e), ZR_ERR_INVALID_ARG, "out is NULL");
  EXPECT(zr_shm_put_tensor(NULL, "t", NULL, 0, &e), ZR_ERR_INVALID_ARG, "tensor is NULL");
  EXPECT(zr_shm_put_value(NULL, "v", ZR_FORMAT_ID_BINARY, NULL, NULL, 0, &e), ZR_ERR_INVALID_ARG, "value is NULL");
  zr_shm_object ob;
  EXPECT(zr_shm_object_at(NULL, 0, &ob, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_shm_find(NULL, "x", &ob, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_shm_get_tensor(NULL, "x", &t, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  zr_doc *d = NULL;
  EXPECT(zr_shm_get_value(NULL, "x", NULL, &d, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_shm_header_check(NULL, 10, NULL, &e), ZR_ERR_INVALID_ARG, "data is NULL");
  EXPECT(zr_shm_header_check(NULL, 0, NULL, &e), ZR_ERR_TRUNCATED, "smaller than its header");
  const uint8_t *base = (const uint8_t *)1;
  uint64_t size = 1;
  zr_shm_mapping(NULL, &base, &size);
  assert_null(base);
  assert_int_equal(size, 0);
  zr_shm_mapping(NULL, NULL, NULL);
  assert_int_equal(zr_shm_generation(NULL), 0);
  assert_null(zr_shm_name(NULL));
  assert_int_equal(zr_shm_writable(NULL), 0);
  assert_int_equal(zr_shm_count(NULL), 0);
  assert_int_equal(zr_shm_refs(NULL), 0);
  zr_shm_ref(NULL);
  zr_shm_abort(NULL);
  zr_shm_close(NULL);
}

static void test_writer_states(void **state) {
  (void)state;
  zr_error e;
  char nm[96];
  snprintf(nm, sizeof nm, "%s", rname("w"));
  zr_shm_create_opts co;
  memset(&co, 0, sizeof co);
  co.size = 10000; /* rounded up to the alignment */
  co.max_objects = 4;
  co.flags = ZR_SHM_NO_PREALLOCATE;
  zr_shm *w = NULL;
  assert_int_equal(zr_shm_create(nm, &co, &w, &e), ZR_OK);
  uint64_t size = 0;
  zr_shm_mapping(w, NULL, &size);
  assert_int_equal(size, 10048);
  assert_int_equal(zr_shm_grow(w, 5000, &e), ZR_OK); /* smaller: nothing to do */
  zr_shm_mapping(w, NULL, &size);
  assert_int_equal(size, 10048);
  assert_true(zr_shm_writable(w));
  char canon[100];
  snprintf(canon, sizeof canon, "/%s", nm);
  assert_string_equal(zr_shm_name(w), canon);
  zr_shm *w2 = NULL, *rd = NULL;
  EXPECT(zr_shm_create(nm, &co, &w2, &e), ZR_ERR_EXISTS, "cannot create shared-memory region");
  assert_null(w2);
  assert_int_equal(zr_shm_open(nm, ZR_SHM_WRITE, NULL, &rd, &e), ZR_ERR_STATE); /* not published yet */
  assert_null(rd);
  zr_shm_close(w);
  w = NULL;
  zr_shm_unlink(nm, NULL);
  assert_int_equal(zr_shm_create(nm, &co, &w, &e), ZR_OK);

  void *p = NULL;
  EXPECT(zr_shm_reserve(w, "x", 8, NULL, &e), ZR_ERR_INVALID_ARG, "ptr is NULL");
  EXPECT(zr_shm_reserve(w, "x", UINT64_MAX - 8, &p, &e), ZR_ERR_OVERFLOW, "object size overflows");
  EXPECT(zr_shm_reserve(w, "x", UINT64_MAX - 896 - 10, &p, &e), ZR_ERR_OVERFLOW, "object size overflows");
  EXPECT(zr_shm_reserve(w, NULL, 8, &p, &e), ZR_ERR_INVALID_ARG, "object name is NULL");
  char n64[65];
  memset(n64, 'n', 64);
  n64[64] = 0;
  EXPECT(zr_shm_reserve(w, n64, 8, &p, &e), ZR_ERR_INVALID_ARG, "object name must be 1 to 63 bytes, not 64");
  EXPECT(zr_shm_grow(w, (uint64_t)INT64_MAX + 64, &e), ZR_ERR_OVERFLOW, "region size too large");
  EXPECT(zr_shm_commit(w, 0, 0, 0, &e), ZR_ERR_STATE, "nothing reserved to commit");
  EXPECT(zr_shm_check(w, &e), ZR_ERR_STATE, "is not published");
  EXPECT(zr_shm_verify(w, NULL, &e), ZR_ERR_STATE, "checksums exist once the region is published");
  assert_int_equal(zr_shm_reserve(w, "raw", 64, &p, &e), ZR_OK);
  EXPECT(zr_shm_reserve(w, "raw2", 8, &p, &e), ZR_ERR_STATE, "a reservation is pending");
  EXPECT(zr_shm_publish(w, &e), ZR_ERR_STATE, "a reservation is pending");
  EXPECT(zr_shm_commit(w, 0, 65, 0, &e), ZR_ERR_INVALID_ARG, "commit of 65 bytes exceeds the reservation of 64");
  EXPECT(zr_shm_commit(w, 999, 64, 0, &e), ZR_ERR_FORMAT, "unknown format id 999");
  memset(p, 0x5a, 64);
  assert_int_equal(zr_shm_commit(w, ZR_SHM_FORMAT_RAW, 40, ZR_SHM_NO_CHECKSUM, &e), ZR_OK);

  /* raw tensors */
  zr_tensor t;
  int64_t shape[3] = {2, 3, 4};
  EXPECT(zr_shm_reserve_tensor(w, "t", ZR_DT_INT32, 0, ZR_SHM_MAX_DIMS + 1, shape, &t, &e), ZR_ERR_LIMIT,
         "at most 8 dimensions");
  EXPECT(zr_shm_reserve_tensor(w, "t", ZR_DT_VOID, 8, 1, shape, &t, &e), ZR_ERR_UNSUPPORTED, "cannot be a raw region tensor");
  EXPECT(zr_shm_reserve_tensor(w, "t", ZR_DT_LONGDOUBLE, 16, 1, shape, &t, &e), ZR_ERR_UNSUPPORTED, "(use npy)");
  EXPECT(zr_shm_reserve_tensor(w, "t", (zr_dtype)77, 4, 1, shape, &t, &e), ZR_ERR_UNSUPPORTED, "dtype invalid");
  int64_t neg = -1;
  assert_int_not_equal(zr_shm_reserve_tensor(w, "t", ZR_DT_INT32, 0, 1, &neg, &t, &e), ZR_OK);
  EXPECT(zr_shm_reserve_tensor(w, "raw", ZR_DT_INT32, 0, 1, shape, &t, &e), ZR_ERR_EXISTS, "object 'raw' already exists");
  /* fixed-size bytes keep the given itemsize */
  assert_int_equal(zr_shm_reserve_tensor(w, "s", ZR_DT_BYTES, 5, 1, shape, &t, &e), ZR_OK);
  assert_int_equal(t.nbytes, 10);
  EXPECT(zr_shm_commit(w, ZR_FORMAT_ID_BINARY, 10, 0, &e), ZR_ERR_INVALID_ARG, "a raw tensor commits as format 0");
  EXPECT(zr_shm_commit(w, ZR_SHM_FORMAT_RAW, 9, 0, &e), ZR_ERR_INVALID_ARG, "with its full size");
  memcpy(t.data, "abcdeABCDE", 10);
  assert_int_equal(zr_shm_commit(w, ZR_SHM_FORMAT_RAW, 10, 0, &e), ZR_OK);

  /* put_tensor: big-endian multi-byte refused, single bytes fine; no data; empty */
  int32_t v32[6] = {1, 2, 3, 4, 5, 6};
  zr_tensor src;
  assert_int_equal(zr_tensor_init(&src, ZR_DT_INT32, 4, 2, shape, v32, &e), ZR_OK);
  src.byte_order = ZR_ORDER_BIG;
  EXPECT(zr_shm_put_tensor(w, "be", &src, 0, &e), ZR_ERR_UNSUPPORTED, "raw region tensors are little-endian");
  src.byte_order = ZR_ORDER_LITTLE;
  src.data = NULL;
  EXPECT(zr_shm_put_tensor(w, "nodata", &src, 0, &e), ZR_ERR_INVALID_ARG, "tensor data is NULL");
  uint8_t u8[6] = {9, 8, 7, 6, 5, 4};
  assert_int_equal(zr_tensor_init(&src, ZR_DT_UINT8, 1, 2, shape, u8, &e), ZR_OK);
  src.byte_order = ZR_ORDER_BIG; /* meaningless for single bytes */
  assert_int_equal(zr_shm_put_tensor(w, "u8", &src, 0, &e), ZR_OK);
  int64_t zero = 0;
  zr_shm_close(w);
  zr_shm_unlink(nm, NULL);
  assert_int_equal(zr_shm_create(nm, &co, &w, &e), ZR_OK);
  int64_t scalar = 77;
  assert_int_equal(zr_tensor_init(&src, ZR_DT_INT64, 8, 0, NULL, &scalar, &e), ZR_OK);
  assert_int_equal(zr_shm_put_tensor(w, "scalar", &src, 0, &e), ZR_OK);
  assert_int_equal(zr_shm_reserve_tensor(w, "s0", ZR_DT_INT16, 0, 0, NULL, &t, &e), ZR_OK);
  EXPECT(zr_shm_commit(w, ZR_FORMAT_ID_BINARY, 2, 0, &e), ZR_ERR_INVALID_ARG, "a raw tensor commits as format 0");
  zr_shm_abort(w);
  assert_int_equal(zr_shm_put_tensor(w, "pad1", &src, 0, &e), ZR_OK);
  assert_int_equal(zr_shm_put_tensor(w, "pad2", &src, 0, &e), ZR_OK);
  assert_int_equal(zr_tensor_init(&src, ZR_DT_FLOAT64, 8, 1, &zero, NULL, &e), ZR_OK);
  assert_int_equal(zr_shm_put_tensor(w, "empty", &src, 0, &e), ZR_OK);
  EXPECT(zr_shm_put_tensor(w, "full", &src, 0, &e), ZR_ERR_LIMIT, "has room for 4 objects");

  /* put_value: unknown format, an encoder that refuses the value */
  zr_shm_close(w);
  zr_shm_unlink(nm, NULL);
  co.max_objects = 8;
  assert_int_equal(zr_shm_create(nm, &co, &w, &e), ZR_OK);
  zr_value sv = zr_cstr_ref("text");
  EXPECT(zr_shm_put_value(w, "v", 999, &sv, NULL, 0, &e), ZR_ERR_FORMAT, "no encoder for format id 999");
  assert_int_not_equal(zr_shm_put_value(w, "v", ZR_FORMAT_ID_NPY, &sv, NULL, 0, &e), ZR_OK);
  assert_int_equal(zr_shm_count(w), 0);
  zr_value iv = zr_int(5);
  assert_int_equal(zr_shm_put_value(w, "dup", ZR_FORMAT_ID_BINARY, &iv, NULL, 0, &e), ZR_OK);
  EXPECT(zr_shm_put_value(w, "dup", ZR_FORMAT_ID_BINARY, &iv, NULL, 0, &e), ZR_ERR_EXISTS, "object 'dup' already exists");
  assert_int_equal(zr_shm_reserve(w, "garbage", 16, &p, &e), ZR_OK);
  memset(p, 0xff, 16);
  assert_int_equal(zr_shm_commit(w, ZR_FORMAT_ID_BINARY, 16, 0, &e), ZR_OK);
  assert_int_equal(zr_shm_reserve(w, "bytes", 5, &p, &e), ZR_OK);
  memcpy(p, "hello", 5);
  assert_int_equal(zr_shm_commit(w, ZR_SHM_FORMAT_RAW, 5, 0, &e), ZR_OK);
  int64_t sh2[2] = {2, 3};
  float f6[6] = {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f};
  assert_int_equal(zr_tensor_init(&src, ZR_DT_FLOAT32, 4, 2, sh2, f6, &e), ZR_OK);
  assert_int_equal(zr_shm_put_tensor(w, "f", &src, 0, &e), ZR_OK);
  assert_int_equal(zr_shm_reserve(w, "unsum", 8, &p, &e), ZR_OK);
  memset(p, 1, 8);
  assert_int_equal(zr_shm_commit(w, ZR_SHM_FORMAT_RAW, 8, ZR_SHM_NO_CHECKSUM, &e), ZR_OK);
  assert_int_equal(zr_shm_publish(w, &e), ZR_OK);
  EXPECT(zr_shm_publish(w, &e), ZR_ERR_STATE, "is not open for writing");
  EXPECT(zr_shm_reserve(w, "late", 8, &p, &e), ZR_ERR_STATE, "is not open for writing");
  EXPECT(zr_shm_grow(w, 1 << 20, &e), ZR_ERR_STATE, "before publishing");

  /* reader */
  zr_shm *r = NULL;
  zr_doc *d0 = NULL;
  assert_int_equal(zr_shm_open(nm, ZR_SHM_WRITE, NULL, &r, &e), ZR_OK);
  assert_true(zr_shm_writable(r));
  assert_int_equal(zr_shm_generation(r), 1);
  EXPECT(zr_shm_grow(r, 1 << 20, &e), ZR_ERR_STATE, "only a writer can grow a region");
  EXPECT(zr_shm_reserve(r, "x", 8, &p, &e), ZR_ERR_STATE, "is not open for writing");
  EXPECT(zr_shm_publish(r, &e), ZR_ERR_STATE, "is not open for writing");
  zr_shm_object ob;
  EXPECT(zr_shm_object_at(r, 5, &ob, &e), ZR_ERR_RANGE, "object index 5 out of range (5 objects)");
  EXPECT(zr_shm_object_at(r, 0, NULL, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  assert_int_equal(zr_shm_object_at(r, 4, &ob, &e), ZR_OK);
  assert_string_equal(ob.name, "unsum");
  assert_false(ob.has_checksum);
  EXPECT(zr_shm_find(r, NULL, &ob, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_shm_find(r, "bytes", NULL, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_shm_get_tensor(r, NULL, &t, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_shm_get_tensor(r, "f", NULL, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_shm_get_value(r, NULL, NULL, &d0, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  EXPECT(zr_shm_get_value(r, "f", NULL, NULL, &e), ZR_ERR_INVALID_ARG, "NULL argument");
  assert_int_not_equal(zr_shm_get_value(r, "garbage", NULL, &d0, NULL), ZR_OK); /* no error record */
  assert_null(d0);
  EXPECT(zr_shm_verify(r, "nope", &e), ZR_ERR_NOT_FOUND, "no object 'nope'");
  assert_int_equal(zr_shm_verify(r, "bytes", &e), ZR_OK);
  zr_tensor t2;
  EXPECT(zr_shm_get_tensor(r, "nope", &t2, &e), ZR_ERR_NOT_FOUND, "no object 'nope'");
  EXPECT(zr_shm_get_tensor(r, "bytes", &t2, &e), ZR_ERR_TYPE, "is not a raw tensor");
  EXPECT(zr_shm_get_tensor(r, "garbage", &t2, &e), ZR_ERR_TYPE, "is not a raw tensor");
  zr_doc *d = NULL;
  EXPECT(zr_shm_get_value(r, "nope", NULL, &d, &e), ZR_ERR_NOT_FOUND, "no object 'nope'");
  /* a decode error points into the region */
  assert_int_equal(zr_shm_find(r, "garbage", &ob, &e), ZR_OK);
  zr_error_clear(&e);
  assert_int_not_equal(zr_shm_get_value(r, "garbage", NULL, &d, &e), ZR_OK);
  assert_null(d);
  assert_true(e.offset >= (int64_t)ob.offset && e.offset <= (int64_t)(ob.offset + ob.length));
  /* raw bytes and a raw tensor as values */
  assert_int_equal(zr_shm_get_value(r, "bytes", NULL, &d, &e), ZR_OK);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_BINARY);
  assert_int_equal(zr_doc_root(d)->n.len, 5);
  assert_memory_equal(zr_doc_root(d)->u.bin, "hello", 5);
  assert_int_equal(zr_shm_refs(r), 2);
  zr_doc_free(d);
  assert_int_equal(zr_shm_refs(r), 1);
  assert_int_equal(zr_shm_get_value(r, "f", NULL, &d, &e), ZR_OK);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_TENSOR);
  zr_doc_free(d);
  /* views under a limit too small for the tensor value, and with a failing allocator */
  zr_decode_opts dop;
  zr_decode_opts_init(&dop);
  dop.max_bytes = 8;
  EXPECT(zr_shm_get_value(r, "f", &dop, &d, &e), ZR_ERR_NOMEM, NULL);
  assert_null(d);
  assert_int_equal(zr_shm_refs(r), 1);
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_decode_opts_init(&dop);
    dop.alloc = &fa.a;
    zr_status st = zr_shm_get_value(r, "f", &dop, &d, &e);
    if (st == ZR_OK) {
      const zr_tensor *tv = zr_doc_root(d)->u.tensor;
      assert_true(((const float *)tv->data)[5] == 5.5f);
      zr_doc_free(d);
    } else {
      assert_int_equal(st, ZR_ERR_NOMEM);
      assert_null(d);
    }
    assert_int_equal(fa.live, 0);
    assert_int_equal(zr_shm_refs(r), 1);
    if (st == ZR_OK) break;
    assert_true(n < 100);
  }
  /* damage a payload through the writable mapping: verification names the object and its offset;
   * an object without a checksum is not checked */
  assert_int_equal(zr_shm_find(r, "bytes", &ob, &e), ZR_OK);
  ((uint8_t *)(uintptr_t)ob.data)[0] ^= 0xff;
  EXPECT(zr_shm_verify(r, "bytes", &e), ZR_ERR_CHECKSUM, "object 'bytes': checksum mismatch");
  assert_int_equal(e.offset, (int64_t)ob.offset);
  EXPECT(zr_shm_verify(r, NULL, &e), ZR_ERR_CHECKSUM, "object 'bytes'");
  assert_int_equal(zr_shm_find(r, "unsum", &ob, &e), ZR_OK);
  ((uint8_t *)(uintptr_t)ob.data)[0] ^= 0xff;
  assert_int_equal(zr_shm_verify(r, "unsum", &e), ZR_OK);
  zr_shm *rv = NULL;
  EXPECT(zr_shm_open(nm, ZR_SHM_VERIFY, NULL, &rv, &e), ZR_ERR_CHECKSUM, "object 'bytes': checksum mismatch");
  assert_null(rv);
  /* an entry whose format this build does not know (directory rewritten with its checksum) opens,
   * and decoding it says why */
  const uint8_t *mb;
  zr_shm_mapping(r, &mb, NULL);
  uint8_t *m = (uint8_t *)(uintptr_t)mb;
  uint32_t n;
  memcpy(&n, m + 44, 4);
  size_t gi = 0;
  while (gi < n && strcmp((const char *)m + 128 + gi * 192, "garbage") != 0) gi++;
  assert_true(gi < n);
  uint16_t fid = 999;
  memcpy(m + 128 + gi * 192 + 88, &fid, 2);
  uint64_t gen, h;
  memcpy(&gen, m + 16, 8);
  h = zr_xxh3_64(m + 24, 40, gen);
  h = zr_xxh3_64(m + 128, (size_t)n * 192, h);
  memcpy(m + 64, &h, 8);
  assert_int_equal(zr_shm_open(nm, 0, NULL, &rv, &e), ZR_OK);
  EXPECT(zr_shm_get_value(rv, "garbage", NULL, &d, &e), ZR_ERR_FORMAT, "format id 999, which this build cannot decode");
  zr_shm_close(rv);
  /* a writer starting over (state back to writing) is seen by the handles */
  uint32_t writing = 1;
  memcpy(m + 12, &writing, 4);
  EXPECT(zr_shm_check(r, &e), ZR_ERR_STATE, "is no longer the generation 1 this handle opened");
  EXPECT(zr_shm_open(nm, 0, NULL, &rv, &e), ZR_ERR_STATE, "still being written");
  zr_shm_close(r);
  zr_shm_close(w);
  assert_int_equal(zr_shm_unlink(nm, &e), ZR_OK);
}

/* Growth when the pages after the mapping are taken: refused while a view holds the mapping,
 * moved (and the directory's pointers with it) when nothing does. A size the system cannot map
 * fails creation without leaving the region behind. */
static void test_grow_moves(void **state) {
  (void)state;
  zr_error e;
  char nm[96];
  snprintf(nm, sizeof nm, "%s", rname("g"));
  zr_shm_create_opts co;
  memset(&co, 0, sizeof co);
  co.flags = ZR_SHM_NO_PREALLOCATE;
  zr_shm *w = NULL;
  assert_int_equal(zr_shm_create(nm, &co, &w, &e), ZR_OK);
  void *p;
  assert_int_equal(zr_shm_reserve(w, "a", 100, &p, &e), ZR_OK);
  memset(p, 0x42, 100);
  assert_int_equal(zr_shm_commit(w, ZR_SHM_FORMAT_RAW, 100, 0, &e), ZR_OK);
  const uint8_t *base;
  uint64_t size;
  zr_shm_mapping(w, &base, &size);
  /* occupy the page after the mapping (if something already does, growth in place fails too) */
  long pg = sysconf(_SC_PAGESIZE);
  uint8_t *after = (uint8_t *)(uintptr_t)base + ((size + (uint64_t)pg - 1) / (uint64_t)pg) * (uint64_t)pg;
  void *blk = mmap(after, (size_t)pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (blk != MAP_FAILED && blk != after) {
    munmap(blk, (size_t)pg);
    blk = MAP_FAILED;
  }
  zr_shm_ref(w); /* a view */
  EXPECT(zr_shm_grow(w, size + 64 * 1024, &e), ZR_ERR_BUSY, "while views of it are alive");
  zr_shm_close(w);
  assert_int_equal(zr_shm_grow(w, size + 64 * 1024, &e), ZR_OK);
  const uint8_t *nb;
  uint64_t ns;
  zr_shm_mapping(w, &nb, &ns);
  assert_int_equal(ns, size + 64 * 1024);
  assert_ptr_not_equal(nb, base);
  zr_shm_object ob;
  assert_int_equal(zr_shm_find(w, "a", &ob, &e), ZR_OK);
  assert_ptr_equal(ob.data, nb + ob.offset);
  assert_int_equal(ob.data[99], 0x42);
  assert_int_equal(zr_shm_publish(w, &e), ZR_OK);
  if (blk != MAP_FAILED) munmap(blk, (size_t)pg);
  zr_shm_close(w);
  zr_shm *r = NULL;
  assert_int_equal(zr_shm_open(nm, ZR_SHM_VERIFY, NULL, &r, &e), ZR_OK);
  zr_shm_mapping(r, NULL, &ns);
  assert_int_equal(ns, size + 64 * 1024);
  zr_shm_close(r);
  zr_shm_unlink(nm, NULL);

  co.size = (uint64_t)INT64_MAX + 1;
  EXPECT(zr_shm_create(nm, &co, &w, &e), ZR_ERR_OVERFLOW, "region size too large");
  co.size = UINT64_C(1) << 61; /* sparse on tmpfs, but no address space holds it */
  zr_status st = zr_shm_create(nm, &co, &w, &e);
  assert_int_not_equal(st, ZR_OK);
  assert_null(w);
  assert_int_equal(zr_shm_open(nm, 0, NULL, &r, NULL), ZR_ERR_NOT_FOUND);
}

/* ---- the directory parser, entry fields damaged behind a valid checksum ---- */

static void fix_dir(uint8_t *b) {
  uint64_t gen, h;
  uint32_t n;
  memcpy(&gen, b + 16, 8);
  memcpy(&n, b + 44, 4);
  h = zr_xxh3_64(b + 24, 40, gen);
  h = zr_xxh3_64(b + 128, (size_t)n * 192, h);
  memcpy(b + 64, &h, 8);
}

typedef struct field {
  size_t at;
  uint64_t val;
  unsigned width;
} field;

static zr_status parse_with(const uint8_t *orig, size_t len, const field *f, size_t nf, zr_error *e) {
  uint8_t *b = malloc(len);
  memcpy(b, orig, len);
  for (size_t i = 0; i < nf; i++) memcpy(b + f[i].at, &f[i].val, f[i].width);
  fix_dir(b);
  zr_error_clear(e);
  zr_status st = zr_shm_header_check(b, len, NULL, e);
  free(b);
  return st;
}

static void test_entries(void **state) {
  (void)state;
  zr_error e;
  char nm[96];
  snprintf(nm, sizeof nm, "%s", rname("p"));
  zr_shm_create_opts co;
  memset(&co, 0, sizeof co);
  co.max_objects = 3;
  co.flags = ZR_SHM_NO_PREALLOCATE;
  zr_shm *w = NULL;
  assert_int_equal(zr_shm_create(nm, &co, &w, &e), ZR_OK);
  int64_t shape[2] = {2, 2};
  int32_t v[4] = {1, 2, 3, 4};
  zr_tensor t;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_INT32, 4, 2, shape, v, &e), ZR_OK);
  assert_int_equal(zr_shm_put_tensor(w, "t", &t, 0, &e), ZR_OK); /* entry 0: a raw tensor */
  void *p;
  assert_int_equal(zr_shm_reserve(w, "b", 16, &p, &e), ZR_OK); /* entry 1: raw bytes */
  memset(p, 3, 16);
  assert_int_equal(zr_shm_commit(w, ZR_SHM_FORMAT_RAW, 16, 0, &e), ZR_OK);
  assert_int_equal(zr_shm_publish(w, &e), ZR_OK);
  const uint8_t *base;
  uint64_t size;
  zr_shm_mapping(w, &base, &size);
  size_t len = (size_t)size;
  uint8_t *orig = malloc(len);
  memcpy(orig, base, len);
  zr_shm_close(w);
  zr_shm_unlink(nm, NULL);

  /* the intact copy parses, at an address that is not aligned too */
  uint8_t *odd = malloc(len + 1);
  memcpy(odd + 1, orig, len);
  size_t count = 0;
  assert_int_equal(zr_shm_header_check(odd + 1, len, &count, &e), ZR_OK);
  assert_int_equal(count, 2);
  free(odd);
  assert_int_equal(zr_shm_header_check(orig, len, NULL, &e), ZR_OK);

  const size_t e0 = 128, e1 = 128 + 192;
  struct {
    field f[2];
    size_t nf;
    zr_status code;
    int64_t offset;
    const char *msg;
  } cases[] = {
      {{{e0 + 94, 14, 1}}, 1, ZR_ERR_MALFORMED, e0 + 94, "object 't': bad time unit"},
      {{{e0 + 92, 2, 1}}, 1, ZR_ERR_MALFORMED, e0 + 92, "object 't': bad byte order"},
      {{{e0 + 90, ZR_DT_VOID, 1}}, 1, ZR_ERR_MALFORMED, e0 + 90, "object 't': bad dtype 19"},
      {{{e0 + 90, ZR_DT_LONGDOUBLE, 1}}, 1, ZR_ERR_MALFORMED, e0 + 90, "object 't': bad dtype 20"},
      {{{e0 + 90, ZR_DT_BYTES, 1}, {e0 + 96, 0, 8}}, 2, ZR_ERR_MALFORMED, e0 + 96, "itemsize 0 does not fit bytes"},
      {{{e0 + 96, 0, 8}}, 1, ZR_ERR_MALFORMED, e0 + 96, "itemsize 0 does not fit int32"},
      {{{e0 + 104, (uint64_t)INT64_MAX, 8}}, 1, ZR_ERR_MALFORMED, e0 + 104, "bad extent in dimension 0"},
      {{{e1 + 91, 1, 1}}, 1, ZR_ERR_MALFORMED, e1 + 90, "object 'b': dimensions without a dtype"},
      {{{e1 + 96, 4, 8}}, 1, ZR_ERR_MALFORMED, e1 + 90, "object 'b': dimensions without a dtype"},
      {{{e1 + 88, 1, 2}, {e1 + 91, 1, 1}}, 2, ZR_ERR_MALFORMED, e1 + 90, "tensor fields on a formatted object"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    zr_status st = parse_with(orig, len, cases[i].f, cases[i].nf, &e);
    if (st != cases[i].code || e.offset != cases[i].offset || !strstr(e.message, cases[i].msg))
      fail_msg("case %zu: %s at %lld: %s", i, zr_status_name(st), (long long)e.offset, e.message);
  }
  /* bytes with a fixed itemsize and a matching shape parse */
  field okb[] = {{e0 + 90, ZR_DT_BYTES, 1}};
  assert_int_equal(parse_with(orig, len, okb, 1, &e), ZR_OK);
  free(orig);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_and_args),
      cmocka_unit_test(test_writer_states),
      cmocka_unit_test(test_entries),
      cmocka_unit_test(test_grow_moves),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
