"""The settings built from real data: they validate, run, and hold what the files give."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import sim
from sim.data import read_flow, read_hic, read_occupancy, read_pit, read_service_users
from sim.data.hud import coc_pit
from sim.data.schedules import toronto_schedule
from sim.data.targets import bed_schedule
from sim.outcomes import situation_totals
from sim.simulate import simulate
from sim.situations import Situation
from tests.conftest import SCENARIOS
from tests.shared_data import data_file

TORONTO = SCENARIOS / "toronto_baseline.yaml"
WA500 = SCENARIOS / "wa_500_baseline.yaml"
NEW = ("toronto_baseline.yaml", "wa_500_baseline.yaml")


def _changes(path) -> dict[str, dict]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {c["date"]: c["set"] for c in raw.get("changes", [])}


def test_toronto_schedule_is_the_files():
    """Every dated capacity and inflow in the scenario is what the City's files give."""
    flow = read_flow(data_file("toronto/shelter_system_flow.csv"))
    occ = read_occupancy(data_file("toronto/daily_shelter_occupancy_2017_2019.csv"))
    users = read_service_users(data_file("toronto/daily_service_users_2021_2024.csv"))
    want = toronto_schedule(flow, occ, users, "2018-01", "2024-06")
    have = _changes(TORONTO)
    schedule = {"places.shelter.capacity", "entries.per_week"}  # the scenario may add keys
    have = {d: {k: v for k, v in s.items() if k in schedule} for d, s in have.items()}
    assert have == {c["date"]: c["set"] for c in want["changes"]}
    raw = yaml.safe_load(TORONTO.read_text(encoding="utf-8"))
    assert raw["places"]["shelter"]["capacity"] == want["initial"]["places.shelter.capacity"]
    assert raw["entries"]["per_week"] == want["initial"]["entries.per_week"]
    counts = raw["initial"]["counts"]
    jan = flow[(flow["group"] == "All Population") & (flow["month"] == "2018-01-01")]
    assert counts["shelter"]["value"] + counts["friends"]["value"] == int(
        jan["actively_homeless"].iloc[0]
    )
    jan_occ = occ[(occ["date"] >= "2018-01-01") & (occ["date"] < "2018-02-01")]
    assert counts["shelter"]["value"] == round(float(jan_occ["occupancy"].mean()))


def test_toronto_runs_within_its_capacity():
    sc = sim.load_scenario(TORONTO)
    assert len(sc.phases) == 26
    model = sim.HomelessnessModel(sc, rng=3, years=1)
    model.run()
    tot = situation_totals(model.recorder)
    shelter = tot[:, int(Situation.SHELTER)]
    caps = {w: p.places.shelter.capacity for w, p in sc.phases}
    week_cap = np.array([caps[max(w for w in caps if w <= t)] for t in range(len(shelter))])
    assert (shelter <= week_cap).all()
    assert tot[0, : int(Situation.LEFT)].sum() == 5647 + 2311 + 900 + 30000


def test_every_parameter_of_the_new_settings_names_its_source():
    for name in NEW:
        text = (SCENARIOS / name).read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
        missing = list(_unsourced(raw, ""))
        assert not missing, f"{name}: no source for {missing[:5]}"


def _unsourced(node, path):
    """Dotted paths of numbers written bare (without {value, source})."""
    if isinstance(node, dict):
        if "value" in node:
            if not node.get("source"):
                yield path
            return
        for k, v in node.items():
            if path.startswith("changes") or k in ("setting", "name", "description"):
                continue
            yield from _unsourced(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, bool):
        return
    elif isinstance(node, int | float):
        yield path


@pytest.mark.parametrize("name", NEW)
def test_dated_changes_carry_sources(name):
    for date, updates in _changes(SCENARIOS / name).items():
        for key, value in updates.items():
            assert isinstance(value, dict) and value.get("source"), (date, key)


def test_shipped_toronto_targets_are_the_flow_file():
    from sim.calibration import check_free, load_targets

    flow = read_flow(data_file("toronto/shelter_system_flow.csv"))
    a = flow[flow["group"] == "All Population"]
    t = load_targets(SCENARIOS / "targets" / "toronto.yaml")
    assert len(t.targets) == len(a) * 6
    have = {x.column: x.observed for x in t.targets}
    for _, row in a.iterrows():
        for m in ("actively_homeless", "newly_identified", "moved_to_housing"):
            assert have[f"{m}_{row['month']:%Y-%m}"] == row[m]
    check_free(sim.load_scenario(TORONTO), t)


@pytest.mark.parametrize(
    "name, end", [("toronto_yearly.yaml", None), ("toronto_2018_2022_yearly.yaml", "2022-12")]
)
def test_shipped_yearly_toronto_targets_are_the_flow_file(name, end):
    from sim.calibration import check_free, load_targets
    from sim.data.targets import parse_month, toronto_targets

    flow = read_flow(data_file("toronto/shelter_system_flow.csv"))
    last = None if end is None else parse_month(end, "--to")
    want = toronto_targets(flow, end=last, every=12, sd_scale=True)["targets"]
    t = load_targets(SCENARIOS / "targets" / name)
    assert t.sd_scale is not None
    assert [(x.column, x.observed, x.sd) for x in t.targets] == [
        (f"{w['measure']}_{w['month']}..{w['until']}", w["observed"], w["sd"]) for w in want
    ]
    check_free(sim.load_scenario(TORONTO), t)


def test_wa_500_beds_are_the_hic():
    """Start capacities and every dated change are HUD's beds for WA-500, 2011-2023."""
    want = bed_schedule(read_hic(data_file("hud/hic_by_coc_2007_2023.csv")), "WA-500", (2011, 2023))
    assert _changes(WA500) == {c["date"]: c["set"] for c in want["changes"]}
    sc = sim.load_scenario(WA500)
    first = sc.params
    init = {k: v["value"] for k, v in want["initial"].items()}
    assert first.places.shelter.capacity == init["places.shelter.capacity"] == 2503
    assert first.places.starter.capacity == init["places.starter.capacity"]
    assert first.places.night_shelter.capacity == init["places.night_shelter.capacity"]
    assert first.places.supported.capacity == init["places.supported.capacity"]
    assert first.policies.teams.cti.staff == init["policies.teams.cti.staff"]
    last = sc.phases[-1][1]
    assert last.places.shelter.capacity == 5288 and last.policies.teams.cti.staff == 1247


def test_wa_500_starts_at_the_2011_count_and_runs():
    pit = coc_pit(read_pit(data_file("hud/pit_by_coc_2007_2019.csv")), "WA-500")
    raw = yaml.safe_load(WA500.read_text(encoding="utf-8"))["initial"]["counts"]
    sheltered = sum(raw[s]["value"] for s in ("shelter", "starter", "night_shelter"))
    assert sheltered == pit.loc[2011, "sheltered"]
    assert raw["rough"]["value"] == pit.loc[2011, "unsheltered"]
    frame = simulate(sim.load_scenario(WA500), [0], 0, years=1)
    row = frame.iloc[0]
    assert row["pit_2011"] == row["pit_sheltered_2011"] + row["pit_unsheltered_2011"]
    # week 4 of the first year: the stock has barely moved from the 2011 count
    assert abs(row["pit_2011"] - pit.loc[2011, "overall"]) < 0.05 * pit.loc[2011, "overall"]


def test_shipped_wa_500_targets_are_the_pit():
    from sim.calibration import check_free, load_targets

    pit = coc_pit(read_pit(data_file("hud/pit_by_coc_2007_2019.csv")), "WA-500")
    t = load_targets(SCENARIOS / "targets" / "wa_500.yaml")
    have = {x.column: x.observed for x in t.targets}
    assert len(have) == 9 * 3
    for year in range(2011, 2020):
        assert have[f"pit_{year}"] == pit.loc[year, "overall"]
        assert have[f"pit_sheltered_{year}"] == pit.loc[year, "sheltered"]
        assert have[f"pit_unsheltered_{year}"] == pit.loc[year, "unsheltered"]
    check_free(sim.load_scenario(WA500), t)
