"""Bad scenario input: one clear message (file, key path, what was expected), exit 2,
no traceback, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.cli import main
from sim.scenario.errors import ScenarioError

BASE = """
name: t
initial:
  counts: {own: 10, shelter: 5}
transitions:
  low: {own: {at_risk: 0.1}, shelter: {own: 0.2}}
  medium: {}
  high: {}
"""

CASES = {
    "unknown key": ("setting: {yeras: 3}", "setting.yeras", "did you mean 'years'"),
    "wrong type": ("setting: {years: ten}", "setting.years", "expected a whole number"),
    "probability > 1": ("transitions: {low: {own: {at_risk: 1.5}}}",
                        "transitions.low.own.at_risk", "[0, 1]"),
    "row over 1": ("transitions: {low: {shelter: {own: 0.7, rough: 0.5}}}",
                   "transitions.low.shelter", "more than 1"),
    "negative capacity": ("places: {shelter: {capacity: -3}}", "places.shelter.capacity",
                          "[0, inf]"),
    "unknown situation": ("transitions: {low: {shelterr: {own: 0.1}}}",
                          "transitions.low.shelterr", "did you mean 'shelter'"),
    "unknown priority": ("places: {starter: {priority: oldest}}", "places.starter.priority",
                         "expected one of"),
    "shares not 1": ("initial: {age_mix: {18-24: 0.5, 25-29: 0.2, 30+: 0.2}}",
                     "initial.age_mix", "adding up to 1"),
    "caseload -1": ("policies: {teams: {act: {enabled: true, caseload: -1}}}",
                    "policies.teams.act.caseload", "[0, inf]"),
    "unknown team": ("policies: {teams: {abc: {enabled: true}}}", "policies.teams.abc",
                     "unknown key"),
    "missing needs group": ("policies: {teams: {cti: {needs: [medium, extreme]}}}",
                            "policies.teams.cti.needs[1]", "expected one of"),
    "too many phases": ("policies: {teams: {cti: {duration_weeks: 7, phases: [{weeks: 1}, "
                        "{weeks: 1}, "
                        "{weeks: 1}, {weeks: 1}, {weeks: 1}, {weeks: 1}, {weeks: 1}]}}}",
                        "policies.teams.cti.phases", "at most 6"),
    "change after horizon": ("changes: [{date: 2040-01, set: {places.starter.capacity: 4}}]",
                             "changes[0].date", "after the horizon"),
    "change to unknown key": ("changes: [{date: 2016, set: {places.starter.capasity: 4}}]",
                              "changes[0].set", "capasity"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_named(case, tmp_path, capsys):
    extra, keypath, expected = CASES[case]
    # the extra block replaces top-level keys of BASE it names
    path = tmp_path / "s.yaml"
    import yaml
    data = yaml.safe_load(BASE)
    for k, v in yaml.safe_load(extra).items():
        if isinstance(v, dict) and isinstance(data.get(k), dict):
            data[k] = {**data[k], **v}
        else:
            data[k] = v
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError) as err:
        sim.load_scenario(path)
    message = str(err.value)
    assert str(path) in message and keypath in message and expected in message, message
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "-q"]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and keypath in captured.err
    assert not out.exists()


def test_malformed_yaml_and_missing_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    assert main(["validate", str(bad)]) == 2
    assert "malformed YAML (line" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_extends_chain_and_cycle(tmp_path):
    (tmp_path / "a.yaml").write_text(BASE + "places: {starter: {capacity: 5}}\n")
    (tmp_path / "b.yaml").write_text(
        "extends: a.yaml\nname: b\nplaces: {starter: {capacity: 9}}\n")
    (tmp_path / "c.yaml").write_text("extends: b.yaml\nname: c\n")
    sc = sim.load_scenario(tmp_path / "c.yaml")
    assert sc.name == "c" and sc.params.places.starter.capacity == 9
    assert sc.params.initial.counts == {"own": 10, "shelter": 5}  # inherited from a
    assert "extends" not in sc.raw
    (tmp_path / "x.yaml").write_text("extends: y.yaml\n")
    (tmp_path / "y.yaml").write_text("extends: x.yaml\n")
    with pytest.raises(ScenarioError, match="cycle"):
        sim.load_scenario(tmp_path / "x.yaml")


def test_sources_kept_and_overrides_keep_them():
    sc = sim.load_scenario(Path(__file__).parents[1] / "scenarios" / "randers_baseline.yaml")
    prov = sc.provenance["places.starter.capacity"]
    assert "24 starter homes" in prov.source
    sc2 = sc.with_overrides({"places.starter.capacity": 48})
    assert sc2.params.places.starter.capacity == 48
    assert sc2.provenance["places.starter.capacity"].source == prov.source
    assert sc2.hash != sc.hash


def test_every_baseline_parameter_cites_a_source():
    """Every numeric leaf of the Randers baseline is written {value, source}."""
    import yaml
    raw = yaml.safe_load((Path(__file__).parents[1] / "scenarios" /
                          "randers_baseline.yaml").read_text())
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            if "value" in node:
                if not node.get("source"):
                    missing.append(path)
                return
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif (isinstance(node, (int, float)) and not isinstance(node, bool)
              and not path.startswith("setting")):
            missing.append(path)

    walk(raw, "")
    assert missing == []


def test_override_of_a_shared_mapping_changes_only_its_own_path():
    """A mapping used for several needs groups (as a YAML alias would) is copied apart."""
    rows = {"own": {"at_risk": 0.1}, "shelter": {"own": 0.2}}
    sc = sim.load_scenario({"initial": {"counts": {"own": 5}},
                            "transitions": {"low": rows, "medium": rows, "high": rows}})
    sc2 = sc.with_overrides({"transitions.low.shelter.own": 0.05})
    assert sc2.params.transitions["low"]["shelter"]["own"] == 0.05
    assert sc2.params.transitions["medium"]["shelter"]["own"] == 0.2
    assert sc.params.transitions["low"]["shelter"]["own"] == 0.2
