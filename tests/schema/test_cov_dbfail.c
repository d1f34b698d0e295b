/* Registry failures that are not memory: NULL and bad arguments of every call, a file that is
 * not a database, a database of another program, a corrupt registry, a registry locked by
 * another connection (ZR_ERR_BUSY after the busy timeout). And the schema tags: every NULL
 * out-parameter, tags read back from envelope key/values that are not NUL-terminated. */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zerial/envelope.h"
#include "zerial/schema.h"
#include "zr_test.h"

#define V1 "{\"fields\":[{\"id\":1,\"name\":\"id\",\"type\":\"int32\"}]}"

static zr_schema *P(const char *js) {
  zr_schema *s = NULL;
  zr_error e;
  if (zr_schema_parse(js, strlen(js), &s, &e) != ZR_OK) fail_msg("parse: %s", e.message);
  return s;
}

static const char *tmp(const char *name) {
  static char path[4][512];
  static int k;
  char *p = path[k++ & 3];
  snprintf(p, 512, "%s/%s", zr_test_tmpdir(), name);
  char side[540];
  unlink(p);
  snprintf(side, sizeof side, "%s-wal", p);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", p);
  unlink(side);
  return p;
}

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
}

static void test_bad_args(void **state) {
  (void)state;
  zr_error e;
  zr_registry *r = NULL;
  assert_int_equal(zr_registry_open(NULL, 0, &r, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "NULL argument");
  assert_int_equal(zr_registry_open(":memory:", 0, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_open(":memory:", 0, &r, &e), ZR_OK);
  zr_schema *s = P(V1);
  zr_compat_mode m;
  zr_compat_report *rep = NULL;
  zr_schema *out = NULL;
  char *js = NULL;
  assert_int_equal(zr_registry_get_mode(NULL, "s", &m, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_get_mode(r, "s", NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_set_mode(NULL, "s", ZR_COMPAT_FULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_set_mode(r, "s", (zr_compat_mode)99, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "bad argument");
  assert_int_equal(zr_registry_check(NULL, "s", s, &rep, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_check(r, NULL, s, &rep, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_check(r, "s", NULL, &rep, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_check(r, "s", s, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_register(NULL, "s", s, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_register(r, NULL, s, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_register(r, "", s, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_register(r, "s", NULL, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_get(NULL, "s", -1, &out, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_get(r, NULL, -1, &out, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_get(r, "s", -1, NULL, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_get_by_id(NULL, 1, &out, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_get_by_id(r, 1, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_subjects(NULL, 0, &js, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_subjects(r, 0, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_versions(NULL, "s", 0, &js, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_versions(r, NULL, 0, &js, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_versions(r, "s", 0, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_delete(NULL, "s", -1, 0, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_registry_delete(r, NULL, -1, 0, &e), ZR_ERR_INVALID_ARG);
  /* nothing to delete, nothing to purge: NOT_FOUND with the subject, and the handle still works */
  assert_int_equal(zr_registry_delete(r, "nope", -1, 0, &e), ZR_ERR_NOT_FOUND);
  assert_string_equal(e.message, "nothing to delete in nope");
  assert_int_equal(zr_registry_delete(r, "nope", 3, 1, &e), ZR_ERR_NOT_FOUND);
  assert_string_equal(e.message, "nothing soft-deleted to purge in nope (soft-delete first)");
  assert_int_equal(zr_registry_get_by_id(r, 42, &out, &e), ZR_ERR_NOT_FOUND);
  assert_string_equal(e.message, "schema id 42 not found");
  assert_int_equal(zr_registry_versions(r, "nope", 1, &js, &e), ZR_OK);
  assert_string_equal(js, "[]");
  zr_free(js);
  zr_registry_close(NULL);
  zr_registry_close(r);
  zr_schema_free(s);
}

static void test_not_a_database(void **state) {
  (void)state;
  const char *p = tmp("garbage.db");
  char junk[4096];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 7 + 3);
  write_file(p, junk, sizeof junk);
  zr_registry *r = NULL;
  zr_error e;
  assert_int_equal(zr_registry_open(p, 10, &r, &e), ZR_ERR_DATABASE);
  assert_null(r);
  assert_non_null(strstr(e.message, "the registry file is corrupt or not a database (file is not a database)"));
  assert_non_null(strstr(e.message, "garbage.db"));
}

static void test_other_program(void **state) {
  (void)state;
  const char *p = tmp("other.db");
  sqlite3 *db;
  assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE zr_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                                    "INSERT INTO zr_meta VALUES('format', 'someone-else-2');",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  zr_registry *r = NULL;
  zr_error e;
  assert_int_equal(zr_registry_open(p, 10, &r, &e), ZR_ERR_DATABASE);
  char want[600];
  snprintf(want, sizeof want, "%s is not a zerial schema registry", p);
  assert_string_equal(e.message, want);
  /* a zr_meta without the format row is not ours either (the row is only added when missing) */
  p = tmp("other2.db");
  assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE zr_meta(key TEXT PRIMARY KEY, value TEXT);"
                                    "INSERT INTO zr_meta VALUES('format', NULL);",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(zr_registry_open(p, 10, &r, &e), ZR_ERR_DATABASE);
  assert_non_null(strstr(e.message, "is not a zerial schema registry"));
}

/* a registry whose table pages are overwritten: reads answer "corrupt", never a wrong schema */
static void test_corrupt(void **state) {
  (void)state;
  const char *p = tmp("corrupt.db");
  zr_registry *r = NULL;
  zr_error e;
  assert_int_equal(zr_registry_open(p, 10, &r, &e), ZR_OK);
  zr_schema *s = P(V1);
  assert_int_equal(zr_registry_register(r, "s", s, NULL, NULL, &e), ZR_OK);
  zr_registry_close(r); /* the last connection checkpoints the WAL into the file */
  int fd = open(p, O_RDWR);
  assert_true(fd >= 0);
  off_t size = lseek(fd, 0, SEEK_END);
  assert_true(size >= 4096 * 3);
  char junk[4096];
  memset(junk, 0xA5, sizeof junk);
  for (off_t at = 4096; at < size; at += 4096) assert_int_equal(pwrite(fd, junk, sizeof junk, at), sizeof junk);
  close(fd);
  zr_status st = zr_registry_open(p, 10, &r, &e);
  if (st == ZR_OK) {
    zr_schema *out = NULL;
    char *js = NULL;
    st = zr_registry_get(r, "s", -1, &out, NULL, NULL, &e);
    assert_int_equal(st, ZR_ERR_DATABASE);
    assert_non_null(strstr(e.message, "corrupt or not a database"));
    st = zr_registry_subjects(r, 0, &js, &e);
    assert_int_equal(st, ZR_ERR_DATABASE);
    zr_registry_close(r);
  } else {
    assert_int_equal(st, ZR_ERR_DATABASE);
    assert_non_null(strstr(e.message, "corrupt or not a database"));
  }
  zr_schema_free(s);
}

/* another connection holds the write lock: writers get ZR_ERR_BUSY after the timeout, readers go on */
static void test_locked(void **state) {
  (void)state;
  const char *p = tmp("locked.db");
  zr_registry *r = NULL;
  zr_error e;
  assert_int_equal(zr_registry_open(p, 20, &r, &e), ZR_OK);
  zr_schema *s = P(V1);
  assert_int_equal(zr_registry_register(r, "s", s, NULL, NULL, &e), ZR_OK);
  sqlite3 *other;
  assert_int_equal(sqlite3_open(p, &other), SQLITE_OK);
  assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE; UPDATE zr_meta SET value = value WHERE key = 'format';", NULL,
                                NULL, NULL),
                   SQLITE_OK);
  zr_schema *s2 = P("{\"fields\":[{\"id\":1,\"name\":\"id\",\"type\":\"int64\"}]}");
  assert_int_equal(zr_registry_register(r, "s", s2, NULL, NULL, &e), ZR_ERR_BUSY);
  assert_string_equal(e.message, "BEGIN IMMEDIATE: database is locked");
  assert_int_equal(zr_registry_delete(r, "s", 1, 0, &e), ZR_ERR_BUSY);
  assert_int_equal(zr_registry_set_mode(r, "s", ZR_COMPAT_FULL, &e), ZR_ERR_BUSY);
  assert_string_equal(e.message, "setting the mode: database is locked");
  assert_int_equal(zr_registry_set_mode(r, NULL, ZR_COMPAT_FULL, &e), ZR_ERR_BUSY);
  /* readers are not blocked (WAL) */
  zr_schema *got = NULL;
  int v = 0;
  assert_int_equal(zr_registry_get(r, "s", 1, &got, NULL, &v, &e), ZR_OK);
  assert_int_equal(v, 1);
  zr_schema_free(got);
  sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(other);
  zr_register_result res;
  assert_int_equal(zr_registry_set_mode(r, "s", ZR_COMPAT_NONE, &e), ZR_OK);
  assert_int_equal(zr_registry_register(r, "s", s2, &res, NULL, &e), ZR_OK);
  assert_int_equal(res.version, 2);
  zr_registry_close(r);
  zr_schema_free(s);
  zr_schema_free(s2);
}

/* ---- tags ---- */
static void test_envelope_tags(void **state) {
  (void)state;
  zr_schema *s = P(V1);
  zr_envelope_meta meta;
  memset(&meta, 0, sizeof meta);
  zr_envelope_kv kv[2];
  char vb[16];
  size_t n = 9;
  assert_int_equal(zr_schema_envelope_tag(NULL, "x", 1, &meta, kv, vb, &n), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_schema_envelope_tag(s, "x", 1, NULL, kv, vb, &n), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_schema_envelope_tag(s, "x", 1, &meta, NULL, vb, &n), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_schema_envelope_tag(s, "x", 1, &meta, kv, NULL, &n), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_schema_envelope_tag(s, "x", 1, &meta, kv, vb, NULL), ZR_ERR_INVALID_ARG);
  /* no subject, no version: only the fingerprint */
  assert_int_equal(zr_schema_envelope_tag(s, NULL, 0, &meta, kv, vb, &n), ZR_OK);
  assert_int_equal(n, 0);
  assert_true(meta.has_schema_fingerprint);
  assert_true(meta.schema_fingerprint == zr_schema_fingerprint64(s));
  uint64_t fp = 0;
  assert_int_equal(zr_schema_envelope_read(NULL, &fp, NULL, 0, NULL), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_schema_envelope_read(&meta, NULL, NULL, 0, NULL), ZR_OK);
  assert_int_equal(zr_schema_envelope_read(&meta, &fp, NULL, 0, NULL), ZR_OK);
  assert_true(fp == meta.schema_fingerprint);
  /* values are (ptr, len), not NUL-terminated: "12" followed by "34" in memory is version 12 */
  const char text[] = "events-and-more1234";
  zr_envelope_kv in[3] = {
      {{"zerial.schema.subject", 21}, {text, 6}},
      {{"zerial.schema.version", 21}, {text + 15, 2}},
      {{"zerial.schema.other..", 21}, {text, 3}},
  };
  zr_envelope_meta m2;
  memset(&m2, 0, sizeof m2);
  m2.kv = in;
  m2.n_kv = 3;
  char subject[8] = "zzz";
  int version = -1;
  assert_int_equal(zr_schema_envelope_read(&m2, &fp, subject, sizeof subject, &version), ZR_ERR_NOT_FOUND);
  assert_string_equal(subject, "events");
  assert_int_equal(version, 12);
  /* a NULL value pointer is version 0; a subject longer than the buffer is cut */
  in[0].value.len = 15;
  in[1].value.ptr = NULL;
  in[1].value.len = 0;
  m2.has_schema_fingerprint = 1;
  m2.schema_fingerprint = 77;
  assert_int_equal(zr_schema_envelope_read(&m2, &fp, subject, sizeof subject, &version), ZR_OK);
  assert_string_equal(subject, "events-");
  assert_int_equal(version, 0);
  assert_int_equal(fp, 77);
  /* no out-parameters at all */
  assert_int_equal(zr_schema_envelope_read(&m2, NULL, NULL, 0, NULL), ZR_OK);
  subject[0] = 'q';
  assert_int_equal(zr_schema_envelope_read(&m2, NULL, subject, 0, NULL), ZR_OK);
  assert_int_equal(subject[0], 'q'); /* a zero capacity is not written */
  zr_schema_free(s);
}

static void test_table_tags(void **state) {
  (void)state;
  zr_schema *s = P(V1);
  zr_error e;
  zr_table t;
  memset(&t, 0, sizeof t);
  assert_int_equal(zr_schema_tag_table(NULL, s, "x", 1, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_schema_tag_table(&t, NULL, "x", 1, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_schema_tag_table(&t, s, "x", 1, &e), ZR_ERR_INVALID_ARG); /* released */
  assert_string_equal(e.message, "NULL or released table");
  assert_int_equal(zr_schema_table_tag(NULL, NULL, NULL, 0, NULL), ZR_ERR_INVALID_ARG);
  zr_schema_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_args),      cmocka_unit_test(test_not_a_database), cmocka_unit_test(test_other_program),
      cmocka_unit_test(test_corrupt),       cmocka_unit_test(test_locked),         cmocka_unit_test(test_envelope_tags),
      cmocka_unit_test(test_table_tags),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
