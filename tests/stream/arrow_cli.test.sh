#!/usr/bin/env bash
# zerial convert --stream between JSON lines and a plain Arrow IPC stream (.arrows): round trip
# compared with Python's json, the .arrows read by apache-arrow (node) when tests/interop/js has
# it installed (else by zerial's own whole-file reader), an Arrow file read with --stream,
# schema inference rules (int widened to float, missing field null) and errors naming the line.
set -euo pipefail
Z="${ZR_CLI:?}"
PY=/usr/bin/python3
JS="${ZR_SOURCE_DIR:?}/tests/interop/js"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }

$PY - <<'PY'
import json
with open("in.jsonl", "w") as f:
    for i in range(5000):
        r = {"id": i, "name": "user-%d" % i, "score": i * 0.25, "ok": i % 3 == 0, "tags": [i, i + 1][: i % 3]}
        if i % 7 == 0:
            r["name"] = None
        f.write(json.dumps(r) + "\n")
PY
same() { $PY -c '
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
b = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
if a != b:
    d = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    print("differ at record %d: %d vs %d records" % (d, len(a), len(b)), file=sys.stderr); sys.exit(1)' "$1" "$2"; }

# JSON lines -> .arrows (detected by the extension), several record batches, and back
"$Z" convert --stream in.jsonl out.arrows --chunk-rows 700 --quiet
"$Z" convert --stream out.arrows back.jsonl --quiet
same in.jsonl back.jsonl || fail "jsonl -> arrows -> jsonl"
# --to arrow-stream to stdout, read back from stdin
"$Z" convert --stream in.jsonl - --to arrow-stream --quiet | "$Z" convert --stream - pipe.jsonl --quiet
same in.jsonl pipe.jsonl || fail "pipe round trip"
cmp out.arrows <("$Z" convert --stream in.jsonl - --to arrow-stream --chunk-rows 700 --quiet) || fail "stdout differs from file"

# the .arrows read by another implementation
if command -v node >/dev/null 2>&1 && [ -d "$JS/node_modules/apache-arrow" ]; then
  node -e '
    const { tableFromIPC } = require(process.argv[1] + "/node_modules/apache-arrow/Arrow.node.js");
    const t = tableFromIPC(require("fs").readFileSync(process.argv[2]));
    if (t.numRows !== 5000 || t.batches.length !== 8) { console.error("rows", t.numRows, "batches", t.batches.length); process.exit(1); }
    for (const i of [0, 1, 7, 699, 700, 4999]) {
      const r = t.get(i);
      const name = i % 7 === 0 ? null : "user-" + i;
      if (Number(r.id) !== i || r.name !== name || r.score !== i * 0.25 || r.ok !== (i % 3 === 0)) { console.error("row", i, String(r)); process.exit(1); }
    }' "$JS" out.arrows || fail "apache-arrow read"
  echo "arrow_cli: apache-arrow read ok"
else
  "$Z" convert out.arrows whole.json --from arrow-stream
  $PY -c '
import json, sys
a = [json.loads(l) for l in open("in.jsonl")]
b = json.load(open("whole.json"))
sys.exit(0 if a == b else 1)' || fail "whole-file reader"
  echo "arrow_cli: node/apache-arrow missing: read with zerial's whole-file reader"
fi

# an Arrow file (ARROW1) read with --stream
"$Z" convert out.arrows out.arrow --from arrow-stream --to arrow-file
"$Z" convert --stream out.arrow fback.jsonl --quiet
same in.jsonl fback.jsonl || fail "arrow file -> jsonl"

# inference: ints then a float in the first batch widen; missing fields become null
printf '{"a":1,"b":"x"}\n{"a":2.5}\n{"b":"y","a":3}\n{"a":4}\n' > w.jsonl
"$Z" convert --stream w.jsonl w.arrows --chunk-rows 2 --quiet
"$Z" convert --stream w.arrows wback.jsonl --quiet
$PY -c '
import json
b = [json.loads(l) for l in open("wback.jsonl")]
assert b == [{"a": 1.0, "b": "x"}, {"a": 2.5, "b": None}, {"a": 3.0, "b": "y"}, {"a": 4.0, "b": None}], b
assert all(isinstance(r["a"], float) for r in b), b' || fail "widening / missing field"

# errors name the line and the field
printf '{"a":1}\n{"a":2}\n\n{"a":3}\n{"a":4.5}\n' > e1.jsonl
if "$Z" convert --stream e1.jsonl e1.arrows --chunk-rows 2 2>err1; then fail "float after int schema accepted"; fi
grep -q "line 5" err1 && grep -q "'a'" err1 || { cat err1; fail "type error message"; }
printf '{"a":1}\n{"a":2}\n{"a":3,"zz":1}\n' > e2.jsonl
if "$Z" convert --stream e2.jsonl e2.arrows --chunk-rows 2 2>err2; then fail "unknown field accepted"; fi
grep -q "line 3" err2 && grep -q "'zz'" err2 || { cat err2; fail "unknown field message"; }
[ ! -e e2.arrows ] || fail "partial output left after an error"
printf '{"a":1}\n[1]\n' > e3.jsonl
if "$Z" convert --stream e3.jsonl e3.arrows 2>err3; then fail "non-object row accepted"; fi
grep -q "line 2" err3 || { cat err3; fail "non-object message"; }
# a truncated stream is reported
head -c 3000 out.arrows > cut.arrows
if "$Z" convert --stream cut.arrows cut.jsonl --quiet 2>errc; then fail "truncated stream accepted"; fi
echo "arrow_cli: ok"
