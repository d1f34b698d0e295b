#!/usr/bin/python3
"""NumPy benchmark driver: runs bench_numpy (zerial) and NumPy's np.save / np.load / pickle
protocol 5 on the same array size in the same run, then writes bench/results/numpy.json.

usage: /usr/bin/python3 bench/numpy_bench.py BUILD_DIR [MiB] [reps]
"""
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

build = sys.argv[1]
mib = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
d = "/dev/shm"


def med(f):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


zr = json.loads(subprocess.check_output([os.path.join(build, "bench_numpy"), str(mib), str(reps), d]))
a = np.arange(mib * 1024 * 1024 // 8, dtype=np.float64) * 0.5
npy = os.path.join(d, "np_bench.npy")
pk = os.path.join(d, "np_bench.pkl")

res = {}
res["numpy_save_s"] = med(lambda: np.save(npy, a))
res["numpy_load_s"] = med(lambda: np.load(npy))
res["numpy_load_mmap_s"] = med(lambda: np.load(npy, mmap_mode="r"))


def dump_inband():
    with open(pk, "wb") as f:
        pickle.dump(a, f, protocol=5)


def load_inband():
    with open(pk, "rb") as f:
        return pickle.load(f)


res["pickle5_inband_dump_s"] = med(dump_inband)
res["pickle5_inband_load_s"] = med(load_inband)
bufs = []
res["pickle5_oob_dumps_s"] = med(lambda: (bufs.clear(), pickle.dumps(a, protocol=5, buffer_callback=bufs.append)))
data = pickle.dumps(a, protocol=5, buffer_callback=bufs.append)
res["pickle5_oob_loads_s"] = med(lambda: pickle.loads(data, buffers=bufs))
os.unlink(npy)
os.unlink(pk)

out = {
    "what": "float64 array of %d MiB on %s; median of %d runs each" % (mib, d, reps),
    "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__},
    "zerial": zr,
    "numpy": res,
    "ratios": {
        "npy_write_speedup_vs_np_save": res["numpy_save_s"] / zr["zerial_npy_write_s"],
        "npy_open_zero_copy_speedup_vs_np_load": res["numpy_load_s"] / zr["zerial_npy_open_zero_copy_s"],
        "npy_open_zero_copy_speedup_vs_np_load_mmap": res["numpy_load_mmap_s"] / zr["zerial_npy_open_zero_copy_s"],
        "npy_open_copy_speedup_vs_np_load": res["numpy_load_s"] / zr["zerial_npy_open_copy_s"],
        "pickle5_inband_write_speedup_vs_pickle_dump": res["pickle5_inband_dump_s"] / zr["zerial_pickle5_inband_write_s"],
        "pickle5_inband_open_speedup_vs_pickle_load": res["pickle5_inband_load_s"] / zr["zerial_pickle5_inband_open_zero_copy_s"],
        "pickle5_oob_encode_speedup_vs_pickle_dumps": res["pickle5_oob_dumps_s"] / zr["zerial_pickle5_oob_encode_s"],
    },
}
os.makedirs(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"), exist_ok=True)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "numpy.json"), "w") as f:
    json.dump(out, f, indent=2)
print(json.dumps(out, indent=2))
