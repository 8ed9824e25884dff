"""The recorder's event logs: chunks given as columns or as blocks read back alike."""

from __future__ import annotations

import numpy as np

import sim
from sim.outcomes import STAY_TYPES, EventLog


def test_blocks_and_column_chunks_make_one_table_with_the_declared_types():
    log = EventLog(("citizen", "situation", "start", "end"), STAY_TYPES)
    log.add(np.array([3, 4]), np.array([1, 2], np.int8), np.array([0, 7]), np.array([5, 9]))
    log.add_block(np.zeros((4, 0), np.int64))  # empty: skipped
    log.add_block(np.array([[9], [6], [14], [21]], np.int64))
    frame = log.frame()
    assert frame["citizen"].tolist() == [3, 4, 9]
    assert frame["situation"].tolist() == [1, 2, 6]
    assert frame["end"].tolist() == [5, 9, 21]
    assert [frame[c].dtype for c in log.columns] == [np.dtype(t) for t in STAY_TYPES]


def test_blocks_wait_at_most_a_year_and_keep_their_order_among_columns():
    log = EventLog(("citizen", "situation", "start", "end"), STAY_TYPES)
    rows = []
    for week in range(2 * EventLog.BLOCKS + 5):
        block = np.array([[week], [week % 9], [7 * week], [7 * week + 3]], np.int64)
        log.add_block(block)
        rows.append(week)
        assert len(log._blocks) < EventLog.BLOCKS  # never more than a year held wide
        if week == 60:  # a chunk of columns between blocks keeps its place
            log.add(np.array([-1]), np.array([0], np.int8), np.array([0]), np.array([1]))
            rows.append(-1)
    assert log.frame()["citizen"].tolist() == rows


def test_an_empty_log_has_its_columns_and_types():
    frame = EventLog(("a", "b"), (np.int32, np.int8)).frame()
    assert list(frame.columns) == ["a", "b"] and len(frame) == 0
    assert [frame[c].dtype for c in "ab"] == [np.dtype(np.int32), np.dtype(np.int8)]


def test_compiled_and_numpy_weeks_log_the_same_tables():
    """The compiled week's blocks give the numpy week's logs, value and type."""
    runs = []
    for compiled in (True, False):
        model = sim.HomelessnessModel("randers_baseline", rng=3, years=1)
        model.compiled_week = compiled
        model.run()
        model.finish()
        rec = model.recorder
        runs.append([rec.stays.frame(), rec.spells.frame(), rec.episodes.frame()])
    for fast, slow in zip(*runs, strict=True):
        assert len(fast) > 0
        assert fast.dtypes.tolist() == slow.dtypes.tolist()
        assert fast.equals(slow)
