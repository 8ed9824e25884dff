"""Reproduce the result figures quoted in the README (about 5 minutes on 2 cores).

    .venv/bin/python scripts/readme_figures.py [--workers 2] [--out results/readme]

Prints, in the README's order:

1. Housing First against the staircase (40 replications): incremental cost, homeless
   days avoided, long-term homeless and housed at the end, savings by payer; and
   writes its report to OUT/hf_vs_staircase (the README's figure is its cost_stock.png);
2. Housing First against the baseline (20 replications);
3. CTI alone against the baseline over two years (40 replications): net cost per CTI
   citizen, against the published gain;
4. the Randers baseline against Randers' counts (10 replications);
5. programme outcomes of the Housing First scenario (6 replications) and the share
   housed under the staircase;
6. how well the calibrated Randers and Denmark scenarios fit their targets;
7. the Randers out-of-sample check: fit to 2015 alone, predict 2017 and 2019.

Every figure comes from fixed seeds, so a rerun prints the same numbers.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim import calibration
from sim.scenario.loader import value_at

ROOT = Path(__file__).resolve().parents[1]
SCEN = ROOT / "scenarios"


def measure(cmp: sim.Comparison, name: str) -> pd.Series:
    """One row of a comparison's incremental table, by measure name."""
    t = cmp.table
    return t[t.measure == name].iloc[0]


def headline(cmp: sim.Comparison) -> tuple[str, float]:
    """Incremental cost and homeless days avoided (discounted) with 95% intervals, and
    the cost per day avoided."""
    cost = measure(cmp, "incremental_cost_total_discounted")
    days = measure(cmp, "homeless_days_avoided_discounted")
    text = (f"cost {cost['mean'] / 1e6:.1f} M (95% {cost['low'] / 1e6:.1f} to "
            f"{cost['high'] / 1e6:.1f}); homeless days avoided {days['mean']:,.0f} "
            f"({days['low']:,.0f} to {days['high']:,.0f})")
    return text, cost["mean"] / days["mean"]


def hf_vs_staircase(workers: int, out: Path) -> None:
    cmp = sim.compare(SCEN / "randers_staircase.yaml", [SCEN / "randers_housing_first.yaml"],
                      replications=40, seed=0, workers=workers)
    cmp.report(out / "hf_vs_staircase")
    print("1. Housing First vs staircase, 40 replications (discounted):")
    print(f"   {headline(cmp)[0]}")
    chronic = measure(cmp, "chronic_homeless_avoided")["mean"]
    housed = measure(cmp, "people_housed_gained")["mean"]
    print(f"   long-term homeless at the end {chronic:.0f} fewer, {housed:.0f} more housed")
    payers = {p: measure(cmp, f"incremental_cost_{p}_discounted")["mean"] / 1e6
              for p in ("municipality", "region", "state")}
    print("   by payer (M): " + ", ".join(f"{p} {v:.1f}" for p, v in payers.items()))
    print(f"   verdict: {cmp.verdicts.iloc[0]['words']}")


def hf_vs_baseline(workers: int) -> None:
    cmp = sim.compare(SCEN / "randers_baseline.yaml", [SCEN / "randers_housing_first.yaml"],
                      replications=20, seed=0, workers=workers)
    text, per_day = headline(cmp)
    print("2. Housing First vs baseline, 20 replications (discounted):")
    print(f"   {text}; DKK {per_day:.0f} per day")


def cti_against_published(workers: int) -> None:
    base = sim.load_scenario(SCEN / "randers_baseline.yaml")
    cmp = sim.compare(base, [SCEN / "randers_cti_only.yaml"], replications=40, seed=0,
                      years=2, workers=workers)
    diffs = cmp.differences.set_index("replication")["cost_total"]
    runs = cmp.runs[cmp.runs.scenario == "randers_cti_only"].set_index("replication")
    cost, starts = diffs.to_numpy(), runs.loc[diffs.index, "support_starts_cti"].to_numpy()
    # net cost per CTI citizen: total incremental cost over all CTI starts, with a
    # bootstrap interval over replications (pairs of cost and starts resampled together)
    rng = np.random.default_rng(0)
    pick = rng.integers(0, cost.size, size=(4000, cost.size))
    boot = cost[pick].sum(axis=1) / starts[pick].sum(axis=1)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    print("3. CTI alone vs baseline, 2 years, 40 replications (undiscounted):")
    print(f"   net cost per CTI citizen DKK {cost.sum() / starts.sum():,.0f} (95% bootstrap "
          f"interval {lo:,.0f} to {hi:,.0f}; {starts.mean():.0f} CTI citizens a run); "
          f"published: a gain of about 106,000 (2012 prices)")


def baseline_counts() -> None:
    res = sim.run_replications(SCEN / "randers_baseline.yaml", replications=10, seed=0)
    s = res.summary
    print("4. Randers baseline, 10 replications, mean [2.5%, 97.5%]:")
    for col, observed in (("pit_2015", 117), ("pit_2017", 86), ("pit_2019", 72),
                          ("shelter_users_2017", 157)):
        lo, hi = np.quantile(s[col], [0.025, 0.975])
        print(f"   {col:<20} {s[col].mean():6.0f} [{lo:.0f}, {hi:.0f}]  observed {observed}")


def programme_outcomes() -> None:
    print("5. Programme outcomes, 6 replications (mean share over runs, cohort per run):")
    for name in ("randers_housing_first", "randers_staircase"):
        s = sim.run_replications(SCEN / f"{name}.yaml", replications=6, seed=2024).summary
        for col in ("cti_housed_at_end", "icm_kept_home_12m", "act_kept_home_12m",
                    "programme_kept_home_12m", "act_housed_by_end"):
            share = s[col].mean()
            print(f"   {name:<22} {col:<25} {share:6.0%}  (n {s[f'{col}_n'].mean():.0f})")


def calibrated_fits() -> None:
    print("6. Calibrated scenarios against their targets (4 replications, seed 0):")
    for name, targets in (
        ("randers_calibrated", "randers_flows"),
        ("denmark_calibrated", "denmark_flows"),
        ("fredericia_calibrated", "fredericia_flows"),
    ):
        loaded = sim.load_scenario(SCEN / f"{name}.yaml")
        tg = calibration.load_targets(SCEN / "targets" / f"{targets}.yaml")
        used, _ = calibration.usable_targets(loaded, tg)
        obj = calibration.Objective(loaded, used, tg.free)
        z = [p.position(value_at(loaded.raw, p.path)) for p in tg.free]
        table = calibration.fit_table(obj, z)
        print(f"   {name}: distance {obj(z):.1f} over {len(used)} targets, "
              f"largest |z| {table['z'].abs().max():.2f}")


def out_of_sample() -> None:
    loaded = sim.load_scenario(SCEN / "randers_baseline.yaml")
    tg = calibration.load_targets(SCEN / "targets" / "randers.yaml")
    fit_on = [t.name for t in tg.targets if t.year == 2015]
    fit, table = calibration.out_of_sample(loaded, tg, fit_on, method="optimize", budget=30,
                                           replications=3, seed=0)
    print(f"7. Out of sample: fit to {', '.join(fit_on)} ({fit.evaluations} evaluations, "
          f"{fit.seconds:.0f} s); predicted (mean of 3 runs):")
    for row in table.itertuples():
        print(f"   {row.target:<20} observed {row.observed:6.0f}  predicted {row.mean:6.0f}  "
              f"z {row.z:5.1f}")
    print("   fitted: " + ", ".join(f"{k} {v:.3g}" for k, v in fit.values.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "readme")
    args = ap.parse_args()
    hf_vs_staircase(args.workers, args.out)
    shutil.copyfile(args.out / "hf_vs_staircase" / "cost_stock.png",
                    args.out / "cost_stock.png")
    hf_vs_baseline(args.workers)
    cti_against_published(args.workers)
    baseline_counts()
    programme_outcomes()
    calibrated_fits()
    out_of_sample()
    print(f"figure: {args.out / 'cost_stock.png'} (the README's docs/figures/cost_stock.png)")


if __name__ == "__main__":
    main()
