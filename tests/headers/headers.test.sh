#!/usr/bin/env bash
# Every public header compiles on its own, as C11 and as C++17, with warnings as errors.
set -euo pipefail
src="${ZR_SOURCE_DIR:?}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
n=0
for h in "$src"/include/zerial/*.h; do
  name="$(basename "$h")"
  printf '#include "zerial/%s"\n#include "zerial/%s"\nint zr_header_probe;\n' "$name" "$name" > "$tmp/t.c"
  cc -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -I "$src/include" "$tmp/t.c" 2>"$tmp/err" \
    || { echo "FAIL (C) $name"; cat "$tmp/err"; exit 1; }
  cp "$tmp/t.c" "$tmp/t.cpp"
  c++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -I "$src/include" "$tmp/t.cpp" 2>"$tmp/err" \
    || { echo "FAIL (C++) $name"; cat "$tmp/err"; exit 1; }
  n=$((n + 1))
done
echo "$n headers compile alone as C and C++"
