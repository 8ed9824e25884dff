"""Sensitivity of model outcomes to uncertain parameters: one-way and Sobol indices.

*One-way*: each uncertain parameter in turn is set to its low and then its high value
(the scenario's ``low``/``high``, or the 2.5% and 97.5% quantiles of its distribution)
with all others at their written values; the change in a chosen outcome is what a
tornado plot shows. All runs share their random numbers (the same replication
indices), so the differences are the parameter's effect, not noise.

*Global (Sobol)*: variance-based indices over the joint distribution of the
parameters, estimated with :func:`scipy.stats.sobol_indices` (Saltelli 2010 / Jansen
estimators) and bootstrap confidence intervals. The first-order index of a parameter
is the share of the outcome's variance it explains alone; the total index adds its
interactions. The estimator is checked on the Ishigami function, whose indices are
known exactly, before it is used on the model.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.distributions import UncertainParameter, uncertain_parameters
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.simulate import Simulator, simulate


@dataclass
class SobolResult:
    """First- and total-order indices with bootstrap confidence intervals."""

    table: pd.DataFrame  # parameter, first, first_low, first_high, total, total_low, ...
    evaluations: int


def sobol(func: Callable[[np.ndarray], np.ndarray], dists: Sequence, names: Sequence[str],
          n: int = 256, seed: int = 0, confidence: float = 0.95, resamples: int = 200
          ) -> SobolResult:
    """Sobol indices of a scalar function of independent inputs.

    ``func`` takes an array of shape (d, m) (one column per point) and returns m
    values; ``dists`` are frozen scipy distributions (they need ``ppf``); ``n`` is the
    base sample size, a power of two; the function is called on n * (d + 2) points.
    """
    if n < 2 or n & (n - 1):
        raise ScenarioError(f"the Sobol base sample size must be a power of two, got {n}")
    res = stats.sobol_indices(func=lambda x: np.atleast_2d(func(x)), n=n, dists=list(dists),
                              rng=np.random.default_rng(seed))
    with warnings.catch_warnings():
        # a parameter with no effect at all gives a degenerate bootstrap (NaN interval)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        boot = res.bootstrap(confidence_level=confidence, n_resamples=resamples)
    f_ci, t_ci = boot.first_order.confidence_interval, boot.total_order.confidence_interval
    table = pd.DataFrame({
        "parameter": list(names),
        "first": np.ravel(res.first_order), "first_low": np.ravel(f_ci.low),
        "first_high": np.ravel(f_ci.high),
        "total": np.ravel(res.total_order), "total_low": np.ravel(t_ci.low),
        "total_high": np.ravel(t_ci.high),
    })
    return SobolResult(table, n * (len(names) + 2))


def model_function(loaded: LoadedScenario, params: Sequence[UncertainParameter],
                   outcome: str, replications: int = 1, seed: int = 0,
                   years: int | None = None, simulator: Simulator = simulate
                   ) -> Callable[[np.ndarray], np.ndarray]:
    """The model as a function of its uncertain parameters, for :func:`sobol`.

    Each point is one scenario (the parameters overridden) run for ``replications``
    replications with the same seeds at every point; the value is the mean outcome.
    """
    def f(x: np.ndarray) -> np.ndarray:
        out = np.empty(x.shape[1])
        for j in range(x.shape[1]):
            over = {p.path: p.cast(v) for p, v in zip(params, x[:, j], strict=True)}
            out[j] = run_outcome(loaded.with_overrides(over), outcome, replications, seed,
                                 years, simulator)
        return out
    return f


def sobol_model(loaded: LoadedScenario | str | Path | Mapping, outcome: str, n: int = 64,
                replications: int = 1, seed: int = 0, years: int | None = None,
                resamples: int = 200, simulator: Simulator = simulate) -> SobolResult:
    """Sobol indices of one outcome over the scenario's uncertain parameters (the
    scenario loaded, a path, a shipped name or a mapping)."""
    loaded = load_scenario(loaded)
    params = [p for p in uncertain_parameters(loaded) if not p.is_fixed]
    if not params:
        raise ScenarioError("no parameter has a distribution ('dist'); nothing to analyse",
                            file=loaded.file)
    f = model_function(loaded, params, outcome, replications, seed, years, simulator)
    return sobol(f, [p.dist for p in params], [p.path for p in params], n, seed,
                 resamples=resamples)


def run_outcome(scenario: LoadedScenario, outcome: str, replications: int, seed: int,
                years: int | None, simulator: Simulator = simulate) -> float:
    """Mean of one outcome column over replications 0..R-1."""
    frame = simulator(scenario, range(replications), seed, years)
    if outcome not in frame:
        cols = [c for c in frame.columns if c not in ("scenario", "replication", "seed")]
        raise ScenarioError(f"unknown outcome '{outcome}' (the runs give e.g. "
                            f"{', '.join(cols[:12])}, ...)")
    return float(frame[outcome].mean())


def ranged_parameters(loaded: LoadedScenario) -> list[UncertainParameter]:
    """Parameters with a range for one-way analysis: a distribution, or low and high."""
    from sim.distributions import key_bounds, make_parameter
    with_dist = {p.path: p for p in uncertain_parameters(loaded) if not p.is_fixed}
    out = list(with_dist.values())
    for path, prov in loaded.provenance.items():
        if path in with_dist or prov.low is None or prov.high is None or "[" in path:
            continue
        if key_bounds(path) is None or prov.high <= prov.low:
            continue
        value = _value(loaded.raw, path)
        out.append(make_parameter(path, value, {"uniform": [prov.low, prov.high]},
                                  prov.low, prov.high, loaded.file))
    return out


def _value(raw: dict, path: str) -> float:
    node = raw
    for key in path.split("."):
        node = node[key]
    return node["value"] if isinstance(node, dict) else node


def one_way(loaded: LoadedScenario | str | Path | Mapping, outcome: str,
            replications: int = 5, seed: int = 0,
            years: int | None = None, params: Sequence[UncertainParameter] | None = None,
            simulator: Simulator = simulate) -> pd.DataFrame:
    """Outcome at each parameter's low and high value, others as written.

    Returns one row per parameter: ``parameter, value, low, high, base, outcome_low,
    outcome_high, swing`` (``swing`` = |outcome_high - outcome_low|), sorted by swing.
    A value that makes the scenario invalid (e.g. a row of probabilities above 1) is
    reported in ``note`` and its outcome left empty. The scenario may be loaded, a
    path, a shipped name or a mapping.
    """
    loaded = load_scenario(loaded)
    params = list(params) if params is not None else ranged_parameters(loaded)
    base = run_outcome(loaded, outcome, replications, seed, years, simulator)
    rows = []
    for p in params:
        results, notes = [], []
        for v in (p.low, p.high):
            try:
                sc = loaded.with_overrides({p.path: p.cast(v)})
            except ScenarioError as exc:
                results.append(np.nan)
                notes.append(exc.message)
                continue
            results.append(run_outcome(sc, outcome, replications, seed, years, simulator))
        rows.append({"parameter": p.path, "value": p.value, "low": p.low, "high": p.high,
                     "base": base, "outcome_low": results[0], "outcome_high": results[1],
                     "swing": abs(results[1] - results[0]), "note": "; ".join(notes)})
    table = pd.DataFrame(rows, columns=["parameter", "value", "low", "high", "base",
                                        "outcome_low", "outcome_high", "swing", "note"])
    return table.sort_values("swing", ascending=False, na_position="last",
                             ignore_index=True)


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami test function, x of shape (3, m) on [-pi, pi]^3."""
    return np.sin(x[0]) + a * np.sin(x[1]) ** 2 + b * x[2] ** 4 * np.sin(x[0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Exact first- and total-order Sobol indices of the Ishigami function."""
    pi = np.pi
    v1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    first = np.array([v1, v2, 0.0]) / var
    total = np.array([v1 + v13, v2, v13]) / var
    return first, total
