"""The scenarios, costs, batches and calibration targets shipped inside the package.

They are package data (``sim/scenarios/``), found with :mod:`importlib.resources`, so
they are there after a plain ``pip install`` and can be named without a path:
``homesim run randers_baseline``, ``extends: randers_baseline`` or
``sim.load_scenario("randers_baseline")``. A file of that name in the current folder
(or the path given) always wins over the shipped one.

Kinds and their folders: ``scenario`` (scenarios and unit-cost files, at the top),
``batch`` (``batches/``), ``targets`` (``targets/``) and ``plan`` (``plans/``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

#: The folder of each kind of shipped file, relative to the shipped root.
KIND_FOLDERS = {"scenario": "", "batch": "batches", "targets": "targets", "plan": "plans"}
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ShippedFile:
    """One shipped YAML file: its ``name`` (file stem), ``kind``, ``path`` and ``description``.

    The description is the file's ``description:`` line or first comment line (may be
    empty).
    """

    name: str
    kind: str
    path: Path
    description: str


def shipped_root() -> Path:
    """The folder holding the shipped files (inside the installed package)."""
    return Path(str(files("sim") / "scenarios"))


def shipped_files(kind: str | None = None) -> list[ShippedFile]:
    """Every shipped file of one kind (all kinds when ``kind`` is None), sorted by name."""
    kinds = [kind] if kind else list(KIND_FOLDERS)
    out = []
    for k in kinds:
        folder = shipped_root() / KIND_FOLDERS[k]
        for p in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
            data = _read(p)
            out.append(ShippedFile(p.stem, _kind_of(k, data), p, _description(p, data)))
    return out


def find_shipped(name: str, kind: str = "scenario") -> Path | None:
    """The shipped file called ``name`` (with or without ``.yaml``), or None."""
    stem = _stem(name)
    if not stem or "/" in stem or "\\" in stem:
        return None
    path = shipped_root() / KIND_FOLDERS[kind] / f"{stem}.yaml"
    return path if path.is_file() else None


def locate(source: str | Path, kind: str = "scenario") -> Path:
    """The file a user means by ``source``.

    The path itself when it exists or has a folder part, else the shipped file of that
    name, else the path unchanged (so the caller's "file not found" names what the user
    wrote).
    """
    path = Path(source)
    if path.exists() or len(path.parts) != 1:
        return path
    return find_shipped(str(source), kind) or path


def locate_near(base: Path, source: str, kind: str = "scenario") -> Path:
    """``source`` relative to the folder ``base``, as ``extends`` and batch entries name files.

    Relative to ``base`` when that file, or a bare name with ``.yaml`` added, exists
    there; else as :func:`locate` finds it.
    """
    near = base / source
    for candidate in (near, near.with_name(near.name + ".yaml")):
        if candidate.exists():
            return candidate
    return locate(source, kind)


def reference_to(file: Path, folder: Path) -> str:
    """How a file in ``folder`` names ``file`` in ``extends``.

    By name when ``file`` is a shipped scenario that the name finds from there, else by
    a relative path.
    """
    stem = file.stem
    if file.resolve() == (find_shipped(stem) or Path()).resolve() and locate_near(
        folder, stem
    ) == find_shipped(stem):
        return stem
    return os.path.relpath(file.resolve(), folder.resolve())


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _kind_of(kind: str, data: dict) -> str:
    """``costs`` for a top-level file that holds only unit costs, else the folder's kind."""
    if kind != "scenario":
        return kind
    keys = set(data)
    return "costs" if "costs" in keys and keys <= {"costs", "name", "description"} else kind


def _read(path: Path) -> dict:
    """The file's top-level mapping (empty if it is not one)."""
    import yaml  # only when listing: the command line starts without it

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _description(path: Path, data: dict) -> str:
    """The file's ``description`` on one line, else its first comment line."""
    text = data.get("description")
    if isinstance(text, str) and text.strip():
        return " ".join(text.split())
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""
