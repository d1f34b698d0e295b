/* Worked examples of every subcommand, printed by `zerial help COMMAND` and `zerial COMMAND --help`.
 *
 * Each entry is a sequence of "  # explanation" and "  $ command" lines. The examples of the
 * commands that finish on their own are run, in table order, in one scratch directory by
 * tests/docs/cli_help.test.sh (which starts from an events.json of records), so they must keep
 * working; the man page docs/man/zerial.1 shows the same examples. */
#include "help_examples.h"

#include <string.h>

typedef struct {
  const char *name;
  const char *text;
} help_example;

static const help_example examples[] = {
    {"convert",
     "  # JSON records to the compact binary format inside a checksummed envelope (.zrl)\n"
     "  $ zerial convert events.json events.zrl\n"
     "  # the same value as plain binary, no envelope (.zrb)\n"
     "  $ zerial convert events.json events.zrb\n"
     "  # back to indented JSON on the terminal\n"
     "  $ zerial convert events.zrl - --to json --pretty\n"
     "  # records as an Arrow IPC file that pandas/pyarrow open directly\n"
     "  $ zerial convert events.json events.arrow\n"
     "  # let zerial choose the format and the codec (prints the choice and why)\n"
     "  $ zerial convert events.json events.auto --to auto --compression auto --envelope\n"
     "  # zstd-compressed binary in an envelope, read from a pipe\n"
     "  $ cat events.json | zerial convert - events.zst.zrl --compression zstd --level 3\n"
     "  # Arrow to JSON lines and back in bounded memory, one record batch at a time\n"
     "  $ zerial convert --stream events.arrow events.jsonl\n"
     "  $ zerial convert --stream events.jsonl events.arrows --chunk-rows 65536\n"},
    {"detect",
     "  # one line: the format, or envelope(<inner format>) for a framed file\n"
     "  $ zerial detect events.zrl\n"
     "  $ zerial detect events.arrow\n"
     "  # in a script: branch on the format of what arrived on stdin\n"
     "  $ cat events.zrb | zerial detect -\n"},
    {"inspect",
     "  # format, sizes, envelope metadata (producer, created-at, checksum) and a summary\n"
     "  $ zerial inspect events.zrl\n"
     "  # the same as one JSON object, for scripts\n"
     "  $ zerial inspect events.arrow --json\n"},
    {"explain",
     "  # which format --to auto would choose for this value, and why\n"
     "  $ zerial explain events.json\n"
     "  # the reader is a Python worker: rank for it\n"
     "  $ zerial explain events.json --target python\n"
     "  # measure every viable format and codec on this data (3 runs each), as JSON\n"
     "  $ zerial explain events.zrb --measure --json\n"},
    {"lineage",
     "  # which operations, by which producer, made this file from which inputs\n"
     "  $ zerial lineage events.zrl\n"
     "  # as JSON, or as a Graphviz graph (render with: dot -Tsvg > lineage.svg)\n"
     "  $ zerial lineage events.zrl --json\n"
     "  $ zerial lineage events.zrl --dot\n"},
    {"schema",
     "  # infer a schema from data and register it in a local registry file\n"
     "  $ zerial schema infer events.json > events.schema.json\n"
     "  $ zerial schema register events events.schema.json --registry reg.db\n"
     "  # is new data still compatible with the subject's mode (BACKWARD by default)?\n"
     "  $ zerial schema check events events.json --registry reg.db\n"
     "  # history, Markdown documentation, and a stricter mode\n"
     "  $ zerial schema list events --registry reg.db\n"
     "  $ zerial schema doc events --registry reg.db\n"
     "  $ zerial schema mode events FULL_TRANSITIVE --registry reg.db\n"
     "  # serve it over HTTP (Confluent REST subset) and query it remotely\n"
     "  $ zerial schema serve 127.0.0.1:8081 --registry reg.db\n"
     "  $ zerial schema list --registry http://127.0.0.1:8081\n"},
    {"arrow-integration",
     "  # Apache Arrow's integration protocol: write the integration JSON as an Arrow file, check it\n"
     "  $ zerial arrow-integration --mode JSON_TO_ARROW --json t.json --arrow t.arrow_file\n"
     "  $ zerial arrow-integration --mode VALIDATE --json t.json --arrow t.arrow_file\n"
     "  # file to stream and back\n"
     "  $ zerial arrow-integration --mode FILE_TO_STREAM --arrow t.arrow_file --stream t.stream\n"
     "  $ zerial arrow-integration --mode STREAM_TO_FILE --stream t.stream --arrow t2.arrow_file\n"},
    {"version",
     "  # the zerial version and the versions of liblz4, libzstd, zlib, ... it was linked with\n"
     "  $ zerial version\n"
     "  $ zerial --version\n"},
    {"help",
     "  # every command with its one-line summary\n"
     "  $ zerial help\n"
     "  # the options and worked examples of one command (same as zerial convert --help)\n"
     "  $ zerial help convert\n"},
    {"serve",
     "  # expose Prometheus metrics (serialize/deserialize counts, bytes, latency histograms)\n"
     "  $ zerial serve --metrics 127.0.0.1:9464\n"
     "  # scrape them\n"
     "  $ curl -s http://127.0.0.1:9464/metrics\n"},
    {"bench",
     "  # measure serialize/deserialize of every format and codec on built-in data\n"
     "  $ zerial bench\n"
     "  # on your own data, as JSON for a dashboard, with an SVG chart\n"
     "  $ zerial bench events.json --json\n"
     "  $ zerial bench events.json --svg bench.svg\n"},
    {"plan",
     "  # predicted size, format and codec for 10 million rows of a schema, before writing any\n"
     "  $ zerial plan --rows 10000000 --schema events.schema.json\n"},
};

const char *zr_cli_help_examples(const char *name) {
  for (size_t i = 0; name && i < sizeof examples / sizeof examples[0]; i++)
    if (strcmp(examples[i].name, name) == 0) return examples[i].text;
  return NULL;
}
