"""PSA plots: cost-effectiveness plane, acceptability curves, value of information."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.plots.style import PALETTE, finish, new_figure


def ce_plane(
    inc: pd.DataFrame,
    path: Path | None = None,
    effect_label: str = "effect",
    cost_label: str = "cost (DKK)",
    titles: Mapping[str, str] | None = None,
) -> Figure:
    """Incremental cost against effect gain, one point per draw and alternative.

    ``inc`` is :func:`sim.psa.incremental` output; ``titles`` (scenario name -> title,
    :func:`sim.scenario.labels.titles_of`) names the alternatives in the legend. Returns
    the figure; with ``path`` it is also written there (PNG) and closed.
    """
    titles = titles or {}
    fig, ax = new_figure(7, 5)
    for i, (alt, g) in enumerate(inc.groupby("alternative", sort=False)):
        colour = PALETTE[i % len(PALETTE)]
        ax.scatter(
            g["gain"],
            g["d_cost"],
            s=8,
            alpha=0.45,
            color=colour,
            label=titles.get(alt, alt),
            edgecolors="none",
        )
        ax.scatter(
            [g["gain"].mean()],
            [g["d_cost"].mean()],
            s=70,
            marker="X",
            color=colour,
            edgecolors="black",
            linewidths=0.6,
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"{effect_label} (gain against the base)")
    ax.set_ylabel(f"incremental {cost_label}")
    ax.set_title("Cost-effectiveness plane (a point per parameter draw; X = mean)")
    ax.legend(frameon=False, fontsize=8)
    return finish(fig, path)


def ceac_plot(
    curves: pd.DataFrame,
    names: list[str],
    path: Path | None = None,
    wtp_label: str = "DKK per unit of effect",
    titles: Mapping[str, str] | None = None,
) -> Figure:
    """Probability that each option is the most cost-effective, against WTP.

    ``curves`` is :func:`sim.psa.curves` output; ``titles`` (scenario name -> title)
    names the options in the legend. Returns the figure (saved too with ``path``).
    """
    titles = titles or {}
    fig, ax = new_figure(7, 4)
    for i, name in enumerate(names):
        ax.plot(
            curves["wtp"],
            curves[f"p_{name}"],
            color=PALETTE[i % len(PALETTE)],
            label=titles.get(name, name),
            lw=1.8,
        )
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(f"willingness to pay ({wtp_label})")
    ax.set_ylabel("probability most cost-effective")
    ax.set_title("Cost-effectiveness acceptability curves")
    ax.legend(frameon=False, fontsize=8)
    return finish(fig, path)


def evpi_plot(
    curves: pd.DataFrame, path: Path | None = None, wtp_label: str = "DKK per unit of effect"
) -> Figure:
    """Expected value of perfect information per person and for the population.

    Returns the figure (saved too with ``path``).
    """
    fig, ax = new_figure(7, 4)
    ax.plot(curves["wtp"], curves["evpi_population"], color=PALETTE[0], lw=1.8, label="population")
    ax.set_xlabel(f"willingness to pay ({wtp_label})")
    ax.set_ylabel("EVPI, population (DKK)")
    ax2 = ax.twinx()
    ax2.plot(
        curves["wtp"],
        curves["evpi_per_person"],
        color=PALETTE[1],
        lw=1.2,
        ls="--",
        label="per person",
    )
    ax2.set_ylabel("EVPI per person (DKK)")
    ax2.spines[["top"]].set_visible(False)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], frameon=False, fontsize=8)
    ax.set_title("Expected value of perfect information")
    return finish(fig, path)
