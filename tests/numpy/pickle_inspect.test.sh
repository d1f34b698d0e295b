#!/bin/sh
# zerial inspect on pickles: protocol, opcode counts, referenced globals (with the safe reader's
# verdict), out-of-band buffers and in-band payloads; hostile pickles are described, never run;
# truncated ones are an error with the byte offset.
set -eu
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
/usr/bin/python3 - "$ZR_CLI" <<'PY'
import json, pickle, subprocess, sys
import numpy as np
cli = sys.argv[1]

def inspect(path, ok=True):
    r = subprocess.run([cli, "inspect", path, "--json"], capture_output=True, text=True)
    if not ok:
        assert r.returncode != 0, r.stdout
        return r.stderr
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["format"] == "pickle", d
    return d["summary"]

a = np.arange(1000.0)
bufs = []
open("oob.pkl", "wb").write(pickle.dumps([a, a[::2].copy()], protocol=5, buffer_callback=bufs.append))
s = inspect("oob.pkl")
assert s["protocol"] == 5 and s["out_of_band_buffers"] == 2 == len(bufs), s
assert s["opcodes"]["NEXT_BUFFER"] == 2 and s["opcodes"]["STOP"] == 1 and s["opcodes"]["PROTO"] == 1, s
assert s["safe_reader_accepts_globals"] is True
assert {g["module"] + "." + g["name"] for g in s["globals"]} >= {"numpy.dtype"}, s["globals"]
assert sum(s["opcodes"].values()) == s["opcode_count"]

open("inband.pkl", "wb").write(pickle.dumps(a, protocol=5))
s = inspect("inband.pkl")
assert s["out_of_band_buffers"] == 0 and s["in_band_payloads"] == 1 and s["in_band_bytes"] == a.nbytes, s

for proto in (2, 3, 4):
    open(f"p{proto}.pkl", "wb").write(pickle.dumps({"x": a[:3], "n": [1, 2.5, "s", None]}, protocol=proto))
    s = inspect(f"p{proto}.pkl")
    assert s["protocol"] == proto and s["safe_reader_accepts_globals"] is True, s
    names = {g["module"] + "." + g["name"] for g in s["globals"]}
    assert any(n.endswith("_reconstruct") for n in names), names

# a hostile pickle: described (os.system, not allowed), never executed
open("evil.pkl", "wb").write(b"\x80\x02cos\nsystem\nX\x0e\x00\x00\x00touch PWNED-zr\x85R.")
s = inspect("evil.pkl")
assert s["globals"] == [{"module": "os", "name": "system", "count": 1, "allowed": False}], s
assert s["safe_reader_accepts_globals"] is False
import os
assert not os.path.exists("PWNED-zr")

# truncated: an error with the offset
open("trunc.pkl", "wb").write(open("inband.pkl", "rb").read()[:60])
e = inspect("trunc.pkl", ok=False)
assert "past the end" in e or "STOP" in e, e
print("pickle inspect ok")
PY
