"""zerial: move data between processes and languages fast.

``dumps``/``loads`` serialize Python values (dict, list, tuple, str, bytes, int of any size,
float, bool, None, numpy arrays) with the zerial C library; decoded arrays are numpy arrays
*viewing* the input (no copy) and keep it alive. ``zerial.shm`` maps shared-memory regions
written by C, Python or any zerial producer. Errors raise ``zerial.Error`` subclasses carrying
the C library's message, status, byte offset and value path.
"""
import ast as _ast

import numpy as _np

from . import _zerial
from ._zerial import (DecodeError, EncodeError, Error, LimitError, NotFoundError, StateError,
                      Tensor, formats)

__all__ = ["dumps", "loads", "inspect", "formats", "shm", "Tensor", "Table", "Error", "DecodeError",
           "EncodeError", "StateError", "NotFoundError", "LimitError", "__version__"]
__version__ = _zerial.version


def _dtype_of(descr):
    if descr.startswith("["):
        return _np.dtype(_ast.literal_eval(descr))
    return _np.dtype(descr)


def _tensor_to_numpy(t):
    """A numpy array over a zerial.Tensor's memory: no copy; the array keeps the tensor alive."""
    return _np.ndarray(t.shape, dtype=_dtype_of(t.dtype), buffer=t, offset=t.offset,
                       strides=t.strides)


_zerial._set_tensor_factory(_tensor_to_numpy)

# ---- timestamps: zerial's value model (value, unit, zone) <-> datetime / numpy.datetime64 ----
import datetime as _dt  # noqa: E402

# zr_time_unit numbers -> NumPy unit codes (13: generic)
_UNITS = ("s", "ms", "us", "ns", "Y", "M", "W", "D", "h", "m", "ps", "fs", "as", "generic")
_UNIT_NUM = {u: i for i, u in enumerate(_UNITS)}
_EPOCH = _dt.datetime(1970, 1, 1)
_EPOCH_UTC = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_PER_US = {0: 10**-6, 1: 10**-3, 2: 1, 3: 10**3}


def _tzinfo(tz):
    if tz in ("UTC", "Z", "utc", "Etc/UTC", "GMT"):
        return _dt.timezone.utc
    if len(tz) == 6 and tz[0] in "+-" and tz[3] == ":" and tz[1:3].isdigit() and tz[4:].isdigit():
        off = _dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:]))
        return _dt.timezone(-off if tz[0] == "-" else off)
    try:
        import zoneinfo
        return zoneinfo.ZoneInfo(tz)
    except Exception:
        return None


def _timestamp(value, unit, tz):
    """A decoded timestamp: an aware ``datetime.datetime`` when it carries a time zone and its
    unit is s/ms/us (or ns without sub-microsecond digits); else ``numpy.datetime64`` with its
    unit (the zone, if any, is dropped: numpy has none)."""
    if tz is not None and unit in _PER_US and value != -2**63:
        tzi = _tzinfo(tz)
        if tzi is not None and (unit != 3 or value % 1000 == 0):
            us = value * 10**(6 - 3 * unit) if unit < 2 else value // (1000 if unit == 3 else 1)
            try:
                return (_EPOCH_UTC + _dt.timedelta(microseconds=us)).astimezone(tzi)
            except OverflowError:
                pass
    if unit == 13:
        return _np.datetime64("NaT") if value == -2**63 else _np.datetime64(value, "s")
    return _np.datetime64(value, _UNITS[unit])


def _tzname(tzi, d):
    if tzi is _dt.timezone.utc:
        return "UTC"
    key = getattr(tzi, "key", None)  # zoneinfo.ZoneInfo
    if isinstance(key, str):
        return key
    off = tzi.utcoffset(d)
    if off is None:
        return None
    if off == _dt.timedelta(0):
        return "UTC"
    m = int(off.total_seconds()) // 60
    sign = "-" if m < 0 else "+"
    m = abs(m)
    return "%s%02d:%02d" % (sign, m // 60, m % 60)


def _to_timestamp(o):
    """(value, unit, zone) for datetime.datetime, datetime.date and numpy.datetime64 scalars."""
    if isinstance(o, _dt.datetime):
        if o.tzinfo is not None and o.utcoffset() is not None:
            delta = o - _EPOCH_UTC
            tz = _tzname(o.tzinfo, o)
        else:
            delta = o - _EPOCH
            tz = None
        us = (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds
        return (us, 2, tz)
    if isinstance(o, _dt.date):
        return ((o - _EPOCH.date()).days, 7, None)
    if isinstance(o, _np.datetime64):
        unit, step = _np.datetime_data(o.dtype)
        if step != 1:
            o = o.astype("M8[%s]" % unit)
        return (int(o.view("i8")), _UNIT_NUM[unit], None)
    return None


_zerial._set_timestamp_factory(_timestamp)
_zerial._set_datetime_converter(_to_timestamp)


class Table(_zerial.Table):
    """An Arrow table decoded by zerial. ``to_dict()`` gives numpy arrays (views of the input for
    fixed-width columns without nulls in a single batch; masked arrays where there are nulls),
    ``to_pandas()`` a DataFrame; ``__arrow_c_stream__``/``__arrow_c_schema__`` hand it to any
    Arrow consumer (pyarrow, polars, duckdb) through the Arrow PyCapsule protocol."""

    __slots__ = ()

    def _column_array(self, b, i):
        kind, values, validity, bit_off, length = self._column(b, i)
        if kind == "bool":
            bits = _np.unpackbits(_np.frombuffer(values, _np.uint8), bitorder="little")
            values = bits[bit_off:bit_off + length].astype(bool)
        elif kind == "str":
            values = _np.array(values, dtype=object)
        if validity is not None:
            valid = _np.unpackbits(_np.frombuffer(validity, _np.uint8), bitorder="little")
            mask = valid[bit_off:bit_off + length] == 0
            return _np.ma.masked_array(values, mask=mask)
        return values

    def column(self, name_or_index):
        names = self.column_names
        i = names.index(name_or_index) if isinstance(name_or_index, str) else int(name_or_index)
        parts = [self._column_array(b, i) for b in range(self.num_batches)]
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return _np.array([])
        if any(isinstance(p, _np.ma.MaskedArray) for p in parts):
            return _np.ma.concatenate(parts)
        return _np.concatenate(parts)

    def to_dict(self):
        return {n: self.column(i) for i, n in enumerate(self.column_names)}

    def to_pandas(self):
        """A pandas.DataFrame; null entries become NaN (floats) or None (other columns)."""
        import pandas as pd
        cols = {}
        for n, a in self.to_dict().items():
            if isinstance(a, _np.ma.MaskedArray):
                if a.dtype.kind == "f":
                    a = a.filled(_np.nan)
                else:
                    a = pd.Series(a.data.astype(object)).where(~_np.ma.getmaskarray(a), None)
            cols[n] = a
        return pd.DataFrame(cols, copy=False)

    def __len__(self):
        return self.num_rows

    def __repr__(self):
        return "<zerial.Table %d rows: %s>" % (self.num_rows, ", ".join(
            "%s:%s" % nf for nf in zip(self.column_names, self.column_formats)))


_zerial._set_table_class(Table)


def _convert_table(out, table):
    if isinstance(out, Table):
        if table == "dict":
            return out.to_dict()
        if table == "pandas":
            return out.to_pandas()
    return out


def dumps(obj, format="auto", compression=None, *, level=0, deterministic=False, envelope=None):
    """Serialize ``obj`` to bytes.

    format: 'auto' (npy for a numpy array, binary otherwise) or a format name from
    ``zerial.formats()``. compression: None, 'none', 'lz4', 'zstd', 'gzip' or 'auto' (the codec
    API compresses the encoded payload; ``level`` is the codec level, 0 its default). Formats
    that compress inside themselves do so instead: Arrow IPC buffers (lz4, zstd), npz members
    (gzip), ETF (gzip) — their own readers (pyarrow, numpy, erl) understand the result.
    envelope: None (a zerial envelope frame around payloads the codec API compressed, none
    otherwise), True or False. ``loads`` reads every combination back.
    ``datetime.datetime`` (aware ones keep their zone), ``datetime.date`` and
    ``numpy.datetime64`` scalars are written as timestamps.
    """
    return _zerial.dumps(obj, format=format, compression=compression, level=level,
                         deterministic=deterministic, envelope=envelope)


def loads(data, *, format=None, copy=False, table="dict"):
    """Deserialize bytes, bytearray, memoryview or mmap (the format is detected).

    Arrays come back as numpy arrays viewing ``data`` (read-only when ``data`` is) and keep it
    alive; ``copy=True`` gives arrays that own their memory instead. A table (Arrow) comes back
    as a dict of numpy arrays (``table="dict"``), a ``pandas.DataFrame`` (``"pandas"``) or a
    ``zerial.Table`` (``"table"``: Arrow PyCapsule protocol).
    """
    out = _convert_table(_zerial.loads(data, format=format, copy=copy), table)
    if copy:
        out = _copy_arrays(out)
    return out


def _copy_arrays(v):
    if isinstance(v, _np.ndarray):
        return v.copy()
    if isinstance(v, list):
        return [_copy_arrays(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_copy_arrays(x) for x in v)
    if isinstance(v, dict):
        return {k: _copy_arrays(x) for k, x in v.items()}
    return v


def inspect(data):
    """Describe serialized input without decoding payloads: format, size, format detail."""
    import json
    info = _zerial.inspect(data)
    if info.get("detail") is not None:
        try:
            info["detail"] = json.loads(info["detail"])
        except ValueError:
            pass
    if info["format"] is None and isinstance(info.get("detail"), dict):
        # enveloped or compressed: the payload's format and the layers around it
        d = info["detail"]
        info["format"] = d.get("format")
        info["layers"] = [l.get("kind") for l in d.get("layers", []) if isinstance(l, dict)]
    return info


from . import shm  # noqa: E402  (needs _tensor_to_numpy registered)
