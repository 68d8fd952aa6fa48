"""``gameday ingest``: the same readers load a learner's real logs into the same catalog."""

from __future__ import annotations

import gzip
import json

import duckdb
import pytest
from conftest import real_logs

from helpers.catalog import TABLES
from helpers.errors import DatasetError
from helpers.ingest import ingest


def count_cloudtrail_records(folder) -> int:
    total = 0
    for path in folder.rglob("*.json"):
        body = json.loads(path.read_text())
        total += len(body["Records"] if isinstance(body, dict) else body)
    return total


def count_flow_records(folder) -> int:
    total = 0
    for path in folder.rglob("vpcflow*.log.gz"):
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()
        total += sum(1 for line in lines if line and not line.startswith("version"))
    return total


def test_ingest_loads_every_real_cloudtrail_and_flow_file_in_shared(tmp_path):
    shared = real_logs()
    report = ingest([shared], tmp_path / "catalog")

    assert count_cloudtrail_records(shared) == report.loaded["cloudtrail"]
    assert count_flow_records(shared) == report.loaded["vpc_flow"]
    # the ALB sample's 2 lines (one client address is deliberately invalid) and the WAF record
    assert (2, 1) == (report.loaded["alb"], report.loaded["waf"])
    assert [] == report.skipped


@pytest.mark.slow
def test_an_ingested_catalog_has_the_same_columns_as_a_generated_one(tmp_path, small_dataset):
    shared = real_logs()
    ingest([shared], tmp_path / "catalog")
    mine = duckdb.connect(str(tmp_path / "catalog" / "gameday.duckdb"), read_only=True)
    generated = duckdb.connect(str(small_dataset / "gameday.duckdb"), read_only=True)
    for table in TABLES:
        query = f"DESCRIBE {table.name}"
        columns = [(r[0], r[1]) for r in mine.execute(query).fetchall()]
        assert [(r[0], r[1]) for r in generated.execute(query).fetchall()] == columns


def test_ingest_refuses_to_overwrite_without_force(tmp_path):
    shared = real_logs()
    ingest([shared], tmp_path / "catalog")
    with pytest.raises(DatasetError, match="--force"):
        ingest([shared], tmp_path / "catalog")
    assert ingest([shared], tmp_path / "catalog", force=True).loaded["cloudtrail"] > 0


@pytest.mark.slow
def test_ingest_takes_a_generated_data_sets_own_files(tmp_path, small_dataset):
    report = ingest([small_dataset / "raw"], tmp_path / "catalog")
    meta = json.loads((small_dataset / "dataset.json").read_text())
    assert meta["tables"] == {k: report.loaded[k] for k in meta["tables"]}
    assert report.skipped == []
