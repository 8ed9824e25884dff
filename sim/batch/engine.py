"""Running many runs: serially, in local worker processes, or on a Dask cluster.

:func:`execute` is the one entry point. It takes a list of :class:`RunSpec`, skips
the runs whose results are already in the store (so a stopped batch resumes where
it was), runs the rest in chunks of a few runs per task, and records every run at
once and atomically as it finishes. The numbers of a run depend only on its spec
(scenario, overrides, root seed, replication), never on the executor, worker count
or order, so every executor gives the same tables bit for bit.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sim.batch.runs import RunKey, RunOutput, RunSpec, seed_derivation, simulate
from sim.batch.store import BatchResults, ResultsStore, open_results, slug
from sim.results_io import manifest as make_manifest
from sim.results_io import write_json
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import scenario_hash

#: A model holds reference cycles (Mesa agents and their model), so a finished run's
#: arrays are freed only by a full garbage collection, which Python seldom runs
#: unprompted: without one, a worker's memory grows with every run. Workers freeze
#: the objects of the imported modules so that a collection after each run takes about
#: a millisecond; elsewhere (this process, Dask workers) collect every few runs.
COLLECT_EVERY = 8
_gc_state = {"frozen": False, "since": 0}

#: Largest number of runs sent to a worker as one task.
MAX_CHUNK = 16
#: Aim for at least this many tasks per worker, so that work balances and progress moves.
TASKS_PER_WORKER = 4

OnRun = Callable[[RunOutput], None]


@dataclass
class BatchReport:
    """What :func:`execute` did: counts, failures, timing and worker memory.

    ``seconds`` is the wall time; ``run_seconds`` the time spent inside runs, summed
    over workers; ``memory`` lists (worker process id, resident bytes) after each run,
    in the order the runs finished.
    """

    out_dir: Path
    total: int
    skipped: int = 0
    done: int = 0
    failed: list[RunOutput] = field(default_factory=list)
    seconds: float = 0.0
    memory: list[tuple[int, int]] = field(default_factory=list, repr=False)
    run_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def results(self) -> BatchResults:
        """The tidy tables of the whole results folder (runs done now and before)."""
        return open_results(self.out_dir)


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def execute(runs: Sequence[RunSpec], out_dir: str | Path, *, workers: int | None = None,
            scheduler: Any = None, progress: bool = True, weekly: bool = True,
            chunk_size: int | None = None, manifest: Mapping[str, Any] | None = None,
            on_run: OnRun | None = None, desc: str = "runs") -> BatchReport:
    """Run ``runs`` and record each into the results store at ``out_dir``.

    Args:
        runs: the runs; their keys (scenario name, point, replication) must be unique.
        out_dir: results folder. Runs already stored there are skipped (resume); the
            folder must not hold the results of a different list of runs.
        workers: local worker processes (default: one per core); 1 runs serially in
            this process. Ignored when ``scheduler`` is given.
        scheduler: a Dask scheduler address (``tcp://host:port``) or a
            ``dask.distributed.Client``: run on that cluster instead.
        progress: show a progress bar (runs done, runs per second, time left).
        weekly: store weekly counts by situation (else only summary rows).
        chunk_size: runs per task (default: chosen from the number of runs and workers).
        manifest: the folder's manifest (default: built from ``runs``); a ``plan``
            hash of the runs is added to it.
        on_run: called in this process with each finished run's output.

    Returns a :class:`BatchReport`; failed runs are recorded in ``out_dir/failed``
    and listed in ``report.failed``, never raised.
    """
    runs = list(runs)
    _check_keys(runs)
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    store = ResultsStore(out_dir)
    _write_manifest(store, runs, manifest, weekly)
    store.remove_temporaries()
    todo = [r for r in runs if not store.is_done(r.key)]
    report = BatchReport(store.root, total=len(runs), skipped=len(runs) - len(todo))
    start = time.perf_counter()
    bar = _progress_bar(len(runs), report.skipped, desc) if progress else None
    outputs = _outputs(todo, store, workers, scheduler, weekly, chunk_size)
    try:
        for out in outputs:
            report.done += out.ok
            if not out.ok:
                report.failed.append(out)
            report.memory.append((out.worker, out.rss))
            report.run_seconds += out.seconds
            if bar is not None:
                bar.update(1)
                if report.failed:
                    bar.set_postfix(failed=len(report.failed), refresh=False)
            if on_run is not None:
                on_run(out)
    finally:
        outputs.close()
        if bar is not None:
            bar.close()
        report.seconds = time.perf_counter() - start
    store.write_summary_csv()
    return report


# ---------------------------------------------------------------- planning

def _check_keys(runs: Sequence[RunSpec]) -> None:
    seen: dict[tuple[str, int, int], RunKey] = {}
    for r in runs:
        k = (slug(r.name), int(r.point), int(r.replication))
        if k in seen:
            raise ValueError(f"two runs share the key {r.key} (or a name with the same "
                             f"folder name as {seen[k][0]!r})")
        seen[k] = r.key


def plan_hash(runs: Sequence[RunSpec], weekly: bool = True) -> str:
    """SHA-256 of what the runs are: a results folder holds the runs of one plan."""
    hashes: dict[int, str] = {}
    items = []
    for r in runs:
        h = hashes.setdefault(id(r.scenario), scenario_hash(r.scenario))
        items.append([list(r.key), h, r.overrides, r.seed, r.seeds, r.years])
    text = json.dumps([weekly, items], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def default_manifest(runs: Sequence[RunSpec], command: str = "sim.batch.execute",
                     extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Manifest of a list of runs: base scenarios as run, points, seeds, horizon."""
    scenarios: dict[str, Any] = {}
    points: dict[int, dict[str, Any]] = {}
    for r in runs:
        if r.name not in scenarios:
            scenarios[r.name] = SimpleNamespace(file=r.file, raw=r.scenario,
                                                hash=scenario_hash(r.scenario))
        points.setdefault(r.point, {"point": r.point, "scenario": r.name,
                                    "overrides": dict(r.overrides)})
    first = runs[0] if runs else RunSpec({}, "none")
    seeds = {"root": first.seed, "mode": first.seeds, "derivation": seed_derivation(first.seeds)}
    return make_manifest(scenarios, seeds, command, extra={
        "years": first.years, "runs": len(runs), "points": list(points.values()),
        **(extra or {})})


def _write_manifest(store: ResultsStore, runs: Sequence[RunSpec],
                    manifest: Mapping[str, Any] | None, weekly: bool) -> None:
    """Write the manifest, or check on resume that the folder holds this same plan."""
    plan = plan_hash(runs, weekly)
    if store.manifest_path.exists():
        old = json.loads(store.manifest_path.read_text(encoding="utf-8"))
        if old.get("plan") != plan:
            raise ScenarioError(
                "this results folder holds the results of a different batch (its runs, "
                "scenarios, seeds or outputs differ); choose another --out folder or "
                "remove it", file=str(store.root))
        old.setdefault("resumed", []).append(time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                                           time.gmtime()))
        write_json(store.manifest_path, old)
        return
    data = dict(manifest) if manifest is not None else default_manifest(runs)
    data["plan"] = plan
    data["weekly"] = weekly
    write_json(store.manifest_path, data)


def chunks_of(runs: Sequence[RunSpec], workers: int, size: int | None = None
              ) -> list[list[RunSpec]]:
    """Split runs into tasks of a few runs each (fewer tasks, less overhead per run)."""
    if size is None:
        size = max(1, min(MAX_CHUNK, len(runs) // max(1, workers * TASKS_PER_WORKER)))
    return [list(runs[i:i + size]) for i in range(0, len(runs), size)]


# ---------------------------------------------------------------- executors

def run_chunk(specs: Sequence[RunSpec], weekly: bool = True, store_root: str | None = None
              ) -> list[RunOutput]:
    """Run a task's specs one after another (this is what a worker executes).

    With ``store_root`` (a folder the worker can write to) each run is written as
    soon as it finishes and only its summary travels back; without, the outputs
    travel back and the caller writes them.
    """
    store = ResultsStore(store_root) if store_root is not None else None
    outs = []
    for spec in specs:
        out = simulate(spec, weekly)
        if store is not None:
            store.write(out)
            out.weekly = None
        outs.append(out)
        _collect_garbage()
    return outs


def _collect_garbage() -> None:
    """Free finished models now (see :data:`COLLECT_EVERY`)."""
    _gc_state["since"] += 1
    if _gc_state["frozen"] or _gc_state["since"] >= COLLECT_EVERY:
        gc.collect()
        _gc_state["since"] = 0


def _outputs(todo: list[RunSpec], store: ResultsStore, workers: int | None, scheduler: Any,
             weekly: bool, chunk_size: int | None) -> Iterator[RunOutput]:
    if not todo:
        yield from ()
        return
    if scheduler is not None:
        yield from _dask_outputs(todo, store, scheduler, weekly, chunk_size)
        return
    workers = default_workers() if workers is None else workers
    if workers == 1 or len(todo) == 1:
        yield from _serial_outputs(todo, store, weekly)
    else:
        yield from _process_outputs(todo, store, workers, weekly, chunk_size)


def _progress_bar(total: int, initial: int, desc: str) -> Any:
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, desc=desc, unit="run", dynamic_ncols=True,
                smoothing=0.1)


def _serial_outputs(todo: list[RunSpec], store: ResultsStore, weekly: bool
                    ) -> Iterator[RunOutput]:
    for spec in todo:
        yield run_chunk([spec], weekly, str(store.root))[0]


def _process_context() -> multiprocessing.context.BaseContext:
    """Fork from a clean server process that has already imported the model."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.batch.runs", "sim.batch.store"])
        return ctx
    return multiprocessing.get_context("spawn")


def _worker_init() -> None:
    """Set up a local worker process.

    Ctrl-C ends a worker at once and quietly; the parent reports the interruption (a
    run cut short leaves at most a temporary file, which readers ignore and the next
    run of the batch removes). The objects of the imported modules are frozen out of
    garbage collection, so that collecting after each run is cheap.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    gc.collect()
    gc.freeze()
    _gc_state["frozen"] = True


def _process_outputs(todo: list[RunSpec], store: ResultsStore, workers: int, weekly: bool,
                     chunk_size: int | None) -> Iterator[RunOutput]:
    chunks = chunks_of(todo, workers, chunk_size)
    pool = ProcessPoolExecutor(max_workers=min(workers, len(chunks)),
                               mp_context=_process_context(), initializer=_worker_init)
    try:
        pending: dict[Future, list[RunSpec]] = {
            pool.submit(run_chunk, c, weekly, str(store.root)): c for c in chunks}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                chunk = pending.pop(fut)
                yield from _chunk_result(fut, chunk, store)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _chunk_result(fut: Any, chunk: list[RunSpec], store: ResultsStore,
                  write: bool = False) -> list[RunOutput]:
    """A task's outputs, written here if ``write``; a task that died fails its runs."""
    try:
        outs = fut.result()
    except Exception as exc:  # a dead worker fails its runs, not the batch
        return [_lost(spec, exc, store) for spec in chunk]
    if write:
        for out in outs:
            store.write(out)
            out.weekly = None
    return outs


def _lost(spec: RunSpec, exc: Exception, store: ResultsStore) -> RunOutput:
    """A run of a task whose worker died: done if it was written before, else failed."""
    if store.is_done(spec.key):
        return RunOutput(spec, rss=0, worker=0)
    err = {"type": type(exc).__name__,
           "message": f"the worker running this run failed: {exc}", "traceback": ""}
    out = RunOutput(spec, error=err, rss=0, worker=0)
    store.write(out)
    return out


def _dask_outputs(todo: list[RunSpec], store: ResultsStore, scheduler: Any, weekly: bool,
                  chunk_size: int | None) -> Iterator[RunOutput]:
    """Run on a Dask cluster; outputs travel back and are written here (no shared disk)."""
    from dask.distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        threads = sum(client.nthreads().values()) or 1
        chunks = chunks_of(todo, threads, chunk_size)
        futures = client.map(run_chunk, chunks, weekly=weekly, store_root=None, pure=False)
        chunk_of = {f.key: c for f, c in zip(futures, chunks, strict=True)}
        try:
            for fut in as_completed(futures):
                yield from _chunk_result(fut, chunk_of[fut.key], store, write=True)
                fut.release()
        finally:
            client.cancel([f for f in futures if not f.done()])
    finally:
        if own:
            client.close()
