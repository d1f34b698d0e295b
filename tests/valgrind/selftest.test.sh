#!/usr/bin/env bash
# The valgrind runner of `make test-valgrind` (scripts/valgrind/vg-run, vg-test) catches what it
# must: an error in a program a script expects to fail, an error in a process killed before its
# summary, a definite leak; and passes a clean program with its own exit status.
# Runs in the ZR_VALGRIND build only (about a minute of valgrind start-ups); elsewhere it is
# skipped with a note, as when valgrind is not installed.
set -euo pipefail
[ -n "${ZR_VG_RUN:-}" ] || { echo "not the ZR_VALGRIND build (make test-valgrind): skipped"; exit 0; }
command -v valgrind >/dev/null || { echo "valgrind missing: skipped"; exit 0; }
vg="${ZR_SOURCE_DIR:?}/scripts/valgrind"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export ZR_BUILD_DIR="$tmp" # vg-test logs go to $tmp/valgrind-logs/<name>
# this test itself runs under vg-test: its own deliberate errors must not land in that log folder
export ZR_VG_LOG_DIR="$tmp/direct"
cat > "$tmp/prog.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "clean";
  int *p = malloc(4 * sizeof *p);
  if (!p) return 3;
  if (strcmp(mode, "uninit") == 0 || strcmp(mode, "hang") == 0) {
    if (p[argc] > 3) puts("branch on an uninitialised value"); /* memcheck: Cond */
    fflush(stdout);
    if (mode[0] == 'h') for (;;) pause();
  }
  if (strcmp(mode, "leak") == 0) { p = NULL; return 0; }
  free(p);
  return strcmp(mode, "fail") == 0 ? 4 : 0;
}
C
cc -g -O0 -o "$tmp/prog" "$tmp/prog.c"

rc=0; "$vg/vg-run" "$tmp/prog" uninit > /dev/null 2>&1 || rc=$?
[ "$rc" -eq 97 ] || { echo "vg-run: an error must exit 97, got $rc"; exit 1; }
echo "ok - vg-run exits 97 on a memcheck error"

rc=0; "$vg/vg-test" clean "$tmp/prog" > "$tmp/out" || rc=$?
[ "$rc" -eq 0 ] && grep -q "no errors" "$tmp/out" || { cat "$tmp/out"; echo "clean program must pass"; exit 1; }
rc=0; "$vg/vg-test" fail "$vg/vg-run" "$tmp/prog" fail > "$tmp/out" || rc=$?
[ "$rc" -eq 4 ] || { cat "$tmp/out"; echo "vg-test must keep the command's exit status, got $rc"; exit 1; }
echo "ok - a clean program passes with its own exit status"

# the script expects a failure and gets one: the memcheck error must still fail the test
rc=0; "$vg/vg-test" expected_failure bash -c "! '$vg/vg-run' '$tmp/prog' uninit" > "$tmp/out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q "valgrind reported errors" "$tmp/out" || { cat "$tmp/out"; echo "error hidden by an expected failure"; exit 1; }
echo "ok - an error in a call the script expects to fail still fails the test"

rc=0; "$vg/vg-test" leak "$vg/vg-run" "$tmp/prog" leak > "$tmp/out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q "definitely lost" "$tmp/out" || { cat "$tmp/out"; echo "definite leak not reported"; exit 1; }
echo "ok - a definite leak fails the test"

# a process killed after its error (like a server a script stops) has no summary in its log
cat > "$tmp/killer.sh" <<SH
"$vg/vg-run" "$tmp/prog" hang > "$tmp/hang.out" 2>&1 &
pid=\$!
for _ in \$(seq 600); do grep -q branch "$tmp/hang.out" 2>/dev/null && break; sleep 0.1; done
kill -9 \$pid; wait \$pid 2>/dev/null || true
SH
rc=0; "$vg/vg-test" killed bash "$tmp/killer.sh" > "$tmp/out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q "valgrind reported errors" "$tmp/out" || { cat "$tmp/out"; echo "error of a killed process missed"; exit 1; }
echo "ok - an error of a process killed before its summary fails the test"
echo "valgrind runner self-test passed"
