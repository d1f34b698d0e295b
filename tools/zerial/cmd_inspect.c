/* zerial inspect FILE [--json]: format, sizes, envelope metadata and a summary of the content
 * (the format's own inspect, which skips payloads, when it has one). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int run(int argc, char **argv);

static const zr_cli_cmd cmd = {
    "inspect",
    "show format, sizes, envelope metadata and a summary of a file without decoding array payloads",
    "zerial inspect FILE [--json]",
    "FILE may be - for standard input. An envelope is verified (checksum) before anything is shown.\n"
    "  --json   print one JSON object (file, bytes, envelope, format, summary) instead of text\n",
    "  zerial inspect data.zrl\n"
    "  zerial inspect data.zrb --json | python3 -m json.tool\n",
    run,
};
ZR_CLI_REGISTER(cmd)

typedef struct stats {
  uint64_t kinds[16];
  uint64_t values, max_depth;
} stats;

static void walk(const zr_value *v, uint64_t depth, stats *s) {
  s->values++;
  if (v->kind < 16) s->kinds[v->kind]++;
  if (depth > s->max_depth) s->max_depth = depth;
  if (v->kind == ZR_KIND_LIST || v->kind == ZR_KIND_TUPLE)
    for (uint64_t i = 0; i < v->n.len; i++) walk(&v->u.items[i], depth + 1, s);
  else if (v->kind == ZR_KIND_MAP)
    for (uint64_t i = 0; i < v->n.len; i++) {
      walk(&v->u.members[i].key, depth + 1, s);
      walk(&v->u.members[i].val, depth + 1, s);
    }
}

/* A summary value for formats without inspect(): decode, then count. */
static zr_status tree_summary(zr_doc *out, const zr_format *f, const uint8_t *data, size_t len, zr_value *res,
                              zr_error *err) {
  zr_doc *doc = NULL;
  zr_status st = f->decode(data, len, NULL, &doc, err);
  if (st != ZR_OK) return st;
  const zr_value *r = zr_doc_root(doc);
  stats s;
  memset(&s, 0, sizeof s);
  walk(r, 0, &s);
  zr_value m = zr_map_new(out, 0);
  zr_map_put_cstr(out, &m, "format", zr_str_copy(out, f->name, strlen(f->name)));
  zr_map_put_cstr(out, &m, "bytes", zr_uint(len));
  const char *rk = zr_kind_name((zr_kind)r->kind);
  zr_map_put_cstr(out, &m, "root", zr_str_copy(out, rk, strlen(rk)));
  if (r->kind == ZR_KIND_LIST || r->kind == ZR_KIND_TUPLE || r->kind == ZR_KIND_MAP)
    zr_map_put_cstr(out, &m, "root_len", zr_uint(r->n.len));
  zr_map_put_cstr(out, &m, "values", zr_uint(s.values));
  zr_map_put_cstr(out, &m, "max_depth", zr_uint(s.max_depth));
  zr_value kinds = zr_map_new(out, 0);
  for (int k = 0; k < 16; k++)
    if (s.kinds[k]) {
      const char *kn = zr_kind_name((zr_kind)k);
      zr_map_put(out, &kinds, zr_str_copy(out, kn, strlen(kn)), zr_uint(s.kinds[k]));
    }
  zr_map_put_cstr(out, &m, "kinds", kinds);
  if (r->kind == ZR_KIND_MAP) {
    zr_value keys = zr_list_new(out, 0);
    for (uint64_t i = 0; i < r->n.len && i < 16; i++) {
      const zr_value *k = &r->u.members[i].key;
      if (k->kind == ZR_KIND_STRING) zr_list_push(out, &keys, zr_str_copy(out, k->u.str, (size_t)k->n.len));
    }
    zr_map_put_cstr(out, &m, "keys", keys);
  }
  zr_doc_free(doc);
  *res = m;
  return zr_doc_status(out);
}

static zr_value hex64(zr_doc *d, uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "%016" PRIx64, v);
  return zr_str_copy(d, b, strlen(b));
}

static zr_value estr(zr_doc *d, zr_envelope_str s) { return zr_str_copy(d, s.ptr ? s.ptr : "", s.len); }

static zr_value envelope_value(zr_doc *d, const zr_envelope *e, const zr_format *f) {
  zr_value m = zr_map_new(d, 0);
  const zr_envelope_header *h = &e->header;
  zr_map_put_cstr(d, &m, "version", zr_uint(h->version));
  zr_map_put_cstr(d, &m, "format_id", zr_uint(h->format_id));
  zr_map_put_cstr(d, &m, "format", f ? zr_str_copy(d, f->name, strlen(f->name)) : zr_null());
  const char *cn = zr_codec_id_name(h->codec);
  zr_map_put_cstr(d, &m, "codec", zr_str_copy(d, cn, strlen(cn)));
  zr_map_put_cstr(d, &m, "flags", zr_uint(h->flags));
  zr_map_put_cstr(d, &m, "metadata_bytes", zr_uint(h->metadata_len));
  zr_map_put_cstr(d, &m, "payload_offset", zr_uint(h->payload_offset));
  zr_map_put_cstr(d, &m, "payload_bytes", zr_uint(h->payload_len));
  zr_map_put_cstr(d, &m, "raw_bytes", zr_uint(h->raw_len));
  zr_map_put_cstr(d, &m, "frame_bytes", zr_uint(h->frame_len));
  zr_map_put_cstr(d, &m, "checksum", hex64(d, h->checksum));
  zr_map_put_cstr(d, &m, "verified", zr_bool(e->verified));
  const zr_envelope_meta *mt = &e->meta;
  zr_map_put_cstr(d, &m, "producer", mt->producer.ptr ? estr(d, mt->producer) : zr_null());
  if (mt->has_created_at) {
    char iso[48];
    zr_cli_iso8601(mt->created_at_ns, iso, sizeof iso);
    zr_map_put_cstr(d, &m, "created_at", zr_str_copy(d, iso, strlen(iso)));
    zr_map_put_cstr(d, &m, "created_at_ns", zr_int(mt->created_at_ns));
  } else {
    zr_map_put_cstr(d, &m, "created_at", zr_null());
  }
  zr_map_put_cstr(d, &m, "schema_fingerprint",
                  mt->has_schema_fingerprint ? hex64(d, mt->schema_fingerprint) : zr_null());
  zr_value kv = zr_list_new(d, mt->n_kv);
  for (size_t i = 0; i < mt->n_kv; i++) {
    zr_value p = zr_map_new(d, 2);
    zr_map_put_cstr(d, &p, "key", estr(d, mt->kv[i].key));
    zr_map_put_cstr(d, &p, "value", estr(d, mt->kv[i].value));
    zr_list_push(d, &kv, p);
  }
  zr_map_put_cstr(d, &m, "kv", kv);
  zr_value lin = zr_list_new(d, mt->n_lineage);
  for (size_t i = 0; i < mt->n_lineage; i++) {
    const zr_envelope_lineage *l = &mt->lineage[i];
    zr_value p = zr_map_new(d, 4);
    zr_map_put_cstr(d, &p, "operation", estr(d, l->operation));
    zr_map_put_cstr(d, &p, "producer", estr(d, l->producer));
    char iso[48];
    zr_cli_iso8601(l->time_ns, iso, sizeof iso);
    zr_map_put_cstr(d, &p, "time", zr_str_copy(d, iso, strlen(iso)));
    zr_value in = zr_list_new(d, l->n_inputs);
    for (size_t k = 0; k < l->n_inputs; k++) zr_list_push(d, &in, hex64(d, l->inputs[k]));
    zr_map_put_cstr(d, &p, "inputs", in);
    zr_list_push(d, &lin, p);
  }
  zr_map_put_cstr(d, &m, "lineage", lin);
  return m;
}

static void print_json_value(const zr_value *v, unsigned flags) {
  zr_sink *s = NULL;
  if (zr_sink_fd_new(1, &s, NULL) != ZR_OK) return;
  fflush(stdout);
  zr_value_to_json(v, flags, s, NULL);
  zr_sink_finish(s, NULL);
  zr_sink_free(s);
}

static void print_text(const char *file, size_t bytes, const zr_cli_payload *pl, const zr_value *summary) {
  printf("file:       %s\n", file);
  printf("bytes:      %zu\n", bytes);
  if (pl->peeled_codec)
    printf("compressed: %s frame, %zu bytes raw (ratio %.2f)\n", zr_codec_id_name(pl->peeled_codec), pl->peeled_len,
           bytes ? (double)pl->peeled_len / (double)bytes : 0.0);
  if (pl->enveloped) {
    const zr_envelope *e = &pl->env;
    const zr_envelope_header *h = &e->header;
    printf("envelope:   version %u, codec %s, checksum %016" PRIx64 " (verified)\n", h->version,
           zr_codec_id_name(h->codec), h->checksum);
    printf("            metadata %u bytes, payload %" PRIu64 " bytes at offset %u\n", h->metadata_len, h->payload_len,
           h->payload_offset);
    const zr_envelope_meta *m = &e->meta;
    if (m->producer.ptr) printf("producer:   %s\n", m->producer.ptr);
    if (m->has_created_at) {
      char iso[48];
      zr_cli_iso8601(m->created_at_ns, iso, sizeof iso);
      printf("created:    %s\n", iso);
    }
    if (m->has_schema_fingerprint) printf("schema:     %016" PRIx64 "\n", m->schema_fingerprint);
    for (size_t i = 0; i < m->n_kv; i++) printf("meta:       %s = %s\n", m->kv[i].key.ptr, m->kv[i].value.ptr);
    for (size_t i = 0; i < m->n_lineage; i++) {
      const zr_envelope_lineage *l = &m->lineage[i];
      char iso[48];
      zr_cli_iso8601(l->time_ns, iso, sizeof iso);
      printf("lineage:    %s by %s at %s", l->operation.ptr, l->producer.ptr, iso);
      for (size_t k = 0; k < l->n_inputs; k++) printf("%s%016" PRIx64, k ? ", " : " from ", l->inputs[k]);
      printf("\n");
    }
  } else {
    printf("envelope:   none\n");
  }
  printf("format:     %s\n", pl->fmt ? pl->fmt->name : "unknown");
  printf("summary:\n");
  print_json_value(summary, ZR_JSON_PRETTY);
}

static int run(int argc, char **argv) {
  const char *path = NULL;
  int as_json = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      as_json = 1;
    else if (argv[i][0] == '-' && argv[i][1])
      return zr_cli_usage(&cmd, "unknown option '%s'", argv[i]);
    else if (!path)
      path = argv[i];
    else
      return zr_cli_usage(&cmd, "unexpected argument '%s'", argv[i]);
  }
  if (!path) return zr_cli_usage(&cmd, "needs FILE");
  zr_error err;
  zr_error_clear(&err);
  zr_cli_input in;
  if (zr_cli_input_open(path, &in, &err) != ZR_OK) return zr_cli_fail(cmd.name, path, &err);
  int rc = ZR_CLI_BAD_INPUT;
  zr_cli_payload pl;
  zr_doc *d = zr_doc_new(NULL);
  zr_sink *js = NULL;
  if (!d) goto done;
  if (zr_cli_unwrap(in.data, in.len, &pl, &err) != ZR_OK) {
    rc = zr_cli_fail(cmd.name, in.name, &err);
    goto done;
  }
  if (!pl.fmt) {
    zr_error_set(
        &err, ZR_ERR_FORMAT, 0,
        pl.enveloped ? "the envelope holds a format unknown to this build" : "cannot detect the format of this file");
    rc = zr_cli_fail(cmd.name, in.name, &err);
    goto done;
  }
  zr_value summary = zr_null();
  zr_status st;
  if (pl.fmt->inspect) {
    if ((st = zr_sink_memory_new(NULL, &js, &err)) == ZR_OK) st = pl.fmt->inspect(pl.data, pl.len, js, &err);
    if (st == ZR_OK) {
      const uint8_t *t;
      size_t n;
      zr_sink_memory_data(js, &t, &n);
      zr_doc *sd = NULL;
      st = zr_value_from_json((const char *)t, n, 0, NULL, &sd, &err);
      if (st == ZR_OK) st = zr_value_copy(d, zr_doc_root(sd), &summary, &err);
      zr_doc_free(sd);
    }
  } else {
    st = tree_summary(d, pl.fmt, pl.data, pl.len, &summary, &err);
  }
  if (st != ZR_OK) {
    if (pl.enveloped && !pl.owned && err.offset >= 0) err.offset += pl.env.header.payload_offset;
    rc = zr_cli_fail(cmd.name, in.name, &err);
    goto done;
  }
  if (as_json) {
    zr_value m = zr_map_new(d, 0);
    zr_map_put_cstr(d, &m, "file", zr_str_copy(d, in.name, strlen(in.name)));
    zr_map_put_cstr(d, &m, "bytes", zr_uint(in.len));
    zr_map_put_cstr(d, &m, "envelope", pl.enveloped ? envelope_value(d, &pl.env, pl.fmt) : zr_null());
    zr_value comp = zr_null();
    if (pl.peeled_codec) {
      const char *cn = zr_codec_id_name(pl.peeled_codec);
      comp = zr_map_new(d, 0);
      zr_map_put_cstr(d, &comp, "codec", zr_str_copy(d, cn, strlen(cn)));
      zr_map_put_cstr(d, &comp, "raw_bytes", zr_uint(pl.peeled_len));
      zr_map_put_cstr(d, &comp, "ratio", zr_float(in.len ? (double)pl.peeled_len / (double)in.len : 0.0));
    }
    zr_map_put_cstr(d, &m, "compressed", comp);
    zr_map_put_cstr(d, &m, "format", zr_str_copy(d, pl.fmt->name, strlen(pl.fmt->name)));
    zr_map_put_cstr(d, &m, "summary", summary);
    if (zr_doc_status(d) != ZR_OK) goto done;
    print_json_value(&m, ZR_JSON_PRETTY);
  } else {
    print_text(in.name, in.len, &pl, &summary);
  }
  rc = ZR_CLI_OK;
done:
  zr_sink_free(js);
  zr_doc_free(d);
  zr_cli_payload_clear(&pl);
  zr_cli_input_close(&in);
  return rc;
}
