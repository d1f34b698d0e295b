#!/usr/bin/env bash
# docs/guides/troubleshooting.md has a section "## `ZR_<NAME>` (<number>)" for every status code of
# the X-macro list in include/zerial/status.h, each with its meaning and what to do, and the
# header documents every code for the API reference.
set -euo pipefail
src=${ZR_SOURCE_DIR:?}
guide=$src/docs/guides/troubleshooting.md
hdr=$src/include/zerial/status.h
codes=$(sed -n 's/^ *X(\([A-Z_0-9]*\), *\(-\{0,1\}[0-9]*\), *".*/\1 \2/p' "$hdr")
[ "$(printf '%s\n' "$codes" | wc -l)" -ge 30 ] || { echo "could not read the status list"; exit 1; }
missing=0
while read -r name num; do
  if ! grep -qxF "## \`ZR_$name\` ($num)" "$guide"; then echo "guide: no section for ZR_$name ($num)"; missing=1; continue; fi
  if [ "$name" != OK ]; then
    sect=$(awk -v h="## \`ZR_$name\` ($num)" '$0==h{on=1; next} on && /^## /{exit} on' "$guide")
    grep -q '\*\*Meaning.\*\*' <<<"$sect" || { echo "guide: ZR_$name has no Meaning"; missing=1; }
    grep -q '\*\*What to do.\*\*' <<<"$sect" || { echo "guide: ZR_$name has no What to do"; missing=1; }
  fi
  grep -q "@var ZR_$name\$" "$hdr" || { echo "status.h: no @var documentation for ZR_$name"; missing=1; }
done <<<"$codes"
# and no section for a code that does not exist
for h in $(sed -n 's/^## `ZR_\([A-Z_0-9]*\)`.*/\1/p' "$guide"); do
  printf '%s\n' "$codes" | grep -q "^$h " || { echo "guide: section for unknown code ZR_$h"; missing=1; }
done
[ $missing = 0 ] && echo "$(printf '%s\n' "$codes" | wc -l) status codes documented"
exit $missing
