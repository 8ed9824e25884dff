"""Scenario keys for policies: housing pathway, support teams, eviction prevention."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policies:
    """Support policies switched on in a scenario (filled in by the policy modules)."""
