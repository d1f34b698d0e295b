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

/* log2(x) for finite x ≥ 1 to about 1e-7: exponent plus an atanh series of the mantissa (the
 * entropy loop called libm's log2 up to 256 times per selection). */
static double fast_log2(double x) {
  uint64_t bits;
  memcpy(&bits, &x, 8);
  int e = (int)((bits >> 52) & 0x7FF) - 1023;
  bits = (bits & UINT64_C(0xFFFFFFFFFFFFF)) | UINT64_C(0x3FF0000000000000);
  double m;
  memcpy(&m, &bits, 8); /* m in [1, 2) */
  if (m > 1.4142135623730951) { /* keep t small: m in [0.707, 1.414) */
    m *= 0.5;
    e++;
  }
  double t = (m - 1) / (m + 1), t2 = t * t;
  double s = t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9 + t2 / 11)))));
  return (double)e + 2.0 * s * 1.4426950408889634;
}

/* c·log2(c) for c < 256 (the common per-bin counts of a 1 KiB to 16 KiB byte sample) */
static const double clog2c[256] = {
    0, 0, 2, 4.7548875021634682,
    8, 11.60964047443681, 15.509775004326936, 19.651484454403228,
    24, 28.529325012980809, 33.219280948873624, 38.053747805010268,
    43.019550008653873, 48.105716335834195, 53.302968908806456, 58.603358934127783,
    64, 69.486868301255768, 75.058650025961612, 80.710622755428119,
    86.438561897747249, 92.23866587835397, 98.107495610020536, 104.0419249893113,
    110.03910001730775, 116.09640474436812, 122.21143267166839, 128.38196255841365,
    134.6059378176129, 140.88144885869957, 147.20671786825557, 153.58008562199313,
    160, 166.46500593882897, 172.97373660251154, 179.52490559307381,
    186.11730005192322, 192.74977452827116, 199.42124551085624, 206.13068653562769,
    212.8771237954945, 219.65963218934144, 226.47733175670794, 233.3293844521902,
    240.21499122004107, 247.13338933483536, 254.0838499786226, 261.06567602884894,
    268.07820003461552, 275.12078236164518, 282.1928094887362, 289.29369244054624,
    296.42286534333675, 303.57978409184955, 310.76392511682729, 317.97478424385628,
    325.21187563522579, 332.47473080739024, 339.76289771739914, 347.07593991234864,
    354.41343573651113, 361.7749775913361, 369.16017124398627, 376.56863518049477,
    384, 391.45390784684952, 398.93001187765793, 406.42797576067073,
    413.94747320502307, 421.48818751769369, 429.04981118614762, 436.63204548483242,
    444.23460010384645, 451.85719279824127, 459.49954905654232, 467.16140178719104,
    474.84249102171248, 482.54256363350737, 490.26137307125538, 497.99867910599113,
    505.754247590989, 513.52785023365459, 521.31926437868287, 529.12827280179476,
    536.95466351341588, 544.79822957170461, 552.65876890438039, 560.53608413883933,
    568.4299824400822, 576.34027535600944, 584.26677866967077, 592.20931225808135,
    600.16769995724519, 608.14176943304687, 616.13135205769788, 624.13628279144007,
    632.15640006923104, 640.19154569215141, 648.24156472329037, 656.30630538788137,
    664.3856189774724, 672.47935975793121, 680.58738488109248, 688.70955429987146,
    696.84573068667351, 704.9957793549429, 713.15956818369909, 721.3369675449228,
    729.52785023365459, 737.73209140068491, 745.94956848771255, 754.18016116486183,
    762.42375127045159, 770.68022275291628, 778.94946161478049, 787.23135585860314,
    795.52579543479828, 803.83267219125833, 812.15187982469729, 820.4833138336453,
    828.82687147302227, 837.18245171022591, 845.54995518267219, 853.92928415672645,
    862.32034248797254, 870.72303558276087, 879.13727036098953, 887.56295522006496,
    896, 904.44831594959976, 912.90781569369904, 921.37841320140592,
    929.86002375531586, 938.3525639216582, 946.85595152134147, 955.37010560186218,
    963.89494641004615, 972.43039536559206, 980.97637503538738, 989.53280910856756,
    998.09962237229524, 1006.6767406882299, 1015.2640909696648, 1023.8616011593097,
    1032.4692002076929, 1041.0868180521654, 1049.7143855964825, 1058.3518346909457,
    1066.9990981130845, 1075.6561095488621, 1084.3228035743821, 1092.9991156380868,
    1101.684982043425, 1110.3803399319759, 1119.0851272670147, 1127.7992828175068,
    1136.5227461425109, 1145.2554575759855, 1153.9973582119824, 1162.7483898902126,
    1171.5084951819781, 1180.2776173764532, 1189.0557004673092, 1197.8426891396655,
    1206.6385287573657, 1215.4431653505596, 1224.2565456035895, 1233.0786168431666,
    1241.9093270268318, 1250.7486247316892, 1259.5964591434092, 1268.4527800454887,
    1277.3175378087608, 1286.1906833811533, 1295.0721682776787, 1303.9619445706576,
    1312.8599648801644, 1321.7661823646906, 1330.6805507120189, 1339.6030241303019,
    1348.5335573393415, 1357.4721055620603, 1366.4186245161627, 1375.3730704059799,
    1384.3353999144904, 1393.3055701955177, 1402.2835388660937, 1411.269263998988,
    1420.2627041153958, 1429.2638181777827, 1438.2725655828801, 1447.2889061548281,
    1456.3128001384621, 1465.3442081927396, 1474.3830913843028, 1483.4294111811741,
    1492.4831294465807, 1501.5442084329061, 1510.6126107757627, 1519.6882994881862,
    1528.7712379549448, 1537.8613899269646, 1546.9587195158624, 1556.0631911885907,
    1565.174769762185, 1574.2934203986165, 1583.4191085997429, 1592.5518002023603,
    1601.691461373347, 1610.8380586049045, 1619.9915587098858, 1629.151928817216,
    1638.3191363673982, 1647.4931491081036, 1656.6739350898456, 1665.8614626617341,
    1675.0557004673092, 1684.2566174404521, 1693.4641828013698, 1702.6783660526571,
    1711.8991369754251, 1721.1264656255064, 1730.3603223297237, 1739.600677682228,
    1748.8475025409032, 1758.1007680238333, 1767.3604455058326, 1776.6265066150377,
    1785.898923229561, 1795.1776674742, 1804.4627117172063, 1813.7540285671091,
    1823.0515908695966, 1832.3553717044474, 1841.6653443825167, 1850.9814824427749,
    1860.3037596493946, 1869.6321499888875, 1878.9666276672906, 1888.307167107399,
    1897.6537429460445, 1907.0063300314209, 1916.3649034204518, 1925.7294383762048,
    1935.0999103653444, 1944.4762950556299, 1953.8585683134529, 1963.2467062014155,
    1972.6406849759451, 1982.040481084952, 1991.4460711655217, 2000.8574320416437,
    2010.2745407219791, 2019.6973743976605, 2029.1259104401299, 2038.5601263990088,
};

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
    /* H = log2(N) - (1/N) Σ c·log2(c) over the non-empty bins */
    double sum = 0;
    int bins = 0;
    for (int i = 0; i < 256; i++) {
      uint32_t c = w->hist[i];
      if (c < 2) {
        bins += c != 0;
        continue;
      }
      bins++;
      sum += c < 256 ? clog2c[c] : (double)c * fast_log2((double)c);
    }
    double h = fast_log2((double)w->nbytes) - sum / (double)w->nbytes;
    if (h < 0) h = 0;
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
  size_t sl = strlen(shape);
  memcpy(ch->shape, shape, sl + 1); /* every shape name fits */
}

void zr__select_shape_key(const zr_characteristics *ch, char *out, size_t cap) {
  char b = ch->size_estimate < (64u << 10) ? 'S' : ch->size_estimate < (4u << 20) ? 'M' : 'L';
  if (!cap) return;
  size_t n = strnlen(ch->shape, sizeof ch->shape);
  if (n + 2 >= cap) { /* keep snprintf's truncation for tiny buffers */
    char t[sizeof ch->shape + 3];
    memcpy(t, ch->shape, n);
    t[n] = '/';
    t[n + 1] = b;
    t[n + 2] = 0;
    memcpy(out, t, cap - 1);
    out[cap - 1] = 0;
    return;
  }
  memcpy(out, ch->shape, n);
  out[n] = '/';
  out[n + 1] = b;
  out[n + 2] = 0;
}
