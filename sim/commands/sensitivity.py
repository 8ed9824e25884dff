"""``homesim sensitivity SCENARIO.yaml``: one-way (tornado) or Sobol sensitivity."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.batch.cache import FOLDER as RUNS_FOLDER
from sim.batch.shutdown import orderly
from sim.commands import arguments
from sim.commands.arguments import command_line
from sim.commands.engine_options import (
    add_engine_options,
    engine_workers,
    result_options,
    show_progress,
)
from sim.folders import check_out_path, claim_folder, out_argument, plan_of
from sim.plots.sensitivity import sobol_bars, tornado
from sim.results_io import finish, manifest, write_csv, write_json
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.sensitivity import one_way, ranged_parameters, sobol_model


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sensitivity",
        help="one-way (tornado) or global (Sobol) sensitivity of an outcome",
        description="one-way: every parameter with a range (low/high or a distribution) "
        "at its low and high value, others as written. sobol: first- and "
        "total-order Sobol indices over the parameters with a distribution "
        "(N * (d + 2) scenario evaluations). All runs share their seeds.",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    p.add_argument("--method", choices=("one-way", "sobol"), default="one-way")
    p.add_argument(
        "--outcome",
        default="homeless_days",
        help="summary column to analyse (default homeless_days)",
    )
    p.add_argument(
        "--replications",
        "-n",
        type=arguments.replications,
        default=2,
        help="replications per evaluation (default 2)",
    )
    p.add_argument(
        "--samples",
        type=arguments.whole(2, 1_048_576, "a sample size"),
        default=64,
        help="Sobol base sample size, a power of two (default 64)",
    )
    p.add_argument("--seed", type=arguments.seed, default=0)
    p.add_argument("--years", type=arguments.years, default=None)
    p.add_argument(
        "--top",
        type=arguments.whole(1, 1000, "a number of parameters"),
        default=15,
        help="parameters in the tornado plot",
    )
    p.add_argument(
        "--out",
        type=out_argument,
        default=None,
        help="results folder (default results/sensitivity_<name>; its runs/ "
        "keeps finished runs, so a stopped analysis resumes)",
    )
    add_engine_options(p)
    p.set_defaults(func=orderly(run))


def run(args: argparse.Namespace) -> int:
    sc = load_scenario(args.scenario)
    if args.replications < 1:
        raise ScenarioError("--replications must be at least 1")
    out = check_out_path(
        Path("results") / f"sensitivity_{sc.name}" if args.out is None else args.out
    )
    n_params = max(1, len(ranged_parameters(sc)))
    points = 2 * n_params + 1 if args.method == "one-way" else args.samples * (n_params + 2)
    workers = engine_workers(
        args, [sc], points * args.replications, args.years, runs_flag="--samples x --replications"
    )
    plan = plan_of(sc.hash, result_options(args, "scenario", "out", "top"))
    with claim_folder(out, "sensitivity", plan, args.force):
        return _analyse_and_write(args, sc, out, workers)


def _analyse_and_write(args: argparse.Namespace, sc, out: Path, workers: int) -> int:
    engine = {
        "workers": workers,
        "scheduler": args.scheduler,
        "cache": out / RUNS_FOLDER,
        "progress": show_progress(args),
    }
    if args.method == "one-way":
        table = one_way(sc, args.outcome, args.replications, args.seed, args.years, **engine)
        write_csv(out / "one_way.csv", table)
        tornado(table, args.outcome, out / "tornado.png", args.top)
        for r in table.head(args.top).itertuples():
            print(
                f"{r.parameter:<44} {r.outcome_low:>12,.4g} {r.outcome_high:>12,.4g}  "
                f"swing {r.swing:,.4g}"
            )
        files = "one_way.csv, tornado.png"
    else:
        res = sobol_model(
            sc, args.outcome, args.samples, args.replications, args.seed, args.years, **engine
        )
        write_csv(out / "sobol.csv", res.table)
        sobol_bars(res.table, args.outcome, out / "sobol.png")
        print(res.table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
        files = "sobol.csv, sobol.png"
    write_json(
        out / "manifest.json",
        finish(
            manifest(
                {sc.name: sc},
                {"root": args.seed, "replications": args.replications},
                command=command_line(),
                extra={"method": args.method, "outcome": args.outcome},
            )
        ),
    )
    print(f"\nwrote {out}/ ({files}, manifest.json)")
    return 0
