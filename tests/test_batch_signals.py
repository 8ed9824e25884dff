"""SIGTERM and SIGINT stop a batch in order: no process left, runs kept, resumable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

from sim.batch import execute, load_batch, open_results
from sim.cli import main
from tests.batch_helpers import small_scenario, write_batch, write_yaml

psutil = pytest.importorskip("psutil")

ROOT = Path(__file__).resolve().parents[1]
RUNS = 24


def _run_files(out: Path) -> list[Path]:
    base = out / "runs"
    return (
        [p for p in base.rglob("*.parquet") if not p.name.startswith(".")] if base.exists() else []
    )


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running (a zombie has exited, but must be reaped: counted alive)."""
    out = []
    for p in procs:
        try:
            if p.is_running():
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_stops_workers_keeps_runs_and_resumes_bit_for_bit(tmp_path, signum, code):
    write_yaml(tmp_path / "small.yaml", small_scenario(years=2))
    path = write_batch(tmp_path, replications=RUNS // 4)
    out = tmp_path / "stopped"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "batch",
            str(path),
            "--out",
            str(out),
            "--workers",
            "2",
            "--quiet",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    helpers: dict[int, psutil.Process] = {}
    while len(_run_files(out)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        for p in _descendants(proc.pid):  # workers, fork server, resource tracker
            helpers.setdefault(p.pid, p)
        time.sleep(0.01)
    for p in _descendants(proc.pid):
        helpers.setdefault(p.pid, p)
    assert proc.poll() is None, "the batch ended before it could be stopped"
    assert len(helpers) >= 3  # at least two workers and the fork server
    proc.send_signal(signum)
    proc.wait(timeout=60)
    err = proc.stderr.read().decode()
    assert proc.returncode == code, err
    name = signal.Signals(signum).name
    assert err.strip().count("\n") == 0 and name in err and "resume" in err, err
    assert "Traceback" not in err
    assert _alive(list(helpers.values())) == []  # every child ended and was reaped
    kept = len(_run_files(out))
    assert 2 <= kept < RUNS
    assert (out / "summary.csv").exists()  # the summary of what was done

    assert main(["batch", str(path), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    resumed = open_results(out)
    whole = tmp_path / "whole"
    execute(load_batch(path).runs(), whole, workers=1, progress=False)
    ref = open_results(whole)
    assert len(_run_files(out)) == RUNS
    assert_frame_equal(resumed.summary, ref.summary)
    assert_frame_equal(resumed.weekly, ref.weekly)
    assert resumed.failures.empty
