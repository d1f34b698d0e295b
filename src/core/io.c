/* Sinks and sources: memory, fixed memory, fd, atomic file, callback; mmap. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

enum sink_kind { SINK_MEMORY, SINK_FIXED, SINK_FD, SINK_FILE, SINK_CALLBACK };

#define ZR__FD_BUF (1u << 16)

struct zr_sink {
  enum sink_kind kind;
  zr__buf buf;        /* memory sink bytes; staging buffer for fd/file/callback sinks */
  uint8_t *fixed;     /* fixed sink memory */
  size_t fixed_cap, fixed_len;
  size_t reserved;    /* size of the last reservation */
  uint64_t total;     /* bytes accepted */
  int fd;
  char *path, *tmp;   /* file sink: final and temporary names */
  int finished;
  zr_sink_write_fn cb;
  void *ud;
};

static zr_status io_errno(zr_error *err, const char *what, const char *name) {
  int e = errno;
  zr_status code = ZR_ERR_IO;
  if (e == ENOSPC || e == EDQUOT) code = ZR_ERR_NOSPACE;
  else if (e == EACCES || e == EPERM) code = ZR_ERR_PERMISSION;
  else if (e == ENOENT) code = ZR_ERR_NOT_FOUND;
  else if (e == EEXIST) code = ZR_ERR_EXISTS;
  else if (e == ENOMEM) code = ZR_ERR_NOMEM;
  return zr__err(err, code, -1, "%s %s: %s", what, name ? name : "", strerror(e));
}

static zr_status sink_alloc(enum sink_kind k, zr_sink **out, zr_error *err) {
  if (!out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "out is NULL");
  zr_sink *s = calloc(1, sizeof *s);
  if (!s) return zr__err_nomem(err);
  s->kind = k;
  s->fd = -1;
  zr__buf_init(&s->buf, NULL);
  *out = s;
  return ZR_OK;
}

zr_status zr_sink_memory_new(const zr_allocator *alloc, zr_sink **out, zr_error *err) {
  ZR_TRY(sink_alloc(SINK_MEMORY, out, err));
  (*out)->buf.alloc = zr__alloc_or_default(alloc);
  return ZR_OK;
}

zr_status zr_sink_fixed_new(void *mem, size_t cap, zr_sink **out, zr_error *err) {
  if (!mem && cap) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "memory is NULL");
  ZR_TRY(sink_alloc(SINK_FIXED, out, err));
  (*out)->fixed = mem;
  (*out)->fixed_cap = cap;
  return ZR_OK;
}

zr_status zr_sink_fd_new(int fd, zr_sink **out, zr_error *err) {
  if (fd < 0) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "bad file descriptor");
  ZR_TRY(sink_alloc(SINK_FD, out, err));
  (*out)->fd = fd;
  return ZR_OK;
}

zr_status zr_sink_file_new(const char *path, zr_sink **out, zr_error *err) {
  if (!path || !*path) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "empty path");
  ZR_TRY(sink_alloc(SINK_FILE, out, err));
  zr_sink *s = *out;
  size_t n = strlen(path);
  s->path = malloc(n + 1);
  s->tmp = malloc(n + 32);
  if (!s->path || !s->tmp) {
    zr_sink_free(s);
    *out = NULL;
    return zr__err_nomem(err);
  }
  memcpy(s->path, path, n + 1);
  struct stat sb;
  if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
    /* a device, FIFO or socket (/dev/null, a named pipe): written in place, never replaced */
    free(s->tmp);
    s->tmp = NULL;
    s->fd = open(path, O_WRONLY | O_CLOEXEC);
    if (s->fd < 0) {
      zr_status st = io_errno(err, "cannot open", path);
      zr_sink_free(s);
      *out = NULL;
      return st;
    }
    return ZR_OK;
  }
  snprintf(s->tmp, n + 32, "%s.tmp.XXXXXX", path);
  s->fd = mkstemp(s->tmp);
  if (s->fd < 0) {
    zr_status st = io_errno(err, "cannot create a temporary file beside", path);
    free(s->tmp);
    s->tmp = NULL;
    zr_sink_free(s);
    *out = NULL;
    return st;
  }
  return ZR_OK;
}

zr_status zr_sink_callback_new(zr_sink_write_fn fn, void *ud, zr_sink **out, zr_error *err) {
  if (!fn) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "callback is NULL");
  ZR_TRY(sink_alloc(SINK_CALLBACK, out, err));
  (*out)->cb = fn;
  (*out)->ud = ud;
  return ZR_OK;
}

static zr_status fd_write_all(zr_sink *s, const uint8_t *p, size_t n, zr_error *err) {
  while (n) {
    ssize_t w = write(s->fd, p, n > (1u << 30) ? (1u << 30) : n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return io_errno(err, "write to", s->path ? s->path : "file descriptor");
    }
    if (w == 0) return zr__err(err, ZR_ERR_IO, -1, "write returned 0");
    p += w;
    n -= (size_t)w;
  }
  return ZR_OK;
}

/* push the staging buffer of a callback sink */
static zr_status cb_drain(zr_sink *s, zr_error *err) {
  size_t off = 0;
  zr_status st = ZR_OK;
  while (off < s->buf.len) {
    size_t w = 0;
    st = s->cb(s->ud, s->buf.data + off, s->buf.len - off, &w);
    if (w > s->buf.len - off) w = s->buf.len - off;
    off += w;
    if (st == ZR_WOULD_BLOCK) break;
    if (st != ZR_OK) {
      zr__err(err, st, -1, "sink callback failed: %s", zr_strerror(st));
      break;
    }
    if (w == 0) { /* no progress without saying would-block: treat as blocked */
      st = ZR_WOULD_BLOCK;
      break;
    }
  }
  memmove(s->buf.data, s->buf.data + off, s->buf.len - off);
  s->buf.len -= off;
  return st;
}

zr_status zr_sink_write(zr_sink *s, const void *data, size_t len, zr_error *err) {
  if (!s) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "sink is NULL");
  if (len && !data) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "data is NULL");
  switch (s->kind) {
    case SINK_MEMORY:
      if (zr__buf_append(&s->buf, data, len) != ZR_OK) return zr__err_nomem(err);
      break;
    case SINK_FIXED:
      if (len > s->fixed_cap - s->fixed_len)
        return zr__err(err, ZR_ERR_NOSPACE, (int64_t)s->fixed_len,
                       "fixed sink full: %zu bytes left, %zu needed", s->fixed_cap - s->fixed_len, len);
      if (len) memcpy(s->fixed + s->fixed_len, data, len);
      s->fixed_len += len;
      break;
    case SINK_FD:
    case SINK_FILE:
      if (s->buf.len + len <= ZR__FD_BUF) {
        if (zr__buf_append(&s->buf, data, len) != ZR_OK) return zr__err_nomem(err);
      } else {
        ZR_TRY(fd_write_all(s, s->buf.data, s->buf.len, err));
        s->buf.len = 0;
        if (len >= ZR__FD_BUF) {
          ZR_TRY(fd_write_all(s, data, len, err));
        } else if (zr__buf_append(&s->buf, data, len) != ZR_OK) {
          return zr__err_nomem(err);
        }
      }
      break;
    case SINK_CALLBACK: {
      if (s->buf.len == 0) {
        /* fast path: hand the bytes straight to the callback */
        size_t off = 0;
        while (off < len) {
          size_t w = 0;
          zr_status st = s->cb(s->ud, (const uint8_t *)data + off, len - off, &w);
          if (w > len - off) w = len - off;
          off += w;
          if (st == ZR_WOULD_BLOCK || (st == ZR_OK && w == 0)) {
            if (zr__buf_append(&s->buf, (const uint8_t *)data + off, len - off) != ZR_OK) return zr__err_nomem(err);
            s->total += len;
            return ZR_WOULD_BLOCK;
          }
          if (st != ZR_OK) return zr__err(err, st, -1, "sink callback failed: %s", zr_strerror(st));
        }
        break;
      }
      if (zr__buf_append(&s->buf, data, len) != ZR_OK) return zr__err_nomem(err);
      s->total += len;
      return cb_drain(s, err);
    }
  }
  s->total += len;
  return ZR_OK;
}

int zr_sink_can_reserve(const zr_sink *s) { return s && (s->kind == SINK_MEMORY || s->kind == SINK_FIXED); }

zr_status zr_sink_reserve(zr_sink *s, size_t len, void **ptr, zr_error *err) {
  if (!s || !ptr) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "sink or ptr is NULL");
  if (s->kind == SINK_MEMORY) {
    if (zr__buf_reserve(&s->buf, len) != ZR_OK) return zr__err_nomem(err);
    *ptr = s->buf.data + s->buf.len;
  } else if (s->kind == SINK_FIXED) {
    if (len > s->fixed_cap - s->fixed_len)
      return zr__err(err, ZR_ERR_NOSPACE, (int64_t)s->fixed_len, "fixed sink full: %zu bytes left, %zu needed",
                     s->fixed_cap - s->fixed_len, len);
    *ptr = s->fixed + s->fixed_len;
  } else {
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "this sink does not own memory to reserve");
  }
  s->reserved = len;
  return ZR_OK;
}

zr_status zr_sink_commit(zr_sink *s, size_t len, zr_error *err) {
  if (!s) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "sink is NULL");
  if (len > s->reserved) return zr__err(err, ZR_ERR_STATE, -1, "commit of %zu bytes exceeds the reservation of %zu", len, s->reserved);
  if (s->kind == SINK_MEMORY) s->buf.len += len;
  else if (s->kind == SINK_FIXED) s->fixed_len += len;
  else return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "this sink does not own memory to commit");
  s->reserved = 0;
  s->total += len;
  return ZR_OK;
}

zr_status zr_sink_flush(zr_sink *s, zr_error *err) {
  if (!s) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "sink is NULL");
  if (s->kind == SINK_FD || s->kind == SINK_FILE) {
    ZR_TRY(fd_write_all(s, s->buf.data, s->buf.len, err));
    s->buf.len = 0;
  } else if (s->kind == SINK_CALLBACK && s->buf.len) {
    return cb_drain(s, err);
  }
  return ZR_OK;
}

zr_status zr_sink_finish(zr_sink *s, zr_error *err) {
  ZR_TRY(zr_sink_flush(s, err));
  if (s->kind == SINK_FILE && !s->finished && !s->tmp) { /* not a regular file: nothing to rename */
    int rc = close(s->fd);
    s->fd = -1;
    if (rc != 0) return io_errno(err, "close", s->path);
    s->finished = 1;
  }
  if (s->kind == SINK_FILE && !s->finished) {
    if (fsync(s->fd) != 0 && errno != EINVAL) return io_errno(err, "fsync", s->tmp);
    if (close(s->fd) != 0) {
      s->fd = -1;
      return io_errno(err, "close", s->tmp);
    }
    s->fd = -1;
    if (rename(s->tmp, s->path) != 0) return io_errno(err, "rename to", s->path);
    s->finished = 1;
  }
  return ZR_OK;
}

uint64_t zr_sink_size(const zr_sink *s) { return s ? s->total : 0; }

zr_status zr_sink_memory_data(const zr_sink *s, const uint8_t **data, size_t *len) {
  if (!s || !data || !len) return ZR_ERR_INVALID_ARG;
  if (s->kind == SINK_MEMORY) {
    *data = s->buf.data;
    *len = s->buf.len;
  } else if (s->kind == SINK_FIXED) {
    *data = s->fixed;
    *len = s->fixed_len;
  } else {
    return ZR_ERR_UNSUPPORTED;
  }
  return ZR_OK;
}

zr_status zr_sink_memory_take(zr_sink *s, uint8_t **data, size_t *len, zr_error *err) {
  if (!s || !data || !len) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (s->kind != SINK_MEMORY) return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "not a memory sink");
  if (!s->buf.data && zr__buf_reserve(&s->buf, 1) != ZR_OK) return zr__err_nomem(err);
  *data = s->buf.data;
  *len = s->buf.len;
  s->buf.data = NULL;
  s->buf.len = s->buf.cap = 0;
  return ZR_OK;
}

void zr_sink_free(zr_sink *s) {
  if (!s) return;
  if (s->kind == SINK_FILE) {
    if (s->fd >= 0) close(s->fd);
    if (!s->finished && s->tmp) unlink(s->tmp);
  }
  zr__buf_free(&s->buf);
  free(s->path);
  free(s->tmp);
  free(s);
}

/* ---------------- sources ---------------- */

enum source_kind { SRC_MEMORY, SRC_FD, SRC_FILE, SRC_MMAP, SRC_CALLBACK };

struct zr_source {
  enum source_kind kind;
  const uint8_t *mem;
  size_t len, pos;
  int fd;
  void *map;
  size_t map_len;
  zr__buf buf; /* read_all storage */
  zr_source_read_fn cb;
  void *ud;
};

static zr_status src_alloc(enum source_kind k, zr_source **out, zr_error *err) {
  if (!out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "out is NULL");
  zr_source *s = calloc(1, sizeof *s);
  if (!s) return zr__err_nomem(err);
  s->kind = k;
  s->fd = -1;
  zr__buf_init(&s->buf, NULL);
  *out = s;
  return ZR_OK;
}

zr_status zr_source_memory_new(const void *data, size_t len, zr_source **out, zr_error *err) {
  if (!data && len) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "data is NULL");
  ZR_TRY(src_alloc(SRC_MEMORY, out, err));
  (*out)->mem = data;
  (*out)->len = len;
  return ZR_OK;
}

zr_status zr_source_fd_new(int fd, zr_source **out, zr_error *err) {
  if (fd < 0) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "bad file descriptor");
  ZR_TRY(src_alloc(SRC_FD, out, err));
  (*out)->fd = fd;
  return ZR_OK;
}

zr_status zr_source_file_new(const char *path, zr_source **out, zr_error *err) {
  if (!path) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "path is NULL");
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return io_errno(err, "cannot open", path);
  zr_status st = src_alloc(SRC_FILE, out, err);
  if (st != ZR_OK) {
    close(fd);
    return st;
  }
  (*out)->fd = fd;
  return ZR_OK;
}

zr_status zr_source_mmap_new(const char *path, zr_source **out, zr_error *err) {
  if (!path) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "path is NULL");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_errno(err, "cannot open", path);
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    zr_status st = io_errno(err, "cannot stat", path);
    close(fd);
    return st;
  }
  if (!S_ISREG(sb.st_mode)) {
    close(fd);
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "%s is not a regular file; cannot map it", path);
  }
  void *map = NULL;
  size_t n = (size_t)sb.st_size;
  if (n) {
    map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      zr_status st = io_errno(err, "cannot map", path);
      close(fd);
      return st;
    }
  }
  close(fd);
  zr_status st = src_alloc(SRC_MMAP, out, err);
  if (st != ZR_OK) {
    if (map) munmap(map, n);
    return st;
  }
  (*out)->map = map;
  (*out)->map_len = n;
  (*out)->mem = map;
  (*out)->len = n;
  return ZR_OK;
}

zr_status zr_source_callback_new(zr_source_read_fn fn, void *ud, zr_source **out, zr_error *err) {
  if (!fn) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "callback is NULL");
  ZR_TRY(src_alloc(SRC_CALLBACK, out, err));
  (*out)->cb = fn;
  (*out)->ud = ud;
  return ZR_OK;
}

zr_status zr_source_read(zr_source *s, void *buf, size_t cap, size_t *got, zr_error *err) {
  if (!s || !got || (!buf && cap)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  *got = 0;
  switch (s->kind) {
    case SRC_MEMORY:
    case SRC_MMAP: {
      size_t n = s->len - s->pos < cap ? s->len - s->pos : cap;
      if (n) memcpy(buf, s->mem + s->pos, n);
      s->pos += n;
      *got = n;
      return ZR_OK;
    }
    case SRC_FD:
    case SRC_FILE:
      for (;;) {
        ssize_t r = read(s->fd, buf, cap > (1u << 30) ? (1u << 30) : cap);
        if (r < 0) {
          if (errno == EINTR) continue;
          return io_errno(err, "read", "");
        }
        *got = (size_t)r;
        s->pos += (size_t)r;
        return ZR_OK;
      }
    case SRC_CALLBACK: {
      zr_status st = s->cb(s->ud, buf, cap, got);
      if (*got > cap) *got = cap;
      s->pos += *got;
      if (st != ZR_OK) return zr__err(err, st, (int64_t)s->pos, "source callback failed: %s", zr_strerror(st));
      return ZR_OK;
    }
  }
  return ZR_ERR_INTERNAL;
}

zr_status zr_source_contiguous(zr_source *s, const uint8_t **data, size_t *len) {
  if (!s || !data || !len) return ZR_ERR_INVALID_ARG;
  if (s->kind != SRC_MEMORY && s->kind != SRC_MMAP) return ZR_ERR_UNSUPPORTED;
  *data = s->mem;
  *len = s->len;
  return ZR_OK;
}

zr_status zr_source_read_all(zr_source *s, uint64_t max_bytes, const uint8_t **data, size_t *len, zr_error *err) {
  if (!s || !data || !len) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (s->kind == SRC_MEMORY || s->kind == SRC_MMAP) {
    if (max_bytes && s->len - s->pos > max_bytes)
      return zr__err(err, ZR_ERR_LIMIT, (int64_t)max_bytes, "input of %zu bytes exceeds the limit of %llu", s->len - s->pos,
                     (unsigned long long)max_bytes);
    *data = s->mem + s->pos;
    *len = s->len - s->pos;
    s->pos = s->len;
    return ZR_OK;
  }
  s->buf.len = 0;
  for (;;) {
    if (zr__buf_reserve(&s->buf, 1u << 16) != ZR_OK) return zr__err_nomem(err);
    size_t got = 0;
    ZR_TRY(zr_source_read(s, s->buf.data + s->buf.len, s->buf.cap - s->buf.len, &got, err));
    if (got == 0) break;
    s->buf.len += got;
    if (max_bytes && s->buf.len > max_bytes)
      return zr__err(err, ZR_ERR_LIMIT, (int64_t)max_bytes, "input exceeds the limit of %llu bytes", (unsigned long long)max_bytes);
  }
  *data = s->buf.data;
  *len = s->buf.len;
  return ZR_OK;
}

void zr_source_free(zr_source *s) {
  if (!s) return;
  if (s->kind == SRC_FILE && s->fd >= 0) close(s->fd);
  if (s->kind == SRC_MMAP && s->map) munmap(s->map, s->map_len);
  zr__buf_free(&s->buf);
  free(s);
}
