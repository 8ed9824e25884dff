"""Shared plot style: a colour-blind-safe palette (Okabe-Ito) and consistent labels."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

#: Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

SITUATION_COLOURS = {
    "own": "#009E73",
    "at_risk": "#F0E442",
    "rough": "#D55E00",
    "night_shelter": "#CC79A7",
    "shelter": "#E69F00",
    "friends": "#56B4E9",
    "starter": "#0072B2",
    "alternative": "#999999",
    "supported": "#000000",
}


def figure_title(fig: Figure, title: str, fontsize: float = 10) -> None:
    """The figure's title, wrapped to its width so that a long one is never cut off.

    About 0.6 of a character's size per character fits (``fontsize`` in points).
    """
    width = max(20, int(fig.get_figwidth() * 72 / (0.6 * fontsize)))
    fig.suptitle(textwrap.fill(title, width), fontsize=fontsize)


def new_figure(width: float = 7.0, height: float = 4.0):
    """A figure and axes in the project's style."""
    fig, ax = plt.subplots(figsize=(width, height), dpi=110)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.25)
    return fig, ax


def legend_below(fig: Figure, ax, fontsize: float = 8) -> None:
    """The legend of ``ax`` under the figure, one entry a line, so it never covers data.

    Lays the figure out with room for it (about 0.2 inch a line).
    """
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        fig.tight_layout()
        return
    lines = sum(1 + label.count("\n") for label in labels)
    room = min(0.45, (0.22 * lines + 0.15) / fig.get_figheight())
    fig.legend(handles, labels, loc="lower left", frameon=False, fontsize=fontsize)
    fig.tight_layout(rect=(0, room, 1, 1))


def finish(fig: Figure, path: str | Path | None = None) -> Figure:
    """Lay the figure out and return it.

    With ``path``, also write it there as PNG (atomically) and close it, so that a
    command making many figures frees each one.
    """
    fig.tight_layout()
    if path is not None:
        from sim.results_io import atomic_write

        atomic_write(Path(path), lambda p: fig.savefig(p, format="png"))
        plt.close(fig)
    return fig
