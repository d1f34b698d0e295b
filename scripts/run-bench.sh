#!/usr/bin/env bash
# Run every benchmark program built in BUILD_DIR (Release, -DZR_BENCH=ON); each prints its
# medians and ratios and writes bench/results/<name>.json.
set -euo pipefail
build="${1:?build dir}"
top="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$top/bench/results"
cd "$top"
for b in "$build"/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" --out "$top/bench/results"
done
for py in "$top"/bench/*.py; do
  [ -f "$py" ] || continue
  echo "== $(basename "$py")"
  ZR_BUILD_DIR="$build" /usr/bin/python3 "$py" --out "$top/bench/results"
done
