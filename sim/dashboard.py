"""The interactive dashboard: levers, a live run, and the baseline beside it.

The model side (levers, :class:`DashboardModel`) needs only the core packages, so it can
be tested and used from notebooks without a browser. The page (``Page``) is built with
Mesa's SolaraViz and exists only when the optional ``viz`` extra (solara, altair) is
installed; ``homesim dashboard`` serves it.

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
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.shipped import shipped_root
from sim.situations import HOMELESS_MASK, LEFT, SITUATIONS
from sim.streams import run_seed

DEFAULT_SCENARIO = shipped_root() / "randers_baseline.yaml"  # package data
#: Environment variables through which ``homesim dashboard`` hands its options to the page.
ENV_SCENARIO, ENV_SEED, ENV_YEARS = "HOMESIM_SCENARIO", "HOMESIM_SEED", "HOMESIM_YEARS"

HOMELESS_NAMES = tuple(s for i, s in enumerate(SITUATIONS) if HOMELESS_MASK[i])
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


#: The levers, in the order they appear. Keys missing from the schema are skipped.
LEVERS: tuple[Lever, ...] = (
    Lever("starter_homes", "places.starter.capacity", "Starter homes (places)", "int", 0, 100),
    Lever("shelter_beds", "places.shelter.capacity", "Shelter beds, §110 (places)", "int",
          0, 150),
    Lever("night_shelter_beds", "places.night_shelter.capacity", "Night shelter beds (places)",
          "int", 0, 60),
    Lever("assigned_homes", "housing.assignments_per_week", "Assigned homes (homes/week)",
          "float", 0, 10, 0.25),
    Lever("pathway", "policies.pathway.model", "Housing pathway (housing_first: Housing First)",
          "choice"),
    Lever("act_staff", "policies.teams.act.staff", "ACT team staff (FTE; places = staff x "
          "caseload)", "float", 0, 20, 0.5, enable="policies.teams.act.enabled"),
    Lever("icm_staff", "policies.teams.icm.staff", "ICM team staff (FTE; places = staff x "
          "caseload)", "float", 0, 20, 0.5, enable="policies.teams.icm.enabled"),
    Lever("cti_staff", "policies.teams.cti.staff", "CTI team staff (FTE; places = staff x "
          "caseload)", "float", 0, 20, 0.5, enable="policies.teams.cti.enabled"),
    Lever("eviction_prevention", "policies.prevention.enabled", "Eviction prevention", "bool"),
)


def available_levers(levers: tuple[Lever, ...] = LEVERS) -> tuple[Lever, ...]:
    """The levers whose scenario keys exist in the schema."""
    return tuple(lv for lv in levers
                 if key_exists(lv.path) and (lv.enable is None or key_exists(lv.enable)))


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


def lever_overrides(loaded: LoadedScenario, values: Mapping[str, Any],
                    levers: tuple[Lever, ...] | None = None) -> dict[str, Any]:
    """Scenario overrides for lever values that differ from where the levers start.

    A lever left where it starts changes nothing, so an unlimited capacity stays
    unlimited until its slider is moved. Unknown lever names raise ``KeyError``.
    """
    by_name = {lv.name: lv for lv in (levers or available_levers())}
    out = {}
    for name, value in values.items():
        lever = by_name[name]
        if value is None or value == lever_start(lever, loaded):
            continue
        out[lever.path] = _kind(lever)(value)
        if lever.enable is not None:
            out[lever.enable] = bool(value > 0)
    return out


def model_params(loaded: LoadedScenario, seed: int = 0, years: int | None = None
                 ) -> dict[str, Any]:
    """SolaraViz ``model_params``: one control per lever, plus the fixed settings."""
    params: dict[str, Any] = {"base": loaded, "seed": seed, "years": years}
    for lever in available_levers():
        start = lever_start(lever, loaded)
        if lever.kind == "bool":
            params[lever.name] = {"type": "Checkbox", "value": start, "label": lever.label}
            continue
        if lever.kind == "choice":
            params[lever.name] = {"type": "Select", "value": start, "label": lever.label,
                                  "values": list(lever_choices(lever))}
            continue
        top = max(lever.max, 2 * start)
        params[lever.name] = {"type": "SliderInt" if lever.kind == "int" else "SliderFloat",
                              "value": start, "min": lever.min, "max": _kind(lever)(top),
                              "step": lever.step, "label": lever.label}
    return params


# ------------------------------------------------------------------ costs, if modelled

def find_cost_function() -> Callable[[HomelessnessModel], float] | None:
    """The cost so far of a model (DKK of the price year, undiscounted), if costs exist.

    Uses ``sim.costs.run_costs(model).total()``; None where the cost model is missing
    or offers no such function, so the dashboard runs without costs.
    """
    try:
        costs = importlib.import_module("sim.costs")
    except ImportError:
        return None
    run_costs = getattr(costs, "run_costs", None)
    if not callable(run_costs):
        return None
    return lambda model: run_costs(model).total()


# ------------------------------------------------------------------ the model pair

class DashboardModel(HomelessnessModel):
    """The scenario with lever values applied, stepped together with its baseline.

    Built from keywords only, as SolaraViz rebuilds models on *Reset*: ``base`` (the
    loaded scenario), ``seed`` (root seed; both models use replication 0 of it, as
    ``homesim run`` does), ``years`` and one keyword per lever. Mesa passes its own
    ``scenario`` keyword on reset; it carries no parameters of this model and is ignored.
    """

    def __init__(self, base: LoadedScenario | str | Path | None = None, seed: int = 0,
                 years: int | None = None, scenario: Any = None, **levers: Any):
        del scenario  # Mesa's experiment object, not a homesim scenario
        if base is None:
            base = DEFAULT_SCENARIO
        if not isinstance(base, LoadedScenario):
            base = load_scenario(base)
        self.base = base
        self.overrides = lever_overrides(base, levers)
        self.lever_error: str | None = None
        loaded = base
        if self.overrides:
            try:
                loaded = base.with_overrides(self.overrides, name=f"{base.name} (levers)")
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
            for s, name in enumerate(SITUATIONS) if s != LEFT}
        rep["homeless"] = lambda m: m.homeless
        rep["baseline_homeless"] = lambda m: m.baseline.homeless
        for q, name in enumerate(QUEUE_NAMES):
            rep[f"waiting_{name}"] = lambda m, q=q: int(m.recorder.queues[m.week, q])
            rep[f"baseline_waiting_{name}"] = (
                lambda m, q=q: int(m.baseline.recorder.queues[m.baseline.week, q]))
        if self._cost is not None:
            rep["cost"] = lambda m: m.cost_so_far(m)
            rep["baseline_cost"] = lambda m: m.cost_so_far(m.baseline)
        return rep

    def step(self) -> None:
        """One week of both models (the baseline first, so the row the week collects at
        its end has both)."""
        self.baseline.step()
        super().step()

    def cost_so_far(self, model: HomelessnessModel) -> float:
        """Cost of ``model`` from week 0 to now (DKK), NaN if the cost model fails."""
        if self._cost is None or self.cost_error is not None:
            return math.nan
        try:
            return float(self._cost(model))
        except Exception as exc:  # the cost model is optional: show why, keep running
            self.cost_error = f"{type(exc).__name__}: {exc}"
            return math.nan

    def totals(self) -> dict[str, float]:
        """Running totals for this scenario and the baseline (the dashboard's side panel)."""
        df = self.datacollector.get_model_vars_dataframe()
        weeks = len(df) - 1
        out = {
            "week": self.week,
            "homeless": self.homeless,
            "baseline_homeless": self.baseline.homeless,
            # states 0 .. week-1 were lived in full (as outcomes.summary counts)
            "homeless_days": float(df["homeless"].iloc[:weeks].sum() * DAYS_PER_WEEK),
            "baseline_homeless_days": float(
                df["baseline_homeless"].iloc[:weeks].sum() * DAYS_PER_WEEK),
            "waiting": int(self.recorder.queues[self.week].sum()),
            "baseline_waiting": int(self.baseline.recorder.queues[self.baseline.week].sum()),
        }
        if "cost" in df:
            out["cost"] = float(df["cost"].iloc[-1])
            out["baseline_cost"] = float(df["baseline_cost"].iloc[-1])
        return out

    def side_by_side(self) -> list[tuple[str, int, int]]:
        """(situation, count with levers, count in the baseline) for every situation."""
        return [(name, int(self.occupancy[s]), int(self.baseline.occupancy[s]))
                for s, name in enumerate(SITUATIONS) if s != LEFT]


def settings_from_env() -> tuple[LoadedScenario, int, int | None]:
    """Scenario, seed and horizon handed to the page by ``homesim dashboard``."""
    path = os.environ.get(ENV_SCENARIO) or str(DEFAULT_SCENARIO)
    seed = int(os.environ.get(ENV_SEED) or 0)
    years = os.environ.get(ENV_YEARS)
    return load_scenario(path), seed, int(years) if years else None


# ------------------------------------------------------------------ the page (solara)

def _figure(df, columns: Mapping[str, tuple[str, str]], title: str, ylabel: str):
    """A line figure of DataCollector columns: {column: (label, colour or style)}."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(7.2, 3.4), dpi=100)
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.25)
    for col, (label, style) in columns.items():
        colour, _, dash = style.partition(":")
        ax.plot(df.index, df[col].to_numpy(), label=label, color=colour,
                linestyle=dash or "-", marker="." if len(df) < 3 else None)
    ax.set_title(title)
    ax.set_xlabel("week")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, max(len(df) - 1, 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def plot_specs() -> dict[str, tuple[str, str, dict[str, tuple[str, str]]]]:
    """The dashboard's plots: key -> (title, y label, columns with labels and styles)."""
    from sim.plots.style import PALETTE, SITUATION_COLOURS

    return {
        "situations": ("Homeless by situation", "persons",
                       {s: (s.replace("_", " "), SITUATION_COLOURS[s]) for s in HOMELESS_NAMES}),
        "waiting": ("Waiting lists", "persons waiting",
                    {f"waiting_{q}": (q.replace("_", " "), PALETTE[i % len(PALETTE)])
                     for i, q in enumerate(QUEUE_NAMES)}),
        "compare": ("Homeless: levers against baseline (same seed)", "persons",
                    {"homeless": ("with levers", PALETTE[0]),
                     "baseline_homeless": ("baseline", "#555555:--")}),
    }


def totals_html(title: str, rows: list[tuple[str, Any, Any]], notes: list[str]) -> str:
    """The running totals as a small HTML table (rows: label, with levers, baseline)."""
    cells = "".join(
        f"<tr><td>{html.escape(str(label))}</td><td align='right'>{html.escape(str(a))}</td>"
        f"<td align='right'>{html.escape(str(b))}</td></tr>" for label, a, b in rows)
    text = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    return (f"<p id='homesim-week'><b>{html.escape(title)}</b></p>"
            "<table id='homesim-totals' style='width:100%'><tr><th></th>"
            "<th align='right'>with levers</th><th align='right'>baseline</th></tr>"
            f"{cells}</table>{text}")


def _money(x: float) -> str:
    return "not available" if math.isnan(x) else f"DKK {x / 1e6:,.1f} million"


try:  # the page needs the optional viz extra
    import solara
except ImportError:  # pragma: no cover - exercised where solara is absent
    solara = None

if solara is not None:

    def make_plot(key: str) -> Callable[[DashboardModel], Any]:
        """A SolaraViz component (a function of the model) drawing one plot."""
        title, ylabel, columns = plot_specs()[key]

        def Plot(model: DashboardModel):  # noqa: N802 - solara components are capitalised
            df = model.datacollector.get_model_vars_dataframe()
            solara.FigureMatplotlib(_figure(df, columns, title, ylabel), format="png")

        Plot.__name__ = f"Plot_{key}"
        return Plot

    def Totals(model: DashboardModel):  # noqa: N802
        """Running totals and the side-by-side table."""
        t = model.totals()
        rows = [("homeless now", t["homeless"], t["baseline_homeless"]),
                ("homeless days so far", f"{t['homeless_days']:,.0f}",
                 f"{t['baseline_homeless_days']:,.0f}"),
                ("waiting for a place", t["waiting"], t["baseline_waiting"])]
        if "cost" in t:
            rows.append(("cost so far", _money(t["cost"]), _money(t["baseline_cost"])))
        rows += [(name.replace("_", " "), a, b) for name, a, b in model.side_by_side()]
        changed = ", ".join(f"{k} = {v}" for k, v in model.overrides.items()) or "none"
        notes = [f"Levers changed: {changed}"]
        if model.lever_error:
            notes.append(f"Levers not applied: {model.lever_error}")
        if "cost" not in t:
            notes.append("Costs: no cost model installed (sim.costs).")
        elif model.cost_error:
            notes.append(f"Costs not available: {model.cost_error}")
        with solara.Card("Running totals"):
            solara.HTML(tag="div", unsafe_innerHTML=totals_html(
                f"Week {t['week']} of {model.weeks} (seed {model.seed})", rows, notes))

    def components() -> list:
        """The dashboard's components (page 0)."""
        return [(make_plot("situations"), 0), (make_plot("compare"), 0),
                (make_plot("waiting"), 0), (Totals, 0)]

    @solara.component
    def Dashboard(loaded: LoadedScenario, seed: int = 0, years: int | None = None):  # noqa: N802
        """The dashboard for one scenario (also usable in a Jupyter notebook)."""
        from mesa.visualization import SolaraViz

        model = solara.use_memo(lambda: DashboardModel(base=loaded, seed=seed, years=years),
                                [])
        return SolaraViz(model, components=components(),
                         model_params=model_params(loaded, seed, years),
                         name=f"homesim: {loaded.name}")

    @solara.component
    def Page():  # noqa: N802
        """The dashboard page for the scenario named by ``homesim dashboard``."""
        loaded, seed, years = solara.use_memo(settings_from_env, [])
        return Dashboard(loaded, seed, years)


def lever_table(loaded: LoadedScenario) -> list[tuple[str, str, Any]]:
    """(lever name, scenario key, starting value) of the levers this schema offers."""
    return [(lv.name, lv.path, lever_start(lv, loaded)) for lv in available_levers()]


__all__ = ["LEVERS", "DashboardModel", "Lever", "available_levers", "lever_overrides",
           "lever_table", "model_params"]
