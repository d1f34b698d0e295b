"""zerial.shm: regions written and read from Python and C, zero copy, view lifetime."""
import gc
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import zerial


def _addr(a):
    return a.__array_interface__["data"][0]


def _inside(a, region):
    return region.address <= _addr(a) and _addr(a) + a.nbytes <= region.address + region.size


def _make(name):
    r = zerial.shm.create(name)
    x = r.new_array("x", (100, 10), np.float32)
    x[:] = np.arange(1000, dtype=np.float32).reshape(100, 10)
    r.put("ids", np.arange(50, dtype=np.int64))
    r.put("meta", {"label": "py", "n": [1, 2, 3], "big": 2**70})
    r.put("blob", b"raw bytes here")
    r.put("npy", np.arange(6, dtype=">i4").reshape(2, 3))  # big-endian: stored as npy
    del x
    r.publish()
    return r


def test_create_publish_open(region_name):
    w = _make(region_name)
    assert w.generation == 1
    with zerial.shm.open(region_name, verify=True) as r:
        assert sorted(r.keys()) == ["blob", "ids", "meta", "npy", "x"]
        assert len(r) == 5 and "x" in r and "nope" not in r
        x = r["x"]
        assert x.shape == (100, 10) and x.dtype == np.float32
        assert float(x[99, 9]) == 999.0
        assert _inside(x, r)  # zero copy: the array's data lies inside the mapping
        assert _addr(x) % 64 == 0
        assert not x.flags.writeable
        assert r["meta"] == {"label": "py", "n": [1, 2, 3], "big": 2**70}
        assert bytes(r["blob"]) == b"raw bytes here"
        npy = r["npy"]
        assert npy.dtype == np.dtype(">i4") and npy.tolist() == [[0, 1, 2], [3, 4, 5]]
        assert _inside(npy, r)
        info = r.info("x")
        assert info["format"] == "raw-tensor" and info["offset"] % 64 == 0 and info["has_checksum"]
        assert r.info("meta")["format"] == "binary"
        with pytest.raises(KeyError):
            r["nope"]
        del x, npy
    w.close()


def test_write_through_one_side_seen_on_other(region_name):
    w = _make(region_name)
    a = zerial.shm.open(region_name, write=True)
    b = zerial.shm.open(region_name)
    xa, xb = a["x"], b["x"]
    assert xa.flags.writeable and not xb.flags.writeable
    xa[0, 0] = 1234.5
    assert xb[0, 0] == 1234.5
    assert _addr(xa) != _addr(xb)  # two mappings of the same pages
    with pytest.raises(zerial.DecodeError):  # the payload no longer matches its checksum
        b.verify("x")
    del xa, xb
    a.close()
    b.close()
    w.close()


def test_close_with_live_views_raises(region_name):
    _make(region_name).close()
    r = zerial.shm.open(region_name)
    x = r["x"]
    m = r["blob"]
    assert r.views == 2
    with pytest.raises(zerial.StateError) as ei:
        r.close()
    assert "still alive" in str(ei.value)
    assert not r.closed
    del x
    m.release()
    gc.collect()
    r.close()
    assert r.closed
    r.close()  # idempotent
    with pytest.raises(zerial.StateError):
        r["x"]


def test_views_outlive_region_object(region_name):
    _make(region_name).close()
    r = zerial.shm.open(region_name)
    x = r["x"]
    meta_arr = r["ids"]
    del r
    gc.collect()
    zerial.shm.unlink(region_name)  # even the name is gone: the mapping lives in the views
    assert float(x.sum()) == float(np.arange(1000).sum())
    assert int(meta_arr[-1]) == 49


def test_not_published_and_missing(region_name):
    w = zerial.shm.create(region_name)
    with pytest.raises(zerial.StateError):
        zerial.shm.open(region_name)
    with pytest.raises(zerial.StateError):
        zerial.shm.create(region_name)  # exclusive
    w.put("a", np.zeros(3))
    w.publish()
    with pytest.raises(zerial.StateError):
        w.put("b", np.zeros(3))
    w.close()
    with pytest.raises(zerial.NotFoundError):
        zerial.shm.open(region_name + "_missing")
    with pytest.raises(zerial.Error):
        zerial.shm.open("bad/name")


def test_mode_0600(region_name):
    zerial.shm.create(region_name).close()
    assert os.stat("/dev/shm/" + region_name).st_mode & 0o777 == 0o600


def test_checksum_verification(region_name):
    _make(region_name).close()
    with zerial.shm.open(region_name, write=True) as rw:
        x = rw["x"]
        x[5, 5] += 1
        del x
    with pytest.raises(zerial.DecodeError) as ei:
        zerial.shm.open(region_name, verify=True)
    assert ei.value.status == "ERR_CHECKSUM"
    zerial.shm.open(region_name).close()  # without verification it opens (constant time)


def test_dlpack(region_name):
    _make(region_name).close()
    with zerial.shm.open(region_name, write=True) as r:
        t = r.tensor("x")
        assert t.__dlpack_device__() == (1, 0)
        a = np.from_dlpack(t)
        assert a.shape == (100, 10) and _inside(a, r)
        x = r["x"]
        x[1, 1] = -1  # numpy marks DLPack imports read-only; write through the region's own view
        assert a[1, 1] == -1  # same memory, no copy
        del a, t, x
        gc.collect()
    with zerial.shm.open(region_name) as r:
        t = r.tensor("x")
        with pytest.raises(BufferError):
            t.__dlpack__()  # read-only memory cannot travel through DLPack
        assert np.asarray(t.numpy())[1, 1] == -1
        del t


def test_many_dtypes_in_a_region(region_name):
    w = zerial.shm.create(region_name, max_objects=32)
    arrays = {}
    for dt in ["?", "i1", "u2", "i4", "u8", "f2", "f4", "f8", "c8", "c16", "M8[ns]", "m8[us]", "S4", "U2"]:
        a = np.zeros((3, 2), dtype=dt)
        arrays[dt] = a
        w.put("a_" + dt, a)
    w.put("fortran", np.asfortranarray(np.arange(12).reshape(3, 4)))
    w.put("strided", np.arange(20)[::3])
    w.publish()
    with zerial.shm.open(region_name, verify=True) as r:
        for dt, a in arrays.items():
            b = r["a_" + dt]
            assert b.dtype == a.dtype and b.shape == a.shape and _inside(b, r)
        assert r["fortran"].tolist() == np.arange(12).reshape(3, 4).tolist()
        assert r["strided"].tolist() == list(range(0, 20, 3))
        del b
    w.close()


def test_growth_refused_while_views_alive(region_name):
    w = zerial.shm.create(region_name)
    a = w.new_array("a", (1000,), np.uint8)
    try:
        w.put("big", np.zeros(64 << 20, np.uint8))  # may grow in place, or refuse: never dangle
    except zerial.StateError as e:
        assert "views" in str(e)
    a[:] = 7
    assert int(a.sum()) == 7000
    del a
    w.close()


# ---- across processes ----

def test_c_writer_python_reader(region_name, shm_tool):
    out = subprocess.run([shm_tool, "write", region_name], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
    with zerial.shm.open(region_name, verify=True) as r:
        x = r["x"]
        assert x.dtype == np.float32 and x.shape == (1000,)
        assert _inside(x, r)
        assert float(x.sum()) == sum(i / 2 for i in range(1000))
        assert r["meta"] == {"n": 1000, "label": "from C"}
        # a write from a C process through its own read-write mapping is seen here at once
        subprocess.run([shm_tool, "bump", region_name, "x"], check=True, capture_output=True)
        assert x[0] == 1.0
        del x


def test_python_writer_c_reader(region_name, shm_tool):
    w = _make(region_name)
    w.close()
    out = subprocess.run([shm_tool, "read", region_name], capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout)
    assert doc["generation"] == 1
    objs = doc["objects"]
    assert objs["x"]["dtype"] == "float32" and objs["x"]["sum"] == float(np.arange(1000).sum())
    assert objs["ids"]["sum"] == float(sum(range(50)))
    assert objs["meta"]["value"]["label"] == "py"


def test_python_writer_python_reader_process(region_name, python_env):
    w = zerial.shm.create(region_name, size=1 << 20)
    a = w.new_array("t", (256, 256), np.float64)
    a[:] = 2.0
    del a
    w.publish()
    code = textwrap.dedent("""
        import sys, numpy as np, zerial
        with zerial.shm.open(sys.argv[1]) as r:
            t = r["t"]
            inside = r.address <= t.__array_interface__["data"][0] < r.address + r.size
            print(float(np.linalg.norm(t)), inside)
            del t
    """)
    out = subprocess.run([sys.executable, "-c", code, region_name], capture_output=True, text=True,
                         env=python_env, check=True)
    norm, inside = out.stdout.split()
    assert float(norm) == pytest.approx(512.0) and inside == "True"
    w.close()
