"""Speed of ``homesim plan``: a Randers plan over 4 variables.

    .venv/bin/python benchmarks/bench_plan.py                         # 200 x 20, 2 workers
    .venv/bin/python benchmarks/bench_plan.py --trials 16 --replications 4   # a quick check

The plan is ``scenarios/plans/randers_halve_long_term.yaml`` with its search set to
``--trials`` candidates x ``--replications`` replications (the target: 200 x 20 plus the
confirmation stage in at most 20 minutes on 2 cores). Printed: wall time in all, runs
made, runs a minute, the answer, peak memory of the main process.
Timings on a shared machine are noisy: run it when the machine is otherwise idle.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import tempfile
import time
from pathlib import Path

from sim.plan.optimise import run_plan
from sim.plan.spec import load_plan

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "scenarios" / "plans" / "randers_halve_long_term.yaml"
TARGET_SECONDS = 20 * 60


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--replications", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    spec = load_plan(PLAN)
    spec = dataclasses.replace(
        spec,
        search=dataclasses.replace(spec.search, trials=args.trials, replications=args.replications),
    )
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = run_plan(spec, Path(tmp), workers=args.workers)
        wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"plan {spec.name}: {args.trials} candidates x {args.replications} replications, "
        f"{args.workers} workers"
    )
    print(
        f"  {len(result.search)} distinct candidates, {result.runs_made} runs, "
        f"{wall:.1f} s in all ({result.runs_made / wall * 60:.0f} runs a minute)"
    )
    print(
        f"  answer: {'feasible' if result.feasible else 'infeasible'}, "
        f"PCS >= {result.selection.pcs:.2f}, "
        f"{result.chosen_evaluation().replications} replications of the chosen plan"
    )
    print(f"  peak memory of the main process: {peak:.0f} MB")
    verdict = "meets" if wall <= TARGET_SECONDS else "misses"
    print(
        f"  target: at most {TARGET_SECONDS / 60:.0f} minutes for 200 x 20: {verdict} it"
        + ("" if (args.trials, args.replications) == (200, 20) else " (not the target size)")
    )


if __name__ == "__main__":
    main()
