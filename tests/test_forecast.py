"""``homesim forecast``: predictive intervals from posterior draws, resume, bad input."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import chain_scenario

from sim.batch.runs import RunOutput
from sim.cli import main
from sim.forecast import out_of_sample, period_series, run_series, summarise


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("fc")
    sc = chain_scenario(
        {"own": 2000, "shelter": 60}, {"own": {"shelter": 0.003}, "shelter": {"own": 0.05}}, years=1
    )
    (root / "s.yaml").write_text(yaml.safe_dump(sc))
    pd.DataFrame(
        {
            "particle": [0, 1, 2],
            "transitions.low.own.shelter": [0.001, 0.003, 0.006],
            "weight": [0.2, 0.5, 0.3],
        }
    ).to_csv(root / "post.csv", index=False)
    return {"root": root, "scenario": str(root / "s.yaml"), "post": str(root / "post.csv")}


ARGS = ["--draws", "6", "--replications", "2", "--seed", "4"]


def test_forecast_writes_intervals_and_resumes(files) -> None:
    out = files["root"] / "a"
    assert (
        main(
            [
                "forecast",
                files["scenario"],
                "--posterior",
                files["post"],
                "--until",
                "2016-06",
                *ARGS,
                "--out",
                str(out),
                "--data-until",
                "2015-12",
            ]
        )
        == 0
    )
    table = pd.read_csv(out / "forecast.csv")
    for name in ("forecast.png", "draws.csv", "manifest.json"):
        assert (out / name).exists()
    home = table[table["series"] == "homeless"]
    periods = list(home["period"])
    assert periods[0] == "2015-01" and periods[-1] == "2016-06"
    assert len(home) == 18 and (home["runs"] == 12).all()
    assert (home["low_95"] <= home["low_80"]).all() and (home["low_80"] <= home["median"]).all()
    assert (home["median"] <= home["high_80"]).all() and (home["high_80"] <= home["high_95"]).all()
    # a wider spread of inflow rates gives a wider band than one fixed rate would
    assert (home["high_95"] - home["low_95"]).iloc[-1] > 0
    # stopped part-way: remove half the kept runs and the table, run again
    kept = sorted((out / "runs").rglob("*.json"))
    assert len(kept) == 12
    for f in kept[6:]:
        f.unlink()
    (out / "forecast.csv").unlink()
    assert (
        main(
            [
                "forecast",
                files["scenario"],
                "--posterior",
                files["post"],
                "--until",
                "2016-06",
                *ARGS,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    pd.testing.assert_frame_equal(pd.read_csv(out / "forecast.csv"), table)
    # yearly, with two workers: same runs, so the same yearly means
    out2 = files["root"] / "b"
    assert (
        main(
            [
                "forecast",
                files["scenario"],
                "--posterior",
                files["post"],
                "--until",
                "2016-06",
                *ARGS,
                "--frequency",
                "year",
                "--workers",
                "2",
                "--out",
                str(out2),
            ]
        )
        == 0
    )
    yearly = pd.read_csv(out2 / "forecast.csv")
    assert list(yearly[yearly["series"] == "homeless"]["period"]) == [2015, 2016]


def test_period_series_calendar() -> None:
    """52 weeks a year; months of four or five weeks; the series is a mean over weeks."""
    weeks = np.arange(0, 60)
    weekly = pd.DataFrame(
        {"replication": 0, "week": weeks, "situation": "shelter", "count": weeks.astype(float)}
    )
    s = period_series(weekly, 2015, (2016, 1), "month")
    home = s[s["series"] == "homeless"].set_index("period")["value"]
    assert list(home.index[:2]) == ["2015-01", "2015-02"]
    assert home["2015-01"] == pytest.approx(np.mean([0, 1, 2, 3, 4]))  # weeks 0-4
    assert home.index[-1] == "2016-01" and len(home) == 13


def test_a_smaller_run_is_forecast_per_full_size() -> None:
    """At ``setting.scale`` 0.1 the counts by situation and the data's terms read x10.

    The data's terms come from the summary already per full size (``data_series``
    divides only the January counts), the weekly counts by situation are divided here.
    """
    weekly = {"week": [0, 1, 2, 3], "situation": ["shelter"] * 4, "count": [5, 5, 7, 7]}
    summary = {"actively_homeless_2015-01": 900.0, "pit_2015": 30.0}
    spec = SimpleNamespace(replication=0)
    out = RunOutput(spec=spec, summary=summary, extra=weekly)  # type: ignore[arg-type]
    monthly = run_series(out, 2015, (2015, 1), "month", scale=0.1).set_index("series")
    assert monthly.loc["shelter", "value"] == pytest.approx(60.0)
    assert monthly.loc["homeless", "value"] == pytest.approx(60.0)
    assert monthly.loc["actively_homeless", "value"] == 900.0
    yearly = run_series(out, 2015, (2015, 12), "year", scale=0.1).set_index("series")
    assert yearly.loc["pit", "value"] == pytest.approx(300.0)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--until", "2016-13"], "--until: expected a month as YYYY-MM"),
        (["--until", "2010-01"], "before the scenario starts"),
        (["--until", "2016-06", "--posterior", "missing.csv"], "file not found"),
        (["--until", "2016-06", "--posterior", "BADPOST"], "no value at 'transitions.low.x.y'"),
    ],
)
def test_bad_input_is_one_clear_error_and_nothing_written(
    files, tmp_path, capsys, extra, message
) -> None:
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"transitions.low.x.y": [0.1], "weight": [1.0]}).to_csv(bad, index=False)
    extra = [str(bad) if e == "BADPOST" else e for e in extra]
    if "--posterior" not in extra:
        extra = [*extra, "--posterior", files["post"]]
    out = tmp_path / "out"
    code = main(["forecast", files["scenario"], *extra, *ARGS, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("homesim: error:") and err.count("\n") == 1
    assert message in err
    assert not out.exists()


def _check_case(n_periods: int, n_runs: int, seed: int):
    """A forecast whose runs are N(100, 3^2) and observations N(100, 3^2 + 4^2), sd 4."""
    rng = np.random.default_rng(seed)
    periods = [f"{2030 + p // 12}-{1 + p % 12:02d}" for p in range(n_periods)]
    values = pd.DataFrame(
        {
            "draw": np.tile(np.arange(n_runs), n_periods),
            "replication": 0,
            "period": np.repeat(periods, n_runs),
            "series": "actively_homeless",
            "value": 100 + 3 * rng.standard_normal(n_runs * n_periods),
        }
    )
    table = summarise(values)
    observed = 100 + 5 * rng.standard_normal(n_periods)
    targets = [
        SimpleNamespace(name=f"t{i}", column=f"actively_homeless_{p}", observed=y, sd=4.0)
        for i, (p, y) in enumerate(zip(periods, observed, strict=True))
    ]
    return table, values, targets


def test_observation_error_gives_nominal_coverage() -> None:
    """With the stated observation error the check's intervals cover at the nominal rate.

    400 months x 500 runs: a binomial share of 400 has an sd of 0.02 at 0.8 and 0.011 at
    0.95, so a tolerance of 0.06 / 0.035 is three sds. The model's own intervals (without
    the error) cover only P(|N(0, 5^2)| < 1.28 x 3) = 0.56 and P(< 1.96 x 3) = 0.76.
    """
    table, values, targets = _check_case(400, 500, seed=5)
    per, summary = out_of_sample(table, targets, values=values, seed=2)
    row = summary.iloc[0]
    assert row["periods"] == 400
    assert abs(row["inside_80_obs"] - 0.8) < 0.06 and abs(row["inside_95_obs"] - 0.95) < 0.035
    assert row["inside_80"] < 0.65 and row["inside_95"] < 0.85
    again, _ = out_of_sample(table, targets, values=values, seed=2)
    pd.testing.assert_frame_equal(per, again)  # the same seed, the same intervals
    plain, plain_summary = out_of_sample(table, targets)
    assert "inside_80_obs" not in plain and "inside_80_obs" not in plain_summary
