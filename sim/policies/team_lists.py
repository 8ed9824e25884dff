"""The support teams' waiting lists, owned by one class.

There are two kinds of waiting list in the model, each owned by one class:

- lists for scarce places (shelter, starter homes, assigned homes...):
  :class:`sim.places.Allocator`; a citizen's list is ``queue``/``queue_since``;
- lists for a support team's places: :class:`TeamLists` here; a citizen's list is
  ``team_wait``/``team_wait_since``. A citizen is on at most one team's list at a time
  (and may be on a place's list too).

Only the owner changes a citizen's list. Citizens join in weekly batches; within a
week a list orders them by index, as ``places.order_waiting`` breaks ties. Each
team's list is kept as one sorted chunk per week (:class:`TeamList`), so its
first-come-first-served order is simply its front, and admitting ``n`` citizens
touches only the first few chunks, however long the list. Citizens who left a list
(admitted, or gone from the system) are recognised by their ``team_wait`` and
``team_wait_since`` no longer matching, and dropped when met.
"""

from __future__ import annotations

import numpy as np

from sim.citizens import NO_WEEK

#: Per-citizen arrays of the team lists (name, dtype, fill): the team whose list a
#: citizen is on (-1: none) and the week they joined it.
LIST_FIELDS = (("team_wait", np.int8, -1), ("team_wait_since", np.int32, NO_WEEK))


class TeamList:
    """Waiting list of team ``team``: one sorted chunk of citizen indices per week."""

    def __init__(self, team: int):
        self.team = team
        self.weeks: list[int] = []
        self.chunks: list[np.ndarray] = []
        self.stored = 0  # entries held, including those no longer on the list

    def add(self, idx: np.ndarray, week: int) -> None:
        """Citizens ``idx`` joined the list in ``week`` (not earlier than any before)."""
        if idx.size == 0:
            return
        if self.weeks and self.weeks[-1] == week:
            self.chunks[-1] = np.sort(np.concatenate([self.chunks[-1], idx]))
        else:
            self.weeks.append(week)
            self.chunks.append(np.sort(idx))
        self.stored += idx.size

    def _valid(self, arrays, i: int) -> np.ndarray:
        idx = self.chunks[i]
        return idx[
            (arrays.team_wait[idx] == self.team) & (arrays.team_wait_since[idx] == self.weeks[i])
        ]

    def first(self, arrays, n: int) -> np.ndarray:
        """Return the first ``n`` citizens on the list (first come, first served).

        They are taken off the front of the chunks (the caller takes them off the list
        itself).
        """
        out: list[np.ndarray] = []
        got = i = 0
        while got < n and i < len(self.chunks):
            valid = self._valid(arrays, i)
            if valid.size <= n - got:
                out.append(valid)
                got += valid.size
                self.stored -= self.chunks[i].size
                i += 1
            else:
                out.append(valid[: n - got])
                self.stored -= self.chunks[i].size - (valid.size - (n - got))
                self.chunks[i] = valid[n - got :]
                got = n
        del self.chunks[:i], self.weeks[:i]
        return np.concatenate(out) if out else np.zeros(0, dtype=np.intp)

    def everyone(self, arrays) -> np.ndarray:
        """Everyone on the list, in joining order; drops entries no longer on it."""
        kept = [(w, v) for i, w in enumerate(self.weeks) if (v := self._valid(arrays, i)).size]
        self.weeks = [w for w, _ in kept]
        self.chunks = [v for _, v in kept]
        self.stored = sum(v.size for v in self.chunks)
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.intp)

    def compact(self, arrays, on_list: int) -> None:
        """Drop stale entries once they outnumber those on the list (bounds memory)."""
        if self.stored > 2 * on_list + 256:
            self.everyone(arrays)


class TeamLists:
    """Every team's waiting list for one model.

    Says who is on which, in what order, and how many wait for each team (``waiting``).
    """

    def __init__(self, arrays, n_teams: int):
        self.arrays = arrays
        self.lists = [TeamList(k) for k in range(n_teams)]
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
        self.lists[team].add(idx, week)

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
        taken = self.lists[team].first(self.arrays, n)
        self.lists[team].compact(self.arrays, int(self.waiting[team]) - taken.size)
        return taken

    def everyone(self, team: int) -> np.ndarray:
        """Everyone on team ``team``'s list, in joining order."""
        return self.lists[team].everyone(self.arrays)
