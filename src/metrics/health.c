/* Health checks (zr_ctx_health), degradation around failing codecs and shared memory, and
 * zr_ctx_share (shared memory with an in-memory fallback). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctx/ctx_internal.h"
#include "metrics/metrics_internal.h"
#include "zerial/metrics.h"
#include "zerial/schema.h"
#include "zerial/shm.h"

const char *zr_health_status_name(zr_health_status s) {
  switch (s) {
    case ZR_HEALTH_OK: return "ok";
    case ZR_HEALTH_DEGRADED: return "degraded";
    case ZR_HEALTH_FAIL: return "fail";
    case ZR_HEALTH_SKIPPED: return "skipped";
  }
  return "unknown";
}

static zr_health_check *add_check(zr_health_report *r, const char *name) {
  if (r->n_checks >= ZR_HEALTH_MAX_CHECKS) return NULL;
  zr_health_check *c = &r->checks[r->n_checks++];
  memset(c, 0, sizeof *c);
  snprintf(c->name, sizeof c->name, "%s", name);
  c->ms = zr__now_ms();
  return c;
}

static void end_check(zr_health_check *c, zr_health_status s, const char *fmt, const char *detail) {
  c->status = s;
  c->ms = zr__now_ms() - c->ms;
  char tmp[512];
  snprintf(tmp, sizeof tmp, fmt, detail ? detail : "");
  size_t n = strlen(tmp);
  if (n >= sizeof c->message) n = sizeof c->message - 1;
  memcpy(c->message, tmp, n);
  c->message[n] = '\0';
}

/* A test pattern that compresses (repeats) but is not trivial. */
static void pattern(uint8_t *p, size_t n) {
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < n; i++) {
    if (i % 64 == 0) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
    }
    p[i] = (uint8_t)((x >> (i % 24)) & 0x3f);
  }
}

static void check_codec(zr_health_report *r, const char *codec, const zr_allocator *a) {
  if (!zr__cg_available(codec)) return;
  char name[32];
  snprintf(name, sizeof name, "codec.%s", codec);
  zr_health_check *c = add_check(r, name);
  if (!c) return;
  uint8_t in[4096];
  pattern(in, sizeof in);
  zr__buf z, back;
  zr__buf_init(&z, a);
  zr__buf_init(&back, a);
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr__fault(ZR__FAULT_CODEC) ? zr__err(&e, ZR_ERR_CODEC, -1, "injected codec fault")
                                            : zr__cg_compress(codec, 0, in, sizeof in, &z, &e);
  if (st == ZR_OK) st = zr__cg_decompress(codec, z.data, z.len, sizeof in + 1, &back, &e);
  if (st == ZR_OK && (back.len != sizeof in || memcmp(back.data, in, sizeof in) != 0))
    st = zr__err(&e, ZR_ERR_CODEC, -1, "round trip changed the bytes");
  if (st == ZR_OK) {
    char d[64];
    snprintf(d, sizeof d, "round trip of %zu bytes (%zu compressed)", sizeof in, z.len);
    end_check(c, ZR_HEALTH_OK, "%s", d);
  } else {
    /* serialize degrades around a failing codec (stores raw) */
    end_check(c, ZR_HEALTH_DEGRADED, "%s (payloads are stored uncompressed)", e.message);
  }
  zr__buf_free(&z);
  zr__buf_free(&back);
}

static void check_binary(zr_health_report *r, const zr_allocator *a) {
  const zr_format *f = zr_format_by_name("binary");
  if (!f) return;
  zr_health_check *c = add_check(r, "format.binary");
  if (!c) return;
  zr_doc *d = zr_doc_new(a);
  zr_sink *sink = NULL;
  zr_doc *back = NULL;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = d ? ZR_OK : zr__err_nomem(&e);
  zr_value m = zr_null();
  if (st == ZR_OK) {
    m = zr_map_new(d, 4);
    zr_map_put_cstr(d, &m, "id", zr_int(-42));
    zr_map_put_cstr(d, &m, "name", zr_str_copy(d, "health", 6));
    zr_map_put_cstr(d, &m, "score", zr_float(0.5));
    st = zr_doc_status(d);
  }
  if (st == ZR_OK) st = zr_sink_memory_new(a, &sink, &e);
  zr_encode_opts eo;
  memset(&eo, 0, sizeof eo);
  eo.alloc = a;
  if (st == ZR_OK) st = f->encode(&m, &eo, sink, &e);
  const uint8_t *bytes = NULL;
  size_t n = 0;
  if (st == ZR_OK) st = zr_sink_memory_data(sink, &bytes, &n);
  zr_decode_opts dop;
  zr_decode_opts_init(&dop);
  dop.alloc = a;
  if (st == ZR_OK) st = f->decode(bytes, n, &dop, &back, &e);
  if (st == ZR_OK && !zr_value_equal(&m, zr_doc_root(back)))
    st = zr__err(&e, ZR_ERR_INTERNAL, -1, "decoded value differs");
  if (st == ZR_OK) {
    char dtl[48];
    snprintf(dtl, sizeof dtl, "round trip of a %zu-byte document", n);
    end_check(c, ZR_HEALTH_OK, "%s", dtl);
  } else {
    end_check(c, ZR_HEALTH_FAIL, "%s", e.message[0] ? e.message : zr_strerror(st));
  }
  zr_doc_free(back);
  zr_sink_free(sink);
  zr_doc_free(d);
}

static atomic_uint health_seq;

static void check_shm(zr_health_report *r) {
  zr_health_check *c = add_check(r, "shm");
  if (!c) return;
  char name[64];
  snprintf(name, sizeof name, "zerial-health-%ld-%u", (long)getpid(), atomic_fetch_add(&health_seq, 1u));
  zr_error e;
  zr_error_clear(&e);
  zr_shm *w = NULL, *rd = NULL;
  zr_status st = zr__fault(ZR__FAULT_SHM) ? zr__err(&e, ZR_ERR_IO, -1, "injected shared-memory fault")
                                          : zr_shm_create(name, NULL, &w, &e);
  int created = st == ZR_OK;
  static const char probe[] = "zerial health probe";
  void *p = NULL;
  if (st == ZR_OK) st = zr_shm_reserve(w, "probe", sizeof probe, &p, &e);
  if (st == ZR_OK) {
    memcpy(p, probe, sizeof probe);
    st = zr_shm_commit(w, ZR_SHM_FORMAT_RAW, sizeof probe, 0, &e);
  }
  if (st == ZR_OK) st = zr_shm_publish(w, &e);
  if (st == ZR_OK) st = zr_shm_open(name, ZR_SHM_VERIFY, NULL, &rd, &e);
  zr_shm_close(rd);
  zr_shm_close(w);
  if (created) zr_shm_unlink(name, NULL);
  if (st == ZR_OK)
    end_check(c, ZR_HEALTH_OK, "%s", "create, publish, open and unlink a region");
  else
    end_check(c, ZR_HEALTH_DEGRADED, "%s (shared values are kept in process memory)", e.message);
}

static void check_registry(zr_health_report *r, const char *path) {
  zr_health_check *c = add_check(r, "registry");
  if (!c) return;
  if (!path || !*path) {
    end_check(c, ZR_HEALTH_SKIPPED, "%s", "no registry configured (ZERIAL_REGISTRY)");
    return;
  }
  zr_error e;
  zr_error_clear(&e);
  zr_registry *reg = NULL;
  char *json = NULL;
  zr_status st = zr_registry_open(path, 1000, &reg, &e);
  if (st == ZR_OK) st = zr_registry_subjects(reg, 0, &json, &e);
  zr_free(json);
  zr_registry_close(reg);
  if (st == ZR_OK)
    end_check(c, ZR_HEALTH_OK, "%s", path);
  else
    end_check(c, ZR_HEALTH_FAIL, "%s", e.message);
}

zr_status zr_ctx_health(zr_ctx *ctx, const zr_health_opts *opts, zr_health_report *out, zr_error *err) {
  if (!out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "out is NULL");
  memset(out, 0, sizeof *out);
  const zr_allocator *a = ctx ? ctx->alloc : zr__alloc_or_default(NULL);
  static const char *const codecs[] = {"lz4", "zstd", "gzip"};
  for (size_t i = 0; i < 3; i++) check_codec(out, codecs[i], a);
  check_binary(out, a);
  if (!(opts && opts->skip_shm)) check_shm(out);
  const char *reg = opts && opts->registry ? opts->registry : getenv("ZERIAL_REGISTRY");
  check_registry(out, reg);
  out->status = ZR_HEALTH_OK;
  for (unsigned i = 0; i < out->n_checks; i++) {
    zr_health_status s = out->checks[i].status;
    if (s != ZR_HEALTH_SKIPPED && s > out->status) out->status = s;
  }
  zr__metrics_health(out->status);
  if (ctx && out->status != ZR_HEALTH_OK) {
    zr__config *cfg = zr__ctx_config(ctx);
    for (unsigned i = 0; i < out->n_checks; i++) {
      if (out->checks[i].status != ZR_HEALTH_DEGRADED && out->checks[i].status != ZR_HEALTH_FAIL) continue;
      zr_log_field lf[3] = {{"check", out->checks[i].name},
                            {"status", zr_health_status_name(out->checks[i].status)},
                            {"message", out->checks[i].message}};
      zr__ctx_log(ctx, cfg, ZR_LOG_WARN, "health", lf, 3);
    }
    zr__config_release(cfg);
  }
  return ZR_OK;
}

static zr_status json_str(zr__buf *b, const char *s) {
  ZR_TRY(zr__buf_push(b, '"'));
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      ZR_TRY(zr__buf_printf(b, "\\%c", *p));
    else if (*p < 0x20)
      ZR_TRY(zr__buf_printf(b, "\\u%04x", *p));
    else
      ZR_TRY(zr__buf_push(b, *p));
  }
  return zr__buf_push(b, '"');
}

zr_status zr__health_json(const zr_health_report *r, zr__buf *b) {
  ZR_TRY(zr__buf_printf(b, "{\"status\":\"%s\",\"checks\":[", zr_health_status_name(r->status)));
  for (unsigned i = 0; i < r->n_checks && i < ZR_HEALTH_MAX_CHECKS; i++) {
    const zr_health_check *c = &r->checks[i];
    ZR_TRY(zr__buf_printf(b, "%s{\"name\":", i ? "," : ""));
    ZR_TRY(json_str(b, c->name));
    ZR_TRY(zr__buf_printf(b, ",\"status\":\"%s\",\"ms\":%.3f,\"message\":", zr_health_status_name(c->status), c->ms));
    ZR_TRY(json_str(b, c->message));
    ZR_TRY(zr__buf_push(b, '}'));
  }
  return zr__buf_printf(b, "]}\n");
}

zr_status zr_health_write_json(const zr_health_report *r, zr_sink *sink, zr_error *err) {
  if (!r || !sink) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "report and sink are required");
  zr__buf b;
  zr__buf_init(&b, NULL);
  zr_status st = zr__health_json(r, &b);
  if (st != ZR_OK) zr__err_nomem(err);
  if (st == ZR_OK) st = zr_sink_write(sink, b.data, b.len, err);
  if (st == ZR_OK) st = zr_sink_flush(sink, err);
  zr__buf_free(&b);
  return st;
}

/* ---- degradation ---- */

void zr__degrade_codec(zr_ctx *ctx, const zr__config *cfg, const char *codec, const char *format, zr_warnings *w,
                       zr_error *err) {
  char why[ZR_ERROR_MESSAGE_MAX];
  snprintf(why, sizeof why, "%s", err && err->message[0] ? err->message : "codec failed");
  if (w) zr_warnings_add(w, ZR_ERR_CODEC, "$", "codec '%s' failed (%s); payload stored uncompressed", codec, why);
  zr_log_field lf[3] = {{"codec", codec}, {"format", format}, {"why", why}};
  zr__ctx_log(ctx, cfg, ZR_LOG_WARN, "codec.fallback", lf, 3);
  zr__metrics_fallback(ZR_FALLBACK_CODEC, format);
  zr_error_clear(err);
}

/* ---- shared memory with an in-memory fallback ---- */

void zr_shared_release(zr_shared *s) {
  if (!s) return;
  if (s->data) zr__free(s->alloc, s->data);
  s->data = NULL;
  s->len = 0;
}

zr_status zr_ctx_share(zr_ctx *ctx, const char *region, const char *object, const zr_value *v,
                       const zr_serialize_opts *opts, zr_shared *out, zr_error *err) {
  if (!ctx || !region || !object || !v || !out)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "ctx, region, object, value and out are required");
  memset(out, 0, sizeof *out);
  out->alloc = ctx->alloc;
  /* caller mistakes are errors, not reasons to degrade */
  ZR_TRY(zr_shm_name_valid(region, err));
  size_t on = strlen(object);
  if (on == 0 || on > ZR_SHM_NAME_MAX)
    return zr__err(err, ZR_ERR_INVALID_ARG, -1, "object name must be 1 to %u bytes, not %zu", ZR_SHM_NAME_MAX, on);
  snprintf(out->region, sizeof out->region, "%s", region);
  snprintf(out->object, sizeof out->object, "%s", object);
  zr_sink *mem = NULL;
  ZR_TRY(zr_sink_memory_new(ctx->alloc, &mem, err));
  zr_status st = zr_serialize(ctx, v, opts, mem, &out->result, err);
  uint8_t *bytes = NULL;
  size_t n = 0;
  if (st == ZR_OK) st = zr_sink_memory_take(mem, &bytes, &n, err);
  zr_sink_free(mem);
  if (st != ZR_OK) return st;
  out->len = n;

  /* enveloped bytes are stored raw (zr_deserialize reads them); native bytes under their format id */
  const zr_format *wf = out->result.envelope ? NULL : zr_ctx_format(ctx, out->result.format);
  uint16_t fid = wf && strcmp(out->result.codec, "none") == 0 ? wf->id : ZR_SHM_FORMAT_RAW;
  zr_error e;
  zr_error_clear(&e);
  zr_shm *w = NULL;
  void *p = NULL;
  zr_status sst = zr__fault(ZR__FAULT_SHM) ? zr__err(&e, ZR_ERR_IO, -1, "injected shared-memory fault")
                                           : zr_shm_create(region, NULL, &w, &e);
  int created = sst == ZR_OK;
  if (sst == ZR_OK) sst = zr_shm_reserve(w, object, n, &p, &e);
  if (sst == ZR_OK) {
    memcpy(p, bytes, n);
    sst = zr_shm_commit(w, fid, n, 0, &e);
  }
  if (sst == ZR_OK) sst = zr_shm_publish(w, &e);
  zr_shm_close(w);
  if (sst == ZR_OK) {
    zr__free(ctx->alloc, bytes);
    return ZR_OK;
  }
  if (created) zr_shm_unlink(region, NULL);
  zr__config *cfg = zr__ctx_config(ctx);
  int strict = opts && opts->strict >= 0 ? opts->strict : cfg->strict;
  /* a region that exists already or a bad object name is the caller's business: no fallback */
  if (strict || sst == ZR_ERR_EXISTS || sst == ZR_ERR_INVALID_ARG) {
    zr__config_release(cfg);
    zr__free(ctx->alloc, bytes);
    if (err) *err = e;
    if (sst == ZR_ERR_EXISTS || sst == ZR_ERR_INVALID_ARG) return sst;
    return zr__err(err, sst, -1, "shared memory failed (strict mode forbids the in-memory fallback): %s", e.message);
  }
  zr_warnings_add(&out->result.warnings, sst, "$", "shared memory failed (%s); value kept in process memory",
                  e.message);
  zr_log_field lf[3] = {{"region", region}, {"object", object}, {"why", e.message}};
  zr__ctx_log(ctx, cfg, ZR_LOG_WARN, "shm.fallback", lf, 3);
  zr__config_release(cfg);
  zr__metrics_fallback(ZR_FALLBACK_SHM, out->result.format);
  out->data = bytes; /* allocated by the memory sink with the context's allocator */
  out->in_memory = 1;
  return ZR_OK;
}
