"""Kinds of users and return bands, as the arrays the move tables and the model use.

A citizen's kind (``CitizenArrays.kind``) is drawn once, when they enter or are placed
in week 0, from shares by needs group and age band. The kind does not cost the weekly
kernel anything: each kind has its own rows in the move tables (``transitions.row_code``),
like the bands of the first months after rehousing (``CitizenArrays.rehoused``: 0 when
the ordinary risk holds, ``b`` in the ``b``-th band).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.kinds_schema import kind_names
from sim.scenario.schema import Scenario
from sim.situations import AGE_BANDS, HOMELESS_MASK, LEFT, N_AGE, N_NEEDS, N_SIT, NEEDS, SITUATIONS

WEEKS_PER_MONTH = 52 / 12


@dataclass
class KindTables:
    """One parameter phase's kinds and return bands.

    ``cum_shares[g, a]`` are the cumulative shares of the kinds for needs group ``g`` and
    age band ``a`` (``cum_homeless``: the same for those homeless in week 0);
    ``exit``/``tilt`` are (kinds, situations) multipliers, ``returns`` (kinds,)
    multipliers on losing a home; ``band_weeks`` the band edges in weeks after
    moving in and ``band_mult`` (kinds, bands) the multipliers on losing a home there.
    """

    names: tuple[str, ...]
    cum_shares: np.ndarray
    cum_homeless: np.ndarray
    exit: np.ndarray
    tilt: np.ndarray
    returns: np.ndarray
    band_weeks: np.ndarray
    band_mult: np.ndarray

    @property
    def n_kinds(self) -> int:
        """The number of kinds."""
        return len(self.names)

    @property
    def n_bands(self) -> int:
        """Row blocks of the return risk: the ordinary one and one per band."""
        return self.band_weeks.size + 1

    def neutral(self, k: int) -> bool:
        """True when kind ``k`` leaves the base rows as they are."""
        return bool(
            (self.exit[k] == 1).all() and (self.tilt[k] == 1).all() and self.returns[k] == 1
        )

    @classmethod
    def build(cls, sc: Scenario) -> KindTables:
        """The tables of the scenario's kinds section."""
        names = kind_names(sc.kinds)
        K = len(names)
        cum = _cumulative(sc.kinds.shares, names)
        cum_homeless = (
            _cumulative(sc.kinds.homeless_shares, names) if sc.kinds.homeless_shares else cum
        )
        exit_ = np.ones((K, N_SIT))
        tilt = np.ones((K, N_SIT))
        for k, name in enumerate(names):
            _fill(exit_[k], sc.kinds.exit.get(name, 1.0), HOMELESS_MASK)
            for sit, m in sc.kinds.tilt.get(name, {}).items():
                tilt[k, SITUATIONS.index(sit)] = m
        returns = np.array([float(sc.kinds.returns.get(n, 1.0)) for n in names])
        if sc.returns.months:
            weeks = np.array([round(m * WEEKS_PER_MONTH) for m in sc.returns.months])
            mult = np.array(
                [sc.returns.multiplier.get(n, sc.returns.multiplier["default"]) for n in names],
                dtype=float,
            )
        else:  # the one band of ``rehousing``
            weeks = np.array([sc.rehousing.weeks])
            mult = np.full((K, 1), float(sc.rehousing.multiplier))
        return cls(names, cum, cum_homeless, exit_, tilt, returns, weeks.astype(np.int64), mult)

    def draw(
        self,
        rng: np.random.Generator,
        needs: np.ndarray,
        band: np.ndarray,
        homeless: np.ndarray | None = None,
    ) -> np.ndarray:
        """Kinds of new citizens (one uniform each; no draw at all with one kind).

        ``homeless`` marks those homeless in week 0, who follow ``homeless_shares``.
        """
        if self.n_kinds == 1:
            return np.zeros(needs.size, dtype=np.int8)
        g, a = needs.astype(np.intp), band.astype(np.intp)
        cum = self.cum_shares[g, a]
        if homeless is not None and self.cum_homeless is not self.cum_shares:
            cum[homeless] = self.cum_homeless[g[homeless], a[homeless]]
        u = rng.random(needs.size)
        return np.minimum((cum <= u[:, None]).sum(axis=1), self.n_kinds - 1).astype(np.int8)

    def kind_rows(
        self, base: np.ndarray, k: int, sits: np.ndarray, to_homeless: np.ndarray
    ) -> np.ndarray:
        """The base rows (situation x needs, destinations) of kind ``k``.

        Exits from homeless situations scale by ``exit``; destinations are tilted with
        the chance of leaving kept; losing a home scales by ``returns``. Death and moving
        away (the ``left`` column) are never scaled. A row above 1 is scaled back.
        """
        if self.neutral(k):
            return base
        rows = base.copy()
        living = rows[:, :LEFT]
        living *= self.exit[k][sits][:, None]
        before = living.sum(axis=1)
        living *= self.tilt[k][:LEFT]
        after = living.sum(axis=1)
        ok = after > 0
        living[ok] *= (before[ok] / after[ok])[:, None]
        rows[to_homeless[sits]] *= self.returns[k]
        total = rows.sum(axis=1)
        over = total > 1.0
        rows[over] /= total[over, None]
        return rows


def _cumulative(shares: dict, names: tuple[str, ...]) -> np.ndarray:
    """Cumulative shares of the kinds by needs group and age band.

    The mix of ``<needs>/<band>``, else of ``<needs>``, else ``default``.
    """
    cum = np.ones((N_NEEDS, N_AGE, len(names)))
    if not shares:
        return cum
    for g, needs in enumerate(NEEDS):
        for a, band in enumerate(AGE_BANDS):
            mix = shares.get(f"{needs}/{band}") or shares.get(needs) or shares["default"]
            p = np.array([mix[k] for k in names], dtype=float)
            cum[g, a] = np.cumsum(p) / p.sum()
    return cum


def _fill(row: np.ndarray, value, mask: np.ndarray) -> None:
    """Set a kind's multipliers.

    One number for every situation in ``mask``, or a mapping of situation names.
    """
    if isinstance(value, dict):
        for sit, m in value.items():
            row[SITUATIONS.index(sit)] = m
    else:
        row[mask] = float(value)


def kind_outputs(
    stays, kind: np.ndarray, names: tuple[str, ...], weeks: int, situation: int
) -> dict[str, float]:
    """Each kind's share of the users of one situation and of its nights, over the horizon.

    ``stays``: the stay log's frame; ``kind``: every citizen's kind.

    Keys ``<situation>_users_share_<kind>`` and ``<situation>_nights_share_<kind>``;
    nights outside the horizon (before night 0, after ``7 * weeks``) do not count.
    """
    name = SITUATIONS[situation]
    here = stays[stays["situation"] == situation]
    nights = (here["end"].clip(upper=7 * weeks) - here["start"].clip(lower=0)).clip(lower=0)
    who = here["citizen"].to_numpy()
    inside = nights.to_numpy() > 0
    users = np.unique(who[inside])
    by_users = np.bincount(kind[users], minlength=len(names)).astype(float)
    by_nights = np.bincount(kind[who], weights=nights.to_numpy(), minlength=len(names))
    out = {}
    for k, kname in enumerate(names):
        out[f"{name}_users_share_{kname}"] = (
            float(by_users[k] / by_users.sum()) if users.size else float("nan")
        )
        out[f"{name}_nights_share_{kname}"] = (
            float(by_nights[k] / by_nights.sum()) if by_nights.sum() else float("nan")
        )
    return out
