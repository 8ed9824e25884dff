"""The backends of the engine-equality tests, and what those tests share.

compare, psa, calibrate, abc-smc and forecast must give the same numbers bit for bit
serially, on 2 local processes and on a Dask cluster. :func:`on_every_backend` runs one
piece of work on each; :func:`against_serial` pairs each other backend's result with the
serial one for the test's own assertions. The ``dask_client`` fixture (``tests/conftest.py``)
holds the cluster for a test module. :class:`StopAfter` stands for Ctrl-C part way
through, for the tests that resume from a run cache.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

#: serial (1 worker), 2 local processes, and a Dask cluster.
BACKENDS = ("serial", "processes", "dask")


@contextlib.contextmanager
def local_cluster() -> Iterator[Any]:
    """A local Dask cluster and its client (threads in this process: quick to start, and
    the same code path as a remote cluster). Skips the test where Dask is absent."""
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def where(backend: str, client: Any) -> dict:
    """The engine arguments (``workers``, ``scheduler``) of a backend."""
    if backend == "dask":
        return {"workers": 1, "scheduler": client}
    return {"workers": 2 if backend == "processes" else 1}


def on_every_backend[T](work: Callable[..., T], client: Any) -> dict[str, T]:
    """``work(**engine arguments)`` on each backend: {backend: result}."""
    return {b: work(**where(b, client)) for b in BACKENDS}


def against_serial[T](results: dict[str, T]) -> Iterator[tuple[str, T, T]]:
    """(backend, its result, the serial result) for each backend but serial."""
    for b in BACKENDS[1:]:
        yield b, results[b], results["serial"]


class StoppedError(Exception):
    """Stands for Ctrl-C part way through a fit or a forecast."""


class StopAfter:
    """A progress display that stops the work once ``n`` runs are finished."""

    def __init__(self, n: int) -> None:
        """Stop once ``n`` runs are counted."""
        self.n, self.done = n, 0

    def add(self, n: int) -> None:
        """More runs to do: nothing to count."""

    def update(self, n: int = 1, failed: int = 0) -> None:
        """Count ``n`` finished runs; stop at the ``n`` given at the start."""
        self.done += n
        if self.done >= self.n:
            raise StoppedError

    def close(self) -> None:
        """Nothing to close."""
