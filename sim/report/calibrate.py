"""The reports of ``homesim calibrate`` and ``homesim sensitivity`` folders.

Calibration: how well the fitted values reproduce the targets (the verdict), observed
against simulated per target, the fitted values against those as written. Sensitivity:
which parameters move the outcome most (the verdict), the table and its figure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.report.blocks import Block, Heading, Notes, Report, Table, Verdict, table
from sim.report.caveats import caveat_blocks
from sim.report.figures import existing
from sim.report.numbers import num, share, value
from sim.report.outcomes import outcome_label
from sim.report.reading import about_run, read_manifest
from sim.report.scenarios import (
    as_written,
    names_of,
    parameter_blocks,
    source_of,
    teams_of,
    titles,
)
from sim.scenario.labels import key_label

#: Most rows of a sensitivity table shown (the rest are in its CSV file).
MAX_ROWS = 25


def _title(man: dict) -> str:
    return ", ".join(titles(man, names_of(man), short=False).values()) or "(no scenario)"


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    """Float columns written for people; keys and target codes in words."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(num)
        elif c == "parameter":
            out[c] = out[c].map(lambda x: key_label(str(x)))
        elif c == "target":
            out[c] = out[c].map(lambda x: outcome_label(str(x)))
    return out


def _main(t: Table) -> Table:
    return Table(t.frame, t.caption, t.note, t.numeric, main=True)


def build_calibration(folder: Path, md_path: Path) -> Report:
    """Report of a ``homesim calibrate`` folder: fit, fitted values, each target."""
    man = read_manifest(folder)
    fit = pd.read_csv(folder / "fit.csv")
    stats = json.loads((folder / "fit.json").read_text(encoding="utf-8"))
    values = stats.get("values", {})
    intro = (
        f"Targets: {man.get('targets', '?')}. Method {stats.get('method', '?')}, "
        f"{stats.get('evaluations', '?')} evaluations of "
        f"{man.get('seeds', {}).get('replications', '?')} replications each "
        f"({stats.get('seconds', '?')} s). " + about_run(man)
    )
    verdict = Verdict(
        (
            f"The fitted values put {share(stats.get('observed_inside_95_interval'))} of the "
            f"{stats.get('targets', len(fit))} observed figures inside the runs' 95% interval; "
            f"root mean square z {num(stats.get('rmse_z'))}, largest |z| "
            f"{num(stats.get('max_abs_z'))}, mean absolute relative error "
            f"{share(stats.get('mean_abs_rel_error'))}.",
        )
    )
    blocks: list[Block] = [
        verdict,
        _main(
            table(
                _frame(fit),
                caption="Observed against simulated",
                note="mean, low, high: simulated mean and 95% of runs at the fitted "
                "values; z = (mean - observed) / sd.",
            )
        ),
        *existing(folder, {"fit.png": "Observed against simulated"}),
        Heading("Fitted values"),
        table(
            pd.DataFrame(
                {
                    "parameter": [key_label(p, teams_of(man)) for p in values],
                    "fitted value": [value(v) for v in values.values()],
                    "as written": [value(as_written(man, p)) for p in values],
                    "source as written": [source_of(man, p) for p in values],
                }
            )
        ),
        Notes(
            (
                f"Distance (sum of squared z-scores): {num(stats.get('distance'))}."
                + (
                    f" Left out (outside the run): {', '.join(stats['left_out'])}."
                    if stats.get("left_out")
                    else ""
                ),
            )
        ),
    ]
    if (folder / "posterior.csv").exists():
        post = pd.read_csv(folder / "posterior.csv")
        cols = [c for c in post.columns if "." in c]
        blocks += [
            Heading(f"Posterior sample ({len(post)} draws)"),
            table(
                pd.DataFrame(
                    {
                        "parameter": [key_label(c, teams_of(man)) for c in cols],
                        "mean": [num(post[c].mean()) for c in cols],
                        "2.5%": [num(post[c].quantile(0.025)) for c in cols],
                        "97.5%": [num(post[c].quantile(0.975)) for c in cols],
                    }
                )
            ),
        ]
    yamls = sorted(p.name for p in folder.glob("*.yaml"))
    blocks.append(
        Notes(
            (
                "Files: fit.csv, fit.json, trace.csv, manifest.json"
                + "".join(f", {y}" for y in yamls)
                + ".",
            )
        )
    )
    blocks += caveat_blocks("calibration") + parameter_blocks(man)
    return Report(f"Calibration: {_title(man)}", intro, blocks)


def build_sensitivity(folder: Path, md_path: Path) -> Report:
    """Report of a ``homesim sensitivity`` folder: its table and figure."""
    man = read_manifest(folder)
    outcome = outcome_label(str(man.get("outcome", "?")))
    intro = (
        f"Method {man.get('method', '?')}, outcome {outcome}, "
        f"{man.get('seeds', {}).get('replications', '?')} replication(s) per "
        "evaluation. " + about_run(man)
    )
    blocks: list[Block] = []
    sentences = []
    for name, title in (
        ("one_way.csv", "One-way sensitivity (largest swings first)"),
        ("sobol.csv", "Sobol indices"),
    ):
        if not (folder / name).exists():
            continue
        t = pd.read_csv(folder / name)
        if "parameter" in t and len(t):
            top = key_label(str(t["parameter"].iloc[0]))
            sentences.append(f"{title.split(' (')[0]}: {top} moves {outcome} the most.")
            t["source"] = [source_of(man, str(x)) for x in t["parameter"]]
        shown = table(
            _frame(t.head(MAX_ROWS)),
            caption=title,
            note=f"{len(t) - MAX_ROWS} more rows in {name}." if len(t) > MAX_ROWS else "",
        )
        blocks.append(
            _main(shown) if not any(isinstance(b, Table) and b.main for b in blocks) else shown
        )
    figs = existing(folder, {"tornado.png": "Tornado plot", "sobol.png": "Sobol indices"})
    blocks = [Verdict(tuple(sentences) or ("No parameter was varied.",)), *blocks, *figs]
    blocks += caveat_blocks("sensitivity") + parameter_blocks(man)
    return Report(f"Sensitivity analysis: {_title(man)}", intro, blocks)
