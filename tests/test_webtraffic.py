"""The ordinary week's web traffic: a shop's day, its bots and probes, the vendor's scan."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helpers import web
from helpers.background import MS_DAY, MS_HOUR, Chunk, Incident
from helpers.webtraffic import VENDOR_AGENT, WebTraffic
from helpers.world import build_world

WORLD = build_world(2026)
START = int(WORLD.start.timestamp() * 1000)
INCIDENT = Incident(START + 3 * MS_DAY, START + 3 * MS_DAY + 2 * MS_HOUR)


def week(rate: float, hours: int) -> pa.Table:
    traffic = WebTraffic(WORLD, rate, INCIDENT)
    step = hours * MS_HOUR
    starts = range(START, START + WORLD.days * MS_DAY, step)
    return pa.concat_tables(
        traffic.frame(Chunk(i, s, s + step)) for i, s in enumerate(starts)
    ).combine_chunks()


@pytest.fixture(scope="module")
def small() -> pa.Table:
    """A week at the small scale's rate, in its 24-hour chunks."""
    return week(0.05, 24)


@pytest.fixture(scope="module")
def workshop() -> pa.Table:
    """A week at the workshop scale's rate, in its 6-hour chunks."""
    return week(1.0, 6)


def where(table: pa.Table, mask) -> pa.Table:
    return table.filter(pc.fill_null(mask, False))


def agents(table: pa.Table, text: str) -> pa.Table:
    return where(table, pc.match_substring(table["user_agent"], text))


def test_volume_scales_with_the_rate(small, workshop):
    assert 100_000 <= workshop.num_rows <= 200_000
    assert 0.03 <= small.num_rows / workshop.num_rows <= 0.08


def test_every_request_is_in_the_week_with_an_id_of_its_own(workshop):
    ms = pc.cast(workshop["time"], pa.int64()).to_numpy()
    assert START <= ms.min() and ms.max() < START + WORLD.days * MS_DAY
    ids = workshop["request_id"].to_pylist()
    assert len(ids) == len(set(ids))
    seconds = [int(i.split("-")[1], 16) for i in ids[:1000]]
    assert (ms[:1000] // 1000).tolist() == seconds
    assert all(re.fullmatch(r"1-[0-9a-f]{8}-[0-9a-f]{24}", i) for i in ids[:1000])


def test_ordinary_404s_are_a_small_share(workshop):
    status = workshop["status"].to_numpy(zero_copy_only=False)
    share = float((status == 404).mean())
    assert 0.02 <= share <= 0.10
    not_found = where(workshop, pc.equal(workshop["status"], 404))
    uris = set(not_found["uri"].to_pylist())
    assert {"/apple-touch-icon.png", "/wp-login.php"} <= uris
    stale = where(not_found, pc.starts_with(not_found["uri"], "/products/"))
    assert stale.num_rows > 0  # links search engines still have


def test_search_engines_and_uptime_monitors_come_with_their_own_agents(workshop):
    for name in ("Googlebot/2.1", "bingbot/2.0", "AhrefsBot", "UptimeRobot/2.0", "Pingdom.com_bot"):
        assert agents(workshop, name).num_rows > 100, name
    robots = where(workshop, pc.equal(workshop["uri"], "/robots.txt"))
    assert agents(robots, "Googlebot").num_rows > 0
    monitor = agents(workshop, "UptimeRobot")
    gaps = np.diff(np.sort(pc.cast(monitor["time"], pa.int64()).to_numpy()))
    assert 290_000 <= np.median(gaps) <= 310_000  # every 5 minutes


def test_probes_are_blocked_by_managed_rules_with_their_labels(workshop):
    blocked = where(workshop, pc.equal(workshop["waf_action"], "BLOCK"))
    assert blocked.num_rows > 500
    assert set(blocked["waf_rule"].to_pylist()) <= set(web.MANAGED_RULES)
    assert {"ExploitablePaths_URIPATH", "SQLi_QUERYARGUMENTS", "NoUserAgent_HEADER"} <= set(
        blocked["waf_rule"].to_pylist()
    )
    env = where(workshop, pc.equal(workshop["uri"], "/.env"))
    vendor = pc.equal(env["client_ip"], WORLD.audit_ip)  # allow-listed: its scan goes through
    assert {"BLOCK"} == set(where(env, pc.invert(vendor))["waf_action"].to_pylist())
    assert set(where(env, vendor)["waf_action"].to_pylist()) <= {"ALLOW"}
    counted = where(workshop, pc.is_valid(workshop["waf_count_rules"]))
    assert set(counted["waf_count_rules"].to_pylist()) <= web.COUNT_MODE
    assert {"ALLOW"} == set(counted["waf_action"].to_pylist())


def test_the_vendors_scan_is_a_burst_of_404s_from_its_fixed_address(small, workshop):
    for table in (small, workshop):
        scan = where(table, pc.equal(table["client_ip"], WORLD.audit_ip))
        assert scan.num_rows >= 200
        assert {web.VENDOR_RULE} == set(scan["waf_rule"].to_pylist())
        assert all(ua.startswith(VENDOR_AGENT) for ua in scan["user_agent"].to_pylist())
        status = scan["status"].to_numpy(zero_copy_only=False)
        assert (status == 404).mean() > 0.8
        ms = np.sort(pc.cast(scan["time"], pa.int64()).to_numpy())
        bursts = np.split(ms, np.flatnonzero(np.diff(ms) > MS_HOUR) + 1)
        assert 1 <= len(bursts) <= 2
        for burst in bursts:
            assert burst[-1] - burst[0] <= 45 * 60_000
            local = (burst[0] // MS_HOUR + WORLD.utc_offset_hours) % 24
            assert 9 <= local <= 16  # the vendor's office hours
    # it looks like an attack at first sight: the busiest source of 404s
    not_found = where(workshop, pc.equal(workshop["status"], 404))
    top = (
        not_found.group_by("client_ip")
        .aggregate([("uri", "count")])
        .sort_by([("uri_count", "descending")])
    )
    assert WORLD.audit_ip == top["client_ip"][0].as_py()


def test_the_same_scans_whatever_the_chunk_size(small):
    other = week(0.05, 6)
    for table in (small, other):
        assert {WORLD.audit_ip} <= set(table["client_ip"].to_pylist())
    scans = [
        sorted(where(t, pc.equal(t["client_ip"], WORLD.audit_ip))["request_id"].to_pylist())
        for t in (small, other)
    ]
    assert scans[0] == scans[1]


def test_people_browse_in_the_companys_day(workshop):
    people = where(workshop, pc.starts_with(workshop["user_agent"], "Mozilla/5.0 ("))
    people = where(people, pc.invert(pc.match_substring_regex(people["user_agent"], "bot|Nikto")))
    ms = pc.cast(people["time"], pa.int64()).to_numpy()
    hour = (ms // MS_HOUR + WORLD.utc_offset_hours) % 24
    evening = np.isin(hour, [19, 20, 21]).sum()
    night = np.isin(hour, [3, 4, 5]).sum()
    assert evening > 4 * night
    # a visit loads its page's assets and calls the API, from one address and browser
    assert where(people, pc.starts_with(people["uri"], "/static/")).num_rows > 5_000
    assert where(people, pc.equal(people["uri"], "/api/v1/auth/login")).num_rows > 100
    assert where(people, pc.equal(people["uri"], web.site(WORLD).fetch_path)).num_rows > 1_000


def test_the_same_world_gives_the_same_traffic():
    chunk = Chunk(3, START + 3 * 6 * MS_HOUR, START + 4 * 6 * MS_HOUR)
    first = WebTraffic(WORLD, 1.0, INCIDENT).frame(chunk)
    second = WebTraffic(WORLD, 1.0, INCIDENT).frame(chunk)
    other = WebTraffic(build_world(11), 1.0, INCIDENT).frame(chunk)
    assert first.equals(second)
    assert not first.equals(other)
