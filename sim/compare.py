"""Compare scenarios on cost and effect, with common random numbers.

``compare(base, alternatives, replications=..., seed=...)`` runs every scenario for
the same replications; replication ``k`` of every scenario uses the streams of
``run_seed(seed, k)``, so the paired difference ``alternative - base`` of replication
``k`` is free of most of the chance both runs share. It returns a
:class:`Comparison` of pandas tables; ``Comparison.report(dir)`` writes the tables,
figures and a report a planner can pass on.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import cea
from sim.costs import run_costs
from sim.runner import run_once
from sim.scenario.costs_schema import PAYERS
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario, from_raw, load_scenario, scenario_hash
from sim.situations import HOMELESS_MASK, HOUSED_MASK, WEEKS_PER_YEAR

#: Default willingness to pay (DKK) per unit of effect for the NMB table. These are
#: assumptions for illustration, not Danish thresholds (none is published for these
#: effects): a homeless day avoided is valued up to about the price of a shelter
#: night; a QALY over a wide range.
DEFAULT_WTP: dict[str, tuple[float, ...]] = {
    "homeless_days_avoided_discounted": (0.0, 250.0, 500.0, 1000.0, 1500.0, 2500.0),
    "qalys_gained_discounted": (0.0, 250_000.0, 500_000.0, 1_000_000.0),
}

#: (raw scenario, its file, replication, seed, years, hash of the raw scenario)
Task = tuple[dict, str | None, int, int, int | None, str]


@dataclass
class Comparison:
    """Results of a comparison, as pandas tables.

    ``runs``: one row per scenario and replication (all summary outcomes and costs);
    ``differences``: paired ``alternative - base`` per replication (costs; effect gains
    signed so that positive is better); ``table``: incremental costs, effects and
    ICERs with 95% intervals; ``nmb``: net monetary benefit by willingness to pay;
    ``verdicts``: dominance in words; ``yearly``: mean cost by year and payer;
    ``weekly``: homeless and housed stock by week (mean and 95% spread).
    """

    base: str
    alternatives: list[str]
    runs: pd.DataFrame
    differences: pd.DataFrame
    table: pd.DataFrame
    nmb: pd.DataFrame
    verdicts: pd.DataFrame
    yearly: pd.DataFrame
    weekly: pd.DataFrame
    scenarios: dict[str, LoadedScenario] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def report(self, out_dir: str | Path, command: str | None = None) -> Path:
        """Write tables, figures, report.md, report.html and manifest.json to ``out_dir``."""
        from sim.report import write_comparison
        return write_comparison(self, Path(out_dir), command=command)


# ---------------------------------------------------------------- inputs

def prepare(base: Any, alternatives: Sequence[Any], years: int | None = None
            ) -> list[LoadedScenario]:
    """Load and check scenarios for a comparison; raises ScenarioError on bad input.

    The scenarios must share a horizon (unless ``years`` sets one for all), a start
    year, a price year and discount rates, and have distinct names.
    """
    if not alternatives:
        raise ScenarioError("give at least one alternative scenario to compare with the base")
    loaded = [s if isinstance(s, LoadedScenario) else load_scenario(s)
              for s in (base, *alternatives)]
    names = [s.name for s in loaded]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        files = ", ".join(str(s.file or "<mapping>") for s in loaded if s.name in dup)
        raise ScenarioError(f"scenario names must differ, '{dup[0]}' is used twice ({files})",
                            path="name")
    first = loaded[0]
    checks = [("setting.start_year", lambda p: p.setting.start_year),
              ("costs.price_year", lambda p: p.costs.price_year),
              ("costs.currency", lambda p: p.costs.currency),
              ("costs.discount_rate", lambda p: p.costs.discount_rate),
              ("costs.long_rate", lambda p: p.costs.long_rate),
              ("costs.long_rate_from", lambda p: p.costs.long_rate_from)]
    if years is None:
        checks.insert(0, ("setting.years", lambda p: p.setting.years))
    for path, get in checks:
        for sc in loaded[1:]:
            if get(sc.params) != get(first.params):
                what = "horizons" if path == "setting.years" else f"values of {path}"
                raise ScenarioError(
                    f"scenarios compared must have the same {what}: '{sc.name}' has "
                    f"{get(sc.params)}, the base '{first.name}' has {get(first.params)}"
                    + (" (or give --years)" if path == "setting.years" else ""),
                    file=sc.file, path=path)
    return loaded


def check_options(replications: int, years: int | None, workers: int) -> None:
    """Counts must make sense: at least 2 replications (for intervals), 1 year, 1 worker."""
    if replications < 2:
        raise ScenarioError("--replications must be at least 2 (intervals need two runs)")
    if years is not None and years < 1:
        raise ScenarioError("--years must be at least 1")
    if workers < 1:
        raise ScenarioError("--workers must be at least 1")


# ---------------------------------------------------------------- runs

def run_task(task: Task) -> dict[str, Any]:
    """One replication of one scenario (in any process): summary, yearly costs, stocks.

    Takes the raw scenario mapping so that the task pickles cheaply; the process that
    runs it validates each scenario once (see ``_validated``).
    """
    raw, file, replication, seed, years, key = task
    sc = _validated(raw, file, key)
    res = run_once(sc, replication, seed, years, detail=False, keep_model=True)
    model = res.model
    rc = run_costs(model)
    tot = model.recorder.counts[: model.week + 1].sum(axis=(2, 3))
    return {"summary": res.summary,
            "yearly": rc.yearly(False), "yearly_discounted": rc.yearly(True),
            "homeless": tot[:, HOMELESS_MASK].sum(axis=1).astype(np.int32),
            "housed": tot[:, HOUSED_MASK].sum(axis=1).astype(np.int32)}


#: Scenarios validated in this process, by (hash of the raw scenario, file).
_VALIDATED: dict[tuple[str, str | None], LoadedScenario] = {}


def _validated(raw: dict, file: str | None, key: str) -> LoadedScenario:
    """The validated scenario of ``raw``; its replications share one validation."""
    got = _VALIDATED.get((key, file))
    if got is None:
        if len(_VALIDATED) >= 16:
            _VALIDATED.clear()
        got = _VALIDATED[(key, file)] = from_raw(raw, file=file)
    return got


def run_tasks(tasks: Sequence[Task], workers: int = 1,
              progress: Callable[[Iterable], Iterable] | None = None) -> list[dict]:
    """Run tasks in order in this process or in ``workers`` processes.

    The only place that decides where runs happen: results never depend on it, since
    every task carries its own seed.
    """
    wrap = progress or (lambda it: it)
    if workers <= 1 or len(tasks) <= 1:
        return [run_task(t) for t in wrap(tasks)]
    chunk = max(1, len(tasks) // (workers * 8))
    with ProcessPoolExecutor(max_workers=min(workers, os.cpu_count() or 1),
                             mp_context=_process_context()) as pool:
        return list(wrap(pool.map(run_task, tasks, chunksize=chunk)))


def _process_context() -> multiprocessing.context.BaseContext:
    """A fresh-process start method: forking a threaded parent can deadlock."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def compare(base: Any, alternatives: Sequence[Any] | Any, replications: int = 20,
            seed: int = 0, years: int | None = None, workers: int = 1,
            wtp: Mapping[str, Sequence[float]] | None = None, progress: bool = False
            ) -> Comparison:
    """Run base and alternatives with common random numbers and compare them.

    ``base``/``alternatives``: LoadedScenario, YAML path or mapping (one or a list).
    ``wtp``: willingness to pay (DKK per unit) by effect name for the NMB table
    (default :data:`DEFAULT_WTP`).
    """
    if not isinstance(alternatives, list | tuple):
        alternatives = [alternatives]
    check_options(replications, years, workers)
    scenarios = prepare(base, alternatives, years)
    raws = [(copy.deepcopy(sc.raw), sc.file, scenario_hash(sc.raw)) for sc in scenarios]
    tasks: list[Task] = [(raw, file, k, seed, years, key)
                         for raw, file, key in raws for k in range(replications)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        def bar(it: Iterable) -> Iterable:
            return tqdm(it, total=len(tasks), desc="compare", unit="run")
    results = run_tasks(tasks, workers, bar)
    names = [sc.name for sc in scenarios]
    cmp = assemble(names, results, scenarios[0].params.setting.start_year,
                   scenarios[0].params.costs.currency, wtp or DEFAULT_WTP, seed)
    cmp.scenarios = {sc.name: sc for sc in scenarios}
    cmp.settings = {"replications": replications, "seed": seed, "workers": workers,
                    "years": years or scenarios[0].params.setting.years,
                    "start_year": scenarios[0].params.setting.start_year,
                    "price_year": scenarios[0].params.costs.price_year,
                    "currency": scenarios[0].params.costs.currency,
                    "discount_rate": scenarios[0].params.costs.discount_rate,
                    "wtp": {k: list(v) for k, v in (wtp or DEFAULT_WTP).items()}}
    return cmp


# ---------------------------------------------------------------- tables

def assemble(names: list[str], results: list[dict], start_year: int, currency: str,
             wtp: Mapping[str, Sequence[float]], seed: int = 0) -> Comparison:
    """Build the comparison's tables from task results (in scenario, replication order)."""
    runs = pd.DataFrame([r["summary"] for r in results])
    base, alts = names[0], names[1:]
    diffs = cea.differences(runs, base, alts)
    table = cea.incremental_table(diffs, currency, boot_seed=seed)
    return Comparison(base=base, alternatives=list(alts), runs=runs, differences=diffs,
                      table=table, nmb=cea.nmb_table(diffs, wtp),
                      verdicts=cea.verdict_table(table),
                      yearly=yearly_table(runs, results, start_year),
                      weekly=stock_table(runs, results))


def yearly_table(runs: pd.DataFrame, results: list[dict], start_year: int) -> pd.DataFrame:
    """Mean cost by scenario, year and payer (plain and discounted)."""
    rows = []
    for name, idx in runs.groupby("scenario", sort=False).groups.items():
        plain = np.mean([results[i]["yearly"] for i in idx], axis=0)
        disc = np.mean([results[i]["yearly_discounted"] for i in idx], axis=0)
        for y in range(plain.shape[0]):
            row = {"scenario": name, "year": start_year + y}
            for p, payer in enumerate(PAYERS):
                row[f"cost_{payer}"] = plain[y, p]
            row["cost_total"] = plain[y].sum()
            row["cost_total_discounted"] = disc[y].sum()
            rows.append(row)
    return pd.DataFrame(rows)


def stock_table(runs: pd.DataFrame, results: list[dict]) -> pd.DataFrame:
    """Homeless and housed stock by scenario and week: mean and 2.5-97.5% spread."""
    frames = []
    for name, idx in runs.groupby("scenario", sort=False).groups.items():
        h = np.stack([results[i]["homeless"] for i in idx]).astype(float)
        d = np.stack([results[i]["housed"] for i in idx]).astype(float)
        lo, hi = np.quantile(h, [0.025, 0.975], axis=0)
        frames.append(pd.DataFrame({
            "scenario": name, "week": np.arange(h.shape[1]),
            "year": np.arange(h.shape[1]) / WEEKS_PER_YEAR,
            "homeless_mean": h.mean(axis=0), "homeless_low": lo, "homeless_high": hi,
            "housed_mean": d.mean(axis=0)}))
    return pd.concat(frames, ignore_index=True)
