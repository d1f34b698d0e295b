/* quickstart: build a realistic value (records + a float32 tensor), write it in the binary
 * format inside an envelope through the format table, inspect it, read it back (zero-copy from a
 * memory map), check deep equality, and print sizes and timings.
 *
 *   example_quickstart [--small] [--out PATH]      (default PATH: quickstart.zrl)
 *
 * Exit status 0 when the value read back equals the one written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zerial/envelope.h"
#include "zerial/format.h"
#include "zerial/zerial.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int check(zr_status st, const char *what, const zr_error *e) {
  if (st == ZR_OK) return 0;
  fprintf(stderr, "quickstart: %s failed: %s (%s, byte %lld, path %s)\n", what, e->message, zr_status_name(st),
          (long long)e->offset, e->path);
  return 1;
}

static const char *const CITIES[] = {"Lisbon", "Nairobi", "Osaka", "Montréal", "Zürich", "São Paulo", "Pune", "Oslo"};
static const char *const TAGS[] = {"new", "vip", "churn-risk", "beta", "mobile", "web"};

/* records: [{id, name, city, score, visits, active, tags: [...]}, ...] and embeddings: float32[n, dim] */
static zr_value build(zr_doc *d, size_t n, size_t dim, float **emb_out) {
  zr_value root = zr_map_new(d, 4);
  zr_value rows = zr_list_new(d, n);
  uint64_t seed = 42;
  for (size_t i = 0; i < n; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    char name[32];
    int nl = snprintf(name, sizeof name, "user-%06zu", i);
    zr_value r = zr_map_new(d, 7);
    zr_map_put_cstr(d, &r, "id", zr_int((int64_t)i));
    zr_map_put_cstr(d, &r, "name", zr_str_copy(d, name, (size_t)nl));
    zr_map_put_cstr(d, &r, "city", zr_cstr_ref(CITIES[(seed >> 33) % 8]));
    zr_map_put_cstr(d, &r, "score", zr_float((double)((seed >> 20) % 100000) / 1000.0));
    zr_map_put_cstr(d, &r, "visits", zr_int((int64_t)((seed >> 40) % 5000)));
    zr_map_put_cstr(d, &r, "active", zr_bool((seed >> 13) & 1));
    zr_value tags = zr_list_new(d, 2);
    for (size_t k = 0; k < (seed >> 50) % 3; k++) zr_list_push(d, &tags, zr_cstr_ref(TAGS[(seed >> (k * 7 + 3)) % 6]));
    zr_map_put_cstr(d, &r, "tags", tags);
    zr_list_push(d, &rows, r);
  }
  zr_map_put_cstr(d, &root, "rows", rows);
  /* the tensor's memory lives in the doc's arena, 64-byte aligned */
  float *emb = zr_doc_alloc(d, n * dim * sizeof(float), 64);
  if (emb)
    for (size_t i = 0; i < n * dim; i++) emb[i] = (float)((i * 2654435761u) % 20001) / 10000.0f - 1.0f;
  *emb_out = emb;
  int64_t shape[2] = {(int64_t)n, (int64_t)dim};
  zr_tensor t;
  if (emb && zr_tensor_init(&t, ZR_DT_FLOAT32, 4, 2, shape, emb, NULL) == ZR_OK)
    zr_map_put_cstr(d, &root, "embeddings", zr_tensor_value(d, &t));
  zr_map_put_cstr(d, &root, "model", zr_cstr_ref("encoder-v3"));
  zr_map_put_cstr(d, &root, "created", zr_timestamp(d, 1795000000000, ZR_TU_MILLI, "UTC"));
  return root;
}

int main(int argc, char **argv) {
  size_t n = 100000, dim = 64;
  const char *out_path = "quickstart.zrl";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--small") == 0)
      n = 1000, dim = 16;
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
      out_path = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--small] [--out PATH]\n", argv[0]);
      return 2;
    }
  }
  zr_error e;
  zr_error_clear(&e);
  const zr_format *bin = zr_format_by_name("binary");
  const zr_format *json = zr_format_by_name("json");
  if (!bin || !json) {
    fprintf(stderr, "quickstart: the binary and json formats must be built in\n");
    return 1;
  }

  /* 1. build */
  double t0 = now_s();
  zr_doc *doc = zr_doc_new(NULL);
  float *emb = NULL;
  zr_value root = doc ? build(doc, n, dim, &emb) : zr_null();
  if (!doc || zr_doc_status(doc) != ZR_OK || !emb) {
    fprintf(stderr, "quickstart: out of memory building the value\n");
    zr_doc_free(doc);
    return 1;
  }
  double t_build = now_s() - t0;

  /* 2. encode: binary, in place inside an envelope, into memory; then one atomic file write */
  zr_sink *mem = NULL, *file = NULL;
  int rc = 1;
  zr_doc *back = NULL;
  zr_source *src = NULL;
  zr_envelope env;
  memset(&env, 0, sizeof env);
  zr_envelope_kv kv[] = {{{"example", 7}, {"quickstart", 10}}};
  zr_envelope_meta meta = {.has_created_at = 1,
                           .created_at_ns = (int64_t)time(NULL) * 1000000000,
                           .producer = {"example_quickstart", 18},
                           .kv = kv,
                           .n_kv = 1};
  zr_envelope_params ep = {.format_id = bin->id, .meta = &meta};
  zr_envelope_writer w;
  t0 = now_s();
  if (check(zr_sink_memory_new(NULL, &mem, &e), "sink", &e) ||
      check(zr_envelope_begin(mem, &ep, &w, &e), "envelope", &e) ||
      check(bin->encode(&root, NULL, mem, &e), "binary encode", &e) || check(zr_envelope_end(&w, &e), "envelope", &e))
    goto done;
  double t_encode = now_s() - t0;
  const uint8_t *bytes;
  size_t nbytes;
  zr_sink_memory_data(mem, &bytes, &nbytes);
  t0 = now_s();
  if (check(zr_sink_file_new(out_path, &file, &e), out_path, &e) ||
      check(zr_sink_write(file, bytes, nbytes, &e), out_path, &e) || check(zr_sink_finish(file, &e), out_path, &e))
    goto done;
  double t_write = now_s() - t0;

  /* JSON of the same value, for comparison (tensor as nested lists) */
  zr_sink *js = NULL;
  t0 = now_s();
  if (check(zr_sink_memory_new(NULL, &js, &e), "sink", &e)) goto done;
  zr_status jst = json->encode(&root, NULL, js, &e);
  double t_json = now_s() - t0;
  uint64_t json_bytes = zr_sink_size(js);
  zr_sink_free(js);
  if (check(jst, "json encode", &e)) goto done;

  /* 3. read back: map the file, verify the envelope, inspect, decode zero-copy */
  t0 = now_s();
  const uint8_t *data;
  size_t len;
  if (check(zr_source_mmap_new(out_path, &src, &e), out_path, &e) ||
      check(zr_source_contiguous(src, &data, &len), "map", &e) ||
      check(zr_envelope_parse(data, len, NULL, &env, &e), "envelope verify", &e))
    goto done;
  double t_verify = now_s() - t0;
  const zr_format *f = zr_format_by_id(env.header.format_id);
  if (!f || !f->inspect) {
    fprintf(stderr, "quickstart: envelope names format %u\n", env.header.format_id);
    goto done;
  }
  zr_sink *isink = NULL;
  if (check(zr_sink_memory_new(NULL, &isink, &e), "sink", &e)) goto done;
  zr_status ist = f->inspect(env.payload, env.payload_len, isink, &e);
  const uint8_t *itxt;
  size_t ilen;
  zr_sink_memory_data(isink, &itxt, &ilen);
  if (ist == ZR_OK)
    printf("inspect:  %.*s%s\n", (int)(ilen > 160 ? 160 : ilen), (const char *)itxt, ilen > 160 ? "..." : "");
  zr_sink_free(isink);
  if (check(ist, "inspect", &e)) goto done;
  t0 = now_s();
  if (check(f->decode(env.payload, env.payload_len, NULL, &back, &e), "decode", &e)) goto done;
  double t_decode = now_s() - t0;

  /* 4. deep equality */
  t0 = now_s();
  int equal = zr_value_equal(&root, zr_doc_root(back));
  double t_equal = now_s() - t0;
  const zr_value *be = zr_map_get(zr_doc_root(back), "embeddings", 10);
  int zero_copy = be && be->kind == ZR_KIND_TENSOR && (const uint8_t *)be->u.tensor->data >= data &&
                  (const uint8_t *)be->u.tensor->data < data + len;

  double mb = (double)nbytes / 1e6;
  printf("records:  %zu, tensor float32[%zu, %zu] (%.1f MB)\n", n, n, dim, (double)(n * dim * 4) / 1e6);
  printf("file:     %s, %zu bytes (envelope metadata %u bytes, payload %llu bytes at offset %u)\n", out_path, nbytes,
         (unsigned)env.header.metadata_len, (unsigned long long)env.header.payload_len,
         (unsigned)env.header.payload_offset);
  printf("json:     %llu bytes (%.2fx the binary frame)\n", (unsigned long long)json_bytes,
         (double)json_bytes / (double)nbytes);
  printf("timings:  build %.1f ms, encode %.1f ms (%.0f MB/s), write %.1f ms, json encode %.1f ms,\n", t_build * 1e3,
         t_encode * 1e3, mb / t_encode, t_write * 1e3, t_json * 1e3);
  printf("          map+verify %.1f ms (%.0f MB/s), decode %.1f ms (%.0f MB/s), compare %.1f ms\n", t_verify * 1e3,
         mb / t_verify, t_decode * 1e3, mb / t_decode, t_equal * 1e3);
  printf("zero-copy tensor from the mapping: %s\n", zero_copy ? "yes" : "no");
  printf("round trip: %s\n", equal ? "equal" : "DIFFERENT");
  rc = equal ? 0 : 1;
done:
  zr_doc_free(back); /* views into the mapping: free before the source */
  zr_envelope_clear(&env);
  zr_source_free(src);
  zr_sink_free(file);
  zr_sink_free(mem);
  zr_doc_free(doc);
  return rc;
}
