#!/usr/bin/python3
"""scipy.sparse interop for test_sparse.c: gen writes save_npz files and their dense .npy;
check loads what zerial wrote with load_npz and compares with the dense arrays."""
import os
import sys

import numpy as np
import scipy.sparse as sp


def mats():
    rng = np.random.default_rng(5)
    d = rng.standard_normal((6, 8))
    d[rng.random((6, 8)) < 0.6] = 0
    i = (rng.integers(-5, 5, size=(4, 6)) * (rng.random((4, 6)) < 0.3)).astype(np.int32)
    return {
        "csr_f8": sp.csr_matrix(d),
        "csc_f8": sp.csc_matrix(d),
        "coo_i4": sp.coo_matrix(i),
        "coo_dup": sp.coo_matrix((np.array([1.0, 2.0, 3.0]), (np.array([0, 0, 2]), np.array([1, 1, 3]))), shape=(3, 4)),
        "bsr_f8": sp.bsr_matrix(d, blocksize=(2, 2)),
        "dia_f4": sp.dia_matrix(sp.diags([1, 2, 3], [-1, 0, 2], shape=(5, 6), dtype=np.float32)),
        "csr_empty": sp.csr_matrix((3, 0), dtype=np.int64),
        "csr_c16": sp.csr_matrix(np.array([[0, 1j], [2, 0]], dtype=np.complex128)),
    }


def gen(out):
    for name, m in mats().items():
        sp.save_npz(os.path.join(out, name + ".npz"), m, compressed=name.startswith("csc"))
        np.save(os.path.join(out, name + ".dense.npy"), m.toarray())
    with open(os.path.join(out, "sparse.txt"), "w") as f:
        f.write("\n".join(mats()) + "\n")


def check(out):
    bad = 0
    n = 0
    for fn in sorted(os.listdir(out)):
        if not fn.endswith(".zr.npz"):
            continue
        name, kind = fn[:-7].rsplit(".", 1)
        m = sp.load_npz(os.path.join(out, fn))
        dense = np.load(os.path.join(out, name + ".dense.npy"))
        n += 1
        if m.format != kind or m.shape != dense.shape or not np.array_equal(m.toarray(), dense):
            print("MISMATCH", fn, m.format, m.shape)
            bad += 1
    print("sparse checked", n, "mismatches", bad)
    return 1 if bad or n == 0 else 0


if __name__ == "__main__":
    sys.exit({"gen": gen, "check": check}[sys.argv[1]](sys.argv[2]) or 0)
