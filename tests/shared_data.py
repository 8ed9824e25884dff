"""Where the shared real-data files are: ``shared/data`` beside or above the repository.

The project ships no data. Its tests read the copies kept outside the repository
(``../shared/data`` from its root in CI, ``../../shared/data`` from a worktree), found by
walking up from the repository root; tests that need them skip, saying why, if absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """The first ``shared/data`` folder in the repository root or one of its parents."""
    for folder in (ROOT, *ROOT.parents):
        candidate = folder / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


def data_file(relative: str) -> Path:
    """A shared data file, or skip the test with the reason."""
    base = shared_data_dir()
    if base is None:
        pytest.skip(
            f"no shared/data folder found above {ROOT} (the real data are kept "
            "outside the repository)"
        )
    path = base / relative
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    return path
