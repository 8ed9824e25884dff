"""Probabilistic sensitivity analysis (PSA): parameter uncertainty in cost-effectiveness.

N parameter draws are taken from the scenarios' distributions (Latin hypercube or
Sobol, see :mod:`sim.distributions`), or from a calibration posterior. Every draw is
run for every scenario with the same parameters and the same replication seeds
(common random numbers), so the differences between scenarios within a draw are the
policies' effects, and the spread across draws is the parameters' uncertainty. By
default every draw also uses the same replication seeds as every other draw
(``noise="common"``): a scenario with no uncertain parameters then shows no spread
at all, and the cloud shows parameter uncertainty only. ``noise="fresh"`` gives each
draw its own seeds, so the cloud shows both.

Conventions (as in :mod:`sim.cea`): the cost is a summary column (default
``cost_total_discounted``, DKK); the effect is a summary column signed so that more is
better (default ``homeless_days`` with direction "lower", i.e. homeless days avoided).
Net benefit at willingness to pay ``w`` (DKK per unit of effect) is
``w * effect - cost``. The cost-effectiveness acceptability curve (CEAC) is, for each
``w``, the share of draws in which each option has the highest net benefit; the
expected value of perfect information is ``E[max_j NB_j] - max_j E[NB_j]``.

The maths are pure functions over arrays of shape (draws, options); running is done by
:func:`run_psa`, which hands every run of every draw and scenario to the batch engine
at once (serial, local processes or Dask, resumable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.batch.engine import Engine
from sim.batch.frames import replication_frames
from sim.batch.progress import Progress
from sim.distributions import UncertainParameter, uncertain_parameters, unit_design
from sim.posterior_sample import draw_rows, parameter_columns
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario, has_key, load_scenario
from sim.simulate import Simulator, simulate

NOISE = ("common", "fresh")


# ---------------------------------------------------------------- pure maths


def net_benefit(
    costs: np.ndarray, effects: np.ndarray, wtp: Sequence[float] | np.ndarray
) -> np.ndarray:
    """Net monetary benefit, shape (len(wtp), draws, options): ``w * effect - cost``."""
    c, e = _check(costs, effects)
    w = np.asarray(wtp, dtype=float).reshape(-1, 1, 1)
    return w * e[None] - c[None]


def ceac(costs: np.ndarray, effects: np.ndarray, wtp: Sequence[float] | np.ndarray) -> np.ndarray:
    """Probability that each option is the most cost-effective, shape (len(wtp), options).

    For each willingness to pay, the share of draws in which the option has the
    highest net benefit (ties go to the first option, the base).
    """
    nb = net_benefit(costs, effects, wtp)
    best = np.argmax(nb, axis=2)  # (wtp, draws)
    n_opt = nb.shape[2]
    return np.stack([(best == j).mean(axis=1) for j in range(n_opt)], axis=1)


def evpi(costs: np.ndarray, effects: np.ndarray, wtp: Sequence[float] | np.ndarray) -> np.ndarray:
    """Expected value of perfect information per willingness to pay, shape (len(wtp),).

    ``E[max_j NB_j] - max_j E[NB_j]``: what deciding with the parameters known would
    gain on average, in the unit of the costs (for the population the costs cover).
    Never negative; zero when one option has the highest net benefit in every draw.
    """
    nb = net_benefit(costs, effects, wtp)
    chosen = np.argmax(nb.mean(axis=1), axis=1)  # best option on expectation, per wtp
    # mean over draws of (best in the draw - the chosen option): exactly zero when the
    # chosen option is best in every draw, and never negative
    regret = nb.max(axis=2) - np.take_along_axis(nb, chosen[:, None, None], axis=2)[..., 0]
    return regret.mean(axis=1)


def _check(costs: np.ndarray, effects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(costs, dtype=float)
    e = np.asarray(effects, dtype=float)
    if c.ndim != 2 or c.shape != e.shape:
        raise ValueError("costs and effects must be arrays of the same shape (draws, options)")
    return c, e


def incremental(costs: np.ndarray, effects: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """Per draw and alternative: incremental cost and effect gain against option 0."""
    c, e = _check(costs, effects)
    rows = []
    for j in range(1, c.shape[1]):
        rows.append(
            pd.DataFrame(
                {
                    "draw": np.arange(c.shape[0]),
                    "alternative": names[j],
                    "d_cost": c[:, j] - c[:, 0],
                    "gain": e[:, j] - e[:, 0],
                }
            )
        )
    cols = ["draw", "alternative", "d_cost", "gain"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)


def summary_table(inc: pd.DataFrame) -> pd.DataFrame:
    """Per alternative, the draws' cost and gain summed up.

    The mean and 95% interval over draws of cost and gain, the ICER of the means, and the
    shares of draws that save money, gain, or dominate.
    """
    rows = []
    for alt, g in inc.groupby("alternative", sort=False):
        dc, ge = g["d_cost"], g["gain"]
        rows.append(
            {
                "alternative": alt,
                "draws": len(g),
                "d_cost_mean": dc.mean(),
                "d_cost_low": dc.quantile(0.025),
                "d_cost_high": dc.quantile(0.975),
                "gain_mean": ge.mean(),
                "gain_low": ge.quantile(0.025),
                "gain_high": ge.quantile(0.975),
                "icer_of_means": dc.mean() / ge.mean() if ge.mean() != 0 else np.nan,
                "p_cost_saving": (dc < 0).mean(),
                "p_gain": (ge > 0).mean(),
                "p_dominant": ((dc <= 0) & (ge >= 0) & ((dc < 0) | (ge > 0))).mean(),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- draws


def psa_parameters(scenarios: Sequence[LoadedScenario]) -> list[UncertainParameter]:
    """Uncertain parameters of all scenarios, one per path (the first scenario's)."""
    seen: dict[str, UncertainParameter] = {}
    for sc in scenarios:
        for p in uncertain_parameters(sc):
            seen.setdefault(p.path, p)
    return list(seen.values())


@dataclass
class Draws:
    """N parameter draws.

    ``units`` holds each draw's position in [0, 1] per dotted path; each scenario maps
    it through its *own* distribution at that path, so a scenario that changes a
    parameter's distribution (a policy) keeps its own range while every scenario's
    values move together (the same quantile). ``posterior`` holds values taken as they
    are. ``values`` is the table reported: the first scenario's values.
    """

    units: pd.DataFrame
    posterior: pd.DataFrame
    values: pd.DataFrame

    def row(self, i: int) -> tuple[dict[str, float], dict[str, float]]:
        """Draw ``i``: (positions in [0, 1] by path, posterior values by path)."""
        return (self.units.iloc[i].to_dict(), self.posterior.iloc[i].to_dict())


def make_draws(
    scenarios: Sequence[LoadedScenario | str | Path | Mapping],
    n: int,
    method: str = "lhs",
    seed: int = 0,
    posterior: pd.DataFrame | None = None,
) -> Draws:
    """N draws from the scenarios' distributions (LHS or Sobol in the unit cube).

    Scenarios may be loaded, paths, shipped names or mappings.

    With ``posterior`` (a table with dotted-path columns, such as ``homesim calibrate
    --method abc`` writes), its rows are resampled with replacement for the paths it
    holds (in proportion to its ``weight`` column, if it has one); the other
    parameters come from their distributions.
    """
    scenarios = [load_scenario(sc) for sc in scenarios]
    post_cols = [] if posterior is None else parameter_columns(posterior)
    params = [p for p in psa_parameters(scenarios) if p.path not in post_cols and not p.is_fixed]
    units = pd.DataFrame(
        np.clip(unit_design(len(params), n, method, seed), 1e-12, 1 - 1e-12),
        columns=[p.path for p in params],
    )
    post = pd.DataFrame(index=range(n))
    if post_cols:
        rows = draw_rows(posterior, n, seed)  # by weight in an ABC-SMC sample
        for c in post_cols:
            post[c] = posterior[c].to_numpy()[rows]
    values = pd.DataFrame({"draw": np.arange(n)})
    for p in params:
        values[p.path] = [p.cast(x) for x in p.ppf(units[p.path].to_numpy())]
    for c in post_cols:
        values[c] = post[c]
    return Draws(units, post, values)


def draw_table(
    scenarios: Sequence[LoadedScenario],
    n: int,
    method: str = "lhs",
    seed: int = 0,
    posterior: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The draws as a table of values: ``draw``, then one column per dotted path."""
    return make_draws(scenarios, n, method, seed, posterior).values


def scenario_for_draw(
    sc: LoadedScenario, units: dict[str, float], values: dict[str, float] | None = None
) -> LoadedScenario:
    """The scenario with one draw applied.

    Its own distributions at the drawn positions, and posterior values for the paths the
    scenario holds.
    """
    over: dict[str, Any] = {}
    for p in uncertain_parameters(sc):
        if p.path in units:
            over[p.path] = p.cast(p.ppf(np.array(units[p.path])))
        elif p.is_fixed:
            over[p.path] = p.cast(p.args[0])
    for path, v in (values or {}).items():
        if has_key(sc.raw, path):
            over[path] = v
    return sc.with_overrides(over) if over else sc


# ---------------------------------------------------------------- running


@dataclass
class PSAResult:
    """Draws, outcomes per draw and scenario, and the arrays the maths use."""

    draws: pd.DataFrame  # draw, parameter values
    outcomes: pd.DataFrame  # draw, scenario, cost, effect_raw, effect, persons
    names: list[str]
    cost_column: str
    effect_column: str
    direction: str

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Costs and (signed) effects as arrays of shape (draws, options)."""
        wide = self.outcomes.pivot(index="draw", columns="scenario")
        return (
            wide["cost"][self.names].to_numpy(float),
            wide["effect"][self.names].to_numpy(float),
        )

    def persons(self) -> float:
        """Mean number of citizens modelled per run (start population plus entrants)."""
        return float(self.outcomes["persons"].mean())


def run_draw(
    scenarios: Sequence[LoadedScenario],
    draw: int,
    units: dict[str, float],
    values: dict[str, float],
    replications: int,
    seed: int,
    years: int | None,
    cost: str,
    effect: str,
    sign: int,
    first_replication: int = 0,
    simulator: Simulator = simulate,
) -> list[dict]:
    """Run one parameter draw for every scenario (same seeds), mean over replications."""
    reps = range(first_replication, first_replication + replications)
    drawn = [draw_scenario(sc, draw, units, values) for sc in scenarios]
    frames = replication_frames([(scd, reps, seed, years) for scd in drawn], simulator=simulator)
    return [
        outcome_row(draw, sc.name, scd, frame, cost, effect, sign)
        for sc, scd, frame in zip(scenarios, drawn, frames, strict=True)
    ]


def draw_scenario(
    sc: LoadedScenario, draw: int, units: dict[str, float], values: dict[str, float]
) -> LoadedScenario:
    """The scenario of one draw; ScenarioError names the draw if it is invalid."""
    try:
        return scenario_for_draw(sc, units, values)
    except ScenarioError as exc:
        raise ScenarioError(
            f"draw {draw} makes an invalid scenario: {exc.message}", file=exc.file, path=exc.path
        ) from None


def outcome_row(
    draw: int,
    name: str,
    scd: LoadedScenario,
    frame: pd.DataFrame,
    cost: str,
    effect: str,
    sign: int,
) -> dict:
    """One draw's outcome for one scenario: means over its replications."""
    for col, flag in ((cost, "--cost"), (effect, "--effect")):
        if col not in frame:
            kind = [c for c in frame if c.startswith("cost_") == (flag == "--cost")]
            raise ScenarioError(
                f"{flag}: the runs give no column '{col}'; valid "
                f"{flag[2:]} columns: {column_list(kind)}"
            )
    start = sum(scd.params.initial.counts.values()) * scd.params.setting.scale
    return {
        "draw": draw,
        "scenario": name,
        "cost": float(frame[cost].mean()),
        "effect_raw": float(frame[effect].mean()),
        "effect": sign * float(frame[effect].mean()),
        "persons": float(start + frame["entries"].mean()) if "entries" in frame else float(start),
    }


def column_list(columns: Sequence[str]) -> str:
    """Column names for a message, yearly ones collapsed: 'pit_<year> (2015-2024)'."""
    out: list[str] = []
    years: dict[str, list[str]] = {}
    for c in columns:
        head, _, tail = c.rpartition("_")
        if head and tail.isdigit() and len(tail) == 4:
            if head not in years:
                out.append(head)
            years.setdefault(head, []).append(tail)
        else:
            out.append(c)
    return ", ".join(f"{c}_<year> ({years[c][0]}-{years[c][-1]})" if c in years else c for c in out)


def run_psa(
    scenarios: Sequence[LoadedScenario | str | Path | Mapping],
    draws: int,
    replications: int = 1,
    seed: int = 0,
    years: int | None = None,
    method: str = "lhs",
    cost: str = "cost_total_discounted",
    effect: str = "homeless_days",
    direction: str = "lower",
    noise: str = "common",
    workers: int = 1,
    posterior: pd.DataFrame | None = None,
    simulator: Simulator = simulate,
    progress: bool | Progress | None = None,
    scheduler: Any = None,
    cache: str | Path | None = None,
) -> PSAResult:
    """Run a PSA: every draw for every scenario, the first scenario being the base.

    All runs (draws x scenarios x replications) go to the batch engine together:
    ``workers`` local processes, or the Dask cluster at ``scheduler``; ``cache``
    keeps finished runs so that a stopped PSA resumes. Results do not depend on
    where the runs happen: each draw's seeds come from its index.
    Scenarios may be loaded, paths, shipped names or mappings.
    """
    scenarios = [load_scenario(sc) for sc in scenarios]
    if len({sc.name for sc in scenarios}) != len(scenarios):
        raise ScenarioError("the scenarios must have different names")
    if direction not in ("lower", "higher"):
        raise ScenarioError(f"expected direction 'lower' or 'higher', got '{direction}'")
    if noise not in NOISE:
        raise ScenarioError(f"expected noise 'common' or 'fresh', got '{noise}'")
    if draws < 1 or replications < 1 or workers < 1:
        raise ScenarioError("expected draws, replications and workers of at least 1")
    made = make_draws(scenarios, draws, method, seed, posterior)
    sign = -1 if direction == "lower" else 1
    plan = []
    for i in range(draws):
        first = 0 if noise == "common" else i * replications
        reps = range(first, first + replications)
        plan.extend((i, sc, draw_scenario(sc, i, *made.row(i)), reps) for sc in scenarios)
    with Engine(workers, scheduler, cache=cache) as engine:
        frames = replication_frames(
            [(scd, reps, seed, years) for _, _, scd, reps in plan],
            engine,
            simulator,
            progress,
            desc="psa",
        )
    rows = [
        outcome_row(i, sc.name, scd, frame, cost, effect, sign)
        for (i, sc, scd, _), frame in zip(plan, frames, strict=True)
    ]
    return PSAResult(
        made.values, pd.DataFrame(rows), [sc.name for sc in scenarios], cost, effect, direction
    )


def wtp_grid(maximum: float, steps: int = 61) -> np.ndarray:
    """Willingness-to-pay values from 0 to ``maximum`` (DKK per unit of effect)."""
    if maximum <= 0 or steps < 2:
        raise ScenarioError("expected a positive --wtp-max and at least 2 steps")
    return np.linspace(0.0, maximum, steps)


def curves(result: PSAResult, wtp: np.ndarray, population: float | None = None) -> pd.DataFrame:
    """CEAC per option and EVPI over the willingness-to-pay grid.

    The EVPI is given for the modelled population, per person, and for ``population``
    persons.
    """
    c, e = result.arrays()
    probs = ceac(c, e, wtp)
    value = evpi(c, e, wtp)
    persons = result.persons()
    out = pd.DataFrame({"wtp": wtp})
    for j, name in enumerate(result.names):
        out[f"p_{name}"] = probs[:, j]
    out["evpi_modelled"] = value
    out["evpi_per_person"] = value / persons if persons > 0 else np.nan
    out["evpi_population"] = out["evpi_per_person"] * (population or persons)
    return out
