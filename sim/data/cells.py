"""Reading CSV cells as the publishers write them: counts, `%` strings, dates, blanks.

Every file is first read as text (no guessing by pandas), then each column is parsed
here, so a bad cell is reported with its line number and column instead of silently
becoming NaN or a float.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.data.errors import DataFileError

#: Cells that mean "no figure" in the publishers' files.
MISSING = frozenset({"", "NA", "N/A", "na", "n/a"})
MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_COUNT = re.compile(r"^\d+$")
_SIGNED = re.compile(r"^-?\d+$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_MMM_YY = re.compile(r"^([A-Z][a-z]{2})-(\d{2})$")


def read_text(path: str | Path, header_rows: int = 1) -> tuple[list[list[str]], pd.DataFrame]:
    """The header rows and the body of a CSV file, every cell as stripped text.

    The body's index is the file's line number (1-based, header rows included), so
    errors can point at the line a user sees in an editor.
    """
    file = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise DataFileError("no such file", file=file) from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataFileError(f"cannot be read as a UTF-8 CSV file ({exc})", file=file) from None
    if len(rows) <= header_rows:
        raise DataFileError(
            f"expected {header_rows} header row(s) and at least one data row", file=file
        )
    head = [[c.strip() for c in r] for r in rows[:header_rows]]
    width = len(head[-1])
    body = rows[header_rows:]
    for i, r in enumerate(body):
        if len(r) != width and any(c.strip() for c in r):
            raise DataFileError(
                f"expected {width} cells, found {len(r)}",
                file=file,
                where=f"line {i + header_rows + 1}",
            )
    body = [r for r in body if any(c.strip() for c in r)]
    frame = pd.DataFrame([[c.strip() for c in r] for r in body], dtype=object)
    frame.index = pd.RangeIndex(header_rows + 1, header_rows + 1 + len(body))
    return head, frame


def named(head: list[str], frame: pd.DataFrame, required: Sequence[str], file: str) -> pd.DataFrame:
    """The body with the header's column names; every required column must be there."""
    missing = [c for c in required if c not in head]
    if missing:
        raise DataFileError(
            f"expected a column '{missing[0]}' (the header has: {', '.join(head)})",
            file=file,
            where="header",
        )
    dup = sorted({c for c in head if head.count(c) > 1})
    if dup:
        raise DataFileError(f"column '{dup[0]}' appears more than once", file=file, where="header")
    out = frame.copy()
    out.columns = head
    return out


def _bad(file: str, line: int, column: str, expected: str, got: str) -> DataFileError:
    return DataFileError(
        f"expected {expected}, got {got!r}", file=file, where=f"line {line}, column '{column}'"
    )


def counts(
    col: pd.Series, file: str, *, missing_ok: bool = False, signed: bool = False
) -> pd.Series:
    """Whole numbers >= 0 (persons, beds); blanks and NA become <NA> where allowed.

    ``signed`` allows negative numbers (a vacancy is negative when a shelter holds more
    people than its capacity).
    """
    text = col.astype(str)
    blank = text.isin(MISSING)
    ok = text.str.fullmatch(_SIGNED if signed else _COUNT) | (blank if missing_ok else False)
    if not ok.all():
        line = int(ok.index[~ok.to_numpy()][0])
        what = ("a whole number" if signed else "a whole number >= 0") + (
            " or a blank / NA" if missing_ok else ""
        )
        raise _bad(file, line, str(col.name), what, text[line])
    values = pd.array(
        [None if b else int(t) for t, b in zip(text, blank, strict=True)], dtype="Int64"
    )
    return pd.Series(values, index=col.index, name=col.name)


def known(col: pd.Series, values: Sequence[str], file: str, what: str) -> pd.Series:
    """Return the column, checked that every cell is one of ``values``.

    ``what`` names them in the error, e.g. "population group"; DataFileError at the
    first cell that is not.
    """
    bad = ~col.isin(list(values))
    if bad.any():
        line = int(col.index[bad.to_numpy()][0])
        raise DataFileError(
            f"unknown {what} {col[line]!r} (known: {', '.join(values)})",
            file=file,
            where=f"line {line}, column '{col.name}'",
        )
    return col


def percents(col: pd.Series, file: str) -> pd.Series:
    """Strings such as ``31.8%`` as floats in percent (31.8)."""
    m = col.astype(str).str.fullmatch(_PERCENT)
    if not m.all():
        line = int(m.index[~m.to_numpy()][0])
        raise _bad(file, line, str(col.name), "a percentage such as '31.8%'", col[line])
    return col.str.rstrip("%").astype(float)


def months_mmm_yy(col: pd.Series, file: str) -> pd.Series:
    """``Jan-18`` as the first day of that month (Timestamp); years are 20yy."""
    out = []
    for line, text in col.items():
        m = _MMM_YY.fullmatch(str(text))
        if not m or m.group(1) not in MONTHS:
            raise _bad(
                file, int(line), str(col.name), "a month written mmm-yy such as 'Jan-18'", str(text)
            )
        out.append(dt.datetime(2000 + int(m.group(2)), MONTHS[m.group(1)], 1))
    return pd.Series(pd.to_datetime(out), index=col.index, name=col.name)


def days_iso(col: pd.Series, file: str) -> pd.Series:
    """``2017-01-01`` as Timestamps."""
    out = []
    for line, text in col.items():
        try:
            out.append(dt.datetime.strptime(str(text), "%Y-%m-%d"))
        except ValueError:
            raise _bad(file, int(line), str(col.name), "a date YYYY-MM-DD", str(text)) from None
    return pd.Series(pd.to_datetime(out), index=col.index, name=col.name)


def years(col: pd.Series, file: str, low: int = 1990, high: int = 2100) -> pd.Series:
    """Four-digit calendar years."""
    text = col.astype(str)
    ok = text.str.fullmatch(r"\d{4}")
    ok = ok & text.where(ok, "0").astype(int).between(low, high)
    if not ok.all():
        line = int(ok.index[~ok.to_numpy()][0])
        raise _bad(file, line, str(col.name), f"a year {low}-{high}", text[line])
    return text.astype(np.int64)


def unique_keys(frame: pd.DataFrame, keys: Sequence[str], file: str, what: str) -> None:
    """No two rows share the same key (e.g. the same month and group)."""
    dup = frame.duplicated(list(keys), keep="first")
    if dup.any():
        line = int(frame.index[dup.to_numpy()][0])
        first = frame[(frame[list(keys)] == frame.loc[line, list(keys)]).all(axis=1)].index[0]
        values = ", ".join(f"{k}={_show(frame.loc[line, k])}" for k in keys)
        raise DataFileError(
            f"duplicated {what} ({values}); first seen on line {first}",
            file=file,
            where=f"line {line}",
        )


def contiguous(stamps: pd.Series, freq: str, file: str, what: str) -> None:
    """Every month (freq 'MS') or day (freq 'D') between the first and last is present."""
    have = pd.DatetimeIndex(stamps.unique()).sort_values()
    full = pd.date_range(have[0], have[-1], freq=freq)
    gap = full.difference(have)
    fmt = "%Y-%m" if freq == "MS" else "%Y-%m-%d"
    if len(gap):
        raise DataFileError(
            f"expected every {what} from {have[0]:{fmt}} to "
            f"{have[-1]:{fmt}}; {gap[0]:{fmt}} is missing"
            + (f" (and {len(gap) - 1} more)" if len(gap) > 1 else ""),
            file=file,
            where=f"column '{stamps.name}'",
        )


def _show(x: object) -> str:
    if isinstance(x, pd.Timestamp):
        return x.strftime("%Y-%m-%d")
    return str(x)
