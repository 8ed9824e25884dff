"""One engine: compare, psa and calibrate give the same numbers bit for bit serially, on
2 local processes and on a Dask cluster; run_many keeps order and resumes from its cache."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import chain_scenario
from pandas.testing import assert_frame_equal

import sim
from sim.batch import RunSpec, run_many
from sim.batch.cache import RunCache, run_digest
from sim.calibration import calibrate, load_targets
from sim.cli import main
from sim.psa import run_psa
from tests.engines import against_serial, on_every_backend
from tests.test_psa import scenarios as psa_scenarios


def small(name: str = "base", p_exit: float = 0.02) -> dict:
    d = chain_scenario(
        {"shelter": 60, "at_risk": 30, "own": 150, "rough": 10},
        {
            "shelter": {"own": p_exit, "rough": 0.01},
            "rough": {"shelter": 0.05},
            "at_risk": {"shelter": 0.01, "own": 0.02},
            "own": {"at_risk": 0.005},
        },
        years=2,
    )
    d["name"] = name
    d["costs"] = {"situations": {"shelter": {"price": 1000.0}}}
    return d


def test_compare_is_the_same_on_every_backend(dask_client):
    def tables(**engine) -> dict[str, pd.DataFrame]:
        cmp = sim.compare(small(), [small("alt", 0.04)], replications=3, seed=5, **engine)
        keys = ("runs", "differences", "table", "yearly", "weekly", "nmb")
        return {k: getattr(cmp, k) for k in keys}

    got = on_every_backend(tables, dask_client)
    for b, other, serial in against_serial(got):
        for k, ref in serial.items():
            assert_frame_equal(other[k], ref, check_exact=True, obj=f"{b} {k}")
    assert len(got["serial"]["runs"]) == 6


def test_psa_is_the_same_on_every_backend(dask_client):
    got = on_every_backend(
        lambda **engine: run_psa(psa_scenarios(), draws=4, replications=1, seed=1, **engine),
        dask_client,
    )
    for b, other, serial in against_serial(got):
        assert_frame_equal(other.outcomes, serial.outcomes, check_exact=True, obj=b)
        assert_frame_equal(other.draws, serial.draws, check_exact=True, obj=b)
    assert got["serial"].outcomes["cost"].nunique() > 1  # the draws do differ


def test_calibrate_is_the_same_on_every_backend(dask_client):
    targets = load_targets(
        {
            "targets": [
                {"measure": "pit", "year": 2015, "observed": 70.0, "sd": 5.0},
                {"measure": "shelter_users", "year": 2016, "observed": 120.0, "sd": 10},
            ],
            "free": {"transitions.low.shelter.own": {"low": 0.005, "high": 0.06}},
        }
    )
    sc = sim.load_scenario(small())
    fits = on_every_backend(
        lambda **engine: calibrate(
            sc, targets, "optimize", replications=2, budget=6, seed=3, **engine
        ),
        dask_client,
    )
    for b, other, serial in against_serial(fits):
        assert other.values == serial.values, b
        assert other.distance == serial.distance, b
        assert_frame_equal(other.trace, serial.trace, check_exact=True, obj=b)
        assert_frame_equal(other.table, serial.table, check_exact=True, obj=b)
    assert len(fits["serial"].trace) >= 4


def _specs() -> list[RunSpec]:
    sc = sim.load_scenario(small())
    return [RunSpec(sc, "base", 0, {}, k, seed=2, measure="rows") for k in (3, 0, 2, 0)]


def test_run_many_keeps_order_and_repeats(tmp_path):
    outs = run_many(_specs(), workers=2)
    assert [o.spec.replication for o in outs] == [3, 0, 2, 0]
    assert outs[1].summary == outs[3].summary  # the same run, run once
    assert outs[0].summary != outs[1].summary
    ref = sim.simulate.simulate(sim.load_scenario(small()), [3, 0, 2, 0], seed=2)
    assert_frame_equal(pd.DataFrame([o.summary for o in outs]), ref, check_exact=True)


def test_run_many_resumes_from_its_cache_and_redoes_broken_files(tmp_path):
    cache = tmp_path / "runs"
    first = run_many(_specs(), cache=cache)
    files = sorted(cache.rglob("*.json"))
    assert len(files) == 3 and all(f.stat().st_size > 0 for f in files)
    files[0].write_bytes(b"")  # a 0-byte file: not done
    files[1].write_text("{half")  # unreadable: not done
    again = run_many(_specs(), cache=cache)
    assert [o.summary for o in again] == [o.summary for o in first]
    ran = {run_digest(o.spec) for o in again if o.worker != 0}  # read ones have worker 0
    assert len(ran) == 2  # only the two broken runs ran again
    assert all(RunCache(cache).done(s) for s in _specs())


def test_compare_command_resumes_from_its_runs_folder(tmp_path, capsys):
    files = []
    for name, p in (("base", 0.02), ("alt", 0.04)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(json.dumps(small(name, p)))
        files.append(str(path))
    out = tmp_path / "cmp"
    args = ["compare", *files, "-n", "3", "--out", str(out), "-q"]
    assert main(args) == 0
    ref = pd.read_csv(out / "runs.csv")
    cached = sorted((out / "runs").rglob("*.json"))
    assert len(cached) == 6
    for f in cached[::2]:
        f.unlink()  # as if stopped part way
    assert main(args) == 0  # the same command on the same folder resumes
    assert_frame_equal(pd.read_csv(out / "runs.csv"), ref, check_exact=True)
    other = ["compare", *files, "-n", "4", "--out", str(out), "-q"]
    capsys.readouterr()
    assert main(other) == 2  # another plan: refused, the folder kept
    assert "different compare" in capsys.readouterr().err
    assert_frame_equal(pd.read_csv(out / "runs.csv"), ref, check_exact=True)


@pytest.mark.parametrize("command", ["compare", "psa", "calibrate", "sensitivity"])
def test_every_heavy_command_takes_the_engine_options(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    for flag in ("--workers", "--scheduler", "--force", "--allow-large", "--quiet"):
        assert flag in text, (command, flag)


def test_scheduler_on_an_analysis_command(tmp_path, dask_client):
    path = tmp_path / "s.yaml"
    d = small()
    d["transitions"]["low"]["shelter"]["own"] = {
        "value": 0.02,
        "source": "test",
        "low": 0.01,
        "high": 0.04,
    }
    path.write_text(json.dumps(d))
    serial, dask = tmp_path / "serial", tmp_path / "dask"
    assert main(["sensitivity", str(path), "-n", "1", "--out", str(serial), "-q"]) == 0
    assert (
        main(
            [
                "sensitivity",
                str(path),
                "-n",
                "1",
                "--out",
                str(dask),
                "-q",
                "--scheduler",
                dask_client.scheduler.address,
            ]
        )
        == 0
    )
    assert_frame_equal(
        pd.read_csv(Path(dask) / "one_way.csv"),
        pd.read_csv(Path(serial) / "one_way.csv"),
        check_exact=True,
    )


def test_unreachable_scheduler_on_compare_leaves_nothing(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    files = []
    for name in ("base", "alt"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(json.dumps(small(name)))
        files.append(str(path))
    out = tmp_path / "nowhere"
    assert (
        main(["compare", *files, "-n", "2", "--out", str(out), "--scheduler", "tcp://127.0.0.1:1"])
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tcp://127.0.0.1:1" in err
    assert not out.exists()
