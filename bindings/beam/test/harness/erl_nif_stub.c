/* A small stand-in for the Erlang VM's NIF API: the enif_* functions that zerial_nif.c calls,
 * written from the erl_nif documentation, so that the NIF glue can run in an ordinary C program
 * (test_nif_harness.c) under valgrind memcheck and ASan, which cannot follow Debian's JIT VM.
 *
 * Terms are indexes into one table of cells (ERL_NIF_TERM = index + 1) that lives until
 * stub_reset(), except atoms, which live until stub_shutdown() as in the VM: small and big integers as int64/uint64, floats, atoms (interned), binaries (owned
 * heap copies, sub-binaries of another binary, or binaries over a resource, which hold a reference
 * on it), lists (cons cells and nil), tuples, maps, and an opaque "pid" for unencodable terms.
 * term_to_binary / binary_to_term speak the external term format for exactly these kinds.
 * Resources carry a reference count and call their type's destructor at zero.
 * Allocation failures: stub_fail_after(n) makes the n-th next enif_alloc or enif_alloc_resource
 * fail (return NULL); 0 turns that off. enif_make_new_binary never fails (the VM aborts instead).
 */
#include "erl_nif_stub.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct enif_environment_t {
  int exception;
};

struct enif_resource_type_t {
  char name[64];
  void (*dtor)(ErlNifEnv *, void *);
};

typedef struct res_hdr {
  struct enif_resource_type_t *type;
  long refs;
  size_t size;
  max_align_t align[]; /* the object follows */
} res_hdr;

typedef struct cell {
  int kind;
  union {
    int64_t i;
    uint64_t u;
    double f;
    unsigned atom;
    struct {
      const unsigned char *data;
      size_t size;
      unsigned char *owned;   /* freed with the cell */
      res_hdr *res;           /* referenced resource (released with the cell) */
    } bin;
    struct {
      ERL_NIF_TERM head, tail;
    } cons;
    struct {
      unsigned n;
      ERL_NIF_TERM *items; /* tuples: n items; maps: n keys then n values */
    } tup;
  } u;
} cell;

static cell *cells;
static size_t ncells, capcells;
static char **atoms;
static size_t natoms, capatoms;
static struct enif_resource_type_t *types[8];
static size_t ntypes;
static long fail_after;
static long live_resources;
static ErlNifEnv the_env;

ErlNifEnv *stub_env(void) { return &the_env; }

void stub_fail_after(long n) { fail_after = n; }

static int alloc_fails(void) {
  if (fail_after <= 0) return 0;
  return --fail_after == 0;
}

static void oom(void) {
  fprintf(stderr, "erl_nif_stub: out of memory\n");
  exit(3);
}

static ERL_NIF_TERM new_cell(int kind, cell **out) {
  if (ncells == capcells) {
    size_t nc = capcells ? 2 * capcells : 1024;
    cell *p = realloc(cells, nc * sizeof *p);
    if (!p) oom();
    cells = p;
    capcells = nc;
  }
  cell *c = &cells[ncells++];
  memset(c, 0, sizeof *c);
  c->kind = kind;
  if (out) *out = c;
  return (ERL_NIF_TERM)ncells;
}

/* atoms are permanent (the NIF keeps atom terms from load): they are not cells of the table that
 * stub_reset empties, but ATOM_TAG | index, each with a cell of its own */
#define ATOM_TAG ((ERL_NIF_TERM)1 << 62)
static cell *atom_cells;

static cell *get(ERL_NIF_TERM t) {
  if (t & ATOM_TAG) {
    if ((t & ~ATOM_TAG) >= natoms) abort();
    return &atom_cells[t & ~ATOM_TAG];
  }
  if (t == 0 || t > ncells) {
    fprintf(stderr, "erl_nif_stub: bad term %lu\n", (unsigned long)t);
    abort();
  }
  return &cells[t - 1];
}

int stub_kind(ERL_NIF_TERM t) { return get(t)->kind; }

static void res_release(res_hdr *h) {
  if (--h->refs == 0) {
    if (h->type->dtor) h->type->dtor(&the_env, (void *)h->align);
    free(h);
    live_resources--;
  }
}

long stub_live_resources(void) { return live_resources; }

void stub_reset(void) {
  for (size_t i = 0; i < ncells; i++) {
    cell *c = &cells[i];
    if (c->kind == STUB_BINARY) {
      free(c->u.bin.owned);
      if (c->u.bin.res) res_release(c->u.bin.res);
    } else if (c->kind == STUB_TUPLE || c->kind == STUB_MAP) {
      free(c->u.tup.items);
    }
  }
  ncells = 0;
  the_env.exception = 0;
}

void stub_shutdown(void) {
  stub_reset();
  free(cells);
  cells = NULL;
  capcells = 0;
  for (size_t i = 0; i < natoms; i++) free(atoms[i]);
  free(atoms);
  atoms = NULL;
  free(atom_cells);
  atom_cells = NULL;
  natoms = capatoms = 0;
  for (size_t i = 0; i < ntypes; i++) free(types[i]);
  ntypes = 0;
}

/* ---- atoms ---- */
static long atom_find(const char *name, size_t len) {
  for (size_t i = 0; i < natoms; i++)
    if (strlen(atoms[i]) == len && memcmp(atoms[i], name, len) == 0) return (long)i;
  return -1;
}

static unsigned atom_intern(const char *name, size_t len) {
  long i = atom_find(name, len);
  if (i >= 0) return (unsigned)i;
  if (natoms == capatoms) {
    size_t nc = capatoms ? 2 * capatoms : 64;
    char **p = realloc(atoms, nc * sizeof *p);
    if (!p) oom();
    atoms = p;
    cell *q = realloc(atom_cells, nc * sizeof *q);
    if (!q) oom();
    atom_cells = q;
    capatoms = nc;
  }
  memset(&atom_cells[natoms], 0, sizeof atom_cells[natoms]);
  atom_cells[natoms].kind = STUB_ATOM;
  atom_cells[natoms].u.atom = (unsigned)natoms;
  char *s = malloc(len + 1);
  if (!s) oom();
  memcpy(s, name, len);
  s[len] = 0;
  atoms[natoms] = s;
  return (unsigned)natoms++;
}

const char *stub_atom_name(ERL_NIF_TERM t) {
  cell *c = get(t);
  return c->kind == STUB_ATOM ? atoms[c->u.atom] : NULL;
}

ERL_NIF_TERM enif_make_atom_len(ErlNifEnv *env, const char *name, size_t len) {
  (void)env;
  return ATOM_TAG | atom_intern(name, len);
}

ERL_NIF_TERM enif_make_atom(ErlNifEnv *env, const char *name) { return enif_make_atom_len(env, name, strlen(name)); }

int enif_make_existing_atom_len(ErlNifEnv *env, const char *name, size_t len, ERL_NIF_TERM *atom, ErlNifCharEncoding enc) {
  (void)enc;
  if (atom_find(name, len) < 0) return 0;
  *atom = enif_make_atom_len(env, name, len);
  return 1;
}

int enif_get_atom(ErlNifEnv *env, ERL_NIF_TERM t, char *buf, unsigned len, ErlNifCharEncoding enc) {
  (void)env;
  (void)enc;
  cell *c = get(t);
  if (c->kind != STUB_ATOM) return 0;
  size_t n = strlen(atoms[c->u.atom]);
  if (n + 1 > len) return 0;
  memcpy(buf, atoms[c->u.atom], n + 1);
  return (int)(n + 1);
}

ERL_NIF_TERM enif_make_badarg(ErlNifEnv *env) {
  env->exception = 1;
  return enif_make_atom(env, "badarg");
}

int stub_exception(void) { return the_env.exception; }

void stub_clear_exception(void) { the_env.exception = 0; }

/* ---- numbers ---- */
ERL_NIF_TERM enif_make_long(ErlNifEnv *env, long i) {
  (void)env;
  cell *c;
  ERL_NIF_TERM t = new_cell(STUB_INT, &c);
  c->u.i = i;
  return t;
}

ERL_NIF_TERM enif_make_ulong(ErlNifEnv *env, unsigned long u) {
  if (u <= (unsigned long)INT64_MAX) return enif_make_long(env, (long)u);
  cell *c;
  ERL_NIF_TERM t = new_cell(STUB_UINT, &c);
  c->u.u = u;
  return t;
}

ERL_NIF_TERM enif_make_double(ErlNifEnv *env, double d) {
  (void)env;
  cell *c;
  ERL_NIF_TERM t = new_cell(STUB_FLOAT, &c);
  c->u.f = d;
  return t;
}

int enif_get_int(ErlNifEnv *env, ERL_NIF_TERM t, int *ip) {
  (void)env;
  cell *c = get(t);
  if (c->kind != STUB_INT || c->u.i < INT32_MIN || c->u.i > INT32_MAX) return 0;
  *ip = (int)c->u.i;
  return 1;
}

int enif_get_uint(ErlNifEnv *env, ERL_NIF_TERM t, unsigned *ip) {
  (void)env;
  cell *c = get(t);
  if (c->kind != STUB_INT || c->u.i < 0 || c->u.i > (int64_t)UINT32_MAX) return 0;
  *ip = (unsigned)c->u.i;
  return 1;
}

ERL_NIF_TERM stub_pid(void) { return new_cell(STUB_PID, NULL); }

/* ---- binaries ---- */
void *enif_alloc(size_t size) { return alloc_fails() ? NULL : malloc(size ? size : 1); }

void enif_free(void *p) { free(p); }

/* never NULL, as in the VM (which aborts when it cannot allocate a binary) */
unsigned char *enif_make_new_binary(ErlNifEnv *env, size_t size, ERL_NIF_TERM *termp) {
  (void)env;
  unsigned char *d = malloc(size ? size : 1);
  if (!d) oom();
  cell *c;
  *termp = new_cell(STUB_BINARY, &c);
  c->u.bin.data = d;
  c->u.bin.size = size;
  c->u.bin.owned = d;
  return d;
}

ERL_NIF_TERM stub_binary(const void *data, size_t size) {
  ERL_NIF_TERM t;
  unsigned char *d = enif_make_new_binary(&the_env, size, &t);
  if (size) memcpy(d, data, size);
  return t;
}

int enif_inspect_binary(ErlNifEnv *env, ERL_NIF_TERM t, ErlNifBinary *bin) {
  (void)env;
  cell *c = get(t);
  if (c->kind != STUB_BINARY) return 0;
  memset(bin, 0, sizeof *bin);
  bin->data = (unsigned char *)c->u.bin.data;
  bin->size = c->u.bin.size;
  return 1;
}

ERL_NIF_TERM enif_make_sub_binary(ErlNifEnv *env, ERL_NIF_TERM bin_term, size_t pos, size_t size) {
  (void)env;
  cell *p = get(bin_term);
  if (p->kind != STUB_BINARY || pos > p->u.bin.size || size > p->u.bin.size - pos) {
    fprintf(stderr, "erl_nif_stub: enif_make_sub_binary out of its binary (pos %zu size %zu of %zu)\n", pos, size,
            p->kind == STUB_BINARY ? p->u.bin.size : 0);
    abort();
  }
  const unsigned char *data = p->u.bin.data + pos;
  res_hdr *res = p->u.bin.res;
  cell *c;
  ERL_NIF_TERM t = new_cell(STUB_BINARY, &c);
  c->u.bin.data = data;
  c->u.bin.size = size;
  if (res) {
    res->refs++;
    c->u.bin.res = res;
  }
  return t;
}

static int iolist_size(ERL_NIF_TERM t, size_t *n, int depth) {
  if (depth > 100) return 0;
  cell *c = get(t);
  if (c->kind == STUB_BINARY) {
    *n += c->u.bin.size;
    return 1;
  }
  while (c->kind == STUB_CONS) {
    cell *h = get(c->u.cons.head);
    if (h->kind == STUB_INT) {
      if (h->u.i < 0 || h->u.i > 255) return 0;
      (*n)++;
    } else if (!iolist_size(c->u.cons.head, n, depth + 1)) {
      return 0;
    }
    c = get(c->u.cons.tail);
    if (c->kind == STUB_BINARY) {
      *n += c->u.bin.size;
      return 1;
    }
  }
  return c->kind == STUB_NIL;
}

static unsigned char *iolist_copy(ERL_NIF_TERM t, unsigned char *p) {
  cell *c = get(t);
  if (c->kind == STUB_BINARY) {
    if (c->u.bin.size) memcpy(p, c->u.bin.data, c->u.bin.size);
    return p + c->u.bin.size;
  }
  while (c->kind == STUB_CONS) {
    cell *h = get(c->u.cons.head);
    if (h->kind == STUB_INT)
      *p++ = (unsigned char)h->u.i;
    else
      p = iolist_copy(c->u.cons.head, p);
    ERL_NIF_TERM tail = c->u.cons.tail;
    c = get(tail);
    if (c->kind == STUB_BINARY) return iolist_copy(tail, p);
  }
  return p;
}

int enif_inspect_iolist_as_binary(ErlNifEnv *env, ERL_NIF_TERM t, ErlNifBinary *bin) {
  size_t n = 0;
  if (get(t)->kind == STUB_BINARY) return enif_inspect_binary(env, t, bin);
  if (!iolist_size(t, &n, 0)) return 0;
  ERL_NIF_TERM b;
  unsigned char *d = enif_make_new_binary(env, n, &b); /* lives until stub_reset, like the VM's */
  iolist_copy(t, d);
  return enif_inspect_binary(env, b, bin);
}

void enif_release_binary(ErlNifBinary *bin) {
  free(bin->ref_bin); /* only binaries from enif_term_to_binary own their data */
  memset(bin, 0, sizeof *bin);
}

/* ---- lists, tuples, maps ---- */
ERL_NIF_TERM enif_make_list_cell(ErlNifEnv *env, ERL_NIF_TERM car, ERL_NIF_TERM cdr) {
  (void)env;
  get(car);
  get(cdr);
  cell *c;
  ERL_NIF_TERM t = new_cell(STUB_CONS, &c);
  c->u.cons.head = car;
  c->u.cons.tail = cdr;
  return t;
}

ERL_NIF_TERM enif_make_list_from_array(ErlNifEnv *env, const ERL_NIF_TERM arr[], unsigned cnt) {
  ERL_NIF_TERM l = new_cell(STUB_NIL, NULL);
  for (unsigned i = cnt; i-- > 0;) l = enif_make_list_cell(env, arr[i], l);
  return l;
}

ERL_NIF_TERM enif_make_list(ErlNifEnv *env, unsigned cnt, ...) {
  ERL_NIF_TERM a[64];
  va_list ap;
  va_start(ap, cnt);
  for (unsigned i = 0; i < cnt && i < 64; i++) a[i] = va_arg(ap, ERL_NIF_TERM);
  va_end(ap);
  return enif_make_list_from_array(env, a, cnt < 64 ? cnt : 64);
}

int enif_get_list_cell(ErlNifEnv *env, ERL_NIF_TERM t, ERL_NIF_TERM *head, ERL_NIF_TERM *tail) {
  (void)env;
  cell *c = get(t);
  if (c->kind != STUB_CONS) return 0;
  *head = c->u.cons.head;
  *tail = c->u.cons.tail;
  return 1;
}

int enif_get_list_length(ErlNifEnv *env, ERL_NIF_TERM t, unsigned *len) {
  (void)env;
  unsigned n = 0;
  cell *c = get(t);
  while (c->kind == STUB_CONS) {
    n++;
    c = get(c->u.cons.tail);
  }
  if (c->kind != STUB_NIL) return 0;
  *len = n;
  return 1;
}

static ERL_NIF_TERM make_items(int kind, const ERL_NIF_TERM *items, unsigned n, unsigned total) {
  ERL_NIF_TERM *copy = malloc((total ? total : 1) * sizeof *copy);
  if (!copy) oom();
  for (unsigned i = 0; i < total; i++) copy[i] = items[i];
  cell *c;
  ERL_NIF_TERM t = new_cell(kind, &c);
  c->u.tup.n = n;
  c->u.tup.items = copy;
  return t;
}

ERL_NIF_TERM enif_make_tuple_from_array(ErlNifEnv *env, const ERL_NIF_TERM arr[], unsigned cnt) {
  (void)env;
  for (unsigned i = 0; i < cnt; i++) get(arr[i]);
  return make_items(STUB_TUPLE, arr, cnt, cnt);
}

ERL_NIF_TERM enif_make_tuple(ErlNifEnv *env, unsigned cnt, ...) {
  ERL_NIF_TERM a[64];
  va_list ap;
  va_start(ap, cnt);
  for (unsigned i = 0; i < cnt && i < 64; i++) a[i] = va_arg(ap, ERL_NIF_TERM);
  va_end(ap);
  return enif_make_tuple_from_array(env, a, cnt < 64 ? cnt : 64);
}

int enif_get_tuple(ErlNifEnv *env, ERL_NIF_TERM t, int *arity, const ERL_NIF_TERM **array) {
  (void)env;
  cell *c = get(t);
  if (c->kind != STUB_TUPLE) return 0;
  *arity = (int)c->u.tup.n;
  *array = c->u.tup.items;
  return 1;
}

ERL_NIF_TERM enif_make_new_map(ErlNifEnv *env) {
  (void)env;
  return make_items(STUB_MAP, NULL, 0, 0);
}

int enif_make_map_from_arrays(ErlNifEnv *env, ERL_NIF_TERM keys[], ERL_NIF_TERM values[], size_t cnt, ERL_NIF_TERM *map_out) {
  (void)env;
  for (size_t i = 0; i < cnt; i++)
    for (size_t j = 0; j < i; j++)
      if (stub_equal(keys[i], keys[j])) return 0;
  ERL_NIF_TERM *kv = malloc((2 * cnt + 1) * sizeof *kv);
  if (!kv) oom();
  for (size_t i = 0; i < cnt; i++) {
    kv[i] = keys[i];
    kv[cnt + i] = values[i];
    get(keys[i]);
    get(values[i]);
  }
  *map_out = make_items(STUB_MAP, kv, (unsigned)cnt, (unsigned)(2 * cnt));
  free(kv);
  return 1;
}

int enif_make_map_put(ErlNifEnv *env, ERL_NIF_TERM map_in, ERL_NIF_TERM key, ERL_NIF_TERM value, ERL_NIF_TERM *map_out) {
  (void)env;
  cell *m = get(map_in);
  if (m->kind != STUB_MAP) return 0;
  unsigned n = m->u.tup.n;
  ERL_NIF_TERM *kv = malloc((2 * n + 2) * sizeof *kv);
  if (!kv) oom();
  unsigned k = 0;
  for (unsigned i = 0; i < n; i++)
    if (!stub_equal(m->u.tup.items[i], key)) {
      kv[k] = m->u.tup.items[i];
      kv[n + 1 + k] = m->u.tup.items[n + i];
      k++;
    }
  kv[k] = key;
  kv[n + 1 + k] = value;
  k++;
  /* compact: keys then values */
  ERL_NIF_TERM *out = malloc((2 * k + 1) * sizeof *out);
  if (!out) oom();
  for (unsigned i = 0; i < k; i++) {
    out[i] = kv[i];
    out[k + i] = kv[n + 1 + i];
  }
  *map_out = make_items(STUB_MAP, out, k, 2 * k);
  free(out);
  free(kv);
  return 1;
}

int stub_map_get(ERL_NIF_TERM map, ERL_NIF_TERM key, ERL_NIF_TERM *val) {
  cell *m = get(map);
  if (m->kind != STUB_MAP) return 0;
  for (unsigned i = 0; i < m->u.tup.n; i++)
    if (stub_equal(m->u.tup.items[i], key)) {
      *val = m->u.tup.items[m->u.tup.n + i];
      return 1;
    }
  return 0;
}

int stub_equal(ERL_NIF_TERM a, ERL_NIF_TERM b) {
  cell *x = get(a), *y = get(b);
  if (x->kind != y->kind) return 0;
  switch (x->kind) {
    case STUB_INT: return x->u.i == y->u.i;
    case STUB_UINT: return x->u.u == y->u.u;
    case STUB_FLOAT: return x->u.f == y->u.f;
    case STUB_ATOM: return x->u.atom == y->u.atom;
    case STUB_BINARY:
      return x->u.bin.size == y->u.bin.size && (!x->u.bin.size || memcmp(x->u.bin.data, y->u.bin.data, x->u.bin.size) == 0);
    case STUB_NIL: return 1;
    case STUB_CONS: return stub_equal(x->u.cons.head, y->u.cons.head) && stub_equal(x->u.cons.tail, y->u.cons.tail);
    case STUB_TUPLE:
      if (x->u.tup.n != y->u.tup.n) return 0;
      for (unsigned i = 0; i < x->u.tup.n; i++)
        if (!stub_equal(x->u.tup.items[i], y->u.tup.items[i])) return 0;
      return 1;
    case STUB_MAP:
      if (x->u.tup.n != y->u.tup.n) return 0;
      for (unsigned i = 0; i < x->u.tup.n; i++) {
        ERL_NIF_TERM v;
        if (!stub_map_get(b, x->u.tup.items[i], &v) || !stub_equal(x->u.tup.items[x->u.tup.n + i], v)) return 0;
      }
      return 1;
    default: return a == b;
  }
}

/* ---- resources ---- */
ErlNifResourceType *enif_open_resource_type(ErlNifEnv *env, const char *module_str, const char *name,
                                            void (*dtor)(ErlNifEnv *, void *), ErlNifResourceFlags flags,
                                            ErlNifResourceFlags *tried) {
  (void)env;
  (void)module_str;
  for (size_t i = 0; i < ntypes; i++)
    if (strcmp(types[i]->name, name) == 0) {
      if (!(flags & ERL_NIF_RT_TAKEOVER)) return NULL; /* exists: only a takeover may open it */
      types[i]->dtor = dtor;
      if (tried) *tried = ERL_NIF_RT_TAKEOVER;
      return types[i];
    }
  if (!(flags & ERL_NIF_RT_CREATE) || ntypes == sizeof types / sizeof types[0]) return NULL;
  struct enif_resource_type_t *t = calloc(1, sizeof *t);
  if (!t) oom();
  snprintf(t->name, sizeof t->name, "%s", name);
  t->dtor = dtor;
  types[ntypes++] = t;
  if (tried) *tried = ERL_NIF_RT_CREATE;
  return t;
}

void *enif_alloc_resource(ErlNifResourceType *type, size_t size) {
  if (alloc_fails()) return NULL;
  res_hdr *h = malloc(sizeof *h + size);
  if (!h) oom();
  h->type = type;
  h->refs = 1;
  h->size = size;
  live_resources++;
  return (void *)h->align;
}

static res_hdr *hdr_of(void *obj) { return (res_hdr *)((char *)obj - offsetof(res_hdr, align)); }

void enif_release_resource(void *obj) { res_release(hdr_of(obj)); }

ERL_NIF_TERM enif_make_resource_binary(ErlNifEnv *env, void *obj, const void *data, size_t size) {
  (void)env;
  res_hdr *h = hdr_of(obj);
  h->refs++;
  cell *c;
  ERL_NIF_TERM t = new_cell(STUB_BINARY, &c);
  c->u.bin.data = data;
  c->u.bin.size = size;
  c->u.bin.res = h;
  return t;
}

/* ---- scheduling ---- */
ERL_NIF_TERM enif_schedule_nif(ErlNifEnv *env, const char *name, int flags,
                               ERL_NIF_TERM (*fp)(ErlNifEnv *, int, const ERL_NIF_TERM[]), int argc,
                               const ERL_NIF_TERM argv[]) {
  (void)name;
  (void)flags;
  return fp(env, argc, argv);
}

/* ---- external term format (the subset of kinds above) ---- */
typedef struct {
  unsigned char *p;
  size_t n, cap;
  int bad;
} obuf;

static void put(obuf *b, const void *d, size_t n) {
  if (b->n + n > b->cap) {
    size_t nc = b->cap ? b->cap : 256;
    while (nc < b->n + n) nc *= 2;
    unsigned char *p = realloc(b->p, nc);
    if (!p) oom();
    b->p = p;
    b->cap = nc;
  }
  memcpy(b->p + b->n, d, n);
  b->n += n;
}

static void put8(obuf *b, unsigned v) {
  unsigned char c = (unsigned char)v;
  put(b, &c, 1);
}

static void put32(obuf *b, uint32_t v) {
  unsigned char c[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
  put(b, c, 4);
}

static void enc(obuf *b, ERL_NIF_TERM t) {
  cell *c = get(t);
  switch (c->kind) {
    case STUB_INT:
    case STUB_UINT: {
      if (c->kind == STUB_INT && c->u.i >= 0 && c->u.i <= 255) {
        put8(b, 97);
        put8(b, (unsigned)c->u.i);
      } else if (c->kind == STUB_INT && c->u.i >= INT32_MIN && c->u.i <= INT32_MAX) {
        put8(b, 98);
        put32(b, (uint32_t)(int32_t)c->u.i);
      } else {
        int neg = c->kind == STUB_INT && c->u.i < 0;
        uint64_t m = c->kind == STUB_UINT ? c->u.u : neg ? (uint64_t)0 - (uint64_t)c->u.i : (uint64_t)c->u.i;
        unsigned char d[8];
        unsigned n = 0;
        while (m) {
          d[n++] = (unsigned char)m;
          m >>= 8;
        }
        put8(b, 110);
        put8(b, n);
        put8(b, (unsigned)neg);
        put(b, d, n);
      }
      break;
    }
    case STUB_FLOAT: {
      uint64_t u;
      memcpy(&u, &c->u.f, 8);
      put8(b, 70);
      put32(b, (uint32_t)(u >> 32));
      put32(b, (uint32_t)u);
      break;
    }
    case STUB_ATOM: {
      const char *s = atoms[c->u.atom];
      size_t n = strlen(s);
      put8(b, 119);
      put8(b, (unsigned)n);
      put(b, s, n);
      break;
    }
    case STUB_BINARY:
      put8(b, 109);
      put32(b, (uint32_t)c->u.bin.size);
      if (c->u.bin.size) put(b, c->u.bin.data, c->u.bin.size);
      break;
    case STUB_NIL: put8(b, 106); break;
    case STUB_CONS: {
      uint32_t n = 0;
      cell *x = c;
      while (x->kind == STUB_CONS) {
        n++;
        x = get(x->u.cons.tail);
      }
      put8(b, 108);
      put32(b, n);
      x = c;
      while (x->kind == STUB_CONS) {
        enc(b, x->u.cons.head);
        ERL_NIF_TERM tail = x->u.cons.tail;
        x = get(tail);
        if (x->kind != STUB_CONS) enc(b, tail);
      }
      break;
    }
    case STUB_TUPLE:
      if (c->u.tup.n < 256) {
        put8(b, 104);
        put8(b, c->u.tup.n);
      } else {
        put8(b, 105);
        put32(b, c->u.tup.n);
      }
      for (unsigned i = 0; i < c->u.tup.n; i++) enc(b, c->u.tup.items[i]);
      break;
    case STUB_MAP:
      put8(b, 116);
      put32(b, c->u.tup.n);
      for (unsigned i = 0; i < c->u.tup.n; i++) {
        enc(b, c->u.tup.items[i]);
        enc(b, c->u.tup.items[c->u.tup.n + i]);
      }
      break;
    default: { /* a pid: NEW_PID_EXT with node 'nonode@nohost' */
      static const char node[] = "nonode@nohost";
      put8(b, 88);
      put8(b, 119);
      put8(b, sizeof node - 1);
      put(b, node, sizeof node - 1);
      put32(b, 1);
      put32(b, 0);
      put32(b, 0);
      break;
    }
  }
}

int enif_term_to_binary(ErlNifEnv *env, ERL_NIF_TERM term, ErlNifBinary *bin) {
  (void)env;
  obuf b = {0};
  put8(&b, 131);
  enc(&b, term);
  memset(bin, 0, sizeof *bin);
  bin->data = b.p;
  bin->size = b.n;
  bin->ref_bin = b.p; /* owned: enif_release_binary frees it */
  return 1;
}

typedef struct {
  const unsigned char *p, *end;
  unsigned opts;
} ibuf;

static int need(ibuf *b, size_t n) { return (size_t)(b->end - b->p) >= n; }

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int dec(ibuf *b, ERL_NIF_TERM *out, int depth) {
  if (depth > 10000 || !need(b, 1)) return 0;
  unsigned tag = *b->p++;
  switch (tag) {
    case 97:
      if (!need(b, 1)) return 0;
      *out = enif_make_long(&the_env, *b->p++);
      return 1;
    case 98:
      if (!need(b, 4)) return 0;
      *out = enif_make_long(&the_env, (int32_t)get32(b->p));
      b->p += 4;
      return 1;
    case 110: {
      if (!need(b, 2)) return 0;
      unsigned n = b->p[0], neg = b->p[1];
      b->p += 2;
      if (n > 8 || !need(b, n)) return 0;
      uint64_t m = 0;
      for (unsigned i = n; i-- > 0;) m = m << 8 | b->p[i];
      b->p += n;
      if (neg) {
        if (m > (uint64_t)INT64_MAX + 1) return 0;
        *out = enif_make_long(&the_env, m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m);
      } else {
        *out = enif_make_ulong(&the_env, m);
      }
      return 1;
    }
    case 70: {
      if (!need(b, 8)) return 0;
      uint64_t u = (uint64_t)get32(b->p) << 32 | get32(b->p + 4);
      double d;
      memcpy(&d, &u, 8);
      b->p += 8;
      if (d != d || d - d != 0) return 0;
      *out = enif_make_double(&the_env, d);
      return 1;
    }
    case 100:
    case 115:
    case 118:
    case 119: {
      size_t n;
      if (tag == 115 || tag == 119) {
        if (!need(b, 1)) return 0;
        n = *b->p++;
      } else {
        if (!need(b, 2)) return 0;
        n = (size_t)b->p[0] << 8 | b->p[1];
        b->p += 2;
      }
      if (!need(b, n) || n > 255 * 4) return 0;
      const char *s = (const char *)b->p;
      b->p += n;
      if ((b->opts & ERL_NIF_BIN2TERM_SAFE) && atom_find(s, n) < 0) return 0;
      *out = enif_make_atom_len(&the_env, s, n);
      return 1;
    }
    case 109: {
      if (!need(b, 4)) return 0;
      size_t n = get32(b->p);
      b->p += 4;
      if (!need(b, n)) return 0;
      *out = stub_binary(b->p, n);
      b->p += n;
      return 1;
    }
    case 106: *out = new_cell(STUB_NIL, NULL); return 1;
    case 107: {
      if (!need(b, 2)) return 0;
      size_t n = (size_t)b->p[0] << 8 | b->p[1];
      b->p += 2;
      if (!need(b, n)) return 0;
      ERL_NIF_TERM l = new_cell(STUB_NIL, NULL);
      for (size_t i = n; i-- > 0;) l = enif_make_list_cell(&the_env, enif_make_long(&the_env, b->p[i]), l);
      b->p += n;
      *out = l;
      return 1;
    }
    case 108: {
      if (!need(b, 4)) return 0;
      size_t n = get32(b->p);
      b->p += 4;
      if (n > (size_t)(b->end - b->p)) return 0;
      ERL_NIF_TERM *a = malloc((n + 1) * sizeof *a);
      if (!a) oom();
      int ok = 1;
      for (size_t i = 0; i <= n && ok; i++) ok = dec(b, &a[i], depth + 1);
      if (ok) {
        ERL_NIF_TERM l = a[n];
        for (size_t i = n; i-- > 0;) l = enif_make_list_cell(&the_env, a[i], l);
        *out = l;
      }
      free(a);
      return ok;
    }
    case 104:
    case 105:
    case 116: {
      size_t n;
      if (tag == 104) {
        if (!need(b, 1)) return 0;
        n = *b->p++;
      } else {
        if (!need(b, 4)) return 0;
        n = get32(b->p);
        b->p += 4;
      }
      size_t k = tag == 116 ? 2 * n : n;
      if (k > (size_t)(b->end - b->p)) return 0;
      ERL_NIF_TERM *a = malloc((k + 1) * sizeof *a);
      if (!a) oom();
      int ok = 1;
      for (size_t i = 0; i < k && ok; i++) ok = dec(b, &a[i], depth + 1);
      if (ok && tag == 116) {
        ERL_NIF_TERM *kv = malloc((k + 1) * sizeof *kv);
        if (!kv) oom();
        for (size_t i = 0; i < n; i++) {
          kv[i] = a[2 * i];
          kv[n + i] = a[2 * i + 1];
        }
        ok = enif_make_map_from_arrays(&the_env, kv, kv + n, n, out);
        free(kv);
      } else if (ok) {
        *out = enif_make_tuple_from_array(&the_env, a, (unsigned)n);
      }
      free(a);
      return ok;
    }
    default: return 0;
  }
}

size_t enif_binary_to_term(ErlNifEnv *env, const unsigned char *data, size_t sz, ERL_NIF_TERM *term, unsigned int opts) {
  (void)env;
  ibuf b = {data, data + sz, opts};
  if (sz < 1 || data[0] != 131) return 0;
  b.p++;
  if (!dec(&b, term, 0)) return 0;
  return (size_t)(b.p - data);
}
