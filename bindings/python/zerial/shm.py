"""Shared-memory regions (layout: docs/formats/shm-region.md).

The module maps regions itself with the zerial C library: Python's
``multiprocessing.shared_memory`` and its ``resource_tracker`` (which unlinks segments it did not
create) are not involved.

    with zerial.shm.open("jobs.42") as r:
        a = r["weights"]          # numpy array viewing the mapping
        ...
        del a                     # close() raises zerial.StateError while views are alive
"""
import numpy as _np

from . import _zerial

__all__ = ["Region", "create", "open", "unlink"]


class Region(_zerial.Region):
    """A mapped region: ``r[name]`` gives numpy arrays (raw tensors), memoryviews (raw bytes) or
    decoded values; ``r.put(name, obj)`` and ``r.new_array(name, shape, dtype)`` add objects
    before ``r.publish()``."""

    __slots__ = ()

    def new_array(self, name, shape, dtype, *, checksum=True):
        """Reserve a C-contiguous array object and return a numpy array over it to fill in place."""
        if isinstance(shape, int):
            shape = (shape,)
        t = self._new_tensor(name, tuple(shape), _np.dtype(dtype).str, checksum=checksum)
        return t.numpy()

    def get(self, name, *, table="dict"):
        """Object ``name``: tables (Arrow) as a dict of numpy arrays, ``"pandas"`` or ``"table"``."""
        from . import _convert_table
        return _convert_table(_zerial.Region.__getitem__(self, name), table)

    def __getitem__(self, name):
        return self.get(name)

    def items(self):
        return [(k, self[k]) for k in self.keys()]

    def __iter__(self):
        return iter(self.keys())

    def __repr__(self):
        if self.closed:
            return "<zerial.shm.Region closed>"
        return "<zerial.shm.Region %s generation=%d objects=%d size=%d>" % (
            self.name, self.generation, len(self), self.size)


_zerial._set_region_class(Region)


def create(name, size=0, *, max_objects=0, mode=0o600, prealloc=True):
    """Create a new region (exclusive; mode 0600) mapped read-write, in the "writing" state."""
    return _zerial.shm_create(name, size=size, max_objects=max_objects, mode=mode,
                              prealloc=prealloc)


def open(name, *, write=False, verify=False):  # noqa: A001  (mirrors the C API)
    """Open a published region; ``write=True`` maps it read-write, ``verify=True`` checks every
    payload checksum first."""
    return _zerial.shm_open(name, write=write, verify=verify)


def unlink(name):
    """Remove region ``name`` from the system (existing mappings stay valid)."""
    _zerial.shm_unlink(name)
