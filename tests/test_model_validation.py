"""The validation table: published figures, the model's figure beside each, verdicts."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.cli import main
from sim.scenario.errors import ScenarioError
from sim.simulate import simulate
from sim.validation import (
    figures_for,
    load_published,
    markdown_table,
    validation_requests,
    validation_table,
    verdict,
)

AREAS = ("Denmark", "Randers", "Fredericia")


def _figure(**kw):
    base = {
        "measure": "pit",
        "year": 2015,
        "value": 100,
        "unit": "persons",
        "areas": ["Randers"],
        "label": "homeless at the count",
        "source": "a count",
    }
    base.update(kw)
    return base


def test_shipped_figures_each_name_value_unit_source_and_area():
    """Every shipped figure has a source, a unit and an area, and every area the built-in
    settings model has figures: counts, flows and the typology."""
    figures = load_published()
    assert all(f.source and f.unit and f.areas for f in figures)
    for area in AREAS:
        groups = {f.group for f in figures_for(figures, area)}
        assert {"counts", "situation mix", "shelter use", "typology"} <= groups, area
    years = {f.year for f in figures if f.base == "pit" and f.areas == ("Denmark",)}
    assert {2009, 2011, 2013, 2015, 2017, 2019, 2022, 2024} <= years


def test_shipped_figures_name_outcomes_the_model_gives():
    """A small run of Randers (2015-2019) gives every outcome its figures name, and the
    figures of Fredericia and Denmark name no outcome beyond those and the counts."""
    figures = load_published()
    sc = sim.load_scenario("randers_baseline")
    frame = simulate(sc, [0], 0, 5)
    table = validation_table(figures_for(figures, "Randers"), frame, 2015)
    assert (table["verdict"] != "outside the run").all()
    assert table["model_mean"].notna().all()
    randers = {f.base for f in figures_for(figures, "Randers")}
    others = {f.base for f in figures if "Randers" not in f.areas}
    assert others - randers <= {
        "pit_rough",
        "pit_night_shelter",
        "pit_shelter",
        "pit_friends",
        "shelter_stays",
        "shelter_nights_per_user",
    }


def test_verdicts_for_ranges_and_single_values():
    """A range is met when the model's mean lies in it, else 'off by' the nearer end; a
    single value is met when it lies in the runs' 90% interval, else 'off by' the mean's
    relative distance to it."""
    ranged = {k: v for k, v in _figure(range=[40, 50]).items() if k != "value"}
    rng = load_published({"figures": [ranged]})[0]
    point = load_published({"figures": [_figure(value=100)]})[0]
    assert verdict(rng, 45, 0, 0) == "inside the range"
    assert verdict(rng, 55, 0, 0) == "off by +10%"
    assert verdict(rng, 30, 0, 0) == "off by -25%"
    assert verdict(rng, 39.98, 0, 0) == "off by -0.1%"  # a near miss is no "-0%"
    assert verdict(point, 120, 95, 130) == "inside the runs' 90%"
    assert verdict(point, 120, 110, 130) == "off by +20%"
    assert verdict(point, math.nan, 0, 0) == "no model value"


def test_table_means_ratios_all_years_and_years_outside_the_run():
    """On hand-made runs: the mean and 5%/95% quantiles over runs; a ratio is taken per
    run; 'all' averages each run's years after the first; a year the runs do not
    hold is 'outside the run'."""
    frame = pd.DataFrame(
        {
            "pit_2015": [90.0, 100.0, 110.0],
            "pit_shelter_2015": [30.0, 50.0, 55.0],
            "x_2015": [999.0, 999.0, 999.0],  # the first year: left out of 'all'
            "x_2016": [1.0, 2.0, 3.0],
            "x_2017": [3.0, 4.0, np.nan],
        }
    )
    figures = load_published(
        {
            "figures": [
                _figure(value=100),
                _figure(measure="pit_shelter", divide_by="pit", value=0.5, unit="share"),
                _figure(measure="x", year="all", value=2.5, unit="x"),
                _figure(year=2019),
            ]
        }
    )
    t = validation_table(figures, frame, 2015)
    assert t.loc[0, "model_mean"] == pytest.approx(100)
    assert t.loc[0, "model_low"] == pytest.approx(91) and t.loc[0, "model_high"] == 109
    assert t.loc[1, "model_mean"] == pytest.approx(np.mean([30 / 90, 0.5, 0.5]))
    assert t.loc[2, "model_mean"] == pytest.approx(np.mean([2.0, 3.0, 3.0]))
    assert t.loc[2, "year"] == "all years"
    assert t.loc[3, "verdict"] == "outside the run" and t.loc[3, "runs"] == 0
    md = markdown_table(t)
    assert md.count("\n") == len(t) + 1 and "outside the run" in md


@pytest.mark.parametrize(
    ("change", "path", "expected"),
    [
        ({"yeer": 2015}, "figures[0].yeer", "unknown key"),
        ({"range": [50, 40]}, "figures[0]", "either 'value'"),
        ({"value": "many"}, "figures[0].value", "expected a number"),
        ({"areas": "Randers"}, "figures[0].areas", "list of area names"),
        ({"year": "2015"}, "figures[0].year", "expected a year"),
        ({"source": ""}, "figures[0].source", "non-empty text"),
    ],
)
def test_bad_figures_are_refused_with_file_and_key_path(tmp_path, change, path, expected):
    item = _figure()
    item.update(change)
    file = tmp_path / "published.yaml"
    file.write_text(yaml.safe_dump({"figures": [item]}))
    with pytest.raises(ScenarioError) as err:
        load_published(file)
    text = str(err.value)
    assert str(file) in text and path in text and expected in text


def test_bad_range_order_is_refused(tmp_path):
    item = {k: v for k, v in _figure(range=[50, 40]).items() if k != "value"}
    file = tmp_path / "published.yaml"
    file.write_text(yaml.safe_dump({"figures": [item]}))
    with pytest.raises(ScenarioError, match=r"figures\[0\]\.range.*low < high"):
        load_published(file)


def test_command_writes_table_and_resumes_with_the_same_numbers(tmp_path, capsys):
    """A tiny run from the command line: exit 0, the table beside the figures for
    Randers, written atomically; run again on the same folder it reads its finished
    runs and writes the same table."""
    out = tmp_path / "val"
    args = ["validation", "randers_baseline", "-n", "2", "--years", "2", "--out", str(out), "-q"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "| homeless at the count | 2015 | 117 |" in printed
    first = (out / "validation.csv").read_text()
    table = pd.read_csv(out / "validation.csv")
    assert set(table["verdict"]) & {"outside the run"}  # 2017 and 2019 lie beyond 2 years
    assert (out / "validation.md").is_file() and (out / "manifest.json").is_file()
    assert main(args) == 0
    assert (out / "validation.csv").read_text() == first


def test_command_refuses_an_area_without_figures_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "val"
    code = main(["validation", "randers_baseline", "--area", "Aarhus", "--out", str(out), "-q"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--area" in err and "Aarhus" in err and "Randers" in err and "Traceback" not in err
    assert not out.exists()


def test_command_refuses_a_bad_published_file_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "published.yaml"
    bad.write_text(yaml.safe_dump({"figures": [_figure(unit=None)]}))
    out = tmp_path / "val"
    code = main(["validation", "randers_baseline", "--published", str(bad), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "figures[0].unit" in err and "Traceback" not in err
    assert not out.exists()


def test_posterior_runs_take_drawn_rows_by_weight_with_their_own_replication():
    """With a posterior sample, run k is the scenario at a drawn row, replication k.

    All weight on one row: every run takes that row's values; equal weights: both rows
    are drawn (32 draws of two rows; both missing has chance 2 * 2**-32).
    """
    sc = sim.load_scenario("randers_calibrated")
    key, tied = "entries.per_week", "transitions.*.friends.rough"
    sample = pd.DataFrame(
        {"particle": [0, 1], key: [1.5, 4.0], tied: [0.01, 0.04], "weight": [0.0, 1.0]}
    )
    runs = validation_requests(sc, sample, 5, seed=3)
    assert [list(k) for _, k in runs] == [[0], [1], [2], [3], [4]]
    for each, _ in runs:
        assert each.params.entries.per_week == 4.0
        assert {r["friends"]["rough"] for r in each.params.transitions.values()} == {0.04}
    sample["weight"] = [0.5, 0.5]
    drawn = {each.params.entries.per_week for each, _ in validation_requests(sc, sample, 32, 3)}
    assert drawn == {1.5, 4.0}
    (alone,) = validation_requests(sc, None, 5, seed=3)
    assert alone[0] is sc and list(alone[1]) == [0, 1, 2, 3, 4]


def test_command_with_a_posterior_records_it_and_refuses_a_foreign_column(tmp_path, capsys):
    """``--posterior``: the manifest names the sample; a column that is no key of the
    scenario stops with the file and the column, exit 2, nothing written."""
    sample = tmp_path / "posterior.csv"
    pd.DataFrame({"entries.per_week": [2.0, 3.0], "weight": [0.5, 0.5]}).to_csv(sample)
    out = tmp_path / "val"
    args = ["validation", "randers_calibrated", "-n", "2", "--years", "1", "-q"]
    assert main([*args, "--posterior", str(sample), "--out", str(out)]) == 0
    assert "parameters drawn from" in capsys.readouterr().out
    assert json.loads((out / "manifest.json").read_text())["posterior"] == str(sample)
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"entries.per_weak": [2.0]}).to_csv(bad)
    out2 = tmp_path / "val2"
    assert main([*args, "--posterior", str(bad), "--out", str(out2)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "entries.per_weak" in err and "Traceback" not in err
    assert not out2.exists()


def _column_figure(column: str) -> dict:
    """A figure that names a column without a year (as the typology's shares do)."""
    item = {
        k: v for k, v in _figure(value=0.1, unit="share").items() if k not in ("measure", "year")
    }
    return {**item, "column": column}


def test_fitted_marks_the_figures_a_fit_saw():
    """A target of the same measure, year and divisor marks a figure 'yes'; another
    year or divisor does not; a 'year: all' figure lists the years the fit saw; a
    column figure needs the same column."""
    from sim.calibration import load_targets
    from sim.validation import fitted_mark

    targets = load_targets(
        {
            "targets": [
                {"measure": "pit", "year": 2015, "observed": 100, "cv": 0.05},
                {"measure": "pit_rough", "divide_by": "pit", "year": 2015, "observed": 0.1,
                 "sd": 0.02},
                {"measure": "x", "year": 2016, "observed": 2.0, "cv": 0.1},
                {"measure": "x", "year": 2018, "observed": 2.0, "cv": 0.1},
                {"column": "typology_chronic_users_share", "observed": 0.1, "sd": 0.05},
            ],
            "free": {"entries.per_week": {"low": 1, "high": 2}},
        }
    ).targets  # fmt: skip
    figures = load_published(
        {
            "figures": [
                _figure(),
                _figure(year=2017),
                _figure(measure="pit_rough", divide_by="pit", value=0.1, unit="share"),
                _figure(measure="pit_rough", value=10),  # the count, not the share
                _figure(measure="x", year="all", value=2.0, unit="x"),
                _figure(measure="y", year="all", value=2.0, unit="x"),
                _column_figure("typology_chronic_users_share"),
                _column_figure("typology_episodic_users_share"),
            ]
        }
    )  # fmt: skip
    marks = [fitted_mark(f, targets) for f in figures]
    assert marks == ["yes", "no", "yes", "no", "in 2016, 2018", "no", "yes", "no"]
    frame = pd.DataFrame({"pit_2015": [90.0, 110.0]})
    table = validation_table(figures[:2], frame, 2015, targets)
    assert table["fitted"].tolist() == ["yes", "no"]
    md = markdown_table(table)
    assert "| verdict | fitted | source |" in md and "| yes | a count |" in md
    assert "fitted" not in markdown_table(validation_table(figures[:2], frame, 2015))


def test_command_with_targets_adds_the_column_and_refuses_a_bad_file(tmp_path, capsys):
    """--targets: the csv gets 'fitted' and the closing line counts the figures no fit
    saw; a bad targets file is exit 2 with the file and key path, nothing written."""
    out = tmp_path / "val"
    args = ["validation", "randers_baseline", "-n", "2", "--years", "2", "-q"]
    targets = "scenarios/targets/randers_flows.yaml"
    assert main([*args, "--targets", targets, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "that no fit saw" in printed
    table = pd.read_csv(out / "validation.csv")
    assert set(table["fitted"]) >= {"yes", "no"}
    bad = tmp_path / "targets.yaml"
    bad.write_text(yaml.safe_dump({"targets": [{"measure": "pit", "year": 2015}], "free": {}}))
    out2 = tmp_path / "val2"
    assert main([*args, "--targets", str(bad), "--out", str(out2)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "targets[0]" in err and "Traceback" not in err
    assert not out2.exists()
