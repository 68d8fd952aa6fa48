"""The ordinary week's DNS queries: what the VPC's Resolver query logs hold.

Every instance keeps asking the same few names: the AWS endpoints of its region
(the SSM agent polls ``ssm``/``ssmmessages``/``ec2messages`` all day, the
CloudWatch agent ships to ``logs`` and ``monitoring``, SDKs refresh credentials
at ``sts``), its package mirrors and NTP pools, and, for the order workers, the
database's private name, the KMS and Secrets Manager endpoints and their bucket.
Most lookups ask for A and AAAA together; names without IPv6 answer AAAA with
NOERROR and nothing. The workers look the database up by its short name, so the
search list first tries ``db.<region>.compute.internal`` (NXDOMAIN); people on
the bastion resolve their own addresses (PTR, mostly NXDOMAIN).

Answers agree with the flows: the mirrors and NTP servers resolve to the
addresses :mod:`helpers.traffic` sends packets to, ``db.<company>.internal`` to
the database's private address. Everything is drawn as columns, per chunk, from
``[seed, 51, chunk]``; the volume is linear in the rate (about 200k queries in a
workshop week).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import resolver
from helpers.traffic import MIRRORS, NTP_SERVERS
from helpers.world import World

if TYPE_CHECKING:
    from helpers.background import Chunk, Incident

RNG_KEY = 51
#: /16 blocks of AWS's regional endpoints (service and S3 addresses).
AWS_BLOCKS = ("52.94", "52.119", "54.239", "3.5", "52.216", "52.217", "16.182", "52.46")
GITHUB_BLOCKS = ("140.82",)
MS_HOUR = 3_600_000


@dataclass(frozen=True)
class Name:
    """A name instances look up: who asks, how often, and what it resolves to."""

    name: str  # with the trailing dot
    who: tuple[str, ...]  # kinds of instance that ask: web, worker, db, bastion
    per_hour: float  # lookups per instance per hour at rate 1.0
    a: tuple[str, ...] = ()  # the A answers (CNAME targets first, ending in a dot)
    aaaa: tuple[str, ...] | None = None  # the AAAA answers; None: no AAAA asked
    rcode: str = "NOERROR"
    qtype: str = "A"  # the first query's type (the second, if any, is AAAA)
    tried_first: str = ""  # a search-list name asked (and failing) just before this one


ALL = ("web", "worker", "db", "bastion")


def catalogue(world: World) -> tuple[Name, ...]:
    """The names this world's instances look up, with their answers.

    AWS endpoint addresses are drawn once per world (they are the region's; the
    same for a week); mirror and NTP addresses are :mod:`helpers.traffic`'s.
    """
    r = world.home_region
    rng = np.random.default_rng([world.seed, RNG_KEY, 0])

    def aws(blocks: tuple[str, ...] = AWS_BLOCKS) -> tuple[str, ...]:
        """One to three addresses of an endpoint, in blocks AWS announces."""
        picks = rng.integers(0, len(blocks), int(rng.integers(1, 4)))
        return tuple(
            f"{blocks[p]}.{rng.integers(0, 256)}.{rng.integers(1, 255)}" for p in picks.tolist()
        )

    db = next(i for i in world.instances if "-db-" in i.name)
    internal = f"{world.slug}.internal."
    debian, ubuntu = MIRRORS[:2], MIRRORS[2:]
    fastly6 = ("2a04:4e42::644", "2a04:4e42:200::644")
    canonical6 = ("2620:2d:4000:1::101", "2620:2d:4002:1::103")
    bucket = {b.removeprefix(f"{world.slug}-").rsplit("-", 1)[0]: b for b in world.buckets}
    s3 = aws(("3.5", "52.216", "52.217", "16.182"))
    return (
        # the SSM agent and the CloudWatch agent, on every instance
        Name(f"ssm.{r}.amazonaws.com.", ALL, 14, aws(), ()),
        Name(f"ssmmessages.{r}.amazonaws.com.", ALL, 12, aws(), ()),
        Name(f"ec2messages.{r}.amazonaws.com.", ALL, 12, aws(), ()),
        Name(f"logs.{r}.amazonaws.com.", ALL, 10, aws(), ()),
        Name(f"monitoring.{r}.amazonaws.com.", ALL, 5, aws(), ()),
        Name(f"sts.{r}.amazonaws.com.", ALL, 2, aws(), ()),
        Name(f"s3.{r}.amazonaws.com.", ALL, 2.5, s3, ()),
        Name(f"ec2.{r}.amazonaws.com.", ("web", "bastion"), 1, aws(), ()),
        # the applications
        Name(f"kms.{r}.amazonaws.com.", ("worker", "web"), 6, aws(), ()),
        Name(f"secretsmanager.{r}.amazonaws.com.", ("worker",), 4, aws(), ()),
        Name(f"{bucket['customer-data']}.s3.{r}.amazonaws.com.", ("worker",), 10, s3, ()),
        Name(f"{bucket['app-assets']}.s3.{r}.amazonaws.com.", ("web",), 8, s3, ()),
        Name(
            f"db.{internal}",
            ("worker",),
            9,
            (db.private_ip,),
            (),
            tried_first=f"db.{r}.compute.internal.",
        ),
        # packages and time
        Name("deb.debian.org.", ALL, 1.2, ("debian.map.fastly.net.", *debian), fastly6),
        Name("security.debian.org.", ALL, 0.8, debian, fastly6),
        Name("security.ubuntu.com.", ALL, 1.0, ubuntu, canonical6),
        Name(f"{r}.ec2.archive.ubuntu.com.", ALL, 1.0, ubuntu, canonical6),
        Name("pypi.org.", ("worker", "web"), 1.5, (debian[0],), (fastly6[0],)),
        Name(
            "files.pythonhosted.org.",
            ("worker", "web"),
            1.5,
            ("dualstack.python.map.fastly.net.", debian[1]),
            ("dualstack.python.map.fastly.net.", fastly6[1]),
        ),
        Name("ntp.ubuntu.com.", ALL, 0.5, NTP_SERVERS[3:], ()),
        Name("2.debian.pool.ntp.org.", ALL, 0.5, NTP_SERVERS[:3], ()),
        # people's sessions on the bastion
        Name("github.com.", ("bastion",), 2, aws(GITHUB_BLOCKS), ()),
        # sshd on the bastion looks up who connects: the office has no reverse DNS
        *(
            Name(
                f"{'.'.join(reversed(ip.split('.')))}.in-addr.arpa.",
                ("bastion",),
                0.4,
                rcode="NXDOMAIN",
                qtype="PTR",
            )
            for ip in world.office_ips
        ),
    )


class DnsTraffic:
    """The ordinary week's Resolver query log rows, chunk by chunk.

    >>> DnsTraffic(world, 1.0, incident).frame(chunk)  # doctest: +SKIP
    pyarrow.Table (helpers.resolver.FRAME)
    """

    def __init__(self, world: World, rate: float, incident: Incident | None = None) -> None:
        self.world = world
        self.rate = rate
        self.incident = incident
        listed = catalogue(world)
        # search-list names that fail before a listed one: asked only then, never alone
        tried = [n.tried_first for n in listed if n.tried_first]
        self.names = listed + tuple(
            Name(t, (), 0.0, rcode="NXDOMAIN", aaaa=()) for t in dict.fromkeys(tried)
        )
        index = {n.name: j for j, n in enumerate(self.names)}
        self.first = np.array([index[n.tried_first] if n.tried_first else -1 for n in self.names])
        kinds = [i.name.split("-")[-2] for i in world.instances]
        # every (instance, name) pair that asks, and how often (lookups per ms)
        pairs = [
            (k, j, name.per_hour / MS_HOUR)
            for k, kind in enumerate(kinds)
            for j, name in enumerate(self.names)
            if kind in name.who
        ]
        self.pair_inst = np.array([p[0] for p in pairs])
        self.pair_name = np.array([p[1] for p in pairs])
        self.pair_rate = np.array([p[2] for p in pairs])
        # answers per (name, type): rows 2j (the first query) and 2j + 1 (AAAA)
        self.answers = pa.array(
            [list(ans) for n in self.names for ans in (n.a, n.aaaa or ())],
            pa.list_(pa.string()),
        )
        self.has_aaaa = np.array([n.aaaa is not None for n in self.names])
        self.qnames = pa.array([n.name for n in self.names])
        self.qtypes = pa.array([t for n in self.names for t in (n.qtype, "AAAA")])
        self.rcodes = pa.array([n.rcode for n in self.names])
        self.src = pa.array([i.private_ip for i in world.instances])
        self.ids = pa.array([i.instance_id for i in world.instances])

    def frame(self, chunk: Chunk) -> pa.Table:
        """Every query of the chunk (rows of :data:`helpers.resolver.FRAME`)."""
        rng = np.random.default_rng([self.world.seed, RNG_KEY, chunk.index])
        span = chunk.end - chunk.start
        counts = rng.poisson(self.pair_rate * span * self.rate)
        pair = np.repeat(np.arange(len(counts)), counts)
        ms = rng.integers(chunk.start, chunk.end, len(pair))
        inst, name = self.pair_inst[pair], self.pair_name[pair]
        # the search list's failing name goes out first, a few ms before
        before = np.flatnonzero(self.first[name] >= 0)
        inst = np.concatenate([inst, inst[before]])
        ms = np.concatenate([ms, ms[before] - rng.integers(1, 6, len(before))])
        name = np.concatenate([name, self.first[name[before]]])
        # the AAAA query goes out with the A, within a few ms
        second = np.flatnonzero(self.has_aaaa[name])
        inst = np.concatenate([inst, inst[second]])
        ms = np.concatenate([ms, ms[second] + rng.integers(0, 4, len(second))])
        aaaa = np.concatenate([np.zeros(len(name), bool), np.ones(len(second), bool)])
        name = np.concatenate([name, name[second]])
        n = len(ms)
        if n == 0:
            return resolver.FRAME.empty_table()
        # near the chunk's start a query can fall a few ms before it: keep it inside
        ms = np.clip(ms, chunk.start, chunk.end - 1)
        order = np.argsort(ms, kind="stable")
        ms, inst, name, aaaa = ms[order], inst[order], name[order], aaaa[order]
        slot = pa.array(2 * name + aaaa)
        udp = rng.random(n) < 0.998
        return pa.table(
            {
                "time": pa.array(ms.astype("datetime64[ms]")).cast(resolver.TS),
                "query_name": self.qnames.take(pa.array(name)),
                "query_type": self.qtypes.take(slot),
                "rcode": self.rcodes.take(pa.array(name)),
                "answers": self.answers.take(slot),
                "srcaddr": self.src.take(pa.array(inst)),
                "srcport": pa.array(rng.integers(32768, 61000, n).astype(np.int32)),
                "transport": pc.if_else(pa.array(udp), "UDP", "TCP"),
                "instance_id": self.ids.take(pa.array(inst)),
            },
            schema=resolver.FRAME,
        )
