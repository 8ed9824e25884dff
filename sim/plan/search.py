"""The global search of a plan's decision space.

``tpe``: Optuna's tree-structured Parzen estimator with its constraint handling
(constrained TPE): each candidate's constraints are the shortfall of every target's
probability below what is asked and the budget excess, so the sampler learns where
feasible plans lie while it minimises the objective. Candidates are asked ``batch`` at a
time and all their runs go to the engine together; the sampler is seeded and the batch
size is the plan's, not the worker count's, so the same plan asks the same candidates on
any machine. ``grid``: every point of the grid (for small spaces, and for checks with a
known answer).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from sim.plan.evaluate import Candidate, Evaluation, budget_excess
from sim.plan.spec import PlanSpec

#: Spaces up to this many points may be searched in full.
GRID_LIMIT = 20_000


def objective(spec: PlanSpec, ev: Evaluation) -> float:
    """Return the value to minimise.

    The mean discounted cost, or minus the mean discounted homeless days avoided.
    """
    return float(ev.cost.mean() if spec.objective == "least_cost" else -ev.days.mean())


def per_run_objective(spec: PlanSpec, ev: Evaluation) -> np.ndarray:
    """The objective of each replication (for the confirmation stage)."""
    return ev.cost if spec.objective == "least_cost" else -ev.days


def constraints(spec: PlanSpec, ev: Evaluation) -> list[float]:
    """Return Optuna's constraint values (feasible where every one is at most 0).

    Each target's required probability minus the share of runs meeting it, and the
    budget excess as a share of the budget.
    """
    probs = ev.probabilities()
    out = [float(t.probability - p) for t, p in zip(spec.targets, probs, strict=True)]
    if spec.budget is not None:
        out.append(budget_excess(spec, ev) / max(abs(spec.budget.per_year), 1.0))
    return out


def feasible(spec: PlanSpec, ev: Evaluation) -> bool:
    """Every target met with the probability asked (point estimate) and within budget."""
    return all(c <= 1e-12 for c in constraints(spec, ev))


def grid_points(spec: PlanSpec) -> list[Candidate]:
    """Every point of the decision grid, in a fixed order."""
    return [tuple(p) for p in itertools.product(*(v.values() for v in spec.variables))]


def grid_size(spec: PlanSpec) -> int:
    """Number of points of the decision grid."""
    return int(np.prod([len(v.values()) for v in spec.variables]))


def run_search(
    spec: PlanSpec, evaluate: Callable[[list[Candidate]], list[Evaluation]]
) -> list[Candidate]:
    """Search the space; ``evaluate`` runs a batch of candidates.

    Returns the candidates in the order they were asked (repeats included).
    """
    if spec.search.method == "grid":
        points = grid_points(spec)
        for i in range(0, len(points), spec.search.batch):
            evaluate(points[i : i + spec.search.batch])
        return points
    return _tpe(spec, evaluate)


def _tpe(
    spec: PlanSpec, evaluate: Callable[[list[Candidate]], list[Evaluation]]
) -> list[Candidate]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {v.key: _distribution(v) for v in spec.variables}
    sampler = optuna.samplers.TPESampler(
        seed=spec.search.seed,
        multivariate=True,
        n_startup_trials=max(1, min(10, spec.search.trials // 4)),
    )
    study = optuna.create_study(direction="minimize", sampler=sampler)
    asked: list[Candidate] = []
    while len(asked) < spec.search.trials:
        size = min(spec.search.batch, spec.search.trials - len(asked))
        trials = [study.ask(dists) for _ in range(size)]
        batch = [tuple(t.params[v.key] for v in spec.variables) for t in trials]
        for trial, ev in zip(trials, evaluate(batch), strict=True):
            for k, value in enumerate(constraints(spec, ev)):
                trial.set_constraint(f"c{k}", value)
            study.tell(trial, objective(spec, ev))
        asked += batch
    return asked


def _distribution(var):
    import optuna

    if var.integer:
        return optuna.distributions.IntDistribution(int(var.low), int(var.high), step=int(var.step))
    top = var.low + var.step * np.floor((var.high - var.low) / var.step + 1e-9)
    return optuna.distributions.FloatDistribution(var.low, float(top), step=var.step)
