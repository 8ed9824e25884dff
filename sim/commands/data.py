"""``homesim data ...``: turn the publishers' data files into targets and bed schedules.

- ``homesim data targets toronto FLOW.csv --out TARGETS.yaml [--group G ...]
  [--from YYYY-MM --to YYYY-MM] [--every MONTHS] [--sd-scale]``: Toronto's stock and
  flows as targets, by month or by span of months, with known sds or sds known only up
  to a factor per series.
- ``homesim data coc WA-500 --pit PIT.csv --hic HIC.csv --out DIR [--from YEAR
  --to YEAR]``: a CoC's PIT counts as targets (DIR/targets.yaml) and its beds by year
  as dated changes (DIR/beds.yaml).
- ``homesim data schedule toronto --flow FLOW.csv --occupancy OCC.csv --service-users
  USERS.csv --out SCHEDULE.yaml``: shelter capacity and inflow by quarter, as the start
  values and dated changes of a scenario (what scenarios/toronto_baseline.yaml holds).
- ``homesim data list-cocs --pit PIT.csv``: the CoCs in a PIT file.
- ``homesim data check KIND FILE``: read a file and say what it holds (or what is wrong).

Every file is read and checked in full, and every output built, before anything is
written; a bad file, an unknown group or CoC stops with one line and exit code 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import yaml

from sim.calibration import load_targets
from sim.data import hud, schedules, targets, toronto
from sim.data.errors import DataFileError
from sim.results_io import write_text

#: What ``data check`` can read: kind -> reader.
READERS = {
    "toronto-flow": toronto.read_flow,
    "toronto-occupancy": toronto.read_occupancy,
    "toronto-occupancy-by-sector": toronto.read_occupancy_by_sector,
    "toronto-service-users": toronto.read_service_users,
    "hud-pit": hud.read_pit,
    "hud-hic": hud.read_hic,
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "data",
        help="turn real data files (Toronto, HUD) into targets",
        description="Read the publishers' files (City of Toronto shelter "
        "flow and occupancy, HUD PIT and HIC by CoC) and write "
        "calibration targets and bed schedules. See docs/data.md.",
    )
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    _add_targets(dsub)
    _add_coc(dsub)
    _add_schedule(dsub)
    lc = dsub.add_parser("list-cocs", help="list the CoCs of a PIT file")
    lc.add_argument("--pit", required=True, type=Path, metavar="PIT.csv")
    lc.add_argument(
        "--min-years", type=int, default=0, help="only CoCs with at least this many years counted"
    )
    lc.set_defaults(func=run_list_cocs)
    ck = dsub.add_parser("check", help="read a data file and summarise it")
    ck.add_argument("kind", choices=sorted(READERS))
    ck.add_argument("file", type=Path, metavar="FILE")
    ck.set_defaults(func=run_check)


def _add_targets(dsub: argparse._SubParsersAction) -> None:
    t = dsub.add_parser("targets", help="write calibration targets from a data file")
    t.add_argument("source", choices=["toronto"], help="the data set (toronto)")
    t.add_argument("file", type=Path, metavar="FILE", help="shelter_system_flow.csv")
    t.add_argument("--out", required=True, type=Path, metavar="TARGETS.yaml")
    t.add_argument(
        "--group",
        action="append",
        default=None,
        metavar="GROUP",
        help="population group, by label or slug (all, chronic, refugees, "
        "non_refugees, families, youth, single_adult, indigenous); may be "
        "repeated (default: all)",
    )
    t.add_argument("--from", dest="start", default=None, metavar="YYYY-MM")
    t.add_argument("--to", dest="end", default=None, metavar="YYYY-MM")
    t.add_argument(
        "--every",
        type=int,
        default=1,
        metavar="MONTHS",
        help="one target per span of MONTHS months (flows summed, the stock averaged); "
        "1, the default, gives one per month",
    )
    t.add_argument(
        "--sd-scale",
        action="store_true",
        help="each series' sds known only up to a factor the fit learns (sd_scale: true)",
    )
    t.set_defaults(func=run_targets)


def _add_coc(dsub: argparse._SubParsersAction) -> None:
    c = dsub.add_parser("coc", help="targets and bed schedule of one US Continuum of Care")
    c.add_argument("coc", metavar="COC", help="CoC number, e.g. WA-500")
    c.add_argument("--pit", required=True, type=Path, metavar="PIT.csv")
    c.add_argument("--hic", required=True, type=Path, metavar="HIC.csv")
    c.add_argument("--out", required=True, type=Path, metavar="DIR")
    c.add_argument("--from", dest="start", type=str, default=None, metavar="YEAR")
    c.add_argument("--to", dest="end", type=str, default=None, metavar="YEAR")
    c.set_defaults(func=run_coc)


def _add_schedule(dsub: argparse._SubParsersAction) -> None:
    s = dsub.add_parser("schedule", help="capacity and inflow by quarter as dated changes")
    s.add_argument("source", choices=["toronto"], help="the data set (toronto)")
    s.add_argument("--flow", required=True, type=Path, metavar="FLOW.csv")
    s.add_argument("--occupancy", required=True, type=Path, metavar="OCCUPANCY.csv")
    s.add_argument("--service-users", required=True, type=Path, metavar="USERS.csv")
    s.add_argument("--out", required=True, type=Path, metavar="SCHEDULE.yaml")
    s.add_argument(
        "--from",
        dest="start",
        default="2018-01",
        metavar="YYYY-MM",
        help="the scenario's first month (default 2018-01)",
    )
    s.add_argument("--to", dest="end", default="2024-06", metavar="YYYY-MM")
    s.set_defaults(func=run_schedule)


def run_schedule(args: argparse.Namespace) -> int:
    start = targets.parse_month(args.start, "--from")
    end = targets.parse_month(args.end, "--to")
    if start > end:
        raise DataFileError(f"--from {args.start} is after --to {args.end}", where="--from/--to")
    flow = toronto.read_flow(args.flow)
    occ = toronto.read_occupancy(args.occupancy)
    users = toronto.read_service_users(args.service_users)
    data = schedules.toronto_schedule(flow, occ, users, f"{start:%Y-%m}", f"{end:%Y-%m}")
    head = (
        "# Toronto's shelter capacity and inflow by quarter (homesim data schedule).\n"
        "# Contains information licensed under the Open Government Licence - Toronto.\n"
    )
    write_text(args.out, head + yaml.safe_dump(data, sort_keys=False, width=100))
    print(f"{args.out}: {len(data['changes'])} dated changes from {start:%Y-%m}")
    return 0


def run_targets(args: argparse.Namespace) -> int:
    groups = targets.group_labels(args.group or ["all"])
    start = None if args.start is None else targets.parse_month(args.start, "--from")
    end = None if args.end is None else targets.parse_month(args.end, "--to")
    flow = toronto.read_flow(args.file)
    data = targets.toronto_targets(
        flow, groups, start, end, file=str(args.file), every=args.every, sd_scale=args.sd_scale
    )
    load_targets(data)  # the file written must load as a targets file
    header = (
        f"# Calibration targets from {args.file.name}: {data['description']}\n"
        "# Contains information licensed under the Open Government Licence - Toronto.\n"
        "# Add the parameters the fit may move under 'free' (see docs/data.md).\n"
    )
    write_text(args.out, header + _targets_yaml(data))
    print(f"{args.out}: {len(data['targets'])} targets ({', '.join(groups)})")
    return 0


def run_coc(args: argparse.Namespace) -> int:
    years = _year_range(args.start, args.end)
    pit = hud.read_pit(args.pit)
    hic = hud.read_hic(args.hic)
    coc = args.coc.strip().upper()
    data = targets.coc_targets(pit, coc, years, file=str(args.pit))
    load_targets(data)
    beds = targets.bed_schedule(hic, coc, years, file=str(args.hic))
    head = f"# {coc} from {args.pit.name}: {data['description']}\n"
    beds_head = (
        f"# {coc} beds by year from {args.hic.name} ({beds['source']}).\n"
        "# 'initial' holds the first year's values; 'changes' can be pasted into a\n"
        "# scenario whose start_year is that year (see docs/data.md for the mapping).\n"
    )
    write_text(args.out / "targets.yaml", head + _targets_yaml(data))
    write_text(
        args.out / "beds.yaml",
        beds_head + yaml.safe_dump(beds, sort_keys=False, default_flow_style=False),
    )
    print(
        f"{args.out}: targets.yaml ({len(data['targets'])} targets), beds.yaml "
        f"({len(beds['changes'])} dated changes from {beds['first_year']})"
    )
    return 0


def run_list_cocs(args: argparse.Namespace) -> int:
    table = hud.cocs(hud.read_pit(args.pit))
    table = table[table["years_counted"] >= args.min_years]
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(table.to_string(index=False))
    return 0


def run_check(args: argparse.Namespace) -> int:
    table = READERS[args.kind](args.file)
    print(f"{args.file}: ok, {len(table)} rows; columns: {', '.join(map(str, table.columns))}")
    for col in ("month", "date", "year"):
        if col in table:
            lo, hi = table[col].min(), table[col].max()
            print(f"  {col}: {_show(lo)} to {_show(hi)}")
    if args.kind == "toronto-flow":
        res = toronto.stock_flow_residual(table)["residual"].astype(float)
        print(
            f"  stock-flow residual (All Population), persons a month: mean {res.mean():.1f},"
            f" range {res.min():.0f} to {res.max():.0f}"
        )
    return 0


def _show(x: object) -> str:
    return f"{x:%Y-%m-%d}" if isinstance(x, pd.Timestamp) else str(x)


def _year_range(start: str | None, end: str | None) -> tuple[int, int] | None:
    if start is None and end is None:
        return None
    bounds = []
    for text, flag, default in ((start, "--from", 1900), (end, "--to", 2100)):
        if text is None:
            bounds.append(default)
        elif not (str(text).isdigit() and len(str(text)) == 4):
            raise DataFileError(f"expected a year YYYY, got {text!r}", where=flag)
        else:
            bounds.append(int(text))
    if bounds[0] > bounds[1]:
        raise DataFileError(f"--from {bounds[0]} is after --to {bounds[1]}", where="--from/--to")
    return bounds[0], bounds[1]


def _targets_yaml(data: dict) -> str:
    """A targets mapping as YAML with one flow-style line per target (easy to read)."""
    head = yaml.safe_dump({k: data[k] for k in ("name", "description")}, sort_keys=False, width=100)
    lines = [head.rstrip("\n"), "targets:"]
    for item in data["targets"]:
        lines.append(
            "  - "
            + yaml.safe_dump(item, default_flow_style=True, sort_keys=False, width=10_000).strip()
        )
    if data.get("sd_scale"):
        lines.append("sd_scale: true")
    free = data.get("free") or {}
    lines.append("free:" + (" {}" if not free else ""))
    for path, spec in free.items():
        lines.append(f"  {path}: " + yaml.safe_dump(spec, default_flow_style=True).strip())
    return "\n".join(lines) + "\n"
