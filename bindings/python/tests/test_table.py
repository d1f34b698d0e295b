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


# ---- the Arrow C stream is zero-copy: read it back through ctypes as any consumer would ----
import ctypes  # noqa: E402


class ArrowSchema(ctypes.Structure):
    pass


ArrowSchema._fields_ = [("format", ctypes.c_char_p), ("name", ctypes.c_char_p), ("metadata", ctypes.c_void_p),
                        ("flags", ctypes.c_int64), ("n_children", ctypes.c_int64),
                        ("children", ctypes.POINTER(ctypes.POINTER(ArrowSchema))),
                        ("dictionary", ctypes.c_void_p), ("release", ctypes.c_void_p),
                        ("private_data", ctypes.c_void_p)]


class ArrowArray(ctypes.Structure):
    pass


ArrowArray._fields_ = [("length", ctypes.c_int64), ("null_count", ctypes.c_int64), ("offset", ctypes.c_int64),
                       ("n_buffers", ctypes.c_int64), ("n_children", ctypes.c_int64),
                       ("buffers", ctypes.POINTER(ctypes.c_void_p)),
                       ("children", ctypes.POINTER(ctypes.POINTER(ArrowArray))),
                       ("dictionary", ctypes.c_void_p), ("release", ctypes.CFUNCTYPE(None, ctypes.c_void_p)),
                       ("private_data", ctypes.c_void_p)]


class ArrowArrayStream(ctypes.Structure):
    _fields_ = [("get_schema", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ArrowSchema))),
                ("get_next", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ArrowArray))),
                ("get_last_error", ctypes.c_void_p), ("release", ctypes.CFUNCTYPE(None, ctypes.c_void_p)),
                ("private_data", ctypes.c_void_p)]


_get_ptr = ctypes.pythonapi.PyCapsule_GetPointer
_get_ptr.restype = ctypes.c_void_p
_get_ptr.argtypes = [ctypes.py_object, ctypes.c_char_p]
_set_name = ctypes.pythonapi.PyCapsule_SetName
_set_name.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _take_stream(capsule):
    """Consume the capsule as the protocol says: move the struct out, mark the capsule used."""
    p = _get_ptr(capsule, b"arrow_array_stream")
    src = ArrowArrayStream.from_address(p)
    st = ArrowArrayStream()
    ctypes.memmove(ctypes.addressof(st), p, ctypes.sizeof(st))
    src.release = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()  # moved: NULL release in the capsule
    return st


def test_arrow_c_stream_is_zero_copy():
    n = 5000
    recs = [{"id": i, "score": i * 0.5} for i in range(n)]
    data = bytearray(zerial.dumps(recs, format="arrow-stream"))
    lo = ctypes.addressof(ctypes.c_char.from_buffer(data))
    t = zerial.loads(data, table="table")
    st = _take_stream(t.__arrow_c_stream__())
    schema = ArrowSchema()
    assert st.get_schema(ctypes.addressof(st), ctypes.byref(schema)) == 0
    assert schema.n_children == 2 and schema.children[0].contents.format == b"l"
    ctypes.CFUNCTYPE(None, ctypes.c_void_p)(schema.release)(ctypes.addressof(schema))
    batches = []
    while True:
        arr = ArrowArray()
        assert st.get_next(ctypes.addressof(st), ctypes.byref(arr)) == 0
        if not arr.release:
            break
        batches.append(arr)
    assert sum(b.length for b in batches) == n
    ids = batches[0].children[0].contents
    addr = ids.buffers[1]
    assert lo <= addr < lo + len(data), "the exported buffer points into the input"
    # the input stays alive through the exported arrays alone
    st.release(ctypes.addressof(st))
    del t
    gc.collect()
    first = np.frombuffer((ctypes.c_int64 * 4).from_address(addr + 8 * ids.offset), np.int64)
    assert first.tolist() == [0, 1, 2, 3]
    # a write through the input is seen by the consumer (same memory)
    view = np.frombuffer(data, np.uint8)
    view[addr - lo: addr - lo + 8] = np.frombuffer(np.int64(77).tobytes(), np.uint8)
    assert (ctypes.c_int64).from_address(addr).value == 77
    del view
    # a child moved out by the consumer outlives its parent
    child = ArrowArray()
    ctypes.memmove(ctypes.addressof(child), ctypes.addressof(batches[0].children[1].contents), ctypes.sizeof(child))
    batches[0].children[1].contents.release = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()
    for b in batches:
        b.release(ctypes.addressof(b))
    assert (ctypes.c_double).from_address(child.buffers[1] + 8 * 3).value == 1.5
    with pytest.raises(BufferError):  # the input is still exported (held by the live child)
        data.extend(b"x")
    child.release(ctypes.addressof(child))
    data.extend(b"x")  # the last release dropped the hold on the input


def test_timestamp_columns_are_datetime64_views():
    import datetime as dt
    utc = dt.timezone.utc
    rows = [{"t": dt.datetime(2024, 1, 1 + i, tzinfo=utc), "x": i} for i in range(10)]
    data = zerial.dumps(rows, format="arrow-stream")
    t = zerial.loads(data, table="table")
    assert t.column_formats[0].startswith("tsu:")
    col = t.column("t")
    assert col.dtype == np.dtype("M8[us]") and col[3] == np.datetime64("2024-01-04T00:00:00")
    start = np.frombuffer(data, np.uint8).__array_interface__["data"][0]
    assert start <= col.__array_interface__["data"][0] < start + len(data)
