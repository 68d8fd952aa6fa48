"""Storyline 1: a leaked access key, persistence, crypto-mining and data theft.

A developer's long-term key (``AKIA...``) is pushed to a public repository.
Hours later it is used from a hosting provider's address: the attacker checks
whose key it is, looks around (many calls denied), creates a user of their own
with administrator rights and a key, launches large instances in a region the
company never uses to mine crypto-currency, and downloads objects from a
sensitive bucket. GuardDuty notices the odd caller first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from helpers import agents, ids, s3access
from helpers import guardduty as gd
from helpers.background import MS_DAY, MS_HOUR, Incident
from helpers.events import Identity, calls, user_identity
from helpers.quiz.question import Hint, Question, nudge, nudges
from helpers.storylines.base import Injection, Step, Storyline
from helpers.traffic import conversation, ephemeral
from helpers.world import FAR_REGIONS, Instance, World, public_ip, remote_details

STEPS = (
    Step(
        "initial-access",
        "The leaked key is used from outside: whose key is it?",
        "T1078.004",
        "Initial Access",
        ("cloudtrail", "guardduty"),
        prevent="IAM: no long-term keys for people (SSO), secret scanning on repositories",
        detect="GuardDuty: UnauthorizedAccess:IAMUser/MaliciousIPCaller, PenTest:IAMUser/KaliLinux",
        investigate="CloudTrail: every call the key made, from where, with which client",
    ),
    Step(
        "discovery",
        "Discovery burst: List, Describe, Get, many denied",
        "T1087.004",
        "Discovery",
        ("cloudtrail", "guardduty"),
        prevent="IAM least privilege: the key could list far less",
        detect="GuardDuty: Discovery:IAMUser/AnomalousBehavior",
        investigate="CloudTrail: errorCode AccessDenied from the attacker's address",
    ),
    Step(
        "persistence",
        "A user of their own, administrator rights, a new key",
        "T1136.003",
        "Persistence",
        ("cloudtrail",),
        prevent="IAM: no iam:CreateUser for developers; SCPs",
        detect="Security Hub / GuardDuty: Persistence:IAMUser/AnomalousBehavior",
        investigate="CloudTrail: CreateUser, AttachUserPolicy, CreateAccessKey",
    ),
    Step(
        "resource-hijacking",
        "Large instances in a far region, talking to a mining pool",
        "T1496",
        "Impact",
        ("cloudtrail", "vpc_flow", "guardduty"),
        prevent="SCP denying unused regions; service quotas",
        detect="GuardDuty: CryptoCurrency:EC2/BitcoinTool.B!DNS",
        investigate="CloudTrail RunInstances, then VPC Flow Logs of the new interfaces",
    ),
    Step(
        "exfiltration",
        "A burst of GetObject on a sensitive bucket",
        "T1530",
        "Collection",
        ("cloudtrail",),
        prevent="Bucket policies limited to the VPC endpoint; least privilege",
        detect="GuardDuty S3 protection: Exfiltration:S3/AnomalousBehavior",
        investigate="CloudTrail data events (GetObject) for the bucket",
    ),
)

DISCOVERY_ALLOWED = (
    "ListBuckets ListUsers ListAttachedUserPolicies DescribeInstances DescribeRegions "
    "ListAccessKeys DescribeSecurityGroups GetUser DescribeVpcs"
).split()
DISCOVERY_DENIED = (
    "ListSecrets GetAccountAuthorizationDetails ListRoles GetSecretValue DescribeDBInstances "
    "ListDetectors DescribeTrails ListFunctions20150331"
).split()
MINER_TYPES = ("c5.9xlarge", "c6i.16xlarge", "c5.18xlarge", "m5.12xlarge", "c6a.24xlarge")
POOL_PORTS = (3333, 4444, 5555, 14444, 14433, 45700)
POOL_DOMAINS = (
    "pool.supportxmr.com",
    "xmr.2miners.com",
    "gulf.moneroocean.stream",
    "xmr-eu1.nanopool.org",
)
BACKDOOR_NAMES = (
    "aws-support-ops",
    "svc-backup-sync",
    "cloudwatch-exporter",
    "ops-automation",
    "s3-replication-svc",
    "deploy-bot",
)
TOOLS = (
    "aws-cli on Kali Linux",
    "Boto3 (the Python SDK)",
    "Terraform",
    "The AWS Management Console",
)


#: What a careless learner types for each question with a nudge. The attacker's
#: address, where a naive query needs it, comes from the alert as a learner would take it.
ALERT_IP = (
    "(SELECT remote_ip FROM guardduty_latest WHERE resource_type = 'AccessKey' "
    "ORDER BY first_seen LIMIT 1)"
)
NAIVE: dict[str, list[str]] = {
    # the finding seen most often: a port probe
    "leaked-key.q01": [
        "SELECT remote_ip FROM guardduty_latest WHERE remote_ip IS NOT NULL "
        "ORDER BY count DESC LIMIT 1"
    ],
    # whoever makes the most List/Describe/Get calls: the nightly Terraform plan
    "leaked-key.q03": [
        "SELECT user_name FROM cloudtrail WHERE identity_type = 'IAMUser' "
        "AND (event_name LIKE 'List%' OR event_name LIKE 'Describe%' OR event_name LIKE 'Get%') "
        "GROUP BY user_name ORDER BY count(*) DESC LIMIT 1"
    ],
    # every denied call of the week, the audit role's storm included
    "leaked-key.q06": [
        "SELECT count(*) FROM cloudtrail WHERE error_code IS NOT NULL",
        "SELECT count(*) FROM cloudtrail WHERE error_code = 'AccessDenied'",
    ],
    "leaked-key.q07": ["SELECT DISTINCT event_name FROM cloudtrail WHERE error_code IS NOT NULL"],
    # the user created last: the administrator's new hire
    "leaked-key.q08": [
        "SELECT request_parameters->>'userName' FROM cloudtrail "
        "WHERE event_name = 'CreateUser' ORDER BY event_time DESC LIMIT 1"
    ],
    # the policy attached last (the new hire's), and the attacker's policy as an ARN
    "leaked-key.q09": [
        "SELECT string_split(request_parameters->>'policyArn', '/')[-1] FROM cloudtrail "
        "WHERE event_name = 'AttachUserPolicy' ORDER BY event_time DESC LIMIT 1",
        "SELECT request_parameters->>'policyArn' FROM cloudtrail "
        f"WHERE event_name = 'AttachUserPolicy' AND source_ip = {ALERT_IP}",
    ],
    # the bucket read most, and every object read: the order workers at work
    "leaked-key.q14": [
        "SELECT request_parameters->>'bucketName' FROM cloudtrail WHERE event_name = 'GetObject' "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ],
    "leaked-key.q15": ["SELECT count(*) FROM cloudtrail WHERE event_name = 'GetObject'"],
}


class LeakedKey(Storyline):
    name = "leaked-key"
    title = "Leaked access key: persistence, crypto-mining and data theft"
    summary = (
        "A developer's access key leaks; the attacker creates a backdoor user, mines "
        "crypto-currency in a far region and steals data from S3."
    )
    steps = STEPS
    naive_queries = NAIVE
    #: the port probe seen most often, the bucket and the reads can be the answer itself
    naive_may_solve = frozenset({"leaked-key.q01", "leaked-key.q14", "leaked-key.q15"})

    def plan(self, world: World, rng: np.random.Generator) -> Incident:
        day = int(rng.integers(2, 5))
        local_hour = float(rng.uniform(19.0, 23.5))
        start = int(world.start.timestamp() * 1000) + day * MS_DAY
        start += int((local_hour - world.utc_offset_hours) * MS_HOUR)
        return Incident(start=start, end=start + 8 * MS_HOUR)

    def inject(self, world: World, rng: np.random.Generator, incident: Incident) -> Injection:
        inj = Injection()
        people = [u for u in world.people if not u.admin]
        victim = people[int(rng.integers(len(people)))]
        attacker_ip = public_ip(rng)
        second_ip = public_ip(rng)
        kali = bool(rng.random() < 0.5)
        ua = agents.AWS_CLI_KALI if kali else agents.BOTO3_ATTACKER
        region = world.home_region
        far = [r for r in FAR_REGIONS if r != region]
        mining_region = far[int(rng.integers(len(far)))]
        t = incident.start

        def at(ms: int | list[int]) -> np.ndarray:
            return np.atleast_1d(np.asarray(ms, dtype=np.int64)).astype("datetime64[ms]")

        victim_id = user_identity(world, victim)
        common = dict(world=world, rng=rng, source_ip=attacker_ip, user_agent=ua)

        # 1. First use: whose key is this?
        first = t
        inj.add_events(
            "initial-access",
            calls("GetCallerIdentity", at(first), victim_id, region=region, **common),
        )

        # 2. Discovery: a burst of reads, many denied.
        denied_apis = sorted(
            rng.choice(DISCOVERY_DENIED, size=int(rng.integers(3, 6)), replace=False).tolist()
        )
        allowed = rng.choice(DISCOVERY_ALLOWED, size=int(rng.integers(12, 22)))
        denied = rng.choice(
            denied_apis, size=int(rng.integers(len(denied_apis), 3 * len(denied_apis)))
        )
        denied = np.concatenate([np.asarray(denied_apis), denied[len(denied_apis) :]])
        names = np.concatenate([allowed, denied])
        is_denied = np.concatenate([np.zeros(len(allowed), bool), np.ones(len(denied), bool)])
        order = rng.permutation(len(names))
        names, is_denied = names[order], is_denied[order]
        ms = t + 60_000 + np.cumsum(rng.integers(2_000, 25_000, len(names)))
        for api in np.unique(names):
            sel = names == api
            inj.add_events(
                "discovery",
                calls(
                    str(api),
                    at(ms[sel].tolist()),
                    victim_id,
                    region=region,
                    denied=is_denied[sel],
                    **common,
                ),
            )
        t = int(ms[-1])

        # 3. Persistence: a user, administrator rights, a key (and sometimes a password).
        backdoor = BACKDOOR_NAMES[int(rng.integers(len(BACKDOOR_NAMES)))]
        backdoor_key = ids.access_key(rng)
        policy = "arn:aws:iam::aws:policy/AdministratorAccess"
        t += int(rng.integers(3, 12) * 60_000)
        persistence_calls = [
            ("CreateUser", {"target_user": backdoor}),
            ("AttachUserPolicy", {"target_user": backdoor, "policy_arn": policy}),
            ("CreateAccessKey", {"target_user": backdoor, "new_key": backdoor_key}),
        ]
        if rng.random() < 0.5:
            persistence_calls.append(("CreateLoginProfile", {"target_user": backdoor}))
        for i, (api, values) in enumerate(persistence_calls):
            inj.add_events(
                "persistence",
                calls(
                    api,
                    at(t + i * int(rng.integers(4_000, 30_000))),
                    victim_id,
                    region=region,
                    values=values,
                    **common,
                ),
            )
        t += 5 * 60_000

        # 4. Mining: with the new user's key, from a second address, in a far region.
        backdoor_id = Identity(
            identity_type="IAMUser",
            principal_id=ids.principal_id(rng, "AIDA"),
            arn=f"arn:aws:iam::{world.account_id}:user/{backdoor}",
            account_id=world.account_id,
            access_key_id=backdoor_key,
            user_name=backdoor,
        )
        common2 = dict(world=world, rng=rng, source_ip=second_ip, user_agent=agents.BOTO3_ATTACKER)
        t += int(rng.integers(10, 40) * 60_000)
        inj.add_events(
            "resource-hijacking",
            calls("DescribeRegions", at(t), backdoor_id, region=mining_region, **common2),
        )
        inj.add_events(
            "resource-hijacking",
            calls("DescribeImages", at(t + 9_000), backdoor_id, region=mining_region, **common2),
        )
        n_miners = int(rng.integers(3, 7))
        miner_type = MINER_TYPES[int(rng.integers(len(MINER_TYPES)))]
        subnet = ids.resource_id(rng, "subnet-0", 1, 16)[0]
        vpc = ids.resource_id(rng, "vpc-0", 1, 16)[0]
        image = ids.resource_id(rng, "ami-0", 1, 16)[0]
        miners = [
            Instance(
                instance_id=ids.resource_id(rng, "i-0", 1, 16)[0],
                name=f"miner-{k}",
                instance_type=miner_type,
                eni=ids.resource_id(rng, "eni-0", 1, 16)[0],
                private_ip=f"172.31.{int(rng.integers(0, 48))}.{int(rng.integers(4, 250))}",
                public_ip=None,
                role="",
                subnet=subnet,
                image_id=image,
            )
            for k in range(n_miners)
        ]
        launch = t + 60_000 + np.arange(n_miners) * int(rng.integers(3_000, 20_000))
        inj.add_events(
            "resource-hijacking",
            calls(
                "RunInstances",
                at(launch.tolist()),
                backdoor_id,
                region=mining_region,
                values={
                    "instance_id": pa.array([m.instance_id for m in miners]),
                    "eni": pa.array([m.eni for m in miners]),
                    "private_ip": pa.array([m.private_ip for m in miners]),
                    "instance_type": miner_type,
                    "image_id": image,
                    "subnet": subnet,
                    "vpc": vpc,
                    "az": f"{mining_region}a",
                    "reservation_id": pa.array(ids.resource_id(rng, "r-0", n_miners, 16)),
                    "key_pair": "",
                    "private_dns": pa.array(
                        [
                            f"ip-{m.private_ip.replace('.', '-')}.{mining_region}.compute.internal"
                            for m in miners
                        ]
                    ),
                },
                **common2,
            ),
        )
        pool_ip = public_ip(rng)
        pool_port = int(POOL_PORTS[int(rng.integers(len(POOL_PORTS)))])
        pool_domain = POOL_DOMAINS[int(rng.integers(len(POOL_DOMAINS)))]
        flow_log_id = ids.resource_id(rng, "fl-0", 1, 16)[0]
        week_end = int(world.end.timestamp() * 1000)
        pool_bytes = 0
        for m, start in zip(miners, launch, strict=True):
            # a long-lived connection to the pool, reported every 10 minutes until the week ends
            begin = int(start) + 150_000
            ms = np.arange(begin, week_end - 600_000, 600_000)
            flows = conversation(
                rng,
                world,
                m,
                ms,
                pool_ip,
                pool_port,
                ephemeral(rng, 1)[0],
                6,
                inbound=False,
                bytes_mean=60_000,
                duration_s=590,
                region=mining_region,
            )
            flows = flows.set_column(
                flows.schema.get_field_index("flow_log_id"),
                "flow_log_id",
                pa.array([flow_log_id] * flows.num_rows),
            )
            flows = flows.set_column(
                flows.schema.get_field_index("end"),
                "end",
                pa.compute.add(flows.column("start"), 600),
            )
            pool_bytes += int(pa.compute.sum(flows.column("bytes")).as_py())
            inj.add_flows("resource-hijacking", flows)
        # GuardDuty: the miners ask DNS for the pool
        for m, start in zip(miners, launch, strict=True):
            first_seen = _dt(int(start) + 200_000)
            finding = gd.dns_finding(
                account=world.account_id,
                region=mining_region,
                detector_id=world.detector_id,
                finding_id=ids.random_strings(rng, 1, 32, ids.HEX)[0],
                finding_type="CryptoCurrency:EC2/BitcoinTool.B!DNS",
                severity=8.0,
                title=(
                    f"EC2 instance {m.instance_id} is querying a domain name that is "
                    "associated with Bitcoin-related activity."
                ),
                description=(
                    f"EC2 instance {m.instance_id} is querying a domain name {pool_domain} "
                    "that is associated with Bitcoin-related activity."
                ),
                instance=_instance_details(m, mining_region, vpc, _dt(int(start))),
                domain=pool_domain,
                first_seen=first_seen,
                last_seen=first_seen,
                count=1,
                created_at=first_seen + timedelta(minutes=4),
                updated_at=first_seen + timedelta(minutes=4),
            )
            inj.add_finding("resource-hijacking", finding)
            for k in range(1, 4):
                when = first_seen + timedelta(hours=6 * k)
                if when.timestamp() * 1000 < week_end:
                    inj.add_finding(
                        "resource-hijacking",
                        gd.updated(
                            finding,
                            count=1 + 37 * k,
                            last_seen=when,
                            updated_at=when + timedelta(minutes=3),
                        ),
                    )

        # 5. Exfiltration: GetObject burst on a sensitive bucket, with the victim's key.
        bucket = world.sensitive_buckets[int(rng.integers(len(world.sensitive_buckets)))]
        n_objects = int(rng.integers(60, 400))
        ex_start = t + int(rng.integers(40, 120) * 60_000)
        ms = ex_start + np.cumsum(rng.integers(150, 2_500, n_objects))
        prefix = "customers" if "customer" in bucket else "reports"
        keys = pa.array(
            [f"{prefix}/export-{k:05d}.csv" for k in rng.choice(90_000, n_objects, replace=False)]
        )
        sizes = rng.integers(20_000, 4_000_000, n_objects)
        # The bucket's server access log records the same requests, ids and all.
        reads = inj.add(
            "s3_access",
            "exfiltration",
            s3access.requests(
                rng,
                n_objects,
                time=ms.astype("datetime64[ms]"),
                bucket=bucket,
                key=keys,
                operation="REST.GET.OBJECT",
                remote_ip=attacker_ip,
                requester=backdoor_id.arn,
                http_status=200,
                bytes_sent=sizes,
                object_size=sizes,
                user_agent=ua,
                authentication_type="AuthHeader",
            ),
        )
        inj.add_events(
            "exfiltration",
            calls(
                "ListObjects",
                at(ex_start - 20_000),
                backdoor_id,
                region=region,
                values={"bucket": bucket},
                **common,
            ),
        )
        inj.add_events(
            "exfiltration",
            calls(
                "GetObject",
                at(ms.tolist()),
                backdoor_id,
                region=region,
                values=s3access.trail_values(reads),
                **common,
            ),
        )

        # GuardDuty: the first call from a known-bad address, and the discovery burst.
        first_dt = _dt(first)
        key_details = gd.AccessKey(victim.access_key, victim.user_id, victim.name)
        remote = remote_details(rng, attacker_ip)
        f1 = gd.api_call_finding(
            account=world.account_id,
            region=region,
            detector_id=world.detector_id,
            finding_id=ids.random_strings(rng, 1, 32, ids.HEX)[0],
            finding_type="PenTest:IAMUser/KaliLinux"
            if kali
            else "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
            severity=5.0,
            title=(
                "API GetCallerIdentity was invoked from a Kali Linux computer."
                if kali
                else "API GetCallerIdentity was invoked from a known malicious IP address."
            ),
            description=(
                "API GetCallerIdentity, commonly used in attacks, was invoked by IAM "
                f"principal {victim.name} from a "
                f"{'Kali Linux computer' if kali else 'known malicious IP address'} {attacker_ip}."
            ),
            access_key=key_details,
            api="GetCallerIdentity",
            service_name="sts.amazonaws.com",
            remote=remote,
            first_seen=first_dt,
            last_seen=first_dt,
            count=1,
            created_at=first_dt + timedelta(minutes=6),
            updated_at=first_dt + timedelta(minutes=6),
        )
        inj.add_finding("initial-access", f1)
        disc_dt = _dt(first + 120_000)
        f2 = gd.api_call_finding(
            account=world.account_id,
            region=region,
            detector_id=world.detector_id,
            finding_id=ids.random_strings(rng, 1, 32, ids.HEX)[0],
            finding_type="Discovery:IAMUser/AnomalousBehavior",
            severity=2.0,
            title="The user "
            + victim.name
            + " is anomalously invoking APIs commonly used in discovery tactics.",
            description=(
                "APIs commonly used in Discovery tactics were invoked by user IAMUser : "
                f"{victim.name}, under anomalous circumstances."
            ),
            access_key=key_details,
            api=str(denied_apis[0]),
            service_name="iam.amazonaws.com",
            remote=remote,
            first_seen=disc_dt,
            last_seen=disc_dt + timedelta(minutes=8),
            count=len(names),
            created_at=disc_dt + timedelta(minutes=15),
            updated_at=disc_dt + timedelta(minutes=15),
        )
        inj.add_finding("discovery", f2)

        inj.facts = {
            "victim_user": victim.name,
            "leaked_key": victim.access_key,
            "attacker_ip": attacker_ip,
            "second_ip": second_ip,
            "tool": TOOLS[0] if kali else TOOLS[1],
            "first_use": _iso(first),
            "first_api": "GetCallerIdentity",
            "denied_apis": [str(a) for a in denied_apis],
            "denied_count": int(is_denied.sum()),
            "backdoor_user": backdoor,
            "backdoor_key": backdoor_key,
            "backdoor_policy": "AdministratorAccess",
            "mining_region": mining_region,
            "miner_instances": [m.instance_id for m in miners],
            "miner_enis": [m.eni for m in miners],
            "miner_type": miner_type,
            "pool_ip": pool_ip,
            "pool_port": pool_port,
            "pool_domain": pool_domain,
            "bucket": bucket,
            "objects_stolen": n_objects,
            "exfil_start": _iso(int(ms[0])),
            "incident_start": _iso(incident.start),
        }
        return inj

    def naive_facts(self, con) -> dict:
        """What careless queries return on this data set: the known-wrong answers.

        Run on the built catalog, so a nudge fires exactly when a learner's
        query falls for a decoy.
        """

        def one(q: str):
            return con.execute(q).fetchone()[0]

        return {
            # every denied call of the week (the audit role's too), by any error code or by
            # the commonest one
            "naive_denied_count": int(
                one("SELECT count(*) FROM cloudtrail WHERE error_code IS NOT NULL")
            ),
            "naive_accessdenied_count": int(
                one("SELECT count(*) FROM cloudtrail WHERE error_code = 'AccessDenied'")
            ),
            "naive_denied_apis": sorted(
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT event_name FROM cloudtrail WHERE error_code IS NOT NULL"
                ).fetchall()
            ),
            "naive_discovery_user": one(
                "SELECT user_name FROM cloudtrail WHERE identity_type = 'IAMUser' AND "
                "(event_name LIKE 'List%' OR event_name LIKE 'Describe%' "
                "OR event_name LIKE 'Get%') GROUP BY user_name ORDER BY count(*) DESC LIMIT 1"
            ),
            "naive_created_user": one(
                "SELECT request_parameters->>'userName' FROM cloudtrail "
                "WHERE event_name = 'CreateUser' ORDER BY event_time DESC LIMIT 1"
            ),
            # the finding seen most often: a port probe, not the alert about a key
            "naive_alert_ip": one(
                "SELECT remote_ip FROM guardduty_latest WHERE remote_ip IS NOT NULL "
                "ORDER BY count DESC, id LIMIT 1"
            ),
            # the policy attached last: the administrator's new hire gets it
            "naive_policy": one(
                "SELECT string_split(request_parameters->>'policyArn', '/')[-1] FROM cloudtrail "
                "WHERE event_name = 'AttachUserPolicy' ORDER BY event_time DESC LIMIT 1"
            ),
            # the bucket read most: the order workers' bucket
            "naive_bucket": one(
                "SELECT request_parameters->>'bucketName' FROM cloudtrail "
                "WHERE event_name = 'GetObject' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            ),
            # every object read of the week, the applications' included
            "naive_objects": int(
                one("SELECT count(*) FROM cloudtrail WHERE event_name = 'GetObject'")
            ),
        }

    questions = ()  # set below, beside the question texts


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _iso(ms: int) -> str:
    return _dt(ms).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _instance_details(m: Instance, region: str, vpc: str, launched: datetime) -> gd.Instance:
    return gd.Instance(
        instance_id=m.instance_id,
        instance_type=m.instance_type,
        image_id=m.image_id,
        launch_time=launched,
        availability_zone=f"{region}a",
        network_interface_id=m.eni,
        private_ip=m.private_ip,
        subnet_id=m.subnet,
        vpc_id=vpc,
        security_groups=(("launch-wizard-1", "sg-0" + m.eni[5:21]),),
    )


QUESTIONS = (
    Question(
        "leaked-key.q01",
        "GuardDuty raised an alert about an IAM user's access key being used from an odd "
        "place. From which IP address did that first suspicious call come?",
        "ip",
        50,
        answer=lambda f: f["attacker_ip"],
        known_wrong=nudge(
            "naive_alert_ip",
            "That address probes a public instance: a low-severity "
            "Recon:EC2/PortProbeUnprotectedPort finding, real but routine. Look for the "
            "finding about an access key.",
            unless="attacker_ip",
        ),
        hints=(
            Hint("Look in `guardduty_latest` at findings whose resource_type is 'AccessKey'.", 10),
            Hint(
                "`SELECT type, remote_ip, access_key_id, first_seen FROM guardduty_latest "
                "WHERE resource_type = 'AccessKey' ORDER BY first_seen`: the first one.",
                20,
            ),
        ),
        explanation="The finding's remote_ip is the caller's address; its access_key_id is "
        "the pivot into CloudTrail.",
        step="initial-access",
    ),
    Question(
        "leaked-key.q02",
        "Which access key id did the attacker use for that first call?",
        "text",
        50,
        answer=lambda f: f["leaked_key"],
        answer_format="an access key id, e.g. AKIAEXAMPLE12345678",
        case_sensitive=False,
        hints=(
            Hint("The same finding names the key (access_key_id). Check it in cloudtrail too.", 10),
        ),
        explanation="An AKIA... key is a long-term key of an IAM user: it does not expire on "
        "its own, so a leaked one works until someone deactivates it.",
        step="initial-access",
    ),
    Question(
        "leaked-key.q03",
        "Whose long-term key was used for the discovery burst that followed: which IAM user "
        "does it belong to?",
        "text",
        75,
        answer=lambda f: f["victim_user"],
        answer_format="an IAM user name, e.g. jane.doe",
        known_wrong=nudge(
            "naive_discovery_user",
            "That user runs the nightly Terraform plan: hundreds of Describe/List "
            "calls from the CI runner every night. Filter on the attacker's key or "
            "address instead of counting reads.",
        ),
        hints=(
            Hint("Filter cloudtrail on the access key from the finding and look at user_name.", 15),
        ),
        explanation="access_key_id -> user_name in CloudTrail tells whose key leaked; a "
        "GROUP BY on List/Describe calls points at the Terraform user instead.",
        step="discovery",
    ),
    Question(
        "leaked-key.q04",
        "When did the attacker first use the key from their address? Answer to the minute (UTC).",
        "timestamp",
        75,
        answer=lambda f: f["first_use"],
        tolerance=60,
        answer_format="a UTC time, e.g. 2026-03-05T14:02Z (within 60 seconds)",
        hints=(Hint("min(event_time) over cloudtrail rows with the attacker's source_ip.", 15),),
        explanation="The first call from the attacker's address marks the start of the "
        "incident; the owner's own calls come from the office or from home.",
        step="initial-access",
    ),
    Question(
        "leaked-key.q05",
        "Which client made the attacker's calls from that first address, judging by their "
        "user agent?",
        "choice",
        50,
        answer=lambda f: f["tool"],
        choices=TOOLS,
        hints=(
            Hint(
                "SELECT DISTINCT user_agent of the calls from the attacker's address: "
                "'kali' or 'Boto3' give it away.",
                10,
            ),
        ),
        explanation="User agents are set by the client (and can be faked); GuardDuty's "
        "PenTest:IAMUser/KaliLinux fires on the Kali one.",
        step="initial-access",
    ),
    Question(
        "leaked-key.q06",
        "How many of the attacker's calls (from their first address) were denied?",
        "int",
        100,
        answer=lambda f: f["denied_count"],
        known_wrong=nudges(
            *(
                nudge(
                    key,
                    "That counts every denied call of the week, including the security "
                    "audit role's scans. Keep only the attacker's address.",
                )
                for key in ("naive_denied_count", "naive_accessdenied_count")
            )
        ),
        hints=(Hint("count(*) with error_code IS NOT NULL and source_ip = the attacker's.", 20),),
        explanation="The read-only audit role is denied hundreds of times a day by design: an "
        "AccessDenied storm is not an attacker on its own.",
        step="discovery",
    ),
    Question(
        "leaked-key.q07",
        "Which APIs (event names) did the attacker try from that address that were denied? "
        "Give every one.",
        "set",
        150,
        answer=lambda f: f["denied_apis"],
        answer_format="event names separated by commas, e.g. DeleteBucket, PutBucketPolicy",
        known_wrong=nudge(
            "naive_denied_apis",
            "That is every API denied to anyone this week, the audit role included. "
            "Keep only the attacker's calls.",
        ),
        hints=(
            Hint(
                "SELECT DISTINCT event_name ... WHERE error_code IS NOT NULL AND source_ip = ...",
                30,
            ),
        ),
        explanation="What was denied shows what the attacker wanted: secrets, the account's "
        "whole IAM picture, the audit trail.",
        step="discovery",
    ),
    Question(
        "leaked-key.q08",
        "The attacker created an IAM user to keep access. What is its name?",
        "text",
        100,
        answer=lambda f: f["backdoor_user"],
        answer_format="an IAM user name",
        known_wrong=nudge(
            "naive_created_user",
            "That user was created by an administrator, from the office, in a console "
            "session: a new hire. Look at who called CreateUser and from where.",
        ),
        hints=(
            Hint(
                "CreateUser events: request_parameters->>'userName', with the caller's source_ip.",
                20,
            ),
        ),
        explanation="CreateUser from the attacker's address, then AttachUserPolicy and "
        "CreateAccessKey for the same user: classic persistence (T1136.003).",
        step="persistence",
    ),
    Question(
        "leaked-key.q09",
        "Which AWS managed policy did the attacker attach to that user?",
        "text",
        50,
        answer=lambda f: f["backdoor_policy"],
        answer_format="a policy name (the last part of its ARN), e.g. AmazonS3ReadOnlyAccess",
        known_wrong=nudges(
            nudge(
                "naive_policy",
                "That policy went to the new hire an administrator created from the "
                "office. Look at the AttachUserPolicy call for the attacker's user.",
                unless="backdoor_policy",
            ),
            nudge(
                lambda f: f"arn:aws:iam::aws:policy/{f['backdoor_policy']}",
                "That is the policy's ARN: give its name, the part after the last /.",
            ),
        ),
        hints=(
            Hint(
                "AttachUserPolicy: request_parameters->>'policyArn'; the name is the ARN's "
                "last part.",
                10,
            ),
        ),
        explanation="AdministratorAccess gives the new user everything, including more "
        "users and keys.",
        step="persistence",
    ),
    Question(
        "leaked-key.q10",
        "In which region did the attacker launch instances?",
        "text",
        75,
        answer=lambda f: f["mining_region"],
        answer_format="a region code, e.g. eu-west-3",
        hints=(
            Hint(
                "RunInstances events, aws_region. The audit role touches every region: "
                "only RunInstances counts.",
                15,
            ),
        ),
        explanation="Attackers launch where nobody looks; an SCP denying unused regions "
        "prevents it.",
        step="resource-hijacking",
    ),
    Question(
        "leaked-key.q11",
        "Which instance ids did the attacker launch? Give all of them.",
        "set",
        150,
        answer=lambda f: f["miner_instances"],
        answer_format="instance ids separated by commas, e.g. i-0abc..., i-0def...",
        hints=(
            Hint(
                "The ids are in RunInstances' response_elements: "
                "unnest(response_elements->>'$.instancesSet.items[*].instanceId').",
                30,
            ),
        ),
        explanation="RunInstances' responseElements hold the new instance ids and their "
        "network interfaces: the bridge to VPC Flow Logs.",
        step="resource-hijacking",
    ),
    Question(
        "leaked-key.q12",
        "The new instances connect to a mining pool. Which destination port do they use?",
        "int",
        100,
        answer=lambda f: f["pool_port"],
        hints=(
            Hint(
                "Take the network interface ids from RunInstances' response "
                "($.instancesSet.items[*].networkInterfaceSet.items[*].networkInterfaceId) and "
                "find them as interface_id in vpc_flow; the instances' outbound flows have "
                "their private address as srcaddr.",
                25,
            ),
        ),
        explanation="Long-lived flows to an odd port such as 3333 or 14444 from fresh "
        "instances are the mining pool (stratum protocol).",
        step="resource-hijacking",
    ),
    Question(
        "leaked-key.q13",
        "What is the mining pool's IP address?",
        "ip",
        75,
        answer=lambda f: f["pool_ip"],
        hints=(Hint("Same flows: dstaddr of the outbound ones.", 15),),
        explanation="VPC Flow Logs show the peer; GuardDuty's DNS finding names the pool's domain.",
        step="resource-hijacking",
    ),
    Question(
        "leaked-key.q14",
        "From which bucket did the attacker download objects?",
        "text",
        75,
        answer=lambda f: f["bucket"],
        answer_format="a bucket name",
        known_wrong=nudge(
            "naive_bucket",
            "That is the bucket the applications read all day (the order workers' role, "
            "from the NAT address). Which bucket did the attacker's address read?",
            unless="bucket",
        ),
        hints=(
            Hint(
                "GetObject data events from the attacker's address: "
                "request_parameters->>'bucketName'.",
                15,
            ),
        ),
        explanation="Object reads are data events: only logged because the trail selects "
        "the sensitive buckets.",
        step="exfiltration",
    ),
    Question(
        "leaked-key.q15",
        "How many objects did the attacker download (GetObject calls)?",
        "int",
        100,
        answer=lambda f: f["objects_stolen"],
        known_wrong=nudge(
            "naive_objects",
            "That counts every object read of the week: the applications read the "
            "sensitive buckets all day. Keep only the attacker's calls.",
            unless="objects_stolen",
        ),
        hints=(
            Hint(
                "count(*) of GetObject from the attacker's address; the applications read "
                "the same buckets all day from the NAT address.",
                20,
            ),
        ),
        explanation="The worker role reads a sensitive bucket constantly; only the "
        "attacker's address separates theft from work.",
        step="exfiltration",
    ),
    Question(
        "leaked-key.q16",
        "Debrief: which AWS service would have *prevented* the key from working from outside "
        "the company (no long-term keys, conditions on source address)?",
        "choice",
        50,
        answer=lambda f: "AWS IAM",
        choices=("AWS WAF", "AWS IAM", "AWS Shield", "Amazon Inspector"),
        explanation="IAM: SSO instead of long-term keys, aws:SourceIp conditions, least "
        "privilege. WAF and Shield protect web endpoints, not API keys; Inspector finds "
        "vulnerable software.",
    ),
    Question(
        "leaked-key.q17",
        "Debrief: which service *detected* the crypto-mining without any rule written by you?",
        "choice",
        50,
        answer=lambda f: "Amazon GuardDuty",
        choices=("AWS CloudTrail", "Amazon GuardDuty", "Amazon Detective", "VPC Flow Logs"),
        explanation="GuardDuty's CryptoCurrency:EC2/BitcoinTool.B!DNS comes from DNS and flow "
        "analysis; CloudTrail and Flow Logs record, Detective investigates.",
    ),
)

LeakedKey.questions = QUESTIONS

__all__ = ["QUESTIONS", "STEPS", "LeakedKey"]
