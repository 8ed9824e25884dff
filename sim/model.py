"""The homelessness model: a ``mesa.Model`` whose citizens live in numpy arrays.

The weekly step (:meth:`HomelessnessModel.step`) reads top to bottom:

1. parameters change if a dated change starts this week;
2. birthdays and moves on to the next return band (months since moving in from
   homelessness) change table rows;
3. policies act: support ends or moves on a phase, referrals, admissions, prevention;
4. one uniform per citizen decides who moves and where (``transitions.draw_moves``);
   each citizen's row of the move tables already holds their kind, their return band
   and the effect of their support, and only long spells and prevention add personal
   multipliers;
5. moves that need a scarce place join its waiting list; the week's entrants arrive;
6. free places go to those waiting (``places.Allocator``), refused shelter
   applicants overflow;
7. all these moves are made in one call (``move``), which keeps every count consistent;
8. the week is tallied (``outcomes.Recorder``), which Mesa's DataCollector reads.
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
from sim.kinds import kind_outputs
from sim.outcomes import Recorder, summary
from sim.places import QUEUE_NAMES, Allocator, PlaceRules
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
from sim.streams import make_streams
from sim.transitions import MoveTables, draw_moves, duration_multiplier, row_code

ROUGH = int(Situation.ROUGH)

#: A modifier returns (citizens, m_house, m_loss) for citizens whose chances differ.
Modifier = Callable[["HomelessnessModel"], tuple[np.ndarray, np.ndarray, np.ndarray]]


class HomelessnessModel(mesa.Model):
    """Citizens moving weekly between housing situations under one scenario.

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
        """Build the model at week 0: the initial population placed, the entrants of the
        whole horizon drawn, week 0 tallied and collected.

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
        self._duration = (dd.half_life_weeks, dd.floor) if dd.enabled else None

    def _populate(self) -> None:
        """Place the initial population (week 0)."""
        idx = self.population.populate()
        a = self.citizens
        self.recode(idx)
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
        r = self.week + 1
        self._birthdays(r)
        self._return_bands(r)
        self.policies.before_moves(r)
        moved, dest = self._moves(r)
        entered, placed = self._enter(r)
        self._all_moves(r, np.concatenate([moved, entered]), np.concatenate([dest, placed]))
        self._joined = []
        self.week = r
        self.policies.after_week(r)
        if r % WEEKS_PER_YEAR == 0:
            self.recorder.mark_year(
                self.citizens, np.flatnonzero(self.citizens.situation != LEFT), r
            )
        self._record()
        self.datacollector.collect(self)
        if self.week >= self.weeks:
            self.running = False

    def run(self, weeks: int | None = None) -> HomelessnessModel:
        """Step ``weeks`` weeks (default: to the horizon) and return the model."""
        n = self.weeks - self.week if weeks is None else weeks
        for _ in range(n):
            self.step()
        return self

    def homeless_now(self) -> np.ndarray:
        """Indices of citizens homeless now (computed once a week, before the moves)."""
        if self._homeless_week != self.week:
            self._homeless_idx = np.flatnonzero(self.citizens.spell_start != NO_WEEK)
            self._homeless_week = self.week
        return self._homeless_idx

    def _return_bands(self, r: int) -> None:
        """Citizens housed long enough ago move on to the next band of return risk (the
        last band ends in the ordinary risk). The band is found from the weeks since
        moving in, so a dated change of the bands takes effect at once."""
        chunks = self._band_changes.pop(r, None)
        if chunks:
            a = self.citizens
            idx = np.concatenate([i for i, _ in chunks])
            start = np.concatenate([np.broadcast_to(s, i.shape) for i, s in chunks])
            idx = idx[a.housed_since[idx] == start]  # still in the same home
            a.rehoused[idx] = self._band_of(r - a.housed_since[idx])
            self.recode(idx)

    def _band_of(self, weeks: np.ndarray) -> np.ndarray:
        """Return band after ``weeks`` in a home (1: the first; 0: the ordinary risk)."""
        kinds = self.tables.kinds
        band = np.searchsorted(kinds.band_weeks, weeks, side="left") + 1
        band[band >= kinds.n_bands] = 0
        return band.astype(np.int8)

    def _schedule_bands(self, housed: np.ndarray, r: int) -> None:
        """Citizens housed from homelessness into state ``r`` enter the first band of
        return risk; schedule the weeks they move on to the next bands."""
        if housed.size == 0:
            return
        a = self.citizens
        a.housed_since[housed] = r
        a.rehoused[housed] = 1
        for weeks in self.tables.kinds.band_weeks.tolist():
            self._band_changes[r + weeks + 1].append((housed, r))

    def _rebanded(self) -> None:
        """After a dated change of the bands: everyone housed from homelessness gets the
        band of their weeks since moving in, and the band changes are rescheduled."""
        a, r = self.citizens, self.week + 1
        housed = np.flatnonzero(a.housed_since != NO_WEEK)
        since = a.housed_since[housed].astype(np.int64)
        a.rehoused[housed] = self._band_of(r - since)
        self._band_changes.clear()
        for weeks in self.tables.kinds.band_weeks.tolist():
            due = since + weeks + 1
            later = due >= r
            for week in np.unique(due[later]).tolist():
                on = later & (due == week)
                self._band_changes[week].append((housed[on], since[on]))

    def recode(self, idx: np.ndarray) -> None:
        """Refresh the move-table rows of citizens whose state changed (a move, the end
        of the first weeks after rehousing, a change of support)."""
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

    def _birthdays(self, r: int) -> None:
        """Citizens who turn 25 or 30 this week move up an age band."""
        idx = self.population.birthdays.due(r)
        if idx.size:
            a = self.citizens
            self.cells -= np.bincount(self.cell_of(idx), minlength=self.cells.size)
            a.band[idx] += 1
            self.cells += np.bincount(self.cell_of(idx), minlength=self.cells.size)

    def _waiting(self) -> np.ndarray:
        """Everyone on a waiting list now: those at the last tally and this week's joiners."""
        a = self.citizens
        cand = np.concatenate([self._queued, *self._joined]) if self._joined else self._queued
        cand = sorted_unique(cand)
        return cand[a.queue[cand] >= 0]

    def join(self, idx: np.ndarray, queue: np.ndarray, r: int) -> None:
        """Put citizens on waiting lists (see ``Allocator.join``)."""
        if idx.size:
            self.allocator.join(self.citizens, idx, queue, r)
            self._joined.append(idx)

    def _all_moves(self, r: int, direct: np.ndarray, to: np.ndarray) -> None:
        """Make the week's moves in one go: ``direct`` moves (to ``to``) that need no
        place, then admissions to places freed by them, then refused applicants'
        overflow. Moving takes citizens off waiting lists, except overflow."""
        a = self.citizens
        a.queue[direct] = -1
        occupancy = self.occupancy + np.bincount(to, minlength=N_SIT)
        occupancy -= np.bincount(a.situation[direct], minlength=N_SIT)
        waiting = self._waiting()
        fresh = waiting[a.queue_since[waiting] == r]  # joined a list this week
        self.recorder.applied[r] += np.bincount(a.queue[fresh], minlength=len(QUEUE_NAMES))
        admitted, places = self.allocator.allocate(a, occupancy, r, waiting)
        a.queue[admitted] = -1
        still = a.queue[fresh]
        self.recorder.refused[r] += np.bincount(still[still >= 0], minlength=len(QUEUE_NAMES))
        refused, beds = self._overflow(r, waiting)
        self.move(
            np.concatenate([direct, admitted, refused]),
            np.concatenate([to, places, beds]),
            r,
            keep_queue=True,
        )
        self._queued = waiting[a.queue[waiting] >= 0]

    def _modified(self) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Citizens whose weekly chances differ from the table, with their multipliers."""
        a = self.citizens
        parts = []
        if self._duration is not None:
            idx = self.homeless_now()
            if idx.size:
                weeks = (self.week - a.spell_start[idx]).astype(np.float64)
                parts.append((idx, duration_multiplier(weeks, *self._duration), None))
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

    def _moves(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw this week's moves; those that need a place join its list. Returns the
        moves that need no place (citizens, destinations), still to be made."""
        a = self.citizens
        u = self.streams["moves"].random(a.n)
        special, m_house, m_loss = self._modified()
        movers, dest = draw_moves(self.tables, a.code, a.situation, u, special, m_house, m_loss)
        movers, dest = self.policies.filter_moves(movers, dest)
        if movers.size == 0:
            return movers, dest
        queue = self.allocator.needs_place(a.situation[movers], dest)
        assigned = np.flatnonzero(queue == len(QUEUE_NAMES) - 1)
        if assigned.size:
            queue[assigned[self.allocator.self_found(assigned.size)]] = -1
        direct = queue < 0
        if not direct.all():
            self.join(movers[~direct], queue[~direct], r)
        return movers[direct], dest[direct]

    def _enter(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """New citizens arrive by the scenario's routes; those bound for a scarce place
        join its list. Returns the entrants who need no place, with their destinations."""
        idx, dest = self.population.enter(r)
        if idx.size == 0:
            return idx, dest
        queue = self.allocator.needs_place(np.full(idx.size, LEFT, dtype=np.int8), dest)
        direct = queue < 0
        if not direct.all():
            self.join(idx[~direct], queue[~direct], r)
        return idx[direct], dest[direct]

    def _overflow(self, r: int, waiting: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where applicants refused a place this week sleep, if the place says so.

        ``waiting``: everyone on a list this week (each once, though a citizen may join
        two lists in a week). Those who joined this week and are still listed after the
        admissions were refused. Entrants refused a place have nowhere to wait: they
        sleep rough unless the place names an overflow. Both stay on the waiting list.
        Returns the moves.
        """
        a = self.citizens
        fresh = waiting[(a.queue[waiting] >= 0) & (a.queue_since[waiting] == r)]
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
        r: int | None = None,
        keep_queue: bool = False,
    ) -> None:
        """Move citizens ``idx`` to ``dest``, keeping every count and spell consistent.

        Citizens entering this week (still outside) are counted as entries, not flows.
        Any move takes a citizen off a waiting list unless ``keep_queue``.
        """
        if idx.size == 0:
            return
        r = self.week + 1 if r is None else r
        a, rec = self.citizens, self.recorder
        if np.ndim(dest) == 0:
            dest = np.full(idx.size, dest, dtype=np.int8)
        old = a.situation[idx]
        # only entrants are outside (LEFT) and move: those who left never move again
        entering = old == LEFT
        if entering.any():
            inside = ~entering
            rec.add_entries(r, dest[entering])
            self._count_move(idx[inside], old[inside], dest[inside], r)
            self.occupancy += np.bincount(dest[entering], minlength=N_SIT)
            self.cells += np.bincount(
                self.cell_of(idx[entering], dest[entering]), minlength=self.cells.size
            )
        else:
            inside = None
            self._count_move(idx, old, dest, r)
        self._spells_and_episodes(idx, old, dest, inside, r)
        self._end_stays(idx if inside is None else idx[inside], r)
        a.situation[idx] = dest
        self.recode(idx)
        a.since[idx] = r
        if not keep_queue:
            a.queue[idx] = -1
        rec.mark_year(a, idx[dest != LEFT], r)
        self.policies.on_move(idx, old, dest, r)

    def _end_stays(self, idx: np.ndarray, r: int) -> None:
        """Log the stays that citizens ``idx`` (inside, moving) end by a move into state
        ``r``: from the night their situation began to night ``7 * r``."""
        if idx.size:
            a = self.citizens
            self.recorder.stays.add(
                idx.astype(np.int64),
                a.situation[idx].copy(),
                a.since[idx].astype(np.int64) * DAYS_PER_WEEK,
                np.full(idx.size, r * DAYS_PER_WEEK, dtype=np.int64),
            )

    def _count_move(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, r: int) -> None:
        """Flows, occupancy and cell counts for citizens moving within the system."""
        self.recorder.add_flows(r, old, dest)
        self.occupancy += np.bincount(dest, minlength=N_SIT) - np.bincount(old, minlength=N_SIT)
        self.cells += np.bincount(self.cell_of(idx, dest), minlength=self.cells.size) - np.bincount(
            self.cell_of(idx, old), minlength=self.cells.size
        )

    def _spells_and_episodes(
        self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, inside: np.ndarray | None, r: int
    ) -> None:
        """Begin and end homeless spells and housing episodes (entrants: only begin)."""
        a, rec = self.citizens, self.recorder
        was_h = HOMELESS_MASK[old]
        now_h = HOMELESS_MASK[dest]
        was_housed = HOUSED_MASK[old]
        if inside is not None:
            was_h &= inside
            was_housed &= inside
        begins = idx[now_h & ~was_h]
        a.spell_start[begins] = r
        a.spells[begins] += 1
        end = was_h & ~now_h
        if end.any():
            ends = idx[end]
            rec.spells.add(a.spell_start[ends], np.full(ends.size, r), a.needs[ends], dest[end])
            a.spell_start[ends] = NO_WEEK
            housed = idx[end & HOUSED_MASK[dest]]
            self._schedule_bands(housed, r)
        lost = was_housed & ~HOUSED_MASK[dest]
        if lost.any():
            lost &= a.housed_since[idx] != NO_WEEK
            li = idx[lost]
            if li.size:
                rec.episodes.add(
                    a.housed_since[li],
                    np.full(li.size, r),
                    a.needs[li],
                    dest[lost],
                    self.support_of(li),
                )
                a.housed_since[li] = NO_WEEK
                a.rehoused[li] = 0

    def support_of(self, idx: np.ndarray) -> np.ndarray:
        """Team that supported citizens when they were housed (-1: none), for outcome logs."""
        return self.policies.support_of(idx)

    # ------------------------------------------------------------ tallies and results

    def _record(self) -> None:
        lengths = np.bincount(self.citizens.queue[self._queued], minlength=len(QUEUE_NAMES))
        self.recorder.record_state(self.week, self.cells, lengths, self.allocator.rules.capacity)

    def finish(self) -> None:
        """Close open housing episodes and stays at the horizon (censored) before
        summarising."""
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
        # entrants of the last week arrive at the horizon: no night inside it
        self._end_stays(np.flatnonzero((a.situation != LEFT) & (a.since < self.week)), self.week)

    def summary(self) -> dict[str, float]:
        """Scalar outcomes of the run so far (see ``outcomes.summary``)."""
        self.finish()
        rec = self.recorder
        if self.week < self.weeks:
            rec = _truncated(rec, self.week)
        out = summary(rec, self.params.setting.start_year, self.params.setting.pit_week)
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
        if hasattr(self, "_agent_of"):
            self._sync_agents()
        return self._agents_by_type


class WeeklyCollector(mesa.DataCollector):
    """Mesa's DataCollector, collected at the start and after every week.

    Model reporters: citizens in each situation and ``homeless`` (the national count's
    definition), read from the model's running counts, so ``collect`` costs a few
    microseconds a week. Agent reporters (default: situation, needs, age band, weeks in
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
        super().__init__(
            model_reporters={**reporters, **(model_reporters or {})},
            agent_reporters=dict(
                self.AGENT_REPORTERS if agent_reporters is None else agent_reporters
            ),
        )
        self._model = model
        self._agent_every = agent_every
        self._stored_agents: dict[float, list[tuple]] = {}
        self._latest: float | None = None

    def collect(self, model: HomelessnessModel) -> None:
        """Record the model reporters now (Mesa's own way); agent reporters when due."""
        agent_reporters, self.agent_reporters = self.agent_reporters, {}
        try:
            super().collect(model)  # model and agent-type reporters, collection steps
        finally:
            self.agent_reporters = agent_reporters
        every = self._agent_every
        if agent_reporters and every and model.steps % every == 0:
            self._stored_agents[model.time] = list(self._record_agents(model))
        self._latest = model.time

    @property
    def _agent_records(self) -> dict[float, list[tuple]]:
        """Agent records by collection time; the latest one read from the current state
        (unchanged since, as every week ends with a collection, unless citizens were
        moved by hand in between)."""
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
    return out
