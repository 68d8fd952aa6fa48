"""CloudTrail: FRAME -> AWS delivery files -> catalog rows, and real logs -> the same table."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from helpers.cloudtrail import FRAME, TABLE, looks_like, read_files, render_records, write_native

ACCOUNT = "123456789012"
SALT = "test-salt"
REAL_LOGS = Path(__file__).resolve().parents[2] / "shared" / "real-logs"  # <repo>/../shared

KEY = re.compile(
    r"AWSLogs/(?P<account>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/"
    r"(?P<folder>\d{4}/\d{2}/\d{2})/(?P=account)_CloudTrail_(?P=region)_"
    r"(?P<delivered>\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz"
)


def compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def at(minute: int, second: int = 0) -> datetime:
    return datetime(2026, 1, 2, 3, 0, 0, tzinfo=UTC) + timedelta(minutes=minute, seconds=second)


def event(event_id: str, **fields: object) -> dict:
    """One FRAME row: an IAM user's successful API call unless fields say otherwise."""
    row = dict.fromkeys(FRAME.names)
    row.update(
        event_time=at(1),
        event_version="1.09",
        event_source="iam.amazonaws.com",
        event_name="ListUsers",
        aws_region="us-east-1",
        source_ip="203.0.113.7",
        user_agent="aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64",
        identity_type="IAMUser",
        principal_id="AIDAEXAMPLEUSER00001",
        arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
        account_id=ACCOUNT,
        access_key_id="AKIAEXAMPLEKEY000001",
        user_name="alice",
        request_id=f"req-{event_id}",
        event_id=event_id,
        read_only=True,
        event_type="AwsApiCall",
        management_event=True,
        event_category="Management",
        recipient_account_id=ACCOUNT,
        tls_version="TLSv1.3",
        cipher_suite="TLS_AES_128_GCM_SHA256",
        tls_host="iam.amazonaws.com",
    )
    row.update(fields)
    return row


ROLE_SESSION = dict(
    identity_type="AssumedRole",
    principal_id="AROAEXAMPLEROLE00001:i-0abc",
    arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/web-app/i-0abc",
    access_key_id="ASIAEXAMPLETEMP00001",
    user_name=None,
    issuer_type="Role",
    issuer_principal_id="AROAEXAMPLEROLE00001",
    issuer_arn=f"arn:aws:iam::{ACCOUNT}:role/web-app",
    issuer_account_id=ACCOUNT,
    issuer_user_name="web-app",
    session_created=at(0),
    mfa_authenticated=False,
)
EC2_SERVICE = dict(
    identity_type="AWSService",
    principal_id=None,
    arn=None,
    account_id=None,
    access_key_id=None,
    user_name=None,
    invoked_by="ec2.amazonaws.com",
    source_ip="ec2.amazonaws.com",
    user_agent="ec2.amazonaws.com",
    tls_version=None,
    cipher_suite=None,
    tls_host=None,
)
CONSOLE_LOGIN = dict(
    event_source="signin.amazonaws.com",
    event_name="ConsoleLogin",
    event_type="AwsConsoleSignIn",
    access_key_id=None,
    read_only=False,
    user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    tls_host="signin.aws.amazon.com",
)


def sample_frame() -> pa.Table:
    """A few events of each identity shape, a denied call, console logins, two regions."""
    rows = [
        event("e01", event_time=at(0, 5)),
        event("e02", event_time=at(0, 9), event_name="GetUser", request_parameters=compact({})),
        event(
            "e03",
            event_time=at(0, 30),
            event_name="CreateAccessKey",
            read_only=False,
            request_parameters=compact({"userName": "deploy"}),
            response_elements=compact(
                {"accessKey": {"accessKeyId": "AKIAEXAMPLENEWKEY001", "status": "Active"}}
            ),
        ),
        event(
            "e04",
            event_time=at(1, 2),
            event_source="s3.amazonaws.com",
            event_name="ListBuckets",
            error_code="AccessDenied",
            error_message=(
                f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: "
                's3:ListAllMyBuckets because no identity-based policy allows the "s3:List" action'
            ),
        ),
        event(
            "e05",
            event_time=at(2, 40),
            event_source="ec2.amazonaws.com",
            event_name="DescribeInstances",
            request_parameters=compact({"instancesSet": {}, "maxResults": 1000}),
            **ROLE_SESSION,
        ),
        event(
            "e06",
            event_time=at(3, 1),
            event_source="sts.amazonaws.com",
            event_name="AssumeRole",
            read_only=False,
            request_parameters=compact(
                {"roleArn": ROLE_SESSION["issuer_arn"], "durationSeconds": 3600}
            ),
            resources=compact(
                [
                    {
                        "accountId": ACCOUNT,
                        "type": "AWS::IAM::Role",
                        "ARN": ROLE_SESSION["issuer_arn"],
                    }
                ]
            ),
            shared_event_id="5b5a3c6e-0000-4000-8000-000000000006",
            **EC2_SERVICE,
        ),
        event(
            "e07",
            event_time=at(3, 50),
            user_agent='custom "agent" \\ with é and a\nnewline',
            event_name="ListRoles",
        ),
        event(
            "e08",
            event_time=at(4, 10),
            response_elements=compact({"ConsoleLogin": "Success"}),
            additional_event_data=compact(
                {
                    "LoginTo": "https://console.aws.amazon.com/",
                    "MobileVersion": "No",
                    "MFAUsed": "Yes",
                }
            ),
            **CONSOLE_LOGIN,
        ),
        event(
            "e09",
            event_time=at(4, 20),
            error_message="Failed authentication",
            response_elements=compact({"ConsoleLogin": "Failure"}),
            additional_event_data=compact(
                {
                    "LoginTo": "https://console.aws.amazon.com/",
                    "MobileVersion": "No",
                    "MFAUsed": "No",
                }
            ),
            **CONSOLE_LOGIN,
        ),
        event(
            "e10",
            event_time=at(4, 30),
            event_source="health.amazonaws.com",
            event_name="DescribeEventAggregates",
            access_key_id="ASIAEXAMPLECONSOLE01",
            session_created=at(-20),
            mfa_authenticated=True,
            console_session=True,
        ),
        event(
            "e11",
            event_time=at(7, 0),
            identity_type="Root",
            principal_id=ACCOUNT,
            arn=f"arn:aws:iam::{ACCOUNT}:root",
            access_key_id="",
            user_name=None,
            event_name="GetAccountSummary",
        ),
        event("e12", event_time=at(2, 0), aws_region="eu-west-1", event_name="ListPolicies"),
    ]
    return pa.Table.from_pylist(rows, schema=FRAME)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Table]:
    raw = tmp_path_factory.mktemp("raw")
    return raw, write_native(sample_frame(), raw, ACCOUNT, SALT)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(TABLE.ddl())
    return con


def delivery_files(raw: Path) -> list[Path]:
    return sorted(raw.rglob("*.json.gz"))


def records_of(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        body = json.load(f)
    assert ["Records"] == list(body)
    return body["Records"]


def all_records(raw: Path) -> dict[str, dict]:
    return {r["eventID"]: r for path in delivery_files(raw) for r in records_of(path)}


def test_render_records_writes_keys_in_aws_order():
    rendered = render_records(duckdb.connect(), sample_frame())

    role_session = json.loads(rendered["record"][4].as_py())
    assert [
        "eventVersion",
        "userIdentity",
        "eventTime",
        "eventSource",
        "eventName",
        "awsRegion",
        "sourceIPAddress",
        "userAgent",
        "requestParameters",
        "responseElements",
        "requestID",
        "eventID",
        "readOnly",
        "eventType",
        "managementEvent",
        "recipientAccountId",
        "eventCategory",
        "tlsDetails",
    ] == list(role_session)
    assert {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEROLE00001:i-0abc",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/web-app/i-0abc",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLETEMP00001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLE00001",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/web-app",
                "accountId": ACCOUNT,
                "userName": "web-app",
            },
            "attributes": {"creationDate": "2026-01-02T03:00:00Z", "mfaAuthenticated": "false"},
        },
    } == role_session["userIdentity"]
    assert "2026-01-02T03:02:40Z" == role_session["eventTime"]
    assert 12 == rendered.num_rows


def test_strings_are_json_escaped_whether_repeated_or_unique():
    # a repeated value is rendered once per distinct value, a unique one per row
    tricky = 'say "hi" \\ tab\t, bell\x07, é, 😀'
    rows = [
        event(f"x{i:02d}", user_agent=tricky, error_message=f"{tricky} #{i}") for i in range(16)
    ]
    rendered = render_records(duckdb.connect(), pa.Table.from_pylist(rows, schema=FRAME))

    records = [json.loads(r) for r in rendered["record"].to_pylist()]
    assert [tricky] * 16 == [r["userAgent"] for r in records]
    assert [f"{tricky} #{i}" for i in range(16)] == [r["errorMessage"] for r in records]


def test_key_layout_is_aws_layout(written):
    raw, _ = written
    keys = [p.relative_to(raw).as_posix() for p in delivery_files(raw)]

    # one file per region per 5-minute window: us-east-1 03:00 and 03:05, eu-west-1 03:00
    assert 3 == len(keys)
    for key in keys:
        match = KEY.fullmatch(key)
        assert match, key
        delivered = datetime.strptime(match["delivered"], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
        assert delivered.strftime("%Y/%m/%d") == match["folder"]
        newest = max(datetime.fromisoformat(r["eventTime"]) for r in records_of(Path(raw, key)))
        window_end = newest.replace(minute=newest.minute // 5 * 5, second=0) + timedelta(minutes=5)
        assert window_end < delivered <= window_end + timedelta(minutes=5)
        assert {match["region"]} == {r["awsRegion"] for r in records_of(Path(raw, key))}


def test_files_read_with_the_standard_library_as_aws_writes_them(written):
    raw, _ = written
    records = all_records(raw)

    assert {f"e{i:02d}" for i in range(1, 13)} == set(records)
    created = records["e03"]
    assert False is created["readOnly"]
    assert True is created["managementEvent"]
    assert {"userName": "deploy"} == created["requestParameters"]
    assert "AKIAEXAMPLENEWKEY001" == created["responseElements"]["accessKey"]["accessKeyId"]
    assert "errorCode" not in created
    assert "invokedBy" not in created["userIdentity"]
    assert "sessionContext" not in created["userIdentity"]

    denied = records["e04"]
    assert "AccessDenied" == denied["errorCode"]
    assert denied["errorMessage"].endswith('allows the "s3:List" action')
    assert denied["requestParameters"] is None
    assert denied["responseElements"] is None

    role = records["e05"]["userIdentity"]["sessionContext"]["attributes"]
    assert "false" == role["mfaAuthenticated"]

    service = records["e06"]
    assert {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"} == service["userIdentity"]
    assert "tlsDetails" not in service
    assert "AWS::IAM::Role" == service["resources"][0]["type"]

    assert 'custom "agent" \\ with é and a\nnewline' == records["e07"]["userAgent"]

    failure = records["e09"]
    assert "Failed authentication" == failure["errorMessage"]
    assert "errorCode" not in failure
    assert {"ConsoleLogin": "Failure"} == failure["responseElements"]

    console = records["e10"]
    assert "true" == console["sessionCredentialFromConsole"]
    assert {} == console["userIdentity"]["sessionContext"]["sessionIssuer"]
    assert "true" == console["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"]

    assert "" == records["e11"]["userIdentity"]["accessKeyId"]


def test_records_inside_a_file_are_shuffled(written):
    raw, _ = written
    biggest = max(delivery_files(raw), key=lambda p: len(records_of(p)))
    times = [r["eventTime"] for r in records_of(biggest)]

    assert 10 == len(times)
    assert sorted(times) != times


def test_writing_twice_gives_byte_identical_files(written, tmp_path):
    raw, _ = written
    write_native(sample_frame(), tmp_path, ACCOUNT, SALT)

    first = {p.relative_to(raw): p.read_bytes() for p in delivery_files(raw)}
    second = {p.relative_to(tmp_path): p.read_bytes() for p in delivery_files(tmp_path)}
    assert first == second


def test_reading_the_files_back_gives_the_rows_write_native_returned(written, con):
    raw, rows = written
    inserted, skipped = read_files(con, delivery_files(raw), root=raw)

    assert (12, []) == (inserted, skipped)
    assert TABLE.names == rows.column_names
    actual = con.sql("SELECT * FROM cloudtrail").to_arrow_table().cast(rows.schema)
    expected = rows.to_pandas().sort_values("event_id", ignore_index=True)
    pd.testing.assert_frame_equal(
        expected, actual.to_pandas().sort_values("event_id", ignore_index=True)
    )


def test_catalog_rows_name_the_user_and_mfa(written):
    _, rows = written
    by_id = {r["event_id"]: r for r in rows.to_pylist()}

    assert ("web-app", False) == (by_id["e05"]["user_name"], by_id["e05"]["mfa_authenticated"])
    assert f"arn:aws:iam::{ACCOUNT}:role/web-app" == by_id["e05"]["session_issuer_arn"]
    assert (True, False) == (by_id["e08"]["mfa_authenticated"], by_id["e09"]["mfa_authenticated"])
    assert None is by_id["e01"]["mfa_authenticated"]
    assert None is by_id["e04"]["request_parameters"]
    assert datetime(2026, 1, 2, 3, 1, 2) == by_id["e04"]["event_time"]
    assert by_id["e01"]["file"].startswith(f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/01/02/")


def test_read_files_loads_real_cloudtrail_logs(con):
    if not REAL_LOGS.is_dir():
        pytest.skip(f"real log samples not found at {REAL_LOGS} (shared/ beside the repo)")
    paths = sorted(REAL_LOGS.glob("invictus-ir_aws_dataset/*.json")) + sorted(
        REAL_LOGS.glob("datadog_stratus-red-team/*.json")
    )
    expected = {}
    for path in paths:
        body = json.loads(path.read_text())
        expected[path.relative_to(REAL_LOGS).as_posix()] = len(
            body["Records"] if isinstance(body, dict) else body
        )

    inserted, skipped = read_files(con, paths, root=REAL_LOGS)

    assert ([], sum(expected.values())) == (skipped, inserted)
    assert expected == dict(
        con.execute("SELECT file, count(*) FROM cloudtrail GROUP BY file").fetchall()
    )
    assert (
        0 == con.execute("SELECT count(*) FROM cloudtrail WHERE event_time IS NULL").fetchone()[0]
    )
    regions = {r for (r,) in con.execute("SELECT DISTINCT aws_region FROM cloudtrail").fetchall()}
    assert "us-north-2r" in regions  # made-up regions survive


def test_bad_files_are_skipped_with_a_reason_and_good_files_load(written, con, tmp_path):
    raw, _ = written
    good = delivery_files(raw)
    org = tmp_path / f"AWSLogs/o-abc123defg/{ACCOUNT}/CloudTrail/us-east-1/2026/01/02"
    org.mkdir(parents=True)
    org_trail = org / good[0].name
    shutil.copy(good[0], org_trail)
    big = write_native(big_frame(), tmp_path / "big", ACCOUNT, SALT)["file"][0].as_py()
    truncated = tmp_path / "truncated.json.gz"
    data = (tmp_path / "big" / big).read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    short = tmp_path / "short.json.gz"
    short.write_bytes(good[0].read_bytes()[:40])
    findings = tmp_path / "guardduty.json"
    findings.write_text('{"schemaVersion": "2.0", "type": "Recon:IAMUser/MaliciousIPCaller"}')
    empty = tmp_path / "empty.json"
    empty.write_text("")

    inserted, skipped = read_files(
        con, [org_trail, truncated, short, findings, empty, *good[1:]], root=tmp_path.parent
    )

    reasons = dict(skipped)
    assert {truncated, short, findings, empty} == set(reasons)
    assert reasons[truncated].startswith("corrupt or truncated (IO Error: Unexpected end of GZIP")
    assert reasons[short].startswith("unreadable or corrupt gzip")
    assert reasons[findings].startswith("not CloudTrail")
    assert reasons[empty].startswith("empty file")
    for reason in reasons.values():
        assert reason.endswith(
            'expected CloudTrail JSON: {"Records": [...]} or a JSON array of records'
        )
        assert "\n" not in reason
    assert (True,) == con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    assert len(records_of(org_trail)) + sum(len(records_of(p)) for p in good[1:]) == inserted
    files = {f for (f,) in con.execute("SELECT DISTINCT file FROM cloudtrail").fetchall()}
    assert org_trail.relative_to(tmp_path.parent).as_posix() in files


def big_frame() -> pa.Table:
    """Enough events in one window that the gzip outgrows the reader's first look."""
    rows = [
        event(f"big-{i:05d}", event_time=at(0, i % 300 // 5), request_parameters=compact({"i": i}))
        for i in range(3000)
    ]
    return pa.Table.from_pylist(rows, schema=FRAME)


def test_looks_like_sniffs_cloudtrail():
    record = '{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"ListUsers"'
    assert looks_like(Path("x.json"), '{"Records":[' + record)
    assert looks_like(Path("export.json"), "[\n  {\n" + record.replace('"', '"', 1))
    assert looks_like(Path("x.json.gz"), '{"Records": []}')
    assert not looks_like(
        Path("x.json"), '{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3"'
    )
    assert not looks_like(Path("finding.json"), '{"schemaVersion":"2.0","type":"Recon:IAMUser/X"}')
    digest = (
        f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2026/01/02/x_CloudTrail-Digest_x.json.gz"
    )
    assert not looks_like(Path(digest), '{"awsAccountId":"123456789012","digestStartTime":"..."}')
