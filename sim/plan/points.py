"""A plan's results folder read back: every evaluated plan a point that opens as a scenario.

``homesim plan`` writes ``frontier.csv`` (one row per evaluated plan), ``plan.json`` (the
answer) and ``manifest.json`` (the plan and its base scenario as run). This module reads
them so that the dashboard can draw the frontier and open any point: the point's values
applied to the base scenario exactly as ``recommended.yaml`` applies the recommended
plan's (:func:`sim.plan.evaluate.with_values`), from the base as run, so nothing outside
the folder is needed. A folder that is missing, holds another command's results or is
broken raises :class:`PlanFolderError`, whose message names the folder and what is wrong.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.plan.evaluate import Candidate, with_values
from sim.plan.spec import Variable
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario, from_raw

#: The files a plan folder must hold for its frontier to be drawn.
NEEDED = ("manifest.json", "plan.json", "frontier.csv")
#: Columns of ``frontier.csv`` the points read (besides one per variable).
COLUMNS = (
    "stage",
    "replications",
    "cost_vs_base_discounted",
    "days_avoided",
    "feasible",
    "recommended",
    "on_frontier",
)


class PlanFolderError(ValueError):
    """A plan folder that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class PlanPoint:
    """One evaluated plan: its values (one per variable) and what the search found.

    ``cost``: mean discounted cost against the base (DKK); ``days``: mean discounted
    homeless days avoided against the base; ``chosen``: the plan the command recommends
    (or, when none meets every target, the one that comes closest).
    """

    index: int
    values: Candidate
    cost: float
    days: float
    feasible: bool
    on_frontier: bool
    chosen: bool
    replications: int


@dataclass(frozen=True)
class PlanFolder:
    """What the dashboard needs of a plan's results folder."""

    folder: Path
    name: str
    description: str
    feasible: bool
    currency: str
    start_year: int
    variables: tuple[Variable, ...]
    base_raw: dict
    base_file: str | None
    table: pd.DataFrame
    points: tuple[PlanPoint, ...]

    @property
    def chosen_word(self) -> str:
        """What the chosen plan is: "recommended", or "closest to the targets"."""
        return "recommended" if self.feasible else "closest to the targets"

    def chosen(self) -> PlanPoint | None:
        """The recommended (or closest) plan's point."""
        return next((p for p in self.points if p.chosen), None)

    def ringed_table(self) -> pd.DataFrame:
        """Return ``frontier.csv`` with the chosen plan's confirmed row marked ``recommended``.

        Marked also when it is only the closest, as the frontier figure rings it.
        """
        table = self.table.copy()
        chosen = self.chosen()
        if chosen is not None:
            keys = [v.key for v in self.variables]
            table["recommended"] = [
                stage == "confirmed" and _same(tuple(float(x) for x in vals), chosen.values)
                for stage, vals in zip(
                    table["stage"], table[keys].itertuples(index=False), strict=True
                )
            ]
        return table

    def values_text(self, point: PlanPoint) -> str:
        """The point's values in words: "ACT staff (FTE) 2, starter homes 48 from 2016"."""
        return ", ".join(
            f"{v.label or v.key} {_fmt(x)}"
            + (f" from {v.from_year}" if v.from_year and v.from_year > self.start_year else "")
            for v, x in zip(self.variables, point.values, strict=True)
        )

    def describe(self, point: PlanPoint) -> str:
        """Return one line for a menu: values, cost and effect, and whether it meets the targets."""
        tags = [self.chosen_word] if point.chosen else []
        if point.on_frontier:
            tags.append("on the frontier")
        tags.append("meets every target" if point.feasible else "misses a target or the budget")
        return (
            f"{self.values_text(point)}: {_money(point.cost, self.currency)} against the base, "
            f"{point.days:,.0f} homeless days avoided ({', '.join(tags)})"
        )

    def base_scenario(self) -> LoadedScenario:
        """The plan's base scenario as it was run (raises ``PlanFolderError``)."""
        return self._load(self.base_raw, "the base scenario")

    def scenario(self, point: PlanPoint) -> LoadedScenario:
        """Return the point as a scenario: the base with the point's values.

        The values are set as ``recommended.yaml`` sets them (raises ``PlanFolderError``).
        """
        raw = with_values(self.base_raw, self.variables, point.values, self.start_year)
        raw["name"] = f"{self.name}_point_{point.index}"
        raw["description"] = f"The plan '{self.name}' with {self.values_text(point)}."
        return self._load(raw, f"the plan with {self.values_text(point)}")

    def _load(self, raw: dict, what: str) -> LoadedScenario:
        try:
            return from_raw(raw, file=self.base_file)
        except ScenarioError as exc:
            raise PlanFolderError(
                f"{self.folder}: {what} is not a valid scenario: {exc.message}"
            ) from None


def read_plan_folder(folder: str | Path) -> PlanFolder:
    """Read a ``homesim plan`` results folder (raises ``PlanFolderError``)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise PlanFolderError(f"{folder}: no such folder")
    missing = [n for n in NEEDED if not (folder / n).is_file()]
    if missing:
        raise PlanFolderError(
            f"{folder}: not the results of a finished 'homesim plan' (no {', '.join(missing)})"
        )
    man, answer = _json(folder, "manifest.json"), _json(folder, "plan.json")
    plan = man.get("plan")
    if man.get("kind") != "plan" or not isinstance(plan, dict):
        raise PlanFolderError(f"{folder}: manifest.json is not that of a 'homesim plan'")
    variables = _variables(folder, plan)
    base = _base(folder, man)
    table = _table(folder, variables)
    chosen = answer.get("recommended") or answer.get("closest") or {}
    params = _load_base(folder, base).params
    return PlanFolder(
        folder=folder,
        name=str(plan.get("name") or folder.name),
        description=" ".join(str(plan.get("description") or "").split()),
        feasible=bool(answer.get("feasible")),
        currency=params.costs.currency,
        start_year=params.setting.start_year,
        variables=variables,
        base_raw=base["as_run"],
        base_file=base.get("file"),
        table=table,
        points=_points(table, variables, chosen),
    )


def plan_folders(root: str | Path) -> list[Path]:
    """Return the plan results folders at ``root``.

    That is itself, or those one level below it (in name order), each holding a finished
    plan's files. A missing root gives none.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        return []
    if is_plan_folder(root):
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and is_plan_folder(p))


def is_plan_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a finished plan's files and a plan's manifest."""
    if not all((folder / n).is_file() for n in NEEDED):
        return False
    try:
        man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return isinstance(man, dict) and man.get("kind") == "plan"
    except (OSError, ValueError):
        return False


# ---------------------------------------------------------------- reading the parts


def _json(folder: Path, name: str) -> dict:
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise PlanFolderError(f"{folder / name}: cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise PlanFolderError(f"{folder / name}: expected a JSON object")
    return data


def _variables(folder: Path, plan: dict) -> tuple[Variable, ...]:
    names = {f.name for f in dataclasses.fields(Variable)}
    out = []
    for i, v in enumerate(plan.get("variables") or []):
        try:
            out.append(Variable(**{k: x for k, x in v.items() if k in names}))
        except (TypeError, AttributeError):
            raise PlanFolderError(
                f"{folder / 'manifest.json'}: plan.variables[{i}] is not a variable"
            ) from None
    if not out:
        raise PlanFolderError(f"{folder / 'manifest.json'}: the plan has no variables")
    return tuple(out)


def _base(folder: Path, man: dict) -> dict:
    scenarios = man.get("scenarios")
    if not isinstance(scenarios, dict) or len(scenarios) != 1:
        raise PlanFolderError(f"{folder / 'manifest.json'}: expected the one base scenario")
    base = next(iter(scenarios.values()))
    if not isinstance(base, dict) or not isinstance(base.get("as_run"), dict):
        raise PlanFolderError(f"{folder / 'manifest.json'}: the base scenario is not recorded")
    return base


def _load_base(folder: Path, base: dict) -> LoadedScenario:
    try:
        return from_raw(base["as_run"], file=base.get("file"))
    except ScenarioError as exc:
        raise PlanFolderError(
            f"{folder}: the base scenario is not a valid scenario: {exc.message}"
        ) from None


def _table(folder: Path, variables: tuple[Variable, ...]) -> pd.DataFrame:
    path = folder / "frontier.csv"
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise PlanFolderError(f"{path}: cannot be read ({exc})") from None
    missing = [c for c in (*COLUMNS, *(v.key for v in variables)) if c not in table]
    if missing:
        raise PlanFolderError(f"{path}: missing column(s) {', '.join(missing)}")
    numbers = ["cost_vs_base_discounted", "days_avoided", *(v.key for v in variables)]
    bad = [c for c in numbers if not pd.api.types.is_numeric_dtype(table[c])]
    if bad:
        raise PlanFolderError(f"{path}: column(s) {', '.join(bad)} must hold numbers")
    if not (table["stage"] == "search").any():
        raise PlanFolderError(f"{path}: holds no evaluated plan")
    for c in ("feasible", "recommended", "on_frontier"):
        table[c] = table[c].astype(str).str.lower().isin(("true", "1"))
    return table


def _points(
    table: pd.DataFrame, variables: tuple[Variable, ...], chosen: dict[str, Any]
) -> tuple[PlanPoint, ...]:
    """One point per plan of the search, in the table's order."""
    keys = [v.key for v in variables]
    want = tuple(float(chosen[k]) for k in keys) if all(k in chosen for k in keys) else None
    out = []
    for i, d in enumerate(table[table["stage"] == "search"].to_dict("records")):
        values = tuple(float(d[k]) for k in keys)
        out.append(
            PlanPoint(
                index=i,
                values=values,
                cost=float(d["cost_vs_base_discounted"]),
                days=float(d["days_avoided"]),
                feasible=bool(d["feasible"]),
                on_frontier=bool(d["on_frontier"]),
                chosen=want is not None and _same(values, want),
                replications=int(d["replications"]),
            )
        )
    return tuple(out)


def _same(a: Candidate, b: Candidate) -> bool:
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12) for x, y in zip(a, b, strict=True))


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.3g}"


def _money(x: float, currency: str) -> str:
    sign = "+" if x > 0 else "-" if x < 0 else ""
    return f"{sign}{currency} {abs(x) / 1e6:,.1f} million"
