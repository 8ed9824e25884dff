"""Expected value of partial perfect information (EVPPI) by regression metamodels.

For a decision between options with net benefit ``NB_d(theta)``, the EVPPI of a group
of parameters ``phi`` (a subset of ``theta``) is

    EVPPI(phi) = E_phi[ max_d E(NB_d | phi) ] - max_d E(NB_d)

the most a decision maker should pay to learn ``phi`` exactly. Following Strong,
Oakley & Brennan (2014), as the R packages voi and dampack do, the inner conditional
expectation is estimated from the PSA sample itself: the incremental net benefit of
each option against the first is regressed on ``phi``, and the fitted values stand in
for ``E(NB_d - NB_0 | phi)``. No further model runs are needed.

Regression: a Gaussian process with a squared-exponential kernel, one length scale
per parameter, and a noise term that takes up everything ``phi`` does not explain
(the other parameters and Monte Carlo noise); its hyperparameters maximise the
marginal likelihood (on an evenly thinned subset of 300 draws, which is plenty
for a handful of hyperparameters). ``linear`` (least squares on ``phi``) is offered
as a check; it is biased whenever net benefit is not linear in ``phi``.

Net benefit at willingness to pay ``w`` is ``w * effect - cost``; since the fitted GP
mean is linear in its data for fixed hyperparameters, the incremental effect and
cost are regressed once each, and ``w * g_effect - g_cost`` serves every ``w``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, optimize

METHODS = ("gp", "linear")
#: Largest sample a GP is fitted to; larger PSA samples are thinned evenly.
MAX_GP_DRAWS = 1500
#: Draws the GP's hyperparameters are fitted to (an evenly thinned subset).
HYPER_DRAWS = 300


# ---------------------------------------------------------------- regression


def fitted_values(x: np.ndarray, y: np.ndarray, method: str = "gp") -> np.ndarray:
    """Fitted ``E(y | x)`` at the sample points, by ``method`` (see the module notes)."""
    x = np.asarray(x, float).reshape(len(y), -1)
    y = np.asarray(y, float)
    if method not in METHODS:
        raise ValueError(f"expected a method in {METHODS}, got {method!r}")
    if np.ptp(y) == 0:
        return y.copy()
    if method == "linear":
        design = np.column_stack([np.ones(len(y)), x])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        return design @ coef
    return gp_fit(x, y).mean


@dataclass
class GPFit:
    """A fitted Gaussian-process regression.

    Length scales (on [0, 1]-scaled inputs), signal and noise sd (in units of y), and the
    fitted mean at the sample points.
    """

    lengths: np.ndarray
    signal: float
    noise: float
    mean: np.ndarray


def gp_fit(x: np.ndarray, y: np.ndarray) -> GPFit:
    """Fit a GP with an ARD squared-exponential kernel by maximum marginal likelihood."""
    lo, span = x.min(axis=0), np.ptp(x, axis=0)
    u = (x - lo) / np.where(span > 0, span, 1.0)
    mu, sd = float(y.mean()), float(y.std())
    t = (y - mu) / sd
    k = u.shape[1]
    # hyperparameters from an evenly thinned subset (the cost is cubic in its size),
    # the fitted mean from every point
    sub = np.linspace(0, len(t) - 1, min(len(t), HYPER_DRAWS)).round().astype(int)
    sq = [(u[sub, j, None] - u[None, sub, j]) ** 2 for j in range(k)]
    start = np.concatenate([np.log(np.full(k, 0.5)), [0.0, math.log(0.5)]])
    bounds = [(math.log(0.02), math.log(50.0))] * k + [
        (math.log(1e-3), math.log(10.0)),
        (math.log(1e-3), math.log(10.0)),
    ]
    res = optimize.minimize(
        _neg_log_ml, start, args=(sq, t[sub]), jac=True, method="L-BFGS-B", bounds=bounds
    )
    ell, sf, sn = np.exp(res.x[:k]), math.exp(res.x[k]), math.exp(res.x[k + 1])
    sq = [(u[:, j, None] - u[None, :, j]) ** 2 for j in range(k)]
    kf = _kernel(sq, ell, sf)
    chol = linalg.cho_factor(kf + sn**2 * np.eye(len(t)), lower=True)
    mean = kf @ linalg.cho_solve(chol, t)
    return GPFit(ell, sf * sd, sn * sd, mu + sd * mean)


def _kernel(sq: Sequence[np.ndarray], ell: np.ndarray, sf: float) -> np.ndarray:
    r = sum(s / (e**2) for s, e in zip(sq, ell, strict=True))
    return sf**2 * np.exp(-0.5 * r)


def _neg_log_ml(
    theta: np.ndarray, sq: Sequence[np.ndarray], t: np.ndarray
) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood and its gradient in the log hyperparameters."""
    k = len(sq)
    ell, sf, sn = np.exp(theta[:k]), math.exp(theta[k]), math.exp(theta[k + 1])
    kf = _kernel(sq, ell, sf)
    n = len(t)
    try:
        chol = linalg.cho_factor(kf + (sn**2 + 1e-8) * np.eye(n), lower=True)
    except linalg.LinAlgError:
        return 1e25, np.zeros_like(theta)
    alpha = linalg.cho_solve(chol, t)
    nll = 0.5 * t @ alpha + np.sum(np.log(np.diag(chol[0]))) + 0.5 * n * math.log(2 * math.pi)
    inner = np.outer(alpha, alpha) - linalg.cho_solve(chol, np.eye(n))
    grad = np.empty_like(theta)
    for j in range(k):
        grad[j] = -0.5 * np.sum(inner * (kf * sq[j] / ell[j] ** 2))
    grad[k] = -0.5 * np.sum(inner * (2.0 * kf))
    grad[k + 1] = -0.5 * np.trace(inner) * 2.0 * sn**2
    return float(nll), grad


# ---------------------------------------------------------------- EVPPI


def evppi_from_fitted(fitted_inb: np.ndarray) -> float:
    """EVPPI from fitted incremental net benefits, shape (draws, options - 1)."""
    g = np.column_stack([np.zeros(len(fitted_inb)), fitted_inb])
    return float(max(0.0, np.mean(g.max(axis=1)) - g.mean(axis=0).max()))


def evppi(params: np.ndarray, net_benefit: np.ndarray, method: str = "gp") -> float:
    """EVPPI of the parameters (columns of ``params``) for net benefits (draws, options).

    In the unit of the net benefit; never negative.
    """
    nb = np.asarray(net_benefit, float)
    inb = nb[:, 1:] - nb[:, :1]
    fitted = np.column_stack(
        [fitted_values(params, inb[:, j], method) for j in range(inb.shape[1])]
    )
    return evppi_from_fitted(fitted)


def evppi_curve(
    params: np.ndarray,
    costs: np.ndarray,
    effects: np.ndarray,
    wtp: Sequence[float],
    method: str = "gp",
) -> np.ndarray:
    """EVPPI at each willingness to pay, from costs and effects of shape (draws, options).

    Incremental effects and costs are regressed once each (see the module notes).
    """
    c, e = np.asarray(costs, float), np.asarray(effects, float)
    if c.shape != e.shape or c.ndim != 2 or c.shape[1] < 2:
        raise ValueError("costs and effects must have shape (draws, options >= 2)")
    x = np.asarray(params, float).reshape(len(c), -1)
    idx = _thin(len(c)) if method == "gp" else np.arange(len(c))
    x, c, e = x[idx], c[idx], e[idx]
    ge = np.column_stack(
        [fitted_values(x, e[:, j] - e[:, 0], method) for j in range(1, c.shape[1])]
    )
    gc = np.column_stack(
        [fitted_values(x, c[:, j] - c[:, 0], method) for j in range(1, c.shape[1])]
    )
    return np.array([evppi_from_fitted(w * ge - gc) for w in wtp])


def _thin(n: int) -> np.ndarray:
    if n <= MAX_GP_DRAWS:
        return np.arange(n)
    return np.linspace(0, n - 1, MAX_GP_DRAWS).round().astype(int)


def evppi_table(
    draws: pd.DataFrame,
    costs: np.ndarray,
    effects: np.ndarray,
    groups: Mapping[str, Sequence[str]],
    wtp: Sequence[float],
    method: str = "gp",
) -> pd.DataFrame:
    """EVPPI per group of parameters and willingness to pay (long table).

    ``draws`` has one row per PSA draw and a column per dotted path, in the order of
    the rows of ``costs`` and ``effects``.
    """
    rows = []
    for name, cols in groups.items():
        x = draws[list(cols)].to_numpy(float)
        for w, v in zip(wtp, evppi_curve(x, costs, effects, wtp, method), strict=True):
            rows.append({"group": name, "parameters": ", ".join(cols), "wtp": float(w), "evppi": v})
    return pd.DataFrame(rows)
