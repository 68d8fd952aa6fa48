"""Storyline 5: a compromised CI role, quiet persistence and snapshot sharing.

The company deploys from GitHub Actions: its workflows trade GitHub's OIDC token
for a session of the deploy role (``AssumeRoleWithWebIdentity``). The role's
trust policy checks the token's audience but not its *subject*, so any GitHub
repository can assume it. An attacker does, from a repository of a look-alike
organisation and a self-hosted runner on a rented server, in the middle of a
working day when the company's own pipeline is busy. In a few runs they look
around, create a role that trusts an account of theirs and give it wide rights,
replace a Lambda function's code, then snapshot the database volume and share
the snapshot with another account of theirs, which copies it. The next day the
outside account comes back through the new role. GuardDuty notices one thing:
the role's session creating IAM roles. Nothing else makes noise: the whole
story is in CloudTrail, among the deploy role's normal week.

Decoys, besides the background's deploys: a second company repository's
workflow, a Terraform apply that creates a role trusting the security vendor's
account, the nightly backup that shares a snapshot of the same volume with the
company's backup account (which copies it), and administrators coming in from
the organisation's management account.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import agents, ids
from helpers import guardduty as gd
from helpers.background import MS_DAY, MS_HOUR, Incident
from helpers.events import Identity, calls, role_identity, user_identity
from helpers.quiz.question import Hint, Question, nudge, nudges
from helpers.storylines.base import Injection, Step, Storyline
from helpers.world import Role, World, public_ip, remote_details

STEPS = (
    Step(
        "initial-access",
        "An outside GitHub workflow assumes the deploy role",
        "T1078.004",
        "Initial Access",
        ("cloudtrail", "guardduty"),
        prevent="IAM: the OIDC trust pins token.actions.githubusercontent.com:sub to the "
        "company's own repositories and branches",
        detect="GuardDuty flagged the session later; a rule on AssumeRoleWithWebIdentity "
        "with an unknown subject would have caught the first run",
        investigate="CloudTrail: AssumeRoleWithWebIdentity, its subject, the keys it issued",
    ),
    Step(
        "discovery",
        "A look around with the role's rights: roles, functions, volumes",
        "T1580",
        "Discovery",
        ("cloudtrail",),
        prevent="IAM least privilege: a deploy role needs to update its functions, no more",
        detect="Detective / Security Hub: a session of the deploy role doing what deploys never do",
        investigate="CloudTrail: every call signed with the keys the outside workflow got",
    ),
    Step(
        "persistence",
        "A new role that trusts an outside account, with wide rights",
        "T1098.003",
        "Persistence",
        ("cloudtrail", "guardduty"),
        prevent="SCP or permissions boundary: no iam:CreateRole / AttachRolePolicy for the CI role",
        detect="GuardDuty: Persistence:IAMUser/AnomalousBehavior; IAM Access Analyzer: a role "
        "trusted from outside the organisation",
        investigate="CloudTrail: CreateRole's trust policy, AttachRolePolicy",
    ),
    Step(
        "implant",
        "A Lambda function's code replaced",
        "T1525",
        "Persistence",
        ("cloudtrail",),
        prevent="Lambda code signing: only packages signed by the pipeline deploy",
        detect="Security Hub / AWS Config: code signing not enforced; a codeSha256 no build made",
        investigate="CloudTrail: UpdateFunctionCode, its codeSha256",
    ),
    Step(
        "exfiltration",
        "The database volume snapshotted and shared with an outside account",
        "T1537",
        "Exfiltration",
        ("cloudtrail",),
        prevent="SCP denying ec2:ModifySnapshotAttribute; EBS encryption with a customer key "
        "no outside account may use",
        detect="IAM Access Analyzer: an EBS snapshot shared outside the zone of trust",
        investigate="CloudTrail: CreateSnapshot, ModifySnapshotAttribute, "
        "SharedSnapshotCopyInitiated",
    ),
    Step(
        "backdoor-use",
        "The outside account comes back through its role",
        "T1078.004",
        "Persistence",
        ("cloudtrail",),
        prevent="Delete the role; an SCP limiting sts:AssumeRole to the organisation's accounts",
        detect="IAM Access Analyzer; GuardDuty on the new role's sessions",
        investigate="CloudTrail: AssumeRole by an AWSAccount identity from outside",
    ),
)

#: The look-alike organisations and repositories the attacker's workflow runs from.
EVIL_SUFFIXES = ("-ci", "-dev", "-labs", "-oss", "-bot", "hq")
EVIL_REPOS = ("platform", "deploy-tools", "infra-scripts", "release-automation", "gha-sandbox")
#: What the attacker calls their role: names that would not stand out in a list.
BACKDOOR_ROLES = (
    "ci-deploy-fallback",
    "ops-cross-account-readonly",
    "lambda-deploy-helper",
    "cloudwatch-metrics-sync",
    "backup-restore-automation",
    "support-break-glass",
)
BACKDOOR_POLICIES = ("AdministratorAccess", "PowerUserAccess")
SESSION_NAMES = ("GitHubActions", "github-actions", "gh-oidc")
#: The company's other repository that deploys through the same role (a decoy).
OTHER_REPOS = ("web-frontend", "data-pipelines", "mobile-api")
#: Terraform's legitimate new role for the security vendor (a decoy).
VENDOR_ROLES = ("vendor-posture-scanner", "security-vendor-readonly", "cspm-readonly")
DISCOVERY = (
    "GetCallerIdentity ListRoles GetRole ListAttachedRolePolicies ListFunctions20150331 "
    "GetFunction20150331v2 DescribeInstances DescribeVolumes DescribeSnapshots ListBuckets"
).split()
DISCOVERY_DENIED = ("ListSecrets", "GetAccountAuthorizationDetails")
BACKDOOR_READS = ("GetCallerIdentity", "ListBuckets", "DescribeInstances", "ListRoles")

#: A session's keys: the credentials AssumeRoleWithWebIdentity handed to the outside workflow.
#: Careless queries below are what a learner types before pivoting on them.
CT = "FROM cloudtrail WHERE"
NAIVE: dict[str, list[str]] = {
    # the finding seen most often: a port probe, not the alert about the role's session
    "ci-persistence.q01": [
        "SELECT remote_ip FROM guardduty_latest WHERE remote_ip IS NOT NULL "
        "ORDER BY count DESC LIMIT 1"
    ],
    # the repository that assumes the role most: the company's own pipeline
    "ci-persistence.q02": [
        "SELECT regexp_extract(user_name, 'repo:([^:]+)', 1) "
        f"{CT} event_name = 'AssumeRoleWithWebIdentity' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
        f"SELECT user_name {CT} event_name = 'AssumeRoleWithWebIdentity' "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    ],
    # every web-identity sign-in of the week
    "ci-persistence.q03": [f"SELECT count(*) {CT} event_name = 'AssumeRoleWithWebIdentity'"],
    "ci-persistence.q04": [f"SELECT min(event_time) {CT} event_name = 'AssumeRoleWithWebIdentity'"],
    # every call of the deploy role, the pipeline's included; everything from the runner
    "ci-persistence.q05": [
        f"SELECT count(*) {CT} user_name = 'github-actions-deploy'",
        f"SELECT count(*) {CT} source_ip = (SELECT remote_ip FROM guardduty_latest "
        "WHERE resource_type = 'AccessKey' LIMIT 1)",
    ],
    # the role created last: Terraform's, for the security vendor
    "ci-persistence.q06": [
        f"SELECT request_parameters->>'roleName' {CT} event_name = 'CreateRole' "
        "ORDER BY event_time DESC LIMIT 1"
    ],
    "ci-persistence.q07": [
        "SELECT regexp_extract(request_parameters->>'assumeRolePolicyDocument', "
        f"'arn:aws:iam::(\\d{{12}})', 1) {CT} event_name = 'CreateRole' "
        "ORDER BY event_time DESC LIMIT 1"
    ],
    "ci-persistence.q08": [
        f"SELECT string_split(request_parameters->>'policyArn', '/')[-1] {CT} "
        "event_name = 'AttachRolePolicy' ORDER BY event_time DESC LIMIT 1"
    ],
    # the function deployed most: the pipeline's work
    "ci-persistence.q09": [
        f"SELECT response_elements->>'functionName' {CT} "
        "event_name = 'UpdateFunctionCode20150331v2' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ],
    "ci-persistence.q10": [
        f"SELECT response_elements->>'codeSha256' {CT} "
        "event_name = 'UpdateFunctionCode20150331v2' ORDER BY event_time DESC LIMIT 1"
    ],
    # the snapshot shared last, the account shared with most: the nightly backup
    "ci-persistence.q11": [
        f"SELECT request_parameters->>'snapshotId' {CT} event_name = 'ModifySnapshotAttribute' "
        "ORDER BY event_time DESC LIMIT 1"
    ],
    "ci-persistence.q12": [
        "SELECT request_parameters->>'$.createVolumePermission.add.items[0].userId' "
        f"{CT} event_name = 'ModifySnapshotAttribute' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ],
    "ci-persistence.q13": [
        f"SELECT max(event_time) {CT} event_name = 'SharedSnapshotCopyInitiated'",
    ],
    # an outside account assuming a role: the company's administrators, from the office
    "ci-persistence.q14": [
        f"SELECT source_ip {CT} event_name = 'AssumeRole' AND identity_type = 'AWSAccount' "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ],
    # GuardDuty's delay after the call it flagged, not after the intrusion
    "ci-persistence.q15": [
        "SELECT floor(epoch(created_at - first_seen) / 60)::INTEGER FROM guardduty_latest "
        "WHERE resource_type = 'AccessKey'"
    ],
}


class CiPersistence(Storyline):
    name = "ci-persistence"
    title = "Compromised CI role: quiet persistence and snapshot sharing"
    summary = (
        "An outside GitHub workflow assumes the deploy role, leaves a role of its own and a "
        "replaced Lambda function behind, and shares a database snapshot with an outside account."
    )
    steps = STEPS
    naive_queries = NAIVE
    #: the function deployed most this week can be the one the attacker replaced; and, when
    #: no deploy follows a Thursday attack, the week's last package is the attacker's
    naive_may_solve = frozenset({"ci-persistence.q09", "ci-persistence.q10"})

    def plan(self, world: World, rng: np.random.Generator) -> Incident:
        """A weekday, Tuesday to Thursday, in working hours: the pipeline is busy then."""
        day = int(rng.integers(1, 4))
        local_hour = float(rng.uniform(10.0, 15.0))
        start = int(world.start.timestamp() * 1000) + day * MS_DAY
        start += int((local_hour - world.utc_offset_hours) * MS_HOUR)
        start -= start % 1000
        return Incident(start=start, end=start + 36 * MS_HOUR)

    def inject(self, world: World, rng: np.random.Generator, incident: Incident) -> Injection:
        inj = Injection()
        ci = world.role("ci")[0]
        region = world.home_region
        runner_ip = public_ip(rng)  # the attacker's self-hosted runner, a rented server
        evil_org = world.github_org + EVIL_SUFFIXES[int(rng.integers(len(EVIL_SUFFIXES)))]
        repo = f"{evil_org}/{EVIL_REPOS[int(rng.integers(len(EVIL_REPOS)))]}"
        session = SESSION_NAMES[int(rng.integers(len(SESSION_NAMES)))]
        attacker_account = _account(rng)
        drop_account = _account(rng)
        common = dict(world=world, rng=rng, region=region, user_agent=agents.AWS_CLI_LINUX)

        # The runs of the outside workflow: each trades a GitHub token for a session.
        n_extra = int(rng.integers(0, 3))
        t1 = incident.start
        t2 = t1 + _minutes(rng, 20, 50)
        t3 = t2 + _minutes(rng, 45, 150)
        extra = (t3 + np.cumsum([_minutes(rng, 60, 200) for _ in range(n_extra)])).tolist()
        runs = [t1, t2, t3, *extra]
        keys = [ids.access_key(rng, temporary=True) for _ in runs]
        for t, key in zip(runs, keys, strict=True):
            inj.add_events(
                "initial-access",
                _web_identity_assume(world, rng, ci, repo, session, key, t, runner_ip),
            )
        sessions = [
            role_identity(world, ci, session, key, _at(t)[0])
            for t, key in zip(runs, keys, strict=True)
        ]

        # 1. Run one: who am I, what is here (a couple of calls denied).
        names = [*DISCOVERY, *DISCOVERY_DENIED]
        ms = t1 + 4_000 + np.cumsum(rng.integers(3_000, 30_000, len(names)))
        denied = [name in DISCOVERY_DENIED for name in names]
        target = world.functions[int(rng.integers(len(world.functions)))]
        for name, when, no in zip(names, ms, denied, strict=True):
            values = {"role": ci.name, "function": target}
            inj.add_events(
                "discovery",
                calls(
                    name,
                    _at(when),
                    sessions[0],
                    source_ip=runner_ip,
                    denied=no,
                    values=values,
                    **common,
                ),
            )

        # 2. Run two: a role trusting the attacker's account, wide rights, a new function code.
        backdoor = BACKDOOR_ROLES[int(rng.integers(len(BACKDOOR_ROLES)))]
        backdoor_id = ids.principal_id(rng, "AROA")
        policy = BACKDOOR_POLICIES[int(rng.integers(len(BACKDOOR_POLICIES)))]
        t = t2 + 5_000
        inj.add_events(
            "discovery",
            calls("GetCallerIdentity", _at(t), sessions[1], source_ip=runner_ip, **common),
        )
        created = t + _seconds(rng, 30, 90)
        attached = created + _seconds(rng, 5, 20)
        role_values = {"role": backdoor, "role_id": backdoor_id, "other_account": attacker_account}
        inj.add_events(
            "persistence",
            calls(
                "CreateRole",
                _at(created),
                sessions[1],
                source_ip=runner_ip,
                values=role_values,
                **common,
            ),
        )
        inj.add_events(
            "persistence",
            calls(
                "AttachRolePolicy",
                _at(attached),
                sessions[1],
                source_ip=runner_ip,
                values={"role": backdoor, "policy_arn": f"arn:aws:iam::aws:policy/{policy}"},
                **common,
            ),
        )
        fn_role = dict(zip(world.functions, world.role("lambda"), strict=True))[target]
        code_sha = ids.random_strings(rng, 1, 43, ids.ALNUM)[0] + "="
        looked = attached + _seconds(rng, 20, 60)
        updated = looked + _seconds(rng, 40, 150)
        inj.add_events(
            "implant",
            calls(
                "GetFunction20150331v2",
                _at(looked),
                sessions[1],
                source_ip=runner_ip,
                values={"function": target},
                **common,
            ),
        )
        inj.add_events(
            "implant",
            calls(
                "UpdateFunctionCode20150331v2",
                _at(updated),
                sessions[1],
                source_ip=runner_ip,
                values={
                    "function": target,
                    "role": fn_role.name,
                    "code_sha256": code_sha,
                    "bytes_out": str(int(rng.integers(900_000, 9_000_000))),
                },
                **common,
            ),
        )

        # 3. Run three: snapshot the database volume, wait for it, share it, and it is copied.
        volume = db_volume(world)
        snapshot = ids.resource_id(rng, "snap-0", 1, 16)[0]
        t = t3 + 6_000
        for name in ("GetCallerIdentity", "DescribeInstances", "DescribeVolumes"):
            t += _seconds(rng, 4, 40)
            inj.add_events(
                "exfiltration", calls(name, _at(t), sessions[2], source_ip=runner_ip, **common)
            )
        snapped = t + _seconds(rng, 20, 60)
        inj.add_events(
            "exfiltration",
            calls(
                "CreateSnapshot",
                _at(snapped),
                sessions[2],
                source_ip=runner_ip,
                values={"volume": volume, "snapshot_id": snapshot},
                **common,
            ),
        )
        polls = snapped + np.cumsum(rng.integers(60_000, 180_000, int(rng.integers(3, 7))))
        inj.add_events(
            "exfiltration",
            calls("DescribeSnapshots", _at(polls), sessions[2], source_ip=runner_ip, **common),
        )
        shared = int(polls[-1]) + _seconds(rng, 10, 50)
        inj.add_events(
            "exfiltration",
            calls(
                "ModifySnapshotAttribute",
                _at(shared),
                sessions[2],
                source_ip=runner_ip,
                values={"snapshot_id": snapshot, "other_account": drop_account},
                **common,
            ),
        )
        copied = shared + _minutes(rng, 8, 40)
        inj.add_events("exfiltration", _snapshot_copied(world, rng, copied, drop_account, snapshot))

        # Later runs: is the copy done? (a look, nothing more)
        for k, t in enumerate(extra):
            for name, dt in (("GetCallerIdentity", 5_000), ("DescribeSnapshots", 20_000)):
                inj.add_events(
                    "exfiltration",
                    calls(name, _at(t + dt), sessions[3 + k], source_ip=runner_ip, **common),
                )

        # 4. The next day: the outside account assumes its role, from another address.
        back_ip = public_ip(rng)
        back_at = t1 + int(rng.uniform(18, 30) * MS_HOUR)
        back_at -= back_at % 1000
        back_role = Role(backdoor, backdoor_id, "outside")
        back_key = ids.access_key(rng, temporary=True)
        back_session = f"{backdoor}-{int(rng.integers(10**5, 10**6))}"
        inj.add_events(
            "backdoor-use",
            calls(
                "AssumeRole",
                _at(back_at),
                Identity(
                    identity_type="AWSAccount",
                    principal_id=ids.principal_id(rng, "AIDA"),
                    account_id=attacker_account,
                ),
                world=world,
                rng=rng,
                region=region,
                source_ip=back_ip,
                user_agent=agents.BOTO3_ATTACKER,
                values={
                    "role_arn": world.role_arn(back_role),
                    "role": backdoor,
                    "role_id": backdoor_id,
                    "session": back_session,
                    "new_key": back_key,
                },
            ),
        )
        back_id = role_identity(world, back_role, back_session, back_key, _at(back_at)[0])
        ms = back_at + np.cumsum(rng.integers(5_000, 60_000, len(BACKDOOR_READS)))
        for name, when in zip(BACKDOOR_READS, ms, strict=True):
            inj.add_events(
                "backdoor-use",
                calls(
                    name,
                    _at(when),
                    back_id,
                    world=world,
                    rng=rng,
                    region=region,
                    source_ip=back_ip,
                    user_agent=agents.BOTO3_ATTACKER,
                ),
            )

        # GuardDuty: the one thing it noticed, the deploy role's session creating a role.
        flagged = keys[1]
        first_seen = _dt(created)
        alert_at = created + _minutes(rng, 8, 25) + 30_000
        finding = gd.api_call_finding(
            account=world.account_id,
            region=region,
            detector_id=world.detector_id,
            finding_id=ids.random_strings(rng, 1, 32, ids.HEX)[0],
            finding_type="Persistence:IAMUser/AnomalousBehavior",
            severity=5.0,
            title=f"The user {ci.name} is anomalously invoking APIs commonly used in "
            "persistence tactics.",
            description=(
                "APIs commonly used in Persistence tactics were invoked by user AssumedRole : "
                f"{ci.name}, under anomalous circumstances. Such activity is not typically seen "
                "from this user."
            ),
            access_key=gd.AccessKey(flagged, f"{ci.role_id}:{session}", ci.name, "AssumedRole"),
            api="CreateRole",
            service_name="iam.amazonaws.com",
            remote=remote_details(rng, runner_ip),
            first_seen=first_seen,
            last_seen=_dt(attached),
            count=2,
            created_at=_dt(alert_at),
            updated_at=_dt(alert_at),
            additional_info={
                "anomalies": {"anomalousAPIs": "iam.amazonaws.com:[CreateRole, AttachRolePolicy]"}
            },
        )
        inj.add_finding("persistence", finding)

        self._decoys(world, rng, inj, incident, volume)

        n_calls = sum(
            t.filter(pc.is_in(t.column("access_key_id"), pa.array(keys))).num_rows
            for _, t in inj.cloudtrail
        )
        inj.facts = {
            "runner_ip": runner_ip,
            "repo": repo,
            "subject": f"repo:{repo}:ref:refs/heads/main",
            "session_name": session,
            "session_keys": keys,
            "flagged_key": flagged,
            "runs": len(runs),
            "first_assume": _iso(t1),
            "session_calls": n_calls,
            "backdoor_role": backdoor,
            "attacker_account": attacker_account,
            "backdoor_policy": policy,
            "function": target,
            "code_sha256": code_sha,
            "volume": volume,
            "snapshot": snapshot,
            "drop_account": drop_account,
            "copy_started": _iso(copied),
            "backdoor_ip": back_ip,
            "alert_created": _iso(alert_at),
            "detection_minutes": (alert_at - t1) // 60_000,
            "incident_start": _iso(incident.start),
        }
        return inj

    def naive_facts(self, con) -> dict:
        """What the careless queries of :data:`NAIVE` return on this data set (the decoys'
        values), so a nudge fires exactly when a learner's query falls for one."""

        def one(query: str):
            return con.execute(query).fetchone()[0]

        def iso(value) -> str | None:
            return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")

        alert_ip = (
            "(SELECT remote_ip FROM guardduty_latest WHERE resource_type = 'AccessKey' LIMIT 1)"
        )
        assumes = f"{CT} event_name = 'AssumeRoleWithWebIdentity'"
        return {
            "naive_alert_ip": one(
                "SELECT remote_ip FROM guardduty_latest WHERE remote_ip IS NOT NULL "
                "ORDER BY count DESC, id LIMIT 1"
            ),
            "naive_subject": one(
                f"SELECT user_name {assumes} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            ),
            "naive_subjects": sorted(
                r[0] for r in con.execute(f"SELECT DISTINCT user_name {assumes}").fetchall()
            ),
            "naive_runs": int(one(f"SELECT count(*) {assumes}")),
            "naive_first_assume": iso(one(f"SELECT min(event_time) {assumes}")),
            "naive_role_calls": int(
                one(f"SELECT count(*) {CT} user_name = 'github-actions-deploy'")
            ),
            "naive_runner_calls": int(one(f"SELECT count(*) {CT} source_ip = {alert_ip}")),
            "naive_role": one(
                f"SELECT request_parameters->>'roleName' {CT} event_name = 'CreateRole' "
                "ORDER BY event_time DESC LIMIT 1"
            ),
            "naive_trusted_account": one(
                "SELECT regexp_extract(request_parameters->>'assumeRolePolicyDocument', "
                f"'arn:aws:iam::(\\d{{12}})', 1) {CT} event_name = 'CreateRole' "
                "ORDER BY event_time DESC LIMIT 1"
            ),
            "naive_policy": one(
                f"SELECT string_split(request_parameters->>'policyArn', '/')[-1] {CT} "
                "event_name = 'AttachRolePolicy' ORDER BY event_time DESC LIMIT 1"
            ),
            "naive_function": one(
                f"SELECT response_elements->>'functionName' {CT} "
                "event_name = 'UpdateFunctionCode20150331v2' "
                "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            ),
            "naive_code_sha256": one(
                f"SELECT response_elements->>'codeSha256' {CT} "
                "event_name = 'UpdateFunctionCode20150331v2' ORDER BY event_time DESC LIMIT 1"
            ),
            "naive_snapshot": one(
                f"SELECT request_parameters->>'snapshotId' {CT} "
                "event_name = 'ModifySnapshotAttribute' ORDER BY event_time DESC LIMIT 1"
            ),
            "naive_share_account": one(
                "SELECT request_parameters->>'$.createVolumePermission.add.items[0].userId' "
                f"{CT} event_name = 'ModifySnapshotAttribute' "
                "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            ),
            "naive_copy_started": iso(
                one(f"SELECT max(event_time) {CT} event_name = 'SharedSnapshotCopyInitiated'")
            ),
            # every address another account signs in from (the office's, equally often)
            "naive_outside_ips": sorted(
                r[0]
                for r in con.execute(
                    f"SELECT DISTINCT source_ip {CT} event_name = 'AssumeRole' "
                    "AND identity_type = 'AWSAccount'"
                ).fetchall()
            ),
            "naive_detection_minutes": int(
                one(
                    "SELECT floor(epoch(created_at - first_seen) / 60)::INTEGER "
                    "FROM guardduty_latest WHERE resource_type = 'AccessKey'"
                )
            ),
        }

    questions = ()  # set below, beside the question texts

    def _decoys(
        self, world: World, rng: np.random.Generator, inj: Injection, incident: Incident, volume
    ) -> None:
        """Ordinary work that looks like the attack: the queries that skip *who* land here."""
        week = int(world.start.timestamp() * 1000)
        day0 = week // MS_DAY
        incident_day = incident.start // MS_DAY

        def local(day: int, hour: float) -> int:
            ms = int(day * MS_DAY + (hour - world.utc_offset_hours) * MS_HOUR)
            return ms - ms % 1000

        # The company's other repository deploys through the same role on a few weekdays.
        ci = world.role("ci")[0]
        other = f"{world.github_org}/{OTHER_REPOS[int(rng.integers(len(OTHER_REPOS)))]}"
        days = sorted(rng.choice(5, size=3, replace=False).tolist())
        for d in days:
            t = local(day0 + d, float(rng.uniform(9.5, 17.5)))
            run = f"GitHubActions-{int(rng.integers(10**9, 10**10))}"
            key = ids.access_key(rng, temporary=True)
            inj.add_decoy(
                "cloudtrail",
                _web_identity_assume(
                    world, rng, ci, other, run, key, t, public_ip(rng), agents.BOTO3
                ),
            )
            ident = role_identity(world, ci, run, key, _at(t)[0])
            ip = public_ip(rng)
            deploy = ("GetCallerIdentity", "GetFunction20150331v2", "UpdateFunctionCode20150331v2")
            for k, name in enumerate(deploy):
                inj.add_decoy(
                    "cloudtrail",
                    calls(
                        name,
                        _at(t + 3_000 + k * _seconds(rng, 2, 20)),
                        ident,
                        world=world,
                        rng=rng,
                        region=world.home_region,
                        source_ip=ip,
                        user_agent=agents.BOTO3,
                    ),
                )

        # Terraform applies a new role for the security vendor the next day (after the attack).
        tf = world.user("terraform-ci")
        vendor_role = VENDOR_ROLES[int(rng.integers(len(VENDOR_ROLES)))]
        t = local(incident_day + 1, float(rng.uniform(10.5, 16.0)))
        ua = agents.TERRAFORM.replace("api/{api}", "api/iam")
        applied = [
            ("CreateRole", {"other_account": world.audit_account}),
            ("AttachRolePolicy", {"policy_arn": "arn:aws:iam::aws:policy/SecurityAudit"}),
            ("GetRole", {}),
            ("ListAttachedRolePolicies", {}),
        ]
        vendor_id = ids.principal_id(rng, "AROA")
        for k, (name, values) in enumerate(applied):
            inj.add_decoy(
                "cloudtrail",
                calls(
                    name,
                    _at(t + k * _seconds(rng, 1, 4)),
                    user_identity(world, tf),
                    world=world,
                    rng=rng,
                    region=world.home_region,
                    source_ip=world.ci_ip,
                    user_agent=ua,
                    values={"role": vendor_role, "role_id": vendor_id, **values},
                ),
            )

        # The nightly backup snapshots the same volume and shares it with the backup account,
        # which copies it.
        backup = world.user("backup-agent")
        backup_account = _account(rng)
        for d in range(world.days):
            t = local(day0 + d, 1.0) + _seconds(rng, 0, 1_200)
            if not week <= t < week + world.days * MS_DAY - 2 * MS_HOUR:
                continue
            snap = ids.resource_id(rng, "snap-0", 1, 16)[0]
            common = dict(
                world=world,
                rng=rng,
                region=world.home_region,
                source_ip=world.nat_ip,
                user_agent=agents.BOTO3,
            )
            inj.add_decoy(
                "cloudtrail",
                calls(
                    "CreateSnapshot",
                    _at(t),
                    user_identity(world, backup),
                    values={"volume": volume, "snapshot_id": snap},
                    **common,
                ),
            )
            shared = t + _minutes(rng, 3, 8)
            inj.add_decoy(
                "cloudtrail",
                calls(
                    "ModifySnapshotAttribute",
                    _at(shared),
                    user_identity(world, backup),
                    values={"snapshot_id": snap, "other_account": backup_account},
                    **common,
                ),
            )
            inj.add_decoy(
                "cloudtrail",
                _snapshot_copied(world, rng, shared + _minutes(rng, 5, 30), backup_account, snap),
            )

        # Administrators come in from the organisation's management account.
        for table in _admin_sessions(world, rng):
            inj.add_decoy("cloudtrail", table)


def db_volume(world: World) -> str:
    """The database instance's root volume: the same id whatever the storyline draws."""
    return ids.resource_id(np.random.default_rng([world.seed, 55]), "vol-0", 1, 16)[0]


def _web_identity_assume(
    world: World,
    rng: np.random.Generator,
    role: Role,
    repo: str,
    session: str,
    key: str,
    t: int,
    ip: str,
    user_agent: str = agents.AWS_CLI_LINUX,
) -> pa.Table:
    """A GitHub workflow of ``repo`` trading its OIDC token for a session of ``role``."""
    subject = f"repo:{repo}:ref:refs/heads/main"
    return calls(
        "AssumeRoleWithWebIdentity",
        _at(t),
        Identity(
            identity_type="WebIdentityUser",
            principal_id=f"token.actions.githubusercontent.com:sts.amazonaws.com:{subject}",
            user_name=subject,
        ),
        world=world,
        rng=rng,
        region=world.home_region,
        source_ip=ip,
        user_agent=user_agent,
        values={
            "role_arn": world.role_arn(role),
            "role": role.name,
            "role_id": role.role_id,
            "session": session,
            "new_key": key,
            "repo": repo,
        },
    )


def _snapshot_copied(
    world: World, rng: np.random.Generator, t: int, account: str, snapshot: str
) -> pa.Table:
    """The service event logged in the owner's account when another account copies a
    snapshot shared with it: the data has left."""
    return calls(
        "SharedSnapshotCopyInitiated",
        _at(t),
        Identity(identity_type="AWSAccount", account_id=account, invoked_by="ec2.amazonaws.com"),
        world=world,
        rng=rng,
        region=world.home_region,
        source_ip="ec2.amazonaws.com",
        user_agent="ec2.amazonaws.com",
        values={"snapshot_id": snapshot},
    )


def _admin_sessions(world: World, rng: np.random.Generator) -> list[pa.Table]:
    """The platform team working from the organisation's management account: on most
    weekdays an administrator assumes OrganizationAccountAccessRole from the office
    (an AWSAccount caller, like the attacker's return), then looks at a few things."""
    role = world.role("admin")[0]
    management = _account(rng)
    week = int(world.start.timestamp() * 1000)
    tables = []
    for d in range(world.days):
        if (week // MS_DAY + d + 3) % 7 >= 5 or rng.random() < 0.2:
            continue  # weekends, and the odd day nobody needs it
        for _ in range(int(rng.integers(1, 3))):
            t = int(week + d * MS_DAY + (rng.uniform(9.0, 17.5) - world.utc_offset_hours) * MS_HOUR)
            t -= t % 1000
            office = world.office_ips[int(rng.integers(len(world.office_ips)))]
            key = ids.access_key(rng, temporary=True)
            session = f"{world.people[int(rng.integers(2))].name}-admin"
            common = dict(world=world, rng=rng, region=world.home_region, source_ip=office)
            tables.append(
                calls(
                    "AssumeRole",
                    _at(t),
                    Identity(
                        identity_type="AWSAccount",
                        principal_id=ids.principal_id(rng, "AROA") + ":" + session,
                        account_id=management,
                    ),
                    user_agent=agents.AWS_CLI,
                    values={
                        "role_arn": world.role_arn(role),
                        "role": role.name,
                        "role_id": role.role_id,
                        "session": session,
                        "new_key": key,
                    },
                    **common,
                )
            )
            ident = role_identity(world, role, session, key, _at(t)[0])
            names = ("GetCallerIdentity", "ListRoles", "GetRole", "DescribeInstances")
            ms = t + np.cumsum(rng.integers(3_000, 90_000, len(names)))
            for name, when in zip(names, ms, strict=True):
                tables.append(calls(name, _at(when), ident, user_agent=agents.AWS_CLI, **common))
    return tables


def _account(rng: np.random.Generator) -> str:
    """A 12-digit AWS account id (no leading zero)."""
    return str(int(rng.integers(1, 10))) + "".join(str(d) for d in rng.integers(0, 10, 11))


def _minutes(rng: np.random.Generator, low: float, high: float) -> int:
    return int(rng.uniform(low, high) * 60) * 1000


def _seconds(rng: np.random.Generator, low: int, high: int) -> int:
    return int(rng.integers(low, high)) * 1000


def _at(ms: int | np.ndarray) -> np.ndarray:
    """Event times on whole seconds, as CloudTrail writes them."""
    ms = np.atleast_1d(np.asarray(ms, dtype=np.int64))
    return (ms - ms % 1000).astype("datetime64[ms]")


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _iso(ms: int) -> str:
    return _dt(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


def _repo_of(subject: str) -> str:
    """``owner/repo`` of a GitHub OIDC subject ``repo:owner/repo:ref:...``."""
    return subject.split(":")[1]


def _company_repos(facts: Mapping[str, Any]) -> dict[str, str]:
    """The company's own repositories (and their full subjects) as known-wrong answers."""
    text = (
        "That repository belongs to the company: its pipeline assumes the role every working "
        "day. Follow the flagged key to the AssumeRoleWithWebIdentity that issued it."
    )
    out = {}
    for subject in facts.get("naive_subjects", []):
        if subject != facts["subject"]:
            out[subject] = text
            out[_repo_of(subject)] = text
    return out


QUESTIONS = (
    Question(
        "ci-persistence.q01",
        "GuardDuty raised one alert this week about a session's access key. From which IP "
        "address were the calls it flagged made?",
        "ip",
        50,
        answer=lambda f: f["runner_ip"],
        known_wrong=nudge(
            "naive_alert_ip",
            "That address probes a public instance: a low-severity "
            "Recon:EC2/PortProbeUnprotectedPort finding, real but routine. Look for the "
            "finding about an access key.",
            unless="runner_ip",
        ),
        hints=(
            Hint("Look in `guardduty_latest` at findings whose resource_type is 'AccessKey'.", 10),
        ),
        explanation="The finding's remote_ip is the caller's address; its access_key_id is the "
        "pivot into CloudTrail. An ASIA... key is temporary: a role's session.",
        step="initial-access",
    ),
    Question(
        "ci-persistence.q02",
        "Which GitHub repository's workflow was given the credentials GuardDuty flagged?",
        "text",
        100,
        answer=lambda f: f["repo"],
        answer_format="owner/repository, e.g. octo-org/octo-repo",
        known_wrong=lambda f: (
            _company_repos(f)
            | {
                f["subject"]: "That is the token's whole subject claim: give only the "
                "owner/repository part, between 'repo:' and ':ref'."
            }
        ),
        hints=(
            Hint(
                "The session's key was issued by an AssumeRoleWithWebIdentity call: find the one "
                "whose response_elements->'credentials'->>'accessKeyId' is the flagged key.",
                20,
            ),
            Hint(
                "Its user_name is the GitHub token's subject, repo:<owner>/<repository>:ref:...; "
                "compare the owner with the company's organisation, letter by letter.",
                20,
            ),
        ),
        explanation="GitHub's OIDC token names the repository in its sub claim; a trust policy "
        "that does not pin sub lets any repository on GitHub in.",
        step="initial-access",
    ),
    Question(
        "ci-persistence.q03",
        "How many times did that repository's workflow assume the role during the week?",
        "int",
        75,
        answer=lambda f: f["runs"],
        known_wrong=nudge(
            "naive_runs",
            "That counts every workflow that assumed the role, the company's own deploys "
            "included. Keep only the outside repository's subject.",
        ),
        hints=(Hint("count(*) of AssumeRoleWithWebIdentity with that subject as user_name.", 15),),
        explanation="Each workflow run trades a fresh GitHub token for a fresh session: one "
        "AssumeRoleWithWebIdentity per run, each with keys of its own.",
        step="initial-access",
    ),
    Question(
        "ci-persistence.q04",
        "When did the outside workflow first assume the role? Answer to the minute (UTC).",
        "timestamp",
        75,
        answer=lambda f: f["first_assume"],
        tolerance=60,
        answer_format="a UTC time, e.g. 2026-03-05T14:02Z (within 60 seconds)",
        known_wrong=nudge(
            "naive_first_assume",
            "That is the week's first deploy by the company's own pipeline. Keep only the "
            "outside repository's subject.",
        ),
        hints=(Hint("min(event_time) of those AssumeRoleWithWebIdentity calls.", 15),),
        explanation="The first run marks the start of the incident: everything the role did "
        "from then on is suspect until each session is accounted for.",
        step="initial-access",
    ),
    Question(
        "ci-persistence.q05",
        "How many API calls did the outside workflow make with the credentials it was given, "
        "over all its sessions?",
        "int",
        100,
        answer=lambda f: f["session_calls"],
        known_wrong=nudges(
            nudge(
                "naive_role_calls",
                "That counts every call of the deploy role this week, the company's pipeline "
                "included. Count only the calls signed with the keys the outside workflow got.",
            ),
            nudge(
                "naive_runner_calls",
                "That includes the AssumeRoleWithWebIdentity calls themselves: they are signed "
                "with GitHub's token, not with the role's keys. Count the calls made with the "
                "keys.",
            ),
        ),
        hints=(
            Hint(
                "Collect every accessKeyId the outside workflow's AssumeRoleWithWebIdentity "
                "calls returned, then count cloudtrail rows whose access_key_id is one of them.",
                20,
            ),
        ),
        explanation="A role session is known by its temporary key: the keys a web-identity "
        "sign-in returned are the exact scope of what the outside workflow did.",
        step="discovery",
    ),
    Question(
        "ci-persistence.q06",
        "The attacker created an IAM role to come back later. What is its name?",
        "text",
        100,
        answer=lambda f: f["backdoor_role"],
        answer_format="a role name",
        known_wrong=nudge(
            "naive_role",
            "That role was created by the Terraform user from the CI runner's address, the day "
            "after: an ordinary change. Which CreateRole was signed with the outside keys?",
        ),
        hints=(Hint("CreateRole calls: request_parameters->>'roleName', and who made them.", 20),),
        explanation="A role that trusts an outside account is a door that stays open after the "
        "deploy role's trust is fixed (T1098.003).",
        step="persistence",
    ),
    Question(
        "ci-persistence.q07",
        "Which AWS account does that role trust (who may assume it)?",
        "text",
        100,
        answer=lambda f: f["attacker_account"],
        answer_format="12 digits, e.g. 123456789012",
        known_wrong=nudge(
            "naive_trusted_account",
            "That account belongs to the security vendor: Terraform's role lets its scanner in. "
            "Read the trust policy of the attacker's role.",
        ),
        hints=(
            Hint(
                "The trust policy is a JSON document inside a JSON field: "
                "request_parameters->>'assumeRolePolicyDocument', then "
                "json_extract_string(..., '$.Statement[0].Principal.AWS').",
                20,
            ),
        ),
        explanation="arn:aws:iam::<account>:root as principal lets every identity of that "
        "account that is allowed sts:AssumeRole in.",
        step="persistence",
    ),
    Question(
        "ci-persistence.q08",
        "Which AWS managed policy did the attacker attach to that role?",
        "text",
        50,
        answer=lambda f: f["backdoor_policy"],
        answer_format="a policy name (the last part of its ARN), e.g. AmazonS3ReadOnlyAccess",
        known_wrong=nudges(
            nudge(
                "naive_policy",
                "That policy went to Terraform's role for the security vendor. Look at the "
                "AttachRolePolicy call for the attacker's role.",
            ),
            nudge(
                lambda f: f"arn:aws:iam::aws:policy/{f['backdoor_policy']}",
                "That is the policy's ARN: give its name, the part after the last /.",
            ),
        ),
        hints=(Hint("AttachRolePolicy: request_parameters->>'roleName' and 'policyArn'.", 10),),
        explanation="Wide rights on a role an outside account can assume: the account is theirs "
        "whenever they like.",
        step="persistence",
    ),
    Question(
        "ci-persistence.q09",
        "Which Lambda function's code did the attacker replace?",
        "text",
        75,
        answer=lambda f: f["function"],
        answer_format="a function name",
        known_wrong=nudge(
            "naive_function",
            "That is the function the pipeline deploys most often. Which function did the "
            "outside keys update?",
            unless="function",
        ),
        hints=(
            Hint(
                "UpdateFunctionCode20150331v2 signed with the outside keys; "
                "response_elements->>'functionName' is the bare name.",
                15,
            ),
        ),
        explanation="The pipeline's own role may update function code, so the attacker's "
        "update looks like a deploy: only the session tells them apart (T1525).",
        step="implant",
    ),
    Question(
        "ci-persistence.q10",
        "What is the SHA-256 digest (codeSha256) of the code the attacker deployed?",
        "text",
        100,
        answer=lambda f: f["code_sha256"],
        answer_format="44 characters of base64, e.g. 6j1xX...Q=",
        known_wrong=nudge(
            "naive_code_sha256",
            "That is the package of the last deploy of the week, by the company's pipeline. "
            "Take the digest from the attacker's own UpdateFunctionCode call.",
            unless="code_sha256",
        ),
        hints=(Hint("response_elements->>'codeSha256' of that same call.", 15),),
        explanation="The digest identifies the malicious package: compare it with what the "
        "build produced, find where else it runs, and keep it as evidence.",
        step="implant",
    ),
    Question(
        "ci-persistence.q11",
        "Which EBS snapshot did the attacker share with another account?",
        "text",
        100,
        answer=lambda f: f["snapshot"],
        answer_format="a snapshot id, e.g. snap-0123456789abcdef0",
        known_wrong=nudge(
            "naive_snapshot",
            "That snapshot is the nightly backup's, shared by the backup-agent user with the "
            "company's backup account. Which ModifySnapshotAttribute came from the outside keys?",
        ),
        hints=(
            Hint(
                "ModifySnapshotAttribute: request_parameters->>'snapshotId', and who called it.",
                20,
            ),
        ),
        explanation="Sharing a snapshot copies nothing yet: it lets another account create "
        "volumes from it or copy it, outside your logs (T1537).",
        step="exfiltration",
    ),
    Question(
        "ci-persistence.q12",
        "With which AWS account did the attacker share it?",
        "text",
        100,
        answer=lambda f: f["drop_account"],
        answer_format="12 digits, e.g. 123456789012",
        known_wrong=nudge(
            "naive_share_account",
            "That is the company's backup account: the nightly backup shares a snapshot with "
            "it every night. Read the attacker's share.",
        ),
        hints=(
            Hint(
                "request_parameters->>'$.createVolumePermission.add.items[0].userId' of the "
                "attacker's ModifySnapshotAttribute.",
                20,
            ),
        ),
        explanation="The account a snapshot is shared with is in createVolumePermission: add. "
        "It need not be the account the backdoor role trusts.",
        step="exfiltration",
    ),
    Question(
        "ci-persistence.q13",
        "Did the data leave? When did that account start copying the snapshot? Answer to the "
        "minute (UTC).",
        "timestamp",
        100,
        answer=lambda f: f["copy_started"],
        tolerance=60,
        answer_format="a UTC time, e.g. 2026-03-05T14:02Z (within 60 seconds)",
        known_wrong=nudge(
            "naive_copy_started",
            "That copy is the backup account's, of a nightly backup. Find the service event "
            "about the attacker's snapshot.",
        ),
        hints=(
            Hint(
                "AWS logs a service event in your account when another account copies a snapshot "
                "you shared: event_name = 'SharedSnapshotCopyInitiated'.",
                20,
            ),
            Hint(
                "The snapshot id is only in the whole record: "
                "record->'serviceEventDetails'->>'snapshotId'.",
                20,
            ),
        ),
        explanation="SharedSnapshotCopyInitiated is the proof that the data left: the copy now "
        "lives in an account you cannot see into.",
        step="exfiltration",
    ),
    Question(
        "ci-persistence.q14",
        "The outside account came back through the new role. From which IP address?",
        "ip",
        100,
        answer=lambda f: f["backdoor_ip"],
        known_wrong=lambda f: {
            ip: "That is the office: administrators come in from the organisation's management "
            "account most days. Which AssumeRole asked for the attacker's role?"
            for ip in f.get("naive_outside_ips", [])
            if ip != f["backdoor_ip"]
        },
        hints=(
            Hint(
                "AssumeRole calls by another account have identity_type 'AWSAccount'; "
                "request_parameters->>'roleArn' names the role.",
                20,
            ),
        ),
        explanation="A cross-account AssumeRole is logged in the role's account with the caller's "
        "account id and address: the door in use.",
        step="backdoor-use",
    ),
    Question(
        "ci-persistence.q15",
        "How long did detection take: how many whole minutes passed between the outside "
        "workflow's first AssumeRoleWithWebIdentity and the creation of GuardDuty's alert?",
        "int",
        100,
        answer=lambda f: f["detection_minutes"],
        answer_format="a whole number of minutes, rounded down",
        known_wrong=nudge(
            "naive_detection_minutes",
            "That is how long GuardDuty took after the call it flagged. The intruder was in "
            "earlier: count from the outside workflow's first AssumeRoleWithWebIdentity.",
        ),
        hints=(
            Hint(
                "created_at of the AccessKey finding in guardduty_latest, minus the first "
                "event_time you found for question 4: epoch(b - a) / 60, rounded down.",
                20,
            ),
        ),
        explanation="GuardDuty noticed the role creation, not the sign-in: the runs before it "
        "went unseen. Alerting on unknown subjects would have closed that gap.",
        step="initial-access",
    ),
    Question(
        "ci-persistence.q16",
        "Debrief: which condition key in the deploy role's trust policy, set to the company's own "
        "repositories, would have kept the outside workflow out?",
        "choice",
        50,
        answer=lambda f: "token.actions.githubusercontent.com:sub",
        choices=(
            "token.actions.githubusercontent.com:aud",
            "token.actions.githubusercontent.com:sub",
            "aws:SourceIp",
            "aws:MultiFactorAuthPresent",
        ),
        explanation="Every GitHub workflow's token has the audience sts.amazonaws.com, so a "
        "condition on aud alone admits all of GitHub; sub names the repository and ref. Runners "
        "have no fixed address, and tokens carry no MFA.",
    ),
    Question(
        "ci-persistence.q17",
        "Debrief: which service reports, without any rule written by you, a role that an outside "
        "account can assume and a snapshot shared with one?",
        "choice",
        50,
        answer=lambda f: "IAM Access Analyzer",
        choices=("AWS CloudTrail", "IAM Access Analyzer", "Amazon Inspector", "AWS Shield"),
        explanation="Access Analyzer's external-access findings cover role trust policies and "
        "EBS snapshots among others. CloudTrail records the calls, Inspector finds vulnerable "
        "software, Shield absorbs denial of service.",
    ),
)

CiPersistence.questions = QUESTIONS

__all__ = ["QUESTIONS", "STEPS", "CiPersistence"]
