"""``homesim report DIR``: a report of each kind of results folder, checked for content.

Every folder is made by the real command on a short horizon with few replications, then
reported; the tables of the HTML page are parsed and compared with the CSV files of the
folder, aggregated independently here (numpy mean and linear percentiles, as pandas
quantiles are). The page shows rounded numbers, so each value is compared within half a
unit of the last digit it shows.
"""

from __future__ import annotations

import base64
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "randers_baseline.yaml")
HOUSING_FIRST = str(ROOT / "scenarios" / "randers_housing_first.yaml")
TARGETS = str(ROOT / "scenarios" / "targets" / "randers.yaml")
PNG = re.compile(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'")


# ---------------------------------------------------------------- helpers

class _Tables(HTMLParser):
    """Every <table> of a page as a list of rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(page: str) -> list[pd.DataFrame]:
    p = _Tables()
    p.feed(page)
    return [pd.DataFrame(t[1:], columns=t[0]) for t in p.tables if t]


def table_with(page: str, *columns: str) -> pd.DataFrame:
    """The first table of the page that has all these columns."""
    for t in tables_of(page):
        if all(c in t.columns for c in columns):
            return t
    raise AssertionError(f"no table with columns {columns}")


def close_to_shown(shown: str, value: float) -> bool:
    """``value`` rounds to ``shown`` (a number with thousands commas and d decimals)."""
    text = shown.replace(",", "")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text) - value) <= 0.5 * 10 ** -decimals + 1e-9 * abs(value)


def report(folder: Path, *extra: str) -> tuple[str, str]:
    assert main(["report", str(folder), *extra]) == 0
    return ((folder / "report.html").read_text(encoding="utf-8"),
            (folder / "report.md").read_text(encoding="utf-8"))


def check_figures(page: str, expected: int) -> list[bytes]:
    """At least ``expected`` figures embedded as base64 PNG; returns their bytes."""
    pngs = [base64.b64decode(m) for m in PNG.findall(page)]
    assert len(pngs) >= expected
    assert all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    return pngs


def leaf(man: dict, scenario: str, path: str) -> dict:
    node = man["scenarios"][scenario]["as_run"]
    for part in path.split("."):
        node = node[part]
    return node


def check_key_parameters(page: str, man: dict, scenario: str, paths: list[str]) -> None:
    """Each path is in the page's first parameter table with its value and source."""
    params = table_with(page, "parameter", "value", "range", "source").set_index("parameter")
    for path in paths:
        node = leaf(man, scenario, path)
        assert path in params.index, path
        assert params.loc[path, "value"] == f"{node['value']:.6g}"
        assert params.loc[path, "source"] == node["source"]
        assert html.escape(node["source"], quote=False) in page


def check_outcomes(page: str, summary: pd.DataFrame, group: pd.Series) -> int:
    """Compare the main-outcome table with summary.csv aggregated by ``group``."""
    table = table_with(page, "scenario", "column", "mean", "2.5%", "97.5%", "runs")
    checked = 0
    for row in table.itertuples(index=False):
        x = summary.loc[group == row.scenario, row.column].dropna().to_numpy()
        assert int(row.runs) == len(x)
        assert close_to_shown(row.mean, x.mean()), (row.column, row.mean, x.mean())
        assert close_to_shown(row[4], np.percentile(x, 2.5)), row
        assert close_to_shown(row[5], np.percentile(x, 97.5)), row
        checked += 1
    return checked


# ---------------------------------------------------------------- folders

@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder of each kind, made by the commands (a few seconds in all)."""
    base = tmp_path_factory.mktemp("results")
    out = {k: base / k for k in ("run", "batch", "compare", "psa", "calibration",
                                 "sensitivity")}
    assert main(["run", BASELINE, "-n", "3", "--years", "2", "--out", str(out["run"]),
                 "-q"]) == 0
    batch = base / "tiny.yaml"
    batch.write_text(f"name: tiny\nscenarios: ['{BASELINE}']\n"
                     "sweep: [{housing.assignments_per_week: 1}, "
                     "{housing.assignments_per_week: 4}, {housing.self_found_share: 2}]\n"
                     "replications: 2\nseed: 3\nyears: 1\n", encoding="utf-8")
    assert main(["batch", str(batch), "--workers", "1", "--out", str(out["batch"]),
                 "-q"]) == 1  # the runs of point 2 fail (a share above 1)
    assert main(["compare", BASELINE, HOUSING_FIRST, "-n", "2", "--years", "1", "--out",
                 str(out["compare"]), "-q"]) == 0
    assert main(["psa", BASELINE, HOUSING_FIRST, "--draws", "3", "--years", "1", "--out",
                 str(out["psa"]), "-q"]) == 0
    assert main(["calibrate", BASELINE, TARGETS, "--budget", "3", "-n", "1", "--years",
                 "1", "--out", str(out["calibration"]), "-q"]) == 0
    toy = base / "toy.yaml"
    toy.write_text(TOY, encoding="utf-8")
    assert main(["sensitivity", str(toy), "-n", "1", "--out", str(out["sensitivity"])]) == 0
    return out


#: A small made-up town with two parameters that have a range (for one-way sensitivity).
TOY = """\
name: toy-town
setting: {years: 1, start_year: 2015}
initial:
  counts: {own: 600, at_risk: 200, rough: 20, shelter: 40, friends: 40, starter: 20}
  needs_mix: {default: {low: 0.5, medium: 0.3, high: 0.2}}
entries:
  per_week: {value: 3, source: "toy figure, range 2-4", low: 2, high: 4}
  needs_mix: {low: 0.5, medium: 0.3, high: 0.2}
  routes:
    eviction: {share: 1.0, to: {at_risk: 1.0}}
transitions:
  low: &rows
    own: {at_risk: 0.004}
    at_risk: {own: 0.15, friends: 0.03, rough: 0.01}
    rough: {shelter: 0.2, friends: 0.05, own: 0.01}
    shelter: {starter: 0.06, rough: 0.03, own: 0.03}
    friends: {rough: 0.04, shelter: 0.05, own: 0.04}
    starter: {own: 0.06, shelter: 0.01}
  medium: *rows
  high: *rows
places:
  shelter: {capacity: 45, overflow: {rough: 1.0}}
  starter: {capacity: {value: 24, source: "toy figure, range 12-36", low: 12, high: 36}}
housing: {assignments_per_week: 1, self_found_share: 0.5}
"""


KEY_PATHS = ["places.starter.capacity", "places.shelter.capacity", "entries.per_week",
             "housing.assignments_per_week", "costs.discount_rate"]


def test_run_folder(folders: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    folder = folders["run"]
    page, md = report(folder)
    assert "(run folder)" in capsys.readouterr().out
    summary = pd.read_csv(folder / "summary.csv")
    assert check_outcomes(page, summary, summary["scenario"]) >= 8
    for col in ("pit_2015", "pit_2016", "homeless_days", "homeless_end"):
        assert f"<td>{col}</td>" in page
    (png,) = check_figures(page, 1)
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert [(folder / f).read_bytes() for f in linked] == [png]
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    check_key_parameters(page, man, "randers_baseline", KEY_PATHS)
    assert "<details>" in page and "transitions.high.shelter.own" in page
    assert "Caveats" in page and "Monte Carlo" in page and "multipliers" in page
    assert "| pit_2015 |" in md


def test_batch_folder_by_point(folders: dict[str, Path]) -> None:
    folder = folders["batch"]
    page, _ = report(folder)
    summary = pd.read_csv(folder / "summary.csv")
    group = summary["scenario"] + ", point " + summary["point"].astype(str)
    table = table_with(page, "scenario", "column", "mean")
    assert set(table["scenario"]) == {"randers_baseline, point 0", "randers_baseline, point 1"}
    assert check_outcomes(page, summary, group) >= 16
    check_figures(page, 3)  # all points together, then one per point
    points = table_with(page, "point", "changed")
    assert list(points["changed"]) == ["housing.assignments_per_week = 1",
                                       "housing.assignments_per_week = 4",
                                       "housing.self_found_share = 2"]
    failed = table_with(page, "point", "replication", "error", "message")
    assert list(failed["point"]) == ["2", "2"]
    assert all("housing.self_found_share" in m for m in failed["message"])
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    check_key_parameters(page, man, "randers_baseline", KEY_PATHS)


def test_compare_folder(folders: dict[str, Path], tmp_path: Path) -> None:
    folder = folders["compare"]
    out = tmp_path / "elsewhere" / "planner.html"
    before = (folder / "report.html").read_bytes()
    assert main(["report", str(folder), "--out", str(out)]) == 0
    assert (folder / "report.html").read_bytes() == before  # --out leaves it alone
    page = out.read_text(encoding="utf-8")
    md = out.with_suffix(".md").read_text(encoding="utf-8")
    runs = pd.read_csv(folder / "runs.csv")
    means = runs.groupby("scenario").mean(numeric_only=True)
    table = table_with(page, "outcome", "randers_baseline", "randers_housing_first")
    assert "homeless days" in set(table["outcome"])
    for row in table.to_dict("records"):  # 'cost total discounted (DKK)' -> column name
        column = row["outcome"].removesuffix(" (DKK)").replace(" ", "_")
        for name in means.index:
            assert close_to_shown(row[name], means.loc[name, column]), (column, name)
    pngs = check_figures(page, 3)
    assert pngs[0] == (folder / "ce_plane.png").read_bytes()
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (out.parent / link).exists()
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    check_key_parameters(page, man, "randers_baseline", KEY_PATHS)
    params = tables_of(page)
    hf = [t for t in params if list(t.columns) == ["parameter", "value", "range", "source"]][2]
    model = hf[hf["parameter"] == "policies.pathway.model"]
    assert list(model["value"]) == ["housing_first"]
    assert "Caveats" in page


def test_psa_folder(folders: dict[str, Path]) -> None:
    folder = folders["psa"]
    page, _ = report(folder)
    summ = pd.read_csv(folder / "summary.csv")
    table = table_with(page, "alternative", "incremental cost", "effect gain")
    for row, ref in zip(table.itertuples(index=False), summ.itertuples(), strict=True):
        assert row.alternative == ref.alternative
        assert close_to_shown(row[2], ref.d_cost_mean)
        assert close_to_shown(row[4], ref.gain_mean)
    pngs = check_figures(page, 3)
    assert pngs == [(folder / n).read_bytes() for n in ("ce_plane.png", "ceac.png",
                                                        "evpi.png")]
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    check_key_parameters(page, man, "randers_baseline", KEY_PATHS)


def test_calibration_folder(folders: dict[str, Path]) -> None:
    folder = folders["calibration"]
    page, _ = report(folder)
    fit = pd.read_csv(folder / "fit.csv")
    stats = json.loads((folder / "fit.json").read_text(encoding="utf-8"))
    shown = table_with(page, "target", "observed", "mean", "z")
    assert list(shown["target"]) == list(fit["target"])
    for row, ref in zip(shown.itertuples(index=False), fit.itertuples(), strict=True):
        assert close_to_shown(row.observed, ref.observed)
        assert close_to_shown(row.mean, ref.mean)
    values = table_with(page, "parameter", "fitted value").set_index("parameter")
    assert set(values.index) == set(stats["values"])
    for k, v in stats["values"].items():
        assert values.loc[k, "fitted value"] == f"{v:.6g}"
    (png,) = check_figures(page, 1)
    assert png == (folder / "fit.png").read_bytes()
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    check_key_parameters(page, man, "randers_baseline", KEY_PATHS)


def test_sensitivity_folder(folders: dict[str, Path]) -> None:
    folder = folders["sensitivity"]
    page, _ = report(folder)
    one_way = pd.read_csv(folder / "one_way.csv")
    shown = table_with(page, "parameter", "swing", "source")
    assert list(shown["parameter"]) == list(one_way["parameter"])
    for row, ref in zip(shown.itertuples(index=False), one_way.itertuples(), strict=True):
        assert close_to_shown(row.swing, ref.swing)
    sources = {"entries.per_week": "toy figure, range 2-4",
               "places.starter.capacity": "toy figure, range 12-36"}
    assert list(shown["source"]) == [sources[p] for p in shown["parameter"]]
    (png,) = check_figures(page, 1)
    assert png == (folder / "tornado.png").read_bytes()


def test_out_into_existing_folder(folders: dict[str, Path], tmp_path: Path) -> None:
    assert main(["report", str(folders["run"]), "--out", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (tmp_path / link).exists()


# ---------------------------------------------------------------- bad input

def _fails(argv: list[str], capsys: pytest.CaptureFixture) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("homesim: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    return err


def test_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "nope"
    err = _fails(["report", str(missing)], capsys)
    assert str(missing) in err and "no such folder" in err
    assert not missing.exists()


def test_not_a_results_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    err = _fails(["report", str(tmp_path)], capsys)
    assert "not a homesim results folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    err = _fails(["report", str(tmp_path / "notes.txt")], capsys)
    assert "got a file" in err


def test_unreadable_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for name, text in (("manifest.json", "{not json"), ("summary.csv", "scenario\nx\n"),
                       ("weekly.parquet", "not parquet")):
        (tmp_path / name).write_text(text, encoding="utf-8")
    err = _fails(["report", str(tmp_path), "--out", str(tmp_path / "r.html")], capsys)
    assert "cannot read this run folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "summary.csv",
                                                          "weekly.parquet"]
