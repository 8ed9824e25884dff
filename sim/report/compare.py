"""The report of a ``homesim compare`` folder: is the alternative worth it?

First screen: the verdict in words, the main table of incremental cost and effect
(one table per alternative, signed, rounded to what the interval supports), and the
cost-effectiveness plane. Then the budget impact (cost by payer and year for each
scenario and the difference), net monetary benefit, costs and stock over time, mean
outcomes, cost items, caveats, and, folded at the end, parameters and unit costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim import cea
from sim.plots import cea as cea_plots
from sim.report import budget
from sim.report.blocks import Block, Details, Figure, Heading, Notes, Report, Table, Verdict, table
from sim.report.caveats import caveat_blocks
from sim.report.figures import from_matplotlib
from sim.report.numbers import at_place, estimate, estimate_place, interval, money, share
from sim.report.outcomes import item_label, means_by_scenario, other_columns
from sim.report.reading import about_run, read_manifest, read_tables
from sim.report.scenarios import parameter_blocks, teams_of, titles
from sim.report.units import unit_cost_table
from sim.scenario.costs_schema import PAYERS

TABLES = ("runs", "differences", "comparison", "nmb", "verdicts", "yearly", "weekly")

#: Rows of the main results table (first screen), in order: measure in comparison.csv.
MAIN_MEASURES = (
    "incremental_cost_total_discounted",
    "homeless_days_avoided_discounted",
    "housed_days_gained",
    "people_ever_homeless_avoided",
    "chronic_homeless_avoided",
    "people_housed_gained",
    "qalys_gained_discounted",
    "icer_homeless_day",
)

#: Rows of the table of further results, below the first screen.
MORE_MEASURES = (
    *(f"incremental_cost_{p}_discounted" for p in PAYERS),
    "incremental_cost_total",
    "homeless_days_avoided",
    "icer_person_housed",
    "icer_qaly",
)

#: Measures of shelter use shown for the last complete year, in order (those present).
SHELTER_USE = (
    "shelter_users",
    "shelter_stays",
    "shelter_stays_per_user",
    "shelter_nights_per_user",
    "shelter_nights_per_stay_mean",
    "shelter_nights_per_stay_median",
    "shelter_one_night_stays_share",
    "shelter_stays_over_120_nights_share",
    "shelter_all_year_share",
    "shelter_nights_long_homeless_share",
    "shelter_no_sign_12m_share",
)

#: Outcomes of the table of means by scenario, in order (those present are shown).
OUTCOMES = (
    "cost_total_discounted",
    *(f"cost_{p}_discounted" for p in PAYERS),
    "homeless_days",
    "housed_days",
    "people_ever_homeless",
    "chronic_homeless_end",
    "homeless_end",
    "evictions",
    "qalys",
)


def build(folder: Path, md_path: Path) -> Report:
    """The report of the comparison saved in ``folder``."""
    man = read_manifest(folder)
    t = read_tables(folder, TABLES)
    s = man.get("comparison", {})
    cur = s.get("currency", "DKK")
    base, alts = s["base"], list(s["alternatives"])
    short = titles(man, [base, *alts])
    figs = draw_figures(folder, t, s, short)
    no_costs = "cost_total" in t["runs"] and bool((t["runs"]["cost_total"] == 0).all())
    blocks: list[Block] = [
        Verdict(
            tuple(
                verdict_sentence(v, t["comparison"], cur, short if len(alts) > 1 else None, s)
                for v in t["verdicts"].itertuples()
            )
        ),
        *main_tables(t["comparison"], alts, base, short),
        figs["ce_plane.png"],
        Notes((READING,)),
        Heading("More results"),
        *main_tables(t["comparison"], alts, base, short, MORE_MEASURES),
        *(
            [
                Notes(
                    (
                        "Note: no unit costs were given in these scenarios (every cost is 0). "
                        "Extend scenarios/costs_denmark.yaml or give a costs section.",
                    )
                )
            ]
            if no_costs
            else []
        ),
        *budget.budget_blocks(t["yearly"], base, alts, short, cur),
        *nmb_blocks(t["nmb"], alts, short, cur),
        Heading("Costs and homeless people over time"),
        figs["cost_by_payer.png"],
        figs["cost_stock.png"],
        *outcome_blocks(t["runs"], [base, *alts], short, cur, teams_of(man)),
        *item_blocks(t["runs"], [base, *alts], short, cur, teams_of(man)),
        *caveat_blocks("compare"),
        Heading("How this was made"),
        Notes(
            (
                method_note(s),
                about_run(man),
                f"Files: {', '.join(f'{n}.csv' for n in TABLES)}, manifest.json (scenarios "
                "as run, seeds, version), and the figures as PNG.",
            )
        ),
        *parameter_blocks(man),
        Details(
            "Unit costs used, with their sources",
            (
                table(unit_cost_table(man, short)),
                Notes(
                    (
                        "Prices as given in the scenarios (before indexing to the price "
                        "year); 'assumption' marks figures not published.",
                    )
                ),
            ),
        ),
    ]
    what = short[alts[0]] if len(alts) == 1 else f"{len(alts)} alternatives"
    return Report(title=f"{what}, against {short[base]}", subtitle=subtitle(s, cur), blocks=blocks)


READING = (
    "Incremental cost: positive means the alternative costs more. Effects are "
    "signed so that positive is better. The 95% interval is that of the mean over "
    "replications (chance in the model for this number of runs); it does not "
    "include uncertainty in the input figures, which the sensitivity analysis "
    "covers. Each number is rounded at the place its interval supports. ICER "
    "intervals are bootstrap intervals, left empty when the effect could be zero; "
    "an ICER is shown as 'dominant' or 'dominated' when the alternative is cheaper "
    "and better, or dearer and worse."
)


def subtitle(s: dict, cur: str) -> str:
    """Return the comparison's subtitle: replications, years, price year and discount rate."""
    return (
        f"{s.get('replications')} replications of each scenario over {s.get('years')} "
        f"years from {s.get('start_year')}. Costs in {cur} at {s.get('price_year')} "
        f"prices, discounted at {100 * float(s.get('discount_rate', 0)):.1f}% a year."
    )


def method_note(s: dict) -> str:
    """Return the note on method: runs, root seed, common random numbers, discounting."""
    return (
        f"Each scenario was run {s.get('replications')} times (root seed "
        f"{s.get('seed')}). Replication k of every scenario used the same random "
        "numbers, so each difference is taken replication by replication. Year 0 is "
        "not discounted; effects on days and QALYs are discounted alike."
    )


# ---------------------------------------------------------------- the answer


def verdict_sentence(
    v: Any, comparison: pd.DataFrame, cur: str, names: dict[str, str] | None, s: dict
) -> str:
    """Return one sentence on an alternative: verdict, cost and effect with intervals, ICER.

    ``names`` (titles) start the sentence when there are several alternatives.
    """
    t = comparison[comparison["alternative"] == v.alternative].set_index("measure")
    c = t.loc["incremental_cost_total_discounted"]
    e = t.loc["homeless_days_avoided_discounted"]
    words = str(v.words)
    head = f"{names[v.alternative]}: {words}" if names else words[:1].upper() + words[1:]
    text = (
        f"{head}. "
        f"{cost_phrase(c, cur)} and {effect_phrase(e)} over {s.get('years')} years "
        "(discounted; 95% intervals in brackets)."
    )
    if v.verdict == "better_dearer" and "icer_homeless_day" in t.index:
        r = t.loc["icer_homeless_day"]
        text += (
            f" That is {money(r['mean'], cur, estimate_place(r['low'], r['high'], r['mean']))}"
            " per homeless day avoided."
        )
    return text


def cost_phrase(c: pd.Series, cur: str) -> str:
    """'It costs X more (a to b)' or 'It saves X (a to b)', from an incremental cost row."""
    place = estimate_place(c["low"], c["high"], c["mean"])

    def m(x: float) -> str:
        return money(x, cur, place)

    def more(x: float) -> str:  # an interval end, signed in words
        if at_place(x, place) == "0":
            return "no difference"
        return f"costing {m(x)} more" if x > 0 else f"saving {m(-x)}"

    if c["mean"] == 0 and c["low"] == c["high"]:
        return "It costs the same"
    if c["low"] > 0:
        return f"It costs {m(c['mean'])} more ({m(c['low'])} to {m(c['high'])})"
    if c["high"] < 0:
        return f"It saves {m(-c['mean'])} ({m(-c['high'])} to {m(-c['low'])})"
    if at_place(c["mean"], place) == "0":  # not "it saves DKK 0"
        head = "It costs about the same"
    elif c["mean"] > 0:
        head = f"It costs {m(c['mean'])} more"
    else:
        head = f"It saves {m(-c['mean'])}"
    return f"{head} (from {more(c['low'])} to {more(c['high'])})"


def effect_phrase(e: pd.Series) -> str:
    """'avoids N homeless days (a to b)' or 'adds N homeless days (a to b)'."""
    if e["mean"] >= 0:
        mean, lo, hi = estimate(e["mean"], e["low"], e["high"])
        return f"avoids {mean} homeless days ({lo} to {hi})"
    mean, lo, hi = estimate(-e["mean"], -e["high"], -e["low"])
    return f"adds {mean} homeless days ({lo} to {hi})"


def main_tables(
    comparison: pd.DataFrame,
    alts: list[str],
    base: str,
    short: dict[str, str],
    measures: tuple[str, ...] = MAIN_MEASURES,
) -> list[Table]:
    """Return one table per alternative: measure, unit, mean and 95% interval.

    The first is the main table when ``measures`` are the main ones.
    """
    out = []
    for k, alt in enumerate(alts):
        t = comparison[comparison["alternative"] == alt].set_index("measure")
        rows = []
        for m in measures:
            if m not in t.index:
                continue
            r = t.loc[m]
            mean, lo, hi = estimate(r["mean"], r["low"], r["high"])
            shown = f"{lo} to {hi}" if lo and hi else ""
            code = icer_dominance(t, m)
            if code in ("dominant", "dominated"):
                mean, shown = code, ""
            rows.append(
                {"measure": r["label"], "unit": r["unit"], "mean": mean, "95% interval": shown}
            )
        frame = pd.DataFrame(rows, columns=["measure", "unit", "mean", "95% interval"])
        who = f"{short[alt]} minus {short[base]}" if len(alts) > 1 else "Difference"
        out.append(
            Table(
                frame,
                caption=f"{who} (mean and 95% interval)",
                numeric=("mean", "95% interval"),
                main=k == 0 and measures is MAIN_MEASURES,
            )
        )
    return out


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


# ---------------------------------------------------------------- the rest


def nmb_blocks(nmb: pd.DataFrame, alts: list[str], short: dict[str, str], cur: str) -> list[Block]:
    """Net monetary benefit by willingness to pay, one table per alternative."""
    if nmb.empty:
        return []
    blocks: list[Block] = [Heading("Net monetary benefit")]
    for alt in alts:
        d = nmb[nmb["alternative"] == alt]
        frame = pd.DataFrame(
            {
                "effect valued": [_effect_label(e) for e in d["effect"]],
                f"willingness to pay ({cur} per unit)": [at_place(w, 0) for w in d["wtp"]],
                f"NMB ({cur})": [
                    estimate(m, lo, hi)[0]
                    for m, lo, hi in zip(d["nmb_mean"], d["nmb_low"], d["nmb_high"], strict=True)
                ],
                "95% interval": [
                    interval(lo, hi, m)
                    for m, lo, hi in zip(d["nmb_mean"], d["nmb_low"], d["nmb_high"], strict=True)
                ],
                "share positive": d["share_positive"].map(share),
            }
        )
        blocks.append(table(frame, caption=short[alt] if len(alts) > 1 else ""))
    blocks.append(
        Notes(
            (
                "Net monetary benefit = willingness to pay x effect gained - "
                "incremental cost (discounted). The willingness-to-pay values are "
                "illustrative, not official thresholds. 'Share positive' is the "
                "share of replications in which the alternative is worth it.",
            )
        )
    )
    return blocks


def _effect_label(name: str) -> str:
    e = cea.EFFECT_BY_NAME.get(name)
    return e.label if e else name.replace("_", " ")


def shelter_use_columns(runs: pd.DataFrame) -> list[str]:
    """The :data:`SHELTER_USE` columns of the runs' last complete year that hold a value."""
    pre = "shelter_users_"
    years = [c[len(pre) :] for c in runs.columns if c.startswith(pre) and c[len(pre) :].isdigit()]
    if not years:
        return []
    year = max(years, key=int)
    cols = [f"{m}_{year}" for m in SHELTER_USE]
    return [c for c in cols if c in runs.columns and runs[c].notna().any()]


def shelter_use_blocks(cols: list[str], means: pd.DataFrame) -> list[Block]:
    """Shelter use by scenario in the runs' last complete year.

    ``cols``: :func:`shelter_use_columns` (nothing shown when empty); ``means``: their
    means by scenario.
    """
    if not cols:
        return []
    return [
        Heading(f"Shelter use in {cols[0].rsplit('_', 1)[1]}"),
        table(
            means,
            note="Means over replications of the §110 shelter's users, stays and nights in "
            "the last complete year of the runs (docs/outputs.md defines each). A share "
            "whose follow-up runs past the horizon is left out.",
        ),
    ]


def outcome_blocks(
    runs: pd.DataFrame,
    names: list[str],
    short: dict[str, str],
    cur: str,
    teams: Mapping[str, str] | None = None,
) -> list[Block]:
    """Mean outcomes by scenario, then shelter use; every other outcome column folded below.

    ``teams`` (name -> label) names the support teams.
    """
    cols = [c for c in OUTCOMES if c in runs.columns]
    shelter = shelter_use_columns(runs)
    others = [c for c in other_columns(runs, cols + shelter) if not c.startswith("cost_item_")]
    titled = {n: short[n] for n in names}

    def means(columns: list[str]) -> pd.DataFrame:
        return means_by_scenario(runs, columns, titled, cur, teams)

    return [
        Heading("Mean outcomes by scenario"),
        table(
            means(cols),
            note="Means over replications, each rounded at the place its 95% interval supports.",
        ),
        *shelter_use_blocks(shelter, means(shelter)),
        Details(f"Other outcomes ({len(others)})", (table(means(others)),)),
    ]


def item_blocks(
    runs: pd.DataFrame,
    names: list[str],
    short: dict[str, str],
    cur: str,
    teams: Mapping[str, str] | None = None,
) -> list[Block]:
    """Mean discounted cost of each cost line by scenario (lines that cost something).

    ``teams`` (name -> label) names the support teams' lines.
    """
    cols = [
        c
        for c in runs.columns
        if c.startswith("cost_item_") and c.endswith("_discounted") and runs[c].any()
    ]
    frame = means_by_scenario(runs, cols, {n: short[n] for n in names}, cur, teams)
    frame["outcome"] = [
        item_label(c.removeprefix("cost_item_").removesuffix("_discounted"), teams) for c in cols
    ]
    return [
        Heading(f"Cost by item ({cur}, discounted, mean over replications)"),
        table(frame.rename(columns={"outcome": "item"})),
    ]


FIGURES = {
    "ce_plane.png": "Cost-effectiveness plane",
    "cost_by_payer.png": "Cost by payer",
    "cost_stock.png": "Cost and homeless people over time",
}

FIGURE_NOTES = {
    "ce_plane.png": "Each dot is one replication's difference, the cross the mean; right "
    "of the vertical axis is better, below the horizontal axis cheaper. "
    "Both axes hold zero, the base's own place.",
    "cost_by_payer.png": "Bars start at zero so that their lengths compare.",
    "cost_stock.png": "The cost axis starts near the lowest yearly cost, not at zero, so "
    "that differences between scenarios show.",
}


#: One unit of the effect the willingness to pay values (homeless days avoided).
WTP_PER = "homeless day avoided"


def draw_figures(
    folder: Path, t: dict[str, pd.DataFrame], s: dict, short: dict[str, str]
) -> dict[str, Figure]:
    """The comparison's figures, scenarios named by their titles, saved beside the tables."""
    cur = s.get("currency", "DKK")
    wtp = [w for w in s.get("wtp", {}).get("homeless_days_avoided_discounted", []) if w > 0]
    diffs = t["differences"].assign(alternative=t["differences"]["alternative"].map(short))
    runs = t["runs"].assign(scenario=t["runs"]["scenario"].map(short))
    made = {
        "ce_plane.png": cea_plots.ce_plane(
            diffs, currency=cur, wtp=wtp[len(wtp) // 2] if wtp else None, per=WTP_PER
        ),
        "cost_by_payer.png": cea_plots.cost_by_payer(runs, PAYERS, cur),
        "cost_stock.png": cea_plots.cost_and_stock(
            t["yearly"].assign(scenario=t["yearly"]["scenario"].map(short)),
            t["weekly"].assign(scenario=t["weekly"]["scenario"].map(short)),
            int(s.get("start_year", 0)),
            cur,
        ),
    }
    return {
        n: from_matplotlib(fig, FIGURES[n], folder / n, FIGURE_NOTES[n]) for n, fig in made.items()
    }
