"""Words for the outcome columns of results tables, and tables of outcomes by scenario.

Summary columns (``summary.csv``, ``runs.csv``) are codes; the report names them in
words. Columns other parts of homesim add later (shelter-use measures, use of places,
waiting lists) are shown under "Other outcomes" with a label made from their name, so
a new column never breaks a report and an absent one is simply left out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.report.numbers import at_place, estimate_place, place_for
from sim.scenario.labels import key_label, word, words

#: Main outcomes of a run, in the order the report lists them (after yearly counts).
MAIN_OUTCOMES = (
    "homeless_end",
    "homeless_days",
    "housed_days",
    "people_ever_homeless",
    "chronic_homeless_end",
    "spell_weeks_median",
    "kept_home_12m",
    "kept_home_24m",
    "evictions",
    "cost_total_discounted",
)

LABELS: dict[str, str] = {
    "homeless_days": "homeless days (all citizens, horizon)",
    "housed_days": "housed days (all citizens, horizon)",
    "homeless_days_discounted": "homeless days (discounted)",
    "housed_days_discounted": "housed days (discounted)",
    "homeless_end": "homeless at the end",
    "housed_end": "housed at the end",
    "population_end": "citizens at the end",
    "entries": "entrants (horizon)",
    "exits": "died or moved away (horizon)",
    "spells_completed": "homeless spells completed",
    "spell_weeks_mean": "mean completed spell (weeks)",
    "spell_weeks_median": "median completed spell (weeks)",
    "housed_from_homelessness": "housed from homelessness",
    "kept_home_12m": "kept home 12 months after housing (share)",
    "kept_home_24m": "kept home 24 months after housing (share)",
    "people_ever_homeless": "people homeless at some time (horizon)",
    "chronic_homeless_end": "long-term homeless at the end",
    "long_spells": "long homeless spells",
    "evictions": "evictions (horizon)",
    "qalys": "QALYs",
    "qalys_discounted": "QALYs (discounted)",
    "cost_total": "total cost",
    "cost_total_discounted": "total cost, discounted",
}

_YEARLY = {
    "pit": "homeless at the national count, {}",
    "shelter_users": "shelter (§110) users in {}",
    "homeless_any": "people homeless at some time in {}",
}
_SKIP = {"replication", "seed", "weeks", "point", "draw"}


def outcome_label(column: str, currency: str = "DKK") -> str:
    """Words for a summary column (a made-up label for columns not listed)."""
    if "." in column:  # a scenario key (the values a batch's sweep point set)
        return key_label(column)
    head, _, tail = column.rpartition("_")
    if head in _YEARLY and tail.isdigit():
        return _YEARLY[head].format(tail)
    if column in LABELS:
        label = LABELS[column]
    elif column.startswith("cost_"):
        label = _cost_label(column)
    elif column.startswith(("support_weeks_", "support_starts_")):
        what = "support_weeks" if column.startswith("support_weeks_") else "support_starts"
        team = words(column.removeprefix(what + "_")).removesuffix(" support")
        label = f"weeks of {team} support" if what == "support_weeks" else f"{team} support started"
    else:
        label = words(column)
    return f"{label} ({currency})" if column.startswith("cost_") else label


def _cost_label(column: str) -> str:
    rest = column.removeprefix("cost_")
    disc = rest.endswith("_discounted")
    rest = rest.removesuffix("_discounted")
    if rest.startswith("item_"):
        what = f"cost of {words(rest.removeprefix('item_'))}"
    else:
        what = f"cost to the {word(rest)}"
    return what + (", discounted" if disc else "")


def yearly_columns(columns: list[str]) -> list[str]:
    """Yearly counts (point-in-time count, shelter users) among ``columns``."""
    return [
        c
        for c in columns
        if c.rpartition("_")[0] in ("pit", "shelter_users") and c.rpartition("_")[2].isdigit()
    ]


def main_columns(summary: pd.DataFrame) -> list[str]:
    """Yearly counts then the main outcomes present (cost only if some was given)."""
    cols = [
        *yearly_columns(list(summary.columns)),
        *[c for c in MAIN_OUTCOMES if c in summary.columns],
    ]
    if "cost_total_discounted" in cols and not summary["cost_total_discounted"].any():
        cols.remove("cost_total_discounted")
    return cols


def other_columns(summary: pd.DataFrame, shown: list[str]) -> list[str]:
    """Numeric columns not in ``shown``: costs by item and payer, support, new measures."""
    return [
        c
        for c in summary.columns
        if c not in shown
        and c not in _SKIP
        and not c.endswith("_n")
        and pd.api.types.is_numeric_dtype(summary[c])
        and summary[c].notna().any()
    ]


def mean_place(x: np.ndarray) -> int:
    """Rounding place of a mean over runs: that of its 95% interval (normal, 1.96 SE)."""
    x = x[np.isfinite(x)]
    if x.size >= 2:
        place = place_for(1.96 * float(x.std(ddof=1)) / math.sqrt(x.size))
        if place is not None:
            return place
    return estimate_place(None, None, float(x.mean()) if x.size else 0.0)


def means_by_scenario(
    runs: pd.DataFrame, columns: list[str], names: dict[str, str], currency: str
) -> pd.DataFrame:
    """Return the mean of each column by scenario (columns titled by ``names``).

    Each is rounded at the place its 95% interval over runs supports.
    """
    rows = []
    for c in columns:
        row = {"outcome": outcome_label(c, currency)}
        for name, title in names.items():
            x = runs.loc[runs["scenario"] == name, c].to_numpy(float)
            x = x[np.isfinite(x)]
            row[title] = at_place(x.mean(), mean_place(x)) if x.size else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=["outcome", *names.values()])
