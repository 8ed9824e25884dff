"""The support teams' waiting lists, owned by one class.

There are two kinds of waiting list in the model, each owned by one class:

- lists for scarce places (shelter, starter homes, assigned homes...):
  :class:`sim.places.Allocator`; a citizen's list is ``queue``/``queue_since``;
- lists for a support team's places: :class:`TeamLists` here; a citizen's list is
  ``team_wait``/``team_wait_since``. A citizen is on at most one team's list at a time
  (and may be on a place's list too).

Only the owner changes a citizen's list. A team's list is the citizens whose
``team_wait`` is the team, in the order of the week they joined
(``team_wait_since``), then their index, as ``places.order_waiting`` breaks ties;
nothing else is stored, so the compiled support week
(``sim.policies.support_week``) and this class read the same lists.
"""

from __future__ import annotations

import numpy as np

from sim.citizens import NO_WEEK

#: Per-citizen arrays of the team lists (name, dtype, fill): the team whose list a
#: citizen is on (-1: none) and the week they joined it.
LIST_FIELDS = (("team_wait", np.int8, -1), ("team_wait_since", np.int32, NO_WEEK))


class TeamLists:
    """Every team's waiting list for one model.

    Says who is on which, in what order, and how many wait for each team (``waiting``).
    """

    def __init__(self, arrays, n_teams: int):
        self.arrays = arrays
        self.waiting = np.zeros(n_teams, dtype=np.int64)

    def free(self, idx: np.ndarray) -> np.ndarray:
        """Those of ``idx`` on no team's list."""
        return idx[self.arrays.team_wait[idx] < 0]

    def join(self, team: int, idx: np.ndarray, week: int) -> None:
        """Put citizens ``idx`` (distinct) on team ``team``'s list in week ``week``.

        Citizens already on a team's list stay where they are.
        """
        if idx.size == 0:
            return
        a = self.arrays
        idx = idx[a.team_wait[idx] < 0]
        a.team_wait[idx] = team
        a.team_wait_since[idx] = week
        self.waiting[team] += idx.size

    def leave(self, idx: np.ndarray) -> None:
        """Citizens ``idx`` (each on a list) leave their lists."""
        a = self.arrays
        if idx.size:
            self.waiting -= np.bincount(a.team_wait[idx], minlength=self.waiting.size)
            a.team_wait[idx] = -1

    def listed(self, idx: np.ndarray) -> np.ndarray:
        """Those of ``idx`` on some team's list."""
        return idx[self.arrays.team_wait[idx] >= 0]

    def first(self, team: int, n: int) -> np.ndarray:
        """The first ``n`` on team ``team``'s list in joining order (still on it)."""
        return self.everyone(team)[:n]

    def everyone(self, team: int) -> np.ndarray:
        """Everyone on team ``team``'s list, in joining order (week joined, then index)."""
        idx = np.flatnonzero(self.arrays.team_wait == team)
        return idx[np.argsort(self.arrays.team_wait_since[idx], kind="stable")]
