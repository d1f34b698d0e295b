/* Coverage: sinks and sources on their system-call error paths. write(2), read(2), open(2),
 * close(2), fsync(2), rename(2), mkstemp(3), fstat(2) and mmap(2) are interposed in this
 * executable (the library is linked statically into it) and fail, give short counts or EINTR on
 * request, for one descriptor or path only. Checked: the status each errno maps to, the message
 * (call and file named), bytes intact after short writes and EINTR, nothing left behind by a
 * failed atomic file sink, reserve/commit on every sink kind, every NULL argument. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zr_test.h"

#if defined(__SANITIZE_THREAD__)
/* ThreadSanitizer intercepts these same calls and needs them (mmap among them) before dlsym
 * works, so interposing them in the executable crashes its start-up. This test has no threads;
 * it runs in the ASan, valgrind, plain and coverage builds. */
int main(void) {
  puts("test_cov_io: not built under ThreadSanitizer (it interposes libc calls TSan intercepts)");
  return 0;
}
#else

/* ------------------------------------------------------------------ interposition */

static int inj_fd = -1;          /* the descriptor write/read/close/fsync faults apply to (-1: any > 2) */
static int inj_write_errno;      /* write(): fail with this errno once inj_write_ok calls succeeded */
static int inj_write_ok;         /* successful write() calls left before the failure */
static size_t inj_write_max;     /* write(): accept at most this many bytes per call (0: all) */
static int inj_write_zero;       /* write(): return 0 */
static int inj_eintr;            /* write()/read(): every other call fails with EINTR */
static int inj_read_errno;       /* read(): fail with this errno */
static int inj_close_errno, inj_fsync_errno, inj_rename_errno, inj_mkstemp_errno, inj_fstat_errno, inj_mmap_errno;
static int inj_open_errno;       /* open(): fail with this errno */
static int inj_open_eintr;       /* open(): fail this many times with EINTR first */
static unsigned long inj_tick, inj_fired;

static int targeted(int fd) { return inj_fd >= 0 ? fd == inj_fd : fd > 2; }

static void inj_reset(void) {
  inj_fd = -1;
  inj_write_errno = inj_write_ok = inj_write_zero = inj_eintr = inj_read_errno = 0;
  inj_write_max = 0;
  inj_close_errno = inj_fsync_errno = inj_rename_errno = inj_mkstemp_errno = inj_fstat_errno = inj_mmap_errno = 0;
  inj_open_errno = inj_open_eintr = 0;
  inj_tick = inj_fired = 0;
}

ssize_t write(int fd, const void *buf, size_t n) {
  static ssize_t (*real)(int, const void *, size_t);
  if (!real) real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  if (targeted(fd)) {
    if (inj_eintr && (inj_tick++ & 1) == 0) {
      inj_fired++;
      errno = EINTR;
      return -1;
    }
    if (inj_write_errno) {
      if (inj_write_ok == 0) {
        inj_fired++;
        errno = inj_write_errno;
        return -1;
      }
      inj_write_ok--;
    }
    if (inj_write_zero) {
      inj_fired++;
      return 0;
    }
    if (inj_write_max && n > inj_write_max) {
      inj_fired++;
      n = inj_write_max;
    }
  }
  return real(fd, buf, n);
}

ssize_t read(int fd, void *buf, size_t n) {
  static ssize_t (*real)(int, void *, size_t);
  if (!real) real = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
  if (targeted(fd)) {
    if (inj_eintr && (inj_tick++ & 1) == 0) {
      inj_fired++;
      errno = EINTR;
      return -1;
    }
    if (inj_read_errno) {
      inj_fired++;
      errno = inj_read_errno;
      return -1;
    }
  }
  return real(fd, buf, n);
}

int open(const char *path, int flags, ...) {
  static int (*real)(const char *, int, ...);
  if (!real) real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
  mode_t mode = 0;
  if (flags & O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = (mode_t)va_arg(ap, int);
    va_end(ap);
  }
  if (inj_open_eintr > 0) {
    inj_open_eintr--;
    inj_fired++;
    errno = EINTR;
    return -1;
  }
  if (inj_open_errno) {
    inj_fired++;
    errno = inj_open_errno;
    return -1;
  }
  return real(path, flags, mode);
}

int close(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "close");
  int rc = real(fd);
  if (inj_close_errno && targeted(fd)) {
    inj_fired++;
    errno = inj_close_errno;
    return -1;
  }
  return rc;
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  if (inj_fsync_errno && targeted(fd)) {
    inj_fired++;
    errno = inj_fsync_errno;
    return -1;
  }
  return real(fd);
}

int rename(const char *from, const char *to) {
  static int (*real)(const char *, const char *);
  if (!real) real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
  if (inj_rename_errno) {
    inj_fired++;
    errno = inj_rename_errno;
    return -1;
  }
  return real(from, to);
}

int mkstemp(char *tmpl) {
  static int (*real)(char *);
  if (!real) real = (int (*)(char *))dlsym(RTLD_NEXT, "mkstemp");
  if (inj_mkstemp_errno) {
    inj_fired++;
    errno = inj_mkstemp_errno;
    return -1;
  }
  return real(tmpl);
}

int fstat(int fd, struct stat *sb) {
  static int (*real)(int, struct stat *);
  if (!real) real = (int (*)(int, struct stat *))dlsym(RTLD_NEXT, "fstat");
  if (inj_fstat_errno) {
    inj_fired++;
    errno = inj_fstat_errno;
    return -1;
  }
  return real(fd, sb);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  static void *(*real)(void *, size_t, int, int, int, off_t);
  if (!real) real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
  if (inj_mmap_errno && fd > 2) {
    inj_fired++;
    errno = inj_mmap_errno;
    return MAP_FAILED;
  }
  return real(addr, len, prot, flags, fd, off);
}

/* ------------------------------------------------------------------ helpers */

static uint8_t pattern[300000];

static void fill_pattern(void) {
  for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (uint8_t)(i * 7 + (i >> 9));
}

static const char *tmp_path(const char *name) {
  static char p[512];
  snprintf(p, sizeof p, "%s/%s", zr_test_tmpdir(), name);
  return p;
}

/* the whole content of @p path (malloc'd), asserted to be @p n bytes */
static void assert_file_is(const char *path, const uint8_t *want, size_t n) {
  size_t len = 0;
  uint8_t *d = zr_test_read_file(path, &len);
  assert_non_null(d);
  assert_int_equal(len, n);
  if (n) assert_memory_equal(d, want, n);
  free(d);
}

static int tmp_files_beside(const char *base) {
  /* count "<base>.tmp.*" files in the test directory */
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "ls -1 '%s' | grep -c '^%s\\.tmp\\.'", zr_test_tmpdir(), base);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  int n = -1;
  if (fscanf(p, "%d", &n) != 1) n = -1;
  pclose(p);
  return n;
}

/* write the pattern through an fd sink in pieces of several sizes (staged, flushing, direct) */
static zr_status write_pieces(zr_sink *s, size_t total, zr_error *e) {
  static const size_t piece[] = {10, 40000, 30000, 100000, 1, 65536, 7};
  size_t off = 0;
  for (unsigned i = 0; off < total; i = (i + 1) % (sizeof piece / sizeof piece[0])) {
    size_t n = piece[i] < total - off ? piece[i] : total - off;
    zr_status st = zr_sink_write(s, pattern + off, n, e);
    if (st != ZR_OK) return st;
    off += n;
  }
  return zr_sink_flush(s, e);
}

/* ------------------------------------------------------------------ sink arguments, reserve/commit */

static void test_sink_arguments(void **state) {
  (void)state;
  zr_error e;
  zr_sink *s = NULL;
  uint8_t mem[8];
  assert_int_equal(zr_sink_fixed_new(NULL, 5, &s, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "memory is NULL");
  assert_int_equal(zr_sink_fixed_new(mem, sizeof mem, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "out is NULL");
  assert_int_equal(zr_sink_fd_new(-1, &s, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "bad file descriptor");
  assert_int_equal(zr_sink_fd_new(5, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_sink_file_new(NULL, &s, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_sink_file_new("", &s, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "empty path");
  assert_int_equal(zr_sink_file_new(tmp_path("never.bin"), NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(access(tmp_path("never.bin"), F_OK), -1);
  assert_int_equal(zr_sink_callback_new(NULL, NULL, &s, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "callback is NULL");
  assert_int_equal(zr_sink_callback_new((zr_sink_write_fn)1, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_sink_size(NULL), 0);
  assert_int_equal(zr_sink_can_reserve(NULL), 0);
  assert_int_equal(zr_sink_flush(NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_sink_commit(NULL, 0, &e), ZR_ERR_INVALID_ARG);
  void *p = NULL;
  assert_int_equal(zr_sink_reserve(NULL, 1, &p, &e), ZR_ERR_INVALID_ARG);
  const uint8_t *d;
  size_t n;
  uint8_t *t;
  assert_int_equal(zr_sink_memory_data(NULL, &d, &n), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_sink_memory_take(NULL, &t, &n, &e), ZR_ERR_INVALID_ARG);
  zr_sink_free(NULL);

  /* a fixed sink of capacity 0 over NULL memory: empty writes only */
  assert_int_equal(zr_sink_fixed_new(NULL, 0, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, NULL, 0, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, "x", 1, &e), ZR_ERR_NOSPACE);
  assert_int_equal(e.offset, 0);
  assert_string_equal(e.message, "fixed sink full: 0 bytes left, 1 needed");
  assert_int_equal(zr_sink_write(s, NULL, 3, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "data is NULL");
  zr_sink_free(s);

  /* reserve/commit on a fixed sink: bounds, the reservation, the state check */
  memset(mem, 0, sizeof mem);
  assert_int_equal(zr_sink_fixed_new(mem, sizeof mem, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_can_reserve(s), 1);
  assert_int_equal(zr_sink_reserve(s, 4, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_sink_write(s, "ab", 2, &e), ZR_OK);
  assert_int_equal(zr_sink_reserve(s, 7, &p, &e), ZR_ERR_NOSPACE);
  assert_int_equal(e.offset, 2);
  assert_string_equal(e.message, "fixed sink full: 6 bytes left, 7 needed");
  assert_int_equal(zr_sink_reserve(s, 6, &p, &e), ZR_OK);
  assert_ptr_equal(p, mem + 2);
  memcpy(p, "cdefgh", 6);
  assert_int_equal(zr_sink_commit(s, 7, &e), ZR_ERR_STATE);
  assert_string_equal(e.message, "commit of 7 bytes exceeds the reservation of 6");
  assert_int_equal(zr_sink_commit(s, 3, &e), ZR_OK);
  assert_int_equal(zr_sink_commit(s, 1, &e), ZR_ERR_STATE); /* the reservation is used up */
  assert_int_equal(zr_sink_size(s), 5);
  assert_int_equal(zr_sink_memory_data(s, &d, &n), ZR_OK);
  assert_int_equal(n, 5);
  assert_memory_equal(d, "abcde", 5);
  assert_int_equal(zr_sink_flush(s, &e), ZR_OK);
  assert_int_equal(zr_sink_finish(s, &e), ZR_OK);
  zr_sink_free(s);

  /* a memory sink: reserve/commit, take of an empty sink gives an owned empty block */
  assert_int_equal(zr_sink_memory_new(NULL, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_memory_take(s, &t, &n, &e), ZR_OK);
  assert_non_null(t);
  assert_int_equal(n, 0);
  zr_free(t);
  assert_int_equal(zr_sink_reserve(s, 100, &p, &e), ZR_OK);
  memset(p, 'm', 100);
  assert_int_equal(zr_sink_commit(s, 100, &e), ZR_OK);
  assert_int_equal(zr_sink_memory_take(s, &t, &n, &e), ZR_OK);
  assert_int_equal(n, 100);
  assert_int_equal(t[99], 'm');
  zr_free(t);
  zr_sink_free(s);

  /* take of an empty memory sink under a failing allocator: NOMEM, nothing taken */
  zr_test_failalloc fa;
  zr_test_failalloc_init(&fa, 1);
  assert_int_equal(zr_sink_memory_new(&fa.a, &s, &e), ZR_OK);
  t = (uint8_t *)1;
  assert_int_equal(zr_sink_memory_take(s, &t, &n, &e), ZR_ERR_NOMEM);
  assert_ptr_equal(t, (uint8_t *)1);
  void *rp = NULL;
  assert_int_equal(zr_sink_reserve(s, 10, &rp, &e), ZR_OK); /* the 2nd allocation works */
  assert_int_equal(zr_sink_commit(s, 0, &e), ZR_OK);
  zr_sink_free(s);
  assert_int_equal(fa.live, 0);

  /* fd and callback sinks own no memory: reserve and commit are unsupported */
  int fd = open(tmp_path("args.bin"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(zr_sink_fd_new(fd, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_can_reserve(s), 0);
  assert_int_equal(zr_sink_reserve(s, 1, &p, &e), ZR_ERR_UNSUPPORTED);
  assert_string_equal(e.message, "this sink does not own memory to reserve");
  assert_int_equal(zr_sink_commit(s, 0, &e), ZR_ERR_UNSUPPORTED);
  assert_string_equal(e.message, "this sink does not own memory to commit");
  assert_int_equal(zr_sink_memory_data(s, &d, &n), ZR_ERR_UNSUPPORTED);
  assert_int_equal(zr_sink_memory_take(s, &t, &n, &e), ZR_ERR_UNSUPPORTED);
  assert_string_equal(e.message, "not a memory sink");
  zr_sink_free(s);
  close(fd);
  unlink(tmp_path("args.bin"));
}

/* ------------------------------------------------------------------ fd sinks */

static void test_fd_sink_short_writes_and_eintr(void **state) {
  (void)state;
  fill_pattern();
  const char *path = tmp_path("fd_short.bin");
  for (int mode = 0; mode < 3; mode++) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    zr_sink *s = NULL;
    zr_error e;
    assert_int_equal(zr_sink_fd_new(fd, &s, &e), ZR_OK);
    inj_reset();
    inj_fd = fd;
    if (mode == 0) inj_write_max = 999;  /* short writes */
    if (mode == 1) inj_eintr = 1;        /* every other write interrupted */
    if (mode == 2) inj_write_max = 1, inj_eintr = 1; /* both, on the small tail only */
    size_t total = mode == 2 ? 3000 : sizeof pattern;
    assert_int_equal(write_pieces(s, total, &e), ZR_OK);
    assert_int_equal(zr_sink_finish(s, &e), ZR_OK);
    assert_true(inj_fired > 0);
    assert_int_equal(zr_sink_size(s), total);
    inj_reset();
    zr_sink_free(s);
    close(fd);
    assert_file_is(path, pattern, total);
  }
  unlink(path);
}

static void test_fd_sink_errors(void **state) {
  (void)state;
  fill_pattern();
  static const struct {
    int eno;
    zr_status code;
  } map[] = {{ENOSPC, ZR_ERR_NOSPACE}, {EDQUOT, ZR_ERR_NOSPACE},  {EACCES, ZR_ERR_PERMISSION}, {EPERM, ZR_ERR_PERMISSION},
             {ENOENT, ZR_ERR_NOT_FOUND}, {EEXIST, ZR_ERR_EXISTS}, {ENOMEM, ZR_ERR_NOMEM},        {EAGAIN, ZR_ERR_IO},
             {EIO, ZR_ERR_IO}};
  const char *path = tmp_path("fd_err.bin");
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    /* where: 0 flush of the staged bytes, 1 the flush inside a write that overflows the stage,
     * 2 a large write going straight to the descriptor */
    for (int where = 0; where < 3; where++) {
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      assert_true(fd >= 0);
      zr_sink *s = NULL;
      zr_error e;
      zr_error_clear(&e);
      assert_int_equal(zr_sink_fd_new(fd, &s, &e), ZR_OK);
      inj_reset();
      inj_fd = fd;
      inj_write_errno = map[i].eno;
      zr_status st;
      if (where == 0) {
        assert_int_equal(zr_sink_write(s, pattern, 1000, &e), ZR_OK); /* staged: no write(2) yet */
        assert_int_equal(inj_fired, 0);
        st = zr_sink_flush(s, &e);
      } else if (where == 1) {
        assert_int_equal(zr_sink_write(s, pattern, 60000, &e), ZR_OK);
        st = zr_sink_write(s, pattern, 10000, &e);
      } else {
        inj_write_ok = 0;
        assert_int_equal(zr_sink_write(s, pattern, 10, &e), ZR_OK);
        inj_write_ok = 1; /* the staged 10 bytes go out, the large block fails */
        st = zr_sink_write(s, pattern, 100000, &e);
      }
      assert_int_equal(st, map[i].code);
      assert_true(inj_fired > 0);
      assert_non_null(strstr(e.message, "write to file descriptor: "));
      assert_non_null(strstr(e.message, strerror(map[i].eno)));
      assert_int_equal(e.offset, -1);
      inj_reset();
      zr_sink_free(s);
      close(fd);
    }
  }
  /* write(2) returning 0 is an I/O error, not a loop */
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  zr_sink *s = NULL;
  zr_error e;
  assert_int_equal(zr_sink_fd_new(fd, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, "abc", 3, &e), ZR_OK);
  inj_reset();
  inj_fd = fd;
  inj_write_zero = 1;
  assert_int_equal(zr_sink_finish(s, &e), ZR_ERR_IO);
  assert_string_equal(e.message, "write returned 0");
  inj_reset();
  zr_sink_free(s);
  close(fd);
  unlink(path);
}

/* ------------------------------------------------------------------ atomic file sinks */

static void test_file_sink_faults(void **state) {
  (void)state;
  fill_pattern();
  const char *path = tmp_path("atomic.bin");
  char keep[512];
  snprintf(keep, sizeof keep, "%s", path);
  unlink(keep);
  /* kinds: 0 fsync EIO, 1 fsync EINVAL (ignored: not syncable), 2 close fails, 3 rename fails,
   * 4 a write fails with ENOSPC, 5 a staged write fails at finish */
  for (int kind = 0; kind < 6; kind++) {
    zr_sink *s = NULL;
    zr_error e;
    zr_error_clear(&e);
    assert_int_equal(zr_sink_file_new(keep, &s, &e), ZR_OK);
    assert_int_equal(tmp_files_beside("atomic.bin"), 1);
    inj_reset();
    if (kind == 4) inj_write_errno = ENOSPC;
    zr_status st = write_pieces(s, kind == 5 ? 100 : 200000, &e);
    if (kind == 5) {
      assert_int_equal(st, ZR_OK);
      assert_int_equal(zr_sink_write(s, "tail", 4, &e), ZR_OK);
      inj_write_errno = EIO;
    }
    if (kind == 0) inj_fsync_errno = EIO;
    if (kind == 1) inj_fsync_errno = EINVAL;
    if (kind == 2) inj_close_errno = EIO;
    if (kind == 3) inj_rename_errno = EXDEV;
    if (st == ZR_OK) st = zr_sink_finish(s, &e);
    int fired = inj_fired > 0;
    inj_reset();
    switch (kind) {
      case 0:
        assert_int_equal(st, ZR_ERR_IO);
        assert_non_null(strstr(e.message, "fsync "));
        assert_non_null(strstr(e.message, "atomic.bin.tmp."));
        break;
      case 1: assert_int_equal(st, ZR_OK); break;
      case 2:
        assert_int_equal(st, ZR_ERR_IO);
        assert_non_null(strstr(e.message, "close "));
        break;
      case 3:
        assert_int_equal(st, ZR_ERR_IO);
        assert_non_null(strstr(e.message, "rename to "));
        assert_non_null(strstr(e.message, keep));
        break;
      case 4:
        assert_int_equal(st, ZR_ERR_NOSPACE);
        assert_non_null(strstr(e.message, "write to "));
        assert_non_null(strstr(e.message, keep)); /* the file is named */
        break;
      case 5:
        assert_int_equal(st, ZR_ERR_IO);
        assert_non_null(strstr(e.message, "Input/output error"));
        break;
    }
    assert_true(fired);
    zr_sink_free(s);
    assert_int_equal(tmp_files_beside("atomic.bin"), 0);
    if (kind == 1) {
      assert_file_is(keep, pattern, 200000);
      unlink(keep);
    } else {
      assert_int_equal(access(keep, F_OK), -1); /* a failed run leaves nothing */
    }
  }
  /* a finished sink finishes again without doing anything */
  zr_sink *s = NULL;
  zr_error e;
  assert_int_equal(zr_sink_file_new(keep, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, "once", 4, &e), ZR_OK);
  assert_int_equal(zr_sink_finish(s, &e), ZR_OK);
  assert_int_equal(zr_sink_finish(s, &e), ZR_OK);
  zr_sink_free(s);
  assert_file_is(keep, (const uint8_t *)"once", 4);
  unlink(keep);
  /* the temporary file cannot be created: the errno's code and the path */
  static const struct {
    int eno;
    zr_status code;
  } map[] = {{EACCES, ZR_ERR_PERMISSION}, {EEXIST, ZR_ERR_EXISTS}, {ENOSPC, ZR_ERR_NOSPACE}, {EMFILE, ZR_ERR_IO}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    inj_reset();
    inj_mkstemp_errno = map[i].eno;
    s = (zr_sink *)1;
    assert_int_equal(zr_sink_file_new(keep, &s, &e), map[i].code);
    inj_reset();
    assert_null(s);
    assert_non_null(strstr(e.message, "cannot create a temporary file beside "));
    assert_non_null(strstr(e.message, keep));
  }
  assert_int_equal(tmp_files_beside("atomic.bin"), 0);
}

static void test_file_sink_fifo(void **state) {
  (void)state;
  /* a named pipe (a FIFO of our own, never a system device): written in place, never replaced */
  char fifo[512];
  snprintf(fifo, sizeof fifo, "%s", tmp_path("sink.fifo"));
  unlink(fifo);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  int rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a reader, so the writer's open does not block */
  assert_true(rd >= 0);
  zr_sink *s = NULL;
  zr_error e;
  assert_int_equal(zr_sink_file_new(fifo, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, "through", 7, &e), ZR_OK);
  assert_int_equal(zr_sink_finish(s, &e), ZR_OK);
  assert_int_equal(zr_sink_finish(s, &e), ZR_OK); /* again: nothing to do */
  zr_sink_free(s);
  char buf[16];
  assert_int_equal(read(rd, buf, sizeof buf), 7);
  assert_memory_equal(buf, "through", 7);
  /* open fails: the errno's code and the FIFO named */
  inj_reset();
  inj_open_errno = EACCES;
  s = (zr_sink *)1;
  zr_status st = zr_sink_file_new(fifo, &s, &e);
  inj_reset();
  assert_int_equal(st, ZR_ERR_PERMISSION);
  assert_null(s);
  assert_non_null(strstr(e.message, "cannot open "));
  assert_non_null(strstr(e.message, "sink.fifo"));
  /* close fails at finish */
  assert_int_equal(zr_sink_file_new(fifo, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, "x", 1, &e), ZR_OK);
  inj_close_errno = EIO;
  st = zr_sink_finish(s, &e);
  int fired = inj_fired > 0;
  inj_reset();
  assert_int_equal(st, ZR_ERR_IO);
  assert_true(fired);
  assert_non_null(strstr(e.message, "close "));
  zr_sink_free(s);
  close(rd);
  struct stat sb;
  assert_int_equal(stat(fifo, &sb), 0);
  assert_true(S_ISFIFO(sb.st_mode)); /* still the FIFO */
  assert_int_equal(tmp_files_beside("sink.fifo"), 0);
  unlink(fifo);
}

/* ------------------------------------------------------------------ callback sinks */

typedef struct cbs {
  uint8_t got[4096];
  size_t len;
  int calls;
  int fail_at;        /* this call (1-based) returns err_code */
  zr_status err_code;
  size_t max;         /* accept at most this many bytes per call */
  int zero_at;        /* this call accepts 0 bytes and says OK */
  int overclaim;      /* claim more than was given */
} cbs;

static zr_status cbs_write(void *ud, const void *data, size_t len, size_t *written) {
  cbs *c = ud;
  c->calls++;
  if (c->calls == c->fail_at) {
    *written = 0;
    return c->err_code;
  }
  if (c->calls == c->zero_at) {
    *written = 0;
    return ZR_OK;
  }
  size_t n = c->max && len > c->max ? c->max : len;
  memcpy(c->got + c->len, data, n);
  c->len += n;
  *written = c->overclaim ? n + 1000 : n;
  return n < len ? ZR_WOULD_BLOCK : ZR_OK;
}

static void test_callback_sink(void **state) {
  (void)state;
  zr_error e;
  zr_sink *s = NULL;
  /* the callback fails at once: its code and message; nothing counted */
  cbs c = {.fail_at = 1, .err_code = ZR_ERR_IO};
  assert_int_equal(zr_sink_callback_new(cbs_write, &c, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, "abc", 3, &e), ZR_ERR_IO);
  assert_string_equal(e.message, "sink callback failed: input/output error");
  assert_int_equal(zr_sink_size(s), 0);
  assert_int_equal(zr_sink_flush(s, &e), ZR_OK); /* nothing buffered */
  zr_sink_free(s);

  /* a callback claiming more than it was given is clamped */
  memset(&c, 0, sizeof c);
  c.overclaim = 1;
  assert_int_equal(zr_sink_callback_new(cbs_write, &c, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, "hello", 5, &e), ZR_OK);
  assert_int_equal(c.len, 5);
  assert_int_equal(zr_sink_size(s), 5);
  zr_sink_free(s);

  /* no progress without would-block: the rest is buffered and ZR_WOULD_BLOCK returned */
  memset(&c, 0, sizeof c);
  c.zero_at = 1;
  assert_int_equal(zr_sink_callback_new(cbs_write, &c, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, "abcdef", 6, &e), ZR_WOULD_BLOCK);
  assert_int_equal(c.len, 0);
  assert_int_equal(zr_sink_size(s), 6);
  /* a later write drains the buffer first, in order */
  assert_int_equal(zr_sink_write(s, "gh", 2, &e), ZR_OK);
  assert_int_equal(c.len, 8);
  assert_memory_equal(c.got, "abcdefgh", 8);
  assert_int_equal(zr_sink_size(s), 8);
  zr_sink_free(s);

  /* buffered bytes whose drain fails: the error, and the bytes stay buffered */
  memset(&c, 0, sizeof c);
  c.max = 2;
  assert_int_equal(zr_sink_callback_new(cbs_write, &c, &s, &e), ZR_OK);
  assert_int_equal(zr_sink_write(s, "abcdef", 6, &e), ZR_WOULD_BLOCK); /* "ab" taken */
  assert_int_equal(c.len, 2);
  c.max = 0;
  c.fail_at = c.calls + 1; /* the drain fails at once */
  c.err_code = ZR_ERR_NOSPACE;
  assert_int_equal(zr_sink_write(s, "gh", 2, &e), ZR_ERR_NOSPACE);
  assert_string_equal(e.message, "sink callback failed: no space left on device");
  assert_int_equal(c.len, 2);
  assert_int_equal(zr_sink_size(s), 8);
  /* the drain stalls (0 bytes, OK): would-block */
  c.fail_at = 0;
  c.zero_at = c.calls + 1;
  assert_int_equal(zr_sink_flush(s, &e), ZR_WOULD_BLOCK);
  /* a drain overclaiming is clamped to what was buffered */
  c.overclaim = 1;
  assert_int_equal(zr_sink_flush(s, &e), ZR_OK);
  assert_int_equal(c.len, 8);
  assert_memory_equal(c.got, "abcdefgh", 8);
  assert_int_equal(zr_sink_flush(s, &e), ZR_OK);
  assert_int_equal(zr_sink_finish(s, &e), ZR_OK);
  zr_sink_free(s);
}

/* ------------------------------------------------------------------ sources */

typedef struct cbsrc {
  size_t left;
  int fail_at, calls;
  int overclaim;
} cbsrc;

static zr_status cbsrc_read(void *ud, void *buf, size_t cap, size_t *got) {
  cbsrc *c = ud;
  c->calls++;
  if (c->calls == c->fail_at) {
    *got = 0;
    return ZR_ERR_TRUNCATED;
  }
  size_t n = cap < c->left ? cap : c->left;
  if (n > 5000) n = 5000;
  memset(buf, 'q', n);
  c->left -= n;
  *got = c->overclaim ? cap + 7 : n;
  return ZR_OK;
}

static void test_source_arguments(void **state) {
  (void)state;
  zr_error e;
  zr_source *src = NULL;
  const uint8_t *d;
  size_t n, got;
  uint8_t buf[64];
  assert_int_equal(zr_source_memory_new("x", 1, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "out is NULL");
  assert_int_equal(zr_source_fd_new(-3, &src, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "bad file descriptor");
  assert_int_equal(zr_source_fd_new(0, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_file_new(NULL, &src, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_mmap_new(NULL, &src, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_callback_new(NULL, NULL, &src, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "callback is NULL");
  assert_int_equal(zr_source_callback_new(cbsrc_read, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_contiguous(NULL, &d, &n), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_read_all(NULL, 0, &d, &n, &e), ZR_ERR_INVALID_ARG);
  zr_source_free(NULL);

  /* a file source whose path cannot be opened hands back its descriptor: none leaks (ASan/valgrind) */
  const char *path = tmp_path("src_args.bin");
  FILE *f = fopen(path, "wb");
  fwrite("0123456789", 1, 10, f);
  fclose(f);
  assert_int_equal(zr_source_file_new(path, NULL, &e), ZR_ERR_INVALID_ARG);

  /* memory source: read in pieces to the end, read_all limits at and past the boundary */
  assert_int_equal(zr_source_memory_new("0123456789", 10, &src, &e), ZR_OK);
  assert_int_equal(zr_source_read(src, NULL, 4, &got, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_read(src, buf, 4, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_read(src, NULL, 0, &got, &e), ZR_OK);
  assert_int_equal(got, 0);
  assert_int_equal(zr_source_read(src, buf, 4, &got, &e), ZR_OK);
  assert_int_equal(got, 4);
  assert_int_equal(zr_source_read_all(src, 5, &d, &n, &e), ZR_ERR_LIMIT);
  assert_int_equal(e.offset, 5);
  assert_string_equal(e.message, "input of 6 bytes exceeds the limit of 5");
  assert_int_equal(zr_source_read_all(src, 6, &d, &n, &e), ZR_OK);
  assert_int_equal(n, 6);
  assert_memory_equal(d, "456789", 6);
  assert_int_equal(zr_source_read(src, buf, sizeof buf, &got, &e), ZR_OK);
  assert_int_equal(got, 0); /* the end */
  assert_int_equal(zr_source_read_all(src, 0, NULL, &n, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_read_all(src, 0, &d, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_contiguous(src, NULL, &n), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_source_contiguous(src, &d, NULL), ZR_ERR_INVALID_ARG);
  zr_source_free(src);

  /* callback sources: a failure (its code, message, the offset so far), an overclaiming callback
   * clamped to the buffer, read_all at and past its limit */
  cbsrc c = {.left = 12000, .fail_at = 3};
  assert_int_equal(zr_source_callback_new(cbsrc_read, &c, &src, &e), ZR_OK);
  assert_int_equal(zr_source_contiguous(src, &d, &n), ZR_ERR_UNSUPPORTED);
  assert_int_equal(zr_source_read_all(src, 0, &d, &n, &e), ZR_ERR_TRUNCATED);
  assert_string_equal(e.message, "source callback failed: input is truncated");
  assert_int_equal(e.offset, 10000);
  zr_source_free(src);
  c = (cbsrc){.left = 100, .overclaim = 1};
  assert_int_equal(zr_source_callback_new(cbsrc_read, &c, &src, &e), ZR_OK);
  assert_int_equal(zr_source_read(src, buf, 10, &got, &e), ZR_OK);
  assert_int_equal(got, 10);
  zr_source_free(src);
  for (size_t limit = 11999; limit <= 12000; limit++) {
    c = (cbsrc){.left = 12000};
    assert_int_equal(zr_source_callback_new(cbsrc_read, &c, &src, &e), ZR_OK);
    zr_status st = zr_source_read_all(src, limit, &d, &n, &e);
    if (limit == 12000) {
      assert_int_equal(st, ZR_OK);
      assert_int_equal(n, 12000);
      assert_int_equal(d[11999], 'q');
    } else {
      assert_int_equal(st, ZR_ERR_LIMIT);
      assert_int_equal(e.offset, (int64_t)limit);
      assert_string_equal(e.message, "input exceeds the limit of 11999 bytes");
    }
    zr_source_free(src);
  }
  unlink(path);
}

static void test_file_sources_faults(void **state) {
  (void)state;
  fill_pattern();
  const char *path = tmp_path("src_faults.bin");
  FILE *f = fopen(path, "wb");
  assert_int_equal(fwrite(pattern, 1, 150000, f), 150000);
  fclose(f);
  zr_error e;
  zr_source *src = NULL;
  const uint8_t *d;
  size_t n;
  /* open interrupted twice, then reads interrupted every other call: the whole file */
  inj_reset();
  inj_open_eintr = 2;
  assert_int_equal(zr_source_file_new(path, &src, &e), ZR_OK);
  assert_int_equal(inj_fired, 2);
  inj_eintr = 1;
  assert_int_equal(zr_source_read_all(src, 0, &d, &n, &e), ZR_OK);
  assert_true(inj_fired > 2);
  inj_reset();
  assert_int_equal(n, 150000);
  assert_memory_equal(d, pattern, 150000);
  zr_source_free(src);
  /* open failing: each errno's code, the path named */
  inj_open_errno = EACCES;
  assert_int_equal(zr_source_file_new(path, &src, &e), ZR_ERR_PERMISSION);
  assert_non_null(strstr(e.message, "cannot open "));
  assert_non_null(strstr(e.message, path));
  assert_int_equal(zr_source_mmap_new(path, &src, &e), ZR_ERR_PERMISSION);
  inj_reset();
  /* a read error */
  assert_int_equal(zr_source_file_new(path, &src, &e), ZR_OK);
  inj_read_errno = EIO;
  uint8_t buf[16];
  size_t got = 99;
  assert_int_equal(zr_source_read(src, buf, sizeof buf, &got, &e), ZR_ERR_IO);
  assert_int_equal(got, 0);
  assert_non_null(strstr(e.message, "read "));
  assert_int_equal(zr_source_read_all(src, 0, &d, &n, &e), ZR_ERR_IO);
  inj_reset();
  zr_source_free(src);
  /* mmap sources: a directory is refused, fstat and mmap failures are reported and close the descriptor */
  assert_int_equal(zr_source_mmap_new(zr_test_tmpdir(), &src, &e), ZR_ERR_INVALID_ARG);
  assert_non_null(strstr(e.message, "is not a regular file; cannot map it"));
  inj_fstat_errno = EIO;
  assert_int_equal(zr_source_mmap_new(path, &src, &e), ZR_ERR_IO);
  assert_non_null(strstr(e.message, "cannot stat "));
  inj_reset();
  inj_mmap_errno = ENOMEM;
  assert_int_equal(zr_source_mmap_new(path, &src, &e), ZR_ERR_NOMEM);
  assert_non_null(strstr(e.message, "cannot map "));
  inj_reset();
  assert_int_equal(zr_source_mmap_new(path, NULL, &e), ZR_ERR_INVALID_ARG); /* the mapping is released */
  assert_int_equal(zr_source_mmap_new(path, &src, &e), ZR_OK);
  assert_int_equal(zr_source_read(src, buf, sizeof buf, &got, &e), ZR_OK);
  assert_memory_equal(buf, pattern, 16);
  assert_int_equal(zr_source_read_all(src, 149984, &d, &n, &e), ZR_OK);
  assert_int_equal(n, 149984);
  assert_memory_equal(d, pattern + 16, n);
  zr_source_free(src);
  /* an fd source is not closed by zr_source_free */
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  assert_int_equal(zr_source_fd_new(fd, &src, &e), ZR_OK);
  assert_int_equal(zr_source_read(src, buf, 4, &got, &e), ZR_OK);
  zr_source_free(src);
  assert_int_equal(lseek(fd, 0, SEEK_CUR), 4);
  close(fd);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sink_arguments),
      cmocka_unit_test(test_fd_sink_short_writes_and_eintr),
      cmocka_unit_test(test_fd_sink_errors),
      cmocka_unit_test(test_file_sink_faults),
      cmocka_unit_test(test_file_sink_fifo),
      cmocka_unit_test(test_callback_sink),
      cmocka_unit_test(test_source_arguments),
      cmocka_unit_test(test_file_sources_faults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif /* __SANITIZE_THREAD__ */
