#!/usr/bin/python3
"""Pickle interop driver for test_pickle.c.

gen DIR    NumPy pickles arrays at protocols 2..5 (in band and out of band) plus hostile pickles.
check DIR  loads the pickles zerial wrote (in band and out of band) and compares with the .npy
           files zerial wrote beside them.
"""
import os
import pickle
import sys

import numpy as np


def arrays():
    rng = np.random.default_rng(3)
    a = {
        "f8": rng.standard_normal((3, 4)),
        "i4be": np.arange(10, dtype=">i4"),
        "fort": np.asfortranarray(rng.integers(0, 1000, size=(4, 3)).astype("<u2")),
        "zerod": np.array(7.25, dtype="<f4"),
        "empty": np.zeros((0, 5), dtype="<i8"),
        "bool": np.array([True, False, True]),
        "c16": (rng.standard_normal(4) + 1j).astype("<c16"),
        "f2": np.arange(6, dtype="<f2").reshape(2, 3),
        "dt": np.array(["2020-01-01T00:00:00.5", "1970-01-01"], dtype="<M8[ns]"),
        "td": np.array([1, -2], dtype=">m8[s]"),
        "u": np.array(["ab", "\u00e9t\u00e9"], dtype="<U4"),
        "s": np.array([b"xy", b"z"], dtype="S3"),
        "nested": np.zeros(2, dtype=[("a", "<i4"), ("b", [("c", "S3"), ("d", ">f8", (2,))]), ("e", "<u2", (2, 3))]),
        "padded": np.zeros(3, dtype={"names": ["a", "b"], "formats": ["u1", "<i4"], "offsets": [0, 4], "itemsize": 12, "titles": ["ta", None]}),
        "strided": np.arange(20.0).reshape(4, 5)[:, ::2],
        "big": np.arange(3000.0).reshape(30, 100),
    }
    a["nested"]["a"] = [1, 2]
    a["nested"]["e"] = 9
    a["padded"]["b"] = [5, 6, 7]
    return a


def descr_of(dt):
    return repr(dt.descr) if dt.names is not None else dt.str


def gen(out):
    man = open(os.path.join(out, "manifest.txt"), "w")
    for name, a in arrays().items():
        with open(os.path.join(out, name + ".raw"), "wb") as f:
            f.write(np.ascontiguousarray(a).tobytes())
        with open(os.path.join(out, name + ".descr"), "w") as f:
            f.write(descr_of(a.dtype))
        for p in (2, 3, 4, 5):
            with open(os.path.join(out, "%s_p%d.pkl" % (name, p)), "wb") as f:
                f.write(pickle.dumps(a, protocol=p))
            man.write("%s_p%d %s 0\n" % (name, p, name))
        bufs = []
        data = pickle.dumps(a, protocol=5, buffer_callback=bufs.append)
        with open(os.path.join(out, "%s_oob.pkl" % name), "wb") as f:
            f.write(data)
        for i, b in enumerate(bufs):
            with open(os.path.join(out, "%s_oob.buf%d" % (name, i)), "wb") as f:
                f.write(b.raw())
        man.write("%s_oob %s %d\n" % (name, name, len(bufs)))
    # a numpy scalar and a dict of plain values holding an array
    with open(os.path.join(out, "scalar.pkl"), "wb") as f:
        f.write(pickle.dumps(np.float64(2.5), protocol=4))
    plain = {"ints": [0, 255, 65536, -1, 2**31, -(2**63), 2**70, -(2**80)], "f": 1.5, "none": None, "t": True,
             "s": "h\u00e9llo", "b": b"\x00\x01", "tup": (1, "x"), "arr": np.arange(3, dtype="<i2")}
    for p in (2, 3, 4, 5):
        with open(os.path.join(out, "plain_p%d.pkl" % p), "wb") as f:
            f.write(pickle.dumps(plain, protocol=p))
    # hostile pickles: the safe reader must refuse every one, running nothing
    hostile = {
        "os_system": b"cos\nsystem\n(S'touch /tmp/zr_pwned'\ntR.",
        "posix_system": b"\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x8c\x06system\x93\x8c\x04true\x85R.",
        "builtins_eval": b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x0b__import__\x85R.",
        "subprocess": b"csubprocess\nPopen\n(]S'true'\nati0\n.",
        "object_array": pickle.dumps(np.array([1, "x", None], dtype=object), protocol=4),
        "object_array5": pickle.dumps(np.array([{}, []], dtype=object), protocol=5),
        "class_instance": pickle.dumps(__import__("collections").OrderedDict(a=1), protocol=4),
        "set": pickle.dumps({1, 2}, protocol=4),
        "persid": b"\x80\x04\x8c\x01xQ.",
        "ext": b"\x80\x02\x82\x01.",
        "numpy_other": b"\x80\x04\x8c\x05numpy\x8c\x04load\x93\x8c\x01x\x85R.",
        "codecs_other": b"\x80\x04\x8c\x07_codecs\x8c\x06encode\x93\x8c\x01x\x8c\x05utf-7\x86R.",
    }
    for k, v in hostile.items():
        with open(os.path.join(out, "hostile_%s.pkl" % k), "wb") as f:
            f.write(v)
    with open(os.path.join(out, "hostile.txt"), "w") as f:
        f.write("\n".join(hostile) + "\n")


def check(out):
    bad = 0
    names = [l.strip() for l in open(os.path.join(out, "zr_manifest.txt")) if l.strip()]
    for name in names:
        ref = np.load(os.path.join(out, name + ".zr.npy"))
        with open(os.path.join(out, name + ".zr_in.pkl"), "rb") as f:
            a = pickle.loads(f.read())
        with open(os.path.join(out, name + ".zr_oob.pkl"), "rb") as f:
            data = f.read()
        bufs = []
        i = 0
        while os.path.exists(os.path.join(out, "%s.zr_oob.buf%d" % (name, i))):
            with open(os.path.join(out, "%s.zr_oob.buf%d" % (name, i)), "rb") as f:
                bufs.append(bytearray(f.read()))
            i += 1
        b = pickle.loads(data, buffers=bufs)
        for x, how in ((a, "in-band"), (b, "out-of-band")):
            if not (x.dtype == ref.dtype and x.shape == ref.shape and x.tobytes() == ref.tobytes()):
                print("MISMATCH", name, how, x.dtype, ref.dtype, x.shape, ref.shape)
                bad += 1
        if bufs and b.size:
            # out of band: the array shares memory with the buffer handed to loads
            before = b.tobytes()
            bufs[0][0] ^= 0xFF
            if b.tobytes() == before:
                print("NOT SHARED", name)
                bad += 1
    with open(os.path.join(out, "plain.zr.pkl"), "rb") as f:
        v = pickle.loads(f.read())
    want = {"none": None, "t": True, "f": -0.5, "i": [0, 255, 65535, 65536, -1, -129, 2**31, -(2**31) - 1,
            2**63 - 1, -(2**63), 2**64 - 1], "big": 2**100, "nbig": -(2**100), "s": "h\u00e9llo", "b": b"\x00\xff",
            "tup": (1, (2, 3, 4, 5)), 7: "intkey"}
    arr = v.pop("arr")
    if v != want:
        print("PLAIN MISMATCH", v)
        bad += 1
    if not (arr.dtype == np.dtype("<i4") and list(arr) == [1, 2, 3]):
        print("PLAIN ARRAY MISMATCH", arr)
        bad += 1
    print("pickle checked", len(names), "mismatches", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit({"gen": gen, "check": check}[sys.argv[1]](sys.argv[2]) or 0)
