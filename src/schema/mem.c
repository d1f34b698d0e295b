/* Memory of the schema module: one allocator for every block it allocates itself. */
#include "schema/schema_internal.h"

static const zr_allocator *schema_alloc; /* NULL: the C library's */

void zr__schema_set_allocator(const zr_allocator *a) { __atomic_store_n(&schema_alloc, a, __ATOMIC_RELEASE); }

const zr_allocator *zs_alloc(void) { return zr__alloc_or_default(__atomic_load_n(&schema_alloc, __ATOMIC_ACQUIRE)); }

void *zs_calloc(size_t n, size_t size) {
  uint64_t total;
  if (zr__mul_overflow(n, size, &total) || total > SIZE_MAX) return NULL;
  void *p = zs_malloc((size_t)total);
  if (p) memset(p, 0, (size_t)total);
  return p;
}

char *zs_strndup(const char *s, size_t n) {
  char *d = zs_malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

char *zs_strdup(const char *s) { return zs_strndup(s, strlen(s)); }

/* jansson ignores the callback's answer in places (object keys): a failure is remembered */
typedef struct dumpbuf {
  zr__buf b;
  zr_status st;
} dumpbuf;

static int dump_cb(const char *buffer, size_t size, void *data) {
  dumpbuf *d = data;
  if (d->st == ZR_OK) d->st = zr__buf_append(&d->b, buffer, size);
  return d->st == ZR_OK ? 0 : -1;
}

char *zs_json_dumps(const json_t *j, size_t flags) {
  if (!j) return NULL;
  dumpbuf d = {.st = ZR_OK};
  zr__buf_init(&d.b, zs_alloc());
  if (json_dump_callback(j, dump_cb, &d, flags) != 0 || d.st != ZR_OK || zr__buf_push(&d.b, 0) != ZR_OK) {
    zr__buf_free(&d.b);
    return NULL;
  }
  return (char *)d.b.data;
}

json_t *zs_json_loadb(const char *text, size_t len, size_t flags, json_error_t *je, int *oom) {
  memset(je, 0, sizeof *je);
  json_t *j = json_loadb(text, len, flags, je);
  /* jansson fails its first allocation before it sets an error text, later ones with the code */
  *oom = !j && (je->text[0] == '\0' || json_error_code(je) == json_error_out_of_memory);
  return j;
}
