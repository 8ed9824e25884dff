"""Reading the files of a results folder for a report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.report.numbers import when


def read_manifest(folder: Path) -> dict:
    """manifest.json of a results folder (ValueError if it is not valid JSON)."""
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"manifest.json is not valid JSON ({exc})") from None


def read_tables(folder: Path, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The CSV tables ``names`` of ``folder`` (ValueError naming those missing)."""
    missing = [n for n in names if not (folder / f"{n}.csv").exists()]
    if missing:
        raise ValueError(f"no {', '.join(f'{n}.csv' for n in missing)}")
    return {n: pd.read_csv(folder / f"{n}.csv") for n in names}


def about_run(man: dict) -> str:
    """Command, version and start time of the run, for the notes on how it was made."""
    return (
        f"Command: {man.get('command', '?')}; homesim {man.get('version', '?')}, "
        f"started {when(man.get('started', '?'))}."
    )
