"""The history of a run: the calendar, the stay log's checks, runs of nights, and the
stay log of real model runs against the model's own weekly counts."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.history import Calendar, History, order_by_citizen
from sim.situations import LEFT, SITUATIONS, Situation
from tests.conftest import SCENARIOS
from tests.history_helpers import YEAR, history


def test_calendar_months_follow_a_common_year_with_a_short_december():
    cal = Calendar(2015)
    bounds = cal.month_bounds(2 * YEAR)
    assert bounds[:13].tolist() == [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 364]
    assert bounds[-1] == 2 * YEAR and bounds.size == 25
    assert cal.year_bounds(2 * YEAR + 100).tolist() == [0, YEAR, 2 * YEAR]  # complete only
    assert cal.night(2016, 1, 25) == YEAR + 24
    months = cal.months(YEAR + 40)  # January of 2016 complete, February not
    assert months.iloc[-1].tolist() == [2016, 1] and len(months) == 13
    assert Calendar(2015, 365).month_bounds(365)[-2:].tolist() == [334, 365]
    with pytest.raises(ValueError, match="year_nights"):
        Calendar(2015, 52)


def test_back_to_back_pieces_of_one_stay_are_joined():
    h = history(
        [(0, "shelter", 0, 10), (0, "shelter", 10, 20), (0, "own", 20, 30), (1, "rough", 5, 8)], 30
    )
    assert h.stays[["citizen", "situation", "start", "end"]].values.tolist() == [
        [0, int(Situation.SHELTER), 0, 20],
        [0, int(Situation.OWN), 20, 30],
        [1, int(Situation.ROUGH), 5, 8],
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(0, "shelter", 5, 5)], "end after they start"),
        ([(0, "shelter", 0, 31)], "by the horizon"),
        ([(0, "shelter", 0, 10), (0, "rough", 9, 20)], "must not overlap"),
    ],
)
def test_impossible_stay_logs_are_rejected(rows, message):
    with pytest.raises(ValueError, match=message):
        history(rows, 30)


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="missing"):
        History.from_stays({"citizen": [0], "start": [0], "end": [1]}, 10)


def test_runs_join_situations_of_a_set_and_say_where_the_citizen_went():
    h = history(
        [
            (0, "shelter", -20, 10),
            (0, "night_shelter", 10, 12),
            (0, "rough", 12, 40),
            (0, "shelter", 40, 50),
            (1, "shelter", 3, 4),
            (1, "own", 4, 100),
            (2, "night_shelter", 90, 100),
        ],
        100,
    )
    runs = h.runs({Situation.SHELTER, Situation.NIGHT_SHELTER})
    assert runs.citizen.tolist() == [0, 0, 1, 2]
    assert runs.start.tolist() == [-20, 40, 3, 90]
    assert runs.end.tolist() == [12, 50, 4, 100]
    # citizen 0 went on to rough sleeping, then left the system (-1); citizen 2 is open
    assert runs.next_situation.tolist() == [int(Situation.ROUGH), -1, int(Situation.OWN), -1]
    assert runs.censored.tolist() == [False, False, False, True]
    assert runs.previous_end.tolist() == [-1, 12, -1, -1]
    assert runs.next_start.tolist() == [40, -1, -1, -1]
    assert runs.containing(np.array([0, 11, 12, 45, 95])).tolist() == [1, 1, 0, 1, 1]
    assert h.runs(["shelter"]).size == 3  # shelter alone: the night shelter splits nothing
    assert h.runs(["supported"]).size == 0


@pytest.mark.parametrize("name", ["randers_baseline", "randers_housing_first"])
def test_stay_nights_each_week_are_the_recorded_nights(name):
    """The stays' nights per situation in each week equal the recorder's nights of that
    week (moves fall on any night, so no longer 7 x the week's count), and the stays
    open on each week's first night are the weekly counts."""
    model = sim.HomelessnessModel(SCENARIOS / f"{name}.yaml", rng=11, years=3)
    model.run()
    h = model.history()
    st = h.stays
    assert h.horizon == 7 * model.weeks
    weeks = np.arange(model.weeks)
    inside = np.clip(
        np.minimum(st["end"].to_numpy()[:, None], 7 * weeks + 7)
        - np.maximum(st["start"].to_numpy()[:, None], 7 * weeks),
        0,
        None,
    )
    nights = np.zeros((len(SITUATIONS), model.weeks))
    np.add.at(nights, st["situation"].to_numpy(), inside)
    recorded = model.recorder.nights[: model.weeks].sum(axis=(2, 3)).T
    assert np.array_equal(nights[:LEFT], recorded[:LEFT])
    first = (st["start"].to_numpy()[:, None] <= 7 * weeks) & (
        st["end"].to_numpy()[:, None] > 7 * weeks
    )
    on_first = np.zeros((len(SITUATIONS), model.weeks))
    np.add.at(on_first, st["situation"].to_numpy(), first)
    counts = model.recorder.counts[: model.weeks].sum(axis=(2, 3)).T
    assert np.array_equal(on_first[:LEFT], counts[:LEFT])
    assert len(h.citizens) == model.citizens.n


def test_a_history_can_be_read_mid_run_and_again_later():
    """A summary part-way (as the dashboard asks for) closes the open stays in the log;
    the run goes on and a later history still holds every night exactly once."""
    model = sim.HomelessnessModel(SCENARIOS / "randers_baseline.yaml", rng=2, years=2)
    model.run(30)
    early = model.summary()
    assert early["weeks"] == 30 and model.history().horizon == 7 * 30
    model.run()
    h = model.history()
    nights = np.bincount(
        h.situation, weights=h.end - np.maximum(h.start, 0), minlength=len(SITUATIONS)
    )
    recorded = model.recorder.nights[: model.weeks].sum(axis=(0, 2, 3))
    assert np.array_equal(nights[:LEFT], recorded[:LEFT])


def test_order_by_citizen_is_a_stable_sort():
    citizen = np.random.default_rng(0).integers(0, 300_000, size=50_000)
    assert np.array_equal(order_by_citizen(citizen), np.argsort(citizen, kind="stable"))
