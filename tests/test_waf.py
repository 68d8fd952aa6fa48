"""AWS WAF logs: JSON lines as AWS writes them, in its key layout, agreeing with the ALB's
lines about each request, and read back with pinned types."""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from conftest import real_logs

from helpers import alb, waf, web
from helpers.schema import frame
from helpers.world import build_world

WORLD = build_world(11)
SITE = web.site(WORLD)
T0 = int(WORLD.start.timestamp() * 1000)
KEY = re.compile(
    r"^AWSLogs/(?P<account>\d{12})/WAFLogs/(?P<region>[a-z0-9-]+)/(?P<acl>[a-z0-9-]+)/"
    r"(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)/(?P<H>\d\d)/(?P<M>\d\d)/"
    r"(?P=account)_waflogs_(?P=region)_(?P=acl)_(?P=y)(?P=m)(?P=d)T(?P=H)(?P=M)Z_[0-9a-f]{8}"
    r"\.log\.gz$"
)
#: The top-level keys of a record, in AWS's order (``labels`` only where a rule added one).
KEYS = [
    "timestamp", "formatVersion", "webaclId", "terminatingRuleId", "terminatingRuleType",
    "action", "terminatingRuleMatchDetails", "httpSourceName", "httpSourceId", "ruleGroupList",
    "rateBasedRuleList", "nonTerminatingMatchingRules", "requestHeadersInserted",
    "responseCodeSent", "httpRequest",
]  # fmt: skip
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SSRF = "url=http://169.254.169.254/latest/meta-data/iam/security-credentials/web-role"


def requests() -> pa.Table:
    """An ordinary page, a blocked probe, an SQL injection, an SSRF that a rule only counts,
    a request a custom rule counts, and a client whose agent needs escaping."""
    times = T0 + np.array([1_000, 2_000, 3_000, 4_000, 5_000, 301_000])
    return frame(
        web.REQUESTS,
        6,
        time=times.astype("datetime64[ms]"),
        client_ip=pa.array(
            [
                "203.0.113.9",
                "198.51.100.7",
                "192.0.2.44",
                "203.0.113.50",
                "203.0.113.9",
                "192.0.2.7",
            ]
        ),
        country=pa.array(["DE", "US", "NL", None, "DE", "FR"]),
        uri=pa.array(["/", "/.env", "/products", SITE.fetch_path, "/cart", "/search"]),
        args=pa.array(["", "", "id=1%27%20OR%20%271%27%3D%271", SSRF, "", "q=a\\b"]),
        user_agent=pa.array(
            [
                CHROME,
                "curl/7.88.1",
                "sqlmap/1.7.2#stable",
                None,
                CHROME,
                'odd "agent"\twith\\escapes',
            ]
        ),
        referer=pa.array([None, None, None, None, f"https://{SITE.domain}/", None]),
        http_version=pa.array(["HTTP/2.0", None, None, None, "HTTP/2.0", None]),
        waf_action=pa.array([None, "BLOCK", "BLOCK", None, None, None]),
        waf_rule=pa.array(
            [None, "ExploitablePaths_URIPATH", "SQLi_QUERYARGUMENTS", None, None, None]
        ),
        waf_count_rules=pa.array(
            [None, None, None, "EC2MetaDataSSRF_QUERYARGUMENTS", "watch-cart", None]
        ),
        request_id=web.request_ids(np.random.default_rng(5), times),
    )


def write(raw: Path, salt: str = "s1") -> dict[str, pa.Table]:
    return web.write_native(requests(), raw, WORLD, salt)


def records(raw: Path) -> dict[str, list[dict]]:
    """Every WAF file (relative POSIX path) and its records, read with the standard library."""
    return {
        p.relative_to(raw).as_posix(): [
            json.loads(line) for line in gzip.decompress(p.read_bytes()).decode().splitlines()
        ]
        for p in sorted(raw.rglob("*_waflogs_*.log.gz"))
    }


def by_uri(raw: Path) -> dict[str, dict]:
    return {r["httpRequest"]["uri"]: r for rs in records(raw).values() for r in rs}


def load(paths: list[Path], root: Path | None = None) -> tuple[int, list, list[dict]]:
    con = duckdb.connect()
    con.execute(waf.TABLE.ddl())
    count, skipped = waf.read_files(con, paths, root)
    return count, skipped, con.sql("SELECT * FROM waf ORDER BY time").to_arrow_table().to_pylist()


def test_one_file_per_5_minutes_in_aws_key_layout(tmp_path):
    write(tmp_path)
    keys = [KEY.match(k) for k in records(tmp_path)]
    assert all(keys)
    assert {(WORLD.account_id, WORLD.home_region, SITE.web_acl_name)} == {
        (k["account"], k["region"], k["acl"]) for k in keys
    }
    # foldered and named for the start of the window
    assert [("00", "00"), ("00", "05")] == [(k["H"], k["M"]) for k in keys]


def test_records_are_shaped_as_aws_logs_them(tmp_path):
    write(tmp_path)
    page = by_uri(tmp_path)["/"]
    assert KEYS == list(page)  # no labels: no rule added one
    assert {
        "timestamp": T0 + 1_000,
        "formatVersion": 1,
        "webaclId": SITE.web_acl_arn,
        "terminatingRuleId": "Default_Action",
        "terminatingRuleType": "REGULAR",
        "action": "ALLOW",
        "terminatingRuleMatchDetails": [],
        "httpSourceName": "ALB",
        "httpSourceId": f"{WORLD.account_id}-app/{SITE.lb_name}/{SITE.lb_id}",
        "rateBasedRuleList": [],
        "nonTerminatingMatchingRules": [],
        "requestHeadersInserted": None,
        "responseCodeSent": None,
    } == {k: v for k, v in page.items() if k not in ("ruleGroupList", "httpRequest")}
    assert [g[1] for g in web.RULE_GROUPS] == [g["ruleGroupId"] for g in page["ruleGroupList"]]
    request = page["httpRequest"]
    assert ["clientIp", "country", "headers", "uri", "args", "httpVersion", "httpMethod",
            "requestId"] == list(request)  # fmt: skip
    assert ("203.0.113.9", "DE", "", "HTTP/2.0", "GET") == (
        request["clientIp"],
        request["country"],
        request["args"],
        request["httpVersion"],
        request["httpMethod"],
    )
    headers = {h["name"]: h["value"] for h in request["headers"]}
    assert SITE.domain == headers["host"]  # HTTP/2: names in lower case
    assert CHROME == headers["user-agent"]
    assert headers["accept-language"].startswith("de-DE")


def test_a_managed_rule_blocks_inside_its_rule_group_and_labels_the_request(tmp_path):
    write(tmp_path)
    probe = by_uri(tmp_path)["/.env"]
    assert ("AWS-AWSManagedRulesKnownBadInputsRuleSet", "MANAGED_RULE_GROUP", "BLOCK") == (
        probe["terminatingRuleId"],
        probe["terminatingRuleType"],
        probe["action"],
    )
    groups = probe["ruleGroupList"]
    assert 3 == len(groups)  # evaluated up to the group that blocked
    assert {"ruleId": "ExploitablePaths_URIPATH", "action": "BLOCK", "ruleMatchDetails": None} == (
        groups[-1]["terminatingRule"]
    )
    assert [{"name": "awswaf:managed:aws:known-bad-inputs:ExploitablePaths_URIPath"}] == (
        probe["labels"]
    )


def test_an_sql_injection_shows_what_it_matched(tmp_path):
    write(tmp_path)
    sqli = by_uri(tmp_path)["/products"]
    (details,) = sqli["terminatingRuleMatchDetails"]
    assert ("SQL_INJECTION", "ALL_QUERY_ARGS") == (details["conditionType"], details["location"])
    assert "OR" in details["matchedData"]


def test_rules_in_count_mode_let_the_request_through_and_say_so(tmp_path):
    write(tmp_path)
    ssrf, cart = by_uri(tmp_path)[SITE.fetch_path], by_uri(tmp_path)["/cart"]
    assert ("ALLOW", "Default_Action", SSRF) == (
        ssrf["action"],
        ssrf["terminatingRuleId"],
        ssrf["httpRequest"]["args"],
    )
    core = next(g for g in ssrf["ruleGroupList"] if g["ruleGroupId"].endswith("CommonRuleSet"))
    assert ["EC2MetaDataSSRF_QUERYARGUMENTS"] == [
        r["ruleId"] for r in core["nonTerminatingMatchingRules"] if r["action"] == "COUNT"
    ]
    assert [{"name": "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_QueryArguments"}] == (
        ssrf["labels"]
    )
    # a web ACL rule (not a managed one) in COUNT mode is listed at the top level
    assert [{"ruleId": "watch-cart", "action": "COUNT", "ruleMatchDetails": []}] == (
        cart["nonTerminatingMatchingRules"]
    )
    assert "labels" not in cart


def test_values_that_need_escaping_survive(tmp_path):
    write(tmp_path)
    odd = by_uri(tmp_path)["/search"]
    headers = {h["name"]: h["value"] for h in odd["httpRequest"]["headers"]}
    assert ('odd "agent"\twith\\escapes', "q=a\\b") == (
        headers["User-Agent"],
        odd["httpRequest"]["args"],
    )


def test_alb_and_waf_agree_about_each_request(tmp_path):
    rows = write(tmp_path)
    con = duckdb.connect()
    albs, wafs = rows["alb"], rows["waf"]  # noqa: F841 - read by DuckDB
    agreed = con.sql("""
        SELECT a.uri, a.elb_status_code, a.actions_executed, w.action
        FROM albs a JOIN wafs w
          ON w.request_id = replace(a.trace_id, 'Root=', '')
         AND w.time = a.request_creation_time
         AND w.client_ip = a.client_ip AND w.uri = a.uri AND w.args = a.query
        ORDER BY w.time
    """).fetchall()
    assert [
        ("/", 200, "waf,forward", "ALLOW"),
        ("/.env", 403, "waf", "BLOCK"),
        ("/products", 403, "waf", "BLOCK"),
        (SITE.fetch_path, 200, "waf,forward", "ALLOW"),
        ("/cart", 200, "waf,forward", "ALLOW"),
        ("/search", 200, "waf,forward", "ALLOW"),
    ] == agreed


def test_rerun_writes_byte_identical_files(tmp_path):
    write(tmp_path / "a")
    write(tmp_path / "b")
    first, second = (
        {p.relative_to(root): p.read_bytes() for p in root.rglob("*.log.gz")}
        for root in (tmp_path / "a", tmp_path / "b")
    )
    assert 2 == sum("_waflogs_" in p.name for p in first)
    assert first == second
    write(tmp_path / "c", salt="s2")
    assert first.keys() != {p.relative_to(tmp_path / "c") for p in (tmp_path / "c").rglob("*.gz")}


def test_read_files_loads_exactly_the_rows_write_returned(tmp_path):
    rows = write(tmp_path)["waf"]
    assert waf.TABLE.names == rows.column_names
    count, skipped, loaded = load(sorted(tmp_path.rglob("*_waflogs_*.log.gz")), root=tmp_path)
    assert (6, []) == (count, skipped)
    assert sorted(rows.to_pylist(), key=lambda r: r["time"]) == loaded
    ssrf = loaded[3]
    assert {
        "action": "ALLOW",
        "count_rules": ["EC2MetaDataSSRF_QUERYARGUMENTS"],
        "labels": ["awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_QueryArguments"],
        "user_agent": None,
        "host": SITE.domain,
    } == {k: ssrf[k] for k in ("action", "count_rules", "labels", "user_agent", "host")}
    assert ("AWS-AWSManagedRulesSQLiRuleSet", "SQLi_QUERYARGUMENTS") == (
        loaded[2]["terminating_rule_id"],
        loaded[2]["group_rule_id"],
    )


def test_real_waf_sample_loads_with_typed_values():
    path = real_logs() / "grafana_loki_lambda-promtail" / "waflog.log.gz"
    count, skipped, rows = load([path])
    assert (1, []) == (count, skipped)
    (row,) = rows
    assert {
        "time": datetime(2023, 8, 31, 4, 57, 42, 729000),
        "action": "ALLOW",
        "terminating_rule_id": "Default_Action",
        "group_rule_id": None,
        "count_rules": [],
        "labels": [],
        "client_ip": "127.0.0.1",
        "country": "AU",
        "host": "test-alb.ap-southeast-2.elb.amazonaws.com",
        "user_agent": "curl/8.1.2",
        "uri": "/",
        "args": "",
        "request_id": "1-64f01dc6-7d2deb5d54820c4d7284912a",
        "http_source_id": "944071908078-app/test-alb/6a1939d39ac9ef3c",
        "format_version": 1,
    } == {
        k: row[k]
        for k in ("time", "action", "terminating_rule_id", "group_rule_id", "count_rules",
                  "labels", "client_ip", "country", "host", "user_agent", "uri", "args",
                  "request_id", "http_source_id", "format_version")
    }  # fmt: skip
    assert 6 == len(row["headers"])
    assert (
        "AWS#AWSManagedRulesAmazonIpReputationList"
        == json.loads(row["rule_group_list"])[0]["ruleGroupId"]
    )


def test_bad_files_are_skipped_with_a_reason_and_good_ones_load(tmp_path):
    write(tmp_path / "raw")
    good = sorted((tmp_path / "raw").rglob("*_waflogs_*.log.gz"))
    not_json = tmp_path / "text.log"
    not_json.write_text("this is not json\n")
    broken = tmp_path / "broken.log"
    broken.write_text('{"timestamp": 1, "action": "ALLOW", "httpRequest": {"uri": "/"}}\n{"times\n')
    not_waf = tmp_path / "other.json"
    not_waf.write_text('{"timestamp": 1, "message": "hello"}\n')
    truncated = tmp_path / "truncated.log.gz"
    body = gzip.decompress(good[0].read_bytes()) * 200
    whole = gzip.compress(body)
    truncated.write_bytes(whole[: len(whole) // 2])
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    count, skipped, rows = load([*good, not_json, broken, not_waf, truncated, empty])
    assert 6 == count == len(rows)
    assert [not_json, broken, not_waf, truncated, empty] == [path for path, _ in skipped]
    reasons = [reason for _, reason in skipped]
    assert all(reason and "\n" not in reason for reason in reasons)
    assert "not JSON lines" in reasons[0]
    assert "1 of 1 records lack timestamp, action or httpRequest" in reasons[2]
    assert "empty" in reasons[4]


@pytest.mark.slow
def test_a_data_sets_web_logs_read_back_as_its_catalog_and_agree(small_dataset):
    """The readers are the one path from files: a generated data set's alb and waf tables
    are what they make of its files, and both logs name the same requests."""
    raw = small_dataset / "raw"
    con = duckdb.connect()
    con.execute(f"ATTACH '{small_dataset / 'gameday.duckdb'}' AS shipped (READ_ONLY)")
    for module, pattern in ((alb, "*_elasticloadbalancing_*.log.gz"), (waf, "*_waflogs_*.log.gz")):
        table = module.TABLE
        con.execute(table.ddl())
        loaded, skipped = module.read_files(con, sorted(raw.rglob(pattern)), raw)
        cols = ", ".join(table.names)
        differ = con.execute(
            f"SELECT count(*) FROM ((SELECT {cols} FROM {table.name} EXCEPT ALL "
            f"SELECT {cols} FROM shipped.{table.name}) UNION ALL (SELECT {cols} FROM "
            f"shipped.{table.name} EXCEPT ALL SELECT {cols} FROM {table.name}))"
        ).fetchall()[0][0]
        assert (skipped, differ) == ([], 0), table.name
        assert loaded > 1_000
    alone = con.execute("""
        SELECT count(*) FILTER (a.trace_id IS NULL), count(*) FILTER (w.request_id IS NULL),
               count(*) FILTER (w.action = 'BLOCK' AND a.elb_status_code <> 403)
        FROM alb a FULL JOIN waf w
          ON w.request_id = replace(a.trace_id, 'Root=', '')
         AND w.time = a.request_creation_time AND w.client_ip = a.client_ip AND w.uri = a.uri
    """).fetchall()[0]
    assert (0, 0, 0) == alone


def test_looks_like(tmp_path):
    write(tmp_path)
    path = next(tmp_path.rglob("*_waflogs_*.log.gz"))
    head = gzip.decompress(path.read_bytes()).decode()[:1024]
    assert waf.looks_like(Path("anything.log"), head)
    assert waf.looks_like(path, "")  # AWS's file name alone
    assert not waf.looks_like(Path("x.json"), '{"Records": [{"eventSource": "iam.amazonaws.com"')
    assert not alb.looks_like(Path("x.log"), head)
