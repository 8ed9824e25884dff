"""Support teams: CTI, ICM, ACT and floating support (§85).

Each team has places (staff x caseload), eligibility (needs groups, age bands and the
situations citizens are referred from), a waiting list with a priority rule, a
duration (fixed, in phases, for CTI; a weekly chance of ending for open-ended
support) and effects on the weekly chances. A citizen holds at most one team at a
time. Places free up when support ends; nobody is admitted beyond the caseload.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.citizens import NO_WEEK, sorted_unique
from sim.places import order_waiting
from sim.scenario.policy_schema import TEAM_NAMES, Team
from sim.situations import AGE_BANDS, HOMELESS_MASK, LEFT, NEEDS, SITUATIONS

N_TEAMS = len(TEAM_NAMES)


@dataclass
class TeamRules:
    """One team's parameters as lookup tables."""

    enabled: bool
    places: float
    needs: np.ndarray        # bool by needs code
    ages: np.ndarray         # bool by age band
    situations: np.ndarray   # bool by situation code
    referral: float
    on_housing: bool
    priority: str
    duration: int | None
    end_per_week: float
    phase_ends: np.ndarray   # cumulative weeks at which each phase ends
    m_house: np.ndarray      # per phase (one entry when no phases)
    m_loss: np.ndarray

    @classmethod
    def build(cls, team: Team, scale: float) -> TeamRules:
        needs = np.array([n in team.needs for n in NEEDS])
        ages = np.array([a in team.ages for a in AGE_BANDS])
        sits = np.array([s in team.situations for s in SITUATIONS])
        if team.phases:
            weeks = [int(p.get("weeks", 13)) for p in team.phases]
            mh = [float(p.get("m_house", 1.0)) for p in team.phases]
            ml = [float(p.get("m_loss", 1.0)) for p in team.phases]
        else:
            weeks, mh, ml = [10**9], [team.m_house], [team.m_loss]
        return cls(team.enabled, round(team.staff * team.caseload * scale), needs, ages, sits,
                   team.referral_per_week, team.on_housing, team.priority, team.duration_weeks,
                   team.end_per_week, np.cumsum(weeks), np.array(mh), np.array(ml))


class SupportTeams:
    """Runs every team's waiting list and caseload for one model."""

    def __init__(self, model, rules: list[TeamRules], youth_first: bool):
        self.model = model
        self.rules = rules
        self.youth_first = youth_first
        self.rng = model.streams["support"]
        a = model.citizens
        a.add_field("team", np.int8, -1)
        a.add_field("team_since", np.int32, NO_WEEK)
        a.add_field("team_wait", np.int8, -1)
        a.add_field("team_wait_since", np.int32, NO_WEEK)
        self.in_support = np.zeros(N_TEAMS, dtype=np.int64)
        self.waiting = np.zeros(N_TEAMS, dtype=np.int64)
        # citizens in support and on a team's list, kept as sorted index arrays so that
        # no weekly pass over all citizens is needed
        self.members = np.zeros(0, dtype=np.intp)
        self._wait_chunks: list[np.ndarray] = []  # joiners; compacted once a week
        self.log: list[tuple[np.ndarray, ...]] = []  # support spells that ended

    @property
    def active(self) -> bool:
        return any(r.enabled for r in self.rules) or bool(self.in_support.any())

    # ---------------------------------------------------------------- weekly work

    def week(self, r: int) -> None:
        """End support that is over, refer eligible citizens, fill free places."""
        self._end_support(r)
        self._refer(r)
        self._admit(r)

    def _end_support(self, r: int) -> None:
        a = self.model.citizens
        members = self.members
        if members.size == 0:
            return
        team = a.team[members]
        weeks = r - a.team_since[members]
        gone = a.situation[members] == LEFT
        chance = np.array([x.end_per_week for x in self.rules])[team]
        duration = np.array([x.duration or 0 for x in self.rules])[team]
        draws = self.rng.random(members.size)
        over = gone | ((duration > 0) & (weeks >= duration)) | ((duration == 0) & (draws < chance))
        over |= ~np.array([x.enabled for x in self.rules])[team]  # a switched-off team closes
        self.end(members[over], r)

    def end(self, idx: np.ndarray, r: int) -> None:
        """End the support of citizens ``idx`` and log the spells."""
        if idx.size == 0:
            return
        a = self.model.citizens
        team = a.team[idx]
        self.log.append((team.copy(), a.team_since[idx].copy(), np.full(idx.size, r),
                         a.situation[idx].copy(), a.needs[idx].copy()))
        self.in_support -= np.bincount(team, minlength=N_TEAMS)
        a.team[idx] = -1
        a.team_since[idx] = NO_WEEK
        self.members = self.members[a.team[self.members] >= 0]  # keeps the sorted order

    def _eligible(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Attributes of candidates ``idx`` that eligibility reads, gathered once: the
        free ones (in no team and on no list) with their needs and age band."""
        a = self.model.citizens
        idx = idx[(a.team[idx] < 0) & (a.team_wait[idx] < 0)]
        return idx, a.needs[idx], a.band[idx]

    def _refer(self, r: int) -> None:
        a = self.model.citizens
        union = np.zeros(len(SITUATIONS), dtype=bool)
        for rule in self.rules:
            if rule.enabled:
                union |= rule.situations
        if not union.any():
            return
        pool = self.model.homeless_now() if not (union & ~HOMELESS_MASK).any() else (
            np.flatnonzero(union[a.situation]))
        pool, needs, band = self._eligible(pool)
        sit = a.situation[pool]
        for k, rule in enumerate(self.rules):
            if not rule.enabled or pool.size == 0:
                continue
            ok = rule.situations[sit] & rule.needs[needs] & rule.ages[band]
            ok &= a.team_wait[pool] < 0  # not referred to an earlier team this week
            cand = pool[ok]
            picked = cand[self.rng.random(cand.size) < rule.referral]
            self.join(k, picked, r)

    def refer_on_housing(self, idx: np.ndarray, r: int) -> None:
        """Citizens just housed from homelessness: teams that refer at housing take them."""
        idx, needs, band = self._eligible(idx)
        for k, rule in enumerate(self.rules):
            if rule.enabled and rule.on_housing and idx.size:
                ok = rule.needs[needs] & rule.ages[band] & (self.model.citizens.team_wait[idx] < 0)
                self.join(k, idx[ok], r)

    def join(self, k: int, idx: np.ndarray, r: int) -> None:
        """Put citizens ``idx`` (distinct) on team ``k``'s list, unless already on one."""
        a = self.model.citizens
        idx = idx[a.team_wait[idx] < 0]
        a.team_wait[idx] = k
        a.team_wait_since[idx] = r
        self.waiting[k] += idx.size
        if idx.size:
            self._wait_chunks.append(idx)

    def _waiters(self) -> np.ndarray:
        """Everyone on a team's list (sorted); stale entries are dropped here."""
        a = self.model.citizens
        if not self._wait_chunks:
            return np.zeros(0, dtype=np.intp)
        idx = sorted_unique(np.concatenate(self._wait_chunks))
        idx = idx[a.team_wait[idx] >= 0]
        self._wait_chunks = [idx]
        return idx

    def _admit(self, r: int) -> None:
        a = self.model.citizens
        frees = [int(rule.places) - int(self.in_support[k]) if rule.enabled else 0
                 for k, rule in enumerate(self.rules)]
        if max(frees) <= 0:
            return
        waiters = self._waiters()
        gone = (a.situation[waiters] == LEFT) | (a.team[waiters] >= 0)
        if gone.any():
            self._leave_list(waiters[gone])
            waiters = waiters[~gone]
        on_list = a.team_wait[waiters]
        taken = []
        for k, rule in enumerate(self.rules):
            free = frees[k]
            if free <= 0 or self.waiting[k] == 0:
                continue
            wait = waiters[on_list == k]
            young = a.band[wait] < 2 if self.youth_first else None
            take = wait if free >= wait.size and young is None else order_waiting(
                rule.priority, wait, a, r, since=a.team_wait_since, first=young, limit=free)
            self._leave_list(take)
            a.team[take] = k
            a.team_since[take] = r
            self.in_support[k] += take.size
            taken.append(take)
        if taken:
            take = np.sort(np.concatenate(taken))
            self.members = np.insert(self.members, np.searchsorted(self.members, take), take)

    def _leave_list(self, idx: np.ndarray) -> None:
        a = self.model.citizens
        if idx.size:
            self.waiting -= np.bincount(a.team_wait[idx], minlength=N_TEAMS)
            a.team_wait[idx] = -1

    # ---------------------------------------------------------------- effects

    def multipliers(self, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Supported citizens with their multipliers for the current phase of support."""
        a = self.model.citizens
        idx = self.members
        mh = np.ones(idx.size)
        ml = np.ones(idx.size)
        if idx.size == 0:
            return idx, mh, ml
        house, loss = self._effect_tables()
        team = a.team[idx]
        # admitted this week (team_since = r + 1) count as week 0
        width = house.shape[1]
        weeks = r - a.team_since[idx].astype(np.intp)
        np.maximum(weeks, 0, out=weeks)  # (np.clip is slower on small int arrays)
        np.minimum(weeks, width - 1, out=weeks)
        flat = team.astype(np.intp) * width + weeks
        return idx, house.ravel()[flat], loss.ravel()[flat]

    def _effect_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """Multipliers by team and week of support (the last column holds beyond it)."""
        if getattr(self, "_tables_for", None) is self.rules:
            return self._tables
        finite = [int(e) for rule in self.rules for e in rule.phase_ends if e < 10**8]
        weeks = np.arange(max(finite, default=0) + 1)
        house = np.ones((N_TEAMS, weeks.size))
        loss = np.ones((N_TEAMS, weeks.size))
        for k, rule in enumerate(self.rules):
            phase = np.minimum(np.searchsorted(rule.phase_ends, weeks, side="right"),
                               rule.phase_ends.size - 1)
            house[k], loss[k] = rule.m_house[phase], rule.m_loss[phase]
        self._tables_for, self._tables = self.rules, (house, loss)
        return self._tables

    def spells(self, weeks: int) -> list[tuple[np.ndarray, ...]]:
        """Support spells: ended ones and, censored at the horizon, open ones."""
        a = self.model.citizens
        open_ = self.members
        extra = (a.team[open_].copy(), a.team_since[open_].copy(), np.full(open_.size, -1),
                 a.situation[open_].copy(), a.needs[open_].copy())
        return [*self.log, extra]


