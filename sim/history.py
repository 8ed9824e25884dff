"""The history of a run: every stay of every citizen in nights, and the run's calendar.

A *stay* is an unbroken run of nights of one citizen in one situation, ``[start, end)``
in nights counted from night 0 (the first night of the run); ``end`` is the first night
elsewhere, so the stay holds ``end - start`` nights. A stay still open at the horizon
ends at the horizon and is *right-censored*. A stay of the initial population may start
before night 0 (from the time the initial situation was drawn to have begun). Of the
time before it only the start of a homeless citizen's spell is known (``spell_from``,
where a run over every homeless situation begins); nothing else earlier is known about
those citizens (*left-censoring*).

The measures of shelter use (``sim.shelter_use``) and the data's own terms
(``sim.data_terms``) read a :class:`History`, built from a model
(:meth:`History.from_model`) or by hand (:meth:`History.from_stays`, used by the tests).
Everything here is vectorised over stays; nothing loops over citizens in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from sim.situations import (
    DAYS_PER_WEEK,
    HOMELESS_MASK,
    LEFT,
    N_SIT,
    SITUATIONS,
    WEEKS_PER_YEAR,
    Situation,
)

#: Nights in each month of a common year, January to December.
MONTH_NIGHTS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: A model year under the weekly engine: 52 weeks.
YEAR_NIGHTS = WEEKS_PER_YEAR * DAYS_PER_WEEK
STAY_COLUMNS = ("citizen", "situation", "start", "end")
#: ``History.fields`` key: night the homeless spell of a week-0 citizen began (0 for
#: the rest). A run over every homeless situation that holds night 0 starts there, not
#: at the start of the citizen's first stay: the spell is known to be older.
SPELL_FROM = "spell_from"


@dataclass(frozen=True)
class Calendar:
    """Calendar years and months of a run, in nights from night 0.

    Night 0 is 1 January of ``start_year``.

    A year is ``year_nights`` nights (364 under the weekly engine), so years begin where
    the weekly tables' years begin. Months have the lengths of a common year; December
    takes what is left of the year (30 nights in a 364-night year).
    """

    start_year: int
    year_nights: int = YEAR_NIGHTS

    def __post_init__(self) -> None:
        if not 334 < self.year_nights <= 366:
            raise ValueError(f"year_nights must be in 335..366, got {self.year_nights}")

    def year_bounds(self, horizon: int) -> np.ndarray:
        """First nights of the complete years before ``horizon``, then the end of the last.

        ``bounds[y] .. bounds[y + 1]`` is year ``y``.
        """
        return np.arange(horizon // self.year_nights + 1, dtype=np.int64) * self.year_nights

    def years(self, horizon: int) -> np.ndarray:
        """Calendar years of the complete years before ``horizon``."""
        return self.start_year + np.arange(horizon // self.year_nights)

    def month_offsets(self) -> np.ndarray:
        """First night of each month within a year, and the year's length (13 values)."""
        starts = np.concatenate([[0], np.cumsum(MONTH_NIGHTS)[:-1]])
        return np.append(starts, self.year_nights).astype(np.int64)

    def month_bounds(self, horizon: int) -> np.ndarray:
        """First nights of the complete months before ``horizon``, then the end of the last.

        As :meth:`year_bounds`, month by month.
        """
        off = self.month_offsets()
        full = horizon // self.year_nights + 1
        starts = (np.arange(full)[:, None] * self.year_nights + off[None, :-1]).ravel()
        bounds = np.append(starts, full * self.year_nights)
        return bounds[bounds <= horizon]

    def months(self, horizon: int) -> pd.DataFrame:
        """Year and month (1-12) of each complete month before ``horizon``."""
        k = np.arange(self.month_bounds(horizon).size - 1)
        return pd.DataFrame({"year": self.start_year + k // 12, "month": k % 12 + 1})

    def night(self, year: int, month: int, day: int) -> int:
        """Night of a date (``day`` 1-based) counted from night 0."""
        return int(
            (year - self.start_year) * self.year_nights + self.month_offsets()[month - 1] + day - 1
        )


@dataclass(frozen=True)
class Runs:
    """Unbroken runs of nights in a set of situations, one row per run.

    Rows are sorted by citizen and start.

    ``next_situation`` is where the citizen went at ``end`` (-1: left the system, or
    the run is censored at the horizon); ``censored`` marks runs open at the horizon.
    """

    citizen: np.ndarray
    start: np.ndarray
    end: np.ndarray
    next_situation: np.ndarray
    censored: np.ndarray

    @property
    def size(self) -> int:
        """The number of runs."""
        return int(self.citizen.size)

    @cached_property
    def first_of_citizen(self) -> np.ndarray:
        """True for each citizen's first run."""
        c = self.citizen
        return np.concatenate([[True], c[1:] != c[:-1]]) if c.size else c.astype(bool)

    @cached_property
    def previous_end(self) -> np.ndarray:
        """End of the same citizen's previous run (-1 where there is none)."""
        prev = np.concatenate([[-1], self.end[:-1]]) if self.size else self.end.copy()
        return np.where(self.first_of_citizen, -1, prev)

    @cached_property
    def next_start(self) -> np.ndarray:
        """Start of the same citizen's next run (-1 where there is none)."""
        if not self.size:
            return self.start.copy()
        last = np.concatenate([self.first_of_citizen[1:], [True]])
        return np.where(last, -1, np.concatenate([self.start[1:], [-1]]))

    def nights_within(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Nights of each run inside each window ``[lo[k], hi[k])``: (runs, windows)."""
        return overlap(self.start, self.end, np.asarray(lo), np.asarray(hi))

    @cached_property
    def _sorted_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.sort(self.start), np.sort(self.end)

    def containing(self, night: np.ndarray) -> np.ndarray:
        """For each night, how many runs hold it (each citizen has at most one)."""
        night = np.asarray(night)
        lo, hi = self._sorted_bounds
        return np.searchsorted(lo, night, side="right") - np.searchsorted(hi, night, side="right")


def overlap(start: np.ndarray, end: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Nights of intervals ``[start, end)`` inside windows ``[lo, hi)``.

    An array of shape (intervals, windows).
    """
    inner = np.minimum(end[:, None], hi[None, :]) - np.maximum(start[:, None], lo[None, :])
    return np.clip(inner, 0, None)


def by_citizen(citizen: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum rows of ``values`` per citizen (``citizen`` sorted). Returns (citizens, sums)."""
    if citizen.size == 0:
        return citizen, np.zeros((0, *values.shape[1:]), dtype=values.dtype)
    first = np.flatnonzero(np.concatenate([[True], citizen[1:] != citizen[:-1]]))
    return citizen[first], np.add.reduceat(values, first, axis=0)


def situation_mask(situations: Iterable[Situation | int | str]) -> np.ndarray:
    """A boolean table over situation codes, true for the given situations."""
    table = np.zeros(N_SIT, dtype=bool)
    for s in situations:
        table[SITUATIONS.index(s) if isinstance(s, str) else int(s)] = True
    return table


@dataclass(frozen=True)
class History:
    """Every stay of a run, sorted by citizen and start, with the citizens' fields.

    The stays are arrays ``citizen``, ``situation``, ``start``, ``end`` (:attr:`stays`
    as a table); the citizens' fields are in :attr:`citizens` (needs, birth and entered
    in weeks); also the horizon in nights and the calendar.
    """

    citizen: np.ndarray
    situation: np.ndarray
    start: np.ndarray
    end: np.ndarray
    horizon: int
    calendar: Calendar
    fields: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_model(cls, model: Any) -> History:
        """The history of a model run so far, at any week; the model is not changed.

        The stays still open now end at the current week (right-censored). Rows of the
        stay log that an earlier ``finish`` closed early are superseded by the longer row
        of the same stay, and a stay of no nights (two moves in one week) is dropped.
        """
        a = model.citizens
        fields = {"needs": a.needs.copy(), "birth": a.birth.copy(), "entered": a.entered.copy()}
        if hasattr(a, "kind"):
            fields["kind"] = a.kind.copy()
        log = model.recorder.stays.frame()
        now = np.flatnonzero((a.situation != LEFT) & (a.since_night < model.week * DAYS_PER_WEEK))
        cit, sit, start, end = (
            np.concatenate([log[c].to_numpy().astype(np.int64), extra])
            for c, extra in zip(
                STAY_COLUMNS,
                (
                    now,
                    a.situation[now],
                    a.since_night[now].astype(np.int64),
                    np.full(now.size, model.week * DAYS_PER_WEEK),
                ),
                strict=True,
            )
        )
        cit, sit, start, end = _longest_per_start(cit, sit, start, end)
        spell = np.zeros(a.n, dtype=np.int64)
        known = model.population.initial_spell_nights
        spell[: known.size] = known
        fields[SPELL_FROM] = spell
        init = model.params.initial
        fields["before"] = use_before(cit, sit, start, a.n, init.former_users, init.recent_users)
        return cls.from_arrays(
            cit,
            sit,
            start,
            end,
            horizon=model.week * DAYS_PER_WEEK,
            start_year=model.params.setting.start_year,
            fields=fields,
        )

    @classmethod
    def from_stays(
        cls,
        stays: pd.DataFrame | dict,
        horizon: int,
        start_year: int = 2015,
        year_nights: int = YEAR_NIGHTS,
    ) -> History:
        """A history from a stay log table (situations as codes or names)."""
        df = pd.DataFrame(stays)
        missing = [c for c in STAY_COLUMNS if c not in df]
        if missing:
            raise ValueError(f"stays need columns {STAY_COLUMNS}; missing {missing}")
        sit = df["situation"].to_numpy()
        if sit.dtype == object:
            sit = np.array([SITUATIONS.index(s) for s in sit])
        return cls.from_arrays(
            df["citizen"].to_numpy(),
            sit,
            df["start"].to_numpy(),
            df["end"].to_numpy(),
            horizon=horizon,
            start_year=start_year,
            year_nights=year_nights,
        )

    @classmethod
    def from_arrays(
        cls,
        citizen: np.ndarray,
        situation: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        *,
        horizon: int,
        start_year: int = 2015,
        year_nights: int = YEAR_NIGHTS,
        fields: dict[str, np.ndarray] | None = None,
    ) -> History:
        """A history from stay arrays in any order.

        Stays of one citizen must not overlap and must end by ``horizon``; back-to-back
        pieces of one stay in the same situation are joined into one stay.
        """
        cols = [
            np.asarray(citizen, np.int64),
            np.asarray(situation).astype(np.int8),
            np.asarray(start, np.int64),
            np.asarray(end, np.int64),
        ]
        key = sort_key(cols[0], cols[2])
        if (key[1:] < key[:-1]).any():
            order = np.argsort(key, kind="stable")
            cols = [c[order] for c in cols]
        cols = _join_pieces(*cols)
        _check(*cols, horizon)
        return cls(*cols, int(horizon), Calendar(start_year, year_nights), fields or {})

    @cached_property
    def stays(self) -> pd.DataFrame:
        """The stays as a table: citizen, situation (code), start, end."""
        return pd.DataFrame(dict(zip(STAY_COLUMNS, self._columns, strict=True)))

    @cached_property
    def citizens(self) -> pd.DataFrame:
        """The citizens' fields (needs, birth, entered, kind when the model has kinds)."""
        return pd.DataFrame(self.fields).rename_axis("citizen")

    @property
    def _columns(self) -> tuple[np.ndarray, ...]:
        return self.citizen, self.situation, self.start, self.end

    def runs(self, situations: Iterable[Situation | int | str]) -> Runs:
        """Unbroken runs of nights in ``situations``, cached per set.

        A shelter stay that moves on to a night shelter is one run when both are in the set.
        """
        mask = situation_mask(situations)
        key = mask.tobytes()
        if key not in self._cache:
            self._cache[key] = self._runs(mask)
        return self._cache[key]

    def _runs(self, mask: np.ndarray) -> Runs:
        cit, sit, start, end = self._columns
        inset = mask[sit]
        idx = np.flatnonzero(inset)
        if idx.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return Runs(empty, empty, empty, empty, empty.astype(bool))
        prev = np.maximum(idx - 1, 0)
        joined = (idx > 0) & inset[prev] & (cit[prev] == cit[idx]) & (end[prev] == start[idx])
        first = idx[~joined]
        heads = np.flatnonzero(~joined)
        last = idx[np.append(heads[1:] - 1, idx.size - 1)]
        nxt = np.minimum(last + 1, cit.size - 1)
        has_next = (last + 1 < cit.size) & (cit[nxt] == cit[last])
        begin = start[first]
        spell = self.fields.get(SPELL_FROM)
        if spell is not None and mask[HOMELESS_MASK].all():  # the spell before night 0
            early = begin <= 0
            begin[early] = np.minimum(begin[early], spell[cit[first][early]])
        return Runs(
            cit[first],
            begin,
            end[last],
            np.where(has_next, sit[nxt], -1).astype(np.int64),
            end[last] >= self.horizon,
        )


#: ``History.fields["before"]``: what the record knows of a citizen's system use
#: before night 0 (``initial.former_users`` and ``initial.recent_users``).
UNKNOWN, FORMER, RECENT = 0, 1, 2


def use_before(
    citizen: np.ndarray,
    situation: np.ndarray,
    start: np.ndarray,
    n: int,
    former: Iterable[Situation | int | str],
    recent: Iterable[Situation | int | str],
) -> np.ndarray:
    """Each of ``n`` citizens' use of the shelter system before the record began.

    ``FORMER`` for those in one of ``former`` at night 0 (they used it, but more than
    three months ago), ``RECENT`` for those in one of ``recent`` (they used it in the
    three months before), ``UNKNOWN`` otherwise. The stay under way at night 0 starts
    on it or before.
    """
    before = np.zeros(n, dtype=np.int8)
    for code, situations in ((FORMER, former), (RECENT, recent)):
        wanted = list(situations)
        if wanted:
            on = (start <= 0) & situation_mask(wanted)[situation]
            before[citizen[on]] = code
    return before


def sort_key(citizen: np.ndarray, night: np.ndarray) -> np.ndarray:
    """One int64 per (citizen, night) that sorts by citizen, then night.

    Nights from -2**31 to 2**32.
    """
    return np.asarray(citizen, dtype=np.int64) * (1 << 33) + (
        np.asarray(night, dtype=np.int64) + (1 << 31)
    )


def order_by_citizen(citizen: np.ndarray) -> np.ndarray:
    """A stable order of rows by citizen, in time linear in the rows.

    Two passes of numpy's radix sort on 16-bit digits (citizen ids below 2**32).
    """
    c = np.asarray(citizen, dtype=np.int64)
    order = np.argsort((c & 0xFFFF).astype(np.uint16), kind="stable")
    high = (c[order] >> 16).astype(np.uint16)
    return order[np.argsort(high, kind="stable")]


def _longest_per_start(
    citizen: np.ndarray, situation: np.ndarray, start: np.ndarray, end: np.ndarray
) -> list[np.ndarray]:
    """The stay log in order (by citizen, then time), one row per (citizen, start).

    Each row ends where its last (and longest) row ends; rows of no nights are dropped.

    The log is appended in time order, so a stable order by citizen puts each
    citizen's stays in time order, with a row an earlier ``finish`` closed just before
    the longer row of the same stay.
    """
    order = order_by_citizen(citizen)
    c, s = citizen[order], start[order]
    heads = (
        np.flatnonzero(np.concatenate([[True], (c[1:] != c[:-1]) | (s[1:] != s[:-1])]))
        if c.size
        else np.zeros(0, dtype=np.intp)
    )
    last = end[order[np.append(heads[1:] - 1, c.size - 1)]] if heads.size else end[:0]
    rows = order[heads]
    keep = last > start[rows]
    return [citizen[rows][keep], situation[rows][keep], start[rows][keep], last[keep]]


def _check(c: np.ndarray, sit: np.ndarray, s: np.ndarray, e: np.ndarray, horizon: int) -> None:
    """Reject a stay log that cannot be a history.

    Refused: empty or overlapping stays, stays past the horizon.
    """
    bad = e <= s
    if bad.any():
        raise ValueError(f"stays must end after they start (citizen {c[np.argmax(bad)]})")
    if (e > horizon).any():
        raise ValueError(f"stays must end by the horizon (night {horizon})")
    if ((c[1:] == c[:-1]) & (s[1:] < e[:-1])).any():
        raise ValueError("stays of one citizen must not overlap")


def _join_pieces(c: np.ndarray, sit: np.ndarray, s: np.ndarray, e: np.ndarray) -> list[np.ndarray]:
    """Join back-to-back rows of one citizen in one situation into one stay."""
    if c.size < 2:
        return [c, sit, s, e]
    joined = np.concatenate(
        [[False], (c[1:] == c[:-1]) & (sit[1:] == sit[:-1]) & (s[1:] == e[:-1])]
    )
    if not joined.any():
        return [c, sit, s, e]
    heads = np.flatnonzero(~joined)
    ends = e[np.append(heads[1:] - 1, c.size - 1)]
    return [c[heads], sit[heads], s[heads], ends]
