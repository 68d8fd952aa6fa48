"""Storyline 3: a password spray on the console, the trail stopped, a bucket held to ransom.

Late one evening a handful of addresses try one password, then another, against
many of the company's console users. One user has no MFA, and the second round
guesses their password. The attacker looks around in the console (some of it
denied), makes the user a long-term access key for later, and stops the
CloudTrail trail. From then on CloudTrail is silent: while it is, a script on
another address copies every object of a bucket to an encrypted copy, deletes
the originals and leaves a ransom note. Only the bucket's S3 server access logs
saw that part; GuardDuty, which reads AWS's event stream whether a trail logs or
not, raised the alarm. An administrator turns logging back on that night.

Decoys: a colleague who changed their password that afternoon and mistypes it
from home near the spray (failures, then a success with MFA); the user's own
everyday key; the audit role's AccessDenied storm; the nightly backup job's
copies (background S3 access logs).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from helpers import agents, ids, s3access
from helpers import guardduty as gd
from helpers.background import CONSOLE_READS, MS_DAY, MS_HOUR, Incident
from helpers.events import Identity, calls, mixed, user_identity
from helpers.quiz.question import Hint, Question, nudge, nudges
from helpers.storylines.base import Injection, Step, Storyline
from helpers.world import User, World, public_ip, remote_details

STEPS = (
    Step(
        "password-spray",
        "One password after another against many console users, from a handful of addresses",
        "T1110.003",
        "Credential Access",
        ("cloudtrail",),
        prevent="IAM: MFA for every console user, a strong password policy; people sign in "
        "through IAM Identity Center rather than as IAM users",
        detect="Security Hub: the IAM.5 control (console users without MFA); a CloudWatch "
        "alarm on failed ConsoleLogin events",
        investigate="CloudTrail: ConsoleLogin events whose response is Failure, by address",
    ),
    Step(
        "initial-access",
        "The second round guesses one password: a user without MFA signs in",
        "T1078.004",
        "Initial Access",
        ("cloudtrail",),
        prevent="IAM: a policy that denies everything without aws:MultiFactorAuthPresent",
        detect="Security Hub: IAM.5 had flagged the user; GuardDuty learns each user's usual "
        "places",
        investigate="CloudTrail: ConsoleLogin Success with additionalEventData.MFAUsed = No",
    ),
    Step(
        "discovery",
        "A look around the console: buckets, versioning, the trail; some of it denied",
        "T1580",
        "Discovery",
        ("cloudtrail",),
        prevent="IAM least privilege: a developer needs neither the trail nor every bucket",
        detect="GuardDuty: Discovery:IAMUser/AnomalousBehavior for larger bursts",
        investigate="CloudTrail: the console session's calls (AWS Internal), errorCode set",
    ),
    Step(
        "persistence",
        "A long-term access key for the user, to come back without the console",
        "T1098.001",
        "Persistence",
        ("cloudtrail",),
        prevent="IAM: no long-term keys for people; an SCP denying iam:CreateAccessKey",
        detect="Security Hub / IAM Access Analyzer: new keys of people",
        investigate="CloudTrail: CreateAccessKey, its responseElements.accessKey.accessKeyId",
    ),
    Step(
        "defense-evasion",
        "The trail is stopped: CloudTrail goes silent",
        "T1562.008",
        "Defense Evasion",
        ("cloudtrail", "guardduty"),
        prevent="An SCP that denies cloudtrail:StopLogging and DeleteTrail to everyone; an "
        "organisation trail that member accounts cannot touch",
        detect="GuardDuty: Stealth:IAMUser/CloudTrailLoggingDisabled; Security Hub CloudTrail.1",
        investigate="CloudTrail up to the gap; S3 server access logs and GuardDuty through it",
    ),
    Step(
        "encryption",
        "Every object copied to an encrypted copy, then a ransom note",
        "T1486",
        "Impact",
        ("s3_access",),
        prevent="S3 Object Lock and versioning; SSE-C blocked by bucket policy; least privilege",
        detect="GuardDuty S3 Protection: Impact:S3/AnomalousBehavior.Write",
        investigate="S3 server access logs: REST.COPY.OBJECT by the attacker's address",
    ),
    Step(
        "destruction",
        "The originals deleted, a thousand at a time",
        "T1485",
        "Impact",
        ("s3_access", "guardduty"),
        prevent="S3 versioning with MFA Delete, Object Lock, AWS Backup in another account",
        detect="GuardDuty: Impact:S3/AnomalousBehavior.Delete",
        investigate="S3 server access logs: BATCH.DELETE.OBJECT, one line per object",
    ),
)

#: What a spray tries besides real names: names that do not exist (CloudTrail hides them).
GUESSED_NAMES = (
    "admin administrator test devops backup support root dev ops it-admin aws-admin billing "
    "deploy jenkins"
).split()
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
SPRAY_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/124.0.6367.60 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36",
    "python-requests/2.31.0",
)
#: What the attacker reads in the console before acting (allowed), and tries but may not.
LOOK_AROUND = ("ListBuckets", "GetBucketLocation", "GetBucketVersioning", "GetBucketAcl")
TRAIL_READS = ("DescribeTrails", "GetTrailStatus")
DENIED_TRIES = (
    "ListUsers ListRoles GetAccountAuthorizationDetails ListDetectors DeleteTrail "
    "GetBucketPolicy ListSecrets"
).split()
NOTE_NAMES = (
    "README_RESTORE_YOUR_FILES.txt",
    "HOW_TO_RECOVER_YOUR_DATA.txt",
    "RECOVERY-INSTRUCTIONS.txt",
    "_DECRYPT_YOUR_FILES_.txt",
    "your-files-are-encrypted.txt",
    "!!!_READ_ME_TO_RESTORE_!!!.txt",
)
LOCKED_SUFFIXES = (".enc", ".locked", ".crypt", ".encrypted")
#: The objects of each kind of bucket (the world names buckets <slug>-<kind>-<nnnn>).
PREFIXES = {
    "customer-data": ("customers", "json"),
    "finance-reports": ("reports", "csv"),
    "backups": ("db-dumps", "sql.gz"),
}


def _names_kind(bucket: str, default: str | None = "backups") -> str | None:
    """The kind of a bucket of the world (``<slug>-<kind>-<nnnn>``) that storylines target."""
    return next((k for k in PREFIXES if f"-{k}-" in bucket), default)


#: The attacker's address as a careless learner takes it: the alert's.
ALERT_IP = (
    "(SELECT remote_ip FROM guardduty_latest WHERE type LIKE 'Impact:S3/%' "
    "ORDER BY first_seen LIMIT 1)"
)
ALERT_USER = (
    "(SELECT user_name FROM guardduty_latest WHERE type LIKE 'Stealth:%' "
    "ORDER BY first_seen LIMIT 1)"
)
FAILED_LOGIN = "event_name = 'ConsoleLogin' AND response_elements->>'ConsoleLogin' = 'Failure'"
#: The spray's addresses as a learner finds them: those that failed for several users.
SPRAY_SOURCES = (
    f"(SELECT source_ip FROM cloudtrail WHERE {FAILED_LOGIN} "
    "GROUP BY source_ip HAVING count(DISTINCT user_name) > 1)"
)
NAIVE_SQL: dict[str, str] = {
    # every address with a failed sign-in: the colleague at home included
    "naive_spray_ips": f"SELECT count(DISTINCT source_ip) FROM cloudtrail WHERE {FAILED_LOGIN}",
    # every user name with a failed sign-in: the colleague and the hidden names included
    "naive_users_all": f"SELECT count(DISTINCT user_name) FROM cloudtrail WHERE {FAILED_LOGIN}",
    "naive_users_hidden": (
        f"SELECT count(DISTINCT user_name) FROM cloudtrail WHERE {FAILED_LOGIN} "
        f"AND source_ip IN {SPRAY_SOURCES}"
    ),
    # every denied call of the week, the audit role's storm included
    "naive_denied_count": "SELECT count(*) FROM cloudtrail WHERE error_code IS NOT NULL",
    "naive_accessdenied_count": (
        "SELECT count(*) FROM cloudtrail WHERE error_code = 'AccessDenied'"
    ),
    # the key the user signs most calls with: their own, everyday key
    "naive_everyday_key": (
        f"SELECT access_key_id FROM cloudtrail WHERE user_name = {ALERT_USER} "
        "AND access_key_id LIKE 'AKIA%' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ),
    # the address that deletes most: the backup agent, every night
    "naive_deleter_ip": (
        "SELECT remote_ip FROM s3_access WHERE operation = 'BATCH.DELETE.OBJECT' "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ),
    # the address the trail was stopped from did not run the script
    "naive_console_ip": (
        "SELECT source_ip FROM cloudtrail WHERE event_source = 'cloudtrail.amazonaws.com' "
        "AND NOT read_only ORDER BY event_time LIMIT 1"
    ),
    # every copy of the week: the nightly backup's included
    "naive_copies_all": "SELECT count(*) FROM s3_access WHERE operation = 'REST.COPY.OBJECT'",
    # the attacker's copies, failed ones included, and with the source reads
    "naive_copies_failed": (
        f"SELECT count(*) FROM s3_access WHERE operation = 'REST.COPY.OBJECT' "
        f"AND remote_ip = {ALERT_IP}"
    ),
    "naive_copies_like": (
        f"SELECT count(*) FROM s3_access WHERE operation LIKE '%COPY%' AND remote_ip = {ALERT_IP}"
    ),
    # the attacker's delete lines: the DeleteObjects requests themselves included
    "naive_deletes_like": (
        f"SELECT count(*) FROM s3_access WHERE operation LIKE '%DELETE%' AND remote_ip = {ALERT_IP}"
    ),
    "naive_deletes_all": "SELECT count(*) FROM s3_access WHERE operation LIKE '%DELETE%'",
}
NAIVE: dict[str, list[str]] = {
    "console-ransomware.q06": [NAIVE_SQL["naive_spray_ips"]],
    "console-ransomware.q07": [NAIVE_SQL["naive_users_all"], NAIVE_SQL["naive_users_hidden"]],
    "console-ransomware.q08": [
        NAIVE_SQL["naive_denied_count"],
        NAIVE_SQL["naive_accessdenied_count"],
    ],
    "console-ransomware.q09": [NAIVE_SQL["naive_everyday_key"]],
    "console-ransomware.q11": [NAIVE_SQL["naive_console_ip"], NAIVE_SQL["naive_deleter_ip"]],
    "console-ransomware.q12": [
        NAIVE_SQL["naive_copies_all"],
        NAIVE_SQL["naive_copies_failed"],
        NAIVE_SQL["naive_copies_like"],
    ],
    "console-ransomware.q13": [NAIVE_SQL["naive_deletes_like"], NAIVE_SQL["naive_deletes_all"]],
}


def _ms_array(ms: int | list[int] | np.ndarray) -> np.ndarray:
    return np.atleast_1d(np.asarray(ms, dtype=np.int64)).astype("datetime64[ms]")


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _iso(ms: int) -> str:
    return _dt(ms).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ConsoleRansomware(Storyline):
    name = "console-ransomware"
    title = "Password spray on the console, logging stopped, S3 ransomware"
    summary = (
        "A password spray finds a console user without MFA; the attacker stops the trail, "
        "then encrypts and deletes a bucket while CloudTrail is silent."
    )
    steps = STEPS
    naive_queries = NAIVE
    #: on a quiet week the attacker's deletions can outnumber the backup agent's
    naive_may_solve = frozenset({"console-ransomware.q11"})

    def plan(self, world: World, rng: np.random.Generator) -> Incident:
        """An evening in the middle of the week (never the first or last day)."""
        day = int(rng.integers(2, 5))
        local_hour = float(rng.uniform(19.0, 22.0))
        start = int(world.start.timestamp() * 1000) + day * MS_DAY
        start += int((local_hour - world.utc_offset_hours) * MS_HOUR)
        return Incident(start=start, end=start + 6 * MS_HOUR)

    def inject(self, world: World, rng: np.random.Generator, incident: Incident) -> Injection:
        inj = Injection()
        people = [u for u in world.people if not u.admin]
        exposed = [u for u in people if not u.mfa]
        # A world where every person has MFA still has a shared console login without it.
        victim = (
            exposed[int(rng.integers(len(exposed)))] if exposed else world.user("grafana-reader")
        )
        admin = next(u for u in world.people if u.admin)
        colleague = _pick(rng, [u for u in people if u.mfa and u is not victim])
        others = [u for u in people if u not in (victim, colleague)]
        n_real = max(3, int(len(others) * rng.uniform(0.6, 0.9)))
        tried = [victim] + [others[i] for i in rng.permutation(len(others))[:n_real]]
        guesses = rng.choice(GUESSED_NAMES, size=int(rng.integers(3, 8)), replace=False).tolist()
        spray_ips = list(dict.fromkeys(public_ip(rng) for _ in range(int(rng.integers(3, 6)))))
        region = world.home_region
        t0 = incident.start

        # 1-2. The spray: one password for every name, a pause, a second password; the
        # tool stops at the first name it gets in with, the victim's.
        names = np.asarray([u.name for u in tried] + [HIDDEN] * len(guesses), dtype=object)
        by_name = {u.name: u for u in tried}
        second = names[rng.permutation(len(names))]
        second = second[: int(np.flatnonzero(second == victim.name)[0]) + 1]
        spray_names = np.concatenate([names[rng.permutation(len(names))], second])
        pause = np.zeros(len(spray_names), np.int64)
        pause[len(names)] = int(rng.integers(10, 25)) * 60_000
        spray_ms = t0 + np.cumsum(rng.integers(15_000, 70_000, len(spray_names)) + pause)
        spray_ips = spray_ips[: max(3, min(len(spray_ips), len(spray_names) // 3))]
        ip_of = _spread(rng, spray_ips, spray_names)
        agent_of = {ip: SPRAY_AGENTS[int(rng.integers(len(SPRAY_AGENTS)))] for ip in spray_ips}
        console_ip, login = str(ip_of[-1]), int(spray_ms[-1])  # the last attempt got in
        failed = [by_name.get(n) for n in spray_names[:-1]]  # None: a name the account lacks
        inj.add_events(
            "password-spray",
            calls(
                "ConsoleLogin",
                _ms_array(spray_ms[:-1]),
                Identity(
                    identity_type="IAMUser",
                    principal_id=[u.user_id if u else None for u in failed],
                    account_id=world.account_id,
                    access_key_id="",
                    user_name=spray_names[:-1].tolist(),
                ),
                world=world,
                rng=rng,
                region=region,
                source_ip=ip_of[:-1],
                user_agent=np.asarray([agent_of[ip] for ip in ip_of[:-1]], dtype=object),
                values={"mfa_used": "No", "login_result": "Failure"},
                denied=True,
            ),
        )
        inj.add_events(
            "initial-access",
            calls(
                "ConsoleLogin",
                _ms_array(login),
                Identity(
                    identity_type="IAMUser",
                    principal_id=victim.user_id,
                    arn=world.user_arn(victim),
                    account_id=world.account_id,
                    access_key_id="",
                    user_name=victim.name,
                ),
                world=world,
                rng=rng,
                region=region,
                source_ip=console_ip,
                user_agent=agent_of[console_ip],
                values={"mfa_used": "No", "login_result": "Success"},
            ),
        )

        # 3. A look around the console: the buckets, the chosen bucket's versioning, the trail.
        # The target: customer data, finance reports or the backups; never a bucket the
        # victim's own work reads (the shared Grafana login reads the finance reports).
        targets = [b for b in world.buckets if _names_kind(b, None) in PREFIXES]
        if not victim.person:
            targets = [b for b in targets if _names_kind(b) != "finance-reports"]
        bucket = _pick(rng, targets)
        session_key = ids.access_key(rng, temporary=True)
        session = user_identity(
            world, victim, session_key, session_created=_ms_array(login)[0], mfa=False, console=True
        )
        common = dict(world=world, rng=rng, region=region, source_ip=console_ip)
        t = login + int(rng.integers(20_000, 90_000))
        plan: list[tuple[str, bool]] = [(api, False) for api in LOOK_AROUND]
        plan += [(api, False) for api in rng.choice(LOOK_AROUND, int(rng.integers(2, 6)))]
        tries = rng.choice(DENIED_TRIES, size=int(rng.integers(3, 6)), replace=False).tolist()
        plan += [(api, True) for api in tries]
        plan += [(api, True) for api in rng.choice(tries, int(rng.integers(1, 5)))]
        plan = [plan[i] for i in rng.permutation(len(plan))]
        plan += [(api, False) for api in TRAIL_READS]
        denied_count = 0
        for api, denied in plan:
            t += int(rng.integers(4_000, 45_000))
            s3 = api.startswith(("GetBucket", "ListBuckets"))
            inj.add_events(
                "discovery",
                calls(
                    api,
                    _ms_array(t),
                    session,
                    user_agent=agents.CONSOLE_S3 if s3 else agents.CONSOLE,
                    denied=denied,
                    values={
                        "bucket": bucket,
                        "target_user": victim.name,
                        "trail": world.trail_name,
                        "user": victim.name,
                    },
                    **common,
                ),
            )
            denied_count += int(denied)

        # 4. A key of the user's own, for the script that runs later from elsewhere.
        new_key = ids.access_key(rng)
        t += int(rng.integers(30_000, 120_000))
        key_created = t
        inj.add_events(
            "persistence",
            calls(
                "CreateAccessKey",
                _ms_array(t),
                session,
                user_agent=agents.CONSOLE,
                values={"target_user": victim.name, "new_key": new_key},
                **common,
            ),
        )

        # 5. The trail stops logging: nothing reaches CloudTrail's files until it restarts.
        stop = t + int(rng.integers(60_000, 300_000))
        inj.add_events(
            "defense-evasion",
            calls(
                "StopLogging",
                _ms_array(stop),
                session,
                user_agent=agents.CONSOLE,
                values={"trail": world.trail_name},
                **common,
            ),
        )

        # 6-7. Inside the gap, from another address with the new key: list, copy each object
        # to an encrypted copy (some copies fail: archived objects), delete every original
        # in batches, leave the note. Only the bucket's access logs see it.
        ransom_ip = public_ip(rng)
        requester = world.user_arn(victim)
        n = int(rng.integers(150, 500))
        n_failed = int(rng.integers(4, 16))
        keys = np.asarray(_object_keys(rng, bucket, n), dtype=object)
        sizes = rng.integers(8_000, 6_000_000, n)
        failed = np.zeros(n, bool)
        failed[rng.choice(n, n_failed, replace=False)] = True
        ok = ~failed
        suffix = LOCKED_SUFFIXES[int(rng.integers(len(LOCKED_SUFFIXES)))]
        copied = np.asarray([f"{k}{suffix}" for k in keys], dtype=object)
        by_script = dict(
            bucket=bucket,
            remote_ip=ransom_ip,
            requester=requester,
            user_agent=agents.BOTO3_ATTACKER,
            tls_version="TLSv1.3",
        )
        begin = stop + int(rng.integers(4, 13)) * 60_000
        listing = begin + np.array([0, int(rng.integers(800, 3_000))])
        inj.add(
            "s3_access",
            "encryption",
            s3access.requests(
                rng,
                2,
                time=_ms_array(listing),
                operation=["REST.GET.VERSIONING", "REST.GET.BUCKET"],
                http_status=200,
                bytes_sent=[113, min(n, 1000) * 310],
                **by_script,
            ),
        )
        # a copy logs two lines under one request id: the read of the source, the new object
        copy_ms = int(listing[-1]) + 1_000 + np.cumsum(rng.exponential(450, n).astype(np.int64))
        copy_ids, copy_hosts = s3access.request_ids(rng, n), s3access.host_ids(rng, n)
        mask = pa.array(ok)
        inj.add(
            "s3_access",
            "encryption",
            pa.concat_tables(
                [
                    s3access.requests(
                        rng,
                        int(ok.sum()),
                        time=_ms_array(copy_ms[ok]),
                        request_id=copy_ids.filter(mask),
                        host_id=copy_hosts.filter(mask),
                        operation="REST.COPY.OBJECT_GET",
                        key=keys[ok].tolist(),
                        http_status=200,
                        object_size=sizes[ok],
                        **by_script,
                    ),
                    s3access.requests(
                        rng,
                        n,
                        time=_ms_array(copy_ms),
                        request_id=copy_ids,
                        host_id=copy_hosts,
                        operation="REST.COPY.OBJECT",
                        key=copied.tolist(),
                        http_status=np.where(failed, 403, 200).astype(np.int16),
                        error_code=np.where(failed, "InvalidObjectState", None).tolist(),
                        bytes_sent=np.where(failed, 311, rng.integers(180, 260, n)),
                        object_size=sizes,
                        **by_script,
                    ),
                ]
            ),
        )
        # DeleteObjects: one POST line per request, then one line per object deleted
        batch = int(rng.choice([100, 200, 250, 500]))
        n_batches = -(-n // batch)
        delete_start = int(copy_ms[-1]) + int(rng.integers(5_000, 60_000))
        post_ms = delete_start + np.cumsum(rng.integers(1_500, 6_000, n_batches))
        post_ids, post_hosts = (
            s3access.request_ids(rng, n_batches),
            s3access.host_ids(rng, n_batches),
        )
        which = pa.array(np.arange(n) // batch)
        inj.add(
            "s3_access",
            "destruction",
            pa.concat_tables(
                [
                    s3access.requests(
                        rng,
                        n_batches,
                        time=_ms_array(post_ms),
                        request_id=post_ids,
                        host_id=post_hosts,
                        operation="REST.POST.MULTI_OBJECT_DELETE",
                        http_status=200,
                        bytes_sent=np.bincount(np.arange(n) // batch) * 52 + 120,
                        **by_script,
                    ),
                    s3access.requests(
                        rng,
                        n,
                        time=_ms_array(post_ms[np.arange(n) // batch]),
                        request_id=post_ids.take(which),
                        host_id=post_hosts.take(which),
                        operation="BATCH.DELETE.OBJECT",
                        key=keys.tolist(),
                        http_status=204,
                        object_size=sizes,
                        **{**by_script, "user_agent": None},
                    ),
                ]
            ),
        )
        note = NOTE_NAMES[int(rng.integers(len(NOTE_NAMES)))]
        note_ms = int(post_ms[-1]) + int(rng.integers(3_000, 40_000))
        inj.add(
            "s3_access",
            "encryption",
            s3access.requests(
                rng,
                1,
                time=_ms_array(note_ms),
                operation="REST.PUT.OBJECT",
                key=note,
                http_status=200,
                object_size=int(rng.integers(900, 2_400)),
                **by_script,
            ),
        )

        # GuardDuty reads AWS's event stream, trail or not: both alerts fire.
        victim_remote = remote_details(rng, console_ip)
        stop_dt = _dt(stop)
        inj.add_finding(
            "defense-evasion",
            gd.api_call_finding(
                account=world.account_id,
                region=region,
                detector_id=world.detector_id,
                finding_id=ids.random_strings(rng, 1, 32, ids.HEX)[0],
                finding_type="Stealth:IAMUser/CloudTrailLoggingDisabled",
                severity=2.0,
                title=f"AWS CloudTrail trail {world.trail_name} was disabled.",
                description=(
                    f"The AWS CloudTrail trail {world.trail_name} was disabled by "
                    f"{victim.name} calling StopLogging under unusual circumstances. This can "
                    "be attackers' attempt to cover their tracks by eliminating any trace of "
                    "activity performed while they accessed your account."
                ),
                access_key=gd.AccessKey(session_key, victim.user_id, victim.name),
                api="StopLogging",
                service_name="cloudtrail.amazonaws.com",
                remote=victim_remote,
                first_seen=stop_dt,
                last_seen=stop_dt,
                created_at=stop_dt + timedelta(minutes=int(rng.integers(4, 11))),
            ),
        )
        delete_first, delete_last = _dt(int(post_ms[0])), _dt(int(post_ms[-1]))
        impact_created = delete_last + timedelta(minutes=int(rng.integers(5, 13)))
        inj.add_finding(
            "destruction",
            _s3_finding(
                world,
                bucket,
                finding_id=ids.random_strings(rng, 1, 32, ids.HEX)[0],
                key=gd.AccessKey(new_key, victim.user_id, victim.name),
                remote=remote_details(rng, ransom_ip),
                first_seen=delete_first,
                last_seen=delete_last,
                count=n_batches,
                created_at=impact_created,
            ),
        )

        # An administrator paged by the High alert turns logging back on and disables the
        # key: CloudTrail resumes (the response is not the attacker's: kept out of the truth).
        resume = int(impact_created.timestamp() * 1000) + int(rng.integers(20, 80)) * 60_000
        admin_session = user_identity(
            world,
            admin,
            ids.access_key(rng, temporary=True),
            session_created=_ms_array(resume - int(rng.integers(60_000, 400_000)))[0],
            console=True,
        )
        response = dict(world=world, rng=rng, region=region, source_ip=admin.home_ip)
        inj.add_decoy(
            "cloudtrail",
            pa.concat_tables(
                [
                    calls(
                        "StartLogging",
                        _ms_array(resume),
                        admin_session,
                        user_agent=agents.CONSOLE,
                        values={"trail": world.trail_name},
                        **response,
                    ),
                    calls(
                        "ListAccessKeys",
                        _ms_array(resume + int(rng.integers(60_000, 200_000))),
                        admin_session,
                        user_agent=agents.CONSOLE,
                        values={"target_user": victim.name},
                        **response,
                    ),
                    calls(
                        "UpdateAccessKey",
                        _ms_array(resume + int(rng.integers(220_000, 400_000))),
                        admin_session,
                        user_agent=agents.CONSOLE,
                        values={"target_user": victim.name, "new_key": new_key},
                        **response,
                    ),
                ]
            ),
        )
        inj.cloudtrail_gaps = [(stop + 1, resume)]
        assert resume < incident.end, "the incident window must hold the whole story"

        # Decoys: a colleague's new password, mistyped from home near the spray; the victim's
        # everyday work with their own key.
        inj.add_decoy("cloudtrail", _colleague(world, rng, colleague, t0))
        inj.add_decoy("cloudtrail", _everyday(world, rng, victim, t0))

        inj.facts = {
            "victim_user": victim.name,
            "victim_arn": requester,
            "spray_ips": sorted(spray_ips),
            "spray_address_count": len(spray_ips),
            "spray_users_tried": len(tried),
            "spray_guesses": len(guesses),
            "spray_start": _iso(int(spray_ms[0])),
            "console_ip": console_ip,
            "login_time": _iso(login),
            "denied_apis": sorted(set(tries)),
            "denied_count": denied_count,
            "new_key": new_key,
            "key_created": _iso(key_created),
            "trail": world.trail_name,
            "stop_time": _iso(stop),
            "resume_time": _iso(resume),
            "blind_minutes": round((resume - stop) / 60_000, 2),
            "bucket": bucket,
            "ransom_ip": ransom_ip,
            "objects_deleted": n,
            "objects_encrypted": int(ok.sum()),
            "copies_failed": n_failed,
            "delete_requests": n_batches,
            "ransom_note": note,
            "first_copy": _iso(int(copy_ms[ok][0])),
            "first_delete": _iso(int(post_ms[0])),
            "minutes_to_encrypt": round((int(copy_ms[ok][0]) - stop) / 60_000, 2),
            "admin_user": admin.name,
            "decoy_user": colleague.name,
            "decoy_ip": colleague.home_ip,
            "everyday_key": victim.access_key,
            "incident_start": _iso(incident.start),
        }
        return inj

    def naive_facts(self, con) -> dict:
        """What careless queries return on this data set: the known-wrong answers."""
        return {k: con.execute(q).fetchone()[0] for k, q in NAIVE_SQL.items()}

    questions = ()  # set below, beside the question texts


def _pick(rng: np.random.Generator, options: list):
    return options[int(rng.integers(len(options)))]


def _spread(rng: np.random.Generator, ips: list[str], names: np.ndarray) -> np.ndarray:
    """Each attempt's address: the addresses take turns in a shuffled order, and each one
    fails for at least two different names (a spray, not one person's typos); the last
    attempt is the one that gets in."""
    failed = names[:-1]
    for _ in range(1000):
        ip_of = np.asarray(ips, dtype=object)[rng.permutation(np.arange(len(names)) % len(ips))]
        if all(len(set(failed[ip_of[:-1] == ip])) >= 2 for ip in ips):
            return ip_of
    raise ValueError(f"cannot spread {len(names)} attempts over {len(ips)} addresses")


def _object_keys(rng: np.random.Generator, bucket: str, n: int) -> list[str]:
    """``n`` distinct keys of the kind of object this bucket holds."""
    prefix, ext = PREFIXES[_names_kind(bucket)]
    numbers = rng.choice(900_000, n, replace=False) + 100_000
    years = rng.integers(2023, 2027, n)
    return [f"{prefix}/{y}/{prefix[:-1]}-{k}.{ext}" for y, k in zip(years, numbers, strict=True)]


def _s3_finding(
    world: World,
    bucket: str,
    *,
    finding_id: str,
    key: gd.AccessKey,
    remote: gd.RemoteIp,
    first_seen: datetime,
    last_seen: datetime,
    count: int,
    created_at: datetime,
) -> dict[str, Any]:
    """``Impact:S3/AnomalousBehavior.Delete``: an S3Bucket finding (S3 Protection reads the
    data events whether a trail selects them or not) with the key that signed the calls."""
    finding = gd.api_call_finding(
        account=world.account_id,
        region=world.home_region,
        detector_id=world.detector_id,
        finding_id=finding_id,
        finding_type="Impact:S3/AnomalousBehavior.Delete",
        severity=8.0,
        title=f"Unusual deletion of S3 objects from bucket {bucket}.",
        description=(
            f"An IAM entity invoked an S3 API that attempts to delete data in bucket {bucket}, "
            "and this behavior was anomalous compared to the established baseline of the "
            "account."
        ),
        access_key=key,
        api="DeleteObjects",
        service_name="s3.amazonaws.com",
        remote=remote,
        first_seen=first_seen,
        last_seen=last_seen,
        count=count,
        created_at=created_at,
    )
    finding["service"]["action"]["awsApiCallAction"]["affectedResources"] = {
        "AWS::S3::Bucket": bucket
    }
    finding["resource"] = {
        "resourceType": "S3Bucket",
        "accessKeyDetails": finding["resource"]["accessKeyDetails"],
        "s3BucketDetails": [
            {
                "arn": f"arn:aws:s3:::{bucket}",
                "name": bucket,
                "type": "Destination",
                "createdAt": (world.start - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "owner": {"id": gd.make_id(world.account_id, "canonical-user") * 2},
                "tags": [],
                "defaultServerSideEncryption": {"encryptionType": "AES256"},
                "publicAccess": {"effectivePermission": "NOT_PUBLIC"},
            }
        ],
    }
    return finding


def _colleague(world: World, rng: np.random.Generator, who: User, spray: int) -> pa.Table:
    """A colleague changes their password in the afternoon, then mistypes the new one from
    home near the spray: a few failures, then a success with MFA and some console work."""
    day = spray - spray % MS_DAY
    office = world.office_ips[int(rng.integers(len(world.office_ips)))]
    changed = day + int((rng.uniform(13.5, 16.5) - world.utc_offset_hours) * MS_HOUR)
    office_session = user_identity(
        world,
        who,
        ids.access_key(rng, temporary=True),
        session_created=_ms_array(changed - 1_800_000)[0],
        console=True,
    )
    tables = [
        calls(
            "ChangePassword",
            _ms_array(changed),
            office_session,
            world=world,
            rng=rng,
            region=world.home_region,
            source_ip=office,
            user_agent=agents.CONSOLE,
            values={"user": who.name},
        )
    ]
    first = spray - int(rng.integers(25, 80)) * 60_000  # shortly before the spray
    fails = int(rng.integers(3, 6))
    ms = first + np.cumsum(rng.integers(12_000, 60_000, fails + 1))
    mfa = ["No"] * fails + ["Yes"]
    result = ["Failure"] * fails + ["Success"]
    tables.append(
        calls(
            "ConsoleLogin",
            _ms_array(ms),
            Identity(
                identity_type="IAMUser",
                principal_id=who.user_id,
                arn=[None] * fails + [world.user_arn(who)],
                account_id=world.account_id,
                access_key_id="",
                user_name=who.name,
            ),
            world=world,
            rng=rng,
            region=world.home_region,
            source_ip=who.home_ip,
            user_agent=agents.BROWSER,
            values={"mfa_used": pa.array(mfa), "login_result": pa.array(result)},
            denied=np.asarray([r == "Failure" for r in result]),
        )
    )
    n = int(rng.integers(5, 16))
    work = int(ms[-1]) + np.cumsum(rng.integers(5_000, 90_000, n))
    home_session = user_identity(
        world,
        who,
        ids.access_key(rng, temporary=True),
        session_created=_ms_array(ms[-1])[0],
        console=True,
    )
    tables.append(
        mixed(
            CONSOLE_READS,
            None,
            _ms_array(work),
            home_session,
            world=world,
            rng=rng,
            region=world.home_region,
            source_ip=who.home_ip,
            user_agent=agents.CONSOLE,
        )
    )
    return pa.concat_tables(tables)


def _everyday(world: World, rng: np.random.Generator, who: User, spray: int) -> pa.Table:
    """The victim's ordinary CLI work with their own long-term key on two other weekdays."""
    week = int(world.start.timestamp() * 1000)
    incident_day = (spray - week) // MS_DAY
    days = [d for d in range(5) if d != incident_day]
    tables = []
    for d in sorted(rng.choice(days, 2, replace=False).tolist()):
        start = week + d * MS_DAY
        start += int((rng.uniform(9.5, 16.0) - world.utc_offset_hours) * MS_HOUR)
        n = int(rng.integers(8, 30))
        ms = start + np.cumsum(rng.integers(3_000, 60_000, n))
        tables.append(
            mixed(
                ["GetCallerIdentity", "DescribeInstances", "ListBuckets", "GetParameter"],
                [1, 4, 2, 2],
                _ms_array(ms),
                user_identity(world, who),
                world=world,
                rng=rng,
                region=world.home_region,
                source_ip=world.office_ips[0],
                user_agent=agents.AWS_CLI,
            )
        )
    return pa.concat_tables(tables)


PREVENT_SIGN_IN = ("AWS WAF", "AWS IAM: MFA required", "AWS Shield", "Amazon Inspector")
PREVENT_LOSS = (
    "Amazon GuardDuty",
    "S3 Versioning with Object Lock",
    "AWS CloudTrail data events",
    "VPC Flow Logs",
)
PROTECT_TRAIL = (
    "A service control policy (AWS Organizations)",
    "AWS WAF",
    "Amazon Macie",
    "Amazon Inspector",
)
WITNESS = (
    "CloudTrail data events",
    "S3 server access logs",
    "VPC Flow Logs",
    "Route 53 Resolver query logs",
)
DETECTOR = ("AWS CloudTrail", "Amazon GuardDuty", "Amazon Detective", "AWS Config")

QUESTIONS = (
    Question(
        "console-ransomware.q01",
        "GuardDuty says the account's CloudTrail trail was disabled. With whose credentials: "
        "which IAM user?",
        "text",
        50,
        answer=lambda f: f["victim_user"],
        answer_format="an IAM user name, e.g. jane.doe",
        hints=(
            Hint(
                "`guardduty_latest` has a `user_name` column: the finding's type starts "
                "with 'Stealth:'.",
                10,
            ),
        ),
        explanation="A finding about an access key names the key's user: the pivot into "
        "CloudTrail.",
        step="defense-evasion",
    ),
    Question(
        "console-ransomware.q02",
        "The High-severity finding is about deleted objects. Which bucket?",
        "text",
        50,
        answer=lambda f: f["bucket"],
        answer_format="a bucket name",
        hints=(
            Hint(
                "S3 findings name the bucket in `finding->'resource'->'s3BucketDetails'`, "
                "and in their title.",
                10,
            ),
        ),
        explanation="GuardDuty's S3 Protection reads S3 data events from AWS's own stream, "
        "whatever a trail selects, so it saw the deletions a stopped trail did not log.",
        step="destruction",
    ),
    Question(
        "console-ransomware.q03",
        "When did the trail stop logging? Answer to the minute (UTC).",
        "timestamp",
        75,
        answer=lambda f: f["stop_time"],
        tolerance=60,
        answer_format="a UTC time, e.g. 2026-03-05T14:02Z (within 60 seconds)",
        hints=(
            Hint(
                "The call that stops a trail is logged before the trail goes quiet: "
                "`event_source = 'cloudtrail.amazonaws.com' AND NOT read_only`.",
                15,
            ),
        ),
        explanation="CloudTrail records the call that stops it, then nothing: the last record "
        "before a gap is often the most important one.",
        step="defense-evasion",
    ),
    Question(
        "console-ransomware.q04",
        "From which IP address was the trail stopped?",
        "ip",
        75,
        answer=lambda f: f["console_ip"],
        hints=(
            Hint("The same record's `source_ip`; GuardDuty's finding has it as `remote_ip`.", 10),
        ),
        explanation="The user agent says it was the console: somebody signed in with a "
        "password, not a script with a key.",
        step="defense-evasion",
    ),
    Question(
        "console-ransomware.q05",
        "When did the attacker sign in to the console as that user? Answer to the minute (UTC).",
        "timestamp",
        75,
        answer=lambda f: f["login_time"],
        tolerance=60,
        answer_format="a UTC time, e.g. 2026-03-05T14:02Z (within 60 seconds)",
        hints=(
            Hint(
                "`ConsoleLogin` records of that user: `response_elements->>'ConsoleLogin'` "
                "and `additional_event_data->>'MFAUsed'`.",
                15,
            ),
        ),
        explanation="MFAUsed = No on a successful sign-in: a password alone was enough. The "
        "user had no MFA device, and nothing required one.",
        step="initial-access",
    ),
    Question(
        "console-ransomware.q06",
        "How many different IP addresses took part in the password spray?",
        "int",
        100,
        answer=lambda f: f["spray_address_count"],
        known_wrong=nudge(
            "naive_spray_ips",
            "That counts every address with a failed sign-in this week. One of them failed "
            "for a single user a few times, then signed in with MFA: a colleague mistyping a "
            "new password. A spray fails for many users from each address.",
            unless="spray_address_count",
        ),
        hints=(
            Hint("Failed sign-ins by source_ip: how many different users failed from each?", 20),
        ),
        explanation="A spray tries one password against many users (few tries per user, so "
        "no lockout); a person who forgot their password fails many times on one user.",
        step="password-spray",
    ),
    Question(
        "console-ransomware.q07",
        "How many of the company's IAM users did the spray try? (Count real users only.)",
        "int",
        125,
        answer=lambda f: f["spray_users_tried"],
        known_wrong=nudges(
            nudge(
                "naive_users_all",
                "That counts every user name with a failed sign-in, the colleague who "
                "mistyped a new password included. Keep only the spray's addresses.",
                unless="spray_users_tried",
            ),
            nudge(
                "naive_users_hidden",
                "Close: one of those names is not a user. CloudTrail hides a name that does "
                "not exist in the account behind a placeholder.",
                unless="spray_users_tried",
            ),
        ),
        hints=(
            Hint("count(DISTINCT user_name) of the failures from the spray's addresses.", 20),
            Hint(
                "Names the account does not have are logged as HIDDEN_DUE_TO_SECURITY_REASONS.", 20
            ),
        ),
        explanation="User names are not secrets: a spray list is built from staff names "
        "found online, plus guesses such as admin or test.",
        step="password-spray",
    ),
    Question(
        "console-ransomware.q08",
        "How many of the attacker's calls in that console session were denied?",
        "int",
        100,
        answer=lambda f: f["denied_count"],
        known_wrong=nudges(
            *(
                nudge(
                    key,
                    "That counts every denied call of the week, the security audit role's "
                    "scans included. Keep only the attacker's address.",
                    unless="denied_count",
                )
                for key in ("naive_denied_count", "naive_accessdenied_count")
            )
        ),
        hints=(Hint("error_code IS NOT NULL and source_ip = the console address.", 20),),
        explanation="What was denied shows what the attacker wanted; what was allowed shows "
        "what the user could do: stop the trail, make keys, delete objects.",
        step="discovery",
    ),
    Question(
        "console-ransomware.q09",
        "Before stopping the trail, the attacker made themselves an access key for later. "
        "Which access key id?",
        "text",
        100,
        answer=lambda f: f["new_key"],
        answer_format="an access key id, e.g. AKIAEXAMPLE12345678",
        known_wrong=nudge(
            "naive_everyday_key",
            "That is the user's own key, which they use for their daily work from the "
            "office. Look at what the console session created.",
            unless="new_key",
        ),
        hints=(
            Hint(
                "CreateAccessKey: the new key is in "
                "`response_elements->'accessKey'->>'accessKeyId'`.",
                20,
            ),
        ),
        explanation="The key outlives the console session and the password: it has to be "
        "deactivated too. GuardDuty's deletion finding names the same key.",
        step="persistence",
    ),
    Question(
        "console-ransomware.q10",
        "When was logging turned back on? Answer to the minute (UTC).",
        "timestamp",
        75,
        answer=lambda f: f["resume_time"],
        tolerance=60,
        answer_format="a UTC time, e.g. 2026-03-05T14:02Z (within 60 seconds)",
        hints=(
            Hint(
                "The first CloudTrail record after the gap is the call that restarted the trail.",
                15,
            ),
        ),
        explanation="An administrator paged by GuardDuty restarted the trail and deactivated "
        "the key. Their own sign-in fell in the gap: it is not in CloudTrail either.",
        step="defense-evasion",
    ),
    Question(
        "console-ransomware.q11",
        "CloudTrail went quiet, the bucket's access logs did not. From which IP address did "
        "the requests that emptied the bucket come?",
        "ip",
        125,
        answer=lambda f: f["ransom_ip"],
        known_wrong=nudges(
            nudge(
                "naive_console_ip",
                "That address worked in the console and stopped the trail. The bucket's "
                "access logs show where the deletions came from: another address.",
                unless="ransom_ip",
            ),
            nudge(
                "naive_deleter_ip",
                "That address deletes objects every night: the backup agent clearing the "
                "copies of a week ago. Look at who signed the requests during the silence.",
                unless="ransom_ip",
            ),
        ),
        hints=(
            Hint(
                "`s3_access` rows of the bucket whose `requester` is the user's ARN, by remote_ip.",
                25,
            ),
        ),
        explanation="The script ran elsewhere, with the new key: S3 server access logs name "
        "the requester (the user's ARN) and the remote address, not the key.",
        step="encryption",
    ),
    Question(
        "console-ransomware.q12",
        "How many objects did the attacker manage to encrypt, that is, copies that succeeded?",
        "int",
        150,
        answer=lambda f: f["objects_encrypted"],
        known_wrong=nudges(
            nudge(
                "naive_copies_all",
                "That counts every copy of the week, the nightly backup job's included. Keep "
                "only the attacker's address.",
                unless="objects_encrypted",
            ),
            nudge(
                "naive_copies_failed",
                "Some of those copies failed: look at http_status and error_code.",
                unless="objects_encrypted",
            ),
            nudge(
                "naive_copies_like",
                "Each successful copy leaves two lines: the read of the source "
                "(REST.COPY.OBJECT_GET) and the copy itself (REST.COPY.OBJECT).",
                unless="objects_encrypted",
            ),
        ),
        hints=(
            Hint("operation = 'REST.COPY.OBJECT' from the attacker's address, by http_status.", 30),
        ),
        explanation="Archived objects cannot be copied (InvalidObjectState): the attacker "
        "deleted them anyway.",
        step="encryption",
    ),
    Question(
        "console-ransomware.q13",
        "How many objects did the attacker delete?",
        "int",
        150,
        answer=lambda f: f["objects_deleted"],
        known_wrong=nudges(
            nudge(
                "naive_deletes_like",
                "That counts the lines of the DeleteObjects requests themselves too "
                "(REST.POST.MULTI_OBJECT_DELETE): one request deletes many objects, each "
                "logged on a line of its own.",
                unless="objects_deleted",
            ),
            nudge(
                "naive_deletes_all",
                "That counts every deletion line of the week. Keep only the attacker's "
                "address, and one line per object.",
                unless="objects_deleted",
            ),
        ),
        hints=(
            Hint(
                "One DeleteObjects request logs a REST.POST.MULTI_OBJECT_DELETE line, then "
                "a BATCH.DELETE.OBJECT line per object.",
                30,
            ),
        ),
        explanation="Without versioning, a deleted object is gone: only the encrypted copies "
        "remain, and only the attacker has their key.",
        step="destruction",
    ),
    Question(
        "console-ransomware.q14",
        "The attacker left a ransom note in the bucket. What is its object key?",
        "text",
        100,
        answer=lambda f: f["ransom_note"],
        answer_format="an object key, as the access log shows it",
        case_sensitive=True,
        hints=(Hint("The attacker's REST.PUT.OBJECT.", 20),),
        explanation="Ransom notes sit at the top of the bucket, where someone opening it in "
        "the console sees them first.",
        step="encryption",
    ),
    Question(
        "console-ransomware.q15",
        "How many minutes after the trail stopped logging did the first object get encrypted?",
        "float",
        125,
        answer=lambda f: f["minutes_to_encrypt"],
        tolerance=1.0,
        answer_format="a number of minutes, e.g. 95.5 (within 1 minute)",
        hints=(
            Hint(
                "The stop is in `cloudtrail`, the first successful copy in `s3_access`: "
                "subtract the times (`(b - a)` is an interval; `epoch(b - a) / 60` minutes).",
                25,
            ),
        ),
        explanation="Minutes, not hours: stopping the trail was the attacker's last step "
        "before the damage, and an alert on it is worth waking someone for.",
        step="encryption",
    ),
    Question(
        "console-ransomware.q16",
        "Debrief: what would have made the guessed password useless on its own?",
        "choice",
        50,
        answer=lambda f: PREVENT_SIGN_IN[1],
        choices=PREVENT_SIGN_IN,
        explanation="IAM: an MFA device for every console user, and a policy that denies "
        "everything without aws:MultiFactorAuthPresent; better, people sign in through IAM "
        "Identity Center. WAF and Shield protect web applications; Inspector finds "
        "vulnerable software.",
    ),
    Question(
        "console-ransomware.q17",
        "Debrief: what would have kept the deleted objects recoverable?",
        "choice",
        50,
        answer=lambda f: PREVENT_LOSS[1],
        choices=PREVENT_LOSS,
        explanation="With versioning a delete only adds a delete marker, and Object Lock "
        "refuses to remove locked versions even for the account's own users. GuardDuty "
        "and the logs tell you what happened; they bring nothing back.",
    ),
    Question(
        "console-ransomware.q18",
        "Debrief: what stops anyone in the account, administrators included, from stopping "
        "the trail?",
        "choice",
        50,
        answer=lambda f: PROTECT_TRAIL[0],
        choices=PROTECT_TRAIL,
        explanation="An SCP that denies cloudtrail:StopLogging, DeleteTrail and "
        "PutEventSelectors applies to every principal of member accounts; an organisation "
        "trail cannot be changed from them at all.",
    ),
    Question(
        "console-ransomware.q19",
        "Debrief: which log recorded the bucket's requests while the trail was stopped?",
        "choice",
        50,
        answer=lambda f: WITNESS[1],
        choices=WITNESS,
        explanation="Server access logging is a setting of the bucket, delivered by S3 "
        "itself: stopping a trail does not touch it. Data events are part of the trail.",
    ),
    Question(
        "console-ransomware.q20",
        "Debrief: which service raised both alerts, although the trail was stopped?",
        "choice",
        50,
        answer=lambda f: DETECTOR[1],
        choices=DETECTOR,
        explanation="GuardDuty reads CloudTrail's management and S3 data events from AWS's "
        "own stream, independently of any trail: stopping a trail does not blind it.",
    ),
)
ConsoleRansomware.questions = QUESTIONS

__all__ = ["QUESTIONS", "STEPS", "ConsoleRansomware"]
