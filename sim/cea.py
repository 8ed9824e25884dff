"""Incremental cost-effectiveness: paired differences, ICERs, net monetary benefit.

Pure functions over tables of runs (a row per scenario and replication, as
``sim.runner`` writes them). An alternative is compared with the base replication by
replication: replication ``k`` of both used the same random numbers, so the paired
difference removes most of the chance that both share.

Conventions: incremental cost is ``alternative - base`` (DKK, positive = dearer); an
effect gain is signed so that positive is better (homeless days *avoided* is
``base - alternative``). The ICER is the mean incremental cost over the mean effect
gain; the net monetary benefit at willingness to pay ``wtp`` (DKK per unit of effect)
is ``wtp * gain - incremental cost``. Intervals are 95% t-intervals of the mean over
replications (the uncertainty due to chance in the model, for the number of
replications run); ``spread`` gives the 2.5th-97.5th percentile of single-run
differences. ICER intervals are percentile bootstrap intervals over replications.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.scenario.costs_schema import PAYERS


@dataclass(frozen=True)
class Effect:
    """An effect measure: summary column, direction, label and unit."""

    name: str
    column: str
    sign: int  # +1: more is better; -1: less is better
    label: str
    unit: str
    per: str  # one unit, for "DKK per ..."


EFFECTS: tuple[Effect, ...] = (
    Effect("homeless_days_avoided", "homeless_days", -1, "homeless days avoided", "days", "day"),
    Effect(
        "homeless_days_avoided_discounted",
        "homeless_days_discounted",
        -1,
        "homeless days avoided (discounted)",
        "days",
        "day",
    ),
    Effect("housed_days_gained", "housed_days", 1, "housed days gained", "days", "day"),
    Effect(
        "housed_days_gained_discounted",
        "housed_days_discounted",
        1,
        "housed days gained (discounted)",
        "days",
        "day",
    ),
    Effect(
        "people_housed_gained",
        "housed_end",
        1,
        "more people housed at the end",
        "persons",
        "person",
    ),
    Effect(
        "people_ever_homeless_avoided",
        "people_ever_homeless",
        -1,
        "fewer people ever homeless",
        "persons",
        "person",
    ),
    Effect(
        "chronic_homeless_avoided",
        "chronic_homeless_end",
        -1,
        "fewer long-term homeless at the end",
        "persons",
        "person",
    ),
    Effect(
        "long_spells_avoided", "long_spells", -1, "fewer long homeless spells", "spells", "spell"
    ),
    Effect("qalys_gained", "qalys", 1, "QALYs gained", "QALYs", "QALY"),
    Effect(
        "qalys_gained_discounted",
        "qalys_discounted",
        1,
        "QALYs gained (discounted)",
        "QALYs",
        "QALY",
    ),
)
EFFECT_BY_NAME = {e.name: e for e in EFFECTS}

#: ICERs reported: (name, cost column, effect name, label).
ICERS: tuple[tuple[str, str, str, str], ...] = (
    (
        "icer_homeless_day",
        "cost_total_discounted",
        "homeless_days_avoided_discounted",
        "cost per homeless day avoided (discounted)",
    ),
    (
        "icer_homeless_day_undiscounted",
        "cost_total",
        "homeless_days_avoided",
        "cost per homeless day avoided (undiscounted)",
    ),
    (
        "icer_person_housed",
        "cost_total_discounted",
        "people_housed_gained",
        "cost per extra person housed at the end",
    ),
    (
        "icer_qaly",
        "cost_total_discounted",
        "qalys_gained_discounted",
        "cost per QALY gained (discounted)",
    ),
)

COST_COLUMNS: tuple[str, ...] = tuple(
    f"cost_{who}{sfx}" for sfx in ("_discounted", "") for who in ("total", *PAYERS)
)


# ---------------------------------------------------------------- basic statistics


def mean_interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-interval of the mean; a constant sample gives a zero-width interval."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if x.size < 2 or np.all(x == x[0]):
        return m, m, m
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - half, m + half


def icer(d_cost: float, gain: float) -> float:
    """Incremental cost per unit of effect gained; NaN when the gain is zero."""
    return float(d_cost / gain) if gain != 0 else float("nan")


def nmb(d_cost: np.ndarray | float, gain: np.ndarray | float, wtp: float) -> np.ndarray | float:
    """Net monetary benefit: ``wtp * gain - d_cost`` (DKK; positive = worth it at wtp)."""
    return wtp * gain - d_cost


def bootstrap_icer(
    d_cost: np.ndarray, gain: np.ndarray, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the ratio of mean cost to mean gain.

    Replications are resampled in pairs (cost and effect of the same replication stay
    together). The bootstrap's own stream is fixed, so the interval is reproducible.
    NaN when the resampled mean gain can be zero.
    """
    d_cost, gain = np.asarray(d_cost, float), np.asarray(gain, float)
    n = d_cost.size
    if n < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    mg = gain[idx].mean(axis=1)
    if np.any(mg == 0) or (mg.min() < 0 < mg.max()):
        return float("nan"), float("nan")
    ratio = d_cost[idx].mean(axis=1) / mg
    lo, hi = np.quantile(ratio, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


# ---------------------------------------------------------------- dominance in words


def direction(low: float, high: float) -> int:
    """+1 if the interval lies above zero, -1 if below, 0 if it holds zero (or is NaN)."""
    if low > 0:
        return 1
    if high < 0:
        return -1
    return 0


_WORDS = {
    (-1, 1): ("dominant", "cheaper and better: it dominates the base"),
    (1, -1): ("dominated", "dearer and worse: the base dominates it"),
    (1, 1): ("better_dearer", "better, at a higher cost"),
    (-1, -1): ("cheaper_worse", "cheaper, but worse"),
    (0, 1): ("better_same_cost", "better, with no clear difference in cost"),
    (0, -1): ("worse_same_cost", "worse, with no clear difference in cost"),
    (-1, 0): ("cheaper_same_effect", "cheaper, with no clear difference in effect"),
    (1, 0): ("dearer_same_effect", "dearer, with no clear difference in effect"),
    (0, 0): ("no_difference", "neither better nor worse: no clear difference in cost or effect"),
}


def verdict(
    cost_interval: tuple[float, float], gain_interval: tuple[float, float]
) -> tuple[str, str]:
    """A code and a sentence placing an alternative against the base.

    A difference counts only when its 95% interval excludes zero, so a policy with
    zero cost and zero effect is neither better nor worse.
    """
    return _WORDS[(direction(*cost_interval), direction(*gain_interval))]


# ---------------------------------------------------------------- tables of runs


def paired_differences(
    runs: pd.DataFrame, base: str, alt: str, columns: Sequence[str]
) -> pd.DataFrame:
    """``alt - base`` for each replication and column (rows matched on replication)."""
    b = runs[runs["scenario"] == base].set_index("replication")
    a = runs[runs["scenario"] == alt].set_index("replication")
    if not b.index.equals(a.index) or b.index.has_duplicates:
        b, a = b.sort_index(), a.sort_index()
        if not b.index.equals(a.index) or b.index.has_duplicates:
            raise ValueError(f"replications of '{alt}' and '{base}' do not pair up")
    cols = [c for c in columns if c in a.columns and c in b.columns]
    diff = a[cols].astype(float) - b[cols].astype(float)
    diff.insert(0, "alternative", alt)
    diff.insert(1, "base", base)
    return diff.reset_index()


def available_effects(runs: pd.DataFrame) -> list[Effect]:
    """Effects whose column every run has (QALYs only when all scenarios give weights)."""
    return [e for e in EFFECTS if e.column in runs.columns and runs[e.column].notna().all()]


def differences(runs: pd.DataFrame, base: str, alts: Sequence[str]) -> pd.DataFrame:
    """Paired differences of all cost columns and effect gains, for every alternative.

    Cost columns are ``alt - base``; effect columns are named after the effect and
    signed so that positive is better.
    """
    effects = available_effects(runs)
    cost_cols = [c for c in runs.columns if c.startswith("cost_")]
    out = []
    for alt in alts:
        d = paired_differences(runs, base, alt, [*cost_cols, *(e.column for e in effects)])
        for e in effects:
            d[e.name] = e.sign * d.pop(e.column)
        out.append(d)
    return pd.concat(out, ignore_index=True)


def _row(alt: str, base: str, measure: str, label: str, unit: str, x: np.ndarray) -> dict:
    m, lo, hi = mean_interval(x)
    finite = x[np.isfinite(x)]
    s_lo, s_hi = np.quantile(finite, [0.025, 0.975]) if finite.size else (np.nan, np.nan)
    return {
        "alternative": alt,
        "base": base,
        "measure": measure,
        "label": label,
        "unit": unit,
        "mean": m,
        "low": lo,
        "high": hi,
        "spread_low": float(s_lo),
        "spread_high": float(s_hi),
        "replications": int(finite.size),
    }


def incremental_table(
    diffs: pd.DataFrame, currency: str = "DKK", boot_seed: int = 0
) -> pd.DataFrame:
    """Long table: incremental costs, effect gains and ICERs with 95% intervals."""
    rows = []
    for (alt, base), d in diffs.groupby(["alternative", "base"], sort=False):
        for c in COST_COLUMNS:
            if c in d:
                rows.append(
                    _row(
                        alt,
                        base,
                        f"incremental_{c}",
                        _cost_label(c),
                        currency,
                        d[c].to_numpy(float),
                    )
                )
        for e in EFFECTS:
            if e.name in d:
                rows.append(_row(alt, base, e.name, e.label, e.unit, d[e.name].to_numpy(float)))
        for name, cost_col, eff, label in ICERS:
            if eff not in d:
                continue
            dc, g = d[cost_col].to_numpy(float), d[eff].to_numpy(float)
            lo, hi = bootstrap_icer(dc, g, seed=boot_seed)
            unit = f"{currency} per {EFFECT_BY_NAME[eff].per}"
            rows.append(
                {
                    "alternative": alt,
                    "base": base,
                    "measure": name,
                    "label": label,
                    "unit": unit,
                    "mean": icer(dc.mean(), g.mean()),
                    "low": lo,
                    "high": hi,
                    "spread_low": np.nan,
                    "spread_high": np.nan,
                    "replications": int(dc.size),
                }
            )
    return pd.DataFrame(rows)


def _cost_label(col: str) -> str:
    who = col.removeprefix("cost_").removesuffix("_discounted")
    disc = " (discounted)" if col.endswith("_discounted") else " (undiscounted)"
    return ("incremental cost" if who == "total" else f"incremental cost to {who}") + disc


def nmb_table(
    diffs: pd.DataFrame, wtp: dict[str, Sequence[float]], cost_column: str = "cost_total_discounted"
) -> pd.DataFrame:
    """Net monetary benefit with 95% interval at each willingness to pay, per effect.

    ``wtp`` maps an effect name (e.g. ``homeless_days_avoided_discounted``) to the
    values (DKK per unit) at which to evaluate it. Also gives the share of replications
    with a positive NMB.
    """
    rows = []
    for (alt, base), d in diffs.groupby(["alternative", "base"], sort=False):
        for eff, values in wtp.items():
            if eff not in d:
                continue
            for w in values:
                x = np.asarray(
                    nmb(d[cost_column].to_numpy(float), d[eff].to_numpy(float), float(w))
                )
                m, lo, hi = mean_interval(x)
                rows.append(
                    {
                        "alternative": alt,
                        "base": base,
                        "effect": eff,
                        "wtp": float(w),
                        "nmb_mean": m,
                        "nmb_low": lo,
                        "nmb_high": hi,
                        "share_positive": float((x > 0).mean()),
                    }
                )
    return pd.DataFrame(rows)


def verdict_table(
    table: pd.DataFrame,
    effect: str = "homeless_days_avoided_discounted",
    cost: str = "incremental_cost_total_discounted",
) -> pd.DataFrame:
    """Dominance in words for each alternative, on one cost and one effect measure."""
    rows = []
    for (alt, base), t in table.groupby(["alternative", "base"], sort=False):
        t = t.set_index("measure")
        if effect not in t.index or cost not in t.index:
            continue
        c, e = t.loc[cost], t.loc[effect]
        code, words = verdict((c["low"], c["high"]), (e["low"], e["high"]))
        rows.append(
            {
                "alternative": alt,
                "base": base,
                "effect": effect,
                "verdict": code,
                "words": words,
                "incremental_cost": c["mean"],
                "gain": e["mean"],
            }
        )
    return pd.DataFrame(rows)
