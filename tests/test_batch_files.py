"""Result files: modes follow the umask, writes are fsynced, broken run files are redone."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

from sim.batch import execute, load_batch, open_results
from sim.batch.store import ResultsStore
from sim.cli import main
from sim.results_io import MAIN_DEPENDENCIES, write_text
from tests.batch_helpers import small_scenario, write_batch, write_yaml


@pytest.fixture
def umask():
    """Set the process umask for a test, and put the old one back."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def _modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*")}


@pytest.mark.parametrize(
    "mask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)]
)
def test_outputs_follow_the_umask(tmp_path, umask, mask, file_mode, dir_mode):
    write_yaml(tmp_path / "small.yaml", small_scenario())
    path = write_batch(tmp_path, replications=1, sweep=None)
    umask(mask)
    assert main(["batch", str(path), "--out", str(tmp_path / "b"), "--workers", "1", "-q"]) == 0
    assert (
        main(["run", str(tmp_path / "small.yaml"), "-n", "2", "-q", "--out", str(tmp_path / "r")])
        == 0
    )
    for folder in ("b", "r"):
        modes = _modes(tmp_path / folder)
        assert modes, folder
        for name, mode in modes.items():
            is_dir = (tmp_path / folder / name).is_dir()
            assert mode == (dir_mode if is_dir else file_mode), (folder, name, oct(mode))


def test_atomic_write_fsyncs_before_the_rename(tmp_path, monkeypatch):
    synced: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    target = tmp_path / "a.txt"
    write_text(target, "x")
    assert len(synced) == 2
    assert Path(synced[0]).name.startswith(".a.txt.") and synced[0].endswith(".tmp")
    assert Path(synced[1]) == tmp_path  # then the folder, so the rename is durable
    assert target.read_text() == "x"


def test_empty_or_broken_run_files_count_as_not_done(tmp_path):
    batch = load_batch(write_batch(tmp_path))
    runs = batch.runs()
    out = tmp_path / "o"
    execute(runs, out, workers=1, progress=False)
    store = ResultsStore(out)
    store.run_path(runs[0].key).write_bytes(b"")  # a disk that filled up
    store.run_path(runs[5].key).write_bytes(b"PAR1 cut short")  # a copy cut short
    res = open_results(out)  # the summary never crashes on them
    assert len(res.summary) == len(runs) - 2
    assert not store.is_done(runs[0].key) and not store.is_done(runs[5].key)
    report = execute(runs, out, workers=1, progress=False)
    assert (report.skipped, report.done) == (len(runs) - 2, 2)
    execute(runs, tmp_path / "whole", workers=1, progress=False)
    got, ref = open_results(out), open_results(tmp_path / "whole")
    assert_frame_equal(got.summary, ref.summary)
    assert_frame_equal(got.weekly, ref.weekly)


def test_manifest_records_versions_commit_platform_and_times(tmp_path):
    batch = load_batch(write_batch(tmp_path, replications=1, sweep=None))
    execute(
        batch.runs(), tmp_path / "m", workers=1, progress=False, manifest=batch.manifest("test")
    )
    m = open_results(tmp_path / "m").manifest
    assert set(m["dependencies"]) == set(MAIN_DEPENDENCIES)
    assert re.fullmatch(r"\d+\.\d+.*", m["dependencies"]["numpy"])
    assert m["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", m["git_commit"])
    assert m["platform"]["system"] and m["platform"]["machine"]
    assert m["kind"] == "batch" and m["finished"] >= m["started"]
