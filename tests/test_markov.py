"""The main correctness check: with no limits, entries, exits or memory, the model is
exactly the discrete-time Markov chain of its weekly matrix.

Each citizen's path is an independent chain, so the count in situation j after t
weeks is a sum of independent Bernoulli variables with mean ``(x0 @ P^t)[j]`` and
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
from sim.situations import SITUATIONS
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
    P = transition_matrix(sc.params)[0]
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
    P = transition_matrix(sc.params)
    counts = model.recorder.counts[26].sum(axis=2)  # situation x needs
    start = model.recorder.counts[0].sum(axis=2)
    for g in (0, 1):
        expected = start[:, g] @ np.linalg.matrix_power(P[g], 26)
        n = start[:, g].sum()
        se = np.sqrt(np.maximum(expected * (1 - expected / n), 1e-12))
        assert np.all(np.abs(counts[:, g] - expected)[expected > 0] < 5 * se[expected > 0])
