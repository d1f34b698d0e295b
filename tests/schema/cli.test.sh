#!/usr/bin/env bash
# zerial schema: the CLI over an embedded registry, then over HTTP (`schema serve`) with curl and
# with two CLI processes sharing one server.
set -euo pipefail
Z="${ZR_CLI:?}"
tmp="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
export ZERIAL_REGISTRY="$tmp/reg.db"
ok() { echo "ok - $*"; }

cat > "$tmp/data.json" <<'J'
[{"id": 1, "name": "ann", "score": 1.5}, {"id": 2, "name": null, "score": 2}]
J
"$Z" schema infer "$tmp/data.json" > "$tmp/v1.json"
grep -q '"name": "score"' "$tmp/v1.json"; ok "infer"
"$Z" schema register users "$tmp/v1.json" | grep -q "users version 1"; ok "register v1"
"$Z" schema register users "$tmp/data.json" | grep -q "already registered"; ok "register data infers the same schema"
/usr/bin/python3 - "$tmp/v1.json" "$tmp/v2.json" "$tmp/bad.json" <<'P'
import json, sys
s = json.load(open(sys.argv[1]))
v2 = json.loads(json.dumps(s)); v2["fields"].append({"id": 9, "name": "email", "type": "utf8", "nullable": True, "doc": "contact"})
json.dump(v2, open(sys.argv[2], "w"))
bad = json.loads(json.dumps(s)); bad["fields"].append({"id": 10, "name": "age", "type": "int32"})
json.dump(bad, open(sys.argv[3], "w"))
P
"$Z" schema check users "$tmp/v2.json" | grep -q '^compatible'; ok "check compatible"
set +e
out="$("$Z" schema check users "$tmp/bad.json")"; rc=$?
set -e
[ $rc -eq 1 ] && echo "$out" | grep -q READER_FIELD_MISSING_DEFAULT && echo "$out" | grep -q "give it a default"; ok "check incompatible exits 1 with the rule and the fix"
{ "$Z" schema check users "$tmp/bad.json" --json || true; } | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["compatible"] is False and d["violations"][0]["field_id"]==10'
ok "check --json"
"$Z" schema register users "$tmp/v2.json" | grep -q "users version 2"; ok "register v2"
"$Z" schema show users 1 | grep -q "version 1"; ok "show"
[ "$("$Z" schema list)" = "users" ]; ok "list"
[ "$("$Z" schema list users | tr '\n' ' ')" = "1 2 " ]; ok "list versions"
"$Z" schema doc users > "$tmp/doc.md"
grep -q "^# users" "$tmp/doc.md" && grep -q "| email |" "$tmp/doc.md" && grep -q "added email" "$tmp/doc.md"; ok "doc"
"$Z" schema diff "$tmp/v1.json" "$tmp/bad.json" | grep -q "added age"; ok "diff"
[ "$("$Z" schema mode users)" = "BACKWARD" ]
"$Z" schema mode users FULL_TRANSITIVE >/dev/null
[ "$("$Z" schema mode users)" = "FULL_TRANSITIVE" ]; ok "mode"
set +e; "$Z" schema mode users SIDEWAYS 2>/dev/null; rc=$?; set -e
[ $rc -eq 2 ]; ok "bad mode is a usage error"
set +e; "$Z" schema --json 2>"$tmp/err"; rc=$?; set -e
[ $rc -eq 2 ] && grep -q "missing subcommand" "$tmp/err"; ok "options without a subcommand are a usage error"

# over HTTP
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 20000))
  "$Z" schema serve "127.0.0.1:$port" 2>"$tmp/serve.log" &
  server_pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/config" >/dev/null 2>&1 && break; sleep 0.1; done
  if curl -sf "http://127.0.0.1:$port/config" >/dev/null 2>&1; then break; fi
  kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""
done
[ -n "$server_pid" ]; ok "serve on 127.0.0.1:$port"
url="http://127.0.0.1:$port"
[ "$(curl -sf "$url/subjects")" = '["users"]' ]; ok "curl GET /subjects"
curl -sf "$url/subjects/users/versions/latest" | grep -q '"version":2'; ok "curl GET latest"
code="$(curl -s -o "$tmp/out" -w '%{http_code}' "$url/subjects/nope/versions")"
[ "$code" = 404 ] && grep -q 40401 "$tmp/out"; ok "curl 404 with error_code 40401"
payload="$(/usr/bin/python3 -c 'import json,sys; print(json.dumps({"schema": open(sys.argv[1]).read()}))' "$tmp/bad.json")"
code="$(curl -s -o "$tmp/out" -w '%{http_code}' -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' --data "$payload" "$url/subjects/users/versions")"
[ "$code" = 409 ]; ok "curl POST incompatible gives 409"
curl -sf -X POST --data "$payload" "$url/compatibility/subjects/users/versions/latest" | grep -q '"is_compatible":false'; ok "curl compatibility"
# two processes registering through the server at once
for k in 1 2; do
  ( for i in 1 2 3 4 5; do
      /usr/bin/python3 - "$tmp/v2.json" "$tmp/p$k-$i.json" "$k" "$i" <<'P'
import json, sys
s = json.load(open(sys.argv[1])); k, i = int(sys.argv[3]), int(sys.argv[4])
s["fields"].append({"id": 100 + 10 * k + i, "name": f"p{k}_{i}", "type": "int64", "nullable": True})
json.dump(s, open(sys.argv[2], "w"))
P
      "$Z" schema register shared "$tmp/p$k-$i.json" --registry "$url" >/dev/null
    done ) &
done
wait %2 %3 2>/dev/null || wait
[ "$("$Z" schema list shared --registry "$url" --json)" = "[1,2,3,4,5,6,7,8,9,10]" ]; ok "two processes share one server"
"$Z" schema show shared --registry "$url" | grep -q "version 10"; ok "remote show"
echo "all schema CLI checks passed"
