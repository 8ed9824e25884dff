"""The validation table: published figures beside the model's, with a verdict.

A *published-figures file* (YAML, shipped as ``sim/scenarios/published/denmark.yaml``)
lists figures from the literature, each with its value or range, year, unit, source and
the areas (``setting.municipality``) it is compared in::

    figures:
      - {measure: pit, year: 2015, value: 117, unit: persons, areas: [Randers],
         group: counts, label: homeless at the count, source: "VIVE count 2015"}
      - {measure: shelter_no_sign_12m_share, year: all, range: [0.35, 0.40],
         unit: share, areas: [Randers], group: shelter use, national: true,
         label: no sign of homelessness in the next 12 months, source: "..."}

A figure names a model outcome as a calibration target does (:mod:`sim.calibration`):
``measure`` + ``year`` is the run summary's column ``<measure>_<year>``, ``column`` a
column without a year (the typology shares), and ``divide_by`` makes a per-run ratio.
``year: all`` takes, in each run, the mean over every year the run gives but its first
(a warm-up: the week-0 population is drawn, not grown, and its stays' ages are those of
a steady state of each row only; ``Population.date_stays``). The model's
figure is the mean over N replications and the 5% and 95% quantiles over them (a 90%
interval of the runs: the model's randomness, not parameter uncertainty).

The verdict says whether the model meets the figure:

- a range: ``inside the range`` when the model's mean lies in it, else ``off by X%``
  from the nearer end;
- a single value: ``inside the runs' 90%`` when the value lies in the model's 90%
  interval, else ``off by X%`` (the mean against the value).

A figure whose year the run does not reach is listed as ``outside the run``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration import Target
from sim.posterior_sample import draw_rows, parameter_columns
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario, has_key
from sim.shipped import shipped_root
from sim.userfiles import check_entry, entry_list, load_yaml

#: The shipped file of published figures.
PUBLISHED = "published/denmark.yaml"

FIGURE_KEYS = frozenset(
    {
        "measure",
        "column",
        "year",
        "divide_by",
        "value",
        "range",
        "unit",
        "areas",
        "group",
        "label",
        "source",
        "national",
    }
)
TOP_KEYS = frozenset({"name", "description", "figures"})

#: Quantiles of the runs shown beside the mean (a 90% interval).
LOW_Q, HIGH_Q = 0.05, 0.95


@dataclass(frozen=True)
class Figure:
    """One published figure and the model outcome it is compared with.

    ``low``/``high`` hold a range (equal for a single value). ``year`` is a calendar
    year, ``"all"`` (the mean over the run's years) or None (a column without a year).
    """

    label: str
    base: str
    year: int | str | None
    divide_by: str | None
    low: float
    high: float
    unit: str
    areas: tuple[str, ...]
    group: str
    source: str
    national: bool = False
    by_column: bool = False

    @property
    def is_range(self) -> bool:
        """True if the figure is published as a range (low differs from high)."""
        return self.low != self.high

    def published_text(self) -> str:
        """The figure as written for the table: ``117`` or ``47-56``."""
        if self.is_range:
            return f"{_fmt(self.low)}-{_fmt(self.high)}"
        return _fmt(self.low)

    def columns(self, frame: pd.DataFrame, start_year: int) -> list[tuple[str, str | None]]:
        """Return the (column, divisor) pairs of the run summary that give this figure.

        ``year: all``: the years after ``start_year``, the run's first.
        """
        if self.by_column:
            return [(self.base, self.divide_by)]
        if self.year == "all":
            pre = f"{self.base}_"
            years = sorted(
                c[len(pre) :]
                for c in frame.columns
                if c.startswith(pre) and c[len(pre) :].isdigit() and int(c[len(pre) :]) > start_year
            )
            return [self.column_of(y) for y in years]
        return [self.column_of(self.year)]

    def column_of(self, year: int | str | None) -> tuple[str, str | None]:
        """The (column, divisor) pair of the run summary that gives this figure in ``year``.

        The names a calibration target of the same outcome has (``Target.column`` and
        ``Target.divide_by``).
        """
        if self.by_column:
            return self.base, self.divide_by
        div = f"{self.divide_by}_{year}" if self.divide_by else None
        return f"{self.base}_{year}", div

    def model_values(self, frame: pd.DataFrame, start_year: int) -> np.ndarray | None:
        """Return per-run model values (NaN where a run cannot give it).

        None when the runs hold no such outcome (a year outside the run).
        """
        pairs = [
            (c, d)
            for c, d in self.columns(frame, start_year)
            if c in frame and (d is None or d in frame)
        ]
        if not pairs:
            return None
        per_year = []
        for col, div in pairs:
            x = frame[col].to_numpy(float)
            if div is not None:
                d = frame[div].to_numpy(float)
                x = np.divide(x, d, out=np.full_like(x, np.nan), where=d != 0)
            per_year.append(x)
        stack = np.vstack(per_year)
        with np.errstate(all="ignore"):
            counts = np.isfinite(stack).sum(axis=0)
            sums = np.where(np.isfinite(stack), stack, 0.0).sum(axis=0)
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _fmt(x: float) -> str:
    """A number as the table shows it: shares with two decimals, counts with commas."""
    if not math.isfinite(x):
        return "n/a"
    if abs(x) < 1:
        return f"{x:.2f}"
    if abs(x) < 10:
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{x:,.0f}"


def load_published(source: str | Path | Mapping | None = None) -> list[Figure]:
    """Read and check a published-figures file (default: the shipped one).

    Raises ScenarioError naming the file, the key path and what was expected.
    """
    if isinstance(source, Mapping):
        data, file = dict(source), None
    else:
        path = shipped_root() / PUBLISHED if source is None else Path(source)
        file = str(path)
        data = load_yaml(path)
    items = entry_list(data, TOP_KEYS, "figures", file)
    return [_figure(item, i, file) for i, item in enumerate(items)]


def _figure(item: Any, i: int, file: str | None) -> Figure:
    where = f"figures[{i}]"
    check_entry(item, where, FIGURE_KEYS, "measure, year, value, unit and source", file)
    base = item.get("measure", item.get("column"))
    if not isinstance(base, str) or not base:
        raise ScenarioError(
            "expected the name of a model outcome such as 'pit'", file=file, path=where
        )
    year = _year(item, where, file)
    low, high = _value(item, where, file)
    areas = item.get("areas")
    if not isinstance(areas, list) or not areas or not all(isinstance(a, str) for a in areas):
        raise ScenarioError(
            "expected a list of area names such as [Denmark, Randers]",
            file=file,
            path=f"{where}.areas",
        )
    for key in ("unit", "source", "label"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise ScenarioError(
                f"expected a non-empty text, got {item.get(key)!r}",
                file=file,
                path=f"{where}.{key}",
            )
    div = item.get("divide_by")
    if div is not None and not isinstance(div, str):
        raise ScenarioError(
            "expected the name of a model outcome", file=file, path=f"{where}.divide_by"
        )
    return Figure(
        label=item["label"],
        base=base,
        year=year,
        divide_by=div,
        low=low,
        high=high,
        unit=item["unit"],
        areas=tuple(areas),
        group=str(item.get("group", "")),
        source=item["source"],
        national=bool(item.get("national", False)),
        by_column="column" in item,
    )


def _year(item: dict, where: str, file: str | None) -> int | str | None:
    year = item.get("year")
    if "column" in item:
        if year is not None:
            raise ScenarioError(
                "a 'column' figure takes no 'year' (use 'measure')", file=file, path=where
            )
        return None
    if year == "all" or (isinstance(year, int) and not isinstance(year, bool)):
        return year
    raise ScenarioError(
        f"expected a year such as 2015, or 'all', got {year!r}", file=file, path=f"{where}.year"
    )


def _value(item: dict, where: str, file: str | None) -> tuple[float, float]:
    if ("value" in item) == ("range" in item):
        raise ScenarioError(
            "expected either 'value' (a number) or 'range' ([low, high])", file=file, path=where
        )
    if "value" in item:
        v = item["value"]
        if not _number(v):
            raise ScenarioError(f"expected a number, got {v!r}", file=file, path=f"{where}.value")
        return float(v), float(v)
    r = item["range"]
    if not (isinstance(r, list) and len(r) == 2 and all(_number(x) for x in r) and r[0] < r[1]):
        raise ScenarioError(
            f"expected [low, high] with low < high, got {r!r}", file=file, path=f"{where}.range"
        )
    return float(r[0]), float(r[1])


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def figures_for(figures: Sequence[Figure], area: str) -> list[Figure]:
    """The figures compared in ``area`` (a scenario's ``setting.municipality``)."""
    return [f for f in figures if area in f.areas]


def verdict(figure: Figure, mean: float, low: float, high: float) -> str:
    """Whether the model meets the figure, in words (see the module docstring)."""
    if not math.isfinite(mean):
        return "no model value"
    if figure.is_range:
        if figure.low <= mean <= figure.high:
            return "inside the range"
        end = figure.low if mean < figure.low else figure.high
        return f"off by {_pct(mean, end)}"
    if low <= figure.low <= high:
        return "inside the runs' 90%"
    return f"off by {_pct(mean, figure.low)}"


def _pct(mean: float, ref: float) -> str:
    if ref == 0:
        return f"{mean - ref:+.2f}"
    pct = 100 * (mean - ref) / abs(ref)
    return f"{pct:+.1f}%" if abs(pct) < 1 else f"{pct:+.0f}%"  # never "off by -0%"


def validation_requests(
    scenario: LoadedScenario,
    sample: pd.DataFrame | None,
    replications: int,
    seed: int,
    file: str | None = None,
) -> list[tuple[LoadedScenario, range]]:
    """The runs of a validation: (scenario, replication indices) pairs.

    Without ``sample``, the scenario ``replications`` times. With a posterior sample
    (``homesim calibrate``'s ``posterior.csv``, read from ``file``), run ``k`` takes
    the parameters of a row drawn by :func:`sim.posterior_sample.draw_rows` and
    replication index ``k``, so the runs are the posterior predictive: parameter
    uncertainty and chance together. A column that is no key of the scenario is a
    ScenarioError naming it.
    """
    if sample is None:
        return [(scenario, range(replications))]
    cols = parameter_columns(sample)
    for c in cols:
        if not has_key(scenario.raw, c):
            raise ScenarioError(
                f"column '{c}' is no key of scenario {scenario.name}", file=file, path=c
            )
    values = {c: sample[c].to_numpy() for c in cols}
    return [
        (
            scenario.with_overrides({c: v[row].item() for c, v in values.items()}),
            range(k, k + 1),
        )
        for k, row in enumerate(draw_rows(sample, replications, seed).tolist())
    ]


def fitted_mark(figure: Figure, targets: Sequence[Target]) -> str:
    """Whether a fit saw this figure: ``yes``, ``in YEAR, ...`` or ``no``.

    ``yes``: a target names the same outcome (measure or column, year and divisor).
    For a ``year: all`` figure, targets of its measure in some years give ``in`` those
    years. ``no``: no target names it, so the figure checks the model out of sample.
    """
    seen = {(t.column, t.divide_by) for t in targets}
    if figure.year != "all" or figure.by_column:
        return "yes" if figure.column_of(figure.year) in seen else "no"
    years = sorted(
        {
            t.year
            for t in targets
            if t.year is not None and figure.column_of(t.year) == (t.column, t.divide_by)
        }
    )
    return "in " + ", ".join(map(str, years)) if years else "no"


def validation_table(
    figures: Sequence[Figure],
    frame: pd.DataFrame,
    start_year: int,
    targets: Sequence[Target] | None = None,
) -> pd.DataFrame:
    """One row per figure: published, model mean and 90% interval, verdict, source.

    ``frame`` holds one summary row per replication (as :func:`sim.simulate.simulate`
    gives, with the count by situation) of a run that starts in ``start_year``. With
    the ``targets`` the scenario was fitted to, a column ``fitted`` says which figures
    the fit saw (:func:`fitted_mark`); the others are checks out of sample.
    """
    rows = []
    for f in figures:
        x = f.model_values(frame, start_year)
        row: dict[str, Any] = {
            "group": f.group,
            "figure": f.label + (" (national figure)" if f.national else ""),
            "year": {None: "", "all": "all years"}.get(f.year, str(f.year)),
            "unit": f.unit,
            "published": f.published_text(),
            "published_low": f.low,
            "published_high": f.high,
            "source": f.source,
        }
        if targets is not None:
            row["fitted"] = fitted_mark(f, targets)
        if x is None or not np.isfinite(x).any():
            row.update(
                model_mean=math.nan,
                model_low=math.nan,
                model_high=math.nan,
                runs=0,
                verdict="outside the run" if x is None else "no model value",
            )
        else:
            ok = x[np.isfinite(x)]
            mean, lo, hi = float(ok.mean()), *map(float, np.quantile(ok, [LOW_Q, HIGH_Q]))
            row.update(
                model_mean=mean,
                model_low=lo,
                model_high=hi,
                runs=int(ok.size),
                verdict=verdict(f, mean, lo, hi),
            )
        rows.append(row)
    return pd.DataFrame(rows)


def markdown_table(table: pd.DataFrame) -> str:
    """The table as Markdown, one row per figure.

    Columns: figure, year, published, model mean [90%], verdict, ``fitted`` where the
    table has it, and the source.
    """
    fitted = "fitted" in table
    lines = [
        "| figure | year | published | model: mean [90% of runs] | verdict |"
        + (" fitted |" if fitted else "")
        + " source |",
        "|---|---|---|---|---|" + ("---|" if fitted else "") + "---|",
    ]
    for r in table.itertuples():
        model = (
            "-"
            if r.runs == 0
            else f"{_fmt(r.model_mean)} [{_fmt(r.model_low)}, {_fmt(r.model_high)}]"
        )
        mark = f" {r.fitted} |" if fitted else ""
        lines.append(
            f"| {r.figure} | {r.year} | {r.published} | {model} | {r.verdict} |{mark} {r.source} |"
        )
    return "\n".join(lines)


def met_in_words(table: pd.DataFrame) -> str:
    """How many figures the model meets, and of those no fit saw, how many."""
    met = table["verdict"].str.startswith("inside")
    compared = table["runs"] > 0
    text = f"{int(met.sum())} of {int(compared.sum())} figures met"
    if "fitted" in table:
        unseen = compared & (table["fitted"] == "no")
        text += f" ({int((met & unseen).sum())} of the {int(unseen.sum())} that no fit saw)"
    return text
