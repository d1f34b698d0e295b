#!/usr/bin/env bash
# Run the Elixir -> Python example from a build tree:  run.sh BUILD_DIR
# Needs elixir, the BEAM bindings built in BUILD_DIR/bindings/beam/ebin and the Python module in
# BUILD_DIR/python. When the build is sanitized, only the Python worker gets the ASan/UBSan
# runtimes preloaded (the NIF in ebin is built without sanitizers, erl never gets them).
set -euo pipefail
build="$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ebin="$build/bindings/beam/ebin"
[ -f "$ebin/Elixir.Zerial.beam" ] || { echo "run.sh: no Elixir bindings in $ebin" >&2; exit 1; }
module="$(ls "$build"/python/zerial/_zerial*.so 2>/dev/null | head -1 || true)"
[ -n "$module" ] || { echo "run.sh: the Python module is not built in $build/python" >&2; exit 1; }
worker=(env PYTHONPATH="$build/python" PYTHONDONTWRITEBYTECODE=1)
if ldd "$module" | grep libasan >/dev/null; then
  worker+=(LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" ASAN_OPTIONS=detect_leaks=0)
fi
# ZR_VG_RUN (the ZR_VALGRIND test build, see docs/coverage.md): the Python worker under valgrind
[ -z "${ZR_VG_RUN:-}" ] || worker+=("$ZR_VG_RUN")
worker+=(/usr/bin/python3 "$here/worker.py")
exec elixir -pa "$ebin" "$here/producer.exs" "${worker[@]}"
