/* zerial lineage FILE: print the lineage history kept in a file's envelope, or emit it as a
 * Graphviz graph (--dot). Only the header and metadata are read; the payload is not decoded. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int run(int argc, char **argv);

static const zr_cli_cmd cmd = {
    "lineage",
    "print the lineage history stored in an envelope (--dot: Graphviz)",
    "zerial lineage FILE [--dot] [--json]",
    "FILE must start with a zerial envelope (- for standard input). Each entry says which operation,\n"
    "run by which producer and when, made the data from which inputs (inputs are XXH3-64\n"
    "fingerprints of the input bytes).\n"
    "  --dot    emit a Graphviz digraph: inputs -> steps -> the file (render with: dot -Tsvg)\n"
    "  --json   print the entries as a JSON array\n",
    "  zerial lineage out.zrl\n"
    "  zerial lineage out.zrl --dot | dot -Tsvg > lineage.svg\n",
    run,
};
ZR_CLI_REGISTER(cmd)

/* Print a string for a DOT label / JSON value: escape quotes, backslashes and control bytes. */
static void put_escaped(FILE *f, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c == '\n') fputs("\\n", f);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
}

static void put_str(FILE *f, zr_envelope_str s, const char *dflt) {
  if (s.ptr) put_escaped(f, s.ptr, s.len);
  else fputs(dflt, f);
}

static int run(int argc, char **argv) {
  const char *path = NULL;
  int dot = 0, json = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--dot")) dot = 1;
    else if (!strcmp(a, "--json")) json = 1;
    else if (a[0] == '-' && a[1]) return zr_cli_usage(&cmd, "unknown option '%s'", a);
    else if (path) return zr_cli_usage(&cmd, "unexpected argument '%s'", a);
    else path = a;
  }
  if (!path) return zr_cli_usage(&cmd, "needs FILE");
  if (dot && json) return zr_cli_usage(&cmd, "--dot and --json exclude each other");
  zr_error err;
  zr_error_clear(&err);
  zr_cli_input in;
  if (zr_cli_input_open(path, &in, &err) != ZR_OK) return zr_cli_fail(cmd.name, path, &err);
  int rc = ZR_CLI_BAD_INPUT;
  zr_envelope env;
  memset(&env, 0, sizeof env);
  if (!zr_envelope_detect(in.data, in.len)) {
    zr_error_set(&err, ZR_ERR_FORMAT, 0, "not an envelope: only enveloped files carry lineage");
    rc = zr_cli_fail(cmd.name, in.name, &err);
    goto done;
  }
  if (zr_envelope_read_meta(in.data, in.len, NULL, &env, &err) != ZR_OK) {
    rc = zr_cli_fail(cmd.name, in.name, &err);
    goto done;
  }
  const zr_envelope_meta *m = &env.meta;
  uint64_t self = zr_xxh3_64(in.data, in.len, 0);
  if (dot) {
    printf("digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n");
    for (size_t i = 0; i < m->n_lineage; i++) {
      const zr_envelope_lineage *l = &m->lineage[i];
      char when[40];
      zr_cli_iso8601(l->time_ns, when, sizeof when);
      printf("  step%zu [shape=box, style=rounded, label=\"", i);
      put_str(stdout, l->operation, "(operation)");
      printf("\\n");
      put_str(stdout, l->producer, "(producer)");
      printf("\\n%s\"];\n", when);
      for (size_t k = 0; k < l->n_inputs; k++) {
        printf("  \"in_%016" PRIx64 "\" [shape=note, label=\"%016" PRIx64 "\"];\n", l->inputs[k], l->inputs[k]);
        printf("  \"in_%016" PRIx64 "\" -> step%zu;\n", l->inputs[k], i);
      }
      if (i > 0) printf("  step%zu -> step%zu [style=dashed];\n", i - 1, i);
    }
    printf("  file [shape=doubleoctagon, label=\"");
    put_escaped(stdout, in.name, strlen(in.name));
    printf("\\n%016" PRIx64 "\"];\n", self);
    if (m->n_lineage) printf("  step%zu -> file;\n", m->n_lineage - 1);
    printf("}\n");
  } else if (json) {
    printf("[");
    for (size_t i = 0; i < m->n_lineage; i++) {
      const zr_envelope_lineage *l = &m->lineage[i];
      printf("%s{\"operation\": \"", i ? ",\n " : "");
      put_str(stdout, l->operation, "");
      printf("\", \"producer\": \"");
      put_str(stdout, l->producer, "");
      printf("\", \"time_ns\": %" PRId64 ", \"inputs\": [", l->time_ns);
      for (size_t k = 0; k < l->n_inputs; k++) printf("%s\"%016" PRIx64 "\"", k ? ", " : "", l->inputs[k]);
      printf("]}");
    }
    printf("]\n");
  } else {
    printf("%s: %zu lineage entr%s (file fingerprint %016" PRIx64 ")\n", in.name, m->n_lineage,
           m->n_lineage == 1 ? "y" : "ies", self);
    for (size_t i = 0; i < m->n_lineage; i++) {
      const zr_envelope_lineage *l = &m->lineage[i];
      char when[40];
      zr_cli_iso8601(l->time_ns, when, sizeof when);
      printf("%zu. %s  ", i + 1, when);
      put_str(stdout, l->operation, "(no operation)");
      printf("  by ");
      put_str(stdout, l->producer, "(unknown producer)");
      printf("\n");
      for (size_t k = 0; k < l->n_inputs; k++) printf("     input %016" PRIx64 "\n", l->inputs[k]);
    }
  }
  if (fflush(stdout) != 0) {
    zr_error_set(&err, ZR_ERR_IO, -1, "cannot write to standard output");
    rc = zr_cli_fail(cmd.name, "stdout", &err);
  } else {
    rc = ZR_CLI_OK;
  }
done:
  zr_envelope_clear(&env);
  zr_cli_input_close(&in);
  return rc;
}
