"""Large decodes take pymalloc's arenas from huge-page regions (bindings/python/src/hugearena.h).

The objects must be the same whichever way their memory came, arenas must be given back whole
when the objects go (nothing tracked, nothing leaked), and code outside our decodes must keep
allocating as before."""
import gc
import os
import pickle
import random

import pytest

import zerial
from zerial import _zerial


def _records(n, salt=0):
    return [{"id": i + salt, "name": "user%d" % (i + salt), "score": i * 0.5, "tags": ["a", "b%d" % (i % 7)],
             "active": i % 3 == 0} for i in range(n)]


def _rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


@pytest.fixture
def hugepages():
    was = _zerial.set_hugepages(True)
    yield
    _zerial.set_hugepages(was)


def test_same_objects_either_way(hugepages):
    recs = _records(60000)
    data = zerial.dumps(recs, format="binary")
    assert len(data) > (1 << 20)  # large enough for the huge-page arenas
    on = zerial.loads(data)
    _zerial.set_hugepages(False)
    off = zerial.loads(data)
    assert on == off == recs
    packed = zerial.dumps(recs, format="binary", compression="zstd")  # the tree path
    _zerial.set_hugepages(True)
    assert zerial.loads(packed) == recs


# PYTHONMALLOC=malloc / malloc_debug (set by scripts/valgrind/vg-run under make test-valgrind)
# replaces pymalloc, so no arena is ever taken and there is nothing to count
_NO_PYMALLOC = os.environ.get("PYTHONMALLOC", "") in ("malloc", "malloc_debug")


@pytest.mark.skipif(_NO_PYMALLOC, reason="PYTHONMALLOC=malloc: pymalloc (and so its arenas) is off")
def test_arenas_released_whole(hugepages):
    gc.collect()
    data = zerial.dumps(_records(80000), format="binary")
    out = zerial.loads(data)
    installed, pages, arenas = _zerial._hugepage_stats()
    assert installed == 1 and pages > 5 and arenas > 10
    del out
    gc.collect()
    # pymalloc keeps one empty arena for reuse, and an arena may hold an object that outlives the
    # decode (an interned key): at most a couple stay; every other page went back whole
    pages_after, arenas_after = _zerial._hugepage_stats()[1:]
    assert arenas_after <= 2 and pages_after <= arenas_after


def test_interleaved_partial_frees(hugepages):
    # decodes interleaved with pickle and with objects kept across decodes, freed in random order
    rnd = random.Random(11)
    kept = []
    blobs = [zerial.dumps(_records(30000, salt=k * 100000), format="binary") for k in range(2)]
    pick = pickle.dumps(_records(20000, salt=7), protocol=5)
    for round_ in range(4):
        out = zerial.loads(blobs[round_ % 2])
        p = pickle.loads(pick)
        kept.extend(out[rnd.randrange(len(out))] for _ in range(50))
        kept.append(p[rnd.randrange(len(p))])
        del out, p
        if round_ % 2:
            rnd.shuffle(kept)
            del kept[: len(kept) // 2]
        gc.collect()
    for r in kept:
        assert set(r) == {"id", "name", "score", "tags", "active"} and r["name"] == "user%d" % r["id"]
    del kept
    gc.collect()
    pages_after, arenas_after = _zerial._hugepage_stats()[1:]
    assert arenas_after <= 2 and pages_after <= arenas_after


@pytest.mark.skipif(_NO_PYMALLOC, reason="PYTHONMALLOC=malloc: the pages are glibc's, not the arenas'")
def test_memory_goes_back(hugepages):
    data = zerial.dumps(_records(120000), format="binary")
    gc.collect()
    base = _rss_kib()
    for _ in range(2):
        out = zerial.loads(data)
        grown = _rss_kib() - base
        del out
        gc.collect()
    # the decoded objects take tens of MiB; once freed, their pages are unmapped again
    assert grown > 20 * 1024
    assert _rss_kib() - base < grown // 2


def test_off_switch():
    was = _zerial.set_hugepages(False)
    try:
        assert _zerial.set_hugepages(False) is False
        before = _zerial._hugepage_stats()[1]
        out = zerial.loads(zerial.dumps(_records(60000), format="binary"))
        assert _zerial._hugepage_stats()[1] <= before  # nothing carved while off
        del out
    finally:
        _zerial.set_hugepages(was)
