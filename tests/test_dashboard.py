"""The dashboard's model side: levers, the model pair, running totals, the command."""

from __future__ import annotations

import importlib.util
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.cli import main
from sim.commands import dashboard as command
from sim.dashboard import (
    LEVERS,
    DashboardModel,
    Lever,
    Opened,
    advance,
    available_levers,
    build_model,
    changed_text,
    choice_words,
    frontier_figure,
    lever_notes,
    lever_overrides,
    lever_start,
    lever_text,
    model_params,
    open_point,
    plan_choices,
    point_menu,
    read_plan,
    totals_html,
    totals_notes,
    totals_rows,
)
from sim.model import HomelessnessModel
from sim.places import QUEUE_NAMES
from sim.scenario.loader import load_scenario
from sim.situations import HOMELESS_MASK, SITUATIONS
from sim.streams import run_seed
from tests.conftest import chain_scenario

ROOT = Path(__file__).resolve().parents[1]
HAS_VIZ = all(importlib.util.find_spec(m) for m in ("solara", "altair"))


def small_scenario():
    """A small scenario with scarce places, so that the levers matter."""
    raw = chain_scenario(
        {"own": 300, "at_risk": 40, "rough": 10, "shelter": 20, "friends": 10, "starter": 5},
        {
            "own": {"at_risk": 0.01},
            "at_risk": {"own": 0.05, "shelter": 0.02, "rough": 0.01},
            "rough": {"shelter": 0.1, "own": 0.02},
            "shelter": {"starter": 0.05, "own": 0.05},
            "friends": {"shelter": 0.05, "own": 0.05},
            "starter": {"own": 0.06},
        },
        years=1,
    )
    raw["places"] = {
        "shelter": {"capacity": 20, "overflow": {"rough": 1.0}},
        "starter": {"capacity": 5},
    }
    raw["housing"] = {"assignments_per_week": 1.0, "self_found_share": 0.5}
    # prevention without an effect (the schema's default is the cited 0.43), so that its
    # lever note can be checked
    raw["policies"] = {"prevention": {"m_loss": 1.0}}
    return load_scenario(raw)


@pytest.fixture(scope="module")
def base():
    return small_scenario()


def test_levers_cover_the_main_keys_and_skip_unknown_ones(base):
    names = {lv.name for lv in available_levers()}
    assert {"starter_homes", "shelter_beds", "assigned_homes"} <= names
    ghost = Lever("ghost", "policies.no_such_policy.enabled", "Ghost", "bool")
    assert available_levers((*LEVERS, ghost)) == available_levers()
    params = model_params(base, seed=3)
    assert params["seed"] == 3 and params["base"] is base
    assert params["starter_homes"]["value"] == 5
    assert params["assigned_homes"]["type"] == "SliderFloat"
    assert params["assigned_homes"]["value"] == 1.0


def test_overrides_only_for_moved_levers(base):
    assert lever_overrides(base, {"starter_homes": 5, "shelter_beds": 20}) == {}
    assert lever_overrides(base, {"starter_homes": 9}) == {"places.starter.capacity": 9}
    with pytest.raises(KeyError):
        lever_overrides(base, {"no_such_lever": 1})
    # an unlimited capacity starts at the slider's right end and stays unlimited there
    night = next(lv for lv in LEVERS if lv.name == "night_shelter_beds")
    assert lever_start(night, base) == night.max
    assert lever_overrides(base, {"night_shelter_beds": night.max}) == {}
    assert lever_overrides(base, {"night_shelter_beds": 4}) == {"places.night_shelter.capacity": 4}


def test_team_lever_switches_its_team_on(base):
    team = next((lv for lv in available_levers() if lv.enable), None)
    if team is None:
        pytest.skip("no support team keys in the schema yet")
    assert lever_overrides(base, {team.name: 2.0}) == {team.path: 2.0, team.enable: True}


def test_unchanged_levers_give_the_plain_model_and_baseline(base):
    m = DashboardModel(base=base, seed=7, starter_homes=5)
    plain = HomelessnessModel(base, rng=run_seed(7, 0))
    for _ in range(20):
        m.step()
        plain.step()
    np.testing.assert_array_equal(m.recorder.counts, plain.recorder.counts)
    np.testing.assert_array_equal(m.baseline.recorder.counts, plain.recorder.counts)
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == 21
    assert (df["homeless"] == df["baseline_homeless"]).all()


def test_moved_lever_changes_the_model_not_the_baseline(base):
    m = DashboardModel(base=base, seed=1, starter_homes=0, assigned_homes=3.0)
    assert m.params.places.starter.capacity == 0
    assert m.params.housing.assignments_per_week == 3.0
    assert m.baseline.params.places.starter.capacity == 5
    m.run(30)
    assert m.count("starter") == 0  # no starter homes: everyone placed there has left
    assert m.week == m.baseline.week == 30


def test_invalid_lever_value_is_reported_and_not_applied(base):
    m = DashboardModel(base=base, seed=0, starter_homes=-2)
    assert "places.starter.capacity" in m.lever_error
    assert m.overrides == {} and m.params.places.starter.capacity == 5
    m.run(2)
    assert m.week == 2


def test_collected_rows_equal_the_recorder(base):
    m = DashboardModel(base=base, seed=2, shelter_beds=5)
    m.run(15)
    df = m.datacollector.get_model_vars_dataframe()
    totals = m.recorder.counts.sum(axis=(2, 3))[:16]
    np.testing.assert_array_equal(df["homeless"], totals[:, HOMELESS_MASK].sum(axis=1))
    np.testing.assert_array_equal(df["shelter"], totals[:, SITUATIONS.index("shelter")])
    for q, name in enumerate(QUEUE_NAMES):
        np.testing.assert_array_equal(df[f"waiting_{name}"], m.recorder.queues[:16, q])
        np.testing.assert_array_equal(
            df[f"baseline_waiting_{name}"], m.baseline.recorder.queues[:16, q]
        )
    assert df["waiting_shelter"].sum() > 0  # 5 beds for 20 shelter guests: a list forms


def test_running_totals_match_the_summary(base):
    m = DashboardModel(base=base, seed=4, starter_homes=2)
    m.run(26)
    t = m.totals()
    assert t["week"] == 26
    assert t["homeless"] == m.homeless and t["baseline_homeless"] == m.baseline.homeless
    assert t["homeless_days"] == m.summary()["homeless_days"]
    assert t["baseline_homeless_days"] == m.baseline.summary()["homeless_days"]
    side = dict((n, (a, b)) for n, a, b in m.side_by_side())
    assert side["starter"] == (m.count("starter"), m.baseline.count("starter"))
    page = totals_html(
        "Week 26",
        [("homeless now", t["homeless"], t["baseline_homeless"], "0")],
        ["Levers changed: <none>"],
    )
    assert f"<td align='right'>{t['homeless']}</td>" in page and "&lt;none&gt;" in page
    assert "<th align='right'>difference</th>" in page


def test_totals_have_a_difference_and_a_discounted_cost():
    from sim.costs import run_costs

    randers = load_scenario(str(ROOT / "scenarios" / "randers_baseline.yaml"))
    m = DashboardModel(base=randers, seed=4, years=2, shelter_beds=20)
    m.run(60)  # into the second year, which is discounted
    rows = {r[0]: r[1:] for r in totals_rows(m)}
    t = m.totals()
    d = t["homeless"] - t["baseline_homeless"]
    assert rows["homeless now"] == (
        f"{t['homeless']:,}",
        f"{t['baseline_homeless']:,}",
        f"{'+' if d > 0 else '-' if d < 0 else ''}{abs(d):,}",
    )
    assert t["cost_discounted"] == run_costs(m).total(True) < t["cost"]
    assert rows["cost so far, discounted"][0] == f"DKK {t['cost_discounted'] / 1e6:,.1f} million"
    assert "starter homes" in rows  # situations in words


def test_running_cost_is_the_cost_model_total(base):
    from sim.costs import run_costs

    m = DashboardModel(base=base, seed=4)
    m.run(10)
    assert m.totals()["cost"] == run_costs(m).total()


def test_no_cost_model_no_cost_column(base, monkeypatch):
    monkeypatch.setitem(sys.modules, "sim.costs", None)  # import fails
    m = DashboardModel(base=base, seed=0)
    m.run(2)
    assert "cost" not in m.totals() and "cost" not in m.datacollector.model_reporters


def test_running_cost_uses_the_cost_model_when_there_is_one(base, monkeypatch):
    fake = types.ModuleType("sim.costs")
    fake.run_costs = lambda model: types.SimpleNamespace(
        total=lambda discounted=False: 1000.0 * model.week
    )
    monkeypatch.setitem(sys.modules, "sim.costs", fake)
    m = DashboardModel(base=base, seed=0)
    m.run(3)
    assert m.totals()["cost"] == 3000.0 and m.totals()["baseline_cost"] == 3000.0

    def broken(model):
        raise ValueError("no prices")

    fake.run_costs = broken
    m = DashboardModel(base=base, seed=0)
    m.run(2)
    assert math.isnan(m.totals()["cost"])
    assert m.cost_error == "ValueError: no prices"


def test_model_errors_become_messages(base, monkeypatch):
    """Any error of the model, when built or run, is a one-line message for the page."""

    def fail(self):
        raise AttributeError("'CitizenArrays' object has no attribute 'team'")

    m, err = build_model(base, 0, None, {"starter_homes": 5})
    assert err is None and advance(m, 3) is None and m.week == 3
    monkeypatch.setattr(HomelessnessModel, "step", fail)  # the model's own step fails
    m, err = build_model(base, 0, None, {"starter_homes": 5})
    assert err is None
    err = advance(m, 3)
    assert err.startswith("The model stopped with an error: ") and "\n" not in err
    assert "no attribute 'team'" in err and m.week == 0
    monkeypatch.setattr(DashboardModel, "__init__", lambda self, **kw: fail(self))
    m, err = build_model(base, 0, None, {})
    assert m is None and "Traceback" not in err and "team" in err


def test_run_to_the_end_runs_the_horizon(base):
    m, _ = build_model(base, 0, None, {})
    assert advance(m) is None
    assert m.week == m.weeks == 52 and m.baseline.week == 52
    assert advance(m) is None and m.week == 52  # at the end nothing more runs


def test_levers_speak_in_words(base):
    by = {lv.name: lv for lv in available_levers()}
    assert lever_text(by["starter_homes"], 24) == "Starter homes: 24 places"
    assert lever_text(by["assigned_homes"], 2.5) == (
        "Homes assigned by the municipality: 2.5 homes a week"
    )
    assert lever_text(by["pathway"], "housing_first") == "Housing pathway: Housing First"
    assert choice_words(by["pathway"]) == {
        "none": "none",
        "staircase model": "staircase",
        "Housing First": "housing_first",
    }
    m = DashboardModel(base=base, seed=0, starter_homes=8)
    assert changed_text(m) == "Places: starter homes, places = 8"
    from sim.scenario.labels import DOTTED_KEY

    for text in (*totals_notes(m), *(r[0] for r in totals_rows(m))):
        assert DOTTED_KEY.search(text) is None and "_" not in text, text


def test_notes_say_why_a_lever_has_no_effect(base):
    m = DashboardModel(base=base, seed=0)
    assert "starter_homes" not in lever_notes(m, {})  # nothing run yet: nothing known
    m.run(10)
    notes = lever_notes(m, {"pathway": "housing_first"})
    # in this small scenario the default teams have no effects set, nor has prevention
    for name in ("act_staff", "icm_staff", "cti_staff"):
        assert "no effect set" in notes[name]
    assert "Prevention has no effect" in notes["eviction_prevention"]
    assert "with no team staff" in notes["pathway"]
    if (m.baseline.recorder.queues[:11, 2] == 0).all():  # starter: nobody waited
        assert "Nobody has waited for starter homes" in notes["starter_homes"]
    else:
        assert "starter_homes" not in notes


@pytest.mark.skipif(not HAS_VIZ, reason="the viz extra (solara, altair) is not installed")
def test_plots_draw_the_collected_numbers(base):
    from sim.dashboard import _figure, plot_specs

    m = DashboardModel(base=base, seed=6)
    m.run(5)
    df = m.datacollector.get_model_vars_dataframe()
    title, ylabel, cols = plot_specs()["compare"]
    ax = _figure(df, cols, title, ylabel).axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    np.testing.assert_array_equal(lines["with levers"].get_ydata(), df["homeless"])
    np.testing.assert_array_equal(lines["baseline"].get_ydata(), df["baseline_homeless"])
    assert ax.get_xlabel() == "week" and ax.get_ylabel() == "persons"


def test_command_without_viz_says_how_to_install(monkeypatch, capsys):
    monkeypatch.setattr(command, "missing_viz_packages", lambda: ["solara"])
    assert main(["dashboard"]) == 2
    err = capsys.readouterr().err
    assert "solara" in err and "pip install -e '.[viz]'" in err


@pytest.mark.skipif(not HAS_VIZ, reason="the viz extra (solara, altair) is not installed")
def test_command_rejects_a_bad_scenario_before_serving(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("places: {starter: {capacity: -3}}\n")
    assert main(["dashboard", str(bad)]) == 2
    assert "places.starter.capacity" in capsys.readouterr().err


def test_server_defaults_to_localhost():
    cmd = command.server_command("127.0.0.1", 8765)
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    env = command.server_env("x.yaml", 3, None)
    assert env["HOMESIM_SCENARIO"] == "x.yaml" and env["HOMESIM_SEED"] == "3"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


# ---------------------------------------------------------------- plans: the frontier's points


def make_plan_folder(tmp_path: Path) -> Path:
    """A finished ``homesim plan`` over the small scenario (2 years): homes assigned a week
    from the start and starter homes from 2016, a full grid of 3 x 2 plans."""
    raw = dict(small_scenario().raw)
    raw["setting"] = {**raw["setting"], "years": 2}
    scenario = tmp_path / "small_base.yaml"
    scenario.write_text(yaml.safe_dump(raw), encoding="utf-8")
    plan = tmp_path / "small_plan.yaml"
    doc = {
        "name": "small_plan",
        "description": "Fewest places that keep the homeless at the end at most 60.",
        "base": str(scenario),
        "variables": [
            {
                "key": "housing.assignments_per_week",
                "low": 0.5,
                "high": 1.5,
                "step": 0.5,
                "label": "homes assigned a week",
            },
            {
                "key": "places.starter.capacity",
                "low": 5,
                "high": 10,
                "step": 5,
                "from_year": 2016,
                "label": "starter homes",
                "cost": {"one_off": 100000, "payer": "municipality"},
            },
        ],
        "targets": [{"outcome": "homeless_end", "at_most": 60, "probability": 0.5}],
        "objective": "least_cost",
        "search": {"method": "grid", "replications": 3, "batch": 6, "seed": 2},
        "confirm": {"candidates": 2, "replications": 3, "max_replications": 3, "pcs": 0.5},
    }
    plan.write_text(yaml.safe_dump(doc), encoding="utf-8")
    out = tmp_path / "plans" / "small_plan"
    assert main(["plan", str(plan), "--out", str(out), "-q", "--workers", "1"]) == 0
    return out


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory) -> Path:
    return make_plan_folder(tmp_path_factory.mktemp("plan"))


def test_plan_points_are_the_frontier_rows(plan_folder):
    import json

    import pandas as pd

    from sim.plan.points import read_plan_folder

    plan = read_plan_folder(plan_folder)
    table = pd.read_csv(plan_folder / "frontier.csv")
    search = table[table["stage"] == "search"].reset_index(drop=True)
    assert len(plan.points) == len(search) == 6  # the full 3 x 2 grid
    for p, row in zip(plan.points, search.itertuples(index=False), strict=True):
        assert p.values == (row[1], row[2])  # the variables' columns, in their order
        assert p.cost == pytest.approx(row.cost_vs_base_discounted)
        assert p.days == pytest.approx(row.days_avoided)
    answer = json.loads((plan_folder / "plan.json").read_text())
    chosen = [p for p in plan.points if p.chosen]
    assert len(chosen) == 1 and answer["feasible"]
    want = answer["recommended"]
    assert chosen[0].values == (
        want["housing.assignments_per_week"],
        want["places.starter.capacity"],
    )
    menu = point_menu(plan)
    assert next(iter(menu.values())) == chosen[0].index  # the recommended plan first
    assert "recommended" in next(iter(menu)) and "_" not in "".join(menu)
    assert "starter homes 10 from 2016" in plan.values_text(plan.points[-1])


def test_an_opened_point_is_the_scenario_recommended_yaml_gives(plan_folder):
    """The recommended point opens as exactly the scenario of recommended.yaml: the same
    parameters and dated changes, so its run is the same, week by week; the baseline is
    the plan's base."""
    from sim.plan.points import read_plan_folder

    plan = read_plan_folder(plan_folder)
    chosen = plan.chosen()
    opened = open_point(plan, chosen.index)
    assert isinstance(opened, Opened)
    rec = load_scenario(plan_folder / "recommended.yaml")
    strip = lambda raw: {k: v for k, v in raw.items() if k not in ("name", "description")}  # noqa: E731
    assert strip(opened.start.raw) == strip(rec.raw)
    assert "Opened from the plan 'small_plan'" in opened.note and "recommended" in opened.note
    m = DashboardModel(base=opened.base, start=opened.start, seed=4)
    plain = HomelessnessModel(rec, rng=run_seed(4, 0))
    base = HomelessnessModel(opened.base, rng=run_seed(4, 0))
    for _ in range(m.weeks):
        m.step()
        plain.step()
        base.step()
    np.testing.assert_array_equal(m.recorder.counts, plain.recorder.counts)
    np.testing.assert_array_equal(m.baseline.recorder.counts, base.recorder.counts)
    assert m.overrides == {}  # the levers start at the point's values


def test_levers_start_at_an_opened_point_and_say_what_changes_later(plan_folder):
    from sim.plan.points import read_plan_folder

    plan = read_plan_folder(plan_folder)
    point = next(p for p in plan.points if p.values == (1.5, 10.0))
    opened = open_point(plan, point.index)
    by = {lv.name: lv for lv in available_levers()}
    assert lever_start(by["assigned_homes"], opened.start) == 1.5
    assert lever_start(by["starter_homes"], opened.start) == 5  # 10 only from 2016
    m = DashboardModel(base=opened.base, start=opened.start, seed=0, assigned_homes=2.0)
    assert m.overrides == {"housing.assignments_per_week": 2.0}  # moved from the point's 1.5
    note = lever_notes(m, {})["starter_homes"]
    assert "10 places from 2016-01-01" in note and "before then" in note
    assert m.params.housing.assignments_per_week == 2.0
    assert m.baseline.params.housing.assignments_per_week == 1.0  # the plan's base


def test_plan_choices_list_the_plan_folders_under_a_root(plan_folder, tmp_path):
    root = plan_folder.parent
    (root / "not_a_plan").mkdir(exist_ok=True)
    assert list(plan_choices(root).values()) == [str(plan_folder)]
    assert list(plan_choices(plan_folder).values()) == [str(plan_folder)]  # the folder itself
    assert plan_choices(tmp_path / "nowhere") == {}


def test_a_missing_or_broken_plan_folder_is_a_message(plan_folder, tmp_path):
    """Every way a folder can fail to be a plan's results gives a one-line message that
    names the folder; nothing raises."""
    import shutil

    def broken(name: str, change) -> Path:
        folder = tmp_path / name
        shutil.copytree(plan_folder, folder)
        change(folder)
        return folder

    cases = {
        "no such folder": (tmp_path / "nowhere", "no such folder"),
        "empty": (broken("empty", lambda f: [p.unlink() for p in f.iterdir()]), "no manifest"),
        "other command": (
            broken(
                "run",
                lambda f: (f / "manifest.json").write_text('{"kind": "run", "scenarios": {}}'),
            ),
            "not that of a 'homesim plan'",
        ),
        "bad json": (
            broken("json", lambda f: (f / "plan.json").write_text("{not json")),
            "cannot be read",
        ),
        "cut csv": (
            broken("csv", lambda f: (f / "frontier.csv").write_text("stage,replications\n")),
            "missing column",
        ),
        "text in numbers": (
            broken(
                "text",
                lambda f: (f / "frontier.csv").write_text(
                    (f / "frontier.csv").read_text().replace("search,", "search,x", 1)
                ),
            ),
            "must hold numbers",
        ),
    }
    for what, (folder, words) in cases.items():
        message = read_plan(folder)
        assert isinstance(message, str), what
        assert str(folder) in message and words in message, (what, message)
        assert "\n" not in message and "Traceback" not in message
    assert read_plan("  ").startswith("Give a plan's results folder")


def test_a_point_that_no_longer_validates_is_a_message(plan_folder, tmp_path):
    import json
    import shutil

    folder = tmp_path / "invalid"
    shutil.copytree(plan_folder, folder)
    man = json.loads((folder / "manifest.json").read_text())
    for sc in man["scenarios"].values():
        sc["as_run"]["housing"]["self_found_share"] = 3.0  # not a share
    (folder / "manifest.json").write_text(json.dumps(man))
    message = read_plan(folder)
    assert isinstance(message, str) and "not a valid scenario" in message
    assert "housing.self_found_share" not in message  # keys in words


def test_frontier_figure_marks_the_chosen_and_the_open_point(plan_folder):
    from sim.plan.points import read_plan_folder

    plan = read_plan_folder(plan_folder)
    point = plan.points[0]
    ax = frontier_figure(plan, point.index).axes[0]
    labels = [c.get_label() for c in ax.collections]
    assert "recommended" in labels and "open" in labels
    cross = ax.collections[labels.index("open")].get_offsets()
    np.testing.assert_allclose(cross, [[point.days, point.cost / 1e6]])
    ring = ax.collections[labels.index("recommended")].get_offsets()
    assert len(ring) == 1


def test_command_refuses_plans_that_are_not_a_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(command, "missing_viz_packages", lambda: [])
    assert main(["dashboard", "--plans", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--plans" in err[0] and "not a folder" in err[0]
    env = command.server_env("x.yaml", 3, None, str(tmp_path))
    assert env["HOMESIM_PLANS"] == str(tmp_path)
