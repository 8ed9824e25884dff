"""Citizens: their state as growable numpy arrays, and Mesa agents that view it.

The model keeps one array per attribute (situation, needs group, birth week...),
indexed by citizen id, so the weekly step can work on all citizens at once. A
:class:`Citizen` is a ``mesa.Agent`` whose attributes read and write those arrays, so
``model.agents``, ``select``, ``groupby`` and Mesa's DataCollector work as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.situations import (
    AGE_BANDS,
    HOMELESS_MASK,
    N_SIT,
    NEEDS,
    SITUATIONS,
    WEEKS_PER_YEAR,
    Situation,
    age_band_of,
)

if TYPE_CHECKING:
    from sim.model import HomelessnessModel

NO_WEEK = -(2**31)  # marks "not set" in week-valued arrays (weeks may be negative)

#: The per-citizen arrays: name -> (dtype, fill value for new citizens).
FIELDS: dict[str, tuple[type, int]] = {
    "situation": (np.int8, int(Situation.LEFT)),
    "needs": (np.int8, 0),
    "birth": (np.int32, 0),  # week of birth (negative: before week 0)
    "entered": (np.int32, 0),  # week the citizen entered the pool
    "since": (np.int32, 0),  # week the current situation began
    "since_night": (np.int32, 0),  # night the current stay began (sim.nights)
    "spell_start": (np.int32, NO_WEEK),  # week the current homeless spell began
    "spells": (np.int16, 0),  # homeless spells begun so far
    "housed_since": (np.int32, NO_WEEK),  # week housed after homelessness (open episode)
    "queue": (np.int8, -1),  # waiting list the citizen is on (-1: none)
    "queue_since": (np.int32, NO_WEEK),
    "year_any": (np.int16, -1),  # last year index counted as homeless at any time
    "band": (np.int8, 0),  # age band code, kept up to date by the model
    "rehoused": (np.int8, 0),  # return band after rehousing (0: ordinary risk)
    "kind": (np.int8, 0),  # kind of user (sim.kinds; 0 with one kind)
    "effect": (np.int8, 0),  # support effect state (0: none; policies.team_rules)
    "code": (np.intp, int(Situation.LEFT) * 3),  # row of the move tables (row_code)
}


class CitizenArrays:
    """Struct of arrays with amortised growth; ``n`` citizens are in use.

    Each field is an attribute holding a view of the first ``n`` rows, refreshed
    whenever the arrays grow, so reading ``arrays.situation`` costs nothing.
    """

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self._cap = max(16, int(capacity))
        self._data: dict[str, np.ndarray] = {}
        self._fills: dict[str, float] = {}
        for name, (dtype, fill) in FIELDS.items():
            self._data[name] = np.full(self._cap, fill, dtype=dtype)
            self._fills[name] = fill
        # last year index in which the citizen was seen in each situation
        self._data["year_seen"] = np.full((self._cap, N_SIT), -1, dtype=np.int16)
        self._fills["year_seen"] = -1
        self._refresh()

    def add_field(self, name: str, dtype: type, fill: float) -> None:
        """Register another per-citizen array (policies keep their state this way)."""
        if name in self._data:
            return
        self._data[name] = np.full(self._cap, fill, dtype=dtype)
        self._fills[name] = fill
        self._refresh()

    def _refresh(self) -> None:
        for name, arr in self._data.items():
            setattr(self, name, arr[: self.n])

    def grow(self, k: int) -> slice:
        """Make room for ``k`` new citizens and return their index range."""
        need = self.n + k
        if need > self._cap:
            new_cap = max(need, int(self._cap * 1.5) + 16)
            for name, arr in self._data.items():
                bigger = np.full((new_cap, *arr.shape[1:]), self._fills[name], dtype=arr.dtype)
                bigger[: self._cap] = arr
                self._data[name] = bigger
            self._cap = new_cap
        sl = slice(self.n, need)
        self.n = need
        self._refresh()
        return sl

    @property
    def nbytes(self) -> int:
        """Bytes held by the citizens' arrays."""
        return sum(a.nbytes for a in self._data.values())


class Citizen(mesa.Agent):
    """One citizen, a view of row ``index`` of the model's arrays.

    Reading an attribute reads the arrays; setting ``situation`` moves the citizen
    through the model, so every count and spell stays consistent.
    """

    def __init__(self, model: HomelessnessModel, index: int):
        super().__init__(model)
        self.index = int(index)

    @property
    def _a(self) -> CitizenArrays:
        return self.model.citizens

    @property
    def situation(self) -> str:
        """Current situation, e.g. ``"shelter"``."""
        return SITUATIONS[self._a.situation[self.index]]

    @situation.setter
    def situation(self, name: str) -> None:
        self.model.move(np.array([self.index]), SITUATIONS.index(name))

    @property
    def needs(self) -> str:
        """Needs group: ``"low"``, ``"medium"`` or ``"high"``."""
        return NEEDS[self._a.needs[self.index]]

    @property
    def age(self) -> float:
        """Age in years."""
        return (self.model.week - self._a.birth[self.index]) / WEEKS_PER_YEAR

    @property
    def age_band(self) -> str:
        """Age band: ``"18-24"``, ``"25-29"`` or ``"30+"``."""
        weeks = np.array([self.model.week - self._a.birth[self.index]])
        return AGE_BANDS[int(age_band_of(weeks)[0])]

    @property
    def homeless(self) -> bool:
        """True in a situation the national count treats as homelessness."""
        return bool(HOMELESS_MASK[self._a.situation[self.index]])

    @property
    def weeks_in_situation(self) -> int:
        """Weeks since the citizen came to the current situation."""
        return int(self.model.week - self._a.since[self.index])

    @property
    def weeks_homeless(self) -> int:
        """Weeks in the current homeless spell (0 when not homeless)."""
        start = self._a.spell_start[self.index]
        return 0 if start == NO_WEEK else int(self.model.week - start)

    @property
    def spells(self) -> int:
        """Number of homeless spells begun so far."""
        return int(self._a.spells[self.index])

    def __repr__(self) -> str:
        return (
            f"Citizen({self.index}, {self.situation}, needs={self.needs}, age_band={self.age_band})"
        )


def sorted_unique(idx: np.ndarray) -> np.ndarray:
    """Return the sorted distinct citizen indices.

    A sort and one comparison; faster than np.unique's hashing on the small index arrays
    the weekly step handles.
    """
    if idx.size < 2:
        return idx
    idx = np.sort(idx, kind="stable")  # timsort: fast on the sorted runs joined here
    return idx[np.concatenate(([True], idx[1:] != idx[:-1]))]
