#!/usr/bin/env python3
"""Benchmark: hand a tensor and records from one process to a Python worker.

    /usr/bin/python3 bench/handoff.py [BUILD_DIR] [--mib 1024] [--records 1000000] [--reps 5]

1. A 1 GiB float32 tensor from a C process to a numpy view in Python: `bench_handoff` (C) fills
   it in place and publishes the region; this process opens it and takes the view. Compared in
   the same run with pickle protocol 5 in-band (dumps + loads) and np.save/np.load through
   /dev/shm. Reported with and without the payload checksum at publish.
2. Python loads of 1M records (list of dicts) with zerial.loads (binary format) vs pickle.loads
   and msgpack.unpackb of the same records; and the same data as columns (Arrow table: dict of
   numpy arrays) for zerial vs pickle of the dict of arrays.
Medians of --reps runs. Writes bench/results/handoff.json.
"""
import argparse
import gc
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def median_time(fn, reps):
    times = []
    for _ in range(reps):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def median_cpu_interleaved(fns, reps):
    """{name: median CPU seconds}; each rep runs every function once, in turn."""
    times = {k: [] for k in fns}
    for _ in range(reps):
        for k, fn in fns.items():
            gc.collect()
            t0 = time.process_time()
            fn()
            times[k].append(time.process_time() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--heavy-reps", type=int, default=3, help="reps of the 1 GiB pickle/np.save runs")
    ap.add_argument("--out", default=None, help="default bench/results/handoff.json "
                    "(handoff-records.json with --records-only)")
    ap.add_argument("--records-only", action="store_true", help="skip the tensor hand-off")
    a = ap.parse_args()
    if a.out is None:
        a.out = os.path.join(HERE, "results", "handoff-records.json" if a.records_only else "handoff.json")
    sys.path.insert(0, os.path.join(a.build, "python"))
    import numpy as np
    import zerial
    tool = os.path.join(a.build, "bench_handoff")
    results = {"machine": {"python": platform.python_version(), "numpy": np.__version__,
                           "cpus": os.cpu_count(), "load_avg": os.getloadavg()},
               "tensor_mib": a.mib, "records": a.records, "reps": a.reps}

    # ---- 1. tensor hand-off ----
    def handoff(checksum):
        pubs, opens = [], []
        for i in range(a.reps):
            name = "zr_bench_%d_%d" % (os.getpid(), i)
            args = [tool, name, str(a.mib)] + ([] if checksum else ["--no-checksum"])
            c = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
            t0 = time.perf_counter()
            r = zerial.shm.open(name)
            v = r["t"]
            t_open = time.perf_counter() - t0
            addr = v.__array_interface__["data"][0]
            assert r.address <= addr and addr + v.nbytes <= r.address + r.size, "not a view"
            assert v.nbytes == a.mib << 20
            del v
            r.close()
            zerial.shm.unlink(name)
            pubs.append(c["publish_ms"] / 1e3)
            opens.append(t_open)
        return statistics.median(pubs), statistics.median(opens)

    if a.records_only:
        records(a, results, zerial)
        return report(a, results)
    pub_c, open_c = handoff(True)
    pub_n, open_n = handoff(False)
    arr = (np.arange((a.mib << 20) // 4, dtype=np.int64) % 1000).astype(np.float32) * np.float32(0.001)
    t_pdumps = median_time(lambda: pickle.dumps(arr, protocol=5), a.heavy_reps)
    blob = pickle.dumps(arr, protocol=5)
    t_ploads = median_time(lambda: pickle.loads(blob), a.heavy_reps)
    del blob
    path = "/dev/shm/zr_bench_%d.npy" % os.getpid()
    t_save = median_time(lambda: np.save(path, arr), a.heavy_reps)
    t_load = median_time(lambda: np.load(path), a.heavy_reps)
    os.unlink(path)
    del arr
    pickle_total = t_pdumps + t_ploads
    results["tensor"] = {
        "zerial_publish_ms": pub_c * 1e3, "zerial_open_view_ms": open_c * 1e3,
        "zerial_publish_no_checksum_ms": pub_n * 1e3, "zerial_open_view_no_checksum_ms": open_n * 1e3,
        "pickle5_inband_dumps_ms": t_pdumps * 1e3, "pickle5_inband_loads_ms": t_ploads * 1e3,
        "np_save_devshm_ms": t_save * 1e3, "np_load_devshm_ms": t_load * 1e3,
        "speedup_vs_pickle": pickle_total / (pub_c + open_c),
        "speedup_vs_pickle_no_checksum": pickle_total / (pub_n + open_n),
        "speedup_vs_np_save_load": (t_save + t_load) / (pub_c + open_c),
    }

    records(a, results, zerial)
    report(a, results)


def records(a, results, zerial):
    """1M records, Python loads. CPU time (process_time: the machine is shared and loaded), the
    decoders interleaved rep by rep so load swings hit them alike; medians."""
    from zerial import _zerial

    def loads_small_pages(data):
        # the same decode with pymalloc's arenas on ordinary 4 KiB pages (ZERIAL_HUGEPAGES=0)
        was = _zerial.set_hugepages(False)
        try:
            return zerial.loads(data)
        finally:
            _zerial.set_hugepages(was)

    n = a.records
    records = [{"id": i, "name": "user%d" % i, "score": i * 0.25, "active": i % 3 == 0} for i in range(n)]
    zb = zerial.dumps(records, format="binary")
    pb = pickle.dumps(records, protocol=5)
    rec = {"zerial_bytes": len(zb), "pickle_bytes": len(pb)}
    assert zerial.loads(zb) == records
    fns = {"zerial_loads_ms": lambda: zerial.loads(zb),
           "zerial_loads_tree_ms": lambda: _zerial.loads(zb, _tree=True),
           "zerial_loads_small_pages_ms": lambda: loads_small_pages(zb),
           "pickle_loads_ms": lambda: pickle.loads(pb)}
    try:
        import msgpack
        mb = msgpack.packb(records)
        rec["msgpack_bytes"] = len(mb)
        fns["msgpack_unpackb_ms"] = lambda: msgpack.unpackb(mb)
    except ImportError:
        rec["msgpack_unpackb_ms"] = None
    rec.update({k: v * 1e3 for k, v in median_cpu_interleaved(fns, a.reps).items()})
    rec["timing"] = "CPU time (process_time), medians, decoders interleaved per rep"
    if "arrow-stream" in [f[0] for f in zerial.formats()]:
        ab = zerial.dumps(records, format="arrow-stream")
        rec["arrow_bytes"] = len(ab)
        rec["zerial_loads_columns_ms"] = median_time(lambda: zerial.loads(ab), a.reps) * 1e3
        colp = pickle.dumps({k: zerial.loads(ab)[k] for k in ("id", "score", "active")} |
                            {"name": [r["name"] for r in records]}, protocol=5)
        rec["pickle_loads_columns_ms"] = median_time(lambda: pickle.loads(colp), a.reps) * 1e3
    rec["speedup_vs_pickle"] = rec["pickle_loads_ms"] / rec["zerial_loads_ms"]
    if rec.get("msgpack_unpackb_ms"):
        rec["speedup_vs_msgpack"] = rec["msgpack_unpackb_ms"] / rec["zerial_loads_ms"]
    results["records"] = rec


def report(a, results):
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(results, f, indent=2)
    if "tensor" in results:
        t = results["tensor"]
        print("tensor %d MiB: zerial publish %.3f ms + open/view %.3f ms (no checksum: %.3f + %.3f ms)" % (
            a.mib, t["zerial_publish_ms"], t["zerial_open_view_ms"], t["zerial_publish_no_checksum_ms"],
            t["zerial_open_view_no_checksum_ms"]))
        print("  pickle 5 in-band dumps %.1f + loads %.1f ms; np.save %.1f + np.load %.1f ms (/dev/shm)" % (
            t["pickle5_inband_dumps_ms"], t["pickle5_inband_loads_ms"], t["np_save_devshm_ms"],
            t["np_load_devshm_ms"]))
        print("  speedup vs pickle: %.0fx (checksummed), %.0fx (no payload checksum); vs np.save/load %.0fx" % (
            t["speedup_vs_pickle"], t["speedup_vs_pickle_no_checksum"], t["speedup_vs_np_save_load"]))
    rec = results["records"]
    print("records %d (CPU ms): zerial.loads %.1f (through the value tree %.1f), pickle.loads %.1f, "
          "msgpack.unpackb %s" % (
              a.records, rec["zerial_loads_ms"], rec["zerial_loads_tree_ms"], rec["pickle_loads_ms"],
              "%.1f" % rec["msgpack_unpackb_ms"] if rec.get("msgpack_unpackb_ms") else "n/a"))
    print("  zerial.loads vs pickle %.2fx, vs msgpack %s" % (
        rec["speedup_vs_pickle"], "%.2fx" % rec["speedup_vs_msgpack"] if "speedup_vs_msgpack" in rec else "n/a"))
    print("  with huge-page arenas off (ZERIAL_HUGEPAGES=0): zerial.loads %.1f ms, %.2fx pickle" % (
        rec["zerial_loads_small_pages_ms"], rec["pickle_loads_ms"] / rec["zerial_loads_small_pages_ms"]))
    if "zerial_loads_columns_ms" in rec:
        print("  as columns (Arrow): zerial.loads %.2f ms, pickle.loads of the same columns %.1f ms" % (
            rec["zerial_loads_columns_ms"], rec["pickle_loads_columns_ms"]))
    print("wrote", a.out)


if __name__ == "__main__":
    main()
