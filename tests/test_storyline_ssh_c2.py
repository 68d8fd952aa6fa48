"""Storyline 4 (ssh-c2): what its questions rely on, on the injection and on real data sets.

The injection-level tests run on many seeds in a second (no data set needed); the slow ones
generate small data sets and read the catalog as a learner's queries would.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pyarrow.compute as pc
import pytest
from conftest import SEEDS, key_of

from helpers.storylines.ssh_c2 import PAYLOAD_BYTES, SshC2
from helpers.world import build_world

MANY_SEEDS = (*range(1, 9), *SEEDS)


def injected(seed: int):
    """The storyline's injection for ``seed``, drawn exactly as ``gameday generate`` does."""
    world = build_world(seed)
    rng = np.random.default_rng([seed, 3])
    storyline = SshC2()
    incident = storyline.plan(world, rng)
    return world, incident, storyline.inject(world, rng, incident)


def median_gap_s(times_ms: np.ndarray) -> float:
    return float(np.median(np.diff(np.sort(times_ms)))) / 1000


@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_the_beacon_interval_is_the_median_gap_in_dns_and_in_flows(seed):
    _, _, inj = injected(seed)
    facts = inj.facts
    dns = inj.side_tables()["dns"]
    c2 = dns.filter(pc.equal(dns["query_name"], facts["c2_domain"] + "."))
    a = c2.filter(pc.equal(c2["query_type"], "A"))
    flows = inj.flows_table()
    out = flows.filter(pc.equal(flows["dstaddr"], facts["c2_ip"]))

    exact = median_gap_s(a["time"].cast("int64").to_numpy())
    logged = median_gap_s(a["time"].cast("int64").to_numpy() // 1000 * 1000)  # whole seconds
    flow_gap = median_gap_s(out["start"].to_numpy() * 1000)

    assert 47 <= facts["beacon_interval"] <= 173
    assert abs(facts["beacon_interval"] - exact) < 0.01
    assert abs(facts["beacon_interval"] - logged) <= 1
    assert abs(facts["beacon_interval"] - flow_gap) <= 1
    assert facts["beacons"] == a.num_rows == out.num_rows == c2.num_rows // 2


@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_the_decoys_bite_on_every_seed(seed):
    world, incident, inj = injected(seed)
    facts = inj.facts
    flows = inj.flows_table()
    ssh = flows.filter(pc.equal(flows["dstport"], 22))
    biggest = ssh.take(pc.sort_indices(ssh, [("bytes", "descending")])[:1])

    # the developer's own session is the biggest SSH record, bigger than the intruder's
    assert [facts["opener_ip"]] == biggest["srcaddr"].to_pylist()
    # GuardDuty names the loud brute-forcers, never the one that got in
    assert facts["attacker_ip"] not in facts["alert_ips"]
    assert facts["attacker_ip"] in facts["brute_force_ips"]
    # other rules change this week: one before, one after the exposure
    ct = inj.cloudtrail_table()
    rules = ct.filter(pc.equal(ct["event_name"], "AuthorizeSecurityGroupIngress"))
    users = rules.sort_by("event_time")["user_name"].to_pylist()
    assert [facts["admin_opener"], facts["opener"], facts["staging_opener"]] == users
    # the anti-virus agent asks more long names than the exfiltration
    dns = inj.side_tables()["dns"]
    av = pc.sum(pc.ends_with(dns["query_name"], facts["av_domain"] + ".")).as_py()
    assert av > facts["exfil_queries"]
    # the story stays inside the week, away from its first and last day
    day = 24 * 3_600_000
    week = int(world.start.timestamp() * 1000)
    assert week + day <= incident.start
    assert incident.end <= week + (world.days - 1) * day


@pytest.mark.parametrize("seed", SEEDS)
def test_the_exfiltrated_bytes_are_half_the_payload_labels(seed):
    _, _, inj = injected(seed)
    facts = inj.facts
    dns = inj.side_tables()["dns"]
    exfil = dns.filter(pc.ends_with(dns["query_name"], "." + facts["exfil_domain"] + "."))
    labels = pc.utf8_length(pc.list_element(pc.split_pattern(exfil["query_name"], "."), 0))

    assert facts["exfil_queries"] == exfil.num_rows
    assert facts["exfil_bytes"] == pc.sum(labels).as_py() // 2
    assert 2 * PAYLOAD_BYTES == pc.max(labels).as_py() <= 63  # a DNS label's limit


def test_the_debrief_timeline_stays_short():
    _, _, inj = injected(SEEDS[0])

    rows = inj.timeline(SshC2.steps)

    assert len(rows) < 30  # hundreds of connections and queries, grouped by peer and domain
    assert {s.id for s in SshC2.steps} == {r["step"] for r in rows}


def test_two_seeds_give_two_different_stories():
    a, b = (injected(seed)[2].facts for seed in SEEDS[:2])
    for fact in ("instance_id", "opener", "attacker_ip", "c2_domain", "c2_ip", "exfil_domain"):
        assert a[fact] != b[fact], fact
    assert a["stolen_secrets"] != b["stolen_secrets"]


# -- on generated data sets (slow) ------------------------------------------------------------


def catalog(small_gameday, seed: int):
    ds = small_gameday("ssh-c2", seed)
    key = json.loads(key_of(ds).read_text())
    return duckdb.connect(str(ds / "gameday.duckdb"), read_only=True), key


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_every_ground_truth_event_is_in_the_catalog(small_gameday, seed):
    con, key = catalog(small_gameday, seed)
    truth = key["ground_truth"]
    by_source: dict[str, list[dict]] = {}
    for row in truth:
        by_source.setdefault(row["source"], []).append(row)

    ids = {r["event_id"] for r in by_source["cloudtrail"]}
    found = con.execute(
        "SELECT count(*) FROM cloudtrail WHERE event_id IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(ids)],
    ).fetchone()[0]
    assert len(ids) == found
    flows = con.execute(
        "SELECT count(*) FROM vpc_flow WHERE interface_id = ?", [key["facts"]["instance_eni"]]
    ).fetchone()[0]
    assert len(by_source["vpc_flow"]) <= flows
    dns = con.execute(
        "SELECT count(*) FROM dns WHERE srcaddr = ? AND (query_name = ? OR query_name LIKE ?)",
        [
            key["facts"]["instance_private_ip"],
            key["facts"]["c2_domain"] + ".",
            "%." + key["facts"]["exfil_domain"] + ".",
        ],
    ).fetchone()[0]
    assert len(by_source["dns"]) == dns
    findings = con.execute(
        "SELECT count(*) FROM guardduty_latest WHERE instance_id = ? AND type NOT LIKE 'Recon:%'",
        [key["facts"]["instance_id"]],
    ).fetchone()[0]
    assert len(by_source["guardduty"]) == findings


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_beacon_interval_comes_back_from_the_resolver_logs(small_gameday, seed):
    con, key = catalog(small_gameday, seed)
    facts = key["facts"]

    gap = con.execute(
        "SELECT median(gap) FROM (SELECT epoch(time - lag(time) OVER (ORDER BY time)) AS gap "
        "FROM dns WHERE query_name = ? AND srcaddr = ? AND query_type = 'A')",
        [facts["c2_domain"] + ".", facts["instance_private_ip"]],
    ).fetchone()[0]

    assert abs(facts["beacon_interval"] - gap) <= 1  # the resolver logs whole seconds


@pytest.mark.slow
def test_the_intruder_uses_the_same_role_key_as_the_application(small_gameday):
    con, key = catalog(small_gameday, SEEDS[0])
    facts = key["facts"]

    rows = con.execute(
        "SELECT user_agent LIKE 'aws-cli%' AS intruder, access_key_id FROM cloudtrail "
        "WHERE arn LIKE '%/' || ? AND event_time BETWEEN ?::TIMESTAMP - INTERVAL 6 HOUR "
        "AND ?::TIMESTAMP + INTERVAL 6 HOUR",
        [facts["instance_id"], facts["secrets_read_at"][:-1], facts["secrets_read_at"][:-1]],
    ).fetchall()
    intruder_keys = {k for intruder, k in rows if intruder}
    application_keys = {k for intruder, k in rows if not intruder}

    assert len(intruder_keys) == 1
    assert intruder_keys <= application_keys
