/* Ranking of candidate formats for analyzed characteristics.
 *
 * score = fit × (w_perf × performance + w_compat × compatibility)
 *   fit            how well the format represents the shape (0: cannot), from the rules below;
 *   performance    cheapest predicted cost among viable candidates / this candidate's cost, where
 *                  cost (ns per input byte) = encode+compress time + output ratio × transfer cost;
 *                  predictions come from priors per (shape, format) and are replaced by measured
 *                  moving averages per (shape class, format, codec) once the context has them;
 *   compatibility  how directly the target reads the format. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "select/select.h"

typedef struct fmt_info {
  const char *name;
} fmt_info;

static const char *const formats[] = {"binary", "arrow-stream", "arrow-file", "npy", "npz", "pickle", "etf", "json"};
#define N_FORMATS (sizeof formats / sizeof formats[0])

enum { F_BINARY, F_ARROW_S, F_ARROW_F, F_NPY, F_NPZ, F_PICKLE, F_ETF, F_JSON };

/* shape classes */
enum { S_RECORDS, S_COLUMNS, S_TABLE, S_TENSOR, S_NUMLIST, S_BINARY, S_STRING, S_SCALAR, S_EXT, S_DOCUMENT, S_COUNT };
static const char *const shape_names[S_COUNT] = {"records", "columns", "table", "tensor", "numeric-list",
                                                 "binary", "string", "scalar", "ext", "document"};

/* fit[shape][format]: 0 = cannot represent */
static const double fit_table[S_COUNT][N_FORMATS] = {
    /*              binary arrowS arrowF npy  npz  pickle etf  json */
    /* records  */ {0.60, 1.00, 0.95, 0.00, 0.00, 0.60, 0.50, 0.50},
    /* columns  */ {0.60, 1.00, 0.95, 0.00, 0.70, 0.60, 0.50, 0.50},
    /* table    */ {0.50, 1.00, 0.95, 0.00, 0.00, 0.40, 0.00, 0.00},
    /* tensor   */ {0.70, 0.30, 0.30, 1.00, 0.85, 0.85, 0.30, 0.10},
    /* numlist  */ {0.70, 0.30, 0.30, 0.95, 0.80, 0.80, 0.50, 0.50},
    /* binary   */ {1.00, 0.00, 0.00, 0.00, 0.00, 0.70, 0.80, 0.20},
    /* string   */ {1.00, 0.00, 0.00, 0.00, 0.00, 0.70, 0.80, 0.60},
    /* scalar   */ {1.00, 0.00, 0.00, 0.00, 0.00, 0.70, 0.80, 0.60},
    /* ext      */ {1.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00},
    /* document */ {1.00, 0.10, 0.10, 0.00, 0.00, 0.70, 0.80, 0.50},
};

static const char *const fit_why[S_COUNT] = {
    "list of maps with consistent keys and one kind per column: a table",
    "map of equal-length columns: a table",
    "an Arrow table",
    "a tensor",
    "nested numeric lists: an array",
    "a binary blob",
    "a string",
    "a scalar",
    "a custom-type ext value",
    "a nested, heterogeneous document",
};

/* prior encode cost in ns per input byte: [numeric/tensor-ish, table-ish, other] */
static const double prior_ns[3][N_FORMATS] = {
    /* binary arrowS arrowF npy  npz  pickle etf  json */
    {0.50, 0.60, 0.65, 0.30, 0.50, 0.40, 2.00, 10.0}, /* numeric data */
    {2.00, 1.00, 1.05, 9.00, 1.50, 4.00, 3.00, 10.0}, /* tables */
    {1.00, 2.00, 2.10, 9.00, 9.00, 3.00, 1.50, 6.00}, /* other */
};
/* prior output ratio (output / estimated input) */
static const double prior_ratio[3][N_FORMATS] = {
    {1.00, 1.02, 1.03, 1.00, 1.01, 1.01, 1.10, 2.50},
    {1.00, 0.80, 0.81, 1.00, 0.85, 1.20, 1.10, 2.00},
    {1.00, 1.20, 1.21, 1.00, 1.00, 1.20, 1.05, 1.60},
};

/* compatibility[target][format] */
static const char *const targets[] = {"any", "python", "python-objects", "beam", "arrow", "numpy"};
#define N_TARGETS (sizeof targets / sizeof targets[0])
static const double compat_table[N_TARGETS][N_FORMATS] = {
    /*  binary arrowS arrowF npy  npz  pickle etf  json */
    {0.50, 0.90, 0.85, 0.80, 0.70, 0.40, 0.40, 0.90}, /* any */
    {0.60, 0.90, 0.85, 1.00, 0.90, 0.90, 0.30, 0.70}, /* python */
    {0.50, 0.70, 0.65, 0.80, 0.70, 1.00, 0.20, 0.60}, /* python-objects */
    {0.80, 0.50, 0.45, 0.40, 0.30, 0.10, 1.00, 0.60}, /* beam */
    {0.30, 1.00, 1.00, 0.30, 0.30, 0.20, 0.20, 0.40}, /* arrow */
    {0.40, 0.60, 0.55, 1.00, 0.95, 0.70, 0.20, 0.40}, /* numpy */
};

static int shape_index(const char *s) {
  for (int i = 0; i < S_COUNT; i++)
    if (strcmp(shape_names[i], s) == 0) return i;
  return S_DOCUMENT;
}
static int target_index(const char *t) {
  if (t)
    for (size_t i = 0; i < N_TARGETS; i++)
      if (strcmp(targets[i], t) == 0) return (int)i;
  return 0;
}
static int cost_class(int shape) {
  if (shape == S_TENSOR || shape == S_NUMLIST) return 0;
  if (shape == S_RECORDS || shape == S_COLUMNS || shape == S_TABLE) return 1;
  return 2;
}

/* Codec predictions: extra ns per input byte and remaining size share given compressibility c. */
static void codec_predict(const char *codec, double c, double *extra_ns, double *keep) {
  if (strcmp(codec, "lz4") == 0) {
    *extra_ns = 0.6;
    *keep = 1.0 - 0.75 * c;
  } else if (strcmp(codec, "zstd") == 0) {
    *extra_ns = 2.5;
    *keep = 1.0 - 0.95 * c;
  } else if (strcmp(codec, "gzip") == 0) {
    *extra_ns = 12.0;
    *keep = 1.0 - 0.85 * c;
  } else {
    *extra_ns = 0;
    *keep = 1.0;
  }
  if (*keep < 0.02) *keep = 0.02;
}

static void app(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void app(char *buf, size_t cap, const char *fmt, ...) {
  size_t n = strlen(buf);
  if (n + 1 >= cap) return;
  if (n) {
    if (n + 3 >= cap) return;
    memcpy(buf + n, "; ", 3);
    n += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + n, cap - n, fmt, ap);
  va_end(ap);
}

/* Reason text without printf: the ranking formats a dozen reasons per call, and for a value whose
 * encode is one memcpy (a big blob) printf was most of the selection time. A builder appends
 * pieces with truncation at the capacity, exactly as snprintf would. */
typedef struct sb {
  char *buf;
  size_t len, cap;
} sb;
static sb sb_at(char *buf, size_t cap) {
  sb b = {buf, strlen(buf), cap};
  return b;
}
static void sb_put(sb *b, const char *s, size_t n) {
  if (b->len + 1 >= b->cap) return;
  size_t room = b->cap - 1 - b->len;
  if (n > room) n = room;
  memcpy(b->buf + b->len, s, n);
  b->len += n;
  b->buf[b->len] = 0;
}
static void sb_str(sb *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_sep(sb *b) { /* "; " between reasons */
  if (b->len) sb_put(b, "; ", 2);
}
static void sb_u64(sb *b, unsigned long long v) {
  char t[24];
  int i = 24;
  do {
    t[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  sb_put(b, t + i, (size_t)(24 - i));
}
/* x ≥ 0 with two decimals, rounded like "%ld.%02ld" of F2() */
static void sb_f2(sb *b, double x) {
  long ip = (long)(x + 0.005), fp = (long)((x + 0.005) * 100.0) % 100;
  sb_u64(b, (unsigned long long)ip);
  char t[3] = {'.', (char)('0' + fp / 10), (char)('0' + fp % 10)};
  sb_put(b, t, 3);
}

/* x with @p dec (1…6) decimals, as "%.*f" prints it for the values rankings produce; falls back to
 * printf outside [0, 1e15) or for non-finite x. */
static void sb_fix(sb *b, double x, int dec) {
  static const double p10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
  if (!(x >= 0 && x < 1e15) || dec < 1 || dec > 6) {
    char t[48];
    snprintf(t, sizeof t, "%.*f", dec, x);
    sb_str(b, t);
    return;
  }
  double scaled = nearbyint(x * p10[dec]); /* round half to even, like printf in the common case */
  unsigned long long v = (unsigned long long)scaled, m = (unsigned long long)p10[dec];
  sb_u64(b, v / m);
  char t[8];
  unsigned long long f = v % m;
  t[0] = '.';
  for (int i = dec; i >= 1; i--) {
    t[i] = (char)('0' + f % 10);
    f /= 10;
  }
  sb_put(b, t, (size_t)dec + 1);
}

/* Two decimals without the cost of floating-point printf: "%ld.%02ld" with F2(x) (x ≥ 0). */
#define F2(x) (long)((x) + 0.005), (long)(((x) + 0.005) * 100.0) % 100

/* Predicted cost for (format f, codec) on characteristics: ns per input byte. The encode part of
 * unmeasured plans is scaled by the calibration; codec time is predicted on its own. */
static double plan_cost(const zr__sel_params *p, const zr_characteristics *ch, int sh, const char *shape_key, int f,
                        const char *codec, double *ns_out, double *measured_ns, double *measured_ratio,
                        uint64_t *n_meas) {
  int cc = cost_class(sh);
  double extra, keep;
  codec_predict(codec, ch->compressibility, &extra, &keep);
  double calib = p->calib > 0 ? p->calib : 1.0;
  double enc = prior_ns[cc][f] * calib;
  double ratio = prior_ratio[cc][f] * keep;
  *measured_ns = -1;
  *measured_ratio = -1;
  *n_meas = 0;
  zr__sel_stats st;
  if (p->learning && p->lookup && p->lookup(p->ud, shape_key, formats[f], codec, &st) && st.n > 0) {
    /* blend: trust measurements more as they accumulate */
    double wgt = st.n >= 4 ? 1.0 : (double)st.n / 4.0;
    enc = (1 - wgt) * enc + wgt * st.ns_per_byte;
    extra = (1 - wgt) * extra + wgt * st.codec_ns;
    ratio = (1 - wgt) * ratio + wgt * st.ratio;
    *measured_ns = st.ns_per_byte + st.codec_ns;
    *measured_ratio = st.ratio;
    *n_meas = st.n;
  }
  *ns_out = enc + extra;
  return enc + extra + ratio * p->transfer_ns_per_byte;
}

static const char *const codec_names[] = {"none", "lz4", "zstd"};
#define N_CODECS (sizeof codec_names / sizeof codec_names[0])

/* Which of codec_names are available (none always is). */
static void codecs_available(const zr__sel_params *p, int avail[N_CODECS]) {
  for (size_t i = 0; i < N_CODECS; i++) avail[i] = i == 0 || !p->codec_available || p->codec_available(codec_names[i]);
}

/* zr__select_codec with the shape index, shape key and codec availability already known (the
 * ranking asks once per candidate). f < 0: a format without priors. */
static const char *codec_for(const zr__sel_params *p, const zr_characteristics *ch, int sh, const char *key, int f,
                             const int avail[N_CODECS], char *why, size_t cap) {
  if (p->codec && strcmp(p->codec, "auto") != 0) {
    if (why) app(why, cap, "codec %s as configured", p->codec);
    return p->codec;
  }
  if (ch->size_estimate < p->compress_min) {
    if (why)
      app(why, cap, "no compression: about %llu B is under compression.min_size %llu B",
          (unsigned long long)ch->size_estimate, (unsigned long long)p->compress_min);
    return "none";
  }
  if (ch->entropy >= 0 && ch->compressibility < 0.08) {
    if (why)
      app(why, cap, "no compression: sampled bytes look incompressible (entropy %ld.%02ld bits/byte)", F2(ch->entropy));
    return "none";
  }
  const char *best = "none";
  double best_cost = INFINITY;
  for (size_t i = 0; i < N_CODECS; i++) {
    if (!avail[i]) continue;
    double ns, mns, mr;
    uint64_t nm;
    double cost;
    if (f >= 0) {
      cost = plan_cost(p, ch, sh, key, f, codec_names[i], &ns, &mns, &mr, &nm);
    } else {
      double extra, keep;
      codec_predict(codec_names[i], ch->compressibility, &extra, &keep);
      cost = extra + keep * p->transfer_ns_per_byte;
    }
    if (cost < best_cost) {
      best_cost = cost;
      best = codec_names[i];
    }
  }
  if (why) {
    if (strcmp(best, "none") == 0)
      app(why, cap, "no compression: predicted gain (compressibility %ld.%02ld) does not pay for its time", F2(ch->compressibility));
    else {
      sb b = sb_at(why, cap);
      sb_sep(&b);
      sb_str(&b, best);
      sb_str(&b, ": compressibility ");
      sb_fix(&b, ch->compressibility, 2);
      sb_str(&b, " (entropy ");
      sb_fix(&b, ch->entropy, 2);
      sb_str(&b, " bits/byte) pays at ");
      sb_fix(&b, p->transfer_ns_per_byte, 2);
      sb_str(&b, " ns per transferred byte");
    }
  }
  return best;
}

const char *zr__select_codec(const zr__sel_params *p, const zr_characteristics *ch, const char *format,
                             char *why, size_t cap) {
  int f = -1;
  for (size_t i = 0; i < N_FORMATS; i++)
    if (strcmp(formats[i], format) == 0) f = (int)i;
  char key[48];
  zr__select_shape_key(ch, key, sizeof key);
  int avail[N_CODECS];
  if (p->codec && strcmp(p->codec, "auto") != 0) avail[0] = 1; /* not consulted */
  else codecs_available(p, avail);
  return codec_for(p, ch, shape_index(ch->shape), key, f, avail, why, cap);
}

/* Copy a NUL-terminated name into a fixed field (truncating like snprintf "%s"). */
static void copy_name(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = 0;
}

void zr__select_calibrate(zr__sel_params *p, const zr_characteristics *ch) {
  static const char *const codecs[] = {"none", "lz4", "zstd", "gzip"};
  p->calib = 1.0;
  if (!p->learning || !p->lookup) return;
  int sh = shape_index(ch->shape), cc = cost_class(sh);
  char key[48];
  zr__select_shape_key(ch, key, sizeof key);
  double sum_log = 0;
  int n = 0;
  for (size_t f = 0; f < N_FORMATS; f++)
    for (size_t c = 0; c < 4; c++) {
      zr__sel_stats st;
      if (!p->lookup(p->ud, key, formats[f], codecs[c], &st) || st.n == 0 || !(st.ns_per_byte > 0)) continue;
      sum_log += log(st.ns_per_byte / prior_ns[cc][f]);
      n++;
    }
  if (n) p->calib = exp(sum_log / n);
  if (!(p->calib > 0) || !isfinite(p->calib)) p->calib = 1.0;
}

static int cmp_cand(const void *a, const void *b) {
  const zr_candidate *x = a, *y = b;
  if (x->viable != y->viable) return y->viable - x->viable;
  if (x->score < y->score) return 1;
  if (x->score > y->score) return -1;
  return strcmp(x->format, y->format);
}

void zr__select_rank(zr__sel_params *p, zr_decision *d) {
  if (!(p->calib > 0)) zr__select_calibrate(p, &d->ch);
  const zr_characteristics *ch = &d->ch;
  int sh = shape_index(ch->shape);
  int tg = target_index(p->target);
  int pyobj = p->target && strcmp(p->target, "python-objects") == 0;
  double wp = p->w_perf, wc = p->w_compat;
  if (wp < 0) wp = 0;
  if (wc < 0) wc = 0;
  if (wp + wc <= 0) wp = wc = 0.5;
  double sum = wp + wc;
  wp /= sum;
  wc /= sum;
  d->weight_performance = wp;
  d->weight_compatibility = wc;
  copy_name(d->target, sizeof d->target, p->target ? p->target : "any");
  char key[48];
  zr__select_shape_key(ch, key, sizeof key);
  int cavail[N_CODECS];
  codecs_available(p, cavail);

  unsigned n = 0;
  double costs[ZR_MAX_CANDIDATES];
  for (size_t f = 0; f < N_FORMATS && n < ZR_MAX_CANDIDATES; f++) {
    zr_candidate *c = &d->cand[n];
    memset(c, 0, sizeof *c);
    copy_name(c->format, sizeof c->format, formats[f]);
    c->fit = fit_table[sh][f];
    /* a Python object graph is best served by pickle; array/table formats need a conversion */
    if (pyobj && f != F_PICKLE && c->fit > 0 && (sh == S_TENSOR || sh == S_NUMLIST || sh == S_DOCUMENT))
      c->fit *= 0.6;
    if (pyobj && f == F_PICKLE && c->fit > 0) c->fit = 1.0;
    c->compatibility = compat_table[tg][f];
    int avail = c->fit > 0 && p->format_available ? p->format_available(p->ud, formats[f]) : 1;
    c->viable = avail && c->fit > 0;
    if (c->viable) {
      const char *codec = codec_for(p, ch, sh, key, (int)f, cavail, NULL, 0);
      copy_name(c->codec, sizeof c->codec, codec);
      costs[n] = plan_cost(p, ch, sh, key, (int)f, codec, &c->predicted_ns_per_byte, &c->measured_ns_per_byte,
                           &c->measured_ratio, &c->measurements);
    } else {
      copy_name(c->codec, sizeof c->codec, "-");
      costs[n] = INFINITY;
      c->measured_ns_per_byte = c->measured_ratio = -1;
    }
    if (!avail) {
      sb b = sb_at(c->reasons, sizeof c->reasons);
      sb_sep(&b);
      sb_str(&b, "not available in this build");
    } else if (c->fit <= 0) {
      sb b = sb_at(c->reasons, sizeof c->reasons);
      sb_sep(&b);
      sb_str(&b, "cannot represent ");
      sb_str(&b, fit_why[sh]);
    }
    n++;
  }
  for (size_t i = 0; i < p->n_custom && n < ZR_MAX_CANDIDATES; i++) {
    if (p->custom[i].score <= 0) continue;
    zr_candidate *c = &d->cand[n];
    memset(c, 0, sizeof *c);
    snprintf(c->format, sizeof c->format, "custom:%s", p->custom[i].name);
    copy_name(c->codec, sizeof c->codec, codec_for(p, ch, sh, key, F_BINARY, cavail, NULL, 0));
    c->fit = p->custom[i].score;
    c->compatibility = 1.0; /* the application's own type: its readers register the same decoder */
    c->viable = 1;
    costs[n] = plan_cost(p, ch, sh, key, F_BINARY, c->codec, &c->predicted_ns_per_byte, &c->measured_ns_per_byte,
                         &c->measured_ratio, &c->measurements);
    n++;
  }
  double best_cost = INFINITY;
  for (unsigned i = 0; i < n; i++)
    if (d->cand[i].viable && costs[i] < best_cost) best_cost = costs[i];
  for (unsigned i = 0; i < n; i++) {
    zr_candidate *c = &d->cand[i];
    c->performance = (isfinite(best_cost) && costs[i] > 0) ? best_cost / costs[i] : 0;
    if (c->performance > 1) c->performance = 1;
    if (!c->viable) {
      c->score = 0;
      continue;
    }
    c->score = c->fit * (wp * c->performance + wc * c->compatibility);
    int cc = cost_class(sh);
    (void)cc;
    sb b = sb_at(c->reasons, sizeof c->reasons);
    sb_sep(&b);
    if (strncmp(c->format, "custom:", 7) == 0) {
      sb_str(&b, "registered custom type claims the value (fit ");
      sb_f2(&b, c->fit);
      sb_str(&b, ")");
    } else if (c->fit >= 0.95) {
      sb_str(&b, fit_why[sh]);
      sb_str(&b, ": ");
      sb_str(&b, c->format);
      sb_str(&b, " is its native shape");
    } else {
      sb_str(&b, fit_why[sh]);
      sb_str(&b, ": ");
      sb_str(&b, c->format);
      sb_str(&b, " represents it generically (fit ");
      sb_f2(&b, c->fit);
      sb_str(&b, ")");
    }
    if (c->measurements) {
      app(c->reasons, sizeof c->reasons, "measured %.2f ns/B, ratio %.2f over %llu runs (predicted %.2f ns/B)",
          c->measured_ns_per_byte, c->measured_ratio, (unsigned long long)c->measurements, c->predicted_ns_per_byte);
      b = sb_at(c->reasons, sizeof c->reasons);
    } else {
      sb_str(&b, "; predicted ");
      sb_f2(&b, c->predicted_ns_per_byte);
      sb_str(&b, " ns/B (not measured yet)");
    }
    sb_str(&b, "; compatibility with target ");
    sb_str(&b, targets[tg]);
    sb_put(&b, " ", 1);
    sb_f2(&b, c->compatibility);
    if (pyobj && strcmp(c->format, "pickle") == 0) sb_str(&b, "; target wants a Python object graph");
  }
  qsort(d->cand, n, sizeof d->cand[0], cmp_cand);
  d->n_candidates = n;
  d->reason[0] = 0;
  if (n && d->cand[0].viable) {
    memcpy(d->format, d->cand[0].format, sizeof d->format);
    memcpy(d->codec, d->cand[0].codec, sizeof d->codec);
    sb b = {d->reason, 0, sizeof d->reason};
    d->reason[0] = 0;
    size_t rl = strlen(d->cand[0].reasons);
    sb_put(&b, d->cand[0].reasons, rl < 290 ? rl : 290);
    sb_str(&b, " (score ");
    sb_fix(&b, d->cand[0].score, 3);
    sb_str(&b, ")");
  } else {
    d->format[0] = 0;
    snprintf(d->codec, sizeof d->codec, "none");
    snprintf(d->reason, sizeof d->reason, "no available format can represent %s", fit_why[sh]);
  }
}
