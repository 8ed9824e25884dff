"""``homesim batch BATCH.yaml``: many scenarios, sweep points and replications.

Runs locally in worker processes (one per core by default), serially with
``--workers 1``, or on a Dask cluster with ``--scheduler tcp://host:port``; the
results are the same bit for bit. Each finished run is written at once, so running
the same command again after a stop or crash does only the runs that are missing.
Exit codes: 0 all runs done, 1 some runs failed (see DIR/failed/), 2 bad input.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from sim.batch.engine import BatchReport, execute
from sim.batch.spec import Batch, load_batch
from sim.batch.store import slug
from sim.commands import arguments
from sim.scenario.errors import ScenarioError

EXIT_FAILED_RUNS = 1
#: How many failed runs the summary at the end lists.
SHOW_FAILURES = 5


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch", help="run a batch of scenarios, sweeps and replications",
        description="Run every scenario, sweep point and replication of a batch file into "
                    "a results folder (DIR/runs/..., DIR/manifest.json). Re-running resumes.")
    p.add_argument("batch", metavar="BATCH.yaml")
    p.add_argument("--workers", "-w", type=arguments.workers, default=None, metavar="N",
                   help="local worker processes (default: one per core; 1 runs serially)")
    p.add_argument("--scheduler", type=arguments.scheduler, metavar="ADDRESS", default=None,
                   help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--out", type=arguments.out_path, default=None, metavar="DIR",
                   help="results folder (default results/<batch name>)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar (for logs); one line at the end")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise ScenarioError("--workers must be at least 1")
    batch = load_batch(args.batch)  # validated before anything is written
    out = args.out or Path("results") / slug(batch.name)
    for p in batch.points:
        if p.error:
            print(f"homesim: warning: point {p.index} of '{p.scenario}' "
                  f"({_overrides(p.overrides)}): {p.error}; its runs will be recorded as "
                  "failed", file=sys.stderr)
    command = "homesim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    try:
        report = execute(batch.runs(), out, workers=args.workers, scheduler=args.scheduler,
                         progress=not args.quiet, weekly=batch.weekly,
                         manifest=batch.manifest(command), desc=batch.name)
    except ImportError as exc:
        raise ScenarioError(f"--scheduler needs dask[distributed] installed ({exc})") from None
    except OSError as exc:
        if args.scheduler is None:
            raise
        raise ScenarioError(f"cannot reach the Dask scheduler at {args.scheduler}: {exc}"
                            ) from None
    print(_report(batch, report))
    return EXIT_FAILED_RUNS if report.failed else 0


def _overrides(overrides: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in overrides.items())


def _report(batch: Batch, report: BatchReport) -> str:
    rate = report.done / report.seconds * 60 if report.seconds > 0 and report.done else 0.0
    lines = [f"{batch.name}: {report.total} runs; {report.done} done now, "
             f"{report.skipped} already done, {len(report.failed)} failed "
             f"({report.seconds:.1f} s, {rate:.0f} runs/min); results in {report.out_dir}/"]
    refused = {p.index: p.error for p in batch.points if p.error}
    for out in report.failed[:SHOW_FAILURES]:
        name, point, rep = out.spec.key
        err = out.error or {}
        why = refused.get(point) or f"{err.get('type')}: {err.get('message')}"
        lines.append(f"  failed: {name} point {point} replication {rep}: {why}")
    if len(report.failed) > SHOW_FAILURES:
        lines.append(f"  ... and {len(report.failed) - SHOW_FAILURES} more")
    if report.failed:
        lines.append(f"  details in {report.out_dir / 'failed'}/; running the same command "
                     "again retries the failed and missing runs")
    return "\n".join(lines)
