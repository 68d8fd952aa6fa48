"""The ordinary week's S3 requests: the applications, the nightly backup burst, and
CloudTrail data events only for the buckets the trail selects, each with its access log twin."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import SEEDS

from helpers.background import MS_DAY, MS_HOUR, Background, Chunk, Incident
from helpers.objects import TRAIL_APIS, ObjectTraffic
from helpers.world import build_world

WORLD = build_world(2026)


def week(rate: float = 1.0, world=WORLD, hours: int = 6) -> pa.Table:
    """The whole week's requests, built chunk by chunk as the generator does."""
    traffic = ObjectTraffic(world, rate)
    start = int(world.start.timestamp() * 1000)
    step = hours * MS_HOUR
    chunks = [Chunk(i, s, s + step) for i, s in enumerate(range(start, start + 7 * MS_DAY, step))]
    return pa.concat_tables([traffic.frame(c) for c in chunks])


@pytest.fixture(scope="module")
def requests() -> pa.Table:
    return week()


def local_hour(rows: pa.Table, world=WORLD) -> np.ndarray:
    ms = pc.cast(rows["time"], pa.int64()).to_numpy()
    return (ms / MS_HOUR + world.utc_offset_hours) % 24


def test_a_workshop_week_holds_50k_to_150k_requests_and_scales_with_the_rate(requests):
    half = week(0.5)

    assert 50_000 <= requests.num_rows <= 150_000
    assert 0.4 <= half.num_rows / requests.num_rows <= 0.6


def test_every_bucket_but_the_logs_bucket_is_logged(requests):
    assert set(requests["bucket"].to_pylist()) == set(WORLD.access_logged_buckets)
    assert WORLD.access_log_bucket not in WORLD.access_logged_buckets


def test_the_backup_agent_copies_a_burst_into_backups_every_night(requests):
    copies = requests.filter(pc.equal(requests["operation"], "REST.COPY.OBJECT"))
    hours = local_hour(copies)
    ms = pc.cast(copies["time"], pa.int64()).to_numpy()
    nights, per_night = np.unique(
        (ms + WORLD.utc_offset_hours * MS_HOUR) // MS_DAY, return_counts=True
    )

    assert set(copies["bucket"].to_pylist()) == {WORLD.buckets[3]}  # the backups bucket
    assert set(copies["requester"].to_pylist()) == {WORLD.user_arn(WORLD.user("backup-agent"))}
    assert ((hours >= 1) & (hours < 2)).all()  # from 01:00 local, within the hour
    assert len(nights) >= 6 and per_night.min() >= 1_000  # thousands, every night of the week
    # each copy also logs its read in the source bucket, under the same request id
    reads = requests.filter(pc.equal(requests["operation"], "REST.COPY.OBJECT_GET"))
    assert sorted(reads["request_id"].to_pylist()) == sorted(copies["request_id"].to_pylist())
    assert set(reads["bucket"].to_pylist()) == set(WORLD.sensitive_buckets)


def test_the_old_backup_set_is_deleted_in_batches_of_1000(requests):
    posts = requests.filter(pc.equal(requests["operation"], "REST.POST.MULTI_OBJECT_DELETE"))
    deleted = requests.filter(pc.equal(requests["operation"], "BATCH.DELETE.OBJECT"))
    per_post = pc.value_counts(deleted["request_id"]).field("counts").to_pylist()

    assert set(deleted["request_id"].to_pylist()) == set(posts["request_id"].to_pylist())
    assert max(per_post) == 1000
    assert set(deleted["http_status"].to_pylist()) == {204}


def test_roles_sign_as_assumed_role_sessions_with_sdk_user_agents(requests):
    workers = requests.filter(pc.match_substring(requests["requester"], "-worker-instance-role/"))
    sessions = {r.rsplit("/", 1)[1] for r in workers["requester"].to_pylist()}
    worker_ids = {i.instance_id for i in WORLD.instances if "-worker-" in i.name}

    assert sessions == worker_ids
    assert all(
        r.startswith(f"arn:aws:sts::{WORLD.account_id}:assumed-role/")
        for r in workers["requester"].to_pylist()
    )
    assert {u.split("/")[0] for u in workers["user_agent"].to_pylist()} == {"Boto3"}
    lambda_writes = requests.filter(
        pc.match_substring(requests["requester"], f"/{WORLD.functions[1]}")
    )
    assert set(lambda_writes["bucket"].to_pylist()) == {WORLD.buckets[0]}  # thumbnails: assets


def test_some_requests_fail_as_they_do_every_week(requests):
    status = pc.value_counts(requests["http_status"]).to_pylist()
    counts = {s["values"]: s["counts"] for s in status}
    probes = requests.filter(pc.equal(requests["http_status"], 403))

    assert counts[404] > 50  # orders already gone, buckets without a policy
    assert counts[403] > 5  # the internet guessing at the assets bucket
    assert probes["requester"].null_count == probes.num_rows  # anonymous
    assert counts[200] > 0.9 * requests.num_rows


def test_the_trail_sees_the_same_requests_on_the_buckets_it_selects(requests):
    traffic = ObjectTraffic(WORLD, 1.0)
    start = int(WORLD.start.timestamp() * 1000)
    chunk = Chunk(4, start + 4 * 6 * MS_HOUR, start + 5 * 6 * MS_HOUR)
    logged = traffic.frame(chunk)
    trail = pa.concat_tables([rows for _, rows in traffic.trail_requests(chunk)])

    assert set(trail["bucket"].to_pylist()) == set(WORLD.data_event_buckets)
    assert set(trail["operation"].to_pylist()) <= set(TRAIL_APIS)
    assert set(trail["request_id"].to_pylist()) <= set(logged["request_id"].to_pylist())
    on_selected = logged.filter(
        pc.and_(
            pc.is_in(logged["bucket"], pa.array(WORLD.data_event_buckets)),
            pc.is_in(logged["operation"], pa.array(list(TRAIL_APIS))),
        )
    )
    assert sorted(trail["request_id"].to_pylist()) == sorted(on_selected["request_id"].to_pylist())


def test_background_cloudtrail_has_data_events_only_for_selected_buckets():
    background = Background(WORLD, 1.0, Incident(0, 0))
    start = int(WORLD.start.timestamp() * 1000)
    chunk = Chunk(1, start + 9 * MS_HOUR, start + 15 * MS_HOUR)  # a weekday: CLI, CI, people
    ct = background.cloudtrail(chunk)
    data = ct.filter(pc.equal(ct["event_category"], "Data"))
    buckets = {
        b
        for b in WORLD.buckets
        if pc.any(pc.match_substring(data["request_parameters"], f'"bucketName":"{b}"')).as_py()
    }

    assert data.num_rows > 1_000
    assert buckets == set(WORLD.data_event_buckets)
    twins = [
        r
        for _, rows in background.objects.trail_requests(chunk)
        for r in rows["request_id"].to_pylist()
    ]
    assert sorted(data["request_id"].to_pylist()) == sorted(twins)


def test_the_same_seed_gives_the_same_requests():
    a, b = week(0.1, hours=24), week(0.1, hours=24)
    other = week(0.1, build_world(7), hours=24)

    assert a.equals(b)
    assert not a.equals(other)


@pytest.mark.slow
def test_a_generated_data_set_logs_data_events_only_for_the_selected_buckets(small_dataset):
    world = build_world(SEEDS[0])
    con = duckdb.connect(str(small_dataset / "gameday.duckdb"), read_only=True)
    named = {
        b
        for (b,) in con.execute(
            "SELECT DISTINCT request_parameters->>'bucketName' FROM cloudtrail "
            "WHERE event_category = 'Data'"
        ).fetchall()
    }
    twins, background = con.execute(
        "SELECT count(s.request_id), count(*) FROM cloudtrail c LEFT JOIN s3_access s "
        "ON s.request_id = c.request_id WHERE c.event_category = 'Data' "
        "AND (c.arn NOT LIKE '%:user/%' OR c.arn LIKE '%:user/grafana-reader')"
    ).fetchone()

    assert named == set(world.data_event_buckets)
    assert twins == background > 100  # the applications' data events: each has its log line
    s3 = dict(con.execute("SELECT bucket, count(*) FROM s3_access GROUP BY 1").fetchall())
    assert set(s3) == set(world.access_logged_buckets)
    # a copy logs two lines; the nightly backup makes REST.COPY.OBJECT lines every night
    nights = con.execute(
        "SELECT count(DISTINCT time::DATE) FROM s3_access WHERE operation = 'REST.COPY.OBJECT'"
    ).fetchone()[0]
    assert nights >= 6
