"""The nights of a week in one compiled loop: moves, moves on, waiting lists, places.

``HomelessnessModel._week_moves`` draws in numpy who leaves within the week, on which
night, and who enters. What follows, night by night, is here: the moves that touch no
scarce place made at once (with the moves on they lead to), then each night's moves,
the applicants who join a waiting list, the free places given out by the lists'
priority rules, the refused who overflow, and the moves on of those who moved. It is
the rule of the numpy version in the model (``_quiet``, ``_night``, ``_move_on`` and
``sim.places.Allocator``), step for step and draw for draw, so both give the same
numbers to the last bit; a test runs both on the shipped scenarios. The staircase's
steps are a rule here too (``_steps``, the rule of ``Staircase.filter_moves``).

The random streams are numpy Generators passed in: numba draws from their bit
generators, so the streams advance exactly as the numpy calls would. A policy's
priority group and reserve on a list are read once, at the start of the week's moves
(``WeekRules.front`` and ``may_reserve``): nothing a policy reads for them changes
during the moves. Other policies that change drawn moves (``filter_moves``) take the
numpy version.

Results come back as one chunk per log for the week (``WeekLogs``) and the moves in
the order they were made, cut where each move call ended, for the policies to follow.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.citizens import NO_WEEK
from sim.compiled import njit
from sim.kernels import apply_moves, draw_everyone, draw_rows, night_offsets
from sim.places import PLACE_SITUATION
from sim.situations import DAYS_PER_WEEK, HOMELESS_MASK, HOUSED_MASK, LEFT, N_SIT, Situation
from sim.streams import NIGHTS, PLACES

OWN, ALTERNATIVE, ROUGH = int(Situation.OWN), int(Situation.ALTERNATIVE), int(Situation.ROUGH)
SHELTER, STARTER = int(Situation.SHELTER), int(Situation.STARTER)
#: Priority rules by code, as ``sim.places.order_waiting`` names them.
PRIORITY_CODES = {"first_come": 0, "longest_homeless": 1, "highest_needs": 2, "youngest_first": 3}


class WeekArrays(NamedTuple):
    """The citizens' arrays the week reads and changes (``CitizenArrays`` fields)."""

    situation: np.ndarray
    needs: np.ndarray
    band: np.ndarray
    rehoused: np.ndarray
    effect: np.ndarray
    kind: np.ndarray
    code: np.ndarray
    since: np.ndarray
    since_night: np.ndarray
    queue: np.ndarray
    queue_since: np.ndarray
    spell_start: np.ndarray
    spells: np.ndarray
    housed_since: np.ndarray
    housed_team: np.ndarray
    team: np.ndarray
    year_seen: np.ndarray
    year_any: np.ndarray
    birth: np.ndarray


class WeekTallies(NamedTuple):
    """The model's counts and this week's rows of the recorder, changed in place."""

    occupancy: np.ndarray  # people in each situation now
    cells: np.ndarray  # people by situation, needs and age band (flat)
    nights: np.ndarray  # this week's nights by cell (flat)
    flows: np.ndarray  # moves into state ``next_week``, from x to
    entries: np.ndarray  # entries into state ``next_week``, by situation
    users: np.ndarray  # distinct users by year and situation
    homeless_any: np.ndarray  # distinct homeless by year
    applied: np.ndarray  # new applicants to each list in week ``next_week``
    refused: np.ndarray  # applicants refused a place on their first night
    peak: np.ndarray  # highest occupancy of each limited place on any night


class WeekRules(NamedTuple):
    """The lists' rules and the move tables for the week."""

    queue_of_situation: np.ndarray  # list a move into each situation joins (-1: none)
    assigned_limited: bool  # homes are assigned at a rate (a list for own homes)
    capacity: np.ndarray  # places per list (inf: unlimited); assigned: homes a week
    place_situation: np.ndarray  # situation of each limited place
    priority: np.ndarray  # rule code of each list (``PRIORITY_CODES``)
    over_n: np.ndarray  # destinations of each list's overflow (0: the refused wait)
    over_dest: np.ndarray  # those destinations, padded
    over_cum: np.ndarray  # their cumulative shares, padded
    self_found_share: float  # moves to an own home that need no assigned home
    has_front: np.ndarray  # a policy puts some first on this list
    front: np.ndarray  # who goes first, by list and citizen
    reserve: np.ndarray  # places kept on each list for some (-1: none)
    may_reserve: np.ndarray  # who may use them, by list and citizen
    homeless_mask: np.ndarray
    housed_mask: np.ndarray
    leave: np.ndarray  # move tables (``transitions.MoveTables``)
    rows: np.ndarray
    p_house: np.ndarray
    p_loss: np.ndarray
    to_housed: np.ndarray
    to_homeless: np.ndarray
    special: np.ndarray  # citizens with scaled chances this week, sorted
    m_house: np.ndarray  # their multipliers (empty: none)
    m_loss: np.ndarray
    n_kinds: int
    n_bands: int
    has_teams: bool
    staircase: bool  # the staircase's steps apply to drawn moves
    service_system: np.ndarray  # situations where they apply
    readiness: np.ndarray  # weeks in starter housing before a home, by needs


class WeekLogs(NamedTuple):
    """What the week logged, as int64 blocks with one row per column of the log.

    ``stays``, ``spells``, ``episodes``: chunks of the recorder's logs (columns as
    ``outcomes.Recorder`` names them); ``housed``: the newly housed; ``moves``: the
    moves in the order made (citizen, old situation, destination).
    """

    stays: np.ndarray
    spells: np.ndarray
    episodes: np.ndarray
    housed: np.ndarray
    moves: np.ndarray


@njit(cache=True, nogil=True)
def _steps(pos, dest, q, movers, situation, since, needs, week, service_system, readiness):
    """``Staircase.filter_moves`` on drawn moves (``pos`` in ``movers``, ``dest``, ``q``).

    A move that skips a step goes to the next step; a move out of starter housing before
    the readiness period is cancelled, as is a move that no longer moves.
    """
    keep = np.ones(pos.size, np.bool_)
    for j in range(pos.size):
        i = movers[pos[j]]
        origin = situation[i]
        d = dest[j]
        if service_system[origin] and (d == OWN or d == ALTERNATIVE):  # noqa: SIM109
            if origin == SHELTER:
                d = STARTER
            elif origin == STARTER:
                keep[j] = week - since[i] >= readiness[needs[i]]
            else:
                d = SHELTER
        dest[j] = d
        keep[j] = keep[j] and d != origin
    return pos[keep], dest[keep], q[keep]


@njit(cache=True, nogil=True, error_model="numpy")
def draw_week(
    streams, moves, order, code, situation, special, m_house, m_loss, leave_t, rows_t,
    p_house_t, p_loss_t, to_housed, to_homeless, steps, since, needs, week, service_system,
    readiness,
):  # fmt: skip
    """The week's first draws for everyone, as ``HomelessnessModel._week_moves`` makes them.

    One uniform per citizen from the moves stream decides who leaves within the week and
    where to (``draw_everyone``), then one uniform per mover from the nights stream gives the
    night of the move (``night_offsets``); ``streams`` is the model's
    ``compiled_streams``, ``moves``/``order`` the words and order of its moves stream's
    ``sim.pcg.LiveState``. With ``steps`` the staircase's steps apply to the drawn
    moves first (``_steps``; ``week`` is the week lived). Returns (movers,
    destinations, offsets 1-7).
    """
    nights = streams[NIGHTS]
    movers, dest, q = draw_everyone(
        moves, order, code, situation, special, m_house, m_loss, leave_t, rows_t, p_house_t,
        p_loss_t, to_housed, to_homeless,
    )  # fmt: skip
    if steps:
        pos, dest, q = _steps(
            np.arange(movers.size), dest, q, movers, situation, since, needs, week,
            service_system, readiness,
        )  # fmt: skip
        movers = movers[pos]
    v = np.empty(movers.size, np.float64)
    for j in range(movers.size):
        v[j] = nights.random()
    return movers, dest, night_offsets(q, np.zeros(1, np.int64), v)


@njit(cache=True, nogil=True, error_model="numpy")
def _moves_on(
    rng, moved, offset, code, situation, special, m_house, m_loss, leave, rows, p_house, p_loss,
    to_housed, to_homeless, steps, since, needs, week, service_system, readiness,
):  # fmt: skip
    """Moves on before the week ends of ``moved`` (who moved on ``offset``, each).

    ``HomelessnessModel._moves_on``: drawn from the new rows within the nights left,
    each move's night from the truncated geometric. Returns (citizens, offsets drawn
    on, destinations, offsets).
    """
    order = np.argsort(moved)
    moved = moved[order]
    offset = offset[order]
    u = np.empty(moved.size)
    for j in range(moved.size):
        u[j] = rng.random()
    left = DAYS_PER_WEEK - offset.astype(np.int64)
    pos, dest, q = draw_rows(
        moved, u, left, code, situation, special, m_house, m_loss, leave, rows, p_house,
        p_loss, to_housed, to_homeless,
    )  # fmt: skip
    if steps:
        pos, dest, q = _steps(
            pos, dest, q, moved, situation, since, needs, week, service_system, readiness
        )
    movers = moved[pos]
    start = offset[pos]
    v = np.empty(movers.size)
    for j in range(movers.size):
        v[j] = rng.random()
    return movers, start, dest, night_offsets(q, start.astype(np.int64), v)


@njit(cache=True, nogil=True)
def _sorted_unique(idx):
    """Sorted distinct values of ``idx``."""
    s = np.sort(idx)
    keep = np.ones(s.size, np.bool_)
    for j in range(1, s.size):
        keep[j] = s[j] != s[j - 1]
    return s[keep]


@njit(cache=True, nogil=True)
def _key(columns):
    """``sim.places._combined_key``: one int64 that sorts like the rows in order."""
    key = np.zeros(columns.shape[1], np.int64)
    for c in range(columns.shape[0]):
        col = columns[c]
        lo = min(0, col.min())
        key = key * (max(0, col.max()) - lo + 1) + (col - lo)
    return key


@njit(cache=True, nogil=True)
def _order(idx, week, rule, first, queue_since, spell_start, needs, birth):
    """``sim.places.order_waiting``: all of ``idx`` in the priority order ``rule``.

    ``first``: who goes first (empty: nobody). The first ``limit`` of this order are
    what ``order_waiting`` gives with a limit: the keys are distinct.
    """
    n = idx.size
    since = queue_since[idx].astype(np.int64)
    if rule == 0 and first.size == 0:
        key = (since - min(0, since.min())) * (max(0, idx.max()) + 1) + idx
        return idx[np.argsort(key)]
    f = 1 if first.size else 0
    columns = np.zeros((3 + f, n), np.int64)
    for j in range(n):
        i = idx[j]
        if f:
            columns[0, j] = 0 if first[i] else 1
        if rule == 1:
            s = np.int64(spell_start[i])
            columns[f, j] = week + 1 if s == NO_WEEK else s
        elif rule == 2:
            columns[f, j] = -np.int64(needs[i])
        elif rule == 3:
            columns[f, j] = -np.int64(birth[i])
        columns[f + 1, j] = since[j]
        columns[f + 2, j] = i
    return idx[np.argsort(_key(columns))]


@njit(cache=True, nogil=True)
def _chosen(idx, free, open_all, may, ordered):
    """``Allocator._chosen`` with a reserve: who of ``ordered`` gets the ``free`` places.

    ``open_all`` places are open to all, the rest only to those ``may`` allows.
    """
    keep = np.zeros(ordered.size, np.bool_)
    n_allowed = n_others = 0
    for j in range(ordered.size):
        if may[ordered[j]]:
            if n_allowed < free:
                n_allowed += 1
                keep[j] = True
        elif n_others < open_all:
            n_others += 1
            keep[j] = True
    return ordered[keep][:free]


@njit(cache=True, nogil=True)
def _allocate(
    occupancy, week, waiting, homes, queue, queue_since, situation, spell_start, needs, birth,
    capacity, place_situation, priority, has_front, front, reserve, may,
):  # fmt: skip
    """``Allocator.allocate``: free places to those waiting, list by list.

    ``occupancy`` as it will be after the night's other moves; ``homes``: assigned
    homes on offer tonight. A place vacated by someone admitted from an earlier list is
    free for a later list the same night. Returns the citizens admitted and their places.
    """
    n_lists = capacity.size
    assigned = n_lists - 1
    on_list = queue[waiting]
    listed = np.bincount(on_list, minlength=n_lists)
    vacated = np.zeros(N_SIT, np.int64)
    admitted = np.empty(waiting.size, np.intp)
    places = np.empty(waiting.size, np.int8)
    nobody = np.zeros(0, np.bool_)
    n = 0
    for k in range(n_lists):
        if listed[k] == 0:
            continue
        cap = capacity[k]
        if k == assigned:
            free, target, occ = homes, OWN, 0
        else:
            target = place_situation[k]
            occ = occupancy[target] - vacated[target]
            free = np.inf if np.isinf(cap) else float(int(cap) - occ)
        if free <= 0:
            continue
        idx = waiting[on_list == k]
        if not np.isinf(free) and (free < idx.size or reserve[k] >= 0):
            first = front[k] if has_front[k] else nobody
            ordered = _order(idx, week, priority[k], first, queue_since, spell_start, needs, birth)
            if reserve[k] < 0:
                idx = ordered[: int(free)]
            else:
                whole = int(cap) if k != assigned else 0
                open_all = max(0, whole - reserve[k] - occ)
                idx = _chosen(idx, int(free), open_all, may[k], ordered)
        for i in idx:
            vacated[situation[i]] += 1
            admitted[n] = i
            places[n] = target
            n += 1
    return admitted[:n], places[:n]


@njit(cache=True, nogil=True)
def _overflow(rng, fresh, queue, situation, over_n, over_dest, over_cum):
    """``HomelessnessModel._overflow``: where applicants refused tonight sleep.

    ``fresh``: tonight's applicants still on a list, sorted. Entrants refused a place
    sleep rough unless the place names an overflow; both stay on the list. Returns the
    moves.
    """
    idx = np.empty(fresh.size, np.intp)
    dest = np.empty(fresh.size, np.int8)
    n = 0
    listed = np.bincount(queue[fresh], minlength=over_n.size) if fresh.size else over_n * 0
    for k in range(over_n.size):
        if listed[k] == 0:
            continue
        m = over_n[k]
        for i in fresh:
            if queue[i] != k:
                continue
            if m > 0:  # searchsorted(cum, u, side="right")
                u = rng.random()
                c = 0
                while c < m - 1 and not over_cum[k, c] > u:
                    c += 1
                d = over_dest[k, c]
            elif situation[i] == LEFT:
                d = ROUGH
            else:
                continue
            if d != situation[i]:
                idx[n] = i
                dest[n] = d
                n += 1
    return idx[:n], dest[:n]


@njit(cache=True, nogil=True)
def _homes_tonight(capacity, state):
    """``Allocator.homes_tonight``: whole assigned homes on offer (fractions carry over)."""
    rate = capacity[capacity.size - 1]
    if np.isinf(rate):
        return np.inf
    state[0] += rate / DAYS_PER_WEEK
    homes = np.floor(state[0] + 1e-9)  # seven sevenths make one home
    state[0] -= homes
    return homes


@njit(inline="always")
def _needs_place(queue_of_situation, assigned_limited, homeless_mask, assigned, origin, dest):
    """List a move from ``origin`` to ``dest`` joins (-1: none), before self-finding."""
    if assigned_limited and dest == OWN and homeless_mask[origin]:
        return assigned
    return queue_of_situation[dest]


@njit(cache=True, nogil=True, error_model="numpy")
def live_week(  # noqa: C901 - the week's loop: quiet rounds and nights, one move point
    a, t, r, streams, movers, dest, offsets, queued, joined, state, week, next_week, weeks,
    bound,
):  # fmt: skip
    """Live the nights of week ``week`` from its drawn moves (``_week_moves``'s loop).

    ``a``, ``t``, ``r``: ``WeekArrays``, ``WeekTallies``, ``WeekRules``; ``streams``:
    the model's compiled streams (``sim.streams.compiled_streams``: nights, places);
    ``movers``/``dest``/``offsets``: the week's drawn moves and entrants with their
    nights; ``queued``: on a list at the last tally; ``joined``: joined a list since;
    ``state``: the assigned homes' credit (changed in place); ``bound``: rows for the
    week's moves, 8 for each citizen who may move (a citizen moves at most once a night
    and draws at most once more than it moves). Returns (on a list now, ``WeekLogs``).

    The loop alternates two kinds of batch and makes each with one call of
    ``apply_moves``: a round of quiet moves (they touch no scarce place and are made at
    once, on their nights; the others wait for their night as events), and a night's
    moves with the lists' admissions. Either is followed by the moves on it draws.
    """
    nights_rng, places_rng = streams[NIGHTS], streams[PLACES]
    situation, queue, queue_since = a.situation, a.queue, a.queue_since
    q_sit, homeless_mask = r.queue_of_situation, r.homeless_mask
    assigned = r.capacity.size - 1
    share = r.self_found_share
    # the week's logs and events, filled up to their counters
    st = np.empty((4, bound), np.int64)
    sp = np.empty((4, bound), np.int64)
    ep = np.empty((5, bound), np.int64)
    mv = np.empty((3, bound), np.int64)
    housed = np.empty(bound, np.intp)
    ev = np.empty((4, bound), np.int64)  # offset, citizen, destination, offset drawn on
    joiners = np.empty(bound, np.intp)
    n_st = n_sp = n_ep = n_mv = n_h = n_ev = 0
    n_joined = joined.size
    joiners[:n_joined] = joined
    moved_at = np.zeros(situation.size, np.int8)
    idx, to, off, drawn = movers, dest, offsets, np.zeros(movers.size, np.int8)
    night = 0
    while True:
        if idx.size:  # a round of quiet moves
            quiet = np.empty(idx.size, np.bool_)
            for j in range(idx.size):
                i, o = idx[j], situation[idx[j]]
                quiet[j] = (
                    q_sit[o] < 0
                    and _needs_place(q_sit, r.assigned_limited, homeless_mask, assigned, o, to[j])
                    < 0
                    and queue[i] < 0
                )
                if not quiet[j]:
                    ev[0, n_ev], ev[1, n_ev], ev[2, n_ev], ev[3, n_ev] = off[j], i, to[j], drawn[j]
                    n_ev += 1
            idx, to, off = idx[quiet], to[quiet], off[quiet]
            if idx.size == 0:
                continue
            batch, batch_to = idx, to
            batch_night = week * DAYS_PER_WEEK + off.astype(np.int64)
            keep_queue = False
        else:  # the next night
            night += 1
            if night > DAYS_PER_WEEK:
                break
            offset = np.int8(night)
            valid = np.zeros(n_ev, np.bool_)
            for k in range(n_ev):
                valid[k] = ev[0, k] == offset and moved_at[ev[1, k]] <= ev[3, k]
            tonight = ev[1, :n_ev][valid].astype(np.intp)
            tonight_to = ev[2, :n_ev][valid].astype(np.int8)
            if tonight.size == 0 and night > 1:
                waits = r.assigned_limited and (n_joined > 0 or np.any(queue[queued] == assigned))
                if not waits:
                    continue
            # who needs a scarce place joins its list (an own home: unless self-found)
            direct = np.empty(tonight.size, np.bool_)
            for j in range(tonight.size):
                i = tonight[j]
                q = _needs_place(
                    q_sit, r.assigned_limited, homeless_mask, assigned, situation[i], tonight_to[j]
                )
                if q == assigned and (
                    share >= 1.0 or (share > 0.0 and places_rng.random() < share)
                ):
                    q = -1
                direct[j] = q < 0
                if q >= 0 and queue[i] != q:
                    queue[i] = q
                    queue_since[i] = next_week
                    joiners[n_joined] = i
                    n_joined += 1
            tonight, tonight_to = tonight[direct], tonight_to[direct]
            homes = _homes_tonight(r.capacity, state)
            queue[tonight] = -1
            fresh = _sorted_unique(joiners[:n_joined])
            cand = _sorted_unique(np.concatenate((queued, fresh))) if n_joined else queued
            waiting = cand[queue[cand] >= 0]
            admitted = np.empty(0, np.intp)
            places = np.empty(0, np.int8)
            if waiting.size:
                occupancy = t.occupancy.copy()
                for j in range(tonight.size):
                    occupancy[tonight_to[j]] += 1
                    occupancy[situation[tonight[j]]] -= 1
                admitted, places = _allocate(
                    occupancy, next_week, waiting, homes, queue, queue_since, situation,
                    a.spell_start, a.needs, a.birth, r.capacity, r.place_situation, r.priority,
                    r.has_front, r.front, r.reserve, r.may_reserve,
                )  # fmt: skip
            for i in fresh:  # tonight's applicants, counted before the admissions
                if queue[i] >= 0:
                    t.applied[queue[i]] += 1
            queue[admitted] = -1
            fresh = fresh[queue[fresh] >= 0]  # refused tonight
            for i in fresh:
                t.refused[queue[i]] += 1
            refused, beds = _overflow(
                places_rng, fresh, queue, situation, r.over_n, r.over_dest, r.over_cum
            )
            batch = np.concatenate((tonight, admitted, refused))
            batch_to = np.concatenate((tonight_to, places, beds))
            batch_night = np.full(batch.size, week * DAYS_PER_WEEK + night, np.int64)
            keep_queue = True
            n_joined = 0
            queued = waiting[queue[waiting] >= 0]
        if batch.size:
            old, stays, spells, episodes, new_homes = apply_moves(
                batch, batch_to, batch_night, next_week, week, weeks, keep_queue, situation,
                a.needs, a.band, a.rehoused, a.effect, a.kind, a.code, a.since, a.since_night,
                queue, a.spell_start, a.spells, a.housed_since, a.housed_team, a.team,
                r.has_teams, a.year_seen, a.year_any, t.occupancy, t.cells, t.nights, t.flows,
                t.entries, t.users, t.homeless_any, homeless_mask, r.housed_mask, r.n_kinds,
                r.n_bands,
            )  # fmt: skip
            n = stays[0].size
            st[0, n_st : n_st + n] = stays[0]
            st[1, n_st : n_st + n] = stays[1]
            st[2, n_st : n_st + n] = stays[2]
            st[3, n_st : n_st + n] = stays[3]
            n_st += n
            n = spells[0].size
            sp[0, n_sp : n_sp + n] = spells[0]
            sp[1, n_sp : n_sp + n] = spells[1]
            sp[2, n_sp : n_sp + n] = spells[2]
            sp[3, n_sp : n_sp + n] = spells[3]
            n_sp += n
            n = episodes[0].size
            ep[0, n_ep : n_ep + n] = episodes[0]
            ep[1, n_ep : n_ep + n] = episodes[1]
            ep[2, n_ep : n_ep + n] = episodes[2]
            ep[3, n_ep : n_ep + n] = episodes[3]
            ep[4, n_ep : n_ep + n] = episodes[4]
            n_ep += n
            housed[n_h : n_h + new_homes.size] = new_homes
            n_h += new_homes.size
            n = batch.size
            mv[0, n_mv : n_mv + n] = batch
            mv[1, n_mv : n_mv + n] = old
            mv[2, n_mv : n_mv + n] = batch_to
            n_mv += n
        if keep_queue:  # after a night
            moved_at[batch] = np.int8(night)
            if night < DAYS_PER_WEEK:
                for k in range(r.place_situation.size):
                    t.peak[k] = max(t.peak[k], t.occupancy[r.place_situation[k]])
                batch = batch[situation[batch] != LEFT]
            else:
                batch = batch[:0]
            start = np.full(batch.size, night, np.int8)
        else:  # after a round of quiet moves
            moved_at[batch] = off
            on = (off < DAYS_PER_WEEK) & (situation[batch] != LEFT)
            batch, start = batch[on], off[on]
        idx, drawn, to, off = batch[:0], start[:0], batch_to[:0], start[:0]
        if batch.size or not keep_queue:
            idx, drawn, to, off = _moves_on(
                nights_rng, batch, start, a.code, situation, r.special, r.m_house, r.m_loss,
                r.leave, r.rows, r.p_house, r.p_loss, r.to_housed, r.to_homeless, r.staircase,
                a.since, a.needs, week, r.service_system, r.readiness,
            )  # fmt: skip
    logs = (  # blocks, one row per column: each array handed back costs a microsecond
        st[:, :n_st].copy(),
        sp[:, :n_sp].copy(),
        ep[:, :n_ep].copy(),
        housed[:n_h].copy(),
        mv[:, :n_mv].copy(),
    )
    return queued, logs


def week_arrays(a) -> WeekArrays:
    """The citizens' arrays (``CitizenArrays``) as the compiled week takes them."""
    return WeekArrays(*(getattr(a, name) for name in WeekArrays._fields))


def week_rules(model, special: tuple) -> WeekRules:
    """The lists' rules, the move tables and this week's scaled chances of ``model``.

    ``special``: (citizens, housing multipliers or None, loss multipliers or None), as
    ``HomelessnessModel._modified`` gives them. A policy's priority group and reserve
    are read for everyone now, at the start of the week's moves.
    """
    alloc, tables = model.allocator, model.tables
    rules = alloc.rules
    n_lists = rules.capacity.size
    n = model.citizens.n
    everyone = slice(None)  # the policies' rules read every citizen's arrays as they are
    has_front = np.zeros(n_lists, dtype=np.bool_)
    front = np.zeros((n_lists, n if alloc.front else 1), dtype=np.bool_)
    for k, who in alloc.front.items():
        has_front[k] = True
        front[k] = who(everyone)
    reserve = np.full(n_lists, -1, dtype=np.int64)
    may = np.zeros((n_lists, n if alloc.reserved else 1), dtype=np.bool_)
    for k, (kept, who) in alloc.reserved.items():
        reserve[k] = kept
        may[k] = who(everyone)
    static = getattr(rules, "_compiled", None)
    if static is None:  # once per parameter phase
        priority = np.array([PRIORITY_CODES[p] for p in rules.priority], dtype=np.int64)
        static = rules._compiled = (priority, *_overflow_table(rules.overflow))
    priority, over_n, over_dest, over_cum = static
    idx, m_house, m_loss = special
    none = np.zeros(0)
    return WeekRules(
        rules.queue_of_situation,
        rules.assigned_limited,
        rules.capacity,
        PLACE_SITUATION,
        priority,
        over_n,
        over_dest,
        over_cum,
        float(rules.self_found_share),
        has_front,
        front,
        reserve,
        may,
        HOMELESS_MASK,
        HOUSED_MASK,
        tables.leave,
        tables.rows,
        tables.p_house,
        tables.p_loss,
        tables.to_housed,
        tables.to_homeless,
        idx,
        none if m_house is None else m_house,
        none if m_loss is None else m_loss,
        int(tables.kinds.n_kinds),
        int(tables.kinds.n_bands),
        model.policies.teams is not None,
        *staircase_rule(model.policies.staircase),
    )


#: The staircase's rule when there is none (read, never written, by the compiled loops).
NO_STAIRCASE = (False, np.zeros(N_SIT, dtype=np.bool_), np.zeros(3, dtype=np.int64))


def staircase_rule(staircase) -> tuple[bool, np.ndarray, np.ndarray]:
    """The staircase's rule as ``WeekRules`` and ``draw_week`` take it (off without one)."""
    if staircase is None:
        return NO_STAIRCASE
    return (True, *staircase.steps())


def _overflow_table(overflow: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each list's overflow (destinations and cumulative shares) as padded arrays."""
    width = max([1] + [o[0].size for o in overflow if o is not None])
    n = np.zeros(len(overflow), dtype=np.int64)
    dest = np.zeros((len(overflow), width), dtype=np.int8)
    cum = np.ones((len(overflow), width))
    for k, o in enumerate(overflow):
        if o is not None:
            n[k] = o[0].size
            dest[k, : o[0].size] = o[0]
            cum[k, : o[0].size] = o[1]
    return n, dest, cum
