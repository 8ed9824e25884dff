"""Shipped scenarios found by name, the ``scenarios`` and ``docs`` commands, the public
API of ``sim`` and a command line that starts without the heavy libraries."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.cli import COMMANDS, build_parser, command_modules, main
from sim.scenario.loader import load_scenario
from sim.shipped import find_shipped, locate, shipped_files, shipped_root

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- shipped files


def test_every_shipped_yaml_is_listed_with_its_kind():
    on_disk = {p.stem for p in shipped_root().rglob("*.yaml")}
    listed = {f.name: f.kind for f in shipped_files()}
    assert set(listed) == on_disk
    assert listed["randers_baseline"] == "scenario"
    assert listed["costs_denmark"] == "costs"
    assert listed["randers_policies"] == "batch"
    assert listed["randers"] == "targets"
    assert all(f.description for f in shipped_files()), "a shipped file says nothing of itself"


def test_a_name_finds_the_shipped_file_and_a_local_file_wins(tmp_path, monkeypatch):
    assert find_shipped("randers_baseline") == shipped_root() / "randers_baseline.yaml"
    assert find_shipped("randers_baseline.yaml") == find_shipped("randers_baseline")
    assert find_shipped("randers", "targets") == shipped_root() / "targets" / "randers.yaml"
    assert find_shipped("no_such_scenario") is None
    assert find_shipped("batches/randers_policies") is None  # names only, no folders
    monkeypatch.chdir(tmp_path)
    assert locate("randers_baseline") == find_shipped("randers_baseline")
    (tmp_path / "randers_baseline").write_text("name: mine\n", encoding="utf-8")
    assert locate("randers_baseline") == Path("randers_baseline")
    assert locate("sub/randers_baseline") == Path("sub/randers_baseline")


def test_scenarios_load_by_name_path_mapping_or_loaded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    by_name = load_scenario("randers_housing_first")
    by_path = load_scenario(REPO / "scenarios" / "randers_housing_first.yaml")
    assert by_name.hash == by_path.hash
    assert load_scenario(by_name) is by_name
    assert load_scenario(by_name, places__starter__capacity=48).params.places.starter.capacity == 48
    mapping = load_scenario({"extends": "randers_baseline", "name": "mine"})
    assert mapping.name == "mine"
    assert (
        mapping.params.places.starter.capacity
        == load_scenario("randers_baseline").params.places.starter.capacity
    )
    (tmp_path / "child.yaml").write_text(
        "extends: randers_baseline\nname: child\n", encoding="utf-8"
    )
    assert load_scenario("child.yaml").name == "child"


def test_run_once_accepts_a_name_and_gives_what_the_loaded_scenario_gives():
    a = sim.run_once("randers_baseline", replication=1, seed=3, years=1)
    b = sim.run_once(load_scenario("randers_baseline"), replication=1, seed=3, years=1)
    assert a.summary.keys() == b.summary.keys()
    np.testing.assert_equal(list(a.summary.values()), list(b.summary.values()))  # nan == nan


# ---------------------------------------------------------------- commands


def test_scenarios_list_show_copy(tmp_path, capsys):
    assert main(["scenarios", "list", "--kind", "batch"]) == 0
    out = capsys.readouterr().out
    assert "randers_policies" in out and "randers_baseline" not in out
    assert main(["scenarios", "show", "randers_staircase"]) == 0
    assert capsys.readouterr().out == find_shipped("randers_staircase").read_text("utf-8")
    assert main(["scenarios", "show", "randers_staircase", "--merged"]) == 0
    assert "name: randers_staircase" in capsys.readouterr().out
    assert main(["scenarios", "copy", "randers_staircase", str(tmp_path / "mine")]) == 0
    copied = tmp_path / "mine" / "randers_staircase.yaml"
    assert copied.read_text("utf-8") == find_shipped("randers_staircase").read_text("utf-8")
    assert load_scenario(copied).hash == load_scenario("randers_staircase").hash


def test_scenarios_errors_name_the_problem_and_write_nothing(tmp_path, capsys):
    assert main(["scenarios", "show", "nope"]) == 2
    assert "no shipped file named 'nope'" in capsys.readouterr().err
    target = tmp_path / "randers_baseline.yaml"
    target.write_text("mine\n", encoding="utf-8")
    assert main(["scenarios", "copy", "randers_baseline", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert target.read_text("utf-8") == "mine\n"


def test_a_shipped_batch_runs_by_name(tmp_path, capsys):
    from sim.batch.spec import load_batch

    batch = load_batch("randers_policies")
    assert [e.name for e in batch.entries][:2] == ["randers_baseline", "randers_housing_first"]


def test_docs_out_writes_into_a_folder_and_never_the_package(tmp_path, capsys, monkeypatch):
    assert main(["docs", "--out", str(tmp_path / "ref")]) == 0
    written = tmp_path / "ref" / "scenario-reference.md"
    assert written.read_text("utf-8") == (REPO / "docs" / "scenario-reference.md").read_text(
        "utf-8"
    )
    from sim import docs_reference

    monkeypatch.setattr(docs_reference, "ROOT", tmp_path / "site-packages")
    monkeypatch.chdir(tmp_path)
    assert docs_reference.target_path(None) == tmp_path / "scenario-reference.md"


# ---------------------------------------------------------------- start-up

HEAVY = ("numpy", "pandas", "mesa", "yaml", "matplotlib", "scipy", "pyarrow")


@pytest.mark.parametrize("argv", [["--help"], ["--version"], []])
def test_help_and_version_import_no_heavy_library(argv):
    code = (
        f"import sys\nfrom homesim.cli import main\ntry:\n    main({argv!r})\n"
        "except SystemExit:\n    pass\n"
        f"print('heavy:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "heavy:", out.stdout


def test_the_command_table_matches_the_command_modules():
    with_parser = {
        name
        for name in command_modules()
        if hasattr(importlib.import_module(f"sim.commands.{name}"), "add_parser")
    }
    assert with_parser == set(COMMANDS)


def test_every_command_has_its_full_parser_when_named():
    for name in COMMANDS:
        sub = build_parser([name])._subparsers._group_actions[0].choices[name]
        assert sub.add_help, name  # the real parser, not the placeholder
        full = build_parser(None)._subparsers._group_actions[0].choices[name]
        assert full.format_help() == sub.format_help()


# ---------------------------------------------------------------- public API


def test_public_names_resolve_and_say_what_they_are():
    for name in sim.__all__:
        value = getattr(sim, name)
        if callable(value):
            assert (value.__doc__ or "").strip(), f"sim.{name} has no docstring"


def test_sim_compare_stays_the_function_after_its_module_is_imported():
    importlib.import_module("sim.compare")
    importlib.import_module("sim.commands.compare")
    assert callable(sim.compare)
    assert sim.compare.__module__ == "sim.compare"


def test_dotted_lookup_of_leaves_and_values():
    sc = load_scenario("randers_housing_first")
    leaf = sim.get_leaf(sc, "costs.situations.shelter.price")
    assert {"value", "source"} <= set(leaf)
    assert sim.get_value(sc, "costs.situations.shelter.price") == leaf["value"]
    raw = sim.read_scenario_file("costs_denmark")
    assert sim.get_value(raw, "costs.situations.shelter.price") == leaf["value"]
    with pytest.raises(KeyError, match=r"no key 'nope' at costs\.situations"):
        sim.get_leaf(sc, "costs.situations.nope.price")


def test_a_file_beside_wins_over_the_shipped_one_and_fits_extend_by_name(tmp_path):
    from sim.shipped import locate_near, reference_to

    shipped = find_shipped("randers_baseline")
    assert locate_near(tmp_path, "randers_baseline") == shipped
    (tmp_path / "randers_baseline.yaml").write_text("name: mine\n", encoding="utf-8")
    assert locate_near(tmp_path, "randers_baseline") == tmp_path / "randers_baseline.yaml"
    assert locate_near(tmp_path, "randers_baseline.yaml") == tmp_path / "randers_baseline.yaml"
    other = tmp_path / "other"
    other.mkdir()
    assert reference_to(shipped, other) == "randers_baseline"
    assert reference_to(shipped, tmp_path) != "randers_baseline"  # the local file would win
    (other / "randers_baseline").write_text("name: mine\n", encoding="utf-8")
    assert reference_to(shipped, other) != "randers_baseline"
    assert reference_to(tmp_path / "randers_baseline.yaml", other) == "../randers_baseline.yaml"
