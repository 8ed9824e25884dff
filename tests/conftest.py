"""Shared fixtures: small scenarios built in code, the shipped scenario folder, and a
local Dask cluster for the engine-equality tests (``tests/engines.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engines import local_cluster

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def chain_scenario(
    counts: dict, rows: dict, years: int = 2, needs_rows: dict | None = None
) -> dict:
    """A scenario that is exactly a Markov chain: no entries, exits, limits or memory.

    ``rows`` gives the transitions of the low needs group; ``needs_rows`` optionally
    those of medium and high (default: the same as low).
    """
    needs_rows = needs_rows or {}
    return {
        "name": "chain",
        "setting": {"years": years, "start_year": 2015},
        "initial": {
            "counts": counts,
            "needs_mix": {"default": {"low": 1.0, "medium": 0.0, "high": 0.0}},
        },
        "transitions": {
            "low": rows,
            "medium": needs_rows.get("medium", rows),
            "high": needs_rows.get("high", rows),
        },
    }


def count_targets(truth, years, measures=("pit", "shelter_users"), cv: float = 0.05) -> list:
    """Targets of a synthetic fit: each measure and year of the first run of ``truth``
    (a frame of run summaries), observed with coefficient of variation ``cv``."""
    return [
        {"measure": m, "year": y, "observed": float(truth[f"{m}_{y}"][0]), "cv": cv}
        for m in measures
        for y in years
    ]


@pytest.fixture
def scenarios_dir() -> Path:
    return SCENARIOS


@pytest.fixture(scope="module")
def dask_client():
    """A client of a local Dask cluster, one per test module (see ``tests/engines.py``)."""
    with local_cluster() as c:
        yield c
