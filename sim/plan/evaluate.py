"""One candidate plan: its scenario, its runs, and what they show.

A candidate is one value per decision variable. Replication ``k`` of every candidate
(and of the base) uses the streams of ``run_seed(seed, k)``: common random numbers, so
differences between candidates are measured with far less noise than their levels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.costs import discount_factors
from sim.plan.spec import PlanSpec, Target, Variable
from sim.scenario.costs_schema import PAYERS
from sim.scenario.loader import scenario_hash, set_path, unshared_copy
from sim.situations import WEEKS_PER_YEAR

Candidate = tuple[float, ...]
#: One run of a plan: (raw scenario, its file, replication, root seed, years, hash).
Task = tuple[dict, str | None, int, int, int | None, str]


def candidate_raw(spec: PlanSpec, values: Candidate) -> dict:
    """Return the scenario of a candidate: the base with each variable set.

    Each variable is set from 1 January of its ``from_year`` as a dated change, or from
    the start.
    """
    raw = with_values(spec.base.raw, spec.variables, values, spec.start_year, spec.file)
    raw["name"] = f"{spec.base.name}+plan"
    return raw


def with_values(
    raw: dict,
    variables: Sequence[Variable],
    values: Candidate,
    start_year: int,
    file: str | None = None,
) -> dict:
    """Return a copy of the raw scenario ``raw`` with each variable set to its value.

    Each is set from the start, or from 1 January of its ``from_year`` as a dated change
    appended to the scenario's own ``changes``. What a candidate runs, what
    ``recommended.yaml`` holds and what the dashboard opens for a point of a plan's
    frontier.
    """
    raw = unshared_copy(raw)
    changes: dict[int, dict] = {}
    for var, value in zip(variables, values, strict=True):
        value = int(value) if var.integer else float(value)
        if var.from_year is None or var.from_year <= start_year:
            set_path(raw, var.key, value, file=file)
        else:
            changes.setdefault(var.from_year, {})[var.key] = value
    if changes:
        raw["changes"] = [*(raw.get("changes") or []), *dated_changes(changes)]
    return raw


def dated_changes(changes: dict[int, dict]) -> list[dict]:
    """``changes`` entries (set on 1 January of each year) for {year: {key: value}}."""
    return [{"date": f"{y}-01-01", "set": s} for y, s in sorted(changes.items())]


def base_values(spec: PlanSpec) -> Candidate:
    """The base scenario's own values of the variables (NaN where unset)."""
    return tuple(v.base_value for v in spec.variables)


def tasks_for(spec: PlanSpec, raw: dict, replications: Sequence[int]) -> list[Task]:
    """Run tasks of one scenario for the given replication indices."""
    key = scenario_hash(raw)
    return [(raw, spec.base.file, k, spec.search.seed, spec.years, key) for k in replications]


def run_plan_tasks(
    tasks: Sequence[Task],
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
    engine: Any = None,
) -> list[dict[str, float]]:
    """Run tasks on the batch engine and give each replication's outcomes as a row of numbers.

    The engine runs serially, on local processes or on Dask; the rows are in the tasks'
    order. ``engine``: a :class:`sim.batch.engine.Engine` kept over several calls (its
    workers start once); without one, an engine is made for this call.

    Rows hold the run's summary, the count by situation at the yearly count
    (``pit_<situation>_<year>``) and the yearly costs by payer, undiscounted
    (``yearly_<payer>_<year>``).
    """
    from sim.batch import run_many
    from sim.batch.runs import RunSpec

    specs = [
        RunSpec(
            raw,
            name=raw.get("name", "plan"),
            replication=k,
            seed=seed,
            years=years,
            file=file,
            measure="plan",
        )
        for raw, file, k, seed, years, _key in tasks
    ]
    outs = (
        engine.run(specs, progress, "plan runs")
        if engine is not None
        else run_many(
            specs, workers=workers, scheduler=scheduler, progress=progress, desc="plan runs"
        )
    )
    rows = []
    for out in outs:
        if out.error is not None:
            raise RuntimeError(f"a plan run failed: {out.error['type']}: {out.error['message']}")
        rows.append(
            {
                k: float(v)
                for k, v in out.summary.items()
                if isinstance(v, int | float | np.number)
                and not isinstance(v, bool)
                and k not in ("replication", "seed")
            }
        )
    return rows


# ---------------------------------------------------------------- costs the model does not price


def extra_costs(spec: PlanSpec, values: Candidate) -> tuple[np.ndarray, float]:
    """Return the costs of the changes the cost model does not price.

    Returns (by year and payer, undiscounted, shape (years, payers); discounted total).
    Units are counted against the base value: a one-off cost per unit added, paid in the
    first week of the variable's ``from_year``; a yearly cost per unit added (or saved),
    spread evenly over the weeks from then on.
    """
    years = spec.years
    weekly = np.zeros((len(PAYERS), years * WEEKS_PER_YEAR))
    for var, value in zip(spec.variables, values, strict=True):
        units = _units_added(var, value)
        if units == 0:
            continue
        p = PAYERS.index(var.payer)
        first = (
            0
            if var.from_year is None
            else max(0, (var.from_year - spec.start_year) * WEEKS_PER_YEAR)
        )
        weekly[p, first] += var.one_off * max(units, 0.0)
        weekly[p, first:] += var.per_year * units / WEEKS_PER_YEAR
    disc = discount_factors(spec.base.params.costs, weekly.shape[1])
    by_year = weekly.reshape(len(PAYERS), years, WEEKS_PER_YEAR).sum(axis=2).T
    return by_year, float((weekly * disc).sum())


def _units_added(var: Variable, value: float) -> float:
    if math.isnan(float(value)):
        return 0.0
    base = 0.0 if math.isnan(var.base_value) else var.base_value
    return float(value) - base


# ---------------------------------------------------------------- what a candidate shows


@dataclass
class Evaluation:
    """Per-replication measures of one candidate, paired with the base's replications.

    ``cost``: discounted total cost, plan costs included (DKK); ``days``: discounted
    homeless days avoided against the base; ``met``: one column per target (True where
    the run meets it); ``net_yearly``: net extra cost against the base by year and payer
    (DKK, undiscounted; mean over replications), shape (years, payers).
    """

    values: Candidate
    cost: np.ndarray
    days: np.ndarray
    met: np.ndarray
    net_yearly: np.ndarray
    slack: np.ndarray

    @property
    def replications(self) -> int:
        """Replications evaluated."""
        return int(self.cost.size)

    def probabilities(self) -> np.ndarray:
        """Share of replications meeting each target."""
        return self.met.mean(axis=0) if self.met.size else np.zeros(0)


def evaluation(
    spec: PlanSpec, values: Candidate, runs: pd.DataFrame, base: pd.DataFrame
) -> Evaluation:
    """Return the measures of a candidate from its runs and the base's.

    Both are indexed by replication, the candidate's replications a subset of the
    base's.
    """
    base = base.loc[runs.index]
    yearly_extra, extra_disc = extra_costs(spec, values)
    cost = runs["cost_total_discounted"].to_numpy() + extra_disc
    days = base["homeless_days_discounted"].to_numpy() - runs["homeless_days_discounted"].to_numpy()
    met = (
        np.column_stack([target_met(t, runs, spec) for t in spec.targets])
        if spec.targets
        else np.zeros((len(runs), 0), dtype=bool)
    )
    slack = np.array([target_slack(t, runs, spec) for t in spec.targets])
    net = _net_yearly(spec, runs, base) + yearly_extra
    return Evaluation(values, cost, days, met, net, slack)


def _net_yearly(spec: PlanSpec, runs: pd.DataFrame, base: pd.DataFrame) -> np.ndarray:
    out = np.zeros((spec.years, len(PAYERS)))
    for y in range(spec.years):
        for p, payer in enumerate(PAYERS):
            col = f"yearly_{payer}_{spec.start_year + y}"
            if col in runs:
                out[y, p] = float((runs[col] - base[col]).mean())
    return out


def target_values(target: Target, runs: pd.DataFrame, spec: PlanSpec) -> np.ndarray:
    """Return the outcome a target reads, per replication.

    Shape (runs, years) for yearly outcomes (one column per year it covers), (runs, 1)
    otherwise.
    """
    if target.year is None and target.from_year is None:
        return runs[[target.outcome]].to_numpy(dtype=float)
    first = target.year if target.year is not None else target.from_year
    last = target.year if target.year is not None else spec.start_year + spec.years - 1
    cols = [_yearly_column(target.outcome, y) for y in range(first, last + 1)]
    cols = [c for c in cols if c in runs]
    return runs[cols].to_numpy(dtype=float)


def _yearly_column(outcome: str, year: int) -> str:
    return f"{outcome}_{year}"


def target_met(target: Target, runs: pd.DataFrame, spec: PlanSpec) -> np.ndarray:
    """True for each replication in which the target holds (in every year it covers)."""
    x = target_values(target, runs, spec)
    ok = x <= target.at_most if target.at_most is not None else x >= target.at_least
    return ok.all(axis=1)


def target_slack(target: Target, runs: pd.DataFrame, spec: PlanSpec) -> float:
    """Return how far the mean outcome is inside (positive) or outside (negative) the bound.

    In the outcome's units, in the worst year it covers.
    """
    x = target_values(target, runs, spec).mean(axis=0)
    gap = target.at_most - x if target.at_most is not None else x - target.at_least
    return float(gap.min())


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (95% by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def budget_excess(spec: PlanSpec, ev: Evaluation) -> float:
    """Return by how much the mean net extra cost exceeds the budget in its worst year.

    In DKK; 0 within the budget, or without one.
    """
    if spec.budget is None:
        return 0.0
    net = ev.net_yearly
    spent = (
        net.sum(axis=1) if spec.budget.payer == "total" else net[:, PAYERS.index(spec.budget.payer)]
    )
    return float(max(0.0, (spent - spec.budget.per_year).max()))
