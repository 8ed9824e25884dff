"""``homesim calibrate SCENARIO.yaml TARGETS.yaml``: fit free parameters to observed figures."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from sim.batch.cache import FOLDER as RUNS_FOLDER
from sim.batch.options import (
    add_engine_options,
    engine_workers,
    result_options,
    show_progress,
)
from sim.batch.shutdown import orderly
from sim.calibration import METHODS, calibrate, fitted_scenario_yaml, load_targets
from sim.commands import arguments
from sim.folders import check_out_path, claim_folder, out_argument, plan_of
from sim.plots.calibration import fit_plot
from sim.results_io import finish, manifest, write_csv, write_json, write_text
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate", help="fit free scenario parameters to observed figures",
        description="Fit the free parameters named in TARGETS.yaml by minimising the sum "
                    "of squared z-scores of the simulated means (R replications, common "
                    "random numbers). Writes DIR/fit.csv, fit.json, trace.csv, fit.png, "
                    "manifest.json, (abc) posterior.csv, and a scenario that extends the "
                    "original with the fitted values.")
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    p.add_argument("targets", metavar="TARGETS.yaml")
    p.add_argument("--method", choices=METHODS, default="optimize")
    p.add_argument("--replications", "-n", type=arguments.replications, default=4,
                   help="replications per evaluation (default 4)")
    p.add_argument("--seed", type=arguments.seed, default=0, help="root seed (default 0)")
    p.add_argument("--years", type=arguments.years, default=None,
                   help="horizon (default: the scenario's)")
    p.add_argument("--budget", type=arguments.whole(1, 100_000, "a number of evaluations"),
                   default=60,
                   help="model evaluations for --method optimize (default 60)")
    p.add_argument("--draws", type=arguments.whole(1, 1_000_000, "a number of draws"),
                   default=200,
                   help="prior draws for --method abc (default 200)")
    p.add_argument("--accept", type=arguments.number(0, 1, above=True), default=0.1,
                   help="share of abc draws kept as the posterior (default 0.1)")
    p.add_argument("--out", type=out_argument, default=None,
                   help="results folder (default results/calibrate_<scenario name>; its "
                        "runs/ keeps finished runs, so a stopped calibration resumes)")
    p.add_argument("--write-scenario", type=Path, default=None, metavar="PATH",
                   help="where to write the fitted scenario (default DIR/<name>_calibrated"
                        ".yaml)")
    add_engine_options(p)
    p.set_defaults(func=orderly(run))


def run(args: argparse.Namespace) -> int:
    sc = load_scenario(args.scenario)
    targets = load_targets(args.targets)
    if args.years is not None and args.years < 1:
        raise ScenarioError("--years must be at least 1")
    out = check_out_path(Path("results") / f"calibrate_{sc.name}" if args.out is None
                         else args.out)
    evaluations = args.budget if args.method == "optimize" else args.draws
    workers = engine_workers(args, [sc], evaluations * args.replications, args.years,
                             runs_flag="--budget or --draws x --replications")
    plan = plan_of(sc.hash, repr(targets), result_options(args, "scenario", "out"))
    with claim_folder(out, "calibrate", plan, args.force):
        return _fit_and_write(args, sc, targets, out, workers)


def _fit_and_write(args: argparse.Namespace, sc, targets, out: Path, workers: int) -> int:
    fit = calibrate(sc, targets, args.method, args.replications, args.seed, args.years,
                    args.budget, args.draws, args.accept, progress=not args.quiet,
                    workers=workers, scheduler=args.scheduler, cache=out / RUNS_FOLDER,
                    run_progress=show_progress(args))
    scen_path = args.write_scenario or out / f"{sc.name.removesuffix('_baseline')}_calibrated.yaml"
    text = fitted_scenario_yaml(sc, targets, fit, scen_path)
    stats = fit.statistics()
    write_csv(out / "fit.csv", fit.table)
    write_csv(out / "trace.csv", fit.trace)
    if fit.posterior is not None:
        write_csv(out / "posterior.csv", fit.posterior)
    write_json(out / "fit.json", stats)
    fit_plot(fit.table, out / "fit.png", f"{sc.name} fitted to {targets.name} ({fit.method})")
    write_json(out / "manifest.json", finish(manifest(
        {sc.name: sc}, {"root": args.seed, "replications": args.replications,
                        "derivation": "SeedSequence(root, spawn_key=(replication,)), the "
                                      "same for every parameter set"},
        command="homesim " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        extra={"targets": targets.file, "method": fit.method})))
    write_text(scen_path, text)
    print(format_fit(fit))
    print(f"\nwrote {out}/ (fit.csv, fit.json, trace.csv, fit.png, manifest.json"
          f"{', posterior.csv' if fit.posterior is not None else ''}) and {scen_path}")
    return 0


def format_fit(fit) -> str:
    """Plain-text summary: fitted values, then observed against simulated."""
    s = fit.statistics()
    lines = [f"{fit.method}: distance {fit.distance:.4g} (sum of squared z), "
             f"{fit.evaluations} evaluations, {fit.seconds:.0f} s"]
    for k, v in fit.values.items():
        lines.append(f"  {k} = {v:.6g}")
    lines.append(f"{'target':<32} {'observed':>10} {'simulated':>10} {'95% of runs':>20} "
                 f"{'z':>6}")
    for r in fit.table.itertuples():
        lines.append(f"{r.target:<32} {r.observed:>10.4g} {r.mean:>10.4g} "
                     f"{f'[{r.low:.4g}, {r.high:.4g}]':>20} {r.z:>6.2f}")
    lines.append(f"rmse z {s['rmse_z']:.2f}; mean abs relative error "
                 f"{s['mean_abs_rel_error']:.1%}; observed inside 95% of runs "
                 f"{s['observed_inside_95_interval']:.0%}")
    if fit.left_out:
        lines.append(f"left out (outside the run): {', '.join(fit.left_out)}")
    return "\n".join(lines)
