#!/usr/bin/env bash
# `make install` layout: headers, static and shared libraries, zerial.pc and the CMake package
# zerial::zerial; a consumer builds against each and runs.
set -euo pipefail
build="${ZR_BUILD_DIR:?}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in include/zerial/zerial.h include/zerial/value.h; do [ -f "$tmp/prefix/$f" ] || { echo "missing $f"; exit 1; }; done
lib="$(ls -d "$tmp"/prefix/lib* | head -1)"
[ -f "$lib/libzerial.a" ] && ls "$lib"/libzerial.so.0* >/dev/null; echo "ok - headers and libraries"
[ -f "$lib/pkgconfig/zerial.pc" ] && [ -f "$lib/cmake/zerial/zerialConfig.cmake" ]; echo "ok - zerial.pc and CMake package"
san=""
if grep -q "ZR_SANITIZE:BOOL=ON" "$build/CMakeCache.txt"; then san="-fsanitize=address,undefined"; fi
cat > "$tmp/consumer.c" <<'C'
#include <stdio.h>
#include <zerial/zerial.h>
int main(void) {
  zr_doc *d = zr_doc_new(NULL);
  zr_value m = zr_map_new(d, 1);
  zr_map_put_cstr(d, &m, "answer", zr_int(42));
  zr_doc_set_root(d, m);
  const zr_value *v;
  int ok = zr_value_at_path(zr_doc_root(d), "$.answer", &v, NULL) == ZR_OK && v->u.i == 42;
  printf("zerial %s %s\n", zr_version_string(), ok ? "works" : "FAILS");
  zr_doc_free(d);
  return ok ? 0 : 1;
}
C
export PKG_CONFIG_PATH="$lib/pkgconfig"
cc $san -o "$tmp/consumer_pc" "$tmp/consumer.c" $(pkg-config --cflags --libs zerial) -Wl,-rpath,"$lib"
${ZR_VG_RUN:-} "$tmp/consumer_pc" | grep -q works; echo "ok - pkg-config consumer (shared)"
cc $san -o "$tmp/consumer_static" "$tmp/consumer.c" $(pkg-config --cflags zerial) "$lib/libzerial.a" \
  $(pkg-config --libs $(sed -n 's/^Requires.private: //p' "$lib/pkgconfig/zerial.pc")) -lpthread -lm -lrt
${ZR_VG_RUN:-} "$tmp/consumer_static" | grep -q works; echo "ok - static consumer"
mkdir -p "$tmp/cm"
cp "$tmp/consumer.c" "$tmp/cm/"
cat > "$tmp/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.25)
project(consumer C)
find_package(zerial REQUIRED)
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE zerial::zerial)
target_compile_options(consumer PRIVATE $san)
target_link_options(consumer PRIVATE $san)
CM
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cm/build" >/dev/null
LD_LIBRARY_PATH="$lib" ${ZR_VG_RUN:-} "$tmp/cm/build/consumer" | grep -q works; echo "ok - CMake find_package(zerial) consumer"
echo "install layout checks passed"
