"""One small entry point that runs replications for the uncertainty tools.

Probabilistic sensitivity analysis, global sensitivity and calibration all need the
same thing: "run these replications of this scenario and give me a summary row per
run". They call :func:`simulate` (through a ``Simulator`` argument), so that a
parallel or distributed batch engine can replace it without touching them.

Besides the runner's summary columns, each row carries the point-in-time count by
situation, ``pit_<situation>_<year>`` (persons in the count week), used by targets
such as the 2015 mix of situations, and HUD's two parts of the count:
``pit_sheltered_<year>`` (shelter, night shelter and transitional housing: emergency
shelter, safe havens and transitional housing in HUD's terms) and
``pit_unsheltered_<year>`` (rough sleeping).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sim.runner import run_once
from sim.scenario.loader import LoadedScenario
from sim.situations import WEEKS_PER_YEAR

#: Situations counted as sheltered in HUD's Point-in-Time count (see docs/data.md).
SHELTERED = ("shelter", "night_shelter", "starter")

#: ``simulator(scenario, replications, seed, years) -> DataFrame`` (a row per run).
Simulator = Callable[[LoadedScenario, Sequence[int], int, "int | None"], pd.DataFrame]


def simulate(
    scenario: LoadedScenario, replications: Sequence[int], seed: int = 0, years: int | None = None
) -> pd.DataFrame:
    """Run the given replication indices of ``scenario`` under root ``seed``.

    Replication ``k`` uses ``SeedSequence(seed, spawn_key=(k,))`` whatever the scenario,
    so two scenarios run with the same indices share their random numbers.
    """
    rows = []
    for k in replications:
        res = run_once(scenario, int(k), seed, years, detail=False)
        row = dict(res.summary)
        row.update(
            pit_by_situation(
                res.weekly, scenario.params.setting.start_year, scenario.params.setting.pit_week
            )
        )
        rows.append(row)
    return pd.DataFrame(rows)


def pit_by_situation(weekly: pd.DataFrame, start_year: int, pit_week: int) -> dict[str, float]:
    """Counts by situation in each year's count week, as ``pit_<situation>_<year>``."""
    weeks = weekly["week"].to_numpy()
    years = weeks // WEEKS_PER_YEAR
    sel = weekly[(weeks % WEEKS_PER_YEAR == pit_week - 1)]
    out: dict[str, float] = {}
    for sit, year, count in zip(
        sel["situation"].astype(str), start_year + years[sel.index], sel["count"], strict=True
    ):
        out[f"pit_{sit}_{int(year)}"] = float(count)
    for year in sorted({int(k.rsplit("_", 1)[1]) for k in out}):
        # HUD's terms: sheltered = emergency shelter, safe havens, transitional housing
        out[f"pit_sheltered_{year}"] = sum(out.get(f"pit_{s}_{year}", 0.0) for s in SHELTERED)
        out[f"pit_unsheltered_{year}"] = out.get(f"pit_rough_{year}", 0.0)
    return out


def mean_outcomes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Means over runs of the given columns (NaN where a column is missing)."""
    return np.array([frame[c].mean() if c in frame else np.nan for c in columns])
