#!/usr/bin/env bash
# `zerial help COMMAND` has worked examples for every registered subcommand, the man page
# docs/man/zerial.1 has a section for each (with the same examples) and renders without a
# warning, and the examples of the commands that finish on their own run successfully.
set -euo pipefail
src=${ZR_SOURCE_DIR:?}
cli=${ZR_CLI:?}
man1=$src/docs/man/zerial.1
fail() { echo "FAIL: $*"; exit 1; }

# the man page is clean roff
warn=$(groff -man -ww -z "$man1" 2>&1) || fail "groff failed: $warn"
[ -z "$warn" ] || fail "groff warnings: $warn"
if command -v man >/dev/null; then
  warn=$(MANWIDTH=100 man -l "$man1" 2>&1 >/dev/null) || fail "man -l failed: $warn"
  [ -z "$warn" ] || fail "man -l warnings: $warn"
fi
# roff source with escapes undone, to compare example lines
plain=$(sed -e 's/\\-/-/g' -e 's/\\(aq/'"'"'/g' "$man1")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/help"
cmds=$("$cli" help | awk '/^commands:/{on=1; next} on && /^$/{exit} on{print $1}')
[ -n "$cmds" ] || fail "zerial help lists no commands"
n=0
for c in $cmds; do
  help=$("$cli" help "$c") || fail "zerial help $c failed"
  printf '%s\n' "$help" > "$work/help/$c"
  if [ "$c" = convert ]; then   # one check of the --help path (every process costs under ASan)
    [ "$("$cli" "$c" --help)" = "$help" ] || fail "zerial $c --help differs from zerial help $c"
  fi
  ex=$(printf '%s\n' "$help" | awk '/^examples:/{on=1; next} on')
  grep -q 'zerial' <<<"$ex" || fail "zerial help $c shows no examples"
  grep -qx "\.SS ${c//-/\\\\-}" "$man1" || fail "the man page has no section for $c"
  while IFS= read -r line; do
    cmd=${line#  \$ }
    [ "$cmd" != "$line" ] || continue
    grep -qxF -- "$cmd" <<<"$plain" || fail "example of $c not in the man page: $cmd"
  done <<<"$ex"
  n=$((n + 1))
done
echo "$n commands have examples and a man page section"

# run the examples that finish on their own, in order, in a scratch directory
mkdir -p "$work/run"
cd "$work/run"
cat > events.json <<'JSON'
[{"id": 1, "user": "ada", "score": 0.5, "tags": ["a", "b"]},
 {"id": 2, "user": "grace", "score": 1.25, "tags": []},
 {"id": 3, "user": "linus", "score": -2.0, "tags": ["c"]}]
JSON
zerial() { "$cli" "$@"; }
export -f zerial
export cli
ran=0
for c in convert detect inspect explain lineage schema version help; do
  grep -qx "$c" <<<"$cmds" || continue
  while IFS= read -r line; do
    cmd=${line#  \$ }
    [ "$cmd" != "$line" ] || continue
    case "$cmd" in *serve*|*http://*) continue ;; esac   # long-running server and its client
    bash -c "set -o pipefail; $cmd" >out.log 2>&1 || { cat out.log; fail "example failed: $cmd"; }
    ran=$((ran + 1))
  done < "$work/help/$c"
done
echo "$ran examples ran"
