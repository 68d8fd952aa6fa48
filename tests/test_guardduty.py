"""GuardDuty findings: shaped as exported, written in the S3 export layout, read back."""

from __future__ import annotations

import gzip
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from helpers import guardduty as gd

ACCOUNT = "012345678901"
REGION = "eu-west-1"
DETECTOR = gd.make_id("test", "detector")
T0 = datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)
ATTACKER = gd.RemoteIp(
    ip="198.51.100.23",
    country="Netherlands",
    city="Amsterdam",
    lat=52.3759,
    lon=4.8975,
    asn="64496",
    asn_org="Example Hosting B.V.",
    isp="Example Hosting",
    org="Example Hosting",
)
KEY = gd.AccessKey("AKIAEXAMPLEEXAMPLE12", "AIDAEXAMPLEEXAMPLE123", "deploy-bot")
WEB = gd.Instance(
    instance_id="i-0abc1234def567890",
    instance_type="t3.micro",
    image_id="ami-0123456789abcdef0",
    launch_time=datetime(2025, 12, 1, 8, 0, tzinfo=UTC),
    availability_zone="eu-west-1a",
    network_interface_id="eni-0a1b2c3d4e5f60718",
    private_ip="10.0.1.5",
    subnet_id="subnet-0123abcd",
    vpc_id="vpc-0aa11bb22cc33dd44",
    security_groups=(("web", "sg-0123456789abcdef0"),),
    public_ip="203.0.113.80",
    tags=(("Name", "web-1"),),
)
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
EXPORT_KEY = re.compile(
    rf"^AWSLogs/{ACCOUNT}/GuardDuty/{REGION}/\d{{4}}/\d\d/\d\d/"
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.jsonl\.gz$"
)


def common(name: str, **overrides) -> dict:
    return {
        "account": ACCOUNT,
        "region": REGION,
        "detector_id": DETECTOR,
        "finding_id": gd.make_id("test", name),
        "severity": 5,
        "title": f"{name} title",
        "description": f"{name} description",
        "first_seen": T0,
        "last_seen": T0 + timedelta(minutes=2),
        **overrides,
    }


def api_call() -> dict:
    return gd.api_call_finding(
        **common("api", finding_type="Recon:IAMUser/MaliciousIPCaller"),
        access_key=KEY,
        api="ListBuckets",
        service_name="s3.amazonaws.com",
        remote=ATTACKER,
    )


def network() -> dict:
    return gd.network_finding(
        **common("ssh", finding_type="UnauthorizedAccess:EC2/SSHBruteForce", severity=2),
        instance=WEB,
        direction="INBOUND",
        protocol="TCP",
        local_port=22,
        remote_port=51234,
        remote=ATTACKER,
    )


def dns() -> dict:
    return gd.dns_finding(
        **common("dns", finding_type="CryptoCurrency:EC2/BitcoinTool.B!DNS", severity=8),
        instance=WEB,
        domain="pool.minexmr.example",
    )


def port_probe() -> dict:
    return gd.port_probe_finding(
        **common("probe", finding_type="Recon:EC2/PortProbeUnprotectedPort", severity=2.5),
        instance=WEB,
        probes=[(22, ATTACKER)],
    )


def findings() -> list[dict]:
    first = api_call()
    later = gd.updated(first, 9, T0 + timedelta(hours=2), T0 + timedelta(hours=2, minutes=3))
    return [first, network(), dns(), port_probe(), later]


def export_lines(raw: Path) -> dict[str, list[dict]]:
    """Every export file (relative POSIX path) and its findings, read with the stdlib."""
    return {
        p.relative_to(raw).as_posix(): [
            json.loads(line) for line in gzip.decompress(p.read_bytes()).decode().splitlines()
        ]
        for p in sorted(raw.rglob("*.jsonl.gz"))
    }


def load(paths: list[Path], root: Path | None = None) -> tuple[int, list, list[dict]]:
    con = duckdb.connect()
    con.execute(gd.TABLE.ddl())
    count, skipped = gd.read_files(con, paths, root)
    rows = con.sql("SELECT * FROM guardduty ORDER BY file, id, count").to_arrow_table()
    return count, skipped, rows.to_pylist()


def test_api_call_finding_is_shaped_as_guardduty_exports_it():
    finding = api_call()
    assert [
        "schemaVersion", "accountId", "region", "partition", "id", "arn", "type", "resource",
        "service", "severity", "createdAt", "updatedAt", "title", "description",
    ] == list(finding)  # fmt: skip
    assert ("2.0", ACCOUNT, REGION, "aws") == (
        finding["schemaVersion"],
        finding["accountId"],
        finding["region"],
        finding["partition"],
    )
    assert re.fullmatch(r"[0-9a-f]{32}", finding["id"])
    assert (
        f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/{DETECTOR}/finding/{finding['id']}"
        == finding["arn"]
    )
    assert {
        "resourceType": "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": "AKIAEXAMPLEEXAMPLE12",
            "principalId": "AIDAEXAMPLEEXAMPLE123",
            "userName": "deploy-bot",
            "userType": "IAMUser",
        },
    } == finding["resource"]
    service = finding["service"]
    assert [
        "serviceName", "detectorId", "action", "resourceRole", "additionalInfo",
        "eventFirstSeen", "eventLastSeen", "archived", "count",
    ] == list(service)  # fmt: skip
    assert ("guardduty", DETECTOR, "TARGET", False, 1) == (
        service["serviceName"],
        service["detectorId"],
        service["resourceRole"],
        service["archived"],
        service["count"],
    )
    call = service["action"]["awsApiCallAction"]
    assert ("AWS_API_CALL", "ListBuckets", "s3.amazonaws.com", "Remote IP") == (
        service["action"]["actionType"],
        call["api"],
        call["serviceName"],
        call["callerType"],
    )
    assert {
        "ipAddressV4": "198.51.100.23",
        "organization": {
            "asn": "64496",
            "asnOrg": "Example Hosting B.V.",
            "isp": "Example Hosting",
            "org": "Example Hosting",
        },
        "country": {"countryName": "Netherlands"},
        "city": {"cityName": "Amsterdam"},
        "geoLocation": {"lat": 52.3759, "lon": 4.8975},
    } == call["remoteIpDetails"]
    assert "2026-01-02T03:04:05.123Z" == service["eventFirstSeen"]
    assert all(
        TIME.match(t)
        for t in (service["eventLastSeen"], finding["createdAt"], finding["updatedAt"])
    )
    assert 5 == finding["severity"]


def test_network_dns_and_port_probe_findings():
    connection = network()["service"]["action"]["networkConnectionAction"]
    assert ("INBOUND", "TCP", False) == (
        connection["connectionDirection"],
        connection["protocol"],
        connection["blocked"],
    )
    assert {"port": 22, "portName": "SSH"} == connection["localPortDetails"]
    assert {"port": 51234, "portName": "Unknown"} == connection["remotePortDetails"]
    instance = network()["resource"]["instanceDetails"]
    assert ("i-0abc1234def567890", "eu-west-1a", "running") == (
        instance["instanceId"],
        instance["availabilityZone"],
        instance["instanceState"],
    )
    (interface,) = instance["networkInterfaces"]
    assert {
        "networkInterfaceId": "eni-0a1b2c3d4e5f60718",
        "privateIpAddress": "10.0.1.5",
        "publicIp": "203.0.113.80",
        "subnetId": "subnet-0123abcd",
        "vpcId": "vpc-0aa11bb22cc33dd44",
        "securityGroups": [{"groupName": "web", "groupId": "sg-0123456789abcdef0"}],
    } == {k: interface[k] for k in ("networkInterfaceId", "privateIpAddress", "publicIp",
                                    "subnetId", "vpcId", "securityGroups")}  # fmt: skip
    assert {
        "actionType": "DNS_REQUEST",
        "dnsRequestAction": {"domain": "pool.minexmr.example", "protocol": "UDP", "blocked": False},
    } == dns()["service"]["action"]
    assert "ACTOR" == dns()["service"]["resourceRole"]
    probe = port_probe()["service"]["action"]["portProbeAction"]
    assert (False, {"port": 22, "portName": "SSH"}, "198.51.100.23") == (
        probe["blocked"],
        probe["portProbeDetails"][0]["localPortDetails"],
        probe["portProbeDetails"][0]["remoteIpDetails"]["ipAddressV4"],
    )
    assert 2.5 == port_probe()["severity"]


def test_updated_keeps_the_id_and_raises_the_count():
    first = api_call()
    later = gd.updated(first, 9, T0 + timedelta(hours=2), T0 + timedelta(hours=2, minutes=3))
    assert (first["id"], first["arn"], first["createdAt"]) == (
        later["id"],
        later["arn"],
        later["createdAt"],
    )
    assert (9, "2026-01-02T05:04:05.123Z", "2026-01-02T05:07:05.123Z") == (
        later["service"]["count"],
        later["service"]["eventLastSeen"],
        later["updatedAt"],
    )
    assert 1 == first["service"]["count"]  # the first version is left as it was


def test_export_files_in_guardduty_s3_layout(tmp_path):
    gd.write_native(findings(), tmp_path, salt="s1")
    files = export_lines(tmp_path)
    assert all(EXPORT_KEY.match(key) for key in files)
    assert {4} == {uuid.UUID(EXPORT_KEY.match(key)["uuid"]).version for key in files}
    # the new findings in one 5-minute export, the update in the 6-hourly one
    assert [[api_call(), network(), dns(), port_probe()], [findings()[-1]]] == sorted(
        files.values(), key=len, reverse=True
    )
    assert {"2026/01/02"} == {"/".join(key.split("/")[4:7]) for key in files}


def test_new_findings_export_within_5_minutes_updates_at_6_hour_boundaries():
    first, *_, later = findings()
    assert "2026-01-02T03:06:05.123Z" == first["updatedAt"]
    assert datetime(2026, 1, 2, 3, 10, tzinfo=UTC) == gd.export_time(first)
    assert "2026-01-02T05:07:05.123Z" == later["updatedAt"]
    assert datetime(2026, 1, 2, 6, 0, tzinfo=UTC) == gd.export_time(later)


def test_export_lines_are_compact_json_in_key_order(tmp_path):
    gd.write_native([api_call()], tmp_path, salt="s1")
    (path,) = tmp_path.rglob("*.jsonl.gz")
    text = gzip.decompress(path.read_bytes()).decode()
    assert json.dumps(api_call(), separators=(",", ":")) + "\n" == text


def test_rerun_writes_byte_identical_files(tmp_path):
    gd.write_native(findings(), tmp_path / "a", salt="s1")
    gd.write_native(findings(), tmp_path / "b", salt="s1")
    first, second = (
        {p.relative_to(root): p.read_bytes() for p in root.rglob("*.jsonl.gz")}
        for root in (tmp_path / "a", tmp_path / "b")
    )
    assert 2 == len(first)
    assert first == second


def test_one_export_holds_only_the_latest_version_of_a_finding(tmp_path):
    first = api_call()
    soon = gd.updated(first, 2, T0 + timedelta(minutes=30), T0 + timedelta(minutes=31))
    later = gd.updated(soon, 3, T0 + timedelta(hours=1), T0 + timedelta(hours=1, minutes=1))
    rows = gd.write_native([first, soon, later], tmp_path, salt="s1")
    assert [1, 3] == rows.column("count").to_pylist()


def test_read_files_loads_exactly_the_rows_write_native_returned(tmp_path):
    rows = gd.write_native(findings(), tmp_path, salt="s1")
    assert gd.TABLE.names == rows.column_names
    count, skipped, loaded = load(sorted(tmp_path.rglob("*.jsonl.gz")), root=tmp_path)
    assert (5, []) == (count, skipped)
    expected = sorted(rows.to_pylist(), key=lambda r: (r["file"], r["id"], r["count"]))
    assert expected == loaded


def test_catalog_columns_of_an_api_call_finding(tmp_path):
    gd.write_native([api_call()], tmp_path, salt="s1")
    _, _, (row,) = load(list(tmp_path.rglob("*.jsonl.gz")), root=tmp_path)
    assert {
        "type": "Recon:IAMUser/MaliciousIPCaller",
        "severity": 5.0,
        "account_id": ACCOUNT,
        "resource_type": "AccessKey",
        "access_key_id": "AKIAEXAMPLEEXAMPLE12",
        "user_name": "deploy-bot",
        "instance_id": None,
        "action_type": "AWS_API_CALL",
        "api": "ListBuckets",
        "remote_ip": "198.51.100.23",
        "remote_country": "Netherlands",
        "remote_org": "Example Hosting B.V.",
        "first_seen": datetime(2026, 1, 2, 3, 4, 5, 123000),
        "count": 1,
    } == {k: row[k] for k in ("type", "severity", "account_id", "resource_type",
                              "access_key_id", "user_name", "instance_id", "action_type", "api",
                              "remote_ip", "remote_country", "remote_org", "first_seen",
                              "count")}  # fmt: skip
    assert api_call() == json.loads(row["finding"])


def test_eventbridge_events_one_per_line_and_in_an_array(tmp_path):
    def event(finding: dict) -> dict:
        return {
            "version": "0",
            "id": str(uuid.UUID(finding["id"])),
            "detail-type": "GuardDuty Finding",
            "source": "aws.guardduty",
            "account": ACCOUNT,
            "time": finding["updatedAt"][:19] + "Z",
            "region": REGION,
            "resources": [],
            "detail": finding,
        }

    lines = tmp_path / "events.jsonl"
    lines.write_text("".join(json.dumps(event(f)) + "\n" for f in (api_call(), dns())))
    array = tmp_path / "events.json"
    array.write_text(json.dumps([event(network())], indent=2))
    plain = tmp_path / "findings.json"
    plain.write_text(json.dumps([port_probe()], indent=4))
    count, skipped, rows = load([lines, array, plain])
    assert (4, []) == (count, skipped)
    assert [
        ("events.json", "NETWORK_CONNECTION"),
        ("events.jsonl", "AWS_API_CALL"),
        ("events.jsonl", "DNS_REQUEST"),
        ("findings.json", "PORT_PROBE"),
    ] == sorted((Path(r["file"]).name, r["action_type"]) for r in rows)


def test_bad_files_are_skipped_with_a_reason_and_good_ones_load(tmp_path):
    gd.write_native(findings(), tmp_path / "raw", salt="s1")
    good = sorted((tmp_path / "raw").rglob("*.jsonl.gz"))
    whole = good[0].read_bytes()
    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(whole[: len(whole) // 2])
    cloudtrail = tmp_path / "trail.json"
    cloudtrail.write_text('{"Records": [{"eventVersion": "1.09", "eventName": "ListBuckets"}]}')
    half_line = tmp_path / "half.jsonl"
    half_line.write_text(json.dumps(dns()) + "\n" + json.dumps(api_call())[:50] + "\n")
    text = tmp_path / "notes.json"
    text.write_text("these are not findings")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")

    count, skipped, rows = load([*good, truncated, cloudtrail, half_line, text, empty])
    assert 5 == count == len(rows)
    assert [truncated, cloudtrail, half_line, text, empty] == [p for p, _ in skipped]
    reasons = [reason for _, reason in skipped]
    assert all(reason and "\n" not in reason for reason in reasons)
    assert "Compressed file ended" in reasons[0]
    assert "not a GuardDuty finding" in reasons[1]
    assert "line 2 is not JSON" in reasons[2]
    assert "empty file" in reasons[4]


def test_latest_view_has_one_row_per_finding(tmp_path):
    gd.write_native(findings(), tmp_path, salt="s1")
    con = duckdb.connect()
    con.execute(gd.TABLE.ddl())
    gd.read_files(con, sorted(tmp_path.rglob("*.jsonl.gz")), tmp_path)
    con.execute(gd.LATEST_VIEW_SQL)
    latest = con.sql("SELECT id, count FROM guardduty_latest ORDER BY id").fetchall()
    expected = sorted((f["id"], f["service"]["count"]) for f in findings()[1:])
    assert expected == latest


def test_looks_like():
    assert gd.looks_like(Path("a.jsonl"), json.dumps(api_call())[:1024])
    assert gd.looks_like(Path("e.json"), '{"version": "0", "detail-type": "GuardDuty Finding"')
    assert not gd.looks_like(Path("trail.json"), '{"Records": [{"eventVersion": "1.09"}]}')
    assert not gd.looks_like(Path("flows.log"), "version account-id interface-id srcaddr")
