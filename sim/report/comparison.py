"""Writing a comparison to a results folder, then its report.

The report is the same as ``homesim report`` writes of that folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sim.report.compare import TABLES
from sim.report.folders import folder_report
from sim.results_io import manifest, write_csv, write_json

if TYPE_CHECKING:
    from sim.compare import Comparison


def write_comparison(cmp: Comparison, out: Path, command: str | None = None) -> Path:
    """Write the tables and manifest of ``cmp`` to ``out``, then the report.

    Returns the path of report.html.
    """
    out = Path(out)
    for name in TABLES:
        write_csv(out / f"{name}.csv", _table(cmp, name))
    seeds = {
        "root": cmp.settings.get("seed", 0),
        "replications": cmp.settings.get("replications"),
        "derivation": "SeedSequence(root, spawn_key=(replication,)), the same for "
        "every scenario (common random numbers)",
    }
    write_json(
        out / "manifest.json",
        manifest(
            cmp.scenarios,
            seeds,
            command=command or "sim.compare",
            extra={
                "comparison": {"base": cmp.base, "alternatives": cmp.alternatives, **cmp.settings}
            },
        ),
    )
    return build_report(out)


def _table(cmp: Comparison, name: str):
    return cmp.table if name == "comparison" else getattr(cmp, name)


def build_report(path: Path) -> Path:
    """Write report.html and report.md (and the figures) of a results folder."""
    return folder_report(path)[0]
