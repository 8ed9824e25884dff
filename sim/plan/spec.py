"""The plan file: what may change, what it costs, what must be reached, and what is best.

A plan file is YAML, read safely and validated like a scenario: every error names the
file, the key path and what was expected (``ScenarioError``, exit code 2)::

    name: randers_halve_long_term
    base: ../randers_baseline.yaml         # a path (relative to this file), or a name
    variables:
      - key: places.starter.capacity       # any numeric scenario key
        low: 24
        high: 72
        step: 8
        from_year: 2016                    # optional: a dated change from 1 January
        label: starter homes
        cost: {one_off: 400000, per_year: 0, payer: municipality}   # DKK per unit added
    targets:
      - outcome: chronic_homeless_end      # a run outcome (see OUTCOMES)
        at_most: 10
        probability: 0.8
      - outcome: pit_rough                 # yearly outcomes take a year or from_year
        from_year: 2020
        at_most: 0
        probability: 0.9
    budget: {per_year: 10000000, payer: total}   # net extra cost against the base
    objective: least_cost                  # or most_days_avoided
    search: {trials: 200, batch: 8, replications: 20, seed: 0}
    confirm: {candidates: 5, replications: 40, max_replications: 200, pcs: 0.9}
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario.costs_schema import PAYERS
from sim.scenario.errors import ScenarioError
from sim.scenario.labels import word
from sim.scenario.loader import LoadedScenario, load_scenario, read_yaml, set_path
from sim.situations import SITUATIONS, WEEKS_PER_YEAR

#: Objectives: least discounted cost that meets the targets; most homeless days avoided
#: (discounted) within the budget and the targets.
OBJECTIVES = ("least_cost", "most_days_avoided")

#: Outcomes a target may name: (counted every year, words). Yearly ones need ``year``
#: or ``from_year``.
OUTCOMES: dict[str, tuple[bool, str]] = {
    "pit": (True, "homeless at the yearly count"),
    **{f"pit_{s}": (True, f"in {word(s)} at the yearly count") for s in SITUATIONS if s != "left"},
    "homeless_any": (True, "homeless at any time in the year"),
    "shelter_users": (True, "shelter users in the year"),
    "homeless_end": (False, "homeless at the end"),
    "chronic_homeless_end": (False, "long-term homeless at the end"),
    "people_ever_homeless": (False, "people ever homeless"),
    "homeless_days": (False, "homeless days"),
    "housed_end": (False, "housed at the end"),
    **{
        f"turned_away_{p}": (False, f"share of new applicants turned away from {word(p)}")
        for p in ("shelter", "night_shelter", "starter", "alternative", "supported")
    },
}

_TOP = {
    "name",
    "description",
    "base",
    "years",
    "variables",
    "targets",
    "budget",
    "objective",
    "search",
    "confirm",
}


@dataclass(frozen=True)
class Variable:
    """A decision variable: a numeric scenario key and the values it may take.

    ``one_off`` (DKK per unit added, paid at the start of ``from_year``) and ``per_year``
    (DKK per unit added per year, from ``from_year`` on) price changes that the cost model
    does not (building a starter home, say); units are counted against the base value.
    """

    key: str
    low: float
    high: float
    step: float
    integer: bool
    base_value: float
    from_year: int | None = None
    label: str = ""
    one_off: float = 0.0
    per_year: float = 0.0
    payer: str = "municipality"

    def values(self) -> list[float]:
        """Every value on the grid ``low, low + step, ..., high``."""
        n = math.floor((self.high - self.low) / self.step + 1e-9)
        vals = [self.low + i * self.step for i in range(n + 1)]
        return [round(v) if self.integer else round(v, 12) for v in vals]


@dataclass(frozen=True)
class Target:
    """``outcome`` at most / at least ``bound`` with probability ``probability``.

    A yearly outcome is read in ``year``, or in every year from ``from_year`` to the
    horizon (all of them must hold in a run for the run to count as meeting it).
    """

    outcome: str
    probability: float
    at_most: float | None = None
    at_least: float | None = None
    year: int | None = None
    from_year: int | None = None
    label: str = ""

    def describe(self) -> str:
        """The target in words, e.g. "homeless at the yearly count in 2025: at most 40"."""
        when = (
            f" in {self.year}"
            if self.year is not None
            else f" from {self.from_year} on"
            if self.from_year is not None
            else ""
        )
        bound = (
            f"at most {self.at_most:,g}"
            if self.at_most is not None
            else f"at least {self.at_least:,g}"
        )
        return f"{self.label or OUTCOMES[self.outcome][1]}{when}: {bound}"


@dataclass(frozen=True)
class Budget:
    """A ceiling on the plan's net extra cost against the base in every year.

    In DKK, undiscounted, price year; in total or for one payer.
    """

    per_year: float
    payer: str = "total"


@dataclass(frozen=True)
class Search:
    """The global search.

    ``trials`` candidates asked ``batch`` at a time, each run for ``replications``
    replications with common random numbers. ``method``: ``tpe`` (Optuna's
    tree-structured Parzen estimator) or ``grid`` (every point).
    """

    trials: int = 100
    batch: int = 8
    replications: int = 20
    seed: int = 0
    method: str = "tpe"


@dataclass(frozen=True)
class Confirm:
    """The confirmation stage.

    The ``candidates`` best plans are run to ``replications`` and then, a few at a time,
    up to ``max_replications`` until the probability of correct selection reaches
    ``pcs`` (``delta``: indifference zone, in objective units).
    """

    candidates: int = 5
    replications: int = 40
    max_replications: int = 200
    pcs: float = 0.9
    delta: float = 0.0


@dataclass(frozen=True)
class PlanSpec:
    """A validated plan."""

    name: str
    description: str
    file: str | None
    base: LoadedScenario
    base_ref: str
    variables: tuple[Variable, ...]
    targets: tuple[Target, ...]
    budget: Budget | None
    objective: str
    search: Search
    confirm: Confirm
    years: int

    @property
    def start_year(self) -> int:
        """First calendar year of the runs."""
        return self.base.params.setting.start_year

    def as_dict(self) -> dict[str, Any]:
        """The plan as plain data (for the manifest)."""
        return {
            "name": self.name,
            "description": self.description,
            "file": self.file,
            "base": self.base_ref,
            "years": self.years,
            "objective": self.objective,
            "variables": [dataclasses.asdict(v) for v in self.variables],
            "targets": [dataclasses.asdict(t) for t in self.targets],
            "budget": None if self.budget is None else dataclasses.asdict(self.budget),
            "search": dataclasses.asdict(self.search),
            "confirm": dataclasses.asdict(self.confirm),
        }


# ---------------------------------------------------------------- loading


def load_plan(path: str | Path) -> PlanSpec:
    """Read and validate a plan file; raises ``ScenarioError`` on bad input."""
    from sim.shipped import locate

    path = locate(path, "plan")
    file = str(path)
    raw = read_yaml(Path(path))
    if not raw:
        raise ScenarioError(
            "the plan is empty: expected 'base', 'variables' and 'targets'", file=file
        )
    _no_unknown(raw, _TOP, "", file)
    for key in ("base", "variables"):
        if key not in raw:
            raise ScenarioError(f"missing key '{key}'", file=file, path=key)
    base, base_ref = _base(raw["base"], Path(path), file)
    horizon = base.params.setting.years
    years = _int(raw.get("years", horizon), "years", file, 1, 100)
    end_year = base.params.setting.start_year + years - 1
    variables = tuple(
        _variable(v, f"variables[{i}]", base, file, end_year)
        for i, v in enumerate(_list(raw["variables"], "variables", file))
    )
    keys = [v.key for v in variables]
    for i, k in enumerate(keys):
        if k in keys[:i]:
            raise ScenarioError(f"'{k}' is given twice", file=file, path=f"variables[{i}].key")
    targets = tuple(
        _target(t, f"targets[{i}]", base, file, end_year)
        for i, t in enumerate(_list(raw.get("targets") or [], "targets", file, allow_empty=True))
    )
    objective = _choice(raw.get("objective", "least_cost"), OBJECTIVES, "objective", file)
    budget = _budget(raw.get("budget"), file)
    if objective == "most_days_avoided" and budget is None:
        raise ScenarioError(
            "the objective 'most_days_avoided' needs a 'budget'", file=file, path="objective"
        )
    if objective == "least_cost" and not targets:
        raise ScenarioError(
            "the objective 'least_cost' needs at least one target (else the "
            "base itself is cheapest)",
            file=file,
            path="targets",
        )
    return PlanSpec(
        name=_text(raw.get("name", Path(path).stem), "name", file),
        description=_text(raw.get("description", ""), "description", file),
        file=file,
        base=base,
        base_ref=base_ref,
        variables=variables,
        targets=targets,
        budget=budget,
        objective=objective,
        search=_search(raw.get("search"), file),
        confirm=_confirm(raw.get("confirm"), file),
        years=years,
    )


def _base(value: Any, plan_path: Path, file: str) -> tuple[LoadedScenario, str]:
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError("expected the base scenario's file (text)", file=file, path="base")
    from sim.shipped import locate_near

    target = locate_near(plan_path.parent, value)
    if not target.is_file():
        raise ScenarioError(
            f"base scenario '{value}' not found (a path relative to the plan "
            "file, or a shipped scenario's name)",
            file=file,
            path="base",
        )
    return load_scenario(target), value


def _variable(node: Any, path: str, base: LoadedScenario, file: str, end_year: int) -> Variable:
    node = _mapping(node, path, file)
    _no_unknown(node, {"key", "low", "high", "step", "from_year", "label", "cost"}, path, file)
    for k in ("key", "low", "high"):
        if k not in node:
            raise ScenarioError(f"missing key '{k}'", file=file, path=f"{path}.{k}")
    key = _text(node["key"], f"{path}.key", file)
    current = numeric_value(base.params, key)
    if current is None:
        raise ScenarioError(
            f"'{key}' is not a numeric key of the base scenario (it must hold "
            "a number, e.g. places.starter.capacity)",
            file=file,
            path=f"{path}.key",
        )
    value, integer = current
    low = _number(node["low"], f"{path}.low", file)
    high = _number(node["high"], f"{path}.high", file)
    if not low < high:
        raise ScenarioError(
            f"expected low < high, got low {low:g} and high {high:g}", file=file, path=f"{path}.low"
        )
    step = _number(node.get("step", 1 if integer else (high - low) / 10), f"{path}.step", file)
    if step <= 0 or step > high - low:
        raise ScenarioError(
            f"expected a step above 0 and at most high - low, got {step:g}",
            file=file,
            path=f"{path}.step",
        )
    if integer and not all(float(x).is_integer() for x in (low, high, step)):
        raise ScenarioError(
            f"'{key}' holds whole numbers: low, high and step must be whole",
            file=file,
            path=f"{path}.step",
        )
    from_year = node.get("from_year")
    if from_year is not None:
        from_year = _int(
            from_year, f"{path}.from_year", file, base.params.setting.start_year, end_year
        )
    cost = _mapping(node.get("cost") or {}, f"{path}.cost", file)
    _no_unknown(cost, {"one_off", "per_year", "payer"}, f"{path}.cost", file)
    payer = _choice(cost.get("payer", "municipality"), PAYERS, f"{path}.cost.payer", file)
    var = Variable(
        key=key,
        low=low,
        high=high,
        step=step,
        integer=integer,
        base_value=value,
        from_year=from_year,
        label=_text(node.get("label", key), f"{path}.label", file),
        one_off=_number(cost.get("one_off", 0.0), f"{path}.cost.one_off", file, 0),
        per_year=_number(cost.get("per_year", 0.0), f"{path}.cost.per_year", file),
        payer=payer,
    )
    _check_in_schema(base, var, path, file)
    return var


def _check_in_schema(base: LoadedScenario, var: Variable, path: str, file: str) -> None:
    """Both ends of the range must make a valid scenario (schema bounds, cross-checks)."""
    from sim.scenario.loader import from_raw, unshared_copy

    for end in ("low", "high"):
        raw = unshared_copy(base.raw)
        set_path(raw, var.key, int(getattr(var, end)) if var.integer else getattr(var, end))
        try:
            from_raw(raw, file=base.file)
        except ScenarioError as exc:
            raise ScenarioError(
                f"{var.key} = {getattr(var, end):g} is not a valid value: {exc.message}",
                file=file,
                path=f"{path}.{end}",
            ) from None


def numeric_value(params: Any, dotted: str) -> tuple[float, bool] | None:
    """Return the value of a dotted key in typed scenario params, if the key holds a number.

    Returns ``(value, whole numbers only)``, the value NaN where an optional number is
    unset (an unlimited capacity). ``None`` for a missing or non-numeric key.
    """
    node: Any = params
    *path, last = dotted.split(".")
    for part in path:
        node = _child(node, part)
        if node is None:
            return None
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        hints = typing.get_type_hints(type(node))
        if last not in hints:
            return None
        kinds = set(typing.get_args(hints[last]) or (hints[last],))
        if not kinds & {int, float} or bool in kinds:
            return None
        value = getattr(node, last)
        return (math.nan if value is None else float(value), float not in kinds)
    value = node.get(last) if isinstance(node, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value), isinstance(value, int)


def _child(node: Any, part: str) -> Any:
    """One step down a dotted path through dataclasses and mappings."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return getattr(node, part, None)
    if isinstance(node, dict):
        return node.get(part)
    return None


def _target(node: Any, path: str, base: LoadedScenario, file: str, end_year: int) -> Target:
    node = _mapping(node, path, file)
    _no_unknown(
        node,
        {"outcome", "at_most", "at_least", "probability", "year", "from_year", "label"},
        path,
        file,
    )
    outcome = node.get("outcome")
    if outcome not in OUTCOMES:
        raise ScenarioError(
            f"unknown outcome {outcome!r}; expected one of " + ", ".join(OUTCOMES),
            file=file,
            path=f"{path}.outcome",
        )
    yearly = OUTCOMES[outcome][0]
    if ("at_most" in node) == ("at_least" in node):
        raise ScenarioError(
            "expected exactly one of 'at_most' and 'at_least'", file=file, path=path
        )
    if "probability" not in node:
        raise ScenarioError(
            "missing key 'probability' (the chance the target must be met)",
            file=file,
            path=f"{path}.probability",
        )
    prob = _number(node["probability"], f"{path}.probability", file)
    if not 0 < prob <= 1:
        raise ScenarioError(
            f"expected a probability above 0 and at most 1, got {prob:g}",
            file=file,
            path=f"{path}.probability",
        )
    start = base.params.setting.start_year
    year = from_year = None
    if yearly:
        if ("year" in node) == ("from_year" in node):
            raise ScenarioError(
                f"'{outcome}' is counted every year: give 'year' or 'from_year'",
                file=file,
                path=path,
            )
        key = "year" if "year" in node else "from_year"
        got = _int(node[key], f"{path}.{key}", file, start, end_year)
        year, from_year = (got, None) if key == "year" else (None, got)
    elif "year" in node or "from_year" in node:
        raise ScenarioError(
            f"'{outcome}' is counted once, at the horizon: it takes no year",
            file=file,
            path=f"{path}.year",
        )
    bound_key = "at_most" if "at_most" in node else "at_least"
    bound = _number(node[bound_key], f"{path}.{bound_key}", file)
    return Target(
        outcome=outcome,
        probability=prob,
        year=year,
        from_year=from_year,
        label=_text(node.get("label", ""), f"{path}.label", file),
        **{bound_key: bound},
    )


def _budget(node: Any, file: str) -> Budget | None:
    if node is None:
        return None
    node = _mapping(node, "budget", file)
    _no_unknown(node, {"per_year", "payer"}, "budget", file)
    if "per_year" not in node:
        raise ScenarioError(
            "missing key 'per_year' (DKK a year)", file=file, path="budget.per_year"
        )
    return Budget(
        per_year=_number(node["per_year"], "budget.per_year", file),
        payer=_choice(node.get("payer", "total"), ("total", *PAYERS), "budget.payer", file),
    )


def _search(node: Any, file: str) -> Search:
    node = _mapping(node or {}, "search", file)
    _no_unknown(node, {f.name for f in dataclasses.fields(Search)}, "search", file)
    d = Search()
    return Search(
        trials=_int(node.get("trials", d.trials), "search.trials", file, 1, 100_000),
        batch=_int(node.get("batch", d.batch), "search.batch", file, 1, 1000),
        replications=_int(
            node.get("replications", d.replications), "search.replications", file, 2, 10_000
        ),
        seed=_int(node.get("seed", d.seed), "search.seed", file, 0, 2**63 - 1),
        method=_choice(node.get("method", d.method), ("tpe", "grid"), "search.method", file),
    )


def _confirm(node: Any, file: str) -> Confirm:
    node = _mapping(node or {}, "confirm", file)
    _no_unknown(node, {f.name for f in dataclasses.fields(Confirm)}, "confirm", file)
    d = Confirm()
    reps = _int(node.get("replications", d.replications), "confirm.replications", file, 2, 100_000)
    top = _int(
        node.get("max_replications", max(d.max_replications, reps)),
        "confirm.max_replications",
        file,
        reps,
        1_000_000,
    )
    pcs = _number(node.get("pcs", d.pcs), "confirm.pcs", file)
    if not 0 < pcs < 1:
        raise ScenarioError(
            f"expected a probability between 0 and 1, got {pcs:g}", file=file, path="confirm.pcs"
        )
    return Confirm(
        candidates=_int(node.get("candidates", d.candidates), "confirm.candidates", file, 1, 100),
        replications=reps,
        max_replications=top,
        pcs=pcs,
        delta=_number(node.get("delta", d.delta), "confirm.delta", file, 0),
    )


# ---------------------------------------------------------------- small checks


def _no_unknown(node: dict, allowed: set[str], path: str, file: str) -> None:
    extra = sorted(set(node) - allowed)
    if extra:
        import difflib

        near = difflib.get_close_matches(str(extra[0]), sorted(allowed), n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        where = f"{path}.{extra[0]}" if path else str(extra[0])
        raise ScenarioError(
            f"unknown key '{extra[0]}'{hint} (expected one of " + ", ".join(sorted(allowed)) + ")",
            file=file,
            path=where,
        )


def _mapping(node: Any, path: str, file: str) -> dict:
    if not isinstance(node, dict):
        raise ScenarioError(f"expected a mapping, got {_kind(node)}", file=file, path=path)
    return node


def _list(node: Any, path: str, file: str, allow_empty: bool = False) -> list:
    if not isinstance(node, list) or (not node and not allow_empty):
        raise ScenarioError(f"expected a non-empty list, got {_kind(node)}", file=file, path=path)
    return node


def _number(value: Any, path: str, file: str, low: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        hint = " (YAML reads 1.0e9 as text: write 1.0e+9)" if isinstance(value, str) else ""
        raise ScenarioError(
            f"expected a finite number, got {_kind(value)}{hint}", file=file, path=path
        )
    if low is not None and value < low:
        raise ScenarioError(
            f"expected a number of at least {low:g}, got {value:g}", file=file, path=path
        )
    return float(value)


def _int(value: Any, path: str, file: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ScenarioError(
            f"expected a whole number from {low} to {high}, got {_kind(value)}",
            file=file,
            path=path,
        )
    return int(value)


def _text(value: Any, path: str, file: str) -> str:
    if not isinstance(value, str):
        raise ScenarioError(f"expected text, got {_kind(value)}", file=file, path=path)
    return value


def _choice(value: Any, choices: tuple[str, ...], path: str, file: str) -> str:
    if value not in choices:
        raise ScenarioError(
            f"expected one of {', '.join(choices)}, got {_kind(value)}", file=file, path=path
        )
    return value


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    return type(value).__name__


def year_weeks(start_year: int, year: int) -> tuple[int, int]:
    """Weeks ``[first, last)`` of a calendar year in a run that starts ``start_year``."""
    first = (year - start_year) * WEEKS_PER_YEAR
    return first, first + WEEKS_PER_YEAR
