#!/usr/bin/env bash
# deploy/: the alert rules pass `promtool check rules` and their unit tests (`promtool test rules`);
# the Grafana dashboard parses and every panel query uses metrics zerial exports, as seen on a live
# `zerial serve`, whose exposition also passes `promtool check metrics`.
set -euo pipefail
Z="${ZR_CLI:?}"
SRC="${ZR_SOURCE_DIR:?}"
PY=/usr/bin/python3
if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIP: promtool is not installed (scripts/install-deps.sh installs the prometheus package)"
  exit 0
fi
# a bad address is a usage error (exit 2) naming what is wrong, for both servers
for bad in "nonsense:HOST:PORT" "300.1.1.1:80:IPv4 HOST" "1.2.3.4:70000:HOST:PORT"; do
  addr=${bad%%:[A-Z]*}; want=${bad#"$addr":}
  rc=0; msg=$("$Z" serve --metrics "$addr" 2>&1) || rc=$?
  [ "$rc" -eq 2 ] && grep -qF "$want" <<<"$msg" || { echo "serve --metrics $addr: rc $rc: $msg"; exit 1; }
  rc=0; msg=$("$Z" schema serve "$addr" 2>&1) || rc=$?
  [ "$rc" -eq 2 ] && grep -qF "$want" <<<"$msg" || { echo "schema serve $addr: rc $rc: $msg"; exit 1; }
done
T=$(mktemp -d)
SERVE_PID=
cleanup() {
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT

promtool check rules "$SRC/deploy/prometheus/zerial-alerts.yml"
(cd "$SRC" && promtool test rules tests/metrics/alerts_test.yml)

"$Z" serve --metrics 127.0.0.1:0 --port-file "$T/port" --selftest 3 2> "$T/serve.log" &
SERVE_PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { cat "$T/serve.log"; exit 1; }
PORT=$(cat "$T/port")
curl -sf "http://127.0.0.1:$PORT/metrics" > "$T/metrics.txt"
promtool check metrics < "$T/metrics.txt"
curl -sf "http://127.0.0.1:$PORT/healthz" > "$T/health.json"
curl -sf "http://127.0.0.1:$PORT/readyz" | grep -qx ready
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/nope")
[ "$code" = 404 ]

$PY - "$SRC/deploy/grafana/zerial-dashboard.json" "$T/metrics.txt" "$T/health.json" "$SRC/deploy/prometheus/zerial-alerts.yml" <<'PY'
import json, re, sys
dash_path, metrics_path, health_path, rules_path = sys.argv[1:5]
types = {}
for line in open(metrics_path):
    if line.startswith('# TYPE '):
        _, _, name, typ = line.split()
        types[name] = typ
assert 'zerial_operations_total' in types and types['zerial_operation_duration_seconds'] == 'histogram', types

def known(name):
    if name in types:
        return True
    for suf in ('_bucket', '_sum', '_count'):
        if name.endswith(suf) and types.get(name[: -len(suf)]) == 'histogram':
            return True
    return False

d = json.load(open(dash_path))
assert d['title'] and d['uid'] and isinstance(d['panels'], list) and d['panels'], 'dashboard shape'
ids = [p['id'] for p in d['panels']]
assert len(ids) == len(set(ids)), 'panel ids must be unique'
exprs = []
for p in d['panels']:
    for k in ('type', 'title', 'gridPos', 'targets'):
        assert k in p, (p.get('title'), k)
    assert p['targets'], p['title']
    for t in p['targets']:
        e = t['expr']
        names = re.findall(r'\bzerial_[a-z0-9_]+', e)
        assert names, (p['title'], e)
        for n in names:
            assert known(n), (p['title'], n, 'is not exported')
        exprs.append(e)
text = '\n'.join(exprs)
# what the dashboard must show
assert 'histogram_quantile(0.5,' in text and 'histogram_quantile(0.99,' in text, 'p50 and p99'
for must in ('zerial_operations_total', 'zerial_errors_total', 'zerial_compression_ratio', 'zerial_format_decisions_total',
             'zerial_fallbacks_total'):
    assert must in text, must
titles = ' '.join(p['title'].lower() for p in d['panels'])
for w in ('throughput', 'p50', 'p99', 'error rate', 'compression ratio', 'decisions'):
    assert w in titles, w
# the alert rules use exported names too
for n in re.findall(r'\bzerial_[a-z0-9_]+', open(rules_path).read()):
    assert known(n), (n, 'in the alert rules is not exported')
h = json.load(open(health_path))
assert h['status'] == 'ok' and {c['name'] for c in h['checks']} >= {'format.binary', 'shm'}, h
print('dashboard: %d panels, %d queries, all on exported metrics' % (len(d['panels']), len(exprs)))
PY
