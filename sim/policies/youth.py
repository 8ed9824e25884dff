"""Youth focus (Randers' 'unge på kanten'): under-30s first for starter homes.

Starter homes are also kept for them.

A policy with the lifecycle of ``sim.policies.lifecycle`` that acts only through the
rules of the starter-home list; under-30s going first on the teams' lists is a rule of
the teams (``SupportTeams.youth_first``).
"""

from __future__ import annotations

import numpy as np

from sim.places import QUEUE_NAMES
from sim.policies.lifecycle import BasePolicy, QueueRules
from sim.scenario.policy_schema import Youth
from sim.situations import age_band_of

STARTER_QUEUE = QUEUE_NAMES.index("starter")


class YouthPriority(BasePolicy):
    """Under-30s first on the starter-home list, with starter homes kept for them.

    ``reserved_starter_homes`` (times the scenario's scale) are kept for them.
    """

    def __init__(self, model, youth: Youth, scale: float):
        self.model = model
        self.youth = youth
        self.scale = scale

    def young(self, idx: np.ndarray | slice) -> np.ndarray:
        """Which of citizens ``idx`` (indices or a slice) are under 30 now (bands 18-24, 25-29)."""
        model = self.model
        return age_band_of(model.week - model.citizens.birth[idx]) < 2

    def queue_rules(self) -> QueueRules:
        """The starter-home list's rules."""
        rules = QueueRules()
        if self.youth.priority:
            rules.front[STARTER_QUEUE] = self.young
        if self.youth.reserved_starter_homes > 0:
            kept = round(self.youth.reserved_starter_homes * self.scale)
            rules.reserved[STARTER_QUEUE] = (kept, self.young)
        return rules
