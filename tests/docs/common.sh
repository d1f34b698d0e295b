# Helpers for the docs tests (sourced, not a test itself).
# zr_cc OUT SRC...: compile a C program against the build tree's shared library (sanitized when
# the build is). zr_python ARGS...: /usr/bin/python3 with the build tree's zerial module.
src=${ZR_SOURCE_DIR:?}
build=${ZR_BUILD_DIR:?}
zr_san=""
if grep -q "ZR_SANITIZE:BOOL=ON" "$build/CMakeCache.txt" 2>/dev/null; then zr_san="-fsanitize=address,undefined"; fi
zr_cc() {
  local out=$1; shift
  cc -std=c11 -Wall -Wextra -Werror $zr_san -I"$src/include" -o "$out" "$@" "$build/libzerial.so" \
    -Wl,-rpath,"$build"
}
zr_python() {
  local module
  module=$(ls "$build"/python/zerial/_zerial*.so 2>/dev/null | head -1 || true)
  [ -n "$module" ] || { echo "the Python module is not built in $build/python" >&2; return 1; }
  if ldd "$module" | grep libasan >/dev/null; then
    env PYTHONPATH="$build/python" LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
      ASAN_OPTIONS=detect_leaks=0 /usr/bin/python3 "$@"
  else
    # ZR_VG_RUN: valgrind prefix in the ZR_VALGRIND build (empty otherwise)
    env PYTHONPATH="$build/python" ${ZR_VG_RUN:-} /usr/bin/python3 "$@"
  fi
}
# zr_md_block FILE LANG N: the N-th (1-based) fenced code block of language LANG in a Markdown file
zr_md_block() {
  awk -v lang="$2" -v want="$3" '
    /^ *```/ { t = $0; sub(/^ */, "", t)
               if (on) { on = 0; if (n == want) exit; next }
               if (t == "```" lang) { n++; if (n == want) { on = 1; ind = length($0) - length(t) }; next } }
    on { print substr($0, ind + 1) }' "$1"
}
