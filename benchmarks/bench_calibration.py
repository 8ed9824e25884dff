"""Speed and fit of ``homesim calibrate`` on the Randers baseline.

    .venv/bin/python benchmarks/bench_calibration.py                # budget 60, R 4
    .venv/bin/python benchmarks/bench_calibration.py --budget 20 --replications 2
    .venv/bin/python benchmarks/bench_calibration.py --scenario scenarios/denmark_baseline.yaml \
        --targets scenarios/targets/denmark.yaml --budget 24 --replications 1

Fits the free parameters of scenarios/targets/randers.yaml (six) by the ``optimize``
method and prints: seconds per evaluation (R runs), total wall time, the distance at
the start values and at the fit, and the fit statistics. Target: up to 6 parameters
for Randers in under 600 s. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from homesim.calibration import Objective, calibrate, load_targets, usable_targets
from homesim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 600.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "randers_baseline.yaml"))
    ap.add_argument("--targets", default=str(ROOT / "scenarios" / "targets" / "randers.yaml"))
    ap.add_argument("--budget", type=int, default=60)
    ap.add_argument("--replications", type=int, default=4)
    ap.add_argument("--method", default="optimize", choices=("optimize", "abc"))
    args = ap.parse_args()
    sc = load_scenario(args.scenario)
    targets = load_targets(args.targets)
    used, _ = usable_targets(sc, targets)
    obj = Objective(sc, used, targets.free, args.replications)
    t0 = time.perf_counter()
    start_d = obj(np.clip([_position(sc, p) for p in targets.free], 0, 1))
    per_eval = time.perf_counter() - t0
    print(
        f"{sc.name}: {len(targets.free)} free parameters, {len(used)} targets; "
        f"{per_eval:.2f} s per evaluation ({args.replications} runs); distance at the "
        f"scenario's values {start_d:.3g}"
    )
    t0 = time.perf_counter()
    fit = calibrate(
        sc, targets, args.method, args.replications, budget=args.budget, draws=args.budget
    )
    wall = time.perf_counter() - t0
    s = fit.statistics()
    print(
        f"{args.method}: {fit.evaluations} evaluations in {wall:.0f} s; distance "
        f"{fit.distance:.3g}; rmse z {s['rmse_z']:.2f}; mean abs relative error "
        f"{s['mean_abs_rel_error']:.1%}; observed inside 95% of runs "
        f"{s['observed_inside_95_interval']:.0%}"
    )
    for k, v in fit.values.items():
        print(f"  {k} = {v:.4g}")
    if (
        len(targets.free) <= 6
        and "randers" in sc.name
        and args.budget >= 60
        and args.replications >= 4
    ):
        print(
            f"  target {TARGET_SECONDS:.0f} s: {'meets' if wall < TARGET_SECONDS else 'misses'} it"
        )


def _position(sc, p) -> float:
    node = sc.raw
    for key in p.path.split("."):
        node = node[key]
    x = node["value"] if isinstance(node, dict) else node
    return p.position(float(x))


if __name__ == "__main__":
    main()
