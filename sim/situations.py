"""The housing situations, needs groups and age bands that describe a citizen.

Codes are small integers so that the model can hold them in numpy arrays; the names
are what scenario files and result tables use. See DOMAIN.md ("The people and where
they stay") for what each situation means.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Situation(IntEnum):
    """Where a citizen stays in a given week."""

    OWN = 0  # own housing (egen bolig), possibly with floating support
    AT_RISK = 1  # housed but at risk of eviction (udsættelsestruet)
    ROUGH = 2  # rough sleeping (gadesovende)
    NIGHT_SHELTER = 3  # emergency night shelter (natvarmestue / natcafé)
    SHELTER = 4  # shelter / hostel, Serviceloven §110 (forsorgshjem, herberg)
    FRIENDS = 5  # staying with family or friends (sofasurfer)
    STARTER = 6  # starter / transitional housing (startbolig, midlertidig bolig)
    ALTERNATIVE = 7  # alternative housing (skæve boliger)
    SUPPORTED = 8  # supported housing, §107/§108 (botilbud)
    LEFT = 9  # left the system: died or moved out of the municipality


class Needs(IntEnum):
    """Support needs group (professionals' assessment)."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2


class AgeBand(IntEnum):
    """Age band used for counts and youth policies."""

    AGE_18_24 = 0
    AGE_25_29 = 1
    AGE_30_PLUS = 2


SITUATIONS: tuple[str, ...] = tuple(s.name.lower() for s in Situation)
#: Situations a citizen in the system can be in (all but "left").
LIVING: tuple[str, ...] = tuple(s for s in SITUATIONS if s != "left")
#: Code of the "left" situation (died or moved away), used in array comparisons.
LEFT = int(Situation.LEFT)
NEEDS: tuple[str, ...] = tuple(n.name.lower() for n in Needs)
AGE_BANDS: tuple[str, ...] = ("18-24", "25-29", "30+")

N_SIT = len(Situation)
N_NEEDS = len(Needs)
N_AGE = len(AgeBand)

#: Situations the national count treats as homelessness (VIVE's point-in-time count):
#: rough sleeping, night shelters, §110 shelters, family and friends, and
#: transitional housing. Alternative and supported housing are homes.
HOMELESS: frozenset[Situation] = frozenset(
    {
        Situation.ROUGH,
        Situation.NIGHT_SHELTER,
        Situation.SHELTER,
        Situation.FRIENDS,
        Situation.STARTER,
    }
)
#: Situations with a home of one's own or a long-term place.
HOUSED: frozenset[Situation] = frozenset(
    {Situation.OWN, Situation.AT_RISK, Situation.ALTERNATIVE, Situation.SUPPORTED}
)

#: Places whose number is limited by the scenario (stock capacity).
LIMITED_PLACES: tuple[Situation, ...] = (
    Situation.NIGHT_SHELTER,
    Situation.SHELTER,
    Situation.STARTER,
    Situation.ALTERNATIVE,
    Situation.SUPPORTED,
)

WEEKS_PER_YEAR = 52
DAYS_PER_WEEK = 7

#: Age thresholds in years for the bands 25-29 and 30+.
AGE_THRESHOLDS_YEARS = (25, 30)


def situation_code(name: str) -> int:
    """Return the code of a situation given its scenario-file name (e.g. ``"shelter"``)."""
    return SITUATIONS.index(name)


def mask_of(situations: frozenset[Situation] | set[Situation]) -> np.ndarray:
    """A boolean lookup table over situation codes, true for the given situations."""
    table = np.zeros(N_SIT, dtype=bool)
    for s in situations:
        table[int(s)] = True
    return table


HOMELESS_MASK = mask_of(HOMELESS)
HOUSED_MASK = mask_of(HOUSED)


def age_band_of(age_weeks: np.ndarray) -> np.ndarray:
    """Age band codes (0, 1, 2) for ages given in weeks."""
    lo, hi = (t * WEEKS_PER_YEAR for t in AGE_THRESHOLDS_YEARS)
    return (age_weeks >= lo).astype(np.int8) + (age_weeks >= hi).astype(np.int8)
