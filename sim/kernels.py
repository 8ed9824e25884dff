"""Compiled loops of the weekly step: the bookkeeping of a night's moves.

A week is lived night by night, and each night's moves change a dozen tallies (counts,
flows, nights per cell, spells, housing episodes, stays, the year's users). Written as
numpy calls, that is some hundred small array operations per night, whose fixed cost is
far above the work at a municipality's size. Here the same rules run as one loop over
the movers, compiled with numba (cached on disk, so a process compiles it once per
machine), and give the same numbers as the array version, bit for bit: every step is
integer arithmetic on the same arrays.

The functions take the model's arrays as arguments and change them in place; what they
log comes back as arrays for :class:`sim.outcomes.EventLog`.
"""

from __future__ import annotations

import numpy as np

from sim.citizens import NO_WEEK
from sim.compiled import njit
from sim.pcg import next_double
from sim.situations import DAYS_PER_WEEK, LEFT, N_AGE, N_NEEDS, N_SIT, WEEKS_PER_YEAR


@njit(cache=True, nogil=True, error_model="numpy")
def apply_moves(  # noqa: C901 - one pass over the movers, each rule a branch
    idx,
    dest,
    night,
    next_week,
    week,
    weeks,
    keep_queue,
    a_situation,
    a_needs,
    a_band,
    a_rehoused,
    a_effect,
    a_kind,
    a_code,
    a_since,
    a_since_night,
    a_queue,
    a_spell_start,
    a_spells,
    a_housed_since,
    a_housed_team,
    a_team,
    has_teams,
    a_year_seen,
    a_year_any,
    occupancy,
    cells,
    nights_flat,
    flows_r,
    entries_r,
    users,
    homeless_any,
    homeless_mask,
    housed_mask,
    n_kinds,
    n_bands,
):
    """Move citizens ``idx`` (distinct) to ``dest`` on nights ``night`` (one each).

    ``next_week`` is the state the move counts in, ``week`` the week being lived and
    ``weeks`` the horizon. Updates, in this order and as ``HomelessnessModel.move``
    documents: entries or flows, occupancy, cells and this week's nights per cell (the
    nights from the move's night to the week's end go to the new cell); homeless spells
    begun and ended (with the team, if any, of those housed from homelessness: ``a_team``
    when ``has_teams``); housing episodes lost; the stay each inside mover ends; the
    citizen's situation, row code, week and night since, waiting list; the year's
    users. Returns (old situations, stays, spells, episodes, the newly housed), the logs
    as column arrays.
    """
    n = idx.size
    old_out = np.empty(n, np.int8)
    st_cit = np.empty(n, np.int64)
    st_sit = np.empty(n, np.int8)
    st_start = np.empty(n, np.int64)
    st_end = np.empty(n, np.int64)
    sp_start = np.empty(n, np.int32)
    sp_end = np.empty(n, np.int64)
    sp_needs = np.empty(n, np.int8)
    sp_to = np.empty(n, np.int8)
    ep_start = np.empty(n, np.int32)
    ep_end = np.empty(n, np.int64)
    ep_needs = np.empty(n, np.int8)
    ep_to = np.empty(n, np.int8)
    ep_support = np.empty(n, np.int8)
    housed = np.empty(n, np.intp)
    k_st = k_sp = k_ep = k_h = 0
    week_end = (week + 1) * DAYS_PER_WEEK
    for j in range(n):
        i = idx[j]
        old = a_situation[i]
        d = dest[j]
        nt = night[j]
        old_out[j] = old
        shift = max(week_end - nt, 0) if week < weeks else 0
        g = a_needs[i]
        new_cell = (d * N_NEEDS + g) * N_AGE + a_band[i]
        inside = old != LEFT
        occupancy[d] += 1
        cells[new_cell] += 1
        nights_flat[new_cell] += shift
        if inside:
            old_cell = (old * N_NEEDS + g) * N_AGE + a_band[i]
            flows_r[old, d] += 1
            occupancy[old] -= 1
            cells[old_cell] -= 1
            nights_flat[old_cell] -= shift
        else:
            entries_r[d] += 1
        # homeless spells and housing episodes (entrants only begin them)
        was_h = inside and homeless_mask[old]
        now_h = homeless_mask[d]
        if now_h and not was_h:
            a_spell_start[i] = next_week
            a_spells[i] += 1
        elif was_h and not now_h:
            sp_start[k_sp] = a_spell_start[i]
            sp_end[k_sp] = next_week
            sp_needs[k_sp] = g
            sp_to[k_sp] = d
            k_sp += 1
            a_spell_start[i] = NO_WEEK
            if housed_mask[d]:
                a_housed_since[i] = next_week
                a_rehoused[i] = 1
                a_housed_team[i] = a_team[i] if has_teams else -1
                housed[k_h] = i
                k_h += 1
        if inside and housed_mask[old] and not housed_mask[d] and a_housed_since[i] != NO_WEEK:
            ep_start[k_ep] = a_housed_since[i]
            ep_end[k_ep] = next_week
            ep_needs[k_ep] = g
            ep_to[k_ep] = d
            ep_support[k_ep] = a_housed_team[i]
            k_ep += 1
            a_housed_since[i] = NO_WEEK
            a_rehoused[i] = 0
        if inside:  # the stay that ends tonight, from the night it began
            st_cit[k_st] = i
            st_sit[k_st] = old
            st_start[k_st] = a_since_night[i]
            st_end[k_st] = nt
            k_st += 1
        a_situation[i] = d
        block = a_effect[i] * n_bands + a_rehoused[i]
        a_code[i] = ((block * n_kinds + a_kind[i]) * N_SIT + d) * N_NEEDS + g
        a_since[i] = next_week
        a_since_night[i] = nt
        if not keep_queue:
            a_queue[i] = -1
        r = nt // DAYS_PER_WEEK  # the year of the first night there
        if d != LEFT and r < weeks:
            y = r // WEEKS_PER_YEAR
            if a_year_seen[i, d] != y:
                a_year_seen[i, d] = y
                users[y, d] += 1
            if now_h and a_year_any[i] != y:
                a_year_any[i] = y
                homeless_any[y] += 1
    return (
        old_out,
        (st_cit[:k_st], st_sit[:k_st], st_start[:k_st], st_end[:k_st]),
        (sp_start[:k_sp], sp_end[:k_sp], sp_needs[:k_sp], sp_to[:k_sp]),
        (ep_start[:k_ep], ep_end[:k_ep], ep_needs[:k_ep], ep_to[:k_ep], ep_support[:k_ep]),
        housed[:k_h],
    )


@njit(cache=True, nogil=True, error_model="numpy")
def _row_total(row):
    """Sum of a row of chances, added in the order numpy's ``sum`` adds them.

    numpy adds up to 128 numbers pairwise: below eight one after the other, else in
    eight partial sums joined as a tree, then the tail. The total here is therefore the
    same to the last bit as ``rows.sum(axis=1)``, and so is the choice to scale a row back.
    """
    n = row.size
    if n < 8:
        total = 0.0
        for j in range(n):
            total += row[j]
        return total
    r = row[:8].copy()
    i = 8
    while i < n - (n % 8):
        for k in range(8):
            r[k] += row[i + k]
        i += 8
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        total += row[i]
        i += 1
    return total


@njit(inline="always")
def _first_above(row, x):
    """First destination whose cumulative chance (added left to right) exceeds ``x``.

    ``x`` beyond the row's total is taken just below it, so a move always lands on a
    destination with a chance (``transitions.draw_moves``'s rule).
    """
    acc = 0.0
    for t in range(row.size):
        acc += row[t]
        if acc > x:
            return t
    x = np.nextafter(acc, 0.0)
    acc = 0.0
    for t in range(row.size):
        acc += row[t]
        if acc > x:
            return t
    return row.size - 1


@njit(inline="always")
def _destination(x, c, s, sit, m_house, m_loss, rows_t, to_housed, to_homeless):
    """Destination of a move from row ``c`` (situation ``sit``) for uniform ``x`` < chance.

    A special citizen ``s`` (-1: none) has the row's moves into a home scaled by
    ``m_house[s]`` and into homelessness by ``m_loss[s]``, and scaled back if they pass 1.
    """
    if s < 0:
        return _first_above(rows_t[c], x)
    row = rows_t[c].copy()
    has_mh = m_house.size > 0
    has_ml = m_loss.size > 0
    for t in range(row.size):
        if has_mh and to_housed[sit, t]:
            row[t] *= m_house[s]
        if has_ml and to_homeless[sit, t]:
            row[t] *= m_loss[s]
    total = _row_total(row)
    if total > 1.0:
        row /= total
    return _first_above(row, x)


@njit(cache=True, nogil=True, error_model="numpy")
def draw_rows(
    idx,
    u,
    nights_left,
    code,
    situation,
    special,
    m_house,
    m_loss,
    leave_t,
    rows_t,
    p_house_t,
    p_loss_t,
    to_housed,
    to_homeless,
):
    """Who of citizens ``idx`` moves within the week (or the nights left) and where to.

    ``idx`` is sorted; ``u``: one uniform each; ``nights_left``: nights left each
    (empty: the whole week);
    ``code``/``situation``: every citizen's row code and situation; ``special``: sorted
    ids of citizens whose chances are scaled, with ``m_house``/``m_loss`` (empty: none)
    aligned with it; the rest are the move tables (``transitions.MoveTables``). The rule
    is ``transitions.draw_moves``'s. Returns (positions in ``idx`` of the movers, their
    destinations, their weekly chance of leaving).
    """
    n = idx.size
    pos = np.empty(n, np.intp)
    dest = np.empty(n, np.int8)
    leave = np.empty(n, np.float64)
    whole_week = nights_left.size == 0
    k = 0
    p = 0  # the next special citizen not below the citizen drawn (both are sorted)
    for j in range(n):
        i = idx[j]
        c = code[i]
        q = leave_t[c]
        s = -1
        if p < special.size:
            while p < special.size and special[p] < i:
                p += 1
            if p < special.size and special[p] == i:
                s = p
                q = _scaled_chance(c, s, m_house, m_loss, leave_t, p_house_t, p_loss_t)
        x = u[j]
        if whole_week:
            if not x < q:
                continue
        else:
            within = -np.expm1(np.log1p(-min(q, 1.0)) * (nights_left[j] / DAYS_PER_WEEK))
            if not x < within:
                continue
            x *= q / within  # rescaled to [0, q): the destination keeps the row's shares
        pos[k] = j
        dest[k] = _destination(
            x, c, s, situation[i], m_house, m_loss, rows_t, to_housed, to_homeless
        )
        leave[k] = q
        k += 1
    return pos[:k], dest[:k], leave[:k]


@njit(cache=True, nogil=True, error_model="numpy")
def draw_everyone(
    words, order, code, situation, special, m_house, m_loss, leave_t, rows_t, p_house_t,
    p_loss_t, to_housed, to_homeless,
):  # fmt: skip
    """``draw_rows`` for every citizen over the whole week, drawing as it goes.

    One uniform per citizen from the generator whose state is ``words``/``order``
    (``sim.pcg.LiveState``; drawn inline, the same numbers as its ``random()``), in
    index order, as ``draw_rows`` takes them (the same draws and moves, to the last
    bit), without the arrays of every citizen's uniform and index, the week's largest
    allocations, whose first touch cost more than the draws. The citizens between two
    special ones are drawn in a loop that only compares a uniform with the row's
    chance; the movers' destinations follow in a second pass. Returns (the movers,
    their destinations, their weekly chance of leaving).
    """
    n = code.size
    pos = np.empty(n, np.intp)  # only the movers' part is ever written (and touched)
    xs = np.empty(n, np.float64)
    leave = np.empty(n, np.float64)
    which = np.empty(n, np.intp)  # position in ``special``, or -1
    lo, hi = words[order[0]], words[order[1]]
    inc_lo, inc_hi = words[order[2]], words[order[3]]
    k = 0
    i = 0
    for p in range(special.size + 1):
        end = special[p] if p < special.size else n
        while i < end:  # citizens with the table's chances
            x, lo, hi = next_double(lo, hi, inc_lo, inc_hi)
            q = leave_t[code[i]]
            if x < q:
                pos[k], xs[k], leave[k], which[k] = i, x, q, -1
                k += 1
            i += 1
        if p < special.size:
            x, lo, hi = next_double(lo, hi, inc_lo, inc_hi)
            q = _scaled_chance(code[i], p, m_house, m_loss, leave_t, p_house_t, p_loss_t)
            if x < q:
                pos[k], xs[k], leave[k], which[k] = i, x, q, p
                k += 1
            i += 1
    words[order[0]], words[order[1]] = lo, hi
    dest = np.empty(k, np.int8)
    for j in range(k):
        i = pos[j]
        dest[j] = _destination(
            xs[j], code[i], which[j], situation[i], m_house, m_loss, rows_t, to_housed,
            to_homeless,
        )  # fmt: skip
    return pos[:k].copy(), dest, leave[:k].copy()


@njit(inline="always")
def _scaled_chance(c, s, m_house, m_loss, leave_t, p_house_t, p_loss_t):
    """Weekly chance of leaving of row ``c`` for special citizen ``s``, at most 1.

    The row's chance plus the change its multipliers make to the moves into a home
    (``m_house``) and into homelessness (``m_loss``); empty multipliers change nothing.
    """
    extra = 0.0
    if m_house.size > 0:
        extra += (m_house[s] - 1.0) * p_house_t[c]
    if m_loss.size > 0:
        extra += (m_loss[s] - 1.0) * p_loss_t[c]
    return min(leave_t[c] + extra, 1.0)


@njit(cache=True, nogil=True, error_model="numpy")
def night_offsets(q, start, v):
    """Offsets of moves known to happen this week: see ``nights.move_offsets``."""
    n = q.size
    out = np.empty(n, np.int8)
    for j in range(n):
        st = start[j] if start.size > 1 else start[0]
        m = DAYS_PER_WEEK - st
        log_stay = np.log1p(-min(q[j], 1.0)) / DAYS_PER_WEEK  # log(1 - h)
        within = -np.expm1(log_stay * m)  # chance of leaving in the m nights
        k = np.ceil(np.log1p(-v[j] * within) / log_stay)
        if not np.isfinite(k):  # h = 1: the first night left
            k = 1.0
        out[j] = st + min(max(k, 1.0), float(m))
    return out


@njit(inline="always")
def _duration_multiplier(weeks, half_life, floor):
    """``transitions.duration_multiplier`` of one spell of ``weeks`` weeks (a float)."""
    return floor + (1.0 - floor) * np.exp2(-weeks / half_life)


@njit(cache=True, nogil=True, error_model="numpy")
def duration_table(size, half_life, floor):
    """The duration multipliers of spells of 0 to ``size - 1`` weeks, looked up weekly."""
    table = np.empty(size, np.float64)
    for w in range(size):
        table[w] = _duration_multiplier(np.float64(w), half_life, floor)
    return table


@njit(cache=True, nogil=True, error_model="numpy")
def duration_parts(spell_start, week, table, half_life, floor):
    """Everyone homeless now and their multiplier on leaving for a home, by spell length.

    ``transitions.duration_multiplier`` of the weeks since ``spell_start``, for the
    citizens whose spell is open (``HomelessnessModel.homeless_now``), in index order:
    read from ``table`` (``duration_table``, the same numbers), computed beyond it.
    """
    n = 0
    for i in range(spell_start.size):
        n += spell_start[i] != NO_WEEK
    idx = np.empty(n, np.intp)
    mult = np.empty(n, np.float64)
    k = 0
    for i in range(spell_start.size):
        if spell_start[i] != NO_WEEK:
            idx[k] = i
            w = week - np.int64(spell_start[i])
            if 0 <= w < table.size:
                mult[k] = table[w]
            else:
                mult[k] = _duration_multiplier(np.float64(w), half_life, floor)
            k += 1
    return idx, mult


@njit(cache=True, nogil=True)
def age_up(idx, cells, situation, needs, band):
    """Citizens ``idx`` (distinct, below the last band) move up an age band.

    Each leaves its cell (situation, needs, age band) for the next band's, which is the
    next cell (``HomelessnessModel.cell_of``).
    """
    for i in idx:
        c = (np.int64(situation[i]) * N_NEEDS + needs[i]) * N_AGE + band[i]
        cells[c] -= 1
        cells[c + 1] += 1
        band[i] += 1


@njit(cache=True, nogil=True)
def reband(idx, start, next_week, band_weeks, n_kinds, a):
    """Give citizens ``idx`` still in the home they moved into in week ``start`` a new band.

    The band is that of their weeks since (``HomelessnessModel._band_of``), with its rows.

    ``a``: the citizens' ``housed_since``, ``rehoused`` and ``code`` (changed) and the
    other parts of the row code, ``effect``, ``kind``, ``situation`` and ``needs``
    (``transitions.row_code``). There are ``band_weeks.size + 1`` bands.
    """
    housed_since, rehoused, code, effect, kind, situation, needs = a
    n_bands = band_weeks.size + 1
    for j in range(idx.size):
        i = idx[j]
        if housed_since[i] != start[j]:
            continue
        band = np.searchsorted(band_weeks, next_week - np.int64(housed_since[i])) + 1
        rehoused[i] = 0 if band >= n_bands else band
        block = np.int64(effect[i]) * n_bands + rehoused[i]
        row = (block * n_kinds + kind[i]) * N_SIT + situation[i]
        code[i] = row * N_NEEDS + needs[i]
