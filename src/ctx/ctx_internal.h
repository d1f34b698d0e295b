/* Internals of the serialization manager (src/ctx). */
#ifndef ZERIAL_CTX_INTERNAL_H
#define ZERIAL_CTX_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/internal.h"
#include "select/select.h"
#include "zerial/serialize.h"

/* An immutable configuration snapshot, reference counted. */
typedef struct zr__config {
  atomic_int refs;
  char format[32];
  char codec[16];
  int level;
  uint64_t compress_min;
  int envelope;
  int strict;
  int deterministic;
  char target[24];
  double w_perf, w_compat;
  double transfer_ns;
  uint32_t sample_items, max_nodes;
  int learning;
  double alpha;
  char producer[64];
  int lineage;
  uint32_t max_depth;
  uint64_t max_bytes, max_elements;
  int log_level;
  const zr_allocator *alloc;
} zr__config;

/* A remembered API setting (re-applied by reloads). */
typedef struct zr__override {
  char *key, *value;
} zr__override;

typedef struct zr__stat_entry {
  char key[96]; /* shape|format|codec */
  zr__sel_stats st;
} zr__stat_entry;

#define ZR__MAX_STATS 256
#define ZR__MAX_DECISIONS 32
#define ZR__MAX_FORMATS 32
#define ZR__MAX_TYPES 64

typedef struct zr__type {
  zr_custom_type t;
  char name[24];
} zr__type;

struct zr_ctx {
  const zr_allocator *alloc;
  int isolated;
  /* configuration */
  pthread_mutex_t cfg_mu;    /* guards cfg pointer swap */
  pthread_mutex_t writer_mu; /* serialises setters and reloads; guards overrides, cfg_path */
  zr__config *cfg;
  zr__override *overrides;
  size_t n_overrides;
  char *cfg_path;
  /* registries */
  pthread_rwlock_t reg_lock;
  const zr_format *formats[ZR__MAX_FORMATS];
  size_t n_formats;
  zr__type types[ZR__MAX_TYPES];
  size_t n_types;
  /* log hook */
  pthread_mutex_t log_mu;
  zr_log_fn log_fn;
  void *log_ud;
  /* learned costs and decisions */
  pthread_mutex_t stat_mu;
  zr__stat_entry stats[ZR__MAX_STATS];
  size_t n_stats;
  zr_decision *decisions; /* ring of ZR__MAX_DECISIONS */
  size_t n_decisions, next_decision;
};

/* config.c */
zr__config *zr__ctx_config(zr_ctx *ctx); /* acquire a snapshot */
void zr__config_release(zr__config *c);
zr_status zr__config_init(zr_ctx *ctx, zr_error *err);
void zr__config_fini(zr_ctx *ctx);

/* ctx.c */
void zr__ctx_log(zr_ctx *ctx, const zr__config *cfg, zr_log_level lvl, const char *event, const zr_log_field *f,
                 size_t n);
void zr__ctx_record(zr_ctx *ctx, const zr_decision *d);
void zr__ctx_learn(zr_ctx *ctx, double alpha, const char *shape_key, const char *format, const char *codec,
                   double ns_per_byte, double codec_ns, double ratio);
int zr__ctx_lookup(void *ctx, const char *shape_key, const char *format, const char *codec, zr__sel_stats *out);
int zr__ctx_format_available(void *ctx, const char *name);
/* Copy of a registered type by id (0 if none). */
int zr__ctx_type_by_id(zr_ctx *ctx, uint32_t id, zr_custom_type *out);
/* Detect among registered + built-in formats. */
const zr_format *zr__ctx_detect(zr_ctx *ctx, const uint8_t *data, size_t len);

/* codec_glue.c: compression through the codec layer */
int zr__cg_available(const char *codec);
const char *zr__cg_detect(const uint8_t *data, size_t len); /* "zstd", "lz4", "gzip" or NULL */
zr_status zr__cg_compress(const char *codec, int level, const uint8_t *in, size_t n, zr__buf *out, zr_error *err);
zr_status zr__cg_decompress(const char *codec, const uint8_t *in, size_t n, uint64_t max_out, zr__buf *out,
                            zr_error *err);

/* envelope_glue.c: the envelope frame */
typedef struct zr__env_in {
  uint16_t format_id;
  const char *format_name;
  const char *codec;
  const char *producer;
  const zr_meta_kv *meta;
  size_t n_meta;
  int lineage;
  const char *operation;
  const uint64_t *inputs;
  size_t n_inputs;
  const uint8_t *parent; /* bytes this value was read from (lineage parent), or NULL */
  size_t parent_len;
  uint64_t raw_size;
  const zr_allocator *alloc; /* scratch memory (NULL: default) */
} zr__env_in;
int zr__eg_available(void);
int zr__eg_detect(const uint8_t *data, size_t len);
zr_status zr__eg_write(const zr__env_in *in, const uint8_t *payload, size_t n, zr_sink *sink, zr_error *err);
/* Unwrap: payload view, format id, codec name ("none" …) */
zr_status zr__eg_unwrap(const uint8_t *data, size_t len, const uint8_t **payload, size_t *plen, uint16_t *format_id,
                        char *codec, size_t codec_cap, uint64_t *raw_len, zr_error *err);
zr_status zr__eg_inspect(const uint8_t *data, size_t len, zr__buf *json, zr_error *err);

double zr__now_ms(void);

#endif
