#!/usr/bin/env bash
# The main job (`make run`): the quickstart example at full size, then `zerial inspect` on what it
# wrote. Usage: scripts/run-main.sh BUILD_DIR
set -euo pipefail
build="${1:?usage: $0 BUILD_DIR}"
build="$(cd "$build" && pwd)"
out_dir="$build/run"
mkdir -p "$out_dir"
out="$out_dir/quickstart.zrl"
echo "== example_quickstart (full size) =="
"$build/example_quickstart" --out "$out"
echo
echo "== zerial inspect $out =="
"$build/zerial" inspect "$out"
echo
echo "== zerial detect $out =="
"$build/zerial" detect "$out"
echo
echo "== examples/handoff: a C producer hands a table and a tensor to a Python worker through shared memory =="
"$(dirname "$0")/../examples/handoff/run.sh" "$build/example_handoff" --full
