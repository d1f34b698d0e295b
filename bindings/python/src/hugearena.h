/* zerial._zerial: huge-page arenas for Python's small-object allocator during large decodes.
 *
 * Included once by _zerial.c. Decoding a large input creates millions of small objects; CPython's
 * object allocator (pymalloc) takes them from 1 MiB "arenas" it maps one at a time, and the kernel
 * then faults every 4 KiB page in on first touch. On virtual machines each fault is costly (on
 * ours 300 MiB of first touches cost ~1.4 s of CPU, against ~20 ms when the same memory is backed
 * by 2 MiB transparent huge pages). So while a large decode runs, pymalloc's new arenas are carved
 * out of 2 MiB-aligned anonymous regions marked MADV_HUGEPAGE. The objects, their layout and
 * pymalloc's bookkeeping are exactly what they would be otherwise; only where the arena memory
 * comes from changes.
 *
 * How: on the first large decode the module wraps CPython's arena allocator (public API
 * PyObject_GetArenaAllocator / PyObject_SetArenaAllocator) with one that forwards to it except
 * (1) while a large decode runs (the `active` flag, GIL-protected), when arenas come from the
 * huge-page regions, and (2) when such an arena is released: the two 1 MiB arenas of a 2 MiB page
 * are tracked, and the page is unmapped whole once both are free (unmapping half a huge page
 * would make the kernel split it, which costs more than the faults saved). Arenas of pymalloc's
 * own allocator are untouched, so code that runs outside our decodes (pickle, numpy, the rest of
 * the program) allocates exactly as before. The wrapper is only installed over CPython's own
 * allocator (functions inside the interpreter's object, no context); with another allocator in
 * place nothing is changed. ZERIAL_HUGEPAGES=0 in the environment, or
 * `_zerial.set_hugepages(False)`, turns the huge-page arenas off. */

#include <dlfcn.h>
#include <sys/mman.h>

#define HA_HUGE ((size_t)2 << 20)      /* transparent huge page size on x86-64 and arm64 (4K base) */
#define HA_ARENA ((size_t)1 << 20)     /* pymalloc's arena size in CPython >= 3.10 on 64-bit */
#define HA_REGION ((size_t)16 << 20)   /* mapped at a time, carved into arenas */
#define HA_MIN_INPUT ((size_t)1 << 20) /* smaller decodes keep the default allocator */
#define HA_SLOTS ((size_t)1 << 16)     /* tracked huge pages (128 GiB of arenas); a full table stops carving */

typedef struct {
  uintptr_t page; /* 2 MiB-aligned address, 0: empty slot */
  unsigned live;  /* bit i: arena i (of 2) handed out and not yet released */
} ha_slot;

static struct {
  int enabled;   /* 1 unless turned off */
  int depth;     /* nesting of decodes (GIL-protected) */
  int active;    /* arenas come from huge-page regions now */
  int installed; /* our wrapper is installed */
  size_t used;   /* slots in use */
  PyObjectArenaAllocator base; /* CPython's allocator we forward to */
  uint8_t *next, *end;         /* the current region's unused range */
} ha = {1, 0, 0, 0, 0, {NULL, NULL, NULL}, NULL, NULL};

static ha_slot ha_table[HA_SLOTS]; /* zero pages until used */

static size_t ha_hash(uintptr_t page) { return (size_t)(((uint64_t)(page >> 21) * UINT64_C(0x9E3779B97F4A7C15)) >> 48); }

static ha_slot *ha_find(uintptr_t page) {
  for (size_t i = ha_hash(page);; i = (i + 1) & (HA_SLOTS - 1)) {
    if (ha_table[i].page == page) return &ha_table[i];
    if (!ha_table[i].page) return NULL;
  }
}

static ha_slot *ha_insert(uintptr_t page) {
  size_t i = ha_hash(page);
  while (ha_table[i].page && ha_table[i].page != page) i = (i + 1) & (HA_SLOTS - 1);
  if (!ha_table[i].page) {
    ha_table[i].page = page;
    ha_table[i].live = 0;
    ha.used++;
  }
  return &ha_table[i];
}

/* linear-probing delete: shift later entries of the cluster back */
static void ha_remove(ha_slot *s) {
  size_t i = (size_t)(s - ha_table);
  size_t j = i;
  for (;;) {
    j = (j + 1) & (HA_SLOTS - 1);
    if (!ha_table[j].page) break;
    size_t k = ha_hash(ha_table[j].page);
    /* move j to i when its home k is not cyclically in (i, j] */
    if ((i <= j) ? (k <= i || k > j) : (k <= i && k > j)) {
      ha_table[i] = ha_table[j];
      i = j;
    }
  }
  ha_table[i].page = 0;
  ha_table[i].live = 0;
  ha.used--;
}

/* Unmap the current region's unused range, except the rest of a huge page already in use (it is
 * unmapped with its used half, whole). */
static void ha_trim(void) {
  if (ha.next && ha.end > ha.next) {
    uint8_t *from = (uint8_t *)(((uintptr_t)ha.next + HA_HUGE - 1) & ~(uintptr_t)(HA_HUGE - 1));
    if (ha.end > from) munmap(from, (size_t)(ha.end - from));
  }
  ha.next = ha.end = NULL;
}

static void *ha_alloc(void *ctx, size_t size) {
  (void)ctx;
  if (!ha.active || size != HA_ARENA || ha.used >= HA_SLOTS / 2) return ha.base.alloc(ha.base.ctx, size);
  if (!ha.next || ha.end - ha.next < (ptrdiff_t)HA_ARENA) {
    ha_trim();
    size_t len = HA_REGION + HA_HUGE;
    uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return ha.base.alloc(ha.base.ctx, size);
    uint8_t *a = (uint8_t *)(((uintptr_t)m + HA_HUGE - 1) & ~(uintptr_t)(HA_HUGE - 1));
    uint8_t *e = a + HA_REGION;
    if (a > m) munmap(m, (size_t)(a - m));
    if (m + len > e) munmap(e, (size_t)(m + len - e));
#ifdef MADV_HUGEPAGE
    (void)madvise(a, HA_REGION, MADV_HUGEPAGE); /* advice: without THP the pages stay small */
#endif
    ha.next = a;
    ha.end = e;
  }
  uint8_t *p = ha.next;
  ha.next += HA_ARENA;
  uintptr_t page = (uintptr_t)p & ~(uintptr_t)(HA_HUGE - 1);
  ha_insert(page)->live |= 1u << (((uintptr_t)p - page) / HA_ARENA);
  return p;
}

static void ha_free(void *ctx, void *ptr, size_t size) {
  (void)ctx;
  uintptr_t page = (uintptr_t)ptr & ~(uintptr_t)(HA_HUGE - 1);
  ha_slot *s = size == HA_ARENA && ha.used ? ha_find(page) : NULL;
  if (!s) {
    ha.base.free(ha.base.ctx, ptr, size);
    return;
  }
  s->live &= ~(1u << (((uintptr_t)ptr - page) / HA_ARENA));
  /* the page is released whole once both arenas are free, unless the region still carves from it */
  int carving = ha.next && (uintptr_t)ha.next > page && (uintptr_t)ha.next < page + HA_HUGE;
  if (!s->live && !carving) {
    munmap((void *)page, HA_HUGE);
    ha_remove(s);
  }
}

/* Non-zero when @p fn is code of the object that holds PyObject_Malloc (the interpreter). */
static int ha_is_cpython(void *fn) {
  Dl_info a, b;
  if (!fn || !dladdr(fn, &a) || !dladdr((void *)(uintptr_t)&PyObject_Malloc, &b)) return 0;
  return a.dli_fbase == b.dli_fbase;
}

/* Called before a decode of @p input_len bytes; pair with ha_end(). GIL held. */
static void ha_begin(size_t input_len) {
  if (ha.depth++ > 0 || !ha.enabled || input_len < HA_MIN_INPUT) return;
  if (!ha.installed) {
    PyObjectArenaAllocator cur;
    PyObject_GetArenaAllocator(&cur);
    if (cur.ctx || !ha_is_cpython((void *)(uintptr_t)cur.alloc) || !ha_is_cpython((void *)(uintptr_t)cur.free)) return;
    ha.base = cur;
    PyObjectArenaAllocator mine = {NULL, ha_alloc, ha_free};
    PyObject_SetArenaAllocator(&mine);
    ha.installed = 1;
  }
  ha.active = 1;
}

static void ha_end(void) {
  if (--ha.depth > 0 || !ha.active) return;
  ha.active = 0;
  /* a page half carved and never freed stays tracked: it goes when its arena does */
  uint8_t *next = ha.next;
  ha_trim();
  if (next && ((uintptr_t)next & (HA_HUGE - 1))) {
    ha_slot *s = ha_find((uintptr_t)next & ~(uintptr_t)(HA_HUGE - 1));
    if (s && !s->live) { /* its arena was already released: nothing holds the page */
      munmap((void *)s->page, HA_HUGE);
      ha_remove(s);
    }
  }
}

static PyObject *py_set_hugepages(PyObject *self, PyObject *arg) {
  (void)self;
  int on = PyObject_IsTrue(arg);
  if (on < 0) return NULL;
  int was = ha.enabled;
  ha.enabled = on;
  return PyBool_FromLong(was);
}

/* (installed, huge pages tracked, arenas live in them): for tests and diagnostics */
static PyObject *py_hugepage_stats(PyObject *self, PyObject *unused) {
  (void)self;
  (void)unused;
  size_t arenas = 0;
  for (size_t i = 0; i < HA_SLOTS; i++)
    if (ha_table[i].page) arenas += (size_t)__builtin_popcount(ha_table[i].live);
  return Py_BuildValue("(inn)", ha.installed, (Py_ssize_t)ha.used, (Py_ssize_t)arenas);
}

static void ha_init_from_env(void) {
  const char *e = getenv("ZERIAL_HUGEPAGES");
  if (e && (strcmp(e, "0") == 0 || strcmp(e, "false") == 0 || strcmp(e, "off") == 0)) ha.enabled = 0;
}
