"""The API catalogue and the template filler (helpers.aws_api)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from helpers.aws_api import (
    API,
    PLACEHOLDERS,
    Api,
    MissingPlaceholderError,
    fill,
    json_escape,
    placeholders,
)

REAL_LOGS = Path(__file__).resolve().parents[1].parent / "shared" / "real-logs"

JSON_FIELDS = ("request", "response", "additional", "resources", "service_details")
TEXT_FIELDS = ("denied_message", "host")
NUMBERS = {"epoch_ms": 1767326645000, "bytes_out": 48213, "port": 22, "count": 2}
#: A string value with every character JSON must escape.
NASTY = 'q"b\\s\n\t\r\x00\x1f é'


def sample_values(n: int = 3) -> dict[str, object]:
    """A value for every placeholder: arrays of ``n`` for strings, scalars for numbers."""
    values: dict[str, object] = {}
    for i, name in enumerate(sorted(PLACEHOLDERS)):
        if name in NUMBERS:
            values[name] = NUMBERS[name]
        elif i % 2:
            values[name] = pa.array([f"{name}-{j}{NASTY}" for j in range(n)])
        else:
            values[name] = f"{name}{NASTY}"  # a scalar, broadcast
    return values


def templates(api: Api, fields: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(f, getattr(api, f)) for f in fields if getattr(api, f)]


# --------------------------------------------------------------------------- catalogue


REQUIRED = (
    "ConsoleLogin",
    "GetCallerIdentity",
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "GetSessionToken",
    "DescribeInstances",
    "DescribeRegions",
    "DescribeSecurityGroups",
    "DescribeVpcs",
    "DescribeSubnets",
    "DescribeImages",
    "DescribeKeyPairs",
    "DescribeVolumes",
    "DescribeSnapshots",
    "RunInstances",
    "TerminateInstances",
    "StartInstances",
    "StopInstances",
    "CreateTags",
    "CreateKeyPair",
    "ImportKeyPair",
    "AuthorizeSecurityGroupIngress",
    "CreateSecurityGroup",
    "ListBuckets",
    "GetBucketPolicy",
    "GetBucketAcl",
    "GetBucketLocation",
    "GetBucketVersioning",
    "GetBucketEncryption",
    "GetBucketPublicAccessBlock",
    "PutBucketPolicy",
    "ListObjects",
    "GetObject",
    "PutObject",
    "DeleteObject",
    "HeadObject",
    "ListUsers",
    "GetUser",
    "ListRoles",
    "GetRole",
    "ListPolicies",
    "GetPolicy",
    "GetPolicyVersion",
    "ListAttachedUserPolicies",
    "ListAttachedRolePolicies",
    "ListUserPolicies",
    "ListRolePolicies",
    "ListGroupsForUser",
    "ListAccessKeys",
    "ListMFADevices",
    "GetAccountAuthorizationDetails",
    "GetAccountSummary",
    "CreateUser",
    "CreateAccessKey",
    "AttachUserPolicy",
    "CreateLoginProfile",
    "DeleteAccessKey",
    "UpdateAccessKey",
    "CreateRole",
    "UpdateAssumeRolePolicy",
    "PutRolePolicy",
    "AttachRolePolicy",
    "ListSecrets",
    "DescribeSecret",
    "GetSecretValue",
    "GetParameter",
    "GetParameters",
    "GetParametersByPath",
    "Decrypt",
    "GenerateDataKey",
    "Encrypt",
    "ListFunctions20150331",
    "GetFunction20150331v2",
    "UpdateFunctionCode20150331v2",
    "ListClusters",
    "DescribeDBInstances",
    "DescribeLogGroups",
    "CreateLogStream",
    "StopLogging",
    "DeleteTrail",
    "PutEventSelectors",
    "DescribeTrails",
    "GetTrailStatus",
    "LookupEvents",
    "ModifySnapshotAttribute",
    "ModifyImageAttribute",
    "CreateSnapshot",
    "GetFindings",
    "ListDetectors",
    "RotateKey",
)


def test_catalogue_has_the_required_calls():
    assert set(REQUIRED) <= set(API)
    assert all(name == api.name for name, api in API.items())


def test_templates_use_only_the_vocabulary():
    for api in API.values():
        for field, template in templates(api, JSON_FIELDS + TEXT_FIELDS):
            unknown = set(placeholders(template)) - set(PLACEHOLDERS)
            assert not unknown, f"{api.name}.{field} uses {unknown}"


@pytest.mark.parametrize("name", sorted(API))
def test_every_template_fills_to_valid_json(name):
    api = API[name]
    n = 3
    values = sample_values(n)
    for field, template in templates(api, JSON_FIELDS):
        for text in fill(template, n, values).to_pylist():
            doc = json.loads(text)  # raises on any escaping mistake
            if field == "resources":
                assert isinstance(doc, list) and doc
                for resource in doc:
                    assert "ARN" in resource or "ARNPrefix" in resource
            else:
                assert isinstance(doc, dict) and doc
            assert not placeholders(text), f"{name}.{field}: unfilled {placeholders(text)}"
    for field, template in templates(api, TEXT_FIELDS):
        out = fill(template, n, values, escape=False).to_pylist()
        assert all(isinstance(s, str) and s for s in out), field


def test_string_values_round_trip_through_the_json():
    values = sample_values(2)
    doc = json.loads(fill(API["CreateUser"].response, 2, values)[1].as_py())
    assert doc["user"]["userName"] == values["target_user"].to_pylist()[1]
    assert doc["user"]["arn"].endswith(values["target_user"].to_pylist()[1])
    doc = json.loads(fill(API["AuthorizeSecurityGroupIngress"].request, 2, values)[0].as_py())
    assert doc["ipPermissions"]["items"][0]["fromPort"] == 22  # a JSON number


def test_realism_facts():
    login = API["ConsoleLogin"]
    assert (login.source, login.event_type, login.request) == (
        "signin.amazonaws.com",
        "AwsConsoleSignIn",
        None,
    )
    assert json.loads(fill(login.response, 1, {"login_result": "Failure"})[0].as_py()) == {
        "ConsoleLogin": "Failure"
    }
    assert set(json.loads(fill(login.additional, 1, sample_values(1))[0].as_py())) == {
        "LoginTo",
        "MobileVersion",
        "MFAUsed",
    }
    assert (login.denied_code, login.denied_message) == ("", "Failed authentication")
    # No secrets in the logs.
    assert "secret" not in API["CreateAccessKey"].response.lower()
    assert keys_of(API["CreateLoginProfile"].request) == {"userName", "passwordResetRequired"}
    assert "<sensitiveDataRemoved>" in API["CreateKeyPair"].response
    # IAM is global; STS, EC2 and the rest are regional.
    assert all(
        a.global_service and a.host == "iam.amazonaws.com"
        for a in API.values()
        if a.source == "iam.amazonaws.com"
    )
    assert not API["AssumeRole"].global_service
    assert API["DescribeInstances"].host == "ec2.{region}.amazonaws.com"
    # STS credential calls: AssumeRole* read-only, GetSessionToken not.
    assert API["AssumeRole"].read_only and API["AssumeRoleWithWebIdentity"].read_only
    assert not API["GetSessionToken"].read_only
    # Lambda event names carry the API version.
    assert {"ListFunctions20150331", "GetFunction20150331v2", "UpdateFunctionCode20150331v2"} <= {
        a.name for a in API.values() if a.source == "lambda.amazonaws.com"
    }
    # S3 object calls are data events; bucket calls management events.
    data = {a.name for a in API.values() if a.category == "Data"}
    assert data == {"GetObject", "PutObject", "DeleteObject", "ListObjects", "HeadObject"}
    assert all(a.source == "s3.amazonaws.com" for a in API.values() if a.category == "Data")
    get = json.loads(fill(API["GetObject"].resources, 1, sample_values(1))[0].as_py())
    assert [r["type"] for r in get] == ["AWS::S3::Object", "AWS::S3::Bucket"]
    assert "accountId" not in get[0] and "accountId" in get[1]
    # EC2 denials are Client.UnauthorizedOperation.
    assert all(
        a.denied_code == "Client.UnauthorizedOperation"
        for a in API.values()
        if a.source == "ec2.amazonaws.com" and a.event_type == "AwsApiCall"
    )
    # Two service events AWS really logs.
    for name in ("RotateKey", "SharedSnapshotCopyInitiated"):
        api = API[name]
        assert api.event_type == "AwsServiceEvent" and api.service_details
        assert api.request is None and api.response is None and api.host is None
    # AWS logs null responseElements for reads.
    reads = [a for a in API.values() if a.read_only and a.source != "sts.amazonaws.com"]
    assert all(a.response is None for a in reads)


def test_run_instances_response_is_full():
    doc = json.loads(fill(API["RunInstances"].response, 1, sample_values(1))[0].as_py())
    assert {"requestId", "reservationId", "ownerId", "groupSet", "instancesSet"} <= set(doc)
    item = doc["instancesSet"]["items"][0]
    assert item["instanceState"] == {"code": 0, "name": "pending"}
    assert item["launchTime"] == NUMBERS["epoch_ms"]
    for key in (
        "instanceId",
        "imageId",
        "privateDnsName",
        "keyName",
        "amiLaunchIndex",
        "productCodes",
        "instanceType",
        "placement",
        "monitoring",
        "subnetId",
        "vpcId",
        "privateIpAddress",
        "sourceDestCheck",
        "networkInterfaceSet",
        "ebsOptimized",
    ):
        assert key in item, key


# --------------------------------------------------------------------------- real logs


def real_records() -> list[dict]:
    if not REAL_LOGS.is_dir():
        pytest.skip(f"no real CloudTrail samples at {REAL_LOGS} (they live beside the project)")
    records: list[dict] = []
    for path in sorted(REAL_LOGS.glob("invictus-ir_aws_dataset/*.json")):
        records += json.loads(path.read_text())["Records"]
    for path in sorted(REAL_LOGS.glob("datadog_stratus-red-team/*.json")):
        records += json.loads(path.read_text())
    if not records:
        pytest.skip(f"no CloudTrail JSON files under {REAL_LOGS}")
    return records


def keys_of(text: str | None) -> set[str]:
    return set(json.loads(fill(text, 1, sample_values(1))[0].as_py())) if text else set()


def test_catalogue_agrees_with_real_records():
    by_name: dict[str, list[dict]] = {}
    for record in real_records():
        by_name.setdefault(record["eventName"], []).append(record)
    overlap = sorted(set(by_name) & set(API))
    assert len(overlap) >= 20, overlap
    for name in overlap:
        api, records = API[name], by_name[name]
        assert {r["eventSource"] for r in records} == {api.source}, name
        assert {r.get("eventType") for r in records} == {api.event_type}, name
        assert {r["readOnly"] for r in records} == {api.read_only}, name
        assert {r.get("eventCategory", "Management") for r in records} == {api.category}, name

        # requestParameters: null where AWS logs null; otherwise our keys are a
        # subset of the keys AWS logged for that call.
        real_requests = [r.get("requestParameters") for r in records]
        if api.request is None:
            assert None in real_requests, f"{name}: AWS logs requestParameters here"
        else:
            logged = set().union(*(set(p) for p in real_requests if p))
            assert logged, f"{name}: AWS logs requestParameters null here"
            assert keys_of(api.request) <= logged, (name, keys_of(api.request) - logged)

        # responseElements of successful calls: null exactly where AWS logs null.
        ok = [r for r in records if "errorCode" not in r and "errorMessage" not in r]
        if ok:
            real_null = all(r.get("responseElements") is None for r in ok)
            assert (api.response is None) == real_null, f"{name}: responseElements null-ness"

        real_additional = [r["additionalEventData"] for r in records if "additionalEventData" in r]
        if api.additional and real_additional:
            logged = set().union(*(set(a) for a in real_additional))
            assert keys_of(api.additional) <= logged, name

        real_types = {res.get("type") for r in records for res in r.get("resources", [])}
        if api.resources and real_types:
            ours = {
                res.get("type")
                for res in json.loads(fill(api.resources, 1, sample_values(1))[0].as_py())
            }
            assert ours <= real_types, name


# --------------------------------------------------------------------------- fill


def test_fill_escapes_quotes_backslashes_and_control_characters():
    raw = ['he said "hi"', "C:\\temp\\x", "line\nbreak\ttab\rcr", "\x00\x01\x08\x0c\x1f", "é ☃"]
    out = fill('{"v":"{v}"}', len(raw), {"v": pa.array(raw)})
    assert [json.loads(s)["v"] for s in out.to_pylist()] == raw
    # Same escaping as json.dumps, character for character.
    assert json_escape(pa.array(raw)).to_pylist() == [
        json.dumps(s, ensure_ascii=False)[1:-1] for s in raw
    ]
    # Scalars too.
    assert json.loads(fill('{"v":"{v}"}', 2, {"v": raw[1]})[0].as_py())["v"] == raw[1]


def test_json_escape_layouts():
    raw = ["a", 'b"', None, "c\\", "", "d\n"]
    want = [None if s is None else json.dumps(s)[1:-1] for s in raw]
    arr = pa.array(raw)
    assert json_escape(arr).to_pylist() == want
    assert json_escape(arr.slice(1, 4)).to_pylist() == want[1:5]
    assert json_escape(arr.cast(pa.large_string())).to_pylist() == want
    assert json_escape(arr.dictionary_encode()).to_pylist() == want
    assert json_escape(pa.chunked_array([raw[:3], raw[3:]])).to_pylist() == want
    clean = pa.array(["x", "y"])
    assert json_escape(clean) is clean  # nothing to escape: no copy
    assert json_escape(pa.array([], pa.string())).to_pylist() == []


def test_fill_broadcasts_scalars():
    out = fill('{"a":"{a}","b":"{b}","n":{n}}', 4, {"a": "x", "b": "y", "n": 7})
    assert len(out) == 4 and out.type == pa.string()
    assert set(out.to_pylist()) == {'{"a":"x","b":"y","n":7}'}
    mixed = fill("{a}-{b}", 3, {"a": "k", "b": pa.array(["1", "2", "3"])})
    assert mixed.to_pylist() == ["k-1", "k-2", "k-3"]
    no_placeholders = fill('{"regionSet":{}}', 2, {})
    assert no_placeholders.to_pylist() == ['{"regionSet":{}}'] * 2


def test_fill_numbers_booleans_and_nulls():
    out = fill('{"n":{n},"b":{b}}', 2, {"n": pa.array([1, 22]), "b": True})
    assert [json.loads(s) for s in out.to_pylist()] == [{"n": 1, "b": True}, {"n": 22, "b": True}]
    # A null value nulls its row (the record logs null); a None value nulls them all.
    out = fill('{"u":"{u}"}', 3, {"u": pa.array(["a", None, "c"])})
    assert out.to_pylist() == ['{"u":"a"}', None, '{"u":"c"}']
    assert fill('{"u":"{u}"}', 2, {"u": None}).to_pylist() == [None, None]
    assert fill(None, 3, {}).to_pylist() == [None, None, None]
    assert fill(None, 3, {}).type == pa.string()


def test_fill_names_a_missing_placeholder():
    with pytest.raises(MissingPlaceholderError, match=r"\{role_arn\}"):
        fill(API["AssumeRole"].request, 2, {"session": "s"})
    with pytest.raises(KeyError):  # it is a KeyError too
        fill("{x}", 1, {})


def test_fill_rejects_arrays_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"\{u\}: 2 values for 3 rows"):
        fill("{u}", 3, {"u": pa.array(["a", "b"])})


def test_fill_text_templates_without_escaping():
    api = API["ListUsers"]
    arn = "arn:aws:iam::111122223333:user/alice"
    msg = fill(api.denied_message, 1, {"caller_arn": arn, "account": "111122223333"}, escape=False)
    assert msg[0].as_py() == (
        f"User: {arn} is not authorized to perform: iam:ListUsers on resource: "
        "arn:aws:iam::111122223333:user/ because no identity-based policy allows "
        "the iam:ListUsers action"
    )
    host = fill(API["GetObject"].host, 1, {"bucket": "b", "region": "eu-west-1"}, escape=False)
    assert host[0].as_py() == "b.s3.eu-west-1.amazonaws.com"


def test_placeholders_ignores_json_braces():
    assert placeholders('{"a":{},"b":{"c":"{x}"},"d":{n},"e":"{x}"}') == ("x", "n")
    assert placeholders(None) == ()


@pytest.mark.slow
def test_fill_speed():
    n = 1_000_000
    rng = np.random.default_rng(0)
    pool = np.array([f"user-{i:04d}" for i in range(500)], dtype=object)
    values = {
        "user": pa.array(pool[rng.integers(0, 500, n)]),
        "bucket": pa.array(pool[rng.integers(0, 500, n)]),
        "key": pa.array(pool[rng.integers(0, 500, n)]),
        "bytes_out": pa.array(rng.integers(0, 10**6, n)),
        "region": "us-east-1",
    }
    template = (
        '{"userName":"{user}","bucketName":"{bucket}",'
        '"Host":"{bucket}.s3.{region}.amazonaws.com","key":"{key}","bytes":{bytes_out}}'
    )
    best = min(_timed(lambda: fill(template, n, values)) for _ in range(3))
    assert best < 1.0, f"{best:.2f}s for 1M rows"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
