/* Fault sweeps over shared-memory regions: the writer (create, put_value, put_tensor, reserve and
 * commit, publish) and the reader (open with verification, find, get_value, get_tensor, verify)
 * each run with the n-th allocation failing (n = 1, 2, … until the calls succeed). Every failure
 * is ZR_ERR_NOMEM with a message, leaves no block live, and a failed writer leaves no region
 * behind (create cleans up; the test unlinks after close). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zerial/format.h"
#include "zerial/shm.h"
#include "core/internal.h"
#include "zr_test.h"

static zr_doc *doc;
static zr_value val;
static float tdata[24];

static void make_inputs(void) {
  doc = zr_doc_new(NULL);
  val = zr_map_new(doc, 0);
  zr_map_put_cstr(doc, &val, "name", zr_cstr_ref("region object"));
  zr_value l = zr_list_new(doc, 0);
  for (int i = 0; i < 40; i++) zr_list_push(doc, &l, zr_int(i * 7));
  zr_map_put_cstr(doc, &val, "list", l);
  for (int i = 0; i < 24; i++) tdata[i] = (float)i / 4;
}

static zr_status write_region(const char *name, const zr_allocator *a, zr_error *err) {
  zr_shm_create_opts co;
  memset(&co, 0, sizeof co);
  co.alloc = a;
  co.max_objects = 8;
  co.flags = ZR_SHM_NO_PREALLOCATE;
  zr_shm *r = NULL;
  zr_status st = zr_shm_create(name, &co, &r, err);
  if (st != ZR_OK) return st;
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.alloc = a;
  st = zr_shm_put_value(r, "value", ZR_FORMAT_ID_BINARY, &val, &eo, 0, err);
  int64_t shape[2] = {4, 6};
  zr_tensor t;
  if (st == ZR_OK) st = zr_tensor_init(&t, ZR_DT_FLOAT32, 4, 2, shape, tdata, err);
  if (st == ZR_OK) st = zr_shm_put_tensor(r, "tensor", &t, 0, err);
  void *p = NULL;
  if (st == ZR_OK) st = zr_shm_reserve(r, "raw", 100, &p, err);
  if (st == ZR_OK) {
    memset(p, 0xab, 100);
    st = zr_shm_commit(r, ZR_SHM_FORMAT_RAW, 100, 0, err);
  }
  if (st == ZR_OK) st = zr_shm_grow(r, 1 << 16, err);
  if (st == ZR_OK) st = zr_shm_publish(r, err);
  zr_shm_close(r);
  return st;
}

static zr_status read_region(const char *name, const zr_allocator *a, zr_error *err) {
  zr_shm *r = NULL;
  ZR_TRY(zr_shm_open(name, ZR_SHM_VERIFY, a, &r, err));
  zr_shm_object ob;
  zr_status st = zr_shm_find(r, "raw", &ob, err);
  if (st == ZR_OK) assert_int_equal(ob.length, 100);
  if (st == ZR_OK) st = zr_shm_object_at(r, 0, &ob, err);
  if (st == ZR_OK) st = zr_shm_verify(r, NULL, err);
  zr_decode_opts dopts;
  zr_decode_opts_init(&dopts);
  dopts.alloc = a;
  zr_doc *back = NULL;
  if (st == ZR_OK) st = zr_shm_get_value(r, "value", &dopts, &back, err);
  if (st == ZR_OK) assert_true(zr_value_equal(zr_doc_root(back), &val));
  zr_tensor t;
  memset(&t, 0, sizeof t);
  if (st == ZR_OK) st = zr_shm_get_tensor(r, "tensor", &t, err);
  if (st == ZR_OK) {
    assert_memory_equal(t.data, tdata, sizeof tdata);
    if (t.release) t.release(t.owner);
  }
  zr_doc_free(back);
  zr_shm_close(r);
  return st;
}

static void test_writer_sweep(void **state) {
  (void)state;
  char name[64];
  unsigned failures = 0;
  for (uint64_t n = 1;; n++) {
    snprintf(name, sizeof name, "/zr-cov-shmw-%d-%llu", (int)getpid(), (unsigned long long)n);
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_error e;
    zr_error_clear(&e);
    zr_status st = write_region(name, &fa.a, &e);
    assert_int_equal(fa.live, 0);
    if (st == ZR_OK) {
      assert_int_equal(read_region(name, NULL, &e), ZR_OK);
      assert_int_equal(zr_shm_unlink(name, NULL), ZR_OK);
      if (fa.calls >= n) continue; /* survived */
      break;
    }
    if (st != ZR_ERR_NOMEM) fail_msg("writer alloc %llu: %s (%s)", (unsigned long long)n, zr_strerror(st), e.message);
    assert_true(e.message[0] != '\0');
    zr_shm_unlink(name, NULL);
    failures++;
    assert_true(n < 10000);
  }
  assert_true(failures > 1);
}

static void test_reader_sweep(void **state) {
  (void)state;
  char name[64];
  snprintf(name, sizeof name, "/zr-cov-shmr-%d", (int)getpid());
  zr_error e;
  assert_int_equal(write_region(name, NULL, &e), ZR_OK);
  unsigned failures = 0;
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_error_clear(&e);
    zr_status st = read_region(name, &fa.a, &e);
    assert_int_equal(fa.live, 0);
    if (st == ZR_OK) {
      if (fa.calls >= n) continue;
      break;
    }
    if (st != ZR_ERR_NOMEM && st != ZR_ERR_LIMIT) fail_msg("reader alloc %llu: %s (%s)", (unsigned long long)n, zr_strerror(st), e.message);
    assert_true(e.message[0] != '\0');
    failures++;
    assert_true(n < 10000);
  }
  assert_true(failures > 1);
  assert_int_equal(zr_shm_unlink(name, NULL), ZR_OK);
}

static int setup(void **state) {
  (void)state;
  make_inputs();
  return 0;
}
static int teardown(void **state) {
  (void)state;
  zr_doc_free(doc);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_writer_sweep), cmocka_unit_test(test_reader_sweep)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
