"""``homesim data``: targets and bed schedules from the real files; broken copies rejected.

Each broken copy is a small excerpt of a shared file, changed in one place, written to
tmp_path. The command must exit with code 2, name the file and the line or column, say
what was expected, and write nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.calibration import load_targets
from sim.cli import main
from tests.shared_data import data_file

FLOW = "toronto/shelter_system_flow.csv"
PIT = "hud/pit_by_coc_2007_2019.csv"
HIC = "hud/hic_by_coc_2007_2023.csv"
SECTOR = "toronto/daily_shelter_occupancy_by_sector_2017_2019.csv"
USERS = "toronto/daily_service_users_2021_2024.csv"


def _lines(relative: str) -> list[str]:
    return data_file(relative).read_text(encoding="utf-8").splitlines()


def _flow_excerpt() -> list[str]:
    """Header and the first three months (every group), a valid small copy."""
    return _lines(FLOW)[:22]


def _coc_excerpt(relative: str, coc: str = "WA-500") -> list[str]:
    lines = _lines(relative)
    return [lines[0], *[ln for ln in lines[1:] if ln.startswith(coc + ",")]]


def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _fails(capsys, argv: list[str], *needles: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("homesim: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, err
    return err


def _replace_cell(line: str, index: int, value: str) -> str:
    cells = line.split(",")
    cells[index] = value
    return ",".join(cells)


# ---------------------------------------------------------------- what the commands write


def test_toronto_targets_from_the_shared_file(tmp_path, capsys):
    out = tmp_path / "toronto.yaml"
    assert (
        main(
            [
                "data",
                "targets",
                "toronto",
                str(data_file(FLOW)),
                "--out",
                str(out),
                "--group",
                "all",
                "--group",
                "Chronic",
                "--from",
                "2018-01",
                "--to",
                "2022-12",
            ]
        )
        == 0
    )
    t = load_targets(out)
    assert len(t.targets) == 2 * 60 * 6  # two groups, 60 months, stock and five flows
    first = {x.column: x for x in t.targets}
    a = first["actively_homeless_2018-01"]
    assert a.observed == 7958 and a.year == 2018 and a.month == "2018-01"
    assert a.sd == pytest.approx(0.05 * 7958, abs=0.05)
    assert first["newly_identified_chronic_2022-12"].source.endswith("Chronic, Dec 2022")
    assert "actively_homeless_2023-01" not in first
    assert "Open Government Licence" in out.read_text()


def test_toronto_targets_in_spans_of_a_year(tmp_path):
    """--every 12: the flows summed and the stock averaged over each year (the last: half)."""
    out = tmp_path / "yearly.yaml"
    monthly = tmp_path / "monthly.yaml"
    flow = str(data_file(FLOW))
    argv = ["data", "targets", "toronto", flow]
    assert main([*argv, "--out", str(out), "--every", "12", "--sd-scale"]) == 0
    assert main([*argv, "--out", str(monthly)]) == 0
    spans, months = load_targets(out), load_targets(monthly)
    assert len(spans.targets) == 7 * 6 and spans.sd_scale is not None  # 2018-2023, 2024 H1
    by_month = {t.column: t.observed for t in months.targets}
    by_span = {t.column: t for t in spans.targets}
    new = by_span["newly_identified_2019-01..2019-12"]
    assert new.observed == sum(by_month[f"newly_identified_2019-{m:02d}"] for m in range(1, 13))
    stock = by_span["actively_homeless_2024-01..2024-06"]
    assert stock.aggregate == "mean" and len(stock.parts) == 6 and stock.year == 2024
    mean = sum(by_month[f"actively_homeless_2024-{m:02d}"] for m in range(1, 7)) / 6
    assert stock.observed == pytest.approx(mean, abs=0.05)
    assert new.sd == pytest.approx(0.1 * new.observed, abs=0.05)


def test_coc_targets_and_bed_schedule(tmp_path):
    out = tmp_path / "wa"
    assert (
        main(
            [
                "data",
                "coc",
                "WA-500",
                "--pit",
                str(data_file(PIT)),
                "--hic",
                str(data_file(HIC)),
                "--out",
                str(out),
                "--from",
                "2010",
            ]
        )
        == 0
    )
    t = load_targets(out / "targets.yaml")
    cols = {x.column: x.observed for x in t.targets}
    assert len(cols) == 10 * 3
    assert cols["pit_2019"] == 11199 and cols["pit_sheltered_2019"] == 5971
    assert cols["pit_unsheltered_2015"] == 3803
    beds = yaml.safe_load((out / "beds.yaml").read_text())
    assert beds["first_year"] == 2010
    assert beds["initial"]["places.shelter.capacity"]["value"] == 2485
    assert beds["initial"]["places.supported.capacity"]["value"] == 3382  # psh, no oph yet
    assert beds["initial"]["policies.teams.cti.staff"]["value"] == 0
    last = beds["changes"][-1]
    assert last["date"] == "2023-01"
    assert last["set"]["places.supported.capacity"] == {
        "value": 7251 + 4057,
        "source": "HUD Housing Inventory Count by CoC 2023, WA-500: psh_beds + oph_beds",
    }
    assert [c["date"] for c in beds["changes"]] == [f"{y}-01" for y in range(2011, 2024)]


def test_list_cocs_and_check(capsys):
    assert main(["data", "list-cocs", "--pit", str(data_file(PIT)), "--min-years", "13"]) == 0
    text = capsys.readouterr().out
    assert "WA-500" in text and "Seattle/King County CoC" in text
    assert main(["data", "check", "toronto-flow", str(data_file(FLOW))]) == 0
    text = capsys.readouterr().out
    assert "588 rows" in text and "range -86 to 36" in text


# ------------------------------------------------ bad input: exit 2, nothing written


def test_unknown_group_and_bad_months(tmp_path, capsys):
    out = tmp_path / "t.yaml"
    flow = str(data_file(FLOW))
    _fails(
        capsys,
        ["data", "targets", "toronto", flow, "--out", str(out), "--group", "seniors"],
        "--group",
        "unknown group 'seniors'",
    )
    _fails(
        capsys,
        ["data", "targets", "toronto", flow, "--out", str(out), "--from", "2018-13"],
        "--from",
        "YYYY-MM",
    )
    _fails(
        capsys,
        ["data", "targets", "toronto", flow, "--out", str(out), "--from", "2025-01"],
        "not inside the file's 2018-01 to 2024-06",
    )
    _fails(
        capsys,
        ["data", "targets", "toronto", flow, "--out", str(out), "--every", "0"],
        "--every",
        "whole number of months",
    )
    assert not out.exists()


def test_unknown_coc(tmp_path, capsys):
    out = tmp_path / "x"
    _fails(
        capsys,
        [
            "data",
            "coc",
            "XX-999",
            "--pit",
            str(data_file(PIT)),
            "--hic",
            str(data_file(HIC)),
            "--out",
            str(out),
        ],
        "unknown CoC 'XX-999'",
        "pit_by_coc_2007_2019.csv",
    )
    _fails(
        capsys,
        [
            "data",
            "coc",
            "WA-500",
            "--pit",
            str(data_file(PIT)),
            "--hic",
            str(data_file(HIC)),
            "--out",
            str(out),
            "--from",
            "2030",
        ],
        "--from/--to",
        "no year in 2030-2100",
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "case, needles",
    [
        ("missing column", ["header", "expected a column 'newly_identified'"]),
        ("non-numeric cell", ["line 5, column 'actively_homeless'", "whole number", "'n/k'"]),
        ("duplicated month", ["line 23", "duplicated month and group", "first seen on line 2"]),
        (
            "unknown group",
            ["line 3, column 'population_group'", "unknown population group 'Seniors'"],
        ),
        ("bad date", ["line 9, column 'date(mmm-yy)'", "mmm-yy", "'2018-02'"]),
        ("missing month", ["2018-02 is missing"]),
        ("missing group", ["month 2018-01 has no row for group 'Youth'"]),
        ("bad percent", ["line 2, column 'population_group_percentage'", "'31.8%'"]),
        ("ragged row", ["line 4", "expected 20 cells"]),
    ],
)
def test_broken_flow_copies_are_rejected(tmp_path, capsys, case, needles):
    lines = _flow_excerpt()
    header = lines[0].replace('"gender_transgender,non-binary_or_two_spirit"', "GT").split(",")
    if case == "missing column":
        col = header.index("newly_identified")
        lines = [",".join(c for i, c in enumerate(_split(ln)) if i != col) for ln in lines]
    elif case == "non-numeric cell":
        lines[4] = _set(lines[4], header.index("actively_homeless"), "n/k")
    elif case == "duplicated month":
        lines.append(lines[1])
    elif case == "unknown group":
        lines[2] = _set(lines[2], header.index("population_group"), "Seniors")
    elif case == "bad date":
        lines[8] = _set(lines[8], header.index("date(mmm-yy)"), "2018-02")
    elif case == "missing month":
        lines = [ln for ln in lines if ",Feb-18," not in ln]
    elif case == "missing group":
        lines = [ln for ln in lines if ",Jan-18,Youth," not in ln]
    elif case == "bad percent":
        lines[1] = _set(lines[1], header.index("population_group_percentage"), "31.8")
    elif case == "ragged row":
        lines[3] = lines[3] + ",7"
    src = _write(tmp_path, "flow.csv", lines)
    out = tmp_path / "t.yaml"
    _fails(capsys, ["data", "targets", "toronto", str(src), "--out", str(out)], str(src), *needles)
    assert not out.exists()


def _split(line: str) -> list[str]:
    """Cells of a flow-file line; the header's one quoted name holds a comma."""
    quoted = '"gender_transgender,non-binary_or_two_spirit"'
    if quoted in line:
        return [c if c != "GT" else quoted for c in line.replace(quoted, "GT").split(",")]
    return line.split(",")


def _set(line: str, index: int, value: str) -> str:
    cells = _split(line)
    cells[index] = value
    return ",".join(cells)


def test_broken_hud_copies_are_rejected(tmp_path, capsys):
    pit = _coc_excerpt(PIT)
    hic = _coc_excerpt(HIC)
    good_pit = _write(tmp_path, "pit.csv", pit)
    good_hic = _write(tmp_path, "hic.csv", hic)
    out = tmp_path / "wa"
    assert (
        main(
            [
                "data",
                "coc",
                "WA-500",
                "--pit",
                str(good_pit),
                "--hic",
                str(good_hic),
                "--out",
                str(tmp_path / "ok"),
            ]
        )
        == 0
    )
    cases = {
        "pit_measure.csv": (
            [*pit[:3], pit[3].replace("Unsheltered.Homeless", "Street")],
            ["line 4, column 'Homelessness.Type'", "unknown measure 'Street'"],
        ),
        "pit_count.csv": (
            [*pit[:2], pit[2].replace(",5680,", ",5,680,")],
            ["line 3", "expected 7 cells"],
        ),
        "pit_dup.csv": ([*pit, pit[1]], ["duplicated CoC, year and measure"]),
        "pit_col.csv": (
            [pit[0].replace("Count,", "Total,"), *pit[1:]],
            ["header", "expected a column 'Count'"],
        ),
    }
    for name, (lines, needles) in cases.items():
        bad = _write(tmp_path, name, lines)
        _fails(
            capsys,
            ["data", "coc", "WA-500", "--pit", str(bad), "--hic", str(good_hic), "--out", str(out)],
            name,
            *needles,
        )
    hic_cases = {
        "hic_dup.csv": ([*hic, hic[1]], ["duplicated CoC and year"]),
        "hic_beds.csv": (
            [*hic[:2], _replace_cell(hic[2], 2, "many"), *hic[3:]],
            ["line 3, column 'es_beds'", "'many'"],
        ),
        "hic_year.csv": (
            [*hic[:2], _replace_cell(hic[2], 1, "08"), *hic[3:]],
            ["line 3, column 'year'", "a year"],
        ),
    }
    for name, (lines, needles) in hic_cases.items():
        bad = _write(tmp_path, name, lines)
        _fails(
            capsys,
            ["data", "coc", "WA-500", "--pit", str(good_pit), "--hic", str(bad), "--out", str(out)],
            name,
            *needles,
        )
    assert not out.exists()


def test_broken_occupancy_copies_are_rejected(tmp_path, capsys):
    sector = _lines(SECTOR)[:40]
    cases = {
        "no_date_row.csv": ([*sector[:2], *sector[3:]], ["header", "three header rows"]),
        "bad_sector.csv": (
            [sector[0], sector[1].replace("Women", "Elders", 1), *sector[2:]],
            ["header", "unknown column 'capacity' / 'Elders'"],
        ),
        "bad_cell.csv": (
            [*sector[:5], _replace_cell(sector[5], 3, "1.5"), *sector[6:]],
            ["line 6, column 'capacity Men'", "whole number"],
        ),
        "gap.csv": ([*sector[:10], *sector[11:]], ["2017-01-08 is missing"]),
    }
    for name, (lines, needles) in cases.items():
        bad = _write(tmp_path, name, lines)
        _fails(capsys, ["data", "check", "toronto-occupancy-by-sector", str(bad)], name, *needles)
    users = _lines(USERS)[:30]
    bad = _write(tmp_path, "users.csv", [*users[:3], _replace_cell(users[3], 1, ""), *users[4:]])
    assert main(["data", "check", "toronto-service-users", str(bad)]) == 0  # blanks allowed
    capsys.readouterr()
    bad = _write(tmp_path, "users2.csv", [*users[:3], _replace_cell(users[3], 2, ""), *users[4:]])
    _fails(
        capsys,
        ["data", "check", "toronto-service-users", str(bad)],
        "line 4, column 'active_programs'",
    )
    _fails(capsys, ["data", "check", "hud-hic", str(tmp_path / "none.csv")], "no such file")


def test_wrong_or_empty_files_are_rejected(tmp_path, capsys):
    out = tmp_path / "t.yaml"
    _fails(
        capsys,
        ["data", "targets", "toronto", str(data_file(HIC)), "--out", str(out)],
        "hic_by_coc_2007_2023.csv",
        "header",
        "expected a column 'date(mmm-yy)'",
    )
    empty = _write(tmp_path, "empty.csv", [])
    _fails(
        capsys,
        ["data", "targets", "toronto", str(empty), "--out", str(out)],
        "empty.csv",
        "header row",
    )
    _fails(
        capsys, ["data", "targets", "toronto", str(tmp_path), "--out", str(out)], "cannot be read"
    )
    assert not out.exists()
