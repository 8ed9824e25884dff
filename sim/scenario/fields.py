"""Field descriptions for the scenario schema.

Every scenario key is a dataclass field whose metadata carries its description, unit,
bounds and default. Validation, the generated scenario reference (docs/) and the
parameter distributions all read this one source.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Mapping
from typing import Any

#: Orders a waiting list may follow (places and support teams alike).
PRIORITY_RULES = ("first_come", "longest_homeless", "highest_needs", "youngest_first")

#: Most citizens a scenario may hold over its horizon: the initial counts plus the
#: expected entrants, both times ``setting.scale``. Ten times the population of Denmark
#: (about 6 million); anything larger is a mistake, not a scenario.
MAX_CITIZENS = 60_000_000
#: Most citizens in one situation at the start, and most entrants per week (before
#: ``setting.scale``). The Denmark baseline has 76,000 and 190.
MAX_COUNT = 1_000_000
MAX_ENTRIES_PER_WEEK = 10_000

#: Bounds of the run settings that are not scenario keys but are given on the command
#: line and in batch files alike (``--replications`` and ``replications:``, ``--seed``
#: and ``seed:``). The horizon's bounds are those of ``setting.years`` (see ``bounds``).
MAX_REPLICATIONS = 100_000
MAX_SEED = 2**63 - 1  # a seed is stored as a signed 64-bit integer in result tables


def bounds(cls: type, name: str) -> tuple[float | None, float | None]:
    """The (lowest, highest) value scenario key ``name`` of schema class ``cls`` accepts.

    So a command-line twin of the key (``--years``) checks the same bounds.
    """
    f = {f.name: f for f in dataclasses.fields(cls)}[name]
    return f.metadata.get("ge"), upper_bound(f.metadata)


def upper_bound(meta: Mapping[str, Any]) -> float | None:
    """The largest value a field accepts: its bound ``le`` or its cap ``most``."""
    caps = [x for x in (meta.get("le"), meta.get("most")) if x is not None]
    return min(caps) if caps else None


def spec(
    doc: str,
    default: Any = dataclasses.MISSING,
    *,
    unit: str | None = None,
    ge: float | None = None,
    le: float | None = None,
    most: float | None = None,
    choices: tuple[str, ...] | None = None,
    keys: tuple[str, ...] | None = None,
    sum_to_one: bool = False,
    whole: bool = False,
    factory: Any = dataclasses.MISSING,
    entries: type | None = None,
) -> Any:
    """A scenario field: ``doc`` says what it is and why; the rest constrain its value.

    ``keys`` restricts the keys of a mapping; ``sum_to_one`` asks a mapping of shares
    to add up to 1; ``ge``/``le`` bound numbers (and every number inside a mapping);
    ``whole`` asks every number inside a mapping to be a whole number (a field typed
    ``int`` is whole already). A whole number is never rounded: 24.7 is refused.
    ``most`` is a plausibility cap where ``le`` is a bound of the domain: a value above
    it is refused as a mistake (a population larger than a country's), but a parameter
    distribution may still have an unbounded support (a lognormal entry rate).
    ``entries`` makes a ``list`` field a list of sections of that schema class, and a
    ``dict`` field a mapping from names (lower-case letters, digits, '_') to such
    sections; the entries a scenario names add to (or replace) the default's.
    """
    meta = {
        "doc": doc,
        "unit": unit,
        "ge": ge,
        "le": le,
        "most": most,
        "choices": choices,
        "keys": keys,
        "sum_to_one": sum_to_one,
        "whole": whole,
        "entries": entries,
    }
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@functools.cache
def schema_hints(cls: type) -> dict[str, Any]:
    """The resolved type hints of a schema dataclass, resolved once per class.

    A fit builds a scenario for every run, and resolving the string annotations of
    every dataclass of every dated change was about 40% of that time.
    """
    return typing.get_type_hints(cls)
