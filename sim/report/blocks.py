"""The typed blocks a report is made of, and the report itself.

Builders (one module per kind of results folder) return a :class:`Report`: a title,
the blocks in reading order, and when it was written. The renderers
(:mod:`sim.report.render_html`, :mod:`sim.report.render_markdown`) turn it into a
page; they are the only code that knows about HTML or Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Verdict:
    """The answer to the report's question, in one or a few sentences, shown first."""

    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Heading:
    """A section heading (level 2) or a sub-heading (level 3)."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Notes:
    """Paragraphs of text, or a bulleted list when ``bullets`` is true."""

    items: tuple[str, ...]
    bullets: bool = False


@dataclass(frozen=True)
class Table:
    """A table of text cells (already rounded for people), with a caption and a note.

    ``numeric`` names the columns to align right (numbers line up by their digits).
    """

    frame: pd.DataFrame
    caption: str = ""
    note: str = ""
    numeric: tuple[str, ...] = ()
    main: bool = False


@dataclass(frozen=True)
class Figure:
    """A figure: PNG bytes, a title, the PNG file beside the report, and a note.

    The note says what the axes show, or why an axis starts at zero.
    """

    title: str
    png: bytes
    file: Path
    note: str = ""


@dataclass(frozen=True)
class Details:
    """Blocks folded away under a summary line (parameters, sources, long tables)."""

    summary: str
    blocks: tuple[Block, ...]


Block = Verdict | Heading | Notes | Table | Figure | Details


@dataclass
class Report:
    """A whole report: title, a subtitle (what was run), blocks, and when it was written.

    The time is ISO 8601 UTC; the only part that differs when a report is written again.
    """

    title: str
    subtitle: str
    blocks: list[Block] = field(default_factory=list)
    written: str = ""

    def figures(self) -> list[Figure]:
        """Every figure of the report, folded ones included, in reading order."""
        return list(_figures(self.blocks))


def _figures(blocks: list[Block] | tuple[Block, ...]):
    for b in blocks:
        if isinstance(b, Figure):
            yield b
        elif isinstance(b, Details):
            yield from _figures(b.blocks)


def numeric_columns(frame: pd.DataFrame, text: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Columns whose cells all read as numbers (or are blank), besides ``text`` ones."""
    out = []
    for c in frame.columns:
        if c in text:
            continue
        cells = [str(v).replace(",", "").replace("%", "").strip() for v in frame[c]]
        if cells and all(_is_number(x) or x == "" for x in cells) and any(cells):
            out.append(str(c))
    return tuple(out)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def table(frame: pd.DataFrame, caption: str = "", note: str = "", main: bool = False) -> Table:
    """A :class:`Table` whose numeric columns are found from its cells."""
    return Table(frame.reset_index(drop=True), caption, note, numeric_columns(frame), main)
