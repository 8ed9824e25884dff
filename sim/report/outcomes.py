"""Words for the outcome columns of results tables, and tables of outcomes by scenario.

Summary columns (``summary.csv``, ``runs.csv``) are codes; the report names them in
words. Columns other parts of homesim add later (shelter-use measures, use of places,
waiting lists) are shown under "Other outcomes" with a label made from their name, so
a new column never breaks a report and an absent one is simply left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.report.numbers import at_place, estimate_place, place_for
from sim.scenario.labels import POLICIES, SITUATIONS, key_label, word, words

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
    "pit": "homeless at the point-in-time count, {}",
    "shelter_users": "shelter (§110) users in {}",
    "homeless_any": "people homeless at some time in {}",
}
_SKIP = {"replication", "seed", "weeks", "point", "draw"}

#: Measures of a year or month (the count, the data sets' own terms, forecast series),
#: written without their period; a column adds it: ``pit_rough_2015``.
MEASURES: dict[str, str] = {
    "homeless": "all homeless",
    "pit": "homeless at the point-in-time count",
    "shelter_users": "shelter (§110) users",
    "homeless_any": "people homeless at some time",
    "actively_homeless": "actively homeless in the shelter system",
    "newly_identified": "newly identified in the shelter system",
    "returned_from_housing": "returned to the shelter system from housing",
    "returned_to_shelter": "returned to the shelter system",
    "moved_to_housing": "moved to housing from the shelter system",
    "became_inactive": "became inactive in the shelter system",
    "pit_sheltered": "sheltered at the point-in-time count",
    "pit_unsheltered": "unsheltered at the point-in-time count",
    "us_pit_sheltered": "sheltered on the count night",
    "us_pit_unsheltered": "unsheltered on the count night",
    "shelter_stays": "shelter (§110) stays",
    "shelter_stays_per_user": "shelter stays per user",
    "shelter_nights_per_user": "shelter nights per user",
    "shelter_nights_per_stay_mean": "nights per shelter stay (mean)",
    "shelter_nights_per_stay_median": "nights per shelter stay (median)",
    "shelter_one_night_stays_share": "share of shelter stays of one night",
    "shelter_stays_up_to_7_nights_share": "share of shelter stays of 7 nights or fewer",
    "shelter_stays_over_120_nights_share": "share of shelter stays of more than 120 nights",
    "shelter_all_year_share": "share of shelter users in shelter all year",
    "shelter_nights_long_homeless_share": (
        "share of shelter nights of people homeless over two years"
    ),
    "shelter_no_sign_12m_share": (
        "share of shelter leavers with no sign of homelessness in 12 months"
    ),
}
_PERIOD = re.compile(r"^(?P<head>.+)_(?P<period>\d{4}(?:-\d{2})?)$")


def measure_label(measure: str, teams: Mapping[str, str] | None = None) -> str:
    """Words for a measure without its period.

    ``pit`` -> "homeless at the point-in-time count", ``pit_rough`` -> "rough sleeping at
    the point-in-time count", ``actively_homeless_chronic`` -> "... (chronic)"; a ratio
    ``a/b`` -> "a as a share of b".
    """
    if "/" in measure:
        top, _, bottom = measure.partition("/")
        return f"{measure_label(top, teams)} as a share of {measure_label(bottom, teams)}"
    period = _PERIOD.match(measure)
    if period:
        return f"{measure_label(period['head'], teams)}, {period['period']}"
    if measure in MEASURES:
        return MEASURES[measure]
    if measure.endswith("_chronic") and measure.removesuffix("_chronic") in MEASURES:
        return f"{MEASURES[measure.removesuffix('_chronic')]} (chronic)"
    if measure.startswith("pit_") and measure.removeprefix("pit_") in SITUATIONS:
        return f"{SITUATIONS[measure.removeprefix('pit_')]} at the point-in-time count"
    return LABELS.get(measure) or words(measure, teams)


def outcome_label(
    column: str, currency: str = "DKK", teams: Mapping[str, str] | None = None
) -> str:
    """Words for a summary column (a made-up label for columns not listed).

    ``teams`` (name -> label, :func:`sim.scenario.labels.team_labels`) names the support
    teams of ``support_weeks_<team>`` and ``cost_item_support_<team>``.
    """
    if "." in column:  # a scenario key (the values a batch's sweep point set)
        return key_label(column, teams)
    head, _, tail = column.rpartition("_")
    if head in _YEARLY and tail.isdigit():
        return _YEARLY[head].format(tail)
    period = _PERIOD.match(column)
    if column in LABELS:
        label = LABELS[column]
    elif period and not column.startswith("cost_"):
        return measure_label(column)
    elif column.startswith("cost_"):
        label = _cost_label(column, teams)
    elif column.startswith(("support_weeks_", "support_starts_")):
        what = "support_weeks" if column.startswith("support_weeks_") else "support_starts"
        label = _support_label(column.removeprefix(what + "_"), what, teams)
    else:
        label = measure_label(column, teams)
    return f"{label} ({currency})" if column.startswith("cost_") else label


def _support_label(team: str, what: str, teams: Mapping[str, str] | None) -> str:
    """Weeks of a team's support, or its support started: "weeks of CTI support"."""
    if teams and team in teams and teams[team] != word(team):  # a label of its own
        by = teams[team]
        return (
            f"weeks of support by {by}" if what == "support_weeks" else f"support started by {by}"
        )
    name = words(team).removesuffix(" support")
    return f"weeks of {name} support" if what == "support_weeks" else f"{name} support started"


def _cost_label(column: str, teams: Mapping[str, str] | None = None) -> str:
    rest = column.removeprefix("cost_")
    disc = rest.endswith("_discounted")
    rest = rest.removesuffix("_discounted")
    if rest.startswith("item_"):
        what = f"cost of {item_label(rest.removeprefix('item_'), teams)}"
    else:
        what = f"cost to the {word(rest)}"
    return what + (", discounted" if disc else "")


def item_label(item: str, teams: Mapping[str, str] | None = None) -> str:
    """Words for a cost line (``support_youth_icm`` -> "support: ICM for young people")."""
    for what in ("support", "staff"):
        team = item.removeprefix(f"{what}_")
        if item.startswith(f"{what}_") and (team in (teams or {}) or team in POLICIES):
            return f"{what}: {words(team, teams)}"
    return words(item, teams)


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
    runs: pd.DataFrame,
    columns: list[str],
    names: dict[str, str],
    currency: str,
    teams: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return the mean of each column by scenario (columns titled by ``names``).

    Each is rounded at the place its 95% interval over runs supports; ``teams`` names
    the support teams (:func:`outcome_label`).
    """
    rows = []
    for c in columns:
        row = {"outcome": outcome_label(c, currency, teams)}
        for name, title in names.items():
            x = runs.loc[runs["scenario"] == name, c].to_numpy(float)
            x = x[np.isfinite(x)]
            row[title] = at_place(x.mean(), mean_place(x)) if x.size else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=["outcome", *names.values()])
