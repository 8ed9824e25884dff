"""Posterior calibration on the real model: a small recovery, restart, CLI, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import chain_scenario, count_targets

from sim import load_scenario
from sim.calibration import load_targets
from sim.cli import main
from sim.posterior import fit_posterior
from sim.scenario.errors import ScenarioError
from sim.simulate import simulate

TRUE = {"transitions.low.own.shelter": 0.002, "transitions.low.shelter.own": 0.03}
FREE = {
    "transitions.low.own.shelter": {"low": 0.0005, "high": 0.01},
    "transitions.low.shelter.own": {"low": 0.005, "high": 0.1},
}
YEARS = (2015, 2016)


def small() -> dict:
    """5,100 citizens for 2 years: housed people fall into shelter and are rehoused."""
    return chain_scenario(
        {"own": 5000, "shelter": 100},
        {"own": {"shelter": 0.006}, "shelter": {"own": 0.07}},
        years=2,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    """The scenario (with wrong values) and targets simulated at the true values: one
    run on a seed the fit never uses, 5% sd."""
    root = tmp_path_factory.mktemp("post")
    truth = simulate(load_scenario(small()).with_overrides(TRUE), [10**8], seed=11)
    targets = {
        "name": "synthetic",
        "free": FREE,
        "targets": count_targets(truth, YEARS),
    }
    (root / "s.yaml").write_text(yaml.safe_dump(small()))
    (root / "t.yaml").write_text(yaml.safe_dump(targets))
    return {
        "root": root,
        "scenario": str(root / "s.yaml"),
        "targets": str(root / "t.yaml"),
        "raw": targets,
    }


ARGS = [
    "--method",
    "abc-smc",
    "--particles",
    "16",
    "--replications",
    "1",
    "--predictive-draws",
    "10",
    "--seed",
    "3",
    "-q",
]


@pytest.fixture(scope="module")
def fitted(files) -> dict:
    out = files["root"] / "fit"
    assert (
        main(
            [
                "calibrate",
                files["scenario"],
                files["targets"],
                *ARGS,
                "--generations",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    return {"out": out}


def test_recovers_the_true_values_and_writes_everything(fitted) -> None:
    out = fitted["out"]
    for name in (
        "posterior.csv",
        "posterior.parquet",
        "posterior_summary.csv",
        "generations.csv",
        "predictive.csv",
        "fit.json",
        "marginals.png",
        "pairs.png",
        "predictive.png",
        "manifest.json",
        "chain_calibrated.yaml",
    ):
        assert (out / name).exists(), name
    post = pd.read_csv(out / "posterior.csv")
    assert abs(post["weight"].sum() - 1) < 1e-9 and len(post) == 16
    summ = pd.read_csv(out / "posterior_summary.csv").set_index("parameter")
    # a small, early (temperature above 1) fit: the truth lies inside the 95% interval,
    # and the count pins the inflow rate to well inside its prior range
    for path, value in TRUE.items():
        lo, hi = summ.loc[path, "low_95"], summ.loc[path, "high_95"]
        assert lo <= value <= hi, (path, lo, hi)
    path = "transitions.low.own.shelter"
    width = summ.loc[path, "high_95"] - summ.loc[path, "low_95"]
    assert width < 0.7 * (FREE[path]["high"] - FREE[path]["low"])
    gens = pd.read_csv(out / "generations.csv")
    assert {"temperature", "acceptance_rate", "ess", "runs"} <= set(gens.columns)
    pred = pd.read_csv(out / "predictive.csv")
    assert len(pred) == 4 and {"low_80", "high_95", "inside_80"} <= set(pred.columns)
    stats = json.loads((out / "fit.json").read_text())
    assert stats["method"] == "abc-smc" and stats["runs"] == gens["runs"].sum()
    post = pd.read_csv(out / "posterior.csv")
    sets = post.loc[post["weight"] > 0, list(TRUE)].drop_duplicates()
    assert stats["distinct"] == len(sets) <= stats["particles"]


def test_fitted_scenario_carries_the_posterior(fitted) -> None:
    sc = load_scenario(fitted["out"] / "chain_calibrated.yaml")
    summ = pd.read_csv(fitted["out"] / "posterior_summary.csv").set_index("parameter")
    for path in TRUE:
        dist = sc.provenance[path].dist
        mean, sd, lo, hi = dist["truncated_normal"]
        assert (lo, hi) == (FREE[path]["low"], FREE[path]["high"])
        assert mean == pytest.approx(summ.loc[path, "mean"], rel=1e-5)
        assert sd == pytest.approx(summ.loc[path, "sd"], rel=1e-5)


def test_stopped_and_resumed_equals_straight_through(files, fitted) -> None:
    out = files["root"] / "resumed"
    assert (
        main(
            [
                "calibrate",
                files["scenario"],
                files["targets"],
                *ARGS,
                "--generations",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "calibrate",
                files["scenario"],
                files["targets"],
                *ARGS,
                "--generations",
                "3",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    a = pd.read_csv(out / "posterior.csv")
    b = pd.read_csv(fitted["out"] / "posterior.csv")
    pd.testing.assert_frame_equal(a, b)
    assert json.loads((out / "fit.json").read_text())["resumed_from"] == 1


def test_same_result_with_two_workers(files, fitted) -> None:
    """Two worker processes give the same particles and predictive draws as one."""

    def fit(workers: int):
        return fit_posterior(
            load_scenario(files["scenario"]),
            load_targets(files["targets"]),
            particles=16,
            replications=1,
            seed=3,
            generations=2,
            predictive_draws=4,
            workers=workers,
        )

    one, two = fit(1), fit(2)
    pd.testing.assert_frame_equal(one.posterior, two.posterior)
    pd.testing.assert_frame_equal(one.predictive_draws, two.predictive_draws)


def test_the_tempered_scheme_from_the_command_line(files, tmp_path) -> None:
    """``--moves 2``: each later generation runs particles x 2 candidates, is reported
    with its step factor, and the fit writes the same files."""
    out = tmp_path / "moves"
    args = ["calibrate", files["scenario"], files["targets"], *ARGS, "--generations", "3"]
    assert main([*args, "--moves", "2", "--out", str(out)]) == 0
    gens = pd.read_csv(out / "generations.csv")
    assert (gens["runs"].iloc[1:] == 16 * 2).all()
    assert gens["step_scale"].iloc[1:].notna().all()
    assert (out / "posterior.csv").exists() and (out / "predictive.csv").exists()
    fit = pd.read_csv(out / "posterior.csv")
    assert len(fit) == 16 and np.isclose(fit["weight"].sum(), 1.0)


@pytest.mark.parametrize(
    ("change", "message", "where"),
    [
        (
            {"targets": [{"measure": "pit", "year": 2031, "observed": 100, "cv": 0.1}]},
            "outside the run",
            "targets[0].year",
        ),
        (
            {
                "free": {
                    "transitions.low.own.shelter": {
                        "low": 0.0005,
                        "high": 0.01,
                        "prior": {"uniform": [0.2, 0.3]},
                    }
                }
            },
            "no probability on the free range",
            "free.transitions.low.own.shelter.prior",
        ),
        (
            {"free": {"transitions.low.own.nowhere": {"low": 0.0005, "high": 0.01}}},
            "no value at",
            "free.transitions.low.own.nowhere",
        ),
    ],
)
def test_bad_input_is_one_clear_error_and_nothing_written(
    files, tmp_path, capsys, change, message, where
) -> None:
    bad = {**files["raw"], **change}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    out = tmp_path / "out"
    code = main(["calibrate", files["scenario"], str(path), *ARGS, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("homesim: error:") and err.count("\n") == 1
    assert message in err and where in err and "bad.yaml" in err
    assert not out.exists()


def test_prior_from_the_scenario_distribution(files) -> None:
    raw = small()
    raw["transitions"]["low"]["shelter"]["own"] = {"value": 0.07, "dist": {"beta": [3, 97]}}
    from sim.posterior import build_prior

    prior = build_prior(load_scenario(raw), load_targets(files["raw"]))
    assert prior.dists[0] is None and prior.dists[1] is not None
    assert prior.dists[1].mean() == pytest.approx(0.03)
    z = prior.sample(np.random.default_rng(0).random((2000, 2)))
    x = FREE["transitions.low.shelter.own"]
    vals = x["low"] + z[:, 1] * (x["high"] - x["low"])
    assert abs(np.mean(vals) - 0.03) < 0.003


def test_a_fixed_prior_is_refused(files) -> None:
    raw = {
        **files["raw"],
        "free": {
            "transitions.low.own.shelter": {
                "low": 0.0005,
                "high": 0.01,
                "prior": {"fixed": [0.002]},
            }
        },
    }
    with pytest.raises(ScenarioError, match="no prior"):
        fit_posterior(load_scenario(files["scenario"]), load_targets(raw), particles=10)


def test_psa_draws_an_abc_smc_posterior_by_weight() -> None:
    from sim.psa import make_draws

    post = pd.DataFrame(
        {"transitions.low.own.shelter": [0.001, 0.002, 0.003], "weight": [0.0, 1.0, 0.0]}
    )
    draws = make_draws([load_scenario(small())], 20, posterior=post)
    assert (draws.values["transitions.low.own.shelter"] == 0.002).all()


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--max-minutes", "0", "expected a number above 0"),
        ("--kernel", "nearest", "invalid choice"),
        ("--moves", "-1", "expected"),
        ("--keep", "1.5", "expected"),
    ],
)
def test_bad_sampler_flags_are_one_clear_error(files, tmp_path, capsys, flag, value, message):
    out = tmp_path / "out"
    code = main(
        ["calibrate", files["scenario"], files["targets"], *ARGS, flag, value, "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert flag in err and message in err
    assert not out.exists()


def test_a_prior_that_is_an_earlier_fits_posterior_is_named(files, fitted) -> None:
    """Refitting a fitted scenario with no ``prior:`` in the targets would take each
    parameter's dist, the earlier posterior, as its prior: the data counted twice.
    Such parameters are named (the command warns); a stated prior clears them."""
    from sim.posterior import refitted_priors

    sc = load_scenario(fitted["out"] / "chain_calibrated.yaml")
    assert refitted_priors(sc, load_targets(files["targets"])) == list(TRUE)
    assert refitted_priors(load_scenario(files["scenario"]), load_targets(files["targets"])) == []
    stated = {
        **files["raw"],
        "free": {k: {**v, "prior": {"uniform": [v["low"], v["high"]]}} for k, v in FREE.items()},
    }
    assert refitted_priors(sc, load_targets(stated)) == []
