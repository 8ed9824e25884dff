"""Argument types shared by every command: each option checked as its YAML twin is.

``--years`` takes the bounds of the scenario key ``setting.years``, ``--replications``
and ``--seed`` those batch files use (``sim.scenario.fields``), so a value refused in a
file is refused on the command line too, and the other way round. Each type raises
:class:`argparse.ArgumentTypeError`, which the command line prints as one line naming
the option and what was expected (exit code 2).
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import re
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from sim.scenario.fields import MAX_REPLICATIONS, MAX_SEED, bounds
from sim.scenario.schema import Setting

#: Most local worker processes (far above any core count; the run itself compares
#: workers with the cores it finds).
MAX_WORKERS = 1024
#: Dask scheduler protocols ``--scheduler`` accepts (``host:port`` means tcp).
SCHEDULER_PROTOCOLS = ("tcp", "tls", "ucx", "inproc", "ws", "wss")
_HOST = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def whole(low: int, high: int | None = None, what: str = "a whole number") -> Callable[[str], int]:
    """A type for whole numbers in [low, high] (``high`` None: no upper bound)."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip().replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < low or (high is not None and value > high):
            span = f"from {low:,} to {high:,}" if high is not None else f"of at least {low:,}"
            raise argparse.ArgumentTypeError(f"expected {what} {span}, got {text!r}")
        return value

    parse.__name__ = "whole number"
    return parse


def _years() -> Callable[[str], int]:
    low, high = bounds(Setting, "years")
    return whole(int(low or 1), None if high is None else int(high), "a number of years")


#: ``--years``: the bounds of ``setting.years`` (1 to 100).
years = _years()
#: ``--seed``: a non-negative root seed.
seed = whole(0, MAX_SEED, "a seed")
#: ``--replications``: at least one run, at most ``MAX_REPLICATIONS``.
replications = whole(1, MAX_REPLICATIONS, "a number of replications")
#: ``--workers``: at least one process.
workers = whole(1, MAX_WORKERS, "a number of worker processes")


def number(
    low: float | None = None, high: float | None = None, *, above: bool = False
) -> Callable[[str], float]:
    """A type for finite numbers in [low, high]; ``above`` makes ``low`` excluded."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        too_low = low is not None and (value <= low if above else value < low)
        if too_low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(
                f"expected a number {_span(low, high, above)}, got {text!r}"
            )
        return value

    parse.__name__ = "number"
    return parse


def _span(low: float | None, high: float | None, above: bool) -> str:
    if low is None:
        return f"of at most {high:g}"
    first = f"above {low:g}" if above else f"of at least {low:g}"
    return first if high is None else f"{first} and at most {high:g}"


def number_list(text: str) -> tuple[float, ...]:
    """Finite non-negative numbers separated by commas, e.g. ``0,500,1000``."""
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}")
    check = number(0)
    return tuple(check(x) for x in items)


def out_path(text: str) -> Path:
    """A results path: not empty (an empty name would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder name, got an empty one")
    if "\0" in text:
        raise argparse.ArgumentTypeError("expected a folder name, got one with a NUL character")
    return Path(text)


def port(text: str) -> int:
    """A TCP port from 1 to 65535, or 0 for any free port."""
    try:
        return whole(0, 65535)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a port from 1 to 65535 (or 0 for any free one), got {text!r}"
        ) from None


def scheduler(text: str) -> str:
    """A Dask scheduler address: ``[protocol://]host:port`` (protocol tcp by default)."""
    address = text.strip()
    protocol, sep, rest = address.partition("://")
    if not sep:
        protocol, rest = "tcp", address
    if protocol not in SCHEDULER_PROTOCOLS:
        raise argparse.ArgumentTypeError(
            f"expected an address such as tcp://10.0.0.5:8786 (protocols "
            f"{', '.join(SCHEDULER_PROTOCOLS)}), got {text!r}"
        )
    if protocol == "inproc":
        return address
    host, colon, port_text = rest.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if (
        not colon
        or not _valid_host(host)
        or not port_text.isdigit()
        or not 1 <= int(port_text) <= 65535
    ):
        raise argparse.ArgumentTypeError(
            f"expected an address such as tcp://10.0.0.5:8786 (host and a port from 1 to "
            f"65535), got {text!r}"
        )
    return address


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOST.match(host))


def command_line() -> str:
    """The command as typed (``homesim`` and its quoted arguments), for manifests."""
    return "homesim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
