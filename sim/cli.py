"""The ``homesim`` command line.

Each subcommand lives in its own module under ``sim.commands`` with two functions:
``add_parser(subparsers)`` and ``run(args) -> int``. User errors (bad scenario files,
bad options) print one clear message and exit with code 2, without a traceback.

Start-up stays fast (``homesim --help`` and ``--version`` import no numpy, pandas or
Mesa): the subcommands are listed in the static table :data:`COMMANDS`, and only the
module of the command being run (or asked for ``--help``) is imported.
"""

from __future__ import annotations

import argparse
import functools
import os
import pkgutil
import sys
from importlib import import_module
from typing import Any

import sim.commands
from sim.scenario.errors import ScenarioError

EXIT_USER_ERROR = 2

#: Subcommand name -> its one-line help, as listed by ``homesim --help``. The module is
#: ``sim.commands.<name>``; a test checks this table against the modules.
COMMANDS: dict[str, str] = {
    "batch": "run a batch of scenarios, sweeps and replications",
    "calibrate": "fit free scenario parameters to observed figures",
    "compare": "compare scenarios on cost and effect (common random numbers)",
    "data": "turn real data files (Toronto, HUD) into tables and targets",
    "dashboard": "open the interactive dashboard (needs the viz extra)",
    "docs": "write the scenario reference (every key) from the schema",
    "evppi": "expected value of partial perfect information from a PSA folder",
    "forecast": "predictive intervals beyond the data from a posterior",
    "plan": "find the cheapest mix of places and support that reaches targets",
    "psa": "probabilistic sensitivity analysis over parameter distributions",
    "report": "write a report (HTML and Markdown) of a results folder",
    "run": "run replications of one scenario",
    "scenarios": "list, show or copy the scenarios shipped with homesim",
    "sensitivity": "one-way (tornado) or global (Sobol) sensitivity of an outcome",
    "validate": "check scenario files and say what is wrong",
    "validation": "published figures beside the model's, with a verdict for each",
}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``, importing only the module of the command it names.

    The command named in ``argv`` gets its full parser (its module is imported); every
    other command only its name and help line. With ``argv`` None, every command's
    module is imported and gets its full parser.
    """
    parser = argparse.ArgumentParser(
        prog="homesim",
        description="Agent-based simulation of homelessness flows, policies and costs.",
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = _command_in(argv) if argv is not None else None
    modules = command_modules()
    for name in sorted({*COMMANDS, *([wanted] if wanted in modules else [])}):
        module = import_module(f"sim.commands.{name}") if argv is None or name == wanted else None
        if module is not None and hasattr(module, "add_parser"):
            module.add_parser(sub)
        elif name in COMMANDS:
            sub.add_parser(name, help=COMMANDS[name], add_help=False)
    return parser


def command_modules() -> set[str]:
    """Names of the modules in ``sim.commands`` (found without importing them)."""
    return {m.name for m in pkgutil.iter_modules(sim.commands.__path__)}


def _command_in(argv: list[str]) -> str | None:
    """The subcommand named in ``argv``: its first word that is not an option."""
    return next((a for a in argv if not a.startswith("-")), None)


class _Version(argparse.Action):
    """``--version``: print ``homesim X.Y.Z`` and exit (the version is read only then)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from sim import __version__

        print(f"homesim {__version__}")
        parser.exit()


def main(argv: list[str] | None = None) -> int:
    """Run one command; user errors print one line and return 2, never a traceback."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    for p in _parsers(parser):
        p.error = functools.partial(_one_line_error, p)  # type: ignore[method-assign]
    try:
        args = parser.parse_args(argv)
        import matplotlib  # after parsing: --help and --version need no plotting

        matplotlib.use("Agg")  # the command line writes figures to files; no display needed
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
    """Argparse's error, as one line naming the command and option (exit code 2)."""
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
