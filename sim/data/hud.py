"""Readers of HUD's Point-in-Time counts and Housing Inventory Counts by Continuum of Care.

- ``read_pit``: one row per CoC, year and measure (overall, sheltered, unsheltered,
  individuals, people in families), counted on one night in late January; ``NA``
  counts become <NA>.
- ``read_hic``: beds by CoC and year and bed type; blank where a type did not exist.

Both return tidy tables with typed columns and reject a malformed copy with a
DataFileError naming the file, the line or column, and what was expected.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.data import cells
from sim.data.errors import DataFileError

#: HUD's ``Homelessness.Type`` labels and the measure names used here.
PIT_MEASURES: dict[str, str] = {
    "Overall.Homeless": "overall",
    "Sheltered.Total.Homeless": "sheltered",
    "Unsheltered.Homeless": "unsheltered",
    "Overall.Homeless.Individuals": "individuals",
    "Overall.Homeless.People.in.Families": "people_in_families",
}
PIT_COLUMNS = (
    "CoC Number",
    "CoC Name",
    "CoC Category",
    "Count Types",
    "Homelessness.Type",
    "Count",
    "Year",
)
#: HIC bed types: emergency shelter, transitional housing, safe haven, rapid rehousing,
#: permanent supportive housing, other permanent housing.
BED_TYPES = ("es_beds", "th_beds", "sh_beds", "rrh_beds", "psh_beds", "oph_beds")
_COC = r"[A-Z]{2}-\d{3}[a-z]?"  # MO-604a: a CoC split from MO-604


def read_pit(path: str | Path) -> pd.DataFrame:
    """The PIT file as a tidy table, one row per CoC, year and measure.

    Columns: ``coc`` (e.g. ``WA-500``), ``name``, ``category``, ``count_types`` (text,
    <NA> where the file says NA), ``measure`` (overall, sheltered, unsheltered,
    individuals, people_in_families), ``count`` (Int64, persons; <NA> where missing),
    ``year`` (int).
    """
    file = str(path)
    head, body = cells.read_text(path)
    raw = cells.named(head[0], body, PIT_COLUMNS, file)
    out = pd.DataFrame(index=raw.index)
    out["coc"] = _cocs(raw["CoC Number"], file)
    out["name"] = raw["CoC Name"].astype(str)
    out["category"] = raw["CoC Category"].astype(str)
    out["count_types"] = raw["Count Types"].where(~raw["Count Types"].isin(cells.MISSING))
    out["measure"] = _measures(raw["Homelessness.Type"], file)
    out["count"] = cells.counts(raw["Count"], file, missing_ok=True)
    out["year"] = cells.years(raw["Year"], file)
    cells.unique_keys(out, ["coc", "year", "measure"], file, "CoC, year and measure")
    return out.sort_values(["coc", "year", "measure"], kind="stable").reset_index(drop=True)


def read_hic(path: str | Path) -> pd.DataFrame:
    """The HIC file as a tidy table, one row per CoC and year, beds by type (Int64)."""
    file = str(path)
    head, body = cells.read_text(path)
    raw = cells.named(head[0], body, ["coc_number", "year", *BED_TYPES], file)
    out = pd.DataFrame(index=raw.index)
    out["coc"] = _cocs(raw["coc_number"], file)
    out["year"] = cells.years(raw["year"], file)
    for c in BED_TYPES:
        out[c] = cells.counts(raw[c], file, missing_ok=True)
    cells.unique_keys(out, ["coc", "year"], file, "CoC and year")
    return out.sort_values(["coc", "year"], kind="stable").reset_index(drop=True)


def _cocs(col: pd.Series, file: str) -> pd.Series:
    ok = col.astype(str).str.fullmatch(_COC)
    if not ok.all():
        line = int(col.index[~ok.to_numpy()][0])
        raise DataFileError(
            f"expected a CoC number such as 'WA-500', got {col[line]!r}",
            file=file,
            where=f"line {line}, column '{col.name}'",
        )
    return col.astype(str)


def _measures(col: pd.Series, file: str) -> pd.Series:
    return cells.known(col, list(PIT_MEASURES), file, "measure").map(PIT_MEASURES)


def cocs(pit: pd.DataFrame) -> pd.DataFrame:
    """One row per CoC: number, name, category, years counted and the latest overall count."""
    overall = pit[pit["measure"] == "overall"].dropna(subset=["count"])
    last = overall.sort_values("year").groupby("coc").tail(1).set_index("coc")
    names = pit.sort_values("year").groupby("coc").tail(1).set_index("coc")
    out = pd.DataFrame(
        {
            "name": names["name"],
            "category": names["category"],
            "years_counted": overall.groupby("coc")["year"].nunique(),
            "last_year": last["year"],
            "last_overall": last["count"],
        }
    )
    out["years_counted"] = out["years_counted"].fillna(0).astype(int)
    return out.rename_axis("coc").reset_index()


def coc_pit(pit: pd.DataFrame, coc: str, file: str | None = None) -> pd.DataFrame:
    """One CoC's counts by year (rows) and measure (columns), persons; error if unknown."""
    sel = pit[pit["coc"] == coc]
    if sel.empty:
        raise DataFileError(f"unknown CoC '{coc}' ({_known(pit)})", file=file)
    return sel.pivot(index="year", columns="measure", values="count").sort_index()


def coc_beds(hic: pd.DataFrame, coc: str, file: str | None = None) -> pd.DataFrame:
    """One CoC's beds by year (rows) and bed type (columns); error if unknown."""
    sel = hic[hic["coc"] == coc]
    if sel.empty:
        raise DataFileError(f"unknown CoC '{coc}' ({_known(hic)})", file=file)
    return sel.set_index("year")[list(BED_TYPES)].sort_index()


def _known(table: pd.DataFrame) -> str:
    known = sorted(table["coc"].unique())
    return (
        f"{len(known)} CoCs in the file, e.g. {', '.join(known[:3])}; see 'homesim data list-cocs'"
    )
