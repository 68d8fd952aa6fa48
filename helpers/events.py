"""Build CloudTrail event frames: who called which API, when, from where.

A call site says *what happened* in the investigator's words (this role
session called ``GetObject`` on these keys at these times) and gets back a
:data:`helpers.cloudtrail.FRAME` table, built column-wise. Request and
response bodies come from :mod:`helpers.aws_api` templates, so every record of
one eventName has the shape the real API logs.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import agents, ids
from helpers.aws_api import API, fill, placeholders
from helpers.cloudtrail import FRAME
from helpers.world import Role, User, World

Value = str | bool | int | float | None | pa.Array | np.ndarray | Sequence


@dataclass(frozen=True)
class Identity:
    """``userIdentity`` of a caller. Any field may be a scalar or one value per event."""

    identity_type: Value
    principal_id: Value = None
    arn: Value = None
    account_id: Value = None
    access_key_id: Value = None
    user_name: Value = None
    invoked_by: Value = None
    issuer_type: Value = None
    issuer_principal_id: Value = None
    issuer_arn: Value = None
    issuer_account_id: Value = None
    issuer_user_name: Value = None
    session_created: Value = None
    mfa_authenticated: Value = None
    console_session: Value = None


def user_identity(
    world: World,
    user: User,
    key: Value = None,
    *,
    session_created: Value = None,
    mfa: Value = None,
    console: bool = False,
) -> Identity:
    """An IAM user: its long-term key, or a console session's temporary key."""
    with_session = session_created is not None
    return Identity(
        identity_type="IAMUser",
        principal_id=user.user_id,
        arn=world.user_arn(user),
        account_id=world.account_id,
        access_key_id=user.access_key if key is None else key,
        user_name=user.name,
        session_created=session_created,
        mfa_authenticated=(bool(user.mfa) if mfa is None else mfa) if with_session else None,
        console_session=True if console else None,
    )


def role_identity(
    world: World,
    role: Role,
    session_name: Value,
    key: Value,
    session_created: Value,
    *,
    mfa: bool = False,
    account_id: str | None = None,
) -> Identity:
    """A session of an assumed role: ``ASIA`` key, sessionIssuer = the role."""
    account = account_id or world.account_id
    role_arn = world.role_arn(role)
    if isinstance(session_name, str):
        arn: Value = f"arn:aws:sts::{account}:assumed-role/{role.name}/{session_name}"
        principal: Value = f"{role.role_id}:{session_name}"
    else:
        names = pa.array(session_name, type=pa.string())
        arn = pc.binary_join_element_wise(
            f"arn:aws:sts::{account}:assumed-role/{role.name}/", names, ""
        )
        principal = pc.binary_join_element_wise(f"{role.role_id}:", names, "")
    return Identity(
        identity_type="AssumedRole",
        principal_id=principal,
        arn=arn,
        account_id=account,
        access_key_id=key,
        issuer_type="Role",
        issuer_principal_id=role.role_id,
        issuer_arn=role_arn,
        issuer_account_id=world.account_id,
        issuer_user_name=role.name,
        session_created=session_created,
        mfa_authenticated=mfa,
    )


def service_identity(service: str) -> Identity:
    """An AWS service acting on the account's behalf (``AWSService``)."""
    return Identity(identity_type="AWSService", invoked_by=service)


def _column(value: Value, n: int, type_: pa.DataType) -> pa.Array:
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    if isinstance(value, pa.Array):
        if len(value) != n:
            raise ValueError(f"column of {len(value)} values for {n} events")
        return value if value.type == type_ else value.cast(type_)
    if isinstance(value, np.ndarray | list | tuple):
        if len(value) != n:
            raise ValueError(f"column of {len(value)} values for {n} events")
        if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.datetime64):
            return pa.array(value.astype("datetime64[ms]")).cast(type_)
        return pa.array(value, type=type_)
    if value is None:
        return pa.nulls(n, type=type_)
    if isinstance(value, np.datetime64):
        value = pa.scalar(value.astype("datetime64[ms]"), type=pa.timestamp("ms")).cast(type_)
    return pa.repeat(pa.scalar(value, type=type_) if not isinstance(value, pa.Scalar) else value, n)


def frame(n: int, **columns: Value) -> pa.Table:
    """A FRAME table of ``n`` events; missing columns are absent fields (null)."""
    unknown = set(columns) - set(FRAME.names)
    if unknown:
        raise ValueError(f"not CloudTrail frame columns: {sorted(unknown)}")
    arrays = [_column(columns.get(f.name), n, f.type) for f in FRAME]
    return pa.Table.from_arrays(arrays, schema=FRAME)


def empty() -> pa.Table:
    return FRAME.empty_table()


def calls(
    api_name: str,
    times: np.ndarray,
    identity: Identity,
    *,
    world: World,
    rng: np.random.Generator,
    region: Value,
    source_ip: Value,
    user_agent: Value,
    values: Mapping[str, Value] | None = None,
    denied: Value = False,
    error_code: Value = None,
    error_message: Value = None,
    event_version: str = "1.11",
) -> pa.Table:
    """``len(times)`` calls of one API by one kind of caller.

    ``values`` fill the API's request/response templates (``{bucket}``,
    ``{instance_id}``...); ``denied`` (a bool or one per event) turns a call
    into the API's AccessDenied / UnauthorizedOperation error.

    >>> # calls("ListBuckets", times, user_identity(w, u), world=w, rng=rng,
    >>> #       region="us-east-1", source_ip=ip, user_agent=agents.BOTO3)
    """
    api = API[api_name]
    n = len(times)
    if n == 0:
        return empty()
    vals: dict[str, Value] = {
        "account": world.account_id,
        "region": region,
        "uuid": ids.uuids(rng, n),  # also the record's requestID (EC2 echoes it)
    }
    if "uuid2" in api_templates_needs(api):
        vals["uuid2"] = ids.uuids(rng, n)
    id_values = {f.name: getattr(identity, f.name) for f in fields(identity)}
    if id_values["arn"] is not None:
        vals["caller_arn"] = id_values["arn"]
    vals.update(values or {})
    vals.update(default_values(world, rng, n, api_templates_needs(api) - set(vals)))
    vals = {k: (_as_str(v, n)) for k, v in vals.items()}
    if isinstance(user_agent, str) and "{command}" in user_agent:
        user_agent = user_agent.replace("{command}", cli_command(api.source, api.name))
    if "aws_time" in api_templates_needs(api) and "aws_time" not in vals:
        vals["aws_time"] = aws_time(times)
    if "iso_time" in api_templates_needs(api) and "iso_time" not in vals:
        vals["iso_time"] = iso_time(times)
    if "epoch_ms" in api_templates_needs(api) and "epoch_ms" not in vals:
        vals["epoch_ms"] = pa.array(times.astype("datetime64[ms]").astype(np.int64)).cast(
            pa.string()
        )

    denied_mask = _column(denied, n, pa.bool_())
    any_denied = pc.any(denied_mask).as_py()
    request = fill(api.request, n, vals)
    response = fill(api.response, n, vals)
    if any_denied:
        response = pc.if_else(denied_mask, pa.nulls(n, pa.string()), response)
        code = pc.if_else(denied_mask, api.denied_code, pa.nulls(n, pa.string()))
        message = pc.if_else(
            denied_mask, fill(api.denied_message, n, vals, escape=False), pa.nulls(n, pa.string())
        )
        if not api.denied_code:  # a failed ConsoleLogin: no errorCode, response kept
            code = pa.nulls(n, pa.string())
            response = fill(api.response, n, vals)
    else:
        code = pa.nulls(n, pa.string())
        message = pa.nulls(n, pa.string())
    if error_code is not None:
        code = _column(error_code, n, pa.string())
    if error_message is not None:
        message = _column(error_message, n, pa.string())
    aws_region = "us-east-1" if api.global_service else region
    host = (
        fill(api.host, n, {**vals, "region": _as_str(aws_region, n)}, escape=False)
        if api.host
        else None
    )
    console = id_values.get("console_session") is True
    tls = not console and api.event_type in ("AwsApiCall", "AwsConsoleSignIn")
    return frame(
        n,
        event_time=times,
        event_version=event_version,
        event_source=api.source,
        event_name=api.name,
        aws_region=aws_region,
        source_ip=source_ip,
        user_agent=user_agent,
        **id_values,
        error_code=code,
        error_message=message,
        request_parameters=request,
        response_elements=response,
        additional_event_data=fill(api.additional, n, vals),
        resources=fill(api.resources, n, vals),
        service_event_details=fill(api.service_details, n, vals),
        request_id=vals["uuid"],
        event_id=ids.uuids(rng, n),
        read_only=api.read_only,
        event_type=api.event_type,
        management_event=api.category == "Management",
        event_category=api.category,
        recipient_account_id=world.account_id,
        tls_version=agents.TLS_VERSION if tls else None,
        cipher_suite=agents.TLS_CIPHER if tls else None,
        tls_host=host if tls else None,
    )


def cli_command(source: str, name: str) -> str:
    """The aws-cli command for an API, as its user agent names it: ``iam.list-users``."""
    import re

    service = source.split(".")[0]
    service = {"monitoring": "cloudwatch", "signin": "signin"}.get(service, service)
    base = re.sub(r"\d{8}(v\d)?$", "", name)
    return service + "." + re.sub(r"(?<!^)(?=[A-Z])", "-", base).lower()


@functools.cache
def api_templates_needs(api) -> frozenset[str]:
    """Placeholder names used by an API's templates (computed once per API)."""
    names: set[str] = set()
    for t in (
        api.request,
        api.response,
        api.additional,
        api.resources,
        api.denied_message,
        api.host,
        api.service_details,
    ):
        names |= set(placeholders(t))
    return frozenset(names)


def _as_str(v: Value, n: int) -> Value:
    if isinstance(v, pa.ChunkedArray):
        v = v.combine_chunks()
    if isinstance(v, pa.Array):
        return v if pa.types.is_string(v.type) else v.cast(pa.string())
    if isinstance(v, np.ndarray):
        return pa.array(v.astype(str) if v.dtype.kind != "U" else v, type=pa.string())
    if isinstance(v, list | tuple):
        return pa.array([None if x is None else str(x) for x in v], type=pa.string())
    if v is None:
        return v
    return str(v)


def aws_time(times: np.ndarray) -> pa.Array:
    """The locale date IAM and STS write inside responses: ``Nov 3, 2026, 9:15:02 AM``."""
    ts = pa.array(times.astype("datetime64[s]"))
    text = pc.strftime(ts, format="%b %d, %Y, %I:%M:%S %p")
    # no leading zeros on the day and the hour (Arrow's strftime has no %-d)
    return pc.replace_substring_regex(text, r"^(\w{3}) 0?(\d+), (\d{4}), 0?", r"\1 \2, \3, ")


def iso_time(times: np.ndarray) -> pa.Array:
    ts = pa.array(times.astype("datetime64[s]"))
    return pc.strftime(ts, format="%Y-%m-%dT%H:%M:%SZ")


def default_values(world: World, rng: np.random.Generator, n: int, needed: set[str]) -> dict:
    """Plausible values for template placeholders a call site did not give.

    Only the placeholders an API uses are drawn, so a burst of 400 mixed
    Describe/List calls costs a few small arrays, not the whole vocabulary.
    """

    def pick(options: Sequence[str]) -> pa.Array:
        return pa.array(np.asarray(options, dtype=object)[rng.integers(0, len(options), n)])

    inst = world.instances
    people = [u.name for u in world.users]
    factories = {
        "bucket": lambda: pick(world.buckets),
        "key": lambda: pick(["reports/2026/q3.csv", "exports/daily.json", "app/config.yaml"]),
        "user": lambda: pick(people),
        "target_user": lambda: pick(people),
        "target_user_id": lambda: pick([u.user_id for u in world.users]),
        "role": lambda: pick([r.name for r in world.roles]),
        "role_arn": lambda: pick([world.role_arn(r) for r in world.roles]),
        "session": lambda: pick([u.name for u in world.people]),
        "instance_id": lambda: pick([i.instance_id for i in inst]),
        "instance_type": lambda: pick([i.instance_type for i in inst]),
        "image_id": lambda: pick([i.image_id for i in inst]),
        "eni": lambda: pick([i.eni for i in inst]),
        "subnet": lambda: pick([i.subnet for i in inst]),
        "private_ip": lambda: pick([i.private_ip for i in inst]),
        "vpc": lambda: world.vpc_id,
        "sg": lambda: "sg-0" + ids.random_strings(rng, 1, 16, ids.HEX)[0],
        "policy_arn": lambda: pick(
            [
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
                f"arn:aws:iam::{world.account_id}:policy/{world.slug}-developer",
            ]
        ),
        "secret_id": lambda: pick(
            [f"prod/{world.slug}/db-password", f"prod/{world.slug}/stripe-api-key"]
        ),
        "parameter": lambda: pick(
            [f"/{world.slug}/prod/db-host", f"/{world.slug}/prod/feature-flags"]
        ),
        "function": lambda: pick(world.functions),
        "kms_key_id": lambda: world.kms_key_id,
        "trail": lambda: world.trail_name,
        "az": lambda: pick([f"{world.home_region}a", f"{world.home_region}b"]),
        "bytes_out": lambda: pa.array(rng.integers(800, 400_000, n)).cast(pa.string()),
        "x_amz_id_2": lambda: ids.random_array(rng, n, 56, ids.ALNUM),
        "token": lambda: ids.random_array(rng, n, 40, ids.ALNUM),
        "new_key": lambda: ids.access_keys(rng, n, temporary=True),
        "mfa_used": lambda: "Yes",
        "login_result": lambda: "Success",
        "count": lambda: pa.array(rng.integers(1, 50, n)).cast(pa.string()),
        "port": lambda: "443",
        "cidr": lambda: "0.0.0.0/0",
        "snapshot_id": lambda: pick(
            ["snap-0" + s for s in ids.random_strings(rng, 3, 16, ids.HEX)]
        ),
        "key_pair": lambda: f"{world.slug}-deploy",
        "repo": lambda: f"{world.github_org}/platform",
        "reservation_id": lambda: ids.resource_id(rng, "r-0", 1, 16)[0],
        "mfa_serial": lambda: f"arn:aws:iam::{world.account_id}:mfa/device",
        "other_account": lambda: "111122223333",
        "role_id": lambda: pick([r.role_id for r in world.roles]),
        "private_dns": lambda: pick(
            [
                f"ip-{i.private_ip.replace('.', '-')}.{world.home_region}.compute.internal"
                for i in inst
            ]
        ),
        "mac": lambda: "0a:" + ":".join(ids.random_strings(rng, 5, 2, ids.HEX)),
        "hex_id": lambda: ids.random_array(rng, n, 16, ids.HEX),
        "fingerprint": lambda: ":".join(ids.random_strings(rng, 20, 2, ids.HEX)),
        "volume": lambda: "vol-0" + ids.random_strings(rng, 1, 16, ids.HEX)[0],
        "code_sha256": lambda: ids.random_strings(rng, 1, 43, ids.ALNUM)[0] + "=",
        "detector_id": lambda: world.detector_id,
        "finding_id": lambda: ids.random_array(rng, n, 32, ids.HEX),
        "epoch_ms": lambda: None,
        "iso_time": lambda: None,
        "aws_time": lambda: None,
    }
    # sorted: the draws must not follow set order, which changes with PYTHONHASHSEED
    values = {name: factories[name]() for name in sorted(needed) if name in factories}
    return {k: v for k, v in values.items() if v is not None}


def mixed(
    names: Sequence[str],
    weights: Sequence[float] | None,
    times: np.ndarray,
    identity: Identity,
    *,
    world: World,
    rng: np.random.Generator,
    region: Value,
    source_ip: Value,
    user_agent: Value,
    denied_rate: float | Mapping[str, float] = 0.0,
    values: Mapping[str, Value] | None = None,
) -> pa.Table:
    """A burst of calls drawn from several APIs (a console session, a plan, a scan).

    ``identity``, ``region``, ``source_ip`` and ``user_agent`` may hold one value
    per event (numpy arrays), so a whole day of many people's sessions is one call
    here and one :func:`calls` per API, never one per event.
    """
    n = len(times)
    if n == 0:
        return empty()
    p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
    which = rng.choice(len(names), size=n, p=p)
    tables = []
    for i, name in enumerate(names):
        idx = np.flatnonzero(which == i)
        if not len(idx):
            continue
        rate = denied_rate.get(name, 0.0) if isinstance(denied_rate, Mapping) else denied_rate
        denied = rng.random(len(idx)) < rate if rate else False
        tables.append(
            calls(
                name,
                times[idx],
                select(identity, idx),
                world=world,
                rng=rng,
                region=_take(region, idx),
                source_ip=_take(source_ip, idx),
                user_agent=_take(user_agent, idx),
                values=values,
                denied=denied,
            )
        )
    return pa.concat_tables(tables) if tables else empty()


def _take(value: Value, idx: np.ndarray) -> Value:
    if isinstance(value, np.ndarray):
        return value[idx]
    if isinstance(value, pa.Array):
        return value.take(pa.array(idx))
    return value


def select(identity: Identity, idx: np.ndarray) -> Identity:
    """The identity of the events at ``idx`` (array fields are indexed, scalars kept)."""
    return Identity(**{f.name: _take(getattr(identity, f.name), idx) for f in fields(identity)})
