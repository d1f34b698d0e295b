/* Configuration keys one by one: every key read back in its own type, every kind of bad value
 * (empty, junk after a number, out of range, overflow, NaN/inf, not a choice, too long) refused
 * with ZR_ERR_CONFIG and a message naming the key and what is expected, leaving the old value;
 * JSON with every value type for every key type, nested objects, JSON errors with their offset;
 * files (missing, too large, reload by path and by the remembered path); the ZERIAL_*
 * environment, ZERIAL_CONFIG, and a context refused at creation for a bad variable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zr_test.h"
#include "zerial/serialize.h"

static zr_ctx *new_ctx(void) {
  zr_ctx *ctx = NULL;
  zr_error e;
  if (zr_ctx_new_isolated(NULL, &ctx, &e) != ZR_OK) fail_msg("ctx: %s", e.message);
  return ctx;
}

static void get_is(zr_ctx *ctx, const char *key, const char *want) {
  char buf[96];
  zr_error e;
  if (zr_ctx_get(ctx, key, buf, sizeof buf, &e) != ZR_OK) fail_msg("get %s: %s", key, e.message);
  if (strcmp(buf, want) != 0) fail_msg("%s is '%s', expected '%s'", key, buf, want);
}

typedef struct kcase {
  const char *key, *value, *readback; /* readback NULL: refused */
  const char *msg;                    /* part of the refusal */
} kcase;

static const kcase cases[] = {
    /* strings */
    {"producer", "etl-7", "etl-7", NULL},
    {"producer", "", "", NULL},
    {"producer", "0123456789012345678901234567890123456789012345678901234567890123", NULL,
     "setting: key 'producer': value longer than 63 bytes"},
    /* formats */
    {"format", "binary", "binary", NULL},
    {"format", "auto", "auto", NULL},
    {"format", "nope", NULL, "setting: key 'format': unknown format 'nope' (use \"auto\" or a format name)"},
    /* choices */
    {"compression.codec", "gzip", "gzip", NULL},
    {"compression.codec", "", NULL, "'' is not one of auto,none,lz4,zstd,gzip"},
    {"compression.codec", "lz4|zstd", NULL, "is not one of"},
    {"compression.codec", "lz", NULL, "'lz' is not one of"},
    {"compression.codec", "gzipx", NULL, "'gzipx' is not one of"},
    {"target", "python-objects", "python-objects", NULL},
    {"target", "java", NULL, "key 'target': 'java' is not one of any,python,python-objects,beam,arrow,numpy"},
    {"log.level", "debug", "debug", NULL},
    {"log.level", "warn", "warn", NULL},
    {"log.level", "off", "off", NULL},
    {"log.level", "verbose", NULL, "is not one of debug,info,warn,error,off"},
    /* booleans, every spelling */
    {"envelope", "TRUE", "true", NULL},
    {"envelope", "0", "false", NULL},
    {"envelope", "Yes", "true", NULL},
    {"envelope", "off", "false", NULL},
    {"envelope", "1", "true", NULL},
    {"envelope", "NO", "false", NULL},
    {"envelope", "on", "true", NULL},
    {"envelope", "False", "false", NULL},
    {"strict", "2", NULL, "setting: key 'strict': expected true or false, got '2'"},
    {"deterministic", "", NULL, "expected true or false, got ''"},
    {"lineage", "yes", "true", NULL},
    {"selection.learning", "off", "false", NULL},
    /* integers: int, uint32, uint64 fields */
    {"compression.level", "-7", "-7", NULL},
    {"compression.level", "22", "22", NULL},
    {"compression.level", "-8", NULL, "expected an integer from -7 to 22, got '-8'"},
    {"compression.level", "23", NULL, "got '23'"},
    {"compression.level", "", NULL, "got ''"},
    {"compression.level", "3x", NULL, "got '3x'"},
    {"compression.level", "2.5", NULL, "got '2.5'"},
    {"compression.level", "nan", NULL, "got 'nan'"},
    {"compression.level", "inf", NULL, "got 'inf'"},
    {"compression.min_size", "0x10", "16", NULL},
    {"compression.min_size", "1e15", "1000000000000000", NULL},
    {"compression.min_size", "1e5000", NULL, "key 'compression.min_size'"},
    {"selection.sample_items", "1", "1", NULL},
    {"selection.sample_items", "0", NULL, "from 1 to 1000000"},
    {"selection.max_nodes", "15", NULL, "from 16 to 100000000"},
    {"limits.max_depth", "1000000", "1000000", NULL},
    {"limits.max_bytes", "1024", "1024", NULL},
    {"limits.max_bytes", "1023", NULL, "from 1024 to"},
    {"limits.max_elements", "18000000000000000000", "18000000000000000000", NULL},
    {"limits.max_elements", "18000000000000000001", NULL, "key 'limits.max_elements'"},
    /* doubles */
    {"selection.performance", "0.25", "0.25", NULL},
    {"selection.performance", "1.0000001", NULL, "expected a number from 0 to 1, got '1.0000001'"},
    {"selection.performance", "-0.1", NULL, "got '-0.1'"},
    {"selection.compatibility", "", NULL, "got ''"},
    {"selection.compatibility", "0.5z", NULL, "got '0.5z'"},
    {"selection.transfer_ns_per_byte", "1e999", NULL, "key 'selection.transfer_ns_per_byte'"},
    {"selection.transfer_ns_per_byte", "1e-400", NULL, "got '1e-400'"},
    {"selection.transfer_ns_per_byte", "inf", NULL, "got 'inf'"},
    {"selection.transfer_ns_per_byte", "1e6", "1e+06", NULL},
    {"selection.alpha", "0.0009", NULL, "from 0.001 to 1"},
    {"selection.alpha", "0.001", "0.001", NULL},
    /* keys */
    {"nope", "1", NULL, "setting: unknown configuration key 'nope'"},
    {"compression", "lz4", NULL, "unknown configuration key 'compression'"},
};

static void test_keys(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx();
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const kcase *c = &cases[i];
    char before[96] = "";
    zr_error e;
    int known = zr_ctx_get(ctx, c->key, before, sizeof before, &e) == ZR_OK;
    if (!known) assert_non_null(strstr(e.message, "unknown configuration key"));
    zr_error_clear(&e);
    zr_status st = zr_ctx_set(ctx, c->key, c->value, &e);
    if (c->readback) {
      if (st != ZR_OK) fail_msg("%s=%s: %s", c->key, c->value, e.message);
      get_is(ctx, c->key, c->readback);
    } else {
      if (st != ZR_ERR_CONFIG) fail_msg("%s=%s: %s, expected ZR_ERR_CONFIG", c->key, c->value, zr_status_name(st));
      if (!strstr(e.message, c->msg)) fail_msg("%s=%s: '%s' lacks '%s'", c->key, c->value, e.message, c->msg);
      if (known) get_is(ctx, c->key, before); /* unchanged */
    }
  }
  /* a setting replaced by a later one of the same key survives a reload */
  assert_int_equal(zr_ctx_set(ctx, "compression.level", "5", NULL), ZR_OK);
  assert_int_equal(zr_ctx_set(ctx, "compression.level", "6", NULL), ZR_OK);
  assert_int_equal(zr_ctx_reload(ctx, NULL, NULL), ZR_OK);
  get_is(ctx, "compression.level", "6");
  get_is(ctx, "producer", "");
  /* arguments */
  char buf[8];
  zr_error e;
  assert_int_equal(zr_ctx_set(NULL, "a", "b", &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_set(ctx, NULL, "b", &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_set(ctx, "a", NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_get(NULL, "format", buf, sizeof buf, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_get(ctx, NULL, buf, sizeof buf, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_get(ctx, "format", NULL, sizeof buf, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_get(ctx, "format", buf, 0, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "ctx, key and buf are required");
  assert_int_equal(zr_ctx_get(ctx, "producers", buf, sizeof buf, &e), ZR_ERR_CONFIG);
  assert_string_equal(e.message, "unknown configuration key 'producers'");
  assert_int_equal(zr_ctx_get(ctx, "limits.max_elements", buf, 4, &e), ZR_OK); /* cut to the buffer */
  assert_string_equal(buf, "180");
  assert_int_equal(zr_ctx_reload(NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_load_json(NULL, "{}", 2, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_ctx_load_json(ctx, NULL, 2, &e), ZR_ERR_INVALID_ARG);
  /* the key table */
  size_t n = zr_config_key_count();
  assert_true(n >= 20);
  const char *k, *env, *help;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(zr_config_key_at(i, &k, &env, &help), ZR_OK);
    assert_int_equal(strncmp(env, "ZERIAL_", 7), 0);
    assert_true(help[0] != 0);
    char v[96];
    assert_int_equal(zr_ctx_get(ctx, k, v, sizeof v, NULL), ZR_OK);
  }
  assert_int_equal(zr_config_key_at(0, NULL, NULL, NULL), ZR_OK);
  assert_int_equal(zr_config_key_at(n, &k, &env, &help), ZR_ERR_NOT_FOUND);
  zr_ctx_free(ctx);
}

/* a registered format whose name does not fit the configuration field */
static zr_status nop_enc(const zr_value *v, const zr_encode_opts *o, zr_sink *s, zr_error *e) {
  (void)v, (void)o, (void)s;
  return zr_error_set(e, ZR_ERR_UNSUPPORTED, -1, "nop");
}
static zr_status nop_dec(const uint8_t *d, size_t n, const zr_decode_opts *o, zr_doc **out, zr_error *e) {
  (void)d, (void)n, (void)o, (void)out;
  return zr_error_set(e, ZR_ERR_UNSUPPORTED, -1, "nop");
}

static void test_long_format_name(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx();
  static const char long_name[] = "a-format-with-a-name-of-forty-bytes-xyz";
  zr_format f;
  memset(&f, 0, sizeof f);
  f.name = long_name;
  f.id = 0x7123;
  f.encode = nop_enc;
  f.decode = nop_dec;
  assert_int_equal(zr_ctx_register_format(ctx, &f, NULL), ZR_OK);
  zr_error e;
  assert_int_equal(zr_ctx_set(ctx, "format", long_name, &e), ZR_ERR_CONFIG);
  assert_string_equal(e.message, "setting: key 'format': name too long");
  get_is(ctx, "format", "auto");
  zr_ctx_free(ctx);
}

typedef struct jcase {
  const char *json;
  zr_status code;
  const char *msg; /* part of the message, or key=value to read back */
} jcase;

static const jcase jcases[] = {
    {"{\"compression\": {\"codec\": \"lz4\", \"level\": 3}}", ZR_OK, "compression.level=3"},
    {"{\"compression\": {\"level\": 2.0}}", ZR_OK, "compression.level=2"},
    {"{\"selection\": {\"alpha\": 1}}", ZR_OK, "selection.alpha=1"},
    {"{\"selection\": {\"alpha\": 0.5}}", ZR_OK, "selection.alpha=0.5"},
    {"{\"envelope\": false, \"strict\": true}", ZR_OK, "strict=true"},
    {"{\"producer\": \"p\"}", ZR_OK, "producer=p"},
    {"{}", ZR_OK, "format=auto"},
    {"{\"compression\": {\"level\": 2.5}}", ZR_ERR_CONFIG, "configuration: key 'compression.level': expected an integer"},
    {"{\"envelope\": 1}", ZR_ERR_CONFIG, "configuration: key 'envelope': expected true or false"},
    {"{\"envelope\": \"true\"}", ZR_ERR_CONFIG, "key 'envelope': expected true or false"},
    {"{\"producer\": 5}", ZR_ERR_CONFIG, "configuration: key 'producer': expected a string"},
    {"{\"compression\": {\"codec\": true}}", ZR_ERR_CONFIG, "key 'compression.codec': expected a string"},
    {"{\"format\": 1.5}", ZR_ERR_CONFIG, "key 'format': expected a string"},
    {"{\"compression\": {\"level\": \"3\"}}", ZR_ERR_CONFIG, "key 'compression.level': expected a number"},
    {"{\"selection\": {\"alpha\": false}}", ZR_ERR_CONFIG, "key 'selection.alpha': expected a number"},
    {"{\"target\": null}", ZR_ERR_CONFIG, "key 'target': expected a string, number, boolean or object"},
    {"{\"limits\": {\"max_depth\": [1]}}", ZR_ERR_CONFIG, "key 'limits.max_depth': expected a string, number"},
    {"{\"a\": {\"b\": {\"c\": 1}}}", ZR_ERR_CONFIG, "configuration: unknown configuration key 'a.b.c'"},
    {"{\"a\": true}", ZR_ERR_CONFIG, "unknown configuration key 'a'"},
    {"[1, 2]", ZR_ERR_CONFIG, "configuration: the configuration must be a JSON object"},
    {"{\"format\": ", ZR_ERR_CONFIG, "configuration: line 1: "},
};

static void test_json(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx();
  for (size_t i = 0; i < sizeof jcases / sizeof *jcases; i++) {
    const jcase *c = &jcases[i];
    static const char nine[] = "{\"compression\": {\"level\": 9}}";
    assert_int_equal(zr_ctx_load_json(ctx, nine, strlen(nine), NULL), ZR_OK);
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_ctx_load_json(ctx, c->json, strlen(c->json), &e);
    if (st != c->code) fail_msg("%s: %s (%s)", c->json, zr_status_name(st), e.message);
    if (st == ZR_OK) {
      char key[64];
      const char *eq = strchr(c->msg, '=');
      snprintf(key, sizeof key, "%.*s", (int)(eq - c->msg), c->msg);
      get_is(ctx, key, eq + 1);
    } else {
      if (!strstr(e.message, c->msg)) fail_msg("%s: '%s' lacks '%s'", c->json, e.message, c->msg);
      get_is(ctx, "compression.level", "9"); /* the old configuration stays */
    }
  }
  /* a JSON syntax error carries its position */
  zr_error e;
  assert_int_equal(zr_ctx_load_json(ctx, "{\"a\" 1}", 7, &e), ZR_ERR_CONFIG);
  assert_int_equal(e.offset, 6); /* jansson's position: after the token it could not take */
  zr_ctx_free(ctx);
}

static const char *tmp_file(const char *name, const char *text, size_t len) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", zr_test_tmpdir(), name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  if (len) assert_int_equal(fwrite(text, 1, len, f), len);
  fclose(f);
  return path;
}

static const char *tmp_text(const char *name, const char *text) { return tmp_file(name, text, strlen(text)); }

static void test_files(void **state) {
  (void)state;
  zr_ctx *ctx = new_ctx();
  zr_error e;
  char missing[512];
  snprintf(missing, sizeof missing, "%s/no-such-config.json", zr_test_tmpdir());
  assert_int_equal(zr_ctx_reload(ctx, missing, &e), ZR_ERR_CONFIG);
  assert_non_null(strstr(e.message, "cannot open configuration file"));
  assert_non_null(strstr(e.message, "No such file or directory"));
  /* larger than 1 MiB: refused, whatever it holds */
  size_t big = (1u << 20) + 10;
  char *text = malloc(big);
  memset(text, ' ', big);
  text[0] = '{';
  text[big - 1] = '}';
  const char *p = tmp_file("cov_big.json", text, big);
  free(text);
  assert_int_equal(zr_ctx_reload(ctx, p, &e), ZR_ERR_CONFIG);
  assert_non_null(strstr(e.message, "is too large (1 MiB at most)"));
  /* a file with an error names the file */
  p = tmp_text("cov_bad.json", "{\"strict\": \"sometimes\"}");
  assert_int_equal(zr_ctx_reload(ctx, p, &e), ZR_ERR_CONFIG);
  assert_non_null(strstr(e.message, "cov_bad.json: key 'strict': expected true or false"));
  /* a good file, then reloads by the remembered path, the same path, and another */
  char good[512];
  snprintf(good, sizeof good, "%s", tmp_text("cov_good.json", "{\"producer\": \"file-1\"}"));
  assert_int_equal(zr_ctx_reload(ctx, good, &e), ZR_OK);
  get_is(ctx, "producer", "file-1");
  tmp_text("cov_good.json", "{\"producer\": \"file-2\"}");
  assert_int_equal(zr_ctx_reload(ctx, NULL, &e), ZR_OK);
  get_is(ctx, "producer", "file-2");
  assert_int_equal(zr_ctx_reload(ctx, good, &e), ZR_OK);
  char other[512];
  snprintf(other, sizeof other, "%s", tmp_text("cov_other.json", "{\"producer\": \"other\"}"));
  assert_int_equal(zr_ctx_reload(ctx, other, &e), ZR_OK);
  get_is(ctx, "producer", "other");
  /* an empty file is not JSON */
  p = tmp_file("cov_empty.json", "", 0);
  assert_int_equal(zr_ctx_reload(ctx, p, &e), ZR_ERR_CONFIG);
  get_is(ctx, "producer", "other");
  zr_ctx_free(ctx);
}

static void test_environment(void **state) {
  (void)state;
  zr_error e;
  zr_ctx *ctx = NULL;
  /* ZERIAL_CONFIG names a file; variables override it; an empty ZERIAL_CONFIG is no file */
  const char *p = tmp_text("cov_env.json", "{\"producer\": \"from-file\", \"strict\": true}");
  setenv("ZERIAL_CONFIG", p, 1);
  setenv("ZERIAL_STRICT", "off", 1);
  setenv("ZERIAL_COMPRESSION_LEVEL", "4", 1);
  if (zr_ctx_new(NULL, &ctx, &e) != ZR_OK) fail_msg("ctx_new: %s", e.message);
  get_is(ctx, "producer", "from-file");
  get_is(ctx, "strict", "false");
  get_is(ctx, "compression.level", "4");
  /* a reload re-reads the file and the environment */
  setenv("ZERIAL_COMPRESSION_LEVEL", "5", 1);
  assert_int_equal(zr_ctx_reload(ctx, NULL, &e), ZR_OK);
  get_is(ctx, "compression.level", "5");
  zr_ctx_free(ctx);
  setenv("ZERIAL_CONFIG", "", 1);
  assert_int_equal(zr_ctx_new(NULL, &ctx, &e), ZR_OK);
  get_is(ctx, "producer", "zerial");
  assert_int_equal(zr_ctx_reload(ctx, NULL, &e), ZR_OK); /* no file: defaults and environment */
  zr_ctx_free(ctx);
  /* a bad variable refuses the context, naming the variable */
  setenv("ZERIAL_SELECTION_ALPHA", "2", 1);
  ctx = (zr_ctx *)&e;
  assert_int_equal(zr_ctx_new(NULL, &ctx, &e), ZR_ERR_CONFIG);
  assert_null(ctx);
  assert_string_equal(e.message, "ZERIAL_SELECTION_ALPHA: key 'selection.alpha': expected a number from 0.001 to 1, got '2'");
  /* an isolated context ignores all of it */
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, &e), ZR_OK);
  get_is(ctx, "selection.alpha", "0.2");
  zr_ctx_free(ctx);
  unsetenv("ZERIAL_SELECTION_ALPHA");
  /* a missing ZERIAL_CONFIG file refuses the context */
  char missing[512];
  snprintf(missing, sizeof missing, "%s/no-such-env-config.json", zr_test_tmpdir());
  setenv("ZERIAL_CONFIG", missing, 1);
  assert_int_equal(zr_ctx_new(NULL, &ctx, &e), ZR_ERR_CONFIG);
  assert_non_null(strstr(e.message, "cannot open configuration file"));
  /* a context reading ZERIAL_CONFIG with its allocator failing: NOMEM, nothing left allocated */
  const char *good = tmp_text("cov_env_good.json", "{\"producer\": \"env-file\"}");
  setenv("ZERIAL_CONFIG", good, 1);
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, n);
    zr_status st = zr_ctx_new(&fa.a, &ctx, &e);
    if (st == ZR_OK) {
      get_is(ctx, "producer", "env-file");
      zr_ctx_free(ctx);
      assert_int_equal(fa.live, 0);
      break;
    }
    assert_int_equal(st, ZR_ERR_NOMEM);
    assert_null(ctx);
    assert_int_equal(fa.live, 0);
    assert_true(n < 50);
  }
  unsetenv("ZERIAL_CONFIG");
  unsetenv("ZERIAL_STRICT");
  unsetenv("ZERIAL_COMPRESSION_LEVEL");
  assert_int_equal(zr_ctx_new(NULL, NULL, &e), ZR_ERR_INVALID_ARG);
}

/* configuration calls under a failing allocator: the file path remembered by a reload */
static void test_reload_nomem(void **state) {
  (void)state;
  char good[512];
  snprintf(good, sizeof good, "%s", tmp_text("cov_nomem.json", "{\"producer\": \"nm\"}"));
  for (uint64_t n = 1;; n++) {
    zr_test_failalloc fa;
    zr_test_failalloc_init(&fa, 0);
    zr_ctx *ctx = NULL;
    assert_int_equal(zr_ctx_new_isolated(&fa.a, &ctx, NULL), ZR_OK);
    fa.fail_at = fa.calls + n;
    zr_error e;
    zr_error_clear(&e);
    zr_status st = zr_ctx_reload(ctx, good, &e);
    if (st == ZR_OK) {
      get_is(ctx, "producer", "nm");
      zr_ctx_free(ctx);
      assert_int_equal(fa.live, 0);
      break;
    }
    assert_int_equal(st, ZR_ERR_NOMEM);
    assert_string_equal(e.message, "out of memory");
    get_is(ctx, "producer", "zerial"); /* the old configuration stays */
    zr_ctx_free(ctx);
    assert_int_equal(fa.live, 0);
    assert_true(n < 100);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keys),        cmocka_unit_test(test_long_format_name), cmocka_unit_test(test_json),
      cmocka_unit_test(test_files),       cmocka_unit_test(test_environment),      cmocka_unit_test(test_reload_nomem),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
