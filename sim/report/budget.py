"""Budget impact: cost by payer and year for each scenario, and the difference.

Read from ``yearly.csv`` of a comparison (mean cost over replications by scenario,
year and payer, undiscounted: a budget is paid in the prices of its year). The table
holds means only, so each amount is written with three significant digits.
"""

from __future__ import annotations

import pandas as pd

from sim.report.blocks import Block, Heading, Notes, table
from sim.report.numbers import num
from sim.scenario.costs_schema import PAYERS
from sim.scenario.labels import word


def payers_present(yearly: pd.DataFrame) -> list[str]:
    """Payers with a column in ``yearly`` and some cost in some year."""
    return [p for p in PAYERS if f"cost_{p}" in yearly and yearly[f"cost_{p}"].any()]


def by_payer_and_year(yearly: pd.DataFrame, scenario: str, payers: list[str]) -> pd.DataFrame:
    """Return the cost (numbers) of one scenario.

    A row per payer and the total, a column per year and one for all years.
    """
    y = yearly[yearly["scenario"] == scenario].set_index("year")
    rows = {p: y[f"cost_{p}"] for p in payers}
    rows["total"] = y["cost_total"] if "cost_total" in y else sum(rows.values())
    frame = pd.DataFrame(rows).T
    frame.columns = [str(int(c)) for c in frame.columns]
    frame["all years"] = frame.sum(axis=1)
    return frame


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.map(num)
    out.insert(0, "payer", [word(str(i)) for i in frame.index])
    return out.reset_index(drop=True)


def budget_blocks(
    yearly: pd.DataFrame, base: str, alts: list[str], short: dict[str, str], currency: str
) -> list[Block]:
    """The difference of each alternative from the base, then each scenario's own costs."""
    payers = payers_present(yearly)
    head: list[Block] = [Heading(f"Budget impact ({currency} a year, undiscounted)")]
    if not payers:
        return [*head, Notes(("No costs were given, so there is no budget impact.",))]
    cost = {n: by_payer_and_year(yearly, n, payers) for n in (base, *alts)}
    blocks = head
    for alt in alts:
        blocks.append(
            table(
                _shown(cost[alt] - cost[base]),
                caption=f"Difference: {short[alt]} minus {short[base]}",
            )
        )
    for n in (base, *alts):
        blocks.append(table(_shown(cost[n]), caption=short[n]))
    blocks.append(
        Notes(
            (
                "Mean cost over replications by the year it falls in and who pays it, in the "
                "price year's prices without discounting; positive differences are extra "
                "spending. Amounts have three significant digits (the yearly tables hold means "
                "only, without intervals); rows may not add up exactly.",
            )
        )
    )
    return blocks
