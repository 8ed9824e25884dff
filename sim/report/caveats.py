"""What the numbers of a report do and do not say, by kind of results folder."""

from __future__ import annotations

import pandas as pd

from sim.report.blocks import Block, Heading, Notes

_COMMON = (
    "The flows between situations (weekly probabilities, entries and exits) are set by "
    "hand from published counts and stated assumptions, or fitted to a few counts by "
    "calibration; they are not estimated from individual records.",
    "The effects of support (Housing First, CTI, ICM, ACT, floating support) are "
    "multipliers on weekly probabilities, set so that the model lands near outcomes "
    "published in evaluations (such as the share who keep their home); they are not "
    "causal estimates for this municipality.",
    "The national count's definition of homelessness is used: the count is taken in one "
    "week of the year; 'at the count' figures are that week's stock.",
    "Unit costs, where given, are prices from the scenario files with their sources; "
    "costs are discounted as the scenario says.",
)

_BY_KIND = {
    "psa": "The spread over draws covers the parameters with a distribution (and chance, "
    "with fresh noise); parameters without one are held at their values, so the "
    "intervals are narrower than the true uncertainty.",
    "calibration": "Fitted values are one set that reproduces the targets; with few "
    "targets several parameters are weakly identified, so treat them as a "
    "consistent set, not as estimates.",
    "sensitivity": "Only parameters given a range or a distribution are varied; the "
    "others are held at their values. One-way results ignore interactions "
    "between parameters; Sobol indices cover them.",
    "compare": "The intervals of the comparison are those of the mean over replications, "
    "from chance in the model (Monte Carlo) only. They do not include "
    "uncertainty in the input figures; a probabilistic sensitivity analysis "
    "(homesim psa) does.",
}

_RUNS = (
    "Intervals are Monte Carlo intervals: the spread of single replications due to "
    "chance in the model. They do not include uncertainty in the input figures; a "
    "probabilistic sensitivity analysis (homesim psa) does."
)


def caveat_blocks(kind: str, summary: pd.DataFrame | None = None) -> list[Block]:
    """Return the caveats of a report of ``kind``.

    ``summary`` (run and batch) adds one on few replications.
    """
    items = [*_COMMON, _BY_KIND.get(kind, _RUNS)]
    if kind not in _BY_KIND and summary is not None and len(summary):
        runs = int(summary.groupby("group")["replication"].nunique().min())
        if runs < 40:
            items.append(
                f"With {runs} replication(s) per scenario or point the 2.5th and "
                "97.5th percentiles lie between the most extreme runs: the "
                "interval ends are rough. Use more replications (40 or more) for "
                "final figures."
            )
    return [Heading("Caveats"), Notes(tuple(items), bullets=True)]
