"""The cost model: closed-form cases, accounting identities, discounting, validation."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import SCENARIOS, chain_scenario

import sim
from sim.costs import cost_columns, discount_factors, run_costs, run_effects
from sim.scenario.costs_schema import PAYERS
from sim.scenario.errors import ScenarioError
from sim.streams import run_seed

LIVING = (
    "own",
    "at_risk",
    "rough",
    "night_shelter",
    "shelter",
    "friends",
    "starter",
    "alternative",
    "supported",
)


def cohort(n: int = 10, years: int = 2, costs: dict | None = None) -> dict:
    """``n`` citizens in a shelter who never move: the closed-form case."""
    d = chain_scenario({"shelter": n}, {}, years=years)
    d["costs"] = costs or {}
    return d


SHELTER_COSTS = {
    "price_year": 2023,
    "price_index": {2020: 100.0, 2023: 110.0},
    "situations": {
        "shelter": {
            "price": 1000.0,
            "price_year": 2020,
            "own_payment": 100.0,
            "payers": {"municipality": 0.5, "state": 0.5},
        }
    },
}


def run_model(d: dict, seed: int = 1) -> sim.HomelessnessModel:
    model = sim.HomelessnessModel(sim.load_scenario(d), rng=run_seed(seed, 0))
    return model.run()


def test_closed_form_cohort_in_shelter():
    """10 people x 104 weeks x 7 days x DKK 1,000 of 2020, indexed by 110/100 to 2023."""
    model = run_model(cohort(costs=SHELTER_COSTS))
    rc = run_costs(model)
    days = 10 * 104 * 7
    assert rc.total() == pytest.approx(days * 1100.0, rel=1e-12)
    payers = rc.by_payer()
    assert payers["citizen"] == pytest.approx(days * 110.0, rel=1e-12)
    assert payers["municipality"] == pytest.approx(days * 495.0, rel=1e-12)
    assert payers["state"] == pytest.approx(days * 495.0, rel=1e-12)
    assert payers["region"] == 0.0
    # year 0 undiscounted, year 1 divided by 1.035
    assert rc.total(discounted=True) == pytest.approx(
        10 * 52 * 7 * 1100.0 * (1 + 1 / 1.035), rel=1e-12
    )


def test_closed_form_service_use_support_and_effects():
    """Services: 2 visits per person-year at DKK 500; QALYs at weight 0.5; spells."""
    costs = copy.deepcopy(SHELTER_COSTS)
    costs["services"] = {
        "emergency_visits": {
            "price": {"price": 500.0, "payers": {"region": 1.0}},
            "use": {"homeless": {"low": 2.0}, "default": {"low": 99.0}},
        }
    }
    costs["effects"] = {"utilities": dict.fromkeys(LIVING, 0.5)}
    model = run_model(cohort(costs=costs))
    cols = cost_columns(model)
    assert cols["cost_item_emergency_visits"] == pytest.approx(10 * 2 * 2 * 500.0, rel=1e-12)
    assert cols["cost_region"] == pytest.approx(20_000.0, rel=1e-12)
    assert cols["qalys"] == pytest.approx(10 * 2 * 0.5, rel=1e-12)
    assert cols["qalys_discounted"] == pytest.approx(10 * 0.5 * (1 + 1 / 1.035), rel=1e-12)
    assert cols["people_ever_homeless"] == 10
    assert cols["homeless_days_discounted"] == pytest.approx(
        10 * 52 * 7 * (1 + 1 / 1.035), rel=1e-12
    )
    # everyone stays homeless two years, so every spell is long-term (>= 52 weeks)
    assert cols["chronic_homeless_end"] == 10
    assert cols["long_spells"] == 10


def test_totals_add_up_over_items_and_payers():
    """Total = sum of items = sum over payers, plain and discounted, on a moving population."""
    d = chain_scenario(
        {"shelter": 60, "at_risk": 40, "own": 100, "rough": 10},
        {
            "shelter": {"own": 0.03, "rough": 0.01},
            "rough": {"shelter": 0.05},
            "at_risk": {"shelter": 0.02, "own": 0.02},
            "own": {"at_risk": 0.01},
        },
        years=3,
    )
    src = costs_denmark()
    d["costs"] = src
    cols = sim.run_once(sim.load_scenario(d), 0, 3).summary
    for sfx in ("", "_discounted"):
        total = cols[f"cost_total{sfx}"]
        assert total > 0
        items = sum(
            v
            for k, v in cols.items()
            if k.startswith("cost_item_") and k.endswith("_discounted") == bool(sfx)
        )
        payers = sum(cols[f"cost_{p}{sfx}"] for p in PAYERS)
        assert items == pytest.approx(total, rel=1e-12)
        assert payers == pytest.approx(total, rel=1e-12)
    assert cols["cost_total_discounted"] < cols["cost_total"]
    assert cols["evictions"] > 0
    assert cols["cost_item_evictions"] == pytest.approx(
        cols["evictions"] * 30000 * 1.0, rel=1e-12
    )  # 2023 prices, price year 2023


def costs_denmark() -> dict:
    from sim.scenario.loader import read_yaml

    return read_yaml(SCENARIOS / "costs_denmark.yaml")["costs"]


def test_discount_rate_zero_gives_undiscounted():
    d = chain_scenario(
        {"shelter": 30, "own": 30}, {"shelter": {"own": 0.05}, "own": {"shelter": 0.02}}, years=4
    )
    d["costs"] = {**costs_denmark(), "discount_rate": 0.0, "long_rate": 0.0}
    cols = sim.run_once(sim.load_scenario(d), 0, 5).summary
    for k in [k for k in cols if k.endswith("_discounted")]:
        assert cols[k] == cols[k.removesuffix("_discounted")], k


def test_discount_factors_by_year_and_long_rate():
    sc = sim.load_scenario(
        {"costs": {"discount_rate": 0.1, "long_rate": 0.05, "long_rate_from": 2}}
    ).params.costs
    f = discount_factors(sc, 4 * 52)
    assert f[0] == f[51] == 1.0
    assert f[52] == pytest.approx(1 / 1.1)
    assert f[104] == pytest.approx(1 / 1.1 / 1.05)
    assert f[156] == pytest.approx(1 / 1.1 / 1.05**2)


def test_dated_change_of_price():
    """A price change from 2016 applies from week 52 on."""
    d = cohort(years=2, costs={"situations": {"shelter": {"price": 100.0}}})
    d["changes"] = [{"date": "2016", "set": {"costs.situations.shelter.price": 300.0}}]
    rc = run_costs(run_model(d))
    assert rc.total() == pytest.approx(10 * 7 * 52 * (100 + 300), rel=1e-12)


def test_support_costs_and_service_multiplier():
    """A CTI team supporting the cohort: support priced per person-week, and services
    used while supported scaled by the team's multiplier."""
    d = cohort(
        n=10,
        years=1,
        costs={
            "support": {"cti": {"price": 700.0}},
            "services": {
                "police_contacts": {
                    "price": {"price": 52.0, "payers": {"state": 1}},
                    "use": {"default": {"low": 1.0}},
                }
            },
        },
    )
    d["policies"] = {
        "teams": {
            "cti": {
                "enabled": True,
                "staff": 1,
                "caseload": 4,
                "needs": ["low"],
                "situations": ["shelter"],
                "referral_per_week": 1.0,
                "duration_weeks": 13,
                "services": 0.25,
            }
        }
    }
    model = run_model(d)
    cols = cost_columns(model)
    supported = float(model.policies.support_weeks[:52, 0].sum())
    assert supported > 0
    assert cols["support_weeks_cti"] == supported
    assert cols["cost_item_support_cti"] == pytest.approx(700.0 * supported, rel=1e-12)
    # 13-week courses: every start gives at most 13 weeks, all but the 4 open ones 13
    starts = cols["support_starts_cti"]
    assert 13 * (starts - 4) <= supported <= 13 * starts
    # 1 contact per person-year at DKK 52 = DKK 1 per person-week, 0.25 of it in support
    expected = 10 * 52 - 0.75 * supported
    assert cols["cost_item_police_contacts"] == pytest.approx(expected, rel=1e-12)


def test_staff_costs_every_enabled_week_whether_places_are_used_or_not():
    """An ACT team of 2.5 FTE at DKK 20,000 an FTE-week, switched off from 2016: its
    staff cost 2.5 x 20,000 x 52 weeks, split by its payers, with nobody supported
    (nobody is eligible); the scenario's scale multiplies the staff."""
    d = cohort(
        n=10,
        years=2,
        costs={
            "staff": {"act": {"price": 20_000.0, "payers": {"municipality": 0.5, "region": 0.5}}}
        },
    )
    d["policies"] = {
        "teams": {
            "act": {
                "enabled": True,
                "staff": 2.5,
                "caseload": 10,
                "needs": ["high"],
                "situations": ["shelter"],
            }
        }
    }
    d["changes"] = [{"date": "2016", "set": {"policies.teams.act.enabled": False}}]
    model = run_model(d)
    rc = run_costs(model)
    assert model.policies.support_weeks.sum() == 0
    assert rc.by_item()["staff_act"] == pytest.approx(2.5 * 20_000 * 52, rel=1e-12)
    assert rc.total() == pytest.approx(2.5 * 20_000 * 52, rel=1e-12)
    assert rc.by_payer()["region"] == pytest.approx(2.5 * 10_000 * 52, rel=1e-12)
    d["setting"]["scale"] = 2.0
    assert run_costs(run_model(d)).total() == pytest.approx(2 * 2.5 * 20_000 * 52, rel=1e-12)


def test_run_summary_has_cost_and_effect_columns():
    res = sim.run_replications(cohort(costs=SHELTER_COSTS), replications=2, seed=0)
    for col in (
        "cost_total",
        "cost_total_discounted",
        "cost_municipality",
        "cost_citizen_discounted",
        "people_ever_homeless",
        "chronic_homeless_end",
        "housed_end",
        "homeless_days_discounted",
    ):
        assert col in res.summary.columns, col
    assert "qalys" not in res.summary.columns  # no weights, no QALYs


def test_effects_without_costs_section():
    eff = run_effects(run_model(chain_scenario({"own": 5, "rough": 5}, {"rough": {"own": 0.1}})))
    assert eff["people_ever_homeless"] == 5
    assert 5 <= eff["housed_end"] <= 10  # the five housed stay; rough sleepers may move in


def test_costs_denmark_loads_and_every_price_has_a_source():
    sc = sim.load_scenario(SCENARIOS / "costs_denmark.yaml")
    prices = [p for p in sc.provenance if p.endswith((".price", ".own_payment"))]
    assert len(prices) >= 19
    assert all(sc.provenance[p].source for p in prices)
    assert np.isclose(sc.params.costs.discount_rate, 0.035)


@pytest.mark.parametrize(
    ("costs", "path", "words"),
    [
        (
            {"situations": {"shelter": {"price": -5}}},
            "costs.situations.shelter.price",
            "expected a number in [0",
        ),
        (
            {"situations": {"shelter": {"payers": {"county": 1.0}}}},
            "costs.situations.shelter.payers.county",
            "unknown key 'county'",
        ),
        ({"discount_rate": 1.5}, "costs.discount_rate", "expected a number in [0, 1]"),
        ({"discount_rate": -0.01}, "costs.discount_rate", "expected a number in [0, 1]"),
        (
            {"situations": {"shelter": {"price": 10, "own_payment": 20}}},
            "costs.situations.shelter.own_payment",
            "more than the price",
        ),
        (
            {"situations": {"shelter": {"price": 10, "price_year": 2010}}},
            "costs.situations.shelter.price_year",
            "no price index for 2010",
        ),
        (
            {"situations": {"shelter": {"price": 10, "payers": {}}}},
            "costs.situations.shelter.payers",
            "at least one payer",
        ),
        (
            {"situations": {"shelter": {"payers": {"municipality": 0.5, "state": 0.4}}}},
            "costs.situations.shelter.payers",
            "adding up to 1",
        ),
        (
            {"services": {"prison_days": {"use": {"homeless": {"severe": 1}}}}},
            "costs.services.prison_days.use.homeless.severe",
            "unknown needs group",
        ),
        (
            {"services": {"prison_days": {"use": {"hospital": {"low": 1}}}}},
            "costs.services.prison_days.use.hospital",
            "unknown key",
        ),
        (
            {"effects": {"utilities": {"shelter": 0.6}}},
            "costs.effects.utilities",
            "QALY weights are missing",
        ),
        ({"price_index": {2020: 0}}, "costs.price_index.2020", "positive index"),
    ],
)
def test_bad_cost_input_is_refused(costs, path, words):
    with pytest.raises(ScenarioError) as err:
        sim.load_scenario(cohort(costs=costs))
    assert err.value.path == path
    assert words in err.value.message


MOVING = {
    "shelter": {"own": 0.3, "rough": 0.1},
    "rough": {"shelter": 0.4},
    "at_risk": {"shelter": 0.05, "own": 0.2},
    "own": {"at_risk": 0.02},
}


def moving_cohort() -> dict:
    d = chain_scenario({"shelter": 200, "at_risk": 100, "own": 300, "rough": 50}, MOVING, years=2)
    d["costs"] = copy.deepcopy(SHELTER_COSTS)
    return d


def test_situation_costs_are_price_per_night_times_nights():
    """With moves on every night of the week, the shelter's cost is its price (DKK 1,100
    a night, indexed) times the nights the stay log gives inside the horizon, and every
    weekly cost is finite."""
    model = run_model(moving_cohort())
    rc = run_costs(model)
    stays = model.recorder.stays.frame()
    horizon = 7 * model.weeks
    s = stays[stays["situation"] == 4]  # shelter
    nights = (s["end"].clip(0, horizon) - s["start"].clip(0, horizon)).sum()
    open_ = (model.citizens.situation == 4) & (model.citizens.since_night < horizon)
    nights += (horizon - model.citizens.since_night[open_].clip(0)).sum()
    assert (s["start"] % 7 != 0).any()  # stays are not whole weeks
    assert rc.total() == pytest.approx(nights * 1100.0, rel=1e-12)
    assert np.isfinite(rc.weekly).all()


def test_costs_per_night_agree_with_weekly_costs_when_nobody_moves_mid_week(monkeypatch):
    """Every move put on the week's last offset (the first night of the next week) is
    the old weekly clock: nights per cell are then 7 x the weekly counts, and the costs
    equal the person-weeks x 7 x price of the weekly tallies. The offsets are set in the
    numpy week (the compiled week draws them inside its loop, to the same numbers)."""
    monkeypatch.setattr(
        "sim.model.move_offsets", lambda q, start, v: np.full(np.size(v), 7, dtype=np.int8)
    )
    model = sim.HomelessnessModel(sim.load_scenario(moving_cohort()), rng=run_seed(1, 0))
    model.compiled_week = False
    model.run()
    rec = model.recorder
    weeks = model.weeks
    assert np.array_equal(rec.nights[:weeks], 7 * rec.counts[:weeks])
    rc = run_costs(model)
    shelter_weeks = rec.counts[:weeks, 4].sum()
    assert rc.total() == pytest.approx(shelter_weeks * 7 * 1100.0, rel=1e-12)
    assert rec.flows.sum() > 1000  # people did move
