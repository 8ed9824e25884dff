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

Both are policies with the lifecycle of ``sim.policies.lifecycle``.
"""

from __future__ import annotations

import numpy as np

from sim.citizens import NO_WEEK
from sim.compiled import njit
from sim.places import ASSIGNED
from sim.policies.lifecycle import BasePolicy, QueueRules
from sim.policies.support import SupportTeams
from sim.scenario.policy_schema import Pathway
from sim.situations import NEEDS, Situation
from sim.streams import SUPPORT

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


class Staircase(BasePolicy):
    """Turns moves that skip a step of the staircase into the next step."""

    def __init__(self, model, pathway: Pathway):
        self.model = model
        self.readiness = np.array([pathway.readiness_weeks[n] for n in NEEDS])

    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """The rule as arrays, for the compiled week (``sim.week_loop``).

        (situations where the staircase applies, readiness weeks by needs group)
        """
        return SERVICE_SYSTEM, self.readiness.astype(np.int64)

    def filter_moves(self, movers: np.ndarray, dest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the moves filtered by the pathway's steps.

        Moves that skip a step go to the next step; a move out of starter housing before
        the citizen's readiness period (weeks in starter housing, by needs) is cancelled.
        """
        model = self.model
        if movers.size == 0:
            return movers, dest
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


class HousingFirst(BasePolicy):
    """Housing First: programme citizens go first in line on the assigned-home list.

    Those housed without a team get floating support.
    """

    def __init__(
        self,
        model,
        pathway: Pathway,
        teams: SupportTeams | None,
        team_names: tuple[str, ...],
    ):
        self.model = model
        self.fidelity = pathway.fidelity
        self.programme = np.array([t in pathway.teams for t in team_names])
        self._by_team = np.concatenate([[False], self.programme])  # by team + 1 (-1: none)
        self.floating = pathway.floating_support
        self.floating_team = team_names.index("floating")
        self.teams = teams

    def in_programme(self, idx: np.ndarray | slice) -> np.ndarray:
        """Which of citizens ``idx`` (indices, or a slice) a programme team supports now."""
        return self._by_team[self.model.citizens.team[idx] + 1]

    def queue_rules(self) -> QueueRules:
        """Programme citizens go first on the list for an assigned home."""
        return QueueRules(front={ASSIGNED: self.in_programme})

    def before_moves(self, week: int) -> None:
        """Homeless programme citizens not yet on the list join it (with fidelity)."""
        model = self.model
        a = model.citizens
        if self.teams is None:
            return
        offered = programme_applicants(
            a.spell_start, a.team, a.queue, self._by_team, self.fidelity, model.compiled_streams
        )
        if offered.size:
            model.join(offered, np.full(offered.size, ASSIGNED, dtype=np.int8), week)

    @property
    def floating_at_housing(self) -> int:
        """The team whose list those housed from homelessness without a team join (-1: none).

        The support teams follow the moves, so they apply it (``SupportTeams.floating``).
        """
        return self.floating_team if self.teams is not None and self.floating else -1


@njit(cache=True, nogil=True)
def programme_applicants(spell_start, team, queue, by_team, fidelity, streams):
    """Homeless programme citizens not on the assigned-home list, offered a home now.

    In index order, each homeless citizen (an open spell) whose team is a programme
    team (``by_team``, by team + 1) and who is not on the list yet draws one uniform
    from the support stream (``streams``: the model's ``compiled_streams``) and is
    offered a home if it is below ``fidelity``.
    """
    rng = streams[SUPPORT]
    out = np.empty(spell_start.size, np.intp)
    k = 0
    for i in range(spell_start.size):
        t = team[i]
        homeless = spell_start[i] != NO_WEEK
        if homeless and t >= 0 and queue[i] != ASSIGNED and by_team[t + 1]:  # noqa: SIM102
            if rng.random() < fidelity:  # a draw for each candidate only
                out[k] = i
                k += 1
    return out[:k]
