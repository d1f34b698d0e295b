/* zerial serve: expose the process's metrics and health over HTTP (libmicrohttpd) through the
 * library's embeddable handler, zr_metrics_http_handle(). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef ZR_HAVE_MHD
#include <microhttpd.h>
#endif

#include "cli.h"
#include "zerial/metrics.h"

static int run(int argc, char **argv);

static const zr_cli_cmd cmd = {
    "serve",
    "serve Prometheus metrics (/metrics) and health (/healthz, /readyz) over HTTP",
    "zerial serve --metrics HOST:PORT [--port-file FILE] [--selftest N] [--registry PATH]",
    "  --metrics HOST:PORT  address to listen on (IPv4; port 0 picks a free port)\n"
    "  --port-file FILE     write the port actually bound to FILE (useful with port 0)\n"
    "  --selftest N         serialize and read back a sample document N times first, so the\n"
    "                       operation series exist (a smoke test for dashboards)\n"
    "  --registry PATH      schema registry the health check opens (default: $ZERIAL_REGISTRY)\n"
    "  Endpoints: GET /metrics (text exposition 0.0.4), GET /healthz (200 + JSON report, 503 when\n"
    "  a check fails), GET /readyz (200 \"ready\", 503 when a check fails). Stops on SIGINT/SIGTERM.\n",
    "  zerial serve --metrics 127.0.0.1:9464\n"
    "  curl -s http://127.0.0.1:9464/metrics | promtool check metrics\n",
    run,
};
ZR_CLI_REGISTER(cmd)

#ifdef ZR_HAVE_MHD
typedef struct server {
  zr_ctx *ctx;
  zr_health_opts hopts;
} server;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_len, void **con_cls) {
  (void)version;
  (void)upload;
  (void)con_cls;
  server *sv = cls;
  if (*upload_len) { /* no body is expected: drop it */
    *upload_len = 0;
    return MHD_YES;
  }
  zr_http_response r;
  zr_error e;
  zr_error_clear(&e);
  if (zr_metrics_http_handle(sv->ctx, &sv->hopts, method, url, &r, &e) != ZR_OK) return MHD_NO;
  /* MHD frees the body with free(): hand it a malloc'd copy */
  char *body = malloc(r.len + 1);
  if (!body) {
    zr_http_response_free(&r);
    return MHD_NO;
  }
  memcpy(body, r.body, r.len + 1);
  struct MHD_Response *resp = MHD_create_response_from_buffer(r.len, body, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(body);
    zr_http_response_free(&r);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", r.content_type);
  if (r.status == 405) MHD_add_response_header(resp, "Allow", "GET, HEAD");
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)r.status, resp);
  MHD_destroy_response(resp);
  zr_http_response_free(&r);
  return ret;
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static int selftest(zr_ctx *ctx, long n) {
  zr_doc *d = zr_doc_new(NULL);
  if (!d) return ZR_CLI_BAD_INPUT;
  zr_value m = zr_map_new(d, 4);
  zr_map_put_cstr(d, &m, "id", zr_int(1));
  zr_map_put_cstr(d, &m, "name", zr_cstr_ref("selftest"));
  zr_map_put_cstr(d, &m, "score", zr_float(0.25));
  int rc = ZR_CLI_OK;
  for (long i = 0; i < n && rc == ZR_CLI_OK; i++) {
    zr_sink *s = NULL;
    zr_doc *back = NULL;
    zr_error e;
    zr_error_clear(&e);
    const uint8_t *bytes;
    size_t len;
    zr_status st = zr_sink_memory_new(NULL, &s, &e);
    if (st == ZR_OK) st = zr_serialize(ctx, &m, NULL, s, NULL, &e);
    if (st == ZR_OK) st = zr_sink_memory_data(s, &bytes, &len);
    if (st == ZR_OK) st = zr_deserialize(ctx, bytes, len, NULL, &back, NULL, &e);
    if (st != ZR_OK) rc = zr_cli_fail("serve", "selftest", &e);
    zr_doc_free(back);
    zr_sink_free(s);
  }
  zr_doc_free(d);
  return rc;
}

static int serve(const char *addr, const char *port_file, long self_n, const char *registry) {
  struct sockaddr_in sa;
  int bad = zr_cli_parse_ipv4_addr(addr, &sa);
  if (bad) return zr_cli_usage(&cmd, bad == 1 ? "--metrics needs HOST:PORT, not '%s'" : "--metrics needs an IPv4 HOST, not '%s'", addr);

  server sv;
  memset(&sv, 0, sizeof sv);
  sv.hopts.registry = registry;
  zr_error e;
  zr_error_clear(&e);
  if (zr_ctx_new(NULL, &sv.ctx, &e) != ZR_OK) return zr_cli_fail("serve", "configuration", &e);
  zr_health_report hr;
  if (zr_ctx_health(sv.ctx, &sv.hopts, &hr, NULL) == ZR_OK && hr.status != ZR_HEALTH_OK)
    for (unsigned i = 0; i < hr.n_checks; i++)
      if (hr.checks[i].status == ZR_HEALTH_DEGRADED || hr.checks[i].status == ZR_HEALTH_FAIL)
        fprintf(stderr, "zerial serve: health: %s %s: %s\n", hr.checks[i].name,
                zr_health_status_name(hr.checks[i].status), hr.checks[i].message);
  int rc = self_n > 0 ? selftest(sv.ctx, self_n) : ZR_CLI_OK;
  if (rc != ZR_CLI_OK) {
    zr_ctx_free(sv.ctx);
    return rc;
  }
  struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, ntohs(sa.sin_port), NULL,
                                          NULL, on_request, &sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "zerial serve: cannot listen on %s\n", addr);
    zr_ctx_free(sv.ctx);
    return ZR_CLI_BAD_INPUT;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  unsigned bound = info ? info->port : ntohs(sa.sin_port);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  if (port_file) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%u\n", bound) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0) {
      fprintf(stderr, "zerial serve: cannot write %s\n", port_file);
      MHD_stop_daemon(d);
      zr_ctx_free(sv.ctx);
      return ZR_CLI_BAD_INPUT;
    }
  }
  char host[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
  fprintf(stderr, "zerial serve: listening on http://%s:%u (/metrics, /healthz, /readyz)\n", host, bound);
  while (!stop_flag) pause();
  MHD_stop_daemon(d);
  zr_ctx_free(sv.ctx);
  return ZR_CLI_OK;
}
#endif

static int run(int argc, char **argv) {
  const char *addr = NULL, *port_file = NULL, *registry = NULL;
  long self_n = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) return zr_cli_usage(&cmd, "'%s' needs a value or is unknown", a);
    if (strcmp(a, "--metrics") == 0)
      addr = argv[++i];
    else if (strcmp(a, "--port-file") == 0)
      port_file = argv[++i];
    else if (strcmp(a, "--registry") == 0)
      registry = argv[++i];
    else if (strcmp(a, "--selftest") == 0) {
      char *end;
      self_n = strtol(argv[++i], &end, 10);
      if (*end || self_n < 0 || self_n > 10000000)
        return zr_cli_usage(&cmd, "--selftest needs a count, not '%s'", argv[i]);
    } else {
      return zr_cli_usage(&cmd, "unknown option '%s'", a);
    }
  }
  if (!addr) return zr_cli_usage(&cmd, "--metrics HOST:PORT is required");
#ifdef ZR_HAVE_MHD
  return serve(addr, port_file, self_n, registry);
#else
  (void)port_file;
  (void)registry;
  fprintf(stderr, "zerial serve: this build has no HTTP server (libmicrohttpd was not found)\n");
  return ZR_CLI_BAD_INPUT;
#endif
}
