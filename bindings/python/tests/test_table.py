"""Arrow tables: dict of numpy arrays (views), pandas, Arrow PyCapsule protocol."""
import gc

import numpy as np
import pytest

import zerial

pytestmark = pytest.mark.skipif("arrow-stream" not in [f[0] for f in zerial.formats()],
                                reason="arrow format not in this build")

RECORDS = [{"id": i, "name": "n%d" % i, "score": i * 0.5, "ok": i % 2 == 0} for i in range(1000)]


@pytest.mark.parametrize("fmt", ["arrow-stream", "arrow-file"])
def test_table_round_trip(fmt):
    data = zerial.dumps(RECORDS, format=fmt)
    cols = zerial.loads(data)
    assert set(cols) == {"id", "name", "score", "ok"}
    assert cols["id"].tolist() == list(range(1000))
    assert cols["score"][10] == 5.0
    assert cols["name"][7] == "n7"
    assert cols["ok"].dtype == bool and cols["ok"][2]
    # fixed-width columns view the input bytes
    start = np.frombuffer(data, np.uint8).__array_interface__["data"][0]
    addr = cols["id"].__array_interface__["data"][0]
    assert start <= addr < start + len(data)
    df = zerial.loads(data, table="pandas")
    assert list(df.columns) == ["id", "name", "score", "ok"] and len(df) == 1000
    assert df["score"].sum() == sum(r["score"] for r in RECORDS)


def test_nulls_and_capsules():
    data = zerial.dumps([{"x": 1, "s": "a"}, {"x": None, "s": None}], format="arrow-stream")
    t = zerial.loads(data, table="table")
    assert isinstance(t, zerial.Table) and t.num_rows == 2 and len(t) == 2
    x = t.column("x")
    assert isinstance(x, np.ma.MaskedArray) and x.mask.tolist() == [False, True]
    df = t.to_pandas()
    assert df["s"].tolist() == ["a", None]
    schema = t.__arrow_c_schema__()
    stream = t.__arrow_c_stream__()
    assert "arrow_schema" in repr(schema) and "arrow_array_stream" in repr(stream)
    del schema, stream, t
    gc.collect()  # unconsumed capsules release their C structures


def test_table_in_region(region_name):
    w = zerial.shm.create(region_name)
    w.put("t", RECORDS, format="arrow-stream")
    w.publish()
    with zerial.shm.open(region_name) as r:
        assert r.info("t")["format"] == "arrow-stream"
        cols = r["t"]
        ids = cols["id"]
        a = ids.__array_interface__["data"][0]
        assert r.address <= a < r.address + r.size  # a view of the mapping
        assert int(ids.sum()) == sum(range(1000))
        assert r.get("t", table="pandas")["name"][999] == "n999"
        del cols, ids
    w.close()
