"""Python side of the BEAM end-to-end test: open the region Elixir wrote, read the rows (zerial
binary) and the tensor (raw, a numpy view of the mapping, no copy), and answer in a new region.
usage: py_worker.py IN_REGION OUT_REGION"""
import sys

import numpy as np
import zerial
import zerial.shm

src, dst = sys.argv[1], sys.argv[2]
with zerial.shm.open(src) as r:
    rows = r["rows"]
    t = r["tensor"]
    assert isinstance(t, np.ndarray) and t.dtype == np.float64 and t.shape == (4, 250)
    ids = [row["id"] for row in rows]
    scores = np.array([row["score"] for row in rows])
    result = {"count": len(rows), "id_sum": sum(ids), "score_mean": float(scores.mean()),
              "tensor_sum": float(t.sum()), "worker": "python"}
    w = zerial.shm.create(dst)
    w.put("result", result)
    doubled = w.new_array("doubled", t.shape, t.dtype)
    np.multiply(t, 2.0, out=doubled)
    del t, doubled
    w.publish()
    w.close()
print("ok")
