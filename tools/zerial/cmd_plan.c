/* zerial plan --rows N --schema FILE: bytes on the wire and shared-memory size per format and
 * codec for N records of a schema, estimated from two serialized samples of synthetic rows
 * (linear in the row count: fixed bytes + bytes per row). --verify serializes all N rows as well
 * and prints the error of the estimate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zerial/schema.h"
#include "zerial/serialize.h"
#include "zerial/shm.h"

static int run(int argc, char **argv);

static const zr_cli_cmd cmd = {
    "plan",
    "estimate bytes on the wire and shared-memory size per format and codec for N records",
    "zerial plan --rows N --schema FILE [--string-bytes B] [--list-items K] [--formats A,B] [--codecs A,B] [--json] [--verify]",
    "FILE is a schema in zerial's JSON form (docs/formats/schema.md). Synthetic records are made\n"
    "from it (integers uniform in their type's range up to 2^31, floats random, strings of\n"
    "--string-bytes random letters (default 16), binaries of as many random bytes, lists of\n"
    "--list-items items (default 4); nulls are not generated). Two samples (S/2 and\n"
    "S rows, S = min(N, 2000)) are serialized with every format and codec through the manager;\n"
    "bytes = fixed + per-row x N. Compressed sizes assume data as random as the synthetic rows:\n"
    "real data usually compresses better. shm = bytes of a shared-memory region holding the\n"
    "uncompressed payload as one object (header and directory of 16 slots, 64-byte alignment,\n"
    "rounded up to 4 KiB pages).\n"
    "  --verify   also serialize all N rows and print the actual bytes and the estimate's error\n"
    "  --json     one JSON object\n",
    "  zerial plan --rows 1000000 --schema user.schema.json\n"
    "  zerial plan --rows 50000 --schema s.json --codecs none,zstd --verify\n",
    run,
};
ZR_CLI_REGISTER(cmd)

typedef struct gen {
  uint64_t s;
  int str_bytes, list_items;
} gen;

static uint64_t rnd(gen *g) {
  g->s ^= g->s << 13;
  g->s ^= g->s >> 7;
  g->s ^= g->s << 17;
  return g->s;
}

static zr_value gen_type(gen *g, zr_doc *d, const char *t, size_t tl);

static zr_value gen_string(gen *g, zr_doc *d, int text) {
  char *p = zr_doc_alloc(d, (size_t)g->str_bytes + 1, 1);
  if (!p) return zr_null();
  for (int i = 0; i < g->str_bytes; i++) p[i] = text ? (char)('a' + rnd(g) % 26) : (char)rnd(g);
  p[g->str_bytes] = 0;
  return text ? zr_str_ref(p, (size_t)g->str_bytes) : zr_bin_ref(p, (size_t)g->str_bytes);
}

static int starts(const char *t, size_t tl, const char *p) {
  size_t n = strlen(p);
  return tl >= n && memcmp(t, p, n) == 0;
}

/* A value for the readable type text t[0..tl) (zr_schema_field_type's form). */
static zr_value gen_type(gen *g, zr_doc *d, const char *t, size_t tl) {
  if (starts(t, tl, "bool")) return zr_bool((int)(rnd(g) & 1));
  if (starts(t, tl, "int8")) return zr_int((int64_t)(int8_t)rnd(g));
  if (starts(t, tl, "int16")) return zr_int((int64_t)(int16_t)rnd(g));
  if (starts(t, tl, "int32") || starts(t, tl, "int64") || starts(t, tl, "date") || starts(t, tl, "time") ||
      starts(t, tl, "duration") || starts(t, tl, "timestamp"))
    return zr_int((int64_t)(rnd(g) >> 33));
  if (starts(t, tl, "uint8")) return zr_int((int64_t)(uint8_t)rnd(g));
  if (starts(t, tl, "uint16")) return zr_int((int64_t)(uint16_t)rnd(g));
  if (starts(t, tl, "uint")) return zr_int((int64_t)(rnd(g) >> 33));
  if (starts(t, tl, "float") || starts(t, tl, "decimal")) return zr_float((double)(rnd(g) >> 11) / 9007199254740992.0 * 1000.0);
  if (starts(t, tl, "utf8") || starts(t, tl, "dictionary")) return gen_string(g, d, 1);
  if (starts(t, tl, "binary")) return gen_string(g, d, 0);
  if (starts(t, tl, "null")) return zr_null();
  if (starts(t, tl, "list<") && t[tl - 1] == '>') {
    zr_value l = zr_list_new(d, (size_t)g->list_items);
    for (int i = 0; i < g->list_items; i++) zr_list_push(d, &l, gen_type(g, d, t + 5, tl - 6));
    return l;
  }
  return gen_string(g, d, 1); /* struct, map, tensor: estimated as text of the same size */
}

static zr_value gen_rows(const zr_schema *s, zr_doc *d, size_t n, int str_bytes, int list_items) {
  gen g = {0x9E3779B97F4A7C15ull, str_bytes, list_items};
  size_t nf = zr_schema_field_count(s);
  zr_value list = zr_list_new(d, n);
  for (size_t i = 0; i < n; i++) {
    zr_value m = zr_map_new(d, nf);
    for (size_t f = 0; f < nf; f++) {
      const char *t = zr_schema_field_type(s, f);
      size_t tl = strlen(t);
      int nullable = tl > 1 && t[tl - 1] == '?';
      if (nullable) tl--;
      zr_value v = nullable && rnd(&g) % 10 == 0 ? zr_null() : gen_type(&g, d, t, tl);
      zr_map_put_cstr(d, &m, zr_schema_field_name(s, f), v);
    }
    zr_list_push(d, &list, m);
  }
  return list;
}

/* Bytes written for (format, codec), or 0 when the format cannot carry the value (reason in why). */
static uint64_t written(zr_ctx *ctx, const zr_value *v, const char *format, const char *codec, char *why, size_t cap) {
  zr_serialize_opts o;
  zr_serialize_opts_init(&o);
  o.format = format;
  o.codec = codec;
  o.envelope = 0;
  o.strict = 1;
  o.lineage = 0;
  zr_sink *s = NULL;
  zr_error err;
  zr_error_clear(&err);
  zr_serialize_result res;
  uint64_t n = 0;
  if (zr_sink_memory_new(NULL, &s, &err) == ZR_OK && zr_serialize(ctx, v, &o, s, &res, &err) == ZR_OK) n = res.total_bytes;
  else snprintf(why, cap, "%s", err.message);
  zr_sink_free(s);
  return n;
}

static uint64_t align_up(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

/* Region bytes for one object of @p payload bytes (docs/formats/shm-region.md). */
static uint64_t shm_bytes(uint64_t payload) {
  uint64_t header = align_up(128 + (uint64_t)ZR_SHM_DEFAULT_OBJECTS * 192, 64);
  return align_up(header + align_up(payload, 64), 4096);
}

static int run(int argc, char **argv) {
  const char *schema_path = NULL, *flist = NULL, *clist = NULL;
  long long rows = -1;
  int str_bytes = 16, list_items = 4, json = 0, verify = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--json")) json = 1;
    else if (!strcmp(a, "--verify")) verify = 1;
    else if (!strcmp(a, "--rows") || !strcmp(a, "--schema") || !strcmp(a, "--string-bytes") || !strcmp(a, "--list-items") ||
             !strcmp(a, "--formats") || !strcmp(a, "--codecs")) {
      if (i + 1 >= argc) return zr_cli_usage(&cmd, "%s needs a value", a);
      const char *v = argv[++i];
      char *end = NULL;
      if (!strcmp(a, "--schema")) schema_path = v;
      else if (!strcmp(a, "--formats")) flist = v;
      else if (!strcmp(a, "--codecs")) clist = v;
      else {
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || x < 0) return zr_cli_usage(&cmd, "%s takes a whole number ≥ 0", a);
        if (!strcmp(a, "--rows")) rows = x;
        else if (x > 1 << 20) return zr_cli_usage(&cmd, "%s is at most %d", a, 1 << 20);
        else if (!strcmp(a, "--string-bytes")) str_bytes = (int)x;
        else list_items = (int)x;
      }
    } else return zr_cli_usage(&cmd, "unexpected argument '%s'", a);
  }
  if (rows < 0 || !schema_path) return zr_cli_usage(&cmd, "needs --rows N and --schema FILE");
  zr_error err;
  zr_error_clear(&err);
  zr_cli_input in;
  if (zr_cli_input_open(schema_path, &in, &err) != ZR_OK) return zr_cli_fail(cmd.name, schema_path, &err);
  zr_schema *schema = NULL;
  zr_status st = zr_schema_parse((const char *)in.data, in.len, &schema, &err);
  zr_cli_input_close(&in);
  if (st != ZR_OK) return zr_cli_fail(cmd.name, schema_path, &err);
  zr_ctx *ctx = NULL;
  if (zr_ctx_new(NULL, &ctx, &err) != ZR_OK) {
    zr_schema_free(schema);
    return zr_cli_fail(cmd.name, "context", &err);
  }
  size_t S = rows < 2000 ? (size_t)rows : 2000, S1 = S / 2;
  zr_doc *d1 = zr_doc_new(NULL), *d2 = zr_doc_new(NULL), *dn = NULL;
  zr_value v1 = gen_rows(schema, d1, S1, str_bytes, list_items), v2 = gen_rows(schema, d2, S, str_bytes, list_items), vn;
  if (verify) {
    dn = zr_doc_new(NULL);
    vn = gen_rows(schema, dn, (size_t)rows, str_bytes, list_items);
  }
  if (zr_doc_status(d1) != ZR_OK || zr_doc_status(d2) != ZR_OK || (dn && zr_doc_status(dn) != ZR_OK)) {
    fprintf(stderr, "zerial plan: out of memory building sample rows\n");
    zr_doc_free(d1), zr_doc_free(d2), zr_doc_free(dn), zr_ctx_free(ctx), zr_schema_free(schema);
    return ZR_CLI_BAD_INPUT;
  }
  static const char *const codecs[] = {"none", "lz4", "zstd", "gzip"};
  if (json)
    printf("{\"rows\":%lld,\"fields\":%zu,\"sample_rows\":[%zu,%zu],\"string_bytes\":%d,\"list_items\":%d,\"plans\":[", rows,
           zr_schema_field_count(schema), S1, S, str_bytes, list_items);
  else
    printf("%lld rows of %zu fields, estimated from samples of %zu and %zu synthetic rows\n%-13s %-5s %14s %14s %12s%s\n", rows,
           zr_schema_field_count(schema), S1, S, "format", "codec", "wire bytes", "shm bytes", "bytes/row",
           verify ? "     actual      error" : "");
  int first = 1, any = 0;
  for (size_t fi = 0; fi < zr_format_count(); fi++) {
    const zr_format *f = zr_format_at(fi);
    if (!f->encode || !zr_cli_in_list(flist, f->name)) continue;
    uint64_t raw1 = 0, raw2 = 0;
    for (size_t ci = 0; ci < 4; ci++) {
      if (!zr_cli_in_list(clist, codecs[ci]) && ci) continue;
      if (ci && !zr_codec_by_name(codecs[ci])) continue;
      char why[300] = "";
      uint64_t b1 = S1 ? written(ctx, &v1, f->name, codecs[ci], why, sizeof why) : 0;
      uint64_t b2 = written(ctx, &v2, f->name, codecs[ci], why, sizeof why);
      if (ci == 0) raw1 = b1, raw2 = b2;
      if (!zr_cli_in_list(clist, codecs[ci])) continue; /* "none" measured for the shm size only */
      if (!b2 || (S1 && !b1)) {
        if (!json) printf("%-13s %-5s cannot carry these records: %s\n", f->name, codecs[ci], why);
        continue;
      }
      double per = S > S1 ? ((double)b2 - (double)b1) / (double)(S - S1) : 0;
      double fixed = (double)b2 - per * (double)S;
      double est = fixed + per * (double)rows;
      double rper = S > S1 ? ((double)raw2 - (double)raw1) / (double)(S - S1) : 0;
      double rest = (double)raw2 - rper * (double)S + rper * (double)rows;
      uint64_t wire = est > 0 ? (uint64_t)(est + 0.5) : 0, shm = shm_bytes(rest > 0 ? (uint64_t)(rest + 0.5) : 0);
      uint64_t actual = 0;
      if (verify) actual = written(ctx, &vn, f->name, codecs[ci], why, sizeof why);
      double error = actual ? ((double)wire - (double)actual) / (double)actual : 0;
      any = 1;
      if (json) {
        printf("%s{\"format\":\"%s\",\"codec\":\"%s\",\"wire_bytes\":%llu,\"shm_bytes\":%llu,\"bytes_per_row\":%.3f,\"fixed_bytes\":%.1f",
               first ? "" : ",", f->name, codecs[ci], (unsigned long long)wire, (unsigned long long)shm, per, fixed);
        if (verify) printf(",\"actual_bytes\":%llu,\"error\":%.5f", (unsigned long long)actual, error);
        printf("}");
        first = 0;
      } else {
        printf("%-13s %-5s %14llu %14llu %12.2f", f->name, codecs[ci], (unsigned long long)wire, (unsigned long long)shm, per);
        if (verify) printf(" %12llu %+9.2f%%", (unsigned long long)actual, 100 * error);
        printf("\n");
      }
    }
  }
  if (json) printf("]}\n");
  zr_doc_free(d1), zr_doc_free(d2), zr_doc_free(dn), zr_ctx_free(ctx), zr_schema_free(schema);
  if (!any) {
    fprintf(stderr, "zerial plan: no format could carry records of this schema\n");
    return ZR_CLI_BAD_INPUT;
  }
  return ZR_CLI_OK;
}
