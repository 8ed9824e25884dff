"""Support teams, named in the scenario, each of a kind (CTI, ICM, ACT, floating...).

Each team has places (staff x caseload), eligibility (needs groups, age bands and the
situations citizens are referred from), a waiting list with a priority rule, a
duration (fixed, in phases, for CTI; a weekly chance of ending for open-ended
support) and effects on the weekly chances. A citizen holds at most one team at a
time. Places free up when support ends; nobody is admitted beyond the caseload.

Effects act through the move tables: each (team, phase of support) is an effect
state with its own rows (``team_rules.effect_state``), so a supported citizen costs
the weekly kernel nothing extra. A citizen's state is set on admission, changes at
the phase ends scheduled then, and returns to 0 when support ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.citizens import NO_WEEK
from sim.places import order_waiting
from sim.policies import support_week
from sim.policies.lifecycle import BasePolicy
from sim.policies.team_lists import LIST_FIELDS, TeamLists
from sim.policies.team_rules import NEVER, TeamRules, TeamTables, effect_state
from sim.situations import AGE_BANDS, HOMELESS_MASK, HOUSED_MASK, LEFT, NEEDS, SITUATIONS


@dataclass
class SupportRecord:
    """Weekly tallies of support, by state (0 to the horizon) and team.

    The tallies are person-weeks in support, citizens waiting, and person-weeks by team,
    situation and needs (the cost model reads them).
    """

    support_weeks: np.ndarray  # (weeks + 1, teams)
    team_waiting: np.ndarray  # (weeks + 1, teams)
    support_cells: np.ndarray  # (weeks + 1, teams, situations, needs)

    @classmethod
    def empty(cls, weeks: int, n_teams: int) -> SupportRecord:
        """All zeros for a horizon of ``weeks`` weeks and ``n_teams`` teams."""
        shape = (weeks + 1, n_teams)
        return cls(
            np.zeros(shape, dtype=np.int32),
            np.zeros(shape, dtype=np.int32),
            np.zeros((*shape, len(SITUATIONS), len(NEEDS)), dtype=np.int32),
        )


class SupportTeams(BasePolicy):
    """Runs every team's caseload for one model (their lists: :class:`TeamLists`).

    Weeks: ``team_since`` is the week a citizen's support began (its moves are the
    first made in support), ``team_until`` the week it ends (in that week's
    ``before_moves``) and ``phase_next`` the week the next phase begins.
    """

    #: Per-citizen arrays of support (name, dtype, fill). They are declared when the
    #: model is built (``PolicySet``), so that other policies may read them (Housing
    #: First reads ``team``) even in a scenario whose teams are all disabled.
    FIELDS = (
        ("team", np.int8, -1),
        ("team_since", np.int32, NO_WEEK),
        *LIST_FIELDS,
        ("team_until", np.int32, NEVER),  # week the support ends
        ("phase_next", np.int32, NEVER),  # week the next phase of support begins
        ("team_due", np.int32, NEVER),  # the earlier of the two
    )

    def __init__(self, model, rules: list[TeamRules], youth_first: bool, record: SupportRecord):
        self.model = model
        self.rules = rules
        self.youth_first = youth_first
        self.record = record
        self.rng = model.streams["support"]
        n = len(rules)
        self.in_support = np.zeros(n, dtype=np.int64)
        # members by (team, situation, needs), kept up to date (the cost model reads it)
        self.cells = np.zeros(n * len(SITUATIONS) * len(NEEDS), dtype=np.int64)
        self.lists = TeamLists(model.citizens, n)  # each team's list in joining order
        self.log: list[tuple[np.ndarray, ...]] = []  # support spells that ended
        self._per_team: tuple[list[TeamRules], TeamTables] | None = None
        #: The team whose list those housed from homelessness in no team and on no list
        #: join, after the teams that refer at housing (Housing First's floating
        #: support; -1: none). Set by the policy set for each parameter phase.
        self.floating = -1

    @property
    def waiting(self) -> np.ndarray:
        """Citizens on each team's list now."""
        return self.lists.waiting

    @property
    def members(self) -> np.ndarray:
        """Citizens in support now (sorted)."""
        return np.flatnonzero(self.model.citizens.team >= 0)

    @property
    def active(self) -> bool:
        """True while a team is enabled or anyone is still in support."""
        return any(rule.enabled for rule in self.rules) or bool(self.in_support.any())

    # ---------------------------------------------------------------- the lifecycle

    def before_moves(self, week: int) -> None:
        """Run the support lifecycle before the moves of week ``week``.

        End support that is over, move to the next phase of support, refer eligible
        citizens, fill free places. The compiled week (``model.compiled_week``) does it
        in the compiled loops of ``sim.policies.support_week``, to the same numbers.
        """
        if self.model.compiled_week:
            a = self.model.citizens
            ended, team, since = support_week.before_moves(
                support_week.support_arrays(a),
                self._counts(),
                support_week.support_rules(self),
                self.model.compiled_streams,
                week,
            )
            if ended.size:
                ended = ended.astype(np.intp)
                spell = (team, since, np.full(ended.size, week), a.situation[ended].copy())
                self.log.append((*spell, a.needs[ended].copy()))
            return
        self._due(week)
        self._refer(week)
        self._admit(week)

    def on_move(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, week: int) -> None:
        """Follow the moves of week ``week``: members change cells.

        Those who left lose their list now and their support next week; those housed
        from homelessness are referred by the teams that take citizens at housing, and
        the others in no team join the ``floating`` team's list.
        """
        self.moved(idx, old, dest)
        gone = idx[dest == LEFT]
        if gone.size:
            self.left(gone, week)
        housed = idx[HOMELESS_MASK[old] & HOUSED_MASK[dest]]
        if housed.size:
            self.refer_on_housing(housed, week)
            if self.floating >= 0:
                self.join(self.floating, housed[self.model.citizens.team[housed] < 0], week)

    def follow_week(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, week: int) -> None:
        """Follow the week's moves at once, in the order made (the compiled week).

        A citizen may move more than once; ``on_move``'s rules, each move in its turn.
        """
        support_week.follow_moves(
            support_week.support_arrays(self.model.citizens),
            self._counts(),
            support_week.support_rules(self),
            idx,
            old,
            dest,
            week,
            self.floating,
        )

    def _counts(self) -> support_week.SupportCounts:
        return support_week.SupportCounts(self.in_support, self.lists.waiting, self.cells)

    def after_week(self, week: int) -> None:
        """Tally support in state ``week``."""
        rec = self.record
        rec.support_weeks[week] = self.in_support
        rec.team_waiting[week] = self.waiting
        rec.support_cells[week] = self.cells.reshape(rec.support_cells.shape[1:])

    def _cell(self, idx: np.ndarray, situation: np.ndarray | None = None) -> np.ndarray:
        a = self.model.citizens
        sit = a.situation[idx] if situation is None else situation
        return (a.team[idx].astype(np.intp) * len(SITUATIONS) + sit) * len(NEEDS) + a.needs[idx]

    def _count(self, idx: np.ndarray, sign: int, situation: np.ndarray | None = None) -> None:
        """Add (sign 1) or remove (-1) members ``idx`` from the cell counts."""
        if idx.size:
            self.cells += sign * np.bincount(self._cell(idx, situation), minlength=self.cells.size)

    def moved(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray) -> None:
        """Citizens ``idx`` moved from ``old`` to ``dest``: members change cells."""
        on = self.model.citizens.team[idx] >= 0
        if on.any():
            self._count(idx[on], -1, old[on])
            self._count(idx[on], 1, dest[on])

    def _tables(self) -> TeamTables:
        """Lookup tables of the current rules (built again when the rules change)."""
        if self._per_team is None or self._per_team[0] is not self.rules:
            self._per_team = (self.rules, TeamTables.build(self.rules))
        return self._per_team[1]

    # ---------------------------------------------------------------- ends and phases
    # Each member carries the week their support ends (``team_until``) and the week
    # their next phase begins (``phase_next``), drawn or computed on admission, and the
    # earlier of the two (``team_due``), so a week's work is only the members due then.

    def _refresh_due(self, idx: np.ndarray) -> None:
        """Set members' due week: the earlier of their support's end and next phase."""
        a = self.model.citizens
        a.team_due[idx] = np.minimum(a.team_until[idx], a.phase_next[idx])

    def _due(self, week: int) -> None:
        """End support whose week ``week`` has come; move others to their next phase.

        Support ends by duration, chance, a closed team, or the citizen having left the
        week before.
        """
        a = self.model.citizens
        due = np.flatnonzero(a.team_due == week)
        if due.size == 0:
            return
        self.end(due[a.team_until[due] <= week], week)
        due = due[a.phase_next[due] == week]  # (those ended have no next phase)
        if due.size:
            team = a.team[due]
            phase = a.effect[due] - effect_state(team, 0) + 1
            self._set_phase(due, team, phase, a.team_since[due].astype(np.int64))
            self._refresh_due(due)

    def _draw_ends(self, idx: np.ndarray, team: np.ndarray, since: np.ndarray, after: int) -> None:
        """Draw when the support of ``idx`` by teams ``team`` ends, as seen from week ``after``.

        ``since``: weeks of admission. A fixed duration ends when the weeks since
        admission reach it; open-ended support ends with its weekly chance from
        ``after`` on; a switched-off team closes at ``after``.
        """
        t = self._tables()
        duration, chance = t.duration[team], t.chance[team]
        when = np.full(idx.size, NEVER, dtype=np.int64)
        fixed = duration > 0
        when[fixed] = np.maximum(since[fixed] + duration[fixed], after)
        drawn = ~fixed & (chance > 0)
        when[drawn] = np.minimum(after - 1 + self.rng.geometric(chance[drawn]), NEVER)
        when[~t.enabled[team]] = after
        self.model.citizens.team_until[idx] = when

    def _set_phase(
        self, idx: np.ndarray, team: np.ndarray, phase: np.ndarray, since: np.ndarray
    ) -> None:
        """Put members ``idx`` of teams ``team`` in ``phase`` and set when the next one begins.

        The next phase begins in the week whose moves count the phase's end in weeks
        since admission (the week of admission and the next both count as 0).
        """
        a = self.model.citizens
        next_at = self._tables().next_at[team, phase]
        a.phase_next[idx] = np.where(next_at < 0, NEVER, since + 1 + next_at)
        a.effect[idx] = effect_state(team, phase)
        self.model.recode(idx)

    def left(self, idx: np.ndarray, week: int) -> None:
        """Handle citizens ``idx`` who left the system in week ``week``.

        They leave any waiting list now and their support ends the week after.
        """
        a = self.model.citizens
        self.lists.leave(self.lists.listed(idx))
        idx = idx[a.team[idx] >= 0]
        next_week = week + 1
        a.team_until[idx] = np.minimum(a.team_until[idx], next_week)
        self._refresh_due(idx)

    def restart(self, week: int) -> None:
        """Restart every member's support under new rules before week ``week``.

        Called after the rules change (a dated change): put every member in the phase
        its weeks of support give under the new rules, and draw its end again (a closed
        team's support ends now; an end because the citizen left stays).
        """
        a, members = self.model.citizens, self.members
        gone = members[a.situation[members] == LEFT]
        team = a.team[members]
        since = a.team_since[members].astype(np.int64)
        weeks = np.maximum(week - 1 - since, 0)
        phase = np.zeros(members.size, dtype=np.int64)
        for k, rule in enumerate(self.rules):
            of_k = team == k
            phase[of_k] = np.minimum(
                np.searchsorted(rule.phase_ends, weeks[of_k], "right"), rule.phase_ends.size - 1
            )
        self._set_phase(members, team, phase, since)
        self._draw_ends(members, team, since, week)
        self._refresh_due(members)
        self.left(gone, week - 1)

    def end(self, idx: np.ndarray, week: int) -> None:
        """End the support of citizens ``idx`` and log the spells."""
        if idx.size == 0:
            return
        a = self.model.citizens
        team = a.team[idx]
        self.log.append(
            (
                team.copy(),
                a.team_since[idx].copy(),
                np.full(idx.size, week),
                a.situation[idx].copy(),
                a.needs[idx].copy(),
            )
        )
        self.in_support -= np.bincount(team, minlength=self.in_support.size)
        self._count(idx, -1)
        a.team[idx] = -1
        a.team_since[idx] = NO_WEEK
        a.team_until[idx] = a.phase_next[idx] = a.team_due[idx] = NEVER
        a.effect[idx] = 0
        self.model.recode(idx)

    def _free(self, idx: np.ndarray) -> np.ndarray:
        """Those of ``idx`` in no team and on no team's list."""
        a = self.model.citizens
        return idx[(a.team[idx] < 0) & (a.team_wait[idx] < 0)]

    def _refer(self, week: int) -> None:
        """Refer eligible citizens in a team's referral situations to its list.

        Each joins with the team's weekly chance, teams in order (one list per citizen).
        """
        a = self.model.citizens
        tables = self._tables()
        refer, union = tables.refer, tables.refer_any
        if not union.any():
            return
        pool = (
            self.model.homeless_now()
            if not (union & ~HOMELESS_MASK).any()
            else (np.flatnonzero(union[a.situation]))
        )
        pool = self._free(pool)
        cell = self.model.cell_of(pool)
        open_ = np.ones(pool.size, dtype=bool)  # not referred to an earlier team this week
        for k, rule in enumerate(self.rules):
            if not rule.enabled or rule.referral <= 0:
                continue
            cand = np.flatnonzero(refer[k][cell] & open_)
            picked = cand[self.rng.random(cand.size) < rule.referral]
            open_[picked] = False
            self.join(k, pool[picked], week)

    def refer_on_housing(self, idx: np.ndarray, week: int) -> None:
        """Citizens just housed from homelessness: teams that refer at housing take them."""
        a = self.model.citizens
        housing = self._tables().housing
        idx = self._free(idx)
        if idx.size == 0:
            return
        who = a.needs[idx].astype(np.intp) * len(AGE_BANDS) + a.band[idx]
        for k in np.flatnonzero(housing.any(axis=1)).tolist():
            self.join(k, idx[housing[k][who]], week)  # join skips those already listed

    def join(self, k: int, idx: np.ndarray, week: int) -> None:
        """Put citizens ``idx`` (distinct) on team ``k``'s list in week ``week``.

        Citizens already on a list stay where they are.
        """
        self.lists.join(k, idx, week)

    def _admit(self, week: int) -> None:
        a = self.model.citizens
        frees = [
            int(rule.places) - int(self.in_support[k]) if rule.enabled else 0
            for k, rule in enumerate(self.rules)
        ]
        if max(frees) <= 0:
            return
        taken = []
        for k, rule in enumerate(self.rules):
            free = frees[k]
            if free <= 0 or self.waiting[k] == 0:
                continue
            if rule.priority == "first_come" and not self.youth_first:
                taken.append(self.lists.first(k, free))  # the list's own order
                continue
            wait = self.lists.everyone(k)
            young = a.band[wait] < 2 if self.youth_first else None
            taken.append(
                wait
                if free >= wait.size and young is None
                else order_waiting(
                    rule.priority, wait, a, week, since=a.team_wait_since, first=young, limit=free
                )
            )
        if taken:
            self._start(np.concatenate(taken), week)

    def _start(self, idx: np.ndarray, week: int) -> None:
        """Citizens ``idx`` leave their team's list and begin its support in week ``week``."""
        a = self.model.citizens
        team = a.team_wait[idx].copy()
        self.lists.leave(idx)
        a.team[idx] = team
        a.team_since[idx] = week
        since = np.full(idx.size, week, dtype=np.int64)
        self._set_phase(idx, team, np.zeros(idx.size, dtype=np.int64), since)
        next_week = week + 1
        self._draw_ends(idx, team, since, next_week)
        self._refresh_due(idx)
        self.in_support += np.bincount(team, minlength=self.in_support.size)
        self._count(idx, 1)

    def spells(self, weeks: int) -> list[tuple[np.ndarray, ...]]:
        """Support spells: ended ones and, censored at the horizon, open ones."""
        a = self.model.citizens
        open_ = self.members
        extra = (
            a.team[open_].copy(),
            a.team_since[open_].copy(),
            np.full(open_.size, -1),
            a.situation[open_].copy(),
            a.needs[open_].copy(),
        )
        return [*self.log, extra]
