"""A support team's waiting list, kept in the order citizens joined it.

Citizens join in weekly batches; within a week the list orders them by index, as
``places.order_waiting`` breaks ties. Kept as one sorted chunk per week, the list's
first-come-first-served order is simply its front, so admitting ``n`` citizens
touches only the first few chunks, however long the list. Citizens who left the list
(admitted, or gone from the system) are recognised by their ``team_wait`` and
``team_wait_since`` no longer matching, and dropped when met.
"""

from __future__ import annotations

import numpy as np


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
        """The first ``n`` citizens on the list (first come, first served), taken off
        the front of the chunks (the caller takes them off the list itself)."""
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
