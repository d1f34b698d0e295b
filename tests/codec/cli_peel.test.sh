#!/usr/bin/env bash
# The CLI looks into a bare zstd / LZ4 / gzip frame (no envelope): detect says codec(format),
# inspect reports the codec and ratio, convert reads it; a damaged frame is an error naming the codec.
set -euo pipefail
Z="${ZR_CLI:?}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -c 'import json; print(json.dumps({"ids": list(range(2000)), "name": "peel"}))' > "$tmp/d.json"
/usr/bin/python3 -c 'import gzip,sys; open(sys.argv[2],"wb").write(gzip.compress(open(sys.argv[1],"rb").read()))' "$tmp/d.json" "$tmp/d.json.gz"
exts="gz"
if command -v zstd > /dev/null; then zstd -q -f "$tmp/d.json" -o "$tmp/d.json.zst"; exts="$exts zst"; fi
if command -v lz4 > /dev/null; then lz4 -q -f "$tmp/d.json" "$tmp/d.json.lz4"; exts="$exts lz4"; fi
for e in $exts; do
  case $e in gz) c=gzip ;; zst) c=zstd ;; lz4) c=lz4 ;; esac
  [ "$("$Z" detect "$tmp/d.json.$e")" = "$c(json)" ]
  "$Z" inspect "$tmp/d.json.$e" > "$tmp/insp.txt"
  grep -q "compressed: $c frame" "$tmp/insp.txt"
  "$Z" convert "$tmp/d.json.$e" "$tmp/back.$e.json"
  /usr/bin/python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' "$tmp/d.json" "$tmp/back.$e.json"
  echo "ok - bare $c frame: detect, inspect, convert"
done
# a compressed binary encoding inside gzip converts too
"$Z" convert "$tmp/d.json" "$tmp/d.zrb" --to binary
/usr/bin/python3 -c 'import gzip,sys; open(sys.argv[2],"wb").write(gzip.compress(open(sys.argv[1],"rb").read()))' "$tmp/d.zrb" "$tmp/d.zrb.gz"
[ "$("$Z" detect "$tmp/d.zrb.gz")" = "gzip(binary)" ]; echo "ok - gzip(binary)"
# damaged: truncated frame, flipped byte
head -c 40 "$tmp/d.json.gz" > "$tmp/cut.gz"
set +e; "$Z" convert "$tmp/cut.gz" "$tmp/x.json" 2> "$tmp/err"; rc=$?; set -e
[ $rc -ne 0 ] && grep -q "gzip" "$tmp/err" && [ ! -e "$tmp/x.json" ]; echo "ok - truncated gzip frame is an error naming the codec"
# --shuffle: typed arrays compressed inside the binary format (version 2), read back unchanged
/usr/bin/python3 -c 'import json; print(json.dumps({"t": [1700000000000 + 1000 * i + i % 7 for i in range(6000)], "s": "x"}))' > "$tmp/ts.json"
"$Z" convert "$tmp/ts.json" "$tmp/plain.zrb"
for sh in byte bit auto; do
  "$Z" convert "$tmp/ts.json" "$tmp/ts.$sh.zrb" --shuffle $sh --compression lz4
  [ "$(stat -c %s "$tmp/ts.$sh.zrb")" -lt "$(stat -c %s "$tmp/plain.zrb")" ]
  "$Z" inspect --json "$tmp/ts.$sh.zrb" > "$tmp/insp.json"
  grep -q '"compressed": *true' "$tmp/insp.json"
  grep -q '"codec": *"lz4"' "$tmp/insp.json"
  [ $sh = auto ] || grep -q "\"filter\": *\"$sh\"" "$tmp/insp.json"
  "$Z" convert "$tmp/ts.$sh.zrb" "$tmp/ts.back.json"
  /usr/bin/python3 -c 'import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' "$tmp/ts.json" "$tmp/ts.back.json"
done
echo "ok - --shuffle byte|bit|auto compresses typed arrays inside the binary format (inspect: codec, filter)"
set +e; "$Z" convert "$tmp/ts.json" "$tmp/y.zrb" --shuffle sideways 2>/dev/null; rc=$?; set -e
[ $rc -eq 2 ]; echo "ok - unknown --shuffle is a usage error"
