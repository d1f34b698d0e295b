#!/usr/bin/python3
"""Interop driver for the numpy tests: `gen DIR` writes arrays with NumPy; `check DIR` loads
what zerial wrote back and compares. Called by test_npy_interop.c."""
import os
import sys

import warnings

import numpy as np

warnings.simplefilter("ignore", UserWarning)


def dtypes():
    d = {}
    for code in ["?", "i1", "<i2", "<i4", "<i8", "u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", "<c8",
                 "<c16", "<M8[ns]", "<M8[D]", "<m8[s]", "<M8[us]", "S5", "<U3", "V4",
                 ">i2", ">i4", ">i8", ">u4", ">f4", ">f8", ">c16", ">M8[ms]", ">U2"]:
        d["t_" + code.replace("<", "le").replace(">", "be").replace("[", "_").replace("]", "").replace("?", "bool")] = np.dtype(code)
    d["longdouble"] = np.dtype(np.longdouble)
    d["nested"] = np.dtype([("a", "<i4"), ("b", [("c", "S3"), ("d", ">f8", (2,))]), ("e", "<u2", (2, 3))])
    d["titles"] = np.dtype({"names": ["x", "y"], "formats": ["<f8", "<i4"], "titles": ["tx", "ty"]})
    d["padded"] = np.dtype({"names": ["a", "b"], "formats": ["u1", "<i4"], "offsets": [0, 4], "itemsize": 12})
    d["unicode_name"] = np.dtype([("\u03b1", "<i4"), ("\u00e9", "<f4")])
    return d


SHAPES = [(), (0,), (5,), (2, 3), (2, 0, 3), (3, 2, 4)]


def fill(dt, shape, seed):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape)) if shape else 1
    raw = rng.integers(0, 256, size=n * dt.itemsize, dtype=np.uint8).tobytes()
    a = np.frombuffer(raw, dtype=dt).copy().reshape(shape)
    if dt.kind == "b":
        a = (np.frombuffer(raw, dtype=np.uint8) & 1).astype(bool).reshape(shape)
    if dt.kind == "U":
        a = np.array(["ab\u00e9"[: (i % 3) + 1] for i in range(n)], dtype=dt).reshape(shape)
    return a


def gen(out):
    k = 0
    with open(os.path.join(out, "manifest.txt"), "w") as m:
        for name, dt in dtypes().items():
            for si, shape in enumerate(SHAPES):
                for order in ("C", "F"):
                    if order == "F" and len(shape) < 2:
                        continue
                    a = fill(dt, shape, k)
                    if order == "F":
                        a = np.asfortranarray(a)
                    base = "%s_%d_%s" % (name, si, order)
                    np.save(os.path.join(out, base + ".npy"), a)
                    with open(os.path.join(out, base + ".raw"), "wb") as f:
                        f.write(a.tobytes(order="C"))
                    m.write(base + "\n")
                    k += 1
    # an object array: zerial must refuse it
    np.save(os.path.join(out, "object.npy"), np.array([1, "x", None], dtype=object), allow_pickle=True)
    # a version 2.0 file: header over 65535 bytes
    big = np.dtype([("f%05d" % i, "<i1") for i in range(5000)])
    np.save(os.path.join(out, "v2.npy"), np.zeros(2, dtype=big))
    print("generated", k)


def check(out):
    bad = 0
    same_bytes = 0
    names = [l.strip() for l in open(os.path.join(out, "manifest.txt")) if l.strip()] + ["v2"]
    for base in names:
        a = np.load(os.path.join(out, base + ".npy"), max_header_size=200000)
        b = np.load(os.path.join(out, base + ".out.npy"), max_header_size=200000)
        ok = a.dtype == b.dtype and a.shape == b.shape and a.tobytes(order="A") == b.tobytes(order="A") \
            and a.flags.f_contiguous == b.flags.f_contiguous
        if not ok:
            print("MISMATCH", base, a.dtype, b.dtype, a.shape, b.shape)
            bad += 1
        with open(os.path.join(out, base + ".npy"), "rb") as f1, open(os.path.join(out, base + ".out.npy"), "rb") as f2:
            if f1.read() == f2.read():
                same_bytes += 1
            else:
                print("bytes differ from np.save:", base)
    print("checked", len(names), "mismatches", bad, "byte-identical", same_bytes)
    return 1 if bad or same_bytes != len(names) else 0




def npz_arrays():
    rng = np.random.default_rng(7)
    return {
        "f8": rng.standard_normal((3, 4)),
        "i4_f": np.asfortranarray(rng.integers(-100, 100, size=(5, 2), dtype="<i4")),
        "be": np.arange(7, dtype=">u2"),
        "empty": np.zeros((0, 3), dtype="<f4"),
        "scalar": np.array(3.5),
        "rec": np.zeros(3, dtype=[("a", "<i4"), ("b", "S2")]),
        "\u00e9t\u00e9": np.arange(4, dtype="<i8"),
    }


def npz_gen(out):
    a = npz_arrays()
    np.savez(os.path.join(out, "plain.npz"), **a)
    np.savez_compressed(os.path.join(out, "compressed.npz"), **a)
    np.savez(os.path.join(out, "positional.npz"), a["f8"], a["be"])
    for k, v in a.items():
        with open(os.path.join(out, "npz_%s.raw" % k.encode("utf-8").hex()), "wb") as f:
            f.write(v.tobytes(order="C"))


def npz_check(out):
    a = npz_arrays()
    bad = 0
    for fn in ("zr_stored.npz", "zr_deflate.npz", "zr_zip64.npz"):
        with np.load(os.path.join(out, fn)) as z:
            if sorted(z.files) != sorted(a):
                print("members differ", fn, z.files)
                bad += 1
                continue
            for k, v in a.items():
                w = z[k]
                if w.dtype != v.dtype or w.shape != v.shape or w.tobytes(order="A") != v.tobytes(order="A"):
                    print("MISMATCH", fn, k)
                    bad += 1
    print("npz checked, mismatches", bad)
    return 1 if bad else 0


COMMANDS = {"gen": gen, "check": check, "npzgen": npz_gen, "npzcheck": npz_check}

if __name__ == "__main__":
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2]) or 0)
