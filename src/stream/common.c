/* Stream header, frame headers, the checksum chain, checkpoint files and the resume scan. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stream/stream_internal.h"

void zr__st_header_put(uint8_t h[ZR_STREAM_HEADER_SIZE], int payload, int codec, uint64_t fingerprint) {
  memset(h, 0, ZR_STREAM_HEADER_SIZE);
  memcpy(h, ZR_STREAM_MAGIC, 4);
  h[4] = ZR_STREAM_VERSION;
  h[5] = (uint8_t)payload;
  h[6] = (uint8_t)codec;
  h[7] = 0;
  zr__st64le(h + 8, fingerprint);
  zr__st64le(h + 24, zr_xxh3_64(h, 24, 0));
}

zr_status zr__st_header_get(const uint8_t *h, int *payload, uint64_t *fingerprint, uint64_t *checksum,
                            zr_error *err) {
  if (memcmp(h, ZR_STREAM_MAGIC, 4) != 0) return zr__err(err, ZR_ERR_FORMAT, 0, "not a zerial stream (magic)");
  if (h[4] != ZR_STREAM_VERSION)
    return zr__err(err, ZR_ERR_VERSION, 4, "stream version %u is not supported (this library reads %d)", h[4],
                   ZR_STREAM_VERSION);
  uint64_t sum = zr_xxh3_64(h, 24, 0);
  if (sum != zr__ld64le(h + 24)) return zr__err(err, ZR_ERR_CHECKSUM, 24, "stream header checksum mismatch");
  if (h[5] != ZR_STREAM_BINARY && h[5] != ZR_STREAM_ARROW)
    return zr__err(err, ZR_ERR_MALFORMED, 5, "unknown stream payload kind %u", h[5]);
  if (h[6] > 3) return zr__err(err, ZR_ERR_MALFORMED, 6, "unknown codec id %u", h[6]);
  if (payload) *payload = h[5];
  if (fingerprint) *fingerprint = zr__ld64le(h + 8);
  if (checksum) *checksum = sum;
  return ZR_OK;
}

uint64_t zr__st_frame_put(uint8_t *h, const zr__st_frame *f) {
  memcpy(h, ZR__ST_FRAME_MAGIC, 4);
  h[4] = f->type;
  h[5] = f->codec;
  h[6] = h[7] = 0;
  zr__st64le(h + 8, f->seq);
  zr__st32le(h + 16, f->stored);
  zr__st32le(h + 20, f->raw);
  zr__st64le(h + 24, f->records);
  return zr_xxh3_64(h, 32, 0);
}

zr_status zr__st_frame_get(const uint8_t *h, uint64_t offset, zr__st_frame *f, uint64_t *seed, zr_error *err) {
  if (memcmp(h, ZR__ST_FRAME_MAGIC, 4) != 0)
    return zr__err(err, ZR_ERR_MALFORMED, (int64_t)offset, "no frame magic at byte %llu", (unsigned long long)offset);
  f->type = h[4];
  f->codec = h[5];
  f->seq = zr__ld64le(h + 8);
  f->stored = zr__ld32le(h + 16);
  f->raw = zr__ld32le(h + 20);
  f->records = zr__ld64le(h + 24);
  f->checksum = zr__ld64le(h + 32);
  if (f->type != ZR__ST_TYPE_CHUNK && f->type != ZR__ST_TYPE_TRAILER)
    return zr__err(err, ZR_ERR_MALFORMED, (int64_t)offset + 4, "unknown frame type %u", f->type);
  if (f->codec > 3) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)offset + 5, "unknown codec id %u", f->codec);
  if (h[6] || h[7]) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)offset + 6, "reserved frame bytes are not zero");
  if (f->codec == 0 && f->stored != f->raw)
    return zr__err(err, ZR_ERR_MALFORMED, (int64_t)offset + 16, "uncompressed chunk with stored %u != raw %u bytes",
                   f->stored, f->raw);
  if (f->type == ZR__ST_TYPE_TRAILER && (f->codec || f->stored != ZR__ST_TRAILER_PAYLOAD))
    return zr__err(err, ZR_ERR_MALFORMED, (int64_t)offset + 16, "malformed trailer frame");
  if ((uint64_t)f->stored > ZR_STREAM_MAX_CHUNK || (uint64_t)f->raw > ZR_STREAM_MAX_CHUNK)
    return zr__err(err, ZR_ERR_LIMIT, (int64_t)offset + 16, "chunk larger than 1 GiB");
  *seed = zr_xxh3_64(h, 32, 0);
  return ZR_OK;
}

uint64_t zr__st_chain(uint64_t running, uint64_t frame_sum) {
  uint8_t b[8];
  zr__st64le(b, frame_sum);
  return zr_xxh3_64(b, 8, running);
}

/* ---- checkpoint files ---- */

static void ckpt_encode(uint8_t b[ZR__ST_CKPT_SIZE], const zr_stream_checkpoint *cp) {
  memset(b, 0, ZR__ST_CKPT_SIZE);
  memcpy(b, ZR__ST_CKPT_MAGIC, 4);
  zr__st32le(b + 4, 1);
  zr__st64le(b + 8, cp->chunks);
  zr__st64le(b + 16, cp->records);
  zr__st64le(b + 24, cp->offset);
  zr__st64le(b + 32, cp->position);
  zr__st64le(b + 40, cp->checksum);
  zr__st64le(b + 48, cp->fingerprint);
  /* 56..63 reserved */
  zr__st64le(b + 64, zr_xxh3_64(b, 64, 0));
}

static zr_status ckpt_errno(zr_error *err, const char *what, const char *path) {
  int e = errno;
  zr_status code = e == ENOSPC ? ZR_ERR_NOSPACE : (e == EACCES || e == EPERM) ? ZR_ERR_PERMISSION : ZR_ERR_IO;
  return zr__err(err, code, -1, "checkpoint %s %s: %s", what, path, strerror(e));
}

static zr_status write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ZR_ERR_IO;
    }
    p += w;
    n -= (size_t)w;
  }
  return ZR_OK;
}

zr_status zr__st_ckpt_write(const char *path, const zr_stream_checkpoint *cp, int sync, zr_error *err) {
  uint8_t b[ZR__ST_CKPT_SIZE];
  ckpt_encode(b, cp);
  size_t n = strlen(path);
  char *tmp = malloc(n + 5);
  if (!tmp) return zr__err_nomem(err);
  memcpy(tmp, path, n);
  memcpy(tmp + n, ".tmp", 5);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  zr_status st = ZR_OK;
  if (fd < 0) {
    st = ckpt_errno(err, "create", tmp);
    free(tmp);
    return st;
  }
  if (write_all(fd, b, sizeof b) != ZR_OK) st = ckpt_errno(err, "write", tmp);
  if (st == ZR_OK && sync && fsync(fd) != 0) st = ckpt_errno(err, "fsync", tmp);
  if (close(fd) != 0 && st == ZR_OK) st = ckpt_errno(err, "close", tmp);
  if (st == ZR_OK && rename(tmp, path) != 0) st = ckpt_errno(err, "rename", path);
  if (st != ZR_OK) {
    unlink(tmp);
    free(tmp);
    return st;
  }
  free(tmp);
  if (!sync) return ZR_OK;
  /* make the rename durable: fsync the directory */
  char *dir = strdup(path);
  if (dir) {
    char *slash = strrchr(dir, '/');
    const char *d = ".";
    if (slash) {
      if (slash == dir) slash[1] = 0;
      else *slash = 0;
      d = dir;
    }
    int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)fsync(dfd);
      close(dfd);
    }
    free(dir);
  }
  return ZR_OK;
}

zr_status zr_stream_checkpoint_read(const char *path, zr_stream_checkpoint *out, zr_error *err) {
  if (!path || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "path or out is NULL");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return zr__err(err, ZR_ERR_NOT_FOUND, -1, "no checkpoint %s", path);
    return ckpt_errno(err, "open", path);
  }
  uint8_t b[ZR__ST_CKPT_SIZE + 1];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t r = read(fd, b + got, sizeof b - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  if (got != ZR__ST_CKPT_SIZE) return zr__err(err, ZR_ERR_MALFORMED, (int64_t)got, "checkpoint %s has %zu bytes, not 72", path, got);
  if (memcmp(b, ZR__ST_CKPT_MAGIC, 4) != 0) return zr__err(err, ZR_ERR_MALFORMED, 0, "checkpoint %s: bad magic", path);
  if (zr__ld32le(b + 4) != 1) return zr__err(err, ZR_ERR_VERSION, 4, "checkpoint %s: unknown version", path);
  if (zr_xxh3_64(b, 64, 0) != zr__ld64le(b + 64))
    return zr__err(err, ZR_ERR_CHECKSUM, 64, "checkpoint %s: checksum mismatch", path);
  memset(out, 0, sizeof *out);
  out->chunks = zr__ld64le(b + 8);
  out->records = zr__ld64le(b + 16);
  out->offset = zr__ld64le(b + 24);
  out->position = zr__ld64le(b + 32);
  out->checksum = zr__ld64le(b + 40);
  out->fingerprint = zr__ld64le(b + 48);
  out->from_checkpoint = 1;
  return ZR_OK;
}

/* ---- scan for the last good cut ---- */

zr_status zr__st_scan(const uint8_t *data, size_t len, zr_stream_checkpoint *cp, int *complete, int *payload,
                      zr_error *err) {
  memset(cp, 0, sizeof *cp);
  cp->position = ZR_STREAM_POSITION_UNKNOWN;
  *complete = 0;
  if (len < ZR_STREAM_HEADER_SIZE) return ZR_OK; /* torn header: start over */
  uint64_t running;
  zr_error e2;
  zr_status st = zr__st_header_get(data, payload, &cp->fingerprint, &running, &e2);
  if (st != ZR_OK) {
    if (err) *err = e2;
    return st;
  }
  uint64_t pos = ZR_STREAM_HEADER_SIZE, seq = 0, records = 0;
  cp->offset = pos;
  cp->checksum = running;
  for (;;) {
    if (len - pos < ZR_STREAM_FRAME_HEADER_SIZE) break;
    zr__st_frame f = {0};
    uint64_t seed = 0;
    if (zr__st_frame_get(data + pos, pos, &f, &seed, NULL) != ZR_OK) break;
    if (f.seq != seq) break;
    if (len - pos - ZR_STREAM_FRAME_HEADER_SIZE < f.stored) break;
    const uint8_t *p = data + pos + ZR_STREAM_FRAME_HEADER_SIZE;
    if (zr_xxh3_64(p, f.stored, seed) != f.checksum) break;
    if (f.type == ZR__ST_TYPE_TRAILER) {
      if (zr__ld64le(p) == seq && zr__ld64le(p + 8) == records && zr__ld64le(p + 16) == pos &&
          zr__ld64le(p + 24) == running)
        *complete = 1;
      break;
    }
    running = zr__st_chain(running, f.checksum);
    seq++;
    records += f.records;
    pos += ZR_STREAM_FRAME_HEADER_SIZE + f.stored;
    cp->chunks = seq;
    cp->records = records;
    cp->offset = pos;
    cp->checksum = running;
  }
  return ZR_OK;
}
