"""``homesim dashboard [SCENARIO.yaml]``: the interactive dashboard in a local web page."""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import socket
import subprocess
import sys

from sim.commands import arguments
from sim.scenario.errors import ScenarioError

#: Packages of the optional ``viz`` extra that the page needs.
VIZ_PACKAGES = ("solara", "altair")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dashboard",
        help="open the interactive dashboard (needs the viz extra)",
        description="Serve an interactive page: levers (places, assigned homes, policies), "
        "a run you can step or run to the end, plots and the baseline beside "
        "it.",
    )
    p.add_argument(
        "scenario",
        metavar="SCENARIO.yaml",
        nargs="?",
        default=None,
        help="scenario to start from: a path or a shipped name "
        "(default: the shipped randers_baseline)",
    )
    p.add_argument(
        "--port", type=arguments.port, default=8765, help="port (default 8765; 0: any free)"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    p.add_argument("--seed", type=arguments.seed, default=0, help="root seed (default 0)")
    p.add_argument(
        "--years", type=arguments.years, default=None, help="horizon (default: the scenario's)"
    )
    p.add_argument(
        "--plans",
        metavar="DIR",
        default=None,
        help="plan results for the Plans tab: the --out of a 'homesim plan', or a folder "
        "holding several (default: results, where it exists)",
    )
    p.set_defaults(func=run)


def missing_viz_packages() -> list[str]:
    """The packages of the viz extra that are not installed."""
    return [m for m in VIZ_PACKAGES if importlib.util.find_spec(m) is None]


def free_port(host: str) -> int:
    """A port free on ``host`` now (for ``--port 0``)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def check_can_listen(host: str, port: int) -> None:
    """Refuse a port another program listens on, or a host this machine cannot listen on.

    The check comes before the server starts (and before its address is printed).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ScenarioError(f"--host {host!r}: not an address of this machine ({exc})") from None
    family, _, _, _, address = infos[0]
    try:
        with socket.create_server(address, family=family):  # sets SO_REUSEADDR, as servers do
            pass
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ScenarioError(
                f"--port {port}: the port is taken on {host} (another "
                "program listens there); choose another, or 0 for any free "
                "port"
            ) from None
        raise ScenarioError(
            f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})"
        ) from None


def server_command(host: str, port: int) -> list[str]:
    """The solara server command line that serves ``sim.dashboard:Page``."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "sim.dashboard:Page",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]


def server_env(
    scenario: str, seed: int, years: int | None, plans: str | None = None
) -> dict[str, str]:
    """Return the environment for the server.

    The dashboard's options; solara's telemetry and its banner off, the page titled
    "homesim".
    """
    from sim.dashboard import DEFAULT_PLANS, ENV_PLANS, ENV_SCENARIO, ENV_SEED, ENV_YEARS

    env = dict(os.environ)
    env.update(
        {
            ENV_SCENARIO: scenario,
            ENV_SEED: str(seed),
            ENV_PLANS: plans or os.path.abspath(DEFAULT_PLANS),
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
            "SOLARA_THEME_SHOW_BANNER": "False",
            "SOLARA_THEME_TITLE": "homesim",
        }
    )
    if years is not None:
        env[ENV_YEARS] = str(years)
    else:
        env.pop(ENV_YEARS, None)
    return env


def run(args: argparse.Namespace) -> int:
    missing = missing_viz_packages()
    if missing:
        print(
            f"homesim: error: the dashboard needs the optional viz packages "
            f"({', '.join(missing)} missing): run  .venv/bin/pip install -e '.[viz]'",
            file=sys.stderr,
        )
        return 2
    from sim.dashboard import DEFAULT_SCENARIO
    from sim.scenario.loader import load_scenario

    if args.years is not None and args.years < 1:
        raise ScenarioError("--years must be at least 1")
    from sim.shipped import locate

    path = os.path.abspath(locate(args.scenario)) if args.scenario else str(DEFAULT_SCENARIO)
    load_scenario(path)  # a bad file stops here, with the loader's message
    plans = None
    if args.plans is not None:
        plans = os.path.abspath(os.path.expanduser(args.plans))
        if not os.path.isdir(plans):
            raise ScenarioError(
                f"--plans {args.plans}: not a folder (expected the --out of a 'homesim "
                "plan', or a folder holding several)"
            )
    check_can_listen(args.host, args.port)  # port 0: checks the host only
    if args.port == 0:
        args.port = free_port(args.host)
    print(f"homesim dashboard: {path} at http://{args.host}:{args.port} (Ctrl-C stops)")
    proc = subprocess.Popen(
        server_command(args.host, args.port),
        env=server_env(path, args.seed, args.years, plans),
    )
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=10)
        return 130
