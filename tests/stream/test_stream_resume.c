/* Resume after kill -9: a child writes records to a stream file and SIGKILLs itself at a kill
 * point; the file is reopened in append mode (from the checkpoint, or by scanning when the
 * checkpoint is gone), continued from the reported input position, and the result must hold
 * exactly records 0..N-1 once each, in order. Some runs crash twice. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stream_test_util.h"

#define N 1500

static void opts(zr_stream_opts *o, int variant) {
  zr_stream_opts_init(o);
  o->chunk_records = 17 + (unsigned)(variant % 3) * 10;
  o->checkpoint_every = 1 + (unsigned)(variant % 4);
  o->no_sync = 1; /* a process crash keeps written bytes; fsync only matters for power loss */
  o->codec = variant % 2 ? ZR_CODEC_LZ4 : ZR_CODEC_NONE;
}

/* Write records from the resume point up to N; SIGKILL self after record @p kill_at (if < N). */
static void child_write(const char *path, int append, int variant, uint64_t kill_at, int drop_ckpt) {
  zr_stream_opts o;
  opts(&o, variant);
  zr_error err;
  zr_stream_writer *w;
  zr_stream_checkpoint cp;
  if (drop_ckpt) {
    char ck[600];
    snprintf(ck, sizeof ck, "%s.ckpt", path);
    unlink(ck);
  }
  zr_status st = zr_stream_writer_open_file(path, &o, append, &w, &cp, &err);
  if (st != ZR_OK) {
    fprintf(stderr, "open_file: %s\n", err.message);
    _exit(3);
  }
  uint64_t from = 0;
  if (cp.resumed) from = cp.position != ZR_STREAM_POSITION_UNKNOWN ? cp.position : cp.records;
  if (cp.resumed && cp.position != ZR_STREAM_POSITION_UNKNOWN && cp.position != cp.records) _exit(4);
  for (uint64_t i = from; i < N; i++) {
    zr_doc *d = zr_doc_new(NULL);
    zr_value v = st_record(d, i);
    st = zr_stream_writer_write_value(w, &v, &err);
    zr_doc_free(d);
    if (st != ZR_OK) _exit(5);
    zr_stream_writer_set_position(w, i + 1);
    if (i == kill_at) kill(getpid(), SIGKILL);
  }
  if (zr_stream_writer_finish(w, &err) != ZR_OK) _exit(6);
  zr_stream_writer_free(w);
  _exit(0);
}

static int run_child(const char *path, int append, int variant, uint64_t kill_at, int drop_ckpt) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) child_write(path, append, variant, kill_at, drop_ckpt);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

static void check_file(const char *path) {
  size_t len;
  uint8_t *data = zr_test_read_file(path, &len);
  assert_non_null(data);
  uint64_t got;
  int ok;
  zr_error err;
  zr_status st = st_read_all(data, len, NULL, &got, 0, &ok, &err);
  if (st != ZR_ERR_EOF) fprintf(stderr, "%s: %s\n", path, err.message);
  assert_int_equal(st, ZR_ERR_EOF);
  assert_int_equal(got, N);
  assert_true(ok);
  free(data);
  char ck[600];
  snprintf(ck, sizeof ck, "%s.ckpt", path);
  assert_int_not_equal(access(ck, F_OK), 0); /* finish removed the checkpoint */
}

static void test_kill_points(void **state) {
  (void)state;
  uint64_t seed = 1234;
  int runs = 0;
  for (int variant = 0; variant < 30; variant++) {
    char path[512];
    snprintf(path, sizeof path, "%s/resume_%d.zrs", zr_test_tmpdir(), variant);
    uint64_t kill1 = zr_test_rand(&seed) % N;
    if (variant < 4) kill1 = (uint64_t[]){0, 1, 16, 17}[variant];
    assert_int_equal(run_child(path, 0, variant, kill1, 0), -SIGKILL);
    int twice = variant % 3 == 0;
    int drop = variant % 5 == 1; /* resume by scanning the file */
    if (twice) {
      uint64_t kill2 = kill1 + 1 + zr_test_rand(&seed) % (N - kill1);
      int rc = run_child(path, 1, variant, kill2, drop);
      assert_true(rc == -SIGKILL || (kill2 >= N && rc == 0));
    }
    assert_int_equal(run_child(path, 1, variant, UINT64_MAX, drop && !twice), 0);
    check_file(path);
    /* appending to a complete stream refuses: nothing to do */
    zr_stream_opts o;
    opts(&o, variant);
    zr_stream_writer *w;
    zr_error err;
    assert_int_equal(zr_stream_writer_open_file(path, &o, 1, &w, NULL, &err), ZR_ERR_EXISTS);
    unlink(path);
    runs++;
  }
  assert_int_equal(runs, 30);
}

/* torn bytes after the checkpoint, a torn header, a foreign file */
static void test_torn(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/torn.zrs", zr_test_tmpdir());
  assert_int_equal(run_child(path, 0, 0, 1000, 0), -SIGKILL);
  /* append half a frame header of garbage */
  int fd = open(path, O_WRONLY | O_APPEND);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "ZRCK\001\000\000\000garbage", 15), 15);
  close(fd);
  assert_int_equal(run_child(path, 1, 0, UINT64_MAX, 1), 0); /* scan path */
  check_file(path);
  unlink(path);

  /* a torn header (kill before the first chunk went out): start over */
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_int_equal(write(fd, "ZRST\001", 5), 5);
  close(fd);
  assert_int_equal(run_child(path, 1, 0, UINT64_MAX, 1), 0);
  check_file(path);
  unlink(path);

  /* not a stream: refuse to append */
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_int_equal(write(fd, "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3}\n{\"a\": 4}\n", 36), 36);
  close(fd);
  zr_stream_opts o;
  opts(&o, 0);
  zr_stream_writer *w;
  zr_error err;
  assert_int_equal(zr_stream_writer_open_file(path, &o, 1, &w, NULL, &err), ZR_ERR_FORMAT);
  unlink(path);

  /* the checkpoint reader rejects damage */
  snprintf(path, sizeof path, "%s/bad.ckpt", zr_test_tmpdir());
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  uint8_t junk[72] = {'Z', 'R', 'C', 'P', 1};
  assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
  close(fd);
  zr_stream_checkpoint cp;
  assert_int_equal(zr_stream_checkpoint_read(path, &cp, &err), ZR_ERR_CHECKSUM);
  unlink(path);
  assert_int_equal(zr_stream_checkpoint_read(path, &cp, &err), ZR_ERR_NOT_FOUND);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kill_points),
      cmocka_unit_test(test_torn),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
