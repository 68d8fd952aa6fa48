"""The ordinary week's DNS queries: AWS endpoints, mirrors and NTP from every instance,
A with AAAA, a few NXDOMAIN from the search list, answers that agree with the flows."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import SEEDS

from helpers.background import MS_DAY, MS_HOUR, Chunk
from helpers.dnstraffic import DnsTraffic
from helpers.traffic import MIRRORS, NTP_SERVERS
from helpers.world import build_world

WORLD = build_world(2026)


def week(rate: float = 1.0, world=WORLD, hours: int = 6) -> pa.Table:
    traffic = DnsTraffic(world, rate)
    start = int(world.start.timestamp() * 1000)
    step = hours * MS_HOUR
    chunks = [Chunk(i, s, s + step) for i, s in enumerate(range(start, start + 7 * MS_DAY, step))]
    return pa.concat_tables([traffic.frame(c) for c in chunks])


@pytest.fixture(scope="module")
def queries() -> pa.Table:
    return week()


def named(queries: pa.Table, name: str) -> pa.Table:
    return queries.filter(pc.equal(queries["query_name"], name))


def test_a_workshop_week_holds_100k_to_300k_queries_and_scales_with_the_rate(queries):
    half = week(0.5)

    assert 100_000 <= queries.num_rows <= 300_000
    assert 0.45 <= half.num_rows / queries.num_rows <= 0.55


def test_every_instance_asks_for_its_regions_endpoints_mirrors_and_ntp(queries):
    region = WORLD.home_region
    everyone = {i.instance_id for i in WORLD.instances}
    for name in (
        f"ssm.{region}.amazonaws.com.",
        f"ec2messages.{region}.amazonaws.com.",
        f"logs.{region}.amazonaws.com.",
        f"sts.{region}.amazonaws.com.",
        "deb.debian.org.",
        "security.ubuntu.com.",
        "ntp.ubuntu.com.",
    ):
        assert set(named(queries, name)["instance_id"].to_pylist()) == everyone, name
    sources = dict(
        zip(queries["instance_id"].to_pylist(), queries["srcaddr"].to_pylist(), strict=True)
    )
    assert sources == {i.instance_id: i.private_ip for i in WORLD.instances}


def test_a_lookup_asks_for_a_and_aaaa_and_names_without_ipv6_answer_nothing(queries):
    sts = named(queries, f"sts.{WORLD.home_region}.amazonaws.com.")
    types = pc.value_counts(sts["query_type"]).to_pylist()
    aaaa = sts.filter(pc.equal(sts["query_type"], "AAAA"))

    assert {t["values"]: t["counts"] for t in types}.keys() == {"A", "AAAA"}
    assert types[0]["counts"] == types[1]["counts"]
    assert set(pc.list_value_length(aaaa["answers"]).to_pylist()) == {0}
    assert set(aaaa["rcode"].to_pylist()) == {"NOERROR"}


def test_answers_are_the_addresses_the_flows_go_to(queries):
    def addresses(name: str, qtype: str = "A") -> set[str]:
        rows = named(queries, name).filter(pc.equal(named(queries, name)["query_type"], qtype))
        return {a for answers in rows["answers"].to_pylist() for a in answers}

    db = next(i for i in WORLD.instances if "-db-" in i.name)
    assert addresses("deb.debian.org.") == {"debian.map.fastly.net.", *MIRRORS[:2]}
    assert addresses("security.ubuntu.com.") <= set(MIRRORS)
    assert addresses("ntp.ubuntu.com.") | addresses("2.debian.pool.ntp.org.") == set(NTP_SERVERS)
    assert addresses(f"db.{WORLD.slug}.internal.") == {db.private_ip}


def test_a_few_percent_are_nxdomain_from_the_search_list(queries):
    nx = queries.filter(pc.equal(queries["rcode"], "NXDOMAIN"))
    share = nx.num_rows / queries.num_rows
    search = nx.filter(pc.ends_with(nx["query_name"], ".compute.internal."))
    workers = {i.instance_id for i in WORLD.instances if "-worker-" in i.name}

    assert 0.02 <= share <= 0.08
    assert set(search["instance_id"].to_pylist()) == workers
    # each miss comes just before the lookup of the name that exists
    ms = pc.cast(search["time"], pa.int64()).to_numpy()
    found = named(queries, f"db.{WORLD.slug}.internal.")
    after = np.sort(pc.cast(found["time"], pa.int64()).to_numpy())
    gap = after[np.searchsorted(after, ms, side="right").clip(max=len(after) - 1)] - ms
    assert np.median(gap) < 10


def test_the_same_seed_gives_the_same_queries():
    assert week(0.05, hours=24).equals(week(0.05, hours=24))
    assert not week(0.05, hours=24).equals(week(0.05, build_world(7), hours=24))


@pytest.mark.slow
def test_a_generated_data_set_has_its_instances_queries_in_dns(small_dataset):
    world = build_world(SEEDS[0])
    con = duckdb.connect(str(small_dataset / "gameday.duckdb"), read_only=True)
    rows = dict(
        con.execute(
            "SELECT domain, count(*) FROM dns WHERE domain IN ('pypi.org', 'deb.debian.org') "
            "GROUP BY 1"
        ).fetchall()
    )
    instances = {r[0] for r in con.execute("SELECT DISTINCT instance_id FROM dns").fetchall()}

    assert set(rows) == {"pypi.org", "deb.debian.org"}
    assert {i.instance_id for i in world.instances} <= instances
