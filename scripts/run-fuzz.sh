#!/usr/bin/env bash
# Run every libFuzzer target in BUILD_DIR for SECONDS each (nice'd), starting from its checked-in
# corpus and regressions, then minimize what it found into fuzz/corpus/<target> (-merge=1).
# A crash, timeout, leak or OOM is copied to fuzz/regressions/<target>/ (rename it after what it
# shows when you fix it: ctest replays that folder) and the script exits 1.
#   scripts/run-fuzz.sh BUILD_DIR [SECONDS] [TARGET...]
# Environment: FUZZ_MERGE=0 skips the corpus minimization; FUZZ_JOBS=N runs N targets at once.
# A summary line per target (seconds, executions, corpus size) goes to BUILD_DIR/fuzz-summary.txt.
set -uo pipefail
build="${1:?build dir}"
secs="${2:-30}"
shift $(( $# >= 2 ? 2 : $# ))
top="$(cd "$(dirname "$0")/.." && pwd)"
merge="${FUZZ_MERGE:-1}"
summary="$build/fuzz-summary.txt"
status=0

targets=()
if [ $# -gt 0 ]; then
  for t in "$@"; do targets+=("$build/fuzz_$t"); done
else
  for bin in "$build"/fuzz_*; do [ -x "$bin" ] && targets+=("$bin"); done
fi

run_one() {
  local bin="$1" name scratch art log seeds d start end
  name="$(basename "$bin")"; name="${name#fuzz_}"
  scratch="$build/fuzz-corpus/$name"
  art="$build/fuzz-artifacts/$name/"
  log="$build/fuzz-$name.log"
  rm -rf "$art"
  mkdir -p "$scratch" "$art"
  seeds=()
  for d in "$top/fuzz/corpus/$name" "$top/fuzz/regressions/$name"; do [ -d "$d" ] && seeds+=("$d"); done
  echo "== $name: ${secs}s"
  start=$(date +%s)
  nice -n 10 "$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$art" "$scratch" "${seeds[@]}" > "$log" 2>&1
  local rc=$?
  end=$(date +%s)
  local execs
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
  local found=0 slow=0 f
  for f in "$art"*; do
    [ -f "$f" ] || continue
    # an input over -report_slow_units seconds is not a failure (on a loaded machine it is often
    # the machine): keep it beside the log for a look, do not call it a finding
    case "$(basename "$f")" in slow-unit-*) slow=$((slow + 1)); continue ;; esac
    found=1
    mkdir -p "$top/fuzz/regressions/$name"
    cp "$f" "$top/fuzz/regressions/$name/$(basename "$f")"
  done
  if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
    echo "   FINDING in $name (exit $rc): see $log; inputs copied to fuzz/regressions/$name/"
    echo "$name seconds=$((end - start)) execs=${execs:-?} FINDING" >> "$summary"
    return 1
  fi
  if [ "$merge" = 1 ]; then
    # minimize into the checked-in corpus: only inputs that add coverage to what it already holds
    # are added (named by their SHA-1); the named seeds stay (tests and docs refer to them)
    mkdir -p "$top/fuzz/corpus/$name"
    nice -n 10 "$bin" -merge=1 -timeout=25 -rss_limit_mb=2048 "$top/fuzz/corpus/$name" "$scratch" >> "$log" 2>&1 \
      || echo "   (merge of $name failed: see $log)"
  fi
  local ncorp
  ncorp="$(ls "$top/fuzz/corpus/$name" 2>/dev/null | wc -l)"
  [ "$slow" -gt 0 ] && echo "   $name: $slow slow input(s) left in $art (not failures; re-run them to check)"
  echo "   $name: $((end - start)) s, ${execs:-?} executions, corpus $ncorp files"
  echo "$name seconds=$((end - start)) execs=${execs:-?} corpus=$ncorp" >> "$summary"
}

jobs="${FUZZ_JOBS:-1}"
running=0
for bin in "${targets[@]}"; do
  [ -x "$bin" ] || { echo "no fuzz binary $bin"; status=1; continue; }
  if [ "$jobs" -le 1 ]; then
    run_one "$bin" || status=1
  else
    run_one "$bin" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || status=1; running=$((running - 1)); fi
  fi
done
while [ "$running" -gt 0 ]; do wait -n || status=1; running=$((running - 1)); done
exit $status
