"""``homesim report DIR``: a report of each kind of results folder, checked for content.

Every folder is made by the real command on a short horizon with few replications, then
reported; the tables of the HTML page are parsed and compared with the CSV files of the
folder, aggregated independently here (numpy mean and linear percentiles, as pandas
quantiles are). The page shows rounded numbers, so each value is compared within half a
unit of the last digit it shows (a whole number ending in zeros is rounded at the
first of them). Outcomes and parameters are found by their words (the labels).
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
from sim.report.outcomes import outcome_label
from sim.report.scenarios import shown_value
from sim.scenario.labels import key_label

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "randers_baseline.yaml")
HOUSING_FIRST = str(ROOT / "scenarios" / "randers_housing_first.yaml")
TARGETS = str(ROOT / "scenarios" / "targets" / "randers.yaml")
POSTERIOR = str(ROOT / "scenarios" / "randers_posterior.csv")
PNG = re.compile(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'")


# ---------------------------------------------------------------- helpers


class _Tables(HTMLParser):
    """Every <table> of a page as a list of rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.captions: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
            self.captions.append("")
        elif tag == "caption":
            self._cell = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._cell is not None:
            self.captions[-1] = "".join(self._cell).strip()
            self._cell = None
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(page: str) -> list[pd.DataFrame]:
    """Every table of the page, its caption in ``attrs["caption"]``."""
    p = _Tables()
    p.feed(page)
    out = []
    for t, caption in zip(p.tables, p.captions, strict=True):
        if t:
            df = pd.DataFrame(t[1:], columns=t[0])
            df.attrs["caption"] = caption
            out.append(df)
    return out


def tables_with(page: str, *columns: str) -> list[pd.DataFrame]:
    """Every table of the page that has all these columns."""
    return [t for t in tables_of(page) if all(c in t.columns for c in columns)]


def table_with(page: str, *columns: str) -> pd.DataFrame:
    """The first table of the page that has all these columns."""
    for t in tables_of(page):
        if all(c in t.columns for c in columns):
            return t
    raise AssertionError(f"no table with columns {columns}")


def close_to_shown(shown: str, value: float) -> bool:
    """``value`` rounds to ``shown`` (a number with thousands commas and d decimals, or a
    whole number rounded at its trailing zeros)."""
    text = shown.replace(",", "")
    if "." in text:
        unit = 10.0 ** -len(text.split(".")[1])
    else:
        digits = text.lstrip("-")
        unit = 10.0 ** (len(digits) - len(digits.rstrip("0"))) if digits != "0" else 1.0
    return abs(float(text) - value) <= 0.5 * unit + 1e-9 * abs(value)


def columns_by_label(frame: pd.DataFrame) -> dict[str, str]:
    """Summary columns by the words the report gives them."""
    return {outcome_label(c): c for c in frame.columns}


def report(folder: Path, *extra: str) -> tuple[str, str]:
    assert main(["report", str(folder), *extra]) == 0
    return (
        (folder / "report.html").read_text(encoding="utf-8"),
        (folder / "report.md").read_text(encoding="utf-8"),
    )


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
        label = key_label(path)
        assert label in params.index, path
        assert params.loc[label, "value"] == shown_value(node["value"])
        assert params.loc[label, "value"] == f"{node['value']:.6g}"
        assert params.loc[label, "source"] == node["source"]
        assert html.escape(node["source"], quote=False) in page


def check_outcomes(page: str, summary: pd.DataFrame, group: pd.Series) -> int:
    """Compare the outcome tables (one per group, captioned with its title) with
    summary.csv aggregated by ``group`` (the titles)."""
    by_label = columns_by_label(summary)
    checked = 0
    for table in tables_with(page, "outcome", "mean", "2.5%", "97.5%", "runs"):
        title = table.attrs["caption"]
        assert (group == title).any(), title
        for row in table.itertuples(index=False):
            column = by_label[row.outcome]
            x = summary.loc[group == title, column].dropna().to_numpy()
            assert int(row.runs) == len(x)
            assert close_to_shown(row.mean, x.mean()), (column, row.mean, x.mean())
            assert close_to_shown(row[2], np.percentile(x, 2.5)), row
            assert close_to_shown(row[3], np.percentile(x, 97.5)), row
            checked += 1
    return checked


# ---------------------------------------------------------------- folders


#: The texts of every figure drawn while each kind of folder was made and reported
#: (titles, axis and tick labels, legends, notes), by kind; filled by ``folders``.
FIGURE_TEXTS: dict[str, list[list[str]]] = {}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder of each kind, made by the commands (a few seconds in all)."""
    from tests.test_plots import recording_figures

    base = tmp_path_factory.mktemp("results")
    out = {k: base / k for k in ("run", "batch", "compare", "psa", "calibration", "sensitivity")}
    batch = base / "tiny.yaml"
    batch.write_text(
        f"name: tiny\nscenarios: ['{BASELINE}']\n"
        "sweep: [{housing.assignments_per_week: 1}, "
        "{housing.assignments_per_week: 4}, {housing.self_found_share: 2}]\n"
        "replications: 2\nseed: 3\nyears: 1\n",
        encoding="utf-8",
    )
    toy = base / "toy.yaml"
    toy.write_text(TOY, encoding="utf-8")
    made = {
        "run": (["run", BASELINE, "-n", "3", "--years", "2"], 0),
        # the runs of point 2 fail (a share above 1)
        "batch": (["batch", str(batch), "--workers", "1"], 1),
        "compare": (["compare", BASELINE, HOUSING_FIRST, "-n", "2", "--years", "1"], 0),
        "psa": (["psa", BASELINE, HOUSING_FIRST, "--draws", "3", "--years", "1"], 0),
        "calibration": (
            ["calibrate", BASELINE, TARGETS, "--budget", "3", "-n", "1", "--years", "1"],
            0,
        ),
        "sensitivity": (["sensitivity", str(toy), "-n", "1"], None),
    }
    for kind, (args, code) in made.items():
        with recording_figures() as texts:
            quiet = [] if kind == "sensitivity" else ["-q"]
            assert main([*args, "--out", str(out[kind]), *quiet]) == (code or 0), kind
            if kind != "compare":  # compare writes its own report (checked to be the same)
                assert main(["report", str(out[kind])]) == 0, kind
        FIGURE_TEXTS[kind] = texts
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


#: Titles of the shipped scenarios: the first part of their descriptions.
TITLES = {
    "randers_baseline": "Randers from 2015",
    "randers_housing_first": "Housing First with CTI (medium needs), ICM and ACT "
    "(high needs) and floating support",
}

KEY_PATHS = [
    "places.starter.capacity",
    "places.shelter.capacity",
    "entries.per_week",
    "housing.assignments_per_week",
    "costs.discount_rate",
]


def test_run_folder(folders: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    folder = folders["run"]
    page, md = report(folder)
    assert "(run folder)" in capsys.readouterr().out
    summary = pd.read_csv(folder / "summary.csv")
    assert check_outcomes(page, summary, summary["scenario"].map(TITLES)) >= 8
    for col in ("pit_2015", "pit_2016", "homeless_days", "homeless_end"):
        assert f"<td>{html.escape(outcome_label(col))}</td>" in page
    (png,) = check_figures(page, 1)
    linked = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert [(folder / f).read_bytes() for f in linked] == [png]
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    check_key_parameters(page, man, "randers_baseline", KEY_PATHS)
    assert "<details>" in page
    assert html.escape(key_label("transitions.high.shelter.own")) in page
    assert "Caveats" in page and "Monte Carlo" in page and "multipliers" in page
    assert f"| {outcome_label('pit_2015')} |" in md


def test_batch_folder_by_point(folders: dict[str, Path]) -> None:
    folder = folders["batch"]
    page, _ = report(folder)
    summary = pd.read_csv(folder / "summary.csv")
    group = summary["scenario"].map(TITLES) + ", point " + summary["point"].astype(str)
    shown = tables_with(page, "outcome", "mean", "2.5%", "97.5%", "runs")
    assert {t.attrs["caption"] for t in shown} == {
        "Randers from 2015, point 0",
        "Randers from 2015, point 1",
    }
    assert check_outcomes(page, summary, group) >= 16
    check_figures(page, 3)  # all points together, then one per point
    points = table_with(page, "point", "changed")
    assigned = key_label("housing.assignments_per_week")
    assert list(points["changed"]) == [
        f"{assigned} = 1",
        f"{assigned} = 4",
        f"{key_label('housing.self_found_share')} = 2",
    ]
    failed = table_with(page, "point", "replication", "error", "message")
    assert list(failed["point"]) == ["2", "2"]
    assert all(key_label("housing.self_found_share") in m for m in failed["message"])
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
    by_label = columns_by_label(runs)
    tables = tables_with(page, "outcome", *TITLES.values())
    assert outcome_label("homeless_days") in set(tables[0]["outcome"])
    year = re.search(r"Shelter use in (\d{4})", page)[1]  # the runs' last complete year
    shelter = [t for t in tables if f"nights per shelter stay (mean), {year}" in set(t["outcome"])]
    assert len(shelter) == 1  # shown once: not again among the other outcomes
    assert {f"shelter (§110) users in {year}", f"shelter stays per user, {year}"} <= set(
        shelter[0]["outcome"]
    )
    checked = 0
    for table in tables:  # the main outcomes, then the others
        for row in table.to_dict("records"):
            column = by_label[row["outcome"]]
            for name, title in TITLES.items():
                if row[title]:
                    assert close_to_shown(row[title], means.loc[name, column]), column
                    checked += 1
    assert checked >= 40
    pngs = check_figures(page, 3)
    assert pngs[0] == (folder / "ce_plane.png").read_bytes()
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (out.parent / link).exists()
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    check_key_parameters(page, man, "randers_baseline", KEY_PATHS)
    params = tables_of(page)
    hf = [t for t in params if list(t.columns) == ["parameter", "value", "range", "source"]][2]
    model = hf[hf["parameter"] == key_label("policies.pathway.model")]
    assert list(model["value"]) == ["Housing First"]
    assert "Caveats" in page


def test_psa_folder(folders: dict[str, Path]) -> None:
    folder = folders["psa"]
    page, _ = report(folder)
    summ = pd.read_csv(folder / "summary.csv")
    table = table_with(page, "alternative", "incremental cost (DKK)", "effect gain")
    for row, ref in zip(table.itertuples(index=False), summ.itertuples(), strict=True):
        assert row.alternative == TITLES[ref.alternative]
        assert close_to_shown(row[2], ref.d_cost_mean)
        assert close_to_shown(row[4], ref.gain_mean)
    pngs = check_figures(page, 3)
    assert pngs == [(folder / n).read_bytes() for n in ("ce_plane.png", "ceac.png", "evpi.png")]
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    check_key_parameters(page, man, "randers_baseline", KEY_PATHS)


def test_calibration_folder(folders: dict[str, Path]) -> None:
    folder = folders["calibration"]
    page, _ = report(folder)
    fit = pd.read_csv(folder / "fit.csv")
    stats = json.loads((folder / "fit.json").read_text(encoding="utf-8"))
    shown = table_with(page, "target", "observed", "mean", "z")
    assert list(shown["target"]) == [outcome_label(t) for t in fit["target"]]
    for row, ref in zip(shown.itertuples(index=False), fit.itertuples(), strict=True):
        assert close_to_shown(row.observed, ref.observed)
        assert close_to_shown(row.mean, ref.mean)
    values = table_with(page, "parameter", "fitted value").set_index("parameter")
    assert set(values.index) == {key_label(k) for k in stats["values"]}
    for k, v in stats["values"].items():
        assert values.loc[key_label(k), "fitted value"] == f"{v:.6g}"
    (png,) = check_figures(page, 1)
    assert png == (folder / "fit.png").read_bytes()
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    check_key_parameters(page, man, "randers_baseline", KEY_PATHS)


def test_sensitivity_folder(folders: dict[str, Path]) -> None:
    folder = folders["sensitivity"]
    page, _ = report(folder)
    one_way = pd.read_csv(folder / "one_way.csv")
    shown = table_with(page, "parameter", "swing", "source")
    assert list(shown["parameter"]) == [key_label(p) for p in one_way["parameter"]]
    for row, ref in zip(shown.itertuples(index=False), one_way.itertuples(), strict=True):
        assert close_to_shown(row.swing, ref.swing)
    sources = {
        "entries.per_week": "toy figure, range 2-4",
        "places.starter.capacity": "toy figure, range 12-36",
    }
    assert list(shown["source"]) == [sources[p] for p in one_way["parameter"]]
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
    for name, text in (
        ("manifest.json", "{not json"),
        ("summary.csv", "scenario\nx\n"),
        ("weekly.parquet", "not parquet"),
    ):
        (tmp_path / name).write_text(text, encoding="utf-8")
    err = _fails(["report", str(tmp_path), "--out", str(tmp_path / "r.html")], capsys)
    assert "cannot read this run folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "manifest.json",
        "summary.csv",
        "weekly.parquet",
    ]


# ---------------------------------------------------------------- one renderer, in words

WRITTEN = re.compile(r"Report written \d+ \w+ \d{4}, \d\d:\d\d UTC\.")


def test_compare_and_report_write_the_same_report(folders: dict[str, Path]) -> None:
    """``homesim compare`` wrote its report; ``homesim report`` of the folder writes the
    same one, apart from the time it was written (figures byte for byte)."""
    folder = folders["compare"]
    names = ("report.html", "report.md", "ce_plane.png", "cost_by_payer.png", "cost_stock.png")
    before = {n: (folder / n).read_bytes() for n in names}
    assert WRITTEN.search(before["report.html"].decode())
    assert main(["report", str(folder)]) == 0
    after = {n: (folder / n).read_bytes() for n in names}
    for n in names:
        if n.endswith(".png"):
            assert after[n] == before[n], n
        else:
            a, b = (WRITTEN.sub("", x[n].decode()) for x in (before, after))
            assert a == b, n


def visible_text(page: str) -> str:
    """What a reader sees: no styles, scripts, tags or embedded figures; file paths
    (which name files, not keys) taken out."""
    text = re.sub(r"<(style|script)>.*?</\1>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)  # Markdown figure links
    return re.sub(r"\S*(/|\.yaml|\.csv|\.png|\.json|\.html|\.md)\S*", " ", text)


def raw_codes(man: dict) -> set[str]:
    """Codes that have words of their own: situations, choices, keys, outcome columns,
    and the scenarios' names."""
    from sim.report.outcomes import LABELS, MEASURES
    from sim.scenario import labels

    dicts = (labels.SITUATIONS, labels.CODES, labels.FIELDS, LABELS, MEASURES)
    codes = {c for d in dicts for c in d if "_" in c}
    return codes | set(man.get("scenarios", {}))


@pytest.mark.parametrize("kind", ["run", "batch", "compare", "psa", "calibration", "sensitivity"])
def test_report_speaks_in_words(folders: dict[str, Path], kind: str) -> None:
    """No text a reader sees holds a dotted scenario key or a raw code that has a label."""
    from sim.scenario.labels import DOTTED_KEY

    folder = folders[kind]
    assert main(["report", str(folder)]) == 0
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    codes = raw_codes(man)
    for name in ("report.html", "report.md"):
        text = visible_text((folder / name).read_text(encoding="utf-8"))
        assert DOTTED_KEY.search(text) is None, (name, DOTTED_KEY.search(text))
        found = sorted(c for c in codes if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text))
        assert found == [], (name, found)


#: Commands that draw figures of their own but whose folders ``homesim report`` does not
#: read: each run small, its figures' texts recorded (evppi on the psa folder).
DRAWN_ONLY = {
    "abc-smc": [
        *("calibrate", BASELINE, TARGETS, "--method", "abc-smc", "--particles", "10"),
        *("--generations", "1", "--predictive-draws", "2", "-n", "1", "--years", "5"),
    ],
    "forecast": [
        *("forecast", BASELINE, "--posterior", POSTERIOR, "--until", "2015-06"),
        *("--draws", "2", "-n", "1"),
    ],
    "evppi": ["evppi", "PSA_DIR", "--method", "linear"],
}


@pytest.fixture(scope="module")
def drawn(folders: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The folders of :data:`DRAWN_ONLY`, their figures' texts in FIGURE_TEXTS."""
    from tests.test_plots import recording_figures

    base = tmp_path_factory.mktemp("drawn")
    out = {}
    for kind, args in DRAWN_ONLY.items():
        out[kind] = base / kind
        args = [str(folders["psa"]) if a == "PSA_DIR" else a for a in args]
        with recording_figures() as texts:
            assert main([*args, "--out", str(out[kind]), *(["-q"] if kind != "evppi" else [])]) == 0
        FIGURE_TEXTS[kind] = texts
    return out


def file_ids(kind: str, folder: Path) -> set[str]:
    """Names a figure must not show: the scenarios' names (file ids), and for fits the
    targets file's name and the method's code."""
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    names = set(man.get("scenarios", {})) | set(man.get("options", []))
    if kind in ("calibration", "abc-smc"):
        names |= {Path(TARGETS).stem, "optimize", "abc-smc"}
    return names


@pytest.mark.parametrize(
    "kind",
    ["run", "batch", "compare", "psa", "calibration", "sensitivity", *DRAWN_ONLY],
)
def test_figures_speak_in_words(
    folders: dict[str, Path], drawn: dict[str, Path], kind: str
) -> None:
    """No figure a command or its report draws (titles, axes, ticks, legends) holds a
    dotted scenario key, a raw code that has a label, or a file id: scenarios are named
    by their titles, targets files by their descriptions. Every command that draws is
    here: run, batch, compare, psa, calibrate (optimize and abc-smc), sensitivity,
    forecast and evppi."""
    from tests.test_plots import raw_code_texts

    folder = {**folders, **drawn}[kind]
    names = file_ids(kind, folder)
    figures = FIGURE_TEXTS[kind]
    assert figures, f"no figure drawn for {kind}"
    for texts in figures:
        assert raw_code_texts(texts, names) == [], (kind, raw_code_texts(texts, names))
    if kind in ("psa", "compare"):  # the legends name the scenarios by their titles
        shown = {t for texts in figures for t in texts}
        assert any(TITLES["randers_housing_first"] in t for t in shown), kind


def test_budget_impact_equals_yearly_costs(folders: dict[str, Path]) -> None:
    """The budget tables hold yearly.csv's costs by payer and year, and their difference."""
    folder = folders["compare"]
    page = (folder / "report.html").read_text(encoding="utf-8")
    yearly = pd.read_csv(folder / "yearly.csv").set_index(["scenario", "year"])
    years = sorted({y for _, y in yearly.index})
    budget = {
        t.attrs["caption"]: t.set_index("payer")
        for t in tables_with(page, "payer", *(str(y) for y in years), "all years")
    }
    base, alt = "randers_baseline", "randers_housing_first"
    wanted = {
        TITLES[base]: yearly.loc[base],
        TITLES[alt]: yearly.loc[alt],
        f"Difference: {TITLES[alt]} minus {TITLES[base]}": yearly.loc[alt] - yearly.loc[base],
    }
    assert set(budget) == set(wanted)
    for caption, ref in wanted.items():
        shown = budget[caption]
        assert "municipality" in shown.index and "total" in shown.index
        for payer in shown.index:
            col = ref[f"cost_{payer}"]
            for y in years:
                assert close_to_shown(shown.loc[payer, str(y)], col.loc[y]), (caption, y)
            assert close_to_shown(shown.loc[payer, "all years"], col.sum()), caption


def test_first_screen_answers_and_prints(folders: dict[str, Path]) -> None:
    """The compare page opens with the verdict, then the main table and the CE plane
    side by side, before any section heading; it carries A4 print styles."""
    page = (folders["compare"] / "report.html").read_text(encoding="utf-8")
    body = page[page.index("<body>") :]
    verdict, table, figure = (
        body.index(x) for x in ("id='verdict'", "id='main-table'", "<figure class=lead")
    )
    assert verdict < table < figure < body.index("<h2>")
    assert "@page{size:A4" in page and "@media print" in page
    assert "beforeprint" in page  # folded sections open for printing
    main_rows = table_with(page, "measure", "unit", "mean", "95% interval")
    assert len(main_rows) <= 10
