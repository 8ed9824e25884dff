"""``homesim forecast SCENARIO --posterior FILE --until YYYY-MM``: predictive intervals."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.batch.shutdown import orderly
from sim.calibration import load_targets
from sim.commands import arguments
from sim.commands.arguments import command_line
from sim.commands.engine_options import (
    add_engine_options,
    engine_workers,
    result_options,
    show_progress,
)
from sim.folders import check_out_path, claim_folder, out_argument, plan_of
from sim.forecast import (
    FREQUENCIES,
    forecast,
    horizon_years,
    out_of_sample,
    parse_month,
    read_posterior,
    target_period,
)
from sim.plots.forecast import forecast_plot
from sim.results_io import manifest, write_csv, write_json
from sim.scenario.errors import ScenarioError
from sim.scenario.labels import titles_of
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
        "--check",
        type=Path,
        default=None,
        metavar="TARGETS.yaml",
        help="observed figures to check the forecast against (those after --data-until): "
        "writes DIR/check.csv and check_summary.csv (coverage of the 80%% and 95%% "
        "intervals and the MAPE of the median, per series)",
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
    check = None if args.check is None else checked_targets(args, until, data_until)
    out = check_out_path(args.out or Path("results") / f"forecast_{sc.name}")
    years = horizon_years(sc, until)
    workers = engine_workers(
        args, [sc], args.draws * args.replications, years, runs_flag="--draws x --replications"
    )
    plan = plan_of(
        sc.hash, posterior.to_json(), result_options(args, "scenario", "out", "data_until", "check")
    )
    with claim_folder(out, "forecast", plan, args.force):
        return _forecast_and_write(args, sc, posterior, until, data_until, out, workers, check)


def _period(month: tuple[int, int] | None, frequency: str) -> str | None:
    """A month as the forecast table writes its periods (``YYYY-MM`` or ``YYYY``)."""
    if month is None:
        return None
    return f"{month[0]}" if frequency == "year" else f"{month[0]}-{month[1]:02d}"


def checked_targets(args: argparse.Namespace, until, data_until) -> list:
    """Return the targets of ``--check`` that the forecast gives, after ``--data-until``.

    An error naming the file if there are none.
    """
    targets = load_targets(args.check)
    first, last = _period(data_until, args.frequency), _period(until, args.frequency)
    found = []
    for t in targets.targets:
        key = target_period(t.column)
        monthly = key is not None and "-" in key[1]
        if key is None or monthly != (args.frequency == "month"):
            continue
        if key[1] <= last and (first is None or key[1] > first):
            found.append(t)
    if not found:
        raise ScenarioError(
            f"no target is a {args.frequency}ly series of the forecast in "
            f"({first or 'the start'}, {last}]: expected Toronto's monthly measures "
            "(--frequency month) or the PIT counts (--frequency year)",
            file=str(args.check),
            path="targets",
        )
    return found


def _forecast_and_write(
    args, sc, posterior, until, data_until, out: Path, workers: int, check
) -> int:
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
    if check is not None:
        per, summary = out_of_sample(
            fc.table, check, _period(data_until, args.frequency), fc.values, args.seed
        )
        write_csv(out / "check.csv", per)
        write_csv(out / "check_summary.csv", summary)
        print(format_check(summary))
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
        f"{titles_of([sc])[sc.name]}: forecast to {args.until} ({args.draws} posterior draws x "
        f"{args.replications} runs)",
        series=plot_series(fc.table),
        data_until=mark,
        observed=None if args.check is None else observed_points(args.check),
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
            command=command_line(),
            extra={
                "posterior": str(args.posterior),
                "until": args.until,
                "frequency": args.frequency,
                "check": None if args.check is None else str(args.check),
            },
        ),
    )
    last = fc.table[fc.table["series"].astype(str) == "homeless"].iloc[-1]
    print(
        f"homeless in {last['period']}: median {last['median']:.0f}, 80% "
        f"[{last['low_80']:.0f}, {last['high_80']:.0f}], 95% [{last['low_95']:.0f}, "
        f"{last['high_95']:.0f}] ({fc.runs} runs)"
    )
    checked = ", check.csv, check_summary.csv" if check is not None else ""
    print(f"wrote {out}/ (forecast.csv, forecast.png, draws.csv, manifest.json{checked})")
    return 0


#: Series the plot shows, the first group found in the table: Toronto's stock and flows,
#: HUD's counts, or the model's own situations.
PLOT_SERIES = (
    (
        "actively_homeless",
        "newly_identified",
        "returned_to_shelter",
        "moved_to_housing",
        "became_inactive",
    ),
    ("pit", "pit_sheltered", "pit_unsheltered"),
    ("homeless", "shelter", "rough", "friends"),
)


def plot_series(table) -> tuple[str, ...]:
    """The first group of :data:`PLOT_SERIES` that the forecast holds."""
    have = set(table["series"].astype(str))
    return next((g for g in PLOT_SERIES if g[0] in have), PLOT_SERIES[-1])


def observed_points(path: Path):
    """Every figure of a targets file that is a forecast series, for the plot."""
    import pandas as pd

    rows = []
    for t in load_targets(path).targets:
        key = target_period(t.column)
        if key is not None:
            rows.append({"series": key[0], "period": key[1], "observed": t.observed})
    return pd.DataFrame(rows, columns=["series", "period", "observed"])


def format_check(summary) -> str:
    """The out-of-sample table: per series, the periods, coverage and MAPE.

    ``obs`` columns: coverage of the intervals of a new observation (the runs plus the
    targets' stated observation error).
    """
    obs = "inside_80_obs" in summary
    head = f"{'series':<28} {'periods':>7} {'in 80%':>7} {'in 95%':>7} {'MAPE':>7}"
    lines = [head + (f" {'obs 80%':>8} {'obs 95%':>8}" if obs else "")]
    for r in summary.itertuples():
        line = (
            f"{r.series:<28} {r.periods:>7d} {r.inside_80:>7.0%} {r.inside_95:>7.0%} "
            f"{r.mape_pct:>6.1f}%"
        )
        if obs:
            line += f" {r.inside_80_obs:>8.0%} {r.inside_95_obs:>8.0%}"
        lines.append(line)
    if obs:
        lines.append("obs: inside the intervals of a new observation (runs + the stated sd)")
    return "\n".join(lines)
