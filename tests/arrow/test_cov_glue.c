/* Coverage: the Arrow module's glue — the integration driver's argument and file errors (missing
 * files, bad gzip, stdin/stdout, a difference), the arrow-stream/arrow-file format entries (detect,
 * decode options, encode codecs, tensors), zr_arrow_open's errors and the C stream's edges. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zerial/arrow.h"
#include "zerial/numpy.h"
#include "zr_test.h"

#define GOLD "testdata/arrow-testing/data/arrow-ipc-stream/integration/1.0.0-littleendian/"

static const char *tmp(const char *name) {
  static char b[32][1024];
  static int k;
  char *p = b[k++ % 32];
  snprintf(p, 1024, "%s/%s", zr_test_tmpdir(), name);
  return p;
}

static void put(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(p, 1, n, f), n);
  fclose(f);
}

static const char *JSON1 =
    "{\"schema\":{\"fields\":[{\"name\":\"x\",\"nullable\":true,\"type\":{\"name\":\"int\",\"isSigned\":true,\"bitWidth\":32},"
    "\"children\":[]}]},\"batches\":[{\"count\":2,\"columns\":[{\"name\":\"x\",\"count\":2,\"VALIDITY\":[1,1],\"DATA\":[1,2]}]}]}";
static const char *JSON2 =
    "{\"schema\":{\"fields\":[{\"name\":\"x\",\"nullable\":true,\"type\":{\"name\":\"int\",\"isSigned\":true,\"bitWidth\":32},"
    "\"children\":[]}]},\"batches\":[{\"count\":2,\"columns\":[{\"name\":\"x\",\"count\":2,\"VALIDITY\":[1,1],\"DATA\":[1,3]}]}]}";

static void test_integration_driver(void **state) {
  (void)state;
  zr_error e;
  /* arguments */
  static const struct {
    const char *mode, *json, *arrow, *msg;
  } a[] = {
      {NULL, "j", "a", "arrow-integration: --mode is required"},
      {"VALIDATE", NULL, "a", "VALIDATE needs --json and --arrow"},
      {"VALIDATE", "j", NULL, "VALIDATE needs --json and --arrow"},
      {"JSON_TO_ARROW", NULL, "a", "JSON_TO_ARROW needs --json and --arrow"},
      {"JSON_TO_ARROW", "j", NULL, "JSON_TO_ARROW needs --json and --arrow"},
      {"STREAM_TO_FILE", NULL, NULL, "STREAM_TO_FILE needs --arrow"},
      {"FILE_TO_STREAM", NULL, NULL, "FILE_TO_STREAM needs --arrow"},
      {"ROUND_TRIP", "j", "a", "arrow-integration: unknown mode ROUND_TRIP"},
  };
  for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
    zr_error_clear(&e);
    assert_int_equal(zr_arrow_integration(a[i].mode, a[i].json, a[i].arrow, NULL, &e), ZR_ERR_INVALID_ARG);
    assert_string_equal(e.message, a[i].msg);
  }
  /* files */
  const char *j1 = tmp("cov_glue_1.json"), *j2 = tmp("cov_glue_2.json"), *af = tmp("cov_glue.arrow");
  put(j1, JSON1, strlen(JSON1));
  put(j2, JSON2, strlen(JSON2));
  assert_int_equal(zr_arrow_integration("JSON_TO_ARROW", j1, af, NULL, &e), ZR_OK);
  assert_int_equal(zr_arrow_integration("VALIDATE", j1, af, NULL, &e), ZR_OK);
  assert_int_equal(zr_arrow_integration("VALIDATE", j2, af, NULL, &e), ZR_ERR_INCOMPATIBLE);
  char want[3000];
  snprintf(want, sizeof want, "%s differs from %s: batch 0 column 0: field 'x': values differ at 1", af, j2);
  assert_string_equal(e.message, want);
  /* missing inputs */
  const char *none = tmp("cov_glue_missing.json");
  assert_int_equal(zr_arrow_integration("VALIDATE", none, af, NULL, &e), ZR_ERR_IO);
  snprintf(want, sizeof want, "cannot open %s", none);
  assert_string_equal(e.message, want);
  assert_int_equal(zr_arrow_integration("VALIDATE", j1, none, NULL, &e), ZR_ERR_IO);
  assert_int_equal(zr_arrow_integration("FILE_TO_STREAM", NULL, none, tmp("x.stream"), &e), ZR_ERR_IO);
  /* not Arrow */
  zr_status vst = zr_arrow_integration("VALIDATE", j1, j1, NULL, &e);
  if (vst != ZR_ERR_TRUNCATED) fail_msg("%d %s", vst, e.message);
  /* gzip magic with a broken body */
  static const uint8_t badgz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef};
  const char *bg = tmp("cov_glue_bad.json.gz");
  put(bg, badgz, sizeof badgz);
  assert_int_equal(zr_arrow_integration("JSON_TO_ARROW", bg, af, NULL, &e), ZR_ERR_MALFORMED);
  snprintf(want, sizeof want, "%s: bad gzip data", bg);
  assert_string_equal(e.message, want);
  /* a gzip stream cut short */
  size_t gl;
  uint8_t *gz = zr_test_read_file(zr_test_shared_path(GOLD "generated_primitive.json.gz"), &gl);
  if (gz) {
    const char *cut = tmp("cov_glue_cut.json.gz");
    put(cut, gz, gl / 2);
    assert_int_equal(zr_arrow_integration("JSON_TO_ARROW", cut, af, NULL, &e), ZR_ERR_MALFORMED);
    free(gz);
  }
  /* an output file that cannot be made */
  assert_int_equal(zr_arrow_integration("JSON_TO_ARROW", j1, tmp("no/such/dir/x.arrow"), NULL, &e), ZR_ERR_NOT_FOUND);
  /* FILE_TO_STREAM to stdout ("-"), STREAM_TO_FILE from stdin (NULL): through redirected descriptors */
  const char *so = tmp("cov_glue_stdout.stream");
  fflush(stdout);
  int saved = dup(1), fd = open(so, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(saved >= 0 && fd >= 0);
  dup2(fd, 1);
  close(fd);
  zr_status st = zr_arrow_integration("FILE_TO_STREAM", NULL, af, "-", &e);
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  assert_int_equal(st, ZR_OK);
  int saved0 = dup(0);
  fd = open(so, O_RDONLY);
  assert_true(saved0 >= 0 && fd >= 0);
  dup2(fd, 0);
  close(fd);
  clearerr(stdin);
  const char *af2 = tmp("cov_glue_2.arrow");
  st = zr_arrow_integration("STREAM_TO_FILE", NULL, af2, NULL, &e);
  dup2(saved0, 0);
  close(saved0);
  clearerr(stdin);
  assert_int_equal(st, ZR_OK);
  assert_int_equal(zr_arrow_integration("VALIDATE", j1, af2, NULL, &e), ZR_OK);
  /* options: a big-endian file validates against the same JSON */
  zr_arrow_write_opts wo;
  memset(&wo, 0, sizeof wo);
  wo.big_endian = 1;
  assert_int_equal(zr_arrow_integration_opts("JSON_TO_ARROW", j1, af2, NULL, &wo, &e), ZR_OK);
  assert_int_equal(zr_arrow_integration("VALIDATE", j1, af2, NULL, &e), ZR_OK);
}

static const char *ROWS = "[{\"a\":1,\"b\":\"x\"},{\"a\":2,\"b\":\"y\"}]";

static void test_format_entries(void **state) {
  (void)state;
  const zr_format *fs = zr_format_by_name("arrow-stream"), *ff = zr_format_by_name("arrow-file");
  assert_non_null(fs);
  assert_non_null(ff);
  zr_doc *d;
  zr_error e;
  assert_int_equal(zr_value_from_json(ROWS, strlen(ROWS), 0, NULL, &d, &e), ZR_OK);
  const zr_value *v = zr_doc_root(d);
  /* every codec name; an unknown one */
  static const char *codecs[] = {NULL, "none", "lz4", "zstd", "auto"};
  zr_sink *s;
  const uint8_t *p;
  size_t n;
  for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
    zr_encode_opts o;
    memset(&o, 0, sizeof o);
    o.codec = codecs[i];
    assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
    assert_int_equal(fs->encode(v, &o, s, &e), ZR_OK);
    assert_int_equal(zr_sink_memory_data(s, &p, &n), ZR_OK);
    assert_true(fs->detect(p, n) >= 60);
    zr_doc *back;
    assert_int_equal(fs->decode(p, n, NULL, &back, &e), ZR_OK);
    assert_int_equal(zr_doc_root(back)->kind, ZR_KIND_TABLE);
    assert_int_equal(zr_table_num_rows(zr_doc_root(back)->u.table), 2);
    zr_doc_free(back);
    zr_sink_free(s);
  }
  zr_encode_opts o;
  memset(&o, 0, sizeof o);
  o.codec = "gzip";
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(ff->encode(v, &o, s, &e), ZR_ERR_UNSUPPORTED);
  assert_string_equal(e.message, "arrow: codec gzip not available (lz4, zstd)");
  /* no options */
  assert_int_equal(ff->encode(v, NULL, s, &e), ZR_OK);
  assert_int_equal(zr_sink_memory_data(s, &p, &n), ZR_OK);
  assert_int_equal(ff->detect(p, n), 100);
  assert_int_equal(ff->detect(p, 7), 0);
  assert_int_equal(fs->detect(p, 7), 0);
  /* a depth limit below the schema's depth */
  zr_decode_opts dopt;
  zr_decode_opts_init(&dopt);
  dopt.max_depth = 1;
  zr_doc *back;
  assert_int_equal(ff->decode(p, n, &dopt, &back, &e), ZR_ERR_LIMIT);
  dopt.max_depth = 3;
  assert_int_equal(ff->decode(p, n, &dopt, &back, &e), ZR_OK);
  zr_doc_free(back);
  zr_sink_free(s);
  /* stream detection: a bare length prefix (pre-1.0 streams), an end marker, a batch first, too short */
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(fs->encode(v, NULL, s, &e), ZR_OK);
  assert_int_equal(zr_sink_memory_data(s, &p, &n), ZR_OK);
  assert_int_equal(fs->detect(p, n), 100);
  assert_int_equal(fs->detect(p + 4, n - 4), 60);
  assert_int_equal(fs->detect(p, 12), 0);
  static const uint8_t eos[8] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  assert_int_equal(fs->detect(eos, 8), 0);
  uint32_t mlen;
  memcpy(&mlen, p + 4, 4);
  assert_int_equal(fs->detect(p + 8 + mlen, n - 8 - mlen), 0); /* the record batch message */
  zr_sink_free(s);
  zr_doc_free(d);
  /* a tensor becomes a table through NumPy's layout */
  zr_doc *td = zr_doc_new(NULL);
  static double vals[6] = {1, 2, 3, 4, 5, 6};
  int64_t shape[2] = {2, 3};
  zr_tensor t;
  assert_int_equal(zr_tensor_init(&t, ZR_DT_FLOAT64, 8, 2, shape, vals, NULL), ZR_OK);
  zr_value tv = zr_tensor_value(td, &t);
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(fs->encode(&tv, NULL, s, &e), ZR_OK);
  assert_int_equal(zr_sink_memory_data(s, &p, &n), ZR_OK);
  assert_int_equal(fs->decode(p, n, NULL, &back, &e), ZR_OK);
  assert_int_equal(zr_doc_root(back)->kind, ZR_KIND_TABLE);
  zr_doc_free(back);
  zr_sink_free(s);
  /* a value with no table form */
  zr_value num = zr_int(5);
  assert_int_equal(zr_sink_memory_new(NULL, &s, NULL), ZR_OK);
  assert_int_equal(fs->encode(&num, NULL, s, &e), ZR_ERR_TYPE);
  zr_sink_free(s);
  zr_doc_free(td);
}

static void test_open_and_streams(void **state) {
  (void)state;
  zr_doc *d;
  zr_error e;
  assert_int_equal(zr_arrow_open(NULL, NULL, &d, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_open("x", NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  const char *none = tmp("cov_glue_none.arrow");
  assert_int_equal(zr_arrow_open(none, NULL, &d, &e), ZR_ERR_IO);
  char want[1200];
  snprintf(want, sizeof want, "arrow: cannot open %s", none);
  assert_string_equal(e.message, want);
  /* a directory opens but does not map */
  assert_int_equal(zr_arrow_open(zr_test_tmpdir(), NULL, &d, &e), ZR_ERR_IO);
  snprintf(want, sizeof want, "arrow: cannot map %s", zr_test_tmpdir());
  assert_string_equal(e.message, want);
  /* an empty file: nothing mapped, no schema */
  const char *empty = tmp("cov_glue_empty.arrow");
  put(empty, "", 0);
  assert_int_equal(zr_arrow_open(empty, NULL, &d, &e), ZR_ERR_TRUNCATED);
  /* with options: copied out of the mapping */
  zr_arrow_read_opts o;
  zr_arrow_read_opts_init(&o);
  o.copy = 1;
  assert_int_equal(zr_arrow_open(zr_test_shared_path(GOLD "generated_primitive.arrow_file"), &o, &d, &e), ZR_OK);
  assert_int_equal(zr_doc_root(d)->kind, ZR_KIND_TABLE);
  zr_doc_free(d);
  /* streams: arguments, a release twice */
  zr_table t;
  memset(&t, 0, sizeof t);
  struct ArrowArrayStream s;
  assert_int_equal(zr_arrow_table_to_stream(&t, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_table_from_stream(NULL, &t, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_table_to_stream(&t, &s, &e), ZR_OK);
  assert_int_equal(zr_arrow_table_from_stream(&s, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_null(s.get_last_error(&s));
  void (*rel)(struct ArrowArrayStream *) = s.release;
  rel(&s);
  assert_null(s.release);
  rel(&s); /* released: nothing */
  assert_int_equal(zr_arrow_table_copy(NULL, &t, &e), ZR_ERR_INVALID_ARG);
  assert_string_equal(e.message, "arrow: NULL table");
  assert_int_equal(zr_arrow_to_value(NULL, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
  zr_value out;
  assert_int_equal(zr_arrow_from_value(NULL, NULL, &t, NULL, &e), ZR_ERR_INVALID_ARG);
  assert_int_equal(zr_arrow_from_value(&out, NULL, NULL, NULL, &e), ZR_ERR_INVALID_ARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_integration_driver),
      cmocka_unit_test(test_format_entries),
      cmocka_unit_test(test_open_and_streams),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
