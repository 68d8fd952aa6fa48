"""Storyline 3, console-ransomware: a real hole in CloudTrail with the attack inside it,
visible only in the bucket's S3 access logs; a spray that looks like a spray, a colleague's
typos that do not; answers that follow the seed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.compute as pc
import pytest
from conftest import SEEDS, key_of

from helpers.background import MS_DAY, Background, Chunk
from helpers.generate import SCALES
from helpers.storylines import get_storyline
from helpers.world import build_world

SCENARIO = "console-ransomware"
STORY = get_storyline(SCENARIO)


def key(ds: Path) -> dict:
    return json.loads(key_of(ds).read_text())


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def rows(ds: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(ds / "gameday.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def injected(seed: int):
    """The world, the incident and the storyline's injection, as the generator draws them."""
    world = build_world(seed)
    rng = np.random.default_rng([seed, 3])
    incident = STORY.plan(world, rng)
    return world, incident, STORY.inject(world, rng, incident)


def times(table) -> np.ndarray:
    return pc.cast(table.column("event_time"), "int64").to_numpy()


# -- the story on many worlds, without generating (fast) ---------------------------------


@pytest.mark.parametrize("seed", [*range(1, 25), 132, 151, *SEEDS])
def test_the_attack_happens_inside_the_gap_and_nothing_of_it_reaches_cloudtrail(seed):
    _, incident, inj = injected(seed)
    ((silent_from, resume),) = inj.cloudtrail_gaps
    attack = np.concatenate([times(t) for _, t in inj.cloudtrail])
    decoys = np.concatenate([times(t) for t in inj.decoys["cloudtrail"]])
    s3 = np.concatenate(
        [pc.cast(t.column("time"), "int64").to_numpy() for _, t in inj.side["s3_access"]]
    )

    assert silent_from - 1 == attack.max()  # the last call logged is the one that stops it
    assert [] == [t for t in decoys if silent_from <= t < resume]  # the decoys are logged too
    assert resume == decoys[decoys >= resume].min()  # the administrator's restart, first after
    assert (silent_from < s3).all() and (s3 < resume).all()  # the bucket's requests: inside
    assert incident.start <= attack.min() and resume < incident.end


@pytest.mark.parametrize("seed", [*range(1, 25), 132, 151, *SEEDS])
def test_the_spray_tries_many_names_from_each_address_and_gets_in_without_mfa(seed):
    world, _, inj = injected(seed)
    facts = inj.facts
    spray = next(t for step, t in inj.cloudtrail if step == "password-spray")
    sign_in = next(t for step, t in inj.cloudtrail if step == "initial-access")
    names_by_ip: dict[str, set[str]] = {}
    for ip, name in zip(
        spray.column("source_ip").to_pylist(), spray.column("user_name").to_pylist(), strict=True
    ):
        names_by_ip.setdefault(ip, set()).add(name)
    victim = world.user(facts["victim_user"])

    assert sorted(facts["spray_ips"]) == sorted(names_by_ip)
    assert [] == [ip for ip, names in names_by_ip.items() if len(names) < 2]
    assert facts["decoy_ip"] not in names_by_ip
    assert facts["decoy_user"] not in set().union(*names_by_ip.values())
    assert [facts["console_ip"]] == sign_in.column("source_ip").to_pylist()
    assert ['{"ConsoleLogin":"Success"}'] == sign_in.column("response_elements").to_pylist()
    assert '"MFAUsed":"No"' in sign_in.column("additional_event_data")[0].as_py()
    assert not victim.mfa or not victim.person


# -- the generated data set (slow) --------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_cloudtrail_has_no_row_in_the_gap_not_even_background_and_s3_access_has_the_attack(
    seed, small_gameday
):
    ds = small_gameday(SCENARIO, seed)
    k = key(ds)
    stop, resume = ms(k["facts"]["stop_time"]), ms(k["facts"]["resume_time"])
    # CloudTrail's times are whole seconds: the second of the stop, the second of the restart
    window = [datetime.fromtimestamp(t // 1000, UTC).replace(tzinfo=None) for t in (stop, resume)]
    # what the background alone would have logged in that window, had the trail been on
    world, incident, _ = injected(seed)
    day = MS_DAY * (stop // MS_DAY)
    ordinary = times(
        Background(world, SCALES["small"].rate, incident).cloudtrail(
            Chunk((day - int(world.start.timestamp() * 1000)) // MS_DAY, day, day + MS_DAY)
        )
    )
    truth = [g for g in k["ground_truth"] if g["source"] == "s3_access"]

    assert len(ordinary[(ordinary > stop) & (ordinary < resume)]) > 0
    assert [(0,)] == rows(
        ds,
        "SELECT count(*) FROM cloudtrail WHERE event_time > ? AND event_time < ?",
        window,
    )
    assert [(len(truth),)] == rows(
        ds,
        "SELECT count(*) FROM s3_access WHERE requester = ? AND time BETWEEN ? AND ?",
        [k["facts"]["victim_arn"], *window],
    )


@pytest.mark.slow
def test_every_event_of_the_ground_truth_is_in_the_catalog(small_gameday):
    ds = small_gameday(SCENARIO, SEEDS[0])
    truth = key(ds)["ground_truth"]
    wanted = {
        source: sorted({g["event_id"] for g in truth if g["source"] == source})
        for source in ("cloudtrail", "s3_access", "guardduty")
    }
    found = {
        source: sorted(
            r[0]
            for r in rows(
                ds,
                f"SELECT DISTINCT {column} FROM {source} "
                f"WHERE {column} IN (SELECT unnest(?::VARCHAR[]))",
                [wanted[source]],
            )
        )
        for source, column in (
            ("cloudtrail", "event_id"),
            ("s3_access", "request_id"),
            ("guardduty", "id"),
        )
    }

    assert wanted == found
    assert {"cloudtrail", "s3_access", "guardduty"} == {g["source"] for g in truth}


@pytest.mark.slow
def test_two_seeds_give_two_different_incidents(small_gameday):
    one, two = (key(small_gameday(SCENARIO, seed))["answers"] for seed in SEEDS[:2])
    # the user, the addresses, the key and the times follow the seed
    follow = [f"{SCENARIO}.q{n:02d}" for n in (1, 3, 4, 5, 9, 10, 11)]

    assert [] == [q for q in follow if one[q] == two[q]]
