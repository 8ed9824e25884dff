"""Figures of a comparison: cost-effectiveness plane, cost by payer, cost and stock over time.

Each function takes the comparison's tables (as written to a results folder) and
returns a matplotlib figure; the caller saves it.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.plots.style import PALETTE, legend_below, new_figure
from sim.scenario.labels import code_label

PAYER_COLOURS = {
    "municipality": "#0072B2",
    "region": "#E69F00",
    "state": "#009E73",
    "citizen": "#CC79A7",
}
_THOUSANDS = FuncFormatter(lambda x, _: f"{x:,.0f}")
_ONE_DECIMAL = FuncFormatter(lambda x, _: f"{x:,.1f}")


def ce_plane(
    differences: pd.DataFrame,
    effect: str = "homeless_days_avoided_discounted",
    cost: str = "cost_total_discounted",
    currency: str = "DKK",
    effect_label: str = "homeless days avoided (discounted)",
    wtp: float | None = None,
    per: str = "unit of effect",
):
    """Incremental cost against effect gain: a dot per replication, a cross per mean.

    Right of the vertical axis is better, below the horizontal axis cheaper. A dashed
    line marks the willingness to pay ``wtp`` (DKK per ``per``, one unit of the effect)
    if given.
    """
    fig, ax = new_figure(7.0, 5.0)
    for i, (alt, d) in enumerate(differences.groupby("alternative", sort=False)):
        colour = PALETTE[i % len(PALETTE)]
        x, y = d[effect].to_numpy(float), d[cost].to_numpy(float) / 1e6
        ax.scatter(x, y, s=12, alpha=0.35, color=colour, linewidths=0)
        ax.scatter(
            [x.mean()],
            [y.mean()],
            s=120,
            marker="X",
            color=colour,
            edgecolors="white",
            linewidths=1.2,
            label=f"{alt} (mean)",
            zorder=3,
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    if wtp:
        xs, ys = np.array(ax.get_xlim()), ax.get_ylim()
        ax.plot(
            xs,
            wtp * xs / 1e6,
            ls="--",
            color="grey",
            lw=1,
            label=f"willingness to pay {wtp:,.0f} {currency} per {per}",
        )
        ax.set_xlim(*xs)
        ax.set_ylim(*ys)
    ax.xaxis.set_major_formatter(_THOUSANDS)
    ax.set_xlabel(f"{effect_label} (alternative vs base)")
    ax.set_ylabel(f"incremental cost, million {currency} (discounted)")
    ax.set_title("Cost-effectiveness plane (each dot one replication)")
    _corner_labels(ax)
    legend_below(fig, ax)  # below the plane: the dots may be anywhere on it
    return fig


def _corner_labels(ax) -> None:
    kw = {"transform": ax.transAxes, "fontsize": 8, "color": "grey"}
    ax.text(0.99, 0.01, "cheaper and better", ha="right", va="bottom", **kw)
    ax.text(0.01, 0.99, "dearer and worse", ha="left", va="top", **kw)


def cost_by_payer(runs: pd.DataFrame, payers: tuple[str, ...], currency: str = "DKK"):
    """Mean discounted cost over the horizon by scenario, stacked by payer."""
    fig, ax = new_figure(7.0, 4.0)
    names = list(dict.fromkeys(runs["scenario"]))
    means = (
        runs.groupby("scenario", sort=False)[[f"cost_{p}_discounted" for p in payers]]
        .mean()
        .loc[names]
        / 1e6
    )
    bottom = np.zeros(len(names))
    shown = [textwrap.fill(n, 30) for n in names]  # long titles on a few lines each
    for p in payers:
        vals = means[f"cost_{p}_discounted"].to_numpy()
        ax.bar(shown, vals, bottom=bottom, label=code_label(p), color=PAYER_COLOURS.get(p))
        bottom += vals
    ax.set_ylabel(f"million {currency} (discounted, mean)")
    ax.set_title("Cost over the horizon by payer")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def cost_and_stock(
    yearly: pd.DataFrame, weekly: pd.DataFrame, start_year: int, currency: str = "DKK"
):
    """Two panels: mean yearly cost by scenario, and homeless stock by week (95% spread)."""
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7.0, 6.5), dpi=110, sharex=True)
    for ax in (ax1, ax2):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(alpha=0.25)
    for i, (name, y) in enumerate(yearly.groupby("scenario", sort=False)):
        colour = PALETTE[i % len(PALETTE)]
        ax1.step(
            np.append(y["year"], y["year"].iloc[-1] + 1),
            np.append(y["cost_total"], y["cost_total"].iloc[-1]) / 1e6,
            where="post",
            color=colour,
            label=name,
        )
        w = weekly[weekly["scenario"] == name]
        t = start_year + w["week"].to_numpy() / 52
        ax2.fill_between(t, w["homeless_low"], w["homeless_high"], color=colour, alpha=0.15, lw=0)
        ax2.plot(t, w["homeless_mean"], color=colour, label=name)
    ax1.set_ylabel(f"cost per year, million {currency}")
    ax1.set_title("Cost (undiscounted, mean) and homeless stock (mean, 95% of runs)")
    ax1.yaxis.set_major_formatter(_ONE_DECIMAL)
    # the axis starts near the data, so that differences between scenarios show; the
    # report's budget table gives the levels
    ax2.set_ylabel("homeless (persons)")
    ax2.set_xlabel("year")
    ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
    legend_below(fig, ax2)  # under both panels: inside, it covers a line
    return fig
