"""Speed of ``homesim compare``: 3 scenarios x N replications on 2 worker processes.

    .venv/bin/python benchmarks/bench_compare.py                   # 3 x 200, 2 workers
    .venv/bin/python benchmarks/bench_compare.py --replications 20 --workers 1

The scenarios are the Randers baseline, Housing First and staircase files when they
exist (else a substitute town built in this script, and the output says so). If the
baseline carries no unit costs, the costs of scenarios/costs_denmark.yaml are merged
in, as a baseline that extends it would have them. Figures printed:

1. wall time of the whole comparison (runs, incremental analysis, figures, report),
   split into runs and report;
2. runs per second, and CPU seconds per run measured serially on a few runs (the
   floor that parallel workers divide);
3. the target: under 120 s for 3 x 200 on 2 cores.

Timings on a shared machine are noisy: run it when the machine is otherwise idle.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from homesim.compare import compare
from homesim.scenario.loader import deep_merge, load_scenario, read_yaml, resolve_extends
from serial_cost import cpu_per_run

ROOT = Path(__file__).resolve().parents[1]
SCEN = ROOT / "scenarios"
NAMES = ("randers_baseline", "randers_housing_first", "randers_staircase")
TARGET_SECONDS = 120.0


def scenarios() -> tuple[list[dict], str]:
    """Raw scenario mappings for the benchmark, and a note of what they are."""
    costs = read_yaml(SCEN / "costs_denmark.yaml")["costs"]
    if all((SCEN / f"{n}.yaml").exists() for n in NAMES):
        raws = [resolve_extends(SCEN / f"{n}.yaml") for n in NAMES]
        note = "scenarios: " + ", ".join(f"scenarios/{n}.yaml" for n in NAMES)
    else:
        raws = [
            substitute(p, name)
            for p, name in ((0.02, "town_base"), (0.03, "town_faster_exit"), (0.025, "town_middle"))
        ]
        note = "SUBSTITUTE scenarios (Randers files not found): a 3,000-person toy town"
    priced = [r for r in raws if (r.get("costs") or {}).get("situations")]
    if not priced:
        raws = [deep_merge({"costs": costs}, r) for r in raws]
        note += "; unit costs merged in from scenarios/costs_denmark.yaml"
    return raws, note


def substitute(p_exit: float, name: str) -> dict:
    """A town of about 3,000 with entries, used only if the Randers files are missing."""
    return {
        "name": name,
        "setting": {"years": 10},
        "initial": {
            "counts": {"own": 2500, "at_risk": 300, "shelter": 60, "rough": 15, "friends": 40}
        },
        "entries": {
            "per_week": 3.0,
            "routes": {"moving_in": {"share": 1.0, "to": {"at_risk": 1.0}}},
        },
        "exits": {"move_away_per_year": 0.05},
        "transitions": {
            g: {
                "own": {"at_risk": 0.002},
                "at_risk": {"own": 0.02, "shelter": 0.004},
                "shelter": {"own": p_exit, "friends": 0.01},
                "friends": {"own": 0.02, "shelter": 0.01},
                "rough": {"shelter": 0.05},
            }
            for g in ("low", "medium", "high")
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--serial-runs",
        type=int,
        default=5,
        help="runs per scenario timed serially for CPU seconds per run",
    )
    args = ap.parse_args()
    raws, note = scenarios()
    print(note)
    loaded = [load_scenario(r) for r in raws]
    cpu = cpu_per_run(loaded, args.serial_runs, indent="  ")
    n_runs = len(loaded) * args.replications
    t0 = time.perf_counter()
    cmp = compare(
        loaded[0], loaded[1:], replications=args.replications, seed=0, workers=args.workers
    )
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        cmp.report(Path(tmp) / "out")
    t2 = time.perf_counter()
    total = t2 - t0
    print(
        f"compare {len(loaded)} scenarios x {args.replications} replications "
        f"({n_runs} runs) on {args.workers} workers:"
    )
    print(
        f"  runs and tables {t1 - t0:.1f} s, report and figures {t2 - t1:.1f} s, "
        f"total {total:.1f} s ({n_runs / (t1 - t0):.1f} runs/s)"
    )
    print(
        f"  serial floor: {sum(cpu) * args.replications / args.workers:.1f} s "
        f"(CPU s per run x runs / workers)"
    )
    if args.replications == 200 and args.workers == 2:
        verdict = "meets" if total < TARGET_SECONDS else "misses"
        print(f"  target {TARGET_SECONDS:.0f} s: {verdict} it")
    for v in cmp.verdicts.itertuples():
        print(f"  {v.alternative} vs {v.base}: {v.words}")


if __name__ == "__main__":
    main()
