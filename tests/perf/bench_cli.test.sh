#!/usr/bin/env bash
# zerial bench: rows for every format x codec that can carry the value, JSON output, a
# recommendation, and an SVG chart that is well-formed XML with one point per measured row.
# No timing is asserted (shared machines): only structure and sizes.
set -euo pipefail
Z="${ZR_CLI:?}"
PY=/usr/bin/python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
$PY -c 'import json; print(json.dumps([{"id": i, "name": "n%d" % (i % 13), "score": i * 0.25} for i in range(2000)]))' > "$tmp/rows.json"
"$Z" bench "$tmp/rows.json" --runs 1 --json --svg "$tmp/chart.svg" > "$tmp/out.json"
$PY - "$tmp/out.json" "$tmp/chart.svg" <<'PYEOF'
import json, sys
import xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
rows = r["rows"]
ok = [x for x in rows if x["ok"]]
fmts = {x["format"] for x in ok}
assert {"binary", "json", "arrow-stream", "arrow-file"} <= fmts, fmts
assert {"npy"} & {x["format"] for x in rows if not x["ok"]}, "npy cannot carry records: listed as skipped"
for x in rows:
    if not x["ok"]:
        assert x["skipped"], x
codecs = {x["codec"] for x in ok if x["format"] == "binary"}
assert codecs == {"none", "lz4", "zstd", "gzip"}, codecs
ref = r["reference_bytes"]
for x in ok:
    assert x["bytes"] > 0 and abs(x["ratio"] - ref / x["bytes"]) < 1e-3 * x["ratio"] + 1e-3, x
    assert x["encode_ms"] >= 0 and x["decode_ms"] >= 0
    if x["format"] == "binary" and x["codec"] == "none":
        assert x["bytes"] == ref
rec = r["recommendation"]
assert rec and (rec["format"], rec["codec"]) in {(x["format"], x["codec"]) for x in ok}
root = ET.parse(sys.argv[2]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
pts = root.findall(".//{http://www.w3.org/2000/svg}circle")
assert len(pts) == len(ok), (len(pts), len(ok))
assert sorted((p.get("data-format"), p.get("data-codec")) for p in pts) == sorted((x["format"], x["codec"]) for x in ok)
print("ok - bench JSON and SVG:", len(ok), "rows measured,", len(rows) - len(ok), "skipped; recommended", rec["format"], rec["codec"])
PYEOF
# the built-in sample, text output, a restricted set
"$Z" bench --runs 1 --formats binary,etf --codecs none,zstd > "$tmp/out.txt"
[ "$(grep -cE '^(binary|etf) ' "$tmp/out.txt")" -eq 4 ]
grep -q '^recommendation: ' "$tmp/out.txt"; echo "ok - built-in sample, text table"
set +e; "$Z" bench --runs 0 2>/dev/null; rc=$?; "$Z" bench /nonexistent 2>/dev/null; rc2=$?; set -e
[ $rc -eq 2 ] && [ $rc2 -eq 1 ]; echo "ok - usage and input errors"
