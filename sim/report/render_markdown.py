"""A report as Markdown: the same text as the HTML page, figures linked as PNG files.

Folded sections use ``<details>``, which GitHub and most Markdown viewers show folded.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from sim.report.blocks import Block, Details, Figure, Heading, Notes, Report, Table, Verdict
from sim.report.numbers import when


def to_markdown(report: Report, base: Path) -> str:
    """The whole text; figure links are relative to ``base`` (the Markdown file's folder)."""
    parts = [
        f"# {report.title}",
        report.subtitle,
        *(_block(b, base) for b in report.blocks),
        f"Report written {when(report.written)}.",
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _block(b: Block, base: Path) -> str:
    if isinstance(b, Verdict):
        return "\n".join(f"> {s}" if i == 0 else f">\n> {s}" for i, s in enumerate(b.sentences))
    if isinstance(b, Heading):
        return f"{'#' * b.level} {b.text}"
    if isinstance(b, Notes):
        if b.bullets:
            return "\n".join(f"- {x}" for x in b.items)
        return "\n\n".join(b.items)
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Figure):
        caption = b.title + (f". {b.note}" if b.note else "")
        return f"![{b.title}]({_rel(b.file, base)})\n\n*{caption}*"
    if isinstance(b, Details):
        inner = "\n\n".join(_block(x, base) for x in b.blocks)
        return f"<details><summary>{html.escape(b.summary)}</summary>\n\n{inner}\n\n</details>"
    raise TypeError(f"not a report block: {b!r}")


def _table(t: Table) -> str:
    head = f"**{t.caption}**\n\n" if t.caption else ""
    if t.frame.empty:
        return head + "(none)"
    cols = [str(c) for c in t.frame.columns]
    align = ["---:" if c in t.numeric else "---" for c in cols]
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join(align) + " |"]
    lines += [
        "| " + " | ".join(str(v).replace("|", "/") for v in row) + " |"
        for row in t.frame.itertuples(index=False)
    ]
    note = f"\n\n{t.note}" if t.note else ""
    return head + "\n".join(lines) + note


def _rel(file: Path, base: Path) -> str:
    return Path(os.path.relpath(file.resolve(), base.resolve())).as_posix()
