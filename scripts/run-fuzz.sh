#!/usr/bin/env bash
# Run every libFuzzer target in BUILD_DIR for SECONDS each, starting from its checked-in corpus.
# New corpus entries go to a scratch folder; crashes are saved under fuzz/artifacts/<target>/.
set -euo pipefail
build="${1:?build dir}"
secs="${2:-30}"
top="$(cd "$(dirname "$0")/.." && pwd)"
status=0
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  name="$(basename "$bin")"; name="${name#fuzz_}"
  scratch="$build/fuzz-corpus/$name"
  art="$top/fuzz/artifacts/$name/"
  mkdir -p "$scratch" "$art"
  seeds=()
  for d in "$top/fuzz/corpus/$name" "$top/fuzz/regressions/$name"; do [ -d "$d" ] && seeds+=("$d"); done
  echo "== $name: ${secs}s"
  if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$art" \
       "$scratch" "${seeds[@]}" > "$build/fuzz-$name.log" 2>&1; then
    echo "   FINDING in $name: see $build/fuzz-$name.log and $art"; status=1
  else
    grep -E "^(#[0-9]+).*DONE|Done [0-9]+ runs" "$build/fuzz-$name.log" | tail -1 || true
  fi
done
exit $status
