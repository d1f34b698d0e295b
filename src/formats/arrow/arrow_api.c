/* Arrow module glue: core hooks (table equality and copy), concatenation for delta dictionaries,
 * C stream export/import, opening files through a read-only mapping. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/arrow/arrow_int.h"

extern int (*zr__table_equal_hook)(const zr_table *a, const zr_table *b);
extern zr_status (*zr__table_copy_hook)(zr_doc *d, const zr_table *src, zr_table *dst, zr_error *err);

int zr_arrow_table_equal(const zr_table *a, const zr_table *b) {
  if (a == b) return 1;
  if (!a || !b) return 0;
  return za_table_equal(a, b, NULL, 0);
}

static zr_status copy_with(const zr_allocator *alloc, const zr_table *src, zr_table *dst, zr_error *err) {
  memset(dst, 0, sizeof *dst);
  zr_sink *sink;
  ZR_TRY(zr_sink_memory_new(alloc, &sink, err));
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.alloc = alloc;
  zr_status st = zr_arrow_write(src, &wo, sink, err);
  const uint8_t *data;
  size_t len;
  if (!st) st = zr_sink_memory_data(sink, &data, &len);
  if (!st) {
    zr_arrow_read_opts ro;
    zr_arrow_read_opts_init(&ro);
    ro.alloc = alloc;
    ro.copy = 1;
    ro.validate = ZR_ARROW_VALIDATE_BOUNDS;
    st = zr_arrow_read(data, len, &ro, dst, err);
  }
  zr_sink_free(sink);
  return st;
}

zr_status zr_arrow_table_copy(const zr_table *src, zr_table *dst, zr_error *err) {
  if (!src || !dst) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL table");
  return copy_with(zr__alloc_or_default(src->alloc_ctx), src, dst, err);
}

static int hook_equal(const zr_table *a, const zr_table *b) { return zr_arrow_table_equal(a, b); }
static zr_status hook_copy(zr_doc *d, const zr_table *src, zr_table *dst, zr_error *err) {
  return copy_with(d ? &d->alloc : NULL, src, dst, err);
}

static void install_once(void) {
  zr__table_equal_hook = hook_equal;
  zr__table_copy_hook = hook_copy;
}

/* Idempotent and race-free: the hooks are written once (the constructor normally does it before
 * any thread starts); later calls from the encode paths only synchronise on the once flag. */
void za_install_hooks(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install_once);
}

__attribute__((constructor)) static void za_ctor(void) { za_install_hooks(); }

/* ---------------------------------------------------------------- concat */

/* A range of an array: rows [off, off + len) counted from the start of its buffers (the array's
 * own offset already added). */
typedef struct crange {
  const struct ArrowArray *a;
  int64_t off, len;
} crange;

static int64_t ld_o(const void *b, int big, int64_t i) {
  return big ? (int64_t)zr__ld64le((const uint8_t *)b + 8 * i) : (int32_t)zr__ld32le((const uint8_t *)b + 4 * i);
}

static void st_o(void *b, int big, int64_t i, int64_t v) {
  if (big) zr__st64le((uint8_t *)b + 8 * i, (uint64_t)v);
  else zr__st32le((uint8_t *)b + 4 * i, (uint32_t)v);
}

/* Concatenate two ranges of arrays of schema @p s into @p out (memory of @p st), depth-first
 * through list, large list, fixed-size list, map and struct children. */
static zr_status concat_rec(const struct ArrowSchema *s, crange A, crange B, za_store *st, struct ArrowArray *out,
                            unsigned depth, zr_error *err) {
  za_type t;
  ZR_TRY(za_parse_format(s->format, &t, err));
  if (depth > 64) return zr__err(err, ZR_ERR_LIMIT, -1, "arrow: dictionary nested too deeply");
  if (s->dictionary ||
      (t.layout != ZA_L_NULL && t.layout != ZA_L_BOOL && t.layout != ZA_L_FIXED && t.layout != ZA_L_BIN &&
       t.layout != ZA_L_LBIN && t.layout != ZA_L_LIST && t.layout != ZA_L_LLIST && t.layout != ZA_L_FSL &&
       t.layout != ZA_L_STRUCT))
    return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "arrow: delta dictionaries of type %s are not supported", s->format);
  int64_t n = A.len + B.len;
  int nb = t.layout == ZA_L_NULL ? 0 : (t.layout == ZA_L_BIN || t.layout == ZA_L_LBIN) ? 3
         : (t.layout == ZA_L_FSL || t.layout == ZA_L_STRUCT) ? 1 : 2;
  int nk = t.layout == ZA_L_STRUCT ? (int)s->n_children : (t.layout == ZA_L_LIST || t.layout == ZA_L_LLIST || t.layout == ZA_L_FSL) ? 1 : 0;
  ZR_TRY(za_array_make(out, st, nb, nk, 0));
  out->length = n;
  if (t.layout == ZA_L_NULL) {
    out->null_count = n;
    return ZR_OK;
  }
  uint8_t *bm = za_store_alloc(st, (size_t)(n + 7) / 8 + 1);
  if (!bm) goto nomem;
  memset(bm, 0, (size_t)(n + 7) / 8 + 1);
  int64_t nulls = 0;
  for (int64_t i = 0; i < n; i++) {
    const crange *r = i < A.len ? &A : &B;
    int64_t j = r->off + (i < A.len ? i : i - A.len);
    int v = r->a->null_count == 0 || za_bit(r->a->buffers[0], j);
    za_setbit(bm, i, v);
    nulls += !v;
  }
  out->buffers[0] = bm;
  out->null_count = nulls;
  switch (t.layout) {
    case ZA_L_BOOL: {
      uint8_t *d = za_store_alloc(st, (size_t)(n + 7) / 8 + 1);
      if (!d) goto nomem;
      memset(d, 0, (size_t)(n + 7) / 8 + 1);
      for (int64_t i = 0; i < n; i++)
        za_setbit(d, i, i < A.len ? za_bit(A.a->buffers[1], A.off + i) : za_bit(B.a->buffers[1], B.off + i - A.len));
      out->buffers[1] = d;
      return ZR_OK;
    }
    case ZA_L_FIXED: {
      size_t w = (size_t)t.width;
      uint8_t *d = za_store_alloc(st, w * (size_t)n + 1);
      if (!d) goto nomem;
      if (A.len) memcpy(d, (const uint8_t *)A.a->buffers[1] + w * (size_t)A.off, w * (size_t)A.len);
      if (B.len) memcpy(d + w * (size_t)A.len, (const uint8_t *)B.a->buffers[1] + w * (size_t)B.off, w * (size_t)B.len);
      out->buffers[1] = d;
      return ZR_OK;
    }
    case ZA_L_BIN:
    case ZA_L_LBIN:
    case ZA_L_LIST:
    case ZA_L_LLIST: {
      int big = t.layout == ZA_L_LBIN || t.layout == ZA_L_LLIST, ow = big ? 8 : 4;
      const void *ao = A.a->buffers[1], *bo = B.a->buffers[1];
      int64_t a0 = A.len ? ld_o(ao, big, A.off) : 0, a1 = A.len ? ld_o(ao, big, A.off + A.len) : 0;
      int64_t b0 = B.len ? ld_o(bo, big, B.off) : 0, b1 = B.len ? ld_o(bo, big, B.off + B.len) : 0;
      int64_t total = (a1 - a0) + (b1 - b0);
      if (!big && total > INT32_MAX) {
        za_array_release(out);
        return zr__err(err, ZR_ERR_OVERFLOW, -1, "arrow: dictionary too large");
      }
      uint8_t *o = za_store_alloc(st, (size_t)(n + 1) * ow);
      if (!o) goto nomem;
      st_o(o, big, 0, 0);
      for (int64_t i = 1; i <= n; i++)
        st_o(o, big, i, i <= A.len ? ld_o(ao, big, A.off + i) - a0 : (a1 - a0) + ld_o(bo, big, B.off + i - A.len) - b0);
      out->buffers[1] = o;
      if (t.layout == ZA_L_BIN || t.layout == ZA_L_LBIN) {
        uint8_t *d = za_store_alloc(st, (size_t)total + 1);
        if (!d) goto nomem;
        if (a1 > a0) memcpy(d, (const uint8_t *)A.a->buffers[2] + a0, (size_t)(a1 - a0));
        if (b1 > b0) memcpy(d + (a1 - a0), (const uint8_t *)B.a->buffers[2] + b0, (size_t)(b1 - b0));
        out->buffers[2] = d;
        return ZR_OK;
      }
      crange ca = {A.a->children[0], A.a->children[0]->offset + a0, a1 - a0};
      crange cb = {B.a->children[0], B.a->children[0]->offset + b0, b1 - b0};
      zr_status rc = concat_rec(s->children[0], ca, cb, st, out->children[0], depth + 1, err);
      if (rc) za_array_release(out);
      return rc;
    }
    case ZA_L_FSL: {
      int64_t k = t.list_size;
      crange ca = {A.a->children[0], A.a->children[0]->offset + A.off * k, A.len * k};
      crange cb = {B.a->children[0], B.a->children[0]->offset + B.off * k, B.len * k};
      zr_status rc = concat_rec(s->children[0], ca, cb, st, out->children[0], depth + 1, err);
      if (rc) za_array_release(out);
      return rc;
    }
    case ZA_L_STRUCT:
      for (int64_t i = 0; i < s->n_children; i++) {
        crange ca = {A.a->children[i], A.a->children[i]->offset + A.off, A.len};
        crange cb = {B.a->children[i], B.a->children[i]->offset + B.off, B.len};
        zr_status rc = concat_rec(s->children[i], ca, cb, st, out->children[i], depth + 1, err);
        if (rc) {
          za_array_release(out);
          return rc;
        }
      }
      return ZR_OK;
    default:
      break;
  }
  return ZR_OK;
nomem:
  za_array_release(out);
  return zr__err_nomem(err);
}

zr_status zr__arrow_concat(const struct ArrowSchema *s, const struct ArrowArray *a, const struct ArrowArray *b,
                           za_store *st, struct ArrowArray *out, zr_error *err) {
  crange A = {a, a->offset, a->length}, B = {b, b->offset, b->length};
  return concat_rec(s, A, B, st, out, 0, err);
}

/* ---------------------------------------------------------------- C stream */

typedef struct tstream {
  zr_table t;
  int64_t next;
  char msg[128];
} tstream;

static int ts_schema(struct ArrowArrayStream *s, struct ArrowSchema *out) {
  tstream *p = s->private_data;
  const zr_allocator *a = zr__alloc_or_default(p->t.alloc_ctx);
  return za_schema_copy(&p->t.schema, out, a) ? 12 /* ENOMEM */ : 0;
}

static int ts_next(struct ArrowArrayStream *s, struct ArrowArray *out) {
  tstream *p = s->private_data;
  if (p->next >= p->t.n_batches) {
    memset(out, 0, sizeof *out);
    return 0;
  }
  *out = p->t.batches[p->next];
  p->t.batches[p->next].release = NULL; /* moved */
  p->next++;
  return 0;
}

static const char *ts_err(struct ArrowArrayStream *s) {
  tstream *p = s->private_data;
  return p->msg[0] ? p->msg : NULL;
}

static void ts_release(struct ArrowArrayStream *s) {
  if (!s->release) return;
  tstream *p = s->private_data;
  const zr_allocator *a = zr__alloc_or_default(p->t.alloc_ctx);
  zr_table_release(&p->t);
  zr__free(a, p);
  s->release = NULL;
}

zr_status zr_arrow_table_to_stream(zr_table *t, struct ArrowArrayStream *out, zr_error *err) {
  if (!t || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL argument");
  const zr_allocator *a = zr__alloc_or_default(t->alloc_ctx);
  tstream *p = zr__malloc(a, sizeof *p);
  if (!p) return zr__err_nomem(err);
  memset(p, 0, sizeof *p);
  p->t = *t;
  memset(t, 0, sizeof *t);
  out->get_schema = ts_schema;
  out->get_next = ts_next;
  out->get_last_error = ts_err;
  out->release = ts_release;
  out->private_data = p;
  return ZR_OK;
}

zr_status zr_arrow_table_from_stream(struct ArrowArrayStream *in, zr_table *out, zr_error *err) {
  if (!in || !out || !in->release) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL or released stream");
  memset(out, 0, sizeof *out);
  zr_status st = ZR_OK;
  if (in->get_schema(in, &out->schema) != 0) {
    const char *m = in->get_last_error(in);
    st = zr__err(err, ZR_ERR_IO, -1, "arrow: stream schema: %s", m ? m : "error");
  }
  int64_t cap = 0;
  const zr_allocator *a = zr_allocator_default();
  while (!st) {
    struct ArrowArray b;
    memset(&b, 0, sizeof b);
    if (in->get_next(in, &b) != 0) {
      const char *m = in->get_last_error(in);
      st = zr__err(err, ZR_ERR_IO, -1, "arrow: stream batch: %s", m ? m : "error");
      break;
    }
    if (!b.release) break;
    if (out->n_batches == cap) {
      int64_t nc = cap ? cap * 2 : 4;
      struct ArrowArray *nb = zr__realloc(a, out->batches, (size_t)nc * sizeof *nb);
      if (!nb) {
        b.release(&b);
        st = zr__err_nomem(err);
        break;
      }
      out->batches = nb;
      cap = nc;
    }
    out->batches[out->n_batches++] = b;
  }
  in->release(in);
  if (st) zr_table_release(out);
  return st;
}

/* ---------------------------------------------------------------- mmap open */

typedef struct mapping {
  void *p;
  size_t len;
} mapping;

static void unmap(void *o) {
  mapping *m = o;
  if (m->p && m->len) munmap(m->p, m->len);
  free(m);
}

zr_status zr_arrow_open(const char *path, const zr_arrow_read_opts *opts, zr_doc **out, zr_error *err) {
  if (!path || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "arrow: NULL argument");
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return zr__err(err, ZR_ERR_IO, -1, "arrow: cannot open %s", path);
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    close(fd);
    return zr__err(err, ZR_ERR_IO, -1, "arrow: cannot stat %s", path);
  }
  mapping *m = malloc(sizeof *m);
  if (!m) {
    close(fd);
    return zr__err_nomem(err);
  }
  m->len = (size_t)sb.st_size;
  m->p = NULL;
  if (m->len) {
    m->p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m->p == MAP_FAILED) {
      close(fd);
      free(m);
      return zr__err(err, ZR_ERR_IO, -1, "arrow: cannot map %s", path);
    }
  }
  close(fd);
  zr_arrow_read_opts o;
  if (opts) o = *opts;
  else zr_arrow_read_opts_init(&o);
  o.keep_release = unmap;
  o.keep_owner = m;
  zr_table t;
  zr_status st = zr_arrow_read(m->p, m->len, &o, &t, err); /* unmaps on failure / copy */
  if (st) return st;
  zr_doc *d = zr__doc_new_limited(o.alloc, 0);
  if (!d) {
    zr_table_release(&t);
    return zr__err_nomem(err);
  }
  zr_value v = zr_table_value(d, &t);
  if (zr_doc_status(d) || v.kind != ZR_KIND_TABLE) {
    zr_table_release(&t);
    zr_doc_free(d);
    return zr__err_nomem(err);
  }
  zr_doc_set_root(d, v);
  *out = d;
  return ZR_OK;
}
