"""Wiring the policies of a scenario into a running model: :class:`PolicySet`."""

from __future__ import annotations

import numpy as np

from sim.policies.lifecycle import BasePolicy, Multiplier, Policy
from sim.policies.pathway import HousingFirst, Staircase
from sim.policies.prevention import EvictionPrevention
from sim.policies.support import SupportRecord, SupportTeams
from sim.policies.team_rules import TeamRules, team_names
from sim.policies.youth import YouthPriority
from sim.scenario.policy_schema import Team
from sim.scenario.schema import Scenario

#: Every kind of policy, in the order the set calls them (the order is part of the
#: model: support teams draw referrals before Housing First draws offers, both from
#: the "support" stream, and joins at housing come before floating support's).
POLICY_CLASSES: tuple[type[BasePolicy], ...] = (
    SupportTeams,
    Staircase,
    HousingFirst,
    EvictionPrevention,
    YouthPriority,
)
#: Per-citizen arrays of the policy set itself: the team that supported a citizen when
#: housed from homelessness (-1: none), for the outcome logs.
POLICY_FIELDS = (("housed_team", np.int8, -1),)


class PolicySet:
    """The policies of the current parameter phase, acting on one model.

    Each policy follows the lifecycle of :class:`~sim.policies.lifecycle.Policy`; the
    set calls the policies in force at each point of the week, in the order of
    :data:`POLICY_CLASSES`. Teams are numbered as the run's ``team_names`` (the
    teams of the last parameter phase; earlier phases have the first of them).
    """

    def __init__(self, model):
        self.model = model
        # Every per-citizen array a policy uses exists from the start, whether or not
        # the policy is on in week 0: a policy may read another's (Housing First reads
        # the support team) and a dated change may switch one on later.
        for cls in (self, *POLICY_CLASSES):
            for name, dtype, fill in cls.FIELDS:
                model.citizens.add_field(name, dtype, fill)
        self.support_teams = team_names(model.loaded.phases)
        self.record = SupportRecord.empty(model.weeks, len(self.support_teams))
        self.teams: SupportTeams | None = None
        self.staircase: Staircase | None = None
        self.housing_first: HousingFirst | None = None
        self.prevention: EvictionPrevention | None = None
        self.youth: YouthPriority | None = None
        self.policies: list[Policy] = []  # those in force, in calling order
        self.update(model.params)

    FIELDS = POLICY_FIELDS

    def _in_force(self) -> list[Policy]:
        """The policies in force, in calling order."""
        held = (self.teams, self.staircase, self.housing_first, self.prevention, self.youth)
        return [p for p in held if p is not None]

    # ---------------------------------------------------------------- parameter phases

    def update(self, params: Scenario) -> None:
        """Apply a parameter phase.

        Teams resize, policies switch on or off, and the lists for places take the rules
        the policies in force declare.
        """
        pol, scale, model = params.policies, params.setting.scale, self.model
        rules = [TeamRules.build(pol.teams.get(name, Team()), scale) for name in self.support_teams]
        if self.teams is None and any(rule.enabled for rule in rules):
            self.teams = SupportTeams(model, rules, pol.youth.priority, self.record)
        elif self.teams is not None:
            self.teams.rules, self.teams.youth_first = rules, pol.youth.priority
            self.teams.restart(model.week + 1)
        path = pol.pathway.model
        self.staircase = Staircase(model, pol.pathway) if path == "staircase" else None
        self.housing_first = (
            HousingFirst(model, pol.pathway, self.teams, self.support_teams)
            if path == "housing_first"
            else None
        )
        if self.teams is not None:
            hf = self.housing_first
            self.teams.floating = -1 if hf is None else hf.floating_at_housing
        if pol.prevention.enabled:
            if self.prevention is None:
                self.prevention = EvictionPrevention(model, pol.prevention)
            self.prevention.rules = pol.prevention
        elif self.prevention is not None:
            self.prevention.clear()
            self.prevention = None
        self.youth = YouthPriority(model, pol.youth, scale)
        self.policies = self._in_force()
        self._set_queue_rules()

    def _set_queue_rules(self) -> None:
        """Give the allocator (which owns the lists for places) the policies' rules.

        The rules are those declared by the policies in force: front-runners of several
        policies on one list go first together; a list's reserve belongs to one policy.
        """
        alloc = self.model.allocator
        alloc.front.clear()
        alloc.reserved.clear()
        fronts: dict[int, list] = {}
        for policy in self.policies:
            rules = policy.queue_rules()
            for queue, who in rules.front.items():
                fronts.setdefault(queue, []).append(who)
            for queue, kept in rules.reserved.items():
                if queue in alloc.reserved:
                    raise ValueError(f"two policies keep places on list {queue}")
                alloc.reserved[queue] = kept
        for queue, whos in fronts.items():
            alloc.front[queue] = whos[0] if len(whos) == 1 else _any_of(whos)

    # ---------------------------------------------------------------- the week

    def before_moves(self, week: int) -> None:
        """Week ``week`` (counted from 1) begins: each policy acts before the moves."""
        for policy in self.policies:
            policy.before_moves(week)

    @property
    def follows_moves(self) -> bool:
        """Whether a policy in force follows moves (``on_move``)."""
        return any(
            getattr(type(p), "on_move", None) is not BasePolicy.on_move for p in self.policies
        )

    @property
    def filters_moves(self) -> bool:
        """Whether a policy the compiled week cannot follow changes drawn moves.

        The staircase's steps are a rule of the compiled week (``steps``); any other
        ``filter_moves`` takes the numpy week.
        """
        return any(
            getattr(type(p), "filter_moves", None) is not BasePolicy.filter_moves
            and p is not self.staircase
            for p in self.policies
        )

    def filter_moves(self, movers: np.ndarray, dest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The drawn moves, as the policies change them."""
        for policy in self.policies:
            movers, dest = policy.filter_moves(movers, dest)
        return movers, dest

    def multipliers(self, model=None) -> list[Multiplier]:
        """Return the citizens whose chances differ from their table row.

        Support teams act through the rows' effect states instead. ``model``: ignored
        (the set knows its model; kept for the model's modifier list).
        """
        return [m for policy in self.policies for m in policy.multipliers()]

    def on_move(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, week: int) -> None:
        """Follow the moves of week ``week``: each policy follows them.

        (The team of those housed from homelessness, ``housed_team``, is set by the
        move itself, ``sim.kernels.apply_moves``.)
        """
        for policy in self.policies:
            policy.on_move(idx, old, dest, week)

    def follow_week(self, idx: np.ndarray, old: np.ndarray, dest: np.ndarray, week: int) -> None:
        """Follow the week's moves at once, in the order made (the compiled week)."""
        for policy in self.policies:
            policy.follow_week(idx, old, dest, week)

    def after_week(self, week: int) -> None:
        """Week ``week`` is done: the policies tally it."""
        for policy in self.policies:
            policy.after_week(week)

    # ---------------------------------------------------------------- results

    @property
    def support_weeks(self) -> np.ndarray:
        """Person-weeks in support by state and team (``support_teams`` names them)."""
        return self.record.support_weeks

    @property
    def team_waiting(self) -> np.ndarray:
        """Citizens on each team's list by state and team."""
        return self.record.team_waiting

    @property
    def support_cells(self) -> np.ndarray:
        """Person-weeks in support by state, team, situation and needs."""
        return self.record.support_cells

    def support_of(self, idx: np.ndarray) -> np.ndarray:
        """Team that supported citizens when they were housed (-1: none)."""
        return self.model.citizens.housed_team[idx].copy()


def _any_of(whos: list) -> object:
    """A rule marking those whom any of ``whos`` marks."""

    def who(idx: np.ndarray | slice) -> np.ndarray:
        out = whos[0](idx)
        for other in whos[1:]:
            out = out | other(idx)
        return out

    return who
