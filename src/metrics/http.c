/* The embeddable HTTP handler: /metrics, /healthz, /readyz for whatever server the host runs. */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "metrics/metrics_internal.h"

static int path_is(const char *path, const char *want) {
  size_t n = strlen(want);
  return strncmp(path, want, n) == 0 && (path[n] == '\0' || path[n] == '?');
}

static zr_status respond(zr_http_response *out, int status, const char *type, zr__buf *b, zr_error *err) {
  if (zr__buf_push(b, '\0') != ZR_OK) {
    zr__buf_free(b);
    return zr__err_nomem(err);
  }
  out->status = status;
  out->content_type = type;
  out->body = (char *)b->data;
  out->len = b->len - 1;
  return ZR_OK;
}

zr_status zr_metrics_http_handle(zr_ctx *ctx, const zr_health_opts *hopts, const char *method, const char *path,
                                 zr_http_response *out, zr_error *err) {
  if (!method || !path || !out) return zr__err(err, ZR_ERR_INVALID_ARG, -1, "method, path and out are required");
  memset(out, 0, sizeof *out);
  zr__buf b;
  zr__buf_init(&b, NULL);
  int known = path_is(path, "/metrics") || path_is(path, "/healthz") || path_is(path, "/readyz");
  if (!known) {
    if (zr__buf_printf(&b, "not found: try /metrics, /healthz or /readyz\n") != ZR_OK) goto nomem;
    return respond(out, 404, "text/plain; charset=utf-8", &b, err);
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    if (zr__buf_printf(&b, "method not allowed\n") != ZR_OK) goto nomem;
    return respond(out, 405, "text/plain; charset=utf-8", &b, err);
  }
  if (path_is(path, "/metrics")) {
    if (zr__metrics_text(&b) != ZR_OK) goto nomem;
    return respond(out, 200, ZR_METRICS_CONTENT_TYPE, &b, err);
  }
  zr_health_report *r = malloc(sizeof *r);
  if (!r) goto nomem;
  zr_status st = zr_ctx_health(ctx, hopts, r, err);
  if (st != ZR_OK) {
    free(r);
    zr__buf_free(&b);
    return st;
  }
  int failing = r->status == ZR_HEALTH_FAIL;
  if (path_is(path, "/readyz") && !failing)
    st = zr__buf_printf(&b, "ready\n");
  else
    st = zr__health_json(r, &b);
  free(r);
  if (st != ZR_OK) goto nomem;
  return respond(out, failing ? 503 : 200,
                 path_is(path, "/readyz") && !failing ? "text/plain; charset=utf-8" : "application/json", &b, err);
nomem:
  zr__buf_free(&b);
  return zr__err_nomem(err);
}

void zr_http_response_free(zr_http_response *r) {
  if (!r || !r->body) return;
  zr__buf b;
  zr__buf_init(&b, NULL);
  b.data = (uint8_t *)r->body;
  b.cap = r->len + 1;
  zr__buf_free(&b);
  r->body = NULL;
  r->len = 0;
}
