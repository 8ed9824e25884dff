"""``homesim report RESULTS_DIR``: one self-contained HTML report of a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.commands import arguments
from sim.report import folder_report


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write a report (HTML and Markdown) of a results folder",
        description="Read a results folder of homesim run, batch, compare, psa, calibrate "
        "or sensitivity and write one self-contained HTML page (figures "
        "embedded) and a Markdown twin: DIR/report.html and DIR/report.md, "
        "or FILE.html and FILE.md with --out.",
    )
    p.add_argument("results", type=Path, metavar="RESULTS_DIR")
    p.add_argument(
        "--out",
        type=arguments.out_path,
        default=None,
        metavar="FILE",
        help="report path (.html; the Markdown twin gets .md); an existing "
        "folder gets report.html and report.md",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path, kind = folder_report(args.results, args.out)
    print(f"wrote {path} and {path.with_suffix('.md')} ({kind} folder)")
    return 0
