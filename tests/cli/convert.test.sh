#!/usr/bin/env bash
# zerial convert: json -> binary -> json round trips (compared with Python's json), envelopes on
# and off, stdin/stdout, detect, inspect --json.
set -euo pipefail
Z="${ZR_CLI:?}"
PY=/usr/bin/python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
pass=0
ok() { pass=$((pass + 1)); }
fail() { echo "FAIL: $*" >&2; exit 1; }

$PY - <<'PY'
import json, random
random.seed(7)
def rec(i):
    return {"id": i, "name": "user-%d" % i, "score": i * 0.25 - 3.5, "tags": ["a", "é", "日本"][: i % 4],
            "active": i % 2 == 0, "extra": None if i % 3 else {"nested": [1, [2, [3]]]}}
doc = {"rows": [rec(i) for i in range(200)], "big": 18446744073709551615, "bigger": 2**70, "neg": -2**63,
       "floats": [0.1, 1e300, -2.5e-300, 123456.789], "empty": {}, "empty_list": [], "s": "line\nbreak \"q\" \u0001"}
json.dump(doc, open("in.json", "w"))
PY

same_json() { $PY -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a==b else 1)' "$1" "$2"; }

# json -> binary -> json
"$Z" convert in.json out.zrb
[ "$("$Z" detect out.zrb)" = "binary" ] || fail "detect out.zrb"
"$Z" convert out.zrb back.json
same_json in.json back.json || fail "json->binary->json differs"
ok
# outputs get the usual mode (0666 less the umask), not the temporary file's 0600
umask 022
"$Z" convert in.json mode.zrb
[ "$(stat -c %a mode.zrb)" = "644" ] || fail "output mode $(stat -c %a mode.zrb)"
# binary is smaller than the JSON text
[ "$(stat -c %s out.zrb)" -lt "$(stat -c %s in.json)" ] || fail "binary not smaller than json"
ok

# envelope: on by --envelope, by .zrl; off by --no-envelope
"$Z" convert in.json env.zrb --envelope
[ "$("$Z" detect env.zrb)" = "envelope(binary)" ] || fail "detect env.zrb: $("$Z" detect env.zrb)"
"$Z" convert in.json env.zrl
[ "$("$Z" detect env.zrl)" = "envelope(binary)" ] || fail "detect env.zrl"
"$Z" convert in.json plain.zrl --no-envelope
[ "$("$Z" detect plain.zrl)" = "binary" ] || fail "detect plain.zrl"
cmp plain.zrl out.zrb || fail "--no-envelope output differs from plain binary"
"$Z" convert env.zrl back2.json
same_json in.json back2.json || fail "envelope round trip differs"
# envelope around JSON output, then unwrapped automatically
"$Z" convert env.zrl env_json.zrl --to json
[ "$("$Z" detect env_json.zrl)" = "envelope(json)" ] || fail "detect env_json.zrl"
"$Z" convert env_json.zrl back3.json
same_json in.json back3.json || fail "json-in-envelope round trip differs"
ok

# stdin / stdout
cat in.json | "$Z" convert - - --to binary > piped.zrb
cmp piped.zrb out.zrb || fail "stdin/stdout binary differs"
"$Z" convert - - --to json < env.zrl > piped.json
same_json in.json piped.json || fail "stdin envelope -> stdout json differs"
"$Z" convert out.zrb - --to json --pretty | $PY -c 'import json,sys; json.load(sys.stdin)' || fail "--pretty output"
[ "$("$Z" convert in.json - --to json --pretty | head -1)" = "{" ] || fail "--pretty not indented"
[ "$(cat env.zrl | "$Z" detect -)" = "envelope(binary)" ] || fail "detect stdin"
ok

# --from names the input format; --extended keeps kinds through JSON
printf '[1, 2, 3]' > noext
"$Z" convert noext x.zrb --from json
"$Z" convert x.zrb x.json
[ "$(cat x.json)" = "[1,2,3]" ] || fail "--from json: $(cat x.json)"
"$Z" convert out.zrb ext.json --extended
"$Z" convert ext.json ext.zrb --extended
"$Z" convert ext.zrb ext_back.json
same_json in.json ext_back.json || fail "--extended round trip differs"
ok

# inspect --json parses and carries the envelope metadata
"$Z" inspect env.zrl --json > insp.json
$PY - <<'PY' || fail "inspect --json content"
import json
d = json.load(open("insp.json"))
assert d["format"] == "binary", d["format"]
e = d["envelope"]
assert e["producer"] == "zerial-cli" and e["verified"] is True, e
assert e["payload_offset"] % 64 == 0
assert e["lineage"][-1]["operation"] == "convert json->binary", e["lineage"]
assert "T" in e["created_at"]
assert d["summary"]["values"] > 1000, d["summary"]
PY
"$Z" inspect in.json --json | $PY -c 'import json,sys; d=json.load(sys.stdin); assert d["envelope"] is None and d["format"]=="json"' \
  || fail "inspect json --json"
"$Z" inspect env.zrl > insp.txt
grep -q '^producer: *zerial-cli' insp.txt || fail "inspect text"
# lineage grows when an enveloped input is converted into an envelope again
"$Z" convert env.zrl env2.zrl
"$Z" inspect env2.zrl --json | $PY -c 'import json,sys; d=json.load(sys.stdin); l=d["envelope"]["lineage"]; assert len(l)==2 and l[1]["operation"]=="convert binary->binary", l' \
  || fail "lineage carried forward"
ok

# an output that is a FIFO (or a device such as /dev/null) is written in place, never replaced
mkfifo out.fifo
cat out.fifo > fifo.bytes &
reader=$!
"$Z" convert in.json out.fifo --to json --no-envelope || fail "convert into a FIFO"
wait "$reader"
[ -p out.fifo ] || fail "the FIFO was replaced by a regular file"
same_json in.json fifo.bytes || fail "FIFO output differs"
ok

# help and version
"$Z" help | grep -q '^  convert ' || fail "help lists convert"
"$Z" help convert | grep -q 'examples:' || fail "help convert"
"$Z" convert --help | grep -q 'usage: zerial convert' || fail "convert --help"
"$Z" version | grep -q '^jansson ' || fail "version"
ok

echo "$pass passed, 0 failed"
