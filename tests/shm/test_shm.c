/* Shared-memory regions: create/publish/open, views and their lifetime, two processes, hostile
 * headers, failing growth. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zr_test.h"
#include "zerial/format.h"
#include "zerial/shm.h"

static const char *region_name(const char *tag) {
  static char buf[128];
  static unsigned n;
  snprintf(buf, sizeof buf, "/zr_test_%s_%ld_%u", tag, (long)getpid(), n++);
  return buf;
}

/* Build a published region: "x" float32 [4,3] = i, "raw" 100 bytes, "y" int64 strided copy. */
static void build_region(const char *name, zr_shm **out) {
  zr_error err;
  zr_shm *r = NULL;
  assert_int_equal(zr_shm_create(name, NULL, &r, &err), ZR_OK);
  zr_tensor t;
  int64_t shape[2] = {4, 3};
  assert_int_equal(zr_shm_reserve_tensor(r, "x", ZR_DT_FLOAT32, 0, 2, shape, &t, &err), ZR_OK);
  float *f = t.data;
  for (int i = 0; i < 12; i++) f[i] = (float)i;
  assert_int_equal(zr_shm_commit(r, ZR_SHM_FORMAT_RAW, t.nbytes, 0, &err), ZR_OK);
  void *p = NULL;
  assert_int_equal(zr_shm_reserve(r, "raw", 100, &p, &err), ZR_OK);
  memset(p, 0xab, 100);
  assert_int_equal(zr_shm_commit(r, ZR_SHM_FORMAT_RAW, 100, 0, &err), ZR_OK);
  /* a strided source: every other element of 10 int64 */
  int64_t src[10];
  for (int i = 0; i < 10; i++) src[i] = i * 10;
  zr_tensor s;
  int64_t n5 = 5;
  assert_int_equal(zr_tensor_init(&s, ZR_DT_INT64, 8, 1, &n5, src, &err), ZR_OK);
  s.strides[0] = 16;
  assert_int_equal(zr_shm_put_tensor(r, "y", &s, 0, &err), ZR_OK);
  assert_int_equal(zr_shm_publish(r, &err), ZR_OK);
  *out = r;
}

static void check_region(zr_shm *r) {
  zr_error err;
  assert_int_equal(zr_shm_count(r), 3);
  const uint8_t *base;
  uint64_t size;
  zr_shm_mapping(r, &base, &size);
  zr_tensor t;
  assert_int_equal(zr_shm_get_tensor(r, "x", &t, &err), ZR_OK);
  assert_int_equal(t.dtype, ZR_DT_FLOAT32);
  assert_int_equal(t.ndim, 2);
  assert_int_equal(t.shape[0], 4);
  assert_int_equal(t.shape[1], 3);
  assert_true((const uint8_t *)t.data >= base && (const uint8_t *)t.data + t.nbytes <= base + size);
  assert_int_equal((uintptr_t)t.data % ZR_SHM_ALIGN, 0);
  for (int i = 0; i < 12; i++) assert_true(((float *)t.data)[i] == (float)i);
  t.release(t.owner);
  zr_shm_object o;
  assert_int_equal(zr_shm_find(r, "raw", &o, &err), ZR_OK);
  assert_int_equal(o.length, 100);
  assert_int_equal(o.data[99], 0xab);
  assert_int_equal(o.dtype, 0);
  assert_int_equal(zr_shm_find(r, "y", &o, &err), ZR_OK);
  const int64_t *y = (const int64_t *)o.data;
  for (int i = 0; i < 5; i++) assert_int_equal(y[i], i * 20);
  assert_int_equal(zr_shm_find(r, "nope", &o, &err), ZR_ERR_NOT_FOUND);
  assert_int_equal(zr_shm_verify(r, NULL, &err), ZR_OK);
  assert_int_equal(zr_shm_check(r, &err), ZR_OK);
}

static void test_names(void **state) {
  (void)state;
  zr_error err;
  assert_int_equal(zr_shm_name_valid("/abc", &err), ZR_OK);
  assert_int_equal(zr_shm_name_valid("abc.def-1_2", &err), ZR_OK);
  assert_int_equal(zr_shm_name_valid("", &err), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_shm_name_valid("/", &err), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_shm_name_valid("/a/b", &err), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_shm_name_valid("..", &err), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_shm_name_valid("a b", &err), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_shm_name_valid(NULL, &err), ZR_ERR_INVALID_ARG);
  char longname[300];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  assert_int_equal(zr_shm_name_valid(longname, &err), ZR_ERR_INVALID_ARG);
  zr_shm *r = NULL;
  assert_int_equal(zr_shm_create("bad/name", NULL, &r, &err), ZR_ERR_INVALID_ARG);
  assert_null(r);
  assert_int_equal(zr_shm_open("../etc", 0, NULL, &r, &err), ZR_ERR_INVALID_ARG);
}

static void test_round_trip(void **state) {
  (void)state;
  zr_error err;
  const char *name = region_name("rt");
  char nm[128];
  snprintf(nm, sizeof nm, "%s", name);
  zr_shm *w = NULL;
  build_region(nm, &w);
  /* mode 0600 */
  char path[160];
  snprintf(path, sizeof path, "/dev/shm%s", nm);
  struct stat sb;
  assert_int_equal(stat(path, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
  check_region(w);
  /* exclusive */
  zr_shm *dup = NULL;
  assert_int_equal(zr_shm_create(nm, NULL, &dup, &err), ZR_ERR_EXISTS);
  zr_shm *r = NULL;
  assert_int_equal(zr_shm_open(nm, ZR_SHM_VERIFY, NULL, &r, &err), ZR_OK);
  assert_int_equal(zr_shm_generation(r), 1);
  assert_false(zr_shm_writable(r));
  check_region(r);
  /* writer state errors after publishing */
  void *p;
  assert_int_equal(zr_shm_reserve(w, "late", 8, &p, &err), ZR_ERR_STATE);
  assert_int_equal(zr_shm_publish(w, &err), ZR_ERR_STATE);
  zr_shm_close(r);
  zr_shm_close(w);
  assert_int_equal(zr_shm_unlink(nm, &err), ZR_OK);
  assert_int_equal(zr_shm_open(nm, 0, NULL, &r, &err), ZR_ERR_NOT_FOUND);
  assert_int_equal(zr_shm_unlink(nm, &err), ZR_ERR_NOT_FOUND);
}

static void test_unpublished_and_writer_rules(void **state) {
  (void)state;
  zr_error err;
  char nm[128];
  snprintf(nm, sizeof nm, "%s", region_name("unpub"));
  zr_shm *w = NULL;
  zr_shm_create_opts o = {.mode = 0640, .max_objects = 2};
  assert_int_equal(zr_shm_create(nm, &o, &w, &err), ZR_OK);
  zr_shm *r = NULL;
  assert_int_equal(zr_shm_open(nm, 0, NULL, &r, &err), ZR_ERR_STATE);
  assert_null(r);
  void *p;
  assert_int_equal(zr_shm_reserve(w, "a", 10, &p, &err), ZR_OK);
  assert_int_equal(zr_shm_reserve(w, "b", 10, &p, &err), ZR_ERR_STATE); /* pending */
  assert_int_equal(zr_shm_publish(w, &err), ZR_ERR_STATE);
  assert_int_equal(zr_shm_commit(w, ZR_SHM_FORMAT_RAW, 11, 0, &err), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_shm_commit(w, 999, 10, 0, &err), ZR_ERR_FORMAT);
  assert_int_equal(zr_shm_commit(w, ZR_SHM_FORMAT_RAW, 10, ZR_SHM_NO_CHECKSUM, &err), ZR_OK);
  assert_int_equal(zr_shm_reserve(w, "a", 10, &p, &err), ZR_ERR_EXISTS);
  assert_int_equal(zr_shm_reserve(w, "", 10, &p, &err), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_shm_reserve(w, "b", 10, &p, &err), ZR_OK);
  zr_shm_abort(w);
  assert_int_equal(zr_shm_reserve(w, "b", 0, &p, &err), ZR_OK);
  assert_int_equal(zr_shm_commit(w, ZR_SHM_FORMAT_RAW, 0, 0, &err), ZR_OK);
  assert_int_equal(zr_shm_reserve(w, "c", 1, &p, &err), ZR_ERR_LIMIT);
  int64_t sh[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  zr_tensor t;
  assert_int_equal(zr_shm_reserve_tensor(w, "t", ZR_DT_INT8, 0, 9, sh, &t, &err), ZR_ERR_LIMIT);
  assert_int_equal(zr_shm_publish(w, &err), ZR_OK);
  assert_int_equal(zr_shm_open(nm, ZR_SHM_VERIFY, NULL, &r, &err), ZR_OK);
  zr_shm_object ob;
  assert_int_equal(zr_shm_find(r, "a", &ob, &err), ZR_OK);
  assert_false(ob.has_checksum);
  assert_int_equal(zr_shm_get_tensor(r, "a", &t, &err), ZR_ERR_TYPE);
  /* plain raw bytes decode to a binary value viewing the mapping */
  zr_doc *doc = NULL;
  assert_int_equal(zr_shm_get_value(r, "a", NULL, &doc, &err), ZR_OK);
  assert_int_equal(zr_doc_root(doc)->kind, ZR_KIND_BINARY);
  assert_ptr_equal(zr_doc_root(doc)->u.bin, ob.data);
  zr_doc_free(doc);
  zr_shm_close(r);
  zr_shm_close(w);
  zr_shm_unlink(nm, NULL);
}

static void test_view_lifetime(void **state) {
  (void)state;
  zr_error err;
  char nm[128];
  snprintf(nm, sizeof nm, "%s", region_name("life"));
  zr_shm *w = NULL;
  build_region(nm, &w);
  zr_shm_close(w);
  zr_shm *r = NULL;
  assert_int_equal(zr_shm_open(nm, 0, NULL, &r, &err), ZR_OK);
  assert_int_equal(zr_shm_unlink(nm, &err), ZR_OK); /* mappings survive unlink */
  zr_tensor t;
  zr_doc *doc = NULL;
  assert_int_equal(zr_shm_get_tensor(r, "x", &t, &err), ZR_OK);
  assert_int_equal(zr_shm_get_value(r, "y", NULL, &doc, &err), ZR_OK);
  assert_int_equal(zr_shm_refs(r), 3);
  zr_shm_close(r); /* the views keep the mapping */
  assert_true(((float *)t.data)[11] == 11.0f);
  const zr_value *v = zr_doc_root(doc);
  assert_int_equal(v->kind, ZR_KIND_TENSOR);
  assert_int_equal(((int64_t *)v->u.tensor->data)[4], 80);
  t.release(t.owner);
  assert_int_equal(((int64_t *)v->u.tensor->data)[3], 60);
  zr_doc_free(doc); /* last reference: unmapped now */
}

static void test_writable_and_checksum(void **state) {
  (void)state;
  zr_error err;
  char nm[128];
  snprintf(nm, sizeof nm, "%s", region_name("rw"));
  zr_shm *w = NULL;
  build_region(nm, &w);
  zr_shm *a = NULL, *b = NULL;
  assert_int_equal(zr_shm_open(nm, ZR_SHM_WRITE, NULL, &a, &err), ZR_OK);
  assert_int_equal(zr_shm_open(nm, 0, NULL, &b, &err), ZR_OK);
  assert_true(zr_shm_writable(a));
  zr_tensor ta, tb;
  assert_int_equal(zr_shm_get_tensor(a, "x", &ta, &err), ZR_OK);
  assert_int_equal(zr_shm_get_tensor(b, "x", &tb, &err), ZR_OK);
  ((float *)ta.data)[0] = 42.0f; /* a write through one mapping is seen through the other */
  assert_true(((float *)tb.data)[0] == 42.0f);
  assert_int_equal(zr_shm_verify(b, "x", &err), ZR_ERR_CHECKSUM);
  assert_int_equal(zr_shm_verify(b, "raw", &err), ZR_OK);
  zr_shm *c = NULL;
  assert_int_equal(zr_shm_open(nm, ZR_SHM_VERIFY, NULL, &c, &err), ZR_ERR_CHECKSUM);
  assert_null(c);
  assert_true(strstr(err.message, "'x'") != NULL);
  ta.release(ta.owner);
  tb.release(tb.owner);
  zr_shm_close(a);
  zr_shm_close(b);
  zr_shm_close(w);
  zr_shm_unlink(nm, NULL);
}

static void test_grow(void **state) {
  (void)state;
  zr_error err;
  char nm[128];
  snprintf(nm, sizeof nm, "%s", region_name("grow"));
  zr_shm *w = NULL;
  assert_int_equal(zr_shm_create(nm, NULL, &w, &err), ZR_OK);
  /* many objects: the region grows repeatedly and earlier ones keep their bytes */
  for (int i = 0; i < 12; i++) {
    char on[16];
    snprintf(on, sizeof on, "o%d", i);
    void *p;
    size_t len = (size_t)1 << (8 + i);
    assert_int_equal(zr_shm_reserve(w, on, len, &p, &err), ZR_OK);
    memset(p, i, len);
    assert_int_equal(zr_shm_commit(w, ZR_SHM_FORMAT_RAW, len, 0, &err), ZR_OK);
  }
  assert_int_equal(zr_shm_grow(w, 1 << 24, &err), ZR_OK);
  assert_int_equal(zr_shm_publish(w, &err), ZR_OK);
  assert_int_equal(zr_shm_grow(w, 1 << 25, &err), ZR_ERR_STATE);
  zr_shm *r = NULL;
  assert_int_equal(zr_shm_open(nm, ZR_SHM_VERIFY, NULL, &r, &err), ZR_OK);
  for (int i = 0; i < 12; i++) {
    zr_shm_object o;
    assert_int_equal(zr_shm_object_at(r, (size_t)i, &o, &err), ZR_OK);
    assert_int_equal(o.length, (uint64_t)1 << (8 + i));
    assert_int_equal(o.data[o.length - 1], i);
    assert_int_equal(o.offset % 64, 0);
  }
  zr_shm_close(r);
  zr_shm_close(w);
  zr_shm_unlink(nm, NULL);
}

/* A failing ftruncate (past RLIMIT_FSIZE) is a clear error and publishes nothing. */
static void test_truncate_failure(void **state) {
  (void)state;
  char nm[128], nm2[128];
  snprintf(nm, sizeof nm, "%s", region_name("fsz"));
  snprintf(nm2, sizeof nm2, "%s", region_name("fsz2"));
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    struct rlimit rl = {1 << 20, 1 << 20};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(10);
    zr_error err;
    zr_shm *r = NULL;
    zr_shm_create_opts o = {.size = 4 << 20};
    if (zr_shm_create(nm, &o, &r, &err) != ZR_ERR_LIMIT || r) _exit(11);
    if (strstr(err.message, "cannot size") == NULL) _exit(12);
    if (zr_shm_open(nm, 0, NULL, &r, &err) != ZR_ERR_NOT_FOUND) _exit(13); /* nothing left behind */
    /* growth failing mid-way: earlier objects stay, the failed one is not recorded */
    if (zr_shm_create(nm2, NULL, &r, &err) != ZR_OK) _exit(14);
    void *p;
    if (zr_shm_reserve(r, "small", 1000, &p, &err) != ZR_OK) _exit(15);
    memset(p, 7, 1000);
    if (zr_shm_commit(r, ZR_SHM_FORMAT_RAW, 1000, 0, &err) != ZR_OK) _exit(16);
    if (zr_shm_reserve(r, "big", 8 << 20, &p, &err) != ZR_ERR_LIMIT) _exit(17);
    if (zr_shm_publish(r, &err) != ZR_OK) _exit(18);
    zr_shm_close(r);
    _exit(0);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  zr_error err;
  zr_shm *r = NULL;
  assert_int_equal(zr_shm_open(nm2, ZR_SHM_VERIFY, NULL, &r, &err), ZR_OK);
  assert_int_equal(zr_shm_count(r), 1);
  zr_shm_close(r);
  zr_shm_unlink(nm2, NULL);
}

/* The child writes and publishes; the parent waits for publication, opens and checks. */
static void test_two_processes(void **state) {
  (void)state;
  char nm[128];
  snprintf(nm, sizeof nm, "%s", region_name("fork"));
  int go[2];
  assert_int_equal(pipe(go), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(20);
    close(go[0]);
    zr_error err;
    zr_shm *w = NULL;
    zr_shm_create_opts o = {.size = 1 << 20};
    if (zr_shm_create(nm, &o, &w, &err) != ZR_OK) _exit(21);
    zr_tensor t;
    int64_t n = 1 << 16;
    if (zr_shm_reserve_tensor(w, "big", ZR_DT_FLOAT64, 0, 1, &n, &t, &err) != ZR_OK) _exit(22);
    for (int64_t i = 0; i < n; i++) ((double *)t.data)[i] = (double)i * 0.5;
    if (zr_shm_commit(w, ZR_SHM_FORMAT_RAW, t.nbytes, 0, &err) != ZR_OK) _exit(23);
    usleep(20000); /* the parent is polling an unpublished region meanwhile */
    if (zr_shm_publish(w, &err) != ZR_OK) _exit(24);
    zr_shm_close(w);
    _exit(0);
  }
  close(go[0]);
  assert_int_equal(write(go[1], "g", 1), 1);
  close(go[1]);
  zr_error err;
  zr_shm *r = NULL;
  zr_status st;
  int tries = 0;
  while ((st = zr_shm_open(nm, ZR_SHM_VERIFY, NULL, &r, &err)) != ZR_OK) {
    assert_true(st == ZR_ERR_NOT_FOUND || st == ZR_ERR_STATE || st == ZR_ERR_TRUNCATED);
    assert_true(++tries < 20000);
    usleep(500);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  zr_tensor t;
  assert_int_equal(zr_shm_get_tensor(r, "big", &t, &err), ZR_OK);
  assert_int_equal(t.shape[0], 1 << 16);
  for (int64_t i = 0; i < t.shape[0]; i++) assert_true(((double *)t.data)[i] == (double)i * 0.5);
  t.release(t.owner);
  zr_shm_close(r);
  zr_shm_unlink(nm, NULL);
}

/* ---- hostile headers: a copy of a real region, damaged one field at a time ---- */

static uint8_t *region_bytes(size_t *len) {
  char nm[128];
  snprintf(nm, sizeof nm, "%s", region_name("bytes"));
  zr_shm *w = NULL;
  build_region(nm, &w);
  const uint8_t *base;
  uint64_t size;
  zr_shm_mapping(w, &base, &size);
  uint8_t *copy = malloc(size);
  assert_non_null(copy);
  memcpy(copy, base, size);
  *len = size;
  zr_shm_close(w);
  zr_shm_unlink(nm, NULL);
  return copy;
}

/* recompute the directory checksum the way the layout specifies (docs/formats/shm-region.md) */
static void fix_checksum(uint8_t *b, size_t len) {
  uint64_t gen, h;
  uint32_t n;
  memcpy(&gen, b + 16, 8);
  memcpy(&n, b + 44, 4);
  h = zr_xxh3_64(b + 24, 40, gen);
  if (128 + (size_t)n * 192 <= len) h = zr_xxh3_64(b + 128, (size_t)n * 192, h);
  memcpy(b + 64, &h, 8);
}

static zr_status check_mutated(const uint8_t *orig, size_t len, size_t at, const void *val, size_t n, int fix,
                               zr_error *err) {
  uint8_t *b = malloc(len);
  memcpy(b, orig, len);
  memcpy(b + at, val, n);
  if (fix) fix_checksum(b, len);
  size_t count = 0;
  zr_status st = zr_shm_header_check(b, len, &count, err);
  free(b);
  return st;
}

static void test_hostile_headers(void **state) {
  (void)state;
  size_t len;
  uint8_t *b = region_bytes(&len);
  zr_error err;
  size_t count = 0;
  assert_int_equal(zr_shm_header_check(b, len, &count, &err), ZR_OK);
  assert_int_equal(count, 3);
  uint32_t u32;
  uint64_t u64;
  /* truncated */
  assert_int_equal(zr_shm_header_check(b, 100, &count, &err), ZR_ERR_TRUNCATED);
  assert_int_equal(zr_shm_header_check(b, 1000, &count, &err), ZR_ERR_TRUNCATED); /* region_size > len */
  /* magic */
  assert_int_equal(check_mutated(b, len, 0, "XX", 2, 0, &err), ZR_ERR_MALFORMED);
  /* state: writing, unknown */
  u32 = 1;
  assert_int_equal(check_mutated(b, len, 12, &u32, 4, 0, &err), ZR_ERR_STATE);
  u32 = 77;
  assert_int_equal(check_mutated(b, len, 12, &u32, 4, 0, &err), ZR_ERR_STATE);
  /* version */
  u32 = 2;
  assert_int_equal(check_mutated(b, len, 8, &u32, 4, 0, &err), ZR_ERR_VERSION);
  /* generation changed without a matching checksum; generation 0 */
  u64 = 5;
  assert_int_equal(check_mutated(b, len, 16, &u64, 8, 0, &err), ZR_ERR_CHECKSUM);
  u64 = 0;
  assert_int_equal(check_mutated(b, len, 16, &u64, 8, 1, &err), ZR_ERR_STATE);
  /* any directory byte changed without the checksum */
  assert_int_equal(check_mutated(b, len, 128 + 70, "\x01", 1, 0, &err), ZR_ERR_CHECKSUM);
  assert_int_equal(err.offset, 64);
  /* with a matching checksum, the bounds checks catch each lie */
  u32 = 100;
  assert_int_equal(check_mutated(b, len, 44, &u32, 4, 1, &err), ZR_ERR_MALFORMED); /* n > max */
  u32 = 5000;
  assert_int_equal(check_mutated(b, len, 40, &u32, 4, 1, &err), ZR_ERR_MALFORMED); /* max too big */
  u32 = 100;
  assert_int_equal(check_mutated(b, len, 36, &u32, 4, 1, &err), ZR_ERR_MALFORMED); /* entry size */
  u32 = 64;
  assert_int_equal(check_mutated(b, len, 32, &u32, 4, 1, &err), ZR_ERR_MALFORMED); /* header size */
  u64 = (uint64_t)len + 64;
  assert_int_equal(check_mutated(b, len, 56, &u64, 8, 1, &err), ZR_ERR_MALFORMED); /* data_end > size */
  u64 = 64;
  assert_int_equal(check_mutated(b, len, 48, &u64, 8, 1, &err), ZR_ERR_MALFORMED); /* data inside header */
  /* entry 0 ("x"): offset misaligned, out of range, overflowing length; name; dtype; shape */
  size_t e0 = 128;
  uint64_t off0;
  memcpy(&off0, b + e0 + 64, 8);
  u64 = off0 + 8;
  assert_int_equal(check_mutated(b, len, e0 + 64, &u64, 8, 1, &err), ZR_ERR_ALIGNMENT);
  u64 = (uint64_t)len;
  assert_int_equal(check_mutated(b, len, e0 + 64, &u64, 8, 1, &err), ZR_ERR_MALFORMED);
  u64 = UINT64_MAX - 10;
  assert_int_equal(check_mutated(b, len, e0 + 72, &u64, 8, 1, &err), ZR_ERR_MALFORMED);
  assert_int_equal(err.offset, 128 + 64);
  u64 = 0;
  assert_int_equal(check_mutated(b, len, e0 + 64, &u64, 8, 1, &err), ZR_ERR_MALFORMED); /* in header */
  uint8_t name[64];
  memset(name, 'a', sizeof name);
  assert_int_equal(check_mutated(b, len, e0, name, 64, 1, &err), ZR_ERR_MALFORMED); /* no NUL */
  assert_int_equal(check_mutated(b, len, e0, "\x01", 1, 1, &err), ZR_ERR_MALFORMED); /* control */
  assert_int_equal(check_mutated(b, len, e0, "\0", 1, 1, &err), ZR_ERR_MALFORMED);   /* empty */
  assert_int_equal(check_mutated(b, len, e0, "raw", 4, 1, &err), ZR_ERR_MALFORMED);  /* duplicate */
  assert_int_equal(check_mutated(b, len, e0 + 90, "\x63", 1, 1, &err), ZR_ERR_MALFORMED); /* dtype */
  assert_int_equal(check_mutated(b, len, e0 + 91, "\x09", 1, 1, &err), ZR_ERR_MALFORMED); /* ndim */
  assert_int_equal(check_mutated(b, len, e0 + 93, "\x80", 1, 1, &err), ZR_ERR_UNSUPPORTED); /* flags */
  u64 = 5;
  assert_int_equal(check_mutated(b, len, e0 + 104, &u64, 8, 1, &err), ZR_ERR_MALFORMED); /* shape ≠ length */
  u64 = (uint64_t)-1;
  assert_int_equal(check_mutated(b, len, e0 + 104, &u64, 8, 1, &err), ZR_ERR_MALFORMED); /* negative */
  u64 = 3;
  assert_int_equal(check_mutated(b, len, e0 + 96, &u64, 8, 1, &err), ZR_ERR_MALFORMED); /* itemsize */
  /* a formatted object must not carry tensor fields */
  uint16_t fmt = 1;
  assert_int_equal(check_mutated(b, len, e0 + 88, &fmt, 2, 1, &err), ZR_ERR_MALFORMED);
  /* a payload checksum mismatch is found by verification */
  free(b);
}

/* A region file damaged on disk is refused by zr_shm_open too (not only by the byte parser). */
static void test_open_damaged(void **state) {
  (void)state;
  zr_error err;
  char nm[128];
  snprintf(nm, sizeof nm, "%s", region_name("dmg"));
  zr_shm *w = NULL;
  build_region(nm, &w);
  zr_shm *rw = NULL;
  assert_int_equal(zr_shm_open(nm, ZR_SHM_WRITE, NULL, &rw, &err), ZR_OK);
  const uint8_t *base;
  zr_shm_mapping(rw, &base, NULL);
  ((uint8_t *)base)[128 + 72] ^= 1; /* length of "x" */
  zr_shm *r = NULL;
  assert_int_equal(zr_shm_open(nm, 0, NULL, &r, &err), ZR_ERR_CHECKSUM);
  assert_int_equal(zr_shm_check(rw, &err), ZR_OK); /* state and generation untouched */
  ((uint8_t *)base)[16] += 1; /* generation */
  assert_int_equal(zr_shm_check(rw, &err), ZR_ERR_STATE);
  zr_shm_close(rw);
  zr_shm_close(w);
  zr_shm_unlink(nm, NULL);
  /* a region too short for a header */
  int fd = shm_open(nm, O_CREAT | O_EXCL | O_RDWR, 0600);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, 10), 0);
  close(fd);
  assert_int_equal(zr_shm_open(nm, 0, NULL, &r, &err), ZR_ERR_TRUNCATED);
  zr_shm_unlink(nm, NULL);
}

/* Values through a format's encoder straight into the region, and back as views. */
static void test_put_value(void **state) {
  (void)state;
  zr_error err;
  char nm[128];
  snprintf(nm, sizeof nm, "%s", region_name("val"));
  zr_shm *w = NULL;
  assert_int_equal(zr_shm_create(nm, NULL, &w, &err), ZR_OK);
  zr_value v = zr_int(1);
  assert_int_equal(zr_shm_put_value(w, "v", 999, &v, NULL, 0, &err), ZR_ERR_FORMAT);
  const zr_format *bin = zr_format_by_id(ZR_FORMAT_ID_BINARY);
  zr_doc *doc = zr_doc_new(NULL);
  zr_value m = zr_map_new(doc, 4);
  zr_map_put_cstr(doc, &m, "name", zr_cstr_ref("zerial"));
  zr_map_put_cstr(doc, &m, "n", zr_int(-7));
  zr_map_put_cstr(doc, &m, "blob", zr_bin_ref("0123456789abcdef", 16));
  if (bin && bin->encode && bin->decode) {
    assert_int_equal(zr_shm_put_value(w, "doc", ZR_FORMAT_ID_BINARY, &m, NULL, 0, &err), ZR_OK);
  }
  assert_int_equal(zr_shm_publish(w, &err), ZR_OK);
  if (bin && bin->encode && bin->decode) {
    zr_shm *r = NULL;
    assert_int_equal(zr_shm_open(nm, ZR_SHM_VERIFY, NULL, &r, &err), ZR_OK);
    zr_doc *out = NULL;
    assert_int_equal(zr_shm_get_value(r, "doc", NULL, &out, &err), ZR_OK);
    zr_shm_close(r);
    assert_true(zr_value_equal(zr_doc_root(out), &m));
    zr_doc_free(out);
  }
  zr_doc_free(doc);
  zr_shm_close(w);
  zr_shm_unlink(nm, NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),          cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_unpublished_and_writer_rules), cmocka_unit_test(test_view_lifetime),
      cmocka_unit_test(test_writable_and_checksum), cmocka_unit_test(test_grow),
      cmocka_unit_test(test_truncate_failure), cmocka_unit_test(test_two_processes),
      cmocka_unit_test(test_hostile_headers), cmocka_unit_test(test_open_damaged),
      cmocka_unit_test(test_put_value),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
