"""Who is in the pool: the week-0 population, new entrants, and their age bands.

Needs groups and ages are drawn from the scenario's mixes (stream ``init`` for week 0,
``entries`` for entrants). Entrants do not depend on what happens in the model, so all
of them are drawn when the model is built, week by week under the parameters in force
that week; each week then only copies its entrants into the arrays. A citizen's age
band changes on two birthdays (25 and 30); those weeks are known when the citizen is
drawn, so they are scheduled then and the weekly step only touches the few citizens
with a birthday that week.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.nights import nightly_hazard
from sim.situations import (
    AGE_BANDS,
    AGE_THRESHOLDS_YEARS,
    DAYS_PER_WEEK,
    HOMELESS_MASK,
    NEEDS,
    SITUATIONS,
    WEEKS_PER_YEAR,
    age_band_of,
)

#: Age range in years drawn within each band (30+: up to 70).
AGE_RANGES = ((18.0, 25.0), (25.0, 30.0), (30.0, 70.0))
_LO = np.array([a for a, _ in AGE_RANGES])
_HI = np.array([b for _, b in AGE_RANGES])


def draw(rng: np.random.Generator, shares: np.ndarray, n: int) -> np.ndarray:
    """``n`` category codes with the given shares (cumulative search, one uniform each)."""
    cum = np.cumsum(shares)
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(shares) - 1)


def shares(mix: Mapping[str, float], names: tuple[str, ...]) -> np.ndarray:
    """Shares of ``names`` in a mix, normalised (cached: mixes repeat every week)."""
    return _shares(tuple(mix.get(k, 0.0) for k in names))


@functools.lru_cache(maxsize=256)
def _shares(values: tuple[float, ...]) -> np.ndarray:
    p = np.array(values, dtype=float)
    return p / p.sum()


class Birthdays:
    """Weeks at which citizens move up an age band."""

    def __init__(self, horizon: int):
        self.horizon = horizon
        self._due: dict[int, list[np.ndarray]] = defaultdict(list)

    def schedule(self, idx: np.ndarray, birth: np.ndarray, week: int | np.ndarray) -> None:
        """Schedule the band changes of citizens ``idx`` born in weeks ``birth``.

        Only changes that fall after ``week`` (their week of entry) and within the
        horizon are scheduled.
        """
        for years in AGE_THRESHOLDS_YEARS:
            when = birth + years * WEEKS_PER_YEAR
            keep = (when > week) & (when <= self.horizon)
            if not keep.any():
                continue
            w, i = when[keep], idx[keep]
            if w.size < 32:  # a week's few entrants: a plain loop is cheapest
                for wk, one in zip(w.tolist(), i.tolist(), strict=True):
                    self._due[wk].append(np.array([one]))
                continue
            order = np.argsort(w, kind="stable")
            w, i = w[order], i[order]
            cuts = np.flatnonzero(np.diff(w)) + 1
            for wk, chunk in zip(w[np.r_[0, cuts]], np.split(i, cuts), strict=True):
                self._due[int(wk)].append(chunk)

    def due(self, week: int) -> np.ndarray:
        """Return (and forget) the citizens who move up an age band in week ``week``."""
        chunks = self._due.pop(week, None)
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.intp)


@dataclass
class Arrivals:
    """Every entrant of a run, in order of arrival.

    Entrants of week ``r`` are rows ``start[r]:start[r + 1]``.
    """

    start: np.ndarray
    needs: np.ndarray
    birth: np.ndarray
    band: np.ndarray  # age band on arrival
    dest: np.ndarray  # where their route sends them


class Population:
    """Creates citizens in the model's arrays."""

    def __init__(self, model):
        self.model = model
        self.birthdays = Birthdays(model.weeks)
        self.arrivals: Arrivals | None = None
        #: Night the homeless spell of each week-0 citizen began (0: not homeless then).
        self.initial_spell_nights = np.zeros(0, dtype=np.int64)

    def _new(
        self,
        rng: np.random.Generator,
        n: int,
        needs_mix: Mapping[str, float],
        age_mix: Mapping[str, float],
        week: int,
    ) -> np.ndarray:
        """Add ``n`` citizens (still outside: situation LEFT) and return their indices."""
        a = self.model.citizens
        sl = a.grow(n)
        idx = np.arange(sl.start, sl.stop)
        needs = draw(rng, shares(needs_mix, NEEDS), n).astype(np.int8)
        birth = week - self._age_weeks(rng, shares(age_mix, AGE_BANDS), n)
        a.needs[idx], a.birth[idx], a.entered[idx] = needs, birth, week
        a.band[idx] = age_band_of(week - birth)
        self.birthdays.schedule(idx, birth, week)
        return idx

    def populate(self) -> np.ndarray:
        """The week-0 population, placed directly (no flows); returns all indices."""
        model = self.model
        sc, rng = model.params, model.streams["init"]
        mixes = sc.initial.needs_mix
        a = model.citizens
        for name, count in sc.initial.counts.items():
            n = round(count * sc.setting.scale)
            if n == 0:
                continue
            s = SITUATIONS.index(name)
            idx = self._new(rng, n, mixes.get(name, mixes.get("default")), sc.initial.age_mix, 0)
            a.situation[idx] = s
            if HOMELESS_MASK[s]:
                mean = max(sc.initial.spell_weeks_mean, 1.0)
                already = rng.geometric(1.0 / mean, size=n) - 1 if mean > 1 else np.zeros(n)
                a.spell_start[idx] = -already.astype(np.int32)
                a.spells[idx] = 1
        a.kind[:] = model.tables.kinds.draw(
            model.streams["kinds"], a.needs, a.band, HOMELESS_MASK[a.situation]
        )
        return np.arange(a.n)

    def date_stays(self, idx: np.ndarray) -> None:
        """When the current stays of the week-0 population began (``since``, ``since_night``).

        A homeless citizen's stay in the situation it holds at night 0 is part of its
        homeless spell (begun ``-spell_start`` weeks before), but need not be as old: it is
        drawn as a stay of its row in the steady state would be. With the row's weekly
        chance of leaving ``q`` (``MoveTables.leave``: the kind's, without duration
        dependence), a stay ends on a night with chance ``h = 1 - (1 - q) ** (1 / 7)``,
        and the nights a stay in progress has lasted are geometric,
        ``P(age >= n) = (1 - h) ** n`` (the backward recurrence time of a memoryless
        stay), cut at the spell's age. Were every stay as old as its spell, the stays
        ending in the first year would run long (132 nights per stay against 67 in the
        years after, in ``denmark_calibrated``). The spell's start is kept for the
        measures of long homelessness (``initial_spell_nights``). Stream ``init``, drawn
        after everything else from it. Codes (``recode``) must be set.
        """
        model = self.model
        a = model.citizens
        spell = np.zeros(a.n, dtype=np.int64)
        home = idx[HOMELESS_MASK[a.situation[idx]]]
        spell[home] = -a.spell_start[home].astype(np.int64) * DAYS_PER_WEEK
        self.initial_spell_nights = -spell  # night each one's spell began (0: none)
        h = nightly_hazard(model.tables.leave[a.code[home]])
        age = spell[home]
        ends = h > 0
        drawn = model.streams["init"].geometric(h[ends]) - 1
        age[ends] = np.minimum(drawn, age[ends])
        a.since_night[home] = -age
        a.since[home] = -((age + DAYS_PER_WEEK - 1) // DAYS_PER_WEEK)  # the week it began

    def plan_arrivals(self, phases: Mapping[int, object]) -> None:
        """Draw every entrant of the horizon (after the week-0 population is placed).

        Week ``r``'s entrants follow the parameters the model uses in week ``r``: those
        of the latest dated change before it. Their birthdays are scheduled now, for
        the indices they will get (entrants are the only citizens added later).
        """
        model, rng, weeks = self.model, self.model.streams["entries"], self.model.weeks
        cuts = sorted(k for k in phases if 0 < k < weeks)
        params = [model.params, *(phases[k] for k in cuts)]
        bounds = [1, *(k + 1 for k in cuts), weeks + 1]  # week r uses params[i] for r in
        counts, parts = [np.zeros(1, dtype=np.int64)], []  # bounds[i] .. bounds[i+1]-1
        for sc, lo, hi in zip(params, bounds[:-1], bounds[1:], strict=True):
            ent = sc.entries
            if ent.per_week <= 0 or not ent.routes:
                counts.append(np.zeros(hi - lo, dtype=np.int64))
                continue
            n = rng.poisson(ent.per_week * sc.setting.scale, size=hi - lo)
            counts.append(n)
            week = np.repeat(np.arange(lo, hi), n)
            needs = draw(rng, shares(ent.needs_mix, NEEDS), week.size).astype(np.int8)
            birth = week - self._age_weeks(rng, shares(ent.age_mix, AGE_BANDS), week.size)
            codes, p = self._route_table(ent.routes)
            parts.append(
                (needs, birth, age_band_of(week - birth), codes[draw(rng, p, week.size)], week)
            )
        start = np.cumsum(np.concatenate(counts))
        cols = (
            [np.concatenate(c) for c in zip(*parts, strict=True)]
            if parts
            else [np.zeros(0, dtype=t) for t in (np.int8, np.int32, np.int8, np.int8, np.int64)]
        )
        self.arrivals = Arrivals(np.concatenate([[0], start]), *cols[:4])
        self.birthdays.schedule(model.citizens.n + np.arange(cols[0].size), cols[1], cols[4])

    @staticmethod
    def _age_weeks(rng: np.random.Generator, band_shares: np.ndarray, n: int) -> np.ndarray:
        """Ages in weeks: a band by its share, then uniform within the band's years."""
        band = draw(rng, band_shares, n)
        return np.floor(
            (_LO[band] + (_HI[band] - _LO[band]) * rng.random(n)) * WEEKS_PER_YEAR
        ).astype(np.int32)

    def enter(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """This week's entrants (still outside) and where their routes send them."""
        arr = self.arrivals
        lo, hi = int(arr.start[r]), int(arr.start[r + 1])
        if hi == lo:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int8)
        a = self.model.citizens
        sl = a.grow(hi - lo)
        a.needs[sl], a.birth[sl], a.band[sl] = arr.needs[lo:hi], arr.birth[lo:hi], arr.band[lo:hi]
        a.entered[sl] = r
        a.kind[sl] = self.model.tables.kinds.draw(
            self.model.streams["kinds"], a.needs[sl], a.band[sl]
        )
        return np.arange(sl.start, sl.stop), arr.dest[lo:hi]

    @staticmethod
    def _route_table(routes: Mapping[str, Mapping]) -> tuple[np.ndarray, np.ndarray]:
        """Destinations and their overall shares (route share x destination share)."""
        codes, p = [], []
        for route in routes.values():
            total = sum(route["to"].values())
            for name, share in route["to"].items():
                codes.append(SITUATIONS.index(name))
                p.append(route["share"] * share / total)
        return np.array(codes, dtype=np.int8), np.array(p)
