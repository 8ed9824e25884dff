"""The results store of a batch: one Parquet file per finished run, written atomically.

Layout of a results folder ``DIR``::

    DIR/manifest.json                                  package version, scenarios as run,
                                                       hashes, seeds, points, time
    DIR/runs/scenario=<name>/point=<k>/rep=<r>.parquet weekly counts by situation; the
                                                       run's summary row rides in the
                                                       file's metadata (one file, one rename)
    DIR/failed/scenario=<name>/point=<k>/rep=<r>.json  error, parameters and seed of a run
                                                       that raised
    DIR/summary.csv                                    a row per finished run (convenience
                                                       copy, rewritten when a batch ends)

A run counts as done when its Parquet file exists: the file appears by an atomic
rename, so a crash never leaves a half-written run that looks finished. Files whose
names start with a dot are temporary and are ignored (and removed on resume).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.batch.runs import RunKey, RunOutput
from sim.results_io import atomic_write, write_csv, write_json
from sim.runner import interval_table

#: Parquet metadata key holding a run's summary row and identity (JSON).
META_KEY = b"homesim.run"
WEEKLY_COLUMNS = ("scenario", "point", "replication", "week", "year", "situation", "count")


def slug(name: str) -> str:
    """A folder-safe form of a scenario name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("_") or "_"


class ResultsStore:
    """Paths and atomic writes of one results folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def _part(self, key: RunKey) -> Path:
        name, point, rep = key
        return Path(f"scenario={slug(name)}") / f"point={point}" / f"rep={rep}"

    def run_path(self, key: RunKey) -> Path:
        return (self.root / "runs" / self._part(key)).with_suffix(".parquet")

    def failure_path(self, key: RunKey) -> Path:
        return (self.root / "failed" / self._part(key)).with_suffix(".json")

    def is_done(self, key: RunKey) -> bool:
        """A run is done when its file exists and is a readable run file.

        A 0-byte, truncated or otherwise unreadable file (a disk that filled up, a copy
        cut short) counts as not done: the run is done again and the file replaced.
        """
        return readable_run(self.run_path(key))

    def remove_temporaries(self) -> int:
        """Delete temporary files left by an interrupted write; returns how many."""
        n = 0
        for sub in ("runs", "failed"):
            for p in (self.root / sub).rglob(".*.tmp") if (self.root / sub).exists() else ():
                p.unlink(missing_ok=True)
                n += 1
        return n

    def write(self, out: RunOutput) -> None:
        """Record a finished run (success or failure) at once and atomically."""
        if out.ok:
            self.write_run(out)
        else:
            self.write_failure(out)

    def write_run(self, out: RunOutput) -> None:
        spec = out.spec
        df = out.weekly if out.weekly is not None else _empty_weekly()
        table = pa.Table.from_pandas(df, preserve_index=False)
        meta = {"key": list(spec.key), "stream_key": list(spec.stream_key),
                "seeds": spec.seeds, "years": spec.years,
                "overrides": _jsonable(spec.overrides), "summary": out.summary}
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), META_KEY: json.dumps(meta, default=str).encode()})
        atomic_write(self.run_path(spec.key), lambda p: pq.write_table(table, p))
        self.failure_path(spec.key).unlink(missing_ok=True)

    def write_failure(self, out: RunOutput) -> None:
        spec = out.spec
        write_json(self.failure_path(spec.key), {
            "scenario": spec.name, "point": spec.point, "replication": spec.replication,
            "seed": spec.seed, "seeds": spec.seeds, "stream_key": list(spec.stream_key),
            "years": spec.years, "file": spec.file, "overrides": _jsonable(spec.overrides),
            "error": out.error,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})

    def write_summary_csv(self) -> None:
        write_csv(self.root / "summary.csv", read_summary(self.root))


def _jsonable(overrides: Any) -> dict[str, Any]:
    return json.loads(json.dumps(dict(overrides), default=str))


def _empty_weekly() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int32" if c not in ("scenario", "situation")
                                      else "object") for c in WEEKLY_COLUMNS})


# ---------------------------------------------------------------- reading

def run_files(root: str | Path) -> list[Path]:
    """Finished run files of a results folder (temporary and unreadable files left out)."""
    base = Path(root) / "runs"
    if not base.exists():
        return []
    return sorted(p for p in base.rglob("rep=*.parquet")
                  if not p.name.startswith(".") and readable_run(p))


def readable_run(path: Path) -> bool:
    """Whether ``path`` is a run file whose metadata can be read (False if missing)."""
    try:
        _run_meta(path)
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return False
    return True


def _run_meta(path: Path) -> dict[str, Any]:
    return json.loads(pq.read_schema(path).metadata[META_KEY])


def _ordered(files: Iterable[Path]) -> list[tuple[dict[str, Any], Path]]:
    """Run metadata and file, sorted by (point, replication): never by finishing order."""
    metas = [(_run_meta(p), p) for p in files]
    return sorted(metas, key=lambda mp: (mp[0]["key"][1], mp[0]["key"][2], mp[0]["key"][0]))


def read_summary(root: str | Path) -> pd.DataFrame:
    """A row per finished run: scenario, point, replication, seed, overrides, outcomes."""
    rows = [m["summary"] for m, _ in _ordered(run_files(root))]
    return pd.DataFrame(rows)


def read_weekly(root: str | Path, scenario: str | None = None) -> pd.DataFrame:
    """Weekly counts by situation of every finished run (optionally one scenario)."""
    files = run_files(root)
    if scenario is not None:
        files = [p for p in files if p.parts[-3] == f"scenario={slug(scenario)}"]
    ordered = _ordered(files)
    if not ordered:
        return _empty_weekly()
    tables = [t for t in (pq.read_table(p, read_dictionary=["scenario"])
                          .replace_schema_metadata(None) for _, p in ordered) if t.num_rows]
    if not tables:
        return _empty_weekly()
    return pa.concat_tables(tables).to_pandas()  # scenario and situation as categoricals


def read_failures(root: str | Path) -> pd.DataFrame:
    """A row per failed run: key, overrides, error type and message, traceback."""
    base = Path(root) / "failed"
    rows = []
    for p in sorted(base.rglob("rep=*.json")) if base.exists() else ():
        if p.name.startswith("."):
            continue
        rec = json.loads(p.read_text(encoding="utf-8"))
        err = rec.get("error") or {}
        rows.append({"scenario": rec["scenario"], "point": rec["point"],
                     "replication": rec["replication"], "seed": rec["seed"],
                     **rec.get("overrides", {}), "error": err.get("type"),
                     "message": err.get("message"), "traceback": err.get("traceback")})
    cols = ["scenario", "point", "replication", "seed", "error", "message", "traceback"]
    df = pd.DataFrame(rows) if rows else pd.DataFrame(columns=cols)
    return df.sort_values(["point", "replication"], ignore_index=True) if rows else df


def read_manifest(root: str | Path) -> dict[str, Any]:
    p = Path(root) / "manifest.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}


@dataclass
class BatchResults:
    """Tidy tables of a results folder, for notebooks.

    ``summary`` has a row per finished run, ``failures`` a row per failed run,
    ``manifest`` is the folder's manifest, and ``weekly`` (read on first use, as it
    is the large one) has weekly counts by situation for every run.
    """

    root: Path
    summary: pd.DataFrame
    failures: pd.DataFrame
    manifest: dict[str, Any] = field(repr=False)

    @cached_property
    def weekly(self) -> pd.DataFrame:
        return read_weekly(self.root)

    def weekly_of(self, scenario: str) -> pd.DataFrame:
        """Weekly counts of one scenario only (reads only its files)."""
        return read_weekly(self.root, scenario)

    def intervals(self, columns: list[str] | None = None, by: str = "scenario"
                  ) -> pd.DataFrame:
        """Mean and 95% interval (2.5-97.5th percentile over runs) per outcome.

        ``by="point"`` gives one group per sweep point instead of per scenario.
        """
        s = self.summary
        if by == "point":
            s = s.assign(scenario=s["scenario"] + "/point=" + s["point"].astype(str))
        s = s.drop(columns=[c for c in s.columns if c == "point" or "." in c])
        return interval_table(s, columns)


def open_results(root: str | Path) -> BatchResults:
    """Open a batch results folder: ``summary``, ``weekly``, ``failures``, ``manifest``."""
    root = Path(root)
    if not (root / "runs").exists() and not (root / "manifest.json").exists():
        raise FileNotFoundError(f"{root} is not a batch results folder "
                                "(no manifest.json or runs/)")
    return BatchResults(root, read_summary(root), read_failures(root), read_manifest(root))
