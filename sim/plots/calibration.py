"""Calibration fit plot: observed figures against simulated ones, with intervals."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plots.style import PALETTE, finish


def fit_plot(
    table: pd.DataFrame, path: Path | None = None, title: str = "Calibration fit"
) -> Figure:
    """Plot one panel per group of targets (same measure).

    Each shows observed +- 1.96 sd and the simulated mean with the 95% interval over
    runs.

    ``table`` is :attr:`sim.calibration.Fit.table` (target, year, observed, sd, mean,
    low, high). Returns the figure; with ``path`` it is also written there and closed.
    """
    t = table.copy()
    t["group"] = [_group(name, year) for name, year in zip(t["target"], t["year"], strict=True)]
    groups = list(dict.fromkeys(t["group"]))
    fig, axes = plt.subplots(
        len(groups), 1, figsize=(7.5, 2.4 * len(groups) + 0.6), dpi=110, squeeze=False
    )
    for ax, g in zip(axes[:, 0], groups, strict=True):
        sub = t[t["group"] == g]
        x = np.arange(len(sub))
        labels = [
            str(int(y)) if pd.notna(y) else n
            for n, y in zip(sub["target"], sub["year"], strict=True)
        ]
        ax.errorbar(
            x - 0.1,
            sub["observed"],
            yerr=1.96 * sub["sd"],
            fmt="o",
            color=PALETTE[7],
            capsize=3,
            label="observed (+-1.96 sd)",
        )
        err = np.vstack([sub["mean"] - sub["low"], sub["high"] - sub["mean"]]).clip(0)
        ax.errorbar(
            x + 0.1,
            sub["mean"],
            yerr=err,
            fmt="s",
            color=PALETTE[0],
            capsize=3,
            label="simulated (mean, 95% of runs)",
        )
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_xlim(-0.6, len(sub) - 0.4)
        ax.set_title(g, fontsize=9, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(alpha=0.25)
    axes[0, 0].legend(frameon=False, fontsize=8)
    fig.suptitle(title, fontsize=10)
    return finish(fig, path)


def _group(name: str, year: float | None) -> str:
    if year is None or pd.isna(year):
        return "other targets"
    return name.replace(f"_{int(year)}", "").replace(str(int(year)), "").strip("_ ")
