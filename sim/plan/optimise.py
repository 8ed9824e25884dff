"""Run a plan: search, confirm, and gather what the outputs show.

``run_plan(spec, out_dir)`` is what ``homesim plan`` calls. Every run goes through
:class:`~sim.plan.runs.PlanRuns`, which keeps them in the results folder, so a stopped
plan resumes without running anything twice and gives the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.plan.evaluate import Candidate, Evaluation, evaluation
from sim.plan.runs import PlanRuns
from sim.plan.search import run_search
from sim.plan.select import Selection, confirm, shortlist
from sim.plan.spec import PlanSpec


@dataclass
class PlanResult:
    """Everything a plan found.

    ``search``: each distinct candidate's evaluation at the search's replications;
    ``confirmed``: the shortlisted candidates' evaluations after the confirmation stage;
    ``selection``: the chosen plan and its probability of correct selection;
    ``base``: the base scenario's own evaluation (its values, paired with itself).
    """

    spec: PlanSpec
    search: dict[Candidate, Evaluation]
    confirmed: dict[Candidate, Evaluation]
    selection: Selection
    base: Evaluation
    runs_made: int = 0
    asked: list[Candidate] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        """True when a plan meets every target within the budget."""
        return self.selection.best is not None

    @property
    def chosen(self) -> Candidate:
        """The recommended plan, or the one that comes closest when none is feasible."""
        best = self.selection.best
        return best if best is not None else self.selection.closest

    def chosen_evaluation(self) -> Evaluation:
        """The evaluation of :attr:`chosen` with the most replications."""
        return self.confirmed.get(self.chosen) or self.search[self.chosen]


def run_plan(
    spec: PlanSpec,
    out_dir: str | Path | None = None,
    workers: int = 1,
    progress: bool = False,
    scheduler: Any = None,
) -> PlanResult:
    """Search the plan's space, confirm the best candidates and return what was found.

    Runs go to the batch engine: ``workers`` local processes or the Dask cluster at
    ``scheduler``; the answer does not depend on which. One engine serves the whole
    plan, so its workers start (and load the compiled model) once.
    """
    from sim.batch.engine import Engine

    with Engine(workers, scheduler) as engine:
        out = None if out_dir is None else Path(out_dir)
        return _run_plan(spec, PlanRuns(spec, out, workers, progress, scheduler, engine))


def _run_plan(spec: PlanSpec, runs: PlanRuns) -> PlanResult:
    """Search, confirm and evaluate the chosen candidates with the runs of ``runs``."""
    reps = spec.search.replications

    def evaluate(cands: list[Candidate], counts: list[int] | int = reps) -> list[Evaluation]:
        counts = [counts] * len(cands) if isinstance(counts, int) else counts
        top = max([*counts, reps])
        runs.ensure([None, *cands], [top, *counts])
        base = runs.frames["base"]
        return [
            evaluation(spec, c, runs.get(c, n), base) for c, n in zip(cands, counts, strict=True)
        ]

    asked = run_search(spec, evaluate)
    distinct = list(dict.fromkeys(asked))
    searched = dict(zip(distinct, evaluate(distinct), strict=True))
    selection = confirm(spec, shortlist(spec, searched), evaluate)
    final = {c: evaluate([c], [max(_count(runs, c), reps)])[0] for c in selection.confirmed}
    base_values = tuple(v.base_value for v in spec.variables)
    base_eval = evaluation(spec, base_values, runs.frames["base"], runs.frames["base"])
    return PlanResult(spec, searched, final, selection, base_eval, runs.runs_made, asked)


def _count(runs: PlanRuns, values: Candidate) -> int:
    from sim.plan.runs import candidate_id

    return len(runs.frames.get(candidate_id(values), ()))
