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
    "probability > 1": (
        "transitions: {low: {own: {at_risk: 1.5}}}",
        "transitions.low.own.at_risk",
        "[0, 1]",
    ),
    "row over 1": (
        "transitions: {low: {shelter: {own: 0.7, rough: 0.5}}}",
        "transitions.low.shelter",
        "more than 1",
    ),
    "negative capacity": (
        "places: {shelter: {capacity: -3}}",
        "places.shelter.capacity",
        "[0, inf]",
    ),
    "unknown situation": (
        "transitions: {low: {shelterr: {own: 0.1}}}",
        "transitions.low.shelterr",
        "did you mean 'shelter'",
    ),
    "unknown priority": (
        "places: {starter: {priority: oldest}}",
        "places.starter.priority",
        "expected one of",
    ),
    "shares not 1": (
        "initial: {age_mix: {18-24: 0.5, 25-29: 0.2, 30+: 0.2}}",
        "initial.age_mix",
        "adding up to 1",
    ),
    "caseload -1": (
        "policies: {teams: {act: {enabled: true, caseload: -1}}}",
        "policies.teams.act.caseload",
        "[0, inf]",
    ),
    "team without a kind": (
        "policies: {teams: {abc: {enabled: true}}}",
        "policies.teams.abc.kind",
        "expected the team's kind",
    ),
    "unknown team kind": (
        "policies: {teams: {youth: {kind: icn}}}",
        "policies.teams.youth.kind",
        "did you mean 'icm'",
    ),
    "team named after another kind": (
        "policies: {teams: {act: {kind: icm}}}",
        "policies.teams.act.kind",
        "another name",
    ),
    "bad team name": (
        "policies: {teams: {Youth ICM: {kind: icm}}}",
        "policies.teams.Youth ICM",
        "lower-case letters",
    ),
    "phases not adding up": (
        "policies: {teams: {rrh: {kind: rapid_rehousing, duration_weeks: 26, "
        "phases: [{weeks: 13}, {weeks: 12}]}}}",
        "policies.teams.rrh.phases",
        "add up to 25, expected duration_weeks (26)",
    ),
    "phase of no weeks": (
        "policies: {teams: {cti: {duration_weeks: 13, phases: [{weeks: 0}]}}}",
        "policies.teams.cti.phases[0].weeks",
        "[1, inf]",
    ),
    "open-ended team with a length": (
        "policies: {teams: {youth_icm: {kind: icm, duration_weeks: 52}}}",
        "policies.teams.youth_icm.duration_weeks",
        "open-ended",
    ),
    "time-limited team without a length": (
        "policies: {teams: {rrh: {kind: rapid_rehousing, enabled: true}}}",
        "policies.teams.rrh.duration_weeks",
        "expected duration_weeks",
    ),
    "two teams with one label": (
        "policies: {teams: {a1: {kind: act, label: ACT}, a2: {kind: act, label: ACT}}}",
        "policies.teams.a2.label",
        "label of its own",
    ),
    "Housing First team unknown": (
        "policies: {pathway: {model: housing_first, teams: [icm, youth]}}",
        "policies.pathway.teams[1]",
        "unknown team 'youth'",
    ),
    "Housing First team not a name": (
        "policies: {pathway: {model: housing_first, teams: [[icm]]}}",
        "policies.pathway.teams[0]",
        "expected a team's name (text)",
    ),
    "price of an unknown team": (
        "costs: {support: {youth_icm: {price: 100}}}",
        "costs.support.youth_icm",
        "unknown team or kind of team",
    ),
    "missing needs group": (
        "policies: {teams: {cti: {needs: [medium, extreme]}}}",
        "policies.teams.cti.needs[1]",
        "expected one of",
    ),
    "too many phases": (
        "policies: {teams: {cti: {duration_weeks: 7, phases: [{weeks: 1}, "
        "{weeks: 1}, "
        "{weeks: 1}, {weeks: 1}, {weeks: 1}, {weeks: 1}, {weeks: 1}]}}}",
        "policies.teams.cti.phases",
        "at most 6",
    ),
    "change after horizon": (
        "changes: [{date: 2040-01, set: {places.starter.capacity: 4}}]",
        "changes[0].date",
        "after the horizon",
    ),
    "change to unknown key": (
        "changes: [{date: 2016, set: {places.starter.capasity: 4}}]",
        "changes[0].set",
        "capasity",
    ),
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
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\nplaces: {starter: {capacity: 9}}\n")
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


def test_a_mapping_replaces_a_parameter_leaf_and_leaf_keys_update_it(tmp_path):
    """``exit.episodic`` fitted as one number may become a mapping by situation.

    In a child file and in an override, a mapping of other keys replaces the parent's
    ``{value, source, dist}`` leaf whole (before, its keys merged into the leaf and the
    scenario was refused, or an override crashed on the leaf's dist); a mapping of some
    of a leaf's own keys still updates the leaf.
    """
    parent = sim.load_scenario("denmark_calibrated")
    assert "kinds.exit.episodic" in parent.provenance  # a leaf with its source and dist
    by_situation = {"shelter": 6.0, "rough": 1.5}
    sc = parent.with_overrides({"kinds.exit.episodic": by_situation})
    assert sc.params.kinds.exit["episodic"] == by_situation
    assert "kinds.exit.episodic" not in sc.provenance
    child = tmp_path / "child.yaml"
    child.write_text(
        "extends: " + str(parent.file) + "\nname: child\n"
        "kinds: {exit: {episodic: {shelter: 6.0, rough: 1.5}}}\n"
        "entries: {per_week: {source: 'a check', low: 100, high: 300}}\n"
    )
    sc = sim.load_scenario(child)
    assert sc.params.kinds.exit["episodic"] == by_situation
    kept = sc.provenance["entries.per_week"]
    assert kept.source == "a check" and (kept.low, kept.high) == (100, 300)
    assert sc.params.entries.per_week == parent.params.entries.per_week


def test_every_baseline_parameter_cites_a_source():
    """Every numeric leaf of the Randers baseline is written {value, source}."""
    import yaml

    raw = yaml.safe_load(
        (Path(__file__).parents[1] / "scenarios" / "randers_baseline.yaml").read_text()
    )
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            if "value" in node:
                if not node.get("source"):
                    missing.append(path)
                return
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif (
            isinstance(node, (int, float))
            and not isinstance(node, bool)
            and not path.startswith("setting")
        ):
            missing.append(path)

    walk(raw, "")
    assert missing == []


def test_override_of_a_shared_mapping_changes_only_its_own_path():
    """A mapping used for several needs groups (as a YAML alias would) is copied apart."""
    rows = {"own": {"at_risk": 0.1}, "shelter": {"own": 0.2}}
    sc = sim.load_scenario(
        {
            "initial": {"counts": {"own": 5}},
            "transitions": {"low": rows, "medium": rows, "high": rows},
        }
    )
    sc2 = sc.with_overrides({"transitions.low.shelter.own": 0.05})
    assert sc2.params.transitions["low"]["shelter"]["own"] == 0.05
    assert sc2.params.transitions["medium"]["shelter"]["own"] == 0.2
    assert sc.params.transitions["low"]["shelter"]["own"] == 0.2


def test_whole_numbers_are_never_rounded():
    """24.7 places is an error; 24.0 is the whole number 24 (kept an int)."""
    with pytest.raises(ScenarioError, match=r"expected a whole number, got 24\.7"):
        sim.load_scenario({"places": {"starter": {"capacity": 24.7}}})
    sc = sim.load_scenario(
        {"places": {"starter": {"capacity": 24.0}}, "initial": {"counts": {"own": 10.0}}}
    )
    assert sc.params.places.starter.capacity == 24
    assert isinstance(sc.params.places.starter.capacity, int)
    assert isinstance(sc.params.initial.counts["own"], int)
    with pytest.raises(ScenarioError, match=r"initial\.counts\.own.*whole number"):
        sim.load_scenario({"initial": {"counts": {"own": 10.5}}})


def test_exponent_read_as_text_gets_a_hint(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("entries: {per_week: 1.0e9}\n")
    with pytest.raises(ScenarioError) as err:
        sim.load_scenario(path)
    assert "entries.per_week" in str(err.value) and "write 1.0e+9" in str(err.value)


def test_population_cap_names_scale():
    """Counts times scale beyond MAX_CITIZENS is refused, blaming setting.scale."""
    from sim.scenario.fields import MAX_CITIZENS

    ok = {"setting": {"years": 1, "scale": 10}, "initial": {"counts": {"own": 1000}}}
    sim.load_scenario(ok)
    big = {"setting": {"years": 1, "scale": 10_000}, "initial": {"counts": {"own": 10_000}}}
    assert MAX_CITIZENS < 10_000 * 10_000
    with pytest.raises(ScenarioError, match=r"setting\.scale"):
        sim.load_scenario(big)


def test_duplicate_keys_name_both_lines(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: a\nsetting:\n  years: 2\n  years: 3\n")
    with pytest.raises(ScenarioError, match="duplicate key 'years' on lines 3 and 4"):
        sim.load_scenario(path)


def test_merge_keys_are_not_duplicates():
    """A YAML merge (<<) followed by an explicit key overrides it, as YAML defines."""
    from sim.userfiles import parse_yaml

    data = parse_yaml("a: &b {years: 2, start_year: 2015}\nsetting: {<<: *b, years: 3}\n")
    assert data["setting"] == {"years": 3, "start_year": 2015}


def test_a_bad_sweep_value_is_blamed_on_the_batch_sweep_key(tmp_path):
    from sim.batch import load_batch

    (tmp_path / "s.yaml").write_text(BASE)
    batch = tmp_path / "b.yaml"
    batch.write_text("scenarios: [s.yaml]\nsweep: {places.starter.capacity: [4, -3]}\n")
    points = load_batch(batch).points
    assert points[0].error is None
    assert points[1].error.startswith(f"{batch} at 'sweep.places.starter.capacity': ")
    assert "s.yaml" not in points[1].error.replace(str(batch), "")
    batch.write_text(
        "scenarios: [s.yaml]\nsweep: [{places.starter.capacity: 4}, "
        "{places.starter.capacity: 2.5}]\n"
    )
    assert (
        load_batch(batch)
        .points[1]
        .error.startswith(f"{batch} at 'sweep[1].places.starter.capacity': expected a whole number")
    )


def test_housing_first_with_every_team_disabled_runs():
    """Housing First reads the support team of citizens even when no team works: the
    per-citizen arrays of every policy exist from the start (it crashed at week 10)."""
    sc = sim.load_scenario(Path(__file__).parents[1] / "scenarios" / "randers_housing_first.yaml")
    off = {f"policies.teams.{t}.enabled": False for t in ("cti", "icm", "act", "floating")}
    sc = sc.with_overrides({**off, "setting.years": 1})
    model = sim.HomelessnessModel(sc, rng=1)
    model.run(30)
    assert model.policies.teams is None and model.policies.housing_first is not None
    assert (model.citizens.team == -1).all()
