"""The stock, waiting-list, flow and spell figures draw exactly the numbers of their tables."""

from __future__ import annotations

import matplotlib.colors
import numpy as np
import pandas as pd
import pytest

from sim.model import HomelessnessModel
from sim.places import QUEUE_NAMES
from sim.plots import flows as flow_plots
from sim.plots import stock
from sim.runner import run_replications
from sim.situations import N_SIT, SITUATIONS
from sim.streams import run_seed
from tests.test_dashboard import small_scenario


@pytest.fixture(scope="module")
def results():
    return run_replications(small_scenario(), replications=4, seed=11, years=1)


@pytest.fixture(scope="module")
def model():
    return HomelessnessModel(small_scenario(), rng=run_seed(5, 0)).run()


def test_stock_table_is_mean_and_quantiles_over_replications(results):
    w = results.weekly
    table = stock.stock_table(w)
    # the same numbers computed another way: pivot runs to columns
    shelter = w[w["situation"] == "shelter"].pivot_table(
        index="week", columns="replication", values="count", aggfunc="sum"
    )
    got = table[table["situation"] == "shelter"].set_index("week")
    np.testing.assert_allclose(got["mean"], shelter.mean(axis=1))
    np.testing.assert_allclose(got["low"], shelter.quantile(0.025, axis=1))
    np.testing.assert_allclose(got["high"], shelter.quantile(0.975, axis=1))
    assert (got["runs"] == 4).all()
    homeless = w[w["situation"].isin(stock.HOMELESS_SITUATIONS)].pivot_table(
        index="week", columns="replication", values="count", aggfunc="sum"
    )
    total = table[table["situation"] == stock.TOTAL].set_index("week")
    np.testing.assert_allclose(total["mean"], homeless.mean(axis=1))
    np.testing.assert_allclose(total["time"], 2015 + total.index / 52)


def test_stock_plot_lines_and_bands_carry_the_table(results):
    table = stock.stock_table(results.weekly)
    fig = stock.stock_plot(results.weekly)
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"rough", "night shelter", "shelter", "friends", "starter", "all homeless"}
    for name, ln in lines.items():
        key = name if name == stock.TOTAL else name.replace(" ", "_")
        d = table[table["situation"] == key]
        assert len(d) == 53
        np.testing.assert_allclose(ln.get_ydata(), d["mean"])
        np.testing.assert_allclose(ln.get_xdata(), d["time"])
    band = ax.collections[stock.HOMELESS_SITUATIONS.index("shelter")]
    verts = band.get_paths()[0].vertices
    d = table[table["situation"] == "shelter"]
    assert verts[:, 1].max() == pytest.approx(d["high"].max())
    assert verts[:, 1].min() == pytest.approx(d["low"].min())
    assert ax.get_ylabel() == "persons (weekly count)" and ax.get_xlabel() == "year"
    assert matplotlib.colors.to_hex(lines["shelter"].get_color()) == "#e69f00"


def test_stock_table_needs_one_scenario(results):
    two = pd.concat([results.weekly, results.weekly.assign(scenario="other")])
    with pytest.raises(ValueError, match="several scenarios"):
        stock.stock_table(two)
    assert len(stock.stock_table(two, scenario="other")) == len(stock.stock_table(results.weekly))


def test_waiting_plot_draws_the_queue_lengths(model):
    q = model.recorder.queues
    assert q.sum() > 0  # the scenario's scarce places make lists
    fig = stock.waiting_plot(q, skip_empty=False)
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert list(lines) == [n.replace("_", " ") for n in QUEUE_NAMES]
    for k, name in enumerate(QUEUE_NAMES):
        np.testing.assert_array_equal(lines[name.replace("_", " ")].get_ydata(), q[:, k])
    shown = stock.waiting_plot(q)  # empty lists left out
    labels = [ln.get_label() for ln in shown.axes[0].get_lines()]
    assert labels == [n.replace("_", " ") for k, n in enumerate(QUEUE_NAMES) if q[:, k].any()]


def test_waiting_table_over_runs():
    q = np.stack([np.full((3, len(QUEUE_NAMES)), r) for r in range(5)])  # run r waits r
    t = stock.waiting_table(q)
    row = t[(t["list"] == "shelter") & (t["week"] == 2)].iloc[0]
    assert (row["mean"], row["runs"]) == (2.0, 5)
    assert row["low"] == pytest.approx(np.quantile(range(5), 0.025))


def test_flow_table_sums_weeks_and_adds_entries(model):
    rec = model.recorder
    table = flow_plots.flow_table(rec.flows, rec.entries)
    assert list(table.index) == ["entry", *SITUATIONS]
    np.testing.assert_array_equal(table.loc[list(SITUATIONS)].to_numpy(), rec.flows.sum(axis=0))
    assert table.loc["shelter", "starter"] == rec.flows[:, 4, 6].sum() > 0
    yearly = flow_plots.flow_table(rec.flows, per_year=2.0)
    np.testing.assert_allclose(yearly.to_numpy(), rec.flows.sum(axis=0) / 2.0)


def test_flow_matrix_cells_show_the_counts():
    f = np.zeros((2, N_SIT, N_SIT), dtype=int)
    f[0, 0, 1], f[1, 0, 1], f[1, 4, 0] = 3, 4, 9  # own->at_risk 7, shelter->own 9
    fig = flow_plots.flow_matrix_plot(f)
    ax = fig.axes[0]
    image = ax.get_images()[0].get_array()
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    assert rows == ["own", "shelter"] and cols == ["own", "at risk"]
    np.testing.assert_allclose(np.asarray(image) ** 2, [[0, 7], [9, 0]])
    assert sorted(t.get_text() for t in ax.texts) == ["7", "9"]
    assert "persons" in ax.get_title()


def test_spell_histogram_counts_the_spells(model):
    spells = model.recorder.spells.frame()
    assert len(spells) > 20
    bins = [1, 2, 4, 8, 16, 32, 64]
    fig = flow_plots.spell_length_plot(spells, bins=bins)
    ax = fig.axes[0]
    lengths = np.maximum(spells["end"] - spells["start"], 1)
    for patch, g in zip(
        ax.patches, [g for g in range(3) if (spells["needs"] == g).any()], strict=True
    ):
        expected, _ = np.histogram(lengths[spells["needs"] == g], bins=bins)
        heights = patch.get_path().vertices[1:-1:2, 1]  # the step outline's tops
        np.testing.assert_array_equal(heights, expected)
    assert "weeks" in ax.get_xlabel() and ax.get_ylabel() == "spells"
    median = np.median(lengths[spells["needs"] == 0])
    assert ax.lines[0].get_xdata()[0] == median
