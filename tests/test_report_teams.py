"""Support teams are named by their ``label`` (else their name in words) in reports,
figures and the dashboard, never by their key: checked on ``randers_youth_icm``, whose
second ICM team ``youth_icm`` is labelled "ICM for young people"."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

import sim
from sim.cli import main
from sim.dashboard import DashboardModel, available_levers, changed_text, lever_notes
from sim.report.outcomes import outcome_label
from sim.scenario.labels import key_label, team_labels, team_words
from tests.conftest import SCENARIOS
from tests.test_plots import recording_figures
from tests.test_report_command import visible_text

YOUTH = SCENARIOS / "randers_youth_icm.yaml"
LABEL = "ICM for young people"
#: The team's key, and the form of it a fallback to its name would give.
RAW = re.compile(r"youth[_ ]icm", re.IGNORECASE)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[str]]]:
    """A small compare of Housing First against it with the youth team (2 runs, 1 year);
    the folder and the texts of every figure drawn."""
    out = tmp_path_factory.mktemp("teams") / "cmp"
    args = ["compare", str(SCENARIOS / "randers_housing_first.yaml"), str(YOUTH)]
    with recording_figures() as texts:
        assert main([*args, "-n", "2", "--years", "1", "--out", str(out), "-q"]) == 0
    return out, texts


def test_labels_of_a_scenarios_teams():
    raw = sim.load_scenario(YOUTH).raw
    teams = team_labels(raw)
    assert teams["youth_icm"] == LABEL and teams["icm"] == "ICM"
    assert team_words("youth_icm") == "youth ICM"  # no label: the name in words
    assert key_label("policies.teams.youth_icm.staff", teams) == (
        f"Policies: support teams, {LABEL}, staff"
    )
    assert outcome_label("support_weeks_youth_icm", teams=teams) == f"weeks of support by {LABEL}"
    assert outcome_label("cost_item_staff_youth_icm", teams=teams) == (
        f"cost of staff: {LABEL} (DKK)"
    )
    assert outcome_label("support_weeks_icm", teams=teams) == "weeks of ICM support"


def test_the_report_names_the_team_by_its_label(compared):
    folder, _ = compared
    for name in ("report.html", "report.md"):
        text = visible_text((folder / name).read_text(encoding="utf-8"))
        assert RAW.search(text) is None, (name, RAW.search(text))
        assert f"weeks of support by {LABEL}" in text, name  # the outcome tables
        assert f"Policies: support teams, {LABEL}, staff" in text, name  # the parameters
    assert main(["report", str(folder)]) == 0  # the same words from the folder alone
    again = visible_text((folder / "report.html").read_text(encoding="utf-8"))
    assert RAW.search(again) is None and LABEL in again


def test_the_figures_never_show_the_teams_key(compared):
    _, figures = compared
    assert figures
    for texts in figures:
        assert not [t for t in texts if RAW.search(t)], texts


def test_the_dashboard_names_the_team_by_its_label():
    loaded = sim.load_scenario(YOUTH)
    by = {lv.name: lv for lv in available_levers(loaded=loaded)}
    assert by["youth_icm_staff"].label == f"{LABEL}: staff"
    m = DashboardModel(base=loaded, seed=0, years=1, youth_icm_staff=3.0)
    text = changed_text(m)
    assert f"Policies: support teams, {LABEL}, staff = 3.0" in text, text
    assert RAW.search(text) is None, text
    # a team nobody is referred to: the note says so, by the team's label
    raw = copy.deepcopy(loaded.raw)
    raw["policies"]["teams"]["youth_icm"].update(referral_per_week=0.0, on_housing=False)
    quiet = sim.load_scenario(raw)
    notes = lever_notes(DashboardModel(base=quiet, seed=0, years=1), {})
    assert notes["youth_icm_staff"] == (
        f"Nobody is referred to the {LABEL} team in this scenario, so its staff change nothing."
    )


def test_a_team_without_a_label_is_named_in_words():
    raw = copy.deepcopy(sim.load_scenario(YOUTH).raw)
    del raw["policies"]["teams"]["youth_icm"]["label"]
    loaded = sim.load_scenario(raw)
    by = {lv.name: lv for lv in available_levers(loaded=loaded)}
    assert by["youth_icm_staff"].label == "youth ICM: staff"
    m = DashboardModel(base=loaded, seed=0, years=1, youth_icm_staff=2.0)
    assert "Policies: support teams, youth ICM, staff = 2.0" in changed_text(m)
    assert "youth_icm" not in changed_text(m)
