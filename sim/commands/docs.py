"""``homesim docs``: regenerate docs/scenario-reference.md from the scenario schema."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    from sim.docs_reference import add_arguments

    p = sub.add_parser("docs", help="regenerate the scenario reference from the schema",
                       description="Write docs/scenario-reference.md (every scenario key "
                                   "with its type, default, unit and description).")
    add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sim.docs_reference import run_args

    return run_args(args)
