"""Compare scenarios on cost and effect, with common random numbers.

``compare(base, alternatives, replications=..., seed=...)`` runs every scenario for
the same replications; replication ``k`` of every scenario uses the streams of
``run_seed(seed, k)``, so the paired difference ``alternative - base`` of replication
``k`` is free of most of the chance both runs share. It returns a
:class:`Comparison` of pandas tables; ``Comparison.report(dir)`` writes the tables,
figures and a report a planner can pass on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import cea
from sim.batch.engine import run_many
from sim.batch.runs import RunSpec
from sim.scenario.costs_schema import PAYERS
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.situations import WEEKS_PER_YEAR

#: Default willingness to pay (DKK) per unit of effect for the NMB table. These are
#: assumptions for illustration, not Danish thresholds (none is published for these
#: effects): a homeless day avoided is valued up to about the price of a shelter
#: night; a QALY over a wide range.
DEFAULT_WTP: dict[str, tuple[float, ...]] = {
    "homeless_days_avoided_discounted": (0.0, 250.0, 500.0, 1000.0, 1500.0, 2500.0),
    "qalys_gained_discounted": (0.0, 250_000.0, 500_000.0, 1_000_000.0),
}


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


def prepare(
    base: Any, alternatives: Sequence[Any], years: int | None = None
) -> list[LoadedScenario]:
    """Load and check scenarios for a comparison; raises ScenarioError on bad input.

    The scenarios must share a horizon (unless ``years`` sets one for all), a start
    year, a price year and discount rates, and have distinct names.
    """
    if not alternatives:
        raise ScenarioError("give at least one alternative scenario to compare with the base")
    loaded = [
        s if isinstance(s, LoadedScenario) else load_scenario(s) for s in (base, *alternatives)
    ]
    names = [s.name for s in loaded]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        files = ", ".join(str(s.file or "<mapping>") for s in loaded if s.name in dup)
        raise ScenarioError(
            f"scenario names must differ, '{dup[0]}' is used twice ({files})", path="name"
        )
    first = loaded[0]
    checks = [
        ("setting.start_year", lambda p: p.setting.start_year),
        ("costs.price_year", lambda p: p.costs.price_year),
        ("costs.currency", lambda p: p.costs.currency),
        ("costs.discount_rate", lambda p: p.costs.discount_rate),
        ("costs.long_rate", lambda p: p.costs.long_rate),
        ("costs.long_rate_from", lambda p: p.costs.long_rate_from),
    ]
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
                    file=sc.file,
                    path=path,
                )
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


def comparison_runs(
    scenarios: Sequence[LoadedScenario], replications: int, seed: int, years: int | None
) -> list[RunSpec]:
    """The runs of a comparison: every scenario times replications 0..R-1, in that order.

    Each measures its summary, yearly costs and stock (``measure="compare"``).
    """
    return [
        RunSpec(sc, sc.name, 0, {}, k, seed, years, measure="compare")
        for sc in scenarios
        for k in range(replications)
    ]


def run_results(
    runs: Sequence[RunSpec],
    workers: int = 1,
    scheduler: Any = None,
    progress: bool = False,
    cache: str | Path | None = None,
) -> list[dict]:
    """Run a comparison's runs on the batch engine; one result dict per run, in order.

    Where the runs happen never changes the results, since every run carries its own
    seed. A run that fails stops the comparison with its error (ScenarioError).
    """
    outs = run_many(
        runs, workers=workers, scheduler=scheduler, progress=progress, cache=cache, desc="compare"
    )
    for out in outs:
        if not out.ok:
            err = out.error or {}
            raise ScenarioError(
                f"replication {out.spec.replication} of '{out.spec.name}' "
                f"failed: {err.get('type')}: {err.get('message')}",
                file=out.spec.file,
            )
    return [{"summary": out.summary, **(out.extra or {})} for out in outs]


def compare(
    base: Any,
    alternatives: Sequence[Any] | Any,
    replications: int = 20,
    seed: int = 0,
    years: int | None = None,
    workers: int = 1,
    wtp: Mapping[str, Sequence[float]] | None = None,
    progress: bool = False,
    scheduler: Any = None,
    cache: str | Path | None = None,
) -> Comparison:
    """Run base and alternatives with common random numbers and compare them.

    ``base``/``alternatives``: LoadedScenario, YAML path or mapping (one or a list).
    ``wtp``: willingness to pay (DKK per unit) by effect name for the NMB table
    (default :data:`DEFAULT_WTP`). ``workers``/``scheduler``: where the runs happen
    (this process, local processes or a Dask cluster; the results are the same bit
    for bit). ``cache``: a folder keeping finished runs, so a stopped comparison
    resumes (see :func:`sim.batch.run_many`).
    """
    if not isinstance(alternatives, list | tuple):
        alternatives = [alternatives]
    check_options(replications, years, workers)
    scenarios = prepare(base, alternatives, years)
    runs = comparison_runs(scenarios, replications, seed, years)
    results = run_results(runs, workers, scheduler, progress, cache)
    names = [sc.name for sc in scenarios]
    cmp = assemble(
        names,
        results,
        scenarios[0].params.setting.start_year,
        scenarios[0].params.costs.currency,
        wtp or DEFAULT_WTP,
        seed,
    )
    cmp.scenarios = {sc.name: sc for sc in scenarios}
    cmp.settings = {
        "replications": replications,
        "seed": seed,
        "workers": workers,
        "years": years or scenarios[0].params.setting.years,
        "start_year": scenarios[0].params.setting.start_year,
        "price_year": scenarios[0].params.costs.price_year,
        "currency": scenarios[0].params.costs.currency,
        "discount_rate": scenarios[0].params.costs.discount_rate,
        "wtp": {k: list(v) for k, v in (wtp or DEFAULT_WTP).items()},
    }
    return cmp


# ---------------------------------------------------------------- tables


def assemble(
    names: list[str],
    results: list[dict],
    start_year: int,
    currency: str,
    wtp: Mapping[str, Sequence[float]],
    seed: int = 0,
) -> Comparison:
    """Build the comparison's tables from task results (in scenario, replication order)."""
    runs = pd.DataFrame([r["summary"] for r in results])
    base, alts = names[0], names[1:]
    diffs = cea.differences(runs, base, alts)
    table = cea.incremental_table(diffs, currency, boot_seed=seed)
    return Comparison(
        base=base,
        alternatives=list(alts),
        runs=runs,
        differences=diffs,
        table=table,
        nmb=cea.nmb_table(diffs, wtp),
        verdicts=cea.verdict_table(table),
        yearly=yearly_table(runs, results, start_year),
        weekly=stock_table(runs, results),
    )


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
        frames.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "week": np.arange(h.shape[1]),
                    "year": np.arange(h.shape[1]) / WEEKS_PER_YEAR,
                    "homeless_mean": h.mean(axis=0),
                    "homeless_low": lo,
                    "homeless_high": hi,
                    "housed_mean": d.mean(axis=0),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
