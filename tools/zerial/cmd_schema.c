/* zerial schema ...: infer, register, check, diff, show, list, doc, mode, serve. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "zerial/schema.h"

#ifdef ZR_HAVE_MHD
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#endif

static int run(int argc, char **argv);

static const zr_cli_cmd cmd = {
    "schema",
    "schema registry: infer, register, check, diff, show, list, doc, mode, serve",
    "zerial schema SUBCOMMAND [--registry PATH|URL] ...",
    "  infer FILE                 infer a schema from data (JSON, binary, any format) and print it\n"
    "  register SUBJECT FILE      register a schema (or data to infer one from); prints id and version\n"
    "  check SUBJECT FILE         exit 0 when compatible with SUBJECT's mode, 1 with the violations\n"
    "  diff A B                   fields added, removed and changed, and the compatibility both ways\n"
    "  show SUBJECT [VERSION]     print a version (latest by default)\n"
    "  list [SUBJECT]             subjects, or the versions of SUBJECT\n"
    "  doc SUBJECT                Markdown: fields, types, docs and the history of versions\n"
    "  mode [SUBJECT] [MODE]      show or set the compatibility mode (global without SUBJECT)\n"
    "  delete SUBJECT [VERSION] [--permanent]\n"
    "  serve ADDR                 serve the registry over HTTP (Confluent REST subset), ADDR = HOST:PORT\n"
    "--registry PATH|URL selects the registry: an SQLite file, or http://HOST:PORT of a `zerial schema\n"
    "serve`; default $ZERIAL_REGISTRY, else ./zerial-registry.db. --json prints machine-readable output.\n",
    "  zerial schema infer events.json > events.schema.json\n"
    "  zerial schema register events events.schema.json\n"
    "  zerial schema check events new.schema.json || echo incompatible\n"
    "  zerial schema mode events FULL_TRANSITIVE\n"
    "  zerial schema serve 127.0.0.1:8081 --registry /var/lib/zerial/registry.db\n"
    "  zerial schema list --registry http://127.0.0.1:8081\n",
    run,
};
ZR_CLI_REGISTER(cmd)

static const char *registry_path;
static int json_out;

static int open_registry(zr_registry **r) {
  const char *p = registry_path ? registry_path : getenv("ZERIAL_REGISTRY");
  if (!p || !*p) p = "zerial-registry.db";
  zr_error e;
  zr_error_clear(&e);
  if (zr_registry_open(p, 10000, r, &e) != ZR_OK) return zr_cli_fail("schema", p, &e);
  return ZR_CLI_OK;
}

/* A schema from FILE: schema JSON, or data of any format to infer one from. */
static int load_schema(const char *path, zr_schema **out) {
  zr_error e;
  zr_error_clear(&e);
  zr_cli_input in;
  if (zr_cli_input_open(path, &in, &e) != ZR_OK) return zr_cli_fail("schema", path, &e);
  int rc = ZR_CLI_OK;
  json_error_t je;
  json_t *j = json_loadb((const char *)in.data, in.len, JSON_DECODE_ANY, &je);
  if (j && json_is_object(j) && json_object_get(j, "fields")) {
    if (zr_schema_parse((const char *)in.data, in.len, out, &e) != ZR_OK) rc = zr_cli_fail("schema", in.name, &e);
  } else {
    zr_cli_payload pl;
    zr_doc *doc = NULL;
    if (zr_cli_unwrap(in.data, in.len, &pl, &e) != ZR_OK) {
      rc = zr_cli_fail("schema", in.name, &e);
    } else {
      if (!pl.fmt || !pl.fmt->decode) {
        fprintf(stderr, "zerial schema: %s: neither a schema nor data of a known format\n", in.name);
        rc = ZR_CLI_BAD_INPUT;
      } else if (pl.fmt->decode(pl.data, pl.len, NULL, &doc, &e) != ZR_OK ||
                 zr_schema_infer(zr_doc_root(doc), out, &e) != ZR_OK) {
        rc = zr_cli_fail("schema", in.name, &e);
      }
      zr_doc_free(doc);
      zr_cli_payload_clear(&pl);
    }
  }
  json_decref(j);
  zr_cli_input_close(&in);
  return rc;
}

static void print_schema(const zr_schema *s) {
  char *js = NULL;
  if (zr_schema_to_json(s, 1, &js, NULL) == ZR_OK) printf("%s\n", js);
  zr_free(js);
}

static int print_report(zr_compat_report *rep) {
  if (json_out) {
    char *js = zr_compat_report_json(rep);
    printf("{\"compatible\":%s,\"violations\":%s}\n", zr_compat_report_count(rep) ? "false" : "true", js ? js : "[]");
    zr_free(js);
  } else if (zr_compat_report_count(rep)) {
    char *t = zr_compat_report_text(rep);
    printf("incompatible: %zu violation%s\n%s", zr_compat_report_count(rep), zr_compat_report_count(rep) == 1 ? "" : "s",
           t ? t : "");
    zr_free(t);
  } else {
    printf("compatible\n");
  }
  return zr_compat_report_count(rep) ? ZR_CLI_BAD_INPUT : ZR_CLI_OK;
}

/* ---- diff and doc share a field walk over the JSON form ---- */
static json_t *schema_json(const zr_schema *s) {
  char *js = NULL;
  if (zr_schema_to_json(s, 0, &js, NULL) != ZR_OK) return NULL;
  json_error_t je;
  json_t *j = json_loads(js, 0, &je);
  zr_free(js);
  return j;
}

static json_t *find_field(json_t *fields, json_t *f) {
  json_t *id = json_object_get(f, "id"), *x;
  size_t i;
  json_array_foreach(fields, i, x) {
    if (id && json_equal(json_object_get(x, "id"), id)) return x;
    if (!id && json_equal(json_object_get(x, "name"), json_object_get(f, "name"))) return x;
  }
  return NULL;
}

static void type_text(json_t *t, char *buf, size_t cap) {
  char *s = json_dumps(t, JSON_COMPACT | JSON_ENCODE_ANY);
  snprintf(buf, cap, "%s", s ? s : "?");
  free(s);
}

/* Lines describing what changed from a to b (added, removed, renamed, retyped, nullability). */
static void field_changes(const zr_schema *a, const zr_schema *b, FILE *out, const char *bullet) {
  json_t *ja = schema_json(a), *jb = schema_json(b);
  json_t *fa = json_object_get(ja, "fields"), *fb = json_object_get(jb, "fields"), *f;
  size_t i;
  char t1[256], t2[256];
  json_array_foreach(fb, i, f) {
    json_t *o = find_field(fa, f);
    const char *name = json_string_value(json_object_get(f, "name"));
    if (!o) {
      type_text(json_object_get(f, "type"), t1, sizeof t1);
      fprintf(out, "%sadded %s %s%s\n", bullet, name, t1, json_is_true(json_object_get(f, "nullable")) ? " (nullable)" : "");
      continue;
    }
    const char *oname = json_string_value(json_object_get(o, "name"));
    if (strcmp(oname, name) != 0) fprintf(out, "%srenamed %s to %s\n", bullet, oname, name);
    type_text(json_object_get(o, "type"), t1, sizeof t1);
    type_text(json_object_get(f, "type"), t2, sizeof t2);
    if (strcmp(t1, t2) != 0) fprintf(out, "%schanged %s: %s to %s\n", bullet, name, t1, t2);
    if (json_is_true(json_object_get(o, "nullable")) != json_is_true(json_object_get(f, "nullable")))
      fprintf(out, "%s%s is now %s\n", bullet, name, json_is_true(json_object_get(f, "nullable")) ? "nullable" : "required");
  }
  json_array_foreach(fa, i, f) {
    if (!find_field(fb, f)) fprintf(out, "%sremoved %s\n", bullet, json_string_value(json_object_get(f, "name")));
  }
  json_decref(ja);
  json_decref(jb);
}

static int do_diff(const char *pa, const char *pb) {
  zr_schema *a = NULL, *b = NULL;
  int rc = load_schema(pa, &a);
  if (rc == ZR_CLI_OK) rc = load_schema(pb, &b);
  if (rc != ZR_CLI_OK) {
    zr_schema_free(a);
    return rc;
  }
  printf("fields:\n");
  field_changes(a, b, stdout, "  ");
  zr_compat_report *back = NULL, *fwd = NULL;
  zr_schema_check_read(b, a, ZR_DIR_BACKWARD, "", 0, &back, NULL);
  zr_schema_check_read(a, b, ZR_DIR_FORWARD, "", 0, &fwd, NULL);
  printf("backward (B reads A's data): %s\n", zr_compat_report_count(back) ? "no" : "yes");
  printf("forward (A reads B's data): %s\n", zr_compat_report_count(fwd) ? "no" : "yes");
  char *t1 = zr_compat_report_text(back), *t2 = zr_compat_report_text(fwd);
  printf("%s%s", t1 ? t1 : "", t2 ? t2 : "");
  zr_free(t1);
  zr_free(t2);
  zr_compat_report_free(back);
  zr_compat_report_free(fwd);
  zr_schema_free(a);
  zr_schema_free(b);
  return ZR_CLI_OK;
}

static int do_doc(zr_registry *r, const char *subject) {
  zr_error e;
  zr_error_clear(&e);
  char *vers = NULL;
  if (zr_registry_versions(r, subject, 0, &vers, &e) != ZR_OK) return zr_cli_fail("schema doc", subject, &e);
  json_error_t je;
  json_t *vl = json_loads(vers, 0, &je);
  zr_free(vers);
  if (!json_array_size(vl)) {
    json_decref(vl);
    fprintf(stderr, "zerial schema doc: subject %s not found\n", subject);
    return ZR_CLI_BAD_INPUT;
  }
  zr_compat_mode mode = ZR_COMPAT_BACKWARD;
  zr_registry_get_mode(r, subject, &mode, NULL);
  zr_schema *latest = NULL;
  int64_t id = 0;
  int v = 0;
  if (zr_registry_get(r, subject, -1, &latest, &id, &v, &e) != ZR_OK) {
    json_decref(vl);
    return zr_cli_fail("schema doc", subject, &e);
  }
  json_t *j = schema_json(latest);
  printf("# %s\n\n", subject);
  if (json_is_string(json_object_get(j, "doc"))) printf("%s\n\n", json_string_value(json_object_get(j, "doc")));
  char fp[65];
  zr_schema_fingerprint_sha256(latest, fp);
  printf("Latest version %d (schema id %lld), compatibility %s, fingerprint `%016llx`, sha256 `%s`.\n\n", v,
         (long long)id, zr_compat_mode_name(mode), (unsigned long long)zr_schema_fingerprint64(latest), fp);
  printf("## Fields\n\n| id | name | type | nullable | default | doc |\n|---|---|---|---|---|---|\n");
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(j, "fields"), i, f) {
    char t[256], d[128] = "";
    type_text(json_object_get(f, "type"), t, sizeof t);
    if (json_object_get(f, "initial-default")) type_text(json_object_get(f, "initial-default"), d, sizeof d);
    json_t *doc = json_object_get(f, "doc");
    printf("| %lld | %s | `%s` | %s | %s | %s |\n", (long long)json_integer_value(json_object_get(f, "id")),
           json_string_value(json_object_get(f, "name")), zr_schema_field_type(latest, i),
           json_is_true(json_object_get(f, "nullable")) ? "yes" : "no", d, json_is_string(doc) ? json_string_value(doc) : "");
  }
  printf("\n## History\n\n");
  zr_schema *prev = NULL;
  json_t *vv;
  json_array_foreach(vl, i, vv) {
    zr_schema *s = NULL;
    int64_t sid = 0;
    if (zr_registry_get(r, subject, (int)json_integer_value(vv), &s, &sid, NULL, NULL) != ZR_OK) continue;
    printf("- version %lld (schema id %lld)%s\n", (long long)json_integer_value(vv), (long long)sid, prev ? ":" : ": first version");
    if (prev) field_changes(prev, s, stdout, "  - ");
    zr_schema_free(prev);
    prev = s;
  }
  zr_schema_free(prev);
  zr_schema_free(latest);
  json_decref(j);
  json_decref(vl);
  return ZR_CLI_OK;
}

#ifdef ZR_HAVE_MHD
typedef struct server {
  zr_registry *reg;
  pthread_mutex_t lock;
} server;

typedef struct req_body {
  char *data;
  size_t len;
} req_body;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_len, void **con_cls) {
  (void)version;
  server *sv = cls;
  req_body *b = *con_cls;
  if (!b) {
    b = calloc(1, sizeof *b);
    if (!b) return MHD_NO;
    *con_cls = b;
    return MHD_YES;
  }
  if (*upload_len) {
    char *n = realloc(b->data, b->len + *upload_len + 1);
    if (!n) return MHD_NO;
    b->data = n;
    memcpy(b->data + b->len, upload, *upload_len);
    b->len += *upload_len;
    b->data[b->len] = '\0';
    *upload_len = 0;
    return MHD_YES;
  }
  char path[2048];
  const char *perm = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "permanent");
  snprintf(path, sizeof path, "%s%s", url, perm && strcmp(perm, "true") == 0 ? "?permanent=true" : "");
  int status = 500;
  char *out = NULL;
  pthread_mutex_lock(&sv->lock);
  zr_status st = zr_registry_http(sv->reg, method, path, b->data, b->len, &status, &out);
  pthread_mutex_unlock(&sv->lock);
  if (st != ZR_OK) {
    status = 500;
    out = strdup("{\"error_code\":50001,\"message\":\"internal error\"}");
  }
  struct MHD_Response *resp = MHD_create_response_from_buffer(out ? strlen(out) : 0, out, MHD_RESPMEM_MUST_FREE);
  MHD_add_response_header(resp, "Content-Type", ZR_REGISTRY_CONTENT_TYPE);
  enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t) {
  (void)cls;
  (void)c;
  (void)t;
  req_body *b = *con_cls;
  if (b) {
    free(b->data);
    free(b);
  }
  *con_cls = NULL;
}

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static int do_serve(const char *addr) {
  struct sockaddr_in sa;
  int bad = zr_cli_parse_ipv4_addr(addr, &sa);
  if (bad) return zr_cli_usage(&cmd, bad == 1 ? "serve needs ADDR as HOST:PORT, not '%s'" : "serve needs an IPv4 HOST, not '%s'", addr);
  server sv;
  if (open_registry(&sv.reg) != ZR_CLI_OK) return ZR_CLI_BAD_INPUT;
  pthread_mutex_init(&sv.lock, NULL);
  struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, ntohs(sa.sin_port), NULL, NULL,
                                          on_request, &sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                          MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
                                          (unsigned)30, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "zerial schema serve: cannot listen on %s\n", addr);
    zr_registry_close(sv.reg);
    return ZR_CLI_BAD_INPUT;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  fprintf(stderr, "zerial schema serve: listening on http://%s\n", addr);
  while (!stop_flag) pause();
  MHD_stop_daemon(d);
  zr_registry_close(sv.reg);
  pthread_mutex_destroy(&sv.lock);
  return ZR_CLI_OK;
}
#endif

static int run(int argc, char **argv) {
  if (argc < 2) { /* -h / --help: main() prints the help before run() */
    zr_cli_print_help(&cmd);
    return ZR_CLI_USAGE;
  }
  /* options anywhere; positional arguments collected */
  const char *pos[8];
  int npos = 0, permanent = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--registry") == 0) {
      if (++i >= argc) return zr_cli_usage(&cmd, "--registry needs PATH or URL");
      registry_path = argv[i];
    } else if (strcmp(argv[i], "--json") == 0) {
      json_out = 1;
    } else if (strcmp(argv[i], "--permanent") == 0) {
      permanent = 1;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      return zr_cli_usage(&cmd, "unknown option '%s'", argv[i]);
    } else if (npos < 8) {
      pos[npos++] = argv[i];
    } else {
      return zr_cli_usage(&cmd, "too many arguments");
    }
  }
  if (npos == 0) return zr_cli_usage(&cmd, "missing subcommand");
  const char *sub = pos[0];
  zr_error e;
  zr_error_clear(&e);
  if (strcmp(sub, "infer") == 0) {
    if (npos != 2) return zr_cli_usage(&cmd, "infer needs FILE");
    zr_schema *s;
    int rc = load_schema(pos[1], &s);
    if (rc) return rc;
    print_schema(s);
    zr_schema_free(s);
    return ZR_CLI_OK;
  }
  if (strcmp(sub, "diff") == 0) {
    if (npos != 3) return zr_cli_usage(&cmd, "diff needs A and B");
    return do_diff(pos[1], pos[2]);
  }
#ifdef ZR_HAVE_MHD
  if (strcmp(sub, "serve") == 0) {
    if (npos != 2) return zr_cli_usage(&cmd, "serve needs ADDR");
    return do_serve(pos[1]);
  }
#endif
  zr_registry *r;
  int rc = ZR_CLI_OK;
  if (strcmp(sub, "register") == 0 || strcmp(sub, "check") == 0) {
    if (npos != 3) return zr_cli_usage(&cmd, "%s needs SUBJECT and FILE", sub);
    zr_schema *s;
    if ((rc = load_schema(pos[2], &s))) return rc;
    if ((rc = open_registry(&r))) {
      zr_schema_free(s);
      return rc;
    }
    zr_compat_report *rep = NULL;
    if (sub[0] == 'r') {
      zr_register_result res;
      zr_status st = zr_registry_register(r, pos[1], s, &res, &rep, &e);
      if (st == ZR_ERR_INCOMPATIBLE && rep) rc = print_report(rep);
      else if (st != ZR_OK) rc = zr_cli_fail("schema register", pos[1], &e);
      else if (json_out) printf("{\"id\":%lld,\"version\":%d,\"existing\":%s}\n", (long long)res.id, res.version, res.existing ? "true" : "false");
      else printf("%s version %d, schema id %lld%s\n", pos[1], res.version, (long long)res.id, res.existing ? " (already registered)" : "");
    } else {
      if (zr_registry_check(r, pos[1], s, &rep, &e) != ZR_OK) rc = zr_cli_fail("schema check", pos[1], &e);
      else rc = print_report(rep);
    }
    zr_compat_report_free(rep);
    zr_schema_free(s);
    zr_registry_close(r);
    return rc;
  }
  if ((rc = open_registry(&r))) return rc;
  if (strcmp(sub, "show") == 0 && (npos == 2 || npos == 3)) {
    zr_schema *s;
    int v = -1, got = 0;
    int64_t id = 0;
    if (npos == 3) v = atoi(pos[2]);
    if (zr_registry_get(r, pos[1], v, &s, &id, &got, &e) != ZR_OK) {
      rc = zr_cli_fail("schema show", pos[1], &e);
    } else {
      if (!json_out) printf("# %s version %d, schema id %lld\n", pos[1], got, (long long)id);
      print_schema(s);
      zr_schema_free(s);
    }
  } else if (strcmp(sub, "list") == 0 && npos <= 2) {
    char *js = NULL;
    zr_status st = npos == 2 ? zr_registry_versions(r, pos[1], 0, &js, &e) : zr_registry_subjects(r, 0, &js, &e);
    if (st != ZR_OK) {
      rc = zr_cli_fail("schema list", npos == 2 ? pos[1] : "subjects", &e);
    } else if (json_out) {
      printf("%s\n", js);
    } else {
      json_error_t je;
      json_t *a = json_loads(js, 0, &je), *x;
      size_t i;
      json_array_foreach(a, i, x) {
        if (json_is_string(x)) printf("%s\n", json_string_value(x));
        else printf("%lld\n", (long long)json_integer_value(x));
      }
      json_decref(a);
    }
    zr_free(js);
  } else if (strcmp(sub, "doc") == 0 && npos == 2) {
    rc = do_doc(r, pos[1]);
  } else if (strcmp(sub, "mode") == 0 && npos <= 3) {
    zr_compat_mode m;
    const char *subject = npos >= 2 ? pos[1] : NULL;
    const char *mode = npos == 3 ? pos[2] : NULL;
    if (npos == 2 && zr_compat_mode_parse(pos[1], &m) == ZR_OK) { /* `mode FULL`: global */
      subject = NULL;
      mode = pos[1];
    }
    if (mode) {
      if (zr_compat_mode_parse(mode, &m) != ZR_OK) rc = zr_cli_usage(&cmd, "unknown mode '%s'", mode);
      else if (zr_registry_set_mode(r, subject, m, &e) != ZR_OK) rc = zr_cli_fail("schema mode", subject ? subject : "global", &e);
      else printf("%s\n", zr_compat_mode_name(m));
    } else if (zr_registry_get_mode(r, subject, &m, &e) != ZR_OK) {
      rc = zr_cli_fail("schema mode", subject ? subject : "global", &e);
    } else {
      printf("%s\n", zr_compat_mode_name(m));
    }
  } else if (strcmp(sub, "delete") == 0 && (npos == 2 || npos == 3)) {
    if (zr_registry_delete(r, pos[1], npos == 3 ? atoi(pos[2]) : -1, permanent, &e) != ZR_OK)
      rc = zr_cli_fail("schema delete", pos[1], &e);
  } else {
    rc = zr_cli_usage(&cmd, "unknown or incomplete subcommand '%s'", sub);
  }
  zr_registry_close(r);
  return rc;
}
