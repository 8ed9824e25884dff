"""A report as one self-contained HTML page: styles inline, figures as base64 PNG.

The page prints to A4 (``@media print``): folded sections open before printing,
tables and figures are not split across pages, and links show as plain text.
"""

from __future__ import annotations

import base64
import html

from sim.report.blocks import Block, Details, Figure, Heading, Notes, Report, Table, Verdict
from sim.report.numbers import when

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:64rem;
margin:1.5rem auto;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin-top:2rem}
h3{font-size:1.05rem;margin-top:1.4rem}
p.subtitle{color:#555;margin:.2rem 0 1rem}
section.verdict{border-left:.35rem solid #2b6cb0;background:#eef4fb;padding:.6rem 1rem;
margin:1rem 0;font-size:1.1rem}
section.verdict p{margin:.3rem 0}
table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}th.n{white-space:normal;max-width:16rem}td:first-child{min-width:11rem}
p.note,figcaption{color:#555;font-size:.85rem}
img{max-width:100%}figure{margin:1rem 0}figure.lead img{max-width:36rem}
div.lead{display:flex;flex-wrap:wrap;gap:0 1.5rem;align-items:flex-start}
div.lead figure{flex:1 1 16rem;margin-top:.8rem;min-width:0}div.lead table{flex:0 1 auto}
div.lead figure img{max-width:100%}div.lead div.tablebox{flex:0 1 auto}
details{margin:.8rem 0}summary{cursor:pointer;font-weight:600}
footer{color:#777;font-size:.8rem;margin-top:2rem;border-top:1px solid #ddd}
@page{size:A4;margin:16mm 14mm}
@media print{body{max-width:none;margin:0;font-size:10pt}
section.verdict{background:none}table,figure,tr{break-inside:avoid}
h2,h3{break-after:avoid}figure.lead img,img{max-width:100%;max-height:120mm}
summary{list-style:none}}
"""

#: Folded sections are opened for printing, and closed again afterwards.
PRINT_SCRIPT = """
addEventListener('beforeprint',()=>{for(const d of document.querySelectorAll('details'))
{if(!d.open){d.open=true;d.dataset.printed='1'}}});
addEventListener('afterprint',()=>{for(const d of document.querySelectorAll(
'details[data-printed]')){d.open=false;delete d.dataset.printed}});
"""


def esc(text: str) -> str:
    """Text for an element's content (quotes stay as they are)."""
    return html.escape(text, quote=False)


def to_html(report: Report) -> str:
    """Return the whole page.

    The main table and the first figure, when it follows, sit side by side on a wide
    screen (together they make the first screen).
    """
    lead = _lead_figure(report.blocks)
    parts, blocks = [], report.blocks
    for i, b in enumerate(blocks):
        if b is lead and i and isinstance(blocks[i - 1], Table) and blocks[i - 1].main:
            parts[-1] = f"<div class='lead'>{parts[-1]}{_block(b, lead)}</div>"
        else:
            parts.append(_block(b, lead))
    body = "\n".join(parts)
    return (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{esc(report.title)}</title><style>{CSS}</style>"
        f"<script>{PRINT_SCRIPT}</script></head><body>\n"
        f"<header><h1>{esc(report.title)}</h1>"
        f"<p class='subtitle'>{esc(report.subtitle)}</p></header>\n{body}\n"
        f"<footer><p>Report written {esc(when(report.written))}.</p></footer>\n"
        "</body></html>\n"
    )


def _lead_figure(blocks: list[Block]) -> Figure | None:
    """The first figure, when it comes before any heading (it is on the first screen)."""
    for b in blocks:
        if isinstance(b, Heading):
            return None
        if isinstance(b, Figure):
            return b
    return None


def _block(b: Block, lead: Figure | None = None) -> str:
    if isinstance(b, Verdict):
        return (
            "<section class='verdict' id='verdict'>"
            + "".join(f"<p>{esc(s)}</p>" for s in b.sentences)
            + "</section>"
        )
    if isinstance(b, Heading):
        return f"<h{b.level}>{esc(b.text)}</h{b.level}>"
    if isinstance(b, Notes):
        if b.bullets:
            return "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in b.items) + "</ul>"
        return "".join(f"<p>{esc(x)}</p>" for x in b.items)
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Figure):
        return _figure(b, lead is b)
    if isinstance(b, Details):
        inner = "\n".join(_block(x) for x in b.blocks)
        return f"<details><summary>{esc(b.summary)}</summary>\n{inner}\n</details>"
    raise TypeError(f"not a report block: {b!r}")


def _table(t: Table) -> str:
    if t.frame.empty:
        return f"<p>{esc(t.caption)}: none.</p>" if t.caption else "<p>(none)</p>"
    cols = [str(c) for c in t.frame.columns]
    cls = ["n" if c in t.numeric else "" for c in cols]
    head = "".join(f"<th{_cls(k)}>{esc(c)}</th>" for c, k in zip(cols, cls, strict=True))
    rows = "".join(
        "<tr>"
        + "".join(f"<td{_cls(k)}>{esc(str(v))}</td>" for v, k in zip(row, cls, strict=True))
        + "</tr>"
        for row in t.frame.itertuples(index=False)
    )
    attrs = " class='main' id='main-table'" if t.main else ""
    caption = f"<caption>{esc(t.caption)}</caption>" if t.caption else ""
    note = f"<p class='note'>{esc(t.note)}</p>" if t.note else ""
    return (
        f"<div class='tablebox'><table{attrs}>{caption}<thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table>{note}</div>"
    )


def _cls(k: str) -> str:
    return f" class='{k}'" if k else ""


def _figure(f: Figure, lead: bool) -> str:
    data = base64.b64encode(f.png).decode("ascii")
    caption = f.title + (f". {f.note}" if f.note else "")
    return (
        f"<figure{' class=lead' if lead else ''}><img alt='{html.escape(f.title)}' "
        f"src='data:image/png;base64,{data}'><figcaption>{esc(caption)}</figcaption>"
        "</figure>"
    )
