"""Sequential Monte Carlo approximate Bayesian computation (ABC-SMC), exact at its end.

The sampler works on positions ``z`` in the unit cube (each free parameter's place in
its range) and knows nothing about the model: it is handed a prior and a function that
returns, for a batch of candidate positions, the log of an *unbiased estimate* of the
likelihood of the observed figures, ``log p_hat(y | z) <= 0``. The calibration builds
that estimate from R stochastic replicates under a Gaussian observation model
(:mod:`sim.posterior`); the tests hand it fast simulators with known answers.

Acceptance is stochastic, as in Wilkinson (2013) and pyabc's ``StochasticAcceptor``
(Schälte & Hasenauer 2020): at temperature ``T`` a candidate is accepted with
probability ``p_hat ** (1 / T)``, so a candidate at distance ``d = -2 log p_hat``
equal to the *tolerance* ``2 ln 2 T`` is accepted with probability one half.
Generation 0 draws from the prior (``T`` infinite). Each later generation

1. sets its tolerance from the previous population: the weighted ``alpha`` quantile
   of its distances, and at most ``shrink`` times the previous tolerance
   (``T_next = max(1, min(shrink * T, q / (2 ln 2)))``);
2. proposes candidates by picking an ancestor by weight and perturbing it with a
   Gaussian kernel that adapts to the population: with ``kernel="local"`` each
   ancestor has its own covariance, the second moment about it of its
   ``neighbours`` share of nearest particles (the M-nearest-neighbour kernel of
   Filippi et al. 2013, as pyabc's ``LocalTransition``); with ``kernel="global"``
   twice the weighted covariance of the population (Beaumont et al. 2009);
   ``"auto"`` (the default) takes the local kernel from :data:`LOCAL_FROM` particles
   per parameter + 1 and the global one below, where a neighbourhood is too small to
   give a covariance and the weights degenerate;
3. redraws a candidate that falls outside the prior's support (ancestor and
   perturbation both) before anything is simulated, so such draws are never run,
   never use the run budget and never count as rejections by the data; they are
   reported as ``outside_prior``;
4. weights each accepted particle by prior / kernel mixture density (importance
   sampling; redrawing the whole candidate only truncates the mixture to the
   support, a constant the normalised weights drop), and reports the effective
   sample size ``(sum w)^2 / sum w^2``.

It stops after the generation run at ``T = 1`` (the minimum tolerance): since the
acceptance probability is then proportional to an unbiased likelihood estimate, the
weighted particles are a sample of the exact posterior under the observation model
(the pseudo-marginal argument of Andrieu & Roberts 2009), not an approximation at a
tolerance. It also stops, with an approximate posterior at ``T > 1`` and a reason
saying so, at the generation cap, the run budget, the wall-clock budget or when a
generation's acceptance rate falls below the minimum.

Reproducibility: the random numbers of a round of candidates come from
``default_rng([seed, generation, round])``, candidates are accepted in index order,
and every candidate carries a serial number from which the model draws its
replication seeds. So the posterior depends only on the seed and the settings, never
on how many workers evaluate the batch, in which order they finish, or whether the
fit was stopped and resumed: the state after every generation is written atomically
and a restart continues from the last complete generation. The budgets (generations,
runs, seconds) decide only where a fit stops, never its path.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logsumexp

#: ``evaluate(positions (m, d), serials (m,)) -> log p_hat (m,)``, each <= 0 or -inf.
Evaluate = Callable[[np.ndarray, np.ndarray], np.ndarray]

STATE_FILE = "smc_state.npz"
LN2 = math.log(2.0)


@dataclass(frozen=True)
class Prior:
    """A prior on the unit cube: one marginal per parameter, independent.

    Each marginal is ``None`` (uniform on the parameter's range) or a frozen scipy
    distribution on the parameter's own scale, truncated to ``[low, high]``.
    """

    names: tuple[str, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    dists: tuple[Any, ...]

    @property
    def dim(self) -> int:
        """Number of free parameters."""
        return len(self.names)

    def masses(self) -> np.ndarray:
        """Prior probability each marginal puts on its range (1 for uniform)."""
        out = []
        for lo, hi, dist in zip(self.lows, self.highs, self.dists, strict=True):
            out.append(1.0 if dist is None else float(dist.cdf(hi) - dist.cdf(lo)))
        return np.array(out)

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Positions from uniforms ``u`` (m, d) by the truncated inverse CDF."""
        z = np.array(u, dtype=float, copy=True)
        for j, (lo, hi, dist) in enumerate(zip(self.lows, self.highs, self.dists, strict=True)):
            if dist is not None:
                a, b = dist.cdf(lo), dist.cdf(hi)
                x = dist.ppf(a + u[:, j] * (b - a))
                z[:, j] = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
        return z

    def logpdf(self, z: np.ndarray) -> np.ndarray:
        """Log density of positions (m, d); ``-inf`` outside the unit cube."""
        z = np.atleast_2d(z)
        inside = np.all((z >= 0.0) & (z <= 1.0), axis=1)
        out = np.zeros(len(z))
        for j, (lo, hi, dist) in enumerate(zip(self.lows, self.highs, self.dists, strict=True)):
            if dist is not None:
                x = lo + np.clip(z[:, j], 0.0, 1.0) * (hi - lo)
                mass = dist.cdf(hi) - dist.cdf(lo)
                with np.errstate(divide="ignore"):
                    out += dist.logpdf(x) + math.log(hi - lo) - math.log(mass)
        return np.where(inside, out, -np.inf)


#: Perturbation kernels: one covariance per ancestor from its neighbours, one for all,
#: or the first from :data:`LOCAL_FROM` x (parameters + 1) particles and the second below.
KERNELS = ("auto", "local", "global")
#: ``"auto"`` uses the local kernel from this many particles per (parameter + 1). On
#: six parameters, 40 particles made the local kernel's weights degenerate (an ESS of
#: 1-2) where the global one kept an ESS of 20-35; from 200 the local one reached the
#: exact posterior with a quarter of the runs of the global one, which had not (see
#: docs/uncertainty.md).
LOCAL_FROM = 20


@dataclass(frozen=True)
class Settings:
    """How the sampler runs.

    Args:
        particles: particles per generation (the posterior sample size).
        max_generations: generations at most, generation 0 included.
        alpha: quantile of the previous population's distances that the next
            tolerance is set to (accepted there with probability one half).
        shrink: the tolerance falls to at most this share of the previous one.
        min_acceptance: stop when a generation accepts fewer than this share of the
            candidates it ran.
        max_runs: candidate evaluations at most, over the whole fit (None: no cap); a
            round that would go beyond it is not started.
        max_round: candidates evaluated at most in one round (None: 20 x particles).
        seed: root seed of every random number the sampler draws.
        kernel: ``"local"`` (a covariance per ancestor from its nearest neighbours),
            ``"global"`` (twice the population's weighted covariance) or ``"auto"``
            (local from :data:`LOCAL_FROM` x (parameters + 1) particles, else global).
        neighbours: share of the particles that make an ancestor's neighbourhood
            (local kernel; at least dimension + 1 particles).
        max_seconds: wall-clock budget of one call (None: no cap), checked before
            every round of candidates; the fit stops with the last complete
            generation and resumes from it.
        moves: 0 (this class's default, so that a sampler built here on its own
            simulator chooses a scheme) for stochastic acceptance; from 1, the
            tempered scheme (:func:`moved_generation`): each generation reweights,
            resamples and then makes this many pseudo-marginal Metropolis-Hastings
            moves per particle, ``particles x moves`` runs a generation. ``homesim
            calibrate`` and :func:`sim.posterior.fit_posterior` default to 2.
        keep: tempered scheme only: the next temperature keeps this share of the
            particles as effective sample size when the population is reweighted.
    """

    particles: int = 200
    max_generations: int = 15
    alpha: float = 0.5
    shrink: float = 0.5
    min_acceptance: float = 0.002
    max_runs: int | None = None
    max_round: int | None = None
    seed: int = 0
    kernel: str = "auto"
    neighbours: float = 0.25
    max_seconds: float | None = None
    moves: int = 0
    keep: float = 0.5

    def check(self) -> None:
        """Raise ValueError for settings out of their range."""
        if self.particles < 2 or self.max_generations < 1:
            raise ValueError("expected at least 2 particles and 1 generation")
        if not 0 < self.alpha < 1 or not 0 < self.shrink < 1:
            raise ValueError("expected 0 < alpha < 1 and 0 < shrink < 1")
        if not 0 <= self.min_acceptance < 1:
            raise ValueError("expected 0 <= min_acceptance < 1")
        if self.kernel not in KERNELS or not 0 < self.neighbours <= 1:
            raise ValueError(f"expected kernel one of {KERNELS} and 0 < neighbours <= 1")
        if self.moves < 0 or not 0 < self.keep < 1:
            raise ValueError("expected moves >= 0 and 0 < keep < 1")


@dataclass
class Population:
    """One generation's particles: positions, normalised weights and log p_hat."""

    z: np.ndarray
    weights: np.ndarray
    loglik: np.ndarray
    temperature: float

    @property
    def ess(self) -> float:
        """Effective sample size of the weights."""
        return float(1.0 / np.sum(self.weights**2))


@dataclass
class Result:
    """The last complete population, diagnostics per generation, and why it stopped."""

    population: Population
    generations: pd.DataFrame
    stopped: str
    runs: int
    exact: bool
    resumed_from: int | None = None

    @property
    def temperature(self) -> float:
        """Temperature of the population returned (1: exact)."""
        return self.population.temperature


@dataclass
class _State:
    """What a restart needs: the population, counters and the diagnostics so far."""

    generation: int
    population: Population
    serial: int
    runs: int
    rate: float
    rows: list[dict] = field(default_factory=list)


# ---------------------------------------------------------------- the sampler


class NoFiniteLikelihoodError(ValueError):
    """No particle can be weighted: every estimate is -inf (every run failed, say)."""


def run_smc(
    evaluate: Evaluate,
    prior: Prior,
    settings: Settings,
    state_dir: str | Path | None = None,
    fingerprint: str = "",
    progress: Callable[[dict], None] | None = None,
) -> Result:
    """Run ABC-SMC to the end (or resume it from ``state_dir``) and return the result.

    ``fingerprint`` identifies the problem (model, data, prior); a saved state made
    for another problem or other settings is refused, never silently reused.
    """
    settings.check()
    clock = _Clock(time.perf_counter(), settings.max_seconds)
    key = _state_key(prior, settings, fingerprint)
    state = load_state(state_dir, key) if state_dir is not None else None
    resumed = None if state is None else state.generation
    if state is None:
        state = _generation_zero(evaluate, prior, settings)
        _save(state_dir, key, state)
        _report(state, progress)
    step = moved_generation if settings.moves else _next_generation
    while True:
        reason = _stop_reason(state, settings, clock)
        if reason is not None:
            break
        try:
            state = step(evaluate, prior, settings, state, clock)
        except _BudgetError as stop:
            reason = str(stop)
            break
        _save(state_dir, key, state)
        _report(state, progress)
    pop = state.population
    return Result(
        pop,
        pd.DataFrame(state.rows),
        reason,
        state.runs,
        exact=pop.temperature <= 1.0,
        resumed_from=resumed,
    )


@dataclass(frozen=True)
class _Clock:
    """The wall-clock budget of one call: its start and the seconds allowed."""

    start: float
    seconds: float | None

    def spent(self) -> bool:
        """Whether the budget is used up."""
        return self.seconds is not None and time.perf_counter() - self.start >= self.seconds


class _BudgetError(Exception):
    """A budget ended inside a generation; the message says which."""


def _report(state: _State, progress: Callable[[dict], None] | None) -> None:
    if progress is not None:
        progress(state.rows[-1])


def _stop_reason(state: _State, s: Settings, clock: _Clock) -> str | None:
    last = state.rows[-1]
    if state.population.temperature <= 1.0:
        return "reached temperature 1: the exact posterior under the observation model"
    if state.generation + 1 >= s.max_generations:
        return (
            f"generation cap ({s.max_generations}) reached at temperature "
            f"{state.population.temperature:.4g}"
        )
    if state.generation > 0 and last["acceptance_rate"] < s.min_acceptance:
        return f"acceptance rate {last['acceptance_rate']:.2g} below {s.min_acceptance}"
    if s.max_runs is not None and state.runs >= s.max_runs:
        return f"run budget of {s.max_runs} used up"
    if clock.spent():
        return f"wall-clock budget of {clock.seconds:g} s used up"
    return None


def _generation_zero(evaluate: Evaluate, prior: Prior, s: Settings) -> _State:
    t0 = time.perf_counter()
    rng = np.random.default_rng([s.seed, 0, 0])
    z = prior.sample(rng.random((s.particles, prior.dim)))
    serials = np.arange(s.particles)
    loglik = _checked(evaluate(z, serials), len(z))
    if not np.isfinite(loglik).any():
        raise NoFiniteLikelihoodError(
            f"none of the {s.particles} draws from the prior has a finite likelihood"
        )
    weights = np.full(s.particles, 1.0 / s.particles)
    pop = Population(z, weights, loglik, math.inf)
    row = _row(0, pop, 0.0, (s.particles, 0, s.particles, s.particles), t0)
    return _State(0, pop, s.particles, s.particles, 0.5, [row])


def _checked(loglik: np.ndarray, m: int) -> np.ndarray:
    out = np.asarray(loglik, dtype=float)
    if out.shape != (m,):
        raise ValueError(f"evaluate returned shape {out.shape}, expected ({m},)")
    if np.any(out > 1e-9) or np.any(np.isnan(out)):
        raise ValueError("evaluate must return log-likelihood estimates <= 0 (or -inf)")
    return np.minimum(out, 0.0)


def best_loglik(pop: Population) -> float:
    """The largest finite log p_hat of a population (0 if none is finite).

    The next generation accepts with probability ``min(1, (p_hat / c) ** (1 / T))``
    with ``log c`` this value: any constant keeps the sampler exact once the weights
    carry ``max(1, (p_hat / c) ** (1 / T))`` (since ``min(1, x) max(1, x) = x``), and
    the best likelihood met so far makes the acceptance at ``T = 1`` a share one can
    reach, where ``c = 1`` (a perfect fit) would accept almost nothing when many
    targets are fitted (pyabc's ``pdf_norm_max_found``, with the weight correction).
    """
    finite = pop.loglik[np.isfinite(pop.loglik)]
    return float(finite.max()) if len(finite) else 0.0


def next_temperature(pop: Population, s: Settings) -> float:
    """The next generation's temperature from the distances of the population.

    Distances are counted above the population's best, ``-2 (log p_hat - log c)``.
    """
    d = -2.0 * (pop.loglik - best_loglik(pop))
    q = weighted_quantile(d, pop.weights, s.alpha)
    target = q / (2.0 * LN2) if math.isfinite(q) else math.inf
    return float(max(1.0, min(s.shrink * pop.temperature, target)))


def _next_generation(
    evaluate: Evaluate, prior: Prior, s: Settings, state: _State, clock: _Clock
) -> _State:
    """Run one generation; raises _BudgetError if a budget ends before it is complete."""
    t0 = time.perf_counter()
    gen = state.generation + 1
    prev = state.population
    temp = next_temperature(prev, s)
    logc = best_loglik(prev)
    chols = kernel_cholesky(prev.z, prev.weights, s)
    kept_z: list[np.ndarray] = []
    kept_ll: list[np.ndarray] = []
    drawn = outside = evaluated = 0
    serial, runs, rate = state.serial, state.runs, state.rate
    cap = s.max_round or 20 * s.particles
    rnd = 0
    while sum(len(x) for x in kept_z) < s.particles:
        need = s.particles - sum(len(x) for x in kept_z)
        m = int(min(cap, max(need, math.ceil(1.2 * need / max(rate, 1e-3)))))
        _check_budget(s, runs, m, clock)  # before the round: a budget never changes the path
        rng = np.random.default_rng([s.seed, gen, rnd])
        z, tries = propose_inside(rng, prev, chols, m, prior)
        logu = np.log(rng.random(m))
        ll = _checked(evaluate(z, serial + np.arange(m)), m)
        serial, runs = serial + m, runs + m
        hits = np.flatnonzero(logu < (ll - logc) / temp)
        kept_z.append(z[hits[:need]])
        kept_ll.append(ll[hits[:need]])
        drawn, outside, evaluated = drawn + tries, outside + tries - m, evaluated + m
        rate = max(len(hits) / m, 1e-3)
        rnd += 1
        accepted = sum(len(x) for x in kept_z)
        if s.min_acceptance and rnd > 1 and accepted / evaluated < s.min_acceptance / 10:
            break  # hopeless: far below the minimum rate; report what was reached
    z = np.vstack(kept_z)
    ll = np.concatenate(kept_ll)
    counts = (drawn, outside, evaluated, len(z))
    if len(z) < s.particles:
        row = _fail_row(gen, temp, logc, counts, t0)
        return _State(gen, prev, serial, runs, rate, [*state.rows, row])
    logw = prior.logpdf(z) - log_kernel_mixture(z, prev.z, prev.weights, chols)
    logw += np.maximum(0.0, (ll - logc) / temp)  # exact although c may be below p_hat
    w = np.exp(logw - logsumexp(logw))
    pop = Population(z, w, ll, temp)
    row = _row(gen, pop, logc, counts, t0)
    return _State(gen, pop, serial, runs, rate, [*state.rows, row])


# ---------------------------------------------------------------- tempered scheme

#: Metropolis-Hastings acceptance the tempered scheme's step size is steered to: a
#: little below the 0.234 of a random walk on an exact density (Roberts et al. 1997),
#: as a noisy likelihood estimate lowers it (Sherlock et al. 2015).
MOVE_TARGET = 0.2


def next_inverse_temperature(loglik: np.ndarray, w: np.ndarray, beta: float, keep: float) -> float:
    """The largest ``beta' <= 1`` whose reweighting keeps ``keep`` of the particles' ESS.

    Reweighting ``w`` by ``p_hat ** (beta' - beta)`` gives an effective sample size that
    falls as ``beta'`` grows; bisection finds where it equals ``keep`` times the
    particle count (adaptive tempering, Jasra et al. 2011). Returns 1 if that share is
    kept all the way.
    """
    n = len(loglik)

    def ess(b: float) -> float:
        v = reweighted(loglik, w, b - beta)
        return 0.0 if v is None else float(1.0 / np.sum(v**2))

    if ess(1.0) >= keep * n:
        return 1.0
    lo, hi = beta, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if ess(mid) >= keep * n else (lo, mid)
    return float(max(lo, beta + 1e-12 * max(beta, 1e-12)))


def reweighted(loglik: np.ndarray, w: np.ndarray, dbeta: float) -> np.ndarray | None:
    """Weights ``w`` times ``p_hat ** dbeta``, normalised; None if all are zero."""
    with np.errstate(invalid="ignore"):
        logw = np.log(np.maximum(w, 1e-300)) + dbeta * loglik
    logw = np.where(np.isfinite(logw) & (w > 0), logw, -np.inf)
    if not np.isfinite(logw).any():
        return None
    return np.exp(logw - logsumexp(logw))


def _step_scale(state: _State) -> float:
    """The random walk's scale factor where the last generation left it (1 at first)."""
    return float(state.rows[-1].get("next_step_scale", 1.0))


def _steered(factor: float, rate: float) -> float:
    """The scale factor after a round of moves accepted at ``rate``.

    Up if above :data:`MOVE_TARGET`, down if below (a Robbins-Monro step on its log).
    """
    return float(np.clip(factor * math.exp(2.0 * (rate - MOVE_TARGET)), 0.05, 3.0))


def _logit(z: np.ndarray) -> np.ndarray:
    """Positions on the whole real line, so a random walk never leaves the cube."""
    z = np.clip(z, 1e-9, 1.0 - 1e-9)
    return np.log(z) - np.log1p(-z)


def _log_jacobian(z: np.ndarray) -> np.ndarray:
    """Log of ``dz / dlogit(z)`` summed over parameters: the density's change of scale."""
    with np.errstate(divide="ignore"):
        return np.sum(np.log(z) + np.log1p(-z), axis=1)


def _check_budget(s: Settings, runs: int, m: int, clock: _Clock) -> None:
    if s.max_runs is not None and runs + m > s.max_runs:
        raise _BudgetError(f"run budget of {s.max_runs} used up during a generation")
    if clock.spent():
        raise _BudgetError(f"wall-clock budget of {clock.seconds:g} s used up during a generation")


def moved_generation(
    evaluate: Evaluate, prior: Prior, s: Settings, state: _State, clock: _Clock
) -> _State:
    """One generation of the tempered scheme: reweight, resample, move.

    A sequential Monte Carlo sampler (Del Moral et al. 2006) on the pseudo-marginal
    target ``prior(z) p_hat(z) ** beta`` (Andrieu & Roberts 2009), ``beta = 1 / T``:

    1. the next ``beta`` is chosen so that reweighting by ``p_hat ** (beta' - beta)``
       keeps ``keep`` of the effective sample size (:func:`next_inverse_temperature`);
    2. the population is resampled (systematic) to equal weights;
    3. each particle makes ``moves`` Metropolis-Hastings steps: a Gaussian random walk
       on the logits of its positions (so no step leaves the prior's support and a
       posterior against a bound is followed), with the reweighted population's
       covariance there times ``(2.38 f)^2 / d``, ``f`` steered towards
       :data:`MOVE_TARGET` acceptance after each round; a step runs the model once
       for a fresh estimate ``p_hat'`` and is taken with probability
       ``min(1, prior(z') J(z') p_hat'^beta / (prior(z) J(z) p_hat^beta))``, ``J``
       the logit's Jacobian ``prod z (1 - z)``; a particle keeps the estimate it
       carries until it moves (never re-estimated, which would break exactness).

    Each generation costs exactly ``particles x moves`` runs, where stochastic
    acceptance costs ``particles`` over its acceptance rate, which falls with the
    temperature; at ``beta = 1`` the population samples the
    exact posterior under the observation model, as with stochastic acceptance.
    """
    t0 = time.perf_counter()
    gen = state.generation + 1
    prev = state.population
    beta_prev = 0.0 if math.isinf(prev.temperature) else 1.0 / prev.temperature
    beta = next_inverse_temperature(prev.loglik, prev.weights, beta_prev, s.keep)
    w = reweighted(prev.loglik, prev.weights, beta - beta_prev)
    if w is None:
        raise NoFiniteLikelihoodError("no particle has a finite likelihood estimate")
    ess = float(1.0 / np.sum(w**2))
    idx = resample(w, s.particles, [s.seed, gen, 0])
    z, ll = prev.z[idx].copy(), prev.loglik[idx].copy()
    logp = prior.logpdf(z) + _log_jacobian(z)
    factor = _step_scale(state)
    start = factor
    cov = kernel_covariance(_logit(prev.z), w) / 2.0 * 2.38**2 / z.shape[1]
    serial, runs = state.serial, state.runs
    tried = moved = 0
    for k in range(s.moves):
        chol = np.linalg.cholesky(cov * factor**2)
        rng = np.random.default_rng([s.seed, gen, k + 1])
        cand = expit(_logit(z) + rng.standard_normal(z.shape) @ chol.T)
        logu = np.log(rng.random(len(z)))
        _check_budget(s, runs, len(z), clock)
        cand_ll = _checked(evaluate(cand, serial + np.arange(len(z))), len(z))
        serial, runs = serial + len(z), runs + len(z)
        cand_logp = prior.logpdf(cand) + _log_jacobian(cand)
        with np.errstate(invalid="ignore"):
            log_ratio = beta * (cand_ll - ll) + cand_logp - logp
        take = np.flatnonzero(np.nan_to_num(log_ratio, nan=-np.inf) > logu)
        z[take], ll[take], logp[take] = cand[take], cand_ll[take], cand_logp[take]
        tried, moved = tried + len(z), moved + len(take)
        factor = _steered(factor, len(take) / len(z))
    temp = math.inf if beta <= 0 else 1.0 / beta
    pop = Population(z, np.full(s.particles, 1.0 / s.particles), ll, temp)
    row = _row(gen, pop, best_loglik(prev), (tried, 0, tried, moved), t0)
    row["ess"] = ess  # the reweighting's ESS: the equal weights after the moves say nothing
    row["step_scale"] = start
    row["next_step_scale"] = factor
    return _State(gen, pop, serial, runs, state.rate, [*state.rows, row])


def propose_inside(
    rng: np.random.Generator, prev: Population, chols: np.ndarray, m: int, prior: Prior
) -> tuple[np.ndarray, int]:
    """``m`` candidates inside the prior's support, and the kernel draws it took.

    A draw outside is redrawn whole (a new ancestor and a new perturbation) before
    anything runs. Raises ValueError if the support is all but missed (fewer than one
    draw in 10,000 inside), which a sound prior and kernel never do.
    """
    out: list[np.ndarray] = []
    have = tries = 0
    while have < m:
        k = m - have
        anc = rng.choice(len(prev.z), size=k, p=prev.weights)
        eps = rng.standard_normal((k, prev.z.shape[1]))
        z = prev.z[anc] + np.einsum("kij,kj->ki", chols[anc], eps)
        z = z[np.isfinite(prior.logpdf(z))]
        out.append(z)
        have, tries = have + len(z), tries + k
        if tries > 10_000 * m:
            raise ValueError("the kernel's draws all but miss the prior's support")
    return np.vstack(out), tries


def _counts_row(counts: tuple[int, int, int, int]) -> dict:
    drawn, outside, evaluated, accepted = counts
    return {
        "drawn": drawn,
        "outside_prior": outside,
        "runs": evaluated,
        "accepted": accepted,
        "acceptance_rate": accepted / max(evaluated, 1),
    }


def _fail_row(
    gen: int, temp: float, logc: float, counts: tuple[int, int, int, int], t0: float
) -> dict:
    return {
        "generation": gen,
        "temperature": temp,
        "tolerance": -2 * logc + 2 * LN2 * temp,
        "best_distance": -2 * logc,
        **_counts_row(counts),
        "ess": float("nan"),
        "median_distance": float("nan"),
        "seconds": round(time.perf_counter() - t0, 3),
    }


def _row(
    gen: int, pop: Population, logc: float, counts: tuple[int, int, int, int], t0: float
) -> dict:
    """A generation's diagnostics; the tolerance is the distance accepted with chance 1/2."""
    return {
        "generation": gen,
        "temperature": pop.temperature,
        "tolerance": -2 * logc + 2 * LN2 * pop.temperature,
        "best_distance": -2 * logc,
        **_counts_row(counts),
        "ess": pop.ess,
        "median_distance": weighted_quantile(-2 * pop.loglik, pop.weights, 0.5),
        "seconds": round(time.perf_counter() - t0, 3),
    }


# ---------------------------------------------------------------- maths


def kernel_covariance(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Twice the weighted covariance of the particles, kept positive definite."""
    mean = w @ z
    x = z - mean
    cov = 2.0 * (x.T * w) @ x / max(1.0 - np.sum(w**2), 1e-12)
    return _jittered(cov)


def _jittered(cov: np.ndarray) -> np.ndarray:
    """``cov`` plus a tiny ridge (relative to its trace), so its Cholesky factor exists."""
    d = cov.shape[-1]
    return cov + np.eye(d) * max(1e-10, 1e-8 * float(np.trace(cov)) / d)


def local_covariances(z: np.ndarray, w: np.ndarray, share: float) -> np.ndarray:
    """Per particle: the second moment about it of its nearest neighbours.

    Neighbours are the ``share`` of particles (at least dimension + 1) nearest in the
    metric of the population's covariance, ties broken by index. Averaged over
    particles the moment about a point is the covariance plus the point's offset from
    the mean, so, like twice the covariance globally, it covers the population, but it
    follows a curved or bounded posterior instead of spanning it. The neighbours count
    alike (not by weight), so a neighbourhood keeps its spread when the weights
    concentrate on a few particles. ``w`` only sets the metric. Shape (n, d, d).
    """
    n, d = z.shape
    m = min(n, max(d + 1, math.ceil(share * n)))
    metric = np.linalg.inv(kernel_covariance(z, w) / 2.0)
    diff = z[:, None, :] - z[None, :, :]
    dist = np.einsum("ijk,kl,ijl->ij", diff, metric, diff)
    near = np.argsort(dist, axis=1, kind="stable")[:, :m]
    out = np.empty((n, d, d))
    for i in range(n):
        x = z[near[i]] - z[i]
        out[i] = _jittered(x.T @ x / m)
    return out


def kernel_of(s: Settings, dim: int) -> str:
    """The kernel a fit of ``dim`` parameters uses: ``"local"`` or ``"global"``."""
    if s.kernel != "auto":
        return s.kernel
    return "local" if s.particles >= LOCAL_FROM * (dim + 1) else "global"


def kernel_cholesky(z: np.ndarray, w: np.ndarray, s: Settings) -> np.ndarray:
    """Cholesky factors of the perturbation kernel's covariance, one per particle (n, d, d)."""
    if kernel_of(s, z.shape[1]) == "global":
        chol = np.linalg.cholesky(kernel_covariance(z, w))
        return np.broadcast_to(chol, (len(z), *chol.shape)).copy()
    return np.linalg.cholesky(local_covariances(z, w, s.neighbours))


def log_kernel_mixture(
    z: np.ndarray, centres: np.ndarray, w: np.ndarray, chols: np.ndarray
) -> np.ndarray:
    """Log sum_k w_k N(z; centre_k, L_k L_k^T) for each row of z."""
    d = z.shape[1]
    inv = np.linalg.inv(chols)
    logdet = 2.0 * np.sum(np.log(np.diagonal(chols, axis1=1, axis2=2)), axis=1)
    logc = np.log(np.maximum(w, 1e-300)) - 0.5 * logdet
    out = np.empty(len(z))
    for lo in range(0, len(z), 256):
        diff = z[lo : lo + 256, None, :] - centres[None, :, :]
        sol = np.einsum("kij,mkj->mki", inv, diff)
        q = np.sum(sol**2, axis=2)
        out[lo : lo + 256] = logsumexp(-0.5 * q + logc[None, :], axis=1)
    return out - 0.5 * d * math.log(2 * math.pi)


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``x`` under weights ``w`` (inverse of the weighted CDF)."""
    x = np.asarray(x, float)
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(np.asarray(w, float)[order])
    cw /= cw[-1]
    i = int(np.searchsorted(cw, q, side="left"))
    return float(x[order][min(i, len(x) - 1)])


def credible_interval(x: np.ndarray, w: np.ndarray, level: float) -> tuple[float, float]:
    """Equal-tailed weighted credible interval at ``level`` (e.g. 0.9)."""
    a = (1.0 - level) / 2.0
    return weighted_quantile(x, w, a), weighted_quantile(x, w, 1.0 - a)


def resample(w: np.ndarray, n: int, seed: Sequence[int] | int) -> np.ndarray:
    """Indices of ``n`` draws by systematic resampling of weights ``w``."""
    rng = np.random.default_rng(seed)
    pos = (rng.random() + np.arange(n)) / n
    cw = np.cumsum(w)
    cw /= cw[-1]
    return np.minimum(np.searchsorted(cw, pos, side="right"), len(w) - 1)


# ---------------------------------------------------------------- state on disk


def _state_key(prior: Prior, s: Settings, fingerprint: str) -> str:
    # the caps decide only where a fit stops, not its path: a fit stopped by a cap
    # resumes under a larger one
    budgets = ("max_generations", "max_runs", "max_seconds")
    path_settings = {k: v for k, v in asdict(s).items() if k not in budgets}
    desc = {
        "settings": path_settings,
        "names": prior.names,
        "lows": prior.lows,
        "highs": prior.highs,
        "dists": [None if d is None else _dist_text(d) for d in prior.dists],
        "fingerprint": fingerprint,
    }
    return hashlib.sha256(json.dumps(desc, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _dist_text(dist: Any) -> str:
    return f"{dist.dist.name}{tuple(dist.args)}{sorted(dist.kwds.items())}"


class StateMismatchError(ValueError):
    """The folder holds the state of a different fit."""


def load_state(state_dir: str | Path, key: str) -> _State | None:
    """The saved state in ``state_dir``, or None; refuses a state of another fit."""
    path = Path(state_dir) / STATE_FILE
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as f:
        saved = str(f["key"])
        if saved != key:
            raise StateMismatchError(
                f"{path} holds the state of a different fit (other "
                "scenario, targets, prior or settings)"
            )
        meta = json.loads(str(f["meta"]))
        pop = Population(
            f["z"].copy(), f["weights"].copy(), f["loglik"].copy(), float(meta["temperature"])
        )
    return _State(
        int(meta["generation"]),
        pop,
        int(meta["serial"]),
        int(meta["runs"]),
        float(meta["rate"]),
        list(meta["rows"]),
    )


def _save(state_dir: str | Path | None, key: str, state: _State) -> None:
    """Write the state atomically: a temporary file, then a rename."""
    if state_dir is None:
        return
    folder = Path(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "generation": state.generation,
        "serial": state.serial,
        "runs": state.runs,
        "rate": state.rate,
        "temperature": state.population.temperature,
        "rows": state.rows,
    }
    tmp = folder / f".{STATE_FILE}.{os.getpid()}.tmp.npz"
    np.savez(
        tmp,
        key=np.array(key),
        meta=np.array(json.dumps(meta, default=float)),
        z=state.population.z,
        weights=state.population.weights,
        loglik=state.population.loglik,
    )
    os.replace(tmp, folder / STATE_FILE)
