"""Storyline 5, ci-persistence: an outside GitHub workflow in the deploy role's busy week.

What must hold on every seed for the GameDay to work: the whole story is in CloudTrail
(plus one GuardDuty alert), the outside workflow differs from the company's own only by
its token's subject and its runner, the alert's key leads to exactly one sign-in, and the
decoys (Terraform's role, the nightly backup's shares, the administrators' sign-ins from
the management account) are what a careless query returns.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import SEEDS, key_of

from helpers.background import MS_DAY
from helpers.storylines.ci_persistence import CiPersistence
from helpers.world import build_world

SCENARIO = "ci-persistence"


def facts_of(ds: Path) -> dict:
    return json.loads(key_of(ds).read_text())["facts"]


def query(ds: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(ds / "gameday.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# -- the storyline as data (fast) ---------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_the_incident_is_a_working_day_in_the_middle_of_the_week(seed):
    world = build_world(seed)
    incident = CiPersistence().plan(world, np.random.default_rng([seed, 3]))

    day = (incident.start - int(world.start.timestamp() * 1000)) // MS_DAY
    local_hour = (incident.start % MS_DAY / 3_600_000 + world.utc_offset_hours) % 24

    assert day in (1, 2, 3)  # Tuesday to Thursday: never the first or the last day
    assert 10 <= local_hour < 15  # while the company's pipeline deploys


def test_the_whole_story_is_in_cloudtrail_and_one_guardduty_alert():
    world = build_world(SEEDS[0])
    rng = np.random.default_rng([SEEDS[0], 3])
    storyline = CiPersistence()
    injection = storyline.inject(world, rng, storyline.plan(world, rng))

    assert 0 == injection.flows_table().num_rows
    assert {0} == {t.num_rows for t in injection.side_tables().values()}
    assert ["Persistence:IAMUser/AnomalousBehavior"] == [f["type"] for _, f in injection.findings]
    assert 20 < injection.cloudtrail_table().num_rows < 400


def test_the_same_seed_injects_the_same_events():
    def injected(seed: int):
        world = build_world(seed)
        rng = np.random.default_rng([seed, 3])
        storyline = CiPersistence()
        injection = storyline.inject(world, rng, storyline.plan(world, rng))
        return injection.cloudtrail_table(), injection.facts

    (table, facts), (again, facts_again) = injected(SEEDS[1]), injected(SEEDS[1])

    assert facts == facts_again
    assert table.equals(again)


def test_the_outside_keys_are_never_the_pipelines():
    world = build_world(SEEDS[2])
    rng = np.random.default_rng([SEEDS[2], 3])
    storyline = CiPersistence()
    injection = storyline.inject(world, rng, storyline.plan(world, rng))
    table = injection.cloudtrail_table()
    keys = injection.facts["session_keys"]

    signed = table.filter(pc.is_in(table.column("access_key_id"), value_set=pa.array(keys)))

    assert {world.role("ci")[0].name} == set(signed.column("issuer_user_name").to_pylist())
    assert injection.facts["session_calls"] == signed.num_rows


# -- on generated data sets (slow) --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_every_ground_truth_event_is_in_the_catalog(seed, small_gameday):
    ds = small_gameday(SCENARIO, seed)
    truth = json.loads(key_of(ds).read_text())["ground_truth"]
    expected = sorted(r["event_id"] for r in truth if r["source"] == "cloudtrail")

    found = query(
        ds,
        "SELECT event_id FROM cloudtrail WHERE event_id IN (SELECT unnest(?::VARCHAR[]))",
        [expected],
    )

    assert expected == sorted(r[0] for r in found)
    assert {"cloudtrail", "guardduty"} == {r["source"] for r in truth}


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_only_the_subject_and_the_runner_tell_the_outside_workflow_apart(seed, small_gameday):
    ds = small_gameday(SCENARIO, seed)
    facts = facts_of(ds)
    world = build_world(seed)
    signins = query(
        ds,
        "SELECT user_name, source_ip, response_elements->>'audience', "
        "response_elements->>'provider', request_parameters->>'roleArn' "
        "FROM cloudtrail WHERE event_name = 'AssumeRoleWithWebIdentity'",
    )
    outside = [s for s in signins if s[0] == facts["subject"]]
    own = [s for s in signins if s[0] != facts["subject"]]

    assert facts["runs"] == len(outside)
    assert len(own) > 2 * len(outside)  # the pipeline is busier than the intruder
    # same audience, provider and role: the trust policy could not tell them apart
    assert {s[2:] for s in outside} == {s[2:] for s in own}
    # a look-alike owner: it starts with the company's organisation, and is not it
    owner = facts["repo"].split("/")[0]
    assert owner.startswith(world.github_org) and owner != world.github_org
    assert {f"repo:{world.github_org}/"} == {s[0][: len(world.github_org) + 6] for s in own}
    # one runner, never an address of the company's own runs
    assert {facts["runner_ip"]} == {s[1] for s in outside}
    assert facts["runner_ip"] not in {s[1] for s in own}


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_alerts_key_was_issued_to_the_outside_workflow_and_scopes_its_calls(
    seed, small_gameday
):
    ds = small_gameday(SCENARIO, seed)
    facts = facts_of(ds)

    (alert_key,) = query(
        ds, "SELECT access_key_id FROM guardduty_latest WHERE resource_type = 'AccessKey'"
    )[0]
    issued_to = query(
        ds,
        "SELECT user_name FROM cloudtrail WHERE event_name = 'AssumeRoleWithWebIdentity' "
        "AND response_elements->'credentials'->>'accessKeyId' = ?",
        [alert_key],
    )
    keys = [
        r[0]
        for r in query(
            ds,
            "SELECT response_elements->'credentials'->>'accessKeyId' FROM cloudtrail "
            "WHERE event_name = 'AssumeRoleWithWebIdentity' AND user_name = ?",
            [facts["subject"]],
        )
    ]
    signed = query(
        ds,
        "SELECT count(*) FROM cloudtrail WHERE access_key_id IN (SELECT unnest(?::VARCHAR[]))",
        [keys],
    )

    assert [(facts["subject"],)] == issued_to
    assert sorted(facts["session_keys"]) == sorted(keys)
    assert facts["session_calls"] == signed[0][0]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_decoys_are_what_careless_queries_return(seed, small_gameday):
    ds = small_gameday(SCENARIO, seed)
    facts = facts_of(ds)
    world = build_world(seed)

    last_role = query(
        ds,
        "SELECT request_parameters->>'roleName', user_name FROM cloudtrail "
        "WHERE event_name = 'CreateRole' ORDER BY event_time DESC LIMIT 1",
    )[0]
    last_share = query(
        ds,
        "SELECT user_name FROM cloudtrail WHERE event_name = 'ModifySnapshotAttribute' "
        "ORDER BY event_time DESC LIMIT 1",
    )[0]
    outside_assumers = query(
        ds,
        "SELECT source_ip, account_id, count(*) FROM cloudtrail "
        "WHERE event_name = 'AssumeRole' AND identity_type = 'AWSAccount' GROUP BY ALL "
        "ORDER BY 3 DESC",
    )

    assert ("terraform-ci",) == last_role[1:]
    assert facts["naive_role"] == last_role[0] != facts["backdoor_role"]
    assert ("backup-agent",) == last_share
    assert facts["naive_share_account"] != facts["drop_account"]
    assert facts["naive_snapshot"] != facts["snapshot"]
    assert outside_assumers[0][0] in world.office_ips
    # the attacker's account assumed its role once (another outside caller may too)
    assert (facts["backdoor_ip"], facts["attacker_account"], 1) in outside_assumers
    assert facts["naive_trusted_account"] == world.audit_account
    assert facts["naive_detection_minutes"] < facts["detection_minutes"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_each_sign_in_from_another_account_opens_a_session_of_the_role_it_asked_for(
    seed, small_gameday
):
    ds = small_gameday(SCENARIO, seed)

    signins, used, consistent = query(
        ds,
        "WITH issued AS (SELECT response_elements->'credentials'->>'accessKeyId' AS key, "
        "event_time AS signed_in, request_parameters->>'roleArn' AS role_arn FROM cloudtrail "
        "WHERE event_name = 'AssumeRole' AND identity_type = 'AWSAccount'), "
        "used AS (SELECT access_key_id AS key, min(event_time) AS first_use, "
        "any_value(session_issuer_arn) AS arn, count(DISTINCT session_issuer_arn) AS roles "
        "FROM cloudtrail WHERE access_key_id IN (SELECT key FROM issued) GROUP BY 1) "
        "SELECT count(*), count(used.key), "
        "count(*) FILTER (WHERE first_use > signed_in AND arn = role_arn AND roles = 1) "
        "FROM issued LEFT JOIN used USING (key)",
    )[0]

    assert signins > 2
    assert signins == used == consistent


@pytest.mark.slow
def test_two_seeds_give_two_different_answer_keys(small_gameday):
    first, second = (
        json.loads(key_of(small_gameday(SCENARIO, s)).read_text())["answers"] for s in SEEDS[:2]
    )

    differ = {q for q in first if q.startswith(f"{SCENARIO}.") and first[q] != second[q]}

    # everything but the debrief's choices (and small counts that may coincide)
    assert {f"{SCENARIO}.q{n:02d}" for n in (1, 2, 4, 6, 7, 10, 11, 12, 13, 14)} <= differ
