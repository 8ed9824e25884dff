"""Places night by night: Erlang's blocking, Little's law, capacity on every night, a bed
freed mid-week let the same week, and the stay log agreeing with the weekly counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim.nights import nightly_hazard
from sim.places import QUEUE_NAMES
from sim.situations import LEFT, SITUATIONS
from tests.conftest import chain_scenario

SHELTER = SITUATIONS.index("shelter")
Q_SHELTER = QUEUE_NAMES.index("shelter")


def erlang_b(c: int, a: float) -> float:
    """Erlang's loss formula B(c, a) by its recursion."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def nightly_loss(c: int, lam: float, h: float) -> float:
    """Blocking of the model's own loss system, exactly: each night every occupant
    leaves with chance ``h``, then Poisson(``lam``) arrivals take the free beds and
    the rest are refused. Stationary distribution of the occupancy, then the expected
    refused over the expected arrivals."""
    n_max = int(lam * 10 + 60)
    arrivals = stats.poisson.pmf(np.arange(n_max), lam)
    T = np.zeros((c + 1, c + 1))
    refused = np.zeros(c + 1)
    for n in range(c + 1):
        for d, pd in enumerate(stats.binom.pmf(np.arange(n + 1), n, h)):
            free = c - (n - d)
            admitted = np.minimum(np.arange(n_max), free)
            np.add.at(T[n], n - d + admitted, pd * arrivals)
            refused[n] += pd * (arrivals * np.maximum(np.arange(n_max) - free, 0)).sum()
    w, v = np.linalg.eig(T.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    pi /= pi.sum()
    return float(pi @ refused / lam)


def loss_scenario(c: int, per_week: float, q: float, years: int) -> dict:
    """One shelter of ``c`` beds; entrants (Poisson) all apply to it; stays end for a
    home with weekly chance ``q`` (geometric in nights); refused applicants sleep rough
    and leave for friends the next night (weekly chance 1), which takes them off the
    list: a loss system."""
    raw = chain_scenario({"own": 1}, {"shelter": {"own": q}, "rough": {"friends": 1.0}}, years)
    raw["entries"] = {
        "per_week": per_week,
        "routes": {"all": {"share": 1.0, "to": {"shelter": 1.0}}},
    }
    raw["places"] = {"shelter": {"capacity": c, "overflow": {"rough": 1.0}}}
    return raw


def test_blocking_matches_erlang_b():
    """c = 20 beds, offered load a = (arrivals per night) / h = 18 beds.

    The simulated share of applicants refused (after a year's burn-in) is compared with
    the exact blocking of the nightly loss system within 4 standard errors, estimated
    from yearly batch means (stays average about 11 nights, so years are nearly
    independent). Erlang's B(c, a) is the continuous-time limit of that system: nights
    shift it by less than 2h of B (``test_nightly_loss_tends_to_erlang_b``), so the
    simulated share must lie within 2h B + 4 standard errors of B."""
    c, q, years = 20, 0.5, 16
    h = float(nightly_hazard(q))
    a = 18.0
    per_week = a * h * 7
    model = sim.HomelessnessModel(loss_scenario(c, per_week, q, years), rng=4).run()
    rec = model.recorder
    applied = rec.applied[53:, Q_SHELTER].reshape(years - 1, 52).sum(axis=1)
    refused = rec.refused[53:, Q_SHELTER].reshape(years - 1, 52).sum(axis=1)
    share = refused.sum() / applied.sum()
    yearly = refused / applied
    se = yearly.std(ddof=1) / math.sqrt(yearly.size)
    exact = nightly_loss(c, per_week / 7, h)
    assert applied.sum() > 8_000
    assert abs(share - exact) < 4 * se, (share, exact, se)
    b = erlang_b(c, a)
    assert abs(share - b) < 2 * h * b + 4 * se, (share, b, se)
    assert rec.peak[:-1, Q_SHELTER].max() == c  # full on some night, never over


@pytest.mark.parametrize("q", [0.5, 0.3, 0.1, 0.02])
def test_nightly_loss_tends_to_erlang_b(q):
    """The nightly loss system's blocking approaches Erlang's B(20, 18) as the nightly
    hazard h falls (stays of many nights), within 2h of B."""
    h = float(nightly_hazard(q))
    b = erlang_b(20, 18.0)
    assert abs(nightly_loss(20, 18.0 * h, h) / b - 1) < 2 * h


def nightly_occupancy(stays, situation: int, nights: int) -> np.ndarray:
    """Occupants of a situation on every night, from the stay log (a sweep)."""
    s = stays[stays["situation"] == situation]
    start = np.clip(s["start"].to_numpy(), 0, nights)
    end = np.clip(s["end"].to_numpy(), 0, nights)
    diff = np.bincount(start, minlength=nights + 1) - np.bincount(end, minlength=nights + 1)
    return np.cumsum(diff)[:nights]


ROWS = {
    "own": {"at_risk": 0.05},
    "at_risk": {"own": 0.1, "shelter": 0.2, "friends": 0.05},
    "friends": {"shelter": 0.2, "own": 0.02},
    "rough": {"shelter": 0.3, "own": 0.01},
    "shelter": {"starter": 0.3, "own": 0.2, "rough": 0.05},
    "starter": {"own": 0.1},
}


@pytest.fixture(scope="module")
def limited_run():
    raw = chain_scenario({"own": 2000, "at_risk": 500, "rough": 50, "friends": 100}, ROWS, 3)
    raw["places"] = {
        "shelter": {"capacity": 30, "overflow": {"rough": 0.5, "friends": 0.5}},
        "starter": {"capacity": 10},
    }
    raw["entries"] = {"per_week": 5.0, "routes": {"all": {"share": 1.0, "to": {"at_risk": 1.0}}}}
    raw["exits"] = {"move_away_per_year": 0.05}
    model = sim.HomelessnessModel(raw, rng=5).run()
    model.finish()
    return model


def test_capacity_never_exceeded_on_any_night(limited_run):
    model = limited_run
    stays = model.recorder.stays.frame()
    nights = 7 * model.weeks
    for name, cap in (("shelter", 30), ("starter", 10)):
        occ = nightly_occupancy(stays, SITUATIONS.index(name), nights)
        assert occ.max() == cap  # full on some nights
        assert occ.min() >= 0
        peak = model.recorder.peak[: model.weeks, QUEUE_NAMES.index(name)]
        # the recorded weekly peak is the stay log's highest night of the week
        assert np.array_equal(peak, occ.reshape(model.weeks, 7).max(axis=1))


def test_a_bed_freed_mid_week_is_let_that_night():
    """Ten shelter beds and 400 rough sleepers who all apply in the first week, so the
    list never empties within the year: every night a bed is freed, it is let that
    night and the shelter is full again. Under the weekly allocator admissions came
    only on a week's first night, and each of these nights inside a week would have
    ended with a bed empty."""
    raw = chain_scenario({"rough": 400}, {"rough": {"shelter": 1.0}, "shelter": {"own": 0.3}}, 1)
    raw["places"] = {"shelter": {"capacity": 10, "overflow": {"rough": 1.0}}}
    model = sim.HomelessnessModel(raw, rng=3).run()
    model.finish()  # the stays open at the horizon, closed there
    stays = model.recorder.stays.frame()
    s = stays[stays["situation"] == SHELTER]
    nights = 7 * model.weeks
    occ = nightly_occupancy(stays, SHELTER, nights)
    ends = np.bincount(s["end"].clip(0, nights), minlength=nights + 1)[:nights]
    n = np.arange(8, nights)
    freed = n[(ends[n] > 0) & (n % 7 != 0)]
    assert freed.size > 100
    assert (occ[freed] == 10).all()
    assert (s["start"].to_numpy() % 7 != 0).mean() > 0.5  # stays begin on any night
    assert model.recorder.queues[1:, Q_SHELTER].min() > 0  # people waited all year


def test_nobody_counted_twice_and_flows_balance_stocks(limited_run):
    model = limited_run
    rec = model.recorder
    tot = rec.counts.sum(axis=(2, 3))
    assert tot[-1].sum() == model.citizens.n  # everyone once, those who left included
    for r in range(1, model.weeks + 1):
        net = rec.flows[r].sum(axis=0) - rec.flows[r].sum(axis=1) + rec.entries[r]
        assert np.array_equal(tot[r] - tot[r - 1], net)
        assert tot[r].sum() == tot[r - 1].sum() + rec.entries[r].sum()
    stays = rec.stays.frame()
    # each citizen's stays follow one another without gap or overlap
    s = stays.sort_values(["citizen", "start"])
    same = s["citizen"].to_numpy()[1:] == s["citizen"].to_numpy()[:-1]
    assert (s["start"].to_numpy()[1:][same] == s["end"].to_numpy()[:-1][same]).all()
    # on each week's first night the stay log counts who the weekly counts hold
    for name in ("shelter", "starter", "rough", "own"):
        k = SITUATIONS.index(name)
        occ = nightly_occupancy(stays, k, 7 * model.weeks)
        assert np.array_equal(occ[::7], tot[: model.weeks, k])
        # and the nights per cell add up to the stay log's nights, week by week
        nights = rec.nights[: model.weeks, k].sum(axis=(1, 2))
        assert np.array_equal(nights, occ.reshape(model.weeks, 7).sum(axis=1))


def test_littles_law_for_every_place(limited_run):
    """For each situation used: mean occupancy per night L over years 1-2 against the
    stays begun per night in that window times their mean length in nights W (stays
    begun in the window, followed to their end or the horizon a year later). The
    window's edges bias the estimate by a few stays; we allow 10%."""
    model = limited_run
    stays = model.recorder.stays.frame()
    lo, hi = 7 * 52, 7 * 104
    for name in ("shelter", "starter", "rough", "friends", "at_risk"):
        k = SITUATIONS.index(name)
        occ = nightly_occupancy(stays, k, 7 * model.weeks)
        occupancy = occ[lo:hi].mean()
        s = stays[(stays["situation"] == k) & (stays["start"] >= lo) & (stays["start"] < hi)]
        lam = len(s) / (hi - lo)
        W = (s["end"] - s["start"]).mean()
        assert occupancy == pytest.approx(lam * W, rel=0.10), name
    assert (model.citizens.situation == LEFT).any()
