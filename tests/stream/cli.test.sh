#!/usr/bin/env bash
# zerial convert --stream: JSON lines <-> binary and Arrow streams (compared with Python's json),
# Arrow stream export read back by `zerial convert`, kill -9 mid-conversion then --resume (exact
# record count), truncation and corruption reported with code and offset, usage errors.
set -euo pipefail
Z="${ZR_CLI:?}"
PY=/usr/bin/python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }

$PY - <<'PY'
import json
with open("in.jsonl", "w") as f:
    for i in range(6000):
        f.write(json.dumps({"id": i, "name": "user-%d" % i, "score": i * 0.25, "ok": i % 3 == 0, "tag": "é日本"[: i % 4]}) + "\n")
        if i % 1000 == 0:
            f.write("   \n")  # blank lines are not records
PY
same() { $PY -c '
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
b = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
if a != b:
    print("differ: %d vs %d records" % (len(a), len(b)), file=sys.stderr); sys.exit(1)' "$1" "$2"; }

# binary chunks, with and without compression and threads
"$Z" convert --stream in.jsonl b.zrs --quiet --chunk-size 16K
"$Z" detect b.zrs >/dev/null 2>&1 || true
"$Z" convert --stream b.zrs back.jsonl --quiet
same in.jsonl back.jsonl || fail "binary round trip"
"$Z" convert --stream in.jsonl bz.zrs --compression zstd --threads 2 --chunk-size 8K --quiet
"$Z" convert --stream bz.zrs - --quiet > backz.jsonl
same in.jsonl backz.jsonl || fail "zstd round trip"
[ "$(stat -c %s bz.zrs)" -lt "$(stat -c %s b.zrs)" ] || fail "compression did not shrink"
[ ! -e b.zrs.ckpt ] || fail "checkpoint left after a complete conversion"

# stdin -> stdout
cat in.jsonl | "$Z" convert --stream - - --compression lz4 --quiet | "$Z" convert --stream - pipe.jsonl --quiet
same in.jsonl pipe.jsonl || fail "pipe round trip"

# Arrow chunks, exported as one plain Arrow IPC stream that the ordinary convert reads
"$Z" convert --stream in.jsonl a.zrs --to arrow --chunk-rows 1000 --quiet
"$Z" convert --stream a.zrs aback.jsonl --quiet
same in.jsonl aback.jsonl || fail "arrow round trip"
"$Z" convert --stream a.zrs a.arrows --to arrow-stream --quiet
"$Z" convert a.arrows a.json --from arrow-stream
$PY -c '
import json, sys
a = [json.loads(l) for l in open("in.jsonl") if l.strip()]
b = json.load(open("a.json"))
sys.exit(0 if a == b else 1)' || fail "arrow stream export"

# the progress bar is on with --progress, off with --quiet (stderr is not a terminal here)
"$Z" convert --stream in.jsonl p.zrs --progress 2> progress.txt
grep -q "100.0%" progress.txt || fail "no progress bar with --progress"
"$Z" convert --stream in.jsonl q.zrs 2> quiet.txt
[ ! -s quiet.txt ] || fail "progress without a terminal"

# kill -9 mid-conversion, then --resume: exactly the input's records, once each, in order
$PY - <<'PY'
import json
with open("big.jsonl", "w") as f:
    for i in range(30000):
        f.write(json.dumps({"id": i, "payload": "x" * (i % 50)}) + "\n")
PY
for delay in 0.3 1.0; do
  rm -f r.zrs r.zrs.ckpt
  timeout -s KILL "$delay" "$Z" convert --stream big.jsonl r.zrs --chunk-size 4K --quiet || true
  "$Z" convert --stream big.jsonl r.zrs --chunk-size 4K --resume --quiet
  "$Z" convert --stream r.zrs rback.jsonl --quiet
  same big.jsonl rback.jsonl || fail "resume after kill at ${delay}s"
  [ ! -e r.zrs.ckpt ] || fail "checkpoint left after resume"
done
# resuming a complete output does nothing
before=$(md5sum < r.zrs)
"$Z" convert --stream big.jsonl r.zrs --resume --quiet
[ "$(md5sum < r.zrs)" = "$before" ] || fail "resume touched a complete stream"

# truncation: exit 1, ERR_TRUNCATED with the count of good chunks and an offset; no output left
size=$(stat -c %s b.zrs)
head -c $((size - 100)) b.zrs > cut.zrs
set +e
"$Z" convert --stream cut.zrs cut.jsonl --quiet 2> err.txt
rc=$?
set -e
[ $rc -eq 1 ] || fail "truncated stream exit $rc"
grep -q "ERR_TRUNCATED" err.txt || fail "no ERR_TRUNCATED: $(cat err.txt)"
grep -q "good chunks" err.txt || fail "no good-chunk count: $(cat err.txt)"
[ ! -e cut.jsonl ] || fail "output left after a failed read"

# corruption: ERR_CHECKSUM at the frame's offset
cp b.zrs bad.zrs
printf 'X' | dd of=bad.zrs bs=1 seek=200 conv=notrunc 2>/dev/null
set +e
"$Z" convert --stream bad.zrs bad.jsonl --quiet 2> err.txt
rc=$?
set -e
[ $rc -eq 1 ] || fail "corrupt stream exit $rc"
grep -q "ERR_CHECKSUM" err.txt || fail "no ERR_CHECKSUM: $(cat err.txt)"
grep -q "at byte 32" err.txt || fail "no frame offset: $(cat err.txt)"

# a bad JSON line names its line number
printf '{"a": 1}\n{"a": \n' > badline.jsonl
set +e
"$Z" convert --stream badline.jsonl bl.zrs --quiet 2> err.txt
rc=$?
set -e
[ $rc -eq 1 ] || fail "bad json exit $rc"
grep -q "line 2" err.txt || fail "no line number: $(cat err.txt)"

# usage errors exit 2
set +e
"$Z" convert --stream in.jsonl x.zrs --compression nope 2>/dev/null; [ $? -eq 2 ] || fail "bad codec"
"$Z" convert --stream in.jsonl x.zrs --to npy 2>/dev/null; [ $? -eq 2 ] || fail "bad --to"
"$Z" convert --stream in.jsonl - --resume 2>/dev/null; [ $? -eq 2 ] || fail "resume to stdout"
"$Z" convert --stream b.zrs x.arrows --to arrow-stream 2>/dev/null; [ $? -eq 1 ] || fail "binary to arrow-stream"
set -e
"$Z" convert --help | grep -q -- "--resume" || fail "help"
echo "stream cli: ok"
