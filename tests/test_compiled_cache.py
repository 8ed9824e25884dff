"""numba's cache is read and written under a lock (``sim.compiled``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import pytest
from numba.core import caching

from sim.compiled import LOCK_NAME, cache_lock

fcntl = pytest.importorskip("fcntl", reason="the cache lock is flock, which needs POSIX")

MODULE = """
from sim.compiled import njit

@njit(cache=True)
def twice(x):
    return 2 * x
"""

CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
import cached_twice
values = [cached_twice.twice(3), cached_twice.twice(1.5)]  # two signatures, two files
print(json.dumps({"values": values, "hits": len(cached_twice.twice.stats.cache_hits)}))
"""


def test_the_cache_reads_and_writes_are_wrapped():
    assert caching.Cache.load_overload.homesim_locked
    assert caching.Cache.save_overload.homesim_locked


def test_the_lock_waits_for_another_holder(tmp_path):
    """While another open file holds the folder's lock, ``cache_lock`` waits (it cannot
    pass, so the 0.5 s check cannot fail by chance); once released, it goes on."""
    fd = os.open(tmp_path / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    inside = threading.Event()

    def take() -> None:
        with cache_lock(tmp_path):
            inside.set()

    worker = threading.Thread(target=take)
    worker.start()
    try:
        assert not inside.wait(0.5)
    finally:
        os.close(fd)  # releases the lock
    assert inside.wait(30)
    worker.join(30)


def test_the_lock_is_reentrant_within_a_thread(tmp_path):
    with cache_lock(tmp_path), cache_lock(tmp_path):
        pass
    with cache_lock(tmp_path):  # taken again after release
        pass


def test_a_cached_loop_is_saved_then_loaded_by_a_new_process(tmp_path):
    """The first process compiles and saves both signatures; the second loads both from
    the cache (two cache hits) and gets the same values."""
    (tmp_path / "cached_twice.py").write_text(textwrap.dedent(MODULE))

    def child() -> dict:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(tmp_path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    first = child()
    assert first == {"values": [6, 3.0], "hits": 0}
    assert (tmp_path / "__pycache__" / LOCK_NAME).is_file()
    assert len(list((tmp_path / "__pycache__").glob("cached_twice.twice-*.nbc"))) == 2
    assert child() == {"values": [6, 3.0], "hits": 2}
