"""The interactive dashboard: levers, a live run, and the baseline beside it.

The model side (levers, :class:`DashboardModel`, the totals, the notes beside levers,
:func:`build_model` and :func:`advance`, which turn any model error into a message)
needs only the core packages, so it can be tested and used from notebooks without a
browser. The page (``Page``) is a small Solara page over a Mesa model and its
DataCollector; it exists only when the optional ``viz`` extra (solara, altair) is
installed, and ``homesim dashboard`` serves it. The page speaks a planner's language:
every slider shows its value and unit, the pathway menu shows words, "Run to the end"
runs the horizon and draws once, and an error is a message in the page.

A lever is one row of :data:`LEVERS`: a keyword name, the scenario key it sets and how
its control looks. Levers whose key the schema does not (yet) have are left out, so a
new policy key becomes a control by adding one line here.

The dashboard runs two models with the same seed, step by step: the scenario with the
levers applied, and the unmodified scenario (the baseline). Both draw the same random
numbers (common random numbers), so the difference between them is the levers' effect
and not chance.
"""

from __future__ import annotations

import html
import importlib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa

from sim.docs_reference import iter_keys, key_exists
from sim.model import HomelessnessModel
from sim.places import QUEUE_NAMES
from sim.scenario.errors import ScenarioError
from sim.scenario.labels import (
    CODES,
    code_label,
    in_words,
    key_label,
    team_labels,
    team_words,
)
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.scenario.policy_schema import TEAM_NAMES
from sim.shipped import shipped_root
from sim.situations import HOMELESS_MASK, LEFT, SITUATIONS
from sim.streams import run_seed

DEFAULT_SCENARIO = shipped_root() / "randers_baseline.yaml"  # package data
#: Environment variables through which ``homesim dashboard`` hands its options to the page.
ENV_SCENARIO, ENV_SEED, ENV_YEARS = "HOMESIM_SCENARIO", "HOMESIM_SEED", "HOMESIM_YEARS"
#: The plan results the Plans tab offers: a plan's folder, or a folder holding several.
ENV_PLANS, DEFAULT_PLANS = "HOMESIM_PLANS", "results"

HOMELESS_NAMES = tuple(s for i, s in enumerate(SITUATIONS) if HOMELESS_MASK[i])


def _homeless_nights(model: HomelessnessModel) -> float:
    """Nights spent homeless in the weeks run so far (the recorder's nights per cell)."""
    return float(model.recorder.nights[: model.week][:, HOMELESS_MASK].sum())


DAYS_PER_WEEK = 7


@dataclass(frozen=True)
class Lever:
    """One control of the dashboard and the scenario key it sets.

    ``kind`` is ``"int"``, ``"float"`` (sliders), ``"bool"`` (a switch) or ``"choice"`` (a
    list of the key's allowed values). ``max`` is the slider's right end; it is raised to
    twice the scenario's value when that is larger. ``enable`` names a switch key set
    to on when the lever is moved above 0 (and off at 0), so that moving a team's staff
    slider also switches the team on.
    """

    name: str
    path: str
    label: str
    kind: str = "int"
    min: float = 0
    max: float = 100
    step: float = 1
    enable: str | None = None
    unit: str = ""


#: The levers, in the order they appear. Keys missing from the schema are skipped.
LEVERS: tuple[Lever, ...] = (
    Lever(
        "starter_homes", "places.starter.capacity", "Starter homes", "int", 0, 100, unit="places"
    ),
    Lever(
        "shelter_beds", "places.shelter.capacity", "Shelter beds, §110", "int", 0, 150, unit="beds"
    ),
    Lever(
        "night_shelter_beds",
        "places.night_shelter.capacity",
        "Night shelter beds",
        "int",
        0,
        60,
        unit="beds",
    ),
    Lever(
        "assigned_homes",
        "housing.assignments_per_week",
        "Homes assigned by the municipality",
        "float",
        0,
        10,
        0.25,
        unit="homes a week",
    ),
    Lever("pathway", "policies.pathway.model", "Housing pathway", "choice"),
    Lever(
        "act_staff",
        "policies.teams.act.staff",
        "ACT team staff",
        "float",
        0,
        20,
        0.5,
        enable="policies.teams.act.enabled",
        unit="FTE",
    ),
    Lever(
        "icm_staff",
        "policies.teams.icm.staff",
        "ICM team staff",
        "float",
        0,
        20,
        0.5,
        enable="policies.teams.icm.enabled",
        unit="FTE",
    ),
    Lever(
        "cti_staff",
        "policies.teams.cti.staff",
        "CTI team staff",
        "float",
        0,
        20,
        0.5,
        enable="policies.teams.cti.enabled",
        unit="FTE",
    ),
    Lever("eviction_prevention", "policies.prevention.enabled", "Eviction prevention", "bool"),
)


def available_levers(
    levers: tuple[Lever, ...] = LEVERS, loaded: LoadedScenario | None = None
) -> tuple[Lever, ...]:
    """Return the levers whose scenario keys exist in the schema.

    With a scenario, also a staff lever for each support team it adds to the classic
    ones (after theirs).
    """
    if loaded is not None:
        at = next((i for i, lv in enumerate(levers) if _team(lv)), len(levers))
        at += sum(1 for lv in levers if _team(lv))
        levers = (*levers[:at], *team_levers(loaded), *levers[at:])
    return tuple(
        lv for lv in levers if key_exists(lv.path) and (lv.enable is None or key_exists(lv.enable))
    )


def team_levers(loaded: LoadedScenario) -> tuple[Lever, ...]:
    """Return a staff lever for each team a scenario names besides the classic ones.

    Each lever is labelled by the team's label, else its name in words.
    """
    teams = loaded.params.policies.teams
    return tuple(
        Lever(
            f"{name}_staff",
            f"policies.teams.{name}.staff",
            f"{team_words(name, team.label)}: staff",
            "float",
            0,
            20,
            0.5,
            enable=f"policies.teams.{name}.enabled",
            unit="FTE",
        )
        for name, team in teams.items()
        if name not in TEAM_NAMES
    )


def lever_choices(lever: Lever) -> tuple[str, ...]:
    """The allowed values of a ``choice`` lever's key (from the schema)."""
    return next(k.choices or () for k in iter_keys() if k.path == lever.path)


def scenario_value(loaded: LoadedScenario, path: str) -> Any:
    """The value of a dotted key in a loaded scenario's typed parameters."""
    obj: Any = loaded.params
    for part in path.split("."):
        obj = obj[part] if isinstance(obj, Mapping) else getattr(obj, part)
    return obj


def lever_start(lever: Lever, loaded: LoadedScenario) -> Any:
    """Where a lever's control starts: the scenario's value (unlimited: the right end)."""
    value = scenario_value(loaded, lever.path)
    if value is None:
        return _kind(lever)(lever.max)
    return _kind(lever)(value)


def _kind(lever: Lever) -> type:
    return {"int": int, "float": float, "bool": bool, "choice": str}[lever.kind]


def lever_overrides(
    loaded: LoadedScenario, values: Mapping[str, Any], levers: tuple[Lever, ...] | None = None
) -> dict[str, Any]:
    """Scenario overrides for lever values that differ from where the levers start.

    A lever left where it starts changes nothing, so an unlimited capacity stays
    unlimited until its slider is moved. Unknown lever names raise ``KeyError``.
    """
    by_name = {lv.name: lv for lv in (levers or available_levers(loaded=loaded))}
    out = {}
    for name, value in values.items():
        lever = by_name[name]
        if value is None or value == lever_start(lever, loaded):
            continue
        out[lever.path] = _kind(lever)(value)
        if lever.enable is not None:
            out[lever.enable] = bool(value > 0)
    return out


def model_params(loaded: LoadedScenario, seed: int = 0, years: int | None = None) -> dict[str, Any]:
    """Return the model's keywords and the page's controls (Mesa's ``model_params`` shape).

    One control per lever, plus the fixed settings.
    """
    params: dict[str, Any] = {"base": loaded, "seed": seed, "years": years}
    for lever in available_levers(loaded=loaded):
        start = lever_start(lever, loaded)
        if lever.kind == "bool":
            params[lever.name] = {"type": "Checkbox", "value": start, "label": lever.label}
            continue
        if lever.kind == "choice":
            params[lever.name] = {
                "type": "Select",
                "value": start,
                "label": lever.label,
                "values": list(lever_choices(lever)),
            }
            continue
        top = max(lever.max, 2 * start)
        params[lever.name] = {
            "type": "SliderInt" if lever.kind == "int" else "SliderFloat",
            "value": start,
            "min": lever.min,
            "max": _kind(lever)(top),
            "step": lever.step,
            "label": lever.label,
            "unit": lever.unit,
        }
    return params


# ------------------------------------------------------------------ costs, if modelled


def find_cost_function() -> Callable[[HomelessnessModel, bool], float] | None:
    """Return the function giving a model's cost so far, if costs exist.

    The cost is in DKK of the price year, discounted or not.

    Uses ``sim.costs.run_costs(model).total(discounted)``; None where the cost model is
    missing or offers no such function, so the dashboard runs without costs.
    """
    try:
        costs = importlib.import_module("sim.costs")
    except ImportError:
        return None
    run_costs = getattr(costs, "run_costs", None)
    if not callable(run_costs):
        return None
    return lambda model, discounted=False: (
        run_costs(model).total(discounted) if discounted else run_costs(model).total()
    )


# ------------------------------------------------------------------ the model pair


class DashboardModel(HomelessnessModel):
    """The scenario with lever values applied, stepped together with its baseline.

    Built from keywords only, as SolaraViz rebuilds models on *Reset*: ``base`` (the
    loaded scenario, run as the baseline), ``seed`` (root seed; both models use
    replication 0 of it, as ``homesim run`` does), ``years`` and one keyword per lever.
    ``start`` is the scenario the levers start from and apply to (default: ``base``);
    a point of a plan's frontier opens with ``start`` the point's scenario and ``base``
    the plan's base, so the difference column is the plan's effect. Mesa passes its own
    ``scenario`` keyword on reset; it carries no parameters of this model and is ignored.
    """

    def __init__(
        self,
        base: LoadedScenario | str | Path | None = None,
        seed: int = 0,
        years: int | None = None,
        scenario: Any = None,
        start: LoadedScenario | None = None,
        **levers: Any,
    ):
        del scenario  # Mesa's experiment object, not a homesim scenario
        if base is None:
            base = DEFAULT_SCENARIO
        if not isinstance(base, LoadedScenario):
            base = load_scenario(base)
        self.base = base
        self.start = base if start is None else start
        self.overrides = lever_overrides(self.start, levers)
        self.lever_error: str | None = None
        loaded = self.start
        if self.overrides:
            try:
                loaded = self.start.with_overrides(
                    self.overrides, name=f"{self.start.name} (levers)"
                )
            except ScenarioError as exc:  # shown on the page; the run goes on unchanged
                self.lever_error, self.overrides = str(exc), {}
        super().__init__(loaded, rng=run_seed(seed, 0), years=years)
        self.seed = seed
        self.baseline = HomelessnessModel(base, rng=run_seed(seed, 0), years=years)
        self._cost = find_cost_function()
        self.cost_error: str | None = None
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())
        self.datacollector.collect(self)

    def _reporters(self) -> dict[str, Callable[[DashboardModel], float]]:
        rep: dict[str, Callable[[DashboardModel], float]] = {
            name: (lambda m, s=s: int(m.occupancy[s]))
            for s, name in enumerate(SITUATIONS)
            if s != LEFT
        }
        rep["homeless"] = lambda m: m.homeless
        rep["baseline_homeless"] = lambda m: m.baseline.homeless
        for q, name in enumerate(QUEUE_NAMES):
            rep[f"waiting_{name}"] = lambda m, q=q: int(m.recorder.queues[m.week, q])
            rep[f"baseline_waiting_{name}"] = lambda m, q=q: int(
                m.baseline.recorder.queues[m.baseline.week, q]
            )
        return rep  # costs are worked out when shown (totals), not every week

    def step(self) -> None:
        """Step one week of both models.

        The baseline steps first, so the row the week collects at its end has both.
        """
        self.baseline.step()
        super().step()

    def cost_so_far(self, model: HomelessnessModel, discounted: bool = False) -> float:
        """Return the cost of ``model`` from week 0 to now (DKK, undiscounted or discounted).

        NaN if the cost model fails.
        """
        if self._cost is None or self.cost_error is not None:
            return math.nan
        try:
            return float(self._cost(model, discounted))
        except Exception as exc:  # the cost model is optional: show why, keep running
            self.cost_error = f"{type(exc).__name__}: {exc}"
            return math.nan

    def totals(self) -> dict[str, float]:
        """Running totals for this scenario and the baseline (the dashboard's side panel)."""
        out = {
            "week": self.week,
            "homeless": self.homeless,
            "baseline_homeless": self.baseline.homeless,
            # nights homeless in the weeks lived so far (as outcomes.summary counts)
            "homeless_days": _homeless_nights(self),
            "baseline_homeless_days": _homeless_nights(self.baseline),
            "waiting": int(self.recorder.queues[self.week].sum()),
            "baseline_waiting": int(self.baseline.recorder.queues[self.baseline.week].sum()),
        }
        if self._cost is not None:
            out["cost"] = self.cost_so_far(self)
            out["baseline_cost"] = self.cost_so_far(self.baseline)
            out["cost_discounted"] = self.cost_so_far(self, True)
            out["baseline_cost_discounted"] = self.cost_so_far(self.baseline, True)
        return out

    def side_by_side(self) -> list[tuple[str, int, int]]:
        """(situation, count with levers, count in the baseline) for every situation."""
        return [
            (name, int(self.occupancy[s]), int(self.baseline.occupancy[s]))
            for s, name in enumerate(SITUATIONS)
            if s != LEFT
        ]


def plans_root_from_env() -> str:
    """Where the Plans tab looks for plan results (``homesim dashboard --plans``)."""
    return os.environ.get(ENV_PLANS) or DEFAULT_PLANS


def settings_from_env() -> tuple[LoadedScenario, int, int | None]:
    """Scenario, seed and horizon handed to the page by ``homesim dashboard``."""
    path = os.environ.get(ENV_SCENARIO) or str(DEFAULT_SCENARIO)
    seed = int(os.environ.get(ENV_SEED) or 0)
    years = os.environ.get(ENV_YEARS)
    return load_scenario(path), seed, int(years) if years else None


# ------------------------------------------------------------------ what the page says


def error_message(exc: BaseException) -> str:
    """A model error as one line for the page (keys in words; never a traceback)."""
    text = in_words(str(exc).strip()) or type(exc).__name__
    return (
        f"The model stopped with an error: {text}. Change a lever and press Reset, "
        "or report the scenario and the levers that led here."
    )


def build_model(
    loaded: LoadedScenario,
    seed: int,
    years: int | None,
    values: Mapping[str, Any],
    start: LoadedScenario | None = None,
) -> tuple[DashboardModel | None, str | None]:
    """Return a model pair for these lever values, or the message of the error that stopped it.

    The values are applied to ``start`` (default ``loaded``); the baseline runs
    ``loaded``.
    """
    try:
        return DashboardModel(base=loaded, seed=seed, years=years, start=start, **values), None
    except Exception as exc:  # any model error is shown in the page
        return None, error_message(exc)


def advance(model: DashboardModel, weeks: int | None = None) -> str | None:
    """Run ``weeks`` weeks (None: to the end of the horizon); the error message, if any."""
    left = model.weeks - model.week
    try:
        for _ in range(left if weeks is None else min(weeks, left)):
            model.step()
    except Exception as exc:  # any model error is shown in the page
        return error_message(exc)
    return None


def lever_text(lever: Lever, value: Any) -> str:
    """The lever's label with its value and unit: "Starter homes: 24 places"."""
    return f"{lever.label}: {lever_value_text(lever, value)}"


def choice_words(lever: Lever) -> dict[str, str]:
    """{words: code} of a choice lever's values, for a menu that shows words."""
    return {code_label(c): c for c in lever_choices(lever)}


def _place(lever: Lever) -> str | None:
    parts = lever.path.split(".")
    return parts[1] if parts[0] == "places" and parts[-1] == "capacity" else None


def _team(lever: Lever) -> Any:
    parts = lever.path.split(".")
    return parts[2] if parts[:2] == ["policies", "teams"] else None


def _team_words(name: str, team: Any) -> str:
    """A team in a sentence: its label, else the words for its name."""
    return team_words(name, team.label)


def lever_notes(model: DashboardModel | None, values: Mapping[str, Any]) -> dict[str, str]:  # noqa: C901 - one branch per kind of lever, kept together
    """Why a lever has no effect in this scenario, for the levers that have none."""
    if model is None:
        return {}
    notes: dict[str, str] = {}
    base = model.start.params
    for lever in available_levers(loaded=model.start):
        place, team = _place(lever), _team(lever)
        if place in QUEUE_NAMES:
            q = QUEUE_NAMES.index(place)
            rec, week = model.baseline.recorder, model.baseline.week
            if week > 0 and not rec.queues[: week + 1, q].any():
                notes[lever.name] = (
                    f"Nobody has waited for {SITUATIONS_IN_WORDS[place]} "
                    "so far in this scenario: more places change nothing."
                )
        elif team is not None:
            t = base.policies.teams[team]
            if t.m_house == 1 and t.m_loss == 1 and not t.phases:
                notes[lever.name] = (
                    f"The {_team_words(team, t)} team has no effect set in this "
                    "scenario (its effects on being housed and on losing a "
                    "home are 1), so its staff change nothing."
                )
            elif t.referral_per_week == 0 and not t.on_housing:
                notes[lever.name] = (
                    f"Nobody is referred to the {_team_words(team, t)} team in this "
                    "scenario, so its staff change nothing."
                )
        elif lever.path == "policies.prevention.enabled":
            pv = base.policies.prevention
            if pv.m_loss == 1 or pv.reach_per_week == 0:
                notes[lever.name] = (
                    "Prevention has no effect set in this scenario (it "
                    "reaches no tenancy, or its effect on losing a home is "
                    "1)."
                )
        elif lever.kind == "choice" and values.get(lever.name) == "housing_first":
            staff = [values.get(f"{t}_staff", 0) or 0 for t in base.policies.pathway.teams]
            if not any(staff):
                notes[lever.name] = (
                    "Housing First reaches people through its support "
                    "teams: with no team staff, nobody is in the programme."
                )
    for name, text in dated_notes(model.start).items():
        notes[name] = f"{text} {notes[name]}" if name in notes else text
    return notes


def dated_notes(loaded: LoadedScenario) -> dict[str, str]:
    """Return notes for the levers whose key a dated change of the scenario sets later.

    A dated change is, say, a plan's variable with a ``from_year``. Each note says when
    and to what, and that the slider sets the value before then.
    """
    notes: dict[str, str] = {}
    for lever in available_levers(loaded=loaded):
        later = [
            (str(c.get("date")), c["set"][lever.path])
            for c in loaded.raw.get("changes") or []
            if isinstance(c, Mapping) and isinstance(c.get("set"), Mapping)
            if lever.path in c["set"]
        ]
        if later:
            when = "; ".join(f"{lever_value_text(lever, v)} from {d}" for d, v in later)
            notes[lever.name] = (
                f"This scenario changes it later: {when}. The slider sets the value before then."
            )
    return notes


def lever_value_text(lever: Lever, value: Any) -> str:
    """A lever's value with its unit, in words ("48 places", "Housing First", "on")."""
    if lever.kind == "bool":
        return "on" if value else "off"
    if lever.kind == "choice":
        return code_label(value)
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{shown} {lever.unit}".rstrip()


SITUATIONS_IN_WORDS = {**CODES}


def _signed(x: float, money: bool = False) -> str:
    if math.isnan(x):
        return ""
    text = _money(abs(x)) if money else f"{abs(x):,.0f}"
    return ("+" if x > 0 else "-" if x < 0 else "") + text


def totals_rows(model: DashboardModel) -> list[tuple[str, str, str, str]]:
    """(what, with levers, baseline, difference) for the totals table."""
    t = model.totals()
    rows: list[tuple[str, float, float, bool]] = [
        ("homeless now", t["homeless"], t["baseline_homeless"], False),
        ("homeless days so far", t["homeless_days"], t["baseline_homeless_days"], False),
        ("waiting for a place", t["waiting"], t["baseline_waiting"], False),
    ]
    if "cost" in t:
        rows += [
            ("cost so far", t["cost"], t["baseline_cost"], True),
            ("cost so far, discounted", t["cost_discounted"], t["baseline_cost_discounted"], True),
        ]
    rows += [(SITUATIONS_IN_WORDS.get(n, n), a, b, False) for n, a, b in model.side_by_side()]
    return [
        (
            label,
            _money(a) if money else f"{a:,.0f}",
            _money(b) if money else f"{b:,.0f}",
            _signed(a - b, money),
        )
        for label, a, b, money in rows
    ]


def changed_text(model: DashboardModel) -> str:
    """The levers moved from the scenario's values, in words (teams by their labels)."""
    teams = team_labels(model.start.raw)
    return (
        "; ".join(
            f"{key_label(k, teams)} = {code_label(v) if isinstance(v, str) else v}"
            for k, v in model.overrides.items()
        )
        or "none"
    )


def totals_notes(model: DashboardModel) -> list[str]:
    t = model.totals()
    notes = [f"Levers changed: {changed_text(model)}"]
    if model.lever_error:
        notes.append(f"Levers not applied: {in_words(model.lever_error)}")
    if "cost" not in t:
        notes.append("Costs: no cost model installed (sim.costs).")
    elif model.cost_error:
        notes.append(f"Costs not available: {model.cost_error}")
    else:
        notes.append(
            "Costs in DKK of the scenario's price year; difference = with levers "
            "minus baseline (negative: the levers save)."
        )
    return notes


def totals_html(title: str, rows: list[tuple[str, ...]], notes: list[str]) -> str:
    """The running totals as a small HTML table (what, with levers, baseline, difference)."""
    cells = "".join(
        "<tr>"
        + f"<td>{html.escape(str(r[0]))}</td>"
        + "".join(f"<td align='right'>{html.escape(str(x))}</td>" for x in r[1:])
        + "</tr>"
        for r in rows
    )
    text = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    return (
        f"<p id='homesim-week'><b>{html.escape(title)}</b></p>"
        "<table id='homesim-totals' style='width:100%'><tr><th></th>"
        "<th align='right'>with levers</th><th align='right'>baseline</th>"
        "<th align='right'>difference</th></tr>"
        f"{cells}</table>{text}"
    )


def _money(x: float) -> str:
    return "not available" if math.isnan(x) else f"DKK {x / 1e6:,.1f} million"


def view_of(
    model: DashboardModel, values: Mapping[str, Any] | None = None
) -> tuple[str, list[tuple[str, ...]], dict[str, str]] | str:
    """Return what the page shows of a model, or the message of the error that stopped it.

    What it shows is (totals HTML, totals rows, notes beside levers).
    """
    try:
        rows = totals_rows(model)
        title = f"Week {model.week} of {model.weeks} (seed {model.seed})"
        return (
            totals_html(title, rows, totals_notes(model)),
            rows,
            lever_notes(model, values or {}),
        )
    except Exception as exc:  # any model error is shown in the page
        return error_message(exc)


# ------------------------------------------------------------------ plans


@dataclass(frozen=True)
class Opened:
    """A point of a plan's frontier opened as the dashboard's scenario.

    ``start`` (the point's scenario, where the levers start) runs against ``base`` (the
    plan's base, run as the baseline); ``note`` says so in words; ``key`` tells one
    opening from another.
    """

    base: LoadedScenario
    start: LoadedScenario
    note: str
    key: str


def plan_choices(root: str | Path) -> dict[str, str]:
    """{what the menu shows: folder} of the plan results at ``root``."""
    from sim.plan.points import plan_folders

    return {f"{p.name} ({p})": str(p) for p in plan_folders(root)}


def read_plan(folder: str | Path) -> Any:
    """Read a plan results folder (:class:`sim.plan.points.PlanFolder`).

    Returns the folder, or the message that says why it cannot be read.
    """
    from sim.plan.points import PlanFolderError, read_plan_folder

    if not str(folder).strip():
        return "Give a plan's results folder (the --out of homesim plan)."
    try:
        return read_plan_folder(folder)
    except PlanFolderError as exc:
        return f"This folder cannot be shown: {in_words(str(exc))}"
    except Exception as exc:  # anything else that goes wrong is a message too
        return f"This folder cannot be shown: {type(exc).__name__}: {in_words(str(exc))}"


def point_menu(plan: Any) -> dict[str, int]:
    """Return {menu line: point index} for the plan's points.

    The chosen plan comes first, then the frontier by days avoided, then the rest.
    """
    order = sorted(
        plan.points, key=lambda p: (not p.chosen, not p.on_frontier, -p.days, p.cost, p.index)
    )
    return {f"{k + 1}. {plan.describe(p)}": p.index for k, p in enumerate(order)}


def open_point(plan: Any, index: int) -> Opened | str:
    """Open a point as the dashboard's scenario against the plan's base.

    Returns the opening, or the message of the error that stopped it.
    """
    from sim.plan.points import PlanFolderError

    try:
        point = plan.points[index]
        base, start = plan.base_scenario(), plan.scenario(point)
    except (PlanFolderError, IndexError) as exc:
        return f"This plan cannot be opened: {in_words(str(exc))}"
    note = (
        f"Opened from the plan '{plan.name}' ({plan.folder}): {plan.values_text(point)}"
        + (f", the plan {plan.chosen_word}" if point.chosen else "")
        + ". The baseline is the plan's base scenario."
    )
    return Opened(base, start, note, f"{plan.folder}#{index}")


def frontier_figure(plan: Any, index: int | None = None):
    """Draw the plan's frontier with point ``index`` marked by a cross.

    Every plan is a dot, the frontier a line, the chosen plan ringed.
    """
    from sim.plan.outputs import frontier_figure as draw

    point = plan.points[index] if index is not None and index < len(plan.points) else None
    return draw(
        plan.ringed_table(),
        plan.currency,
        selected=None if point is None else (point.days, point.cost),
        chosen=plan.chosen_word,
    )


# ------------------------------------------------------------------ plots


def _figure(df, columns: Mapping[str, tuple[str, str]], title: str, ylabel: str):
    """A line figure of DataCollector columns: {column: (label, colour or style)}."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(7.2, 3.2), dpi=90)
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.25)
    for col, (label, style) in columns.items():
        colour, _, dash = style.partition(":")
        ax.plot(
            df.index,
            df[col].to_numpy(),
            label=label,
            color=colour,
            linestyle=dash or "-",
            marker="." if len(df) < 3 else None,
        )
    ax.set_title(title)
    ax.set_xlabel("week")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, max(len(df) - 1, 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)  # counts of people: zero is where the smallest lines are
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.subplots_adjust(left=0.09, right=0.72, bottom=0.17, top=0.88)  # fixed: faster
    return fig


def plot_specs() -> dict[str, tuple[str, str, dict[str, tuple[str, str]]]]:
    """The dashboard's plots: key -> (title, y label, columns with labels and styles)."""
    from sim.plots.style import PALETTE, SITUATION_COLOURS

    return {
        "situations": (
            "Homeless by situation",
            "persons",
            {s: (SITUATIONS_IN_WORDS.get(s, s), SITUATION_COLOURS[s]) for s in HOMELESS_NAMES},
        ),
        "waiting": (
            "Waiting lists",
            "persons waiting",
            {
                f"waiting_{q}": (
                    {"assigned_home": "assigned homes"}.get(
                        q, SITUATIONS_IN_WORDS.get(q, q.replace("_", " "))
                    ),
                    PALETTE[i % len(PALETTE)],
                )
                for i, q in enumerate(QUEUE_NAMES)
            },
        ),
        "compare": (
            "Homeless: levers against baseline (same seed)",
            "persons",
            {
                "homeless": ("with levers", PALETTE[0]),
                "baseline_homeless": ("baseline", "#555555:--"),
            },
        ),
    }


try:  # the page needs the optional viz extra
    import solara
except ImportError:  # pragma: no cover - exercised where solara is absent
    solara = None

if solara is not None:

    @solara.component
    def Plot(model: DashboardModel, key: str, tick: int):  # noqa: N802
        """One plot of the collected weeks (redrawn when ``tick`` changes)."""
        title, ylabel, columns = plot_specs()[key]
        df = solara.use_memo(lambda: model.datacollector.get_model_vars_dataframe(), [model, tick])
        with solara.Column(classes=["homesim-plot"]):
            solara.FigureMatplotlib(
                _figure(df, columns, title, ylabel), format="png", dependencies=[model, tick]
            )

    @solara.component
    def LeverControl(  # noqa: N802
        lever: Lever,
        value: Any,
        on_value: Callable[[Any], None],
        start: Any,
        note: str | None,
    ):
        """One lever: its label with value and unit, the control, and a note if idle."""
        text = lever_text(lever, value)
        if lever.kind == "bool":
            solara.Checkbox(label=text, value=bool(value), on_value=on_value)
        elif lever.kind == "choice":
            words = choice_words(lever)
            solara.Select(
                label=lever.label,
                values=list(words),
                value=code_label(value),
                on_value=lambda w: on_value(words[w]),
            )
        else:  # the label with value and unit above, so the slider keeps its width
            top = max(lever.max, 2 * start)
            slider = solara.SliderInt if lever.kind == "int" else solara.SliderFloat
            solara.Text(text, classes=["homesim-lever"], style={"margin-top": "0.6rem"})
            slider(
                label="",
                value=value,
                min=lever.min,
                max=_kind(lever)(top),
                step=lever.step,
                on_value=on_value,
                thumb_label=False,
            )
        if note:
            solara.Text(
                note, style={"font-size": "0.8rem", "color": "#8a5300"}, classes=["homesim-note"]
            )

    @solara.component
    def Dashboard(  # noqa: N802
        loaded: LoadedScenario,
        seed: int = 0,
        years: int | None = None,
        start: LoadedScenario | None = None,
        origin: str | None = None,
    ):
        """The dashboard for one scenario (also usable in a Jupyter notebook).

        The levers start from ``start`` (default ``loaded``), the baseline runs
        ``loaded``; ``origin`` says where ``start`` came from (a plan's point).
        """
        shown = loaded if start is None else start
        levers = available_levers(loaded=shown)
        starts = {lv.name: lever_start(lv, shown) for lv in levers}
        values, set_values = solara.use_state(starts)
        first = solara.use_memo(lambda: build_model(loaded, seed, years, starts, start), [])
        state, set_state = solara.use_state(first)
        tick, set_tick = solara.use_state(0)
        model, error = state
        view = view_of(model, values) if model is not None else None
        if view is not None and isinstance(view, str):
            model, error, view = None, error or view, None

        def reset() -> None:
            set_state(build_model(loaded, seed, years, values, start))
            set_tick(tick + 1)

        def run(weeks: int | None) -> None:
            if model is None:
                return
            set_state((model, advance(model, weeks)))
            set_tick(tick + 1)

        notes = view[2] if view is not None else {}
        with solara.Columns([1, 2]):
            with solara.Column():
                about = " ".join(str(shown.raw.get("description") or "").split())
                solara.Markdown(
                    f"**{shown.params.setting.municipality}**" + (f": {about}" if about else "")
                )
                if origin:
                    solara.Info(origin, classes=["homesim-opened"])
                for lv in levers:
                    LeverControl(
                        lv,
                        values[lv.name],
                        lambda v, n=lv.name: set_values({**values, n: v}),
                        starts[lv.name],
                        notes.get(lv.name),
                    )
                with solara.Row():
                    solara.Button("Reset", on_click=reset, color="primary")
                    solara.Button("Step", on_click=lambda: run(1))
                    solara.Button("Run one year", on_click=lambda: run(52))
                    solara.Button("Run to the end", on_click=lambda: run(None))
                solara.Text(
                    "Reset applies the levers; the baseline keeps the "
                    + ("plan's base scenario" if start is not None else "scenario as written")
                    + ", with the same random numbers.",
                    style={"font-size": "0.8rem"},
                )
            with solara.Column():
                if error:
                    solara.Error(error, classes=["homesim-error"])
                if model is not None and view is not None:
                    with solara.Card("Running totals"):
                        solara.HTML(tag="div", unsafe_innerHTML=view[0])
                    for key in ("compare", "situations", "waiting"):
                        Plot(model, key, tick)

    @solara.component
    def Plans(root: str, on_open: Callable[[Opened], None]):  # noqa: N802
        """A plan's frontier, read from its results folder.

        Any point of it can be opened as the dashboard's scenario.
        """
        found = solara.use_memo(lambda: plan_choices(root), [root])
        folder, set_folder = solara.use_state(next(iter(found.values()), root))
        plan = solara.use_memo(lambda: read_plan(folder), [folder])
        index, set_index = solara.use_state(None)
        problem, set_problem = solara.use_state(None)
        solara.Markdown(
            "A plan's results folder (the `--out` of `homesim plan`): its frontier, and "
            "any plan on it opened as the scenario of the Levers tab."
        )
        if found:
            by_folder = {v: k for k, v in found.items()}
            solara.Select(
                label=f"Plans found in {root}",
                values=list(found),
                value=by_folder.get(folder),
                on_value=lambda k: (set_folder(found[k]), set_index(None), set_problem(None)),
            )
        solara.InputText(
            "Plan results folder",
            value=folder,
            on_value=lambda f: (set_folder(f), set_index(None), set_problem(None)),
            continuous_update=False,
            classes=["homesim-plan-folder"],
        )
        if isinstance(plan, str) and not found and folder == root:
            solara.Info(
                f"No plan results in {root}. Give the --out folder of a homesim plan above, "
                "or start the dashboard with --plans DIR.",
                classes=["homesim-plan-error"],
            )
            return
        if isinstance(plan, str):
            solara.Error(plan, classes=["homesim-plan-error"])
            return
        menu = point_menu(plan)
        chosen = plan.chosen()
        current = index if index is not None else (chosen.index if chosen else 0)
        by_index = {v: k for k, v in menu.items()}
        solara.Markdown(
            f"**Plan: {plan.name}**" + (f": {plan.description}" if plan.description else "")
        )
        with solara.Column(classes=["homesim-frontier"]):
            solara.FigureMatplotlib(
                frontier_figure(plan, current), format="png", dependencies=[folder, current]
            )
        solara.Select(
            label=f"Plan to open ({len(plan.points)} evaluated)",
            values=list(menu),
            value=by_index[current],
            on_value=lambda k: (set_index(menu[k]), set_problem(None)),
            classes=["homesim-point"],
        )

        def open_it() -> None:
            opened = open_point(plan, current)
            if isinstance(opened, str):
                set_problem(opened)
            else:
                on_open(opened)

        solara.Button("Open as scenario", on_click=open_it, color="primary")
        if problem:
            solara.Error(problem, classes=["homesim-plan-error"])

    @solara.component
    def Page():  # noqa: N802
        """The dashboard page for the scenario named by ``homesim dashboard``.

        It has a tab for plans whose points open as scenarios.
        """
        loaded, seed, years = solara.use_memo(settings_from_env, [])
        root = solara.use_memo(plans_root_from_env, [])
        opened, set_opened = solara.use_state(None)
        tab, set_tab = solara.use_state(0)

        def open_plan(o: Opened) -> None:
            set_opened(o)
            set_tab(0)

        solara.Title("homesim")
        with solara.lab.Tabs(value=tab, on_value=set_tab):
            with solara.lab.Tab("Levers"):
                if opened is None:
                    Dashboard(loaded, seed, years).key("scenario")
                else:
                    Dashboard(opened.base, seed, years, opened.start, opened.note).key(opened.key)
            with solara.lab.Tab("Plans"):
                Plans(root, open_plan)


def lever_table(loaded: LoadedScenario) -> list[tuple[str, str, Any]]:
    """(lever name, scenario key, starting value) of the levers this schema offers."""
    return [(lv.name, lv.path, lever_start(lv, loaded)) for lv in available_levers(loaded=loaded)]


__all__ = [
    "LEVERS",
    "DashboardModel",
    "Lever",
    "available_levers",
    "lever_overrides",
    "lever_table",
    "model_params",
]
