"""Python side of the BEAM end-to-end test: open the region Elixir wrote, read the rows (an Arrow
stream: numpy columns viewing the mapping) and the tensor (npy: a numpy view of the mapping), prove
neither was copied, and answer in a new region (a summary map, the doubled tensor, and per-row
results as an Arrow table for Elixir to read back as rows).
usage: py_worker.py IN_REGION OUT_REGION"""
import sys

import numpy as np
import zerial
import zerial.shm

src, dst = sys.argv[1], sys.argv[2]


def inside(region, arr):
    a = arr.__array_interface__["data"][0]
    return region.address <= a and a + arr.nbytes <= region.address + region.size


with zerial.shm.open(src) as r:
    assert r.info("rows")["format"] == "arrow-stream", r.info("rows")
    assert r.info("tensor")["format"] == "npy", r.info("tensor")
    rows = r["rows"]  # dict of columns
    t = r["tensor"]
    assert isinstance(t, np.ndarray) and t.dtype == np.float64 and t.shape == (4, 250)
    ids, scores = rows["id"], rows["score"]
    assert inside(r, ids) and inside(r, scores) and inside(r, t), "zero copy"
    result = {"count": len(ids), "id_sum": int(ids.sum()), "score_mean": float(scores.mean()),
              "tensor_sum": float(t.sum()), "worker": "python", "zero_copy": True}
    per_row = [{"id": int(i), "score2": float(s) * 2, "label": str(n).upper()}
               for i, s, n in zip(ids[:10], scores[:10], rows["name"][:10])]
    w = zerial.shm.create(dst)
    w.put("result", result)
    w.put("per_row", per_row, format="arrow-stream")
    doubled = w.new_array("doubled", t.shape, t.dtype)
    np.multiply(t, 2.0, out=doubled)
    del t, doubled, rows, ids, scores
    w.publish()
    w.close()
print("ok")
