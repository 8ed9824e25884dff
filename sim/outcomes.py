"""What a run counts: weekly tables at model level, and the outcomes derived from them.

State index ``r`` is the situation during week ``r`` (0-based); week ``r``'s moves
produce state ``r + 1``. A horizon of ``W`` weeks covers states ``0 .. W-1``, and
state ``W`` is the snapshot after the last week. Year ``y`` holds weeks
``52y .. 52y+51``. Everything here is tallied with ``np.bincount`` over arrays, never
with per-agent reporters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.places import PLACE_SITUATION, QUEUE_NAMES
from sim.situations import (
    AGE_BANDS,
    DAYS_PER_WEEK,
    HOMELESS_MASK,
    HOUSED_MASK,
    LEFT,
    N_AGE,
    N_NEEDS,
    N_SIT,
    NEEDS,
    SITUATIONS,
    WEEKS_PER_YEAR,
    Situation,
)

#: Column types of the logs: homeless spells, housing episodes (weeks) and stays (nights).
SPELL_TYPES = (np.int32, np.int64, np.int8, np.int8)
EPISODE_TYPES = (np.int32, np.int64, np.int8, np.int8, np.int8)
STAY_TYPES = (np.int64, np.int8, np.int64, np.int64)


@dataclass
class EventLog:
    """Columns appended in chunks (only the few citizens an event touches each week).

    ``dtypes``: each column's type. Chunks come as one array per column (``add``) or as
    an int64 block with one row per column (``add_block``, the compiled week's way, which
    spares it handing back an array per column); blocks are joined and given their
    columns' types once ``BLOCKS`` of them wait, so they are never held wide for long.
    """

    columns: tuple[str, ...]
    dtypes: tuple[type, ...]
    _chunks: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    _blocks: list[np.ndarray] = field(default_factory=list)

    #: Blocks joined at a time (a year of weeks).
    BLOCKS = 52

    def add(self, *cols: np.ndarray) -> None:
        """Append one chunk of rows, one array per column (an empty chunk is skipped)."""
        if len(cols[0]):
            self._join_blocks()
            self._chunks.append(tuple(np.asarray(c) for c in cols))

    def add_block(self, block: np.ndarray) -> None:
        """Append one chunk given as a 2-d array, one row per column (empty: skipped)."""
        if block.shape[1]:
            self._blocks.append(block)
            if len(self._blocks) >= self.BLOCKS:
                self._join_blocks()

    def _join_blocks(self) -> None:
        """Turn the waiting blocks into one chunk of columns of their types."""
        if self._blocks:
            joined = np.concatenate(self._blocks, axis=1)
            self._blocks = []
            self._chunks.append(tuple(joined[i].astype(t) for i, t in enumerate(self.dtypes)))

    def frame(self) -> pd.DataFrame:
        """Return the log as a table, one column per name in ``columns``."""
        self._join_blocks()
        return pd.DataFrame(
            {
                c: np.concatenate([ch[i] for ch in self._chunks] or [np.zeros(0, t)]).astype(t)
                for i, (c, t) in enumerate(zip(self.columns, self.dtypes, strict=True))
            }
        )


class Recorder:
    """Weekly tallies of one run."""

    def __init__(self, weeks: int, n_queues: int):
        self.weeks = weeks
        self.years = -(-weeks // WEEKS_PER_YEAR)
        self.counts = np.zeros((weeks + 1, N_SIT, N_NEEDS, N_AGE), dtype=np.int32)
        self.flows = np.zeros((weeks + 1, N_SIT, N_SIT), dtype=np.int32)  # into state r
        self.entries = np.zeros((weeks + 1, N_SIT), dtype=np.int32)
        self.queues = np.zeros((weeks + 1, n_queues), dtype=np.int32)
        # capacity of each waiting list's place in state r (inf: unlimited)
        self.capacity = np.full((weeks + 1, n_queues), np.inf)
        # new applicants to each waiting list in week r, and those refused that week
        self.applied = np.zeros((weeks + 1, n_queues), dtype=np.int32)
        self.refused = np.zeros((weeks + 1, n_queues), dtype=np.int32)
        self.users = np.zeros((self.years + 1, N_SIT), dtype=np.int32)  # distinct, per year
        self.homeless_any = np.zeros(self.years + 1, dtype=np.int32)
        # completed homeless spells: length in weeks, needs group, where they ended
        self.spells = EventLog(("start", "end", "needs", "to"), SPELL_TYPES)
        # housing episodes begun from homelessness: start, end, needs, where they ended
        self.episodes = EventLog(("start", "end", "needs", "to", "support"), EPISODE_TYPES)
        # completed stays of a citizen in one situation (``left`` excluded), in nights
        # from night 0: ``end`` is the first night no longer there (open stays are added
        # at the horizon with ``end = 7 * weeks``, right-censored)
        self.stays = EventLog(("citizen", "situation", "start", "end"), STAY_TYPES)
        # nights spent in each cell (situation x needs x age band) during week r
        self.nights = np.zeros((weeks + 1, N_SIT, N_NEEDS, N_AGE), dtype=np.int32)
        # highest occupancy of each limited place on any night of week r (7r .. 7r + 6)
        self.peak = np.zeros((weeks + 1, len(PLACE_SITUATION)), dtype=np.int32)

    def add_flows(self, r: int, origin: np.ndarray, dest: np.ndarray) -> None:
        """Count moves from ``origin`` to ``dest`` situations into state ``r``."""
        self.flows[r] += np.bincount(
            origin.astype(np.intp) * N_SIT + dest, minlength=N_SIT * N_SIT
        ).reshape(N_SIT, N_SIT)

    def add_entries(self, r: int, dest: np.ndarray) -> None:
        """Count entrants into state ``r``, by the situation ``dest`` they enter."""
        self.entries[r] += np.bincount(dest, minlength=N_SIT)

    def mark_year(self, arrays, idx: np.ndarray, r: int) -> None:
        """Count citizens ``idx`` as seen in their situation (and homeless) in r's year."""
        if r >= self.weeks or idx.size == 0:
            return
        y = r // WEEKS_PER_YEAR
        sit = arrays.situation[idx].astype(np.intp)
        seen = arrays.year_seen
        new = seen[idx, sit] != y
        seen[idx[new], sit[new]] = y
        self.users[y] += np.bincount(sit[new], minlength=N_SIT).astype(np.int32)
        hl = HOMELESS_MASK[sit] & (arrays.year_any[idx] != y)
        arrays.year_any[idx[hl]] = y
        self.homeless_any[y] += int(hl.sum())

    def record_state(
        self,
        r: int,
        cells: np.ndarray,
        queue_lengths: np.ndarray,
        capacity: np.ndarray | None = None,
    ) -> None:
        """Tally state ``r``.

        Counts by situation x needs x age band, waiting lists, and the capacity of each
        list's place.
        """
        self.counts[r] = cells.reshape(N_SIT, N_NEEDS, N_AGE)
        self.queues[r] = queue_lengths
        if capacity is not None:
            self.capacity[r] = capacity


# ---------------------------------------------------------------- derived outcomes


def situation_totals(rec: Recorder) -> np.ndarray:
    """Return counts by week and situation, (weeks + 1, S).

    Who was where on each week's first night.
    """
    return rec.counts.sum(axis=(2, 3))


def situation_nights(rec: Recorder) -> np.ndarray:
    """Nights spent in each situation during each week, (weeks + 1, S)."""
    return rec.nights.sum(axis=(2, 3), dtype=np.int64)


def weekly_table(rec: Recorder, start_year: int, detail: bool = True) -> pd.DataFrame:
    """Tidy weekly counts: week, year, situation[, needs, age_band], count.

    With ``detail`` the table is by situation x needs x age band; without, by situation.
    The ``left`` situation (cumulative exits) is left out.
    """
    W = rec.weeks
    weeks = np.arange(W + 1)
    if detail:
        arr = rec.counts[:, :LEFT]
        w, s, g, a = np.meshgrid(
            weeks, np.arange(LEFT), np.arange(N_NEEDS), np.arange(N_AGE), indexing="ij"
        )
        df = pd.DataFrame(
            {
                "week": w.ravel().astype(np.int32),
                "situation": pd.Categorical.from_codes(s.ravel(), SITUATIONS[:LEFT]),
                "needs": pd.Categorical.from_codes(g.ravel(), NEEDS),
                "age_band": pd.Categorical.from_codes(a.ravel(), AGE_BANDS),
                "count": arr.ravel(),
            }
        )
    else:
        arr = situation_totals(rec)[:, :LEFT]
        w, s = np.meshgrid(weeks, np.arange(LEFT), indexing="ij")
        df = pd.DataFrame(
            {
                "week": w.ravel().astype(np.int32),
                "situation": pd.Categorical.from_codes(s.ravel(), SITUATIONS[:LEFT]),
                "count": arr.ravel(),
            }
        )
    df.insert(1, "year", (start_year + df["week"] // WEEKS_PER_YEAR).astype(np.int32))
    return df


def retention(episodes: pd.DataFrame, weeks: int, months: int) -> tuple[float, int]:
    """Share of housing episodes (begun from homelessness) still housed ``months`` later.

    Only episodes begun at least that long before the end count. Episodes that end by
    death or moving away before then are left out (censored), as evaluations do.
    Returns (share, number of episodes in the denominator).
    """
    span = round(months * WEEKS_PER_YEAR / 12)
    ep = episodes[episodes["start"] + span <= weeks]
    length = ep["end"] - ep["start"]
    censored = (ep["to"] == LEFT) & (length < span)
    ep, length = ep[~censored], length[~censored]
    if len(ep) == 0:
        return float("nan"), 0
    return float((length >= span).mean()), len(ep)


def summary(rec: Recorder, start_year: int, pit_week: int) -> dict[str, float]:
    """One row of scalar outcomes for a run (keys are column names)."""
    W = rec.weeks
    tot = situation_totals(rec)
    homeless = tot[:, HOMELESS_MASK].sum(axis=1)
    nights = situation_nights(rec)
    out: dict[str, float] = {
        "weeks": W,
        "homeless_days": float(nights[:W, HOMELESS_MASK].sum()),
        "housed_days": float(nights[:W, HOUSED_MASK].sum()),
        "homeless_end": float(homeless[W]),
        "population_end": float(tot[W, :LEFT].sum()),
        "entries": float(rec.entries.sum()),
        "exits": float(rec.flows[:, :LEFT, LEFT].sum()),
    }
    for y in range(rec.years):
        year = start_year + y
        r = y * WEEKS_PER_YEAR + pit_week - 1
        if r < W:
            out[f"pit_{year}"] = float(homeless[r])
        if (y + 1) * WEEKS_PER_YEAR <= W:
            out[f"homeless_any_{year}"] = float(rec.homeless_any[y])
            out[f"shelter_users_{year}"] = float(rec.users[y, int(Situation.SHELTER)])
    spells = rec.spells.frame()
    lengths = spells["end"] - spells["start"]
    out["spells_completed"] = float(len(spells))
    out["spell_weeks_mean"] = float(lengths.mean()) if len(spells) else float("nan")
    out["spell_weeks_median"] = float(lengths.median()) if len(spells) else float("nan")
    episodes = rec.episodes.frame()
    out["housed_from_homelessness"] = float(len(episodes))
    for months in (12, 24):
        share, n = retention(episodes, W, months)
        out[f"kept_home_{months}m"] = share
        out[f"kept_home_{months}m_n"] = float(n)
    out.update(place_use(rec))
    return out


def place_use(rec: Recorder) -> dict[str, float]:
    """How full each scarce place was, and how many waited for it, over the horizon.

    ``utilisation_<place>``: mean over weeks of occupied places per night (the week's
    nights there / 7) / capacity, counting only the weeks its capacity was limited (NaN
    if never); ``queue_mean_<place>``: mean number on its waiting list at the end of a
    week (assigned homes included). A place nobody waits for (queue 0) cannot change
    outcomes by having more of it. ``turned_away_<place>``: the share of new applicants
    not admitted on the night they applied (the blocking probability of a loss system;
    NaN if nobody applied).
    """
    W = rec.weeks
    per_night = situation_nights(rec) / DAYS_PER_WEEK
    out: dict[str, float] = {}
    for k, name in enumerate(QUEUE_NAMES):
        if k < len(PLACE_SITUATION):
            cap = rec.capacity[:W, k]
            limited = np.isfinite(cap) & (cap > 0)
            occ = per_night[:W, int(PLACE_SITUATION[k])][limited]
            out[f"utilisation_{name}"] = (
                float((occ / cap[limited]).mean()) if limited.any() else float("nan")
            )
        out[f"queue_mean_{name}"] = float(rec.queues[:W, k].mean()) if W else float("nan")
        applied = int(rec.applied[1 : W + 1, k].sum())
        out[f"turned_away_{name}"] = (
            float(rec.refused[1 : W + 1, k].sum() / applied) if applied else float("nan")
        )
    return out
