"""Batch files: points, seeds and the errors bad batch files give (exit 2, nothing written)."""

from __future__ import annotations

import pytest

from sim.batch import load_batch
from sim.cli import main
from sim.scenario.errors import ScenarioError
from tests.batch_helpers import small_scenario, write_batch, write_yaml


def test_grid_points_and_runs(tmp_path):
    b = load_batch(write_batch(tmp_path))
    assert [p.index for p in b.points] == [0, 1, 2, 3]
    assert b.points[1].overrides == {
        "places.starter.capacity": 6,
        "housing.assignments_per_week": 3,
    }
    runs = b.runs()
    assert len(runs) == 12 and len({r.key for r in runs}) == 12
    assert {r.stream_key for r in runs} == {(0,), (1,), (2,)}  # common random numbers


def test_points_list_entries_and_own_sweeps(tmp_path):
    """Points number on across entries; an entry's own sweep replaces the batch's."""
    write_yaml(tmp_path / "small.yaml", small_scenario())
    inline = small_scenario("inline")
    path = write_yaml(
        tmp_path / "b.yaml",
        {
            "scenarios": [
                "small.yaml",
                {
                    "scenario": inline,
                    "set": {"places.shelter.capacity": 30},
                    "sweep": {"places.starter.capacity": [1, 2, 3]},
                },
                {"file": "small.yaml", "name": "small-again"},
            ],
            "sweep": [{"places.starter.capacity": 4}, {"housing.assignments_per_week": 2}],
            "replications": 2,
            "seeds": "independent",
        },
    )
    b = load_batch(path)
    assert b.name == "b"
    assert [(p.scenario, p.index) for p in b.points] == [
        ("small", 0),
        ("small", 1),
        ("inline", 2),
        ("inline", 3),
        ("inline", 4),
        ("small-again", 5),
        ("small-again", 6),
    ]
    assert b.entries[1].scenario.params.places.shelter.capacity == 30
    assert {r.stream_key for r in b.runs() if r.point == 4} == {(4, 0), (4, 1)}


def test_rejected_value_is_kept_as_a_failing_point(tmp_path):
    b = load_batch(write_batch(tmp_path, sweep={"places.starter.capacity": [6, -1]}))
    assert b.points[0].error is None
    assert "places.starter.capacity" in b.points[1].error
    assert "expected a number" in b.points[1].error


CASES = [
    (
        {"sweep": {"places.startr.capacity": [6, 12]}},
        "sweep.places.startr.capacity",
        "did you mean 'starter'",
    ),
    (
        {"sweep": {"places.starter.capacty": [6]}},
        "sweep.places.starter.capacty",
        "unknown key 'capacty'",
    ),
    ({"sweep": {"initial.counts.rouhg": [1]}}, "sweep.initial.counts.rouhg", "unknown key"),
    (
        {"sweep": [{"places.starter.capacity": 3}, {"housng.assignments_per_week": 1}]},
        "sweep[1].housng.assignments_per_week",
        "unknown key 'housng'",
    ),
    ({"sweep": {"places.starter.capacity": []}}, "sweep.places.starter.capacity", "empty sweep"),
    ({"sweep": {}}, "'sweep'", "empty sweep"),
    ({"sweep": []}, "'sweep'", "empty sweep"),
    (
        {"sweep": {"places.starter.capacity": 6}},
        "sweep.places.starter.capacity",
        "expected a list of values",
    ),
    ({"replications": 0}, "'replications'", "at least 1"),
    ({"replications": 2.5}, "'replications'", "whole number"),
    ({"seed": -1}, "'seed'", "at least 0"),
    ({"seeds": "shared"}, "'seeds'", "common, independent"),
    ({"replicatons": 3}, "'replicatons'", "did you mean 'replications'"),
    ({"outputs": {"weekly": "yes"}}, "outputs.weekly", "true or false"),
    ({"scenarios": []}, "'scenarios'", "non-empty list"),
    ({"scenarios": ["missing.yaml"]}, "scenarios[0]", "file not found"),
    (
        {"scenarios": [{"file": "small.yaml", "set": {"places.shelter.capacity": -3}}]},
        "scenarios[0].set.places.shelter.capacity",
        "expected a number",
    ),
    ({"scenarios": ["small.yaml", "small.yaml"]}, "scenarios[1].name", "two scenarios"),
]


@pytest.mark.parametrize(("change", "where", "what"), CASES)
def test_bad_batch_file_exits_2_naming_file_and_key(tmp_path, capsys, change, where, what):
    path = write_batch(tmp_path, **change)
    out = tmp_path / "out"
    code = main(["batch", str(path), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert str(path) in err and where in err and what in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_bad_batch_error_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError) as exc:
        load_batch(write_batch(tmp_path, sweep={"places.startr.capacity": [6]}))
    assert exc.value.file == str(tmp_path / "batch.yaml")
    assert exc.value.path == "sweep.places.startr.capacity"


def test_bad_workers_option(tmp_path, capsys):
    path = write_batch(tmp_path)
    assert main(["batch", str(path), "--workers", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--workers" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_shipped_batch_files_are_valid(scenarios_dir):
    """Every shipped batch file loads, except for a scenario file not yet written."""
    files = sorted((scenarios_dir / "batches").glob("*.yaml"))
    assert files
    loaded = 0
    for f in files:
        try:
            load_batch(f)
            loaded += 1
        except ScenarioError as exc:
            assert "file not found" in str(exc) or "not found" in str(exc), str(exc)
    assert loaded >= 1


def test_inline_scenario_extends_a_file_next_to_the_batch(tmp_path, monkeypatch):
    write_yaml(tmp_path / "small.yaml", small_scenario())
    path = write_yaml(
        tmp_path / "b.yaml",
        {
            "scenarios": [
                {
                    "name": "bigger-shelter",
                    "scenario": {"extends": "small.yaml", "places": {"shelter": {"capacity": 40}}},
                }
            ]
        },
    )
    monkeypatch.chdir(tmp_path.parent)  # relative to the batch file, not to the caller
    b = load_batch(path)
    assert b.entries[0].name == "bigger-shelter"
    assert b.entries[0].scenario.params.places.shelter.capacity == 40
    assert b.entries[0].scenario.params.places.starter.capacity == 6
