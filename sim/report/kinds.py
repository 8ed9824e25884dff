"""The report builder of each kind of results folder: (folder, Markdown path) -> Report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sim.report import calibrate, compare, plan, psa, runs
from sim.report.blocks import Report

BUILDERS: dict[str, Callable[[Path, Path], Report]] = {
    "compare": compare.build,
    "run": runs.build_run,
    "batch": runs.build_batch,
    "psa": psa.build,
    "calibration": calibrate.build_calibration,
    "sensitivity": calibrate.build_sensitivity,
    "plan": plan.build,
}
