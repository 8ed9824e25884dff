"""Invariants every week, reproducibility, Mesa integration, outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.situations import HOMELESS_MASK, SITUATIONS, age_band_of

BASELINE = "scenarios/randers_baseline.yaml"


@pytest.fixture(scope="module")
def baseline(request):
    from tests.conftest import SCENARIOS

    return sim.load_scenario(SCENARIOS / "randers_baseline.yaml")


@pytest.mark.parametrize("name", ["randers_baseline", "randers_housing_first", "randers_staircase"])
def test_invariants_every_week(name):
    """Counts sum to everyone who ever entered; the running tallies equal a recount of
    the citizens' own state; nobody is counted twice; capacity holds."""
    from tests.conftest import SCENARIOS

    sc = sim.load_scenario(SCENARIOS / f"{name}.yaml")
    model = sim.HomelessnessModel(sc, rng=11, years=3)
    caps = {
        s: getattr(sc.params.places, s).capacity
        for s in ("shelter", "starter", "alternative", "supported", "night_shelter")
    }
    entered = model.citizens.n
    a = model.citizens
    for _ in range(model.weeks):
        model.step()
        rec = model.recorder
        entered += int(rec.entries[model.week].sum())
        counts = rec.counts[model.week].sum(axis=(1, 2))
        assert counts.sum() == entered == a.n
        recount = np.bincount(a.situation, minlength=len(SITUATIONS))
        assert np.array_equal(counts, recount) and np.array_equal(model.occupancy, recount)
        assert np.array_equal(
            model.cells, np.bincount(model.cell_of(np.arange(a.n)), minlength=model.cells.size)
        )
        for place, cap in caps.items():
            assert counts[SITUATIONS.index(place)] <= cap
        homeless = HOMELESS_MASK[a.situation]
        assert np.all(a.spell_start[homeless] <= model.week)
        assert np.all(a.spell_start[~homeless] == sim.citizens.NO_WEEK)


def test_same_seed_same_numbers_different_seed_differs(baseline):
    a = sim.run_once(baseline, 0, seed=3, years=2)
    b = sim.run_once(baseline, 0, seed=3, years=2)
    c = sim.run_once(baseline, 1, seed=3, years=2)
    assert pd.Series(a.summary).equals(pd.Series(b.summary))
    assert a.weekly.equals(b.weekly)
    assert not a.weekly["count"].equals(c.weekly["count"])


def test_mesa_agents_are_views(baseline):
    model = sim.HomelessnessModel(baseline, rng=1, years=1)
    model.run(10)
    agents = model.agents
    assert len(agents) == int((model.citizens.situation != SITUATIONS.index("left")).sum())
    by_sit = agents.groupby("situation").count()
    for name, n in by_sit.items():
        assert n == model.count(name)
    shelter = agents.select(lambda c: c.situation == "shelter")
    assert len(shelter) == model.count("shelter")
    one = shelter.to_list()[0]
    one.situation = "own"  # writes through the model, keeping counts consistent
    assert model.count("shelter") == len(shelter) - 1
    model.run(5)  # agents who left are removed on the next access
    assert len(model.agents) == model.citizens.n - model.count("left")
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == 16 and df["shelter"].iloc[-1] == model.count("shelter")


def test_mesa_run_for_equals_run(baseline):
    m1 = sim.HomelessnessModel(baseline, rng=4, years=1)
    m1.run_for(20)
    m2 = sim.HomelessnessModel(baseline, rng=4, years=1).run(20)
    assert m1.week == m2.week == 20
    assert np.array_equal(m1.recorder.counts, m2.recorder.counts)


def test_run_steps_as_mesa_and_leaves_mesa_time_right(baseline):
    """``run`` steps without an event a week only when nothing else is scheduled."""
    m1 = sim.HomelessnessModel(baseline, rng=4, years=1).run(10)
    m2 = sim.HomelessnessModel(baseline, rng=4, years=1)
    for _ in range(10):
        m2.step()
    assert m1.time == m2.time == 10 and m1.steps == m2.steps == 10 and m1.week == 10
    assert np.array_equal(m1.recorder.counts, m2.recorder.counts)
    m1.step()  # Mesa's own step goes on from where run left it
    m1.run_for(2)
    m1.run(2)
    assert m1.time == m1.steps == m1.week == 15
    fired: list[float] = []
    m3 = sim.HomelessnessModel(baseline, rng=4, years=1)

    def note() -> None:
        fired.append(m3.time)

    m3.schedule_event(note, at=3)  # Mesa keeps a weak reference: ``note`` stays alive
    m3.run(5)  # another event is pending: each week goes through Mesa's event loop
    assert fired == [3] and m3.time == m3.steps == m3.week == 5
    m3.run(10)
    assert m3.week == 15
    assert np.array_equal(m1.recorder.counts, m3.recorder.counts)


def test_summary_outcomes_are_consistent(baseline):
    res = sim.run_once(baseline, 0, seed=0, years=3, keep_model=True)
    s = res.summary
    weekly = res.weekly.groupby(["week", "situation"], observed=True)["count"].sum().unstack()
    homeless = weekly[[c for c in weekly.columns if HOMELESS_MASK[SITUATIONS.index(c)]]].sum(axis=1)
    assert s["pit_2015"] == homeless.loc[5]
    nights = res.model.recorder.nights[: 3 * 52].sum(axis=(2, 3))
    assert s["homeless_days"] == nights[:, HOMELESS_MASK].sum()
    # nights are counted night by night: about 7 x the weekly counts (moves fall on
    # any night of the week, so a few percent either way)
    assert s["homeless_days"] == pytest.approx(homeless.loc[: 3 * 52 - 1].sum() * 7, rel=0.05)
    assert s["homeless_any_2015"] >= s["pit_2015"]
    assert s["shelter_users_2015"] >= weekly["shelter"].loc[0]
    assert 0 <= s["kept_home_12m"] <= 1


def test_duration_dependence_lowers_exits():
    from tests.conftest import chain_scenario

    rows = {"rough": {"own": 0.05}, "own": {"rough": 0.01}}
    base = chain_scenario({"rough": 20_000}, rows, years=2)
    memoryless = sim.HomelessnessModel(sim.load_scenario(base), rng=1).run()
    dd = {**base, "duration_dependence": {"enabled": True, "half_life_weeks": 10, "floor": 0.2}}
    memory = sim.HomelessnessModel(sim.load_scenario(dd), rng=1).run()
    assert memory.homeless > memoryless.homeless * 1.5


def test_entrants_follow_rate_mixes_routes_and_dated_changes():
    """Entrants arrive at the weekly rate, with the needs mix and route shares given, and
    a dated change of the rate acts from the week after its date on.

    Over 104 weeks at 40 a week (4,160 entrants) a share's standard error is below
    0.008, so 0.03 is about 4 standard errors; the count's is about 64 (Poisson), so
    300 is more than 4.
    """
    from tests.conftest import chain_scenario

    sc = chain_scenario({"own": 100}, {"own": {"at_risk": 0.01}}, years=3)
    sc["entries"] = {
        "per_week": 0.0,
        "needs_mix": {"low": 0.5, "medium": 0.3, "high": 0.2},
        "routes": {
            "a": {"share": 0.75, "to": {"shelter": 1.0}},
            "b": {"share": 0.25, "to": {"own": 0.5, "rough": 0.5}},
        },
    }
    sc["changes"] = [{"date": 2016, "set": {"entries.per_week": 40.0}}]
    model = sim.HomelessnessModel(sim.load_scenario(sc), rng=3).run()
    entries = model.recorder.entries.sum(axis=1)
    assert entries[:53].sum() == 0 and entries[53] > 0  # the change of January 2016
    assert abs(entries.sum() - 40 * 104) < 300
    a = model.citizens
    new = a.entered > 0
    assert np.all(a.entered[new] >= 53)
    assert np.allclose(
        np.bincount(a.needs[new], minlength=3) / new.sum(), [0.5, 0.3, 0.2], atol=0.03
    )
    to = model.recorder.entries.sum(axis=0) / entries.sum()
    assert np.allclose(
        to[[SITUATIONS.index(s) for s in ("shelter", "own", "rough")]],
        [0.75, 0.125, 0.125],
        atol=0.03,
    )
    assert np.array_equal(a.band[new], age_band_of(model.week - a.birth[new]))


@pytest.mark.parametrize("name", ["randers_baseline", "randers_housing_first"])
def test_stay_log_adds_up_to_the_weekly_counts(name):
    """Each citizen's stays follow one another without gap or overlap, and the nights
    they cover inside the horizon equal the recorded nights, situation by situation."""
    from tests.conftest import SCENARIOS

    model = sim.HomelessnessModel(SCENARIOS / f"{name}.yaml", rng=5, years=2)
    model.run()
    model.finish()
    stays = model.recorder.stays.frame().sort_values(["citizen", "start"], kind="stable")
    assert (stays["end"] > stays["start"]).all()
    assert (stays["situation"] != sim.situations.LEFT).all()
    same = stays["citizen"].to_numpy()[1:] == stays["citizen"].to_numpy()[:-1]
    assert np.array_equal(stays["start"].to_numpy()[1:][same], stays["end"].to_numpy()[:-1][same])
    nights_end = 7 * model.weeks
    inside = (stays["end"].clip(upper=nights_end) - stays["start"].clip(lower=0)).clip(lower=0)
    by_sit = np.bincount(stays["situation"], weights=inside, minlength=len(SITUATIONS))
    recorded = model.recorder.nights[: model.weeks].sum(axis=(0, 2, 3))
    assert np.array_equal(by_sit[:-1], recorded[:-1])
    open_ = stays[stays["end"] == nights_end]
    a = model.citizens
    present = np.flatnonzero((a.situation != sim.situations.LEFT) & (a.since_night < nights_end))
    assert open_["citizen"].is_unique
    assert np.isin(present, open_["citizen"].to_numpy()).all()
