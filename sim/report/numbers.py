"""Numbers for people: rounded to what their uncertainty supports, thousands separated.

A mean with a 95% interval is rounded at the place of the interval's half-width: one
significant digit of the half-width, two when that digit is a 1 (so a half-width of
0.226 rounds to tenths, one of 150,000 to ten thousands). The interval ends are rounded
at the same place. A number with no interval gets three significant digits. Negative
zero is written as 0.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def place_for(half_width: float) -> int | None:
    """Power of ten to round to, for an uncertainty of ``half_width`` (None if none)."""
    hw = _finite(half_width)
    if hw is None or hw <= 0:
        return None
    top = math.floor(math.log10(hw))
    lead = hw / 10**top
    return top - 1 if lead < 2 else top


def place_of_digits(x: float, digits: int = 3) -> int:
    """Power of ten that keeps ``digits`` significant digits of ``x`` (0 for x = 0)."""
    if x == 0:
        return 0
    return math.floor(math.log10(abs(x))) - digits + 1


def at_place(x: Any, place: int) -> str:
    """``x`` rounded to a multiple of ``10**place``, with thousands separators."""
    v = _finite(x)
    if v is None:
        return ""
    if place >= 0:
        r = round(v / 10**place) * 10**place
        text = f"{r:,.0f}"
    else:
        text = f"{round(v, -place):,.{-place}f}"
    return text.removeprefix("-") if text.lstrip("-").strip("0.,") == "" else text


def num(x: Any, digits: int = 3) -> str:
    """Format a number with no stated uncertainty.

    ``digits`` significant digits, and no decimals below the units for numbers of 100 or
    more. Blank if missing.
    """
    v = _finite(x)
    if v is None:
        return x if isinstance(x, str) else ""
    return at_place(
        v, place_of_digits(v, digits) if abs(v) < 100 else max(0, place_of_digits(v, digits))
    )


def estimate_place(low: Any, high: Any, mean: Any = None) -> int:
    """Return the rounding place of an estimate with interval ``low``-``high``.

    Three significant digits of the mean (or of the larger end) when the interval has no
    width.
    """
    lo, hi = _finite(low), _finite(high)
    place = place_for((hi - lo) / 2) if lo is not None and hi is not None else None
    if place is not None:
        return place
    ref = _finite(mean)
    if ref is None:
        ref = max((abs(v) for v in (lo, hi) if v is not None), default=0.0)
    return place_of_digits(ref, 3) if abs(ref) < 100 else max(0, place_of_digits(ref, 3))


def estimate(mean: Any, low: Any, high: Any) -> tuple[str, str, str]:
    """Mean, low and high written at the place their interval supports."""
    place = estimate_place(low, high, mean)
    return at_place(mean, place), at_place(low, place), at_place(high, place)


def interval(low: Any, high: Any, mean: Any = None) -> str:
    """Format "low to high" at the place the interval supports (blank if an end is missing)."""
    if _finite(low) is None or _finite(high) is None:
        return ""
    _, lo, hi = estimate(mean if mean is not None else low, low, high)
    return f"{lo} to {hi}"


def money(x: Any, currency: str, place: int | None = None) -> str:
    """Format an amount in a sentence: "DKK 13.6 million", "DKK 250,000".

    Rounded at ``place`` when given, else to three significant digits.
    """
    v = _finite(x)
    if v is None:
        return ""
    if place is None:
        place = place_of_digits(v, 3) if v else 0
    if abs(v) >= 1e6:
        decimals = min(3, max(0, 6 - place))
        return f"{currency} {at_place(v / 1e6, -decimals)} million"
    return f"{currency} {at_place(v, max(0, place))}"


def share(x: Any) -> str:
    """A share as a whole percentage (blank if missing)."""
    v = _finite(x)
    return "" if v is None else f"{100 * v:.0f}%"


def value(v: Any) -> str:
    """A parameter value as written: numbers to six significant digits, lists joined."""
    if isinstance(v, bool) or v is None:
        return "" if v is None else ("yes" if v else "no")
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    if isinstance(v, float) and v.is_integer() and abs(v) >= 1e6:
        return f"{v:,.0f}"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list):
        return ", ".join(value(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}: {value(x)}" for k, x in v.items())
    return str(v)


def when(iso: str) -> str:
    """An ISO 8601 time for people: "1 December 2026, 14:34 UTC" (others as given)."""
    try:
        t = dt.datetime.fromisoformat(str(iso)).astimezone(dt.UTC)
    except ValueError:
        return str(iso)
    return f"{t.day} {t:%B %Y, %H:%M} UTC"
