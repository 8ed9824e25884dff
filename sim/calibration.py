"""Calibration: fit free scenario parameters to observed figures.

A *targets file* (YAML) lists observed figures and the parameters that may move::

    name: randers
    targets:
      - measure: pit            # model column pit_<year>: the week-6 count
        year: 2015
        observed: 117
        sd: 12                  # uncertainty of the observed figure (same unit)
        source: "VIVE count 2015 (DOMAIN.md, Municipal counts)"
      - measure: pit_shelter    # share in shelters: pit_shelter_2015 / pit_2015
        divide_by: pit
        year: 2015
        observed: 0.342
        sd: 0.03
      - measure: actively_homeless   # a monthly figure: column actively_homeless_2018-01
        month: 2018-01
        observed: 7958
        sd: 398
      - measure: newly_identified    # a span of months: the sum of the monthly columns
        month: 2018-01
        until: 2018-12
        aggregate: sum               # or mean (a stock: the mean of its month ends)
        observed: 14683
        sd: 1468
    free:
      transitions.high.shelter.own: {low: 0.005, high: 0.05}

A target's model value is the mean over R replications of its column (or of the
per-run ratio of two columns). All parameter sets are run with the same replication
seeds (common random numbers), so differences in fit come from the parameters, not
from noise. The distance minimised is

    D(theta) = sum_i w_i * ((mean_i(theta) - observed_i) / sd_i) ** 2

a sum of squared z-scores (w_i = 1 unless a target gives ``weight``).

Two methods: ``optimize`` (a Latin hypercube over the bounds, then bounded
Nelder-Mead from the best point, within an evaluation budget) and ``abc``
(rejection approximate Bayesian computation: draws from a uniform prior on the
bounds, the closest ``accept`` share kept as the posterior sample, which the
probabilistic sensitivity analysis can use as its parameter draws).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import optimize

from sim.batch.engine import Engine
from sim.batch.frames import replication_frames
from sim.batch.progress import Progress
from sim.data_terms import full_size_factor, is_whole_population_month
from sim.distributions import key_bounds, unit_design
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import (
    LoadedScenario,
    change_key,
    expand_path,
    has_key,
    is_wildcard,
    load_scenario,
    read_yaml,
    set_path,
    unshared_copy,
    value_at,
)
from sim.shipped import locate, reference_to
from sim.simulate import Simulator, simulate
from sim.userfiles import check_entry, entry_list

TARGET_KEYS = frozenset(
    {
        "name",
        "measure",
        "year",
        "month",
        "until",
        "aggregate",
        "column",
        "observed",
        "sd",
        "cv",
        "divide_by",
        "weight",
        "source",
        "note",
    }
)
FREE_KEYS = frozenset({"low", "high", "start", "prior", "note"})
TOP_KEYS = frozenset({"name", "description", "targets", "free", "sd_scale"})
#: How a span of months is made one figure: flows are summed, stocks averaged.
AGGREGATES = ("sum", "mean")
METHODS = ("optimize", "abc")


# ---------------------------------------------------------------- targets files


@dataclass(frozen=True)
class Target:
    """One observed figure: model column (optionally divided by another), value, sd."""

    name: str
    column: str
    observed: float
    sd: float
    divide_by: str | None = None
    year: int | None = None
    weight: float = 1.0
    source: str | None = None
    month: str | None = None  # YYYY-MM for a monthly figure (then year is its year)
    #: The monthly columns a span target aggregates (``month`` .. ``until``), else empty.
    parts: tuple[str, ...] = ()
    aggregate: str = "sum"  # how ``parts`` make the figure: "sum" or "mean"
    measure: str | None = None  # the outcome's name without its period (its series)

    @property
    def series(self) -> str:
        """The series the target belongs to: its measure (or column) and any divisor."""
        base = self.measure or self.column
        return base if self.divide_by is None else f"{base}/{self.divide_by.rsplit('_', 1)[0]}"


@dataclass(frozen=True)
class FreeParameter:
    """A scenario value the calibration may move, within [low, high]."""

    path: str
    low: float
    high: float
    start: float | None = None
    integer: bool = False
    prior: dict | None = None  # a distribution such as {beta: [2, 50]} (ABC-SMC only)

    def value(self, z: float) -> float | int:
        """The parameter at position ``z`` in [0, 1] of its range."""
        x = self.low + float(np.clip(z, 0.0, 1.0)) * (self.high - self.low)
        return round(x) if self.integer else x

    def position(self, x: float) -> float:
        """Return the position in [0, 1] of value ``x`` in the parameter's range."""
        return (x - self.low) / (self.high - self.low)


@dataclass(frozen=True)
class SdScale:
    """An unknown factor on the sds of each series, integrated out of the likelihood.

    The targets file's ``sd`` says how far apart model and figure may be only up to a
    factor ``k_g`` per series ``g`` (a measure such as ``newly_identified``): the
    observed ``y_i`` is ``N(x_i, k_g^2 sd_i^2 / w_i)``, with ``k_g^2`` unknown and given
    an inverse-gamma prior (``shape`` a, ``rate`` b; a = b = 1 by default: median 1.44,
    no finite mean). Integrating ``k_g^2`` out gives the closed form

        log p(y_g | x) = -(a + n_g / 2) log(1 + q_g / (2 b)) + constant

    with ``q_g`` the series' weighted sum of squared z-scores and ``n_g`` its count of
    targets with a positive weight: a Student-t likelihood. A model that misses a
    series by more than its sds say then learns the size of the miss, instead of
    the fit treating each miss as many standard deviations of evidence (see
    docs/uncertainty.md, "Unknown scale").
    """

    shape: float = 1.0
    rate: float = 1.0

    def log_marginal(self, q: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Log likelihood of each series (up to a constant, <= 0) from ``q`` and ``n``."""
        return -(self.shape + 0.5 * n) * np.log1p(np.asarray(q, float) / (2.0 * self.rate))

    def draw_squared(self, q: np.ndarray, n: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draws of ``k_g^2`` from its posterior, inverse-gamma(a + n/2, b + q/2)."""
        shape = self.shape + 0.5 * np.asarray(n, float)
        return (self.rate + 0.5 * np.asarray(q, float)) / rng.gamma(shape)


def series_index(targets: Sequence[Target]) -> tuple[np.ndarray, np.ndarray]:
    """Each target's series number (in order of first appearance) and each series' count.

    The count holds only targets with a positive weight (those that inform the scale).
    """
    names = list(dict.fromkeys(t.series for t in targets))
    idx = np.array([names.index(t.series) for t in targets], dtype=np.int64)
    w = np.array([t.weight > 0 for t in targets], dtype=float)
    return idx, np.bincount(idx, weights=w, minlength=len(names))


def series_sums(z2: np.ndarray, idx: np.ndarray, groups: int) -> np.ndarray:
    """Sums of weighted squared z-scores by series: (..., targets) -> (..., groups)."""
    z2 = np.asarray(z2, float)
    out = np.zeros((*z2.shape[:-1], groups))
    for g in range(groups):
        out[..., g] = z2[..., idx == g].sum(axis=-1)
    return out


@dataclass(frozen=True)
class Targets:
    """A validated targets file."""

    name: str
    targets: tuple[Target, ...]
    free: tuple[FreeParameter, ...]
    file: str | None = None
    description: str = ""
    sd_scale: SdScale | None = None

    def subset(self, names: Sequence[str]) -> Targets:
        """The same file with only the named targets (for out-of-sample checks)."""
        unknown = set(names) - {t.name for t in self.targets}
        if unknown:
            raise ScenarioError(
                f"unknown target(s): {', '.join(sorted(unknown))}", file=self.file, path="targets"
            )
        return Targets(
            self.name,
            tuple(t for t in self.targets if t.name in names),
            self.free,
            self.file,
            self.description,
            self.sd_scale,
        )


def load_targets(source: str | Path | Mapping) -> Targets:
    """Read and validate a targets file (or mapping); errors name file and key path."""
    if isinstance(source, Mapping):
        data, file = dict(source), None
    else:
        file = str(locate(source, "targets"))
        data = read_yaml(Path(file))
    items = entry_list(data, TOP_KEYS, "targets", file)
    targets = tuple(_target(t, i, file) for i, t in enumerate(items))
    names = [t.name for t in targets]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ScenarioError(
            f"target names must be unique; repeated: {', '.join(sorted(dup))}",
            file=file,
            path="targets",
        )
    free = data.get("free") or {}
    if not isinstance(free, dict):
        raise ScenarioError(
            "expected a mapping from dotted key path to {low, high}", file=file, path="free"
        )
    return Targets(
        str(data.get("name", Path(file).stem if file else "targets")),
        targets,
        tuple(_free(path, spec, file) for path, spec in free.items()),
        file,
        str(data.get("description", "")),
        _sd_scale(data.get("sd_scale"), file),
    )


def _sd_scale(spec: Any, file: str | None) -> SdScale | None:
    """The ``sd_scale`` section: absent or false (sds known), true or {shape, rate}."""
    if spec is None or spec is False:
        return None
    if spec is True:
        return SdScale()
    if not isinstance(spec, dict) or set(spec) - {"shape", "rate", "note"}:
        raise ScenarioError(
            "expected true, or a mapping with 'shape' and 'rate' (the inverse-gamma "
            "prior of the squared factor on each series' sds)",
            file=file,
            path="sd_scale",
        )
    for key in ("shape", "rate"):
        x = spec.get(key, 1.0)
        if not _number(x) or x <= 0:
            raise ScenarioError(
                f"expected a positive number, got {x!r}", file=file, path=f"sd_scale.{key}"
            )
    return SdScale(float(spec.get("shape", 1.0)), float(spec.get("rate", 1.0)))


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _target(item: Any, i: int, file: str | None) -> Target:
    where = f"targets[{i}]"
    check_entry(item, where, TARGET_KEYS, "measure, year, observed and sd", file)
    year = item.get("year")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)):
        raise ScenarioError(
            f"expected a year such as 2015, got {year!r}", file=file, path=f"{where}.year"
        )
    month = _month(item, where, file)
    period = month if month is not None else year
    year = int(month[:4]) if month is not None else year
    base = item.get("measure", item.get("column"))
    if not isinstance(base, str) or not base:
        raise ScenarioError(
            "expected the name of a model outcome such as 'pit'",
            file=file,
            path=f"{where}.{'measure' if 'measure' in item else 'column'}",
        )
    column = f"{base}_{period}" if period is not None and "measure" in item else base
    parts, aggregate = _span(item, where, file, base, month)
    if parts:
        column = f"{base}_{month}..{item['until']}"
        year = int(str(item["until"])[:4])
    div = item.get("divide_by")
    if div is not None:
        if not isinstance(div, str):
            raise ScenarioError(
                "expected the name of a model outcome", file=file, path=f"{where}.divide_by"
            )
        div = f"{div}_{period}" if period is not None and "measure" in item else div
    obs, sd = _observed_and_sd(item, where, file)
    weight = item.get("weight", 1.0)
    if not _number(weight) or weight < 0:
        raise ScenarioError(
            f"expected a non-negative number, got {weight!r}", file=file, path=f"{where}.weight"
        )
    name = item.get("name", column if div is None else f"{column}/{div}")
    return Target(
        str(name),
        column,
        obs,
        sd,
        div,
        year,
        float(weight),
        item.get("source"),
        month,
        parts,
        aggregate,
        base if "measure" in item else None,
    )


def _observed_and_sd(item: dict, where: str, file: str | None) -> tuple[float, float]:
    """A target's observed figure and its sd (given, or cv x observed)."""
    obs = item.get("observed")
    if not _number(obs):
        raise ScenarioError(f"expected a number, got {obs!r}", file=file, path=f"{where}.observed")
    if ("sd" in item) == ("cv" in item):
        raise ScenarioError(
            "expected the uncertainty as either 'sd' (same unit as the "
            "figure) or 'cv' (sd / observed)",
            file=file,
            path=where,
        )
    key = "sd" if "sd" in item else "cv"
    if not _number(item[key]) or item[key] <= 0:
        raise ScenarioError(
            f"expected a positive number, got {item[key]!r}", file=file, path=f"{where}.{key}"
        )
    sd = float(item["sd"]) if key == "sd" else float(item["cv"]) * abs(float(obs))
    if sd <= 0:
        raise ScenarioError("a cv needs a non-zero observed figure", file=file, path=f"{where}.cv")
    return float(obs), sd


def _span(
    item: dict, where: str, file: str | None, base: str, month: str | None
) -> tuple[tuple[str, ...], str]:
    """The monthly columns of a span target (``month`` to ``until``) and its aggregate."""
    if "until" not in item:
        if "aggregate" in item:
            raise ScenarioError(
                "'aggregate' needs a span of months: 'month' and 'until'", file=file, path=where
            )
        return (), "sum"
    if month is None or "measure" not in item or "divide_by" in item:
        raise ScenarioError(
            "a span ('until') needs 'measure' and a first 'month', and no 'divide_by'",
            file=file,
            path=where,
        )
    until = _month({"month": item["until"]}, f"{where}.until", file)
    assert until is not None
    months = pd.period_range(month, until, freq="M")
    if len(months) < 1:
        raise ScenarioError(
            f"expected a month from {month} on, got {until}", file=file, path=f"{where}.until"
        )
    aggregate = item.get("aggregate", "sum")
    if aggregate not in AGGREGATES:
        raise ScenarioError(
            f"expected one of {', '.join(AGGREGATES)}, got {aggregate!r}",
            file=file,
            path=f"{where}.aggregate",
        )
    return tuple(f"{base}_{m}" for m in months.strftime("%Y-%m")), str(aggregate)


def _month(item: dict, where: str, file: str | None) -> str | None:
    """A target's ``month`` as ``YYYY-MM`` (a monthly figure), or None."""
    if "month" not in item:
        return None
    if "year" in item:
        raise ScenarioError("expected either 'year' or 'month', not both", file=file, path=where)
    text = item["month"]
    if isinstance(text, dt.date):
        text = f"{text:%Y-%m}"
    if not (
        isinstance(text, str)
        and len(text) == 7
        and text[4] == "-"
        and text[:4].isdigit()
        and text[5:].isdigit()
        and 1 <= int(text[5:]) <= 12
    ):
        raise ScenarioError(
            f"expected a month YYYY-MM such as 2018-01, got {text!r}",
            file=file,
            path=where if where.endswith(".until") else f"{where}.month",
        )
    return text


def _free(path: Any, spec: Any, file: str | None) -> FreeParameter:  # noqa: C901 - one check per key of a free parameter, kept together
    where = f"free.{path}"
    if not isinstance(spec, dict):
        raise ScenarioError("expected {low: ..., high: ...}", file=file, path=where)
    for key in spec:
        if key not in FREE_KEYS:
            raise ScenarioError(
                f"unknown key '{key}' (known keys: {', '.join(sorted(FREE_KEYS))})",
                file=file,
                path=f"{where}.{key}",
            )
    for key in ("low", "high"):
        if not _number(spec.get(key)):
            raise ScenarioError(
                f"expected a number, got {spec.get(key)!r}", file=file, path=f"{where}.{key}"
            )
    if spec["high"] <= spec["low"]:
        raise ScenarioError("expected low < high", file=file, path=where)
    inner = change_key(str(path))
    bounds = key_bounds(str(path) if inner is None else inner[1])
    if bounds is None:
        raise ScenarioError("not a numeric scenario key", file=file, path=where)
    if (bounds.ge is not None and spec["low"] < bounds.ge) or (
        bounds.le is not None and spec["high"] > bounds.le
    ):
        raise ScenarioError(
            f"range [{spec['low']}, {spec['high']}] goes outside what the key "
            f"allows [{bounds.ge}, {bounds.le}]",
            file=file,
            path=where,
        )
    start = spec.get("start")
    if start is not None and (not _number(start) or not spec["low"] <= start <= spec["high"]):
        raise ScenarioError(
            "expected a start value inside [low, high]", file=file, path=f"{where}.start"
        )
    prior = spec.get("prior")
    if prior is not None and not isinstance(prior, dict):
        raise ScenarioError(
            "expected a distribution such as {beta: [2, 50]}", file=file, path=f"{where}.prior"
        )
    return FreeParameter(
        str(path),
        float(spec["low"]),
        float(spec["high"]),
        None if start is None else float(start),
        bounds.integer,
        prior,
    )


# ---------------------------------------------------------------- model values and distance


def target_values(
    frame: pd.DataFrame, targets: Sequence[Target], scale: float = 1.0
) -> pd.DataFrame:
    """Per-run model values of each target (rows: runs, columns: target names).

    Counts are per full size: a run at ``setting.scale`` ``scale`` has its count
    columns divided by ``scale`` (:func:`sim.data_terms.full_size_factor`), so targets
    are the place's own figures at any scale; a share of two counts is unchanged.

    Raises ScenarioError naming the first target outcome the runs do not give.
    """
    missing = [
        c
        for t in targets
        for c in (t.parts or (t.column,)) + (t.divide_by,)
        if c is not None and c not in frame
    ]
    if missing:
        raise ScenarioError(
            f"the model gives no outcome '{missing[0]}' (it gives e.g. "
            f"{', '.join(list(frame.columns)[5:12])}, ...)",
            path="targets",
        )
    out = {}
    for t in targets:
        if t.parts:
            block = frame[list(t.parts)].to_numpy(float)
            x = block.sum(axis=1) if t.aggregate == "sum" else block.mean(axis=1)
            x = x * full_size_factor(t.parts[0], scale)
            out[t.name] = x
            continue
        x = frame[t.column].to_numpy(float) * full_size_factor(t.column, scale)
        if t.divide_by is not None:
            d = frame[t.divide_by].to_numpy(float) * full_size_factor(t.divide_by, scale)
            x = np.divide(x, d, out=np.full_like(x, np.nan), where=d != 0)
        out[t.name] = x
    return pd.DataFrame(out)


def run_measure(targets: Sequence[Target]) -> str:
    """Return what the runs must give for ``targets``: ``data``, ``monthly`` or ``rows``.

    ``data`` when every target is a month or a span of the whole population's series
    (the run's monthly table gives them all, and nothing else is computed);
    ``monthly`` when some target is a month and others need more; else ``rows``.
    """
    months = [t.month is not None for t in targets]
    if not any(months):
        return "rows"
    whole = all(
        is_whole_population_month(c)
        for t in targets
        for c in (t.parts or (t.column,)) + ((t.divide_by,) if t.divide_by else ())
    )
    return "data" if all(months) and whole else "monthly"


def weighted_z2(values: np.ndarray, targets: Sequence[Target]) -> np.ndarray:
    """Weighted squared z-scores ``w_i ((x_i - y_i) / sd_i)^2`` of values (..., targets)."""
    obs = np.array([t.observed for t in targets])
    sd = np.array([t.sd for t in targets])
    w = np.array([t.weight for t in targets])
    return w * ((np.asarray(values, float) - obs) / sd) ** 2


def distance(
    means: np.ndarray, targets: Sequence[Target], sd_scale: SdScale | None = None
) -> float:
    """Sum of weighted squared z-scores of the model means against the observed.

    With ``sd_scale`` it is ``-2`` times the log likelihood with each series' scale
    integrated out (:class:`SdScale`), so that the optimiser and the posterior fit
    agree on what fits best.
    """
    z2 = weighted_z2(means, targets)
    if not np.all(np.isfinite(z2)):
        return math.inf
    if sd_scale is None:
        return float(np.sum(z2))
    idx, n = series_index(targets)
    return float(-2.0 * np.sum(sd_scale.log_marginal(series_sums(z2, idx, len(n)), n)))


def usable_targets(
    loaded: LoadedScenario | str | Path | Mapping, targets: Targets, years: int | None = None
) -> tuple[list[Target], list[Target]]:
    """Targets the run can produce, and those dated outside the run (left out).

    Raises ScenarioError if nothing is left.
    """
    loaded = load_scenario(loaded)
    start = loaded.params.setting.start_year
    end = start + (years or loaded.params.setting.years) - 1
    used, outside = [], []
    for t in targets.targets:
        (outside if t.year is not None and not start <= t.year <= end else used).append(t)
    if not used:
        raise ScenarioError(
            f"no target falls inside the run ({start}-{end})", file=targets.file, path="targets"
        )
    return used, outside


def check_free(loaded: LoadedScenario, targets: Targets) -> None:
    """Every free parameter must be a value the scenario holds (no new keys)."""
    for p in targets.free:
        if not has_key(loaded.raw, p.path):
            raise ScenarioError(
                f"the scenario has no value at '{p.path}' ({loaded.file or loaded.name})",
                file=targets.file,
                path=f"free.{p.path}",
            )
    if not targets.free:
        raise ScenarioError("expected at least one free parameter", file=targets.file, path="free")


@dataclass
class Objective:
    """The distance as a function of positions z in [0, 1]^d, with a record of calls.

    Runs go to ``engine`` (the batch engine: serial, local processes or Dask; None
    runs serially here); :meth:`evaluate_many` hands a whole design to it at once.
    """

    loaded: LoadedScenario
    targets: list[Target]
    free: tuple[FreeParameter, ...]
    replications: int = 4
    seed: int = 0
    years: int | None = None
    simulator: Simulator = simulate
    trace: list[dict] = field(default_factory=list)
    _cache: dict = field(default_factory=dict)
    engine: Engine | None = None
    progress: bool | Progress | None = None
    measure: str = "rows"
    sd_scale: SdScale | None = None

    def overrides(self, z: Sequence[float]) -> dict[str, float | int]:
        """Return the scenario overrides at z: each free parameter's value by dotted path."""
        return {p.path: p.value(v) for p, v in zip(self.free, z, strict=True)}

    def scenario(self, z: Sequence[float]) -> LoadedScenario | None:
        """The scenario at z, or None if the parameters make no valid scenario."""
        try:
            return self.loaded.with_overrides(self.overrides(z))
        except ScenarioError:
            return None

    def run(self, z: Sequence[float]) -> pd.DataFrame | None:
        """Per-run target values at z, or None if the parameters make no valid scenario."""
        return self.run_many([z])[0]

    def run_many(self, zs: Sequence[Sequence[float]]) -> list[pd.DataFrame | None]:
        """Return per-run target values at each z (None where z makes no valid scenario).

        All runs are handed to the engine together.
        """
        scenarios = [self.scenario(z) for z in zs]
        valid = [sc for sc in scenarios if sc is not None]
        frames = iter(
            replication_frames(
                [(sc, range(self.replications), self.seed, self.years) for sc in valid],
                self.engine,
                self.simulator,
                self.progress,
                desc="calibrate",
                measure=self.measure,
            )
        )
        return [None if sc is None else self._values(next(frames)) for sc in scenarios]

    def _values(self, frame: pd.DataFrame) -> pd.DataFrame:
        return target_values(frame, self.targets, self.loaded.params.setting.scale)

    def __call__(self, z: Sequence[float]) -> float:
        """Return the distance at z."""
        return self.evaluate_many([z])[0]

    def evaluate_many(self, zs: Sequence[Sequence[float]]) -> list[float]:
        """Return the distance at each z, as calling the objective on each in turn would give.

        Same values, same trace, with the new points' runs handed over at once.
        """
        keys = [tuple(self.overrides(z).values()) for z in zs]
        new: dict[tuple, Sequence[float]] = {}
        for key, z in zip(keys, zs, strict=True):
            if key not in self._cache:
                new.setdefault(key, z)
        values = self.run_many(list(new.values()))
        for (key, z), vals in zip(new.items(), values, strict=True):
            d = (
                math.inf
                if vals is None
                else distance(vals.mean().to_numpy(), self.targets, self.sd_scale)
            )
            self._cache[key] = d
            self.trace.append({**self.overrides(z), "distance": d})
        return [self._cache[key] for key in keys]


# ---------------------------------------------------------------- fitting


@dataclass
class Fit:
    """The result of a calibration."""

    values: dict[str, float | int]
    distance: float
    table: pd.DataFrame  # per target: observed, sd, mean, low, high, z
    trace: pd.DataFrame  # every evaluation: parameters and distance
    method: str
    evaluations: int
    seconds: float
    posterior: pd.DataFrame | None = None
    left_out: list[str] = field(default_factory=list)

    def statistics(self) -> dict[str, Any]:
        """Fit statistics: distance, RMSE of z, mean absolute relative error, coverage."""
        t = self.table
        z = t["z"].to_numpy()
        rel = np.abs(t["mean"] - t["observed"]) / np.abs(t["observed"]).replace(0, np.nan)
        inside = (t["observed"] >= t["low"]) & (t["observed"] <= t["high"])
        return {
            "distance": self.distance,
            "targets": len(t),
            "rmse_z": float(np.sqrt(np.mean(z**2))),
            "max_abs_z": float(np.max(np.abs(z))),
            "mean_abs_rel_error": float(rel.mean()),
            "observed_inside_95_interval": float(inside.mean()),
            "method": self.method,
            "evaluations": self.evaluations,
            "seconds": round(self.seconds, 1),
            "values": self.values,
            "left_out": self.left_out,
        }


def calibrate(
    loaded: LoadedScenario | str | Path | Mapping,
    targets: Targets | str | Path,
    method: str = "optimize",
    replications: int = 4,
    seed: int = 0,
    years: int | None = None,
    budget: int = 60,
    draws: int = 200,
    accept: float = 0.1,
    simulator: Simulator = simulate,
    progress: bool = False,
    workers: int = 1,
    scheduler: Any = None,
    cache: str | Path | None = None,
    run_progress: bool | Progress | None = None,
) -> Fit:
    """Fit the free parameters of ``loaded`` to ``targets``.

    ``budget`` caps model evaluations of ``optimize`` (each is R replications);
    ``draws`` and ``accept`` set the prior sample size and kept share of ``abc``.
    ``progress`` prints a line per stage; ``run_progress`` shows runs done.
    The runs go to the batch engine (``workers`` local processes or the Dask cluster
    at ``scheduler``; the fit is the same bit for bit); ``cache`` keeps finished runs,
    so a stopped calibration resumes (it plans the same evaluations again).
    The scenario may be loaded, a path, a shipped name or a mapping; the targets loaded,
    a path or a shipped name.
    """
    loaded = load_scenario(loaded)
    targets = targets if isinstance(targets, Targets) else load_targets(targets)
    if method not in METHODS:
        raise ScenarioError(f"expected a method in {', '.join(METHODS)}, got '{method}'")
    if replications < 1 or budget < 2 or draws < 2 or not 0 < accept <= 1:
        raise ScenarioError(
            "expected replications >= 1, budget >= 2, draws >= 2 and 0 < accept <= 1"
        )
    check_free(loaded, targets)
    used, outside = usable_targets(loaded, targets, years)
    t0 = time.perf_counter()
    posterior = None
    with Engine(workers, scheduler, cache=cache) as engine:
        obj = Objective(
            loaded,
            used,
            targets.free,
            replications,
            seed,
            years,
            simulator,
            engine=engine,
            progress=run_progress,
            measure=run_measure(used),
            sd_scale=targets.sd_scale,
        )
        if method == "optimize":
            z = _optimize(obj, loaded, budget, seed, progress)
        else:
            z, posterior = _abc(obj, draws, accept, seed, progress)
        values = obj.overrides(z)
        table = fit_table(obj, z)
        best = obj(z)
    return Fit(
        values,
        best,
        table,
        pd.DataFrame(obj.trace),
        method,
        len(obj.trace),
        time.perf_counter() - t0,
        posterior,
        [t.name for t in outside],
    )


def _start(obj: Objective, loaded: LoadedScenario) -> np.ndarray:
    """Start at the given start values, else the scenario's own values (clipped)."""
    out = []
    for p in obj.free:
        x = p.start
        if x is None:
            x = value_at(loaded.raw, p.path)
        out.append(float(np.clip(p.position(float(x)), 0, 1)))
    return np.array(out)


def _optimize(
    obj: Objective, loaded: LoadedScenario, budget: int, seed: int, progress: bool
) -> np.ndarray:
    """A space-filling start (about a third of the budget), then bounded Nelder-Mead."""
    d = len(obj.free)
    n0 = min(max(2 * d + 2, budget // 3), budget - 1)
    design = np.vstack([_start(obj, loaded), unit_design(d, n0 - 1, "lhs", seed)])
    scores = obj.evaluate_many(list(design))
    _say(progress, f"design: best distance {min(scores):.4g} of {len(scores)} points")
    best = design[int(np.argmin(scores))]
    remaining = budget - len(obj.trace)
    if remaining > d + 1:
        step = 0.15
        simplex = [best] + [
            np.clip(best + step * np.eye(d)[i] * (1 if best[i] < 0.5 else -1), 0, 1)
            for i in range(d)
        ]
        res = optimize.minimize(
            obj,
            best,
            method="Nelder-Mead",
            bounds=[(0, 1)] * d,
            options={"maxfev": remaining, "initial_simplex": simplex, "xatol": 1e-3, "fatol": 1e-3},
        )
        _say(progress, f"Nelder-Mead: distance {res.fun:.4g} after {res.nfev} evaluations")
    trace = obj.trace
    best_row = min(trace, key=lambda r: r["distance"])
    return np.array([p.position(best_row[p.path]) for p in obj.free])


def _abc(
    obj: Objective, draws: int, accept: float, seed: int, progress: bool
) -> tuple[np.ndarray, pd.DataFrame]:
    """Rejection ABC with a uniform prior on the bounds; keeps the closest draws."""
    design = unit_design(len(obj.free), draws, "lhs", seed)
    dist = np.array(obj.evaluate_many(list(design)))
    keep = max(1, round(accept * draws))
    order = np.argsort(dist, kind="stable")[:keep]
    rows = [
        {**obj.overrides(design[i]), "distance": dist[i]} for i in order if np.isfinite(dist[i])
    ]
    if not rows:
        raise ScenarioError(
            "no parameter draw gave a valid scenario; check the bounds in 'free'",
            file=None,
            path="free",
        )
    posterior = pd.DataFrame(rows)
    posterior.insert(0, "draw", range(len(posterior)))
    _say(
        progress,
        f"ABC: kept {len(posterior)} of {draws} draws, distance <= "
        f"{posterior['distance'].max():.4g}",
    )
    return design[order[0]], posterior


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, flush=True)


def fit_table(obj: Objective, z: Sequence[float]) -> pd.DataFrame:
    """Observed against simulated (mean and 2.5-97.5% over runs) for each target."""
    vals = obj.run(z)
    if vals is None:
        raise ScenarioError("the fitted parameters make an invalid scenario", path="free")
    rows = []
    for t in obj.targets:
        x = vals[t.name]
        rows.append(
            {
                "target": t.name,
                "year": t.year,
                "observed": t.observed,
                "sd": t.sd,
                "mean": float(x.mean()),
                "low": float(x.quantile(0.025)),
                "high": float(x.quantile(0.975)),
                "z": (float(x.mean()) - t.observed) / t.sd,
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- out of sample


def out_of_sample(
    loaded: LoadedScenario | str | Path | Mapping,
    targets: Targets | str | Path,
    fit_on: Sequence[str],
    **kwargs: Any,
) -> tuple[Fit, pd.DataFrame]:
    """Fit to the targets named in ``fit_on``; predict the others.

    Returns the fit and a table of held-out targets: observed, predicted mean, 95%
    interval over runs, z-score and absolute and relative error.
    """
    targets = targets if isinstance(targets, Targets) else load_targets(targets)
    fit = calibrate(loaded, targets.subset(fit_on), **kwargs)
    rest = [t for t in targets.targets if t.name not in set(fit_on)]
    if not rest:
        raise ScenarioError(
            "every target was used for fitting; none is left to predict",
            file=targets.file,
            path="targets",
        )
    used, _ = usable_targets(
        loaded, Targets(targets.name, tuple(rest), targets.free, targets.file), kwargs.get("years")
    )
    with Engine(
        kwargs.get("workers", 1), kwargs.get("scheduler"), cache=kwargs.get("cache")
    ) as engine:
        obj = Objective(
            loaded,
            used,
            targets.free,
            kwargs.get("replications", 4),
            kwargs.get("seed", 0),
            kwargs.get("years"),
            kwargs.get("simulator", simulate),
            engine=engine,
        )
        z = [p.position(fit.values[p.path]) for p in targets.free]
        table = fit_table(obj, z)
    table["abs_error"] = (table["mean"] - table["observed"]).abs()
    table["rel_error"] = table["abs_error"] / table["observed"].abs()
    return fit, table


# ---------------------------------------------------------------- writing the fitted scenario


def fitted_scenario_yaml(
    loaded: LoadedScenario, targets: Targets, fit: Fit, out_path: Path, name: str | None = None
) -> str:
    """YAML of a scenario that ``extends`` the original and overrides the fitted values."""
    if loaded.file is None:
        raise ScenarioError("the scenario must come from a file to be extended")
    rel = reference_to(Path(loaded.file), Path(out_path).parent)
    today = dt.date.today().isoformat()
    used = targets_in_words(list(fit.table["target"]))
    tfile = targets.file or targets.name
    doc: dict[str, Any] = {
        "name": name or f"{loaded.name.removesuffix('_baseline')}_calibrated",
        "description": f"{loaded.name} with {len(fit.values)} parameter(s) calibrated to "
        f"{tfile} ({fit.method}, distance {fit.distance:.3g}, {today}).",
        "extends": rel,
    }
    for p in targets.free:
        v = fit.values[p.path]
        if change_key(p.path) is not None and "changes" not in doc:
            doc["changes"] = unshared_copy(loaded.raw["changes"])  # a list: given whole
        for each in expand_path(loaded.raw, p.path, file=targets.file):
            set_path(doc, each, _fitted_leaf(v, p, today, tfile, used, fit.method))
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


#: How the source of a value written by a fit begins.
FITTED_SOURCE = "calibrated by 'homesim calibrate'"


def _fitted_leaf(
    v: float | int, p: FreeParameter, today: str, tfile: str, used: str, method: str
) -> dict[str, Any]:
    """A fitted value as a parameter leaf, with where it came from."""
    tied = f"; one value for every key matching {p.path}" if is_wildcard(p.path) else ""
    return {
        "value": _plain(v),
        "source": f"{FITTED_SOURCE} on {today} to {tfile} ({used}); "
        f"method {method}, search range [{_plain(p.low)}, {_plain(p.high)}]{tied}",
        "low": _plain(p.low),
        "high": _plain(p.high),
    }


def targets_in_words(names: Sequence[str], most: int = 12) -> str:
    """Return the targets a fit used, by name.

    A long list (monthly series) is told by its count, first and last name, so that a
    source stays readable.
    """
    if len(names) <= most:
        return ", ".join(names)
    return f"{len(names)} targets, {names[0]} ... {names[-1]}"


def _plain(x: float | int) -> float | int:
    if isinstance(x, int | np.integer):
        return int(x)
    return float(f"{float(x):.6g}")
