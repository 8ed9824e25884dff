"""Batch engine speed and memory: runs per minute, Dask overhead, worker memory.

    .venv/bin/python benchmarks/bench_batch.py                 # everything (10+ minutes)
    .venv/bin/python benchmarks/bench_batch.py --full-runs 0   # skip the 1,000-run batch

Figures printed:

1. runs per minute at 1 worker (serial), 2 local worker processes, and a Dask
   LocalCluster with 2 single-threaded worker processes;
2. overhead per run on Dask: wall time x workers minus the time spent inside runs,
   divided by the number of runs (scheduling, transfer, writing, idle tail), on the
   scenario and on a tiny one-year scenario where overhead dominates;
3. 1,000 replications of the scenario at 2 workers: wall time, and the resident
   memory of each worker early and late in the batch (flat means no leak).

The scenario is scenarios/randers_baseline.yaml when it exists (else the toy town of
scenarios/batches/toy_capacity_sweep.yaml), run for 10 years. Timings on a shared
machine are noisy: run it when the machine is otherwise idle for clean figures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from homesim.batch import RunSpec, execute, load_batch, open_results
from homesim.batch.engine import BatchReport
from homesim.scenario.loader import LoadedScenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "randers_baseline.yaml"
TOY_BATCH = ROOT / "scenarios" / "batches" / "toy_capacity_sweep.yaml"


def scenario() -> tuple[LoadedScenario, str]:
    if BASELINE.exists():
        return load_scenario(BASELINE), str(BASELINE.relative_to(ROOT))
    toy = load_batch(TOY_BATCH).entries[0].scenario
    return toy, f"{TOY_BATCH.relative_to(ROOT)} (toy town; Randers baseline not found)"


def specs(sc: LoadedScenario, n: int, years: int | None, first: int = 0) -> list[RunSpec]:
    return [RunSpec(sc, sc.name, 0, {}, k, seed=1, years=years) for k in range(first, first + n)]


def timed(runs: list[RunSpec], **kw) -> BatchReport:
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as out:
        return execute(runs, Path(out) / "results", progress=False, **kw)


def line(label: str, rep: BatchReport, workers: int) -> str:
    per_min = rep.done / rep.seconds * 60
    overhead = (rep.seconds * workers - rep.run_seconds) / max(rep.done, 1) * 1000
    run_ms = rep.run_seconds / max(rep.done, 1) * 1000
    return (
        f"  {label:<34} {rep.done:5d} runs {rep.seconds:8.1f} s {per_min:8.1f} runs/min"
        f"   run {run_ms:7.1f} ms, overhead {overhead:7.1f} ms/run"
    )


def memory_line(rep: BatchReport) -> list[str]:
    """Resident memory of each worker at its 50th run and at its last run."""
    by_worker: dict[int, list[int]] = {}
    for pid, rss in rep.memory:
        by_worker.setdefault(pid, []).append(rss)
    out = []
    for pid, rss in sorted(by_worker.items()):
        early = rss[min(49, len(rss) - 1)]
        out.append(
            f"  worker {pid}: {len(rss)} runs, RSS at run 50 {early / 2**20:7.1f} MiB, "
            f"at last run {rss[-1] / 2**20:7.1f} MiB, max {max(rss) / 2**20:7.1f} MiB "
            f"(growth {(rss[-1] - early) / 2**20:+.1f} MiB)"
        )
    return out


def dask_cluster(workers: int):
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return cluster, Client(cluster)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40, help="runs per throughput figure")
    ap.add_argument("--full-runs", type=int, default=1000, help="size of the big batch")
    ap.add_argument("--years", type=int, default=10)
    args = ap.parse_args()
    sc, label = scenario()
    print(
        f"scenario: {label}, {args.years} years; cores: {os.cpu_count()}; "
        "shared machine, figures are noisy"
    )

    print("\nthroughput")
    execute(
        specs(sc, 2, args.years), tempfile.mkdtemp(prefix="bench_warm_"), workers=2, progress=False
    )  # start the process server once, as one CLI call would
    print(
        line("1 worker (serial, in-process)", timed(specs(sc, args.runs, args.years), workers=1), 1)
    )
    print(line("2 local worker processes", timed(specs(sc, args.runs, args.years), workers=2), 2))
    cluster, client = dask_cluster(2)
    try:
        timed(specs(sc, 4, args.years), scheduler=client)  # warm the workers' imports
        print(
            line(
                "Dask LocalCluster, 2 workers",
                timed(specs(sc, args.runs, args.years), scheduler=client),
                2,
            )
        )
        print("\nDask overhead on tiny runs (1-year toy town, where overhead dominates)")
        toy = load_batch(TOY_BATCH).entries[0].scenario
        tiny = specs(toy, 200, 1)
        for size in (1, None):
            rep = timed(tiny, scheduler=client, chunk_size=size)
            print(line(f"chunk {size or 'auto'}", rep, 2))
    finally:
        client.close()
        cluster.close()

    if args.full_runs:
        print(f"\n{args.full_runs} replications at 2 workers (target: under 2 minutes)")
        with tempfile.TemporaryDirectory(prefix="bench_batch_") as out:
            rep = execute(
                specs(sc, args.full_runs, args.years), Path(out) / "r", workers=2, progress=False
            )
            print(line("2 local worker processes", rep, 2))
            print("\n".join(memory_line(rep)))
            start = time.perf_counter()
            res = open_results(Path(out) / "r")
            mid = time.perf_counter()
            weekly = res.weekly
            end = time.perf_counter()
            print(
                f"  open_results: summary ({len(res.summary)} rows) {mid - start:.1f} s, "
                f"weekly ({len(weekly):,} rows) {end - mid:.1f} s"
            )


if __name__ == "__main__":
    main()
