#!/bin/sh
# zerial convert between npy, npz, pickle, binary and Arrow: tensors <-> table columns, checked
# with real numpy; what cannot map is refused with a clear error and its value path.
set -eu
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
/usr/bin/python3 - "$ZR_CLI" <<'PY'
import pickle, subprocess, sys
import numpy as np
cli = sys.argv[1]

def conv(src, dst, to, ok=True):
    r = subprocess.run([cli, "convert", "--to", to, src, dst], capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise SystemExit(f"convert {src} -> {to} failed: {r.stderr}")
    if not ok and r.returncode == 0:
        raise SystemExit(f"convert {src} -> {to} should have failed")
    return r.stderr

# 1. a 1-D tensor <-> a one-column table, through both Arrow formats and back to npy
a = np.arange(1000, dtype=np.float64) * 0.5
np.save("a.npy", a)
for fmt in ("arrow-stream", "arrow-file"):
    conv("a.npy", f"a.{fmt}", fmt)
    conv(f"a.{fmt}", "a2.npy", "npy")
    b = np.load("a2.npy")
    assert b.dtype == a.dtype and np.array_equal(a, b), (fmt, b[:5])
conv("a.arrow-stream", "a.json", "json")
assert '"values": 0.5' in open("a.json").read().replace('"values":0.5', '"values": 0.5')

# 2. a structured npy <-> a table with one column per field (big-endian fields swapped)
dt = np.dtype([("a", "<i4"), ("b", ">f8"), ("c", "S3"), ("t", "<M8[us]"), ("d", "<M8[D]"),
               ("flag", "?"), ("u", "<U5"), ("h", "<f2"), ("q", ">u8")])
s = np.zeros(7, dt)
s["a"] = np.arange(7) - 3
s["b"] = np.linspace(-1, 1, 7)
s["c"] = [b"x", b"yy", b"zzz", b"", b"a", b"bc", b"q"]
s["t"] = np.array(["2024-01-01T00:00:00.000001", "NaT", "1970-01-01", "2000-02-29T12:00", "NaT", "1999-12-31", "2030-06-01"], "M8[us]")
s["d"] = np.array(["2024-01-01", "1900-03-04", "NaT", "1970-01-01", "2100-12-31", "1969-12-31", "2000-01-01"], "M8[D]")
s["flag"] = [True, False, True, True, False, False, True]
s["u"] = ["héllo", "", "日本", "abcde", "x", "ÿ", "z"]
s["h"] = [0.5, -1, 2, 65504, 0, 1e-3, 3]
s["q"] = [0, 1, 2**63, 2**64 - 1, 5, 6, 7]
np.save("s.npy", s)
conv("s.npy", "s.arrow", "arrow-file")
conv("s.arrow", "s2.npy", "npy")
r = np.load("s2.npy")
assert r.dtype.names == dt.names, r.dtype
for f in dt.names:
    x, y = s[f], r[f]
    if x.dtype.kind in "mM":
        assert np.array_equal(np.isnat(x), np.isnat(y)) and np.array_equal(x[~np.isnat(x)], y[~np.isnat(y)]), f
    else:
        assert np.array_equal(x, y), (f, x, y)
assert r.dtype["b"] == np.dtype("<f8")  # native after the swap

# 3. npz of 1-D arrays <-> a table with one column per member; also to pickle and binary
np.savez("m.npz", x=np.arange(5, dtype=np.int16), y=np.array([1.5, 2, 3, 4, 5], ">f4"), name=np.array([b"a", b"b", b"c", b"d", b"e"]))
conv("m.npz", "m.arrows", "arrow-stream")
conv("m.arrows", "m2.npz", "npz")
z = np.load("m2.npz")
assert sorted(z.files) == ["name", "x", "y"], z.files
assert np.array_equal(z["x"], np.arange(5, dtype=np.int16)) and z["x"].dtype == np.int16
assert np.array_equal(z["y"], np.array([1.5, 2, 3, 4, 5], "f4"))
assert list(z["name"]) == [b"a", b"b", b"c", b"d", b"e"]
conv("m.arrows", "m.pkl", "pickle")
p = pickle.load(open("m.pkl", "rb"))
assert isinstance(p, dict) and np.array_equal(p["x"], z["x"]) and np.array_equal(p["y"], z["y"]), p
conv("m.arrows", "m.zrb", "binary")
conv("m.zrb", "m3.arrows", "arrow-stream")
conv("m3.arrows", "m3.npz", "npz")
z3 = np.load("m3.npz")
assert all(np.array_equal(z3[k], z[k]) for k in z.files)
# a pickled ndarray (numpy's own pickle) to Arrow and back to npy
pickle.dump(np.arange(6, dtype=np.uint32), open("p.pkl", "wb"), protocol=5)
conv("p.pkl", "p.arrows", "arrow-stream")
conv("p.arrows", "p.npy", "npy")
assert np.array_equal(np.load("p.npy"), np.arange(6, dtype=np.uint32))

# 4. a 2-D tensor becomes k columns "0".."k-1" (back: one structured field per column)
m = np.arange(12, dtype=np.int64).reshape(4, 3)
np.save("m2d.npy", np.asfortranarray(m))
conv("m2d.npy", "m2d.arrows", "arrow-stream")
conv("m2d.arrows", "m2d_back.npy", "npy")
q = np.load("m2d_back.npy")
assert q.dtype.names == ("0", "1", "2") and all(np.array_equal(q[str(j)], m[:, j]) for j in range(3)), q

# 5. what cannot map: a clear error naming the value path
np.save("c3.npy", np.zeros((2, 2, 2)))
e = conv("c3.npy", "x.arrows", "arrow-stream", ok=False)
assert "3-D" in e and "$" in e, e
np.save("cx.npy", np.zeros(3, np.complex128))
e = conv("cx.npy", "x.arrows", "arrow-stream", ok=False)
assert "complex" in e, e
np.savez("uneq.npz", a=np.arange(3), b=np.arange(4))
e = conv("uneq.npz", "x.arrows", "arrow-stream", ok=False)
assert "$.b" in e and "equal lengths" in e, e
open("nested.json", "w").write('[{"k": 1, "l": [1, 2]}, {"k": 2, "l": [3]}]')
conv("nested.json", "nested.arrows", "arrow-stream")
e = conv("nested.arrows", "x.npy", "npy", ok=False)
assert "$.l" in e and "+l" in e, e
open("nulls.json", "w").write('[{"k": 1}, {"k": null}]')
conv("nulls.json", "nulls.arrows", "arrow-stream")
e = conv("nulls.arrows", "x.npz", "npz", ok=False)
assert "$.k[1]" in e and "null" in e, e
print("convert ok")
PY
