"""Forecast plot: the 80% and 95% predictive bands of each series over time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.plots.style import PALETTE, figure_title
from sim.report.outcomes import measure_label
from sim.results_io import atomic_write


def forecast_plot(
    table: pd.DataFrame,
    path: Path,
    title: str,
    series: Sequence[str] = ("homeless", "shelter", "rough", "friends"),
    data_until: str | None = None,
    observed: pd.DataFrame | None = None,
) -> None:
    """One panel per series (those present): median, 80% and 95% bands by period.

    ``data_until`` (a period label) draws a line where the fitted data end;
    ``observed`` (columns series, period, observed) adds the observed figures as dots.
    """
    shown = [s for s in series if s in set(table["series"].astype(str))]
    fig, axes = plt.subplots(
        len(shown), 1, figsize=(8, 2.3 * len(shown) + 0.6), dpi=110, squeeze=False, sharex=True
    )
    for ax, name in zip(axes[:, 0], shown, strict=True):
        sub = table[table["series"].astype(str) == name]
        x = np.arange(len(sub))
        ax.fill_between(
            x, sub["low_95"], sub["high_95"], color=PALETTE[5], alpha=0.35, lw=0, label="95%"
        )
        ax.fill_between(
            x, sub["low_80"], sub["high_80"], color=PALETTE[0], alpha=0.45, lw=0, label="80%"
        )
        ax.plot(x, sub["median"], color=PALETTE[0], lw=1.2, label="median")
        periods = list(sub["period"].astype(str))
        if observed is not None:
            obs = observed[observed["series"] == name]
            at = {p: i for i, p in enumerate(periods)}
            keep = obs["period"].isin(at)
            ax.plot(
                obs["period"][keep].map(at),
                obs["observed"][keep],
                "o",
                ms=2.5,
                color=PALETTE[7],
                label="observed",
            )
        if data_until is not None and data_until in periods:
            ax.axvline(periods.index(data_until) + 0.5, color=PALETTE[7], lw=0.8, ls="--")
        step = max(1, len(x) // 10)
        ax.set_xticks(x[::step], periods[::step], fontsize=7)
        ax.set_title(measure_label(name), fontsize=9, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(alpha=0.25)
    axes[0, 0].legend(frameon=False, fontsize=8, ncol=4)
    figure_title(fig, title)
    fig.tight_layout()
    atomic_write(Path(path), lambda p: fig.savefig(p, format="png"))
    plt.close(fig)
