"""Posterior plots: marginals, pairs, and observed figures against predictive intervals.

Parameters are named in words (:func:`sim.scenario.labels.key_label`), targets as in the
fit plot.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.plots.calibration import _group, tick_labels
from sim.plots.style import PALETTE, figure_title
from sim.results_io import atomic_write
from sim.scenario.labels import key_label


def _save(fig: plt.Figure, path: Path) -> None:
    fig.tight_layout()
    atomic_write(Path(path), lambda p: fig.savefig(p, format="png"))
    plt.close(fig)


def _wrapped(key: str, width: int) -> str:
    """A parameter's dotted key in words, wrapped to lines of ``width`` characters."""
    return textwrap.fill(key_label(key) if "." in key else key, width)


def marginal_plot(
    posterior: pd.DataFrame,
    params: Sequence[str],
    ranges: Sequence[tuple[float, float]],
    path: Path,
    title: str,
) -> None:
    """A weighted histogram per parameter over its prior range (the x-axis)."""
    n = len(params)
    cols = min(3, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.3 * cols, 2.5 * rows + 0.5), dpi=110, squeeze=False
    )
    w = posterior["weight"].to_numpy()
    for ax, name, (lo, hi) in zip(axes.ravel(), params, ranges, strict=False):
        ax.hist(posterior[name], bins=25, range=(lo, hi), weights=w, color=PALETTE[0], alpha=0.8)
        ax.set_xlim(lo, hi)
        ax.set_title(_wrapped(name, 40), fontsize=8, loc="left")
        ax.set_yticks([])
        ax.spines[["top", "right", "left"]].set_visible(False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    figure_title(fig, title)
    _save(fig, path)


def pair_plot(
    posterior: pd.DataFrame,
    params: Sequence[str],
    ranges: Sequence[tuple[float, float]],
    path: Path,
    title: str,
) -> None:
    """Plot every pair of parameters: particles, their size by weight.

    Histograms on the diagonal.
    """
    n = len(params)
    fig, axes = plt.subplots(n, n, figsize=(1.9 * n + 0.6, 1.9 * n + 0.6), dpi=100, squeeze=False)
    w = posterior["weight"].to_numpy()
    size = 40 * w / w.max()
    for i, yi in enumerate(params):
        for j, xj in enumerate(params):
            ax = axes[i, j]
            if i == j:
                ax.hist(posterior[xj], bins=20, range=ranges[j], weights=w, color=PALETTE[0])
                ax.set_yticks([])
            elif i > j:
                ax.scatter(
                    posterior[xj], posterior[yi], s=size, color=PALETTE[0], alpha=0.5, linewidths=0
                )
                ax.set_ylim(*ranges[i])
            else:
                ax.axis("off")
                continue
            ax.set_xlim(*ranges[j])
            ax.tick_params(labelsize=6)
            if i == n - 1:
                ax.set_xlabel(_wrapped(xj, 28), fontsize=6)
            if j == 0 and i > 0:
                ax.set_ylabel(_wrapped(yi, 28), fontsize=6)
    figure_title(fig, title)
    _save(fig, path)


def predictive_plot(table: pd.DataFrame, path: Path, title: str) -> None:
    """Plot one panel per group of targets.

    Each shows the 80% and 95% posterior-predictive intervals of a new observation, its
    mean, and the observed figures.
    """
    t = table.copy()
    t["group"] = [_group(n, y) for n, y in zip(t["target"], t["year"], strict=True)]
    groups = list(dict.fromkeys(t["group"]))
    fig, axes = plt.subplots(
        len(groups), 1, figsize=(7.5, 2.3 * len(groups) + 0.6), dpi=110, squeeze=False
    )
    for ax, g in zip(axes[:, 0], groups, strict=True):
        sub = t[t["group"] == g]
        x = np.arange(len(sub))
        labels = tick_labels(sub)
        ax.vlines(
            x,
            sub["low_95"],
            sub["high_95"],
            color=PALETTE[5],
            lw=9,
            alpha=0.6,
            label="95% predictive",
        )
        ax.vlines(
            x,
            sub["low_80"],
            sub["high_80"],
            color=PALETTE[0],
            lw=9,
            alpha=0.8,
            label="80% predictive",
        )
        ax.plot(x, sub["mean"], "_", color="white", ms=14, mew=2)
        ax.plot(x, sub["observed"], "o", color=PALETTE[3], label="observed")
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_xlim(-0.6, len(sub) - 0.4)
        ax.set_title(g, fontsize=9, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(alpha=0.25)
    axes[0, 0].legend(frameon=False, fontsize=8, ncol=3)
    figure_title(fig, title)
    _save(fig, path)
