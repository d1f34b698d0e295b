#!/usr/bin/env bash
# bench/regress.py on synthetic results (no timing is measured here): a slowdown beyond the
# threshold fails with exit 1 and names the metric; within it, or below --min-ms, passes; size
# growth counts; zerial bench --json rows and bench/results-style nested files both work.
set -euo pipefail
PY=/usr/bin/python3
R="${ZR_SOURCE_DIR:?}/bench/regress.py"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/base.json" <<'J'
{"rows": [{"format": "binary", "codec": "none", "ok": true, "bytes": 1000, "ratio": 1.0, "encode_ms": 10.0, "decode_ms": 20.0},
          {"format": "binary", "codec": "zstd", "ok": true, "bytes": 300, "ratio": 3.3, "encode_ms": 15.0, "decode_ms": 5.0},
          {"format": "npy", "codec": "none", "ok": false, "skipped": "npy holds one tensor"}]}
J
mk() { $PY - "$tmp/base.json" "$tmp/$1.json" "$2" <<'P'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
P
}
mk same 'pass'
mk slow 'd["rows"][0]["encode_ms"] = 12.0'
mk within 'd["rows"][0]["encode_ms"] = 10.9; d["rows"][1]["decode_ms"] = 4.0'
mk tiny 'd["rows"][1]["decode_ms"] = 5.04'
mk bigger 'd["rows"][1]["bytes"] = 400'
mk gone 'd["rows"] = []'
$PY "$R" "$tmp/base.json" "$tmp/same.json" > "$tmp/out"; echo "ok - identical results pass"
set +e; $PY "$R" "$tmp/base.json" "$tmp/slow.json" > "$tmp/out"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q 'REGRESSION binary+none.encode_ms' "$tmp/out"; echo "ok - a 20% slowdown fails (exit 1) and names the metric"
$PY "$R" "$tmp/base.json" "$tmp/slow.json" --threshold 0.25 > /dev/null; echo "ok - the same slowdown passes a 25% threshold"
$PY "$R" "$tmp/base.json" "$tmp/within.json" > "$tmp/out"; grep -q 'improved   binary+zstd.decode_ms' "$tmp/out"; echo "ok - 9% slower passes at 10%; improvements listed"
$PY "$R" "$tmp/base.json" "$tmp/tiny.json" --threshold 0.0 --min-ms 0.05 > /dev/null; echo "ok - differences below --min-ms are noise"
set +e; $PY "$R" "$tmp/base.json" "$tmp/bigger.json" --json > "$tmp/out.json"; rc=$?; set -e
[ $rc -eq 1 ]
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [r["metric"] for r in d["regressions"]] == ["binary+zstd.bytes"], d' "$tmp/out.json"
echo "ok - size growth is a regression (JSON report)"
set +e; $PY "$R" "$tmp/base.json" "$tmp/gone.json" 2>/dev/null; rc=$?; $PY "$R" "$tmp/base.json" /nonexistent 2>/dev/null; rc2=$?; set -e
[ $rc -eq 2 ] && [ $rc2 -eq 2 ]; echo "ok - nothing comparable / unreadable input: exit 2"
# nested results (bench/results/*.json layout)
echo '{"records": 1000, "runs": 5, "zerial": {"bytes": 70, "encode": 68.0, "decode_tree": 100.0}, "ratios": {"encode_vs_msgpack": 2.0}}' > "$tmp/nb.json"
echo '{"records": 1000, "runs": 5, "zerial": {"bytes": 70, "encode": 68.5, "decode_tree": 130.0}, "ratios": {"encode_vs_msgpack": 1.0}}' > "$tmp/nc.json"
set +e; $PY "$R" "$tmp/nb.json" "$tmp/nc.json" > "$tmp/out"; rc=$?; set -e
[ $rc -eq 1 ] && grep -q 'REGRESSION zerial.decode_tree' "$tmp/out" && ! grep -q 'zerial.encode ' "$tmp/out" && ! grep -q ratios "$tmp/out"
echo "ok - nested result files: times by path, ratios ignored"
