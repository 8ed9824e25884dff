"""The confirmation stage: pick one plan with a stated probability of correct selection.

The search ranks candidates on a few replications each, so its best is partly luck. The
best ``candidates`` feasible plans are run again to ``confirm.replications``; then, while
the probability of correct selection (PCS) is below ``confirm.pcs``, more replications are
given where they help most, by the OCBA rule (Chen et al. 2000: a non-best plan gets
replications in proportion to (sd / gap)^2, the best in proportion to
sd_b * sqrt(sum of N_i^2 / sd_i^2)), until ``max_replications``.

The PCS is bounded from below by Bonferroni over the paired differences: with common
random numbers, the difference between plan i and the best b in replication k has mean
gap_i and standard error se_i, and

    PCS >= 1 - sum_i Phi(-(gap_i + delta) / se_i)

(delta: the indifference zone; plans within delta of the best count as equally good).
Feasibility is judged on the point estimate of each target's probability at the final
replications; its Wilson interval is reported beside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.plan.evaluate import Candidate, Evaluation
from sim.plan.search import feasible, objective, per_run_objective
from sim.plan.spec import PlanSpec


@dataclass
class Selection:
    """The outcome of the confirmation stage.

    ``best``: the chosen plan (None when none is feasible); ``pcs``: the lower bound on
    the probability it is the best of the confirmed set; ``confirmed``: the plans run
    again; ``closest``: when none is feasible, the plan that comes closest.
    """

    best: Candidate | None
    pcs: float
    confirmed: list[Candidate]
    closest: Candidate | None
    rounds: int


def shortlist(spec: PlanSpec, evaluations: dict[Candidate, Evaluation]) -> list[Candidate]:
    """Return the best distinct feasible candidates by their search estimate.

    When none is feasible, those that come closest.
    """
    ok = [c for c, ev in evaluations.items() if feasible(spec, ev)]
    if ok:
        ok.sort(key=lambda c: (objective(spec, evaluations[c]), c))
        return ok[: spec.confirm.candidates]
    ranked = sorted(
        evaluations,
        key=lambda c: (-closeness(spec, evaluations[c]), objective(spec, evaluations[c]), c),
    )
    return ranked[: spec.confirm.candidates]


def closeness(spec: PlanSpec, ev: Evaluation) -> float:
    """Return how near a plan comes to feasibility.

    The worst shortfall of a target's probability (negative when short), less a budget
    excess in units of the budget.
    """
    from sim.plan.search import constraints

    cons = constraints(spec, ev)
    return -max(cons) if cons else 0.0


def pcs_bound(spec: PlanSpec, evs: list[Evaluation], best: int) -> float:
    """Bonferroni lower bound on the probability that ``best`` is truly the best."""
    yb = per_run_objective(spec, evs[best])
    total = 0.0
    for i, ev in enumerate(evs):
        if i == best:
            continue
        yi = per_run_objective(spec, ev)
        n = min(yi.size, yb.size)
        d = yi[:n] - yb[:n]
        se = d.std(ddof=1) / math.sqrt(n) if n > 1 else math.inf
        gap = d.mean() + spec.confirm.delta
        total += (
            0.0 if se == 0 and gap > 0 else (0.5 if se == 0 else float(stats.norm.sf(gap / se)))
        )
    return max(0.0, 1.0 - total)


def ocba_counts(spec: PlanSpec, evs: list[Evaluation], best: int, total: int) -> np.ndarray:
    """OCBA's share of ``total`` replications for each plan."""
    means = np.array([per_run_objective(spec, ev).mean() for ev in evs])
    sds = np.array([max(per_run_objective(spec, ev).std(ddof=1), 1e-9) for ev in evs])
    gaps = np.maximum(np.abs(means - means[best]), max(spec.confirm.delta, 1e-9))
    ratio = (sds / gaps) ** 2
    others = np.arange(len(evs)) != best
    ratio[best] = sds[best] * math.sqrt(float(((ratio[others] / sds[others]) ** 2).sum()))
    return total * ratio / ratio.sum()


def confirm(
    spec: PlanSpec,
    shortlisted: list[Candidate],
    evaluate: Callable[[list[Candidate], list[int]], list[Evaluation]],
) -> Selection:
    """Run the shortlisted plans to the confirmation size and on, by OCBA.

    Runs go on until the PCS bound reaches ``confirm.pcs`` or every plan has
    ``max_replications``.
    """
    c = spec.confirm
    counts = [c.replications] * len(shortlisted)
    step = max(5, c.replications // 4)
    rounds = 0
    while True:
        evs = evaluate(shortlisted, counts)
        ok = [i for i, ev in enumerate(evs) if feasible(spec, ev)]
        if not ok:
            closest = max(range(len(evs)), key=lambda i: closeness(spec, evs[i]))
            return Selection(None, 0.0, shortlisted, shortlisted[closest], rounds)
        best_pos = min(ok, key=lambda i: objective(spec, evs[i]))
        sub = [evs[i] for i in ok]
        pcs = pcs_bound(spec, sub, ok.index(best_pos)) if len(sub) > 1 else 1.0
        full = all(counts[i] >= c.max_replications for i in ok)
        if pcs >= c.pcs or full:
            return Selection(shortlisted[best_pos], pcs, shortlisted, None, rounds)
        want = ocba_counts(
            spec, sub, ok.index(best_pos), sum(counts[i] for i in ok) + step * len(ok)
        )
        for j, i in enumerate(ok):
            counts[i] = int(min(c.max_replications, max(counts[i], math.ceil(want[j]))))
        if all(counts[i] == evs[i].replications for i in ok):  # nothing more to give
            k = max(ok, key=lambda i: (counts[i] < c.max_replications, -counts[i]))
            counts[k] = min(c.max_replications, counts[k] + step)
        rounds += 1
