"""Rounding for people: numbers at the place their interval supports, in words elsewhere."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest
import yaml

from sim.report.numbers import at_place, estimate, interval, money, num, place_for
from sim.report.scenarios import parameter_leaves, short_title
from sim.scenario.labels import DOTTED_KEY, code_label, in_words, key_label, words

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("half", "place"),
    [
        (0.226, -1),  # one significant digit: tenths
        (0.15, -2),  # a leading 1 keeps two digits
        (150_000, 4),
        (500_000, 5),
        (3.0, 0),
        (9.9, 0),
        (10.0, 0),
        (25.0, 1),
        (0.0, None),
        (float("nan"), None),
        (-1.0, None),
    ],
)
def test_place_of_an_uncertainty(half: float, place: int | None) -> None:
    assert place_for(half) == place


def test_estimates_are_rounded_at_their_interval() -> None:
    assert estimate(-0.1, -0.326, 0.126) == ("-0.1", "-0.3", "0.1")
    assert estimate(13_621_927, 13_121_927, 14_121_927) == (
        "13,600,000",
        "13,100,000",
        "14,100,000",
    )
    assert estimate(13_621_927, 13_471_927, 13_771_927) == (
        "13,620,000",
        "13,470,000",
        "13,770,000",
    )
    assert interval(-0.04, 0.03) == "-0.04 to 0.03"
    # no width: three significant digits of the mean
    assert estimate(1234.5, 1234.5, 1234.5) == ("1,230", "1,230", "1,230")
    assert estimate(0.8766, float("nan"), float("nan"))[0] == "0.877"


def test_no_negative_zero_and_blank_for_missing() -> None:
    assert at_place(-0.04, -1) == "0.0"
    assert at_place(-40, 2) == "0"
    assert at_place(float("nan"), 0) == ""
    assert num(None) == "" and num(float("nan")) == "" and num("dominant") == "dominant"
    assert num(13_621_927) == "13,600,000" and num(0.012345) == "0.0123"


def test_money_in_sentences() -> None:
    assert money(13_621_927, "DKK", 5) == "DKK 13.6 million"
    assert money(-2_000_000, "DKK", 6) == "DKK -2 million"
    assert money(250_400, "DKK", 3) == "DKK 250,000"
    assert money(1234.0, "DKK") == "DKK 1,230"


def test_keys_and_codes_in_words() -> None:
    assert key_label("places.starter.capacity") == "Places: starter homes, places"
    assert key_label("transitions.high.shelter.own") == (
        "Weekly chance of moving, high needs: shelter (§110) to own home"
    )
    assert key_label("changes[1].set") == "Changes: change 2, set"
    assert code_label("housing_first") == "Housing First" and code_label(3) == "3"
    assert words("support_cti") == "support CTI"
    assert in_words("'housing.self_found_share': expected a number") == (
        "Housing: share of homes found without assignment: expected a number"
    )
    assert DOTTED_KEY.search("see report.html, 0.5 and e.g. this") is None
    assert DOTTED_KEY.search("costs.situations.shelter.price") is not None


def test_every_key_of_the_shipped_scenarios_has_words() -> None:
    """No label of a shipped scenario's key holds a dot-joined key or an underscore."""
    files = sorted(glob.glob(str(ROOT / "scenarios" / "*.yaml")))
    assert files
    for f in files:
        raw = yaml.safe_load(Path(f).read_text(encoding="utf-8"))
        for path, value, _ in parameter_leaves(raw):
            label = key_label(path)
            assert "_" not in label and DOTTED_KEY.search(label) is None, (f, path, label)
            if isinstance(value, str) and "_" in value and path.endswith(("model", "priority")):
                assert "_" not in code_label(value), (f, path, value)


def test_titles_come_from_descriptions() -> None:
    man = {
        "scenarios": {
            "a": {
                "as_run": {
                    "description": "Randers from 2015: the flows (24 homes. Not this). More."
                }
            },
            "b": {"as_run": {"description": "Short one. Second sentence."}},
            "c_d": {"as_run": {}},
        }
    }
    assert short_title(man, "a") == "Randers from 2015"
    assert short_title(man, "b") == "Short one"
    assert short_title(man, "c_d") == "C d"


def test_a_cost_that_rounds_to_zero_is_about_the_same() -> None:
    import pandas as pd

    from sim.report.compare import cost_phrase

    row = pd.Series({"mean": -2e5, "low": -2e7, "high": 1.9e7})  # rounded at 10 million
    assert cost_phrase(row, "DKK") == (
        "It costs about the same (from saving DKK 20 million to costing DKK 19 million more)"
    )
    dearer = pd.Series({"mean": 4e6, "low": -2e6, "high": 1e7})
    assert cost_phrase(dearer, "DKK").startswith("It costs DKK 4 million more")


def test_times_are_written_for_people() -> None:
    from sim.report.numbers import when

    assert when("2026-12-01T14:34:13+00:00") == "1 December 2026, 14:34 UTC"
    assert when("2026-06-30T23:30:00+02:00") == "30 June 2026, 21:30 UTC"
    assert when("?") == "?"


def test_legends_of_the_comparison_figures_sit_below_the_plot() -> None:
    """The CE plane's and the cost-and-stock figure's legends are the figure's, under
    the axes (they never cover a dot or a line); long titles wrap under their bars."""
    import numpy as np
    import pandas as pd

    from sim.plots import cea

    diffs = pd.DataFrame(
        {
            "alternative": ["A long title of an alternative scenario, with words"] * 3,
            "homeless_days_avoided_discounted": [1.0, 2.0, 3.0],
            "cost_total_discounted": [-1e6, 0.0, 1e6],
        }
    )
    fig = cea.ce_plane(diffs, wtp=500.0, per="homeless day avoided")
    ax = fig.axes[0]
    assert ax.get_legend() is None and len(fig.legends) == 1
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "willingness to pay 500 DKK per homeless day avoided" in texts
    box = fig.legends[0].get_window_extent(fig.canvas.get_renderer())
    assert box.y1 <= ax.get_window_extent(fig.canvas.get_renderer()).y0  # below the axes
    title = "Housing First with CTI (medium needs), ICM and ACT (high needs)"
    runs = pd.DataFrame({"scenario": ["Base", title], "cost_municipality_discounted": [1e6, 2e6]})
    bars = cea.cost_by_payer(runs, ("municipality",))
    ticks = [t.get_text() for t in bars.axes[0].get_xticklabels()]
    assert ticks[0] == "Base" and "\n" in ticks[1] and ticks[1].replace("\n", " ") == title
    weeks = np.arange(3)
    weekly = pd.DataFrame(
        {"scenario": "Base", "week": weeks, "homeless_mean": 5.0, "homeless_low": 4.0}
    ).assign(homeless_high=6.0)
    yearly = pd.DataFrame({"scenario": ["Base"], "year": [2015], "cost_total": [1e6]})
    both = cea.cost_and_stock(yearly, weekly, 2015)
    assert all(a.get_legend() is None for a in both.axes) and len(both.legends) == 1
