"""Probabilistic sensitivity analysis: CEAC and EVPI maths, runs with common random numbers."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import chain_scenario

from sim import load_scenario
from sim.cli import main
from sim.psa import ceac, curves, draw_table, evpi, incremental, run_psa, summary_table


def random_options(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    costs = np.column_stack([rng.normal(1000, 100, n), rng.normal(1050, 150, n)])
    effects = np.column_stack([rng.normal(10, 1, n), rng.normal(10.5, 1.5, n)])
    return costs, effects


def test_ceac_at_zero_wtp_is_the_share_where_the_alternative_is_cheaper() -> None:
    costs, effects = random_options()
    probs = ceac(costs, effects, [0.0, 50.0, 1e9])
    cheaper = (costs[:, 1] < costs[:, 0]).mean()
    assert probs[0, 1] == pytest.approx(cheaper)
    # at a huge WTP only effects matter
    assert probs[2, 1] == pytest.approx((effects[:, 1] > effects[:, 0]).mean())
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_evpi_is_non_negative_and_zero_when_one_option_always_wins() -> None:
    costs, effects = random_options()
    wtp = np.linspace(0, 500, 26)
    assert (evpi(costs, effects, wtp) >= 0).all()
    assert evpi(costs, effects, wtp).max() > 0
    # the alternative is cheaper and better in every draw: nothing to learn
    dominant_c = np.column_stack([costs[:, 0], costs[:, 0] - 10])
    dominant_e = np.column_stack([effects[:, 0], effects[:, 0] + 1])
    np.testing.assert_array_equal(evpi(dominant_c, dominant_e, wtp), 0.0)


def test_evpi_of_a_coin_toss() -> None:
    # net benefits (0, +10) or (0, -10) with equal chance: with perfect information one
    # gains 10 half the time, E[max] = 5, max E = 0, so EVPI = 5
    costs = np.array([[0.0, -10.0], [0.0, 10.0]])
    effects = np.zeros((2, 2))
    assert evpi(costs, effects, [0.0])[0] == pytest.approx(5.0)


def scenarios(uncertain: bool = True) -> list:
    """A base and a faster-rehousing alternative, 2 years, shelter days priced."""
    price: object = 1200.0
    exit_rate: object = 0.03
    if uncertain:
        price = {"value": 1200.0, "source": "test", "dist": {"gamma": [25, 48]}}
        exit_rate = {"value": 0.03, "source": "test", "dist": {"uniform": [0.015, 0.05]}}
    base = chain_scenario(
        {"own": 400, "shelter": 60},
        {"own": {"shelter": 0.003}, "shelter": {"own": exit_rate}},
        years=2,
    )
    base = json.loads(json.dumps(base))  # rows of the needs groups not shared objects
    base["costs"] = {"situations": {"shelter": {"price": price}}}
    alt = copy.deepcopy(base)
    alt["name"] = "faster"
    alt["transitions"]["low"]["shelter"]["friends"] = 0.0  # same keys, different rows
    alt["transitions"]["low"]["own"]["shelter"] = 0.0015
    return [load_scenario(base), load_scenario(alt)]


def test_no_uncertain_parameters_gives_zero_spread() -> None:
    res = run_psa(scenarios(uncertain=False), draws=4, replications=2)
    assert list(res.draws.columns) == ["draw"]
    for _name, g in res.outcomes.groupby("scenario"):
        assert g["cost"].nunique() == 1 and g["effect"].nunique() == 1


def test_psa_runs_draws_with_common_random_numbers() -> None:
    base, alt = scenarios()
    same = load_scenario({**base.raw, "name": "same"})
    res = run_psa([base, same, alt], draws=6, replications=1, seed=3)
    c, e = res.arrays()
    # an identical scenario under another name gives exactly zero difference per draw
    np.testing.assert_array_equal(c[:, 1], c[:, 0])
    np.testing.assert_array_equal(e[:, 1], e[:, 0])
    # the parameters vary, and so do the outcomes
    assert res.draws["costs.situations.shelter.price"].nunique() == 6
    assert np.unique(c[:, 0]).size == 6
    inc = incremental(c, e, res.names)
    table = summary_table(inc).set_index("alternative")
    # fewer people fall into shelter in the alternative: fewer homeless days, lower cost
    assert table.loc["faster", "p_gain"] == 1.0
    assert table.loc["faster", "p_cost_saving"] == 1.0
    cur = curves(res, np.array([0.0, 1000.0]))
    assert cur["p_faster"].tolist() == [1.0, 1.0]
    assert (cur["evpi_modelled"] == 0).all()


def test_each_scenario_keeps_its_own_distribution() -> None:
    base, alt = scenarios()
    raw = copy.deepcopy(alt.raw)
    raw["transitions"]["low"]["shelter"]["own"]["dist"] = {"uniform": [0.06, 0.09]}
    alt = load_scenario(raw)
    from sim.psa import make_draws, scenario_for_draw

    draws = make_draws([base, alt], 5, seed=2)
    b_vals, a_vals = [], []
    for i in range(5):
        units, values = draws.row(i)
        for sc, out in ((base, b_vals), (alt, a_vals)):
            sc_i = scenario_for_draw(sc, units, values)
            out.append(sc_i.params.transitions["low"]["shelter"]["own"])
    assert all(0.015 <= x <= 0.05 for x in b_vals)
    assert all(0.06 <= x <= 0.09 for x in a_vals)
    # the same quantile in both: the values are in the same order
    assert np.argsort(b_vals).tolist() == np.argsort(a_vals).tolist()
    assert draws.values["transitions.low.shelter.own"].tolist() == pytest.approx(b_vals)


@pytest.mark.slow  # starts two fresh worker processes (a few seconds of imports)
def test_workers_do_not_change_results() -> None:
    a = run_psa(scenarios(), draws=4, seed=1, workers=1)
    b = run_psa(scenarios(), draws=4, seed=1, workers=2)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)


def test_fresh_noise_differs_and_posterior_draws_are_used() -> None:
    res = run_psa(scenarios(uncertain=False), draws=3, noise="fresh")
    assert res.outcomes.groupby("scenario")["effect"].nunique().min() > 1
    post = pd.DataFrame(
        {"draw": [0, 1], "transitions.low.shelter.own": [0.02, 0.04], "distance": [1.0, 2.0]}
    )
    table = draw_table(scenarios(), 8, seed=0, posterior=post)
    assert set(table["transitions.low.shelter.own"]) <= {0.02, 0.04}
    assert table["costs.situations.shelter.price"].nunique() == 8


def test_psa_command(tmp_path, capsys) -> None:
    files = []
    for sc in scenarios():
        f = tmp_path / f"{sc.name}.yaml"
        f.write_text(yaml.safe_dump(sc.raw))
        files.append(str(f))
    out = tmp_path / "psa"
    assert (
        main(["psa", *files, "--draws", "4", "--sampling", "sobol", "--out", str(out), "--quiet"])
        == 0
    )
    for name in (
        "draws.csv",
        "outcomes.csv",
        "incremental.csv",
        "summary.csv",
        "ceac_evpi.csv",
        "ce_plane.png",
        "ceac.png",
        "evpi.png",
        "manifest.json",
    ):
        assert (out / name).exists(), name
    assert "P(most cost-effective)" in capsys.readouterr().out
    # an unknown cost column: exit code 2 and a message naming it
    assert (
        main(
            ["psa", *files, "--draws", "2", "--cost", "cost_nothing", "--out", str(tmp_path / "x")]
        )
        == 2
    )
    assert "cost_nothing" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
