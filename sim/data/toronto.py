"""Readers of the City of Toronto's shelter data (Open Government Licence - Toronto).

- ``read_flow``: the Shelter System Flow, monthly by population group, with the
  stock-flow residual of each month as a column (the identity does not close in the
  published data; the residual is shown, not hidden).
- ``read_occupancy`` and ``read_occupancy_by_sector``: daily capacity, occupancy and
  vacancy of the shelters, 2017-2019 (the sector file has three header rows).
- ``read_service_users``: daily users of any overnight service, 2021-2024 (the first
  day's count is blank).

Every reader returns a tidy pandas table with typed columns and rejects a malformed
copy with a DataFileError naming the file, the line or column, and what was expected.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.data import cells
from sim.data.errors import DataFileError

#: Population groups of the flow file, with the slugs used in target names.
GROUPS: dict[str, str] = {
    "All Population": "all",
    "Chronic": "chronic",
    "Refugees": "refugees",
    "Non-refugees": "non_refugees",
    "Families": "families",
    "Youth": "youth",
    "Single Adult": "single_adult",
    "Indigenous": "indigenous",
}
#: Groups reported only from a later month on (the rest are in every month).
GROUPS_FROM: dict[str, str] = {"Indigenous": "2021-01"}
INFLOWS = ("newly_identified", "returned_from_housing", "returned_to_shelter")
OUTFLOWS = ("moved_to_housing", "became_inactive")
STOCK = "actively_homeless"
#: Columns of the flow file (publisher's name -> tidy name), persons unless stated.
FLOW_COUNTS = {
    **{c: c for c in (*INFLOWS, *OUTFLOWS, STOCK)},
    "ageunder16": "age_under16",
    "age16-24": "age_16_24",
    "age25-34": "age_25_34",
    "age35-44": "age_35_44",
    "age45-54": "age_45_54",
    "age55-64": "age_55_64",
    "age65over": "age_65over",
    "gender_male": "gender_male",
    "gender_female": "gender_female",
    "gender_transgender,non-binary_or_two_spirit": "gender_transgender_nonbinary_two_spirit",
}
FLOW_DATE = "date(mmm-yy)"
FLOW_GROUP = "population_group"
FLOW_SHARE = "population_group_percentage"
OCCUPANCY = ("capacity", "occupancy", "vacancy")
SECTORS = ("Co-ed", "Families", "Men", "Women", "Youth")
SERVICE_USERS = (
    "service_users",
    "active_programs",
    "emergency_programs",
    "transitional_programs",
    "active_shelters",
    "active_orgs",
)


def read_flow(path: str | Path) -> pd.DataFrame:
    """The Shelter System Flow as a tidy table, one row per month and group.

    Columns: ``month`` (Timestamp, first day of the month), ``group`` (the publisher's
    label) and ``group_slug``, the counts (Int64, persons): the three inflows, the two
    outflows, ``actively_homeless``, age bands and genders; ``group_share_pct`` (float,
    percent of the whole population); ``net_flow`` (inflows - outflows in the month)
    and ``stock_flow_residual`` (change in actively_homeless since the month before
    minus net_flow; <NA> in a group's first month).
    """
    file = str(path)
    head, body = cells.read_text(path)
    raw = cells.named(head[0], body, [FLOW_DATE, FLOW_GROUP, *FLOW_COUNTS, FLOW_SHARE], file)
    out = pd.DataFrame(index=raw.index)
    out["month"] = cells.months_mmm_yy(raw[FLOW_DATE], file)
    out["group"] = _groups(raw[FLOW_GROUP], file)
    out["group_slug"] = out["group"].map(GROUPS)
    for src, name in FLOW_COUNTS.items():
        out[name] = cells.counts(raw[src], file).rename(name)
    out["group_share_pct"] = cells.percents(raw[FLOW_SHARE], file)
    cells.unique_keys(out, ["month", "group"], file, "month and group")
    cells.contiguous(out["month"], "MS", file, "month")
    _every_group_every_month(out, file)
    return _with_residual(out.sort_values(["month", "group"], kind="stable").reset_index(drop=True))


def _groups(col: pd.Series, file: str) -> pd.Series:
    return cells.known(col, list(GROUPS), file, "population group").astype(str)


def _every_group_every_month(flow: pd.DataFrame, file: str) -> None:
    have = set(zip(flow["month"], flow["group"], strict=True))
    for month in sorted(flow["month"].unique()):
        for group in GROUPS:
            start = GROUPS_FROM.get(group)
            if start is not None and month < pd.Timestamp(start):
                continue
            if (month, group) not in have:
                raise DataFileError(
                    f"month {pd.Timestamp(month):%Y-%m} has no row for group {group!r}",
                    file=file,
                    where=f"column '{FLOW_GROUP}'",
                )


def _with_residual(flow: pd.DataFrame) -> pd.DataFrame:
    flow["net_flow"] = (flow[list(INFLOWS)].sum(axis=1) - flow[list(OUTFLOWS)].sum(axis=1)).astype(
        "Int64"
    )
    change = flow.groupby("group", sort=False)[STOCK].diff()
    flow["stock_flow_residual"] = (change - flow["net_flow"]).astype("Int64")
    return flow


def stock_flow_residual(flow: pd.DataFrame, group: str = "All Population") -> pd.DataFrame:
    """The months' stock-flow identity for one group: change, net flow and residual.

    ``residual = (actively_homeless[m] - actively_homeless[m-1]) - net_flow[m]``; a
    negative residual is people who left without a recorded outflow (deaths, other
    exits). The first month, with no month before, is left out.
    """
    sel = flow[flow["group"] == group]
    out = pd.DataFrame(
        {
            "month": sel["month"],
            "change": sel[STOCK].diff().astype("Int64"),
            "net_flow": sel["net_flow"],
            "residual": sel["stock_flow_residual"],
            "residual_share_of_stock": sel["stock_flow_residual"].astype(float)
            / sel[STOCK].shift(1).astype(float),
        }
    )
    return out.iloc[1:].reset_index(drop=True)


def read_occupancy(path: str | Path) -> pd.DataFrame:
    """Daily shelter capacity, occupancy and vacancy (beds, 4 AM), 2017-2019.

    Columns ``date`` (Timestamp) and ``capacity``, ``occupancy``, ``vacancy`` (Int64;
    vacancy = capacity - occupancy, negative where a shelter was over its capacity).
    """
    file = str(path)
    head, body = cells.read_text(path)
    raw = cells.named(head[0], body, ["Date", *OCCUPANCY], file)
    out = pd.DataFrame({"date": cells.days_iso(raw["Date"], file).rename("date")})
    for c in OCCUPANCY:
        out[c] = cells.counts(raw[c], file, signed=(c == "vacancy"))
    _daily(out, file)
    return out.reset_index(drop=True)


def read_occupancy_by_sector(path: str | Path) -> pd.DataFrame:
    """Daily capacity, occupancy and vacancy by sector, long: one row per day and sector.

    The file has three header rows: the measure (capacity, occupancy, vacancy), the
    sector (Co-ed, Families, Men, Women, Youth) and a row reading ``Date``. Columns:
    ``date``, ``sector``, ``capacity``, ``occupancy``, ``vacancy`` (Int64, beds).
    """
    file = str(path)
    head, body = cells.read_text(path, header_rows=3)
    measures, sectors, label = head
    if not (sectors[:1] == ["sector"] and label[:1] == ["Date"]):
        raise DataFileError(
            "expected three header rows: measures, then 'sector' and the sectors, then 'Date'",
            file=file,
            where="header",
        )
    pairs = list(zip(measures[1:], sectors[1:], strict=True))
    for m, s in pairs:
        if m not in OCCUPANCY or s not in SECTORS:
            raise DataFileError(
                f"unknown column {m!r} / {s!r} (expected a measure of "
                f"{', '.join(OCCUPANCY)} and a sector of {', '.join(SECTORS)})",
                file=file,
                where="header",
            )
    for m in OCCUPANCY:
        for s in SECTORS:
            if pairs.count((m, s)) != 1:
                raise DataFileError(
                    f"expected exactly one column for {m} / {s}", file=file, where="header"
                )
    dates = cells.days_iso(body[0].rename("Date"), file)
    _daily(pd.DataFrame({"date": dates}), file)
    frames = []
    for s in SECTORS:
        part = pd.DataFrame({"date": dates, "sector": s})
        for m in OCCUPANCY:
            col = body[1 + pairs.index((m, s))].rename(f"{m} {s}")
            part[m] = cells.counts(col, file, signed=(m == "vacancy"))
        frames.append(part)
    out = pd.concat(frames).sort_values(["date", "sector"], kind="stable")
    out["sector"] = pd.Categorical(out["sector"], categories=list(SECTORS))
    return out.reset_index(drop=True)


def read_service_users(path: str | Path) -> pd.DataFrame:
    """Daily users of any overnight service and counts of active programmes, 2021-2024.

    Columns ``date`` and the counts (Int64); ``service_users`` is <NA> where the file
    is blank (its first day).
    """
    file = str(path)
    head, body = cells.read_text(path)
    raw = cells.named(head[0], body, ["date", *SERVICE_USERS], file)
    out = pd.DataFrame({"date": cells.days_iso(raw["date"], file)})
    for c in SERVICE_USERS:
        out[c] = cells.counts(raw[c], file, missing_ok=(c == "service_users"))
    _daily(out, file)
    return out.reset_index(drop=True)


def _daily(frame: pd.DataFrame, file: str) -> None:
    cells.unique_keys(frame, ["date"], file, "day")
    cells.contiguous(frame["date"], "D", file, "day")


def monthly_capacity(occupancy: pd.DataFrame) -> pd.DataFrame:
    """Mean nightly capacity and occupancy per calendar month (beds), from a daily table."""
    month = occupancy["date"].dt.to_period("M").dt.to_timestamp()
    cols = [c for c in ("capacity", "occupancy", "service_users") if c in occupancy]
    out = occupancy[cols].astype(float).groupby(month.rename("month")).mean()
    return out.reset_index()
