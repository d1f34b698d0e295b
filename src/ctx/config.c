/* Configuration of a context: defaults < JSON file < ZERIAL_* environment < API settings.
 *
 * A configuration is an immutable, reference-counted snapshot. Writers (zr_ctx_set, reloads) build
 * a complete new snapshot, validate it, and swap the pointer under a mutex; readers take a
 * reference under the same mutex and keep it for the whole call. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "ctx/ctx_internal.h"

typedef enum { K_STR, K_ENUM, K_INT, K_DBL, K_BOOL, K_FORMAT } ktype;

typedef struct keydef {
  const char *key;
  ktype type;
  size_t off;
  size_t size;        /* K_STR/K_ENUM/K_FORMAT: buffer size; K_INT: sizeof field */
  double min, max;    /* K_INT, K_DBL */
  const char *choices;/* K_ENUM: "|a|b|c|" */
  const char *def;
  const char *help;
  const char *env;
} keydef;

#define OFF(f) offsetof(zr__config, f)
#define SZ(f) sizeof(((zr__config *)0)->f)

static const keydef keys[] = {
    {"format", K_FORMAT, OFF(format), SZ(format), 0, 0, NULL, "auto",
     "format to write: \"auto\" (selected per value) or a format name", "ZERIAL_FORMAT"},
    {"compression.codec", K_ENUM, OFF(codec), SZ(codec), 0, 0, "|auto|none|lz4|zstd|gzip|", "auto",
     "codec: auto (by size, compressibility and measured gain), none, lz4, zstd, gzip", "ZERIAL_COMPRESSION_CODEC"},
    {"compression.level", K_INT, OFF(level), SZ(level), -7, 22, NULL, "0", "codec level (0: codec default)",
     "ZERIAL_COMPRESSION_LEVEL"},
    {"compression.min_size", K_INT, OFF(compress_min), SZ(compress_min), 0, 1e15, NULL, "4096",
     "auto codec: payloads estimated below this many bytes are not compressed", "ZERIAL_COMPRESSION_MIN_SIZE"},
    {"envelope", K_BOOL, OFF(envelope), SZ(envelope), 0, 1, NULL, "true",
     "frame output in the zerial envelope (false: native bytes for third-party readers)", "ZERIAL_ENVELOPE"},
    {"strict", K_BOOL, OFF(strict), SZ(strict), 0, 1, NULL, "false",
     "lossy conversions and format fallbacks are errors instead of warnings", "ZERIAL_STRICT"},
    {"deterministic", K_BOOL, OFF(deterministic), SZ(deterministic), 0, 1, NULL, "false",
     "deterministic output (sorted map keys where the format allows)", "ZERIAL_DETERMINISTIC"},
    {"target", K_ENUM, OFF(target), SZ(target), 0, 0, "|any|python|python-objects|beam|arrow|numpy|", "any",
     "who reads the data: any, python, python-objects, beam, arrow, numpy", "ZERIAL_TARGET"},
    {"selection.performance", K_DBL, OFF(w_perf), SZ(w_perf), 0, 1, NULL, "0.6",
     "weight of predicted performance in format scores (0 … 1)", "ZERIAL_SELECTION_PERFORMANCE"},
    {"selection.compatibility", K_DBL, OFF(w_compat), SZ(w_compat), 0, 1, NULL, "0.4",
     "weight of compatibility with the target in format scores (0 … 1)", "ZERIAL_SELECTION_COMPATIBILITY"},
    {"selection.transfer_ns_per_byte", K_DBL, OFF(transfer_ns), SZ(transfer_ns), 0, 1e6, NULL, "2.0",
     "cost of moving one output byte, in ns (weighs size against speed)", "ZERIAL_SELECTION_TRANSFER_NS_PER_BYTE"},
    {"selection.sample_items", K_INT, OFF(sample_items), SZ(sample_items), 1, 1e6, NULL, "64",
     "items sampled per container when analyzing a value", "ZERIAL_SELECTION_SAMPLE_ITEMS"},
    {"selection.max_nodes", K_INT, OFF(max_nodes), SZ(max_nodes), 16, 1e8, NULL, "4096",
     "values visited at most when analyzing a value", "ZERIAL_SELECTION_MAX_NODES"},
    {"selection.learning", K_BOOL, OFF(learning), SZ(learning), 0, 1, NULL, "true",
     "learn encode costs per shape class, format and codec, and use them", "ZERIAL_SELECTION_LEARNING"},
    {"selection.alpha", K_DBL, OFF(alpha), SZ(alpha), 0.001, 1, NULL, "0.2",
     "weight of the newest measurement in the moving averages", "ZERIAL_SELECTION_ALPHA"},
    {"producer", K_STR, OFF(producer), SZ(producer), 0, 0, NULL, "zerial",
     "producer name written to envelope metadata and lineage", "ZERIAL_PRODUCER"},
    {"lineage", K_BOOL, OFF(lineage), SZ(lineage), 0, 1, NULL, "false",
     "append a lineage record to every envelope written", "ZERIAL_LINEAGE"},
    {"limits.max_depth", K_INT, OFF(max_depth), SZ(max_depth), 1, 1e6, NULL, "512",
     "decode: maximum nesting depth", "ZERIAL_LIMITS_MAX_DEPTH"},
    {"limits.max_bytes", K_INT, OFF(max_bytes), SZ(max_bytes), 1024, 1.8e19, NULL, "4294967296",
     "decode: maximum bytes allocated or decompressed", "ZERIAL_LIMITS_MAX_BYTES"},
    {"limits.max_elements", K_INT, OFF(max_elements), SZ(max_elements), 1, 1.8e19, NULL, "268435456",
     "decode: maximum number of values", "ZERIAL_LIMITS_MAX_ELEMENTS"},
    {"log.level", K_ENUM, OFF(log_level), sizeof(int), 0, 0, "|debug|info|warn|error|off|", "info",
     "least level passed to the log hook", "ZERIAL_LOG_LEVEL"},
};
#define N_KEYS (sizeof keys / sizeof keys[0])

size_t zr_config_key_count(void) { return N_KEYS; }

zr_status zr_config_key_at(size_t i, const char **key, const char **env, const char **help) {
  if (i >= N_KEYS) return ZR_ERR_NOT_FOUND;
  if (key) *key = keys[i].key;
  if (env) *env = keys[i].env;
  if (help) *help = keys[i].help;
  return ZR_OK;
}

static const keydef *find_key(const char *k) {
  for (size_t i = 0; i < N_KEYS; i++)
    if (strcmp(keys[i].key, k) == 0) return &keys[i];
  return NULL;
}

static int enum_index(const char *choices, const char *v) {
  size_t n = strlen(v);
  if (n == 0 || strchr(v, '|')) return -1;
  int idx = 0;
  const char *p = choices + 1;
  while (*p) {
    const char *e = strchr(p, '|');
    if (!e) break;
    if ((size_t)(e - p) == n && strncmp(p, v, n) == 0) return idx;
    idx++;
    p = e + 1;
  }
  return -1;
}

static int parse_bool(const char *v, int *out) {
  if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")) *out = 1;
  else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "off")) *out = 0;
  else return 0;
  return 1;
}

/* Apply one text setting to @p c; error names the key and says what is expected. */
static zr_status apply(zr_ctx *ctx, zr__config *c, const char *key, const char *val, const char *origin,
                       zr_error *err) {
  const keydef *k = find_key(key);
  if (!k) return zr__err(err, ZR_ERR_CONFIG, -1, "%s: unknown configuration key '%s'", origin, key);
  char *field = (char *)c + k->off;
  switch (k->type) {
    case K_STR:
      if (strlen(val) >= k->size)
        return zr__err(err, ZR_ERR_CONFIG, -1, "%s: key '%s': value longer than %zu bytes", origin, key, k->size - 1);
      snprintf(field, k->size, "%s", val);
      return ZR_OK;
    case K_FORMAT:
      if (strcmp(val, "auto") != 0 && (!ctx || !zr_ctx_format(ctx, val)))
        return zr__err(err, ZR_ERR_CONFIG, -1, "%s: key '%s': unknown format '%s' (use \"auto\" or a format name)",
                       origin, key, val);
      if (strlen(val) >= k->size) return zr__err(err, ZR_ERR_CONFIG, -1, "%s: key '%s': name too long", origin, key);
      snprintf(field, k->size, "%s", val);
      return ZR_OK;
    case K_ENUM: {
      int idx = enum_index(k->choices, val);
      if (idx < 0) {
        char list[128];
        snprintf(list, sizeof list, "%s", k->choices + 1);
        size_t n = strlen(list);
        if (n) list[n - 1] = 0;
        for (char *p = list; *p; p++)
          if (*p == '|') *p = ',';
        return zr__err(err, ZR_ERR_CONFIG, -1, "%s: key '%s': '%s' is not one of %s", origin, key, val, list);
      }
      if (strcmp(k->key, "log.level") == 0) *(int *)(void *)field = idx;
      else snprintf(field, k->size, "%s", val);
      return ZR_OK;
    }
    case K_BOOL: {
      int b;
      if (!parse_bool(val, &b))
        return zr__err(err, ZR_ERR_CONFIG, -1, "%s: key '%s': expected true or false, got '%s'", origin, key, val);
      *(int *)(void *)field = b;
      return ZR_OK;
    }
    case K_INT: {
      /* exact: plain decimal integers through strtoull/strtoll, compared as integers (the bounds
       * are whole numbers below 2^64, exact as doubles); other spellings ("1e6") through
       * strtold. long double is not relied on for precision: it is a double on some platforms
       * and under valgrind. */
      char *end;
      int ok;
      uint64_t u = 0;
      int64_t i = 0;
      const char *q = val + (*val == '+' || *val == '-');
      int plain = *q != 0;
      for (const char *c = q; *c; c++) plain &= *c >= '0' && *c <= '9';
      errno = 0;
      if (plain && k->min >= 0) {
        ok = *val != '-' || strspn(q, "0") == strlen(q); /* "-0" is 0 */
        u = strtoull(q, &end, 10);
        ok = ok && !errno && u >= (uint64_t)k->min && u <= (uint64_t)k->max;
      } else if (plain) {
        i = strtoll(val, &end, 10);
        ok = !errno && i >= (int64_t)k->min && i <= (int64_t)k->max;
        u = (uint64_t)i;
      } else {
        long double x = strtold(val, &end);
        ok = end != val && !*end && !errno && x == floorl(x) && x >= (long double)k->min && x <= (long double)k->max;
        if (ok && k->min >= 0) u = (uint64_t)x;
        else if (ok) i = (int64_t)x;
        if (ok && k->min < 0) u = (uint64_t)i;
      }
      if (!ok)
        return zr__err(err, ZR_ERR_CONFIG, -1, "%s: key '%s': expected an integer from %.0f to %.0f, got '%s'", origin,
                       key, k->min, k->max, val);
      if (k->size == sizeof(uint64_t)) *(uint64_t *)(void *)field = u;
      else if (k->min < 0) *(int *)(void *)field = (int)(int64_t)u;
      else *(uint32_t *)(void *)field = (uint32_t)u;
      return ZR_OK;
    }
    case K_DBL: {
      char *end;
      errno = 0;
      double x = strtod(val, &end);
      if (end == val || *end || errno || !isfinite(x) || x < k->min || x > k->max)
        return zr__err(err, ZR_ERR_CONFIG, -1, "%s: key '%s': expected a number from %g to %g, got '%s'", origin, key,
                       k->min, k->max, val);
      *(double *)(void *)field = x;
      return ZR_OK;
    }
  }
  return zr__err(err, ZR_ERR_INTERNAL, -1, "bad key type");
}

static void defaults(zr__config *c) {
  memset(c, 0, sizeof *c);
  for (size_t i = 0; i < N_KEYS; i++) (void)apply(NULL, c, keys[i].key, keys[i].def, "default", NULL);
  snprintf(c->format, sizeof c->format, "auto");
}

/* JSON: nested objects flatten to dotted keys; scalars converted to text and applied. */
static zr_status apply_json(zr_ctx *ctx, zr__config *c, json_t *obj, const char *prefix, const char *origin,
                            zr_error *err) {
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) {
    char key[128];
    if (prefix[0]) snprintf(key, sizeof key, "%s.%s", prefix, k);
    else snprintf(key, sizeof key, "%s", k);
    char text[256];
    switch (json_typeof(v)) {
      case JSON_OBJECT: ZR_TRY(apply_json(ctx, c, v, key, origin, err)); continue;
      case JSON_STRING: snprintf(text, sizeof text, "%s", json_string_value(v)); break;
      case JSON_INTEGER: snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
      case JSON_REAL: snprintf(text, sizeof text, "%.17g", json_real_value(v)); break;
      case JSON_TRUE: snprintf(text, sizeof text, "true"); break;
      case JSON_FALSE: snprintf(text, sizeof text, "false"); break;
      default:
        return zr__err(err, ZR_ERR_CONFIG, -1, "%s: key '%s': expected a string, number, boolean or object", origin, key);
    }
    const keydef *kd = find_key(key);
    if (kd && kd->type == K_BOOL && json_typeof(v) != JSON_TRUE && json_typeof(v) != JSON_FALSE)
      return zr__err(err, ZR_ERR_CONFIG, -1, "%s: key '%s': expected true or false", origin, key);
    if (kd && (kd->type == K_STR || kd->type == K_ENUM || kd->type == K_FORMAT) && json_typeof(v) != JSON_STRING)
      return zr__err(err, ZR_ERR_CONFIG, -1, "%s: key '%s': expected a string", origin, key);
    if (kd && (kd->type == K_INT || kd->type == K_DBL) && !json_is_number(v))
      return zr__err(err, ZR_ERR_CONFIG, -1, "%s: key '%s': expected a number", origin, key);
    ZR_TRY(apply(ctx, c, key, text, origin, err));
  }
  return ZR_OK;
}

static zr_status apply_json_text(zr_ctx *ctx, zr__config *c, const char *text, size_t len, const char *origin,
                                 zr_error *err) {
  json_error_t je;
  json_t *root = json_loadb(text, len, 0, &je);
  if (!root)
    return zr__err(err, ZR_ERR_CONFIG, je.position, "%s: line %d: %s", origin, je.line, je.text);
  if (!json_is_object(root)) {
    json_decref(root);
    return zr__err(err, ZR_ERR_CONFIG, 0, "%s: the configuration must be a JSON object", origin);
  }
  zr_status st = apply_json(ctx, c, root, "", origin, err);
  json_decref(root);
  return st;
}

static zr_status apply_env(zr_ctx *ctx, zr__config *c, zr_error *err) {
  for (size_t i = 0; i < N_KEYS; i++) {
    const char *v = getenv(keys[i].env);
    if (v) ZR_TRY(apply(ctx, c, keys[i].key, v, keys[i].env, err));
  }
  return ZR_OK;
}

static zr_status read_file(const char *path, char **out, size_t *len, zr_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return zr__err(err, ZR_ERR_CONFIG, -1, "cannot open configuration file %s: %s", path, strerror(errno));
  zr__buf b;
  zr__buf_init(&b, NULL);
  char tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
    if (b.len + n > (1u << 20) || zr__buf_append(&b, tmp, n) != ZR_OK) {
      fclose(f);
      zr__buf_free(&b);
      return zr__err(err, ZR_ERR_CONFIG, -1, "configuration file %s is too large (1 MiB at most)", path);
    }
  }
  fclose(f);
  if (zr__buf_push(&b, 0) != ZR_OK) {
    zr__buf_free(&b);
    return zr__err_nomem(err);
  }
  *out = (char *)b.data;
  *len = b.len - 1;
  return ZR_OK;
}

/* Build a complete snapshot: defaults, file (path or json text), env, overrides. Caller holds writer_mu. */
static zr_status build(zr_ctx *ctx, const char *path, const char *json, size_t json_len, zr__config **out,
                       zr_error *err) {
  zr__config *c = zr__malloc(ctx->alloc, sizeof *c);
  if (!c) return zr__err_nomem(err);
  defaults(c);
  c->alloc = ctx->alloc;
  zr_status st = ZR_OK;
  if (path) {
    char *text = NULL;
    size_t len = 0;
    st = read_file(path, &text, &len, err);
    if (st == ZR_OK) {
      st = apply_json_text(ctx, c, text, len, path, err);
      free(text);
    }
  } else if (json) {
    st = apply_json_text(ctx, c, json, json_len, "configuration", err);
  }
  if (st == ZR_OK && !ctx->isolated) st = apply_env(ctx, c, err);
  for (size_t i = 0; st == ZR_OK && i < ctx->n_overrides; i++)
    st = apply(ctx, c, ctx->overrides[i].key, ctx->overrides[i].value, "setting", err);
  if (st != ZR_OK) {
    zr__free(ctx->alloc, c);
    return st;
  }
  atomic_init(&c->refs, 1);
  *out = c;
  return ZR_OK;
}

static void swap_in(zr_ctx *ctx, zr__config *c) {
  pthread_mutex_lock(&ctx->cfg_mu);
  zr__config *old = ctx->cfg;
  ctx->cfg = c;
  pthread_mutex_unlock(&ctx->cfg_mu);
  if (old) zr__config_release(old);
}

zr__config *zr__ctx_config(zr_ctx *ctx) {
  pthread_mutex_lock(&ctx->cfg_mu);
  zr__config *c = ctx->cfg;
  atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
  pthread_mutex_unlock(&ctx->cfg_mu);
  return c;
}

void zr__config_release(zr__config *c) {
  if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1) zr__free(c->alloc, c);
}

static char *dup_str(const zr_allocator *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *p = zr__malloc(a, n);
  if (p) memcpy(p, s, n);
  return p;
}

zr_status zr__config_init(zr_ctx *ctx, zr_error *err) {
  const char *path = ctx->isolated ? NULL : getenv("ZERIAL_CONFIG");
  if (path && !*path) path = NULL;
  zr__config *c;
  ZR_TRY(build(ctx, path, NULL, 0, &c, err));
  if (path) {
    ctx->cfg_path = dup_str(ctx->alloc, path);
    if (!ctx->cfg_path) {
      zr__config_release(c);
      return zr__err_nomem(err);
    }
  }
  ctx->cfg = c;
  return ZR_OK;
}

void zr__config_fini(zr_ctx *ctx) {
  zr__config_release(ctx->cfg);
  ctx->cfg = NULL;
  for (size_t i = 0; i < ctx->n_overrides; i++) {
    zr__free(ctx->alloc, ctx->overrides[i].key);
    zr__free(ctx->alloc, ctx->overrides[i].value);
  }
  zr__free(ctx->alloc, ctx->overrides);
  zr__free(ctx->alloc, ctx->cfg_path);
}

static void log_reload(zr_ctx *ctx, const char *what, const char *detail) {
  zr__config *c = zr__ctx_config(ctx);
  zr_log_field f[2] = {{"source", what}, {"detail", detail ? detail : ""}};
  zr__ctx_log(ctx, c, ZR_LOG_INFO, "config.reload", f, 2);
  zr__config_release(c);
}

zr_status zr_ctx_set(zr_ctx *ctx, const char *key, const char *value, zr_error *err) {
  if (!ctx || !key || !value) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx, key and value are required");
  pthread_mutex_lock(&ctx->writer_mu);
  zr_status st;
  /* validate on a copy of the current snapshot */
  zr__config *cur = zr__ctx_config(ctx);
  zr__config *c = zr__malloc(ctx->alloc, sizeof *c);
  if (!c) {
    zr__config_release(cur);
    pthread_mutex_unlock(&ctx->writer_mu);
    return zr__err_nomem(err);
  }
  memcpy(c, cur, sizeof *c);
  zr__config_release(cur);
  atomic_init(&c->refs, 1);
  st = apply(ctx, c, key, value, "setting", err);
  if (st == ZR_OK) {
    /* remember it (replace an earlier setting of the same key) */
    size_t i;
    for (i = 0; i < ctx->n_overrides; i++)
      if (strcmp(ctx->overrides[i].key, key) == 0) break;
    char *nv = dup_str(ctx->alloc, value);
    char *nk = i == ctx->n_overrides ? dup_str(ctx->alloc, key) : NULL;
    zr__override *arr = ctx->overrides;
    if (i == ctx->n_overrides && nk && nv) {
      arr = zr__realloc(ctx->alloc, ctx->overrides, (ctx->n_overrides + 1) * sizeof *arr);
      if (arr) ctx->overrides = arr;
    }
    if (!nv || (i == ctx->n_overrides && (!nk || !arr))) {
      zr__free(ctx->alloc, nv);
      zr__free(ctx->alloc, nk);
      zr__free(ctx->alloc, c);
      pthread_mutex_unlock(&ctx->writer_mu);
      return zr__err_nomem(err);
    }
    if (i == ctx->n_overrides) {
      ctx->overrides[i].key = nk;
      ctx->n_overrides++;
    } else {
      zr__free(ctx->alloc, ctx->overrides[i].value);
    }
    ctx->overrides[i].value = nv;
    swap_in(ctx, c);
  } else {
    zr__free(ctx->alloc, c);
  }
  pthread_mutex_unlock(&ctx->writer_mu);
  return st;
}

zr_status zr_ctx_get(zr_ctx *ctx, const char *key, char *buf, size_t cap, zr_error *err) {
  if (!ctx || !key || !buf || !cap) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx, key and buf are required");
  const keydef *k = find_key(key);
  if (!k) return zr__err(err, ZR_ERR_CONFIG, -1, "unknown configuration key '%s'", key);
  zr__config *c = zr__ctx_config(ctx);
  const char *field = (const char *)c + k->off;
  switch (k->type) {
    case K_STR:
    case K_FORMAT: snprintf(buf, cap, "%s", field); break;
    case K_ENUM:
      if (strcmp(k->key, "log.level") == 0) {
        static const char *const lv[] = {"debug", "info", "warn", "error", "off"};
        int i = *(const int *)(const void *)field;
        snprintf(buf, cap, "%s", lv[i >= 0 && i < 5 ? i : 1]);
      } else {
        snprintf(buf, cap, "%s", field);
      }
      break;
    case K_BOOL: snprintf(buf, cap, "%s", *(const int *)(const void *)field ? "true" : "false"); break;
    case K_INT:
      if (k->size == sizeof(uint64_t)) snprintf(buf, cap, "%llu", (unsigned long long)*(const uint64_t *)(const void *)field);
      else if (k->min < 0) snprintf(buf, cap, "%d", *(const int *)(const void *)field);
      else snprintf(buf, cap, "%u", *(const uint32_t *)(const void *)field);
      break;
    case K_DBL: snprintf(buf, cap, "%g", *(const double *)(const void *)field); break;
  }
  zr__config_release(c);
  return ZR_OK;
}

zr_status zr_ctx_reload(zr_ctx *ctx, const char *path, zr_error *err) {
  if (!ctx) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx is NULL");
  pthread_mutex_lock(&ctx->writer_mu);
  const char *use = path ? path : ctx->cfg_path;
  zr__config *c;
  zr_status st = build(ctx, use, NULL, 0, &c, err);
  if (st == ZR_OK && path && (!ctx->cfg_path || strcmp(path, ctx->cfg_path) != 0)) {
    char *np = dup_str(ctx->alloc, path);
    if (!np) {
      zr__config_release(c);
      st = zr__err_nomem(err);
    } else {
      zr__free(ctx->alloc, ctx->cfg_path);
      ctx->cfg_path = np;
    }
  }
  if (st == ZR_OK) swap_in(ctx, c);
  pthread_mutex_unlock(&ctx->writer_mu);
  if (st == ZR_OK) log_reload(ctx, use ? use : "environment", NULL);
  return st;
}

zr_status zr_ctx_load_json(zr_ctx *ctx, const char *json, size_t len, zr_error *err) {
  if (!ctx || !json) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx and json are required");
  pthread_mutex_lock(&ctx->writer_mu);
  zr__config *c;
  zr_status st = build(ctx, NULL, json, len, &c, err);
  if (st == ZR_OK) swap_in(ctx, c);
  pthread_mutex_unlock(&ctx->writer_mu);
  if (st == ZR_OK) log_reload(ctx, "json", NULL);
  return st;
}
