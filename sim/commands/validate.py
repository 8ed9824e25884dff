"""``homesim validate SCENARIO.yaml ...``: check scenario files without running them."""

from __future__ import annotations

import argparse

from sim.scenario.loader import load_scenario


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check scenario files and say what is wrong",
                       description="Check scenario files (extends chains included) "
                                   "and report the first problem in each.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO.yaml")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for path in args.scenarios:
        sc = load_scenario(path)
        phases = len(sc.phases) - 1
        extra = f", {phases} dated change(s)" if phases else ""
        print(f"{path}: ok ({sc.name}, hash {sc.hash[:12]}{extra})")
    return 0
