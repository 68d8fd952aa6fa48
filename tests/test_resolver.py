"""Route 53 Resolver query logs: JSON lines in Resolver's S3 layout, read back by
read_files (a learner's logs too), malformed files skipped with a reason."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from conftest import SEEDS

from helpers import resolver
from helpers.schema import frame
from helpers.world import build_world

WORLD = SimpleNamespace(
    account_id="012345678901", home_region="eu-west-1", vpc_id="vpc-0aa11bb22cc33dd44"
)
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
KEY = re.compile(
    r"^AWSLogs/(?P<account>\d{12})/vpcdnsquerylogs/(?P<vpc>vpc-[0-9a-f]+)/"
    r"(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/(?P=vpc)_vpcdnsquerylogs_(?P=account)_"
    r"(?P<stamp>(?P=y)(?P=m)(?P=d)T\d{4}Z)_[0-9a-f]{8}\.log\.gz$"
)
KEY_ORDER = [
    "version",
    "account_id",
    "region",
    "vpc_id",
    "query_timestamp",
    "query_name",
    "query_type",
    "query_class",
    "rcode",
    "answers",
    "srcaddr",
    "srcport",
    "transport",
    "srcids",
]


def at(*seconds: int) -> pa.Array:
    ms = int(T0.timestamp() * 1000) + np.asarray(seconds, dtype=np.int64) * 1000
    return pa.array(ms.astype("datetime64[ms]")).cast(resolver.TS)


def queries() -> pa.Table:
    """A mirror through a CNAME, its AAAA, a search-list miss, a TXT answer, a C2-like
    name in the next 5 minutes."""
    return frame(
        resolver.FRAME,
        5,
        time=at(3, 3, 70, 200, 330),
        query_name=[
            "deb.debian.org.",
            "deb.debian.org.",
            "db.eu-west-1.compute.internal.",
            "_dmarc.Example.COM.",
            "mzxw6ytboi.c2.example.net.",
        ],
        query_type=["A", "AAAA", "A", "TXT", "A"],
        rcode=[None, None, "NXDOMAIN", None, None],
        answers=pa.array(
            [
                ["debian.map.fastly.net.", "151.101.2.132"],
                ["debian.map.fastly.net.", "2a04:4e42::644"],
                [],
                ['"v=DMARC1; p=none"'],
                None,
            ],
            pa.list_(pa.string()),
        ),
        srcaddr="10.0.2.15",
        srcport=[41000, 41001, None, 50000, 50001],
        transport=[None, None, None, "TCP", None],
        instance_id=["i-0abc1234def567890"] * 4 + [None],
    )


def write(tmp_path: Path, rows: pa.Table | None = None, salt: str = "s1") -> pa.Table:
    return resolver.write_native(queries() if rows is None else rows, tmp_path, WORLD, salt)["dns"]


def written(raw: Path) -> dict[str, list[str]]:
    return {
        p.relative_to(raw).as_posix(): gzip.decompress(p.read_bytes()).decode().splitlines()
        for p in sorted(raw.rglob("*.log.gz"))
    }


def load(paths: list[Path], root: Path | None = None) -> tuple[int, list, list[dict]]:
    con = duckdb.connect()
    con.execute(resolver.TABLE.ddl())
    count, skipped = resolver.read_files(con, paths, root)
    rows = con.sql("SELECT * FROM dns").to_arrow_table().to_pylist()
    return count, skipped, rows


def by_time(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["time"], r["query_name"], r["query_type"]))


def test_one_gzip_file_per_vpc_and_5_minutes_in_resolvers_layout(tmp_path):
    write(tmp_path)
    files = written(tmp_path)
    keys = [KEY.match(k) for k in files]

    assert None not in keys
    assert [(k["account"], k["vpc"], k["stamp"]) for k in keys] == [
        ("012345678901", "vpc-0aa11bb22cc33dd44", "20260302T1005Z"),
        ("012345678901", "vpc-0aa11bb22cc33dd44", "20260302T1010Z"),
    ]
    assert [len(lines) for lines in files.values()] == [4, 1]
    assert all(p.read_bytes()[4:8] == b"\0\0\0\0" for p in tmp_path.rglob("*.gz"))  # mtime 0


def test_each_line_is_a_query_with_resolvers_keys_in_order(tmp_path):
    write(tmp_path)
    records = [json.loads(line) for lines in written(tmp_path).values() for line in lines]
    by_name = {(r["query_name"], r["query_type"]): r for r in records}

    assert [list(r) for r in records] == [KEY_ORDER] * 5
    assert by_name["deb.debian.org.", "A"] == {
        "version": "1.100000",
        "account_id": "012345678901",
        "region": "eu-west-1",
        "vpc_id": "vpc-0aa11bb22cc33dd44",
        "query_timestamp": "2026-03-02T10:00:03Z",
        "query_name": "deb.debian.org.",
        "query_type": "A",
        "query_class": "IN",
        "rcode": "NOERROR",
        "answers": [
            {"Rdata": "debian.map.fastly.net.", "Type": "CNAME", "Class": "IN"},
            {"Rdata": "151.101.2.132", "Type": "A", "Class": "IN"},
        ],
        "srcaddr": "10.0.2.15",
        "srcport": "41000",
        "transport": "UDP",
        "srcids": {"instance": "i-0abc1234def567890"},
    }
    assert by_name["deb.debian.org.", "AAAA"]["answers"][1]["Type"] == "AAAA"
    assert by_name["db.eu-west-1.compute.internal.", "A"]["answers"] == []
    assert by_name["_dmarc.Example.COM.", "TXT"]["answers"][0]["Rdata"] == '"v=DMARC1; p=none"'
    assert by_name["_dmarc.Example.COM.", "TXT"]["transport"] == "TCP"
    assert by_name["mzxw6ytboi.c2.example.net.", "A"]["srcids"] == {}
    assert all(re.fullmatch(r"\d+", r["srcport"]) for r in records)


def test_reading_the_files_back_gives_the_rows_the_writer_returned(tmp_path):
    expected = write(tmp_path).to_pylist()
    count, skipped, actual = load(sorted(tmp_path.rglob("*.log.gz")), tmp_path)

    assert (count, skipped) == (5, [])
    assert by_time(expected) == by_time(actual)
    dmarc = next(r for r in actual if r["query_type"] == "TXT")
    assert (dmarc["query_name"], dmarc["domain"]) == ("_dmarc.Example.COM.", "_dmarc.example.com")
    assert dmarc["time"] == datetime(2026, 3, 2, 10, 3, 20)
    mirror = next(r for r in actual if r["query_type"] == "A" and r["domain"] == "deb.debian.org")
    assert mirror["answers"] == ["debian.map.fastly.net.", "151.101.2.132"]


def test_the_same_queries_and_salt_give_the_same_bytes(tmp_path):
    write(tmp_path / "a")
    write(tmp_path / "b")
    write(tmp_path / "c", salt="other")

    def raw(d: Path) -> dict[str, bytes]:
        return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*.gz"))}

    assert raw(tmp_path / "a") == raw(tmp_path / "b")
    assert raw(tmp_path / "a") != raw(tmp_path / "c")


def test_a_learners_logs_load_with_firewall_fields_and_resolver_endpoints(tmp_path):
    blocked = {
        "srcaddr": "4.5.64.102",
        "vpc_id": "vpc-7example",
        "answers": [{"Rdata": "203.0.113.9", "Type": "PTR", "Class": "IN"}],
        "firewall_rule_group_id": "rslvr-frg-01234567890abcdef",
        "firewall_rule_action": "BLOCK",
        "query_name": "15.3.4.32.in-addr.arpa.",
        "query_class": "IN",
        "srcids": {"resolver_endpoint": "rslvr-in-0123456789abcdef"},
        "rcode": "NOERROR",
        "query_type": "PTR",
        "transport": "UDP",
        "version": "1.100000",
        "account_id": "111122223333",
        "srcport": "56067",
        "query_timestamp": "2021-02-04T17:51:55Z",
        "region": "us-east-1",
    }
    (tmp_path / "resolver.log").write_text(json.dumps(blocked) + "\n")

    count, skipped, rows = load([tmp_path / "resolver.log"])

    assert (count, skipped) == (1, [])
    assert rows[0]["time"] == datetime(2021, 2, 4, 17, 51, 55)
    assert (rows[0]["srcport"], rows[0]["instance_id"], rows[0]["answers"]) == (
        56067,
        None,
        ["203.0.113.9"],
    )
    assert rows[0]["file"] == (tmp_path / "resolver.log").as_posix()


def test_a_broken_file_is_skipped_with_a_reason_and_the_others_load(tmp_path):
    good = tmp_path / "good"
    write(good)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "no-name.log").write_text('{"query_timestamp": "2026-03-02T10:00:00Z"}\n')
    (bad / "text.log").write_text("2026-03-02 10:00:00 query: example.com IN A\n")
    (bad / "empty.log").write_text("")
    (bad / "truncated.log.gz").write_bytes(gzip.compress(b'{"query_name": "a."}\n' * 50)[:30])
    (bad / "half.log").write_text(
        json.dumps({"query_timestamp": "2026-03-02T10:00:00Z", "query_name": "a."})
        + "\n{not json\n"
    )

    count, skipped, rows = load(sorted(p for p in tmp_path.rglob("*") if p.is_file()))

    assert count == 5 == len(rows)
    reasons = {p.name: r for p, r in skipped}
    assert set(reasons) == {
        "no-name.log",
        "text.log",
        "empty.log",
        "truncated.log.gz",
        "half.log",
    }
    assert reasons["no-name.log"] == (
        "not a Route 53 Resolver query log: no query_name and query_timestamp"
    )
    assert reasons["text.log"].startswith("not a Route 53 Resolver query log: the first line")
    assert reasons["empty.log"] == "empty file: no resolver query log records"
    assert all("\n" not in r for r in reasons.values())


def test_looks_like_knows_resolver_logs_from_other_json_lines():
    line = '{"version":"1.100000","query_timestamp":"2026-03-02T10:00:03Z","query_name":"a."}'
    waf = '{"timestamp":1767225600000,"formatVersion":1,"webaclId":"arn:aws:wafv2:..."}'
    name = "vpc-0aa11bb22cc33dd44_vpcdnsquerylogs_012345678901_20260302T1005Z_0a1b2c3d.log.gz"

    assert resolver.looks_like(Path("x.log"), line)
    assert resolver.looks_like(Path(name), "")
    assert not resolver.looks_like(Path("waf.log"), waf)
    assert not resolver.looks_like(Path("x.json"), '{"Records": [{"eventSource": "s3"}]}')


@pytest.mark.slow
def test_a_generated_data_sets_query_logs_read_back_as_its_table(small_dataset):
    raw = small_dataset / "raw"
    files = sorted(raw.rglob("*_vpcdnsquerylogs_*.log.gz"))
    con = duckdb.connect()
    con.execute(f"ATTACH '{small_dataset / 'gameday.duckdb'}' AS shipped (READ_ONLY)")
    con.execute(resolver.TABLE.ddl())

    loaded, skipped = resolver.read_files(con, files, raw)

    cols = ", ".join(resolver.TABLE.names)
    differ = con.execute(
        f"SELECT (SELECT count(*) FROM (SELECT {cols} FROM dns EXCEPT ALL "
        f"SELECT {cols} FROM shipped.dns)), (SELECT count(*) FROM (SELECT {cols} FROM "
        f"shipped.dns EXCEPT ALL SELECT {cols} FROM dns))"
    ).fetchone()
    assert (skipped, differ) == ([], (0, 0))
    assert loaded > 5000
    world = build_world(SEEDS[0])
    keys = [KEY.match(p.relative_to(raw).as_posix()) for p in files]
    assert None not in keys
    assert {(k["account"], k["vpc"]) for k in keys} == {(world.account_id, world.vpc_id)}
