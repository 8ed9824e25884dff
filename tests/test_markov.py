"""The main correctness check: with no limits, entries, exits or memory, the model is
exactly the discrete-time Markov chain in nights of its weekly matrix.

Each row's stays are geometric in nights with the nightly hazard of its weekly chance
of leaving (``sim.nights.nightly_matrix``), and moves fall on the nights within the
week, so a citizen may pass through several situations in one week. The weekly counts
are the chain's state on the first night of each week: after t weeks,
``x0 @ P_night^(7t)``. Each citizen's path is an independent chain, so the count in
situation j after t weeks is a sum of independent Bernoulli variables with mean
``(x0 @ P_night^(7t))[j]`` and
variance at most N/4. With N = 120,000 the standard error of any count is at most
173. We require every count within 5 standard errors of the exact expectation (a
false alarm has probability below 1e-6 per comparison) and a chi-square goodness of
fit p-value above 1e-4. Seeds are fixed, so the test is deterministic.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim.nights import nightly_matrix
from sim.situations import DAYS_PER_WEEK, SITUATIONS
from sim.transitions import transition_matrix
from tests.conftest import chain_scenario

MATRICES = {
    "housing-ladder": {
        "own": {"at_risk": 0.04},
        "at_risk": {"own": 0.15, "friends": 0.05, "rough": 0.02},
        "rough": {"shelter": 0.25, "friends": 0.05, "own": 0.01},
        "shelter": {"starter": 0.06, "rough": 0.04, "own": 0.03},
        "friends": {"rough": 0.05, "shelter": 0.05, "own": 0.04},
        "starter": {"own": 0.08, "shelter": 0.02},
    },
    "sticky-with-supported": {
        "own": {"at_risk": 0.01, "supported": 0.002},
        "at_risk": {"own": 0.3, "night_shelter": 0.1},
        "night_shelter": {"rough": 0.5, "shelter": 0.3},
        "rough": {"night_shelter": 0.2, "alternative": 0.01},
        "shelter": {"supported": 0.02, "own": 0.02},
        "supported": {"own": 0.01},
        "alternative": {"rough": 0.005},
    },
}
COUNTS = {"own": 60_000, "at_risk": 20_000, "rough": 15_000, "shelter": 15_000, "friends": 10_000}


def exact_and_simulated(rows: dict, weeks: list[int], seed: int):
    sc = sim.load_scenario(chain_scenario(COUNTS, rows, years=2))
    P = np.linalg.matrix_power(nightly_matrix(transition_matrix(sc.params)[0]), DAYS_PER_WEEK)
    x0 = np.zeros(len(SITUATIONS))
    for name, n in COUNTS.items():
        x0[SITUATIONS.index(name)] = n
    model = sim.HomelessnessModel(sc, rng=seed)
    out = []
    for t in weeks:
        model.run(t - model.week)
        sim_counts = model.recorder.counts[t].sum(axis=(1, 2)).astype(float)
        out.append((t, x0 @ np.linalg.matrix_power(P, t), sim_counts))
    return out


@pytest.mark.parametrize("name", sorted(MATRICES))
def test_counts_match_exact_chain(name):
    for t, expected, simulated in exact_and_simulated(MATRICES[name], [1, 4, 13, 52, 104], 7):
        assert simulated.sum() == sum(COUNTS.values())  # nobody lost or counted twice
        n = simulated.sum()
        p = expected / n
        se = np.sqrt(np.maximum(n * p * (1 - p), 1e-12))
        z = np.abs(simulated - expected) / se
        assert np.all(z[expected > 0] < 5), (name, t, expected, simulated)
        assert np.all(simulated[expected == 0] == 0)
        keep = expected > 5
        chi2 = ((simulated[keep] - expected[keep]) ** 2 / expected[keep]).sum()
        assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-4, (name, t, chi2)


def test_needs_groups_follow_their_own_matrices():
    """Medium needs follow another matrix; counts per group match their exact chains."""
    low = MATRICES["housing-ladder"]
    medium = {"own": {"rough": 0.1}, "rough": {"own": 0.02}}
    sc = sim.load_scenario(
        {
            **chain_scenario(
                {"own": 40_000, "rough": 40_000}, low, needs_rows={"medium": medium, "high": medium}
            ),
            "initial": {
                "counts": {"own": 40_000, "rough": 40_000},
                "needs_mix": {"default": {"low": 0.5, "medium": 0.5, "high": 0.0}},
            },
        }
    )
    model = sim.HomelessnessModel(sc, rng=3).run(26)
    P = np.linalg.matrix_power(nightly_matrix(transition_matrix(sc.params)), DAYS_PER_WEEK)
    counts = model.recorder.counts[26].sum(axis=2)  # situation x needs
    start = model.recorder.counts[0].sum(axis=2)
    for g in (0, 1):
        expected = start[:, g] @ np.linalg.matrix_power(P[g], 26)
        n = start[:, g].sum()
        se = np.sqrt(np.maximum(expected * (1 - expected / n), 1e-12))
        assert np.all(np.abs(counts[:, g] - expected)[expected > 0] < 5 * se[expected > 0])


@pytest.mark.parametrize("name", sorted(MATRICES))
def test_a_week_of_nights_leaves_each_row_with_its_weekly_chance(name):
    """Seven nights of the nightly chain leave a row with exactly the weekly chance
    (to rounding), and the first move of the week goes by the weekly row's shares; only
    second moves within the week (chance at most the row's chance times the largest
    chance of any row) make the week of nights differ from the weekly matrix."""
    sc = sim.load_scenario(chain_scenario(COUNTS, MATRICES[name], years=1))
    P = transition_matrix(sc.params)[0]
    N = nightly_matrix(P)
    stay = np.diag(N)
    assert np.allclose(stay**DAYS_PER_WEEK, np.diag(P), rtol=0, atol=1e-12)
    assert np.allclose(N.sum(axis=1), 1.0, atol=1e-12)
    off = P - np.diag(np.diag(P))
    leaving = off.sum(axis=1)
    moving = leaving > 0
    n_off = N - np.diag(stay)
    shares = n_off[moving] / n_off[moving].sum(axis=1, keepdims=True)
    assert np.allclose(shares, off[moving] / leaving[moving, None], atol=1e-12)
    week = np.linalg.matrix_power(N, DAYS_PER_WEEK)
    assert np.all(np.abs(week - P).max(axis=1) <= leaving * leaving.max() + 1e-12)


def test_weekly_counts_tell_nights_from_weeks():
    """The nightly chain, not the weekly matrix, is what the model follows: with a row
    that leaves fast (night shelter, 0.8 a week), the weekly matrix's prediction after
    one week is more than 10 standard errors off the simulated count, while the nightly
    chain's is within 5 (the tolerance of the test above)."""
    rows = MATRICES["sticky-with-supported"]
    sc = sim.load_scenario(chain_scenario(COUNTS, rows, years=1))
    ((_, nightly, simulated),) = exact_and_simulated(rows, [1], 7)
    P = transition_matrix(sc.params)[0]
    x0 = np.zeros(len(SITUATIONS))
    for name, n in COUNTS.items():
        x0[SITUATIONS.index(name)] = n
    weekly = x0 @ P
    n = simulated.sum()
    se = np.sqrt(np.maximum(n * (nightly / n) * (1 - nightly / n), 1e-12))
    assert np.all((np.abs(simulated - nightly) / se)[nightly > 0] < 5)
    assert (np.abs(simulated - weekly) / se)[nightly > 0].max() > 10
