"""numba's ``njit``, with its on-disk cache read and written by one process at a time.

Every compiled loop of homesim is ``njit(cache=True)``: compiled once on a machine,
then loaded from the cache beside its module (``__pycache__``). numba keeps, per
function, an index (signature -> data file) and one data file per signature. Two
processes that compile the same function at once, such as a batch's workers or the
test suite's on a fresh install, both read the old index, both pick the same free data
file for their own signature and both rewrite the index (numba issues 4807 and 10128).
The index can then name the data of another signature: the loop that loads it runs
other code on its arguments, and gives wrong numbers that change from run to run, or
crashes.

Importing this module wraps numba's ``Cache.load_overload`` and ``Cache.save_overload``
in an exclusive file lock (``flock``) on ``homesim-numba.lock`` in the cache's folder, so
that reading the index and data of a function, and choosing a data file and writing it
with the index, are each done by one process at a time. Compiling is not locked: two
processes may still compile the same loop, and the second to save overwrites the
first's entry with the same code. Where ``flock`` is missing (Windows) or the folder
cannot hold the lock file, the cache works as numba's own.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from numba import njit
from numba.core import caching

try:
    import fcntl
except ImportError:  # not POSIX: numba's cache as it is
    fcntl = None

__all__ = ["LOCK_NAME", "njit"]

#: The lock file in each cache folder.
LOCK_NAME = "homesim-numba.lock"

_held = threading.local()  # folders this thread holds the lock of, and how deeply


@contextlib.contextmanager
def cache_lock(folder: str | os.PathLike | None) -> Iterator[None]:
    """Hold the exclusive lock of a cache folder (re-entrant within a thread)."""
    depth = getattr(_held, "depth", None)
    if depth is None:
        depth = _held.depth = {}
    key = None if folder is None else os.fspath(folder)
    if fcntl is None or key is None:  # nothing to lock
        yield
        return
    if depth.get(key):  # this thread holds it already
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    try:
        os.makedirs(key, exist_ok=True)
        fd = os.open(os.path.join(key, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:  # a read-only install: numba then caches elsewhere or not at all
        fd = None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        depth[key] = 1
        yield
    finally:
        depth[key] = 0
        if fd is not None:
            os.close(fd)  # closing the file releases the lock


def _locked(method):
    def wrapper(self, *args, **kwargs):
        with cache_lock(getattr(self, "_cache_path", None)):
            return method(self, *args, **kwargs)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    wrapper.homesim_locked = True
    return wrapper


def install() -> None:
    """Wrap numba's cache reads and writes in the lock (once per process)."""
    cls = caching.Cache
    for name in ("load_overload", "save_overload"):
        method = getattr(cls, name, None)
        if method is not None and not getattr(method, "homesim_locked", False):
            setattr(cls, name, _locked(method))


install()
