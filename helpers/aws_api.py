"""The API calls the generator emits, as data, and a vectorised template filler.

:data:`API` maps a CloudTrail ``eventName`` to an :class:`Api`: its
``eventSource``, ``readOnly``, category, event type, the JSON templates of
``requestParameters`` / ``responseElements`` / ``additionalEventData`` /
``resources`` / ``serviceEventDetails``, its access-denied error, and the TLS
host header. Shapes follow real records (the files in ``../shared/real-logs``,
AWS's CloudTrail and IAM user guides, Stratus Red Team detonation logs); where
AWS logs ``responseElements`` as null for a read, the template is ``None``.

:func:`fill` turns one template into ``n`` JSON strings in one pass of
``pyarrow.compute.binary_join_element_wise``: the template is split once into
literal parts and placeholder names, each value is JSON-escaped (vectorised,
:func:`json_escape`) and scalars broadcast. A null value makes that row's result
null, which is how a call site says "this row logs null" (``GetUser`` without a
``userName``, for instance).

Placeholders
------------
Templates use ``{name}`` with a lower-case name; JSON braces never match (a
placeholder is a brace, an identifier and a brace). String placeholders sit
inside JSON strings; number placeholders (``epoch_ms``, ``bytes_out``,
``port``, ``count``) are written unquoted. The vocabulary is :data:`PLACEHOLDERS`.
Besides the agreed names, these were essential for real shapes and are added:

``other_account``
    an external 12-digit account: the one a snapshot / AMI is shared with, the
    one a backdoored trust policy or bucket policy lets in.
``role_id``
    the ``AROA...`` id of ``{role}`` (``assumedRoleUser.assumedRoleId`` is
    ``{role_id}:{session}``; ``CreateRole`` returns it).
``private_dns``
    an instance's private DNS name, ``ip-10-0-1-10.ec2.internal`` in us-east-1,
    ``ip-10-0-1-10.eu-west-1.compute.internal`` elsewhere.
``mac``
    an ENI's MAC address, ``12:b3:9a:0b:90:8b``.
``hex_id``
    16 lower-case hex digits for secondary ids written as ``key-0{hex_id}``,
    ``sgr-0{hex_id}``, ``eni-attach-0{hex_id}``, and the console sign-in state.
``fingerprint``
    an EC2 key fingerprint, colon-separated hex: 20 bytes (SHA-1) for a created
    key, 16 bytes (MD5) for an imported one.
``volume``
    an EBS volume id, ``vol-0`` + 16 hex.
``code_sha256``
    a Lambda package digest, 44 characters of base64 (``...=``).
``detector_id`` / ``finding_id``
    GuardDuty ids, 32 lower-case hex digits each.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "API",
    "PLACEHOLDERS",
    "Api",
    "MissingPlaceholderError",
    "fill",
    "json_escape",
    "placeholders",
]

#: Every placeholder a template may use, with what its value looks like.
PLACEHOLDERS: dict[str, str] = {
    "account": "the 12-digit account that owns the resource / receives the event",
    "region": "the region called, us-east-1",
    "caller_arn": "userIdentity.arn of the caller (user or assumed-role session)",
    "user": "the caller's IAM user name",
    "target_user": "the IAM user a call acts on (CreateUser, CreateAccessKey, ...)",
    "target_user_id": "the AIDA... id of target_user",
    "role": "an IAM role name",
    "role_arn": "arn:aws:iam::<account>:role/<role>",
    "session": "a role session name",
    "new_key": "an access key id the call creates or names (AKIA... / ASIA...)",
    "bucket": "an S3 bucket name",
    "key": "an S3 object key (no leading slash)",
    "instance_id": "i-0 + 16 hex",
    "instance_type": "t3.micro",
    "image_id": "ami-0 + 16 hex",
    "reservation_id": "r-0 + 16 hex",
    "eni": "eni-0 + 16 hex",
    "subnet": "subnet-0 + 16 hex",
    "vpc": "vpc-0 + 16 hex",
    "sg": "sg-0 + 16 hex",
    "private_ip": "10.0.1.10",
    "key_pair": "an EC2 key pair name",
    "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess",
    "secret_id": "a Secrets Manager secretId as sent: a name or the full secret ARN",
    "parameter": "an SSM parameter name starting with '/' (/prod/db/password)",
    "function": "a Lambda function name",
    "kms_key_id": "a KMS key id (a UUID)",
    "snapshot_id": "snap-0 + 16 hex",
    "trail": "a CloudTrail trail name",
    "repo": "a GitHub owner/repository",
    "login_result": "Success | Failure",
    "mfa_used": "Yes | No",
    "aws_time": "the locale date IAM/STS write in responses: Jan 2, 2026, 4:04:05 AM",
    "epoch_ms": "milliseconds since the epoch (a number)",
    "iso_time": "2026-01-02T04:04:05Z",
    "uuid": "a UUID; for EC2 it is responseElements.requestId, equal to the record's requestID",
    "uuid2": "a second UUID (clientToken, revisionId)",
    "token": "an opaque blob: an STS sessionToken (base64), or an EC2 encoded "
    "authorization failure message (base64url)",
    "port": "a TCP port (a number)",
    "cidr": "0.0.0.0/0",
    "az": "us-east-1a",
    "bytes_out": "bytes of the object moved: out for reads, in for writes (a number)",
    "x_amz_id_2": "S3's x-amz-id-2 host id (base64, 76 or more characters)",
    "count": "a small integer (a number)",
    "mfa_serial": "arn:aws:iam::<account>:mfa/<device>",
    # added, see the module docstring
    "other_account": "an external 12-digit account",
    "role_id": "the AROA... id of role",
    "private_dns": "ip-10-0-1-10.ec2.internal",
    "mac": "12:b3:9a:0b:90:8b",
    "hex_id": "16 lower-case hex digits",
    "fingerprint": "colon-separated hex digest of an EC2 key",
    "volume": "vol-0 + 16 hex",
    "code_sha256": "44 characters of base64",
    "detector_id": "32 lower-case hex digits",
    "finding_id": "32 lower-case hex digits",
}


@dataclass(frozen=True)
class Api:
    """One API call as CloudTrail logs it.

    Templates are JSON text with ``{placeholders}`` (see :data:`PLACEHOLDERS`);
    ``denied_message`` and ``host`` are plain text templates (fill them with
    ``escape=False``). ``denied_code == ""`` means the failure carries no
    ``errorCode`` (a failed ``ConsoleLogin`` has only ``errorMessage``); a
    ``denied_code`` and ``denied_message`` both empty mean the call cannot be
    denied (``GetCallerIdentity``).
    """

    name: str  # eventName
    source: str  # eventSource, e.g. "iam.amazonaws.com"
    read_only: bool
    category: str = "Management"  # "Data" for S3 object-level calls
    event_type: str = "AwsApiCall"  # AwsServiceEvent, AwsConsoleSignIn, ...
    request: str | None = None  # requestParameters; None -> written as null
    response: str | None = None  # responseElements; None -> null (most reads log null)
    additional: str | None = None  # additionalEventData; None -> omitted
    resources: str | None = None  # JSON list; None -> omitted
    denied_code: str = "AccessDenied"
    denied_message: str = ""
    global_service: bool = False  # logged in us-east-1 whatever region the caller uses
    host: str | None = None  # tlsDetails.clientProvidedHostHeader
    service_details: str | None = None  # serviceEventDetails (AwsServiceEvent); None -> omitted


class MissingPlaceholderError(KeyError):
    """A template names a placeholder that :func:`fill` was given no value for."""

    def __str__(self) -> str:
        return str(self.args[0])


# ---------------------------------------------------------------------------
# The filler
# ---------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@lru_cache(maxsize=1024)
def _split(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(literals, names)`` with ``len(literals) == len(names) + 1``."""
    parts = _PLACEHOLDER.split(template)
    return tuple(parts[0::2]), tuple(parts[1::2])


def placeholders(template: str | None) -> tuple[str, ...]:
    """The placeholder names a template uses, in order, without repeats.

    >>> placeholders('{"userName":"{target_user}","n":{count},"x":{}}')
    ('target_user', 'count')
    """
    if template is None:
        return ()
    return tuple(dict.fromkeys(_split(template)[1]))


_SHORT = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}


def _escape_scalar(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _offsets_and_data(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The (sliced) offsets and the whole data buffer of a string / large_string array."""
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.empty(0, np.uint8)
    )
    return offsets, data


def _as_string_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        return arr
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    return arr


def json_escape(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Escape strings for use inside a JSON string: ``"``, ``\\`` and control characters.

    Vectorised: one scan of the data buffer finds the rows that need it (usually
    none, and then ``arr`` comes back as it is); only those rows go through the
    replacements. Dictionary arrays escape their dictionary and are decoded.
    Nulls stay null.

    >>> json_escape(pa.array(['a"b', "c\\\\d", "e\\nf", None])).to_pylist()
    ['a\\\\"b', 'c\\\\\\\\d', 'e\\\\nf', None]
    """
    arr = _as_string_array(arr)
    if pa.types.is_dictionary(arr.type):
        escaped = json_escape(arr.dictionary)
        return pa.DictionaryArray.from_arrays(arr.indices, escaped).dictionary_decode()
    if len(arr) == 0:
        return arr
    offsets, data = _offsets_and_data(arr)
    seg = data[offsets[0] : offsets[-1]]
    bad = (seg < 0x20) | (seg == 0x22) | (seg == 0x5C)
    if not bad.any():
        return arr
    counts = np.concatenate(([0], np.cumsum(bad, dtype=np.int64)))
    rel = offsets - offsets[0]
    row_mask = (counts[rel[1:]] - counts[rel[:-1]]) > 0
    sub = arr.filter(pa.array(row_mask))
    present = set(np.unique(seg[bad]).tolist())
    if 0x5C in present:  # backslashes first, or the others' backslashes get doubled
        sub = pc.replace_substring(sub, "\\", "\\\\")
    if 0x22 in present:
        sub = pc.replace_substring(sub, '"', '\\"')
    for code in sorted(present - {0x5C, 0x22}):
        sub = pc.replace_substring(sub, chr(code), _SHORT.get(code, f"\\u{code:04x}"))
    return pc.replace_with_mask(arr, pa.array(row_mask), sub.cast(arr.type))


def _piece(name: str, value: object, n: int, escape: bool) -> pa.Array | pa.Scalar | str | None:
    """One value as a join argument: an escaped string array, or a Python string."""
    if isinstance(value, pa.Scalar):
        value = value.as_py()
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return _escape_scalar(value) if escape else value
    if isinstance(value, np.ndarray | list | tuple):
        value = pa.array(value)
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    if not isinstance(value, pa.Array):
        raise TypeError(
            f"placeholder {{{name}}}: expected a pyarrow array or a scalar, "
            f"got {type(value).__name__}"
        )
    if len(value) != n:
        raise ValueError(f"placeholder {{{name}}}: {len(value)} values for {n} rows")
    textual = (
        pa.types.is_string(value.type)
        or pa.types.is_large_string(value.type)
        or pa.types.is_string_view(value.type)
        or pa.types.is_dictionary(value.type)
        or pa.types.is_binary(value.type)
        or pa.types.is_large_binary(value.type)
    )
    if pa.types.is_string_view(value.type) or pa.types.is_binary(value.type):
        value = value.cast(pa.string())
    arr = json_escape(value) if escape and textual else _as_string_array(value)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr if arr.type == pa.string() else arr.cast(pa.string())


def fill(
    template: str | None,
    n: int,
    values: Mapping[str, pa.Array | str | int],
    *,
    escape: bool = True,
) -> pa.Array:
    """``n`` copies of ``template`` with each ``{name}`` replaced by ``values[name]``.

    A value is a scalar (broadcast to every row) or an array of ``n`` values.
    String values are JSON-escaped (``escape=False`` for plain-text templates:
    ``Api.denied_message``, ``Api.host``); numbers and booleans are written as
    JSON numbers / ``true`` / ``false``. A null value, or ``None``, makes the row
    null. A ``None`` template gives ``n`` nulls. Values the template does not use
    are ignored.

    >>> users = pa.array(['a"b', "c"])
    >>> fill('{"userName":"{user}","n":{count}}', 2, {"user": users, "count": 3}).to_pylist()
    ['{"userName":"a\\\\"b","n":3}', '{"userName":"c","n":3}']
    """
    if template is None:
        return pa.nulls(n, pa.string())
    literals, names = _split(template)
    if not names:
        return pa.repeat(pa.scalar(template, pa.string()), n)
    missing = [name for name in dict.fromkeys(names) if name not in values]
    if missing:
        listed = ", ".join(f"{{{name}}}" for name in missing)
        raise MissingPlaceholderError(
            f"no value for template placeholder {listed} (template: {template[:80]!r}...)"
        )
    piece_of = {name: _piece(name, values[name], n, escape) for name in dict.fromkeys(names)}
    if any(piece is None for piece in piece_of.values()):
        return pa.nulls(n, pa.string())
    # Literals and scalar values run together into one argument: fewer, longer
    # pieces make the join markedly faster.
    pieces: list[object] = [literals[0]]
    for name, literal in zip(names, literals[1:], strict=True):
        for part in (piece_of[name], literal):
            if isinstance(part, str) and isinstance(pieces[-1], str):
                pieces[-1] += part
            else:
                pieces.append(part)
    pieces = [p for p in pieces if not (isinstance(p, str) and not p)]
    if len(pieces) == 1 and isinstance(pieces[0], str):
        return pa.repeat(pa.scalar(pieces[0], pa.string()), n)
    if len(pieces) == 1:
        return pieces[0].cast(pa.string())  # type: ignore[union-attr]
    out = pc.binary_join_element_wise(*pieces, "")
    return out.cast(pa.string()) if out.type != pa.string() else out


# ---------------------------------------------------------------------------
# Template building: written as Python data, serialised once at import
# ---------------------------------------------------------------------------


def _n(name: str) -> str:
    """A number placeholder: serialised unquoted as ``{name}``."""
    return f"@@{name}@@"


def _j(obj: object) -> str:
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return re.sub(r'"@@([a-z0-9_]+)@@"', r"{\1}", text)


def _denied(action: str, resource: str | None = None) -> str:
    """IAM's wording of a denial: ``User: ... is not authorized to perform: ...``."""
    on = f" on resource: {resource}" if resource else ""
    return (
        f"User: {{caller_arn}} is not authorized to perform: {action}{on} "
        f"because no identity-based policy allows the {action} action"
    )


def _ec2_denied(action: str, resource: str | None = None) -> str:
    """EC2's wording; mutating calls add an encoded authorization failure message."""
    text = "You are not authorized to perform this operation. " + _denied(f"ec2:{action}", resource)
    return text + (". Encoded authorization failure message: {token}" if resource else "")


# IAM (global: logged in us-east-1, host iam.amazonaws.com)


def _iam(
    name: str,
    read_only: bool,
    request: object = None,
    response: object = None,
    resource: str = "*",
) -> Api:
    return Api(
        name=name,
        source="iam.amazonaws.com",
        read_only=read_only,
        request=None if request is None else _j(request),
        response=None if response is None else _j(response),
        denied_message=_denied(f"iam:{name}", resource),
        global_service=True,
        host="iam.amazonaws.com",
    )


_ON_USER = "user {target_user}"
_ON_ROLE = "role {role}"
_ROLE_ACCOUNT = "arn:aws:iam::{account}:role/{role}"


def _trust_policy(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
            ],
        },
        indent=2,
    )


_TRUST = _trust_policy("arn:aws:iam::{other_account}:root")
# CreateRole's response carries the document URL-encoded, as AWS logs it.
_TRUST_URLENCODED = urllib.parse.quote(
    _trust_policy("arn:aws:iam::OTHERACCOUNT:root"), safe="-_.~"
).replace("OTHERACCOUNT", "{other_account}")
_ADMIN_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
)

_IAM = [
    _iam("ListUsers", True, resource="arn:aws:iam::{account}:user/"),
    # The whoami call: no userName, so requestParameters is null, as logged.
    _iam("GetUser", True, resource="user {user}"),
    _iam("ListRoles", True, resource="arn:aws:iam::{account}:role/"),
    _iam("GetRole", True, {"roleName": "{role}"}, resource=_ON_ROLE),
    _iam(
        "ListPolicies",
        True,
        {"scope": "Local", "onlyAttached": False},
        resource="arn:aws:iam::{account}:policy/",
    ),
    _iam("GetPolicy", True, {"policyArn": "{policy_arn}"}, resource="policy {policy_arn}"),
    _iam(
        "GetPolicyVersion",
        True,
        {"policyArn": "{policy_arn}", "versionId": "v1"},
        resource="policy {policy_arn}",
    ),
    _iam("ListAttachedUserPolicies", True, {"userName": "{target_user}"}, resource=_ON_USER),
    _iam("ListAttachedRolePolicies", True, {"roleName": "{role}"}, resource=_ON_ROLE),
    _iam("ListUserPolicies", True, {"userName": "{target_user}"}, resource=_ON_USER),
    _iam("ListRolePolicies", True, {"roleName": "{role}"}, resource=_ON_ROLE),
    _iam("ListGroupsForUser", True, {"userName": "{target_user}"}, resource=_ON_USER),
    _iam("ListAccessKeys", True, {"userName": "{target_user}"}, resource=_ON_USER),
    _iam("ListMFADevices", True, {"userName": "{target_user}"}, resource=_ON_USER),
    _iam("GetAccountAuthorizationDetails", True),
    _iam("GetAccountSummary", True),
    # A user changing their own password: IAM logs neither password (request null).
    _iam("ChangePassword", False, resource="user {user}"),
    _iam(
        "CreateUser",
        False,
        {"userName": "{target_user}"},
        {
            "user": {
                "path": "/",
                "userName": "{target_user}",
                "userId": "{target_user_id}",
                "arn": "arn:aws:iam::{account}:user/{target_user}",
                "createDate": "{aws_time}",
            }
        },
        resource=_ON_USER,
    ),
    # AWS never logs the secret access key.
    _iam(
        "CreateAccessKey",
        False,
        {"userName": "{target_user}"},
        {
            "accessKey": {
                "userName": "{target_user}",
                "accessKeyId": "{new_key}",
                "status": "Active",
                "createDate": "{aws_time}",
            }
        },
        resource=_ON_USER,
    ),
    _iam(
        "AttachUserPolicy",
        False,
        {"userName": "{target_user}", "policyArn": "{policy_arn}"},
        resource=_ON_USER,
    ),
    # AWS omits the password.
    _iam(
        "CreateLoginProfile",
        False,
        {"userName": "{target_user}", "passwordResetRequired": False},
        {
            "loginProfile": {
                "userName": "{target_user}",
                "createDate": "{aws_time}",
                "passwordResetRequired": False,
            }
        },
        resource=_ON_USER,
    ),
    _iam(
        "DeleteAccessKey",
        False,
        {"userName": "{target_user}", "accessKeyId": "{new_key}"},
        resource=_ON_USER,
    ),
    _iam(
        "UpdateAccessKey",
        False,
        {"userName": "{target_user}", "accessKeyId": "{new_key}", "status": "Inactive"},
        resource=_ON_USER,
    ),
    _iam(
        "CreateRole",
        False,
        {
            "path": "/",
            "roleName": "{role}",
            "assumeRolePolicyDocument": _TRUST,
            "maxSessionDuration": 3600,
        },
        {
            "role": {
                "path": "/",
                "roleName": "{role}",
                "roleId": "{role_id}",
                "arn": _ROLE_ACCOUNT,
                "createDate": "{aws_time}",
                "assumeRolePolicyDocument": _TRUST_URLENCODED,
            }
        },
        resource=_ON_ROLE,
    ),
    _iam(
        "UpdateAssumeRolePolicy",
        False,
        {"roleName": "{role}", "policyDocument": _TRUST},
        resource=_ON_ROLE,
    ),
    _iam(
        "PutRolePolicy",
        False,
        {"roleName": "{role}", "policyName": "{role}-policy", "policyDocument": _ADMIN_POLICY},
        resource=_ON_ROLE,
    ),
    _iam(
        "AttachRolePolicy",
        False,
        {"roleName": "{role}", "policyArn": "{policy_arn}"},
        resource=_ON_ROLE,
    ),
]

# STS. Regional endpoints (the SDK default) log in the region called; the
# request details say which endpoint served the call.

_STS_HOST = "sts.{region}.amazonaws.com"
_REQUEST_DETAILS = {"RequestDetails": {"awsServingRegion": "{region}", "endpointType": "regional"}}
_CREDENTIALS = {
    "accessKeyId": "{new_key}",
    "sessionToken": "{token}",
    "expiration": "{aws_time}",
}
_ASSUMED_ROLE_USER = {
    "assumedRoleId": "{role_id}:{session}",
    "arn": "arn:aws:sts::{account}:assumed-role/{role}/{session}",
}
_GITHUB_OIDC = "arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
_ROLE_RESOURCE = [{"accountId": "{account}", "type": "AWS::IAM::Role", "ARN": "{role_arn}"}]

_STS = [
    Api(
        name="GetCallerIdentity",
        source="sts.amazonaws.com",
        read_only=True,
        denied_code="",  # cannot be denied
        host=_STS_HOST,
    ),
    # Logged readOnly=true, yet with the full responseElements (no secret key).
    Api(
        name="AssumeRole",
        source="sts.amazonaws.com",
        read_only=True,
        request=_j({"roleArn": "{role_arn}", "roleSessionName": "{session}"}),
        response=_j({"credentials": _CREDENTIALS, "assumedRoleUser": _ASSUMED_ROLE_USER}),
        additional=_j(_REQUEST_DETAILS),
        resources=_j(_ROLE_RESOURCE),
        denied_message="User: {caller_arn} is not authorized to perform: sts:AssumeRole "
        "on resource: {role_arn}",
        host=_STS_HOST,
    ),
    # GitHub Actions OIDC (aws-actions/configure-aws-credentials).
    Api(
        name="AssumeRoleWithWebIdentity",
        source="sts.amazonaws.com",
        read_only=True,
        request=_j(
            {"roleArn": "{role_arn}", "roleSessionName": "{session}", "durationSeconds": 3600}
        ),
        response=_j(
            {
                "credentials": _CREDENTIALS,
                "subjectFromWebIdentityToken": "repo:{repo}:ref:refs/heads/main",
                "assumedRoleUser": _ASSUMED_ROLE_USER,
                "provider": _GITHUB_OIDC,
                "audience": "sts.amazonaws.com",
            }
        ),
        additional=_j(
            {"identityProviderConnectionVerificationMethod": "IAMTrustStore"} | _REQUEST_DETAILS
        ),
        resources=_j(_ROLE_RESOURCE),
        denied_message="Not authorized to perform sts:AssumeRoleWithWebIdentity",
        host=_STS_HOST,
    ),
    # Logged readOnly=false (unlike AssumeRole).
    Api(
        name="GetSessionToken",
        source="sts.amazonaws.com",
        read_only=False,
        request=_j({"durationSeconds": 129600}),
        response=_j({"credentials": _CREDENTIALS}),
        additional=_j(_REQUEST_DETAILS),
        denied_message=_denied("sts:GetSessionToken", "{caller_arn}"),
        host=_STS_HOST,
    ),
]

# Console sign-in

_SIGNIN = [
    Api(
        name="ConsoleLogin",
        source="signin.amazonaws.com",
        read_only=False,
        event_type="AwsConsoleSignIn",
        response=_j({"ConsoleLogin": "{login_result}"}),
        additional=_j(
            {
                "LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true"
                "&state=hashArgsFromTB_{region}_{hex_id}",
                "MobileVersion": "No",
                "MFAUsed": "{mfa_used}",
            }
        ),
        # A failure keeps responseElements {"ConsoleLogin": "Failure"} and has no errorCode.
        denied_code="",
        denied_message="Failed authentication",
        global_service=True,
        host="{region}.signin.aws.amazon.com",
    ),
]

# EC2 (regional; Describe* responses are logged null)

_EC2_HOST = "ec2.{region}.amazonaws.com"


def _ec2(
    name: str,
    read_only: bool,
    request: object = None,
    response: object = None,
    resource: str | None = None,
) -> Api:
    return Api(
        name=name,
        source="ec2.amazonaws.com",
        read_only=read_only,
        request=None if request is None else _j(request),
        response=None if response is None else _j(response),
        denied_code="Client.UnauthorizedOperation",
        denied_message=_ec2_denied(name, resource),
        host=_EC2_HOST,
    )


def _state_change(current: tuple[int, str], previous: tuple[int, str]) -> dict:
    return {
        "requestId": "{uuid}",
        "instancesSet": {
            "items": [
                {
                    "instanceId": "{instance_id}",
                    "currentState": {"code": current[0], "name": current[1]},
                    "previousState": {"code": previous[0], "name": previous[1]},
                }
            ]
        },
    }


_ONE_INSTANCE = {"instancesSet": {"items": [{"instanceId": "{instance_id}"}]}}
_INSTANCE_ARN = "arn:aws:ec2:{region}:{account}:instance/{instance_id}"
_GROUP_SET = {"items": [{"groupId": "{sg}"}]}
_PRIVATE_DNS_OPTIONS = {
    "hostnameType": "ip-name",
    "enableResourceNameDnsARecord": False,
    "enableResourceNameDnsAAAARecord": False,
}

_RUN_INSTANCES_REQUEST = {
    "instancesSet": {
        "items": [{"imageId": "{image_id}", "minCount": 1, "maxCount": 1, "keyName": "{key_pair}"}]
    },
    "instanceType": "{instance_type}",
    "blockDeviceMapping": {},
    "monitoring": {"enabled": False},
    "disableApiTermination": False,
    "disableApiStop": False,
    "clientToken": "{uuid2}",
    "networkInterfaceSet": {
        "items": [
            {
                "deviceIndex": 0,
                "subnetId": "{subnet}",
                "associatePublicIpAddress": True,
                "groupSet": _GROUP_SET,
            }
        ]
    },
    "ebsOptimized": False,
}

_RUN_INSTANCES_RESPONSE = {
    "requestId": "{uuid}",
    "reservationId": "{reservation_id}",
    "ownerId": "{account}",
    "groupSet": {},
    "instancesSet": {
        "items": [
            {
                "instanceId": "{instance_id}",
                "imageId": "{image_id}",
                "currentInstanceBootMode": "legacy-bios",
                "instanceState": {"code": 0, "name": "pending"},
                "privateDnsName": "{private_dns}",
                "keyName": "{key_pair}",
                "amiLaunchIndex": 0,
                "productCodes": {},
                "instanceType": "{instance_type}",
                "launchTime": _n("epoch_ms"),
                "placement": {"availabilityZone": "{az}", "tenancy": "default"},
                "monitoring": {"state": "disabled"},
                "subnetId": "{subnet}",
                "vpcId": "{vpc}",
                "privateIpAddress": "{private_ip}",
                "stateReason": {"code": "pending", "message": "pending"},
                "architecture": "x86_64",
                "rootDeviceType": "ebs",
                "rootDeviceName": "/dev/xvda",
                "blockDeviceMapping": {},
                "virtualizationType": "hvm",
                "hypervisor": "xen",
                "clientToken": "{uuid2}",
                "groupSet": _GROUP_SET,
                "sourceDestCheck": True,
                "networkInterfaceSet": {
                    "items": [
                        {
                            "networkInterfaceId": "{eni}",
                            "subnetId": "{subnet}",
                            "vpcId": "{vpc}",
                            "ownerId": "{account}",
                            "status": "in-use",
                            "macAddress": "{mac}",
                            "privateIpAddress": "{private_ip}",
                            "privateDnsName": "{private_dns}",
                            "sourceDestCheck": True,
                            "interfaceType": "interface",
                            "groupSet": _GROUP_SET,
                            "attachment": {
                                "attachmentId": "eni-attach-0{hex_id}",
                                "deviceIndex": 0,
                                "networkCardIndex": 0,
                                "status": "attaching",
                                "attachTime": _n("epoch_ms"),
                                "deleteOnTermination": True,
                            },
                            "privateIpAddressesSet": {
                                "item": [
                                    {
                                        "privateIpAddress": "{private_ip}",
                                        "privateDnsName": "{private_dns}",
                                        "primary": True,
                                    }
                                ]
                            },
                            "ipv6AddressesSet": {},
                            "tagSet": {},
                        }
                    ]
                },
                "ebsOptimized": False,
                "enaSupport": True,
                "cpuOptions": {"coreCount": 1, "threadsPerCore": 2},
                "capacityReservationSpecification": {"capacityReservationPreference": "open"},
                "hibernationOptions": {"configured": False},
                "enclaveOptions": {"enabled": False},
                "metadataOptions": {
                    "state": "pending",
                    "httpTokens": "required",
                    "httpPutResponseHopLimit": 2,
                    "httpEndpoint": "enabled",
                    "httpProtocolIpv4": "enabled",
                    "httpProtocolIpv6": "disabled",
                    "instanceMetadataTags": "disabled",
                },
                "maintenanceOptions": {"autoRecovery": "default"},
                "privateDnsNameOptions": _PRIVATE_DNS_OPTIONS,
            }
        ]
    },
}

_EC2 = [
    _ec2("DescribeInstances", True, {"instancesSet": {}, "filterSet": {}}),
    _ec2("DescribeRegions", True, {"regionSet": {}}),
    _ec2(
        "DescribeSecurityGroups",
        True,
        {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
    ),
    _ec2("DescribeVpcs", True, {"vpcSet": {}, "filterSet": {}}),
    _ec2("DescribeSubnets", True, {"subnetSet": {}, "filterSet": {}}),
    _ec2(
        "DescribeImages",
        True,
        {
            "executableBySet": {},
            "imagesSet": {},
            "ownersSet": {"items": [{"owner": "self"}]},
            "filterSet": {},
        },
    ),
    _ec2("DescribeKeyPairs", True, {"keySet": {}, "keyPairIdSet": {}, "filterSet": {}}),
    _ec2("DescribeVolumes", True, {"volumeSet": {}, "filterSet": {}}),
    _ec2(
        "DescribeSnapshots",
        True,
        {
            "snapshotSet": {},
            "ownersSet": {"items": [{"owner": "self"}]},
            "restorableBySet": {},
            "filterSet": {},
        },
    ),
    _ec2(
        "RunInstances",
        False,
        _RUN_INSTANCES_REQUEST,
        _RUN_INSTANCES_RESPONSE,
        resource="arn:aws:ec2:{region}:{account}:instance/*",
    ),
    _ec2(
        "TerminateInstances",
        False,
        _ONE_INSTANCE,
        _state_change((32, "shutting-down"), (16, "running")),
        resource=_INSTANCE_ARN,
    ),
    _ec2(
        "StartInstances",
        False,
        _ONE_INSTANCE,
        _state_change((0, "pending"), (80, "stopped")),
        resource=_INSTANCE_ARN,
    ),
    _ec2(
        "StopInstances",
        False,
        _ONE_INSTANCE | {"force": False},
        _state_change((64, "stopping"), (16, "running")),
        resource=_INSTANCE_ARN,
    ),
    _ec2(
        "CreateTags",
        False,
        {
            "resourcesSet": {"items": [{"resourceId": "{instance_id}"}]},
            "tagSet": {"items": [{"key": "Owner", "value": "{user}"}]},
        },
        {"requestId": "{uuid}", "_return": True},
        resource=_INSTANCE_ARN,
    ),
    # AWS replaces the private key with "<sensitiveDataRemoved>".
    _ec2(
        "CreateKeyPair",
        False,
        {"keyName": "{key_pair}", "keyType": "rsa", "keyFormat": "pem"},
        {
            "requestId": "{uuid}",
            "keyName": "{key_pair}",
            "keyFingerprint": "{fingerprint}",
            "keyPairId": "key-0{hex_id}",
            "keyMaterial": "<sensitiveDataRemoved>",
        },
        resource="arn:aws:ec2:{region}:{account}:key-pair/{key_pair}",
    ),
    # publicKeyMaterial is the base64 of "ssh-ed25519 AAAA...".
    _ec2(
        "ImportKeyPair",
        False,
        {
            "keyName": "{key_pair}",
            "publicKeyMaterial": "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJ{token}",
        },
        {
            "requestId": "{uuid}",
            "keyName": "{key_pair}",
            "keyFingerprint": "{fingerprint}",
            "keyPairId": "key-0{hex_id}",
        },
        resource="arn:aws:ec2:{region}:{account}:key-pair/{key_pair}",
    ),
    # The console's launch wizard names groups this way.
    _ec2(
        "CreateSecurityGroup",
        False,
        {
            "groupName": "launch-wizard-{count}",
            "groupDescription": "launch-wizard-{count} created {iso_time}",
            "vpcId": "{vpc}",
        },
        {
            "requestId": "{uuid}",
            "_return": True,
            "groupId": "{sg}",
            "securityGroupArn": "arn:aws:ec2:{region}:{account}:security-group/{sg}",
        },
        resource="arn:aws:ec2:{region}:{account}:security-group/*",
    ),
    _ec2(
        "AuthorizeSecurityGroupIngress",
        False,
        {
            "groupId": "{sg}",
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": _n("port"),
                        "toPort": _n("port"),
                        "groups": {},
                        "ipRanges": {"items": [{"cidrIp": "{cidr}"}]},
                        "ipv6Ranges": {},
                        "prefixListIds": {},
                    }
                ]
            },
        },
        {
            "requestId": "{uuid}",
            "_return": True,
            "securityGroupRuleSet": {
                "items": [
                    {
                        "groupOwnerId": "{account}",
                        "groupId": "{sg}",
                        "securityGroupRuleId": "sgr-0{hex_id}",
                        "isEgress": False,
                        "ipProtocol": "tcp",
                        "fromPort": _n("port"),
                        "toPort": _n("port"),
                        "cidrIpv4": "{cidr}",
                    }
                ]
            },
        },
        resource="arn:aws:ec2:{region}:{account}:security-group/{sg}",
    ),
    # Snapshot and image ARNs have no account field.
    _ec2(
        "ModifySnapshotAttribute",
        False,
        {
            "snapshotId": "{snapshot_id}",
            "createVolumePermission": {"add": {"items": [{"userId": "{other_account}"}]}},
            "attributeType": "CREATE_VOLUME_PERMISSION",
        },
        {"requestId": "{uuid}", "_return": True},
        resource="arn:aws:ec2:{region}::snapshot/{snapshot_id}",
    ),
    _ec2(
        "ModifyImageAttribute",
        False,
        {
            "imageId": "{image_id}",
            "launchPermission": {"add": {"items": [{"userId": "{other_account}"}]}},
            "attributeType": "launchPermission",
        },
        {"requestId": "{uuid}", "_return": True},
        resource="arn:aws:ec2:{region}::image/{image_id}",
    ),
    _ec2(
        "CreateSnapshot",
        False,
        {"volumeId": "{volume}"},
        {
            "requestId": "{uuid}",
            "snapshotId": "{snapshot_id}",
            "volumeId": "{volume}",
            "status": "pending",
            "startTime": _n("epoch_ms"),
            "progress": "",
            "ownerId": "{account}",
            "volumeSize": 8,
            "encrypted": False,
            "storageTier": "standard",
        },
        resource="arn:aws:ec2:{region}::snapshot/*",
    ),
]

# S3. Bucket-level calls are management events; object-level calls are data
# events (eventCategory Data, managementEvent false, only logged where a trail
# selects them). All carry additionalEventData and resources.

_S3_HOST = "{bucket}.s3.{region}.amazonaws.com"
_S3_DENIED = "Access Denied"  # CloudTrail's errorMessage for S3, whatever the cause
_BUCKET_RESOURCE = {
    "accountId": "{account}",
    "type": "AWS::S3::Bucket",
    "ARN": "arn:aws:s3:::{bucket}",
}


def _s3_additional(bytes_in: object = 0, bytes_out: object = None, sse: bool = False) -> dict:
    data = {
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": bytes_in,
    }
    if sse:
        data["SSEApplied"] = "Default_SSE_S3"
    data |= {
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": "{x_amz_id_2}",
        "bytesTransferredOut": _n("bytes_out") if bytes_out is None else bytes_out,
    }
    return data


def _s3_bucket(name: str, read_only: bool, subresource: dict, bytes_in: int = 0) -> Api:
    return Api(
        name=name,
        source="s3.amazonaws.com",
        read_only=read_only,
        request=_j({"bucketName": "{bucket}", "Host": _S3_HOST} | subresource),
        additional=_j(_s3_additional(bytes_in, None if read_only else 0)),
        resources=_j([_BUCKET_RESOURCE]),
        denied_message=_S3_DENIED,
        host=_S3_HOST,
    )


def _s3_object(
    name: str, read_only: bool, additional: dict, response: object = None, prefix: bool = False
) -> Api:
    if prefix:
        request = {
            "list-type": "2",
            "bucketName": "{bucket}",
            "encoding-type": "url",
            "prefix": "",
            "delimiter": "/",
            "Host": _S3_HOST,
        }
        obj = {"type": "AWS::S3::Object", "ARNPrefix": "arn:aws:s3:::{bucket}/"}
    else:
        request = {"bucketName": "{bucket}", "Host": _S3_HOST, "key": "{key}"}
        obj = {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::{bucket}/{key}"}
    return Api(
        name=name,
        source="s3.amazonaws.com",
        read_only=read_only,
        category="Data",
        request=_j(request),
        response=None if response is None else _j(response),
        additional=_j(additional),
        resources=_j([obj, _BUCKET_RESOURCE]),
        denied_message=_S3_DENIED,
        host=_S3_HOST,
    )


_BACKDOOR_BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::{other_account}:root"},
            "Action": ["s3:GetObject", "s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::{bucket}/*", "arn:aws:s3:::{bucket}"],
        }
    ],
}

_S3 = [
    Api(
        name="ListBuckets",
        source="s3.amazonaws.com",
        read_only=True,
        request=_j({"Host": "s3.{region}.amazonaws.com"}),
        additional=_j(_s3_additional()),
        denied_message=_S3_DENIED,
        host="s3.{region}.amazonaws.com",
    ),
    _s3_bucket("GetBucketPolicy", True, {"policy": ""}),
    _s3_bucket("GetBucketAcl", True, {"acl": ""}),
    _s3_bucket("GetBucketLocation", True, {"location": ""}),
    _s3_bucket("GetBucketVersioning", True, {"versioning": ""}),
    _s3_bucket("GetBucketEncryption", True, {"encryption": ""}),
    _s3_bucket("GetBucketPublicAccessBlock", True, {"publicAccessBlock": ""}),
    _s3_bucket(
        "PutBucketPolicy",
        False,
        {"bucketPolicy": _BACKDOOR_BUCKET_POLICY, "policy": ""},
        bytes_in=412,
    ),
    _s3_object("ListObjects", True, _s3_additional(), prefix=True),
    _s3_object("GetObject", True, _s3_additional()),
    _s3_object("HeadObject", True, _s3_additional(0, 0)),
    _s3_object(
        "PutObject",
        False,
        _s3_additional(_n("bytes_out"), 0, sse=True),
        {"x-amz-server-side-encryption": "AES256"},
    ),
    _s3_object("DeleteObject", False, _s3_additional(0, 0)),
]

# Secrets Manager, SSM Parameter Store, KMS (regional JSON APIs)


def _regional(
    name: str,
    service: str,
    read_only: bool,
    request: object = None,
    response: object = None,
    resources: object = None,
    *,
    action: str | None = None,
    resource: str | None = None,
    denied_code: str = "AccessDenied",
    prefix: str | None = None,
) -> Api:
    return Api(
        name=name,
        source=f"{service}.amazonaws.com",
        read_only=read_only,
        request=None if request is None else _j(request),
        response=None if response is None else _j(response),
        resources=None if resources is None else _j(resources),
        denied_code=denied_code,
        denied_message=_denied(f"{prefix or service}:{action or name}", resource),
        host=f"{service}.{{region}}.amazonaws.com",
    )


_SECRET = "{secret_id}"
_PARAMETER_ARN = "arn:aws:ssm:{region}:{account}:parameter{parameter}"
_KMS_ARN = "arn:aws:kms:{region}:{account}:key/{kms_key_id}"
_KMS_RESOURCE = [{"accountId": "{account}", "type": "AWS::KMS::Key", "ARN": _KMS_ARN}]
# Decrypt / GenerateDataKey as S3 calls them for an SSE-KMS object, on the caller's behalf.
_S3_CONTEXT = {"aws:s3:arn": "arn:aws:s3:::{bucket}/{key}"}

_SECRETS_SSM_KMS = [
    _regional("ListSecrets", "secretsmanager", True),
    _regional("DescribeSecret", "secretsmanager", True, {"secretId": _SECRET}, resource=_SECRET),
    _regional("GetSecretValue", "secretsmanager", True, {"secretId": _SECRET}, resource=_SECRET),
    # Parameter Store lists the parameters in resources, without a type.
    _regional(
        "GetParameter",
        "ssm",
        True,
        {"name": "{parameter}", "withDecryption": True},
        resources=[{"ARN": _PARAMETER_ARN, "accountId": "{account}"}],
        resource=_PARAMETER_ARN,
    ),
    _regional(
        "GetParameters",
        "ssm",
        True,
        {"names": ["{parameter}"], "withDecryption": True},
        resources=[{"ARN": _PARAMETER_ARN, "accountId": "{account}"}],
        resource=_PARAMETER_ARN,
    ),
    _regional(
        "GetParametersByPath",
        "ssm",
        True,
        {"path": "{parameter}", "recursive": True, "withDecryption": True},
        resource=_PARAMETER_ARN,
    ),
    _regional(
        "Decrypt",
        "kms",
        True,
        {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": _S3_CONTEXT},
        resources=_KMS_RESOURCE,
        resource=_KMS_ARN,
    ),
    _regional(
        "GenerateDataKey",
        "kms",
        True,
        {"keyId": _KMS_ARN, "encryptionContext": _S3_CONTEXT, "keySpec": "AES_256"},
        resources=_KMS_RESOURCE,
        resource=_KMS_ARN,
    ),
    _regional(
        "Encrypt",
        "kms",
        True,
        {"keyId": _KMS_ARN, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
        resources=_KMS_RESOURCE,
        resource=_KMS_ARN,
    ),
]

# Lambda: CloudTrail names carry the API version (ListFunctions20150331,
# GetFunction20150331v2, UpdateFunctionCode20150331v2); the IAM actions do not.

_FUNCTION_ARN = "arn:aws:lambda:{region}:{account}:function:{function}"

_LAMBDA = [
    _regional("ListFunctions20150331", "lambda", True, action="ListFunctions", resource="*"),
    _regional(
        "GetFunction20150331v2",
        "lambda",
        True,
        {"functionName": "{function}"},
        action="GetFunction",
        resource=_FUNCTION_ARN,
    ),
    _regional(
        "UpdateFunctionCode20150331v2",
        "lambda",
        False,
        {
            "fullyQualifiedArn": {
                "arnPrefix": {"partition": "aws", "region": "{region}", "account": "{account}"},
                "relativeId": {"functionName": "{function}"},
                "functionQualifier": {},
            },
            "functionName": _FUNCTION_ARN,
            "publish": True,
            "dryRun": False,
        },
        {
            "functionName": "{function}",
            "functionArn": _FUNCTION_ARN + ":2",
            "runtime": "python3.12",
            "role": "arn:aws:iam::{account}:role/{role}",
            "handler": "lambda_function.lambda_handler",
            "codeSize": _n("bytes_out"),
            "description": "",
            "timeout": 3,
            "memorySize": 128,
            "codeSha256": "{code_sha256}",
            "version": "2",
            "environment": {},
            "tracingConfig": {"mode": "PassThrough"},
            "revisionId": "{uuid2}",
            "state": "Pending",
            "stateReason": "The function is being created.",
            "stateReasonCode": "Creating",
            "packageType": "Zip",
            "architectures": ["x86_64"],
            "ephemeralStorage": {"size": 512},
            "snapStart": {"applyOn": "None", "optimizationStatus": "Off"},
            "loggingConfig": {"logFormat": "Text", "logGroup": "/aws/lambda/{function}"},
        },
        action="UpdateFunctionCode",
        resource=_FUNCTION_ARN,
    ),
]

# Other services the recon and defence-evasion steps touch

_CLOUDTRAIL_TRAIL = "arn:aws:cloudtrail:{region}:{account}:trail/{trail}"

_OTHERS = [
    _regional("ListClusters", "ecs", True, resource="*", denied_code="AccessDeniedException"),
    _regional("DescribeDBInstances", "rds", True, resource="arn:aws:rds:{region}:{account}:db:*"),
    _regional(
        "DescribeLogGroups",
        "logs",
        True,
        resource="arn:aws:logs:{region}:{account}:log-group::log-stream:",
    ),
    # The CloudWatch agent names its streams after the instance.
    _regional(
        "CreateLogStream",
        "logs",
        False,
        {"logGroupName": "/var/log/messages", "logStreamName": "{instance_id}"},
        resource="arn:aws:logs:{region}:{account}:log-group:/var/log/messages:log-stream:{instance_id}",
    ),
    _regional("StopLogging", "cloudtrail", False, {"name": "{trail}"}, resource=_CLOUDTRAIL_TRAIL),
    # Logged like StopLogging: the trail name in, responseElements null.
    _regional("StartLogging", "cloudtrail", False, {"name": "{trail}"}, resource=_CLOUDTRAIL_TRAIL),
    _regional("DeleteTrail", "cloudtrail", False, {"name": "{trail}"}, resource=_CLOUDTRAIL_TRAIL),
    # The Stratus "disable logging through event selectors" shape.
    _regional(
        "PutEventSelectors",
        "cloudtrail",
        False,
        {
            "trailName": "{trail}",
            "eventSelectors": [
                {
                    "readWriteType": "ReadOnly",
                    "includeManagementEvents": False,
                    "dataResources": [],
                    "excludeManagementEventSources": [],
                }
            ],
        },
        {
            "trailARN": _CLOUDTRAIL_TRAIL,
            "eventSelectors": [
                {
                    "readWriteType": "ReadOnly",
                    "includeManagementEvents": False,
                    "dataResources": [],
                    "excludeManagementEventSources": [],
                }
            ],
        },
        resource=_CLOUDTRAIL_TRAIL,
    ),
    _regional(
        "DescribeTrails",
        "cloudtrail",
        True,
        {"trailNameList": [], "includeShadowTrails": True},
        resource="arn:aws:cloudtrail:{region}:{account}:trail/*",
    ),
    _regional(
        "GetTrailStatus", "cloudtrail", True, {"name": "{trail}"}, resource=_CLOUDTRAIL_TRAIL
    ),
    _regional("LookupEvents", "cloudtrail", True, {"maxResults": 50}),
    _regional(
        "ListDetectors",
        "guardduty",
        True,
        resource="arn:aws:guardduty:{region}:{account}:detector/*",
        denied_code="AccessDeniedException",
    ),
    _regional(
        "GetFindings",
        "guardduty",
        True,
        {"detectorId": "{detector_id}", "findingIds": ["{finding_id}"]},
        resource="arn:aws:guardduty:{region}:{account}:detector/{detector_id}",
        denied_code="AccessDeniedException",
    ),
]

# Service events: AWS itself acts; userIdentity has only accountId and invokedBy,
# sourceIPAddress / userAgent are "AWS Internal" (KMS) or the service (EC2),
# there is no requestID and no tlsDetails.

_SERVICE_EVENTS = [
    Api(
        name="RotateKey",
        source="kms.amazonaws.com",
        read_only=False,
        event_type="AwsServiceEvent",
        resources=_j(_KMS_RESOURCE),
        denied_code="",
        service_details=_j({"rotationType": "AUTOMATIC", "keyId": "{kms_key_id}"}),
    ),
    # Logged in the snapshot owner's account when another account copies a
    # snapshot shared with it; userIdentity is {type AWSAccount, accountId
    # <the other account>, invokedBy ec2.amazonaws.com}.
    Api(
        name="SharedSnapshotCopyInitiated",
        source="ec2.amazonaws.com",
        read_only=False,
        event_type="AwsServiceEvent",
        denied_code="",
        service_details=_j({"snapshotId": "{snapshot_id}"}),
    ),
    Api(
        name="SharedSnapshotVolumeCreated",
        source="ec2.amazonaws.com",
        read_only=False,
        event_type="AwsServiceEvent",
        denied_code="",
        service_details=_j({"snapshotId": "{snapshot_id}"}),
    ),
]

#: eventName -> how CloudTrail logs that call.
API: dict[str, Api] = {
    api.name: api
    for api in (
        *_SIGNIN,
        *_STS,
        *_EC2,
        *_S3,
        *_IAM,
        *_SECRETS_SSM_KMS,
        *_LAMBDA,
        *_OTHERS,
        *_SERVICE_EVENTS,
    )
}
