#!/usr/bin/env bash
# docs/guides/troubleshooting.md has a section "## `ZR_<NAME>` (<number>)" for every status code of
# the X-macro list in include/zerial/status.h, each with its meaning and what to do (and none for a
# code that does not exist), and status.h documents every code (@var) for the API reference.
set -euo pipefail
exec /usr/bin/python3 - "${ZR_SOURCE_DIR:?}" <<'PY'
import re, sys
src = sys.argv[1]
hdr = open(src + "/include/zerial/status.h").read()
guide = open(src + "/docs/guides/troubleshooting.md").read()
codes = re.findall(r'^\s*X\((\w+),\s*(-?\d+),\s*"', hdr, re.M)
assert len(codes) >= 30, "could not read the status list"
sections = {}
for m in re.finditer(r'^## `ZR_(\w+)` \((-?\d+)\)\n(.*?)(?=^## |\Z)', guide, re.M | re.S):
    sections[m.group(1)] = (m.group(2), m.group(3))
bad = []
for name, num in codes:
    if name not in sections:
        bad.append("guide: no section for ZR_%s (%s)" % (name, num)); continue
    if sections[name][0] != num:
        bad.append("guide: ZR_%s is numbered %s, the header says %s" % (name, sections[name][0], num))
    body = sections[name][1]
    if name != "OK" and ("**Meaning.**" not in body or "**What to do.**" not in body):
        bad.append("guide: ZR_%s lacks Meaning or What to do" % name)
    if not re.search(r'@var ZR_%s$' % name, hdr, re.M):
        bad.append("status.h: no @var documentation for ZR_%s" % name)
for name in sections:
    if name not in dict(codes):
        bad.append("guide: section for unknown code ZR_%s" % name)
print("\n".join(bad) if bad else "%d status codes documented" % len(codes))
sys.exit(1 if bad else 0)
PY
