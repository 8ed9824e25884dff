"""Writing results: atomic files and the manifest every results folder carries."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write via a temporary file in the same folder, then rename over ``path``.

    A reader never sees a half-written file, and an interrupted write leaves the old
    file (or none) in place.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    atomic_write(path, lambda p: df.to_parquet(p, index=False))


def write_csv(path: Path, df: pd.DataFrame) -> None:
    atomic_write(path, lambda p: df.to_csv(p, index=False))


def manifest(scenarios: Mapping[str, Any], seeds: Mapping[str, Any], command: str,
             extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The manifest of a results folder: version, scenarios as run, hashes, seeds, time.

    ``scenarios`` maps names to :class:`LoadedScenario` objects.
    """
    from sim import __version__
    return {
        "package": "homesim",
        "version": __version__,
        "command": command,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "seeds": dict(seeds),
        "scenarios": {name: {"file": sc.file, "hash": sc.hash, "as_run": sc.raw}
                      for name, sc in scenarios.items()},
        **(extra or {}),
    }
