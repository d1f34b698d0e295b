/* Bounded analysis of a value: shape class, size estimate, homogeneity, depth, compressibility.
 *
 * Large containers are sampled (at most sample_items evenly spaced items each) and the whole walk
 * stops after max_nodes visits, so the cost does not grow with the value. Counts and sizes of what
 * was not visited are extrapolated from what was. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "select/select.h"

#define BYTE_SAMPLE (16u * 1024u) /* bytes fed to the compressibility estimate */

typedef struct walker {
  uint32_t sample_items, max_nodes;
  uint64_t visited;
  uint32_t max_depth;
  int partial;
  uint64_t leaves, numeric_leaves;
  double homo_sum;   /* Σ dominant share × items sampled */
  double homo_weight;
  uint32_t hist[256];
  uint32_t nbytes;   /* bytes in hist */
  /* 4-byte repeat detection over the byte sample */
  uint32_t seen[1024];
  uint32_t grams, repeats;
  uint32_t gram; /* the last four bytes */
  uint32_t lastn;
} walker;

static void feed_bytes(walker *w, const uint8_t *p, size_t n) {
  if (!p) return;
  size_t room = BYTE_SAMPLE - w->nbytes;
  if (n > room) n = room;
  uint32_t g = w->gram, lastn = w->lastn, grams = w->grams, repeats = w->repeats;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    w->hist[c]++;
    g = (g << 8) | c;
    if (++lastn >= 4) {
      uint32_t h = (g * 2654435761u) >> 22; /* 10 bits */
      grams++;
      repeats += w->seen[h] == g + 1u;
      w->seen[h] = g + 1u;
    }
  }
  w->gram = g;
  w->lastn = lastn;
  w->grams = grams;
  w->repeats = repeats;
  w->nbytes += (uint32_t)n;
}

static int is_scalar_kind(int k) {
  return k == ZR_KIND_NULL || k == ZR_KIND_BOOL || k == ZR_KIND_INT || k == ZR_KIND_UINT ||
         k == ZR_KIND_FLOAT || k == ZR_KIND_STRING || k == ZR_KIND_BINARY || k == ZR_KIND_SYMBOL ||
         k == ZR_KIND_TIMESTAMP || k == ZR_KIND_BIGINT;
}
static int is_number_kind(int k) {
  return k == ZR_KIND_INT || k == ZR_KIND_UINT || k == ZR_KIND_FLOAT || k == ZR_KIND_BOOL;
}

/* Which index to visit for sample j of s over a container of n items (evenly spaced). */
static uint64_t sample_index(uint64_t j, uint64_t s, uint64_t n) {
  if (s >= n) return j;
  return (uint64_t)(((unsigned __int128)j * n) / s);
}

/* Returns the estimated encoded size; *count the estimated number of values. */
static uint64_t walk(walker *w, const zr_value *v, uint32_t depth, uint64_t *count) {
  w->visited++;
  if (depth > w->max_depth) w->max_depth = depth;
  *count = 1;
  int k = v->kind;
  if (is_scalar_kind(k)) {
    w->leaves++;
    if (is_number_kind(k)) {
      w->numeric_leaves++;
      feed_bytes(w, (const uint8_t *)&v->u, 8);
    }
  }
  switch (k) {
    case ZR_KIND_NULL:
    case ZR_KIND_BOOL: return 1;
    case ZR_KIND_INT:
    case ZR_KIND_UINT:
    case ZR_KIND_FLOAT:
    case ZR_KIND_TIMESTAMP: return 9;
    case ZR_KIND_STRING:
    case ZR_KIND_SYMBOL:
    case ZR_KIND_BINARY:
    case ZR_KIND_BIGINT:
      if (depth == 0 && v->n.len > 8192) { /* a big blob: four 256-byte windows */
        for (int k = 0; k < 4; k++) feed_bytes(w, v->u.bin + (v->n.len - 256) / 3 * (uint64_t)k, 256);
      } else {
        feed_bytes(w, v->u.bin, v->n.len > 1024 ? 1024 : v->n.len);
      }
      return v->n.len + 5;
    case ZR_KIND_EXT:
      feed_bytes(w, v->u.bin, v->n.len > 256 ? 256 : v->n.len);
      return v->n.len + 10;
    case ZR_KIND_TENSOR: {
      const zr_tensor *t = v->u.tensor;
      if (!t) return 16;
      uint64_t n = zr_tensor_count(t);
      *count = n ? n : 1;
      if (t->data && t->nbytes) {
        /* three windows: start, middle, end */
        size_t win = 1024;
        const uint8_t *d = (const uint8_t *)t->data;
        if (zr_tensor_is_c_contiguous(t) || zr_tensor_is_f_contiguous(t)) {
          if (t->nbytes <= 3 * win) {
            feed_bytes(w, d, t->nbytes);
          } else {
            feed_bytes(w, d, win);
            feed_bytes(w, d + t->nbytes / 2, win);
            feed_bytes(w, d + t->nbytes - win, win);
          }
        }
      }
      if (t->dtype <= ZR_DT_COMPLEX128) w->numeric_leaves += 1;
      w->leaves += 1;
      return t->nbytes + 64 + 16u * t->ndim;
    }
    case ZR_KIND_TABLE: {
      const zr_table *t = v->u.table;
      if (!t) return 16;
      uint64_t size = 256;
      int64_t rows = zr_table_num_rows(t);
      int64_t cols = t->schema.n_children;
      *count = (uint64_t)(rows > 0 ? rows : 1) * (uint64_t)(cols > 0 ? cols : 1);
      size += (uint64_t)(rows > 0 ? rows : 0) * (uint64_t)(cols > 0 ? cols : 0) * 8u;
      if (t->n_batches > 0 && t->batches) {
        const struct ArrowArray *b = &t->batches[0];
        for (int64_t c = 0; c < b->n_children && w->nbytes < BYTE_SAMPLE; c++) {
          const struct ArrowArray *ch = b->children ? b->children[c] : NULL;
          if (ch && ch->n_buffers >= 2 && ch->buffers && ch->buffers[1] && ch->length > 0)
            feed_bytes(w, (const uint8_t *)ch->buffers[1], (size_t)(ch->length > 512 ? 512 : ch->length) * 4u);
        }
      }
      w->leaves += 1;
      w->numeric_leaves += 1;
      return size;
    }
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE:
    case ZR_KIND_MAP: {
      uint64_t n = v->n.len;
      if (n == 0) return 2;
      uint64_t s = n < w->sample_items ? n : w->sample_items;
      if (s < n) w->partial = 1;
      uint32_t kinds[16] = {0};
      uint64_t seen_n = 0, size_sum = 0, count_sum = 0;
      for (uint64_t j = 0; j < s; j++) {
        if (w->visited >= w->max_nodes) {
          w->partial = 1;
          break;
        }
        uint64_t i = sample_index(j, s, n);
        uint64_t c1 = 0, c2 = 0;
        if (k == ZR_KIND_MAP) {
          const zr_member *m = &v->u.members[i];
          size_sum += walk(w, &m->key, depth + 1, &c1);
          size_sum += walk(w, &m->val, depth + 1, &c2);
          kinds[m->val.kind & 15]++;
        } else {
          size_sum += walk(w, &v->u.items[i], depth + 1, &c1);
          kinds[v->u.items[i].kind & 15]++;
        }
        count_sum += c1 + c2;
        seen_n++;
      }
      if (seen_n == 0) {
        *count = 1 + n;
        return 5 + n * 9;
      }
      uint32_t dom = 0;
      for (int i = 0; i < 16; i++)
        if (kinds[i] > dom) dom = kinds[i];
      w->homo_sum += (double)dom;
      w->homo_weight += (double)seen_n;
      double scale = (double)n / (double)seen_n;
      *count = 1 + (uint64_t)((double)count_sum * scale);
      return 5 + (uint64_t)((double)size_sum * scale);
    }
    default: return 8;
  }
}

/* ---- shape rules ---- */

/* List of maps with the same string keys (in the sample) and scalar values of one kind per column. */
static int table_like(const zr_value *v, uint32_t sample, int64_t *cols) {
  if (v->kind != ZR_KIND_LIST || v->n.len == 0) return 0;
  const zr_value *first = &v->u.items[0];
  if (first->kind != ZR_KIND_MAP || first->n.len == 0 || first->n.len > 4096) return 0;
  uint64_t nk = first->n.len;
  for (uint64_t c = 0; c < nk; c++)
    if (first->u.members[c].key.kind != ZR_KIND_STRING) return 0;
  uint8_t colkind[64];
  memset(colkind, 0, sizeof colkind);
  uint64_t n = v->n.len, s = n < sample ? n : sample;
  uint64_t budget = 4096; /* member comparisons */
  for (uint64_t j = 0; j < s; j++) {
    const zr_value *row = &v->u.items[sample_index(j, s, n)];
    if (row->kind != ZR_KIND_MAP || row->n.len != nk) return 0;
    for (uint64_t c = 0; c < nk; c++) {
      if (budget-- == 0) goto done;
      const zr_value *key = &row->u.members[c].key, *fk = &first->u.members[c].key;
      if (key->kind != ZR_KIND_STRING || key->n.len != fk->n.len ||
          (key->n.len && memcmp(key->u.str, fk->u.str, key->n.len) != 0))
        return 0;
      const zr_value *val = &row->u.members[c].val;
      if (!is_scalar_kind(val->kind)) return 0;
      if (c < 64 && val->kind != ZR_KIND_NULL) {
        uint8_t vk = val->kind;
        if (vk == ZR_KIND_UINT) vk = ZR_KIND_INT;
        if (colkind[c] == 0) colkind[c] = vk;
        else if (colkind[c] != vk &&
                 !((colkind[c] == ZR_KIND_INT || colkind[c] == ZR_KIND_FLOAT) &&
                   (vk == ZR_KIND_INT || vk == ZR_KIND_FLOAT)))
          return 0; /* a column of mixed kinds */
      }
    }
  }
done:
  *cols = (int64_t)nk;
  return 1;
}

/* Map of string keys to lists of equal length holding scalars. */
static int columns_like(const zr_value *v, uint32_t sample, int64_t *rows) {
  if (v->kind != ZR_KIND_MAP || v->n.len == 0) return 0;
  uint64_t len = 0;
  for (uint64_t c = 0; c < v->n.len; c++) {
    if (c >= 4096) return 0;
    const zr_member *m = &v->u.members[c];
    if (m->key.kind != ZR_KIND_STRING || m->val.kind != ZR_KIND_LIST) return 0;
    if (c == 0) len = m->val.n.len;
    else if (m->val.n.len != len) return 0;
    uint64_t s = len < sample ? len : sample;
    for (uint64_t j = 0; j < s && j < 16; j++)
      if (!is_scalar_kind(m->val.u.items[sample_index(j, s, len)].kind)) return 0;
  }
  *rows = (int64_t)len;
  return 1;
}

/* List of numbers, or list of equal-length lists of numbers (rectangular, sampled). */
static int numeric_list(const zr_value *v, uint32_t sample, int64_t *d0, int64_t *d1) {
  if (v->kind != ZR_KIND_LIST || v->n.len == 0) return 0;
  uint64_t n = v->n.len, s = n < sample ? n : sample;
  const zr_value *f = &v->u.items[0];
  if (is_number_kind(f->kind) && f->kind != ZR_KIND_BOOL) {
    for (uint64_t j = 0; j < s; j++) {
      int k = v->u.items[sample_index(j, s, n)].kind;
      if (k != ZR_KIND_INT && k != ZR_KIND_UINT && k != ZR_KIND_FLOAT) return 0;
    }
    *d0 = (int64_t)n;
    *d1 = 0;
    return 1;
  }
  if (f->kind != ZR_KIND_LIST || f->n.len == 0) return 0;
  uint64_t inner = f->n.len;
  for (uint64_t j = 0; j < s; j++) {
    const zr_value *row = &v->u.items[sample_index(j, s, n)];
    if (row->kind != ZR_KIND_LIST || row->n.len != inner) return 0;
    uint64_t si = inner < 8 ? inner : 8;
    for (uint64_t q = 0; q < si; q++) {
      int k = row->u.items[sample_index(q, si, inner)].kind;
      if (k != ZR_KIND_INT && k != ZR_KIND_UINT && k != ZR_KIND_FLOAT) {
        if (k == ZR_KIND_LIST) continue; /* deeper nesting: accept, checked by the encoder */
        return 0;
      }
    }
  }
  *d0 = (int64_t)n;
  *d1 = (int64_t)inner;
  return 1;
}

void zr__select_analyze(const zr_value *v, uint32_t sample_items, uint32_t max_nodes, zr_characteristics *ch) {
  memset(ch, 0, sizeof *ch);
  ch->entropy = -1;
  if (!v) {
    snprintf(ch->shape, sizeof ch->shape, "scalar");
    return;
  }
  walker *w = malloc(sizeof *w);
  if (w) {
    memset(w, 0, offsetof(walker, seen));
    memset(w->seen, 0, sizeof w->seen);
    w->gram = w->lastn = w->grams = w->repeats = 0;
  }
  if (!w) {
    snprintf(ch->shape, sizeof ch->shape, "document");
    return;
  }
  w->sample_items = sample_items ? sample_items : 64;
  w->max_nodes = max_nodes ? max_nodes : 4096;
  uint64_t count = 0;
  ch->size_estimate = walk(w, v, 0, &count);
  ch->elements = count;
  ch->root_kind = v->kind;
  ch->depth = w->max_depth;
  ch->sampled = w->visited;
  ch->sampled_partially = w->partial;
  ch->homogeneity = w->homo_weight > 0 ? w->homo_sum / w->homo_weight : 1.0;
  ch->numeric_share = w->leaves ? (double)w->numeric_leaves / (double)w->leaves : 0.0;
  if (w->nbytes > 0) {
    double h = 0;
    int bins = 0;
    for (int i = 0; i < 256; i++) {
      if (!w->hist[i]) continue;
      bins++;
      double p = (double)w->hist[i] / (double)w->nbytes;
      h -= p * log2(p);
    }
    h += (double)(bins - 1) / (2.0 * (double)w->nbytes * log(2.0)); /* small-sample bias correction */
    if (h > 8) h = 8;
    ch->entropy = h;
    double rep = w->grams ? (double)w->repeats / (double)w->grams : 0.0;
    double c = 1.0 - h / 8.0;
    if (rep * 0.9 > c) c = rep * 0.9;
    if (w->nbytes < 64) c *= 0.5; /* too little evidence */
    ch->compressibility = c < 0 ? 0 : (c > 0.98 ? 0.98 : c);
  }
  free(w);

  const char *shape = "document";
  int64_t a = 0, b = 0;
  switch (v->kind) {
    case ZR_KIND_TENSOR:
      shape = "tensor";
      if (v->u.tensor) {
        ch->rows = v->u.tensor->ndim > 0 ? v->u.tensor->shape[0] : 1;
        ch->cols = v->u.tensor->ndim > 1 ? v->u.tensor->shape[1] : 0;
      }
      break;
    case ZR_KIND_TABLE:
      shape = "table";
      if (v->u.table) {
        ch->rows = zr_table_num_rows(v->u.table);
        ch->cols = v->u.table->schema.n_children;
      }
      break;
    case ZR_KIND_BINARY: shape = "binary"; break;
    case ZR_KIND_STRING:
    case ZR_KIND_SYMBOL: shape = "string"; break;
    case ZR_KIND_EXT: shape = "ext"; break;
    case ZR_KIND_LIST:
      if (table_like(v, sample_items ? sample_items : 64, &b)) {
        shape = "records";
        ch->rows = (int64_t)v->n.len;
        ch->cols = b;
      } else if (numeric_list(v, sample_items ? sample_items : 64, &a, &b)) {
        shape = "numeric-list";
        ch->rows = a;
        ch->cols = b;
      }
      break;
    case ZR_KIND_MAP:
      if (columns_like(v, sample_items ? sample_items : 64, &a)) {
        shape = "columns";
        ch->rows = a;
        ch->cols = (int64_t)v->n.len;
      }
      break;
    case ZR_KIND_TUPLE: break;
    default: shape = "scalar"; break;
  }
  snprintf(ch->shape, sizeof ch->shape, "%s", shape);
}

void zr__select_shape_key(const zr_characteristics *ch, char *out, size_t cap) {
  const char *b = ch->size_estimate < (64u << 10) ? "S" : ch->size_estimate < (4u << 20) ? "M" : "L";
  snprintf(out, cap, "%s/%s", ch->shape, b);
}
