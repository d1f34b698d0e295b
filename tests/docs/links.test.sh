#!/usr/bin/env bash
# Every relative link in README.md, docs/guides/*.md and docs/tutorials/*.md points at a file or
# directory of the tree. Pages written on other branches (streaming, metrics, hostile input) are
# tolerated while they have not been merged yet.
set -euo pipefail
exec /usr/bin/python3 - "${ZR_SOURCE_DIR:?}" <<'PY'
import glob, os, re, sys
src = sys.argv[1]
pending = {"docs/guides/streaming.md", "docs/guides/metrics.md", "docs/guides/hostile-input.md",
           "docs/formats/stream.md", "examples/streaming"}
pages = [src + "/README.md"] + sorted(glob.glob(src + "/docs/guides/*.md") + glob.glob(src + "/docs/tutorials/*.md"))
bad = n = 0
for page in pages:
    text = re.sub(r"```.*?```", "", open(page).read(), flags=re.S)   # links only outside code
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(page), target.split("#")[0]))
        rel = os.path.relpath(path, src)
        n += 1
        if not os.path.exists(path) and rel not in pending:
            print("%s: broken link %s" % (os.path.relpath(page, src), target)); bad += 1
print("%d relative links checked in %d pages, %d broken" % (n, len(pages), bad))
sys.exit(1 if bad else 0)
PY
