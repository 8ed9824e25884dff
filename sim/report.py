"""A readable comparison report: Markdown and a self-contained HTML page.

:func:`write_comparison` writes a comparison's tables and manifest to a results folder;
:func:`build_report` reads such a folder (and nothing else) and writes the figures,
``report.md`` and ``report.html`` (figures embedded as base64), so a report can be
rebuilt from saved results alone.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import pandas as pd

from sim import cea
from sim.plots import cea as cea_plots
from sim.results_io import atomic_write, manifest, write_csv, write_json, write_text
from sim.scenario.costs_schema import PAYERS

if TYPE_CHECKING:
    from sim.compare import Comparison

TABLES = ("runs", "differences", "comparison", "nmb", "verdicts", "yearly", "weekly")
FIGURES = {"ce_plane.png": "Cost-effectiveness plane",
           "cost_by_payer.png": "Cost by payer",
           "cost_stock.png": "Cost and homeless stock over time"}

#: Rows of the main results table, in order: measure name in comparison.csv.
MAIN_MEASURES = (
    "incremental_cost_total_discounted",
    *(f"incremental_cost_{p}_discounted" for p in PAYERS),
    "incremental_cost_total",
    "homeless_days_avoided_discounted", "homeless_days_avoided", "housed_days_gained",
    "people_ever_homeless_avoided", "chronic_homeless_avoided", "people_housed_gained",
    "qalys_gained_discounted",
    "icer_homeless_day", "icer_person_housed", "icer_qaly",
)


# ---------------------------------------------------------------- writing a comparison

def write_comparison(cmp: Comparison, out: Path, command: str | None = None) -> Path:
    """Write the tables and manifest of ``cmp`` to ``out``, then build the report."""
    tables = {"runs": cmp.runs, "differences": cmp.differences, "comparison": cmp.table,
              "nmb": cmp.nmb, "verdicts": cmp.verdicts, "yearly": cmp.yearly,
              "weekly": cmp.weekly}
    for name, df in tables.items():
        write_csv(out / f"{name}.csv", df)
    seeds = {"root": cmp.settings.get("seed", 0),
             "replications": cmp.settings.get("replications"),
             "derivation": "SeedSequence(root, spawn_key=(replication,)), the same for "
                           "every scenario (common random numbers)"}
    write_json(out / "manifest.json", manifest(
        cmp.scenarios, seeds, command=command or "sim.compare",
        extra={"comparison": {"base": cmp.base, "alternatives": cmp.alternatives,
                              **cmp.settings}}))
    return build_report(out)


# ---------------------------------------------------------------- reading a folder

@dataclass
class Folder:
    """The saved results of a comparison."""

    path: Path
    manifest: dict
    tables: dict[str, pd.DataFrame]

    @property
    def settings(self) -> dict:
        return self.manifest.get("comparison", {})


def read_folder(path: Path) -> Folder:
    """Read manifest.json and the CSV tables of a comparison results folder."""
    path = Path(path)
    man = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    tables = {name: pd.read_csv(path / f"{name}.csv") for name in TABLES
              if (path / f"{name}.csv").exists()}
    return Folder(path, man, tables)


def build_report(path: Path) -> Path:
    """Draw the figures and write report.md and report.html from a results folder."""
    f = read_folder(path)
    figures = draw_figures(f)
    blocks = report_blocks(f)
    write_text(f.path / "report.md", to_markdown(blocks))
    write_text(f.path / "report.html", to_html(blocks, figures))
    return f.path / "report.html"


def draw_figures(f: Folder) -> dict[str, bytes]:
    """Make the figures as PNG bytes, write them to the folder, and return them."""
    s, t = f.settings, f.tables
    currency = s.get("currency", "DKK")
    wtp = [w for w in s.get("wtp", {}).get("homeless_days_avoided_discounted", []) if w > 0]
    figs = {
        "ce_plane.png": cea_plots.ce_plane(t["differences"], currency=currency,
                                           wtp=wtp[len(wtp) // 2] if wtp else None),
        "cost_by_payer.png": cea_plots.cost_by_payer(t["runs"], PAYERS, currency),
        "cost_stock.png": cea_plots.cost_and_stock(t["yearly"], t["weekly"],
                                                   int(s.get("start_year", 0)), currency),
    }
    out = {}
    for name, fig in figs.items():
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        data = buf.getvalue()
        atomic_write(f.path / name, lambda p, d=data: p.write_bytes(d))
        out[name] = data
    return out


# ---------------------------------------------------------------- content

Block = tuple[str, Any]


def report_blocks(f: Folder) -> list[Block]:
    """The report as a list of blocks: ('h1'|'h2'|'p'|'ul', text) or ('table', frame)."""
    s, t = f.settings, f.tables
    cur = s.get("currency", "DKK")
    base, alts = s.get("base"), s.get("alternatives", [])
    blocks: list[Block] = [
        ("h1", f"Comparison: {', '.join(alts)} against {base}"),
        ("p", f"Each scenario was run {s.get('replications')} times over "
              f"{s.get('years')} years from {s.get('start_year')} (root seed "
              f"{s.get('seed')}). Replication k of every scenario used the same random "
              "numbers, so each difference below is taken replication by replication. "
              f"Costs are in {cur}, {s.get('price_year')} prices, discounted at "
              f"{100 * float(s.get('discount_rate', 0)):.1f}% a year (year 0 not "
              "discounted); effects on days and QALYs are discounted alike."),
        *([("p", "Note: no unit costs were given in these scenarios (every cost is 0). "
                 "Extend scenarios/costs_denmark.yaml or give a costs section.")]
          if "cost_total" in t["runs"] and (t["runs"]["cost_total"] == 0).all() else []),
        ("h2", "In short"),
        ("ul", [summary_sentence(v, t["comparison"], cur)
                for v in t["verdicts"].itertuples()]),
        ("h2", "Main results (alternative minus base, mean and 95% interval)"),
        ("table", main_table(t["comparison"])),
        ("p", "Incremental cost: positive means the alternative costs more. Effects are "
              "signed so that positive is better. The 95% interval is that of the mean over "
              "replications (uncertainty due to chance in the model for this number of "
              "runs); it does not include uncertainty in the input figures, which the "
              "sensitivity analysis covers. ICER intervals are bootstrap intervals; they "
              "are left empty when the effect could be zero. An ICER is shown as "
              "'dominant' or 'dominated' when the alternative is cheaper and better, or "
              "dearer and worse; a negative ICER otherwise means savings per unit of "
              "effect given up (cheaper but worse)."),
    ]
    if "nmb" in t and not t["nmb"].empty:
        blocks += [("h2", "Net monetary benefit"),
                   ("p", "Net monetary benefit = willingness to pay x effect gained - "
                         "incremental cost (discounted). The willingness-to-pay values are "
                         "illustrative, not official thresholds. 'Share positive' is the "
                         "share of replications in which the alternative is worth it."),
                   ("table", nmb_frame(t["nmb"], cur))]
    blocks += [("h2", "Figures"),
               *(("img", (name, title)) for name, title in FIGURES.items()),
               ("h2", "Mean outcomes by scenario"),
               ("table", outcome_frame(t["runs"], cur)),
               ("h2", f"Cost by item ({cur}, discounted, mean over replications)"),
               ("table", item_frame(t["runs"])),
               ("h2", "Unit costs used"),
               ("p", "Prices as given in the scenarios (before indexing to the price year), "
                     "with their sources; 'assumption' marks figures not published."),
               ("table", sources_frame(f.manifest)),
               ("p", f"Files: {', '.join(f'{n}.csv' for n in TABLES)}, manifest.json "
                     "(scenarios as run, seeds, version).")]
    return blocks


def summary_sentence(v: Any, table: pd.DataFrame, cur: str) -> str:
    """One sentence on an alternative: verdict, cost and effect with intervals, ICER."""
    t = table[table["alternative"] == v.alternative].set_index("measure")
    c = t.loc["incremental_cost_total_discounted"]
    e = t.loc["homeless_days_avoided_discounted"]
    text = (f"{v.alternative} against {v.base}: {v.words}. {cost_phrase(c, cur)} and "
            f"{effect_phrase(e)} (discounted, 95% intervals in brackets).")
    if v.verdict == "better_dearer" and "icer_homeless_day" in t.index:
        text += (f" That is {money(t.loc['icer_homeless_day', 'mean'], cur)} per homeless "
                 "day avoided.")
    return text


def cost_phrase(c: pd.Series, cur: str) -> str:
    """'It costs X more (a to b)' or 'It saves X (a to b)', from an incremental cost row."""
    lo, hi = sorted((abs(c["low"]), abs(c["high"])))
    if c["mean"] == 0 and c["low"] == c["high"]:
        return "It costs the same"
    if c["mean"] >= 0:
        return (f"It costs {money(c['mean'], cur)} more ({money(c['low'], cur)} to "
                f"{money(c['high'], cur)})")
    if c["high"] <= 0:
        return f"It saves {money(-c['mean'], cur)} ({money(lo, cur)} to {money(hi, cur)})"
    return (f"It saves {money(-c['mean'], cur)} (from saving {money(-c['low'], cur)} to "
            f"costing {money(c['high'], cur)} more)")


def effect_phrase(e: pd.Series) -> str:
    """'avoids N homeless days (a to b)' or 'adds N homeless days (a to b)'."""
    if e["mean"] >= 0:
        return f"avoids {num(e['mean'])} homeless days ({num(e['low'])} to {num(e['high'])})"
    return (f"adds {num(-e['mean'])} homeless days ({num(-e['high'])} to "
            f"{num(-e['low'])})")


def main_table(table: pd.DataFrame) -> pd.DataFrame:
    """Main measures per alternative. An ICER whose alternative is dominant or dominated
    on that ICER's own cost and effect is named so: a ratio there has no meaning."""
    rows = []
    for alt, t in table.groupby("alternative", sort=False):
        t = t.set_index("measure")
        for m in MAIN_MEASURES:
            if m in t.index:
                r = t.loc[m]
                mean, interval = num(r["mean"]), f"{num(r['low'])} to {num(r['high'])}"
                code = icer_dominance(t, m)
                if code in ("dominant", "dominated"):
                    mean, interval = code, ""
                rows.append({"alternative": alt, "measure": r["label"], "unit": r["unit"],
                             "mean": mean, "95% interval": interval})
    return pd.DataFrame(rows)


def icer_dominance(t: pd.DataFrame, measure: str) -> str | None:
    """Verdict code on the cost and effect behind ICER ``measure`` (None if not an ICER)."""
    spec = next((x for x in cea.ICERS if x[0] == measure), None)
    if spec is None:
        return None
    _, cost_col, effect, _ = spec
    cost = f"incremental_{cost_col}"
    if cost not in t.index or effect not in t.index:
        return None
    c, e = t.loc[cost], t.loc[effect]
    return cea.verdict((c["low"], c["high"]), (e["low"], e["high"]))[0]


def nmb_frame(nmb: pd.DataFrame, cur: str) -> pd.DataFrame:
    return pd.DataFrame({
        "alternative": nmb["alternative"], "effect": nmb["effect"].str.replace("_", " "),
        f"willingness to pay ({cur} per unit)": nmb["wtp"].map(num),
        f"NMB ({cur})": nmb["nmb_mean"].map(num),
        "95% interval": [f"{num(a)} to {num(b)}" for a, b in zip(nmb["nmb_low"],
                                                                 nmb["nmb_high"], strict=True)],
        "share positive": nmb["share_positive"].map(lambda x: f"{100 * x:.0f}%")})


def outcome_frame(runs: pd.DataFrame, cur: str) -> pd.DataFrame:
    cols = [c for c in ("cost_total_discounted", *(f"cost_{p}_discounted" for p in PAYERS),
                        "homeless_days", "housed_days", "people_ever_homeless",
                        "chronic_homeless_end", "homeless_end", "evictions", "qalys")
            if c in runs.columns]
    means = runs.groupby("scenario", sort=False)[cols].mean().T
    means = means.map(num)
    means.insert(0, "outcome", [c.replace("_", " ") + (f" ({cur})" if c.startswith("cost")
                                                        else "") for c in means.index])
    return means.reset_index(drop=True)


def item_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean discounted cost of each cost line by scenario (lines that cost something)."""
    cols = [c for c in runs.columns
            if c.startswith("cost_item_") and c.endswith("_discounted")]
    means = runs.groupby("scenario", sort=False)[cols].mean().T
    means = means[(means != 0).any(axis=1)]
    names = [c.removeprefix("cost_item_").removesuffix("_discounted").replace("_", " ")
             for c in means.index]
    means = means.map(num)
    means.insert(0, "item", names)
    return means.reset_index(drop=True)


def sources_frame(man: dict) -> pd.DataFrame:
    """Unit costs of each scenario as run, with source and range where given."""
    rows: dict[str, dict] = {}
    for name, sc in man.get("scenarios", {}).items():
        for path, leaf in _leaves(sc.get("as_run", {}).get("costs", {}), "costs"):
            if path.endswith((".price", ".own_payment")) and isinstance(leaf, dict | int | float):
                value = leaf.get("value") if isinstance(leaf, dict) else leaf
                row = rows.setdefault(path, {"key": path})
                row[name] = num(value)
                if isinstance(leaf, dict):
                    rng = (f"{num(leaf['low'])}-{num(leaf['high'])}"
                           if "low" in leaf and "high" in leaf else "")
                    row["range"] = rng
                    row["source"] = leaf.get("source", "")
    df = pd.DataFrame(list(rows.values())).fillna("")
    ends = [c for c in ("range", "source") if c in df.columns]
    return df[[c for c in df.columns if c not in ends] + ends]


def _leaves(node: Any, path: str):
    if isinstance(node, dict) and "value" in node:
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{path}.{k}")
    else:
        yield path, node


# ---------------------------------------------------------------- formatting

def num(x: Any) -> str:
    """A number for people: thousands separated, few decimals, blank if missing."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if x != x:
        return ""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.1f}"
    return f"{x:.3g}"


def money(x: Any, cur: str) -> str:
    x = float(x)
    if x != x:
        return ""
    if abs(x) >= 1e6:
        return f"{cur} {x / 1e6:,.1f} million"
    return f"{cur} {x:,.0f}"


def to_markdown(blocks: list[Block]) -> str:
    out = []
    for kind, body in blocks:
        if kind == "h1":
            out.append(f"# {body}")
        elif kind == "h2":
            out.append(f"## {body}")
        elif kind == "p":
            out.append(body)
        elif kind == "ul":
            out.append("\n".join(f"- {x}" for x in body))
        elif kind == "table":
            out.append(md_table(body))
        elif kind == "img":
            out.append(f"![{body[1]}]({body[0]})")
    return "\n\n".join(out) + "\n"


def md_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "(none)"
    cells = [[str(c) for c in df.columns]] + [[str(v).replace("|", "/") for v in row]
                                              for row in df.itertuples(index=False)]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(r) + " |" for r in cells[1:]]
    return "\n".join(lines)


_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222;line-height:1.45}table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}
th{background:#f4f4f4}td{font-variant-numeric:tabular-nums}img{max-width:100%}"""


def to_html(blocks: list[Block], figures: dict[str, bytes]) -> str:
    """A self-contained page: styles inline, figures as base64 data URIs."""
    esc = html.escape
    title = next((b for k, b in blocks if k == "h1"), "Comparison")
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}"
           f"</title><style>{_CSS}</style></head><body>"]
    for kind, body in blocks:
        if kind in ("h1", "h2", "p"):
            out.append(f"<{kind}>{esc(body)}</{kind}>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in body) + "</ul>")
        elif kind == "table":
            out.append(body.to_html(index=False, border=0, escape=True))
        elif kind == "img":
            name, alt = body
            data = base64.b64encode(figures[name]).decode("ascii")
            out.append(f"<figure><img alt='{esc(alt)}' src='data:image/png;base64,{data}'>"
                       f"<figcaption>{esc(alt)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out)
