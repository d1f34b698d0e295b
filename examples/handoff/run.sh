#!/usr/bin/env bash
# Run the handoff example: the C producer publishes a region and starts the Python worker.
#   run.sh PATH/TO/example_handoff [--full | producer options]
# Without options it runs small sizes (--small: 10k rows, 4 MiB tensor), as ctest does; `--full`
# runs the main job's sizes (1M rows, 256 MiB tensor). The Python module is taken from the
# producer's build tree (<build>/python); when that build is sanitized, the worker's interpreter
# gets the sanitizer runtimes preloaded (leak detection off: CPython keeps memory until exit).
set -euo pipefail
exe="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(dirname "$exe")"
args=(--small)
if [ "${1:-}" = "--full" ]; then args=(); shift; fi
if [ $# -gt 0 ]; then args=("$@"); fi

module="$(ls "$build"/python/zerial/_zerial*.so 2>/dev/null | head -1 || true)"
if [ -z "$module" ]; then
  echo "run.sh: the Python module is not built in $build/python (python3-dev missing?)" >&2
  exit 1
fi
preload=""
if ldd "$module" | grep libasan >/dev/null; then
  preload="LD_PRELOAD=$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so) ASAN_OPTIONS=detect_leaks=0"
fi
# ZR_VG_RUN (the ZR_VALGRIND test build, see docs/coverage.md) runs both sides under valgrind
vg="${ZR_VG_RUN:-}"
worker="env PYTHONPATH=$build/python $preload $vg /usr/bin/python3 $here/worker.py"
exec $vg "$exe" "${args[@]}" --worker "$worker"
