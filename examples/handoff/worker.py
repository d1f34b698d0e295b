"""handoff worker: open the producer's region, prove zero copy, compute, compare with pickle.

    python3 worker.py REGION_NAME

Prints a human summary, then `ZR_RESULT key=value` lines the C producer reads.
"""
import pickle
import sys
import time

import numpy as np

import zerial


def result(key, value):
    print("ZR_RESULT %s=%r" % (key, float(value)))


def inside(a, r):
    addr = a.__array_interface__["data"][0]
    return r.address <= addr and addr + a.nbytes <= r.address + r.size


def main(name):
    t0 = time.perf_counter()
    r = zerial.shm.open(name)
    table = r["table"]            # dict of numpy arrays viewing the mapping
    tensor = r["tensor"]          # numpy array viewing the mapping
    t_open = time.perf_counter() - t0

    arrays = dict(table, tensor=tensor)
    zero_copy = all(inside(a, r) for a in arrays.values())
    for k, a in arrays.items():
        addr = a.__array_interface__["data"][0]
        print("worker: %-7s %-8s %-14s at 0x%x = mapping + %d: %s" % (
            k, a.dtype, a.shape, addr, addr - r.address, "view of the mapping" if inside(a, r) else "COPY"))

    t0 = time.perf_counter()
    means = {k: float(np.mean(v, dtype=np.float64)) for k, v in table.items()}
    flat = tensor.reshape(-1)  # still a view
    norm = float(np.sqrt(np.einsum("i,i->", flat, flat, dtype=np.float64)))  # float64 accumulation, no copy
    del flat
    t_compute = time.perf_counter() - t0
    print("worker: column means %s" % ", ".join("%s=%.6f" % kv for kv in means.items()))
    print("worker: tensor %s norm = %.6f" % (tensor.shape, norm))

    # what pickle (protocol 5, in-band: one bytes object) costs for the same data
    t0 = time.perf_counter()
    p_table = pickle.dumps(dict(table), protocol=5)
    t_dumps_table = time.perf_counter() - t0
    t0 = time.perf_counter()
    p_tensor = pickle.dumps(tensor, protocol=5)
    t_dumps_tensor = time.perf_counter() - t0
    t0 = time.perf_counter()
    pickle.loads(p_table)
    pickle.loads(p_tensor)
    t_loads = time.perf_counter() - t0
    del p_table, p_tensor

    for k, v in means.items():
        result("mean_" + k, v)
    result("tensor_norm", norm)
    result("zero_copy", 1 if zero_copy else 0)
    result("open_ms", t_open * 1e3)
    result("compute_ms", t_compute * 1e3)
    result("pickle_dumps_table_ms", t_dumps_table * 1e3)
    result("pickle_dumps_tensor_ms", t_dumps_tensor * 1e3)
    result("pickle_loads_ms", t_loads * 1e3)

    del table, tensor, arrays, a
    r.close()  # every view is gone: closing is allowed
    return 0 if zero_copy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
