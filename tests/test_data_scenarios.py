"""The settings built from real data: they validate, run, and hold what the files give."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import sim
from sim.data import read_flow, read_occupancy, read_service_users
from sim.data.schedules import toronto_schedule
from sim.outcomes import situation_totals
from sim.situations import Situation
from tests.conftest import SCENARIOS
from tests.shared_data import data_file

TORONTO = SCENARIOS / "toronto_baseline.yaml"


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
    assert have == {c["date"]: c["set"] for c in want["changes"]}
    raw = yaml.safe_load(TORONTO.read_text(encoding="utf-8"))
    assert raw["places"]["shelter"]["capacity"] == want["initial"]["places.shelter.capacity"]
    assert raw["entries"]["per_week"] == want["initial"]["entries.per_week"]
    counts = raw["initial"]["counts"]
    jan = flow[(flow["group"] == "All Population") & (flow["month"] == "2018-01-01")]
    assert counts["shelter"]["value"] + counts["friends"]["value"] == int(
        jan["actively_homeless"].iloc[0])
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
    assert tot[0, :int(Situation.LEFT)].sum() == 5647 + 2311 + 900 + 30000


def test_every_parameter_of_the_new_settings_names_its_source():
    for name in ("toronto_baseline.yaml",):
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


@pytest.mark.parametrize("name", ["toronto_baseline.yaml"])
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
