"""The batch engine: every executor gives the same tables, runs resume, failures are kept."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pandas.testing import assert_frame_equal

import sim
from sim.batch import RunSpec, execute, load_batch, open_results
from sim.batch.store import ResultsStore
from sim.cli import main
from sim.scenario.errors import ScenarioError
from tests.batch_helpers import small_scenario, write_batch


def _tables(folder):
    res = open_results(folder)
    return res.summary, res.weekly


def _assert_same(a, b) -> None:
    assert_frame_equal(a[0], b[0])
    assert_frame_equal(a[1], b[1])


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return load_batch(write_batch(tmp_path_factory.mktemp("batch")))


@pytest.fixture(scope="module")
def serial(batch):
    """The reference: the batch run serially in this process (12 runs)."""
    out = Path(batch.file).parent / "serial"
    report = execute(batch.runs(), out, workers=1, progress=False)
    assert report.ok and report.done == 12
    return _tables(out)


def test_tables_are_tidy_and_complete(serial, batch):
    summary, weekly = serial
    assert len(summary) == 12
    assert list(summary.columns[:6]) == [
        "scenario",
        "point",
        "replication",
        "seed",
        "places.starter.capacity",
        "housing.assignments_per_week",
    ]
    assert not summary.duplicated(["scenario", "point", "replication"]).any()
    # grid order: the first key varies slowest
    points = summary.drop_duplicates("point").set_index("point")
    assert points["places.starter.capacity"].tolist() == [6, 6, 12, 12]
    assert points["housing.assignments_per_week"].tolist() == [1, 3, 1, 3]
    weeks = 52 + 1
    assert len(weekly) == 12 * weeks * 9 * 3 * 3  # situations x needs x age bands
    assert set(weekly.columns) == {
        "scenario",
        "point",
        "replication",
        "week",
        "year",
        "situation",
        "needs",
        "age_band",
        "count",
    }


def test_common_random_numbers_match_run_once(serial, batch):
    """Replication k of every point uses run_seed(root, k), as sim.run_once does."""
    summary, weekly = serial
    sc = sim.load_scenario(small_scenario()).with_overrides(
        {"places.starter.capacity": 12, "housing.assignments_per_week": 3}
    )
    ref = sim.run_once(sc, replication=2, seed=7)
    row = summary[(summary.point == 3) & (summary.replication == 2)].iloc[0]
    for key in ("homeless_days", "housed_days", "entries", "exits", "homeless_end"):
        assert row[key] == ref.summary[key]
    mine = weekly[(weekly.point == 3) & (weekly.replication == 2)]
    np.testing.assert_array_equal(mine["count"].to_numpy(), ref.weekly["count"].to_numpy())


def test_independent_seeds_differ_between_points(tmp_path):
    """seeds: independent keys the streams by (point, replication): no sharing."""
    common = load_batch(
        write_batch(tmp_path, sweep={"places.starter.capacity": [6, 6]}, replications=2)
    )
    write_batch(
        tmp_path, sweep={"places.starter.capacity": [6, 6]}, replications=2, seeds="independent"
    )
    indep = load_batch(tmp_path / "batch.yaml")
    execute(common.runs(), tmp_path / "c", workers=1, progress=False)
    execute(indep.runs(), tmp_path / "i", workers=1, progress=False)
    c, i = open_results(tmp_path / "c").summary, open_results(tmp_path / "i").summary
    # the two points are the same scenario: common seeds give equal runs, independent not
    assert c[c.point == 0].homeless_days.tolist() == c[c.point == 1].homeless_days.tolist()
    assert i[i.point == 0].homeless_days.tolist() != i[i.point == 1].homeless_days.tolist()
    assert c[c.point == 0].homeless_days.tolist() != i[i.point == 0].homeless_days.tolist()


def test_two_processes_equal_serial(batch, serial, tmp_path):
    report = execute(batch.runs(), tmp_path / "procs", workers=2, progress=False, chunk_size=2)
    assert report.ok and report.done == 12
    assert len({pid for pid, _ in report.memory}) == 2  # both workers took part
    _assert_same(_tables(tmp_path / "procs"), serial)


def test_dask_cluster_equals_serial(batch, serial, tmp_path, capsys, dask_client):
    """The same batch on a Dask cluster, given as a Client and as an address (CLI)."""
    report = execute(batch.runs(), tmp_path / "dask", scheduler=dask_client, progress=False)
    address = dask_client.scheduler.address
    cli = ["batch", batch.file, "--scheduler", address, "--out", str(tmp_path / "cli")]
    code = main([*cli, "--quiet"])
    assert report.ok and report.done == 12
    _assert_same(_tables(tmp_path / "dask"), serial)
    assert code == 0 and "12 done now" in capsys.readouterr().out
    _assert_same(_tables(tmp_path / "cli"), serial)


def test_interrupted_batch_resumes_to_the_same_tables(batch, serial, tmp_path):
    """Stop after 5 runs (as Ctrl-C would), resume: only the 7 missing runs are done."""
    out = tmp_path / "stopped"
    seen = []

    def stop_after_five(run_output):
        seen.append(run_output.spec.key)
        if len(seen) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute(batch.runs(), out, workers=1, progress=False, on_run=stop_after_five)
    assert len(list((out / "runs").rglob("*.parquet"))) == 5
    report = execute(batch.runs(), out, workers=2, progress=False)
    assert (report.skipped, report.done) == (5, 7)
    _assert_same(_tables(out), serial)
    assert len(json.loads((out / "manifest.json").read_text())["resumed"]) == 1
    again = execute(batch.runs(), out, workers=1, progress=False)
    assert (again.skipped, again.done) == (12, 0)


def test_leftover_temporary_file_is_ignored_and_removed(batch, serial, tmp_path):
    """A write cut short leaves a dot-file: readers skip it, a resume deletes it."""
    out = tmp_path / "tmpfile"
    runs = batch.runs()

    def stop(run_output):
        if run_output.spec.key == runs[2].key:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute(runs, out, workers=1, progress=False, on_run=stop)
    junk = ResultsStore(out).run_path(runs[3].key).parent / ".rep=3.parquet.x1.tmp"
    junk.parent.mkdir(parents=True, exist_ok=True)
    junk.write_bytes(b"half a file")
    assert len(open_results(out).summary) == 3
    execute(runs, out, workers=1, progress=False)
    assert not junk.exists()
    _assert_same(_tables(out), serial)


def test_a_folder_of_another_batch_is_refused(batch, tmp_path):
    runs = batch.runs()
    execute(runs[:2], tmp_path / "x", workers=1, progress=False)
    other = [
        RunSpec(r.scenario, r.name, r.point, r.overrides, r.replication, seed=99) for r in runs[:2]
    ]
    with pytest.raises(ScenarioError, match="different batch"):
        execute(other, tmp_path / "x", workers=1, progress=False)


def test_failing_run_is_recorded_and_the_others_complete(tmp_path, capsys):
    """A negative capacity fails its point's runs; the batch goes on and exits 1."""
    path = write_batch(tmp_path, sweep={"places.starter.capacity": [6, -4, 12]}, replications=2)
    out = tmp_path / "out"
    code = main(["batch", str(path), "--out", str(out), "--workers", "2", "--quiet"])
    assert code == 1
    err = capsys.readouterr()
    assert "point 1" in err.err and "places.starter.capacity" in err.err
    assert "2 failed" in err.out
    res = open_results(out)
    assert sorted(res.summary.point.unique()) == [0, 2] and len(res.summary) == 4
    assert len(res.failures) == 2
    assert set(res.failures.point) == {1}
    assert (res.failures["places.starter.capacity"] == -4).all()
    assert res.failures.error.eq("ScenarioError").all()
    assert res.failures.message.str.contains("expected a number").all()
    rec = json.loads(next((out / "failed").rglob("rep=0.json")).read_text())
    assert rec["overrides"] == {"places.starter.capacity": -4} and rec["seed"] == 7
    manifest = res.manifest
    assert "error" in manifest["points"][1] and "error" not in manifest["points"][0]
    # re-running retries only the failed runs, which fail again
    code = main(["batch", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    assert code == 1
    assert "2 done now" not in capsys.readouterr().out
    assert len(open_results(out).summary) == 4


def test_manifest_names_scenarios_seeds_and_points(batch, tmp_path):
    out = tmp_path / "m"
    execute(batch.runs(), out, workers=1, progress=False, manifest=batch.manifest("test"))
    m = open_results(out).manifest
    assert m["package"] == "homesim" and m["version"] == sim.__version__
    assert m["seeds"]["root"] == 7 and m["seeds"]["mode"] == "common"
    assert "spawn_key=(replication,)" in m["seeds"]["derivation"]
    assert m["scenarios"]["small"]["hash"] == batch.entries[0].scenario.hash
    assert m["scenarios"]["small"]["as_run"]["name"] == "small"
    assert [p["overrides"] for p in m["points"]][1] == {
        "places.starter.capacity": 6,
        "housing.assignments_per_week": 3,
    }
    assert m["runs"] == 12 and len(m["plan"]) == 64


def test_intervals_by_scenario_and_point(serial, batch):
    res = open_results(Path(batch.file).parent / "serial")
    by_point = res.intervals(["homeless_end"], by="point")
    assert len(by_point) == 4 and (by_point.runs == 3).all()
    overall = res.intervals(["homeless_end"])
    assert overall.loc[0, "runs"] == 12
    assert overall.loc[0, "mean"] == pytest.approx(res.summary.homeless_end.mean())


def test_weekly_can_be_left_out(tmp_path):
    b = load_batch(write_batch(tmp_path, outputs={"weekly": False}, sweep=None, replications=2))
    execute(b.runs(), tmp_path / "o", workers=1, progress=False, weekly=b.weekly)
    res = open_results(tmp_path / "o")
    assert len(res.summary) == 2 and len(res.weekly) == 0


def test_open_results_of_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_results(tmp_path / "nothing")
    assert sim.open_results is open_results


def test_bad_worker_count_writes_nothing(batch, tmp_path):
    with pytest.raises(ValueError, match="workers"):
        execute(batch.runs(), tmp_path / "w", workers=0, progress=False)
    assert not (tmp_path / "w").exists()
