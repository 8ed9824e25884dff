"""Sobol indices (checked on the Ishigami function) and one-way sensitivity."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import chain_scenario
from scipy import stats

from sim import load_scenario
from sim.plots.sensitivity import sobol_bars, tornado
from sim.sensitivity import ishigami, ishigami_indices, one_way, sobol, sobol_model

UNIFORM_PI = [stats.uniform(-np.pi, 2 * np.pi)] * 3


def test_exact_ishigami_indices() -> None:
    # published values for a=7, b=0.1 (Saltelli et al. 2008, Global Sensitivity Analysis)
    first, total = ishigami_indices()
    np.testing.assert_allclose(first, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(total, [0.5576, 0.4424, 0.2437], atol=1e-4)


def test_sobol_estimator_matches_ishigami() -> None:
    # n = 4096 base points (20,480 evaluations): the estimators' standard error is
    # about 0.01 here, so 0.02 is a 2-sigma bound that a broken estimator would miss
    # (a mix-up of first and total order alone is off by 0.24 on x1).
    first, total = ishigami_indices()
    res = sobol(ishigami, UNIFORM_PI, ["x1", "x2", "x3"], n=4096, seed=1, resamples=50)
    np.testing.assert_allclose(res.table["first"], first, atol=0.02)
    np.testing.assert_allclose(res.table["total"], total, atol=0.02)
    assert res.evaluations == 4096 * 5


def test_bootstrap_intervals_cover_exact_indices() -> None:
    first, total = ishigami_indices()
    res = sobol(ishigami, UNIFORM_PI, ["x1", "x2", "x3"], n=1024, seed=3, resamples=200)
    t = res.table
    assert ((t["first_low"] <= first) & (first <= t["first_high"])).all()
    assert ((t["total_low"] <= total) & (total <= t["total_high"])).all()
    assert (t["first_high"] - t["first_low"] < 0.2).all()


def test_sobol_requires_power_of_two() -> None:
    from sim.scenario.errors import ScenarioError

    with pytest.raises(ScenarioError, match="power of two"):
        sobol(ishigami, UNIFORM_PI, ["a", "b", "c"], n=100)


def scenario() -> dict:
    """Homeless people leave shelter at a rate with a wide distribution; an unused
    parameter (high-needs rows, nobody is high-needs) has one too."""
    sc = chain_scenario(
        {"own": 40, "shelter": 60},
        {
            "own": {"shelter": 0.005},
            "shelter": {
                "own": {
                    "value": 0.03,
                    "source": "test",
                    "low": 0.01,
                    "high": 0.08,
                    "dist": {"uniform": [0.01, 0.08]},
                }
            },
        },
        years=2,
        needs_rows={
            "medium": {"own": {"shelter": 0.005}},
            "high": {
                "own": {"shelter": {"value": 0.01, "source": "test", "dist": {"beta": [2, 50]}}}
            },
        },
    )
    return sc


def test_one_way_orders_parameters_by_swing(tmp_path) -> None:
    loaded = load_scenario(scenario())
    t = one_way(loaded, "homeless_days", replications=2, seed=0)
    assert list(t["parameter"]) == ["transitions.low.shelter.own", "transitions.high.own.shelter"]
    top = t.iloc[0]
    # a faster exit from shelter means fewer homeless days
    assert top["outcome_high"] < top["base"] < top["outcome_low"]
    # nobody has high needs: that parameter cannot matter (common random numbers)
    assert t.iloc[1]["swing"] == 0
    tornado(t, "homeless_days", tmp_path / "tornado.png")
    assert (tmp_path / "tornado.png").stat().st_size > 1000


def test_sobol_on_model_credits_the_parameter_that_matters(tmp_path) -> None:
    loaded = load_scenario(scenario())
    res = sobol_model(loaded, "homeless_days", n=16, replications=1, seed=0, resamples=50)
    t = res.table.set_index("parameter")
    # the unused parameter explains nothing: with common random numbers its indices
    # are exactly zero; the other explains (nearly) everything
    assert t.loc["transitions.high.own.shelter", "total"] == pytest.approx(0, abs=1e-9)
    assert t.loc["transitions.low.shelter.own", "total"] > 0.8
    sobol_bars(res.table, "homeless_days", tmp_path / "sobol.png")
    assert (tmp_path / "sobol.png").exists()


def test_sensitivity_command(tmp_path, capsys) -> None:
    import yaml

    from sim.cli import main

    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(load_scenario(scenario()).raw))
    out = tmp_path / "one"
    assert main(["sensitivity", str(f), "--replications", "1", "--out", str(out)]) == 0
    assert (out / "one_way.csv").exists() and (out / "tornado.png").exists()
    assert "transitions.low.shelter.own" in capsys.readouterr().out
    assert (
        main(["sensitivity", str(f), "--outcome", "nothing", "--out", str(tmp_path / "bad")]) == 2
    )
    assert "unknown outcome 'nothing'" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
