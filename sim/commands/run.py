"""``homesim run SCENARIO.yaml``: replications of one scenario, tables and a summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from sim.batch.shutdown import orderly
from sim.commands import arguments
from sim.commands.arguments import command_line
from sim.commands.engine_options import add_folder_options
from sim.folders import check_out_path, claim_folder, out_argument, plan_of
from sim.resources import check_resources
from sim.results_io import finish, manifest, write_csv, write_json, write_parquet
from sim.runner import interval_table, run_replications
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario

MAIN_OUTCOMES = (
    "homeless_end",
    "homeless_days",
    "housed_days",
    "spell_weeks_median",
    "kept_home_12m",
    "kept_home_24m",
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run replications of one scenario",
        description="Run a scenario and write DIR/manifest.json, "
        "DIR/weekly.parquet, DIR/monthly.parquet (Toronto's "
        "flow measures by month, docs/outputs.md) and "
        "DIR/summary.csv.",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    p.add_argument("--replications", "-n", type=arguments.replications, default=10)
    p.add_argument("--seed", type=arguments.seed, default=0, help="root seed (default 0)")
    p.add_argument(
        "--years", type=arguments.years, default=None, help="horizon (default: the scenario's)"
    )
    p.add_argument(
        "--out",
        type=out_argument,
        default=None,
        help="results folder (default results/<scenario name>)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_folder_options(p)
    p.set_defaults(func=orderly(run, resumable=False))


def check_counts(replications: int, years: int | None) -> None:
    if replications < 1:
        raise ScenarioError("--replications must be at least 1")
    if years is not None and years < 1:
        raise ScenarioError("--years must be at least 1")


def run(args: argparse.Namespace) -> int:
    check_counts(args.replications, args.years)
    sc = load_scenario(args.scenario)  # validated before anything is written
    out = check_out_path(Path("results") / _slug(sc.name) if args.out is None else args.out)
    check_resources([sc], args.replications, 1, args.years, args.allow_large)
    plan = plan_of(sc.hash, args.replications, args.seed, args.years)
    with claim_folder(out, "run", plan, args.force):
        res = run_replications(
            sc,
            args.replications,
            args.seed,
            args.years,
            progress=not args.quiet and sys.stderr.isatty(),
            monthly=True,
        )
        write_parquet(out / "weekly.parquet", res.weekly)
        write_parquet(out / "monthly.parquet", res.monthly)
        write_csv(out / "summary.csv", res.summary)
        write_json(
            out / "manifest.json",
            finish(
                manifest(
                    {sc.name: sc},
                    {
                        "root": args.seed,
                        "replications": args.replications,
                        "derivation": "SeedSequence(root, spawn_key=(replication,))",
                    },
                    command=command_line(),
                    extra={
                        "kind": "run",
                        "plan": plan,
                        "years": args.years or sc.params.setting.years,
                    },
                )
            ),
        )
    print(format_intervals(interval_table(res.summary, [c for c in _main_columns(res.summary)])))
    print(f"\nwrote {out}/ (manifest.json, weekly.parquet, monthly.parquet, summary.csv)")
    return 0


def _main_columns(summary: pd.DataFrame) -> list[str]:
    pit = [c for c in summary.columns if c.startswith(("pit_", "shelter_users_"))]
    return [*pit, *[c for c in MAIN_OUTCOMES if c in summary.columns]]


def format_intervals(table: pd.DataFrame) -> str:
    """A plain-text table: outcome, mean and 95% interval, per scenario."""
    lines = []
    for name, grp in table.groupby("scenario", sort=False):
        runs = int(grp["runs"].max())
        lines.append(f"{name} ({runs} runs): mean [95% interval]")
        for row in grp.itertuples():
            lines.append(
                f"  {row.outcome:<24} {_num(row.mean):>12} [{_num(row.low)}, {_num(row.high)}]"
            )
    return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:,.3f}" if abs(x) < 10 else f"{x:,.0f}"


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name.lower()).strip("_")
