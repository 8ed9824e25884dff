"""Stays in nights: the nightly hazard, the night of a move, and stay lengths.

The model's stays are semi-Markov with a geometric default (``sim.nights``): a row
whose weekly chance of leaving is ``q`` has the nightly hazard ``h = 1 - (1-q)^(1/7)``,
so a stay lasts ``k >= 1`` nights with chance ``h (1-h)^(k-1)``. The checks compare
simulated stays with that law by chi-square tests at fixed seeds (tolerances below).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim.nights import NightEvents, chance_within, move_offsets, nightly_hazard
from sim.situations import HOMELESS, SITUATIONS
from tests.conftest import chain_scenario

SHELTER = SITUATIONS.index("shelter")


def test_nightly_hazard_and_chance_within_agree_with_the_week():
    q = np.array([0.0, 1e-9, 0.01, 0.25, 0.8, 1.0])
    h = nightly_hazard(q)
    np.testing.assert_allclose(1 - (1 - h) ** 7, q, atol=1e-15)
    np.testing.assert_allclose(chance_within(q, 7), q, atol=1e-15)
    np.testing.assert_allclose(chance_within(q, 3), 1 - (1 - h) ** 3, atol=1e-15)
    assert h[-1] == 1.0 and h[0] == 0.0


@pytest.mark.parametrize(("q", "start"), [(0.05, 0), (0.6, 0), (0.3, 4), (1.0, 2)])
def test_move_offsets_follow_the_truncated_geometric(q, start):
    """Offsets of 200,000 movers against ``h (1-h)^(k-1)`` on the nights left,
    renormalised: chi-square p-value above 1e-4 (fixed seed: a false alarm would be a
    one-in-ten-thousand draw)."""
    n = 200_000
    v = np.random.default_rng(1).random(n)
    off = move_offsets(np.full(n, q), start, v)
    assert off.min() >= start + 1 and off.max() <= 7
    h = nightly_hazard(q)
    k = np.arange(1, 8 - start)
    p = h * (1 - h) ** (k - 1)
    p /= p.sum()
    seen = np.bincount(off - start, minlength=8 - start)[1:]
    if q == 1.0:
        assert seen[0] == n  # a certain move falls on the first night left
        return
    assert stats.chisquare(seen, p * n).pvalue > 1e-4


def test_night_events_drop_moves_of_citizens_who_moved_since():
    ev = NightEvents()
    ev.add(np.array([0, 1, 2]), np.array([3, 4, 5], dtype=np.int8), np.array([2, 5, 2]), 0)
    ev.add(np.array([3]), np.array([6], dtype=np.int8), np.array([5]), 3)
    moved_at = np.zeros(4, dtype=np.int8)
    idx, dest = ev.take(2, moved_at)
    assert idx.tolist() == [0, 2] and dest.tolist() == [3, 5]
    moved_at[[1, 3]] = 3  # both moved on night 3: the move of 1 (drawn at 0) is void
    idx, dest = ev.take(5, moved_at)
    assert idx.tolist() == [3] and dest.tolist() == [6]
    assert not ev


def shelter_stays(q: float, years: int, per_week: float, seed: int):
    """Entrants go to an unlimited shelter and leave it for a home with weekly chance
    ``q``; the completed shelter stays (start, nights)."""
    raw = chain_scenario({"own": 1}, {"shelter": {"own": q}}, years=years)
    raw["entries"] = {
        "per_week": per_week,
        "routes": {"all": {"share": 1.0, "to": {"shelter": 1.0}}},
    }
    model = sim.HomelessnessModel(raw, rng=seed).run()
    stays = model.recorder.stays.frame()
    stays = stays[stays["situation"] == SHELTER]
    return model, stays["start"].to_numpy(), (stays["end"] - stays["start"]).to_numpy()


def test_stay_lengths_in_nights_are_geometric():
    """Stays of entrants who arrived at least 120 nights before the horizon: lengths
    1 .. 119 nights and "120 or more" (each such stay is then known in its bin, so the
    horizon censors nothing) against the geometric of the nightly hazard; chi-square
    p-value above 1e-4 at a fixed seed. Stays of one night occur, about h of them."""
    q = 0.4
    model, start, nights = shelter_stays(q, years=4, per_week=60.0, seed=11)
    horizon = 7 * model.weeks
    keep = (start >= 0) & (start <= horizon - 120)
    nights = nights[keep]
    # stays not yet ended at the horizon: open stays were closed at it; only those
    # already 120 nights long can be open, and they fall in the last bin
    assert nights.size > 10_000
    h = float(nightly_hazard(q))
    k = np.arange(1, 120)
    p = np.append(h * (1 - h) ** (k - 1), (1 - h) ** 119)
    seen = np.append(np.bincount(nights, minlength=120)[1:120], (nights >= 120).sum())
    expected = p * nights.size
    pool = expected >= 5  # chi-square needs expected counts of 5 or more
    obs = np.append(seen[pool], seen[~pool].sum())
    exp = np.append(expected[pool], expected[~pool].sum())
    assert stats.chisquare(obs, exp).pvalue > 1e-4
    one = (nights == 1).mean()
    assert one > 0 and one == pytest.approx(h, abs=4 * np.sqrt(h / nights.size))
    assert (nights % 7 != 0).mean() > 0.8  # stays are not whole weeks


def test_two_kind_mixture_shares_of_users_and_nights_match_the_closed_form():
    """Two kinds, shares p = (0.8, 0.2), weekly chances of leaving the shelter 0.4 and
    0.4 x 0.2; each entrant has one stay, so a kind's share of users is p_k and its share
    of nights is p_k m_k / sum p_j m_j with m_k = 1 / h_k the geometric's mean in
    nights. Entrants of the first three of five years (their stays nearly all ended,
    the long kind's mean is about 80 nights): with about 9,000 users the standard errors
    are below 0.005 (users) and 0.01 (nights); we allow 0.03."""
    raw = chain_scenario({"own": 1}, {"shelter": {"own": 0.4}}, years=5)
    raw["entries"] = {"per_week": 60.0, "routes": {"all": {"share": 1.0, "to": {"shelter": 1.0}}}}
    raw["kinds"] = {"shares": {"default": {"short": 0.8, "long": 0.2}}, "exit": {"long": 0.2}}
    model = sim.HomelessnessModel(raw, rng=5).run()
    stays = model.recorder.stays.frame()
    stays = stays[(stays["situation"] == SHELTER) & (stays["start"] < 7 * 3 * 52)]
    stays = stays[stays["start"] >= 0]
    users = stays["citizen"].to_numpy()
    assert np.unique(users).size == users.size  # one stay each
    kind = model.citizens.kind[users]
    nights = (stays["end"] - stays["start"]).to_numpy()
    assert kind.size > 8_000
    p = np.array([0.8, 0.2])
    m = 1 / nightly_hazard(np.array([0.4, 0.4 * 0.2]))
    np.testing.assert_allclose(np.bincount(kind, minlength=2) / kind.size, p, atol=0.03)
    share_nights = np.bincount(kind, weights=nights, minlength=2) / nights.sum()
    np.testing.assert_allclose(share_nights, p * m / (p * m).sum(), atol=0.03)


def test_night_shelter_is_used_night_by_night():
    """People back on the street by day: a night shelter left with weekly chance 0.999
    (nightly hazard 0.63) holds most users one night or two, and its users per night
    (the summary's ``night_shelter_users_per_night_<year>``) are its nights in the
    year over 364, to set beside a count of beds used."""
    ns = SITUATIONS.index("night_shelter")
    raw = chain_scenario(
        {"rough": 300}, {"rough": {"night_shelter": 0.9}, "night_shelter": {"rough": 0.999}}, 1
    )
    model = sim.HomelessnessModel(raw, rng=2).run()
    out = model.summary()
    per_night = model.recorder.nights[:52, ns].sum() / 364
    assert out["night_shelter_users_per_night_2015"] == pytest.approx(per_night, rel=1e-12)
    stays = model.recorder.stays.frame()
    nights = (stays["end"] - stays["start"])[stays["situation"] == ns].to_numpy()
    assert (nights <= 2).mean() > 0.8
    # a share of the 300 each night, not all or none as under a weekly clock
    weekly_peak = model.recorder.counts[:52, ns].sum(axis=(1, 2))
    assert 0 < per_night < 300 and weekly_peak.max() < 300


def test_a_night_shelter_row_adding_up_to_one_gives_one_night_stays():
    """As in the calibrated scenarios: a night shelter's row adds up to 1, so every stay
    there is one night (nightly hazard 1), and the street is a two-state nightly chain,
    rough -> night shelter with the rough row's nightly hazard h, back with certainty.
    Its share of street nights in the night shelter is then h / (1 + h) (0.192 here).
    300 people over a year give 109,200 person-nights; with the chain's lag-one
    correlation -h the share's standard error is about 0.001, and we allow 0.005."""
    ns = SITUATIONS.index("night_shelter")
    raw = chain_scenario(
        {"rough": 300}, {"rough": {"night_shelter": 0.85}, "night_shelter": {"rough": 1.0}}, 1
    )
    model = sim.HomelessnessModel(raw, rng=4).run()
    stays = model.recorder.stays.frame()
    inside = (stays["situation"] == ns) & (stays["end"] < 7 * model.weeks)
    assert inside.sum() > 10_000
    assert ((stays["end"] - stays["start"])[inside] == 1).all()
    h = float(nightly_hazard(0.85))
    share = model.recorder.nights[:, ns].sum() / model.recorder.nights.sum()
    assert share == pytest.approx(h / (1 + h), abs=0.005)


def initial_shelter(q: float, spell_weeks: float, n: int, seed: int, per_week: float = 0.0):
    """``n`` citizens in an unlimited shelter at week 0, homeless ``spell_weeks`` weeks on
    average, who leave it for a home with weekly chance ``q``; ``per_week`` entrants
    come to the shelter (``n q``: the steady state). One year."""
    raw = chain_scenario({"shelter": n}, {"shelter": {"own": q}}, years=1)
    raw["initial"]["spell_weeks_mean"] = spell_weeks
    if per_week:
        raw["entries"] = {
            "per_week": per_week,
            "routes": {"all": {"share": 1.0, "to": {"shelter": 1.0}}},
        }
    return sim.HomelessnessModel(raw, rng=seed)


def test_initial_stays_are_as_old_as_a_steady_state_stay():
    """The week-0 stays' ages in nights against the geometric ``P(age = n) = h (1 - h)^n``
    (the backward recurrence time of a memoryless stay with nightly hazard ``h``), with
    the spell 50 times longer so that the cut at the spell's age is rare; chi-square
    p-value above 1e-4 at a fixed seed. ``since`` is the week the stay began and the
    homeless spell began no later."""
    q = 0.1
    model = initial_shelter(q, spell_weeks=500.0, n=20_000, seed=3)
    a = model.citizens
    age = -a.since_night[: a.n].astype(np.int64)
    assert (age >= 0).all()
    np.testing.assert_array_equal(a.since[: a.n], np.floor_divide(-age, 7))
    assert (a.spell_start[: a.n].astype(np.int64) * 7 <= -age).all()
    h = float(nightly_hazard(q))
    k = np.arange(0, 120)
    p = np.append(h * (1 - h) ** k, (1 - h) ** 120)
    seen = np.append(np.bincount(np.minimum(age, 120), minlength=121)[:120], (age >= 120).sum())
    expected = p * age.size
    assert (expected >= 5).all()  # every bin large enough for the chi-square
    assert stats.chisquare(seen, expected).pvalue > 1e-4


def test_stays_ending_in_the_first_year_are_not_longer_than_any_other():
    """In the steady state of memoryless stays (5,000 in shelter, 500 entrants a week,
    weekly chance 0.1 of leaving), the stays ending in a year have the completed stay's
    length, mean ``1 / h`` nights (about 67), in the first year as later: the week-0
    stays, though part of spells of 500 weeks on average, are no exception (were they
    as old as their spells, the mean would be in the hundreds). About 26,000 stays end
    in the year; the mean's standard error is about 0.4 night, and we allow 3 nights.
    The stays' homeless spell is the older one: the run over every homeless situation
    starts at the spell, the shelter stay later."""
    q = 0.1
    model = initial_shelter(q, spell_weeks=500.0, n=5_000, seed=4, per_week=500.0)
    a = model.citizens
    stay_from = a.since_night[: a.n].astype(np.int64)
    spell_from = a.spell_start[: a.n].astype(np.int64) * 7
    model.run()
    mean = model.summary()["shelter_nights_per_stay_mean_2015"]
    assert mean == pytest.approx(1 / float(nightly_hazard(q)), abs=3.0)
    history = model.history()
    stays = history.runs(["shelter"])
    spells = history.runs(HOMELESS)
    assert stays.size == spells.size > 30_000  # one stay each: shelter, then a home
    initial = stays.citizen < stay_from.size
    np.testing.assert_array_equal(stays.start[initial], stay_from[stays.citizen[initial]])
    np.testing.assert_array_equal(spells.start[initial], spell_from[spells.citizen[initial]])
    np.testing.assert_array_equal(spells.start[~initial], stays.start[~initial])
    assert (spells.start[initial] < stays.start[initial]).mean() > 0.9
