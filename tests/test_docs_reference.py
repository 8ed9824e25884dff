"""The generated scenario reference: complete, described, and in step with the schema."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sim.cli import main
from sim.docs_reference import REFERENCE, iter_keys, key_exists, render, undocumented
from sim.scenario.fields import spec
from sim.scenario.schema import Scenario


def test_every_schema_key_has_a_description():
    assert undocumented() == [], "add a description (spec(doc, ...)) to these keys"


def test_committed_reference_matches_the_generator():
    committed = REFERENCE.read_text(encoding="utf-8")
    assert committed == render(), (
        "docs/scenario-reference.md is out of date: run `homesim docs` and commit it"
    )


def test_reference_lists_every_leaf_key_with_its_metadata():
    text = render()
    leaves = [k for k in iter_keys() if not k.section]
    assert len(leaves) > 30
    for k in leaves:
        assert f"| `{k.path}` |" in text, k.path
    row = next(
        line for line in text.splitlines() if line.startswith("| `places.starter.capacity` |")
    )
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:5] == ["integer or null", "`null`", "places", "at least 0"]
    row = next(line for line in text.splitlines() if line.startswith("| `housing.priority` |"))
    assert "one of `first_come`, `longest_homeless`" in row


def test_walker_follows_nested_sections():
    paths = [k.path for k in iter_keys()]
    assert "places.shelter.overflow" in paths
    assert key_exists("duration_dependence.half_life_weeks")
    assert not key_exists("places.nowhere.capacity")
    assert len(paths) == len(set(paths))
    top = {f.name for f in dataclasses.fields(Scenario)}
    assert top <= set(paths)


@dataclass(frozen=True)
class Inner:
    good: int = spec("Described.", 1)
    bad: int = spec("", 2)


@dataclass(frozen=True)
class Outer:
    inner: Inner = dataclasses.field(default_factory=Inner)


def test_missing_description_is_found():
    assert undocumented(Outer) == ["inner", "inner.bad"]


def test_cli_check_and_regenerate(tmp_path, capsys):
    out = tmp_path / "ref.md"
    assert main(["docs", "--check", "--out", str(out)]) == 1
    assert main(["docs", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render()
    assert main(["docs", "--check", "--out", str(out)]) == 0
