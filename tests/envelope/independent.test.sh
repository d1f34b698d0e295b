#!/usr/bin/env bash
# The envelope spec is enough to write a reader: a Python reader/writer written from
# docs/formats/envelope.md reads the golden frames and the CLI's frames, and the CLI reads its frames.
set -euo pipefail
Z="${ZR_CLI:?}"
src="${ZR_SOURCE_DIR:?}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
if ! /usr/bin/python3 -c 'import xxhash' 2>/dev/null; then
  echo "python3-xxhash missing (scripts/install-deps.sh installs it)"; exit 1
fi
printf '{"k": [1, 2, 3], "s": "text"}' > in.json
"$Z" convert in.json cli.zrl
PYTHONPATH="$src/tests/envelope" /usr/bin/python3 - "$src/tests/envelope/golden" <<'PY'
import json, os, sys
import envelope_reader as er
gold = sys.argv[1]
f = er.read(open(os.path.join(gold, "json_meta.zrl"), "rb").read())
assert f["format_id"] == 8 and f["codec"] == 0
assert f["payload"] == b'{"id":1,"name":"zerial","tags":["a","b"]}', f["payload"]
m = f["meta"]
assert m["schema_fp"] == 0xDEADBEEFCAFEF00D and m["producer"] == "zerial-test"
assert m["kv"] == [("run", "2026-11-27"), ("émoji", "✓"), ("empty", "")], m["kv"]
assert m["lineage"][0] == ("convert json->binary", "zerial-cli 0.1.0", 1795000000123456789, [0x1122334455667788, 42])
assert er.read(open(os.path.join(gold, "empty.zrl"), "rb").read())["payload"] == b""
# the CLI's frame
c = er.read(open("cli.zrl", "rb").read())
assert c["format_id"] == 1 and c["meta"]["producer"] == "zerial-cli" and c["meta"]["lineage"]
# damage is caught by the independent reader too
d = bytearray(open("cli.zrl", "rb").read()); d[-1] ^= 1
try:
    er.read(bytes(d)); raise SystemExit("flip not detected")
except er.Bad:
    pass
# a frame written by the independent writer, for the CLI
open("py.zrl", "wb").write(er.write(8, b'{"from": "python", "n": [1, 2]}', producer="py", kv=[("a", "b")]))
# a gzip-compressed payload (codec 3, RFC 1952), which the CLI decompresses through the codec module
import gzip
raw = json.dumps({"compressed": list(range(100))}).encode()
open("py_gz.zrl", "wb").write(er.write(8, gzip.compress(raw), producer="py", codec=3, raw_len=len(raw)))
open("py_gz_bad.zrl", "wb").write(er.write(8, gzip.compress(raw), producer="py", codec=3, raw_len=len(raw) + 1))
PY
[ "$("$Z" detect py.zrl)" = "envelope(json)" ] || { echo "CLI does not detect the Python frame"; exit 1; }
"$Z" convert py.zrl out.json
[ "$(cat out.json)" = '{"from":"python","n":[1,2]}' ] || { echo "payload: $(cat out.json)"; exit 1; }
"$Z" inspect py.zrl --json | /usr/bin/python3 -c 'import json,sys; e=json.load(sys.stdin)["envelope"]; assert e["producer"]=="py" and e["kv"]==[{"key":"a","value":"b"}], e'
"$Z" convert py_gz.zrl gz.json
/usr/bin/python3 -c 'import json; assert json.load(open("gz.json")) == {"compressed": list(range(100))}' || { echo "gzip payload"; exit 1; }
if "$Z" convert py_gz_bad.zrl bad.json 2> err.txt; then echo "raw length mismatch accepted"; exit 1; fi
[ ! -e bad.json ] || { echo "output from a bad frame"; exit 1; }
echo "6 passed, 0 failed"
