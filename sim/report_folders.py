"""A report of any results folder: one self-contained HTML page and a Markdown twin.

:func:`folder_report` recognises the kind of folder by its files, reads it (and
nothing else), and writes ``report.html`` (styles inline, figures as base64 PNG) and
``report.md`` next to the results, or where ``out`` says. Kinds:

- ``compare`` (``homesim compare``: comparison.csv, verdicts.csv): the comparison
  report of :mod:`sim.report` (its blocks and figures), rebuilt from the saved tables;
- ``run`` (``homesim run``: manifest.json, summary.csv, weekly.parquet) and ``batch``
  (``homesim batch``: manifest.json, runs/): main outcomes with mean and 95% interval
  over replications, homeless stock over time, key parameters with their sources;
- ``psa`` (``homesim psa``: draws.csv, ceac_evpi.csv), ``calibration``
  (``homesim calibrate``: fit.csv, fit.json) and ``sensitivity``
  (``homesim sensitivity``: one_way.csv or sobol.csv): their tables and the figures
  they wrote.

Every report ends with the caveats and the scenarios' parameters and sources. Nothing
is written unless the whole folder could be read.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from sim import report as cmp_report
from sim.batch.store import open_results
from sim.plots.stock import TOTAL, stock_plot, stock_table
from sim.plots.style import PALETTE, new_figure
from sim.results_io import atomic_write, write_text
from sim.runner import OUTCOME_LABELS, interval_table
from sim.scenario.errors import ScenarioError

num = cmp_report.num

#: Files that make a folder of each kind (all must exist), in the order kinds are tried.
KIND_FILES: dict[str, tuple[str, ...]] = {
    "compare": ("manifest.json", "comparison.csv", "verdicts.csv", "runs.csv"),
    "psa": ("manifest.json", "draws.csv", "summary.csv", "ceac_evpi.csv"),
    "calibration": ("manifest.json", "fit.csv", "fit.json"),
    "sensitivity": ("manifest.json",),  # and one_way.csv or sobol.csv
    "batch": ("manifest.json", "runs"),
    "run": ("manifest.json", "summary.csv", "weekly.parquet"),
}

#: Top-level sections whose parameters are listed in the short parameter table
#: (``costs`` only with its own top-level items, e.g. price year and discount rate).
KEY_SECTIONS = ("setting", "places", "housing", "entries", "policies")

#: Outcomes of the main table of run and batch reports, after the yearly counts.
MAIN_OUTCOMES = ("homeless_end", "homeless_days", "housed_days", "people_ever_homeless",
                 "chronic_homeless_end", "spell_weeks_median", "kept_home_12m",
                 "kept_home_24m", "evictions", "cost_total_discounted")

LABELS = {**OUTCOME_LABELS,
          "people_ever_homeless": "people homeless at some time (horizon)",
          "chronic_homeless_end": "chronically homeless at the end",
          "evictions": "evictions (horizon)",
          "cost_total_discounted": "total cost, discounted"}

#: Most stock figures drawn in one report (one per scenario or sweep point).
MAX_STOCK_FIGURES = 6

Block = tuple[str, Any]


@dataclass
class Figure:
    """A figure of the report: PNG bytes, and the file the Markdown twin links to."""

    title: str
    png: bytes
    file: Path


# ---------------------------------------------------------------- entry points

def detect_kind(path: Path) -> str:
    """The kind of results folder at ``path``; ScenarioError if it is none."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError("no such folder", file=str(path))
    if not path.is_dir():
        raise ScenarioError("expected a results folder, got a file", file=str(path))
    for kind, files in KIND_FILES.items():
        if all((path / f).exists() for f in files):
            if kind == "sensitivity" and not any(
                    (path / f).exists() for f in ("one_way.csv", "sobol.csv")):
                continue
            return kind
    raise ScenarioError(
        "not a homesim results folder: expected the files of a run (manifest.json, "
        "summary.csv, weekly.parquet), a batch (manifest.json, runs/), a comparison, "
        "a PSA, a calibration or a sensitivity analysis", file=str(path))


def output_paths(folder: Path, out: Path | None) -> tuple[Path, Path]:
    """Where the HTML page and its Markdown twin go: ``out`` (suffixes .html and .md),
    inside ``out`` if it is a folder, else report.html and report.md in ``folder``."""
    if out is None:
        return folder / "report.html", folder / "report.md"
    out = Path(out)
    if out.is_dir():
        return out / "report.html", out / "report.md"
    return out.with_suffix(".html"), out.with_suffix(".md")


def folder_report(folder: str | Path, out: str | Path | None = None) -> tuple[Path, str]:
    """Write the report of a results folder; returns (HTML path, kind of folder)."""
    folder = Path(folder)
    kind = detect_kind(folder)
    html_path, md_path = output_paths(folder, Path(out) if out is not None else None)
    try:
        blocks, figures = BUILDERS[kind](folder, md_path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScenarioError(f"cannot read this {kind} folder: {exc}", file=str(folder)
                            ) from None
    for fig in figures.values():
        if not fig.file.exists() or fig.file.read_bytes() != fig.png:
            atomic_write(fig.file, lambda p, d=fig.png: p.write_bytes(d))
    write_text(md_path, to_markdown(blocks, figures, md_path.parent))
    write_text(html_path, to_html(blocks, figures))
    return html_path, kind


def compare_blocks(folder: Path, md_path: Path) -> tuple[list[Block], dict[str, Figure]]:
    """Report of a ``homesim compare`` folder: the comparison report of :mod:`sim.report`
    (same tables, text and figures), followed by the caveats and the parameters."""
    f = cmp_report.read_folder(folder)
    missing = [n for n in ("runs", "differences", "comparison", "nmb", "verdicts",
                           "yearly", "weekly") if n not in f.tables]
    if missing:
        raise ValueError(f"no {', '.join(f'{n}.csv' for n in missing)}")
    blocks = [("fig", body[0]) if kind == "img" else (kind, body)
              for kind, body in cmp_report.report_blocks(f)]
    pngs = cmp_report.draw_figures(f)  # also (re)writes the PNGs beside the tables
    figures = {name: Figure(title, pngs[name], folder / name)
               for name, title in cmp_report.FIGURES.items()}
    blocks += caveat_blocks("compare", None) + parameter_blocks(f.manifest)
    return blocks, figures


# ---------------------------------------------------------------- run and batch folders

def run_blocks(folder: Path, md_path: Path) -> tuple[list[Block], dict[str, Figure]]:
    """Report of a ``homesim run`` folder: one scenario, a row per replication."""
    man = _manifest(folder)
    summary = pd.read_csv(folder / "summary.csv").copy()  # copy: one block, not many
    weekly = pd.read_parquet(folder / "weekly.parquet")
    summary = summary.assign(group=summary["scenario"].astype(str))
    weekly = weekly.assign(group=weekly["scenario"].astype(str))
    seeds = man.get("seeds", {})
    intro = (f"{_names(man)}: {summary['replication'].nunique()} replications over "
             f"{man.get('years', '?')} years (root seed {seeds.get('root', '?')}; "
             f"replication k uses {seeds.get('derivation', 'its own seed')}). "
             f"Command: {man.get('command', '?')}; homesim {man.get('version', '?')}, "
             f"{man.get('started', '')}.")
    blocks: list[Block] = [("h1", f"Results: {_names(man)}"), ("p", intro)]
    return _runs_body(blocks, man, summary, weekly, md_path, "run")


def batch_blocks(folder: Path, md_path: Path) -> tuple[list[Block], dict[str, Figure]]:
    """Report of a ``homesim batch`` folder: scenarios, sweep points, replications."""
    res = open_results(folder)
    man = res.manifest
    summary = res.summary
    points = pd.DataFrame(man.get("points", []))
    if summary.empty:
        summary = pd.DataFrame(columns=["scenario", "point", "replication", "group"])
    planned = points if len(points) and "scenario" in points else summary
    by_point = bool(len(planned)) and bool(
        (planned.groupby("scenario")["point"].nunique() > 1).any())
    summary = summary.assign(group=_group_labels(summary, by_point))
    weekly = res.weekly
    if len(weekly):
        weekly = weekly.assign(group=_group_labels(weekly, by_point))
    seeds = man.get("seeds", {})
    title = (man["batch"].get("name") if isinstance(man.get("batch"), dict) else None
             ) or folder.name
    intro = (f"Batch {title}: {len(summary)} finished runs, {len(res.failures)} failed, of "
              f"{man.get('runs', '?')} planned; horizon "
              f"{man.get('years') or 'as in each scenario'} years; root seed "
              f"{seeds.get('root', '?')}, seeds {seeds.get('mode', '?')} "
              f"({seeds.get('derivation', '')}). Command: {man.get('command', '?')}; "
              f"homesim {man.get('version', '?')}, {man.get('started', '')}.")
    blocks: list[Block] = [("h1", f"Batch {title}: {_names(man)}"),
                           ("p", intro)]
    if len(points) and "overrides" in points:
        blocks += [("h2", "Sweep points"),
                   ("p", "Each point runs its scenario with these values changed "
                         "(parameters below are the scenarios before these changes)."),
                   ("table", pd.DataFrame({
                       "point": points["point"], "scenario": points["scenario"],
                       "changed": [", ".join(f"{k} = {_value(v)}" for k, v in o.items())
                                   or "(none)" for o in points["overrides"]]}))]
    if len(res.failures):
        fails = res.failures[["scenario", "point", "replication", "error", "message"]]
        blocks += [("h2", "Failed runs"), ("table", fails.head(20))]
    return _runs_body(blocks, man, summary, weekly, md_path, "batch")


def _group_labels(df: pd.DataFrame, by_point: bool) -> pd.Series:
    names = df["scenario"].astype(str)
    if not by_point:
        return names
    return names + ", point " + df["point"].astype(str)


def _runs_body(blocks: list[Block], man: dict, summary: pd.DataFrame, weekly: pd.DataFrame,
               md_path: Path, kind: str) -> tuple[list[Block], dict[str, Figure]]:
    """Main outcomes, stock figures, caveats and parameters of run and batch folders."""
    figures: dict[str, Figure] = {}
    cur = _currency(man)
    if summary.empty:
        blocks.append(("p", "No finished runs in this folder."))
    else:
        blocks += [("h2", "Main outcomes (mean and 95% interval over replications)"),
                   ("table", outcome_table(summary, cur)),
                   ("p", "Mean over replications; the interval runs from the 2.5th to the "
                         "97.5th percentile of the replications (chance in the model only). "
                         "'column' names the column of summary.csv.")]
    groups = list(dict.fromkeys(weekly["group"])) if len(weekly) else []
    if groups:
        blocks.append(("h2", "Homeless people over time"))
        if len(groups) > 1:
            figures["total"] = _figure(total_plot(weekly, groups),
                                       "All homeless, by scenario or point",
                                       _fig_path(md_path, "total"))
            blocks.append(("fig", "total"))
        for g in groups[:MAX_STOCK_FIGURES]:
            key = f"stock_{_slug(g)}"
            w = weekly[weekly["group"] == g].assign(scenario=g)
            figures[key] = _figure(stock_plot(w, scenario=g), f"Homeless people by "
                                   f"situation: {g}", _fig_path(md_path, key))
            blocks.append(("fig", key))
        if len(groups) > MAX_STOCK_FIGURES:
            blocks.append(("p", f"Stock figures of {len(groups) - MAX_STOCK_FIGURES} more "
                                "scenarios or points are left out."))
        blocks.append(("p", "Lines are means over replications, bands the 2.5th-97.5th "
                            "percentiles of single runs. Waiting lists are not stored in "
                            f"{kind} folders."))
    elif kind == "batch" and not summary.empty:
        blocks.append(("p", "This batch stored no weekly counts (outputs: weekly: false)."))
    blocks += caveat_blocks(kind, summary) + parameter_blocks(man)
    return blocks, figures


def main_columns(summary: pd.DataFrame) -> list[str]:
    """Yearly counts (point-in-time, shelter users) then the main outcomes present."""
    yearly = [c for c in summary.columns if c.startswith(("pit_", "shelter_users_"))
              and c.rsplit("_", 1)[-1].isdigit()]
    cols = [*yearly, *[c for c in MAIN_OUTCOMES if c in summary.columns]]
    if "cost_total_discounted" in cols and not summary["cost_total_discounted"].any():
        cols.remove("cost_total_discounted")  # no unit costs given
    return cols


def outcome_label(column: str, currency: str = "DKK") -> str:
    """Words for a summary column."""
    head, _, year = column.rpartition("_")
    if head == "pit" and year.isdigit():
        return f"homeless at the national count, {year}"
    if head == "shelter_users" and year.isdigit():
        return f"shelter (§110) users in {year}"
    label = LABELS.get(column, column.replace("_", " "))
    return f"{label} ({currency})" if column.startswith("cost") else label


def outcome_table(summary: pd.DataFrame, currency: str = "DKK") -> pd.DataFrame:
    """Mean and 95% interval over replications of the main outcomes, per group."""
    it = interval_table(summary.assign(scenario=summary["group"]), main_columns(summary))
    return pd.DataFrame({
        "scenario": it["scenario"], "outcome": [outcome_label(c, currency)
                                                for c in it["outcome"]],
        "column": it["outcome"], "mean": it["mean"].map(num),
        "2.5%": it["low"].map(num), "97.5%": it["high"].map(num),
        "runs": it["runs"].astype(int)})


def total_plot(weekly: pd.DataFrame, groups: list[str]):
    """All homeless over time, one line and band per scenario or sweep point."""
    fig, ax = new_figure(8.0, 4.5)
    for k, g in enumerate(groups):
        t = stock_table(weekly[weekly["group"] == g].assign(scenario=g))
        t = t[t["situation"] == TOTAL]
        colour = PALETTE[k % len(PALETTE)]
        ax.plot(t["time"], t["mean"], color=colour, label=g)
        ax.fill_between(t["time"], t["low"], t["high"], color=colour, alpha=0.15, lw=0)
    ax.set_title("All homeless (mean and 95% interval of runs)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year")
    ax.set_ylabel("persons (weekly count)")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- PSA, calibration, sensitivity

def psa_blocks(folder: Path, md_path: Path) -> tuple[list[Block], dict[str, Figure]]:
    """Report of a ``homesim psa`` folder: summary, CEAC and EVPI, draws, figures."""
    man = _manifest(folder)
    summ = pd.read_csv(folder / "summary.csv")
    cur = pd.read_csv(folder / "ceac_evpi.csv")
    draws = pd.read_csv(folder / "draws.csv")
    names = list(man.get("scenarios", {}))
    seeds = man.get("seeds", {})
    better = "higher" if man.get("direction") == "higher" else "lower"
    effect = f"{man.get('effect', 'effect')} ({better} is better)"
    blocks: list[Block] = [
        ("h1", f"Probabilistic sensitivity analysis: {_names(man)}"),
        ("p", f"{man.get('draws', len(draws))} parameter draws ({man.get('sampling', '?')}"
              f" sampling), each run {seeds.get('replications', '?')} time(s) for every "
              f"scenario with {seeds.get('noise', '?')} noise; base {names[0] if names else '?'}"
              f". Cost: {man.get('cost', '?')}; effect: {effect}; the gain is signed so "
              "that positive is better. Command: "
              f"{man.get('command', '?')}; homesim {man.get('version', '?')}."),
        ("h2", "Incremental cost and effect gain (mean and 95% interval over draws)"),
        ("table", pd.DataFrame({
            "alternative": summ["alternative"], "draws": summ["draws"],
            "incremental cost": summ["d_cost_mean"].map(num),
            "cost 95% interval": _interval(summ["d_cost_low"], summ["d_cost_high"]),
            "effect gain": summ["gain_mean"].map(num),
            "gain 95% interval": _interval(summ["gain_low"], summ["gain_high"]),
            "ICER of means": summ["icer_of_means"].map(num),
            "P(saves money)": summ["p_cost_saving"].map(_share),
            "P(gains)": summ["p_gain"].map(_share),
            "P(dominant)": summ["p_dominant"].map(_share)})),
        ("h2", "Acceptability and value of information by willingness to pay"),
        ("table", ceac_frame(_thin(cur, 7))),
        ("p", "P(scenario best): share of draws in which it has the highest net "
              "benefit (willingness to pay x gain - cost). EVPI: expected value of perfect "
              "information, for the modelled population, per person and for the "
              "population given. Every willingness to pay is in ceac_evpi.csv.")]
    params = [c for c in draws.columns if c != "draw"]
    if params:
        sources = {p: _source_of(man, p) for p in params}
        blocks += [("h2", "Parameters drawn"),
                   ("table", pd.DataFrame({
                       "parameter": params,
                       "mean": [num(draws[p].mean()) for p in params],
                       "2.5%": [num(draws[p].quantile(0.025)) for p in params],
                       "97.5%": [num(draws[p].quantile(0.975)) for p in params],
                       "source": [sources[p] for p in params]}))]
    else:
        blocks.append(("p", "No parameter of these scenarios has a distribution: every "
                            "draw used the values as written, so the spread is chance only."))
    figures = _existing_figures(folder, {"ce_plane.png": "Cost-effectiveness plane",
                                         "ceac.png": "Cost-effectiveness acceptability curves",
                                         "evpi.png": "Expected value of perfect information"})
    blocks += _figure_blocks(figures)
    blocks.append(("p", "Files: draws.csv, outcomes.csv, incremental.csv, summary.csv, "
                        "ceac_evpi.csv, manifest.json."))
    blocks += caveat_blocks("psa", None) + parameter_blocks(man)
    return blocks, figures


def ceac_frame(cur: pd.DataFrame) -> pd.DataFrame:
    """Rows of ceac_evpi.csv for people: probabilities as percentages, DKK rounded."""
    out = pd.DataFrame({"willingness to pay (DKK per unit)": cur["wtp"].map(num)})
    for c in cur.columns:
        if c.startswith("p_"):
            out[f"P({c.removeprefix('p_')} best)"] = cur[c].map(_share)
    for c, label in (("evpi_modelled", "EVPI, population modelled (DKK)"),
                     ("evpi_per_person", "EVPI per person (DKK)"),
                     ("evpi_population", "EVPI, population given (DKK)")):
        if c in cur:
            out[label] = cur[c].map(num)
    return out


def calibration_blocks(folder: Path, md_path: Path) -> tuple[list[Block], dict[str, Figure]]:
    """Report of a ``homesim calibrate`` folder: fitted values, fit to each target."""
    man = _manifest(folder)
    fit = pd.read_csv(folder / "fit.csv")
    stats = json.loads((folder / "fit.json").read_text(encoding="utf-8"))
    values = stats.get("values", {})
    blocks: list[Block] = [
        ("h1", f"Calibration: {_names(man)}"),
        ("p", f"Targets: {man.get('targets', '?')}. Method {stats.get('method', '?')}, "
              f"{stats.get('evaluations', '?')} evaluations of "
              f"{man.get('seeds', {}).get('replications', '?')} replications each "
              f"({stats.get('seconds', '?')} s). Command: {man.get('command', '?')}; "
              f"homesim {man.get('version', '?')}."),
        ("h2", "Fit"),
        ("ul", [f"distance (sum of squared z-scores): {num(stats.get('distance'))} over "
                f"{stats.get('targets', len(fit))} targets",
                f"root mean square z: {num(stats.get('rmse_z'))}; largest |z|: "
                f"{num(stats.get('max_abs_z'))}",
                f"mean absolute relative error: {_share(stats.get('mean_abs_rel_error'))}",
                "observed figures inside the runs' 95% interval: "
                f"{_share(stats.get('observed_inside_95_interval'))}",
                *([f"left out (outside the run): {', '.join(stats['left_out'])}"]
                  if stats.get("left_out") else [])]),
        ("h2", "Fitted values"),
        ("table", pd.DataFrame({"parameter": list(values),
                                "fitted value": [_value(v) for v in values.values()],
                                "as written": [_value(_as_written(man, p)) for p in values],
                                "source as written": [_source_of(man, p) for p in values]})),
        ("h2", "Observed against simulated"),
        ("table", _format_frame(fit)),
        ("p", "mean, low, high: simulated mean and 95% of runs at the fitted values; "
              "z = (mean - observed) / sd.")]
    if (folder / "posterior.csv").exists():
        post = pd.read_csv(folder / "posterior.csv")
        cols = [c for c in post.columns if "." in c]
        blocks += [("h2", f"Posterior sample ({len(post)} draws)"),
                   ("table", pd.DataFrame({
                       "parameter": cols, "mean": [num(post[c].mean()) for c in cols],
                       "2.5%": [num(post[c].quantile(0.025)) for c in cols],
                       "97.5%": [num(post[c].quantile(0.975)) for c in cols]}))]
    figures = _existing_figures(folder, {"fit.png": "Observed against simulated"})
    blocks += _figure_blocks(figures)
    yamls = sorted(p.name for p in folder.glob("*.yaml"))
    blocks.append(("p", "Files: fit.csv, fit.json, trace.csv, manifest.json"
                        + "".join(f", {y}" for y in yamls) + "."))
    blocks += caveat_blocks("calibration", None) + parameter_blocks(man)
    return blocks, figures


def sensitivity_blocks(folder: Path, md_path: Path) -> tuple[list[Block], dict[str, Figure]]:
    """Report of a ``homesim sensitivity`` folder: its table and figure."""
    man = _manifest(folder)
    blocks: list[Block] = [
        ("h1", f"Sensitivity analysis: {_names(man)}"),
        ("p", f"Method {man.get('method', '?')}, outcome {man.get('outcome', '?')}, "
              f"{man.get('seeds', {}).get('replications', '?')} replication(s) per "
              f"evaluation. Command: {man.get('command', '?')}; homesim "
              f"{man.get('version', '?')}.")]
    for name, title in (("one_way.csv", "One-way sensitivity (largest swings first)"),
                        ("sobol.csv", "Sobol indices")):
        if (folder / name).exists():
            t = pd.read_csv(folder / name)
            if "parameter" in t:
                t["source"] = [_source_of(man, str(x)) for x in t["parameter"]]
            blocks += [("h2", title), ("table", _format_frame(t.head(25)))]
            if len(t) > 25:
                blocks.append(("p", f"{len(t) - 25} more rows in {name}."))
    figures = _existing_figures(folder, {"tornado.png": "Tornado plot",
                                         "sobol.png": "Sobol indices"})
    blocks += _figure_blocks(figures)
    blocks += caveat_blocks("sensitivity", None) + parameter_blocks(man)
    return blocks, figures


BUILDERS: dict[str, Callable[[Path, Path], tuple[list[Block], dict[str, Figure]]]] = {
    "compare": compare_blocks, "run": run_blocks, "batch": batch_blocks, "psa": psa_blocks,
    "calibration": calibration_blocks, "sensitivity": sensitivity_blocks}


# ---------------------------------------------------------------- parameters and caveats

def parameter_leaves(node: Any, path: str = "") -> Iterator[tuple[str, Any, dict]]:
    """(dotted path, value, {source, low, high, dist}) of every leaf of a scenario mapping.

    A ``{value: x, source: ...}`` mapping is one leaf; lists of scalars are one leaf;
    lists of mappings are walked with ``[i]`` in the path.
    """
    if isinstance(node, dict) and "value" in node:
        yield path, node["value"], {k: v for k, v in node.items() if k != "value"}
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from parameter_leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list) and any(isinstance(v, dict | list) for v in node):
        for i, v in enumerate(node):
            yield from parameter_leaves(v, f"{path}[{i}]")
    else:
        yield path, node, {}


def parameter_table(as_run: dict, key_only: bool = False) -> pd.DataFrame:
    """Parameters as run: dotted path, value, range and source (blank if none given).

    ``key_only`` keeps the sections of :data:`KEY_SECTIONS` and the top-level items
    of ``costs``.
    """
    rows = []
    for path, value, meta in parameter_leaves(as_run):
        top = path.split(".", 1)[0].split("[", 1)[0]
        if top in ("name", "description", "extends"):
            continue
        if key_only and not (top in KEY_SECTIONS
                             or (top == "costs" and path.count(".") == 1 and "[" not in path)):
            continue
        rng = (f"{_value(meta['low'])} to {_value(meta['high'])}"
               if "low" in meta and "high" in meta else "")
        if "dist" in meta and isinstance(meta["dist"], dict):
            rng = (rng + "; " if rng else "") + ", ".join(
                f"{k}{list(v) if isinstance(v, list) else v}" for k, v in meta["dist"].items())
        rows.append({"parameter": path, "value": _value(value), "range": rng,
                     "source": str(meta.get("source", ""))})
    df = pd.DataFrame(rows, columns=["parameter", "value", "range", "source"])
    if key_only:  # sections in the order of KEY_SECTIONS, costs last
        order = {k: i for i, k in enumerate(KEY_SECTIONS)}
        rank = df["parameter"].map(lambda x: order.get(x.split(".", 1)[0], len(order)))
        df = df.iloc[np.argsort(rank.to_numpy(), kind="stable")].reset_index(drop=True)
    return df


def parameter_blocks(man: dict) -> list[Block]:
    """Key parameters of each scenario with their sources, and the full list folded."""
    blocks: list[Block] = [("h2", "Scenario parameters and their sources")]
    for name, sc in man.get("scenarios", {}).items():
        as_run = sc.get("as_run", {})
        desc = as_run.get("description")
        blocks += [("h3", f"{name} ({sc.get('file') or 'given as a mapping'}, hash "
                          f"{str(sc.get('hash', ''))[:12]})")]
        if desc:
            blocks.append(("p", str(desc).strip()))
        blocks += [("table", parameter_table(as_run, key_only=True)),
                   ("details", (f"All parameters of {name}", parameter_table(as_run)))]
    blocks.append(("p", "Parameters are those of the scenario as run (after 'extends' and "
                        "overrides). A source that starts with 'assumption' marks a figure "
                        "that is not published; a blank source means none was given."))
    return blocks


def caveat_blocks(kind: str, summary: pd.DataFrame | None) -> list[Block]:
    """What the numbers do and do not say."""
    items = [
        "The flows between situations (weekly probabilities, entries and exits) are set "
        "by hand from published counts and stated assumptions, or fitted to a few counts "
        "by calibration; they are not estimated from individual records.",
        "The effects of support (Housing First, CTI, ICM, ACT, floating support) are "
        "multipliers on weekly probabilities, set so that the model lands near outcomes "
        "published in evaluations (such as the share who keep their home); they are not "
        "causal estimates for this municipality.",
        "The national count's definition of homelessness is used: the count is taken in "
        "one week of the year; 'at the count' figures are that week's stock.",
        "Unit costs, where given, are prices from the scenario files with their sources; "
        "costs are discounted as the scenario says.",
    ]
    if kind == "psa":
        items.append("The spread over draws covers the parameters with a distribution "
                     "(and chance, with fresh noise); parameters without one are held at "
                     "their values, so the intervals are narrower than the true "
                     "uncertainty.")
    elif kind == "calibration":
        items.append("Fitted values are one set that reproduces the targets; with few "
                     "targets several parameters are weakly identified, so treat them as "
                     "a consistent set, not as estimates.")
    elif kind == "sensitivity":
        items.append("Only parameters given a range or a distribution are varied; the "
                     "others are held at their values. One-way results ignore "
                     "interactions between parameters; Sobol indices cover them.")
    elif kind == "compare":
        items.append("The intervals of the comparison are those of the mean over "
                     "replications, from chance in the model (Monte Carlo) only. They do "
                     "not include uncertainty in the input figures; a probabilistic "
                     "sensitivity analysis (homesim psa) does.")
    else:
        items.append("Intervals are Monte Carlo intervals: the spread of single "
                     "replications due to chance in the model. They do not include "
                     "uncertainty in the input figures; a probabilistic sensitivity "
                     "analysis (homesim psa) does.")
        if summary is not None and len(summary):
            runs = int(summary.groupby("group")["replication"].nunique().min())
            if runs < 40:
                items.append(f"With {runs} replication(s) per scenario or point the 2.5th "
                             "and 97.5th percentiles lie between the most extreme runs: the "
                             "interval ends are rough. Use more replications (40 or more) "
                             "for final figures.")
    return [("h2", "Caveats"), ("ul", items)]


# ---------------------------------------------------------------- rendering

def to_markdown(blocks: list[Block], figures: dict[str, Figure], base: Path) -> str:
    """Markdown twin: figures link to their PNG files (relative to ``base``)."""
    plain: list[Block] = []
    for kind, body in blocks:
        if kind == "h3":
            plain.append(("p", f"### {body}"))
        elif kind == "fig":
            fig = figures[body]
            plain.append(("img", (_rel(fig.file, base), fig.title)))
        elif kind == "details":  # folded where Markdown allows HTML (as on GitHub)
            plain += [("p", f"<details><summary>{html.escape(body[0])} ({len(body[1])})"
                            "</summary>"), ("table", body[1]), ("p", "</details>")]
        else:
            plain.append((kind, body))
    return cmp_report.to_markdown(plain)


_EXTRA_CSS = ("details{margin:1rem 0}summary{cursor:pointer;font-weight:600}"
              "h3{margin-top:1.5rem}td{vertical-align:top}"
              "table.sources td:last-child{min-width:14rem}")


def to_html(blocks: list[Block], figures: dict[str, Figure]) -> str:
    """A self-contained page: styles inline, figures as base64 data URIs."""
    esc = html.escape
    title = next((b for k, b in blocks if k == "h1"), "Results")
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}"
           f"</title><style>{cmp_report._CSS}{_EXTRA_CSS}</style></head><body>"]
    for kind, body in blocks:
        if kind in ("h1", "h2", "h3", "p"):
            out.append(f"<{kind}>{esc(body)}</{kind}>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in body) + "</ul>")
        elif kind == "table":
            out.append(_html_table(body))
        elif kind == "details":
            out.append(f"<details><summary>{esc(body[0])} ({len(body[1])})</summary>"
                       f"{_html_table(body[1])}</details>")
        elif kind == "fig":
            fig = figures[body]
            data = base64.b64encode(fig.png).decode("ascii")
            out.append(f"<figure><img alt='{esc(fig.title)}' src='data:image/png;base64,"
                       f"{data}'><figcaption>{esc(fig.title)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out)


def _html_table(df: pd.DataFrame) -> str:
    """A table; one whose last column is a source gets room for the text."""
    if df.empty:
        return "<p>(none)</p>"
    wide = len(df.columns) > 0 and str(df.columns[-1]) == "source"
    return df.to_html(index=False, border=0, escape=True, classes="sources" if wide else None)


# ---------------------------------------------------------------- small helpers

def _manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"manifest.json is not valid JSON ({exc})") from None


def _names(man: dict) -> str:
    return ", ".join(man.get("scenarios", {})) or "(no scenario)"


def _currency(man: dict) -> str:
    for sc in man.get("scenarios", {}).values():
        cur = sc.get("as_run", {}).get("costs", {}).get("currency")
        if isinstance(cur, str):
            return cur
    return "DKK"


def _find(man: dict, path: str) -> Any:
    """The leaf at dotted ``path`` of the first scenario that has it (or None)."""
    for sc in man.get("scenarios", {}).values():
        node: Any = sc.get("as_run", {})
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


def _source_of(man: dict, path: str) -> str:
    leaf = _find(man, path)
    return str(leaf.get("source", "")) if isinstance(leaf, dict) else ""


def _as_written(man: dict, path: str) -> Any:
    leaf = _find(man, path)
    return leaf.get("value") if isinstance(leaf, dict) else leaf


def _value(v: Any) -> str:
    """A parameter value as written: numbers to six significant digits, lists joined."""
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v).lower()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list):
        return ", ".join(_value(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_value(x)}" for k, x in v.items())
    return str(v)


def _share(x: Any) -> str:
    try:
        return f"{100 * float(x):.0f}%"
    except (TypeError, ValueError):
        return ""


def _interval(low: pd.Series, high: pd.Series) -> list[str]:
    return [f"{num(a)} to {num(b)}" for a, b in zip(low, high, strict=True)]


def _thin(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """About ``n`` evenly spaced rows, first and last included."""
    if len(df) <= n:
        return df
    idx = np.unique(np.linspace(0, len(df) - 1, n).round().astype(int))
    return df.iloc[idx].reset_index(drop=True)


def _format_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Numbers in float columns written for people (integers and text as they are)."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(num)
    return out


def _existing_figures(folder: Path, names: dict[str, str]) -> dict[str, Figure]:
    return {n: Figure(t, (folder / n).read_bytes(), folder / n)
            for n, t in names.items() if (folder / n).exists()}


def _figure_blocks(figures: dict[str, Figure]) -> list[Block]:
    return [("h2", "Figures"), *(("fig", k) for k in figures)] if figures else []


def _figure(fig: Any, title: str, file: Path) -> Figure:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return Figure(title, buf.getvalue(), file)


def _fig_path(md_path: Path, key: str) -> Path:
    return md_path.with_name(f"{md_path.stem}_{key}.png")


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name.lower()).strip("_")


def _rel(file: Path, base: Path) -> str:
    return Path(os.path.relpath(file.resolve(), base.resolve())).as_posix()
