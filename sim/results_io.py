"""Writing results: atomic files and the manifest every results folder carries."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write via a temporary file in the same folder, fsync it, then rename over ``path``.

    A reader never sees a half-written file, an interrupted write leaves the old file
    (or none) in place, and a file that has appeared is on disk (fsynced before the
    rename, the folder after it), so a power cut never leaves a 0-byte result. The file
    gets the mode a plain ``open`` would give (0644 under the usual umask 022), not the
    0600 of a temporary file, so colleagues can read shared results.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~current_umask())
        _fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_path(path.parent)


def _fsync_path(path: str | Path) -> None:
    """Flush a file's (or a folder's) data and metadata to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot fsync a folder; the file itself was synced
        pass
    finally:
        os.close(fd)


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask (read by setting it and setting it back, under a lock)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8, atomically."""
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` as indented JSON, atomically."""
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Write ``df`` to ``path`` as Parquet without its index, atomically."""
    atomic_write(path, lambda p: df.to_parquet(p, index=False))


def write_csv(path: Path, df: pd.DataFrame) -> None:
    """Write ``df`` to ``path`` as CSV without its index, atomically."""
    atomic_write(path, lambda p: df.to_csv(p, index=False))


def manifest(
    scenarios: Mapping[str, Any],
    seeds: Mapping[str, Any],
    command: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a results folder: version, scenarios as run, hashes, seeds, time.

    ``scenarios`` maps names to :class:`LoadedScenario` objects. Besides the package
    version it records the versions of the main dependencies, the git commit of the
    source when it is a git checkout, and the platform, so that a result can be traced
    to the code that made it; :func:`finish` adds the finish time.
    """
    from sim import __version__

    return {
        "package": "homesim",
        "version": __version__,
        "command": command,
        "started": now_iso(),
        "python": platform.python_version(),
        "platform": platform_info(),
        "dependencies": dependency_versions(),
        "git_commit": git_commit(),
        "seeds": dict(seeds),
        "scenarios": {
            name: {"file": sc.file, "hash": sc.hash, "as_run": sc.raw}
            for name, sc in scenarios.items()
        },
        **(extra or {}),
    }


def now_iso() -> str:
    """The current UTC time to the second, ISO 8601."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def finish(data: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest with its finish time (UTC) set to now."""
    return {**data, "finished": now_iso()}


#: Distributions whose versions a manifest records (those that can change results).
MAIN_DEPENDENCIES = (
    "mesa",
    "numpy",
    "numba",
    "scipy",
    "pandas",
    "pyarrow",
    "pyyaml",
    "dask",
    "distributed",
)


def dependency_versions() -> dict[str, str | None]:
    """Installed versions of :data:`MAIN_DEPENDENCIES` (None when not installed)."""
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in MAIN_DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def platform_info() -> dict[str, str]:
    """Operating system, machine and Python implementation of this process."""
    return {
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "implementation": sys.implementation.name,
    }


_GIT: dict[str, str | None] = {}


def git_commit() -> str | None:
    """Commit of the source tree the package was imported from, if it is a git checkout.

    None for an installed wheel or when git is missing; a checkout with uncommitted
    changes gets ``+dirty`` appended.
    """
    if "commit" in _GIT:
        return _GIT["commit"]
    src = Path(__file__).resolve().parent.parent
    commit = None
    if (src / ".git").exists():
        try:
            head = subprocess.run(
                ["git", "-C", str(src), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            )
            dirty = subprocess.run(
                ["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            )
            commit = head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
        except (OSError, subprocess.SubprocessError):
            commit = None
    _GIT["commit"] = commit
    return commit


def plain(data: Any) -> Any:
    """``data`` as plain JSON values (numpy numbers and arrays become Python ones)."""
    return json.loads(json.dumps(data, default=_plain_default, allow_nan=True))


def _plain_default(x: Any) -> Any:
    if hasattr(x, "tolist"):
        return x.tolist()
    return str(x)
