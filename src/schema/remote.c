/* A registry reached over HTTP (the Confluent REST subset served by `zerial schema serve` or any
 * compatible server), through libcurl. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "schema/schema_internal.h"

struct zs_remote {
  char *base;
  CURL *curl;
};

typedef struct body {
  zr__buf b;
  int oom; /* the response did not fit in memory */
} body;

static size_t on_data(char *p, size_t sz, size_t n, void *ud) {
  body *b = ud;
  if (zr__buf_append(&b->b, p, sz * n) != ZR_OK) {
    b->oom = 1;
    return 0;
  }
  return sz * n;
}

/* One request; *json receives the parsed response body (may be NULL for empty bodies). */
static zr_status request(zs_remote *rm, const char *method, const char *path, json_t *payload, long *status,
                         json_t **json, zr_error *err) {
  char url[2048];
  snprintf(url, sizeof url, "%s%s", rm->base, path);
  char *data = payload ? zs_json_dumps(payload, JSON_COMPACT) : NULL;
  if (payload && !data) return zr__err_nomem(err);
  body b = {.oom = 0};
  zr__buf_init(&b.b, zs_alloc());
  struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: " ZR_REGISTRY_CONTENT_TYPE);
  hdr = curl_slist_append(hdr, "Accept: " ZR_REGISTRY_CONTENT_TYPE ", application/json");
  curl_easy_reset(rm->curl);
  curl_easy_setopt(rm->curl, CURLOPT_URL, url);
  curl_easy_setopt(rm->curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(rm->curl, CURLOPT_HTTPHEADER, hdr);
  curl_easy_setopt(rm->curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(rm->curl, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(rm->curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(rm->curl, CURLOPT_NOSIGNAL, 1L);
  if (data) curl_easy_setopt(rm->curl, CURLOPT_POSTFIELDS, data);
  CURLcode rc = curl_easy_perform(rm->curl);
  curl_slist_free_all(hdr);
  zs_free(data);
  if (rc != CURLE_OK) {
    zr__buf_free(&b.b);
    if (b.oom) return zr__err_nomem(err);
    return zr__err(err, ZR_ERR_NETWORK, -1, "registry %s: %s", url, curl_easy_strerror(rc));
  }
  curl_easy_getinfo(rm->curl, CURLINFO_RESPONSE_CODE, status);
  *json = NULL;
  if (b.b.len) {
    json_error_t je;
    *json = json_loadb((const char *)b.b.data, b.b.len, JSON_DECODE_ANY, &je);
  }
  zr__buf_free(&b.b);
  if (!*json) return zr__err(err, ZR_ERR_NETWORK, -1, "registry %s answered %ld without JSON", url, *status);
  return ZR_OK;
}

/* A registry error response as a status. */
static zr_status remote_error(long status, json_t *j, zr_error *err) {
  json_t *code = json_object_get(j, "error_code"), *msg = json_object_get(j, "message");
  long c = json_is_integer(code) ? (long)json_integer_value(code) : status;
  const char *m = json_is_string(msg) ? json_string_value(msg) : "registry error";
  zr_status st = ZR_ERR_DATABASE;
  if (status == 404) st = ZR_ERR_NOT_FOUND;
  else if (status == 409) st = ZR_ERR_INCOMPATIBLE;
  else if (c == 42201) st = ZR_ERR_MALFORMED;
  else if (status == 422) st = ZR_ERR_INVALID_ARG;
  return zr__err(err, st, -1, "registry error %ld: %s", c, m);
}

/* A request path with the subject URL-escaped into it: @p fmt holds one %s for the subject and
 * optionally one %d for @p version. */
static void subject_path(zs_remote *rm, char *out, size_t cap, const char *fmt, const char *subject, int version) {
  char *es = curl_easy_escape(rm->curl, subject, 0);
  snprintf(out, cap, fmt, es ? es : subject, version);
  curl_free(es);
}

zr_status zs_remote_open(const char *url, zs_remote **out, zr_error *err) {
  static int curl_ready;
  if (!__atomic_exchange_n(&curl_ready, 1, __ATOMIC_ACQ_REL)) curl_global_init(CURL_GLOBAL_DEFAULT);
  zs_remote *rm = zs_calloc(1, sizeof *rm);
  if (!rm) return zr__err_nomem(err);
  size_t n = strlen(url);
  while (n && url[n - 1] == '/') n--;
  rm->base = zs_malloc(n + 1);
  rm->curl = curl_easy_init();
  if (!rm->base || !rm->curl) {
    zs_remote_close(rm);
    return zr__err_nomem(err);
  }
  memcpy(rm->base, url, n);
  rm->base[n] = '\0';
  long status;
  json_t *j;
  zr_status st = request(rm, "GET", "/config", NULL, &status, &j, err);
  if (st == ZR_OK) {
    if (status != 200) st = remote_error(status, j, err);
    json_decref(j);
  }
  if (st != ZR_OK) {
    zs_remote_close(rm);
    return st;
  }
  *out = rm;
  return ZR_OK;
}

void zs_remote_close(zs_remote *rm) {
  if (!rm) return;
  if (rm->curl) curl_easy_cleanup(rm->curl);
  zs_free(rm->base);
  zs_free(rm);
}

static json_t *schema_payload(const zr_schema *s, zr_error *err) {
  char *js = NULL;
  if (zr_schema_to_json(s, 0, &js, err) != ZR_OK) return NULL;
  json_t *p = json_pack("{s:s,s:s}", "schema", js, "schemaType", "ZERIAL");
  zs_free(js);
  return p;
}

static zr_status violations_into(json_t *arr, zr_compat_report **report, zr_error *err) {
  zr_compat_report *r = zs_report_new();
  zr_status st;
  if (!r) return zr__err_nomem(err);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    const char *dir = json_string_value(json_object_get(v, "direction"));
    st = zs_report_add(r, json_string_value(json_object_get(v, "subject")),
                       (int)json_integer_value(json_object_get(v, "version")),
                       dir && strcmp(dir, "FORWARD") == 0 ? ZR_DIR_FORWARD : ZR_DIR_BACKWARD,
                       json_string_value(json_object_get(v, "path")) ? json_string_value(json_object_get(v, "path")) : "",
                       (int32_t)json_integer_value(json_object_get(v, "field_id")),
                       json_string_value(json_object_get(v, "rule")) ? json_string_value(json_object_get(v, "rule")) : "?",
                       json_string_value(json_object_get(v, "writer_type")),
                       json_string_value(json_object_get(v, "reader_type")), json_string_value(json_object_get(v, "fix")));
    if (st != ZR_OK) {
      zr_compat_report_free(r);
      return zr__err_nomem(err);
    }
  }
  *report = r;
  return ZR_OK;
}

zr_status zs_remote_check(zs_remote *rm, const char *subject, const zr_schema *s, zr_compat_report **report,
                          zr_error *err) {
  char path[1024];
  subject_path(rm, path, sizeof path, "/compatibility/subjects/%s/versions/latest?verbose=true", subject, 0);
  json_t *p = schema_payload(s, err), *j;
  if (!p) return zr__err_nomem(err);
  long status;
  zr_status st = request(rm, "POST", path, p, &status, &j, err);
  json_decref(p);
  if (st != ZR_OK) return st;
  if (status == 404) { /* no versions yet: compatible */
    json_decref(j);
    json_t *none = json_array();
    st = violations_into(none, report, err);
    json_decref(none);
    return st;
  }
  if (status != 200) st = remote_error(status, j, err);
  else st = violations_into(json_object_get(j, "violations"), report, err);
  json_decref(j);
  return st;
}

zr_status zs_remote_register(zs_remote *rm, const char *subject, const zr_schema *s, zr_register_result *res,
                             zr_compat_report **report, zr_error *err) {
  if (report) *report = NULL;
  char path[1024];
  zr_register_result out = {0, 0, 0};
  long status;
  json_t *j, *p = schema_payload(s, err);
  if (!p) return zr__err_nomem(err);
  /* already there? */
  subject_path(rm, path, sizeof path, "/subjects/%s", subject, 0);
  zr_status st = request(rm, "POST", path, p, &status, &j, err);
  if (st == ZR_OK && status == 200) {
    out.existing = 1;
    out.id = json_integer_value(json_object_get(j, "id"));
    out.version = (int)json_integer_value(json_object_get(j, "version"));
  }
  if (st == ZR_OK) json_decref(j);
  if (st == ZR_OK && !out.existing) {
    subject_path(rm, path, sizeof path, "/subjects/%s/versions", subject, 0);
    st = request(rm, "POST", path, p, &status, &j, err);
    if (st == ZR_OK) {
      if (status == 409) {
        json_decref(j);
        zr_compat_report *r = NULL;
        if (zs_remote_check(rm, subject, s, &r, NULL) == ZR_OK && report && zr_compat_report_count(r)) *report = r;
        else zr_compat_report_free(r);
        st = zr__err(err, ZR_ERR_INCOMPATIBLE, -1, "schema is incompatible with subject %s", subject);
      } else if (status != 200) {
        st = remote_error(status, j, err);
        json_decref(j);
      } else {
        out.id = json_integer_value(json_object_get(j, "id"));
        json_decref(j);
        subject_path(rm, path, sizeof path, "/subjects/%s", subject, 0);
        st = request(rm, "POST", path, p, &status, &j, err);
        if (st == ZR_OK) {
          if (status == 200) out.version = (int)json_integer_value(json_object_get(j, "version"));
          json_decref(j);
        }
      }
    }
  }
  json_decref(p);
  if (st == ZR_OK && res) *res = out;
  return st;
}

static zr_status schema_from(json_t *j, zr_schema **out, zr_error *err) {
  json_t *s = json_object_get(j, "schema");
  if (!json_is_string(s)) return zr__err(err, ZR_ERR_MALFORMED, -1, "registry answer has no schema");
  return zr_schema_parse(json_string_value(s), json_string_length(s), out, err);
}

zr_status zs_remote_get(zs_remote *rm, const char *subject, int version, zr_schema **out, int64_t *id, int *got_version,
                        zr_error *err) {
  char path[1024];
  subject_path(rm, path, sizeof path, version < 0 ? "/subjects/%s/versions/latest" : "/subjects/%s/versions/%d", subject,
               version);
  long status;
  json_t *j;
  ZR_TRY(request(rm, "GET", path, NULL, &status, &j, err));
  zr_status st = status == 200 ? schema_from(j, out, err) : remote_error(status, j, err);
  if (st == ZR_OK) {
    if (id) *id = json_integer_value(json_object_get(j, "id"));
    if (got_version) *got_version = (int)json_integer_value(json_object_get(j, "version"));
  }
  json_decref(j);
  return st;
}

zr_status zs_remote_get_by_id(zs_remote *rm, int64_t id, zr_schema **out, zr_error *err) {
  char path[64];
  snprintf(path, sizeof path, "/schemas/ids/%lld", (long long)id);
  long status;
  json_t *j;
  ZR_TRY(request(rm, "GET", path, NULL, &status, &j, err));
  zr_status st = status == 200 ? schema_from(j, out, err) : remote_error(status, j, err);
  json_decref(j);
  return st;
}

zr_status zs_remote_list(zs_remote *rm, const char *subject, char **json, zr_error *err) {
  char path[1024] = "/subjects";
  if (subject) subject_path(rm, path, sizeof path, "/subjects/%s/versions", subject, 0);
  long status;
  json_t *j;
  ZR_TRY(request(rm, "GET", path, NULL, &status, &j, err));
  zr_status st = ZR_OK;
  if (status == 200) *json = zs_json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
  else if (status == 404 && subject) *json = zs_strdup("[]");
  else st = remote_error(status, j, err);
  json_decref(j);
  if (st == ZR_OK && !*json) st = zr__err_nomem(err);
  return st;
}

zr_status zs_remote_delete(zs_remote *rm, const char *subject, int version, int permanent, zr_error *err) {
  char path[1024];
  if (version < 0) subject_path(rm, path, sizeof path, permanent ? "/subjects/%s?permanent=true" : "/subjects/%s", subject, 0);
  else subject_path(rm, path, sizeof path, permanent ? "/subjects/%s/versions/%d?permanent=true" : "/subjects/%s/versions/%d",
                    subject, version);
  long status;
  json_t *j;
  ZR_TRY(request(rm, "DELETE", path, NULL, &status, &j, err));
  zr_status st = status == 200 ? ZR_OK : remote_error(status, j, err);
  json_decref(j);
  return st;
}

zr_status zs_remote_get_mode(zs_remote *rm, const char *subject, zr_compat_mode *mode, zr_error *err) {
  char path[1024] = "/config";
  if (subject) subject_path(rm, path, sizeof path, "/config/%s", subject, 0);
  long status;
  json_t *j;
  ZR_TRY(request(rm, "GET", path, NULL, &status, &j, err));
  zr_status st = status == 200 ? ZR_OK : remote_error(status, j, err);
  if (st == ZR_OK && zr_compat_mode_parse(json_string_value(json_object_get(j, "compatibilityLevel")), mode) != ZR_OK)
    st = zr__err(err, ZR_ERR_MALFORMED, -1, "registry answered an unknown compatibility level");
  json_decref(j);
  return st;
}

zr_status zs_remote_set_mode(zs_remote *rm, const char *subject, zr_compat_mode mode, zr_error *err) {
  char path[1024] = "/config";
  if (subject) subject_path(rm, path, sizeof path, "/config/%s", subject, 0);
  json_t *p = json_pack("{s:s}", "compatibility", zr_compat_mode_name(mode)), *j;
  long status;
  zr_status st = request(rm, "PUT", path, p, &status, &j, err);
  json_decref(p);
  if (st != ZR_OK) return st;
  if (status != 200) st = remote_error(status, j, err);
  json_decref(j);
  return st;
}
