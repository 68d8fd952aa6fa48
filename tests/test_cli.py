"""Every mistake a user can make gets one line that names the problem, a non-zero exit,
and no traceback."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def gameday(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "helpers.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_scenarios_lists_each_storyline_with_a_line():
    result = gameday("scenarios")
    assert result.returncode == 0
    assert result.stdout.startswith("leaked-key")


def test_describe_prints_every_table():
    result = gameday("describe")
    assert result.returncode == 0
    for table in ("cloudtrail", "vpc_flow", "guardduty"):
        assert f"{table}: one row is" in result.stdout


def test_unknown_scenario(tmp_path):
    assert_one_line_error(
        gameday("generate", "--scenario", "nope", "--out", str(tmp_path / "x")),
        "nope",
        "leaked-key",
    )


def test_unknown_scale(tmp_path):
    assert_one_line_error(
        gameday("generate", "--scale", "huge", "--out", str(tmp_path / "x")), "huge", "small"
    )


def test_negative_seed(tmp_path):
    assert_one_line_error(
        gameday("generate", "--seed", "-3", "--out", str(tmp_path / "x")), "seed", "-3"
    )


def test_seed_that_is_not_a_number(tmp_path):
    assert_one_line_error(
        gameday("generate", "--seed", "abc", "--out", str(tmp_path / "x")), "seed", "abc"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere: no unwritable folder")
def test_unwritable_out(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert_one_line_error(gameday("generate", "--out", str(locked / "ds")), "not writable")


def test_out_under_something_that_cannot_hold_folders(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    assert_one_line_error(gameday("generate", "--out", str(blocker / "ds")), "not writable")


def test_out_that_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    assert_one_line_error(gameday("generate", "--out", str(f)), str(f), "not a folder")


def test_out_that_already_holds_files_is_refused_without_force(tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert_one_line_error(gameday("generate", "--out", str(out)), "--force")
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.slow
def test_force_replaces_only_what_the_generator_wrote(tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "raw").mkdir()
    (out / "raw" / "stale.json.gz").write_bytes(b"old")
    key = tmp_path / "key.json"
    result = gameday(
        "generate",
        "--scale",
        "small",
        "--seed",
        "5",
        "--out",
        str(out),
        "--key-out",
        str(key),
        "--force",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "raw" / "stale.json.gz").exists()
    assert (out / "gameday.duckdb").exists()
    assert json.loads(key.read_text())["seed"] == 5
    assert "answer key" in result.stdout


def test_ingest_of_an_empty_folder(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(gameday("ingest", str(empty), "--out", str(tmp_path / "o")), "no files")


def test_ingest_of_a_missing_path(tmp_path):
    assert_one_line_error(
        gameday("ingest", str(tmp_path / "nope"), "--out", str(tmp_path / "o")), "nope"
    )


def test_ingest_fails_only_when_nothing_loads_and_names_the_files(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "truncated.json.gz").write_bytes(gzip.compress(b'{"Records": [{"eventName"')[:20])
    (logs / "other.json").write_text(json.dumps({"hello": "world"}))
    result = gameday("ingest", str(logs), "--out", str(tmp_path / "o"))
    assert_one_line_error(result, "nothing could be loaded")


def test_ingest_skips_a_bad_file_and_loads_the_rest(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "truncated.json.gz").write_bytes(gzip.compress(b'{"Records": []}' * 50)[:30])
    record = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "userName": "alice", "accessKeyId": "AKIAEXAMPLE"},
        "eventTime": "2026-01-02T03:04:05Z",
        "eventSource": "sts.amazonaws.com",
        "eventName": "GetCallerIdentity",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.0",
        "requestParameters": None,
        "responseElements": None,
        "eventID": "00000000-0000-4000-8000-000000000001",
        "eventType": "AwsApiCall",
    }
    (logs / "good.json").write_text(json.dumps({"Records": [record]}))
    result = gameday("ingest", str(logs), "--out", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    assert "cloudtrail: 1 records from 1 files" in result.stdout
    assert "truncated.json.gz" in result.stdout
