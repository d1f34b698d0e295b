#!/usr/bin/env bash
# zerial plan: the estimate of bytes on the wire per format and codec against an actual
# serialization of all N rows (--verify). Stated tolerance, from sizes only: within 1% for
# uncompressed formats, within 15% for compressed ones (random synthetic rows); the shm size holds
# the uncompressed payload plus the region's header and directory, in whole 4 KiB pages.
set -euo pipefail
Z="${ZR_CLI:?}"
PY=/usr/bin/python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/s.json" <<'J'
{"fields": [{"id": 1, "name": "id", "type": "int64"}, {"id": 2, "name": "name", "type": "utf8"},
 {"id": 3, "name": "score", "type": "float64"},
 {"id": 4, "name": "tags", "type": {"type": "list", "element-id": 5, "element": "utf8"}},
 {"id": 6, "name": "active", "type": "bool"}, {"id": 7, "name": "small", "type": "int16"}]}
J
"$Z" plan --rows 12000 --schema "$tmp/s.json" --verify --json --string-bytes 12 --list-items 3 > "$tmp/plan.json"
$PY - "$tmp/plan.json" <<'P'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rows"] == 12000 and d["fields"] == 6
plans = d["plans"]
got = {(p["format"], p["codec"]) for p in plans}
for f in ("binary", "json", "arrow-stream", "arrow-file", "pickle", "etf"):
    for c in ("none", "lz4", "zstd", "gzip"):
        assert (f, c) in got, (f, c)
assert not any(p["format"] in ("npy", "npz") for p in plans), "npy/npz cannot carry records"
worst = {}
for p in plans:
    err = abs(p["wire_bytes"] - p["actual_bytes"]) / p["actual_bytes"]
    tol = 0.01 if p["codec"] == "none" else 0.15
    assert err <= tol, (p, err, tol)
    worst[p["codec"]] = max(worst.get(p["codec"], 0), err)
    none = [q for q in plans if q["format"] == p["format"] and q["codec"] == "none"][0]
    header = (128 + 16 * 192 + 63) // 64 * 64
    payload = (none["wire_bytes"] + 63) // 64 * 64
    assert p["shm_bytes"] == (header + payload + 4095) // 4096 * 4096, p
print("ok - estimates within tolerance; worst error per codec:", {k: round(v * 100, 2) for k, v in worst.items()})
P
"$Z" plan --rows 1000000 --schema "$tmp/s.json" --formats binary,arrow-stream --codecs none > "$tmp/plan.txt"
grep -qE '^binary +none +[0-9]+ +[0-9]+' "$tmp/plan.txt" && grep -qE '^arrow-stream +none' "$tmp/plan.txt"
echo "ok - a million rows estimated from samples (text output)"
set +e; "$Z" plan --schema "$tmp/s.json" 2>/dev/null; rc=$?; echo '{"fields": 3}' > "$tmp/bad.json"; "$Z" plan --rows 5 --schema "$tmp/bad.json" 2>/dev/null; rc2=$?; set -e
[ $rc -eq 2 ] && [ $rc2 -eq 1 ]; echo "ok - usage and schema errors"
