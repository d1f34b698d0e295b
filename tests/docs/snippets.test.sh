#!/usr/bin/env bash
# Every ```c, ```python and ```elixir block of the guides listed below is a complete program:
# compile and run each (C against the build's library, Python with the build's module, Elixir
# with the build's NIF) in a scratch directory, in the order of the page.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
guides=${ZR_DOCS_GUIDES:-"getting-started choosing-a-format migrating performance-tuning"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ebin="$build/bindings/beam/ebin"
count=0
for g in $guides; do
  md="$src/docs/guides/$g.md"
  [ -f "$md" ] || { echo "missing guide $md"; exit 1; }
  for lang in c python elixir; do
    i=1
    while :; do
      code=$(zr_md_block "$md" "$lang" "$i")
      [ -n "$code" ] || break
      dir="$work/$g-$lang-$i"; mkdir -p "$dir"
      case $lang in
        c) printf '%s\n' "$code" > "$dir/main.c"
           zr_cc "$dir/prog" "$dir/main.c" || { echo "$g.md: C block $i does not compile"; exit 1; }
           (cd "$dir" && ${ZR_VG_RUN:-} ./prog) > "$dir/out" 2>&1 || { cat "$dir/out"; echo "$g.md: C block $i failed"; exit 1; } ;;
        python) printf '%s\n' "$code" > "$dir/main.py"
           (cd "$dir" && zr_python main.py) > "$dir/out" 2>&1 || { cat "$dir/out"; echo "$g.md: Python block $i failed"; exit 1; } ;;
        elixir)
           command -v elixir >/dev/null && [ -f "$ebin/Elixir.Zerial.beam" ] || { echo "elixir or the BEAM bindings missing"; exit 1; }
           printf '%s\n' "$code" > "$dir/main.exs"
           (cd "$dir" && elixir -pa "$ebin" main.exs) > "$dir/out" 2>&1 || { cat "$dir/out"; echo "$g.md: Elixir block $i failed"; exit 1; } ;;
      esac
      echo "ok - $g.md $lang block $i"; sed 's/^/    /' "$dir/out" | head -5
      count=$((count + 1)); i=$((i + 1))
    done
  done
done
echo "$count guide snippets ran"
