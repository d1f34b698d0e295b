/* zr_table: ownership of Arrow C Data Interface structs. */
#include <stdlib.h>

#include "internal.h"

int64_t zr_table_num_rows(const zr_table *t) {
  if (!t) return 0;
  int64_t n = 0;
  for (int64_t i = 0; i < t->n_batches; i++) n += t->batches[i].length;
  return n;
}

void zr_table_release(zr_table *t) {
  if (!t) return;
  for (int64_t i = 0; i < t->n_batches; i++)
    if (t->batches[i].release) t->batches[i].release(&t->batches[i]);
  if (t->schema.release) t->schema.release(&t->schema);
  if (t->batches) {
    const zr_allocator *a = zr__alloc_or_default(t->alloc_ctx);
    zr__free(a, t->batches);
  }
  memset(t, 0, sizeof *t);
}

/* Content equality and deep copy of tables need the Arrow layouts; src/formats/arrow provides
 * them through these hooks (set when the Arrow module initialises), so core stays format-free. */
int (*zr__table_equal_hook)(const zr_table *a, const zr_table *b) = NULL;
zr_status (*zr__table_copy_hook)(zr_doc *d, const zr_table *src, zr_table *dst, zr_error *err) = NULL;

int zr__table_equal(const zr_table *a, const zr_table *b) {
  if (a == b) return 1;
  if (zr__table_equal_hook) return zr__table_equal_hook(a, b);
  return 0;
}

zr_status zr__table_copy(zr_doc *d, const zr_table *src, zr_table *dst, zr_error *err) {
  if (zr__table_copy_hook) return zr__table_copy_hook(d, src, dst, err);
  return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "copying a table needs the Arrow module");
}
