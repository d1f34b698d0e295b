"""Property tests: loads(dumps(x)) == x for generated values (python3-hypothesis)."""
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zerial

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() |
           st.binary())
keys = st.none() | st.booleans() | st.integers() | st.text() | st.binary()
values = st.recursive(
    scalars,
    lambda children: (st.lists(children, max_size=8) | st.tuples(children, children) |
                      st.dictionaries(keys, children, max_size=8)),
    max_leaves=40)


def _same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a.keys()) == list(b.keys()) and all(_same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_round_trip(v):
    assert _same(zerial.loads(zerial.dumps(v)), v)


@settings(max_examples=60, deadline=None, database=None)
@given(st.sampled_from(["i1", "u2", "i4", "f4", "f8", "c8", "?", "M8[us]"]),
       st.lists(st.integers(0, 5), min_size=0, max_size=3))
def test_array_round_trip(dtype, shape):
    n = int(np.prod(shape)) if shape else 1
    a = (np.arange(n) % 7).astype(dtype).reshape(shape)
    for fmt in ("auto", "binary"):
        b = zerial.loads(zerial.dumps(a, format=fmt))
        assert b.dtype == a.dtype and b.shape == a.shape and a.tobytes() == b.tobytes()


@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=200))
def test_loads_never_crashes(data):
    try:
        zerial.loads(data)
    except (zerial.Error, TypeError, ValueError, UnicodeDecodeError):
        pass
