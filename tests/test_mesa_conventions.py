"""Mesa conventions: the DataCollector is collected every week, ``mesa.batch_run`` returns
model and agent rows, and the model's constructor documents itself."""

from __future__ import annotations

import pydoc

import mesa
import numpy as np
import pandas as pd

from sim.model import HomelessnessModel, WeeklyCollector
from sim.situations import HOMELESS_MASK, LEFT, SITUATIONS

SCENARIO = "randers_baseline"
PRESENT = [name for s, name in enumerate(SITUATIONS) if s != LEFT]


def test_model_reporters_are_collected_at_week_0_and_after_every_week():
    model = HomelessnessModel(SCENARIO, rng=3, years=1)
    model.run(10)
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == 11
    assert model.datacollector._collection_steps == list(range(11))
    counts = model.recorder.counts[:11].sum(axis=(2, 3))
    for s, name in enumerate(SITUATIONS):
        if s != LEFT:
            np.testing.assert_array_equal(df[name].to_numpy(), counts[:, s], err_msg=name)
    np.testing.assert_array_equal(df["homeless"].to_numpy(), counts[:, HOMELESS_MASK].sum(axis=1))


def test_agent_table_describes_every_citizen_present_at_the_last_collection():
    model = HomelessnessModel(SCENARIO, rng=3, years=1)
    model.run(6)
    agents = model.datacollector.get_agent_vars_dataframe()
    assert set(agents.index.get_level_values("Step")) == {6}
    assert len(agents) == int(model.occupancy[[SITUATIONS.index(n) for n in PRESENT]].sum())
    by_situation = agents["situation"].value_counts()
    for name in PRESENT:
        assert by_situation.get(name, 0) == model.occupancy[SITUATIONS.index(name)], name
    assert set(agents["needs"]) <= {"low", "medium", "high"}


def test_agent_every_stores_earlier_weeks_and_a_user_reporter_is_kept():
    model = HomelessnessModel(SCENARIO, rng=3, years=1)
    model.datacollector = WeeklyCollector(
        model,
        model_reporters={"waiting": lambda m: int(m.recorder.queues[m.week].sum())},
        agent_reporters={"homeless": "homeless"},
        agent_every=2,
    )
    model.datacollector.collect(model)
    model.run(5)
    dc = model.datacollector
    assert sorted(dc._agent_records) == [0, 2, 4, 5]
    assert len(dc.get_model_vars_dataframe()["waiting"]) == 6
    agents = dc.get_agent_vars_dataframe()
    assert agents.loc[4]["homeless"].sum() > 0


def test_batch_run_returns_model_and_agent_rows_reproducibly():
    kwargs = dict(
        parameters={"scenario": SCENARIO, "years": 1},
        rng=[0, 1],
        max_steps=8,
        display_progress=False,
    )
    rows = pd.DataFrame(mesa.batch_run(HomelessnessModel, **kwargs))
    assert set(rows["iteration"]) == {0, 1}
    assert set(rows["Step"]) == {8}
    assert {"homeless", "shelter", "AgentID", "situation", "needs"} <= set(rows.columns)
    for it, g in rows.groupby("iteration"):
        model = HomelessnessModel(SCENARIO, rng=int(it), years=1)
        model.run(8)
        assert len(g) == len(model.datacollector.get_agent_vars_dataframe())
        assert (g["homeless"] == model.homeless).all()
    again = pd.DataFrame(mesa.batch_run(HomelessnessModel, **kwargs))
    pd.testing.assert_frame_equal(rows, again)


def test_the_constructor_documents_its_arguments_and_attributes():
    text = pydoc.render_doc(HomelessnessModel.__init__, renderer=pydoc.plaintext)
    for word in (
        "scenario:",
        "rng:",
        "years:",
        "Attributes:",
        "datacollector:",
        "occupancy:",
        "recorder:",
    ):
        assert word in text, word
