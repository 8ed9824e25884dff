"""Monthly targets reach the calibration: a Toronto targets file written by
``homesim data targets toronto`` from the shared flow file calibrates, with each target's
model value taken from the run's monthly table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.batch.runs import RunSpec, simulate
from sim.calibration import load_targets, run_measure
from sim.cli import main
from sim.data_terms import monthly_columns
from sim.runner import run_once
from tests.conftest import SCENARIOS
from tests.shared_data import data_file

SMALL = SCENARIOS / "toronto_small.yaml"
FREE = {"transitions.low.shelter.own": {"low": 0.025, "high": 0.1}}


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> str:
    """Targets of January-March 2018 from the shared flow file, with one free parameter."""
    root = tmp_path_factory.mktemp("monthly")
    out = root / "t.yaml"
    flow = str(data_file("toronto/shelter_system_flow.csv"))
    assert (
        main(
            [
                "data",
                "targets",
                "toronto",
                flow,
                "--from",
                "2018-01",
                "--to",
                "2018-03",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    doc = yaml.safe_load(out.read_text())
    doc["free"] = FREE
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(out)


def test_monthly_columns_are_the_monthly_table_by_name() -> None:
    """Every cell of the run's monthly table is the column of the same measure and
    month (the chronic group's stock under ``_chronic``), divided by the scale."""
    res = run_once(SMALL, 0, 3, years=1, detail=False, monthly=True)
    cols = monthly_columns(res.monthly, 0.1)
    table = res.monthly
    allpop = table[table["population_group"] == "All Population"]
    chronic = table[table["population_group"] == "Chronic"]
    assert len(cols) == 12 * 6 + 12  # six measures a month, and the chronic stock
    for row in allpop.itertuples():
        period = f"{row.year}-{row.month:02d}"
        assert cols[f"actively_homeless_{period}"] == row.actively_homeless / 0.1
        assert cols[f"became_inactive_{period}"] == row.became_inactive / 0.1
    for row in chronic.itertuples():
        assert cols[f"actively_homeless_chronic_{row.year}-{row.month:02d}"] == (
            row.actively_homeless / 0.1
        )
    assert not any(k.startswith("newly_identified_chronic") for k in cols)


def test_a_monthly_run_gives_the_target_columns(targets) -> None:
    """The run measure the calibration picks for monthly targets gives their columns.

    Targets of the whole population only take the lighter ``data`` measure: the same
    monthly columns, bit for bit, without the chronic group and the shelter-use measures.
    """
    t = load_targets(targets)
    assert run_measure(t.targets) == "data"
    chronic = load_targets(
        {
            "targets": [
                {"measure": "actively_homeless_chronic", "month": "2018-01", "observed": 1, "sd": 1}
            ]
        }
    ).targets
    assert run_measure([*t.targets, *chronic]) == "monthly"
    pit = load_targets(
        {"targets": [{"measure": "pit", "year": 2018, "observed": 1, "sd": 1}]}
    ).targets
    assert run_measure([*t.targets, *pit]) == "monthly"
    assert run_measure(pit) == "rows"
    sc = sim.load_scenario(SMALL)
    full = simulate(RunSpec(sc, "s", 0, {}, 0, 3, 1, measure="monthly"))
    light = simulate(RunSpec(sc, "s", 0, {}, 0, 3, 1, measure="data"))
    assert full.ok and light.ok
    for x in t.targets:
        assert np.isfinite(light.summary[x.column]), x.column
    assert {k: v for k, v in full.summary.items() if k in light.summary} == light.summary
    assert "actively_homeless_chronic_2018-01" in full.summary
    assert "actively_homeless_chronic_2018-01" not in light.summary


@pytest.mark.parametrize("method", ["optimize", "abc-smc"])
def test_toronto_targets_calibrate(targets, tmp_path, capsys, method) -> None:
    """Both calibrations read the monthly columns: no "model gives no outcome"."""
    out = tmp_path / method
    extra = (
        ["--budget", "3"]
        if method == "optimize"
        else ["--particles", "10", "--generations", "1", "--predictive-draws", "4"]
    )
    args = [str(SMALL), targets, "--method", method, "--replications", "1", "--years", "1"]
    assert main(["calibrate", *args, *extra, "--out", str(out), "--quiet"]) == 0, (
        capsys.readouterr()
    )
    table = pd.read_csv(out / ("fit.csv" if method == "optimize" else "predictive.csv"))
    assert len(table) == 18 and table["mean"].notna().all()
    assert set(table["target"]) == {x.name for x in load_targets(targets).targets}
    if method == "abc-smc":
        assert json.loads((out / "fit.json").read_text())["particles"] == 10
    fitted = yaml.safe_load((out / "toronto_small_calibrated.yaml").read_text())
    source = fitted["transitions"]["low"]["shelter"]["own"]["source"]
    # a long list of targets is told by its count, first and last
    assert "18 targets, actively_homeless_2018-01 ... became_inactive_2018-03" in source
