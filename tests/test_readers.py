"""A batch results folder reads the same with pandas, pyarrow, polars and DuckDB, with
the columns of ``homesim run``'s tables, and its summary is a table file."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from sim.batch import execute, load_batch, open_results
from sim.batch.store import META_KEY
from sim.cli import main
from tests.batch_helpers import small_scenario, write_yaml

KEYS = ["scenario", "point", "replication", "week", "situation", "needs", "age_band"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Two scenarios (one named with a space and a slash), 2 points, 2 replications."""
    tmp = tmp_path_factory.mktemp("readers")
    write_yaml(tmp / "small.yaml", small_scenario())
    write_yaml(
        tmp / "batch.yaml",
        {
            "name": "readers",
            "replications": 2,
            "seed": 3,
            "scenarios": ["small.yaml", {"file": "small.yaml", "name": "small town/2"}],
            "sweep": {"places.starter.capacity": [6, 12]},
        },
    )
    out = tmp / "out"
    execute(load_batch(tmp / "batch.yaml").runs(), out, workers=1, progress=False)
    (out / "runs" / "scenario=small" / "point=0" / ".rep=9.parquet.x.tmp").write_bytes(b"x")
    return out


@pytest.fixture(scope="module")
def expected(folder) -> pd.DataFrame:
    return _canonical(open_results(folder).weekly)


def _canonical(df) -> pd.DataFrame:
    """Plain types and a fixed row order, so tables from different readers compare."""
    df = pd.DataFrame(
        {
            c: df[c].astype(str)
            if c in ("scenario", "situation", "needs", "age_band")
            else df[c].astype("int64")
            for c in [*KEYS, "year", "count"]
        }
    )
    return df.sort_values(KEYS, ignore_index=True)


def test_open_results_has_runs_columns_plus_point(folder, tmp_path):
    weekly = open_results(folder).weekly
    assert (
        main(
            [
                "run",
                str(folder.parent / "small.yaml"),
                "-n",
                "1",
                "--out",
                str(tmp_path / "run"),
                "-q",
            ]
        )
        == 0
    )
    run_columns = list(pd.read_parquet(tmp_path / "run" / "weekly.parquet").columns)
    assert sorted(weekly.columns) == sorted([*run_columns, "point"])
    assert set(weekly["scenario"]) == {"small", "small town/2"}
    assert len(weekly) == 2 * 2 * 2 * 53 * 9 * 9  # scenarios x points x reps x weeks x cells


def test_pandas_reads_the_folder(folder, expected):
    got = pd.read_parquet(folder / "runs")
    pd.testing.assert_frame_equal(_canonical(got), expected)


def test_pyarrow_dataset_with_hive_partitioning_and_a_filter(folder, expected):
    data = ds.dataset(folder / "runs", format="parquet", partitioning="hive")
    got = data.to_table(filter=ds.field("scenario") == "small town/2").to_pandas()
    pd.testing.assert_frame_equal(
        _canonical(got), expected[expected["scenario"] == "small town/2"].reset_index(drop=True)
    )


def test_polars_reads_the_folder(folder, expected):
    pl = pytest.importorskip("polars", reason="polars comes with the dev extra")
    got = pl.read_parquet(folder / "runs" / "**" / "*.parquet", hive_partitioning=True)
    pd.testing.assert_frame_equal(_canonical(got.to_pandas()), expected)


def test_duckdb_reads_the_folder(folder, expected):
    duckdb = pytest.importorskip("duckdb", reason="duckdb comes with the dev extra")
    pattern = (folder / "runs" / "**" / "*.parquet").as_posix()
    got = duckdb.sql(f"SELECT * FROM read_parquet('{pattern}', hive_partitioning=true)").df()
    pd.testing.assert_frame_equal(_canonical(got), expected)


def test_summary_is_a_table_file(folder):
    res = open_results(folder)
    table = pd.read_parquet(folder / "summary.parquet")
    pd.testing.assert_frame_equal(table, res.summary, check_dtype=False)
    csv = pd.read_csv(folder / "summary.csv")
    assert len(csv) == len(res.summary) == 8
    assert list(csv.columns) == list(res.summary.columns)


def test_run_files_of_the_earlier_layout_read_the_same(folder, tmp_path):
    """Files that held scenario and point themselves (before the Hive layout)."""
    old = tmp_path / "old"
    shutil.copytree(folder, old)
    for path in (old / "runs").rglob("rep=*.parquet"):
        table = pq.read_table(path)
        meta = table.schema.metadata
        name, point, _ = json.loads(meta[META_KEY])["key"]
        table = table.add_column(0, "point", pa.array([point] * table.num_rows, pa.int32()))
        table = table.add_column(0, "scenario", pa.array([name] * table.num_rows))
        pq.write_table(table.replace_schema_metadata(meta), path)
    pd.testing.assert_frame_equal(
        _canonical(open_results(old).weekly), _canonical(open_results(folder).weekly)
    )
