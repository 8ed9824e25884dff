"""Measures of shelter use and of homelessness over time, read from a run's stays.

Each measure is defined in ``docs/outputs.md``; this module follows those definitions.
Years are the calendar's complete years (``History.calendar``); an event on night ``e``
(the first night elsewhere) belongs to the year that holds ``e - 1``, the last night of
the stay it ends. A measure whose look-back reaches before night 0, or whose follow-up
reaches past the horizon, is NaN for that year rather than a biased number.

"Shelter" is a parameter: by default the §110 shelter alone (``SHELTER``); night shelters
are measured apart (``NIGHT_SHELTER``), and any set of situations may be given.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

import numpy as np
import pandas as pd

from sim.history import History, Runs, by_citizen, overlap, situation_mask, sort_key
from sim.situations import HOMELESS, HOUSED, Situation

#: Default "shelter": the §110 shelter (forsorgshjem, herberg).
SHELTER = frozenset({Situation.SHELTER})
#: Night shelters (natvarmestue, natcafé), measured apart from §110 shelters.
NIGHT_SHELTER = frozenset({Situation.NIGHT_SHELTER})
#: "Homeless more than two years" (shelter nights of long-homeless people), in nights.
LONG_HOMELESS_NIGHTS = 730
#: A long stay in the §110 statistics' table of stay lengths: more than 120 nights.
LONG_STAY_NIGHTS = 120
#: Default look-back of "first-time users": no shelter night in the previous N years.
FIRST_TIME_YEARS = 2
#: Follow-up of "no sign of homelessness" after leaving shelter, in nights.
NO_SIGN_NIGHTS = 365
#: Follow-ups of returns to homelessness after moving into a home (HUD SPM 2), months.
RETURN_MONTHS = (6, 12, 24)
#: Canadian federal definition of chronic homelessness: (window, nights) pairs, either
#: 180 nights in the past year or 546 nights over the past three years.
CHRONIC_RULES = ((365, 180), (1095, 546))
#: Kuhn & Culhane (1998): an absence of this many nights or more starts a new episode.
EPISODE_GAP_NIGHTS = 30
TYPES = ("transitional", "episodic", "chronic")
#: Cap on the Lloyd iterations of one k-means run (each runs until no label changes).
KMEANS_MAX_ITERATIONS = 300

Situations = Iterable[Situation | int | str]


def months_to_nights(months: int) -> int:
    """A follow-up of ``months`` months in nights (365 nights a year, rounded down)."""
    return months * 365 // 12


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Num / den, NaN where den is 0."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def latest_before(runs: Runs, citizen: np.ndarray, night: np.ndarray) -> np.ndarray:
    """Index of each citizen's latest run starting before ``night`` (-1: none)."""
    j = np.searchsorted(sort_key(runs.citizen, runs.start), sort_key(citizen, night)) - 1
    ok = j >= 0
    ok[ok] = runs.citizen[j[ok]] == citizen[ok]
    return np.where(ok, j, -1)


def any_night_within(runs: Runs, citizen: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """True where the citizen has a night of ``runs`` in ``[lo, hi)``.

    Runs of one citizen do not overlap, so only the latest run starting before ``hi``
    can reach into the window.
    """
    j = latest_before(runs, citizen, hi)
    hit = j >= 0
    hit[hit] = runs.end[j[hit]] > np.asarray(lo)[hit]
    return hit


def _edge_of_groups(citizen: np.ndarray, year: np.ndarray, last: bool) -> np.ndarray:
    """Positions of the last (or first) row of each (citizen, year) group.

    The rows must already be in time order within each citizen (as runs are).
    """
    if citizen.size == 0:
        return np.zeros(0, dtype=np.intp)
    change = (citizen[1:] != citizen[:-1]) | (year[1:] != year[:-1])
    edge = np.append(change, True) if last else np.concatenate([[True], change])
    return np.flatnonzero(edge)


class ShelterUse:
    """Yearly measures of shelter use in one run (arrays indexed by complete year).

    Args:
        history: the run's stays.
        shelter: situations that count as shelter (default the §110 shelter).
        homeless: situations that count as homelessness (default the national count's),
            for the long-homeless share and the signs of homelessness after shelter.
    """

    def __init__(
        self, history: History, shelter: Situations = SHELTER, homeless: Situations = HOMELESS
    ):
        self.history = history
        self.stays = history.runs(shelter)
        self.homeless = history.runs(homeless)
        self.bounds = history.calendar.year_bounds(history.horizon)
        self.years = history.calendar.years(history.horizon)
        self.year_nights = history.calendar.year_nights

    @cached_property
    def nights(self) -> np.ndarray:
        """Shelter nights of each stay in each year: (stays, years)."""
        return self.stays.nights_within(self.bounds[:-1], self.bounds[1:])

    @cached_property
    def user_nights(self) -> np.ndarray:
        """Shelter nights of each user (anyone with a stay) in each year."""
        return by_citizen(self.stays.citizen, self.nights)[1]

    def users(self) -> np.ndarray:
        """Distinct citizens with at least one shelter night in the year."""
        return (self.user_nights > 0).sum(axis=0)

    def stay_count(self) -> np.ndarray:
        """Stays with at least one night in the year."""
        return (self.nights > 0).sum(axis=0)

    def stays_per_user(self) -> np.ndarray:
        """Stays with a night in the year per user."""
        return _share(self.stay_count(), self.users())

    def nights_per_user(self) -> np.ndarray:
        """Shelter nights in the year per user."""
        return _share(self.nights.sum(axis=0), self.users())

    def all_year_share(self) -> np.ndarray:
        """Share of the year's users in shelter every night of the year."""
        return _share((self.user_nights == self.year_nights).sum(axis=0), self.users())

    def stay_lengths(self) -> pd.DataFrame:
        """Nights per completed stay, by the year the stay ended (its last night).

        Censored stays (open at the horizon) are left out; a stay's nights before the
        year (and before night 0, for the initial population) count in full.
        """
        return pd.DataFrame(self.stay_length_stats(), index=self.years)

    def stay_length_stats(self) -> dict[str, np.ndarray]:
        """The columns of :meth:`stay_lengths`, as arrays by year."""
        st = self.stays
        done = ~st.censored
        length = (st.end - st.start)[done]
        year = (st.end[done] - 1) // self.year_nights
        ok = (year >= 0) & (year < self.years.size)
        length, year = length[ok], year[ok]
        order = np.lexsort((length, year))
        length, year = length[order], year[order]
        cuts = np.searchsorted(year, np.arange(self.years.size + 1))
        n = np.diff(cuts)
        median = np.full(self.years.size, np.nan)
        for y in np.flatnonzero(n):
            median[y] = np.median(length[cuts[y] : cuts[y + 1]])
        return {
            "stays_ended": n,
            "nights_per_stay_mean": _share(np.bincount(year, length, self.years.size), n),
            "nights_per_stay_median": median,
            "one_night_stays_share": _share(
                np.bincount(year[length == 1], minlength=self.years.size), n
            ),
            "stays_up_to_7_nights_share": _share(
                np.bincount(year[length <= 7], minlength=self.years.size), n
            ),
            "stays_over_120_nights_share": _share(
                np.bincount(year[length > LONG_STAY_NIGHTS], minlength=self.years.size), n
            ),
        }

    def long_homeless_share(self, long_nights: int = LONG_HOMELESS_NIGHTS) -> np.ndarray:
        """Share of the year's shelter nights spent by people homeless for long.

        Long: more than ``long_nights`` nights at that night, counted from the start of
        the homeless spell that holds the stay.
        """
        st = self.stays
        j = latest_before(self.homeless, st.citizen, st.start + 1)
        inside = j >= 0
        inside[inside] = self.homeless.end[j[inside]] >= st.end[inside]
        spell_start = np.where(inside, self.homeless.start[np.maximum(j, 0)], st.end)
        long_from = np.where(inside, spell_start + long_nights, st.end)
        long = overlap(np.maximum(st.start, long_from), st.end, self.bounds[:-1], self.bounds[1:])
        return _share(long.sum(axis=0), self.nights.sum(axis=0))

    def first_time_users(self, years_back: int = FIRST_TIME_YEARS) -> np.ndarray:
        """Users in the year with no shelter night in the ``years_back`` years before.

        NaN for years whose look-back starts before night 0.
        """
        un = self.user_nights
        cum = np.concatenate(
            [np.zeros((un.shape[0], 1), dtype=un.dtype), np.cumsum(un, axis=1)], axis=1
        )
        out = np.full(self.years.size, np.nan)
        for y in range(years_back, self.years.size):
            before = cum[:, y] - cum[:, y - years_back]
            out[y] = float(((un[:, y] > 0) & (before == 0)).sum())
        return out

    def no_sign_share(self, follow: int = NO_SIGN_NIGHTS) -> np.ndarray:
        """Share of people leaving shelter in the year who stay out of homelessness.

        Out: no homeless night in the ``follow`` nights from their last exit of the year.

        People who leave the system (die or move away) in that time with no sign are
        left out, as are years whose follow-up reaches past the horizon (NaN).
        """
        st = self.stays
        done = ~st.censored
        cit, exit_ = st.citizen[done], st.end[done]
        year = (exit_ - 1) // self.year_nights
        ok = (year >= 0) & (year < self.years.size)
        cit, exit_, year = cit[ok], exit_[ok], year[ok]
        pick = _edge_of_groups(cit, year, last=True)
        cit, exit_, year = cit[pick], exit_[pick], year[pick]
        sign = any_night_within(self.homeless, cit, exit_, exit_ + follow)
        gone = self._left_night(cit) < exit_ + follow
        keep = sign | ~gone
        n = np.bincount(year[keep], minlength=self.years.size)
        clean = np.bincount(year[keep & ~sign], minlength=self.years.size)
        out = _share(clean, n)
        out[self.bounds[1:] + follow > self.history.horizon] = np.nan
        return out

    def _left_night(self, citizen: np.ndarray) -> np.ndarray:
        """Night each citizen left the system.

        The end of the last stay; inf if present at the horizon.
        """
        cit, end = self.history.citizen, self.history.end
        last = np.flatnonzero(np.append(cit[1:] != cit[:-1], True))
        night = np.where(end[last] < self.history.horizon, end[last], np.inf)
        pos = np.searchsorted(cit[last], citizen)
        return (
            night[np.minimum(pos, max(last.size - 1, 0))]
            if last.size
            else np.full(citizen.size, np.inf)
        )


def returns_after_housing(
    history: History, months: int, homeless: Situations = HOMELESS, housed: Situations = HOUSED
) -> np.ndarray:
    """Share of people housed in the year who are homeless again within ``months`` months.

    HUD System Performance Measure 2, for people moving from homelessness into a home.

    Each person's first move into a home in the year counts. People who die or move
    away count as not returned, as in SPM 2. NaN where the follow-up of a year's moves
    reaches past the horizon.
    """
    spells = history.runs(homeless)
    mask = situation_mask(housed)
    nxt = spells.next_situation
    moved = ~spells.censored & (nxt >= 0) & mask[np.maximum(nxt, 0)]
    cit, e = spells.citizen[moved], spells.end[moved]
    ynights = history.calendar.year_nights
    bounds = history.calendar.year_bounds(history.horizon)
    n_years = bounds.size - 1
    year = (e - 1) // ynights
    ok = (year >= 0) & (year < n_years)
    cit, e, year = cit[ok], e[ok], year[ok]
    pick = _edge_of_groups(cit, year, last=False)  # the first move of the year
    cit, e, year = cit[pick], e[pick], year[pick]
    follow = months_to_nights(months)
    back = any_night_within(spells, cit, e, e + follow)
    out = _share(np.bincount(year[back], minlength=n_years), np.bincount(year, minlength=n_years))
    out[bounds[1:] + follow > history.horizon] = np.nan
    return out


def homeless_any_to_pit(
    history: History, pit_week: int, homeless: Situations = HOMELESS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """People homeless on any night of each year, the point-in-time count, and their ratio.

    The point-in-time count: homeless on the first night of week ``pit_week`` of the year.
    """
    spells = history.runs(homeless)
    bounds = history.calendar.year_bounds(history.horizon)
    nights = spells.nights_within(bounds[:-1], bounds[1:])
    anyone = (by_citizen(spells.citizen, nights)[1] > 0).sum(axis=0)
    pit = spells.containing(bounds[:-1] + 7 * (pit_week - 1))
    return anyone, pit, _share(anyone, pit)


def chronic_at(
    runs: Runs, nights: np.ndarray, rules: tuple[tuple[int, int], ...] = CHRONIC_RULES
) -> np.ndarray:
    """Which runs are chronic on each night, as (runs, nights) booleans.

    True where the run holds the night and the citizen's nights in ``runs`` over a
    window ending with that night reach a rule's threshold (``(window, threshold)``
    pairs).
    """
    nights = np.asarray(nights, dtype=np.int64)
    holds = (runs.start[:, None] <= nights[None, :]) & (runs.end[:, None] > nights[None, :])
    cits = np.unique(runs.citizen)
    owner = np.searchsorted(cits, runs.citizen)
    meets = np.zeros(holds.shape, dtype=bool)
    for window, threshold in rules:
        within = runs.nights_within(nights - window + 1, nights + 1)
        per = by_citizen(runs.citizen, within)[1]
        meets |= per[owner] >= threshold
    return holds & meets


def chronic_homeless(
    history: History, homeless: Situations = HOMELESS
) -> tuple[np.ndarray, np.ndarray]:
    """People chronically homeless on the last night of each year, and their share.

    By the Canadian federal definition: homeless that night, with 180 homeless nights
    or more in the past 365, or 546 or more in the past 1,095. The share is of the
    homeless that night.

    Nights before night 0 are known only for the stays open at night 0, so the first
    three years may count too few.
    """
    spells = history.runs(homeless)
    last = history.calendar.year_bounds(history.horizon)[1:] - 1
    chronic = chronic_at(spells, last).sum(axis=0)
    return chronic, _share(chronic, spells.containing(last))


def typology(
    history: History,
    shelter: Situations = SHELTER,
    years: int = 3,
    end: int | None = None,
    episode_gap: int = EPISODE_GAP_NIGHTS,
    seed: int = 0,
    restarts: int = 10,
) -> pd.DataFrame:
    """Kuhn & Culhane's (1998) typology of shelter users over ``years`` years.

    Every user with a shelter night in ``[end - years * year, end)`` (default: the last
    complete years of the run) is described by shelter nights and episodes in the
    window (a new episode after ``episode_gap`` nights or more without shelter); both
    are standardised and clustered by k-means with k = 3 (Lloyd's iterations with
    ``scipy.cluster.vq.vq``, best of ``restarts`` k-means++ starts from ``seed``). The
    cluster with the most nights per user is *chronic*, of the other two the one with
    more episodes is *episodic*, the last *transitional*. Returns, per type: users, share of users,
    share of nights, mean nights and episodes per user. All NaN when the window does
    not fit in the run or fewer than three distinct users' patterns exist.
    """
    values = typology_values(history, shelter, years, end, episode_gap, seed, restarts)
    return pd.DataFrame(values, index=pd.Index(TYPES, name="type"), columns=list(TYPOLOGY_COLUMNS))


TYPOLOGY_COLUMNS = ("users", "users_share", "nights_share", "nights_mean", "episodes_mean")


def typology_values(
    history: History,
    shelter: Situations = SHELTER,
    years: int = 3,
    end: int | None = None,
    episode_gap: int = EPISODE_GAP_NIGHTS,
    seed: int = 0,
    restarts: int = 10,
) -> np.ndarray:
    """The table of :func:`typology` as a (type, column) array."""
    out = np.full((3, len(TYPOLOGY_COLUMNS)), np.nan)
    ynights = history.calendar.year_nights
    end = history.horizon // ynights * ynights if end is None else end
    lo = end - years * ynights
    days, episodes = usage_patterns(history.runs(shelter), lo, end, episode_gap)
    points = np.column_stack([days, episodes]).astype(float)
    if lo < 0 or np.unique(points, axis=0).shape[0] < 3:
        return out
    try:
        labels = _kmeans3(points, seed, restarts)
    except ValueError:
        return out
    rows = []
    for k in range(3):
        inside = labels == k
        rows.append(
            (
                inside.sum(),
                inside.mean(),
                days[inside].sum() / days.sum(),
                days[inside].mean(),
                episodes[inside].mean(),
            )
        )
    rows = np.array(rows, dtype=float)
    chronic = int(np.argmax(rows[:, 3]))
    rest = sorted((k for k in range(3) if k != chronic), key=lambda k: rows[k, 4])
    return rows[[rest[0], rest[1], chronic]]


def usage_patterns(stays: Runs, lo: int, hi: int, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Shelter nights and episodes in ``[lo, hi)`` of each user in the window."""
    nights = stays.nights_within(np.array([lo]), np.array([hi]))[:, 0]
    keep = nights > 0
    cit = stays.citizen[keep]
    start, end = np.maximum(stays.start[keep], lo), np.minimum(stays.end[keep], hi)
    first = np.concatenate([[True], cit[1:] != cit[:-1]]) if cit.size else cit.astype(bool)
    prev_end = np.concatenate([[0], end[:-1]]) if cit.size else end
    new = first | (start - prev_end >= gap)
    _, days = by_citizen(cit, nights[keep])
    _, episodes = by_citizen(cit, new.astype(np.int64))
    return days, episodes


def _kmeans3(x: np.ndarray, seed: int, restarts: int) -> np.ndarray:
    """Labels of k-means with k = 3 on the standardised columns of ``x`` (a row per user).

    The best (least within-cluster sum of squares) of ``restarts`` runs, each from a
    k-means++ start and run until no label changes.

    Users share few distinct patterns, so the work is done on the distinct rows
    weighted by their number of users: the same objective and the same solutions as
    on every row, at a fraction of the cost.
    """
    sd = x.std(axis=0)
    z_all = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    z, inverse, counts = np.unique(z_all, axis=0, return_inverse=True, return_counts=True)
    w = counts.astype(float)
    rng = np.random.default_rng(seed)
    best, best_sse = None, np.inf
    for _ in range(restarts):
        got = _lloyd(z, w, _plus_plus(z, w, 3, rng))
        if got is None:
            continue
        centres, labels = got
        sse = float((w * ((z - centres[labels]) ** 2).sum(axis=1)).sum())
        if best is None or sse < best_sse - 1e-9 * max(best_sse, 1.0):
            best, best_sse = labels, sse
    if best is None:
        raise ValueError("k-means found fewer than three clusters")
    return best[inverse.reshape(-1)]


def _lloyd(
    z: np.ndarray, w: np.ndarray, centres: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Weighted Lloyd iterations from ``centres`` until no label changes.

    Assignment by ``scipy.cluster.vq.vq``; None if a cluster empties.
    """
    from scipy.cluster.vq import vq  # here: scipy.cluster costs start-up time otherwise

    labels = None
    k = centres.shape[0]
    for _ in range(KMEANS_MAX_ITERATIONS):
        new, _ = vq(z, centres, check_finite=False)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        mass = np.bincount(labels, w, k)
        if (mass == 0).any():
            return None
        centres = (
            np.column_stack([np.bincount(labels, w * z[:, d], k) for d in range(z.shape[1])])
            / mass[:, None]
        )
    return centres, labels


def _plus_plus(z: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Weighted k-means++ starting centres.

    The first is drawn by weight, each next with probability proportional to weight x
    squared distance to the nearest centre.
    """
    centres = [z[rng.choice(z.shape[0], p=w / w.sum())]]
    for _ in range(k - 1):
        d2 = w * np.min([((z - c) ** 2).sum(axis=1) for c in centres], axis=0)
        total = d2.sum()
        p = d2 / total if total > 0 else w / w.sum()
        centres.append(z[rng.choice(z.shape[0], p=p)])
    return np.array(centres)


def yearly_measures(
    history: History, pit_week: int, shelter: Situations = SHELTER
) -> dict[str, np.ndarray]:
    """Every yearly measure of this module, by name, each an array over the complete years.

    The names are those of the run summary, without the year.
    """
    use = ShelterUse(history, shelter)
    night = ShelterUse(history, NIGHT_SHELTER)
    lengths = use.stay_length_stats()
    _, _, ratio = homeless_any_to_pit(history, pit_week)
    chronic, chronic_share = chronic_homeless(history)
    return {
        "shelter_stays": use.stay_count(),
        "shelter_stays_per_user": use.stays_per_user(),
        "shelter_nights_per_user": use.nights_per_user(),
        "shelter_nights_per_stay_mean": lengths["nights_per_stay_mean"],
        "shelter_nights_per_stay_median": lengths["nights_per_stay_median"],
        "shelter_one_night_stays_share": lengths["one_night_stays_share"],
        "shelter_stays_up_to_7_nights_share": lengths["stays_up_to_7_nights_share"],
        "shelter_stays_over_120_nights_share": lengths["stays_over_120_nights_share"],
        "shelter_all_year_share": use.all_year_share(),
        "shelter_nights_long_homeless_share": use.long_homeless_share(),
        "shelter_first_time_users": use.first_time_users(),
        "shelter_no_sign_12m_share": use.no_sign_share(),
        "homeless_any_to_pit": ratio,
        **{f"returns_{m}m_share": returns_after_housing(history, m) for m in RETURN_MONTHS},
        "chronic_homeless": chronic,
        "chronic_homeless_share": chronic_share,
        "night_shelter_users": night.users(),
        "night_shelter_users_per_night": night.nights.sum(axis=0) / night.year_nights,
    }


def yearly_table(history: History, pit_week: int, shelter: Situations = SHELTER) -> pd.DataFrame:
    """:func:`yearly_measures` as a table, one row per complete year."""
    years = history.calendar.years(history.horizon)
    return pd.DataFrame(
        yearly_measures(history, pit_week, shelter), index=pd.Index(years, name="year")
    )


def summary_measures(history: History, pit_week: int) -> dict[str, float]:
    """The run summary's measures of shelter use.

    Each yearly measure as ``<name>_<year>``, and the typology of the last three
    complete years as ``typology_<type>_users_share`` and
    ``typology_<type>_nights_share``.
    """
    years = history.calendar.years(history.horizon).tolist()
    out: dict[str, float] = {}
    for name, values in yearly_measures(history, pit_week).items():
        out.update(
            zip([f"{name}_{y}" for y in years], np.asarray(values, float).tolist(), strict=True)
        )
    types = typology_values(history)
    for k, name in enumerate(TYPES):
        out[f"typology_{name}_users_share"] = float(types[k, 1])
        out[f"typology_{name}_nights_share"] = float(types[k, 2])
    return out
