"""The one lifecycle every policy follows, and what a policy may declare.

A policy is a module-sized object that :class:`~sim.policies.runtime.PolicySet` calls
at fixed points of the weekly step, in this order:

1. ``before_moves(week)``: work done before anyone moves (support ends, referrals,
   admissions, prevention reaching tenancies, joining a list for a home);
2. ``filter_moves(movers, dest)``: change or cancel the drawn moves (the staircase);
3. ``multipliers()``: citizens whose weekly chances differ from their table row;
4. ``on_move(idx, old, dest, week)``: after citizens moved (support follows them);
   in the compiled week, ``follow_week`` instead, once, with all the week's moves in
   the order they were made (a citizen may move more than once);
5. ``after_week(week)``: tallies once the week is done.

``week`` is the week being stepped, counted from 1: the moves made in it lead to state
``week`` (``model.week`` is ``week - 1`` until the step ends). A policy declares the
per-citizen arrays it uses (``FIELDS``), which the model holds from the start whether or
not the policy is on, and the rules it sets for the waiting lists of places
(``queue_rules``): citizens who go first on a list, and places kept for some.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np

#: A per-citizen array a policy declares: (name, numpy dtype, fill value).
Field = tuple[str, type, object]
#: Citizens whose chances differ, with multipliers on being housed and on losing a
#: home (None: unchanged), aligned with the citizens.
Multiplier = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]
#: Marks which of some citizens a rule applies to: citizens -> bool array.
Who = Callable[[np.ndarray], np.ndarray]


@dataclass
class QueueRules:
    """What a policy asks of the waiting lists for places, by list index.

    Lists are indexed as in ``sim.places.QUEUE_NAMES``: who goes first, and how many
    places are kept for whom (the :class:`~sim.places.Allocator` that owns the lists
    applies them).
    """

    front: dict[int, Who] = field(default_factory=dict)
    reserved: dict[int, tuple[int, Who]] = field(default_factory=dict)


class Policy(Protocol):
    """The lifecycle of a policy (see the module docstring for when each is called)."""

    #: Per-citizen arrays the policy reads or writes, declared when the model is built.
    FIELDS: ClassVar[tuple[Field, ...]]

    def before_moves(self, week: int) -> None:
        """Act before the moves of week ``week``."""
        ...

    def filter_moves(self, movers: np.ndarray, dest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The moves to make of those drawn (citizens, destinations)."""
        ...

    def multipliers(self) -> list[Multiplier]:
        """Citizens whose chances this week differ from their table row."""
        ...

    def on_move(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, week: int) -> None:
        """Citizens ``idx`` (distinct) moved from ``old`` to ``dest`` in week ``week``."""
        ...

    def follow_week(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, week: int) -> None:
        """The week's moves, in the order made; a citizen may be in them more than once."""
        ...

    def after_week(self, week: int) -> None:
        """Week ``week`` is done (state ``week`` reached)."""
        ...

    def queue_rules(self) -> QueueRules:
        """Front-runners and reserved places on the lists for places."""
        ...


class BasePolicy:
    """A policy that does nothing at any point: subclasses override what they need."""

    FIELDS: ClassVar[tuple[Field, ...]] = ()

    def before_moves(self, week: int) -> None:
        """Nothing before the moves."""

    def filter_moves(self, movers: np.ndarray, dest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every drawn move is made."""
        return movers, dest

    def multipliers(self) -> list[Multiplier]:
        """Nobody's chances change."""
        return []

    def on_move(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, week: int) -> None:
        """Nothing follows a move."""

    def follow_week(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, week: int) -> None:
        """The week's moves at once: ``on_move`` with them all.

        Right for an ``on_move`` that gives the same whether moves come at once or in
        turn, with a citizen more than once; a policy for which it does not overrides it.
        """
        self.on_move(idx, old, dest, week)

    def after_week(self, week: int) -> None:
        """Nothing to tally."""

    def queue_rules(self) -> QueueRules:
        """No rule for the lists."""
        return QueueRules()
