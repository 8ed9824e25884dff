"""``homesim validate SCENARIO.yaml ...``: check scenario files without running them."""

from __future__ import annotations

import argparse
import sys

from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario

#: Exit code when any file is bad (as for every user error).
EXIT_USER_ERROR = 2


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check scenario files and say what is wrong",
        description="Check scenario files (extends chains included) "
        "and report the first problem in each; exit code 2 if any "
        "file is bad.",
    )
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO.yaml")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check every file; report each bad one on its own line; 2 if any is bad."""
    bad = 0
    for path in args.scenarios:
        try:
            sc = load_scenario(path)
        except ScenarioError as exc:
            bad += 1
            print(f"homesim: error: {exc}", file=sys.stderr)
            continue
        phases = len(sc.phases) - 1
        extra = f", {phases} dated change(s)" if phases else ""
        print(f"{path}: ok ({sc.name}, hash {sc.hash[:12]}{extra})")
    if bad and len(args.scenarios) > 1:
        print(f"homesim: {bad} of {len(args.scenarios)} files have errors", file=sys.stderr)
    return EXIT_USER_ERROR if bad else 0
