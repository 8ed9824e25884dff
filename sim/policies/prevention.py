"""Eviction prevention: a housing-social unit reaches at-risk tenancies.

Each week an at-risk tenancy not yet reached is reached with ``reach_per_week``;
while reached and still at risk, its chance of ending in homelessness is multiplied
by ``m_loss``. Moving out of the at-risk situation ends the contact. A policy with
the lifecycle of ``sim.policies.lifecycle``.
"""

from __future__ import annotations

import numpy as np

from sim.policies.lifecycle import BasePolicy, Multiplier
from sim.scenario.policy_schema import Prevention
from sim.situations import Situation

AT_RISK = int(Situation.AT_RISK)


class EvictionPrevention(BasePolicy):
    """Reaches at-risk tenancies and lowers their chance of ending in homelessness."""

    #: Per-citizen arrays (name, dtype, fill), declared when the model is built.
    FIELDS = (("reached", np.bool_, False),)

    def __init__(self, model, rules: Prevention):
        self.model = model
        self.rules = rules
        self.rng = model.streams["prevention"]
        self.reached = np.zeros(0, dtype=np.intp)  # sorted: reached and still at risk

    def before_moves(self, week: int) -> None:
        """At-risk tenancies not yet reached are reached with ``reach_per_week``."""
        a = self.model.citizens
        at_risk = np.flatnonzero(a.situation == AT_RISK)
        new = at_risk[~a.reached[at_risk]]
        got = new[self.rng.random(new.size) < self.rules.reach_per_week]
        a.reached[got] = True
        self.reached = np.sort(np.concatenate([self.reached, got]))  # disjoint

    def multipliers(self) -> list[Multiplier]:
        """Reached tenancies lose their home ``m_loss`` times as often."""
        return [(self.reached, None, np.full(self.reached.size, self.rules.m_loss))]

    def on_move(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, week: int) -> None:
        """A move out of the at-risk situation ends the contact."""
        a = self.model.citizens
        was = idx[a.reached[idx]]
        if was.size:
            a.reached[was] = False
            self.reached = self.reached[~np.isin(self.reached, was)]

    def clear(self) -> None:
        """The policy is switched off: no tenancy is reached any more."""
        self.model.citizens.reached[:] = False
        self.reached = np.zeros(0, dtype=np.intp)
