"""Calibration targets and bed schedules made from the real data, in the project's formats.

Toronto's monthly series become targets with a ``month`` key (``measure`` plus
``month: YYYY-MM``; the model column is ``<measure>_<YYYY-MM>``). A group other than the
whole population adds its slug to the measure: ``actively_homeless_chronic``. A CoC's
yearly PIT counts become ``pit``, ``pit_sheltered`` and ``pit_unsheltered`` targets by
year, and its HIC beds become dated ``changes`` of the matching places (see
docs/data.md for the mapping of HUD's bed types onto the model).

The uncertainty given to each figure is an assumption, stated in the file: the
administrative counts are near-exact, but a model of this kind cannot be expected to
match them more closely than a few per cent, and small flows no closer than their
Poisson noise. So ``sd = max(cv * observed, sqrt(observed), 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sim.data import hud, toronto
from sim.data.errors import DataFileError

#: Toronto measures turned into targets (the stock and the five flows).
TORONTO_MEASURES = (toronto.STOCK, *toronto.INFLOWS, *toronto.OUTFLOWS)
#: Assumed coefficients of variation (see the module docstring).
CV_STOCK = 0.05
CV_FLOW = 0.10
#: PIT: sheltered counts come from shelter records, unsheltered ones from a street
#: count, which is much less certain (assumptions).
CV_PIT = {"overall": 0.08, "sheltered": 0.05, "unsheltered": 0.15}
PIT_TARGETS = {"overall": "pit", "sheltered": "pit_sheltered", "unsheltered": "pit_unsheltered"}
TORONTO_SOURCE = "City of Toronto, Shelter System Flow (Open Government Licence - Toronto)"
HUD_PIT_SOURCE = "HUD Point-in-Time count by CoC"
HUD_HIC_SOURCE = "HUD Housing Inventory Count by CoC"


def sd_of(observed: float, cv: float) -> float:
    """The assumed sd of a count: the larger of cv x observed, its Poisson sd, and 1."""
    return round(max(cv * observed, math.sqrt(max(observed, 0.0)), 1.0), 1)


def parse_month(text: str, flag: str) -> pd.Timestamp:
    """A ``YYYY-MM`` option as the first day of the month; DataFileError naming the flag."""
    try:
        stamp = pd.Timestamp(pd.Period(str(text), freq="M").start_time)
    except ValueError:
        stamp = None
    if stamp is None or len(str(text)) != 7 or str(text)[4] != "-":
        raise DataFileError(f"expected a month YYYY-MM, got {text!r}", where=flag)
    return stamp


def group_labels(names: Sequence[str]) -> list[str]:
    """Publisher's group labels from labels or slugs (``chronic``, ``Single Adult``)."""
    by_slug = {v: k for k, v in toronto.GROUPS.items()}
    out = []
    for n in names:
        label = n if n in toronto.GROUPS else by_slug.get(n.lower())
        if label is None:
            known = ", ".join(toronto.GROUPS.values())
            raise DataFileError(f"unknown group {n!r} (known: {known})", where="--group")
        out.append(label)
    return out


def toronto_targets(
    flow: pd.DataFrame,
    groups: Sequence[str] = ("All Population",),
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    file: str | None = None,
    every: int = 1,
    sd_scale: bool = False,
) -> dict:
    """A targets mapping of Toronto's stock and flows, by group and month.

    ``every`` > 1 makes each target a span of that many months from ``start`` (the
    last span may be shorter): the flows' sum and the stock's mean over the span,
    with the sd rule applied to that figure. ``sd_scale`` writes ``sd_scale: true``:
    each series' sds are then known only up to a factor the fit learns
    (:class:`sim.calibration.SdScale`).
    """
    if not isinstance(every, int) or every < 1:
        raise DataFileError(
            f"expected a whole number of months >= 1, got {every!r}", where="--every"
        )
    sel = flow[flow["group"].isin(list(groups))]
    first, last = flow["month"].min(), flow["month"].max()
    start = first if start is None else start
    end = last if end is None else end
    if start > end or end < first or start > last:
        raise DataFileError(
            f"the months asked for ({start:%Y-%m} to {end:%Y-%m}) are not "
            f"inside the file's {first:%Y-%m} to {last:%Y-%m}",
            file=file,
            where="--from/--to",
        )
    sel = sel[(sel["month"] >= start) & (sel["month"] <= end)]
    items = _monthly_items(sel) if every == 1 else _span_items(sel, every)
    out = {
        "name": "toronto",
        "description": (
            f"Toronto's shelter system flow, {start:%Y-%m} to {end:%Y-%m}, groups: "
            f"{', '.join(groups)}"
            + (
                f", in spans of {every} months (flows summed, the stock averaged)"
                if every > 1
                else ""
            )
            + f". sd = max({CV_STOCK} x stock or {CV_FLOW} x "
            "flow, sqrt(count), 1): assumption"
            + ("; each series' sds known only up to a factor the fit learns." if sd_scale else ".")
        ),
        "targets": items,
        "free": {},
    }
    if sd_scale:
        out["sd_scale"] = True
    return out


def _measure(m: str, slug: str) -> str:
    return m if slug == "all" else f"{m}_{slug}"


def _monthly_items(sel: pd.DataFrame) -> list[dict]:
    """One target per group, month and measure."""
    items = []
    for _, row in sel.sort_values(["group", "month"], kind="stable").iterrows():
        slug = row["group_slug"]
        for m in TORONTO_MEASURES:
            obs = int(row[m])
            cv = CV_STOCK if m == toronto.STOCK else CV_FLOW
            items.append(
                {
                    "measure": _measure(m, slug),
                    "month": f"{row['month']:%Y-%m}",
                    "observed": obs,
                    "sd": sd_of(obs, cv),
                    "source": f"{TORONTO_SOURCE}, {row['group']}, {row['month']:%b %Y}",
                }
            )
    return items


def _span_items(sel: pd.DataFrame, every: int) -> list[dict]:
    """One target per group, span of ``every`` months and measure."""
    items = []
    for group, rows in sel.sort_values(["group", "month"], kind="stable").groupby(
        "group", sort=False
    ):
        slug = rows["group_slug"].iloc[0]
        for k in range(0, len(rows), every):
            span = rows.iloc[k : k + every]
            first, last = span["month"].iloc[0], span["month"].iloc[-1]
            for m in TORONTO_MEASURES:
                stock = m == toronto.STOCK
                obs = round(float(span[m].mean()), 1) if stock else int(span[m].sum())
                items.append(
                    {
                        "measure": _measure(m, slug),
                        "month": f"{first:%Y-%m}",
                        "until": f"{last:%Y-%m}",
                        "aggregate": "mean" if stock else "sum",
                        "observed": obs,
                        "sd": sd_of(obs, CV_STOCK if stock else CV_FLOW),
                        "source": f"{TORONTO_SOURCE}, {group}, {first:%b %Y} to "
                        f"{last:%b %Y} ({'mean of month ends' if stock else 'sum'})",
                    }
                )
    return items


def coc_targets(
    pit: pd.DataFrame, coc: str, years: tuple[int, int] | None = None, file: str | None = None
) -> dict:
    """A targets mapping of one CoC's PIT counts (overall, sheltered, unsheltered) by year."""
    table = _years(hud.coc_pit(pit, coc, file), years, file)
    name = pit.loc[pit["coc"] == coc, "name"].iloc[-1]
    items, missing = [], []
    for year, row in table.iterrows():
        for m, measure in PIT_TARGETS.items():
            if pd.isna(row.get(m)):
                missing.append(f"{m} {year}")
                continue
            obs = int(row[m])
            items.append(
                {
                    "measure": measure,
                    "year": int(year),
                    "observed": obs,
                    "sd": sd_of(obs, CV_PIT[m]),
                    "source": f"{HUD_PIT_SOURCE}, {coc} {name}, January {year}",
                }
            )
    if not items:
        raise DataFileError(f"CoC '{coc}' has no counts in the years asked for", file=file)
    note = f"; not counted: {', '.join(missing)}" if missing else ""
    return {
        "name": coc.lower().replace("-", "_"),
        "description": (
            f"{coc} {name}: PIT counts {table.index.min()}-{table.index.max()} "
            f"(overall, sheltered, unsheltered){note}. sd = max(cv x count, "
            f"sqrt(count), 1), cv {CV_PIT['overall']} overall, "
            f"{CV_PIT['sheltered']} sheltered, {CV_PIT['unsheltered']} "
            "unsheltered: assumption."
        ),
        "targets": items,
        "free": {},
    }


#: HIC bed type -> the scenario key it sets (docs/data.md explains the mapping).
BED_KEYS = {
    "es_beds": "places.shelter.capacity",
    "sh_beds": "places.night_shelter.capacity",
    "th_beds": "places.starter.capacity",
    "psh_beds": "places.supported.capacity",
    "oph_beds": "places.supported.capacity",
    "rrh_beds": "policies.teams.cti.staff",
}


def bed_values(beds: pd.Series) -> dict[str, int]:
    """Scenario values for one year's beds; a blank type (not yet in use) counts as 0.

    Permanent supportive and other permanent housing are summed into supported places;
    rapid rehousing beds are the places of the rehousing programme (staff with a
    caseload of 1, so places = beds).
    """
    out: dict[str, int] = {}
    for col, key in BED_KEYS.items():
        n = 0 if pd.isna(beds[col]) else int(beds[col])
        out[key] = out.get(key, 0) + n
    return out


def bed_schedule(
    hic: pd.DataFrame, coc: str, years: tuple[int, int] | None = None, file: str | None = None
) -> dict:
    """The CoC's beds as the first year's values and dated changes (late January each year).

    A change is written only for the keys whose value differs from the year before.
    Every value is ``{value, source}``, naming the HIC year and the bed types summed.
    """
    table = _years(hud.coc_beds(hic, coc, file), years, file)
    first_year = int(table.index[0])
    before = bed_values(table.iloc[0])
    initial = {k: _sourced(v, k, coc, first_year) for k, v in before.items()}
    changes = []
    for year, beds in table.iloc[1:].iterrows():
        now = bed_values(beds)
        diff = {k: _sourced(v, k, coc, int(year)) for k, v in now.items() if v != before[k]}
        if diff:
            changes.append({"date": f"{int(year)}-01", "set": diff})
        before = now
    return {
        "coc": coc,
        "first_year": first_year,
        "source": f"{HUD_HIC_SOURCE}, {coc}, {first_year}-{int(table.index[-1])}",
        "initial": initial,
        "changes": changes,
    }


def _sourced(value: int, key: str, coc: str, year: int) -> dict:
    types = " + ".join(c for c, k in BED_KEYS.items() if k == key)
    note = " (rapid rehousing places; caseload 1)" if key.startswith("policies.") else ""
    return {"value": value, "source": f"{HUD_HIC_SOURCE} {year}, {coc}: {types}{note}"}


def _years(table: pd.DataFrame, years: tuple[int, int] | None, file: str | None) -> pd.DataFrame:
    if years is None:
        return table
    low, high = years
    sel = table.loc[(table.index >= low) & (table.index <= high)]
    if sel.empty:
        raise DataFileError(
            f"no year in {low}-{high} (the file has {table.index.min()}-{table.index.max()})",
            file=file,
            where="--from/--to",
        )
    return sel
