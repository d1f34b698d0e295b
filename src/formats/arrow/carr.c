/* Arrow C Data Interface nodes: stores, schema/array construction and release, format strings,
 * metadata blobs, logical equality. */
#include <stdio.h>
#include <stdlib.h>

#include "formats/arrow/arrow_int.h"

/* ------------------------------------------------------------------ store */

struct za_block {
  za_block *next;
};

za_store *za_store_new(const zr_allocator *alloc, uint64_t limit) {
  const zr_allocator *a = zr__alloc_or_default(alloc);
  za_store *s = zr__malloc(a, sizeof *s);
  if (!s) return NULL;
  memset(s, 0, sizeof *s);
  s->refs = 1;
  s->alloc = a;
  s->limit = limit;
  return s;
}

void za_store_ref(za_store *s) {
  if (s) __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

void za_store_unref(za_store *s) {
  if (!s) return;
  if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  za_block *b = s->blocks;
  while (b) {
    za_block *n = b->next;
    zr__free(s->alloc, b);
    b = n;
  }
  if (s->keep_release) s->keep_release(s->keep_owner);
  zr__free(s->alloc, s);
}

void *za_store_alloc(za_store *s, size_t n) {
  size_t padded = zr__align_up(n, 64);
  if (padded < n) return NULL;
  size_t total = padded + 128;
  if (total < padded) return NULL;
  if (s->limit && (s->bytes + total > s->limit || s->bytes + total < s->bytes)) return NULL;
  za_block *b = zr__malloc(s->alloc, total);
  if (!b) return NULL;
  b->next = s->blocks;
  s->blocks = b;
  s->bytes += total;
  uint8_t *p = (uint8_t *)(((uintptr_t)(b + 1) + 63) & ~(uintptr_t)63);
  if (padded > n) memset(p + n, 0, padded - n);
  return p;
}

/* ------------------------------------------------------------------ arrays */

typedef struct za_apriv {
  za_store *st;
  const zr_allocator *alloc;
  int64_t nkids;
  struct ArrowArray *kids;
  struct ArrowArray *dict;
} za_apriv;

void za_array_release(struct ArrowArray *a) {
  if (!a || !a->release) return;
  za_apriv *p = a->private_data;
  for (int64_t i = 0; i < p->nkids; i++)
    if (p->kids[i].release) p->kids[i].release(&p->kids[i]);
  if (p->dict && p->dict->release) p->dict->release(p->dict);
  za_store_unref(p->st);
  const zr_allocator *al = p->alloc;
  zr__free(al, p);
  a->release = NULL;
}

zr_status za_array_make(struct ArrowArray *a, za_store *st, int64_t nbuf, int64_t nkids, int with_dict) {
  memset(a, 0, sizeof *a);
  if (nbuf < 0 || nkids < 0 || nbuf > 1 << 20 || nkids > 1 << 20) return ZR_ERR_LIMIT;
  size_t sz = sizeof(za_apriv) + (size_t)nbuf * sizeof(void *) + (size_t)nkids * sizeof(void *);
  sz = zr__align_up(sz, 16);
  size_t kid_off = sz;
  sz += (size_t)nkids * sizeof(struct ArrowArray) + (with_dict ? sizeof(struct ArrowArray) : 0);
  za_apriv *p = zr__malloc(st->alloc, sz);
  if (!p) return ZR_ERR_NOMEM;
  memset(p, 0, sz);
  p->st = st;
  p->alloc = st->alloc;
  p->nkids = nkids;
  const void **bufs = (const void **)(p + 1);
  struct ArrowArray **kidp = (struct ArrowArray **)(bufs + nbuf);
  p->kids = (struct ArrowArray *)((uint8_t *)p + kid_off);
  for (int64_t i = 0; i < nkids; i++) kidp[i] = &p->kids[i];
  if (with_dict) p->dict = p->kids + nkids;
  za_store_ref(st);
  a->n_buffers = nbuf;
  a->n_children = nkids;
  a->buffers = bufs;
  a->children = nkids ? kidp : NULL;
  a->dictionary = p->dict;
  a->release = za_array_release;
  a->private_data = p;
  return ZR_OK;
}

zr_status za_array_share(const struct ArrowArray *src, struct ArrowArray *dst, const zr_allocator *alloc) {
  (void)alloc;
  memset(dst, 0, sizeof *dst);
  if (!src->release || src->release != za_array_release) return ZR_ERR_UNSUPPORTED;
  za_apriv *sp = src->private_data;
  ZR_TRY(za_array_make(dst, sp->st, src->n_buffers, src->n_children, src->dictionary != NULL));
  dst->length = src->length;
  dst->null_count = src->null_count;
  dst->offset = src->offset;
  for (int64_t i = 0; i < src->n_buffers; i++) dst->buffers[i] = src->buffers[i];
  for (int64_t i = 0; i < src->n_children; i++) {
    zr_status st = za_array_share(src->children[i], dst->children[i], alloc);
    if (st) {
      za_array_release(dst);
      return st;
    }
  }
  if (src->dictionary) {
    zr_status st = za_array_share(src->dictionary, dst->dictionary, alloc);
    if (st) {
      za_array_release(dst);
      return st;
    }
  }
  return ZR_OK;
}

/* ------------------------------------------------------------------ schemas */

typedef struct za_spriv {
  const zr_allocator *alloc;
  int64_t dict_id;
  int64_t nkids;
  struct ArrowSchema *kids;
  struct ArrowSchema *dict;
} za_spriv;

void za_schema_release(struct ArrowSchema *s) {
  if (!s || !s->release) return;
  za_spriv *p = s->private_data;
  for (int64_t i = 0; i < p->nkids; i++)
    if (p->kids[i].release) p->kids[i].release(&p->kids[i]);
  if (p->dict && p->dict->release) p->dict->release(p->dict);
  zr__free(p->alloc, p);
  s->release = NULL;
}

zr_status za_schema_make(struct ArrowSchema *s, const zr_allocator *alloc, const char *format,
                         const char *name, const char *metadata, int64_t flags, int64_t nkids,
                         int with_dict) {
  const zr_allocator *a = zr__alloc_or_default(alloc);
  memset(s, 0, sizeof *s);
  if (nkids < 0 || nkids > 1 << 20) return ZR_ERR_LIMIT;
  size_t fl = strlen(format) + 1, nl = name ? strlen(name) + 1 : 0, ml = metadata ? za_md_size(metadata) : 0;
  if (metadata && ml == 0) return ZR_ERR_MALFORMED; /* a foreign metadata blob with a negative length */
  size_t sz = zr__align_up(sizeof(za_spriv) + (size_t)nkids * sizeof(void *), 16);
  size_t kid_off = sz;
  sz += (size_t)nkids * sizeof(struct ArrowSchema) + (with_dict ? sizeof(struct ArrowSchema) : 0);
  size_t str_off = sz;
  sz += fl + nl + ml;
  za_spriv *p = zr__malloc(a, sz);
  if (!p) return ZR_ERR_NOMEM;
  memset(p, 0, sz);
  p->alloc = a;
  p->dict_id = -1;
  p->nkids = nkids;
  struct ArrowSchema **kidp = (struct ArrowSchema **)(p + 1);
  p->kids = (struct ArrowSchema *)((uint8_t *)p + kid_off);
  for (int64_t i = 0; i < nkids; i++) kidp[i] = &p->kids[i];
  if (with_dict) p->dict = p->kids + nkids;
  char *str = (char *)p + str_off;
  memcpy(str, format, fl);
  s->format = str;
  str += fl;
  if (name) {
    memcpy(str, name, nl);
    s->name = str;
    str += nl;
  }
  if (metadata) {
    memcpy(str, metadata, ml);
    s->metadata = str;
  }
  s->flags = flags;
  s->n_children = nkids;
  s->children = nkids ? kidp : NULL;
  s->dictionary = p->dict;
  s->release = za_schema_release;
  s->private_data = p;
  return ZR_OK;
}

int64_t za_schema_dict_id(const struct ArrowSchema *s) {
  if (s->release != za_schema_release) return -1;
  return ((za_spriv *)s->private_data)->dict_id;
}

void za_schema_set_dict_id(struct ArrowSchema *s, int64_t id) {
  if (s->release == za_schema_release) ((za_spriv *)s->private_data)->dict_id = id;
}

zr_status za_schema_copy(const struct ArrowSchema *src, struct ArrowSchema *dst, const zr_allocator *alloc) {
  memset(dst, 0, sizeof *dst);
  /* the format string is mandatory (CDataInterface.rst): a foreign node without one is malformed */
  if (!src->format) return ZR_ERR_MALFORMED;
  ZR_TRY(za_schema_make(dst, alloc, src->format, src->name, src->metadata, src->flags, src->n_children,
                        src->dictionary != NULL));
  za_schema_set_dict_id(dst, za_schema_dict_id(src));
  for (int64_t i = 0; i < src->n_children; i++) {
    zr_status st = za_schema_copy(src->children[i], dst->children[i], alloc);
    if (st) {
      za_schema_release(dst);
      return st;
    }
  }
  if (src->dictionary) {
    zr_status st = za_schema_copy(src->dictionary, dst->dictionary, alloc);
    if (st) {
      za_schema_release(dst);
      return st;
    }
  }
  return ZR_OK;
}

/* ------------------------------------------------------------------ metadata */

int32_t za_md_count(const char *md) {
  if (!md) return 0;
  int32_t n;
  memcpy(&n, md, 4);
  return n < 0 ? 0 : n;
}

int za_md_get(const char *md, int32_t idx, const char **k, int32_t *kl, const char **v, int32_t *vl) {
  if (!md) return 0;
  const char *p = md + 4;
  for (int32_t i = 0; i <= idx; i++) {
    int32_t a, b;
    memcpy(&a, p, 4);
    if (a < 0) return 0;
    const char *kp = p + 4;
    p = kp + a;
    memcpy(&b, p, 4);
    if (b < 0) return 0;
    const char *vp = p + 4;
    p = vp + b;
    if (i == idx) {
      *k = kp;
      *kl = a;
      *v = vp;
      *vl = b;
    }
  }
  return 1;
}

size_t za_md_size(const char *md) {
  if (!md) return 0;
  int32_t n = za_md_count(md);
  const char *p = md + 4;
  for (int32_t i = 0; i < n; i++) {
    int32_t a;
    memcpy(&a, p, 4);
    if (a < 0) return 0; /* malformed: a negative key length */
    p += 4 + a;
    memcpy(&a, p, 4);
    if (a < 0) return 0; /* a negative value length */
    p += 4 + a;
  }
  return (size_t)(p - md);
}

zr_status za_md_add(zr__buf *b, const char *k, size_t kl, const char *v, size_t vl) {
  if (b->len == 0) {
    int32_t z = 0;
    ZR_TRY(zr__buf_append(b, &z, 4));
  }
  int32_t n;
  memcpy(&n, b->data, 4);
  n++;
  memcpy(b->data, &n, 4);
  int32_t x = (int32_t)kl;
  ZR_TRY(zr__buf_append(b, &x, 4));
  ZR_TRY(zr__buf_append(b, k, kl));
  x = (int32_t)vl;
  ZR_TRY(zr__buf_append(b, &x, 4));
  return zr__buf_append(b, v, vl);
}

const char *za_md_find(const char *md, const char *key, int32_t *vl) {
  int32_t n = za_md_count(md);
  size_t kl = strlen(key);
  for (int32_t i = 0; i < n; i++) {
    const char *k = NULL, *v = NULL;
    int32_t a = 0, b = 0;
    if (!za_md_get(md, i, &k, &a, &v, &b)) return NULL;
    if ((size_t)a == kl && memcmp(k, key, kl) == 0) {
      *vl = b;
      return v;
    }
  }
  return NULL;
}

/* ------------------------------------------------------------------ format strings */

static int parse_int(const char **p, long *out) {
  char *e;
  long v = strtol(*p, &e, 10);
  if (e == *p) return 0;
  *p = e;
  *out = v;
  return 1;
}

zr_status za_parse_format(const char *f, za_type *t, zr_error *err) {
  memset(t, 0, sizeof *t);
  t->layout = ZA_L_FIXED;
  if (!f || !*f) return zr__err(err, ZR_ERR_MALFORMED, -1, "arrow: empty format string");
  const char *p;
  long v;
  if (f[1] == 0) {
    t->is_signed = 1;
    switch (f[0]) {
      case 'n': t->layout = ZA_L_NULL; t->fb = ZA_FB_NULL; return ZR_OK;
      case 'b': t->layout = ZA_L_BOOL; t->fb = ZA_FB_BOOL; return ZR_OK;
      case 'c': t->width = 1; t->bits = 8; t->fb = ZA_FB_INT; return ZR_OK;
      case 'C': t->width = 1; t->bits = 8; t->is_signed = 0; t->fb = ZA_FB_INT; return ZR_OK;
      case 's': t->width = 2; t->bits = 16; t->fb = ZA_FB_INT; return ZR_OK;
      case 'S': t->width = 2; t->bits = 16; t->is_signed = 0; t->fb = ZA_FB_INT; return ZR_OK;
      case 'i': t->width = 4; t->bits = 32; t->fb = ZA_FB_INT; return ZR_OK;
      case 'I': t->width = 4; t->bits = 32; t->is_signed = 0; t->fb = ZA_FB_INT; return ZR_OK;
      case 'l': t->width = 8; t->bits = 64; t->fb = ZA_FB_INT; return ZR_OK;
      case 'L': t->width = 8; t->bits = 64; t->is_signed = 0; t->fb = ZA_FB_INT; return ZR_OK;
      case 'e': t->width = 2; t->is_float = 1; t->prec = 0; t->fb = ZA_FB_FLOAT; return ZR_OK;
      case 'f': t->width = 4; t->is_float = 1; t->prec = 1; t->fb = ZA_FB_FLOAT; return ZR_OK;
      case 'g': t->width = 8; t->is_float = 1; t->prec = 2; t->fb = ZA_FB_FLOAT; return ZR_OK;
      case 'z': t->layout = ZA_L_BIN; t->fb = ZA_FB_BINARY; return ZR_OK;
      case 'Z': t->layout = ZA_L_LBIN; t->fb = ZA_FB_LBINARY; return ZR_OK;
      case 'u': t->layout = ZA_L_BIN; t->is_utf8 = 1; t->fb = ZA_FB_UTF8; return ZR_OK;
      case 'U': t->layout = ZA_L_LBIN; t->is_utf8 = 1; t->fb = ZA_FB_LUTF8; return ZR_OK;
      default: break;
    }
  }
  if (strcmp(f, "vz") == 0) { t->layout = ZA_L_VIEW; t->fb = ZA_FB_BINVIEW; return ZR_OK; }
  if (strcmp(f, "vu") == 0) { t->layout = ZA_L_VIEW; t->is_utf8 = 1; t->fb = ZA_FB_UTF8VIEW; return ZR_OK; }
  if (f[0] == 'd' && f[1] == ':') {
    p = f + 2;
    long pr, sc, bw = 128;
    if (!parse_int(&p, &pr) || *p++ != ',' || !parse_int(&p, &sc)) goto bad;
    if (*p == ',') {
      p++;
      if (!parse_int(&p, &bw)) goto bad;
    }
    if (*p || (bw != 32 && bw != 64 && bw != 128 && bw != 256) || pr <= 0 || pr > 76) goto bad;
    t->fb = ZA_FB_DECIMAL;
    t->prec = (int)pr;
    t->scale = (int)sc;
    t->bits = (int)bw;
    t->width = (int)bw / 8;
    return ZR_OK;
  }
  if (f[0] == 'w' && f[1] == ':') {
    p = f + 2;
    if (!parse_int(&p, &v) || *p || v < 0 || v > INT32_MAX) goto bad;
    t->fb = ZA_FB_FSB;
    t->width = (int)v;
    return ZR_OK;
  }
  if (f[0] == 't') {
    /* every temporal format has at least three characters: f[3] below is then the NUL at worst */
    if (!f[1] || !f[2]) goto bad;
    t->is_signed = 1;
    if (f[1] == 'd' && f[3] == 0) {
      t->fb = ZA_FB_DATE;
      if (f[2] == 'D') { t->unit = 0; t->width = 4; t->bits = 32; return ZR_OK; }
      if (f[2] == 'm') { t->unit = 1; t->width = 8; t->bits = 64; return ZR_OK; }
      goto bad;
    }
    int unit = -1;
    char c = f[2];
    unit = c == 's' ? 0 : c == 'm' ? 1 : c == 'u' ? 2 : c == 'n' ? 3 : -1;
    if (f[1] == 't' && f[3] == 0 && unit >= 0) {
      t->fb = ZA_FB_TIME;
      t->unit = unit;
      t->width = unit <= 1 ? 4 : 8;
      t->bits = t->width * 8;
      return ZR_OK;
    }
    if (f[1] == 's' && unit >= 0 && f[3] == ':') {
      t->fb = ZA_FB_TIMESTAMP;
      t->unit = unit;
      t->width = 8;
      t->bits = 64;
      t->tz = f + 4;
      t->tzlen = strlen(f + 4);
      if (t->tzlen == 0) t->tz = NULL;
      return ZR_OK;
    }
    if (f[1] == 'D' && unit >= 0 && f[3] == 0) {
      t->fb = ZA_FB_DURATION;
      t->unit = unit;
      t->width = 8;
      t->bits = 64;
      return ZR_OK;
    }
    if (f[1] == 'i' && f[3] == 0) {
      t->fb = ZA_FB_INTERVAL;
      if (c == 'M') { t->unit = 0; t->width = 4; return ZR_OK; }
      if (c == 'D') { t->unit = 1; t->width = 8; return ZR_OK; }
      if (c == 'n') { t->unit = 2; t->width = 16; return ZR_OK; }
    }
    goto bad;
  }
  if (f[0] == '+') {
    if (strcmp(f, "+l") == 0) { t->layout = ZA_L_LIST; t->fb = ZA_FB_LIST; return ZR_OK; }
    if (strcmp(f, "+L") == 0) { t->layout = ZA_L_LLIST; t->fb = ZA_FB_LLIST; return ZR_OK; }
    if (strcmp(f, "+vl") == 0) { t->layout = ZA_L_LISTVIEW; t->fb = ZA_FB_LISTVIEW; return ZR_OK; }
    if (strcmp(f, "+vL") == 0) { t->layout = ZA_L_LLISTVIEW; t->fb = ZA_FB_LLISTVIEW; return ZR_OK; }
    if (strcmp(f, "+s") == 0) { t->layout = ZA_L_STRUCT; t->fb = ZA_FB_STRUCT; return ZR_OK; }
    if (strcmp(f, "+m") == 0) { t->layout = ZA_L_LIST; t->is_map = 1; t->fb = ZA_FB_MAP; return ZR_OK; }
    if (strcmp(f, "+r") == 0) { t->layout = ZA_L_REE; t->fb = ZA_FB_REE; return ZR_OK; }
    if (f[1] == 'w' && f[2] == ':') {
      p = f + 3;
      if (!parse_int(&p, &v) || *p || v < 0 || v > INT32_MAX) goto bad;
      t->layout = ZA_L_FSL;
      t->fb = ZA_FB_FSL;
      t->list_size = (int32_t)v;
      return ZR_OK;
    }
    if (f[1] == 'u' && (f[2] == 'd' || f[2] == 's') && f[3] == ':') {
      t->layout = f[2] == 'd' ? ZA_L_DUNION : ZA_L_SUNION;
      t->fb = ZA_FB_UNION;
      p = f + 4;
      while (*p) {
        if (!parse_int(&p, &v) || v < 0 || v > 127 || t->n_ids >= 128) goto bad;
        t->ids[t->n_ids++] = (int8_t)v;
        if (*p == ',') p++;
        else if (*p) goto bad;
      }
      return ZR_OK;
    }
  }
bad:
  return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "arrow: unsupported format string '%.40s'", f);
}

/* ------------------------------------------------------------------ equality */

#define WHY(...)                                                                                   \
  do {                                                                                             \
    if (why && cap) snprintf(why, cap, __VA_ARGS__);                                               \
  } while (0)

static int str_eq0(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

/* Metadata as maps: same keys with the same values, in any order. */
static int md_equal(const char *a, const char *b) {
  int32_t n = za_md_count(a);
  if (n != za_md_count(b)) return 0;
  for (int32_t i = 0; i < n; i++) {
    const char *k = NULL, *v = NULL, *w = NULL;
    int32_t kl = 0, vl = 0, wl = 0;
    if (!za_md_get(a, i, &k, &kl, &v, &vl)) return 0;
    int found = 0;
    for (int32_t j = 0; j < n && !found; j++) {
      const char *k2 = NULL;
      int32_t k2l = 0;
      if (!za_md_get(b, j, &k2, &k2l, &w, &wl)) return 0;
      if (k2l == kl && memcmp(k, k2, (size_t)kl) == 0) {
        if (wl != vl || memcmp(v, w, (size_t)vl) != 0) return 0;
        found = 1;
      }
    }
    if (!found) return 0;
  }
  return 1;
}

/* Map entry and key/value names are not part of the type (as in Arrow's own type equality). */
static int schema_eq(const struct ArrowSchema *a, const struct ArrowSchema *b, int ignore_name, char *why, size_t cap) {
  if (!str_eq0(a->format, b->format)) {
    WHY("field '%s': type %s vs %s", a->name ? a->name : "", a->format, b->format);
    return 0;
  }
  if (!ignore_name && !str_eq0(a->name, b->name)) {
    WHY("field name '%s' vs '%s'", a->name ? a->name : "", b->name ? b->name : "");
    return 0;
  }
  if (a->flags != b->flags) {
    WHY("field '%s': flags %lld vs %lld", a->name ? a->name : "", (long long)a->flags, (long long)b->flags);
    return 0;
  }
  if (!md_equal(a->metadata, b->metadata)) {
    WHY("field '%s': metadata differs", a->name ? a->name : "");
    return 0;
  }
  if (a->n_children != b->n_children) {
    WHY("field '%s': %lld vs %lld children", a->name ? a->name : "", (long long)a->n_children,
        (long long)b->n_children);
    return 0;
  }
  int is_map = a->format && strcmp(a->format, "+m") == 0;
  for (int64_t i = 0; i < a->n_children; i++)
    if (!schema_eq(a->children[i], b->children[i], is_map ? 2 : ignore_name == 2, why, cap)) return 0;
  if ((a->dictionary == NULL) != (b->dictionary == NULL)) {
    WHY("field '%s': dictionary encoding differs", a->name ? a->name : "");
    return 0;
  }
  if (a->dictionary) return schema_eq(a->dictionary, b->dictionary, 0, why, cap);
  return 1;
}

int za_schema_equal(const struct ArrowSchema *a, const struct ArrowSchema *b, char *why, size_t cap) {
  return schema_eq(a, b, 0, why, cap);
}

static int64_t ld_off(const void *buf, int big, int64_t i) {
  if (big) return (int64_t)zr__ld64le((const uint8_t *)buf + 8 * i);
  return (int32_t)zr__ld32le((const uint8_t *)buf + 4 * i);
}

static int valid_at(const struct ArrowArray *a, int64_t i) {
  return a->null_count == 0 || a->n_buffers == 0 ? 1 : za_bit(a->buffers[0], a->offset + i);
}

static void view_get(const struct ArrowArray *a, int64_t i, const uint8_t **p, int32_t *len) {
  const uint8_t *v = (const uint8_t *)a->buffers[1] + 16 * (a->offset + i);
  int32_t l = (int32_t)zr__ld32le(v);
  *len = l;
  if (l <= 12) {
    *p = v + 4;
  } else {
    int32_t bi = (int32_t)zr__ld32le(v + 8), off = (int32_t)zr__ld32le(v + 12);
    *p = (const uint8_t *)a->buffers[2 + bi] + off;
  }
}

static int64_t ree_phys(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t i) {
  const struct ArrowArray *re = a->children[0];
  int w = s->children[0]->format[0] == 's' ? 2 : s->children[0]->format[0] == 'i' ? 4 : 8;
  int64_t lo = 0, hi = re->length - 1, li = a->offset + i;
  const uint8_t *b = (const uint8_t *)re->buffers[1];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    int64_t e = w == 2 ? (int16_t)zr__ld16le(b + 2 * (re->offset + mid))
                : w == 4 ? (int32_t)zr__ld32le(b + 4 * (re->offset + mid))
                         : (int64_t)zr__ld64le(b + 8 * (re->offset + mid));
    if (e > li) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

static int64_t idx_at(const za_type *t, const struct ArrowArray *a, int64_t i) {
  const uint8_t *b = (const uint8_t *)a->buffers[1];
  int64_t j = a->offset + i;
  switch (t->width) {
    case 1: return t->is_signed ? (int8_t)b[j] : b[j];
    case 2: return t->is_signed ? (int16_t)zr__ld16le(b + 2 * j) : zr__ld16le(b + 2 * j);
    case 4: return t->is_signed ? (int32_t)zr__ld32le(b + 4 * j) : (int64_t)zr__ld32le(b + 4 * j);
    default: return (int64_t)zr__ld64le(b + 8 * j);
  }
}

/* Compare n logical elements: a[ai..] with b[bi..]. */
static int eq_range(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t ai,
                    const struct ArrowArray *b, int64_t bi, int64_t n, char *why, size_t cap) {
  za_type t;
  if (za_parse_format(s->format, &t, NULL)) return 0;
  for (int64_t k = 0; k < n; k++) {
    int64_t i = ai + k, j = bi + k;
    if (t.layout != ZA_L_NULL && t.layout != ZA_L_SUNION && t.layout != ZA_L_DUNION && t.layout != ZA_L_REE) {
      int va = valid_at(a, i), vb = valid_at(b, j);
      if (va != vb) {
        WHY("field '%s': validity differs at %lld", s->name ? s->name : "", (long long)i);
        return 0;
      }
      if (!va) continue;
    }
    if (s->dictionary) {
      int64_t x = idx_at(&t, a, i), y = idx_at(&t, b, j);
      if (!eq_range(s->dictionary, a->dictionary, x, b->dictionary, y, 1, why, cap)) return 0;
      continue;
    }
    int ok = 1;
    switch (t.layout) {
      case ZA_L_NULL: break;
      case ZA_L_BOOL: ok = za_bit(a->buffers[1], a->offset + i) == za_bit(b->buffers[1], b->offset + j); break;
      case ZA_L_FIXED:
        ok = t.width == 0 || memcmp((const uint8_t *)a->buffers[1] + (size_t)t.width * (a->offset + i),
                                    (const uint8_t *)b->buffers[1] + (size_t)t.width * (b->offset + j),
                                    (size_t)t.width) == 0;
        break;
      case ZA_L_BIN:
      case ZA_L_LBIN: {
        int big = t.layout == ZA_L_LBIN;
        int64_t s0 = ld_off(a->buffers[1], big, a->offset + i), e0 = ld_off(a->buffers[1], big, a->offset + i + 1);
        int64_t s1 = ld_off(b->buffers[1], big, b->offset + j), e1 = ld_off(b->buffers[1], big, b->offset + j + 1);
        ok = e0 - s0 == e1 - s1 &&
             (e0 == s0 || memcmp((const uint8_t *)a->buffers[2] + s0, (const uint8_t *)b->buffers[2] + s1,
                                 (size_t)(e0 - s0)) == 0);
        break;
      }
      case ZA_L_VIEW: {
        const uint8_t *p, *q;
        int32_t l0, l1;
        view_get(a, i, &p, &l0);
        view_get(b, j, &q, &l1);
        ok = l0 == l1 && (l0 == 0 || memcmp(p, q, (size_t)l0) == 0);
        break;
      }
      case ZA_L_LIST:
      case ZA_L_LLIST: {
        int big = t.layout == ZA_L_LLIST;
        int64_t s0 = ld_off(a->buffers[1], big, a->offset + i), e0 = ld_off(a->buffers[1], big, a->offset + i + 1);
        int64_t s1 = ld_off(b->buffers[1], big, b->offset + j), e1 = ld_off(b->buffers[1], big, b->offset + j + 1);
        ok = e0 - s0 == e1 - s1 && eq_range(s->children[0], a->children[0], s0, b->children[0], s1, e0 - s0, why, cap);
        break;
      }
      case ZA_L_LISTVIEW:
      case ZA_L_LLISTVIEW: {
        int big = t.layout == ZA_L_LLISTVIEW;
        int64_t s0 = ld_off(a->buffers[1], big, a->offset + i), l0 = ld_off(a->buffers[2], big, a->offset + i);
        int64_t s1 = ld_off(b->buffers[1], big, b->offset + j), l1 = ld_off(b->buffers[2], big, b->offset + j);
        ok = l0 == l1 && eq_range(s->children[0], a->children[0], s0, b->children[0], s1, l0, why, cap);
        break;
      }
      case ZA_L_FSL:
        ok = eq_range(s->children[0], a->children[0], (a->offset + i) * t.list_size, b->children[0],
                      (b->offset + j) * t.list_size, t.list_size, why, cap);
        break;
      case ZA_L_STRUCT:
        for (int64_t c = 0; ok && c < s->n_children; c++)
          ok = eq_range(s->children[c], a->children[c], a->offset + i, b->children[c], b->offset + j, 1, why, cap);
        break;
      case ZA_L_SUNION:
      case ZA_L_DUNION: {
        int8_t ta = ((const int8_t *)a->buffers[0])[a->offset + i], tb = ((const int8_t *)b->buffers[0])[b->offset + j];
        if (ta != tb) {
          ok = 0;
          break;
        }
        int c = -1;
        for (int q = 0; q < t.n_ids; q++)
          if (t.ids[q] == ta) c = q;
        if (c < 0) {
          ok = 0;
          break;
        }
        int64_t x = a->offset + i, y = b->offset + j;
        if (t.layout == ZA_L_DUNION) {
          x = (int32_t)zr__ld32le((const uint8_t *)a->buffers[1] + 4 * x);
          y = (int32_t)zr__ld32le((const uint8_t *)b->buffers[1] + 4 * y);
        }
        ok = eq_range(s->children[c], a->children[c], x, b->children[c], y, 1, why, cap);
        break;
      }
      case ZA_L_REE: {
        int64_t x = ree_phys(s, a, i), y = ree_phys(s, b, j);
        ok = eq_range(s->children[1], a->children[1], x, b->children[1], y, 1, why, cap);
        break;
      }
    }
    if (!ok) {
      if (why && cap && !why[0]) WHY("field '%s': values differ at %lld", s->name ? s->name : "", (long long)i);
      return 0;
    }
  }
  return 1;
}

int za_array_equal(const struct ArrowSchema *s, const struct ArrowArray *a, const struct ArrowArray *b,
                   char *why, size_t cap) {
  if (why && cap) why[0] = 0;
  if (a->length != b->length) {
    WHY("length %lld vs %lld", (long long)a->length, (long long)b->length);
    return 0;
  }
  return eq_range(s, a, 0, b, 0, a->length, why, cap);
}

int za_table_equal(const zr_table *a, const zr_table *b, char *why, size_t cap) {
  if (why && cap) why[0] = 0;
  if (!za_schema_equal(&a->schema, &b->schema, why, cap)) return 0;
  if (a->n_batches != b->n_batches) {
    WHY("%lld vs %lld batches", (long long)a->n_batches, (long long)b->n_batches);
    return 0;
  }
  for (int64_t i = 0; i < a->n_batches; i++) {
    if (a->batches[i].length != b->batches[i].length) {
      WHY("batch %lld: %lld vs %lld rows", (long long)i, (long long)a->batches[i].length,
          (long long)b->batches[i].length);
      return 0;
    }
    /* a batch is a struct array whose top-level validity is ignored */
    for (int64_t c = 0; c < a->schema.n_children; c++) {
      if (!za_array_equal(a->schema.children[c], a->batches[i].children[c], b->batches[i].children[c], why, cap)) {
        if (why && cap) {
          char tmp[200];
          snprintf(tmp, sizeof tmp, "%s", why);
          snprintf(why, cap, "batch %lld column %lld: %s", (long long)i, (long long)c, tmp);
        }
        return 0;
      }
    }
  }
  return 1;
}
