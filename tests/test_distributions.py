"""Parameter distributions: validation messages, quantiles and quasi-random draws."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import chain_scenario
from scipy import stats

from sim import load_scenario
from sim.distributions import (
    key_bounds,
    sample_matrix,
    sample_overrides,
    uncertain_parameters,
    unit_design,
)
from sim.scenario.errors import ScenarioError


def uncertain(dist_own: dict, dist_entries: dict | None = None) -> dict:
    """A small chain scenario with a distribution on one transition probability."""
    sc = chain_scenario(
        {"own": 50, "shelter": 20}, {"own": {"shelter": 0.01}, "shelter": {"own": 0.05}}
    )
    sc["transitions"]["high"] = {
        "own": {"shelter": 0.01},
        "shelter": {"own": {"value": 0.05, "source": "test", "dist": dist_own}},
    }
    if dist_entries is not None:
        sc["entries"] = {
            "per_week": {"value": 2.0, "source": "test", "dist": dist_entries},
            "routes": {"moving_in": {"share": 1.0, "to": {"at_risk": 1.0}}},
        }
    return sc


def test_parameters_found_with_schema_bounds() -> None:
    loaded = load_scenario(uncertain({"beta": [5, 95]}, {"gamma": [4, 0.5]}))
    params = {p.path: p for p in uncertain_parameters(loaded)}
    assert set(params) == {"transitions.high.shelter.own", "entries.per_week"}
    p = params["transitions.high.shelter.own"]
    assert (p.bounds.ge, p.bounds.le) == (0, 1)
    # low/high default to the 2.5% and 97.5% quantiles
    assert p.low == pytest.approx(stats.beta(5, 95).ppf(0.025))
    assert p.high == pytest.approx(stats.beta(5, 95).ppf(0.975))
    assert key_bounds("initial.counts.own").integer
    assert key_bounds("entries.routes.x.share").le == 1
    assert key_bounds("no.such.key") is None


@pytest.mark.parametrize(
    ("dist", "message"),
    [
        ({"betta": [1, 2]}, "unknown distribution 'betta'"),
        ({"beta": [1, 2, 3]}, "'beta' takes 2 parameters"),
        ({"beta": [0, 2]}, "a > 0 and b > 0"),
        ({"gamma": [2, 0.01]}, "outside what this key allows [0, 1]"),
        ({"lognormal": [-3, 0.2]}, "outside what this key allows"),
        ({"uniform": [0.1, 1.5]}, "outside what this key allows"),
        ({"truncated_normal": [0.05, 0.01, -1, 0.5]}, "outside what this key allows"),
        ({"beta": "x"}, "expected numbers"),
        ({"beta": [1, 2], "gamma": [1, 2]}, "expected one distribution"),
    ],
)
def test_bad_distributions_name_file_and_key(dist: dict, message: str, tmp_path) -> None:
    import yaml

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(uncertain(dist)))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert message in str(err.value)
    assert err.value.file == str(path)
    assert err.value.path.startswith("transitions.high.shelter.own.dist")


def test_truncated_normal_defaults_to_key_bounds() -> None:
    loaded = load_scenario(uncertain({"truncated_normal": [0.02, 0.05]}))
    (p,) = uncertain_parameters(loaded)
    x = p.ppf(np.linspace(0.001, 0.999, 200))
    assert x.min() >= 0 and x.max() <= 1


def test_lhs_draws_are_stratified_and_follow_the_distribution() -> None:
    # LHS puts exactly one of n points in each of n equal strata of every axis
    u = unit_design(3, 64, "lhs", seed=1)
    for j in range(3):
        assert sorted(np.floor(u[:, j] * 64).astype(int)) == list(range(64))
    loaded = load_scenario(uncertain({"beta": [5, 95]}, {"lognormal": [0.5, 0.3]}))
    params = uncertain_parameters(loaded)
    m = sample_matrix(params, 400, "lhs", seed=3)
    # with stratified draws the sample mean is within 1% of the exact mean
    for j, p in enumerate(params):
        assert m[:, j].mean() == pytest.approx(p.dist.mean(), rel=0.01)


def test_sobol_design_and_reproducibility() -> None:
    loaded = load_scenario(uncertain({"uniform": [0.02, 0.08]}, {"gamma": [4, 0.5]}))
    a = sample_overrides(loaded, 16, "sobol", seed=5)
    b = sample_overrides(loaded, 16, "sobol", seed=5)
    c = sample_overrides(loaded, 16, "sobol", seed=6)
    assert a == b and a != c
    assert all(0.02 <= d["transitions.high.shelter.own"] <= 0.08 for d in a)
    # every draw is a valid override set
    for d in a[:3]:
        sc = loaded.with_overrides(d)
        assert sc.params.transitions["high"]["shelter"]["own"] == d["transitions.high.shelter.own"]
        # the source is kept when a value inside a matrix is overridden
        assert sc.provenance["transitions.high.shelter.own"].source == "test"
    with pytest.raises(ScenarioError, match="sampling method"):
        sample_overrides(loaded, 4, "grid")


def test_fixed_and_no_distribution() -> None:
    loaded = load_scenario(uncertain({"fixed": [0.04]}))
    assert sample_overrides(loaded, 3) == [{"transitions.high.shelter.own": 0.04}] * 3
    plain = load_scenario(chain_scenario({"own": 5}, {"own": {"shelter": 0.1}}))
    assert sample_overrides(plain, 2) == [{}, {}]


def test_whole_number_keys_are_rounded() -> None:
    sc = uncertain({"beta": [5, 95]})
    sc["initial"]["counts"]["own"] = {"value": 50, "source": "test", "dist": {"uniform": [40, 60]}}
    draws = sample_overrides(load_scenario(sc), 10, seed=2)
    assert all(isinstance(d["initial.counts.own"], int) for d in draws)
