"""``homesim batch BATCH.yaml``: many scenarios, sweep points and replications.

Runs locally in worker processes (one per core by default), serially with
``--workers 1``, or on a Dask cluster with ``--scheduler tcp://host:port``; the
results are the same bit for bit. Each finished run is written at once, so running
the same command again after a stop or crash does only the runs that are missing.
Exit codes: 0 all runs done, 1 some runs failed (see DIR/failed/), 2 bad input (or
the folder is in use or holds other results), 130 / 143 stopped by SIGINT / SIGTERM
(finished runs kept; the same command resumes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.batch.engine import BatchReport, execute
from sim.batch.shutdown import orderly
from sim.batch.spec import Batch, load_batch
from sim.batch.store import slug
from sim.commands.arguments import command_line
from sim.commands.engine_options import add_engine_options, engine_workers
from sim.folders import check_out_path, out_argument
from sim.scenario.errors import ScenarioError

EXIT_FAILED_RUNS = 1
#: How many failed runs the summary at the end lists.
SHOW_FAILURES = 5


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="run a batch of scenarios, sweeps and replications",
        description="Run every scenario, sweep point and replication of a batch file into "
        "a results folder (DIR/runs/..., DIR/manifest.json). Re-running resumes.",
    )
    p.add_argument("batch", metavar="BATCH.yaml")
    p.add_argument(
        "--out",
        type=out_argument,
        default=None,
        metavar="DIR",
        help="results folder (default results/<batch name>)",
    )
    add_engine_options(p, workers=None)
    p.set_defaults(func=orderly(run))


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise ScenarioError("--workers must be at least 1")
    batch = load_batch(args.batch)  # validated before anything is written
    out = check_out_path(Path("results") / slug(batch.name) if args.out is None else args.out)
    workers = engine_workers(
        args,
        [e.scenario for e in batch.entries],
        len(batch.points) * batch.replications,
        batch.years,
        runs_flag=f"replications in {args.batch}",
    )
    runs = batch.runs()
    for p in batch.points:
        if p.error:
            print(
                f"homesim: warning: point {p.index} of '{p.scenario}' "
                f"({_overrides(p.overrides)}): {p.error}; its runs will be recorded as "
                "failed",
                file=sys.stderr,
            )
    command = command_line()
    report = execute(
        runs,
        out,
        workers=workers,
        scheduler=args.scheduler,
        progress=not args.quiet,
        weekly=batch.weekly,
        manifest=batch.manifest(command),
        desc=batch.name,
        force=args.force,
    )
    print(_report(batch, report))
    return EXIT_FAILED_RUNS if report.failed else 0


def _overrides(overrides: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in overrides.items())


def _report(batch: Batch, report: BatchReport) -> str:
    rate = report.done / report.seconds * 60 if report.seconds > 0 and report.done else 0.0
    lines = [
        f"{batch.name}: {report.total} runs; {report.done} done now, "
        f"{report.skipped} already done, {len(report.failed)} failed "
        f"({report.seconds:.1f} s, {rate:.0f} runs/min); results in {report.out_dir}/"
    ]
    refused = {p.index: p.error for p in batch.points if p.error}
    for out in report.failed[:SHOW_FAILURES]:
        name, point, rep = out.spec.key
        err = out.error or {}
        why = refused.get(point) or f"{err.get('type')}: {err.get('message')}"
        lines.append(f"  failed: {name} point {point} replication {rep}: {why}")
    if len(report.failed) > SHOW_FAILURES:
        lines.append(f"  ... and {len(report.failed) - SHOW_FAILURES} more")
    if report.failed:
        lines.append(
            f"  details in {report.out_dir / 'failed'}/; running the same command "
            "again retries the failed and missing runs"
        )
    return "\n".join(lines)
