/* Hand-made Arrow C Data Interface nodes for the Arrow tests (as another producer would build
 * them): a static pool reset by reset(); release callbacks only mark the node released. */
#ifndef ZR_TEST_CDATA_NODES_H
#define ZR_TEST_CDATA_NODES_H
#include <stdarg.h>
#include <string.h>

#include "zerial/table.h"

static struct ArrowSchema spool[64];
static struct ArrowSchema *skids[64][4];
static struct ArrowArray apool[64];
static struct ArrowArray *akids[64][4];
static const void *abufs[64][6];
static int ns, na;

static void s_release(struct ArrowSchema *s) { s->release = NULL; }
static void a_release(struct ArrowArray *a) { a->release = NULL; }

static void reset(void) {
  memset(spool, 0, sizeof spool);
  memset(apool, 0, sizeof apool);
  memset(abufs, 0, sizeof abufs);
  ns = na = 0;
}

static struct ArrowSchema *S(const char *fmt, const char *name, int64_t flags, int nk, ...) {
  struct ArrowSchema *s = &spool[ns];
  s->format = fmt;
  s->name = name;
  s->flags = flags;
  s->n_children = nk;
  s->children = skids[ns];
  s->release = s_release;
  va_list ap;
  va_start(ap, nk);
  for (int i = 0; i < nk; i++) skids[ns][i] = va_arg(ap, struct ArrowSchema *);
  va_end(ap);
  ns++;
  return s;
}

static struct ArrowArray *A(int64_t len, int64_t nulls, int nb, const void *b0, const void *b1, const void *b2, int nk, ...) {
  struct ArrowArray *a = &apool[na];
  a->length = len;
  a->null_count = nulls;
  a->n_buffers = nb;
  abufs[na][0] = b0;
  abufs[na][1] = b1;
  abufs[na][2] = b2;
  a->buffers = abufs[na];
  a->n_children = nk;
  a->children = akids[na];
  a->release = a_release;
  va_list ap;
  va_start(ap, nk);
  for (int i = 0; i < nk; i++) akids[na][i] = va_arg(ap, struct ArrowArray *);
  va_end(ap);
  na++;
  return a;
}

#endif
