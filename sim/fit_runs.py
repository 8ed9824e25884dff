"""Running the model for many parameter sets: in this process, local processes or Dask.

Posterior calibration and forecasts hand lists of tasks (overrides, replication
indices) to :class:`TaskRunner`. Each task's result depends only on the task (the
replication indices fix the random numbers), so the executor and worker count never
change the numbers, and results come back in task order.

A task runs through :func:`run_task`, the single place that calls the model runner
(:func:`sim.simulate.simulate` for summary rows, :func:`sim.runner.run_once` for
weekly counts); moving to another engine changes that function only.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.runner import run_once
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario
from sim.simulate import simulate


@dataclass(frozen=True)
class Task:
    """One parameter set: dotted-path overrides, replication indices, root seed, horizon."""

    overrides: Mapping[str, Any]
    replications: tuple[int, ...]
    seed: int = 0
    years: int | None = None
    weekly: bool = False  # hand ``post`` the weekly counts by situation, not summary rows


#: ``post(frame_of_runs) -> value``: what a worker sends back instead of the full frame.
Post = Callable[[pd.DataFrame], Any]


def run_task(loaded: LoadedScenario, task: Task, post: Post | None = None) -> Any:
    """Run a task's replications; None if the overrides make an invalid scenario."""
    try:
        sc = loaded.with_overrides(dict(task.overrides)) if task.overrides else loaded
    except ScenarioError:
        return None
    if task.weekly:
        frame = pd.concat(
            [
                run_once(sc, k, task.seed, task.years, detail=False).weekly
                for k in task.replications
            ],
            ignore_index=True,
        )
    else:
        frame = simulate(sc, task.replications, task.seed, task.years)
    return frame if post is None else post(frame)


def _call(args: tuple) -> Any:
    return run_task(*args)


class TaskRunner:
    """Runs tasks serially (``workers=1``), in local processes, or on a Dask cluster.

    Use as a context manager so that worker processes are started once per fit, not
    once per batch of tasks.
    """

    def __init__(self, workers: int = 1, scheduler: Any = None) -> None:
        if workers < 1:
            raise ScenarioError("--workers must be at least 1")
        self.workers = workers
        self.scheduler = scheduler
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None

    def __enter__(self) -> TaskRunner:
        if self.scheduler is not None:
            self._client = _dask_client(self.scheduler)
        elif self.workers > 1:
            # spawn: workers start clean (forking a threaded process is unsafe)
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        if self._client is not None and isinstance(self.scheduler, str):
            self._client.close()

    def map(
        self, loaded: LoadedScenario, tasks: Sequence[Task], post: Post | None = None
    ) -> list[Any]:
        """Results of ``tasks`` in their order."""
        args = [(loaded, t, post) for t in tasks]
        if self._client is not None:
            futures = self._client.map(_call, args, pure=False)
            return list(self._client.gather(futures))
        if self._pool is not None:
            size = max(1, len(args) // (4 * self.workers))
            return list(self._pool.map(_call, args, chunksize=size))
        return [_call(a) for a in args]


def _dask_client(scheduler: Any) -> Any:
    """A Dask client for an address, or the client given."""
    if not isinstance(scheduler, str):
        return scheduler
    try:
        from dask.distributed import Client
    except ImportError:  # pragma: no cover - dask is an optional extra
        raise ScenarioError("--scheduler needs Dask: pip install 'homesim[dask]'") from None
    try:
        return Client(scheduler, timeout="10s")
    except OSError as exc:
        raise ScenarioError(
            f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})"
        ) from None
