/* Benchmark: zerial binary vs msgpack-c and libcbor on 1,000,000 records
 *   {"id": int, "name": 12-char string, "score": double, "tags": [3 short strings], "active": bool}
 * encode, decode to a tree, decode + walk (sum ids and scores, total string lengths), encoded
 * size; plus a 100M-element float64 tensor: encode vs memcpy of the same bytes (both into
 * pre-faulted memory; zerial through a reserving fixed-memory sink) and zero-copy decode.
 * Medians of RUNS runs. Prints a table and writes <out>/records.json.
 *
 * Usage: bench_records [--out DIR] [--records N] [--floats N] [--runs N] [--wall] [--keep-memory] [--no-cbor]
 *   --keep-memory: glibc keeps freed memory in the process (no mmap, no trim), for every library
 *   alike, so repeated decodes reuse pages instead of paying a page fault per fresh page; the
 *   results then go to records-keep-memory.json. */
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_util.h"
#include "zerial/binary.h"
#include "zerial/zerial.h"
#ifdef ZR_HAVE_MSGPACK
#include <msgpack.h>
#endif
#ifdef ZR_HAVE_CBOR
#include <cbor.h>
#endif

/* CPU time of this process (user + system, page faults included): the machine that runs this is
 * shared, and CPU time is far less disturbed by other tenants than wall time. --wall switches. */
static clockid_t bench_clock = CLOCK_PROCESS_CPUTIME_ID;
static double now_ms(void) { return bench_ms(bench_clock); }

static void die(const char *what) {
  fprintf(stderr, "bench_records: %s\n", what);
  exit(1);
}

/* ---- the source records ---- */
typedef struct rec {
  int64_t id;
  char name[16];
  double score;
  const char *tags[3];
  int active;
} rec;

static const char *const TAGS[] = {"red", "green", "blue", "alpha", "beta", "gamma", "delta", "x"};

typedef struct acc {
  int64_t ids;
  double scores;
  uint64_t strlens;
} acc;

static int acc_eq(acc a, acc b) { return a.ids == b.ids && a.scores == b.scores && a.strlens == b.strlens; }

/* ---- zerial ---- */
static void zr_walk(const zr_value *v, acc *a) {
  switch (v->kind) {
    case ZR_KIND_INT: a->ids += v->u.i; break;
    case ZR_KIND_FLOAT: a->scores += v->u.f; break;
    case ZR_KIND_STRING: a->strlens += v->n.len; break;
    case ZR_KIND_LIST:
    case ZR_KIND_TUPLE:
      for (uint64_t i = 0; i < v->n.len; i++) zr_walk(&v->u.items[i], a);
      break;
    case ZR_KIND_MAP:
      for (uint64_t i = 0; i < v->n.len; i++) zr_walk(&v->u.members[i].val, a);
      break;
    default: break;
  }
}

#ifdef ZR_HAVE_MSGPACK
static void mp_pack(msgpack_packer *pk, const rec *r, size_t n, int as_array) {
  if (as_array) msgpack_pack_array(pk, n);
  for (size_t i = 0; i < n; i++) {
    msgpack_pack_map(pk, 5);
    msgpack_pack_str(pk, 2);
    msgpack_pack_str_body(pk, "id", 2);
    msgpack_pack_int64(pk, r[i].id);
    msgpack_pack_str(pk, 4);
    msgpack_pack_str_body(pk, "name", 4);
    size_t nl = strlen(r[i].name);
    msgpack_pack_str(pk, nl);
    msgpack_pack_str_body(pk, r[i].name, nl);
    msgpack_pack_str(pk, 5);
    msgpack_pack_str_body(pk, "score", 5);
    msgpack_pack_double(pk, r[i].score);
    msgpack_pack_str(pk, 4);
    msgpack_pack_str_body(pk, "tags", 4);
    msgpack_pack_array(pk, 3);
    for (int k = 0; k < 3; k++) {
      size_t tl = strlen(r[i].tags[k]);
      msgpack_pack_str(pk, tl);
      msgpack_pack_str_body(pk, r[i].tags[k], tl);
    }
    msgpack_pack_str(pk, 6);
    msgpack_pack_str_body(pk, "active", 6);
    if (r[i].active) msgpack_pack_true(pk);
    else msgpack_pack_false(pk);
  }
}

static void mp_walk(const msgpack_object *o, acc *a) {
  switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER: a->ids += (int64_t)o->via.u64; break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: a->ids += o->via.i64; break;
    case MSGPACK_OBJECT_FLOAT64:
    case MSGPACK_OBJECT_FLOAT32: a->scores += o->via.f64; break;
    case MSGPACK_OBJECT_STR: a->strlens += o->via.str.size; break;
    case MSGPACK_OBJECT_ARRAY:
      for (uint32_t i = 0; i < o->via.array.size; i++) mp_walk(&o->via.array.ptr[i], a);
      break;
    case MSGPACK_OBJECT_MAP:
      for (uint32_t i = 0; i < o->via.map.size; i++) mp_walk(&o->via.map.ptr[i].val, a);
      break;
    default: break;
  }
}
#endif

#ifdef ZR_HAVE_CBOR
static cbor_item_t *cb_build(const rec *r, size_t n) {
  cbor_item_t *arr = cbor_new_definite_array(n);
  for (size_t i = 0; i < n; i++) {
    cbor_item_t *m = cbor_new_definite_map(5);
    cbor_map_add(m, (struct cbor_pair){cbor_move(cbor_build_string("id")), cbor_move(cbor_build_uint32((uint32_t)r[i].id))});
    cbor_map_add(m, (struct cbor_pair){cbor_move(cbor_build_string("name")), cbor_move(cbor_build_string(r[i].name))});
    cbor_map_add(m, (struct cbor_pair){cbor_move(cbor_build_string("score")), cbor_move(cbor_build_float8(r[i].score))});
    cbor_item_t *tags = cbor_new_definite_array(3);
    for (int k = 0; k < 3; k++) cbor_array_push(tags, cbor_move(cbor_build_string(r[i].tags[k])));
    cbor_map_add(m, (struct cbor_pair){cbor_move(cbor_build_string("tags")), cbor_move(tags)});
    cbor_map_add(m, (struct cbor_pair){cbor_move(cbor_build_string("active")), cbor_move(cbor_build_bool(r[i].active))});
    cbor_array_push(arr, cbor_move(m));
  }
  return arr;
}

static void cb_walk(cbor_item_t *it, acc *a) {
  switch (cbor_typeof(it)) {
    case CBOR_TYPE_UINT: a->ids += (int64_t)cbor_get_int(it); break;
    case CBOR_TYPE_NEGINT: a->ids += -1 - (int64_t)cbor_get_int(it); break;
    case CBOR_TYPE_FLOAT_CTRL:
      if (cbor_float_get_width(it) != CBOR_FLOAT_0) a->scores += cbor_float_get_float(it);
      break;
    case CBOR_TYPE_STRING: a->strlens += cbor_string_length(it); break;
    case CBOR_TYPE_ARRAY: {
      size_t n = cbor_array_size(it);
      cbor_item_t **h = cbor_array_handle(it);
      for (size_t i = 0; i < n; i++) cb_walk(h[i], a);
      break;
    }
    case CBOR_TYPE_MAP: {
      size_t n = cbor_map_size(it);
      struct cbor_pair *h = cbor_map_handle(it);
      for (size_t i = 0; i < n; i++) cb_walk(h[i].value, a);
      break;
    }
    default: break;
  }
}
#endif

/* One streaming pass of zerial: 64 KiB chunks into a buffer, each record decoded into one reused
 * doc (zr_binary_decode_next) and walked. Returns the time in ms. */
static double zr_stream_pass(const uint8_t *seqd, size_t seqn, acc expect);
/* One streaming pass of msgpack-c: msgpack_unpacker fed 64 KiB chunks, each record walked. */
static double mp_stream_pass(const char *seq, size_t seqn, acc expect);

#define MAXRUNS 32

/* Median ms of @p runs binary encodes of @p v: into the fixed memory @p dst (@p cap bytes) when
 * given, else into a new growable memory sink each time (made outside the timed part). */
static double encode_median(const zr_value *v, uint8_t *dst, size_t cap, int runs, double *t, const char *what) {
  for (int r = 0; r < runs; r++) {
    zr_sink *s;
    if (dst) zr_sink_fixed_new(dst, cap, &s, NULL);
    else zr_sink_memory_new(NULL, &s, NULL);
    double t0 = now_ms();
    if (zr_binary_encode(v, NULL, s, NULL) != ZR_OK) die(what);
    t[r] = now_ms() - t0;
    zr_sink_free(s);
  }
  return bench_median(t, runs);
}

/* Median ms of @p runs binary decodes of @p n bytes at @p buf into a new doc each time. With
 * @p tensor_view, the root must be a tensor viewing @p buf at a 64-byte aligned address. */
static double decode_median(const uint8_t *buf, size_t n, int tensor_view, int runs, double *t, const char *what) {
  for (int r = 0; r < runs; r++) {
    zr_doc *d;
    double t0 = now_ms();
    if (zr_binary_decode(buf, n, NULL, &d, NULL) != ZR_OK) die(what);
    t[r] = now_ms() - t0;
    if (tensor_view) {
      const zr_tensor *dt = zr_doc_root(d)->u.tensor;
      if ((const uint8_t *)dt->data < buf || (const uint8_t *)dt->data >= buf + n || ((uintptr_t)dt->data & 63))
        die("not a view");
    }
    zr_doc_free(d);
  }
  return bench_median(t, runs);
}

int main(int argc, char **argv) {
  const char *out_dir = "bench/results";
  size_t N = 1000000, NF = 100000000;
  int runs = 5, keep_memory = 0, no_cbor = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--out") && i + 1 < argc) out_dir = argv[++i];
    else if (!strcmp(argv[i], "--records") && i + 1 < argc) N = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--floats") && i + 1 < argc) NF = strtoull(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--wall")) bench_clock = CLOCK_MONOTONIC;
    else if (!strcmp(argv[i], "--keep-memory")) keep_memory = 1;
    else if (!strcmp(argv[i], "--no-cbor")) no_cbor = 1;
    else if (!strcmp(argv[i], "--small")) N = 10000, NF = 1000000, runs = 3;
  }
  if (keep_memory) {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
  }
  if (runs < 1) runs = 1;
  if (runs > MAXRUNS) runs = MAXRUNS;
  double t[MAXRUNS];

  /* the records */
  rec *recs = malloc(N * sizeof *recs);
  uint64_t seed = 42;
  acc expect = {0, 0, 0};
  for (size_t i = 0; i < N; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    recs[i].id = (int64_t)(i * 7 + (seed >> 60));
    snprintf(recs[i].name, sizeof recs[i].name, "user_%07zu", (i * 7919) % 10000000);
    recs[i].score = (double)(seed >> 11) / 9007199254740992.0 * 100.0;
    for (int k = 0; k < 3; k++) recs[i].tags[k] = TAGS[(seed >> (8 * k)) & 7];
    recs[i].active = (int)((seed >> 40) & 1);
    expect.ids += recs[i].id;
    expect.scores += recs[i].score;
    expect.strlens += strlen(recs[i].name);
    for (int k = 0; k < 3; k++) expect.strlens += strlen(recs[i].tags[k]);
  }

  /* ---------------- zerial ---------------- */
  zr_doc *src = zr_doc_new(NULL);
  zr_value list = zr_list_new(src, N);
  for (size_t i = 0; i < N; i++) {
    zr_value m = zr_map_new(src, 5);
    zr_map_put(src, &m, zr_str_ref("id", 2), zr_int(recs[i].id));
    zr_map_put(src, &m, zr_str_ref("name", 4), zr_str_ref(recs[i].name, strlen(recs[i].name)));
    zr_map_put(src, &m, zr_str_ref("score", 5), zr_float(recs[i].score));
    zr_value tags = zr_list_new(src, 3);
    for (int k = 0; k < 3; k++) zr_list_push(src, &tags, zr_cstr_ref(recs[i].tags[k]));
    zr_map_put(src, &m, zr_str_ref("tags", 4), tags);
    zr_map_put(src, &m, zr_str_ref("active", 6), zr_bool(recs[i].active));
    zr_list_push(src, &list, m);
  }
  if (zr_doc_status(src) != ZR_OK) die("building the zerial tree");
  uint64_t zsize = 0;
  if (zr_binary_encoded_size(&list, NULL, &zsize, NULL) != ZR_OK) die("size");
  uint8_t *zbuf = aligned_alloc(64, (zsize + 64 + 63) / 64 * 64);
  memset(zbuf, 0, zsize + 64);
  double zr_enc, zr_enc_cold, zr_dec, zr_walk_ms;
  zr_enc = encode_median(&list, zbuf, zsize + 64, runs, t, "zerial encode"); /* warm: pre-faulted memory, in place */
  zr_enc_cold = encode_median(&list, NULL, 0, runs, t, "zerial encode");    /* cold: a new growable sink */
  zr_dec = decode_median(zbuf, zsize, 0, runs, t, "zerial decode");
  acc za = {0, 0, 0};
  for (int r = 0; r < runs; r++) {
    zr_doc *d;
    acc a = {0, 0, 0};
    double t0 = now_ms();
    if (zr_binary_decode(zbuf, zsize, NULL, &d, NULL) != ZR_OK) die("zerial decode");
    zr_walk(zr_doc_root(d), &a);
    t[r] = now_ms() - t0;
    zr_doc_free(d);
    za = a;
  }
  zr_walk_ms = bench_median(t, runs);
  if (!acc_eq(za, expect)) die("zerial walk sums differ");
  double zr_dec_copy;
  for (int r = 0; r < runs; r++) {
    zr_decode_opts o;
    zr_decode_opts_init(&o);
    o.copy = 1;
    zr_doc *d;
    double t0 = now_ms();
    if (zr_binary_decode(zbuf, zsize, &o, &d, NULL) != ZR_OK) die("zerial decode");
    t[r] = now_ms() - t0;
    zr_doc_free(d);
  }
  zr_dec_copy = bench_median(t, runs);
  /* decode to a tree into one reused doc (zr_binary_decode_into): from the second run on, the
   * doc's kept memory holds the tree, as a long-running reader would reuse it */
  double zr_dec_reuse;
  {
    zr_doc *rd = zr_doc_new(NULL);
    if (zr_binary_decode_into(zbuf, zsize, NULL, rd, NULL) != ZR_OK) die("zerial decode_into");
    for (int r = 0; r < runs; r++) {
      double t0 = now_ms();
      if (zr_binary_decode_into(zbuf, zsize, NULL, rd, NULL) != ZR_OK) die("zerial decode_into");
      t[r] = now_ms() - t0;
    }
    zr_dec_reuse = bench_median(t, runs);
    zr_doc_free(rd);
  }
  /* streaming, the same shape of work as msgpack-c's streaming unpacker below: the records
   * written as a sequence of encodings (one per record), fed in 64 KiB chunks into a buffer,
   * each record decoded to a tree in one reused doc (zr_binary_decode_next) and walked as it
   * completes */
  double zr_stream = 0;
  size_t zseq_size = 0;
  zr_sink *zseq_sink = NULL;
  const uint8_t *zseq_data = NULL;
  {
    zr_sink *ss;
    zr_sink_memory_new(NULL, &ss, NULL);
    for (size_t i = 0; i < N; i++)
      if (zr_binary_encode(&list.u.items[i], NULL, ss, NULL) != ZR_OK) die("zerial encode record");
    const uint8_t *seqd;
    size_t seqn;
    if (zr_sink_memory_data(ss, &seqd, &seqn) != ZR_OK) die("sink data");
    zseq_size = seqn;
    for (int r = 0; r < runs; r++) t[r] = zr_stream_pass(seqd, seqn, expect);
    zr_stream = bench_median(t, runs);
    zseq_sink = ss;
    zseq_data = seqd;
  }
  printf("records: %zu, runs: %d (medians, ms of %s time)\n", N, runs, bench_clock == CLOCK_MONOTONIC ? "wall" : "CPU");
  printf("%-10s %10s %10s %12s %12s %12s %12s\n", "", "bytes", "encode", "encode-cold", "decode-tree", "stream-walk", "decode+walk");
  printf("%-10s %10" PRIu64 " %10.1f %12.1f %12.1f %12.1f %12.1f   (copy-mode decode %.1f; into a reused doc %.1f; stream %zu bytes)\n",
         "zerial", zsize, zr_enc, zr_enc_cold, zr_dec, zr_stream, zr_walk_ms, zr_dec_copy, zr_dec_reuse, zseq_size);

  /* ---------------- msgpack-c ---------------- */
  double mp_enc = 0, mp_enc_tree = 0, mp_enc_cold = 0, mp_dec = 0, mp_stream = 0, mp_walk_ms = 0;
  size_t mp_size = 0, mp_seq_size = 0;
  double zr_stream_alt = 0, mp_stream_alt = 0, zr_enc_alt = 0, mp_enc_alt = 0;
#ifdef ZR_HAVE_MSGPACK
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  for (int r = 0; r < runs; r++) { /* warm: the sbuffer keeps its capacity */
    msgpack_sbuffer_clear(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    double t0 = now_ms();
    mp_pack(&pk, recs, N, 1);
    t[r] = now_ms() - t0;
  }
  mp_enc = bench_median(t, runs);
  mp_size = sb.size;
  for (int r = 0; r < runs; r++) {
    msgpack_sbuffer cold;
    msgpack_sbuffer_init(&cold);
    msgpack_packer_init(&pk, &cold, msgpack_sbuffer_write);
    double t0 = now_ms();
    mp_pack(&pk, recs, N, 1);
    t[r] = now_ms() - t0;
    msgpack_sbuffer_destroy(&cold);
  }
  mp_enc_cold = bench_median(t, runs);
  for (int r = 0; r < runs; r++) {
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    double t0 = now_ms();
    if (msgpack_unpack_next(&up, sb.data, sb.size, &off) != MSGPACK_UNPACK_SUCCESS) die("msgpack unpack");
    t[r] = now_ms() - t0;
    msgpack_unpacked_destroy(&up);
  }
  mp_dec = bench_median(t, runs);
  acc ma = {0, 0, 0};
  for (int r = 0; r < runs; r++) {
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    acc a = {0, 0, 0};
    double t0 = now_ms();
    if (msgpack_unpack_next(&up, sb.data, sb.size, &off) != MSGPACK_UNPACK_SUCCESS) die("msgpack unpack");
    mp_walk(&up.data, &a);
    t[r] = now_ms() - t0;
    msgpack_unpacked_destroy(&up);
    ma = a;
  }
  mp_walk_ms = bench_median(t, runs);
  if (!acc_eq(ma, expect)) die("msgpack walk sums differ");
  { /* encode from a tree, like zerial does: msgpack_pack_object over its own object tree */
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    if (msgpack_unpack_next(&up, sb.data, sb.size, &off) != MSGPACK_UNPACK_SUCCESS) die("msgpack unpack");
    msgpack_sbuffer tb;
    msgpack_sbuffer_init(&tb);
    for (int r = 0; r < runs; r++) {
      msgpack_sbuffer_clear(&tb);
      msgpack_packer_init(&pk, &tb, msgpack_sbuffer_write);
      double t0 = now_ms();
      msgpack_pack_object(&pk, up.data);
      t[r] = now_ms() - t0;
    }
    mp_enc_tree = bench_median(t, runs);
    msgpack_sbuffer_destroy(&tb);
    msgpack_unpacked_destroy(&up);
  }
  /* streaming: records packed as a sequence, fed to msgpack_unpacker in 64 KiB chunks, each
   * record walked as it completes */
  msgpack_sbuffer seq;
  msgpack_sbuffer_init(&seq);
  msgpack_packer_init(&pk, &seq, msgpack_sbuffer_write);
  mp_pack(&pk, recs, N, 0);
  mp_seq_size = seq.size;
  for (int r = 0; r < runs; r++) t[r] = mp_stream_pass(seq.data, seq.size, expect);
  mp_stream = bench_median(t, runs);
  /* the two streaming passes again, alternating run by run, so both see the same machine load */
  {
    double tz[MAXRUNS], tm[MAXRUNS];
    for (int r = 0; r < runs; r++) {
      tz[r] = zr_stream_pass(zseq_data, zseq_size, expect);
      tm[r] = mp_stream_pass(seq.data, seq.size, expect);
    }
    zr_stream_alt = bench_median(tz, runs);
    mp_stream_alt = bench_median(tm, runs);
  }
  msgpack_sbuffer_destroy(&seq);
  /* the two encoders again, alternating run by run (each exactly as above: zerial into the
   * pre-faulted fixed sink, msgpack-c into its reused sbuffer), so both see the same load */
  {
    double tz[MAXRUNS], tm[MAXRUNS];
    for (int r = 0; r < runs; r++) {
      zr_sink *s;
      zr_sink_fixed_new(zbuf, zsize + 64, &s, NULL);
      double t0 = now_ms();
      if (zr_binary_encode(&list, NULL, s, NULL) != ZR_OK) die("zerial encode");
      tz[r] = now_ms() - t0;
      zr_sink_free(s);
      msgpack_sbuffer_clear(&sb);
      msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
      t0 = now_ms();
      mp_pack(&pk, recs, N, 1);
      tm[r] = now_ms() - t0;
    }
    zr_enc_alt = bench_median(tz, runs);
    mp_enc_alt = bench_median(tm, runs);
  }
  msgpack_sbuffer_destroy(&sb);
  printf("%-10s %10zu %10.1f %12.1f %12.1f %12.1f %12.1f   (encode from its object tree %.1f)\n", "msgpack-c", mp_size, mp_enc,
         mp_enc_cold, mp_dec, mp_stream, mp_walk_ms, mp_enc_tree);
#endif

  /* ---------------- libcbor ---------------- */
  double cb_enc = 0, cb_dec = 0, cb_walk_ms = 0;
  size_t cb_size = 0;
#ifdef ZR_HAVE_CBOR
  if (!no_cbor) {
  cbor_item_t *ci = cb_build(recs, N);
  size_t cap = zsize * 2 + 1024;
  unsigned char *cbuf = malloc(cap);
  memset(cbuf, 0, cap);
  for (int r = 0; r < runs; r++) {
    double t0 = now_ms();
    cb_size = cbor_serialize(ci, cbuf, cap);
    t[r] = now_ms() - t0;
    if (!cb_size) die("cbor serialize");
  }
  cb_enc = bench_median(t, runs);
  cbor_decref(&ci);
  acc ca = {0, 0, 0};
  for (int pass = 0; pass < 2; pass++) {
    for (int r = 0; r < runs; r++) {
      struct cbor_load_result res;
      acc a = {0, 0, 0};
      double t0 = now_ms();
      cbor_item_t *it = cbor_load(cbuf, cb_size, &res);
      if (!it) die("cbor load");
      if (pass) cb_walk(it, &a);
      t[r] = now_ms() - t0;
      cbor_decref(&it);
      ca = a;
    }
    if (pass) cb_walk_ms = bench_median(t, runs);
    else cb_dec = bench_median(t, runs);
  }
  if (!acc_eq(ca, expect)) die("cbor walk sums differ");
  free(cbuf);
  printf("%-10s %10zu %10.1f %12s %12.1f %12s %12.1f\n", "libcbor", cb_size, cb_enc, "-", cb_dec, "-", cb_walk_ms);
  }
#endif

  /* ---------------- 100M float64 tensor ---------------- */
  size_t fbytes = NF * sizeof(double);
  double *fsrc = aligned_alloc(64, fbytes);
  for (size_t i = 0; i < NF; i++) fsrc[i] = (double)i * 0.5;
  zr_doc *fd = zr_doc_new(NULL);
  zr_tensor ft;
  int64_t fshape = (int64_t)NF;
  zr_tensor_init(&ft, ZR_DT_FLOAT64, 8, 1, &fshape, fsrc, NULL);
  zr_value fv = zr_tensor_value(fd, &ft);
  uint64_t fsize = 0;
  zr_binary_encoded_size(&fv, NULL, &fsize, NULL);
  size_t fcap = (size_t)fsize + 64;
  uint8_t *fdst = aligned_alloc(64, (fcap + 63) / 64 * 64);
  memset(fdst, 1, fcap); /* pre-fault */
  double f_enc, f_memcpy;
  for (int r = 0; r < runs; r++) {
    double t0 = now_ms();
    memcpy(fdst, fsrc, fbytes);
    t[r] = now_ms() - t0;
  }
  f_memcpy = bench_median(t, runs);
  f_enc = encode_median(&fv, fdst, fcap, runs, t, "tensor encode");
  double f_dec_big, f_dec_small;
  f_dec_big = decode_median(fdst, (size_t)fsize, 1, runs, t, "tensor decode");
  /* the same decode over a 1,000-element tensor: constant time means the same figure */
  {
    int64_t small = 1000;
    zr_tensor st;
    zr_tensor_init(&st, ZR_DT_FLOAT64, 8, 1, &small, fsrc, NULL);
    zr_value sv = zr_tensor_value(fd, &st);
    zr_sink *s;
    zr_sink_fixed_new(fdst, fcap, &s, NULL);
    zr_binary_encode(&sv, NULL, s, NULL);
    size_t slen = (size_t)zr_sink_size(s);
    zr_sink_free(s);
    f_dec_small = decode_median(fdst, slen, 0, runs, t, "tensor decode");
  }
  printf("float64 x %zu (%zu MB): memcpy %.1f ms, zerial encode %.1f ms (%.2fx memcpy), zero-copy decode %.4f ms "
         "(1,000 elements: %.4f ms)\n",
         NF, fbytes >> 20, f_memcpy, f_enc, f_memcpy / f_enc, f_dec_big, f_dec_small);

  /* ---------------- ratios and JSON ---------------- */
  double r_enc_mp = mp_enc ? mp_enc / zr_enc : 0, r_enc_cb = cb_enc ? cb_enc / zr_enc : 0;
  double r_dec_mp = mp_dec ? mp_dec / zr_dec : 0, r_dec_stream = mp_stream ? mp_stream / zr_dec : 0;
  double r_dec_cb = cb_dec ? cb_dec / zr_dec : 0;
  double r_stream = mp_stream && zr_stream ? mp_stream / zr_stream : 0, r_reuse_stream = mp_stream ? mp_stream / zr_dec_reuse : 0;
  double r_walk_mp = mp_walk_ms ? mp_walk_ms / zr_walk_ms : 0, r_walk_stream = mp_stream ? mp_stream / zr_walk_ms : 0;
  double r_size = mp_size ? (double)zsize / (double)mp_size : 0;
  double r_float = f_memcpy / f_enc;
  printf("speedups (peer time / zerial time):\n");
  printf("  encode:             %.2fx msgpack-c from structs (target >= 2), %.2fx msgpack-c from its object tree, %.2fx libcbor (target >= 1); cold %.2fx msgpack-c\n",
         r_enc_mp, mp_enc_tree ? mp_enc_tree / zr_enc : 0, r_enc_cb, mp_enc_cold ? mp_enc_cold / zr_enc_cold : 0);
  printf("                      alternating run by run: zerial %.1f ms, msgpack-c from structs %.1f ms: %.2fx\n", zr_enc_alt, mp_enc_alt,
         zr_enc_alt > 0 ? mp_enc_alt / zr_enc_alt : 0);
  printf("  decode to a tree:   %.2fx msgpack-c one-zone (target >= 3), %.2fx msgpack-c streaming unpack+walk (target >= 1.5), %.2fx libcbor\n",
         r_dec_mp, r_dec_stream, r_dec_cb);
  printf("  decode + walk:      %.2fx msgpack-c one-zone + walk, %.2fx msgpack-c streaming\n", r_walk_mp, r_walk_stream);
  printf("  streaming:          zerial decode-to-tree + walk per record in a reused doc %.2fx msgpack-c streaming unpack+walk (target >= 1.5);\n"
         "                      whole tree into a reused doc %.2fx msgpack-c streaming unpack+walk\n", r_stream, r_reuse_stream);
  printf("                      alternating run by run: zerial %.1f ms, msgpack-c %.1f ms: %.2fx\n", zr_stream_alt, mp_stream_alt,
         zr_stream_alt > 0 ? mp_stream_alt / zr_stream_alt : 0);
  printf("  size:               %.4f of msgpack (target <= 1)\n", r_size);
  printf("  float64 encode:     %.2fx memcpy speed (target >= 0.8)\n", r_float);

  char path[4096];
  mkdir(out_dir, 0755);
  snprintf(path, sizeof path, "%s/records%s.json", out_dir, keep_memory ? "-keep-memory" : "");
  FILE *f = fopen(path, "w");
  if (!f) die("cannot write records.json");
  fprintf(f,
          "{\n  \"benchmark\": \"records\",\n  \"records\": %zu,\n  \"runs\": %d,\n  \"malloc\": \"%s\",\n  \"unit\": \"ms (median of %s time)\",\n"
          "  \"zerial\": {\"bytes\": %" PRIu64 ", \"encode\": %.3f, \"encode_cold\": %.3f, \"decode_tree\": %.3f, \"decode_tree_copy\": %.3f, \"decode_walk\": %.3f,\n"
          "             \"decode_tree_reused_doc\": %.3f, \"stream_decode_walk\": %.3f, \"stream_bytes\": %zu,\n"
          "             \"stream_decode_walk_alternating\": %.3f, \"msgpack_stream_unpack_walk_alternating\": %.3f,\n"
          "             \"encode_alternating\": %.3f, \"msgpack_encode_alternating\": %.3f},\n"
          "  \"msgpack_c\": {\"bytes\": %zu, \"encode\": %.3f, \"encode_from_object_tree\": %.3f, \"encode_cold\": %.3f, \"unpack_one_zone\": %.3f, \"stream_unpack_walk\": %.3f, \"unpack_walk\": %.3f, \"stream_bytes\": %zu},\n"
          "  \"libcbor\": {\"bytes\": %zu, \"encode\": %.3f, \"load\": %.3f, \"load_walk\": %.3f},\n"
          "  \"float64_tensor\": {\"elements\": %zu, \"bytes\": %zu, \"memcpy\": %.3f, \"encode\": %.3f, \"decode_zero_copy\": %.5f, \"decode_zero_copy_1000_elements\": %.5f},\n"
          "  \"ratios\": {\"encode_vs_msgpack\": %.3f, \"encode_vs_msgpack_object_tree\": %.3f, \"encode_vs_cbor\": %.3f, \"decode_vs_msgpack_one_zone\": %.3f,\n"
          "             \"decode_vs_msgpack_stream_walk\": %.3f, \"decode_vs_cbor\": %.3f, \"walk_vs_msgpack_one_zone_walk\": %.3f,\n"
          "             \"size_vs_msgpack\": %.4f, \"float64_encode_vs_memcpy\": %.3f,\n"
          "             \"stream_decode_walk_vs_msgpack_stream_walk\": %.3f, \"decode_reused_doc_vs_msgpack_stream_walk\": %.3f,\n"
          "             \"encode_vs_msgpack_alternating\": %.3f},\n"
          "  \"targets_met\": {\"encode_2x_msgpack\": %s, \"encode_1x_cbor\": %s, \"decode_3x_msgpack_one_zone\": %s,\n"
          "                  \"decode_1_5x_msgpack_stream_walk\": %s, \"stream_decode_walk_1_5x_msgpack_stream_walk\": %s,\n"
          "                  \"size_le_msgpack\": %s, \"float64_encode_0_8x_memcpy\": %s}\n}\n",
          N, runs, keep_memory ? "keep-memory (M_MMAP_MAX=0, M_TRIM_THRESHOLD=INT_MAX)" : "glibc defaults", bench_clock == CLOCK_MONOTONIC ? "wall" : "CPU", zsize, zr_enc, zr_enc_cold, zr_dec, zr_dec_copy, zr_walk_ms, zr_dec_reuse, zr_stream, zseq_size, zr_stream_alt, mp_stream_alt, zr_enc_alt, mp_enc_alt, mp_size, mp_enc, mp_enc_tree, mp_enc_cold, mp_dec, mp_stream,
          mp_walk_ms, mp_seq_size, cb_size, cb_enc, cb_dec, cb_walk_ms, NF, fbytes, f_memcpy, f_enc, f_dec_big, f_dec_small, r_enc_mp,
          mp_enc_tree ? mp_enc_tree / zr_enc : 0, r_enc_cb, r_dec_mp, r_dec_stream, r_dec_cb, r_walk_mp, r_size, r_float, r_stream, r_reuse_stream, zr_enc_alt > 0 ? mp_enc_alt / zr_enc_alt : 0, r_enc_mp >= 2 ? "true" : "false",
          r_enc_cb >= 1 ? "true" : "false", r_dec_mp >= 3 ? "true" : "false", r_dec_stream >= 1.5 ? "true" : "false", r_stream >= 1.5 ? "true" : "false",
          r_size > 0 && r_size <= 1 ? "true" : "false", r_float >= 0.8 ? "true" : "false");
  fclose(f);
  printf("wrote %s\n", path);
  zr_sink_free(zseq_sink);
  free(fdst);
  free(fsrc);
  zr_doc_free(fd);
  free(zbuf);
  zr_doc_free(src);
  free(recs);
  return 0;
}

static double zr_stream_pass(const uint8_t *seqd, size_t seqn, acc expect) {
  zr_decode_opts o;
  zr_decode_opts_init(&o);
  acc a = {0, 0, 0};
  double t0 = now_ms();
  size_t cap = 1u << 17, have = 0, off = 0;
  uint8_t *buf = malloc(cap);
  zr_doc *rd = zr_doc_new(NULL);
  while (off < seqn) {
    size_t chunk = seqn - off < (1u << 16) ? seqn - off : (1u << 16);
    if (have + chunk > cap) die("stream buffer");
    memcpy(buf + have, seqd + off, chunk);
    have += chunk;
    off += chunk;
    size_t pos = 0;
    for (;;) {
      size_t used;
      zr_status st = zr_binary_decode_next(buf + pos, have - pos, &o, rd, &used, NULL);
      if (st == ZR_ERR_TRUNCATED) break;
      if (st != ZR_OK) die("zerial stream decode");
      zr_walk(zr_doc_root(rd), &a);
      pos += used;
    }
    memmove(buf, buf + pos, have - pos); /* keep the partial record */
    have -= pos;
  }
  if (have) die("zerial stream: trailing bytes");
  zr_doc_free(rd);
  free(buf);
  double ms = now_ms() - t0;
  if (!acc_eq(a, expect)) die("zerial stream sums differ");
  return ms;
}

static double mp_stream_pass(const char *seq, size_t seqn, acc expect) {
#ifdef ZR_HAVE_MSGPACK
  acc a = {0, 0, 0};
  double t0 = now_ms();
  msgpack_unpacker unp;
  msgpack_unpacker_init(&unp, 1 << 16);
  msgpack_unpacked up;
  msgpack_unpacked_init(&up);
  size_t off = 0;
  while (off < seqn) {
    size_t chunk = seqn - off < (1u << 16) ? seqn - off : (1u << 16);
    if (msgpack_unpacker_buffer_capacity(&unp) < chunk && !msgpack_unpacker_reserve_buffer(&unp, chunk)) die("reserve");
    memcpy(msgpack_unpacker_buffer(&unp), seq + off, chunk);
    msgpack_unpacker_buffer_consumed(&unp, chunk);
    off += chunk;
    while (msgpack_unpacker_next(&unp, &up) == MSGPACK_UNPACK_SUCCESS) mp_walk(&up.data, &a);
  }
  msgpack_unpacked_destroy(&up);
  msgpack_unpacker_destroy(&unp);
  double ms = now_ms() - t0;
  if (!acc_eq(a, expect)) die("msgpack stream sums differ");
  return ms;
#else
  (void)seq, (void)seqn, (void)expect;
  return 0;
#endif
}
