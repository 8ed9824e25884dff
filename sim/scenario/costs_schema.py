"""Scenario keys for costs: prices per situation, support and event, payers, discounting."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Costs:
    """Unit costs, their payers, and discounting (filled in by the cost model)."""
