#!/usr/bin/env bash
# The shared library exports the public API (zr_*) and nothing else; it carries a SONAME.
set -euo pipefail
lib="${ZR_BUILD_DIR:?}/libzerial.so"
[ -f "$lib" ] || { echo "missing $lib"; exit 1; }
bad="$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^zr_' | grep -v '^_' || true)"
if [ -n "$bad" ]; then
  echo "symbols exported outside the API:"; echo "$bad" | head -50; exit 1
fi
internal="$(nm -D --defined-only "$lib" | awk '{print $3}' | grep '^zr__' || true)"
[ -z "$internal" ] || { echo "internal zr__ symbols exported:"; echo "$internal" | head; exit 1; }
readelf -d "$lib" | grep -q 'SONAME.*libzerial.so.0' || { echo "no SONAME libzerial.so.0"; exit 1; }
echo "$(nm -D --defined-only "$lib" | grep -c ' zr_') public symbols, none else"
