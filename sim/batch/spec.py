"""Batch files: scenarios, sweeps over dotted paths, replications, seeds, outputs.

A batch file is YAML::

    name: starter-homes            # optional (default: the file's name)
    scenarios:                     # files relative to this file, or inline scenarios
      - ../randers_baseline.yaml
      - file: ../randers_baseline.yaml
        name: housing-first        # label in tables (default: the scenario's name)
        set: {policies.pathway: housing_first}    # fixed overrides of this entry
    sweep:                         # a grid: every combination of the values
      places.starter.capacity: [24, 48]
      housing.assignments_per_week: [1, 2, 4]
    # or a list of points, run as given:
    # sweep:
    #   - {places.starter.capacity: 24, housing.assignments_per_week: 1}
    #   - {places.starter.capacity: 48}
    replications: 20
    seed: 0                        # the one root seed
    seeds: common                  # or independent (see below)
    years: 10                      # optional: horizon of every run
    outputs: {weekly: true}        # weekly counts by situation (else summaries only)

A scenario entry may carry its own ``sweep``, which replaces the batch's for it. The
points of all entries are numbered 0, 1, 2... in file order (the ``point`` index).

Seeds: with ``seeds: common`` (the default) replication ``k`` of every scenario and
every point uses ``run_seed(seed, k)``: the same random numbers, so that differences
between scenarios and points are not blurred by chance (common random numbers).
``seeds: independent`` uses ``run_seed(seed, point, k)`` instead.

Validation follows the scenario loader: errors name the batch file and the key
path. Every point is checked by applying its overrides to the scenario
(:meth:`LoadedScenario.with_overrides`). A dotted path that does not exist stops the
batch before anything runs; a value the scenario rejects (say, a negative capacity)
only fails the runs of that point, which are recorded as failed while the others go on.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.batch.runs import SEED_MODES, RunSpec, seed_derivation
from sim.batch.store import slug
from sim.results_io import manifest as make_manifest
from sim.scenario.errors import ScenarioError
from sim.scenario.fields import MAX_REPLICATIONS, MAX_SEED, bounds
from sim.scenario.loader import NO_MATCH, LoadedScenario, load_scenario, number_hint, read_yaml
from sim.scenario.schema import Setting
from sim.shipped import locate, locate_near

TOP_KEYS = (
    "name",
    "description",
    "scenarios",
    "sweep",
    "replications",
    "seed",
    "seeds",
    "years",
    "outputs",
)
ENTRY_KEYS = ("file", "scenario", "name", "set", "sweep")
OUTPUT_KEYS = ("weekly",)


@dataclass(frozen=True)
class Point:
    """One combination of sweep values for one scenario entry."""

    index: int
    scenario: str
    overrides: dict[str, Any]
    error: str | None = None  # why the scenario rejects these values, if it does


@dataclass(frozen=True)
class Entry:
    """A scenario of the batch (its fixed overrides applied) and its points."""

    name: str
    scenario: LoadedScenario
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Batch:
    """A validated batch file."""

    name: str
    file: str | None
    entries: tuple[Entry, ...]
    replications: int = 10
    seed: int = 0
    seeds: str = "common"
    years: int | None = None
    weekly: bool = True
    description: str = ""
    text_hash: str = ""

    @property
    def points(self) -> list[Point]:
        """Every entry's sweep points, in the batch file's order."""
        return [p for e in self.entries for p in e.points]

    def runs(self) -> list[RunSpec]:
        """Every run: each point of each scenario times each replication."""
        out = []
        for e in self.entries:
            for p in e.points:
                for k in range(self.replications):
                    out.append(
                        RunSpec(
                            e.scenario.raw,
                            e.name,
                            p.index,
                            p.overrides,
                            k,
                            self.seed,
                            self.years,
                            self.seeds,
                            e.scenario.file,
                        )
                    )
        return out

    def manifest(self, command: str) -> dict[str, Any]:
        """The results folder's manifest: scenarios as run, points, seeds, batch file."""
        seeds = {
            "root": self.seed,
            "mode": self.seeds,
            "replications": self.replications,
            "derivation": seed_derivation(self.seeds),
        }
        points = [
            {
                "point": p.index,
                "scenario": p.scenario,
                "overrides": p.overrides,
                **({"error": p.error} if p.error else {}),
            }
            for p in self.points
        ]
        return make_manifest(
            {e.name: e.scenario for e in self.entries},
            seeds,
            command,
            extra={
                "batch": {
                    "name": self.name,
                    "file": self.file,
                    "sha256": self.text_hash,
                    "description": self.description,
                },
                "years": self.years,
                "outputs": {"weekly": self.weekly},
                "runs": len(self.points) * self.replications,
                "points": points,
            },
        )


# ---------------------------------------------------------------- loading


def load_batch(path: str | Path) -> Batch:
    """Read and validate a batch file; raises :class:`ScenarioError` naming file and key."""
    path = locate(path, "batch")  # a path, or the name of a shipped batch
    data = read_yaml(path)
    return batch_from_mapping(
        data,
        file=str(path),
        base=path.parent,
        text_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def batch_from_mapping(
    data: Mapping[str, Any], file: str | None = None, base: Path | None = None, text_hash: str = ""
) -> Batch:
    """Validate a batch given as a mapping; relative scenario files resolve from ``base``."""
    base = base or Path.cwd()
    _check_keys(data, TOP_KEYS, "", file)
    name = data.get("name", Path(file).stem if file else "batch")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError("expected a non-empty name (text)", file=file, path="name")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError("expected text", file=file, path="description")
    replications = _int(
        data.get("replications", 10), 1, "replications", file, high=MAX_REPLICATIONS
    )
    seed = _int(data.get("seed", 0), 0, "seed", file, high=MAX_SEED)
    seeds = data.get("seeds", "common")
    if seeds not in SEED_MODES:
        raise ScenarioError(
            f"expected one of {', '.join(SEED_MODES)}, got {seeds!r}", file=file, path="seeds"
        )
    years = data.get("years")
    if years is not None:  # the bounds of the scenario key setting.years
        low, high = bounds(Setting, "years")
        years = _int(years, int(low or 1), "years", file, high=None if high is None else int(high))
    weekly = _outputs(data.get("outputs", {}), file)
    shared_sweep = _sweep(data["sweep"], "sweep", file) if "sweep" in data else ([{}], True)
    raw_entries = data.get("scenarios")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise ScenarioError(
            "expected a non-empty list of scenarios (files or mappings)",
            file=file,
            path="scenarios",
        )
    entries: list[Entry] = []
    for i, item in enumerate(raw_entries):
        entries.append(
            _entry(item, i, shared_sweep, sum(len(e.points) for e in entries), base, file)
        )
    _check_unique_names(entries, file)
    return Batch(
        name=name,
        file=file,
        entries=tuple(entries),
        replications=replications,
        seed=seed,
        seeds=seeds,
        years=years,
        weekly=weekly,
        description=description,
        text_hash=text_hash,
    )


def _check_keys(data: Mapping, known: tuple[str, ...], path: str, file: str | None) -> None:
    for key in data:
        if key not in known:
            near = difflib.get_close_matches(str(key), known, n=1, cutoff=0.5)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            raise ScenarioError(
                f"unknown key '{key}'{hint} (known keys: {', '.join(known)})",
                file=file,
                path=f"{path}{key}",
            )


def _int(value: Any, low: int, path: str, file: str | None, high: int | None = None) -> int:
    """A whole number in [low, high], as the scenario loader checks one."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(
            f"expected a whole number, got {value!r}{number_hint(value)}", file=file, path=path
        )
    if value < low or (high is not None and value > high):
        span = f"of at least {low:,}" + ("" if high is None else f" and at most {high:,}")
        raise ScenarioError(f"expected a whole number {span}, got {value:,}", file=file, path=path)
    return value


def _outputs(value: Any, file: str | None) -> bool:
    if not isinstance(value, dict):
        raise ScenarioError("expected a mapping such as {weekly: true}", file=file, path="outputs")
    _check_keys(value, OUTPUT_KEYS, "outputs.", file)
    weekly = value.get("weekly", True)
    if not isinstance(weekly, bool):
        raise ScenarioError("expected true or false", file=file, path="outputs.weekly")
    return weekly


def _sweep(value: Any, path: str, file: str | None) -> tuple[list[dict[str, Any]], bool]:
    """The points of a sweep, and whether it is a grid rather than a list of points.

    A grid is a mapping of path -> values.
    """
    if isinstance(value, dict):
        return _grid_points(value, path, file), True
    if isinstance(value, list):
        return _listed_points(value, path, file), False
    raise ScenarioError(
        "expected a mapping of dotted paths to lists of values (a grid) or a list of points",
        file=file,
        path=path,
    )


def _grid_points(grid: dict, path: str, file: str | None) -> list[dict[str, Any]]:
    """Every combination of a grid's values (dotted path -> list of values)."""
    if not grid:
        raise ScenarioError(
            "empty sweep: give dotted paths with lists of values", file=file, path=path
        )
    for key, values in grid.items():
        _dotted(key, f"{path}.{key}", file)
        if not isinstance(values, list):
            raise ScenarioError(
                f"expected a list of values, got {values!r}", file=file, path=f"{path}.{key}"
            )
        if not values:
            raise ScenarioError(
                "empty sweep: expected at least one value", file=file, path=f"{path}.{key}"
            )
    keys = list(grid)
    return [
        dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))
    ]


def _listed_points(points: list, path: str, file: str | None) -> list[dict[str, Any]]:
    """The points of a sweep given as a list of mappings (dotted path -> value)."""
    if not points:
        raise ScenarioError("empty sweep: expected at least one point", file=file, path=path)
    for j, point in enumerate(points):
        if not isinstance(point, dict) or not point:
            raise ScenarioError(
                "expected a mapping of dotted paths to values", file=file, path=f"{path}[{j}]"
            )
        for key in point:
            _dotted(key, f"{path}[{j}].{key}", file)
    return [dict(p) for p in points]


def _dotted(key: Any, path: str, file: str | None) -> None:
    if not isinstance(key, str) or not all(key.split(".")):
        raise ScenarioError(
            "expected a dotted key path such as places.starter.capacity", file=file, path=path
        )


def _entry(
    item: Any,
    i: int,
    shared_sweep: tuple[list[dict[str, Any]], bool],
    first: int,
    base: Path,
    file: str | None,
) -> Entry:
    """One scenario entry: load, apply fixed overrides, check its points."""
    where = f"scenarios[{i}]"
    if isinstance(item, str):
        item = {"file": item}
    if not isinstance(item, dict):
        raise ScenarioError(
            "expected a file name or a mapping with 'file' or 'scenario'", file=file, path=where
        )
    _check_keys(item, ENTRY_KEYS, f"{where}.", file)
    scenario = _load_entry_scenario(item, where, base, file)
    fixed = item.get("set", {})
    if not isinstance(fixed, dict):
        raise ScenarioError(
            "expected a mapping of dotted paths to values", file=file, path=f"{where}.set"
        )
    for key in fixed:
        _dotted(key, f"{where}.set.{key}", file)
    if fixed:
        try:
            scenario = scenario.with_overrides(fixed)
        except ScenarioError as exc:
            key = _key_of(exc, fixed)
            msg = exc.message if exc.path == key else _inner(exc)
            raise ScenarioError(msg, file=file, path=f"{where}.set.{key}") from None
    name = item.get("name", scenario.name)
    if not isinstance(name, str) or not slug(name).strip("_"):
        raise ScenarioError(
            "expected a name with letters or digits", file=file, path=f"{where}.name"
        )
    if "sweep" in item:
        sweep_path = f"{where}.sweep"
        sweep, grid = _sweep(item["sweep"], sweep_path, file)
    else:
        (sweep, grid), sweep_path = shared_sweep, "sweep"
    _check_sweep_paths(scenario, sweep, grid, sweep_path, file)
    points = tuple(
        Point(
            first + j,
            name,
            dict(p),
            _point_error(scenario, p, _sweep_where(sweep_path, grid, j), file),
        )
        for j, p in enumerate(sweep)
    )
    return Entry(name, scenario, points)


def _load_entry_scenario(item: dict, where: str, base: Path, file: str | None) -> LoadedScenario:
    if ("file" in item) == ("scenario" in item):
        raise ScenarioError(
            "expected either 'file' (a scenario file) or 'scenario' (a scenario written here)",
            file=file,
            path=where,
        )
    try:
        if "file" in item:
            if not isinstance(item["file"], str):
                raise ScenarioError("expected a file name (text)", file=file, path=f"{where}.file")
            return load_scenario(locate_near(base, item["file"]))
        inline = item["scenario"]
        if not isinstance(inline, dict):
            raise ScenarioError("expected a scenario mapping", file=file, path=f"{where}.scenario")
        inline = dict(inline)
        if isinstance(inline.get("extends"), str):
            inline["extends"] = str(locate_near(base, inline["extends"]))
        return load_scenario(inline)
    except ScenarioError as exc:
        if exc.file == file:
            raise
        inner = str(exc) if exc.file else _inner(exc)
        raise ScenarioError(inner, file=file, path=where) from None


def _inner(exc: ScenarioError) -> str:
    """The message of a scenario error raised for an inline scenario or override."""
    return f"'{exc.path}': {exc.message}" if exc.path else exc.message


def _key_of(exc: ScenarioError, overrides: Mapping[str, Any]) -> str:
    """The override key a scenario error is about (the first key, if none matches)."""
    p = exc.path or ""
    for key in overrides:
        if p == key or key.startswith(p + ".") or p.startswith((key + ".", key + "[")):
            return key
    return next(iter(overrides))


def _is_path_error(exc: ScenarioError, key: str) -> bool:
    """True when the error is about the dotted path itself, not about its value."""
    p = exc.path or ""
    at_or_above = p == key or key.startswith(p + ".")
    return at_or_above and (
        exc.message.startswith(("unknown", NO_MATCH))
        or "holds a value, not a mapping" in exc.message
    )


def _check_sweep_paths(
    scenario: LoadedScenario, sweep: list[dict[str, Any]], grid: bool, path: str, file: str | None
) -> None:
    """Each swept path, set alone to one of its values, must exist in the scenario."""
    seen: dict[str, tuple[int, Any]] = {}
    for j, point in enumerate(sweep):
        for key, value in point.items():
            seen.setdefault(key, (j, value))
    for key, (j, value) in seen.items():
        try:
            scenario.with_overrides({key: value})
        except ScenarioError as exc:
            if _is_path_error(exc, key):
                where = f"{path}.{key}" if grid else f"{path}[{j}].{key}"
                raise ScenarioError(
                    f"sweep key '{key}': {exc.message}", file=file, path=where
                ) from None


def _sweep_where(path: str, grid: bool, j: int) -> Callable[[str], str]:
    """Key path, in the batch file, of a sweep value.

    ``sweep.<key>`` in a grid, ``sweep[j].<key>`` in a list of points.
    """
    return (lambda key: f"{path}.{key}") if grid else (lambda key: f"{path}[{j}].{key}")


def _point_error(
    scenario: LoadedScenario,
    overrides: Mapping[str, Any],
    where: Callable[[str], str],
    file: str | None,
) -> str | None:
    """Why the scenario rejects a point's values, blamed on the batch file's sweep key.

    The sweep key set the value; the scenario file itself is valid.
    """
    if not overrides:
        return None
    try:
        scenario.with_overrides(overrides)
    except ScenarioError as exc:
        key = _key_of(exc, overrides)
        msg = exc.message if exc.path == key else _inner(exc)
        return str(ScenarioError(msg, file=file, path=where(key)))
    return None


def _check_unique_names(entries: list[Entry], file: str | None) -> None:
    seen: dict[str, int] = {}
    for i, e in enumerate(entries):
        s = slug(e.name)
        if s in seen:
            raise ScenarioError(
                f"two scenarios are named '{e.name}'; give one a 'name'",
                file=file,
                path=f"scenarios[{i}].name",
            )
        seen[s] = i
