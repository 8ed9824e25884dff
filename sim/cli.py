"""The ``homesim`` command line.

Each subcommand lives in its own module under ``sim.commands`` with two functions:
``add_parser(subparsers)`` and ``run(args) -> int``. User errors (bad scenario files,
bad options) print one clear message and exit with code 2, without a traceback.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
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
    """Run one command; user errors print one line and return 2, never a traceback."""
    import matplotlib

    matplotlib.use("Agg")  # the command line writes figures to files; no display needed
    parser = build_parser()
    for p in _parsers(parser):
        p.error = functools.partial(_one_line_error, p)  # type: ignore[method-assign]
    try:
        args = parser.parse_args(argv)
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe is reported here, not at interpreter exit
        return code
    except ScenarioError as exc:
        print(f"homesim: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except _UsageError:
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("homesim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe()


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parser and every subcommand's parser below it."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(_parsers(sub))
    return found


class _UsageError(Exception):
    """A bad option or argument, already reported; ``main`` returns exit code 2."""


def _one_line_error(parser: argparse.ArgumentParser, message: str) -> None:
    """argparse's error, as one line naming the command and option (exit code 2)."""
    print(f"{parser.prog}: error: {message} (see {parser.prog} --help)", file=sys.stderr)
    raise _UsageError(message)


def _quiet_broken_pipe() -> int:
    """The reader of our output went away (``homesim ... | head``): end quietly.

    Standard output is pointed at /dev/null so that Python's flush at exit does not
    raise again; exit code 141 is what a shell reports for SIGPIPE.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + 13


if __name__ == "__main__":
    sys.exit(main())
