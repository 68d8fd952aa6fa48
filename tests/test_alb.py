"""ALB access logs: lines as AWS writes them, in its key layout, read back with pinned types."""

from __future__ import annotations

import gzip
import re
import shlex
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from conftest import real_logs

from helpers import alb, web
from helpers.schema import frame
from helpers.world import build_world

WORLD = build_world(11)
SITE = web.site(WORLD)
T0 = int(WORLD.start.timestamp() * 1000)  # a Monday, 00:00 UTC
KEY = re.compile(
    r"^AWSLogs/(?P<account>\d{12})/elasticloadbalancing/(?P<region>[a-z0-9-]+)/"
    r"(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/(?P=account)_elasticloadbalancing_(?P=region)_"
    r"app\.(?P<name>[a-z0-9-]+)\.(?P<id>[0-9a-f]{16})_(?P<stamp>(?P=y)(?P=m)(?P=d)T\d{4}Z)_"
    r"(?P<node>[0-9.]+)_[0-9a-f]{8}\.log\.gz$"
)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def requests() -> pa.Table:
    """A browser's page, a blocked probe, a plain-HTTP visit, and one six minutes later."""
    times = np.array([T0 + 1_000, T0 + 2_000, T0 + 3_000, T0 + 361_000], dtype="datetime64[ms]")
    return frame(
        web.REQUESTS,
        4,
        time=times,
        client_ip=pa.array(["203.0.113.9", "198.51.100.7", "192.0.2.44", "203.0.113.9"]),
        uri=pa.array(["/products/canvas-tote", "/.env", "/", "/search"]),
        args=pa.array(["", "", "", "q=rain+jacket"]),
        user_agent=pa.array([CHROME, "curl/7.88.1", CHROME, CHROME]),
        http_version=pa.array(["HTTP/2.0", None, None, "HTTP/2.0"]),
        status=pa.array([200, None, None, 200], pa.int16()),
        waf_action=pa.array([None, "BLOCK", None, None]),
        waf_rule=pa.array([None, "ExploitablePaths_URIPATH", None, None]),
        scheme=pa.array([None, None, "http", None]),
        request_id=web.request_ids(np.random.default_rng(5), times),
    )


def write(raw: Path, table: pa.Table | None = None, salt: str = "s1") -> pa.Table:
    return alb.write(
        web.prepare(requests() if table is None else table, SITE, salt), raw, SITE, salt
    )


def lines_of(raw: Path) -> dict[str, list[list[str]]]:
    """Every delivered file (relative POSIX path) and its lines split as a shell would."""
    return {
        p.relative_to(raw).as_posix(): [
            shlex.split(line) for line in gzip.decompress(p.read_bytes()).decode().splitlines()
        ]
        for p in sorted(raw.rglob("*.log.gz"))
    }


def load(paths: list[Path], root: Path | None = None) -> tuple[int, list, list[dict]]:
    con = duckdb.connect()
    con.execute(alb.TABLE.ddl())
    count, skipped = alb.read_files(con, paths, root)
    rows = con.sql("SELECT * FROM alb ORDER BY request_creation_time").to_arrow_table()
    return count, skipped, rows.to_pylist()


def test_one_file_per_load_balancer_node_per_5_minutes_in_aws_key_layout(tmp_path):
    write(tmp_path)
    keys = [KEY.match(k) for k in lines_of(tmp_path)]
    assert all(keys)
    assert {(WORLD.account_id, WORLD.home_region, SITE.lb_name, SITE.lb_id)} == {
        (k["account"], k["region"], k["name"], k["id"]) for k in keys
    }
    # named for the end of the window the requests arrived in, per node
    assert {f"{WORLD.start:%Y%m%d}T0005Z", f"{WORLD.start:%Y%m%d}T0010Z"} == {
        k["stamp"] for k in keys
    }
    assert {k["node"] for k in keys} <= set(SITE.nodes)


def test_lines_have_the_29_fields_quoted_where_they_hold_spaces(tmp_path):
    write(tmp_path)
    fields = sorted(
        (f for lines in lines_of(tmp_path).values() for f in lines), key=lambda f: f[21]
    )
    assert {29} == {len(f) for f in fields}
    page, probe, plain, search = fields
    assert ["h2", SITE.elb, "200", "200"] == [page[0], page[2], page[8], page[9]]
    assert f"GET https://{SITE.domain}:443/products/canvas-tote HTTP/2.0" == page[12]
    assert CHROME == page[13]
    assert page[4] in {f"{ip}:8080" for ip in SITE.targets}
    assert ["waf,forward", f"{page[4]}", "200"] == [page[22], page[25], page[26]]
    # WAF blocked: no target, times not measured, the load balancer answered 403
    assert ["-", "-1", "-1", "-1", "403", "-", "waf", "-"] == [
        probe[4], probe[5], probe[6], probe[7], probe[8], probe[9], probe[22], probe[20]
    ]  # fmt: skip
    # plain HTTP: the listener redirects to HTTPS
    assert ["http", "301", "waf,redirect", f"https://{SITE.domain}:443/"] == [
        plain[0], plain[8], plain[22], plain[23]
    ]  # fmt: skip
    assert f"GET https://{SITE.domain}:443/search?q=rain+jacket HTTP/2.0" == search[12]


def test_times_agree_with_the_request_and_its_processing(tmp_path):
    write(tmp_path)
    fields = sorted(
        (f for lines in lines_of(tmp_path).values() for f in lines), key=lambda f: f[21]
    )
    page = fields[0]
    created = datetime.strptime(page[21], "%Y-%m-%dT%H:%M:%S.%fZ")
    responded = datetime.strptime(page[1], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert T0 + 1_000 == int((created - datetime(1970, 1, 1)).total_seconds() * 1000)
    elapsed = sum(float(x) for x in page[5:8])
    assert round(elapsed, 3) == round((responded - created).total_seconds(), 3)
    assert f"Root={requests()['request_id'][0].as_py()}" == page[17]


def test_rerun_writes_byte_identical_files(tmp_path):
    write(tmp_path / "a")
    write(tmp_path / "b")
    first, second = (
        {p.relative_to(root): p.read_bytes() for p in root.rglob("*.log.gz")}
        for root in (tmp_path / "a", tmp_path / "b")
    )
    assert len(first) >= 2
    assert first == second


def test_read_files_loads_exactly_the_rows_write_returned(tmp_path):
    rows = write(tmp_path)
    assert alb.TABLE.names == rows.column_names
    count, skipped, loaded = load(sorted(tmp_path.rglob("*.log.gz")), root=tmp_path)
    assert (4, []) == (count, skipped)
    assert sorted(rows.to_pylist(), key=lambda r: r["request_creation_time"]) == loaded
    probe = loaded[1]
    expected = {
        "elb_status_code": 403,
        "target_status_code": None,
        "target_ip": None,
        "request_processing_time": None,
        "uri": "/.env",
        "query": "",
        "method": "GET",
        "actions_executed": "waf",
        "matched_rule_priority": None,
    }
    assert expected == {k: probe[k] for k in expected}


def test_real_alb_sample_loads_with_typed_values():
    path = real_logs() / "grafana_loki_lambda-promtail" / "albaccesslog.log.gz"
    count, skipped, rows = load([path])
    assert (2, []) == (count, skipped)
    redirect = rows[0]
    expected = {
        "type": "http",
        "time": datetime(2022, 12, 6, 17, 42, 16, 176563),
        "client_ip": "12.34.178.90.32",  # deliberately not a valid address: kept as text
        "client_port": 40860,
        "target_ip": None,
        "request_processing_time": None,  # -1
        "elb_status_code": 301,
        "target_status_code": None,
        "received_bytes": 204,
        "sent_bytes": 333,
        "method": "GET",
        "url": "http://5.334.234.101:80/",
        "uri": "/",
        "query": "",
        "http_version": "HTTP/1.1",
        "ssl_cipher": None,
        "trace_id": "Root=1-638f7ef8-1e68129e21ae504b7de0da3b",
        "matched_rule_priority": 0,
        "request_creation_time": datetime(2022, 12, 6, 17, 42, 16, 176000),
        "actions_executed": "redirect",
        "redirect_url": "https://5.334.234.101:443/",
        "classification": None,
    }
    assert expected == {k: redirect[k] for k in expected}
    assert ("TLSv1.2", "fixed-response", 404) == (
        rows[1]["ssl_protocol"],
        rows[1]["actions_executed"],
        rows[1]["elb_status_code"],
    )


LINE = (
    "https 2026-01-01T00:00:01.234567Z app/shop/0123456789abcdef 203.0.113.9:51000 "
    '10.0.1.7:8080 0.001 0.052 0.000 200 200 310 5120 "{request}" "curl/8.1.2" '
    "TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:eu-west-1:012345678901:"
    'targetgroup/shop/0123456789abcdef "Root=1-6774a5a1-0123456789abcdef01234567" '
    '"www.shop.example" "arn:aws:acm:eu-west-1:012345678901:certificate/x" 0 '
    '2026-01-01T00:00:01.181000Z "waf,forward" "-" "-" "10.0.1.7:8080" "200"'
)


@pytest.mark.parametrize(
    ("tail", "classification"),
    [
        ("", None),  # before AWS added the classification fields
        (' "-" "-"', None),
        (' "Ambiguous" "UndefinedContentLengthSemantics" TID_0123456789abcdef', "Ambiguous"),
    ],
)
def test_older_and_newer_lines_load(tmp_path, tail, classification):
    path = tmp_path / "alb.log"
    path.write_text(
        LINE.format(request="GET https://www.shop.example:443/a HTTP/1.1") + tail + "\n"
    )
    count, skipped, rows = load([path])
    assert (1, []) == (count, skipped)
    assert (0.052, classification, "10.0.1.7", 8080) == (
        rows[0]["target_processing_time"],
        rows[0]["classification"],
        rows[0]["target_ip"],
        rows[0]["target_port"],
    )


def test_a_request_line_with_spaces_is_split_around_them(tmp_path):
    path = tmp_path / "alb.log"
    path.write_text(LINE.format(request="GET https://www.shop.example:443/a b?q=1 2 HTTP/1.1"))
    _, _, rows = load([path])
    assert ("GET", "https://www.shop.example:443/a b?q=1 2", "/a b", "q=1 2", "HTTP/1.1") == (
        rows[0]["method"],
        rows[0]["url"],
        rows[0]["uri"],
        rows[0]["query"],
        rows[0]["http_version"],
    )


def test_bad_files_are_skipped_with_a_reason_and_good_ones_load(tmp_path):
    write(tmp_path / "raw")
    good = sorted((tmp_path / "raw").rglob("*.log.gz"))
    truncated = tmp_path / "truncated.log.gz"
    body = "\n".join([LINE.format(request=f"GET https://a:443/{i} HTTP/1.1") for i in range(3000)])
    whole = gzip.compress(body.encode())
    truncated.write_bytes(whole[: len(whole) // 2])
    not_alb = tmp_path / "mixed.log"
    not_alb.write_text(LINE.format(request="GET https://a:443/ HTTP/1.1") + "\nnot a log line\n")
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    count, skipped, rows = load([*good, truncated, not_alb, empty])
    assert 4 == count == len(rows)
    assert [truncated, not_alb, empty] == [path for path, _ in skipped]
    reasons = [reason for _, reason in skipped]
    assert all(reason and "\n" not in reason for reason in reasons)
    assert "1 of 2 lines are not ALB access log entries" in reasons[1]
    assert "empty" in reasons[2]


def test_looks_like(tmp_path):
    write(tmp_path)
    path = next(tmp_path.rglob("*.log.gz"))
    head = gzip.decompress(path.read_bytes()).decode()[:1024]
    assert alb.looks_like(Path("anything.log"), head)
    assert alb.looks_like(path, "")  # AWS's file name alone
    assert not alb.looks_like(Path("x.log"), '{"timestamp":1,"webaclId":"arn"}')
    assert not alb.looks_like(
        Path("flows.log"), "version account-id interface-id srcaddr dstaddr srcport dstport"
    )
