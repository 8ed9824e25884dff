"""Figures of movement: the flow matrix between situations, and spell lengths.

Inputs are a recorder's ``flows[week, from, to]`` (moves counted into the state they
produce; entries are counted apart in ``entries[week, to]``) and its log of completed
homeless spells (``recorder.spells.frame()``: start, end, needs, to; weeks).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.plots.style import PALETTE, new_figure
from sim.scenario.labels import code_label, word
from sim.situations import NEEDS, SITUATIONS

ENTRY = "entry"


def _label(name: str) -> str:
    """Return words for a row or column of the flow matrix.

    "own" -> "own home"; the entry row: "arriving".
    """
    return "arriving" if name == ENTRY else code_label(name).replace("_", " ")


def flow_table(
    flows: np.ndarray, entries: np.ndarray | None = None, per_year: float | None = None
) -> pd.DataFrame:
    """Moves between situations summed over weeks: rows from, columns to.

    ``flows`` is (weeks, S, S) or already summed (S, S). With ``entries`` (weeks, S) a
    first row ``entry`` holds the arrivals into each situation. With ``per_year`` (the
    horizon in years) the table holds moves per year instead of totals.
    """
    f = np.asarray(flows, dtype=float)
    if f.ndim == 3:
        f = f.sum(axis=0)
    table = pd.DataFrame(f, index=list(SITUATIONS), columns=list(SITUATIONS))
    if entries is not None:
        e = np.asarray(entries, dtype=float)
        e = e.sum(axis=0) if e.ndim == 2 else e
        table = pd.concat([pd.DataFrame([e], index=[ENTRY], columns=list(SITUATIONS)), table])
    if per_year:
        table = table / per_year
    table.index.name, table.columns.name = "from", "to"
    return table


def flow_matrix_plot(
    flows: np.ndarray,
    entries: np.ndarray | None = None,
    per_year: float | None = None,
    drop_empty: bool = True,
):
    """Heat map of moves from (rows) to (columns) situations, each cell labelled.

    The colour scale is logarithmic-like (square root) so that rare moves stay visible
    beside the many moves between own housing and risk of eviction; the numbers in the
    cells are exact.
    """
    table = flow_table(flows, entries, per_year)
    if drop_empty:
        keep_r = table.sum(axis=1) > 0
        keep_c = table.sum(axis=0) > 0
        table = table.loc[keep_r, keep_c]
    fig, ax = new_figure(1.2 + 0.8 * max(len(table.columns), 2), 1.0 + 0.6 * max(len(table), 2))
    ax.grid(False)
    values = table.to_numpy()
    image = ax.imshow(np.sqrt(values), cmap="cividis", aspect="auto")
    top = np.sqrt(values).max() if values.size else 0.0
    fmt = "{:,.1f}" if per_year else "{:,.0f}"
    for (i, j), v in np.ndenumerate(values):
        if v > 0:
            dark = np.sqrt(v) < 0.6 * top
            ax.text(
                j,
                i,
                fmt.format(v),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if dark else "black",
            )
    ax.set_xticks(
        range(len(table.columns)), [_label(c) for c in table.columns], rotation=40, ha="right"
    )
    ax.set_yticks(range(len(table.index)), [_label(r) for r in table.index])
    ax.set_xlabel("to situation")
    ax.set_ylabel("from situation")
    unit = "moves per year (persons)" if per_year else "moves over the horizon (persons)"
    ax.set_title(f"Flows between situations: {unit}")
    bar = fig.colorbar(image, ax=ax, fraction=0.04)
    bar.set_label(f"square root of {unit}")
    fig.tight_layout()
    return fig


def spell_table(spells: pd.DataFrame) -> pd.DataFrame:
    """Completed spells with their length in weeks and needs group name."""
    out = spells.copy()
    out["weeks"] = (out["end"] - out["start"]).astype(int)
    out["needs_group"] = [NEEDS[int(k)] for k in out["needs"]]
    return out


def spell_length_plot(
    spells: pd.DataFrame, bins: Sequence[float] | None = None, by_needs: bool = True
):
    """Distribution of completed homeless spell lengths, by needs group.

    ``spells`` is ``recorder.spells.frame()`` (or several concatenated). Bars count
    spells per bin of length in weeks; the dashed lines mark each group's median.
    Spells still open at the end of the run are not included (they are censored).
    """
    t = spell_table(spells)
    if bins is None:
        top = max(int(t["weeks"].max()) if len(t) else 1, 2)
        bins = np.unique(np.geomspace(1, top + 1, 16).round())
    bins = np.asarray(bins, dtype=float)
    fig, ax = new_figure(7.0, 4.0)
    groups = [(g, t[t["needs_group"] == g]) for g in NEEDS] if by_needs else [("all", t)]
    groups = [(g, d) for g, d in groups if len(d)]
    for g, d in groups:
        colour = PALETTE[NEEDS.index(g)] if g in NEEDS else PALETTE[0]
        name = word(g) if g in NEEDS else "all"
        weeks = np.maximum(d["weeks"].to_numpy(), 1)  # a spell within one week counts as 1
        ax.hist(
            weeks, bins=bins, histtype="step", lw=1.8, color=colour, label=f"{name} (n={len(d)})"
        )
        ax.axvline(float(np.median(weeks)), color=colour, ls="--", lw=1)
    if groups:
        ax.legend(frameon=False, fontsize=8)
    else:
        ax.text(0.5, 0.5, "no completed spells", transform=ax.transAxes, ha="center", color="grey")
    ax.set_xscale("log")
    ax.set_xlabel("length of completed homeless spell (weeks, log scale)")
    ax.set_ylabel("spells")
    ax.set_title("Homeless spell lengths (dashed: median)")
    fig.tight_layout()
    return fig
