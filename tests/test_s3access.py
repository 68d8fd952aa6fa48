"""S3 server access logs: objects laid out as S3 delivers them, records as AWS documents
them, read back by read_files (a learner's logs too), malformed files skipped with a reason."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from conftest import SEEDS

from helpers import s3access
from helpers.schema import frame
from helpers.world import build_world

WORLD = SimpleNamespace(
    account_id="012345678901",
    home_region="eu-west-1",
    access_log_bucket="example-logs-8901",
)
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ROLE = "arn:aws:sts::012345678901:assumed-role/app-worker-role/i-0abc1234def567890"
USER = "arn:aws:iam::012345678901:user/backup-agent"
OBJECT_KEY = re.compile(
    r"^(?P<logs>[a-z0-9-]+)/s3-access/(?P<bucket>[a-z0-9-]+)/"
    r"(?P<stamp>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)-[0-9A-F]{16}$"
)
RECORD = re.compile(
    r"^[0-9a-f]{64} (?P<bucket>\S+) \[(?P<time>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000)\] "
    r'\S+ \S+ (?P<request_id>[0-9A-F]{16}) (?P<operation>\S+) \S+ ("[^"]*"|-) \d{3} \S+ \S+ \S+ '
    r'\S+ \S+ "[^"]*" "[^"]*" \S+ (?P<host_id>[A-Za-z0-9+/]{75}=) \S+ \S+ \S+ \S+ \S+ \S+ \S+$'
)


def at(*seconds: int) -> pa.Array:
    ms = int(T0.timestamp() * 1000) + np.asarray(seconds, dtype=np.int64) * 1000
    return pa.array(ms.astype("datetime64[ms]")).cast(s3access.TS)


def requests() -> pa.Table:
    """A worker's read, a missing key, a write with a space in its key, a listing,
    a copy (its two lines), one DeleteObjects of one key, an anonymous probe."""
    return frame(
        s3access.FRAME,
        8,
        time=at(5, 20, 65, 130, 200, 200, 310, 400),
        bucket=["app-data"] * 4 + ["app-data", "app-backups", "app-backups", "app-data"],
        remote_ip=["10.0.2.15"] * 4 + ["198.51.100.7"] * 3 + ["203.0.113.9"],
        requester=[ROLE] * 4 + [USER] * 3 + [None],
        request_id=[
            "7A1B2C3D4E5F6A7B",
            None,
            None,
            None,
            "0C0C0C0C0C0C0C0C",  # a copy logs two lines under one request id
            "0C0C0C0C0C0C0C0C",
            None,
            None,
        ],
        operation=[
            "REST.GET.OBJECT",
            "REST.GET.OBJECT",
            "REST.PUT.OBJECT",
            "REST.GET.BUCKET",
            "REST.COPY.OBJECT_GET",
            "REST.COPY.OBJECT",
            "BATCH.DELETE.OBJECT",
            "REST.GET.OBJECT",
        ],
        key=[
            "orders/2026/03/02/order-1.json",
            "orders/gone.json",
            "exports/march report.csv",
            None,
            "orders/2026/03/02/order-1.json",
            "2026-03-02/orders/order-1.json",
            "2026-02-23/orders/order-9.json",
            ".env",
        ],
        http_status=[200, 404, 200, 200, 200, 200, 204, 403],
        error_code=[None, "NoSuchKey", None, None, None, None, None, "AccessDenied"],
        bytes_sent=[5120, 243, None, 3410, None, 234, None, 243],
        object_size=[5120, None, 70_000, None, 5120, 5120, 5120, None],
        user_agent=["Boto3/1.35.76"] * 4 + ["rclone/v1.68.2"] * 2 + [None, "curl/8.5.0"],
    )


def write(tmp_path: Path, rows: pa.Table | None = None, salt: str = "s1") -> pa.Table:
    return s3access.write_native(requests() if rows is None else rows, tmp_path, WORLD, salt)[
        "s3_access"
    ]


def objects(raw: Path) -> dict[str, list[str]]:
    """Every delivered log object (relative POSIX path) and its lines."""
    return {
        p.relative_to(raw).as_posix(): p.read_text().splitlines()
        for p in sorted(raw.rglob("*"))
        if p.is_file()
    }


def load(paths: list[Path], root: Path | None = None) -> tuple[int, list, list[dict]]:
    con = duckdb.connect()
    con.execute(s3access.TABLE.ddl())
    count, skipped = s3access.read_files(con, paths, root)
    rows = con.sql("SELECT * FROM s3_access").to_arrow_table().to_pylist()
    return count, skipped, rows


def by_time(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["time"], r["bucket"], r["operation"]))


def test_one_plain_text_object_per_bucket_and_quarter_hour_in_the_logs_bucket(tmp_path):
    write(tmp_path)
    delivered = objects(tmp_path)
    found = {k: OBJECT_KEY.match(k) for k in delivered}
    window = timedelta(seconds=s3access.WINDOW_SECONDS)
    minutes = s3access.WINDOW_SECONDS // 60

    assert 15 == minutes
    assert None not in found.values()
    assert {m["logs"] for m in found.values()} == {"example-logs-8901"}
    windows = set()
    for key, match in found.items():
        times = [
            datetime.strptime(RECORD.match(line)["time"], "%d/%b/%Y:%H:%M:%S %z")
            for line in delivered[key]
        ]
        start = min(times).replace(minute=min(times).minute // minutes * minutes, second=0)
        windows.add((match["bucket"], f"{start:%H:%M}"))
        assert max(times) < start + window  # one window per object
        stamp = datetime.strptime(match["stamp"], "%Y-%m-%d-%H-%M-%S").replace(tzinfo=UTC)
        # written a few minutes after the window: every record is older than its object
        assert timedelta(minutes=1) <= stamp - (start + window) <= timedelta(minutes=10)
    assert windows == {
        ("app-data", "10:00"),  # 10:00:05 .. 10:06:40
        ("app-backups", "10:00"),  # the copy at 10:03:20, the batch delete at 10:05:10
    }
    assert not any((tmp_path / k).read_bytes().startswith(b"\x1f\x8b") for k in found)


def test_records_have_the_documented_fields_in_order(tmp_path):
    write(tmp_path)
    lines = [line for text in objects(tmp_path).values() for line in text]

    assert len(lines) == 8
    assert [line for line in lines if not RECORD.match(line)] == []
    read = next(line for line in lines if "7A1B2C3D4E5F6A7B" in line)
    fields = read.split(" ")
    assert fields[0] == s3access.canonical_id("012345678901")
    assert fields[1:4] == ["app-data", "[02/Mar/2026:10:00:05", "+0000]"]
    assert fields[4:9] == [
        "10.0.2.15",
        ROLE,
        "7A1B2C3D4E5F6A7B",
        "REST.GET.OBJECT",
        "orders/2026/03/02/order-1.json",
    ]
    assert " ".join(fields[9:12]) == '"GET /orders/2026/03/02/order-1.json HTTP/1.1"'
    assert fields[12:15] == ["200", "-", "5120"]
    assert fields[-7:] == [
        "SigV4",
        "TLS_AES_128_GCM_SHA256",
        "AuthHeader",
        "app-data.s3.eu-west-1.amazonaws.com",
        "TLSv1.3",
        "-",
        "-",
    ]
    anonymous = next(line for line in lines if "curl/8.5.0" in line).split(" ")
    assert anonymous[5] == "-"  # requester
    assert anonymous[-7] == "-" and anonymous[-5] == "-"  # no signature, no auth type
    batch = next(line for line in lines if "BATCH.DELETE.OBJECT" in line).split(" ")
    assert batch[9] == "-"  # a batch delete line has no request line of its own


def test_reading_the_objects_back_gives_the_rows_the_writer_returned(tmp_path):
    expected = write(tmp_path).to_pylist()
    count, skipped, actual = load(sorted(p for p in tmp_path.rglob("*") if p.is_file()), tmp_path)

    assert (count, skipped) == (8, [])
    assert by_time(expected) == by_time(actual)
    space = next(r for r in actual if r["operation"] == "REST.PUT.OBJECT")
    assert space["key"] == "exports/march report.csv"
    assert space["request_uri"] == "PUT /exports/march%20report.csv HTTP/1.1"
    assert space["bytes_sent"] is None  # "-": nothing sent back


def test_ids_a_storyline_gives_land_unchanged_and_the_others_are_drawn(tmp_path):
    rows = write(tmp_path)
    ids = rows.column("request_id").to_pylist()

    assert ids[0] == "7A1B2C3D4E5F6A7B"
    assert ids[4] == ids[5] == "0C0C0C0C0C0C0C0C"  # a copy's two lines: one request
    assert all(re.fullmatch(r"[0-9A-F]{16}", i) for i in ids)
    assert len(set(ids)) == 7


def test_the_same_requests_and_salt_give_the_same_bytes(tmp_path):
    write(tmp_path / "a")
    write(tmp_path / "b")
    write(tmp_path / "c", salt="other")

    assert objects(tmp_path / "a") == objects(tmp_path / "b")
    assert objects(tmp_path / "a") != objects(tmp_path / "c")


def test_requests_and_trail_values_give_cloudtrail_the_same_request(tmp_path):
    rng = np.random.default_rng(5)
    rows = s3access.requests(
        rng,
        2,
        time=at(1, 2),
        bucket="app-data",
        operation="REST.GET.OBJECT",
        key=["a.csv", "b.csv"],
        bytes_sent=[10, 20],
    )
    values = s3access.trail_values(rows)

    assert values["uuid"].to_pylist() == rows.column("request_id").to_pylist()
    assert values["x_amz_id_2"].to_pylist() == rows.column("host_id").to_pylist()
    assert values["bytes_out"].to_pylist() == ["10", "20"]
    assert values["bucket"].to_pylist() == ["app-data", "app-data"]
    written = s3access.write_native(rows, tmp_path, WORLD, "s")["s3_access"]
    assert written.column("host_id").to_pylist() == rows.column("host_id").to_pylist()


def test_a_learners_logs_load_old_short_records_and_new_trailing_fields(tmp_path):
    owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    old = (
        f"{owner} my-bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 {owner} 3E57427F3EXAMPLE "
        'REST.GET.VERSIONING - "GET /my-bucket?versioning HTTP/1.1" 200 - 113 - 7 - "-" '
        '"S3Console/0.4" -'
    )
    new = (
        f"{owner} my-bucket [06/Feb/2019:00:01:57 +0000] 192.0.2.3 {owner} DD6CC733AEXAMPLE "
        'REST.PUT.OBJECT s3-dg.pdf "PUT /my-bucket/s3-dg.pdf HTTP/1.1" 200 - - 4406583 41754 28 '
        '"-" "S3Console/0.4" - 10S62Zv81kBW7BB6SX4XJ48o6kpcl6LPwEoizZQQxJd5qDSCTLX0TgS37kYUBKQ= '
        "SigV4 ECDHE-RSA-AES128-SHA AuthHeader my-bucket.s3.us-west-1.amazonaws.com TLSV1.2 - Yes "
        "us-east-1 some-future-field"
    )
    (tmp_path / "2019-02-06-00-05-12-0123456789ABCDEF").write_text(old + "\n" + new + "\n")
    gz = tmp_path / "copied.gz"
    gz.write_bytes(gzip.compress((new + "\n").encode()))

    count, skipped, rows = load(sorted(tmp_path.iterdir()))

    assert (count, skipped) == (3, [])
    first, put = by_time(rows)[0], by_time(rows)[1]
    assert first["time"] == datetime(2019, 2, 6, 0, 0, 38)
    assert (first["operation"], first["key"], first["bytes_sent"]) == (
        "REST.GET.VERSIONING",
        None,
        113,
    )
    assert (first["host_id"], first["tls_version"], first["acl_required"]) == (None, None, None)
    assert first["request_uri"] == "GET /my-bucket?versioning HTTP/1.1"
    assert (put["object_size"], put["total_time"], put["turn_around_time"]) == (4406583, 41754, 28)
    assert (put["tls_version"], put["access_point_arn"], put["acl_required"]) == (
        "TLSV1.2",
        None,
        "Yes",
    )


def test_a_broken_file_is_skipped_with_a_reason_and_the_others_load(tmp_path):
    good = tmp_path / "good"
    write(good)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "2026-03-02-10-09-00-AAAAAAAAAAAAAAAA").write_text(
        "79a5 app-data [02/Mar/2026:10:00:05 +0000] 10.0.2.15 - 1 REST.GET.OBJECT k\n"
    )
    (bad / "empty").write_text("")
    (bad / "truncated.gz").write_bytes(gzip.compress(b"x" * 100)[:20])
    (bad / "not-a-number").write_text(
        "79a5 app-data [02/Mar/2026:10:00:05 +0000] 10.0.2.15 - 1 REST.GET.OBJECT k "
        '"GET /k HTTP/1.1" two-hundred - 1 1 1 1 "-" "-" -\n'
    )
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())

    count, skipped, rows = load(files)

    assert count == 8 == len(rows)
    reasons = {p.name: r for p, r in skipped}
    assert set(reasons) == {
        "2026-03-02-10-09-00-AAAAAAAAAAAAAAAA",
        "empty",
        "truncated.gz",
        "not-a-number",
    }
    assert reasons["2026-03-02-10-09-00-AAAAAAAAAAAAAAAA"].startswith(
        "not an S3 server access log: a line is not a log record"
    )
    assert reasons["empty"] == "empty file: no S3 access log records"
    assert "two-hundred" in reasons["not-a-number"]
    assert all("\n" not in r for r in reasons.values())


def test_looks_like_knows_access_logs_from_other_logs():
    line = "79a5 my-bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57 REST.GET.OBJECT k"
    alb = "https 2026-03-02T10:00:05.123456Z app/web/50dc6c495c0c9188 192.0.2.1:4431 - -1 -1 -1"

    assert s3access.looks_like(Path("anything.log"), line)
    assert s3access.looks_like(Path("2019-02-06-00-05-12-0123456789ABCDEF"), "garbage")
    assert not s3access.looks_like(Path("alb.log"), alb)
    assert not s3access.looks_like(Path("x.json"), '{"query_name": "a."}')


@pytest.mark.slow
def test_a_generated_data_sets_access_logs_read_back_as_its_table(small_dataset):
    """The catalog a data set ships with is what read_files makes of its log objects."""
    raw = small_dataset / "raw"
    files = sorted(p for p in raw.rglob("*") if p.is_file() and "/s3-access/" in p.as_posix())
    con = duckdb.connect()
    con.execute(f"ATTACH '{small_dataset / 'gameday.duckdb'}' AS shipped (READ_ONLY)")
    con.execute(s3access.TABLE.ddl())

    loaded, skipped = s3access.read_files(con, files, raw)

    cols = ", ".join(s3access.TABLE.names)
    differ = con.execute(
        f"SELECT (SELECT count(*) FROM (SELECT {cols} FROM s3_access EXCEPT ALL "
        f"SELECT {cols} FROM shipped.s3_access)), (SELECT count(*) FROM (SELECT {cols} FROM "
        f"shipped.s3_access EXCEPT ALL SELECT {cols} FROM s3_access))"
    ).fetchone()
    assert (skipped, differ) == ([], (0, 0))
    assert loaded > 1000
    keys = [OBJECT_KEY.match(p.relative_to(raw).as_posix()) for p in files]
    assert None not in keys
    world = build_world(SEEDS[0])
    assert {k["logs"] for k in keys} == {world.access_log_bucket}
    assert {k["bucket"] for k in keys} <= set(world.access_logged_buckets)
