"""``homesim compare BASE.yaml ALT.yaml ...``: cost-effectiveness of alternatives vs a base."""

from __future__ import annotations

import argparse
import shlex
import sys

from sim.commands import arguments
from sim.compare import DEFAULT_WTP, check_options, compare, prepare


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare", help="compare scenarios on cost and effect (common random numbers)",
        description="Run a base scenario and alternatives with common random numbers and "
                    "write the incremental analysis (CSV tables), figures (PNG), "
                    "report.md, report.html and manifest.json to DIR.")
    p.add_argument("base", metavar="BASE.yaml")
    p.add_argument("alternatives", metavar="ALT.yaml", nargs="+")
    p.add_argument("--replications", "-n", type=arguments.replications, default=20)
    p.add_argument("--out", type=arguments.out_path, required=True, metavar="DIR",
                   help="results folder")
    p.add_argument("--seed", type=arguments.seed, default=0, help="root seed (default 0)")
    p.add_argument("--years", type=arguments.years, default=None,
                   help="horizon for every scenario (default: theirs, which must agree)")
    p.add_argument("--workers", type=arguments.workers, default=1, help="processes (default 1)")
    p.add_argument("--wtp-day", type=arguments.number_list, default=None, metavar="X,Y,...",
                   help="willingness to pay per homeless day avoided, DKK (default "
                        + ",".join(f"{w:g}" for w in
                                   DEFAULT_WTP["homeless_days_avoided_discounted"]) + ")")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def wtp_values(values: tuple[float, ...] | None) -> dict[str, tuple[float, ...]]:
    """The willingness-to-pay grids, with ``--wtp-day`` (DKK per homeless day avoided,
    already checked finite and non-negative by its argument type) when given."""
    if values is None:
        return dict(DEFAULT_WTP)
    return {**DEFAULT_WTP, "homeless_days_avoided_discounted": values}


def run(args: argparse.Namespace) -> int:
    check_options(args.replications, args.years, args.workers)
    wtp = wtp_values(args.wtp_day)
    scenarios = prepare(args.base, args.alternatives, args.years)  # before writing anything
    cmp = compare(scenarios[0], scenarios[1:], replications=args.replications,
                  seed=args.seed, years=args.years, workers=args.workers, wtp=wtp,
                  progress=not args.quiet and sys.stderr.isatty())
    command = "homesim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    cmp.report(args.out, command=command)
    if (cmp.runs["cost_total"] == 0).all():
        print("homesim: note: no unit costs in these scenarios; every cost is 0 "
              "(extend scenarios/costs_denmark.yaml)", file=sys.stderr)
    if not args.quiet:
        for v in cmp.verdicts.itertuples():
            print(f"{v.alternative} vs {v.base}: {v.words}")
        print(f"wrote {args.out}/ (report.html, report.md, comparison.csv, runs.csv, "
              "figures, manifest.json)")
    return 0
