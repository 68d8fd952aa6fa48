"""The ordinary week's S3 requests: what the buckets' server access logs hold.

Applications read and write objects all day: the order workers read orders from
the customer-data bucket, the orders Lambda writes them, the thumbnail Lambda
reads uploads and writes thumbnails to app-assets, the web tier reads its static
files. A Grafana dashboard reads finance reports; people browse app-assets in the
console; CI uploads releases; the internet probes bucket names (403s). Every
night the backup agent copies a few thousand objects into the backups bucket
(two lines per copy, as S3 logs them) and deletes the set of a week ago in
DeleteObjects batches: look-alikes of a ransomware's copies and deletes. The
Terraform plan reads every bucket's configuration.

The trail logs object-level calls (data events) only for the buckets it selects
(:attr:`helpers.world.World.data_event_buckets`). :meth:`ObjectTraffic.trail_requests`
gives those requests, the very rows :meth:`ObjectTraffic.frame` puts in the access
logs, so :class:`helpers.background.Background` writes each as a CloudTrail data
event with the same request id, time, caller and key.

Rows are built as columns per actor, from a random generator of their own
(``[seed, 41, chunk, actor]``), so the CloudTrail side and the access logs side
draw the same requests in two processes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import agents, s3access
from helpers.world import World, public_ip

if TYPE_CHECKING:  # helpers.background imports this module
    from helpers.background import Chunk, Incident

MS_MINUTE = 60_000
MS_HOUR = 3_600_000
MS_DAY = 24 * MS_HOUR
RNG_KEY = 41

#: Operation -> CloudTrail eventName of the same request, for the trail's data events.
TRAIL_APIS = {
    "REST.GET.OBJECT": "GetObject",
    "REST.PUT.OBJECT": "PutObject",
    "REST.HEAD.OBJECT": "HeadObject",
    "REST.DELETE.OBJECT": "DeleteObject",
    "REST.GET.BUCKET": "ListObjects",
}
BACKUP_AGENT = "rclone/v1.68.2"
GRAFANA = "Grafana/11.3.1 aws-sdk-go/1.55.5 (go1.22.7; linux; amd64)"
PROBES = ("python-requests/2.32.3", "curl/8.5.0", "Go-http-client/1.1", "aws-cli/1.18.69")
STATIC = (
    "static/js/app.{h}.js",
    "static/js/vendor.{h}.js",
    "static/css/site.{h}.css",
    "static/img/logo.svg",
    "static/img/hero.webp",
    "templates/email/order-confirmation.html",
    "templates/email/password-reset.html",
    "config/feature-flags.json",
)
#: What Terraform reads of each bucket while it plans.
BUCKET_CONFIG = (
    "REST.GET.BUCKETPOLICY",
    "REST.GET.ACL",
    "REST.GET.VERSIONING",
    "REST.GET.ENCRYPTION",
    "REST.GET.PUBLIC_ACCESS_BLOCK",
    "REST.GET.LOCATION",
    "REST.GET.BUCKETTAGGING",
    "REST.GET.LOGGING_STATUS",
)


@dataclass(frozen=True)
class Actor:
    """Who makes a group of requests: an instance's role session, a function's, or a user.

    ``index`` is the instance's (function's) position in the world, which picks the
    same rotating session keys the rest of its CloudTrail calls use.
    """

    kind: str  # instance | function | user
    name: str  # instance id, function name, user name
    index: int = 0


class ObjectTraffic:
    """The ordinary week's requests to buckets with server access logging, chunk by chunk.

    Ask for the chunks in time order (a chunk again is fine): the plans of days that are
    over are dropped, so memory stays bounded at any scale.

    >>> ObjectTraffic(world, 1.0, incident).frame(chunk)  # doctest: +SKIP
    pyarrow.Table (helpers.s3access.FRAME)
    """

    def __init__(self, world: World, rate: float, incident: Incident | None = None) -> None:
        self.world = world
        self.rate = rate
        self.incident = incident
        kind = {b.removeprefix(f"{world.slug}-").rsplit("-", 1)[0]: b for b in world.buckets}
        self.assets = kind["app-assets"]
        self.customers = kind["customer-data"]
        self.finance = kind["finance-reports"]
        self.backups = kind["backups"]
        self.tf_state = kind["tf-state"]
        self.workers = [k for k, i in enumerate(world.instances) if "-worker-" in i.name]
        self.web = [k for k, i in enumerate(world.instances) if "-web-" in i.name]
        self._planned: dict[tuple[str, int], pa.Table] = {}

    # -- the two views -------------------------------------------------------------

    def frame(self, chunk: Chunk) -> pa.Table:
        """Every request of the chunk to a bucket with access logging (rows of FRAME)."""
        parts = [t for t in (build() for _, build in self._groups(chunk)) if t.num_rows]
        if not parts:
            return s3access.FRAME.empty_table()
        rows = pa.concat_tables(parts)
        logged = pa.array(sorted(self.world.access_logged_buckets))
        return rows.filter(pc.is_in(rows["bucket"], logged))

    def trail_requests(self, chunk: Chunk) -> list[tuple[Actor, pa.Table]]:
        """The chunk's requests the trail records as data events (object calls on the
        buckets it selects), per actor: the same rows as in :meth:`frame`. Groups without
        one actor (people, CI runs, the anonymous internet) touch no selected bucket."""
        selected = pa.array(sorted(self.world.data_event_buckets))
        objects = pa.array(list(TRAIL_APIS))
        out = []
        for actor, build in self._groups(chunk):
            if actor is None:
                continue
            rows = build()
            keep = pc.and_(pc.is_in(rows["bucket"], selected), pc.is_in(rows["operation"], objects))
            if pc.any(keep).as_py():
                out.append((actor, rows.filter(keep)))
        return out

    def _groups(self, chunk: Chunk) -> list[tuple[Actor | None, Callable[[], pa.Table]]]:
        """Each group of the chunk's requests: who makes them, and how to build them."""
        w = self.world
        out: list[tuple[Actor | None, Callable[[], pa.Table]]] = []
        for k in self.workers:
            actor = Actor("instance", w.instances[k].instance_id, k)
            out.append((actor, partial(self.worker_reads, chunk, k)))
        for k in self.web:
            actor = Actor("instance", w.instances[k].instance_id, k)
            out.append((actor, partial(self.static_reads, chunk, k)))
        out.append((Actor("function", w.functions[0], 0), partial(self.order_writes, chunk)))
        out.append((Actor("function", w.functions[1], 1), partial(self.thumbnails, chunk)))
        out.append((Actor("user", "grafana-reader"), partial(self.dashboard_reads, chunk)))
        out.append((None, partial(self.internet_probes, chunk)))
        # Planned by the local day, whose 01:00 can fall on the UTC day before or after.
        days = range(chunk.days[0] - 1, chunk.days[-1] + 2)
        for key in [k for k in self._planned if k[1] < days[0]]:
            del self._planned[key]  # done with: memory stays bounded at any scale
        for key, rows in self._planned.items():
            # Chunks come in order, so a plan whose last request is before this chunk is
            # done with too: an empty table in its place frees it (a night's backup holds
            # ~70 MB at the large scale) and keeps it from being built again.
            if rows.num_rows and pc.max(rows["time"]).value < chunk.start:
                self._planned[key] = rows.schema.empty_table()
        for day in days:
            out += [
                (Actor("user", "backup-agent"), partial(self._day, "backup", day, chunk)),
                (Actor("user", "terraform-ci"), partial(self._day, "terraform", day, chunk)),
                (None, partial(self._day, "people", day, chunk)),
            ]
        return out

    def _day(self, plan: str, day: int, chunk: Chunk) -> pa.Table:
        """The part in ``chunk`` of a day's planned requests (built once per day)."""
        if chunk.end <= self._day_ms(day, 0.0):
            # Nothing is planned before the local day's midnight: building a plan only
            # when its day begins keeps it in memory for hours rather than a day.
            return s3access.FRAME.empty_table()
        if (plan, day) not in self._planned:
            build = {
                "backup": self.nightly_backup,
                "terraform": self.terraform_reads,
                "people": self.people,
            }[plan]
            self._planned[plan, day] = build(day)
        rows = self._planned[plan, day]
        when = pc.cast(rows["time"], pa.int64())
        return rows.filter(pc.and_(pc.greater_equal(when, chunk.start), pc.less(when, chunk.end)))

    # -- helpers -------------------------------------------------------------------

    def _rng(self, chunk_or_day: int, group: int) -> np.random.Generator:
        return np.random.default_rng([self.world.seed, RNG_KEY, chunk_or_day, group])

    def _times(
        self, rng: np.random.Generator, chunk: Chunk, per_second: float, night: float = 1.0
    ) -> np.ndarray:
        """Sorted request times (ms): ``per_second`` (times the rate) by local day, ``night``
        times that from 22:00 to 07:00."""
        n = rng.poisson(per_second * self.rate * (chunk.end - chunk.start) / 1000)
        ms = rng.integers(chunk.start, chunk.end, n)
        if night < 1.0:
            hour = (ms // MS_HOUR + self.world.utc_offset_hours) % 24
            ms = ms[((hour >= 7) & (hour < 22)) | (rng.random(n) < night)]
        return np.sort(ms)

    def _day_ms(self, day: int, local_hour: float) -> int:
        return int(day * MS_DAY + (local_hour - self.world.utc_offset_hours) * MS_HOUR)

    def _session(self, role: str, session: str) -> str:
        return f"arn:aws:sts::{self.world.account_id}:assumed-role/{role}/{session}"

    def _rows(self, rng: np.random.Generator, ms: np.ndarray, **columns) -> pa.Table:
        n = len(ms)
        if n == 0:
            return s3access.FRAME.empty_table()
        time = pa.array(ms.astype("datetime64[ms]")).cast(s3access.TS)
        return s3access.requests(rng, n, time=time, **columns)

    # -- the applications, all day -------------------------------------------------

    def worker_reads(self, chunk: Chunk, k: int) -> pa.Table:
        """An order worker reads orders (customer-data); a few are gone (404 NoSuchKey)."""
        w = self.world
        inst = w.instances[k]
        rng = self._rng(chunk.index, 100 + k)
        ms = self._times(rng, chunk, 0.02)
        n = len(ms)
        miss = pa.array(rng.random(n) < 0.006)
        size = pa.array(rng.lognormal(np.log(9_000), 0.7, n).astype(np.int64))
        return self._rows(
            rng,
            ms,
            bucket=self.customers,
            remote_ip=inst.public_ip or w.nat_ip,
            requester=self._session(inst.role, inst.instance_id),
            operation="REST.GET.OBJECT",
            key=_dated_keys(rng, ms, "orders/", "%Y/%m/%d/order-", ".json"),
            http_status=pc.if_else(miss, 404, 200),
            error_code=pc.if_else(miss, "NoSuchKey", pa.scalar(None, pa.string())),
            bytes_sent=pc.if_else(miss, 243, size),
            object_size=pc.if_else(miss, pa.scalar(None, pa.int64()), size),
            user_agent=agents.BOTO3,
        )

    def order_writes(self, chunk: Chunk) -> pa.Table:
        """The orders Lambda writes each processed order (customer-data), busier by day."""
        w = self.world
        rng = self._rng(chunk.index, 200)
        ms = self._times(rng, chunk, 0.08, night=0.35)
        return self._rows(
            rng,
            ms,
            bucket=self.customers,
            remote_ip=w.nat_ip,
            requester=self._session(w.role("lambda")[0].name, w.functions[0]),
            operation="REST.PUT.OBJECT",
            key=_dated_keys(rng, ms, "orders/", "%Y/%m/%d/order-", ".json"),
            http_status=200,
            object_size=rng.lognormal(np.log(9_000), 0.7, len(ms)).astype(np.int64),
            user_agent=agents.LAMBDA_BOTO3,
        )

    def dashboard_reads(self, chunk: Chunk) -> pa.Table:
        """Grafana's S3 data source reads the day's finance report every ten minutes, with
        the grafana-reader user's long-term key, from the office."""
        w = self.world
        rng = self._rng(chunk.index, 300)
        ms = self._times(rng, chunk, 1 / 600)
        n = len(ms)
        return self._rows(
            rng,
            ms,
            bucket=self.finance,
            remote_ip=w.office_ips[0],
            requester=w.user_arn(w.user("grafana-reader")),
            operation="REST.GET.OBJECT",
            key=_dated_keys(None, ms, "reports/", "%Y/%m/daily-revenue-%Y-%m-%d", ".csv"),
            http_status=200,
            bytes_sent=rng.integers(40_000, 90_000, n),
            object_size=rng.integers(90_000, 120_000, n),
            user_agent=GRAFANA,
        )

    def thumbnails(self, chunk: Chunk) -> pa.Table:
        """The thumbnail Lambda reads each upload and writes its thumbnail (app-assets)."""
        w = self.world
        rng = self._rng(chunk.index, 400)
        ms = self._times(rng, chunk, 0.03, night=0.3)
        n = len(ms)
        name = pa.array(rng.integers(16**7, 16**8, n)).cast(pa.string())
        common = dict(
            bucket=self.assets,
            remote_ip=w.nat_ip,
            requester=self._session(w.role("lambda")[1].name, w.functions[1]),
            http_status=200,
            user_agent=agents.LAMBDA_BOTO3,
        )
        size = rng.lognormal(np.log(1_500_000), 0.8, n).astype(np.int64)
        uploads = pc.binary_join_element_wise(_dates(ms, "uploads/%Y/%m/%d/"), name, ".jpg", "")
        reads = self._rows(
            rng,
            ms,
            operation="REST.GET.OBJECT",
            key=uploads,
            bytes_sent=size,
            object_size=size,
            **common,
        )
        writes = self._rows(
            rng,
            ms + rng.integers(400, 2_500, n),
            operation="REST.PUT.OBJECT",
            key=pc.binary_join_element_wise("thumbnails/", name, "-256.jpg", ""),
            object_size=rng.integers(8_000, 30_000, n),
            **common,
        )
        return pa.concat_tables([reads, writes])

    def static_reads(self, chunk: Chunk, k: int) -> pa.Table:
        """A web server fetches the static files and templates it has not cached."""
        w = self.world
        inst = w.instances[k]
        rng = self._rng(chunk.index, 500 + k)
        ms = self._times(rng, chunk, 0.008, night=0.4)
        n = len(ms)
        release = f"{np.random.default_rng([w.seed, RNG_KEY, 7]).integers(16**7, 16**8):08x}"
        keys = np.asarray([s.format(h=release) for s in STATIC])
        sizes = np.array([410_000, 880_000, 96_000, 7_000, 240_000, 12_000, 9_000, 2_000])
        pick = rng.integers(0, len(keys), n)
        head = pa.array(rng.random(n) < 0.15)
        size = pa.array(sizes[pick])
        return self._rows(
            rng,
            ms,
            bucket=self.assets,
            remote_ip=inst.public_ip or w.nat_ip,
            requester=self._session(inst.role, inst.instance_id),
            operation=pc.if_else(head, "REST.HEAD.OBJECT", "REST.GET.OBJECT"),
            key=keys[pick],
            http_status=200,
            bytes_sent=pc.if_else(head, pa.scalar(None, pa.int64()), size),
            object_size=size,
            user_agent=agents.BOTO3,
        )

    def internet_probes(self, chunk: Chunk) -> pa.Table:
        """Anonymous requests guessing at the bucket from the internet: 403 AccessDenied."""
        rng = self._rng(chunk.index, 600)
        ms = self._times(rng, chunk, 6 / 86_400)
        n = len(ms)
        guesses = np.asarray(["", ".env", "backup.zip", "index.html", ".git/config", "admin/"])
        key = guesses[rng.integers(0, len(guesses), n)]
        listing = key == ""
        return self._rows(
            rng,
            ms,
            bucket=self.assets,
            remote_ip=[public_ip(rng) for _ in range(n)],
            operation=np.where(listing, "REST.GET.BUCKET", "REST.GET.OBJECT"),
            key=[None if k == "" else str(k) for k in key],
            request_uri=["GET / HTTP/1.1" if k == "" else None for k in key],
            http_status=403,
            error_code="AccessDenied",
            bytes_sent=243,
            user_agent=np.asarray(PROBES)[rng.integers(0, len(PROBES), n)],
            tls_version=np.where(rng.random(n) < 0.5, "TLSv1.2", "TLSv1.3"),
        )

    # -- planned per day -----------------------------------------------------------

    def nightly_backup(self, day: int) -> pa.Table:
        """At 01:00 the backup agent copies customer data and finance reports into the
        backups bucket within half an hour (REST.COPY.OBJECT_GET in the source,
        REST.COPY.OBJECT in backups, one request id for both), then deletes the set of a
        week ago in DeleteObjects batches (REST.POST.MULTI_OBJECT_DELETE, then one
        BATCH.DELETE.OBJECT per key)."""
        w = self.world
        rng = self._rng(10_000 + day, 700)
        n = max(1, int(rng.integers(1_000, 2_400) * self.rate))
        start = self._day_ms(day, 1.0) + int(rng.integers(0, 20 * MS_MINUTE))
        ms = start + np.sort(rng.integers(0, int(rng.integers(15, 40)) * MS_MINUTE, n))
        source, dest_key, src_key = _backup_set(rng, n, day, self.customers, self.finance)
        size = rng.lognormal(np.log(60_000), 1.0, n).astype(np.int64)
        ids, hosts = s3access.request_ids(rng, n), s3access.host_ids(rng, n)
        by_agent = dict(
            remote_ip=w.office_ips[-1],
            requester=w.user_arn(w.user("backup-agent")),
            http_status=200,
            user_agent=BACKUP_AGENT,
        )
        reads = self._rows(
            rng,
            ms,
            bucket=source,
            operation="REST.COPY.OBJECT_GET",
            key=src_key,
            request_uri=np.char.add(np.char.add("PUT /", dest_key), " HTTP/1.1"),
            object_size=size,
            request_id=ids,
            host_id=hosts,
            **by_agent,
        )
        copies = self._rows(
            rng,
            ms,
            bucket=self.backups,
            operation="REST.COPY.OBJECT",
            key=dest_key,
            bytes_sent=rng.integers(180, 260, n),
            object_size=size,
            request_id=ids,
            host_id=hosts,
            **by_agent,
        )
        m = max(1, int(rng.integers(1_000, 2_400) * self.rate))
        batches = -(-m // 1000)
        post = int(ms[-1]) + MS_MINUTE + np.cumsum(rng.integers(2_000, 9_000, batches))
        which = np.arange(m) // 1000
        post_ids, post_hosts = s3access.request_ids(rng, batches), s3access.host_ids(rng, batches)
        posts = self._rows(
            rng,
            post,
            bucket=self.backups,
            operation="REST.POST.MULTI_OBJECT_DELETE",
            bytes_sent=np.bincount(which) * 52 + 120,
            request_id=post_ids,
            host_id=post_hosts,
            **by_agent,
        )
        deleted = self._rows(
            rng,
            post[which],
            bucket=self.backups,
            operation="BATCH.DELETE.OBJECT",
            key=_backup_set(rng, m, day - 7, self.customers, self.finance)[1],
            request_id=post_ids.take(pa.array(which)),
            host_id=post_hosts.take(pa.array(which)),
            **{**by_agent, "http_status": 204, "user_agent": None},
        )
        return pa.concat_tables([reads, copies, posts, deleted])

    def terraform_reads(self, day: int) -> pa.Table:
        """The nightly plan reads its state file and every bucket's configuration (a
        bucket without a policy answers 404 NoSuchBucketPolicy)."""
        w = self.world
        rng = self._rng(10_000 + day, 800)
        start = self._day_ms(day, 2.0) + int(rng.integers(0, 10 * MS_MINUTE))
        logged = w.access_logged_buckets
        ops = ["REST.HEAD.OBJECT", "REST.GET.OBJECT", *BUCKET_CONFIG * len(logged)]
        buckets = [self.tf_state] * 2 + [b for b in logged for _ in BUCKET_CONFIG]
        n = len(ops)
        ms = start + np.concatenate([[5_000, 6_500], np.sort(rng.integers(9_000, 180_000, n - 2))])
        no_policy = {b for b in logged if rng.random() < 0.5}
        missing = [
            o == "REST.GET.BUCKETPOLICY" and b in no_policy
            for o, b in zip(ops, buckets, strict=True)
        ]
        return self._rows(
            rng,
            ms,
            bucket=buckets,
            remote_ip=w.ci_ip,
            requester=w.user_arn(w.user("terraform-ci")),
            operation=ops,
            key=["env/prod/terraform.tfstate"] * 2 + [None] * (n - 2),
            http_status=[404 if m else 200 for m in missing],
            error_code=["NoSuchBucketPolicy" if m else None for m in missing],
            bytes_sent=rng.integers(120, 1_400, n),
            user_agent=agents.TERRAFORM.replace("api/{api}", "api/s3"),
        )

    def people(self, day: int) -> pa.Table:
        """Weekdays: people list and download from app-assets in the console, and CI
        uploads each release."""
        w = self.world
        if (day + 3) % 7 >= 5:  # 1970-01-01 was a Thursday
            return s3access.FRAME.empty_table()
        rng = self._rng(10_000 + day, 900)
        n = int(rng.integers(10, 30))
        who = rng.integers(0, len(w.people), n)
        ms = np.sort([self._day_ms(day, h) for h in rng.uniform(9.0, 17.5, n)])
        listing = rng.random(n) < 0.4
        files = np.asarray([*STATIC[3:], "docs/brand-guide.pdf"])
        pick = files[rng.integers(0, len(files), n)]
        size = rng.integers(2_000, 900_000, n)
        browse = self._rows(
            rng,
            ms,
            bucket=self.assets,
            remote_ip=np.asarray(w.office_ips)[rng.integers(0, len(w.office_ips), n)],
            requester=np.asarray([w.user_arn(p) for p in w.people])[who],
            operation=np.where(listing, "REST.GET.BUCKET", "REST.GET.OBJECT"),
            key=[None if is_list else str(k) for is_list, k in zip(listing, pick, strict=True)],
            http_status=200,
            bytes_sent=size,
            object_size=[
                None if is_list else int(s) for is_list, s in zip(listing, size, strict=True)
            ],
            user_agent=agents.CONSOLE_S3,
            referer="https://s3.console.aws.amazon.com/",
        )
        m = int(rng.integers(2, 6))
        deploy = np.sort([self._day_ms(day, h) for h in rng.uniform(9.5, 17.5, m)])
        ci = w.role("ci")[0].name
        runs = [f"GitHubActions-{r}" for r in rng.integers(10**9, 10**10, m)]
        uploads = self._rows(
            rng,
            deploy,
            bucket=self.assets,
            remote_ip=[public_ip(rng) for _ in range(m)],
            requester=[self._session(ci, r) for r in runs],
            operation="REST.PUT.OBJECT",
            key=[f"releases/{r:08x}/app.zip" for r in rng.integers(16**7, 16**8, m)],
            http_status=200,
            object_size=rng.integers(8_000_000, 30_000_000, m),
            user_agent=agents.BOTO3,
        )
        return pa.concat_tables([browse, uploads])


def _dates(ms: np.ndarray, fmt: str) -> pa.Array:
    """``strftime(fmt)`` of each time's UTC day (``fmt`` has no clock)."""
    return s3access.strftime_seconds(ms // 1000, fmt)


def _dated_keys(
    rng: np.random.Generator | None, ms: np.ndarray, prefix: str, fmt: str, suffix: str
) -> pa.Array:
    """Keys dated by the request's day, numbered at random where ``rng`` is given:
    ``orders/2026/09/07/order-123456.json``."""
    parts = [prefix, _dates(ms, fmt)]
    if rng is not None:
        parts.append(pa.array(rng.integers(100_000, 999_999, len(ms))).cast(pa.string()))
    return pc.binary_join_element_wise(*parts, suffix, "")


def _backup_set(
    rng: np.random.Generator, n: int, day: int, customers: str, finance: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source bucket, backup key, source key) of ``n`` objects of one night's backup set:
    ``2026-09-07/<bucket>/customers/12345.json``, ``.../reports/ledger-12345.csv``."""
    from_customers = rng.random(n) < 0.7
    source = np.where(from_customers, customers, finance)
    number = rng.integers(0, 90_000, n).astype(str)
    key = np.where(
        from_customers,
        np.char.add(np.char.add("customers/", number), ".json"),
        np.char.add(np.char.add("reports/ledger-", number), ".csv"),
    )
    date = str(np.datetime64(day, "D"))
    return source, np.char.add(np.char.add(f"{date}/", source), np.char.add("/", key)), key
