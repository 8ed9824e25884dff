"""Measures of shelter use on hand-made histories whose answers are worked out by hand
(years of 364 nights: year 0 is nights 0-363, year 1 nights 364-727, ...), and on
real model runs against the model's own tallies."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.shelter_use import (
    NIGHT_SHELTER,
    TYPES,
    ShelterUse,
    chronic_homeless,
    homeless_any_to_pit,
    returns_after_housing,
    summary_measures,
    typology,
    usage_patterns,
    yearly_table,
)
from tests.conftest import SCENARIOS
from tests.history_helpers import YEAR, history

ROOT = Path(__file__).resolve().parents[1]


def nan_equal(got, want) -> bool:
    return np.allclose(np.asarray(got, float), np.asarray(want, float), equal_nan=True)


def short_stays():
    """One-night stays, a stay begun before night 0 and one that leaves the system."""
    return history(
        [
            (0, "shelter", 10, 11),
            (0, "own", 11, 3 * YEAR),
            (1, "shelter", 20, 30),
            (1, "friends", 30, 40),
            (1, "shelter", 40, 41),
            (1, "own", 41, 3 * YEAR),
            (2, "shelter", -50, 100),
            (2, "rough", 100, 200),  # then left, night 200
            (3, "shelter", 300, 3 * YEAR),  # open at the horizon
        ],
        3 * YEAR,
    )


def test_users_stays_and_nights_per_user():
    use = ShelterUse(short_stays())
    assert use.users().tolist() == [4, 1, 1]
    assert use.stay_count().tolist() == [5, 1, 1]
    assert nan_equal(use.stays_per_user(), [5 / 4, 1, 1])
    # year 0: 1 + (10 + 1) + 100 (nights 0-99) + 64 (300-363)
    assert nan_equal(use.nights_per_user(), [176 / 4, 364, 364])
    assert nan_equal(use.all_year_share(), [0, 1, 1])  # citizen 3 every night of years 1-2


def test_nights_per_stay_counts_completed_stays_by_their_last_night():
    lengths = ShelterUse(short_stays()).stay_lengths()
    # ended in year 0: 1, 10, 1 and 150 (begun on night -50); the open stay is left out
    row = lengths.loc[2015]
    assert row["stays_ended"] == 4
    assert row["nights_per_stay_mean"] == pytest.approx(40.5)
    assert row["nights_per_stay_median"] == pytest.approx(5.5)
    assert row["one_night_stays_share"] == pytest.approx(0.5)
    assert row["stays_up_to_7_nights_share"] == pytest.approx(0.5)
    assert row["stays_over_120_nights_share"] == pytest.approx(0.25)  # the 150-night stay
    assert lengths.loc[2016, "stays_ended"] == 0
    assert math.isnan(lengths.loc[2016, "nights_per_stay_mean"])


def test_a_stay_ending_on_the_last_night_of_a_year_belongs_to_that_year():
    h = history(
        [
            (0, "shelter", 300, YEAR),
            (0, "own", YEAR, 2 * YEAR),
            (1, "shelter", 300, YEAR + 1),
            (1, "own", YEAR + 1, 2 * YEAR),
        ],
        2 * YEAR,
    )
    use = ShelterUse(h)
    assert use.stay_lengths()["stays_ended"].tolist() == [1, 1]
    assert use.users().tolist() == [2, 1]


def test_night_shelters_are_measured_apart():
    h = history(
        [
            (0, "night_shelter", 0, 1),
            (0, "rough", 1, 2),
            (0, "night_shelter", 2, 3),
            (0, "shelter", 3, 10),
            (0, "own", 10, YEAR),
        ],
        YEAR,
    )
    assert ShelterUse(h, NIGHT_SHELTER).stay_count().tolist() == [2]
    assert ShelterUse(h).stay_count().tolist() == [1]
    both = ShelterUse(h, {"shelter", "night_shelter"})
    assert both.stay_lengths()["nights_per_stay_mean"].tolist() == [4.5]  # 1 and 2..10


def test_shelter_nights_of_people_homeless_more_than_two_years():
    h = history(
        [
            # homeless from night 0: shelter nights from night 730 on are "long"
            (0, "rough", 0, 700),
            (0, "shelter", 700, 800),
            (0, "own", 800, 3 * YEAR),
            # a home in between starts a new spell, so none of these nights is long
            (1, "shelter", 0, 400),
            (1, "own", 400, 500),
            (1, "shelter", 500, 1000),
            (1, "own", 1000, 3 * YEAR),
        ],
        3 * YEAR,
    )
    share = ShelterUse(h).long_homeless_share()
    # year 1 (364-727): 28 + 36 + 228 nights, none long; year 2: 70 of 72 + 272
    assert nan_equal(share, [0, 0, 70 / 344])
    assert ShelterUse(h).long_homeless_share(long_nights=700)[2] == pytest.approx(72 / 344)


def test_first_time_users_look_back_whole_years():
    h = history(
        [
            (0, "shelter", 10, 20),
            (0, "own", 20, 400),
            (0, "shelter", 400, 410),
            (0, "own", 410, 800),
            (0, "shelter", 800, 801),
            (0, "own", 801, 3 * YEAR),
            (1, "shelter", 370, 380),
            (1, "own", 380, 3 * YEAR),
            (2, "shelter", 700, 710),
            (2, "own", 710, 800),
            (2, "shelter", 800, 810),
            (2, "own", 810, 3 * YEAR),
            (3, "shelter", 730, 731),
            (3, "own", 731, 3 * YEAR),
            (4, "shelter", 360, 370),
            (4, "own", 370, 3 * YEAR),  # spans the new year
        ],
        3 * YEAR,
    )
    use = ShelterUse(h)
    assert nan_equal(use.first_time_users(1), [np.nan, 2, 1])  # 1 and 2; then 3
    assert nan_equal(use.first_time_users(2), [np.nan, np.nan, 1])


def test_no_sign_of_homelessness_in_the_year_after_leaving_shelter():
    h = history(
        [
            (0, "shelter", 10, 50),
            (0, "own", 50, 3 * YEAR),  # clean
            (1, "shelter", 10, 50),
            (1, "own", 50, 200),
            (1, "rough", 200, 210),
            (1, "own", 210, 3 * YEAR),  # sign
            (2, "shelter", 10, 50),
            (2, "own", 50, 415),
            (2, "rough", 415, 420),
            (2, "own", 420, 3 * YEAR),  # back on night 50 + 365
            (3, "shelter", 10, 50),
            (3, "rough", 50, 60),
            (3, "own", 60, 3 * YEAR),  # sign
            (4, "shelter", 10, 50),
            (4, "own", 50, 100),  # left: not counted
            (5, "shelter", 10, 20),
            (5, "own", 20, 30),
            (5, "shelter", 30, 50),
            (5, "own", 50, 3 * YEAR),  # last exit counts
        ],
        3 * YEAR,
    )
    share = ShelterUse(h).no_sign_share()
    assert share[0] == pytest.approx(3 / 5)
    assert np.isnan(share[1:]).all()  # a year's follow-up must end by the horizon


def spm2_history():
    return history(
        [
            (0, "rough", 0, 100),
            (0, "own", 100, 4 * YEAR),
            (1, "shelter", 0, 100),
            (1, "own", 100, 281),
            (1, "rough", 281, 300),
            (1, "own", 300, 4 * YEAR),
            (2, "friends", 0, 100),
            (2, "own", 100, 282),
            (2, "shelter", 282, 290),
            (2, "own", 290, 4 * YEAR),  # back on night 100 + 182
            (3, "rough", 0, 100),
            (3, "supported", 100, 900),
            (3, "rough", 900, 910),
            (3, "own", 910, 4 * YEAR),
            (4, "rough", 0, 100),
            (4, "own", 100, 150),  # left: not returned
            (5, "rough", 0, 50),
            (5, "own", 50, 60),
            (5, "rough", 60, 100),
            (5, "own", 100, 4 * YEAR),  # first move counts
            (6, "rough", 0, 100),  # left from homelessness
            (7, "rough", 0, 100),
            (7, "at_risk", 100, 200),
            (7, "rough", 200, 300),
            (7, "own", 300, 4 * YEAR),
        ],
        4 * YEAR,
    )


@pytest.mark.parametrize(("months", "returned"), [(6, 3), (12, 4), (24, 4)])
def test_returns_to_homelessness_after_moving_into_a_home(months, returned):
    share = returns_after_housing(spm2_history(), months)
    assert share[0] == pytest.approx(returned / 7)
    assert np.isnan(share[1])  # no move into a home in year 1
    assert np.isnan(share[3])  # its follow-up would end after the horizon


def test_homeless_at_any_time_against_the_point_in_time_count():
    h = history(
        [
            (0, "rough", 30, 40),
            (0, "shelter", 40, 60),  # one spell, counted once
            (1, "shelter", 36, 50),  # after the count night (35)
            (2, "friends", 0, 35),  # leaves on the count night
            (3, "own", 0, 2 * YEAR),
            (4, "starter", 300, 400),
            (5, "rough", 399, 400),  # the count night of year 1
        ],
        2 * YEAR,
    )
    anyone, pit, ratio = homeless_any_to_pit(h, pit_week=6)
    assert anyone.tolist() == [4, 2]
    assert pit.tolist() == [1, 2]
    assert nan_equal(ratio, [4, 1])


def test_chronic_homelessness_by_the_canadian_federal_definition():
    h = history(
        [
            (0, "shelter", 0, YEAR),
            (0, "own", YEAR, 3 * YEAR),
            (1, "rough", 184, YEAR),
            (1, "own", YEAR, 3 * YEAR),  # exactly 180 nights
            (2, "rough", 185, YEAR),
            (2, "own", YEAR, 3 * YEAR),  # 179 nights
            (3, "rough", 0, 300),
            (3, "own", 300, 400),
            (3, "shelter", 400, 700),
            (3, "own", 700, 1000),
            (3, "friends", 1000, 3 * YEAR),  # 692 over 3 years
            (4, "rough", 1085, 3 * YEAR),  # 7 nights
        ],
        3 * YEAR,
    )
    chronic, share = chronic_homeless(h)
    assert chronic.tolist() == [2, 0, 1]
    assert nan_equal(share, [2 / 3, np.nan, 1 / 2])


def kinds(n_trans=16, n_epi=2, n_chronic=2):
    """Transitional users (one 10-night stay), episodic (four 10-night stays 60 nights
    apart) and chronic (one 800-night stay), within three years."""
    rows, c = [], 0
    for _ in range(n_trans):
        rows += [(c, "shelter", 100, 110), (c, "own", 110, 3 * YEAR)]
        c += 1
    for _ in range(n_epi):
        for k in range(4):
            rows += [
                (c, "shelter", 100 + 70 * k, 110 + 70 * k),
                (c, "rough", 110 + 70 * k, 170 + 70 * k),
            ]
        rows += [(c, "own", 380, 3 * YEAR)]
        c += 1
    for _ in range(n_chronic):
        rows += [(c, "shelter", 50, 850), (c, "own", 850, 3 * YEAR)]
        c += 1
    return history(rows, 3 * YEAR)


def test_typology_finds_and_names_three_kinds_of_users():
    types = typology(kinds())
    assert list(types.index) == list(TYPES)
    assert types["users_share"].tolist() == pytest.approx([0.8, 0.1, 0.1])
    assert types["nights_share"].tolist() == pytest.approx([160 / 1840, 80 / 1840, 1600 / 1840])
    assert types["episodes_mean"].tolist() == pytest.approx([1, 4, 1])
    for seed in range(4):  # the names follow the centres, whatever the start
        assert typology(kinds(), seed=seed).equals(types)


def test_typology_is_nan_without_three_years_or_three_patterns():
    assert typology(kinds(), years=4).isna().all().all()
    assert typology(kinds(n_epi=0, n_chronic=0)).isna().all().all()


def test_episodes_restart_after_thirty_nights_without_shelter():
    h = history(
        [
            (0, "shelter", 0, 10),
            (0, "rough", 10, 39),
            (0, "shelter", 39, 40),
            (0, "own", 40, 100),  # 29-night gap
            (1, "shelter", 0, 10),
            (1, "rough", 10, 40),
            (1, "shelter", 40, 41),
            (1, "own", 41, 100),
        ],
        100,
    )  # 30-night gap
    days, episodes = usage_patterns(h.runs(["shelter"]), 0, 100, 30)
    assert days.tolist() == [11, 11]
    assert episodes.tolist() == [1, 2]


@pytest.fixture(scope="module")
def randers():
    model = sim.HomelessnessModel(SCENARIOS / "randers_baseline.yaml", rng=7, years=4)
    model.run()
    return model, model.summary()


def test_measures_agree_with_the_models_weekly_tallies(randers):
    """The stay log and the weekly tallies are separate records of one run: users per
    year, people homeless at any time and the count-week stock must agree exactly."""
    model, summary = randers
    h = model.history()
    use = ShelterUse(h)
    anyone, pit, _ = homeless_any_to_pit(h, model.params.setting.pit_week)
    for y, year in enumerate(use.years):
        assert use.users()[y] == summary[f"shelter_users_{year}"]
        assert anyone[y] == summary[f"homeless_any_{year}"]
        assert pit[y] == summary[f"pit_{year}"]


def test_the_summary_carries_every_measure_for_every_year(randers):
    model, summary = randers
    table = yearly_table(model.history(), model.params.setting.pit_week)
    assert list(table.index) == [2015, 2016, 2017, 2018]
    for name in table.columns:
        for year in table.index:
            assert nan_equal(summary[f"{name}_{year}"], table.at[year, name])
    users = [summary[f"typology_{t}_users_share"] for t in TYPES]
    nights = [summary[f"typology_{t}_nights_share"] for t in TYPES]
    assert sum(users) == pytest.approx(1) and sum(nights) == pytest.approx(1)
    # by construction of the names: the chronic type has the most nights per user
    assert nights[2] / users[2] > max(nights[0] / users[0], nights[1] / users[1])
    assert set(summary_measures(model.history(), 6)) <= set(summary)


def test_every_measure_is_defined_in_the_docs(randers):
    model, _ = randers
    doc = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    for name in yearly_table(model.history(), 6).columns:
        assert f"`{name}_<year>`" in doc, name
    for t in TYPES:
        assert f"`typology_{t}_users_share`" in doc


def test_all_year_means_every_night_of_the_year():
    h = history(
        [
            (0, "shelter", 0, 100),
            (0, "rough", 100, 101),
            (0, "shelter", 101, YEAR),
            (0, "own", YEAR, 2 * YEAR),  # one night away
            (1, "shelter", -10, YEAR),
            (1, "own", YEAR, 2 * YEAR),
        ],
        2 * YEAR,
    )
    assert nan_equal(ShelterUse(h).all_year_share(), [1 / 2, np.nan])


def test_leaving_the_system_from_shelter_is_not_counted_as_no_sign():
    h = history(
        [
            (0, "shelter", 10, 50),  # died or moved away
            (1, "shelter", 10, 50),
            (1, "own", 50, 3 * YEAR),
        ],
        3 * YEAR,
    )
    assert ShelterUse(h).no_sign_share()[0] == 1.0
