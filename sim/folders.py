"""Claiming a results folder: one command at a time, one kind of results per folder.

Every command that writes a results folder (``--out DIR``) claims it first with
:func:`claim_folder`, before any run starts:

- the path must be usable: not empty, not a file, not inside a file;
- an exclusive lock on ``DIR/.lock`` (``fcntl.flock``) is held for the whole command,
  so a second command on the same folder stops at once (exit 2, naming the lock)
  instead of mixing its results with the first one's; the kernel drops the lock when
  the process ends, however it ends, so a crash never leaves a stale lock;
- a folder that already holds results is refused unless they are the same command's
  results of the same plan (``DIR/.homesim.json`` records both; it is how a stopped
  command resumes): another command's,
  another batch's or another plan's results are kept unless ``--force`` is given,
  which replaces the folder's contents whole.

If the command created the folder and then stops on bad input (ScenarioError: an
option or column found wrong only after some runs, an unreachable scheduler), the
folder is removed again: nothing is left. Other failures and interruptions keep
the finished runs, so that the same command resumes.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario.errors import ScenarioError


def slug(name: str) -> str:
    """A folder-safe form of a scenario name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("_") or "_"


LOCK_NAME = ".lock"
#: The claim's own record of what the folder holds (command kind and plan), kept apart
#: from ``manifest.json`` so that whichever module writes the manifest, a rerun of the
#: same command and plan is recognised.
MARK_NAME = ".homesim.json"
MANIFEST = "manifest.json"
#: Files of the claim itself: a folder holding only these holds no results.
OWN_FILES = frozenset({LOCK_NAME, MARK_NAME})


@dataclass
class Claim:
    """A claimed results folder: its path, and whether this command created it."""

    root: Path
    created: bool
    lock_path: Path
    previous: dict[str, Any] | None = None

    @property
    def resuming(self) -> bool:
        """True when the folder already held this command's results of this plan."""
        return self.previous is not None


def out_argument(text: str) -> Path | str:
    """The argparse type of ``--out``: a path, but an empty text stays empty.

    (``Path("")`` would be the current folder, so an empty ``--out ""`` would write
    there; :func:`check_out_path` refuses it with a message instead.)
    """
    return Path(text) if text.strip() else ""


def check_out_path(out: str | Path | None, flag: str = "--out") -> Path:
    """The results folder as a path, or ScenarioError if it can never be one.

    Refused: an empty path, an existing file, and a path below a file.
    """
    if out is None or str(out).strip() == "":
        raise ScenarioError(f"{flag} expects a folder name, got an empty path")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ScenarioError(f"{flag} expects a folder, but {path} is a file")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ScenarioError(f"{flag} expects a folder, but {parent} (in {path}) is a file")
            if not os.access(parent, os.W_OK | os.X_OK) and not path.exists():
                raise ScenarioError(f"{flag}: cannot create {path}: {parent} is not writable")
            break
    return path


def plan_of(*parts: Any) -> str:
    """A hash of what a command computes (scenario hashes, seeds, counts, options)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@contextmanager
def claim_folder(
    out: str | Path, command: str, plan: str | None = None, force: bool = False, flag: str = "--out"
) -> Iterator[Claim]:
    """Hold ``out`` for this command: checked, locked, and free of other results.

    Args:
        out: the results folder (created if missing).
        command: the command kind (``batch``, ``compare``, ``run``...), compared with
            the ``kind`` of an existing ``manifest.json``.
        plan: a hash of what the command will compute; a folder of the same command
            but another plan is refused too. None: the command cannot resume, so any
            earlier results are refused.
        force: replace earlier results whole instead of refusing them.
        flag: the option that named the folder, for messages.

    Yields a :class:`Claim`. Raises ScenarioError (exit 2) if the folder is held by
    another command or holds other results.
    """
    root = check_out_path(out, flag)
    created = not root.exists()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(f"{flag}: cannot create {root}: {exc.strerror}") from None
    lock_path = root / LOCK_NAME
    fd = _lock(lock_path, created, root)
    try:
        previous = _check_contents(root, command, plan, force, flag)
        _mark(root, command, plan)
        claim = Claim(root, created, lock_path, previous)
        try:
            yield claim
        except ScenarioError:
            if created:  # bad input found late: leave nothing behind
                clear_folder(root)
                _remove_folder(root, fd)
                fd = None
            raise
        except BaseException:
            if created and _only_own(root):
                _remove_folder(root, fd)
                fd = None
            raise
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock


def _lock(lock_path: Path, created: bool, root: Path) -> int:
    """Open and lock ``lock_path`` without waiting; ScenarioError if another holds it."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise ScenarioError(f"cannot open the lock file {lock_path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise ScenarioError(
                f"the results folder {root} is in use by another homesim "
                f"command (it holds the lock {lock_path}); wait for it to "
                "finish or choose another --out folder"
            ) from None
        raise ScenarioError(f"cannot lock {lock_path}: {exc.strerror}") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _mark(root: Path, command: str, plan: str | None) -> None:
    """Record what this folder holds (see :data:`MARK_NAME`)."""
    from sim.results_io import now_iso, write_json

    write_json(
        root / MARK_NAME, {"kind": command, "plan": plan, "claimed": now_iso(), "pid": os.getpid()}
    )


def read_kind(root: Path) -> dict[str, Any] | None:
    """What a results folder holds: its claim record, else its manifest, else None.

    An unreadable record or manifest is ``{}`` (results of an unknown kind).
    """
    for name in (MARK_NAME, MANIFEST):
        path = root / name
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}
    return None


def _check_contents(
    root: Path, command: str, plan: str | None, force: bool, flag: str
) -> dict[str, Any] | None:
    """Refuse, replace or accept what the folder already holds (see :func:`claim_folder`).

    Returns the earlier manifest when the folder holds this same command and plan.
    """
    if _only_own(root):
        return None
    old = read_kind(root)
    if (
        old is not None
        and plan is not None
        and old.get("kind", command) == command
        and old.get("plan") == plan
    ):
        return old
    if not force:
        raise ScenarioError(
            f"{flag} {root} already holds {_describe(old, command, plan)}; "
            "choose another folder, or give --force to replace its "
            "contents"
        )
    clear_folder(root)
    return None


def _describe(old: dict[str, Any] | None, command: str, plan: str | None) -> str:
    if old is None:
        return "files that are not homesim results"
    kind = old.get("kind") or _kind_from_command(old.get("command"))
    if kind == command and plan is not None:
        return (
            f"the results of a different {command} (its runs, scenarios, seeds or options differ)"
        )
    if kind == command:
        return f"the results of an earlier {command}"
    return f"the results of 'homesim {kind}'" if kind else "results of another command"


def _kind_from_command(text: Any) -> str | None:
    """The subcommand of a manifest's ``command`` line (manifests without ``kind``)."""
    if not isinstance(text, str):
        return None
    words = text.split()
    return words[1] if len(words) > 1 and words[0] == "homesim" else None


def _only_own(root: Path) -> bool:
    """True when the folder holds no results, only the claim's own files."""
    return all(p.name in OWN_FILES for p in root.iterdir())


def clear_folder(root: Path) -> None:
    """Delete everything in ``root`` but the lock file (``--force``)."""
    for p in root.iterdir():
        if p.name == LOCK_NAME:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


def _remove_folder(root: Path, fd: int) -> None:
    """Remove a folder this command created and left empty (but for its own files)."""
    (root / MARK_NAME).unlink(missing_ok=True)
    (root / LOCK_NAME).unlink(missing_ok=True)
    os.close(fd)
    with suppress(OSError):
        root.rmdir()
