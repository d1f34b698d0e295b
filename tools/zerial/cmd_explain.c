/* zerial explain FILE: read any supported input and show how automatic selection ranks the
 * formats for its value, with the reasons, the predicted costs and (with --measure) measured ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "zerial/serialize.h"

static int run(int argc, char **argv);

static const zr_cli_cmd cmd = {
    "explain",
    "rank the formats for a file's value, with reasons and costs (what --to auto would choose)",
    "zerial explain FILE [--json] [--measure] [--target T] [--performance W] [--compatibility W]",
    "FILE is any input zerial reads (envelope, compressed frames, binary, JSON, Arrow, npy, npz, pickle, ETF),\n"
    "or - for standard input.\n"
    "  --json            print the decision as JSON (characteristics, weights, candidates)\n"
    "  --measure         encode the value with every viable candidate and codec first (3 runs each) so that the\n"
    "                    ranking shows measured costs next to the predicted ones\n"
    "  --target T        who reads the data: any, python, python-objects, beam, arrow, numpy\n"
    "  --performance W   weight of performance (0..1); --compatibility W: weight of compatibility\n"
    "Configuration comes from ZERIAL_CONFIG and ZERIAL_* variables (see docs/guides/configuration.md).\n",
    "  zerial explain data.json\n"
    "  zerial explain table.arrow --json --measure\n"
    "  zerial explain records.zrl --target python\n",
    run,
};
ZR_CLI_REGISTER(cmd)

static int run(int argc, char **argv) {
  const char *path = NULL, *target = NULL, *perf = NULL, *compat = NULL;
  int json = 0, measure = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    if (a[0] == '-' && a[1]) {
      if (!strcmp(a, "--json")) json = 1;
      else if (!strcmp(a, "--measure")) measure = 1;
      else if (zr_cli_opt_value(argc, argv, &i, "--target", &v)) {
        if (!v) return zr_cli_usage(&cmd, "--target needs a value");
        target = v;
      } else if (zr_cli_opt_value(argc, argv, &i, "--performance", &v)) {
        if (!v) return zr_cli_usage(&cmd, "--performance needs a value");
        perf = v;
      } else if (zr_cli_opt_value(argc, argv, &i, "--compatibility", &v)) {
        if (!v) return zr_cli_usage(&cmd, "--compatibility needs a value");
        compat = v;
      } else {
        return zr_cli_usage(&cmd, "unknown option '%s'", a);
      }
      continue;
    }
    if (path) return zr_cli_usage(&cmd, "unexpected argument '%s'", a);
    path = a;
  }
  if (!path) return zr_cli_usage(&cmd, "needs FILE");
  zr_error err;
  zr_error_clear(&err);
  zr_ctx *ctx = NULL;
  if (zr_ctx_new(NULL, &ctx, &err) != ZR_OK) return zr_cli_fail(cmd.name, "configuration", &err);
  if ((target && zr_ctx_set(ctx, "target", target, &err) != ZR_OK) ||
      (perf && zr_ctx_set(ctx, "selection.performance", perf, &err) != ZR_OK) ||
      (compat && zr_ctx_set(ctx, "selection.compatibility", compat, &err) != ZR_OK)) {
    zr_ctx_free(ctx);
    return zr_cli_usage(&cmd, "%s", err.message);
  }
  int rc = ZR_CLI_BAD_INPUT;
  zr_cli_input in;
  if (zr_cli_input_open(path, &in, &err) != ZR_OK) {
    zr_ctx_free(ctx);
    return zr_cli_fail(cmd.name, path, &err);
  }
  zr_doc *doc = NULL;
  zr_deserialize_info info;
  zr_sink *out = NULL;
  if (zr_deserialize(ctx, in.data, in.len, NULL, &doc, &info, &err) != ZR_OK) {
    rc = zr_cli_fail(cmd.name, in.name, &err);
    goto done;
  }
  const zr_value *v = zr_doc_root(doc);
  zr_decision d;
  if (measure) {
    /* encode with each viable candidate: the context learns their costs */
    if (zr_explain(ctx, v, NULL, &d, &err) != ZR_OK) {
      rc = zr_cli_fail(cmd.name, in.name, &err);
      goto done;
    }
    for (unsigned i = 0; i < d.n_candidates; i++) {
      if (!d.cand[i].viable || !strncmp(d.cand[i].format, "custom:", 7)) continue;
      static const char *const codecs[] = {"none", "lz4", "zstd"};
      for (int k = 0; k < 9; k++) {
        zr_sink *s;
        if (zr_sink_memory_new(NULL, &s, NULL) != ZR_OK) break;
        zr_serialize_opts o;
        zr_serialize_opts_init(&o);
        o.format = d.cand[i].format;
        o.codec = codecs[k % 3];
        o.envelope = 0;
        zr_status st = zr_serialize(ctx, v, &o, s, NULL, NULL);
        zr_sink_free(s);
        if (st != ZR_OK) break;
      }
    }
  }
  if (zr_explain(ctx, v, NULL, &d, &err) != ZR_OK) {
    rc = zr_cli_fail(cmd.name, in.name, &err);
    goto done;
  }
  if (zr_sink_fd_new(1, &out, &err) != ZR_OK) goto done;
  if (!json) {
    char line[256];
    int n = snprintf(line, sizeof line, "input: %s (%s%s%s, %zu bytes)\n", in.name, info.format,
                     info.n_layers ? " inside " : "", info.n_layers ? info.layers[0] : "", in.len);
    zr_sink_write(out, line, (size_t)n, NULL);
  }
  if (zr_decision_write(&d, json, out, &err) != ZR_OK || zr_sink_flush(out, &err) != ZR_OK) {
    rc = zr_cli_fail(cmd.name, "stdout", &err);
    goto done;
  }
  rc = ZR_CLI_OK;
done:
  zr_sink_free(out);
  zr_doc_free(doc);
  zr_cli_input_close(&in);
  zr_ctx_free(ctx);
  return rc;
}
