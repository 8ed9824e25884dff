r"""Speed of ``homesim plan``: a Randers plan over 4 variables.

    .venv/bin/python benchmarks/bench_plan.py                         # 200 x 20, 2 workers
    .venv/bin/python benchmarks/bench_plan.py --trials 4 --replications 4 \
        --confirm 2 4 4 --workers 1                                    # a sample, to extrapolate

The plan is ``scenarios/plans/randers_halve_long_term.yaml`` with its search set to
``--trials`` candidates x ``--replications`` replications and, with ``--confirm N R M``,
its confirmation stage to N candidates, R replications and at most M (the target: 200 x 20
plus the plan's own confirmation stage in at most 20 minutes on 2 cores).

Printed: wall time in all, runs made, runs a minute; the answer; peak memory of the main
process; and the time the target plan would take at the runs a minute measured (scaled to
2 workers), for its runs: the base and 200 candidates at 20 replications, the
confirmation's 5 candidates at 40 to 120, as the plan file sets them. The workers run in
processes started by multiprocessing's fork server, not children of this process, so
their CPU time is not counted: the figure is wall time, which needs an idle machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import tempfile
import time
from pathlib import Path

from homesim.plan.optimise import run_plan
from homesim.plan.spec import load_plan

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "scenarios" / "plans" / "randers_halve_long_term.yaml"
TARGET_SECONDS = 20 * 60
TARGET_CORES = 2


def cpu_seconds() -> float:
    """User and system CPU seconds of this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def target_runs(spec) -> tuple[int, int]:
    """Return the fewest and most runs of the target plan.

    200 x 20 and the base, then the plan file's confirmation stage (its candidates from
    ``replications`` up to ``max_replications``; the base runs as far as the most
    replicated candidate).
    """
    c = spec.confirm
    search = 200 * 20
    low = search + c.candidates * (c.replications - 20) + max(20, c.replications)
    high = search + c.candidates * (c.max_replications - 20) + max(20, c.max_replications)
    return low, high


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--confirm",
        type=int,
        nargs=3,
        metavar=("N", "R", "M"),
        help="confirmation stage: N candidates, R replications, at most M",
    )
    args = ap.parse_args()
    spec = full = load_plan(PLAN)
    spec = dataclasses.replace(
        spec,
        search=dataclasses.replace(spec.search, trials=args.trials, replications=args.replications),
    )
    if args.confirm:
        n, r, m = args.confirm
        spec = dataclasses.replace(
            spec,
            confirm=dataclasses.replace(
                spec.confirm, candidates=n, replications=r, max_replications=m
            ),
        )
    with tempfile.TemporaryDirectory() as tmp:
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        result = run_plan(spec, Path(tmp), workers=args.workers)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    runs = result.runs_made
    print(
        f"plan {spec.name}: {args.trials} candidates x {args.replications} replications, "
        f"{args.workers} workers"
    )
    print(
        f"  {len(result.search)} distinct candidates, {runs} runs, "
        f"{wall:.1f} s in all ({runs / wall * 60:.1f} runs a minute)"
    )
    print(f"  CPU of this process (the workers' is not counted): {cpu:.1f} s")
    print(
        f"  answer: {'feasible' if result.feasible else 'infeasible'}, "
        f"PCS >= {result.selection.pcs:.2f}, "
        f"{result.chosen_evaluation().replications} replications of the chosen plan"
    )
    print(f"  peak memory of the main process: {peak:.0f} MB")
    low, high = target_runs(full)
    per_minute = runs / wall * 60 * TARGET_CORES / args.workers
    a, b = (n / per_minute for n in (low, high))
    verdict = "meets" if b * 60 <= TARGET_SECONDS else "misses"
    print(
        f"  the 200 x 20 plan: {low}-{high} runs if every candidate is distinct; at "
        f"{per_minute:.0f} runs a minute on {TARGET_CORES} workers, {a:.0f}-{b:.0f} "
        f"minutes: {verdict} the {TARGET_SECONDS / 60:.0f}-minute target (wall time: "
        f"run it on an otherwise idle machine)"
    )


if __name__ == "__main__":
    main()
