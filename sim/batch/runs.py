"""One run of a batch: what to run (:class:`RunSpec`) and running it (:func:`simulate`).

A :class:`RunSpec` is small and picklable: the scenario travels as its raw mapping
(the merged YAML as run) plus dotted-path overrides, and the worker rebuilds and
validates the scenario itself. A run that raises comes back as an error record, not
an exception, so one bad sweep point never stops a batch.
"""

from __future__ import annotations

import copy
import json
import os
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.costs import run_costs
from sim.data_terms import monthly_columns
from sim.model import HomelessnessModel
from sim.outcomes import weekly_table
from sim.results_io import plain
from sim.runner import run_once
from sim.scenario.loader import LoadedScenario, from_raw, scenario_hash, set_path
from sim.simulate import pit_by_situation
from sim.situations import HOMELESS_MASK, HOUSED_MASK
from sim.streams import run_seed

#: What a run gives back (see :func:`simulate`): ``batch``: the summary row with the
#: point's key and override columns, and the weekly counts by situation; ``rows``:
#: the summary row plus the point-in-time count by situation (``pit_<situation>_<year>``,
#: what :func:`sim.simulate.simulate` gives); ``compare``: the summary row plus, in
#: ``extra``, the yearly costs by payer and the homeless and housed stock by week;
#: ``plan``: the ``rows`` row plus the yearly costs by payer (``yearly_<payer>_<year>``,
#: undiscounted), what ``homesim plan`` reads; ``monthly``: the ``rows`` row plus the
#: run's monthly table in the data's terms as ``<measure>_<YYYY-MM>`` columns
#: (:func:`sim.data_terms.monthly_columns`), what a fit to monthly targets reads;
#: ``series``: the ``monthly`` row plus, in ``extra``, the weekly counts by situation,
#: what ``homesim forecast`` reads; ``data``: the counts' outcomes (no shelter-use
#: measures) and the whole population's monthly columns (no chronic group), all that a
#: fit to the data's monthly series of everyone reads, at about 70% of a ``monthly``
#: run's time.
MEASURES: tuple[str, ...] = ("batch", "rows", "compare", "plan", "monthly", "series", "data")

#: How replications draw their random numbers (see :meth:`RunSpec.stream_key`).
SeedMode = Literal["common", "independent"]
SEED_MODES: tuple[str, ...] = ("common", "independent")


def seed_derivation(mode: str) -> str:
    """How a run's seed derives from the root seed, in words for the manifest."""
    if mode == "independent":
        return "SeedSequence(root, spawn_key=(point, replication))"
    return "SeedSequence(root, spawn_key=(replication,)): common random numbers"


#: Identity of a run within a batch: (scenario name, point index, replication).
RunKey = tuple[str, int, int]


@dataclass(frozen=True, eq=True)
class RunSpec:
    """Everything one run needs, and nothing that depends on where it runs.

    Args:
        scenario: the scenario as a raw mapping (``LoadedScenario.raw``) before
            ``overrides``; a :class:`LoadedScenario` is accepted and stored as its raw.
        name: scenario name used in tables and in the results store.
        point: index of the scenario point (a combination of overrides) in the batch.
        overrides: dotted-path overrides of this point, applied by the worker.
        replication: replication index ``k``.
        seed: root seed of the batch.
        years: horizon in years (None: the scenario's own ``setting.years``).
        seeds: ``"common"``: streams from ``run_seed(seed, k)``, so replication ``k``
            of every scenario and point shares its random numbers (common random
            numbers); ``"independent"``: ``run_seed(seed, point, k)``.
        file: the scenario's file, for error messages.
        measure: what the run gives back, one of :data:`MEASURES`.
    """

    scenario: Mapping[str, Any]
    name: str
    point: int = 0
    overrides: Mapping[str, Any] = field(default_factory=dict)
    replication: int = 0
    seed: int = 0
    years: int | None = None
    seeds: SeedMode = "common"
    file: str | None = None
    measure: str = "batch"

    def __post_init__(self) -> None:
        if isinstance(self.scenario, LoadedScenario):
            if self.file is None:
                object.__setattr__(self, "file", self.scenario.file)
            object.__setattr__(self, "scenario", self.scenario.raw)
        if self.seeds not in SEED_MODES:
            raise ValueError(f"seeds must be one of {SEED_MODES}, got {self.seeds!r}")
        if self.measure not in MEASURES:
            raise ValueError(f"measure must be one of {MEASURES}, got {self.measure!r}")

    @property
    def key(self) -> RunKey:
        """The run's key in a results store: (scenario name, point, replication)."""
        return (self.name, int(self.point), int(self.replication))

    @property
    def stream_key(self) -> tuple[int, ...]:
        """The spawn key under the root seed: never worker count or order."""
        if self.seeds == "independent":
            return (int(self.point), int(self.replication))
        return (int(self.replication),)

    def loaded(self) -> LoadedScenario:
        """The scenario with this point's overrides, validated (raises ScenarioError).

        Replications of one point share the validated scenario: a worker validates it
        once (cached by the scenario's hash, its overrides and name) instead of per run.
        """
        key = (
            scenario_hash(self.scenario),
            repr(sorted(self.overrides.items())),
            self.name,
            self.file,
        )
        cached = _LOADED.get(key)
        if cached is None:
            raw = copy.deepcopy(dict(self.scenario))
            for path, value in self.overrides.items():
                set_path(raw, path, value, file=self.file)
            raw["name"] = self.name
            cached = from_raw(raw, file=self.file)
            if len(_LOADED) >= 64:
                _LOADED.clear()
            _LOADED[key] = cached
        return cached


#: Validated scenarios of recent points, per worker process (see ``RunSpec.loaded``).
_LOADED: dict[tuple, LoadedScenario] = {}


@dataclass
class RunOutput:
    """What a run gives back: a summary row and weekly counts by situation, or an error.

    ``extra`` holds what a ``compare`` run adds to its summary (plain lists).
    ``rss`` is the resident memory (bytes) of the process that ran it, ``worker``
    that process's id and ``seconds`` the time the run took there: benchmarks use
    them to check that a worker's memory stays flat and to measure the overhead of
    an executor (wall time not spent running).
    """

    spec: RunSpec
    summary: dict[str, Any] | None = None
    weekly: pd.DataFrame | None = None
    error: dict[str, str] | None = None
    extra: dict[str, Any] | None = None
    rss: int = 0
    worker: int = field(default_factory=os.getpid)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the run finished without an error."""
        return self.error is None


def simulate(spec: RunSpec, weekly: bool = True) -> RunOutput:
    """Run one spec; exceptions become ``RunOutput.error`` (type, message, traceback)."""
    start = time.perf_counter()
    try:
        if spec.measure != "batch":
            row, extra = _measured(spec)
            return RunOutput(
                spec,
                summary=row,
                extra=extra,
                rss=current_rss(),
                seconds=time.perf_counter() - start,
            )
        summary, table = _run(spec)
    except Exception as exc:  # one failed run is recorded, not raised
        err = {"type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}
        return RunOutput(spec, error=err, rss=current_rss(), seconds=time.perf_counter() - start)
    row = {
        "scenario": spec.name,
        "point": int(spec.point),
        "replication": int(spec.replication),
        "seed": int(spec.seed),
        **_point_columns(spec),
    }
    row.update({k: v for k, v in summary.items() if k not in row})
    table = _tidy_weekly(spec, table) if weekly else None
    return RunOutput(
        spec, summary=row, weekly=table, rss=current_rss(), seconds=time.perf_counter() - start
    )


def _run(spec: RunSpec) -> tuple[dict[str, Any], pd.DataFrame]:
    sc = spec.loaded()
    if spec.seeds == "common":
        res = run_once(sc, spec.replication, spec.seed, spec.years)
        return res.summary, res.weekly
    model = HomelessnessModel(sc, rng=run_seed(spec.seed, *spec.stream_key), years=spec.years)
    model.run()
    summary = {
        "scenario": sc.name,
        "replication": spec.replication,
        "seed": spec.seed,
        **model.summary(),
    }
    return summary, weekly_table(model.recorder, model.params.setting.start_year)


def _measured(spec: RunSpec) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The summary row (and extra tables) of a ``rows`` or ``compare`` run as plain JSON.

    Plain JSON values, so that a row read back from the run cache is the same bit for bit.
    """
    if spec.seeds != "common":
        raise ValueError(f"measure {spec.measure!r} runs with common seeds only")
    sc = spec.loaded()
    if spec.measure in ("rows", "plan", "monthly", "series", "data"):
        monthly = spec.measure in ("monthly", "series", "data")
        res = run_once(
            sc,
            spec.replication,
            spec.seed,
            spec.years,
            detail=False,
            keep_model=spec.measure == "plan",
            monthly=monthly,
            measures=spec.measure not in ("plan", "data"),  # the counts and costs only
            chronic=spec.measure != "data",
        )
        row = dict(res.summary)
        row.update(
            pit_by_situation(res.weekly, sc.params.setting.start_year, sc.params.setting.pit_week)
        )
        if spec.measure == "plan":
            row.update(yearly_costs(res.model))
        if monthly:
            row.update(monthly_columns(res.monthly, sc.params.setting.scale))
        extra = weekly_situations(res.weekly) if spec.measure == "series" else None
        return plain(row), None if extra is None else plain(extra)
    res = run_once(sc, spec.replication, spec.seed, spec.years, detail=False, keep_model=True)
    model = res.model
    rc = run_costs(model)
    tot = model.recorder.counts[: model.week + 1].sum(axis=(2, 3))
    extra = {
        "yearly": rc.yearly(False),
        "yearly_discounted": rc.yearly(True),
        "homeless": tot[:, HOMELESS_MASK].sum(axis=1),
        "housed": tot[:, HOUSED_MASK].sum(axis=1),
    }
    return plain(res.summary), plain(extra)


def weekly_situations(weekly: pd.DataFrame) -> dict[str, list]:
    """Weekly counts by situation (persons) as plain lists ``week``, ``situation``, ``count``."""
    return {
        "week": weekly["week"].astype(int).tolist(),
        "situation": weekly["situation"].astype(str).tolist(),
        "count": weekly["count"].astype(float).tolist(),
    }


def yearly_costs(model: HomelessnessModel) -> dict[str, float]:
    """Cost by payer and calendar year (undiscounted): ``yearly_<payer>_<year>``."""
    from sim.scenario.costs_schema import PAYERS

    yearly = run_costs(model).yearly(False)
    start = model.params.setting.start_year
    return {
        f"yearly_{payer}_{start + y}": float(yearly[y, p])
        for y in range(yearly.shape[0])
        for p, payer in enumerate(PAYERS)
    }


def _point_columns(spec: RunSpec) -> dict[str, Any]:
    """Override values as summary columns named by their dotted path."""
    return {path: _plain(v) for path, v in spec.overrides.items()}


def _plain(value: Any) -> Any:
    """A JSON- and table-friendly form of an override value."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _tidy_weekly(spec: RunSpec, table: pd.DataFrame) -> pd.DataFrame:
    """Weekly counts by situation, needs and age band, with the run's key columns in front.

    The same columns as ``homesim run`` writes.
    """
    out = table[["week", "year", "situation", "needs", "age_band", "count"]].copy()
    out.insert(0, "replication", np.int32(spec.replication))
    out.insert(0, "point", np.int32(spec.point))
    out.insert(0, "scenario", spec.name)
    return out


def current_rss() -> int:
    """Resident memory of this process in bytes (0 where /proc is unavailable)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")
