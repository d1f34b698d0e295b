/* Configuration: defaults, JSON file, ZERIAL_* environment, API setters, validation errors naming
 * the key, reload keeping settings, failed reload keeping the old configuration. */
#include <stdio.h>
#include <stdlib.h>

#include "zr_test.h"
#include "mock_formats.h"

static const char *write_tmp(const char *name, const char *text) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", zr_test_tmpdir(), name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

static void get(zr_ctx *ctx, const char *key, const char *want) {
  char buf[64];
  assert_int_equal(zr_ctx_get(ctx, key, buf, sizeof buf, NULL), ZR_OK);
  assert_string_equal(buf, want);
}

static void test_defaults_and_keys(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  get(ctx, "format", "auto");
  get(ctx, "compression.codec", "auto");
  get(ctx, "envelope", "true");
  get(ctx, "strict", "false");
  get(ctx, "selection.performance", "0.6");
  get(ctx, "limits.max_depth", "512");
  get(ctx, "log.level", "info");
  assert_true(zr_config_key_count() >= 15);
  for (size_t i = 0; i < zr_config_key_count(); i++) {
    const char *k, *env, *help;
    assert_int_equal(zr_config_key_at(i, &k, &env, &help), ZR_OK);
    assert_true(strncmp(env, "ZERIAL_", 7) == 0);
    assert_true(help[0]);
    char buf[64];
    assert_int_equal(zr_ctx_get(ctx, k, buf, sizeof buf, NULL), ZR_OK);
  }
  assert_int_equal(zr_config_key_at(zr_config_key_count(), NULL, NULL, NULL), ZR_ERR_NOT_FOUND);
  zr_ctx_free(ctx);
}

typedef struct bad_case {
  const char *key, *value, *in_message;
} bad_case;

static void test_validation(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  static const bad_case bad[] = {
      {"compression.codec", "brotli", "'compression.codec'"},
      {"compression.level", "x", "'compression.level'"},
      {"compression.level", "99", "-7 to 22"},
      {"selection.performance", "1.5", "'selection.performance'"},
      {"selection.performance", "nan", "'selection.performance'"},
      {"envelope", "maybe", "true or false"},
      {"target", "cobol", "any,python"},
      {"format", "nosuchformat", "unknown format"},
      {"no.such.key", "1", "unknown configuration key 'no.such.key'"},
      {"limits.max_bytes", "-5", "'limits.max_bytes'"},
      {"producer", "a very long producer name that does not fit in the sixty-four byte field at all", "'producer'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    zr_error err;
    zr_status st = zr_ctx_set(ctx, bad[i].key, bad[i].value, &err);
    if (st != ZR_ERR_CONFIG || !strstr(err.message, bad[i].in_message)) {
      print_error("%s=%s: %d %s\n", bad[i].key, bad[i].value, st, err.message);
      fail();
    }
  }
  get(ctx, "compression.codec", "auto"); /* unchanged */
  /* good settings */
  assert_int_equal(zr_ctx_set(ctx, "compression.codec", "zstd", NULL), ZR_OK);
  assert_int_equal(zr_ctx_set(ctx, "format", "npy", NULL), ZR_OK);
  assert_int_equal(zr_ctx_set(ctx, "envelope", "off", NULL), ZR_OK);
  assert_int_equal(zr_ctx_set(ctx, "compression.min_size", "0", NULL), ZR_OK);
  get(ctx, "compression.codec", "zstd");
  get(ctx, "format", "npy");
  get(ctx, "envelope", "false");
  /* settings take effect */
  zr_value v = zr_int(1);
  zr_sink *s;
  zr_sink_memory_new(NULL, &s, NULL);
  zr_error err;
  assert_int_equal(zr_serialize(ctx, &v, NULL, s, NULL, &err), ZR_ERR_TYPE); /* npy cannot hold a scalar */
  assert_int_equal(zr_ctx_set(ctx, "format", "binary", NULL), ZR_OK);
  zr_serialize_result r;
  assert_int_equal(zr_serialize(ctx, &v, NULL, s, &r, NULL), ZR_OK);
  assert_string_equal(r.format, "binary");
  assert_string_equal(r.codec, "zstd");
  assert_false(r.envelope);
  zr_sink_free(s);
  zr_ctx_free(ctx);
}

static void test_file_and_json(void **state) {
  (void)state;
  zr_ctx *ctx = mock_ctx();
  const char *path = write_tmp("good.json",
                               "{\"compression\": {\"codec\": \"lz4\", \"level\": 3},\n"
                               " \"selection\": {\"performance\": 0.9, \"learning\": false},\n"
                               " \"strict\": true, \"producer\": \"svc\"}\n");
  assert_int_equal(zr_ctx_reload(ctx, path, NULL), ZR_OK);
  get(ctx, "compression.codec", "lz4");
  get(ctx, "compression.level", "3");
  get(ctx, "selection.performance", "0.9");
  get(ctx, "selection.learning", "false");
  get(ctx, "strict", "true");
  get(ctx, "producer", "svc");
  /* API settings survive reloads and override the file */
  assert_int_equal(zr_ctx_set(ctx, "compression.codec", "gzip", NULL), ZR_OK);
  assert_int_equal(zr_ctx_reload(ctx, NULL, NULL), ZR_OK);
  get(ctx, "compression.codec", "gzip");
  get(ctx, "strict", "true");
  /* errors name the key; the old configuration stays */
  static const struct {
    const char *text, *msg;
  } bad[] = {
      {"{\"compression\": {\"codec\": 3}}", "'compression.codec': expected a string"},
      {"{\"strict\": \"yes\"}", "'strict': expected true or false"},
      {"{\"selection\": {\"alpha\": 0}}", "'selection.alpha'"},
      {"{\"selection\": {\"unknown\": 1}}", "'selection.unknown'"},
      {"{\"envelope\": [true]}", "'envelope'"},
      {"[1, 2]", "must be a JSON object"},
      {"{\"strict\": tru", "line 1"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *p = write_tmp("bad.json", bad[i].text);
    zr_error err;
    assert_int_equal(zr_ctx_reload(ctx, p, &err), ZR_ERR_CONFIG);
    if (!strstr(err.message, bad[i].msg)) {
      print_error("%s → %s\n", bad[i].text, err.message);
      fail();
    }
    assert_non_null(strstr(err.message, "bad.json"));
    get(ctx, "compression.level", "3");
    zr_error err2;
    assert_int_equal(zr_ctx_load_json(ctx, bad[i].text, strlen(bad[i].text), &err2), ZR_ERR_CONFIG);
  }
  zr_error err;
  assert_int_equal(zr_ctx_reload(ctx, "/nonexistent/zerial.json", &err), ZR_ERR_CONFIG);
  assert_non_null(strstr(err.message, "/nonexistent/zerial.json"));
  const char *j = "{\"target\": \"beam\"}";
  assert_int_equal(zr_ctx_load_json(ctx, j, strlen(j), NULL), ZR_OK);
  get(ctx, "target", "beam");
  get(ctx, "compression.level", "0"); /* a full reload: the file's settings are gone */
  get(ctx, "compression.codec", "gzip"); /* the API setting stays */
  zr_ctx_free(ctx);
}

static void test_environment(void **state) {
  (void)state;
  const char *path = write_tmp("env.json", "{\"compression\": {\"codec\": \"lz4\"}, \"target\": \"python\"}");
  setenv("ZERIAL_CONFIG", path, 1);
  setenv("ZERIAL_COMPRESSION_CODEC", "zstd", 1);
  setenv("ZERIAL_SELECTION_PERFORMANCE", "0.25", 1);
  zr_ctx *ctx;
  assert_int_equal(zr_ctx_new(NULL, &ctx, NULL), ZR_OK);
  get(ctx, "compression.codec", "zstd"); /* environment over file */
  get(ctx, "target", "python");          /* from the file */
  get(ctx, "selection.performance", "0.25");
  zr_ctx_free(ctx);
  /* the isolated constructor ignores all of it */
  assert_int_equal(zr_ctx_new_isolated(NULL, &ctx, NULL), ZR_OK);
  get(ctx, "compression.codec", "auto");
  zr_ctx_free(ctx);
  /* a bad variable names itself */
  setenv("ZERIAL_STRICT", "perhaps", 1);
  zr_error err;
  assert_int_equal(zr_ctx_new(NULL, &ctx, &err), ZR_ERR_CONFIG);
  assert_non_null(strstr(err.message, "ZERIAL_STRICT"));
  assert_non_null(strstr(err.message, "'strict'"));
  unsetenv("ZERIAL_STRICT");
  unsetenv("ZERIAL_CONFIG");
  unsetenv("ZERIAL_COMPRESSION_CODEC");
  unsetenv("ZERIAL_SELECTION_PERFORMANCE");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults_and_keys),
      cmocka_unit_test(test_validation),
      cmocka_unit_test(test_file_and_json),
      cmocka_unit_test(test_environment),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
