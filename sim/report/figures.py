"""Figures of a report: matplotlib figures made into PNG blocks, or PNGs a command wrote.

A figure block carries its PNG bytes (embedded in the HTML page) and the file the
Markdown twin links to. PNGs are written by :func:`sim.report.folders.write_report`,
only when their bytes changed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import MaxNLocator

from sim.plots.stock import TOTAL, stock_table
from sim.plots.style import PALETTE, new_figure
from sim.report.blocks import Figure


def from_matplotlib(fig: Any, title: str, file: Path, note: str = "") -> Figure:
    """A figure block from a matplotlib figure (closed afterwards)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return Figure(title, buf.getvalue(), file, note)


def existing(folder: Path, names: dict[str, str]) -> list[Figure]:
    """Figure blocks of the PNG files a command wrote in ``folder`` ({file: title})."""
    return [
        Figure(t, (folder / n).read_bytes(), folder / n)
        for n, t in names.items()
        if (folder / n).exists()
    ]


def total_plot(weekly: pd.DataFrame, groups: dict[str, str]):
    """All homeless over time, one line and band per scenario or sweep point.

    ``groups`` maps each value of the ``group`` column to its title. The y axis starts
    where the data does.
    """
    fig, ax = new_figure(8.0, 4.5)
    for k, (g, title) in enumerate(groups.items()):
        t = stock_table(weekly[weekly["group"] == g].assign(scenario=g))
        t = t[t["situation"] == TOTAL]
        colour = PALETTE[k % len(PALETTE)]
        ax.plot(t["time"], t["mean"], color=colour, label=title)
        ax.fill_between(t["time"], t["low"], t["high"], color=colour, alpha=0.15, lw=0)
    ax.set_title("All homeless (mean and 95% interval of runs)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year")
    ax.set_ylabel("persons (weekly count)")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig
