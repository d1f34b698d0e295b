#!/usr/bin/env bash
# examples/elixir_to_python runs: Elixir writes shared memory, a Python worker answers.
set -euo pipefail
command -v elixir >/dev/null || { echo "elixir is missing (scripts/install-deps.sh installs it)"; exit 1; }
out=$(bash "${ZR_SOURCE_DIR:?}/examples/elixir_to_python/run.sh" "${ZR_BUILD_DIR:?}")
echo "$out"
grep -q "^python: scored 1000 requests$" <<<"$out"
grep -q "^elixir: 1000 scores back from python" <<<"$out"
