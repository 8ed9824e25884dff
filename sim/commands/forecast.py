"""``homesim forecast SCENARIO --posterior FILE --until YYYY-MM``: predictive intervals."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from sim.batch.options import add_engine_options, engine_workers, result_options, show_progress
from sim.batch.shutdown import orderly
from sim.commands import arguments
from sim.folders import check_out_path, claim_folder, out_argument, plan_of
from sim.forecast import FREQUENCIES, forecast, horizon_years, parse_month, read_posterior
from sim.plots.forecast import forecast_plot
from sim.results_io import manifest, write_csv, write_json
from sim.scenario.loader import load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "forecast",
        help="predictive intervals from a calibration posterior",
        description="Run SCENARIO to the end of --until for --draws parameter sets drawn "
        "(by weight) from a calibration posterior, --replications runs each, "
        "and write the mean, median and 80%% and 95%% predictive intervals of "
        "every series by month or year: DIR/forecast.csv, forecast.png, "
        "draws.csv, manifest.json; DIR/runs/ keeps every finished run, so a "
        "stopped forecast resumes when run again with the same --out.",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    p.add_argument(
        "--posterior",
        type=Path,
        required=True,
        metavar="FILE",
        help="posterior sample (posterior.csv or .parquet from homesim calibrate)",
    )
    p.add_argument("--until", required=True, metavar="YYYY-MM", help="last month forecast")
    p.add_argument(
        "--frequency",
        choices=FREQUENCIES,
        default="month",
        help="periods of the table (default month)",
    )
    p.add_argument(
        "--draws",
        type=arguments.whole(1, 1_000_000, "a number of draws"),
        default=100,
        help="posterior draws (default 100)",
    )
    p.add_argument(
        "--replications",
        "-n",
        type=arguments.replications,
        default=2,
        help="runs per draw, on their own seeds (default 2)",
    )
    p.add_argument("--seed", type=arguments.seed, default=0, help="root seed (default 0)")
    p.add_argument(
        "--data-until",
        default=None,
        metavar="YYYY-MM",
        help="where the fitted data end (a line in the plot)",
    )
    p.add_argument(
        "--out",
        type=out_argument,
        default=None,
        help="results folder (default results/forecast_<scenario name>)",
    )
    add_engine_options(p)
    p.set_defaults(func=orderly(run))


def run(args: argparse.Namespace) -> int:
    sc = load_scenario(args.scenario)
    until = parse_month(args.until)
    data_until = None if args.data_until is None else parse_month(args.data_until, "--data-until")
    posterior = read_posterior(args.posterior)
    out = check_out_path(args.out or Path("results") / f"forecast_{sc.name}")
    years = horizon_years(sc, until)
    workers = engine_workers(
        args, [sc], args.draws * args.replications, years, runs_flag="--draws x --replications"
    )
    plan = plan_of(
        sc.hash, posterior.to_json(), result_options(args, "scenario", "out", "data_until")
    )
    with claim_folder(out, "forecast", plan, args.force):
        return _forecast_and_write(args, sc, posterior, until, data_until, out, workers)


def _forecast_and_write(args, sc, posterior, until, data_until, out: Path, workers: int) -> int:
    """Run the forecast into the claimed folder ``out`` and write its table and plot."""
    fc = forecast(
        sc,
        posterior,
        until,
        args.draws,
        args.replications,
        args.seed,
        args.frequency,
        workers,
        args.scheduler,
        state_dir=out,
        posterior_file=str(args.posterior),
        progress=show_progress(args),
    )
    write_csv(out / "forecast.csv", fc.table)
    write_csv(out / "draws.csv", fc.draws)
    mark = None
    if data_until is not None:
        mark = (
            f"{data_until[0]}"
            if args.frequency == "year"
            else f"{data_until[0]}-{data_until[1]:02d}"
        )
    forecast_plot(
        fc.table,
        out / "forecast.png",
        f"{sc.name}: forecast to {args.until} ({args.draws} posterior draws x "
        f"{args.replications} runs)",
        data_until=mark,
    )
    write_json(
        out / "manifest.json",
        manifest(
            {sc.name: sc},
            {
                "root": args.seed,
                "replications": args.replications,
                "derivation": "draw i runs replications 2e9 + i*R + r under "
                "SeedSequence(root, spawn_key=(replication,))",
            },
            command="homesim " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
            extra={
                "posterior": str(args.posterior),
                "until": args.until,
                "frequency": args.frequency,
            },
        ),
    )
    last = fc.table[fc.table["series"].astype(str) == "homeless"].iloc[-1]
    print(
        f"homeless in {last['period']}: median {last['median']:.0f}, 80% "
        f"[{last['low_80']:.0f}, {last['high_80']:.0f}], 95% [{last['low_95']:.0f}, "
        f"{last['high_95']:.0f}] ({fc.runs} runs)"
    )
    print(f"wrote {out}/ (forecast.csv, forecast.png, draws.csv, manifest.json)")
    return 0
