"""The reports of ``homesim run`` and ``homesim batch`` folders: outcomes over runs.

A run folder holds one scenario (a row per replication), a batch folder scenarios and
sweep points. First screen: how many are homeless at the end and how many were
homeless at some time (the verdict), the main outcome table of the first scenario or
point, and homeless people over time. Outcomes are means over replications, rounded
at the place their 95% interval supports, beside the 2.5th and 97.5th percentiles of
single runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from sim.batch.store import open_results
from sim.plots.stock import TOTAL, stock_plot, stock_table
from sim.report.blocks import Block, Details, Heading, Notes, Report, Table, Verdict, table
from sim.report.caveats import caveat_blocks
from sim.report.figures import from_matplotlib, total_plot
from sim.report.numbers import at_place
from sim.report.outcomes import main_columns, mean_place, other_columns, outcome_label
from sim.report.reading import about_run, read_manifest
from sim.report.scenarios import (
    currency_of,
    names_of,
    parameter_blocks,
    shown_value,
    teams_of,
    titles,
)
from sim.scenario.labels import in_words, key_label, name_in_words

#: Most stock figures drawn in one report (one per scenario or sweep point).
MAX_STOCK_FIGURES = 6

OUTCOME_COLUMNS = ["outcome", "mean", "2.5%", "97.5%", "runs"]


def build_run(folder: Path, md_path: Path) -> Report:
    """Report of a ``homesim run`` folder: one scenario, a row per replication."""
    man = read_manifest(folder)
    summary = pd.read_csv(folder / "summary.csv")
    weekly = pd.read_parquet(folder / "weekly.parquet")
    names = titles(man, names_of(man) or list(dict.fromkeys(summary["scenario"])))
    summary = summary.assign(group=summary["scenario"].astype(str))
    weekly = weekly.assign(group=weekly["scenario"].astype(str))
    seeds = man.get("seeds", {})
    intro = (
        f"{summary['replication'].nunique()} replications over "
        f"{man.get('years', '?')} years (root seed {seeds.get('root', '?')})."
    )
    made = f"Replication k uses {seeds.get('derivation', 'its own seed')}. " + about_run(man)
    title = ", ".join(names.values()) or "(no scenario)"
    return Report(title, intro, runs_body(man, summary, weekly, names, md_path, "run", made=made))


def build_batch(folder: Path, md_path: Path) -> Report:
    """Report of a ``homesim batch`` folder: scenarios, sweep points, replications."""
    res = open_results(folder)
    man = res.manifest
    summary, weekly = res.summary, res.weekly
    points = pd.DataFrame(man.get("points", []))
    if summary.empty:
        summary = pd.DataFrame(columns=["scenario", "point", "replication"])
    planned = points if len(points) and "scenario" in points else summary
    by_point = bool(len(planned)) and bool(
        (planned.groupby("scenario")["point"].nunique() > 1).any()
    )
    short = titles(man, names_of(man))
    summary = summary.assign(group=_groups(summary, by_point))
    if len(weekly):
        weekly = weekly.assign(group=_groups(weekly, by_point))
    groups = {g: _group_title(g, short) for g in dict.fromkeys(summary["group"])}
    seeds = man.get("seeds", {})
    name = (man["batch"].get("name") if isinstance(man.get("batch"), dict) else None) or folder.name
    intro = (
        f"{len(summary)} finished runs, {len(res.failures)} failed, of "
        f"{man.get('runs', '?')} planned; horizon "
        f"{man.get('years') or 'as in each scenario'} years; root seed "
        f"{seeds.get('root', '?')}."
    )
    made = f"Seeds {seeds.get('mode', '?')} ({seeds.get('derivation', '')}). " + about_run(man)
    extra: list[Block] = []
    if len(points) and "overrides" in points:
        extra += [
            Heading("Sweep points"),
            table(
                pd.DataFrame(
                    {
                        "point": points["point"],
                        "scenario": [short.get(s, s) for s in points["scenario"]],
                        "changed": [changed(o) for o in points["overrides"]],
                    }
                ),
                note="Each point runs its scenario with these values changed "
                "(parameters below are the scenarios before these changes).",
            ),
        ]
    if len(res.failures):
        f = res.failures
        extra += [
            Heading("Failed runs"),
            table(
                pd.DataFrame(
                    {
                        "point": f["point"],
                        "scenario": [short.get(s, s) for s in f["scenario"]],
                        "replication": f["replication"],
                        "error": f["error"],
                        "message": [in_words(str(m)) for m in f["message"]],
                    }
                ).head(20)
            ),
        ]
    body = runs_body(man, summary, weekly, groups, md_path, "batch", extra, made)
    return Report(f"Batch {name}: {', '.join(short.values()) or '(no scenario)'}", intro, body)


def changed(overrides: dict) -> str:
    """The values a sweep point changes, in words."""
    return "; ".join(f"{key_label(k)} = {shown_value(v)}" for k, v in overrides.items()) or "(none)"


def _groups(df: pd.DataFrame, by_point: bool) -> pd.Series:
    names = df["scenario"].astype(str)
    return names + "#" + df["point"].astype(str) if by_point else names


def _group_title(group: str, short: dict[str, str]) -> str:
    name, _, point = group.partition("#")
    title = short.get(name, name_in_words(name))
    return f"{title}, point {point}" if point else title


def runs_body(
    man: dict,
    summary: pd.DataFrame,
    weekly: pd.DataFrame,
    groups: dict[str, str],
    md_path: Path,
    kind: str,
    extra: list[Block] | None = None,
    made: str = "",
) -> list[Block]:
    """Verdict, main outcomes, figures, caveats and parameters of run and batch folders."""
    cur, teams = currency_of(man), teams_of(man)
    blocks: list[Block] = []
    if summary.empty:
        blocks.append(Verdict(("No finished runs in this folder.",)))
    else:
        blocks.append(
            Verdict(
                tuple(
                    verdict(summary, weekly, g, t)
                    for g, t in list(groups.items())[:MAX_STOCK_FIGURES]
                )
            )
        )
        blocks += outcome_tables(summary, groups, cur, teams=teams)
    figures = stock_figures(weekly, groups, md_path)
    blocks += figures[:1]
    blocks += extra or []
    if len(figures) > 1:
        blocks += [Heading("Homeless people over time"), *figures[1:]]
    if len(groups) > MAX_STOCK_FIGURES and len(weekly):
        blocks.append(
            Notes(
                (
                    f"Stock figures of {len(groups) - MAX_STOCK_FIGURES} more "
                    "scenarios or points are left out.",
                )
            )
        )
    if not len(weekly) and kind == "batch" and not summary.empty:
        blocks.append(Notes(("This batch stored no weekly counts (outputs: weekly: false).",)))
    if not summary.empty:
        others = other_columns(summary, main_columns(summary))
        blocks.append(
            Details(
                f"Other outcomes ({len(others)})",
                tuple(outcome_tables(summary, groups, cur, others, teams)),
            )
        )
    how = [Heading("How this was made"), Notes((made,))] if made else []
    return [*blocks, *caveat_blocks(kind, summary), *how, *parameter_blocks(man)]


def verdict(summary: pd.DataFrame, weekly: pd.DataFrame, group: str, title: str) -> str:
    """Homeless at the end (and at the start), and homeless at some time, in one line."""
    s = summary[summary["group"] == group]
    parts = [f"{title}:"]
    if "homeless_end" in s:
        x = s["homeless_end"].to_numpy(float)
        place = mean_place(x)
        lo, hi = np.percentile(x, [2.5, 97.5])
        parts.append(
            f"{at_place(x.mean(), place)} people homeless at the end (95% of runs "
            f"between {at_place(lo, place)} and {at_place(hi, place)})"
        )
        start = _homeless_at_start(weekly, group)
        if start is not None:
            parts[-1] += f", against {at_place(start, max(place, 0))} at the start"
    if "people_ever_homeless" in s:
        x = s["people_ever_homeless"].to_numpy(float)
        parts.append(
            f"{'and ' if len(parts) > 1 else ''}"
            f"{at_place(x.mean(), mean_place(x))} homeless at some time"
        )
    return " ".join(parts[:1]) + " " + ", ".join(parts[1:]) + "."


def _homeless_at_start(weekly: pd.DataFrame, group: str) -> float | None:
    if not len(weekly) or "week" not in weekly:
        return None
    w = weekly[(weekly["group"] == group) & (weekly["week"] == 0)]
    if w.empty:
        return None
    t = stock_table(w.assign(scenario=group))
    t = t[t["situation"] == TOTAL]
    return float(t["mean"].iloc[0]) if len(t) else None


def outcome_rows(
    s: pd.DataFrame, columns: list[str], cur: str, teams: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Mean (rounded at its 95% interval's place), percentiles and runs of each column.

    ``teams`` (name -> label) names the support teams in the outcomes' words.
    """
    rows = []
    for c in columns:
        x = s[c].to_numpy(float)
        x = x[np.isfinite(x)]
        if not x.size:
            continue
        place = mean_place(x)
        lo, hi = np.percentile(x, [2.5, 97.5])
        rows.append(
            {
                "outcome": outcome_label(c, cur, teams),
                "mean": at_place(x.mean(), place),
                "2.5%": at_place(lo, place),
                "97.5%": at_place(hi, place),
                "runs": str(x.size),
            }
        )
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)


def outcome_tables(
    summary: pd.DataFrame,
    groups: dict[str, str],
    cur: str,
    columns: list[str] | None = None,
    teams: Mapping[str, str] | None = None,
) -> list[Table]:
    """One outcome table per scenario or point (the first is the main table)."""
    out = []
    for k, (g, title) in enumerate(groups.items()):
        s = summary[summary["group"] == g]
        cols = columns if columns is not None else main_columns(summary)
        note = (
            "Mean over replications, rounded at the place its 95% interval supports; "
            "2.5% and 97.5%: percentiles of single runs (chance in the model only)."
            if k == 0 and columns is None
            else ""
        )
        out.append(
            Table(
                outcome_rows(s, cols, cur, teams),
                caption=title,
                note=note,
                numeric=("mean", "2.5%", "97.5%", "runs"),
                main=k == 0 and columns is None,
            )
        )
    return out


def stock_figures(weekly: pd.DataFrame, groups: dict[str, str], md_path: Path) -> list:
    """All homeless by group (when there are several), then by situation per group."""
    present = [g for g in groups if len(weekly) and (weekly["group"] == g).any()]
    figs = []
    if len(present) > 1:
        figs.append(
            from_matplotlib(
                total_plot(weekly, {g: groups[g] for g in present}),
                "All homeless, by scenario or point",
                _fig_path(md_path, "total"),
                "Lines are means over replications, bands the 2.5th-97.5th percentiles of "
                "single runs; the axis starts where the data does.",
            )
        )
    for g in present[:MAX_STOCK_FIGURES]:
        w = weekly[weekly["group"] == g].assign(scenario=groups[g])
        figs.append(
            from_matplotlib(
                stock_plot(w, scenario=groups[g]),
                f"Homeless people by situation: {groups[g]}",
                _fig_path(md_path, f"stock_{_slug(g)}"),
                "Lines are means over replications, bands the 2.5th-97.5th percentiles of "
                "single runs. The axis starts at zero, where the smallest situations are.",
            )
        )
    return figs


def _fig_path(md_path: Path, key: str) -> Path:
    return md_path.with_name(f"{md_path.stem}_{key}.png")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", name.lower()).strip("_")
