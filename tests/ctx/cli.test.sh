#!/usr/bin/env bash
# zerial explain and zerial lineage through the CLI.
set -euo pipefail
Z="${ZR_CLI:?}"
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
$PY -c "
import json; json.dump([{'id': i, 'name': 'n%d' % i, 'score': i * 0.5} for i in range(300)], open('rec.json', 'w'))"

# explain: text names the winner, JSON parses and ranks the candidates best first
"$Z" explain rec.json > ex.txt
grep -q '^shape: records' ex.txt
grep -q '^chosen: ' ex.txt
"$Z" explain rec.json --json --measure > ex.json
$PY - <<'PY'
import json
d = json.load(open('ex.json'))
assert d['characteristics']['shape'] == 'records', d['characteristics']
c = d['candidates']
assert len(c) >= 4 and c[0]['format'] == d['format'] and c[0]['viable']
scores = [x['score'] for x in c if x['viable']]
assert scores == sorted(scores, reverse=True), scores
assert c[0]['measurements'] >= 3 and c[0]['measured_ns_per_byte'] is not None, c[0]
assert d['reason']
PY
"$Z" explain rec.json --target beam --performance 0 --compatibility 1 > /dev/null
if "$Z" explain rec.json --target cobol 2> err.txt; then exit 1; fi
grep -q "'target'" err.txt
if "$Z" explain /nonexistent 2> /dev/null; then exit 1; fi

# lineage: convert writes an envelope with a lineage entry; a second convert extends it
"$Z" convert rec.json a.zrl
"$Z" convert a.zrl b.zrl --envelope
"$Z" lineage b.zrl > lin.txt
cat lin.txt
grep -q 'lineage entr' lin.txt
"$Z" lineage b.zrl --json > lin.json
$PY -c "
import json; l = json.load(open('lin.json')); assert len(l) >= 1 and all('operation' in e for e in l), l"
"$Z" lineage b.zrl --dot > lin.dot
grep -q '^digraph lineage {' lin.dot
grep -q -- '-> file;' lin.dot
if command -v dot > /dev/null; then dot -Tsvg lin.dot > /dev/null; fi
# not an envelope: a clear error
if "$Z" lineage rec.json 2> err.txt; then exit 1; fi
grep -q 'not an envelope' err.txt
echo ok
