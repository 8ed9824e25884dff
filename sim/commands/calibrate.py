"""``homesim calibrate SCENARIO.yaml TARGETS.yaml``: fit free parameters to observed figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.abc_smc import KERNELS
from sim.batch.cache import FOLDER as RUNS_FOLDER
from sim.batch.shutdown import orderly
from sim.calibration import METHODS, calibrate, fitted_scenario_yaml, load_targets
from sim.commands import arguments
from sim.commands.arguments import command_line
from sim.commands.engine_options import (
    add_engine_options,
    engine_workers,
    result_options,
    show_progress,
)
from sim.folders import check_out_path, claim_folder, out_argument, plan_of
from sim.plots.calibration import fit_plot, fit_title
from sim.plots.posterior import marginal_plot, pair_plot, predictive_plot
from sim.posterior import PosteriorFit, fit_posterior, posterior_scenario_yaml, refitted_priors
from sim.results_io import finish, manifest, write_csv, write_json, write_parquet, write_text
from sim.scenario.errors import ScenarioError
from sim.scenario.labels import titles_of
from sim.scenario.loader import load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate",
        help="fit free scenario parameters to observed figures",
        description="Fit the free parameters named in TARGETS.yaml by minimising the sum "
        "of squared z-scores of the simulated means (R replications, common "
        "random numbers). Writes DIR/fit.csv, fit.json, trace.csv, fit.png, "
        "manifest.json, (abc) posterior.csv, and a scenario that extends the "
        "original with the fitted values. --method abc-smc returns a posterior "
        "(see docs/uncertainty.md): posterior.csv with weights, generations.csv, "
        "predictive.csv, marginals.png, pairs.png, predictive.png, and a fitted "
        "scenario whose parameters carry the posterior as their distribution; a "
        "stopped abc-smc fit resumes when run again with the same --out.",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    p.add_argument("targets", metavar="TARGETS.yaml")
    p.add_argument("--method", choices=(*METHODS, "abc-smc"), default="optimize")
    p.add_argument(
        "--replications",
        "-n",
        type=arguments.replications,
        default=None,
        help="replications per evaluation (default 4; abc-smc: 2, on fresh seeds per particle)",
    )
    p.add_argument("--seed", type=arguments.seed, default=0, help="root seed (default 0)")
    p.add_argument(
        "--years", type=arguments.years, default=None, help="horizon (default: the scenario's)"
    )
    p.add_argument(
        "--budget",
        type=arguments.whole(1, 100_000, "a number of evaluations"),
        default=60,
        help="model evaluations for --method optimize (default 60)",
    )
    p.add_argument(
        "--draws",
        type=arguments.whole(1, 1_000_000, "a number of draws"),
        default=200,
        help="prior draws for --method abc (default 200)",
    )
    p.add_argument(
        "--accept",
        type=arguments.number(0, 1, above=True),
        default=0.1,
        help="share of abc draws kept as the posterior (default 0.1)",
    )
    p.add_argument(
        "--particles",
        type=arguments.whole(2, 100_000, "a number of particles"),
        default=200,
        help="abc-smc: particles per generation (default 200)",
    )
    p.add_argument(
        "--generations",
        type=arguments.whole(1, 1000, "a number of generations"),
        default=15,
        help="abc-smc: generations at most (default 15)",
    )
    p.add_argument(
        "--max-runs",
        type=arguments.whole(1, 10_000_000, "a number of runs"),
        default=None,
        help="abc-smc: parameter sets run at most (default: no cap)",
    )
    p.add_argument(
        "--max-minutes",
        type=arguments.number(0, above=True),
        default=None,
        help="abc-smc: wall-clock budget in minutes; the fit stops with its last complete "
        "generation and the same command resumes it (default: no cap)",
    )
    p.add_argument(
        "--kernel",
        choices=KERNELS,
        default="auto",
        help="abc-smc: perturbation kernel, a covariance per particle from its nearest "
        "neighbours (local), twice the population's (global), or local from 20 particles "
        "per parameter + 1 and global below (auto, default)",
    )
    p.add_argument(
        "--moves",
        type=arguments.whole(0, 100, "a number of moves"),
        default=2,
        help="abc-smc: from 1, the tempered scheme: each generation reweights, resamples "
        "and makes this many Metropolis-Hastings moves per particle (particles x moves "
        "runs a generation; default 2); 0 accepts candidates stochastically instead",
    )
    p.add_argument(
        "--keep",
        type=arguments.number(0.01, 0.99),
        default=0.5,
        help="abc-smc with --moves: share of the effective sample size each new "
        "temperature keeps (default 0.5)",
    )
    p.add_argument(
        "--predictive-draws",
        type=arguments.whole(1, 100_000, "a number of draws"),
        default=200,
        help="abc-smc: posterior-predictive runs (default 200)",
    )
    p.add_argument(
        "--out",
        type=out_argument,
        default=None,
        help="results folder (default results/calibrate_<scenario name>; its "
        "runs/ keeps finished runs, so a stopped calibration resumes)",
    )
    p.add_argument(
        "--write-scenario",
        type=Path,
        default=None,
        metavar="PATH",
        help="where to write the fitted scenario (default DIR/<name>_calibrated.yaml)",
    )
    add_engine_options(p)
    p.set_defaults(func=orderly(run))


def run(args: argparse.Namespace) -> int:
    sc = load_scenario(args.scenario)
    targets = load_targets(args.targets)
    if args.years is not None and args.years < 1:
        raise ScenarioError("--years must be at least 1")
    out = check_out_path(Path("results") / f"calibrate_{sc.name}" if args.out is None else args.out)
    if args.method == "abc-smc":
        runs = (args.max_runs or args.particles * args.generations) * (args.replications or 2)
        args.workers = engine_workers(
            args, [sc], runs, args.years, runs_flag="--particles x --generations x --replications"
        )
        # the caps may grow when a stopped fit resumes: they are not part of its plan
        plan = plan_of(
            sc.hash,
            repr(targets),
            result_options(
                args,
                "scenario",
                "out",
                "generations",
                "max_runs",
                "max_minutes",
                "predictive_draws",
            ),
        )
        with claim_folder(out, "calibrate", plan, args.force):
            return run_smc(args, sc, targets, out)
    if args.replications is None:
        args.replications = 4
    evaluations = args.budget if args.method == "optimize" else args.draws
    workers = engine_workers(
        args,
        [sc],
        evaluations * args.replications,
        args.years,
        runs_flag="--budget or --draws x --replications",
    )
    plan = plan_of(sc.hash, repr(targets), result_options(args, "scenario", "out"))
    with claim_folder(out, "calibrate", plan, args.force):
        return _fit_and_write(args, sc, targets, out, workers)


def _fit_and_write(args: argparse.Namespace, sc, targets, out: Path, workers: int) -> int:
    fit = calibrate(
        sc,
        targets,
        args.method,
        args.replications,
        args.seed,
        args.years,
        args.budget,
        args.draws,
        args.accept,
        progress=not args.quiet,
        workers=workers,
        scheduler=args.scheduler,
        cache=out / RUNS_FOLDER,
        run_progress=show_progress(args),
    )
    scen_path = args.write_scenario or out / f"{sc.name.removesuffix('_baseline')}_calibrated.yaml"
    text = fitted_scenario_yaml(sc, targets, fit, scen_path)
    stats = fit.statistics()
    write_csv(out / "fit.csv", fit.table)
    write_csv(out / "trace.csv", fit.trace)
    if fit.posterior is not None:
        write_csv(out / "posterior.csv", fit.posterior)
    write_json(out / "fit.json", stats)
    fit_plot(fit.table, out / "fit.png", fit_title(sc, targets, fit.method))
    write_json(
        out / "manifest.json",
        finish(
            manifest(
                {sc.name: sc},
                {
                    "root": args.seed,
                    "replications": args.replications,
                    "derivation": "SeedSequence(root, spawn_key=(replication,)), the "
                    "same for every parameter set",
                },
                command=command_line(),
                extra={"targets": targets.file, "method": fit.method},
            )
        ),
    )
    write_text(scen_path, text)
    print(format_fit(fit))
    print(
        f"\nwrote {out}/ (fit.csv, fit.json, trace.csv, fit.png, manifest.json"
        f"{', posterior.csv' if fit.posterior is not None else ''}) and {scen_path}"
    )
    return 0


def format_fit(fit) -> str:
    """Plain-text summary: fitted values, then observed against simulated."""
    s = fit.statistics()
    lines = [
        f"{fit.method}: distance {fit.distance:.4g} (sum of squared z), "
        f"{fit.evaluations} evaluations, {fit.seconds:.0f} s"
    ]
    for k, v in fit.values.items():
        lines.append(f"  {k} = {v:.6g}")
    lines.append(f"{'target':<32} {'observed':>10} {'simulated':>10} {'95% of runs':>20} {'z':>6}")
    for r in fit.table.itertuples():
        lines.append(
            f"{r.target:<32} {r.observed:>10.4g} {r.mean:>10.4g} "
            f"{f'[{r.low:.4g}, {r.high:.4g}]':>20} {r.z:>6.2f}"
        )
    lines.append(
        f"rmse z {s['rmse_z']:.2f}; mean abs relative error "
        f"{s['mean_abs_rel_error']:.1%}; observed inside 95% of runs "
        f"{s['observed_inside_95_interval']:.0%}"
    )
    if fit.left_out:
        lines.append(f"left out (outside the run): {', '.join(fit.left_out)}")
    return "\n".join(lines)


def run_smc(args: argparse.Namespace, sc, targets, out: Path) -> int:
    """``--method abc-smc``: fit, then write the posterior, diagnostics, plots, scenario."""
    for path in refitted_priors(sc, targets):
        sys.stderr.write(
            f"homesim: warning: the prior of {path} is the scenario's dist, an earlier "
            f"fit's posterior; fitting the same data again counts it twice (give "
            f"'prior:' in {targets.file or 'the targets'})\n"
        )
    fit = fit_posterior(
        sc,
        targets,
        args.particles,
        2 if args.replications is None else args.replications,
        args.seed,
        args.years,
        args.generations,
        args.max_runs,
        args.workers,
        args.scheduler,
        state_dir=out,
        predictive_draws=args.predictive_draws,
        progress=not args.quiet,
        cache=out / RUNS_FOLDER,
        run_progress=show_progress(args),
        kernel=args.kernel,
        max_seconds=None if args.max_minutes is None else 60.0 * args.max_minutes,
        moves=args.moves,
        keep=args.keep,
    )
    scen_path = args.write_scenario or out / f"{sc.name.removesuffix('_baseline')}_calibrated.yaml"
    post_name = "posterior.csv"
    text = posterior_scenario_yaml(sc, targets, fit, scen_path, post_name)
    write_csv(out / post_name, fit.posterior)
    write_parquet(out / "posterior.parquet", fit.posterior)
    write_csv(out / "posterior_summary.csv", fit.summary())
    write_csv(out / "generations.csv", fit.generations)
    write_csv(out / "predictive.csv", fit.predictive)
    write_parquet(out / "predictive_draws.parquet", fit.predictive_draws)
    write_json(out / "fit.json", fit.statistics())
    names = [p.path for p in fit.free]
    ranges = [(p.low, p.high) for p in fit.free]
    title = f"{fit_title(sc, targets, 'abc-smc')}, {len(fit.posterior)} particles"
    marginal_plot(fit.posterior, names, ranges, out / "marginals.png", title)
    pair_plot(fit.posterior, names, ranges, out / "pairs.png", title)
    predictive_plot(
        fit.predictive,
        out / "predictive.png",
        f"{titles_of([sc])[sc.name]}: observed against the posterior-predictive intervals",
    )
    write_json(
        out / "manifest.json",
        manifest(
            {sc.name: sc},
            {
                "root": args.seed,
                "replications": fit.replications,
                "derivation": "particle serial s runs replications s*R .. s*R+R-1 "
                "under SeedSequence(root, spawn_key=(replication,)); "
                "sampler draws from default_rng([root, generation, "
                "round])",
            },
            command=command_line(),
            extra={"targets": targets.file, "method": "abc-smc"},
        ),
    )
    write_text(scen_path, text)
    print(format_posterior(fit))
    print(
        f"\nwrote {out}/ (posterior.csv, posterior.parquet, posterior_summary.csv, "
        f"generations.csv, predictive.csv, fit.json, marginals.png, pairs.png, "
        f"predictive.png, manifest.json) and {scen_path}"
    )
    return 0


def format_posterior(fit: PosteriorFit) -> str:
    """Plain-text summary: why it stopped, the posterior, and the predictive check."""
    s = fit.statistics()
    lines = [
        f"abc-smc: {s['generations']} generations, {fit.runs} parameter sets run "
        f"({fit.replications} runs each), {fit.seconds:.0f} s; {fit.stopped}",
        f"{s['particles']} particles, {s['distinct']} distinct, ESS {s['ess']:.0f}",
    ]
    if fit.resumed_from is not None:
        lines.append(f"resumed after generation {fit.resumed_from}")
    lines.append(f"{'parameter':<40} {'mean':>10} {'90% interval':>24}")
    for r in fit.summary().itertuples():
        lines.append(
            f"{r.parameter:<40} {r.mean:>10.4g} {f'[{r.low_90:.4g}, {r.high_90:.4g}]':>24}"
        )
    lines.append(f"{'target':<32} {'observed':>10} {'predicted':>10} {'80% interval':>22}")
    for r in fit.predictive.itertuples():
        lines.append(
            f"{r.target:<32} {r.observed:>10.4g} {r.mean:>10.4g} "
            f"{f'[{r.low_80:.4g}, {r.high_80:.4g}]':>22}"
        )
    lines.append(
        f"observed inside the 80% interval: {s['observed_inside_80']:.0%}, "
        f"inside the 95%: {s['observed_inside_95']:.0%}"
    )
    return "\n".join(lines)
