"""Eviction prevention: a housing-social unit reaches at-risk tenancies.

Each week an at-risk tenancy not yet reached is reached with ``reach_per_week``;
while reached and still at risk, its chance of ending in homelessness is multiplied
by ``m_loss``. Moving out of the at-risk situation ends the contact.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.policy_schema import Prevention
from sim.situations import Situation

AT_RISK = int(Situation.AT_RISK)


class EvictionPrevention:
    #: Per-citizen arrays (name, dtype, fill), declared when the model is built.
    FIELDS = (("reached", np.bool_, False),)

    def __init__(self, model, rules: Prevention):
        self.rules = rules
        self.rng = model.streams["prevention"]
        for name, dtype, fill in self.FIELDS:
            model.citizens.add_field(name, dtype, fill)
        self.reached = np.zeros(0, dtype=np.intp)  # sorted: reached and still at risk

    def week(self, model, r: int) -> None:
        a = model.citizens
        at_risk = np.flatnonzero(a.situation == AT_RISK)
        new = at_risk[~a.reached[at_risk]]
        got = new[self.rng.random(new.size) < self.rules.reach_per_week]
        a.reached[got] = True
        self.reached = np.sort(np.concatenate([self.reached, got]))  # disjoint

    def multipliers(self, model) -> tuple[np.ndarray, None, np.ndarray]:
        return self.reached, None, np.full(self.reached.size, self.rules.m_loss)

    def on_move(self, model, idx: np.ndarray) -> None:
        a = model.citizens
        was = idx[a.reached[idx]]
        if was.size:
            a.reached[was] = False
            self.reached = self.reached[~np.isin(self.reached, was)]

    def clear(self, model) -> None:
        model.citizens.reached[:] = False
        self.reached = np.zeros(0, dtype=np.intp)
