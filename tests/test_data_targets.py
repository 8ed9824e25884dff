"""The monthly target key and the targets built from the data tables (no files needed)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.calibration import load_targets, target_values
from sim.data import targets
from sim.scenario.errors import ScenarioError


def _one(**item) -> dict:
    return {"targets": [{"measure": "actively_homeless", "observed": 100, "sd": 5, **item}]}


def test_a_month_names_a_monthly_column_and_its_year():
    t = load_targets(_one(month="2019-03")).targets[0]
    assert t.column == "actively_homeless_2019-03" and t.year == 2019 and t.month == "2019-03"
    frame = pd.DataFrame({"actively_homeless_2019-03": [90.0, 110.0]})
    assert target_values(frame, [t])["actively_homeless_2019-03"].tolist() == [90.0, 110.0]
    share = load_targets(
        {
            "targets": [
                {"measure": "x", "divide_by": "y", "month": "2020-01", "observed": 0.5, "sd": 0.1}
            ]
        }
    ).targets[0]
    assert share.divide_by == "y_2020-01"


@pytest.mark.parametrize(
    "item, message",
    [
        ({"month": "2019-3"}, "expected a month YYYY-MM"),
        ({"month": "2019-13"}, "expected a month YYYY-MM"),
        ({"month": 201903}, "expected a month YYYY-MM"),
        ({"month": "2019-03", "year": 2019}, "either 'year' or 'month'"),
    ],
)
def test_bad_months_are_rejected(item, message):
    with pytest.raises(ScenarioError, match=message):
        load_targets(_one(**item))


def test_sd_is_the_largest_of_share_poisson_and_one():
    assert targets.sd_of(8000, 0.05) == 400.0
    assert targets.sd_of(50, 0.10) == round(math.sqrt(50), 1)  # Poisson noise dominates
    assert targets.sd_of(0, 0.10) == 1.0


def test_bed_values_sum_permanent_housing_and_treat_blanks_as_none():
    beds = pd.Series(
        {
            "es_beds": 10,
            "th_beds": 5,
            "sh_beds": pd.NA,
            "rrh_beds": pd.NA,
            "psh_beds": 7,
            "oph_beds": 3,
        }
    )
    v = targets.bed_values(beds)
    assert v == {
        "places.shelter.capacity": 10,
        "places.night_shelter.capacity": 0,
        "places.starter.capacity": 5,
        "places.supported.capacity": 10,
        "policies.teams.cti.staff": 0,
    }


def test_bed_schedule_writes_only_what_changes():
    hic = pd.DataFrame(
        {
            "coc": "ZZ-500",
            "year": [2010, 2011, 2012],
            "es_beds": [10, 10, 12],
            "th_beds": [5, 5, 5],
            "sh_beds": [0, 0, 0],
            "rrh_beds": [pd.NA, 4, 4],
            "psh_beds": [7, 7, 7],
            "oph_beds": [0, 0, 0],
        }
    )
    s = targets.bed_schedule(hic, "ZZ-500")
    assert s["initial"]["places.shelter.capacity"]["value"] == 10
    values = [(c["date"], {k: v["value"] for k, v in c["set"].items()}) for c in s["changes"]]
    assert values == [
        ("2011-01", {"policies.teams.cti.staff": 4}),
        ("2012-01", {"places.shelter.capacity": 12}),
    ]


def test_group_labels_accept_slugs_and_labels():
    assert targets.group_labels(["all", "Single Adult", "NON_REFUGEES"]) == [
        "All Population",
        "Single Adult",
        "Non-refugees",
    ]
    with pytest.raises(ScenarioError, match="--group"):
        targets.group_labels(["elderly"])
