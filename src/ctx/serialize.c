/* zr_serialize / zr_deserialize / zr_inspect / zr_explain: the one API over formats, codecs and
 * the envelope. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctx/ctx_internal.h"
#include "metrics/metrics_internal.h"

const zr_format *zr__ctx_format_by_id(zr_ctx *ctx, uint16_t id);

void zr_serialize_opts_init(zr_serialize_opts *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->envelope = -1;
  o->strict = -1;
  o->lineage = -1;
  o->deterministic = -1;
}

/* ---- selection parameters from a configuration snapshot ---- */

typedef struct plan {
  const char *format, *codec, *target, *producer;
  int level, envelope, envelope_explicit, strict, lineage, deterministic;
} plan;

static void resolve(const zr__config *cfg, const zr_serialize_opts *o, plan *p) {
  p->format = o && o->format ? o->format : cfg->format;
  p->codec = o && o->codec ? o->codec : cfg->codec;
  p->target = o && o->target ? o->target : cfg->target;
  p->producer = o && o->producer ? o->producer : cfg->producer;
  p->level = o && o->level ? o->level : cfg->level;
  p->envelope_explicit = o && o->envelope == 1;
  p->envelope = o && o->envelope >= 0 ? o->envelope : cfg->envelope;
  p->strict = o && o->strict >= 0 ? o->strict : cfg->strict;
  p->lineage = o && o->lineage >= 0 ? o->lineage : cfg->lineage;
  p->deterministic = o && o->deterministic >= 0 ? o->deterministic : cfg->deterministic;
  /* Without an envelope the output is native bytes for third-party readers: an automatic codec
   * from the configuration does not wrap them in a compression frame; a named codec (in the
   * call or the configuration) still does. */
  if (!p->envelope && !(o && o->codec) && p->codec && strcmp(p->codec, "auto") == 0) p->codec = "none";
}

static void sel_params(zr_ctx *ctx, const zr__config *cfg, const plan *pl, zr__sel_params *sp) {
  memset(sp, 0, sizeof *sp);
  sp->w_perf = cfg->w_perf;
  sp->w_compat = cfg->w_compat;
  sp->target = pl->target;
  sp->codec = pl->codec;
  sp->compress_min = cfg->compress_min;
  sp->transfer_ns_per_byte = cfg->transfer_ns;
  sp->sample_items = cfg->sample_items;
  sp->max_nodes = cfg->max_nodes;
  sp->learning = cfg->learning;
  sp->format_available = zr__ctx_format_available;
  sp->codec_available = zr__cg_available;
  sp->lookup = zr__ctx_lookup;
  sp->ud = ctx;
}

/* Custom type candidates for @p v: the type owning an ext id, and types whose probe claims v. */
static size_t custom_candidates(zr_ctx *ctx, const zr_value *v, zr__sel_custom *out, size_t cap) {
  size_t n = 0;
  pthread_rwlock_rdlock(&ctx->reg_lock);
  zr__type types[ZR__MAX_TYPES];
  size_t nt = ctx->n_types;
  memcpy(types, ctx->types, nt * sizeof types[0]);
  pthread_rwlock_unlock(&ctx->reg_lock);
  for (size_t i = 0; i < nt && n < cap; i++) {
    const zr_custom_type *t = &types[i].t;
    double s = 0;
    if (v->kind == ZR_KIND_EXT && v->aux32 == t->id) s = 0.9;
    else if (t->probe && t->probe(t->ud, v)) s = 0.6;
    if (s > 0 && t->score) {
      double u = t->score(t->ud, v);
      if (isfinite(u)) s = u < 0 ? 0 : (u > 1 ? 1 : u);
    }
    if (s > 0) {
      snprintf(out[n].name, sizeof out[n].name, "%s", types[i].name);
      out[n].score = s;
      n++;
    }
  }
  return n;
}

static int custom_by_name(zr_ctx *ctx, const char *name, zr_custom_type *out) {
  int found = 0;
  pthread_rwlock_rdlock(&ctx->reg_lock);
  for (size_t i = 0; i < ctx->n_types; i++)
    if (strcmp(ctx->types[i].name, name) == 0) {
      *out = ctx->types[i].t;
      found = 1;
      break;
    }
  pthread_rwlock_unlock(&ctx->reg_lock);
  return found;
}

/* Analyze + rank into @p d. */
static void decide(zr_ctx *ctx, const zr__config *cfg, const plan *pl, const zr_value *v, zr_decision *d) {
  double t0 = zr__now_ms();
  memset(d, 0, sizeof *d);
  zr__sel_params sp;
  sel_params(ctx, cfg, pl, &sp);
  zr__select_analyze(v, cfg->sample_items, cfg->max_nodes, &d->ch);
  d->ch.python_objects = pl->target && strcmp(pl->target, "python-objects") == 0;
  zr__sel_custom cust[8];
  sp.custom = cust;
  sp.n_custom = custom_candidates(ctx, v, cust, 8);
  zr__select_rank(&sp, d);
  if (d->format[0]) {
    char why[ZR_REASON_MAX] = "";
    zr__select_codec(&sp, &d->ch, strncmp(d->format, "custom:", 7) ? d->format : "binary", why, sizeof why);
    size_t n = strlen(d->reason);
    if (why[0] && n + 3 < sizeof d->reason) {
      /* a long codec reason is cut at the buffer's end (a human message); using the result keeps
         -O0 builds (make coverage) free of -Wformat-truncation under -Werror */
      int w = snprintf(d->reason + n, sizeof d->reason - n, "; %s", why);
      (void)w;
    }
  }
  d->select_ms = zr__now_ms() - t0;
}


/* ---- nested numeric lists → tensors (for npy / npz) ---- */

typedef struct numscan {
  int64_t shape[ZR_TENSOR_MAX_DIMS];
  uint32_t ndim;
  int any_float, any_big_uint, any_negative;
  uint64_t count;
} numscan;

/* Rectangular nested lists of numbers? Fills the shape from the first path, then checks all. */
static int scan_numeric(const zr_value *v, uint32_t depth, numscan *ns) {
  if (v->kind == ZR_KIND_LIST) {
    if (depth >= ZR_TENSOR_MAX_DIMS) return 0;
    if (depth == ns->ndim) {
      if (ns->count) return 0; /* a list where a number was seen before */
      ns->shape[ns->ndim++] = (int64_t)v->n.len;
    } else if (depth > ns->ndim || ns->shape[depth] != (int64_t)v->n.len) {
      return 0;
    }
    if (v->n.len == 0) return depth + 1 == ns->ndim;
    for (uint64_t i = 0; i < v->n.len; i++)
      if (!scan_numeric(&v->u.items[i], depth + 1, ns)) return 0;
    return 1;
  }
  if (depth != ns->ndim || depth == 0) return 0;
  switch (v->kind) {
    case ZR_KIND_INT:
      if (v->u.i < 0) ns->any_negative = 1;
      break;
    case ZR_KIND_UINT:
      if (v->u.u > (uint64_t)INT64_MAX) ns->any_big_uint = 1;
      break;
    case ZR_KIND_FLOAT: ns->any_float = 1; break;
    default: return 0;
  }
  ns->count++;
  return 1;
}

typedef struct fill_ctx {
  zr_dtype dt;
  uint8_t *out;
  uint64_t pos;
  zr_warnings *warn;
  int strict;
  zr_status st;
  char path[ZR_ERROR_PATH_MAX];
  uint64_t idx[ZR_TENSOR_MAX_DIMS];
} fill_ctx;

static void fill_path(fill_ctx *f, uint32_t depth, char *out, size_t cap) {
  size_t n = (size_t)snprintf(out, cap, "$");
  for (uint32_t i = 0; i < depth && n < cap; i++) n += (size_t)snprintf(out + n, cap - n, "[%llu]", (unsigned long long)f->idx[i]);
}

static void fill(const zr_value *v, uint32_t depth, fill_ctx *f) {
  if (f->st != ZR_OK) return;
  if (v->kind == ZR_KIND_LIST) {
    for (uint64_t i = 0; i < v->n.len && f->st == ZR_OK; i++) {
      f->idx[depth] = i;
      fill(&v->u.items[i], depth + 1, f);
    }
    return;
  }
  if (f->dt == ZR_DT_FLOAT64) {
    double x = v->kind == ZR_KIND_FLOAT ? v->u.f : v->kind == ZR_KIND_INT ? (double)v->u.i : (double)v->u.u;
    int lossy = (v->kind == ZR_KIND_INT && (v->u.i > (INT64_C(1) << 53) || v->u.i < -(INT64_C(1) << 53))) ||
                (v->kind == ZR_KIND_UINT && v->u.u > (UINT64_C(1) << 53));
    if (lossy) {
      char p[ZR_ERROR_PATH_MAX];
      fill_path(f, depth, p, sizeof p);
      if (f->strict) {
        snprintf(f->path, sizeof f->path, "%s", p);
        f->st = ZR_ERR_LOSSY;
        return;
      }
      zr_warnings_add(f->warn, ZR_ERR_LOSSY, p, "integer beyond 2^53 becomes float64 in a numeric array");
    }
    memcpy(f->out + f->pos, &x, 8);
  } else if (f->dt == ZR_DT_UINT64) {
    uint64_t x = v->kind == ZR_KIND_UINT ? v->u.u : (uint64_t)v->u.i;
    memcpy(f->out + f->pos, &x, 8);
  } else {
    int64_t x = v->kind == ZR_KIND_INT ? v->u.i : (int64_t)v->u.u;
    memcpy(f->out + f->pos, &x, 8);
  }
  f->pos += 8;
}

/* Convert a rectangular nested numeric list into a tensor value in @p doc. Returns ZR_ERR_TYPE when
 * the value is not one (the caller then hands the value over unchanged). */
static zr_status numeric_list_tensor(const zr_value *v, zr_doc *doc, zr_warnings *warn, int strict, zr_value *out,
                                     zr_error *err) {
  numscan ns;
  memset(&ns, 0, sizeof ns);
  if (v->kind != ZR_KIND_LIST || !scan_numeric(v, 0, &ns)) return ZR_ERR_TYPE;
  fill_ctx f;
  memset(&f, 0, sizeof f);
  f.dt = ns.any_float ? ZR_DT_FLOAT64 : ns.any_big_uint ? (ns.any_negative ? ZR_DT_FLOAT64 : ZR_DT_UINT64) : ZR_DT_INT64;
  f.warn = warn;
  f.strict = strict;
  uint64_t bytes;
  if (zr__mul_overflow(ns.count, 8, &bytes) || bytes > SIZE_MAX) return zr__err(err, ZR_ERR_LIMIT, -1, "array too large");
  f.out = zr_doc_alloc(doc, bytes ? (size_t)bytes : 8, 64);
  if (!f.out) return zr__err_nomem(err);
  fill(v, 0, &f);
  if (f.st != ZR_OK) {
    return zr__err_path(err, f.st, f.path, "integer beyond 2^53 would become float64 (strict mode)");
  }
  zr_tensor t;
  ZR_TRY(zr_tensor_init(&t, f.dt, 8, ns.ndim, ns.shape, f.out, err));
  *out = zr_tensor_value(doc, &t);
  return zr_doc_status(doc);
}

/* ---- encode helpers ---- */

static zr_status encode_to_buf(const zr_format *f, const zr_value *v, const zr_encode_opts *eo, zr__buf *out,
                               zr_error *err) {
  zr_sink *s;
  ZR_TRY(zr_sink_memory_new(eo->alloc, &s, err));
  zr_status st = f->encode(v, eo, s, err);
  if (st == ZR_OK) st = zr_sink_flush(s, err);
  if (st == ZR_OK) {
    uint8_t *data;
    size_t len;
    st = zr_sink_memory_take(s, &data, &len, err);
    if (st == ZR_OK) {
      zr__buf_free(out);
      out->data = data;
      out->len = out->cap = len;
      out->alloc = zr__alloc_or_default(eo->alloc);
    }
  }
  zr_sink_free(s);
  return st;
}

static zr_status custom_encode_to_buf(const zr_custom_type *t, const zr_value *v, const zr_allocator *alloc,
                                      zr__buf *out, zr_error *err) {
  zr_sink *s;
  ZR_TRY(zr_sink_memory_new(alloc, &s, err));
  zr_status st = t->encode(t->ud, v, s, err);
  if (st == ZR_OK) st = zr_sink_flush(s, err);
  if (st == ZR_OK) {
    const uint8_t *d;
    size_t n;
    st = zr_sink_memory_data(s, &d, &n);
    if (st == ZR_OK) {
      out->len = 0;
      st = zr__buf_append(out, d, n);
      if (st != ZR_OK) zr__err_nomem(err);
    }
  }
  zr_sink_free(s);
  return st;
}

static void merge_warnings(zr_warnings *dst, const zr_warnings *src) {
  unsigned k = src->count < ZR_MAX_WARNINGS ? src->count : ZR_MAX_WARNINGS;
  for (unsigned i = 0; i < k; i++) {
    if (dst->count < ZR_MAX_WARNINGS) dst->items[dst->count] = src->items[i];
    dst->count++;
  }
  if (src->count > k) dst->count += src->count - k;
}

static int can_fall_back(zr_status st) { return st == ZR_ERR_TYPE || st == ZR_ERR_UNSUPPORTED; }

/* Try one candidate: encode into @p out. Returns the encoder's status. */
static zr_status try_candidate(zr_ctx *ctx, const zr__config *cfg, const plan *pl, const char *name, const zr_value *v,
                               const zr_encode_opts *eo_base, zr__buf *out, zr_warnings *warn, const char **written,
                               zr_error *err) {
  zr_encode_opts eo = *eo_base;
  zr_warnings local;
  memset(&local, 0, sizeof local);
  eo.warnings = &local;
  zr_status st;
  *written = name;
  if (strncmp(name, "custom:", 7) == 0) {
    zr_custom_type t;
    const zr_format *bin = zr_ctx_format(ctx, "binary");
    if (!custom_by_name(ctx, name + 7, &t))
      return zr__err(err, ZR_ERR_NOT_FOUND, -1, "custom type '%s' is not registered", name + 7);
    if (!bin) return zr__err(err, ZR_ERR_UNSUPPORTED, -1, "custom types need the binary format, which is not built in");
    zr__buf tmp;
    zr__buf_init(&tmp, eo.alloc);
    zr_error cerr;
    zr_error_clear(&cerr);
    st = custom_encode_to_buf(&t, v, eo.alloc, &tmp, &cerr);
    if (st == ZR_OK) {
      zr_value ext = zr_null();
      ext.kind = ZR_KIND_EXT;
      ext.aux32 = t.id;
      ext.aux16 = t.version;
      ext.u.bin = tmp.data;
      ext.n.len = tmp.len;
      st = encode_to_buf(bin, &ext, &eo, out, err);
      zr__buf_free(&tmp);
      if (st == ZR_OK) merge_warnings(warn, &local);
      return st;
    }
    zr__buf_free(&tmp);
    /* the custom serializer failed: fall back to the plain binary ext encoding */
    if (v->kind != ZR_KIND_EXT) {
      zr_error_set(err, ZR_ERR_TYPE, -1, "custom type '%s' failed: %s", t.name, cerr.message);
      return ZR_ERR_TYPE;
    }
    if (pl->strict)
      return zr__err(err, st, -1, "custom type '%s' failed (strict mode): %s", t.name, cerr.message);
    zr_warnings_add(warn, st, "$", "custom type '%s' failed (%s: %s); wrote the binary ext encoding", t.name,
                    zr_status_name(st), cerr.message);
    zr_log_field lf[2] = {{"type", t.name}, {"error", cerr.message}};
    zr__ctx_log(ctx, cfg, ZR_LOG_WARN, "custom.fallback", lf, 2);
    *written = "binary";
    st = encode_to_buf(bin, v, &eo, out, err);
    if (st == ZR_OK) merge_warnings(warn, &local);
    return st;
  }
  const zr_format *f = zr_ctx_format(ctx, name);
  if (!f) return zr__err(err, ZR_ERR_FORMAT, -1, "format '%s' is not available", name);
  zr_doc *tmp = NULL;
  if ((f->id == ZR_FORMAT_ID_NPY || f->id == ZR_FORMAT_ID_NPZ) && v->kind == ZR_KIND_LIST) {
    /* array formats take nested numeric lists as one tensor */
    tmp = zr_doc_new(eo.alloc);
    if (!tmp) return zr__err_nomem(err);
    zr_value tv;
    st = numeric_list_tensor(v, tmp, &local, pl->strict, &tv, err);
    if (st == ZR_OK) {
      st = zr_doc_set_root(tmp, tv);
      v = zr_doc_root(tmp);
    }
    if (st != ZR_OK && st != ZR_ERR_TYPE) {
      zr_doc_free(tmp);
      return st;
    }
  }
  st = encode_to_buf(f, v, &eo, out, err);
  zr_doc_free(tmp);
  if (st == ZR_OK) merge_warnings(warn, &local);
  return st;
}

static void finish_decision(zr_ctx *ctx, const zr__config *cfg, zr_decision *d) {
  zr__ctx_record(ctx, d);
  zr_log_field lf[4] = {{"format", d->format}, {"codec", d->codec}, {"shape", d->ch.shape}, {"reason", d->reason}};
  zr__ctx_log(ctx, cfg, ZR_LOG_DEBUG, "select", lf, 4);
}

static zr_status serialize_impl(zr_ctx *ctx, const zr_value *v, const zr_serialize_opts *opts, zr_sink *sink,
                                zr_serialize_result *result, zr_error *err) {
  if (!ctx || !v || !sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx, value and sink are required");
  double t_start = zr__now_ms();
  zr__config *cfg = zr__ctx_config(ctx);
  zr_serialize_result local_res;
  zr_serialize_result *r = result ? result : &local_res;
  memset(r, 0, sizeof *r);
  plan pl;
  resolve(cfg, opts, &pl);
  const zr_allocator *alloc = opts && opts->alloc ? opts->alloc : ctx->alloc;
  zr_status st = ZR_OK;
  zr__buf enc, comp;
  zr__buf_init(&enc, alloc);
  zr__buf_init(&comp, alloc);
  zr_decision *d = &r->decision;

  if (pl.codec && strcmp(pl.codec, "auto") != 0 && !zr__cg_available(pl.codec)) {
    st = zr__err(err, ZR_ERR_UNSUPPORTED, -1, "unknown codec '%s' (auto, none, lz4, zstd, gzip)", pl.codec);
    goto out;
  }
  int use_env = pl.envelope && zr__eg_available();
  if (pl.envelope_explicit && !zr__eg_available()) {
    st = zr__err(err, ZR_ERR_UNSUPPORTED, -1, "an envelope was requested but envelope support is not built in");
    goto out;
  }

  /* 1. decide */
  int is_auto = strcmp(pl.format, "auto") == 0;
  decide(ctx, cfg, &pl, v, d);
  /* an ext value of a registered type goes to its serializer even with a named format "binary" */
  zr_custom_type owner;
  int owned = v->kind == ZR_KIND_EXT && zr__ctx_type_by_id(ctx, v->aux32, &owner);
  const char *order[ZR_MAX_CANDIDATES + 1];
  size_t n_order = 0;
  char owner_name[40];
  if (owned && (is_auto || strcmp(pl.format, "binary") == 0)) {
    snprintf(owner_name, sizeof owner_name, "custom:%s", owner.name);
    order[n_order++] = owner_name;
    snprintf(d->reason, sizeof d->reason, "ext value of registered custom type '%s' (id %u)", owner.name,
             (unsigned)owner.id);
  } else if (!is_auto) {
    order[n_order++] = pl.format;
    snprintf(d->reason, sizeof d->reason, "format '%s' requested", pl.format);
  } else {
    for (unsigned i = 0; i < d->n_candidates; i++)
      if (d->cand[i].viable) order[n_order++] = d->cand[i].format;
    if (n_order == 0) {
      st = zr__err(err, ZR_ERR_FORMAT, -1, "%s", d->reason);
      goto out;
    }
  }
  zr__sel_params sp;
  sel_params(ctx, cfg, &pl, &sp);
  zr__select_calibrate(&sp, &d->ch);

  /* 2. encode, falling back on ZR_ERR_TYPE */
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.alloc = alloc;
  eo.level = pl.level;
  eo.flags = (pl.strict ? ZR_ENC_STRICT : 0) | (pl.deterministic ? ZR_ENC_DETERMINISTIC : 0);
  const char *written = NULL;
  double t_enc = zr__now_ms();
  for (size_t i = 0; i < n_order; i++) {
    zr_error e1;
    zr_error_clear(&e1);
    st = try_candidate(ctx, cfg, &pl, order[i], v, &eo, &enc, &r->warnings, &written, &e1);
    if (st == ZR_OK) break;
    if (!is_auto || !can_fall_back(st) || i + 1 == n_order) {
      if (err) *err = e1;
      if (is_auto && can_fall_back(st) && n_order > 1) {
        zr__err(err, st, -1, "no candidate format could represent the value; last (%s): %s", order[i], e1.message);
        zr_error_set_path(err, e1.path); /* keep where the last candidate failed */
      }
      break;
    }
    if (pl.strict) {
      if (err) *err = e1;
      zr__err(err, st, -1, "format '%s' cannot represent the value (strict mode forbids falling back to '%s'): %s",
              order[i], order[i + 1], e1.message);
      zr_error_set_path(err, e1.path);
      break;
    }
    char path[ZR_ERROR_PATH_MAX];
    snprintf(path, sizeof path, "%s", e1.path[0] ? e1.path : "$");
    zr_warnings_add(&r->warnings, st, path, "format '%s' cannot represent the value (%s); fell back to '%s'", order[i],
                    e1.message, order[i + 1]);
    r->fell_back = 1;
    zr_log_field lf[3] = {{"from", order[i]}, {"to", order[i + 1]}, {"why", e1.message}};
    zr__ctx_log(ctx, cfg, ZR_LOG_WARN, "fallback", lf, 3);
  }
  if (st != ZR_OK) goto out;
  r->encode_ms = zr__now_ms() - t_enc;
  r->encoded_bytes = enc.len;
  snprintf(r->format, sizeof r->format, "%s", written);
  snprintf(d->format, sizeof d->format, "%s", written);
  if (r->fell_back) {
    size_t n = strlen(d->reason);
    snprintf(d->reason + n, sizeof d->reason - n, "; fell back to '%s'", written);
  }

  /* 3. compress */
  const char *base = strncmp(written, "custom:", 7) == 0 ? "binary" : written;
  const char *codec = zr__select_codec(&sp, &d->ch, base, NULL, 0);
  const uint8_t *payload = enc.data;
  size_t payload_len = enc.len;
  double t_c = zr__now_ms();
  if (strcmp(codec, "none") != 0) {
    st = zr__fault(ZR__FAULT_CODEC) ? zr__err(err, ZR_ERR_CODEC, -1, "injected codec fault")
                                    : zr__cg_compress(codec, pl.level, enc.data, enc.len, &comp, err);
    if (st != ZR_OK && pl.strict) goto out;
    if (st != ZR_OK) { /* degrade: store the payload raw, with a warning and a metric (src/metrics) */
      zr__degrade_codec(ctx, cfg, codec, written, &r->warnings, err);
      st = ZR_OK;
      codec = "none";
    } else if (strcmp(pl.codec, "auto") == 0 && comp.len >= enc.len) {
      size_t n = strlen(d->reason);
      snprintf(d->reason + n, sizeof d->reason - n, "; %s did not pay (%zu → %zu bytes): stored uncompressed", codec,
               enc.len, comp.len);
      codec = "none";
    } else {
      payload = comp.data;
      payload_len = comp.len;
    }
  }
  r->compress_ms = zr__now_ms() - t_c;
  snprintf(r->codec, sizeof r->codec, "%s", codec);
  snprintf(d->codec, sizeof d->codec, "%s", codec);
  r->payload_bytes = payload_len;
  r->ratio = payload_len ? (double)enc.len / (double)payload_len : 1.0;

  /* 4. envelope and write */
  uint64_t before = zr_sink_size(sink);
  if (use_env) {
    const zr_format *wf = zr_ctx_format(ctx, base);
    zr__env_in ei;
    memset(&ei, 0, sizeof ei);
    ei.format_id = wf ? wf->id : 0;
    ei.format_name = base;
    ei.codec = codec;
    ei.producer = pl.producer;
    ei.meta = opts ? opts->meta : NULL;
    ei.n_meta = opts ? opts->n_meta : 0;
    ei.lineage = pl.lineage;
    ei.operation = opts && opts->operation ? opts->operation : "serialize";
    ei.inputs = opts ? opts->inputs : NULL;
    ei.n_inputs = opts ? opts->n_inputs : 0;
    ei.parent = opts ? opts->parent : NULL;
    ei.parent_len = opts ? opts->parent_len : 0;
    ei.raw_size = enc.len;
    ei.alloc = alloc;
    st = zr__eg_write(&ei, payload, payload_len, sink, err);
    r->envelope = 1;
  } else {
    st = zr_sink_write(sink, payload, payload_len, err);
  }
  if (st == ZR_OK) st = zr_sink_flush(sink, err);
  if (st != ZR_OK) goto out;
  size_t outn = (size_t)(zr_sink_size(sink) - before);
  {
    /* fingerprint of what was written: from the sink's memory when it has any, else of the payload */
    const uint8_t *all;
    size_t alln;
    if (zr_sink_memory_data(sink, &all, &alln) == ZR_OK && alln >= outn)
      r->fingerprint = zr_xxh3_64(all + (alln - outn), outn, 0);
    else
      r->fingerprint = zr_xxh3_64(payload, payload_len, 0);
  }
  r->total_bytes = outn;
  r->select_ms = d->select_ms;
  r->total_ms = zr__now_ms() - t_start;

  /* 6. learn */
  if (cfg->learning) {
    char key[48];
    zr__select_shape_key(&d->ch, key, sizeof key);
    double est = d->ch.size_estimate ? (double)d->ch.size_estimate : 1.0;
    zr__ctx_learn(ctx, cfg->alpha, key, written, codec, r->encode_ms * 1e6 / est, r->compress_ms * 1e6 / est,
                  (double)payload_len / est);
  }
  {
    char bytes[32], ms[32];
    snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)r->total_bytes);
    snprintf(ms, sizeof ms, "%.3f", r->total_ms);
    zr_log_field lf[4] = {{"format", r->format}, {"codec", r->codec}, {"bytes", bytes}, {"ms", ms}};
    zr__ctx_log(ctx, cfg, ZR_LOG_INFO, "serialize", lf, 4);
  }
out:
  finish_decision(ctx, cfg, d);
  zr__buf_free(&enc);
  zr__buf_free(&comp);
  zr__config_release(cfg);
  return st;
}

zr_status zr_explain(zr_ctx *ctx, const zr_value *v, const zr_serialize_opts *opts, zr_decision *out, zr_error *err) {
  if (!ctx || !v || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx, value and out are required");
  zr__config *cfg = zr__ctx_config(ctx);
  plan pl;
  resolve(cfg, opts, &pl);
  decide(ctx, cfg, &pl, v, out);
  zr__config_release(cfg);
  return ZR_OK;
}

/* ---- deserialize ---- */

typedef struct owned_buf {
  const zr_allocator *alloc;
  uint8_t *data;
} owned_buf;

static void owned_release(void *p) {
  owned_buf *o = p;
  const zr_allocator *a = o->alloc;
  zr__free(a, o->data);
  zr__free(a, o);
}

typedef struct peeled {
  const uint8_t *p;
  size_t n;
  uint16_t format_id; /* from an envelope, or 0 */
  zr__buf bufs[ZR_MAX_LAYERS];
  unsigned n_bufs;
} peeled;

static zr_status peel(zr_ctx *ctx, const uint8_t *data, size_t len, uint64_t max_bytes, peeled *pe,
                      zr_deserialize_info *info, zr__buf *inspect_json, zr_error *err) {
  pe->p = data;
  pe->n = len;
  for (unsigned layer = 0;; layer++) {
    if (zr__eg_detect(pe->p, pe->n)) {
      if (layer >= ZR_MAX_LAYERS) return zr__err(err, ZR_ERR_LIMIT, 0, "more than %d layers", ZR_MAX_LAYERS);
      if (inspect_json) {
        ZR_TRY(zr__buf_printf(inspect_json, "%s{\"kind\":\"envelope\",\"bytes\":%zu,\"envelope\":", layer ? "," : "", pe->n));
        ZR_TRY(zr__eg_inspect(pe->p, pe->n, inspect_json, err));
        ZR_TRY(zr__buf_push(inspect_json, '}'));
      }
      char codec[16] = "none";
      const uint8_t *pl;
      size_t pn;
      uint64_t raw_len = 0;
      ZR_TRY(zr__eg_unwrap(pe->p, pe->n, &pl, &pn, &pe->format_id, codec, sizeof codec, &raw_len, err));
      if (info && info->n_layers < ZR_MAX_LAYERS) snprintf(info->layers[info->n_layers++], 16, "envelope");
      pe->p = pl;
      pe->n = pn;
      if (strcmp(codec, "none") != 0) {
        if (pe->n_bufs >= ZR_MAX_LAYERS) return zr__err(err, ZR_ERR_LIMIT, 0, "more than %d layers", ZR_MAX_LAYERS);
        zr__buf *b = &pe->bufs[pe->n_bufs++];
        zr__buf_init(b, ctx->alloc);
        if (raw_len > max_bytes)
          return zr__err(err, ZR_ERR_LIMIT, 32, "payload of %llu bytes exceeds the limit of %llu bytes",
                         (unsigned long long)raw_len, (unsigned long long)max_bytes);
        ZR_TRY(zr__cg_decompress(codec, pe->p, pe->n, raw_len + 1, b, err));
        if (b->len != raw_len)
          return zr__err(err, ZR_ERR_MALFORMED, 32, "payload decompressed to %zu bytes, the envelope says %llu", b->len,
                         (unsigned long long)raw_len);
        if (info && info->n_layers < ZR_MAX_LAYERS) snprintf(info->layers[info->n_layers++], 16, "%s", codec);
        if (inspect_json)
          ZR_TRY(zr__buf_printf(inspect_json, ",{\"kind\":\"codec\",\"codec\":\"%s\",\"compressed\":%zu,\"decompressed\":%zu}",
                                codec, pe->n, b->len));
        pe->p = b->data;
        pe->n = b->len;
      }
      continue;
    }
    const char *codec = zr__cg_detect(pe->p, pe->n);
    if (codec) {
      if (layer >= ZR_MAX_LAYERS || pe->n_bufs >= ZR_MAX_LAYERS)
        return zr__err(err, ZR_ERR_LIMIT, 0, "more than %d layers", ZR_MAX_LAYERS);
      zr__buf *b = &pe->bufs[pe->n_bufs++];
      zr__buf_init(b, ctx->alloc);
      ZR_TRY(zr__cg_decompress(codec, pe->p, pe->n, max_bytes, b, err));
      if (info && info->n_layers < ZR_MAX_LAYERS) snprintf(info->layers[info->n_layers++], 16, "%s", codec);
      if (inspect_json)
        ZR_TRY(zr__buf_printf(inspect_json, "%s{\"kind\":\"codec\",\"codec\":\"%s\",\"compressed\":%zu,\"decompressed\":%zu}",
                              layer ? "," : "", codec, pe->n, b->len));
      pe->p = b->data;
      pe->n = b->len;
      continue;
    }
    return ZR_OK;
  }
}

static void peel_free(peeled *pe) {
  for (unsigned i = 0; i < pe->n_bufs; i++) zr__buf_free(&pe->bufs[i]);
  pe->n_bufs = 0;
}

static zr_status deserialize_impl(zr_ctx *ctx, const uint8_t *data, size_t len, const zr_decode_opts *opts,
                                  zr_doc **out, zr_deserialize_info *info, zr_error *err) {
  if (!ctx || (!data && len) || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx, data and out are required");
  *out = NULL;
  zr__config *cfg = zr__ctx_config(ctx);
  zr_decode_opts dopts;
  if (opts) {
    dopts = *opts;
  } else {
    zr_decode_opts_init(&dopts);
    dopts.max_depth = cfg->max_depth;
    dopts.max_bytes = cfg->max_bytes;
    dopts.max_elements = cfg->max_elements;
    dopts.alloc = ctx->alloc;
  }
  zr__config_release(cfg);
  zr_deserialize_info li;
  zr_deserialize_info *inf = info ? info : &li;
  memset(inf, 0, sizeof *inf);
  inf->input_bytes = len;
  peeled pe;
  memset(&pe, 0, sizeof pe);
  zr_status st = peel(ctx, data, len, dopts.max_bytes, &pe, inf, NULL, err);
  if (st != ZR_OK) goto fail;
  const zr_format *f = pe.format_id ? zr__ctx_format_by_id(ctx, pe.format_id) : NULL;
  if (!f) f = zr__ctx_detect(ctx, pe.p, pe.n);
  if (!f) {
    if (pe.format_id)
      st = zr__err(err, ZR_ERR_FORMAT, 0, "format id %u is not available in this build", (unsigned)pe.format_id);
    else
      st = zr__err(err, ZR_ERR_FORMAT, 0, "unknown input: no format, codec or envelope recognised");
    goto fail;
  }
  snprintf(inf->format, sizeof inf->format, "%s", f->name);
  inf->payload_bytes = pe.n;
  zr_doc *doc = NULL;
  st = f->decode(pe.p, pe.n, &dopts, &doc, err);
  if (st != ZR_OK) goto fail;
  /* hand decompressed buffers to the doc (its values may borrow from them) */
  for (unsigned i = 0; i < pe.n_bufs; i++) {
    owned_buf *o = zr__malloc(pe.bufs[i].alloc, sizeof *o);
    if (!o || zr_doc_keep(doc, owned_release, o) != ZR_OK) {
      if (o) zr__free(pe.bufs[i].alloc, o);
      zr_doc_free(doc);
      st = zr__err_nomem(err);
      goto fail;
    }
    o->alloc = pe.bufs[i].alloc;
    o->data = pe.bufs[i].data;
    zr__buf_init(&pe.bufs[i], o->alloc);
  }
  /* a root ext value of a registered custom type */
  const zr_value *root = zr_doc_root(doc);
  zr_custom_type t;
  if (root->kind == ZR_KIND_EXT && zr__ctx_type_by_id(ctx, root->aux32, &t)) {
    zr_doc *nd = zr__doc_new_limited(dopts.alloc, dopts.max_bytes);
    if (!nd) {
      zr_doc_free(doc);
      st = zr__err_nomem(err);
      goto fail;
    }
    zr_value val = zr_null();
    st = t.decode(t.ud, root->u.bin, (size_t)root->n.len, root->aux16, nd, &val, err);
    if (st == ZR_OK) st = zr_doc_set_root(nd, val);
    if (st == ZR_OK) st = zr_doc_status(nd);
    inf->custom = 1;
    inf->custom_version = root->aux16;
    zr_doc_free(doc);
    if (st != ZR_OK) {
      zr_doc_free(nd);
      goto fail;
    }
    doc = nd;
  }
  peel_free(&pe);
  *out = doc;
  return ZR_OK;
fail:
  peel_free(&pe);
  return st;
}

zr_status zr_deserialize_source(zr_ctx *ctx, zr_source *src, const zr_decode_opts *opts, zr_doc **out,
                                zr_deserialize_info *info, zr_error *err) {
  if (!ctx || !src) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx and src are required");
  zr__config *cfg = zr__ctx_config(ctx);
  uint64_t max = opts ? opts->max_bytes : cfg->max_bytes;
  zr__config_release(cfg);
  const uint8_t *d;
  size_t n;
  ZR_TRY(zr_source_read_all(src, max, &d, &n, err));
  return zr_deserialize(ctx, d, n, opts, out, info, err);
}

/* ---- inspect ---- */

static zr_status inspect_impl(zr_ctx *ctx, const uint8_t *data, size_t len, zr_sink *json_out, zr_error *err) {
  if (!ctx || (!data && len) || !json_out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx, data and sink are required");
  zr__config *cfg = zr__ctx_config(ctx);
  uint64_t max = cfg->max_bytes;
  zr__config_release(cfg);
  zr__buf j;
  zr__buf_init(&j, ctx->alloc);
  peeled pe;
  memset(&pe, 0, sizeof pe);
  zr_status st = zr__buf_printf(&j, "{\"input_bytes\":%zu,\"layers\":[", len);
  if (st == ZR_OK) st = peel(ctx, data, len, max, &pe, NULL, &j, err);
  if (st == ZR_OK) st = zr__buf_printf(&j, "]");
  const zr_format *f = NULL;
  if (st == ZR_OK) {
    f = pe.format_id ? zr__ctx_format_by_id(ctx, pe.format_id) : NULL;
    if (!f) f = zr__ctx_detect(ctx, pe.p, pe.n);
    if (!f) st = zr__err(err, ZR_ERR_FORMAT, 0, "unknown input: no format, codec or envelope recognised");
  }
  if (st == ZR_OK) zr__metrics_note_format(f->name, pe.n);
  if (st == ZR_OK) st = zr__buf_printf(&j, ",\"format\":\"%s\",\"payload_bytes\":%zu", f->name, pe.n);
  if (st == ZR_OK && f->inspect) {
    zr_sink *fs;
    st = zr_sink_memory_new(ctx->alloc, &fs, err);
    if (st == ZR_OK) {
      zr_error ferr;
      zr_error_clear(&ferr);
      zr_status fst = f->inspect(pe.p, pe.n, fs, &ferr);
      const uint8_t *fd;
      size_t fn;
      if (fst == ZR_OK && zr_sink_memory_data(fs, &fd, &fn) == ZR_OK && fn) {
        st = zr__buf_printf(&j, ",\"format_info\":");
        if (st == ZR_OK) st = zr__buf_append(&j, fd, fn);
      } else if (fst == ZR_ERR_NOMEM) { /* not a finding about the input */
        if (err) *err = ferr;
        st = fst;
      } else if (fst != ZR_OK) {
        json_t *m = json_string(ferr.message);
        char *txt = m ? json_dumps(m, JSON_ENCODE_ANY) : NULL;
        st = zr__buf_printf(&j, ",\"format_error\":%s", txt ? txt : "\"\"");
        free(txt);
        json_decref(m);
      }
      zr_sink_free(fs);
    }
  }
  if (st == ZR_OK) st = zr__buf_printf(&j, "}\n");
  if (st == ZR_OK) st = zr_sink_write(json_out, j.data, j.len, err);
  if (st == ZR_OK) st = zr_sink_flush(json_out, err);
  peel_free(&pe);
  zr__buf_free(&j);
  return st;
}

/* ---- the public entry points: the calls above, counted by src/metrics ---- */

zr_status zr_serialize(zr_ctx *ctx, const zr_value *v, const zr_serialize_opts *opts, zr_sink *sink,
                       zr_serialize_result *result, zr_error *err) {
  uint64_t t0 = ctx && v && sink ? zr__metrics_clock() : 0;
  if (!t0) return serialize_impl(ctx, v, opts, sink, result, err);
  zr_serialize_result local, *r = result ? result : &local;
  zr_status st = serialize_impl(ctx, v, opts, sink, r, err);
  /* a failed call is labelled with the format asked for, when the context knows it */
  const char *asked = st != ZR_OK && opts && opts->format && zr_ctx_format(ctx, opts->format) ? opts->format : NULL;
  zr__metrics_serialize(t0, st, r, asked);
  return st;
}

zr_status zr_deserialize(zr_ctx *ctx, const uint8_t *data, size_t len, const zr_decode_opts *opts, zr_doc **out,
                         zr_deserialize_info *info, zr_error *err) {
  uint64_t t0 = ctx && (data || !len) && out ? zr__metrics_clock() : 0;
  if (!t0) return deserialize_impl(ctx, data, len, opts, out, info, err);
  zr_deserialize_info local, *inf = info ? info : &local;
  zr_status st = deserialize_impl(ctx, data, len, opts, out, inf, err);
  zr__metrics_deserialize(t0, st, inf);
  return st;
}

zr_status zr_inspect(zr_ctx *ctx, const uint8_t *data, size_t len, zr_sink *json_out, zr_error *err) {
  uint64_t t0 = ctx && (data || !len) && json_out ? zr__metrics_clock() : 0;
  zr_status st = inspect_impl(ctx, data, len, json_out, err);
  zr__metrics_inspect(t0, st, len);
  return st;
}

/* ---- decision output ---- */

static json_t *num(double x) { return isfinite(x) ? json_real(x) : json_null(); }

zr_status zr_decision_write(const zr_decision *d, int as_json, zr_sink *sink, zr_error *err) {
  if (!d || !sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "decision and sink are required");
  if (!as_json) {
    zr__buf b;
    zr__buf_init(&b, NULL);
    zr_status st = zr__buf_printf(
        &b, "shape: %s (depth %u, ~%llu values, ~%llu bytes, homogeneity %.2f, numeric %.2f, compressibility %.2f%s)\n",
        d->ch.shape, d->ch.depth, (unsigned long long)d->ch.elements, (unsigned long long)d->ch.size_estimate,
        d->ch.homogeneity, d->ch.numeric_share, d->ch.compressibility, d->ch.sampled_partially ? ", sampled" : "");
    if (st == ZR_OK)
      st = zr__buf_printf(&b, "weights: performance %.2f, compatibility %.2f; target %s; selection %.3f ms\n",
                          d->weight_performance, d->weight_compatibility, d->target, d->select_ms);
    if (st == ZR_OK) st = zr__buf_printf(&b, "chosen: %s + %s — %s\n", d->format[0] ? d->format : "(none)", d->codec, d->reason);
    for (unsigned i = 0; st == ZR_OK && i < d->n_candidates; i++) {
      const zr_candidate *c = &d->cand[i];
      char meas[64];
      if (c->measurements) snprintf(meas, sizeof meas, "%.2f ns/B ×%llu", c->measured_ns_per_byte, (unsigned long long)c->measurements);
      else snprintf(meas, sizeof meas, "-");
      st = zr__buf_printf(&b, "%2u. %-14s %-5s score %.3f  fit %.2f perf %.2f compat %.2f  predicted %.2f ns/B  measured %s%s\n      %s\n",
                          i + 1, c->format, c->codec, c->score, c->fit, c->performance, c->compatibility,
                          c->predicted_ns_per_byte, meas, c->viable ? "" : "  [not viable]", c->reasons);
    }
    if (st == ZR_OK) st = zr_sink_write(sink, b.data, b.len, err);
    else zr__err_nomem(err);
    zr__buf_free(&b);
    return st;
  }
  json_t *o = json_object();
  json_t *ch = json_object();
  json_object_set_new(ch, "shape", json_string(d->ch.shape));
  json_object_set_new(ch, "root_kind", json_string(zr_kind_name((zr_kind)d->ch.root_kind)));
  json_object_set_new(ch, "depth", json_integer(d->ch.depth));
  json_object_set_new(ch, "elements", json_integer((json_int_t)d->ch.elements));
  json_object_set_new(ch, "size_estimate", json_integer((json_int_t)d->ch.size_estimate));
  json_object_set_new(ch, "homogeneity", num(d->ch.homogeneity));
  json_object_set_new(ch, "numeric_share", num(d->ch.numeric_share));
  json_object_set_new(ch, "entropy", d->ch.entropy >= 0 ? num(d->ch.entropy) : json_null());
  json_object_set_new(ch, "compressibility", num(d->ch.compressibility));
  json_object_set_new(ch, "sampled", json_integer((json_int_t)d->ch.sampled));
  json_object_set_new(ch, "sampled_partially", json_boolean(d->ch.sampled_partially));
  json_object_set_new(ch, "rows", json_integer(d->ch.rows));
  json_object_set_new(ch, "cols", json_integer(d->ch.cols));
  json_object_set_new(o, "characteristics", ch);
  json_object_set_new(o, "format", json_string(d->format));
  json_object_set_new(o, "codec", json_string(d->codec));
  json_object_set_new(o, "reason", json_string(d->reason));
  json_object_set_new(o, "select_ms", num(d->select_ms));
  json_object_set_new(o, "target", json_string(d->target));
  json_t *w = json_object();
  json_object_set_new(w, "performance", num(d->weight_performance));
  json_object_set_new(w, "compatibility", num(d->weight_compatibility));
  json_object_set_new(o, "weights", w);
  json_t *arr = json_array();
  for (unsigned i = 0; i < d->n_candidates; i++) {
    const zr_candidate *c = &d->cand[i];
    json_t *x = json_object();
    json_object_set_new(x, "format", json_string(c->format));
    json_object_set_new(x, "codec", json_string(c->codec));
    json_object_set_new(x, "viable", json_boolean(c->viable));
    json_object_set_new(x, "score", num(c->score));
    json_object_set_new(x, "fit", num(c->fit));
    json_object_set_new(x, "performance", num(c->performance));
    json_object_set_new(x, "compatibility", num(c->compatibility));
    json_object_set_new(x, "predicted_ns_per_byte", num(c->predicted_ns_per_byte));
    json_object_set_new(x, "measured_ns_per_byte", c->measurements ? num(c->measured_ns_per_byte) : json_null());
    json_object_set_new(x, "measured_ratio", c->measurements ? num(c->measured_ratio) : json_null());
    json_object_set_new(x, "measurements", json_integer((json_int_t)c->measurements));
    json_object_set_new(x, "reasons", json_string(c->reasons));
    json_array_append_new(arr, x);
  }
  json_object_set_new(o, "candidates", arr);
  char *txt = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);
  json_decref(o);
  if (!txt) return zr__err_nomem(err);
  zr_status st = zr_sink_write(sink, txt, strlen(txt), err);
  if (st == ZR_OK) st = zr_sink_write(sink, "\n", 1, err);
  free(txt);
  return st;
}
