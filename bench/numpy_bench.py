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


npy = os.path.join(d, "np_bench.npy")
pk = os.path.join(d, "np_bench.pkl")
a = np.arange(mib * 1024 * 1024 // 8, dtype=np.float64) * 0.5


def timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def dump_inband():
    with open(pk, "wb") as f:
        pickle.dump(a, f, protocol=5)


def load_inband():
    with open(pk, "rb") as f:
        return pickle.load(f)


bufs = []


def oob_dumps():
    bufs.clear()
    return pickle.dumps(a, protocol=5, buffer_callback=bufs.append)


# interleaved: each round runs zerial once, then every NumPy operation once, so load changes on
# a shared machine hit both sides alike; medians over the rounds
runs = {}
zr_runs = []
for _ in range(reps):
    zr_runs.append(json.loads(subprocess.check_output([os.path.join(build, "bench_numpy"), str(mib), "1", d])))
    for k, f in (("numpy_save_s", lambda: np.save(npy, a)), ("numpy_load_s", lambda: np.load(npy)),
                 ("numpy_load_mmap_s", lambda: np.load(npy, mmap_mode="r")), ("pickle5_inband_dump_s", dump_inband),
                 ("pickle5_inband_load_s", load_inband), ("pickle5_oob_dumps_s", oob_dumps)):
        runs.setdefault(k, []).append(timed(f))
    data = oob_dumps()
    runs.setdefault("pickle5_oob_loads_s", []).append(timed(lambda: pickle.loads(data, buffers=bufs)))
res = {k: statistics.median(v) for k, v in runs.items()}
zr = {k: statistics.median([r[k] for r in zr_runs]) for k in zr_runs[0] if k not in ("dir",)}
zr["reps"] = reps
os.unlink(npy)
os.unlink(pk)
try:
    load = os.getloadavg()[0]
except OSError:
    load = None

out = {
    "what": "float64 array of %d MiB on %s; median of %d runs each" % (mib, d, reps),
    "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
                "load_average_1min_at_end": load},
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
