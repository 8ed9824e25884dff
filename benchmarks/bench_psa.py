"""Speed of ``homesim psa``: 2 Randers scenarios x N parameter draws on 2 workers.

    .venv/bin/python benchmarks/bench_psa.py                       # 500 draws, 2 workers
    .venv/bin/python benchmarks/bench_psa.py --draws 40 --workers 2

The scenarios are scenarios/randers_baseline.yaml and randers_housing_first.yaml, with
the unit costs of scenarios/costs_denmark.yaml merged in if they carry none. The
shipped scenarios give ranges (low/high) but few distributions, so this script gives
distributions to a set of influential parameters (listed in the output): beta on
probabilities and shares (mean as written, 200 pseudo-observations), gamma on rates
and prices (mean as written, coefficient of variation 20%). Figures printed:

1. CPU seconds per run of each scenario (serial, a few runs);
2. wall time of the PSA (draws, runs, CEAC/EVPI) and runs per second;
3. the target: 500 draws x 2 scenarios in under 300 s on 2 cores (when run at 500).

Timings on a shared machine are noisy: run it when the machine is otherwise idle.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from homesim.psa import curves, incremental, run_psa, summary_table
from homesim.scenario.loader import deep_merge, load_scenario, read_yaml, resolve_extends
from serial_cost import cpu_per_run

ROOT = Path(__file__).resolve().parents[1]
SCEN = ROOT / "scenarios"
NAMES = ("randers_baseline", "randers_housing_first")
TARGET_SECONDS = 300.0
BETA = (
    "transitions.high.shelter.own",
    "transitions.medium.shelter.own",
    "transitions.low.shelter.own",
    "transitions.high.friends.own",
    "transitions.low.at_risk.shelter",
    "housing.self_found_share",
)
GAMMA = (
    "entries.per_week",
    "rehousing.multiplier",
    "housing.assignments_per_week",
    "costs.situations.shelter.price",
    "costs.situations.night_shelter.price",
    "costs.situations.rough.price",
)


def _leaf(raw: dict, path: str) -> tuple[dict, str] | None:
    node = raw
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return None
    return (node, keys[-1]) if keys[-1] in node else None


def add_distributions(raw: dict) -> list[str]:
    """Give the BETA and GAMMA parameters distributions centred on their values."""
    done = []
    for path in (*BETA, *GAMMA):
        hit = _leaf(raw, path)
        if hit is None:
            continue
        node, key = hit
        leaf = node[key] if isinstance(node[key], dict) else {"value": node[key]}
        if isinstance(leaf.get("value"), dict):  # a price: {price: ..., payers: ...}
            continue
        if "value" not in leaf and "price" in leaf:
            node, key = leaf, "price"
            leaf = node[key] if isinstance(node[key], dict) else {"value": node[key]}
        m = float(leaf["value"])
        if m <= 0:
            continue
        # beta: 200 pseudo-observations; gamma: shape 25, i.e. cv 20%
        dist = {"beta": [m * 200, (1 - m) * 200]} if path in BETA else {"gamma": [25.0, m / 25]}
        node[key] = {**leaf, "dist": dist}
        node[key].pop("low", None)
        node[key].pop("high", None)
        done.append(f"{path}: {dist}")
    return done


def scenarios() -> tuple[list, list[str]]:
    costs = read_yaml(SCEN / "costs_denmark.yaml")["costs"]
    raws = [resolve_extends(SCEN / f"{n}.yaml") for n in NAMES]
    if not (raws[0].get("costs") or {}).get("situations"):
        raws = [deep_merge({"costs": costs}, r) for r in raws]
    notes = []
    for r in raws:
        notes = add_distributions(r)
    return [load_scenario(r) for r in raws], notes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--replications", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--serial-runs", type=int, default=3)
    args = ap.parse_args()
    loaded, notes = scenarios()
    print("distributions added:\n  " + "\n  ".join(notes))
    cpu = cpu_per_run(loaded, args.serial_runs, indent="")
    t0 = time.perf_counter()
    res = run_psa(loaded, args.draws, args.replications, seed=0, workers=args.workers)
    c, e = res.arrays()
    table = summary_table(incremental(c, e, res.names))
    cur = curves(res, np.linspace(0, 3000, 61))
    wall = time.perf_counter() - t0
    runs = args.draws * len(loaded) * args.replications
    print(
        f"PSA {args.draws} draws x {len(loaded)} scenarios x {args.replications} "
        f"replication(s) = {runs} runs on {args.workers} workers: {wall:.1f} s "
        f"({runs / wall:.2f} runs/s)"
    )
    print(
        f"  serial floor {sum(cpu) * args.draws * args.replications / args.workers:.1f} s;"
        f" projected for 500 draws: {wall * 500 / args.draws:.0f} s"
    )
    if args.draws == 500 and args.workers == 2 and args.replications == 1:
        print(
            f"  target {TARGET_SECONDS:.0f} s: {'meets' if wall < TARGET_SECONDS else 'misses'} it"
        )
    r = table.iloc[0]
    print(
        f"  {r.alternative}: cost {r.d_cost_mean:,.0f} [{r.d_cost_low:,.0f}, "
        f"{r.d_cost_high:,.0f}], homeless days avoided {r.gain_mean:,.0f} "
        f"[{r.gain_low:,.0f}, {r.gain_high:,.0f}]; EVPI per person at WTP 1500: "
        f"{cur.loc[cur['wtp'] == 1500, 'evpi_per_person'].iloc[0]:,.0f} DKK"
    )


if __name__ == "__main__":
    main()
