/* The envelope frame for the serialization manager, through the envelope module
 * (include/zerial/envelope.h): metadata (producer, creation time, user key/values) and lineage. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctx/ctx_internal.h"
#include "zerial/envelope.h"

int zr__eg_available(void) { return 1; }

int zr__eg_detect(const uint8_t *data, size_t len) { return zr_envelope_detect(data, len); }

static int codec_id(const char *name) {
  if (!name || !strcmp(name, "none")) return ZR_CODEC_NONE;
  if (!strcmp(name, "lz4")) return ZR_CODEC_LZ4;
  if (!strcmp(name, "zstd")) return ZR_CODEC_ZSTD;
  if (!strcmp(name, "gzip")) return ZR_CODEC_GZIP;
  return -1;
}

static zr_envelope_str estr(const char *s) {
  zr_envelope_str r = {s, s ? strlen(s) : 0};
  return r;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

zr_status zr__eg_write(const zr__env_in *in, const uint8_t *payload, size_t n, zr_sink *sink, zr_error *err) {
  int cid = codec_id(in->codec);
  if (cid < 0) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "codec '%s' has no envelope id", in->codec);
  const zr_allocator *a = zr__alloc_or_default(in->alloc);
  zr_envelope_meta meta;
  memset(&meta, 0, sizeof meta);
  meta.has_created_at = 1;
  meta.created_at_ns = now_ns();
  meta.producer = estr(in->producer && *in->producer ? in->producer : NULL);
  zr_envelope_kv *kv = NULL;
  zr_envelope_lineage *lin = NULL;
  uint64_t *inputs = NULL;
  zr_envelope parent;
  memset(&parent, 0, sizeof parent);
  zr_status st = ZR_OK;
  if (in->n_meta) {
    kv = zr__malloc(a, in->n_meta * sizeof *kv);
    if (!kv) return zr__err_nomem(err);
    for (size_t i = 0; i < in->n_meta; i++) {
      kv[i].key = estr(in->meta[i].key ? in->meta[i].key : "");
      kv[i].value = estr(in->meta[i].value ? in->meta[i].value : "");
    }
    meta.kv = kv;
    meta.n_kv = in->n_meta;
  }
  if (in->lineage) {
    /* the parent's history (when it is an envelope), then this step */
    size_t n_prev = 0;
    if (in->parent && zr_envelope_detect(in->parent, in->parent_len)) {
      /* a damaged parent has no history to carry; running out of memory is not that */
      zr_status pst = zr_envelope_read_meta(in->parent, in->parent_len, a, &parent, NULL);
      if (pst == ZR_ERR_NOMEM) {
        st = zr__err_nomem(err);
        goto out;
      }
      if (pst == ZR_OK) n_prev = parent.meta.n_lineage;
    }
    size_t n_in = in->n_inputs + (in->parent ? 1 : 0);
    lin = zr__malloc(a, (n_prev + 1) * sizeof *lin);
    inputs = zr__malloc(a, (n_in ? n_in : 1) * sizeof *inputs);
    if (!lin || !inputs) {
      st = zr__err_nomem(err);
      goto out;
    }
    for (size_t i = 0; i < n_prev; i++) lin[i] = parent.meta.lineage[i];
    size_t k = 0;
    if (in->parent) inputs[k++] = zr_xxh3_64(in->parent, in->parent_len, 0);
    for (size_t i = 0; i < in->n_inputs; i++) inputs[k++] = in->inputs[i];
    zr_envelope_lineage *me = &lin[n_prev];
    memset(me, 0, sizeof *me);
    me->operation = estr(in->operation ? in->operation : "serialize");
    me->producer = estr(in->producer ? in->producer : "zerial");
    me->time_ns = meta.created_at_ns;
    me->inputs = inputs;
    me->n_inputs = n_in;
    meta.lineage = lin;
    meta.n_lineage = n_prev + 1;
  }
  zr_envelope_params p;
  memset(&p, 0, sizeof p);
  p.format_id = in->format_id;
  p.codec = (uint8_t)cid;
  p.raw_len = in->raw_size;
  p.meta = &meta;
  p.alloc = a;
  st = zr_envelope_write(sink, &p, payload, n, err);
out:
  zr_envelope_clear(&parent);
  zr__free(a, kv);
  zr__free(a, lin);
  zr__free(a, inputs);
  return st;
}

zr_status zr__eg_unwrap(const uint8_t *data, size_t len, const uint8_t **payload, size_t *plen, uint16_t *format_id,
                        char *codec, size_t codec_cap, uint64_t *raw_len, zr_error *err) {
  zr_envelope env;
  ZR_TRY(zr_envelope_parse(data, len, NULL, &env, err));
  zr_status st = ZR_OK;
  if (env.header.frame_len != len)
    st = zr__err(err, ZR_ERR_MALFORMED, (int64_t)env.header.frame_len, "%llu bytes after the envelope frame",
                 (unsigned long long)(len - env.header.frame_len));
  *payload = env.payload;
  *plen = env.payload_len;
  *format_id = env.header.format_id;
  *raw_len = env.header.raw_len;
  snprintf(codec, codec_cap, "%s", zr_codec_id_name(env.header.codec));
  if (st == ZR_OK && codec_id(codec) < 0)
    st = zr__err(err, ZR_ERR_UNSUPPORTED, 14, "unknown codec id %u", (unsigned)env.header.codec);
  zr_envelope_clear(&env);
  return st;
}

static json_t *jstr(zr_envelope_str s) { return s.ptr ? json_stringn(s.ptr, s.len) : json_null(); }

json_t *zr__eg_meta_json(const zr_envelope *env);
json_t *zr__eg_meta_json(const zr_envelope *env) {
  json_t *o = json_object();
  const zr_envelope_header *h = &env->header;
  json_object_set_new(o, "version", json_integer(h->version));
  json_object_set_new(o, "format_id", json_integer(h->format_id));
  json_object_set_new(o, "codec", json_string(zr_codec_id_name(h->codec)));
  json_object_set_new(o, "payload_bytes", json_integer((json_int_t)h->payload_len));
  json_object_set_new(o, "raw_bytes", json_integer((json_int_t)h->raw_len));
  json_object_set_new(o, "frame_bytes", json_integer((json_int_t)h->frame_len));
  char cs[24];
  snprintf(cs, sizeof cs, "%016llx", (unsigned long long)h->checksum);
  json_object_set_new(o, "checksum", json_string(cs));
  const zr_envelope_meta *m = &env->meta;
  if (m->has_created_at) json_object_set_new(o, "created_at_ns", json_integer(m->created_at_ns));
  if (m->producer.ptr) json_object_set_new(o, "producer", jstr(m->producer));
  if (m->has_schema_fingerprint) {
    snprintf(cs, sizeof cs, "%016llx", (unsigned long long)m->schema_fingerprint);
    json_object_set_new(o, "schema_fingerprint", json_string(cs));
  }
  if (m->n_kv) {
    json_t *kv = json_object();
    for (size_t i = 0; i < m->n_kv; i++) {
      char key[256];
      snprintf(key, sizeof key, "%.*s", (int)m->kv[i].key.len, m->kv[i].key.ptr ? m->kv[i].key.ptr : "");
      json_object_set_new(kv, key, jstr(m->kv[i].value));
    }
    json_object_set_new(o, "metadata", kv);
  }
  if (m->n_lineage) {
    json_t *arr = json_array();
    for (size_t i = 0; i < m->n_lineage; i++) {
      const zr_envelope_lineage *l = &m->lineage[i];
      json_t *x = json_object();
      json_object_set_new(x, "operation", jstr(l->operation));
      json_object_set_new(x, "producer", jstr(l->producer));
      json_object_set_new(x, "time_ns", json_integer(l->time_ns));
      json_t *ins = json_array();
      for (size_t k = 0; k < l->n_inputs; k++) {
        snprintf(cs, sizeof cs, "%016llx", (unsigned long long)l->inputs[k]);
        json_array_append_new(ins, json_string(cs));
      }
      json_object_set_new(x, "inputs", ins);
      json_array_append_new(arr, x);
    }
    json_object_set_new(o, "lineage", arr);
  }
  return o;
}

zr_status zr__eg_inspect(const uint8_t *data, size_t len, zr__buf *json, zr_error *err) {
  zr_envelope env;
  ZR_TRY(zr_envelope_read_meta(data, len, NULL, &env, err));
  json_t *o = zr__eg_meta_json(&env);
  zr_envelope_clear(&env);
  char *txt = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!txt) return zr__err_nomem(err);
  zr_status st = zr__buf_append(json, txt, strlen(txt));
  free(txt);
  return st == ZR_OK ? ZR_OK : zr__err_nomem(err);
}
