"""Calibration fit plot: observed figures against simulated ones, with intervals.

Targets are named in words (their measure without the year, "homeless at the national
count"), the fit's title by the scenario's title and the targets file's description.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plots.style import PALETTE, figure_title, finish
from sim.report.outcomes import measure_label, outcome_label
from sim.scenario.labels import short_scenario_title


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
        labels = tick_labels(sub)
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
    figure_title(fig, title)
    return finish(fig, path)


def tick_labels(sub: pd.DataFrame) -> list[str]:
    """A target's tick: its year, its month (``2018-01``), or its words if undated."""
    out = []
    for name, year in zip(sub["target"], sub["year"], strict=True):
        month = _MONTH.search(str(name))
        if month:
            out.append(month.group(1))
        elif pd.notna(year):
            out.append(str(int(year)))
        else:
            out.append(outcome_label(str(name)))
    return out


def _group(name: str, year: float | None) -> str:
    """The panel of a target: its measure in words, without the year or month."""
    if year is None or pd.isna(year):
        return "other targets"
    y = str(int(year))
    measure = "/".join(
        _MONTH.sub("", part).removesuffix(f"_{y}") for part in str(name).split("/")
    ).strip("_ ")
    return measure_label(measure)


_MONTH = re.compile(r"_(\d{4}-\d{2})\b")

#: Calibration methods in words.
METHODS = {
    "optimize": "best fit by optimisation",
    "abc": "ABC rejection sample",
    "abc-smc": "ABC-SMC posterior",
}


def fit_title(scenario: Any, targets: Any, method: str) -> str:
    """Title of a fit's figure: the scenario's title, the targets', and the method.

    ``scenario`` is a loaded scenario, ``targets`` a targets file (its description,
    else its name in words).
    """
    sc = short_scenario_title(scenario.name, scenario.params.description)
    tg = short_scenario_title(targets.name, targets.description)
    text = f"{sc}\nfitted to: {tg} ({METHODS.get(method, method)})"
    return "\n".join(textwrap.fill(line, 80) for line in text.split("\n"))
