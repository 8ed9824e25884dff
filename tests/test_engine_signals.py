"""SIGTERM and SIGINT stop the analysis commands in order too: no child left, runs kept,
and the same command then finishes with the numbers of an uninterrupted one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from sim.cli import main
from tests.test_engine_backends import small
from tests.test_psa import scenarios as psa_scenarios

psutil = pytest.importorskip("psutil")

ROOT = Path(__file__).resolve().parents[1]


def _files(tmp_path: Path, command: str) -> list[str]:
    if command == "compare":
        pairs = [("base", small(p_exit=0.02)), ("alt", small("alt", 0.04))]
    else:
        pairs = [(sc.name, sc.raw) for sc in psa_scenarios()]
    out = []
    for name, data in pairs:
        path = tmp_path / f"{name}.yaml"
        path.write_text(json.dumps(data))
        out.append(str(path))
    return out


def _cached(out: Path) -> int:
    base = out / "runs"
    return (
        len([p for p in base.rglob("*.json") if not p.name.startswith(".")]) if base.exists() else 0
    )


@pytest.mark.parametrize(
    "command, options, table, signum",
    [
        ("compare", ["-n", "30"], "runs.csv", signal.SIGTERM),
        ("psa", ["--draws", "30"], "outcomes.csv", signal.SIGINT),
    ],
)
def test_analysis_command_stops_in_order_and_resumes(tmp_path, command, options, table, signum):
    files = _files(tmp_path, command)
    out = tmp_path / "stopped"
    args = [command, *files, *options, "--workers", "2", "-q", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen: dict[int, psutil.Process] = {}
    deadline = time.monotonic() + 120
    while _cached(out) < 2 and proc.poll() is None and time.monotonic() < deadline:
        for p in psutil.Process(proc.pid).children(recursive=True):
            seen.setdefault(p.pid, p)
        time.sleep(0.01)
    assert proc.poll() is None, "the command ended before it could be stopped"
    proc.send_signal(signum)
    proc.wait(timeout=60)
    err = proc.stderr.read().decode()
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err and signal.Signals(signum).name in err
    assert [p for p in seen.values() if p.is_running()] == []
    assert 2 <= _cached(out) < 60 and not (out / table).exists()

    assert main(args) == 0
    whole = tmp_path / "whole"
    assert main([*args[:-1], str(whole), "--workers", "1"]) == 0
    assert_frame_equal(pd.read_csv(out / table), pd.read_csv(whole / table), check_exact=True)


def test_a_stop_lost_inside_a_callback_stops_at_the_next_run():
    """A handler that runs inside a C callback cannot raise: the stop must not be lost.

    numba's compiler calls back into Python while it writes its cache; a SIGTERM that
    lands there is printed and dropped, and later signals are ignored. The engine checks
    after every run, so the command still stops, at the next run.
    """
    from sim.batch.engine import Engine
    from sim.batch.runs import RunSpec
    from sim.batch.shutdown import Stopped, check_stop, stopping_on_signals

    specs = [RunSpec(small(), "base", replication=r, seed=0, years=1) for r in range(3)]
    with stopping_on_signals():
        try:  # the stop raised where it cannot get out, as in a C callback
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
        except Stopped:
            pass
        with pytest.raises(Stopped) as stop, Engine(1) as engine:
            engine.run(specs)
        assert stop.value.signum == signal.SIGTERM
    check_stop()  # outside the command nothing is pending
