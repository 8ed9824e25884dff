"""Running many runs: serially, in local worker processes, or on a Dask cluster.

Two entry points share one :class:`Engine`:

- :func:`execute` runs a batch into a results folder (:mod:`sim.batch.store`): it
  claims the folder, skips the runs already stored there (so a stopped batch resumes
  where it was), runs the rest in chunks of a few runs per task, and records every
  run at once and atomically as it finishes;
- :func:`run_many` runs a list of runs planned by another command (comparison,
  sensitivity analysis, calibration) and returns their outputs in order, keeping each
  finished run in the command's run cache (:mod:`sim.batch.cache`) when given one.

The numbers of a run depend only on its spec (scenario, overrides, root seed,
replication), never on the executor, worker count or order, so every executor gives
the same tables bit for bit. On Ctrl-C or SIGTERM the engine ends and reaps its
workers before the interruption goes on (:mod:`sim.batch.shutdown`).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import multiprocessing
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sim.batch.cache import RunCache, run_digest
from sim.batch.progress import CallbackProgress, Progress, make_progress
from sim.batch.runs import RunKey, RunOutput, RunSpec, seed_derivation, simulate
from sim.batch.shutdown import check_stop
from sim.batch.store import BatchResults, ResultsStore, open_results, read_manifest, slug
from sim.folders import claim_folder
from sim.resources import cores
from sim.results_io import finish, now_iso, write_json
from sim.results_io import manifest as make_manifest
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import scenario_hash

#: A model holds reference cycles (Mesa agents and their model), so a finished run's
#: arrays are freed only by a full garbage collection, which Python seldom runs
#: unprompted: without one, a worker's memory grows with every run. Workers freeze
#: the objects of the imported modules so that a collection after each run takes about
#: a millisecond; elsewhere (this process, Dask workers) collect every few runs.
COLLECT_EVERY = 8
_gc_state = {"frozen": False, "since": 0, "refrozen": False}

#: Largest number of runs sent to a worker as one task.
MAX_CHUNK = 16
#: Aim for at least this many tasks per worker, so that work balances and progress moves.
TASKS_PER_WORKER = 4

OnRun = Callable[[RunOutput], None]
#: Where runs are written: a batch's results store or an analysis command's run cache.
Store = ResultsStore | RunCache
#: Seconds to wait for a Dask scheduler before giving up.
SCHEDULER_TIMEOUT = 5
#: Seconds a worker asked to stop (SIGTERM) has before it is killed.
KILL_AFTER = 5.0


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
        """Whether every run finished (none failed)."""
        return not self.failed

    def results(self) -> BatchResults:
        """The tidy tables of the whole results folder (runs done now and before)."""
        return open_results(self.out_dir)


def default_workers() -> int:
    """Cores this process may use."""
    return cores()


def execute(
    runs: Sequence[RunSpec],
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = True,
    weekly: bool = True,
    chunk_size: int | None = None,
    manifest: Mapping[str, Any] | None = None,
    on_run: OnRun | None = None,
    desc: str = "runs",
    force: bool = False,
) -> BatchReport:
    """Run ``runs`` and record each into the results store at ``out_dir``.

    The folder is claimed for the whole call (:func:`sim.folders.claim_folder`: a lock
    file, and a refusal of a folder holding other results unless ``force``); the Dask
    scheduler, if any, is reached before anything is written.

    Args:
        runs: the runs; their keys (scenario name, point, replication) must be unique.
        out_dir: results folder. Runs already stored there are skipped (resume); the
            folder must not hold the results of a different list of runs.
        workers: local worker processes (default: one per core); 1 runs serially in
            this process. Ignored when ``scheduler`` is given.
        scheduler: a Dask scheduler address (``tcp://host:port``) or a
            ``dask.distributed.Client``: run on that cluster instead.
        progress: show progress (a bar on a terminal, else a line every few seconds).
        weekly: store weekly counts by situation (else only summary rows).
        chunk_size: runs per task (default: chosen from the number of runs and workers).
        manifest: the folder's manifest (default: built from ``runs``); a ``plan``
            hash of the runs is added to it.
        on_run: called in this process with each finished run's output.
        desc: label of the progress display.
        force: replace a folder holding other results instead of refusing it.

    Returns a :class:`BatchReport`; failed runs are recorded in ``out_dir/failed``
    and listed in ``report.failed``, never raised. On an interruption (Ctrl-C,
    SIGTERM) the workers are stopped and reaped, finished runs are kept and the
    summary of what is done is written before the exception goes on.
    """
    runs = list(runs)
    _check_keys(runs)
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    plan = plan_hash(runs, weekly)
    with (
        claim_folder(out_dir, "batch", plan, force) as claim,
        Engine(workers, scheduler, chunk_size=chunk_size) as engine,
    ):
        engine.connect()  # an unreachable scheduler fails here, before any file
        store = ResultsStore(claim.root)
        _write_manifest(store, runs, manifest, weekly, plan, claim.previous)
        store.remove_temporaries()
        todo = [r for r in runs if not store.is_done(r.key)]
        report = BatchReport(store.root, total=len(runs), skipped=len(runs) - len(todo))
        start = time.perf_counter()
        bar = make_progress(progress, len(runs), report.skipped, desc)
        try:
            for out in engine.stream(todo, store, weekly):
                _count(report, out, bar)
                if on_run is not None:
                    on_run(out)
        except BaseException:
            _write_summary_quietly(store)
            raise
        finally:
            if bar is not None:
                bar.close()
            report.seconds = time.perf_counter() - start
        store.write_summary_csv()
        write_json(store.manifest_path, finish(read_manifest(store.root)))
    return report


def _count(report: BatchReport, out: RunOutput, bar: Progress | None) -> None:
    report.done += out.ok
    if not out.ok:
        report.failed.append(out)
    report.memory.append((out.worker, out.rss))
    report.run_seconds += out.seconds
    if bar is not None:
        bar.update(1, len(report.failed))


def _write_summary_quietly(store: ResultsStore) -> None:
    """The summary of the runs done so far, on the way out of an interrupted batch."""
    with contextlib.suppress(Exception):  # never hide the interruption behind another error
        store.write_summary_csv()


def run_many(
    runs: Sequence[RunSpec],
    *,
    workers: int | None = 1,
    scheduler: Any = None,
    progress: bool | Progress | None = False,
    cache: str | Path | None = None,
    desc: str = "runs",
) -> list[RunOutput]:
    """Run ``runs`` serially, on local processes or on Dask; outputs in the runs' order.

    The one call for code that plans its own runs (comparisons, sensitivity analyses,
    calibrations). Each output's numbers depend only on its :class:`RunSpec`, so the
    backend and worker count never change them.

    Args:
        runs: the runs (equal specs are run once and their output repeated).
        workers: local processes; 1 (the default) runs in this process; None: one
            per core. Ignored when ``scheduler`` is given.
        scheduler: a Dask scheduler address or ``dask.distributed.Client``.
        progress: True for the usual display, False or None for none, a
            :class:`~sim.batch.progress.Progress` shared by several calls, or a
            function called with (runs done, runs planned) after each run.
        cache: a folder keeping each finished run (:class:`~sim.batch.cache.RunCache`):
            runs found there are read instead of run, so a stopped command resumes.
            The caller holds the results folder (:func:`sim.folders.claim_folder`).
        desc: label of the progress display.

    Returns one :class:`RunOutput` per run, in order; a failed run has ``error`` set
    (it is never raised, and never cached).
    """
    with Engine(workers, scheduler, cache=cache) as engine:
        return engine.run(runs, progress, desc)


# ---------------------------------------------------------------- the engine


class Engine:
    """Where runs happen: this process, a pool of local processes, or a Dask cluster.

    One engine serves several rounds of runs (a calibration asks for one evaluation
    at a time): the worker processes or the Dask client are made on first use and
    kept until :meth:`close`, which stops and reaps every worker, at once if the
    engine is left by an exception (Ctrl-C, SIGTERM). Use it as a context manager.
    """

    def __init__(
        self,
        workers: int | None = 1,
        scheduler: Any = None,
        *,
        cache: str | Path | None = None,
        chunk_size: int | None = None,
    ):
        if workers is not None and workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = default_workers() if workers is None else workers
        self.scheduler = scheduler
        self.cache = RunCache(cache) if cache is not None else None
        self.chunk_size = chunk_size
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._own_client = False

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        self.close(abort=exc is not None)

    @property
    def backend(self) -> str:
        """``dask``, ``processes`` or ``serial``."""
        if self.scheduler is not None:
            return "dask"
        return "processes" if self.workers > 1 else "serial"

    def connect(self) -> None:
        """Reach the Dask scheduler now (if any), so that a bad address fails early.

        Raises ScenarioError naming the address when it cannot be reached or when
        dask.distributed is not installed.
        """
        if self.scheduler is None or self._client is not None:
            return
        try:
            from dask.distributed import Client
        except ImportError as exc:
            raise ScenarioError(f"--scheduler needs dask[distributed] installed ({exc})") from None
        if isinstance(self.scheduler, Client):
            self._client = self.scheduler
            return
        try:
            self._client = Client(self.scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, ValueError, TypeError) as exc:
            raise ScenarioError(
                f"--scheduler: cannot reach the Dask scheduler at {self.scheduler}: {exc}"
            ) from None
        self._own_client = True

    def run(
        self, runs: Sequence[RunSpec], progress: bool | Progress | None = False, desc: str = "runs"
    ) -> list[RunOutput]:
        """Outputs of ``runs`` in order; runs in the cache are read, not run."""
        digests = [run_digest(r) for r in runs]
        found: dict[str, RunOutput | None] = {}
        todo: list[RunSpec] = []
        for d, r in zip(digests, runs, strict=True):
            if d in found:
                continue
            found[d] = self.cache.load(r) if self.cache is not None else None
            if found[d] is None:
                todo.append(r)
        digest_of = {id(r): d for r, d in zip(runs, digests, strict=True)}
        if todo:
            self.connect()  # a bad scheduler fails before any progress is shown
        bar, own = _progress_of(progress, len(runs), len(runs) - len(todo), desc)
        failed = 0
        try:
            for out in self.stream(todo, self.cache, weekly=False):
                found[digest_of.get(id(out.spec)) or run_digest(out.spec)] = out
                failed += not out.ok
                if bar is not None:
                    bar.update(1, failed)
        finally:
            if own and bar is not None:
                bar.close()
        outs = [found[d] for d in digests]
        return [
            o if o.spec is r else replace(o, spec=r)  # repeated specs: own spec
            for o, r in zip(outs, runs, strict=True)
        ]

    def stream(self, todo: list[RunSpec], store: Store | None, weekly: bool) -> Iterator[RunOutput]:
        """Outputs as runs finish (any order), each written to ``store`` first.

        A stop signal whose exception was lost stops the stream at the next run
        (:func:`sim.batch.shutdown.check_stop`).
        """
        if not todo:
            return iter(())
        if self.scheduler is not None:
            self.connect()
            outs = _dask_outputs(todo, store, self._client, weekly, self.chunk_size)
        elif self.workers == 1 or len(todo) == 1:
            outs = _serial_outputs(todo, store, weekly)
        else:
            outs = _process_outputs(
                todo, store, self._processes(), self.workers, weekly, self.chunk_size
            )
        return _checked(outs)

    def _processes(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=_process_context(), initializer=_worker_init
            )
        return self._pool

    def close(self, abort: bool = False) -> None:
        """Stop the workers: let them finish and exit, or (``abort``) end them now.

        Either way every worker process has exited and been reaped on return (the
        fork server and resource tracker are stopped by
        :func:`sim.batch.shutdown.orderly` once the interruption is handled).
        """
        pool, self._pool = self._pool, None
        if pool is not None:
            if abort:
                _terminate_pool(pool)
            else:
                pool.shutdown(wait=True)
        client, self._client = self._client, None
        if client is not None and self._own_client:
            with contextlib.suppress(Exception):  # a lost scheduler must not hide the outcome
                client.close()


def _progress_of(
    progress: bool | Progress | None, total: int, initial: int, desc: str
) -> tuple[Progress | None, bool]:
    """A display for this round: the caller's (total extended) or a new one of ours."""
    if progress is None or isinstance(progress, bool):
        return make_progress(bool(progress), total, initial, desc), True
    if not hasattr(progress, "add"):  # a plain function of (runs done, runs planned)
        progress = CallbackProgress(progress)
    progress.add(total)
    if initial:
        progress.update(initial)
    return progress, False


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now (SIGTERM, then SIGKILL after a grace) and reap them."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + KILL_AFTER
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join()
    pool.shutdown(wait=True)


# ---------------------------------------------------------------- planning


def _check_keys(runs: Sequence[RunSpec]) -> None:
    seen: dict[tuple[str, int, int], RunKey] = {}
    for r in runs:
        k = (slug(r.name), int(r.point), int(r.replication))
        if k in seen:
            raise ValueError(
                f"two runs share the key {r.key} (or a name with the same "
                f"folder name as {seen[k][0]!r})"
            )
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


def default_manifest(
    runs: Sequence[RunSpec],
    command: str = "sim.batch.execute",
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Manifest of a list of runs: base scenarios as run, points, seeds, horizon."""
    scenarios: dict[str, Any] = {}
    points: dict[int, dict[str, Any]] = {}
    for r in runs:
        if r.name not in scenarios:
            scenarios[r.name] = SimpleNamespace(
                file=r.file, raw=r.scenario, hash=scenario_hash(r.scenario)
            )
        points.setdefault(
            r.point, {"point": r.point, "scenario": r.name, "overrides": dict(r.overrides)}
        )
    first = runs[0] if runs else RunSpec({}, "none")
    seeds = {"root": first.seed, "mode": first.seeds, "derivation": seed_derivation(first.seeds)}
    return make_manifest(
        scenarios,
        seeds,
        command,
        extra={
            "years": first.years,
            "runs": len(runs),
            "points": list(points.values()),
            **(extra or {}),
        },
    )


def _write_manifest(
    store: ResultsStore,
    runs: Sequence[RunSpec],
    manifest: Mapping[str, Any] | None,
    weekly: bool,
    plan: str,
    previous: Mapping[str, Any] | None,
) -> None:
    """Write the manifest, or note a resume in the manifest of this same plan.

    The claim of the folder has already refused a folder of another plan.
    """
    if previous is not None and store.manifest_path.exists():
        old = read_manifest(store.root)
        old.setdefault("resumed", []).append(now_iso())
        old.pop("finished", None)
        write_json(store.manifest_path, old)
        return
    data = dict(manifest) if manifest is not None else default_manifest(runs)
    data["kind"] = "batch"
    data["plan"] = plan
    data["weekly"] = weekly
    write_json(store.manifest_path, data)


def chunks_of(
    runs: Sequence[RunSpec], workers: int, size: int | None = None
) -> list[list[RunSpec]]:
    """Split runs into tasks of a few runs each (fewer tasks, less overhead per run)."""
    if size is None:
        size = max(1, min(MAX_CHUNK, len(runs) // max(1, workers * TASKS_PER_WORKER)))
    return [list(runs[i : i + size]) for i in range(0, len(runs), size)]


# ---------------------------------------------------------------- executors


def run_chunk(
    specs: Sequence[RunSpec], weekly: bool = True, store: Store | None = None
) -> list[RunOutput]:
    """Run a task's specs one after another (this is what a worker executes).

    With ``store`` (a results store or run cache this worker can write to) each run
    is written as soon as it finishes and its weekly table does not travel back;
    without, the outputs travel back and the caller writes them.
    """
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
    """Free finished models now (see :data:`COLLECT_EVERY`).

    A frozen worker freezes again after its first run: what survives that collection
    (the compiled kernels numba loads on first use, caches) lives as long as the worker,
    and left unfrozen it made every later collection some 50 ms instead of a few.
    """
    _gc_state["since"] += 1
    if _gc_state["frozen"] or _gc_state["since"] >= COLLECT_EVERY:
        gc.collect()
        _gc_state["since"] = 0
        if _gc_state["frozen"] and not _gc_state["refrozen"]:
            gc.freeze()
            _gc_state["refrozen"] = True


def _serial_outputs(todo: list[RunSpec], store: Store | None, weekly: bool) -> Iterator[RunOutput]:
    for spec in todo:
        yield run_chunk([spec], weekly, store)[0]


def _process_context() -> multiprocessing.context.BaseContext:
    """Fork from a clean server process that has already imported the model."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.batch.runs", "sim.batch.store"])
        return ctx
    return multiprocessing.get_context("spawn")


def _worker_init() -> None:
    """Set up a local worker process.

    Ctrl-C and SIGTERM end a worker at once and quietly; the parent reports the interruption (a
    run cut short leaves at most a temporary file, which readers ignore and the next
    run of the batch removes). The objects of the imported modules are frozen out of
    garbage collection, so that collecting after each run is cheap.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.collect()
    gc.freeze()
    _gc_state["frozen"] = True


def _process_outputs(
    todo: list[RunSpec],
    store: Store | None,
    pool: ProcessPoolExecutor,
    workers: int,
    weekly: bool,
    chunk_size: int | None,
) -> Iterator[RunOutput]:
    """Run chunks on the engine's pool; workers write to ``store`` themselves."""
    chunks = chunks_of(todo, workers, chunk_size)
    pending: dict[Future, list[RunSpec]] = {
        pool.submit(run_chunk, c, weekly, store): c for c in chunks
    }
    try:
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                chunk = pending.pop(fut)
                yield from _chunk_result(fut, chunk, store)
    finally:
        for fut in pending:
            fut.cancel()


def _checked(outs: Iterator[RunOutput]) -> Iterator[RunOutput]:
    """``outs``, stopped after any run once a stop signal has come."""
    for out in outs:
        check_stop()
        yield out
    check_stop()


def _chunk_result(
    fut: Any, chunk: list[RunSpec], store: Store | None, write: bool = False
) -> list[RunOutput]:
    """A task's outputs, written here if ``write``; a task that died fails its runs."""
    try:
        outs = fut.result()
    except Exception as exc:  # a dead worker fails its runs, not the batch
        return [_lost(spec, exc, store) for spec in chunk]
    if write and store is not None:
        for out in outs:
            store.write(out)
            if isinstance(store, ResultsStore):
                out.weekly = None
    return outs


def _lost(spec: RunSpec, exc: Exception, store: Store | None) -> RunOutput:
    """A run of a task whose worker died: done if it was written before, else failed."""
    if isinstance(store, ResultsStore) and store.is_done(spec.key):
        return RunOutput(spec, rss=0, worker=0)
    if isinstance(store, RunCache):
        cached = store.load(spec)
        if cached is not None:
            return cached
    err = {
        "type": type(exc).__name__,
        "message": f"the worker running this run failed: {exc}",
        "traceback": "",
    }
    out = RunOutput(spec, error=err, rss=0, worker=0)
    if store is not None:
        store.write(out)
    return out


def _dask_outputs(
    todo: list[RunSpec], store: Store | None, client: Any, weekly: bool, chunk_size: int | None
) -> Iterator[RunOutput]:
    """Run on a Dask cluster; outputs travel back and are written here (no shared disk)."""
    from dask.distributed import as_completed

    threads = sum(client.nthreads().values()) or 1
    chunks = chunks_of(todo, threads, chunk_size)
    futures = client.map(run_chunk, chunks, weekly=weekly, store=None, pure=False)
    chunk_of = {f.key: c for f, c in zip(futures, chunks, strict=True)}
    try:
        for fut in as_completed(futures):
            yield from _chunk_result(fut, chunk_of[fut.key], store, write=True)
            fut.release()
    finally:
        client.cancel([f for f in futures if not f.done()])
