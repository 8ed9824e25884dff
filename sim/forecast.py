"""Forecasts: predictive intervals from posterior draws x replications.

A forecast runs a scenario from its start to a given month for ``draws`` parameter
sets resampled (by weight) from a calibration posterior, ``replications`` runs each
on their own seeds, and summarises every month (or year) of every series across all
those runs: the mean, the median and the central 80% and 95% intervals. The spread
thus holds both the parameters' uncertainty and the model's own randomness.

Series (counts of persons, the mean over the weeks of a month or year, per full size:
a run at ``setting.scale`` 0.1 has its counts multiplied by 10):

- ``homeless``: everyone in a situation the count treats as homelessness;
- one series per situation (``shelter``, ``rough``, ``friends``, ...).

and, in the data's own terms (:mod:`sim.data_terms`), monthly: Toronto's stock and
flows (``actively_homeless`` at the month's end, ``newly_identified`` ... in the month)
and ``actively_homeless_chronic``; yearly: the January count (``pit``) and HUD's
``pit_sheltered`` and ``pit_unsheltered``.

Calendar: week ``w`` of a run belongs to year ``start_year + w // 52`` and, within
it, to month ``1 + (w % 52) * 12 // 52`` (four or five weeks a month).

The runs go to the batch engine (:func:`sim.batch.run_many`: serially, local
processes or Dask), which keeps each finished run in ``DIR/runs/``, so a stopped
forecast resumes; the numbers depend only on the scenario, posterior, seed and
sizes, never on the worker count, the backend or a stop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.abc_smc import resample
from sim.batch.engine import run_many
from sim.batch.progress import Progress
from sim.batch.runs import RunOutput, RunSpec
from sim.data_terms import MONTHLY_COLUMN
from sim.posterior import LEVELS, interval_columns
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario, has_key
from sim.situations import HOMELESS, WEEKS_PER_YEAR

FREQUENCIES = ("month", "year")
#: Replication indices of forecast runs start here (apart from a fit's own seeds).
FORECAST_OFFSET = 2 * 10**9
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
#: Summary columns of the January count: ``pit[_sheltered|_unsheltered]_<YYYY>``.
_YEARLY = re.compile(r"^(pit(?:_sheltered|_unsheltered)?)_(\d{4})$")


def parse_month(text: str, flag: str = "--until") -> tuple[int, int]:
    """``YYYY-MM`` as (year, month); a ScenarioError naming ``flag`` otherwise."""
    m = _MONTH.match(str(text))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ScenarioError(f"{flag}: expected a month as YYYY-MM (e.g. 2026-06), got '{text}'")
    return int(m.group(1)), int(m.group(2))


def read_posterior(path: str | Path) -> pd.DataFrame:
    """Read a posterior sample (CSV or Parquet).

    Columns are named by dotted key paths, and optionally ``weight``; errors name the
    file.
    """
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
        if not has_key(loaded.raw, c):
            raise ScenarioError(
                f"the scenario has no value at '{c}' ({loaded.file or loaded.name})",
                file=file,
                path=c,
            )
    return cols


@dataclass
class Forecast:
    """Per period and series: mean, median and 80% / 95% intervals over all runs."""

    table: pd.DataFrame
    draws: pd.DataFrame  # the draws' parameter values
    runs: int
    #: Every run's figure: ``draw``, ``replication``, ``period``, ``series``, ``value``.
    values: pd.DataFrame | None = None


def horizon_years(loaded: LoadedScenario, until: tuple[int, int]) -> int:
    """Years the runs need to reach the end of month ``until``."""
    start = loaded.params.setting.start_year
    if until[0] < start:
        raise ScenarioError(
            f"--until {until[0]}-{until[1]:02d} is before the scenario starts ({start})"
        )
    return until[0] - start + 1


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


def data_series(
    summary: dict[str, Any], until: tuple[int, int], frequency: str, scale: float = 1.0
) -> pd.DataFrame:
    """Return a run's series in the data's terms up to ``until``, from its summary row.

    Toronto's monthly stock and flows (month frequency) or the January counts (year
    frequency); columns ``period``, ``series``, ``value``. Both are per full size: the
    monthly columns come divided by ``setting.scale``, the January counts are divided
    here (``scale``), as a calibration compares them with the targets.
    """
    rows = []
    last_month = f"{until[0]}-{until[1]:02d}"
    for key, value in summary.items():
        if frequency == "month":
            p = monthly_period(key)
            if p and p[1] <= last_month:  # YYYY-MM sorts as the calendar does
                rows.append((p[1], p[0], float(value)))
        else:
            m = _YEARLY.match(key)
            if m and int(m.group(2)) <= until[0]:
                rows.append((m.group(2), m.group(1), float(value) / scale))
    return pd.DataFrame(rows, columns=["period", "series", "value"])


def run_series(
    out: RunOutput, start_year: int, until: tuple[int, int], frequency: str, scale: float = 1.0
) -> pd.DataFrame:
    """Return every series of one forecast run (a ``series`` run of the batch engine).

    Columns ``replication``, ``period``, ``series``, ``value``; the series in the
    data's terms and the counts by situation are per full size (``scale``: the
    scenario's ``setting.scale``), so a forecast of a smaller run reads like the data.
    """
    weekly = pd.DataFrame(out.extra or {"week": [], "situation": [], "count": []})
    weekly["replication"] = out.spec.replication
    data = data_series(out.summary or {}, until, frequency, scale)
    data.insert(0, "replication", out.spec.replication)
    counts = period_series(weekly, start_year, until, frequency)
    counts["value"] /= scale
    return pd.concat([counts, data], ignore_index=True)


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
    progress: bool | Progress | None = None,
) -> Forecast:
    """Run the forecast on the batch engine and summarise it.

    With ``state_dir``, every finished run is kept in ``state_dir/runs/`` and found
    there again, so a stopped forecast resumes. ``progress`` as for
    :func:`sim.batch.run_many`.
    """
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
    specs = draw_specs(loaded, values, cols, replications, seed, years)
    cache = None if state_dir is None else Path(state_dir) / "runs"
    outs = run_many(
        specs, workers=workers, scheduler=scheduler, progress=progress, cache=cache, desc="forecast"
    )
    start = loaded.params.setting.start_year
    parts = []
    for out in outs:
        if not out.ok:
            err = out.error or {}
            raise ScenarioError(
                f"posterior draw {out.spec.point} failed: {err.get('type')}: {err.get('message')}"
            )
        part = run_series(out, start, until, frequency, loaded.params.setting.scale)
        part.insert(0, "draw", out.spec.point)
        parts.append(part)
    every = pd.concat(parts, ignore_index=True)
    return Forecast(summarise(every), values, draws * replications, every)


def draw_specs(
    loaded: LoadedScenario,
    values: pd.DataFrame,
    cols: Sequence[str],
    replications: int,
    seed: int,
    years: int,
) -> list[RunSpec]:
    """Run a forecast's runs, each giving its summary and weekly counts.

    Draw ``i`` runs replications ``2e9 + i * R + r`` (common random numbers).
    """
    specs = []
    for i in range(len(values)):
        overrides = {c: _plain(values.at[i, c]) for c in cols}
        try:
            loaded.with_overrides(overrides)
        except ScenarioError:
            raise ScenarioError(f"posterior draw {i} makes an invalid scenario") from None
        specs += [
            RunSpec(
                loaded,
                loaded.name,
                i,
                overrides,
                FORECAST_OFFSET + i * replications + r,
                seed,
                years,
                measure="series",
            )
            for r in range(replications)
        ]
    return specs


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


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


def monthly_period(column: str) -> tuple[str, str] | None:
    """(series, ``YYYY-MM``) of a monthly column in the data's terms, else None."""
    m = MONTHLY_COLUMN.match(column)
    if m is None:
        return None
    return m["measure"] + (m["group"] or ""), f"{m['year']}-{m['month']}"


def target_period(column: str) -> tuple[str, str] | None:
    """Return (series, period) of a target's model column in the data's terms, or None.

    ``actively_homeless_2023-01`` -> (``actively_homeless``, ``2023-01``),
    ``pit_sheltered_2017`` -> (``pit_sheltered``, ``2017``).
    """
    p = monthly_period(column)
    if p:
        return p
    m = _YEARLY.match(column)
    return (m.group(1), m.group(2)) if m else None


def out_of_sample(
    table: pd.DataFrame,
    targets: Sequence[Any],
    after: str | None = None,
    values: pd.DataFrame | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observed figures against the forecast: per target, and per series.

    ``targets`` are :class:`sim.calibration.Target` rows; those whose column is a
    forecast series and period (after ``after``, a period as the table writes it,
    when given) are compared. Per target: observed, the forecast median, whether the
    80% and 95% intervals hold it, and the absolute percentage error of the median.
    Per series: the number of periods, the share inside each interval, and the mean
    absolute percentage error (MAPE, percent).

    The forecast's intervals are those of the model's count. With ``values`` (every
    run's figure, :attr:`Forecast.values`) the intervals of a new *observation* are
    added (``*_obs`` columns): each run's figure plus an error ``N(0, sd^2)`` with the
    target's stated sd, as the calibration's predictive check draws them, so a
    figure measured with error is judged against what its measurement could show.
    """
    index = table.assign(series=table["series"].astype(str), period=table["period"].astype(str))
    index = index.set_index(["series", "period"])
    runs = None if values is None else _values_by_key(values)
    rng = np.random.default_rng([seed, 97])
    rows = []
    for t in targets:
        key = target_period(t.column)
        if key is None or key not in index.index or (after is not None and key[1] <= after):
            continue
        f = index.loc[key]
        obs = {} if runs is None else _observation_intervals(runs[key], t, rng)
        rows.append(
            {
                "target": t.name,
                "series": key[0],
                "period": key[1],
                "observed": t.observed,
                "median": float(f["median"]),
                "low_80": float(f["low_80"]),
                "high_80": float(f["high_80"]),
                "low_95": float(f["low_95"]),
                "high_95": float(f["high_95"]),
                "inside_80": bool(f["low_80"] <= t.observed <= f["high_80"]),
                "inside_95": bool(f["low_95"] <= t.observed <= f["high_95"]),
                "ape_pct": 100 * abs(float(f["median"]) - t.observed) / abs(t.observed)
                if t.observed
                else np.nan,
                **obs,
            }
        )
    per = pd.DataFrame(rows)
    with_obs = runs is not None
    columns = ["series", "periods", "inside_80", "inside_95", "mape_pct"]
    columns += ["inside_80_obs", "inside_95_obs"] if with_obs else []
    if per.empty:
        return per, pd.DataFrame(columns=columns)
    aggs = {
        "periods": ("period", "size"),
        "inside_80": ("inside_80", "mean"),
        "inside_95": ("inside_95", "mean"),
        "mape_pct": ("ape_pct", "mean"),
    }
    if with_obs:
        aggs |= {c: (c, "mean") for c in ("inside_80_obs", "inside_95_obs")}
    summary = per.groupby("series", sort=False).agg(**aggs).reset_index()
    return per, summary[columns]


def _values_by_key(values: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """Every run's figure per (series, period), in the runs' order (draw, replication)."""
    v = values.assign(series=values["series"].astype(str), period=values["period"].astype(str))
    v = v.sort_values(["series", "period", "draw", "replication"], kind="stable")
    return {k: g["value"].to_numpy(float) for k, g in v.groupby(["series", "period"], sort=False)}


def _observation_intervals(x: np.ndarray, target: Any, rng: np.random.Generator) -> dict:
    """80% and 95% intervals of a new observation: the runs' figures plus N(0, sd^2)."""
    noisy = x + rng.standard_normal(x.size) * target.sd
    return interval_columns(noisy, target.observed, suffix="_obs")
