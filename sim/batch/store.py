"""The results store of a batch: one Parquet file per finished run, written atomically.

Layout of a results folder ``DIR``::

    DIR/manifest.json                                  package version, scenarios as run,
                                                       hashes, seeds, points, time
    DIR/runs/scenario=<name>/point=<k>/rep=<r>.parquet weekly counts by situation, needs
                                                       group and age band; the run's
                                                       summary row rides in the file's
                                                       metadata (one file, one rename)
    DIR/failed/scenario=<name>/point=<k>/rep=<r>.json  error, parameters and seed of a run
                                                       that raised
    DIR/summary.parquet, DIR/summary.csv               a row per finished run, rewritten
                                                       when a batch ends

``DIR/runs`` is a Hive-partitioned Parquet dataset: ``scenario`` (the name,
percent-encoded where it is not a plain word) and ``point`` are in the folder names
only, not in the files, as the Hive convention has it, so any reader gives the columns
of ``homesim run``'s ``weekly.parquet`` plus ``point``::

    pandas.read_parquet("DIR/runs")
    pyarrow.dataset.dataset("DIR/runs", partitioning="hive")
    polars.read_parquet("DIR/runs/**/*.parquet", hive_partitioning=True)
    duckdb.sql("SELECT * FROM read_parquet('DIR/runs/**/*.parquet', hive_partitioning=true)")

A run counts as done when its Parquet file exists: the file appears by an atomic
rename, so a crash never leaves a half-written run that looks finished. Files whose
names start with a dot are temporary and are ignored (and removed on resume), by these
readers too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.batch.runs import RunKey, RunOutput
from sim.folders import slug
from sim.results_io import atomic_write, write_csv, write_json
from sim.runner import interval_table

#: Parquet metadata key holding a run's summary row and identity (JSON).
META_KEY = b"homesim.run"
WEEKLY_COLUMNS = (
    "scenario",
    "point",
    "replication",
    "week",
    "year",
    "situation",
    "needs",
    "age_band",
    "count",
)
#: Columns given by the folder names (Hive partitions), left out of the run files.
PARTITION_COLUMNS = ("scenario", "point")
_TEXT = pa.dictionary(pa.int32(), pa.string())
#: Schema of a run file (every file alike, so that a dataset of them reads as one table).
RUN_FILE_SCHEMA = pa.schema(
    [
        ("replication", pa.int32()),
        ("week", pa.int32()),
        ("year", pa.int32()),
        ("situation", _TEXT),
        ("needs", _TEXT),
        ("age_band", _TEXT),
        ("count", pa.int64()),
    ]
)


def partition_value(name: str) -> str:
    """A scenario name as a Hive partition value, percent-encoded.

    Every Hive reader (pyarrow, pandas, polars, DuckDB) decodes it back to the name itself.
    """
    return quote(name, safe="")


class ResultsStore:
    """Paths and atomic writes of one results folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @property
    def manifest_path(self) -> Path:
        """The results folder's ``manifest.json``."""
        return self.root / "manifest.json"

    def _part(self, key: RunKey) -> Path:
        name, point, rep = key
        return Path(f"scenario={partition_value(name)}") / f"point={point}" / f"rep={rep}"

    def run_path(self, key: RunKey) -> Path:
        """Where the weekly table of run ``key`` is written (a Hive-partitioned Parquet file)."""
        return (self.root / "runs" / self._part(key)).with_suffix(".parquet")

    def failure_path(self, key: RunKey) -> Path:
        """Where the error of failed run ``key`` is written (JSON)."""
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
        """Write a finished run's weekly table and summary row, atomically."""
        spec = out.spec
        table = run_file_table(out.weekly)
        meta = {
            "key": list(spec.key),
            "stream_key": list(spec.stream_key),
            "seeds": spec.seeds,
            "years": spec.years,
            "overrides": _jsonable(spec.overrides),
            "summary": out.summary,
        }
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), META_KEY: json.dumps(meta, default=str).encode()}
        )
        atomic_write(self.run_path(spec.key), lambda p: pq.write_table(table, p))
        self.failure_path(spec.key).unlink(missing_ok=True)

    def write_failure(self, out: RunOutput) -> None:
        """Write a failed run's error, atomically (it is run again on resume)."""
        spec = out.spec
        write_json(
            self.failure_path(spec.key),
            {
                "scenario": spec.name,
                "point": spec.point,
                "replication": spec.replication,
                "seed": spec.seed,
                "seeds": spec.seeds,
                "stream_key": list(spec.stream_key),
                "years": spec.years,
                "file": spec.file,
                "overrides": _jsonable(spec.overrides),
                "error": out.error,
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
        )

    def write_summary(self) -> None:
        """Write the table of finished runs as ``summary.parquet`` and ``summary.csv``."""
        summary = read_summary(self.root)
        table = _summary_table(summary)
        atomic_write(self.root / "summary.parquet", lambda p: pq.write_table(table, p))
        write_csv(self.root / "summary.csv", summary)

    write_summary_csv = write_summary  # the name callers used before summary.parquet


def run_file_table(weekly: pd.DataFrame | None) -> pa.Table:
    """A run's weekly table as stored.

    The partition columns are left out (the folder names hold them), every column is in
    :data:`RUN_FILE_SCHEMA`'s type; no rows if None.
    """
    if weekly is None:
        return RUN_FILE_SCHEMA.empty_table()
    df = weekly.drop(columns=[c for c in PARTITION_COLUMNS if c in weekly.columns])
    missing = [c for c in RUN_FILE_SCHEMA.names if c not in df.columns]
    if missing:
        raise ValueError(f"weekly table lacks {missing} (expected {RUN_FILE_SCHEMA.names})")
    table = pa.Table.from_pandas(df[RUN_FILE_SCHEMA.names], preserve_index=False)
    return table.replace_schema_metadata(None).cast(RUN_FILE_SCHEMA)


def _summary_table(summary: pd.DataFrame) -> pa.Table:
    """The summary as an Arrow table.

    A column of mixed values (an override that is a number in one point and text in
    another) is stored as text.
    """
    df = summary.copy()
    for c in df.columns:
        if df[c].dtype == object:
            try:
                pa.array(df[c])
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                df[c] = df[c].map(lambda v: None if v is None else str(v))
    return pa.Table.from_pandas(df, preserve_index=False)


def _jsonable(overrides: Any) -> dict[str, Any]:
    return json.loads(json.dumps(dict(overrides), default=str))


def _empty_weekly() -> pd.DataFrame:
    text = ("scenario", "situation", "needs", "age_band")
    return pd.DataFrame(
        {c: pd.Series(dtype="object" if c in text else "int32") for c in WEEKLY_COLUMNS}
    )


# ---------------------------------------------------------------- reading


def run_files(root: str | Path) -> list[Path]:
    """Finished run files of a results folder (temporary and unreadable files left out)."""
    base = Path(root) / "runs"
    if not base.exists():
        return []
    return sorted(
        p for p in base.rglob("rep=*.parquet") if not p.name.startswith(".") and readable_run(p)
    )


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
    """Weekly counts by situation, needs group and age band of every finished run.

    Optionally of one scenario; in (point, replication) order; the columns of
    :data:`WEEKLY_COLUMNS`, with scenario, situation, needs and age band categorical.
    """
    files = run_files(root)
    if scenario is not None:
        folders = {f"scenario={partition_value(scenario)}", f"scenario={slug(scenario)}"}
        files = [p for p in files if p.parts[-3] in folders]
    ordered = [(m, p) for m, p in _ordered(files) if scenario is None or m["key"][0] == scenario]
    tables = [t for t in (_run_table(m, p) for m, p in ordered) if t.num_rows]
    if not tables:
        return _empty_weekly()
    return pa.concat_tables(tables, promote_options="permissive").to_pandas()


def _run_table(meta: dict[str, Any], path: Path) -> pa.Table:
    """One run file with its scenario and point (from its metadata) in front.

    Files of the earlier layout, which held those columns themselves, read the same.
    """
    table = pq.read_table(path).replace_schema_metadata(None)
    name, point, _ = meta["key"]
    n = table.num_rows
    if "point" not in table.column_names:
        table = table.add_column(0, "point", pa.array(np.full(n, point, dtype=np.int32)))
    if "scenario" not in table.column_names:
        table = table.add_column(
            0,
            "scenario",
            pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([name])),
        )
    else:
        i = table.column_names.index("scenario")
        table = table.set_column(i, "scenario", table["scenario"].dictionary_encode())
    return table


def read_failures(root: str | Path) -> pd.DataFrame:
    """A row per failed run: key, overrides, error type and message, traceback."""
    base = Path(root) / "failed"
    rows = []
    for p in sorted(base.rglob("rep=*.json")) if base.exists() else ():
        if p.name.startswith("."):
            continue
        rec = json.loads(p.read_text(encoding="utf-8"))
        err = rec.get("error") or {}
        rows.append(
            {
                "scenario": rec["scenario"],
                "point": rec["point"],
                "replication": rec["replication"],
                "seed": rec["seed"],
                **rec.get("overrides", {}),
                "error": err.get("type"),
                "message": err.get("message"),
                "traceback": err.get("traceback"),
            }
        )
    cols = ["scenario", "point", "replication", "seed", "error", "message", "traceback"]
    df = pd.DataFrame(rows) if rows else pd.DataFrame(columns=cols)
    return df.sort_values(["point", "replication"], ignore_index=True) if rows else df


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of the results folder ``root`` (empty if it has none)."""
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
        """Weekly counts of every finished run (see :func:`read_weekly`), read once."""
        return read_weekly(self.root)

    def weekly_of(self, scenario: str) -> pd.DataFrame:
        """Weekly counts of one scenario only (reads only its files)."""
        return read_weekly(self.root, scenario)

    def intervals(self, columns: list[str] | None = None, by: str = "scenario") -> pd.DataFrame:
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
        raise FileNotFoundError(f"{root} is not a batch results folder (no manifest.json or runs/)")
    return BatchResults(root, read_summary(root), read_failures(root), read_manifest(root))
