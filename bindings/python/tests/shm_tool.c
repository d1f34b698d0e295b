/* Test helper for the Python suite: the C side of cross-process shared-memory tests.
 *   shm_tool write NAME   create NAME: "x" float32[1000] = i/2, "meta" binary {"n": 1000, "label": "from C"}
 *   shm_tool read NAME    open NAME (verifying checksums) and print one JSON object describing it
 *   shm_tool bump NAME OBJ  open read-write and add 1 to element 0 of float32/float64 tensor OBJ */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zerial/alloc.h"
#include "zerial/io.h"
#include "zerial/status.h"
#include "zerial/tensor.h"
#include "zerial/value.h"
#include "zerial/format.h"
#include "zerial/shm.h"

static int fail(const char *what, const zr_error *err) {
  fprintf(stderr, "shm_tool: %s: %s\n", what, err->message);
  return 1;
}

static double element(const zr_shm_object *o, uint64_t i) {
  switch (o->dtype) {
    case ZR_DT_FLOAT32: return ((const float *)o->data)[i];
    case ZR_DT_FLOAT64: return ((const double *)o->data)[i];
    case ZR_DT_INT64: return (double)((const int64_t *)o->data)[i];
    case ZR_DT_INT32: return ((const int32_t *)o->data)[i];
    case ZR_DT_UINT8: return o->data[i];
    default: return 0;
  }
}

int main(int argc, char **argv) {
  zr_error err;
  if (argc >= 3 && strcmp(argv[1], "write") == 0) {
    zr_shm *r;
    if (zr_shm_create(argv[2], NULL, &r, &err)) return fail("create", &err);
    zr_tensor t;
    int64_t n = 1000;
    if (zr_shm_reserve_tensor(r, "x", ZR_DT_FLOAT32, 0, 1, &n, &t, &err)) return fail("reserve", &err);
    for (int64_t i = 0; i < n; i++) ((float *)t.data)[i] = (float)i / 2;
    if (zr_shm_commit(r, ZR_SHM_FORMAT_RAW, t.nbytes, 0, &err)) return fail("commit", &err);
    zr_doc *d = zr_doc_new(NULL);
    zr_value m = zr_map_new(d, 2);
    zr_map_put_cstr(d, &m, "n", zr_int(n));
    zr_map_put_cstr(d, &m, "label", zr_cstr_ref("from C"));
    if (zr_shm_put_value(r, "meta", ZR_FORMAT_ID_BINARY, &m, NULL, 0, &err)) return fail("put meta", &err);
    zr_doc_free(d);
    if (zr_shm_publish(r, &err)) return fail("publish", &err);
    zr_shm_close(r);
    puts("ok");
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "read") == 0) {
    zr_shm *r;
    if (zr_shm_open(argv[2], ZR_SHM_VERIFY, NULL, &r, &err)) return fail("open", &err);
    printf("{\"generation\": %llu, \"objects\": {", (unsigned long long)zr_shm_generation(r));
    for (size_t i = 0; i < zr_shm_count(r); i++) {
      zr_shm_object o;
      zr_shm_object_at(r, i, &o, &err);
      printf("%s\"%s\": {\"format\": %u, \"length\": %llu", i ? ", " : "", o.name, o.format,
             (unsigned long long)o.length);
      if (o.format == ZR_SHM_FORMAT_RAW && o.dtype) {
        uint64_t cnt = 1;
        for (uint32_t k = 0; k < o.ndim; k++) cnt *= (uint64_t)o.shape[k];
        double s = 0;
        for (uint64_t k = 0; k < cnt; k++) s += element(&o, k);
        printf(", \"dtype\": \"%s\", \"count\": %llu, \"sum\": %.17g", zr_dtype_name(o.dtype),
               (unsigned long long)cnt, s);
      } else if (o.format != ZR_SHM_FORMAT_RAW) {
        zr_doc *d;
        if (zr_shm_get_value(r, o.name, NULL, &d, &err)) return fail("decode", &err);
        zr_sink *s;
        zr_sink_memory_new(NULL, &s, &err);
        if (zr_value_to_json(zr_doc_root(d), 0, s, &err)) return fail("json", &err);
        const uint8_t *j;
        size_t jn;
        zr_sink_memory_data(s, &j, &jn);
        printf(", \"value\": %.*s", (int)jn, (const char *)j);
        zr_sink_free(s);
        zr_doc_free(d);
      }
      printf("}");
    }
    printf("}}\n");
    zr_shm_close(r);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "bump") == 0) {
    zr_shm *r;
    if (zr_shm_open(argv[2], ZR_SHM_WRITE, NULL, &r, &err)) return fail("open", &err);
    zr_tensor t;
    if (zr_shm_get_tensor(r, argv[3], &t, &err)) return fail("tensor", &err);
    if (t.dtype == ZR_DT_FLOAT32) ((float *)t.data)[0] += 1;
    else if (t.dtype == ZR_DT_FLOAT64) ((double *)t.data)[0] += 1;
    t.release(t.owner);
    zr_shm_close(r);
    puts("ok");
    return 0;
  }
  fprintf(stderr, "usage: shm_tool write|read NAME | bump NAME OBJ\n");
  return 2;
}
