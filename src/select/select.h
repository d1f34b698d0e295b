/* Format selection: bounded analysis of a value and ranking of candidate formats (internal). */
#ifndef ZERIAL_SELECT_H
#define ZERIAL_SELECT_H

#include "core/internal.h"
#include "zerial/serialize.h"

/* Learned cost of one (shape class, format, codec): moving averages. */
typedef struct zr__sel_stats {
  double ns_per_byte; /* encode time per estimated input byte */
  double codec_ns;    /* compress time per estimated input byte */
  double ratio;       /* output bytes / estimated input bytes */
  uint64_t n;         /* measurements */
} zr__sel_stats;

/* A custom type offered as a candidate. */
typedef struct zr__sel_custom {
  char name[24];
  double score; /* 0: not applicable */
} zr__sel_custom;

/* Everything the ranker needs besides the value; filled by ctx from its configuration snapshot. */
typedef struct zr__sel_params {
  double w_perf, w_compat;      /* weights (normalised by the ranker) */
  const char *target;           /* "any", "python", "python-objects", "beam", "arrow", "numpy" */
  const char *codec;            /* "auto" or a codec name */
  uint64_t compress_min;        /* below this estimated size, auto chooses no codec */
  double transfer_ns_per_byte;  /* cost of moving one output byte (size vs speed trade) */
  uint32_t sample_items;        /* items sampled per container */
  uint32_t max_nodes;           /* values visited at most */
  int learning;                 /* use learned statistics */
  /* Is a format / codec available here? */
  int (*format_available)(void *ud, const char *name);
  int (*codec_available)(const char *name);
  /* Learned statistics (return non-zero when found). */
  int (*lookup)(void *ud, const char *shape_key, const char *format, const char *codec, zr__sel_stats *out);
  void *ud;
  const zr__sel_custom *custom; /* custom type candidates */
  size_t n_custom;
  /* Calibration: measured / prior cost over the measured plans of this shape class (1 when none).
   * Unmeasured plans are predicted at prior × calib, so a machine or a shape that is slower than the
   * priors says does not make measured plans look worse than unmeasured ones. */
  double calib;
} zr__sel_params;

/* Compute p->calib for the characteristics (zr__select_rank calls it when p->calib is 0). */
void zr__select_calibrate(zr__sel_params *p, const zr_characteristics *ch);

/* Analyze @p v in bounded time (at most max_nodes visits, sample_items per container). */
void zr__select_analyze(const zr_value *v, uint32_t sample_items, uint32_t max_nodes, zr_characteristics *ch);

/* Key of the learned statistics for these characteristics: "<shape>/<S|M|L>". */
void zr__select_shape_key(const zr_characteristics *ch, char *out, size_t cap);

/* Rank the candidates (analysis already in d->ch); fills d->cand best first, d->format/codec/reason. */
void zr__select_rank(zr__sel_params *p, zr_decision *d);

/* Pick the codec for a format given the characteristics (codec "auto"); reason appended to @p why. */
const char *zr__select_codec(const zr__sel_params *p, const zr_characteristics *ch, const char *format,
                             char *why, size_t cap);

#endif
