/* The Confluent Schema Registry REST subset over a zr_registry, independent of the transport;
 * and the Confluent wire prefix. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "schema/schema_internal.h"

zr_status zr__registry_lookup(zr_registry *r, const char *subject, const zr_schema *s, int *version, int64_t *id,
                              zr_error *err);

typedef struct resp {
  int status;
  json_t *body;
} resp;

static resp error(int http, int code, const char *msg) {
  resp r = {http, json_pack("{s:i,s:s}", "error_code", code, "message", msg)};
  return r;
}

static resp ok(json_t *body) {
  resp r = {200, body};
  return r;
}

/* Map a library status to the registry's error codes. */
static resp from_status(zr_status st, const zr_error *e, int not_found_code) {
  switch (st) {
    case ZR_ERR_NOT_FOUND: return error(404, not_found_code, e->message);
    case ZR_ERR_MALFORMED: return error(422, 42201, e->message);
    case ZR_ERR_INCOMPATIBLE: return error(409, 409, e->message);
    case ZR_ERR_INVALID_ARG: return error(422, 42202, e->message);
    default: return error(500, 50001, e->message[0] ? e->message : zr_strerror(st));
  }
}

/* The schema in a request body: {"schema": "<schema JSON as a string>"} (or an object). */
static zr_status body_schema(const char *body, size_t len, zr_schema **out, zr_error *err) {
  json_error_t je;
  int oom = 0;
  json_t *j = body && len ? zs_json_loadb(body, len, 0, &je, &oom) : NULL;
  if (oom) return zr__err_nomem(err);
  if (!j) return zr__err(err, ZR_ERR_MALFORMED, -1, "request body is not JSON");
  json_t *s = json_object_get(j, "schema");
  zr_status st;
  if (json_is_string(s)) {
    st = zr_schema_parse(json_string_value(s), json_string_length(s), out, err);
  } else if (json_is_object(s)) {
    char *t = zs_json_dumps(s, JSON_COMPACT);
    st = t ? zr_schema_parse(t, strlen(t), out, err) : zr__err_nomem(err);
    zs_free(t);
  } else {
    st = zr__err(err, ZR_ERR_MALFORMED, -1, "request body needs a \"schema\"");
  }
  json_decref(j);
  return st;
}

static json_t *raw_json(const char *text) {
  json_error_t je;
  return json_loads(text, JSON_DECODE_ANY, &je);
}

static int parse_version(const char *s, int *v) {
  if (strcmp(s, "latest") == 0 || strcmp(s, "-1") == 0) {
    *v = -1;
    return 1;
  }
  char *end;
  long x = strtol(s, &end, 10);
  if (*s == '\0' || *end || x < 1 || x > INT32_MAX) return 0;
  *v = (int)x;
  return 1;
}

static resp version_doc(zr_registry *r, const char *subject, int version) {
  zr_schema *s = NULL;
  int64_t id = 0;
  int got = 0;
  zr_error e;
  zr_error_clear(&e);
  zr_status st = zr_registry_get(r, subject, version, &s, &id, &got, &e);
  if (st != ZR_OK) {
    if (st == ZR_ERR_NOT_FOUND) {
      char *vs = NULL;
      zr_error ve;
      zr_error_clear(&ve);
      zr_status vst = zr_registry_versions(r, subject, 0, &vs, &ve);
      if (vst != ZR_OK && vst != ZR_ERR_NOT_FOUND) return from_status(vst, &ve, 40401);
      int subject_exists = vst == ZR_OK && vs && strcmp(vs, "[]") != 0;
      zs_free(vs);
      return from_status(st, &e, subject_exists ? 40402 : 40401);
    }
    return from_status(st, &e, 40401);
  }
  char *js = NULL;
  st = zr_schema_to_json(s, 0, &js, &e);
  zr_schema_free(s);
  if (st != ZR_OK) return from_status(st, &e, 40401);
  resp out = ok(json_pack("{s:s,s:i,s:I,s:s,s:s}", "subject", subject, "version", got, "id", (json_int_t)id, "schema",
                          js, "schemaType", "ZERIAL"));
  zs_free(js);
  return out;
}

static char *query_flag(char *path, const char *name) {
  char *q = strchr(path, '?');
  if (!q) return NULL;
  *q++ = '\0';
  char *hit = strstr(q, name);
  return hit;
}

static resp route(zr_registry *r, const char *method, char *path, const char *body, size_t body_len) {
  char *perm = query_flag(path, "permanent=true");
  int permanent = perm != NULL;
  char *seg[8] = {0};
  int n = 0;
  for (char *save = NULL, *t = strtok_r(path, "/", &save); t && n < 8; t = strtok_r(NULL, "/", &save)) seg[n++] = t;
  zr_error e;
  zr_error_clear(&e);
  int is_get = strcmp(method, "GET") == 0, is_post = strcmp(method, "POST") == 0, is_put = strcmp(method, "PUT") == 0,
      is_del = strcmp(method, "DELETE") == 0;

  if (n == 1 && strcmp(seg[0], "subjects") == 0 && is_get) {
    char *js;
    zr_status st = zr_registry_subjects(r, 0, &js, &e);
    if (st != ZR_OK) return from_status(st, &e, 40401);
    resp out = ok(raw_json(js));
    zs_free(js);
    return out;
  }
  if (n >= 2 && strcmp(seg[0], "subjects") == 0) {
    const char *subject = seg[1];
    if (n == 2 && is_post) { /* lookup */
      zr_schema *s;
      zr_status st = body_schema(body, body_len, &s, &e);
      if (st != ZR_OK) return from_status(st, &e, 40403);
      int v;
      int64_t id;
      st = zr__registry_lookup(r, subject, s, &v, &id, &e);
      zr_schema_free(s);
      if (st != ZR_OK) return from_status(st, &e, 40403);
      return version_doc(r, subject, v);
    }
    if (n == 2 && is_del) {
      char *before = NULL;
      zr_status st = zr_registry_versions(r, subject, permanent, &before, &e);
      if (st == ZR_OK) st = zr_registry_delete(r, subject, -1, permanent, &e);
      if (st != ZR_OK) {
        zs_free(before);
        return from_status(st, &e, 40401);
      }
      resp out = ok(raw_json(before));
      zs_free(before);
      return out;
    }
    if (n >= 3 && strcmp(seg[2], "versions") == 0) {
      if (n == 3 && is_get) {
        char *js;
        zr_status st = zr_registry_versions(r, subject, 0, &js, &e);
        if (st != ZR_OK) return from_status(st, &e, 40401);
        if (strcmp(js, "[]") == 0) {
          zs_free(js);
          return error(404, 40401, "Subject not found.");
        }
        resp out = ok(raw_json(js));
        zs_free(js);
        return out;
      }
      if (n == 3 && is_post) {
        zr_schema *s;
        zr_status st = body_schema(body, body_len, &s, &e);
        if (st != ZR_OK) return from_status(st, &e, 40403);
        zr_register_result res;
        zr_compat_report *rep = NULL;
        st = zr_registry_register(r, subject, s, &res, &rep, &e);
        zr_schema_free(s);
        if (st == ZR_ERR_INCOMPATIBLE) {
          char *txt = zr_compat_report_text(rep);
          resp out = txt ? error(409, 409, txt) : (resp){500, NULL}; /* NULL body: out of memory */
          zs_free(txt);
          zr_compat_report_free(rep);
          return out;
        }
        zr_compat_report_free(rep);
        if (st != ZR_OK) return from_status(st, &e, 40401);
        return ok(json_pack("{s:I}", "id", (json_int_t)res.id));
      }
      if (n == 4) {
        int v;
        if (!parse_version(seg[3], &v)) return error(422, 42202, "The specified version is not a valid version id.");
        if (is_get) return version_doc(r, subject, v);
        if (is_del) {
          if (v < 0) {
            int got = 0;
            zr_schema *s;
            zr_status gst = zr_registry_get(r, subject, -1, &s, NULL, &got, &e);
            if (gst != ZR_OK) return from_status(gst, &e, 40401);
            zr_schema_free(s);
            v = got;
          }
          zr_status st = zr_registry_delete(r, subject, v, permanent, &e);
          if (st != ZR_OK) return from_status(st, &e, 40402);
          return ok(json_integer(v));
        }
      }
    }
  }
  if (n == 3 && strcmp(seg[0], "schemas") == 0 && strcmp(seg[1], "ids") == 0 && is_get) {
    char *end;
    long long id = strtoll(seg[2], &end, 10);
    if (*end || id < 1) return error(404, 40403, "Schema not found");
    zr_schema *s;
    zr_status st = zr_registry_get_by_id(r, id, &s, &e);
    if (st != ZR_OK) return from_status(st, &e, 40403);
    char *js = NULL;
    st = zr_schema_to_json(s, 0, &js, &e);
    zr_schema_free(s);
    if (st != ZR_OK) return from_status(st, &e, 40403);
    resp out = ok(json_pack("{s:s,s:s}", "schema", js, "schemaType", "ZERIAL"));
    zs_free(js);
    return out;
  }
  if (n == 5 && strcmp(seg[0], "compatibility") == 0 && strcmp(seg[1], "subjects") == 0 && strcmp(seg[3], "versions") == 0 &&
      is_post) {
    const char *subject = seg[2];
    int v;
    if (!parse_version(seg[4], &v)) return error(422, 42202, "The specified version is not a valid version id.");
    zr_schema *s;
    zr_status st = body_schema(body, body_len, &s, &e);
    if (st != ZR_OK) return from_status(st, &e, 40403);
    zr_compat_report *rep = NULL;
    if (v < 0) {
      st = zr_registry_check(r, subject, s, &rep, &e);
    } else {
      zr_schema *old;
      zr_compat_mode mode;
      st = zr_registry_get(r, subject, v, &old, NULL, NULL, &e);
      if (st == ZR_OK) st = zr_registry_get_mode(r, subject, &mode, &e);
      if (st == ZR_OK) {
        /* against one named version: the mode's directions, not its transitivity */
        if (mode == ZR_COMPAT_BACKWARD_TRANSITIVE) mode = ZR_COMPAT_BACKWARD;
        if (mode == ZR_COMPAT_FORWARD_TRANSITIVE) mode = ZR_COMPAT_FORWARD;
        if (mode == ZR_COMPAT_FULL_TRANSITIVE) mode = ZR_COMPAT_FULL;
        const zr_schema *hist[1] = {old};
        st = zr_schema_check(s, hist, 1, mode, subject, &rep, &e);
        for (size_t i = 0; st == ZR_OK && i < zr_compat_report_count(rep); i++)
          ((zr_compat_violation *)zr_compat_report_at(rep, i))->version = v;
        zr_schema_free(old);
      }
    }
    zr_schema_free(s);
    if (st != ZR_OK) {
      zr_compat_report_free(rep);
      return from_status(st, &e, v < 0 ? 40401 : 40402);
    }
    char *rj = zr_compat_report_json(rep);
    json_t *msgs = json_array();
    for (size_t i = 0; i < zr_compat_report_count(rep); i++) {
      const zr_compat_violation *x = zr_compat_report_at(rep, i);
      char line[1024];
      snprintf(line, sizeof line, "%s: %s (id %d), %s, version %d: writer %s, reader %s; fix: %s", x->rule, x->path,
               x->field_id, x->direction == ZR_DIR_BACKWARD ? "BACKWARD" : "FORWARD", x->version, x->writer_type,
               x->reader_type, x->fix);
      /* a message that could not be added is out of memory (no body, a 500), not a shorter list */
      if (msgs && json_array_append_new(msgs, json_string(line)) != 0) {
        json_decref(msgs);
        msgs = NULL;
      }
    }
    resp out = ok(json_pack("{s:b,s:o,s:o}", "is_compatible", zr_compat_report_count(rep) == 0, "messages", msgs,
                            "violations", rj ? raw_json(rj) : NULL)); /* NULL: out of memory */
    zs_free(rj);
    zr_compat_report_free(rep);
    return out;
  }
  if ((n == 1 || n == 2) && strcmp(seg[0], "config") == 0) {
    const char *subject = n == 2 ? seg[1] : NULL;
    zr_compat_mode mode;
    if (is_get) {
      zr_status st = zr_registry_get_mode(r, subject, &mode, &e);
      if (st != ZR_OK) return from_status(st, &e, 40401);
      return ok(json_pack("{s:s}", "compatibilityLevel", zr_compat_mode_name(mode)));
    }
    if (is_put) {
      json_error_t je;
      int oom = 0;
      json_t *j = body && body_len ? zs_json_loadb(body, body_len, 0, &je, &oom) : NULL;
      if (oom) return error(500, 50001, zr_strerror(ZR_ERR_NOMEM));
      json_t *lvl = j ? json_object_get(j, "compatibility") : NULL;
      if (!lvl && j) lvl = json_object_get(j, "compatibilityLevel");
      int good = json_is_string(lvl) && zr_compat_mode_parse(json_string_value(lvl), &mode) == ZR_OK;
      json_decref(j);
      if (!good) return error(422, 42203, "Invalid compatibility level. Valid values are NONE, BACKWARD, FORWARD, FULL and their _TRANSITIVE forms.");
      zr_status st = zr_registry_set_mode(r, subject, mode, &e);
      if (st != ZR_OK) return from_status(st, &e, 40401);
      return ok(json_pack("{s:s}", "compatibility", zr_compat_mode_name(mode)));
    }
  }
  if (n == 0 && is_get) return ok(json_object());
  return error(404, 404, "HTTP 404 Not Found");
}

zr_status zr_registry_http(zr_registry *r, const char *method, const char *path, const char *body, size_t body_len,
                           int *http_status, char **body_out) {
  if (!r || !method || !path || !http_status || !body_out) return ZR_ERR_INVALID_ARG;
  size_t n = strlen(path);
  char *p = zs_malloc(n + 1);
  if (!p) return ZR_ERR_NOMEM;
  memcpy(p, path, n + 1);
  resp out = route(r, method, p, body, body_len);
  zs_free(p);
  if (!out.body) return ZR_ERR_NOMEM;
  *http_status = out.status;
  *body_out = zs_json_dumps(out.body, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(out.body);
  return *body_out ? ZR_OK : ZR_ERR_NOMEM;
}

zr_status zr_confluent_frame(uint32_t schema_id, const void *payload, size_t len, zr_sink *sink, zr_error *err) {
  uint8_t hdr[5] = {0};
  zr__st32be(hdr + 1, schema_id);
  ZR_TRY(zr_sink_write(sink, hdr, sizeof hdr, err));
  return zr_sink_write(sink, payload, len, err);
}

zr_status zr_confluent_unframe(const void *data, size_t len, uint32_t *schema_id, const uint8_t **payload,
                               size_t *payload_len, zr_error *err) {
  if (!data || !schema_id || !payload || !payload_len) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "NULL argument");
  if (len < 5) return zr__err(err, ZR_ERR_TRUNCATED, (int64_t)len, "Confluent frame needs 5 bytes, got %zu", len);
  const uint8_t *p = data;
  if (p[0] != 0) return zr__err(err, ZR_ERR_MALFORMED, 0, "Confluent frame magic byte is %u, expected 0", p[0]);
  *schema_id = zr__ld32be(p + 1);
  *payload = p + 5;
  *payload_len = len - 5;
  return ZR_OK;
}
