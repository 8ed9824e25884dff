"""Outputs in the data's own terms: Toronto's monthly flows and HUD's January count, on
hand-made histories worked out by hand, on a model run, and through ``homesim run``.

Months of a 364-night year: Jan 0-30, Feb 31-58, Mar 59-89, Apr 90-119, May 120-150,
Jun 151-180, Jul 181-211, Aug 212-242, Sep 243-272, Oct 273-303, Nov 304-333,
Dec 334-363. "Three months without use" is 91 nights.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.data_terms import (
    INFLOWS,
    OUTFLOWS,
    TORONTO_COLUMNS,
    monthly_table,
    toronto_chronic,
    toronto_flows,
    us_pit_counts,
)
from sim.history import FORMER, RECENT, UNKNOWN
from tests.conftest import SCENARIOS
from tests.history_helpers import YEAR, history


def shared_data() -> Path | None:
    """The shared data folder (``shared/data``), found by walking up from the tests."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return None


def flows_history():
    return history(
        [
            (0, "shelter", 10, 20),
            (0, "own", 20, YEAR),  # new, housed
            (1, "shelter", -30, 40),
            (1, "rough", 40, 200),
            (1, "shelter", 200, 210),
            (1, "friends", 210, YEAR),  # there before; away 160 nights
            (2, "shelter", 50, 60),
            (2, "rough", 60, 151),
            (2, "shelter", 151, 160),
            (2, "own", 160, YEAR),  # back after exactly 91 nights
            (3, "shelter", 100, 110),
            (3, "friends", 110, 200),
            (3, "shelter", 200, 210),
            (3, "own", 210, YEAR),  # back after 90: still active
            (4, "shelter", 20, 30),
            (4, "own", 30, 100),
            (4, "shelter", 100, 105),
            (4, "rough", 105, YEAR),  # back from housing
            (5, "night_shelter", 300, YEAR),  # open at the horizon
            (6, "shelter", 0, 5),  # there on night 0, then left
        ],
        YEAR,
    )


def month_values(**by_month: int) -> list[int]:
    out = [0] * 12
    for name, value in by_month.items():
        out[
            [
                "jan",
                "feb",
                "mar",
                "apr",
                "may",
                "jun",
                "jul",
                "aug",
                "sep",
                "oct",
                "nov",
                "dec",
            ].index(name)
        ] = value
    return out


def test_toronto_flows_by_hand():
    got = toronto_flows(flows_history())
    assert got["date(mmm-yy)"].tolist()[:2] == ["Jan-15", "Feb-15"] and len(got) == 12
    assert got["newly_identified"].tolist() == month_values(jan=2, feb=1, apr=1, oct=1)
    assert got["returned_to_shelter"].tolist() == month_values(jun=1, jul=1)
    assert got["returned_from_housing"].tolist() == month_values(apr=1)
    assert got["moved_to_housing"].tolist() == month_values(jan=2, jun=1, jul=1)
    assert got["became_inactive"].tolist() == month_values(apr=1, may=2, jul=1, oct=1)
    assert got["actively_homeless"].tolist() == [2, 3, 3, 4, 2, 2, 1, 1, 1, 1, 1, 1]


def stock_flow_gap(table: pd.DataFrame, start: int) -> np.ndarray:
    """Change in the stock minus inflows plus outflows, month by month."""
    stock = np.concatenate([[start], table["actively_homeless"].to_numpy()])
    net = table[list(INFLOWS)].sum(axis=1) - table[list(OUTFLOWS)].sum(axis=1)
    return np.diff(stock) - net.to_numpy()


def test_the_stock_flow_identity_closes_by_hand():
    # in the system before the record began: citizens 1 and 6
    assert not stock_flow_gap(toronto_flows(flows_history()), 2).any()


def users_before_history():
    """Citizen 0 is a former user, 1 and 2 recent users, 3 unknown to the system."""
    h = history(
        [
            (0, "own", 0, 100),
            (0, "shelter", 100, 110),  # a return, not a first use
            (0, "own", 110, YEAR),
            (1, "friends", 0, 50),
            (1, "shelter", 50, 60),  # within 91 nights of their last use: no inflow
            (1, "own", 60, YEAR),
            (2, "friends", 0, YEAR),  # never back: inactive 91 nights after the last use
            (3, "own", 0, 200),
            (3, "shelter", 200, 210),  # a first use
            (3, "own", 210, YEAR),
        ],
        YEAR,
    )
    before = np.array([FORMER, RECENT, RECENT, UNKNOWN], dtype=np.int8)
    return dataclasses.replace(h, fields={"before": before})


def test_former_and_recent_users_by_hand():
    got = toronto_flows(users_before_history())
    assert got["newly_identified"].tolist() == month_values(jul=1)
    assert got["returned_to_shelter"].tolist() == month_values(apr=1)
    assert got["returned_from_housing"].tolist() == month_values()
    assert got["moved_to_housing"].tolist() == month_values(mar=1, apr=1, jul=1)
    # the two recent users' last uses are spread over the 91 nights before night 0
    # (nights 0 and -45): citizen 2 becomes inactive on night 45, in February
    assert got["became_inactive"].tolist() == month_values(feb=1)
    assert got["actively_homeless"].tolist() == [2, 1] + [0] * 10
    assert not stock_flow_gap(got, 2).any()


def test_a_run_marks_the_scenarios_former_and_recent_users():
    sc = sim.load_scenario(SCENARIOS / "toronto_baseline.yaml", setting__scale=0.01)
    model = sim.HomelessnessModel(sc, rng=3, years=1).run()
    h = model.history()
    before = h.fields["before"]
    first = h.stays.groupby("citizen").first()
    at_start = first[first["start"] <= 0]["situation"]
    own, friends = (
        sim.situations.SITUATIONS.index("own"),
        sim.situations.SITUATIONS.index("friends"),
    )
    assert (before[at_start.index[at_start == own]] == FORMER).all()
    assert (before[at_start.index[at_start == friends]] == RECENT).all()
    assert (before[model.citizens.entered > 0] == UNKNOWN).all()
    assert (before == FORMER).sum() == round(30000 * 0.01)


def test_the_chronic_group_needs_180_nights_in_the_past_year():
    h = history(
        [
            (0, "shelter", 0, 200),
            (0, "own", 200, YEAR),
            (1, "shelter", 0, 150),
            (1, "own", 150, YEAR),
        ],
        YEAR,
    )
    chronic = toronto_chronic(h)
    # citizen 0 has 181 nights by the end of June (night 180), still active; gone in July
    assert chronic["actively_homeless"].tolist() == month_values(jun=1)
    assert chronic["population_group"].unique().tolist() == ["Chronic"]
    assert chronic["newly_identified"].isna().all()


def test_the_chronic_group_counts_recurrent_use_over_three_years():
    h = history(
        [(0, "shelter", 0, 460), (0, "rough", 460, 1000), (0, "shelter", 1000, 3 * YEAR)], 3 * YEAR
    )
    values = toronto_chronic(h)["actively_homeless"].to_numpy()
    # end of November of year 2 (night 1062): 62 nights in the past year and 460 + 62
    # over three; end of December (1092): 92 in the past year, 460 + 92 = 552 over three
    assert values[-2:].tolist() == [0, 1]


def test_us_pit_counts_on_the_january_night():
    h = history(
        [
            (0, "shelter", 20, 30),
            (1, "starter", 0, 25),
            (2, "rough", 24, 25),
            (3, "friends", 0, 2 * YEAR),
            (4, "night_shelter", YEAR + 24, YEAR + 25),
            (5, "rough", 25, 30),
        ],
        2 * YEAR,
    )
    got = us_pit_counts(h)
    assert got.to_dict("list") == {
        "Year": [2015, 2016],
        "Sheltered.Total.Homeless": [2, 1],
        "Unsheltered.Homeless": [1, 0],
        "Overall.Homeless": [3, 1],
    }
    assert us_pit_counts(h, day=22)["Overall.Homeless"].tolist() == [2, 0]
    with pytest.raises(ValueError, match="last ten nights of January"):
        us_pit_counts(h, day=15)


def test_columns_are_named_as_torontos_file_names_them():
    data = shared_data()
    if data is None:
        pytest.skip("shared/data not found above the repository (Toronto flow file)")
    with open(data / "toronto" / "shelter_system_flow.csv", encoding="utf-8") as f:
        header = next(csv.reader(f))
    for name in ("date(mmm-yy)", "population_group", *TORONTO_COLUMNS):
        assert name in header


@pytest.fixture(scope="module")
def randers_history():
    model = sim.HomelessnessModel(SCENARIOS / "randers_baseline.yaml", rng=3, years=3)
    model.run()
    return model, model.history()


def test_model_run_flows_balance_and_agree_with_the_stays(randers_history):
    model, h = randers_history
    table = monthly_table(h)
    assert len(table) == 2 * 36
    flows = table[table["population_group"] == "All Population"]
    a = model.recorder.counts[0].sum(axis=(1, 2))
    in_system_at_start = int(
        a[int(sim.situations.Situation.SHELTER)] + a[int(sim.situations.Situation.NIGHT_SHELTER)]
    )
    assert not stock_flow_gap(flows, in_system_at_start).any()
    chronic = table[table["population_group"] == "Chronic"]["actively_homeless"].to_numpy()
    assert (chronic <= flows["actively_homeless"].to_numpy()).all()
    assert flows["newly_identified"].sum() > 0 and flows["became_inactive"].sum() > 0


def test_homesim_run_writes_the_monthly_table(tmp_path: Path):
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                str(SCENARIOS / "randers_baseline.yaml"),
                "-n",
                "2",
                "--years",
                "2",
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    monthly = pd.read_parquet(out / "monthly.parquet")
    assert set(monthly["replication"]) == {0, 1}
    assert len(monthly) == 2 * 2 * 24
    assert {
        "scenario",
        "date(mmm-yy)",
        "year",
        "month",
        "population_group",
        *TORONTO_COLUMNS,
    } <= set(monthly.columns)
    summary = pd.read_csv(out / "summary.csv")
    assert "shelter_nights_per_stay_mean_2015" in summary.columns
    assert "us_pit_sheltered_2016" in summary.columns


def test_moving_between_shelter_and_night_shelter_is_one_spell_of_use():
    h = history([(0, "shelter", 10, 20), (0, "night_shelter", 20, 30), (0, "own", 30, YEAR)], YEAR)
    got = toronto_flows(h)
    assert got["newly_identified"].sum() == 1 and got["moved_to_housing"].sum() == 1
    assert (
        got[["returned_to_shelter", "returned_from_housing", "became_inactive"]].to_numpy().sum()
        == 0
    )


def test_former_users_must_name_situations():
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario(SCENARIOS / "toronto_baseline.yaml", initial__former_users=["homes"])
    assert err.value.path == "initial.former_users[0]" and "expected one of" in str(err.value)
