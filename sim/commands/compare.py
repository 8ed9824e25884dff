"""``homesim compare BASE.yaml ALT.yaml ...``: cost-effectiveness of alternatives vs a base."""

from __future__ import annotations

import argparse
import sys

from sim.batch.cache import FOLDER as RUNS_FOLDER
from sim.batch.shutdown import orderly
from sim.commands import arguments
from sim.commands.arguments import command_line
from sim.commands.engine_options import add_engine_options, engine_workers, show_progress
from sim.compare import DEFAULT_WTP, check_options, compare, prepare
from sim.folders import check_out_path, claim_folder, out_argument, plan_of


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="compare scenarios on cost and effect (common random numbers)",
        description="Run a base scenario and alternatives with common random numbers and "
        "write the incremental analysis (CSV tables), figures (PNG), "
        "report.md, report.html and manifest.json to DIR.",
    )
    p.add_argument("base", metavar="BASE.yaml")
    p.add_argument("alternatives", metavar="ALT.yaml", nargs="+")
    p.add_argument("--replications", "-n", type=arguments.replications, default=20)
    p.add_argument(
        "--out",
        type=out_argument,
        required=True,
        metavar="DIR",
        help="results folder (its runs/ keeps finished runs, so a stopped comparison resumes)",
    )
    p.add_argument("--seed", type=arguments.seed, default=0, help="root seed (default 0)")
    p.add_argument(
        "--years",
        type=arguments.years,
        default=None,
        help="horizon for every scenario (default: theirs, which must agree)",
    )
    p.add_argument(
        "--wtp-day",
        type=arguments.number_list,
        default=None,
        metavar="X,Y,...",
        help="willingness to pay per homeless day avoided, DKK (default "
        + ",".join(f"{w:g}" for w in DEFAULT_WTP["homeless_days_avoided_discounted"])
        + ")",
    )
    add_engine_options(p)
    p.set_defaults(func=orderly(run))


def wtp_values(values: tuple[float, ...] | None) -> dict[str, tuple[float, ...]]:
    """The willingness-to-pay grids, with ``--wtp-day`` when given.

    ``--wtp-day`` is in DKK per homeless day avoided, already checked finite and
    non-negative by its argument type.
    """
    if values is None:
        return dict(DEFAULT_WTP)
    return {**DEFAULT_WTP, "homeless_days_avoided_discounted": values}


def run(args: argparse.Namespace) -> int:
    check_options(args.replications, args.years, args.workers or 1)
    wtp = wtp_values(args.wtp_day)
    scenarios = prepare(args.base, args.alternatives, args.years)  # before writing anything
    out = check_out_path(args.out)
    workers = engine_workers(args, scenarios, len(scenarios) * args.replications, args.years)
    plan = plan_of([sc.hash for sc in scenarios], args.replications, args.seed, args.years, wtp)
    with claim_folder(out, "compare", plan, args.force):
        cmp = compare(
            scenarios[0],
            scenarios[1:],
            replications=args.replications,
            seed=args.seed,
            years=args.years,
            workers=workers,
            wtp=wtp,
            progress=show_progress(args),
            scheduler=args.scheduler,
            cache=out / RUNS_FOLDER,
        )
        command = command_line()
        cmp.report(out, command=command)
    if (cmp.runs["cost_total"] == 0).all():
        print(
            "homesim: note: no unit costs in these scenarios; every cost is 0 "
            "(extend scenarios/costs_denmark.yaml)",
            file=sys.stderr,
        )
    if not args.quiet:
        for v in cmp.verdicts.itertuples():
            print(f"{v.alternative} vs {v.base}: {v.words}")
        print(
            f"wrote {args.out}/ (report.html, report.md, comparison.csv, runs.csv, "
            "figures, manifest.json)"
        )
    return 0
