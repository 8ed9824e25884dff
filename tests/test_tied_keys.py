"""Keys with ``*`` parts (one value for several keys): set, read, freed by a fit, drawn."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import chain_scenario, count_targets

from sim import load_scenario
from sim.calibration import check_free, load_targets
from sim.cli import main
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import expand_path, has_key, value_at
from sim.simulate import simulate

TIED = "transitions.*.shelter.own"
NEEDS = ("low", "medium", "high")


def three_groups() -> dict:
    """A chain with a third of the people in each needs group, each with its own
    rehousing chance (0.03, 0.05, 0.07)."""
    raw = chain_scenario(
        {"own": 6000, "shelter": 150},
        {"own": {"shelter": 0.006}, "shelter": {"own": 0.03}},
        years=2,
        needs_rows={
            "medium": {"own": {"shelter": 0.006}, "shelter": {"own": 0.05}},
            "high": {"own": {"shelter": 0.006}, "shelter": {"own": 0.07}},
        },
    )
    raw["initial"]["needs_mix"] = {"default": {"low": 0.34, "medium": 0.33, "high": 0.33}}
    return raw


def test_a_tied_key_stands_for_every_key_it_matches():
    raw = three_groups()
    assert expand_path(raw, TIED) == [f"transitions.{g}.shelter.own" for g in NEEDS]
    assert expand_path(raw, "transitions.low.shelter.own") == ["transitions.low.shelter.own"]
    assert has_key(raw, TIED) and not has_key(raw, "transitions.*.shelter.nowhere")
    with pytest.raises(ScenarioError, match="no key of the scenario matches"):
        expand_path(raw, "transitions.*.shelter.nowhere")


def test_setting_a_tied_key_sets_each_match_and_nothing_else():
    sc = load_scenario(three_groups()).with_overrides({TIED: 0.04})
    for g in NEEDS:
        assert sc.params.transitions[g]["shelter"]["own"] == 0.04
        assert sc.params.transitions[g]["own"]["shelter"] == 0.006


def test_reading_a_tied_key_gives_the_common_value_or_the_mean():
    raw = three_groups()
    assert value_at(raw, TIED) == pytest.approx(0.05)  # (0.03 + 0.05 + 0.07) / 3
    assert value_at(raw, "transitions.*.own.shelter") == 0.006


def _fit_files(tmp_path, free: dict) -> tuple[str, str]:
    truth = simulate(load_scenario(three_groups()).with_overrides({TIED: 0.05}), [10**8], 11)
    targets = {
        "name": "tied",
        "free": free,
        "targets": count_targets(truth, (2015, 2016)),
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(three_groups()))
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(targets))
    return str(tmp_path / "s.yaml"), str(tmp_path / "t.yaml")


ARGS = ["--method", "abc-smc", "--particles", "16", "--replications", "1"]
ARGS += ["--predictive-draws", "5", "--generations", "2", "--moves", "2", "--seed", "3", "-q"]


def test_a_fit_frees_one_value_for_every_needs_group(tmp_path):
    """The fitted scenario gives all three groups the one fitted value, with no
    separate distribution (drawn apart they would no longer be one value); the
    posterior sample keeps the tied key, and PSA draws from it set all three."""
    scenario, targets = _fit_files(tmp_path, {TIED: {"low": 0.01, "high": 0.1}})
    check_free(load_scenario(scenario), load_targets(targets))
    out = tmp_path / "fit"
    assert main(["calibrate", scenario, targets, *ARGS, "--out", str(out)]) == 0
    post = pd.read_csv(out / "posterior.csv")
    assert TIED in post.columns
    fitted = load_scenario(out / "chain_calibrated.yaml")
    values = {fitted.params.transitions[g]["shelter"]["own"] for g in NEEDS}
    assert len(values) == 1 and 0.01 <= values.pop() <= 0.1
    for g in NEEDS:
        prov = fitted.provenance[f"transitions.{g}.shelter.own"]
        assert prov.dist is None and f"one value for every key matching {TIED}" in prov.source

    from sim.psa import make_draws

    post = pd.DataFrame({TIED: [0.02, 0.08], "weight": [0.0, 1.0]})
    draws = make_draws([load_scenario(scenario)], 3, posterior=post)
    assert (draws.values[TIED] == 0.08).all()


def test_a_fit_whose_every_draw_is_invalid_is_one_clear_error(tmp_path, capsys):
    """A free range that makes every scenario invalid (the shelter row would add up to
    more than 1) stops at once with the scenario's own complaint, exit 2, nothing
    written."""
    scenario, targets = _fit_files(tmp_path, {TIED: {"low": 0.01, "high": 0.1}})
    bad = yaml.safe_load(Path(targets).read_text())
    bad["free"] = {"transitions.*.own.shelter": {"low": 0.6, "high": 0.9}}
    raw = three_groups()
    for g in NEEDS:
        raw["transitions"][g]["own"]["friends"] = 0.5
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw))
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(bad))
    out = tmp_path / "out"
    assert main(["calibrate", scenario, targets, *ARGS, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("homesim: error:") and "Traceback" not in err
    assert "t.yaml" in err and "add up to" in err
    assert not out.exists()


def test_a_batch_sweeps_a_tied_key_and_refuses_one_that_matches_nothing(tmp_path, capsys):
    """A sweep over ``transitions.*.shelter.own`` runs each point with the value in all
    three groups (a higher chance of leaving shelter leaves fewer homeless days); a
    ``*`` key that matches nothing is one clear error, exit 2, nothing written."""
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(three_groups()))
    batch = {"name": "tied", "scenarios": ["s.yaml"], "replications": 1, "seed": 1, "years": 1}
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({**batch, "sweep": {TIED: [0.01, 0.2]}}))
    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "b.yaml"), "--out", str(out), "-q"]) == 0
    summary = pd.read_csv(out / "summary.csv").sort_values(TIED)
    assert summary[TIED].tolist() == [0.01, 0.2]
    assert summary["homeless_days"].iloc[0] > 2 * summary["homeless_days"].iloc[1]
    bad = {**batch, "sweep": {"transitions.*.shelter.nowhere": [0.01, 0.2]}}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    capsys.readouterr()
    assert main(["batch", str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "o2"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "no key of the scenario matches" in err and "sweep.transitions.*" in err
    assert not (tmp_path / "o2").exists()
