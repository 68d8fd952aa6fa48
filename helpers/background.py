"""Background activity: a week of an ordinary AWS account, decoys included.

Investigators must find the attack among ordinary work, so the background
holds what makes a naive query wrong (``../shared/scenarios.md``): office-hours
people, the nightly Terraform plan (hundreds of Describe/List calls that look
like discovery), the audit role's AccessDenied storm from an outside address,
the administrator who legitimately creates a user and a key during the
incident, service events, steady instance and Lambda role calls, benign
GuardDuty findings and normal VPC traffic.

Busy sources (instance and Lambda roles, web traffic) are drawn per time chunk
from rates; planned ones (people, plans, scans) per day and cut to the chunk,
so any chunk size gives the same week.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import agents, ids
from helpers.events import (
    Identity,
    calls,
    empty,
    mixed,
    role_identity,
    select,
    service_identity,
    user_identity,
)
from helpers.objects import TRAIL_APIS, ObjectTraffic
from helpers.s3access import trail_values
from helpers.world import FIRST, LAST, World, public_ip

MS_HOUR = 3_600_000
MS_DAY = 24 * MS_HOUR

CONSOLE_READS = (
    "DescribeInstances DescribeSecurityGroups DescribeVpcs DescribeSubnets DescribeVolumes "
    "ListBuckets GetBucketPolicy GetBucketAcl GetBucketLocation GetBucketVersioning "
    "ListUsers GetUser ListRoles GetRole ListAttachedRolePolicies ListFunctions20150331 "
    "GetFunction20150331v2 DescribeDBInstances DescribeLogGroups ListSecrets DescribeSecret "
    "DescribeTrails GetTrailStatus LookupEvents GetFindings ListDetectors"
).split()
TERRAFORM_READS = (
    "DescribeInstances DescribeSecurityGroups DescribeVpcs DescribeSubnets DescribeVolumes "
    "DescribeImages DescribeKeyPairs GetBucketPolicy GetBucketAcl GetBucketLocation "
    "GetBucketVersioning GetBucketEncryption GetBucketPublicAccessBlock GetRole "
    "ListAttachedRolePolicies ListRolePolicies GetPolicy GetPolicyVersion GetUser "
    "ListAttachedUserPolicies GetFunction20150331v2 DescribeDBInstances DescribeLogGroups "
    "DescribeSecret DescribeTrails GetCallerIdentity"
).split()
AUDIT_READS = (
    "DescribeRegions DescribeInstances DescribeSecurityGroups DescribeVpcs DescribeSnapshots "
    "DescribeVolumes ListBuckets GetBucketPolicy GetBucketAcl GetBucketEncryption "
    "GetBucketPublicAccessBlock GetBucketVersioning ListUsers ListRoles ListPolicies "
    "ListAccessKeys ListMFADevices ListAttachedUserPolicies GetAccountAuthorizationDetails "
    "GetAccountSummary ListSecrets GetSecretValue DescribeTrails GetTrailStatus ListDetectors "
    "GetFindings ListFunctions20150331 DescribeDBInstances"
).split()
#: What the read-only audit role is not allowed to do: an AccessDenied storm.
AUDIT_DENIED = {
    "GetSecretValue": 1.0,
    "GetAccountAuthorizationDetails": 1.0,
    "ListSecrets": 0.6,
    "GetBucketPolicy": 0.5,
    "GetFindings": 0.7,
    "DescribeDBInstances": 0.4,
    "ListAccessKeys": 0.3,
}
AUDIT_REGIONS = (
    "us-east-1 us-east-2 us-west-1 us-west-2 eu-west-1 eu-west-2 eu-west-3 eu-central-1 "
    "eu-north-1 ap-southeast-1 ap-southeast-2 ap-northeast-1 ap-northeast-2 ap-northeast-3 "
    "ap-south-1 ca-central-1 sa-east-1"
).split()


@dataclass(frozen=True)
class Chunk:
    """A slice of the week, aligned to 5 minutes: [start, end) in epoch ms."""

    index: int
    start: int
    end: int

    @property
    def days(self) -> range:
        return range(self.start // MS_DAY, (self.end - 1) // MS_DAY + 1)


@dataclass(frozen=True)
class Incident:
    """What the background must know of the storyline: when it happens (epoch ms)."""

    start: int
    end: int


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _times(ms: np.ndarray) -> np.ndarray:
    return np.sort(ms.astype("datetime64[ms]"))


def _poisson(rng: np.random.Generator, chunk: Chunk, per_second: float) -> np.ndarray:
    n = rng.poisson(per_second * (chunk.end - chunk.start) / 1000)
    return rng.integers(chunk.start, chunk.end, n)


def _in_chunk(ms: np.ndarray, chunk: Chunk) -> np.ndarray:
    return ms[(ms >= chunk.start) & (ms < chunk.end)]


class Background:
    """The ordinary week around an incident, generated chunk by chunk."""

    def __init__(self, world: World, rate: float, incident: Incident) -> None:
        self.world = world
        self.rate = rate
        self.incident = incident
        self.week_start = _ms(world.start)
        rng = self._rng(98)
        taken = {u.name for u in world.users}
        while True:
            name = f"{FIRST[int(rng.integers(len(FIRST)))]}.{LAST[int(rng.integers(len(LAST)))]}"
            if name not in taken:
                break
        #: The administrator's legitimate new user during the incident (a decoy).
        self.new_hire = name
        #: The applications' S3 requests; those the trail selects become data events here.
        self.objects = ObjectTraffic(world, rate, incident)

    @functools.cache  # noqa: B019 - one Background per data set; a handful of entries
    def _session_keys(self, kind: int, k: int, n: int) -> pa.Array:
        """The temporary keys a role's sessions rotate through (drawn once per data set)."""
        return ids.access_keys(np.random.default_rng([self.world.seed, kind, k]), n)

    def _rng(self, *key: int) -> np.random.Generator:
        return np.random.default_rng([self.world.seed, 7, *key])

    # -- CloudTrail ---------------------------------------------------------------

    def cloudtrail(self, chunk: Chunk) -> pa.Table:
        parts = [
            self.instance_roles(chunk),
            self.lambda_roles(chunk),
            self.object_events(chunk),
            self.service_events(chunk),
            self.config_recorder(chunk),
        ]
        for day in self.local_days(chunk):
            if not (self.week_start <= day * MS_DAY < _ms(self.world.end)):
                continue
            parts += [
                self.people(chunk, day),
                self.terraform_plan(chunk, day),
                self.audit_scan(chunk, day),
                self.ci_deploys(chunk, day),
            ]
        parts.append(self.admin_creates_user(chunk))
        parts = [p for p in parts if p.num_rows]
        return self._trail_selects(pa.concat_tables(parts)) if parts else empty()

    def _trail_selects(self, ct: pa.Table) -> pa.Table:
        """The events the trail logs: management events, and data events only on the
        buckets its data event selectors name (``world.data_event_buckets``)."""
        data = np.flatnonzero(pc.equal(ct["event_category"], "Data").to_numpy(zero_copy_only=False))
        if not len(data):
            return ct
        params = pc.fill_null(ct["request_parameters"].take(pa.array(data)), "")
        selected = np.zeros(len(data), bool)
        for bucket in self.world.data_event_buckets:
            selected |= pc.match_substring(params, f'"bucketName":"{bucket}"').to_numpy(
                zero_copy_only=False
            )
        keep = np.ones(ct.num_rows, bool)
        keep[data[~selected]] = False
        return ct.filter(pa.array(keep)) if not keep.all() else ct

    def instance_roles(self, chunk: Chunk) -> pa.Table:
        """EC2 instance roles: steady KMS, SSM and Secrets calls, keys rotated every 6 h.

        The workers' share of S3 reads (a fifth of their calls) comes from
        :meth:`object_events`, so each read also has its line in the access logs."""
        w = self.world
        rng = self._rng(chunk.index, 1)
        tables = []
        for k, inst in enumerate(w.instances):
            role = next(r for r in w.roles if r.name == inst.role)
            ms = np.sort(_poisson(rng, chunk, 0.13 * self.rate))
            ident = self._rotating_sessions(11, k, role, inst.instance_id, ms, 6 * MS_HOUR, 60_000)
            ip = inst.public_ip or w.nat_ip
            apis = ["Decrypt", "GetParameter", "GetSecretValue"]
            if "worker" not in inst.name:  # kind 3 of a worker: its S3 reads, planned apart
                apis.append("DescribeInstances")
            kinds = rng.choice(4, size=len(ms), p=[0.45, 0.2, 0.15, 0.2])
            specs = [(api, ip, agents.BOTO3) for api in apis]
            tables += self._role_calls(rng, ident, ms, kinds, specs)
        return pa.concat_tables(tables) if tables else empty()

    def lambda_roles(self, chunk: Chunk) -> pa.Table:
        """Lambda functions: Decrypt per invocation, busier by day. Their S3 writes come
        from :meth:`object_events` (data events only where the trail selects the bucket)."""
        w = self.world
        rng = self._rng(chunk.index, 2)
        tables = []
        for k, (fn, role) in enumerate(zip(w.functions, w.role("lambda"), strict=True)):
            ms = _poisson(rng, chunk, 0.62 * self.rate)
            hour = (ms // MS_HOUR + w.utc_offset_hours) % 24
            keep = rng.random(len(ms)) < np.where((hour >= 7) & (hour < 22), 1.0, 0.35)
            ms = np.sort(ms[keep])
            ident = self._rotating_sessions(12, k, role, fn, ms, MS_HOUR, 0)
            kinds = (rng.random(len(ms)) < 0.4).astype(int)  # 1: the writes, planned apart
            specs = [("Decrypt", "lambda.amazonaws.com", agents.LAMBDA_BOTO3)]
            tables += self._role_calls(rng, ident, ms, kinds, specs)
        return pa.concat_tables(tables) if tables else empty()

    def _rotating_sessions(
        self, kind: int, k: int, role, session: str, ms: np.ndarray, period: int, offset: int
    ) -> Identity:
        """A role's sessions, one temporary key per ``period`` (ms), for calls at ``ms``."""
        window = ms // period
        key = self._session_keys(kind, k, 2_000).take(pa.array(window % 2_000))
        created = (window * period + offset).astype("datetime64[ms]")
        return role_identity(self.world, role, session, key, created)

    def _role_calls(
        self,
        rng,
        ident: Identity,
        ms: np.ndarray,
        kinds: np.ndarray,
        specs: list[tuple[str, str, str]],
    ) -> list[pa.Table]:
        """One :func:`calls` per API: the calls with ``kinds == j`` go to ``specs[j]``
        (API, source address, user agent)."""
        tables = []
        for j, (api, ip, ua) in enumerate(specs):
            idx = np.flatnonzero(kinds == j)
            if not len(idx):
                continue
            tables.append(
                calls(
                    api,
                    ms[idx].astype("datetime64[ms]"),
                    select(ident, idx),
                    world=self.world,
                    rng=rng,
                    region=self.world.home_region,
                    source_ip=ip,
                    user_agent=ua,
                )
            )
        return tables

    def object_events(self, chunk: Chunk) -> pa.Table:
        """S3 data events on the buckets the trail selects: the applications' reads and
        writes that :mod:`helpers.objects` plans, each the twin of an access log line
        (same time, caller, bucket, key, request id and x-amz-id-2)."""
        w = self.world
        tables = []
        for actor, rows in self.objects.trail_requests(chunk):
            ms = pc.cast(rows["time"], pa.int64()).to_numpy()
            if actor.kind == "instance":
                inst = w.instances[actor.index]
                role = next(r for r in w.roles if r.name == inst.role)
                ident = self._rotating_sessions(
                    11, actor.index, role, inst.instance_id, ms, 6 * MS_HOUR, 60_000
                )
            elif actor.kind == "function":
                role = w.role("lambda")[actor.index]
                fn = w.functions[actor.index]
                ident = self._rotating_sessions(12, actor.index, role, fn, ms, MS_HOUR, 0)
            else:
                ident = user_identity(w, w.user(actor.name))
            rng = self._rng(chunk.index, 10, actor.index, len(tables))
            status = rows["http_status"].to_numpy(zero_copy_only=False)
            for op, api in TRAIL_APIS.items():
                idx = np.flatnonzero(pc.equal(rows["operation"], op).to_numpy(zero_copy_only=False))
                if not len(idx):
                    continue
                part = rows.take(pa.array(idx))
                code = np.where(status[idx] == 404, "NoSuchKey", None)
                code = np.where(status[idx] == 403, "AccessDenied", code)
                message = np.where(code == "NoSuchKey", "The specified key does not exist.", None)
                message = np.where(code == "AccessDenied", "Access Denied", message)
                tables.append(
                    calls(
                        api,
                        ms[idx].astype("datetime64[ms]"),
                        select(ident, idx),
                        world=w,
                        rng=rng,
                        region=w.home_region,
                        source_ip=part["remote_ip"],
                        user_agent=part["user_agent"],
                        values=trail_values(part),
                        error_code=pa.array(code, pa.string()),
                        error_message=pa.array(message, pa.string()),
                    )
                )
        return pa.concat_tables(tables) if tables else empty()

    def service_events(self, chunk: Chunk) -> pa.Table:
        """Services at work: EC2 and Lambda assuming roles, KMS rotating keys."""
        w = self.world
        rng = self._rng(chunk.index, 3)
        tables = []
        ms = _poisson(rng, chunk, 0.01 * max(self.rate, 0.2))
        for service in ("ec2.amazonaws.com", "lambda.amazonaws.com"):
            sel = ms[rng.random(len(ms)) < 0.5]
            roles = w.role("instance") if service.startswith("ec2") else w.role("lambda")
            arns = [w.role_arn(r) for r in roles]
            tables.append(
                calls(
                    "AssumeRole",
                    _times(sel),
                    service_identity(service),
                    world=w,
                    rng=rng,
                    region=w.home_region,
                    source_ip=service,
                    user_agent=service,
                    values={
                        "role_arn": pa.array(
                            np.asarray(arns)[rng.integers(0, len(arns), len(sel))]
                        ),
                        "session": pa.array(
                            np.asarray([i.instance_id for i in w.instances] + list(w.functions))[
                                rng.integers(0, len(w.instances), len(sel))
                            ]
                        ),
                    },
                )
            )
        rotations = _in_chunk(
            np.array([self.week_start + d * MS_DAY + 4 * MS_HOUR + 1234 for d in range(w.days)]),
            chunk,
        )
        tables.append(
            calls(
                "RotateKey",
                _times(rotations),
                Identity(
                    identity_type="AWSService",
                    invoked_by="kms.amazonaws.com",
                    account_id=w.account_id,
                ),
                world=w,
                rng=rng,
                region=w.home_region,
                source_ip="kms.amazonaws.com",
                user_agent="kms.amazonaws.com",
            )
        )
        return pa.concat_tables(tables)

    def config_recorder(self, chunk: Chunk) -> pa.Table:
        """AWS Config through its service-linked role: Describe calls every few minutes,
        from config.amazonaws.com. More reads that are nobody's discovery."""
        w = self.world
        rng = self._rng(chunk.index, 9)
        role = next(r for r in w.roles if r.name == "AWSServiceRoleForConfig")
        ms = _poisson(rng, chunk, 0.004 * max(self.rate, 0.25))
        if not len(ms):
            return empty()
        ms.sort()
        window = ms // MS_HOUR
        key = self._session_keys(13, 0, 500).take(pa.array(window % 500))
        ident = role_identity(
            w, role, "AWSConfig-Describe", key, (window * MS_HOUR).astype("datetime64[ms]")
        )
        ident = Identity(**{**ident.__dict__, "invoked_by": "config.amazonaws.com"})
        return mixed(
            [
                "DescribeInstances",
                "DescribeSecurityGroups",
                "DescribeVpcs",
                "DescribeSubnets",
                "DescribeVolumes",
                "GetBucketAcl",
                "GetBucketPolicy",
                "GetBucketVersioning",
            ],
            None,
            ms.astype("datetime64[ms]"),
            ident,
            world=w,
            rng=rng,
            region=w.home_region,
            source_ip="config.amazonaws.com",
            user_agent="config.amazonaws.com",
        )

    def local_days(self, chunk: Chunk) -> range:
        """The company's local days (numbered like UTC days) that overlap ``chunk``: a
        local working day east of UTC starts on the UTC day before."""
        offset = self.world.utc_offset_hours * MS_HOUR
        return range((chunk.start + offset) // MS_DAY, (chunk.end - 1 + offset) // MS_DAY + 1)

    def _day_ms(self, day: int, local_hour: float) -> int:
        return int(day * MS_DAY + (local_hour - self.world.utc_offset_hours) * MS_HOUR)

    def _weekday(self, day: int) -> bool:
        return (day + 3) % 7 < 5  # 1970-01-01 was a Thursday

    def people(self, chunk: Chunk, day: int) -> pa.Table:
        """Office hours: console sign-ins with MFA from the office, then console and CLI work.

        The whole day of everyone's sessions is built as arrays, one row per call.
        """
        w = self.world
        if not self._weekday(day):
            return empty()
        rng = self._rng(day, 4)
        people = [p for p in w.people if rng.random() >= 0.15]
        if not people:
            return empty()
        k = len(people)
        login = np.array([self._day_ms(day, h) for h in rng.normal(9.0, 0.7, k)], dtype=np.int64)
        office = np.asarray(w.office_ips, dtype=object)[rng.integers(0, len(w.office_ips), k)]
        session_key = np.asarray(ids.access_keys(rng, k, temporary=True).to_pylist(), dtype=object)
        names = np.asarray([p.name for p in people], dtype=object)
        arns = np.asarray([w.user_arn(p) for p in people], dtype=object)
        pids = np.asarray([p.user_id for p in people], dtype=object)
        mfa = np.asarray([p.mfa for p in people])
        tables = []

        # sign-ins (people without MFA use the CLI only)
        sel = np.flatnonzero(mfa & (login >= chunk.start) & (login < chunk.end))
        tables.append(
            calls(
                "ConsoleLogin",
                login[sel].astype("datetime64[ms]"),
                Identity(
                    identity_type="IAMUser",
                    principal_id=pids[sel],
                    arn=arns[sel],
                    account_id=w.account_id,
                    access_key_id="",
                    user_name=names[sel],
                ),
                world=w,
                rng=rng,
                region=w.home_region,
                source_ip=office[sel],
                user_agent=agents.BROWSER,
                values={"mfa_used": "Yes", "login_result": "Success"},
            )
        )
        # console work: a session of 15-90 calls after the sign-in
        counts = np.where(mfa, rng.integers(15, 90, k), 0)
        who = np.repeat(np.arange(k), counts)
        gaps = rng.exponential(240_000, len(who)).astype(np.int64)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        offsets = np.cumsum(gaps) - np.concatenate([[0], np.cumsum(gaps)])[starts]
        ms = login[who] + offsets
        keep = (ms >= chunk.start) & (ms < chunk.end)
        who, ms = who[keep], ms[keep]
        tables.append(
            mixed(
                CONSOLE_READS,
                None,
                ms.astype("datetime64[ms]"),
                Identity(
                    identity_type="IAMUser",
                    principal_id=pids[who],
                    arn=arns[who],
                    account_id=w.account_id,
                    access_key_id=session_key[who],
                    user_name=names[who],
                    session_created=login[who].astype("datetime64[ms]"),
                    mfa_authenticated=mfa[who],
                    console_session=True,
                ),
                world=w,
                rng=rng,
                region=w.home_region,
                source_ip=office[who],
                user_agent=agents.CONSOLE,
                denied_rate=0.02,
            )
        )
        # some work from the CLI with their own long-term key, from the office or home
        cli = rng.random(k) < 0.4
        counts = np.where(cli, rng.integers(5, 40, k), 0)
        who = np.repeat(np.arange(k), counts)
        start = np.array([self._day_ms(day, h) for h in rng.uniform(10, 17, k)], dtype=np.int64)
        gaps = rng.exponential(20_000, len(who)).astype(np.int64)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        ms = start[who] + np.cumsum(gaps) - np.concatenate([[0], np.cumsum(gaps)])[starts]
        home = np.asarray([p.home_ip for p in people], dtype=object)
        where = np.where(rng.random(k) < 0.7, office, home)
        keys = np.asarray([p.access_key for p in people], dtype=object)
        keep = (ms >= chunk.start) & (ms < chunk.end)
        who, ms = who[keep], ms[keep]
        tables.append(
            mixed(
                [
                    "GetCallerIdentity",
                    "DescribeInstances",
                    "ListBuckets",
                    "ListObjects",
                    "GetParameter",
                    "DescribeLogGroups",
                ],
                [1, 4, 2, 3, 2, 2],
                ms.astype("datetime64[ms]"),
                Identity(
                    identity_type="IAMUser",
                    principal_id=pids[who],
                    arn=arns[who],
                    account_id=w.account_id,
                    access_key_id=keys[who],
                    user_name=names[who],
                ),
                world=w,
                rng=rng,
                region=w.home_region,
                source_ip=where[who],
                user_agent=agents.AWS_CLI,
                values={"bucket": w.buckets[0]},
            )
        )
        return pa.concat_tables([t for t in tables if t.num_rows] or [empty()])

    def terraform_plan(self, chunk: Chunk, day: int) -> pa.Table:
        """The nightly plan: hundreds of reads in three minutes, from the CI runner."""
        w = self.world
        rng = self._rng(day, 5)
        user = w.user("terraform-ci")
        start = self._day_ms(day, 2.0) + int(rng.integers(0, 600_000))
        n = int(rng.integers(300, 600))
        ms = start + np.sort(rng.integers(0, 180_000, n))
        return mixed(
            TERRAFORM_READS,
            None,
            _times(_in_chunk(ms, chunk)),
            user_identity(w, user),
            world=w,
            rng=rng,
            region=w.home_region,
            source_ip=w.ci_ip,
            user_agent=agents.TERRAFORM.replace("api/{api}", "api/ec2"),
        )

    def audit_scan(self, chunk: Chunk, day: int) -> pa.Table:
        """The vendor's posture scan through the read-only audit role: many AccessDenied."""
        w = self.world
        rng = self._rng(day, 6)
        role = w.role("audit")[0]
        tables = []
        for hour in (1.5, 9.5, 17.5):
            start = self._day_ms(day, hour) + int(rng.integers(0, 900_000))
            n = int(rng.integers(150, 350))
            ms = start + np.sort(rng.integers(0, 600_000, n))
            key = ids.access_key(rng, temporary=True)
            regions = np.asarray(AUDIT_REGIONS)[rng.integers(0, len(AUDIT_REGIONS), n)]
            keep = (ms >= chunk.start) & (ms < chunk.end)
            if not keep.any():
                continue
            tables.append(
                mixed(
                    AUDIT_READS,
                    None,
                    ms[keep].astype("datetime64[ms]"),
                    role_identity(w, role, "prowler-scan", key, np.datetime64(start - 5_000, "ms")),
                    world=w,
                    rng=rng,
                    region=regions[keep],
                    source_ip=w.audit_ip,
                    user_agent=agents.AUDIT_SCANNER,
                    denied_rate=AUDIT_DENIED,
                )
            )
        return pa.concat_tables(tables) if tables else empty()

    def ci_deploys(self, chunk: Chunk, day: int) -> pa.Table:
        """GitHub Actions deploys: web-identity role sessions updating Lambda code."""
        w = self.world
        if not self._weekday(day):
            return empty()
        rng = self._rng(day, 8)
        role = w.role("ci")[0]
        tables = []
        for _ in range(int(rng.integers(2, 6))):
            start = self._day_ms(day, rng.uniform(9.5, 17.5))
            run = f"GitHubActions-{int(rng.integers(10**9, 10**10))}"
            key = ids.access_key(rng, temporary=True)
            t0 = np.array([start], dtype="datetime64[ms]")
            tables.append(
                calls(
                    "AssumeRoleWithWebIdentity",
                    _in_chunk_t(t0, chunk),
                    Identity(
                        identity_type="WebIdentityUser",
                        principal_id=f"token.actions.githubusercontent.com:sts.amazonaws.com:repo:{w.github_org}/platform:ref:refs/heads/main",
                        user_name=f"repo:{w.github_org}/platform:ref:refs/heads/main",
                    ),
                    world=w,
                    rng=rng,
                    region=w.home_region,
                    source_ip=public_ip(rng),
                    user_agent=agents.BOTO3,
                    values={
                        "role_arn": w.role_arn(role),
                        "role": role.name,
                        "role_id": role.role_id,
                        "session": run,
                        "new_key": key,
                    },
                )
            )
            ms = start + 2_000 + np.cumsum(rng.exponential(3_000, 12)).astype(np.int64)
            tables.append(
                mixed(
                    [
                        "GetCallerIdentity",
                        "GetFunction20150331v2",
                        "UpdateFunctionCode20150331v2",
                        "PutObject",
                    ],
                    [1, 3, 2, 2],
                    _times(_in_chunk(ms, chunk)),
                    role_identity(w, role, run, key, t0[0]),
                    world=w,
                    rng=rng,
                    region=w.home_region,
                    source_ip=public_ip(rng),
                    user_agent=agents.BOTO3,
                    values={"bucket": w.buckets[0]},
                )
            )
        return pa.concat_tables([t for t in tables if t.num_rows] or [empty()])

    def admin_creates_user(self, chunk: Chunk) -> pa.Table:
        """Decoy: an administrator onboards a new hire, with a key, during the incident."""
        w = self.world
        rng = self._rng(99)
        admin = next(u for u in w.people if u.admin)
        start = self.incident.start + int(rng.integers(2, 5) * MS_HOUR)
        new_hire = self.new_hire
        office = w.office_ips[0]
        key = ids.access_key(rng, temporary=True)
        ident = user_identity(
            w, admin, key, session_created=np.datetime64(start - 600_000, "ms"), console=True
        )
        steps = [
            ("CreateUser", {"target_user": new_hire}),
            (
                "AttachUserPolicy",
                {"target_user": new_hire, "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
            ),
            ("CreateLoginProfile", {"target_user": new_hire}),
            ("CreateAccessKey", {"target_user": new_hire, "new_key": ids.access_key(rng)}),
        ]
        tables = []
        for i, (api, values) in enumerate(steps):
            t = np.array([start + i * 47_000], dtype="datetime64[ms]")
            tables.append(
                calls(
                    api,
                    _in_chunk_t(t, chunk),
                    ident,
                    world=w,
                    rng=rng,
                    region=w.home_region,
                    source_ip=office,
                    user_agent=agents.CONSOLE,
                    values=values,
                )
            )
        return pa.concat_tables(tables)


def _in_chunk_t(t: np.ndarray, chunk: Chunk) -> np.ndarray:
    ms = t.astype("datetime64[ms]").astype(np.int64)
    return t[(ms >= chunk.start) & (ms < chunk.end)]
