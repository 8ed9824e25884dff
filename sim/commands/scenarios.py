"""``homesim scenarios list | show NAME | copy NAME DIR``: the shipped scenarios.

The scenarios, unit costs, batches and calibration targets that come with homesim are
package data (:mod:`sim.shipped`). ``copy`` is how a user starts a scenario of their own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.scenario.errors import ScenarioError
from sim.shipped import ShippedFile, shipped_files

KINDS = ("scenario", "costs", "batch", "targets")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scenarios",
        help="list, show or copy the scenarios shipped with homesim",
        description="The scenarios, unit costs, batches and calibration "
        "targets shipped with homesim. Any of them can be named "
        "without a path: `homesim run randers_baseline`.",
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = actions.add_parser("list", help="list the shipped files with their descriptions")
    ls.add_argument("--kind", choices=KINDS, default=None, help="only files of this kind")
    show = actions.add_parser("show", help="print a shipped file (YAML, with its comments)")
    show.add_argument("name", metavar="NAME")
    show.add_argument(
        "--merged",
        action="store_true",
        help="print the scenario as run: its extends chain merged and checked",
    )
    cp = actions.add_parser("copy", help="copy a shipped file into a folder, to edit it")
    cp.add_argument("name", metavar="NAME")
    cp.add_argument("dir", metavar="DIR", type=Path)
    cp.add_argument("--force", action="store_true", help="replace a file already there")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        return list_files(args.kind)
    found = find(args.name)
    if args.action == "show":
        return show(found, args.merged)
    return copy(found, args.dir, args.force)


def list_files(kind: str | None) -> int:
    """Print name, kind and description of each shipped file, one per line."""
    rows = [f for f in shipped_files() if kind is None or f.kind == kind]
    width = max((len(f.name) for f in rows), default=0)
    for f in rows:
        text = f.description if len(f.description) <= 72 else f.description[:69] + "..."
        print(f"{f.name:<{width}}  {f.kind:<8}  {text}")
    return 0


def find(name: str) -> ShippedFile:
    """The shipped file called ``name`` (``.yaml`` optional); a user error if none is."""
    stem = name.removesuffix(".yaml").removesuffix(".yml")
    matches = [f for f in shipped_files() if f.name == stem]
    if not matches:
        names = ", ".join(f.name for f in shipped_files())
        raise ScenarioError(f"no shipped file named '{name}' (shipped: {names})")
    return matches[0]  # scenarios first, then batches, then targets


def show(found: ShippedFile, merged: bool) -> int:
    """Print the file's text, or the merged and validated scenario."""
    if not merged:
        sys.stdout.write(found.path.read_text(encoding="utf-8"))
        return 0
    if found.kind not in ("scenario", "costs"):
        raise ScenarioError(f"--merged is for scenarios; '{found.name}' is a {found.kind} file")
    from sim.scenario.loader import load_scenario

    sys.stdout.write(load_scenario(found.path).to_yaml())
    return 0


def copy(found: ShippedFile, folder: Path, force: bool) -> int:
    """Copy the file into ``folder`` (made if missing), refusing to overwrite."""
    from sim.results_io import write_text

    if folder.exists() and not folder.is_dir():
        raise ScenarioError(f"{folder}: expected a folder to copy into, found a file")
    target = folder / found.path.name
    if target.exists() and not force:
        raise ScenarioError(f"{target} already exists (use --force to replace it)")
    write_text(target, found.path.read_text(encoding="utf-8"))
    note = _extends_note(found)
    print(f"wrote {target}{note}")
    return 0


def _extends_note(found: ShippedFile) -> str:
    """A hint that the copy still extends (or names) shipped files, which stay found."""
    if found.kind == "batch":
        return " (its scenarios are named as shipped; a file of that name beside it wins)"
    text = found.path.read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("extends:"):
            parent = line.split(":", 1)[1].split("#")[0].strip()
            return f" (it extends the shipped {parent}; a file of that name beside it wins)"
    return ""
