"""Field descriptions for the scenario schema.

Every scenario key is a dataclass field whose metadata carries its description, unit,
bounds and default. Validation, the generated scenario reference (docs/) and the
parameter distributions all read this one source.
"""

from __future__ import annotations

import dataclasses
from typing import Any

#: Orders a waiting list may follow (places and support teams alike).
PRIORITY_RULES = ("first_come", "longest_homeless", "highest_needs", "youngest_first")


def spec(
    doc: str,
    default: Any = dataclasses.MISSING,
    *,
    unit: str | None = None,
    ge: float | None = None,
    le: float | None = None,
    choices: tuple[str, ...] | None = None,
    keys: tuple[str, ...] | None = None,
    sum_to_one: bool = False,
    factory: Any = dataclasses.MISSING,
) -> Any:
    """A scenario field: ``doc`` says what it is and why; the rest constrain its value.

    ``keys`` restricts the keys of a mapping; ``sum_to_one`` asks a mapping of shares
    to add up to 1; ``ge``/``le`` bound numbers (and every number inside a mapping).
    """
    meta = {"doc": doc, "unit": unit, "ge": ge, "le": le, "choices": choices,
            "keys": keys, "sum_to_one": sum_to_one}
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)
