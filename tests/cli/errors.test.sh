#!/usr/bin/env bash
# zerial: bad input exits 1 with a byte offset, usage errors exit 2, and a failed conversion
# leaves no output file (nor a temporary one), nor touches an existing one.
set -uo pipefail
Z="${ZR_CLI:?}"
PY=/usr/bin/python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
pass=0
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { # expect CODE PATTERN -- command...
  local code="$1" pat="$2"
  shift 3
  "$@" > out.txt 2> err.txt
  local rc=$?
  [ "$rc" = "$code" ] || fail "exit $rc (wanted $code) from: $* :: $(cat err.txt)"
  if [ -n "$pat" ]; then grep -Eq -- "$pat" err.txt || fail "stderr of '$*' lacks /$pat/: $(cat err.txt)"; fi
  pass=$((pass + 1))
}

printf '{"a": [1, 2,, 3]}' > bad.json
printf '{"rows": [1, 2, 3], "name": "ok"}' > good.json
"$Z" convert good.json good.zrl || fail "setup"

# bad input: exit 1, message with a byte offset
expect 1 'byte 12' -- "$Z" convert bad.json out.zrb
[ ! -e out.zrb ] || fail "failed conversion left out.zrb"
ls out.zrb.tmp.* >/dev/null 2>&1 && fail "temporary file left behind"
printf '{"a": ' > trunc.json
expect 1 'ERR_TRUNCATED' -- "$Z" convert trunc.json out.zrb
# an existing output survives a failed run unchanged
echo keep > existing.zrb
expect 1 'byte' -- "$Z" convert bad.json existing.zrb
[ "$(cat existing.zrb)" = "keep" ] || fail "existing output was modified"

# damaged envelopes: a flipped payload bit, a truncation, text-mode mangling
$PY -c 'import sys; d=bytearray(open("good.zrl","rb").read()); d[-3]^=4; open("flip.zrl","wb").write(d)'
expect 1 'checksum.*byte 48|ERR_CHECKSUM' -- "$Z" convert flip.zrl out.json
[ ! -e out.json ] || fail "output from a corrupt frame"
head -c 100 good.zrl > cut.zrl
expect 1 'truncated.*ERR_TRUNCATED' -- "$Z" inspect cut.zrl
$PY -c 'd=open("good.zrl","rb").read(); open("crlf.zrl","wb").write(d.replace(b"\r\n", b"\n"))'
expect 1 'text mode' -- "$Z" detect crlf.zrl
expect 1 'ERR_CHECKSUM' -- "$Z" detect flip.zrl
# trailing garbage after a frame
cat good.zrl good.json > trailing.zrl
expect 1 "$(stat -c %s good.json) unexpected bytes after the envelope.*byte $(stat -c %s good.zrl)" -- "$Z" convert trailing.zrl out.json
# undetectable input
printf '\x01\x02\x03 binary junk' > junk.bin
expect 1 'cannot detect' -- "$Z" convert junk.bin out.json
expect 1 '' -- "$Z" detect junk.bin
grep -q '^unknown$' out.txt || fail "detect junk prints unknown"
# malformed binary payload, offset reported
head -c 10 good.zrl > /dev/null
"$Z" convert good.json good.zrb
head -c 8 good.zrb > short.zrb
expect 1 'byte|ERR_' -- "$Z" convert short.zrb out.json --from binary
# missing input file
expect 1 'nosuch' -- "$Z" convert nosuch.json out.zrb

# usage errors: exit 2
expect 2 'usage: zerial COMMAND' -- "$Z"
expect 2 "unknown command" -- "$Z" frobnicate
expect 2 'needs IN and OUT' -- "$Z" convert good.json
expect 2 "unknown option '--bogus'" -- "$Z" convert good.json x.zrb --bogus
expect 2 "unknown output format 'nosuch'" -- "$Z" convert good.json x.out --to nosuch
expect 2 "unknown input format" -- "$Z" convert good.json x.zrb --from nosuch
expect 2 '--to needs' -- "$Z" convert good.json x.zrb --to
expect 2 'needs FILE' -- "$Z" inspect
expect 2 'unexpected argument' -- "$Z" detect a b
expect 2 'unknown command' -- "$Z" help frobnicate
[ ! -e x.zrb ] && [ ! -e x.out ] || fail "usage error created an output"

echo "$pass passed, 0 failed"
