"""The stock, waiting-list, flow and spell figures draw exactly the numbers of their tables."""

from __future__ import annotations

import contextlib

import matplotlib.colors
import numpy as np
import pandas as pd
import pytest

from sim.model import HomelessnessModel
from sim.places import QUEUE_NAMES
from sim.plots import flows as flow_plots
from sim.plots import stock
from sim.runner import run_replications
from sim.scenario.labels import code_label
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
    shown = ("rough", "night_shelter", "shelter", "friends", "starter")
    assert set(lines) == {*(code_label(s) for s in shown), "all homeless"}
    assert "rough sleeping" in lines and "with family or friends" in lines  # words, not codes
    code_of = {code_label(s): s for s in shown}
    for name, ln in lines.items():
        key = name if name == stock.TOTAL else code_of[name]
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
    assert matplotlib.colors.to_hex(lines[code_label("shelter")].get_color()) == "#e69f00"


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
    assert list(lines) == [code_label(n) for n in QUEUE_NAMES]
    assert "homes assigned by the municipality" in lines  # words, not "assigned_home"
    for k, name in enumerate(QUEUE_NAMES):
        np.testing.assert_array_equal(lines[code_label(name)].get_ydata(), q[:, k])
    shown = stock.waiting_plot(q)  # empty lists left out
    labels = [ln.get_label() for ln in shown.axes[0].get_lines()]
    assert labels == [code_label(n) for k, n in enumerate(QUEUE_NAMES) if q[:, k].any()]


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
    assert rows == ["own home", "shelter (§110)"]
    assert cols == ["own home", "at risk of eviction"]
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


# ---------------------------------------------------------------- figures speak in words


@contextlib.contextmanager
def recording_figures():
    """Within the block, every figure saved (to a file or to bytes) leaves its texts in
    the list yielded: one list of strings per figure."""
    from matplotlib.figure import Figure

    texts: list[list[str]] = []
    save = Figure.savefig

    def recording(fig, *args, **kwargs):
        texts.append(figure_texts(fig))
        return save(fig, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Figure, "savefig", recording)
        yield texts


def figure_texts(fig) -> list[str]:
    """Every text a reader sees in a figure: titles, axis and tick labels, legends, notes."""
    from matplotlib.text import Text

    fig.canvas.draw()  # tick labels exist once drawn
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def raw_code_texts(texts: list[str], names: set[str] = frozenset()) -> list[str]:
    """The texts that hold a dotted scenario key, a code that has words of its own (a
    whole text such as "own", or a code with an underscore anywhere, such as
    "night_shelter"), or one of ``names`` (scenario names)."""
    import re

    from sim.report.outcomes import LABELS, MEASURES
    from sim.scenario import labels
    from sim.scenario.labels import DOTTED_KEY

    worded = {
        c
        for d in (labels.SITUATIONS, labels.CODES, labels.FIELDS, LABELS, MEASURES)
        for c, w in d.items()
        if w != c
    }
    inside = {c for c in worded if "_" in c} | set(names)
    found = []
    for text in texts:
        words_in = any(re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text) for c in inside)
        if DOTTED_KEY.search(text) or text.strip() in worded or words_in:
            found.append(text)
    return found


def test_raw_code_texts_finds_codes():
    assert raw_code_texts(["own", "night_shelter (mean)", "places.starter.capacity"]) == [
        "own",
        "night_shelter (mean)",
        "places.starter.capacity",
    ]
    assert raw_code_texts(["own home", "night shelter", "2015", "week"]) == []
    assert raw_code_texts(["randers_baseline"], {"randers_baseline"}) == ["randers_baseline"]
    assert raw_code_texts(["actively_homeless", "pit_2015"]) == ["actively_homeless"]


def test_standard_figures_speak_in_words(results, model):
    """The stock, waiting-list, flow and spell figures and the dashboard's plots show
    situations, lists and groups in words."""
    from sim.dashboard import DashboardModel, _figure, plot_specs

    rec = model.recorder
    figs = {
        "stock": stock.stock_plot(results.weekly),
        "waiting": stock.waiting_plot(rec.queues, skip_empty=False, start_year=2015),
        "flows": flow_plots.flow_matrix_plot(rec.flows, rec.entries, per_year=1),
        "spells": flow_plots.spell_length_plot(rec.spells.frame()),
    }
    m = DashboardModel(base=small_scenario(), seed=1)
    m.run(3)
    df = m.datacollector.get_model_vars_dataframe()
    for key, (title, ylabel, cols) in plot_specs().items():
        figs[f"dashboard {key}"] = _figure(df, cols, title, ylabel)
    for name, fig in figs.items():  # (a table's scenario name is the caller's to word)
        texts = figure_texts(fig)
        assert texts, name
        assert raw_code_texts(texts) == [], (name, raw_code_texts(texts))
    rows = [t.get_text() for t in figs["flows"].axes[0].get_yticklabels()]
    assert "own home" in rows and "own" not in rows, rows


def test_tornado_names_the_outcome_and_parameters_in_words():
    import pandas as pd

    from sim.plots.sensitivity import tornado

    table = pd.DataFrame(
        {
            "parameter": ["places.starter.capacity"],
            "low": [12.0],
            "high": [36.0],
            "base": [100.0],
            "outcome_low": [110.0],
            "outcome_high": [90.0],
            "swing": [20.0],
        }
    )
    ax = tornado(table, "homeless_days").axes[0]
    assert ax.get_xlabel() == "homeless days (all citizens, horizon) (base 100)"
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["Places: starter homes, places [12, 36]"]
