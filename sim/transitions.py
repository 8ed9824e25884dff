"""Weekly transition matrices built from a scenario, and the move kernel.

``P[g, s, j]`` is the chance that a citizen of needs group ``g`` in situation ``s``
is in situation ``j`` next week. Death and moving away are competing risks taken
first: the row a scenario gives holds for those who stay in the system.

The kernel draws one uniform per citizen. A citizen moves when the draw falls below
the chance of leaving the current situation; the same draw, rescaled, then picks the
destination. Only the few movers have their destinations resolved. The night of each
move is drawn apart (``sim.nights``): a row's stays are geometric in nights with the
nightly hazard of its weekly chance, so with every multiplier at 1 and no limits the
model is exactly the nightly chain ``P_night`` (``nights.nightly_matrix``), whose week
of seven nights leaves each row with the chance ``P`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.kernels import draw_rows
from sim.kinds import KindTables
from sim.scenario.schema import Scenario
from sim.situations import (
    HOMELESS_MASK,
    HOUSED_MASK,
    LEFT,
    N_NEEDS,
    N_SIT,
    NEEDS,
    SITUATIONS,
    WEEKS_PER_YEAR,
)


def weekly_from_yearly(p_year: float) -> float:
    """Weekly chance equivalent to a yearly chance, assuming a constant hazard."""
    return 1.0 - (1.0 - p_year) ** (1.0 / WEEKS_PER_YEAR)


def transition_matrix(sc: Scenario) -> np.ndarray:
    """The full weekly matrix ``P`` (needs x from x to), LEFT absorbing."""
    P = np.zeros((N_NEEDS, N_SIT, N_SIT))
    move_away = weekly_from_yearly(sc.exits.move_away_per_year)
    for g, needs in enumerate(NEEDS):
        rows = sc.transitions.get(needs, {})
        for s, src in enumerate(SITUATIONS[:LEFT]):
            for dst, p in rows.get(src, {}).items():
                P[g, s, SITUATIONS.index(dst)] = p
            P[g, s, s] = max(0.0, 1.0 - P[g, s].sum())
            yearly = (
                sc.exits.death_per_year_homeless
                if HOMELESS_MASK[s]
                else sc.exits.death_per_year_housed
            )[needs]
            death = weekly_from_yearly(yearly)
            exit_p = 1.0 - (1.0 - death) * (1.0 - move_away)
            P[g, s] *= 1.0 - exit_p
            P[g, s, LEFT] += exit_p
        P[g, LEFT, LEFT] = 1.0
    return P


#: Rows per support effect state with one kind and one return band (the default).
N_BASE = 2 * N_SIT * N_NEEDS


def row_code(
    rehoused: np.ndarray,
    sit: np.ndarray,
    needs: np.ndarray,
    effect: np.ndarray | int = 0,
    kind: np.ndarray | int = 0,
    n_kinds: int = 1,
    n_bands: int = 2,
) -> np.ndarray:
    """Return the row of the move tables of each citizen state.

    The row is
    ``(((effect * n_bands + rehoused) * n_kinds + kind) * S + situation) * G + needs``.

    ``rehoused`` is the return band (0: the ordinary risk; ``b``: the ``b``-th band of
    months after moving in from homelessness, scenario keys ``returns``/``rehousing``),
    ``kind`` the citizen's kind (``sim.kinds``) and ``effect`` their support effect
    state (0: none; see ``policies.team_rules.effect_state``); each combination has its
    own rows, so none of them costs the kernel anything. With one kind and one band
    this is ``((effect * 2 + rehoused) * S + situation) * G + needs``.
    """
    block = np.asarray(effect, dtype=np.int64) * n_bands + rehoused
    return (((block * n_kinds + kind) * N_SIT + sit) * N_NEEDS + needs).astype(np.intp)


@dataclass
class MoveTables:
    """Lookup tables the kernel uses, built once per parameter phase, by row code.

    Each block of ``S * G`` rows is one (effect state, return band, kind); state ``e``
    has its multipliers
    ``m_house[e]`` and ``m_loss[e]`` applied as ``modified_rows`` would apply them.
    """

    P: np.ndarray  # (G, S, S) full matrix
    rows: np.ndarray  # (codes, S) off-diagonal rows (chance of going elsewhere)
    leave: np.ndarray  # (codes,) chance of leaving
    to_housed: np.ndarray  # (S, S) bool: from a homeless situation to a housed one
    to_homeless: np.ndarray  # (S, S) bool: from a housed situation to a homeless one
    p_house: np.ndarray  # (codes,) chance of a move that m_house scales
    p_loss: np.ndarray  # (codes,) chance of a move that m_loss scales
    kinds: KindTables  # kinds and return bands (the row blocks)

    @classmethod
    def build(
        cls,
        sc: Scenario,
        m_house: np.ndarray | None = None,
        m_loss: np.ndarray | None = None,
        kinds: KindTables | None = None,
    ) -> MoveTables:
        """Tables of a parameter phase.

        ``m_house``/``m_loss`` give the multipliers of each support effect state
        (default: the one state "no support"). Rows come in blocks by effect state, then
        return band, then kind (``row_code``).
        """
        P = transition_matrix(sc)
        Q = P.copy()
        for s in range(N_SIT):
            Q[:, s, s] = 0.0
        base = Q.transpose(1, 0, 2).reshape(N_SIT * N_NEEDS, N_SIT)  # row s * G + g
        to_housed = np.outer(HOMELESS_MASK, HOUSED_MASK)
        to_homeless = np.outer(HOUSED_MASK, HOMELESS_MASK)
        sit_of_row = np.repeat(np.arange(N_SIT), N_NEEDS)
        kinds = KindTables.build(sc) if kinds is None else kinds
        by_kind = [kinds.kind_rows(base, k, sit_of_row, to_homeless) for k in range(kinds.n_kinds)]
        blocks = [*by_kind]
        scaled = to_homeless[sit_of_row]
        for b in range(1, kinds.n_bands):
            for k, rows in enumerate(by_kind):
                banded = rows.copy()
                banded[scaled] *= kinds.band_mult[k, b - 1]
                total = banded.sum(axis=1)
                banded[total > 1] /= total[total > 1, None]
                blocks.append(banded)
        plain = np.vstack(blocks)
        sits = np.tile(sit_of_row, len(blocks))
        m_house = np.ones(1) if m_house is None else m_house
        m_loss = np.ones(1) if m_loss is None else m_loss
        rows = np.vstack(
            [
                _with_effect(plain, sits, to_housed, to_homeless, mh, ml)
                for mh, ml in zip(m_house, m_loss, strict=True)
            ]
        )
        sits = np.tile(sits, m_house.size)
        # the bound is the last cumulative sum, so the kernel's destination search
        # and this bound agree to the last bit
        leave = np.cumsum(rows, axis=1)[:, -1].copy()
        p_house = (rows * to_housed[sits]).sum(axis=1)
        p_loss = (rows * to_homeless[sits]).sum(axis=1)
        return cls(P, rows, leave, to_housed, to_homeless, p_house, p_loss, kinds)


def _with_effect(
    rows: np.ndarray,
    sits: np.ndarray,
    to_housed: np.ndarray,
    to_homeless: np.ndarray,
    m_house: float,
    m_loss: float,
) -> np.ndarray:
    """Rows with one effect state's multipliers (a neutral state keeps them bit for bit)."""
    rows = rows.copy()
    if m_house == 1.0 and m_loss == 1.0:
        return rows
    rows[to_housed[sits]] *= m_house
    rows[to_homeless[sits]] *= m_loss
    total = rows.sum(axis=1)
    over = total > 1.0
    rows[over] /= total[over, None]
    return rows


def duration_multiplier(weeks_homeless: np.ndarray, half_life: float, floor: float) -> np.ndarray:
    """Multiplier on the chance of leaving homelessness for a home, by spell length."""
    return floor + (1.0 - floor) * np.exp2(-weeks_homeless / half_life)


def modified_rows(
    tables: MoveTables,
    code: np.ndarray,
    sit: np.ndarray,
    m_house: np.ndarray | None,
    m_loss: np.ndarray | None,
) -> np.ndarray:
    """Off-diagonal rows for some citizens, with their personal multipliers applied.

    ``m_house`` scales moves from homelessness into housing; ``m_loss`` scales moves
    from housing into homelessness. A row whose total would exceed 1 is scaled back.
    """
    rows = tables.rows[code]
    if m_house is not None:
        mask = tables.to_housed[sit]
        rows[mask] *= np.broadcast_to(m_house[:, None], rows.shape)[mask]
    if m_loss is not None:
        mask = tables.to_homeless[sit]
        rows[mask] *= np.broadcast_to(m_loss[:, None], rows.shape)[mask]
    total = rows.sum(axis=1)
    over = total > 1.0
    if over.any():
        rows[over] /= total[over, None]
    return rows


def draw_moves(
    tables: MoveTables,
    idx: np.ndarray,
    code: np.ndarray,
    sit: np.ndarray,
    u: np.ndarray,
    special: np.ndarray,
    m_house: np.ndarray | None,
    m_loss: np.ndarray | None,
    nights_left: np.ndarray | int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who of citizens ``idx`` moves this week (or in the nights left of it) and where to.

    ``code`` and ``sit`` are every citizen's row code (``row_code``) and situation;
    ``u`` one uniform per citizen drawn. ``special`` lists (sorted) the citizens whose
    chances are modified (by duration or support), with their multipliers ``m_house``
    and ``m_loss`` (aligned with ``special``); everyone else follows the table. The
    chance of leaving of a special citizen is the table's plus the scaled parts, so full
    rows are built only for the few who move.

    With ``nights_left`` (1 to 7 per citizen) the chance of moving is that of leaving
    within those nights, ``1 - (1 - q)^(nights/7)`` (``sim.nights``), and the
    destination keeps the row's shares. Returns (positions in ``idx`` of the movers,
    their destinations, their weekly chance of leaving ``q``), the last for drawing the
    night of the move. The loop is compiled (``sim.kernels.draw_rows``).
    """
    nl = np.zeros(0, dtype=np.int64)
    if nights_left is not None:
        nl = per_citizen(nights_left, idx.size)
    none = np.zeros(0)
    return draw_rows(
        idx,
        u,
        nl,
        code,
        sit,
        special,
        none if m_house is None else m_house,
        none if m_loss is None else m_loss,
        tables.leave,
        tables.rows,
        tables.p_house,
        tables.p_loss,
        tables.to_housed,
        tables.to_homeless,
    )


def per_citizen(values: np.ndarray | int, n: int, dtype: type = np.int64) -> np.ndarray:
    """``values`` as an array of ``n`` of ``dtype`` (one for all or one each)."""
    if np.ndim(values) == 0:
        return np.full(n, values, dtype=dtype)
    values = np.asarray(values)
    return values if values.dtype == dtype else values.astype(dtype)
