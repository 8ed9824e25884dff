"""Runs and replications: one scenario, many seeds, tidy pandas tables.

A run is one scenario, one seed, one horizon. Replication ``k`` of a run with root
seed ``s`` uses the streams of ``SeedSequence(s, spawn_key=(k,))``: the same for every
scenario (common random numbers) and independent of worker count or order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.costs import cost_columns
from sim.data_terms import monthly_table
from sim.model import HomelessnessModel
from sim.outcomes import weekly_table
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.streams import run_seed


@dataclass
class RunResult:
    """Outcomes of one run: a summary row and the weekly table."""

    summary: dict[str, float]
    weekly: pd.DataFrame
    model: HomelessnessModel | None = None
    monthly: pd.DataFrame | None = None


def run_once(
    scenario: LoadedScenario | str | Path | Mapping,
    replication: int = 0,
    seed: int = 0,
    years: int | None = None,
    detail: bool = True,
    keep_model: bool = False,
    monthly: bool = False,
    measures: bool = True,
    chronic: bool = True,
) -> RunResult:
    """Run replication ``replication`` of ``scenario`` under root ``seed``.

    ``scenario`` is loaded, a path, a shipped name or a mapping. With ``monthly``, the
    result also holds the monthly table of ``sim.data_terms.monthly_table`` (without
    ``chronic``, the whole population's rows only); without ``measures``, the summary
    holds the counts' outcomes and costs only (``HomelessnessModel.summary``).
    """
    scenario = load_scenario(scenario)
    model = HomelessnessModel(scenario, rng=run_seed(seed, replication), years=years)
    model.run()
    summ = {
        "scenario": scenario.name,
        "replication": replication,
        "seed": seed,
        **model.summary(measures),
        **cost_columns(model),
    }
    weekly = weekly_table(model.recorder, model.params.setting.start_year, detail=detail)
    weekly.insert(0, "replication", np.int32(replication))
    weekly.insert(0, "scenario", scenario.name)
    month = (
        _tagged(monthly_table(model.history(), chronic=chronic), scenario.name, replication)
        if monthly
        else None
    )
    return RunResult(summ, weekly, model if keep_model else None, month)


def _tagged(table: pd.DataFrame, name: str, replication: int) -> pd.DataFrame:
    table.insert(0, "replication", np.int32(replication))
    table.insert(0, "scenario", name)
    return table


@dataclass
class Results:
    """Tables of many runs: ``summary`` (a row per run) and ``weekly`` (tidy counts)."""

    summary: pd.DataFrame
    weekly: pd.DataFrame
    monthly: pd.DataFrame | None = None

    def intervals(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Mean and 95% interval (2.5th-97.5th percentile over runs) per outcome."""
        return interval_table(self.summary, columns)


def run_replications(
    scenario: LoadedScenario | str | Path | Mapping,
    replications: int = 10,
    seed: int = 0,
    years: int | None = None,
    detail: bool = True,
    progress: bool = False,
    monthly: bool = False,
) -> Results:
    """Run replications of one scenario in this process and return pandas tables.

    With ``monthly``, also the monthly table of every run.
    """
    if not isinstance(scenario, LoadedScenario):
        scenario = load_scenario(scenario)
    reps = range(replications)
    if progress:
        from tqdm.auto import tqdm

        reps = tqdm(reps, desc=scenario.name, unit="run")
    runs = [run_once(scenario, k, seed, years, detail, monthly=monthly) for k in reps]
    return Results(
        pd.DataFrame([r.summary for r in runs]),
        pd.concat([r.weekly for r in runs], ignore_index=True),
        pd.concat([r.monthly for r in runs], ignore_index=True) if monthly else None,
    )


OUTCOME_LABELS: dict[str, str] = {
    "homeless_days": "homeless days (all citizens, horizon)",
    "housed_days": "housed days (all citizens, horizon)",
    "homeless_end": "homeless at the end",
    "spell_weeks_median": "median completed spell (weeks)",
    "kept_home_12m": "kept home 12 months after housing",
    "kept_home_24m": "kept home 24 months after housing",
}


def interval_table(summary: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Mean, 2.5% and 97.5% quantiles of numeric outcome columns, by scenario."""
    skip = {"replication", "seed", "weeks"}
    cols = columns or [
        c
        for c in summary.columns
        if c not in skip and pd.api.types.is_numeric_dtype(summary[c]) and not c.endswith("_n")
    ]
    rows: list[dict[str, Any]] = []
    for name, grp in summary.groupby("scenario", sort=False):
        for c in cols:
            x = grp[c].dropna()
            if x.empty:
                continue
            rows.append(
                {
                    "scenario": name,
                    "outcome": c,
                    "mean": x.mean(),
                    "low": x.quantile(0.025),
                    "high": x.quantile(0.975),
                    "runs": len(x),
                }
            )
    return pd.DataFrame(rows)
