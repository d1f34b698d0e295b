"""The direct binary decoder (bytes -> Python objects) against the C decoder's value tree:
same values, and on hostile input the same error class, code and byte offset."""
import datetime as dt
import glob
import os
import random

import numpy as np
import pytest

import zerial
from zerial import _zerial

SRC = os.environ.get("ZR_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GOLDEN = sorted(glob.glob(os.path.join(SRC, "tests", "binary", "golden", "v1", "*.zrb")))


def both(data, **kw):
    """(result or exception) of the direct path and of the tree path."""
    out = []
    for tree in (False, True):
        try:
            out.append(("ok", _zerial.loads(data, _tree=tree, **kw)))
        except zerial.Error as e:
            out.append(("err", type(e), e.code, e.offset))
        except (TypeError, RecursionError) as e:  # unhashable keys and the like: Python's own errors
            out.append(("pyerr", type(e)))
    return out


def same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype and
                a.shape == b.shape and a.tobytes() == b.tobytes())
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return type(b) is dict and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.datetime64):
        return isinstance(b, np.datetime64) and a.dtype == b.dtype and (a == b or (np.isnat(a) and np.isnat(b)))
    return type(a) is type(b) and a == b


def check(data):
    d, t = both(data)
    assert d[0] == t[0], (d, t)
    if d[0] == "ok":
        assert same(d[1], t[1])
    else:
        assert d[1:] == t[1:]


@pytest.mark.parametrize("path", GOLDEN, ids=os.path.basename)
def test_golden_files_agree(path):
    with open(path, "rb") as f:
        data = f.read()
    check(data)
    check(bytearray(data))


VALUES = [
    None, True, 0, -1, 127, -33, 255, 65535, 70000, -40000, 2**40, -2**63, 2**64 - 1, 2**100, -2**90,
    1.5, float("nan"), -0.0, "", "é日本", "x" * 40, b"\x00\x01", bytearray(b"ab"),
    [1, 2, 3, 4, 5, 6, 7, 8, 9], [0.5] * 9, [2**63] * 8, [-1, 300, -70000] * 3, (1, "a"), (),
    {"a": 1, "b": [1, {"c": None}]}, {1: "int key", (1, 2): "tuple key", "k" * 40: "long key"},
    [{"id": i, "name": "u%d" % i} for i in range(20)],
    np.arange(12, dtype=np.float32).reshape(3, 4), np.array([1 + 2j]), np.zeros((0, 3)),
    np.array(["ab", "c"]), np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
    np.arange(5, dtype=">i4"),
]


@pytest.mark.parametrize("v", VALUES, ids=lambda v: type(v).__name__)
def test_values_agree(v):
    data = zerial.dumps(v, format="binary")
    check(data)


def test_key_cache_collisions_and_reuse():
    keys = ["k%d" % i for i in range(2000)] + ["é%d" % i for i in range(50)]
    recs = [{k: i for k in keys[i % 7::97]} for i in range(300)]
    data = zerial.dumps(recs, format="binary")
    out = zerial.loads(data)
    assert out == recs
    # repeated keys are one object
    assert out[0] and next(iter(out[0])) is next(iter(out[7]))


def test_key_cache_compares_every_byte():
    # keys of every cached length (0..32) that differ in exactly one byte, at every position, so
    # a cache that compared only part of a key (words, prefix, suffix) would hand back the wrong one
    keys = []
    for n in range(0, 33):
        base = "".join(chr(97 + (i * 7) % 26) for i in range(n))
        keys.append(base)
        for pos in range(n):
            keys.append(base[:pos] + "Z" + base[pos + 1:])
    rnd = random.Random(3)
    recs = []
    for i in range(400):
        ks = rnd.sample(keys, 6)
        recs.append({k: j for j, k in enumerate(ks)})
    data = zerial.dumps(recs, format="binary")
    out = zerial.loads(data)
    assert out == recs
    assert [list(r) for r in out] == [list(r) for r in recs]


def test_hostile_mutations_agree():
    rnd = random.Random(7)
    seeds = [zerial.dumps(v, format="binary") for v in VALUES[:32]]
    seeds += [open(p, "rb").read() for p in GOLDEN]
    for s in seeds:
        for n in range(len(s) + 1):  # every truncation
            check(s[:n])
        for _ in range(20):  # random byte flips
            b = bytearray(s)
            for _ in range(rnd.randint(1, 3)):
                b[rnd.randrange(len(b))] = rnd.randrange(256)
            check(bytes(b))


def test_errors_have_code_and_offset():
    with pytest.raises(zerial.DecodeError) as ei:
        zerial.loads(b"ZRB\x01\xa2\x01")  # list of 2 with one item
    assert ei.value.status == "ERR_TRUNCATED" and ei.value.offset == 5  # 2 items cannot fit in 1 byte
    assert zerial.loads(b"ZRB\x01\x82\xc3\xa9") == "\u00e9"
    with pytest.raises(zerial.DecodeError) as ei:
        zerial.loads(b"ZRB\x01\x82\xff\xfe")
    assert ei.value.status == "ERR_UTF8" and ei.value.offset == 5
    with pytest.raises(zerial.DecodeError) as ei:
        zerial.loads(b"ZRB\x01\xc0\xc0")
    assert ei.value.status == "ERR_MALFORMED" and ei.value.offset == 5


def test_depth_limit():
    deep = b"ZRB\x01" + b"\xa1" * 600 + b"\xc0"
    with pytest.raises(zerial.LimitError) as ei:
        zerial.loads(deep)
    assert ei.value.status == "ERR_LIMIT" and ei.value.offset == 4 + 512
    check(deep)


def test_tensor_views_input():
    a = np.arange(1000, dtype=np.float64)
    data = bytearray(zerial.dumps({"t": a}, format="binary"))
    out = zerial.loads(data)["t"]
    assert np.array_equal(out, a)
    base = np.frombuffer(data, np.uint8).ctypes.data
    assert base <= out.ctypes.data < base + len(data)  # a view, no copy
    out[0] = 42.0  # writable input: the view writes through
    assert zerial.loads(data)["t"][0] == 42.0


# ---- timestamps ----

def test_timestamps_round_trip():
    utc = dt.timezone.utc
    aware = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=utc)
    off = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    naive = dt.datetime(2024, 5, 6, 7, 8, 9, 1)
    out = zerial.loads(zerial.dumps([aware, off, naive, dt.date(2020, 2, 29)]))
    assert out[0] == aware and out[0].tzinfo is not None and out[0].utcoffset() == dt.timedelta(0)
    assert out[1] == off and out[1].utcoffset() == dt.timedelta(hours=5, minutes=30)
    assert isinstance(out[2], np.datetime64) and out[2].dtype == np.dtype("M8[us]")
    assert out[2] == np.datetime64("2024-05-06T07:08:09.000001")
    assert out[3] == np.datetime64("2020-02-29") and out[3].dtype == np.dtype("M8[D]")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns", "D", "h", "m", "W", "M", "Y", "ps"])
def test_datetime64_units(unit):
    v = np.datetime64(1234567, unit)
    for tree in (False, True):
        out = _zerial.loads(zerial.dumps(v), _tree=tree)
        assert isinstance(out, np.datetime64) and out.dtype == np.dtype("M8[%s]" % unit) and out == v


def test_timestamp_wire_and_nat():
    # 1 ns after the epoch in UTC (the spec's example): an aware datetime cannot hold it -> datetime64
    data = b"ZRB\x01\xd6\x03\x04UTC\x01\x00\x00\x00\x00\x00\x00\x00"
    out = zerial.loads(data)
    assert out == np.datetime64(1, "ns")
    nat = zerial.loads(zerial.dumps(np.datetime64("NaT", "ms")))
    assert np.isnat(nat) and nat.dtype == np.dtype("M8[ms]")
    zoned = zerial.loads(b"ZRB\x01\xd6\x00\x11Europe/Amsterdam" + (0).to_bytes(8, "little"))
    assert isinstance(zoned, dt.datetime) and zoned.timestamp() == 0


# ---- compression ----

@pytest.mark.parametrize("codec", ["lz4", "zstd", "gzip"])
def test_dumps_compresses(codec):
    recs = [{"id": i, "name": "user%d" % i, "tags": ["a", "b"]} for i in range(2000)]
    plain = zerial.dumps(recs)
    packed = zerial.dumps(recs, compression=codec)
    assert len(packed) < len(plain) // 2
    info = zerial.inspect(packed)
    assert info["format"] == "binary" and info["layers"] == ["envelope", "codec"]
    assert info["detail"]["layers"][0]["envelope"]["codec"] == codec
    assert zerial.loads(packed) == recs
    raw = zerial.dumps(recs, compression=codec, envelope=False)  # a bare codec frame
    assert raw[:3] != b"ZRB" and len(raw) < len(plain) // 2
    assert zerial.loads(raw) == recs


@pytest.mark.parametrize("codec", [None, "zstd"])
def test_deterministic_reaches_every_path(codec):
    # with a codec dumps goes through zr_serialize; deterministic must reach the encoder there too
    v = {"zeta": 1, "alpha": [{"y": 2, "b": 3}], "mid": 4}
    plain = zerial.loads(zerial.dumps(v, format="json", compression=codec))
    det = zerial.loads(zerial.dumps(v, format="json", compression=codec, deterministic=True))
    assert plain == det == v
    assert list(plain) == ["zeta", "alpha", "mid"]
    assert list(det) == ["alpha", "mid", "zeta"] and list(det["alpha"][0]) == ["b", "y"]
    a = zerial.dumps({"b": 1, "a": 2}, format="etf", compression=codec, deterministic=True, envelope=False)
    b = zerial.dumps({"a": 2, "b": 1}, format="etf", compression=codec, deterministic=True, envelope=False)
    assert a == b


def test_compressed_tensor_and_levels():
    a = np.zeros((256, 256), np.float32)
    packed = zerial.dumps(a, compression="zstd", level=19)
    assert len(packed) < a.nbytes // 50
    out = zerial.loads(packed)
    assert out.dtype == a.dtype and np.array_equal(out, a)
    framed = zerial.dumps({"x": 1}, envelope=True)
    assert zerial.loads(framed) == {"x": 1}
    assert zerial.dumps({"x": 1}, compression="none") == zerial.dumps({"x": 1})


def test_unknown_codec_is_an_error():
    with pytest.raises(zerial.Error):
        zerial.dumps([1, 2, 3], compression="nope")


def test_region_binary_object_direct(region_name):
    w = zerial.shm.create(region_name)
    w.put("doc", {"t": np.arange(100, dtype=np.float64), "k": "v", "n": [1, 2, 3]}, format="binary")
    w.publish()
    r = zerial.shm.open(region_name)
    d = r["doc"]
    assert d["k"] == "v" and d["n"] == [1, 2, 3] and d["t"][99] == 99.0
    a = d["t"].__array_interface__["data"][0]
    assert r.address <= a < r.address + r.size  # the direct decoder's tensor views the mapping
    assert r.views >= 1
    with pytest.raises(zerial.StateError):
        r.close()
    del d
    import gc
    gc.collect()
    r.close()
    w.close()


def test_formats_compress_natively():
    rows = [{"id": i, "score": i * 0.5} for i in range(20000)]
    plain = zerial.dumps(rows, format="arrow-stream")
    for codec in ("zstd", "lz4"):
        packed = zerial.dumps(rows, format="arrow-stream", compression=codec)
        assert packed[:4] == b"\xff\xff\xff\xff" and len(packed) < len(plain)  # Arrow's own buffer compression
        assert zerial.loads(packed)["score"][3] == 1.5
    framed = zerial.dumps(rows, format="arrow-stream", compression="zstd", envelope=True)
    assert framed[:4] != b"\xff\xff\xff\xff" and zerial.loads(framed)["id"][19999] == 19999
