/* zerial convert IN OUT: decode any registered format (through an optional envelope), encode
 * into another, optionally framed in an envelope. Nothing is written unless everything worked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "convert_stream.h"
#include "zerial/codec.h"
#include "zerial/serialize.h"

static int run(int argc, char **argv);

static const zr_cli_cmd cmd = {
    "convert",
    "convert between formats (json, binary, ...), adding or removing an envelope",
    "zerial convert IN OUT [--from FMT] [--to FMT] [--envelope|--no-envelope] [--pretty] [--extended]",
    "IN and OUT are paths, or - for standard input / output.\n"
    "  --from FMT      input format (default: the envelope's format, else detected)\n"
    "  --to FMT        output format (default from OUT's extension: .json .jsonl -> json, .zrb .zrl -> binary,\n"
    "                  .arrow -> arrow-file, .arrows -> arrow-stream, .npy, .npz, .pkl -> pickle, .etf;\n"
    "                  otherwise binary)\n"
    "  --to auto       let zerial choose the format (prints the choice and its reasons)\n"
    "  --compression C auto, none, lz4, zstd or gzip (through the serialization manager)\n"
    "  --level N       compression level\n"
    "  --shuffle S     byte, bit, none or auto: compress the typed arrays inside the format (binary typed lists\n"
    "                  and tensors, per block, with codec --compression or auto) after this shuffle filter\n"
    "  --envelope      wrap the output in a checksummed envelope (producer zerial-cli, created-at, lineage;\n"
    "                  the default for .zrl outputs)\n"
    "  --no-envelope   never wrap the output\n"
    "  --pretty        indent JSON output\n"
    "  --stream        chunked conversion in bounded memory (docs/guides/streaming.md): JSON lines -> stream\n"
    "                  (--to binary|arrow, .zrs), stream -> JSON lines or --to arrow-stream; JSON lines <->\n"
    "                  plain Arrow IPC stream (--to arrow-stream or .arrows; an Arrow stream or file in ->\n"
    "                  JSON lines), one record batch at a time; with --resume, --threads N, --chunk-size B,\n"
    "                  --chunk-rows N, --progress, --quiet\n"
    "  --extended      JSON with typed wrappers ({\"$bin\": ...}, {\"$tuple\": ...}) so every kind round-trips;\n"
    "                  applies to JSON input and output\n"
    "An envelope around the input is verified and unwrapped automatically; its metadata and lineage\n"
    "are carried into an output envelope.\n",
    "  zerial convert data.json data.zrb\n"
    "  zerial convert data.zrb - --to json --pretty\n"
    "  zerial convert data.json data.zrl            # binary inside an envelope\n"
    "  cat data.zrl | zerial convert - out.json\n",
    run,
};
ZR_CLI_REGISTER(cmd)

static const struct {
  const char *ext, *fmt;
  int envelope;
} EXT[] = {
    {".json", "json", 0},  {".jsonl", "json", 0},       {".ndjson", "json", 0},        {".zrb", "binary", 0},
    {".zrl", "binary", 1}, {".arrow", "arrow-file", 0}, {".feather", "arrow-file", 0}, {".arrows", "arrow-stream", 0},
    {".npy", "npy", 0},    {".npz", "npz", 0},          {".pkl", "pickle", 0},         {".pickle", "pickle", 0},
    {".etf", "etf", 0},
};

static const char *fmt_from_ext(const char *path, int *envelope) {
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash)) return NULL;
  for (size_t i = 0; i < sizeof EXT / sizeof EXT[0]; i++)
    if (strcmp(dot, EXT[i].ext) == 0) {
      *envelope = EXT[i].envelope;
      return EXT[i].fmt;
    }
  return NULL;
}

static int run(int argc, char **argv) {
  for (int i = 1; i < argc; i++) /* chunked, resumable conversion lives in convert_stream.c */
    if (strcmp(argv[i], "--stream") == 0) return zr_cli_convert_stream(argc, argv);
  const char *in_path = NULL, *out_path = NULL, *from = NULL, *to = NULL;
  const char *compression = NULL, *shuffle = NULL;
  int envelope = -1, pretty = 0, extended = 0, only_pos = 0, level = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = NULL;
    if (!only_pos && a[0] == '-' && a[1]) {
      if (strcmp(a, "--") == 0)
        only_pos = 1;
      else if (zr_cli_opt_value(argc, argv, &i, "--from", &v)) {
        if (!v) return zr_cli_usage(&cmd, "--from needs a format name");
        from = v;
      } else if (zr_cli_opt_value(argc, argv, &i, "--to", &v)) {
        if (!v) return zr_cli_usage(&cmd, "--to needs a format name");
        to = v;
      } else if (zr_cli_opt_value(argc, argv, &i, "--compression", &v)) {
        if (!v) return zr_cli_usage(&cmd, "--compression needs auto, none, lz4, zstd or gzip");
        compression = v;
      } else if (zr_cli_opt_value(argc, argv, &i, "--shuffle", &v)) {
        if (!v || (strcmp(v, "auto") && zr_filter_by_name(v) < 0))
          return zr_cli_usage(&cmd, "--shuffle needs byte, bit, none or auto");
        shuffle = v;
      } else if (zr_cli_opt_value(argc, argv, &i, "--level", &v)) {
        if (!v || atoi(v) < 1) return zr_cli_usage(&cmd, "--level needs a positive number");
        level = atoi(v);
      } else if (strcmp(a, "--envelope") == 0)
        envelope = 1;
      else if (strcmp(a, "--no-envelope") == 0)
        envelope = 0;
      else if (strcmp(a, "--pretty") == 0)
        pretty = 1;
      else if (strcmp(a, "--extended") == 0)
        extended = 1;
      else
        return zr_cli_usage(&cmd, "unknown option '%s'", a);
      continue;
    }
    if (!in_path)
      in_path = a;
    else if (!out_path)
      out_path = a;
    else
      return zr_cli_usage(&cmd, "unexpected argument '%s'", a);
  }
  if (!in_path || !out_path) return zr_cli_usage(&cmd, "needs IN and OUT");
  char names[256];
  zr_cli_format_names(names, sizeof names);
  const zr_format *from_fmt = NULL, *to_fmt = NULL;
  if (from && !(from_fmt = zr_format_by_name(from)))
    return zr_cli_usage(&cmd, "unknown input format '%s' (this build has: %s)", from, names);
  int ext_env = 0;
  const char *ext_fmt = fmt_from_ext(out_path, &ext_env);
  if (!to) to = ext_fmt ? ext_fmt : "binary";
  /* `--to auto` and `--compression` go through the serialization manager (zr_serialize) */
  /* with --shuffle, the codec applies inside the format (typed arrays), not to the whole output */
  int managed = strcmp(to, "auto") == 0 || (compression != NULL && !shuffle);
  if (compression && strcmp(compression, "auto") && strcmp(compression, "none") && strcmp(compression, "lz4") &&
      strcmp(compression, "zstd") && strcmp(compression, "gzip"))
    return zr_cli_usage(&cmd, "unknown compression '%s' (auto, none, lz4, zstd, gzip)", compression);
  if (managed && strcmp(to, "auto") == 0) to_fmt = NULL;
  else if (!(to_fmt = zr_format_by_name(to)))
    return zr_cli_usage(&cmd, "unknown output format '%s' (this build has: %s)", to, names);
  if (to_fmt && !to_fmt->encode) return zr_cli_usage(&cmd, "format '%s' cannot be written", to);
  if (envelope < 0) envelope = ext_env;

  zr_error err;
  zr_error_clear(&err);
  zr_cli_input in;
  if (zr_cli_input_open(in_path, &in, &err) != ZR_OK) return zr_cli_fail(cmd.name, in_path, &err);
  int rc = ZR_CLI_BAD_INPUT;
  zr_cli_payload pl;
  zr_doc *doc = NULL;
  zr_sink *mem = NULL, *out = NULL;
  char what[512];
  snprintf(what, sizeof what, "%s", in.name);
  if (zr_cli_unwrap(in.data, in.len, &pl, &err) != ZR_OK) {
    rc = zr_cli_fail(cmd.name, what, &err);
    goto done;
  }
  if (pl.enveloped) {
    if (!pl.fmt) {
      zr_error_set(&err, ZR_ERR_FORMAT, 12, "the envelope holds format id %u, unknown to this build", pl.format_id);
      rc = zr_cli_fail(cmd.name, what, &err);
      goto done;
    }
    if (from_fmt && from_fmt != pl.fmt)
      fprintf(stderr, "zerial convert: note: the envelope says the payload is %s; --from %s ignored\n", pl.fmt->name,
              from);
    snprintf(what, sizeof what, "%s (payload at byte %u)", in.name, (unsigned)pl.env.header.payload_offset);
  } else if (from_fmt) {
    pl.fmt = from_fmt;
  }
  if (!pl.fmt) {
    zr_error_set(&err, ZR_ERR_FORMAT, 0, "cannot detect the input format (formats: %s); name it with --from", names);
    rc = zr_cli_fail(cmd.name, what, &err);
    goto done;
  }
  if (!pl.fmt->decode) {
    zr_error_set(&err, ZR_ERR_UNSUPPORTED, -1, "format %s cannot be read by this build", pl.fmt->name);
    rc = zr_cli_fail(cmd.name, what, &err);
    goto done;
  }
  /* decode */
  zr_status st;
  if (extended && strcmp(pl.fmt->name, "json") == 0)
    st = zr_value_from_json((const char *)pl.data, pl.len, ZR_JSON_EXTENDED, NULL, &doc, &err);
  else
    st = pl.fmt->decode(pl.data, pl.len, NULL, &doc, &err);
  if (st != ZR_OK) {
    if (pl.enveloped && !pl.owned && err.offset >= 0)
      err.offset += pl.env.header.payload_offset; /* offset in the file */
    rc = zr_cli_fail(cmd.name, what, &err);
    goto done;
  }
  /* encode into memory, in place inside an envelope when asked */
  if (zr_sink_memory_new(NULL, &mem, &err) != ZR_OK) {
    rc = zr_cli_fail(cmd.name, "memory", &err);
    goto done;
  }
  if (managed) {
    zr_ctx *ctx = NULL;
    zr_serialize_opts so;
    zr_serialize_opts_init(&so);
    so.format = to;
    so.codec = compression;
    so.level = level;
    so.envelope = envelope;
    so.lineage = envelope;
    so.operation = "convert";
    so.producer = "zerial-cli";
    so.parent = in.data;
    so.parent_len = in.len;
    zr_serialize_result res;
    st = zr_ctx_new(NULL, &ctx, &err);
    if (st == ZR_OK) st = zr_serialize(ctx, zr_doc_root(doc), &so, mem, &res, &err);
    zr_ctx_free(ctx);
    if (st != ZR_OK) {
      rc = zr_cli_fail(cmd.name, "cannot write the output", &err);
      goto done;
    }
    fprintf(stderr, "zerial convert: %s%s, codec %s, %llu bytes (ratio %.2f): %s\n", res.format,
            res.envelope ? " in an envelope" : "", res.codec, (unsigned long long)res.total_bytes, res.ratio,
            res.decision.reason);
    for (unsigned i = 0; i < res.warnings.count && i < ZR_MAX_WARNINGS; i++)
      fprintf(stderr, "zerial convert: warning: %s (at %s)\n", res.warnings.items[i].message, res.warnings.items[i].path);
    goto write_out;
  }
  zr_envelope_writer ew;
  zr_envelope_lineage lin[65];
  zr_envelope_meta meta;
  memset(&meta, 0, sizeof meta);
  uint64_t input_fp = zr_xxh3_64(in.data, in.len, 0);
  char op[128];
  snprintf(op, sizeof op, "convert %s->%s", pl.fmt->name, to_fmt->name);
  char producer[64];
  snprintf(producer, sizeof producer, "zerial-cli %s", zr_version_string());
  if (envelope) {
    int64_t now = zr_cli_now_ns();
    size_t nl = 0;
    if (pl.enveloped) { /* carry the input's metadata forward */
      meta = pl.env.meta;
      for (size_t i = 0; i < pl.env.meta.n_lineage && nl < 64; i++) lin[nl++] = pl.env.meta.lineage[i];
    }
    lin[nl].operation = (zr_envelope_str){op, strlen(op)};
    lin[nl].producer = (zr_envelope_str){producer, strlen(producer)};
    lin[nl].time_ns = now;
    lin[nl].inputs = &input_fp;
    lin[nl].n_inputs = 1;
    nl++;
    meta.lineage = lin;
    meta.n_lineage = nl;
    meta.producer = (zr_envelope_str){"zerial-cli", 10};
    meta.has_created_at = 1;
    meta.created_at_ns = now;
    zr_envelope_params ep = {.format_id = to_fmt->id, .meta = &meta};
    if (zr_envelope_begin(mem, &ep, &ew, &err) != ZR_OK) {
      rc = zr_cli_fail(cmd.name, "envelope", &err);
      goto done;
    }
  }
  zr_warnings warn;
  memset(&warn, 0, sizeof warn);
  if (strcmp(to_fmt->name, "json") == 0 && (pretty || extended)) {
    st = zr_value_to_json(zr_doc_root(doc), (pretty ? ZR_JSON_PRETTY : 0u) | (extended ? ZR_JSON_EXTENDED : 0u), mem,
                          &err);
  } else {
    zr_encode_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.warnings = &warn;
    if (shuffle) {
      eo.codec = compression ? compression : "auto";
      eo.level = level;
      eo.filter = shuffle;
    }
    st = to_fmt->encode(zr_doc_root(doc), &eo, mem, &err);
  }
  if (st != ZR_OK) {
    rc = zr_cli_fail(cmd.name, "cannot write the output", &err);
    goto done;
  }
  for (unsigned i = 0; i < warn.count && i < ZR_MAX_WARNINGS; i++)
    fprintf(stderr, "zerial convert: warning: %s (at %s)\n", warn.items[i].message, warn.items[i].path);
  if (warn.count > ZR_MAX_WARNINGS)
    fprintf(stderr, "zerial convert: ... and %u more warnings\n", warn.count - ZR_MAX_WARNINGS);
  if (envelope && zr_envelope_end(&ew, &err) != ZR_OK) {
    rc = zr_cli_fail(cmd.name, "envelope", &err);
    goto done;
  }
write_out:;
  /* only now touch OUT */
  const uint8_t *bytes;
  size_t nbytes;
  zr_sink_memory_data(mem, &bytes, &nbytes);
  if (zr_cli_output_open(out_path, &out, &err) != ZR_OK || zr_sink_write(out, bytes, nbytes, &err) != ZR_OK ||
      (strcmp(out_path, "-") == 0 && !envelope && to_fmt && strcmp(to_fmt->name, "json") == 0 && !pretty && isatty(1) &&
       zr_sink_write(out, "\n", 1, &err) != ZR_OK) ||
      zr_sink_finish(out, &err) != ZR_OK) {
    rc = zr_cli_fail(cmd.name, out_path, &err);
    goto done;
  }
  if (strcmp(out_path, "-") != 0) zr_cli_output_mode(out_path);
  rc = ZR_CLI_OK;
done:
  zr_sink_free(out); /* a file sink not finished removes its temporary file */
  zr_sink_free(mem);
  zr_doc_free(doc);
  zr_cli_payload_clear(&pl);
  zr_cli_input_close(&in);
  return rc;
}
