"""Sensitivity plots: tornado (one-way) and Sobol index bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plots.style import PALETTE, finish, new_figure
from sim.report.outcomes import outcome_label
from sim.scenario.labels import looks_like_key, parameter_label


def tornado(table: pd.DataFrame, outcome: str, path: Path | None = None, top: int = 15) -> Figure:
    """Bars from the base outcome to the outcome at each parameter's low and high value.

    ``table`` is :func:`sim.sensitivity.one_way` output; the ``top`` widest swings are
    shown, widest at the top. Returns the figure (saved too with ``path``).
    """
    t = table.dropna(subset=["swing"]).head(top).iloc[::-1]
    fig, ax = new_figure(8, max(2.5, 0.38 * len(t) + 1.2))
    base = float(table["base"].iloc[0]) if len(table) else 0.0
    y = np.arange(len(t))
    ax.barh(y, t["outcome_low"] - base, left=base, color=PALETTE[0], label="at low value")
    ax.barh(
        y, t["outcome_high"] - base, left=base, color=PALETTE[1], alpha=0.85, label="at high value"
    )
    ax.axvline(base, color="black", lw=0.8)
    ax.set_yticks(y, [_label(r) for r in t.itertuples()], fontsize=8)
    ax.set_xlabel(f"{_words(outcome)} (base {base:,.4g})")
    ax.set_title("One-way sensitivity")
    ax.legend(frameon=False, fontsize=8)
    return finish(fig, path)


def _label(row) -> str:
    return f"{_words(row.parameter)} [{row.low:.4g}, {row.high:.4g}]"


def _words(name: str) -> str:
    """Words for a parameter's dotted key or an outcome's column name."""
    return outcome_label(name) if not looks_like_key(name) else parameter_label(name)


def sobol_bars(table: pd.DataFrame, outcome: str, path: Path | None = None) -> Figure:
    """First- and total-order Sobol indices with their confidence intervals.

    Returns the figure (saved too with ``path``).
    """
    t = table.sort_values("total", ascending=True)
    fig, ax = new_figure(8, max(2.5, 0.45 * len(t) + 1.2))
    y = np.arange(len(t))
    h = 0.38
    for off, key, colour, label in (
        (-h / 2, "first", PALETTE[0], "first order"),
        (h / 2, "total", PALETTE[1], "total"),
    ):
        err = np.vstack([t[key] - t[f"{key}_low"], t[f"{key}_high"] - t[key]]).clip(0)
        ax.barh(
            y + off,
            t[key],
            height=h,
            color=colour,
            label=label,
            xerr=err,
            error_kw={"lw": 0.8, "capsize": 2},
        )
    ax.set_yticks(y, [_words(p) for p in t["parameter"]], fontsize=8)
    ax.set_xlabel(f"Sobol index of {_words(outcome)} (95% bootstrap interval)")
    ax.set_xlim(left=min(0.0, float(t["first_low"].min())))
    ax.legend(frameon=False, fontsize=8)
    return finish(fig, path)
