"""The homelessness model: a ``mesa.Model`` whose citizens live in numpy arrays.

The weekly step (:meth:`HomelessnessModel.step`) reads top to bottom:

1. parameters change if a dated change starts this week;
2. birthdays and moves on to the next return band (months since moving in from
   homelessness) change table rows;
3. policies act: support ends or moves on a phase, referrals, admissions, prevention;
4. one uniform per citizen decides who moves within the week and where
   (``transitions.draw_moves``); each citizen's row of the move tables already holds
   their kind, their return band and the effect of their support, and only long
   spells and prevention add personal multipliers; a second stream draws the night
   of each move (``sim.nights``), and the week's entrants arrive on nights of it;
5. the week is lived night by night: each night's moves that need a scarce place
   join its waiting list, the others are made, then free places go to those waiting
   (``places.Allocator``) and refused shelter applicants overflow, all in one call
   (``move``), which keeps every count consistent; whoever moved may move again
   before the week ends, from the new row;
6. the week is tallied (``outcomes.Recorder``: counts on the next week's first night,
   nights per cell, each place's highest occupancy), which Mesa's DataCollector reads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import mesa
import numpy as np

from sim.citizens import NO_WEEK, Citizen, CitizenArrays, sorted_unique
from sim.data_terms import us_pit_summary
from sim.evidence import programme_outcomes
from sim.history import History
from sim.kernels import age_up, apply_moves, duration_parts, duration_table, reband
from sim.kinds import kind_outputs
from sim.nights import OFFSETS, NightEvents, move_offsets
from sim.outcomes import Recorder, summary
from sim.pcg import LiveState
from sim.places import ASSIGNED, PLACE_SITUATION, QUEUE_NAMES, Allocator, PlaceRules
from sim.policies import PolicySet
from sim.policies.team_rules import effect_multipliers
from sim.population import Population
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.scenario.schema import Scenario
from sim.shelter_use import summary_measures
from sim.situations import (
    DAYS_PER_WEEK,
    HOMELESS_MASK,
    HOUSED_MASK,
    LEFT,
    N_AGE,
    N_NEEDS,
    N_SIT,
    SITUATIONS,
    WEEKS_PER_YEAR,
    Situation,
)
from sim.streams import compiled_streams, make_streams
from sim.transitions import MoveTables, draw_moves, per_citizen, row_code
from sim.week_loop import (
    WeekLogs,
    WeekTallies,
    draw_week,
    live_week,
    staircase_rule,
    week_arrays,
    week_rules,
)

ROUGH = int(Situation.ROUGH)

#: No citizens and no places: a night's admissions when nobody waits.
_NONE = (np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int8))

#: A modifier returns (citizens, m_house, m_loss) for citizens whose chances differ.
Modifier = Callable[["HomelessnessModel"], tuple[np.ndarray, np.ndarray, np.ndarray]]


class HomelessnessModel(mesa.Model):
    """Citizens moving between housing situations night by night under one scenario.

    The model is stepped a week at a time.

    Args:
        scenario: a :class:`LoadedScenario`, a path to a YAML file, or a mapping.
        rng: seed (int or ``numpy.random.SeedSequence``) of the run's random streams.
        years: horizon; defaults to the scenario's ``setting.years``.
    """

    def __init__(
        self,
        scenario: LoadedScenario | str | Path | Mapping,
        rng: Any = None,
        *,
        years: int | None = None,
    ):
        """Build the model at week 0.

        The initial population is placed, the entrants of the whole horizon drawn, and
        week 0 tallied and collected.

        Args:
            scenario: a :class:`~sim.scenario.loader.LoadedScenario`, a path to a YAML
                file, the name of a shipped scenario (``"randers_baseline"``) or a mapping.
            rng: root of the run's random streams: an int, a
                ``numpy.random.SeedSequence`` (``sim.streams.run_seed(seed, k)`` gives
                replication ``k``'s) or None (fresh entropy, not reproducible).
            years: horizon in years (52 weeks each); default the scenario's
                ``setting.years``.

        Attributes:
            loaded: the scenario as loaded; ``params`` its typed parameters (those of the
                current dated phase once ``changes:`` apply).
            week: weeks stepped so far (0 to ``weeks``); ``weeks`` the horizon in weeks.
            citizens: the citizens' state as arrays (:class:`~sim.citizens.CitizenArrays`),
                one row per citizen who ever entered, including those who left.
            occupancy: citizens in each situation now (indexed as ``sim.situations``).
            homeless: citizens homeless now (the national count's definition).
            recorder: weekly tallies (counts, flows, entries, waiting lists, spells, stays).
            policies: the support teams, pathway and prevention in force.
            datacollector: a :class:`WeeklyCollector`, collected at week 0 and after
                every week (so ``mesa.batch_run`` works).
            agents: the citizens present as Mesa :class:`~sim.citizens.Citizen` agents,
                made on first use.
            running: False once the horizon is reached.
        """
        if not isinstance(scenario, LoadedScenario):
            scenario = load_scenario(scenario)
        self.streams = make_streams(rng)
        self.compiled_streams = compiled_streams(self.streams)  # the same, for numba
        self.moves_state = LiveState(self.streams["moves"])  # drawn inline (sim.pcg)
        super().__init__(rng=self.streams["mesa"])
        self.loaded = scenario
        self.phases = dict(scenario.phases)
        self.params: Scenario = scenario.params
        self.weeks = int((years or self.params.setting.years) * WEEKS_PER_YEAR)
        self.week = 0
        self.citizens = CitizenArrays(self._expected_size())
        self.occupancy = np.zeros(N_SIT, dtype=np.int64)
        # citizens by (situation, needs, age band), kept up to date by every move
        self.cells = np.zeros(N_SIT * N_NEEDS * N_AGE, dtype=np.int64)
        self._queued = np.zeros(0, dtype=np.intp)  # on a waiting list at the last tally
        self._joined: list[np.ndarray] = []  # joined a list this week
        self._homeless_week = -1  # week of the cached homeless index
        # the week's moves, for the policies to follow once the week is lived (None:
        # outside the week, policies follow each move at once)
        self._followed: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] | None = None
        #: Live the week's nights in the compiled loop (``sim.week_loop``); False: in
        #: numpy (the reference the loop is tested against). Policies that change drawn
        #: moves, other than the staircase, take the numpy loop.
        self.compiled_week = True
        # week -> (citizens, week housed) whose return band changes then
        self._band_changes: dict[int, list[tuple[np.ndarray, Any]]] = defaultdict(list)
        self.population = Population(self)
        self.recorder = Recorder(self.weeks, len(QUEUE_NAMES))
        self.modifiers: list[Modifier] = []
        self._materialised = np.zeros(0, dtype=bool)
        self._agent_of: dict[int, Citizen] = {}
        self._apply_params(self.params, first=True)
        self.policies = PolicySet(self)
        self.modifiers.append(lambda m: m.policies.multipliers(m))
        self._populate()
        self.population.plan_arrivals(self.phases)
        self._record()
        self.datacollector = WeeklyCollector(self)
        self.datacollector.collect(self)  # week 0, as Mesa models collect at the start

    # ------------------------------------------------------------ set-up

    def _expected_size(self) -> int:
        sc = self.params
        start = sum(sc.initial.counts.values()) * sc.setting.scale
        return int(start + sc.entries.per_week * sc.setting.scale * self.weeks * 1.1) + 64

    def _apply_params(self, params: Scenario, first: bool = False) -> None:
        """Build the lookup tables of a parameter phase."""
        self.params = params
        old = None if first else self.tables.kinds
        self.tables = MoveTables.build(params, *effect_multipliers(params.policies.teams))
        new = self.tables.kinds
        if old is not None and not np.array_equal(old.band_weeks, new.band_weeks):
            self._rebanded()
        if old is not None and (old.n_kinds, old.n_bands) != (new.n_kinds, new.n_bands):
            a = self.citizens  # rows moved: kinds beyond the new ones take the last
            np.minimum(a.kind, new.n_kinds - 1, out=a.kind)
            self.recode(np.arange(a.n))
        rules = PlaceRules.build(params)
        if first:
            self.allocator = Allocator(rules, self.streams["places"])
        else:
            self.allocator.rules = rules
            self.policies.update(params)
        dd = params.duration_dependence
        self._duration = None
        if dd.enabled:  # spells up to 20 years longer than the horizon are looked up
            size = self.weeks + 1 + 20 * WEEKS_PER_YEAR
            table = duration_table(size, float(dd.half_life_weeks), float(dd.floor))
            self._duration = (table, float(dd.half_life_weeks), float(dd.floor))

    def _populate(self) -> None:
        """Place the initial population (week 0)."""
        idx = self.population.populate()
        a = self.citizens
        self.recode(idx)
        self.population.date_stays(idx)
        self.occupancy += np.bincount(a.situation[idx], minlength=N_SIT)
        self.cells += np.bincount(self.cell_of(idx), minlength=self.cells.size)
        self.recorder.mark_year(a, idx, 0)

    def cell_of(self, idx: np.ndarray, situation: np.ndarray | None = None) -> np.ndarray:
        """Cell (situation, needs, age band) of citizens, as ``cells`` counts them."""
        a = self.citizens
        sit = a.situation[idx] if situation is None else situation
        return (sit.astype(np.intp) * N_NEEDS + a.needs[idx]) * N_AGE + a.band[idx]

    # ------------------------------------------------------------ the weekly step

    def step(self) -> None:
        """Advance the model by one week."""
        if self.week >= self.weeks:
            self.running = False
            return
        if self.week in self.phases and self.week > 0:
            self._apply_params(self.phases[self.week])
        next_week = self.week + 1
        self._birthdays(next_week)
        self._return_bands(next_week)
        self.policies.before_moves(next_week)
        self._nights_of_week()
        self._week_moves(next_week)
        self._joined = []
        self.week = next_week
        self.policies.after_week(next_week)
        if next_week % WEEKS_PER_YEAR == 0:
            self.recorder.mark_year(
                self.citizens, np.flatnonzero(self.citizens.situation != LEFT), next_week
            )
        self._record()
        self.datacollector.collect(self)
        if self.week >= self.weeks:
            self.running = False

    def run(self, weeks: int | None = None) -> HomelessnessModel:
        """Step ``weeks`` weeks (default: to the horizon) and return the model.

        When Mesa's weekly schedule is the only event pending (nobody scheduled another),
        the weeks are stepped directly, as Mesa's event loop would step them (time and
        step count advance by one, then the week), without an event a week, and the
        schedule is set for the week after; otherwise each week goes through Mesa.
        """
        n = self.weeks - self.week if weeks is None else weeks
        if n > 0 and self._schedule_alone():
            gen = self._default_schedule
            gen._current_event.cancel()
            for _ in range(n):
                self.time += 1
                self.steps += 1
                self._user_step()
            gen._schedule_next(self.time + 1)
            return self
        for _ in range(n):
            self.step()
        return self

    def _schedule_alone(self) -> bool:
        """Whether the next event is Mesa's weekly step, due in a week, and the only one."""
        gen = getattr(self, "_default_schedule", None)
        event = getattr(gen, "_current_event", None)
        return (
            event is not None
            and gen._active
            and not gen._paused
            and event.time == self.time + 1
            and len(self._event_list) == 1
            and event in self._event_list
        )

    def homeless_now(self) -> np.ndarray:
        """Indices of citizens homeless now (computed once a week, before the moves)."""
        if self._homeless_week != self.week:
            self._remember_homeless(np.flatnonzero(self.citizens.spell_start != NO_WEEK))
        return self._homeless_idx

    def _remember_homeless(self, idx: np.ndarray) -> None:
        """Keep ``idx`` (everyone homeless now, in index order) for ``homeless_now``.

        Whoever finds them first this week keeps them: ``homeless_now`` or the duration
        multipliers of ``_modified``.
        """
        self._homeless_idx, self._homeless_week = idx, self.week

    def _return_bands(self, next_week: int) -> None:
        """Move citizens housed long enough ago on to the next band of return risk.

        The last band ends in the ordinary risk. The band is found from the weeks since
        moving in, so a dated change of the bands takes effect at once.
        """
        chunks = self._band_changes.pop(next_week, None)
        if chunks:
            a = self.citizens
            idx = np.concatenate([i for i, _ in chunks])
            start = np.concatenate([np.full(i.size, s, dtype=np.int64) for i, s in chunks])
            if self.compiled_week:  # the same rule, compiled (``kernels.reband``)
                arrays = (a.housed_since, a.rehoused, a.code, a.effect, a.kind, a.situation)
                kinds = self.tables.kinds
                reband(idx, start, next_week, kinds.band_weeks, kinds.n_kinds, (*arrays, a.needs))
                return
            idx = idx[a.housed_since[idx] == start]  # still in the same home
            a.rehoused[idx] = self._band_of(next_week - a.housed_since[idx])
            self.recode(idx)

    def _band_of(self, weeks: np.ndarray) -> np.ndarray:
        """Return band after ``weeks`` in a home (1: the first; 0: the ordinary risk)."""
        kinds = self.tables.kinds
        band = np.searchsorted(kinds.band_weeks, weeks, side="left") + 1
        band[band >= kinds.n_bands] = 0
        return band.astype(np.int8)

    def _schedule_bands(self, housed: np.ndarray, next_week: int) -> None:
        """Schedule the weeks the newly housed move on to the next bands of return risk.

        Citizens housed from homelessness into state ``next_week`` are already in the
        first band (the move sets ``housed_since`` and ``rehoused``,
        ``kernels.apply_moves``).
        """
        if housed.size == 0:
            return
        for weeks in self.tables.kinds.band_weeks.tolist():
            self._band_changes[next_week + weeks + 1].append((housed, next_week))

    def _rebanded(self) -> None:
        """Re-band everyone housed from homelessness after a dated change of the bands.

        Everyone housed from homelessness gets the band of their weeks since moving in,
        and the band changes are rescheduled.
        """
        a, next_week = self.citizens, self.week + 1
        housed = np.flatnonzero(a.housed_since != NO_WEEK)
        since = a.housed_since[housed].astype(np.int64)
        a.rehoused[housed] = self._band_of(next_week - since)
        self._band_changes.clear()
        for weeks in self.tables.kinds.band_weeks.tolist():
            due = since + weeks + 1
            later = due >= next_week
            for week in np.unique(due[later]).tolist():
                on = later & (due == week)
                self._band_changes[week].append((housed[on], since[on]))

    def recode(self, idx: np.ndarray) -> None:
        """Refresh the move-table rows of citizens whose state changed.

        A state changes by a move, the end of the first weeks after rehousing, or a
        change of support.
        """
        a = self.citizens
        k = self.tables.kinds
        a.code[idx] = row_code(
            a.rehoused[idx],
            a.situation[idx],
            a.needs[idx],
            a.effect[idx],
            a.kind[idx],
            k.n_kinds,
            k.n_bands,
        )

    def _birthdays(self, next_week: int) -> None:
        """Citizens who turn 25 or 30 this week move up an age band."""
        idx = self.population.birthdays.due(next_week)
        if idx.size and self.compiled_week:  # the same rule, compiled
            a = self.citizens
            age_up(idx, self.cells, a.situation, a.needs, a.band)
        elif idx.size:
            a = self.citizens
            self.cells -= np.bincount(self.cell_of(idx), minlength=self.cells.size)
            a.band[idx] += 1
            self.cells += np.bincount(self.cell_of(idx), minlength=self.cells.size)

    def _waiting(self) -> np.ndarray:
        """Everyone on a waiting list now: those at the last tally and this week's joiners."""
        a = self.citizens
        if self._joined:
            cand = sorted_unique(np.concatenate([self._queued, *self._joined]))
        else:
            cand = self._queued  # sorted and distinct already
        return cand[a.queue[cand] >= 0]

    def join(self, idx: np.ndarray, queue: np.ndarray, next_week: int) -> None:
        """Put citizens on waiting lists (see ``Allocator.join``).

        Those new to a list are offered a place at the next night's allocation.
        """
        if idx.size:
            new = self.allocator.join(self.citizens, idx, queue, next_week)
            if new.size:
                self._joined.append(new)

    def _nights_of_week(self) -> None:
        """Start the week's tally of nights per cell and of each place's peak occupancy.

        Nights per cell start at seven for everyone where they are now; each move then
        shifts nights from the old cell to the new. The peak is the highest occupancy of
        each place on any night.
        """
        rec = self.recorder
        rec.nights[self.week] = (self.cells * DAYS_PER_WEEK).reshape(rec.nights.shape[1:])
        self._peak = self.occupancy[PLACE_SITUATION].copy()

    def _week_moves(self, next_week: int) -> None:
        """Make the week's moves night by night (``sim.nights``).

        One uniform per citizen decides who leaves within the week (exactly the row's
        weekly chance) and where to; a second stream draws the night of each move and,
        after a move on a night before the last, whether and when the citizen moves on
        within the week from the new row. The week's entrants arrive on nights drawn
        uniformly.

        Moves that touch no scarce place (neither from nor to a limited place, by
        someone on no waiting list) cannot change who gets a place, nor be changed by
        it: they are made at once, each on its own night, in rounds (``_quiet``). The
        others are made night by night (``_night``): each night its moves that need no
        place, then free places to those waiting, so a place freed on a night is let
        that night.
        """
        a = self.citizens
        self._special = self._modified()
        live = self.compiled_week and not self.policies.filters_moves
        if live:  # the same draws, compiled (``kernels.draw_week``)
            special, m_house, m_loss = self._special
            t, none = self.tables, np.zeros(0)
            steps, system, ready = staircase_rule(self.policies.staircase)
            moves = self.moves_state
            moves.pull()
            movers, dest, offsets = draw_week(
                self.compiled_streams, moves.words, moves.order, a.code, a.situation, special,
                none if m_house is None else m_house, none if m_loss is None else m_loss,
                t.leave, t.rows, t.p_house, t.p_loss, t.to_housed, t.to_homeless,
                steps, a.since, a.needs, self.week, system, ready,
            )  # fmt: skip
            moves.push()
        else:
            u = self.streams["moves"].random(a.n)
            movers, dest, leave = self._draw(np.arange(a.n), u, None)
            offsets = move_offsets(leave, 0, self.streams["nights"].random(movers.size))
        nights = self.streams["nights"]
        events = NightEvents()
        entered, to = self.population.enter(next_week)
        if entered.size:
            arrive = nights.integers(1, DAYS_PER_WEEK + 1, entered.size).astype(np.int8)
            movers = np.concatenate([movers, entered])
            dest = np.concatenate([dest, to])
            offsets = np.concatenate([offsets, arrive])
        if live:
            self._live_week(movers, dest, offsets, next_week)
        else:
            self._moved_at = np.zeros(a.n, dtype=np.int8)
            self._followed = []
            self._quiet(movers, dest, offsets, 0, events, next_week)
            for offset in OFFSETS:
                idx, to = events.take(offset, self._moved_at)
                if idx.size == 0 and offset > 1 and not self._homes_waiting():
                    continue
                moved = self._night(next_week, offset, idx, to)
                if offset < DAYS_PER_WEEK and moved.size:
                    self._move_on(moved, offset, events, next_week)
        self.recorder.peak[self.week] = self._peak
        self._follow_moves()

    def _live_week(
        self, movers: np.ndarray, dest: np.ndarray, offsets: np.ndarray, next_week: int
    ) -> None:
        """Live the week's nights in the compiled loop (``sim.week_loop``).

        The same rules as the numpy loop of ``_week_moves``, draw for draw. Logs the
        week's stays, spells and housing episodes, schedules the return bands of those
        housed, and hands the week's moves, in the order made, to the policies that
        follow moves (``follow_week``; the numpy week hands them to ``on_move`` in runs,
        ``_follow_moves``).
        """
        a, rec, alloc = self.citizens, self.recorder, self.allocator
        credit = np.array([alloc.credit])
        joined = np.concatenate(self._joined) if self._joined else np.zeros(0, dtype=np.intp)
        self._queued, logs = live_week(
            week_arrays(a),
            self._week_tallies(next_week),
            week_rules(self, self._special),
            self.compiled_streams,
            movers,
            dest,
            offsets,
            self._queued,
            joined.astype(np.intp),
            credit,
            self.week,
            next_week,
            self.weeks,
            8 * (movers.size + self._queued.size + joined.size) + 8,
        )
        alloc.credit = float(credit[0])
        logs = WeekLogs(*logs)
        rec.stays.add_block(logs.stays)
        rec.spells.add_block(logs.spells)
        rec.episodes.add_block(logs.episodes)
        self._schedule_bands(logs.housed, next_week)
        mv = logs.moves
        if mv.shape[1] and self.policies.follows_moves:
            old, dest = mv[1].astype(np.int8), mv[2].astype(np.int8)
            self.policies.follow_week(mv[0].astype(np.intp), old, dest, next_week)

    def _week_tallies(self, next_week: int) -> WeekTallies:
        """The counts and this week's recorder rows the compiled week changes."""
        rec = self.recorder
        return WeekTallies(
            self.occupancy,
            self.cells,
            rec.nights[self.week].reshape(-1),
            rec.flows[next_week],
            rec.entries[next_week],
            rec.users,
            rec.homeless_any,
            rec.applied[next_week],
            rec.refused[next_week],
            self._peak,
        )

    def _follow_moves(self) -> None:
        """The policies follow the week's moves, in the order they were made.

        Nothing a policy does on a move changes the rest of the week (support and its
        lists act before the moves, prevention's contacts through the week's
        multipliers), so the moves are handed over once the week is lived: runs of
        moves in which nobody moves twice go together, which gives the same result as
        handing each night's moves over at once.
        """
        moves, self._followed = self._followed, None
        if not moves or not self.policies.follows_moves:
            return
        seen = np.zeros(self.citizens.n, dtype=bool)
        run: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []
        for move in moves:
            if run and seen[move[0]].any():
                self._hand_over(run)
                seen[:] = False
                run = []
            seen[move[0]] = True
            run.append(move)
        self._hand_over(run)

    def _hand_over(self, run: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]) -> None:
        """Hand a run of moves (nobody twice) to the policies as one."""
        if len(run) == 1:
            self.policies.on_move(*run[0])
            return
        idx, old, dest = (np.concatenate([m[k] for m in run]) for k in range(3))
        self.policies.on_move(idx, old, dest, run[0][3])

    def _is_quiet(self, idx: np.ndarray, dest: np.ndarray) -> np.ndarray:
        """Return which moves touch no scarce place.

        A quiet move is not from a limited place, does not need a place (nor possibly an
        assigned home), and is by a citizen on no waiting list.
        """
        a = self.citizens
        origin = a.situation[idx]
        q = self.allocator.rules.queue_of_situation
        return (q[origin] < 0) & (self.allocator.needs_place(origin, dest) < 0) & (a.queue[idx] < 0)

    def _quiet(
        self,
        idx: np.ndarray,
        dest: np.ndarray,
        offset: np.ndarray,
        drawn: int | np.ndarray,
        events: NightEvents,
        next_week: int,
    ) -> None:
        """Make the quiet moves among these (citizen, destination, offset) at once.

        Then their moves on within the week are made, round after round; moves that
        touch a place go to ``events`` for their night (``drawn``: offset each move was
        drawn on).
        """
        while idx.size:
            quiet = self._is_quiet(idx, dest)
            if not quiet.all():
                loud = ~quiet
                events.add(idx[loud], dest[loud], offset[loud], _part(drawn, loud))
                idx, dest, offset = idx[quiet], dest[quiet], offset[quiet]
            if idx.size == 0:
                return
            a = self.citizens
            night = self.week * DAYS_PER_WEEK + offset.astype(np.int64)
            self.move(idx, dest, next_week, night=night)
            self._moved_at[idx] = offset
            on = (offset < DAYS_PER_WEEK) & (a.situation[idx] != LEFT)
            idx, drawn, dest, offset = self._moves_on(idx[on], offset[on])

    def _moves_on(
        self, moved: np.ndarray, offset: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Draw the moves on, before the week ends, of citizens who moved on ``offset``.

        Citizens who moved on ``offset`` (one each, before 7) may move again before the
        week ends, from their new row: with the chance of leaving within the nights
        left, on a night drawn from the truncated geometric. Returns the next moves
        (citizens, offsets drawn on, destinations, offsets).
        """
        order = np.argsort(moved)
        moved, offset = moved[order], offset[order]
        nights = self.streams["nights"]
        left = DAYS_PER_WEEK - offset.astype(np.int64)
        movers, dest, leave = self._draw(moved, nights.random(moved.size), left)
        start = offset[np.searchsorted(moved, movers)]
        when = move_offsets(leave, start.astype(np.int64), nights.random(movers.size))
        return movers, start, dest, when

    def _draw(
        self, idx: np.ndarray, u: np.ndarray, nights_left: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw the moves of citizens ``idx`` (sorted) with uniforms ``u``.

        Moves are drawn within the whole week or the ``nights_left`` nights left (each),
        with the week's personal multipliers; the policies' filter applied. Returns
        (movers, destinations, weekly chance of leaving of the movers).
        """
        a = self.citizens
        special, m_house, m_loss = self._special
        rows, dest, leave = draw_moves(
            self.tables, idx, a.code, a.situation, u, special, m_house, m_loss, nights_left
        )
        movers = idx[rows]
        kept, dest = self.policies.filter_moves(movers, dest)
        if kept.size != movers.size:
            leave = leave[np.searchsorted(movers, kept)]
        return kept, dest, leave

    def _move_on(self, moved: np.ndarray, offset: int, events: NightEvents, next_week: int) -> None:
        """After a night's moves: the moves on within the week of those who moved."""
        a = self.citizens
        moved = moved[a.situation[moved] != LEFT]
        if moved.size:
            off = np.full(moved.size, offset, dtype=np.int8)
            idx, drawn, dest, when = self._moves_on(moved, off)
            self._quiet(idx, dest, when, drawn, events, next_week)

    def _homes_waiting(self) -> bool:
        """Return True if assigned homes come night by night and someone waits for one.

        The night's homes must then be offered even on a night without other moves.
        """
        if not self.allocator.rules.assigned_limited:
            return False
        a = self.citizens
        return bool((a.queue[self._queued] == ASSIGNED).any() or self._joined)

    def _night(self, next_week: int, offset: int, idx: np.ndarray, to: np.ndarray) -> np.ndarray:
        """Make one night's moves and return the citizens moved.

        Those that need a scarce place join its list; the others are made, then free
        places go to those waiting and refused applicants overflow, all in one call
        (``move``), which keeps every count consistent.
        """
        a = self.citizens
        if idx.size:
            queue = self.allocator.needs_place(a.situation[idx], to)
            assigned = np.flatnonzero(queue == ASSIGNED)
            if assigned.size:
                queue[assigned[self.allocator.self_found(assigned.size)]] = -1
            direct = queue < 0
            if not direct.all():
                self.join(idx[~direct], queue[~direct], next_week)
                idx, to = idx[direct], to[direct]
        homes = self.allocator.homes_tonight()
        a.queue[idx] = -1
        waiting = self._waiting()
        if waiting.size:
            occupancy = self.occupancy + np.bincount(to, minlength=N_SIT)
            occupancy -= np.bincount(a.situation[idx], minlength=N_SIT)
            admitted, places = self.allocator.allocate(a, occupancy, next_week, waiting, homes)
        else:
            admitted, places = _NONE
        if self._joined:  # tonight's new applicants: counted, and the refused overflow
            rec, n_lists = self.recorder, len(QUEUE_NAMES)
            fresh = sorted_unique(np.concatenate(self._joined))
            applied = a.queue[fresh]
            fresh, applied = fresh[applied >= 0], applied[applied >= 0]
            rec.applied[next_week] += np.bincount(applied, minlength=n_lists)
            a.queue[admitted] = -1
            fresh = fresh[a.queue[fresh] >= 0]  # refused tonight
            rec.refused[next_week] += np.bincount(a.queue[fresh], minlength=n_lists)
            refused, beds = self._overflow(fresh)
            moved = np.concatenate([idx, admitted, refused])
            dest = np.concatenate([to, places, beds])
        elif admitted.size:
            a.queue[admitted] = -1
            moved, dest = np.concatenate([idx, admitted]), np.concatenate([to, places])
        else:
            moved, dest = idx, to
        self.move(moved, dest, next_week, keep_queue=True, night=self.week * DAYS_PER_WEEK + offset)
        self._moved_at[moved] = offset
        self._queued = waiting[a.queue[waiting] >= 0] if waiting.size else waiting
        self._joined = []
        if offset < DAYS_PER_WEEK:  # offset 7 is the next week's first night
            np.maximum(self._peak, self.occupancy[PLACE_SITUATION], out=self._peak)
        return moved

    def _modified(self) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:  # noqa: C901 - gather, merge and multiply the modifiers in one pass
        """Citizens whose weekly chances differ from the table, with their multipliers."""
        a = self.citizens
        parts = []
        if self._duration is not None:  # everyone homeless now, by spell length
            idx, mh = duration_parts(a.spell_start, self.week, *self._duration)
            self._remember_homeless(idx)
            if idx.size:
                parts.append((idx, mh, None))
        for modifier in self.modifiers:
            got = modifier(self)
            parts.extend(got if isinstance(got, list) else [got])
        parts = [p for p in parts if p[0].size]
        if not parts:
            return np.zeros(0, dtype=np.intp), None, None
        if len(parts) == 1:
            idx, mh, ml = parts[0]
            return idx, mh, ml
        total = sum(p[0].size for p in parts)
        if total * 8 < a.n:  # few: sort them; many: mark them in a mask
            special = sorted_unique(np.concatenate([p[0] for p in parts]))
        else:
            mask = np.zeros(a.n, dtype=bool)
            for idx, _, _ in parts:
                mask[idx] = True
            special = np.flatnonzero(mask)
        m_house = m_loss = None
        for idx, mh, ml in parts:
            pos = np.searchsorted(special, idx)
            if mh is not None:
                m_house = np.ones(special.size) if m_house is None else m_house
                m_house[pos] *= mh
            if ml is not None:
                m_loss = np.ones(special.size) if m_loss is None else m_loss
                m_loss[pos] *= ml
        return special, m_house, m_loss

    def _overflow(self, fresh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where applicants refused a place tonight sleep, if the place says so.

        ``fresh``: those who joined a list tonight and are still on it after the
        admissions (each once). Entrants refused a place have nowhere to wait: they
        sleep rough unless the place names an overflow. Both stay on the waiting list.
        Returns the moves.
        """
        a = self.citizens
        idx_parts, dest_parts = [np.zeros(0, dtype=np.intp)], [np.zeros(0, dtype=np.int8)]
        if fresh.size == 0:
            return idx_parts[0], dest_parts[0]
        queue = a.queue[fresh]
        entering = a.situation[fresh] == LEFT
        for k in np.flatnonzero(np.bincount(queue)).tolist():
            on_k = queue == k
            idx = fresh[on_k]
            dest = self.allocator.overflow_destinations(k, idx.size)
            if dest is None:
                idx = idx[entering[on_k]]
                dest = np.full(idx.size, ROUGH, dtype=np.int8)
            keep = dest != a.situation[idx]
            idx_parts.append(idx[keep])
            dest_parts.append(dest[keep])
        return np.concatenate(idx_parts), np.concatenate(dest_parts)

    # ------------------------------------------------------------ moving citizens

    def move(
        self,
        idx: np.ndarray,
        dest: np.ndarray | int,
        next_week: int | None = None,
        keep_queue: bool = False,
        night: np.ndarray | int | None = None,
    ) -> None:
        """Move citizens ``idx`` to ``dest``, keeping every count and spell consistent.

        ``next_week`` is the state the move counts in (flows, spells; default the next week's);
        ``night`` the citizens' first night in the new situation, one for all or one
        each (default ``7 * next_week``, the first night of state ``next_week``). Citizens entering
        this week (still outside) are counted as entries, not flows. Any move takes a
        citizen off a waiting list unless ``keep_queue``.
        """
        if idx.size == 0:
            return
        next_week = self.week + 1 if next_week is None else next_week
        night = next_week * DAYS_PER_WEEK if night is None else night
        a, rec = self.citizens, self.recorder
        dest = per_citizen(dest, idx.size, np.int8)
        night = per_citizen(night, idx.size)
        kinds = self.tables.kinds
        old, stays, spells, episodes, housed = apply_moves(
            idx,
            dest,
            night,
            next_week,
            self.week,
            self.weeks,
            keep_queue,
            a.situation,
            a.needs,
            a.band,
            a.rehoused,
            a.effect,
            a.kind,
            a.code,
            a.since,
            a.since_night,
            a.queue,
            a.spell_start,
            a.spells,
            a.housed_since,
            a.housed_team,
            a.team,
            self.policies.teams is not None,
            a.year_seen,
            a.year_any,
            self.occupancy,
            self.cells,
            rec.nights[self.week].reshape(-1),
            rec.flows[next_week],
            rec.entries[next_week],
            rec.users,
            rec.homeless_any,
            HOMELESS_MASK,
            HOUSED_MASK,
            kinds.n_kinds,
            kinds.n_bands,
        )
        rec.stays.add(*stays)
        rec.spells.add(*spells)
        rec.episodes.add(*episodes)
        self._schedule_bands(housed, next_week)
        if self._followed is None:
            self.policies.on_move(idx, old, dest, next_week)
        else:
            self._followed.append((idx, old, dest, next_week))

    def _end_stays(self, idx: np.ndarray, night: np.ndarray | int) -> None:
        """Log the stays that citizens ``idx`` (inside) end on ``night``.

        ``night`` is the first night no longer there (one for all or one each); each
        stay is logged from the night it began (used at the horizon, for open stays).
        """
        if idx.size:
            a = self.citizens
            self.recorder.stays.add(
                idx.astype(np.int64),
                a.situation[idx].copy(),
                a.since_night[idx].astype(np.int64),
                np.broadcast_to(np.asarray(night, dtype=np.int64), idx.shape).copy(),
            )

    def support_of(self, idx: np.ndarray) -> np.ndarray:
        """Team that supported citizens when they were housed (-1: none), for outcome logs."""
        return self.policies.support_of(idx)

    # ------------------------------------------------------------ tallies and results

    def _record(self) -> None:
        lengths = np.bincount(self.citizens.queue[self._queued], minlength=len(QUEUE_NAMES))
        self.recorder.record_state(self.week, self.cells, lengths, self.allocator.rules.capacity)

    def finish(self) -> None:
        """Close open housing episodes and stays at the horizon (censored) before summarising."""
        if getattr(self, "_finished", False):
            return
        self._finished = True
        a = self.citizens
        open_ = np.flatnonzero(a.housed_since != NO_WEEK)
        self.recorder.episodes.add(
            a.housed_since[open_],
            np.full(open_.size, self.week),
            a.needs[open_],
            np.full(open_.size, -1),
            self.support_of(open_),
        )
        # entrants of the last week who arrive at the horizon: no night inside it
        horizon = self.week * DAYS_PER_WEEK
        self._end_stays(np.flatnonzero((a.situation != LEFT) & (a.since_night < horizon)), horizon)

    def summary(self, measures: bool = True) -> dict[str, float]:
        """Scalar outcomes of the run so far (see ``outcomes.summary``).

        ``measures=False`` gives only the outcomes of the counts (``outcomes.summary``:
        counts, days, flows and waiting by year), without the programme outcomes and the
        measures of shelter use read from every stay, which cost about as much again as
        the counts' outcomes; a plan reads nothing else.
        """
        self.finish()
        rec = self.recorder
        if self.week < self.weeks:
            rec = _truncated(rec, self.week)
        out = summary(rec, self.params.setting.start_year, self.params.setting.pit_week)
        if not measures:
            return out
        out.update(programme_outcomes(self))
        out.update(summary_measures(self.history(), self.params.setting.pit_week))
        out.update(us_pit_summary(self.history()))
        kinds = self.tables.kinds
        if kinds.n_kinds > 1:  # each kind's share of shelter users and of shelter nights
            out.update(
                kind_outputs(
                    rec.stays.frame(),
                    self.citizens.kind,
                    kinds.names,
                    self.week,
                    int(Situation.SHELTER),
                )
            )
        return out

    def history(self) -> History:
        """Every stay so far in nights, with the citizen table (``sim.history``)."""
        if getattr(self, "_history", (None,))[0] != self.week:
            self._history = (self.week, History.from_model(self))
        return self._history[1]

    def count(self, situation: str) -> int:
        """Citizens in a situation now."""
        return int(self.occupancy[SITUATIONS.index(situation)])

    @property
    def homeless(self) -> int:
        """Citizens homeless now (the national count's definition)."""
        return int(self.occupancy[HOMELESS_MASK].sum())

    # ------------------------------------------------------------ Mesa agents, on demand

    def _sync_agents(self) -> None:
        """Create Citizen agents for citizens present, remove those who have left.

        Agents are views and cost memory and time to create, so they are made only
        when someone asks for them (``model.agents``); the weekly step never does.
        """
        a = self.citizens
        if self._materialised.size < a.n:
            grown = np.zeros(a.n, dtype=bool)
            grown[: self._materialised.size] = self._materialised
            self._materialised = grown
        present = a.situation != LEFT
        for i in np.flatnonzero(present & ~self._materialised):
            self._agent_of[int(i)] = Citizen(self, int(i))
        for i in np.flatnonzero(~present & self._materialised):
            self._agent_of.pop(int(i)).remove()
        self._materialised = present.copy()

    @property
    def agents(self):
        """All citizens present, as a Mesa AgentSet (created on first use)."""
        if hasattr(self, "_agent_of"):
            self._sync_agents()
        return self._all_agents

    @property
    def agents_by_type(self):
        """Citizens present by agent type, as Mesa AgentSets (created on first use)."""
        if hasattr(self, "_agent_of"):
            self._sync_agents()
        return self._agents_by_type


class WeeklyCollector(mesa.DataCollector):
    """Mesa's DataCollector, collected at the start and after every week.

    Model reporters: citizens in each situation and ``homeless`` (the national count's
    definition). Collecting them keeps a copy of the model's running count by situation
    (a microsecond); the values are filled into ``model_vars`` when read, the same as
    calling the reporters then, so a week does not pay Mesa's call and copy of each.
    Agent reporters (default: situation, needs, age band, weeks in
    the situation, weeks homeless) need a :class:`Citizen` view of every citizen, which
    costs far more than the week itself; so agent variables are recorded at every
    ``agent_every``-th week only (default: never during the run) and always for the
    latest collection, read when asked for from the state the model is still in. That
    is what ``mesa.batch_run`` reads at its default ``data_collection_period=-1``.
    Extra reporters and tables work as with any DataCollector.
    """

    #: Agent reporters used when none are given: attribute names of :class:`Citizen`.
    AGENT_REPORTERS: ClassVar[dict[str, str]] = {
        "situation": "situation",
        "needs": "needs",
        "age_band": "age_band",
        "weeks_in_situation": "weeks_in_situation",
        "weeks_homeless": "weeks_homeless",
    }

    def __init__(
        self,
        model: HomelessnessModel,
        model_reporters: Mapping | None = None,
        agent_reporters: Mapping | None = None,
        agent_every: int | None = None,
    ):
        reporters: dict[str, Any] = {
            name: (lambda m, s=s: int(m.occupancy[s]))
            for s, name in enumerate(SITUATIONS)
            if s != LEFT
        }
        reporters["homeless"] = lambda m: m.homeless
        self._counts_taken: list[np.ndarray] = []  # occupancy at collections not yet read
        self._builtin: dict[str, int] = {}  # set below, once Mesa has made the lists
        super().__init__(
            model_reporters={**reporters, **(model_reporters or {})},
            agent_reporters=dict(
                self.AGENT_REPORTERS if agent_reporters is None else agent_reporters
            ),
        )
        # the built-in reporters a user's did not replace, by situation (-1: homeless)
        self._builtin = {
            name: (SITUATIONS.index(name) if name != "homeless" else -1)
            for name, rep in reporters.items()
            if self.model_reporters[name] is rep
        }
        self._model = model
        self._agent_every = agent_every
        self._stored_agents: dict[float, list[tuple]] = {}
        self._latest: float | None = None

    @property
    def model_vars(self) -> dict[str, list]:
        """Each model reporter's values, one per collection (Mesa's ``model_vars``)."""
        vars_ = self._model_vars
        taken, self._counts_taken = self._counts_taken, []
        for name, s in self._builtin.items():
            values = vars_[name]
            for occ in taken:
                values.append(int(occ[HOMELESS_MASK].sum()) if s < 0 else int(occ[s]))
        return vars_

    @model_vars.setter
    def model_vars(self, value: dict[str, list]) -> None:
        self._model_vars = value

    def collect(self, model: HomelessnessModel) -> None:
        """Record the model reporters now (Mesa's own way); agent reporters when due."""
        agent_reporters, self.agent_reporters = self.agent_reporters, {}
        reporters = self.model_reporters
        self.model_reporters = {k: v for k, v in reporters.items() if k not in self._builtin}
        try:
            super().collect(model)  # the user's reporters, agent-type reporters
        finally:
            self.agent_reporters, self.model_reporters = agent_reporters, reporters
        if len(self.model_reporters) == len(self._builtin):  # Mesa kept no step for them
            self._collection_steps.append(model.time)
        self._counts_taken.append(model.occupancy.copy())
        every = self._agent_every
        if agent_reporters and every and model.steps % every == 0:
            self._stored_agents[model.time] = list(self._record_agents(model))
        self._latest = model.time

    @property
    def _agent_records(self) -> dict[float, list[tuple]]:
        """Return the agent records by collection time.

        The latest one is read from the current state (unchanged since, as every week
        ends with a collection, unless citizens were moved by hand in between).
        """
        records = dict(self._stored_agents)
        latest = self._latest
        if (
            self.agent_reporters
            and latest is not None
            and latest not in records
            and self._model.time == latest
        ):
            records[latest] = list(self._record_agents(self._model))
        return records

    @_agent_records.setter
    def _agent_records(self, value: dict) -> None:
        self._stored_agents = dict(value)


def _part(values: np.ndarray | int, mask: np.ndarray | None) -> np.ndarray:
    """``values[mask]`` for per-citizen values, the value itself for one for all."""
    values = np.asarray(values)
    return values if values.ndim == 0 or mask is None else values[mask]


def _truncated(rec: Recorder, week: int) -> Recorder:
    """A view of a recorder as if the horizon were ``week`` (for early summaries)."""
    out = Recorder.__new__(Recorder)
    out.__dict__.update(rec.__dict__)
    out.weeks = week
    out.years = -(-week // WEEKS_PER_YEAR)
    out.counts = rec.counts[: week + 1]
    out.flows = rec.flows[: week + 1]
    out.entries = rec.entries[: week + 1]
    out.queues = rec.queues[: week + 1]
    out.capacity = rec.capacity[: week + 1]
    out.nights = rec.nights[: week + 1]
    out.peak = rec.peak[: week + 1]
    return out
