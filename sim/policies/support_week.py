"""The support teams' week in compiled loops: ends, phases, referrals and admissions.

``SupportTeams.before_moves`` (ends of support and phases due this week, referrals
to the teams' lists, admissions to free places) and ``on_move`` (members change
cells, those who left lose their list, those housed from homelessness are referred at
housing) in numba, for the compiled week (``model.compiled_week``). They are the rules
of the numpy methods in ``sim.policies.support`` step for step and draw for draw, so
both give the same numbers to the last bit; ``tests/test_week_loop.py`` runs both.

Two things differ in how they are found, not in what they give:

- the members due this week are those whose ``team_due`` is this week, found by a pass
  over the citizens (the numpy version keeps a calendar of the weeks);
- a team's list is the citizens whose ``team_wait`` is the team, in the order of the
  week they joined and then their index (the numpy version keeps one sorted chunk per
  week, ``sim.policies.team_lists``), which is the same order.

A pass over every citizen costs about a nanosecond a citizen, less than the numpy
version's calls at the sizes teams run at.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.citizens import NO_WEEK
from sim.compiled import njit
from sim.policies.team_rules import NEVER
from sim.scenario.policy_schema import MAX_PHASES
from sim.situations import HOMELESS_MASK, HOUSED_MASK, LEFT, N_AGE, N_NEEDS, N_SIT
from sim.streams import SUPPORT
from sim.week_loop import PRIORITY_CODES, _order


class SupportArrays(NamedTuple):
    """The citizens' arrays the support week reads and changes (``CitizenArrays`` fields)."""

    team: np.ndarray
    team_since: np.ndarray
    team_wait: np.ndarray
    team_wait_since: np.ndarray
    team_until: np.ndarray
    phase_next: np.ndarray
    team_due: np.ndarray
    effect: np.ndarray
    code: np.ndarray
    rehoused: np.ndarray
    situation: np.ndarray
    needs: np.ndarray
    kind: np.ndarray
    band: np.ndarray
    spell_start: np.ndarray
    birth: np.ndarray


class SupportCounts(NamedTuple):
    """The teams' counts, changed in place."""

    in_support: np.ndarray  # members by team
    waiting: np.ndarray  # citizens on each team's list
    cells: np.ndarray  # members by (team, situation, needs), flat


class SupportRules(NamedTuple):
    """Every team's rules as arrays by team (``TeamTables`` and ``TeamRules``)."""

    enabled: np.ndarray  # (team,) bool
    places: np.ndarray  # (team,) int64
    referral: np.ndarray  # (team,) weekly chance of referral
    priority: np.ndarray  # (team,) rule code of the list (``PRIORITY_CODES``)
    refer: np.ndarray  # (team, situation x needs x age band) bool
    refer_any: np.ndarray  # (situation,) some team refers from it
    housing: np.ndarray  # (team, needs x age band) bool: referred at housing
    next_at: np.ndarray  # (team, phase) weeks since admission the next phase begins (-1)
    duration: np.ndarray  # (team,) fixed length (0: open-ended)
    chance: np.ndarray  # (team,) weekly chance that open-ended support ends
    youth_first: bool  # the young go first on every list
    n_kinds: int  # for the row codes (``transitions.row_code``)
    n_bands: int


def support_rules(teams) -> SupportRules:
    """The rules of ``teams`` (a ``SupportTeams``) as the compiled loops take them.

    Built again only when the rules change (a dated change gives new rules).
    """
    cached = getattr(teams, "_compiled_rules", None)
    if cached is not None and cached[0] is teams.rules:
        return cached[1]
    t = teams._tables()
    kinds = teams.model.tables.kinds
    rules = SupportRules(
        t.enabled.astype(np.bool_),
        np.array([int(r.places) for r in teams.rules], dtype=np.int64),
        np.array([float(r.referral) for r in teams.rules], dtype=np.float64),
        np.array([PRIORITY_CODES[r.priority] for r in teams.rules], dtype=np.int64),
        t.refer.astype(np.bool_),
        t.refer_any.astype(np.bool_),
        t.housing.astype(np.bool_),
        t.next_at.astype(np.int64),
        t.duration.astype(np.int64),
        t.chance.astype(np.float64),
        bool(teams.youth_first),
        int(kinds.n_kinds),
        int(kinds.n_bands),
    )
    teams._compiled_rules = (teams.rules, rules)
    return rules


def support_arrays(a) -> SupportArrays:
    """The citizens' arrays (``CitizenArrays``) as the compiled loops take them."""
    return SupportArrays(*(getattr(a, name) for name in SupportArrays._fields))


# ---------------------------------------------------------------- small steps


@njit(cache=True, nogil=True)
def _recode(arr, rules, i):
    """``HomelessnessModel.recode`` of citizen ``i`` (``transitions.row_code``)."""
    block = np.int64(arr.effect[i]) * rules.n_bands + arr.rehoused[i]
    row = (block * rules.n_kinds + arr.kind[i]) * N_SIT + arr.situation[i]
    arr.code[i] = row * N_NEEDS + arr.needs[i]


@njit(cache=True, nogil=True)
def _cell(team, situation, needs):
    """Index of (team, situation, needs) in the flat member counts."""
    return (np.int64(team) * N_SIT + situation) * N_NEEDS + needs


@njit(cache=True, nogil=True)
def _set_phase(arr, rules, i, team, phase, since):
    """``SupportTeams._set_phase`` of citizen ``i``."""
    next_at = rules.next_at[team, phase]
    arr.phase_next[i] = NEVER if next_at < 0 else since + 1 + next_at
    arr.effect[i] = 1 + team * MAX_PHASES + phase
    _recode(arr, rules, i)


@njit(cache=True, nogil=True)
def _refresh_due(arr, i):
    """``SupportTeams._refresh_due`` of citizen ``i`` (no calendar: a pass finds them)."""
    arr.team_due[i] = min(arr.team_until[i], arr.phase_next[i])


@njit(cache=True, nogil=True)
def _join(arr, counts, team, i, week):
    """``TeamLists.join`` of citizen ``i``: on team ``team``'s list, if on none."""
    if arr.team_wait[i] < 0:
        arr.team_wait[i] = team
        arr.team_wait_since[i] = week
        counts.waiting[team] += 1


@njit(cache=True, nogil=True)
def _leave(arr, counts, i):
    """``TeamLists.leave`` of citizen ``i`` (on a list)."""
    counts.waiting[arr.team_wait[i]] -= 1
    arr.team_wait[i] = -1


# ---------------------------------------------------------------- before the moves


@njit(cache=True, nogil=True)
def _due(arr, counts, rules, week):
    """``SupportTeams._due``: end support due this week, move others to their next phase.

    Returns the ended citizens with their team and week of admission, for the log.
    """
    due = np.empty(arr.team_due.size, np.int64)  # only the part due is touched
    m = 0
    for i in range(arr.team_due.size):
        due[m] = i
        m += arr.team_due[i] == week
    ended = np.empty(m, np.int64)
    team_of = np.empty(m, np.int8)
    since_of = np.empty(m, np.int32)
    e = 0
    for j in range(m):
        i = due[j]
        if arr.team_until[i] <= week:
            team = arr.team[i]
            ended[e], team_of[e], since_of[e] = i, team, arr.team_since[i]
            e += 1
            counts.in_support[team] -= 1
            counts.cells[_cell(team, arr.situation[i], arr.needs[i])] -= 1
            arr.team[i] = -1
            arr.team_since[i] = NO_WEEK
            arr.team_until[i] = NEVER
            arr.phase_next[i] = NEVER
            arr.team_due[i] = NEVER
            arr.effect[i] = 0
            _recode(arr, rules, i)
    for j in range(m):
        i = due[j]
        if arr.phase_next[i] == week:
            team = np.int64(arr.team[i])
            phase = np.int64(arr.effect[i]) - (1 + team * MAX_PHASES) + 1
            _set_phase(arr, rules, i, team, phase, np.int64(arr.team_since[i]))
            _refresh_due(arr, i)
    return ended[:e], team_of[:e], since_of[:e]


@njit(cache=True, nogil=True)
def _pool(arr, rules):
    """Citizens who may be referred: in no team, on no list, where some team refers.

    As ``SupportTeams._refer``: the homeless now (``spell_start`` set) when teams refer
    only from homeless situations, else those in a situation some team refers from.
    Returns them (by index) and their cells (situation, needs, age band).
    """
    homeless_only = True
    for s in range(N_SIT):
        if rules.refer_any[s] and not HOMELESS_MASK[s]:
            homeless_only = False
    n = arr.team.size
    pool = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        if homeless_only:
            inside = arr.spell_start[i] != NO_WEEK
        else:
            inside = rules.refer_any[arr.situation[i]]
        if inside and arr.team[i] < 0 and arr.team_wait[i] < 0:
            pool[m] = i
            m += 1
    pool = pool[:m]
    cell = np.empty(m, np.int64)
    for j in range(m):
        i = pool[j]
        cell[j] = (np.int64(arr.situation[i]) * N_NEEDS + arr.needs[i]) * N_AGE + arr.band[i]
    return pool, cell


@njit(cache=True, nogil=True)
def _refer(arr, counts, rules, rng, week):
    """``SupportTeams._refer``: eligible citizens join a team's list with its chance.

    Teams in order; a citizen referred to one team this week is not drawn for the next.
    """
    if not rules.refer_any.any():
        return
    pool, cell = _pool(arr, rules)
    open_ = np.ones(pool.size, np.bool_)
    for k in range(rules.enabled.size):
        p = rules.referral[k]
        if not rules.enabled[k] or p <= 0:
            continue
        for j in range(pool.size):
            if open_[j] and rules.refer[k, cell[j]] and rng.random() < p:
                open_[j] = False
                _join(arr, counts, k, pool[j], week)


@njit(cache=True, nogil=True)
def _listed(arr, counts):
    """Every team's list in one pass over the citizens: (ids by team, team starts).

    Team ``k``'s citizens are ``ids[start[k]:start[k + 1]]``, in index order (as
    ``np.flatnonzero(team_wait == k)`` gives them).
    """
    n_teams = counts.waiting.size
    start = np.zeros(n_teams + 1, np.int64)
    for i in range(arr.team_wait.size):
        start[arr.team_wait[i] + 1] += 1  # the lists' sizes (-1, on none, counts in 0)
    start[0] = 0
    for k in range(n_teams):
        start[k + 1] += start[k]
    ids = np.empty(start[n_teams], np.int64)
    fill = start[:n_teams].copy()
    for i in range(arr.team_wait.size):
        k = arr.team_wait[i]
        if k >= 0:
            ids[fill[k]] = i
            fill[k] += 1
    return ids, start


@njit(cache=True, nogil=True)
def _list_of(arr, idx):
    """A team's list (its citizens ``idx``) by week joined, then index (joining order).

    The first-come order of ``_order`` (``sim.week_loop``) on the team's waiting times.
    """
    if idx.size == 0:
        return idx
    none = np.zeros(0, np.bool_)
    return _order(idx, 0, 0, none, arr.team_wait_since, arr.spell_start, arr.needs, arr.birth)


@njit(cache=True, nogil=True)
def _taken(arr, counts, rules, week, k, free, listed):
    """Who of team ``k``'s list (``listed``: its citizens) get its ``free`` places.

    ``SupportTeams._admit``'s choice.
    """
    wait = _list_of(arr, listed)
    youth = rules.youth_first
    if free >= wait.size and not youth:
        return wait
    rule = rules.priority[k]
    if rule == 0 and not youth:
        return wait[:free]
    if youth:
        first = np.zeros(arr.team.size, np.bool_)
        for i in wait:
            first[i] = arr.band[i] < 2
    else:
        first = np.zeros(0, np.bool_)
    ordered = _order(
        wait, week, rule, first, arr.team_wait_since, arr.spell_start, arr.needs, arr.birth
    )
    return ordered[: min(free, ordered.size)]


@njit(cache=True, nogil=True)
def _admit(arr, counts, rules, rng, week):
    """``SupportTeams._admit`` and ``_start``: free places go to those waiting.

    Each admitted citizen leaves the list, begins the first phase, and draws when
    the support ends (teams in order, then the list's order).
    """
    n_teams = rules.enabled.size
    frees = np.zeros(n_teams, np.int64)
    for k in range(n_teams):
        if rules.enabled[k]:
            frees[k] = rules.places[k] - counts.in_support[k]
    if frees.max() <= 0:
        return
    after = week + 1
    # the lists as they are now: admissions to a team take only from its own list
    ids, start = _listed(arr, counts)
    for k in range(n_teams):
        if frees[k] <= 0 or counts.waiting[k] == 0:
            continue
        for i in _taken(arr, counts, rules, week, k, frees[k], ids[start[k] : start[k + 1]]):
            team = np.int64(arr.team_wait[i])
            _leave(arr, counts, i)
            arr.team[i] = team
            arr.team_since[i] = week
            _set_phase(arr, rules, i, team, 0, np.int64(week))
            duration, chance = rules.duration[team], rules.chance[team]
            if duration > 0:
                until = max(np.int64(week) + duration, after)
            elif chance > 0:
                until = min(after - 1 + rng.geometric(chance), NEVER)
            else:
                until = np.int64(NEVER)
            arr.team_until[i] = after if not rules.enabled[team] else until
            _refresh_due(arr, i)
            counts.in_support[team] += 1
            counts.cells[_cell(team, arr.situation[i], arr.needs[i])] += 1


@njit(cache=True, nogil=True)
def before_moves(arr, counts, rules, streams, week):
    """``SupportTeams.before_moves`` of week ``week``: ends and phases, referrals, admissions.

    ``streams``: the model's compiled streams (``sim.streams.compiled_streams``), of which
    the support stream. Returns the support spells that ended (citizens, teams, weeks
    of admission).
    """
    rng = streams[SUPPORT]
    ended = _due(arr, counts, rules, week)
    _refer(arr, counts, rules, rng, week)
    _admit(arr, counts, rules, rng, week)
    return ended


# ---------------------------------------------------------------- the moves


@njit(cache=True, nogil=True)
def follow_moves(arr, counts, rules, idx, old, dest, week, floating):
    """``SupportTeams.on_move`` for the week's moves ``idx``/``old``/``dest`` in order.

    Members change cells; those who left lose their list now and their support next
    week (``week + 1``); those housed from homelessness, in no team and on no list,
    join the first team that refers at housing and takes them, else team
    ``floating``'s list (-1: none). A citizen may move more than once: each move is
    followed in its turn.
    """
    n_teams = rules.enabled.size
    for j in range(idx.size):
        i, o, d = idx[j], old[j], dest[j]
        team = arr.team[i]
        if team >= 0:
            counts.cells[_cell(team, o, arr.needs[i])] -= 1
            counts.cells[_cell(team, d, arr.needs[i])] += 1
        if d == LEFT:
            if arr.team_wait[i] >= 0:
                _leave(arr, counts, i)
            if team >= 0:
                arr.team_until[i] = min(arr.team_until[i], week + 1)
                _refresh_due(arr, i)
        elif HOMELESS_MASK[o] and HOUSED_MASK[d] and team < 0 and arr.team_wait[i] < 0:
            who = np.int64(arr.needs[i]) * N_AGE + arr.band[i]
            for k in range(n_teams):
                if rules.housing[k, who]:
                    _join(arr, counts, k, i, week)
                    break
            if floating >= 0:
                _join(arr, counts, floating, i, week)  # (none if listed above)
