"""Incremental analysis on small fixed tables, checked against hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import cea


def fixed_runs() -> pd.DataFrame:
    """Three replications of a base and an alternative, numbers chosen by hand."""
    base = {"cost_total": [100.0, 200.0, 300.0], "homeless_days": [50.0, 60.0, 70.0]}
    alt = {"cost_total": [150.0, 260.0, 320.0], "homeless_days": [40.0, 45.0, 65.0]}
    rows = []
    for name, cols in (("base", base), ("alt", alt)):
        for k in range(3):
            c, h = cols["cost_total"][k], cols["homeless_days"][k]
            rows.append(
                {
                    "scenario": name,
                    "replication": k,
                    "cost_total": c,
                    "cost_total_discounted": c,
                    "homeless_days": h,
                    "homeless_days_discounted": h,
                }
            )
    return pd.DataFrame(rows)


def test_icer_and_nmb_match_hand_computation():
    diffs = cea.differences(fixed_runs(), "base", ["alt"])
    # incremental costs 50, 60, 20 (mean 130/3); homeless days avoided 10, 15, 5 (mean 10)
    assert diffs["cost_total"].tolist() == [50.0, 60.0, 20.0]
    assert diffs["homeless_days_avoided"].tolist() == [10.0, 15.0, 5.0]
    table = cea.incremental_table(diffs).set_index("measure")
    assert table.loc["icer_homeless_day", "mean"] == pytest.approx((130 / 3) / 10)
    assert table.loc["incremental_cost_total", "mean"] == pytest.approx(130 / 3)
    # t-interval by hand: sd of (50, 60, 20) with n - 1, t quantile with 2 degrees
    sd = np.sqrt(((50 - 130 / 3) ** 2 + (60 - 130 / 3) ** 2 + (20 - 130 / 3) ** 2) / 2)
    half = stats.t.ppf(0.975, 2) * sd / np.sqrt(3)
    assert table.loc["incremental_cost_total", "low"] == pytest.approx(130 / 3 - half)
    assert table.loc["incremental_cost_total", "high"] == pytest.approx(130 / 3 + half)
    nmb = cea.nmb_table(
        diffs, {"homeless_days_avoided": [0.0, 10.0]}, cost_column="cost_total"
    ).set_index("wtp")
    # at 10 per day: 10 * (10, 15, 5) - (50, 60, 20) = (50, 90, 30), mean 170/3
    assert nmb.loc[10.0, "nmb_mean"] == pytest.approx(170 / 3)
    assert nmb.loc[10.0, "share_positive"] == 1.0
    assert nmb.loc[0.0, "nmb_mean"] == pytest.approx(-130 / 3)
    assert nmb.loc[0.0, "share_positive"] == 0.0


def test_icer_and_nmb_functions():
    assert cea.icer(500.0, 20.0) == 25.0
    assert np.isnan(cea.icer(500.0, 0.0))
    assert cea.nmb(500.0, 20.0, 30.0) == 100.0
    np.testing.assert_allclose(cea.nmb(np.array([1.0, 2.0]), np.array([1.0, 1.0]), 3.0), [2.0, 1.0])


def test_bootstrap_interval_is_reproducible_and_holds_the_icer():
    rng = np.random.default_rng(3)
    gain = rng.normal(100, 10, 50)
    cost = 20 * gain + rng.normal(0, 50, 50)
    lo, hi = cea.bootstrap_icer(cost, gain, seed=7)
    assert (lo, hi) == cea.bootstrap_icer(cost, gain, seed=7)
    assert lo < cost.mean() / gain.mean() < hi
    # an effect that may be zero gives no interval
    assert np.isnan(cea.bootstrap_icer(cost, rng.normal(0, 1, 50))[0])


@pytest.mark.parametrize(
    ("cost", "gain", "code"),
    [
        ((-5, -1), (1, 3), "dominant"),
        ((1, 5), (-3, -1), "dominated"),
        ((1, 5), (1, 3), "better_dearer"),
        ((-5, -1), (-3, -1), "cheaper_worse"),
        ((-1, 5), (1, 3), "better_same_cost"),
        ((1, 5), (-1, 3), "dearer_same_effect"),
        ((0, 0), (0, 0), "no_difference"),
        ((-1, 1), (-2, 2), "no_difference"),
    ],
)
def test_verdicts(cost, gain, code):
    got, words = cea.verdict(cost, gain)
    assert got == code
    assert words


def test_zero_cost_zero_effect_is_neither_better_nor_worse():
    runs = fixed_runs()
    same = runs[runs["scenario"] == "base"].assign(scenario="same")
    diffs = cea.differences(pd.concat([runs, same]), "base", ["same"])
    table = cea.incremental_table(diffs)
    v = cea.verdict_table(table).iloc[0]
    assert v["verdict"] == "no_difference"
    assert v["words"].startswith("neither better nor worse")
    assert np.isnan(table.set_index("measure").loc["icer_homeless_day", "mean"])


def test_unpaired_replications_are_refused():
    runs = fixed_runs()
    runs = runs[~((runs["scenario"] == "alt") & (runs["replication"] == 2))]
    with pytest.raises(ValueError, match="do not pair up"):
        cea.paired_differences(runs, "base", "alt", ["cost_total"])


def test_mean_interval_of_constant_and_short_samples():
    assert cea.mean_interval(np.array([4.0, 4.0, 4.0])) == (4.0, 4.0, 4.0)
    assert cea.mean_interval(np.array([2.0])) == (2.0, 2.0, 2.0)
    assert cea.direction(0.0, 0.0) == 0
