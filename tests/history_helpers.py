"""Hand-made histories for the tests of sim.history, sim.shelter_use and sim.data_terms."""

from __future__ import annotations

from sim.history import History

YEAR = 364  # nights in a model year


def history(rows: list[tuple[int, str, int, int]], horizon: int, start_year: int = 2015) -> History:
    """A history from (citizen, situation, start, end) rows, nights from night 0."""
    cols = list(zip(*rows, strict=True))
    return History.from_stays(
        {"citizen": cols[0], "situation": cols[1], "start": cols[2], "end": cols[3]},
        horizon,
        start_year,
    )
