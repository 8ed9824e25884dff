"""The report of a ``homesim plan`` folder.

The verdict names the recommended plan (or says that none meets every target, and which
comes closest), with how sure the choice is; the main table is the chance of each target;
then the frontier, the plan's values against the base's, and the budget impact.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.report.blocks import Block, Heading, Notes, Report, Verdict, table
from sim.report.figures import existing
from sim.report.numbers import money, num, share, value
from sim.report.reading import read_manifest
from sim.report.scenarios import currency_of, parameter_blocks

_CAVEATS = (
    "A plan is feasible when, for every target, the share of replications that meet it is "
    "at least the chance asked (a point estimate); the interval beside it shows how sure "
    "that is. The probability of correct selection covers the objective only.",
    "The budget is on the mean net extra cost against the base in every year: savings "
    "elsewhere (other payers, other years) offset spending.",
    "Costs of changes the cost model does not price (building homes) are the plan file's "
    "figures, with their sources there.",
)


def build(folder: Path, md_path: Path) -> Report:
    """Report of a ``homesim plan`` folder: answer, targets, frontier, budget impact."""
    man = read_manifest(folder)
    answer = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    plan = man.get("plan", {})
    currency = currency_of(man)
    labels = {v["key"]: v.get("label") or v["key"] for v in plan.get("variables", [])}
    base_values = {v["key"]: v.get("base_value") for v in plan.get("variables", [])}
    chosen = answer.get("recommended") or answer.get("closest") or {}
    desc = str(plan.get("description") or "").strip()
    intro = ((desc if desc.endswith(".") else desc + ". ") if desc else "") + (
        f" Base scenario: {plan.get('base', '?')}; "
        f"objective: {_objective(answer.get('objective'))}; "
        f"{answer.get('candidates_evaluated', '?')} candidate plans evaluated."
    )
    blocks: list[Block] = [
        Verdict(_verdict(answer, labels, chosen, currency)),
        _targets(folder),
        *existing(folder, {"frontier.png": "Cost against effect of every plan evaluated"}),
        Heading("The plan's values"),
        table(
            pd.DataFrame(
                {
                    "variable": [labels[k] for k in chosen],
                    "base": [value(base_values.get(k)) for k in chosen],
                    "plan": [value(v) for v in chosen.values()],
                }
            )
        ),
    ]
    blocks += _budget(folder, currency)
    blocks += [Heading("What these numbers do not say"), Notes(_CAVEATS, bullets=True)]
    blocks += parameter_blocks(man)
    return Report(f"Plan: {plan.get('name', folder.name)}", intro, blocks)


def _objective(name: str | None) -> str:
    return {
        "least_cost": "least discounted cost that meets every target",
        "most_days_avoided": "most homeless days avoided within the budget",
    }.get(name or "", str(name))


def _verdict(answer: dict, labels: dict, chosen: dict, currency: str) -> tuple[str, ...]:
    values = ", ".join(f"{labels.get(k, k)} {value(v)}" for k, v in chosen.items())
    effect = (
        f"It costs {money(answer.get('cost_vs_base_discounted'), currency)} against "
        f"the base (discounted) and avoids "
        f"{num(answer.get('homeless_days_avoided_discounted'))} homeless days "
        f"(discounted), over {answer.get('replications')} replications."
    )
    if answer.get("feasible"):
        pcs = answer.get("probability_of_correct_selection")
        return (
            f"Recommended: {values}.",
            effect,
            f"The chance that it is the best of the plans confirmed is at least {share(pcs)}.",
        )
    short = [t for t in answer.get("targets", []) if not t.get("met")]
    gaps = "; ".join(
        f"{t['target']}: chance {share(t['probability'])} against {share(t['required'])} asked"
        for t in short
    )
    return (
        "No plan within the bounds meets every target.",
        f"The closest is {values}" + (f" ({gaps})." if gaps else " (it exceeds the budget)."),
        effect,
    )


def _targets(folder: Path) -> Block:
    try:
        t = pd.read_csv(folder / "targets.csv")
    except pd.errors.EmptyDataError:  # written before the columns were kept without targets
        t = pd.DataFrame()
    if t.empty:
        return Notes(("The plan sets no target: it is bound by its budget only.",))
    frame = pd.DataFrame(
        {
            "target": t["target"],
            "chance": [share(p) for p in t["probability"]],
            "95% interval": [
                f"{share(lo)} to {share(hi)}" for lo, hi in zip(t["low"], t["high"], strict=True)
            ],
            "asked": [share(p) for p in t["required"]],
            "met": ["yes" if m else "no" for m in t["met"]],
        }
    )
    return table(
        frame,
        caption="The chance that each target is met by the plan",
        note="Share of replications that meet the target, with its 95% Wilson interval.",
        main=True,
    )


def _budget(folder: Path, currency: str) -> list[Block]:
    path = folder / "budget_impact.csv"
    if not path.exists():
        return []
    b = pd.read_csv(path)
    wide = b.pivot_table(index="year", columns="payer", values="difference", aggfunc="sum")
    wide["all payers"] = wide.sum(axis=1)
    shown = wide.reset_index().astype(object)
    for c in shown.columns[1:]:
        shown[c] = shown[c].map(lambda x: money(x, currency))
    shown["year"] = shown["year"].astype(int).astype(str)
    return [
        Heading("Budget impact"),
        table(
            shown,
            caption=f"Plan minus base, by year and payer ({currency}, undiscounted)",
            note="Mean over the plan's replications; plan costs the cost model does "
            "not price are included. Base and plan are in budget_impact.csv.",
        ),
    ]
