/* Safe pickle reader: a restricted interpreter of the data opcodes with an allow-list of NumPy
 * reconstructors. Nothing is ever imported or called: allowed globals are symbols this file
 * interprets itself. */
#include <stdio.h>
#include <stdlib.h>

#include "formats/numpy/numpy_internal.h"
#include "formats/numpy/pickle_ops.h"
#include "formats/numpy/pylit.h"

typedef enum {
  PO_NONE, PO_BOOL, PO_INT, PO_BIG, PO_FLOAT, PO_STR, PO_BYTES, PO_BYTEARRAY, PO_PBUF, PO_TUPLE, PO_LIST,
  PO_DICT, PO_GLOBAL, PO_DTYPE, PO_ARRAY, PO_MARK
} po_type;

typedef enum { G_RECONSTRUCT, G_FROMBUFFER_PRIV, G_SCALAR, G_NDARRAY, G_DTYPE, G_FROMBUFFER, G_CODECS_ENCODE, G_BYTES } g_id;

typedef struct pobj pobj;

typedef struct pdtype {
  char kind;          /* b i u f c M m S U V O */
  uint64_t size;      /* bytes (U: bytes too, 4 per char) */
  char order;         /* '<' '>' '|' */
  int has_unit;
  char unit[8];
  int64_t unit_num;
  pobj *sub_base;     /* subarray: base dtype and shape */
  pobj *sub_shape;
  pobj *names;        /* tuple of str */
  pobj *fields;       /* dict name → (dtype, offset[, title]) */
} pdtype;

struct pobj {
  po_type t;
  int readonly;
  union {
    int b;
    int64_t i;
    double f;
    struct { const uint8_t *p; uint64_t n; int neg; } s; /* str (UTF-8), bytes, bigint magnitude LE */
    struct { pobj **items; uint64_t n, cap; } seq;        /* tuple, list, dict (k, v pairs) */
    g_id g;
    pdtype *dt;
    zr_tensor *arr;
  } u;
};

typedef struct pr {
  const uint8_t *d;
  size_t len, pos;
  zr_doc *doc;
  const zr_decode_opts *opts;
  const zr_pickle_buffer *bufs;
  size_t nbufs, next_buf;
  pobj **stack;
  size_t sp, scap;
  size_t *marks;
  size_t nmarks, mcap;
  pobj **memo;
  size_t nmemo;
  uint64_t objects;
  uint64_t descr_budget; /* dtype description steps left (shared dtypes could blow up) */
  zr_error *err;
} pr;

static zr_status perr(pr *r, zr_status code, const char *fmt, const char *what) {
  return zr__err(r->err, code, (int64_t)r->pos, fmt, what);
}

static pobj *newobj(pr *r, po_type t) {
  if (++r->objects > r->opts->max_elements) return NULL;
  pobj *o = zr_doc_alloc(r->doc, sizeof *o, 8);
  if (o) {
    memset(o, 0, sizeof *o);
    o->t = t;
  }
  return o;
}

static zr_status oom(pr *r) {
  if (r->objects > r->opts->max_elements) return perr(r, ZR_ERR_LIMIT, "pickle: more than max_elements objects%s", "");
  if (r->doc->arena.over_limit)
    return zr__err(r->err, ZR_ERR_LIMIT, (int64_t)r->pos, "pickle: decoding needs more than max_bytes (%llu) of memory",
                   (unsigned long long)r->doc->arena.limit);
  return zr__err(r->err, ZR_ERR_NOMEM, (int64_t)r->pos, "pickle: out of memory");
}

static zr_status push(pr *r, pobj *o) {
  if (!o) return oom(r);
  if (r->sp == r->scap) {
    size_t nc = r->scap ? r->scap * 2 : 64;
    if (nc > r->opts->max_elements + 64) return perr(r, ZR_ERR_LIMIT, "pickle: stack too deep%s", "");
    pobj **ns = zr__realloc(&r->doc->alloc, r->stack, nc * sizeof *ns);
    if (!ns) return oom(r);
    r->stack = ns;
    r->scap = nc;
  }
  r->stack[r->sp++] = o;
  return ZR_OK;
}

static zr_status pop(pr *r, pobj **o) {
  size_t floor = r->nmarks ? r->marks[r->nmarks - 1] : 0;
  if (r->sp <= floor) return perr(r, ZR_ERR_MALFORMED, "pickle: stack underflow%s", "");
  *o = r->stack[--r->sp];
  return ZR_OK;
}

static zr_status top(pr *r, pobj **o) {
  size_t floor = r->nmarks ? r->marks[r->nmarks - 1] : 0;
  if (r->sp <= floor) return perr(r, ZR_ERR_MALFORMED, "pickle: stack underflow%s", "");
  *o = r->stack[r->sp - 1];
  return ZR_OK;
}

/* pop everything above the last mark: items [*first, sp) */
static zr_status pop_mark(pr *r, size_t *first) {
  if (!r->nmarks) return perr(r, ZR_ERR_MALFORMED, "pickle: no MARK on the stack%s", "");
  *first = r->marks[--r->nmarks];
  return ZR_OK;
}

static zr_status seq_add(pr *r, pobj *s, pobj *item) {
  if (s->u.seq.n == s->u.seq.cap) {
    uint64_t nc = s->u.seq.cap ? s->u.seq.cap * 2 : 4;
    pobj **ni = zr_doc_alloc(r->doc, (size_t)nc * sizeof *ni, 8);
    if (!ni) return oom(r);
    if (s->u.seq.n) memcpy(ni, s->u.seq.items, (size_t)s->u.seq.n * sizeof *ni);
    s->u.seq.items = ni;
    s->u.seq.cap = nc;
  }
  s->u.seq.items[s->u.seq.n++] = item;
  return ZR_OK;
}

/* the stack slots from index i on (NULL while no stack was allocated: no pointer arithmetic on NULL) */
static pobj **stack_at(pr *r, size_t i) { return r->stack ? r->stack + i : NULL; }

static pobj *make_seq(pr *r, po_type t, pobj **items, size_t n) {
  pobj *o = newobj(r, t);
  if (!o) return NULL;
  if (n) {
    o->u.seq.items = zr_doc_alloc(r->doc, n * sizeof(pobj *), 8);
    if (!o->u.seq.items) return NULL;
    memcpy(o->u.seq.items, items, n * sizeof(pobj *));
  }
  o->u.seq.n = o->u.seq.cap = n;
  return o;
}

static zr_status need(pr *r, uint64_t n) {
  if (n > r->len - r->pos) return zr__err(r->err, ZR_ERR_TRUNCATED, (int64_t)r->len, "pickle: truncated (need %llu more bytes)", (unsigned long long)n);
  return ZR_OK;
}

/* ---- globals: the allow-list ---- */

/* The allow-list: the reconstructor id of module.name, or -1 (also used by the inspector). */
int zr__pickle_global_id(const uint8_t *mod, size_t ml, const uint8_t *name, size_t nl);
int zr__pickle_global_id(const uint8_t *mod, size_t ml, const uint8_t *name, size_t nl) {
  static const char *const mods[] = {"numpy.core.multiarray", "numpy._core.multiarray", "numpy.core.numeric", "numpy._core.numeric"};
  static const struct { const char *mod; const char *name; g_id id; } pub[] = {
      {"numpy", "ndarray", G_NDARRAY}, {"numpy", "dtype", G_DTYPE}, {"numpy", "frombuffer", G_FROMBUFFER},
      {"_codecs", "encode", G_CODECS_ENCODE}, {"__builtin__", "bytes", G_BYTES}, {"builtins", "bytes", G_BYTES},
  };
  int found = -1;
  for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++)
    if (strlen(pub[i].mod) == ml && memcmp(pub[i].mod, mod, ml) == 0 && strlen(pub[i].name) == nl && memcmp(pub[i].name, name, nl) == 0)
      found = (int)pub[i].id;
  for (size_t i = 0; i < 4 && found < 0; i++) {
    if (strlen(mods[i]) != ml || memcmp(mods[i], mod, ml) != 0) continue;
    if (nl == 12 && memcmp(name, "_reconstruct", 12) == 0) found = G_RECONSTRUCT;
    else if (nl == 11 && memcmp(name, "_frombuffer", 11) == 0) found = G_FROMBUFFER_PRIV;
    else if (nl == 6 && memcmp(name, "scalar", 6) == 0) found = G_SCALAR;
  }
  /* numpy.core.multiarray / numpy.core.numeric also export ndarray and dtype */
  if (found < 0)
    for (size_t i = 0; i < 4; i++)
      if (strlen(mods[i]) == ml && memcmp(mods[i], mod, ml) == 0) {
        if (nl == 7 && memcmp(name, "ndarray", 7) == 0) found = G_NDARRAY;
        if (nl == 5 && memcmp(name, "dtype", 5) == 0) found = G_DTYPE;
      }
  return found;
}

static zr_status resolve_global(pr *r, const uint8_t *mod, size_t ml, const uint8_t *name, size_t nl, pobj **out) {
  int found = zr__pickle_global_id(mod, ml, name, nl);
  if (found < 0) {
    int ml_ = (int)(ml > 100 ? 100 : ml), nl_ = (int)(nl > 100 ? 100 : nl);
    return zr__err(r->err, ZR_ERR_REFUSED, (int64_t)r->pos, "pickle: global '%.*s.%.*s' is not allowed (only NumPy array reconstructors are)", ml_, (const char *)mod, nl_, (const char *)name);
  }
  pobj *o = newobj(r, PO_GLOBAL);
  if (!o) return oom(r);
  o->u.g = (g_id)found;
  *out = o;
  return ZR_OK;
}

/* ---- dtypes ---- */

static int is_str(const pobj *o, const char *s) {
  return o && o->t == PO_STR && o->u.s.n == strlen(s) && memcmp(o->u.s.p, s, o->u.s.n) == 0;
}

static zr_status dtype_new(pr *r, const pobj *arg, pobj **out) {
  if (!arg || arg->t != PO_STR || arg->u.s.n == 0 || arg->u.s.n > 40)
    return perr(r, ZR_ERR_UNSUPPORTED, "pickle: numpy.dtype() argument must be a type string%s", "");
  zr_doc *doc = r->doc;
  zr_tensor t;
  memset(&t, 0, sizeof t);
  char buf[48];
  memcpy(buf, arg->u.s.p, (size_t)arg->u.s.n);
  buf[arg->u.s.n] = 0;
  pdtype *d = zr_doc_alloc(doc, sizeof *d, 8);
  pobj *o = newobj(r, PO_DTYPE);
  if (!d || !o) return oom(r);
  memset(d, 0, sizeof *d);
  const char *p = buf;
  d->order = '|';
  if (*p == '<' || *p == '>' || *p == '|' || *p == '=') {
    d->order = *p == '=' ? '<' : *p;
    p++;
  }
  if (*p == 'O') return perr(r, ZR_ERR_REFUSED, "pickle: object dtype refused (it would need unpickling arbitrary objects)%s", "");
  d->kind = *p == '?' ? 'b' : *p;
  if (!strchr("biufcMmSUVa", d->kind) || !d->kind) return perr(r, ZR_ERR_UNSUPPORTED, "pickle: unsupported dtype '%s'", buf);
  if (d->kind == 'a') d->kind = 'S';
  p++;
  uint64_t n = *p ? 0 : (d->kind == 'b' ? 1 : 0);
  while (*p >= '0' && *p <= '9') n = n * 10 + (uint64_t)(*p++ - '0');
  if (*p == '[') { /* unit in the string itself */
    const char *e = strchr(p, ']');
    if (!e || (size_t)(e - p - 1) >= sizeof d->unit) return perr(r, ZR_ERR_UNSUPPORTED, "pickle: bad dtype '%s'", buf);
    memcpy(d->unit, p + 1, (size_t)(e - p - 1));
    d->has_unit = 1;
    d->unit_num = 1;
    p = e + 1;
  }
  if (*p) return perr(r, ZR_ERR_UNSUPPORTED, "pickle: unsupported dtype '%s'", buf);
  d->size = d->kind == 'U' ? n * 4 : n;
  if (d->kind != 'b' && d->kind != 'S' && d->kind != 'V' && !(d->kind == 'i' && n == 1) && !(d->kind == 'u' && n == 1) && d->order == '|')
    d->order = '<';
  o->u.dt = d;
  *out = o;
  return ZR_OK;
}

static zr_status dtype_build(pr *r, pdtype *d, const pobj *st) {
  if (!st || st->t != PO_TUPLE || st->u.seq.n < 8) return perr(r, ZR_ERR_UNSUPPORTED, "pickle: unexpected dtype state%s", "");
  pobj **s = st->u.seq.items;
  if (s[1]->t == PO_STR && s[1]->u.s.n == 1) {
    char o = (char)s[1]->u.s.p[0];
    d->order = o == '=' ? '<' : o;
  }
  if (s[2]->t == PO_TUPLE && s[2]->u.seq.n == 2 && s[2]->u.seq.items[0]->t == PO_DTYPE) {
    d->sub_base = s[2]->u.seq.items[0];
    d->sub_shape = s[2]->u.seq.items[1];
  }
  if (s[3]->t == PO_TUPLE) d->names = s[3];
  if (s[4]->t == PO_DICT) d->fields = s[4];
  if (s[5]->t == PO_INT && s[5]->u.i >= 0) d->size = (uint64_t)s[5]->u.i;
  if (st->u.seq.n >= 9 && (d->kind == 'M' || d->kind == 'm')) {
    /* metadata: ({}, (b'ns', num, den, events)) */
    pobj *m = s[8];
    if (m->t == PO_TUPLE && m->u.seq.n == 2) m = m->u.seq.items[1];
    if (m->t == PO_TUPLE && m->u.seq.n >= 2 && m->u.seq.items[0]->t == PO_BYTES && m->u.seq.items[0]->u.s.n < sizeof d->unit &&
        m->u.seq.items[1]->t == PO_INT) {
      memcpy(d->unit, m->u.seq.items[0]->u.s.p, (size_t)m->u.seq.items[0]->u.s.n);
      d->unit[m->u.seq.items[0]->u.s.n] = 0;
      d->unit_num = m->u.seq.items[1]->u.i;
      d->has_unit = strcmp(d->unit, "generic") != 0;
    }
  }
  return ZR_OK;
}

static pobj *dict_get(const pobj *dict, const pobj *key) {
  for (uint64_t i = 0; i + 1 < dict->u.seq.n; i += 2) {
    const pobj *k = dict->u.seq.items[i];
    if (k->t == PO_STR && key->t == PO_STR && k->u.s.n == key->u.s.n && memcmp(k->u.s.p, key->u.s.p, k->u.s.n) == 0)
      return dict->u.seq.items[i + 1];
  }
  return NULL;
}

/* Append the descr literal of d (string or list) to b. */
static zr_status dtype_descr(pr *r, const pdtype *d, zr__buf *b, unsigned depth) {
  if (depth > 32) return perr(r, ZR_ERR_LIMIT, "pickle: dtype nested too deeply%s", "");
  if (r->descr_budget == 0 || b->len > 1000000) return perr(r, ZR_ERR_LIMIT, "pickle: dtype description too large%s", "");
  r->descr_budget--;
  if (d->names && d->fields) {
    ZR_TRY(zr__buf_push(b, '['));
    uint64_t nf = d->names->u.seq.n, pos = 0;
    if (nf > 8192 || d->fields->u.seq.n > 65536) return perr(r, ZR_ERR_LIMIT, "pickle: more than 8192 record fields%s", "");
    /* look every field up once, then write them in offset order (names order among equals) */
    typedef struct { int64_t off; uint64_t idx; const pobj *f; } fent;
    fent *ents = zr_doc_alloc(r->doc, (size_t)(nf ? nf : 1) * sizeof *ents, 8);
    if (!ents) return oom(r);
    for (uint64_t i = 0; i < nf; i++) {
      const pobj *f = dict_get(d->fields, d->names->u.seq.items[i]);
      if (!f || f->t != PO_TUPLE || f->u.seq.n < 2 || f->u.seq.items[0]->t != PO_DTYPE || f->u.seq.items[1]->t != PO_INT)
        return perr(r, ZR_ERR_MALFORMED, "pickle: bad dtype fields%s", "");
      if (f->u.seq.items[1]->u.i < 0) return perr(r, ZR_ERR_MALFORMED, "pickle: bad field offset%s", "");
      ents[i].off = f->u.seq.items[1]->u.i;
      ents[i].idx = i;
      ents[i].f = f;
    }
    for (uint64_t i = 1; i < nf; i++) { /* insertion sort: fields are nearly always in order already */
      fent x = ents[i];
      uint64_t j = i;
      while (j > 0 && (ents[j - 1].off > x.off)) {
        ents[j] = ents[j - 1];
        j--;
      }
      ents[j] = x;
    }
    for (uint64_t done = 0; done < nf; done++) {
      const pobj *best = ents[done].f, *bestname = d->names->u.seq.items[ents[done].idx];
      int64_t bo = ents[done].off;
      if ((uint64_t)bo < pos) return perr(r, ZR_ERR_UNSUPPORTED, "pickle: overlapping record fields are not supported%s", "");
      if (done) ZR_TRY(zr__buf_append(b, ", ", 2));
      if ((uint64_t)bo > pos) ZR_TRY(zr__buf_printf(b, "('', '|V%llu'), ", (unsigned long long)((uint64_t)bo - pos)));
      const pdtype *fd = best->u.seq.items[0]->u.dt;
      zr_value nmv = zr_str_ref((const char *)bestname->u.s.p, (size_t)bestname->u.s.n);
      ZR_TRY(zr__buf_push(b, '('));
      if (best->u.seq.n >= 3 && best->u.seq.items[2]->t == PO_STR) {
        zr_value tv = zr_str_ref((const char *)best->u.seq.items[2]->u.s.p, (size_t)best->u.seq.items[2]->u.s.n);
        ZR_TRY(zr__buf_push(b, '('));
        ZR_TRY(zr__pylit_repr(b, &tv));
        ZR_TRY(zr__buf_append(b, ", ", 2));
        ZR_TRY(zr__pylit_repr(b, &nmv));
        ZR_TRY(zr__buf_push(b, ')'));
      } else {
        ZR_TRY(zr__pylit_repr(b, &nmv));
      }
      ZR_TRY(zr__buf_append(b, ", ", 2));
      uint64_t fsize = fd->size;
      if (fd->sub_base) {
        ZR_TRY(dtype_descr(r, fd->sub_base->u.dt, b, depth + 1));
        ZR_TRY(zr__buf_append(b, ", (", 3));
        const pobj *sh = fd->sub_shape;
        if (sh->t == PO_INT) ZR_TRY(zr__buf_printf(b, "%lld,", (long long)sh->u.i));
        else if (sh->t == PO_TUPLE) {
          for (uint64_t k = 0; k < sh->u.seq.n; k++) {
            if (sh->u.seq.items[k]->t != PO_INT) return perr(r, ZR_ERR_MALFORMED, "pickle: bad subarray shape%s", "");
            ZR_TRY(zr__buf_printf(b, k ? ", %lld" : "%lld", (long long)sh->u.seq.items[k]->u.i));
          }
          if (sh->u.seq.n == 1) ZR_TRY(zr__buf_push(b, ','));
        }
        ZR_TRY(zr__buf_push(b, ')'));
      } else {
        ZR_TRY(dtype_descr(r, fd, b, depth + 1));
      }
      ZR_TRY(zr__buf_push(b, ')'));
      pos = (uint64_t)bo + fsize;
    }
    if (d->size > pos) ZR_TRY(zr__buf_printf(b, "%s('', '|V%llu')", nf ? ", " : "", (unsigned long long)(d->size - pos)));
    return zr__buf_push(b, ']');
  }
  if (d->sub_base) return perr(r, ZR_ERR_UNSUPPORTED, "pickle: subarray dtype at the top level%s", "");
  char order = d->order;
  if (d->kind == 'b' || d->kind == 'S' || d->kind == 'V' || d->size == 1) order = '|';
  char kind = d->kind;
  uint64_t n = kind == 'U' ? d->size / 4 : d->size;
  if (kind == 'M' || kind == 'm') {
    if (d->has_unit && d->unit_num != 1) return zr__buf_printf(b, "'%c%c8[%lld%s]'", order, kind, (long long)d->unit_num, d->unit);
    if (d->has_unit) return zr__buf_printf(b, "'%c%c8[%s]'", order, kind, d->unit);
    return zr__buf_printf(b, "'%c%c8'", order, kind);
  }
  return zr__buf_printf(b, "'%c%c%llu'", order, kind, (unsigned long long)n);
}

/* Fill a tensor template (dtype fields, descr in doc) from a dtype object. */
static zr_status dtype_tensor(pr *r, const pobj *dto, zr_tensor *t) {
  if (!dto || dto->t != PO_DTYPE) return perr(r, ZR_ERR_MALFORMED, "pickle: expected a dtype%s", "");
  zr__buf b;
  zr__buf_init(&b, &r->doc->alloc);
  zr_status st = dtype_descr(r, dto->u.dt, &b, 0);
  if (st == ZR_ERR_NOMEM) st = oom(r);
  if (st == ZR_OK) {
    const char *s = (const char *)b.data;
    size_t n = b.len;
    if (n >= 2 && s[0] == '\'') { s++; n -= 2; } /* bare type string */
    memset(t, 0, sizeof *t);
    st = zr__npy_descr_from_text(s, n, r->doc, t, r->err);
  }
  zr__buf_free(&b);
  return st;
}

/* ---- arrays ---- */

static zr_status shape_from(pr *r, const pobj *sh, zr_tensor *t) {
  if (sh->t == PO_INT) {
    t->ndim = 1;
    t->shape[0] = sh->u.i;
  } else {
    if (sh->t != PO_TUPLE && sh->t != PO_LIST) return perr(r, ZR_ERR_MALFORMED, "pickle: array shape is not a tuple%s", "");
    if (sh->u.seq.n > ZR_TENSOR_MAX_DIMS) return perr(r, ZR_ERR_LIMIT, "pickle: too many dimensions%s", "");
    t->ndim = (uint32_t)sh->u.seq.n;
    for (uint32_t i = 0; i < t->ndim; i++) {
      if (sh->u.seq.items[i]->t != PO_INT) return perr(r, ZR_ERR_MALFORMED, "pickle: array shape entry is not an int%s", "");
      t->shape[i] = sh->u.seq.items[i]->u.i;
    }
  }
  uint64_t nb = t->itemsize;
  for (uint32_t i = 0; i < t->ndim; i++) {
    if (t->shape[i] < 0) return perr(r, ZR_ERR_MALFORMED, "pickle: negative extent%s", "");
    if (zr__mul_overflow(nb, (uint64_t)t->shape[i], &nb) || nb > (uint64_t)INT64_MAX) return perr(r, ZR_ERR_OVERFLOW, "pickle: shape × itemsize overflows%s", "");
  }
  t->nbytes = nb;
  return ZR_OK;
}

static void strides_for(zr_tensor *t, int fortran) {
  int64_t s = (int64_t)t->itemsize;
  for (uint32_t k = 0; k < t->ndim; k++) {
    uint32_t d = fortran ? k : t->ndim - 1 - k;
    t->strides[d] = s;
    s *= t->shape[d] ? t->shape[d] : 1;
  }
}

static int bytes_like(const pobj *o) { return o->t == PO_BYTES || o->t == PO_BYTEARRAY || o->t == PO_PBUF; }

static zr_status make_array(pr *r, const pobj *dto, const pobj *shape, int fortran, const uint8_t *p, uint64_t n, int exact, pobj **out) {
  zr_tensor *t = zr_doc_alloc(r->doc, sizeof *t, 8);
  if (!t) return oom(r);
  ZR_TRY(dtype_tensor(r, dto, t));
  ZR_TRY(shape_from(r, shape, t));
  if (exact ? n != t->nbytes : n < t->nbytes)
    return zr__err(r->err, ZR_ERR_MALFORMED, (int64_t)r->pos, "pickle: array needs %llu bytes, buffer has %llu", (unsigned long long)t->nbytes, (unsigned long long)n);
  strides_for(t, fortran);
  t->data = t->nbytes ? (void *)(uintptr_t)p : NULL;
  pobj *o = newobj(r, PO_ARRAY);
  if (!o) return oom(r);
  o->u.arr = t;
  *out = o;
  return ZR_OK;
}

static int order_f(const pobj *o) { return is_str(o, "F"); }

static zr_status call(pr *r, const pobj *fn, const pobj *args, pobj **out) {
  if (fn->t != PO_GLOBAL) return perr(r, ZR_ERR_REFUSED, "pickle: REDUCE on something that is not an allowed global%s", "");
  if (args->t != PO_TUPLE) return perr(r, ZR_ERR_MALFORMED, "pickle: REDUCE arguments are not a tuple%s", "");
  pobj **a = args->u.seq.items;
  uint64_t n = args->u.seq.n;
  switch (fn->u.g) {
    case G_DTYPE:
      if (n < 1) break;
      return dtype_new(r, a[0], out);
    case G_CODECS_ENCODE: {
      if (n != 2 || a[0]->t != PO_STR || !(is_str(a[1], "latin1") || is_str(a[1], "latin-1")))
        return perr(r, ZR_ERR_REFUSED, "pickle: _codecs.encode is only allowed as encode(str, 'latin1')%s", "");
      uint8_t *p = zr_doc_alloc(r->doc, (size_t)(a[0]->u.s.n ? a[0]->u.s.n : 1), 64);
      pobj *o = newobj(r, PO_BYTES);
      if (!p || !o) return oom(r);
      uint64_t k = 0;
      const uint8_t *s = a[0]->u.s.p;
      for (uint64_t i = 0; i < a[0]->u.s.n; i++) {
        if (s[i] < 0x80) p[k++] = s[i];
        else if ((s[i] == 0xC2 || s[i] == 0xC3) && i + 1 < a[0]->u.s.n) { p[k++] = (uint8_t)(((s[i] & 3) << 6) | (s[i + 1] & 0x3F)); i++; }
        else return perr(r, ZR_ERR_MALFORMED, "pickle: latin1 encode of a character above U+00FF%s", "");
      }
      o->u.s.p = p;
      o->u.s.n = k;
      *out = o;
      return ZR_OK;
    }
    case G_BYTES: { /* protocol 2 writes b'' as bytes() */
      if (n != 0) return perr(r, ZR_ERR_REFUSED, "pickle: bytes() is only allowed without arguments%s", "");
      pobj *o = newobj(r, PO_BYTES);
      if (!o) return oom(r);
      o->u.s.p = (const uint8_t *)"";
      *out = o;
      return ZR_OK;
    }
    case G_RECONSTRUCT: { /* _reconstruct(ndarray, (0,), b'b'): an empty array filled by BUILD */
      if (n != 3 || a[0]->t != PO_GLOBAL || a[0]->u.g != G_NDARRAY) break;
      pobj *o = newobj(r, PO_ARRAY);
      if (!o) return oom(r);
      o->u.arr = NULL;
      *out = o;
      return ZR_OK;
    }
    case G_FROMBUFFER_PRIV: /* _frombuffer(buf, dtype, shape, order) */
      if (n != 4 || !bytes_like(a[0])) break;
      return make_array(r, a[1], a[2], order_f(a[3]), a[0]->u.s.p, a[0]->u.s.n, 1, out);
    case G_SCALAR: { /* scalar(dtype, bytes) */
      if (n != 2 || !bytes_like(a[1])) break;
      pobj shape0;
      memset(&shape0, 0, sizeof shape0);
      shape0.t = PO_TUPLE;
      return make_array(r, a[0], &shape0, 0, a[1]->u.s.p, a[1]->u.s.n, 1, out);
    }
    case G_FROMBUFFER: { /* frombuffer(buf, dtype('u1')) */
      if (n < 1 || n > 2 || !bytes_like(a[0])) break;
      if (n == 2) {
        zr_tensor chk;
        ZR_TRY(dtype_tensor(r, a[1], &chk));
        if (chk.itemsize != 1) return perr(r, ZR_ERR_UNSUPPORTED, "pickle: numpy.frombuffer is only read with a 1-byte dtype%s", "");
      }
      pobj *o = newobj(r, PO_PBUF); /* keep it a byte buffer: numpy.ndarray() reinterprets it */
      if (!o) return oom(r);
      *o = *a[0];
      o->t = PO_PBUF;
      *out = o;
      return ZR_OK;
    }
    case G_NDARRAY: { /* ndarray(shape, dtype, buffer, offset, strides, order) */
      if (n < 3 || n > 6 || !bytes_like(a[2])) break;
      int64_t off = 0;
      if (n >= 4) {
        if (a[3]->t != PO_INT || a[3]->u.i < 0 || (uint64_t)a[3]->u.i > a[2]->u.s.n) return perr(r, ZR_ERR_MALFORMED, "pickle: bad ndarray offset%s", "");
        off = a[3]->u.i;
      }
      if (n >= 5 && a[4]->t != PO_NONE) return perr(r, ZR_ERR_UNSUPPORTED, "pickle: ndarray with explicit strides%s", "");
      return make_array(r, a[1], a[0], n >= 6 && order_f(a[5]), a[2]->u.s.p + off, a[2]->u.s.n - (uint64_t)off, 0, out);
    }
  }
  static const char *names[] = {"_reconstruct", "_frombuffer", "scalar", "numpy.ndarray", "numpy.dtype", "numpy.frombuffer", "_codecs.encode", "bytes"};
  return perr(r, ZR_ERR_UNSUPPORTED, "pickle: unexpected arguments to %s", names[fn->u.g]);
}

static zr_status build(pr *r, pobj *obj, const pobj *state) {
  if (obj->t == PO_DTYPE) return dtype_build(r, obj->u.dt, state);
  if (obj->t == PO_ARRAY && obj->u.arr == NULL) {
    /* ndarray.__setstate__((version, shape, dtype, is_fortran, data)) */
    if (state->t != PO_TUPLE || state->u.seq.n != 5) return perr(r, ZR_ERR_UNSUPPORTED, "pickle: unexpected ndarray state%s", "");
    pobj **s = state->u.seq.items;
    if (s[4]->t == PO_LIST) return perr(r, ZR_ERR_REFUSED, "pickle: object arrays are refused (their items would need unpickling)%s", "");
    if (!bytes_like(s[4]) || s[3]->t != PO_BOOL) return perr(r, ZR_ERR_MALFORMED, "pickle: bad ndarray state%s", "");
    pobj *made;
    ZR_TRY(make_array(r, s[2], s[1], s[3]->u.b, s[4]->u.s.p, s[4]->u.s.n, 1, &made));
    obj->u.arr = made->u.arr;
    return ZR_OK;
  }
  return perr(r, ZR_ERR_REFUSED, "pickle: BUILD is only allowed on NumPy dtypes and arrays%s", "");
}

/* ---- conversion to zr_value ---- */

static zr_status to_value(pr *r, const pobj *o, zr_value *v, unsigned depth) {
  if (depth > r->opts->max_depth) return perr(r, ZR_ERR_LIMIT, "pickle: result nested deeper than max_depth%s", "");
  if (++r->objects > r->opts->max_elements) return perr(r, ZR_ERR_LIMIT, "pickle: result has more than max_elements values%s", "");
  switch (o->t) {
    case PO_NONE: *v = zr_null(); return ZR_OK;
    case PO_BOOL: *v = zr_bool(o->u.b); return ZR_OK;
    case PO_INT: *v = zr_int(o->u.i); return ZR_OK;
    case PO_BIG:
      *v = zr_bigint(r->doc, o->u.s.neg, o->u.s.p, (size_t)o->u.s.n);
      return v->kind == ZR_KIND_BIGINT ? ZR_OK : oom(r);
    case PO_FLOAT: *v = zr_float(o->u.f); return ZR_OK;
    case PO_STR:
      *v = r->opts->copy ? zr_str_copy(r->doc, (const char *)o->u.s.p, (size_t)o->u.s.n) : zr_str_ref((const char *)o->u.s.p, (size_t)o->u.s.n);
      return v->kind == ZR_KIND_STRING ? ZR_OK : oom(r);
    case PO_BYTES: case PO_BYTEARRAY: case PO_PBUF:
      *v = r->opts->copy ? zr_bin_copy(r->doc, o->u.s.p, (size_t)o->u.s.n) : zr_bin_ref(o->u.s.p, (size_t)o->u.s.n);
      return v->kind == ZR_KIND_BINARY ? ZR_OK : oom(r);
    case PO_TUPLE: case PO_LIST: {
      zr_value s = o->t == PO_TUPLE ? zr_tuple_new(r->doc, (size_t)o->u.seq.n) : zr_list_new(r->doc, (size_t)o->u.seq.n);
      if (s.kind == ZR_KIND_NULL) return oom(r);
      for (uint64_t i = 0; i < o->u.seq.n; i++) {
        zr_value it;
        ZR_TRY(to_value(r, o->u.seq.items[i], &it, depth + 1));
        if (zr_list_push(r->doc, &s, it) != ZR_OK) return oom(r);
      }
      *v = s;
      return ZR_OK;
    }
    case PO_DICT: {
      zr_value m = zr_map_new(r->doc, (size_t)(o->u.seq.n / 2));
      if (m.kind == ZR_KIND_NULL) return oom(r);
      for (uint64_t i = 0; i + 1 < o->u.seq.n; i += 2) {
        zr_value k, x;
        ZR_TRY(to_value(r, o->u.seq.items[i], &k, depth + 1));
        ZR_TRY(to_value(r, o->u.seq.items[i + 1], &x, depth + 1));
        if (zr_map_put(r->doc, &m, k, x) != ZR_OK) return oom(r);
      }
      *v = m;
      return ZR_OK;
    }
    case PO_ARRAY: {
      if (!o->u.arr) return perr(r, ZR_ERR_MALFORMED, "pickle: array never received its state%s", "");
      zr_tensor t = *o->u.arr;
      int misaligned = t.nbytes && ((uintptr_t)t.data % zr__npy_natural_align(&t)) != 0;
      if ((r->opts->copy || misaligned) && t.nbytes) {
        void *p = zr_doc_alloc(r->doc, (size_t)t.nbytes, 64);
        if (!p) return oom(r);
        memcpy(p, t.data, (size_t)t.nbytes);
        t.data = p;
      }
      *v = zr_tensor_value(r->doc, &t);
      return v->kind == ZR_KIND_TENSOR ? ZR_OK : oom(r);
    }
    case PO_DTYPE: case PO_GLOBAL: case PO_MARK: break;
  }
  return perr(r, ZR_ERR_UNSUPPORTED, "pickle: result holds a bare dtype or global%s", "");
}

/* ---- the interpreter ---- */

static zr_status run(pr *r, pobj **result) {
  for (;;) {
    ZR_TRY(need(r, 1));
    size_t at = r->pos;
    uint8_t op = r->d[r->pos++];
    pobj *o = NULL, *a = NULL, *b = NULL;
    size_t first = 0;
    switch (op) {
      case PK_PROTO:
        ZR_TRY(need(r, 1));
        if (r->d[r->pos] > 5) return zr__err(r->err, ZR_ERR_VERSION, (int64_t)at, "pickle: protocol %u", r->d[r->pos]);
        r->pos++;
        break;
      case PK_FRAME: ZR_TRY(need(r, 8)); r->pos += 8; break;
      case PK_STOP:
        ZR_TRY(pop(r, result));
        return ZR_OK;
      case PK_MARK:
        if (r->nmarks == r->mcap) {
          size_t nc = r->mcap ? r->mcap * 2 : 16;
          if (nc > (size_t)r->opts->max_depth * 4 + 64) return perr(r, ZR_ERR_LIMIT, "pickle: too many open MARKs%s", "");
          size_t *nm = zr__realloc(&r->doc->alloc, r->marks, nc * sizeof *nm);
          if (!nm) return oom(r);
          r->marks = nm;
          r->mcap = nc;
        }
        r->marks[r->nmarks++] = r->sp;
        break;
      case PK_POP: ZR_TRY(pop(r, &o)); break;
      case PK_POP_MARK: ZR_TRY(pop_mark(r, &first)); r->sp = first; break;
      case PK_DUP: ZR_TRY(top(r, &o)); ZR_TRY(push(r, o)); break;
      case PK_NONE: ZR_TRY(push(r, newobj(r, PO_NONE))); break;
      case PK_NEWTRUE: case PK_NEWFALSE:
        o = newobj(r, PO_BOOL);
        if (o) o->u.b = op == PK_NEWTRUE;
        ZR_TRY(push(r, o));
        break;
      case PK_BININT1: case PK_BININT2: case PK_BININT: {
        size_t n = op == PK_BININT1 ? 1 : op == PK_BININT2 ? 2 : 4;
        ZR_TRY(need(r, n));
        o = newobj(r, PO_INT);
        if (o) o->u.i = n == 1 ? r->d[r->pos] : n == 2 ? zr__ld16le(r->d + r->pos) : (int32_t)zr__ld32le(r->d + r->pos);
        r->pos += n;
        ZR_TRY(push(r, o));
        break;
      }
      case PK_LONG1: case PK_LONG4: {
        uint64_t n;
        if (op == PK_LONG1) { ZR_TRY(need(r, 1)); n = r->d[r->pos++]; }
        else {
          ZR_TRY(need(r, 4));
          int32_t sn = (int32_t)zr__ld32le(r->d + r->pos);
          r->pos += 4;
          if (sn < 0) return perr(r, ZR_ERR_MALFORMED, "pickle: negative LONG4 length%s", "");
          n = (uint64_t)sn;
        }
        ZR_TRY(need(r, n));
        const uint8_t *p = r->d + r->pos;
        r->pos += n;
        int neg = n && (p[n - 1] & 0x80);
        if (n <= 8) {
          uint64_t u = 0;
          for (uint64_t i = 0; i < n; i++) u |= (uint64_t)p[i] << (8 * i);
          if (neg && n < 8) u |= ~UINT64_C(0) << (8 * n);
          o = newobj(r, PO_INT);
          if (o) o->u.i = (int64_t)u;
          ZR_TRY(push(r, o));
          break;
        }
        /* big: sign + magnitude */
        uint8_t *m = zr_doc_alloc(r->doc, (size_t)n, 1);
        o = newobj(r, PO_BIG);
        if (!m || !o) return oom(r);
        memcpy(m, p, (size_t)n);
        if (neg) {
          unsigned carry = 1;
          for (uint64_t i = 0; i < n; i++) {
            unsigned x = (uint8_t)~m[i] + carry;
            m[i] = (uint8_t)x;
            carry = x >> 8;
          }
        }
        o->u.s.p = m;
        o->u.s.n = n;
        o->u.s.neg = neg;
        ZR_TRY(push(r, o));
        break;
      }
      case PK_BINFLOAT: {
        ZR_TRY(need(r, 8));
        uint64_t bits = zr__ld64be(r->d + r->pos);
        r->pos += 8;
        o = newobj(r, PO_FLOAT);
        if (o) memcpy(&o->u.f, &bits, 8);
        ZR_TRY(push(r, o));
        break;
      }
      case PK_SHORT_BINUNICODE: case PK_BINUNICODE: case PK_BINUNICODE8:
      case PK_SHORT_BINBYTES: case PK_BINBYTES: case PK_BINBYTES8: case PK_BYTEARRAY8:
      case PK_SHORT_BINSTRING: case PK_BINSTRING: {
        uint64_t n;
        size_t w = (op == PK_SHORT_BINUNICODE || op == PK_SHORT_BINBYTES || op == PK_SHORT_BINSTRING) ? 1
                 : (op == PK_BINUNICODE || op == PK_BINBYTES || op == PK_BINSTRING) ? 4 : 8;
        ZR_TRY(need(r, w));
        n = w == 1 ? r->d[r->pos] : w == 4 ? zr__ld32le(r->d + r->pos) : zr__ld64le(r->d + r->pos);
        if (op == PK_BINSTRING && (int32_t)n < 0) return perr(r, ZR_ERR_MALFORMED, "pickle: negative length%s", "");
        r->pos += w;
        ZR_TRY(need(r, n));
        int is_text = op == PK_SHORT_BINUNICODE || op == PK_BINUNICODE || op == PK_BINUNICODE8;
        if (is_text) {
          size_t bad;
          if (!zr__utf8_valid(r->d + r->pos, (size_t)n, &bad)) {
            /* Python writes lone surrogates as surrogatepass; refuse them */
            return zr__err(r->err, ZR_ERR_UTF8, (int64_t)(r->pos + bad), "pickle: string is not valid UTF-8");
          }
        }
        o = newobj(r, is_text ? PO_STR : op == PK_BYTEARRAY8 ? PO_BYTEARRAY : PO_BYTES);
        if (!o) return oom(r);
        o->u.s.p = r->d + r->pos;
        o->u.s.n = n;
        r->pos += n;
        ZR_TRY(push(r, o));
        break;
      }
      case PK_NEXT_BUFFER:
        if (r->next_buf >= r->nbufs) return perr(r, ZR_ERR_MALFORMED, "pickle: NEXT_BUFFER without an out-of-band buffer (pass the buffers)%s", "");
        o = newobj(r, PO_PBUF);
        if (!o) return oom(r);
        o->u.s.p = r->bufs[r->next_buf].data;
        o->u.s.n = r->bufs[r->next_buf].len;
        o->readonly = r->bufs[r->next_buf].readonly;
        r->next_buf++;
        ZR_TRY(push(r, o));
        break;
      case PK_READONLY_BUFFER: ZR_TRY(top(r, &o)); o->readonly = 1; break;
      case PK_EMPTY_TUPLE: ZR_TRY(push(r, make_seq(r, PO_TUPLE, NULL, 0))); break;
      case PK_TUPLE1: case PK_TUPLE2: case PK_TUPLE3: {
        size_t n = (size_t)(op - PK_TUPLE1 + 1);
        size_t floor = r->nmarks ? r->marks[r->nmarks - 1] : 0;
        if (r->sp - floor < n) return perr(r, ZR_ERR_MALFORMED, "pickle: stack underflow%s", "");
        o = make_seq(r, PO_TUPLE, stack_at(r, r->sp - n), n);
        r->sp -= n;
        ZR_TRY(push(r, o));
        break;
      }
      case PK_TUPLE: case PK_LIST:
        ZR_TRY(pop_mark(r, &first));
        o = make_seq(r, op == PK_TUPLE ? PO_TUPLE : PO_LIST, stack_at(r, first), r->sp - first);
        r->sp = first;
        ZR_TRY(push(r, o));
        break;
      case PK_DICT:
        ZR_TRY(pop_mark(r, &first));
        if ((r->sp - first) % 2) return perr(r, ZR_ERR_MALFORMED, "pickle: odd number of dict items%s", "");
        o = make_seq(r, PO_DICT, stack_at(r, first), r->sp - first);
        r->sp = first;
        ZR_TRY(push(r, o));
        break;
      case PK_EMPTY_LIST: ZR_TRY(push(r, make_seq(r, PO_LIST, NULL, 0))); break;
      case PK_EMPTY_DICT: ZR_TRY(push(r, make_seq(r, PO_DICT, NULL, 0))); break;
      case PK_APPEND:
        ZR_TRY(pop(r, &a));
        ZR_TRY(top(r, &o));
        if (o->t != PO_LIST) return perr(r, ZR_ERR_MALFORMED, "pickle: APPEND to a non-list%s", "");
        ZR_TRY(seq_add(r, o, a));
        break;
      case PK_APPENDS: case PK_SETITEMS: {
        ZR_TRY(pop_mark(r, &first));
        if (first == 0 || (r->nmarks && first <= r->marks[r->nmarks - 1])) return perr(r, ZR_ERR_MALFORMED, "pickle: no container below MARK%s", "");
        o = r->stack[first - 1];
        if (o->t != (op == PK_APPENDS ? PO_LIST : PO_DICT)) return perr(r, ZR_ERR_MALFORMED, "pickle: %s on the wrong container", op == PK_APPENDS ? "APPENDS" : "SETITEMS");
        if (op == PK_SETITEMS && (r->sp - first) % 2) return perr(r, ZR_ERR_MALFORMED, "pickle: odd number of dict items%s", "");
        for (size_t i = first; i < r->sp; i++) ZR_TRY(seq_add(r, o, r->stack[i]));
        r->sp = first;
        break;
      }
      case PK_SETITEM:
        ZR_TRY(pop(r, &b));
        ZR_TRY(pop(r, &a));
        ZR_TRY(top(r, &o));
        if (o->t != PO_DICT) return perr(r, ZR_ERR_MALFORMED, "pickle: SETITEM on a non-dict%s", "");
        ZR_TRY(seq_add(r, o, a));
        ZR_TRY(seq_add(r, o, b));
        break;
      case PK_GLOBAL: {
        const uint8_t *m = r->d + r->pos, *e1 = memchr(m, '\n', r->len - r->pos);
        if (!e1) return zr__err(r->err, ZR_ERR_TRUNCATED, (int64_t)r->len, "pickle: truncated GLOBAL");
        const uint8_t *nm = e1 + 1, *e2 = memchr(nm, '\n', (size_t)(r->d + r->len - nm));
        if (!e2) return zr__err(r->err, ZR_ERR_TRUNCATED, (int64_t)r->len, "pickle: truncated GLOBAL");
        r->pos = (size_t)(e2 + 1 - r->d);
        ZR_TRY(resolve_global(r, m, (size_t)(e1 - m), nm, (size_t)(e2 - nm), &o));
        ZR_TRY(push(r, o));
        break;
      }
      case PK_STACK_GLOBAL:
        ZR_TRY(pop(r, &b));
        ZR_TRY(pop(r, &a));
        if (a->t != PO_STR || b->t != PO_STR) return perr(r, ZR_ERR_MALFORMED, "pickle: STACK_GLOBAL needs two strings%s", "");
        ZR_TRY(resolve_global(r, a->u.s.p, (size_t)a->u.s.n, b->u.s.p, (size_t)b->u.s.n, &o));
        ZR_TRY(push(r, o));
        break;
      case PK_REDUCE:
        ZR_TRY(pop(r, &a));
        ZR_TRY(pop(r, &b));
        ZR_TRY(call(r, b, a, &o));
        ZR_TRY(push(r, o));
        break;
      case PK_BUILD:
        ZR_TRY(pop(r, &a));
        ZR_TRY(top(r, &o));
        ZR_TRY(build(r, o, a));
        break;
      case PK_MEMOIZE: case PK_BINPUT: case PK_LONG_BINPUT: {
        uint64_t idx = r->nmemo;
        if (op == PK_BINPUT) { ZR_TRY(need(r, 1)); idx = r->d[r->pos++]; }
        else if (op == PK_LONG_BINPUT) { ZR_TRY(need(r, 4)); idx = zr__ld32le(r->d + r->pos); r->pos += 4; }
        ZR_TRY(top(r, &o));
        if (idx > r->opts->max_elements || idx > r->objects + 1024) return perr(r, ZR_ERR_LIMIT, "pickle: memo index too large%s", "");
        if (idx >= r->nmemo) {
          pobj **nm = zr__realloc(&r->doc->alloc, r->memo, (size_t)(idx + 1) * sizeof *nm);
          if (!nm) return oom(r);
          for (size_t i = r->nmemo; i <= idx; i++) nm[i] = NULL;
          r->memo = nm;
          r->nmemo = (size_t)idx + 1;
        }
        r->memo[idx] = o;
        break;
      }
      case PK_BINGET: case PK_LONG_BINGET: {
        uint64_t idx;
        if (op == PK_BINGET) { ZR_TRY(need(r, 1)); idx = r->d[r->pos++]; }
        else { ZR_TRY(need(r, 4)); idx = zr__ld32le(r->d + r->pos); r->pos += 4; }
        if (idx >= r->nmemo || !r->memo[idx]) return zr__err(r->err, ZR_ERR_MALFORMED, (int64_t)at, "pickle: memo entry %llu missing", (unsigned long long)idx);
        ZR_TRY(push(r, r->memo[idx]));
        break;
      }
      case PK_PERSID: case PK_BINPERSID:
        r->pos = at;
        return perr(r, ZR_ERR_REFUSED, "pickle: persistent ids are refused%s", "");
      case PK_EXT1: case PK_EXT2: case PK_EXT4:
        r->pos = at;
        return perr(r, ZR_ERR_REFUSED, "pickle: extension registry codes are refused%s", "");
      case PK_INST: case PK_OBJ: case PK_NEWOBJ: case PK_NEWOBJ_EX:
        r->pos = at;
        return perr(r, ZR_ERR_REFUSED, "pickle: object construction opcodes (INST/OBJ/NEWOBJ) are refused%s", "");
      default:
        r->pos = at;
        return zr__err(r->err, ZR_ERR_UNSUPPORTED, (int64_t)at, "pickle: opcode 0x%02x is not supported by the safe reader", op);
    }
  }
}

zr_status zr_pickle_decode(const uint8_t *data, size_t len, const zr_pickle_buffer *buffers, size_t nbuffers,
                           const zr_decode_opts *opts, zr_doc **out, zr_error *err) {
  if (!out || (!data && len) || (nbuffers && !buffers)) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  *out = NULL;
  zr_decode_opts dflt;
  if (!opts) {
    zr_decode_opts_init(&dflt);
    opts = &dflt;
  }
  pr r;
  memset(&r, 0, sizeof r);
  r.d = data;
  r.len = len;
  r.opts = opts;
  r.bufs = buffers;
  r.nbufs = nbuffers;
  r.err = err;
  r.descr_budget = 100000;
  r.doc = zr__doc_new_limited(opts->alloc, opts->max_bytes);
  if (!r.doc) return zr__err_nomem(err);
  pobj *res = NULL;
  zr_status st = run(&r, &res);
  zr_value v;
  if (st == ZR_OK) {
    r.objects = 0;
    st = to_value(&r, res, &v, 0);
  }
  if (st == ZR_OK) st = zr_doc_set_root(r.doc, v);
  zr__free(&r.doc->alloc, r.stack);
  zr__free(&r.doc->alloc, r.marks);
  zr__free(&r.doc->alloc, r.memo);
  if (st != ZR_OK) {
    zr_doc_free(r.doc);
    return st;
  }
  *out = r.doc;
  return ZR_OK;
}

zr_status zr__pickle_decode_fmt(const uint8_t *data, size_t len, const zr_decode_opts *opts, zr_doc **out, zr_error *err);
zr_status zr__pickle_decode_fmt(const uint8_t *data, size_t len, const zr_decode_opts *opts, zr_doc **out, zr_error *err) {
  return zr_pickle_decode(data, len, NULL, 0, opts, out, err);
}
