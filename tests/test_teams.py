"""Support teams named in the scenario, each of a kind; policies with one lifecycle."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SCENARIOS, chain_scenario

import sim
from sim.cli import main
from sim.costs import cost_columns
from sim.dashboard import available_levers, lever_overrides
from sim.evidence import support_spells
from sim.policies.lifecycle import Policy
from sim.policies.runtime import POLICY_CLASSES
from sim.scenario.policy_schema import TEAM_NAMES, team_kind
from sim.situations import age_band_of
from sim.streams import run_seed


@pytest.fixture(scope="module")
def youth():
    """The shipped example with a second ICM team for under-30s, run three years."""
    sc = sim.load_scenario(SCENARIOS / "randers_youth_icm.yaml")
    return sim.HomelessnessModel(sc, rng=run_seed(3, 0), years=3).run()


def test_classic_teams_keep_their_names_kinds_and_order():
    """A file with only the classic teams has exactly them, in their order, each of the
    kind of its name (so old files give the same numbers; tests/test_baseline.py)."""
    sc = sim.load_scenario(SCENARIOS / "randers_housing_first.yaml").params
    assert tuple(sc.policies.teams) == TEAM_NAMES
    assert [team_kind(n, t).name for n, t in sc.policies.teams.items()] == list(TEAM_NAMES)
    base = sim.load_scenario(SCENARIOS / "randers_baseline.yaml").params
    assert tuple(base.policies.teams) == TEAM_NAMES
    assert not any(t.enabled for t in base.policies.teams.values())


def test_second_icm_team_takes_the_young_and_the_first_the_rest(youth):
    """The youth team supports citizens who were under 30 when referred to it, the ICM
    team (30+ in this file) those who were 30 or over; both support someone.

    Eligibility is checked at referral, so a citizen who turns 30 while on the youth
    team's list is still taken; the age is read at the week of joining the list.
    """
    names = youth.policies.support_teams
    assert names == (*TEAM_NAMES, "youth_icm")
    a = youth.citizens
    k_young, k_icm = names.index("youth_icm"), names.index("icm")
    for k, young in ((k_young, True), (k_icm, False)):
        members = np.flatnonzero(a.team == k)
        assert members.size > 0
        band = age_band_of(a.team_wait_since[members].astype(np.int64) - a.birth[members])
        assert ((band < 2) == young).all()


def test_a_named_team_is_priced_by_its_kind_and_reported_by_its_name(youth):
    """Without a price of its own, a week of the youth team costs what a week of ICM
    costs (the scenario prices costs.support.icm); its outputs carry its name."""
    cols = cost_columns(youth)
    weeks_young, weeks_icm = cols["support_weeks_youth_icm"], cols["support_weeks_icm"]
    assert weeks_young > 0 and weeks_icm > 0
    per_week_young = cols["cost_item_support_youth_icm"] / weeks_young
    per_week_icm = cols["cost_item_support_icm"] / weeks_icm
    assert per_week_young == pytest.approx(per_week_icm, rel=1e-12)
    assert "support_starts_youth_icm" in cols and "cost_item_staff_youth_icm" in cols


def _small(teams: dict, costs: dict | None = None, changes: list | None = None) -> dict:
    """Twenty citizens in shelter who never move on their own, and the given teams."""
    d = chain_scenario({"shelter": 20}, {}, years=2)
    d["policies"] = {"teams": teams}
    d["costs"] = costs or {}
    if changes:
        d["changes"] = changes
    return d


RRH = {
    "kind": "rapid_rehousing",
    "label": "Rapid re-housing",
    "enabled": True,
    "staff": 1,
    "caseload": 5,
    "needs": ["low"],
    "situations": ["shelter"],
    "referral_per_week": 1.0,
    "duration_weeks": 13,
}


def test_a_time_limited_team_ends_support_at_its_length():
    """Rapid re-housing (time-limited) ends every spell of support 13 weeks after it
    began (nobody here moves or leaves), and takes the next five from its list."""
    model = sim.HomelessnessModel(sim.load_scenario(_small({"rrh": RRH})), rng=1).run()
    spells = support_spells(model)
    k = model.policies.support_teams.index("rrh")
    done = spells[(spells.team == k) & (spells.end >= 0)]
    assert len(done) >= 20  # five places, 13 weeks each, over two years
    assert (done.end - done.start == 13).all()
    assert model.policies.support_weeks[1:, k].max() == 5  # never beyond the caseload


def test_own_price_comes_before_the_kinds():
    """``costs.support.<team>`` prices that team; ``costs.support.<kind>`` the others."""
    # half the referrals each week, so that both teams get citizens (one list each)
    first, second = {**RRH, "referral_per_week": 0.5}, {**RRH, "label": "Second"}
    costs = {
        "price_year": 2023,
        "support": {"rapid_rehousing": {"price": 100.0}, "rrh2": {"price": 250.0}},
    }
    d = _small({"rrh": first, "rrh2": second}, costs)
    model = sim.HomelessnessModel(sim.load_scenario(d), rng=1).run()
    cols = cost_columns(model)
    for name, price in (("rrh", 100.0), ("rrh2", 250.0)):
        weeks = cols[f"support_weeks_{name}"]
        assert weeks > 0
        assert cols[f"cost_item_support_{name}"] == pytest.approx(price * weeks, rel=1e-12)


def test_a_dated_change_may_add_a_team():
    """A team added by a dated change is numbered after the others, supports nobody
    before the change and someone after it."""
    changes = [{"date": "2016-07", "set": {"policies.teams.rrh": RRH}}]
    loaded = sim.load_scenario(_small({}, changes=changes))
    model = sim.HomelessnessModel(loaded, rng=1).run()
    names = model.policies.support_teams
    assert names == (*TEAM_NAMES, "rrh")
    week = loaded.phases[1][0]
    sw = model.policies.support_weeks[:, names.index("rrh")]
    assert week > 0 and sw[: week + 1].sum() == 0 and sw[week + 1 :].sum() > 0


def test_a_duplicate_team_name_is_refused(tmp_path, capsys):
    """Two teams of one name in a file: one clear line naming the file and the key,
    exit 2, no traceback."""
    path = tmp_path / "dup.yaml"
    path.write_text(
        "extends: randers_baseline.yaml\n"
        "policies:\n  teams:\n"
        "    youth: {kind: icm}\n"
        "    youth: {kind: act}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "duplicate key 'youth'" in err and "Traceback" not in err


def test_the_dashboard_offers_a_staff_lever_for_each_named_team():
    """The dashboard's team levers list the scenario's own teams, by label, and moving
    one switches that team on."""
    loaded = sim.load_scenario(SCENARIOS / "randers_youth_icm.yaml")
    levers = {lv.name: lv for lv in available_levers(loaded=loaded)}
    lever = levers["youth_icm_staff"]
    assert lever.label == "ICM for young people: staff"
    assert lever.path == "policies.teams.youth_icm.staff"
    names = list(levers)
    assert names.index("youth_icm_staff") == names.index("cti_staff") + 1
    out = lever_overrides(loaded, {"youth_icm_staff": 3.0})
    assert out == {"policies.teams.youth_icm.staff": 3.0, "policies.teams.youth_icm.enabled": True}
    plain = sim.load_scenario(SCENARIOS / "randers_baseline.yaml")
    assert "youth_icm_staff" not in {lv.name for lv in available_levers(loaded=plain)}


def test_every_policy_follows_the_lifecycle():
    """Each kind of policy has every point of the ``Policy`` protocol."""
    points = ("before_moves", "filter_moves", "multipliers", "on_move", "after_week")
    for cls in POLICY_CLASSES:
        assert all(callable(getattr(cls, p)) for p in (*points, "queue_rules")), cls
        assert isinstance(cls.FIELDS, tuple)
    assert set(points) <= set(dir(Policy))


def test_every_policy_array_exists_and_queue_rules_come_from_the_policies():
    """With no policy on, every array a policy declares exists; the allocator's rules for
    the lists for places are exactly those the policies in force declare."""
    from sim.places import QUEUE_NAMES

    base = sim.load_scenario(SCENARIOS / "randers_baseline.yaml")
    model = sim.HomelessnessModel(base, rng=1, years=1)
    for cls in POLICY_CLASSES:
        for name, dtype, fill in cls.FIELDS:
            arr = getattr(model.citizens, name)
            assert arr.dtype == np.dtype(dtype) and (arr[: model.citizens.n] == fill).all()
    assert model.allocator.front == {} and model.allocator.reserved == {}
    hf = base.with_overrides(
        {
            "policies.pathway.model": "housing_first",
            "policies.youth.priority": True,
            "policies.youth.reserved_starter_homes": 4,
        }
    )
    model = sim.HomelessnessModel(hf, rng=1, years=1)
    starter, assigned = QUEUE_NAMES.index("starter"), QUEUE_NAMES.index("assigned_home")
    assert set(model.allocator.front) == {starter, assigned}
    assert model.allocator.front[assigned] == model.policies.housing_first.in_programme
    assert model.allocator.reserved[starter][0] == 4
