"""Keys inside dated changes (``changes[DATE].key``): read, set, freed by a fit, forecast."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from conftest import chain_scenario

from sim import load_scenario
from sim.calibration import check_free, load_targets
from sim.cli import main
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import change_key, has_key, node_at, value_at
from sim.simulate import simulate

KEY = "changes[2016-01].transitions.low.shelter.own"


def dated() -> dict:
    """A chain whose rehousing chance changes on 1 January 2016 (0.07, then 0.02)."""
    raw = chain_scenario(
        {"own": 5000, "shelter": 100},
        {"own": {"shelter": 0.006}, "shelter": {"own": 0.07}},
        years=2,
    )
    raw["changes"] = [
        {"date": "2015-07", "set": {"transitions.low.own.shelter": 0.006}},
        {
            "date": "2016-01",
            "set": {"transitions.low.shelter.own": {"value": 0.02, "source": "assumption"}},
        },
    ]
    return raw


def test_a_change_key_names_the_key_of_the_change_with_that_date():
    raw = dated()
    assert change_key(KEY) == ("2016-01", "transitions.low.shelter.own")
    assert change_key("transitions.low.shelter.own") is None
    assert value_at(raw, KEY) == 0.02
    assert value_at(raw, "changes[2016-01-01].transitions.low.shelter.own") == 0.02  # same day
    assert node_at(raw, KEY)["source"] == "assumption"
    assert not has_key(raw, "changes[2016-02].transitions.low.shelter.own")  # no such change
    assert not has_key(raw, "changes[2015-07].transitions.low.shelter.own")  # not set there


def test_an_override_sets_the_change_and_keeps_its_source():
    sc = load_scenario(dated()).with_overrides({KEY: 0.05})
    assert node_at(sc.raw, KEY) == {"value": 0.05, "source": "assumption"}
    assert value_at(sc.raw, "changes[2015-07].transitions.low.own.shelter") == 0.006
    assert sc.phases[-1][1].transitions["low"]["shelter"]["own"] == 0.05
    assert sc.phases[0][1].transitions["low"]["shelter"]["own"] == 0.07
    with pytest.raises(ScenarioError, match="no change dated 2017-01") as err:
        load_scenario(dated()).with_overrides({"changes[2017-01].transitions.low.shelter.own": 0.1})
    assert err.value.path == "changes[2017-01].transitions.low.shelter.own"


def test_the_change_changes_only_the_weeks_after_its_date():
    """Common random numbers: the first year is the same run whatever the changed value."""
    low, high = (
        simulate(load_scenario(dated()).with_overrides({KEY: v}), [0], seed=4) for v in (0.01, 0.2)
    )
    assert low["shelter_users_2015"][0] == high["shelter_users_2015"][0]
    assert low["pit_2015"][0] == high["pit_2015"][0]
    assert low["homeless_days"][0] > high["homeless_days"][0]


def test_a_free_change_key_takes_the_inner_keys_bounds_and_must_exist():
    targets = {"targets": [{"measure": "pit", "year": 2016, "observed": 100, "sd": 10}]}
    with pytest.raises(ScenarioError, match="outside what the key allows") as err:
        load_targets({**targets, "free": {KEY: {"low": 0.1, "high": 1.5}}})
    assert err.value.path == f"free.{KEY}"
    missing = "changes[2015-07].transitions.low.shelter.own"
    t = load_targets({**targets, "free": {missing: {"low": 0.01, "high": 0.1}}})
    with pytest.raises(ScenarioError, match="has no value at") as err:
        check_free(load_scenario(dated()), t)
    assert err.value.path == f"free.{missing}"


@pytest.fixture(scope="module")
def fit(tmp_path_factory) -> dict:
    """ABC-SMC of the changed rehousing chance from the 2016 counts of a run at 0.035.

    The targets' sds are known only up to a factor (``sd_scale``), so the fit also runs
    the Student-t likelihood end to end.
    """
    root = tmp_path_factory.mktemp("change")
    truth = simulate(load_scenario(dated()).with_overrides({KEY: 0.035}), [10**8], seed=11)
    targets = {
        "name": "dated",
        "sd_scale": True,
        "free": {KEY: {"low": 0.005, "high": 0.1}},
        "targets": [
            {"measure": m, "year": 2016, "observed": float(truth[f"{m}_2016"][0]), "cv": 0.05}
            for m in ("pit", "shelter_users")
        ],
    }
    (root / "s.yaml").write_text(yaml.safe_dump(dated()))
    (root / "t.yaml").write_text(yaml.safe_dump(targets))
    out = root / "fit"
    argv = ["calibrate", str(root / "s.yaml"), str(root / "t.yaml"), "--method", "abc-smc"]
    argv += ["--particles", "16", "--replications", "1", "--generations", "3"]
    argv += ["--predictive-draws", "10", "--seed", "3", "-q", "--out", str(out)]
    assert main(argv) == 0
    return {"root": root, "out": out}


def test_a_fit_frees_a_key_inside_a_change(fit):
    out = fit["out"]
    post = pd.read_csv(out / "posterior.csv")
    assert KEY in post.columns and post[KEY].between(0.005, 0.1).all()
    summ = pd.read_csv(out / "posterior_summary.csv").set_index("parameter")
    assert summ.loc[KEY, "low_95"] <= 0.035 <= summ.loc[KEY, "high_95"]
    fitted = load_scenario(out / "chain_calibrated.yaml")
    node = node_at(fitted.raw, KEY)
    assert node["value"] == pytest.approx(summ.loc[KEY, "mean"], rel=1e-4)
    assert "posterior mean" in node["source"] and "dist" not in node  # the sample holds it
    assert value_at(fitted.raw, "changes[2015-07].transitions.low.own.shelter") == 0.006
    stats = json.loads((out / "fit.json").read_text())
    assert stats["likelihood"].startswith("student-t")


def test_a_forecast_draws_the_change_key_from_the_posterior(fit, tmp_path):
    out = tmp_path / "fc"
    post = str(fit["out"] / "posterior.csv")
    argv = ["forecast", str(fit["root"] / "s.yaml"), "--posterior", post]
    argv += ["--until", "2016-12", "--draws", "4", "--replications", "1", "--out", str(out), "-q"]
    assert main(argv) == 0
    draws = pd.read_csv(out / "draws.csv")
    assert KEY in draws.columns
