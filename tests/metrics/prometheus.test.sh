#!/usr/bin/env bash
# A real Prometheus server (Debian's `prometheus`) scrapes `zerial serve` on loopback: the target
# is up, our series are stored, and every query of the Grafana dashboard and of the alert rules
# is valid PromQL that Prometheus evaluates against them.
set -euo pipefail
Z="${ZR_CLI:?}"
SRC="${ZR_SOURCE_DIR:?}"
PY=/usr/bin/python3
PROM=$(command -v prometheus || true)
if [ -z "$PROM" ]; then
  echo "SKIP: prometheus is not installed (scripts/install-deps.sh installs it)"
  exit 0
fi
T=$(mktemp -d)
SERVE_PID=
PROM_PID=
cleanup() {
  for p in $PROM_PID $SERVE_PID; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT

"$Z" serve --metrics 127.0.0.1:0 --port-file "$T/zport" --selftest 20 2> "$T/serve.log" &
SERVE_PID=$!
for _ in $(seq 1 100); do [ -s "$T/zport" ] && break; sleep 0.1; done
[ -s "$T/zport" ] || { cat "$T/serve.log"; exit 1; }
ZPORT=$(cat "$T/zport")

# a free port for Prometheus (bind to port 0, read it, release it)
PPORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat > "$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $SRC/deploy/prometheus/zerial-alerts.yml
scrape_configs:
  - job_name: zerial
    static_configs:
      - targets: ['127.0.0.1:$ZPORT']
YML
"$PROM" --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/data" \
  --web.listen-address="127.0.0.1:$PPORT" --log.level=warn > "$T/prom.log" 2>&1 &
PROM_PID=$!

$PY - "$PPORT" "$SRC/deploy/grafana/zerial-dashboard.json" "$SRC/deploy/prometheus/zerial-alerts.yml" <<'PY' || { echo "--- prometheus log"; tail -20 "$T/prom.log"; echo "--- serve log"; cat "$T/serve.log"; exit 1; }
import json, re, sys, time, urllib.parse, urllib.request
port, dash_path, rules_path = sys.argv[1:4]
base = 'http://127.0.0.1:%s/api/v1/' % port

def query(q):
    url = base + 'query?' + urllib.parse.urlencode({'query': q})
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)

def wait_for(q, ok, what, timeout=60):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = query(q)
            if last['status'] == 'success' and ok(last['data']['result']):
                return last['data']['result']
        except Exception as e:  # not listening yet
            last = repr(e)
        time.sleep(0.5)
    raise SystemExit('timed out waiting for %s: %s' % (what, last))

up = wait_for('up{job="zerial"}', lambda r: r and r[0]['value'][1] == '1', 'up == 1')
print('up:', up[0]['metric'], up[0]['value'][1])
ops = wait_for('zerial_operations_total{job="zerial",op="serialize"}', lambda r: r and float(r[0]['value'][1]) >= 20,
               'zerial_operations_total')
print('zerial_operations_total:', ops[0]['metric']['format'], ops[0]['value'][1])
wait_for('zerial_build_info{job="zerial"}', lambda r: len(r) == 1, 'zerial_build_info')
wait_for('zerial_health_status{job="zerial"}', lambda r: r and r[0]['value'][1] == '0', 'zerial_health_status == 0')

# every dashboard query is valid PromQL (variables replaced by what Grafana would send)
d = json.load(open(dash_path))
n = 0
for p in d['panels']:
    for t in p['targets']:
        e = t['expr'].replace('$__rate_interval', '1m').replace('$job', '.*')
        r = query(e)
        assert r['status'] == 'success', (p['title'], e, r)
        n += 1
# the rules loaded and evaluate without errors
with urllib.request.urlopen(base + 'rules', timeout=5) as r:
    rules = json.load(r)
groups = rules['data']['groups']
assert {g['name'] for g in groups} == {'zerial.recording', 'zerial.alerts'}, groups
deadline = time.time() + 30
while True:
    with urllib.request.urlopen(base + 'rules', timeout=5) as r:
        groups = json.load(r)['data']['groups']
    bad = [(x['name'], x.get('lastError')) for g in groups for x in g['rules'] if x.get('health') not in ('ok',)]
    if not bad:
        break
    if time.time() > deadline:
        raise SystemExit('rules not healthy: %s' % bad)
    time.sleep(0.5)
print('prometheus scraped zerial serve; %d dashboard queries and %d rules evaluate' % (n, sum(len(g['rules']) for g in groups)))
PY
