"""The report of a ``homesim psa`` folder: how likely is each alternative to be worth it?

First screen: the chances of saving money, of a gain and of dominating (the verdict),
the table of incremental cost and gain over draws, and the CE plane the command drew.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.report.blocks import Block, Heading, Notes, Report, Table, Verdict, table
from sim.report.caveats import caveat_blocks
from sim.report.figures import existing
from sim.report.numbers import estimate, interval, num, share
from sim.report.reading import about_run, read_manifest
from sim.report.scenarios import (
    currency_of,
    names_of,
    parameter_blocks,
    source_of,
    teams_of,
    titles,
)
from sim.scenario.labels import key_label

FIGURES = {
    "ce_plane.png": "Cost-effectiveness plane",
    "ceac.png": "Cost-effectiveness acceptability curves",
    "evpi.png": "Expected value of perfect information",
}


def build(folder: Path, md_path: Path) -> Report:
    """The report of the PSA saved in ``folder``."""
    man = read_manifest(folder)
    summ = pd.read_csv(folder / "summary.csv")
    ceac = pd.read_csv(folder / "ceac_evpi.csv")
    draws = pd.read_csv(folder / "draws.csv")
    names = names_of(man)
    short = titles(man, names)
    full = titles(man, names, short=False)
    cur = currency_of(man)
    seeds = man.get("seeds", {})
    better = "higher" if man.get("direction") == "higher" else "lower"
    figs = existing(folder, FIGURES)
    base = names[0] if names else "?"
    intro = (
        f"{man.get('draws', len(draws))} parameter draws ({man.get('sampling', '?')} "
        f"sampling), each run {seeds.get('replications', '?')} time(s) for every "
        f"scenario with {seeds.get('noise', '?')} noise, against "
        f"{full.get(base, base)}. Cost: {_measure(man.get('cost', '?'))}; effect: "
        f"{_measure(man.get('effect', 'effect'))} ({better} is better); the gain is "
        "signed so that positive is better. " + about_run(man)
    )
    blocks: list[Block] = [
        Verdict(tuple(_verdict(r, full, cur) for r in summ.itertuples())),
        main_table(summ, short, cur),
        *figs[:1],
        Heading("Acceptability and value of information by willingness to pay"),
        table(
            ceac_frame(_thin(ceac, 7), short, cur),
            note="P(... best): share of draws in which that scenario has the highest "
            "net benefit (willingness to pay x gain - cost). EVPI: expected value "
            "of perfect information, for the modelled population, per person and "
            "for the population given. Every willingness to pay is in "
            "ceac_evpi.csv.",
        ),
        *figs[1:],
        *drawn_blocks(man, draws),
        Notes(
            (
                "Files: draws.csv, outcomes.csv, incremental.csv, summary.csv, "
                "ceac_evpi.csv, manifest.json.",
            )
        ),
        *caveat_blocks("psa"),
        *parameter_blocks(man),
    ]
    return Report(f"Probabilistic sensitivity analysis: {', '.join(full.values())}", intro, blocks)


def _measure(code: str) -> str:
    return str(code).replace("_", " ")


def _verdict(r, full: dict[str, str], cur: str) -> str:
    return (
        f"{full.get(r.alternative, r.alternative)}: saves money in "
        f"{share(r.p_cost_saving)} of draws, gains in {share(r.p_gain)} and dominates "
        f"(cheaper and better) in {share(r.p_dominant)}."
    )


def main_table(summ: pd.DataFrame, short: dict[str, str], cur: str) -> Table:
    """Incremental cost and gain over draws, with the chances of each outcome."""
    frame = pd.DataFrame(
        {
            "alternative": [short.get(a, a) for a in summ["alternative"]],
            "draws": summ["draws"].astype(str),
            f"incremental cost ({cur})": [
                estimate(m, lo, hi)[0]
                for m, lo, hi in zip(
                    summ["d_cost_mean"], summ["d_cost_low"], summ["d_cost_high"], strict=True
                )
            ],
            "cost 95% interval": [
                interval(lo, hi, m)
                for m, lo, hi in zip(
                    summ["d_cost_mean"], summ["d_cost_low"], summ["d_cost_high"], strict=True
                )
            ],
            "effect gain": [
                estimate(m, lo, hi)[0]
                for m, lo, hi in zip(
                    summ["gain_mean"], summ["gain_low"], summ["gain_high"], strict=True
                )
            ],
            "gain 95% interval": [
                interval(lo, hi, m)
                for m, lo, hi in zip(
                    summ["gain_mean"], summ["gain_low"], summ["gain_high"], strict=True
                )
            ],
            "ICER of means": summ["icer_of_means"].map(num),
            "P(saves money)": summ["p_cost_saving"].map(share),
            "P(gains)": summ["p_gain"].map(share),
            "P(dominant)": summ["p_dominant"].map(share),
        }
    )
    t = table(frame, caption="Incremental cost and effect gain over draws (mean and 95% interval)")
    return Table(t.frame, t.caption, t.note, t.numeric, main=True)


def ceac_frame(ceac: pd.DataFrame, short: dict[str, str], cur: str) -> pd.DataFrame:
    """Rows of ceac_evpi.csv for people: probabilities as percentages, amounts rounded."""
    out = pd.DataFrame({f"willingness to pay ({cur} per unit)": ceac["wtp"].map(num)})
    for c in ceac.columns:
        if c.startswith("p_"):
            name = c.removeprefix("p_")
            out[f"P({short.get(name, name.replace('_', ' '))} best)"] = ceac[c].map(share)
    for c, label in (
        ("evpi_modelled", f"EVPI, population modelled ({cur})"),
        ("evpi_per_person", f"EVPI per person ({cur})"),
        ("evpi_population", f"EVPI, population given ({cur})"),
    ):
        if c in ceac:
            out[label] = ceac[c].map(num)
    return out


def drawn_blocks(man: dict, draws: pd.DataFrame) -> list[Block]:
    """The parameters drawn: mean and central 95% of the draws, with their sources."""
    params = [c for c in draws.columns if c != "draw"]
    if not params:
        return [
            Notes(
                (
                    "No parameter of these scenarios has a distribution: every draw "
                    "used the values as written, so the spread is chance only.",
                )
            )
        ]
    return [
        Heading("Parameters drawn"),
        table(
            pd.DataFrame(
                {
                    "parameter": [key_label(p, teams_of(man)) for p in params],
                    "mean": [num(draws[p].mean()) for p in params],
                    "2.5%": [num(draws[p].quantile(0.025)) for p in params],
                    "97.5%": [num(draws[p].quantile(0.975)) for p in params],
                    "source": [source_of(man, p) for p in params],
                }
            )
        ),
    ]


def _thin(df: pd.DataFrame, n: int) -> pd.DataFrame:
    """About ``n`` evenly spaced rows, first and last included."""
    if len(df) <= n:
        return df
    idx = np.unique(np.linspace(0, len(df) - 1, n).round().astype(int))
    return df.iloc[idx].reset_index(drop=True)
