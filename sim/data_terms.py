"""A run's outputs in the terms of real data sets, so that a fit compares like with like.

- Toronto's Shelter System Flow (``shelter_system_flow.csv``): monthly inflows, outflows
  and the actively homeless stock, with the file's own column names, for all users and
  for the chronic group (:func:`toronto_flows`, :func:`monthly_table`).
- HUD's Point-in-Time count: sheltered and unsheltered people on one January night
  (:func:`us_pit_counts`), with the measure names of HUD's PIT file.

Definitions, and how the start and the end of a run are handled, are in
``docs/outputs.md``. Each flow is counted once per event; the stock and the flows
obey the stock-flow identity exactly (Toronto's published series does not).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from sim.history import FORMER, RECENT, History, Runs, by_citizen, situation_mask
from sim.shelter_use import CHRONIC_RULES, Situations
from sim.situations import HOUSED, Situation

#: Toronto's overnight services (shelters, respites, hotels): §110 shelters and night
#: shelters in the model.
TORONTO_SYSTEM = frozenset({Situation.SHELTER, Situation.NIGHT_SHELTER})
#: "No use for three months": 13 weeks.
INACTIVE_NIGHTS = 91
#: Flow columns as ``shelter_system_flow.csv`` names them (stock last).
TORONTO_COLUMNS = (
    "returned_from_housing",
    "returned_to_shelter",
    "newly_identified",
    "moved_to_housing",
    "became_inactive",
    "actively_homeless",
)
INFLOWS = TORONTO_COLUMNS[:3]
OUTFLOWS = TORONTO_COLUMNS[3:5]
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: HUD's sheltered homeless: emergency shelter (shelters, night shelters) and
#: transitional housing (starter homes); safe havens have no model counterpart.
US_SHELTERED = frozenset({Situation.SHELTER, Situation.NIGHT_SHELTER, Situation.STARTER})
#: HUD's unsheltered homeless: rough sleepers. People with family or friends are not
#: homeless in HUD's count.
US_UNSHELTERED = frozenset({Situation.ROUGH})
#: Default night of the count: 25 January (HUD counts on one of the last ten nights).
US_PIT_DAY = 25


class SystemUse:
    """Use of a shelter system, run by run, with Toronto's events on each run."""

    def __init__(
        self,
        history: History,
        system: Situations = TORONTO_SYSTEM,
        housed: Situations = HOUSED,
        inactive_nights: int = INACTIVE_NIGHTS,
    ):
        self.history = history
        before = history.fields.get("before")
        self.runs: Runs = with_recent_use(history.runs(system), before, inactive_nights)
        self.gap = inactive_nights
        u = self.runs
        nxt = u.next_situation
        self.to_housing = ~u.censored & (nxt >= 0) & situation_mask(housed)[np.maximum(nxt, 0)]
        prev_housing = np.concatenate([[False], self.to_housing[:-1]]) & ~u.first_of_citizen
        later = ~u.first_of_citizen
        # a run that holds night 0 (or begins on it) was there when the record began;
        # a former user's first run is a return after an unrecorded time away
        first = u.first_of_citizen & (u.start > 0)
        known = before[u.citizen] == FORMER if before is not None else np.zeros(u.size, bool)
        self.newly = first & ~known
        self.from_housing = later & prev_housing
        self.to_shelter = (later & ~prev_housing & (u.start - u.previous_end >= self.gap)) | (
            first & known
        )
        quiet = (u.next_start < 0) | (u.next_start - u.end >= self.gap)
        self.inactive = ~u.censored & ~self.to_housing & quiet

    def active_span(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (lo, hi): each run makes its citizen actively homeless at ``lo <= t < hi``.

        ``t`` counts the nights before it, so a run starting on night ``s`` counts from
        ``s + 1``; one there when the record began, from night 0.
        """
        u = self.runs
        inactive_at = u.end + self.gap
        nxt = np.where(u.next_start >= 0, u.next_start + 1, np.iinfo(np.int64).max)
        hi = np.where(self.to_housing, u.end, np.minimum(inactive_at, nxt))
        hi = np.where(u.censored, self.history.horizon + 1, hi)
        return np.where(u.start > 0, u.start + 1, np.minimum(u.start + 1, 0)), hi

    def events(self) -> dict[str, np.ndarray]:
        """Return the night of each event, by Toronto column.

        An inflow is on its first night, an outflow on the last night of use or of the
        three months without use.
        """
        u = self.runs
        horizon = self.history.horizon
        gone = u.end + self.gap - 1
        return {
            "returned_from_housing": u.start[self.from_housing],
            "returned_to_shelter": u.start[self.to_shelter],
            "newly_identified": u.start[self.newly],
            "moved_to_housing": u.end[self.to_housing] - 1,
            "became_inactive": gone[self.inactive & (gone < horizon)],
        }


def with_recent_use(runs: Runs, before: np.ndarray | None, gap: int = INACTIVE_NIGHTS) -> Runs:
    """The runs, with a run of no nights before night 0 for each recent user.

    A recent user (``sim.history.RECENT``) used the system in the ``gap`` nights before
    the record began; the empty run makes them actively homeless from night 0 and their
    next use within ``gap`` nights of it a continuation, as the City counts them. The
    nights of their last use are unknown and spread evenly over the ``gap`` nights
    before night 0, so those who do not come back become inactive over the first
    ``gap`` nights, not all on one night.
    """
    if before is None:
        return runs
    recent = np.flatnonzero(before == RECENT)
    recent = recent[~np.isin(recent, runs.citizen[runs.start <= 0])]
    if recent.size == 0:
        return runs
    last = -((np.arange(recent.size, dtype=np.int64) * gap) // recent.size)
    nowhere = np.full(recent.size, -1, np.int64)  # no next situation, not censored
    cols = [
        np.concatenate([a, b])
        for a, b in zip(
            (runs.citizen, runs.start, runs.end, runs.next_situation, runs.censored),
            (recent, last, last, nowhere, np.zeros(recent.size, dtype=bool)),
            strict=True,
        )
    ]
    order = np.lexsort((cols[2], cols[1], cols[0]))  # by citizen, start, then end
    return Runs(*(c[order] for c in cols))


def _per_month(nights: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """How many of ``nights`` fall in each month ``[bounds[k], bounds[k+1])``."""
    k = np.searchsorted(bounds, nights, side="right") - 1
    k = k[(k >= 0) & (k < bounds.size - 1)]
    return np.bincount(k, minlength=bounds.size - 1)


def _month_frame(history: History) -> pd.DataFrame:
    months = history.calendar.months(history.horizon)
    label = [
        f"{MONTH_ABBR[m - 1]}-{y % 100:02d}"
        for y, m in zip(months["year"], months["month"], strict=True)
    ]
    months.insert(0, "date(mmm-yy)", label)
    return months


def toronto_flows(
    history: History,
    system: Situations = TORONTO_SYSTEM,
    housed: Situations = HOUSED,
    inactive_nights: int = INACTIVE_NIGHTS,
) -> pd.DataFrame:
    """Toronto's monthly flows and stock, one row per complete month.

    Inflows and outflows count events in the month; ``actively_homeless`` counts people
    at the end of the month (after its last night).
    """
    use = SystemUse(history, system, housed, inactive_nights)
    bounds = history.calendar.month_bounds(history.horizon)
    out = _month_frame(history)
    out["population_group"] = "All Population"
    for name, nights in use.events().items():
        out[name] = _per_month(nights, bounds)
    lo, hi = use.active_span()
    ends = bounds[1:]
    out["actively_homeless"] = np.searchsorted(np.sort(lo), ends, side="right") - np.searchsorted(
        np.sort(hi), ends, side="right"
    )
    return out


def toronto_chronic(
    history: History,
    system: Situations = TORONTO_SYSTEM,
    housed: Situations = HOUSED,
    inactive_nights: int = INACTIVE_NIGHTS,
) -> pd.DataFrame:
    """Return the chronic group each month.

    Actively homeless people at the end of the month with 180 nights or more in the
    system over the past 365, or 546 or more over the past 1,095 (Toronto follows the
    federal definition). Flows are not given (NaN).
    """
    use = SystemUse(history, system, housed, inactive_nights)
    bounds = history.calendar.month_bounds(history.horizon)
    ends = bounds[1:]
    lo, hi = use.active_span()
    counts = np.zeros(ends.size, dtype=np.int64)
    for k in range(0, ends.size, 12):  # a year of months at a time bounds the memory
        e = ends[k : k + 12]
        active = (lo[:, None] <= e[None, :]) & (hi[:, None] > e[None, :])
        counts[k : k + 12] = (active & _chronic_by_nights(use.runs, e, CHRONIC_RULES)).sum(0)
    out = _month_frame(history)
    out["population_group"] = "Chronic"
    for name in TORONTO_COLUMNS[:-1]:
        out[name] = np.nan
    out["actively_homeless"] = counts
    return out


def _chronic_by_nights(
    runs: Runs, ends: np.ndarray, rules: tuple[tuple[int, int], ...]
) -> np.ndarray:
    """Return (runs, months): whether the run's citizen reaches a chronic threshold.

    The threshold is reached over the nights before each month end.
    """
    if runs.size == 0:
        return np.zeros((0, ends.size), dtype=bool)
    cits = np.unique(runs.citizen)
    owner = np.searchsorted(cits, runs.citizen)
    meets = np.zeros((runs.size, ends.size), dtype=bool)
    for window, threshold in rules:
        per = by_citizen(runs.citizen, runs.nights_within(ends - window, ends))[1]
        meets |= per[owner] >= threshold
    return meets


def monthly_table(
    history: History, system: Situations = TORONTO_SYSTEM, chronic: bool = True
) -> pd.DataFrame:
    """Return the tidy monthly table a run writes (``monthly.parquet``).

    Toronto's columns for ``All Population`` and (with ``chronic``) ``Chronic``, one row
    per month and group.
    """
    parts = [toronto_flows(history, system)]
    if chronic:
        parts.append(toronto_chronic(history, system))
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["year", "month"], kind="stable", ignore_index=True)


def us_pit_counts(
    history: History,
    day: int = US_PIT_DAY,
    sheltered: Situations = US_SHELTERED,
    unsheltered: Situations = US_UNSHELTERED,
) -> pd.DataFrame:
    """Return sheltered and unsheltered people on the night of ``day`` January each year.

    For each complete year, with HUD's measure names.
    """
    shel, unsh = us_pit_arrays(history, day, sheltered, unsheltered)
    return pd.DataFrame(
        {
            "Year": history.calendar.years(history.horizon),
            "Sheltered.Total.Homeless": shel,
            "Unsheltered.Homeless": unsh,
            "Overall.Homeless": shel + unsh,
        }
    )


def us_pit_arrays(
    history: History,
    day: int = US_PIT_DAY,
    sheltered: Situations = US_SHELTERED,
    unsheltered: Situations = US_UNSHELTERED,
) -> tuple[np.ndarray, np.ndarray]:
    """(sheltered, unsheltered) counts of :func:`us_pit_counts`, by year."""
    if not 22 <= day <= 31:
        raise ValueError(
            f"the count night must be one of the last ten nights of January (22-31), got {day}"
        )
    cal = history.calendar
    nights = cal.year_bounds(history.horizon)[:-1] + cal.night(cal.start_year, 1, day)
    return (
        history.runs(sheltered).containing(nights),
        history.runs(unsheltered).containing(nights),
    )


def us_pit_summary(history: History, day: int = US_PIT_DAY) -> dict[str, float]:
    """``us_pit_sheltered_<year>`` and ``us_pit_unsheltered_<year>`` for the summary."""
    shel, unsh = us_pit_arrays(history, day)
    out: dict[str, float] = {}
    for year, s, u in zip(
        history.calendar.years(history.horizon).tolist(), shel.tolist(), unsh.tolist(), strict=True
    ):
        out[f"us_pit_sheltered_{year}"] = float(s)
        out[f"us_pit_unsheltered_{year}"] = float(u)
    return out


#: Target slug of each group of :func:`monthly_table` (the whole population has none).
GROUP_SLUGS = {"All Population": "", "Chronic": "_chronic"}

#: A monthly column in the data's terms: ``<measure><group slug>_<YYYY-MM>``, e.g.
#: ``moved_to_housing_2023-01`` or ``actively_homeless_chronic_2019-06``.
MONTHLY_COLUMN = re.compile(
    rf"^(?P<measure>{'|'.join(TORONTO_COLUMNS)})"
    rf"(?P<group>{'|'.join(re.escape(s) for s in GROUP_SLUGS.values() if s)})?"
    r"_(?P<year>\d{4})-(?P<month>\d{2})$"
)


def is_whole_population_month(column: str) -> bool:
    """Whether ``column`` is a month of a whole-population series (no group slug)."""
    m = MONTHLY_COLUMN.match(column)
    return m is not None and m["group"] is None


#: Summary columns that count persons, stays, nights or money, and so grow with
#: ``setting.scale``: the yearly counts (``pit_<year>``, ``pit_<situation>_<year>``, HUD's
#: ``pit_sheltered``/``pit_unsheltered`` and ``us_pit_*``, shelter users and stays, ...)
#: and the run totals. Shares, means and rates do not, and are not listed.
COUNT_COLUMNS = re.compile(
    r"^(?:pit(?:_[a-z_]+)?|us_pit_(?:sheltered|unsheltered)|shelter_users|shelter_stays"
    r"|shelter_first_time_users|night_shelter_users(?:_per_night)?|chronic_homeless"
    r"|homeless_any)_\d{4}$"
    r"|^(?:entries|exits|evictions|homeless_end|housed_end|population_end"
    r"|people_ever_homeless|long_spells|spells_completed|housed_from_homelessness"
    r"|kept_home_(?:12|24)m_n|(?:homeless|housed)_days(?:_discounted)?"
    r"|(?:support_starts|support_weeks|turned_away|queue_mean|cost)_[a-z_]+)$"
)


def full_size_factor(column: str, scale: float) -> float:
    """What a run's ``column`` is multiplied by to give it per full size (1 / ``scale``).

    A scenario run at ``setting.scale`` 0.1 has a tenth of the people, beds and
    entrants, so its counts are a tenth of the place's: targets, which are the place's
    published figures, are compared with counts divided by the scale. Columns that are
    no counts (shares, means), and the monthly columns in the data's terms (divided
    already by :func:`monthly_columns`), are left as they are (factor 1).
    """
    return 1.0 / scale if COUNT_COLUMNS.match(column) else 1.0


def monthly_columns(table: pd.DataFrame, scale: float = 1.0) -> dict[str, float]:
    """A run's monthly table as the outcome columns monthly targets name.

    ``<measure>_<YYYY-MM>`` for the whole population (``actively_homeless_2019-06``)
    and ``<measure>_chronic_<YYYY-MM>`` for the chronic group, as
    ``homesim data targets toronto`` names them; cells the table leaves empty (the
    chronic group's flows) give no column. Counts are persons divided by ``scale``
    (``setting.scale``), so that a scaled-down run is compared with the full figures.
    """
    out: dict[str, float] = {}
    slugs = table["population_group"].map(GROUP_SLUGS)
    periods = [f"{int(y)}-{int(m):02d}" for y, m in zip(table["year"], table["month"], strict=True)]
    for m in (c for c in TORONTO_COLUMNS if c in table):
        values = table[m].to_numpy(float)
        for slug, period, v in zip(slugs, periods, values, strict=True):
            if isinstance(slug, str) and not np.isnan(v):
                out[f"{m}{slug}_{period}"] = float(v) / scale
    return out
