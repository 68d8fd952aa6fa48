"""VPC Flow Logs: native files written, read back with the standard library and by read_files."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from helpers import vpcflow

REAL_LOGS = Path(__file__).resolve().parents[1].parent / "shared" / "real-logs"
REAL_FLOW_FILE = REAL_LOGS / "grafana_loki_lambda-promtail" / "vpcflowlog.log.gz"

HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol "
    "packets bytes start end action log-status"
)
KEY = re.compile(
    r"^AWSLogs/(?P<account>\d{12})/vpcflowlogs/(?P<region>[a-z0-9-]+)/(?P<y>\d{4})/(?P<m>\d\d)/"
    r"(?P<d>\d\d)/(?P=account)_vpcflowlogs_(?P=region)_(?P<flow_log>fl-[0-9a-f]+)_"
    r"(?P<stamp>(?P=y)(?P=m)(?P=d)T\d{4}Z)_[0-9a-f]{8}\.log\.gz$"
)
T0 = 1767225600  # 2026-01-01T00:00:00Z

# version account interface srcaddr dstaddr srcport dstport protocol packets bytes start end
# action log_status region flow_log_id
RECORDS = [
    (2, "012345678901", "eni-0a1b2c3d4e5f60718", "10.0.1.5", "203.0.113.9", 49152, 443, 6,
     12, 3400, T0 + 10, T0 + 70, "ACCEPT", "OK", "eu-west-1", "fl-0123456789abcdef0"),
    (2, "012345678901", "eni-0a1b2c3d4e5f60718", "203.0.113.9", "10.0.1.5", 443, 49152, 6,
     10, 9800, T0 + 10, T0 + 70, "ACCEPT", "OK", "eu-west-1", "fl-0123456789abcdef0"),
    (2, "012345678901", "eni-0a1b2c3d4e5f60718", "198.51.100.20", "10.0.1.5", None, None, 1,
     4, 336, T0 + 100, T0 + 160, "REJECT", "OK", "eu-west-1", "fl-0123456789abcdef0"),
    (2, "012345678901", "eni-0f9e8d7c6b5a40312", "2001:db8::7", "2001:db8:1::1", 51000, 22, 6,
     30, 5200, T0 + 250, T0 + 310, "ACCEPT", "OK", "eu-west-1", "fl-0123456789abcdef0"),
    (2, "210987654321", "eni-0c0c0c0c0c0c0c0c0", "10.1.0.9", "10.1.0.10", 5432, 40000, 6,
     8, 1200, T0 + 30, T0 + 90, "ACCEPT", "OK", "us-east-1", "fl-0fedcba9876543210"),
]  # fmt: skip


def flow_frame(records: list[tuple] = RECORDS) -> pa.Table:
    return pa.Table.from_pylist(
        [dict(zip(vpcflow.FRAME.names, r, strict=True)) for r in records], schema=vpcflow.FRAME
    )


def line_of(record: tuple) -> str:
    return " ".join("-" if v is None else str(v) for v in record[:14])


def read_text(path: Path) -> list[str]:
    with gzip.open(path, "rt") as f:
        return f.read().splitlines()


def written(raw: Path) -> dict[str, list[str]]:
    """Every delivered file (relative POSIX path) and its lines, read with the stdlib."""
    return {p.relative_to(raw).as_posix(): read_text(p) for p in sorted(raw.rglob("*.log.gz"))}


def load(paths: list[Path], root: Path | None = None) -> tuple[int, list, list[dict]]:
    con = duckdb.connect()
    con.execute(vpcflow.TABLE.ddl())
    count, skipped = vpcflow.read_files(con, paths, root)
    rows = con.sql("SELECT * FROM vpc_flow").to_arrow_table().to_pylist()
    return count, skipped, rows


def ordered(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["file"] or "", r["interface_id"], r["srcaddr"]))


def test_one_file_per_flow_log_and_5_minute_window_in_aws_key_layout(tmp_path):
    vpcflow.write_native(flow_frame(), tmp_path, salt="s1")
    keys = [KEY.match(k) for k in written(tmp_path)]
    assert all(keys)
    expected = [
        ("012345678901", "eu-west-1", "fl-0123456789abcdef0", "20260101T0005Z"),
        ("012345678901", "eu-west-1", "fl-0123456789abcdef0", "20260101T0010Z"),
        ("210987654321", "us-east-1", "fl-0fedcba9876543210", "20260101T0005Z"),
    ]
    assert expected == [(k["account"], k["region"], k["flow_log"], k["stamp"]) for k in keys]


def test_files_read_with_the_standard_library(tmp_path):
    vpcflow.write_native(flow_frame(), tmp_path, salt="s1")
    files = written(tmp_path)
    assert {HEADER} == {lines[0] for lines in files.values()}
    records = sorted(line for lines in files.values() for line in lines[1:])
    assert sorted(line_of(r) for r in RECORDS) == records
    icmp = next(line for line in records if line.split()[7] == "1")
    assert ["-", "-"] == icmp.split()[5:7]
    assert {"012345678901", "210987654321"} == {line.split()[1] for line in records}


def test_every_record_ended_before_its_file_was_delivered(tmp_path):
    vpcflow.write_native(flow_frame(), tmp_path, salt="s1")
    for key, lines in written(tmp_path).items():
        stamp = datetime.strptime(KEY.match(key)["stamp"], "%Y%m%dT%H%MZ")
        delivered = stamp.replace(tzinfo=UTC).timestamp()
        ends = [int(line.split()[11]) for line in lines[1:]]
        assert all(delivered - 300 <= end < delivered for end in ends)


def test_records_in_a_file_are_not_strictly_sorted(tmp_path):
    records = [
        (2, "012345678901", f"eni-{i % 7:017x}", f"10.0.0.{i}", "10.0.9.9", 1000 + i, 443, 6,
         1, 60, T0 + i, T0 + i + 5, "ACCEPT", "OK", "eu-west-1", "fl-0123456789abcdef0")
        for i in range(200)
    ]  # fmt: skip
    vpcflow.write_native(flow_frame(records), tmp_path, salt="s1")
    (lines,) = written(tmp_path).values()
    ends = [int(line.split()[11]) for line in lines[1:]]
    assert 200 == len(ends)
    assert sorted(ends) != ends


def test_rerun_writes_byte_identical_files(tmp_path):
    vpcflow.write_native(flow_frame(), tmp_path / "a", salt="s1")
    vpcflow.write_native(flow_frame(), tmp_path / "b", salt="s1")
    first, second = (
        {p.relative_to(root): p.read_bytes() for p in root.rglob("*.log.gz")}
        for root in (tmp_path / "a", tmp_path / "b")
    )
    assert 3 == len(first)
    assert first == second


def test_returned_rows_are_the_catalog_rows_of_the_frame(tmp_path):
    rows = vpcflow.write_native(flow_frame(), tmp_path, salt="s1")
    assert vpcflow.TABLE.names == rows.column_names
    first = rows.to_pylist()[0]
    assert {
        "version": 2,
        "account_id": "012345678901",
        "srcport": 49152,
        "start_time": datetime(2026, 1, 1, 0, 0, 10),
        "end_time": datetime(2026, 1, 1, 0, 1, 10),
        "vpc_id": None,
        "tcp_flags": None,
        "region": "eu-west-1",
    } == {k: first[k] for k in ("version", "account_id", "srcport", "start_time", "end_time",
                                "vpc_id", "tcp_flags", "region")}  # fmt: skip
    assert KEY.match(first["file"])
    assert (tmp_path / first["file"]).is_file()


def test_read_files_loads_exactly_the_rows_write_native_returned(tmp_path):
    rows = vpcflow.write_native(flow_frame(), tmp_path, salt="s1")
    count, skipped, loaded = load(sorted(tmp_path.rglob("*.log.gz")), root=tmp_path)
    assert (5, []) == (count, skipped)
    assert ordered(rows.to_pylist()) == ordered(loaded)


def test_real_flow_log_file_loads_every_record():
    if not REAL_FLOW_FILE.is_file():
        pytest.skip(f"real AWS log samples not found at {REAL_LOGS} (../shared is absent)")
    lines = read_text(REAL_FLOW_FILE)
    assert HEADER == lines[0]
    count, skipped, rows = load([REAL_FLOW_FILE])
    assert (len(lines) - 1, []) == (count, skipped)
    first = lines[1].split()
    assert (first[1], first[3], int(first[9])) == (
        rows[0]["account_id"],
        rows[0]["srcaddr"],
        rows[0]["bytes"],
    )
    assert {None} == {r["region"] for r in rows}  # not in AWS's key layout: no region


def test_region_comes_from_the_key_layout(tmp_path):
    key = tmp_path / "AWSLogs/123456789012/vpcflowlogs/ap-south-1/2026/01/01/flows.log"
    key.parent.mkdir(parents=True)
    key.write_text(HEADER + "\n" + line_of(RECORDS[0]) + "\n")
    _, _, rows = load([key], root=tmp_path)
    assert [("ap-south-1", key.relative_to(tmp_path).as_posix())] == [
        (r["region"], r["file"]) for r in rows
    ]


def test_file_without_header_is_read_as_version_2(tmp_path):
    path = tmp_path / "flows.txt"
    path.write_text("".join(line_of(r) + "\n" for r in RECORDS[:2]))
    count, skipped, rows = load([path])
    assert (2, []) == (count, skipped)
    assert [("10.0.1.5", 49152, 3400, "ACCEPT"), ("203.0.113.9", 443, 9800, "ACCEPT")] == [
        (r["srcaddr"], r["srcport"], r["bytes"], r["action"]) for r in rows
    ]


def test_version_5_fields_in_another_order(tmp_path):
    path = tmp_path / "custom.log.gz"
    header = (
        "flow-direction srcaddr dstaddr srcport dstport protocol start end action log-status "
        "account-id interface-id vpc-id subnet-id instance-id tcp-flags version region "
        "traffic-path pkt-srcaddr"
    )
    record = (
        "egress 10.0.1.5 203.0.113.9 49152 443 6 1767225610 1767225670 ACCEPT OK "
        "012345678901 eni-0a1b2c3d4e5f60718 vpc-0aa11bb22cc33dd44 subnet-0123abcd "
        "i-0abc1234def567890 19 5 sa-east-1 1 10.0.1.5"
    )
    path.write_bytes(gzip.compress(f"{header}\n{record}\n".encode()))
    count, skipped, rows = load([path])
    assert (1, []) == (count, skipped)
    row = rows[0]
    assert {
        "version": 5,
        "account_id": "012345678901",
        "srcaddr": "10.0.1.5",
        "dstport": 443,
        "packets": None,
        "start_time": datetime(2026, 1, 1, 0, 0, 10),
        "vpc_id": "vpc-0aa11bb22cc33dd44",
        "subnet_id": "subnet-0123abcd",
        "instance_id": "i-0abc1234def567890",
        "tcp_flags": 19,
        "flow_direction": "egress",
        "region": "sa-east-1",
    } == {k: row[k] for k in ("version", "account_id", "srcaddr", "dstport", "packets",
                              "start_time", "vpc_id", "subnet_id", "instance_id", "tcp_flags",
                              "flow_direction", "region")}  # fmt: skip


def test_ipv6_addresses_and_icmp_dashes(tmp_path):
    path = tmp_path / "v6.log"
    path.write_text(
        HEADER + "\n"
        "2 123456789012 eni-0a1b2c3d4e5f60718 2001:db8::7 2001:db8:1::1 - - 58 3 216 "
        "1767225610 1767225670 ACCEPT OK\n"
        "2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1767225610 1767225670 - NODATA\n"
    )
    count, skipped, rows = load([path])
    assert (2, []) == (count, skipped)
    assert [
        ("2001:db8::7", "2001:db8:1::1", None, None, 58, "ACCEPT", "OK"),
        (None, None, None, None, None, None, "NODATA"),
    ] == [
        (r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"], r["protocol"], r["action"],
         r["log_status"])
        for r in rows
    ]  # fmt: skip


def test_bad_files_are_skipped_with_a_reason_and_good_ones_load(tmp_path):
    vpcflow.write_native(flow_frame(), tmp_path / "raw", salt="s1")
    good = sorted((tmp_path / "raw").rglob("*.log.gz"))
    truncated = tmp_path / "truncated.log.gz"
    many = [line_of((*RECORDS[0][:8], packets, *RECORDS[0][9:])) for packets in range(2000)]
    body = HEADER + "\n" + "\n".join(many) + "\n"
    whole = gzip.compress(body.encode())
    truncated.write_bytes(whole[: len(whole) // 2])
    cloudtrail = tmp_path / "123456789012_CloudTrail_us-east-1_20260101T0000Z_x.json.gz"
    cloudtrail.write_bytes(gzip.compress(b'{"Records": [{"eventVersion": "1.09"}]}'))
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    not_gzip = tmp_path / "not-gzip.log.gz"
    not_gzip.write_bytes(b"\x1f\x8b\x08\x00garbage")

    count, skipped, rows = load([*good, truncated, cloudtrail, empty, not_gzip])
    assert 5 == count == len(rows)
    assert [truncated, cloudtrail, empty, not_gzip] == [path for path, _ in skipped]
    reasons = [reason for _, reason in skipped]
    assert all(reason and "\n" not in reason for reason in reasons)
    assert "GZIP" in reasons[0]
    assert "not a VPC flow log" in reasons[1]
    assert "empty" in reasons[2]
    assert "Compressed file ended" in reasons[3]


def test_looks_like():
    assert vpcflow.looks_like(Path("flows.log"), HEADER + "\n" + line_of(RECORDS[0]))
    assert vpcflow.looks_like(Path("flows.log"), line_of(RECORDS[0]) + "\n")
    assert vpcflow.looks_like(
        Path(
            "012345678901_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_20260101T0005Z_0a1b2c3d.log.gz"
        ),
        "",
    )
    assert not vpcflow.looks_like(Path("trail.json"), '{"Records": []}')
    assert not vpcflow.looks_like(
        Path("alb.log"), "http 2026-01-01T00:00:00.000000Z app/lb/1 10.0.0.1:1 10.0.0.2:80 0.1"
    )
