"""Claiming a results folder: one command at a time, no mixing, nothing left on refusal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

from sim.batch import execute, load_batch, open_results
from sim.cli import main
from sim.folders import LOCK_NAME, OWN_FILES, claim_folder
from sim.scenario.errors import ScenarioError
from tests.batch_helpers import small_scenario, write_batch, write_yaml

ROOT = Path(__file__).resolve().parents[1]


def _start_batch(path: Path, out: Path, cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "batch",
            str(path),
            "--out",
            str(out),
            "--workers",
            "1",
            "--quiet",
        ],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_two_batches_started_together_one_runs_the_other_names_the_lock(tmp_path):
    """Two different batches (seeds 7 and 8) on one folder, started at the same moment.

    A batch of 24 runs takes seconds while both processes reach the claim within a
    fraction of one, so the second always meets the first's lock.
    """
    write_yaml(tmp_path / "small.yaml", small_scenario(years=2))
    a = write_batch(tmp_path, replications=6)
    b_dir = tmp_path / "b"
    b_dir.mkdir()
    write_yaml(b_dir / "small.yaml", small_scenario(years=2))
    b = write_batch(b_dir, replications=6, seed=8)
    out = tmp_path / "shared"
    procs = {"a": _start_batch(a, out, tmp_path), "b": _start_batch(b, out, b_dir)}
    results = {k: (p.wait(timeout=300), p.stderr.read().decode()) for k, p in procs.items()}
    codes = sorted(code for code, _ in results.values())
    assert codes == [0, 2], results
    winner = next(k for k, (code, _) in results.items() if code == 0)
    loser_err = next(err for code, err in results.values() if code == 2)
    assert LOCK_NAME in loser_err and "in use by another homesim command" in loser_err
    assert loser_err.count("\n") == 1 and "Traceback" not in loser_err

    whole = tmp_path / "whole"
    execute(load_batch(a if winner == "a" else b).runs(), whole, workers=1, progress=False)
    got, ref = open_results(out), open_results(whole)
    assert_frame_equal(got.summary, ref.summary)
    assert_frame_equal(got.weekly, ref.weekly)
    assert got.manifest["seeds"]["root"] == (7 if winner == "a" else 8)


def test_a_held_folder_is_refused_naming_the_lock(tmp_path, capsys):
    path = write_batch(tmp_path, replications=1, sweep=None)
    out = tmp_path / "held"
    with claim_folder(out, "batch"):
        assert main(["batch", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(out / LOCK_NAME) in err and err.count("\n") == 1
    assert {p.name for p in out.iterdir()} <= OWN_FILES  # nothing written


def test_another_commands_folder_is_refused_and_force_replaces_it(tmp_path, capsys):
    write_yaml(tmp_path / "small.yaml", small_scenario())
    path = write_batch(tmp_path, replications=1, sweep=None)
    out = tmp_path / "r"
    assert main(["run", str(tmp_path / "small.yaml"), "-n", "2", "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    assert main(["batch", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "'homesim run'" in err and "--force" in err
    assert (out / "weekly.parquet").exists() and not (out / "runs").exists()
    assert main(["batch", str(path), "--out", str(out), "--quiet", "--force"]) == 0
    assert not (out / "weekly.parquet").exists()  # replaced whole
    assert open_results(out).manifest["kind"] == "batch"


def test_a_different_batch_in_the_folder_is_refused(tmp_path, capsys):
    path = write_batch(tmp_path, replications=1, sweep=None)
    out = tmp_path / "o"
    assert main(["batch", str(path), "--out", str(out), "--quiet"]) == 0
    other = write_batch(tmp_path, replications=1, sweep=None, seed=99)
    capsys.readouterr()
    assert main(["batch", str(other), "--out", str(out), "--quiet"]) == 2
    assert "different batch" in capsys.readouterr().err
    assert open_results(out).manifest["seeds"]["root"] == 7


def test_a_folder_with_foreign_files_is_refused(tmp_path, capsys):
    path = write_batch(tmp_path, replications=1, sweep=None)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("not to be lost")
    assert main(["batch", str(path), "--out", str(out), "--quiet"]) == 2
    assert "not homesim results" in capsys.readouterr().err
    assert (out / "thesis.docx").read_text() == "not to be lost"


@pytest.mark.parametrize(
    "out, words",
    [("", "empty path"), ("batch.yaml", "is a file"), ("batch.yaml/inside", "is a file")],
)
def test_unusable_out_is_refused_before_any_run(tmp_path, monkeypatch, capsys, out, words):
    path = write_batch(tmp_path, replications=1, sweep=None)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["batch", str(path), "--out", out, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and words in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_unreachable_scheduler_leaves_nothing(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    path = write_batch(tmp_path, replications=1, sweep=None)
    out = tmp_path / "nowhere"
    assert (
        main(["batch", str(path), "--out", str(out), "--scheduler", "tcp://127.0.0.1:1", "--quiet"])
        == 2
    )
    err = capsys.readouterr().err
    assert "--scheduler" in err and "tcp://127.0.0.1:1" in err
    assert not out.exists()


def test_claim_releases_the_lock_and_a_failed_claim_removes_its_folder(tmp_path):
    out = tmp_path / "c"
    with pytest.raises(ScenarioError), claim_folder(out, "batch"):
        raise ScenarioError("found late")
    assert not out.exists()
    with claim_folder(out, "batch", plan="p"):
        (out / "manifest.json").write_text('{"kind": "batch", "plan": "p"}')
    with claim_folder(out, "batch", plan="p") as again:  # the lock was released
        assert again.resuming
