/* POSIX shared-memory regions: layout in docs/formats/shm-region.md. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "metrics/metrics_internal.h"
#include "zerial/format.h"
#include "zerial/shm.h"

/* ---- layout ---- */
#define HDR_SIZE 128u
#define ENTRY_SIZE 192u
#define STATE_WRITING 1u
#define STATE_PUBLISHED 2u
#define ENTRY_HAS_CHECKSUM 0x1u
static const uint8_t MAGIC[8] = {'Z', 'R', 'S', 'H', 'M', 'R', 'G', 0x1a};

/* header field offsets */
enum {
  H_MAGIC = 0, H_VERSION = 8, H_STATE = 12, H_GENERATION = 16, H_REGION_SIZE = 24, H_HEADER_SIZE = 32,
  H_ENTRY_SIZE = 36, H_MAX_OBJECTS = 40, H_N_OBJECTS = 44, H_DATA_OFFSET = 48, H_DATA_END = 56,
  H_DIR_CHECKSUM = 64, H_CREATOR_PID = 72
};
/* entry field offsets */
enum {
  E_NAME = 0, E_OFFSET = 64, E_LENGTH = 72, E_CHECKSUM = 80, E_FORMAT = 88, E_DTYPE = 90, E_NDIM = 91,
  E_BYTE_ORDER = 92, E_FLAGS = 93, E_TIME_UNIT = 94, E_ITEMSIZE = 96, E_SHAPE = 104
};

struct zr_shm {
  atomic_uint refs;
  zr_allocator alloc;
  char name[ZR_SHM_REGION_NAME_MAX + 2];
  int fd;          /* writer: kept for growth; reader: -1 after mapping */
  uint8_t *base;   /* mapping */
  uint64_t size;   /* mapping size */
  int writable, writer, published, prealloc;
  uint64_t generation;
  uint32_t max_objects;
  size_t count;
  zr_shm_object *objects; /* private copy of the directory (max_objects slots for a writer) */
  uint64_t data_offset, data_end;
  /* pending reservation (writer) */
  int pending;
  zr_shm_object pend;
  uint64_t pend_cap;
};

/* ---- small helpers ---- */

static zr_status errno_status(int e) {
  switch (e) {
    case ENOSPC: case EDQUOT: return ZR_ERR_NOSPACE;
    case EFBIG: return ZR_ERR_LIMIT;
    case EACCES: case EPERM: return ZR_ERR_PERMISSION;
    case ENOENT: return ZR_ERR_NOT_FOUND;
    case EEXIST: return ZR_ERR_EXISTS;
    case ENOMEM: return ZR_ERR_NOMEM;
    case EINVAL: case ENAMETOOLONG: return ZR_ERR_INVALID_ARG;
    default: return ZR_ERR_IO;
  }
}

static zr_status sys_err(zr_error *err, int e, const char *what, const char *name) {
  return zr__err(err, errno_status(e), -1, "%s %s: %s", what, name, strerror(e));
}

static uint32_t ld_atomic32(const uint8_t *p) {
  if (((uintptr_t)p & 3u) == 0) return atomic_load_explicit((const _Atomic uint32_t *)(const void *)p, memory_order_acquire);
  atomic_thread_fence(memory_order_acquire);
  return zr__ld32le(p);
}

static uint64_t ld_atomic64(const uint8_t *p) {
  if (((uintptr_t)p & 7u) == 0) return atomic_load_explicit((const _Atomic uint64_t *)(const void *)p, memory_order_acquire);
  atomic_thread_fence(memory_order_acquire);
  return zr__ld64le(p);
}

zr_status zr_shm_name_valid(const char *name, zr_error *err) {
  if (!name) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "region name is NULL");
  const char *s = name[0] == '/' ? name + 1 : name;
  size_t n = strlen(s);
  if (n == 0) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "region name is empty");
  if (n > ZR_SHM_REGION_NAME_MAX - 1)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "region name is %zu bytes long; the limit is %u", n,
                   ZR_SHM_REGION_NAME_MAX - 1);
  if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "region name '%s' is reserved", s);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-'))
      return zr__err(err, ZR_ERR_INVALID_ARG, -1,
                     "region name has a forbidden character at position %zu (allowed: A-Z a-z 0-9 . _ -)",
                     i + (size_t)(s - name));
  }
  return ZR_OK;
}

static void canonical_name(const char *name, char out[ZR_SHM_REGION_NAME_MAX + 2]) {
  snprintf(out, ZR_SHM_REGION_NAME_MAX + 2, "/%s", name[0] == '/' ? name + 1 : name);
}

static zr_status object_name_valid(const char *name, zr_error *err) {
  if (!name) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "object name is NULL");
  size_t n = strlen(name);
  if (n == 0 || n > ZR_SHM_NAME_MAX)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "object name must be 1 to %u bytes, not %zu", ZR_SHM_NAME_MAX, n);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c < 0x20 || c > 0x7e)
      return zr__err(err, ZR_ERR_INVALID_ARG, -1, "object name has a non-printable byte at position %zu", i);
  }
  return ZR_OK;
}

static zr_shm *handle_new(const zr_allocator *alloc) {
  const zr_allocator *a = zr__alloc_or_default(alloc);
  zr_shm *r = zr__malloc(a, sizeof *r);
  if (!r) return NULL;
  memset(r, 0, sizeof *r);
  atomic_init(&r->refs, 1u);
  r->alloc = *a;
  r->fd = -1;
  return r;
}

static void handle_destroy(zr_shm *r) {
  if (r->base && r->base != MAP_FAILED) {
    munmap(r->base, r->size);
    zr__metrics_shm(-1, -(int64_t)r->size);
  }
  if (r->fd >= 0) close(r->fd);
  zr_allocator a = r->alloc;
  zr__free(&a, r->objects);
  zr__free(&a, r);
}

void zr_shm_ref(zr_shm *r) {
  if (r) atomic_fetch_add_explicit(&r->refs, 1u, memory_order_relaxed);
}

unsigned zr_shm_refs(const zr_shm *r) {
  return r ? atomic_load_explicit(&((zr_shm *)r)->refs, memory_order_acquire) : 0;
}

void zr_shm_close(zr_shm *r) {
  if (!r) return;
  if (atomic_fetch_sub_explicit(&r->refs, 1u, memory_order_acq_rel) == 1u) handle_destroy(r);
}

static void unref_cb(void *p) { zr_shm_close(p); }

/* ---- sizing ---- */

static uint64_t header_size_for(uint32_t max_objects) {
  return zr__align_up(HDR_SIZE + (uint64_t)max_objects * ENTRY_SIZE, ZR_SHM_ALIGN);
}

/* Make the object @p fd at least @p size bytes with pages allocated (unless disabled). */
static zr_status size_fd(int fd, uint64_t old, uint64_t size, int prealloc, const char *name, zr_error *err) {
  if (size > (uint64_t)INT64_MAX) return zr__err(err, ZR_ERR_OVERFLOW, -1, "region size too large");
  /* a failed ftruncate raises SIGXFSZ past RLIMIT_FSIZE; the error code is what we want */
  struct sigaction ign, old_sa;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  int have_old = sigaction(SIGXFSZ, &ign, &old_sa) == 0;
  int rc = ftruncate(fd, (off_t)size);
  int e = errno;
  if (have_old) sigaction(SIGXFSZ, &old_sa, NULL);
  if (rc != 0) return sys_err(err, e, "cannot size shared-memory region", name);
  if (prealloc && size > old) {
    int pe;
    do pe = posix_fallocate(fd, (off_t)old, (off_t)(size - old));
    while (pe == EINTR);
    if (pe != 0 && pe != EOPNOTSUPP && pe != EINVAL) {
      if (ftruncate(fd, (off_t)old) != 0) { /* best effort: give the space back */
      }
      return sys_err(err, pe, "cannot allocate pages of shared-memory region", name);
    }
  }
  return ZR_OK;
}

/* ---- create / grow (writer) ---- */

static void write_initial_header(zr_shm *r) {
  uint8_t *h = r->base;
  memset(h, 0, header_size_for(r->max_objects));
  memcpy(h + H_MAGIC, MAGIC, 8);
  zr__st32le(h + H_VERSION, ZR_SHM_VERSION);
  zr__st64le(h + H_REGION_SIZE, r->size);
  zr__st32le(h + H_HEADER_SIZE, (uint32_t)header_size_for(r->max_objects));
  zr__st32le(h + H_ENTRY_SIZE, ENTRY_SIZE);
  zr__st32le(h + H_MAX_OBJECTS, r->max_objects);
  zr__st64le(h + H_DATA_OFFSET, r->data_offset);
  zr__st64le(h + H_DATA_END, r->data_offset);
  zr__st32le(h + H_CREATOR_PID, (uint32_t)getpid());
  atomic_store_explicit((_Atomic uint64_t *)(void *)(h + H_GENERATION), 0, memory_order_relaxed);
  atomic_store_explicit((_Atomic uint32_t *)(void *)(h + H_STATE), STATE_WRITING, memory_order_release);
}

zr_status zr_shm_create(const char *name, const zr_shm_create_opts *opts, zr_shm **out, zr_error *err) {
  if (!out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "out is NULL");
  *out = NULL;
  ZR_TRY(zr_shm_name_valid(name, err));
  zr_shm_create_opts o;
  memset(&o, 0, sizeof o);
  if (opts) o = *opts;
  if (!o.mode) o.mode = 0600;
  if (!o.max_objects) o.max_objects = ZR_SHM_DEFAULT_OBJECTS;
  if (o.max_objects > ZR_SHM_MAX_OBJECTS)
    return zr__err(err, ZR_ERR_LIMIT, -1, "max_objects %u exceeds %u", o.max_objects, ZR_SHM_MAX_OBJECTS);
  if (o.mode & ~0777u) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "mode %o has bits beyond 0777", o.mode);

  zr_shm *r = handle_new(o.alloc);
  if (!r) return zr__err_nomem(err);
  canonical_name(name, r->name);
  r->writer = r->writable = 1;
  r->prealloc = !(o.flags & ZR_SHM_NO_PREALLOCATE);
  r->max_objects = o.max_objects;
  r->data_offset = header_size_for(o.max_objects);
  r->data_end = r->data_offset;
  r->objects = zr__malloc(&r->alloc, sizeof(zr_shm_object) * o.max_objects);
  if (!r->objects) {
    handle_destroy(r);
    return zr__err_nomem(err);
  }
  uint64_t size = o.size > r->data_offset ? zr__align_up(o.size, ZR_SHM_ALIGN) : r->data_offset;

  r->fd = shm_open(r->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)o.mode);
  if (r->fd < 0) {
    zr_status st = sys_err(err, errno, "cannot create shared-memory region", r->name);
    handle_destroy(r);
    return st;
  }
  (void)fchmod(r->fd, (mode_t)o.mode); /* the umask must not widen or narrow what was asked */
  zr_status st = size_fd(r->fd, 0, size, r->prealloc, r->name, err);
  if (st == ZR_OK) {
    /* the writer touches every page it reserves: map them all now (one batch, not a fault each) */
    r->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | (r->prealloc ? MAP_POPULATE : 0), r->fd, 0);
    if (r->base == MAP_FAILED) {
      r->base = NULL;
      st = sys_err(err, errno, "cannot map shared-memory region", r->name);
    }
  }
  if (st != ZR_OK) {
    shm_unlink(r->name);
    handle_destroy(r);
    return st;
  }
  r->size = size;
  zr__metrics_shm(1, (int64_t)size);
  write_initial_header(r);
  *out = r;
  return ZR_OK;
}

zr_status zr_shm_grow(zr_shm *r, uint64_t size, zr_error *err) {
  if (!r) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "region is NULL");
  if (!r->writer || r->published)
    return zr__err(err, ZR_ERR_STATE, -1, "only a writer can grow a region, before publishing");
  size = zr__align_up(size, ZR_SHM_ALIGN);
  if (size <= r->size) return ZR_OK;
  ZR_TRY(size_fd(r->fd, r->size, size, r->prealloc, r->name, err));
  /* grow in place when the address space allows; move only when nothing points into the mapping */
  void *p = mremap(r->base, r->size, size, 0);
  if (p == MAP_FAILED) {
    if (zr_shm_refs(r) > 1) {
      if (ftruncate(r->fd, (off_t)r->size) != 0) { /* best effort */
      }
      return zr__err(err, ZR_ERR_BUSY, -1,
                     "cannot grow region %s in place while views of it are alive; create it larger", r->name);
    }
    p = mremap(r->base, r->size, size, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) {
      zr_status st = sys_err(err, errno, "cannot remap shared-memory region", r->name);
      if (ftruncate(r->fd, (off_t)r->size) != 0) { /* best effort */
      }
      return st;
    }
  }
  r->base = p;
  zr__metrics_shm(0, (int64_t)(size - r->size));
  r->size = size;
  zr__st64le(r->base + H_REGION_SIZE, size);
  for (size_t i = 0; i < r->count; i++) r->objects[i].data = r->base + r->objects[i].offset;
  return ZR_OK;
}

/* ---- reserve / commit (writer) ---- */

static zr_status begin_object(zr_shm *r, const char *name, uint64_t len, zr_error *err) {
  if (!r) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "region is NULL");
  if (!r->writer || r->published) return zr__err(err, ZR_ERR_STATE, -1, "region %s is not open for writing", r->name);
  if (r->pending) return zr__err(err, ZR_ERR_STATE, -1, "a reservation is pending: commit or abort it first");
  ZR_TRY(object_name_valid(name, err));
  if (r->count >= r->max_objects)
    return zr__err(err, ZR_ERR_LIMIT, -1, "region %s has room for %u objects", r->name, r->max_objects);
  for (size_t i = 0; i < r->count; i++)
    if (strcmp(r->objects[i].name, name) == 0)
      return zr__err(err, ZR_ERR_EXISTS, -1, "object '%s' already exists in %s", name, r->name);
  uint64_t off = zr__align_up(r->data_end, ZR_SHM_ALIGN), end, need;
  if (zr__add_overflow(off, len, &end) || zr__add_overflow(end, ZR_SHM_ALIGN, &need))
    return zr__err(err, ZR_ERR_OVERFLOW, -1, "object size overflows");
  if (end > r->size) {
    /* grow geometrically to keep repeated small objects cheap */
    uint64_t target = r->size + r->size / 2;
    if (target < end) target = end;
    zr_status st = zr_shm_grow(r, target, NULL);
    if (st != ZR_OK) ZR_TRY(zr_shm_grow(r, end, err));
  }
  memset(&r->pend, 0, sizeof r->pend);
  snprintf(r->pend.name, sizeof r->pend.name, "%s", name);
  r->pend.offset = off;
  r->pend_cap = len;
  r->pending = 1;
  return ZR_OK;
}

zr_status zr_shm_reserve(zr_shm *r, const char *name, uint64_t len, void **ptr, zr_error *err) {
  if (!ptr) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ptr is NULL");
  ZR_TRY(begin_object(r, name, len, err));
  *ptr = r->base + r->pend.offset;
  return ZR_OK;
}

void zr_shm_abort(zr_shm *r) {
  if (r) r->pending = 0;
}

zr_status zr_shm_commit(zr_shm *r, uint16_t format, uint64_t len, unsigned flags, zr_error *err) {
  if (!r) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "region is NULL");
  if (!r->pending) return zr__err(err, ZR_ERR_STATE, -1, "nothing reserved to commit");
  if (len > r->pend_cap)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "commit of %llu bytes exceeds the reservation of %llu",
                   (unsigned long long)len, (unsigned long long)r->pend_cap);
  if (format != ZR_SHM_FORMAT_RAW && !zr_format_by_id(format))
    return zr__err(err, ZR_ERR_FORMAT, -1, "unknown format id %u", (unsigned)format);
  if (r->pend.ndim || r->pend.dtype) {
    if (format != ZR_SHM_FORMAT_RAW || len != r->pend_cap)
      return zr__err(err, ZR_ERR_INVALID_ARG, -1, "a raw tensor commits as format 0 with its full size");
  }
  zr_shm_object *o = &r->objects[r->count];
  *o = r->pend;
  o->format = format;
  o->length = len;
  /* checksums are computed at publish time, so in-place writes may continue until then */
  o->has_checksum = !(flags & ZR_SHM_NO_CHECKSUM);
  o->data = r->base + o->offset;
  r->data_end = o->offset + len;
  r->count++;
  r->pending = 0;
  return ZR_OK;
}

zr_status zr_shm_reserve_tensor(zr_shm *r, const char *name, zr_dtype dtype, uint64_t itemsize, uint32_t ndim,
                                const int64_t *shape, zr_tensor *out, zr_error *err) {
  if (!out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "out is NULL");
  if (ndim > ZR_SHM_MAX_DIMS)
    return zr__err(err, ZR_ERR_LIMIT, -1, "raw tensors in a region have at most %u dimensions", ZR_SHM_MAX_DIMS);
  if (dtype == ZR_DT_VOID || dtype == ZR_DT_LONGDOUBLE || strcmp(zr_dtype_name(dtype), "invalid") == 0)
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "dtype %s cannot be a raw region tensor (use npy)",
                     zr_dtype_name(dtype));
  if (zr_dtype_size(dtype)) itemsize = zr_dtype_size(dtype);
  zr_tensor t;
  ZR_TRY(zr_tensor_init(&t, dtype, itemsize, ndim, shape, NULL, err));
  ZR_TRY(begin_object(r, name, t.nbytes, err));
  r->pend.dtype = dtype;
  r->pend.byte_order = ZR_ORDER_LITTLE;
  r->pend.ndim = ndim;
  r->pend.itemsize = itemsize;
  for (uint32_t i = 0; i < ndim; i++) r->pend.shape[i] = shape[i];
  t.data = r->base + r->pend.offset;
  *out = t;
  return ZR_OK;
}

static void copy_strided(uint8_t *dst, const zr_tensor *t, uint32_t dim, const uint8_t *src, size_t *pos) {
  if (dim == t->ndim) {
    memcpy(dst + *pos, src, t->itemsize);
    *pos += t->itemsize;
    return;
  }
  for (int64_t i = 0; i < t->shape[dim]; i++) copy_strided(dst, t, dim + 1, src + i * t->strides[dim], pos);
}

zr_status zr_shm_put_tensor(zr_shm *r, const char *name, const zr_tensor *t, unsigned flags, zr_error *err) {
  if (!t) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor is NULL");
  if (t->byte_order == ZR_ORDER_BIG && t->itemsize > 1)
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "raw region tensors are little-endian (use npy)");
  zr_tensor dst;
  ZR_TRY(zr_shm_reserve_tensor(r, name, t->dtype, t->itemsize, t->ndim, t->shape, &dst, err));
  if (dst.nbytes) {
    if (!t->data) {
      zr_shm_abort(r);
      return zr__err(err, ZR_ERR_INVALID_ARG, -1, "tensor data is NULL");
    }
    if (zr_tensor_is_c_contiguous(t)) {
      memcpy(dst.data, t->data, dst.nbytes);
    } else {
      size_t pos = 0;
      copy_strided(dst.data, t, 0, t->data, &pos);
    }
  }
  r->pend.time_unit = t->time_unit;
  return zr_shm_commit(r, ZR_SHM_FORMAT_RAW, dst.nbytes, flags, err);
}

static zr_status count_cb(void *ud, const void *data, size_t len, size_t *written) {
  (void)ud;
  (void)data;
  *written = len;
  return ZR_OK;
}

zr_status zr_shm_put_value(zr_shm *r, const char *name, uint16_t format_id, const zr_value *v,
                           const zr_encode_opts *opts, unsigned flags, zr_error *err) {
  if (!v) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "value is NULL");
  const zr_format *f = zr_format_by_id(format_id);
  if (!f || !f->encode) return zr__err(err, ZR_ERR_FORMAT, -1, "no encoder for format id %u", (unsigned)format_id);
  zr_encode_opts o;
  memset(&o, 0, sizeof o);
  if (opts) o = *opts;
  /* size pass: the encoder writes into a sink that only counts */
  zr_sink *counter = NULL;
  ZR_TRY(zr_sink_callback_new(count_cb, NULL, &counter, err));
  zr_status st = f->encode(v, &o, counter, err);
  if (st == ZR_OK) st = zr_sink_flush(counter, err);
  uint64_t size = zr_sink_size(counter);
  zr_sink_free(counter);
  if (st != ZR_OK) return st;
  /* in place: exactly that many bytes reserved in the mapping, written through a fixed sink */
  void *p = NULL;
  ZR_TRY(zr_shm_reserve(r, name, size, &p, err));
  zr_sink *fixed = NULL;
  st = zr_sink_fixed_new(p, (size_t)size, &fixed, err);
  if (st == ZR_OK) st = f->encode(v, &o, fixed, err);
  if (st == ZR_OK) st = zr_sink_finish(fixed, err);
  if (st == ZR_OK && zr_sink_size(fixed) != size)
    st = zr__err(err, ZR_ERR_INTERNAL, -1, "encoder %s wrote %llu bytes, %llu in the size pass", f->name,
                 (unsigned long long)zr_sink_size(fixed), (unsigned long long)size);
  zr_sink_free(fixed);
  if (st != ZR_OK) {
    zr_shm_abort(r);
    return st;
  }
  return zr_shm_commit(r, format_id, size, flags, err);
}

/* ---- directory encoding ---- */

static void entry_store(uint8_t *e, const zr_shm_object *o) {
  memset(e, 0, ENTRY_SIZE);
  memcpy(e + E_NAME, o->name, strlen(o->name));
  zr__st64le(e + E_OFFSET, o->offset);
  zr__st64le(e + E_LENGTH, o->length);
  zr__st64le(e + E_CHECKSUM, o->checksum);
  zr__st16le(e + E_FORMAT, o->format);
  e[E_DTYPE] = (uint8_t)o->dtype;
  e[E_NDIM] = (uint8_t)o->ndim;
  e[E_BYTE_ORDER] = (uint8_t)o->byte_order;
  e[E_FLAGS] = o->has_checksum ? ENTRY_HAS_CHECKSUM : 0;
  e[E_TIME_UNIT] = (uint8_t)o->time_unit;
  zr__st64le(e + E_ITEMSIZE, o->itemsize);
  for (uint32_t i = 0; i < o->ndim; i++) zr__st64le(e + E_SHAPE + 8 * i, (uint64_t)o->shape[i]);
}

static uint64_t dir_checksum(const uint8_t *hdr, const uint8_t *dir, uint32_t n, uint64_t gen) {
  uint64_t h = zr_xxh3_64(hdr + H_REGION_SIZE, H_DIR_CHECKSUM - H_REGION_SIZE, gen);
  return zr_xxh3_64(dir, (size_t)n * ENTRY_SIZE, h);
}

zr_status zr_shm_publish(zr_shm *r, zr_error *err) {
  if (!r) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "region is NULL");
  if (!r->writer || r->published) return zr__err(err, ZR_ERR_STATE, -1, "region %s is not open for writing", r->name);
  if (r->pending) return zr__err(err, ZR_ERR_STATE, -1, "a reservation is pending: commit or abort it first");
  uint8_t *h = r->base;
  /* payload checksums, then the directory, then the header, then the state (release) */
  for (size_t i = 0; i < r->count; i++) {
    zr_shm_object *o = &r->objects[i];
    o->checksum = o->has_checksum ? zr_xxh3_64(r->base + o->offset, (size_t)o->length, 0) : 0;
    entry_store(h + HDR_SIZE + i * ENTRY_SIZE, o);
  }
  uint64_t gen = ld_atomic64(h + H_GENERATION) + 1;
  zr__st64le(h + H_REGION_SIZE, r->size);
  zr__st32le(h + H_N_OBJECTS, (uint32_t)r->count);
  zr__st64le(h + H_DATA_END, r->data_end);
  zr__st64le(h + H_DIR_CHECKSUM, dir_checksum(h, h + HDR_SIZE, (uint32_t)r->count, gen));
  atomic_store_explicit((_Atomic uint64_t *)(void *)(h + H_GENERATION), gen, memory_order_release);
  atomic_store_explicit((_Atomic uint32_t *)(void *)(h + H_STATE), STATE_PUBLISHED, memory_order_release);
  r->generation = gen;
  r->published = 1;
  return ZR_OK;
}

/* ---- parsing (readers, fuzzing) ---- */

static zr_status parse_entry(const uint8_t *e, uint64_t idx, uint64_t data_offset, uint64_t data_end,
                             zr_shm_object *o, zr_error *err) {
  int64_t at = (int64_t)(HDR_SIZE + idx * ENTRY_SIZE);
  memset(o, 0, sizeof *o);
  if (memchr(e + E_NAME, 0, ZR_SHM_NAME_MAX + 1) == NULL)
    return zr__err(err, ZR_ERR_MALFORMED, at, "object %llu: name is not NUL-terminated", (unsigned long long)idx);
  memcpy(o->name, e + E_NAME, ZR_SHM_NAME_MAX + 1);
  zr_error sub;
  if (object_name_valid(o->name, &sub) != ZR_OK)
    return zr__err(err, ZR_ERR_MALFORMED, at, "object %llu: %s", (unsigned long long)idx, sub.message);
  o->offset = zr__ld64le(e + E_OFFSET);
  o->length = zr__ld64le(e + E_LENGTH);
  o->checksum = zr__ld64le(e + E_CHECKSUM);
  o->format = zr__ld16le(e + E_FORMAT);
  o->dtype = (zr_dtype)e[E_DTYPE];
  o->ndim = e[E_NDIM];
  o->byte_order = (zr_byte_order)e[E_BYTE_ORDER];
  uint8_t flags = e[E_FLAGS];
  o->has_checksum = (flags & ENTRY_HAS_CHECKSUM) != 0;
  o->time_unit = (zr_time_unit)e[E_TIME_UNIT];
  if (o->time_unit > ZR_TU_GENERIC)
    return zr__err(err, ZR_ERR_MALFORMED, at + E_TIME_UNIT, "object '%s': bad time unit", o->name);
  o->itemsize = zr__ld64le(e + E_ITEMSIZE);
  uint64_t end;
  if (o->offset % ZR_SHM_ALIGN)
    return zr__err(err, ZR_ERR_ALIGNMENT, at + E_OFFSET, "object '%s': offset %llu is not %u-byte aligned", o->name,
                   (unsigned long long)o->offset, ZR_SHM_ALIGN);
  if (o->offset < data_offset || zr__add_overflow(o->offset, o->length, &end) || end > data_end)
    return zr__err(err, ZR_ERR_MALFORMED, at + E_OFFSET,
                   "object '%s': bytes [%llu, +%llu) lie outside the payload area [%llu, %llu)", o->name,
                   (unsigned long long)o->offset, (unsigned long long)o->length, (unsigned long long)data_offset,
                   (unsigned long long)data_end);
  if (flags & ~ENTRY_HAS_CHECKSUM)
    return zr__err(err, ZR_ERR_UNSUPPORTED, at + E_FLAGS, "object '%s': unknown flags 0x%x", o->name, flags);
  if (o->format == ZR_SHM_FORMAT_RAW) {
    if (o->ndim > ZR_SHM_MAX_DIMS)
      return zr__err(err, ZR_ERR_MALFORMED, at + E_NDIM, "object '%s': %u dimensions exceed %u", o->name, o->ndim,
                     ZR_SHM_MAX_DIMS);
    if (o->byte_order > ZR_ORDER_BIG)
      return zr__err(err, ZR_ERR_MALFORMED, at + E_BYTE_ORDER, "object '%s': bad byte order", o->name);
    if (o->dtype) {
      if (strcmp(zr_dtype_name(o->dtype), "invalid") == 0 || o->dtype == ZR_DT_VOID || o->dtype == ZR_DT_LONGDOUBLE)
        return zr__err(err, ZR_ERR_MALFORMED, at + E_DTYPE, "object '%s': bad dtype %u", o->name, (unsigned)o->dtype);
      size_t fixed = zr_dtype_size(o->dtype);
      if ((fixed && o->itemsize != fixed) || o->itemsize == 0)
        return zr__err(err, ZR_ERR_MALFORMED, at + E_ITEMSIZE, "object '%s': itemsize %llu does not fit %s", o->name,
                       (unsigned long long)o->itemsize, zr_dtype_name(o->dtype));
      uint64_t n = o->itemsize;
      for (uint32_t i = 0; i < o->ndim; i++) {
        int64_t s = (int64_t)zr__ld64le(e + E_SHAPE + 8 * i);
        if (s < 0 || zr__mul_overflow(n, (uint64_t)s, &n))
          return zr__err(err, ZR_ERR_MALFORMED, at + E_SHAPE + 8 * i, "object '%s': bad extent in dimension %u",
                         o->name, i);
        o->shape[i] = s;
      }
      if (n != o->length)
        return zr__err(err, ZR_ERR_MALFORMED, at + E_LENGTH,
                       "object '%s': shape × itemsize is %llu bytes but the length is %llu", o->name,
                       (unsigned long long)n, (unsigned long long)o->length);
    } else if (o->ndim || o->itemsize) {
      return zr__err(err, ZR_ERR_MALFORMED, at + E_DTYPE, "object '%s': dimensions without a dtype", o->name);
    }
  } else if (o->dtype || o->ndim) {
    return zr__err(err, ZR_ERR_MALFORMED, at + E_DTYPE, "object '%s': tensor fields on a formatted object", o->name);
  }
  return ZR_OK;
}

/* Check the header and directory at @p base (@p map_size bytes mapped); fill a private copy. */
static zr_status parse_region(const uint8_t *base, uint64_t map_size, const zr_allocator *a, zr_shm_object **objs,
                              size_t *count, uint64_t *generation, uint64_t *data_offset_out, zr_error *err) {
  *objs = NULL;
  *count = 0;
  if (map_size < HDR_SIZE)
    return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)map_size, "region of %llu bytes is smaller than its header",
                   (unsigned long long)map_size);
  static const uint8_t zero[8] = {0};
  if (memcmp(base, zero, 8) == 0)
    return zr__err(err, ZR_ERR_STATE, 0, "region is being created (no header yet)");
  if (memcmp(base, MAGIC, 8) != 0) return zr__err(err, ZR_ERR_MALFORMED, 0, "not a zerial shared-memory region (bad magic)");
  uint32_t state = ld_atomic32(base + H_STATE);
  if (state != STATE_PUBLISHED)
    return zr__err(err, ZR_ERR_STATE, H_STATE, state == STATE_WRITING ? "region is still being written (not published)"
                                                                      : "region has an unknown state");
  uint64_t gen = ld_atomic64(base + H_GENERATION);
  uint32_t version = zr__ld32le(base + H_VERSION);
  if (version != ZR_SHM_VERSION)
    return zr__err(err, ZR_ERR_VERSION, H_VERSION, "region layout version %u; this library reads %u", version,
                   ZR_SHM_VERSION);
  if (gen == 0) return zr__err(err, ZR_ERR_STATE, H_GENERATION, "published region with generation 0");
  /* copy the header so that later changes in shared memory cannot alter what was checked */
  uint8_t hdr[HDR_SIZE];
  memcpy(hdr, base, HDR_SIZE);
  uint64_t region_size = zr__ld64le(hdr + H_REGION_SIZE);
  uint32_t header_size = zr__ld32le(hdr + H_HEADER_SIZE);
  uint32_t entry_size = zr__ld32le(hdr + H_ENTRY_SIZE);
  uint32_t max_objects = zr__ld32le(hdr + H_MAX_OBJECTS);
  uint32_t n = zr__ld32le(hdr + H_N_OBJECTS);
  uint64_t data_offset = zr__ld64le(hdr + H_DATA_OFFSET);
  uint64_t data_end = zr__ld64le(hdr + H_DATA_END);
  if (region_size > map_size)
    return zr__err(err, ZR_ERR_TRUNCATED, H_REGION_SIZE, "header claims %llu bytes; only %llu are mapped",
                   (unsigned long long)region_size, (unsigned long long)map_size);
  if (entry_size != ENTRY_SIZE)
    return zr__err(err, ZR_ERR_MALFORMED, H_ENTRY_SIZE, "directory entry size %u, expected %u", entry_size, ENTRY_SIZE);
  if (max_objects > ZR_SHM_MAX_OBJECTS || n > max_objects)
    return zr__err(err, ZR_ERR_MALFORMED, H_N_OBJECTS, "%u objects in %u slots (limit %u)", n, max_objects,
                   ZR_SHM_MAX_OBJECTS);
  if (header_size != header_size_for(max_objects) || header_size > region_size)
    return zr__err(err, ZR_ERR_MALFORMED, H_HEADER_SIZE, "header size %u does not match %u slots in %llu bytes",
                   header_size, max_objects, (unsigned long long)region_size);
  if (data_offset < header_size || data_offset % ZR_SHM_ALIGN || data_offset > data_end || data_end > region_size)
    return zr__err(err, ZR_ERR_MALFORMED, H_DATA_OFFSET, "payload area [%llu, %llu) is not inside [%u, %llu)",
                   (unsigned long long)data_offset, (unsigned long long)data_end, header_size,
                   (unsigned long long)region_size);
  const uint8_t *dir = base + HDR_SIZE;
  if (dir_checksum(hdr, dir, n, gen) != zr__ld64le(hdr + H_DIR_CHECKSUM))
    return zr__err(err, ZR_ERR_CHECKSUM, H_DIR_CHECKSUM, "directory checksum mismatch");
  zr_shm_object *o = zr__malloc(a, sizeof *o * (n ? n : 1));
  if (!o) return zr__err_nomem(err);
  for (uint32_t i = 0; i < n; i++) {
    zr_status st = parse_entry(dir + (size_t)i * ENTRY_SIZE, i, data_offset, data_end, &o[i], err);
    for (uint32_t j = 0; st == ZR_OK && j < i; j++)
      if (strcmp(o[j].name, o[i].name) == 0)
        st = zr__err(err, ZR_ERR_MALFORMED, (int64_t)(HDR_SIZE + (uint64_t)i * ENTRY_SIZE),
                     "object name '%s' appears twice", o[i].name);
    if (st != ZR_OK) {
      zr__free(a, o);
      return st;
    }
    o[i].data = base + o[i].offset;
  }
  /* the writer must not have started over while we read */
  atomic_thread_fence(memory_order_acquire);
  if (ld_atomic32(base + H_STATE) != STATE_PUBLISHED || ld_atomic64(base + H_GENERATION) != gen) {
    zr__free(a, o);
    return zr__err(err, ZR_ERR_STATE, H_STATE, "region changed while it was being opened");
  }
  *objs = o;
  *count = n;
  *generation = gen;
  if (data_offset_out) *data_offset_out = data_offset;
  return ZR_OK;
}

zr_status zr_shm_header_check(const uint8_t *data, size_t len, size_t *count, zr_error *err) {
  if (!data && len) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "data is NULL");
  zr_shm_object *objs = NULL;
  size_t n = 0;
  uint64_t gen = 0;
  ZR_TRY(parse_region(data, len, zr_allocator_default(), &objs, &n, &gen, NULL, err));
  zr__free(zr_allocator_default(), objs);
  if (count) *count = n;
  return ZR_OK;
}

static zr_status verify_object(const zr_shm_object *o, zr_error *err) {
  if (!o->has_checksum) return ZR_OK;
  uint64_t h = zr_xxh3_64(o->data, (size_t)o->length, 0);
  if (h != o->checksum)
    return zr__err(err, ZR_ERR_CHECKSUM, (int64_t)o->offset, "object '%s': checksum mismatch", o->name);
  return ZR_OK;
}

zr_status zr_shm_open(const char *name, unsigned flags, const zr_allocator *alloc, zr_shm **out, zr_error *err) {
  if (!out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "out is NULL");
  *out = NULL;
  if (flags & ~(ZR_SHM_WRITE | ZR_SHM_VERIFY)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "unknown open flags 0x%x", flags);
  ZR_TRY(zr_shm_name_valid(name, err));
  zr_shm *r = handle_new(alloc);
  if (!r) return zr__err_nomem(err);
  canonical_name(name, r->name);
  r->writable = (flags & ZR_SHM_WRITE) != 0;
  int fd = shm_open(r->name, (r->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
  if (fd < 0) {
    zr_status st = sys_err(err, errno, "cannot open shared-memory region", r->name);
    handle_destroy(r);
    return st;
  }
  struct stat sb;
  zr_status st = ZR_OK;
  if (fstat(fd, &sb) != 0) st = sys_err(err, errno, "cannot stat shared-memory region", r->name);
  else if (sb.st_size < (off_t)HDR_SIZE)
    st = zr__err(err, ZR_ERR_TRUNCATED, (int64_t)sb.st_size, "region %s has %lld bytes, less than a header", r->name,
                 (long long)sb.st_size);
  if (st == ZR_OK) {
    r->size = (uint64_t)sb.st_size;
    void *p = mmap(NULL, r->size, PROT_READ | (r->writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) st = sys_err(err, errno, "cannot map shared-memory region", r->name);
    else r->base = p, zr__metrics_shm(1, (int64_t)r->size);
  }
  close(fd);
  if (st == ZR_OK)
    st = parse_region(r->base, r->size, &r->alloc, &r->objects, &r->count, &r->generation, &r->data_offset, err);
  for (size_t i = 0; st == ZR_OK && (flags & ZR_SHM_VERIFY) && i < r->count; i++) st = verify_object(&r->objects[i], err);
  if (st != ZR_OK) {
    handle_destroy(r);
    return st;
  }
  r->published = 1;
  *out = r;
  return ZR_OK;
}

zr_status zr_shm_unlink(const char *name, zr_error *err) {
  ZR_TRY(zr_shm_name_valid(name, err));
  char full[ZR_SHM_REGION_NAME_MAX + 2];
  canonical_name(name, full);
  if (shm_unlink(full) != 0) return sys_err(err, errno, "cannot unlink shared-memory region", full);
  return ZR_OK;
}

/* ---- queries ---- */

size_t zr_shm_count(const zr_shm *r) { return r ? r->count : 0; }

zr_status zr_shm_object_at(const zr_shm *r, size_t i, zr_shm_object *out, zr_error *err) {
  if (!r || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (i >= r->count) return zr__err(err, ZR_ERR_RANGE, -1, "object index %zu out of range (%zu objects)", i, r->count);
  *out = r->objects[i];
  return ZR_OK;
}

static const zr_shm_object *find(const zr_shm *r, const char *name) {
  for (size_t i = 0; i < r->count; i++)
    if (strcmp(r->objects[i].name, name) == 0) return &r->objects[i];
  return NULL;
}

zr_status zr_shm_find(const zr_shm *r, const char *name, zr_shm_object *out, zr_error *err) {
  if (!r || !name || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  const zr_shm_object *o = find(r, name);
  if (!o) return zr__err(err, ZR_ERR_NOT_FOUND, -1, "no object '%s' in region %s", name, r->name);
  *out = *o;
  return ZR_OK;
}

zr_status zr_shm_verify(const zr_shm *r, const char *name, zr_error *err) {
  if (!r) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "region is NULL");
  if (!r->published) return zr__err(err, ZR_ERR_STATE, -1, "checksums exist once the region is published");
  if (name) {
    const zr_shm_object *o = find(r, name);
    if (!o) return zr__err(err, ZR_ERR_NOT_FOUND, -1, "no object '%s' in region %s", name, r->name);
    return verify_object(o, err);
  }
  for (size_t i = 0; i < r->count; i++) ZR_TRY(verify_object(&r->objects[i], err));
  return ZR_OK;
}

static void tensor_from_object(const zr_shm_object *o, zr_tensor *t) {
  zr_tensor_init(t, o->dtype, o->itemsize, o->ndim, o->shape, (void *)(uintptr_t)o->data, NULL);
  t->byte_order = o->byte_order;
  t->time_unit = o->time_unit;
}

zr_status zr_shm_get_tensor(zr_shm *r, const char *name, zr_tensor *out, zr_error *err) {
  if (!r || !name || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  const zr_shm_object *o = find(r, name);
  if (!o) return zr__err(err, ZR_ERR_NOT_FOUND, -1, "no object '%s' in region %s", name, r->name);
  if (o->format != ZR_SHM_FORMAT_RAW || !o->dtype)
    return zr__err(err, ZR_ERR_TYPE, -1, "object '%s' is not a raw tensor (decode it with zr_shm_get_value)", name);
  tensor_from_object(o, out);
  zr_shm_ref(r);
  out->release = unref_cb;
  out->owner = r;
  return ZR_OK;
}

zr_status zr_shm_get_value(zr_shm *r, const char *name, const zr_decode_opts *opts, zr_doc **out, zr_error *err) {
  if (!r || !name || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  *out = NULL;
  const zr_shm_object *o = find(r, name);
  if (!o) return zr__err(err, ZR_ERR_NOT_FOUND, -1, "no object '%s' in region %s", name, r->name);
  zr_decode_opts d;
  zr_decode_opts_init(&d);
  if (opts) d = *opts;
  zr_doc *doc = NULL;
  if (o->format == ZR_SHM_FORMAT_RAW) {
    doc = zr__doc_new_limited(d.alloc, d.max_bytes);
    if (!doc) return zr__err_nomem(err);
    zr_value v;
    if (o->dtype) {
      zr_tensor t;
      tensor_from_object(o, &t);
      v = zr_tensor_value(doc, &t);
    } else {
      v = zr_bin_ref(o->data, (size_t)o->length);
    }
    zr_doc_set_root(doc, v);
    if (zr_doc_status(doc) != ZR_OK) {
      zr_doc_free(doc);
      return zr__err_nomem(err);
    }
  } else {
    const zr_format *f = zr_format_by_id(o->format);
    if (!f || !f->decode)
      return zr__err(err, ZR_ERR_FORMAT, -1, "object '%s' has format id %u, which this build cannot decode", name,
                     (unsigned)o->format);
    d.copy = 0;
    zr_status st = f->decode(o->data, (size_t)o->length, &d, &doc, err);
    if (st != ZR_OK) {
      if (err && err->offset >= 0) err->offset += (int64_t)o->offset; /* offsets relative to the region */
      return st;
    }
  }
  zr_shm_ref(r);
  if (zr_doc_keep(doc, unref_cb, r) != ZR_OK) {
    zr_shm_close(r);
    zr_doc_free(doc);
    return zr__err_nomem(err);
  }
  *out = doc;
  return ZR_OK;
}

void zr_shm_mapping(const zr_shm *r, const uint8_t **base, uint64_t *size) {
  if (base) *base = r ? r->base : NULL;
  if (size) *size = r ? r->size : 0;
}

uint64_t zr_shm_generation(const zr_shm *r) { return r ? r->generation : 0; }

zr_status zr_shm_check(const zr_shm *r, zr_error *err) {
  if (!r) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "region is NULL");
  if (!r->published) return zr__err(err, ZR_ERR_STATE, -1, "region %s is not published", r->name);
  if (ld_atomic32(r->base + H_STATE) != STATE_PUBLISHED || ld_atomic64(r->base + H_GENERATION) != r->generation)
    return zr__err(err, ZR_ERR_STATE, H_STATE, "region %s is no longer the generation %llu this handle opened", r->name,
                   (unsigned long long)r->generation);
  return ZR_OK;
}

const char *zr_shm_name(const zr_shm *r) { return r ? r->name : NULL; }
int zr_shm_writable(const zr_shm *r) { return r ? r->writable : 0; }
