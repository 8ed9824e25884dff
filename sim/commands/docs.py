"""``homesim docs``: regenerate docs/scenario-reference.md from the scenario schema."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    from sim.docs_reference import add_arguments

    p = sub.add_parser(
        "docs",
        help="write the scenario reference (every key) from the schema",
        description="Write scenario-reference.md (every scenario key with its "
        "type, default, unit and description): into docs/ of a "
        "source checkout, else into the current folder or --out.",
    )
    add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sim.docs_reference import run_args

    return run_args(args)
