/* Example: schema evolution step by step (docs/tutorials/schema-evolution.md).
 *
 *   example_schema_evolution [--small] [--registry PATH]
 *
 * 1. register version 1 of a "users" schema in a registry (an SQLite file);
 * 2. a producer writes records with version 1 (zerial binary);
 * 3. an incompatible version 2 (a field removed, a field added without a default) is refused,
 *    with the violations and how to fix them;
 * 4. a compatible version 2 (a field renamed keeping its id, a nullable field added, a float
 *    widened) is registered;
 * 5. a consumer on version 2 reads the version-1 bytes and migrates each record;
 * 6. the subject goes to FULL_TRANSITIVE, and a version 3 that narrows a type is refused; reading
 *    version-1 data with a narrower type fails with ZR_ERR_RANGE and the value path.
 * Every step checks its outcome; the program exits non-zero when one differs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zerial/zerial.h>

static const char V1[] =
    "{\"fields\": ["
    " {\"id\": 1, \"name\": \"id\", \"type\": \"int64\"},"
    " {\"id\": 2, \"name\": \"name\", \"type\": \"utf8\"},"
    " {\"id\": 3, \"name\": \"score\", \"type\": \"float32\"}]}";

/* removes "name" and adds "email" with neither a default nor nullable: old data has no email */
static const char V2_BAD[] =
    "{\"fields\": ["
    " {\"id\": 1, \"name\": \"id\", \"type\": \"int64\"},"
    " {\"id\": 3, \"name\": \"score\", \"type\": \"float32\"},"
    " {\"id\": 4, \"name\": \"email\", \"type\": \"utf8\"}]}";

/* renames name -> full_name (same id 2), widens score to float64, adds a nullable email and a
 * plan with an initial default */
static const char V2[] =
    "{\"fields\": ["
    " {\"id\": 1, \"name\": \"id\", \"type\": \"int64\"},"
    " {\"id\": 2, \"name\": \"full_name\", \"type\": \"utf8\", \"aliases\": [\"name\"]},"
    " {\"id\": 3, \"name\": \"score\", \"type\": \"float64\"},"
    " {\"id\": 4, \"name\": \"email\", \"type\": \"utf8\", \"nullable\": true},"
    " {\"id\": 5, \"name\": \"plan\", \"type\": \"utf8\", \"initial-default\": \"free\"}]}";

/* narrows id to int32: version-1 data may hold ids that do not fit */
static const char V3_NARROW[] =
    "{\"fields\": ["
    " {\"id\": 1, \"name\": \"id\", \"type\": \"int32\"},"
    " {\"id\": 2, \"name\": \"full_name\", \"type\": \"utf8\", \"aliases\": [\"name\"]},"
    " {\"id\": 3, \"name\": \"score\", \"type\": \"float64\"},"
    " {\"id\": 4, \"name\": \"email\", \"type\": \"utf8\", \"nullable\": true},"
    " {\"id\": 5, \"name\": \"plan\", \"type\": \"utf8\", \"initial-default\": \"free\"}]}";

static int failed;
#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "schema_evolution: " __VA_ARGS__);   \
      fputc('\n', stderr);                                 \
      failed = 1;                                          \
      goto done;                                           \
    }                                                      \
  } while (0)

static zr_schema *parse(const char *json) {
  zr_schema *s = NULL;
  zr_error err;
  if (zr_schema_parse(json, strlen(json), &s, &err) != ZR_OK) fprintf(stderr, "parse: %s at %s\n", err.message, err.path);
  return s;
}

static void print_report(const zr_compat_report *rep) {
  char *text = zr_compat_report_text(rep);
  if (text) printf("%s", text);
  zr_free(text);
}

int main(int argc, char **argv) {
  int rows = 1000;
  char path[256] = "";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--small") == 0) rows = 5;
    else if (strcmp(argv[i], "--registry") == 0 && i + 1 < argc) snprintf(path, sizeof path, "%s", argv[++i]);
  }
  int own_registry = !path[0];
  if (own_registry) snprintf(path, sizeof path, "/tmp/zerial-example-registry-%ld.db", (long)getpid());

  zr_error err;
  zr_registry *reg = NULL;
  zr_schema *v1 = NULL, *v2_bad = NULL, *v2 = NULL, *v3 = NULL, *writer = NULL, *reader = NULL;
  zr_compat_report *rep = NULL;
  zr_doc *data = NULL, *decoded = NULL, *out = NULL;
  zr_sink *sink = NULL;

  /* 1. version 1 in the registry */
  CHECK(zr_registry_open(path, 0, &reg, &err) == ZR_OK, "registry: %s", err.message);
  v1 = parse(V1);
  v2_bad = parse(V2_BAD);
  v2 = parse(V2);
  v3 = parse(V3_NARROW);
  CHECK(v1 && v2_bad && v2 && v3, "a schema did not parse");
  zr_register_result res;
  CHECK(zr_registry_register(reg, "users", v1, &res, NULL, &err) == ZR_OK, "register v1: %s", err.message);
  printf("1. registered users version %d (schema id %lld)\n", res.version, (long long)res.id);

  /* 2. the producer writes records with version 1 */
  data = zr_doc_new(NULL);
  zr_value list = zr_list_new(data, (size_t)rows);
  for (int i = 0; i < rows; i++) {
    char name[32];
    snprintf(name, sizeof name, "user-%d", i);
    zr_value rec = zr_map_new(data, 3);
    zr_map_put_cstr(data, &rec, "id", zr_int(i == rows - 1 ? INT64_C(5000000000) : i)); /* the last id needs 64 bits */
    zr_map_put_cstr(data, &rec, "name", zr_str_copy(data, name, strlen(name)));
    zr_map_put_cstr(data, &rec, "score", zr_float32((float)i * 0.5f));
    zr_list_push(data, &list, rec);
  }
  CHECK(zr_doc_status(data) == ZR_OK, "building the records ran out of memory");
  CHECK(zr_sink_memory_new(NULL, &sink, &err) == ZR_OK, "sink: %s", err.message);
  CHECK(zr_binary_encode(&list, NULL, sink, &err) == ZR_OK, "encode: %s", err.message);
  const uint8_t *bytes;
  size_t len;
  zr_sink_memory_data(sink, &bytes, &len);
  printf("2. wrote %d records with version 1: %zu bytes\n", rows, len);

  /* 3. an incompatible version 2 is refused, with the reasons */
  zr_status st = zr_registry_register(reg, "users", v2_bad, &res, &rep, &err);
  CHECK(st == ZR_ERR_INCOMPATIBLE, "the bad version 2 was not refused (%s)", zr_status_name(st));
  printf("3. refused (%s): %zu violation(s)\n", zr_status_name(st), zr_compat_report_count(rep));
  print_report(rep);
  zr_compat_report_free(rep);
  rep = NULL;

  /* 4. the compatible version 2 */
  CHECK(zr_registry_register(reg, "users", v2, &res, NULL, &err) == ZR_OK, "register v2: %s", err.message);
  printf("4. registered users version %d\n", res.version);

  /* 5. a consumer on version 2 reads version-1 bytes: fetch the writer's schema, migrate */
  CHECK(zr_registry_get(reg, "users", 1, &writer, NULL, NULL, &err) == ZR_OK, "get v1: %s", err.message);
  CHECK(zr_registry_get(reg, "users", -1, &reader, NULL, NULL, &err) == ZR_OK, "get latest: %s", err.message);
  CHECK(zr_binary_decode(bytes, len, NULL, &decoded, &err) == ZR_OK, "decode: %s", err.message);
  out = zr_doc_new(NULL);
  zr_value migrated;
  CHECK(zr_schema_migrate(out, zr_doc_root(decoded), writer, reader, &migrated, &err) == ZR_OK, "migrate: %s at %s",
        err.message, err.path);
  const zr_value *first = zr_item(&migrated, 0);
  const zr_value *full_name = zr_map_get(first, "full_name", 9);
  const zr_value *plan = zr_map_get(first, "plan", 4);
  const zr_value *email = zr_map_get(first, "email", 5);
  const zr_value *score = zr_map_get(zr_item(&migrated, 1), "score", 5);
  CHECK(zr_len(&migrated) == (uint64_t)rows, "migrated %llu records", (unsigned long long)zr_len(&migrated));
  CHECK(full_name && full_name->kind == ZR_KIND_STRING && full_name->n.len == 6 && memcmp(full_name->u.str, "user-0", 6) == 0,
        "full_name was not carried over from name");
  CHECK(plan && plan->kind == ZR_KIND_STRING && plan->n.len == 4 && memcmp(plan->u.str, "free", 4) == 0,
        "plan did not take its initial default");
  CHECK(email && email->kind == ZR_KIND_NULL, "email is not null");
  CHECK(score && score->kind == ZR_KIND_FLOAT && score->u.f == 0.5, "score was not widened");
  printf("5. read %d version-1 records as version 2; the first one is now:\n   ", rows);
  zr_sink *json;
  CHECK(zr_sink_memory_new(NULL, &json, &err) == ZR_OK, "sink: %s", err.message);
  st = zr_value_to_json(first, 0, json, &err);
  const uint8_t *text;
  size_t text_len;
  zr_sink_memory_data(json, &text, &text_len);
  if (st == ZR_OK) printf("%.*s\n", (int)text_len, (const char *)text);
  zr_sink_free(json);
  CHECK(st == ZR_OK, "to JSON: %s", err.message);

  /* 6. stricter mode, and a narrowing that history forbids */
  CHECK(zr_registry_set_mode(reg, "users", ZR_COMPAT_FULL_TRANSITIVE, &err) == ZR_OK, "mode: %s", err.message);
  st = zr_registry_check(reg, "users", v3, &rep, &err);
  CHECK(st == ZR_ERR_INCOMPATIBLE || (st == ZR_OK && zr_compat_report_count(rep) > 0),
        "narrowing id to int32 passed FULL_TRANSITIVE (%s)", zr_status_name(st));
  printf("6. FULL_TRANSITIVE refuses version 3: %zu violation(s)\n", zr_compat_report_count(rep));
  print_report(rep);
  zr_value narrowed;
  st = zr_schema_migrate(out, zr_doc_root(decoded), writer, v3, &narrowed, &err);
  CHECK(st == ZR_ERR_RANGE, "reading 5000000000 as int32 did not fail with ERR_RANGE (%s)", zr_status_name(st));
  printf("   and reading version-1 data with it fails: [%s] %s (err.path %s)\n", zr_status_name(st), err.message, err.path);

done:
  zr_compat_report_free(rep);
  zr_sink_free(sink);
  zr_doc_free(out);
  zr_doc_free(decoded);
  zr_doc_free(data);
  zr_schema_free(v1);
  zr_schema_free(v2_bad);
  zr_schema_free(v2);
  zr_schema_free(v3);
  zr_schema_free(writer);
  zr_schema_free(reader);
  zr_registry_close(reg);
  if (own_registry) {
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
  }
  if (!failed) printf("schema evolution: every step behaved as described\n");
  return failed;
}
