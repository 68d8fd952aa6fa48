"""Storyline 2 (ssrf-imds): what its questions rely on, on the injection and on real data sets.

The injection-level tests run on many seeds in seconds (no data set needed); the slow ones
generate small data sets and read the catalog as a learner's queries would.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import numpy as np
import pyarrow.compute as pc
import pytest
from conftest import SEEDS, key_of

from helpers.background import Background, Chunk
from helpers.storylines.ssrf_imds import IMDS, SESSION_PERIOD, SSRF_RULE, SsrfImds
from helpers.world import build_world

MANY_SEEDS = (*range(1, 9), *SEEDS)
MS_MINUTE = 60_000


def injected(seed: int):
    """The storyline's injection for ``seed``, drawn exactly as ``gameday generate`` does."""
    world = build_world(seed)
    rng = np.random.default_rng([seed, 3])
    storyline = SsrfImds()
    incident = storyline.plan(world, rng)
    return world, incident, storyline.inject(world, rng, incident)


def ms(iso: str) -> int:
    return int(np.datetime64(iso.rstrip("Z"), "ms").astype(np.int64))


@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_the_stolen_key_is_the_key_the_web_server_itself_signs_with_at_the_ssrf(seed):
    world, incident, inj = injected(seed)
    facts = inj.facts
    fetched = ms(facts["creds_fetched"])
    window = fetched // SESSION_PERIOD * SESSION_PERIOD
    # the instance's own calls of that six hours, as the background builds them
    own = Background(world, 1.0, incident).instance_roles(Chunk(0, window, window + SESSION_PERIOD))
    session = own.filter(pc.ends_with(own["arn"], "/" + facts["victim_instance"]))

    assert session.num_rows > 0
    assert [facts["stolen_key"]] == pc.unique(session["access_key_id"]).to_pylist()
    # and the thief uses it before it rotates
    assert window <= fetched < ms(facts["first_use"]) < ms(facts["last_call"])
    assert ms(facts["last_call"]) < window + SESSION_PERIOD


@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_the_web_probing_and_the_api_calls_come_from_two_addresses(seed):
    _, _, inj = injected(seed)
    facts = inj.facts
    web = inj.side_tables()["web"]
    ct = inj.cloudtrail_table()

    assert facts["scan_ip"] != facts["alert_ip"]
    assert [facts["alert_ip"]] == pc.unique(ct["source_ip"]).to_pylist()
    assert facts["alert_ip"] not in web["client_ip"].to_pylist()
    # the request that read the credentials names the role and went to the victim's server
    creds = web.filter(pc.ends_with(web["args"], f"security-credentials/{facts['role']}"))
    assert [facts["scan_ip"]] == creds["client_ip"].to_pylist()
    assert [facts["victim_private_ip"]] == creds["target_ip"].to_pylist()
    # the time between the halves, as the question asks it
    gap = (ms(facts["first_use"]) - ms(facts["creds_fetched"])) / MS_MINUTE
    assert pytest.approx(gap, abs=0.01) == facts["minutes_to_use"]
    assert 5 <= facts["minutes_to_use"] <= 41


@pytest.mark.parametrize("seed", MANY_SEEDS)
def test_the_decoys_bite_on_every_seed(seed):
    world, incident, inj = injected(seed)
    facts = inj.facts
    decoys = inj.decoys["web"][0]
    imds = decoys.filter(pc.match_substring(decoys["args"], "169.254.169.254"))
    paths = (
        imds.group_by("uri").aggregate([("uri", "count")]).sort_by([("uri_count", "descending")])
    )

    # the sprayer sends more metadata URLs than the attacker, to a page the site lacks
    assert imds.num_rows > facts["ssrf_requests"]
    assert facts["preview_page"] != paths["uri"][0].as_py()
    assert {404} == set(imds["status"].to_pylist())
    assert facts["role"] not in " ".join(imds["args"].to_pylist())
    # the scan is smaller than the contracted vendor's (at least 225 requests at small scale)
    assert facts["scan_404s"] < 200
    # the attack stays inside the week, away from its first and last day
    day = 24 * 3_600_000
    week = int(world.start.timestamp() * 1000)
    assert week + day <= incident.start < ms(facts["last_call"]) < week + (world.days - 1) * day


def test_same_seed_same_incident_other_seed_other_answers():
    assert injected(11)[2].facts == injected(11)[2].facts
    a, b = injected(11)[2].facts, injected(2026)[2].facts
    differ = {k for k in a if a[k] != b[k]}
    assert {"scan_ip", "alert_ip", "stolen_key", "victim_instance", "first_use"} <= differ


# -- on generated data sets (slow) -------------------------------------------------------


@pytest.fixture(scope="module")
def datasets(small_gameday):
    """The storyline's small data sets, with their facts, on the notebooks' seeds."""
    out = {}
    for seed in SEEDS:
        ds = small_gameday("ssrf-imds", seed)
        out[seed] = (ds, json.loads(key_of(ds).read_text()))
    return out


def catalog(ds):
    return duckdb.connect(str(ds / "gameday.duckdb"), read_only=True)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_every_ground_truth_event_is_in_the_catalog(datasets, seed):
    ds, key = datasets[seed]
    truth = key["ground_truth"]
    by_source = {
        source: {r["event_id"] for r in truth if r["source"] == source}
        for source in ("cloudtrail", "web", "s3_access", "guardduty")
    }
    con = catalog(ds)
    try:
        found = {
            "cloudtrail": "SELECT event_id FROM cloudtrail WHERE event_id IN (SELECT unnest(?))",
            "web": "SELECT request_id FROM waf WHERE request_id IN (SELECT unnest(?))",
            "s3_access": "SELECT request_id FROM s3_access WHERE request_id IN (SELECT unnest(?))",
            "guardduty": "SELECT DISTINCT id FROM guardduty WHERE id IN (SELECT unnest(?))",
        }
        for source, query in found.items():
            ids = sorted(by_source[source])
            assert ids, source
            assert ids == sorted(r[0] for r in con.execute(query, [ids]).fetchall()), source
        # every web request of the incident is in the ALB log too, under the same id
        alb = con.execute(
            "SELECT count(*) FROM alb WHERE trace_id IN (SELECT 'Root=' || unnest(?))",
            [sorted(by_source["web"])],
        ).fetchone()[0]
        assert len(by_source["web"]) == alb
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_catalog_links_the_halves_only_by_role_server_and_key(datasets, seed):
    ds, key = datasets[seed]
    f = key["facts"]
    con = catalog(ds)
    try:

        def rows(query, params):
            return con.execute(query, params).fetchall()

        # the web server's own calls with the key span the SSRF, from its own address
        own = rows(
            "SELECT min(event_time), max(event_time), count(DISTINCT source_ip) FROM cloudtrail "
            "WHERE access_key_id = ? AND source_ip <> ? AND arn LIKE '%/' || ?",
            [f["stolen_key"], f["alert_ip"], f["victim_instance"]],
        )
        first, last, addresses = own[0]
        assert 1 == addresses
        assert first < datetime.fromisoformat(f["creds_fetched"].rstrip("Z")) < last
        # the SSRF is nowhere in CloudTrail, the thief nowhere in the web logs
        assert [(0,)] == rows("SELECT count(*) FROM cloudtrail WHERE source_ip = ?", [f["scan_ip"]])
        assert [(0,)] == rows("SELECT count(*) FROM waf WHERE client_ip = ?", [f["alert_ip"]])
        # WAF matched every SSRF request in COUNT mode and let it through
        verdicts = rows(
            "SELECT action, terminating_rule_id, count_rules, count(*) FROM waf "
            f"WHERE client_ip = ? AND args LIKE '%{IMDS[7:]}%' GROUP BY ALL",
            [f["scan_ip"]],
        )
        assert [("ALLOW", "Default_Action", [SSRF_RULE], f["ssrf_requests"])] == verdicts
        # the backups bucket's reads are in the access logs only
        dumps = rows(
            "SELECT count(*) FROM s3_access WHERE bucket = ? AND remote_ip = ? "
            "AND operation = 'REST.GET.OBJECT'",
            [f["backups_bucket"], f["alert_ip"]],
        )
        assert [(f["dumps_stolen"],)] == dumps
        assert [(0,)] == rows(
            "SELECT count(*) FROM cloudtrail WHERE request_parameters->>'bucketName' = ? "
            "AND source_ip = ?",
            [f["backups_bucket"], f["alert_ip"]],
        )
    finally:
        con.close()


@pytest.mark.slow
def test_two_seeds_give_two_answer_keys(datasets):
    a, b = (datasets[s][1]["answers"] for s in SEEDS[:2])
    # who, where, when and how much always differ; a scanner, a page or a count may agree
    drawn = [f"ssrf-imds.q{n:02d}" for n in (1, 2, 3, 4, 5, 6, 11, 12, 13)]
    assert [] == [q for q in drawn if a[q] == b[q]]
