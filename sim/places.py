"""Scarce places and their waiting lists.

Shelter beds, starter homes, alternative homes and supported places are stocks with a
capacity; homes the municipality assigns (kommunal anvisning) are a flow per week,
offered night by night (a seventh of the weekly rate a night, fractions carried over).
A citizen whose move needs a place joins that place's waiting list on the night of the
move. Each night, after that night's other moves (so a place freed that night can be
let that night), free places go to those waiting, in the order the scenario's priority
rule gives. A new applicant refused a shelter bed sleeps where the place's overflow
shares say, and stays on the list; applicants for other places wait where they are. A
citizen is on at most one list; any other move takes them off it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.citizens import NO_WEEK
from sim.scenario.schema import PLACE_NAMES, Scenario
from sim.situations import DAYS_PER_WEEK, HOMELESS_MASK, LIMITED_PLACES, SITUATIONS, Situation

#: Waiting lists, by index: the limited places, then assigned homes.
QUEUE_NAMES: tuple[str, ...] = (*PLACE_NAMES, "assigned_home")
ASSIGNED = len(PLACE_NAMES)
#: Situation code of each limited place, by queue index.
PLACE_SITUATION = np.array([int(s) for s in LIMITED_PLACES], dtype=np.int8)
#: Queue index of each situation (-1: not a limited place).
QUEUE_OF_SITUATION = np.full(len(Situation), -1, dtype=np.int8)
for _k, _s in enumerate(LIMITED_PLACES):
    QUEUE_OF_SITUATION[int(_s)] = _k


def order_waiting(
    rule: str,
    idx: np.ndarray,
    arrays,
    week: int,
    since: np.ndarray | None = None,
    first: np.ndarray | None = None,
    limit: int | None = None,
) -> np.ndarray:
    """Order waiting citizens ``idx`` by a priority rule.

    Ties go to the earliest on the list, then to the lowest index.

    Rules: ``first_come`` (longest on the list), ``longest_homeless`` (longest current
    spell), ``highest_needs`` (high before medium before low), ``youngest_first``.
    ``since`` is the array of weeks citizens joined the list (default: places' lists);
    ``first`` marks citizens who go before all others (a policy's priority group).
    With ``limit``, only the first ``limit`` are returned (found without a full sort).
    """
    since = (arrays.queue_since if since is None else since)[idx]
    if rule == "first_come":
        primary = np.zeros(idx.size, dtype=np.int64)
    elif rule == "longest_homeless":
        start = arrays.spell_start[idx].astype(np.int64)
        primary = np.where(start == NO_WEEK, week + 1, start)  # not homeless: last
    elif rule == "highest_needs":
        primary = -arrays.needs[idx].astype(np.int64)
    elif rule == "youngest_first":
        primary = -arrays.birth[idx].astype(np.int64)
    else:  # validated by the schema; a new rule must be added here
        raise ValueError(f"unknown priority rule {rule!r}")
    if rule == "first_come" and first is None:
        key = (since - since.min(initial=0)).astype(np.int64) * (int(idx.max(initial=0)) + 1) + idx
    else:
        columns = [primary, since.astype(np.int64), idx.astype(np.int64)]
        if first is not None:
            columns.insert(0, (~first).astype(np.int64))  # 0 = goes first
        key = _combined_key(*columns)
    if limit is not None and limit < idx.size:
        part = np.argpartition(key, limit)[:limit]
        return idx[part[np.argsort(key[part])]]
    return idx[np.argsort(key)]


def _combined_key(*columns: np.ndarray) -> np.ndarray:
    """One int64 that sorts like the columns in order (most significant first)."""
    key = np.zeros(columns[0].size, dtype=np.int64)
    for col in columns:
        lo = col.min(initial=0)
        span = int(col.max(initial=0) - lo) + 1
        key = key * span + (col - lo)
    return key


@dataclass
class PlaceRules:
    """Capacities, priority rules and overflow of every waiting list in one phase."""

    capacity: np.ndarray  # per queue index; inf = unlimited; assigned: homes/week
    priority: tuple[str, ...]
    overflow: tuple[tuple[np.ndarray, np.ndarray] | None, ...]
    self_found_share: float

    def __post_init__(self) -> None:
        # queue a move into each situation needs (-1: none, or the place is unlimited)
        q = QUEUE_OF_SITUATION.copy()
        for k, s in enumerate(PLACE_SITUATION):
            if not np.isfinite(self.capacity[k]):
                q[s] = -1
        self.queue_of_situation = q
        self.assigned_limited = bool(np.isfinite(self.capacity[ASSIGNED]))

    @classmethod
    def build(cls, sc: Scenario) -> PlaceRules:
        """Build the lists' rules from a scenario; capacities are times its ``setting.scale``."""
        scale = sc.setting.scale
        caps, prio, over = [], [], []
        for name in PLACE_NAMES:
            place = getattr(sc.places, name)
            caps.append(math.inf if place.capacity is None else round(place.capacity * scale))
            prio.append(place.priority)
            if place.overflow:
                dests = np.array([SITUATIONS.index(k) for k in place.overflow], dtype=np.int8)
                shares = np.cumsum(list(place.overflow.values()))
                over.append((dests, shares / shares[-1]))
            else:
                over.append(None)
        rate = sc.housing.assignments_per_week
        caps.append(math.inf if rate is None else rate * scale)
        prio.append(sc.housing.priority)
        over.append(None)
        return cls(
            np.array(caps, dtype=float),
            tuple(prio),
            tuple(over),
            sc.housing.self_found_share if rate is not None else 1.0,
        )


class Allocator:
    """Runs the waiting lists night by night for one model."""

    def __init__(self, rules: PlaceRules, rng: np.random.Generator):
        self.rules = rules
        self.rng = rng
        self.credit = 0.0  # assigned homes accumulate in fractions
        # policies may put some citizens first on a list, or keep places for them:
        # queue index -> function(citizens) -> bool array "goes first" / "may use reserve"
        self.front: dict[int, Callable[[np.ndarray], np.ndarray]] = {}
        self.reserved: dict[int, tuple[int, Callable[[np.ndarray], np.ndarray]]] = {}

    def needs_place(self, origin: np.ndarray, dest: np.ndarray) -> np.ndarray:
        """Queue index each move needs (-1: none), before any random self-finding."""
        q = self.rules.queue_of_situation[dest]
        if self.rules.assigned_limited:
            own = (dest == int(Situation.OWN)) & HOMELESS_MASK[origin]
            q[own] = ASSIGNED
        return q

    def self_found(self, n: int) -> np.ndarray:
        """Which of ``n`` moves to an own home need no assigned home (drawn)."""
        share = self.rules.self_found_share
        if share >= 1.0:
            return np.ones(n, dtype=bool)
        if share <= 0.0:
            return np.zeros(n, dtype=bool)
        return self.rng.random(n) < share

    def join(self, arrays, idx: np.ndarray, queue: np.ndarray, week: int) -> np.ndarray:
        """Put applicants on lists; those already on the same list keep their place.

        Returns the applicants new to their list.
        """
        new = arrays.queue[idx] != queue
        arrays.queue[idx[new]] = queue[new]
        arrays.queue_since[idx[new]] = week
        return idx[new]

    def allocate(
        self, arrays, occupancy: np.ndarray, week: int, waiting: np.ndarray, homes: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Give free places to those waiting, list by list, in priority order.

        ``waiting``: everyone on a list. Returns the citizens admitted and their places,
        for the caller to move (``occupancy``: as it will be after the night's other
        moves; ``homes``: assigned homes on offer, from :meth:`homes_tonight`).

        A place vacated by someone admitted from an earlier list is free for a later
        list the same night, as if the moves had been made one list at a time.
        """
        none = np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int8)
        if waiting.size == 0:
            return none
        on_list = arrays.queue[waiting]
        listed = np.bincount(on_list, minlength=len(QUEUE_NAMES))
        vacated = np.zeros(len(Situation), dtype=np.int64)
        chosen: list[np.ndarray] = []
        targets: list[np.ndarray] = []
        for k, cap in enumerate(self.rules.capacity):
            if listed[k] == 0:
                continue
            if k == ASSIGNED:
                free, target, occ = homes, int(Situation.OWN), 0
            else:
                target = int(PLACE_SITUATION[k])
                occ = int(occupancy[target] - vacated[target])
                free = math.inf if math.isinf(cap) else int(cap) - occ
            if free <= 0:
                continue
            idx = waiting[on_list == k] if listed[k] < waiting.size else waiting
            if not math.isinf(free) and (free < idx.size or k in self.reserved):
                idx = self._chosen(
                    k, idx, arrays, week, int(free), int(cap) if k != ASSIGNED else 0, occ
                )
            vacated += np.bincount(arrays.situation[idx], minlength=len(Situation))
            chosen.append(idx)
            targets.append(np.full(idx.size, target, dtype=np.int8))
        if not chosen:
            return none
        return np.concatenate(chosen), np.concatenate(targets)

    def _chosen(
        self, k: int, idx: np.ndarray, arrays, week: int, free: int, cap: int, occ: int
    ) -> np.ndarray:
        """Return who gets the ``free`` places.

        Priority order, policy front-runners first, and places kept in reserve only for
        those a policy allows.
        """
        first = self.front[k](idx) if k in self.front else None
        rule = self.rules.priority[k]
        if k not in self.reserved:
            return order_waiting(rule, idx, arrays, week, first=first, limit=free)
        ordered = order_waiting(rule, idx, arrays, week, first=first)
        n_res, may = self.reserved[k]
        allowed = may(ordered)
        # places open to all = capacity - reserve; those left over only for the allowed
        # (occupancy counts everyone, so this is conservative)
        open_all = max(0, cap - n_res - occ)
        others = ordered[~allowed][:open_all]
        chosen = np.concatenate([ordered[allowed][:free], others])
        return ordered[np.isin(ordered, chosen)][:free]

    def homes_tonight(self) -> float:
        """Return the whole assigned homes on offer tonight.

        A seventh of the weekly rate a night; fractions carry over, unused homes do not.
        Called once every night.
        """
        rate = self.rules.capacity[ASSIGNED]
        if math.isinf(rate):
            return math.inf
        self.credit += rate / DAYS_PER_WEEK
        homes = math.floor(self.credit + 1e-9)  # seven sevenths make one home
        self.credit -= homes
        return homes

    def overflow_destinations(self, k: int, n: int) -> np.ndarray | None:
        """Where ``n`` refused applicants for list ``k`` sleep instead (None: they wait)."""
        over = self.rules.overflow[k]
        if over is None:
            return None
        dests, cum = over
        return dests[np.searchsorted(cum, self.rng.random(n), side="right")]
