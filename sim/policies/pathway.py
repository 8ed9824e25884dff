"""Housing pathways: the staircase model (treatment first) and Housing First.

Staircase: a homeless citizen in the service system (rough sleeping, night shelter,
shelter, starter housing) reaches own or alternative housing only through shelter and
then starter housing, and leaves starter housing for a home only after a
readiness period that is longest for high needs. A drawn move that skips a step is
turned into the next step (rough sleeping or sofa -> shelter, shelter -> starter
housing) or, in starter housing before readiness, cancelled.

Housing First: homeless citizens supported by a programme team go on the list for an
assigned home at once, first in line, with no readiness demand; ``fidelity`` is the
share offered a home without conditions. Once housed they keep floating support.
"""

from __future__ import annotations

import numpy as np

from sim.places import ASSIGNED
from sim.scenario.policy_schema import TEAM_NAMES, Pathway
from sim.situations import NEEDS, Situation

OWN, ALT, SHELTER, STARTER = (
    int(Situation.OWN),
    int(Situation.ALTERNATIVE),
    int(Situation.SHELTER),
    int(Situation.STARTER),
)


#: Situations in the municipality's service system, where the staircase applies; people
#: staying with family or friends find homes on their own as before.
SERVICE_SYSTEM = np.zeros(len(Situation), dtype=bool)
SERVICE_SYSTEM[[int(Situation.ROUGH), int(Situation.NIGHT_SHELTER), SHELTER, STARTER]] = True


class Staircase:
    """Turns moves that skip a step of the staircase into the next step."""

    def __init__(self, pathway: Pathway):
        self.readiness = np.array([pathway.readiness_weeks[n] for n in NEEDS])

    def filter(self, model, movers: np.ndarray, dest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = model.citizens
        origin = a.situation[movers]
        to_home = (dest == OWN) | (dest == ALT)
        skip = SERVICE_SYSTEM[origin] & to_home
        dest = dest.copy()
        dest[skip & (origin == SHELTER)] = STARTER
        dest[skip & (origin != SHELTER) & (origin != STARTER)] = SHELTER
        from_starter = skip & (origin == STARTER)
        waited = model.week - a.since[movers]
        not_ready = from_starter & (waited < self.readiness[a.needs[movers]])
        keep = ~not_ready & (dest != origin)
        return movers[keep], dest[keep]


class HousingFirst:
    """Puts programme citizens on the assigned-home list, first in line."""

    def __init__(self, pathway: Pathway, rng: np.random.Generator):
        self.fidelity = pathway.fidelity
        self.teams = np.array([t in pathway.teams for t in TEAM_NAMES])
        self.floating = pathway.floating_support
        self.rng = rng

    def in_programme(self, model, idx: np.ndarray) -> np.ndarray:
        team = model.citizens.team[idx]
        return (team >= 0) & self.teams[np.maximum(team, 0)]

    def week(self, model, r: int) -> None:
        """Homeless programme citizens not yet on the list join it (with fidelity)."""
        a = model.citizens
        if model.policies.teams is None:
            return
        homeless = model.homeless_now()  # (fewer than the members; same order)
        cand = homeless[(a.team[homeless] >= 0) & (a.queue[homeless] != ASSIGNED)]
        cand = cand[self.in_programme(model, cand)]
        if cand.size == 0:
            return
        offered = cand[self.rng.random(cand.size) < self.fidelity]
        model.join(offered, np.full(offered.size, ASSIGNED, dtype=np.int8), r)
