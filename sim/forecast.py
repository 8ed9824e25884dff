"""Forecasts: predictive intervals from posterior draws x replications.

A forecast runs a scenario from its start to a given month for ``draws`` parameter
sets resampled (by weight) from a calibration posterior, ``replications`` runs each
on their own seeds, and summarises every month (or year) of every series across all
those runs: the mean, the median and the central 80% and 95% intervals. The spread
thus holds both the parameters' uncertainty and the model's own randomness.

Series (counts of persons, the mean over the weeks of a month or year):

- ``homeless``: everyone in a situation the count treats as homelessness;
- one series per situation (``shelter``, ``rough``, ``friends``, ...).

Calendar: week ``w`` of a run belongs to year ``start_year + w // 52`` and, within
it, to month ``1 + (w % 52) * 12 // 52`` (four or five weeks a month).

Each draw's series are written to ``DIR/draws/`` as they finish (atomically), so a
stopped forecast resumes; the numbers depend only on the scenario, posterior, seed
and sizes, never on the worker count or on a stop.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.abc_smc import resample
from sim.fit_runs import Task, TaskRunner
from sim.results_io import write_json, write_parquet
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario
from sim.situations import HOMELESS, WEEKS_PER_YEAR

FREQUENCIES = ("month", "year")
LEVELS = (0.8, 0.95)
#: Replication indices of forecast runs start here (apart from a fit's own seeds).
FORECAST_OFFSET = 2 * 10**9
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, flag: str = "--until") -> tuple[int, int]:
    """``YYYY-MM`` as (year, month); a ScenarioError naming ``flag`` otherwise."""
    m = _MONTH.match(str(text))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ScenarioError(f"{flag}: expected a month as YYYY-MM (e.g. 2026-06), got '{text}'")
    return int(m.group(1)), int(m.group(2))


def read_posterior(path: str | Path) -> pd.DataFrame:
    """A posterior sample (CSV or Parquet): columns named by dotted key paths, and
    optionally ``weight``; errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError("file not found", file=str(path))
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # any unreadable file is the user's input error
        raise ScenarioError(f"not a readable table: {type(exc).__name__}", file=str(path)) from None
    cols = [c for c in frame.columns if "." in str(c)]
    if frame.empty or not cols:
        raise ScenarioError(
            "expected rows and columns named by dotted key paths (as "
            "'homesim calibrate' writes to posterior.csv)",
            file=str(path),
        )
    for c in [*cols, *(["weight"] if "weight" in frame else [])]:
        if not pd.api.types.is_numeric_dtype(frame[c]) or not np.isfinite(frame[c]).all():
            raise ScenarioError(f"expected finite numbers in column '{c}'", file=str(path))
    if "weight" in frame and ((frame["weight"] < 0).any() or frame["weight"].sum() <= 0):
        raise ScenarioError("expected non-negative weights with a positive sum", file=str(path))
    return frame


def posterior_columns(
    loaded: LoadedScenario, posterior: pd.DataFrame, file: str | None
) -> list[str]:
    """The posterior's parameter columns, each a value the scenario holds."""
    cols = [c for c in posterior.columns if "." in str(c)]
    for c in cols:
        node: Any = loaded.raw
        for key in c.split("."):
            if not isinstance(node, dict) or key not in node:
                raise ScenarioError(
                    f"the scenario has no value at '{c}' ({loaded.file or loaded.name})",
                    file=file,
                    path=c,
                )
            node = node[key]
    return cols


@dataclass
class Forecast:
    """Per period and series: mean, median and 80% / 95% intervals over all runs."""

    table: pd.DataFrame
    draws: pd.DataFrame  # the draws' parameter values
    runs: int


def horizon_years(loaded: LoadedScenario, until: tuple[int, int]) -> int:
    """Years the runs need to reach the end of month ``until``."""
    start = loaded.params.setting.start_year
    if until[0] < start:
        raise ScenarioError(
            f"--until {until[0]}-{until[1]:02d} is before the scenario starts ({start})"
        )
    return until[0] - start + 1


@dataclass(frozen=True)
class SeriesOf:
    """Turns a draw's weekly counts into its monthly or yearly series (picklable)."""

    start_year: int
    until: tuple[int, int]
    frequency: str

    def __call__(self, weekly: pd.DataFrame) -> pd.DataFrame:
        return period_series(weekly, self.start_year, self.until, self.frequency)


def period_series(
    weekly: pd.DataFrame, start_year: int, until: tuple[int, int], frequency: str
) -> pd.DataFrame:
    """Mean count per period, series and replication, up to ``until`` (inclusive)."""
    w = weekly["week"].to_numpy()
    year = start_year + w // WEEKS_PER_YEAR
    month = 1 + (w % WEEKS_PER_YEAR) * 12 // WEEKS_PER_YEAR
    keep = (year < until[0]) | ((year == until[0]) & (month <= until[1]))
    if frequency == "year":
        keep &= year <= until[0]
        period = pd.Series(year.astype(str))
    else:
        period = pd.Series([f"{y}-{m:02d}" for y, m in zip(year, month, strict=True)])
    df = pd.DataFrame(
        {
            "replication": weekly["replication"].to_numpy(),
            "period": period.to_numpy(),
            "situation": weekly["situation"].astype(str).to_numpy(),
            "week": w,
            "count": weekly["count"].to_numpy(float),
        }
    )[keep]
    homeless = {s.name.lower() for s in HOMELESS}
    per_week = df.groupby(["replication", "period", "week", "situation"], sort=True)["count"].sum()
    by_sit = per_week.groupby(["replication", "period", "situation"]).mean().reset_index()
    tot = (
        df[df["situation"].isin(homeless)]
        .groupby(["replication", "period", "week"])["count"]
        .sum()
        .groupby(["replication", "period"])
        .mean()
        .reset_index()
    )
    tot["situation"] = "homeless"
    out = pd.concat([tot, by_sit], ignore_index=True)
    return out.rename(columns={"situation": "series", "count": "value"})


def forecast(
    loaded: LoadedScenario,
    posterior: pd.DataFrame,
    until: tuple[int, int],
    draws: int = 100,
    replications: int = 2,
    seed: int = 0,
    frequency: str = "month",
    workers: int = 1,
    scheduler: Any = None,
    state_dir: str | Path | None = None,
    posterior_file: str | None = None,
) -> Forecast:
    """Run the forecast (resuming from ``state_dir``) and summarise it."""
    if frequency not in FREQUENCIES:
        raise ScenarioError(f"--frequency: expected one of {', '.join(FREQUENCIES)}")
    if draws < 1 or replications < 1:
        raise ScenarioError("expected --draws and --replications of at least 1")
    cols = posterior_columns(loaded, posterior, posterior_file)
    years = horizon_years(loaded, until)
    w = (
        posterior["weight"].to_numpy(float)
        if "weight" in posterior
        else np.full(len(posterior), 1.0 / len(posterior))
    )
    rows = resample(w, draws, [seed, 31])
    values = posterior.iloc[rows][cols].reset_index(drop=True)
    values.insert(0, "draw", np.arange(draws))
    post = SeriesOf(loaded.params.setting.start_year, until, frequency)
    parts = _run_draws(
        loaded, values, cols, replications, seed, years, post, workers, scheduler, state_dir
    )
    return Forecast(summarise(pd.concat(parts, ignore_index=True)), values, draws * replications)


def _run_draws(
    loaded: LoadedScenario,
    values: pd.DataFrame,
    cols: Sequence[str],
    replications: int,
    seed: int,
    years: int,
    post: SeriesOf,
    workers: int,
    scheduler: Any,
    state_dir: str | Path | None,
) -> list[pd.DataFrame]:
    """Each draw's series: read from ``state_dir/draws`` if there, else run and save."""
    folder = None if state_dir is None else Path(state_dir) / "draws"
    key = _key(loaded, values, replications, seed, years, post)
    if folder is not None:
        _check_key(Path(state_dir), key)
    parts: dict[int, pd.DataFrame] = {}
    todo = []
    for i in range(len(values)):
        f = None if folder is None else folder / f"draw_{i:05d}.parquet"
        if f is not None and f.exists():
            parts[i] = pd.read_parquet(f)
        else:
            todo.append(i)
    tasks = [
        Task(
            {c: _plain(values.at[i, c]) for c in cols},
            tuple(FORECAST_OFFSET + i * replications + r for r in range(replications)),
            seed,
            years,
            weekly=True,
        )
        for i in todo
    ]
    with TaskRunner(workers, scheduler) as runner:
        for start in range(0, len(tasks), 8 * max(1, workers)):
            chunk = todo[start : start + 8 * max(1, workers)]
            for i, res in zip(
                chunk, runner.map(loaded, tasks[start : start + len(chunk)], post), strict=True
            ):
                if res is None:
                    raise ScenarioError(f"posterior draw {i} makes an invalid scenario")
                res.insert(0, "draw", i)
                parts[i] = res
                if folder is not None:
                    if i == chunk[0] and start == 0:
                        write_json(Path(state_dir) / "forecast_state.json", {"key": key})
                    write_parquet(folder / f"draw_{i:05d}.parquet", res)
    return [parts[i] for i in range(len(values))]


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def _key(
    loaded: LoadedScenario,
    values: pd.DataFrame,
    replications: int,
    seed: int,
    years: int,
    post: SeriesOf,
) -> str:
    desc = {
        "scenario": loaded.hash,
        "values": values.to_json(),
        "replications": replications,
        "seed": seed,
        "years": years,
        "series": [post.start_year, list(post.until), post.frequency],
    }
    return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()[:16]


def _check_key(folder: Path, key: str) -> None:
    f = folder / "forecast_state.json"
    if f.exists() and json.loads(f.read_text()).get("key") != key:
        raise ScenarioError(
            f"{folder} holds runs of a different forecast; use another --out folder"
        )


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean, median and central 80% / 95% intervals per series and period."""
    qs = sorted(
        {
            0.5,
            *[round((1 - lv) / 2, 6) for lv in LEVELS],
            *[round((1 + lv) / 2, 6) for lv in LEVELS],
        }
    )
    g = runs.groupby(["series", "period"], sort=True)["value"]
    out = g.quantile(qs).unstack()
    out.columns = [f"q{q}" for q in out.columns]
    out = out.rename(
        columns={
            "q0.5": "median",
            "q0.1": "low_80",
            "q0.9": "high_80",
            "q0.025": "low_95",
            "q0.975": "high_95",
        }
    )
    out.insert(0, "mean", g.mean())
    out["runs"] = g.size()
    order = ["homeless", *sorted(set(runs["series"]) - {"homeless"})]
    out = out.reset_index()
    out["series"] = pd.Categorical(out["series"], order, ordered=True)
    return out.sort_values(["series", "period"]).reset_index(drop=True)
