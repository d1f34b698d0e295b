#!/usr/bin/env bash
# The C and Python examples of README.md compile and run: the C program writes hello.zrb, the
# Python example reads it and round-trips a numpy array.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zr_md_block "$src/README.md" c 1 > "$work/hello.c"
zr_md_block "$src/README.md" python 1 > "$work/hello.py"
[ "$(wc -l < "$work/hello.c")" -le 12 ] || { echo "the README's C example grew past 12 lines"; exit 1; }
[ -s "$work/hello.py" ] || { echo "no Python example in README.md"; exit 1; }
zr_cc "$work/hello" "$work/hello.c"
(cd "$work" && ./hello)
[ -s "$work/hello.zrb" ] || { echo "the C example wrote no hello.zrb"; exit 1; }
out=$(cd "$work" && zr_python hello.py)
echo "$out"
[ "$out" = "{'id': 42, 'name': 'ada'}" ] || { echo "unexpected output of the Python example"; exit 1; }
echo "README examples: C and Python ran"
