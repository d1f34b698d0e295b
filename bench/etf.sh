#!/bin/bash
# Erlang term format benchmark: zerial's codec vs erl's own binary_to_term/term_to_binary on the
# same bytes. Usage: bench/etf.sh [build-dir] [reps]   (build-dir configured with -DZR_BENCH=ON,
# no sanitizers; default build/bench). Writes bench/results/etf.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/bench}
reps=${2:-9}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
erl_json=$(escript "$root/bench/etf_erl.escript" "$tmp" "$reps")
zr_json=$("$build/bench_etf" "$tmp" "$reps")
/usr/bin/python3 - "$erl_json" "$zr_json" "$root/bench/results/etf.json" <<'PY'
import json, sys, platform, os
erl, zr, out = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
load = os.getloadavg()[0]
res = {"benchmark": "etf", "loadavg_1m": round(load, 2), "unit": "microseconds (median)", "reps": zr["reps"], "otp": erl["otp"],
       "host": platform.node(), "cpus": os.cpu_count(), "cases": {}}
for k in ("maps_100k", "floats_1m"):
    e, z = erl[k], zr[k]
    res["cases"][k] = dict(bytes=e["bytes"], erl_decode_us=e["erl_decode_us"], erl_encode_us=e["erl_encode_us"],
                           zerial_decode_us=z["zerial_decode_us"], zerial_encode_us=z["zerial_encode_us"],
                           zerial_decode_cpu_us=z["zerial_decode_cpu_us"], zerial_encode_cpu_us=z["zerial_encode_cpu_us"],
                           erl_decode_cpu_us=e["erl_decode_cpu_us"], erl_encode_cpu_us=e["erl_encode_cpu_us"],
                           decode_speedup=round(e["erl_decode_us"] / max(z["zerial_decode_us"], 1), 2),
                           encode_speedup=round(e["erl_encode_us"] / max(z["zerial_encode_us"], 1), 2),
                           decode_speedup_cpu=round(e["erl_decode_cpu_us"] / max(z["zerial_decode_cpu_us"], 1), 2),
                           encode_speedup_cpu=round(e["erl_encode_cpu_us"] / max(z["zerial_encode_cpu_us"], 1), 2))
    c = zr[k + "_cold"]
    res["cases"][k]["cold_malloc"] = dict(zerial_decode_us=c["zerial_decode_us"], zerial_encode_us=c["zerial_encode_us"],
                                          zerial_decode_cpu_us=c["zerial_decode_cpu_us"],
                                          zerial_encode_cpu_us=c["zerial_encode_cpu_us"],
                                          decode_speedup=round(e["erl_decode_us"] / max(c["zerial_decode_us"], 1), 2),
                                          encode_speedup=round(e["erl_encode_us"] / max(c["zerial_encode_us"], 1), 2))
json.dump(res, open(out, "w"), indent=2)
print(json.dumps(res, indent=2))
PY
