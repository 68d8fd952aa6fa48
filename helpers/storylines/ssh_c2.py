"""Storyline 4: SSH opened to the world, brute force, C2 beaconing and DNS exfiltration.

One evening a developer working from home cannot reach a web server (only the
office may SSH in), so they open tcp/22 on the web servers' security group to
0.0.0.0/0 and copy a large file up. Within the hour the internet's SSH
brute-forcers find the server; one of them guesses a password. The intruder
uploads an implant that calls home to a command-and-control server at a fixed
interval with jitter (each call resolves the C2 domain first), reads the
instance role's secrets with the AWS CLI and sends data out as long, random-
looking DNS names. GuardDuty reports the brute force (low: the instance is the
target), the C2 domain and the DNS exfiltration.

Decoys: the developer's own long SSH session from home (bigger than the
intruder's), internet scanners knocking on port 22 all week, an administrator
and another developer opening ports too, the instance role's steady
GetSecretValue calls, and an anti-virus agent's file-reputation lookups (long
hex DNS names from every instance, all week).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import agents, ids, resolver
from helpers import guardduty as gd
from helpers.background import MS_DAY, MS_HOUR, Incident
from helpers.events import calls, role_identity, select, user_identity
from helpers.quiz.question import Hint, Question
from helpers.schema import frame
from helpers.storylines.base import Injection, Step, Storyline
from helpers.traffic import conversation, ephemeral, flow_frame, random_public_ips
from helpers.world import Instance, World, public_ip, remote_details

STEPS = (
    Step(
        "exposure",
        "A developer opens tcp/22 on the web servers to the whole internet",
        "T1562.007",
        "Defense Evasion",
        ("cloudtrail",),
        prevent="Systems Manager Session Manager instead of SSH; an AWS Config rule "
        "(restricted-ssh) with automatic remediation; IAM limiting who may change security groups",
        detect="AWS Config / Security Hub (EC2.13: no 0.0.0.0/0 to port 22); Amazon Inspector "
        "network reachability",
        investigate="CloudTrail: AuthorizeSecurityGroupIngress, who, from where, which group",
    ),
    Step(
        "brute-force",
        "Password guessing on port 22 from several addresses",
        "T1110.001",
        "Credential Access",
        ("vpc_flow", "guardduty"),
        prevent="No password logins on instances; no SSH from the internet at all",
        detect="GuardDuty: UnauthorizedAccess:EC2/SSHBruteForce",
        investigate="VPC Flow Logs: bursts of short flows to port 22, per source address",
    ),
    Step(
        "initial-access",
        "One address gets in: a long session with far more bytes than the failures",
        "T1078.003",
        "Initial Access",
        ("vpc_flow",),
        prevent="Key-only SSH, Session Manager; least-privilege instance roles",
        detect="GuardDuty Runtime Monitoring; host logs (auth.log) in CloudWatch",
        investigate="VPC Flow Logs: the brute-forcer whose flow lasts and carries bytes",
    ),
    Step(
        "command-and-control",
        "The implant beacons to its C2 server at a fixed interval with jitter",
        "T1071.001",
        "Command and Control",
        ("vpc_flow", "dns", "guardduty"),
        prevent="Route 53 Resolver DNS Firewall; egress limited to what the servers need",
        detect="GuardDuty: Backdoor:EC2/C&CActivity.B!DNS",
        investigate="Route 53 Resolver query logs (exact query times), VPC Flow Logs",
    ),
    Step(
        "credential-access",
        "The instance role lists and reads secrets with the AWS CLI",
        "T1555.006",
        "Credential Access",
        ("cloudtrail",),
        prevent="Least privilege: the role reads only the secrets its application needs",
        detect="CloudTrail Insights / Security Hub; an unusual client on a role session",
        investigate="CloudTrail: ListSecrets and GetSecretValue by the instance's role session",
    ),
    Step(
        "exfiltration",
        "Data leaves as long, random-looking DNS names",
        "T1048.003",
        "Exfiltration",
        ("dns", "guardduty"),
        prevent="Route 53 Resolver DNS Firewall (allow lists, domain reputation)",
        detect="GuardDuty: Trojan:EC2/DNSDataExfiltration",
        investigate="Route 53 Resolver query logs: the query names themselves",
    ),
)

#: Made-up names for the C2 and exfiltration domains: plausible, nobody's real brand.
_SUBDOMAINS = ("api", "cdn", "update", "telemetry", "sync", "status", "edge")
_WORDS = (
    "lumen",
    "grid",
    "relay",
    "metric",
    "vault",
    "pixel",
    "north",
    "cobalt",
    "drift",
    "quanta",
    "ember",
    "vertex",
)
_TLDS = ("net", "com", "io", "xyz", "online", "site")
#: The anti-virus agent's file-reputation service (a decoy: long hex names from every instance).
AV_DOMAINS = ("fr.kestrelshield-av.net", "rep.nordguard-cloud.com", "hash.vantasec-av.net")
#: Secrets the applications read all day (the background's instance roles).
APP_SECRETS = ("db-password", "stripe-api-key")
OTHER_SECRETS = (
    "github-deploy-key",
    "datadog-api-key",
    "smtp-credentials",
    "jwt-signing-key",
    "admin-api-token",
    "backup-encryption-key",
    "partner-sftp-password",
)
PAYLOAD_BYTES = 30  # per query: 60 hex characters, under DNS's 63-character label limit
ROTATION = 6 * MS_HOUR  # the instance role's credentials rotate as the background's do


def _domain(rng: np.random.Generator, sub: bool) -> str:
    a, b = rng.choice(len(_WORDS), 2, replace=False)
    name = f"{_WORDS[a]}-{_WORDS[b]}.{_TLDS[int(rng.integers(len(_TLDS)))]}"
    return f"{_SUBDOMAINS[int(rng.integers(len(_SUBDOMAINS)))]}.{name}" if sub else name


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _iso(ms: int) -> str:
    return _dt(ms).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _at(ms) -> np.ndarray:
    return np.atleast_1d(np.asarray(ms, dtype=np.int64)).astype("datetime64[ms]")


def long_flow(
    rng: np.random.Generator,
    world: World,
    inst: Instance,
    peer: str,
    peer_port: int,
    local_port: int,
    start_ms: int,
    seconds: int,
    bytes_in: int,
    bytes_out: int,
) -> pa.Table:
    """One long inbound TCP connection as flow logs report it: a record per direction per
    10-minute aggregation interval, the bytes spread over the intervals."""
    begin = start_ms // 1000
    starts = np.arange(begin, begin + seconds, 600, dtype=np.int64)
    ends = np.minimum(starts + 600, begin + seconds)
    share = rng.dirichlet(np.full(len(starts), 4.0))
    b_in = np.maximum(200, (share * bytes_in).astype(np.int64))
    b_out = np.maximum(200, (share * bytes_out).astype(np.int64))
    common = dict(
        version=2,
        account_id=world.account_id,
        interface_id=inst.eni,
        protocol=6,
        start=starts,
        end=ends,
        action="ACCEPT",
        log_status="OK",
        region=world.home_region,
        flow_log_id=world.flow_log_id,
    )
    n = len(starts)
    peer_a = pa.repeat(pa.scalar(peer, pa.string()), n)
    local_a = pa.repeat(pa.scalar(inst.private_ip, pa.string()), n)
    inbound = flow_frame(
        n,
        srcaddr=peer_a,
        dstaddr=local_a,
        srcport=peer_port,
        dstport=local_port,
        packets=np.maximum(1, b_in // 1100),
        bytes=b_in,
        **common,
    )
    outbound = flow_frame(
        n,
        srcaddr=local_a,
        dstaddr=peer_a,
        srcport=local_port,
        dstport=peer_port,
        packets=np.maximum(1, b_out // 700),
        bytes=b_out,
        **common,
    )
    return pa.concat_tables([inbound, outbound])


def role_session(world: World, inst: Instance, ms: np.ndarray):
    """The instance role's session for calls at ``ms``: the same temporary key the
    instance's own application uses at that time (the background rotates it every six
    hours, drawn as ``default_rng([seed, 11, k])``; a test checks they agree)."""
    k = world.instances.index(inst)
    role = next(r for r in world.roles if r.name == inst.role)
    window = ms // ROTATION
    keys = ids.access_keys(np.random.default_rng([world.seed, 11, k]), 2_000)
    key = keys.take(pa.array(window % 2_000))
    created = (window * ROTATION + 60_000).astype("datetime64[ms]")
    return role_identity(world, role, inst.instance_id, key, created)


def dns_rows(
    times_ms: np.ndarray,
    names: pa.Array | str,
    qtype: str,
    answers: list[list[str]] | list[str],
    inst: Instance | list[Instance],
    rng: np.random.Generator,
    rcode: str = "NOERROR",
) -> pa.Table:
    """Resolver query log rows (:data:`helpers.resolver.FRAME`) for queries at ``times_ms``."""
    n = len(times_ms)
    many = isinstance(inst, list)
    src = [i.private_ip for i in inst] if many else inst.private_ip
    iid = [i.instance_id for i in inst] if many else inst.instance_id
    if not answers or isinstance(answers[0], str):
        answers = [list(answers)] * n
    return frame(
        resolver.FRAME,
        n,
        time=pa.array(_at(times_ms)).cast(resolver.TS),
        query_name=names,
        query_type=qtype,
        rcode=rcode,
        answers=pa.array(answers, pa.list_(pa.string())),
        srcaddr=src,
        srcport=ephemeral(rng, n).astype(np.int32),
        transport="UDP",
        instance_id=iid,
    )


def _scanners(
    rng: np.random.Generator, world: World, targets: list[Instance], opened: int
) -> pa.Table:
    """The internet's SSH scanners: one to three quick connections per address to port 22,
    all week. The bastion accepts them; the web servers reject them until ``opened``."""
    week_start = int(world.start.timestamp() * 1000)
    week_end = int(world.end.timestamp() * 1000)
    tables = []
    for inst in targets:
        per_day = rng.integers(20, 40) if "-bastion-" in inst.name else rng.integers(4, 10)
        n = int(per_day * world.days)
        ips = random_public_ips(rng, n)
        repeat = rng.integers(1, 4, n)
        first = rng.integers(week_start, week_end - 60_000, n)
        ms = np.repeat(first, repeat) + rng.integers(0, 20_000, int(repeat.sum()))
        peers = ips.take(pa.array(np.repeat(np.arange(n), repeat)))
        open_now = np.full(len(ms), "-bastion-" in inst.name) | (ms >= opened)
        for accepted in (True, False):
            sel = np.flatnonzero(open_now == accepted)
            tables.append(
                conversation(
                    rng,
                    world,
                    inst,
                    ms[sel],
                    peers.take(pa.array(sel)),
                    ephemeral(rng, len(sel)),
                    22,
                    6,
                    inbound=True,
                    bytes_mean=120,
                    duration_s=1,
                    action="ACCEPT" if accepted else "REJECT",
                )
            )
    return pa.concat_tables([t for t in tables if t.num_rows])


def _gd_instance(world: World, inst: Instance, sg: tuple[str, str]) -> gd.Instance:
    """The instance as GuardDuty describes it: the security group and the instance profile
    in it are the learner's pivots into CloudTrail."""
    role = next(r for r in world.roles if r.name == inst.role)
    return gd.Instance(
        instance_id=inst.instance_id,
        instance_type=inst.instance_type,
        image_id=inst.image_id,
        launch_time=world.start - timedelta(days=40),
        availability_zone=f"{world.home_region}a",
        network_interface_id=inst.eni,
        private_ip=inst.private_ip,
        subnet_id=inst.subnet,
        vpc_id=world.vpc_id,
        security_groups=(sg,),
        public_ip=inst.public_ip,
        tags=(("Name", inst.name),),
        instance_profile_arn=f"arn:aws:iam::{world.account_id}:instance-profile/{role.name}",
        instance_profile_id=ids.principal_id(np.random.default_rng([world.seed, 41]), "AIPA"),
    )


def _brute_force_finding(
    world: World, rng: np.random.Generator, inst: gd.Instance, ip: str, ms: np.ndarray
) -> dict:
    """GuardDuty's SSHBruteForce about one address; Low, since the instance is the target."""
    first, last = _dt(int(ms[0])), _dt(int(ms[-1]))
    text = f"{ip} is performing SSH brute force attacks against {inst.instance_id}."
    return gd.network_finding(
        account=world.account_id,
        region=world.home_region,
        detector_id=world.detector_id,
        finding_id=ids.random_strings(rng, 1, 32, ids.HEX)[0],
        finding_type="UnauthorizedAccess:EC2/SSHBruteForce",
        severity=2.0,
        title=text,
        description=text + " Brute force attacks are used to gain unauthorized access to your "
        "instance by guessing the SSH password.",
        instance=inst,
        direction="INBOUND",
        protocol="TCP",
        local_port=22,
        remote_port=int(ephemeral(rng, 1)[0]),
        remote=remote_details(rng, ip),
        first_seen=first,
        last_seen=last,
        count=len(ms),
        created_at=last + timedelta(minutes=5),
    )


#: Titles and descriptions of the DNS findings, as GuardDuty words them.
DNS_FINDING_TEXT = {
    "Backdoor:EC2/C&CActivity.B!DNS": (
        "Command and Control server domain name queried by EC2 instance {id}.",
        "EC2 instance {id} is querying a domain name associated with a known Command & "
        "Control server.",
    ),
    "Trojan:EC2/DNSDataExfiltration": (
        "Data exfiltration through DNS queries from EC2 instance {id}.",
        "EC2 instance {id} is attempting to exfiltrate data by performing DNS queries to a "
        "remote domain.",
    ),
}


def _dns_findings(
    world: World,
    rng: np.random.Generator,
    inst: gd.Instance,
    finding_type: str,
    domain: str,
    ms: np.ndarray,
) -> list[dict]:
    """A High DNS finding about queries at ``ms``: first exported after 20 minutes of them,
    then updated with the final count once they stop."""
    first_ms, last_ms = int(ms[0]), int(ms[-1])
    seen = min(first_ms + 20 * 60_000, last_ms)
    title, description = (t.format(id=inst.instance_id) for t in DNS_FINDING_TEXT[finding_type])
    finding = gd.dns_finding(
        account=world.account_id,
        region=world.home_region,
        detector_id=world.detector_id,
        finding_id=ids.random_strings(rng, 1, 32, ids.HEX)[0],
        finding_type=finding_type,
        severity=8.0,
        title=title,
        description=description,
        instance=inst,
        domain=domain,
        first_seen=_dt(first_ms),
        last_seen=_dt(seen),
        count=int(np.sum(ms <= seen)),
        created_at=_dt(seen) + timedelta(minutes=5),
    )
    if last_ms <= seen:
        return [finding]
    final = _dt(last_ms)
    return [finding, gd.updated(finding, len(ms), final, final + timedelta(minutes=10))]


class _Injection(Injection):
    """An :class:`Injection` whose debrief timeline stays a few dozen rows long.

    Hundreds of brute-force and beacon connections each get a new ephemeral port, and
    each exfiltration query has a new name: the timeline groups them by peer and by domain.
    """

    def timeline(self, steps: tuple[Step, ...]) -> list[dict]:
        order = {s.id: i for i, s in enumerate(steps)}
        groups: dict[tuple, dict] = {}
        for row in super().timeline(steps):
            key = (
                row["step"],
                row["technique"],
                row["source"],
                _coarse(row["step"], row["source"], row["what"]),
            )
            g = groups.setdefault(key, {**row, "what": key[3], "count": 0})
            g["first"], g["last"] = min(g["first"], row["first"]), max(g["last"], row["last"])
            g["count"] += row["count"]
        return sorted(groups.values(), key=lambda r: (order[r["step"]], r["first"]))


def _coarse(step: str, source: str, what: str) -> str:
    """``flows to A:51234`` -> ``flows to A (ephemeral ports)``; an exfiltration query
    ``<data>.<domain>.`` -> ``*.<domain>.``."""
    if source == "vpc_flow":
        addr, _, port = what.rpartition(":")
        return f"{addr} (ephemeral ports)" if port.isdigit() and int(port) >= 32768 else what
    if source == "dns":
        _, _, rest = what.partition(".")
        return f"*.{rest}" if step == "exfiltration" else what
    return what


class SshC2(Storyline):
    name = "ssh-c2"
    title = "SSH exposed: brute force, C2 beaconing and DNS exfiltration"
    summary = (
        "A developer opens SSH to the internet; a brute-forcer gets in, plants an implant that "
        "beacons to its C2 server, reads the instance role's secrets and leaks data over DNS."
    )
    steps = STEPS

    def plan(self, world: World, rng: np.random.Generator) -> Incident:
        day = int(rng.integers(1, 5))
        local_hour = float(rng.uniform(18.5, 21.5))
        start = int(world.start.timestamp() * 1000) + day * MS_DAY
        start += int((local_hour - world.utc_offset_hours) * MS_HOUR)
        return Incident(start=start, end=start + 14 * MS_HOUR)

    def inject(self, world: World, rng: np.random.Generator, incident: Incident) -> Injection:
        inj = _Injection()
        region = world.home_region
        web = [i for i in world.instances if "-web-" in i.name]
        target = web[int(rng.integers(len(web)))]
        bastion = next(i for i in world.instances if "-bastion-" in i.name)
        people = [u for u in world.people if not u.admin]
        dev, staging_dev = (people[i] for i in rng.choice(len(people), 2, replace=False))
        admin = [u for u in world.people if u.admin][-1]
        web_sg = (f"{world.slug}-web-sg", ids.resource_id(rng, "sg-0", 1, 16)[0])
        bastion_sg = f"sg-0{ids.random_strings(rng, 1, 16, ids.HEX)[0]}"
        staging_sg = f"sg-0{ids.random_strings(rng, 1, 16, ids.HEX)[0]}"
        week_start = int(world.start.timestamp() * 1000)
        week_end = int(world.end.timestamp() * 1000)

        # 1. Exposure: tcp/22 from anywhere, from the developer's home, with their own key.
        opened = incident.start
        inj.add_events(
            "exposure",
            calls(
                "AuthorizeSecurityGroupIngress",
                _at(opened),
                user_identity(world, dev),
                world=world,
                rng=rng,
                region=region,
                source_ip=dev.home_ip,
                user_agent=agents.AWS_CLI,
                values={"sg": web_sg[1], "port": "22", "cidr": "0.0.0.0/0"},
            ),
        )
        # Decoys: the administrator lets the office into the bastion early in the week; the
        # next day another developer opens a staging group to the world on 443.
        admin_at = week_start + MS_DAY + int((10.5 - world.utc_offset_hours) * MS_HOUR)
        admin_at += int(rng.integers(0, 4 * MS_HOUR))
        staging_at = opened + int(rng.integers(13 * 60, 17 * 60)) * 60_000
        for who, at, sg, port, cidr, ip in (
            (admin, admin_at, bastion_sg, "22", f"{world.office_ips[0]}/32", world.office_ips[0]),
            (staging_dev, staging_at, staging_sg, "443", "0.0.0.0/0", world.office_ips[-1]),
        ):
            inj.add_decoy(
                "cloudtrail",
                calls(
                    "AuthorizeSecurityGroupIngress",
                    _at(at),
                    user_identity(world, who),
                    world=world,
                    rng=rng,
                    region=region,
                    source_ip=ip,
                    user_agent=agents.AWS_CLI,
                    values={"sg": sg, "port": port, "cidr": cidr},
                ),
            )
        # The reason for opening it: the developer's own long session from home, copying a
        # big file up (a decoy: the largest SSH flow of the week, from outside the office).
        dev_start = opened + int(rng.integers(120, 360)) * 1000
        inj.add_decoy(
            "vpc_flow",
            long_flow(
                rng,
                world,
                target,
                dev.home_ip,
                int(ephemeral(rng, 1)[0]),
                22,
                dev_start,
                int(rng.integers(25, 70)) * 60,
                int(rng.integers(40, 90)) * 1_000_000,
                int(rng.integers(1, 3)) * 1_000_000,
            ),
        )
        # Internet scanners knock on port 22 all week: the bastion answers (it is open to
        # the world, as its benign port-probe finding says); the web servers refuse until
        # the rule opens them.
        inj.add_decoy("vpc_flow", _scanners(rng, world, [bastion, *web], opened))

        # 2. Brute force: several addresses, bursts of short connections to port 22.
        bf_start = opened + int(rng.integers(25, 90)) * 60_000
        success = bf_start + int(rng.integers(60, 150)) * 60_000
        n_loud = int(rng.integers(2, 5))
        loud_ips = [public_ip(rng) for _ in range(n_loud)]
        attacker_ip = public_ip(rng)
        attempts: dict[str, np.ndarray] = {}
        for ip in loud_ips:
            bursts = int(rng.integers(1, 4))
            ms = []
            for _ in range(bursts):
                t0 = int(rng.integers(bf_start, success + 60 * 60_000))
                n = int(rng.integers(40, 110))
                ms.append(t0 + np.cumsum(rng.exponential(rng.uniform(1_500, 6_000), n)))
            attempts[ip] = np.sort(np.concatenate(ms)).astype(np.int64)
        n_win = int(rng.integers(20, 46))
        gaps = rng.exponential(rng.uniform(2_000, 8_000), n_win).astype(np.int64) + 300
        attempts[attacker_ip] = success - 2_000 - np.cumsum(gaps)[::-1]
        for ip, ms in attempts.items():
            inj.add_flows(
                "brute-force",
                conversation(
                    rng,
                    world,
                    target,
                    ms,
                    ip,
                    ephemeral(rng, len(ms)),
                    22,
                    6,
                    inbound=True,
                    bytes_mean=3_500,
                    duration_s=3,
                ),
            )

        # 3. The one that got in: a long session, the implant uploaded.
        session_s = int(rng.integers(20, 60)) * 60
        inj.add_flows(
            "initial-access",
            long_flow(
                rng,
                world,
                target,
                attacker_ip,
                int(ephemeral(rng, 1)[0]),
                22,
                success,
                session_s,
                int(rng.integers(1_500, 4_000)) * 1_000,
                int(rng.integers(200, 900)) * 1_000,
            ),
        )

        # 4. Beaconing: resolve the C2 domain, connect, sleep interval +-10 %, again.
        c2_domain = _domain(rng, sub=True)
        c2_ip = public_ip(rng)
        interval = int(rng.integers(47, 174))
        beacon_start = success + int(rng.integers(180, 600)) * 1000
        beacon_end = incident.end - int(rng.integers(0, 30)) * 60_000
        n_gaps = (beacon_end - beacon_start) // (interval * 1000)
        jitter = rng.uniform(-0.1, 0.1, n_gaps)
        jitter -= np.median(jitter)  # the typical gap is exactly the interval
        beacon_gaps = np.rint(interval * 1000 * (1 + jitter)).astype(np.int64)
        beacons = beacon_start + np.concatenate([[0], np.cumsum(beacon_gaps)])
        # like most clients, the implant asks for A and AAAA together (no IPv6: no answer)
        for qtype, answers, delay in (("A", [c2_ip], 0), ("AAAA", [], 2)):
            inj.add(
                "dns",
                "command-and-control",
                dns_rows(beacons + delay, f"{c2_domain}.", qtype, answers, target, rng),
            )
        inj.add_flows(
            "command-and-control",
            conversation(
                rng,
                world,
                target,
                beacons + rng.integers(15, 90, len(beacons)),
                c2_ip,
                443,
                ephemeral(rng, len(beacons)),
                6,
                inbound=False,
                bytes_mean=2_500,
                duration_s=1.5,
            ),
        )

        # 5a. Secrets: who am I, list, read, with the AWS CLI on the box and the role's key.
        t = beacon_start + int(rng.integers(20, 90)) * 60_000
        n_read = int(rng.integers(3, 6))
        stolen = sorted(
            f"prod/{world.slug}/{s}" for s in rng.choice(OTHER_SECRETS, n_read, replace=False)
        )
        cli = dict(
            world=world,
            rng=rng,
            region=region,
            source_ip=target.public_ip,
            user_agent=agents.AWS_CLI_LINUX,
        )
        seq = t + np.concatenate(
            [[0, 4_000], 9_000 + np.cumsum(rng.integers(2_000, 9_000, n_read))]
        )
        ident = role_session(world, target, seq)
        inj.add_events(
            "credential-access",
            calls("GetCallerIdentity", _at(seq[0]), select(ident, np.array([0])), **cli),
        )
        inj.add_events(
            "credential-access",
            calls("ListSecrets", _at(seq[1]), select(ident, np.array([1])), **cli),
        )
        inj.add_events(
            "credential-access",
            calls(
                "GetSecretValue",
                _at(seq[2:]),
                select(ident, np.arange(2, len(seq))),
                values={"secret_id": pa.array(stolen)},
                **cli,
            ),
        )

        # 5b. Exfiltration over DNS: hex payload in the first label, 30 bytes a query.
        exfil_domain = _domain(rng, sub=False)
        n_queries = int(rng.integers(150, 400))
        last = int(rng.integers(1, PAYLOAD_BYTES + 1))
        labels = ids.random_array(rng, n_queries, 2 * PAYLOAD_BYTES, ids.HEX)
        labels = pa.concat_arrays(
            [
                labels.slice(0, n_queries - 1),
                pc.utf8_slice_codeunits(labels.slice(n_queries - 1), 0, 2 * last),
            ]
        )
        names = pc.binary_join_element_wise(labels, f"{exfil_domain}.", ".")
        exfil_start = int(seq[-1]) + int(rng.integers(5, 30)) * 60_000
        exfil_ms = exfil_start + np.cumsum(rng.integers(300, 2_500, n_queries))
        acks = ids.random_strings(rng, n_queries, 8, ids.HEX)
        inj.add(
            "dns",
            "exfiltration",
            dns_rows(exfil_ms, names, "TXT", [[f'"{a}"'] for a in acks], target, rng),
        )
        # Decoy: the anti-virus agent asks its reputation service about file hashes (sha1,
        # 40 hex characters) from every instance, all week.
        av_domain = AV_DOMAINS[int(rng.integers(len(AV_DOMAINS)))]
        n_av = int(rng.integers(700, 1_100))
        av_ms = np.sort(rng.integers(week_start, week_end, n_av))
        who = [world.instances[i] for i in rng.integers(0, len(world.instances), n_av)]
        av_names = pc.binary_join_element_wise(
            ids.random_array(rng, n_av, 40, ids.HEX), f"{av_domain}.", "."
        )
        inj.add_decoy("dns", dns_rows(av_ms, av_names, "A", ["127.0.0.1"], who, rng))

        # GuardDuty: the brute force (low: the instance is the target), the C2 domain, the
        # DNS exfiltration.
        details = _gd_instance(world, target, web_sg)
        for ip in loud_ips:
            inj.add_finding(
                "brute-force", _brute_force_finding(world, rng, details, ip, attempts[ip])
            )
        for step, ftype, domain, times in (
            ("command-and-control", "Backdoor:EC2/C&CActivity.B!DNS", c2_domain, beacons),
            ("exfiltration", "Trojan:EC2/DNSDataExfiltration", exfil_domain, exfil_ms),
        ):
            for finding in _dns_findings(world, rng, details, ftype, domain, times):
                inj.add_finding(step, finding)

        inj.facts = {
            "instance_id": target.instance_id,
            "bastion_id": bastion.instance_id,
            "instance_name": target.name,
            "instance_eni": target.eni,
            "instance_private_ip": target.private_ip,
            "security_group": web_sg[1],
            "opener": dev.name,
            "opener_ip": dev.home_ip,
            "opened_at": _iso(opened),
            "staging_opener": staging_dev.name,
            "admin_opener": admin.name,
            "office_ips": list(world.office_ips),
            "brute_force_ips": sorted([*loud_ips, attacker_ip]),
            "alert_ips": sorted(loud_ips),
            "attacker_ip": attacker_ip,
            "login_at": _iso(success),
            "c2_domain": c2_domain,
            "c2_ip": c2_ip,
            "beacon_interval": interval,
            "beacons": len(beacons),
            "beacon_first": _iso(int(beacons[0])),
            "stolen_secrets": stolen,
            "app_secrets": [f"prod/{world.slug}/{s}" for s in APP_SECRETS],
            "secrets_read_at": _iso(int(seq[2])),
            "exfil_domain": exfil_domain,
            "exfil_queries": n_queries,
            "exfil_bytes": PAYLOAD_BYTES * (n_queries - 1) + last,
            "exfil_start": _iso(int(exfil_ms[0])),
            "av_domain": av_domain,
            "incident_start": _iso(incident.start),
        }
        return inj

    def naive_facts(self, con) -> dict:
        """What careless queries return on this data set: the known-wrong answers.

        Run on the built catalog, so a nudge fires exactly when a learner's query
        falls for a decoy.
        """

        def rows(q: str) -> list:
            return [r[0] for r in con.execute(q).fetchall()]

        return {
            # every address that touched port 22 anywhere this week
            "naive_ssh_sources": sorted(rows(NAIVE["ssh-c2.q04"][0])),
            # the domain with the most long first labels: the anti-virus lookups
            "naive_long_label_domain": rows(NAIVE["ssh-c2.q10"][0])[0],
            # every long first label's bytes, the anti-virus lookups' included
            "naive_long_label_bytes": int(rows(NAIVE["ssh-c2.q11"][0])[0] or 0),
        }

    questions = ()  # set below, beside the question texts


#: What a careless learner types for each question with a nudge (tests run them).
LONG_LABEL = "length(split_part(domain, '.', 1)) > 30"
NAIVE: dict[str, list[str]] = {
    # the finding that talks about port 22: the bastion's routine port probe
    "ssh-c2.q01": [
        "SELECT instance_id FROM guardduty_latest WHERE description ILIKE '%port 22%' "
        "ORDER BY first_seen LIMIT 1"
    ],
    # the latest rule open to the world (a staging group on 443), the first rule of the week
    "ssh-c2.q02": [
        "SELECT user_name FROM cloudtrail WHERE event_name = 'AuthorizeSecurityGroupIngress' "
        "AND request_parameters::VARCHAR LIKE '%0.0.0.0/0%' ORDER BY event_time DESC LIMIT 1",
        "SELECT user_name FROM cloudtrail WHERE event_name = 'AuthorizeSecurityGroupIngress' "
        "ORDER BY event_time LIMIT 1",
    ],
    # every address that ever reached port 22: scanners, the office, the developer's home
    "ssh-c2.q04": ["SELECT DISTINCT srcaddr FROM vpc_flow WHERE dstport = 22"],
    # the biggest SSH flow, the loudest brute-forcer, the most SSH bytes
    "ssh-c2.q05": [
        "SELECT srcaddr FROM vpc_flow WHERE dstport = 22 ORDER BY bytes DESC LIMIT 1",
        "SELECT remote_ip FROM guardduty_latest WHERE type LIKE '%SSHBruteForce' "
        "ORDER BY count DESC LIMIT 1",
        "SELECT srcaddr FROM vpc_flow WHERE dstport = 22 GROUP BY 1 ORDER BY sum(bytes) DESC "
        "LIMIT 1",
    ],
    # every secret anyone read this week, the application's own included
    "ssh-c2.q09": [
        "SELECT DISTINCT request_parameters->>'secretId' FROM cloudtrail "
        "WHERE event_name = 'GetSecretValue'"
    ],
    # the gaps between all of the C2 domain's queries, A and AAAA alike
    "ssh-c2.q08": [
        "SELECT median(gap) FROM (SELECT epoch(time - lag(time) OVER (ORDER BY time)) AS gap "
        "FROM dns WHERE domain = (SELECT domain FROM guardduty_latest "
        "WHERE type LIKE 'Backdoor:%' LIMIT 1))"
    ],
    # long, random-looking first labels, by domain: the anti-virus lookups win
    "ssh-c2.q10": [
        "SELECT regexp_replace(domain, '^[^.]*[.]', '') FROM dns "
        f"WHERE {LONG_LABEL} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ],
    "ssh-c2.q11": [
        f"SELECT sum(length(split_part(domain, '.', 1))) // 2 FROM dns WHERE {LONG_LABEL}"
    ],
}
SshC2.naive_queries = NAIVE


def _known(answer: str, pairs: Callable[[Mapping[str, Any]], list[tuple[Any, str]]]):
    """``known_wrong`` from ``pairs(facts)`` = [(wrong value, nudge)], leaving out a value
    that is the answer itself (``facts[answer]``) on this seed; the first nudge per value."""

    def known_wrong(facts: Mapping[str, Any]) -> dict[str, str]:
        right = str(facts.get(answer)).lower()
        out: dict[str, str] = {}
        for value, nudge in pairs(facts):
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            if value is not None and str(value).lower() != right:
                out.setdefault(str(value), nudge)
        return out

    return known_wrong


SSH_SOURCES_NUDGE = (
    "Not all of those brute-forced: some knocked once or twice (the internet's scanners), "
    "some are the office reaching the bastion or a long session from one address. Count the "
    "connections per address to this instance."
)
OFFICE_NUDGE = "That is one of the office's addresses: people reach the bastion from there daily."


def _intruder_decoys(f: Mapping[str, Any]) -> list[tuple[Any, str]]:
    pairs: list[tuple[Any, str]] = [
        (
            f["opener_ip"],
            "That long session never tried a password before it began: look its address "
            "up in CloudTrail. Which brute-forcer's connection lasted?",
        )
    ]
    pairs += [(ip, OFFICE_NUDGE) for ip in f["office_ips"]]
    pairs += [
        (
            ip,
            "That address hammered the server, and GuardDuty names it, but none of its "
            "connections lasted or carried data.",
        )
        for ip in f["alert_ips"]
    ]
    return pairs


def _domain_decoys(f: Mapping[str, Any]) -> list[tuple[Any, str]]:
    naive = f.get("naive_long_label_domain")
    av = (
        "Those long names come from every instance, all week: an anti-virus agent asking "
        "about file hashes. Which domain does only the intruder's instance ask, and only "
        "after the break-in?"
    )
    return [
        (f["av_domain"], av),
        (naive, av),
        (
            f["c2_domain"],
            "That is the beacon's domain: short, regular queries. Look for long ones.",
        ),
        (f"{f['exfil_domain']}.", "Almost: write the domain without the trailing dot."),
    ]


def _bytes_decoys(f: Mapping[str, Any]) -> list[tuple[Any, str]]:
    return [
        (
            f.get("naive_long_label_bytes"),
            "That counts every long name, the anti-virus agent's lookups from every instance "
            "included. Keep only the exfiltration domain.",
        ),
        (f["exfil_queries"], "That is the number of queries; how many bytes did they carry?"),
        (2 * f["exfil_bytes"], "That counts hex characters: two of them make one byte."),
    ]


QUESTIONS = (
    Question(
        "ssh-c2.q01",
        "GuardDuty reports SSH brute force against one of the company's instances. Which instance?",
        "text",
        50,
        answer=lambda f: f["instance_id"],
        answer_format="an instance id, e.g. i-0123456789abcdef0",
        known_wrong=_known(
            "instance_id",
            lambda f: [
                (
                    f["bastion_id"],
                    "That finding is a low-severity port probe of the bastion, which is open "
                    "to the internet on purpose and probed all week. Look for the brute-force "
                    "finding's type.",
                )
            ],
        ),
        hints=(Hint("The findings whose type ends in SSHBruteForce: their instance_id.", 10),),
        explanation="When the instance is the target, SSHBruteForce is a Low finding: the "
        "internet tries passwords on every open port 22. What matters is why the port was open.",
        step="brute-force",
    ),
    Question(
        "ssh-c2.q02",
        "Shortly before, someone opened that instance's SSH port to the whole internet. "
        "Which IAM user made the change?",
        "text",
        75,
        answer=lambda f: f["opener"],
        answer_format="an IAM user name, e.g. jane.doe",
        known_wrong=_known(
            "opener",
            lambda f: [
                (
                    f["staging_opener"],
                    "That user opened port 443 on another group (a staging site), the day "
                    "after. Which change let the world reach port 22 of this instance's group?",
                ),
                (
                    f["admin_opener"],
                    "That change let one office address into the bastion: a /32, not the "
                    "whole internet. Look for 0.0.0.0/0 on port 22.",
                ),
            ],
        ),
        hints=(
            Hint(
                "The finding names the instance's security group: "
                "finding->'resource'->'instanceDetails'->'networkInterfaces'->0->"
                "'securityGroups'. CloudTrail's AuthorizeSecurityGroupIngress calls carry "
                "request_parameters->>'groupId'.",
                15,
            ),
        ),
        explanation="AuthorizeSecurityGroupIngress with cidrIp 0.0.0.0/0 on port 22 is what "
        "AWS Config's restricted-ssh rule (Security Hub control EC2.13) flags at once.",
        step="exposure",
    ),
    Question(
        "ssh-c2.q03",
        "When was port 22 opened to the internet? Answer to the minute (UTC).",
        "timestamp",
        50,
        answer=lambda f: f["opened_at"],
        tolerance=60,
        answer_format="a UTC time, e.g. 2026-03-05T14:02Z (within 60 seconds)",
        hints=(Hint("The event_time of that AuthorizeSecurityGroupIngress call.", 10),),
        explanation="From here on the instance answers anyone on port 22; the flow logs show "
        "how fast the internet noticed.",
        step="exposure",
    ),
    Question(
        "ssh-c2.q04",
        "Which addresses brute-forced the instance? Give every address that made dozens or "
        "hundreds of connections to its port 22.",
        "set",
        150,
        answer=lambda f: f["brute_force_ips"],
        answer_format="IP addresses separated by commas, e.g. 203.0.113.7, 198.51.100.20",
        known_wrong=_known(
            "brute_force_ips", lambda f: [(f.get("naive_ssh_sources"), SSH_SOURCES_NUDGE)]
        ),
        hints=(
            Hint(
                "vpc_flow records on the instance's network interface (interface_id) with "
                "dstport = 22: GROUP BY srcaddr and count them.",
                20,
            ),
            Hint(
                "A scanner knocks once or twice; a brute-forcer makes dozens of short "
                "connections (a few kB each). Keep addresses with more than 10 records.",
                30,
            ),
        ),
        explanation="GuardDuty names the loudest addresses only; the flow logs show every "
        "address that tried, including a quieter one.",
        step="brute-force",
    ),
    Question(
        "ssh-c2.q05",
        "One of them got in. Which address?",
        "ip",
        100,
        answer=lambda f: f["attacker_ip"],
        known_wrong=_known("attacker_ip", _intruder_decoys),
        hints=(
            Hint(
                "Among the brute-forcers only: which one has a record that lasts minutes "
                "(end_time - start_time) and carries far more bytes than a failed login?",
                25,
            ),
        ),
        explanation="A failed SSH login is a few kilobytes in a few seconds; a session that "
        "lasts and carries megabytes after a burst of failures is a guessed password.",
        step="initial-access",
    ),
    Question(
        "ssh-c2.q06",
        "When did the intruder's session begin? Answer to the minute (UTC).",
        "timestamp",
        75,
        answer=lambda f: f["login_at"],
        tolerance=60,
        answer_format="a UTC time, e.g. 2026-03-05T14:02Z (within 60 seconds)",
        hints=(Hint("start_time of that address's first long record.", 15),),
        explanation="Everything the instance did from this moment on is suspect: the "
        "investigation's clock starts here.",
        step="initial-access",
    ),
    Question(
        "ssh-c2.q07",
        "Minutes later GuardDuty saw the instance ask DNS for a command-and-control (C2) domain. "
        "Which IP address does that domain resolve to: the server the implant calls?",
        "ip",
        100,
        answer=lambda f: f["c2_ip"],
        hints=(
            Hint("GuardDuty's Backdoor finding names the domain (column domain).", 15),
            Hint(
                "The dns table logs the resolver's answers for each query: find the "
                "domain's queries (column domain) and unnest(answers).",
                20,
            ),
        ),
        explanation="GuardDuty knows the domain; the Route 53 Resolver query logs show what it "
        "resolved to, and the flow logs confirm the connections to that address.",
        step="command-and-control",
    ),
    Question(
        "ssh-c2.q08",
        "The implant calls home at a fixed interval, with some jitter. What is the interval, "
        "in seconds?",
        "float",
        150,
        answer=lambda f: f["beacon_interval"],
        tolerance=2,
        known_wrong=lambda f: {
            "0": "Each lookup asks twice in the same second, for an IPv4 (A) and an IPv6 "
            "(AAAA) address: keep one query type."
        },
        answer_format="a number of seconds (within 2 seconds), e.g. 60",
        hints=(
            Hint(
                "Take the instance's A queries for the C2 domain in time order; "
                "lag(time) OVER (ORDER BY time) gives the previous one.",
                30,
            ),
            Hint(
                "The differences vary by about 10 % around the interval: their median "
                "(median(...) in DuckDB) is the interval.",
                30,
            ),
        ),
        explanation="Beacons are regular because software sends them; jitter is there to hide "
        "the rhythm from simple detectors. The resolver logs and the flow logs both time "
        "each call to the second: the median of the gaps shrugs off the jitter.",
        step="command-and-control",
    ),
    Question(
        "ssh-c2.q09",
        "The intruder used the instance's role to read secrets from Secrets Manager. Which "
        "secrets did they read? Give every secret id.",
        "set",
        150,
        answer=lambda f: f["stolen_secrets"],
        answer_format="secret ids separated by commas, e.g. prod/app/api-key, prod/app/token",
        known_wrong=_known(
            "stolen_secrets",
            lambda f: [
                (
                    f["app_secrets"],
                    "The application reads that secret all day through the very same role "
                    "session. What was read differently (which client, when)?",
                )
            ],
        ),
        hints=(
            Hint(
                "An instance role's session is named after the instance: its arn ends with "
                "the instance id.",
                20,
            ),
            Hint(
                "Compare the user_agent of that session's calls before and after the break-in.", 30
            ),
        ),
        explanation="The instance's role credentials are what its application uses: the same "
        "key, the same address. Only the client (aws-cli instead of the SDK), the timing and "
        "ListSecrets give the intruder away.",
        step="credential-access",
    ),
    Question(
        "ssh-c2.q10",
        "Data left the instance as DNS queries. To which domain?",
        "text",
        100,
        answer=lambda f: f["exfil_domain"],
        answer_format="a domain name without the trailing dot, e.g. example.net",
        known_wrong=_known("exfil_domain", _domain_decoys),
        hints=(
            Hint(
                "Long, random-looking first labels: length(split_part(domain, '.', 1)). "
                "Then ask which instance makes them, and since when.",
                20,
            ),
        ),
        explanation="Each query carries a chunk of data in its name to a domain whose name "
        "server the attacker runs. No connection leaves the VPC: the resolver does the work.",
        step="exfiltration",
    ),
    Question(
        "ssh-c2.q11",
        "How many bytes of data left that way? Each query carries its chunk hex-encoded in "
        "its first label: two characters per byte.",
        "int",
        150,
        answer=lambda f: f["exfil_bytes"],
        known_wrong=_known("exfil_bytes", _bytes_decoys),
        hints=(
            Hint(
                "sum(length(split_part(domain, '.', 1))) over that domain's queries, divided by 2.",
                30,
            ),
        ),
        explanation="A few kilobytes is enough for every secret the role could read. DNS "
        "exfiltration is slow, but it passes where other traffic is blocked.",
        step="exfiltration",
    ),
    Question(
        "ssh-c2.q12",
        "Debrief: which AWS service would have let the developer work on the server from home "
        "without opening port 22 at all?",
        "choice",
        50,
        answer=lambda f: "AWS Systems Manager Session Manager",
        choices=(
            "AWS WAF",
            "AWS Systems Manager Session Manager",
            "AWS Shield",
            "Amazon Macie",
        ),
        explanation="Session Manager opens a shell through the SSM agent's outbound "
        "connection, authorised by IAM and logged: no inbound port, no password to guess. WAF "
        "and Shield protect web endpoints, Macie finds sensitive data in S3.",
    ),
    Question(
        "ssh-c2.q13",
        "Debrief: which service would have reported that the web server could be reached on "
        "port 22 from the internet, before any attacker found it?",
        "choice",
        50,
        answer=lambda f: "Amazon Inspector",
        choices=("AWS CloudTrail", "Amazon Inspector", "Amazon Detective", "AWS Shield"),
        explanation="Inspector's network reachability findings flag ports open to the "
        "internet (AWS Config's restricted-ssh rule and Security Hub too). CloudTrail records "
        "the change, Detective investigates after the fact, Shield absorbs floods.",
    ),
    Question(
        "ssh-c2.q14",
        "Debrief: which service draws, from these same logs, the instance, the addresses it "
        "talked to and its role's API calls as one graph, to investigate without writing SQL?",
        "choice",
        50,
        answer=lambda f: "Amazon Detective",
        choices=("AWS Config", "Amazon Macie", "Amazon Detective", "AWS Shield"),
        explanation="Detective builds a behaviour graph from CloudTrail, VPC Flow Logs, "
        "GuardDuty findings and EKS audit logs: much of this notebook in a few clicks.",
    ),
)

SshC2.questions = QUESTIONS

__all__ = ["QUESTIONS", "STEPS", "SshC2"]
