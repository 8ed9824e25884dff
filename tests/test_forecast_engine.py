"""Forecasts on the batch engine: the same table bit for bit serially, on 2 local
processes and on a local Dask cluster; a forecast stopped part way resumes from its run
cache to the table of one run straight through; the data's own series are forecast."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import chain_scenario
from pandas.testing import assert_frame_equal

import sim
from sim.data_terms import monthly_columns
from sim.forecast import FORECAST_OFFSET, data_series, forecast
from sim.runner import run_once
from tests.conftest import SCENARIOS
from tests.engines import StopAfter, StoppedError, against_serial, on_every_backend

POSTERIOR = pd.DataFrame(
    {"transitions.low.own.shelter": [0.001, 0.003, 0.006], "weight": [0.2, 0.5, 0.3]}
)


def scenario():
    return sim.load_scenario(
        chain_scenario(
            {"own": 1500, "shelter": 60}, {"own": {"shelter": 0.003}, "shelter": {"own": 0.05}}, 1
        )
    )


def run(**kw) -> pd.DataFrame:
    return forecast(scenario(), POSTERIOR, (2016, 3), draws=5, replications=2, seed=4, **kw).table


def test_forecast_is_the_same_on_every_backend(dask_client) -> None:
    tables = on_every_backend(run, dask_client)
    for b, got, serial in against_serial(tables):
        assert_frame_equal(got, serial, check_exact=True, obj=b)
    series = set(tables["serial"]["series"].astype(str))
    assert {"homeless", "shelter", "actively_homeless", "newly_identified"} <= series


def test_stopped_forecast_resumes_to_the_same_table(tmp_path) -> None:
    straight = run()
    with pytest.raises(StoppedError):
        run(state_dir=tmp_path, progress=StopAfter(4))
    kept = {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").rglob("*.json")}
    assert len(kept) == 4
    assert_frame_equal(run(state_dir=tmp_path), straight, check_exact=True)
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())  # none was run again
    assert len(list((tmp_path / "runs").rglob("*.json"))) == 10


def test_toronto_series_are_those_of_the_monthly_table() -> None:
    """One draw, one run: every quantile of a data series is that run's monthly figure."""
    sc = sim.load_scenario(SCENARIOS / "toronto_small.yaml")
    post = pd.DataFrame({"exits.move_away_per_year": [0.05]})
    table = forecast(sc, post, (2018, 6), draws=1, replications=1, seed=2).table
    res = run_once(sc, FORECAST_OFFSET, 2, years=1, detail=False, monthly=True)
    want = monthly_columns(res.monthly, 0.1)
    got = table[table["series"].astype(str) == "actively_homeless"]
    assert list(got["period"]) == [f"2018-{m:02d}" for m in range(1, 7)]
    for row in got.itertuples():
        v = want[f"actively_homeless_{row.period}"]
        assert row.low_95 == row.median == row.high_95 == v
    flows = table[table["series"].astype(str) == "returned_to_shelter"]
    assert list(flows["mean"]) == [want[f"returned_to_shelter_2018-{m:02d}"] for m in range(1, 7)]


def test_data_series_picks_the_months_or_years_up_to_the_end() -> None:
    row = {
        "actively_homeless_2018-01": 5.0,
        "actively_homeless_chronic_2018-02": 2.0,
        "became_inactive_2018-03": 1.0,
        "pit_2018": 7.0,
        "pit_sheltered_2019": 3.0,
        "pit_shelter_2018": 9.0,  # a situation's count: not a series of the data
        "homeless_days": 100.0,
    }
    month = data_series(row, (2018, 2), "month")
    assert sorted(zip(month["series"], month["period"], strict=True)) == [
        ("actively_homeless", "2018-01"),
        ("actively_homeless_chronic", "2018-02"),
    ]
    year = data_series(row, (2018, 12), "year")
    assert list(zip(year["series"], year["period"], strict=True)) == [("pit", "2018")]


def test_check_compares_the_forecast_with_later_figures(tmp_path, capsys) -> None:
    """``--check``: only figures after --data-until; coverage and MAPE from the table."""
    from sim.cli import main

    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario().raw))
    POSTERIOR.to_csv(tmp_path / "post.csv", index=False)
    figures = [("2015-12", 60.0), ("2016-01", 60.0), ("2016-02", 1e6), ("2016-03", 61.0)]
    targets = {
        "targets": [
            {"measure": "actively_homeless", "month": m, "observed": v, "sd": 5.0}
            for m, v in figures
        ],
        "free": {"transitions.low.own.shelter": {"low": 0.001, "high": 0.01}},
    }
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(targets))
    base = ["forecast", str(tmp_path / "s.yaml"), "--posterior", str(tmp_path / "post.csv")]
    base += ["--draws", "5", "--replications", "2", "--seed", "4", "--quiet"]
    out = tmp_path / "out"
    args = [*base, "--until", "2016-03", "--data-until", "2015-12", "--check"]
    assert main([*args, str(tmp_path / "t.yaml"), "--out", str(out)]) == 0
    per = pd.read_csv(out / "check.csv")
    assert list(per["period"]) == ["2016-01", "2016-02", "2016-03"]
    table = pd.read_csv(out / "forecast.csv")
    home = table[table["series"] == "actively_homeless"].set_index("period")
    for r in per.itertuples():
        assert r.median == home.loc[r.period, "median"]
        assert r.inside_80 == (r.low_80 <= r.observed <= r.high_80)
        assert r.ape_pct == pytest.approx(100 * abs(r.median - r.observed) / r.observed)
    assert not per.set_index("period").loc["2016-02", "inside_95"]  # a million is far out
    summ = pd.read_csv(out / "check_summary.csv").iloc[0]
    assert summ["periods"] == 3 and summ["mape_pct"] == pytest.approx(per["ape_pct"].mean())
    assert "actively_homeless" in capsys.readouterr().out
    # nothing after --data-until: one error line naming the file, exit 2, nothing written
    bad = tmp_path / "bad"
    args = [*base, "--until", "2015-12", "--data-until", "2015-12", "--check"]
    assert main([*args, str(tmp_path / "t.yaml"), "--out", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("homesim: error:") and err.count("\n") == 1 and "t.yaml" in err
    assert not bad.exists()
