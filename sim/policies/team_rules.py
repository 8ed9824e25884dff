"""A team's rules as lookup tables, and the effect states of support.

``TeamRules`` holds one team's parameters; ``TeamTables`` every team's as arrays
indexed by team, for work on many citizens at once. Each (team, phase of support) is
an effect state with its own rows in the move tables (``effect_state``), whose
multipliers ``effect_multipliers`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.policy_schema import MAX_PHASES, TEAM_NAMES, Team, Teams
from sim.situations import AGE_BANDS, NEEDS, SITUATIONS

N_TEAMS = len(TEAM_NAMES)
NEVER = 2**31 - 1  # a week that never comes
#: Effect states: 0 (no support) and one per team and phase.
N_EFFECTS = 1 + N_TEAMS * MAX_PHASES


def effect_state(team: int | np.ndarray, phase: int | np.ndarray) -> np.ndarray:
    """Effect state of support by team ``team`` in phase ``phase``."""
    return np.asarray(1 + np.asarray(team) * MAX_PHASES + phase, dtype=np.int8)


def effect_multipliers(teams: Teams) -> tuple[np.ndarray, np.ndarray]:
    """``m_house`` and ``m_loss`` of every effect state (state 0: 1.0), for the tables."""
    m_house, m_loss = np.ones(N_EFFECTS), np.ones(N_EFFECTS)
    for k, name in enumerate(TEAM_NAMES):
        rule = TeamRules.build(getattr(teams, name), 1.0)
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
        needs = np.array([n in team.needs for n in NEEDS])
        ages = np.array([a in team.ages for a in AGE_BANDS])
        sits = np.array([s in team.situations for s in SITUATIONS])
        if team.phases:
            weeks = [int(p.get("weeks", 13)) for p in team.phases]
            mh = [float(p.get("m_house", 1.0)) for p in team.phases]
            ml = [float(p.get("m_loss", 1.0)) for p in team.phases]
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

    @classmethod
    def build(cls, rules: list[TeamRules]) -> TeamTables:
        refer = np.zeros((N_TEAMS, len(SITUATIONS), len(NEEDS), len(AGE_BANDS)), bool)
        housing = np.zeros((N_TEAMS, len(NEEDS), len(AGE_BANDS)), bool)
        next_at = np.full((N_TEAMS, MAX_PHASES), -1, dtype=np.int64)
        for k, rule in enumerate(rules):
            n = rule.phase_ends.size
            next_at[k, : n - 1] = rule.phase_ends[: n - 1]
            if rule.enabled:
                who = np.outer(rule.needs, rule.ages)
                refer[k] = rule.situations[:, None, None] & who
                housing[k] = who & rule.on_housing
        return cls(
            refer.reshape(N_TEAMS, -1),
            housing.reshape(N_TEAMS, -1),
            next_at,
            np.array([x.enabled for x in rules]),
            np.array([x.duration or 0 for x in rules]),
            np.array([x.end_per_week for x in rules]),
        )
