"""ABC-SMC on fast simulators with known posteriors: accuracy, coverage, restart."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from sim.abc_smc import (
    Prior,
    Settings,
    StateMismatchError,
    credible_interval,
    next_inverse_temperature,
    resample,
    run_smc,
    weighted_quantile,
)
from sim.calibration import Target
from sim.posterior import predictive_table

#: Linear-Gaussian toy: three summaries of two parameters, replicate noise S, observation
#: noise SD. The exact posterior is Gaussian (truncated to the unit square).
A = np.array([[1.0, 0.5], [0.2, 1.0], [1.0, -1.0]])
S, SD, R = 0.05, 0.05, 3


def uniform_prior(d: int = 2) -> Prior:
    return Prior(tuple(f"p{i}" for i in range(d)), (0.0,) * d, (1.0,) * d, (None,) * d)


def toy_evaluate(y: np.ndarray, seed: int):
    """log of the mean over R replicates of the Gaussian observation kernel at y.

    The replicate noise of a batch comes from its first serial number, so, as in the
    model, the numbers depend only on the candidates' serials.
    """

    def evaluate(z: np.ndarray, serials: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng([seed, int(serials[0]), len(serials)])
        x = (z @ A.T)[:, None, :] + S * rng.standard_normal((len(z), R, len(y)))
        q = np.sum(((x - y) / SD) ** 2, axis=2)
        return logsumexp(-0.5 * q, axis=1) - np.log(R)

    return evaluate


def exact_posterior_grid(y: np.ndarray, n: int = 201) -> tuple[np.ndarray, np.ndarray]:
    """Posterior density of the toy on a grid of the unit square (flat prior)."""
    g = np.linspace(0, 1, n)
    t1, t2 = np.meshgrid(g, g, indexing="ij")
    theta = np.stack([t1.ravel(), t2.ravel()], axis=1)
    mean = theta @ A.T
    logp = stats.norm.logpdf(y[None, :], mean, np.sqrt(S**2 + SD**2)).sum(axis=1)
    p = np.exp(logp - logp.max())
    return theta, p / p.sum()


def assert_near_exact(pop, y: np.ndarray, mean_tol: float) -> None:
    """Each parameter's weighted mean within ``mean_tol`` of the exact posterior's, and
    its sd within 20%."""
    theta, p = exact_posterior_grid(y)
    for j in range(2):
        m_exact = float(p @ theta[:, j])
        sd_exact = float(np.sqrt(p @ (theta[:, j] - m_exact) ** 2))
        m = float(pop.weights @ pop.z[:, j])
        sd = float(np.sqrt(pop.weights @ (pop.z[:, j] - m) ** 2))
        assert abs(m - m_exact) < mean_tol
        assert abs(sd / sd_exact - 1) < 0.2


@pytest.mark.parametrize("kernel", ["local", "global"])
def test_posterior_matches_the_exact_one(kernel: str) -> None:
    """Posterior means within 0.01 and sds within 20% of the exact (grid) posterior.

    The posterior sd is about 0.035, so 0.01 is under a third of it; with 400 weighted
    particles the Monte Carlo error of a mean is about 0.035 / sqrt(ESS) < 0.004 (ESS
    above 80 with either kernel).
    """
    y = A @ np.array([0.4, 0.6]) + np.array([0.03, -0.02, 0.05])
    res = run_smc(
        toy_evaluate(y, 1), uniform_prior(), Settings(particles=400, seed=3, kernel=kernel)
    )
    assert res.exact and res.temperature == 1.0
    assert_near_exact(res.population, y, mean_tol=0.01)
    gens = res.generations
    assert list(gens["generation"]) == list(range(len(gens)))
    assert (np.diff(gens["temperature"].to_numpy()[1:]) < 0).all()
    assert (gens["ess"] > 0).all() and (gens["acceptance_rate"] <= 1).all()


@pytest.mark.parametrize("moves", [0, 3], ids=["acceptance", "tempered"])
def test_credible_and_predictive_intervals_cover_at_the_nominal_rate(moves: int) -> None:
    """100 synthetic fits, truths drawn from the prior's inner part, by either scheme.

    - The 90% credible intervals of the two parameters hold the truth in 90% of the
      200 cases, within +-0.07 (about 3.3 binomial standard errors of a share of 200).
    - The 80% posterior-predictive intervals (:func:`predictive_table`, the code the
      calibration writes with) hold a *new* observation from the truth in 80% of the
      300 cases, within +-0.07 (3 standard errors), and hold the *fitted* observation
      at least as often (data used in the fit are covered more often, not less).
    """
    rng = np.random.default_rng(2024)
    hits, new_in, old_in = [], [], []
    for fit in range(100):
        truth = rng.uniform(0.15, 0.85, size=2)
        x = A @ truth + S * rng.standard_normal(3) + SD * rng.standard_normal(3)
        settings = Settings(particles=150, seed=fit, moves=moves)
        res = run_smc(toy_evaluate(x, fit), uniform_prior(), settings)
        pop = res.population
        for j in range(2):
            lo, hi = credible_interval(pop.z[:, j], pop.weights, 0.9)
            hits.append(lo <= truth[j] <= hi)
        theta = pop.z[resample(pop.weights, 400, fit)]
        pred = theta @ A.T + np.hypot(S, SD) * rng.standard_normal((400, 3))
        fresh = A @ truth + S * rng.standard_normal(3) + SD * rng.standard_normal(3)
        for y, into in ((x, old_in), (fresh, new_in)):
            targets = [Target(f"t{i}", f"t{i}", float(y[i]), SD) for i in range(3)]
            into.extend(predictive_table(targets, pred)["inside_80"])
    assert abs(np.mean(hits) - 0.9) <= 0.07, np.mean(hits)
    assert abs(np.mean(new_in) - 0.8) <= 0.07, np.mean(new_in)
    assert np.mean(old_in) >= np.mean(new_in) - 0.02, (np.mean(old_in), np.mean(new_in))


def test_stopped_and_resumed_equals_straight_through(tmp_path) -> None:
    y = A @ np.array([0.5, 0.5])
    ev = toy_evaluate(y, 7)
    straight = run_smc(ev, uniform_prior(), Settings(particles=100, seed=5))
    # stopped by the generation cap, then resumed in the same folder without it
    part = run_smc(
        ev,
        uniform_prior(),
        Settings(particles=100, seed=5, max_generations=3),
        state_dir=tmp_path / "a",
        fingerprint="toy",
    )
    assert not part.exact and "cap" in part.stopped
    resumed = run_smc(
        ev,
        uniform_prior(),
        Settings(particles=100, seed=5),
        state_dir=tmp_path / "a",
        fingerprint="toy",
    )
    assert resumed.resumed_from == 2
    # interrupted (as by a kill) after generation 2 was saved, then run again
    with pytest.raises(_StopError):
        run_smc(
            ev,
            uniform_prior(),
            Settings(particles=100, seed=5),
            state_dir=tmp_path / "b",
            fingerprint="toy",
            progress=_stop_after(3),
        )
    killed = run_smc(
        ev,
        uniform_prior(),
        Settings(particles=100, seed=5),
        state_dir=tmp_path / "b",
        fingerprint="toy",
    )
    for again in (resumed, killed):
        np.testing.assert_array_equal(again.population.z, straight.population.z)
        np.testing.assert_array_equal(again.population.weights, straight.population.weights)
        assert again.runs == straight.runs
        assert again.generations.drop(columns="seconds").equals(
            straight.generations.drop(columns="seconds")
        )
    with pytest.raises(StateMismatchError):
        run_smc(
            ev,
            uniform_prior(),
            Settings(particles=100, seed=5),
            state_dir=tmp_path / "a",
            fingerprint="another problem",
        )


def test_draws_outside_the_prior_are_redrawn_never_run() -> None:
    """A truth in a corner of the square: many kernel draws fall outside; none is run.

    Every position handed to the simulator lies inside the prior's support, the runs
    counted are exactly those handed over, and the draws redrawn are reported apart
    (``outside_prior``), not as rejections: the acceptance rate is accepted / runs.
    """
    y = A @ np.array([0.02, 0.97])
    ev = toy_evaluate(y, 4)
    seen: list[np.ndarray] = []

    def recording(z: np.ndarray, serials: np.ndarray) -> np.ndarray:
        seen.append(z.copy())
        return ev(z, serials)

    res = run_smc(recording, uniform_prior(), Settings(particles=100, seed=2))
    z = np.vstack(seen)
    assert ((z >= 0) & (z <= 1)).all()
    gens = res.generations
    assert len(z) == res.runs == gens["runs"].sum()
    assert gens["outside_prior"].sum() > 0
    assert (gens["drawn"] == gens["runs"] + gens["outside_prior"]).all()
    assert np.allclose(gens["acceptance_rate"], gens["accepted"] / gens["runs"])
    assert res.exact


def test_a_wall_clock_budget_stops_between_generations_and_resumes(tmp_path) -> None:
    """Stopped by a used-up wall-clock budget, the fit says so and resumes bit for bit."""
    y = A @ np.array([0.5, 0.5])
    ev = toy_evaluate(y, 7)
    straight = run_smc(ev, uniform_prior(), Settings(particles=100, seed=5))
    part = run_smc(
        ev, uniform_prior(), Settings(particles=100, seed=5, max_seconds=0.0), tmp_path, "toy"
    )
    assert "wall-clock budget" in part.stopped and not part.exact
    assert len(part.generations) == 1
    resumed = run_smc(ev, uniform_prior(), Settings(particles=100, seed=5), tmp_path, "toy")
    assert resumed.resumed_from == 0
    np.testing.assert_array_equal(resumed.population.z, straight.population.z)
    np.testing.assert_array_equal(resumed.population.weights, straight.population.weights)


def test_the_tolerance_is_reported_above_the_best_distance() -> None:
    """Each generation reports its tolerance: the best distance + 2 ln 2 T."""
    y = A @ np.array([0.3, 0.3])
    res = run_smc(toy_evaluate(y, 9), uniform_prior(), Settings(particles=100, seed=1))
    g = res.generations.iloc[1:]
    assert np.allclose(g["tolerance"], g["best_distance"] + 2 * np.log(2) * g["temperature"])
    assert (g["best_distance"] >= 0).all() and g["temperature"].iloc[-1] == 1.0


class _StopError(Exception):
    pass


def _stop_after(n: int):
    """A progress callback that interrupts the fit after generation n - 1 is saved."""

    def progress(row: dict) -> None:
        if row["generation"] == n - 1:
            raise _StopError

    return progress


def test_prior_with_a_distribution_is_truncated_to_the_range() -> None:
    prior = Prior(("a",), (0.0,), (2.0,), (stats.norm(1.0, 0.5),))
    u = np.linspace(0.001, 0.999, 999)[:, None]
    z = prior.sample(u)
    assert ((z >= 0) & (z <= 1)).all()
    # the density in position space integrates to one over [0, 1]
    grid = np.linspace(0, 1, 2001)[:, None]
    dens = np.exp(prior.logpdf(grid))
    assert abs(np.trapezoid(dens, grid[:, 0]) - 1) < 1e-3
    assert prior.logpdf(np.array([[1.2]]))[0] == -np.inf


def test_weighted_quantile() -> None:
    x = np.array([3.0, 1.0, 2.0])
    assert weighted_quantile(x, np.array([1, 1, 1]) / 3, 0.5) == 2.0
    assert weighted_quantile(x, np.array([0.0, 1.0, 0.0]), 0.9) == 1.0


# ---------------------------------------------------------------- tempered scheme

MOVES = Settings(particles=400, seed=3, moves=3)


def test_the_tempered_scheme_matches_the_exact_posterior() -> None:
    """Reweight, resample, move (``moves=3``): means within 0.015, sds within 20%.

    Over ten seeds the error of a posterior mean had an sd of 0.005 (moves are
    correlated, so 400 particles count for fewer than with stochastic acceptance):
    0.015 is three of those. The posterior sd is about 0.05.
    """
    y = A @ np.array([0.4, 0.6]) + np.array([0.03, -0.02, 0.05])
    res = run_smc(toy_evaluate(y, 1), uniform_prior(), MOVES)
    assert res.exact and res.temperature == 1.0
    assert_near_exact(res.population, y, mean_tol=0.015)
    gens = res.generations
    assert (np.diff(gens["temperature"].to_numpy()[1:]) < 0).all()
    # each generation runs particles x moves candidates (none leaves the prior)
    later = gens.iloc[1:]
    assert (later["runs"] == 400 * 3).all() and (later["outside_prior"] == 0).all()
    assert res.runs == gens["runs"].sum()


def test_the_tempered_scheme_needs_fewer_runs_here() -> None:
    """On the toy, stochastic acceptance takes about 11,000 runs to the exact posterior
    and the tempered scheme about 3,500: at least twice as few is asserted."""
    y = A @ np.array([0.4, 0.6]) + np.array([0.03, -0.02, 0.05])
    accept = run_smc(toy_evaluate(y, 1), uniform_prior(), Settings(particles=400, seed=3))
    moved = run_smc(toy_evaluate(y, 1), uniform_prior(), MOVES)
    assert accept.exact and moved.exact
    assert moved.runs * 2 < accept.runs, (moved.runs, accept.runs)


def test_each_temperature_keeps_the_share_of_ess_asked_for() -> None:
    """Bisection puts the reweighting's ESS at ``keep`` x particles, or reaches 1."""
    rng = np.random.default_rng(0)
    ll = -rng.gamma(3.0, 50.0, size=200)
    w = np.full(200, 1 / 200)
    for keep in (0.3, 0.5, 0.8):
        beta = next_inverse_temperature(ll, w, 0.0, keep)
        v = np.exp(beta * ll - logsumexp(beta * ll))
        assert 0 < beta < 1 and abs(1 / np.sum(v**2) - keep * 200) < 1e-3
    assert next_inverse_temperature(ll / 1e6, w, 0.0, 0.5) == 1.0
    # a particle with no support (log p_hat -inf) gets no weight, whatever beta
    ll[0] = -np.inf
    assert 0 < next_inverse_temperature(ll, w, 0.0, 0.5) < 1


def test_the_tempered_scheme_resumes_bit_for_bit(tmp_path) -> None:
    y = A @ np.array([0.5, 0.5])
    ev = toy_evaluate(y, 7)
    s = Settings(particles=100, seed=5, moves=2)
    straight = run_smc(ev, uniform_prior(), s)
    part = run_smc(
        ev,
        uniform_prior(),
        Settings(particles=100, seed=5, moves=2, max_generations=3),
        tmp_path,
        "toy",
    )
    assert not part.exact
    resumed = run_smc(ev, uniform_prior(), s, tmp_path, "toy")
    assert resumed.resumed_from == 2
    np.testing.assert_array_equal(resumed.population.z, straight.population.z)
    assert resumed.runs == straight.runs
    assert resumed.generations.drop(columns="seconds").equals(
        straight.generations.drop(columns="seconds")
    )
    # a state saved by the other scheme is another fit
    with pytest.raises(StateMismatchError):
        run_smc(ev, uniform_prior(), Settings(particles=100, seed=5), tmp_path, "toy")


@pytest.mark.parametrize("bad", [{"moves": -1}, {"keep": 0.0}, {"keep": 1.0}])
def test_bad_tempered_settings_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError, match="moves >= 0 and 0 < keep < 1"):
        Settings(**bad).check()
