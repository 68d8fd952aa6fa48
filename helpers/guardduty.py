"""GuardDuty findings: the exported finding documents, the writer, the reader, the catalog table.

Findings are few (tens to hundreds), so the generator hands the writer
finding documents as dicts, each one an exported *version* of a finding:
repeated activity exports the same ``id`` again with a higher ``count``,
a later ``eventLastSeen`` and ``updatedAt``, as GuardDuty does.

The builders (:func:`api_call_finding`, :func:`network_finding`,
:func:`dns_finding`, :func:`port_probe_finding`) shape documents exactly as
GuardDuty exports them; :func:`updated` makes the next version of one.
:func:`write_native` delivers them in GuardDuty's S3 export layout and
:func:`read_files` loads exports (JSON lines, a JSON array, or EventBridge
events) into the ``guardduty`` table; :data:`LATEST_VIEW_SQL` keeps one row
per finding.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import re
import uuid
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from helpers.files import one_line, relative
from helpers.gz import gzip_bytes
from helpers.schema import Column, Table

#: The catalog table ``guardduty``: one row per exported finding record.
TABLE = Table(
    name="guardduty",
    row=(
        "one exported GuardDuty finding record; an updated finding is exported again "
        "with the same id (use the view guardduty_latest for one row per finding)"
    ),
    columns=(
        Column("id", "VARCHAR", "the finding id (stable across updates)"),
        Column("type", "VARCHAR", "ThreatPurpose:ResourceType/ThreatFamily.Mechanism!Artifact"),
        Column("severity", "DOUBLE", "1.0-3.9 low, 4.0-6.9 medium, 7.0-8.9 high"),
        Column("title", "VARCHAR", "a one-line summary"),
        Column("description", "VARCHAR", "what GuardDuty saw, in a sentence"),
        Column("region", "VARCHAR", "the region of the finding"),
        Column("account_id", "VARCHAR", "the account of the finding"),
        Column("resource_type", "VARCHAR", "AccessKey, Instance, S3Bucket, ..."),
        Column("access_key_id", "VARCHAR", "resource.accessKeyDetails.accessKeyId"),
        Column("user_name", "VARCHAR", "resource.accessKeyDetails.userName"),
        Column("instance_id", "VARCHAR", "resource.instanceDetails.instanceId"),
        Column(
            "action_type", "VARCHAR", "AWS_API_CALL, NETWORK_CONNECTION, DNS_REQUEST, PORT_PROBE"
        ),
        Column("api", "VARCHAR", "for AWS_API_CALL: the API called"),
        Column("remote_ip", "VARCHAR", "the remote address (caller, peer or prober)"),
        Column("remote_country", "VARCHAR", "the remote address's country"),
        Column("remote_org", "VARCHAR", "the remote address's organisation (ASN owner)"),
        Column("domain", "VARCHAR", "for DNS_REQUEST: the domain asked for"),
        Column("first_seen", "TIMESTAMP", "service.eventFirstSeen, UTC"),
        Column("last_seen", "TIMESTAMP", "service.eventLastSeen, UTC"),
        Column("count", "INTEGER", "service.count: how many times the activity was seen"),
        Column("created_at", "TIMESTAMP", "createdAt"),
        Column("updated_at", "TIMESTAMP", "updatedAt"),
        Column("finding", "JSON", "the whole finding as exported"),
        Column("file", "VARCHAR", "the export file the record was read from, relative to raw/"),
    ),
)

#: One row per finding id: its latest exported version.
LATEST_VIEW_SQL = f"""CREATE OR REPLACE VIEW guardduty_latest AS
SELECT * FROM {TABLE.name}
QUALIFY row_number() OVER (
    PARTITION BY id ORDER BY updated_at DESC, count DESC, file DESC
) = 1"""

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "TIMESTAMP": pa.timestamp("us"),
}

#: The Arrow schema of catalog rows (what :func:`write_native` returns).
ROWS = pa.schema([(c.name, _ARROW_TYPES[c.type]) for c in TABLE.columns])

#: New findings are exported within about 5 minutes; updates to a finding
#: every 6 hours (the detector's default finding publishing frequency).
NEW_EXPORT = timedelta(minutes=5)
UPDATE_EXPORT = timedelta(hours=6)

#: Port names as GuardDuty writes them in localPortDetails / remotePortDetails.
PORT_NAMES = {
    21: "FTP",
    22: "SSH",
    23: "Telnet",
    25: "SMTP",
    53: "DNS",
    80: "HTTP",
    110: "POP3",
    143: "IMAP",
    443: "HTTPS",
    445: "SMB",
    1433: "MSSQL",
    3306: "MySQL",
    3389: "RDP",
    5432: "PostgreSQL",
    6379: "Redis",
    8080: "HTTP",
}

_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_GUARDDUTY_ARN = re.compile(r"arn:aws[a-z-]*:guardduty:")


@dataclass(frozen=True)
class RemoteIp:
    """A remote address and where GuardDuty places it (remoteIpDetails)."""

    ip: str
    country: str
    city: str
    lat: float
    lon: float
    asn: str
    asn_org: str
    isp: str
    org: str

    def details(self) -> dict[str, Any]:
        """The ``remoteIpDetails`` object.

        >>> RemoteIp("198.51.100.7", "Netherlands", "Amsterdam", 52.37, 4.89,
        ...          "64500", "ExampleNet", "ExampleNet", "ExampleNet").details()["ipAddressV4"]
        '198.51.100.7'
        """
        return {
            "ipAddressV6" if ":" in self.ip else "ipAddressV4": self.ip,
            "organization": {
                "asn": self.asn,
                "asnOrg": self.asn_org,
                "isp": self.isp,
                "org": self.org,
            },
            "country": {"countryName": self.country},
            "city": {"cityName": self.city},
            "geoLocation": {"lat": self.lat, "lon": self.lon},
        }


@dataclass(frozen=True)
class AccessKey:
    """The IAM credentials a finding is about (resource.accessKeyDetails)."""

    access_key_id: str
    principal_id: str
    user_name: str
    user_type: str = "IAMUser"  # IAMUser, Root, AssumedRole, ...


@dataclass(frozen=True)
class Instance:
    """The EC2 instance a finding is about (resource.instanceDetails)."""

    instance_id: str
    instance_type: str
    image_id: str
    launch_time: datetime
    availability_zone: str
    network_interface_id: str
    private_ip: str
    subnet_id: str
    vpc_id: str
    security_groups: tuple[tuple[str, str], ...] = ()  # (groupName, groupId)
    public_ip: str | None = None
    tags: tuple[tuple[str, str], ...] = ()  # (key, value)
    instance_state: str = "running"
    instance_profile_arn: str | None = None
    instance_profile_id: str | None = None


def make_id(*parts: str) -> str:
    """A finding or detector id (32 hex digits), the same for the same parts.

    >>> len(make_id("seed-1", "detector"))
    32
    """
    return hashlib.blake2b("|".join(parts).encode(), digest_size=16).hexdigest()


def api_call_finding(
    *,
    account: str,
    region: str,
    detector_id: str,
    finding_id: str,
    finding_type: str,
    severity: float,
    title: str,
    description: str,
    access_key: AccessKey,
    api: str,
    service_name: str,
    remote: RemoteIp,
    first_seen: datetime,
    last_seen: datetime,
    count: int = 1,
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
    additional_info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An AWS_API_CALL finding on an access key, e.g. ``Recon:IAMUser/MaliciousIPCaller``.

    ``created_at`` defaults to ``last_seen`` and ``updated_at`` to
    ``created_at`` (a new finding); naive datetimes are taken as UTC.

    >>> finding = api_call_finding(account="123456789012", region="us-east-1",
    ...     detector_id=make_id("d"), finding_id=make_id("f"),
    ...     finding_type="Recon:IAMUser/MaliciousIPCaller", severity=5,
    ...     title="...", description="...", access_key=key, api="ListBuckets",
    ...     service_name="s3.amazonaws.com", remote=attacker,
    ...     first_seen=t0, last_seen=t1)  # doctest: +SKIP
    """
    action = {
        "actionType": "AWS_API_CALL",
        "awsApiCallAction": {
            "api": api,
            "serviceName": service_name,
            "callerType": "Remote IP",
            "remoteIpDetails": remote.details(),
            "affectedResources": {},
        },
    }
    resource = {
        "resourceType": "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": access_key.access_key_id,
            "principalId": access_key.principal_id,
            "userType": access_key.user_type,
            "userName": access_key.user_name,
        },
    }
    return _finding(
        account=account,
        region=region,
        detector_id=detector_id,
        finding_id=finding_id,
        finding_type=finding_type,
        severity=severity,
        title=title,
        description=description,
        first_seen=first_seen,
        last_seen=last_seen,
        count=count,
        created_at=created_at,
        updated_at=updated_at,
        additional_info=additional_info,
        resource=resource,
        action=action,
        resource_role="TARGET",
    )


def network_finding(
    *,
    account: str,
    region: str,
    detector_id: str,
    finding_id: str,
    finding_type: str,
    severity: float,
    title: str,
    description: str,
    instance: Instance,
    direction: str,
    protocol: str,
    local_port: int,
    remote_port: int,
    remote: RemoteIp,
    first_seen: datetime,
    last_seen: datetime,
    count: int = 1,
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
    additional_info: dict[str, Any] | None = None,
    blocked: bool = False,
) -> dict[str, Any]:
    """A NETWORK_CONNECTION finding on an instance, e.g. ``UnauthorizedAccess:EC2/SSHBruteForce``.

    ``direction`` is INBOUND (the instance is the TARGET) or OUTBOUND (the
    ACTOR); ``protocol`` is TCP or UDP.

    >>> network_finding(..., instance=web, direction="INBOUND", protocol="TCP",
    ...     local_port=22, remote_port=51234, remote=attacker, ...)  # doctest: +SKIP
    """
    if direction not in ("INBOUND", "OUTBOUND", "UNKNOWN"):
        raise ValueError(f"direction must be INBOUND, OUTBOUND or UNKNOWN, not {direction!r}")
    action = {
        "actionType": "NETWORK_CONNECTION",
        "networkConnectionAction": {
            "connectionDirection": direction,
            "remoteIpDetails": remote.details(),
            "remotePortDetails": _port(remote_port),
            "localPortDetails": _port(local_port),
            "protocol": protocol,
            "blocked": blocked,
            "localIpDetails": {"ipAddressV4": instance.private_ip},
        },
    }
    return _finding(
        account=account,
        region=region,
        detector_id=detector_id,
        finding_id=finding_id,
        finding_type=finding_type,
        severity=severity,
        title=title,
        description=description,
        first_seen=first_seen,
        last_seen=last_seen,
        count=count,
        created_at=created_at,
        updated_at=updated_at,
        additional_info=additional_info,
        resource=_instance_resource(instance, region),
        action=action,
        resource_role="ACTOR" if direction == "OUTBOUND" else "TARGET",
    )


def dns_finding(
    *,
    account: str,
    region: str,
    detector_id: str,
    finding_id: str,
    finding_type: str,
    severity: float,
    title: str,
    description: str,
    instance: Instance,
    domain: str,
    first_seen: datetime,
    last_seen: datetime,
    count: int = 1,
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
    additional_info: dict[str, Any] | None = None,
    protocol: str = "UDP",
    blocked: bool = False,
) -> dict[str, Any]:
    """A DNS_REQUEST finding: an instance asked for a bad domain (the instance is the ACTOR).

    E.g. ``CryptoCurrency:EC2/BitcoinTool.B!DNS`` or ``Backdoor:EC2/C&CActivity.B!DNS``.

    >>> dns_finding(..., instance=web, domain="pool.example.net", ...)  # doctest: +SKIP
    """
    action = {
        "actionType": "DNS_REQUEST",
        "dnsRequestAction": {"domain": domain, "protocol": protocol, "blocked": blocked},
    }
    return _finding(
        account=account,
        region=region,
        detector_id=detector_id,
        finding_id=finding_id,
        finding_type=finding_type,
        severity=severity,
        title=title,
        description=description,
        first_seen=first_seen,
        last_seen=last_seen,
        count=count,
        created_at=created_at,
        updated_at=updated_at,
        additional_info=additional_info,
        resource=_instance_resource(instance, region),
        action=action,
        resource_role="ACTOR",
    )


def port_probe_finding(
    *,
    account: str,
    region: str,
    detector_id: str,
    finding_id: str,
    finding_type: str,
    severity: float,
    title: str,
    description: str,
    instance: Instance,
    probes: Sequence[tuple[int, RemoteIp]],
    first_seen: datetime,
    last_seen: datetime,
    count: int = 1,
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
    additional_info: dict[str, Any] | None = None,
    blocked: bool = False,
) -> dict[str, Any]:
    """A PORT_PROBE finding: remote hosts probed open ports of an instance (the TARGET).

    ``probes`` is a sequence of (local port probed, prober), e.g. for
    ``Recon:EC2/PortProbeUnprotectedPort``.

    >>> port_probe_finding(..., instance=web, probes=[(22, scanner)], ...)  # doctest: +SKIP
    """
    if not probes:
        raise ValueError("port_probe_finding: give at least one (port, RemoteIp) probe")
    action = {
        "actionType": "PORT_PROBE",
        "portProbeAction": {
            "portProbeDetails": [
                {
                    "localPortDetails": _port(port),
                    "localIpDetails": {"ipAddressV4": instance.private_ip},
                    "remoteIpDetails": remote.details(),
                }
                for port, remote in probes
            ],
            "blocked": blocked,
        },
    }
    return _finding(
        account=account,
        region=region,
        detector_id=detector_id,
        finding_id=finding_id,
        finding_type=finding_type,
        severity=severity,
        title=title,
        description=description,
        first_seen=first_seen,
        last_seen=last_seen,
        count=count,
        created_at=created_at,
        updated_at=updated_at,
        additional_info=additional_info,
        resource=_instance_resource(instance, region),
        action=action,
        resource_role="TARGET",
    )


def updated(
    finding: dict[str, Any], count: int, last_seen: datetime, updated_at: datetime
) -> dict[str, Any]:
    """The next exported version of a finding: same id, higher count, later last seen.

    >>> later = updated(finding, count=7, last_seen=t2, updated_at=t2)  # doctest: +SKIP
    >>> later["id"] == finding["id"]  # doctest: +SKIP
    True
    """
    service = finding["service"]
    if count < service["count"]:
        raise ValueError(f"updated: count {count} is below the finding's {service['count']}")
    if _timestamp(updated_at) < finding["updatedAt"]:
        raise ValueError(f"updated: updated_at {updated_at} is before {finding['updatedAt']}")
    new = copy.deepcopy(finding)
    new["service"]["count"] = count
    new["service"]["eventLastSeen"] = _timestamp(last_seen)
    new["updatedAt"] = _timestamp(updated_at)
    return new


def write_native(findings: Sequence[dict[str, Any]], raw_dir: Path, salt: str) -> pa.Table:
    """Write findings as GuardDuty's S3 export files; return the catalog rows.

    Each finding version goes to the export of its account and region at
    its export time: a new finding (``updatedAt == createdAt``) in the next
    5-minute export, an update at the next 6-hour boundary (GuardDuty's
    default frequency for updated findings). Where one export would hold
    two versions of the same id, only the latest is written, as GuardDuty
    exports the finding's state at that time::

        AWSLogs/<account>/GuardDuty/<region>/YYYY/MM/DD/<uuid>.jsonl.gz

    One finding per line, compact JSON in the key order built, the uuid
    derived from ``salt``, gzip mtime 0: the same input gives the same bytes.
    Returns rows with exactly ``TABLE.names`` (schema :data:`ROWS`) in file
    and line order, ``file`` relative to ``raw_dir``.

    >>> rows = write_native([first, later], Path("raw"), salt="demo")  # doctest: +SKIP
    """
    raw_dir = Path(raw_dir)
    exports: dict[tuple[str, str, datetime], dict[str, dict[str, Any]]] = {}
    for finding in findings:
        export = (finding["accountId"], finding["region"], export_time(finding))
        versions = exports.setdefault(export, {})
        held = versions.get(finding["id"])
        if held is None or (held["updatedAt"], held["service"]["count"]) <= (
            finding["updatedAt"],
            finding["service"]["count"],
        ):
            versions.pop(finding["id"], None)  # the later version takes the later line
            versions[finding["id"]] = finding

    rows: list[dict[str, Any]] = []
    for (account, region, at), versions in sorted(exports.items()):
        name = uuid.UUID(
            bytes=hashlib.blake2b(
                f"{salt}|guardduty|{account}|{region}|{at.isoformat()}".encode(), digest_size=16
            ).digest(),
            version=4,
        )
        key = f"AWSLogs/{account}/GuardDuty/{region}/{at:%Y/%m/%d}/{name}.jsonl.gz"
        lines = [_compact(finding) for finding in versions.values()]
        path = raw_dir / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip_bytes("".join(f"{line}\n" for line in lines).encode()))
        rows += [_row(f, text, key) for f, text in zip(versions.values(), lines, strict=True)]
    return _table(rows)


def export_time(finding: dict[str, Any]) -> datetime:
    """When GuardDuty exports this version of a finding (UTC): see :func:`write_native`.

    >>> export_time({"createdAt": "2026-01-02T03:04:05.123Z",
    ...              "updatedAt": "2026-01-02T03:04:05.123Z"})
    datetime.datetime(2026, 1, 2, 3, 5, tzinfo=datetime.timezone.utc)
    """
    updated_at = _parse_time(finding["updatedAt"]).replace(tzinfo=UTC)
    step = NEW_EXPORT if finding["updatedAt"] == finding["createdAt"] else UPDATE_EXPORT
    since = updated_at - datetime(1970, 1, 1, tzinfo=UTC)
    return updated_at - (since % step) + step


def read_files(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], root: Path | None = None
) -> tuple[int, list[tuple[Path, str]]]:
    """Load GuardDuty findings into the ``guardduty`` table; return (rows, skipped files).

    Takes the S3 export (JSON lines, ``.jsonl`` / ``.jsonl.gz`` / ``.json``),
    a JSON array of findings, a ``{"findings": [...]}`` object, and findings
    wrapped in EventBridge events (``"detail-type": "GuardDuty Finding"``),
    one per line or in an array. Types are pinned (the same :data:`ROWS`
    schema the writer returns); ``file`` is the path relative to ``root``
    (POSIX form; the path as given where it is not under ``root``).

    A file that is not that (corrupt or truncated gzip, not JSON, JSON that
    is not findings, empty) is skipped whole and returned with a one-line
    reason; the good files still load.

    >>> con.execute(TABLE.ddl())  # doctest: +SKIP
    >>> read_files(con, sorted(Path("raw").rglob("*.jsonl.gz")), root=Path("raw"))  # doctest: +SKIP
    (42, [])
    """
    rows: list[dict[str, Any]] = []
    skipped: list[tuple[Path, str]] = []
    for path in map(Path, paths):
        try:
            rows += _file_rows(path, relative(path, root))
        except (OSError, EOFError, zlib.error, UnicodeDecodeError, _NotFindings) as error:
            skipped.append((path, one_line(error)))
        except json.JSONDecodeError as error:
            skipped.append((path, f"not JSON: {one_line(error)}"))
    if rows:
        name = "_gameday_guardduty_rows"
        con.register(name, _table(rows))
        try:
            con.execute(
                f"INSERT INTO {TABLE.name} ({', '.join(TABLE.names)}) "
                f"SELECT {', '.join(TABLE.names)} FROM {name}"
            ).fetchall()
        finally:
            con.unregister(name)
    return len(rows), skipped


def looks_like(path: Path, head: str) -> bool:
    """Whether a file holds GuardDuty findings, from its name and first KB of text.

    >>> looks_like(Path("a.jsonl"), '{"schemaVersion":"2.0","accountId":"123456789012",'
    ...            '"region":"us-east-1","partition":"aws","id":"ab","arn":"arn:aws:guardduty:')
    True
    >>> looks_like(Path("a.json"), '{"Records": [{"eventVersion": "1.08"')
    False
    """
    text = head.lstrip()
    if text[:1] not in ("{", "["):
        return False
    in_export = "/GuardDuty/" in Path(path).absolute().as_posix()
    return bool(
        _GUARDDUTY_ARN.search(text)
        or re.search(r'"detail-type"\s*:\s*"GuardDuty Finding"', text)
        or (in_export and '"schemaVersion"' in text)
    )


class _NotFindings(ValueError):
    """A file that parses but does not hold GuardDuty findings."""


def _finding(
    *,
    account: str,
    region: str,
    detector_id: str,
    finding_id: str,
    finding_type: str,
    severity: float,
    title: str,
    description: str,
    resource: dict[str, Any],
    action: dict[str, Any],
    resource_role: str,
    first_seen: datetime,
    last_seen: datetime,
    count: int,
    created_at: datetime | None,
    updated_at: datetime | None,
    additional_info: dict[str, Any] | None,
) -> dict[str, Any]:
    """The finding document, keys in GuardDuty's export order."""
    for name, value in (("finding_id", finding_id), ("detector_id", detector_id)):
        if not _HEX32.match(value):
            raise ValueError(f"{name} must be 32 lower-case hex digits (make_id), not {value!r}")
    if not 0 < severity < 10:
        raise ValueError(f"severity must be between 0 and 10, not {severity}")
    if count < 1:
        raise ValueError(f"count must be 1 or more, not {count}")
    created_at = created_at or last_seen
    updated_at = updated_at or created_at
    return {
        "schemaVersion": "2.0",
        "accountId": account,
        "region": region,
        "partition": "aws",
        "id": finding_id,
        "arn": f"arn:aws:guardduty:{region}:{account}:detector/{detector_id}/finding/{finding_id}",
        "type": finding_type,
        "resource": resource,
        "service": {
            "serviceName": "guardduty",
            "detectorId": detector_id,
            "action": action,
            "resourceRole": resource_role,
            "additionalInfo": {
                "value": json.dumps(additional_info or {}, separators=(",", ":")),
                "type": "default",
            },
            "eventFirstSeen": _timestamp(first_seen),
            "eventLastSeen": _timestamp(last_seen),
            "archived": False,
            "count": count,
        },
        "severity": int(severity) if float(severity).is_integer() else float(severity),
        "createdAt": _timestamp(created_at),
        "updatedAt": _timestamp(updated_at),
        "title": title,
        "description": description,
    }


def _instance_resource(instance: Instance, region: str) -> dict[str, Any]:
    """resource {resourceType: Instance, instanceDetails} as GuardDuty writes it."""
    dashed = instance.private_ip.replace(".", "-")
    if region == "us-east-1":
        private_dns = f"ip-{dashed}.ec2.internal"
        public_domain = "compute-1.amazonaws.com"
    else:
        private_dns = f"ip-{dashed}.{region}.compute.internal"
        public_domain = f"{region}.compute.amazonaws.com"
    interface: dict[str, Any] = {
        "ipv6Addresses": [],
        "networkInterfaceId": instance.network_interface_id,
        "privateDnsName": private_dns,
        "privateIpAddress": instance.private_ip,
        "privateIpAddresses": [
            {"privateDnsName": private_dns, "privateIpAddress": instance.private_ip}
        ],
        "subnetId": instance.subnet_id,
        "vpcId": instance.vpc_id,
        "securityGroups": [
            {"groupName": name, "groupId": group_id} for name, group_id in instance.security_groups
        ],
    }
    if instance.public_ip:
        public_dashed = instance.public_ip.replace(".", "-")
        interface["publicDnsName"] = f"ec2-{public_dashed}.{public_domain}"
        interface["publicIp"] = instance.public_ip
    else:
        interface["publicDnsName"] = ""
    details: dict[str, Any] = {
        "instanceId": instance.instance_id,
        "instanceType": instance.instance_type,
        "launchTime": _utc(instance.launch_time).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platform": None,
        "productCodes": [],
    }
    if instance.instance_profile_arn:
        details["iamInstanceProfile"] = {
            "arn": instance.instance_profile_arn,
            "id": instance.instance_profile_id or "",
        }
    details |= {
        "networkInterfaces": [interface],
        "tags": [{"key": key, "value": value} for key, value in instance.tags],
        "instanceState": instance.instance_state,
        "availabilityZone": instance.availability_zone,
        "imageId": instance.image_id,
    }
    return {"resourceType": "Instance", "instanceDetails": details}


def _port(port: int) -> dict[str, Any]:
    return {"port": port, "portName": PORT_NAMES.get(port, "Unknown")}


def _utc(moment: datetime) -> datetime:
    """A datetime as naive UTC (a naive one is taken as UTC already)."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _timestamp(moment: datetime) -> str:
    """GuardDuty's time format, UTC with milliseconds: ``2026-01-02T03:04:05.123Z``."""
    return _utc(moment).isoformat(timespec="milliseconds") + "Z"


def _parse_time(text: str | None) -> datetime | None:
    """A GuardDuty time as a naive UTC datetime (None stays None)."""
    return None if text is None else _utc(datetime.fromisoformat(str(text).replace("Z", "+00:00")))


def _compact(finding: dict[str, Any]) -> str:
    """One finding as one line of compact JSON, keys in their order."""
    return json.dumps(finding, separators=(",", ":"), ensure_ascii=False)


def _read_text(path: Path) -> str:
    """A file's text, gunzipped where it is gzip (by its first bytes, not its name)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8-sig")


def _findings_in(text: str) -> Iterator[dict[str, Any]]:
    """The findings in an export: JSON lines, one JSON document, arrays, wrappers, events."""
    start = text.lstrip()[:1]
    if not start:
        raise _NotFindings("empty file")
    if start not in "[{":
        raise _NotFindings(f"not JSON: starts with {text.lstrip()[:20]!r}")
    try:
        documents = [json.loads(text)]
    except json.JSONDecodeError as whole:
        if not whole.msg.startswith("Extra data"):
            raise
        documents = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    documents.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise _NotFindings(f"line {number} is not JSON: {error.msg}") from error
    for document in documents:
        yield from _unwrap(document)


def _unwrap(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, list):
        for item in document:
            yield from _unwrap(item)
    elif not isinstance(document, dict):
        raise _NotFindings(f"not a GuardDuty finding: a JSON {type(document).__name__}")
    elif document.get("detail-type") == "GuardDuty Finding":
        yield from _unwrap(document.get("detail"))
    elif isinstance(document.get("findings"), list):
        yield from _unwrap(document["findings"])
    elif {"id", "type", "accountId", "service"} <= document.keys():
        yield document
    else:
        keys = ", ".join(list(document)[:5])
        raise _NotFindings(f"not a GuardDuty finding: a JSON object with keys {keys}")


def _row(finding: dict[str, Any], text: str, file: str) -> dict[str, Any]:
    """The catalog row of one finding: the one place a finding becomes columns."""
    resource = finding.get("resource") or {}
    key = resource.get("accessKeyDetails") or {}
    instance = resource.get("instanceDetails") or {}
    service = finding["service"]
    action = service.get("action") or {}
    remote: dict[str, Any] = {}
    for name in ("awsApiCallAction", "networkConnectionAction", "kubernetesApiCallAction"):
        remote = remote or (action.get(name) or {}).get("remoteIpDetails") or {}
    probes = (action.get("portProbeAction") or {}).get("portProbeDetails") or []
    if not remote and probes:
        remote = probes[0].get("remoteIpDetails") or {}
    organization = remote.get("organization") or {}
    count = service.get("count")
    return {
        "id": str(finding["id"]),
        "type": str(finding["type"]),
        "severity": float(finding["severity"]),
        "title": finding.get("title"),
        "description": finding.get("description"),
        "region": finding.get("region"),
        "account_id": str(finding["accountId"]),
        "resource_type": resource.get("resourceType"),
        "access_key_id": key.get("accessKeyId"),
        "user_name": key.get("userName"),
        "instance_id": instance.get("instanceId"),
        "action_type": action.get("actionType"),
        "api": (action.get("awsApiCallAction") or {}).get("api"),
        "remote_ip": remote.get("ipAddressV4") or remote.get("ipAddressV6"),
        "remote_country": (remote.get("country") or {}).get("countryName"),
        "remote_org": organization.get("asnOrg") or organization.get("org"),
        "domain": (action.get("dnsRequestAction") or {}).get("domain"),
        "first_seen": _parse_time(service.get("eventFirstSeen")),
        "last_seen": _parse_time(service.get("eventLastSeen")),
        "count": None if count is None else int(count),
        "created_at": _parse_time(finding.get("createdAt")),
        "updated_at": _parse_time(finding.get("updatedAt")),
        "finding": text,
        "file": file,
    }


def _file_rows(path: Path, file: str) -> list[dict[str, Any]]:
    """The catalog rows of one export file; raises if any part is not a finding."""
    findings = list(_findings_in(_read_text(path)))
    if not findings:
        raise _NotFindings("no GuardDuty findings in the file")
    rows = []
    for number, finding in enumerate(findings, 1):
        try:
            rows.append(_row(finding, _compact(finding), file))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise _NotFindings(f"finding {number}: bad {one_line(error)}") from error
    return rows


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    """Catalog rows as Arrow, schema :data:`ROWS` (the types pinned)."""
    return pa.table(
        {f.name: pa.array([row[f.name] for row in rows], f.type) for f in ROWS}, schema=ROWS
    )
