"""The ``homesim`` command line.

Each subcommand lives in its own module under ``sim.commands`` with two functions:
``add_parser(subparsers)`` and ``run(args) -> int``. User errors (bad scenario files,
bad options) print one clear message and exit with code 2, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import sim.commands
from sim.scenario.errors import ScenarioError

EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="homesim",
        description="Agent-based simulation of homelessness flows, policies and costs.")
    parser.add_argument("--version", action="version", version=f"homesim {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(sim.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"sim.commands.{info.name}")
        if hasattr(module, "add_parser"):
            module.add_parser(sub)
    return parser


def _version() -> str:
    from sim import __version__
    return __version__


def main(argv: list[str] | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")  # the command line writes figures to files; no display needed
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ScenarioError as exc:
        print(f"homesim: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("homesim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
