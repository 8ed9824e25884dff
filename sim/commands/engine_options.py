"""The engine options every heavy command shares, defined once.

``batch``, ``compare``, ``psa``, ``calibrate``, ``sensitivity`` and ``plan`` call
:func:`add_engine_options` so that each has the same ``--workers``, ``--scheduler``,
``--force``, ``--allow-large`` and ``--quiet``, with the same meaning, and
:func:`engine_workers` to check them against the plan before anything runs. They live
beside the commands, not in :mod:`sim.batch`, so that the engine knows nothing of the
command line.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from sim.commands import arguments
from sim.resources import check_resources
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario


def add_engine_options(parser: argparse.ArgumentParser, workers: int | None = 1) -> None:
    """Add the options of where and how runs happen (default ``workers``; None: cores)."""
    g = parser.add_argument_group("running the runs")
    default = "one per core" if workers is None else str(workers)
    g.add_argument(
        "--workers",
        "-w",
        type=arguments.workers,
        default=workers,
        metavar="N",
        help=f"local worker processes (default {default}; 1 runs in this "
        "process); more than the cores is capped unless --allow-large",
    )
    g.add_argument(
        "--scheduler",
        type=arguments.scheduler,
        metavar="ADDRESS",
        default=None,
        help="run on a Dask cluster instead, e.g. tcp://10.0.0.5:8786",
    )
    add_folder_options(g)
    g.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress display (else a bar on a terminal, a line every few seconds in a log)",
    )


def add_folder_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--force`` and ``--allow-large``, for every command that writes runs to a folder."""
    parser.add_argument(
        "--force", action="store_true", help="replace the results folder if it holds other results"
    )
    parser.add_argument(
        "--allow-large",
        action="store_true",
        help="start a plan larger than this machine seems able to run "
        "(more runs, memory or workers than the checks allow)",
    )


def engine_workers(
    args: argparse.Namespace,
    scenarios: Iterable[LoadedScenario],
    runs: int,
    years: int | None = None,
    runs_flag: str = "--replications",
) -> int:
    """The local workers to use, after checking the plan against this machine.

    Raises ScenarioError (exit 2) for a worker count below 1, too many runs or too
    much memory (see :mod:`sim.resources`); more workers than cores are capped.
    """
    if args.workers is not None and args.workers < 1:
        raise ScenarioError("--workers must be at least 1")
    return check_resources(
        list(scenarios),
        runs,
        args.workers,
        years,
        args.allow_large,
        local=args.scheduler is None,
        runs_flag=runs_flag,
    )


def show_progress(args: argparse.Namespace) -> bool:
    """Progress is shown unless ``--quiet``."""
    return not getattr(args, "quiet", False)


def result_options(args: argparse.Namespace, *leave_out: str) -> dict:
    """A command's options but those that never change its results.

    Left out: where the runs happen, progress, ``--force``. What is kept is part of the
    plan a results folder holds.
    """
    skip = {"func", "quiet", "force", "workers", "scheduler", "allow_large", *leave_out}
    return {k: v for k, v in vars(args).items() if k not in skip}
