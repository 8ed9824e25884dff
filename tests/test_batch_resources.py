"""The resource estimate refuses plans this machine cannot run, before anything runs."""

from __future__ import annotations

import pytest

import sim
from sim import resources
from sim.cli import main
from sim.scenario.errors import ScenarioError
from tests.batch_helpers import small_scenario, write_batch, write_yaml


def test_citizens_per_run_counts_start_entrants_and_scale():
    sc = sim.load_scenario(
        {**small_scenario(years=2), "setting": {"years": 2, "start_year": 2015, "scale": 10}}
    )
    start = 150 + 80 + 10 + 20 + 20 + 5
    assert resources.citizens_per_run(sc) == (start + 2.0 * 52 * 2) * 10
    assert resources.citizens_per_run(sc, years=1) == (start + 2.0 * 52) * 10


def test_a_run_too_large_for_the_memory_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(resources, "available_memory", lambda: 2**30)
    big = {**small_scenario(), "setting": {"years": 1, "start_year": 2015, "scale": 10000}}
    write_yaml(tmp_path / "big.yaml", big)
    out = tmp_path / "o"
    assert main(["run", str(tmp_path / "big.yaml"), "--out", str(out)]) == 2  # not run
    err = capsys.readouterr().err
    assert "3,890,000 citizens" in err and "--allow-large" in err and "GiB" in err
    assert err.count("\n") == 1 and not out.exists()


def test_too_many_runs_are_refused_unless_allowed(tmp_path, capsys):
    path = write_batch(tmp_path, replications=10**5)  # the most a batch file may ask
    assert main(["batch", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "400,000 runs" in err and "replications in" in err and "--allow-large" in err
    assert not (tmp_path / "o").exists()
    sc = sim.load_scenario(small_scenario())
    with pytest.raises(ScenarioError, match="--replications"):
        resources.check_resources([sc], 10**9, 1)
    assert resources.check_resources([sc], 10**9, 1, allow_large=True) == 1


def test_more_workers_than_cores_are_capped_with_a_note(monkeypatch, capsys):
    monkeypatch.setattr(resources, "cores", lambda: 2)
    sc = sim.load_scenario(small_scenario())
    assert resources.check_resources([sc], 100, 64) == 2
    assert "--workers 64 is more than the 2 cores" in capsys.readouterr().err
    assert resources.check_resources([sc], 100, 64, allow_large=True) == 64
    assert resources.check_resources([sc], 100, None) == 2
    assert resources.check_resources([sc], 100, 64, local=False) == 64  # Dask: not ours
