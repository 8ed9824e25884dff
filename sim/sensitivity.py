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
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.batch.engine import Engine
from sim.batch.frames import replication_frames
from sim.batch.progress import Progress
from sim.distributions import UncertainParameter, uncertain_parameters
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.simulate import Simulator, simulate


@dataclass
class SobolResult:
    """First- and total-order indices with bootstrap confidence intervals."""

    table: pd.DataFrame  # parameter, first, first_low, first_high, total, total_low, ...
    evaluations: int


def sobol(
    func: Callable[[np.ndarray], np.ndarray],
    dists: Sequence,
    names: Sequence[str],
    n: int = 256,
    seed: int = 0,
    confidence: float = 0.95,
    resamples: int = 200,
) -> SobolResult:
    """Sobol indices of a scalar function of independent inputs.

    ``func`` takes an array of shape (d, m) (one column per point) and returns m
    values; ``dists`` are frozen scipy distributions (they need ``ppf``); ``n`` is the
    base sample size, a power of two; the function is called on n * (d + 2) points.
    """
    if n < 2 or n & (n - 1):
        raise ScenarioError(f"the Sobol base sample size must be a power of two, got {n}")
    res = stats.sobol_indices(
        func=lambda x: np.atleast_2d(func(x)),
        n=n,
        dists=list(dists),
        rng=np.random.default_rng(seed),
    )
    with warnings.catch_warnings():
        # a parameter with no effect at all gives a degenerate bootstrap (NaN interval)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        boot = res.bootstrap(confidence_level=confidence, n_resamples=resamples)
    f_ci, t_ci = boot.first_order.confidence_interval, boot.total_order.confidence_interval
    table = pd.DataFrame(
        {
            "parameter": list(names),
            "first": np.ravel(res.first_order),
            "first_low": np.ravel(f_ci.low),
            "first_high": np.ravel(f_ci.high),
            "total": np.ravel(res.total_order),
            "total_low": np.ravel(t_ci.low),
            "total_high": np.ravel(t_ci.high),
        }
    )
    return SobolResult(table, n * (len(names) + 2))


def model_function(
    loaded: LoadedScenario,
    params: Sequence[UncertainParameter],
    outcome: str,
    replications: int = 1,
    seed: int = 0,
    years: int | None = None,
    simulator: Simulator = simulate,
    engine: Engine | None = None,
    progress: bool | Progress | None = None,
) -> Callable[[np.ndarray], np.ndarray]:
    """The model as a function of its uncertain parameters, for :func:`sobol`.

    Each point is one scenario (the parameters overridden) run for ``replications``
    replications with the same seeds at every point; the value is the mean outcome.
    All points of a call go to the batch engine together.
    """

    def f(x: np.ndarray) -> np.ndarray:
        scenarios = [
            loaded.with_overrides({p.path: p.cast(v) for p, v in zip(params, x[:, j], strict=True)})
            for j in range(x.shape[1])
        ]
        return np.array(
            outcome_means(
                scenarios, outcome, replications, seed, years, simulator, engine, progress
            )
        )

    return f


def sobol_model(
    loaded: LoadedScenario | str | Path | Mapping,
    outcome: str,
    n: int = 64,
    replications: int = 1,
    seed: int = 0,
    years: int | None = None,
    resamples: int = 200,
    simulator: Simulator = simulate,
    workers: int = 1,
    scheduler: Any = None,
    cache: str | Path | None = None,
    progress: bool | Progress | None = None,
) -> SobolResult:
    """Sobol indices of one outcome over the scenario's uncertain parameters.

    The runs go to the batch engine (``workers`` local processes or the Dask cluster
    at ``scheduler``); ``cache`` keeps finished runs so that a stopped analysis resumes.
    The scenario may be loaded, a path, a shipped name or a mapping.
    """
    loaded = load_scenario(loaded)
    params = [p for p in uncertain_parameters(loaded) if not p.is_fixed]
    if not params:
        raise ScenarioError(
            "no parameter has a distribution ('dist'); nothing to analyse", file=loaded.file
        )
    with Engine(workers, scheduler, cache=cache) as engine:
        f = model_function(
            loaded, params, outcome, replications, seed, years, simulator, engine, progress
        )
        return sobol(
            f, [p.dist for p in params], [p.path for p in params], n, seed, resamples=resamples
        )


def run_outcome(
    scenario: LoadedScenario,
    outcome: str,
    replications: int,
    seed: int,
    years: int | None,
    simulator: Simulator = simulate,
) -> float:
    """Mean of one outcome column over replications 0..R-1."""
    return outcome_means([scenario], outcome, replications, seed, years, simulator)[0]


def outcome_means(
    scenarios: Sequence[LoadedScenario],
    outcome: str,
    replications: int,
    seed: int,
    years: int | None,
    simulator: Simulator = simulate,
    engine: Engine | None = None,
    progress: bool | Progress | None = None,
) -> list[float]:
    """Mean of one outcome column over replications 0..R-1, for each scenario."""
    frames = replication_frames(
        [(sc, range(replications), seed, years) for sc in scenarios],
        engine,
        simulator,
        progress,
        desc="sensitivity",
    )
    for frame in frames:
        if outcome not in frame:
            cols = [c for c in frame.columns if c not in ("scenario", "replication", "seed")]
            raise ScenarioError(
                f"unknown outcome '{outcome}' (the runs give e.g. {', '.join(cols[:12])}, ...)"
            )
    return [float(frame[outcome].mean()) for frame in frames]


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
        out.append(
            make_parameter(
                path, value, {"uniform": [prov.low, prov.high]}, prov.low, prov.high, loaded.file
            )
        )
    return out


def _value(raw: dict, path: str) -> float:
    node = raw
    for key in path.split("."):
        node = node[key]
    return node["value"] if isinstance(node, dict) else node


def one_way(
    loaded: LoadedScenario | str | Path | Mapping,
    outcome: str,
    replications: int = 5,
    seed: int = 0,
    years: int | None = None,
    params: Sequence[UncertainParameter] | None = None,
    simulator: Simulator = simulate,
    workers: int = 1,
    scheduler: Any = None,
    cache: str | Path | None = None,
    progress: bool | Progress | None = None,
) -> pd.DataFrame:
    """Outcome at each parameter's low and high value, others as written.

    Returns one row per parameter: ``parameter, value, low, high, base, outcome_low,
    outcome_high, swing`` (``swing`` = |outcome_high - outcome_low|), sorted by swing.
    A value that makes the scenario invalid (e.g. a row of probabilities above 1) is
    reported in ``note`` and its outcome left empty. Every run goes to the batch
    engine at once (``workers``, ``scheduler``, ``cache`` as for :func:`sobol_model`).
    The scenario may be loaded, a path, a shipped name or a mapping.
    """
    loaded = load_scenario(loaded)
    params = list(params) if params is not None else ranged_parameters(loaded)
    points: list[tuple[int, int, LoadedScenario]] = []  # (parameter, 0 low / 1 high, sc)
    notes: dict[tuple[int, int], str] = {}
    for i, p in enumerate(params):
        for side, v in enumerate((p.low, p.high)):
            try:
                points.append((i, side, loaded.with_overrides({p.path: p.cast(v)})))
            except ScenarioError as exc:
                notes[(i, side)] = exc.message
    with Engine(workers, scheduler, cache=cache) as engine:
        means = outcome_means(
            [loaded, *(sc for _, _, sc in points)],
            outcome,
            replications,
            seed,
            years,
            simulator,
            engine,
            progress,
        )
    base = means[0]
    got = {(i, side): m for (i, side, _), m in zip(points, means[1:], strict=True)}
    rows = []
    for i, p in enumerate(params):
        low, high = (got.get((i, side), np.nan) for side in (0, 1))
        rows.append(
            {
                "parameter": p.path,
                "value": p.value,
                "low": p.low,
                "high": p.high,
                "base": base,
                "outcome_low": low,
                "outcome_high": high,
                "swing": abs(high - low),
                "note": "; ".join(notes[(i, s)] for s in (0, 1) if (i, s) in notes),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "parameter",
            "value",
            "low",
            "high",
            "base",
            "outcome_low",
            "outcome_high",
            "swing",
            "note",
        ],
    )
    return table.sort_values("swing", ascending=False, na_position="last", ignore_index=True)


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami test function, x of shape (3, m) on [-pi, pi]^3."""
    return np.sin(x[0]) + a * np.sin(x[1]) ** 2 + b * x[2] ** 4 * np.sin(x[0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Exact first- and total-order Sobol indices of the Ishigami function."""
    pi = np.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    first = np.array([v1, v2, 0.0]) / var
    total = np.array([v1 + v13, v2, v13]) / var
    return first, total
