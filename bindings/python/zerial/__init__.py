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

__all__ = ["dumps", "loads", "inspect", "formats", "shm", "Tensor", "Error", "DecodeError",
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


def dumps(obj, format="auto", compression=None, *, level=0, deterministic=False):
    """Serialize ``obj`` to bytes.

    format: 'auto' (npy for a numpy array, binary otherwise) or a format name from
    ``zerial.formats()``. compression: None or a codec name where the format compresses.
    """
    return _zerial.dumps(obj, format=format, compression=compression, level=level,
                         deterministic=deterministic)


def loads(data, *, format=None, copy=False):
    """Deserialize bytes, bytearray, memoryview or mmap (the format is detected).

    Arrays come back as numpy arrays viewing ``data`` (read-only when ``data`` is) and keep it
    alive; ``copy=True`` gives arrays that own their memory instead.
    """
    out = _zerial.loads(data, format=format, copy=copy)
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
    return info


from . import shm  # noqa: E402  (needs _tensor_to_numpy registered)
