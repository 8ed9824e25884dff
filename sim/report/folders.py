"""Which kind of results folder a path holds, and writing the report of one.

:func:`folder_report` recognises the folder by its files, builds the report with the
module of that kind (which reads the folder and nothing else), and only then writes
the figures, ``report.md`` and ``report.html``, each atomically. Nothing is written
unless the whole folder could be read.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sim.report.blocks import Report
from sim.report.kinds import BUILDERS
from sim.report.render_html import to_html
from sim.report.render_markdown import to_markdown
from sim.results_io import atomic_write, write_text
from sim.scenario.errors import ScenarioError

#: Files that make a folder of each kind (all must exist), in the order kinds are tried.
KIND_FILES: dict[str, tuple[str, ...]] = {
    "plan": ("manifest.json", "plan.json", "frontier.csv", "targets.csv"),
    "compare": ("manifest.json", "comparison.csv", "verdicts.csv", "runs.csv"),
    "psa": ("manifest.json", "draws.csv", "summary.csv", "ceac_evpi.csv"),
    "calibration": ("manifest.json", "fit.csv", "fit.json"),
    "sensitivity": ("manifest.json",),  # and one_way.csv or sobol.csv
    "batch": ("manifest.json", "runs"),
    "run": ("manifest.json", "summary.csv", "weekly.parquet"),
}


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
                (path / f).exists() for f in ("one_way.csv", "sobol.csv")
            ):
                continue
            return kind
    raise ScenarioError(
        "not a homesim results folder: expected the files of a run (manifest.json, "
        "summary.csv, weekly.parquet), a batch (manifest.json, runs/), a comparison, "
        "a PSA, a calibration, a sensitivity analysis or a plan",
        file=str(path),
    )


def output_paths(folder: Path, out: Path | None) -> tuple[Path, Path]:
    """Return where the HTML page and its Markdown twin go.

    ``out`` (suffixes .html and .md), inside ``out`` if it is a folder, else report.html
    and report.md in ``folder``.
    """
    if out is None:
        return folder / "report.html", folder / "report.md"
    out = Path(out)
    if out.is_dir():
        return out / "report.html", out / "report.md"
    return out.with_suffix(".html"), out.with_suffix(".md")


def now() -> str:
    """The time a report is written (UTC, to the second)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def build(folder: Path, md_path: Path) -> tuple[Report, str]:
    """The report of ``folder`` (not yet written) and the kind of folder."""
    kind = detect_kind(folder)
    try:
        report = BUILDERS[kind](folder, md_path)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ScenarioError(f"cannot read this {kind} folder: {exc}", file=str(folder)) from None
    report.written = now()
    return report, kind


def write_report(report: Report, html_path: Path, md_path: Path) -> None:
    """Write the figures (where their bytes changed), the Markdown twin and the page."""
    for fig in report.figures():
        if not fig.file.exists() or fig.file.read_bytes() != fig.png:
            atomic_write(fig.file, lambda p, d=fig.png: p.write_bytes(d))
    write_text(md_path, to_markdown(report, md_path.parent))
    write_text(html_path, to_html(report))


def folder_report(folder: str | Path, out: str | Path | None = None) -> tuple[Path, str]:
    """Write the report of a results folder; returns (HTML path, kind of folder)."""
    folder = Path(folder)
    detect_kind(folder)
    html_path, md_path = output_paths(folder, Path(out) if out is not None else None)
    report, kind = build(folder, md_path)
    write_report(report, html_path, md_path)
    return html_path, kind
