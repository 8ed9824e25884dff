"""Figures of stocks over time: homeless people by situation, and waiting lists.

Inputs are the tables a run writes: the weekly tidy table (columns scenario,
replication, week, year, situation[, needs, age_band], count) and the recorder's
waiting-list array ``queues[week, list]``. Lines are means over replications; bands
are the central interval over replications (2.5th to 97.5th percentile by default),
which shows the spread of single runs, not the uncertainty of the mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from sim.places import QUEUE_NAMES
from sim.plots.style import PALETTE, SITUATION_COLOURS, new_figure
from sim.scenario.labels import code_label
from sim.situations import HOMELESS_MASK, SITUATIONS, WEEKS_PER_YEAR

#: Situations in the national count's definition of homelessness, in code order.
HOMELESS_SITUATIONS: tuple[str, ...] = tuple(
    s for i, s in enumerate(SITUATIONS) if HOMELESS_MASK[i]
)
TOTAL = "all homeless"


def _label(name: str) -> str:
    """Return words for a situation or waiting list in a legend.

    "night_shelter" -> "night shelter", "own" -> "own home", from the labels beside the
    schema.
    """
    return code_label(name).replace("_", " ")


def stock_table(
    weekly: pd.DataFrame,
    situations: Sequence[str] = HOMELESS_SITUATIONS,
    scenario: str | None = None,
    interval: float = 0.95,
    total: bool = True,
) -> pd.DataFrame:
    """Mean and interval over replications of the count in each situation, by week.

    Returns columns situation, week, time (calendar year as a decimal), mean, low,
    high, runs. With ``total`` a row set named ``"all homeless"`` sums the situations
    per run before the statistics are taken (so its interval is that of the sum).
    """
    df = weekly if scenario is None else weekly[weekly["scenario"] == scenario]
    if "scenario" in df and df["scenario"].nunique() > 1:
        raise ValueError("the table holds several scenarios: name one with scenario=")
    df = df[df["situation"].astype(str).isin(situations)]
    per_run = (
        df.assign(situation=df["situation"].astype(str))
        .groupby(["replication", "week", "situation"], observed=True)["count"]
        .sum()
        .reset_index()
    )
    if total:
        tot = per_run.groupby(["replication", "week"])["count"].sum().reset_index()
        per_run = pd.concat([per_run, tot.assign(situation=TOTAL)], ignore_index=True)
    lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
    g = per_run.groupby(["situation", "week"])["count"]
    out = pd.DataFrame(
        {"mean": g.mean(), "low": g.quantile(lo), "high": g.quantile(hi), "runs": g.size()}
    ).reset_index()
    start = _start_year(weekly)
    out.insert(2, "time", start + out["week"] / WEEKS_PER_YEAR)
    order = {s: k for k, s in enumerate([*situations, TOTAL])}
    return out.sort_values(
        ["situation", "week"], key=lambda c: c.map(order) if c.name == "situation" else c
    ).reset_index(drop=True)


def _start_year(weekly: pd.DataFrame) -> int:
    if "year" not in weekly or weekly.empty:
        return 0
    row = weekly.iloc[0]
    return int(row["year"]) - int(row["week"]) // WEEKS_PER_YEAR


def stock_plot(
    weekly: pd.DataFrame,
    situations: Sequence[str] = HOMELESS_SITUATIONS,
    scenario: str | None = None,
    interval: float = 0.95,
    total: bool = True,
):
    """Homeless people by situation over time: mean line and interval band per situation."""
    table = stock_table(weekly, situations, scenario, interval, total)
    fig, ax = new_figure(8.0, 4.5)
    for name, d in table.groupby("situation", sort=False):
        colour = SITUATION_COLOURS.get(name, "#000000")
        ax.plot(
            d["time"], d["mean"], color=colour, lw=2.2 if name == TOTAL else 1.5, label=_label(name)
        )
        ax.fill_between(d["time"], d["low"], d["high"], color=colour, alpha=0.18, lw=0)
    runs = int(table["runs"].max()) if len(table) else 0
    title = scenario or (
        str(weekly["scenario"].iloc[0]) if "scenario" in weekly and len(weekly) else ""
    )
    ax.set_title(
        f"Homeless people by situation{': ' + title if title else ''} "
        f"(mean and {interval:.0%} interval of {runs} runs)"
    )
    ax.set_xlabel("year")
    ax.set_ylabel("persons (weekly count)")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def waiting_table(
    queues: np.ndarray, names: Sequence[str] = QUEUE_NAMES, interval: float = 0.95
) -> pd.DataFrame:
    """Waiting-list lengths by week: mean and interval over runs.

    ``queues`` is one run's ``recorder.queues`` (weeks + 1, lists) or several runs
    stacked (runs, weeks + 1, lists).
    """
    q = np.asarray(queues, dtype=float)
    if q.ndim == 2:
        q = q[None]
    lo, hi = (1 - interval) / 2, 1 - (1 - interval) / 2
    rows = []
    for k, name in enumerate(names):
        x = q[:, :, k]
        rows.append(
            pd.DataFrame(
                {
                    "list": name,
                    "week": np.arange(x.shape[1]),
                    "mean": x.mean(axis=0),
                    "low": np.quantile(x, lo, axis=0),
                    "high": np.quantile(x, hi, axis=0),
                    "runs": x.shape[0],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def waiting_plot(
    queues: np.ndarray,
    names: Sequence[str] = QUEUE_NAMES,
    interval: float = 0.95,
    start_year: int | None = None,
    skip_empty: bool = True,
):
    """Waiting lists over time (persons waiting for each kind of place, each week)."""
    table = waiting_table(queues, names, interval)
    if skip_empty:
        busy = table.groupby("list")["high"].max()
        table = table[table["list"].map(busy) > 0]
    fig, ax = new_figure(8.0, 4.0)
    x_of = (lambda w: start_year + w / WEEKS_PER_YEAR) if start_year is not None else (lambda w: w)
    for k, name in enumerate(names):
        d = table[table["list"] == name]
        if d.empty:
            continue
        colour = PALETTE[k % len(PALETTE)]
        ax.plot(x_of(d["week"]), d["mean"], color=colour, label=_label(name))
        if int(d["runs"].iloc[0]) > 1:
            ax.fill_between(x_of(d["week"]), d["low"], d["high"], color=colour, alpha=0.18, lw=0)
    ax.set_title("Waiting lists")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year" if start_year is not None else "week")
    ax.set_ylabel("persons waiting")
    ax.set_ylim(bottom=0)
    if not ax.get_lines():
        ax.text(0.5, 0.5, "no one waited", transform=ax.transAxes, ha="center", color="grey")
    else:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig
