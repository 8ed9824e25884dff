"""Wiring the policies of a scenario into a running model."""

from __future__ import annotations

import numpy as np

from sim.places import QUEUE_NAMES
from sim.policies.pathway import HousingFirst, Staircase
from sim.policies.prevention import EvictionPrevention
from sim.policies.support import SupportTeams
from sim.policies.team_rules import N_TEAMS, TeamRules
from sim.scenario.policy_schema import TEAM_NAMES
from sim.scenario.schema import Scenario
from sim.situations import HOMELESS_MASK, HOUSED_MASK, LEFT, N_NEEDS, N_SIT, age_band_of

STARTER_QUEUE = QUEUE_NAMES.index("starter")
FLOATING = TEAM_NAMES.index("floating")
#: Per-citizen arrays of the policy set itself: the team that supported a citizen when
#: housed from homelessness (-1: none).
POLICY_FIELDS = (("housed_team", np.int8, -1),)


class PolicySet:
    """The policies of the current parameter phase, acting on one model."""

    def __init__(self, model):
        self.model = model
        # Every per-citizen array a policy uses exists from the start, whether or not
        # the policy is on in week 0: a policy may read another's (Housing First reads
        # the support team) and a dated change may switch one on later.
        for name, dtype, fill in (*POLICY_FIELDS, *SupportTeams.FIELDS, *EvictionPrevention.FIELDS):
            model.citizens.add_field(name, dtype, fill)
        self.teams: SupportTeams | None = None
        self.staircase: Staircase | None = None
        self.housing_first: HousingFirst | None = None
        self.prevention: EvictionPrevention | None = None
        self.support_weeks = np.zeros((model.weeks + 1, N_TEAMS), dtype=np.int32)
        self.team_waiting = np.zeros((model.weeks + 1, N_TEAMS), dtype=np.int32)
        # person-weeks in support by team, situation and needs (the cost model reads it)
        self.support_cells = np.zeros((model.weeks + 1, N_TEAMS, N_SIT, N_NEEDS), dtype=np.int32)
        self.update(model.params)

    def update(self, params: Scenario) -> None:
        """Apply a parameter phase: teams resize, policies switch on or off."""
        pol, scale = params.policies, params.setting.scale
        rules = [TeamRules.build(getattr(pol.teams, n), scale) for n in TEAM_NAMES]
        if self.teams is None and any(r.enabled for r in rules):
            self.teams = SupportTeams(self.model, rules, pol.youth.priority)
        elif self.teams is not None:
            self.teams.rules, self.teams.youth_first = rules, pol.youth.priority
            self.teams.restart(self.model.week + 1)
        model = self.model
        self.staircase = Staircase(pol.pathway) if pol.pathway.model == "staircase" else None
        self.housing_first = (
            HousingFirst(pol.pathway, model.streams["support"])
            if pol.pathway.model == "housing_first"
            else None
        )
        if pol.prevention.enabled:
            if self.prevention is None:
                self.prevention = EvictionPrevention(model, pol.prevention)
            self.prevention.rules = pol.prevention
        elif self.prevention is not None:
            self.prevention.clear(model)
            self.prevention = None
        self._set_queue_rules(pol, scale)

    def _set_queue_rules(self, pol, scale: float) -> None:
        alloc, model = self.model.allocator, self.model
        alloc.front.clear()
        alloc.reserved.clear()

        def young(idx: np.ndarray) -> np.ndarray:
            return age_band_of(model.week - model.citizens.birth[idx]) < 2

        if pol.youth.priority:
            alloc.front[STARTER_QUEUE] = young
        if pol.youth.reserved_starter_homes > 0:
            alloc.reserved[STARTER_QUEUE] = (round(pol.youth.reserved_starter_homes * scale), young)
        if self.housing_first is not None:
            hf = self.housing_first
            alloc.front[QUEUE_NAMES.index("assigned_home")] = lambda idx: hf.in_programme(
                model, idx
            )

    # ---------------------------------------------------------------- weekly hooks

    def before_moves(self, r: int) -> None:
        if self.teams is not None:
            self.teams.week(r)
        if self.housing_first is not None:
            self.housing_first.week(self.model, r)
        if self.prevention is not None:
            self.prevention.week(self.model, r)

    def filter_moves(self, movers: np.ndarray, dest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.staircase is None or movers.size == 0:
            return movers, dest
        return self.staircase.filter(self.model, movers, dest)

    def multipliers(self, model) -> list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]:
        """Citizens whose chances differ from their table row (support teams act through
        the rows' effect states instead)."""
        out = []
        if self.prevention is not None:
            out.append(self.prevention.multipliers(model))
        return out

    def on_move(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, r: int) -> None:
        """After citizens move: record support at housing, refer, end prevention contact,
        end the support of those who left."""
        a = self.model.citizens
        if self.teams is not None:
            self.teams.moved(idx, old, dest)
            gone = idx[dest == LEFT]
            if gone.size:
                self.teams.left(gone, r)
        housed = idx[HOMELESS_MASK[old] & HOUSED_MASK[dest]]
        if housed.size:
            a.housed_team[housed] = a.team[housed] if self.teams is not None else -1
            if self.teams is not None:
                self.teams.refer_on_housing(housed, r)
                if self.housing_first is not None and self.housing_first.floating:
                    # programme citizens housed without a team get floating support
                    alone = housed[a.team[housed] < 0]
                    self.teams.join(FLOATING, alone, r)
        if self.prevention is not None:
            self.prevention.on_move(self.model, idx)

    def after_week(self, r: int) -> None:
        if self.teams is not None:
            self.support_weeks[r] = self.teams.in_support
            self.team_waiting[r] = self.teams.waiting
            self.support_cells[r] = self.teams.cells.reshape(N_TEAMS, N_SIT, N_NEEDS)

    def support_of(self, idx: np.ndarray) -> np.ndarray:
        return self.model.citizens.housed_team[idx].copy()
