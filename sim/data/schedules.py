"""Time-varying inputs of the Toronto setting, built from the City's files.

- shelter capacity by quarter: the mean nightly capacity of the shelter system
  (2018-2019, daily occupancy file); for 2021-2024, the mean nightly number of users
  of any overnight service divided by the mean occupancy of 2017-2019, since the
  later file gives users, not beds (an assumption; 2020 is not covered by either file,
  so the last 2019 quarter's capacity is held through 2020);
- the weekly inflow of people new to the shelter system by quarter: the mean monthly
  ``newly_identified`` of the whole population x 12 / 52. The refugee arrivals and the
  COVID-19 drop are in this series (refugees are 674 of the 1,204 a month in 2018,
  116 of 691 in 2021).

``toronto_schedule`` returns the values at the scenario's start and the dated changes
after it, each with its source, ready to paste into ``scenarios/toronto_baseline.yaml``
(a test checks that the shipped scenario holds exactly these).
"""

from __future__ import annotations

import pandas as pd

from sim.data.toronto import monthly_capacity

WEEKS_PER_MONTH = 52 / 12
CAPACITY_KEY = "places.shelter.capacity"
INFLOW_KEY = "entries.per_week"
OCCUPANCY_FILE = "City of Toronto, daily shelter occupancy 2017-2019"
USERS_FILE = "City of Toronto, daily overnight service users 2021-2024"
FLOW_FILE = "City of Toronto, Shelter System Flow"


def mean_occupancy_share(occupancy: pd.DataFrame) -> float:
    """Occupied beds over capacity, all nights of the daily file (0.944 for 2017-2019)."""
    return float(occupancy["occupancy"].sum() / occupancy["capacity"].sum())


def quarterly_capacity(
    occupancy: pd.DataFrame, users: pd.DataFrame, start: str, end: str
) -> list[tuple[str, int, str]]:
    """(first month of quarter, beds, source) from ``start`` to ``end`` (YYYY-MM)."""
    share = mean_occupancy_share(occupancy)
    beds = monthly_capacity(occupancy)
    used = monthly_capacity(users.dropna(subset=["service_users"]))
    out = []
    for q in pd.period_range(start, end, freq="Q"):
        months = beds[beds["month"].dt.to_period("Q") == q]
        if len(months):
            value = round(float(months["capacity"].mean()))
            src = f"{OCCUPANCY_FILE}: mean nightly capacity, {q}"
        else:
            months = used[used["month"].dt.to_period("Q") == q]
            if not len(months):
                continue
            value = round(float(months["service_users"].mean()) / share)
            src = (
                f"{USERS_FILE}: mean nightly users in {q} / {share:.3f}, the mean "
                "occupancy of 2017-2019 (assumption: the later system as full as the earlier)"
            )
        out.append((f"{q.start_time:%Y-%m}", int(value), src))
    return out


def quarterly_inflow(flow: pd.DataFrame, start: str, end: str) -> list[tuple[str, float, str]]:
    """(first month of quarter, entrants a week, source) from the newly identified."""
    a = flow[flow["group"] == "All Population"].set_index("month")["newly_identified"]
    refugees = flow[flow["group"] == "Refugees"].set_index("month")["newly_identified"]
    out = []
    for q in pd.period_range(start, end, freq="Q"):
        sel = a[a.index.to_period("Q") == q].astype(float)
        if not len(sel):
            continue
        ref = float(refugees.reindex(sel.index).astype(float).mean())
        per_week = round(float(sel.mean()) / WEEKS_PER_MONTH, 1)
        out.append(
            (
                f"{q.start_time:%Y-%m}",
                per_week,
                f"{FLOW_FILE}: newly identified in {q}, {sel.mean():.0f} a month "
                f"(refugees {ref:.0f}) x 12 / 52{_event(q.start_time)}",
            )
        )
    return out


def _event(first: pd.Timestamp) -> str:
    """The event a quarter's inflow carries, as the data README describes it."""
    if pd.Timestamp("2020-04-01") <= first < pd.Timestamp("2022-01-01"):
        return "; COVID-19 period: fewer new users, refugee arrivals low with the border closed"
    if first >= pd.Timestamp("2022-07-01"):
        return "; refugee arrivals: refugees 51% of the stock in January 2024"
    return ""


def toronto_schedule(
    flow: pd.DataFrame,
    occupancy: pd.DataFrame,
    users: pd.DataFrame,
    start: str = "2018-01",
    end: str = "2024-06",
) -> dict:
    """Start values and dated changes of shelter capacity and inflow, with sources."""
    items: dict[str, dict] = {}
    for date, value, src in quarterly_capacity(occupancy, users, start, end):
        items.setdefault(date, {})[CAPACITY_KEY] = {"value": value, "source": src}
    for date, value, src in quarterly_inflow(flow, start, end):
        items.setdefault(date, {})[INFLOW_KEY] = {"value": value, "source": src}
    dates = sorted(items)
    initial = items.pop(start) if start in items else {}
    return {
        "initial": initial,
        "changes": [{"date": d, "set": items[d]} for d in dates if d != start],
    }
