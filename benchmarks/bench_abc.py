"""Speed of ``homesim calibrate --method abc-smc`` on Randers (6 parameters) and Toronto.

    .venv/bin/python benchmarks/bench_abc.py                       # Randers, then Toronto
    .venv/bin/python benchmarks/bench_abc.py --only randers        # one of them
    .venv/bin/python benchmarks/bench_abc.py --compare             # 1 worker, 2, Dask 1 and 2
    .venv/bin/python benchmarks/bench_abc.py --tiny                # a check that it runs

Randers: the six free parameters of scenarios/targets/randers.yaml (default 100
particles, 2 replications, up to 12 generations, the five years 2015-2019 that the
targets cover). Toronto: scenarios/toronto_small.yaml (Toronto at a tenth of its people,
counts compared per full size) against the 42 yearly targets of
scenarios/targets/toronto_yearly.yaml, 2018 to June 2024 (7 years, eight parameters);
``--toronto-years 5`` fits the 30 targets of 2018-2022 on a five-year horizon instead.
Both use the tempered scheme with ``--moves`` (default 2, as ``homesim calibrate``; 0
for stochastic acceptance). For each fit it prints the wall time,
the parameter sets and simulations run, the seconds per simulation (wall time over
simulations, the predictive runs included), the generations, the temperature reached,
the ESS and why it stopped, and an extrapolation to the default fit: the measured
seconds per simulation times the simulations that fit needs, estimated as the particles
times the replications for generation 0 plus, for each later generation, the mean
parameter sets a generation of the measured fit ran (per particle) times the particles
and replications: a budget-limited measurement stands for a longer fit that way.

``--compare`` runs the same fit with 1 local worker, 2 local workers and a Dask
LocalCluster of 1 and of 2 workers, prints what each adds against 1 local worker, and
checks that all give the same posterior (they must: the sampler's numbers never depend
on the executor). Targets: Randers at most 15 minutes, Toronto at most 30, on 2 cores.
Timings on a shared machine are noisy: say so when you quote them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
from homesim.calibration import load_targets
from homesim.posterior import fit_posterior
from homesim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 15 * 60.0
TORONTO_SECONDS = 30 * 60.0
#: The default fit the extrapolation is for: particles, replications, generations.
FULL = (100, 2, 12)


def fit_once(
    args: argparse.Namespace, workers: int, scheduler: object = None
) -> tuple[float, pd.DataFrame, dict]:
    """One fit in a fresh folder; returns seconds, posterior and statistics."""
    sc = load_scenario(args.scenario)
    targets = load_targets(args.targets)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        fit = fit_posterior(
            sc,
            targets,
            args.particles,
            args.replications,
            args.seed,
            args.years,
            args.generations,
            args.max_runs,
            workers,
            scheduler,
            state_dir=tmp,
            predictive_draws=args.predictive_draws,
            max_seconds=None if args.max_minutes is None else 60 * args.max_minutes,
            moves=args.moves,
        )
        seconds = time.perf_counter() - t0
    stats = fit.statistics()
    stats["rows"] = fit.generations.to_dict("records")
    return seconds, fit.posterior, stats


def report(label: str, seconds: float, stats: dict, args: argparse.Namespace) -> float:
    """Print a fit's time, seconds per simulation and the extrapolated default fit.

    Returns the seconds per simulation.
    """
    sims = stats["runs"] * args.replications + args.predictive_draws  # fit and check
    per_sim = seconds / max(sims, 1)
    target = TORONTO_SECONDS if args.toronto else TARGET_SECONDS
    full = extrapolated_runs(stats, args)
    print(
        f"{label:<24} total {seconds:8.1f} s  {stats['runs']:6d} parameter sets, "
        f"{sims} simulations, {per_sim:6.2f} s per simulation  "
        f"{stats['generations']:3d} generations  temperature {stats['temperature']:.3g}  "
        f"ESS {stats['ess']:.0f}{'  (under target)' if seconds <= target else ''}\n"
        f"{'':<24} stopped: {stats['stopped']}\n"
        f"{'':<24} extrapolated: {full} simulations for {FULL[0]} particles x {FULL[1]} "
        f"replications x {FULL[2]} generations, {full * per_sim / 60:.0f} min at this rate "
        f"(target {target / 60:.0f} min)",
        flush=True,
    )
    for row in stats["rows"]:
        print(
            f"{'':<24} generation {row['generation']:2d}: temperature {row['temperature']:.4g}, "
            f"tolerance {row.get('tolerance', float('nan')):.4g}, runs {row['runs']}, "
            f"accepted {row['acceptance_rate']:.1%}, ESS {row['ess']:.0f}",
            flush=True,
        )
    return per_sim


def extrapolated_runs(stats: dict, args: argparse.Namespace) -> int:
    """Return the runs of the default fit (:data:`FULL`), extrapolated from this fit.

    From the sets a generation of this fit ran per particle (generation 0: one per
    particle; 3 per particle if only generation 0 was run, an assumption).
    """
    particles, reps, gens = FULL
    rows = stats.get("rows") or []
    later = [r["runs"] / args.particles for r in rows if r["generation"] > 0]
    per = sum(later) / len(later) if later else 3.0
    return round(particles * reps * (1 + per * (gens - 1)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("randers", "toronto"), default=None)
    ap.add_argument("--particles", type=int, default=100)
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--generations", type=int, default=12)
    ap.add_argument("--max-runs", type=int, default=None)
    ap.add_argument("--max-minutes", type=float, default=None)
    ap.add_argument("--toronto-years", type=int, default=7, choices=(5, 7))
    ap.add_argument("--predictive-draws", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--moves", type=int, default=2, help="0: stochastic acceptance")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--compare",
        action="store_true",
        help="1 worker, 2 workers and a Dask LocalCluster of 1 and 2 workers",
    )
    ap.add_argument(
        "--tiny",
        action="store_true",
        help="a tiny setting (10 particles, 2 generations, 1 year) to check it runs",
    )
    args = ap.parse_args()
    for case in ("randers", "toronto") if args.only is None else (args.only,):
        run_case(_case_args(args, case))


def _case_args(args: argparse.Namespace, case: str) -> argparse.Namespace:
    """The settings of one case (Randers or Toronto) from the command line."""
    a = argparse.Namespace(**vars(args))
    a.toronto = case == "toronto"
    if a.toronto:
        a.scenario = str(ROOT / "scenarios" / "toronto_small.yaml")
        name = "toronto_yearly.yaml" if args.toronto_years == 7 else "toronto_2018_2022_yearly.yaml"
        a.targets = str(ROOT / "scenarios" / "targets" / name)
        a.years = args.toronto_years
    else:
        a.scenario = str(ROOT / "scenarios" / "randers_baseline.yaml")
        a.targets = str(ROOT / "scenarios" / "targets" / "randers.yaml")
        a.years = 5
    if a.tiny:
        a.particles, a.generations, a.years = 10, 2, 1
        a.replications, a.predictive_draws = 1, 4
        a.targets = str(_tiny_targets(a.targets))
    return a


def run_case(args: argparse.Namespace) -> None:
    """One case: a fit with ``--workers``, or the four executors of ``--compare``."""
    print(f"== {'Toronto (toronto_small)' if args.toronto else 'Randers'}", flush=True)
    if not args.compare:
        seconds, _, stats = fit_once(args, args.workers)
        report(f"{args.workers} worker(s)", seconds, stats, args)
        return
    results, base = [], None
    for label, workers, cluster in (
        ("1 worker", 1, 0),
        ("2 local workers", 2, 0),
        ("Dask LocalCluster, 1", 1, 1),
        ("Dask LocalCluster, 2", 1, 2),
    ):
        if cluster:
            from dask.distributed import Client, LocalCluster

            with (
                LocalCluster(
                    n_workers=cluster, threads_per_worker=1, processes=True, dashboard_address=None
                ) as lc,
                Client(lc) as client,
            ):
                seconds, post, stats = fit_once(args, workers, client)
        else:
            seconds, post, stats = fit_once(args, workers)
        report(label, seconds, stats, args)
        base = seconds if base is None else base
        print(f"{'':<24} speed-up against 1 local worker: {base / seconds:.2f}x", flush=True)
        results.append(post)
    same = all(r.equals(results[0]) for r in results[1:])
    print(f"same posterior on every executor: {same}")
    if not same:
        raise SystemExit(1)


def _tiny_targets(path: str) -> Path:
    """The targets of the first year (its year or its months), for ``--tiny`` (one year)."""
    import yaml

    data = yaml.safe_load(Path(path).read_text())

    def year(t: dict) -> int:
        return int(t["year"]) if "year" in t else int(str(t["month"])[:4])

    first = min(year(t) for t in data["targets"] if "year" in t or "month" in t)
    data["targets"] = [
        t for t in data["targets"] if ("year" in t or "month" in t) and year(t) == first
    ]
    out = Path(tempfile.mkdtemp()) / "tiny_targets.yaml"
    out.write_text(yaml.safe_dump(data))
    return out


if __name__ == "__main__":
    main()
