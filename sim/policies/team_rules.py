"""A team's rules as lookup tables, and the effect states of support.

Teams are numbered in the order of the scenario's ``policies.teams`` (the classic
cti, icm, act and floating first, then the scenario's own). A dated change may add
teams, after those already there, so a team keeps its number for the whole run; the
run's teams are those of its last parameter phase (:func:`team_names`).

``TeamRules`` holds one team's parameters; ``TeamTables`` every team's as arrays
indexed by team, for work on many citizens at once. Each (team, phase of support) is
an effect state with its own rows in the move tables (``effect_state``), whose
multipliers ``effect_multipliers`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.policy_schema import MAX_PHASES, Team
from sim.scenario.schema import Scenario
from sim.situations import AGE_BANDS, NEEDS, SITUATIONS

NEVER = 2**31 - 1  # a week that never comes


def team_names(phases: tuple[tuple[int, Scenario], ...]) -> tuple[str, ...]:
    """Return the run's teams in number order: those of its last parameter phase.

    Each phase's teams are the first of them, as dated changes only add teams at the end.
    """
    return tuple(phases[-1][1].policies.teams)


def n_effects(n_teams: int) -> int:
    """Effect states of ``n_teams`` teams: 0 (no support) and one per team and phase."""
    return 1 + n_teams * MAX_PHASES


def effect_state(team: int | np.ndarray, phase: int | np.ndarray) -> np.ndarray:
    """Effect state of support by team ``team`` in phase ``phase``."""
    return np.asarray(1 + np.asarray(team) * MAX_PHASES + phase, dtype=np.int8)


def effect_multipliers(teams: dict[str, Team]) -> tuple[np.ndarray, np.ndarray]:
    """``m_house`` and ``m_loss`` of every effect state (state 0: 1.0), for the tables."""
    m_house, m_loss = np.ones(n_effects(len(teams))), np.ones(n_effects(len(teams)))
    for k, team in enumerate(teams.values()):
        rule = TeamRules.build(team, 1.0)
        states = effect_state(k, np.arange(rule.m_house.size))
        m_house[states], m_loss[states] = rule.m_house, rule.m_loss
    return m_house, m_loss


@dataclass
class TeamRules:
    """One team's parameters as lookup tables."""

    enabled: bool
    places: float
    needs: np.ndarray  # bool by needs code
    ages: np.ndarray  # bool by age band
    situations: np.ndarray  # bool by situation code
    referral: float
    on_housing: bool
    priority: str
    duration: int | None
    end_per_week: float
    phase_ends: np.ndarray  # cumulative weeks at which each phase ends
    m_house: np.ndarray  # per phase (one entry when no phases)
    m_loss: np.ndarray

    @classmethod
    def build(cls, team: Team, scale: float) -> TeamRules:
        """Build a team's rules; its places are staff x caseload x ``scale``, rounded."""
        needs = np.array([n in team.needs for n in NEEDS])
        ages = np.array([a in team.ages for a in AGE_BANDS])
        sits = np.array([s in team.situations for s in SITUATIONS])
        if team.phases:
            weeks = [p.weeks for p in team.phases]
            mh = [float(p.m_house) for p in team.phases]
            ml = [float(p.m_loss) for p in team.phases]
        else:
            weeks, mh, ml = [10**9], [team.m_house], [team.m_loss]
        return cls(
            team.enabled,
            round(team.staff * team.caseload * scale),
            needs,
            ages,
            sits,
            team.referral_per_week,
            team.on_housing,
            team.priority,
            team.duration_weeks,
            team.end_per_week,
            np.cumsum(weeks),
            np.array(mh),
            np.array(ml),
        )


@dataclass
class TeamTables:
    """Every team's rules as arrays indexed by team, for work on many citizens at once."""

    refer: np.ndarray  # (team, cell): eligible at referral from a situation
    housing: np.ndarray  # (team, needs x age band): eligible at housing
    next_at: np.ndarray  # (team, phase): weeks since admission the next phase begins (-1)
    enabled: np.ndarray  # (team,)
    duration: np.ndarray  # (team,) fixed length of support (0: open-ended)
    chance: np.ndarray  # (team,) weekly chance that open-ended support ends
    refer_any: np.ndarray  # (situation,): some team refers from it

    @classmethod
    def build(cls, rules: list[TeamRules]) -> TeamTables:
        """Stack every team's rules into arrays indexed by team."""
        n = len(rules)
        refer = np.zeros((n, len(SITUATIONS), len(NEEDS), len(AGE_BANDS)), bool)
        housing = np.zeros((n, len(NEEDS), len(AGE_BANDS)), bool)
        next_at = np.full((n, MAX_PHASES), -1, dtype=np.int64)
        for k, rule in enumerate(rules):
            ends = rule.phase_ends.size
            next_at[k, : ends - 1] = rule.phase_ends[: ends - 1]
            if rule.enabled:
                who = np.outer(rule.needs, rule.ages)
                refer[k] = rule.situations[:, None, None] & who
                housing[k] = who & rule.on_housing
        return cls(
            refer.reshape(n, -1),
            housing.reshape(n, -1),
            next_at,
            np.array([x.enabled for x in rules]),
            np.array([x.duration or 0 for x in rules]),
            np.array([x.end_per_week for x in rules]),
            refer.any(axis=(0, 2, 3)),
        )
