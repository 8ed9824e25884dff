"""Policies: neutral effects change nothing, caseloads hold, CTI ends after 39 weeks,
dated switches act on their dates, and programme outcomes land near the published ones.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.scenario.policy_schema import TEAM_NAMES
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def hf():
    return sim.load_scenario(SCENARIOS / "randers_housing_first.yaml")


def test_neutral_policies_equal_no_policy():
    """Teams and prevention with effects 1.0 leave every number as without them."""
    base = sim.load_scenario(SCENARIOS / "randers_baseline.yaml")
    neutral = base.with_overrides(
        {
            "policies.teams.icm": {
                "enabled": True,
                "staff": 3,
                "caseload": 15,
                "situations": ["shelter"],
                "end_per_week": 0.02,
            },
            "policies.teams.cti": {
                "enabled": True,
                "staff": 2,
                "caseload": 10,
                "duration_weeks": 39,
                "on_housing": True,
            },
            "policies.prevention": {"enabled": True, "reach_per_week": 0.2, "m_loss": 1.0},
        }
    )
    a = sim.run_once(base, 0, seed=5, years=3)
    b = sim.run_once(neutral, 0, seed=5, years=3)
    assert a.weekly["count"].equals(b.weekly["count"])
    # everything but what the teams themselves cost and count is equal
    keys = [
        k
        for k in a.summary
        if k != "scenario" and "support" not in k and "cost" not in k and "nmb" not in k
    ]
    assert all(
        a.summary[k] == b.summary[k] or (np.isnan(a.summary[k]) and np.isnan(b.summary[k]))
        for k in keys
    )
    assert b.summary["support_weeks_cti"] > 0


def test_caseloads_never_exceeded_and_cti_ends_after_39_weeks(hf):
    model = sim.HomelessnessModel(hf, rng=2, years=4).run()
    places = {
        n: round(
            getattr(hf.params.policies.teams, n).staff
            * getattr(hf.params.policies.teams, n).caseload
        )
        for n in TEAM_NAMES
    }
    sw = model.policies.support_weeks
    for k, name in enumerate(TEAM_NAMES):
        assert sw[:, k].max() <= places[name]
        assert sw[:, k].max() > 0  # every team was used
    from sim.evidence import support_spells

    spells = support_spells(model)
    cti = spells[(spells.team == TEAM_NAMES.index("cti")) & (spells.end >= 0)]
    lengths = cti.end - cti.start
    assert len(cti) > 20 and lengths.max() == 39
    # earlier ends only when the citizen died or moved away
    assert np.all(cti[lengths < 39].situation == 9)


def test_effect_states_follow_support_and_its_phases(hf):
    """Every week each citizen's table row is that of their support: the team and, for
    CTI, the phase that the weeks since admission give; no support, state 0."""
    from sim.policies.team_rules import effect_state
    from sim.situations import N_NEEDS, N_SIT
    from sim.transitions import row_code

    model = sim.HomelessnessModel(hf, rng=4, years=2)
    a, cti = model.citizens, TEAM_NAMES.index("cti")
    phases_seen: set[int] = set()
    for _ in range(104):
        model.step()
        rules = model.policies.teams.rules
        on = np.flatnonzero(a.team >= 0)
        weeks = np.maximum(model.week - 1 - a.team_since[on].astype(np.int64), 0)
        phase = np.zeros(on.size, dtype=np.int64)
        for k, rule in enumerate(rules):
            of_k = a.team[on] == k
            phase[of_k] = np.minimum(
                np.searchsorted(rule.phase_ends, weeks[of_k], "right"), rule.phase_ends.size - 1
            )
        expected = np.zeros(a.n, dtype=np.int8)
        expected[on] = effect_state(a.team[on], phase)
        assert np.array_equal(a.effect, expected)
        assert np.array_equal(a.code, row_code(a.rehoused, a.situation, a.needs, a.effect))
        # support counts by team, situation and needs, kept by every move, are a recount
        cell = (a.team[on].astype(np.intp) * N_SIT + a.situation[on]) * N_NEEDS + a.needs[on]
        assert np.array_equal(
            model.policies.teams.cells,
            np.bincount(cell, minlength=len(TEAM_NAMES) * N_SIT * N_NEEDS),
        )
        phases_seen |= set(phase[a.team[on] == cti].tolist())
    assert phases_seen == {0, 1, 2}


def test_effect_rows_equal_personal_multipliers(hf):
    """Each effect state's rows are the unsupported rows with its multipliers applied,
    as the kernel applies personal multipliers (``modified_rows``)."""
    from sim.policies.team_rules import effect_multipliers, n_effects
    from sim.situations import N_NEEDS, N_SIT
    from sim.transitions import N_BASE, MoveTables, modified_rows

    params = hf.params
    m_house, m_loss = effect_multipliers(params.policies.teams)
    assert (m_house != 1).sum() >= 4  # the scenario's teams have effects
    tables = MoveTables.build(params, m_house, m_loss)
    plain = MoveTables.build(params)
    codes = np.arange(N_BASE)
    sits = (codes // N_NEEDS) % N_SIT
    assert m_house.size == n_effects(len(TEAM_NAMES))
    for e in range(m_house.size):
        want = modified_rows(
            plain, codes, sits, np.full(N_BASE, m_house[e]), np.full(N_BASE, m_loss[e])
        )
        got = tables.rows[e * N_BASE : (e + 1) * N_BASE]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
        np.testing.assert_allclose(
            tables.leave[e * N_BASE : (e + 1) * N_BASE], want.sum(axis=1), rtol=1e-12
        )


def test_dated_change_of_phases_restarts_them(hf):
    """A dated change of CTI's phases puts current members in the phase the new rules give."""
    from sim.policies.team_rules import effect_state

    phases = [
        {"weeks": 5, "m_house": 1.5},
        {"weeks": 30, "m_house": 2.0},
        {"weeks": 4, "m_loss": 0.5},
    ]
    sc = hf.with_overrides(
        {"changes": [{"date": 2016, "set": {"policies.teams.cti.phases": phases}}]}
    )
    model = sim.HomelessnessModel(sc, rng=6, years=2)
    for _ in range(52 + 8):
        model.step()
    a, cti = model.citizens, TEAM_NAMES.index("cti")
    on = np.flatnonzero(a.team == cti)
    weeks = np.maximum(model.week - 1 - a.team_since[on].astype(np.int64), 0)
    expected = effect_state(cti, np.searchsorted([5, 35], weeks, "right"))
    assert on.size > 5 and np.array_equal(a.effect[on], expected)


def test_dated_change_starts_on_its_date():
    sc = sim.load_scenario(SCENARIOS / "randers_act_expansion.yaml")
    model = sim.HomelessnessModel(sc, rng=1, years=5).run()
    act = TEAM_NAMES.index("act")
    switch = (2018 - 2015) * 52  # January 2018
    sw = model.policies.support_weeks[:, act]
    assert sw[: switch + 1].max() <= 20
    assert sw[switch + 1 :].max() > 20  # a second team's places are used after the date


def test_waiting_lists_drain_in_priority_order(hf):
    """With youth priority, under-30s are admitted before older citizens who waited longer."""
    sc = hf.with_overrides({"policies.youth.priority": True})
    model = sim.HomelessnessModel(sc, rng=3, years=2)
    teams = None
    for _ in range(60):
        model.step()
        teams = model.policies.teams
    a = model.citizens
    from sim.situations import age_band_of

    started = a.team_since >= 0
    young = age_band_of(model.week - a.birth) < 2
    assert teams is not None and (started & young).sum() > 0


# Published figures (DOMAIN.md) and the tolerance we hold the model to. Cohorts in the
# model are 60-250 supported citizens per run; with 4 replications a share's Monte
# Carlo standard error is about 2-3 points. The published figures come from cohorts of a
# few hundred with their own sampling error (about 3 points) and definitions that the
# model can only approximate, so we accept 12 percentage points.
EVIDENCE = {
    "cti_housed_at_end": 0.88,  # CTI: 88% housed at the end (Danish strategy)
    "icm_kept_home_12m": 0.76,  # ICM: 76% kept their home
    "act_kept_home_12m": 0.90,  # ACT (Copenhagen): 90% kept their home
    "programme_kept_home_12m": 0.90,  # Randers: about 90% keep their home after HF
    "act_housed_by_end": 0.77,  # Randers ACT: 77% found a home
}
TOLERANCE = 0.12


@pytest.mark.slow
def test_programme_outcomes_near_published(hf):
    res = sim.run_replications(hf, replications=4, seed=2024)
    means = res.summary[list(EVIDENCE)].mean()
    for key, published in EVIDENCE.items():
        assert abs(means[key] - published) <= TOLERANCE, (key, means[key], published)


@pytest.mark.slow
def test_staircase_reaches_housing_later_and_is_stably_housed_less_often(hf):
    """The At Home/Chez Soi contrast, measured per participant (intention to treat):
    fewer staircase participants are housed at the end of support or of the horizon,
    and the arm spends more days homeless. (Retention among those housed is not
    compared: Housing First houses people the staircase never houses.)"""
    stair = sim.load_scenario(SCENARIOS / "randers_staircase.yaml")
    a = sim.run_replications(hf, replications=4, seed=7).summary
    b = sim.run_replications(stair, replications=4, seed=7).summary
    assert b["cti_housed_at_end"].mean() < a["cti_housed_at_end"].mean() - 0.15
    assert b["act_housed_by_end"].mean() < a["act_housed_by_end"].mean() - 0.15
    assert b["homeless_days"].mean() > 1.5 * a["homeless_days"].mean()
