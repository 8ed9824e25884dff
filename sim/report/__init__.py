"""Reports of results folders: one self-contained HTML page and a Markdown twin.

One renderer for every kind of folder (run, batch, compare, psa, calibrate,
sensitivity): a module per kind builds a :class:`~sim.report.blocks.Report` of typed
blocks from the folder's files alone, and :mod:`render_html` and
:mod:`render_markdown` write it. ``homesim compare`` and ``homesim report`` of its
folder write the same report.
"""

from __future__ import annotations

from sim.report.comparison import build_report, write_comparison
from sim.report.folders import detect_kind, folder_report

__all__ = ["build_report", "detect_kind", "folder_report", "write_comparison"]
