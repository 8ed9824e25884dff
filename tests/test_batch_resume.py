"""A batch killed with SIGKILL part way resumes to the tables of an uninterrupted batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pandas.testing import assert_frame_equal

from sim.batch import execute, load_batch, open_results
from sim.cli import main
from tests.batch_helpers import small_scenario, write_batch, write_yaml

ROOT = Path(__file__).resolve().parents[1]


def _run_files(out: Path) -> list[Path]:
    return (
        [p for p in (out / "runs").rglob("*.parquet") if not p.name.startswith(".")]
        if (out / "runs").exists()
        else []
    )


def test_killed_batch_resumes_without_loss_or_duplicates(tmp_path):
    write_yaml(tmp_path / "small.yaml", small_scenario(years=2))
    path = write_batch(tmp_path, replications=6)  # 4 points x 6 = 24 runs
    out = tmp_path / "killed"
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
            "1",
            "--quiet",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(_run_files(out)) < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = len(_run_files(out))
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    assert 4 <= written < 24  # killed part way, with some runs on disk

    assert main(["batch", str(path), "--out", str(out), "--workers", "2", "--quiet"]) == 0
    resumed = open_results(out)
    assert len(_run_files(out)) == 24
    assert not resumed.summary.duplicated(["scenario", "point", "replication"]).any()

    batch = load_batch(path)
    execute(batch.runs(), tmp_path / "whole", workers=1, progress=False)
    whole = open_results(tmp_path / "whole")
    assert_frame_equal(resumed.summary, whole.summary)
    assert_frame_equal(resumed.weekly, whole.weekly)
    assert resumed.failures.empty
