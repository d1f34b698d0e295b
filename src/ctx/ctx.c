/* zr_ctx: lifecycle, registries (formats, custom types), log hook, decision records, learned costs. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctx/ctx_internal.h"

double zr__now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static zr_status ctx_new(const zr_allocator *alloc, int isolated, zr_ctx **out, zr_error *err) {
  if (!out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "out is NULL");
  *out = NULL;
  const zr_allocator *a = zr__alloc_or_default(alloc);
  zr_ctx *c = zr__malloc(a, sizeof *c);
  if (!c) return zr__err_nomem(err);
  memset(c, 0, sizeof *c);
  c->alloc = a;
  c->isolated = isolated;
  c->decisions = zr__malloc(a, ZR__MAX_DECISIONS * sizeof *c->decisions);
  if (!c->decisions) {
    zr__free(a, c);
    return zr__err_nomem(err);
  }
  pthread_mutex_init(&c->cfg_mu, NULL);
  pthread_mutex_init(&c->writer_mu, NULL);
  pthread_mutex_init(&c->log_mu, NULL);
  pthread_mutex_init(&c->stat_mu, NULL);
  pthread_rwlock_init(&c->reg_lock, NULL);
  zr_status st = zr__config_init(c, err);
  if (st != ZR_OK) {
    zr_ctx_free(c);
    return st;
  }
  *out = c;
  return ZR_OK;
}

zr_status zr_ctx_new(const zr_allocator *alloc, zr_ctx **out, zr_error *err) { return ctx_new(alloc, 0, out, err); }
zr_status zr_ctx_new_isolated(const zr_allocator *alloc, zr_ctx **out, zr_error *err) {
  return ctx_new(alloc, 1, out, err);
}

void zr_ctx_free(zr_ctx *ctx) {
  if (!ctx) return;
  zr__config_fini(ctx);
  pthread_mutex_destroy(&ctx->cfg_mu);
  pthread_mutex_destroy(&ctx->writer_mu);
  pthread_mutex_destroy(&ctx->log_mu);
  pthread_mutex_destroy(&ctx->stat_mu);
  pthread_rwlock_destroy(&ctx->reg_lock);
  zr__free(ctx->alloc, ctx->decisions);
  zr__free(ctx->alloc, ctx);
}

/* ---- log ---- */

void zr_ctx_set_log(zr_ctx *ctx, zr_log_fn fn, void *ud) {
  if (!ctx) return;
  pthread_mutex_lock(&ctx->log_mu);
  ctx->log_fn = fn;
  ctx->log_ud = ud;
  pthread_mutex_unlock(&ctx->log_mu);
}

void zr__ctx_log(zr_ctx *ctx, const zr__config *cfg, zr_log_level lvl, const char *event, const zr_log_field *f,
                 size_t n) {
  if ((int)lvl < cfg->log_level) return;
  pthread_mutex_lock(&ctx->log_mu);
  zr_log_fn fn = ctx->log_fn;
  void *ud = ctx->log_ud;
  pthread_mutex_unlock(&ctx->log_mu);
  if (fn) fn(ud, lvl, event, f, n);
}

/* ---- decisions ---- */

void zr__ctx_record(zr_ctx *ctx, const zr_decision *d) {
  pthread_mutex_lock(&ctx->stat_mu);
  ctx->decisions[ctx->next_decision] = *d;
  ctx->next_decision = (ctx->next_decision + 1) % ZR__MAX_DECISIONS;
  if (ctx->n_decisions < ZR__MAX_DECISIONS) ctx->n_decisions++;
  pthread_mutex_unlock(&ctx->stat_mu);
}

zr_status zr_ctx_decisions(zr_ctx *ctx, zr_decision *out, size_t cap, size_t *n) {
  if (!ctx || (!out && cap) || !n) return ZR_ERR_INVALID_ARG;
  pthread_mutex_lock(&ctx->stat_mu);
  size_t k = ctx->n_decisions < cap ? ctx->n_decisions : cap;
  for (size_t i = 0; i < k; i++) {
    size_t idx = (ctx->next_decision + ZR__MAX_DECISIONS - 1 - i) % ZR__MAX_DECISIONS;
    out[i] = ctx->decisions[idx];
  }
  pthread_mutex_unlock(&ctx->stat_mu);
  *n = k;
  return ZR_OK;
}

/* ---- learned costs ---- */

static void stat_key(char *out, size_t cap, const char *shape, const char *format, const char *codec) {
  snprintf(out, cap, "%s|%s|%s", shape, format, codec);
}

void zr__ctx_learn(zr_ctx *ctx, double alpha, const char *shape_key, const char *format, const char *codec,
                   double ns_per_byte, double codec_ns, double ratio) {
  char key[96];
  stat_key(key, sizeof key, shape_key, format, codec);
  pthread_mutex_lock(&ctx->stat_mu);
  zr__stat_entry *e = NULL;
  for (size_t i = 0; i < ctx->n_stats; i++)
    if (strcmp(ctx->stats[i].key, key) == 0) {
      e = &ctx->stats[i];
      break;
    }
  if (!e) {
    if (ctx->n_stats < ZR__MAX_STATS) {
      e = &ctx->stats[ctx->n_stats++];
    } else { /* replace the entry with the fewest measurements */
      e = &ctx->stats[0];
      for (size_t i = 1; i < ctx->n_stats; i++)
        if (ctx->stats[i].st.n < e->st.n) e = &ctx->stats[i];
    }
    memset(e, 0, sizeof *e);
    snprintf(e->key, sizeof e->key, "%s", key);
  }
  if (e->st.n == 0) {
    e->st.ns_per_byte = ns_per_byte;
    e->st.codec_ns = codec_ns;
    e->st.ratio = ratio;
  } else {
    e->st.ns_per_byte += alpha * (ns_per_byte - e->st.ns_per_byte);
    e->st.codec_ns += alpha * (codec_ns - e->st.codec_ns);
    e->st.ratio += alpha * (ratio - e->st.ratio);
  }
  e->st.n++;
  pthread_mutex_unlock(&ctx->stat_mu);
}

int zr__ctx_lookup(void *vctx, const char *shape_key, const char *format, const char *codec, zr__sel_stats *out) {
  zr_ctx *ctx = vctx;
  char key[96];
  stat_key(key, sizeof key, shape_key, format, codec);
  int found = 0;
  pthread_mutex_lock(&ctx->stat_mu);
  for (size_t i = 0; i < ctx->n_stats; i++)
    if (strcmp(ctx->stats[i].key, key) == 0) {
      *out = ctx->stats[i].st;
      found = 1;
      break;
    }
  pthread_mutex_unlock(&ctx->stat_mu);
  return found;
}

/* ---- formats ---- */

zr_status zr_ctx_register_format(zr_ctx *ctx, const zr_format *fmt, zr_error *err) {
  if (!ctx || !fmt || !fmt->name || !fmt->encode || !fmt->decode)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "a format needs a name, encode and decode");
  zr_status st = ZR_OK;
  pthread_rwlock_wrlock(&ctx->reg_lock);
  for (size_t i = 0; i < ctx->n_formats; i++)
    if (strcmp(ctx->formats[i]->name, fmt->name) == 0) st = zr__err(err, ZR_ERR_EXISTS, -1, "format '%s' is already registered", fmt->name);
  if (st == ZR_OK && ctx->n_formats >= ZR__MAX_FORMATS)
    st = zr__err(err, ZR_ERR_LIMIT, -1, "at most %d formats can be registered", ZR__MAX_FORMATS);
  if (st == ZR_OK) ctx->formats[ctx->n_formats++] = fmt;
  pthread_rwlock_unlock(&ctx->reg_lock);
  return st;
}

const zr_format *zr_ctx_format(zr_ctx *ctx, const char *name) {
  if (!name) return NULL;
  const zr_format *f = NULL;
  if (ctx) {
    pthread_rwlock_rdlock(&ctx->reg_lock);
    for (size_t i = 0; i < ctx->n_formats && !f; i++)
      if (strcmp(ctx->formats[i]->name, name) == 0) f = ctx->formats[i];
    pthread_rwlock_unlock(&ctx->reg_lock);
  }
  return f ? f : zr_format_by_name(name);
}

static const zr_format *ctx_format_by_id(zr_ctx *ctx, uint16_t id) {
  const zr_format *f = NULL;
  pthread_rwlock_rdlock(&ctx->reg_lock);
  for (size_t i = 0; i < ctx->n_formats && !f; i++)
    if (ctx->formats[i]->id == id) f = ctx->formats[i];
  pthread_rwlock_unlock(&ctx->reg_lock);
  return f ? f : zr_format_by_id(id);
}

const zr_format *zr__ctx_format_by_id(zr_ctx *ctx, uint16_t id);
const zr_format *zr__ctx_format_by_id(zr_ctx *ctx, uint16_t id) { return ctx_format_by_id(ctx, id); }

int zr__ctx_format_available(void *vctx, const char *name) { return zr_ctx_format(vctx, name) != NULL; }

const zr_format *zr__ctx_detect(zr_ctx *ctx, const uint8_t *data, size_t len) {
  const zr_format *best = NULL;
  int best_score = 0;
  pthread_rwlock_rdlock(&ctx->reg_lock);
  for (size_t i = 0; i < ctx->n_formats; i++) {
    if (!ctx->formats[i]->detect) continue;
    int s = ctx->formats[i]->detect(data, len);
    if (s > best_score) {
      best_score = s;
      best = ctx->formats[i];
    }
  }
  pthread_rwlock_unlock(&ctx->reg_lock);
  const zr_format *b = zr_format_detect(data, len);
  if (b && b->detect) {
    int s = b->detect(data, len);
    /* a registered format with the same name replaces the built-in one */
    if (s > best_score && !(best && strcmp(best->name, b->name) == 0)) {
      int shadowed = 0;
      pthread_rwlock_rdlock(&ctx->reg_lock);
      for (size_t i = 0; i < ctx->n_formats; i++)
        if (strcmp(ctx->formats[i]->name, b->name) == 0) shadowed = 1;
      pthread_rwlock_unlock(&ctx->reg_lock);
      if (!shadowed) best = b;
    }
  }
  return best;
}

/* ---- custom types ---- */

zr_status zr_ctx_register_type(zr_ctx *ctx, const zr_custom_type *t, zr_error *err) {
  if (!ctx || !t || !t->name || !*t->name || !t->encode || !t->decode)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "a custom type needs a name, encode and decode");
  if (strlen(t->name) >= sizeof ((zr__type *)0)->name)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "custom type name '%s' is too long (23 bytes at most)", t->name);
  zr_status st = ZR_OK;
  pthread_rwlock_wrlock(&ctx->reg_lock);
  for (size_t i = 0; i < ctx->n_types && st == ZR_OK; i++) {
    if (ctx->types[i].t.id == t->id)
      st = zr__err(err, ZR_ERR_EXISTS, -1, "custom type id %u is taken by '%s'", (unsigned)t->id, ctx->types[i].name);
    else if (strcmp(ctx->types[i].name, t->name) == 0)
      st = zr__err(err, ZR_ERR_EXISTS, -1, "custom type name '%s' is taken", t->name);
  }
  if (st == ZR_OK && ctx->n_types >= ZR__MAX_TYPES)
    st = zr__err(err, ZR_ERR_LIMIT, -1, "at most %d custom types can be registered", ZR__MAX_TYPES);
  if (st == ZR_OK) {
    zr__type *x = &ctx->types[ctx->n_types++];
    x->t = *t;
    snprintf(x->name, sizeof x->name, "%s", t->name);
    x->t.name = x->name;
  }
  pthread_rwlock_unlock(&ctx->reg_lock);
  return st;
}

zr_status zr_ctx_unregister_type(zr_ctx *ctx, uint32_t id, zr_error *err) {
  if (!ctx) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx is NULL");
  zr_status st = ZR_ERR_NOT_FOUND;
  pthread_rwlock_wrlock(&ctx->reg_lock);
  for (size_t i = 0; i < ctx->n_types; i++)
    if (ctx->types[i].t.id == id) {
      memmove(&ctx->types[i], &ctx->types[i + 1], (ctx->n_types - i - 1) * sizeof ctx->types[0]);
      ctx->n_types--;
      /* fix the name pointers of the moved entries */
      for (size_t j = i; j < ctx->n_types; j++) ctx->types[j].t.name = ctx->types[j].name;
      st = ZR_OK;
      break;
    }
  pthread_rwlock_unlock(&ctx->reg_lock);
  if (st != ZR_OK) return zr__err(err, st, -1, "no custom type with id %u", (unsigned)id);
  return ZR_OK;
}

int zr__ctx_type_by_id(zr_ctx *ctx, uint32_t id, zr_custom_type *out) {
  int found = 0;
  pthread_rwlock_rdlock(&ctx->reg_lock);
  for (size_t i = 0; i < ctx->n_types; i++)
    if (ctx->types[i].t.id == id) {
      *out = ctx->types[i].t;
      found = 1;
      break;
    }
  pthread_rwlock_unlock(&ctx->reg_lock);
  return found;
}

zr_status zr_ctx_decode_ext(zr_ctx *ctx, const zr_value *ext, zr_doc *doc, zr_value *out, zr_error *err) {
  if (!ctx || !ext || !doc || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx, ext, doc and out are required");
  if (ext->kind != ZR_KIND_EXT) return zr__err(err, ZR_ERR_TYPE, -1, "not an ext value (%s)", zr_kind_name((zr_kind)ext->kind));
  zr_custom_type t;
  if (!zr__ctx_type_by_id(ctx, ext->aux32, &t))
    return zr__err(err, ZR_ERR_NOT_FOUND, -1, "no custom type registered with id %u", (unsigned)ext->aux32);
  return t.decode(t.ud, ext->u.bin, (size_t)ext->n.len, ext->aux16, doc, out, err);
}
