/* Schema identity carried with the data: in Arrow schema metadata (zerial.schema.*) and as
 * envelope metadata entries. */
#include <stdio.h>
#include <stdlib.h>

#include "schema/schema_internal.h"

/* The Arrow C Data Interface metadata layout: int32 count, then for each entry int32 key
 * length, key bytes, int32 value length, value bytes (native endian). */
static int32_t md_count(const char *md) {
  int32_t n = 0;
  if (md) memcpy(&n, md, 4);
  return n;
}

static const char *md_next(const char *p, const char **k, int32_t *kl, const char **v, int32_t *vl) {
  memcpy(kl, p, 4);
  *k = p + 4;
  p += 4 + *kl;
  memcpy(vl, p, 4);
  *v = p + 4;
  return p + 4 + *vl;
}

static int is_ours(const char *k, int32_t kl) { return kl > 14 && memcmp(k, "zerial.schema.", 14) == 0; }

typedef struct tag_owner {
  char *metadata;                        /* our buffer */
  void (*release)(struct ArrowSchema *); /* the schema's own */
  void *private_data;
  const char *old_metadata;
} tag_owner;

static void tag_release(struct ArrowSchema *s) {
  tag_owner *o = s->private_data;
  s->private_data = o->private_data;
  s->release = o->release;
  s->metadata = o->old_metadata;
  zs_free(o->metadata);
  zs_free(o);
  if (s->release) s->release(s);
}

zr_status zr_schema_tag_table(zr_table *t, const zr_schema *s, const char *subject, int version, zr_error *err) {
  if (!t || !s || !t->schema.release) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL or released table");
  char fp[32], sha[65], ver[16];
  uint64_t fp64 = 0;
  ZR_TRY(zs_fingerprints(s, &fp64, sha, err));
  snprintf(fp, sizeof fp, "%016llx", (unsigned long long)fp64);
  snprintf(ver, sizeof ver, "%d", version);
  const char *keys[4] = {"zerial.schema.fingerprint", "zerial.schema.sha256", "zerial.schema.subject",
                         "zerial.schema.version"};
  const char *vals[4] = {fp, sha, subject, version > 0 ? ver : NULL};
  zr__buf b;
  zr__buf_init(&b, zs_alloc());
  int32_t n = 0;
  zr_status st = zr__buf_append(&b, &n, 4);
  /* keep the existing entries that are not ours */
  const char *p = t->schema.metadata ? t->schema.metadata + 4 : NULL;
  for (int32_t i = 0; st == ZR_OK && i < md_count(t->schema.metadata); i++) {
    const char *k, *v;
    int32_t kl, vl;
    p = md_next(p, &k, &kl, &v, &vl);
    if (is_ours(k, kl)) continue;
    st = zr__buf_append(&b, &kl, 4);
    if (st == ZR_OK) st = zr__buf_append(&b, k, (size_t)kl);
    if (st == ZR_OK) st = zr__buf_append(&b, &vl, 4);
    if (st == ZR_OK) st = zr__buf_append(&b, v, (size_t)vl);
    n++;
  }
  for (int i = 0; st == ZR_OK && i < 4; i++) {
    if (!vals[i]) continue;
    int32_t kl = (int32_t)strlen(keys[i]), vl = (int32_t)strlen(vals[i]);
    st = zr__buf_append(&b, &kl, 4);
    if (st == ZR_OK) st = zr__buf_append(&b, keys[i], (size_t)kl);
    if (st == ZR_OK) st = zr__buf_append(&b, &vl, 4);
    if (st == ZR_OK) st = zr__buf_append(&b, vals[i], (size_t)vl);
    n++;
  }
  tag_owner *o = st == ZR_OK ? zs_calloc(1, sizeof *o) : NULL;
  if (!o) {
    zr__buf_free(&b);
    return zr__err_nomem(err);
  }
  memcpy(b.data, &n, 4);
  o->metadata = (char *)b.data;
  o->release = t->schema.release;
  o->private_data = t->schema.private_data;
  o->old_metadata = t->schema.metadata;
  t->schema.metadata = o->metadata;
  t->schema.private_data = o;
  t->schema.release = tag_release;
  return ZR_OK;
}

zr_status zr_schema_table_tag(const zr_table *t, uint64_t *fingerprint, char *subject, size_t subject_cap, int *version) {
  if (!t) return ZR_ERR_INVALID_ARG;
  const char *md = t->schema.metadata;
  int found = 0;
  if (subject && subject_cap) subject[0] = '\0';
  if (version) *version = 0;
  const char *p = md ? md + 4 : NULL;
  for (int32_t i = 0; i < md_count(md); i++) {
    const char *k, *v;
    int32_t kl, vl;
    p = md_next(p, &k, &kl, &v, &vl);
    char val[256];
    snprintf(val, sizeof val, "%.*s", (int)vl, v);
    if (kl == 25 && memcmp(k, "zerial.schema.fingerprint", 25) == 0) {
      if (fingerprint) *fingerprint = strtoull(val, NULL, 16);
      found = 1;
    } else if (kl == 21 && memcmp(k, "zerial.schema.subject", 21) == 0 && subject) {
      snprintf(subject, subject_cap, "%s", val);
    } else if (kl == 21 && memcmp(k, "zerial.schema.version", 21) == 0 && version) {
      *version = atoi(val);
    }
  }
  return found ? ZR_OK : ZR_ERR_NOT_FOUND;
}

zr_status zr_schema_envelope_tag(const zr_schema *s, const char *subject, int version, zr_envelope_meta *meta,
                                 zr_envelope_kv kv[2], char version_buf[16], size_t *n_kv) {
  if (!s || !meta || !kv || !version_buf || !n_kv) return ZR_ERR_INVALID_ARG;
  ZR_TRY(zs_fingerprints(s, &meta->schema_fingerprint, NULL, NULL));
  meta->has_schema_fingerprint = 1;
  size_t n = 0;
  if (subject) {
    kv[n].key = (zr_envelope_str){"zerial.schema.subject", 21};
    kv[n].value = (zr_envelope_str){subject, strlen(subject)};
    n++;
  }
  if (version > 0) {
    int len = snprintf(version_buf, 16, "%d", version);
    kv[n].key = (zr_envelope_str){"zerial.schema.version", 21};
    kv[n].value = (zr_envelope_str){version_buf, (size_t)len};
    n++;
  }
  *n_kv = n;
  return ZR_OK;
}

zr_status zr_schema_envelope_read(const zr_envelope_meta *meta, uint64_t *fingerprint, char *subject,
                                  size_t subject_cap, int *version) {
  if (!meta) return ZR_ERR_INVALID_ARG;
  if (subject && subject_cap) subject[0] = '\0';
  if (version) *version = 0;
  for (size_t i = 0; i < meta->n_kv; i++) {
    const zr_envelope_kv *e = &meta->kv[i];
    if (e->key.len == 21 && memcmp(e->key.ptr, "zerial.schema.subject", 21) == 0 && subject)
      snprintf(subject, subject_cap, "%.*s", (int)e->value.len, e->value.ptr);
    else if (e->key.len == 21 && memcmp(e->key.ptr, "zerial.schema.version", 21) == 0 && version) {
      /* values are (ptr, len): atoi on ptr would read on past the value */
      char num[16];
      snprintf(num, sizeof num, "%.*s", e->value.ptr ? (int)(e->value.len < 15 ? e->value.len : 15) : 0,
               e->value.ptr ? e->value.ptr : "");
      *version = atoi(num);
    }
  }
  if (!meta->has_schema_fingerprint) return ZR_ERR_NOT_FOUND;
  if (fingerprint) *fingerprint = meta->schema_fingerprint;
  return ZR_OK;
}
