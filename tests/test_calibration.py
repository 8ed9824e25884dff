"""Calibration: targets files, recovery of known parameters, out-of-sample prediction, CLI."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import SCENARIOS, chain_scenario

from sim import load_scenario
from sim.calibration import calibrate, load_targets, out_of_sample
from sim.cli import main
from sim.scenario.errors import ScenarioError
from sim.simulate import simulate

TRUE = {"transitions.low.own.shelter": 0.002, "transitions.low.shelter.own": 0.03}
FREE = {
    "transitions.low.own.shelter": {"low": 0.0005, "high": 0.01},
    "transitions.low.shelter.own": {"low": 0.005, "high": 0.1},
}
YEARS = range(2015, 2018)


def small() -> dict:
    """5,100 citizens for 3 years: housed people fall into shelter and are rehoused."""
    return chain_scenario(
        {"own": 5000, "shelter": 100},
        {
            "own": {"shelter": TRUE["transitions.low.own.shelter"]},
            "shelter": {"own": TRUE["transitions.low.shelter.own"]},
        },
        years=3,
    )


@pytest.fixture(scope="module")
def synthetic() -> dict:
    """Targets simulated at the true values (20 runs on other seeds), with 5% sd.

    The count and the number of shelter users identify the two rates together: the
    count fixes their ratio, the users the turnover.
    """
    truth = simulate(load_scenario(small()), range(1000, 1020), seed=7)
    return {
        "name": "synthetic",
        "targets": [
            {"measure": m, "year": y, "observed": float(truth[f"{m}_{y}"].mean()), "cv": 0.05}
            for m in ("pit", "shelter_users")
            for y in YEARS
        ],
        "free": FREE,
    }


def hidden() -> object:
    """The small scenario with the true values hidden (replaced by wrong ones)."""
    return load_scenario(small()).with_overrides(
        {"transitions.low.own.shelter": 0.006, "transitions.low.shelter.own": 0.07}
    )


def test_optimize_recovers_known_parameters(synthetic) -> None:
    # fit on the first two years only (a shorter horizon: 2017 targets are left out)
    fit = calibrate(
        hidden(), load_targets(synthetic), "optimize", replications=2, budget=24, years=2
    )
    assert fit.left_out == ["pit_2017", "shelter_users_2017"]
    # Tolerance 15% of the true value: the fit uses 2 runs per evaluation, whose noise
    # moves the optimum by a few per cent; a wrong fit (e.g. the hidden start values,
    # 2-3 times the truth) is far outside.
    for path, value in TRUE.items():
        assert fit.values[path] == pytest.approx(value, rel=0.15)
    assert fit.evaluations <= 24
    stats = fit.statistics()
    assert stats["max_abs_z"] < 3


def test_abc_posterior_holds_the_truth(synthetic) -> None:
    fit = calibrate(
        hidden(), load_targets(synthetic), "abc", replications=1, draws=64, accept=0.1, years=2
    )
    post = fit.posterior
    assert len(post) == 6
    assert list(post.columns) == ["draw", *TRUE, "distance"]
    # the kept draws are the closest ones
    assert post["distance"].is_monotonic_increasing
    assert post["distance"].max() <= fit.trace["distance"].sort_values().iloc[5]
    # the posterior moves from the prior towards the truth: its mean is nearer the true
    # value than the prior mean (the middle of the range) for every parameter, and the
    # closest draw is within 25% (64 draws on a 2-d prior: the grid is coarse)
    for path, value in TRUE.items():
        prior_mean = (FREE[path]["low"] + FREE[path]["high"]) / 2
        assert abs(post[path].mean() - value) < abs(prior_mean - value)
        assert post[path].iloc[0] == pytest.approx(value, rel=0.25)


def test_out_of_sample_prediction(synthetic) -> None:
    targets = load_targets(synthetic)
    fit_on = [t.name for t in targets.targets if "2017" not in t.name]
    fit, held = out_of_sample(
        hidden(), targets, fit_on, method="optimize", replications=2, budget=20
    )
    assert len(fit.table) == 4
    assert set(held["target"]) == {"pit_2017", "shelter_users_2017"}
    # the model is right, so the held-out year is predicted within 3 sd of its figure
    assert (held["z"].abs() < 3).all()
    assert (held["rel_error"] < 0.15).all()


@pytest.mark.parametrize(
    ("change", "message", "path"),
    [
        ({"targets": []}, "non-empty list", "targets"),
        ({"targets": [{"column": "pit_2015", "observed": 1}]}, "either 'sd'", "targets[0]"),
        (
            {"targets": [{"column": "pit_2015", "observed": 1, "sd": -1}]},
            "positive",
            "targets[0].sd",
        ),
        (
            {"targets": [{"measure": "pit", "year": "2015", "observed": 1, "sd": 1}]},
            "expected a year",
            "targets[0].year",
        ),
        (
            {"targets": [{"column": "pit_2015", "observed": 1, "sd": 1, "colour": 1}]},
            "unknown key 'colour'",
            "targets[0].colour",
        ),
        (
            {"free": {"transitions.low.own.shelter": {"low": 0.5, "high": 1.5}}},
            "goes outside what the key allows",
            "free.transitions.low.own.shelter",
        ),
        (
            {"free": {"places.shelter.size": {"low": 1, "high": 2}}},
            "not a numeric scenario key",
            "free.places.shelter.size",
        ),
    ],
)
def test_targets_validation(change: dict, message: str, path: str, tmp_path) -> None:
    data = {
        "targets": [{"measure": "pit", "year": 2015, "observed": 50, "sd": 5}],
        "free": FREE,
        **change,
    }
    f = tmp_path / "targets.yaml"
    f.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError) as err:
        load_targets(f)
    assert message in err.value.message
    assert err.value.file == str(f) and err.value.path == path


def test_targets_out_of_run_and_unknown_free(synthetic) -> None:
    data = dict(synthetic)
    data["targets"] = [
        *synthetic["targets"],
        {"measure": "pit", "year": 2009, "observed": 10, "sd": 1},
    ]
    fit = calibrate(hidden(), load_targets(data), replications=1, budget=4)
    assert fit.left_out == ["pit_2009"]
    data["free"] = {"transitions.low.friends.own": {"low": 0.01, "high": 0.1}}
    with pytest.raises(ScenarioError, match="no value at"):
        calibrate(hidden(), load_targets(data), replications=1, budget=4)


def test_shipped_targets_files_are_valid() -> None:
    files = sorted((SCENARIOS / "targets").glob("*.yaml"))
    assert files
    for f in files:
        t = load_targets(f)
        assert t.targets and t.free


def test_calibrate_command_writes_extending_scenario(synthetic, tmp_path, capsys) -> None:
    scen = tmp_path / "scenarios" / "small.yaml"
    scen.parent.mkdir()
    scen.write_text(yaml.safe_dump(hidden().raw))
    tfile = tmp_path / "targets.yaml"
    tfile.write_text(yaml.safe_dump(synthetic))
    out = tmp_path / "out"
    code = main(
        [
            "calibrate",
            str(scen),
            str(tfile),
            "--replications",
            "1",
            "--budget",
            "8",
            "--years",
            "2",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    for name in (
        "fit.csv",
        "fit.json",
        "trace.csv",
        "fit.png",
        "manifest.json",
        "chain_calibrated.yaml",
    ):
        assert (out / name).exists(), name
    fitted = yaml.safe_load((out / "chain_calibrated.yaml").read_text())
    assert fitted["extends"] == "../scenarios/small.yaml"
    assert set(fitted) == {"name", "description", "extends", "transitions"}
    leaf = fitted["transitions"]["low"]["own"]["shelter"]
    assert "calibrated" in leaf["source"] and str(tfile) in leaf["source"]
    loaded = load_scenario(out / "chain_calibrated.yaml")
    stats = json.loads((out / "fit.json").read_text())
    assert loaded.params.transitions["low"]["own"]["shelter"] == pytest.approx(
        stats["values"]["transitions.low.own.shelter"], rel=1e-5
    )
    assert "distance" in capsys.readouterr().out
    # bad targets: exit code 2, a message, nothing written
    bad = tmp_path / "bad.yaml"
    bad.write_text("targets: 3\n")
    assert main(["calibrate", str(scen), str(bad), "--out", str(tmp_path / "o2")]) == 2
    assert not (tmp_path / "o2").exists()
