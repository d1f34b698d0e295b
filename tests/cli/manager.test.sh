#!/usr/bin/env bash
# zerial convert through the serialization manager: --to auto (choice and reasons printed) and
# --compression (payload compressed inside the envelope; read back transparently).
set -euo pipefail
Z="${ZR_CLI:?}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -c 'import json; print(json.dumps([{"id": i, "score": i * 0.5, "name": "n%d" % (i % 7)} for i in range(5000)]))' > "$tmp/rows.json"
"$Z" convert "$tmp/rows.json" "$tmp/rows.out" --to auto 2> "$tmp/err"
grep -q "arrow-stream" "$tmp/err" && grep -q "table" "$tmp/err"
[ "$("$Z" detect "$tmp/rows.out")" = "arrow-stream" ]; echo "ok - --to auto picks Arrow for records and says why"
"$Z" convert "$tmp/rows.json" "$tmp/rows.zrl" --to binary --compression zstd --envelope 2> "$tmp/err"
grep -q "codec zstd" "$tmp/err"
"$Z" inspect "$tmp/rows.zrl" > "$tmp/inspect.txt"
grep -q "codec zstd" "$tmp/inspect.txt"
"$Z" convert "$tmp/rows.zrl" "$tmp/back.json"
/usr/bin/python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' "$tmp/rows.json" "$tmp/back.json"
echo "ok - zstd inside an envelope round-trips"
set +e; "$Z" convert "$tmp/rows.json" "$tmp/x" --compression bogus 2>/dev/null; rc=$?; set -e
[ $rc -eq 2 ] && [ ! -e "$tmp/x" ]; echo "ok - unknown codec is a usage error and writes nothing"
for f in arrow-file arrow-stream; do
  "$Z" convert "$tmp/rows.json" "$tmp/rows.$f" --to "$f"
  [ "$("$Z" detect "$tmp/rows.$f")" = "$f" ]
  "$Z" convert "$tmp/rows.$f" "$tmp/rows.$f.json"
  /usr/bin/python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' "$tmp/rows.json" "$tmp/rows.$f.json"
done
echo "ok - JSON -> Arrow stream/file -> JSON rows round-trip"
echo "manager conversions passed"
