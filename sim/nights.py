"""Nights inside the weekly step: nightly hazard, night of a move, moves by night.

The week's moves are kept in order of their nights.

Week ``w`` covers nights ``7w`` to ``7w + 6``. A move is dated by its *offset*
``d`` in ``1 .. 7``: the citizen's first night in the new situation is ``7w + d``, so
offset 7 is the first night of the next week (the old weekly clock) and a stay that
begins on offset ``d`` and ends on offset ``d + 1`` lasts one night.

Stays are semi-Markov with a geometric default: a row whose weekly chance of leaving is
``q`` has the nightly hazard ``h = 1 - (1 - q)^(1/7)``, so its stays are geometric in
nights and the chance of leaving within ``n`` nights is ``1 - (1 - q)^(n/7)``; over a
whole week that is exactly ``q``, which is why the weekly draw (one uniform per
citizen) still decides who moves. Only for movers is the night drawn, from the
geometric truncated to the nights left (:func:`move_offsets`).
"""

from __future__ import annotations

import numpy as np

from sim.kernels import night_offsets
from sim.situations import DAYS_PER_WEEK

#: Offsets of a week's moves: 1 (the second night of the week) to 7 (the next week's first).
OFFSETS = range(1, DAYS_PER_WEEK + 1)


def nightly_hazard(q: np.ndarray | float) -> np.ndarray:
    """Nightly chance of leaving, ``1 - (1 - q)^(1/7)``, of a weekly chance ``q``."""
    return chance_within(q, 1)


def chance_within(q: np.ndarray | float, nights: np.ndarray | int) -> np.ndarray:
    """Chance of leaving within ``nights`` nights, ``1 - (1 - q)^(nights/7)``.

    ``q`` is the row's weekly chance of leaving; exact also for ``q`` near 0 or at 1.
    """
    q = np.minimum(np.asarray(q, dtype=np.float64), 1.0)
    with np.errstate(divide="ignore"):
        return -np.expm1(np.log1p(-q) * (np.asarray(nights) / DAYS_PER_WEEK))


def move_offsets(q: np.ndarray, start: np.ndarray | int, v: np.ndarray) -> np.ndarray:
    """Offsets (``start + 1 .. 7``) of the moves of citizens known to leave this week.

    Their current stay began on offset ``start`` (0: at the week's start).

    The night is the geometric of hazard ``h = nightly_hazard(q)`` truncated to the
    ``m = 7 - start`` nights left: ``P(start + k) = h (1 - h)^(k-1) / (1 - (1 - h)^m)``,
    drawn by inverting its distribution function with the uniforms ``v``.
    """
    start = np.asarray(start, dtype=np.int64).reshape(-1)
    q = np.asarray(q, dtype=np.float64).reshape(-1)
    return night_offsets(q, start, np.asarray(v, dtype=np.float64).reshape(-1))


def nightly_matrix(weekly: np.ndarray) -> np.ndarray:
    """The nightly chain of weekly matrices ``weekly`` (``..., S, S``).

    Each row keeps its destination shares and leaves with the nightly hazard of its
    weekly chance of leaving, so the model without limits is exactly the chain
    ``P_night`` night by night and ``x0 P_night^(7t)`` after ``t`` weeks.
    """
    weekly = np.asarray(weekly, dtype=np.float64)
    diag = np.diagonal(weekly, axis1=-2, axis2=-1)
    q = 1.0 - diag
    h = nightly_hazard(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(q > 0, h / q, 0.0)
    out = weekly * scale[..., None]
    n = weekly.shape[-1]
    idx = np.arange(n)
    out[..., idx, idx] = 1.0 - h
    return out


class NightEvents:
    """The week's moves still to be made, by offset.

    Each move holds the citizen, the destination and the offset it was drawn on (0: the
    weekly draw); a move is void once the citizen has moved since it was drawn.
    """

    def __init__(self) -> None:
        self._at: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}

    def add(
        self, idx: np.ndarray, dest: np.ndarray, offset: np.ndarray, drawn: int | np.ndarray
    ) -> None:
        """Schedule moves of ``idx`` to ``dest`` on ``offset``.

        ``drawn``: the offset they were drawn on (one for all or one each).
        """
        if idx.size == 0:
            return
        drawn = np.broadcast_to(np.asarray(drawn, dtype=np.int8), idx.shape)
        if idx.size == 1:
            self._at.setdefault(int(offset[0]), []).append((idx, dest, drawn))
            return
        order = np.argsort(offset, kind="stable")
        off = offset[order]
        cuts = np.flatnonzero(np.diff(off)) + 1
        for part in np.split(order, cuts):
            self._at.setdefault(int(offset[part[0]]), []).append(
                (idx[part], dest[part], drawn[part])
            )

    def take(self, offset: int, moved_at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The moves of ``offset`` still valid.

        Those of citizens who have not moved since the move was drawn (``moved_at``:
        offset of each citizen's last move this week, 0 if none).
        """
        chunks = self._at.pop(offset, None)
        if not chunks:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int8)
        idx_parts, dest_parts = [], []
        for idx, dest, drawn in chunks:
            ok = moved_at[idx] <= drawn
            idx_parts.append(idx[ok])
            dest_parts.append(dest[ok])
        return np.concatenate(idx_parts), np.concatenate(dest_parts)

    def __bool__(self) -> bool:
        return bool(self._at)
