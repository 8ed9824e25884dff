"""Span targets (a sum or mean over months) and sds known only up to a factor per series.

The unknown factor is integrated out in closed form (:class:`sim.calibration.SdScale`);
these tests check that form against numerical integration, its posterior draws
against the inverse-gamma moments, and ABC-SMC with it against an exact posterior.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from sim.abc_smc import Prior, Settings, run_smc
from sim.calibration import (
    SdScale,
    Target,
    distance,
    load_targets,
    series_index,
    series_sums,
    target_values,
    weighted_z2,
)
from sim.posterior import loglik
from sim.scenario.errors import ScenarioError


def _targets(*items: dict, **top) -> list[Target]:
    return list(load_targets({"targets": list(items), **top}).targets)


def _span(measure: str = "newly_identified", **item) -> dict:
    base = {"measure": measure, "month": "2018-11", "until": "2019-02", "observed": 40, "sd": 4}
    return {**base, **item}


# ---------------------------------------------------------------- span targets


def test_a_span_sums_or_averages_its_months_and_is_dated_by_its_last():
    flow, stock = _targets(_span(), _span("actively_homeless", aggregate="mean"))
    assert flow.column == "newly_identified_2018-11..2019-02" and flow.year == 2019
    assert flow.parts == tuple(
        f"newly_identified_{m}" for m in ("2018-11", "2018-12", "2019-01", "2019-02")
    )
    assert flow.series == "newly_identified" and stock.aggregate == "mean"
    months = ("2018-11", "2018-12", "2019-01", "2019-02")
    frame = pd.DataFrame(
        {
            **{f"newly_identified_{m}": [1.0 + k, 10.0] for k, m in enumerate(months)},
            **{f"actively_homeless_{m}": [100.0 * (k + 1), 5.0] for k, m in enumerate(months)},
        }
    )
    values = target_values(frame, [flow, stock])
    assert values[flow.name].tolist() == [1 + 2 + 3 + 4, 40.0]
    assert values[stock.name].tolist() == [250.0, 5.0]


def test_a_span_names_the_first_month_the_runs_lack():
    (t,) = _targets(_span())
    frame = pd.DataFrame({"newly_identified_2018-11": [1.0], "newly_identified_2018-12": [1.0]})
    with pytest.raises(ScenarioError, match="newly_identified_2019-01"):
        target_values(frame, [t])


@pytest.mark.parametrize(
    "item, path, message",
    [
        ({"until": "2018-10"}, "targets[0].until", "from 2018-11 on"),
        ({"until": "2019-13"}, "targets[0].until", "expected a month YYYY-MM"),
        ({"aggregate": "median"}, "targets[0].aggregate", "one of sum, mean"),
        ({"divide_by": "x"}, "targets[0]", "no 'divide_by'"),
        ({"month": None, "year": 2019}, "targets[0]", "a first 'month'"),
    ],
)
def test_bad_spans_are_refused_with_their_key_path(item, path, message):
    spec = {k: v for k, v in _span(**item).items() if v is not None}
    with pytest.raises(ScenarioError, match=message) as err:
        load_targets({"targets": [spec]})
    assert err.value.path == path


def test_an_aggregate_needs_a_span():
    with pytest.raises(ScenarioError, match="needs a span"):
        load_targets(
            {
                "targets": [
                    {"measure": "x", "month": "2019-01", "aggregate": "sum", "observed": 1, "sd": 1}
                ]
            }
        )


# ---------------------------------------------------------------- the sd_scale section


@pytest.mark.parametrize(
    "spec, path",
    [
        ({"shape": -1}, "sd_scale.shape"),
        ({"rate": 0}, "sd_scale.rate"),
        ({"rate": "wide"}, "sd_scale.rate"),
        ({"width": 2}, "sd_scale"),
        ("yes", "sd_scale"),
    ],
)
def test_a_bad_sd_scale_is_refused_with_its_key_path(spec, path):
    with pytest.raises(ScenarioError) as err:
        load_targets({"targets": [_span()], "sd_scale": spec})
    assert err.value.path == path


def test_sd_scale_reads_true_a_mapping_or_nothing():
    assert load_targets({"targets": [_span()], "sd_scale": True}).sd_scale == SdScale(1.0, 1.0)
    assert load_targets({"targets": [_span()], "sd_scale": {"shape": 2}}).sd_scale == SdScale(
        2.0, 1.0
    )
    assert load_targets({"targets": [_span()]}).sd_scale is None
    assert load_targets({"targets": [_span()], "sd_scale": False}).sd_scale is None


# ---------------------------------------------------------------- the closed form


@pytest.mark.parametrize("shape, rate", [(1.0, 1.0), (2.0, 0.5), (0.5, 3.0)])
def test_the_closed_form_is_the_integral_over_the_factor(shape, rate):
    """log p(y | x) with k^2 integrated out numerically, against the closed form.

    The Gaussian density of n residuals with sds k * sd_i, times the inverse-gamma
    density of k^2, integrated over k^2 (scipy quad, relative error below 1e-8): the
    differences between three residual vectors agree to 1e-6 with those of
    :meth:`SdScale.log_marginal` (which drops a constant common to all).
    """
    sd = np.array([2.0, 5.0, 1.0, 3.0])
    prior = stats.invgamma(shape, scale=rate)

    def numeric(resid: np.ndarray) -> float:
        def f(v: float) -> float:
            return float(np.prod(stats.norm.pdf(resid, 0.0, np.sqrt(v) * sd)) * prior.pdf(v))

        return math.log(integrate.quad(f, 0, np.inf, epsrel=1e-10, limit=400)[0])

    scale = SdScale(shape, rate)
    cases = [np.array([1.0, -2.0, 0.5, 0.0]), np.array([4.0, 9.0, -3.0, 6.0]), np.zeros(4)]
    exact = [numeric(r) for r in cases]
    closed = [float(scale.log_marginal(np.sum((r / sd) ** 2), np.array(4.0))) for r in cases]
    assert np.allclose(np.diff(exact), np.diff(closed), atol=1e-6)
    assert max(closed) <= 0.0


def test_draws_of_the_factor_follow_its_inverse_gamma_posterior():
    """Mean and median of 200,000 draws within 1% of inverse-gamma(a + n/2, b + q/2)'s.

    The Monte Carlo error of the mean is its sd / sqrt(200,000): with shape 5.5 that is
    0.2% of the mean, so 1% is five of them.
    """
    scale = SdScale(1.0, 2.0)
    q, n = np.full(200_000, 30.0), np.full(200_000, 9.0)
    draws = scale.draw_squared(q, n, np.random.default_rng(5))
    exact = stats.invgamma(1.0 + 4.5, scale=2.0 + 15.0)
    assert abs(draws.mean() / exact.mean() - 1) < 0.01
    assert abs(np.median(draws) / exact.median() - 1) < 0.01


def test_the_likelihood_sums_its_series_and_the_optimiser_agrees():
    ts = _targets(
        {"measure": "a", "year": 2019, "observed": 10, "sd": 1},
        {"measure": "a", "year": 2020, "observed": 12, "sd": 2},
        {"measure": "b", "year": 2019, "observed": 5, "sd": 1, "weight": 0},
        {"measure": "b", "year": 2020, "observed": 7, "sd": 1},
    )
    idx, n = series_index(ts)
    assert idx.tolist() == [0, 0, 1, 1] and n.tolist() == [2.0, 1.0]  # weight 0: not counted
    values = np.array([[11.0, 16.0, 99.0, 8.0], [10.0, 12.0, 5.0, 7.0]])
    z2 = weighted_z2(values, ts)
    assert series_sums(z2, idx, 2).tolist() == [[1.0 + 4.0, 1.0], [0.0, 0.0]]
    scale = SdScale()
    per_run = -(1 + 1) * np.log1p(5.0 / 2) - (1 + 0.5) * np.log1p(1.0 / 2)
    expected = math.log((math.exp(per_run) + 1.0) / 2)  # the second run fits exactly
    assert loglik(values, ts, scale) == pytest.approx(expected, rel=1e-12)
    assert distance(values[0], ts, scale) == pytest.approx(-2 * per_run, rel=1e-12)
    assert distance(values[0], ts) == pytest.approx(1 + 4 + 1)  # known sds: the plain sum


# ---------------------------------------------------------------- with ABC-SMC


def test_smc_with_an_unknown_scale_matches_the_exact_posterior():
    """A mean observed 12 times with sds stated three times too small.

    y_i ~ N(theta, (3 s)^2), s = 0.02 stated. With the factor unknown (a = b = 1) the
    exact posterior of theta under a flat prior on [0, 1] is a grid integral of the
    closed form; ABC-SMC with 400 particles and a deterministic likelihood must reach
    temperature 1 with a mean within 0.01 (the posterior sd is about 0.018, the Monte
    Carlo error of the mean under 0.003) and an sd within 20% of the grid's. With the
    sds taken as known the posterior sd would be about 0.006, a third of it: the test
    fails if the factor is ignored.
    """
    rng = np.random.default_rng(11)
    s, truth = 0.02, 0.4
    y = truth + 3 * s * rng.standard_normal(12)
    scale = SdScale()

    def logp(theta: np.ndarray) -> np.ndarray:
        q = np.sum(((y[None, :] - theta[:, None]) / s) ** 2, axis=1)
        return scale.log_marginal(q, np.array(12.0))

    def evaluate(z: np.ndarray, serials: np.ndarray) -> np.ndarray:
        return logp(z[:, 0])

    res = run_smc(
        evaluate, Prior(("theta",), (0.0,), (1.0,), (None,)), Settings(particles=400, seed=2)
    )
    assert res.exact
    grid = np.linspace(0, 1, 20_001)
    w = np.exp(logp(grid) - logp(grid).max())
    w /= w.sum()
    mean = float(w @ grid)
    sd = float(np.sqrt(w @ (grid - mean) ** 2))
    pop = res.population
    m = float(pop.weights @ pop.z[:, 0])
    sd_smc = float(np.sqrt(pop.weights @ (pop.z[:, 0] - m) ** 2))
    assert abs(m - mean) < 0.01
    assert abs(sd_smc / sd - 1) < 0.2
    assert sd > 2 * s / math.sqrt(12)  # wider than with the stated sds taken as known
